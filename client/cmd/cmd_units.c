/*
 * cmd_units.c - `thidua units list` and `thidua units reorganise`: the org
 * units over time, and a reform recorded from a file (sql/018_reform.sql).
 *
 * The file is read and checked here first (its header, its dates, its
 * cells) so that an officer hears every mistake of the file at once, in his
 * language, before anything is sent; the server then checks it against the
 * stored units and applies it in one transaction, all or nothing. Its
 * problems come back as keys (ReorganiseLine.problem) worded here.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_session.h"
#include "cli.h"
#include "csv.h"
#include "date.h"
#include "encoding.h"
#include "file_in.h"
#include "i18n.h"
#include "output.h"
#include "sheet.h"
#include "text.h"

/* A reform file lists units, not records: a province's every commune fits well below this. */
#define UNITS_FILE_MAX_BYTES (4u * 1024u * 1024u)

/* The columns of a reorganisation file, in the order of its header. */
enum {
    UC_CODE,
    UC_NAME,
    UC_LEVEL,
    UC_UNIT_TYPE,
    UC_PARENT,
    UC_VALID_FROM,
    UC_VALID_TO,
    UC_PREDECESSORS,
    UC_BASIS,
    UC_COUNT,
};

static const char *const units_columns[UC_COUNT] = {
    "code",       "name",     "level",        "unit_type", "parent",
    "valid_from", "valid_to", "predecessors", "basis",
};

/* The rows of a file as the request carries them. Owns everything. */
typedef struct units_file {
    sheet_t sheet;
    Thidua__V1__UnitRow *rows;
    Thidua__V1__UnitRow **rowp;
    size_t n;
    char (*dates)[2][DATE_STR_SIZE]; /* valid_from and valid_to of each row, ISO */
    char **preds_buf;                /* per row: the predecessors cell, split in place */
    char ***preds;
    size_t problems;
} units_file_t;

static void units_file_free(units_file_t *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->preds_buf[i]);
        free(f->preds[i]);
    }
    free(f->preds_buf);
    free(f->preds);
    free(f->dates);
    free(f->rowp);
    free(f->rows);
    sheet_free(&f->sheet);
}

static void units_list_help(void)
{
    printf(_("usage: thidua units list [--on DATE | --all]\n\n"
             "The org units in force on a day (today by default), or every unit that ever\n"
             "existed, with the days each was in force and who succeeded whom.\n\n"
             "  --on DATE   the units in force that day (YYYY-MM-DD or dd/mm/yyyy)\n"
             "  --all       every unit, closed ones too\n"));
}

static void units_reorganise_help(void)
{
    printf(_("usage: thidua units reorganise FILE.csv [--dry-run]\n\n"
             "Record a reorganisation of the org units (a merger, a split, the end of a\n"
             "level) from a CSV file in UTF-8 with the header\n"
             "  code,name,level,unit_type,parent,valid_from,valid_to,predecessors,basis\n"
             "A row whose code and valid_from match a stored unit closes it (valid_to is its\n"
             "last day); any other row adds a unit. predecessors lists the codes of the\n"
             "units it succeeds, separated by ';'; basis is the legal text. Dates are\n"
             "YYYY-MM-DD or dd/mm/yyyy. All or nothing: one problem and nothing changes;\n"
             "applying the same file again changes nothing. Province certificate only.\n\n"
             "  --dry-run   say what would change, change nothing\n"));
}

/* One cell of row r, trimmed of spaces ("" past the row's end). */
static const char *units_cell(const sheet_row_t *r, const int *col, int c)
{
    if (col[c] < 0 || (size_t)col[c] >= r->n)
        return "";
    char *s = r->cells[col[c]];
    while (*s == ' ')
        s++;
    size_t len = strlen(s);
    while (len > 0 && s[len - 1] == ' ')
        s[--len] = '\0';
    return s;
}

