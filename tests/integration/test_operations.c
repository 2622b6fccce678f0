/*
 * test_operations.c - what the province's operators rely on, through the real
 * thiduad (docs/operations.md):
 *
 * - the metrics endpoint speaks the Prometheus text format, its counters move
 *   with the traffic (connections, requests, acks, errors, the pool), and it
 *   stays bounded against hostile HTTP clients;
 * - /health tells a load balancer when the database is gone;
 * - SIGHUP gives new connections a renewed certificate and a new CRL while
 *   open connections carry on, and keeps the old files when new ones are bad;
 * - the shipped sample configuration (packaging/thiduad.conf.in) is valid and
 *   serves once its paths point at real certificates;
 * - a pg_dump -Fc / pg_restore copy of the database serves as the original
 *   did, and a client store copied with sqlite3's .backup reads back.
 *
 * The package itself (cpack, dpkg-deb, systemd-analyze) is checked by
 * packaging/test-package (ctest operations.package).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "harness.h"

static struct {
    harness_pki_t pki;
    char db[HARNESS_CONNINFO_MAX];
    harness_server_t srv;
} fx;

#define METRICS_EXTRA "[metrics]\nlisten = 127.0.0.1:0"

static int group_setup(void **state)
{
    (void)state;
    harness_pki_make(&fx.pki);
    harness_db_create(fx.db, sizeof(fx.db));
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    harness_db_drop(fx.db);
    harness_cleanup();
    return 0;
}

/* Each test starts its own server; a failed test must not leave it running. */
static int teardown(void **state)
{
    (void)state;
    if (fx.srv.pid > 0)
        harness_server_stop(&fx.srv, SIGTERM);
    memset(&fx.srv, 0, sizeof(fx.srv));
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* How many times needle occurs in the server's log. */
static int log_count(const harness_server_t *srv, const char *needle)
{
    char *text = harness_read_file(srv->log);
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    free(text);
    return n;
}

static void wait_log_count(const harness_server_t *srv, const char *needle, int count)
{
    int64_t deadline = now_ms() + 10000;
    while (log_count(srv, needle) < count) {
        if (now_ms() > deadline)
            fail_msg("the log never had %d times '%s'", count, needle);
        sleep_ms(20);
    }
}

/* The metrics port from the event=metrics_listening line. */
static int metrics_port(const harness_server_t *srv)
{
    if (!harness_server_wait_log(srv, "event=metrics_listening", 10000))
        fail_msg("no event=metrics_listening in %s", srv->log);
    char *text = harness_read_file(srv->log);
    const char *line = strstr(text, "event=metrics_listening");
    const char *p = strstr(line, " port=");
    assert_non_null(p);
    int port = atoi(p + 6);
    free(text);
    assert_true(port > 0 && port < 65536);
    return port;
}

static void start_server(harness_server_t *srv, const char *conninfo, const char *extra,
                         const char *cert, const char *key)
{
    harness_server_opts_t opts = {.extra = extra, .cert = cert, .key = key};
    harness_server_start(srv, &fx.pki, conninfo, &opts);
}

/* ---- a minimal HTTP/1.0 client ---- */

typedef struct {
    int status; /* 0: no status line (closed without an answer) */
    char *raw;  /* everything received, NUL-terminated; owned */
    size_t len;
    const char *body; /* inside raw, after the blank line; "" if none */
} http_reply_t;

static void http_reply_free(http_reply_t *r)
{
    free(r->raw);
    memset(r, 0, sizeof(*r));
}

static int tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
        fail_msg("connect to 127.0.0.1:%d: %s", port, strerror(errno));
    return fd;
}

/* Read until the peer closes (or timeout_ms passes: a failure). */
static void http_read_all(int fd, int timeout_ms, http_reply_t *r)
{
    size_t cap = 4096;
    r->raw = malloc(cap);
    assert_non_null(r->raw);
    r->len = 0;
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        int left = (int)(deadline - now_ms());
        if (left <= 0)
            fail_msg("HTTP: no end of the answer within %d ms", timeout_ms);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, left) <= 0)
            continue;
        if (r->len + 1024 > cap) {
            cap *= 2;
            r->raw = realloc(r->raw, cap);
            assert_non_null(r->raw);
        }
        ssize_t n = recv(fd, r->raw + r->len, cap - r->len - 1, 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            break;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fail_msg("HTTP recv: %s", strerror(errno));
        }
        r->len += (size_t)n;
    }
    r->raw[r->len] = '\0';
    r->status = 0;
    if (strncmp(r->raw, "HTTP/1.0 ", 9) == 0)
        r->status = atoi(r->raw + 9);
    const char *blank = strstr(r->raw, "\r\n\r\n");
    r->body = blank != NULL ? blank + 4 : "";
}

/* Send request bytes as they are and read the whole answer. */
static void http_exchange(int port, const char *request, size_t len, http_reply_t *r)
{
    int fd = tcp_connect(port);
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(fd, request + off, len - off, MSG_NOSIGNAL);
        if (n < 0)
            fail_msg("HTTP send: %s", strerror(errno));
        off += (size_t)n;
    }
    http_read_all(fd, 10000, r);
    close(fd);
}

static void http_get(int port, const char *path, http_reply_t *r)
{
    char req[512];
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n", path);
    http_exchange(port, req, strlen(req), r);
}

/* The value of one series ("name" or "name{label=\"v\"}"); fails if absent. */
static double metric(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *line = text; *line != '\0';) {
        const char *eol = strchr(line, '\n');
        if (eol == NULL)
            break;
        if ((size_t)(eol - line) > n && strncmp(line, series, n) == 0 && line[n] == ' ')
            return strtod(line + n + 1, NULL);
        line = eol + 1;
    }
    fail_msg("no series %s in:\n%s", series, text);
    return 0;
}

