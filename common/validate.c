/*
 * validate.c - per-field checks and their reasons.
 *
 * The modules below (text, date, uuid) report what went wrong as codes and
 * positions; this file turns them into one sentence for the sender. A reason
 * quotes the sender's input only when it is short printable ASCII, so that a
 * reason is always valid UTF-8 without control characters, whatever was sent.
 */
#include "validate.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "date.h"
#include "i18n.h"

/* Longest input a reason quotes. */
#define VALID_QUOTE_MAX 40

/* A problem's two parts, truncated to fit. */
static void problem_vset(char *field, size_t field_size, char *reason, size_t reason_size,
                         const char *name, const char *fmt, va_list ap) THIDUA_PRINTF(6, 0);
static void problem_vset(char *field, size_t field_size, char *reason, size_t reason_size,
                         const char *name, const char *fmt, va_list ap)
{
    snprintf(field, field_size, "%s", name ? name : "");
    vsnprintf(reason, reason_size, fmt, ap);
}

void valid_error_set(valid_error_t *err, const char *field, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return;
    err->n_more = 0;
    va_start(ap, fmt);
    problem_vset(err->field, sizeof(err->field), err->reason, sizeof(err->reason), field, fmt, ap);
    va_end(ap);
}

void valid_error_clear(valid_error_t *err)
{
    if (err == NULL)
        return;
    err->field[0] = '\0';
    err->reason[0] = '\0';
    err->n_more = 0;
}

void valid_error_add(valid_error_t *err, const char *field, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return;
    va_start(ap, fmt);
    if (err->reason[0] == '\0') {
        err->n_more = 0;
        problem_vset(err->field, sizeof(err->field), err->reason, sizeof(err->reason), field, fmt,
                     ap);
    } else if (err->n_more < THIDUA_ARRAY_LEN(err->more)) {
        valid_problem_t *p = &err->more[err->n_more++];
        problem_vset(p->field, sizeof(p->field), p->reason, sizeof(p->reason), field, fmt, ap);
    }
    va_end(ap);
}

void valid_error_merge(valid_error_t *dst, const valid_error_t *src)
{
    for (size_t i = 0; dst != NULL && i < valid_error_count(src); i++) {
        const valid_problem_t *p = valid_error_at(src, i);
        valid_error_add(dst, p->field, "%s", p->reason);
    }
}

size_t valid_error_count(const valid_error_t *err)
{
    return err == NULL || err->reason[0] == '\0' ? 0 : 1 + err->n_more;
}

const valid_problem_t *valid_error_at(const valid_error_t *err, size_t i)
{
    return i == 0 ? &err->first : &err->more[i - 1];
}

/* Whether in may appear in a reason between double quotes. */
static int quotable(const char *in)
{
    size_t n = 0;

    for (; in[n] != '\0'; n++) {
        if (n >= VALID_QUOTE_MAX || in[n] < 0x20 || in[n] > 0x7E || in[n] == '"' || in[n] == '\\')
            return 0;
    }
    return 1;
}

int valid_text(const char *field, const char *in, size_t len, const text_rules_t *rules, char **out,
               valid_error_t *err)
{
    text_problem_t p;
    int rc = text_normalize(in, len, rules, out, NULL, &p);

    switch (rc) {
    case TD_OK:
        return TD_OK;
    case TD_ENOMEM:
    case TD_EICU:
        valid_error_set(err, field, _("internal error: %s"), td_strerror(rc));
        return TD_EINTERNAL;
    case TD_EHUGE:
        valid_error_set(err, field, _("too long: %zu bytes, at most %u"), p.count, TEXT_MAX_BYTES);
        break;
    case TD_EUTF8:
        valid_error_set(err, field, _("invalid UTF-8 at byte offset %zu"), p.offset);
        break;
    case TD_ENUL:
        valid_error_set(err, field, _("contains a NUL byte at byte offset %zu"), p.offset);
        break;
    case TD_ECONTROL:
        valid_error_set(err, field, _("contains control character U+%04X at character %zu"),
                        (unsigned)p.cp, p.index);
        break;
    case TD_ELINEBREAK:
        valid_error_set(err, field,
                        _("contains a line break (U+%04X) at character %zu; this field is one line"),
                        (unsigned)p.cp, p.index);
        break;
    case TD_ENONCHAR:
        valid_error_set(err, field, _("contains noncharacter U+%04X at character %zu"), (unsigned)p.cp,
                        p.index);
        break;
    case TD_EBIDI:
        valid_error_set(err, field, _("contains bidirectional control U+%04X at character %zu"),
                        (unsigned)p.cp, p.index);
        break;
    case TD_EEMPTY:
        valid_error_set(err, field, _("empty"));
        break;
    case TD_ESHORT:
        valid_error_set(err, field,
                        ngettext("too short: %zu character, at least %zu",
                                 "too short: %zu characters, at least %zu", p.count),
                        p.count, rules ? rules->min_chars : 0);
        break;
    case TD_ELONG:
        valid_error_set(err, field,
                        ngettext("too long: %zu character, at most %zu",
                                 "too long: %zu characters, at most %zu", p.count),
                        p.count, rules ? rules->max_chars : 0);
        break;
    default:
        valid_error_set(err, field, _("internal error: %s"), td_strerror(rc));
        return TD_EINTERNAL;
    }
    return TD_EINPUT;
}

