/*
 * cli.h - what every `thidua` command shares: options, configuration, exit
 * codes and the way messages reach the officer (cli.c), and the commands.
 *
 * Exit codes (docs/district-guide.md lists them for scripts):
 *   0 done; 1 wrong usage; 2 invalid data (a field is wrong: the message
 *   names it); 3 network (server unreachable, retries exhausted: nothing is
 *   lost, run again later); 4 refused by the server (certificate, role,
 *   permission); 5 local store or configuration problem; 6 done, but some
 *   records need the officer's attention (rejected, locked, conflict).
 */
#ifndef THIDUA_CLI_H
#define THIDUA_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "clientcfg.h"
#include "defs.h"

/* A program's exit status: what scripts see, so the numbers never change. */
typedef enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_USAGE = 1,
    CLI_EXIT_INVALID = 2,
    CLI_EXIT_NETWORK = 3,
    CLI_EXIT_REFUSED = 4,
    CLI_EXIT_STORE = 5,
    CLI_EXIT_ATTENTION = 6,
} cli_exit_t;

typedef struct cli {
    const char *config_path; /* -c FILE, $THIDUA_CONFIG or ./thidua.conf */
    client_config_t cfg;     /* loaded by cli_load_config() */
    bool cfg_loaded;
    bool json;  /* --json: machine-readable output on stdout */
    bool quiet; /* -q: no progress, only results and errors */
    bool tty;   /* stderr is a terminal: progress lines allowed */
    bool help_only; /* the command was given --help: it needs no configuration */
} cli_t;

typedef int (*cli_cmd_fn)(cli_t *cli, int argc, char **argv);

typedef struct cli_cmd {
    const char *name;
    const char *summary;
    cli_cmd_fn run;
} cli_cmd_t;

/*
 * A command made of subcommands ("thidua units list"): each with the line of
 * its usage (marked N_(), translated when printed).
 */
typedef struct cli_sub {
    const char *name;
    cli_cmd_fn run; /* called with argv[0] the subcommand's name */
    const char *usage;
} cli_sub_t;

/*
 * Run the subcommand argv[1] names. For --help print the usage lines and
 * footer (N_(), may be NULL) and return CLI_EXIT_OK; for no subcommand or
 * an unknown one say so, print the same on stderr and return CLI_EXIT_USAGE.
 */
int cli_dispatch(cli_t *cli, int argc, char **argv, const char *cmd, const cli_sub_t *subs,
                 size_t nsubs, const char *footer);

/* Load the configuration file once; on failure print why and return CLI_EXIT_STORE. */
THIDUA_MUSTCHECK int cli_load_config(cli_t *cli);

/* "thidua: " + message on stderr. */
void cli_error(const char *fmt, ...) THIDUA_PRINTF(1, 2);

/* True when argv[i] asks for help (-h or --help). */
bool cli_wants_help(int argc, char **argv);

/*
 * Take the global options (-c FILE, --config[=]FILE, --json, -q, --quiet)
 * that stand after the command name out of argv (argv[0] is the command),
 * before a "--", so that `thidua list --json` is `thidua --json list`.
 * *argc shrinks to what the command parses. A value that is exactly one of
 * these words must be given as --option=VALUE. Returns CLI_EXIT_OK, or
 * CLI_EXIT_USAGE after saying that -c has no file.
 */
THIDUA_MUSTCHECK int cli_take_global_options(cli_t *cli, int *argc, char **argv);

/* The commands (cmd_*.c). */
int cmd_ping(cli_t *cli, int argc, char **argv);
int cmd_init(cli_t *cli, int argc, char **argv);     /* cmd_init.c */
int cmd_add(cli_t *cli, int argc, char **argv);      /* cmd_record.c */
int cmd_edit(cli_t *cli, int argc, char **argv);     /* cmd_record.c */
int cmd_withdraw(cli_t *cli, int argc, char **argv); /* cmd_record.c */
int cmd_list(cli_t *cli, int argc, char **argv);     /* cmd_list.c */
int cmd_show(cli_t *cli, int argc, char **argv);     /* cmd_list.c */
int cmd_status(cli_t *cli, int argc, char **argv);   /* cmd_status.c */
int cmd_import(cli_t *cli, int argc, char **argv);   /* cmd_import.c */
int cmd_sync(cli_t *cli, int argc, char **argv);
int cmd_review(cli_t *cli, int argc, char **argv);  /* cmd_review.c: review list, review show */
int cmd_approve(cli_t *cli, int argc, char **argv); /* cmd_review.c */
int cmd_reject(cli_t *cli, int argc, char **argv);  /* cmd_review.c */
int cmd_return(cli_t *cli, int argc, char **argv);  /* cmd_review.c */
int cmd_award(cli_t *cli, int argc, char **argv);   /* cmd_award.c */
int cmd_revoke(cli_t *cli, int argc, char **argv);  /* cmd_award.c */
int cmd_report(cli_t *cli, int argc, char **argv);  /* cmd_report.c */
int cmd_units(cli_t *cli, int argc, char **argv);   /* cmd_units.c: units list, reorganise */
int cmd_print(cli_t *cli, int argc, char **argv);   /* cmd_print.c: decision, certificates, submission */
int cmd_issuers(cli_t *cli, int argc, char **argv); /* cmd_issuers.c: issuers show, set */
int cmd_campaigns(cli_t *cli, int argc, char **argv); /* cmd_campaigns.c: list, show, create */
int cmd_ui(cli_t *cli, int argc, char **argv);        /* cmd_ui.c: the console in the browser */

/* The exit code for a failed connection (an rpc TD_E* code). */
int cli_rpc_exit(int rc);

#endif
