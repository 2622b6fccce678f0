/*
 * tlsconn.c - a TLS connection over a libuv TCP stream, through memory BIOs.
 *
 * Data path: uv_read -> read BIO -> SSL_do_handshake/SSL_read -> on_read;
 * tlsconn_write -> SSL_write -> write BIO -> uv_write. After every SSL_* call
 * (SSL_read included: it may answer a KeyUpdate or send an alert) the write
 * BIO is drained into a uv_write request that owns its bytes. The memory BIO
 * always accepts, so SSL_write never wants to write; it may want to read
 * (then the plaintext waits in the queue and is retried after the next input).
 *
 * Closing, in three steps:
 *   begin_close: CLOSING; our last bytes (an alert, close_notify) are flushed,
 *                uv_shutdown sends FIN once they are written, and the socket is
 *                read and discarded until the peer's FIN or the linger timer.
 *                Closing a socket with unread input would send a reset, which
 *                can destroy the alert before the peer reads it.
 *   finish_close: CLOSED; uv_close on the socket and the timer (pending
 *                writes complete with UV_ECANCELED first).
 *   conn_done:   when both handles are closed and no name lookup is pending,
 *                free the SSL and buffers and call on_close, the last callback.
 */
#include "tlsconn.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <openssl/err.h>

enum {
    TLSCONN_BUFSIZE = 64 * 1024,  /* one socket read; also the SSL_read output */
    TLSCONN_PIECE = 64 * 1024,    /* plaintext per SSL_write: bounds each uv_write */
    TLSCONN_LINGER_MS = 2000,     /* default opt.linger_ms */
    TLSCONN_LOW_WATER = 64 * 1024 /* default opt.low_water */
};

/* Plaintext waiting for SSL_write; owned by the queue, freed when fully taken. */
struct tlsconn_chunk {
    tlsconn_chunk_t *next;
    size_t len;
    size_t off; /* bytes already taken by SSL_write */
    char data[];
};

/* A uv_write and the ciphertext it carries; freed in its callback. */
typedef struct tlsconn_wreq {
    uv_write_t req;
    tlsconn_t *conn;
    size_t len;
    char data[];
} tlsconn_wreq_t;

static void conn_begin_close(tlsconn_t *conn, int notify, int linger);
static void conn_finish_close(tlsconn_t *conn);
static void conn_pump(tlsconn_t *conn);
static void conn_handshake(tlsconn_t *conn);

const char *tlsconn_close_name(tlsconn_close_t reason)
{
    switch (reason) {
    case TLSCONN_CLOSE_LOCAL:
        return "local";
    case TLSCONN_CLOSE_NOTIFY:
        return "close_notify";
    case TLSCONN_CLOSE_EOF:
        return "eof";
    case TLSCONN_CLOSE_ERROR:
        return "error";
    case TLSCONN_CLOSE_HANDSHAKE_TIMEOUT:
        return "handshake_timeout";
    case TLSCONN_CLOSE_IDLE_TIMEOUT:
        return "idle_timeout";
    }
    return "unknown";
}

static const char *conn_peer_word(const tlsconn_t *conn)
{
    return SSL_is_server(conn->ssl) ? "client" : "server";
}

/* The first reason wins: later errors are consequences of it. */
THIDUA_PRINTF(3, 0)
static void conn_vset_reason(tlsconn_t *conn, tlsconn_close_t reason, const char *fmt, va_list ap)
{
    if (conn->reason_set)
        return;
    conn->reason_set = 1;
    conn->reason = reason;
    vsnprintf(conn->message, sizeof(conn->message), fmt, ap);
}

THIDUA_PRINTF(3, 4)
static void conn_set_reason(tlsconn_t *conn, tlsconn_close_t reason, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    conn_vset_reason(conn, reason, fmt, ap);
    va_end(ap);
}

/* --- closing -------------------------------------------------------------- */

