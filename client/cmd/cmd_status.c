/*
 * cmd_status.c - `thidua status`: where this office stands with the
 * province, from the local store alone.
 *
 * What an officer asks before and after a sync: how much waits to be sent,
 * when the last sync succeeded, and which records the province or the server
 * sent back, each with its reason. It exits 6 when some record needs the
 * officer, so that a script (or a scheduled task) can notice.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmdopt.h"
#include "i18n.h"
#include "office_session.h"
#include "output.h"

/* Records that need the officer, gathered for printing. */
typedef struct {
    bool json;
    const Thidua__V1__Welcome *welcome; /* names for codes; may be NULL */
    strbuf_t *sb;
    size_t n;
    size_t returned;
} status_walk_t;

static int status_take(void *ctx, const store_record_t *r)
{
    status_walk_t *w = ctx;
    if (!out_needs_attention(r))
        return 0;
    char state[1024];
    out_record_state(r, w->welcome, !w->json, state, sizeof(state));
    w->n++;
    if (r->sync == STORE_SYNC_SYNCED)
        w->returned++;
    if (w->json) {
        out_json_key(w->sb, NULL);
        strbuf_putc(w->sb, '{');
        out_json_str(w->sb, "id", r->rec.id);
        out_json_str(w->sb, "nominee_name", r->rec.nominee_name);
        out_json_str(w->sb, "status", out_status_name(r->rec.status));
        out_json_str(w->sb, "sync", out_sync_name(r->sync));
        out_json_str(w->sb, "state", state);
        strbuf_putc(w->sb, '}');
        return strbuf_failed(w->sb) ? TD_ENOMEM : 0;
    }
    printf("  %.8s  ", r->rec.id);
    out_cell(stdout, r->rec.nominee_name, 28);
    printf("  %s\n", state);
    return 0;
}

/* The summary's labels, to line their values up in any language. */
static const char *const status_labels[] = {
    N_("Configuration:"), N_("Server:"),          N_("Store:"),           N_("Office:"),
    N_("Campaign:"),      N_("Campaign data:"),   N_("Last sync:"),       N_("Feed cursor:"),
    N_("Records:"),       N_("Waiting to send:"), N_("Refused at sync:"), N_("Other campaign:"),
};

/* One line of the summary, label one of status_labels: the labels make one column in any language.
 */
__attribute__((format(printf, 2, 3))) static void status_line(const char *label, const char *fmt,
                                                              ...)
{
    out_cell(stdout, _(label),
             out_label_width(status_labels, THIDUA_ARRAY_LEN(status_labels), 17) + 1);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
}

static void status_text(const cli_t *cli, const office_t *lc, const store_summary_t *s)
{
    char t[OUT_TIME_SIZE], d1[DATE_STR_SIZE], d2[DATE_STR_SIZE];
    const Thidua__V1__Welcome *w = lc->welcome;
    status_line(N_("Configuration:"), "%s", cli->cfg.path);
    status_line(N_("Server:"), "%s", cli->cfg.address ? cli->cfg.address : _("(not set)"));
    status_line(N_("Store:"), "%s", cli->cfg.store_path);
    if (w != NULL) {
        status_line(N_("Office:"), "%s (%s)", w->org_unit_name, w->org_unit);
        if (w->campaign != NULL)
            status_line(N_("Campaign:"), _("%s (%s), %s to %s"), w->campaign->name,
                        w->campaign->code, out_date_vn(w->campaign->starts_on, d1),
                        out_date_vn(w->campaign->ends_on, d2));
        /* The others `add --campaign CODE` may name. */
        for (size_t i = 0; i < w->n_campaigns; i++) {
            const Thidua__V1__Campaign *c = w->campaigns[i];
            if (w->campaign != NULL && strcmp(c->code, w->campaign->code) == 0)
                continue;
            status_line(N_("Other campaign:"), _("%s (%s), %s to %s"), c->name, c->code,
                        out_date_vn(c->starts_on, d1), out_date_vn(c->ends_on, d2));
        }
        status_line(N_("Campaign data:"), "%s", out_time_vn(s->welcome_at_ms, t));
        char note[800];
        if (out_unit_closed_note(w, note, sizeof(note))[0] != '\0')
            status_line(N_("Unit closed:"), "%s", note);
    } else if (lc->unit[0]) {
        status_line(N_("Office:"), _("%s (from the certificate)"), lc->unit);
    } else {
        status_line(N_("Office:"), "%s", _("unknown"));
    }
    if (w == NULL)
        status_line(N_("Campaign:"), "%s", _("not known yet: run `thidua sync` once while online"));
    status_line(N_("Last sync:"), "%s",
                s->last_sync_ms ? out_time_vn(s->last_sync_ms, t) : _("never"));
    status_line(N_("Feed cursor:"), "%llu", (unsigned long long)s->cursor);
    status_line(N_("Records:"), "%llu", (unsigned long long)s->records);
    char revisions[128];
    snprintf(revisions, sizeof(revisions), ngettext("%llu revision", "%llu revisions", s->outbox),
             (unsigned long long)s->outbox);
    status_line(N_("Waiting to send:"),
                ngettext("%s of %llu record", "%s of %llu records", s->pending), revisions,
                (unsigned long long)s->pending);
    status_line(N_("Refused at sync:"),
                _("%llu (invalid %llu, locked %llu, conflict %llu, stale %llu, denied %llu)"),
                (unsigned long long)s->refused, (unsigned long long)s->rejected,
                (unsigned long long)s->locked, (unsigned long long)s->conflict,
                (unsigned long long)s->stale, (unsigned long long)s->denied);
}

