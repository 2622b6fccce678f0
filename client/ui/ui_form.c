/*
 * ui_form.c - the nomination form of the console, for a new record and for
 * an edit.
 *
 * Each input is named after the protocol field it fills (nominee_name,
 * birth_date...), and what is posted goes through record_input exactly as
 * the options of `thidua add` and `thidua edit` do: the same conversions
 * (dd/mm/yyyy dates, "nữ", a category by name), the same checks as the
 * server. Every problem is shown next to its field at once, with what the
 * officer typed kept in the form.
 *
 * Before a record is stored, the office's other nominations of the campaign
 * are looked through for the same nominee, by the rule the province's
 * duplicate check applies (sql/013_duplicates_scope.sql,
 * thidua.record_duplicates): the loosely folded name equal, and the birth
 * date equal or the workplace equal once folded. A match is a warning, not
 * a refusal: the officer confirms and the record is stored.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "i18n.h"
#include "output.h"
#include "record.h"
#include "record_input.h"
#include "text.h"
#include "ui_console.h"
#include "ui_html.h"

/* The fields the form shows, in its order; unit and campaign come from the office. */
static const recin_field_t ui_form_fields[] = {
    RECIN_KIND,     RECIN_NAME,     RECIN_BIRTH_DATE,  RECIN_GENDER, RECIN_POSITION,
    RECIN_WORKPLACE, RECIN_TITLE,   RECIN_SUMMARY,     RECIN_CATEGORY, RECIN_ACHIEVED_ON,
    RECIN_AWARD,
};

/* What the form shows: a value and a problem per field, and a possible duplicate. */
typedef struct ui_form {
    const char *value[RECIN_NFIELDS]; /* borrowed: the request's or value_own's */
    char *value_own[RECIN_NFIELDS];
    char problem[RECIN_NFIELDS][400];
    size_t nproblems;
    char general[1024];/* a problem of no field: the store, a stale edit */
    char dup_id[STORE_ID_LEN + 1];
    char dup_name[256];
    uint32_t revision; /* an edit's base: the record's highest revision when read */
} ui_form_t;

static void ui_form_free(ui_form_t *f)
{
    for (size_t i = 0; i < RECIN_NFIELDS; i++)
        free(f->value_own[i]);
}

static bool ui_individual_only(recin_field_t f)
{
    return f == RECIN_BIRTH_DATE || f == RECIN_GENDER || f == RECIN_POSITION ||
           f == RECIN_WORKPLACE;
}

static const Thidua__V1__Campaign *ui_campaign(const ui_console_t *c, const char *code)
{
    Thidua__V1__Campaign *const *list;
    size_t n = record_welcome_campaigns(c->office.welcome, &list);
    for (size_t i = 0; i < n; i++) {
        if (code != NULL && strcmp(list[i]->code, code) == 0)
            return list[i];
    }
    return n > 0 ? list[0] : NULL;
}

static void ui_label(strbuf_t *sb, recin_field_t f, bool required)
{
    const char *proto = recin_fields[f].proto;
    const char *label = field_label(proto);
    strbuf_printf(sb, "<label for=\"%s\">", proto);
    ui_esc(sb, label != NULL ? label : proto);
    if (required)
        strbuf_puts(sb, " <span class=\"req\" aria-hidden=\"true\">*</span>");
    strbuf_puts(sb, "</label>");
}

static void ui_option(strbuf_t *sb, const char *value, const char *label, const char *current)
{
    strbuf_puts(sb, "<option value=\"");
    ui_esc(sb, value);
    strbuf_printf(sb, "\"%s>", current != NULL && strcmp(current, value) == 0 ? " selected" : "");
    ui_esc(sb, label);
    strbuf_puts(sb, "</option>");
}

/* The attributes that tie an input to its problem. */
static void ui_invalid_attrs(strbuf_t *sb, const ui_form_t *form, recin_field_t f)
{
    if (form->problem[f][0] != '\0')
        strbuf_printf(sb, " aria-invalid=\"true\" aria-describedby=\"err-%s\"",
                      recin_fields[f].proto);
}