static void conn_free_queue(tlsconn_t *conn)
{
    tlsconn_chunk_t *c = conn->queue_head;
    while (c != NULL) {
        tlsconn_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    conn->queue_head = conn->queue_tail = NULL;
    conn->plain_queued = 0;
}

static void conn_done(tlsconn_t *conn)
{
    if (conn->pending > 0 || conn->resolving)
        return;
    conn_free_queue(conn);
    SSL_free(conn->ssl); /* and both BIOs */
    conn->ssl = NULL;
    conn->rbio = conn->wbio = NULL;
    free(conn->buf);
    conn->buf = NULL;
    if (conn->addrs != NULL)
        uv_freeaddrinfo(conn->addrs);
    conn->addrs = conn->next_addr = NULL;
    /* The owner may free conn in on_close: nothing touches it afterwards. */
    conn->opt.on_close(conn, conn->reason, conn->message);
}

static void conn_handle_closed(uv_handle_t *handle)
{
    tlsconn_t *conn = handle->data;
    conn->pending--;
    conn_done(conn);
}

static void conn_finish_close(tlsconn_t *conn)
{
    if (conn->state == TLSCONN_CLOSED)
        return;
    conn->state = TLSCONN_CLOSED;
    conn->reading = 0;
    uv_timer_stop(&conn->timer);
    uv_close((uv_handle_t *)&conn->timer, conn_handle_closed);
    /* While a client moves to its next address the socket is already closing. */
    if (!conn->tcp_gone && !uv_is_closing((uv_handle_t *)&conn->tcp))
        uv_close((uv_handle_t *)&conn->tcp, conn_handle_closed);
    if (conn->resolving)
        (void)uv_cancel((uv_req_t *)&conn->resolve); /* the callback runs either way */
}

static void conn_linger_timeout(uv_timer_t *timer)
{
    conn_finish_close(timer->data);
}

/* Record why, then close (see conn_begin_close for linger). */
THIDUA_PRINTF(4, 5)
static void conn_fail(tlsconn_t *conn, tlsconn_close_t reason, int linger, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    conn_vset_reason(conn, reason, fmt, ap);
    va_end(ap);
    conn_begin_close(conn, 0, linger);
}

/* --- writing ciphertext --------------------------------------------------- */

static void conn_write_done(uv_write_t *req, int status)
{
    tlsconn_wreq_t *w = (tlsconn_wreq_t *)req;
    tlsconn_t *conn = w->conn;
    conn->cipher_queued -= w->len;
    free(w);
    if (status == UV_ECANCELED)
        return;
    if (status < 0) {
        conn_fail(conn, TLSCONN_CLOSE_ERROR, 0, "write to the %s failed: %s", conn_peer_word(conn),
                  uv_strerror(status));
        return;
    }
    conn->last_active = uv_now(conn->tcp.loop);
    if (conn->state == TLSCONN_OPEN && conn->drain_wanted &&
        tlsconn_write_queued(conn) < conn->opt.low_water) {
        conn->drain_wanted = 0;
        if (conn->opt.on_drain != NULL)
            conn->opt.on_drain(conn);
    }
}

/*
 * Move whatever SSL produced into a uv_write. Returns 0, or -1 when the
 * connection had to close (out of memory, socket gone).
 */
static int conn_flush(tlsconn_t *conn)
{
    size_t pending = BIO_ctrl_pending(conn->wbio);
    if (pending == 0)
        return 0;
    if (!conn->connected || conn->state == TLSCONN_CLOSED) {
        (void)BIO_reset(conn->wbio);
        return conn->state == TLSCONN_CLOSED ? -1 : 0;
    }
    tlsconn_wreq_t *w = malloc(sizeof(*w) + pending);
    if (w == NULL) {
        (void)BIO_reset(conn->wbio);
        conn_fail(conn, TLSCONN_CLOSE_ERROR, 0, "out of memory");
        return -1;
    }
    int n = BIO_read(conn->wbio, w->data, (int)pending);
    if (n <= 0) {
        free(w);
        return 0;
    }
    w->conn = conn;
    w->len = (size_t)n;
    uv_buf_t buf = uv_buf_init(w->data, (unsigned int)n);
    int rc = uv_write(&w->req, (uv_stream_t *)&conn->tcp, &buf, 1, conn_write_done);
    if (rc < 0) {
        free(w);
        conn_fail(conn, TLSCONN_CLOSE_ERROR, 0, "write to the %s failed: %s", conn_peer_word(conn),
                  uv_strerror(rc));
        return -1;
    }
    conn->cipher_queued += (size_t)n;
    conn->last_active = uv_now(conn->tcp.loop);
    return 0;
}

/* --- reading -------------------------------------------------------------- */

/*
 * The read buffer exists only while bytes are being handled: libuv asks for
 * it when the socket has data, its bytes are copied into the read BIO (or
 * handed to on_read) at once, and it is freed when the read is done. A
 * connection that is idle, or a peer that connected and sent nothing, holds
 * no 64 KiB of it.
 */
static char *conn_buf(tlsconn_t *conn)
{
    if (conn->buf == NULL)
        conn->buf = malloc(TLSCONN_BUFSIZE);
    return conn->buf;
}

static void conn_buf_release(tlsconn_t *conn)
{
    free(conn->buf);
    conn->buf = NULL;
}

static void conn_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    THIDUA_UNUSED(suggested);
    tlsconn_t *conn = handle->data;
    char *b = conn_buf(conn);
    /* No memory: libuv reports UV_ENOBUFS to conn_on_read, which closes. */
    *buf = uv_buf_init(b, b != NULL ? TLSCONN_BUFSIZE : 0);
}

