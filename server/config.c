/*
 * config.c - thiduad's INI file and flags.
 *
 * One table maps (section, key) to a setter, used both for the file and for
 * command-line flags, so a value means the same wherever it is given.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tls.h"

typedef int (*config_setter_fn)(server_config_t *cfg, const char *value, char *err,
                                size_t errlen);

typedef struct {
    const char *section;
    const char *key;
    config_setter_fn set;
} config_option_t;

#define CONFIG_STRING_SETTER(name, field)                                                          \
    static int name(server_config_t *cfg, const char *value, char *err, size_t errlen)             \
    {                                                                                              \
        if (confutil_set_string(&cfg->field, value) != 0) {                                        \
            snprintf(err, errlen, "out of memory");                                                \
            return -1;                                                                             \
        }                                                                                          \
        return 0;                                                                                  \
    }

CONFIG_STRING_SETTER(set_tls_cert, tls_cert)
CONFIG_STRING_SETTER(set_tls_key, tls_key)
CONFIG_STRING_SETTER(set_tls_ca, tls_ca)
CONFIG_STRING_SETTER(set_tls_crl, tls_crl)
CONFIG_STRING_SETTER(set_db, db_conninfo)
CONFIG_STRING_SETTER(set_campaign, campaign)

static int set_listen(server_config_t *cfg, const char *value, char *err, size_t errlen)
{
    return confutil_hostport(value, cfg->listen_host, &cfg->listen_port, err, errlen);
}

#define CONFIG_DURATION_SETTER(name, field, min, max)                                              \
    static int name(server_config_t *cfg, const char *value, char *err, size_t errlen)             \
    {                                                                                              \
        return confutil_duration_ms(value, min, max, &cfg->field, err, errlen);                    \
    }

CONFIG_DURATION_SETTER(set_handshake_timeout, handshake_timeout_ms, 100, 3600 * 1000)
CONFIG_DURATION_SETTER(set_idle_timeout, idle_timeout_ms, 100, 24 * 3600 * 1000)
CONFIG_DURATION_SETTER(set_max_session_lifetime, max_session_lifetime_ms, 0,
                       30ULL * 24 * 3600 * 1000)
CONFIG_DURATION_SETTER(set_shutdown_timeout, shutdown_timeout_ms, 0, 3600 * 1000)
CONFIG_DURATION_SETTER(set_statement_timeout, db_statement_timeout_ms, 0, 3600 * 1000)
/* A push waits up to group_wait before it even leaves for the database: keep it short. */
CONFIG_DURATION_SETTER(set_group_wait, group_wait_ms, 0, 1000)

#define CONFIG_U32_SETTER(name, field, min, max)                                                   \
    static int name(server_config_t *cfg, const char *value, char *err, size_t errlen)             \
    {                                                                                              \
        uint64_t v;                                                                                \
        if (confutil_size(value, min, max, &v, err, errlen) != 0)                                  \
            return -1;                                                                             \
        cfg->field = (uint32_t)v;                                                                  \
        return 0;                                                                                  \
    }

/* A frame must hold at least a full batch of small records; 1 GiB is far past any use. */
CONFIG_U32_SETTER(set_max_frame, max_frame, 1024, 1024ULL * 1024 * 1024)
CONFIG_U32_SETTER(set_max_batch, max_batch, 1, 100000)
CONFIG_U32_SETTER(set_max_pull, max_pull, 1, 100000)
CONFIG_U32_SETTER(set_max_in_flight, max_in_flight, 1, 10000)
CONFIG_U32_SETTER(set_max_connections, max_connections, 1, 1000000)
CONFIG_U32_SETTER(set_closed_unit_grace_days, closed_unit_grace_days, 0, 3660)
CONFIG_U32_SETTER(set_pool_size, db_pool_size, 1, 256)
CONFIG_U32_SETTER(set_max_handshakes, max_handshakes, 1, 1000000)
CONFIG_U32_SETTER(set_max_handshakes_per_address, max_handshakes_per_address, 1, 1000000)
/* 0 turns the check off; 1 MiB/s would cut honest offices on weak links. */
CONFIG_U32_SETTER(set_frame_min_rate, frame_min_rate, 0, 1024 * 1024)
/* Past pool_size times the pool's pipeline depth a cap no longer holds anyone back. */
CONFIG_U32_SETTER(set_max_jobs_per_certificate, db_max_jobs_per_certificate, 1, 4096)
CONFIG_U32_SETTER(set_group_max_records, group_max_records, 0, 100000)