static double scrape(int port, const char *series)
{
    http_reply_t r = {0};
    http_get(port, "/metrics", &r);
    assert_int_equal(r.status, 200);
    double v = metric(r.body, series);
    http_reply_free(&r);
    return v;
}

/* Wait until a series has the value (the server updates some counters after answering). */
static void wait_metric(int port, const char *series, double want)
{
    int64_t deadline = now_ms() + 10000;
    double v;
    while ((v = scrape(port, series)) != want) {
        if (now_ms() > deadline)
            fail_msg("%s is %g, expected %g", series, v, want);
        sleep_ms(20);
    }
}

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/*
 * The text exposition format, strictly as thidua writes it: HELP then TYPE
 * for every family, every name prefixed thidua_, counters named *_total,
 * samples "name{label="value",...} number", each after its family's TYPE.
 */
static void check_exposition(const char *text)
{
    char family[128] = "", type[16] = "";
    int samples = 0;
    assert_true(strlen(text) > 0 && text[strlen(text) - 1] == '\n');
    for (const char *line = text; *line != '\0';) {
        const char *eol = strchr(line, '\n');
        char buf[1024];
        size_t len = (size_t)(eol - line);
        assert_true(len < sizeof(buf));
        memcpy(buf, line, len);
        buf[len] = '\0';
        line = eol + 1;

        if (strncmp(buf, "# HELP ", 7) == 0) {
            char name[128];
            assert_int_equal(sscanf(buf + 7, "%127s", name), 1);
            if (strncmp(name, "thidua_", 7) != 0)
                fail_msg("metric without the thidua_ prefix: %s", buf);
            assert_true(strlen(buf + 7) > strlen(name) + 1); /* some help text */
            snprintf(family, sizeof(family), "%s", name);
            type[0] = '\0';
            continue;
        }
        if (strncmp(buf, "# TYPE ", 7) == 0) {
            char name[128];
            assert_int_equal(sscanf(buf + 7, "%127s %15s", name, type), 2);
            if (strcmp(name, family) != 0)
                fail_msg("TYPE without its HELP just before: %s", buf);
            if (strcmp(type, "counter") != 0 && strcmp(type, "gauge") != 0)
                fail_msg("unexpected type: %s", buf);
            size_t n = strlen(name);
            bool total = n > 6 && strcmp(name + n - 6, "_total") == 0;
            if (total != (strcmp(type, "counter") == 0))
                fail_msg("counters, and only counters, end in _total: %s", buf);
            continue;
        }
        assert_true(buf[0] != '#');
        /* A sample: its name is the family's, then labels, one space, a number. */
        size_t n = 0;
        while (is_name_char(buf[n]))
            n++;
        if (type[0] == '\0' || strlen(family) != n || strncmp(buf, family, n) != 0)
            fail_msg("sample outside its family (%s): %s", family, buf);
        const char *p = buf + n;
        if (*p == '{') {
            p++;
            for (;;) {
                while (is_name_char(*p))
                    p++;
                if (p[0] != '=' || p[1] != '"')
                    fail_msg("bad label in: %s", buf);
                p = strchr(p + 2, '"');
                if (p == NULL)
                    fail_msg("unterminated label value in: %s", buf);
                p++;
                if (*p == ',') {
                    p++;
                    continue;
                }
                if (*p != '}')
                    fail_msg("bad label list in: %s", buf);
                p++;
                break;
            }
        }
        if (*p != ' ')
            fail_msg("no space before the value: %s", buf);
        char *end;
        strtod(p + 1, &end);
        if (end == p + 1 || *end != '\0')
            fail_msg("the value is not a number: %s", buf);
        samples++;
    }
    assert_true(samples > 20);
}

/* ---- the thidua protocol over a raw connection ---- */

static Thidua__V1__Envelope *exchange(harness_conn_t *c, Thidua__V1__Envelope *env)
{
    harness_assert_io(c, harness_conn_send_envelope(c, env), HARNESS_IO_OK);
    Thidua__V1__Envelope *reply = NULL;
    harness_assert_io(c, harness_conn_recv_envelope(c, 30000, &reply), HARNESS_IO_OK);
    assert_int_equal(reply->request_id, env->request_id);
    return reply;
}

static void hello(harness_conn_t *c, int port, const char *cert)
{
    harness_io_t io = harness_tls_connect(c, port, fx.pki.ca, harness_pki_cert(&fx.pki, cert));
    harness_assert_io(c, io, HARNESS_IO_OK);
    Thidua__V1__Hello h = THIDUA__V1__HELLO__INIT;
    h.protocol_version = 1;
    h.client_version = "test_operations";
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    env.request_id = 1;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_HELLO;
    env.hello = &h;
    Thidua__V1__Envelope *w = exchange(c, &env);
    if (w->body_case == THIDUA__V1__ENVELOPE__BODY_ERROR)
        fail_msg("Hello answered Error: %s", w->error->message);
    assert_int_equal(w->body_case, THIDUA__V1__ENVELOPE__BODY_WELCOME);
    thidua__v1__envelope__free_unpacked(w, NULL);
}

static void ping_works(harness_conn_t *c)
{
    Thidua__V1__Ping p = THIDUA__V1__PING__INIT;
    p.nonce = 0x5eed;
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    env.request_id = 7;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_PING;
    env.ping = &p;
    Thidua__V1__Envelope *r = exchange(c, &env);
    assert_int_equal(r->body_case, THIDUA__V1__ENVELOPE__BODY_PONG);
    assert_int_equal(r->pong->nonce, 0x5eed);
    thidua__v1__envelope__free_unpacked(r, NULL);
}

