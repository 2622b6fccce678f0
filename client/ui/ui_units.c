/*
 * ui_units.c - what the province's work is framed by: its units, every one
 * that ever existed (the closed ones with the units that carry on their
 * work, as `thidua units list --all` shows them), and its campaigns with
 * their categories and award forms (from the Welcome, as `thidua campaigns
 * list` shows them). Read only: units and campaigns change through the
 * province's files and commands (docs/admin-guide.md).
 *
 * Routes: GET /units, GET /campaigns.
 */
#include <string.h>

#include "i18n.h"
#include "output.h"
#include "record.h"
#include "ui_console.h"
#include "ui_html.h"

/* A list of codes ("930, 931"), or an empty cell. */
static void ui_codes(strbuf_t *sb, char **codes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            strbuf_puts(sb, ", ");
        ui_esc(sb, codes[i]);
    }
}

static void ui_heads(strbuf_t *sb, const char *const *heads, size_t n)
{
    strbuf_puts(sb, "<thead><tr>");
    for (size_t i = 0; i < n; i++) {
        strbuf_puts(sb, "<th scope=\"col\">");
        ui_esc(sb, _(heads[i]));
        strbuf_puts(sb, "</th>");
    }
    strbuf_puts(sb, "</tr></thead><tbody>\n");
}

void ui_page_units(void *app, ui_req_t *rq, ui_resp_t *rs)
{
    (void)rq;
    ui_console_t *c = app;
    strbuf_t *sb = &rs->body;
    Thidua__V1__UnitListRequest req = THIDUA__V1__UNIT_LIST_REQUEST__INIT;
    req.on = (char *)"";
    req.all = true;
    Thidua__V1__Envelope *env = NULL;
    ui_admin_err_t e;
    int rc = ui_admin_call(c, &req.base, THIDUA__V1__ENVELOPE__BODY_UNIT_LIST_RESPONSE, true, &env,
                           &e);
    ui_page_begin(sb, _("Units"), UI_NAV_UNITS, &c->frame);
    if (rc != TD_OK) {
        ui_admin_notice(sb, &e);
        ui_page_end(sb);
        return;
    }
    const Thidua__V1__UnitListResponse *l = env->unit_list_response;
    static const char *const heads[] = {N_("Code"),       N_("Unit"),      N_("Level"),
                                        N_("Above it"),   N_("From"),      N_("To"),
                                        N_("Succeeded by"), N_("Legal basis")};
    strbuf_puts(sb, "<table id=\"units\">");
    ui_heads(sb, heads, THIDUA_ARRAY_LEN(heads));
    char d1[DATE_STR_SIZE], d2[DATE_STR_SIZE];
    for (size_t i = 0; i < l->n_units; i++) {
        const Thidua__V1__OrgUnit *u = l->units[i];
        bool closed = u->valid_to != NULL && u->valid_to[0] != '\0';
        strbuf_printf(sb, "<tr data-code=\"%s\"%s><td>", u->code,
                      closed ? " class=\"closed\"" : "");
        ui_esc(sb, u->code);
        strbuf_puts(sb, "</td><td>");
        ui_esc(sb, u->name);
        strbuf_puts(sb, "</td><td>");
        ui_esc(sb, u->unit_type != NULL && u->unit_type[0] != '\0' ? u->unit_type : u->level);
        strbuf_puts(sb, "</td><td>");
        ui_esc(sb, u->parent);
        strbuf_puts(sb, "</td><td>");
        ui_esc(sb, out_date_vn(u->valid_from, d1));
        strbuf_puts(sb, "</td><td>");
        if (closed)
            ui_esc(sb, out_date_vn(u->valid_to, d2));
        else
            ui_esc(sb, _("in force"));
        strbuf_puts(sb, "</td><td>");
        ui_codes(sb, u->successors, u->n_successors);
        strbuf_puts(sb, "</td><td>");
        ui_esc(sb, u->basis);
        strbuf_puts(sb, "</td></tr>\n");
    }
    strbuf_puts(sb, "</tbody></table>\n");
    thidua__v1__envelope__free_unpacked(env, NULL);
    ui_page_end(sb);
}

void ui_page_campaigns(void *app, ui_req_t *rq, ui_resp_t *rs)
{
    (void)rq;
    ui_console_t *c = app;
    strbuf_t *sb = &rs->body;
    ui_admin_err_t e;
    int rc = ui_admin_connect(c, &e); /* the Welcome holds the campaigns */
    ui_page_begin(sb, _("Campaigns"), UI_NAV_CAMPAIGNS, &c->frame);
    const Thidua__V1__Welcome *w = c->office.welcome;
    if (rc != TD_OK || w == NULL) {
        ui_admin_notice(sb, &e);
        ui_page_end(sb);
        return;
    }
    char d1[DATE_STR_SIZE], d2[DATE_STR_SIZE];
    for (size_t i = 0; i < w->n_campaigns; i++) {
        const Thidua__V1__Campaign *k = w->campaigns[i];
        bool current = w->campaign != NULL && strcmp(w->campaign->code, k->code) == 0;
        strbuf_printf(sb, "<section class=\"campaign\" data-code=\"%s\"><h2>", k->code);
        ui_esc(sb, k->name);
        strbuf_puts(sb, " (");
        ui_esc(sb, k->code);
        strbuf_puts(sb, ")");
        if (current) {
            strbuf_puts(sb, " <span class=\"badge\">");
            ui_esc(sb, _("default"));
            strbuf_puts(sb, "</span>");
        }
        strbuf_puts(sb, "</h2>\n<p>");
        char line[600];
        snprintf(line, sizeof(line), _("%s to %s, organised by %s"),
                 out_date_vn(k->starts_on, d1), out_date_vn(k->ends_on, d2), k->organiser);
        ui_esc(sb, line);
        strbuf_puts(sb, "</p>\n<table class=\"categories\">");
        static const char *const cheads[] = {N_("Code"), N_("Category")};
        ui_heads(sb, cheads, THIDUA_ARRAY_LEN(cheads));
        for (size_t j = 0; j < k->n_categories; j++) {
            strbuf_puts(sb, "<tr><td>");
            ui_esc(sb, k->categories[j]->code);
            strbuf_puts(sb, "</td><td>");
            ui_esc(sb, k->categories[j]->name);
            strbuf_puts(sb, "</td></tr>\n");
        }
        strbuf_puts(sb, "</tbody></table>\n<table class=\"forms\">");
        static const char *const fheads[] = {N_("Code"), N_("Award form"), N_("For"),
                                             N_("Conferred by")};
        ui_heads(sb, fheads, THIDUA_ARRAY_LEN(fheads));
        for (size_t j = 0; j < k->n_award_forms; j++) {
            const Thidua__V1__AwardForm *f = k->award_forms[j];
            strbuf_puts(sb, "<tr><td>");
            ui_esc(sb, f->code);
            strbuf_puts(sb, "</td><td>");
            ui_esc(sb, f->name);
            strbuf_puts(sb, "</td><td>");
            for (size_t m = 0; m < f->n_nominee_kinds; m++) {
                if (m > 0)
                    strbuf_puts(sb, ", ");
                ui_esc(sb, record_kind_label(f->nominee_kinds[m]));
            }
            strbuf_puts(sb, "</td><td>");
            ui_esc(sb, f->conferred_by);
            strbuf_puts(sb, "</td></tr>\n");
        }
        strbuf_puts(sb, "</tbody></table></section>\n");
    }
    ui_page_end(sb);
}
