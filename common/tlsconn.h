/*
 * tlsconn.h - one TLS connection over a libuv TCP stream, for both sides.
 *
 * libuv has no TLS, so OpenSSL runs over memory BIOs: every chunk read from
 * the socket goes into the read BIO, and after every SSL_* call the write BIO
 * is drained into a uv_write. The owner sees plaintext only, through
 * callbacks, and writes plaintext with tlsconn_write().
 *
 * Lifetime. The owner provides the memory of a tlsconn_t (usually embedded in
 * its own per-connection struct) and keeps it alive until on_close:
 *   - tlsconn_accept()/tlsconn_connect() return 0: from then on on_close is
 *     called exactly once, always from the event loop (never from inside a
 *     tlsconn_* call), and it is the last callback. When it runs, the socket,
 *     the timer and the SSL are gone; the owner may free the memory in it.
 *   - they return < 0: nothing was started, no callback will run, the memory
 *     may be freed at once.
 * Closing is asynchronous: tlsconn_shutdown() starts it, on_close ends it.
 *
 * Flow control. tlsconn_write() never fails for lack of room: it queues. The
 * owner reads tlsconn_write_queued() (plaintext not yet encrypted plus
 * ciphertext handed to the kernel but not yet written), stops reading its
 * peer or producing data above its own high-water mark, and resumes in
 * on_drain, called once the queue falls below the low-water mark after a
 * write left it at or above that mark. tlsconn_read_stop()/tlsconn_read_start()
 * pause and resume reading (no on_read while paused).
 *
 * Ending. A peer's close_notify is answered with ours, then the connection
 * closes (TLSCONN_CLOSE_NOTIFY). A TCP end without close_notify is
 * TLSCONN_CLOSE_EOF: the owner decides whether that was fine (between frames)
 * or a protocol error (in the middle of a frame). Errors carry a message from
 * OpenSSL or libuv; handshake and idle timeouts have their own reasons.
 * After a TLS alert or our close_notify the socket is half-closed and drained
 * for a short while (linger) before it is closed, so the peer reads the alert
 * instead of a connection reset.
 *
 * Client side, TLS 1.3: the handshake completes on the client before the
 * server has checked the client certificate, so a refusal arrives as an
 * alert on the first read after on_handshake and is reported through
 * on_close (TLSCONN_CLOSE_ERROR, "the server refused our certificate: ...").
 * A client must not consider itself connected before the server's first
 * answer.
 *
 * The owner ignores SIGPIPE (signal(SIGPIPE, SIG_IGN)): libuv writes with
 * write(2), and a write to a reset socket would otherwise kill the process.
 *
 * Single-threaded: all calls on a connection from its loop's thread.
 */
#ifndef THIDUA_TLSCONN_H
#define THIDUA_TLSCONN_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "defs.h"
#include "tls.h"

typedef struct tlsconn tlsconn_t;

/* Why a connection ended, as on_close reports it. */
typedef enum {
    TLSCONN_CLOSE_LOCAL = 0, /* the owner called tlsconn_shutdown()/tlsconn_abort() */
    TLSCONN_CLOSE_NOTIFY,    /* the peer ended the session with close_notify */
    TLSCONN_CLOSE_EOF,       /* the peer closed TCP without close_notify (after handshake) */
    TLSCONN_CLOSE_ERROR,     /* TLS, socket, resolution or connect error: see message */
    TLSCONN_CLOSE_HANDSHAKE_TIMEOUT, /* no completed handshake in time */
    TLSCONN_CLOSE_IDLE_TIMEOUT,      /* no traffic in either direction for the idle time */
} tlsconn_close_t;

/* "local", "close_notify", "eof", "error", "handshake_timeout", "idle_timeout". */
const char *tlsconn_close_name(tlsconn_close_t reason);

/*
 * What the owner supplies. Copied at accept/connect. Callbacks may call any
 * tlsconn_* function on their connection, including tlsconn_shutdown().
 */
typedef struct tlsconn_options {
    /* The handshake completed; tlsconn_peer() is valid from now on. May be NULL. */
    void (*on_handshake)(tlsconn_t *conn);
    /* Plaintext; data is valid only during the call. */
    void (*on_read)(tlsconn_t *conn, const char *data, size_t len);
    /* The write queue fell below the low-water mark. May be NULL. */
    void (*on_drain)(tlsconn_t *conn);
    /* The last callback; message is "" for a clean close, valid only during the call. */
    void (*on_close)(tlsconn_t *conn, tlsconn_close_t reason, const char *message);
    void *data;                    /* for the owner: tlsconn_data() */
    uint64_t handshake_timeout_ms; /* from accept/connect (incl. name lookup and TCP connect)
                                      to a completed handshake; 0 = none */
    uint64_t idle_timeout_ms;      /* after the handshake, no bytes in or out; 0 = none */
    uint64_t linger_ms;            /* how long a closing connection waits for its last
                                      writes and the peer's end; 0 = 2000 */
    size_t low_water;              /* on_drain threshold, bytes; 0 = 64 KiB */
} tlsconn_options_t;

/* Where a connection is; readable by the owner, changed only by tlsconn.c. */
typedef enum {
    TLSCONN_CONNECTING = 0, /* client: resolving the name or connecting TCP */
    TLSCONN_HANDSHAKE,
    TLSCONN_OPEN,
    TLSCONN_CLOSING, /* flushing our last bytes, lingering for the peer's end */
    TLSCONN_CLOSED,  /* handles closing; on_close follows */
} tlsconn_state_t;

