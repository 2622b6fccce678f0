/*
 * ui_console.c - one run of `thidua ui` (ui_console.h): the pages' routes,
 * the office opened as the commands open it, the URL printed, the browser
 * opened, and the wait for Ctrl+C.
 *
 * Signals are blocked before the server's and the sync's threads start, so
 * that they inherit the mask and SIGINT reaches only sigwait() here.
 */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "file_in.h"
#include "i18n.h"
#include "ui_console.h"

extern char **environ;

/* Largest certificate chain or key file read for the console's TLS. */
#define UI_PEM_MAX (1024u * 1024u)

static const ui_route_t ui_routes[] = {
    {"GET", "/", ui_page_records},
    {"GET", "/records", ui_page_records},
    {"GET", "/records/", ui_page_record_get},
    {"POST", "/records/", ui_page_record_post},
    {"GET", "/import", ui_page_import},
    {"GET", "/import/form.xlsx", ui_page_import_form},
    {"POST", "/import", ui_page_import_post},
    {"POST", "/import/confirm", ui_page_import_post},
    {"GET", "/status", ui_page_status},
    {"GET", "/print/", ui_page_print},
    {"POST", "/sync", ui_page_sync_post},
    {"GET", "/sync/state", ui_page_sync_state},
    {"GET", "/assets/", ui_page_asset},
};

/* The province's console: the review, the awards and the report, all from the server. */
static const ui_route_t ui_province_routes[] = {
    {"GET", "/", ui_page_queue},
    {"GET", "/review", ui_page_queue},
    {"GET", "/review/", ui_page_review_get},
    {"POST", "/review/", ui_page_review_post},
    {"GET", "/awards", ui_page_awards},
    {"POST", "/awards", ui_page_awards_post},
    {"GET", "/decisions/", ui_page_decision},
    {"GET", "/report", ui_page_report},
    {"GET", "/report/", ui_page_report},
    {"GET", "/units", ui_page_units},
    {"GET", "/campaigns", ui_page_campaigns},
    {"GET", "/assets/", ui_page_asset},
};

static void ui_console_label(ui_console_t *c)
{
    const Thidua__V1__Welcome *w = c->office.welcome;
    if (w != NULL && w->org_unit_name != NULL && w->org_unit_name[0] != '\0')
        snprintf(c->frame.label, sizeof(c->frame.label), "%s (%s)", w->org_unit_name, w->org_unit);
    else
        snprintf(c->frame.label, sizeof(c->frame.label), "%s", c->office.unit);
}

void ui_console_refresh(ui_console_t *c)
{
    if (c->sync == NULL)
        return; /* the province's console: its Welcome comes with each connection */
    ui_sync_view_t v;
    ui_sync_get(c->sync, &v);
    if (v.gen == c->sync_gen)
        return;
    c->sync_gen = v.gen;
    Thidua__V1__Welcome *w = NULL;
    if (store_welcome_load(c->office.st, &w) != TD_OK || w == NULL)
        return; /* keep the one we have */
    if (c->office.welcome != NULL)
        thidua__v1__welcome__free_unpacked(c->office.welcome, NULL);
    c->office.welcome = w;
    snprintf(c->office.unit, sizeof(c->office.unit), "%s", w->org_unit);
    if (w->campaign != NULL)
        snprintf(c->office.campaign, sizeof(c->office.campaign), "%s", w->campaign->code);
    ui_console_label(c);
}

/* The browser of the desktop, when there is one; failing to start it is not an error. */
static void ui_open_browser(const char *url)
{
    if (getenv("DISPLAY") == NULL && getenv("WAYLAND_DISPLAY") == NULL)
        return;
    char *const argv[] = {"xdg-open", (char *)url, NULL};
    pid_t pid;
    if (posix_spawnp(&pid, "xdg-open", NULL, NULL, argv, environ) == 0)
        (void)pid; /* reaped by SIGCHLD's default at exit; xdg-open returns at once */
}

/*
 * Whether cli's certificate is the province's: its console reviews and
 * awards (online) rather than keeping an office's store.
 */
static bool ui_is_province(cli_t *cli)
{
    char unit[OFFICE_NAME_MAX], role[OFFICE_NAME_MAX], err[512];
    return cli->cfg.tls_cert != NULL &&
           office_cert_identity(cli->cfg.tls_cert, unit, role, err, sizeof(err)) == 0 &&
           strcmp(role, "province") == 0;
}

/* Open what the console serves: the office's store, or the province's connection. */
static int ui_console_open(ui_console_t *c, cli_t *cli)
{
    int rc = cli_load_config(cli);
    if (rc != CLI_EXIT_OK)
        return rc;
    c->frame.province = ui_is_province(cli);
    if (!c->frame.province)
        return office_open(cli, "ui", &c->office);
    ui_admin_err_t e;
    if (ui_admin_connect(c, &e) != TD_OK) {
        /* Served anyway: each page tries again and says what is wrong. */
        cli_error("ui: %s", e.message);
    }
    char role[OFFICE_NAME_MAX], err[512];
    if (c->office.unit[0] == '\0' &&
        office_cert_identity(cli->cfg.tls_cert, c->office.unit, role, err, sizeof(err)) != 0)
        c->office.unit[0] = '\0';
    return CLI_EXIT_OK;
}

