/*
 * campaign_file.c - reading a campaign's INI file (campaign_file.h).
 *
 * libinih gives no line numbers to its handler, so the file is fed through
 * a reader of our own that counts them, and notes whether a line starts with
 * blanks: such a line continues the value above (the INI way of writing a
 * long slogan on several lines), where the same key again on a line of its
 * own is a mistake. Lines may be long (a slogan of 1000 Vietnamese letters):
 * the parser's buffer grows for them, and its settings are put back after.
 */
#include "campaign_file.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "i18n.h"
#include "record_input.h"

/* The longest line read, in bytes: more than any field's limit in UTF-8. */
#define CAMPFILE_LINE_MAX 16384

/* The levels that may confer an award form (the CHECK of thidua.award_form). */
static const char *const campfile_levels[] = {"province", "department", "district", "commune"};

/* The parse in progress. */
typedef struct campfile_parse {
    campfile_t *f;
    FILE *in;
    int line;          /* of the line being read */
    int header_line;   /* of the last [section] line read */
    bool line_started; /* the last piece read did not end its line */
    bool indented;     /* the line being read starts with blanks: a continuation */
    int problems;
    bool oom;
} campfile_parse_t;

static void campfile_problem(campfile_parse_t *p, int line, const char *key, const char *fmt, ...)
    THIDUA_PRINTF(4, 5);

static void campfile_problem(campfile_parse_t *p, int line, const char *key, const char *fmt, ...)
{
    char why[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    if (line > 0)
        cli_error(_("%s line %d: %s: %s"), p->f->path, line, key, why);
    else
        cli_error("%s: %s: %s", p->f->path, key, why);
    p->problems++;
}

static char *campfile_reader(char *str, int num, void *stream)
{
    campfile_parse_t *p = stream;
    char *got = fgets(str, num, p->in);
    if (got == NULL)
        return NULL;
    if (!p->line_started) {
        p->line++;
        p->indented = str[0] == ' ' || str[0] == '\t';
        if (str[strspn(str, " \t")] == '[')
            p->header_line = p->line;
    }
    size_t len = strlen(str);
    p->line_started = len == 0 || str[len - 1] != '\n';
    return got;
}

/* Set v from value, or append to it for a continuation line; -1 when given twice. */
static int campfile_set(campfile_parse_t *p, campfile_value_t *v, const char *value)
{
    if (v->value != NULL && !p->indented)
        return -1;
    char *nv;
    if (v->value == NULL) {
        nv = strdup(value);
        v->line = p->line;
    } else {
        size_t len = strlen(v->value) + 1 + strlen(value) + 1;
        nv = malloc(len);
        if (nv != NULL)
            snprintf(nv, len, "%s %s", v->value, value);
    }
    if (nv == NULL) {
        p->oom = true;
        return 0;
    }
    free(v->value);
    v->value = nv;
    return 0;
}

/* The item of a section header "category CODE", made on its first key. */
static campfile_item_t *campfile_item(campfile_parse_t *p, campfile_item_t **items, size_t *n,
                                      const char *code)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp((*items)[i].code.value, code) == 0)
            return &(*items)[i];
    }
    campfile_item_t *grown = realloc(*items, (*n + 1) * sizeof(**items));
    if (grown == NULL) {
        p->oom = true;
        return NULL;
    }
    *items = grown;
    campfile_item_t *it = &grown[*n];
    memset(it, 0, sizeof(*it));
    it->code.value = strdup(code);
    if (it->code.value == NULL) {
        p->oom = true;
        return NULL;
    }
    it->code.line = p->header_line;
    it->pos = (*n)++;
    return it;
}

static campfile_value_t *campfile_campaign_key(campfile_t *f, const char *key)
{
    const struct {
        const char *key;
        campfile_value_t *v;
    } keys[] = {
        {"code", &f->code},           {"name", &f->name},
        {"organiser", &f->organiser}, {"organiser_name", &f->organiser_name},
        {"starts_on", &f->starts_on}, {"ends_on", &f->ends_on},
        {"slogan", &f->slogan},
    };
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(keys); i++) {
        if (strcmp(keys[i].key, key) == 0)
            return keys[i].v;
    }
    return NULL;
}

