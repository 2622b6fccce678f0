/*
 * server.c - start, signals and graceful stop of thiduad.
 *
 * Start-up does the blocking work before the loop serves anyone: migrations,
 * the catalog, the TLS context. After that nothing blocks: the database is
 * reached only through the pool.
 *
 * Stop (SIGTERM, SIGINT): close the listener, close idle connections, let
 * each busy one finish the requests it has (reading nothing new), close it
 * with close_notify once drained, and after shutdown_timeout cut whatever is
 * left. When the last connection is gone the pool closes and the loop ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "log.h"
#include "migrate.h"
#include "metrics.h"
#include "pushgroup.h"
#include "synchealth.h"
#include "server.h"

const dbpool_prepared_t server_statements[] = {
    /* A group of pushes (pushgroup.c; sql/015_group_commit.sql): callers, certificates, batches. */
    {"push_many",
     "SELECT grp, ord, record_id, revision, result, change_seq, field, message, record_status,"
     "       stored_revision"
     "  FROM thidua.push_many($1::bigint[], $2::bytea[], $3::jsonb)",
     3, NULL},
    /* After a push committed: number pending changes, then each pushed revision's position
     * (sql/014_feed_deferred.sql). */
    {"feed_positions", "SELECT ord, seq FROM thidua.feed_positions($1::uuid[], $2::integer[])", 2,
     NULL},
    /* Before a pull's page: number what a push left pending, unless someone is numbering. */
    {"feed_sequence", "SELECT thidua.feed_sequence(false)", 0, NULL},
    /* $4: the page's byte budget (pull.c, pull_budget; sql/011_pull_bytes.sql). */
    {"pull", "SELECT * FROM thidua.pull($1::bigint, $2::bigint, $3::integer, $4::bigint)", 4, NULL},
    /* After a pull's page, in its job: the feed's last position, so a cursor beyond it shows. */
    {"feed_last", "SELECT last_seq FROM thidua.feed_counter", 0, NULL},
    /* Province requests (review.c, award.c, report.c; sql/004_review.sql). */
    {"list_count",
     "SELECT thidua.list_count($1::bigint, $2::text, $3::text, $4::text, $5::text, $6::text,"
     "       $7::text, $8::boolean)",
     8, NULL},
    {"list_records",
     "SELECT * FROM thidua.list_records($1::bigint, $2::text, $3::text, $4::text, $5::text,"
     "       $6::text, $7::text, $8::boolean, $9::integer, $10::integer)",
     10, NULL},
    {"record_get", "SELECT * FROM thidua.record_get($1::bigint, $2::uuid)", 2, NULL},
    /* A page of a record's history (sql/010_history_page.sql): before, limit, byte budget. */
    {"record_history_page",
     "SELECT * FROM thidua.record_history_page($1::bigint, $2::uuid, $3::bigint, $4::integer,"
     "       $5::bigint)",
     5, NULL},
    {"decide",
     "SELECT * FROM thidua.decide($1::bigint, $2::bytea, $3::uuid, $4::integer, $5::text,"
     "       $6::text)",
     6, NULL},
    {"award",
     "SELECT * FROM thidua.award($1::bigint, $2::bytea, $3::text, $4::text, $5::text, $6::text,"
     "       $7::text, $8::uuid[])",
     8, NULL},
    {"revoke",
     "SELECT * FROM thidua.revoke($1::bigint, $2::bytea, $3::uuid, $4::text, $5::text, $6::text,"
     "       $7::text, $8::text)",
     8, NULL},
    {"report_counts", "SELECT * FROM thidua.report_counts($1::bigint, $2::text)", 2, NULL},
    {"report_awardees", "SELECT * FROM thidua.report_awardees($1::bigint, $2::text)", 2, NULL},
    {"report_sync", "SELECT * FROM thidua.report_sync($1::bigint, $2::text)", 2, NULL},
    {"report_successions", "SELECT * FROM thidua.report_successions($1::bigint, $2::text)", 2,
     NULL},
    {"units_list", "SELECT * FROM thidua.units_list($1::date)", 1, NULL},
    {"issuer_get", "SELECT * FROM thidua.issuer_get($1::bigint, $2::text, $3::date)", 3, NULL},
    {"issuer_set", "SELECT * FROM thidua.issuer_set($1::bigint, $2::bytea, $3::text, $4::jsonb)", 4,
     NULL},
    {"decision_settings",
     "SELECT * FROM thidua.decision_settings($1::bigint, $2::text, $3::integer, $4::text)", 4, NULL},
    {"decision_document",
     "SELECT * FROM thidua.decision_document($1::bigint, $2::text, $3::integer, $4::text)", 4, NULL},
    {"units_reorganise",
     "SELECT * FROM thidua.units_reorganise($1::bigint, $2::bytea, $3::jsonb, $4::boolean)", 4,
     NULL},
    /* Campaigns as data (campaigns.c; sql/019_campaigns.sql): the list (or one), a creation. */
    {"campaign_list", "SELECT * FROM thidua.campaign_list($1::bigint, $2::text)", 2, NULL},
    {"campaign_create",
     "SELECT thidua.campaign_create($1::bigint, $2::bytea, $3::jsonb, $4::boolean)", 4, NULL},
    /* The sync-health notes of a second (synchealth.c): units, pushes, pulls, refused records. */
    {"sync_notes",
     "SELECT thidua.sync_notes($1::bigint[], $2::integer[], $3::integer[], $4::bigint[])", 4, NULL},
};
const size_t server_nstatements = THIDUA_ARRAY_LEN(server_statements);

