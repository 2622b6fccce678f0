/*
 * test_hardening.c - what a hostile or broken peer must not achieve against
 * the real thiduad: the reproductions of a security review, each now
 * answered the way docs/protocol.md and docs/operations.md say.
 *
 * Each test starts the server it needs (its own limits and deadlines) on
 * the group's database and PKI, and stops it at the end.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static struct {
    harness_pki_t pki;
    char db[HARNESS_CONNINFO_MAX];
    harness_server_t srv;
    uint64_t next_id;
} fx;

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

static int teardown(void **state)
{
    (void)state;
    if (fx.srv.pid > 0)
        harness_server_stop(&fx.srv, SIGTERM);
    memset(&fx.srv, 0, sizeof(fx.srv));
    return 0;
}

/* ---- the exchange ---- */

static void free_env(Thidua__V1__Envelope *e)
{
    if (e != NULL)
        thidua__v1__envelope__free_unpacked(e, NULL);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Connect with the named certificate and say Hello; the answer (Welcome or Error) is returned. */
static Thidua__V1__Envelope *hello_as(harness_conn_t *conn, const char *cert)
{
    harness_io_t io =
        harness_tls_connect(conn, fx.srv.port, fx.pki.ca, harness_pki_cert(&fx.pki, cert));
    harness_assert_io(conn, io, HARNESS_IO_OK);
    Thidua__V1__Envelope *w = NULL;
    harness_assert_io(conn, harness_conn_hello(conn, ++fx.next_id, "test_hardening", &w),
                      HARNESS_IO_OK);
    return w;
}

/* hello_as, and the answer must be Welcome. */
static void open_session(harness_conn_t *conn, const char *cert)
{
    Thidua__V1__Envelope *w = hello_as(conn, cert);
    if (w->body_case == THIDUA__V1__ENVELOPE__BODY_ERROR)
        fail_msg("Hello as %s answered Error %d: %s", cert, w->error->code, w->error->message);
    assert_int_equal(w->body_case, THIDUA__V1__ENVELOPE__BODY_WELCOME);
    free_env(w);
}

/* Send a request on conn and return the answer. */
static Thidua__V1__Envelope *call(harness_conn_t *conn, Thidua__V1__Envelope *env)
{
    env->request_id = ++fx.next_id;
    Thidua__V1__Envelope *reply = NULL;
    harness_assert_io(conn, harness_conn_call(conn, env, 60000, &reply), HARNESS_IO_OK);
    assert_int_equal(reply->request_id, env->request_id);
    return reply;
}

static Thidua__V1__Envelope *ping(harness_conn_t *conn)
{
    Thidua__V1__Ping p = THIDUA__V1__PING__INIT;
    p.nonce = 7;
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_PING;
    env.ping = &p;
    return call(conn, &env);
}

/* scripts/pki with args (NULL-terminated); its exit code, stderr in err (caller frees). */
static int pki_run(harness_output_t *out, ...)
{
    char script[HARNESS_PATH_MAX];
    snprintf(script, sizeof(script), "%s/scripts/pki", getenv("THIDUA_TEST_SRCDIR"));
    const char *argv[16] = {script};
    size_t n = 1;
    va_list ap;
    va_start(ap, out);
    for (const char *a; n < 15 && (a = va_arg(ap, const char *)) != NULL;)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    return harness_run(argv, NULL, out);
}

/* ---- 5: the role is bound to the unit's level ---- */

/*
 * OU=province is for a province-level unit, OU=district for a unit below it:
 * scripts/pki refuses to issue either mismatch, and a certificate made anyway
 * (--force, or by hand) is refused at Hello with a sentence that says why.
 */
static void role_bound_to_level(void **state)
{
    (void)state;
    harness_output_t out = {0};
    assert_int_not_equal(pki_run(&out, "client", fx.pki.dir, "934", "province", NULL), 0);
    harness_assert_contains(out.err, "province certificate");
    harness_output_free(&out);
    assert_int_not_equal(pki_run(&out, "client", fx.pki.dir, "93", "district", NULL), 0);
    harness_assert_contains(out.err, "province's code");
    harness_output_free(&out);

    harness_pki_issue(&fx.pki, "934-as-province", "934", "province", "--force", NULL);
    harness_pki_issue(&fx.pki, "93-as-district", "93", "district", "--force", NULL);
    harness_server_start(&fx.srv, &fx.pki, fx.db, NULL);

    static const char *const bad[] = {"934-as-province", "93-as-district"};
    for (size_t i = 0; i < 2; i++) {
        harness_conn_t conn = {0};
        Thidua__V1__Envelope *e = hello_as(&conn, bad[i]);
        harness_assert_error(e, THIDUA__V1__ERROR__CODE__PERMISSION_DENIED, NULL);
        harness_assert_contains(e->error->message, "role (OU)");
        free_env(e);
        harness_assert_io(&conn, harness_conn_wait_closed(&conn, 10000), HARNESS_IO_CLOSED);
        harness_conn_close(&conn);
    }
    assert_true(harness_server_log_contains(&fx.srv, "event=session_refused"));

    /* The right pairs still open sessions. */
    harness_conn_t conn = {0};
    open_session(&conn, "934-district");
    harness_conn_close(&conn);
    open_session(&conn, "93-province");
    harness_conn_close(&conn);
}

/* ---- 1: no memory pinned by an idle connection; max_batch counted before unpacking ---- */

/* The server's resident set, in KiB (VmRSS of /proc/PID/status). */
static long server_rss_kib(void)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)fx.srv.pid);
    char *st = harness_read_file(path);
    const char *p = strstr(st, "VmRSS:");
    assert_non_null(p);
    long kib = strtol(p + 6, NULL, 10);
    free(st);
    return kib;
}

