/*
 * test_tls.c - mutual TLS over libuv, end to end on 127.0.0.1.
 *
 * A real PKI is made per run with scripts/pki (a province CA with a server
 * certificate, good, expired and revoked client certificates, and a second,
 * foreign CA). A server tlsconn and a client tlsconn (or a raw TCP client for
 * hostile input) run in one loop; every test ends with all handles closed
 * and uv_loop_close() returning 0.
 */
#define _XOPEN_SOURCE 700 /* nftw() */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <uv.h>

#include "tls.h"
#include "tlsconn.h"

#ifndef THIDUA_SRCDIR
#define THIDUA_SRCDIR "."
#endif

enum {
    MIB = 1024 * 1024,
    PATTERN_LEN = 4 * MIB,
    WATCHDOG_MS = 30000,
};

/* --- the PKI, made once for all tests ------------------------------------- */

static char tmpdir[PATH_MAX];
static unsigned char *pattern; /* PATTERN_LEN bytes every payload is cut from */

static char *path(char *buf, size_t size, const char *rel)
{
    int n = snprintf(buf, size, "%s/%s", tmpdir, rel);
    if (n < 0 || (size_t)n >= size)
        fail_msg("path too long: %s/%s", tmpdir, rel);
    return buf;
}

static int run_pki(const char *args)
{
    const char *src = getenv("THIDUA_TEST_SRCDIR");
    if (src == NULL || src[0] == '\0')
        src = THIDUA_SRCDIR;
    char cmd[3 * PATH_MAX];
    snprintf(cmd, sizeof(cmd), "cd '%s' && '%s/scripts/pki' %s >/dev/null", tmpdir, src, args);
    int rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "test_tls: failed (%d): %s\n", rc, cmd);
    return rc;
}

static int group_setup(void **state)
{
    (void)state;
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof(tmpdir), "%s/thidua-test-tls-XXXXXX",
             base != NULL && base[0] != '\0' ? base : "/tmp");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    static const char *const steps[] = {
        "init a",
        "server a 127.0.0.1",
        "client a 93-934 district",
        "client a 93 province",
        "client a 93-935 district --expired --name expired",
        "client a 93-936 district --name revoked",
        "revoke a a/clients/revoked.crt",
        "init b --org other",
        "client b 93-934 district",
    };
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
        if (run_pki(steps[i]) != 0)
            return -1;
    pattern = malloc(PATTERN_LEN);
    if (pattern == NULL)
        return -1;
    for (size_t i = 0; i < PATTERN_LEN; i++)
        pattern[i] = (unsigned char)((i * 131u) ^ (i >> 9) ^ (i >> 17));
    return 0;
}