static void conn_on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

/* Read the socket exactly when someone needs its bytes. */
static void conn_update_reading(tlsconn_t *conn)
{
    int need = 0;
    switch (conn->state) {
    case TLSCONN_HANDSHAKE:
    case TLSCONN_CLOSING:
        need = 1;
        break;
    case TLSCONN_OPEN:
        need = conn->want_read;
        break;
    default:
        break;
    }
    need = need && conn->connected && !conn->peer_eof;
    if (need && !conn->reading) {
        int rc = uv_read_start((uv_stream_t *)&conn->tcp, conn_alloc, conn_on_read);
        if (rc < 0) {
            conn_fail(conn, TLSCONN_CLOSE_ERROR, 0, "cannot read from the %s: %s",
                      conn_peer_word(conn), uv_strerror(rc));
            return;
        }
        conn->reading = 1;
    } else if (!need && conn->reading) {
        uv_read_stop((uv_stream_t *)&conn->tcp);
        conn->reading = 0;
    }
}

/* --- closing, continued --------------------------------------------------- */

static void conn_shutdown_done(uv_shutdown_t *req, int status)
{
    tlsconn_t *conn = req->data;
    conn->shut_done = 1;
    if (conn->state != TLSCONN_CLOSING)
        return;
    if (status < 0 || conn->peer_eof)
        conn_finish_close(conn);
}

/*
 * notify: send close_notify first (only for an established session).
 * linger: half-close and wait for the peer as described at the top; without
 * it (broken socket, peer gone) close at once.
 */
static void conn_begin_close(tlsconn_t *conn, int notify, int linger)
{
    if (conn->state == TLSCONN_CLOSED)
        return;
    if (conn->state == TLSCONN_CLOSING) {
        if (!linger)
            conn_finish_close(conn);
        return;
    }
    tlsconn_state_t was = conn->state;
    conn->state = TLSCONN_CLOSING;
    conn_free_queue(conn);
    conn->write_blocked = 0;
    if (notify && was == TLSCONN_OPEN) {
        ERR_clear_error();
        (void)SSL_shutdown(conn->ssl); /* 0: sent ours; we do not wait for theirs */
        ERR_clear_error();
    }
    if (conn_flush(conn) != 0 || conn->state != TLSCONN_CLOSING)
        return;
    if (!linger || !conn->connected) {
        conn_finish_close(conn);
        return;
    }
    conn->shutdown.data = conn;
    if (uv_shutdown(&conn->shutdown, (uv_stream_t *)&conn->tcp, conn_shutdown_done) < 0) {
        conn_finish_close(conn);
        return;
    }
    uv_timer_stop(&conn->timer);
    uv_timer_start(&conn->timer, conn_linger_timeout, conn->opt.linger_ms, 0);
    conn_update_reading(conn);
}

/* --- writing plaintext ---------------------------------------------------- */

static int conn_enqueue(tlsconn_t *conn, const char *data, size_t len)
{
    tlsconn_chunk_t *c = malloc(sizeof(*c) + len);
    if (c == NULL)
        return UV_ENOMEM;
    memcpy(c->data, data, len);
    c->len = len;
    c->off = 0;
    c->next = NULL;
    if (conn->queue_tail != NULL)
        conn->queue_tail->next = c;
    else
        conn->queue_head = c;
    conn->queue_tail = c;
    conn->plain_queued += len;
    return 0;
}