/* One record of unit, with an id made of tag and n. Strings live in the struct. */
typedef struct {
    Thidua__V1__Record rec;
    char id[37];
    char unit[8];
    char name[64];
} op_record_t;

static void make_record(op_record_t *t, unsigned tag, unsigned n, const char *unit)
{
    thidua__v1__record__init(&t->rec);
    snprintf(t->id, sizeof(t->id), "%08x-0000-4000-8000-%012x", tag, n);
    snprintf(t->unit, sizeof(t->unit), "%s", unit);
    snprintf(t->name, sizeof(t->name), "Trần Thị Mỹ Linh %u", n);
    t->rec.id = t->id;
    t->rec.campaign = "HG-DB-2025";
    t->rec.org_unit = t->unit;
    t->rec.nominee_kind = "individual";
    t->rec.nominee_name = t->name;
    t->rec.birth_date = "1986-03-08";
    t->rec.gender = "female";
    t->rec.title = "Hoàn thành xuất sắc nhiệm vụ năm 2024";
    t->rec.summary = "Dẫn đầu phong trào thi đua của đơn vị.";
    t->rec.category = "KT_XH";
    t->rec.achieved_on = "2024-12-20";
    t->rec.proposed_award = "BK_UBND_TINH";
    t->rec.revision = 1;
}

/* Push records; every ack must have the status want. */
static void push_expect(harness_conn_t *c, op_record_t *recs, size_t n,
                        Thidua__V1__RecordAck__Status want)
{
    Thidua__V1__Record *ptrs[16];
    assert_true(n <= 16);
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &recs[i].rec;
    Thidua__V1__PushRequest req = THIDUA__V1__PUSH_REQUEST__INIT;
    req.n_records = n;
    req.records = ptrs;
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    env.request_id = 42;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_PUSH_REQUEST;
    env.push_request = &req;
    Thidua__V1__Envelope *r = exchange(c, &env);
    if (r->body_case == THIDUA__V1__ENVELOPE__BODY_ERROR)
        fail_msg("push answered Error: %s", r->error->message);
    assert_int_equal(r->body_case, THIDUA__V1__ENVELOPE__BODY_PUSH_RESPONSE);
    assert_int_equal(r->push_response->n_acks, n);
    for (size_t i = 0; i < n; i++) {
        const Thidua__V1__RecordAck *a = r->push_response->acks[i];
        if (a->status != want)
            fail_msg("ack %zu: status %d (%s: %s), expected %d", i, a->status, a->field, a->message,
                     want);
    }
    thidua__v1__envelope__free_unpacked(r, NULL);
}

/* ---- certificates ---- */

static X509 *read_cert(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fail_msg("cannot read %s: %s", path, strerror(errno));
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(x);
    return x;
}

static void serial_hex(X509 *x, char *out, size_t size)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(x), NULL);
    char *hex = BN_bn2hex(bn);
    snprintf(out, size, "%s", hex);
    OPENSSL_free(hex);
    BN_free(bn);
}

static void file_serial(const char *path, char *out, size_t size)
{
    X509 *x = read_cert(path);
    serial_hex(x, out, size);
    X509_free(x);
}

/* The serial of the certificate the server showed on this connection. */
static void peer_serial(harness_conn_t *c, char *out, size_t size)
{
    X509 *x = SSL_get1_peer_certificate(c->ssl);
    assert_non_null(x);
    serial_hex(x, out, size);
    X509_free(x);
}

static int64_t asn1_seconds(const ASN1_TIME *t)
{
    struct tm tm;
    assert_int_equal(ASN1_TIME_to_tm(t, &tm), 1);
    return (int64_t)timegm(&tm);
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
    char *text = harness_read_file(from);
    char tmp[HARNESS_PATH_MAX + 8];
    snprintf(tmp, sizeof(tmp), "%s.new", to);
    harness_write_file(tmp, text);
    free(text);
    assert_int_equal(chmod(tmp, mode), 0);
    /* Atomic, as an operator's `install -m 600` + mv would be. */
    assert_int_equal(rename(tmp, to), 0);
}

/* ---- tests: metrics ---- */