static const char *const month_names[12] = {
    N_("January"), N_("February"), N_("March"),     N_("April"),   N_("May"),      N_("June"),
    N_("July"),    N_("August"),   N_("September"), N_("October"), N_("November"), N_("December"),
};

/* The reason for a date the parser refused; shape names the expected form. */
static int date_refused(const char *field, const char *in, int rc, const date_ymd_t *t,
                        const char *shape, valid_error_t *err)
{
    switch (rc) {
    case TD_EYEAR:
        valid_error_set(err, field, _("not a date: %s (year %d is outside %d-%d)"), in, t->year,
                        DATE_MIN_YEAR, DATE_MAX_YEAR);
        break;
    case TD_EMONTH:
        valid_error_set(err, field, _("not a date: %s (there is no month %d)"), in, t->month);
        break;
    case TD_EDAY:
        if (t->day == 0)
            valid_error_set(err, field, _("not a date: %s (there is no day 0)"), in);
        else
            valid_error_set(err, field, _("not a date: %s (day %d does not exist in %s %d)"), in,
                            t->day, _(month_names[t->month - 1]), t->year);
        break;
    default:
        if (in[0] == '\0')
            valid_error_set(err, field, _("empty, expected %s"), shape);
        else if (quotable(in))
            valid_error_set(err, field, _("expected %s, got \"%s\""), shape, in);
        else
            valid_error_set(err, field, _("expected %s"), shape);
        break;
    }
    return TD_EINPUT;
}

/*
 * Only a string of the expected shape gets past TD_EFORMAT, so the reasons
 * for year, month and day quote it safely: it is digits and separators.
 */
int valid_date(const char *field, const char *in, int32_t *days, valid_error_t *err)
{
    date_ymd_t t;
    int rc = date_parse_iso(in, days, &t);

    if (rc == TD_OK)
        return TD_OK;
    return date_refused(field, in, rc, &t, "YYYY-MM-DD", err);
}

int valid_date_vn(const char *field, const char *in, int32_t *days, valid_error_t *err)
{
    date_ymd_t t;
    int rc = date_parse_vn(in, days, &t);

    if (rc == TD_OK)
        return TD_OK;
    return date_refused(field, in, rc, &t, "DD/MM/YYYY", err);
}

int valid_uuid(const char *field, const char *in, char out[UUID_STR_SIZE], valid_error_t *err)
{
    size_t pos = 0, n;

    if (uuid_parse(in, out, &pos) == TD_OK)
        return TD_OK;
    n = strnlen(in, UUID_STR_LEN + 1);
    if (n == 0)
        valid_error_set(err, field, _("empty, expected a UUID"));
    else if (n > UUID_STR_LEN)
        valid_error_set(err, field, _("not a UUID: more than %d characters"), UUID_STR_LEN);
    else if (n < UUID_STR_LEN)
        valid_error_set(err, field,
                        ngettext("not a UUID: %zu character, expected %d",
                                 "not a UUID: %zu characters, expected %d", n),
                        n, UUID_STR_LEN);
    else if (pos == 8 || pos == 13 || pos == 18 || pos == 23)
        valid_error_set(err, field, _("not a UUID: expected '-' at character %zu"), pos + 1);
    else
        valid_error_set(err, field, _("not a UUID: expected a hexadecimal digit at character %zu"),
                        pos + 1);
    return TD_EINPUT;
}
