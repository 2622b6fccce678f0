/*
 * cli.c - what every `thidua` command shares (cli.h): messages to the
 * officer, the configuration loaded once, the global options wherever they
 * stand, and the exit code of a failed connection.
 */
#include "cli.h"
#include "i18n.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

void cli_error(const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "thidua: %s\n", msg);
}

int cli_dispatch(cli_t *cli, int argc, char **argv, const char *cmd, const cli_sub_t *subs,
                 size_t nsubs, const char *footer)
{
    for (size_t i = 0; argc >= 2 && i < nsubs; i++) {
        if (strcmp(argv[1], subs[i].name) == 0)
            return subs[i].run(cli, argc - 1, argv + 1);
    }
    bool help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
    if (!help && argc < 2) {
        char names[256];
        size_t o = 0;
        for (size_t i = 0; i < nsubs && o < sizeof(names); i++)
            o += (size_t)snprintf(names + o, sizeof(names) - o, "%s%s", i > 0 ? ", " : "",
                                  subs[i].name);
        cli_error(_("%s: say which: %s"), cmd, names);
    } else if (!help) {
        cli_error(_("%s: unknown subcommand '%s'"), cmd, argv[1]);
    }
    FILE *out = help ? stdout : stderr;
    fprintf(out, "%s\n", _("usage:"));
    for (size_t i = 0; i < nsubs; i++)
        fprintf(out, "  %s\n", _(subs[i].usage));
    if (footer != NULL)
        fprintf(out, "\n%s\n", _(footer));
    return help ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

bool cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return true;
        if (strcmp(argv[i], "--") == 0)
            break;
    }
    return false;
}

int cli_load_config(cli_t *cli)
{
    if (cli->cfg_loaded)
        return CLI_EXIT_OK;
    if (cli->help_only) {
        /* `thidua COMMAND --help` works before any configuration exists. */
        clientcfg_init(&cli->cfg);
        return CLI_EXIT_OK;
    }
    char err[1024];
    clientcfg_init(&cli->cfg);
    if (clientcfg_load(&cli->cfg, clientcfg_locate(cli->config_path), err, sizeof(err)) != 0) {
        cli_error("%s", err);
        clientcfg_free(&cli->cfg);
        return CLI_EXIT_STORE;
    }
    cli->cfg_loaded = true;
    /* The file's language, unless the output is for programs (--json). */
    if (!cli->json)
        i18n_use(cli->cfg.language);
    return CLI_EXIT_OK;
}

/* Is argv[i] a global option? Sets it on cli and says how many words it takes (0: not one). */
static int cli_global_option(cli_t *cli, int argc, char **argv, int i, bool *missing)
{
    const char *a = argv[i];
    if (strcmp(a, "--json") == 0) {
        cli->json = true;
        return 1;
    }
    if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
        cli->quiet = true;
        return 1;
    }
    if (strncmp(a, "--config=", 9) == 0) {
        cli->config_path = a + 9;
        return 1;
    }
    if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
        if (i + 1 >= argc) {
            *missing = true;
            return 1;
        }
        cli->config_path = argv[i + 1];
        return 2;
    }
    return 0;
}

int cli_take_global_options(cli_t *cli, int *argc, char **argv)
{
    int out = 1;
    int i = 1;
    while (i < *argc) {
        if (strcmp(argv[i], "--") == 0)
            break;
        bool missing = false;
        int n = cli_global_option(cli, *argc, argv, i, &missing);
        if (missing) {
            cli_error(_("%s: option %s needs a file"), argv[0], argv[i]);
            return CLI_EXIT_USAGE;
        }
        if (n == 0)
            argv[out++] = argv[i++];
        else
            i += n;
    }
    while (i < *argc)
        argv[out++] = argv[i++];
    argv[out] = NULL;
    *argc = out;
    return CLI_EXIT_OK;
}

int cli_rpc_exit(int rc)
{
    switch (rc) {
    case TD_EREFUSED: return CLI_EXIT_REFUSED;
    case TD_ECONFIG: return CLI_EXIT_STORE;
    default: return CLI_EXIT_NETWORK;
    }
}