/*
 * One SSL_write of at most TLSCONN_PIECE bytes, then flush. Returns the bytes
 * taken (> 0), 0 when SSL needs input first, or UV_EPROTO/UV_EPIPE when the
 * connection is closing because of it.
 */
static int conn_ssl_write(tlsconn_t *conn, const char *data, size_t len)
{
    char msg[TLS_ERRLEN];
    int n = len < TLSCONN_PIECE ? (int)len : TLSCONN_PIECE;
    ERR_clear_error();
    int r = SSL_write(conn->ssl, data, n);
    int e = r > 0 ? SSL_ERROR_NONE : SSL_get_error(conn->ssl, r);
    if (e != SSL_ERROR_NONE && e != SSL_ERROR_WANT_READ)
        tls_ssl_error(conn->ssl, e, msg, sizeof(msg));
    if (conn_flush(conn) != 0 || conn->state != TLSCONN_OPEN)
        return UV_EPIPE;
    if (r > 0)
        return r;
    if (e == SSL_ERROR_WANT_READ)
        return 0;
    conn_fail(conn, TLSCONN_CLOSE_ERROR, 1, "%s", msg);
    return UV_EPROTO;
}

/* Give the queued plaintext to SSL_write, as far as it takes it. */
static void conn_write_queue(tlsconn_t *conn)
{
    while (conn->queue_head != NULL && conn->state == TLSCONN_OPEN) {
        tlsconn_chunk_t *c = conn->queue_head;
        int r = conn_ssl_write(conn, c->data + c->off, c->len - c->off);
        if (r < 0)
            return;
        if (r == 0) {
            conn->write_blocked = 1;
            return;
        }
        conn->write_blocked = 0;
        c->off += (size_t)r;
        conn->plain_queued -= (size_t)r;
        if (c->off == c->len) {
            conn->queue_head = c->next;
            if (conn->queue_head == NULL)
                conn->queue_tail = NULL;
            free(c);
        }
    }
}

static void conn_note_queued(tlsconn_t *conn)
{
    if (tlsconn_write_queued(conn) >= conn->opt.low_water)
        conn->drain_wanted = 1;
}

int tlsconn_write(tlsconn_t *conn, const void *data, size_t len)
{
    if (conn->state == TLSCONN_CLOSING || conn->state == TLSCONN_CLOSED)
        return UV_EPIPE;
    if (len == 0)
        return 0;
    const char *p = data;
    if (conn->state == TLSCONN_OPEN && conn->queue_head == NULL) {
        while (len > 0) {
            int r = conn_ssl_write(conn, p, len);
            if (r < 0)
                return r;
            if (r == 0) {
                conn->write_blocked = 1;
                break;
            }
            p += r;
            len -= (size_t)r;
        }
    }
    /*
     * Not open yet, or SSL wants input first: keep the rest. A blocked
     * SSL_write is retried from the copy with the same length
     * (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER).
     */
    if (len > 0) {
        int rc = conn_enqueue(conn, p, len);
        if (rc < 0)
            return rc;
    }
    conn_note_queued(conn);
    return 0;
}

size_t tlsconn_write_queued(const tlsconn_t *conn)
{
    return conn->plain_queued + conn->cipher_queued;
}

/* --- the handshake and the read loop -------------------------------------- */

static void conn_idle_timeout(uv_timer_t *timer)
{
    tlsconn_t *conn = timer->data;
    if (conn->state != TLSCONN_OPEN || conn->opt.idle_timeout_ms == 0)
        return;
    uint64_t idle = uv_now(conn->tcp.loop) - conn->last_active;
    if (idle < conn->opt.idle_timeout_ms) {
        /* Traffic moved last_active: cheaper than restarting the timer on every byte. */
        uv_timer_start(&conn->timer, conn_idle_timeout, conn->opt.idle_timeout_ms - idle, 0);
        return;
    }
    conn_set_reason(conn, TLSCONN_CLOSE_IDLE_TIMEOUT, "no traffic for %llu ms",
                    (unsigned long long)conn->opt.idle_timeout_ms);
    conn_begin_close(conn, 1, 1);
}

