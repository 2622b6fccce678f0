/*
 * conn.h - one client connection (conn.c): its state through its life, its
 * identity from the certificate, its queue of requests in arrival order.
 */
#ifndef THIDUAD_CONN_H
#define THIDUAD_CONN_H

#include "server.h"

/*
 * A connection's whole life, in order; it only moves forward, and only
 * through conn_set_state() (conn.c). Backpressure (paused) is not a state:
 * an open connection is paused and resumed many times.
 */
typedef enum {
    CONN_HANDSHAKE = 0, /* TLS handshake under way */
    CONN_HELLO,         /* waiting for Hello */
    CONN_OPEN,          /* serving requests */
    CONN_DRAINING,      /* a fatal Error was answered: read nothing more, send what is queued */
    CONN_CLOSING,       /* TLS shutdown started; answers still in flight are dropped */
    CONN_CLOSED,        /* on_close has run; freed once no request is in flight */
} conn_state_t;

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
    bool paused;                    /* reading stopped for backpressure */
    /* Identity, from the certificate, checked against the catalog at Hello. */
    char unit_code[65];
    char role[33];
    char fingerprint[65];
    uint8_t fingerprint_raw[32];
    catalog_t *catalog; /* a reference, taken at Hello: the one unit points into */
    const catalog_unit_t *unit;
    Thidua__V1__Role role_enum;
    char peer_addr[64];
    /* Deadlines (uv_now, ms): TLS and Hello within handshake_timeout of the accept; a frame
     * in progress since frame_started must keep up frame_min_rate. */
    uint64_t accepted_at;
    uint64_t frame_started; /* 0: between frames */
    uint64_t frame_bytes;   /* bytes of the frame in progress received so far */
};

/* How long a frame may take before its rate is checked (frame_min_rate). */
#define FRAME_RATE_GRACE_MS 10000

/* Take the connection the listener has ready (server.c's on_connection). */
void conn_accept(server_t *s);
/* Start a polite close after the responses queued so far are written. */
void conn_close(conn_t *c);
/* Move c forward in its life (conn_state_t); a step back is ignored. */
void conn_set_state(conn_t *c, conn_state_t state);
/* End c with an Error after the responses queued so far (request_id 0: not a request's). */
void conn_end(conn_t *c, uint64_t request_id, Thidua__V1__Error__Code code, const char *field,
              bool retryable, const char *message);
/* Write every finished response at the head of c's queue, in order (req_respond calls it). */
void conn_flush(conn_t *c);

#endif
