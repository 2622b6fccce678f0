/*
 * cmd_sync.c - `thidua sync`: send the office's new and edited records to the
 * province, bring back its decisions, and tell the officer what came of it.
 *
 * The work is done by the engine (sync_engine.c); this file reads the options,
 * keeps a second sync off the same store, draws the progress line on a
 * terminal, and prints the outcome: a summary, the records the server
 * refused in this run (so the officer knows what to fix), or why the sync
 * stopped and what is still waiting. Exit codes follow cli.h: 0 done, 3
 * network (nothing lost, run again), 4 refused, 5 store or configuration,
 * 6 done but some records need attention.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "cli.h"
#include "fields.h"
#include "i18n.h"
#include "output.h"
#include "record.h"
#include "store.h"
#include "strbuf.h"
#include "sync_engine.h"
#include "text.h"

/* Records listed by name on a terminal; the rest are counted (`thidua list` has them all). */
#define SYNC_LIST_MAX 50
/* Redraw the progress line at most this often. */
#define SYNC_PROGRESS_MS 100
/*
 * The store's page cache during a sync (KiB) and the WAL pages between two
 * checkpoints (32 MiB). The cache holds the outbox's and the records' id
 * indexes of 100,000 records; it is what the client's peak RSS grows by.
 */
#define SYNC_STORE_CACHE_KIB (16 * 1024)
#define SYNC_STORE_CHECKPOINT_PAGES 8192

/* What the event callback needs. */
typedef struct sync_ui {
    bool progress;      /* draw the progress line (stderr is a terminal, not -q) */
    bool notices;       /* say why an attempt failed (not -q) */
    bool drawn;         /* a progress line is on the screen */
    uint64_t last_draw; /* uv_hrtime of the last redraw */
} sync_ui_t;

static void sync_ui_clear(sync_ui_t *ui)
{
    if (ui->drawn) {
        fputs("\r\033[K", stderr);
        ui->drawn = false;
    }
}

static void sync_ui_draw(sync_ui_t *ui, const sync_stats_t *s, bool force)
{
    uint64_t now = uv_hrtime();
    if (!force && ui->drawn && now - ui->last_draw < (uint64_t)SYNC_PROGRESS_MS * 1000000u)
        return;
    ui->last_draw = now;
    fputs("\r\033[K", stderr); /* back to the start of the line, and clear it */
    fprintf(stderr, _("sync: pushed %llu/%llu \u00b7 pulled %llu"), (unsigned long long)s->pushed,
            (unsigned long long)s->total, (unsigned long long)s->pulled);
    fflush(stderr);
    ui->drawn = true;
}

static void sync_on_event(void *arg, const sync_event_t *ev)
{
    sync_ui_t *ui = arg;
    if (ev->kind == SYNC_EVENT_PROGRESS) {
        if (ui->progress)
            sync_ui_draw(ui, ev->stats, false);
        return;
    }
    if (ev->kind == SYNC_EVENT_RESYNC) {
        /* Rare and about the office's data: said even with -q. */
        sync_ui_clear(ui);
        fprintf(stderr, "sync: %s\n", ev->reason);
        if (ui->progress)
            sync_ui_draw(ui, ev->stats, true);
        return;
    }
    if (!ui->notices)
        return;
    sync_ui_clear(ui);
    fprintf(stderr, _("sync: %s; trying again in %.1f s (retry %u of %u)\n"), ev->reason,
            (double)ev->delay_ms / 1000.0, ev->failures, ev->retries);
    if (ui->progress)
        sync_ui_draw(ui, ev->stats, true);
}

/* --- records that need the officer ------------------------------------------ */

/* A mark as people read it. */
static const char *sync_mark_label(int mark)
{
    switch (mark) {
    case THIDUA__V1__RECORD_ACK__STATUS__STALE:
        return _("outdated");
    case THIDUA__V1__RECORD_ACK__STATUS__CONFLICT:
        return _("in conflict");
    case THIDUA__V1__RECORD_ACK__STATUS__LOCKED:
        return _("locked");
    case THIDUA__V1__RECORD_ACK__STATUS__REJECTED:
        return _("refused");
    case THIDUA__V1__RECORD_ACK__STATUS__PERMISSION_DENIED:
        return _("not allowed");
    default:
        return _("refused");
    }
}