/*
 * The server's memory after a request stays within 20 MiB of idle. Under
 * AddressSanitizer freed memory is held in its quarantine and never given
 * back, so there the figures are printed and the request paths still run, but
 * only the plain build can hold the server to the ceiling.
 */
static void assert_rss_within(long idle_kib, long now_kib)
{
#if defined(__SANITIZE_ADDRESS__)
    (void)idle_kib;
    (void)now_kib;
#else
    assert_true(now_kib - idle_kib < 20 * 1024);
#endif
}

/* A push of n records whose summary is `summary`, with ids that are not UUIDs: each is
 * refused in the server's own checks, so the test measures the frame, not the database. */
static Thidua__V1__Envelope *push_big(harness_conn_t *conn, size_t n, const char *summary)
{
    Thidua__V1__Record *recs = calloc(n, sizeof(*recs));
    Thidua__V1__Record **ptrs = calloc(n, sizeof(*ptrs));
    assert_non_null(recs);
    assert_non_null(ptrs);
    for (size_t i = 0; i < n; i++) {
        thidua__v1__record__init(&recs[i]);
        recs[i].id = "not-a-uuid";
        recs[i].org_unit = "934";
        recs[i].summary = (char *)summary;
        ptrs[i] = &recs[i];
    }
    Thidua__V1__PushRequest req = THIDUA__V1__PUSH_REQUEST__INIT;
    req.n_records = n;
    req.records = ptrs;
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_PUSH_REQUEST;
    env.push_request = &req;
    Thidua__V1__Envelope *e = call(conn, &env);
    free(ptrs);
    free(recs);
    return e;
}

