/*
 * ui_records.c - the office's nominations in the console: the list (search
 * that ignores diacritics, a filter by status, names in the Vietnamese
 * order), one record's page (content, where it stands, the province's
 * decision and award, its history), and withdrawing.
 *
 * What `thidua list` and `thidua show` print, the same store read the same
 * way, as pages.
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

/* Rows a list page shows; the search narrows the rest. */
#define UI_LIST_MAX 500

/* --- the list ------------------------------------------------------------------ */

typedef struct ui_row {
    char id[STORE_ID_LEN + 1];
    char *name, *kind, *title, *award, *state;
    bool attention;
} ui_row_t;

typedef struct ui_list {
    ui_row_t *rows;
    size_t n, cap;
    size_t matched;
    char *q; /* the search, folded; NULL: none */
    const Thidua__V1__Welcome *w;
    int rc;
} ui_list_t;

/* Whether the folded query is found in the folded s. */
static bool ui_match(const char *q, const char *s)
{
    char *f = NULL;
    if (text_fold_loose(s, strlen(s), &f) != TD_OK)
        return false;
    bool hit = strstr(f, q) != NULL;
    free(f);
    return hit;
}

static int ui_list_take(void *ctx, const store_record_t *r)
{
    ui_list_t *l = ctx;
    if (l->q != NULL && !ui_match(l->q, r->rec.nominee_name) && !ui_match(l->q, r->rec.title) &&
        strncmp(r->rec.id, l->q, strlen(l->q)) != 0)
        return 0;
    l->matched++;
    if (l->n == UI_LIST_MAX)
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        ui_row_t *rows = realloc(l->rows, cap * sizeof(*rows));
        if (rows == NULL)
            return l->rc = TD_ENOMEM;
        l->rows = rows;
        l->cap = cap;
    }
    char state[1024];
    ui_row_t *row = &l->rows[l->n++];
    memcpy(row->id, r->rec.id, sizeof(row->id));
    row->name = strdup(r->rec.nominee_name);
    row->kind = strdup(record_kind_label(r->rec.nominee_kind));
    row->title = strdup(r->rec.title);
    row->award = strdup(out_form_label(l->w, r->rec.proposed_award));
    const char *s = out_record_state(r, l->w, true, state, sizeof(state));
    row->attention = out_needs_attention(r);
    row->state = strdup(s[0] == '!' && s[1] == ' ' ? s + 2 : s);
    if (!row->name || !row->kind || !row->title || !row->award || !row->state)
        return l->rc = TD_ENOMEM;
    return 0;
}

static void ui_list_free(ui_list_t *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->rows[i].name);
        free(l->rows[i].kind);
        free(l->rows[i].title);
        free(l->rows[i].award);
        free(l->rows[i].state);
    }
    free(l->rows);
    free(l->q);
}

/* People by given name, as a Vietnamese list is read (`thidua list` sorts so too). */
static int ui_row_cmp(const void *a, const void *b)
{
    const ui_row_t *x = a, *y = b;
    int c = text_collate_given_name(x->name, y->name);
    return c != 0 ? c : strcmp(x->id, y->id);
}

/* A store failure as a page. */
static void ui_store_error(ui_console_t *c, ui_resp_t *rs, int rc)
{
    rs->status = 500;
    strbuf_reset(&rs->body);
    ui_page_begin(&rs->body, _("The store could not be read"), UI_NAV_NONE, &c->frame);
    ui_notice(&rs->body, "error",
              store_errmsg(c->office.st)[0] ? store_errmsg(c->office.st) : td_strerror(rc));
    ui_page_end(&rs->body);
}