static void metrics_format_and_counters(void **state)
{
    (void)state;
    start_server(&fx.srv, fx.db, METRICS_EXTRA, NULL, NULL);
    int mp = metrics_port(&fx.srv);
    wait_metric(mp, "thidua_db_pool_connections_up", 4);

    http_reply_t r = {0};
    http_get(mp, "/metrics", &r);
    assert_int_equal(r.status, 200);
    harness_assert_contains(r.raw, "\r\nContent-Type: text/plain; version=0.0.4");
    harness_assert_contains(r.raw, "\r\nConnection: close\r\n");
    check_exposition(r.body);
    harness_assert_contains(r.body, "# TYPE thidua_requests_total counter\n");
    harness_assert_contains(r.body, "# TYPE thidua_connections_open gauge\n");
    assert_true(metric(r.body, "thidua_up") == 1);
    assert_true(metric(r.body, "thidua_connections_accepted_total") == 0);
    assert_true(metric(r.body, "thidua_connections_refused_total") == 0);
    assert_true(metric(r.body, "thidua_requests_total{type=\"push_request\"}") == 0);
    assert_true(metric(r.body, "thidua_db_pool_size") == 4);
    double jobs_before = metric(r.body, "thidua_db_pool_jobs_total{result=\"done\"}");

    /* Certificate and CRL expiry, to the second, as the files say. */
    X509 *cert = read_cert(fx.pki.server.cert);
    assert_true(metric(r.body, "thidua_tls_certificate_expiry_timestamp_seconds") ==
                (double)asn1_seconds(X509_get0_notAfter(cert)));
    X509_free(cert);
    FILE *f = fopen(fx.pki.crl, "r");
    assert_non_null(f);
    X509_CRL *crl = PEM_read_X509_CRL(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(crl);
    assert_true(metric(r.body, "thidua_tls_crl_next_update_timestamp_seconds") ==
                (double)asn1_seconds(X509_CRL_get0_nextUpdate(crl)));
    X509_CRL_free(crl);
    http_reply_free(&r);

    /* Traffic: applied, duplicate, denied and rejected records. */
    harness_conn_t a = {0};
    hello(&a, fx.srv.port, "934-district");
    op_record_t recs[3];
    for (unsigned i = 0; i < 3; i++)
        make_record(&recs[i], 0x0e01, i, "934");
    push_expect(&a, recs, 3, THIDUA__V1__RECORD_ACK__STATUS__APPLIED);
    push_expect(&a, recs, 3, THIDUA__V1__RECORD_ACK__STATUS__DUPLICATE);
    op_record_t other;
    make_record(&other, 0x0e01, 10, "935");
    push_expect(&a, &other, 1, THIDUA__V1__RECORD_ACK__STATUS__PERMISSION_DENIED);
    op_record_t bad;
    make_record(&bad, 0x0e01, 11, "934");
    bad.rec.category = "KHONG_CO";
    push_expect(&a, &bad, 1, THIDUA__V1__RECORD_ACK__STATUS__REJECTED);

    http_get(mp, "/metrics", &r);
    check_exposition(r.body);
    assert_true(metric(r.body, "thidua_connections_open") == 1);
    assert_true(metric(r.body, "thidua_connections_accepted_total") == 1);
    assert_true(metric(r.body, "thidua_requests_total{type=\"hello\"}") == 1);
    assert_true(metric(r.body, "thidua_requests_total{type=\"push_request\"}") == 4);
    assert_true(metric(r.body, "thidua_record_acks_total{status=\"applied\"}") == 3);
    assert_true(metric(r.body, "thidua_record_acks_total{status=\"duplicate\"}") == 3);
    assert_true(metric(r.body, "thidua_record_acks_total{status=\"permission_denied\"}") == 1);
    assert_true(metric(r.body, "thidua_record_acks_total{status=\"rejected\"}") == 1);
    assert_true(metric(r.body, "thidua_record_acks_total{status=\"conflict\"}") == 0);
    assert_true(metric(r.body, "thidua_errors_sent_total") == 0);
    assert_true(metric(r.body, "thidua_db_pool_jobs_total{result=\"done\"}") > jobs_before);
    http_reply_free(&r);

    /* A client without a certificate is refused. */
    harness_conn_t b = {0};
    harness_assert_io(&b, harness_tls_connect(&b, fx.srv.port, fx.pki.ca, NULL), HARNESS_IO_OK);
    assert_int_equal(harness_conn_wait_closed(&b, 10000), HARNESS_IO_ERROR);
    harness_conn_close(&b);
    wait_metric(mp, "thidua_connections_refused_total", 1);

    /* A request before Hello is answered with an Error. */
    harness_conn_t c = {0};
    harness_assert_io(
        &c,
        harness_tls_connect(&c, fx.srv.port, fx.pki.ca, harness_pki_cert(&fx.pki, "934-district")),
        HARNESS_IO_OK);
    Thidua__V1__Ping p = THIDUA__V1__PING__INIT;
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    env.request_id = 9;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_PING;
    env.ping = &p;
    Thidua__V1__Envelope *e = exchange(&c, &env);
    assert_int_equal(e->body_case, THIDUA__V1__ENVELOPE__BODY_ERROR);
    thidua__v1__envelope__free_unpacked(e, NULL);
    harness_conn_close(&c);
    harness_conn_close(&a);

    wait_metric(mp, "thidua_connections_open", 0);
    http_get(mp, "/metrics", &r);
    assert_true(metric(r.body, "thidua_errors_sent_total") == 1);
    assert_true(metric(r.body, "thidua_requests_total{type=\"ping\"}") == 1);
    assert_true(metric(r.body, "thidua_connections_accepted_total") == 3);
    assert_true(metric(r.body, "thidua_connections_refused_total") == 1);
    http_reply_free(&r);

    assert_int_equal(harness_server_stop(&fx.srv, SIGTERM), 0);
}

static void metrics_http_is_bounded(void **state)
{
    (void)state;
    start_server(&fx.srv, fx.db, METRICS_EXTRA, NULL, NULL);
    int mp = metrics_port(&fx.srv);
    wait_metric(mp, "thidua_db_pool_connections_up", 4);
    http_reply_t r = {0};

    http_get(mp, "/health", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "ok\n");
    http_reply_free(&r);

    http_get(mp, "/metrics?name=thidua_up", &r); /* a query string is ignored */
    assert_int_equal(r.status, 200);
    http_reply_free(&r);

    const char head[] = "HEAD /metrics HTTP/1.0\r\n\r\n";
    http_exchange(mp, head, strlen(head), &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "");
    harness_assert_contains(r.raw, "Content-Length: ");
    http_reply_free(&r);

    const char post[] = "POST /metrics HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi";
    http_exchange(mp, post, strlen(post), &r);
    assert_int_equal(r.status, 405);
    harness_assert_contains(r.raw, "\r\nAllow: GET, HEAD\r\n");
    http_reply_free(&r);

    http_get(mp, "/admin", &r);
    assert_int_equal(r.status, 404);
    http_reply_free(&r);

    /* Lax line ends are accepted; garbage is not. */
    const char lax[] = "GET /health HTTP/1.0\n\n";
    http_exchange(mp, lax, strlen(lax), &r);
    assert_int_equal(r.status, 200);
    http_reply_free(&r);
#define BYTES(s)                                                                                   \
    {                                                                                              \
        s, sizeof(s) - 1                                                                           \
    }
    static const struct {
        const char *data;
        size_t len;
    } garbage[] = {
        BYTES("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"), /* TLS, wrong port */
        BYTES("GET /metrics\0 HTTP/1.0\r\n\r\n"),
        BYTES("GET /metrics\r\n\r\n"),
        BYTES("GET metrics HTTP/1.0\r\n\r\n"),
        BYTES("GET /metrics SPDY/3\r\n\r\n"),
        BYTES("GET /metrics HTTP/1.0 extra\r\n\r\n"),
        BYTES("get /metrics HTTP/1.0\r\n\r\n"),
        BYTES("\r\n\r\n"),
    };
#undef BYTES
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(garbage); i++) {
        http_exchange(mp, garbage[i].data, garbage[i].len, &r);
        if (r.status != 400)
            fail_msg("request %zu: status %d, expected 400", i, r.status);
        http_reply_free(&r);
    }

    /* A head that never ends: answered 431 once the buffer (8 KiB) is full. */
    char big[8192];
    int n = snprintf(big, sizeof(big), "GET /metrics HTTP/1.1\r\nX-Padding: ");
    memset(big + n, 'a', sizeof(big) - (size_t)n);
    http_exchange(mp, big, sizeof(big), &r);
    assert_int_equal(r.status, 431);
    http_reply_free(&r);

    /* A client that never finishes its request is closed without an answer. */
    int slow = tcp_connect(mp);
    assert_int_equal(send(slow, "GET /met", 8, MSG_NOSIGNAL), 8);
    int64_t t0 = now_ms();
    http_read_all(slow, 15000, &r);
    close(slow);
    assert_int_equal(r.len, 0);
    assert_true(now_ms() - t0 >= 4000);
    http_reply_free(&r);

    /* At most 16 at once: the 17th is closed at once, and the endpoint recovers. */
    int idle[16];
    for (int i = 0; i < 16; i++)
        idle[i] = tcp_connect(mp);
    int extra = tcp_connect(mp);
    http_read_all(extra, 3000, &r);
    close(extra);
    assert_int_equal(r.len, 0);
    http_reply_free(&r);
    for (int i = 0; i < 15; i++)
        close(idle[i]);
    int64_t deadline = now_ms() + 5000;
    for (;;) {
        http_get(mp, "/health", &r);
        int status = r.status;
        http_reply_free(&r);
        if (status == 200)
            break;
        if (now_ms() > deadline)
            fail_msg("the endpoint did not recover after its connections closed");
        sleep_ms(50);
    }

    /* One idle metrics connection does not hold up a graceful stop. */
    t0 = now_ms();
    assert_int_equal(harness_server_stop(&fx.srv, SIGTERM), 0);
    assert_true(now_ms() - t0 < 4000);
    close(idle[15]);
}

