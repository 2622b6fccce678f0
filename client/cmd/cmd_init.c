/*
 * cmd_init.c - `thidua init`: set up an office's computer in one command.
 *
 * Writes the configuration file (mode 0600) and creates the store, after
 * checking that the CA, the certificate and the key can be used together: a
 * mistake there is found now, at the desk, and not at the first sync. Then it
 * tries the server once. When the server answers, init shows the unit and
 * role it sees for this certificate and saves the Welcome, so that `add`
 * checks records against the campaign from the first day, offline. When it
 * does not answer (no network yet in many offices), init still succeeds:
 * everything but `sync` works offline, and the first sync fetches the
 * campaign.
 *
 * Paths are written absolute, or relative to the configuration's folder
 * when they lie inside it, so that an office can move that folder whole.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "i18n.h"
#include "cmdopt.h"
#include "confutil.h"
#include "office_session.h"
#include "output.h"
#include "rpc.h"
#include "text.h"
#include "tls.h"

/* A clock further off than this makes certificates and dates misbehave: say so. */
#define INIT_CLOCK_SKEW_MS (5 * 60 * 1000)

typedef struct {
    const char *server, *ca, *cert, *key, *store;
    bool force;
} init_args_t;

/* The absolute form of path (which need not exist, but its folder must). */
static int init_abspath(const char *path, char *out, size_t size, char *err, size_t errlen)
{
    char buf[PATH_MAX];
    if (realpath(path, buf) != NULL) {
        if (snprintf(out, size, "%s", buf) >= (int)size)
            goto toolong;
        return 0;
    }
    if (errno != ENOENT) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char d[PATH_MAX], b[PATH_MAX];
    snprintf(d, sizeof(d), "%s", path);
    snprintf(b, sizeof(b), "%s", path);
    const char *base = basename(b);
    if (realpath(dirname(d), buf) == NULL) {
        snprintf(err, errlen, _("the folder of %s: %s"), path, strerror(errno));
        return -1;
    }
    if (snprintf(out, size, "%s/%s", strcmp(buf, "/") == 0 ? "" : buf, base) >= (int)size)
        goto toolong;
    return 0;
toolong:
    snprintf(err, errlen, _("%s: path too long"), path);
    return -1;
}

/* path as the configuration file will hold it: relative to dir when inside it. */
static const char *init_relative(const char *abs, const char *dir)
{
    size_t n = strlen(dir);
    if (strncmp(abs, dir, n) == 0 && abs[n] == '/' && abs[n + 1] != '\0')
        return abs + n + 1;
    return abs;
}

static void init_help(void)
{
    printf(_("usage: thidua [-c FILE] init --server HOST:PORT --ca FILE --cert FILE --key FILE\n"
           "                        [--store PATH] [--force]\n\n"
           "Write this office's configuration (FILE: -c, else $THIDUA_CONFIG, else\n"
           "./thidua.conf) and create the local store. If the server answers, show the\n"
           "unit and role it sees for the certificate and save the campaign, so that\n"
           "`add` checks records offline; if it does not, init still succeeds.\n\n"
           "  --server HOST:PORT  the province's server\n"
           "  --ca FILE           the province's CA certificate\n"
           "  --cert FILE         this office's certificate\n"
           "  --key FILE          its private key (readable by its owner only)\n"
           "  --store PATH        the local store (default: thidua.db beside FILE)\n"
           "  --force             replace an existing configuration (the store is kept)\n"));
}

