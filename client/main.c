/*
 * main.c - `thidua`: the command line of district offices and the province.
 *
 *   thidua [-c FILE] [--json] [-q] COMMAND [ARGS]
 *
 * Only the table of commands and the dispatch live here; what commands
 * share is in cli/cli.c, each command in cmd/.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <unicode/uclean.h>

#include "cli.h"
#include "i18n.h"
#include "text.h"
#include "version.h"


static const cli_cmd_t commands[] = {
    {"init", N_("set up this office: configuration, store, first contact"), cmd_init},
    {"add", N_("record a new nomination (offline)"), cmd_add},
    {"edit", N_("change a nomination: a new revision (offline)"), cmd_edit},
    {"withdraw", N_("withdraw a nomination (offline)"), cmd_withdraw},
    {"list", N_("the office's nominations, sorted by name"), cmd_list},
    {"show", N_("one nomination: content, history, decisions, award"), cmd_show},
    {"import", N_("add the nominations of a CSV file"), cmd_import},
    {"status", N_("what waits to be sent, and what needs attention"), cmd_status},
    {"ping", N_("check the connection to the server: who it sees and how fast"), cmd_ping},
    {"sync", N_("send new and edited records to the province, bring back its decisions"), cmd_sync},
    {"review", N_("province: list the nominations, show one with its history"), cmd_review},
    {"approve", N_("province: approve a nomination at the revision you read"), cmd_approve},
    {"reject", N_("province: refuse a nomination, with the reason"), cmd_reject},
    {"return", N_("province: send a nomination back for supplements"), cmd_return},
    {"award", N_("province: award approved nominations under one decision"), cmd_award},
    {"revoke", N_("province: revoke an award, with the reason and decision"), cmd_revoke},
    {"report", N_("province: the campaign's summary (table, csv, xlsx, html)"), cmd_report},
    {"units", N_("the org units over time; province: record a reorganisation"), cmd_units},
    {"print", N_("print a decision, its certificates (province) or a submission (district)"),
     cmd_print},
    {"issuers", N_("province: what a printed decision says of its issuer"), cmd_issuers},
    {"campaigns", N_("province: list, show and create campaigns"), cmd_campaigns},
    {"ui", N_("open the office's console in the browser"), cmd_ui},
};

static void usage(FILE *out)
{
    fprintf(out, "%s\n\n%s\n", _("usage: thidua [-c FILE] [--json] [-q] COMMAND [ARGS]"),
            _("Commands:"));
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(commands); i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, _(commands[i].summary));
    fputs(_("\nOptions:\n"
            "  -c, --config FILE  configuration file (default $THIDUA_CONFIG or ./thidua.conf)\n"
            "      --json         machine-readable output\n"
            "  -q, --quiet        no progress messages\n"
            "      --version      print the version\n"
            "\n`thidua COMMAND --help` describes a command.\n"),
          out);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"json", no_argument, NULL, 'j'},
        {"quiet", no_argument, NULL, 'q'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    i18n_init();
    cli_t cli;
    memset(&cli, 0, sizeof(cli));
    cli.tty = isatty(STDERR_FILENO);

    /* Stop at the command: its own options are its business. */
    int opt;
    while ((opt = getopt_long(argc, argv, "+c:qh", opts, NULL)) != -1) {
        switch (opt) {
        case 'c': cli.config_path = optarg; break;
        case 'j': cli.json = true; break;
        case 'q': cli.quiet = true; break;
        case 'V': printf("thidua %s\n", THIDUA_VERSION); return CLI_EXIT_OK;
        case 'h': usage(stdout); return CLI_EXIT_OK;
        default: usage(stderr); return CLI_EXIT_USAGE;
        }
    }
    /* Machine output is the same in every language. */
    if (cli.json)
        i18n_use(I18N_EN);
    if (optind >= argc) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[optind];
    const cli_cmd_t *cmd = NULL;
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(commands); i++) {
        if (strcmp(commands[i].name, name) == 0)
            cmd = &commands[i];
    }
    if (cmd == NULL) {
        cli_error(_("unknown command '%s' (thidua --help lists them)"), name);
        return CLI_EXIT_USAGE;
    }

    signal(SIGPIPE, SIG_IGN);
    int sub_argc = argc - optind;
    char **sub_argv = argv + optind;
    if (cli_take_global_options(&cli, &sub_argc, sub_argv) != CLI_EXIT_OK)
        return CLI_EXIT_USAGE;
    if (cli.json)
        i18n_use(I18N_EN);
    cli.help_only = cli_wants_help(sub_argc, sub_argv);
    /* Each command parses its own options from its name on; 0 makes glibc
     * forget main's "stop at the first argument" mode as well. */
    optind = 0;
    int rc = cmd->run(&cli, sub_argc, sub_argv);

    if (cli.cfg_loaded)
        clientcfg_free(&cli.cfg);
    text_cleanup();
    u_cleanup();
    return rc;
}
