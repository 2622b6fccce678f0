/*
 * ui_queue.c - the province's review queue: the nominations the server holds,
 * filtered as `thidua review list` filters them (unit and the units below it,
 * status, category, award form, possible duplicates), in the server's order
 * (unit by unit, names in the Vietnamese order), one page at a time. The
 * name search ignores diacritics, as the office's list does; the server has
 * no such filter, so a search reads the filtered list whole (up to
 * UI_QUEUE_SEARCH_MAX) and keeps what matches.
 *
 * Also the province's failures as notices (ui_admin_notice).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "i18n.h"
#include "output.h"
#include "record.h"
#include "text.h"
#include "ui_console.h"
#include "ui_html.h"

/* Rows a page shows, and the most a name search reads. */
#define UI_QUEUE_PAGE 100
#define UI_QUEUE_SEARCH_MAX 20000

void ui_admin_notice(strbuf_t *sb, const ui_admin_err_t *e)
{
    strbuf_puts(sb, "<div class=\"notice error\" role=\"alert\" id=\"problems\">");
    if (e->field[0] != '\0') {
        const char *label = field_label(e->field);
        strbuf_printf(sb, "<strong data-field=\"%s\">", e->field);
        ui_esc(sb, label != NULL ? label : e->field);
        strbuf_puts(sb, "</strong>: ");
    }
    ui_esc(sb, e->message);
    strbuf_puts(sb, "</div>\n");
}

/* The filters as the address carries them. */
typedef struct ui_queue_args {
    const char *unit, *status, *category, *award, *q;
    bool dups;
    unsigned long page;
} ui_queue_args_t;

static void ui_queue_args(const ui_req_t *rq, ui_queue_args_t *a)
{
    const char *v;
    a->unit = (v = ui_req_query(rq, "unit")) != NULL ? v : "";
    a->status = (v = ui_req_query(rq, "status")) != NULL ? v : "submitted";
    a->category = (v = ui_req_query(rq, "category")) != NULL ? v : "";
    a->award = (v = ui_req_query(rq, "award")) != NULL ? v : "";
    a->q = (v = ui_req_query(rq, "q")) != NULL ? v : "";
    a->dups = (v = ui_req_query(rq, "dups")) != NULL && strcmp(v, "1") == 0;
    a->page = (v = ui_req_query(rq, "page")) != NULL ? strtoul(v, NULL, 10) : 1;
    if (a->page < 1 || a->page > 100000)
        a->page = 1;
}

/* An <option> of a filter's <select>. */
static void ui_option(strbuf_t *sb, const char *value, const char *label, const char *chosen)
{
    strbuf_puts(sb, "<option value=\"");
    ui_esc(sb, value);
    strbuf_printf(sb, "\"%s>", strcmp(value, chosen) == 0 ? " selected" : "");
    ui_esc(sb, label);
    strbuf_puts(sb, "</option>");
}

static void ui_queue_filters(const ui_console_t *c, strbuf_t *sb, const ui_queue_args_t *a)
{
    const Thidua__V1__Welcome *w = c->office.welcome;
    const Thidua__V1__Campaign *camp = w != NULL ? w->campaign : NULL;
    strbuf_puts(sb, "<form method=\"get\" action=\"/review\" class=\"filters\" role=\"search\">");
    strbuf_puts(sb, "<label for=\"q\">");
    ui_esc(sb, _("Name"));
    strbuf_puts(sb, "</label> <input type=\"search\" id=\"q\" name=\"q\" value=\"");
    ui_esc(sb, a->q);
    strbuf_puts(sb, "\"> <label for=\"unit\">");
    ui_esc(sb, _("Unit"));
    strbuf_puts(sb, "</label> <select id=\"unit\" name=\"unit\">");
    ui_option(sb, "", _("all"), a->unit);
    for (size_t i = 0; w != NULL && i < w->n_units; i++) {
        char label[400];
        snprintf(label, sizeof(label), "%s (%s)", w->units[i]->name, w->units[i]->code);
        ui_option(sb, w->units[i]->code, label, a->unit);
    }
    strbuf_puts(sb, "</select> <label for=\"status\">");
    ui_esc(sb, _("Status"));
    strbuf_puts(sb, "</label> <select id=\"status\" name=\"status\">");
    ui_option(sb, "all", _("all"), a->status);
    static const char *const statuses[] = {"submitted", "returned", "approved", "rejected",
                                           "withdrawn", "awarded",  "revoked"};
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(statuses); i++)
        ui_option(sb, statuses[i], out_status_label(out_status_parse(statuses[i])), a->status);
    strbuf_puts(sb, "</select> <label for=\"category\">");
    ui_esc(sb, _("Category"));
    strbuf_puts(sb, "</label> <select id=\"category\" name=\"category\">");
    ui_option(sb, "", _("all"), a->category);
    for (size_t i = 0; camp != NULL && i < camp->n_categories; i++)
        ui_option(sb, camp->categories[i]->code, camp->categories[i]->name, a->category);
    strbuf_puts(sb, "</select> <label for=\"award\">");
    ui_esc(sb, _("Award form"));
    strbuf_puts(sb, "</label> <select id=\"award\" name=\"award\">");
    ui_option(sb, "", _("all"), a->award);
    for (size_t i = 0; camp != NULL && i < camp->n_award_forms; i++)
        ui_option(sb, camp->award_forms[i]->code, camp->award_forms[i]->name, a->award);
    strbuf_printf(sb, "</select> <label><input type=\"checkbox\" name=\"dups\" value=\"1\"%s> ",
                  a->dups ? " checked" : "");
    ui_esc(sb, _("possible duplicates only"));
    strbuf_puts(sb, "</label> <button type=\"submit\" data-action=\"filter\">");
    ui_esc(sb, _("Show"));
    strbuf_puts(sb, "</button></form>\n");
}