/* A date cell into ISO; "" stays "". false (and the problem printed) when it is no date. */
static bool units_date(units_file_t *f, const char *path, uint32_t line, const char *column,
                       const char *cell, char out[DATE_STR_SIZE])
{
    int32_t day;
    out[0] = '\0';
    if (cell[0] == '\0')
        return true;
    if ((date_parse_iso(cell, &day, NULL) == TD_OK || date_parse_vn(cell, &day, NULL) == TD_OK) &&
        date_format_iso(day, out) == TD_OK)
        return true;
    cli_error(_("units reorganise: %s line %u: %s: '%s' is not a date (write dd/mm/yyyy or "
                "YYYY-MM-DD)"),
              path, line, column, cell);
    f->problems++;
    return false;
}

/* Split the predecessors cell of row i (codes separated by ';') into the row. -1: out of memory. */
static int units_preds(units_file_t *f, size_t i, const char *cell)
{
    f->preds_buf[i] = strdup(cell);
    f->preds[i] = calloc(strlen(cell) / 2 + 2, sizeof(char *));
    if (f->preds_buf[i] == NULL || f->preds[i] == NULL)
        return -1;
    size_t m = 0;
    for (char *save = NULL, *t = strtok_r(f->preds_buf[i], ";", &save); t != NULL;
         t = strtok_r(NULL, ";", &save)) {
        while (*t == ' ')
            t++;
        size_t len = strlen(t);
        while (len > 0 && t[len - 1] == ' ')
            t[--len] = '\0';
        if (len > 0)
            f->preds[i][m++] = t;
    }
    f->rows[i].n_predecessors = m;
    f->rows[i].predecessors = f->preds[i];
    return 0;
}

/* The header row: which column holds what. false (problems printed) when it is not the header. */
static bool units_header(units_file_t *f, const char *path, const sheet_row_t *h, int *col)
{
    for (int c = 0; c < UC_COUNT; c++)
        col[c] = -1;
    for (size_t i = 0; i < h->n; i++) {
        const char *name = h->cells[i];
        bool known = false;
        for (int c = 0; c < UC_COUNT && !known; c++) {
            if (strcmp(name, units_columns[c]) == 0) {
                col[c] = (int)i;
                known = true;
            }
        }
        if (!known && name[0] != '\0') {
            cli_error(_("units reorganise: %s line %u: unknown column '%s'"), path, h->line, name);
            f->problems++;
        }
    }
    for (int c = 0; c < UC_COUNT; c++) {
        if (col[c] < 0) {
            cli_error(_("units reorganise: %s line %u: the column '%s' is missing (the header is "
                        "code,name,level,unit_type,parent,valid_from,valid_to,predecessors,basis)"),
                      path, h->line, units_columns[c]);
            f->problems++;
        }
    }
    return f->problems == 0;
}

