/*
 * record.c - validation, normalisation and the content hash of a record.
 */
#include "record.h"

#include <limits.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "fields.h"

const char *const record_nominee_kinds[] = {"individual", "collective", "household", NULL};

static const char *const record_genders[] = {"male", "female", NULL};

void record_init(record_t *r)
{
    memset(r, 0, sizeof(*r));
    r->birth_days = INT32_MIN;
}

void record_free(record_t *r)
{
    free(r->campaign);
    free(r->org_unit);
    free(r->nominee_kind);
    free(r->nominee_name);
    free(r->birth_date);
    free(r->gender);
    free(r->position);
    free(r->workplace);
    free(r->title);
    free(r->summary);
    free(r->category);
    free(r->achieved_on);
    free(r->proposed_award);
    record_init(r);
}

/* One text field: its name, where it comes from, where it goes, its rules. */
typedef struct {
    const char *field;
    size_t in_offset;  /* offset of the char * in Thidua__V1__Record */
    size_t out_offset; /* offset of the char * in record_t */
    unsigned flags;
    size_t min_chars;
    size_t max_chars;
} record_text_field_t;

/*
 * Made from the field table (fields.h). A field required for every kind may
 * not be empty here; birth_date (individuals only) is checked below, once
 * the kind is known.
 */
#define RF(id, wire, max, req, flags, sql)                                                         \
    {wire,  offsetof(Thidua__V1__Record, id), offsetof(record_t, id),                              \
     flags, (req) == FIELD_REQ_ALL ? 1 : 0,   max},

static const record_text_field_t record_text_fields[] = {THIDUA_RECORD_FIELDS(RF)};
#undef RF

static int record_in_list(const char *v, const char *const *list)
{
    for (; *list != NULL; list++) {
        if (strcmp(v, *list) == 0)
            return 1;
    }
    return 0;
}

int record_from_proto(record_t *out, const Thidua__V1__Record *in, const char *default_campaign,
                      valid_error_t *err)
{
    record_init(out);

    if (in->id == NULL || in->id[0] == '\0') {
        valid_error_set(err, "id", "missing");
        return TD_EINPUT;
    }
    int rc = valid_uuid("id", in->id, out->id, err);
    if (rc != TD_OK)
        return rc;
    if (in->revision == 0) {
        valid_error_set(err, "revision", "must be 1 or more");
        return TD_EINPUT;
    }
    out->revision = in->revision;
    out->withdrawn = in->withdrawn ? 1 : 0;

    for (size_t i = 0; i < THIDUA_ARRAY_LEN(record_text_fields); i++) {
        const record_text_field_t *f = &record_text_fields[i];
        const char *v = *(char *const *)((const char *)in + f->in_offset);
        char **slot = (char **)((char *)out + f->out_offset);
        if (v == NULL)
            v = "";
        if (f->out_offset == offsetof(record_t, campaign) && v[0] == '\0' &&
            default_campaign != NULL)
            v = default_campaign;
        text_rules_t rules = {.flags = f->flags, .min_chars = f->min_chars,
                              .max_chars = f->max_chars};
        rc = valid_text(f->field, v, strlen(v), &rules, slot, err);
        if (rc != TD_OK)
            return rc;
    }

    if (out->campaign[0] == '\0') {
        valid_error_set(err, "campaign", "missing");
        return TD_EINPUT;
    }
    if (!record_in_list(out->nominee_kind, record_nominee_kinds)) {
        valid_error_set(err, "nominee_kind", "must be individual, collective or household");
        return TD_EINPUT;
    }
    rc = valid_date("achieved_on", out->achieved_on, &out->achieved_days, err);
    if (rc != TD_OK)
        return rc;

    int individual = strcmp(out->nominee_kind, "individual") == 0;
    if (individual) {
        if (out->birth_date[0] == '\0') {
            valid_error_set(err, "birth_date", "required for an individual");
            return TD_EINPUT;
        }
        rc = valid_date("birth_date", out->birth_date, &out->birth_days, err);
        if (rc != TD_OK)
            return rc;
        if (out->birth_days >= out->achieved_days) {
            valid_error_set(err, "birth_date", "must be before achieved_on");
            return TD_EINPUT;
        }
        if (out->gender[0] != '\0' && !record_in_list(out->gender, record_genders)) {
            valid_error_set(err, "gender", "must be male, female or empty");
            return TD_EINPUT;
        }
    } else {
        /* The dossier of a collective or household has no person's details. */
        static const struct {
            const char *field;
            size_t offset;
        } personal[] = {
            {"birth_date", offsetof(record_t, birth_date)},
            {"gender", offsetof(record_t, gender)},
        };
        for (size_t i = 0; i < THIDUA_ARRAY_LEN(personal); i++) {
            const char *v = *(char *const *)((const char *)out + personal[i].offset);
            if (v[0] != '\0') {
                valid_error_set(err, personal[i].field, "only for an individual");
                return TD_EINPUT;
            }
        }
    }
    return TD_OK;
}

