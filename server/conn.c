/*
 * conn.c - one client connection: frames in, requests dispatched, responses
 * out in order, backpressure, and the connection's end.
 *
 * Reading pauses while a connection has max_in_flight requests waiting or
 * more than max_write_queue bytes not yet written, and resumes when both fall
 * back: a client that sends faster than the database answers, or reads slower
 * than we write, is slowed down instead of growing our memory.
 */
#include "conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "routes.h"
#include "session.h"

static void conn_process(conn_t *c);
static void conn_handle_envelope(conn_t *c, const Thidua__V1__Envelope *env);

/* ---- lifetime ---- */

static void conn_free(conn_t *c)
{
    server_t *s = c->server;
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    s->nconns--; /* nhandshaking went down when c moved past CONN_HELLO (conn_set_state) */
    frame_decoder_free(&c->decoder);
    envelope_arena_free(&c->arena);
    catalog_unref(c->catalog);
    free(c);
    if (s->stopping && s->nconns == 0)
        server_stop(s); /* the last connection is gone: finish stopping */
}

static void conn_maybe_free(conn_t *c)
{
    if (c->state == CONN_CLOSED && c->queue_head == NULL)
        conn_free(c);
}

/*
 * The only writer of c->state. A connection only moves forward through its
 * life (conn.h), so a late call that would take it back is ignored: a
 * request answered after the close started cannot reopen it.
 */
void conn_set_state(conn_t *c, conn_state_t state)
{
    if (state <= c->state)
        return;
    if (c->state < CONN_OPEN && state >= CONN_OPEN)
        c->server->nhandshaking--; /* past Hello, or never to get there */
    c->state = state;
}

void conn_close(conn_t *c)
{
    if (c->state >= CONN_CLOSING)
        return;
    conn_set_state(c, CONN_CLOSING);
    tlsconn_shutdown(&c->tls);
}

/* ---- backpressure ---- */

static bool conn_over_limits(const conn_t *c)
{
    const server_config_t *cfg = c->server->cfg;
    return c->in_flight >= cfg->max_in_flight ||
           tlsconn_write_queued(&c->tls) >= cfg->max_write_queue;
}

static void conn_pause(conn_t *c)
{
    if (c->paused)
        return;
    c->paused = true;
    tlsconn_read_stop(&c->tls);
    /* The rest of the chunk being read belongs to TLS: keep our own copy. */
    if (frame_decoder_detach(&c->decoder) != 0) {
        log_error("conn_oom", "peer=%s", c->peer_addr);
        tlsconn_abort(&c->tls);
    }
}

/* Called when a response left or the write queue drained. */
static void conn_maybe_resume(conn_t *c)
{
    if (!c->paused || c->state >= CONN_DRAINING || conn_over_limits(c))
        return;
    if (c->server->stopping)
        return; /* draining: no new requests */
    c->paused = false;
    /* The time we did not read is ours, not the peer's: the frame's clock starts again. */
    c->frame_started = uv_now(c->server->loop);
    c->frame_bytes = 0;
    conn_process(c); /* frames already received come first */
    if (!c->paused && c->state < CONN_DRAINING)
        tlsconn_read_start(&c->tls);
}

/* ---- responses ---- */

void conn_flush(conn_t *c)
{
    while (c->queue_head != NULL && c->queue_head->done) {
        req_t *r = c->queue_head;
        c->queue_head = r->next;
        if (c->queue_head == NULL)
            c->queue_tail = NULL;
        c->in_flight--;
        if (c->state < CONN_CLOSING && r->out.len > 0) {
            if (tlsconn_write(&c->tls, r->out.data, r->out.len) != 0)
                conn_close(c);
        }
        if (r->close_after)
            conn_close(c);
        frame_buf_free(&r->out);
        free(r);
    }
    if (c->state == CONN_CLOSED) {
        conn_maybe_free(c);
        return;
    }
    if (c->server->stopping && c->queue_head == NULL) {
        conn_close(c); /* drained during shutdown */
        return;
    }
    conn_maybe_resume(c);
}

/* An Error that ends the connection (bad frame, no Hello, a revoked certificate...). */
void conn_end(conn_t *c, uint64_t request_id, Thidua__V1__Error__Code code, const char *field,
              bool retryable, const char *message)
{
    char q[300];
    log_warn("conn_protocol_error", "peer=%s unit=%s reason=%s", c->peer_addr,
             c->unit_code[0] ? c->unit_code : "-", log_quote(q, sizeof(q), message));
    req_t *r = req_new(c, request_id, 0);
    if (r == NULL) {
        tlsconn_abort(&c->tls);
        return;
    }
    r->close_after = true;
    /* Nothing more is read from a connection that is about to close. */
    conn_set_state(c, CONN_DRAINING);
    if (!c->paused && c->state < CONN_CLOSED) {
        c->paused = true;
        tlsconn_read_stop(&c->tls);
    }
    req_error(r, code, field, retryable, "%s", message);
}

