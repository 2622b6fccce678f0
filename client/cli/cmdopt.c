/*
 * cmdopt.c - command-line checks shared by the commands (cmdopt.h).
 */
#include "cmdopt.h"

#include <getopt.h>
#include <stddef.h>

#include "cli.h"
#include "i18n.h"

int cmdopt_help_only(int argc, char **argv, void (*help)(void))
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    optind = 0; /* glibc: start afresh and permute, so options may follow an id */
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (opt != 'h')
            return CLI_EXIT_USAGE;
        help();
        return -1;
    }
    return CLI_EXIT_OK;
}

int cmdopt_none(const char *cmd, int argc, char **argv)
{
    if (optind == argc)
        return CLI_EXIT_OK;
    cli_error(_("%s: unexpected argument %s"), cmd, argv[optind]);
    return CLI_EXIT_USAGE;
}

int cmdopt_one_id(const char *cmd, int argc)
{
    if (argc - optind == 1)
        return CLI_EXIT_OK;
    cli_error(_("%s: give exactly one record id"), cmd);
    return CLI_EXIT_USAGE;
}