static campfile_value_t *campfile_item_key(campfile_item_t *it, bool form, const char *key)
{
    if (strcmp(key, "name") == 0)
        return &it->name;
    if (strcmp(key, "order") == 0)
        return &it->order;
    if (form && strcmp(key, "conferred_by") == 0)
        return &it->conferred_by;
    if (form && strcmp(key, "kinds") == 0)
        return &it->kinds;
    return NULL;
}

static int campfile_handler(void *user, const char *section, const char *key, const char *value)
{
    campfile_parse_t *p = user;
    campfile_t *f = p->f;
    campfile_value_t *v = NULL;
    char where[200];
    snprintf(where, sizeof(where), "[%s] %s", section, key);
    if (strcmp(section, "campaign") == 0) {
        if (f->campaign_line == 0)
            f->campaign_line = p->header_line;
        v = campfile_campaign_key(f, key);
    } else if (strncmp(section, "category ", 9) == 0 || strncmp(section, "award_form ", 11) == 0) {
        bool form = section[0] == 'a';
        const char *code = section + (form ? 11 : 9);
        campfile_item_t *it = form ? campfile_item(p, &f->forms, &f->nforms, code)
                                   : campfile_item(p, &f->cats, &f->ncats, code);
        if (it == NULL)
            return 0;
        v = campfile_item_key(it, form, key);
    } else {
        campfile_problem(p, p->line, where,
                         _("unknown section: [campaign], [category CODE] or [award_form CODE]"));
        return 1;
    }
    if (v == NULL)
        campfile_problem(p, p->line, where, _("unknown key"));
    else if (campfile_set(p, v, value) != 0)
        campfile_problem(p, p->line, where,
                         _("given twice (a line that continues a value starts with a space)"));
    return 1;
}

/* ---- checks of what was read ---- */

static void campfile_require(campfile_parse_t *p, const campfile_value_t *v, int line,
                             const char *key)
{
    if (v->value == NULL || v->value[0] == '\0')
        campfile_problem(p, line, key, _("missing"));
}

/* A date given ISO or dd/mm/yyyy, rewritten as ISO; false when it is no date. */
static bool campfile_date(campfile_parse_t *p, campfile_value_t *v, const char *key)
{
    char iso[DATE_STR_SIZE], why[200];
    if (v->value == NULL || v->value[0] == '\0')
        return false;
    if (recin_date(v->value, iso, why, sizeof(why)) != 0) {
        campfile_problem(p, v->line, key, "%s", why);
        return false;
    }
    char *copy = strdup(iso);
    if (copy == NULL) {
        p->oom = true;
        return false;
    }
    free(v->value);
    v->value = copy;
    return true;
}

/* "individual, cá nhân" into "individual,collective"; false with a problem reported. */
static bool campfile_kinds(campfile_parse_t *p, campfile_item_t *it, const char *key)
{
    recin_t in;
    recin_init(&in);
    recin_defaults_t d = {NULL, NULL, NULL};
    char out[64] = "", why[200];
    bool ok = true;
    char *list = strdup(it->kinds.value);
    if (list == NULL) {
        p->oom = true;
        return false;
    }
    for (char *save = NULL, *tok = strtok_r(list, ",;", &save); tok != NULL && ok;
         tok = strtok_r(NULL, ",;", &save)) {
        tok += strspn(tok, " \t");
        for (size_t n = strlen(tok); n > 0 && (tok[n - 1] == ' ' || tok[n - 1] == '\t'); n--)
            tok[n - 1] = '\0';
        int rc = recin_set(&in, &d, RECIN_KIND, tok, why, sizeof(why));
        if (rc == -2) {
            p->oom = true;
            ok = false;
        } else if (rc != 0 || in.v[RECIN_KIND] == NULL || in.v[RECIN_KIND][0] == '\0') {
            campfile_problem(p, it->kinds.line, key, _("\"%s\": %s"), tok,
                             _("a kind is individual, collective or household"));
            ok = false;
        } else if (strstr(out, in.v[RECIN_KIND]) == NULL) {
            size_t o = strlen(out);
            snprintf(out + o, sizeof(out) - o, "%s%s", o ? "," : "", in.v[RECIN_KIND]);
        }
    }
    free(list);
    recin_free(&in);
    if (ok && out[0] == '\0') {
        campfile_problem(p, it->kinds.line, key, _("missing"));
        ok = false;
    }
    if (ok) {
        char *copy = strdup(out);
        if (copy == NULL) {
            p->oom = true;
            return false;
        }
        free(it->kinds.value);
        it->kinds.value = copy;
    }
    return ok;
}

