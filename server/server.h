/*
 * server.h - thiduad's process-wide state and the connection model.
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
    catalog_t *catalog;   /* owned */
    struct metrics *metrics; /* owned: the [metrics] endpoint, or NULL (metrics.h) */
    uv_tcp_t listener;
    uv_signal_t sig_term, sig_int, sig_hup;
    uv_timer_t stop_timer;
    conn_t *conns; /* every connection not yet freed (intrusive list) */
    size_t nconns;
    bool stopping;
    bool listener_open;
    bool released; /* handles closed, pool closing: the loop is ending */
    int exit_code;
    server_stats_t stats;
};

typedef enum {
    CONN_HANDSHAKE = 0, /* TLS handshake under way */
    CONN_HELLO,         /* waiting for Hello */
    CONN_READY,         /* serving requests */
    CONN_CLOSING,       /* shutdown started; answers in flight are dropped */
} conn_state_t;

/*
 * A request in flight. Owned by its connection's queue; freed once its
 * response is written (or the connection is gone).
 */
struct req {
    conn_t *conn;
    req_t *next;
    uint64_t request_id;
    int body_case;
    uint64_t started_ns;
    frame_buf_t out; /* the response frame, once done */
    bool done;
    bool close_after; /* close the connection once this response is sent */
};

/*
 * One client connection. Freed when TLS has closed (on_close) and no request
 * is in flight: database callbacks may outlive the socket.
 */
struct conn {
    tlsconn_t tls; /* first: tlsconn_data() gives back the conn */
    server_t *server;
    conn_t *prev, *next;
    conn_state_t state;
    frame_decoder_t decoder;
    envelope_arena_t arena;
    req_t *queue_head, *queue_tail; /* in arrival order */
    unsigned in_flight;             /* requests in the queue */
    bool tls_closed;                /* on_close has run */
    bool paused;                    /* reading stopped for backpressure */
    bool doomed;                    /* a fatal error was answered: read nothing more */
    /* Identity, from the certificate, checked against the catalog at Hello. */
    char unit_code[65];
    char role[33];
    char fingerprint[65];
    uint8_t fingerprint_raw[32];
    const catalog_unit_t *unit;
    Thidua__V1__Role role_enum;
    char peer_addr[64];
};

/* Start listening and serving; the loop runs in main. */
THIDUA_MUSTCHECK int server_start(server_t *s, uv_loop_t *loop, server_config_t *cfg,
                                  char *err, size_t errlen);
/* Stop accepting, let requests in flight finish (bounded), close everything. */
void server_stop(server_t *s);
/* Free what is left once the loop has ended. */
void server_free(server_t *s);

/* ---- connections (conn.c) ---- */

void conn_accept(server_t *s);
/* Start a polite close after the responses queued so far are written. */
void conn_close(conn_t *c);

/* ---- requests (conn.c) ---- */

/* Answer req with body (an Envelope body message). */
void req_respond(req_t *r, const ProtobufCMessage *body);
/* Answer req with an Error. */
void req_error(req_t *r, Thidua__V1__Error__Code code, const char *field, bool retryable,
               const char *fmt, ...) THIDUA_PRINTF(5, 6);

/* The prepared statements every database connection gets (the table is in server.c). */
extern const dbpool_prepared_t server_statements[];
extern const size_t server_nstatements;

#endif