static void server_on_connection(uv_stream_t *listener, int status)
{
    server_t *s = listener->data;
    if (status < 0) {
        log_warn("accept_error", "error=%s", uv_strerror(status));
        return;
    }
    if (s->stopping)
        return;
    conn_accept(s);
}

static int server_reload_tls(server_t *s, char *err, size_t errlen)
{
    tls_files_t files = {
        .ca_file = s->cfg->tls_ca,
        .cert_file = s->cfg->tls_cert,
        .key_file = s->cfg->tls_key,
        .crl_file = s->cfg->tls_crl,
    };
    SSL_CTX *ctx = tls_server_ctx_new(&files, err, errlen);
    if (ctx == NULL)
        return -1;
    /* Connections keep the context they started with (SSL holds a reference). */
    if (s->tls != NULL)
        SSL_CTX_free(s->tls);
    s->tls = ctx;
    return 0;
}

/* Who waits for a catalog read: a request that changed what the catalog holds (campaigns.c). */
typedef struct catalog_waiter {
    struct catalog_waiter *next;
    server_catalog_cb cb;
    void *data;
} catalog_waiter_t;

/* A catalog being read on the thread pool: the loop never waits for PostgreSQL. */
typedef struct catalog_reload {
    uv_work_t work;
    server_t *server;
    catalog_t *catalog;         /* the new one, or NULL */
    catalog_waiter_t *waiters;  /* owned: those that asked before this read started */
    char err[512];
} catalog_reload_t;

static void server_catalog_read(uv_work_t *w)
{
    catalog_reload_t *cr = w->data;
    const server_config_t *cfg = cr->server->cfg;
    PGconn *db = PQconnectdb(cfg->db_conninfo);
    if (PQstatus(db) != CONNECTION_OK)
        snprintf(cr->err, sizeof(cr->err), "cannot connect to PostgreSQL: %s",
                 PQerrorMessage(db));
    else if (catalog_load(db, cfg->campaign, &cr->catalog, cr->err, sizeof(cr->err)) != 0)
        cr->catalog = NULL;
    PQfinish(db);
}

static void server_catalog_notify(catalog_waiter_t *w, bool ok)
{
    while (w != NULL) {
        catalog_waiter_t *next = w->next;
        w->cb(w->data, ok);
        free(w);
        w = next;
    }
}