static void campfile_check_item(campfile_parse_t *p, campfile_item_t *it, bool form)
{
    const char *sec = form ? "award_form" : "category";
    char key[160];
    snprintf(key, sizeof(key), "[%s %s] name", sec, it->code.value);
    campfile_require(p, &it->name, it->code.line, key);
    it->sort = LONG_MAX;
    if (it->order.value != NULL) {
        char *end;
        errno = 0;
        long o = strtol(it->order.value, &end, 10);
        snprintf(key, sizeof(key), "[%s %s] order", sec, it->code.value);
        if (errno != 0 || end == it->order.value || *end != '\0' || o < 0 || o >= LONG_MAX)
            campfile_problem(p, it->order.line, key, _("\"%s\" is not a whole number"),
                             it->order.value);
        else
            it->sort = o;
    }
    if (!form)
        return;
    snprintf(key, sizeof(key), "[%s %s] conferred_by", sec, it->code.value);
    campfile_require(p, &it->conferred_by, it->code.line, key);
    if (it->conferred_by.value != NULL && it->conferred_by.value[0] != '\0') {
        bool known = false;
        for (size_t i = 0; i < THIDUA_ARRAY_LEN(campfile_levels) && !known; i++)
            known = strcmp(campfile_levels[i], it->conferred_by.value) == 0;
        if (!known)
            campfile_problem(p, it->conferred_by.line, key, _("\"%s\": %s"), it->conferred_by.value,
                             _("the level is province, department, district or commune"));
    }
    snprintf(key, sizeof(key), "[%s %s] kinds", sec, it->code.value);
    if (it->kinds.value == NULL)
        campfile_problem(p, it->code.line, key, _("missing"));
    else
        (void)campfile_kinds(p, it, key);
}