void ui_page_records(void *app, ui_req_t *rq, ui_resp_t *rs)
{
    ui_console_t *c = app;
    ui_console_refresh(c);
    const char *q = ui_req_query(rq, "q");
    const char *status = ui_req_query(rq, "status");
    store_filter_t f = STORE_FILTER_ANY;
    if (status != NULL && status[0] != '\0')
        f.status = out_status_parse(status);
    ui_list_t l = {.w = c->office.welcome};
    if (q != NULL && q[0] != '\0' && text_fold_loose(q, strlen(q), &l.q) != TD_OK) {
        l.q = NULL;
        q = NULL; /* not text: searched as nothing */
    }
    int rc = f.status < -1 ? TD_OK : store_list(c->office.st, &f, ui_list_take, &l);
    if (rc == TD_OK)
        rc = l.rc;
    if (rc != TD_OK) {
        ui_list_free(&l);
        ui_store_error(c, rs, rc);
        return;
    }
    if (l.n > 1) /* qsort wants rows even for none */
        qsort(l.rows, l.n, sizeof(*l.rows), ui_row_cmp);

    strbuf_t *sb = &rs->body;
    ui_page_begin(sb, _("Nominations"), UI_NAV_RECORDS, &c->frame);
    strbuf_puts(sb, "<form method=\"get\" action=\"/records\" class=\"filters\" role=\"search\">"
                    "<label for=\"q\">");
    ui_esc(sb, _("Search by name or achievement"));
    strbuf_puts(sb, "</label><input id=\"q\" name=\"q\" type=\"search\" value=\"");
    ui_esc(sb, q);
    strbuf_puts(sb, "\"><label for=\"status\">");
    ui_esc(sb, _("Status"));
    strbuf_puts(sb, "</label><select id=\"status\" name=\"status\"><option value=\"\">");
    ui_esc(sb, _("all"));
    strbuf_puts(sb, "</option>");
    for (int s = 0; s <= THIDUA__V1__RECORD__STATUS__REVOKED; s++) {
        strbuf_printf(sb, "<option value=\"%s\"%s>", out_status_name(s),
                      f.status == s ? " selected" : "");
        ui_esc(sb, out_status_label(s));
        strbuf_puts(sb, "</option>");
    }
    strbuf_puts(sb, "</select><button type=\"submit\" data-action=\"search\">");
    ui_esc(sb, _("Search"));
    strbuf_puts(sb, "</button></form>\n<p class=\"count\">");
    strbuf_printf(sb, ngettext("%zu nomination", "%zu nominations", l.matched), l.matched);
    if (l.matched > l.n)
        strbuf_printf(sb, _(" (the first %zu shown: search to narrow)"), l.n);
    strbuf_puts(sb, "</p>\n");
    if (l.n > 0) {
        const char *heads[] = {N_("Name"), N_("Kind"), N_("Achievement"), N_("Proposed award"),
                               N_("Where it stands")};
        strbuf_puts(sb, "<table class=\"records\"><thead><tr>");
        for (size_t i = 0; i < THIDUA_ARRAY_LEN(heads); i++) {
            strbuf_puts(sb, "<th scope=\"col\">");
            ui_esc(sb, _(heads[i]));
            strbuf_puts(sb, "</th>");
        }
        strbuf_puts(sb, "</tr></thead><tbody>\n");
        for (size_t i = 0; i < l.n; i++) {
            const ui_row_t *row = &l.rows[i];
            strbuf_printf(sb, "<tr data-id=\"%s\"%s><td><a href=\"/records/%s\">", row->id,
                          row->attention ? " class=\"attention\"" : "", row->id);
            ui_esc(sb, row->name);
            strbuf_puts(sb, "</a></td><td>");
            ui_esc(sb, row->kind);
            strbuf_puts(sb, "</td><td>");
            ui_esc(sb, row->title);
            strbuf_puts(sb, "</td><td>");
            ui_esc(sb, row->award);
            strbuf_puts(sb, "</td><td class=\"state\">");
            ui_esc(sb, row->state);
            strbuf_puts(sb, "</td></tr>\n");
        }
        strbuf_puts(sb, "</tbody></table>\n");
    } else {
        strbuf_puts(sb, "<p class=\"empty\">");
        ui_esc(sb, q != NULL || f.status >= 0
                       ? _("No nomination matches.")
                       : _("No nomination yet: add one, or import a file."));
        strbuf_puts(sb, "</p>\n");
    }
    ui_page_end(sb);
    ui_list_free(&l);
}

/* --- one record -------------------------------------------------------------------- */

/* A content field as people read it: labels for codes, dd/mm/yyyy for dates. */
const char *ui_field_text(const Thidua__V1__Welcome *w, recin_field_t f, const char *v,
                          char date[DATE_STR_SIZE])
{
    switch (f) {
    case RECIN_KIND: return record_kind_label(v);
    case RECIN_GENDER: return record_gender_label(v);
    case RECIN_BIRTH_DATE:
    case RECIN_ACHIEVED_ON: return out_date_vn(v, date);
    case RECIN_CATEGORY: return out_category_label(w, v);
    case RECIN_AWARD: return out_form_label(w, v);
    case RECIN_UNIT: {
        const char *n = out_unit_name(w, v);
        return n != NULL ? n : v;
    }
    default: return v;
    }
}

