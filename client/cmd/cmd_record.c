/*
 * cmd_record.c - `thidua add`, `thidua edit` and `thidua withdraw`: an
 * officer's nominations, made and changed offline.
 *
 * Each command validates with the same code the server runs, against the
 * campaign of the last Welcome the store saved, so a mistake is heard at the
 * desk and not days later at sync. The result goes into the store as a new
 * revision with its outbox entry; `thidua sync` carries it to the province.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fields.h"
#include "i18n.h"
#include "office_session.h"
#include "output.h"
#include "record_input.h"

/* getopt values of the field options: RECORD_OPT_FIELD + recin_field_t. */
enum { RECORD_OPT_FIELD = 1000, RECORD_OPT_SUMMARY_FILE = 2000, RECORD_OPT_HELP = 'h' };

#define FIELD_OPT(name, field)                                                                     \
    {                                                                                              \
        name, required_argument, NULL, RECORD_OPT_FIELD + (field)                                  \
    }

static const struct option record_opts[] = {
    FIELD_OPT("kind", RECIN_KIND),
    FIELD_OPT("name", RECIN_NAME),
    FIELD_OPT("birth-date", RECIN_BIRTH_DATE),
    FIELD_OPT("gender", RECIN_GENDER),
    FIELD_OPT("position", RECIN_POSITION),
    FIELD_OPT("workplace", RECIN_WORKPLACE),
    FIELD_OPT("title", RECIN_TITLE),
    FIELD_OPT("summary", RECIN_SUMMARY),
    FIELD_OPT("category", RECIN_CATEGORY),
    FIELD_OPT("achieved-on", RECIN_ACHIEVED_ON),
    FIELD_OPT("award", RECIN_AWARD),
    FIELD_OPT("unit", RECIN_UNIT),
    FIELD_OPT("campaign", RECIN_CAMPAIGN),
    {"summary-file", required_argument, NULL, RECORD_OPT_SUMMARY_FILE},
    {"help", no_argument, NULL, RECORD_OPT_HELP},
    {NULL, 0, NULL, 0},
};

static const char record_fields_help[] =
    N_("  --kind KIND          individual, collective or household\n"
       "                       (also ca-nhan, tap-the, ho-gia-dinh)\n"
       "  --name NAME          the person, collective or household\n"
       "  --birth-date DATE    individuals: YYYY-MM-DD or DD/MM/YYYY\n"
       "  --gender G           individuals: male or female (nam, nu)\n"
       "  --position TEXT      individuals: position (chức vụ)\n"
       "  --workplace TEXT     individuals: workplace (đơn vị công tác)\n"
       "  --title TEXT         the achievement in one line\n"
       "  --summary TEXT       the achievement report (several lines allowed)\n"
       "  --summary-file FILE  read the report from FILE (- for standard input)\n"
       "  --category CODE      a content area of the campaign (code or name)\n"
       "  --achieved-on DATE   the achievement's date, inside the campaign\n"
       "  --award CODE         the proposed award form (code or name)\n");

/* The option values of one command line. Borrowed from argv, except summary_text. */
typedef struct {
    const char *raw[RECIN_NFIELDS]; /* NULL: not given */
    const char *summary_file;
    char *summary_text; /* owned: the file's contents */
    int nfields;
    const char *id; /* edit, withdraw: the record */
} record_args_t;

static void record_args_free(record_args_t *a)
{
    free(a->summary_text);
}