static void server_catalog_swap(uv_work_t *w, int status);

/* Start a read for every waiter so far; the read under way, if any, has finished. */
static void server_catalog_start(server_t *s)
{
    catalog_waiter_t *waiters = s->catalog_waiters;
    s->catalog_waiters = NULL;
    s->catalog_again = false;
    catalog_reload_t *cr = calloc(1, sizeof(*cr));
    if (cr == NULL) {
        log_error("reload_failed", "what=catalog error=\"out of memory\"");
        server_catalog_notify(waiters, false);
        return;
    }
    cr->server = s;
    cr->waiters = waiters;
    cr->work.data = cr;
    if (uv_queue_work(s->loop, &cr->work, server_catalog_read, server_catalog_swap) != 0) {
        log_error("reload_failed", "what=catalog error=\"cannot queue the work\"");
        free(cr);
        server_catalog_notify(waiters, false);
        return;
    }
    s->catalog_reloading = true;
}

/*
 * Sessions already open keep the catalog they started with (catalog.h);
 * every Hello from now on is checked against the new one, so a unit closed
 * or opened since the start (a reform, a new day) or a campaign created
 * counts at once.
 */
static void server_catalog_swap(uv_work_t *w, int status)
{
    catalog_reload_t *cr = w->data;
    server_t *s = cr->server;
    catalog_waiter_t *waiters = cr->waiters;
    bool ok = false;
    s->catalog_reloading = false;
    if (status != 0 || cr->catalog == NULL) {
        char q[600];
        log_error("reload_failed", "what=catalog error=%s",
                  log_quote(q, sizeof(q), status != 0 ? uv_strerror(status) : cr->err));
    } else if (s->released) {
        catalog_unref(cr->catalog);
    } else {
        catalog_unref(s->catalog);
        s->catalog = cr->catalog;
        ok = true;
        log_info("reload", "what=catalog units=%zu campaigns=%zu campaign=%s", s->catalog->nunits,
                 s->catalog->ncampaigns, s->catalog->campaign->code);
    }
    free(cr);
    server_catalog_notify(waiters, ok);
    if (s->released) {
        server_catalog_notify(s->catalog_waiters, false);
        s->catalog_waiters = NULL;
    } else if (s->catalog_again || s->catalog_waiters != NULL) {
        server_catalog_start(s);
    }
}

void server_reload_catalog(server_t *s, server_catalog_cb cb, void *data)
{
    if (cb != NULL) {
        catalog_waiter_t *w = calloc(1, sizeof(*w));
        if (w == NULL) {
            cb(data, false);
            return;
        }
        *w = (catalog_waiter_t){s->catalog_waiters, cb, data};
        s->catalog_waiters = w;
    }
    /*
     * A read under way may have started before what the caller wrote was
     * committed: one more read follows it, for everyone who asked meanwhile.
     */
    if (s->catalog_reloading)
        s->catalog_again = true;
    else
        server_catalog_start(s);
}

/*
 * After a reload, every session's certificate against the new CA and CRL: a
 * certificate revoked since its handshake ends its session now, not when the
 * office next reconnects.
 */
static void server_recheck_sessions(server_t *s)
{
    for (conn_t *c = s->conns; c != NULL; c = c->next) {
        if (c->state < CONN_HELLO || c->state >= CONN_DRAINING)
            continue;
        char why[256], msg[400];
        if (tls_peer_recheck(s->tls, tlsconn_ssl(&c->tls), why, sizeof(why)) == 0)
            continue;
        char q[300];
        log_warn("session_revoked", "peer=%s unit=%s fp=%s reason=%s", c->peer_addr, c->unit_code,
                 c->fingerprint, log_quote(q, sizeof(q), why));
        snprintf(msg, sizeof(msg),
                 "this certificate is no longer accepted (%s): ask the "
                 "province for a new one",
                 why);
        conn_end(c, 0, THIDUA__V1__ERROR__CODE__PERMISSION_DENIED, NULL, false, msg);
    }
}

