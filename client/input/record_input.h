/*
 * record_input.h - a record from what an officer typed: command-line options of
 * `add` and `edit`, or the cells of a CSV row.
 *
 * Officers write the way they are used to: "ca-nhan" or "Cá nhân" for
 * individual, "nữ" for female, 02/09/2024 for a date, "An sinh xã hội" for
 * the category whose code is ASXH. This module turns such values into what
 * the wire wants (codes, ISO dates), then validates the whole record with the
 * very code the server runs (record_from_proto, record_check_campaign) and
 * computes its content hash. One table names every field three ways: the
 * proto field, the command-line option, the CSV column headers (English and
 * Vietnamese), so that an error can name the field as the officer knows it.
 */
#ifndef THIDUA_CLIENT_RECORD_INPUT_H
#define THIDUA_CLIENT_RECORD_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "date.h"
#include "defs.h"
#include "record.h"
#include "thidua.pb-c.h"
#include "validate.h"

typedef enum {
    RECIN_KIND = 0,
    RECIN_NAME,
    RECIN_BIRTH_DATE,
    RECIN_GENDER,
    RECIN_POSITION,
    RECIN_WORKPLACE,
    RECIN_TITLE,
    RECIN_SUMMARY,
    RECIN_CATEGORY,
    RECIN_ACHIEVED_ON,
    RECIN_AWARD,
    RECIN_UNIT,
    RECIN_CAMPAIGN,
    RECIN_NFIELDS,
} recin_field_t;

/* What recin_header() says about a CSV column header besides a field. */
enum {
    RECIN_HEADER_UNKNOWN = -1,
    RECIN_HEADER_IGNORED = -2, /* notes ("Ghi chú"): read, not stored */
    RECIN_HEADER_ROWNO = -3,   /* the row number ("STT"): not stored, names the row in messages */
};

typedef struct recin_field_info {
    const char *proto;          /* the proto field: "nominee_name" */
    const char *option;         /* the command-line option: "--name" */
    const char *vi;             /* the Vietnamese CSV header the guide documents: "Họ và tên" */
    const char *const *headers; /* other CSV headers besides proto and vi, NULL-terminated */
} recin_field_info_t;

extern const recin_field_info_t recin_fields[RECIN_NFIELDS];

/* What fills the gaps and judges the record. Borrowed pointers. */
typedef struct recin_defaults {
    const Thidua__V1__Welcome *welcome; /* the saved Welcome; NULL: syntax checks only */
    const char *campaign;               /* code when the input gives none; NULL: none */
    const char *unit;                   /* code when the input gives none; NULL: none */
} recin_defaults_t;

/* The values given, converted; v[f] NULL = not given. Owns every string. */
typedef struct recin {
    char *v[RECIN_NFIELDS];
} recin_t;

void recin_init(recin_t *in);
void recin_free(recin_t *in);

/*
 * Convert raw for field f (aliases, dates in either form, category, award
 * and unit by code or by name when the Welcome lists them) and keep it. ""
 * clears an optional field. Returns 0; -1 with a sentence in why (without the
 * field's name: "2025-02-30 is not a date (day 30 does not exist in February
 * 2025)"); or -2 when out of memory. Text is not yet normalised here:
 * recin_build() does that for every field.
 */
THIDUA_MUSTCHECK int recin_set(recin_t *in, const recin_defaults_t *d, recin_field_t f,
                               const char *raw, char *why, size_t whylen);

/*
 * Build and validate a record. base is the stored content when editing
 * (borrowed; its id and revision are kept) or NULL for a new record (a new
 * id, revision 1). Fields of in replace those of base; changing the kind
 * away from individual clears a birth date and gender not given anew. Runs
 * record_from_proto (text to NFC, syntax), then, with a Welcome, the campaign
 * rules and the unit's membership in Welcome.units (new records only).
 * Returns TD_OK with *out filled (free with record_free) and hash set,
 * TD_EINPUT with err naming the proto field, or TD_EINTERNAL.
 */
THIDUA_MUSTCHECK int recin_build(const recin_t *in, const recin_defaults_t *d,
                                 const Thidua__V1__Record *base, record_t *out,
                                 uint8_t hash[RECORD_HASH_LEN], valid_error_t *err);

/* The content fields of r in recin_field_t order; "" for a field r does not hold. */
void recin_values(const Thidua__V1__Record *r, const char *v[RECIN_NFIELDS]);

/* The field of a proto field name, or -1. */
int recin_field_by_proto(const char *proto);

/*
 * The field a column header names, compared after NFC, case and diacritic
 * folding, with runs of spaces, '-', '_', '.', ',' and '/' as one space and
 * parenthesised parts left out ("HỌ VÀ TÊN", "họ và tên", "Ho va ten" are one
 * header, and so are "Ngày, tháng, năm sinh", "Ngày tháng năm sinh (dd/mm)");
 * RECIN_HEADER_ROWNO, RECIN_HEADER_IGNORED or RECIN_HEADER_UNKNOWN otherwise.
 */
int recin_header(const char *header);

/*
 * Parse an ISO (2024-09-02) or Vietnamese (02/09/2024, 2/9/2024) date into
 * iso ("" for an empty value). Returns 0, or -1 with a sentence in why.
 */
THIDUA_MUSTCHECK int recin_date(const char *raw, char iso[DATE_STR_SIZE], char *why, size_t whylen);

#endif
