/*
 * record_input.c - officers' values into a validated record.
 *
 * Aliases are matched on text_fold_loose() keys with '-', '_' and '.' read
 * as spaces, so "ca-nhan", "Cá nhân" and "CA_NHAN" are one word. Category,
 * award form and unit may be given by code or by name, but only a name the
 * saved Welcome lists is turned into a code: without a Welcome the value goes
 * on as typed and the server judges it at sync.
 */
#include "record_input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "text.h"

#define H(...) ((const char *const[]){__VA_ARGS__, NULL})

const recin_field_info_t recin_fields[RECIN_NFIELDS] = {
    [RECIN_KIND] = {"nominee_kind", "--kind", "Loại", H("kind", "Loại đối tượng", "Đối tượng")},
    [RECIN_NAME] = {"nominee_name", "--name", "Họ và tên",
                    H("name", "Họ tên", "Tên", "Tên tập thể", "Tên đối tượng",
                      "Họ và tên/Tên tập thể", "Họ tên/Tên tập thể", "Tên cá nhân/tập thể")},
    [RECIN_BIRTH_DATE] = {"birth_date", "--birth-date", "Ngày sinh",
                          H("Ngày tháng năm sinh", "Sinh ngày")},
    [RECIN_GENDER] = {"gender", "--gender", "Giới tính", H("Phái", "Nam/Nữ")},
    [RECIN_POSITION] = {"position", "--position", "Chức vụ",
                        H("Chức danh", "Chức vụ/Chức danh")},
    [RECIN_WORKPLACE] = {"workplace", "--workplace", "Đơn vị công tác",
                         H("Nơi công tác", "Cơ quan, đơn vị")},
    [RECIN_TITLE] = {"title", "--title", "Thành tích",
                     H("Tóm tắt thành tích", "Thành tích đạt được")},
    [RECIN_SUMMARY] = {"summary", "--summary", "Báo cáo thành tích",
                       H("Nội dung báo cáo", "Nội dung thành tích")},
    [RECIN_CATEGORY] = {"category", "--category", "Lĩnh vực",
                        H("Nội dung thi đua", "Lĩnh vực thi đua")},
    [RECIN_ACHIEVED_ON] = {"achieved_on", "--achieved-on", "Ngày đạt",
                           H("Ngày đạt thành tích", "Thời gian đạt")},
    [RECIN_AWARD] = {"proposed_award", "--award", "Hình thức khen thưởng",
                     H("award", "Hình thức đề nghị", "Đề nghị khen thưởng",
                       "Hình thức khen thưởng đề nghị", "Hình thức đề nghị khen thưởng")},
    [RECIN_UNIT] = {"org_unit", "--unit", "Mã đơn vị", H("unit", "Đơn vị đề nghị")},
    [RECIN_CAMPAIGN] = {"campaign", "--campaign", "Đợt thi đua", H("Mã đợt thi đua")},
};

/* The row-number column, whose value names a row in messages, and notes: read, not stored. */
static const char *const recin_rowno_headers[] = {
    "STT", "TT", "Số TT", "Số thứ tự", "No", NULL,
};
static const char *const recin_ignored_headers[] = {
    "Ghi chú", "note", "notes", NULL,
};

typedef struct {
    const char *value;
    const char *const *aliases; /* already folded (recin_fold) */
} recin_alias_t;

static const recin_alias_t recin_kinds[] = {
    {"individual", H("individual", "ca nhan")},
    {"collective", H("collective", "tap the")},
    {"household", H("household", "ho gia dinh")},
};

static const recin_alias_t recin_genders[] = {
    {"male", H("male", "nam")},
    {"female", H("female", "nu")},
};

void recin_init(recin_t *in)
{
    memset(in, 0, sizeof(*in));
}

void recin_free(recin_t *in)
{
    for (size_t i = 0; i < RECIN_NFIELDS; i++)
        free(in->v[i]);
    recin_init(in);
}

int recin_field_by_proto(const char *proto)
{
    for (int i = 0; i < RECIN_NFIELDS; i++) {
        if (strcmp(recin_fields[i].proto, proto) == 0)
            return i;
    }
    return -1;
}