static void idle_connections_hold_no_memory(void **state)
{
    (void)state;
    harness_server_start(&fx.srv, &fx.pki, fx.db, NULL);
    enum { CONNS = 6 };
    static harness_conn_t conns[CONNS];
    for (int i = 0; i < CONNS; i++)
        open_session(&conns[i], "934-district");
    long idle = server_rss_kib();

    /* 60 records of 60 KB each: a 3.6 MB frame, unpacked into several times that. */
    size_t sz = 20000 * 3;
    char *summary = malloc(sz + 1);
    assert_non_null(summary);
    for (size_t k = 0; k < sz; k += 3)
        memcpy(summary + k, "\xe1\xbb\x87", 3);
    summary[sz] = '\0';
    for (int i = 0; i < CONNS; i++) {
        Thidua__V1__Envelope *e = push_big(&conns[i], 60, summary);
        assert_int_equal(e->body_case, THIDUA__V1__ENVELOPE__BODY_PUSH_RESPONSE);
        assert_int_equal(e->push_response->n_acks, 60);
        free_env(e);
    }
    free(summary);
    long after = server_rss_kib();
    print_message("server RSS: %ld KiB idle with %d sessions, %ld KiB after a 3.6 MB push on "
                  "each (ceiling: idle + 20480 KiB)\n",
                  idle, CONNS, after);
    assert_rss_within(idle, after);

    /* 190,000 empty records in one frame: refused on the wire, before anything is unpacked. */
    Thidua__V1__Envelope *e = push_big(&conns[0], 0, "");
    free_env(e);
    Thidua__V1__Record *recs = calloc(190000, sizeof(*recs));
    Thidua__V1__Record **ptrs = calloc(190000, sizeof(*ptrs));
    assert_non_null(recs);
    assert_non_null(ptrs);
    for (size_t i = 0; i < 190000; i++) {
        thidua__v1__record__init(&recs[i]);
        ptrs[i] = &recs[i];
    }
    Thidua__V1__PushRequest req = THIDUA__V1__PUSH_REQUEST__INIT;
    req.n_records = 190000;
    req.records = ptrs;
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_PUSH_REQUEST;
    env.push_request = &req;
    env.request_id = ++fx.next_id;
    Thidua__V1__Envelope *reply = NULL;
    harness_assert_io(&conns[1], harness_conn_call(&conns[1], &env, 60000, &reply),
                      HARNESS_IO_OK);
    free(ptrs);
    free(recs);
    harness_assert_error(reply, THIDUA__V1__ERROR__CODE__TOO_LARGE, "records[500]");
    assert_int_equal(reply->request_id, env.request_id);
    free_env(reply);
    /* The session goes on. */
    reply = ping(&conns[1]);
    assert_int_equal(reply->body_case, THIDUA__V1__ENVELOPE__BODY_PONG);
    free_env(reply);
    long refused = server_rss_kib();
    print_message("server RSS after the refused 190,000-record frame: %ld KiB\n", refused);
    assert_rss_within(idle, refused);
    for (int i = 0; i < CONNS; i++)
        harness_conn_close(&conns[i]);
}

/* ---- 10: the CN forms the docs promise; the catalog reloaded on SIGHUP ---- */

static void cn_forms_and_catalog_reload(void **state)
{
    (void)state;
    harness_pki_issue(&fx.pki, "93-934-district", "93-934", "district", NULL);
    harness_pki_issue(&fx.pki, "938-district", "938", "district", NULL);
    harness_server_start(&fx.srv, &fx.pki, fx.db, NULL);

    /* "93-934": unit 934 below province 93, as docs/schema.md says. */
    harness_conn_t conn = {0};
    Thidua__V1__Envelope *w = hello_as(&conn, "93-934-district");
    assert_int_equal(w->body_case, THIDUA__V1__ENVELOPE__BODY_WELCOME);
    assert_string_equal(w->welcome->org_unit, "934");
    free_env(w);
    harness_conn_close(&conn);

    /* A unit opened while the server runs is refused until the reload, then served. */
    w = hello_as(&conn, "938-district");
    harness_assert_error(w, THIDUA__V1__ERROR__CODE__PERMISSION_DENIED, NULL);
    free_env(w);
    harness_conn_close(&conn);
    harness_db_exec(fx.db, "INSERT INTO thidua.org_unit (code, name, level, unit_type, parent_id,"
                           "       valid_from)"
                           " SELECT '938', 'Huyện Mới', 'district', 'district', id, DATE '2020-01-01'"
                           "   FROM thidua.org_unit WHERE code = '93'");
    kill(fx.srv.pid, SIGHUP);
    assert_true(harness_server_wait_log(&fx.srv, "event=reload what=catalog", 10000));
    open_session(&conn, "938-district");
    harness_conn_close(&conn);
}

/* ---- 3: deadlines for Hello and for a frame ---- */

