/*
 * confutil.h - parsing of configuration values shared by thiduad and thidua.
 *
 * Both programs read an INI file (libinih) with command-line flags on top; the
 * values they share a syntax for (HOST:PORT, sizes, durations, booleans) are
 * parsed here so that both say the same thing about the same mistake.
 * Every parser returns 0 or -1 and, on -1, writes a sentence naming the value
 * into err.
 */
#ifndef THIDUA_CONFUTIL_H
#define THIDUA_CONFUTIL_H

#include <stddef.h>
#include <stdint.h>
#include "defs.h"

#define CONFUTIL_HOST_MAX 256

/*
 * "HOST:PORT", "[v6addr]:PORT" or ":PORT" (host left empty). The port is
 * 0..65535 (0 asks the kernel for a free one, when listening).
 */
THIDUA_MUSTCHECK int confutil_hostport(const char *in, char host[CONFUTIL_HOST_MAX],
                                       uint16_t *port, char *err, size_t errlen);

/* A decimal integer in [min, max]; an optional K/M/G suffix multiplies by 1024^n. */
THIDUA_MUSTCHECK int confutil_size(const char *in, uint64_t min, uint64_t max, uint64_t *out,
                                   char *err, size_t errlen);

/* A duration: "30", "30s", "500ms", "5m", "1h"; result in milliseconds, in [min_ms, max_ms]. */
THIDUA_MUSTCHECK int confutil_duration_ms(const char *in, uint64_t min_ms, uint64_t max_ms,
                                          uint64_t *out, char *err, size_t errlen);

/* yes/no, true/false, on/off, 1/0. */
THIDUA_MUSTCHECK int confutil_bool(const char *in, int *out, char *err, size_t errlen);

/*
 * An INI file read with libinih, each call of fn told the line the value is
 * on (the Debian build of libinih passes no line number), so that a
 * mistake is named by its line. fn returns nonzero to go on. Returns as
 * ini_parse() does: 0, -1 when the file cannot be opened, or the first line
 * that is not INI or that fn refused.
 */
typedef int (*confutil_ini_fn)(void *user, const char *section, const char *key,
                               const char *value, int line);
int confutil_ini_file(const char *path, confutil_ini_fn fn, void *user);

/* Replace *slot with a copy of value (freeing the old one); -1 when out of memory. */
THIDUA_MUSTCHECK int confutil_set_string(char **slot, const char *value);

#endif