static void conn_fatal(conn_t *c, uint64_t request_id, Thidua__V1__Error__Code code,
                       const char *field, const char *message)
{
    conn_end(c, request_id, code, field, false, message);
}

/* ---- dispatch ---- */

/*
 * The request's route (routes.c) decides who may ask it and who answers:
 * the role is checked here, once, for every request.
 */
static void conn_dispatch(conn_t *c, req_t *r, const Thidua__V1__Envelope *env)
{
    const route_t *route = routes_find(env->body_case);
    if (route == NULL) {
        req_error(r, THIDUA__V1__ERROR__CODE__UNSUPPORTED, NULL, false,
                  "%s is not a request the server answers", envelope_body_name(env->body_case));
        return;
    }
    if (env->body_case == THIDUA__V1__ENVELOPE__BODY_HELLO) {
        r->close_after = true;
        req_error(r, THIDUA__V1__ERROR__CODE__HELLO_REQUIRED, NULL, false,
                  "Hello was already received on this connection");
        return;
    }
    if (route->province_only && c->role_enum != THIDUA__V1__ROLE__ROLE_PROVINCE) {
        log_warn("permission_denied", "peer=%s unit=%s fp=%.16s request=%s", c->peer_addr,
                 c->unit_code, c->fingerprint, envelope_body_name(env->body_case));
        req_error(r, THIDUA__V1__ERROR__CODE__PERMISSION_DENIED, NULL, false,
                  "%s needs a province certificate; this certificate is for %s (%s)",
                  envelope_body_name(env->body_case), c->unit_code, c->role);
        return;
    }
    route->handle(c, r, routes_body(env));
}

static void conn_handle_frame(conn_t *c, const uint8_t *data, size_t len)
{
    Thidua__V1__Envelope *env;
    envelope_error_t err;
    if (envelope_unpack(&c->arena, data, len, &env, &err) != 0) {
        /* Error.field is relative to the request: "records[3].achieved_on". */
        const char *dot = strchr(err.field, '.');
        const char *field = dot != NULL ? dot + 1 : err.field;
        if (err.code == TD_ETOOMANY && c->state == CONN_OPEN) {
            /* A whole frame, well-formed up to the element over the limit: refuse the
             * request alone, as a too large batch always was, and keep the session. */
            req_t *r = req_new(c, wire_peek_varint(data, len, 1), 0);
            if (r == NULL) {
                tlsconn_abort(&c->tls);
                return;
            }
            req_error(r, THIDUA__V1__ERROR__CODE__TOO_LARGE, field, false, "%s", err.message);
            return;
        }
        conn_fatal(c, 0, THIDUA__V1__ERROR__CODE__BAD_FRAME, field, err.message);
        return;
    }
    conn_handle_envelope(c, env);
    /*
     * Handlers copy what they keep, so the message dies with this frame: an
     * idle connection holds no unpacked memory (a 4 MiB push unpacks into up
     * to 64 MiB), instead of keeping it until its next request.
     */
    envelope_arena_free(&c->arena);
}

static void conn_handle_envelope(conn_t *c, const Thidua__V1__Envelope *env)
{
    if ((unsigned)env->body_case < THIDUA_ARRAY_LEN(c->server->stats.requests))
        c->server->stats.requests[env->body_case]++;

    if (c->state == CONN_HELLO && env->body_case != THIDUA__V1__ENVELOPE__BODY_HELLO) {
        conn_fatal(c, env->request_id, THIDUA__V1__ERROR__CODE__HELLO_REQUIRED, NULL,
                   "the first message must be Hello");
        return;
    }
    req_t *r = req_new(c, env->request_id, env->body_case);
    if (r == NULL) {
        log_error("conn_oom", "peer=%s", c->peer_addr);
        tlsconn_abort(&c->tls);
        return;
    }
    if (c->state == CONN_HELLO)
        session_hello(c, r, routes_body(env));
    else
        conn_dispatch(c, r, env);
}

static void conn_process(conn_t *c)
{
    while (!c->paused && c->state < CONN_DRAINING) {
        frame_t f;
        int rc = frame_decoder_next(&c->decoder, &f);
        if (rc == 0)
            return;
        if (rc < 0) {
            conn_fatal(c, 0, THIDUA__V1__ERROR__CODE__BAD_FRAME, NULL,
                       frame_decoder_strerror(&c->decoder));
            return;
        }
        conn_handle_frame(c, f.data, f.len);
        if (conn_over_limits(c))
            conn_pause(c);
    }
}