static int remove_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int group_teardown(void **state)
{
    (void)state;
    free(pattern);
    return nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* --- one side of a connection, driven by callbacks ------------------------ */

typedef struct side {
    tlsconn_t conn;
    int started;
    int handshakes;
    int closed;
    int drains;
    int paused;
    int read_while_paused;
    tlsconn_close_t reason;
    char message[256];
    tls_peer_t peer;
    char version[16];
    unsigned char *rx;
    size_t rx_len, rx_cap;
    size_t sent;
    size_t max_queued;
    /* what the test wants this side to do */
    int echo;
    int shutdown_on_handshake;
    int abort_on_handshake;
    int pause_on_handshake;
    size_t send_on_handshake; /* pattern bytes to send, in odd chunk sizes */
    size_t shutdown_after;    /* shut down once this many bytes arrived */
    uint64_t handshake_ms, idle_ms;
} side_t;

typedef struct raw {
    uv_tcp_t tcp;
    uv_connect_t req;
    uv_write_t wreq;
    const char *send;
    int started;
    int eof;
    int closed;
    char buf[4096];
} raw_t;

static struct {
    uv_loop_t loop;
    uv_tcp_t listener;
    uv_timer_t watchdog;
    uint16_t port;
    int timed_out;
    int server_sndbuf;
    int swap_ctx;
    SSL_CTX *server_ctx, *client_ctx;
    side_t server, client;
    raw_t raw;
    uv_timer_t resume;
    int listener_closed;
} H;

static void track_queued(side_t *s)
{
    size_t q = tlsconn_write_queued(&s->conn);
    if (q > s->max_queued)
        s->max_queued = q;
}

/* Send pattern bytes up to target in chunk sizes that match no buffer size. */
static void send_upto(side_t *s, size_t target)
{
    static const size_t sizes[] = {1, 3, 17, 4093, 16385, 65537, 99991, 7};
    size_t i = 0;
    while (s->sent < target && tlsconn_state(&s->conn) != TLSCONN_CLOSING) {
        size_t n = sizes[i++ % (sizeof(sizes) / sizeof(sizes[0]))];
        if (n > target - s->sent)
            n = target - s->sent;
        assert_int_equal(tlsconn_write(&s->conn, pattern + s->sent, n), 0);
        s->sent += n;
        track_queued(s);
    }
}

static void side_on_handshake(tlsconn_t *conn)
{
    side_t *s = tlsconn_data(conn);
    s->handshakes++;
    s->peer = *tlsconn_peer(conn);
    snprintf(s->version, sizeof(s->version), "%s", SSL_get_version(tlsconn_ssl(conn)));
    if (s->pause_on_handshake) {
        tlsconn_read_stop(conn);
        s->paused = 1;
    }
    if (s->send_on_handshake > 0)
        send_upto(s, s->send_on_handshake);
    if (s->shutdown_on_handshake)
        tlsconn_shutdown(conn);
    if (s->abort_on_handshake)
        tlsconn_abort(conn);
}

static void side_on_read(tlsconn_t *conn, const char *data, size_t len)
{
    side_t *s = tlsconn_data(conn);
    if (s->paused)
        s->read_while_paused++;
    if (s->rx_len + len > s->rx_cap) {
        size_t cap = s->rx_cap ? s->rx_cap : 65536;
        while (cap < s->rx_len + len)
            cap *= 2;
        unsigned char *p = realloc(s->rx, cap);
        assert_non_null(p);
        s->rx = p;
        s->rx_cap = cap;
    }
    memcpy(s->rx + s->rx_len, data, len);
    s->rx_len += len;
    if (s->echo) {
        assert_int_equal(tlsconn_write(conn, data, len), 0);
        track_queued(s);
    }
    if (s->shutdown_after > 0 && s->rx_len >= s->shutdown_after)
        tlsconn_shutdown(conn);
}

static void side_on_drain(tlsconn_t *conn)
{
    side_t *s = tlsconn_data(conn);
    s->drains++;
}

static void side_on_close(tlsconn_t *conn, tlsconn_close_t reason, const char *message)
{
    side_t *s = tlsconn_data(conn);
    s->closed++;
    s->reason = reason;
    snprintf(s->message, sizeof(s->message), "%s", message);
}

static tlsconn_options_t side_options(side_t *s)
{
    tlsconn_options_t o = {
        .on_handshake = side_on_handshake,
        .on_read = side_on_read,
        .on_drain = side_on_drain,
        .on_close = side_on_close,
        .data = s,
        .handshake_timeout_ms = s->handshake_ms ? s->handshake_ms : 10000,
        .idle_timeout_ms = s->idle_ms,
        .linger_ms = 1000,
    };
    return o;
}

/* --- the loop ------------------------------------------------------------- */

static void on_connection(uv_stream_t *listener, int status)
{
    assert_int_equal(status, 0);
    assert_false(H.server.started); /* one connection per test */
    tlsconn_options_t o = side_options(&H.server);
    assert_int_equal(tlsconn_accept(&H.server.conn, listener, H.server_ctx, &o), 0);
    H.server.started = 1;
    if (H.swap_ctx) {
        /* A reload: the open connection keeps its own reference to the old context. */
        SSL_CTX_free(H.server_ctx);
        H.server_ctx = NULL;
    }
    if (H.server_sndbuf > 0) {
        int v = H.server_sndbuf;
        assert_int_equal(uv_send_buffer_size((uv_handle_t *)&H.server.conn.tcp, &v), 0);
    }
}

static void on_watchdog(uv_timer_t *t)
{
    H.timed_out = 1;
    uv_stop(t->loop);
}

static int setup(void **state)
{
    (void)state;
    memset(&H, 0, sizeof(H));
    if (uv_loop_init(&H.loop) != 0 || uv_tcp_init(&H.loop, &H.listener) != 0)
        return -1;
    struct sockaddr_in addr;
    struct sockaddr_storage bound;
    int len = sizeof(bound);
    if (uv_ip4_addr("127.0.0.1", 0, &addr) != 0 ||
        uv_tcp_bind(&H.listener, (const struct sockaddr *)&addr, 0) != 0 ||
        uv_listen((uv_stream_t *)&H.listener, 8, on_connection) != 0 ||
        uv_tcp_getsockname(&H.listener, (struct sockaddr *)&bound, &len) != 0)
        return -1;
    H.port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
    uv_timer_init(&H.loop, &H.watchdog);
    uv_timer_start(&H.watchdog, on_watchdog, WATCHDOG_MS, 0);
    uv_unref((uv_handle_t *)&H.watchdog);
    return 0;
}

static void close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static int teardown(void **state)
{
    (void)state;
    /* After a failed assertion a connection may still be open: end it the proper way. */
    if (H.server.started && !H.server.closed)
        tlsconn_abort(&H.server.conn);
    if (H.client.started && !H.client.closed)
        tlsconn_abort(&H.client.conn);
    uv_walk(&H.loop, close_walk, NULL); /* the listener, the watchdog, a raw client */
    uv_run(&H.loop, UV_RUN_DEFAULT);
    int rc = uv_loop_close(&H.loop);
    free(H.server.rx);
    free(H.client.rx);
    SSL_CTX_free(H.server_ctx);
    SSL_CTX_free(H.client_ctx);
    if (rc != 0)
        fprintf(stderr, "test_tls: uv_loop_close: %s\n", uv_strerror(rc));
    return rc == 0 ? 0 : -1;
}

static void run_until(int (*done)(void))
{
    while (!done() && !H.timed_out)
        uv_run(&H.loop, UV_RUN_ONCE);
    assert_false(H.timed_out);
}

static int both_closed(void)
{
    return H.server.closed && H.client.closed;
}

static int server_and_raw_closed(void)
{
    return H.server.closed && H.raw.closed;
}

/* --- contexts ------------------------------------------------------------- */

static SSL_CTX *make_server_ctx(int with_crl)
{
    char ca[PATH_MAX], crt[PATH_MAX], key[PATH_MAX], crl[PATH_MAX], err[TLS_ERRLEN];
    tls_files_t f = {
        .ca_file = path(ca, sizeof(ca), "a/ca.crt"),
        .cert_file = path(crt, sizeof(crt), "a/server/127.0.0.1.crt"),
        .key_file = path(key, sizeof(key), "a/server/127.0.0.1.key"),
        .crl_file = with_crl ? path(crl, sizeof(crl), "a/crl.pem") : NULL,
    };
    SSL_CTX *ctx = tls_server_ctx_new(&f, err, sizeof(err));
    if (ctx == NULL)
        fail_msg("%s", err);
    return ctx;
}

/* cert: a name under DIR/clients without extension, or NULL for no certificate. */
static SSL_CTX *make_client_ctx(const char *ca_dir, const char *cert_dir, const char *cert)
{
    char ca[PATH_MAX], crt[PATH_MAX], key[PATH_MAX], rel[256], err[TLS_ERRLEN];
    snprintf(rel, sizeof(rel), "%s/ca.crt", ca_dir);
    tls_files_t f = {.ca_file = path(ca, sizeof(ca), rel)};
    if (cert != NULL) {
        snprintf(rel, sizeof(rel), "%s/clients/%s.crt", cert_dir, cert);
        f.cert_file = path(crt, sizeof(crt), rel);
        snprintf(rel, sizeof(rel), "%s/clients/%s.key", cert_dir, cert);
        f.key_file = path(key, sizeof(key), rel);
    }
    SSL_CTX *ctx = tls_client_ctx_new(&f, err, sizeof(err));
    if (ctx == NULL)
        fail_msg("%s", err);
    return ctx;
}

static void start_client(void)
{
    tlsconn_options_t o = side_options(&H.client);
    assert_int_equal(
        tlsconn_connect(&H.client.conn, &H.loop, H.client_ctx, "127.0.0.1", H.port, &o), 0);
    H.client.started = 1;
}

static void fingerprint_of(const char *rel, char out[65])
{
    char p[PATH_MAX];
    FILE *f = fopen(path(p, sizeof(p), rel), "r");
    assert_non_null(f);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(x);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    assert_int_equal(X509_digest(x, EVP_sha256(), md, &n), 1);
    X509_free(x);
    for (unsigned int i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
}

/* --- tests ---------------------------------------------------------------- */

/* Both sides learn who the other is; the client's close_notify is a clean end for the server. */
static void test_handshake_identity(void **state)
{
    (void)state;
    H.server_ctx = make_server_ctx(1);
    H.client_ctx = make_client_ctx("a", "a", "93-934-district");
    H.client.shutdown_on_handshake = 1;
    start_client();
    run_until(both_closed);

    assert_int_equal(H.server.handshakes, 1);
    assert_int_equal(H.client.handshakes, 1);
    assert_string_equal(H.server.peer.unit, "93-934");
    assert_string_equal(H.server.peer.role, "district");
    char fp[65];
    fingerprint_of("a/clients/93-934-district.crt", fp);
    assert_string_equal(H.server.peer.fingerprint, fp);
    assert_int_equal(strlen(H.server.peer.serial) > 0, 1);
    assert_true(H.server.peer.not_after > (int64_t)time(NULL) + 300 * 86400);
    assert_string_equal(H.server.version, "TLSv1.3");
    assert_string_equal(H.client.peer.unit, "127.0.0.1");

    assert_int_equal(H.server.reason, TLSCONN_CLOSE_NOTIFY);
    assert_string_equal(H.server.message, "");
    assert_int_equal(H.client.reason, TLSCONN_CLOSE_LOCAL);
    assert_int_equal(H.server.closed, 1);
    assert_int_equal(H.client.closed, 1);
}

/* The server ends the session: the client sees close_notify. OU province comes through. */
static void test_server_close_notify(void **state)
{
    (void)state;
    H.server_ctx = make_server_ctx(1);
    H.client_ctx = make_client_ctx("a", "a", "93-province");
    H.server.shutdown_on_handshake = 1;
    start_client();
    run_until(both_closed);
    assert_string_equal(H.server.peer.unit, "93");
    assert_string_equal(H.server.peer.role, "province");
    assert_int_equal(H.client.reason, TLSCONN_CLOSE_NOTIFY);
    assert_int_equal(H.server.reason, TLSCONN_CLOSE_LOCAL);
}

/* 1 MiB from the client in odd chunks (some written before the handshake), echoed back. */
static void test_echo_1mib(void **state)
{
    (void)state;
    H.server_ctx = make_server_ctx(1);
    H.client_ctx = make_client_ctx("a", "a", "93-934-district");
    H.swap_ctx = 1;
    H.server.echo = 1;
    H.client.send_on_handshake = MIB;
    H.client.shutdown_after = MIB;
    start_client();
    send_upto(&H.client, 21); /* queued while connecting */
    assert_int_equal(tlsconn_write_queued(&H.client.conn), 21);
    run_until(both_closed);

    assert_int_equal(H.client.reason, TLSCONN_CLOSE_LOCAL);
    assert_int_equal(H.server.reason, TLSCONN_CLOSE_NOTIFY);
    assert_int_equal(H.server.rx_len, MIB);
    assert_memory_equal(H.server.rx, pattern, MIB);
    assert_int_equal(H.client.rx_len, MIB);
    assert_memory_equal(H.client.rx, pattern, MIB);
    /* The counters moved and came back. */
    assert_true(H.client.max_queued >= 512 * 1024);
    assert_true(H.server.max_queued > 0);
    assert_true(H.client.drains >= 1);
}

/* A paused reader makes the writer's queue grow; resuming drains it and on_drain fires. */
static int client_got_all(void)
{
    return (H.client.rx_len >= PATTERN_LEN && tlsconn_write_queued(&H.server.conn) == 0) ||
           H.client.closed;
}

static void resume_client(uv_timer_t *t)
{
    assert_int_equal(H.client.rx_len, 0);
    assert_int_equal(H.client.read_while_paused, 0);
    /* The kernel holds a few hundred KiB at most: the rest is still queued here. */
    assert_true(tlsconn_write_queued(&H.server.conn) > MIB);
    assert_int_equal(H.server.drains, 0);
    H.client.paused = 0;
    tlsconn_read_start(&H.client.conn);
    uv_close((uv_handle_t *)t, NULL);
}

static void test_backpressure(void **state)
{
    (void)state;
    H.server_ctx = make_server_ctx(1);
    H.client_ctx = make_client_ctx("a", "a", "93-934-district");
    H.server_sndbuf = 16384;
    H.server.send_on_handshake = PATTERN_LEN;
    H.client.pause_on_handshake = 1;
    start_client();
    uv_timer_init(&H.loop, &H.resume);
    uv_timer_start(&H.resume, resume_client, 400, 0);
    run_until(client_got_all);
    assert_int_equal(H.client.rx_len, PATTERN_LEN);
    assert_memory_equal(H.client.rx, pattern, PATTERN_LEN);
    assert_true(H.server.max_queued >= PATTERN_LEN);
    assert_true(H.server.drains >= 1);
    assert_int_equal(tlsconn_write_queued(&H.server.conn), 0);
    tlsconn_shutdown(&H.client.conn);
    run_until(both_closed);
    assert_int_equal(H.server.reason, TLSCONN_CLOSE_NOTIFY);
}

/* Refusals: the server says why at the handshake, the client hears it on its first read. */
static void expect_refused(const char *server_says, const char *client_says)
{
    start_client();
    run_until(both_closed);
    assert_int_equal(H.server.handshakes, 0);
    assert_int_equal(H.server.reason, TLSCONN_CLOSE_ERROR);
    assert_contains(H.server.message, server_says);
    assert_int_equal(H.client.reason, TLSCONN_CLOSE_ERROR);
    assert_contains(H.client.message, client_says);
    assert_int_equal(H.client.rx_len, 0);
}

static void test_refuse_no_certificate(void **state)
{
    (void)state;
    H.server_ctx = make_server_ctx(1);
    H.client_ctx = make_client_ctx("a", "a", NULL);
    expect_refused("peer did not return a certificate",
                   "the server refused our certificate: tlsv13 alert certificate required");
}

static void test_refuse_other_ca(void **state)
{
    (void)state;
    H.server_ctx = make_server_ctx(1);
    H.client_ctx = make_client_ctx("a", "b", "93-934-district");
    expect_refused("client certificate refused: unable to get local issuer certificate",
                   "the server refused our certificate: tlsv1 alert unknown ca");
}

static void test_refuse_expired(void **state)
{
    (void)state;
    H.server_ctx = make_server_ctx(1);
    H.client_ctx = make_client_ctx("a", "a", "expired");
    expect_refused("client certificate refused: certificate has expired",
                   "the server refused our certificate: sslv3 alert certificate expired");
}

static void test_refuse_revoked(void **state)
{
    (void)state;
    H.server_ctx = make_server_ctx(1);
    H.client_ctx = make_client_ctx("a", "a", "revoked");
    expect_refused("client certificate refused: certificate revoked",
                   "the server refused our certificate: sslv3 alert certificate revoked");
}

/* A server certificate is not a client certificate, though the same CA signed it. */
static void test_refuse_server_certificate_as_client(void **state)
{
    (void)state;
    char ca[PATH_MAX], crt[PATH_MAX], key[PATH_MAX], err[TLS_ERRLEN];
    tls_files_t f = {
        .ca_file = path(ca, sizeof(ca), "a/ca.crt"),
        .cert_file = path(crt, sizeof(crt), "a/server/127.0.0.1.crt"),
        .key_file = path(key, sizeof(key), "a/server/127.0.0.1.key"),
    };
    H.server_ctx = make_server_ctx(1);
    H.client_ctx = tls_client_ctx_new(&f, err, sizeof(err));
    assert_non_null(H.client_ctx);
    expect_refused("client certificate refused: unsuitable certificate purpose",
                   "the server refused our certificate");
}

/* The same certificate passes when the server has no CRL: the CRL is what refused it. */
static void test_revoked_passes_without_crl(void **state)
{
    (void)state;
    H.server_ctx = make_server_ctx(0);
    H.client_ctx = make_client_ctx("a", "a", "revoked");
    H.client.shutdown_on_handshake = 1;
    start_client();
    run_until(both_closed);
    assert_int_equal(H.server.handshakes, 1);
    assert_string_equal(H.server.peer.unit, "93-936");
    assert_int_equal(H.server.reason, TLSCONN_CLOSE_NOTIFY);
}

/* The client checks the server too: a server certificate from an unknown CA is refused. */
static void test_client_refuses_unknown_server(void **state)
{
    (void)state;
    H.server_ctx = make_server_ctx(1);
    H.client_ctx = make_client_ctx("b", "b", "93-934-district");
    start_client();
    run_until(both_closed);
    assert_int_equal(H.client.handshakes, 0);
    assert_int_equal(H.server.handshakes, 0);
    assert_int_equal(H.client.reason, TLSCONN_CLOSE_ERROR);
    /* The server sends its CA along, which the client does not trust. */
    assert_contains(H.client.message, "server certificate refused: self-signed certificate");
    assert_contains(H.server.message, "the client refused our certificate: tlsv1 alert unknown ca");
}

/* The client checks the host name: the address is right, the name is not in the certificate. */
static void test_client_checks_host_name(void **state)
{
    (void)state;
    H.server_ctx = make_server_ctx(1);
    H.client_ctx = make_client_ctx("a", "a", "93-934-district");
    tlsconn_options_t o = side_options(&H.client);
    /* "127.1" reaches 127.0.0.1 but is not an IP address to OpenSSL: a DNS name, not in the SAN. */
    assert_int_equal(tlsconn_connect(&H.client.conn, &H.loop, H.client_ctx, "127.1", H.port, &o),
                     0);
    H.client.started = 1;
    run_until(both_closed);
    assert_int_equal(H.client.handshakes, 0);
    assert_int_equal(H.client.reason, TLSCONN_CLOSE_ERROR);
    assert_contains(H.client.message, "server certificate refused: hostname mismatch");
}

static void listener_closed(uv_handle_t *h)
{
    (void)h;
    H.listener_closed = 1;
}

static int listener_is_closed(void)
{
    return H.listener_closed;
}

static int client_closed(void)
{
    return H.client.closed;
}

/* Nobody listening: the owner hears it through on_close, with the address. */
static void test_connect_refused(void **state)
{
    (void)state;
    H.client_ctx = make_client_ctx("a", "a", "93-934-district");
    uv_close((uv_handle_t *)&H.listener, listener_closed);
    run_until(listener_is_closed);
    start_client();
    assert_int_equal(tlsconn_write(&H.client.conn, "x", 1), 0);
    run_until(client_closed);
    assert_int_equal(H.client.reason, TLSCONN_CLOSE_ERROR);
    char want[64];
    snprintf(want, sizeof(want), "cannot connect to 127.0.0.1 port %u: connection refused",
             (unsigned)H.port);
    assert_string_equal(H.client.message, want);
    assert_int_equal(tlsconn_write_queued(&H.client.conn), 0);
}

/* TLS 1.2 still works, and there a refusal arrives during the client's handshake. */
static void test_tls12(void **state)
{
    (void)state;
    H.server_ctx = make_server_ctx(1);
    H.client_ctx = make_client_ctx("a", "a", "revoked");
    assert_int_equal(SSL_CTX_set_max_proto_version(H.client_ctx, TLS1_2_VERSION), 1);
    start_client();
    run_until(both_closed);
    assert_int_equal(H.client.handshakes, 0);
    assert_contains(H.server.message, "certificate revoked");
    assert_contains(H.client.message, "the server refused our certificate");
    assert_contains(H.client.message, "certificate revoked");
}

static void test_tls12_handshake(void **state)
{
    (void)state;
    H.server_ctx = make_server_ctx(1);
    H.client_ctx = make_client_ctx("a", "a", "93-934-district");
    assert_int_equal(SSL_CTX_set_max_proto_version(H.client_ctx, TLS1_2_VERSION), 1);
    H.server.echo = 1;
    H.client.send_on_handshake = 100000;
    H.client.shutdown_after = 100000;
    start_client();
    run_until(both_closed);
    assert_string_equal(H.server.version, "TLSv1.2");
    assert_string_equal(H.server.peer.unit, "93-934");
    assert_int_equal(H.client.rx_len, 100000);
    assert_memory_equal(H.client.rx, pattern, 100000);
    assert_int_equal(H.server.reason, TLSCONN_CLOSE_NOTIFY);
}

/* A peer that drops TCP without close_notify is reported as EOF, not as a clean close. */
static void test_peer_eof(void **state)
{
    (void)state;
    H.server_ctx = make_server_ctx(1);
    H.client_ctx = make_client_ctx("a", "a", "93-934-district");
    H.client.abort_on_handshake = 1;
    start_client();
    run_until(both_closed);
    assert_int_equal(H.client.reason, TLSCONN_CLOSE_LOCAL);
    /* TLS 1.3: the server may end its handshake just before the end of the stream. */
    if (H.server.handshakes == 1) {
        assert_int_equal(H.server.reason, TLSCONN_CLOSE_EOF);
        assert_contains(H.server.message, "without close_notify");
    } else {
        assert_int_equal(H.server.reason, TLSCONN_CLOSE_ERROR);
        assert_contains(H.server.message, "during the TLS handshake");
    }
}

/* No traffic after the handshake: the server closes politely after the idle time. */
static void test_idle_timeout(void **state)
{
    (void)state;
    H.server_ctx = make_server_ctx(1);
    H.client_ctx = make_client_ctx("a", "a", "93-934-district");
    H.server.idle_ms = 200;
    start_client();
    uint64_t t0 = uv_now(&H.loop);
    run_until(both_closed);
    assert_true(uv_now(&H.loop) - t0 >= 200);
    assert_int_equal(H.server.reason, TLSCONN_CLOSE_IDLE_TIMEOUT);
    assert_int_equal(H.client.reason, TLSCONN_CLOSE_NOTIFY);
}

/* --- a raw TCP client for hostile input ----------------------------------- */

static void raw_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    raw_t *r = h->data;
    *buf = uv_buf_init(r->buf, sizeof(r->buf));
}

static void raw_closed(uv_handle_t *h)
{
    raw_t *r = h->data;
    r->closed = 1;
}

static void raw_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    raw_t *r = s->data;
    if (nread < 0) {
        r->eof = nread == UV_EOF;
        uv_close((uv_handle_t *)s, raw_closed);
    }
}