static void ui_field(strbuf_t *sb, const ui_form_t *form, recin_field_t f,
                     const Thidua__V1__Campaign *camp)
{
    const char *proto = recin_fields[f].proto;
    const char *v = form->value[f] != NULL ? form->value[f] : "";
    bool required = f == RECIN_KIND || f == RECIN_NAME || f == RECIN_TITLE ||
                    f == RECIN_CATEGORY || f == RECIN_ACHIEVED_ON || f == RECIN_AWARD;
    strbuf_printf(sb, "<div class=\"field%s\"%s>", form->problem[f][0] ? " invalid" : "",
                  ui_individual_only(f) ? " data-kind=\"individual\"" : "");
    ui_label(sb, f, required);
    switch (f) {
    case RECIN_KIND: {
        static const char *const kinds[] = {"individual", "collective", "household"};
        strbuf_printf(sb, "<select id=\"%s\" name=\"%s\"", proto, proto);
        ui_invalid_attrs(sb, form, f);
        strbuf_puts(sb, ">");
        for (size_t i = 0; i < THIDUA_ARRAY_LEN(kinds); i++)
            ui_option(sb, kinds[i], record_kind_label(kinds[i]), v);
        strbuf_puts(sb, "</select>");
        break;
    }
    case RECIN_GENDER:
        strbuf_printf(sb, "<select id=\"%s\" name=\"%s\"", proto, proto);
        ui_invalid_attrs(sb, form, f);
        strbuf_puts(sb, ">");
        ui_option(sb, "", "—", v);
        ui_option(sb, "male", record_gender_label("male"), v);
        ui_option(sb, "female", record_gender_label("female"), v);
        strbuf_puts(sb, "</select>");
        break;
    case RECIN_CATEGORY:
    case RECIN_AWARD:
        if (camp != NULL) {
            strbuf_printf(sb, "<select id=\"%s\" name=\"%s\"", proto, proto);
            ui_invalid_attrs(sb, form, f);
            strbuf_puts(sb, ">");
            ui_option(sb, "", _("— choose —"), v);
            size_t n = f == RECIN_CATEGORY ? camp->n_categories : camp->n_award_forms;
            for (size_t i = 0; i < n; i++) {
                const char *code = f == RECIN_CATEGORY ? camp->categories[i]->code
                                                       : camp->award_forms[i]->code;
                const char *name = f == RECIN_CATEGORY ? camp->categories[i]->name
                                                       : camp->award_forms[i]->name;
                ui_option(sb, code, name != NULL && name[0] ? name : code, v);
            }
            strbuf_puts(sb, "</select>");
            break;
        }
        /* No Welcome yet: the code typed, checked at sync. */
        /* fall through */
    default:
        if (f == RECIN_SUMMARY) {
            strbuf_printf(sb, "<textarea id=\"%s\" name=\"%s\" rows=\"6\"", proto, proto);
            ui_invalid_attrs(sb, form, f);
            strbuf_puts(sb, ">");
            ui_esc(sb, v);
            strbuf_puts(sb, "</textarea>");
            break;
        }
        strbuf_printf(sb, "<input id=\"%s\" name=\"%s\" type=\"text\"", proto, proto);
        if (f == RECIN_BIRTH_DATE || f == RECIN_ACHIEVED_ON)
            strbuf_puts(sb, " placeholder=\"dd/mm/yyyy\" inputmode=\"numeric\" "
                            "autocomplete=\"off\" size=\"10\"");
        ui_invalid_attrs(sb, form, f);
        strbuf_puts(sb, " value=\"");
        ui_esc(sb, v);
        strbuf_puts(sb, "\">");
        break;
    }
    if (form->problem[f][0] != '\0') {
        strbuf_printf(sb, "<p class=\"field-error\" id=\"err-%s\" data-field=\"%s\">", proto,
                      proto);
        ui_esc(sb, form->problem[f]);
        strbuf_puts(sb, "</p>");
    }
    strbuf_puts(sb, "</div>\n");
}

