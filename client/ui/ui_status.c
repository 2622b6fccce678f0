/*
 * ui_status.c - where the office stands with the province, and the sync
 * button: what waits to be sent, when the last sync succeeded, the records
 * that need the officer with what to do about each, and a sync that runs in
 * the background while its progress shows on the page (the script polls
 * /sync/state; without the script the page is simply reloaded).
 */
#include <inttypes.h>
#include <string.h>

#include "i18n.h"
#include "output.h"
#include "strbuf.h"
#include "ui_console.h"
#include "ui_html.h"

typedef struct ui_attention {
    strbuf_t *sb;
    const Thidua__V1__Welcome *w;
    size_t n;
} ui_attention_t;

static int ui_attention_row(void *ctx, const store_record_t *r)
{
    ui_attention_t *a = ctx;
    if (!out_needs_attention(r))
        return 0;
    char state[1024];
    const char *s = out_record_state(r, a->w, true, state, sizeof(state));
    if (a->n++ == 0)
        strbuf_puts(a->sb, "<ul class=\"attention\" id=\"attention\">\n");
    strbuf_printf(a->sb, "<li data-id=\"%s\"><a href=\"/records/%s\">", r->rec.id, r->rec.id);
    ui_esc(a->sb, r->rec.nominee_name);
    strbuf_puts(a->sb, "</a>: ");
    ui_esc(a->sb, s[0] == '!' && s[1] == ' ' ? s + 2 : s);
    strbuf_puts(a->sb, " — ");
    /* What to do: a returned record is edited and sent again; a refused one is fixed. */
    ui_esc(a->sb, r->sync == STORE_SYNC_SYNCED
                      ? _("supplement it as the province asks, then sync again")
                      : _("open it, correct what is named, then sync again"));
    strbuf_puts(a->sb, "</li>\n");
    return 0;
}

/* The sync's state as a sentence, for the page and for /sync/state alike. */
static void ui_sync_sentence(const ui_sync_view_t *v, char *out, size_t size)
{
    const sync_stats_t *s = &v->stats;
    switch (v->phase) {
    case UI_SYNC_IDLE:
        out[0] = '\0';
        return;
    case UI_SYNC_RUNNING:
        snprintf(out, size, _("Syncing: sent %llu of %llu, received %llu…"),
                 (unsigned long long)s->pushed, (unsigned long long)s->total,
                 (unsigned long long)s->pulled);
        return;
    case UI_SYNC_DONE:
        if (v->rc == TD_OK)
            snprintf(out, size, _("Sync finished: sent %llu, received %llu."),
                     (unsigned long long)s->pushed, (unsigned long long)s->pulled);
        else
            snprintf(out, size, _("The sync stopped: %s. Nothing is lost; sync again later."),
                     v->err);
        return;
    }
}

static const char *ui_sync_phase_name(ui_sync_phase_t p)
{
    return p == UI_SYNC_RUNNING ? "running" : p == UI_SYNC_DONE ? "done" : "idle";
}

