/*
 * strbuf.h - a growable, always NUL-terminated byte string.
 *
 * For text built piece by piece: the JSON a push sends to PostgreSQL, CSV and
 * HTML reports. An allocation failure is remembered (sticky) and reported by
 * strbuf_failed(), so a builder can append freely and check once at the end.
 */
#ifndef THIDUA_STRBUF_H
#define THIDUA_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

#include "defs.h"

/* Owns data (malloc'd). */
typedef struct strbuf {
    char *data; /* NUL-terminated once anything was appended; NULL before */
    size_t len;
    size_t cap;
    bool failed; /* an allocation failed: contents are incomplete */
} strbuf_t;

void strbuf_init(strbuf_t *sb);
void strbuf_free(strbuf_t *sb);
/* Empty the string, keeping the memory. */
void strbuf_reset(strbuf_t *sb);
/* Make sure room for n more bytes (and the NUL) exists; false on failure. */
bool strbuf_reserve(strbuf_t *sb, size_t n);
void strbuf_append(strbuf_t *sb, const void *data, size_t len);
void strbuf_puts(strbuf_t *sb, const char *s);
void strbuf_putc(strbuf_t *sb, char c);
void strbuf_printf(strbuf_t *sb, const char *fmt, ...) THIDUA_PRINTF(2, 3);
/* s as a JSON string literal, with its quotes; s must be valid UTF-8. */
void strbuf_json_string(strbuf_t *sb, const char *s);
/* The string ("" when nothing was appended); valid until the next change. */
const char *strbuf_str(const strbuf_t *sb);
bool strbuf_failed(const strbuf_t *sb);

#endif