static void server_on_signal(uv_signal_t *h, int signum)
{
    server_t *s = h->data;
    if (signum == SIGHUP) {
        char err[512];
        if (server_reload_tls(s, err, sizeof(err)) != 0) {
            char q[600];
            log_error("reload_failed", "what=tls error=%s", log_quote(q, sizeof(q), err));
        } else {
            log_info("reload", "what=tls");
            server_recheck_sessions(s);
        }
        server_reload_catalog(s, NULL, NULL);
        return;
    }
    log_info("signal", "signal=%s", signum == SIGTERM ? "TERM" : "INT");
    server_stop(s);
}

static void server_on_stop_timeout(uv_timer_t *t)
{
    server_t *s = t->data;
    log_warn("shutdown_timeout", "connections=%zu", s->nconns);
    for (conn_t *c = s->conns; c != NULL; c = c->next) {
        if (c->state != CONN_CLOSED)
            tlsconn_abort(&c->tls);
    }
}

static int server_load(server_t *s, char *err, size_t errlen)
{
    int applied = 0;
    if (migrate_run(s->cfg->db_conninfo, &applied, err, errlen) != 0)
        return -1;

    PGconn *db = PQconnectdb(s->cfg->db_conninfo);
    if (PQstatus(db) != CONNECTION_OK) {
        snprintf(err, errlen, "cannot connect to PostgreSQL: %s", PQerrorMessage(db));
        PQfinish(db);
        return -1;
    }
    int rc = catalog_load(db, s->cfg->campaign, &s->catalog, err, errlen);
    PQfinish(db);
    if (rc != 0)
        return -1;
    log_info("catalog_loaded", "campaign=%s campaigns=%zu units=%zu categories=%zu award_forms=%zu",
             s->catalog->campaign->code, s->catalog->ncampaigns, s->catalog->nunits,
             s->catalog->campaign->n_categories, s->catalog->campaign->n_award_forms);
    return 0;
}

static int server_listen(server_t *s, char *err, size_t errlen)
{
    struct sockaddr_storage addr;
    int rc;
    const char *host = s->cfg->listen_host[0] ? s->cfg->listen_host : "0.0.0.0";
    if (strchr(host, ':') != NULL)
        rc = uv_ip6_addr(host, s->cfg->listen_port, (struct sockaddr_in6 *)&addr);
    else
        rc = uv_ip4_addr(host, s->cfg->listen_port, (struct sockaddr_in *)&addr);
    if (rc != 0) {
        snprintf(err, errlen, "[server] listen: '%s' is not an IP address", host);
        return -1;
    }
    uv_tcp_init(s->loop, &s->listener);
    s->listener.data = s;
    s->listener_open = true;
    rc = uv_tcp_bind(&s->listener, (const struct sockaddr *)&addr, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&s->listener, 511, server_on_connection);
    if (rc != 0) {
        snprintf(err, errlen, "cannot listen on %s:%u: %s", host, s->cfg->listen_port,
                 uv_strerror(rc));
        return -1;
    }
    struct sockaddr_storage bound;
    int len = sizeof(bound);
    char ip[64] = "?";
    int port = 0;
    if (uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &len) == 0) {
        if (bound.ss_family == AF_INET6) {
            uv_ip6_name((struct sockaddr_in6 *)&bound, ip, sizeof(ip));
            port = ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
        } else {
            uv_ip4_name((struct sockaddr_in *)&bound, ip, sizeof(ip));
            port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
        }
    }
    log_info("listening", "addr=%s port=%d version=%s", ip, port, THIDUA_SERVER_VERSION);
    return 0;
}

