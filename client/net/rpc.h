/*
 * rpc.h - the client's connection to thiduad: TLS, Hello/Welcome, requests.
 *
 * The client runs its own libuv loop only while it waits for answers, so the
 * commands read like straight-line code (rpc_call) yet can pipeline several
 * requests (rpc_send, then rpc_wait) on one connection, which is what makes a
 * sync over a slow link fast.
 *
 * "Connected" means the server answered Hello with Welcome: under TLS 1.3 a
 * refused certificate only shows on the first read, so rpc_open() waits for
 * Welcome before it returns.
 */
#ifndef THIDUA_RPC_H
#define THIDUA_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "clientcfg.h"
#include "defs.h"
#include "envelope.h"
#include "frame.h"
#include "thidua.pb-c.h"
#include "tlsconn.h"
#include "error.h"

typedef struct rpc rpc_t;

/*
 * Errors: negative TD_E* codes of error.h. This module returns:
 *   TD_ECONNECT could not reach the server, or the connection broke
 *   TD_EREFUSED the server refused us: certificate, role, unit, version
 *   TD_EPROTO   the server sent something we cannot read
 *   TD_ECONFIG  our own files: CA, certificate, key
 *   TD_ENOMEM
 */

/*
 * Called with the response to one request (env, valid only during the call;
 * raw/len are its bytes), or with env NULL when the connection failed first
 * (rpc_error() says why).
 */
typedef void (*rpc_cb)(rpc_t *rpc, const Thidua__V1__Envelope *env, const uint8_t *raw,
                       size_t len, void *arg);

typedef struct rpc_pending rpc_pending_t;

/* One connection. Owns the loop, the TLS context, the Welcome. */
struct rpc {
    uv_loop_t loop;
    SSL_CTX *ctx;
    tlsconn_t tls;
    bool tls_started;
    bool closed;     /* on_close ran */
    int error; /* first failure */
    char message[512];
    frame_decoder_t decoder;
    envelope_arena_t arena;
    rpc_pending_t *head, *tail; /* requests waiting for an answer, in order */
    size_t pending;
    uint64_t next_id;
    Thidua__V1__Welcome *welcome; /* owned (protobuf-c default allocator) */
    uint64_t timeout_ms;          /* longest wait for one answer */
    uv_timer_t timer;
};

/*
 * Connect to the configured server, say Hello, wait for Welcome. On failure
 * returns a TD_E* code, with a sentence for the officer in err, and the rpc
 * is already cleaned up.
 */
THIDUA_MUSTCHECK int rpc_open(rpc_t *rpc, const client_config_t *cfg, char *err, size_t errlen);

/* Send a request (an Envelope body message) without waiting. */
THIDUA_MUSTCHECK int rpc_send(rpc_t *rpc, const ProtobufCMessage *body, rpc_cb cb, void *arg);

/* Run the loop until at most `max_pending` requests wait, or the connection fails. */
THIDUA_MUSTCHECK int rpc_wait(rpc_t *rpc, size_t max_pending);

/*
 * Send and wait. *reply is a copy the caller frees with
 * thidua__v1__envelope__free_unpacked(*reply, NULL). An Error from the server
 * is a reply like any other (check body_case).
 */
THIDUA_MUSTCHECK int rpc_call(rpc_t *rpc, const ProtobufCMessage *body,
                              Thidua__V1__Envelope **reply);

/* Close politely (close_notify) and free everything. */
void rpc_close(rpc_t *rpc);

const char *rpc_error(const rpc_t *rpc);

#endif