static void conn_handshake_timeout(uv_timer_t *timer)
{
    tlsconn_t *conn = timer->data;
    if (conn->state != TLSCONN_CONNECTING && conn->state != TLSCONN_HANDSHAKE)
        return;
    conn_fail(conn, TLSCONN_CLOSE_HANDSHAKE_TIMEOUT, 1, "no TLS handshake within %llu ms",
              (unsigned long long)conn->opt.handshake_timeout_ms);
}

/* Retry writes that waited for input, then hand out plaintext. */
static void conn_progress(tlsconn_t *conn)
{
    if (conn->queue_head != NULL)
        conn_write_queue(conn);
    conn_pump(conn);
    if (conn->write_blocked && conn->queue_head != NULL)
        conn_write_queue(conn);
}

static void conn_handshake_done(tlsconn_t *conn)
{
    char err[TLS_ERRLEN];
    conn->state = TLSCONN_OPEN;
    uv_timer_stop(&conn->timer);
    /* The server must know who the client is; a client has checked the host name already. */
    if (tls_peer_identity(conn->ssl, &conn->peer, err, sizeof(err)) != 0 &&
        SSL_is_server(conn->ssl)) {
        conn_set_reason(conn, TLSCONN_CLOSE_ERROR, "%s", err);
        conn_begin_close(conn, 1, 1);
        return;
    }
    conn->last_active = uv_now(conn->tcp.loop);
    if (conn->opt.idle_timeout_ms > 0)
        uv_timer_start(&conn->timer, conn_idle_timeout, conn->opt.idle_timeout_ms, 0);
    if (conn->opt.on_handshake != NULL)
        conn->opt.on_handshake(conn);
    if (conn->state != TLSCONN_OPEN)
        return;
    conn_update_reading(conn);
    conn_progress(conn);
}

static void conn_handshake(tlsconn_t *conn)
{
    char msg[TLS_ERRLEN];
    ERR_clear_error();
    int r = SSL_do_handshake(conn->ssl);
    int e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(conn->ssl, r);
    if (e != SSL_ERROR_NONE && e != SSL_ERROR_WANT_READ)
        tls_ssl_error(conn->ssl, e, msg, sizeof(msg));
    if (conn_flush(conn) != 0 || conn->state != TLSCONN_HANDSHAKE)
        return;
    if (e == SSL_ERROR_NONE)
        conn_handshake_done(conn);
    else if (e != SSL_ERROR_WANT_READ)
        conn_fail(conn, TLSCONN_CLOSE_ERROR, 1, "TLS handshake failed: %s", msg);
}

/*
 * SSL_read until it wants more input, handing plaintext to the owner while it
 * reads. Not re-entered: an owner calling tlsconn_read_start() from on_read
 * just lets this loop go on.
 */
static void conn_pump(tlsconn_t *conn)
{
    char msg[TLS_ERRLEN];
    if (conn->in_pump)
        return;
    if (conn_buf(conn) == NULL) {
        conn_fail(conn, TLSCONN_CLOSE_ERROR, 1, "out of memory");
        return;
    }
    conn->in_pump = 1;
    while (conn->state == TLSCONN_OPEN && conn->want_read) {
        ERR_clear_error();
        int r = SSL_read(conn->ssl, conn->buf, TLSCONN_BUFSIZE);
        int e = r > 0 ? SSL_ERROR_NONE : SSL_get_error(conn->ssl, r);
        if (e != SSL_ERROR_NONE && e != SSL_ERROR_WANT_READ && e != SSL_ERROR_ZERO_RETURN)
            tls_ssl_error(conn->ssl, e, msg, sizeof(msg));
        if (conn_flush(conn) != 0 || conn->state != TLSCONN_OPEN)
            break;
        if (r > 0) {
            conn->opt.on_read(conn, conn->buf, (size_t)r);
            continue;
        }
        if (e == SSL_ERROR_WANT_READ)
            break;
        if (e == SSL_ERROR_ZERO_RETURN) {
            conn_set_reason(conn, TLSCONN_CLOSE_NOTIFY, "%s", "");
            conn_begin_close(conn, 1, 1);
            break;
        }
        conn_fail(conn, TLSCONN_CLOSE_ERROR, 1, "%s", msg);
        break;
    }
    conn->in_pump = 0;
    conn_buf_release(conn);
}

