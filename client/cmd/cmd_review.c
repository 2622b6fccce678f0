/*
 * cmd_review.c - the province's review: `review list`, `review show`, and the
 * decisions `approve`, `reject` and `return`.
 *
 * A decision names the revision it is made on, and the server refuses it if
 * the record moved on (CONFLICT). What matters is that this revision is the
 * one the administrator actually read: `review list` and `review show` note
 * the revisions they display (seen_revisions.h), and a decision without --revision
 * uses the revision last displayed, never the one the server holds now. A
 * record never displayed cannot be decided without --revision.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin_session.h"
#include "cli.h"
#include "i18n.h"
#include "cmdopt.h"
#include "fields.h"
#include "output.h"
#include "record.h"
#include "seen_revisions.h"

/* Column caps of the listing, in display columns. */
enum { REVIEW_NAME_MAX = 28, REVIEW_TITLE_MAX = 36, REVIEW_KIND_WIDTH = 10 };

/* Largest page the listing asks for, and the highest page number. */
#define REVIEW_LIMIT_MAX 10000ul
#define REVIEW_PAGE_MAX 1000000ul

/* Answers kept alive while their records are printed. Owns the envelopes and the arrays. */
typedef struct review_page {
    Thidua__V1__Envelope **envs;
    size_t nenvs;
    const Thidua__V1__Record **recs; /* into envs, in the server's order */
    size_t n;
    uint32_t total;
    bool has_more;
} review_page_t;

static void review_page_free(review_page_t *p)
{
    for (size_t i = 0; i < p->nenvs; i++)
        thidua__v1__envelope__free_unpacked(p->envs[i], NULL);
    free(p->envs);
    free(p->recs);
    memset(p, 0, sizeof(*p));
}

/* Keep env and its records; false when out of memory (env is freed then). */
static bool review_page_take(review_page_t *p, Thidua__V1__Envelope *env,
                             const Thidua__V1__Record *const *recs, size_t n)
{
    Thidua__V1__Envelope **envs = realloc(p->envs, (p->nenvs + 1) * sizeof(*envs));
    if (envs == NULL) {
        thidua__v1__envelope__free_unpacked(env, NULL);
        return false;
    }
    p->envs = envs;
    p->envs[p->nenvs++] = env;
    if (n == 0)
        return true;
    const Thidua__V1__Record **r = realloc(p->recs, (p->n + n) * sizeof(*r));
    if (r == NULL)
        return false;
    p->recs = r;
    memcpy(p->recs + p->n, recs, n * sizeof(*r));
    p->n += n;
    return true;
}

static const char *review_or(const char *s, const char *dflt)
{
    return s != NULL && s[0] != '\0' ? s : dflt;
}

/* Note the revisions displayed, so that a decision can use them. Prints a warning on failure. */
static void review_note_seen(const admin_t *a, const Thidua__V1__Record *const *recs, size_t n)
{
    seen_entry_t *v = calloc(n + 1, sizeof(*v));
    if (v == NULL) {
        cli_error(_("%s: out of memory noting what was shown"), a->cmd);
        return;
    }
    struct timespec ts;
    int64_t now = 0;
    if (clock_gettime(CLOCK_REALTIME, &ts) == 0)
        now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (uuid_parse(recs[i]->id, v[k].id, NULL) != TD_OK || recs[i]->revision == 0)
            continue;
        v[k].revision = recs[i]->revision;
        v[k].at_ms = now;
        k++;
    }
    char err[1200];
    if (seen_note(a->seen_path, v, k, err, sizeof(err)) != TD_OK)
        cli_error(_("%s: warning: cannot note the revisions shown (%s); decide with --revision"),
                  a->cmd, err);
    free(v);
}

/* ---- review list ---- */

typedef struct review_list_args {
    Thidua__V1__ListRecordsRequest req;
    unsigned long page, limit;
} review_list_args_t;

static void review_list_help(void)
{
    printf(_("usage: thidua review list [--unit CODE] [--status S] [--category C] [--kind K]\n"
           "                          [--award F] [--duplicates] [--page N] [--limit N]\n"
           "                          [--campaign CODE]\n\n"
           "The campaign's nominations as the province holds them, sorted by unit, then\n"
           "by name in Vietnamese order. Every record shown is noted with its revision:\n"
           "`thidua approve ID` then decides on that revision.\n\n"
           "  --unit CODE      that unit and the units below it\n"
           "  --status S       submitted, returned, approved, rejected, withdrawn,\n"
           "                   awarded or revoked\n"
           "  --category C     a category code of the campaign\n"
           "  --kind K         individual, collective or household\n"
           "  --award F        an award form code, proposed or conferred\n"
           "  --duplicates     only possible duplicate nominees, each shown with the\n"
           "                   records that may name the same person\n"
           "  --page N         which page (default 1)\n"
           "  --limit N        records per page (default 50, at most %lu)\n"
           "  --campaign CODE  another campaign than the server's default one\n\n"
           "The last column marks possible duplicates: ≈N (N other records).\n"),
           REVIEW_LIMIT_MAX);
}