void ui_record_fields(strbuf_t *sb, const Thidua__V1__Welcome *w,
                      const char *const v[RECIN_NFIELDS])
{
    char date[DATE_STR_SIZE];
    bool individual = strcmp(v[RECIN_KIND], "individual") == 0;
    strbuf_puts(sb, "<dl class=\"record\">\n");
    for (int f = 0; f < RECIN_NFIELDS; f++) {
        /* A collective or household has no person's fields: not shown empty. */
        if (v[f][0] == '\0' && !individual &&
            (f == RECIN_BIRTH_DATE || f == RECIN_GENDER || f == RECIN_POSITION ||
             f == RECIN_WORKPLACE))
            continue;
        const char *label = field_label(recin_fields[f].proto);
        strbuf_puts(sb, "<dt>");
        ui_esc(sb, label != NULL ? label : recin_fields[f].proto);
        strbuf_printf(sb, "</dt><dd data-field=\"%s\"%s>", recin_fields[f].proto,
                      f == RECIN_SUMMARY ? " class=\"summary\"" : "");
        ui_esc(sb, ui_field_text(w, (recin_field_t)f, v[f], date));
        strbuf_puts(sb, "</dd>\n");
    }
    strbuf_puts(sb, "</dl>\n");
}

typedef struct ui_hist {
    strbuf_t *sb;
} ui_hist_t;

static int ui_hist_revision(void *ctx, const store_revision_t *rev)
{
    ui_hist_t *h = ctx;
    char when[OUT_TIME_SIZE];
    strbuf_printf(h->sb, "<tr><td>%" PRIu32 "</td><td>", rev->revision);
    ui_esc(h->sb, out_time_vn(rev->at_ms, when));
    strbuf_puts(h->sb, "</td><td>");
    ui_esc(h->sb, rev->from_server ? _("from the province's copy") : _("made in this office"));
    strbuf_puts(h->sb, "</td><td>");
    ui_esc(h->sb, rev->content->withdrawn ? _("withdrawn") : rev->content->title);
    strbuf_puts(h->sb, "</td></tr>\n");
    return 0;
}

static int ui_hist_decision(void *ctx, const Thidua__V1__Decision *d)
{
    ui_hist_t *h = ctx;
    char when[OUT_TIME_SIZE];
    strbuf_puts(h->sb, "<li>");
    ui_esc(h->sb, out_time_vn(d->decided_at_ms, when));
    strbuf_puts(h->sb, " · <strong>");
    ui_esc(h->sb, out_action_label(d->action));
    strbuf_printf(h->sb, "</strong> (%s %" PRIu32 ")", _("revision"), d->revision);
    if (d->reason != NULL && d->reason[0] != '\0') {
        strbuf_puts(h->sb, ": <q class=\"reason\">");
        ui_esc(h->sb, d->reason);
        strbuf_puts(h->sb, "</q>");
    }
    strbuf_puts(h->sb, "</li>\n");
    return 0;
}