static int init_parse(int argc, char **argv, init_args_t *a)
{
    static const struct option opts[] = {
        {"server", required_argument, NULL, 's'}, {"ca", required_argument, NULL, 'a'},
        {"cert", required_argument, NULL, 'c'},   {"key", required_argument, NULL, 'k'},
        {"store", required_argument, NULL, 'd'},  {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof(*a));
    int opt;
    optind = 0; /* glibc: start afresh and permute, so options may follow an id */
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 's':
            a->server = optarg;
            break;
        case 'a':
            a->ca = optarg;
            break;
        case 'c':
            a->cert = optarg;
            break;
        case 'k':
            a->key = optarg;
            break;
        case 'd':
            a->store = optarg;
            break;
        case 'f':
            a->force = true;
            break;
        case 'h':
            init_help();
            return -1;
        default:
            return CLI_EXIT_USAGE;
        }
    }
    if (cmdopt_none("init", argc, argv) != CLI_EXIT_OK)
        return CLI_EXIT_USAGE;
    const struct {
        const char *value, *option;
    } need[] = {{a->server, "--server"}, {a->ca, "--ca"}, {a->cert, "--cert"}, {a->key, "--key"}};
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(need); i++) {
        if (need[i].value == NULL || need[i].value[0] == '\0') {
            cli_error(_("init: %s is required (see `thidua init --help`)"), need[i].option);
            return CLI_EXIT_USAGE;
        }
    }
    char host[CONFUTIL_HOST_MAX], err[256];
    uint16_t port;
    if (confutil_hostport(a->server, host, &port, err, sizeof(err)) != 0 || host[0] == '\0' ||
        port == 0) {
        cli_error(_("init: --server: %s"), host[0] && port ? err : _("expected HOST:PORT"));
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* What init learnt, for the closing report. */
typedef struct {
    char cfg[PATH_MAX], store[PATH_MAX];
    char cert_unit[OFFICE_NAME_MAX], cert_role[OFFICE_NAME_MAX];
    bool reached;
    char why[600]; /* why the server was not reached */
    const Thidua__V1__Welcome *welcome;
} init_result_t;

/* Compare what the server sees with the certificate file; warn on a mismatch or a bad clock. */
static void init_check_welcome(const init_result_t *res)
{
    const Thidua__V1__Welcome *w = res->welcome;
    if (strcmp(w->org_unit, res->cert_unit) != 0)
        cli_error(_("warning: the server sees unit %s, the certificate says %s"), w->org_unit,
                  res->cert_unit);
    if (w->role != THIDUA__V1__ROLE__ROLE_DISTRICT && w->role != THIDUA__V1__ROLE__ROLE_PROVINCE)
        cli_error(_("warning: the server gives this certificate no known role"));
    int64_t skew = w->server_time_ms - office_now_ms();
    if (w->server_time_ms != 0 && (skew > INIT_CLOCK_SKEW_MS || skew < -INIT_CLOCK_SKEW_MS))
        cli_error(skew > 0 ? _("warning: this computer's clock is %lld minutes behind the server's: "
                               "set the date and time")
                           : _("warning: this computer's clock is %lld minutes ahead of the "
                               "server's: set the date and time"),
                  (long long)(skew > 0 ? skew : -skew) / 60000);
}

static int init_report(const cli_t *cli, const init_result_t *res)
{
    const Thidua__V1__Welcome *w = res->welcome;
    const Thidua__V1__Campaign *c = w != NULL ? w->campaign : NULL;
    const char *role = w == NULL                                    ? res->cert_role
                       : w->role == THIDUA__V1__ROLE__ROLE_PROVINCE ? "province"
                       : w->role == THIDUA__V1__ROLE__ROLE_DISTRICT ? "district"
                                                                    : "unknown";
    if (cli->json) {
        strbuf_t sb;
        strbuf_init(&sb);
        strbuf_putc(&sb, '{');
        out_json_str(&sb, "config", res->cfg);
        out_json_str(&sb, "store", res->store);
        out_json_str(&sb, "certificate_unit", res->cert_unit);
        out_json_str(&sb, "certificate_role", res->cert_role);
        out_json_bool(&sb, "server_reached", res->reached);
        if (!res->reached)
            out_json_str(&sb, "server_error", res->why);
        if (w != NULL) {
            out_json_str(&sb, "unit", w->org_unit);
            out_json_str(&sb, "unit_name", w->org_unit_name);
            out_json_str(&sb, "role", role);
            out_json_str(&sb, "fingerprint", w->certificate_fingerprint);
            out_json_str(&sb, "campaign", c ? c->code : "");
            out_json_key(&sb, "units");
            strbuf_putc(&sb, '[');
            for (size_t i = 0; i < w->n_units; i++)
                out_json_str(&sb, NULL, w->units[i]->code);
            strbuf_putc(&sb, ']');
        }
        strbuf_putc(&sb, '}');
        return out_json_done(&sb);
    }
    char d1[DATE_STR_SIZE], d2[DATE_STR_SIZE];
    printf(_("configuration: %s\n"), res->cfg);
    printf(_("store:         %s\n"), res->store);
    printf(_("certificate:   unit %s, role %s\n"), res->cert_unit,
           res->cert_role[0] ? res->cert_role : _("(none)"));
    if (w == NULL) {
        printf(_("server:        unreachable (%s)\n"), res->why);
        printf(_("\nThe office works offline now: `thidua add`, `list` and `import` need no\n"
               "network. Run `thidua sync` when the network is back: it sends the records\n"
               "and fetches the campaign's rules, which are then checked at every `add`.\n"));
        return CLI_EXIT_OK;
    }
    printf(_("server:        %s, sees unit %s (%s), role %s\n"), w->server_version, w->org_unit,
           w->org_unit_name, role);
    if (c != NULL)
        printf(_("campaign:      %s, %s to %s: %zu categories, %zu award forms\n"), c->code,
               out_date_vn(c->starts_on, d1), out_date_vn(c->ends_on, d2), c->n_categories,
               c->n_award_forms);
    printf(_("units:         "));
    for (size_t i = 0; i < w->n_units; i++)
        printf("%s%s", i ? ", " : "", w->units[i]->code);
    printf("%s\n", w->n_units ? "" : "(none)");
    printf(_("\nThe campaign is saved: `thidua add` checks records against it offline.\n"));
    return CLI_EXIT_OK;
}

/* Check the TLS files together, as a connection would use them. */
static int init_check_tls(const init_args_t *a, init_result_t *res)
{
    char err[TLS_ERRLEN];
    tls_files_t files = {a->ca, a->cert, a->key, NULL};
    SSL_CTX *ctx = tls_client_ctx_new(&files, err, sizeof(err));
    if (ctx == NULL) {
        cli_error(_("init: %s"), err);
        return CLI_EXIT_STORE;
    }
    SSL_CTX_free(ctx);
    char why[512];
    if (office_cert_identity(a->cert, res->cert_unit, res->cert_role, why, sizeof(why)) != 0) {
        cli_error(_("init: --cert: %s"), why);
        return CLI_EXIT_STORE;
    }
    if (strcmp(res->cert_role, "district") != 0 && strcmp(res->cert_role, "province") != 0)
        cli_error(_("warning: the certificate's OU is \"%s\", not district or province: the "
                    "server will refuse it"),
                  res->cert_role);
    return CLI_EXIT_OK;
}

/* Write the file next to its final place, then rename: never a half-written configuration. */
static int init_write_config(const init_args_t *a, const char *dir, const char *cfg_path)
{
    char ca[PATH_MAX], cert[PATH_MAX], key[PATH_MAX], store[PATH_MAX], err[PATH_MAX + 256];
    const char *given[] = {a->ca, a->cert, a->key, a->store};
    char *abs[] = {ca, cert, key, store};
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(given); i++) {
        if (init_abspath(given[i], abs[i], PATH_MAX, err, sizeof(err)) != 0) {
            cli_error(_("init: %s"), err);
            return CLI_EXIT_STORE;
        }
    }
    char tmp[PATH_MAX + 8];
    snprintf(tmp, sizeof(tmp), "%s.new", cfg_path);
    if (clientcfg_write(tmp, a->server, init_relative(ca, dir), init_relative(cert, dir),
                        init_relative(key, dir), init_relative(store, dir), err,
                        sizeof(err)) != 0) {
        cli_error(_("init: %s"), err);
        unlink(tmp);
        return CLI_EXIT_STORE;
    }
    if (rename(tmp, cfg_path) != 0) {
        cli_error(_("init: cannot write %s: %s"), cfg_path, strerror(errno));
        unlink(tmp);
        return CLI_EXIT_STORE;
    }
    return CLI_EXIT_OK;
}

