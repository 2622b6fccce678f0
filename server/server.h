/*
 * server.h - thiduad's process-wide state: the listener, signals, the pool,
 * the catalog, the counters, and every connection (conn.h) with its
 * requests (req.h).
 *
 * One libuv loop serves every connection. A connection (conn_t) owns its TLS
 * stream, frame decoder and unpack arena; each request it reads becomes a
 * req_t that is answered either at once (Hello, Ping) or when its database
 * job completes. Responses leave in the order the requests arrived, whatever
 * order the database answers in, so a client can pipeline freely.
 */
#ifndef THIDUAD_SERVER_H
#define THIDUAD_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "catalog.h"
#include "config.h"
#include "dbpool.h"
#include "envelope.h"
#include "frame.h"
#include "thidua.pb-c.h"
#include "tlsconn.h"
#include "version.h"


typedef struct server server_t;
typedef struct conn conn_t;
typedef struct req req_t;

/* Counters exported for monitoring. */
typedef struct server_stats {
    uint64_t conns_accepted;
    uint64_t conns_refused; /* TLS or identity refused */
    uint64_t requests[64];  /* by Envelope body case (index < 64) */
    uint64_t acks[8];       /* by RecordAck.Status */
    uint64_t errors_sent;
} server_stats_t;

struct server {
    uv_loop_t *loop;
    server_config_t *cfg; /* borrowed from main */
    SSL_CTX *tls;         /* owned reference; new connections take their own */
    dbpool_t *db;         /* owned */
    struct pushgroup *group; /* owned: group commit of pushes (pushgroup.h) */
    struct synchealth *health; /* owned: the units' sync-health notes (synchealth.h) */
    catalog_t *catalog;   /* owned */
    struct metrics *metrics; /* owned: the [metrics] endpoint, or NULL (metrics.h) */
    uv_tcp_t listener;
    uv_signal_t sig_term, sig_int, sig_hup;
    uv_timer_t stop_timer;
    conn_t *conns; /* every connection not yet freed (intrusive list) */
    size_t nconns;
    size_t nhandshaking; /* of nconns, those not yet past Hello (conn.c) */
    bool stopping;
    bool listener_open;
    bool released; /* handles closed, pool closing: the loop is ending */
    bool catalog_reloading; /* a catalog is being read (server.c) */
    bool catalog_again;     /* read it once more when that read ends: asked for meanwhile */
    struct catalog_waiter *catalog_waiters; /* owned: callbacks for the next read (server.c) */
    int exit_code;
    server_stats_t stats;
};

/* Start listening and serving; the loop runs in main. */
THIDUA_MUSTCHECK int server_start(server_t *s, uv_loop_t *loop, server_config_t *cfg,
                                  char *err, size_t errlen);
/* Stop accepting, let requests in flight finish (bounded), close everything. */
void server_stop(server_t *s);
/*
 * Read the catalog again on the thread pool (SIGHUP; a reorganisation, a
 * campaign created).
 * With cb, cb(data, ok) runs once a catalog read that started after this
 * call is in place (ok) or has failed; from inside this call only when the
 * read cannot even be queued (out of memory). Sessions open keep theirs; new
 * ones get the new catalog.
 */
typedef void (*server_catalog_cb)(void *data, bool ok);
void server_reload_catalog(server_t *s, server_catalog_cb cb, void *data);
/* Free what is left once the loop has ended. */
void server_free(server_t *s);

/* The prepared statements every database connection gets (the table is in server.c). */
extern const dbpool_prepared_t server_statements[];
extern const size_t server_nstatements;

/* The connection and the request: every handler needs both. */
#include "conn.h"
#include "req.h"

#endif
