/*
 * rpc.c - the client's connection to thiduad.
 */
#include "rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "version.h"

struct rpc_pending {
    rpc_pending_t *next;
    uint64_t request_id;
    rpc_cb cb;
    void *arg;
};

const char *rpc_error(const rpc_t *rpc)
{
    return rpc->message;
}

static void rpc_fail(rpc_t *rpc, int err, const char *msg)
{
    if (rpc->error == TD_OK) {
        rpc->error = err;
        snprintf(rpc->message, sizeof(rpc->message), "%s", msg);
    }
    /* Everyone waiting learns that no answer will come. */
    while (rpc->head != NULL) {
        rpc_pending_t *p = rpc->head;
        rpc->head = p->next;
        rpc->pending--;
        p->cb(rpc, NULL, NULL, 0, p->arg);
        free(p);
    }
    rpc->tail = NULL;
    if (rpc->tls_started && !rpc->closed)
        tlsconn_abort(&rpc->tls);
}

static void rpc_on_read(tlsconn_t *t, const char *data, size_t len)
{
    rpc_t *rpc = tlsconn_data(t);
    if (frame_decoder_feed(&rpc->decoder, data, len) != 0) {
        rpc_fail(rpc, TD_EPROTO, frame_decoder_strerror(&rpc->decoder));
        return;
    }
    for (;;) {
        frame_t f;
        int rc = frame_decoder_next(&rpc->decoder, &f);
        if (rc == 0)
            break;
        if (rc < 0) {
            rpc_fail(rpc, TD_EPROTO, frame_decoder_strerror(&rpc->decoder));
            return;
        }
        Thidua__V1__Envelope *env;
        envelope_error_t err;
        if (envelope_unpack(&rpc->arena, f.data, f.len, &env, &err) != 0) {
            char msg[400];
            snprintf(msg, sizeof(msg), _("the server sent an unreadable answer: %s"), err.message);
            rpc_fail(rpc, TD_EPROTO, msg);
            return;
        }
        rpc_pending_t *p = rpc->head;
        if (p == NULL || (env->request_id != p->request_id && env->request_id != 0)) {
            rpc_fail(rpc, TD_EPROTO, _("the server answered a request we did not send"));
            return;
        }
        /* request_id 0: an Error about the connection itself, for the oldest request. */
        rpc->head = p->next;
        if (rpc->head == NULL)
            rpc->tail = NULL;
        rpc->pending--;
        p->cb(rpc, env, f.data, f.len, p->arg);
        free(p);
        if (rpc->closed || rpc->error != TD_OK)
            return;
    }
}

static void rpc_on_close(tlsconn_t *t, tlsconn_close_t reason, const char *message)
{
    rpc_t *rpc = tlsconn_data(t);
    rpc->closed = true;
    if (rpc->error != TD_OK)
        return;
    char msg[512];
    int err = TD_ECONNECT;
    switch (reason) {
    case TLSCONN_CLOSE_LOCAL:
        if (rpc->head == NULL)
            return; /* our own close, nothing was waiting */
        snprintf(msg, sizeof(msg), _("the connection was closed"));
        break;
    case TLSCONN_CLOSE_HANDSHAKE_TIMEOUT:
        snprintf(msg, sizeof(msg), _("the server did not answer in time"));
        break;
    case TLSCONN_CLOSE_ERROR:
        if (strstr(message, "refused our certificate") != NULL ||
            strstr(message, "certificate") != NULL)
            err = TD_EREFUSED;
        snprintf(msg, sizeof(msg), "%s", message);
        break;
    default:
        snprintf(msg, sizeof(msg), _("the server closed the connection%s%s"),
                 message[0] ? ": " : "", message);
        break;
    }
    rpc_fail(rpc, err, msg);
}

static void rpc_on_timer(uv_timer_t *t)
{
    rpc_t *rpc = t->data;
    if (rpc->head != NULL)
        rpc_fail(rpc, TD_ECONNECT, _("the server did not answer in time"));
}