int cmd_init(cli_t *cli, int argc, char **argv)
{
    init_args_t a;
    int rc = init_parse(argc, argv, &a);
    if (rc != CLI_EXIT_OK)
        return rc < 0 ? CLI_EXIT_OK : rc;

    init_result_t res;
    memset(&res, 0, sizeof(res));
    char err[PATH_MAX + 256];
    const char *cfg_path = clientcfg_locate(cli->config_path);
    if (access(cfg_path, F_OK) == 0 && !a.force) {
        cli_error(_("init: %s exists already; add --force to replace it (the store is kept)"),
                  cfg_path);
        return CLI_EXIT_USAGE;
    }
    if (init_abspath(cfg_path, res.cfg, sizeof(res.cfg), err, sizeof(err)) != 0) {
        cli_error(_("init: %s"), err);
        return CLI_EXIT_STORE;
    }
    char tmp[PATH_MAX], dir[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s", res.cfg);
    snprintf(dir, sizeof(dir), "%s", dirname(tmp));
    char default_store[PATH_MAX + 16];
    if (a.store == NULL) {
        snprintf(default_store, sizeof(default_store), "%s/thidua.db", dir);
        a.store = default_store;
    }
    rc = init_check_tls(&a, &res);
    if (rc != CLI_EXIT_OK)
        return rc;

    /* The store first: a configuration must not point at a store that could not be made. */
    if (init_abspath(a.store, res.store, sizeof(res.store), err, sizeof(err)) != 0) {
        cli_error(_("init: --store: %s"), err);
        return CLI_EXIT_STORE;
    }
    store_options_t sopt = {.collate = text_collate, .fold = text_fold_key, .busy_timeout_ms = 0};
    store_t *st = NULL;
    if (store_open(res.store, &sopt, &st, err, sizeof(err)) < 0) {
        cli_error(_("init: cannot create the store: %s"), err);
        return CLI_EXIT_STORE;
    }
    rc = init_write_config(&a, dir, cfg_path);
    if (rc == CLI_EXIT_OK)
        rc = cli_load_config(cli);
    if (rc != CLI_EXIT_OK) {
        store_close(st);
        return rc;
    }

    rpc_t rpc;
    int rrc = rpc_open(&rpc, &cli->cfg, res.why, sizeof(res.why));
    if (rrc == TD_OK) {
        res.reached = true;
        res.welcome = rpc.welcome;
        init_check_welcome(&res);
        int src = store_welcome_save(st, rpc.welcome, office_now_ms());
        rc = src < 0 ? office_store_fail("init", st, src) : init_report(cli, &res);
        rpc_close(&rpc);
    } else if (rrc == TD_ECONNECT) {
        rc = init_report(cli, &res);
    } else {
        cli_error(_("init: the server %s: %s"), rrc == TD_EREFUSED ? _("refused us") : _("failed"),
                  res.why);
        cli_error(_("init: %s is written; fix the problem and run init again with --force"), res.cfg);
        rc = cli_rpc_exit(rrc);
    }
    store_close(st);
    return rc;
}