/* ---- TLS callbacks ---- */

static void conn_on_handshake(tlsconn_t *t)
{
    conn_t *c = tlsconn_data(t);
    const tls_peer_t *p = tlsconn_peer(t);
    snprintf(c->unit_code, sizeof(c->unit_code), "%s", p->unit);
    snprintf(c->role, sizeof(c->role), "%s", p->role);
    snprintf(c->fingerprint, sizeof(c->fingerprint), "%s", p->fingerprint);
    for (size_t i = 0; i < sizeof(c->fingerprint_raw); i++) {
        unsigned v = 0;
        if (sscanf(p->fingerprint + 2 * i, "%2x", &v) != 1)
            break;
        c->fingerprint_raw[i] = (uint8_t)v;
    }
    conn_set_state(c, CONN_HELLO);
    /*
     * Hello must come within what is left of handshake_timeout: until then a
     * quiet peer is closed by the idle timer set to that rest, and a peer that
     * trickles bytes by the check in conn_on_read. session_hello puts the
     * real idle timeout back.
     */
    uint64_t spent = uv_now(c->server->loop) - c->accepted_at;
    uint64_t budget = c->server->cfg->handshake_timeout_ms;
    tlsconn_set_idle_timeout(&c->tls, spent < budget ? budget - spent : 1);
    SSL *ssl = tlsconn_ssl(t);
    /* The serial is what `scripts/pki list` shows and `scripts/pki revoke` takes. */
    log_info("conn_open", "peer=%s unit=%s role=%s fp=%s serial=%s tls=%s cipher=%s",
             c->peer_addr, c->unit_code, c->role, c->fingerprint, p->serial,
             SSL_get_version(ssl), SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)));
}

/*
 * A peer that holds a connection by trickling bytes: Hello late, or a frame
 * arriving slower than frame_min_rate once it had FRAME_RATE_GRACE_MS. True
 * when c was refused for it.
 */
static bool conn_too_slow(conn_t *c, size_t len)
{
    const server_config_t *cfg = c->server->cfg;
    uint64_t now = uv_now(c->server->loop);
    char msg[160];
    if (c->state == CONN_HELLO && now - c->accepted_at > cfg->handshake_timeout_ms) {
        snprintf(msg, sizeof(msg), "no Hello within %llu ms of connecting",
                 (unsigned long long)cfg->handshake_timeout_ms);
        conn_fatal(c, 0, THIDUA__V1__ERROR__CODE__HELLO_REQUIRED, NULL, msg);
        return true;
    }
    if (c->state == CONN_OPEN && cfg->max_session_lifetime_ms > 0 &&
        now - c->accepted_at > cfg->max_session_lifetime_ms) {
        /* Certificates and the catalog are checked at Hello: a session must come back to it. */
        snprintf(msg, sizeof(msg), "the session is older than max_session_lifetime (%llu ms): "
                                   "reconnect",
                 (unsigned long long)cfg->max_session_lifetime_ms);
        conn_end(c, 0, THIDUA__V1__ERROR__CODE__SHUTTING_DOWN, NULL, true, msg);
        return true;
    }
    if (frame_decoder_idle(&c->decoder)) {
        c->frame_started = now;
        c->frame_bytes = 0;
    }
    c->frame_bytes += len;
    uint64_t took = now - c->frame_started;
    if (cfg->frame_min_rate > 0 && took > FRAME_RATE_GRACE_MS &&
        c->frame_bytes * 1000 < (uint64_t)cfg->frame_min_rate * (took - FRAME_RATE_GRACE_MS)) {
        snprintf(msg, sizeof(msg), "a frame arriving at %llu bytes in %llu ms, slower than %u "
                                   "bytes/s",
                 (unsigned long long)c->frame_bytes, (unsigned long long)took,
                 cfg->frame_min_rate);
        conn_fatal(c, 0, THIDUA__V1__ERROR__CODE__BAD_FRAME, NULL, msg);
        return true;
    }
    return false;
}

static void conn_on_read(tlsconn_t *t, const char *data, size_t len)
{
    conn_t *c = tlsconn_data(t);
    if (c->state >= CONN_CLOSING)
        return;
    if (conn_too_slow(c, len))
        return;
    if (frame_decoder_feed(&c->decoder, data, len) != 0) {
        conn_fatal(c, 0, THIDUA__V1__ERROR__CODE__BAD_FRAME, NULL,
                   frame_decoder_strerror(&c->decoder));
        return;
    }
    conn_process(c);
    /* Frames not yet handled must not point into TLS's buffer after we return. */
    if (frame_decoder_detach(&c->decoder) != 0) {
        log_error("conn_oom", "peer=%s", c->peer_addr);
        tlsconn_abort(&c->tls);
    }
}