/* Parse the field options; CLI_EXIT_OK, CLI_EXIT_USAGE, or -1 when help was printed. */
static int record_parse(const char *cmd, int argc, char **argv, record_args_t *a, int want_id,
                        void (*help)(void))
{
    memset(a, 0, sizeof(*a));
    int opt;
    optind = 0; /* glibc: start afresh and permute, so options may follow an id */
    while ((opt = getopt_long(argc, argv, "h", record_opts, NULL)) != -1) {
        if (opt >= RECORD_OPT_FIELD && opt < RECORD_OPT_FIELD + RECIN_NFIELDS) {
            a->raw[opt - RECORD_OPT_FIELD] = optarg;
            a->nfields++;
        } else if (opt == RECORD_OPT_SUMMARY_FILE) {
            a->summary_file = optarg;
            a->nfields++;
        } else if (opt == RECORD_OPT_HELP) {
            help();
            return -1;
        } else {
            cli_error(_("%s: see `thidua %s --help`"), cmd, cmd);
            return CLI_EXIT_USAGE;
        }
    }
    int rest = argc - optind;
    if (want_id && rest == 1) {
        a->id = argv[optind];
    } else if (rest != 0 || want_id) {
        cli_error("%s: %s", cmd,
                  want_id ? _("give exactly one record id")
                          : _("unexpected argument; options only"));
        return CLI_EXIT_USAGE;
    }
    if (a->summary_file != NULL && a->raw[RECIN_SUMMARY] != NULL) {
        cli_error(_("%s: give --summary or --summary-file, not both"), cmd);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* Read the report file (- for standard input) into a->summary_text. */
static int record_read_summary(record_args_t *a)
{
    if (a->summary_file == NULL)
        return CLI_EXIT_OK;
    int is_stdin = strcmp(a->summary_file, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(a->summary_file, "rb");
    if (f == NULL) {
        cli_error(_("--summary-file: cannot read %s: %s"), a->summary_file, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    /* Four bytes a character at most, plus room to see that it is too long. */
    size_t cap = FIELD_MAX(summary) * 4 + 16, len = 0;
    char *buf = malloc(cap + 1);
    if (buf != NULL)
        len = fread(buf, 1, cap, f);
    int failed = buf == NULL || ferror(f);
    if (!is_stdin)
        fclose(f);
    if (failed) {
        free(buf);
        cli_error(_("--summary-file: cannot read %s"), a->summary_file);
        return CLI_EXIT_USAGE;
    }
    if (len == cap) {
        free(buf);
        cli_error(_("--summary-file: %s is too long: a report has at most %d characters"),
                  a->summary_file, FIELD_MAX(summary));
        return CLI_EXIT_INVALID;
    }
    if (memchr(buf, '\0', len) != NULL) {
        free(buf);
        cli_error(_("--summary-file: %s is not a text file (it holds a NUL byte)"),
                  a->summary_file);
        return CLI_EXIT_INVALID;
    }
    buf[len] = '\0';
    a->summary_text = buf;
    a->raw[RECIN_SUMMARY] = buf;
    return CLI_EXIT_OK;
}

/* The option an officer used for a proto field ("--achieved-on"), or the field itself. */
static const char *record_option_of(const char *proto, const record_args_t *a)
{
    int f = recin_field_by_proto(proto);
    if (f < 0)
        return proto;
    if (f == RECIN_SUMMARY && a->summary_file != NULL)
        return "--summary-file";
    return recin_fields[f].option;
}

/* A field for people: its label, else its wire name. */
static const char *record_field_name(const char *wire)
{
    const char *label = field_label(wire);
    return label != NULL ? label : wire;
}

/* Convert every option given into in; prints every problem. */
static int record_convert(const record_args_t *a, const recin_defaults_t *d, recin_t *in)
{
    char why[256];
    int rc = CLI_EXIT_OK;
    /* The campaign first: a category or an award given by name is one of that campaign's. */
    for (int k = -1; k < RECIN_NFIELDS; k++) {
        int f = k < 0 ? RECIN_CAMPAIGN : k;
        if (a->raw[f] == NULL || (k >= 0 && f == RECIN_CAMPAIGN))
            continue;
        int src = recin_set(in, d, (recin_field_t)f, a->raw[f], why, sizeof(why));
        if (src == -2) {
            cli_error(_("out of memory"));
            return CLI_EXIT_STORE;
        }
        if (src != 0) {
            cli_error("%s (%s): %s", record_field_name(recin_fields[f].proto),
                      record_option_of(recin_fields[f].proto, a), why);
            rc = CLI_EXIT_INVALID;
        }
    }
    return rc;
}

/* Explain a refused record: every problem, the field as the officer knows it, its option, why. */
static int record_invalid(int rc, const valid_error_t *err, const record_args_t *a,
                          const recin_defaults_t *d)
{
    if (rc == TD_EINTERNAL) {
        cli_error("%s: %s", err->field, err->reason);
        return CLI_EXIT_STORE;
    }
    if (strcmp(err->field, "campaign") == 0 && d->campaign == NULL) {
        cli_error(_("--campaign: no campaign is known yet: give --campaign CODE (the campaign "
                    "code the province announced), or run `thidua sync` once while online"));
        return CLI_EXIT_INVALID;
    }
    if (strcmp(err->field, "org_unit") == 0 && d->unit == NULL && a->raw[RECIN_UNIT] == NULL) {
        cli_error(_("--unit: no unit is known yet for this office (the certificate cannot be "
                    "read): give --unit CODE"));
        return CLI_EXIT_INVALID;
    }
    size_t n = valid_error_count(err);
    if (n > 1)
        cli_error(_("the record has %zu problems:"), n);
    for (size_t i = 0; i < n; i++) {
        const valid_problem_t *p = valid_error_at(err, i);
        const char *option = record_option_of(p->field, a);
        if (strcmp(option, p->field) == 0)
            cli_error("%s: %s", record_field_name(p->field), p->reason);
        else
            cli_error("%s (%s): %s", record_field_name(p->field), option, p->reason);
    }
    return CLI_EXIT_INVALID;
}

static void record_warn_offline(const cli_t *cli, const office_t *lc)
{
    if (lc->welcome == NULL && !cli->quiet)
        cli_error("%s", _("warning: no campaign data saved yet (the server was never reached): "
                          "only the syntax is checked now; the campaign's rules are checked at "
                          "sync"));
}

/* Print what was stored: a sentence for people, or JSON. */
static int record_report(const cli_t *cli, const char *verb, const record_t *r, uint32_t revision,
                         int checked)
{
    if (cli->json) {
        strbuf_t sb;
        strbuf_init(&sb);
        strbuf_putc(&sb, '{');
        out_json_str(&sb, "id", r->id);
        out_json_str(&sb, "action", verb);
        out_json_int(&sb, "revision", revision);
        out_json_str(&sb, "org_unit", r->org_unit);
        out_json_str(&sb, "campaign", r->campaign);
        out_json_str(&sb, "nominee_name", r->nominee_name);
        out_json_bool(&sb, "campaign_checked", checked);
        strbuf_putc(&sb, '}');
        bool ok = out_json_print(&sb);
        strbuf_free(&sb);
        return ok ? CLI_EXIT_OK : CLI_EXIT_STORE;
    }
    if (strcmp(verb, "added") == 0)
        printf("%s\n", r->id);
    else if (strcmp(verb, "unchanged") == 0)
        printf(_("%s: nothing changed (still revision %u)\n"), r->id, revision);
    else if (strcmp(verb, "withdrawn") == 0)
        printf(_("%s: %s withdrawn: revision %u, not sent yet (`thidua sync` sends it)\n"), r->id,
               r->nominee_name, revision);
    else
        printf(_("%s: %s changed: revision %u, not sent yet (`thidua sync` sends it)\n"), r->id,
               r->nominee_name, revision);
    return CLI_EXIT_OK;
}

static void add_help(void)
{
    fputs(_("usage: thidua add --kind KIND --name NAME --title TEXT --category CODE\n"
            "                  --achieved-on DATE --award CODE [more options]\n\n"
            "Record a new nomination in the local store and print its id. Nothing is\n"
            "sent: `thidua sync` does that. The record is checked at once against the\n"
            "campaign the server last described (categories, award forms, dates).\n\n"),
          stdout);
    fputs(_(record_fields_help), stdout);
    fputs(_("  --unit CODE          the proposing unit (default: this office's unit)\n"
            "  --campaign CODE      the record's campaign (default: the server's default one)\n"),
          stdout);
}

int cmd_add(cli_t *cli, int argc, char **argv)
{
    record_args_t a;
    int rc = record_parse("add", argc, argv, &a, 0, add_help);
    if (rc != CLI_EXIT_OK)
        return rc < 0 ? CLI_EXIT_OK : rc;
    office_t lc;
    recin_t in;
    recin_init(&in);
    rc = record_read_summary(&a);
    if (rc == CLI_EXIT_OK)
        rc = office_open(cli, "add", &lc);
    if (rc != CLI_EXIT_OK) {
        record_args_free(&a);
        return rc;
    }
    recin_defaults_t d;
    office_defaults(&lc, a.raw[RECIN_CAMPAIGN], &d);
    record_t r;
    record_init(&r);
    uint8_t hash[RECORD_HASH_LEN];
    valid_error_t err;
    rc = record_convert(&a, &d, &in);
    if (rc == CLI_EXIT_OK) {
        int vrc = recin_build(&in, &d, NULL, &r, hash, &err);
        if (vrc != TD_OK)
            rc = record_invalid(vrc, &err, &a, &d);
    }
    char note[800];
    if (rc == CLI_EXIT_OK && lc.welcome != NULL && strcmp(r.org_unit, lc.welcome->org_unit) == 0 &&
        out_unit_closed_note(lc.welcome, note, sizeof(note))[0] != '\0') {
        /* The server would refuse it at sync (sql/018_reform.sql): say so now, offline. */
        cli_error(_("add: %s The new nomination belongs to the successor's office."), note);
        rc = CLI_EXIT_INVALID;
    }
    if (rc == CLI_EXIT_OK) {
        record_warn_offline(cli, &lc);
        Thidua__V1__Record p = THIDUA__V1__RECORD__INIT;
        record_to_proto(&r, &p);
        p.content_hash.data = hash;
        p.content_hash.len = RECORD_HASH_LEN;
        int src = store_record_insert(lc.st, &p, office_now_ms());
        rc = src < 0 ? office_store_fail("add", lc.st, src)
                     : record_report(cli, "added", &r, 1, lc.welcome != NULL);
    }
    record_free(&r);
    recin_free(&in);
    office_close(&lc);
    record_args_free(&a);
    return rc;
}

static void edit_help(void)
{
    fputs(_("usage: thidua edit ID --FIELD VALUE [--FIELD VALUE...]\n\n"
            "Change a nomination: the store keeps a new revision, which `thidua sync`\n"
            "sends. ID is the id `thidua list` shows (at least 8 hexadecimal digits).\n"
            "An empty VALUE clears an optional field. A record the province has decided\n"
            "(approved, rejected, awarded, revoked) or that was withdrawn cannot change.\n\n"),
          stdout);
    fputs(_(record_fields_help), stdout);
}

/* Say that r is locked, why, and what the officer can do; returns the exit code. */
static int record_refuse_locked(const char *cmd, const store_record_t *r)
{
    char why[1024];
    office_why_locked(r, why, sizeof(why));
    cli_error(_("%s: %.8s (%s) can no longer be changed: %s"), cmd, r->rec.id, r->rec.nominee_name,
              why[0] ? why : _("it is decided"));
    return CLI_EXIT_REFUSED;
}

int cmd_edit(cli_t *cli, int argc, char **argv)
{
    record_args_t a;
    int rc = record_parse("edit", argc, argv, &a, 1, edit_help);
    if (rc != CLI_EXIT_OK)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if (a.nfields == 0) {
        cli_error("%s", _("edit: nothing to change: give at least one --FIELD VALUE (see --help)"));
        return CLI_EXIT_USAGE;
    }
    if (a.raw[RECIN_UNIT] != NULL || a.raw[RECIN_CAMPAIGN] != NULL) {
        cli_error("%s",
                  _("edit: a record keeps its unit and campaign; withdraw it and add a new one"));
        return CLI_EXIT_USAGE;
    }
    office_t lc;
    rc = record_read_summary(&a);
    if (rc == CLI_EXIT_OK)
        rc = office_open(cli, "edit", &lc);
    if (rc != CLI_EXIT_OK) {
        record_args_free(&a);
        return rc;
    }
    store_record_t *sr = NULL;
    recin_t in;
    recin_init(&in);
    record_t r;
    record_init(&r);
    rc = office_get(&lc, "edit", a.id, &sr);
    if (rc == CLI_EXIT_OK && office_is_locked(sr))
        rc = record_refuse_locked("edit", sr);

    recin_defaults_t d;
    office_defaults(&lc, NULL, &d);
    uint8_t hash[RECORD_HASH_LEN];
    valid_error_t err;
    if (rc == CLI_EXIT_OK)
        rc = record_convert(&a, &d, &in);
    if (rc == CLI_EXIT_OK) {
        int vrc = recin_build(&in, &d, &sr->rec, &r, hash, &err);
        if (vrc != TD_OK)
            rc = record_invalid(vrc, &err, &a, &d);
    }
    if (rc == CLI_EXIT_OK && memcmp(hash, sr->content_hash, RECORD_HASH_LEN) == 0) {
        rc = record_report(cli, "unchanged", &r, sr->rec.revision, lc.welcome != NULL);
    } else if (rc == CLI_EXIT_OK) {
        record_warn_offline(cli, &lc);
        Thidua__V1__Record p = THIDUA__V1__RECORD__INIT;
        record_to_proto(&r, &p);
        uint32_t top =
            sr->rec.revision > sr->server_revision ? sr->rec.revision : sr->server_revision;
        p.revision = top + 1; /* TD_ESTALE if another process edited it meanwhile */
        p.content_hash.data = hash;
        p.content_hash.len = RECORD_HASH_LEN;
        int src = store_record_update(lc.st, &p, office_now_ms());
        rc = src < 0 ? office_store_fail("edit", lc.st, src)
                     : record_report(cli, "changed", &r, p.revision, lc.welcome != NULL);
    }
    record_free(&r);
    recin_free(&in);
    store_record_free(sr);
    office_close(&lc);
    record_args_free(&a);
    return rc;
}

static const struct option withdraw_opts[] = {
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int cmd_withdraw(cli_t *cli, int argc, char **argv)
{
    int opt;
    optind = 0; /* glibc: start afresh and permute, so options may follow an id */
    while ((opt = getopt_long(argc, argv, "h", withdraw_opts, NULL)) != -1) {
        if (opt != 'h')
            return CLI_EXIT_USAGE;
        fputs(_("usage: thidua withdraw ID\n\n"
                "Withdraw a nomination the province has not decided yet. The withdrawal\n"
                "is a last revision that `thidua sync` sends; nothing can follow it.\n"),
              stdout);
        return CLI_EXIT_OK;
    }
    if (argc - optind != 1) {
        cli_error("%s", _("withdraw: give exactly one record id"));
        return CLI_EXIT_USAGE;
    }
    office_t lc;
    int rc = office_open(cli, "withdraw", &lc);
    if (rc != CLI_EXIT_OK)
        return rc;
    store_record_t *sr = NULL;
    record_t r;
    record_init(&r);
    rc = office_get(&lc, "withdraw", argv[optind], &sr);
    if (rc == CLI_EXIT_OK && sr->rec.withdrawn) {
        if (!cli->quiet)
            cli_error(_("withdraw: %.8s is already withdrawn"), sr->rec.id);
        store_record_free(sr);
        office_close(&lc);
        return CLI_EXIT_OK;
    }
    if (rc == CLI_EXIT_OK && office_is_locked(sr))
        rc = record_refuse_locked("withdraw", sr);
    if (rc == CLI_EXIT_OK) {
        valid_error_t err;
        int src = office_withdraw(&lc, sr, &r, &err);
        store_record_t *after = NULL;
        if (src == TD_EINTERNAL) {
            cli_error(_("withdraw: the stored record cannot be read back (%s: %s)"), err.field,
                      err.reason);
            rc = CLI_EXIT_STORE;
        } else {
            if (src == TD_OK)
                src = store_record_get(lc.st, sr->rec.id, &after);
            rc = src < 0 ? office_store_fail("withdraw", lc.st, src)
                         : record_report(cli, "withdrawn", &r, after->rec.revision, 1);
            store_record_free(after);
        }
    }
    record_free(&r);
    store_record_free(sr);
    office_close(&lc);
    return rc;
}