/*
 * Loose key of s with '-', '_', '.', ',' and '/' as spaces, so that "Ngày,
 * tháng, năm sinh" and "Ngày tháng năm sinh" are one; NULL if s is not UTF-8
 * (or no memory).
 */
static char *recin_fold(const char *s)
{
    char *f = NULL;
    if (text_fold_loose(s, strlen(s), &f) != TD_OK)
        return NULL;
    size_t n = 0;
    int space = 1;
    for (const char *p = f; *p; p++) {
        char c = strchr("-_.,/", *p) != NULL ? ' ' : *p;
        if (c == ' ' && space)
            continue;
        space = c == ' ';
        f[n++] = c;
    }
    if (n > 0 && f[n - 1] == ' ')
        n--;
    f[n] = '\0';
    return f;
}

/* Whether the folded key equals the key of alias. */
static int recin_same(const char *folded, const char *alias)
{
    char *fa = recin_fold(alias);
    int same = fa != NULL && strcmp(folded, fa) == 0;
    free(fa);
    return same;
}

/* A copy of a header without its parenthesised parts ("Ngày sinh (dd/mm/yyyy)"); NULL: no memory. */
static char *recin_unbracket(const char *header)
{
    char *h = strdup(header);
    if (h == NULL)
        return NULL;
    size_t n = 0;
    int depth = 0;
    for (const char *p = header; *p; p++) {
        if (*p == '(')
            depth++;
        else if (*p == ')' && depth > 0)
            depth--;
        else if (depth == 0)
            h[n++] = *p;
    }
    h[n] = '\0';
    return h;
}

static int recin_in(const char *folded, const char *const *list)
{
    for (const char *const *h = list; *h; h++) {
        if (recin_same(folded, *h))
            return 1;
    }
    return 0;
}

int recin_header(const char *header)
{
    char *bare = recin_unbracket(header);
    char *f = bare != NULL ? recin_fold(bare) : NULL;
    free(bare);
    if (f == NULL)
        return RECIN_HEADER_UNKNOWN;
    int found = RECIN_HEADER_UNKNOWN;
    for (int i = 0; i < RECIN_NFIELDS && found == RECIN_HEADER_UNKNOWN; i++) {
        if (recin_same(f, recin_fields[i].proto) || recin_same(f, recin_fields[i].vi) ||
            recin_in(f, recin_fields[i].headers))
            found = i;
    }
    if (found == RECIN_HEADER_UNKNOWN && recin_in(f, recin_rowno_headers))
        found = RECIN_HEADER_ROWNO;
    if (found == RECIN_HEADER_UNKNOWN && recin_in(f, recin_ignored_headers))
        found = RECIN_HEADER_IGNORED;
    free(f);
    return found;
}

/* A copy of s without ASCII white space at either end; NULL when out of memory. */
static char *recin_trim(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    return strndup(s, n);
}

static const char *const recin_months[12] = {
    N_("January"), N_("February"), N_("March"),     N_("April"),   N_("May"),      N_("June"),
    N_("July"),    N_("August"),   N_("September"), N_("October"), N_("November"), N_("December"),
};

/* Whether s may be quoted in a message: short printable ASCII. */
static int recin_quotable(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        if (n >= 40 || s[n] < 0x20 || s[n] > 0x7E || s[n] == '"')
            return 0;
    }
    return 1;
}