static void hello_and_frame_deadlines(void **state)
{
    (void)state;
    harness_server_opts_t opts = {.handshake_timeout = "2s"};
    harness_server_start(&fx.srv, &fx.pki, fx.db, &opts);

    /* TLS done, then silence: closed when the 2 s for TLS and Hello are spent. */
    harness_conn_t conn = {0};
    harness_assert_io(&conn,
                      harness_tls_connect(&conn, fx.srv.port, fx.pki.ca,
                                          harness_pki_cert(&fx.pki, "934-district")),
                      HARNESS_IO_OK);
    long long t0 = now_ms();
    harness_io_t io = harness_conn_wait_closed(&conn, 10000);
    assert_true(io == HARNESS_IO_CLOSED || io == HARNESS_IO_ERROR);
    long long waited = now_ms() - t0;
    print_message("silent peer closed after %lld ms (deadline 2000 ms)\n", waited);
    harness_conn_close(&conn);

    /* A Hello whose first bytes trickle in, keeping the connection busy, and whose rest comes
     * after the deadline: refused, where it used to get Welcome. */
    harness_assert_io(&conn,
                      harness_tls_connect(&conn, fx.srv.port, fx.pki.ca,
                                          harness_pki_cert(&fx.pki, "934-district")),
                      HARNESS_IO_OK);
    Thidua__V1__Hello h = THIDUA__V1__HELLO__INIT;
    h.protocol_version = 1;
    h.client_version = "late";
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_HELLO;
    env.hello = &h;
    env.request_id = 1;
    uint8_t frame[256];
    size_t n = thidua__v1__envelope__get_packed_size(&env);
    assert_true(n + 4 <= sizeof(frame));
    frame[0] = 0;
    frame[1] = 0;
    frame[2] = (uint8_t)(n >> 8);
    frame[3] = (uint8_t)n;
    thidua__v1__envelope__pack(&env, frame + 4);
    for (int i = 0; i < 3; i++) {
        harness_assert_io(&conn, harness_conn_send(&conn, &frame[i], 1), HARNESS_IO_OK);
        usleep(900 * 1000);
    }
    harness_assert_io(&conn, harness_conn_send(&conn, frame + 3, n + 1), HARNESS_IO_OK);
    Thidua__V1__Envelope *w = NULL;
    harness_assert_io(&conn, harness_conn_recv_envelope(&conn, 10000, &w), HARNESS_IO_OK);
    harness_assert_error(w, THIDUA__V1__ERROR__CODE__HELLO_REQUIRED, NULL);
    harness_assert_contains(w->error->message, "no Hello within 2000 ms");
    free_env(w);
    harness_conn_close(&conn);

    /* After Hello, a 4 MiB frame trickled a byte a second is cut once its 10 s of grace are
     * over, instead of holding the connection for days. */
    open_session(&conn, "934-district");
    static const uint8_t big[4] = {0, 0x40, 0, 0};
    harness_assert_io(&conn, harness_conn_send(&conn, big, 4), HARNESS_IO_OK);
    t0 = now_ms();
    bool refused = false;
    while (now_ms() - t0 < 30000) {
        uint8_t b = 0x0a;
        if (harness_conn_send(&conn, &b, 1) != HARNESS_IO_OK)
            break;
        Thidua__V1__Envelope *e = NULL;
        io = harness_conn_recv_envelope(&conn, 1000, &e);
        if (io == HARNESS_IO_OK) {
            harness_assert_error(e, THIDUA__V1__ERROR__CODE__BAD_FRAME, NULL);
            harness_assert_contains(e->error->message, "bytes/s");
            free_env(e);
            refused = true;
            break;
        }
        if (io != HARNESS_IO_TIMEOUT)
            break;
    }
    assert_true(refused);
    print_message("trickled frame refused after %lld ms\n", now_ms() - t0);
    harness_conn_close(&conn);
    assert_true(waited < 5000);
}

/* ---- 4: revocation ends open sessions; sessions have a lifetime ---- */

