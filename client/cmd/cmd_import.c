/*
 * cmd_import.c - `thidua import FILE`: nominations from an office's
 * spreadsheet (importer.h does the work).
 *
 * Each bad row is printed as "row N (STT s): column: reason" and the command
 * exits 2 so that a script notices; the good rows are imported. What stops
 * the whole file (its encoding, its header, the disk) is printed one sentence
 * a line, and nothing is stored.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "i18n.h"
#include "encoding.h"
#include "file_in.h"
#include "import_form.h"
#include "importer.h"
#include "office_session.h"
#include "output.h"

typedef struct {
    const char *path;
    const char *campaign; /* --campaign */
    const char *unit;     /* --unit */
    const char *sheet;    /* --sheet; NULL: the first */
    const char *template; /* --template: write the form there instead */
    char delim;           /* --separator; 0: guess */
    enc_t encoding;       /* --encoding; ENC_AUTO: detect */
    bool dry_run;
} import_args_t;

/* The errors of --json, and whether to print them. */
typedef struct {
    const cli_t *cli;
    strbuf_t errors; /* --json: the array of refused rows */
} import_out_t;

/* A row's outcome: a refused row printed as "row N (STT s): column: reason". */
static void import_on_row(void *ctx, const importer_row_t *r)
{
    import_out_t *out = ctx;
    if (r->outcome != IMPORTER_REFUSED)
        return;
    char where[64];
    if (r->stt[0] != '\0')
        snprintf(where, sizeof(where), _("row %u (STT %s)"), r->row, r->stt);
    else
        snprintf(where, sizeof(where), _("row %u"), r->row);
    if (r->field[0] != '\0')
        fprintf(stderr, "%s: %s: %s\n", where, r->field, r->message);
    else
        fprintf(stderr, "%s: %s\n", where, r->message);
    if (out->cli->json) {
        out_json_key(&out->errors, NULL);
        strbuf_putc(&out->errors, '{');
        out_json_int(&out->errors, "row", r->row);
        out_json_str(&out->errors, "stt", r->stt);
        out_json_str(&out->errors, "field", r->field);
        out_json_str(&out->errors, "message", r->message);
        strbuf_putc(&out->errors, '}');
    }
}

static int import_report(const import_out_t *out, const importer_counts_t *c,
                         const import_args_t *a)
{
    const char *pre = a->dry_run ? _("dry run, nothing stored: would have ") : "";
    if (out->cli->json) {
        strbuf_t sb;
        strbuf_init(&sb);
        strbuf_putc(&sb, '{');
        out_json_str(&sb, "file", a->path);
        out_json_bool(&sb, "dry_run", a->dry_run);
        out_json_int(&sb, "imported", (long long)c->imported);
        out_json_int(&sb, "updated", (long long)c->updated);
        out_json_int(&sb, "skipped", (long long)c->skipped);
        out_json_int(&sb, "rejected", (long long)c->rejected);
        out_json_key(&sb, "errors");
        strbuf_putc(&sb, '[');
        strbuf_puts(&sb, strbuf_str(&out->errors));
        strbuf_puts(&sb, "]}");
        return out_json_done(&sb);
    }
    printf("%s", pre); /* "dry run: " or nothing */
    printf(_("imported %llu"), (unsigned long long)c->imported);
    if (c->updated > 0)
        printf(_(", updated %llu"), (unsigned long long)c->updated);
    printf(_(", skipped %llu already imported, %llu rejected\n"), (unsigned long long)c->skipped,
           (unsigned long long)c->rejected);
    if (c->rejected > 0 && !out->cli->quiet)
        cli_error(_("import: fix the rows above and import the file again: rows already "
                  "imported are skipped"));
    return CLI_EXIT_OK;
}

static void import_help(void)
{
    printf(_("usage: thidua import [--dry-run] [--unit CODE] [--campaign CODE]\n"
           "                     [--encoding ENC] [--separator C] [--sheet NAME] FILE\n"
           "       thidua import --template FILE.xlsx|FILE.csv\n\n"
           "Add the nominations of a spreadsheet in one go: an XLSX workbook (the first\n"
           "sheet, or --sheet), or a CSV file in UTF-8 (with or without BOM),\n"
           "Windows-1258, TCVN3 (ABC) or VNI, told apart by itself. The first row names\n"
           "the columns, in English (the field names) or in Vietnamese (\"Loại\",\n"
           "\"Họ và tên\", \"Ngày sinh\", \"Giới tính\", \"Chức vụ\", \"Đơn vị công tác\",\n"
           "\"Thành tích\", \"Báo cáo thành tích\", \"Lĩnh vực\", \"Ngày đạt\",\n"
           "\"Hình thức khen thưởng\"); see the district guide. Each bad row is reported\n"
           "as `row N (STT s): column: reason`, N being the row Excel shows, and the good\n"
           "rows are imported. Importing the same file again adds nothing; a corrected\n"
           "row becomes a new revision of the record it made. Exit status 2 when rows\n"
           "were rejected.\n\n"
           "  --dry-run        check every row, store nothing\n"
           "  --unit CODE      unit of rows without one (default: this office's unit)\n"
           "  --campaign CODE  campaign of rows without one (default: the server's)\n"
           "  --encoding ENC   utf-8, cp1258, tcvn3 or vni (default: detected)\n"
           "  --separator C    , ; or tab (default: guessed from the first line)\n"
           "  --sheet NAME     the sheet of an XLSX workbook (default: the first)\n"
           "  --template FILE  write the empty form (headers and an example row) and stop\n"));
}