static void conn_on_read_bytes(tlsconn_t *conn, ssize_t nread, const uv_buf_t *buf);

static void conn_on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    tlsconn_t *conn = stream->data;
    conn_on_read_bytes(conn, nread, buf);
    if (!conn->in_pump)
        conn_buf_release(conn);
}

static void conn_on_read_bytes(tlsconn_t *conn, ssize_t nread, const uv_buf_t *buf)
{
    if (nread == 0)
        return;
    if (nread < 0) {
        if (nread != UV_EOF) {
            conn_fail(conn, TLSCONN_CLOSE_ERROR, 0, "read from the %s failed: %s",
                      conn_peer_word(conn), uv_strerror((int)nread));
            return;
        }
        /* libuv stops reading at the end of the stream. */
        conn->peer_eof = 1;
        conn->reading = 0;
        if (conn->state == TLSCONN_CLOSING) {
            if (conn->shut_done)
                conn_finish_close(conn);
        } else if (conn->state == TLSCONN_HANDSHAKE) {
            conn_fail(conn, TLSCONN_CLOSE_ERROR, 0,
                      "the %s closed the connection during the TLS handshake",
                      conn_peer_word(conn));
        } else if (conn->state == TLSCONN_OPEN) {
            conn_fail(conn, TLSCONN_CLOSE_EOF, 0,
                      "the %s closed the connection without close_notify", conn_peer_word(conn));
        }
        return;
    }

    conn->last_active = uv_now(conn->tcp.loop);
    if (conn->state == TLSCONN_CLOSING)
        return; /* draining until the peer's end */
    if (BIO_write(conn->rbio, buf->base, (int)nread) != (int)nread) {
        conn_fail(conn, TLSCONN_CLOSE_ERROR, 0, "out of memory");
        return;
    }
    if (conn->state == TLSCONN_HANDSHAKE)
        conn_handshake(conn);
    else if (conn->state == TLSCONN_OPEN)
        conn_progress(conn);
}

/* --- starting ------------------------------------------------------------- */

/* Everything that can fail without a handle to close; on failure nothing is left. */
static int conn_init(tlsconn_t *conn, SSL_CTX *ctx, const tlsconn_options_t *opt)
{
    if (opt == NULL || opt->on_read == NULL || opt->on_close == NULL || ctx == NULL)
        return UV_EINVAL;
    memset(conn, 0, sizeof(*conn));
    conn->opt = *opt;
    if (conn->opt.linger_ms == 0)
        conn->opt.linger_ms = TLSCONN_LINGER_MS;
    if (conn->opt.low_water == 0)
        conn->opt.low_water = TLSCONN_LOW_WATER;
    conn->want_read = 1;

    ERR_clear_error();
    conn->ssl = SSL_new(ctx);
    conn->rbio = BIO_new(BIO_s_mem());
    conn->wbio = BIO_new(BIO_s_mem());
    if (conn->ssl == NULL || conn->rbio == NULL || conn->wbio == NULL) {
        BIO_free(conn->rbio);
        BIO_free(conn->wbio);
        SSL_free(conn->ssl);
        free(conn->buf);
        ERR_clear_error();
        memset(conn, 0, sizeof(*conn));
        return UV_ENOMEM;
    }
    /* An empty read BIO means "more to come", never end of stream: EOF comes from libuv. */
    BIO_set_mem_eof_return(conn->rbio, -1);
    SSL_set_bio(conn->ssl, conn->rbio, conn->wbio);
    return 0;
}

static void conn_undo_init(tlsconn_t *conn)
{
    SSL_free(conn->ssl);
    free(conn->buf);
    memset(conn, 0, sizeof(*conn));
}

/* Both handles exist from here on: every later failure goes through on_close. */
static int conn_init_handles(tlsconn_t *conn, uv_loop_t *loop)
{
    int rc = uv_tcp_init(loop, &conn->tcp);
    if (rc < 0)
        return rc;
    uv_timer_init(loop, &conn->timer);
    conn->tcp.data = conn;
    conn->timer.data = conn;
    conn->resolve.data = conn;
    conn->connect.data = conn;
    conn->pending = 2;
    conn->last_active = uv_now(loop);
    if (conn->opt.handshake_timeout_ms > 0)
        uv_timer_start(&conn->timer, conn_handshake_timeout, conn->opt.handshake_timeout_ms, 0);
    return 0;
}