/* Whether the folded query is in the nominee's folded name. */
static bool ui_queue_match(const char *q, const Thidua__V1__Record *r)
{
    char *f = NULL;
    if (text_fold_loose(r->nominee_name, strlen(r->nominee_name), &f) != TD_OK)
        return false;
    bool hit = strstr(f, q) != NULL;
    free(f);
    return hit;
}

static void ui_queue_row(const ui_console_t *c, strbuf_t *sb, const Thidua__V1__Record *r)
{
    const Thidua__V1__Welcome *w = c->office.welcome;
    bool dup = r->n_possible_duplicates > 0;
    strbuf_printf(sb, "<tr data-id=\"%s\" data-status=\"%s\"%s><td><a href=\"/review/%s\">", r->id,
                  out_status_name(r->status), dup ? " class=\"attention\"" : "", r->id);
    ui_esc(sb, r->nominee_name);
    strbuf_puts(sb, "</a>");
    if (dup) {
        strbuf_puts(sb, " <span class=\"badge\" title=\"");
        ui_esc(sb, _("another nomination may be the same nominee"));
        strbuf_puts(sb, "\">");
        ui_esc(sb, _("duplicate?"));
        strbuf_puts(sb, "</span>");
    }
    strbuf_puts(sb, "</td><td>");
    const char *unit = out_unit_name(w, r->org_unit);
    ui_esc(sb, unit != NULL ? unit : r->org_unit);
    strbuf_puts(sb, "</td><td>");
    ui_esc(sb, record_kind_label(r->nominee_kind));
    strbuf_puts(sb, "</td><td>");
    ui_esc(sb, out_category_label(w, r->category));
    strbuf_puts(sb, "</td><td>");
    ui_esc(sb, out_form_label(w, r->proposed_award));
    strbuf_puts(sb, "</td><td class=\"state\">");
    ui_esc(sb, out_status_label(r->status));
    strbuf_printf(sb, "</td><td>%" PRIu32 "</td></tr>\n", r->revision);
}

/* A link to another page of the same filters. */
static void ui_queue_page_link(strbuf_t *sb, const ui_queue_args_t *a, unsigned long page,
                               const char *label)
{
    strbuf_printf(sb, "<a href=\"/review?page=%lu&amp;status=", page);
    ui_esc(sb, a->status);
    strbuf_puts(sb, "&amp;unit=");
    ui_esc(sb, a->unit);
    strbuf_puts(sb, "&amp;category=");
    ui_esc(sb, a->category);
    strbuf_puts(sb, "&amp;award=");
    ui_esc(sb, a->award);
    strbuf_printf(sb, "%s\" rel=\"%s\">", a->dups ? "&amp;dups=1" : "",
                  page < a->page ? "prev" : "next");
    ui_esc(sb, label);
    strbuf_puts(sb, "</a> ");
}