static void ui_form_page(ui_console_t *c, const store_record_t *r, const ui_form_t *form,
                         ui_resp_t *rs)
{
    strbuf_t *sb = &rs->body;
    ui_page_begin(sb, r == NULL ? _("New nomination") : _("Edit the nomination"),
                  r == NULL ? UI_NAV_NEW : UI_NAV_RECORDS, &c->frame);
    if (c->office.welcome == NULL)
        ui_notice(sb, "warn",
                  _("The campaign is not known yet (this office never reached the server): only "
                    "the form of each field is checked now; the campaign's rules are checked at "
                    "the first sync."));
    if (form->general[0] != '\0')
        ui_notice(sb, "error", form->general);
    if (form->nproblems > 0) {
        strbuf_puts(sb, "<div class=\"notice error\" role=\"alert\" id=\"problems\"><p>");
        strbuf_printf(sb,
                      ngettext("The nomination has %zu problem; nothing was stored yet:",
                               "The nomination has %zu problems; nothing was stored yet:",
                               form->nproblems),
                      form->nproblems);
        strbuf_puts(sb, "</p><ul>");
        for (size_t i = 0; i < THIDUA_ARRAY_LEN(ui_form_fields); i++) {
            recin_field_t f = ui_form_fields[i];
            if (form->problem[f][0] == '\0')
                continue;
            const char *label = field_label(recin_fields[f].proto);
            strbuf_printf(sb, "<li><a href=\"#%s\">", recin_fields[f].proto);
            ui_esc(sb, label);
            strbuf_puts(sb, "</a>: ");
            ui_esc(sb, form->problem[f]);
            strbuf_puts(sb, "</li>");
        }
        strbuf_puts(sb, "</ul></div>\n");
    }
    if (form->dup_id[0] != '\0') {
        strbuf_puts(sb, "<div class=\"notice warn\" role=\"alert\" id=\"duplicate\"><p>");
        ui_esc(sb, _("This office already has a nomination that may be the same nominee "
                     "(same name, and the same date of birth or workplace):"));
        strbuf_printf(sb, " <a href=\"/records/%s\">", form->dup_id);
        ui_esc(sb, form->dup_name);
        strbuf_puts(sb, "</a>. ");
        ui_esc(sb, _("The province's review will show them side by side. If this is another "
                     "person, tick the box below and store it again."));
        strbuf_puts(sb, "</p></div>\n");
    }
    if (r == NULL)
        strbuf_puts(sb, "<form method=\"post\" action=\"/records/new\" class=\"record-form\" "
                        "novalidate>");
    else
        strbuf_printf(sb, "<form method=\"post\" action=\"/records/%s/edit\" "
                          "class=\"record-form\" novalidate>",
                      r->rec.id);
    ui_csrf(sb, &c->auth);
    if (r != NULL)
        strbuf_printf(sb, "<input type=\"hidden\" name=\"revision\" value=\"%" PRIu32 "\">",
                      form->revision);
    const Thidua__V1__Campaign *camp =
        ui_campaign(c, r != NULL ? r->rec.campaign : c->office.campaign);
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(ui_form_fields); i++)
        ui_field(sb, form, ui_form_fields[i], camp);
    if (form->dup_id[0] != '\0') {
        strbuf_puts(sb, "<div class=\"field\"><label><input type=\"checkbox\" "
                        "name=\"confirm_duplicate\" value=\"yes\"> ");
        ui_esc(sb, _("This is another nominee: store it anyway"));
        strbuf_puts(sb, "</label></div>\n");
    }
    strbuf_printf(sb, "<p class=\"actions\"><button type=\"submit\" data-action=\"%s\">",
                  r == NULL ? "add" : "save");
    ui_esc(sb, r == NULL ? _("Store the nomination") : _("Save the changes"));
    strbuf_puts(sb, "</button>");
    strbuf_printf(sb, " <a href=\"%s%s\">", r == NULL ? "/records" : "/records/",
                  r == NULL ? "" : r->rec.id);
    ui_esc(sb, _("Cancel"));
    strbuf_puts(sb, "</a></p></form>\n");
    ui_page_end(sb);
}

/* The form filled from a stored record, dates as people write them. */
static int ui_form_from_record(ui_form_t *form, const store_record_t *r)
{
    const char *v[RECIN_NFIELDS];
    recin_values(&r->rec, v);
    char date[DATE_STR_SIZE];
    for (size_t i = 0; i < RECIN_NFIELDS; i++) {
        const char *s = i == RECIN_BIRTH_DATE || i == RECIN_ACHIEVED_ON ? out_date_vn(v[i], date)
                                                                         : v[i];
        form->value_own[i] = strdup(s);
        if (form->value_own[i] == NULL)
            return TD_ENOMEM;
        form->value[i] = form->value_own[i];
    }
    form->revision = r->rec.revision > r->server_revision ? r->rec.revision : r->server_revision;
    return TD_OK;
}

