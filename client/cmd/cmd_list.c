/*
 * cmd_list.c - `thidua list` and `thidua show`: the office's nominations as
 * the store knows them, offline.
 *
 * `list` sorts names the Vietnamese way (ICU's "vi" collation, through the
 * store's VI collation): An < Âu < Bùi < Dương < Đặng, where byte order would
 * put every name with a leading diacritic last. `show` gives one record
 * whole: its content, where it stands, its local history and the province's
 * decisions and award, with dates as a Vietnamese reader writes them.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmdopt.h"
#include "i18n.h"
#include "office_session.h"
#include "output.h"
#include "record.h"
#include "record_input.h"
#include "text.h"

/* Column caps of the table, in display columns. */
enum { LIST_NAME_MAX = 30, LIST_TITLE_MAX = 40 };

/* The record as one JSON object: content, server state, local state. */
static void list_json_record(strbuf_t *sb, const store_record_t *r)
{
    const char *v[RECIN_NFIELDS];
    char state[1024];
    recin_values(&r->rec, v);
    strbuf_putc(sb, '{');
    out_json_str(sb, "id", r->rec.id);
    for (size_t i = 0; i < RECIN_NFIELDS; i++)
        out_json_str(sb, recin_fields[i].proto, v[i]);
    out_json_int(sb, "revision", r->rec.revision);
    out_json_bool(sb, "withdrawn", r->rec.withdrawn);
    out_json_str(sb, "status", out_status_name(r->rec.status));
    out_json_int(sb, "server_revision", r->server_revision);
    out_json_str(sb, "sync", out_sync_name(r->sync));
    out_json_int(sb, "pending_revision", r->pending_revision);
    out_json_str(sb, "state", out_record_state(r, NULL, false, state, sizeof(state)));
    out_json_bool(sb, "needs_attention", out_needs_attention(r));
    if (r->mark != 0) {
        out_json_key(sb, "refusal");
        strbuf_putc(sb, '{');
        out_json_str(sb, "status", out_sync_name((store_sync_t)r->mark));
        out_json_int(sb, "revision", r->mark_revision);
        out_json_str(sb, "field", r->mark_field);
        out_json_str(sb, "message", r->mark_message);
        out_json_int(sb, "at_ms", r->mark_at_ms);
        strbuf_putc(sb, '}');
    }
    if (r->rec.decision != NULL) {
        out_json_key(sb, "decision");
        strbuf_putc(sb, '{');
        out_json_str(sb, "action", r->rec.decision->action);
        out_json_int(sb, "revision", r->rec.decision->revision);
        out_json_str(sb, "reason", r->rec.decision->reason);
        out_json_int(sb, "decided_at_ms", r->rec.decision->decided_at_ms);
        strbuf_putc(sb, '}');
    }
    const Thidua__V1__Award *aw = r->rec.award;
    if (aw != NULL) {
        out_json_key(sb, "award");
        strbuf_putc(sb, '{');
        out_json_str(sb, "form", aw->form);
        const Thidua__V1__AwardDecision *acts[2] = {aw->decision, aw->revoked_by};
        const char *names[2] = {"decision", "revoked_by"};
        for (size_t i = 0; i < 2; i++) {
            if (acts[i] == NULL)
                continue;
            out_json_key(sb, names[i]);
            strbuf_putc(sb, '{');
            out_json_str(sb, "number", acts[i]->number);
            out_json_str(sb, "date", acts[i]->date);
            out_json_str(sb, "signer", acts[i]->signer);
            out_json_str(sb, "issuer", acts[i]->issuer);
            strbuf_putc(sb, '}');
        }
        out_json_str(sb, "revoked_reason", aw->revoked_reason);
        strbuf_putc(sb, '}');
    }
    out_json_int(sb, "created_at_ms", r->created_at_ms);
    out_json_int(sb, "edited_at_ms", r->edited_at_ms);
    strbuf_putc(sb, '}');
}

/* --- list ------------------------------------------------------------------ */

/* One table row; owns its strings. */
typedef struct {
    char id[STORE_ID_LEN + 1];
    char *kind, *name, *title, *state;
} list_row_t;