int recin_date(const char *raw, char iso[DATE_STR_SIZE], char *why, size_t whylen)
{
    char s[64];
    size_t n = 0;
    iso[0] = '\0';
    while (*raw == ' ' || *raw == '\t')
        raw++;
    for (; raw[n] && n < sizeof(s) - 1; n++)
        s[n] = raw[n];
    if (raw[n] != '\0')
        n = sizeof(s) - 1; /* too long to be a date; the parser says so */
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    s[n] = '\0';
    if (n == 0)
        return 0;

    int32_t days;
    date_ymd_t t = {0, 0, 0};
    int rc = strchr(s, '/') != NULL ? date_parse_vn(s, &days, &t) : date_parse_iso(s, &days, &t);
    if (rc == TD_OK && date_format_iso(days, iso) == TD_OK)
        return 0;
    /* Past TD_EFORMAT the string has a date's shape: digits and separators, safe to quote. */
    switch (rc) {
    case TD_EDAY:
        if (t.day == 0)
            snprintf(why, whylen, _("%s is not a date (there is no day 0)"), s);
        else
            snprintf(why, whylen, _("%s is not a date (day %d does not exist in %s %d)"), s, t.day,
                     _(recin_months[t.month - 1]), t.year);
        break;
    case TD_EMONTH:
        snprintf(why, whylen, _("%s is not a date (there is no month %d)"), s, t.month);
        break;
    case TD_EYEAR:
        snprintf(why, whylen, _("%s is not a date (year %d is outside %d-%d)"), s, t.year,
                 DATE_MIN_YEAR, DATE_MAX_YEAR);
        break;
    default:
        if (recin_quotable(s))
            snprintf(why, whylen, _("expected a date as YYYY-MM-DD or DD/MM/YYYY, got \"%s\""), s);
        else
            snprintf(why, whylen, "%s", _("expected a date as YYYY-MM-DD or DD/MM/YYYY"));
        break;
    }
    return -1;
}

/*
 * The value whose alias raw is, or NULL. Text that is not UTF-8 matches
 * nothing (nor does anything when out of memory).
 */
static const char *recin_alias(const char *raw, const recin_alias_t *list, size_t n)
{
    char *f = recin_fold(raw);
    if (f == NULL)
        return NULL;
    const char *found = NULL;
    for (size_t i = 0; i < n && found == NULL; i++) {
        for (const char *const *a = list[i].aliases; *a && found == NULL; a++) {
            if (strcmp(f, *a) == 0)
                found = list[i].value;
        }
    }
    free(f);
    return found;
}

/* Codes and names of the things a field may name: a campaign's, or the Welcome's units. */
typedef struct {
    size_t n;
    const char *(*code)(const void *src, size_t i);
    const char *(*name)(const void *src, size_t i);
    const void *src;
} recin_list_t;

static const char *cat_code(const void *c, size_t i)
{
    return ((const Thidua__V1__Campaign *)c)->categories[i]->code;
}
static const char *cat_name(const void *c, size_t i)
{
    return ((const Thidua__V1__Campaign *)c)->categories[i]->name;
}
static const char *form_code(const void *c, size_t i)
{
    return ((const Thidua__V1__Campaign *)c)->award_forms[i]->code;
}
static const char *form_name(const void *c, size_t i)
{
    return ((const Thidua__V1__Campaign *)c)->award_forms[i]->name;
}
static const char *unit_code(const void *w, size_t i)
{
    return ((const Thidua__V1__Welcome *)w)->units[i]->code;
}
static const char *unit_name(const void *w, size_t i)
{
    return ((const Thidua__V1__Welcome *)w)->units[i]->name;
}

/*
 * The code raw names (as a code in any case, or by its name), or NULL.
 * Categories and forms are those of the campaign the record names so far
 * (campaign; NULL or "": the Welcome's default).
 */
static const char *recin_code(const Thidua__V1__Welcome *w, const char *campaign, recin_field_t f,
                              const char *raw)
{
    recin_list_t l = {0, NULL, NULL, NULL};
    if (w == NULL)
        return NULL;
    const Thidua__V1__Campaign *c = record_welcome_campaign(w, campaign);
    if (f == RECIN_UNIT) {
        l = (recin_list_t){w->n_units, unit_code, unit_name, w};
    } else if (c != NULL && f == RECIN_CATEGORY) {
        l = (recin_list_t){c->n_categories, cat_code, cat_name, c};
    } else if (c != NULL && f == RECIN_AWARD) {
        l = (recin_list_t){c->n_award_forms, form_code, form_name, c};
    }
    for (size_t i = 0; i < l.n; i++) {
        if (strcasecmp(l.code(l.src, i), raw) == 0)
            return l.code(l.src, i);
    }
    char *fr = recin_fold(raw);
    const char *found = NULL;
    for (size_t i = 0; fr != NULL && fr[0] != '\0' && i < l.n && found == NULL; i++) {
        if (recin_same(fr, l.name(l.src, i)))
            found = l.code(l.src, i);
    }
    free(fr);
    return found;
}

