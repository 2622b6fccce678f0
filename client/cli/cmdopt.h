/*
 * cmdopt.h - the command-line checks that many commands make the same way:
 * a command whose only option is --help, one that takes no operand, and one
 * that takes exactly one record id.
 *
 * They print "thidua: CMD: ..." like every command's own checks, so that a
 * mistyped command line reads the same whichever command it was.
 */
#ifndef THIDUA_CLIENT_CMDOPT_H
#define THIDUA_CLIENT_CMDOPT_H

#include "defs.h"

/*
 * Parse the options of a command that has none but --help. Returns CLI_EXIT_OK
 * with optind at the first operand; -1 after printing help() (the command is
 * done); CLI_EXIT_USAGE for another option (getopt said which).
 */
THIDUA_MUSTCHECK int cmdopt_help_only(int argc, char **argv, void (*help)(void));

/* After the options: no operand left. CLI_EXIT_OK, or CLI_EXIT_USAGE naming the first one. */
THIDUA_MUSTCHECK int cmdopt_none(const char *cmd, int argc, char **argv);

/* After the options: exactly one operand, a record id (argv[optind]). CLI_EXIT_OK or
 * CLI_EXIT_USAGE. */
THIDUA_MUSTCHECK int cmdopt_one_id(const char *cmd, int argc);

#endif