/* Rows gathered before printing: widths depend on all of them. Owns rows. */
typedef struct {
    list_row_t *rows;
    size_t n, cap;
    bool json;
    const Thidua__V1__Welcome *welcome; /* names for codes; may be NULL */
    strbuf_t sb;                        /* --json: the array */
    bool failed;
} list_t;

static int list_take(void *ctx, const store_record_t *r)
{
    list_t *l = ctx;
    if (l->json) {
        out_json_key(&l->sb, NULL);
        list_json_record(&l->sb, r);
        return strbuf_failed(&l->sb) ? TD_ENOMEM : 0;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        list_row_t *rows = realloc(l->rows, cap * sizeof(*rows));
        if (rows == NULL)
            return TD_ENOMEM;
        l->rows = rows;
        l->cap = cap;
    }
    char state[1024];
    list_row_t *row = &l->rows[l->n];
    memcpy(row->id, r->rec.id, sizeof(row->id));
    row->kind = strdup(record_kind_label(r->rec.nominee_kind));
    row->name = strdup(r->rec.nominee_name);
    row->title = strdup(r->rec.title);
    row->state = strdup(out_record_state(r, l->welcome, true, state, sizeof(state)));
    l->n++;
    if (!row->kind || !row->name || !row->title || !row->state)
        return TD_ENOMEM;
    return 0;
}

static void list_free(list_t *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->rows[i].kind);
        free(l->rows[i].name);
        free(l->rows[i].title);
        free(l->rows[i].state);
    }
    free(l->rows);
    strbuf_free(&l->sb);
}

static int list_by_given_name(const void *a, const void *b)
{
    const list_row_t *x = a, *y = b;
    int c = text_collate_given_name(x->name, y->name);
    return c != 0 ? c : strcmp(x->id, y->id);
}

static size_t list_cap(size_t w, size_t cap)
{
    return w < cap ? w : cap;
}

/* The columns whose width follows their content. */
typedef enum { LIST_COL_KIND, LIST_COL_NAME, LIST_COL_TITLE } list_col_t;

static const char *list_cell(const list_row_t *row, list_col_t col)
{
    switch (col) {
    case LIST_COL_KIND:
        return row->kind;
    case LIST_COL_NAME:
        return row->name;
    default:
        return row->title;
    }
}

/* The widest of the heading and the column's cells, at most cap columns. */
static size_t list_width(const list_t *l, const char *heading, list_col_t col, size_t cap)
{
    size_t width = out_width(heading);
    for (size_t i = 0; i < l->n; i++) {
        size_t w = out_width(list_cell(&l->rows[i], col));
        if (w > width)
            width = w;
    }
    return list_cap(width, cap);
}

static void list_print(const list_t *l)
{
    size_t wkind = list_width(l, _("KIND"), LIST_COL_KIND, SIZE_MAX);
    size_t wname = list_width(l, _("NAME"), LIST_COL_NAME, LIST_NAME_MAX);
    size_t wtitle = list_width(l, _("TITLE"), LIST_COL_TITLE, LIST_TITLE_MAX);
    out_cell(stdout, _("ID"), 10);
    out_cell(stdout, _("KIND"), wkind + 2);
    out_cell(stdout, _("NAME"), wname + 2);
    out_cell(stdout, _("TITLE"), wtitle + 2);
    out_cell(stdout, _("STATUS"), 0);
    fputc('\n', stdout);
    for (size_t i = 0; i < l->n; i++) {
        const list_row_t *row = &l->rows[i];
        printf("%.8s  ", row->id);
        out_cell(stdout, row->kind, wkind + 2);
        out_cell(stdout, row->name, wname);
        fputs("  ", stdout);
        out_cell(stdout, row->title, wtitle);
        fputs("  ", stdout);
        out_cell(stdout, row->state, 0);
        fputc('\n', stdout);
    }
}

static void list_help(void)
{
    fputs(_("usage: thidua list [--status S] [--sync S] [--category C] [--kind K]\n"
            "                   [--sort name|given|created]\n\n"
            "The office's nominations from the local store, sorted by name in Vietnamese\n"
            "order (--sort given: by given name, the last word; created: oldest first).\n"
            "STATUS shows the province's status, what waits to be sent, and refusals or\n"
            "decisions with their reason; '!' marks a record that needs you.\n\n"
            "  --status S    new (never sent), submitted, returned, approved, rejected,\n"
            "                withdrawn, awarded or revoked\n"
            "  --sync S      pending, synced, invalid, locked, conflict, stale or denied\n"
            "  --category C  a category code (or name)\n"
            "  --kind K      individual, collective or household\n"),
          stdout);
}