/* Read and check the file into f. CLI_EXIT_OK, or an exit code with every problem printed. */
static int units_file_read(units_file_t *f, const char *path)
{
    char *data = NULL, *text = NULL;
    size_t len = 0, tlen = 0, bad = 0;
    int rc = file_in_read(path, UNITS_FILE_MAX_BYTES, &data, &len);
    if (rc == TD_EHUGE) {
        cli_error(_("units reorganise: %s is larger than %u MiB"), path,
                  UNITS_FILE_MAX_BYTES >> 20);
        return CLI_EXIT_INVALID;
    }
    if (rc != TD_OK) {
        cli_error(_("units reorganise: cannot read %s: %s"), path,
                  rc == TD_ENOMEM ? td_strerror(rc) : strerror(errno));
        return rc == TD_ENOMEM ? CLI_EXIT_STORE : CLI_EXIT_USAGE;
    }
    rc = enc_decode(ENC_UTF8, data, len, &text, &tlen, &bad);
    free(data);
    if (rc != TD_OK) {
        cli_error(_("units reorganise: %s: %s at byte %zu: save the file as \"CSV UTF-8\"; "
                    "nothing was changed"),
                  path, td_strerror(rc), bad);
        free(text);
        return CLI_EXIT_INVALID;
    }
    rc = sheet_from_csv(&f->sheet, text, tlen, csv_sniff(text, tlen));
    free(text);
    if (rc != TD_OK) {
        cli_error(_("units reorganise: %s: %s"), path, td_strerror(rc));
        return CLI_EXIT_INVALID;
    }
    if (f->sheet.n < 2) {
        cli_error(_("units reorganise: %s has no unit rows under its header"), path);
        return CLI_EXIT_INVALID;
    }
    int col[UC_COUNT];
    if (!units_header(f, path, &f->sheet.rows[0], col))
        return CLI_EXIT_INVALID;

    size_t cap = f->sheet.n;
    f->rows = calloc(cap, sizeof(*f->rows));
    f->rowp = calloc(cap, sizeof(*f->rowp));
    f->dates = calloc(cap, sizeof(*f->dates));
    f->preds_buf = calloc(cap, sizeof(*f->preds_buf));
    f->preds = calloc(cap, sizeof(*f->preds));
    if (!f->rows || !f->rowp || !f->dates || !f->preds_buf || !f->preds) {
        cli_error(_("units reorganise: out of memory reading %s"), path);
        return CLI_EXIT_STORE;
    }
    for (size_t k = 1; k < f->sheet.n; k++) {
        sheet_row_t *r = &f->sheet.rows[k];
        if (sheet_row_blank(r))
            continue;
        if (r->problem != 0) {
            cli_error(_("units reorganise: %s line %u: %s"), path, r->line,
                      td_strerror(r->problem));
            f->problems++;
            continue;
        }
        size_t i = f->n++;
        Thidua__V1__UnitRow *u = &f->rows[i];
        thidua__v1__unit_row__init(u);
        u->line = r->line;
        u->code = (char *)units_cell(r, col, UC_CODE);
        u->name = (char *)units_cell(r, col, UC_NAME);
        u->level = (char *)units_cell(r, col, UC_LEVEL);
        u->unit_type = (char *)units_cell(r, col, UC_UNIT_TYPE);
        u->parent = (char *)units_cell(r, col, UC_PARENT);
        u->basis = (char *)units_cell(r, col, UC_BASIS);
        if (u->code[0] == '\0' || u->name[0] == '\0' || u->level[0] == '\0') {
            cli_error(_("units reorganise: %s line %u: code, name and level are required"), path,
                      r->line);
            f->problems++;
        }
        if (units_date(f, path, r->line, "valid_from", units_cell(r, col, UC_VALID_FROM),
                       f->dates[i][0]) &&
            f->dates[i][0][0] == '\0') {
            cli_error(_("units reorganise: %s line %u: valid_from is required"), path, r->line);
            f->problems++;
        }
        (void)units_date(f, path, r->line, "valid_to", units_cell(r, col, UC_VALID_TO),
                         f->dates[i][1]);
        u->valid_from = f->dates[i][0];
        u->valid_to = f->dates[i][1];
        if (units_preds(f, i, units_cell(r, col, UC_PREDECESSORS)) != 0) {
            cli_error(_("units reorganise: out of memory reading %s"), path);
            return CLI_EXIT_STORE;
        }
        f->rowp[i] = u;
    }
    if (f->problems > 0) {
        cli_error(_("units reorganise: %s: %zu problems; nothing was sent, nothing changed"), path,
                  f->problems);
        return CLI_EXIT_INVALID;
    }
    return CLI_EXIT_OK;
}

