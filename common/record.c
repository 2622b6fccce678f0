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
#include "i18n.h"

const char *const record_nominee_kinds[] = {"individual", "collective", "household", NULL};

static const char *const record_genders[] = {"male", "female", NULL};

const char *record_kind_label(const char *kind)
{
    static const struct {
        const char *kind, *label;
    } labels[] = {
        {"individual", N_("individual")},
        {"collective", N_("collective")},
        {"household", N_("household")},
    };
    for (size_t i = 0; kind != NULL && i < THIDUA_ARRAY_LEN(labels); i++) {
        if (strcmp(labels[i].kind, kind) == 0)
            return _(labels[i].label);
    }
    return kind != NULL ? kind : "";
}

const char *record_gender_label(const char *gender)
{
    static const struct {
        const char *gender, *label;
    } labels[] = {
        {"male", N_("male")},
        {"female", N_("female")},
    };
    for (size_t i = 0; gender != NULL && i < THIDUA_ARRAY_LEN(labels); i++) {
        if (strcmp(labels[i].gender, gender) == 0)
            return _(labels[i].label);
    }
    return gender != NULL ? gender : "";
}

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

/* Record-level rules refuse with a problem and go on, so that an officer sees them all. */
int record_from_proto(record_t *out, const Thidua__V1__Record *in, const char *default_campaign,
                      valid_error_t *err)
{
    record_init(out);
    valid_error_clear(err);
    int bad = 0;

    if (in->id == NULL || in->id[0] == '\0') {
        valid_error_add(err, "id", _("missing"));
        bad = 1;
    } else {
        valid_error_t one;
        if (valid_uuid("id", in->id, out->id, &one) != TD_OK) {
            valid_error_merge(err, &one);
            bad = 1;
        }
    }
    if (in->revision == 0) {
        valid_error_add(err, "revision", _("must be 1 or more"));
        bad = 1;
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
        valid_error_t one;
        int rc = valid_text(f->field, v, strlen(v), &rules, slot, &one);
        if (rc == TD_EINTERNAL) {
            valid_error_set(err, one.field, "%s", one.reason);
            return rc;
        }
        if (rc != TD_OK) {
            valid_error_merge(err, &one);
            bad = 1;
        }
    }

    if (out->campaign != NULL && out->campaign[0] == '\0') {
        valid_error_add(err, "campaign", _("missing"));
        bad = 1;
    }
    if (out->nominee_kind != NULL && !record_in_list(out->nominee_kind, record_nominee_kinds)) {
        valid_error_add(err, "nominee_kind", _("must be individual, collective or household"));
        bad = 1;
    }
    int achieved_ok = 0;
    if (out->achieved_on != NULL) {
        valid_error_t one;
        if (valid_date("achieved_on", out->achieved_on, &out->achieved_days, &one) == TD_OK) {
            achieved_ok = 1;
        } else {
            valid_error_merge(err, &one);
            bad = 1;
        }
    }

    int individual = out->nominee_kind != NULL && strcmp(out->nominee_kind, "individual") == 0;
    if (individual) {
        if (out->birth_date != NULL && out->birth_date[0] == '\0') {
            valid_error_add(err, "birth_date", _("required for an individual"));
            bad = 1;
        } else if (out->birth_date != NULL) {
            valid_error_t one;
            if (valid_date("birth_date", out->birth_date, &out->birth_days, &one) != TD_OK) {
                valid_error_merge(err, &one);
                bad = 1;
            } else if (achieved_ok && out->birth_days >= out->achieved_days) {
                valid_error_add(err, "birth_date", _("must be before the date achieved"));
                bad = 1;
            }
        }
        if (out->gender != NULL && out->gender[0] != '\0' &&
            !record_in_list(out->gender, record_genders)) {
            valid_error_add(err, "gender", _("must be male, female or empty"));
            bad = 1;
        }
    } else if (out->nominee_kind != NULL) {
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
            if (v != NULL && v[0] != '\0') {
                valid_error_add(err, personal[i].field, _("only for an individual"));
                bad = 1;
            }
        }
    }
    return bad ? TD_EINPUT : TD_OK;
}

/* "code (name), code (name), ..." of a campaign's categories, cut to fit out. */
static void record_category_list(const Thidua__V1__Campaign *c, char *out, size_t size)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < c->n_categories && o < size; i++) {
        const Thidua__V1__Category *k = c->categories[i];
        int n = k->name != NULL && k->name[0] != '\0'
                    ? snprintf(out + o, size - o, "%s%s (%s)", i ? ", " : "", k->code, k->name)
                    : snprintf(out + o, size - o, "%s%s", i ? ", " : "", k->code);
        if (n < 0)
            break;
        o += (size_t)n;
    }
}

const Thidua__V1__Category *record_campaign_category(const Thidua__V1__Campaign *c,
                                                     const char *code)
{
    for (size_t i = 0; c != NULL && code != NULL && i < c->n_categories; i++) {
        if (strcmp(c->categories[i]->code, code) == 0)
            return c->categories[i];
    }
    return NULL;
}