static void health_follows_the_database(void **state)
{
    (void)state;
    char db[HARNESS_CONNINFO_MAX];
    harness_db_create(db, sizeof(db));
    start_server(&fx.srv, db, METRICS_EXTRA, NULL, NULL);
    int mp = metrics_port(&fx.srv);
    wait_metric(mp, "thidua_up", 1);

    /* The database goes away (and cannot come back): /health says why, at once. */
    harness_db_drop(db);
    http_reply_t r = {0};
    int64_t deadline = now_ms() + 20000;
    for (;;) {
        http_get(mp, "/health", &r);
        if (r.status == 503)
            break;
        assert_int_equal(r.status, 200);
        http_reply_free(&r);
        if (now_ms() > deadline)
            fail_msg("/health still 200 without a database");
        sleep_ms(50);
    }
    assert_string_equal(r.body, "unavailable: database unreachable\n");
    http_reply_free(&r);
    http_get(mp, "/metrics", &r);
    assert_true(metric(r.body, "thidua_up") == 0);
    assert_true(metric(r.body, "thidua_db_pool_connections_up") == 0);
    assert_true(metric(r.body, "thidua_db_pool_disconnects_total") >= 1);
    http_reply_free(&r);

    assert_int_equal(harness_server_stop(&fx.srv, SIGTERM), 0);
}

