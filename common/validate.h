/*
 * validate.h - field validation that says which field failed and why.
 *
 * Both ends check every field of a record: the client for a quick answer,
 * the server because it is authoritative. A failure names the field and
 * gives a short reason ("invalid UTF-8 at byte offset 7", "too long: 301
 * characters, at most 300"), in the language of the messages (i18n.h):
 * English in thiduad, which sends it in an Error frame as it is, and on
 * every --json output; the officer's language in the client. Record-level rules (campaign window, categories, awards) build on
 * these per-field checks and report through valid_error_set().
 *
 * Every function returns TD_OK, TD_EINPUT (the value is refused: *err
 * says why) or TD_EINTERNAL (out of memory, ICU failure: not the sender's
 * fault; *err says what). err may be NULL.
 */
#ifndef THIDUA_VALIDATE_H
#define THIDUA_VALIDATE_H

#include <stddef.h>
#include <stdint.h>
#include "defs.h"
#include "fields.h" /* the limits every caller passes in */
#include "text.h"
#include "uuid.h"
#include "error.h"

/*
 * Errors: negative TD_E* codes of error.h. This module returns:
 *   TD_EINPUT
 *   TD_EINTERNAL
 */

/* Most problems of one record told at once; the rest are left for the next try. */
#define VALID_PROBLEMS_MAX 8

/* One refused field. */
typedef struct {
    char field[48];   /* the field's name as the caller gave it, truncated to fit */
    char reason[320]; /* one sentence, in the language of the messages (i18n.h) */
} valid_problem_t;

/*
 * Why a value or a record was refused: the first problem in field and reason
 * (what a single check fills, and what goes on the wire), and, when a check
 * collects every problem of a record, the others in more[]. Plain data:
 * nothing to free.
 */
typedef struct {
    union {
        valid_problem_t first;
        struct {
            char field[48];
            char reason[320];
        };
    };
    size_t n_more;
    valid_problem_t more[VALID_PROBLEMS_MAX - 1];
} valid_error_t;

/* Fill *err (if not NULL) with a field name and a formatted reason, truncated to fit; no others. */
void valid_error_set(valid_error_t *err, const char *field, const char *fmt, ...)
    THIDUA_PRINTF(3, 4);

/* Empty *err (if not NULL), before a check that collects problems with valid_error_add(). */
void valid_error_clear(valid_error_t *err);

/* Add a problem to *err: the first if it has none, else one of the others (dropped when full). */
void valid_error_add(valid_error_t *err, const char *field, const char *fmt, ...)
    THIDUA_PRINTF(3, 4);

/* Add every problem of src to *dst. */
void valid_error_merge(valid_error_t *dst, const valid_error_t *src);

/* Problems in *err: 0 when clear. */
size_t valid_error_count(const valid_error_t *err);

/* Problem i of *err (0 = the first), i < valid_error_count(). */
const valid_problem_t *valid_error_at(const valid_error_t *err, size_t i);

/*
 * A text field: in[0..len) normalised by text_normalize() under rules (NULL:
 * single line, any length up to TEXT_MAX_BYTES). On TD_OK *out is the new
 * NFC string, which the caller frees; otherwise *out is NULL.
 */
THIDUA_MUSTCHECK int valid_text(const char *field, const char *in, size_t len,
                                const text_rules_t *rules, char **out, valid_error_t *err);

/* An ISO 8601 date "YYYY-MM-DD" (wire, files, command line) into a day number. */
THIDUA_MUSTCHECK int valid_date(const char *field, const char *in, int32_t *days,
                                valid_error_t *err);

/* A Vietnamese date "DD/MM/YYYY" (or "D/M/YYYY"), as spreadsheets hold them. */
THIDUA_MUSTCHECK int valid_date_vn(const char *field, const char *in, int32_t *days,
                                   valid_error_t *err);

/* A UUID in any case into its canonical lowercase form. */
THIDUA_MUSTCHECK int valid_uuid(const char *field, const char *in, char out[UUID_STR_SIZE],
                                valid_error_t *err);

#endif