/* The record's page. */
static void ui_record_page(ui_console_t *c, const store_record_t *r, const char *flash,
                           ui_resp_t *rs)
{
    strbuf_t *sb = &rs->body;
    char state[1024], date[DATE_STR_SIZE], why[1024];
    ui_page_begin(sb, r->rec.nominee_name, UI_NAV_RECORDS, &c->frame);
    if (flash != NULL)
        ui_notice(sb, "ok", flash);
    const char *s = out_record_state(r, c->office.welcome, true, state, sizeof(state));
    bool attention = out_needs_attention(r);
    strbuf_printf(sb, "<p class=\"state%s\" id=\"state\">", attention ? " attention" : "");
    ui_esc(sb, attention && s[0] == '!' ? s + 2 : s);
    strbuf_puts(sb, "</p>\n");
    if (r->mark != 0) {
        const char *label = r->mark_field[0] ? field_label(r->mark_field) : NULL;
        strbuf_printf(sb, "<p class=\"notice error\" id=\"refusal\" data-field=\"%s\">",
                      r->mark_field);
        if (label != NULL) {
            ui_esc(sb, label);
            strbuf_puts(sb, ": ");
        }
        ui_esc(sb, r->mark_message);
        strbuf_puts(sb, "</p>\n");
    }
    office_why_locked(r, why, sizeof(why));
    if (why[0] != '\0')
        ui_notice(sb, "warn", why);

    bool locked = office_is_locked(r);
    if (!locked) {
        strbuf_printf(sb, "<p class=\"actions\"><a class=\"button\" data-action=\"edit\" "
                          "href=\"/records/%s/edit\">",
                      r->rec.id);
        ui_esc(sb, _("Edit"));
        strbuf_printf(sb, "</a></p>\n");
    }

    const char *values[RECIN_NFIELDS];
    recin_values(&r->rec, values);
    ui_record_fields(sb, c->office.welcome, values);

    const Thidua__V1__Award *aw = r->rec.award;
    if (aw != NULL) {
        strbuf_puts(sb, "<h2>");
        ui_esc(sb, _("Award"));
        strbuf_puts(sb, "</h2>\n<dl class=\"award\" id=\"award\"><dt>");
        ui_esc(sb, _("Award form"));
        strbuf_puts(sb, "</dt><dd>");
        ui_esc(sb, out_form_label(c->office.welcome, aw->form));
        strbuf_puts(sb, "</dd>\n");
        const Thidua__V1__AwardDecision *acts[2] = {aw->decision, aw->revoked_by};
        const char *labels[2] = {N_("Decision"), N_("Revoked by")};
        for (size_t i = 0; i < 2; i++) {
            if (acts[i] == NULL)
                continue;
            strbuf_puts(sb, "<dt>");
            ui_esc(sb, _(labels[i]));
            strbuf_puts(sb, "</dt><dd>");
            ui_esc(sb, acts[i]->number);
            strbuf_puts(sb, " · ");
            ui_esc(sb, out_date_vn(acts[i]->date, date));
            strbuf_puts(sb, " · ");
            ui_esc(sb, acts[i]->signer);
            strbuf_puts(sb, "</dd>\n");
        }
        if (aw->revoked_reason != NULL && aw->revoked_reason[0] != '\0') {
            strbuf_puts(sb, "<dt>");
            ui_esc(sb, _("Reason for revoking"));
            strbuf_puts(sb, "</dt><dd>");
            ui_esc(sb, aw->revoked_reason);
            strbuf_puts(sb, "</dd>\n");
        }
        strbuf_puts(sb, "</dl>\n");
    }

    ui_hist_t h = {sb};
    strbuf_puts(sb, "<h2>");
    ui_esc(sb, _("The province's decisions"));
    strbuf_puts(sb, "</h2>\n<ul class=\"decisions\" id=\"decisions\">\n");
    size_t before = sb->len;
    if (store_history_decisions(c->office.st, r->rec.id, ui_hist_decision, &h) != TD_OK)
        ui_notice(sb, "error", store_errmsg(c->office.st));
    if (sb->len == before) {
        strbuf_puts(sb, "<li class=\"empty\">");
        ui_esc(sb, _("none yet"));
        strbuf_puts(sb, "</li>\n");
    }
    strbuf_puts(sb, "</ul>\n<h2>");
    ui_esc(sb, _("History"));
    strbuf_puts(sb, "</h2>\n<table class=\"history\"><thead><tr>");
    const char *heads[] = {N_("Revision"), N_("When"), N_("Where"), N_("Achievement")};
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(heads); i++) {
        strbuf_puts(sb, "<th scope=\"col\">");
        ui_esc(sb, _(heads[i]));
        strbuf_puts(sb, "</th>");
    }
    strbuf_puts(sb, "</tr></thead><tbody>\n");
    if (store_history_revisions(c->office.st, r->rec.id, ui_hist_revision, &h) != TD_OK)
        ui_notice(sb, "error", store_errmsg(c->office.st));
    strbuf_puts(sb, "</tbody></table>\n");

    if (!locked && !r->rec.withdrawn) {
        strbuf_printf(sb, "<form method=\"post\" action=\"/records/%s/withdraw\" "
                          "class=\"danger\">",
                      r->rec.id);
        ui_csrf(sb, &c->auth);
        strbuf_puts(sb, "<label><input type=\"checkbox\" name=\"confirm\" value=\"yes\" "
                        "required> ");
        ui_esc(sb, _("I want to withdraw this nomination; nothing can follow a withdrawal"));
        strbuf_puts(sb, "</label> <button type=\"submit\" data-action=\"withdraw\">");
        ui_esc(sb, _("Withdraw"));
        strbuf_puts(sb, "</button></form>\n");
    }
    ui_page_end(sb);
}