void ui_page_queue(void *app, ui_req_t *rq, ui_resp_t *rs)
{
    ui_console_t *c = app;
    strbuf_t *sb = &rs->body;
    ui_queue_args_t a;
    ui_queue_args(rq, &a);
    ui_admin_err_t e;
    int crc = ui_admin_connect(c, &e); /* first, for the Welcome the filters are made of */
    ui_page_begin(sb, _("Nominations to review"), UI_NAV_QUEUE, &c->frame);
    if (crc != TD_OK) {
        ui_admin_notice(sb, &e);
        ui_page_end(sb);
        return;
    }
    ui_queue_filters(c, sb, &a);

    Thidua__V1__ListRecordsRequest req = THIDUA__V1__LIST_RECORDS_REQUEST__INIT;
    req.org_unit = (char *)a.unit;
    int st = strcmp(a.status, "all") == 0 ? 0 : out_status_parse(a.status);
    req.status = st > 0 ? (Thidua__V1__Record__Status)st : 0;
    req.category = (char *)a.category;
    req.award = (char *)a.award;
    req.duplicates_only = a.dups;
    char *q = NULL;
    if (a.q[0] != '\0' && text_fold_loose(a.q, strlen(a.q), &q) != TD_OK)
        q = NULL;
    bool search = q != NULL && q[0] != '\0';
    req.offset = search ? 0 : (uint32_t)((a.page - 1) * UI_QUEUE_PAGE);
    req.limit = UI_QUEUE_PAGE;

    strbuf_t rows;
    strbuf_init(&rows);
    size_t shown = 0;
    uint32_t total = 0;
    bool more = false;
    for (;;) {
        Thidua__V1__Envelope *env = NULL;
        if (ui_admin_call(c, &req.base, THIDUA__V1__ENVELOPE__BODY_LIST_RECORDS_RESPONSE, true,
                          &env, &e) != TD_OK) {
            ui_admin_notice(sb, &e);
            break;
        }
        const Thidua__V1__ListRecordsResponse *r = env->list_records_response;
        total = r->total;
        for (size_t i = 0; i < r->n_records; i++) {
            if (search && !ui_queue_match(q, r->records[i]))
                continue;
            if (shown < UI_QUEUE_PAGE * 5) /* a search shows five pages' worth at most */
                ui_queue_row(c, &rows, r->records[i]);
            shown++;
        }
        more = r->has_more;
        size_t got = r->n_records;
        thidua__v1__envelope__free_unpacked(env, NULL);
        if (!search || !more || got == 0 || req.offset + got >= UI_QUEUE_SEARCH_MAX)
            break;
        req.offset += (uint32_t)got;
    }
    char line[300];
    if (search)
        snprintf(line, sizeof(line), _("%zu of %u nominations match the name."), shown,
                 total);
    else
        snprintf(line, sizeof(line), _("%u nominations; page %lu."), total, a.page);
    strbuf_printf(sb, "<p id=\"count\" data-total=\"%" PRIu32 "\" data-shown=\"%zu\">", total,
                  shown);
    ui_esc(sb, line);
    strbuf_puts(sb, "</p>\n");
    if (shown > 0) {
        static const char *const heads[] = {N_("Name"),        N_("Unit"),
                                            N_("Kind"),        N_("Category"),
                                            N_("Proposed award"), N_("Status"),
                                            N_("Revision")};
        strbuf_puts(sb, "<table class=\"records\" id=\"queue\"><thead><tr>");
        for (size_t i = 0; i < THIDUA_ARRAY_LEN(heads); i++) {
            strbuf_puts(sb, "<th scope=\"col\">");
            ui_esc(sb, _(heads[i]));
            strbuf_puts(sb, "</th>");
        }
        strbuf_puts(sb, "</tr></thead><tbody>\n");
        strbuf_puts(sb, strbuf_str(&rows));
        strbuf_puts(sb, "</tbody></table>\n");
    } else {
        strbuf_puts(sb, "<p class=\"empty\">");
        ui_esc(sb, _("No nomination matches."));
        strbuf_puts(sb, "</p>\n");
    }
    if (!search && (a.page > 1 || more)) {
        strbuf_puts(sb, "<nav class=\"pages\">");
        if (a.page > 1)
            ui_queue_page_link(sb, &a, a.page - 1, _("Previous page"));
        if (more)
            ui_queue_page_link(sb, &a, a.page + 1, _("Next page"));
        strbuf_puts(sb, "</nav>\n");
    }
    strbuf_free(&rows);
    free(q);
    ui_page_end(sb);
}