static void status_help(void)
{
    fputs(_("usage: thidua status\n\n"
            "What waits to be sent, when the last sync succeeded, and the records that\n"
            "need you (refused at sync, or returned by the province), with reasons.\n"
            "Exit status 6 when some record needs you, 0 otherwise.\n"),
          stdout);
}

int cmd_status(cli_t *cli, int argc, char **argv)
{
    int rc = cmdopt_help_only(argc, argv, status_help);
    if (rc == CLI_EXIT_OK)
        rc = cmdopt_none("status", argc, argv);
    if (rc != CLI_EXIT_OK)
        return rc < 0 ? CLI_EXIT_OK : rc;
    office_t lc;
    rc = office_open(cli, "status", &lc);
    if (rc != CLI_EXIT_OK)
        return rc;
    store_summary_t s;
    int src = store_summary(lc.st, &s);
    if (src < 0) {
        rc = office_store_fail("status", lc.st, src);
        office_close(&lc);
        return rc;
    }
    strbuf_t sb;
    strbuf_init(&sb);
    status_walk_t w = {cli->json, lc.welcome, &sb, 0, 0};
    if (cli->json) {
        const Thidua__V1__Welcome *wl = lc.welcome;
        strbuf_putc(&sb, '{');
        out_json_str(&sb, "config", cli->cfg.path);
        out_json_str(&sb, "server", cli->cfg.address);
        out_json_str(&sb, "store", cli->cfg.store_path);
        out_json_str(&sb, "unit", lc.unit);
        out_json_str(&sb, "campaign", lc.campaign);
        out_json_key(&sb, "campaigns");
        strbuf_putc(&sb, '[');
        for (size_t i = 0; wl != NULL && i < wl->n_campaigns; i++)
            out_json_str(&sb, NULL, wl->campaigns[i]->code);
        strbuf_putc(&sb, ']');
        out_json_str(&sb, "role",
                     wl ? (wl->role == THIDUA__V1__ROLE__ROLE_PROVINCE ? "province" : "district")
                        : "");
        out_json_int(&sb, "welcome_at_ms", s.welcome_at_ms);
        out_json_int(&sb, "last_sync_ms", s.last_sync_ms);
        out_json_int(&sb, "cursor", (long long)s.cursor);
        out_json_int(&sb, "records", (long long)s.records);
        out_json_int(&sb, "outbox", (long long)s.outbox);
        out_json_int(&sb, "pending", (long long)s.pending);
        out_json_int(&sb, "refused", (long long)s.refused);
        out_json_int(&sb, "rejected", (long long)s.rejected);
        out_json_int(&sb, "locked", (long long)s.locked);
        out_json_int(&sb, "conflict", (long long)s.conflict);
        out_json_int(&sb, "stale", (long long)s.stale);
        out_json_int(&sb, "denied", (long long)s.denied);
        out_json_key(&sb, "attention");
        strbuf_putc(&sb, '[');
    } else {
        status_text(cli, &lc, &s);
    }
    store_filter_t f = STORE_FILTER_ANY;
    if (!cli->json) {
        /* The header goes first; rows print as they come. */
        fputs(_("Need attention:\n"), stdout);
    }
    src = store_list(lc.st, &f, status_take, &w);
    if (src < 0) {
        rc = office_walk_fail("status", lc.st, src);
    } else if (cli->json) {
        strbuf_puts(&sb, "]");
        out_json_int(&sb, "returned", (long long)w.returned);
        strbuf_putc(&sb, '}');
        rc = out_json_done(&sb);
    } else if (w.n == 0) {
        fputs(_("  nothing\n"), stdout);
    } else {
        fputs(_("Edit a refused or returned record with `thidua edit ID ...` (see `thidua show "
                "ID`), then run `thidua sync`.\n"),
              stdout);
    }
    if (rc == CLI_EXIT_OK && w.n > 0)
        rc = CLI_EXIT_ATTENTION;
    strbuf_free(&sb);
    office_close(&lc);
    return rc;
}
