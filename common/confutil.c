/*
 * confutil.c - value parsers shared by the server's and the client's configuration.
 */
#include "confutil.h"

#include <ini.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int confutil_hostport(const char *in, char host[CONFUTIL_HOST_MAX], uint16_t *port, char *err,
                      size_t errlen)
{
    const char *start = in, *colon;
    size_t hostlen;

    if (in[0] == '[') {
        const char *close = strchr(in, ']');
        if (close == NULL || close[1] != ':') {
            snprintf(err, errlen, "'%s' is not HOST:PORT ([IPv6]:PORT expected)", in);
            return -1;
        }
        start = in + 1;
        hostlen = (size_t)(close - start);
        colon = close + 1;
    } else {
        colon = strrchr(in, ':');
        if (colon == NULL) {
            snprintf(err, errlen, "'%s' is not HOST:PORT (the port is missing)", in);
            return -1;
        }
        hostlen = (size_t)(colon - in);
    }
    if (hostlen >= CONFUTIL_HOST_MAX) {
        snprintf(err, errlen, "host name too long in '%s'", in);
        return -1;
    }
    memcpy(host, start, hostlen);
    host[hostlen] = '\0';

    const char *p = colon + 1;
    if (*p == '\0') {
        snprintf(err, errlen, "the port is missing after '%s'", host);
        return -1;
    }
    unsigned long v = 0;
    for (; *p; p++) {
        if (!isdigit((unsigned char)*p) || v > 65535) {
            snprintf(err, errlen, "port '%s' is not a number from 0 to 65535", colon + 1);
            return -1;
        }
        v = v * 10 + (unsigned long)(*p - '0');
    }
    if (v > 65535) {
        snprintf(err, errlen, "port '%s' is not a number from 0 to 65535", colon + 1);
        return -1;
    }
    *port = (uint16_t)v;
    return 0;
}

/* Parse the leading unsigned decimal of in; *end points after it. */
static int confutil_leading_u64(const char *in, uint64_t *out, const char **end)
{
    if (!isdigit((unsigned char)in[0]))
        return -1;
    errno = 0;
    char *e;
    unsigned long long v = strtoull(in, &e, 10);
    if (errno == ERANGE)
        return -1;
    *out = v;
    *end = e;
    return 0;
}

int confutil_size(const char *in, uint64_t min, uint64_t max, uint64_t *out, char *err,
                  size_t errlen)
{
    uint64_t v, mult = 1;
    const char *end;
    if (confutil_leading_u64(in, &v, &end) != 0)
        goto bad;
    if (*end != '\0') {
        switch (toupper((unsigned char)*end)) {
        case 'K': mult = 1024ULL; break;
        case 'M': mult = 1024ULL * 1024; break;
        case 'G': mult = 1024ULL * 1024 * 1024; break;
        default: goto bad;
        }
        end++;
        if (*end == 'i' || *end == 'I')
            end++;
        if (*end == 'B' || *end == 'b')
            end++;
        if (*end != '\0')
            goto bad;
    }
    if (v > UINT64_MAX / mult)
        goto range;
    v *= mult;
    if (v < min || v > max)
        goto range;
    *out = v;
    return 0;
bad:
    snprintf(err, errlen, "'%s' is not a number (optionally with K, M or G)", in);
    return -1;
range:
    snprintf(err, errlen, "'%s' is out of range (%llu to %llu)", in, (unsigned long long)min,
             (unsigned long long)max);
    return -1;
}

int confutil_duration_ms(const char *in, uint64_t min_ms, uint64_t max_ms, uint64_t *out,
                         char *err, size_t errlen)
{
    uint64_t v, mult;
    const char *end;
    if (confutil_leading_u64(in, &v, &end) != 0)
        goto bad;
    if (*end == '\0' || strcmp(end, "s") == 0)
        mult = 1000;
    else if (strcmp(end, "ms") == 0)
        mult = 1;
    else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
        mult = 60 * 1000;
    else if (strcmp(end, "h") == 0)
        mult = 3600 * 1000;
    else
        goto bad;
    if (v > UINT64_MAX / mult)
        goto range;
    v *= mult;
    if (v < min_ms || v > max_ms)
        goto range;
    *out = v;
    return 0;
bad:
    snprintf(err, errlen, "'%s' is not a duration (e.g. 30s, 500ms, 5m)", in);
    return -1;
range:
    snprintf(err, errlen, "'%s' is out of range (%llu ms to %llu ms)", in,
             (unsigned long long)min_ms, (unsigned long long)max_ms);
    return -1;
}

int confutil_bool(const char *in, int *out, char *err, size_t errlen)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(yes); i++) {
        if (strcasecmp(in, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(in, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    snprintf(err, errlen, "'%s' is not yes or no", in);
    return -1;
}

int confutil_set_string(char **slot, const char *value)
{
    char *copy = strdup(value);
    if (copy == NULL)
        return -1;
    free(*slot);
    *slot = copy;
    return 0;
}

/* The file, the line being read and the caller's handler, for libinih's stream reader. */
typedef struct confutil_ini {
    FILE *f;
    int line;
    confutil_ini_fn fn;
    void *user;
} confutil_ini_t;

static char *confutil_ini_reader(char *str, int num, void *stream)
{
    confutil_ini_t *st = stream;
    char *s = fgets(str, num, st->f);
    /* A line longer than libinih's buffer comes in pieces: count the line once, at its end. */
    if (s != NULL && (strchr(s, '\n') != NULL || feof(st->f)))
        st->line++;
    return s;
}

static int confutil_ini_handler(void *user, const char *section, const char *key,
                                const char *value)
{
    confutil_ini_t *st = user;
    /* The reader has counted the line's newline already. */
    return st->fn(st->user, section, key, value, st->line);
}

int confutil_ini_file(const char *path, confutil_ini_fn fn, void *user)
{
    confutil_ini_t st = {fopen(path, "r"), 0, fn, user};
    if (st.f == NULL)
        return -1;
    int rc = ini_parse_stream(confutil_ini_reader, &st, confutil_ini_handler, &st);
    fclose(st.f);
    return rc;
}