void ui_form_show(ui_console_t *c, const store_record_t *r, ui_resp_t *rs)
{
    ui_form_t form;
    memset(&form, 0, sizeof(form));
    if (r != NULL && office_is_locked(r)) {
        char why[1024];
        office_why_locked(r, why, sizeof(why));
        ui_page_begin(&rs->body, _("Edit the nomination"), UI_NAV_RECORDS, &c->frame);
        ui_notice(&rs->body, "warn", why);
        ui_page_end(&rs->body);
        return;
    }
    if (r != NULL && ui_form_from_record(&form, r) != TD_OK) {
        rs->status = 500;
        strbuf_puts(&rs->body, _("out of memory"));
    } else {
        if (r == NULL)
            form.value[RECIN_KIND] = "individual";
        ui_form_page(c, r, &form, rs);
    }
    ui_form_free(&form);
}

/* --- a possible duplicate ------------------------------------------------------------ */

typedef struct ui_dup {
    const char *id;       /* the record being stored */
    const char *campaign; /* its campaign */
    char *loose;          /* its name, loosely folded */
    char *workplace;      /* its workplace, folded; NULL when empty */
    const char *birth;    /* ISO; NULL when none */
    ui_form_t *form;
} ui_dup_t;

static int ui_dup_check(void *ctx, const store_record_t *o)
{
    ui_dup_t *d = ctx;
    if (strcmp(o->rec.id, d->id) == 0 || o->rec.withdrawn ||
        strcmp(o->rec.campaign, d->campaign) != 0)
        return 0;
    char *loose = NULL;
    if (text_fold_loose(o->rec.nominee_name, strlen(o->rec.nominee_name), &loose) != TD_OK)
        return 0;
    bool same = strcmp(loose, d->loose) == 0;
    free(loose);
    if (!same)
        return 0;
    bool birth = d->birth != NULL && o->rec.birth_date != NULL &&
                 strcmp(o->rec.birth_date, d->birth) == 0;
    bool work = false;
    if (!birth && d->workplace != NULL && o->rec.workplace != NULL && o->rec.workplace[0]) {
        char *w = NULL;
        if (text_fold_key(o->rec.workplace, strlen(o->rec.workplace), &w) == TD_OK)
            work = strcmp(w, d->workplace) == 0;
        free(w);
    }
    if (!birth && !work)
        return 0;
    memcpy(d->form->dup_id, o->rec.id, sizeof(d->form->dup_id));
    snprintf(d->form->dup_name, sizeof(d->form->dup_name), "%s", o->rec.nominee_name);
    return 1; /* one is enough to warn */
}

/* Whether another nomination of the office may be this one's nominee (form->dup_* then). */
static bool ui_find_duplicate(ui_console_t *c, const record_t *r, ui_form_t *form)
{
    ui_dup_t d = {.id = r->id, .campaign = r->campaign, .form = form};
    if (text_fold_loose(r->nominee_name, strlen(r->nominee_name), &d.loose) != TD_OK)
        return false;
    if (r->birth_date != NULL && r->birth_date[0] != '\0')
        d.birth = r->birth_date;
    if (r->workplace != NULL && r->workplace[0] != '\0' &&
        text_fold_key(r->workplace, strlen(r->workplace), &d.workplace) != TD_OK)
        d.workplace = NULL;
    int rc = store_list(c->office.st, NULL, ui_dup_check, &d);
    free(d.loose);
    free(d.workplace);
    return rc == 1;
}

/* --- storing -------------------------------------------------------------------------- */