static void raw_written(uv_write_t *req, int status)
{
    (void)req;
    assert_int_equal(status, 0);
}

static void raw_connected(uv_connect_t *req, int status)
{
    raw_t *r = req->data;
    assert_int_equal(status, 0);
    if (r->send != NULL) {
        uv_buf_t b = uv_buf_init((char *)r->send, (unsigned int)strlen(r->send));
        assert_int_equal(uv_write(&r->wreq, (uv_stream_t *)&r->tcp, &b, 1, raw_written), 0);
    }
    assert_int_equal(uv_read_start((uv_stream_t *)&r->tcp, raw_alloc, raw_read), 0);
}

static void start_raw(const char *send)
{
    struct sockaddr_in addr;
    H.raw.send = send;
    assert_int_equal(uv_tcp_init(&H.loop, &H.raw.tcp), 0);
    H.raw.tcp.data = &H.raw;
    H.raw.req.data = &H.raw;
    assert_int_equal(uv_ip4_addr("127.0.0.1", H.port, &addr), 0);
    assert_int_equal(
        uv_tcp_connect(&H.raw.req, &H.raw.tcp, (const struct sockaddr *)&addr, raw_connected), 0);
    H.raw.started = 1;
}

/* Not a ClientHello: the server ends the connection with an error, the client sees the end. */
static void test_garbage_instead_of_hello(void **state)
{
    (void)state;
    H.server_ctx = make_server_ctx(1);
    start_raw("GET / HTTP/1.1\r\nHost: thidua\r\n\r\n");
    run_until(server_and_raw_closed);
    assert_int_equal(H.server.handshakes, 0);
    assert_int_equal(H.server.reason, TLSCONN_CLOSE_ERROR);
    assert_contains(H.server.message, "TLS handshake failed");
    assert_int_equal(H.raw.eof, 1);
}