static void revoked_session_closed_on_reload(void **state)
{
    (void)state;
    harness_pki_issue(&fx.pki, "936-laptop", "936", "district", NULL);
    harness_server_opts_t opts = {.extra = "[server]\nmax_session_lifetime = 3s\n"};
    harness_server_start(&fx.srv, &fx.pki, fx.db, &opts);
    harness_conn_t doomed = {0}, other = {0};
    open_session(&doomed, "936-laptop");
    open_session(&other, "936-district");
    Thidua__V1__Envelope *e = ping(&doomed);
    free_env(e);

    harness_pki_revoke(&fx.pki, "936-laptop");
    long long t0 = now_ms();
    kill(fx.srv.pid, SIGHUP);
    Thidua__V1__Envelope *err = NULL;
    harness_assert_io(&doomed, harness_conn_recv_envelope(&doomed, 1000, &err), HARNESS_IO_OK);
    harness_assert_error(err, THIDUA__V1__ERROR__CODE__PERMISSION_DENIED, NULL);
    harness_assert_contains(err->error->message, "revoked");
    free_env(err);
    harness_assert_io(&doomed, harness_conn_wait_closed(&doomed, 1000), HARNESS_IO_CLOSED);
    long long took = now_ms() - t0;
    print_message("revoked session closed %lld ms after SIGHUP\n", took);
    assert_true(took < 1000);
    assert_true(harness_server_log_contains(&fx.srv, "event=session_revoked"));
    harness_conn_close(&doomed);

    /* The other certificate of the same unit goes on, until its lifetime is over. */
    e = ping(&other);
    assert_int_equal(e->body_case, THIDUA__V1__ENVELOPE__BODY_PONG);
    free_env(e);
    usleep(3200 * 1000);
    Thidua__V1__Ping p = THIDUA__V1__PING__INIT;
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_PING;
    env.ping = &p;
    env.request_id = ++fx.next_id;
    harness_assert_io(&other, harness_conn_call(&other, &env, 5000, &e), HARNESS_IO_OK);
    harness_assert_error(e, THIDUA__V1__ERROR__CODE__SHUTTING_DOWN, NULL);
    assert_true(e->error->retryable);
    harness_assert_contains(e->error->message, "max_session_lifetime");
    free_env(e);
    harness_conn_close(&other);
}

static void missing_crl_is_warned(void **state)
{
    (void)state;
    harness_server_opts_t opts = {.crl = ""};
    harness_server_start(&fx.srv, &fx.pki, fx.db, &opts);
    assert_true(harness_server_log_contains(&fx.srv, "event=no_crl"));
}

/* ---- 2: silent peers cannot lock the offices out ---- */

static void silent_peers_take_no_session(void **state)
{
    (void)state;
    harness_server_opts_t opts = {.extra = "[server]\nmax_connections = 8\n"
                                           "max_handshakes_per_address = 16\n"};
    harness_server_start(&fx.srv, &fx.pki, fx.db, &opts);

    /* Forty sockets that connect and say nothing: the office still gets in. */
    enum { SILENT = 40 };
    static harness_conn_t silent[SILENT];
    for (int i = 0; i < SILENT; i++)
        harness_assert_io(&silent[i], harness_tcp_connect(&silent[i], fx.srv.port),
                          HARNESS_IO_OK);
    harness_conn_t office = {0};
    open_session(&office, "934-district");
    assert_true(harness_server_log_contains(&fx.srv, "event=handshake_evicted"));
    /* The oldest silent ones made room, the newest are still waiting. */
    assert_int_not_equal(harness_conn_wait_closed(&silent[0], 2000), HARNESS_IO_TIMEOUT);
    for (int i = 0; i < SILENT; i++)
        harness_conn_close(&silent[i]);

    /* Sessions are what max_connections counts: eight open, the ninth is told to come back. */
    static harness_conn_t sessions[7];
    for (int i = 0; i < 7; i++)
        open_session(&sessions[i], "935-district");
    harness_conn_t ninth = {0};
    Thidua__V1__Envelope *e = hello_as(&ninth, "936-district");
    harness_assert_error(e, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL);
    assert_true(e->error->retryable);
    free_env(e);
    harness_conn_close(&ninth);
    harness_conn_close(&sessions[0]);
    /* A place freed is a place taken. */
    for (int tries = 0; tries < 50; tries++) {
        e = hello_as(&ninth, "936-district");
        bool ok = e->body_case == THIDUA__V1__ENVELOPE__BODY_WELCOME;
        free_env(e);
        harness_conn_close(&ninth);
        if (ok)
            break;
        assert_true(tries < 49);
        usleep(100 * 1000);
    }
    for (int i = 1; i < 7; i++)
        harness_conn_close(&sessions[i]);
    harness_conn_close(&office);
}