/* A server problem key in words, with its detail. */
static void units_problem_text(const Thidua__V1__ReorganiseLine *l, char *out, size_t size)
{
    char d[DATE_STR_SIZE];
    const char *p = l->problem, *x = l->detail;
    if (strcmp(p, "code_invalid") == 0)
        snprintf(out, size, _("code '%s' must be 1 to 32 letters, digits, '.', '_' or '-'"), x);
    else if (strcmp(p, "date_invalid") == 0)
        snprintf(out, size, _("'%s' is not a date"), x);
    else if (strcmp(p, "ends_before_start") == 0)
        snprintf(out, size, _("the last day %s is before the first day"), out_date_vn(x, d));
    else if (strcmp(p, "level_invalid") == 0)
        snprintf(out, size, _("level '%s' must be province, department, district or commune"), x);
    else if (strcmp(p, "differs_from_stored") == 0)
        snprintf(out, size, _("the unit with this code and first day is stored as '%s'"), x);
    else if (strcmp(p, "closed_otherwise") == 0)
        snprintf(out, size, _("the unit is stored as closed on %s, and a unit keeps its last day"),
                 out_date_vn(x, d));
    else if (strcmp(p, "parent_unknown") == 0)
        snprintf(out, size, _("no unit %s is in force on this unit's first day"), x);
    else if (strcmp(p, "code_taken") == 0)
        snprintf(out, size, _("the code belongs to %s during these days"), x);
    else if (strcmp(p, "predecessor_unknown") == 0)
        snprintf(out, size, _("no unit %s was in force the day before this unit's first day"), x);
    else if (strcmp(p, "predecessor_open") == 0)
        snprintf(out, size,
                 _("unit %s is still in force on this unit's first day: close it (valid_to) in "
                   "the same file"),
                 x);
    else if (strcmp(p, "predecessor_self") == 0)
        snprintf(out, size, _("a unit cannot succeed itself"));
    else
        snprintf(out, size, "%s: %s", p, x); /* text_invalid: the server's words */
}

/* What one answer line says, for a person. */
static void units_line_print(const Thidua__V1__ReorganiseLine *l, const char *path)
{
    char d[DATE_STR_SIZE], why[600];
    if (strcmp(l->action, "add") == 0)
        printf(_("line %u: add %s %s, in force from %s\n"), l->line, l->code, l->name,
               out_date_vn(l->detail, d));
    else if (strcmp(l->action, "close") == 0)
        printf(_("line %u: close %s %s, its last day %s\n"), l->line, l->code, l->name,
               out_date_vn(l->detail, d));
    else if (strcmp(l->action, "succeed") == 0)
        printf(_("line %u: %s %s succeeds %s\n"), l->line, l->code, l->name, l->detail);
    else if (strcmp(l->action, "problem") == 0) {
        units_problem_text(l, why, sizeof(why));
        cli_error(_("units reorganise: %s line %u: %s: %s"), path, l->line, l->field, why);
    }
}

static int units_reorganise_json(const Thidua__V1__ReorganiseResponse *resp, bool dry_run)
{
    strbuf_t sb;
    strbuf_init(&sb);
    strbuf_putc(&sb, '{');
    out_json_bool(&sb, "applied", resp->applied);
    out_json_bool(&sb, "dry_run", dry_run);
    out_json_bool(&sb, "catalog_stale", resp->catalog_stale);
    out_json_key(&sb, "lines");
    strbuf_putc(&sb, '[');
    for (size_t i = 0; i < resp->n_lines; i++) {
        const Thidua__V1__ReorganiseLine *l = resp->lines[i];
        strbuf_puts(&sb, i ? ",{" : "{");
        out_json_int(&sb, "line", l->line);
        out_json_str(&sb, "code", l->code);
        out_json_str(&sb, "name", l->name);
        out_json_str(&sb, "action", l->action);
        out_json_str(&sb, "field", l->field);
        out_json_str(&sb, "problem", l->problem);
        out_json_str(&sb, "detail", l->detail);
        strbuf_putc(&sb, '}');
    }
    strbuf_puts(&sb, "]}");
    return out_json_done(&sb);
}