int recin_set(recin_t *in, const recin_defaults_t *d, recin_field_t f, const char *raw, char *why,
              size_t whylen)
{
    char *t = recin_trim(raw);
    if (t == NULL)
        return -2;
    const char *v = t;
    char iso[DATE_STR_SIZE];
    int rc = 0;
    if (t[0] == '\0') {
        /* An empty value clears the field; record_from_proto says if it may not be empty. */
    } else if (f == RECIN_KIND) {
        v = recin_alias(t, recin_kinds, THIDUA_ARRAY_LEN(recin_kinds));
        if (v == NULL) {
            snprintf(why, whylen, "%s",
                     _("must be individual, collective or household "
                       "(cá nhân, tập thể, hộ gia đình)"));
            rc = -1;
        }
    } else if (f == RECIN_GENDER) {
        v = recin_alias(t, recin_genders, THIDUA_ARRAY_LEN(recin_genders));
        if (v == NULL) {
            snprintf(why, whylen, "%s", _("must be male or female (nam, nữ), or empty"));
            rc = -1;
        }
    } else if (f == RECIN_BIRTH_DATE || f == RECIN_ACHIEVED_ON) {
        rc = recin_date(t, iso, why, whylen);
        v = iso;
    } else if (f == RECIN_CATEGORY || f == RECIN_AWARD || f == RECIN_UNIT) {
        const char *campaign = in->v[RECIN_CAMPAIGN] != NULL ? in->v[RECIN_CAMPAIGN] : d->campaign;
        const char *code = recin_code(d->welcome, campaign, f, t);
        if (code != NULL)
            v = code;
    } else {
        v = raw; /* text keeps its own spacing: record_from_proto trims Unicode spaces */
    }
    if (rc == 0) {
        char *copy = strdup(v);
        if (copy == NULL) {
            rc = -2;
        } else {
            free(in->v[f]);
            in->v[f] = copy;
        }
    }
    free(t);
    return rc;
}

/* Whether the unit is one the Welcome lets this certificate write for. */
static int recin_unit_allowed(const Thidua__V1__Welcome *w, const char *unit, valid_error_t *err)
{
    if (w->n_units == 0) {
        if (w->org_unit == NULL || w->org_unit[0] == '\0' || strcmp(w->org_unit, unit) == 0)
            return TD_OK;
        valid_error_add(err, "org_unit", _("%s is not this office's unit (%s)"), unit, w->org_unit);
        return TD_EINPUT;
    }
    char list[120] = "";
    size_t o = 0;
    for (size_t i = 0; i < w->n_units; i++) {
        if (strcmp(w->units[i]->code, unit) == 0)
            return TD_OK;
        if (o < sizeof(list)) {
            int n = snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "", w->units[i]->code);
            if (n > 0)
                o += (size_t)n;
        }
    }
    valid_error_add(err, "org_unit", _("%s is not a unit this certificate may write for (%s)"),
                    unit, list);
    return TD_EINPUT;
}

void recin_values(const Thidua__V1__Record *r, const char *v[RECIN_NFIELDS])
{
    v[RECIN_KIND] = r->nominee_kind;
    v[RECIN_NAME] = r->nominee_name;
    v[RECIN_BIRTH_DATE] = r->birth_date;
    v[RECIN_GENDER] = r->gender;
    v[RECIN_POSITION] = r->position;
    v[RECIN_WORKPLACE] = r->workplace;
    v[RECIN_TITLE] = r->title;
    v[RECIN_SUMMARY] = r->summary;
    v[RECIN_CATEGORY] = r->category;
    v[RECIN_ACHIEVED_ON] = r->achieved_on;
    v[RECIN_AWARD] = r->proposed_award;
    v[RECIN_UNIT] = r->org_unit;
    v[RECIN_CAMPAIGN] = r->campaign;
    for (size_t i = 0; i < RECIN_NFIELDS; i++) {
        if (v[i] == NULL)
            v[i] = "";
    }
}

