/*
 * validate.h - field validation that says which field failed and why.
 *
 * Both ends check every field of a record: the client for a quick answer,
 * the server because it is authoritative. A failure names the field and
 * gives a short English reason that goes into an Error frame as it is
 * ("invalid UTF-8 at byte offset 7", "too long: 301 characters, at most
 * 300"). Record-level rules (campaign window, categories, awards) build on
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

/* Why a field was refused. Plain data: nothing to free. */
typedef struct {
    char field[48];   /* the field's name as the caller gave it, truncated to fit */
    char reason[160]; /* short English reason, ASCII unless the caller's text is not */
} valid_error_t;

/* Fill *err (if not NULL) with a field name and a formatted reason, truncated to fit. */
void valid_error_set(valid_error_t *err, const char *field, const char *fmt, ...)
    THIDUA_PRINTF(3, 4);

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