static int units_reorganise(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"dry-run", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool dry_run = false;
    int ch;
    optind = 0; /* glibc: start afresh and permute, so options may follow the file */
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (ch == 'n') {
            dry_run = true;
        } else if (ch == 'h') {
            units_reorganise_help();
            return CLI_EXIT_OK;
        } else {
            return CLI_EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        cli_error(_("units reorganise: name one file (see --help)"));
        return CLI_EXIT_USAGE;
    }
    const char *path = argv[optind];
    units_file_t f;
    memset(&f, 0, sizeof(f));
    sheet_init(&f.sheet);
    admin_t a;
    int rc = units_file_read(&f, path);
    if (rc == CLI_EXIT_OK)
        rc = admin_init(&a, cli, "units reorganise");
    if (rc == CLI_EXIT_OK && (rc = admin_connect(&a)) != CLI_EXIT_OK)
        admin_close(&a);
    if (rc != CLI_EXIT_OK) {
        units_file_free(&f);
        return rc;
    }
    Thidua__V1__ReorganiseRequest req = THIDUA__V1__REORGANISE_REQUEST__INIT;
    req.n_rows = f.n;
    req.rows = f.rowp;
    req.dry_run = dry_run;
    Thidua__V1__Envelope *env;
    rc = admin_call(&a, &req.base, THIDUA__V1__ENVELOPE__BODY_REORGANISE_RESPONSE, &env, NULL);
    if (rc == CLI_EXIT_OK) {
        const Thidua__V1__ReorganiseResponse *resp = env->reorganise_response;
        size_t changes = 0, problems = 0;
        for (size_t i = 0; i < resp->n_lines; i++) {
            const char *act = resp->lines[i]->action;
            problems += strcmp(act, "problem") == 0;
            changes += strcmp(act, "problem") != 0 && strcmp(act, "unchanged") != 0;
        }
        if (cli->json) {
            rc = units_reorganise_json(resp, dry_run);
        } else {
            for (size_t i = 0; i < resp->n_lines; i++)
                units_line_print(resp->lines[i], path);
            if (problems > 0)
                cli_error(_("units reorganise: %zu problems; nothing was changed"), problems);
            else if (changes == 0)
                printf(_("nothing to change: the units are already as %s says\n"), path);
            else if (dry_run)
                printf(_("dry run: %zu changes would be made; nothing was changed\n"), changes);
            else
                printf(_("%zu changes applied\n"), changes);
            if (resp->catalog_stale)
                cli_error("%s", _("warning: the changes are stored, but the server could not "
                           "read its units again; offices see them after the server's next "
                           "reload (systemctl reload thiduad)"));
        }
        if (problems > 0 && rc == CLI_EXIT_OK)
            rc = CLI_EXIT_INVALID;
        thidua__v1__envelope__free_unpacked(env, NULL);
    }
    admin_close(&a);
    units_file_free(&f);
    return rc;
}

/* ---- units list ---- */

/* Codes joined by ", " into out. */
static const char *units_codes(char *const *codes, size_t n, char *out, size_t size)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && o < size; i++) {
        int k = snprintf(out + o, size - o, "%s%s", i ? ", " : "", codes[i]);
        o += k > 0 ? (size_t)k : 0;
    }
    return out;
}

static int units_list_json(const Thidua__V1__UnitListResponse *resp)
{
    strbuf_t sb;
    strbuf_init(&sb);
    strbuf_puts(&sb, "{\"units\":[");
    for (size_t i = 0; i < resp->n_units; i++) {
        const Thidua__V1__OrgUnit *u = resp->units[i];
        strbuf_puts(&sb, i ? ",{" : "{");
        out_json_str(&sb, "code", u->code);
        out_json_str(&sb, "name", u->name);
        out_json_str(&sb, "level", u->level);
        out_json_str(&sb, "unit_type", u->unit_type);
        out_json_str(&sb, "parent", u->parent);
        out_json_str(&sb, "valid_from", u->valid_from);
        out_json_str(&sb, "valid_to", u->valid_to);
        for (int k = 0; k < 2; k++) {
            out_json_key(&sb, k == 0 ? "predecessors" : "successors");
            strbuf_putc(&sb, '[');
            size_t n = k == 0 ? u->n_predecessors : u->n_successors;
            char **v = k == 0 ? u->predecessors : u->successors;
            for (size_t j = 0; j < n; j++) {
                if (j > 0)
                    strbuf_putc(&sb, ',');
                strbuf_json_string(&sb, v[j]);
            }
            strbuf_putc(&sb, ']');
        }
        out_json_str(&sb, "basis", u->basis);
        strbuf_putc(&sb, '}');
    }
    strbuf_puts(&sb, "]}");
    return out_json_done(&sb);
}

