/*
 * test_pull_limits.c - what bounds a pull, through the real thiduad and
 * PostgreSQL (docs/protocol.md, "Pull"):
 *
 * - a cursor above 2^63 - 1 is INVALID_ARGUMENT naming "cursor", not an
 *   UNAVAILABLE the client would retry forever, and the connection goes on.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static struct {
    harness_pki_t pki;
    char db[HARNESS_CONNINFO_MAX];
    harness_server_t srv;
} fx;

/* A server with a pool of 2; a fresh process each time. */
static void start_server(void)
{
    if (fx.srv.pid > 0)
        assert_int_equal(harness_server_stop(&fx.srv, SIGTERM), 0);
    harness_server_opts_t opts = {.pool_size = "2"};
    harness_server_start(&fx.srv, &fx.pki, fx.db, &opts);
}

static int setup(void **state)
{
    (void)state;
    harness_pki_make(&fx.pki);
    harness_db_create(fx.db, sizeof(fx.db));
    start_server();
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

/* ---- protocol helpers ---- */

static void hello(harness_conn_t *c, const char *cert)
{
    harness_io_t io =
        harness_tls_connect(c, fx.srv.port, fx.pki.ca, harness_pki_cert(&fx.pki, cert));
    harness_assert_io(c, io, HARNESS_IO_OK);
    Thidua__V1__Hello h = THIDUA__V1__HELLO__INIT;
    h.protocol_version = 1;
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    env.request_id = 1;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_HELLO;
    env.hello = &h;
    harness_assert_io(c, harness_conn_send_envelope(c, &env), HARNESS_IO_OK);
    Thidua__V1__Envelope *w = NULL;
    harness_assert_io(c, harness_conn_recv_envelope(c, 10000, &w), HARNESS_IO_OK);
    assert_int_equal(w->body_case, THIDUA__V1__ENVELOPE__BODY_WELCOME);
    thidua__v1__envelope__free_unpacked(w, NULL);
}

static Thidua__V1__Envelope *recv_reply(harness_conn_t *c)
{
    Thidua__V1__Envelope *reply = NULL;
    harness_assert_io(c, harness_conn_recv_envelope(c, 120000, &reply), HARNESS_IO_OK);
    return reply;
}

static void send_pull(harness_conn_t *c, uint64_t request_id, uint64_t cursor, uint32_t limit)
{
    Thidua__V1__PullRequest req = THIDUA__V1__PULL_REQUEST__INIT;
    req.cursor = cursor;
    req.limit = limit;
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    env.request_id = request_id;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_PULL_REQUEST;
    env.pull_request = &req;
    harness_assert_io(c, harness_conn_send_envelope(c, &env), HARNESS_IO_OK);
}

static Thidua__V1__Envelope *pull(harness_conn_t *c, uint64_t cursor, uint32_t limit)
{
    send_pull(c, 43, cursor, limit);
    Thidua__V1__Envelope *e = recv_reply(c);
    assert_int_equal(e->request_id, 43);
    return e;
}

static const Thidua__V1__PullResponse *pull_page(const Thidua__V1__Envelope *e)
{
    if (e->body_case == THIDUA__V1__ENVELOPE__BODY_ERROR)
        fail_msg("pull answered Error %d: %s", e->error->code, e->error->message);
    assert_int_equal(e->body_case, THIDUA__V1__ENVELOPE__BODY_PULL_RESPONSE);
    return e->pull_response;
}

/* ---- tests ---- */

/* #11: a cursor the feed cannot hold is the client's mistake, said once. */
static void cursor_above_int64_is_invalid_argument(void **state)
{
    (void)state;
    harness_conn_t c = {0};
    hello(&c, "930-district");
    const uint64_t bad[] = {UINT64_MAX, (uint64_t)INT64_MAX + 1};
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(bad); i++) {
        Thidua__V1__Envelope *e = pull(&c, bad[i], 10);
        assert_int_equal(e->body_case, THIDUA__V1__ENVELOPE__BODY_ERROR);
        assert_int_equal(e->error->code, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT);
        assert_string_equal(e->error->field, "cursor");
        assert_false(e->error->retryable);
        harness_assert_contains(e->error->message, "9223372036854775807");
        thidua__v1__envelope__free_unpacked(e, NULL);
    }
    /* The largest cursor is valid: a position this feed has not reached. */
    Thidua__V1__Envelope *e = pull(&c, (uint64_t)INT64_MAX, 10);
    assert_true(pull_page(e)->cursor_ahead);
    thidua__v1__envelope__free_unpacked(e, NULL);
    /* The same connection pulls on as usual. */
    e = pull(&c, 0, 10);
    assert_false(pull_page(e)->cursor_ahead);
    assert_false(pull_page(e)->has_more);
    thidua__v1__envelope__free_unpacked(e, NULL);
    harness_conn_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cursor_above_int64_is_invalid_argument),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