/* Sections with an order first, by it, then the others in the file's order. */
static int campfile_item_cmp(const void *a, const void *b)
{
    const campfile_item_t *x = a, *y = b;
    if (x->sort != y->sort)
        return x->sort < y->sort ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static void campfile_check(campfile_parse_t *p)
{
    campfile_t *f = p->f;
    if (f->campaign_line == 0) {
        campfile_problem(p, 0, "[campaign]",
                         _("missing: the campaign's code, name, organiser "
                           "and window"));
    } else {
        const struct {
            const campfile_value_t *v;
            const char *key;
        } need[] = {{&f->code, "[campaign] code"},
                    {&f->name, "[campaign] name"},
                    {&f->organiser, "[campaign] organiser"},
                    {&f->starts_on, "[campaign] starts_on"},
                    {&f->ends_on, "[campaign] ends_on"}};
        for (size_t i = 0; i < THIDUA_ARRAY_LEN(need); i++)
            campfile_require(p, need[i].v, f->campaign_line, need[i].key);
        bool from = campfile_date(p, &f->starts_on, "[campaign] starts_on");
        bool to = campfile_date(p, &f->ends_on, "[campaign] ends_on");
        /* ISO dates compare as text. */
        if (from && to && strcmp(f->ends_on.value, f->starts_on.value) < 0)
            campfile_problem(p, f->ends_on.line, "[campaign] ends_on",
                             _("%s is before starts_on %s"), f->ends_on.value, f->starts_on.value);
    }
    if (f->ncats == 0)
        campfile_problem(p, 0, "[category CODE]",
                         _("missing: a campaign needs at least one category"));
    if (f->nforms == 0)
        campfile_problem(p, 0, "[award_form CODE]",
                         _("missing: a campaign needs at least one award form"));
    for (size_t i = 0; i < f->ncats; i++)
        campfile_check_item(p, &f->cats[i], false);
    for (size_t i = 0; i < f->nforms; i++)
        campfile_check_item(p, &f->forms[i], true);
    if (f->ncats > 1)
        qsort(f->cats, f->ncats, sizeof(*f->cats), campfile_item_cmp);
    if (f->nforms > 1)
        qsort(f->forms, f->nforms, sizeof(*f->forms), campfile_item_cmp);
}

/* ---- the request's campaign ---- */

static char *campfile_str(const campfile_value_t *v)
{
    return v->value != NULL ? v->value : "";
}

static int campfile_message(campfile_t *f)
{
    size_t nkinds = 3 * f->nforms; /* each form's kinds are at most the three there are */
    f->cat_msgs = calloc(f->ncats + 1, sizeof(*f->cat_msgs));
    f->cat_ptrs = calloc(f->ncats + 1, sizeof(*f->cat_ptrs));
    f->form_msgs = calloc(f->nforms + 1, sizeof(*f->form_msgs));
    f->form_ptrs = calloc(f->nforms + 1, sizeof(*f->form_ptrs));
    f->kind_ptrs = calloc(nkinds + 1, sizeof(*f->kind_ptrs));
    if (!f->cat_msgs || !f->cat_ptrs || !f->form_msgs || !f->form_ptrs || !f->kind_ptrs)
        return -1;
    Thidua__V1__Campaign *m = &f->msg;
    thidua__v1__campaign__init(m);
    m->code = campfile_str(&f->code);
    m->name = campfile_str(&f->name);
    m->organiser_unit = campfile_str(&f->organiser);
    m->organiser = campfile_str(&f->organiser_name);
    m->starts_on = campfile_str(&f->starts_on);
    m->ends_on = campfile_str(&f->ends_on);
    m->slogan = campfile_str(&f->slogan);
    for (size_t i = 0; i < f->ncats; i++) {
        thidua__v1__category__init(&f->cat_msgs[i]);
        f->cat_msgs[i].code = f->cats[i].code.value;
        f->cat_msgs[i].name = campfile_str(&f->cats[i].name);
        f->cat_ptrs[i] = &f->cat_msgs[i];
    }
    m->n_categories = f->ncats;
    m->categories = f->cat_ptrs;
    size_t k = 0;
    for (size_t i = 0; i < f->nforms; i++) {
        Thidua__V1__AwardForm *a = &f->form_msgs[i];
        thidua__v1__award_form__init(a);
        a->code = f->forms[i].code.value;
        a->name = campfile_str(&f->forms[i].name);
        a->conferred_by = campfile_str(&f->forms[i].conferred_by);
        a->nominee_kinds = &f->kind_ptrs[k];
        /* The kinds were rewritten "a,b,c": cut them in place. */
        for (char *save = NULL, *t = strtok_r(f->forms[i].kinds.value, ",", &save);
             t != NULL && a->n_nominee_kinds < 3; t = strtok_r(NULL, ",", &save)) {
            f->kind_ptrs[k++] = t;
            a->n_nominee_kinds++;
        }
        f->form_ptrs[i] = a;
    }
    m->n_award_forms = f->nforms;
    m->award_forms = f->form_ptrs;
    return 0;
}

int campfile_read(const char *path, campfile_t *f)
{
    memset(f, 0, sizeof(*f));
    f->path = strdup(path);
    FILE *in = fopen(path, "r");
    if (f->path == NULL || in == NULL) {
        cli_error(_("%s: cannot read it (%s)"), path, strerror(in == NULL ? errno : ENOMEM));
        if (in != NULL)
            fclose(in);
        return -1;
    }
    campfile_parse_t p = {.f = f, .in = in};
    /* libinih's settings are the process's: grow its line buffer for this file only. */
    bool use_stack = ini_use_stack, allow_realloc = ini_allow_realloc;
    bool multiline = ini_allow_multiline;
    int max_line = ini_max_line;
    ini_use_stack = false;
    ini_allow_realloc = true;
    ini_allow_multiline = true;
    ini_max_line = CAMPFILE_LINE_MAX;
    int rc = ini_parse_stream(campfile_reader, &p, campfile_handler, &p);
    ini_use_stack = use_stack;
    ini_allow_realloc = allow_realloc;
    ini_allow_multiline = multiline;
    ini_max_line = max_line;
    fclose(in);
    if (rc == -2 || p.oom) {
        cli_error(_("%s: out of memory"), path);
        return -1;
    }
    if (rc > 0)
        campfile_problem(&p, rc, _("syntax"),
                         _("not a [section] line, a key = value line or a comment"));
    campfile_check(&p);
    if (p.oom || (p.problems == 0 && campfile_message(f) != 0)) {
        cli_error(_("%s: out of memory"), path);
        return -1;
    }
    return p.problems;
}

static void campfile_value_free(campfile_value_t *v)
{
    free(v->value);
}

static void campfile_items_free(campfile_item_t *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        campfile_value_t *vs[] = {&items[i].code, &items[i].name, &items[i].order,
                                  &items[i].conferred_by, &items[i].kinds};
        for (size_t k = 0; k < THIDUA_ARRAY_LEN(vs); k++)
            campfile_value_free(vs[k]);
    }
    free(items);
}