static void conn_on_drain(tlsconn_t *t)
{
    conn_maybe_resume(tlsconn_data(t));
}

static void conn_on_close(tlsconn_t *t, tlsconn_close_t reason, const char *message)
{
    conn_t *c = tlsconn_data(t);
    char q[300];
    server_t *s = c->server;

    if (c->unit_code[0] == '\0') {
        /* The handshake never completed: a refused certificate, garbage, a timeout. */
        s->stats.conns_refused++;
        log_warn("conn_refused", "peer=%s reason=%s detail=%s", c->peer_addr,
                 tlsconn_close_name(reason), log_quote(q, sizeof(q), message));
    } else {
        /* An end of stream inside a frame is a truncated request, not a clean close. */
        const char *how = tlsconn_close_name(reason);
        if (reason == TLSCONN_CLOSE_EOF && !frame_decoder_idle(&c->decoder))
            how = "eof_mid_frame";
        log_info("conn_close", "peer=%s unit=%s fp=%.16s reason=%s detail=%s", c->peer_addr,
                 c->unit_code, c->fingerprint, how, log_quote(q, sizeof(q), message));
    }
    conn_set_state(c, CONN_CLOSED);
    conn_maybe_free(c);
}

/* The host part of "ip:port" or "[ip6]:port": the length to compare. */
static size_t conn_host_len(const char *addr)
{
    const char *colon = strrchr(addr, ':');
    return colon != NULL ? (size_t)(colon - addr) : strlen(addr);
}

/*
 * Peers that have not said Hello yet have a budget of their own, so that
 * sockets that connect and stay silent cannot take the sessions' places
 * (max_connections counts sessions only, at Hello). When the budget, or this
 * address's share of it, is full, the oldest such peer (of this address
 * first) makes room: an office that completes its handshake in time always
 * gets through, and a flood only ever pushes out itself.
 */
static void conn_make_room(server_t *s, const conn_t *newc)
{
    size_t hl = conn_host_len(newc->peer_addr), same = 0;
    conn_t *oldest_same = NULL, *oldest = NULL;
    for (conn_t *c = s->conns; c != NULL; c = c->next) {
        if (c == newc || c->state >= CONN_OPEN)
            continue;
        oldest = c; /* the list is newest first */
        if (conn_host_len(c->peer_addr) == hl && strncmp(c->peer_addr, newc->peer_addr, hl) == 0) {
            same++;
            oldest_same = c;
        }
    }
    conn_t *victim = NULL;
    if (same >= s->cfg->max_handshakes_per_address)
        victim = oldest_same;
    else if (s->nhandshaking > s->cfg->max_handshakes)
        victim = oldest;
    if (victim == NULL)
        return;
    log_warn("handshake_evicted", "peer=%s handshaking=%zu from_address=%zu", victim->peer_addr,
             s->nhandshaking, same);
    conn_set_state(victim, CONN_CLOSING);
    tlsconn_abort(&victim->tls);
}

void conn_accept(server_t *s)
{
    conn_t *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        log_error("accept_oom", NULL);
        return;
    }
    c->server = s; /* calloc: c->state is CONN_HANDSHAKE */
    c->accepted_at = uv_now(s->loop);
    if (frame_decoder_init(&c->decoder, s->cfg->max_frame) != 0) {
        free(c);
        return;
    }
    envelope_arena_init(&c->arena);
    c->arena.max_repeated = s->cfg->max_batch; /* counted on the wire, before unpacking */

    tlsconn_options_t opt = {
        .on_handshake = conn_on_handshake,
        .on_read = conn_on_read,
        .on_drain = conn_on_drain,
        .on_close = conn_on_close,
        .data = c,
        .handshake_timeout_ms = s->cfg->handshake_timeout_ms,
        .idle_timeout_ms = s->cfg->idle_timeout_ms,
    };
    int rc = tlsconn_accept(&c->tls, (uv_stream_t *)&s->listener, s->tls, &opt);
    if (rc != 0) {
        log_warn("accept_failed", "error=%s", uv_strerror(rc));
        frame_decoder_free(&c->decoder);
        envelope_arena_free(&c->arena);
        free(c);
        return;
    }
    tlsconn_peer_address(&c->tls, c->peer_addr, sizeof(c->peer_addr));
    c->next = s->conns;
    if (s->conns != NULL)
        s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    s->nhandshaking++;
    s->stats.conns_accepted++;
    conn_make_room(s, c);
}