static void metrics_listen_is_checked(void **state)
{
    (void)state;
    static const struct {
        const char *extra;
        int exit_code;
        const char *says;
    } cases[] = {
        {"[metrics]\nlisten = localhost:9464", 1, "[metrics] listen: 'localhost' is not an IP"},
        {"[metrics]\nlisten = 127.0.0.1", 1, "[metrics] listen: "},
        {"[metrics]\nlisten = 127.0.0.1:99999", 1, "[metrics] listen: "},
        {"[metrics]\nlisten = 127.0.0.1:9464", 0, "is valid"},
        {"[metrics]\nlisten = [::1]:9464", 0, "is valid"},
        {"[metrics]\nlisten = :9464", 0, "is valid"},
        {"[metrics]\nlisten =", 0, "is valid"},
        {"[metrics]\nport = 9464", 1, "unknown setting [metrics] port"},
    };
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(cases); i++) {
        char config[HARNESS_PATH_MAX];
        harness_server_opts_t opts = {.extra = cases[i].extra};
        harness_server_config(config, sizeof(config), &fx.pki, fx.db, &opts);
        const char *argv[] = {harness_thiduad_path(), "--check-config", "--config", config, NULL};
        harness_output_t out = {0};
        int rc = harness_run(argv, NULL, &out);
        if (rc != cases[i].exit_code)
            fail_msg("case %zu: exit %d, expected %d\nstdout: %s\nstderr: %s", i, rc,
                     cases[i].exit_code, out.out, out.err);
        harness_assert_contains(rc == 0 ? out.out : out.err, cases[i].says);
        harness_output_free(&out);
    }

    /* A metrics port already taken stops the start with one sentence. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 1), 0);
    socklen_t alen = sizeof(a);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    char extra[64];
    snprintf(extra, sizeof(extra), "[metrics]\nlisten = 127.0.0.1:%d", ntohs(a.sin_port));
    char config[HARNESS_PATH_MAX];
    harness_server_opts_t opts = {.extra = extra};
    harness_server_config(config, sizeof(config), &fx.pki, fx.db, &opts);
    const char *argv[] = {harness_thiduad_path(), "--config", config, NULL};
    harness_output_t out = {0};
    assert_int_equal(harness_run(argv, NULL, &out), 1);
    harness_assert_contains(out.err, "[metrics] listen: cannot listen on 127.0.0.1:");
    harness_output_free(&out);
    close(fd);
}

/* ---- tests: SIGHUP ---- */

static void sighup_renews_the_certificate(void **state)
{
    (void)state;
    char cert[HARNESS_PATH_MAX], key[HARNESS_PATH_MAX];
    harness_tmp_path(cert, sizeof(cert), "live-server.crt");
    harness_tmp_path(key, sizeof(key), "live-server.key");
    copy_file(fx.pki.server.cert, cert, 0644);
    copy_file(fx.pki.server.key, key, 0600);
    start_server(&fx.srv, fx.db, NULL, cert, key);

    char old_serial[64], serial[64];
    file_serial(fx.pki.server.cert, old_serial, sizeof(old_serial));
    harness_conn_t before = {0};
    hello(&before, fx.srv.port, "933-district");
    peer_serial(&before, serial, sizeof(serial));
    assert_string_equal(serial, old_serial);

    /* Renew: a new certificate and key for the same name, put in place, then SIGHUP. */
    char pki_script[HARNESS_PATH_MAX];
    snprintf(pki_script, sizeof(pki_script), "%s/scripts/pki", getenv("THIDUA_TEST_SRCDIR"));
    const char *argv[] = {pki_script, "server", fx.pki.dir, "localhost", "--name", "renewed", NULL};
    harness_output_t out = {0};
    if (harness_run(argv, NULL, &out) != 0)
        fail_msg("scripts/pki server: %s", out.err);
    harness_output_free(&out);
    char new_cert[HARNESS_PATH_MAX + 32], new_key[HARNESS_PATH_MAX + 32], new_serial[64];
    snprintf(new_cert, sizeof(new_cert), "%s/server/renewed.crt", fx.pki.dir);
    snprintf(new_key, sizeof(new_key), "%s/server/renewed.key", fx.pki.dir);
    file_serial(new_cert, new_serial, sizeof(new_serial));
    assert_string_not_equal(new_serial, old_serial);
    copy_file(new_cert, cert, 0644);
    copy_file(new_key, key, 0600);
    assert_int_equal(kill(fx.srv.pid, SIGHUP), 0);
    wait_log_count(&fx.srv, "event=reload what=tls", 1);

    harness_conn_t after = {0};
    hello(&after, fx.srv.port, "933-district");
    peer_serial(&after, serial, sizeof(serial));
    assert_string_equal(serial, new_serial);

    /* The connection opened before the reload carries on. */
    ping_works(&before);
    op_record_t rec;
    make_record(&rec, 0x0e02, 1, "933");
    push_expect(&before, &rec, 1, THIDUA__V1__RECORD_ACK__STATUS__APPLIED);

    /* A bad renewal (a key that is not the certificate's) keeps what works. */
    copy_file(harness_pki_cert(&fx.pki, "930-district")->key, key, 0600);
    assert_int_equal(kill(fx.srv.pid, SIGHUP), 0);
    wait_log_count(&fx.srv, "event=reload_failed", 1);
    harness_conn_t third = {0};
    hello(&third, fx.srv.port, "933-district");
    peer_serial(&third, serial, sizeof(serial));
    assert_string_equal(serial, new_serial);
    ping_works(&before);
    ping_works(&after);

    harness_conn_close(&before);
    harness_conn_close(&after);
    harness_conn_close(&third);
    assert_int_equal(harness_server_stop(&fx.srv, SIGTERM), 0);
}

static void sighup_reloads_the_crl(void **state)
{
    (void)state;
    harness_pki_issue(&fx.pki, "937-laptop", "937", "district", NULL);
    start_server(&fx.srv, fx.db, NULL, NULL, NULL);

    harness_conn_t open_before = {0};
    hello(&open_before, fx.srv.port, "937-laptop");

    harness_pki_revoke(&fx.pki, "937-laptop");
    assert_int_equal(kill(fx.srv.pid, SIGHUP), 0);
    wait_log_count(&fx.srv, "event=reload what=tls", 1);

    /* A new connection with the revoked certificate fails at the handshake... */
    harness_conn_t refused = {0};
    harness_assert_io(&refused,
                      harness_tls_connect(&refused, fx.srv.port, fx.pki.ca,
                                          harness_pki_cert(&fx.pki, "937-laptop")),
                      HARNESS_IO_OK);
    assert_int_equal(harness_conn_wait_closed(&refused, 10000), HARNESS_IO_ERROR);
    harness_assert_contains(refused.error, "revoked");
    harness_conn_close(&refused);

    /* ...and the session already open with it is ended (docs/operations.md says so),
     * while the unit's other certificate still works. */
    assert_int_not_equal(harness_conn_wait_closed(&open_before, 10000), HARNESS_IO_TIMEOUT);
    harness_conn_t other = {0};
    hello(&other, fx.srv.port, "937-district");
    harness_conn_close(&other);
    harness_conn_close(&open_before);
    assert_int_equal(harness_server_stop(&fx.srv, SIGTERM), 0);
}

