/*
 * seen_revisions.c - the revisions the administrator has looked at, in a small
 * append-only text file next to the configuration (see seen_revisions.h for why).
 */
#include "seen_revisions.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strbuf.h"

/* The whole file in memory, parsed into views. Owns data and views. */
typedef struct seen_file {
    char *data;
    size_t len;
    seen_entry_t *views; /* in file order: later lines win */
    size_t n;
} seen_file_t;

static void seen_file_free(seen_file_t *f)
{
    free(f->data);
    free(f->views);
    memset(f, 0, sizeof(*f));
}

int seen_path(const char *config_path, char *out, size_t size)
{
    const char *slash = config_path != NULL ? strrchr(config_path, '/') : NULL;
    int n;
    if (slash == NULL)
        n = snprintf(out, size, "%s", SEEN_FILE_NAME);
    else
        n = snprintf(out, size, "%.*s/%s", (int)(slash - config_path), config_path, SEEN_FILE_NAME);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Parse one line "ID<TAB>REV<TAB>MS"; false for anything else (comments, damage). */
static bool seen_parse_line(const char *s, size_t len, seen_entry_t *e)
{
    char line[128];
    if (len == 0 || len >= sizeof(line) || s[0] == '#')
        return false;
    memcpy(line, s, len);
    line[len] = '\0';
    char *tab = strchr(line, '\t');
    if (tab == NULL)
        return false;
    *tab = '\0';
    if (uuid_parse(line, e->id, NULL) != TD_OK)
        return false;
    char *end;
    errno = 0;
    unsigned long rev = strtoul(tab + 1, &end, 10);
    if (errno != 0 || end == tab + 1 || rev == 0 || rev > UINT32_MAX)
        return false;
    e->revision = (uint32_t)rev;
    e->at_ms = 0;
    if (*end == '\t')
        e->at_ms = strtoll(end + 1, NULL, 10);
    return true;
}

/* Read and parse the file; a missing file is an empty one. */
static int seen_load(const char *path, seen_file_t *f, char *err, size_t errlen)
{
    memset(f, 0, sizeof(*f));
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        if (errno == ENOENT)
            return TD_OK;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return TD_EIO;
    }
    strbuf_t sb;
    strbuf_init(&sb);
    char buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof(buf), fp)) > 0)
        strbuf_append(&sb, buf, got);
    int bad = ferror(fp);
    fclose(fp);
    if (bad) {
        snprintf(err, errlen, "%s: cannot read it", path);
        strbuf_free(&sb);
        return TD_EIO;
    }
    if (strbuf_failed(&sb)) {
        strbuf_free(&sb);
        return TD_ENOMEM;
    }
    f->data = sb.data;
    f->len = sb.len;
    size_t lines = 0;
    for (size_t i = 0; i < f->len; i++)
        lines += f->data[i] == '\n';
    f->views = calloc(lines + 1, sizeof(*f->views));
    if (f->views == NULL) {
        seen_file_free(f);
        return TD_ENOMEM;
    }
    for (size_t i = 0; i < f->len;) {
        const char *nl = memchr(f->data + i, '\n', f->len - i);
        size_t end = nl != NULL ? (size_t)(nl - f->data) : f->len;
        if (seen_parse_line(f->data + i, end - i, &f->views[f->n]))
            f->n++;
        i = end + 1;
    }
    return TD_OK;
}

static void seen_line(strbuf_t *sb, const seen_entry_t *e)
{
    strbuf_printf(sb, "%s\t%u\t%lld\n", e->id, e->revision, (long long)e->at_ms);
}

/* Write all of sb to fd; -1 with errno set on failure. */
static int seen_write_all(int fd, const strbuf_t *sb)
{
    const char *p = strbuf_str(sb);
    size_t left = sb->len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        left -= (size_t)w;
    }
    return 0;
}

/* Views sorted by id, then by line, so that the last view of each id ends its run. */
typedef struct seen_sorted {
    const seen_entry_t *e;
    size_t pos;
} seen_sorted_t;