void ui_form_submit(ui_console_t *c, const store_record_t *base, ui_req_t *rq, ui_resp_t *rs)
{
    ui_form_t form;
    memset(&form, 0, sizeof(form));
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(ui_form_fields); i++) {
        recin_field_t f = ui_form_fields[i];
        form.value[f] = ui_req_value(rq, recin_fields[f].proto);
    }
    if (base != NULL && office_is_locked(base)) {
        ui_form_show(c, base, rs);
        return;
    }
    form.revision = (uint32_t)strtoul(ui_req_value(rq, "revision"), NULL, 10);

    recin_defaults_t d;
    office_defaults(&c->office, NULL, &d);
    recin_t in;
    recin_init(&in);
    char why[300];
    int rc = TD_OK;
    bool individual = strcmp(form.value[RECIN_KIND], "individual") == 0 ||
                      strcmp(form.value[RECIN_KIND], "") == 0;
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(ui_form_fields); i++) {
        recin_field_t f = ui_form_fields[i];
        const char *v = form.value[f];
        /* Hidden for a collective or a household: what was typed there is not theirs. */
        if (ui_individual_only(f) && !individual)
            v = "";
        if (base == NULL && v[0] == '\0')
            continue; /* not given: the checks below say which are required */
        int src = recin_set(&in, &d, f, v, why, sizeof(why));
        if (src == -2) {
            rc = TD_ENOMEM;
            break;
        }
        if (src != 0) {
            snprintf(form.problem[f], sizeof(form.problem[f]), "%s", why);
            form.nproblems++;
        }
    }
    record_t r;
    record_init(&r);
    uint8_t hash[RECORD_HASH_LEN];
    valid_error_t err;
    valid_error_clear(&err);
    if (rc == TD_OK) {
        /* Build even with problems above: the checks of the whole record name the others too. */
        int vrc = recin_build(&in, &d, base != NULL ? &base->rec : NULL, &r, hash, &err);
        if (vrc == TD_EINTERNAL)
            rc = vrc;
        for (size_t i = 0; vrc == TD_EINPUT && i < valid_error_count(&err); i++) {
            const valid_problem_t *p = valid_error_at(&err, i);
            int f = recin_field_by_proto(p->field);
            if (f < 0 || f == RECIN_UNIT || f == RECIN_CAMPAIGN) {
                snprintf(form.general, sizeof(form.general), "%s: %s",
                         field_label(p->field) ? field_label(p->field) : p->field, p->reason);
                continue;
            }
            if (form.problem[f][0] == '\0') {
                snprintf(form.problem[f], sizeof(form.problem[f]), "%s", p->reason);
                form.nproblems++;
            }
        }
        if (vrc == TD_EINPUT && form.nproblems == 0 && form.general[0] == '\0')
            snprintf(form.general, sizeof(form.general), "%s", err.reason);
    }
    char note[800];
    if (rc == TD_OK && base == NULL && form.nproblems == 0 && form.general[0] == '\0' &&
        c->office.welcome != NULL && strcmp(r.org_unit, c->office.welcome->org_unit) == 0 &&
        out_unit_closed_note(c->office.welcome, note, sizeof(note))[0] != '\0')
        snprintf(form.general, sizeof(form.general), "%s", note);
    bool ok = rc == TD_OK && form.nproblems == 0 && form.general[0] == '\0';
    if (ok && strcmp(ui_req_value(rq, "confirm_duplicate"), "yes") != 0 &&
        ui_find_duplicate(c, &r, &form))
        ok = false;
    if (ok && base != NULL && memcmp(hash, base->content_hash, RECORD_HASH_LEN) == 0) {
        char url[128];
        snprintf(url, sizeof(url), "/records/%s?done=unchanged", base->rec.id);
        ui_resp_redirect(rs, url);
    } else if (ok) {
        Thidua__V1__Record p = THIDUA__V1__RECORD__INIT;
        record_to_proto(&r, &p);
        p.content_hash.data = hash;
        p.content_hash.len = RECORD_HASH_LEN;
        int src;
        if (base == NULL) {
            src = store_record_insert(c->office.st, &p, office_now_ms());
        } else {
            p.revision = form.revision + 1; /* TD_ESTALE when it changed since the form was read */
            src = store_record_update(c->office.st, &p, office_now_ms());
        }
        if (src == TD_OK) {
            char url[128];
            snprintf(url, sizeof(url), "/records/%s?done=%s", r.id, base ? "saved" : "added");
            ui_resp_redirect(rs, url);
        } else if (src == TD_ESTALE) {
            snprintf(form.general, sizeof(form.general), "%s",
                     _("This nomination was changed elsewhere since the form was opened (a sync "
                       "or another window): open it again and redo the change."));
        } else {
            snprintf(form.general, sizeof(form.general), "%s", store_errmsg(c->office.st));
        }
    } else if (rc != TD_OK) {
        snprintf(form.general, sizeof(form.general), "%s",
                 rc == TD_ENOMEM ? _("out of memory") : err.reason);
    }
    if (rs->location[0] == '\0') {
        rs->status = form.dup_id[0] ? 200 : 422;
        ui_form_page(c, base, &form, rs);
    }
    record_free(&r);
    recin_free(&in);
    ui_form_free(&form);
}