/* A client that connects and says nothing is dropped after the handshake timeout. */
static void test_handshake_timeout(void **state)
{
    (void)state;
    H.server_ctx = make_server_ctx(1);
    H.server.handshake_ms = 150;
    uint64_t t0 = uv_now(&H.loop);
    start_raw(NULL);
    run_until(server_and_raw_closed);
    assert_true(uv_now(&H.loop) - t0 >= 150);
    assert_int_equal(H.server.reason, TLSCONN_CLOSE_HANDSHAKE_TIMEOUT);
    assert_int_equal(H.raw.eof, 1);
}

/* --- contexts and files --------------------------------------------------- */

static void test_key_permissions(void **state)
{
    (void)state;
    char key[PATH_MAX], err[TLS_ERRLEN];
    path(key, sizeof(key), "a/clients/93-934-district.key");

    assert_int_equal(tls_check_key_permissions(key, err, sizeof(err)), 0);
    assert_int_equal(chmod(key, 0644), 0);
    assert_int_equal(tls_check_key_permissions(key, err, sizeof(err)), -1);
    assert_contains(err, key);
    assert_contains(err, "0644");
    assert_int_equal(chmod(key, 0604), 0);
    assert_int_equal(tls_check_key_permissions(key, err, sizeof(err)), -1);
    assert_int_equal(chmod(key, 0620), 0);
    assert_int_equal(tls_check_key_permissions(key, err, sizeof(err)), -1);

    /* Context building refuses the key as well. */
    assert_int_equal(chmod(key, 0644), 0);
    char ca[PATH_MAX], crt[PATH_MAX];
    tls_files_t f = {
        .ca_file = path(ca, sizeof(ca), "a/ca.crt"),
        .cert_file = path(crt, sizeof(crt), "a/clients/93-934-district.crt"),
        .key_file = key,
    };
    SSL_CTX *ctx = tls_client_ctx_new(&f, err, sizeof(err));
    assert_null(ctx);
    assert_contains(err, "must not be accessible by group or others");
    assert_int_equal(chmod(key, 0600), 0);
    ctx = tls_client_ctx_new(&f, err, sizeof(err));
    assert_non_null(ctx);
    SSL_CTX_free(ctx);

    char missing[PATH_MAX];
    assert_int_equal(
        tls_check_key_permissions(path(missing, sizeof(missing), "nokey.key"), err, sizeof(err)),
        -1);
    assert_contains(err, "No such file or directory");
}

