/*
 * test_transport.c - thiduad's front door, through the real binaries: mutual
 * TLS with certificates from scripts/pki, Hello/Welcome, Ping, and every way a
 * client can knock wrongly (no certificate, another CA, expired, revoked,
 * garbage, bad frames, no Hello) — each refused without disturbing others.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

typedef struct {
    harness_pki_t pki;
    harness_pki_t other; /* a second CA nobody trusts */
    char db[HARNESS_CONNINFO_MAX];
    harness_server_t srv;
} fixture_t;

static fixture_t fx;

static int setup(void **state)
{
    (void)state;
    harness_pki_make(&fx.pki);
    harness_pki_make(&fx.other);
    harness_pki_issue(&fx.pki, "expired-935", "935", "district", "--expired", NULL);
    harness_pki_issue(&fx.pki, "revoked-936", "936", "district", NULL);
    harness_pki_revoke(&fx.pki, "revoked-936");
    harness_pki_issue(&fx.pki, "unknown-999", "999", "district", NULL);
    harness_db_create(fx.db, sizeof(fx.db));
    harness_server_opts_t opts = {.handshake_timeout = "1s"};
    harness_server_start(&fx.srv, &fx.pki, fx.db, &opts);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (fx.srv.pid > 0)
        harness_server_stop(&fx.srv, SIGTERM);
    harness_db_drop(fx.db);
    harness_cleanup();
    return 0;
}

/* Hello on an open TLS connection; returns the Welcome's envelope (caller frees). */
static Thidua__V1__Envelope *say_hello(harness_conn_t *c, harness_io_t *io)
{
    Thidua__V1__Hello hello = THIDUA__V1__HELLO__INIT;
    hello.protocol_version = 1;
    hello.client_version = "test_transport";
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    env.request_id = 1;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_HELLO;
    env.hello = &hello;
    Thidua__V1__Envelope *reply = NULL;
    *io = harness_conn_send_envelope(c, &env);
    if (*io == HARNESS_IO_OK)
        *io = harness_conn_recv_envelope(c, 5000, &reply);
    return reply;
}

/* A district can still connect and get its Welcome: the server is fine. */
static void assert_server_serves(void)
{
    harness_conn_t c = {0};
    harness_io_t io = harness_tls_connect(&c, fx.srv.port, fx.pki.ca,
                                          harness_pki_cert(&fx.pki, "930-district"));
    harness_assert_io(&c, io, HARNESS_IO_OK);
    Thidua__V1__Envelope *w = say_hello(&c, &io);
    harness_assert_io(&c, io, HARNESS_IO_OK);
    assert_int_equal(w->body_case, THIDUA__V1__ENVELOPE__BODY_WELCOME);
    assert_string_equal(w->welcome->org_unit, "930");
    thidua__v1__envelope__free_unpacked(w, NULL);
    harness_conn_close(&c);
}

static void district_gets_welcome(void **state)
{
    (void)state;
    harness_conn_t c = {0};
    harness_io_t io = harness_tls_connect(&c, fx.srv.port, fx.pki.ca,
                                          harness_pki_cert(&fx.pki, "934-district"));
    harness_assert_io(&c, io, HARNESS_IO_OK);
    Thidua__V1__Envelope *w = say_hello(&c, &io);
    harness_assert_io(&c, io, HARNESS_IO_OK);
    assert_int_equal(w->request_id, 1);
    assert_int_equal(w->body_case, THIDUA__V1__ENVELOPE__BODY_WELCOME);
    const Thidua__V1__Welcome *wel = w->welcome;
    assert_string_equal(wel->org_unit, "934");
    assert_string_equal(wel->org_unit_name, "Huyện Phụng Hiệp");
    assert_int_equal(wel->role, THIDUA__V1__ROLE__ROLE_DISTRICT);
    assert_int_equal(strlen(wel->certificate_fingerprint), 64);
    assert_non_null(wel->campaign);
    assert_string_equal(wel->campaign->code, "HG-DB-2025");
    assert_int_equal(wel->campaign->n_categories, 5);
    assert_int_equal(wel->campaign->n_award_forms, 8);
    assert_non_null(wel->limits);
    assert_int_equal(wel->limits->max_frame, 4194304);
    /* A district writes for itself only (no unit below it in the seed). */
    assert_int_equal(wel->n_units, 1);
    thidua__v1__envelope__free_unpacked(w, NULL);

    /* Pipelined pings come back in order with their nonces. */
    for (uint64_t i = 1; i <= 20; i++) {
        Thidua__V1__Ping ping = THIDUA__V1__PING__INIT;
        ping.nonce = 1000 + i;
        Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
        env.request_id = 100 + i;
        env.body_case = THIDUA__V1__ENVELOPE__BODY_PING;
        env.ping = &ping;
        harness_assert_io(&c, harness_conn_send_envelope(&c, &env), HARNESS_IO_OK);
    }
    for (uint64_t i = 1; i <= 20; i++) {
        Thidua__V1__Envelope *p = NULL;
        harness_assert_io(&c, harness_conn_recv_envelope(&c, 5000, &p), HARNESS_IO_OK);
        assert_int_equal(p->request_id, 100 + i);
        assert_int_equal(p->body_case, THIDUA__V1__ENVELOPE__BODY_PONG);
        assert_int_equal(p->pong->nonce, 1000 + i);
        thidua__v1__envelope__free_unpacked(p, NULL);
    }
    harness_conn_close(&c);
    assert_true(harness_server_wait_log(&fx.srv, "event=session_open", 2000));
}