int cmd_list(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"status", required_argument, NULL, 's'},
        {"sync", required_argument, NULL, 'y'},
        {"category", required_argument, NULL, 'c'},
        {"kind", required_argument, NULL, 'k'},
        {"sort", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    store_filter_t f = STORE_FILTER_ANY;
    const char *category = NULL, *kind = NULL;
    bool given = false;
    int opt;
    optind = 0; /* glibc: start afresh and permute, so options may follow an id */
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 's':
            f.status = out_status_parse(optarg);
            if (f.status < 0) {
                cli_error(_("list: --status: unknown status %s (see --help)"), optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case 'y':
            f.sync = out_sync_parse(optarg);
            if (f.sync < 0) {
                cli_error(_("list: --sync: unknown state %s (see --help)"), optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case 'c':
            category = optarg;
            break;
        case 'k':
            kind = optarg;
            break;
        case 'o':
            if (strcmp(optarg, "name") == 0 || strcmp(optarg, "given") == 0) {
                given = strcmp(optarg, "given") == 0;
            } else if (strcmp(optarg, "created") == 0) {
                f.order = STORE_ORDER_CREATED;
            } else {
                cli_error(_("list: --sort: name, given or created, not %s"), optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case 'h':
            list_help();
            return CLI_EXIT_OK;
        default:
            return CLI_EXIT_USAGE;
        }
    }
    if (cmdopt_none("list", argc, argv) != CLI_EXIT_OK)
        return CLI_EXIT_USAGE;
    office_t lc;
    int rc = office_open(cli, "list", &lc);
    if (rc != CLI_EXIT_OK)
        return rc;

    /* Filters take the same aliases and names as add. */
    recin_defaults_t d;
    office_defaults(&lc, NULL, &d);
    recin_t in;
    recin_init(&in);
    char why[256];
    const struct {
        recin_field_t field;
        const char *raw;
        const char *option;
    } filters[] = {{RECIN_CATEGORY, category, "--category"}, {RECIN_KIND, kind, "--kind"}};
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(filters) && rc == CLI_EXIT_OK; i++) {
        if (filters[i].raw == NULL)
            continue;
        int src = recin_set(&in, &d, filters[i].field, filters[i].raw, why, sizeof(why));
        if (src != 0) {
            cli_error("list: %s: %s", filters[i].option, src == -2 ? _("out of memory") : why);
            rc = CLI_EXIT_USAGE;
        }
    }
    f.category = in.v[RECIN_CATEGORY];
    f.nominee_kind = in.v[RECIN_KIND];

    list_t l;
    memset(&l, 0, sizeof(l));
    l.json = cli->json;
    l.welcome = lc.welcome;
    strbuf_init(&l.sb);
    if (l.json)
        strbuf_putc(&l.sb, '[');
    if (rc == CLI_EXIT_OK) {
        int src = store_list(lc.st, &f, list_take, &l);
        if (src < 0)
            rc = office_walk_fail("list", lc.st, src);
    }
    if (rc == CLI_EXIT_OK && l.json) {
        strbuf_putc(&l.sb, ']');
        rc = out_json_done(&l.sb);
    } else if (rc == CLI_EXIT_OK) {
        if (given && l.n > 1)
            qsort(l.rows, l.n, sizeof(*l.rows), list_by_given_name);
        if (l.n > 0)
            list_print(&l);
        if (!cli->quiet) {
            fflush(stdout); /* the count follows the table, also when both go to one pipe */
            fprintf(stderr, ngettext("%zu record\n", "%zu records\n", l.n), l.n);
        }
    }
    list_free(&l);
    recin_free(&in);
    office_close(&lc);
    return rc;
}

/* --- show ------------------------------------------------------------------- */

/* The name the Welcome gives a code ("ASXH" -> "An sinh xã hội"), or NULL. */
static const char *show_name_of(const office_t *lc, recin_field_t f, const char *code)
{
    switch (f) {
    case RECIN_UNIT:
        return out_unit_name(lc->welcome, code);
    case RECIN_CATEGORY:
        return out_category_name(lc->welcome, code);
    case RECIN_AWARD:
        return out_form_name(lc->welcome, code);
    case RECIN_CAMPAIGN: {
        const Thidua__V1__Campaign *c = record_welcome_campaign(lc->welcome, code);
        return c != NULL ? c->name : NULL;
    }
    default:
        return NULL;
    }
}

/* The labels of show's lines: one column of them, as wide as the widest in the language read. */
static const char *const show_labels[] = {
    N_("Kind:"),           N_("Name:"),  N_("Birth date:"),     N_("Gender:"),   N_("Position:"),
    N_("Workplace:"),      N_("Unit:"),  N_("Campaign:"),       N_("Category:"), N_("Achieved on:"),
    N_("Proposed award:"), N_("Title:"), N_("Revision:"),       N_("Status:"),   N_("Refused:"),
    N_("Decision:"),       N_("Award:"), N_("Award decision:"), N_("Revoked:"),  N_("Added here:"),
};

/* One line "Label:   value", the label one of show_labels; nothing when value is empty. */
static void show_line(const char *label, const char *value)
{
    if (value == NULL || value[0] == '\0')
        return;
    out_cell(stdout, _(label), out_label_width(show_labels, THIDUA_ARRAY_LEN(show_labels), 15) + 1);
    printf("%s\n", value);
}

/* A code's name followed by the code, when the Welcome knows it; the code alone otherwise. */
static void show_coded(const office_t *lc, const char *label, recin_field_t f, const char *code)
{
    const char *name = show_name_of(lc, f, code);
    char buf[1024];
    if (name != NULL && name[0] != '\0') {
        snprintf(buf, sizeof(buf), "%s (%s)", name, code);
        show_line(label, buf);
    } else {
        show_line(label, code);
    }
}

/* What show collects while walking the history. */
typedef struct {
    bool json;
    strbuf_t *sb;
    Thidua__V1__Record *prev; /* the previous revision's content (owned copy) */
    size_t decisions;
} show_walk_t;

/* Which content fields differ between two revisions, as "title, summary". */
static void show_changes(const Thidua__V1__Record *a, const Thidua__V1__Record *b, char *buf,
                         size_t len, strbuf_t *json)
{
    const char *va[RECIN_NFIELDS], *vb[RECIN_NFIELDS];
    recin_values(a, va);
    recin_values(b, vb);
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < RECIN_NFIELDS; i++) {
        if (strcmp(va[i], vb[i]) == 0)
            continue;
        if (json != NULL)
            out_json_str(json, NULL, recin_fields[i].proto);
        const char *label = field_label(recin_fields[i].proto);
        int n = snprintf(buf + o, len - o, "%s%s", o ? ", " : "",
                         label != NULL ? label : recin_fields[i].proto);
        if (n > 0 && (size_t)n < len - o)
            o += (size_t)n;
    }
}

static int show_revision(void *ctx, const store_revision_t *rev)
{
    show_walk_t *w = ctx;
    char when[OUT_TIME_SIZE], changes[512] = "";
    const char *origin = rev->from_server ? _("from the server") : _("made here");
    if (w->json) {
        out_json_key(w->sb, NULL);
        strbuf_putc(w->sb, '{');
        out_json_int(w->sb, "revision", rev->revision);
        out_json_bool(w->sb, "from_server", rev->from_server);
        out_json_int(w->sb, "at_ms", rev->at_ms);
        out_json_bool(w->sb, "withdrawn", rev->content->withdrawn);
        out_json_key(w->sb, "changed");
        strbuf_putc(w->sb, '[');
    }
    if (w->prev != NULL)
        show_changes(w->prev, rev->content, changes, sizeof(changes), w->json ? w->sb : NULL);
    if (w->json) {
        strbuf_puts(w->sb, "]}");
    } else {
        printf(_("  revision %-3u %-17s "), rev->revision, out_time_vn(rev->at_ms, when));
        out_cell(stdout, origin, 16);
        printf("%s%s%s\n", rev->content->withdrawn ? _("withdrawal") : "",
               changes[0] && rev->content->withdrawn ? "; " : "",
               changes[0] ? changes : (w->prev == NULL ? _("first version") : ""));
    }
    /* Keep a copy: the content is only lent for this call. */
    size_t n = thidua__v1__record__get_packed_size(rev->content);
    uint8_t *buf = malloc(n ? n : 1);
    if (buf == NULL)
        return TD_ENOMEM;
    thidua__v1__record__pack(rev->content, buf);
    Thidua__V1__Record *copy = thidua__v1__record__unpack(NULL, n, buf);
    free(buf);
    if (copy == NULL)
        return TD_ENOMEM;
    if (w->prev != NULL)
        thidua__v1__record__free_unpacked(w->prev, NULL);
    w->prev = copy;
    return 0;
}

static int show_decision(void *ctx, const Thidua__V1__Decision *d)
{
    show_walk_t *w = ctx;
    char when[OUT_TIME_SIZE];
    w->decisions++;
    if (w->json) {
        out_json_key(w->sb, NULL);
        strbuf_putc(w->sb, '{');
        out_json_str(w->sb, "action", d->action);
        out_json_int(w->sb, "revision", d->revision);
        out_json_str(w->sb, "reason", d->reason);
        out_json_int(w->sb, "decided_at_ms", d->decided_at_ms);
        strbuf_putc(w->sb, '}');
    } else {
        printf("  %-17s ", out_time_vn(d->decided_at_ms, when));
        printf(_("%s on revision %u%s%s\n"), out_action_label(d->action), d->revision,
               d->reason[0] ? ": " : "", d->reason);
    }
    return 0;
}

/* The award's lines of show: the form, its decision, a revocation. */
static void show_award(const office_t *lc, const Thidua__V1__Award *aw)
{
    char d1[DATE_STR_SIZE], d2[DATE_STR_SIZE], buf[2048];
    if (aw == NULL)
        return;
    if (aw->form[0] != '\0') {
        show_coded(lc, N_("Award:"), RECIN_AWARD, aw->form);
        if (aw->decision != NULL) {
            snprintf(buf, sizeof(buf), _("%s of %s%s%s"), aw->decision->number,
                     out_date_vn(aw->decision->date, d1), aw->decision->signer[0] ? ", " : "",
                     aw->decision->signer);
            show_line(N_("Award decision:"), buf);
        }
    }
    if (aw->revoked_reason[0] == '\0' && aw->revoked_by == NULL)
        return;
    const Thidua__V1__AwardDecision *rv = aw->revoked_by;
    if (rv != NULL)
        snprintf(buf, sizeof(buf), _("%s (decision %s of %s)"), aw->revoked_reason, rv->number,
                 out_date_vn(rv->date, d2));
    else
        snprintf(buf, sizeof(buf), "%s", aw->revoked_reason);
    show_line(N_("Revoked:"), buf);
}

/* Where the record stands: revision, state, refusal, the latest decision. */
static void show_state(const office_t *lc, const store_record_t *r)
{
    const Thidua__V1__Record *rec = &r->rec;
    char t1[OUT_TIME_SIZE], buf[2048];
    if (r->server_revision != 0 && r->server_revision != rec->revision)
        snprintf(buf, sizeof(buf), _("%u (the server has %u)"), rec->revision, r->server_revision);
    else
        snprintf(buf, sizeof(buf), "%u", rec->revision);
    show_line(N_("Revision:"), buf);
    show_line(N_("Status:"), out_record_state(r, lc->welcome, true, buf, sizeof(buf)));
    if (r->mark != 0) {
        const char *field = r->mark_field[0] ? field_label(r->mark_field) : NULL;
        field = field != NULL ? field : r->mark_field;
        snprintf(buf, sizeof(buf), _("revision %u, %s: %s%s%s"), r->mark_revision,
                 out_time_vn(r->mark_at_ms, t1), field, field[0] ? ": " : "", r->mark_message);
        show_line(N_("Refused:"), buf);
    }
    if (rec->decision != NULL) {
        snprintf(buf, sizeof(buf), _("%s on revision %u, %s%s%s"),
                 out_action_label(rec->decision->action), rec->decision->revision,
                 out_time_vn(rec->decision->decided_at_ms, t1),
                 rec->decision->reason[0] ? ": " : "", rec->decision->reason);
        show_line(N_("Decision:"), buf);
    }
}

/* The text part of show: content, state, decision, award. */
static void show_text(const office_t *lc, const store_record_t *r)
{
    const Thidua__V1__Record *rec = &r->rec;
    char d1[DATE_STR_SIZE], t1[OUT_TIME_SIZE];
    printf(_("Record %s\n"), rec->id);
    show_line(N_("Kind:"), record_kind_label(rec->nominee_kind));
    show_line(N_("Name:"), rec->nominee_name);
    show_line(N_("Birth date:"), out_date_vn(rec->birth_date, d1));
    show_line(N_("Gender:"), record_gender_label(rec->gender));
    show_line(N_("Position:"), rec->position);
    show_line(N_("Workplace:"), rec->workplace);
    show_coded(lc, N_("Unit:"), RECIN_UNIT, rec->org_unit);
    show_coded(lc, N_("Campaign:"), RECIN_CAMPAIGN, rec->campaign);
    show_coded(lc, N_("Category:"), RECIN_CATEGORY, rec->category);
    show_line(N_("Achieved on:"), out_date_vn(rec->achieved_on, d1));
    show_coded(lc, N_("Proposed award:"), RECIN_AWARD, rec->proposed_award);
    show_line(N_("Title:"), rec->title);
    show_state(lc, r);
    show_award(lc, rec->award);
    show_line(N_("Added here:"), out_time_vn(r->created_at_ms, t1));
    if (rec->summary[0] != '\0') {
        fputs(_("\nSummary:\n"), stdout);
        fputs("  ", stdout);
        for (const char *p = rec->summary; *p; p++) {
            fputc(*p, stdout);
            if (*p == '\n')
                fputs("  ", stdout);
        }
        fputc('\n', stdout);
    }
}

static void show_help(void)
{
    fputs(_("usage: thidua show ID\n\n"
            "One nomination in full: its content, where it stands, its history on this\n"
            "computer (every revision, and the server's copies pulled at sync) and the\n"
            "province's decisions and award. ID: at least 8 hexadecimal digits.\n"),
          stdout);
}

int cmd_show(cli_t *cli, int argc, char **argv)
{
    int rc = cmdopt_help_only(argc, argv, show_help);
    if (rc == CLI_EXIT_OK)
        rc = cmdopt_one_id("show", argc);
    if (rc != CLI_EXIT_OK)
        return rc < 0 ? CLI_EXIT_OK : rc;
    office_t lc;
    rc = office_open(cli, "show", &lc);
    if (rc != CLI_EXIT_OK)
        return rc;
    store_record_t *r = NULL;
    rc = office_get(&lc, "show", argv[optind], &r);
    if (rc != CLI_EXIT_OK) {
        office_close(&lc);
        return rc;
    }
    strbuf_t sb;
    strbuf_init(&sb);
    show_walk_t w = {cli->json, &sb, NULL, 0};
    if (cli->json) {
        strbuf_puts(&sb, "{\"record\":");
        list_json_record(&sb, r);
        out_json_key(&sb, "history");
        strbuf_putc(&sb, '[');
    } else {
        show_text(&lc, r);
        fputs(_("\nHistory:\n"), stdout);
    }
    int src = store_history_revisions(lc.st, r->rec.id, show_revision, &w);
    if (src >= 0) {
        if (cli->json) {
            strbuf_putc(&sb, ']');
            out_json_key(&sb, "decisions");
            strbuf_putc(&sb, '[');
        } else {
            fputs(_("\nDecisions of the province:\n"), stdout);
        }
        src = store_history_decisions(lc.st, r->rec.id, show_decision, &w);
        if (src >= 0 && !cli->json && w.decisions == 0)
            fputs(_("  none yet\n"), stdout);
    }
    if (src < 0) {
        rc = office_walk_fail("show", lc.st, src);
    } else if (cli->json) {
        strbuf_puts(&sb, "]}");
        rc = out_json_done(&sb);
    }
    if (w.prev != NULL)
        thidua__v1__record__free_unpacked(w.prev, NULL);
    strbuf_free(&sb);
    store_record_free(r);
    office_close(&lc);
    return rc;
}
