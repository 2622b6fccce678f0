/*
 * cmd_ui.c - `thidua ui`: the office's console in the browser.
 *
 *   thidua ui [--listen HOST:PORT] [--no-browser]
 *
 * The console serves this machine: HOST is a loopback address (127.0.0.1,
 * ::1, localhost). Another host would put the office's records on the
 * network, so it is refused unless the configuration asks for it ([console]
 * network = yes), and then only over TLS with the console's own certificate
 * ([console] tls_cert, tls_key) and the name browsers use ([console] name),
 * which the Host check then admits.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "i18n.h"
#include "ui_console.h"

static void ui_help(void)
{
    printf(_("usage: thidua ui [--listen HOST:PORT] [--no-browser]\n\n"
             "Open the console in the browser. With an office's certificate: the\n"
             "nominations, the form to add and edit them, the import of a list, where they\n"
             "stand, the sync button and the Tờ trình. With the province's: the review, the\n"
             "awards, the report, the units and the campaigns. It serves this machine only,\n"
             "on port %d (or the next free one), and prints a link that opens it once.\n"
             "Ctrl+C closes it.\n\n"
             "  --listen HOST:PORT  a loopback address and port (127.0.0.1:8421, [::1]:8421;\n"
             "                      port 0: any free one); another address only with\n"
             "                      [console] network = yes, name, tls_cert and tls_key in\n"
             "                      the configuration, and then over TLS\n"
             "  --no-browser        print the link only; do not open the browser\n"),
           UI_PORT_DEFAULT);
}

/* Whether host names this machine: 127.0.0.0/8, ::1 or localhost. */
static bool ui_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (strcmp(host, "localhost") == 0)
        return true;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/* "HOST:PORT" or "[V6]:PORT" into host and port. */
static int ui_parse_listen(const char *s, char *host, size_t size, unsigned *port)
{
    const char *colon;
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (end == NULL || end[1] != ':')
            return -1;
        if ((size_t)(end - s - 1) >= size)
            return -1;
        memcpy(host, s + 1, (size_t)(end - s - 1));
        host[end - s - 1] = '\0';
        colon = end + 1;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL || (size_t)(colon - s) >= size)
            return -1;
        memcpy(host, s, (size_t)(colon - s));
        host[colon - s] = '\0';
    }
    char *end;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || p > 65535)
        return -1;
    *port = (unsigned)p;
    return 0;
}

int cmd_ui(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"no-browser", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char host[64] = "127.0.0.1";
    unsigned port = 0;
    bool port_given = false, browser = true;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'l':
            if (ui_parse_listen(optarg, host, sizeof(host), &port) != 0) {
                cli_error(_("ui: --listen %s: give HOST:PORT, e.g. 127.0.0.1:8421"), optarg);
                return CLI_EXIT_USAGE;
            }
            port_given = true;
            break;
        case 'n':
            browser = false;
            break;
        case 'h':
            ui_help();
            return CLI_EXIT_OK;
        default:
            return CLI_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        cli_error(_("ui: unexpected argument '%s' (thidua ui --help)"), argv[optind]);
        return CLI_EXIT_USAGE;
    }
    bool network = !ui_loopback(host);
    if (network) {
        int rc = cli_load_config(cli);
        if (rc != CLI_EXIT_OK)
            return rc;
        const client_config_t *cfg = &cli->cfg;
        if (!cfg->ui_network) {
            cli_error(_("ui: --listen %s: the console serves this machine only (127.0.0.1, ::1 or "
                        "localhost); it holds the office's records and is put on the network "
                        "only when the configuration says so ([console] network = yes, with "
                        "tls_cert, tls_key and name)"),
                      host);
            return CLI_EXIT_USAGE;
        }
        if (cfg->ui_tls_cert == NULL || cfg->ui_tls_key == NULL || cfg->ui_name == NULL) {
            cli_error(_("ui: --listen %s: on the network the console is served over TLS only: "
                        "set [console] tls_cert, tls_key (the console's certificate and key, "
                        "PEM) and name (the host name in that certificate)"),
                      host);
            return CLI_EXIT_USAGE;
        }
    }
    return ui_console_run(cli, host, port, port_given, browser, network);
}