/* One queued plaintext block that SSL_write has not taken yet. */
typedef struct tlsconn_chunk tlsconn_chunk_t;

/*
 * The connection. Public only so that the owner can embed it; every field is
 * private to tlsconn.c except through the functions below.
 * Ownership: the SSL (and with it both BIOs), the read buffer, the plaintext
 * queue and the address list are allocated here and freed before on_close;
 * each write request owns its ciphertext and frees it in its callback.
 */
struct tlsconn {
    uv_tcp_t tcp;
    uv_timer_t timer; /* handshake, then idle, then linger timeout */
    uv_getaddrinfo_t resolve;
    uv_connect_t connect;
    uv_shutdown_t shutdown;
    SSL *ssl;
    BIO *rbio; /* ciphertext from the socket; owned by ssl */
    BIO *wbio; /* ciphertext for the socket; owned by ssl */
    char *buf; /* 64 KiB while a read is handled (socket bytes, then SSL_read output); else NULL */
    tlsconn_chunk_t *queue_head, *queue_tail;
    size_t plain_queued;  /* bytes in the plaintext queue */
    size_t cipher_queued; /* bytes in uv_writes not completed */
    struct addrinfo *addrs, *next_addr;
    tlsconn_options_t opt;
    tlsconn_state_t state;
    tlsconn_close_t reason;
    char message[256];
    char host[256];
    tls_peer_t peer;
    uint64_t last_active;       /* uv_now() of the last byte in or out */
    unsigned pending;           /* handles not yet finished closing */
    int connect_error;          /* client: error of the last address tried */
    uint16_t port;              /* client: the server's port, for messages */
    unsigned want_read : 1;     /* the owner has not paused reading */
    unsigned reading : 1;       /* uv_read_start is in effect */
    unsigned write_blocked : 1; /* SSL_write wants input before it can go on */
    unsigned in_pump : 1;       /* inside the SSL_read loop */
    unsigned drain_wanted : 1;  /* on_drain is owed when the queue falls low */
    unsigned peer_eof : 1;      /* TCP end seen */
    unsigned shut_done : 1;     /* uv_shutdown finished (or cannot be done) */
    unsigned resolving : 1;     /* uv_getaddrinfo callback outstanding */
    unsigned connected : 1;     /* the socket is connected (accepted or connect succeeded) */
    unsigned reason_set : 1;    /* reason and message are final */
    unsigned tcp_gone : 1;      /* the socket handle could not be re-created */
};

/*
 * Server: accept a pending connection from listener (call from its
 * connection callback) and start the TLS handshake with ctx (the SSL takes
 * its own reference to ctx). opt->on_read and opt->on_close are required.
 */
THIDUA_MUSTCHECK int tlsconn_accept(tlsconn_t *conn, uv_stream_t *listener, SSL_CTX *ctx,
                                    const tlsconn_options_t *opt);

/*
 * Client: resolve host, connect to port (trying each address in turn), and
 * run the handshake, with host as SNI and as the name the server certificate
 * must carry. Every failure after a 0 return arrives through on_close.
 */
THIDUA_MUSTCHECK int tlsconn_connect(tlsconn_t *conn, uv_loop_t *loop, SSL_CTX *ctx,
                                     const char *host, uint16_t port, const tlsconn_options_t *opt);

/*
 * Queue plaintext for the peer (copied). Allowed before the handshake
 * completes: sent once it has. Returns 0, UV_EPIPE once the connection is
 * closing, UV_ENOMEM, or UV_EPROTO after a TLS error (the connection then
 * closes with the reason in on_close).
 */
THIDUA_MUSTCHECK int tlsconn_write(tlsconn_t *conn, const void *data, size_t len);

/* Bytes queued for the peer and not yet written to the socket (see above). */
size_t tlsconn_write_queued(const tlsconn_t *conn);

/* Pause/resume on_read. read_start may deliver buffered plaintext before it returns. */
void tlsconn_read_stop(tlsconn_t *conn);
void tlsconn_read_start(tlsconn_t *conn);

/*
 * Close politely: send close_notify (if the handshake completed), flush, end
 * TCP, then close. Queued plaintext not yet encrypted is dropped. Idempotent;
 * on_close follows with TLSCONN_CLOSE_LOCAL (unless a reason was already set).
 */
void tlsconn_shutdown(tlsconn_t *conn);

/* Close now, dropping everything queued (server shutdown deadline). Idempotent. */
void tlsconn_abort(tlsconn_t *conn);

/* Change the idle timeout of an open connection (0 = none). */
void tlsconn_set_idle_timeout(tlsconn_t *conn, uint64_t ms);

/* The peer's certificate identity; valid from on_handshake to on_close. */
const tls_peer_t *tlsconn_peer(const tlsconn_t *conn);

/* "ip:port" of the peer, "?" if unknown. Returns buf. */
const char *tlsconn_peer_address(const tlsconn_t *conn, char *buf, size_t size);

/* The SSL, for the protocol version and cipher in logs (SSL_get_version...). */
SSL *tlsconn_ssl(const tlsconn_t *conn);

void *tlsconn_data(const tlsconn_t *conn);
tlsconn_state_t tlsconn_state(const tlsconn_t *conn);

#endif