/* A mark's code, for --json. */
static const char *sync_mark_name(int mark)
{
    switch (mark) {
    case THIDUA__V1__RECORD_ACK__STATUS__STALE:
        return "stale";
    case THIDUA__V1__RECORD_ACK__STATUS__CONFLICT:
        return "conflict";
    case THIDUA__V1__RECORD_ACK__STATUS__LOCKED:
        return "locked";
    case THIDUA__V1__RECORD_ACK__STATUS__REJECTED:
        return "rejected";
    case THIDUA__V1__RECORD_ACK__STATUS__PERMISSION_DENIED:
        return "denied";
    default:
        return "refused";
    }
}

/* Walks the records refused during this run (their mark is not older than the run). */
typedef struct sync_attention {
    int64_t since_ms;
    bool print;    /* false: only count */
    strbuf_t *out; /* borrowed; JSON array elements (--json); NULL: lines on stdout */
    uint64_t shown, count;
    const Thidua__V1__Welcome *welcome; /* borrowed; NULL: refusals only in the server's words */
} sync_attention_t;

/*
 * Write what out holds to stdout and empty it: JSON goes out as it is made,
 * row by row. 1 (stop, as a store_list callback) when it could not be built.
 */
static int sync_flush(strbuf_t *out)
{
    if (strbuf_failed(out)) {
        cli_error(_("out of memory"));
        return 1;
    }
    fputs(strbuf_str(out), stdout);
    strbuf_reset(out);
    return 0;
}

/*
 * The reason this client's own checks give for field of rec, in the language
 * of the messages: true and *out filled when they refuse that field too.
 */
static bool sync_local_reason(const Thidua__V1__Record *rec, const Thidua__V1__Welcome *w,
                              const char *field, valid_error_t *out)
{
    record_t r;
    valid_error_t err;
    int rc = record_from_proto(&r, rec, NULL, &err);
    /* Whatever it answers, its problems are in err; an internal failure leaves them out. */
    Thidua__V1__Campaign *const *list;
    size_t n = record_welcome_campaigns(w, &list);
    if ((rc == TD_OK || rc == TD_EINPUT) && n > 0 && r.campaign != NULL &&
        record_check_campaigns(&r, list, n, &err) == TD_EINTERNAL)
        valid_error_clear(&err);
    record_free(&r);
    for (size_t i = 0; i < valid_error_count(&err); i++) {
        const valid_problem_t *p = valid_error_at(&err, i);
        if (strcmp(p->field, field) == 0) {
            valid_error_set(out, p->field, "%s", p->reason);
            return true;
        }
    }
    return false;
}

static int sync_attention_row(void *ctx, const store_record_t *r)
{
    sync_attention_t *a = ctx;
    if (r->mark_at_ms < a->since_ms)
        return 0; /* refused by an earlier sync: `thidua status` counts those */
    a->count++;
    if (!a->print)
        return 0;
    char prefix[9];
    snprintf(prefix, sizeof(prefix), "%.8s", r->rec.id);
    if (a->out != NULL) {
        strbuf_puts(a->out, a->count > 1 ? ",{\"id\":" : "{\"id\":");
        strbuf_json_string(a->out, r->rec.id);
        strbuf_puts(a->out, ",\"status\":");
        strbuf_json_string(a->out, sync_mark_name(r->mark));
        strbuf_printf(a->out, ",\"revision\":%" PRIu32 ",\"field\":", r->mark_revision);
        strbuf_json_string(a->out, r->mark_field);
        strbuf_puts(a->out, ",\"message\":");
        strbuf_json_string(a->out, r->mark_message);
        strbuf_putc(a->out, '}');
        return sync_flush(a->out);
    }
    if (a->shown >= SYNC_LIST_MAX)
        return 0;
    a->shown++;
    /* The server's message often starts with the field's name already. */
    const char *msg = r->mark_message;
    size_t flen = strlen(r->mark_field);
    if (flen > 0 && strncmp(msg, r->mark_field, flen) == 0 && strncmp(msg + flen, ": ", 2) == 0)
        msg += flen + 2;
    /* The server speaks English; the same rule checked here says it in the officer's words. */
    valid_error_t local;
    if (r->mark == THIDUA__V1__RECORD_ACK__STATUS__REJECTED &&
        sync_local_reason(&r->rec, a->welcome, r->mark_field, &local))
        msg = local.reason;
    const char *label = r->mark_field[0] ? field_label(r->mark_field) : NULL;
    printf("  %s  %s  %s%s%s\n", prefix, sync_mark_label(r->mark),
           label != NULL ? label : r->mark_field, r->mark_field[0] ? ": " : "", msg);
    return 0;
}