/* ---- 8: a server fault is retried, never a permanent refusal ---- */

static Thidua__V1__Envelope *push_one(harness_conn_t *conn, const char *id)
{
    Thidua__V1__Record rec = THIDUA__V1__RECORD__INIT;
    rec.id = (char *)id;
    rec.org_unit = "934";
    rec.nominee_kind = "individual";
    rec.nominee_name = "Ngô Thị Hạnh";
    rec.birth_date = "1980-06-06";
    rec.title = "Hoàn thành xuất sắc nhiệm vụ";
    rec.category = "KT_XH";
    rec.achieved_on = "2024-10-01";
    rec.proposed_award = "BK_UBND_TINH";
    rec.revision = 1;
    Thidua__V1__Record *ptrs[1] = {&rec};
    Thidua__V1__PushRequest req = THIDUA__V1__PUSH_REQUEST__INIT;
    req.n_records = 1;
    req.records = ptrs;
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_PUSH_REQUEST;
    env.push_request = &req;
    return call(conn, &env);
}

/*
 * The database answers a result this server does not know (a newer schema, a
 * bug): the push is answered UNAVAILABLE and retryable, not REJECTED, and the
 * same push sent again once the fault is gone gets its real answer.
 */
static void unknown_result_is_retryable(void **state)
{
    (void)state;
    harness_db_exec(fx.db,
                    "ALTER FUNCTION thidua.push_many(bigint[], bytea[], jsonb)"
                    " RENAME TO push_many_real;"
                    "CREATE FUNCTION thidua.push_many(p_callers bigint[], p_certs bytea[],"
                    " p_batches jsonb)"
                    " RETURNS SETOF thidua.push_ack LANGUAGE plpgsql AS $$"
                    " DECLARE a thidua.push_ack; BEGIN"
                    "  FOR a IN SELECT * FROM thidua.push_many_real(p_callers, p_certs, p_batches)"
                    "  LOOP a.result := 'DEFERRED'; RETURN NEXT a; END LOOP; END $$;");
    harness_server_start(&fx.srv, &fx.pki, fx.db, NULL);
    harness_conn_t conn = {0};
    open_session(&conn, "934-district");
    const char *id = "0000beef-0000-4000-8000-000000000008";
    Thidua__V1__Envelope *e = push_one(&conn, id);
    harness_assert_error(e, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL);
    assert_true(e->error->retryable);
    free_env(e);
    harness_conn_close(&conn);
    assert_true(harness_server_log_contains(&fx.srv, "event=ack_unknown"));
    harness_server_stop(&fx.srv, SIGTERM);

    harness_db_exec(fx.db, "DROP FUNCTION thidua.push_many(bigint[], bytea[], jsonb);"
                           "ALTER FUNCTION thidua.push_many_real(bigint[], bytea[], jsonb)"
                           " RENAME TO push_many;");
    harness_server_start(&fx.srv, &fx.pki, fx.db, NULL);
    open_session(&conn, "934-district");
    e = push_one(&conn, id);
    assert_int_equal(e->body_case, THIDUA__V1__ENVELOPE__BODY_PUSH_RESPONSE);
    /* The first push committed before its answers could be read: the resend finds it. */
    assert_int_equal(e->push_response->acks[0]->status, THIDUA__V1__RECORD_ACK__STATUS__DUPLICATE);
    free_env(e);
    harness_conn_close(&conn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(role_bound_to_level, teardown),
        cmocka_unit_test_teardown(idle_connections_hold_no_memory, teardown),
        cmocka_unit_test_teardown(cn_forms_and_catalog_reload, teardown),
        cmocka_unit_test_teardown(hello_and_frame_deadlines, teardown),
        cmocka_unit_test_teardown(revoked_session_closed_on_reload, teardown),
        cmocka_unit_test_teardown(missing_crl_is_warned, teardown),
        cmocka_unit_test_teardown(silent_peers_take_no_session, teardown),
        cmocka_unit_test_teardown(unknown_result_is_retryable, teardown),
    };
    return cmocka_run_group_tests_name("hardening", tests, group_setup, group_teardown);
}
