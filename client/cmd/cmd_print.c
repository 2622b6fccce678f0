/*
 * cmd_print.c - `thidua print`: the documents an office signs.
 *
 *   print decision NUMBER      the province's award decision and its list (PDF or DOCX)
 *   print certificates NUMBER  a certificate per awardee (PDF), positions from --layout
 *   print submission           the district's submission of its nominations (PDF or DOCX)
 *
 * The decision and the certificates come from the server (DecisionDocument),
 * the submission from the office's store, offline. The layout is print/'s;
 * the formats are doc/'s. A file is written under a temporary name and
 * renamed into place, so a failed print never replaces a good file.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "admin_session.h"
#include "cli.h"
#include "date.h"
#include "i18n.h"
#include "office_session.h"
#include "output.h"
#include "print.h"

typedef enum { PRINT_PDF, PRINT_DOCX } print_fmt_t;

/* The format a file name asks for; false (and the reason printed) when neither. */
static bool print_fmt_of(const char *cmd, const char *path, bool docx_ok, print_fmt_t *out)
{
    size_t len = strlen(path);
    if (len > 4 && strcasecmp(path + len - 4, ".pdf") == 0) {
        *out = PRINT_PDF;
        return true;
    }
    if (docx_ok && len > 5 && strcasecmp(path + len - 5, ".docx") == 0) {
        *out = PRINT_DOCX;
        return true;
    }
    cli_error(docx_ok ? _("%s: -o %s: the file name must end in .pdf or .docx")
                      : _("%s: -o %s: the file name must end in .pdf"),
              cmd, path);
    return false;
}

/* Write d to path through a temporary file in the same directory. */
static int print_write(const char *cmd, const doc_t *d, print_fmt_t fmt, const char *path)
{
    char tmp[4200], err[1024];
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp-%ld%s", path, (long)getpid(),
                     fmt == PRINT_PDF ? ".pdf" : ".docx");
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        cli_error(_("%s: -o %s: the name is too long"), cmd, path);
        return CLI_EXIT_USAGE;
    }
    if (doc_failed(d)) {
        cli_error(_("%s: out of memory laying the document out"), cmd);
        return CLI_EXIT_STORE;
    }
    int rc = fmt == PRINT_PDF ? doc_write_pdf(d, tmp, err, sizeof(err))
                              : doc_write_docx(d, tmp, err, sizeof(err));
    if (rc != 0) {
        unlink(tmp);
        cli_error(_("%s: -o %s: %s"), cmd, path, err);
        return CLI_EXIT_STORE;
    }
    if (rename(tmp, path) != 0) {
        cli_error(_("%s: -o %s: cannot put it in place (%s)"), cmd, path, strerror(errno));
        unlink(tmp);
        return CLI_EXIT_STORE;
    }
    return CLI_EXIT_OK;
}

/* The options of the decision and certificates subcommands. */
typedef struct print_args {
    const char *number, *issuer, *output, *layout;
    unsigned long year;
    bool layout_template;
} print_args_t;

static void print_decision_help(void)
{
    printf(_(
        "usage: thidua print decision NUMBER [--issuer CODE] [--year YYYY] -o FILE.pdf|FILE.docx\n"
        "       thidua print certificates NUMBER [--issuer CODE] [--year YYYY]\n"
        "                                 [--layout FILE] -o FILE.pdf\n"
        "       thidua print certificates --layout-template > layout.ini\n\n"
        "The award decision NUMBER (e.g. 1520/QĐ-UBND) as Nghị định 30/2020/NĐ-CP lays\n"
        "it out, with the list of its awardees; or a certificate (Bằng khen, Giấy khen)\n"
        "per awardee, A4 landscape. The issuing body, place, \"Căn cứ\" lines and\n"
        "articles are the issuer's settings (`thidua issuers show CODE`). Province\n"
        "certificate only.\n\n"
        "  --issuer CODE   the issuing unit, when the number alone is ambiguous\n"
        "  --year YYYY     the decision's year, likewise\n"
        "  --layout FILE   where each field of a certificate goes (mm), for pre-printed\n"
        "                  blanks; --layout-template prints the defaults to start from\n"
        "  -o FILE         the file to write: .pdf, or .docx for the decision\n"));
}