/* Parse review list's options; -1 after --help. */
static int review_list_parse(admin_t *a, int argc, char **argv, review_list_args_t *la)
{
    static const struct option opts[] = {
        {"unit", required_argument, NULL, 'u'},     {"status", required_argument, NULL, 's'},
        {"category", required_argument, NULL, 'c'}, {"kind", required_argument, NULL, 'k'},
        {"award", required_argument, NULL, 'a'},    {"duplicates", no_argument, NULL, 'd'},
        {"page", required_argument, NULL, 'p'},     {"limit", required_argument, NULL, 'l'},
        {"campaign", required_argument, NULL, 'C'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    thidua__v1__list_records_request__init(&la->req);
    la->page = 1;
    la->limit = 50;
    int opt, rc = CLI_EXIT_OK, st;
    optind = 0;
    while (rc == CLI_EXIT_OK && (opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'u':
            la->req.org_unit = optarg;
            break;
        case 's':
            st = out_status_parse(optarg);
            if (st <= 0) {
                cli_error(_("review list: --status '%s': one of submitted, returned, approved, "
                          "rejected, withdrawn, awarded, revoked"),
                          optarg);
                return CLI_EXIT_USAGE;
            }
            la->req.status = (Thidua__V1__Record__Status)st;
            break;
        case 'c':
            la->req.category = optarg;
            break;
        case 'k':
            la->req.nominee_kind = optarg;
            break;
        case 'a':
            la->req.award = optarg;
            break;
        case 'd':
            la->req.duplicates_only = true;
            break;
        case 'C':
            la->req.campaign = optarg;
            break;
        case 'p':
            rc = admin_count_arg(a, "--page", optarg, 1, REVIEW_PAGE_MAX, &la->page);
            break;
        case 'l':
            rc = admin_count_arg(a, "--limit", optarg, 1, REVIEW_LIMIT_MAX, &la->limit);
            break;
        case 'h':
            review_list_help();
            return -1;
        default:
            return CLI_EXIT_USAGE;
        }
    }
    if (rc != CLI_EXIT_OK)
        return rc;
    if (optind < argc) {
        cli_error(_("review list: unexpected argument '%s'"), argv[optind]);
        return CLI_EXIT_USAGE;
    }
    unsigned long long offset = (unsigned long long)(la->page - 1) * la->limit;
    if (offset > UINT32_MAX) {
        cli_error(_("review list: --page %lu is beyond any list"), la->page);
        return CLI_EXIT_USAGE;
    }
    la->req.offset = (uint32_t)offset;
    return CLI_EXIT_OK;
}

/*
 * Fetch exactly one page of `limit` records (fewer only at the end): the
 * server may answer fewer than asked (its own cap, or a frame that would
 * overflow), and then the rest is asked for at once, so that page N always
 * starts at (N-1) x limit.
 */
static int review_fetch(admin_t *a, review_list_args_t *la, review_page_t *out)
{
    Thidua__V1__ListRecordsRequest req = la->req;
    uint32_t want = (uint32_t)la->limit;
    for (;;) {
        req.limit = want - (uint32_t)out->n;
        Thidua__V1__Envelope *env;
        int rc =
            admin_call(a, &req.base, THIDUA__V1__ENVELOPE__BODY_LIST_RECORDS_RESPONSE, &env, NULL);
        if (rc != CLI_EXIT_OK)
            return rc;
        const Thidua__V1__ListRecordsResponse *resp = env->list_records_response;
        out->total = resp->total;
        out->has_more = resp->has_more;
        size_t got = resp->n_records;
        if (!review_page_take(out, env, (const Thidua__V1__Record *const *)resp->records, got)) {
            cli_error(_("%s: out of memory"), a->cmd);
            return CLI_EXIT_STORE;
        }
        if (!out->has_more || got == 0 || out->n >= want)
            return CLI_EXIT_OK;
        req.offset += (uint32_t)got;
    }
}

/* The record with that id among those fetched, or NULL. */
static const Thidua__V1__Record *review_find(const review_page_t *p, const char *id)
{
    for (size_t i = 0; i < p->n; i++) {
        if (strcmp(p->recs[i]->id, id) == 0)
            return p->recs[i];
    }
    return NULL;
}

/*
 * The possible duplicates of the records fetched that are not among them
 * (another page, unit or status): fetched one by one into extra.
 */
static int review_fetch_duplicates(admin_t *a, const review_page_t *p, review_page_t *extra)
{
    for (size_t i = 0; i < p->n; i++) {
        const Thidua__V1__Record *r = p->recs[i];
        for (size_t j = 0; j < r->n_possible_duplicates; j++) {
            const char *id = r->possible_duplicates[j];
            if (review_find(p, id) != NULL || review_find(extra, id) != NULL)
                continue;
            Thidua__V1__GetRecordRequest g = THIDUA__V1__GET_RECORD_REQUEST__INIT;
            g.id = (char *)id;
            Thidua__V1__Envelope *env;
            admin_error_t e;
            int rc =
                admin_call(a, &g.base, THIDUA__V1__ENVELOPE__BODY_GET_RECORD_RESPONSE, &env, &e);
            if (rc != CLI_EXIT_OK) {
                if (e.code == THIDUA__V1__ERROR__CODE__NOT_FOUND)
                    continue; /* gone since the listing: nothing to show */
                if (e.code != 0)
                    admin_error_print(a, &e);
                return rc;
            }
            const Thidua__V1__Record *one = env->get_record_response->record;
            if (one == NULL) {
                thidua__v1__envelope__free_unpacked(env, NULL);
                continue;
            }
            if (!review_page_take(extra, env, &one, 1)) {
                cli_error(_("%s: out of memory"), a->cmd);
                return CLI_EXIT_STORE;
            }
        }
    }
    return CLI_EXIT_OK;
}

static size_t review_width(const review_page_t *p, size_t field_off, size_t cap, size_t min)
{
    size_t w = min;
    for (size_t i = 0; i < p->n; i++) {
        const char *s = *(const char *const *)((const char *)p->recs[i] + field_off);
        size_t x = out_width(s != NULL ? s : "");
        if (x > w)
            w = x;
    }
    return w > cap ? cap : w;
}

static void review_print_table(const review_page_t *p)
{
    size_t wname = review_width(p, offsetof(Thidua__V1__Record, nominee_name), REVIEW_NAME_MAX, 4);
    size_t wtitle = review_width(p, offsetof(Thidua__V1__Record, title), REVIEW_TITLE_MAX, 5);
    size_t wunit = review_width(p, offsetof(Thidua__V1__Record, org_unit), 12, 4);
    out_cell(stdout, _("ID"), 10);
    out_cell(stdout, _("UNIT"), wunit + 2);
    out_cell(stdout, _("KIND"), REVIEW_KIND_WIDTH + 2);
    out_cell(stdout, _("NAME"), wname + 2);
    out_cell(stdout, _("TITLE"), wtitle + 2);
    out_cell(stdout, _("STATUS"), 11);
    out_cell(stdout, _("REV"), 5);
    out_cell(stdout, _("DUP"), 0);
    putchar('\n');
    for (size_t i = 0; i < p->n; i++) {
        const Thidua__V1__Record *r = p->recs[i];
        printf("%.8s  ", r->id);
        out_cell(stdout, r->org_unit, wunit + 2);
        out_cell(stdout, record_kind_label(r->nominee_kind), REVIEW_KIND_WIDTH + 2);
        out_cell(stdout, r->nominee_name, wname);
        fputs("  ", stdout);
        out_cell(stdout, r->title, wtitle);
        fputs("  ", stdout);
        out_cell(stdout, out_status_label(r->status), 11);
        printf("%-5u", r->revision);
        if (r->n_possible_duplicates > 0)
            printf("≈%zu", r->n_possible_duplicates);
        putchar('\n');
    }
}

/* One record on one line of the duplicates view. */
static void review_dup_line(const char *lead, const Thidua__V1__Record *r)
{
    char d[DATE_STR_SIZE];
    fputs(lead, stdout);
    printf("%.8s  ", r->id);
    out_cell(stdout, r->org_unit, 6);
    out_cell(stdout, r->nominee_name, REVIEW_NAME_MAX + 2);
    out_cell(stdout, review_or(out_date_vn(r->birth_date, d), "-"), 12);
    out_cell(stdout, review_or(r->workplace, "-"), REVIEW_TITLE_MAX + 2);
    printf("%s r%u\n", out_status_label(r->status), r->revision);
}

static void review_print_duplicates(const review_page_t *p, const review_page_t *extra)
{
    out_cell(stdout, _("ID"), 10);
    out_cell(stdout, _("UNIT"), 6);
    out_cell(stdout, _("NAME"), REVIEW_NAME_MAX + 2);
    out_cell(stdout, _("BORN"), 12);
    out_cell(stdout, _("WORKPLACE"), REVIEW_TITLE_MAX + 2);
    puts(_("STATUS"));
    for (size_t i = 0; i < p->n; i++) {
        const Thidua__V1__Record *r = p->recs[i];
        putchar('\n');
        review_dup_line("", r);
        for (size_t j = 0; j < r->n_possible_duplicates; j++) {
            const char *id = r->possible_duplicates[j];
            const Thidua__V1__Record *o = review_find(p, id);
            if (o == NULL)
                o = review_find(extra, id);
            if (o != NULL)
                review_dup_line("  ≈ ", o);
            else
                printf(_("  ≈ %.8s  (no longer on the server)\n"), id);
        }
    }
}

static int review_print_json(const review_list_args_t *la, const review_page_t *p,
                             const review_page_t *extra)
{
    strbuf_t sb;
    strbuf_init(&sb);
    strbuf_putc(&sb, '{');
    out_json_int(&sb, "total", p->total);
    out_json_int(&sb, "page", (long long)la->page);
    out_json_int(&sb, "offset", la->req.offset);
    out_json_bool(&sb, "has_more", p->has_more);
    out_json_key(&sb, "records");
    strbuf_putc(&sb, '[');
    for (size_t i = 0; i < p->n; i++) {
        out_json_key(&sb, NULL);
        admin_json_record(&sb, p->recs[i]);
    }
    strbuf_putc(&sb, ']');
    if (la->req.duplicates_only) {
        /* The duplicates that are not in "records" themselves. */
        out_json_key(&sb, "others");
        strbuf_putc(&sb, '[');
        for (size_t i = 0; i < extra->n; i++) {
            out_json_key(&sb, NULL);
            admin_json_record(&sb, extra->recs[i]);
        }
        strbuf_putc(&sb, ']');
    }
    strbuf_putc(&sb, '}');
    return out_json_done(&sb);
}

static int review_list(cli_t *cli, int argc, char **argv)
{
    admin_t a;
    review_list_args_t la;
    int rc = admin_init(&a, cli, "review list");
    if (rc != CLI_EXIT_OK)
        return rc;
    rc = review_list_parse(&a, argc, argv, &la);
    if (rc != CLI_EXIT_OK)
        return rc < 0 ? CLI_EXIT_OK : rc;
    rc = admin_connect(&a);
    if (rc != CLI_EXIT_OK)
        return rc;
    review_page_t page, extra;
    memset(&page, 0, sizeof(page));
    memset(&extra, 0, sizeof(extra));
    rc = review_fetch(&a, &la, &page);
    if (rc == CLI_EXIT_OK && la.req.duplicates_only)
        rc = review_fetch_duplicates(&a, &page, &extra);
    if (rc == CLI_EXIT_OK) {
        review_note_seen(&a, page.recs, page.n);
        if (cli->json) {
            rc = review_print_json(&la, &page, &extra);
        } else if (page.n == 0) {
            fprintf(stderr, "%s\n",
                    page.total == 0 ? _("no record matches") : _("no record on this page"));
        } else {
            if (la.req.duplicates_only)
                review_print_duplicates(&page, &extra);
            else
                review_print_table(&page);
            if (!cli->quiet) {
                fprintf(stderr, _("records %u-%zu of %u"), la.req.offset + 1, la.req.offset + page.n,
                        page.total);
                if (page.has_more)
                    fprintf(stderr, _("; next: --page %lu"), la.page + 1);
                fputc('\n', stderr);
            }
        }
    }
    review_page_free(&page);
    review_page_free(&extra);
    admin_close(&a);
    return rc;
}

/* ---- review show ---- */

/* The labels of review show's lines, as one column in the language read. */
static const char *const review_labels[] = {
    N_("Unit:"),           N_("Campaign:"),        N_("Kind:"),           N_("Name:"),
    N_("Birth date:"),     N_("Gender:"),          N_("Position:"),       N_("Workplace:"),
    N_("Title:"),          N_("Category:"),        N_("Achieved on:"),    N_("Proposed award:"),
    N_("Revision:"),       N_("Status:"),          N_("Updated:"),        N_("Decision:"),
    N_("Award:"),          N_("Award decision:"),  N_("Revoked:"),        N_("Revoking decision:"),
};

/* One line "  Label:  value", label one of review_labels; nothing when value is empty. */
static void review_field(const char *label, const char *value)
{
    if (value == NULL || value[0] == '\0')
        return;
    fputs("  ", stdout);
    out_cell(stdout, _(label), out_label_width(review_labels, THIDUA_ARRAY_LEN(review_labels), 17));
    out_cell(stdout, value, 0);
    putchar('\n');
}

static void review_coded(const char *label, const char *code, const char *name)
{
    char buf[1024];
    if (code == NULL || code[0] == '\0')
        return;
    if (name != NULL && name[0] != '\0')
        snprintf(buf, sizeof(buf), "%s (%s)", name, code);
    else
        snprintf(buf, sizeof(buf), "%s", code);
    review_field(label, buf);
}

/* The fields of revision b that differ from those of a, as "title, summary". */
static void review_diff(const Thidua__V1__Record *a, const Thidua__V1__Record *b, char *buf,
                        size_t len)
{
    static const struct {
        const char *name;
        size_t off;
    } fields[] = {
        {"nominee_kind", offsetof(Thidua__V1__Record, nominee_kind)},
        {"nominee_name", offsetof(Thidua__V1__Record, nominee_name)},
        {"birth_date", offsetof(Thidua__V1__Record, birth_date)},
        {"gender", offsetof(Thidua__V1__Record, gender)},
        {"position", offsetof(Thidua__V1__Record, position)},
        {"workplace", offsetof(Thidua__V1__Record, workplace)},
        {"title", offsetof(Thidua__V1__Record, title)},
        {"summary", offsetof(Thidua__V1__Record, summary)},
        {"category", offsetof(Thidua__V1__Record, category)},
        {"achieved_on", offsetof(Thidua__V1__Record, achieved_on)},
        {"proposed_award", offsetof(Thidua__V1__Record, proposed_award)},
    };
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(fields); i++) {
        const char *x = *(const char *const *)((const char *)a + fields[i].off);
        const char *y = *(const char *const *)((const char *)b + fields[i].off);
        if (strcmp(x != NULL ? x : "", y != NULL ? y : "") == 0)
            continue;
        const char *label = field_label(fields[i].name);
        int n = snprintf(buf + o, len - o, "%s%s", o > 0 ? ", " : "",
                         label != NULL ? label : fields[i].name);
        if (n < 0 || (size_t)n >= len - o)
            break;
        o += (size_t)n;
    }
}

/*
 * A record with its whole history, which the server sends a page at a time,
 * newest page first, each page oldest first. Owns the answers.
 */
typedef struct review_history {
    Thidua__V1__Envelope **envs; /* the pages in the order they came; envs[0] has the record */
    size_t nenvs;
    const Thidua__V1__HistoryEntry **entries; /* into envs: every entry, oldest first */
    size_t n;
} review_history_t;

static void review_history_free(review_history_t *h)
{
    for (size_t i = 0; i < h->nenvs; i++)
        thidua__v1__envelope__free_unpacked(h->envs[i], NULL);
    free(h->envs);
    free(h->entries);
    memset(h, 0, sizeof(*h));
}

/* Keep env as the next (older) page; false when out of memory (env is freed then). */
static bool review_history_take(review_history_t *h, Thidua__V1__Envelope *env)
{
    Thidua__V1__Envelope **envs = realloc(h->envs, (h->nenvs + 1) * sizeof(*envs));
    if (envs == NULL) {
        thidua__v1__envelope__free_unpacked(env, NULL);
        return false;
    }
    h->envs = envs;
    h->envs[h->nenvs++] = env;
    return true;
}

/* Every page's entries in one list, oldest first: the last page came first in time. */
static bool review_history_join(review_history_t *h)
{
    size_t n = 0;
    for (size_t p = 0; p < h->nenvs; p++)
        n += h->envs[p]->get_record_response->n_history;
    h->entries = calloc(n + 1, sizeof(*h->entries));
    if (h->entries == NULL)
        return false;
    for (size_t p = h->nenvs; p-- > 0;) {
        const Thidua__V1__GetRecordResponse *g = h->envs[p]->get_record_response;
        for (size_t i = 0; i < g->n_history; i++)
            h->entries[h->n++] = g->history[i];
    }
    return true;
}

/*
 * GetRecord for id, then the older pages of its history while there are
 * more. Later pages only add older entries, which never change (the history
 * is append-only), so the record of the first page and the joined history
 * agree. Returns CLI_EXIT_OK, or an exit code once the problem is printed.
 */
static int review_history_fetch(admin_t *a, const char *id, review_history_t *h)
{
    Thidua__V1__GetRecordRequest g = THIDUA__V1__GET_RECORD_REQUEST__INIT;
    g.id = (char *)id;
    for (;;) {
        Thidua__V1__Envelope *env;
        int rc = admin_call(a, &g.base, THIDUA__V1__ENVELOPE__BODY_GET_RECORD_RESPONSE, &env, NULL);
        if (rc != CLI_EXIT_OK)
            return rc;
        if (!review_history_take(h, env)) {
            cli_error(_("%s: out of memory"), a->cmd);
            return CLI_EXIT_STORE;
        }
        const Thidua__V1__GetRecordResponse *resp = env->get_record_response;
        if (h->nenvs == 1 && resp->record == NULL) {
            cli_error(_("%s: the server sent no record"), a->cmd);
            return CLI_EXIT_NETWORK;
        }
        if (!resp->history_more)
            break;
        /* Each page must start further back, or the walk would never end. */
        if (resp->history_next == 0 ||
            (g.history_before != 0 && resp->history_next >= g.history_before)) {
            cli_error(_("%s: the server sent a history page that does not go back in time"),
                      a->cmd);
            return CLI_EXIT_NETWORK;
        }
        g.history_before = resp->history_next;
    }
    if (!review_history_join(h)) {
        cli_error(_("%s: out of memory"), a->cmd);
        return CLI_EXIT_STORE;
    }
    return CLI_EXIT_OK;
}

static void review_print_history(const review_history_t *hist)
{
    const Thidua__V1__Record *prev = NULL;
    char when[OUT_TIME_SIZE], changed[512];
    printf(_("\nHistory:\n"));
    for (size_t i = 0; i < hist->n; i++) {
        const Thidua__V1__HistoryEntry *h = hist->entries[i];
        printf("  %-17s ", out_time_vn(h->at_ms, when));
        if (strcmp(h->kind, "decision") == 0)
            printf(_("%-9s on revision %u"), h->action != NULL && h->action[0] ? out_action_label(h->action) : _("decision"), h->revision);
        else
            printf(_("%-9s %u"), strcmp(h->kind, "revision") == 0 ? _("revision") : h->kind, h->revision);
        printf(_("  by %s (certificate %.16s)"), review_or(h->by_unit, "?"),
               review_or(h->by_fingerprint, "?"));
        if (h->content != NULL && prev != NULL) {
            review_diff(prev, h->content, changed, sizeof(changed));
            if (changed[0] != '\0')
                printf(_("; changed %s"), changed);
        }
        if (h->content != NULL)
            prev = h->content;
        putchar('\n');
        if (h->reason != NULL && h->reason[0] != '\0') {
            printf("      ");
            out_cell(stdout, h->reason, 0);
            putchar('\n');
        }
    }
}

static void review_print_record(const admin_t *a, const review_history_t *hist,
                                const review_page_t *dups)
{
    const Thidua__V1__Record *r = hist->envs[0]->get_record_response->record;
    char d[DATE_STR_SIZE], when[OUT_TIME_SIZE], buf[2048];
    printf(_("Record %s\n"), r->id);
    review_coded(N_("Unit:"), r->org_unit, out_unit_name(a->rpc.welcome, r->org_unit));
    review_field(N_("Campaign:"), r->campaign);
    review_field(N_("Kind:"), record_kind_label(r->nominee_kind));
    review_field(N_("Name:"), r->nominee_name);
    review_field(N_("Birth date:"), out_date_vn(r->birth_date, d));
    review_field(N_("Gender:"), record_gender_label(r->gender));
    review_field(N_("Position:"), r->position);
    review_field(N_("Workplace:"), r->workplace);
    review_field(N_("Title:"), r->title);
    review_coded(N_("Category:"), r->category, out_category_name(a->rpc.welcome, r->category));
    review_field(N_("Achieved on:"), out_date_vn(r->achieved_on, d));
    review_coded(N_("Proposed award:"), r->proposed_award, out_form_name(a->rpc.welcome, r->proposed_award));
    snprintf(buf, sizeof(buf), "%u", r->revision);
    review_field(N_("Revision:"), buf);
    review_field(N_("Status:"), out_status_label(r->status));
    review_field(N_("Updated:"), out_time_vn(r->updated_at_ms, when));
    const Thidua__V1__Decision *dec = r->decision;
    if (dec != NULL && dec->action != NULL && dec->action[0] != '\0') {
        snprintf(buf, sizeof(buf), _("%s on revision %u, %s%s%s"), out_action_label(dec->action), dec->revision,
                 out_time_vn(dec->decided_at_ms, when), dec->reason[0] ? ": " : "", dec->reason);
        review_field(N_("Decision:"), buf);
    }
    const Thidua__V1__Award *aw = r->award;
    if (aw != NULL && aw->form != NULL && aw->form[0] != '\0') {
        review_coded(N_("Award:"), aw->form, out_form_name(a->rpc.welcome, aw->form));
        const Thidua__V1__AwardDecision *ad = aw->decision;
        if (ad != NULL) {
            snprintf(buf, sizeof(buf), _("%s of %s, %s%s%s"), ad->number, out_date_vn(ad->date, d),
                     ad->signer, ad->issuer[0] ? _(", issuer ") : "", ad->issuer);
            review_field(N_("Award decision:"), buf);
        }
        if (aw->revoked_reason != NULL && aw->revoked_reason[0] != '\0') {
            review_field(N_("Revoked:"), aw->revoked_reason);
            const Thidua__V1__AwardDecision *rb = aw->revoked_by;
            if (rb != NULL && rb->number[0] != '\0') {
                snprintf(buf, sizeof(buf), _("%s of %s, %s"), rb->number, out_date_vn(rb->date, d),
                         rb->signer);
                review_field(N_("Revoking decision:"), buf);
            }
        }
    }
    if (r->summary != NULL && r->summary[0] != '\0') {
        printf(_("\nSummary:\n"));
        const char *s = r->summary;
        while (*s != '\0') {
            const char *nl = strchr(s, '\n');
            size_t len = nl != NULL ? (size_t)(nl - s) : strlen(s);
            printf("  %.*s\n", (int)len, s);
            s += len + (nl != NULL);
        }
    }
    if (r->n_possible_duplicates > 0) {
        printf(_("\nPossible duplicates (the same person?):\n"));
        for (size_t i = 0; i < r->n_possible_duplicates; i++) {
            const Thidua__V1__Record *o = review_find(dups, r->possible_duplicates[i]);
            if (o != NULL)
                review_dup_line("  ", o);
            else
                printf("  %s\n", r->possible_duplicates[i]);
        }
    }
    review_print_history(hist);
}

/* The record and its whole history as one JSON object (into sb). */
static void review_json_history(strbuf_t *sb, const Thidua__V1__Record *rec,
                                const review_history_t *hist)
{
    strbuf_puts(sb, "{\"record\":");
    admin_json_record(sb, rec);
    out_json_key(sb, "history");
    strbuf_putc(sb, '[');
    for (size_t i = 0; i < hist->n; i++) {
        const Thidua__V1__HistoryEntry *h = hist->entries[i];
        out_json_key(sb, NULL);
        strbuf_putc(sb, '{');
        out_json_int(sb, "change_seq", (long long)h->change_seq);
        out_json_str(sb, "kind", h->kind);
        out_json_int(sb, "revision", h->revision);
        out_json_str(sb, "action", h->action);
        out_json_str(sb, "reason", h->reason);
        out_json_int(sb, "at_ms", (long long)h->at_ms);
        out_json_str(sb, "by_unit", h->by_unit);
        out_json_str(sb, "by_fingerprint", h->by_fingerprint);
        if (h->content != NULL) {
            out_json_key(sb, "content");
            admin_json_record(sb, h->content);
        }
        strbuf_putc(sb, '}');
    }
    strbuf_puts(sb, "]}");
}

static void review_show_help(void)
{
    printf(_("usage: thidua review show ID\n\n"
           "One nomination as the province holds it: its content, status, decision and\n"
           "award, its possible duplicates and its whole history (every revision and\n"
           "decision, who made it and when). Its revision is noted: `thidua approve ID`\n"
           "(or reject, return) then decides on exactly this revision.\n\n"
           "ID: the whole id, or at least its first 8 hexadecimal digits if the record\n"
           "was listed before.\n"));
}

static int review_show(cli_t *cli, int argc, char **argv)
{
    int rc = cmdopt_help_only(argc, argv, review_show_help);
    if (rc == CLI_EXIT_OK)
        rc = cmdopt_one_id("review show", argc);
    if (rc != CLI_EXIT_OK)
        return rc < 0 ? CLI_EXIT_OK : rc;
    admin_t a;
    char id[UUID_STR_SIZE];
    rc = admin_init(&a, cli, "review show");
    if (rc == CLI_EXIT_OK)
        rc = admin_resolve_id(&a, NULL, argv[optind], id);
    if (rc == CLI_EXIT_OK)
        rc = admin_connect(&a);
    if (rc != CLI_EXIT_OK)
        return rc;
    review_history_t hist;
    review_page_t dups;
    memset(&hist, 0, sizeof(hist));
    memset(&dups, 0, sizeof(dups));
    rc = review_history_fetch(&a, id, &hist);
    const Thidua__V1__Record *rec = rc == CLI_EXIT_OK ? hist.envs[0]->get_record_response->record
                                                      : NULL;
    if (rc == CLI_EXIT_OK) {
        review_page_t self = {.recs = &rec, .n = 1};
        rc = review_fetch_duplicates(&a, &self, &dups);
    }
    if (rc == CLI_EXIT_OK) {
        review_note_seen(&a, &rec, 1);
        if (cli->json) {
            strbuf_t sb;
            strbuf_init(&sb);
            review_json_history(&sb, rec, &hist);
            rc = out_json_done(&sb);
        } else {
            review_print_record(&a, &hist, &dups);
            if (!cli->quiet && rec->status == THIDUA__V1__RECORD__STATUS__SUBMITTED)
                fprintf(stderr,
                        _("\nShown at revision %u: `thidua approve %.8s` (or reject, return) "
                        "decides on this revision.\n"),
                        rec->revision, rec->id);
        }
    }
    review_page_free(&dups);
    review_history_free(&hist);
    admin_close(&a);
    return rc;
}

/* ---- review ---- */

int cmd_review(cli_t *cli, int argc, char **argv)
{
    static const cli_sub_t subs[] = {
        {"list", review_list,
         N_("thidua review list [FILTERS]   the nominations, with filters and pages")},
        {"show", review_show, N_("thidua review show ID   one nomination and its history")},
    };
    return cli_dispatch(cli, argc, argv, "review", subs, THIDUA_ARRAY_LEN(subs),
                        N_("Province certificate only. `thidua review list --help` lists the "
                           "filters."));
}

/* ---- approve, reject, return ---- */

typedef struct decide_spec {
    const char *cmd;    /* "approve" */
    const char *action; /* DecideRequest.action */
    const char *done;   /* "approved" */
    bool need_reason;
} decide_spec_t;

static void decide_help(const decide_spec_t *s)
{
    if (s->need_reason)
        printf(_("usage: thidua %s ID --reason TEXT [--revision N]\n\n"), s->cmd);
    else
        printf(_("usage: thidua %s ID [--revision N] [--reason TEXT]\n\n"), s->cmd);
    if (strcmp(s->action, "approve") == 0)
        printf(_("Approve a submitted nomination: it can then be awarded, and the district\n"
               "can no longer change it.\n\n"));
    else if (strcmp(s->action, "reject") == 0)
        printf(_("Refuse a submitted nomination; final. The reason goes back to the district.\n\n"));
    else
        printf(_("Send a submitted nomination back to its district for supplements; the\n"
               "district edits it and sends a new revision.\n\n"));
    printf(_("The decision is made on the revision you last displayed with `thidua review\n"
           "show ID` (or `review list`), or on --revision N. If the district has sent a\n"
           "newer revision since, the server refuses the decision (exit code 2): read the\n"
           "record again and decide again.\n\n"
           "  --revision N    the revision you read\n"
           "  --reason TEXT   %s\n"),
           s->need_reason ? _("what is wrong or missing (required)") : _("a note kept with it"));
}

/* After a CONFLICT: say what the record is now, without noting it as seen. */
static void decide_explain_conflict(admin_t *a, const char *id, uint32_t revision,
                                    const admin_error_t *e)
{
    Thidua__V1__GetRecordRequest g = THIDUA__V1__GET_RECORD_REQUEST__INIT;
    g.id = (char *)id;
    Thidua__V1__Envelope *env = NULL;
    admin_error_t ge;
    const Thidua__V1__Record *r = NULL;
    if (admin_call(a, &g.base, THIDUA__V1__ENVELOPE__BODY_GET_RECORD_RESPONSE, &env, &ge) == CLI_EXIT_OK)
        r = env->get_record_response->record;
    if (r != NULL && strcmp(e->field, "status") != 0 && r->revision != revision) {
        cli_error(_("%s: record %s changed since revision %u: it is now at revision %u (%s); read "
                  "it with `thidua review show %s` and decide again"),
                  a->cmd, id, revision, r->revision, out_status_label(r->status), id);
    } else if (r != NULL) {
        cli_error(_("%s: record %s is %s (revision %u): only a submitted record can be decided"),
                  a->cmd, id, out_status_label(r->status), r->revision);
    } else {
        admin_error_print(a, e);
    }
    if (env != NULL)
        thidua__v1__envelope__free_unpacked(env, NULL);
}

static int decide_run(cli_t *cli, int argc, char **argv, const decide_spec_t *s)
{
    static const struct option opts[] = {
        {"revision", required_argument, NULL, 'r'},
        {"reason", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    admin_t a;
    memset(&a, 0, sizeof(a));
    a.cmd = s->cmd;
    unsigned long revision = 0;
    const char *reason_arg = NULL;
    int opt, rc = CLI_EXIT_OK;
    optind = 0;
    while (rc == CLI_EXIT_OK && (opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'r':
            rc = admin_count_arg(&a, "--revision", optarg, 1, UINT32_MAX, &revision);
            break;
        case 'm':
            reason_arg = optarg;
            break;
        case 'h':
            decide_help(s);
            return CLI_EXIT_OK;
        default:
            return CLI_EXIT_USAGE;
        }
    }
    if (rc != CLI_EXIT_OK)
        return rc;
    if (cmdopt_one_id(s->cmd, argc) != CLI_EXIT_OK)
        return CLI_EXIT_USAGE;
    if (s->need_reason && reason_arg == NULL) {
        cli_error(_("%s: --reason is required: say what is wrong or missing"), s->cmd);
        return CLI_EXIT_USAGE;
    }
    char id[UUID_STR_SIZE], *reason = NULL;
    rc = admin_init(&a, cli, s->cmd);
    if (rc == CLI_EXIT_OK)
        rc = admin_resolve_id(&a, NULL, argv[optind], id);
    if (rc == CLI_EXIT_OK && reason_arg != NULL)
        rc = admin_text_arg(&a, "--reason", reason_arg, true, FIELD_MAX(reason), &reason);
    if (rc == CLI_EXIT_OK && revision == 0) {
        seen_entry_t e;
        char err[1200];
        int src = seen_lookup(a.seen_path, id, &e, err, sizeof(err));
        if (src == TD_OK) {
            revision = e.revision;
        } else if (src == TD_ENOTFOUND) {
            cli_error(_("%s: you have not looked at record %s yet: run `thidua review show %s` "
                      "first (a decision is made on the revision you read), or give --revision"),
                      s->cmd, id, id);
            rc = CLI_EXIT_USAGE;
        } else {
            cli_error("%s: %s", s->cmd, src == TD_ENOMEM ? _("out of memory") : err);
            rc = CLI_EXIT_STORE;
        }
    }
    if (rc == CLI_EXIT_OK)
        rc = admin_connect(&a);
    if (rc != CLI_EXIT_OK) {
        free(reason);
        return rc;
    }
    Thidua__V1__DecideRequest d = THIDUA__V1__DECIDE_REQUEST__INIT;
    d.id = id;
    d.revision = (uint32_t)revision;
    d.action = (char *)s->action;
    d.reason = reason != NULL ? reason : "";
    Thidua__V1__Envelope *env;
    admin_error_t e;
    rc = admin_call(&a, &d.base, THIDUA__V1__ENVELOPE__BODY_DECIDE_RESPONSE, &env, &e);
    if (rc != CLI_EXIT_OK) {
        if (e.code == THIDUA__V1__ERROR__CODE__CONFLICT)
            decide_explain_conflict(&a, id, (uint32_t)revision, &e);
        else if (e.code != 0)
            admin_error_print(&a, &e);
    } else {
        const Thidua__V1__Record *r = env->decide_response->record;
        if (cli->json) {
            rc = admin_print_record_json(r);
        } else if (r != NULL) {
            printf(_("%s %s: %s (unit %s), revision %u: now %s\n"), _(s->done), r->id,
                   r->nominee_name, r->org_unit, (unsigned)revision, out_status_label(r->status));
        }
        thidua__v1__envelope__free_unpacked(env, NULL);
    }
    free(reason);
    admin_close(&a);
    return rc;
}

int cmd_approve(cli_t *cli, int argc, char **argv)
{
    static const decide_spec_t s = {"approve", "approve", N_("approved"), false};
    return decide_run(cli, argc, argv, &s);
}

int cmd_reject(cli_t *cli, int argc, char **argv)
{
    static const decide_spec_t s = {"reject", "reject", N_("rejected"), true};
    return decide_run(cli, argc, argv, &s);
}

int cmd_return(cli_t *cli, int argc, char **argv)
{
    static const decide_spec_t s = {"return", "return", N_("returned"), true};
    return decide_run(cli, argc, argv, &s);
}