int tlsconn_accept(tlsconn_t *conn, uv_stream_t *listener, SSL_CTX *ctx,
                   const tlsconn_options_t *opt)
{
    int rc = conn_init(conn, ctx, opt);
    if (rc < 0)
        return rc;
    rc = conn_init_handles(conn, listener->loop);
    if (rc < 0) {
        conn_undo_init(conn);
        return rc;
    }
    SSL_set_accept_state(conn->ssl);
    conn->state = TLSCONN_HANDSHAKE;
    rc = uv_accept(listener, (uv_stream_t *)&conn->tcp);
    if (rc < 0) {
        conn_fail(conn, TLSCONN_CLOSE_ERROR, 0, "accept failed: %s", uv_strerror(rc));
        return 0;
    }
    conn->connected = 1;
    /*
     * Requests and answers are small frames, each waited for: Nagle's
     * algorithm would hold them back until the peer's delayed ACK (40 ms).
     */
    (void)uv_tcp_nodelay(&conn->tcp, 1);
    /* The client speaks first: the handshake starts with its first bytes. */
    conn_update_reading(conn);
    return 0;
}

static void conn_connect_next(tlsconn_t *conn);

/* The socket of a failed attempt is closed; make a new one for the next address. */
static void conn_reconnect_closed(uv_handle_t *handle)
{
    tlsconn_t *conn = handle->data;
    if (conn->state != TLSCONN_CONNECTING) {
        conn_handle_closed(handle);
        return;
    }
    int rc = uv_tcp_init(conn->tcp.loop, &conn->tcp);
    conn->tcp.data = conn;
    if (rc < 0) {
        conn->tcp_gone = 1; /* nothing left to close */
        conn->pending--;
        conn_fail(conn, TLSCONN_CLOSE_ERROR, 0, "cannot create a socket: %s", uv_strerror(rc));
        return;
    }
    conn_connect_next(conn);
}

static void conn_connected(uv_connect_t *req, int status)
{
    tlsconn_t *conn = req->data;
    if (conn->state != TLSCONN_CONNECTING)
        return; /* closing (UV_ECANCELED) */
    if (status < 0) {
        conn->connect_error = status;
        if (conn->next_addr != NULL)
            uv_close((uv_handle_t *)&conn->tcp, conn_reconnect_closed);
        else
            conn_connect_next(conn); /* none left: reports the failure */
        return;
    }
    conn->connected = 1;
    conn->state = TLSCONN_HANDSHAKE;
    uv_freeaddrinfo(conn->addrs);
    conn->addrs = conn->next_addr = NULL;
    conn_update_reading(conn);
    conn_handshake(conn); /* sends the ClientHello */
}

static void conn_connect_next(tlsconn_t *conn)
{
    while (conn->next_addr != NULL) {
        struct addrinfo *ai = conn->next_addr;
        conn->next_addr = ai->ai_next;
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
            continue;
        /* libuv applies it when it creates the socket (see tlsconn_accept). */
        (void)uv_tcp_nodelay(&conn->tcp, 1);
        int rc = uv_tcp_connect(&conn->connect, &conn->tcp, ai->ai_addr, conn_connected);
        if (rc == 0)
            return;
        conn->connect_error = rc;
        if (conn->next_addr != NULL) {
            uv_close((uv_handle_t *)&conn->tcp, conn_reconnect_closed);
            return;
        }
    }
    conn_fail(conn, TLSCONN_CLOSE_ERROR, 0, "cannot connect to %s port %u: %s", conn->host,
              (unsigned)conn->port,
              conn->connect_error != 0 ? uv_strerror(conn->connect_error) : "no usable address");
}

static void conn_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    tlsconn_t *conn = req->data;
    conn->resolving = 0;
    if (conn->state != TLSCONN_CONNECTING) {
        if (res != NULL)
            uv_freeaddrinfo(res);
        conn_done(conn);
        return;
    }
    if (status < 0) {
        conn_fail(conn, TLSCONN_CLOSE_ERROR, 0, "cannot resolve %s: %s", conn->host,
                  uv_strerror(status));
        return;
    }
    conn->addrs = conn->next_addr = res;
    conn_connect_next(conn);
}