static int print_parse(const char *cmd, int argc, char **argv, print_args_t *a)
{
    static const struct option opts[] = {
        {"issuer", required_argument, NULL, 'i'},
        {"year", required_argument, NULL, 'y'},
        {"output", required_argument, NULL, 'o'},
        {"layout", required_argument, NULL, 'l'},
        {"layout-template", no_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof(*a));
    optind = 0; /* glibc: start afresh and permute, so options may follow the number */
    int ch;
    while ((ch = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'i':
            a->issuer = optarg;
            break;
        case 'y': {
            char *end = NULL;
            a->year = strtoul(optarg, &end, 10);
            if (end == optarg || *end != '\0' || a->year < 1945 || a->year > 2200) {
                cli_error(_("%s: --year %s: a year from 1945 to 2200"), cmd, optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        }
        case 'o':
            a->output = optarg;
            break;
        case 'l':
            a->layout = optarg;
            break;
        case 't':
            a->layout_template = true;
            break;
        case 'h':
            print_decision_help();
            return -1;
        default:
            return CLI_EXIT_USAGE;
        }
    }
    if (a->layout_template)
        return CLI_EXIT_OK;
    if (argc - optind != 1 || a->output == NULL) {
        cli_error(_("%s: name the decision's number and the file to write (-o FILE)"), cmd);
        return CLI_EXIT_USAGE;
    }
    a->number = argv[optind];
    return CLI_EXIT_OK;
}

/* Ask the server for the decision a names. CLI_EXIT_OK with *env to free, or an exit code. */
static int print_fetch(cli_t *cli, const char *cmd, const print_args_t *a, admin_t *ad,
                       Thidua__V1__Envelope **env)
{
    int rc = admin_init(ad, cli, cmd);
    if (rc == CLI_EXIT_OK && (rc = admin_connect(ad)) != CLI_EXIT_OK)
        admin_close(ad);
    if (rc != CLI_EXIT_OK)
        return rc;
    Thidua__V1__DecisionDocumentRequest req = THIDUA__V1__DECISION_DOCUMENT_REQUEST__INIT;
    req.number = (char *)a->number;
    req.issuer = (char *)(a->issuer != NULL ? a->issuer : "");
    req.year = (uint32_t)a->year;
    rc =
        admin_call(ad, &req.base, THIDUA__V1__ENVELOPE__BODY_DECISION_DOCUMENT_RESPONSE, env, NULL);
    if (rc != CLI_EXIT_OK)
        admin_close(ad);
    return rc;
}

static int print_decision_cmd(cli_t *cli, int argc, char **argv, bool certificates)
{
    const char *cmd = certificates ? "print certificates" : "print decision";
    print_args_t a;
    int rc = print_parse(cmd, argc, argv, &a);
    if (rc != CLI_EXIT_OK)
        return rc < 0 ? CLI_EXIT_OK : rc;
    print_layout_t layout;
    print_layout_default(&layout);
    if (certificates && a.layout_template) {
        print_layout_write(&layout, stdout);
        return CLI_EXIT_OK;
    }
    char err[1024];
    if (certificates && a.layout != NULL &&
        print_layout_load(&layout, a.layout, err, sizeof(err)) != 0) {
        cli_error(_("%s: --layout: %s"), cmd, err);
        return CLI_EXIT_INVALID;
    }
    print_fmt_t fmt;
    if (!print_fmt_of(cmd, a.output, !certificates, &fmt))
        return CLI_EXIT_USAGE;
    admin_t ad;
    Thidua__V1__Envelope *env = NULL;
    rc = print_fetch(cli, cmd, &a, &ad, &env);
    if (rc != CLI_EXIT_OK)
        return rc;
    const Thidua__V1__DecisionDocumentResponse *r = env->decision_document_response;
    doc_t d;
    char title[300];
    snprintf(title, sizeof(title), "%s %s",
             certificates ? "Giấy chứng nhận khen thưởng" : "Quyết định", r->decision->number);
    doc_init(&d, title);
    if ((certificates ? print_certificates(r, &layout, &d) : print_decision(r, &d)) != 0)
        rc = CLI_EXIT_STORE;
    if (rc == CLI_EXIT_OK)
        rc = print_write(cmd, &d, fmt, a.output);
    if (rc == CLI_EXIT_OK && !cli->quiet)
        printf(ngettext("%s: %s, %zu awardee\n", "%s: %s, %zu awardees\n", r->n_items), a.output,
               r->decision->number, r->n_items);
    doc_free(&d);
    thidua__v1__envelope__free_unpacked(env, NULL);
    admin_close(&ad);
    return rc;
}

/* ---- print submission ---- */

static void print_submission_help(void)
{
    printf(_("usage: thidua print submission [--status STATUS] -o FILE.pdf|FILE.docx\n\n"
             "The office's submission (Tờ trình đề nghị khen thưởng) to the campaign's\n"
             "organiser, with the list of the nominations it proposes, ready to sign and\n"
             "scan. Made from the store, offline: run `thidua sync` first so that it knows\n"
             "what the province holds.\n\n"
             "  --status S   the nominations in this state at the province (default\n"
             "               submitted; returned, approved... or all)\n"
             "  -o FILE      the file to write: .pdf or .docx\n"));
}

static int print_submission_cmd(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"status", required_argument, NULL, 's'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = "print submission", *output = NULL, *status = "submitted";
    optind = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (ch == 's') {
            status = optarg;
        } else if (ch == 'o') {
            output = optarg;
        } else if (ch == 'h') {
            print_submission_help();
            return CLI_EXIT_OK;
        } else {
            return CLI_EXIT_USAGE;
        }
    }
    if (optind != argc || output == NULL) {
        cli_error(_("%s: name the file to write (-o FILE)"), cmd);
        return CLI_EXIT_USAGE;
    }
    store_filter_t f = STORE_FILTER_ANY;
    if (strcmp(status, "all") != 0 && (f.status = out_status_parse(status)) < 0) {
        cli_error(_("%s: --status %s: unknown status"), cmd, status);
        return CLI_EXIT_USAGE;
    }
    print_fmt_t fmt;
    if (!print_fmt_of(cmd, output, true, &fmt))
        return CLI_EXIT_USAGE;
    office_t lc;
    int rc = office_open(cli, cmd, &lc);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (lc.welcome == NULL) {
        cli_error(_("%s: the campaign is not known yet: run `thidua sync` once while online"), cmd);
        office_close(&lc);
        return CLI_EXIT_INVALID;
    }
    f.order = STORE_ORDER_NAME;
    store_record_t **recs = NULL;
    size_t nrecs = 0;
    int lrc = office_records(&lc, &f, &recs, &nrecs);
    if (lrc != TD_OK)
        rc = office_walk_fail(cmd, lc.st, lrc);
    char today[DATE_STR_SIZE];
    if (date_format_iso(date_today_vn(), today) != TD_OK)
        today[0] = '\0';
    doc_t d;
    doc_init(&d, "Tờ trình đề nghị khen thưởng");
    if (rc == CLI_EXIT_OK && print_submission(lc.welcome, (const store_record_t *const *)recs,
                                              nrecs, today, &d) != 0)
        rc = CLI_EXIT_STORE;
    if (rc == CLI_EXIT_OK)
        rc = print_write(cmd, &d, fmt, output);
    if (rc == CLI_EXIT_OK && !cli->quiet)
        printf(ngettext("%s: %zu nomination\n", "%s: %zu nominations\n", nrecs), output, nrecs);
    doc_free(&d);
    office_records_free(recs, nrecs);
    office_close(&lc);
    return rc;
}

static int print_decision_only_cmd(cli_t *cli, int argc, char **argv)
{
    return print_decision_cmd(cli, argc, argv, false);
}

static int print_certificates_cmd(cli_t *cli, int argc, char **argv)
{
    return print_decision_cmd(cli, argc, argv, true);
}

int cmd_print(cli_t *cli, int argc, char **argv)
{
    static const cli_sub_t subs[] = {
        {"decision", print_decision_only_cmd,
         N_("thidua print decision NUMBER -o FILE.pdf|FILE.docx   the decision and its list")},
        {"certificates", print_certificates_cmd,
         N_("thidua print certificates NUMBER -o FILE.pdf   the certificates of a decision")},
        {"submission", print_submission_cmd,
         N_("thidua print submission -o FILE.pdf|FILE.docx   the office's Tờ trình")},
    };
    return cli_dispatch(cli, argc, argv, "print", subs, THIDUA_ARRAY_LEN(subs),
                        N_("`thidua print SUBCOMMAND --help` describes each."));
}