static void test_context_errors(void **state)
{
    (void)state;
    char ca[PATH_MAX], crt[PATH_MAX], key[PATH_MAX], crl[PATH_MAX], err[TLS_ERRLEN];
    tls_files_t f = {
        .ca_file = path(ca, sizeof(ca), "a/ca.crt"),
        .cert_file = path(crt, sizeof(crt), "a/server/missing.crt"),
        .key_file = path(key, sizeof(key), "a/server/127.0.0.1.key"),
    };
    assert_null(tls_server_ctx_new(&f, err, sizeof(err)));
    char want[2 * PATH_MAX];
    snprintf(want, sizeof(want), "tls: cannot read certificate %s: No such file or directory", crt);
    assert_string_equal(err, want);

    path(crt, sizeof(crt), "a/server/127.0.0.1.crt");
    path(key, sizeof(key), "a/clients/93-934-district.key");
    assert_null(tls_server_ctx_new(&f, err, sizeof(err)));
    assert_contains(err, "does not match certificate");

    /* A CRL from another CA would check nothing: refused at start. */
    path(key, sizeof(key), "a/server/127.0.0.1.key");
    f.crl_file = path(crl, sizeof(crl), "b/crl.pem");
    assert_null(tls_server_ctx_new(&f, err, sizeof(err)));
    assert_contains(err, "is not signed by the CA");

    /* A certificate file that is not PEM. */
    f.crl_file = NULL;
    f.cert_file = f.key_file;
    assert_null(tls_server_ctx_new(&f, err, sizeof(err)));
    assert_contains(err, "tls: cannot read certificate");

    f.cert_file = path(crt, sizeof(crt), "a/server/127.0.0.1.crt");
    f.ca_file = NULL;
    assert_null(tls_server_ctx_new(&f, err, sizeof(err)));
    assert_contains(err, "no CA file");
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_handshake_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_close_notify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_echo_1mib, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backpressure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_no_certificate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_other_ca, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_expired, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_revoked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_server_certificate_as_client, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoked_passes_without_crl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_refuses_unknown_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_checks_host_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls12, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls12_handshake, setup, teardown),
        cmocka_unit_test_setup_teardown(test_peer_eof, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_instead_of_hello, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handshake_timeout, setup, teardown),
        cmocka_unit_test(test_key_permissions),
        cmocka_unit_test(test_context_errors),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
