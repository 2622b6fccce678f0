/*
 * main.c - thiduad's command line.
 *
 * The configuration file comes first, flags override it. Everything that can
 * be checked before serving is checked, and a failure is one sentence on
 * stderr and exit status 1.
 */
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uclean.h>

#include "config.h"
#include "i18n.h"
#include "log.h"
#include "server.h"
#include "text.h"
#include "tls.h"

static void usage(FILE *out)
{
    fputs(_("usage: thiduad [--config FILE] [options]\n"
            "\n"
            "The province's thidua server: district offices connect over TLS with\n"
            "their certificates, records are kept in PostgreSQL.\n"
            "\n"
            "  -c, --config FILE       INI configuration (see docs/operations.md)\n"
            "      --listen HOST:PORT  address to listen on (default 0.0.0.0:7443)\n"
            "      --tls-cert FILE     server certificate (PEM)\n"
            "      --tls-key FILE      its private key (mode 0600)\n"
            "      --tls-ca FILE       the province CA that signs client certificates\n"
            "      --tls-crl FILE      certificate revocation list (optional)\n"
            "      --db CONNINFO       PostgreSQL connection string (libpq)\n"
            "      --log-level LEVEL   error, warn, info or debug\n"
            "      --check-config      check the configuration and exit\n"
            "      --version           print the version and exit\n"
            "  -h, --help              this help\n"),
          out);
}

enum { OPT_LISTEN = 256, OPT_CERT, OPT_KEY, OPT_CA, OPT_CRL, OPT_DB, OPT_LOG, OPT_CHECK,
       OPT_VERSION };

static const struct option long_options[] = {
    {"config", required_argument, NULL, 'c'},
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"tls-cert", required_argument, NULL, OPT_CERT},
    {"tls-key", required_argument, NULL, OPT_KEY},
    {"tls-ca", required_argument, NULL, OPT_CA},
    {"tls-crl", required_argument, NULL, OPT_CRL},
    {"db", required_argument, NULL, OPT_DB},
    {"log-level", required_argument, NULL, OPT_LOG},
    {"check-config", no_argument, NULL, OPT_CHECK},
    {"version", no_argument, NULL, OPT_VERSION},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Flags that map to a configuration key: (section, key). */
static int flag_setting(int opt, const char **section, const char **key)
{
    static const struct {
        int opt;
        const char *section, *key;
    } map[] = {
        {OPT_LISTEN, "server", "listen"}, {OPT_CERT, "tls", "cert"}, {OPT_KEY, "tls", "key"},
        {OPT_CA, "tls", "ca"},            {OPT_CRL, "tls", "crl"},   {OPT_DB, "database", "conninfo"},
        {OPT_LOG, "log", "level"},
    };
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(map); i++) {
        if (map[i].opt == opt) {
            *section = map[i].section;
            *key = map[i].key;
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    server_config_t cfg;
    char err[1024];
    const char *config_path = NULL;
    int check_only = 0;

    /*
     * Large buffers (a 4 MiB frame, the arena of its unpack) live for one
     * request. glibc raises its mmap threshold after such a buffer is freed
     * and then serves the next ones from the heap, which it rarely gives back:
     * RSS would keep every peak. A fixed threshold keeps them mmapped, so
     * freeing them returns the memory to the system.
     */
    (void)mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    /* The help in the operator's language; what thiduad sends and logs stays English. */
    i18n_init();
    config_init(&cfg);

    /* First pass: the configuration file, so that flags can override it. */
    int opt;
    while ((opt = getopt_long(argc, argv, "c:h", long_options, NULL)) != -1) {
        switch (opt) {
        case 'c': config_path = optarg; break;
        case 'h': usage(stdout); return 0;
        case OPT_VERSION: printf("%s\n", THIDUA_SERVER_VERSION); return 0;
        case OPT_CHECK: check_only = 1; break;
        case '?': usage(stderr); return 1;
        default: break;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "thiduad: unexpected argument '%s'\n", argv[optind]);
        return 1;
    }
    if (config_path != NULL && config_load_file(&cfg, config_path, err, sizeof(err)) != 0) {
        fprintf(stderr, "thiduad: %s\n", err);
        config_free(&cfg);
        return 1;
    }
    optind = 1;
    while ((opt = getopt_long(argc, argv, "c:h", long_options, NULL)) != -1) {
        const char *section, *key;
        if (flag_setting(opt, &section, &key) &&
            config_set(&cfg, section, key, optarg, err, sizeof(err)) != 0) {
            fprintf(stderr, "thiduad: %s\n", err);
            config_free(&cfg);
            return 1;
        }
    }
    log_set_level(cfg.log_level);
    i18n_use(I18N_EN);

    if (config_check(&cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "thiduad: %s\n", err);
        config_free(&cfg);
        return 1;
    }
    if (check_only) {
        tls_files_t files = {cfg.tls_ca, cfg.tls_cert, cfg.tls_key, cfg.tls_crl};
        SSL_CTX *ctx = tls_server_ctx_new(&files, err, sizeof(err));
        if (ctx == NULL) {
            fprintf(stderr, "thiduad: %s\n", err);
            config_free(&cfg);
            return 1;
        }
        SSL_CTX_free(ctx);
        printf("thiduad: configuration %s is valid\n", config_path ? config_path : "(flags)");
        config_free(&cfg);
        return 0;
    }

    /* A peer resetting its socket must not kill the process (libuv writes with write(2)). */
    signal(SIGPIPE, SIG_IGN);
    if (text_init() != 0)
        log_warn("collator_unavailable", NULL);

    uv_loop_t *loop = uv_default_loop();
    server_t server;
    int status = 0;
    if (server_start(&server, loop, &cfg, err, sizeof(err)) != 0) {
        char q[1100];
        log_error("start_failed", "error=%s", log_quote(q, sizeof(q), err));
        fprintf(stderr, "thiduad: %s\n", err);
        status = 1;
        server_stop(&server);
    }
    uv_run(loop, UV_RUN_DEFAULT);
    server_free(&server);
    if (uv_loop_close(loop) != 0)
        log_warn("loop_not_clean", NULL);
    text_cleanup();
    u_cleanup();
    config_free(&cfg);
    return status;
}