static void province_gets_welcome(void **state)
{
    (void)state;
    harness_conn_t c = {0};
    harness_io_t io = harness_tls_connect(&c, fx.srv.port, fx.pki.ca,
                                          harness_pki_cert(&fx.pki, "93-province"));
    harness_assert_io(&c, io, HARNESS_IO_OK);
    Thidua__V1__Envelope *w = say_hello(&c, &io);
    harness_assert_io(&c, io, HARNESS_IO_OK);
    assert_int_equal(w->body_case, THIDUA__V1__ENVELOPE__BODY_WELCOME);
    assert_string_equal(w->welcome->org_unit, "93");
    assert_int_equal(w->welcome->role, THIDUA__V1__ROLE__ROLE_PROVINCE);
    /* The province and its eight district-level units. */
    assert_int_equal(w->welcome->n_units, 9);
    thidua__v1__envelope__free_unpacked(w, NULL);
    harness_conn_close(&c);
}

static void ping_command_prints_identity(void **state)
{
    (void)state;
    char dir[HARNESS_PATH_MAX], conf[HARNESS_PATH_MAX];
    harness_tmp_mkdir(dir, sizeof(dir), "client-932");
    harness_client_config(dir, "932", "district", &fx.pki, fx.srv.port, conf, sizeof(conf));
    const char *argv[] = {harness_thidua_path(), "-c", conf, "ping", "-n", "5", NULL};
    harness_output_t out;
    harness_run(argv, NULL, &out);
    assert_int_equal(out.exit_code, 0);
    harness_assert_contains(out.out, "Huyện Châu Thành A (932)");
    harness_assert_contains(out.out, "role:        district");
    harness_assert_contains(out.out, "over 5 pings");
    harness_output_free(&out);

    const char *argv_json[] = {harness_thidua_path(), "-c", conf, "--json", "ping", NULL};
    harness_run(argv_json, NULL, &out);
    assert_int_equal(out.exit_code, 0);
    harness_assert_contains(out.out, "\"unit\":\"932\"");
    harness_assert_contains(out.out, "\"role\":\"district\"");
    harness_output_free(&out);
}

static void ping_command_reports_unreachable(void **state)
{
    (void)state;
    char dir[HARNESS_PATH_MAX], conf[HARNESS_PATH_MAX];
    harness_tmp_mkdir(dir, sizeof(dir), "client-unreachable");
    /* Port 1 on loopback: nothing listens there. */
    harness_client_config(dir, "933", "district", &fx.pki, 1, conf, sizeof(conf));
    const char *argv[] = {harness_thidua_path(), "-c", conf, "ping", NULL};
    harness_output_t out;
    harness_run(argv, NULL, &out);
    assert_int_equal(out.exit_code, 3);
    harness_assert_contains(out.err, "cannot connect");
    /* One line, for an officer. */
    assert_non_null(strchr(out.err, '\n'));
    assert_null(strchr(strchr(out.err, '\n') + 1, '\n'));
    harness_output_free(&out);
}