static void ui_not_found(ui_console_t *c, ui_resp_t *rs)
{
    rs->status = 404;
    strbuf_reset(&rs->body);
    ui_page_begin(&rs->body, _("No such nomination"), UI_NAV_RECORDS, &c->frame);
    ui_notice(&rs->body, "error", _("This office's store holds no nomination with this id."));
    ui_page_end(&rs->body);
}

/*
 * The record a path under /records/ names, and what follows its id ("" or
 * "/edit"...). NULL after answering 404 when there is none.
 */
static store_record_t *ui_record_of(ui_console_t *c, const char *path, const char **rest,
                                    ui_resp_t *rs)
{
    const char *id = path + strlen("/records/");
    const char *slash = strchr(id, '/');
    size_t n = slash != NULL ? (size_t)(slash - id) : strlen(id);
    *rest = id + n;
    char want[STORE_ID_LEN + 1];
    store_record_t *r = NULL;
    if (n == STORE_ID_LEN) {
        memcpy(want, id, n);
        want[n] = '\0';
        if (store_record_get(c->office.st, want, &r) == TD_OK)
            return r;
    }
    ui_not_found(c, rs);
    return NULL;
}

void ui_page_record_get(void *app, ui_req_t *rq, ui_resp_t *rs)
{
    ui_console_t *c = app;
    ui_console_refresh(c);
    if (strcmp(rq->path, "/records/new") == 0) {
        ui_form_show(c, NULL, rs);
        return;
    }
    const char *rest;
    store_record_t *r = ui_record_of(c, rq->path, &rest, rs);
    if (r == NULL)
        return;
    static const ui_flash_t flashes[] = {
        {"added", N_("Stored in this office. The next sync sends it to the province.")},
        {"saved", N_("Saved as a new revision. The next sync sends it to the province.")},
        {"unchanged", N_("Nothing was changed.")},
        {"withdrawn", N_("Withdrawn. The next sync tells the province.")},
    };
    const char *flash =
        ui_flash(ui_req_query(rq, "done"), flashes, THIDUA_ARRAY_LEN(flashes));
    if (rest[0] == '\0')
        ui_record_page(c, r, flash, rs);
    else if (strcmp(rest, "/edit") == 0)
        ui_form_show(c, r, rs);
    else
        ui_not_found(c, rs);
    store_record_free(r);
}

static void ui_record_withdraw(ui_console_t *c, const store_record_t *sr, ui_req_t *rq,
                               ui_resp_t *rs)
{
    char url[128];
    snprintf(url, sizeof(url), "/records/%s", sr->rec.id);
    if (sr->rec.withdrawn || office_is_locked(sr) ||
        strcmp(ui_req_value(rq, "confirm"), "yes") != 0) {
        ui_resp_redirect(rs, url);
        return;
    }
    valid_error_t err;
    record_t r;
    record_init(&r);
    int rc = office_withdraw(&c->office, sr, &r, &err);
    record_free(&r);
    if (rc != TD_OK) {
        ui_store_error(c, rs, rc);
        return;
    }
    snprintf(url, sizeof(url), "/records/%s?done=withdrawn", sr->rec.id);
    ui_resp_redirect(rs, url);
}

void ui_page_record_post(void *app, ui_req_t *rq, ui_resp_t *rs)
{
    ui_console_t *c = app;
    ui_console_refresh(c);
    if (strcmp(rq->path, "/records/new") == 0) {
        ui_form_submit(c, NULL, rq, rs);
        return;
    }
    const char *rest;
    store_record_t *r = ui_record_of(c, rq->path, &rest, rs);
    if (r == NULL)
        return;
    if (strcmp(rest, "/edit") == 0)
        ui_form_submit(c, r, rq, rs);
    else if (strcmp(rest, "/withdraw") == 0)
        ui_record_withdraw(c, r, rq, rs);
    else
        ui_resp_redirect(rs, "/records");
    store_record_free(r);
}