/* The states that make the exit code 6; STALE is only counted (the server's newer content won). */
static const int sync_attention_states[] = {
    STORE_SYNC_REJECTED,
    STORE_SYNC_LOCKED,
    STORE_SYNC_CONFLICT,
    STORE_SYNC_DENIED,
};

static int sync_attention_walk(store_t *st, sync_attention_t *a)
{
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(sync_attention_states); i++) {
        store_filter_t f = STORE_FILTER_ANY;
        f.sync = sync_attention_states[i];
        f.order = STORE_ORDER_CREATED;
        int rc = store_list(st, &f, sync_attention_row, a);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* --- output ------------------------------------------------------------------ */

static double sync_rate(const sync_stats_t *s)
{
    return (double)s->pushed / s->seconds;
}

static void sync_print_json(store_t *st, const sync_stats_t *s, int rc, const char *err,
                            uint64_t *attention)
{
    strbuf_t out;
    strbuf_init(&out);
    strbuf_printf(&out, "{\"ok\":%s,\"result\":", rc == TD_OK ? "true" : "false");
    strbuf_json_string(&out, td_strerror(rc));
    strbuf_printf(&out,
                  ",\"pushed\":%" PRIu64 ",\"applied\":%" PRIu64 ",\"duplicate\":%" PRIu64
                  ",\"stale\":%" PRIu64 ",\"conflict\":%" PRIu64 ",\"locked\":%" PRIu64
                  ",\"rejected\":%" PRIu64 ",\"denied\":%" PRIu64 ",\"pulled\":%" PRIu64
                  ",\"cursor\":%" PRIu64 ",\"remaining\":%" PRIu64 ",\"resent\":%" PRIu64
                  ",\"seconds\":%.3f"
                  ",\"records_per_s\":%.1f,\"attempts\":%" PRIu32 ",\"attention\":[",
                  s->pushed, s->applied, s->duplicate, s->stale, s->conflict, s->locked,
                  s->rejected, s->denied, s->pulled, s->cursor, s->remaining, s->resent,
                  s->seconds, sync_rate(s), s->attempts);
    sync_attention_t a = {.since_ms = s->started_ms, .print = true, .out = &out};
    int rc_walk = sync_flush(&out);
    if (rc_walk == 0)
        rc_walk = sync_attention_walk(st, &a);
    if (rc_walk < 0)
        cli_error(_("listing the refused records: %s"), store_errmsg(st));
    *attention = a.count;
    strbuf_putc(&out, ']');
    if (rc != TD_OK) {
        strbuf_puts(&out, ",\"error\":");
        strbuf_json_string(&out, err);
    }
    strbuf_puts(&out, "}\n");
    (void)sync_flush(&out);
    strbuf_free(&out);
}

static void sync_print_text(store_t *st, const sync_stats_t *s, int rc, uint64_t *attention)
{
    if (rc == TD_OK) {
        printf(_("sync: pushed %llu"), (unsigned long long)s->pushed);
        const struct {
            const char *what;
            uint64_t n;
        } parts[] = {
            {_("applied"), s->applied},   {_("already there"), s->duplicate},
            {_("outdated"), s->stale},    {_("in conflict"), s->conflict},
            {_("locked"), s->locked},     {_("refused"), s->rejected},
            {_("not allowed"), s->denied},
        };
        const char *sep = " (";
        for (size_t i = 0; i < THIDUA_ARRAY_LEN(parts); i++) {
            if (parts[i].n == 0)
                continue;
            printf("%s%" PRIu64 " %s", sep, parts[i].n, parts[i].what);
            sep = ", ";
        }
        printf(_("%s \u00b7 pulled %llu \u00b7 %.1f s, %.0f records/s\n"),
               sep[0] == ',' ? ")" : "", (unsigned long long)s->pulled, s->seconds, sync_rate(s));
    }
    sync_attention_t count = {.since_ms = s->started_ms};
    if (sync_attention_walk(st, &count) < 0) {
        cli_error(_("listing the refused records: %s"), store_errmsg(st));
        *attention = (uint64_t)s->conflict + s->locked + s->rejected + s->denied;
        return;
    }
    *attention = count.count;
    if (count.count == 0)
        return;
    printf(ngettext("%llu record needs attention (`thidua show ID` says more):\n",
                    "%llu records need attention (`thidua show ID` says more):\n", count.count),
           (unsigned long long)count.count);
    Thidua__V1__Welcome *w = NULL;
    if (store_welcome_load(st, &w) != TD_OK)
        w = NULL; /* the reasons stay the server's */
    sync_attention_t a = {.since_ms = s->started_ms, .print = true, .welcome = w};
    if (sync_attention_walk(st, &a) < 0)
        cli_error(_("listing the refused records: %s"), store_errmsg(st));
    if (a.count > a.shown)
        printf(_("  ... and %llu more (`thidua list` shows them all)\n"),
               (unsigned long long)(a.count - a.shown));
    *attention = a.count;
    if (w != NULL)
        thidua__v1__welcome__free_unpacked(w, NULL);
}

/* A closed unit's office hears it after every sync: what it may still do, and who took over. */
static void sync_closed_note(store_t *st)
{
    Thidua__V1__Welcome *w = NULL;
    char note[800];
    if (store_welcome_load(st, &w) != TD_OK || w == NULL)
        return;
    if (out_unit_closed_note(w, note, sizeof(note))[0] != '\0')
        cli_error(_("warning: %s"), note);
    thidua__v1__welcome__free_unpacked(w, NULL);
}

/* --- the command ----------------------------------------------------------------- */

static void sync_usage(void)
{
    printf(_("usage: thidua sync [--batch N] [--in-flight N] [--pull-limit N] [--retries N]\n"
           "                   [--max-wait TIME]\n\n"
           "Send the records added or edited on this machine to the province, and bring\n"
           "back the province's decisions. On a broken connection it tries again after a\n"
           "growing pause; nothing is lost, and a later sync carries on where this one\n"
           "stopped.\n\n"
           "  --batch N       records per request (default %d; the server may lower it)\n"
           "  --in-flight N   requests sent ahead of the answers (default %d)\n"
           "  --pull-limit N  changes asked for per request (default: the server's)\n"
           "  --retries N     failed attempts in a row before giving up\n"
           "                  (default [server] retries in the configuration, or 8)\n"
           "  --max-wait TIME stop trying after TIME in all, e.g. 90s, 10m (default: no limit)\n\n"
           "Exit status: 0 done; 3 network (run again later); 4 refused by the server;\n"
           "5 local store or configuration; 6 done, but some records need attention.\n"),
           SYNC_DEFAULT_BATCH, SYNC_DEFAULT_IN_FLIGHT);
}

static int sync_parse_count(const char *opt, const char *value, uint64_t min, uint64_t max,
                            uint32_t *out)
{
    char why[256];
    uint64_t v;
    if (confutil_size(value, min, max, &v, why, sizeof(why)) != 0) {
        cli_error("sync: %s: %s", opt, why);
        return CLI_EXIT_USAGE;
    }
    *out = (uint32_t)v;
    return CLI_EXIT_OK;
}

int cmd_sync(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"batch", required_argument, NULL, 'b'},
        {"in-flight", required_argument, NULL, 'f'},
        {"retries", required_argument, NULL, 'r'},
        {"max-wait", required_argument, NULL, 'w'},
        {"pull-limit", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    sync_options_t so;
    memset(&so, 0, sizeof(so));
    bool retries_set = false;
    int opt, rc;
    char why[256];
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        rc = CLI_EXIT_OK;
        switch (opt) {
        case 'b':
            rc = sync_parse_count("--batch", optarg, 1, 100000, &so.batch);
            break;
        case 'f':
            rc = sync_parse_count("--in-flight", optarg, 1, SYNC_MAX_IN_FLIGHT, &so.in_flight);
            break;
        case 'r':
            rc = sync_parse_count("--retries", optarg, 0, 1000, &so.retries);
            retries_set = true;
            break;
        case 'p':
            rc = sync_parse_count("--pull-limit", optarg, 1, 100000, &so.pull_limit);
            break;
        case 'w':
            if (confutil_duration_ms(optarg, 1, 7ull * 24 * 3600 * 1000, &so.max_wait_ms, why,
                                     sizeof(why)) != 0) {
                cli_error("sync: --max-wait: %s", why);
                rc = CLI_EXIT_USAGE;
            }
            break;
        case 'h':
            sync_usage();
            return CLI_EXIT_OK;
        default:
            return CLI_EXIT_USAGE;
        }
        if (rc != CLI_EXIT_OK)
            return rc;
    }
    if (optind < argc) {
        cli_error(_("sync: unexpected argument '%s' (thidua sync --help)"), argv[optind]);
        return CLI_EXIT_USAGE;
    }

    rc = cli_load_config(cli);
    if (rc != CLI_EXIT_OK)
        return rc;
    char err[1024];
    if (clientcfg_check_network(&cli->cfg, err, sizeof(err)) != 0) {
        cli_error("%s", err);
        return CLI_EXIT_STORE;
    }
    if (!retries_set)
        so.retries = cli->cfg.retries;

    int lock_fd = -1;
    rc = sync_lock(cli->cfg.store_path, &lock_fd, err, sizeof(err));
    if (rc != TD_OK) {
        cli_error("%s", err);
        return CLI_EXIT_STORE;
    }
    /* A sync writes all over the store: a page cache that holds the indexes, fewer checkpoints. */
    store_options_t sopt = {.collate = text_collate,
                            .fold = text_fold_key,
                            .cache_kib = SYNC_STORE_CACHE_KIB,
                            .checkpoint_pages = SYNC_STORE_CHECKPOINT_PAGES};
    store_t *st = NULL;
    if (store_open(cli->cfg.store_path, &sopt, &st, err, sizeof(err)) < 0) {
        cli_error("%s", err);
        close(lock_fd);
        return CLI_EXIT_STORE;
    }

    sync_ui_t ui = {.progress = cli->tty && !cli->quiet, .notices = !cli->quiet};
    so.on_event = sync_on_event;
    so.event_arg = &ui;
    sync_stats_t stats;
    int res = sync_run(st, &cli->cfg, &so, &stats, err, sizeof(err));
    if (ui.drawn) {
        sync_ui_draw(&ui, &stats, true);
        fputc('\n', stderr);
        ui.drawn = false;
    }

    uint64_t attention = 0;
    if (cli->json)
        sync_print_json(st, &stats, res, err, &attention);
    else
        sync_print_text(st, &stats, res, &attention);
    if (res == TD_OK && !cli->json)
        sync_closed_note(st);

    int exit_code;
    switch (res) {
    case TD_OK:
        exit_code = attention > 0 ? CLI_EXIT_ATTENTION : CLI_EXIT_OK;
        if (stats.remaining > 0 && !cli->json)
            printf(ngettext("%llu revision added during the sync will go with the next one\n",
                            "%llu revisions added during the sync will go with the next one\n",
                            stats.remaining),
                   (unsigned long long)stats.remaining);
        break;
    case TD_ENETWORK:
    case TD_ESERVER: {
        const char *when = res == TD_ENETWORK ? _("when the network is back") : _("later");
        if (stats.remaining > 0)
            cli_error(ngettext("%s\n%llu revision still waiting to be sent; run `thidua sync` again "
                               "%s",
                               "%s\n%llu revisions still waiting to be sent; run `thidua sync` "
                               "again %s",
                               stats.remaining),
                      err, (unsigned long long)stats.remaining, when);
        else
            cli_error(_("%s\nthe province's changes are not all received yet; run `thidua sync` "
                        "again %s"),
                      err, when);
    }
        exit_code = CLI_EXIT_NETWORK;
        break;
    case TD_EREFUSED:
        cli_error("%s", err);
        exit_code = CLI_EXIT_REFUSED;
        break;
    default:
        cli_error("%s", err);
        exit_code = CLI_EXIT_STORE;
        break;
    }
    store_close(st);
    close(lock_fd);
    return exit_code;
}
