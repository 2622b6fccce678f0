/*
 * log.c - logfmt lines on stderr.
 *
 * A whole line is formatted into one buffer and written with one write(2), so
 * lines from several processes sharing stderr (tests, a supervisor) do not
 * interleave mid-line.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static log_level_t log_threshold = LOG_INFO;

static const char *const log_names[] = {"error", "warn", "info", "debug"};

void log_set_level(log_level_t level)
{
    log_threshold = level;
}

log_level_t log_get_level(void)
{
    return log_threshold;
}

int log_level_parse(const char *name, log_level_t *out)
{
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(log_names); i++) {
        if (strcmp(name, log_names[i]) == 0) {
            *out = (log_level_t)i;
            return 0;
        }
    }
    return -1;
}

void log_event(log_level_t level, const char *event, const char *fmt, ...)
{
    if (level > log_threshold)
        return;

    char line[2048];
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);

    int n = snprintf(line, sizeof(line), "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s event=%s",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, now.tv_nsec / 1000000L, log_names[level], event);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
    if (fmt != NULL && len < sizeof(line) - 2) {
        line[len++] = ' ';
        va_list ap;
        va_start(ap, fmt);
        n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
        va_end(ap);
        if (n > 0)
            len += (size_t)n < sizeof(line) - len ? (size_t)n : sizeof(line) - len - 1;
    }
    if (len >= sizeof(line) - 1)
        len = sizeof(line) - 2;
    line[len++] = '\n';

    /* Best effort: there is nowhere left to report a failing stderr. */
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}

static int log_needs_quotes(const char *v)
{
    if (*v == '\0')
        return 1;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f)
            return 1;
    }
    return 0;
}

const char *log_quote(char *buf, size_t size, const char *value)
{
    if (size == 0)
        return buf;
    if (value == NULL)
        value = "";
    if (!log_needs_quotes(value)) {
        snprintf(buf, size, "%s", value);
        return buf;
    }
    size_t o = 0;
    if (o + 1 < size)
        buf[o++] = '"';
    for (const unsigned char *p = (const unsigned char *)value; *p && o + 5 < size; p++) {
        if (*p == '"' || *p == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)*p;
        } else if (*p < ' ' || *p == 0x7f) {
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", *p);
        } else {
            buf[o++] = (char)*p;
        }
    }
    if (o + 1 < size)
        buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}
