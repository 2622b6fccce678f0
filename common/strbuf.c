/*
 * strbuf.c - growable strings.
 */
#include "strbuf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void strbuf_init(strbuf_t *sb)
{
    memset(sb, 0, sizeof(*sb));
}

void strbuf_free(strbuf_t *sb)
{
    free(sb->data);
    strbuf_init(sb);
}

void strbuf_reset(strbuf_t *sb)
{
    sb->len = 0;
    if (sb->data != NULL)
        sb->data[0] = '\0';
    sb->failed = false;
}

bool strbuf_reserve(strbuf_t *sb, size_t n)
{
    if (sb->failed)
        return false;
    if (n > SIZE_MAX / 2 - sb->len) {
        sb->failed = true;
        return false;
    }
    size_t need = sb->len + n + 1;
    if (need <= sb->cap)
        return true;
    size_t cap = sb->cap ? sb->cap : 256;
    while (cap < need)
        cap *= 2;
    char *p = realloc(sb->data, cap);
    if (p == NULL) {
        sb->failed = true;
        return false;
    }
    sb->data = p;
    sb->cap = cap;
    return true;
}

void strbuf_append(strbuf_t *sb, const void *data, size_t len)
{
    if (!strbuf_reserve(sb, len))
        return;
    memcpy(sb->data + sb->len, data, len);
    sb->len += len;
    sb->data[sb->len] = '\0';
}

void strbuf_puts(strbuf_t *sb, const char *s)
{
    strbuf_append(sb, s, strlen(s));
}

void strbuf_putc(strbuf_t *sb, char c)
{
    strbuf_append(sb, &c, 1);
}

void strbuf_printf(strbuf_t *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !strbuf_reserve(sb, (size_t)n)) {
        sb->failed = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

void strbuf_json_string(strbuf_t *sb, const char *s)
{
    strbuf_putc(sb, '"');
    const char *run = s;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x20 && *p != '"' && *p != '\\')
            continue;
        strbuf_append(sb, run, (size_t)((const char *)p - run));
        switch (*p) {
        case '"': strbuf_puts(sb, "\\\""); break;
        case '\\': strbuf_puts(sb, "\\\\"); break;
        case '\n': strbuf_puts(sb, "\\n"); break;
        case '\t': strbuf_puts(sb, "\\t"); break;
        case '\r': strbuf_puts(sb, "\\r"); break;
        default: strbuf_printf(sb, "\\u%04x", *p); break;
        }
        run = (const char *)p + 1;
    }
    strbuf_puts(sb, run);
    strbuf_putc(sb, '"');
}

const char *strbuf_str(const strbuf_t *sb)
{
    return sb->data != NULL ? sb->data : "";
}

bool strbuf_failed(const strbuf_t *sb)
{
    return sb->failed;
}