/* A refused client: the handshake may complete on its side (TLS 1.3), then the alert. */
static void expect_refused(const harness_pki_t *pki, const harness_cert_t *cert,
                           const char *alert)
{
    harness_conn_t c = {0};
    harness_io_t io = harness_tls_connect(&c, fx.srv.port, fx.pki.ca, cert);
    if (io == HARNESS_IO_OK) {
        Thidua__V1__Envelope *w = say_hello(&c, &io);
        assert_null(w);
    }
    assert_int_equal(io, HARNESS_IO_ERROR);
    if (alert != NULL)
        harness_assert_contains(c.error, alert);
    harness_conn_close(&c);
    (void)pki;
    assert_server_serves();
}

static void refused_certificates(void **state)
{
    (void)state;
    expect_refused(&fx.pki, NULL, "certificate required");
    expect_refused(&fx.other, harness_pki_cert(&fx.other, "934-district"), "unknown ca");
    expect_refused(&fx.pki, harness_pki_cert(&fx.pki, "expired-935"), "certificate expired");
    expect_refused(&fx.pki, harness_pki_cert(&fx.pki, "revoked-936"), "certificate revoked");
    assert_true(harness_server_log_contains(&fx.srv, "event=conn_refused"));

    /* The thidua client says why in one line, and exits 4 (refused). */
    char dir[HARNESS_PATH_MAX], conf[HARNESS_PATH_MAX];
    harness_tmp_mkdir(dir, sizeof(dir), "client-revoked");
    harness_client_config(dir, "936", "district", &fx.pki, fx.srv.port, conf, sizeof(conf));
    char text[8192];
    snprintf(text, sizeof(text),
             "[server]\naddress = 127.0.0.1:%d\n[tls]\nca = %s\ncert = %s\nkey = %s\n"
             "[store]\npath = %s/936.db\n",
             fx.srv.port, fx.pki.ca, harness_pki_cert(&fx.pki, "revoked-936")->cert,
             harness_pki_cert(&fx.pki, "revoked-936")->key, dir);
    harness_write_file(conf, text);
    const char *argv[] = {harness_thidua_path(), "-c", conf, "ping", NULL};
    harness_output_t out;
    harness_run(argv, NULL, &out);
    assert_int_equal(out.exit_code, 4);
    harness_assert_contains(out.err, "revoked");
    harness_output_free(&out);
}

static void unknown_unit_refused_at_hello(void **state)
{
    (void)state;
    harness_conn_t c = {0};
    harness_io_t io = harness_tls_connect(&c, fx.srv.port, fx.pki.ca,
                                          harness_pki_cert(&fx.pki, "unknown-999"));
    harness_assert_io(&c, io, HARNESS_IO_OK);
    Thidua__V1__Envelope *e = say_hello(&c, &io);
    harness_assert_io(&c, io, HARNESS_IO_OK);
    assert_int_equal(e->body_case, THIDUA__V1__ENVELOPE__BODY_ERROR);
    assert_int_equal(e->error->code, THIDUA__V1__ERROR__CODE__PERMISSION_DENIED);
    harness_assert_contains(e->error->message, "999");
    thidua__v1__envelope__free_unpacked(e, NULL);
    assert_int_equal(harness_conn_wait_closed(&c, 5000), HARNESS_IO_CLOSED);
    harness_conn_close(&c);
}

/* Open a district connection that has said Hello. */
static void open_ready(harness_conn_t *c, const char *cert)
{
    harness_io_t io = harness_tls_connect(c, fx.srv.port, fx.pki.ca,
                                          harness_pki_cert(&fx.pki, cert));
    harness_assert_io(c, io, HARNESS_IO_OK);
    Thidua__V1__Envelope *w = say_hello(c, &io);
    harness_assert_io(c, io, HARNESS_IO_OK);
    assert_int_equal(w->body_case, THIDUA__V1__ENVELOPE__BODY_WELCOME);
    thidua__v1__envelope__free_unpacked(w, NULL);
}

