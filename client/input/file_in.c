/*
 * file_in.c - reading a named input file whole, within a limit (file_in.h).
 */
#include "file_in.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int file_in_read(const char *path, size_t max, char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL)
        return TD_EIO;
    /* One byte past the limit tells a file of exactly max bytes from a larger one. */
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    int rc = TD_OK;
    while (buf != NULL) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap || n > max)
            break;
        size_t bigger = cap * 2 > max + 1 ? max + 1 : cap * 2;
        char *p = realloc(buf, bigger + 1);
        if (p == NULL) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = p;
        cap = bigger;
    }
    int saved = errno;
    if (buf == NULL)
        rc = TD_ENOMEM;
    else if (ferror(f))
        rc = TD_EIO;
    else if (n > max)
        rc = TD_EHUGE;
    if (f != stdin)
        fclose(f);
    errno = saved;
    if (rc != TD_OK) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return TD_OK;
}