static void units_list_table(const Thidua__V1__UnitListResponse *resp)
{
    size_t wname = out_width(_("Name"));
    for (size_t i = 0; i < resp->n_units; i++) {
        size_t w = out_width(resp->units[i]->name);
        wname = w > wname ? w : wname;
    }
    out_cell(stdout, _("Code"), 6);
    out_cell(stdout, _("Name"), wname + 2);
    out_cell(stdout, _("Level"), 10);
    out_cell(stdout, _("From"), 12);
    out_cell(stdout, _("To"), 12);
    printf("%s\n", _("Succession"));
    for (size_t i = 0; i < resp->n_units; i++) {
        const Thidua__V1__OrgUnit *u = resp->units[i];
        char d1[DATE_STR_SIZE], d2[DATE_STR_SIZE], codes[400], line[500] = "";
        out_cell(stdout, u->code, 6);
        out_cell(stdout, u->name, wname + 2);
        out_cell(stdout, u->level, 10);
        out_cell(stdout, out_date_vn(u->valid_from, d1), 12);
        out_cell(stdout, u->valid_to[0] ? out_date_vn(u->valid_to, d2) : "", 12);
        if (u->n_predecessors > 0)
            snprintf(line, sizeof(line), _("succeeds %s"),
                     units_codes(u->predecessors, u->n_predecessors, codes, sizeof(codes)));
        if (u->n_successors > 0) {
            size_t o = strlen(line);
            snprintf(line + o, sizeof(line) - o, _("%ssucceeded by %s"), o ? "; " : "",
                     units_codes(u->successors, u->n_successors, codes, sizeof(codes)));
        }
        printf("%s\n", line);
    }
}

static int units_list(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"on", required_argument, NULL, 'o'},
        {"all", no_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *on = NULL;
    bool all = false;
    int ch;
    optind = 0; /* glibc: start afresh and permute, so options may follow the file */
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (ch == 'o') {
            on = optarg;
        } else if (ch == 'a') {
            all = true;
        } else if (ch == 'h') {
            units_list_help();
            return CLI_EXIT_OK;
        } else {
            return CLI_EXIT_USAGE;
        }
    }
    if (optind != argc || (all && on != NULL)) {
        cli_error(_("units list: give --on DATE or --all, not both, and nothing else"));
        return CLI_EXIT_USAGE;
    }
    admin_t a;
    char day[DATE_STR_SIZE] = "";
    int rc = admin_init(&a, cli, "units list");
    if (rc == CLI_EXIT_OK && on != NULL)
        rc = admin_date_arg(&a, "--on", on, day);
    if (rc == CLI_EXIT_OK && (rc = admin_connect(&a)) != CLI_EXIT_OK)
        admin_close(&a);
    if (rc != CLI_EXIT_OK)
        return rc;
    Thidua__V1__UnitListRequest req = THIDUA__V1__UNIT_LIST_REQUEST__INIT;
    req.on = day;
    req.all = all;
    Thidua__V1__Envelope *env;
    rc = admin_call(&a, &req.base, THIDUA__V1__ENVELOPE__BODY_UNIT_LIST_RESPONSE, &env, NULL);
    if (rc == CLI_EXIT_OK) {
        if (cli->json)
            rc = units_list_json(env->unit_list_response);
        else
            units_list_table(env->unit_list_response);
        thidua__v1__envelope__free_unpacked(env, NULL);
    }
    admin_close(&a);
    return rc;
}

int cmd_units(cli_t *cli, int argc, char **argv)
{
    static const cli_sub_t subs[] = {
        {"list", units_list, N_("thidua units list [--on DATE | --all]   the org units and their days")},
        {"reorganise", units_reorganise,
         N_("thidua units reorganise FILE.csv [--dry-run]   record a merger, split or end of a level")},
    };
    return cli_dispatch(cli, argc, argv, "units", subs, THIDUA_ARRAY_LEN(subs),
                        N_("`thidua units SUBCOMMAND --help` describes each."));
}