int record_check_campaign(const record_t *r, const Thidua__V1__Campaign *c, valid_error_t *err)
{
    if (c == NULL || c->code == NULL || strcmp(r->campaign, c->code) != 0) {
        valid_error_set(err, "campaign", "unknown campaign; this server accepts %s",
                        c != NULL && c->code != NULL ? c->code : "none");
        return TD_EINPUT;
    }

    int32_t first, last;
    if (date_parse_iso(c->starts_on, &first, NULL) != 0 ||
        date_parse_iso(c->ends_on, &last, NULL) != 0) {
        valid_error_set(err, "campaign", "the campaign's window is not known");
        return TD_EINTERNAL;
    }
    if (r->achieved_days < first || r->achieved_days > last) {
        valid_error_set(err, "achieved_on", "%s is outside the campaign (%s to %s)",
                        r->achieved_on, c->starts_on, c->ends_on);
        return TD_EINPUT;
    }

    int known = 0;
    for (size_t i = 0; i < c->n_categories && !known; i++)
        known = strcmp(c->categories[i]->code, r->category) == 0;
    if (!known) {
        char list[128] = "";
        size_t o = 0;
        for (size_t i = 0; i < c->n_categories && o < sizeof(list); i++) {
            int n = snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "",
                             c->categories[i]->code);
            if (n < 0)
                break;
            o += (size_t)n;
        }
        valid_error_set(err, "category", "unknown category; known: %s", list);
        return TD_EINPUT;
    }

    const Thidua__V1__AwardForm *form = NULL;
    for (size_t i = 0; i < c->n_award_forms && form == NULL; i++) {
        if (strcmp(c->award_forms[i]->code, r->proposed_award) == 0)
            form = c->award_forms[i];
    }
    if (form == NULL) {
        valid_error_set(err, "proposed_award", "unknown award form");
        return TD_EINPUT;
    }
    for (size_t i = 0; i < form->n_nominee_kinds; i++) {
        if (strcmp(form->nominee_kinds[i], r->nominee_kind) == 0)
            return TD_OK;
    }
    valid_error_set(err, "proposed_award", "%s cannot be given to a %s nominee", form->code,
                    r->nominee_kind);
    return TD_EINPUT;
}

static int record_hash_field(EVP_MD_CTX *md, const char *v)
{
    size_t len = strlen(v);
    uint8_t be[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
                     (uint8_t)len};
    if (EVP_DigestUpdate(md, be, sizeof(be)) != 1 || EVP_DigestUpdate(md, v, len) != 1)
        return -1;
    return 0;
}

int record_content_hash(const record_t *r, uint8_t out[RECORD_HASH_LEN])
{
    static const char domain[] = "thidua.record.v1"; /* hashed with its NUL */
    const char *fields[] = {
        r->id,       r->campaign,  r->org_unit, r->nominee_kind, r->nominee_name,
        r->birth_date, r->gender,  r->position, r->workplace,    r->title,
        r->summary,  r->category,  r->achieved_on, r->proposed_award, r->withdrawn ? "1" : "0",
    };
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md == NULL)
        return -1;
    int rc = -1;
    unsigned int len = 0;
    if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(md, domain, sizeof(domain)) != 1)
        goto done;
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(fields); i++) {
        if (record_hash_field(md, fields[i]) != 0)
            goto done;
    }
    if (EVP_DigestFinal_ex(md, out, &len) == 1 && len == RECORD_HASH_LEN)
        rc = 0;
done:
    EVP_MD_CTX_free(md);
    return rc;
}

void record_to_proto(const record_t *r, Thidua__V1__Record *out)
{
    out->id = (char *)r->id;
    out->campaign = r->campaign;
    out->org_unit = r->org_unit;
    out->nominee_kind = r->nominee_kind;
    out->nominee_name = r->nominee_name;
    out->birth_date = r->birth_date;
    out->gender = r->gender;
    out->position = r->position;
    out->workplace = r->workplace;
    out->title = r->title;
    out->summary = r->summary;
    out->category = r->category;
    out->achieved_on = r->achieved_on;
    out->proposed_award = r->proposed_award;
    out->revision = r->revision;
    out->withdrawn = r->withdrawn;
}
