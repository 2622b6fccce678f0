/*
 * cmd_report.c - `thidua report`: the campaign's summary (tổng kết), from the
 * server's ReportResponse, on the terminal or as a CSV, XLSX or HTML file.
 *
 * A file named with -o is written beside itself under a temporary name and
 * renamed into place at the end, so a report that failed halfway never
 * replaces a good one.
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
#include "i18n.h"
#include "report.h"

typedef enum {
    FMT_TABLE,
    FMT_CSV,
    FMT_XLSX,
    FMT_HTML,
    FMT_JSON,
} report_fmt_t;

static const struct {
    const char *name;
    report_fmt_t fmt;
    const char *ext; /* a file name ending so infers the format */
} report_fmts[] = {
    {"table", FMT_TABLE, ".txt"}, {"csv", FMT_CSV, ".csv"},   {"xlsx", FMT_XLSX, ".xlsx"},
    {"html", FMT_HTML, ".html"},  {"html", FMT_HTML, ".htm"}, {"json", FMT_JSON, ".json"},
};

static int report_fmt_parse(const char *s, report_fmt_t *out)
{
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(report_fmts); i++) {
        if (strcmp(report_fmts[i].name, s) == 0) {
            *out = report_fmts[i].fmt;
            return 0;
        }
    }
    return -1;
}

static bool report_fmt_infer(const char *path, report_fmt_t *out)
{
    size_t len = strlen(path);
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(report_fmts); i++) {
        size_t e = strlen(report_fmts[i].ext);
        if (len > e && strcasecmp(path + len - e, report_fmts[i].ext) == 0) {
            *out = report_fmts[i].fmt;
            return true;
        }
    }
    return false;
}

static void report_help(void)
{
    printf(_("usage: thidua report [--format table|csv|xlsx|html|json] [-o FILE] [--sync-health]\n"
           "                     [--campaign CODE]\n\n"
           "The campaign's summary: records by unit and status, by category, by nominee\n"
           "kind, awards by form, and the list of awardees by form and unit with their\n"
           "decisions. Province certificate only.\n\n"
           "  --format F      table (the terminal, default), csv (UTF-8 with BOM, one file\n"
           "                  with a section per table), xlsx (a sheet per table), html\n"
           "                  (one self-contained page with charts, prints on A4), json\n"
           "  -o, --output F  write to file F (required for xlsx); without --format the\n"
           "                  format follows F's ending (.csv, .xlsx, .html, .json)\n"
           "  --sync-health   add each unit's last synchronisation and waiting records\n"
           "  --campaign CODE another campaign than the server's current one\n\n"
           "csv, html and json go to standard output when -o is not given.\n"));
}

/* Write the report in fmt to f (or to path for xlsx). */
static int report_write(const report_t *r, report_fmt_t fmt, FILE *f, const char *path, char *err,
                        size_t errlen)
{
    switch (fmt) {
    case FMT_CSV:
        return report_write_csv(r, f, err, errlen);
    case FMT_XLSX:
        return report_write_xlsx(r, path, err, errlen);
    case FMT_HTML:
        return report_write_html(r, f, err, errlen);
    case FMT_JSON:
        return report_write_json(r, f, err, errlen);
    default:
        return report_write_table(r, f, err, errlen);
    }
}

/* Write to path through a temporary file renamed into place. */
static int report_to_file(const admin_t *a, const report_t *r, report_fmt_t fmt, const char *path)
{
    char tmp[4200], err[1200];
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        cli_error(_("%s: -o %s: the name is too long"), a->cmd, path);
        return CLI_EXIT_USAGE;
    }
    int rc = 0;
    if (fmt == FMT_XLSX) {
        rc = report_write(r, fmt, NULL, tmp, err, sizeof(err));
    } else {
        FILE *f = fopen(tmp, "w");
        if (f == NULL) {
            cli_error(_("%s: -o %s: cannot create it (%s)"), a->cmd, path, strerror(errno));
            return CLI_EXIT_STORE;
        }
        rc = report_write(r, fmt, f, tmp, err, sizeof(err));
        if (fclose(f) != 0 && rc == 0) {
            snprintf(err, sizeof(err), _("cannot write the report"));
            rc = -1;
        }
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        snprintf(err, sizeof(err), _("cannot put it in place"));
        rc = -1;
    }
    if (rc != 0) {
        unlink(tmp);
        cli_error("%s: -o %s: %s", a->cmd, path, err);
        return CLI_EXIT_STORE;
    }
    return CLI_EXIT_OK;
}

int cmd_report(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'}, {"output", required_argument, NULL, 'o'},
        {"sync-health", no_argument, NULL, 's'},  {"campaign", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    report_fmt_t fmt = cli->json ? FMT_JSON : FMT_TABLE;
    bool fmt_given = false, sync = false;
    const char *out = NULL, *campaign = NULL, *fmt_name = NULL;
    int opt;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'f':
            if (report_fmt_parse(optarg, &fmt) != 0) {
                cli_error(_("report: --format '%s': one of table, csv, xlsx, html, json"), optarg);
                return CLI_EXIT_USAGE;
            }
            fmt_given = true;
            fmt_name = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 's':
            sync = true;
            break;
        case 'c':
            campaign = optarg;
            break;
        case 'h':
            report_help();
            return CLI_EXIT_OK;
        default:
            return CLI_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        cli_error(_("report: unexpected argument '%s'"), argv[optind]);
        return CLI_EXIT_USAGE;
    }
    if (fmt_given && cli->json && fmt != FMT_JSON) {
        cli_error(_("report: --json and --format %s: choose one"), fmt_name);
        return CLI_EXIT_USAGE;
    }
    if (!fmt_given && !cli->json && out != NULL)
        (void)report_fmt_infer(out, &fmt);
    if (fmt == FMT_XLSX && out == NULL) {
        cli_error(_("report: --format xlsx needs -o FILE (a workbook is not for a terminal)"));
        return CLI_EXIT_USAGE;
    }
    admin_t a;
    int rc = admin_init(&a, cli, "report");
    if (rc == CLI_EXIT_OK)
        rc = admin_connect(&a);
    if (rc != CLI_EXIT_OK)
        return rc;
    Thidua__V1__ReportRequest req = THIDUA__V1__REPORT_REQUEST__INIT;
    req.campaign = (char *)(campaign != NULL ? campaign : "");
    req.include_awardees = true;
    req.include_sync_health = sync;
    Thidua__V1__Envelope *env;
    rc = admin_call(&a, &req.base, THIDUA__V1__ENVELOPE__BODY_REPORT_RESPONSE, &env, NULL);
    admin_close(&a);
    if (rc != CLI_EXIT_OK)
        return rc;
    report_t r;
    if (report_build(&r, env->report_response, sync) != 0) {
        cli_error(_("report: out of memory"));
        thidua__v1__envelope__free_unpacked(env, NULL);
        return CLI_EXIT_STORE;
    }
    if (out != NULL) {
        rc = report_to_file(&a, &r, fmt, out);
        if (rc == CLI_EXIT_OK && !cli->quiet)
            fprintf(stderr, _("report: %s written (%llu records, %zu awards)\n"), out,
                    (unsigned long long)r.total, r.n_awardees);
    } else {
        char err[1200];
        if (report_write(&r, fmt, stdout, NULL, err, sizeof(err)) != 0) {
            cli_error(_("report: %s"), err);
            rc = CLI_EXIT_STORE;
        }
    }
    report_free(&r);
    thidua__v1__envelope__free_unpacked(env, NULL);
    return rc;
}