int rpc_send(rpc_t *rpc, const ProtobufCMessage *body, rpc_cb cb, void *arg)
{
    if (rpc->error != TD_OK)
        return rpc->error;
    rpc_pending_t *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return TD_ENOMEM;
    frame_buf_t out;
    frame_buf_init(&out);
    envelope_error_t err;
    p->request_id = ++rpc->next_id;
    p->cb = cb;
    p->arg = arg;
    size_t max = rpc->welcome != NULL && rpc->welcome->limits != NULL
                     ? rpc->welcome->limits->max_frame : 0;
    if (envelope_pack(&out, p->request_id, body, max, &err) != 0) {
        frame_buf_free(&out);
        free(p);
        return err.code == TD_ENOMEM ? TD_ENOMEM : TD_EPROTO;
    }
    int rc = tlsconn_write(&rpc->tls, out.data, out.len);
    frame_buf_free(&out);
    if (rc != 0) {
        free(p);
        return TD_ECONNECT;
    }
    if (rpc->tail != NULL)
        rpc->tail->next = p;
    else
        rpc->head = p;
    rpc->tail = p;
    rpc->pending++;
    return 0;
}

int rpc_wait(rpc_t *rpc, size_t max_pending)
{
    while (rpc->pending > max_pending && rpc->error == TD_OK && !rpc->closed) {
        if (rpc->timeout_ms > 0)
            uv_timer_start(&rpc->timer, rpc_on_timer, rpc->timeout_ms, 0);
        uv_run(&rpc->loop, UV_RUN_ONCE);
    }
    uv_timer_stop(&rpc->timer);
    if (rpc->error != TD_OK)
        return rpc->error;
    if (rpc->pending > max_pending)
        return TD_ECONNECT;
    return 0;
}

static void rpc_copy_cb(rpc_t *rpc, const Thidua__V1__Envelope *env, const uint8_t *raw,
                        size_t len, void *arg)
{
    (void)rpc;
    Thidua__V1__Envelope **out = arg;
    /* Already validated (UTF-8, bounds) by envelope_unpack: a plain copy is safe. */
    *out = env != NULL ? thidua__v1__envelope__unpack(NULL, len, raw) : NULL;
}

int rpc_call(rpc_t *rpc, const ProtobufCMessage *body, Thidua__V1__Envelope **reply)
{
    *reply = NULL;
    int rc = rpc_send(rpc, body, rpc_copy_cb, reply);
    if (rc == 0)
        rc = rpc_wait(rpc, 0);
    if (rc == 0 && *reply == NULL)
        rc = TD_ENOMEM;
    return rc;
}

static void rpc_welcome_cb(rpc_t *rpc, const Thidua__V1__Envelope *env, const uint8_t *raw,
                           size_t len, void *arg)
{
    (void)arg;
    if (env == NULL)
        return;
    if (env->body_case == THIDUA__V1__ENVELOPE__BODY_ERROR) {
        char msg[512];
        /* A server that is busy or stopping has not refused us: try again later. */
        if (env->error->retryable) {
            snprintf(msg, sizeof(msg), _("the server cannot take us now: %s"), env->error->message);
            rpc_fail(rpc, TD_ECONNECT, msg);
            return;
        }
        snprintf(msg, sizeof(msg), _("the server refused the connection: %s"),
                 env->error->message);
        rpc_fail(rpc, TD_EREFUSED, msg);
        return;
    }
    if (env->body_case != THIDUA__V1__ENVELOPE__BODY_WELCOME) {
        rpc_fail(rpc, TD_EPROTO, _("the server did not answer Hello with Welcome"));
        return;
    }
    Thidua__V1__Envelope *copy = thidua__v1__envelope__unpack(NULL, len, raw);
    if (copy == NULL) {
        rpc_fail(rpc, TD_ENOMEM, _("out of memory"));
        return;
    }
    /* Keep only the Welcome: detach it from its envelope. */
    rpc->welcome = copy->welcome;
    copy->welcome = NULL;
    copy->body_case = THIDUA__V1__ENVELOPE__BODY__NOT_SET;
    thidua__v1__envelope__free_unpacked(copy, NULL);
}