const Thidua__V1__AwardForm *record_campaign_form(const Thidua__V1__Campaign *c, const char *code)
{
    for (size_t i = 0; c != NULL && code != NULL && i < c->n_award_forms; i++) {
        if (strcmp(c->award_forms[i]->code, code) == 0)
            return c->award_forms[i];
    }
    return NULL;
}

const Thidua__V1__Campaign *record_campaign_find(Thidua__V1__Campaign *const *list, size_t n,
                                                 const char *code)
{
    for (size_t i = 0; code != NULL && i < n; i++) {
        if (list[i] != NULL && list[i]->code != NULL && strcmp(list[i]->code, code) == 0)
            return list[i];
    }
    return NULL;
}

size_t record_welcome_campaigns(const Thidua__V1__Welcome *w, Thidua__V1__Campaign *const **list)
{
    *list = NULL;
    if (w == NULL)
        return 0;
    if (w->n_campaigns > 0) {
        *list = w->campaigns;
        return w->n_campaigns;
    }
    /* A server older than Welcome.campaigns: its one campaign. */
    *list = &w->campaign;
    return w->campaign != NULL ? 1 : 0;
}

const Thidua__V1__Campaign *record_welcome_campaign(const Thidua__V1__Welcome *w,
                                                    const char *code)
{
    if (w == NULL)
        return NULL;
    if (code == NULL || code[0] == '\0')
        return w->campaign;
    Thidua__V1__Campaign *const *list;
    size_t n = record_welcome_campaigns(w, &list);
    return record_campaign_find(list, n, code);
}

int record_check_campaigns(const record_t *r, Thidua__V1__Campaign *const *list, size_t n,
                           valid_error_t *err)
{
    const Thidua__V1__Campaign *c = record_campaign_find(list, n, r->campaign);
    if (c != NULL)
        return record_check_campaign(r, c, err);
    char codes[240];
    size_t o = 0;
    codes[0] = '\0';
    for (size_t i = 0; i < n && o < sizeof(codes); i++) {
        int k = snprintf(codes + o, sizeof(codes) - o, "%s%s", i ? ", " : "", list[i]->code);
        if (k < 0)
            break;
        o += (size_t)k;
    }
    valid_error_add(err, "campaign", _("unknown campaign \"%s\"; this server accepts %s"),
                    r->campaign != NULL ? r->campaign : "", n > 0 ? codes : "-");
    return TD_EINPUT;
}

int record_check_campaign(const record_t *r, const Thidua__V1__Campaign *c, valid_error_t *err)
{
    int bad = 0;
    if (c == NULL || c->code == NULL || r->campaign == NULL || strcmp(r->campaign, c->code) != 0) {
        valid_error_add(err, "campaign", _("unknown campaign; this server accepts %s"),
                        c != NULL && c->code != NULL ? c->code : "-");
        return TD_EINPUT;
    }

    int32_t first, last;
    if (date_parse_iso(c->starts_on, &first, NULL) != 0 ||
        date_parse_iso(c->ends_on, &last, NULL) != 0) {
        valid_error_set(err, "campaign", _("the campaign's window is not known"));
        return TD_EINTERNAL;
    }
    int32_t achieved;
    if (r->achieved_on != NULL && date_parse_iso(r->achieved_on, &achieved, NULL) == TD_OK &&
        (achieved < first || achieved > last)) {
        char on[DATE_STR_SIZE], from[DATE_STR_SIZE], to[DATE_STR_SIZE];
        if (date_format_vn(achieved, on) != TD_OK || date_format_vn(first, from) != TD_OK ||
            date_format_vn(last, to) != TD_OK)
            return TD_EINTERNAL;
        valid_error_add(err, "achieved_on", _("%s is outside the campaign (%s to %s)"), on, from,
                        to);
        bad = 1;
    }

    if (r->category != NULL && record_campaign_category(c, r->category) == NULL) {
        char list[240];
        record_category_list(c, list, sizeof(list));
        valid_error_add(err, "category", _("unknown category \"%s\"; one of: %s"), r->category,
                        list);
        bad = 1;
    }

    const Thidua__V1__AwardForm *form = record_campaign_form(c, r->proposed_award);
    if (r->proposed_award != NULL && form == NULL) {
        valid_error_add(err, "proposed_award", _("unknown award form \"%s\""), r->proposed_award);
        return TD_EINPUT;
    }
    if (form == NULL || r->nominee_kind == NULL)
        return bad ? TD_EINPUT : TD_OK;
    for (size_t i = 0; i < form->n_nominee_kinds; i++) {
        if (strcmp(form->nominee_kinds[i], r->nominee_kind) == 0)
            return bad ? TD_EINPUT : TD_OK;
    }
    valid_error_add(err, "proposed_award", _("%s (%s) cannot be given to a %s"),
                    form->name != NULL && form->name[0] ? form->name : form->code, form->code,
                    record_kind_label(r->nominee_kind));
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