int recin_build(const recin_t *in, const recin_defaults_t *d, const Thidua__V1__Record *base,
                record_t *out, uint8_t hash[RECORD_HASH_LEN], valid_error_t *err)
{
    record_init(out);
    const char *v[RECIN_NFIELDS];
    char id[UUID_STR_SIZE];
    Thidua__V1__Record p = THIDUA__V1__RECORD__INIT;
    if (base != NULL) {
        recin_values(base, v);
        p.id = base->id;
        p.revision = base->revision > 0 ? base->revision : 1;
        p.withdrawn = base->withdrawn;
        if (in->v[RECIN_KIND] != NULL && strcmp(in->v[RECIN_KIND], "individual") != 0) {
            /* A collective or a household has no birth date or gender. */
            v[RECIN_BIRTH_DATE] = "";
            v[RECIN_GENDER] = "";
        }
    } else {
        for (size_t i = 0; i < RECIN_NFIELDS; i++)
            v[i] = "";
        if (uuid_v4(id) != TD_OK) {
            valid_error_set(err, "id", "the random generator failed");
            return TD_EINTERNAL;
        }
        p.id = id;
        p.revision = 1;
    }
    for (size_t i = 0; i < RECIN_NFIELDS; i++) {
        if (in->v[i] != NULL)
            v[i] = in->v[i];
        if (v[i] == NULL)
            v[i] = "";
    }
    if (v[RECIN_UNIT][0] == '\0' && d->unit != NULL)
        v[RECIN_UNIT] = d->unit;
    if (v[RECIN_UNIT][0] == '\0') {
        valid_error_set(err, "org_unit", "missing: no unit is known yet for this office");
        return TD_EINPUT;
    }
    p.campaign = (char *)v[RECIN_CAMPAIGN];
    p.org_unit = (char *)v[RECIN_UNIT];
    p.nominee_kind = (char *)v[RECIN_KIND];
    p.nominee_name = (char *)v[RECIN_NAME];
    p.birth_date = (char *)v[RECIN_BIRTH_DATE];
    p.gender = (char *)v[RECIN_GENDER];
    p.position = (char *)v[RECIN_POSITION];
    p.workplace = (char *)v[RECIN_WORKPLACE];
    p.title = (char *)v[RECIN_TITLE];
    p.summary = (char *)v[RECIN_SUMMARY];
    p.category = (char *)v[RECIN_CATEGORY];
    p.achieved_on = (char *)v[RECIN_ACHIEVED_ON];
    p.proposed_award = (char *)v[RECIN_AWARD];

    /* Every problem at once: the campaign's rules are checked on a record refused already. */
    int rc = record_from_proto(out, &p, d->campaign, err);
    Thidua__V1__Campaign *const *camps;
    size_t ncamps = record_welcome_campaigns(d->welcome, &camps);
    if ((rc == TD_OK || rc == TD_EINPUT) && ncamps > 0) {
        /* Against the campaign the record names: any the Welcome offers. */
        int crc = record_check_campaigns(out, camps, ncamps, err);
        if (rc == TD_OK || crc == TD_EINTERNAL)
            rc = crc;
    }
    if ((rc == TD_OK || rc == TD_EINPUT) && d->welcome != NULL && base == NULL &&
        out->org_unit != NULL) {
        int urc = recin_unit_allowed(d->welcome, out->org_unit, err);
        if (rc == TD_OK || urc == TD_EINTERNAL)
            rc = urc;
    }
    if (rc == TD_OK && record_content_hash(out, hash) != 0) {
        valid_error_set(err, "content_hash", "SHA-256 failed");
        rc = TD_EINTERNAL;
    }
    if (rc != TD_OK)
        record_free(out);
    return rc;
}