static int seen_sorted_cmp(const void *a, const void *b)
{
    const seen_sorted_t *x = a, *y = b;
    int c = strcmp(x->e->id, y->e->id);
    if (c != 0)
        return c;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Rewrite the file with the last view of each id, through a temporary file. */
static int seen_compact(const char *path, char *err, size_t errlen)
{
    seen_file_t f;
    int rc = seen_load(path, &f, err, errlen);
    if (rc != TD_OK)
        return rc;
    seen_sorted_t *s = calloc(f.n + 1, sizeof(*s));
    if (s == NULL) {
        seen_file_free(&f);
        return TD_ENOMEM;
    }
    for (size_t i = 0; i < f.n; i++) {
        s[i].e = &f.views[i];
        s[i].pos = i;
    }
    qsort(s, f.n, sizeof(*s), seen_sorted_cmp);
    strbuf_t sb;
    strbuf_init(&sb);
    strbuf_puts(&sb, "# thidua: record id, revision last shown to the administrator, when (ms)\n");
    for (size_t i = 0; i < f.n; i++) {
        if (i + 1 < f.n && strcmp(s[i].e->id, s[i + 1].e->id) == 0)
            continue; /* a later view of the same id follows */
        seen_line(&sb, s[i].e);
    }
    free(s);
    seen_file_free(&f);
    if (strbuf_failed(&sb)) {
        strbuf_free(&sb);
        return TD_ENOMEM;
    }
    char tmp[1100];
    snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || seen_write_all(fd, &sb) != 0 || fsync(fd) != 0) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        unlink(tmp);
        strbuf_free(&sb);
        return TD_EIO;
    }
    strbuf_free(&sb);
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return TD_EIO;
    }
    return TD_OK;
}

int seen_note(const char *path, const seen_entry_t *views, size_t n, char *err, size_t errlen)
{
    if (n == 0)
        return TD_OK;
    strbuf_t sb;
    strbuf_init(&sb);
    for (size_t i = 0; i < n; i++)
        seen_line(&sb, &views[i]);
    if (strbuf_failed(&sb)) {
        strbuf_free(&sb);
        return TD_ENOMEM;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        strbuf_free(&sb);
        return TD_EIO;
    }
    int wrc = seen_write_all(fd, &sb);
    int saved = errno;
    strbuf_free(&sb);
    struct stat st;
    bool big = wrc == 0 && fstat(fd, &st) == 0 && (size_t)st.st_size > SEEN_COMPACT_BYTES;
    if (close(fd) != 0 && wrc == 0) {
        wrc = -1;
        saved = errno;
    }
    if (wrc != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(saved));
        return TD_EIO;
    }
    return big ? seen_compact(path, err, errlen) : TD_OK;
}

int seen_lookup(const char *path, const char *id, seen_entry_t *out, char *err, size_t errlen)
{
    seen_file_t f;
    int rc = seen_load(path, &f, err, errlen);
    if (rc != TD_OK)
        return rc;
    rc = TD_ENOTFOUND;
    for (size_t i = f.n; i-- > 0;) {
        if (strcmp(f.views[i].id, id) == 0) {
            *out = f.views[i];
            rc = TD_OK;
            break;
        }
    }
    seen_file_free(&f);
    return rc;
}

/* Does the id's hex digits start with the prefix's (already lowercase, no hyphens)? */
static bool seen_hex_starts(const char *id, const char *hex)
{
    for (; *hex != '\0'; hex++, id++) {
        if (*id == '-')
            id++;
        if (*id != *hex)
            return false;
    }
    return true;
}

int seen_find_prefix(const char *path, const char *prefix, char out[UUID_STR_SIZE], char *err,
                     size_t errlen)
{
    char hex[UUID_STR_SIZE];
    size_t h = 0;
    for (const char *p = prefix; *p != '\0'; p++) {
        if (*p == '-')
            continue;
        if (h + 1 >= sizeof(hex))
            return TD_ENOTFOUND;
        char c = *p >= 'A' && *p <= 'F' ? (char)(*p - 'A' + 'a') : *p;
        hex[h++] = c;
    }
    hex[h] = '\0';
    seen_file_t f;
    int rc = seen_load(path, &f, err, errlen);
    if (rc != TD_OK)
        return rc;
    rc = TD_ENOTFOUND;
    out[0] = '\0';
    for (size_t i = 0; i < f.n; i++) {
        if (!seen_hex_starts(f.views[i].id, hex))
            continue;
        if (out[0] != '\0' && strcmp(out, f.views[i].id) != 0) {
            rc = TD_EAMBIGUOUS;
            break;
        }
        memcpy(out, f.views[i].id, UUID_STR_SIZE);
        rc = TD_OK;
    }
    seen_file_free(&f);
    return rc;
}