void campfile_free(campfile_t *f)
{
    campfile_value_t *vs[] = {&f->code,      &f->name,    &f->organiser, &f->organiser_name,
                              &f->starts_on, &f->ends_on, &f->slogan};
    for (size_t k = 0; k < THIDUA_ARRAY_LEN(vs); k++)
        campfile_value_free(vs[k]);
    campfile_items_free(f->cats, f->ncats);
    campfile_items_free(f->forms, f->nforms);
    free(f->cat_msgs);
    free(f->cat_ptrs);
    free(f->form_msgs);
    free(f->form_ptrs);
    free(f->kind_ptrs);
    free(f->path);
    memset(f, 0, sizeof(*f));
}

void campfile_where(const campfile_t *f, const char *field, int *line, char *key, size_t keylen)
{
    static const struct {
        const char *field, *key;
        size_t offset;
    } top[] = {
        {"campaign.code", "code", offsetof(campfile_t, code)},
        {"campaign.name", "name", offsetof(campfile_t, name)},
        {"campaign.organiser_unit", "organiser", offsetof(campfile_t, organiser)},
        {"campaign.organiser", "organiser_name", offsetof(campfile_t, organiser_name)},
        {"campaign.starts_on", "starts_on", offsetof(campfile_t, starts_on)},
        {"campaign.ends_on", "ends_on", offsetof(campfile_t, ends_on)},
        {"campaign.slogan", "slogan", offsetof(campfile_t, slogan)},
    };
    *line = f->campaign_line;
    snprintf(key, keylen, "[campaign]");
    for (size_t i = 0; field != NULL && i < THIDUA_ARRAY_LEN(top); i++) {
        if (strcmp(field, top[i].field) != 0)
            continue;
        const campfile_value_t *v = (const campfile_value_t *)((const char *)f + top[i].offset);
        if (v->line > 0)
            *line = v->line;
        snprintf(key, keylen, "[campaign] %s", top[i].key);
        return;
    }
    /* campaign.categories[I].KEY, campaign.award_forms[I].KEY */
    size_t idx;
    char what[16], sub[32] = "";
    if (field == NULL || sscanf(field, "campaign.%15[a-z_][%zu].%31s", what, &idx, sub) < 2)
        return;
    bool form = strcmp(what, "award_forms") == 0;
    const campfile_item_t *items = form ? f->forms : f->cats;
    size_t n = form ? f->nforms : f->ncats;
    if ((!form && strcmp(what, "categories") != 0) || idx >= n)
        return;
    const campfile_item_t *it = &items[idx];
    const campfile_value_t *v = strcmp(sub, "name") == 0            ? &it->name
                                : strcmp(sub, "conferred_by") == 0  ? &it->conferred_by
                                : strcmp(sub, "nominee_kinds") == 0 ? &it->kinds
                                                                    : &it->code;
    const char *file_key = v == &it->kinds ? "kinds" : v == &it->code ? "" : sub;
    *line = v->line > 0 ? v->line : it->code.line;
    snprintf(key, keylen, "[%s %s]%s%s", form ? "award_form" : "category", it->code.value,
             file_key[0] ? " " : "", file_key);
}
