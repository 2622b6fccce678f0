/*
 * config.h - thiduad's configuration: an INI file (libinih) with
 * command-line flags on top.
 *
 * The file is optional; flags override it; defaults fill the rest. Loading
 * checks syntax and ranges; config_check_files() then checks that the files
 * named exist, are readable and that private keys are not readable by others,
 * so thiduad refuses to start with one clear sentence rather than failing on
 * the first connection.
 */
#ifndef THIDUAD_CONFIG_H
#define THIDUAD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "confutil.h"
#include "defs.h"
#include "log.h"

/* Owns every string it points to; free with config_free(). */
typedef struct server_config {
    char *path; /* the INI file read, or NULL */

    char listen_host[CONFUTIL_HOST_MAX];
    uint16_t listen_port;
    uint64_t handshake_timeout_ms;
    uint64_t idle_timeout_ms;
    uint64_t max_session_lifetime_ms; /* a session older than this is ended at its next read */
    uint64_t shutdown_timeout_ms; /* how long in-flight requests may take after SIGTERM */
    uint32_t max_frame;
    uint32_t max_batch;
    uint32_t max_pull;
    uint32_t max_in_flight;
    uint64_t max_write_queue; /* bytes queued for one connection before it stops being read */
    uint32_t max_connections;        /* sessions (past Hello) served at once */
    /* Days after its last day that a closed unit's certificate is still let in. */
    uint32_t closed_unit_grace_days;
    uint32_t max_handshakes;         /* connections not yet past Hello, all addresses */
    uint32_t max_handshakes_per_address;
    uint32_t frame_min_rate; /* bytes/s a frame must arrive at, after FRAME_RATE_GRACE_MS */

    char *tls_cert;
    char *tls_key;
    char *tls_ca;
    char *tls_crl; /* NULL: no CRL */

    char *db_conninfo;
    uint32_t db_pool_size;
    /* Database jobs of one client certificate in flight at once; 0 (unset): db_pool_size. */
    uint32_t db_max_jobs_per_certificate;
    uint64_t db_statement_timeout_ms;
    /* Group commit (pushgroup.h): records of one group at most, 0 = every push alone; and how
     * long the first push of a group waits for others. */
    uint32_t group_max_records;
    uint64_t group_wait_ms;
    char *campaign; /* campaign code served; NULL: the newest */

    log_level_t log_level;

    /* [metrics] listen: the health and metrics endpoint (metrics.h); off unless set. */
    bool metrics_enabled;
    char metrics_host[CONFUTIL_HOST_MAX]; /* "" is taken as 127.0.0.1 */
    uint16_t metrics_port;
} server_config_t;

/* Defaults only. */
void config_init(server_config_t *cfg);
void config_free(server_config_t *cfg);

/* Read an INI file into cfg; -1 with a sentence naming the file, line and key. */
THIDUA_MUSTCHECK int config_load_file(server_config_t *cfg, const char *path, char *err,
                                      size_t errlen);

/*
 * Set one option by its INI section and key ("tls", "cert"); flags use the
 * same entry point so that the file and the command line cannot disagree on
 * syntax. -1 for an unknown key or a bad value, with the reason in err.
 */
THIDUA_MUSTCHECK int config_set(server_config_t *cfg, const char *section, const char *key,
                                const char *value, char *err, size_t errlen);

/* Required settings present, files readable, keys private. */
THIDUA_MUSTCHECK int config_check(const server_config_t *cfg, char *err, size_t errlen);

#endif
