/*
 * record.h - one nomination as both programs validate, normalise and hash it.
 *
 * A record arrives as a Thidua__V1__Record (from the wire, the store or the
 * command line). record_from_proto() turns it into a record_t whose text is
 * NFC, trimmed and within the limits of fields.h, and whose dates and codes
 * have the right syntax, or says which field is wrong and why.
 * record_check_campaign() then applies the campaign's rules (window,
 * categories, award forms per nominee kind), which need the campaign as the
 * server describes it in Welcome.
 * record_content_hash() is the canonical SHA-256 of docs/protocol.md.
 *
 * The server is authoritative; the client runs the same code first so that
 * an officer hears about a mistake before the record travels.
 */
#ifndef THIDUA_RECORD_H
#define THIDUA_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "defs.h"
#include "fields.h"
#include "thidua.pb-c.h"
#include "uuid.h"
#include "validate.h"

#define RECORD_HASH_LEN 32

/*
 * A validated record. Owns every string (malloc'd, never NULL after a
 * successful record_from_proto: absent text is ""); free with record_free().
 */
typedef struct record {
    char id[UUID_STR_SIZE];
    char *campaign;
    char *org_unit;
    char *nominee_kind; /* "individual", "collective" or "household" */
    char *nominee_name;
    char *birth_date; /* "YYYY-MM-DD" or "" */
    char *gender;     /* "male", "female" or "" */
    char *position;
    char *workplace;
    char *title;
    char *summary;
    char *category;
    char *achieved_on; /* "YYYY-MM-DD" */
    char *proposed_award;
    uint32_t revision;
    int withdrawn;
    int32_t achieved_days; /* achieved_on as a day number */
    int32_t birth_days;    /* birth_date as a day number, or INT32_MIN */
} record_t;

/* A nominee kind as people say it ("cá nhân" for individual); the code itself if unknown. */
const char *record_kind_label(const char *kind);
/* A gender as people say it ("nữ" for female); the code itself if unknown. */
const char *record_gender_label(const char *gender);

/* Zero a record so that record_free() is safe on it. */
void record_init(record_t *r);
void record_free(record_t *r);

/*
 * Validate and normalise every content field of in. default_campaign is used
 * when in->campaign is empty (may be NULL). On TD_EINPUT, err names the
 * field (the proto field name) and the reason; out is left freeable.
 */
THIDUA_MUSTCHECK int record_from_proto(record_t *out, const Thidua__V1__Record *in,
                                       const char *default_campaign, valid_error_t *err);

/*
 * The campaign's rules: campaign code, achieved_on inside the window, a known
 * category, a known award form that allows the nominee kind.
 */
THIDUA_MUSTCHECK int record_check_campaign(const record_t *r, const Thidua__V1__Campaign *c,
                                           valid_error_t *err);

/* The category or award form of campaign c with that code, or NULL (c may be NULL). */
const Thidua__V1__Category *record_campaign_category(const Thidua__V1__Campaign *c,
                                                     const char *code);
const Thidua__V1__AwardForm *record_campaign_form(const Thidua__V1__Campaign *c, const char *code);

/* The campaign of list with that code, or NULL. */
const Thidua__V1__Campaign *record_campaign_find(Thidua__V1__Campaign *const *list, size_t n,
                                                 const char *code);

/*
 * The campaigns a Welcome offers, in *list: Welcome.campaigns, or from a
 * server older than that field its one Welcome.campaign. Returns how many.
 */
size_t record_welcome_campaigns(const Thidua__V1__Welcome *w, Thidua__V1__Campaign *const **list);

/*
 * The campaign of w a record of campaign `code` is checked against:
 * Welcome.campaign for an empty code, else the one of that code; NULL when w
 * offers none.
 */
const Thidua__V1__Campaign *record_welcome_campaign(const Thidua__V1__Welcome *w,
                                                    const char *code);

/*
 * record_check_campaign() against the campaign of list that r->campaign
 * names; one the list does not hold is TD_EINPUT (field "campaign", naming
 * the codes accepted).
 */
THIDUA_MUSTCHECK int record_check_campaigns(const record_t *r, Thidua__V1__Campaign *const *list,
                                            size_t n, valid_error_t *err);

/* SHA-256 of the canonical content (docs/protocol.md, "Content hash"). */
THIDUA_MUSTCHECK int record_content_hash(const record_t *r, uint8_t out[RECORD_HASH_LEN]);

/*
 * Point the content fields of out at r's strings (borrowed: out must not
 * outlive r) and set revision and withdrawn. Server-set fields are untouched.
 */
void record_to_proto(const record_t *r, Thidua__V1__Record *out);

/* "individual" and the two others; NULL-terminated. */
extern const char *const record_nominee_kinds[];

#endif