int server_start(server_t *s, uv_loop_t *loop, server_config_t *cfg, char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    s->loop = loop;
    s->cfg = cfg;
    /* Handles first: from here on server_stop() can always release everything. */
    uv_signal_init(loop, &s->sig_term);
    uv_signal_init(loop, &s->sig_int);
    uv_signal_init(loop, &s->sig_hup);
    uv_timer_init(loop, &s->stop_timer);
    s->sig_term.data = s->sig_int.data = s->sig_hup.data = s->stop_timer.data = s;

    if (server_reload_tls(s, err, errlen) != 0 || server_load(s, err, errlen) != 0)
        return -1;
    if (cfg->tls_crl == NULL || cfg->tls_crl[0] == '\0')
        log_warn("no_crl", "detail=\"[tls] crl is not set: a revoked certificate is still let "
                           "in\"");

    dbpool_config_t pc;
    dbpool_config_init(&pc);
    pc.conninfo = cfg->db_conninfo;
    pc.application_name = "thiduad";
    pc.size = cfg->db_pool_size;
    /* One office's share of the pool: by default one job per connection (docs/operations.md). */
    pc.owner_max_inflight = cfg->db_max_jobs_per_certificate != 0 ? cfg->db_max_jobs_per_certificate
                                                                  : cfg->db_pool_size;
    pc.statement_timeout_ms = (unsigned)cfg->db_statement_timeout_ms;
    pc.prepared = server_statements;
    pc.nprepared = server_nstatements;
    s->db = dbpool_new(loop, &pc);
    if (s->db == NULL) {
        snprintf(err, errlen, "cannot create the database pool (see the log above)");
        return -1;
    }
    s->group = pushgroup_new(s);
    s->health = synchealth_new(s);
    if (s->group == NULL || s->health == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }

    uv_signal_start(&s->sig_term, server_on_signal, SIGTERM);
    uv_signal_start(&s->sig_int, server_on_signal, SIGINT);
    uv_signal_start(&s->sig_hup, server_on_signal, SIGHUP);

    if (server_listen(s, err, errlen) != 0)
        return -1;
    if (cfg->metrics_enabled)
        return metrics_start(s, cfg->metrics_host, cfg->metrics_port, &s->metrics, err, errlen);
    return 0;
}

static void server_on_pool_closed(void *data)
{
    server_t *s = data;
    s->db = NULL;
    log_info("shutdown_done", NULL);
}

void server_stop(server_t *s)
{
    if (!s->stopping) {
        s->stopping = true;
        log_info("shutdown_begin", "connections=%zu", s->nconns);
        metrics_stop(s->metrics);
        s->metrics = NULL;
        if (s->listener_open) {
            uv_close((uv_handle_t *)&s->listener, NULL);
            s->listener_open = false;
        }
        for (conn_t *c = s->conns, *next; c != NULL; c = next) {
            next = c->next;
            if (c->state == CONN_CLOSED)
                continue;
            if (c->queue_head == NULL) {
                conn_close(c);
            } else if (!c->paused) {
                c->paused = true;
                tlsconn_read_stop(&c->tls);
            }
        }
        if (s->cfg->shutdown_timeout_ms > 0)
            uv_timer_start(&s->stop_timer, server_on_stop_timeout, s->cfg->shutdown_timeout_ms, 0);
    }
    if (s->nconns > 0 || s->released)
        return;
    s->released = true;
    /* Every connection is gone: release the rest so that the loop can end. */
    uv_close((uv_handle_t *)&s->stop_timer, NULL);
    uv_close((uv_handle_t *)&s->sig_term, NULL);
    uv_close((uv_handle_t *)&s->sig_int, NULL);
    uv_close((uv_handle_t *)&s->sig_hup, NULL);
    pushgroup_close(s->group); /* no connection is left, so no push waits in it */
    s->group = NULL;
    synchealth_close(s->health); /* its last notes go to the pool before it closes */
    s->health = NULL;
    if (s->db != NULL && dbpool_close(s->db, server_on_pool_closed, s) != 0)
        s->db = NULL;
}

void server_free(server_t *s)
{
    catalog_unref(s->catalog);
    s->catalog = NULL;
    if (s->tls != NULL)
        SSL_CTX_free(s->tls);
    s->tls = NULL;
}