static int import_parse(int argc, char **argv, import_args_t *a)
{
    static const struct option opts[] = {
        {"dry-run", no_argument, NULL, 'n'},        {"unit", required_argument, NULL, 'u'},
        {"campaign", required_argument, NULL, 'C'}, {"separator", required_argument, NULL, 'd'},
        {"delimiter", required_argument, NULL, 'd'}, {"encoding", required_argument, NULL, 'e'},
        {"sheet", required_argument, NULL, 's'},    {"template", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof(*a));
    int opt, e;
    optind = 0; /* glibc: start afresh and permute, so options may follow an id */
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'n':
            a->dry_run = true;
            break;
        case 'u':
            a->unit = optarg;
            break;
        case 'C':
            a->campaign = optarg;
            break;
        case 'd':
            if (strcmp(optarg, "tab") == 0 || strcmp(optarg, "\\t") == 0)
                a->delim = '\t';
            else if (strlen(optarg) == 1 && strchr(",;\t|", optarg[0]) != NULL)
                a->delim = optarg[0];
            else {
                cli_error(_("import: --separator: one of , ; | or tab"));
                return CLI_EXIT_USAGE;
            }
            break;
        case 'e':
            e = enc_by_name(optarg);
            if (e < 0) {
                cli_error(_("import: --encoding: one of utf-8, cp1258, tcvn3 or vni"));
                return CLI_EXIT_USAGE;
            }
            a->encoding = (enc_t)e;
            break;
        case 's':
            a->sheet = optarg;
            break;
        case 't':
            a->template = optarg;
            break;
        case 'h':
            import_help();
            return -1;
        default:
            return CLI_EXIT_USAGE;
        }
    }
    if (a->template != NULL && argc - optind == 0)
        return CLI_EXIT_OK;
    if (argc - optind != 1 || a->template != NULL) {
        cli_error(_("import: give exactly one file, or --template FILE alone (see --help)"));
        return CLI_EXIT_USAGE;
    }
    a->path = argv[optind];
    return CLI_EXIT_OK;
}

/* --template: the empty form. */
static int import_template(const import_args_t *a)
{
    char why[512];
    if (form_write(a->template, why, sizeof(why)) != TD_OK) {
        cli_error(_("import: %s"), why);
        return CLI_EXIT_USAGE;
    }
    printf(_("wrote the import form to %s\n"), a->template);
    return CLI_EXIT_OK;
}

int cmd_import(cli_t *cli, int argc, char **argv)
{
    import_args_t a;
    int rc = import_parse(argc, argv, &a);
    if (rc != CLI_EXIT_OK)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if (a.template != NULL)
        return import_template(&a);

    char *data = NULL;
    size_t len = 0;
    rc = file_in_read(a.path, IMPORTER_MAX_BYTES, &data, &len);
    if (rc == TD_ENOMEM) {
        cli_error(_("import: out of memory reading %s"), a.path);
        return CLI_EXIT_STORE;
    }
    if (rc == TD_EHUGE) {
        cli_error(_("import: %s is larger than %u MiB: split it"), a.path, IMPORTER_MAX_BYTES >> 20);
        return CLI_EXIT_INVALID;
    }
    if (rc != TD_OK) {
        cli_error(_("import: cannot read %s: %s"), a.path, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    office_t lc;
    rc = office_open(cli, "import", &lc);
    if (rc != CLI_EXIT_OK) {
        free(data);
        return rc;
    }
    import_out_t out = {.cli = cli};
    strbuf_init(&out.errors);
    importer_opts_t o = {a.path,  data,       len,         a.campaign,    a.unit, a.sheet,
                         a.delim, a.encoding, a.dry_run, import_on_row, &out};
    importer_counts_t c;
    char why[4096];
    rc = importer_run(&lc, &o, &c, why, sizeof(why));
    if (rc != CLI_EXIT_OK) {
        /* One sentence a line, each as the command's own error. */
        for (char *line = strtok(why, "\n"); line != NULL; line = strtok(NULL, "\n"))
            cli_error("%s", line);
    } else {
        if (c.guessed && c.encoding != ENC_UTF8 && !cli->quiet)
            cli_error(_("import: %s read as %s (give --encoding if that is wrong)"), a.path,
                      enc_name(c.encoding));
        if (c.no_welcome && !cli->quiet)
            cli_error(_("warning: no campaign data saved yet (the server was never reached): only "
                      "the syntax of the rows is checked now; the campaign's rules are checked at "
                      "sync"));
        if (c.before > 0 && !cli->quiet)
            cli_error(_("import: this file was imported before (%llu rows): those rows are "
                      "skipped"),
                      (unsigned long long)c.before);
        rc = import_report(&out, &c, &a);
        if (rc == CLI_EXIT_OK && c.rejected > 0)
            rc = CLI_EXIT_INVALID;
    }
    strbuf_free(&out.errors);
    office_close(&lc);
    free(data);
    return rc;
}