/* Send raw bytes; expect Error{BAD_FRAME} naming `what`, then the close. */
static void expect_bad_frame(const void *bytes, size_t len, const char *what)
{
    harness_conn_t c = {0};
    open_ready(&c, "931-district");
    harness_assert_io(&c, harness_conn_send(&c, bytes, len), HARNESS_IO_OK);
    Thidua__V1__Envelope *e = NULL;
    harness_assert_io(&c, harness_conn_recv_envelope(&c, 5000, &e), HARNESS_IO_OK);
    assert_int_equal(e->body_case, THIDUA__V1__ENVELOPE__BODY_ERROR);
    assert_int_equal(e->error->code, THIDUA__V1__ERROR__CODE__BAD_FRAME);
    assert_false(e->error->retryable);
    harness_assert_contains(e->error->message, what);
    thidua__v1__envelope__free_unpacked(e, NULL);
    assert_int_equal(harness_conn_wait_closed(&c, 5000), HARNESS_IO_CLOSED);
    harness_conn_close(&c);
}

static long server_rss_kb(void)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)fx.srv.pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    }
    fclose(f);
    return kb;
}

static void bad_frames_closed_cleanly(void **state)
{
    (void)state;
    static const uint8_t zero[4] = {0, 0, 0, 0};
    expect_bad_frame(zero, sizeof(zero), "frame length 0");

    long before = server_rss_kb();
    static const uint8_t huge[4] = {0x80, 0, 0, 0};
    for (int i = 0; i < 20; i++)
        expect_bad_frame(huge, sizeof(huge), "2147483648 exceeds the limit");
    long after = server_rss_kb();
    /* Twenty 2 GiB claims must not have cost anything near their size. */
    assert_true(before > 0 && after > 0);
    if (after - before > 16 * 1024)
        fail_msg("server RSS grew from %ld kB to %ld kB", before, after);

    /* A valid length with bytes that are not an Envelope. */
    static const uint8_t garbage[] = {0, 0, 0, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    expect_bad_frame(garbage, sizeof(garbage), "");
    /* A string field with an overlong UTF-8 form: field 10 (hello), field 2 (client_version). */
    static const uint8_t bad_utf8[] = {0, 0, 0, 6, 0x52, 0x04, 0x12, 0x02, 0xc0, 0xaf};
    expect_bad_frame(bad_utf8, sizeof(bad_utf8), "UTF-8");
    assert_server_serves();
}

static void request_before_hello(void **state)
{
    (void)state;
    harness_conn_t c = {0};
    harness_io_t io = harness_tls_connect(&c, fx.srv.port, fx.pki.ca,
                                          harness_pki_cert(&fx.pki, "933-district"));
    harness_assert_io(&c, io, HARNESS_IO_OK);
    Thidua__V1__Ping ping = THIDUA__V1__PING__INIT;
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    env.request_id = 7;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_PING;
    env.ping = &ping;
    harness_assert_io(&c, harness_conn_send_envelope(&c, &env), HARNESS_IO_OK);
    Thidua__V1__Envelope *e = NULL;
    harness_assert_io(&c, harness_conn_recv_envelope(&c, 5000, &e), HARNESS_IO_OK);
    assert_int_equal(e->request_id, 7);
    assert_int_equal(e->body_case, THIDUA__V1__ENVELOPE__BODY_ERROR);
    assert_int_equal(e->error->code, THIDUA__V1__ERROR__CODE__HELLO_REQUIRED);
    thidua__v1__envelope__free_unpacked(e, NULL);
    assert_int_equal(harness_conn_wait_closed(&c, 5000), HARNESS_IO_CLOSED);
    harness_conn_close(&c);

    /* A protocol version the server does not speak is refused with what to do. */
    harness_conn_t v = {0};
    io = harness_tls_connect(&v, fx.srv.port, fx.pki.ca, harness_pki_cert(&fx.pki, "933-district"));
    harness_assert_io(&v, io, HARNESS_IO_OK);
    Thidua__V1__Hello hello = THIDUA__V1__HELLO__INIT;
    hello.protocol_version = 99;
    env.request_id = 1;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_HELLO;
    env.hello = &hello;
    harness_assert_io(&v, harness_conn_send_envelope(&v, &env), HARNESS_IO_OK);
    harness_assert_io(&v, harness_conn_recv_envelope(&v, 5000, &e), HARNESS_IO_OK);
    assert_int_equal(e->body_case, THIDUA__V1__ENVELOPE__BODY_ERROR);
    assert_int_equal(e->error->code, THIDUA__V1__ERROR__CODE__UNSUPPORTED_VERSION);
    thidua__v1__envelope__free_unpacked(e, NULL);
    harness_conn_close(&v);
}

static void garbage_instead_of_client_hello(void **state)
{
    (void)state;
    harness_conn_t c = {0};
    harness_assert_io(&c, harness_tcp_connect(&c, fx.srv.port), HARNESS_IO_OK);
    static const char http[] = "GET / HTTP/1.1\r\nHost: thidua\r\n\r\n";
    harness_assert_io(&c, harness_conn_send(&c, http, sizeof(http) - 1), HARNESS_IO_OK);
    harness_io_t io = harness_conn_wait_closed(&c, 5000);
    assert_true(io == HARNESS_IO_CLOSED || io == HARNESS_IO_ERROR);
    harness_conn_close(&c);
    assert_server_serves();
}

static void silent_client_dropped_after_handshake_timeout(void **state)
{
    (void)state;
    harness_conn_t c = {0};
    harness_assert_io(&c, harness_tcp_connect(&c, fx.srv.port), HARNESS_IO_OK);
    /* handshake_timeout is 1 s in this fixture. */
    harness_io_t io = harness_conn_wait_closed(&c, 5000);
    assert_true(io == HARNESS_IO_CLOSED || io == HARNESS_IO_ERROR);
    harness_conn_close(&c);
    assert_true(harness_server_wait_log(&fx.srv, "reason=handshake_timeout", 2000));
}

/* thiduad refuses to start, in one sentence, on what it cannot serve with. */
static void server_refuses_bad_configuration(void **state)
{
    (void)state;
    char conf[HARNESS_PATH_MAX], key[HARNESS_PATH_MAX];
    harness_output_t out;

    harness_server_opts_t missing = {.cert = "/nonexistent/server.crt"};
    harness_server_config(conf, sizeof(conf), &fx.pki, fx.db, &missing);
    const char *argv[] = {harness_thiduad_path(), "--config", conf, NULL};
    harness_run(argv, NULL, &out);
    assert_int_equal(out.exit_code, 1);
    harness_assert_contains(out.err, "/nonexistent/server.crt");
    harness_output_free(&out);

    /* A private key that others can read. */
    harness_tmp_path(key, sizeof(key), "open.key");
    char *pem = harness_read_file(fx.pki.server.key);
    harness_write_file(key, pem);
    free(pem);
    assert_int_equal(chmod(key, 0644), 0);
    harness_server_opts_t open_key = {.key = key};
    harness_server_config(conf, sizeof(conf), &fx.pki, fx.db, &open_key);
    harness_run(argv, NULL, &out);
    assert_int_equal(out.exit_code, 1);
    harness_assert_contains(out.err, key);
    harness_output_free(&out);

    /* --check-config on a good file says so and exits 0. */
    harness_server_config(conf, sizeof(conf), &fx.pki, fx.db, NULL);
    const char *check[] = {harness_thiduad_path(), "--config", conf, "--check-config", NULL};
    harness_run(check, NULL, &out);
    assert_int_equal(out.exit_code, 0);
    harness_assert_contains(out.out, "valid");
    harness_output_free(&out);
}

/* Must run last: it stops the server. */
static void sigterm_closes_clients_cleanly(void **state)
{
    (void)state;
    harness_conn_t c[3] = {{0}};
    open_ready(&c[0], "930-district");
    open_ready(&c[1], "931-district");
    open_ready(&c[2], "93-province");
    int status = harness_server_stop(&fx.srv, SIGTERM);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(harness_conn_wait_closed(&c[i], 5000), HARNESS_IO_CLOSED);
        assert_true(c[i].close_notify);
        harness_conn_close(&c[i]);
    }
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(harness_server_log_contains(&fx.srv, "event=shutdown_done"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(district_gets_welcome),
        cmocka_unit_test(province_gets_welcome),
        cmocka_unit_test(ping_command_prints_identity),
        cmocka_unit_test(ping_command_reports_unreachable),
        cmocka_unit_test(refused_certificates),
        cmocka_unit_test(unknown_unit_refused_at_hello),
        cmocka_unit_test(bad_frames_closed_cleanly),
        cmocka_unit_test(request_before_hello),
        cmocka_unit_test(garbage_instead_of_client_hello),
        cmocka_unit_test(silent_client_dropped_after_handshake_timeout),
        cmocka_unit_test(server_refuses_bad_configuration),
        cmocka_unit_test(sigterm_closes_clients_cleanly),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