int tlsconn_connect(tlsconn_t *conn, uv_loop_t *loop, SSL_CTX *ctx, const char *host, uint16_t port,
                    const tlsconn_options_t *opt)
{
    if (host == NULL || host[0] == '\0' || strlen(host) >= sizeof(conn->host))
        return UV_EINVAL;
    int rc = conn_init(conn, ctx, opt);
    if (rc < 0)
        return rc;
    memcpy(conn->host, host, strlen(host) + 1);
    conn->port = port;
    if (tls_set_peer_host(conn->ssl, host, conn->message, sizeof(conn->message)) != 0) {
        conn_undo_init(conn);
        return UV_EINVAL;
    }
    SSL_set_connect_state(conn->ssl);
    rc = conn_init_handles(conn, loop);
    if (rc < 0) {
        conn_undo_init(conn);
        return rc;
    }
    conn->state = TLSCONN_CONNECTING;

    char service[8];
    snprintf(service, sizeof(service), "%u", (unsigned)port);
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    rc = uv_getaddrinfo(loop, &conn->resolve, conn_resolved, host, service, &hints);
    if (rc < 0) {
        conn_fail(conn, TLSCONN_CLOSE_ERROR, 0, "cannot resolve %s: %s", host, uv_strerror(rc));
        return 0;
    }
    conn->resolving = 1;
    return 0;
}

/* --- owner controls ------------------------------------------------------- */

void tlsconn_read_stop(tlsconn_t *conn)
{
    conn->want_read = 0;
    conn_update_reading(conn);
}

void tlsconn_read_start(tlsconn_t *conn)
{
    conn->want_read = 1;
    conn_update_reading(conn);
    /* Records that arrived before the pause are still in the read BIO. */
    if (conn->state == TLSCONN_OPEN && !conn->in_pump &&
        (SSL_pending(conn->ssl) > 0 || BIO_ctrl_pending(conn->rbio) > 0))
        conn_progress(conn);
}

void tlsconn_shutdown(tlsconn_t *conn)
{
    if (conn->state == TLSCONN_CLOSING || conn->state == TLSCONN_CLOSED)
        return;
    conn_set_reason(conn, TLSCONN_CLOSE_LOCAL, "%s", "");
    if (conn->state == TLSCONN_OPEN && conn->queue_head != NULL)
        conn_write_queue(conn); /* what SSL takes now still goes out */
    conn_begin_close(conn, 1, 1);
}

void tlsconn_abort(tlsconn_t *conn)
{
    if (conn->state == TLSCONN_CLOSED)
        return;
    conn_set_reason(conn, TLSCONN_CLOSE_LOCAL, "%s", "");
    conn_finish_close(conn);
}

void tlsconn_set_idle_timeout(tlsconn_t *conn, uint64_t ms)
{
    conn->opt.idle_timeout_ms = ms;
    if (conn->state != TLSCONN_OPEN)
        return;
    uv_timer_stop(&conn->timer);
    if (ms > 0)
        uv_timer_start(&conn->timer, conn_idle_timeout, ms, 0);
}

const tls_peer_t *tlsconn_peer(const tlsconn_t *conn)
{
    return &conn->peer;
}

const char *tlsconn_peer_address(const tlsconn_t *conn, char *buf, size_t size)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    char ip[64];
    snprintf(buf, size, "?");
    if (!conn->connected || uv_tcp_getpeername(&conn->tcp, (struct sockaddr *)&ss, &len) != 0)
        return buf;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
        if (uv_ip4_name(sin, ip, sizeof(ip)) == 0)
            snprintf(buf, size, "%s:%u", ip, (unsigned)ntohs(sin->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;
        if (uv_ip6_name(sin6, ip, sizeof(ip)) == 0)
            snprintf(buf, size, "[%s]:%u", ip, (unsigned)ntohs(sin6->sin6_port));
    }
    return buf;
}

SSL *tlsconn_ssl(const tlsconn_t *conn)
{
    return conn->ssl;
}

void *tlsconn_data(const tlsconn_t *conn)
{
    return conn->opt.data;
}

tlsconn_state_t tlsconn_state(const tlsconn_t *conn)
{
    return conn->state;
}