/* ---- tests: the sample configuration, backup and restore ---- */

/* Replace the one occurrence of from in *text (which must have it). */
static void replace_once(char **text, const char *from, const char *to)
{
    char *at = strstr(*text, from);
    if (at == NULL)
        fail_msg("the sample configuration has no '%s'", from);
    size_t head = (size_t)(at - *text), flen = strlen(from), tlen = strlen(to);
    size_t tail = strlen(at + flen);
    char *out = malloc(head + tlen + tail + 1);
    assert_non_null(out);
    memcpy(out, *text, head);
    memcpy(out + head, to, tlen);
    memcpy(out + head + tlen, at + flen, tail + 1);
    free(*text);
    *text = out;
}

/*
 * The sample with its commented defaults ("#key = value" lines) switched on:
 * each is a setting thiduad knows, with a value it takes. Returns how many.
 */
static int uncomment_defaults(char *text)
{
    int n = 0;
    for (char *line = text; line != NULL && *line != '\0';) {
        size_t key = line[0] == '#' ? strspn(line + 1, "abcdefghijklmnopqrstuvwxyz_") : 0;
        if (key > 0 && strncmp(line + 1 + key, " = ", 3) == 0) {
            /* Drop the "#": a line with a leading space would continue the value above. */
            memmove(line, line + 1, strlen(line + 1) + 1);
            n++;
        }
        line = strchr(line, '\n');
        if (line != NULL)
            line++;
    }
    return n;
}

static void check_config_valid(const char *config)
{
    const char *argv[] = {harness_thiduad_path(), "--check-config", "--config", config, NULL};
    harness_output_t out = {0};
    if (harness_run(argv, NULL, &out) != 0)
        fail_msg("--check-config on %s: %s", config, out.err);
    harness_assert_contains(out.out, "is valid");
    harness_output_free(&out);
}

static void sample_configuration_serves(void **state)
{
    (void)state;
    /* Lay out certificates as docs/operations.md tells operators to. */
    char etc[HARNESS_PATH_MAX], path[HARNESS_PATH_MAX + 32];
    harness_tmp_mkdir(etc, sizeof(etc), "etc-thidua");
    snprintf(path, sizeof(path), "%s/ca.crt", etc);
    copy_file(fx.pki.ca, path, 0644);
    snprintf(path, sizeof(path), "%s/crl.pem", etc);
    copy_file(fx.pki.crl, path, 0644);
    snprintf(path, sizeof(path), "%s/server.crt", etc);
    copy_file(fx.pki.server.cert, path, 0644);
    snprintf(path, sizeof(path), "%s/server.key", etc);
    copy_file(fx.pki.server.key, path, 0600);

    char sample[HARNESS_PATH_MAX];
    snprintf(sample, sizeof(sample), "%s/packaging/thiduad.conf.in", getenv("THIDUA_TEST_SRCDIR"));
    char *text = harness_read_file(sample);
    for (int i = 0; i < 5; i++) /* the header's mention, then ca, cert, key and crl */
        replace_once(&text, "@THIDUA_FULL_CONFDIR@", etc);
    assert_null(strstr(text, "@"));
    char conninfo[HARNESS_CONNINFO_MAX + 16];
    snprintf(conninfo, sizeof(conninfo), "conninfo = %s\n", fx.db);
    replace_once(&text, "conninfo = host=/var/run/postgresql dbname=thidua\n", conninfo);
    replace_once(&text, "listen = 0.0.0.0:7443\n", "listen = 127.0.0.1:0\n");
    replace_once(&text, "listen = 127.0.0.1:9464\n", "listen = 127.0.0.1:0\n");
    char config[HARNESS_PATH_MAX], defaults[HARNESS_PATH_MAX];
    harness_tmp_path(config, sizeof(config), "sample-thiduad.conf");
    harness_write_file(config, text);
    check_config_valid(config);
    /* Every default it shows is a valid setting too (max_pull, pool_size, ...). */
    harness_assert_contains(text, "\n#max_jobs_per_certificate = ");
    assert_true(uncomment_defaults(text) >= 10);
    harness_tmp_path(defaults, sizeof(defaults), "sample-defaults.conf");
    harness_write_file(defaults, text);
    free(text);
    check_config_valid(defaults);

    /* It serves: thiduad takes the last --config, so the sample replaces the harness's. */
    const char *args[] = {"--config", config, NULL};
    harness_server_opts_t opts = {.args = args};
    harness_server_start(&fx.srv, &fx.pki, fx.db, &opts);
    int mp = metrics_port(&fx.srv);
    harness_conn_t c = {0};
    hello(&c, fx.srv.port, "931-district");
    ping_works(&c);
    harness_conn_close(&c);
    wait_metric(mp, "thidua_up", 1);
    assert_int_equal(harness_server_stop(&fx.srv, SIGTERM), 0);
}

static bool have_program(const char *name)
{
    const char *argv[] = {"sh", "-c", "command -v \"$0\"", name, NULL};
    harness_output_t out = {0};
    int rc = harness_run(argv, NULL, &out);
    harness_output_free(&out);
    return rc == 0;
}

