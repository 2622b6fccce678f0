/*
 * log.h - one line per event, logfmt (key=value), to stderr.
 *
 * Every line starts with ts=, level= and event=; the caller adds its own
 * key=value pairs. Values with spaces, quotes or '=' must be quoted: use
 * log_quote() or the "%q"-free helpers below, never raw personal data.
 * No secrets and no nominee data go to the log.
 */
#ifndef THIDUA_LOG_H
#define THIDUA_LOG_H

#include <stddef.h>
#include "defs.h"

typedef enum {
    LOG_ERROR = 0,
    LOG_WARN = 1,
    LOG_INFO = 2,
    LOG_DEBUG = 3,
} log_level_t;

/* Default LOG_INFO. */
void log_set_level(log_level_t level);
log_level_t log_get_level(void);
/* "error", "warn", "info", "debug"; returns 0 or -1 for an unknown name. */
THIDUA_MUSTCHECK int log_level_parse(const char *name, log_level_t *out);

/*
 * Write "ts=... level=... event=EVENT " followed by the formatted pairs.
 * fmt may be NULL for an event without extra fields.
 */
void log_event(log_level_t level, const char *event, const char *fmt, ...) THIDUA_PRINTF(3, 4);

#define log_error(ev, ...) log_event(LOG_ERROR, ev, __VA_ARGS__)
#define log_warn(ev, ...) log_event(LOG_WARN, ev, __VA_ARGS__)
#define log_info(ev, ...) log_event(LOG_INFO, ev, __VA_ARGS__)
#define log_debug(ev, ...) log_event(LOG_DEBUG, ev, __VA_ARGS__)

/*
 * Quote a value for logfmt into buf: returns buf. Values without spaces,
 * quotes, '=' or control characters are copied as they are; others are put
 * in double quotes with '"' and '\' escaped and control bytes as \xNN.
 * Truncated to fit buf (always NUL-terminated).
 */
const char *log_quote(char *buf, size_t size, const char *value);

#endif