static int set_max_write_queue(server_config_t *cfg, const char *value, char *err, size_t errlen)
{
    return confutil_size(value, 4096, 1ULL << 32, &cfg->max_write_queue, err, errlen);
}

/* The endpoint has no authentication: an address, never a name that could resolve elsewhere. */
static int set_metrics_listen(server_config_t *cfg, const char *value, char *err, size_t errlen)
{
    cfg->metrics_enabled = false;
    if (value[0] == '\0')
        return 0;
    if (confutil_hostport(value, cfg->metrics_host, &cfg->metrics_port, err, errlen) != 0)
        return -1;
    if (cfg->metrics_host[0] == '\0')
        snprintf(cfg->metrics_host, sizeof(cfg->metrics_host), "127.0.0.1");
    unsigned char addr[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, cfg->metrics_host, addr) != 1 &&
        inet_pton(AF_INET6, cfg->metrics_host, addr) != 1) {
        snprintf(err, errlen, "'%s' is not an IP address (e.g. 127.0.0.1:9464)", cfg->metrics_host);
        return -1;
    }
    cfg->metrics_enabled = true;
    return 0;
}

static int set_log_level(server_config_t *cfg, const char *value, char *err, size_t errlen)
{
    if (log_level_parse(value, &cfg->log_level) != 0) {
        snprintf(err, errlen, "'%s' is not a log level (error, warn, info, debug)", value);
        return -1;
    }
    return 0;
}

static const config_option_t config_options[] = {
    {"server", "listen", set_listen},
    {"server", "handshake_timeout", set_handshake_timeout},
    {"server", "idle_timeout", set_idle_timeout},
    {"server", "max_session_lifetime", set_max_session_lifetime},
    {"server", "shutdown_timeout", set_shutdown_timeout},
    {"server", "max_frame", set_max_frame},
    {"server", "max_batch", set_max_batch},
    {"server", "max_pull", set_max_pull},
    {"server", "max_in_flight", set_max_in_flight},
    {"server", "max_write_queue", set_max_write_queue},
    {"server", "max_connections", set_max_connections},
    {"server", "closed_unit_grace_days", set_closed_unit_grace_days},
    {"server", "frame_min_rate", set_frame_min_rate},
    {"server", "max_handshakes", set_max_handshakes},
    {"server", "max_handshakes_per_address", set_max_handshakes_per_address},
    {"server", "campaign", set_campaign},
    {"tls", "cert", set_tls_cert},
    {"tls", "key", set_tls_key},
    {"tls", "ca", set_tls_ca},
    {"tls", "crl", set_tls_crl},
    {"database", "conninfo", set_db},
    {"database", "pool_size", set_pool_size},
    {"database", "max_jobs_per_certificate", set_max_jobs_per_certificate},
    {"database", "statement_timeout", set_statement_timeout},
    {"database", "group_max_records", set_group_max_records},
    {"database", "group_wait", set_group_wait},
    {"log", "level", set_log_level},
    {"metrics", "listen", set_metrics_listen},
};