static void rpc_release(rpc_t *rpc)
{
    if (rpc->tls_started && !rpc->closed) {
        tlsconn_shutdown(&rpc->tls);
        while (!rpc->closed)
            uv_run(&rpc->loop, UV_RUN_ONCE);
    }
    uv_close((uv_handle_t *)&rpc->timer, NULL);
    uv_run(&rpc->loop, UV_RUN_DEFAULT);
    (void)uv_loop_close(&rpc->loop);
    if (rpc->ctx != NULL)
        SSL_CTX_free(rpc->ctx);
    rpc->ctx = NULL;
    frame_decoder_free(&rpc->decoder);
    envelope_arena_free(&rpc->arena);
    if (rpc->welcome != NULL)
        thidua__v1__welcome__free_unpacked(rpc->welcome, NULL);
    rpc->welcome = NULL;
}

int rpc_open(rpc_t *rpc, const client_config_t *cfg, char *err, size_t errlen)
{
    memset(rpc, 0, sizeof(*rpc));
    rpc->timeout_ms = cfg->connect_timeout_ms * 6;
    if (uv_loop_init(&rpc->loop) != 0) {
        snprintf(err, errlen, _("cannot start the event loop"));
        return TD_ENOMEM;
    }
    uv_timer_init(&rpc->loop, &rpc->timer);
    rpc->timer.data = rpc;
    if (frame_decoder_init(&rpc->decoder, 0) != 0) {
        rpc_release(rpc);
        snprintf(err, errlen, _("out of memory"));
        return TD_ENOMEM;
    }
    envelope_arena_init(&rpc->arena);

    tls_files_t files = {cfg->tls_ca, cfg->tls_cert, cfg->tls_key, NULL};
    char tlserr[512];
    rpc->ctx = tls_client_ctx_new(&files, tlserr, sizeof(tlserr));
    if (rpc->ctx == NULL) {
        snprintf(err, errlen, "%s", tlserr);
        rpc_release(rpc);
        return TD_ECONFIG;
    }

    tlsconn_options_t opt = {
        .on_read = rpc_on_read,
        .on_close = rpc_on_close,
        .data = rpc,
        .handshake_timeout_ms = cfg->connect_timeout_ms,
    };
    int rc = tlsconn_connect(&rpc->tls, &rpc->loop, rpc->ctx, cfg->host, cfg->port, &opt);
    if (rc != 0) {
        snprintf(err, errlen, _("cannot connect to %s: %s"), cfg->address, uv_strerror(rc));
        rpc_release(rpc);
        return TD_ECONNECT;
    }
    rpc->tls_started = true;

    Thidua__V1__Hello hello = THIDUA__V1__HELLO__INIT;
    hello.protocol_version = THIDUA_PROTOCOL_VERSION;
    hello.client_version = THIDUA_CLIENT_VERSION;
    rc = rpc_send(rpc, &hello.base, rpc_welcome_cb, NULL);
    if (rc == 0)
        rc = rpc_wait(rpc, 0);
    if (rc == 0 && rpc->welcome == NULL)
        rc = rpc->error != TD_OK ? rpc->error : TD_EPROTO;
    if (rc != 0) {
        const char *why = rpc->message[0] ? rpc->message : _("no answer to Hello");
        /* Name the server once: connection errors already do. */
        if (strstr(why, cfg->host) != NULL)
            snprintf(err, errlen, "%s", why);
        else
            snprintf(err, errlen, "%s: %s", cfg->address, why);
        rpc_release(rpc);
        return rc;
    }
    return 0;
}

void rpc_close(rpc_t *rpc)
{
    rpc_release(rpc);
}