/* The console's certificate and key, read for TLS; the caller frees both. */
static int ui_tls_load(const cli_t *cli, char **cert, char **key)
{
    size_t len;
    *cert = *key = NULL;
    const char *bad = NULL;
    if (file_in_read(cli->cfg.ui_tls_cert, UI_PEM_MAX, cert, &len) != TD_OK)
        bad = cli->cfg.ui_tls_cert;
    else if (file_in_read(cli->cfg.ui_tls_key, UI_PEM_MAX, key, &len) != TD_OK)
        bad = cli->cfg.ui_tls_key;
    if (bad == NULL)
        return CLI_EXIT_OK;
    cli_error(_("ui: [console] cannot read %s: %s"), bad, strerror(errno));
    free(*cert);
    free(*key);
    *cert = *key = NULL;
    return CLI_EXIT_STORE;
}

int ui_console_run(cli_t *cli, const char *host, unsigned port, bool port_given,
                   bool open_browser, bool network)
{
    ui_console_t c;
    memset(&c, 0, sizeof(c));
    c.cli = cli;
    int rc = ui_console_open(&c, cli);
    if (rc != CLI_EXIT_OK)
        return rc;
    /* The console speaks Vietnamese unless the configuration asks for English. */
    if (cli->cfg.language == I18N_AUTO)
        i18n_use(I18N_VI);
    ui_console_label(&c);
    char err[1024];
    if (ui_auth_init(&c.auth, 0) != TD_OK) {
        cli_error("%s", _("ui: no random numbers for the console's secrets"));
        office_close(&c.office);
        return CLI_EXIT_STORE;
    }
    if (!c.frame.province && ui_sync_new(&cli->cfg, &c.sync) != TD_OK) {
        cli_error("%s", _("out of memory"));
        office_close(&c.office);
        return CLI_EXIT_STORE;
    }
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    ui_http_t *http = NULL;
    char *cert = NULL, *key = NULL;
    if (network) {
        rc = ui_tls_load(cli, &cert, &key);
        if (rc != CLI_EXIT_OK) {
            ui_sync_free(c.sync);
            ui_admin_close(&c);
            office_close(&c.office);
            return rc;
        }
        snprintf(c.auth.name, sizeof(c.auth.name), "%s", cli->cfg.ui_name);
        c.auth.secure = true;
    }
    ui_tls_t tls = {cert, key};
    const ui_route_t *routes = c.frame.province ? ui_province_routes : ui_routes;
    size_t nroutes = c.frame.province ? THIDUA_ARRAY_LEN(ui_province_routes)
                                      : THIDUA_ARRAY_LEN(ui_routes);
    int hrc = ui_http_start(host, port, port_given, network ? &tls : NULL, routes, nroutes, &c,
                            &c.auth, &http, err, sizeof(err));
    /* The library keeps its own copies of the PEM texts. */
    free(cert);
    free(key);
    if (hrc != TD_OK) {
        cli_error("ui: %s", err);
        ui_sync_free(c.sync);
        ui_admin_close(&c);
        office_close(&c.office);
        return CLI_EXIT_NETWORK;
    }
    char url[512];
    bool v6 = strchr(host, ':') != NULL;
    if (network)
        snprintf(url, sizeof(url), "https://%s:%u/?token=%s", c.auth.name, ui_http_port(http),
                 c.auth.token);
    else
        snprintf(url, sizeof(url), "http://%s%s%s:%u/?token=%s", v6 ? "[" : "",
                 strcmp(host, "localhost") == 0 ? "127.0.0.1" : host, v6 ? "]" : "",
                 ui_http_port(http), c.auth.token);
    if (network)
        printf(_("The console of %s is open on the network at this address, over TLS (the link "
                 "works once, in one browser):\n"),
               c.frame.label);
    else
        printf(_("The console of %s is open at this address (the link works once; open it in "
                 "the browser of this machine):\n"),
               c.frame.label);
    printf("%s\n", url);
    printf("%s\n", _("Press Ctrl+C to close the console."));
    fflush(stdout);
    if (open_browser)
        ui_open_browser(url);

    int sig = 0;
    sigwait(&stop, &sig);
    /* A second Ctrl+C ends the program at once: the store loses nothing it acknowledged. */
    pthread_sigmask(SIG_UNBLOCK, &stop, NULL);
    ui_sync_view_t v = {.phase = UI_SYNC_IDLE};
    if (c.sync != NULL)
        ui_sync_get(c.sync, &v);
    if (v.phase == UI_SYNC_RUNNING && !cli->quiet)
        printf("%s\n", _("A sync is under way: the console closes when it ends (Ctrl+C again "
                         "stops it now; nothing is lost)."));
    ui_http_stop(http);
    ui_sync_free(c.sync); /* a sync under way ends first: nothing half-stored */
    ui_import_forget(&c);
    ui_admin_close(&c);
    office_close(&c.office);
    if (!cli->quiet)
        printf("%s\n", _("The console is closed."));
    return CLI_EXIT_OK;
}