void config_init(server_config_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->listen_host, sizeof(cfg->listen_host), "0.0.0.0");
    cfg->listen_port = 7443;
    cfg->handshake_timeout_ms = 10 * 1000;
    cfg->idle_timeout_ms = 300 * 1000;
    cfg->max_session_lifetime_ms = 24 * 3600 * 1000;
    cfg->shutdown_timeout_ms = 10 * 1000;
    cfg->max_frame = 4u * 1024 * 1024;
    cfg->max_batch = 500;
    cfg->max_pull = 1000;
    cfg->max_in_flight = 32;
    cfg->max_write_queue = 8u * 1024 * 1024;
    cfg->max_connections = 10000;
    cfg->closed_unit_grace_days = 90;
    cfg->frame_min_rate = 512;
    cfg->max_handshakes = 1000;
    /* Offices behind one provincial NAT share an address: room for many of them at once. */
    cfg->max_handshakes_per_address = 256;
    cfg->db_pool_size = 4;
    cfg->db_statement_timeout_ms = 30 * 1000;
    cfg->group_max_records = 1000;
    cfg->group_wait_ms = 2;
    cfg->log_level = LOG_INFO;
}

void config_free(server_config_t *cfg)
{
    free(cfg->path);
    free(cfg->tls_cert);
    free(cfg->tls_key);
    free(cfg->tls_ca);
    free(cfg->tls_crl);
    free(cfg->db_conninfo);
    free(cfg->campaign);
    memset(cfg, 0, sizeof(*cfg));
}

int config_set(server_config_t *cfg, const char *section, const char *key, const char *value,
               char *err, size_t errlen)
{
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(config_options); i++) {
        const config_option_t *o = &config_options[i];
        if (strcmp(o->section, section) == 0 && strcmp(o->key, key) == 0) {
            char why[256];
            if (o->set(cfg, value, why, sizeof(why)) != 0) {
                snprintf(err, errlen, "[%s] %s: %s", section, key, why);
                return -1;
            }
            return 0;
        }
    }
    snprintf(err, errlen, "unknown setting [%s] %s", section, key);
    return -1;
}

typedef struct {
    server_config_t *cfg;
    char *err;
    size_t errlen;
    int failed;
} config_load_state_t;

static int config_ini_handler(void *user, const char *section, const char *key, const char *value)
{
    config_load_state_t *st = user;
    if (st->failed)
        return 0;
    if (config_set(st->cfg, section, key, value, st->err, st->errlen) != 0) {
        st->failed = 1;
        return 0;
    }
    return 1;
}

int config_load_file(server_config_t *cfg, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "cannot read configuration file %s: %s", path, strerror(errno));
        return -1;
    }
    char why[512] = "";
    config_load_state_t st = {cfg, why, sizeof(why), 0};
    int line = ini_parse_file(f, config_ini_handler, &st);
    fclose(f);
    if (line != 0) {
        if (line > 0)
            snprintf(err, errlen, "%s line %d: %s", path, line, why[0] ? why : "syntax error");
        else
            snprintf(err, errlen, "%s: cannot parse (%d)", path, line);
        return -1;
    }
    if (confutil_set_string(&cfg->path, path) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static int config_check_readable(const char *what, const char *path, char *err, size_t errlen)
{
    if (path == NULL || path[0] == '\0') {
        snprintf(err, errlen, "%s is not set", what);
        return -1;
    }
    if (access(path, R_OK) != 0) {
        snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
        return -1;
    }
    return 0;
}

int config_check(const server_config_t *cfg, char *err, size_t errlen)
{
    if (config_check_readable("[tls] cert", cfg->tls_cert, err, errlen) != 0 ||
        config_check_readable("[tls] key", cfg->tls_key, err, errlen) != 0 ||
        config_check_readable("[tls] ca", cfg->tls_ca, err, errlen) != 0)
        return -1;
    if (cfg->tls_crl != NULL && config_check_readable("[tls] crl", cfg->tls_crl, err, errlen) != 0)
        return -1;
    if (tls_check_key_permissions(cfg->tls_key, err, errlen) != 0)
        return -1;
    if (cfg->db_conninfo == NULL) {
        snprintf(err, errlen, "[database] conninfo is not set (a libpq connection string, "
                              "e.g. \"host=/var/run/postgresql dbname=thidua\")");
        return -1;
    }
    return 0;
}