static void run_ok(const char *const argv[])
{
    harness_output_t out = {0};
    if (harness_run(argv, NULL, &out) != 0)
        fail_msg("%s exited %d: %s%s", argv[0], out.exit_code, out.err, out.out);
    harness_output_free(&out);
}

static void backup_and_restore(void **state)
{
    (void)state;
    start_server(&fx.srv, fx.db, NULL, NULL, NULL);
    harness_conn_t c = {0};
    hello(&c, fx.srv.port, "932-district");
    op_record_t recs[5];
    for (unsigned i = 0; i < 5; i++)
        make_record(&recs[i], 0x0e03, i, "932");
    push_expect(&c, recs, 5, THIDUA__V1__RECORD_ACK__STATUS__APPLIED);
    harness_conn_close(&c);

    /* The database: pg_dump -Fc while the server runs, pg_restore into an empty one. */
    char dump[HARNESS_PATH_MAX];
    harness_tmp_path(dump, sizeof(dump), "thidua.dump");
    const char *dump_argv[] = {"pg_dump", "-Fc", "-f", dump, "--dbname", fx.db, NULL};
    run_ok(dump_argv);
    assert_int_equal(harness_server_stop(&fx.srv, SIGTERM), 0);

    char restored[HARNESS_CONNINFO_MAX];
    harness_db_create(restored, sizeof(restored));
    const char *restore_argv[] = {
        "pg_restore", "--no-owner", "--exit-on-error", "--dbname", restored, dump, NULL};
    run_ok(restore_argv);
    assert_int_equal(harness_db_int(restored, "SELECT count(*) FROM thidua.record"
                                              " WHERE id::text LIKE '00000e03-%%'"),
                     5);

    /* The copy serves: no migration to apply, and a retried push is known. */
    start_server(&fx.srv, restored, NULL, NULL, NULL);
    assert_true(harness_server_log_contains(&fx.srv, "event=migrations_done applied=0"));
    hello(&c, fx.srv.port, "932-district");
    push_expect(&c, recs, 5, THIDUA__V1__RECORD_ACK__STATUS__DUPLICATE);
    op_record_t more;
    make_record(&more, 0x0e03, 5, "932");
    push_expect(&c, &more, 1, THIDUA__V1__RECORD_ACK__STATUS__APPLIED);

    /* A client store: sqlite3's online .backup, then the copy is read by thidua. */
    if (!have_program("sqlite3")) {
        harness_conn_close(&c);
        harness_db_drop(restored);
        fail_msg("the sqlite3 program is missing (scripts/packages.txt lists it: scripts/deps)");
    }
    char dir[HARNESS_PATH_MAX], conf[HARNESS_PATH_MAX + 16], addr[32];
    harness_tmp_mkdir(dir, sizeof(dir), "office-931");
    snprintf(conf, sizeof(conf), "%s/thidua.conf", dir);
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", fx.srv.port);
    const harness_cert_t *cert = harness_pki_cert(&fx.pki, "931-district");
    const char *init[] = {harness_thidua_path(),
                          "-c",
                          conf,
                          "init",
                          "--server",
                          addr,
                          "--ca",
                          fx.pki.ca,
                          "--cert",
                          cert->cert,
                          "--key",
                          cert->key,
                          NULL};
    run_ok(init);
    const char *add[] = {harness_thidua_path(),
                         "-c",
                         conf,
                         "add",
                         "--kind",
                         "household",
                         "--name",
                         "Hộ ông Nguyễn Văn Bảy",
                         "--title",
                         "Hiến đất mở rộng đường giao thông nông thôn",
                         "--category",
                         "CONG_TRINH",
                         "--achieved-on",
                         "2024-09-02",
                         "--award",
                         "GIAY_KHEN",
                         NULL};
    run_ok(add);
    char store[HARNESS_PATH_MAX + 16], copy[HARNESS_PATH_MAX + 16], cmd[HARNESS_PATH_MAX + 32];
    snprintf(store, sizeof(store), "%s/thidua.db", dir);
    snprintf(copy, sizeof(copy), "%s/backup.db", dir);
    snprintf(cmd, sizeof(cmd), ".backup '%s'", copy);
    const char *backup[] = {"sqlite3", store, cmd, NULL};
    run_ok(backup);
    harness_output_t out = {0};
    const char *check[] = {"sqlite3", copy, "PRAGMA integrity_check;", NULL};
    assert_int_equal(harness_run(check, NULL, &out), 0);
    assert_string_equal(out.out, "ok\n");
    harness_output_free(&out);

    /* Restoring is putting the copy in the store's place. */
    assert_int_equal(rename(copy, store), 0);
    const char *list[] = {harness_thidua_path(), "-c", conf, "list", NULL};
    assert_int_equal(harness_run(list, NULL, &out), 0);
    harness_assert_contains(out.out, "Hộ ông Nguyễn Văn Bảy");
    harness_output_free(&out);

    harness_conn_close(&c);
    assert_int_equal(harness_server_stop(&fx.srv, SIGTERM), 0);
    harness_db_drop(restored);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(metrics_format_and_counters, teardown),
        cmocka_unit_test_teardown(metrics_http_is_bounded, teardown),
        cmocka_unit_test_teardown(health_follows_the_database, teardown),
        cmocka_unit_test_teardown(metrics_listen_is_checked, teardown),
        cmocka_unit_test_teardown(sighup_renews_the_certificate, teardown),
        cmocka_unit_test_teardown(sighup_reloads_the_crl, teardown),
        cmocka_unit_test_teardown(sample_configuration_serves, teardown),
        cmocka_unit_test_teardown(backup_and_restore, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