void ui_page_status(void *app, ui_req_t *rq, ui_resp_t *rs)
{
    (void)rq;
    ui_console_t *c = app;
    ui_console_refresh(c);
    store_summary_t s;
    strbuf_t *sb = &rs->body;
    int rc = store_summary(c->office.st, &s);
    ui_page_begin(sb, _("Sending and status"), UI_NAV_STATUS, &c->frame);
    if (rc != TD_OK) {
        ui_notice(sb, "error", store_errmsg(c->office.st));
        ui_page_end(sb);
        return;
    }
    ui_sync_view_t v;
    ui_sync_get(c->sync, &v);
    char sentence[1400];
    ui_sync_sentence(&v, sentence, sizeof(sentence));
    strbuf_printf(sb, "<section class=\"sync\" id=\"sync\" data-phase=\"%s\">",
                  ui_sync_phase_name(v.phase));
    strbuf_puts(sb, "<form method=\"post\" action=\"/sync\">");
    ui_csrf(sb, &c->auth);
    strbuf_printf(sb, "<button type=\"submit\" data-action=\"sync\"%s>",
                  v.phase == UI_SYNC_RUNNING ? " disabled" : "");
    ui_esc(sb, _("Sync with the province"));
    strbuf_puts(sb, "</button></form>");
    strbuf_printf(sb, "<progress id=\"sync-progress\" max=\"%llu\" value=\"%llu\"%s></progress>",
                  (unsigned long long)(v.stats.total ? v.stats.total : 1),
                  (unsigned long long)v.stats.pushed, v.phase == UI_SYNC_RUNNING ? "" : " hidden");
    strbuf_printf(sb, "<p id=\"sync-state\" class=\"%s\" aria-live=\"polite\">",
                  v.phase == UI_SYNC_DONE && v.rc != TD_OK ? "notice error" : "");
    ui_esc(sb, sentence);
    strbuf_puts(sb, "</p></section>\n");

    char t[OUT_TIME_SIZE], d1[DATE_STR_SIZE], d2[DATE_STR_SIZE];
    const Thidua__V1__Welcome *w = c->office.welcome;
    strbuf_puts(sb, "<dl class=\"summary\" id=\"summary\">");
    struct {
        const char *label;
        char value[600];
        const char *id;
    } rows[6];
    size_t n = 0;
    rows[n].label = _("Office");
    rows[n].id = "office";
    if (w != NULL)
        snprintf(rows[n].value, sizeof(rows[n].value), "%s (%s)", w->org_unit_name, w->org_unit);
    else
        snprintf(rows[n].value, sizeof(rows[n].value), "%s", c->frame.label);
    n++;
    rows[n].label = _("Campaign");
    rows[n].id = "campaign";
    if (w != NULL && w->campaign != NULL)
        snprintf(rows[n].value, sizeof(rows[n].value), _("%s (%s), %s to %s"), w->campaign->name,
                 w->campaign->code, out_date_vn(w->campaign->starts_on, d1),
                 out_date_vn(w->campaign->ends_on, d2));
    else
        snprintf(rows[n].value, sizeof(rows[n].value), "%s",
                 _("not known yet: sync once while online"));
    n++;
    rows[n].label = _("Last sync");
    rows[n].id = "last-sync";
    snprintf(rows[n].value, sizeof(rows[n].value), "%s",
             s.last_sync_ms ? out_time_vn(s.last_sync_ms, t) : _("never"));
    n++;
    rows[n].label = _("Nominations");
    rows[n].id = "records";
    snprintf(rows[n].value, sizeof(rows[n].value), "%llu", (unsigned long long)s.records);
    n++;
    rows[n].label = _("Waiting to be sent");
    rows[n].id = "outbox";
    snprintf(rows[n].value, sizeof(rows[n].value),
             ngettext("%llu nomination", "%llu nominations", s.pending),
             (unsigned long long)s.pending);
    n++;
    rows[n].label = _("Refused at sync");
    rows[n].id = "refused";
    snprintf(rows[n].value, sizeof(rows[n].value), "%llu", (unsigned long long)s.refused);
    n++;
    for (size_t i = 0; i < n; i++) {
        strbuf_puts(sb, "<dt>");
        ui_esc(sb, rows[i].label);
        strbuf_printf(sb, "</dt><dd id=\"%s\">", rows[i].id);
        ui_esc(sb, rows[i].value);
        strbuf_puts(sb, "</dd>");
    }
    strbuf_puts(sb, "</dl>\n");
    char note[800];
    if (w != NULL && out_unit_closed_note(w, note, sizeof(note))[0] != '\0')
        ui_notice(sb, "warn", note);

    strbuf_puts(sb, "<h2>");
    ui_esc(sb, _("What needs you"));
    strbuf_puts(sb, "</h2>\n");
    ui_attention_t a = {sb, w, 0};
    store_filter_t f = STORE_FILTER_ANY;
    f.order = STORE_ORDER_CREATED;
    if (store_list(c->office.st, &f, ui_attention_row, &a) != TD_OK)
        ui_notice(sb, "error", store_errmsg(c->office.st));
    if (a.n > 0) {
        strbuf_puts(sb, "</ul>\n");
    } else {
        strbuf_puts(sb, "<p class=\"empty\">");
        ui_esc(sb, _("Nothing: no nomination was returned or refused."));
        strbuf_puts(sb, "</p>\n");
    }
    ui_print_section(c, sb);
    ui_page_end(sb);
}

void ui_page_sync_post(void *app, ui_req_t *rq, ui_resp_t *rs)
{
    (void)rq;
    ui_console_t *c = app;
    char err[1024];
    int rc = ui_sync_start(c->sync, err, sizeof(err));
    if (rc != TD_OK && rc != TD_EBUSY) {
        rs->status = 503;
        ui_page_begin(&rs->body, _("Sending and status"), UI_NAV_STATUS, &c->frame);
        ui_notice(&rs->body, "error", err);
        ui_page_end(&rs->body);
        return;
    }
    ui_resp_redirect(rs, "/status");
}

void ui_page_sync_state(void *app, ui_req_t *rq, ui_resp_t *rs)
{
    (void)rq;
    ui_console_t *c = app;
    ui_sync_view_t v;
    ui_sync_get(c->sync, &v);
    char sentence[1400];
    ui_sync_sentence(&v, sentence, sizeof(sentence));
    rs->type = "application/json";
    strbuf_t *sb = &rs->body;
    strbuf_puts(sb, "{\"phase\":");
    strbuf_json_string(sb, ui_sync_phase_name(v.phase));
    strbuf_printf(sb,
                  ",\"gen\":%u,\"ok\":%s,\"total\":%" PRIu64 ",\"pushed\":%" PRIu64
                  ",\"pulled\":%" PRIu64 ",\"text\":",
                  v.gen, v.phase == UI_SYNC_DONE && v.rc != TD_OK ? "false" : "true",
                  v.stats.total, v.stats.pushed, v.stats.pulled);
    strbuf_json_string(sb, sentence);
    strbuf_puts(sb, "}\n");
}
