/*
 * test_push.c - push and pull through the real thiduad and PostgreSQL.
 *
 * What a district relies on: each revision stored exactly once whatever is
 * retried, one precise ack per record, other units' records refused, a feed
 * that never skips a change even with writers racing and two servers on one
 * database, and nothing lost or doubled when PostgreSQL goes away mid-push.
 */
#include <pthread.h>
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
#include <libpq-fe.h>

#include "fields.h"
#include "harness.h"

static struct {
    harness_pki_t pki;
    char db[HARNESS_CONNINFO_MAX];
    harness_server_t srv;
} fx;

static int setup(void **state)
{
    (void)state;
    harness_pki_make(&fx.pki);
    harness_db_create(fx.db, sizeof(fx.db));
    harness_server_opts_t opts = {.max_batch = "200"};
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

/* ---- records ---- */

/* A record of `unit`, numbered n: content depends on (n, variant). Strings are static per slot. */
typedef struct {
    Thidua__V1__Record rec;
    char id[37];
    char name[64];
    char title[96];
    char unit[8];
} test_record_t;

static void make_id(char out[37], unsigned tag, unsigned n)
{
    snprintf(out, 37, "%08x-0000-4000-8000-%012x", tag, n);
}

static void make_record(test_record_t *t, unsigned tag, unsigned n, const char *unit,
                        uint32_t revision, int variant)
{
    thidua__v1__record__init(&t->rec);
    make_id(t->id, tag, n);
    snprintf(t->unit, sizeof(t->unit), "%s", unit);
    snprintf(t->name, sizeof(t->name), "Nguyễn Văn %u", n);
    snprintf(t->title, sizeof(t->title), "Thành tích số %u, bản %d", n, variant);
    t->rec.id = t->id;
    t->rec.campaign = "HG-DB-2025";
    t->rec.org_unit = t->unit;
    t->rec.nominee_kind = "individual";
    t->rec.nominee_name = t->name;
    t->rec.birth_date = "1980-05-17";
    t->rec.gender = "male";
    t->rec.title = t->title;
    t->rec.summary = "Hoàn thành xuất sắc nhiệm vụ.";
    t->rec.category = "KT_XH";
    t->rec.achieved_on = "2024-10-01";
    t->rec.proposed_award = "BK_UBND_TINH";
    t->rec.revision = revision;
}

/* ---- protocol helpers ---- */

static void hello(harness_conn_t *c, const char *cert)
{
    harness_io_t io = harness_tls_connect(c, fx.srv.port, fx.pki.ca,
                                          harness_pki_cert(&fx.pki, cert));
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

static void hello_port(harness_conn_t *c, int port, const char *cert)
{
    int saved = fx.srv.port;
    fx.srv.port = port;
    hello(c, cert);
    fx.srv.port = saved;
}

/* Send a push of n records on c as request id, without waiting for its answer. */
static void push_send(harness_conn_t *c, uint64_t id, test_record_t *recs, size_t n)
{
    Thidua__V1__Record **ptrs = calloc(n + 1, sizeof(*ptrs));
    assert_non_null(ptrs);
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &recs[i].rec;
    Thidua__V1__PushRequest req = THIDUA__V1__PUSH_REQUEST__INIT;
    req.n_records = n;
    req.records = ptrs;
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    env.request_id = id;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_PUSH_REQUEST;
    env.push_request = &req;
    harness_assert_io(c, harness_conn_send_envelope(c, &env), HARNESS_IO_OK);
    free(ptrs);
}

/* The answer to request id, the next on c (PushResponse or Error); caller frees. */
static Thidua__V1__Envelope *push_recv(harness_conn_t *c, uint64_t id)
{
    Thidua__V1__Envelope *reply = NULL;
    harness_assert_io(c, harness_conn_recv_envelope(c, 60000, &reply), HARNESS_IO_OK);
    assert_int_equal(reply->request_id, id);
    return reply;
}

/* Push n records; returns the reply (PushResponse or Error); caller frees. */
static Thidua__V1__Envelope *push(harness_conn_t *c, test_record_t *recs, size_t n)
{
    push_send(c, 42, recs, n);
    return push_recv(c, 42);
}

static Thidua__V1__Envelope *pull(harness_conn_t *c, uint64_t cursor, uint32_t limit)
{
    Thidua__V1__PullRequest req = THIDUA__V1__PULL_REQUEST__INIT;
    req.cursor = cursor;
    req.limit = limit;
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    env.request_id = 43;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_PULL_REQUEST;
    env.pull_request = &req;
    harness_assert_io(c, harness_conn_send_envelope(c, &env), HARNESS_IO_OK);
    Thidua__V1__Envelope *reply = NULL;
    harness_assert_io(c, harness_conn_recv_envelope(c, 60000, &reply), HARNESS_IO_OK);
    return reply;
}

static void assert_all_acks(const Thidua__V1__Envelope *e, size_t n,
                            Thidua__V1__RecordAck__Status st)
{
    if (e->body_case == THIDUA__V1__ENVELOPE__BODY_ERROR)
        fail_msg("push answered Error %d: %s", e->error->code, e->error->message);
    assert_int_equal(e->body_case, THIDUA__V1__ENVELOPE__BODY_PUSH_RESPONSE);
    assert_int_equal(e->push_response->n_acks, n);
    for (size_t i = 0; i < n; i++) {
        const Thidua__V1__RecordAck *a = e->push_response->acks[i];
        if (a->status != st)
            fail_msg("ack %zu: status %d (%s: %s), expected %d", i, a->status, a->field,
                     a->message, st);
    }
}

/* ---- tests ---- */

static void same_batch_twice_is_stored_once(void **state)
{
    (void)state;
    harness_conn_t c = {0};
    hello(&c, "934-district");
    test_record_t recs[50];
    for (unsigned i = 0; i < 50; i++)
        make_record(&recs[i], 0x1001, i, "934", 1, 0);

    Thidua__V1__Envelope *first = push(&c, recs, 50);
    assert_all_acks(first, 50, THIDUA__V1__RECORD_ACK__STATUS__APPLIED);
    Thidua__V1__Envelope *second = push(&c, recs, 50);
    assert_all_acks(second, 50, THIDUA__V1__RECORD_ACK__STATUS__DUPLICATE);
    for (size_t i = 0; i < 50; i++) {
        /* The retry learns the position of what it repeats. */
        assert_int_equal(second->push_response->acks[i]->change_seq,
                         first->push_response->acks[i]->change_seq);
        assert_string_equal(second->push_response->acks[i]->id, recs[i].id);
    }
    thidua__v1__envelope__free_unpacked(first, NULL);
    thidua__v1__envelope__free_unpacked(second, NULL);
    harness_conn_close(&c);

    assert_int_equal(harness_db_int(fx.db, "SELECT count(*) FROM thidua.record"
                                           " WHERE id::text LIKE '00001001-%%'"),
                     50);
    assert_int_equal(harness_db_int(fx.db, "SELECT count(*) FROM thidua.record_revision"
                                           " WHERE record_id::text LIKE '00001001-%%'"),
                     50);
}

static void stale_conflict_and_other_units(void **state)
{
    (void)state;
    harness_conn_t c = {0};
    hello(&c, "935-district");
    test_record_t r[1];

    make_record(&r[0], 0x1002, 1, "935", 1, 0);
    Thidua__V1__Envelope *e = push(&c, r, 1);
    assert_all_acks(e, 1, THIDUA__V1__RECORD_ACK__STATUS__APPLIED);
    thidua__v1__envelope__free_unpacked(e, NULL);

    make_record(&r[0], 0x1002, 1, "935", 2, 1);
    e = push(&c, r, 1);
    assert_all_acks(e, 1, THIDUA__V1__RECORD_ACK__STATUS__APPLIED);
    thidua__v1__envelope__free_unpacked(e, NULL);

    /* Revision 1 again, after 2 was stored. */
    make_record(&r[0], 0x1002, 1, "935", 1, 0);
    e = push(&c, r, 1);
    assert_all_acks(e, 1, THIDUA__V1__RECORD_ACK__STATUS__STALE);
    assert_int_equal(e->push_response->acks[0]->stored_revision, 2);
    thidua__v1__envelope__free_unpacked(e, NULL);

    /* Revision 2 with other content. */
    make_record(&r[0], 0x1002, 1, "935", 2, 7);
    e = push(&c, r, 1);
    assert_all_acks(e, 1, THIDUA__V1__RECORD_ACK__STATUS__CONFLICT);
    thidua__v1__envelope__free_unpacked(e, NULL);

    /* A record of another district's unit: refused and not stored. */
    make_record(&r[0], 0x1002, 2, "936", 1, 0);
    e = push(&c, r, 1);
    assert_all_acks(e, 1, THIDUA__V1__RECORD_ACK__STATUS__PERMISSION_DENIED);
    harness_assert_contains(e->push_response->acks[0]->message, "936");
    thidua__v1__envelope__free_unpacked(e, NULL);
    assert_int_equal(harness_db_int(fx.db, "SELECT count(*) FROM thidua.record"
                                           " WHERE id = '%s'",
                                    r[0].id),
                     0);
    assert_true(harness_server_wait_log(&fx.srv, "event=permission_denied", 2000));
    harness_conn_close(&c);
}

static void bad_records_do_not_spoil_the_batch(void **state)
{
    (void)state;
    harness_conn_t c = {0};
    hello(&c, "936-district");
    static test_record_t recs[100];
    for (unsigned i = 0; i < 100; i++)
        make_record(&recs[i], 0x1003, i, "936", 1, 0);
    recs[10].rec.achieved_on = "2023-01-15"; /* before the campaign */
    recs[50].rec.category = "THE_THAO";      /* no such category */
    recs[90].rec.nominee_kind = "individual";
    recs[90].rec.proposed_award = "CO_THI_DUA_TINH"; /* for collectives only */

    Thidua__V1__Envelope *e = push(&c, recs, 100);
    assert_int_equal(e->body_case, THIDUA__V1__ENVELOPE__BODY_PUSH_RESPONSE);
    size_t applied = 0;
    for (size_t i = 0; i < 100; i++) {
        const Thidua__V1__RecordAck *a = e->push_response->acks[i];
        assert_string_equal(a->id, recs[i].id);
        if (i == 10 || i == 50 || i == 90) {
            assert_int_equal(a->status, THIDUA__V1__RECORD_ACK__STATUS__REJECTED);
            assert_string_equal(a->field, i == 10 ? "achieved_on"
                                          : i == 50 ? "category"
                                                    : "proposed_award");
            assert_true(strlen(a->message) > 10);
        } else {
            assert_int_equal(a->status, THIDUA__V1__RECORD_ACK__STATUS__APPLIED);
            applied++;
        }
    }
    assert_int_equal(applied, 97);
    thidua__v1__envelope__free_unpacked(e, NULL);
    assert_int_equal(harness_db_int(fx.db, "SELECT count(*) FROM thidua.record"
                                           " WHERE id::text LIKE '00001003-%%'"),
                     97);

    /* More than max_batch (200 in this fixture) is refused whole. */
    static test_record_t many[201];
    for (unsigned i = 0; i < 201; i++)
        make_record(&many[i], 0x1004, i, "936", 1, 0);
    e = push(&c, many, 201);
    assert_int_equal(e->body_case, THIDUA__V1__ENVELOPE__BODY_ERROR);
    assert_int_equal(e->error->code, THIDUA__V1__ERROR__CODE__TOO_LARGE);
    thidua__v1__envelope__free_unpacked(e, NULL);
    harness_conn_close(&c);
}

/* Every field stored as text (fields.h): at its limit APPLIED, one over REJECTED naming it. */
static void field_limits_at_and_over(void **state)
{
    (void)state;
    harness_conn_t c = {0};
    hello(&c, "936-district");
    static test_record_t recs[2 * 16];
    char *values[2 * 16];
    const char *wires[2 * 16];
    size_t n = 0;
    for (size_t f = 0; f < field_record_count; f++) {
        const field_def_t *d = &field_record_defs[f];
        if (d->sql[0] == '\0')
            continue;
        for (size_t over = 0; over < 2; over++, n++) {
            make_record(&recs[n], 0x1005, (unsigned)n, "936", 1, 0);
            /* max (+ 1) times "ệ", three bytes each: limits count code points. */
            size_t len = (d->max_chars + over) * 3;
            values[n] = malloc(len + 1);
            assert_non_null(values[n]);
            for (size_t k = 0; k < len; k += 3)
                memcpy(values[n] + k, "\xe1\xbb\x87", 3);
            values[n][len] = '\0';
            wires[n] = d->wire;
            Thidua__V1__Record *r = &recs[n].rec;
#define SET_FIELD(fid, wire, max, req, flags, sql)                                                 \
    if (strcmp(d->id, #fid) == 0)                                                                  \
        r->fid = values[n];
            THIDUA_RECORD_FIELDS(SET_FIELD)
#undef SET_FIELD
        }
    }
    assert_int_equal(n, 10);
    Thidua__V1__Envelope *e = push(&c, recs, n);
    assert_int_equal(e->body_case, THIDUA__V1__ENVELOPE__BODY_PUSH_RESPONSE);
    for (size_t i = 0; i < n; i++) {
        const Thidua__V1__RecordAck *a = e->push_response->acks[i];
        if (i % 2 == 0) {
            if (a->status != THIDUA__V1__RECORD_ACK__STATUS__APPLIED)
                fail_msg("ack %zu at the limit: %d (%s: %s)", i, a->status, a->field, a->message);
        } else {
            assert_int_equal(a->status, THIDUA__V1__RECORD_ACK__STATUS__REJECTED);
            assert_string_equal(a->field, wires[i]);
        }
        free(values[i]);
    }
    thidua__v1__envelope__free_unpacked(e, NULL);
    harness_conn_close(&c);
}

/* ---- the feed race ---- */

#define RACE_WRITERS 8 /* one per district, 930 to 937 */
#define RACE_BATCHES 25
#define RACE_BATCH 8
#define RACE_SLOW_MS 3000

typedef struct {
    int port;
    unsigned tag; /* distinct per writer and per race: fresh record ids */
    char unit[8];
    int failed;
    char why[256];
} writer_arg_t;

static void *race_writer(void *p)
{
    writer_arg_t *w = p;
    harness_conn_t c = {0};
    char cert[32];
    snprintf(cert, sizeof(cert), "%s-district", w->unit);
    hello_port(&c, w->port, cert);
    test_record_t recs[RACE_BATCH];
    for (unsigned b = 0; b < RACE_BATCHES && !w->failed; b++) {
        for (unsigned i = 0; i < RACE_BATCH; i++)
            make_record(&recs[i], w->tag, b * RACE_BATCH + i, w->unit, 1, 0);
        Thidua__V1__Envelope *e = push(&c, recs, RACE_BATCH);
        if (e->body_case != THIDUA__V1__ENVELOPE__BODY_PUSH_RESPONSE) {
            w->failed = 1;
            snprintf(w->why, sizeof(w->why), "push answered %d", e->body_case);
        }
        thidua__v1__envelope__free_unpacked(e, NULL);
    }
    harness_conn_close(&c);
    return NULL;
}

/* Pull everything after cursor into seen[] until nothing more comes; returns the count. */
static size_t drain_feed(harness_conn_t *c, uint64_t *cursor, uint64_t *seen, size_t cap,
                         size_t n)
{
    for (;;) {
        Thidua__V1__Envelope *e = pull(c, *cursor, 7);
        assert_int_equal(e->body_case, THIDUA__V1__ENVELOPE__BODY_PULL_RESPONSE);
        const Thidua__V1__PullResponse *p = e->pull_response;
        for (size_t i = 0; i < p->n_changes; i++) {
            assert_true(p->changes[i]->change_seq > *cursor);
            assert_true(n < cap);
            seen[n++] = p->changes[i]->change_seq;
            *cursor = p->changes[i]->change_seq;
            assert_true(strncmp(p->changes[i]->record->org_unit, "93", 2) == 0);
        }
        assert_int_equal(p->next_cursor, *cursor);
        int more = p->has_more;
        thidua__v1__envelope__free_unpacked(e, NULL);
        if (!more)
            return n;
    }
}

/*
 * The slow writer: a push of one record of unit 930 straight into the
 * database, in a transaction held open for RACE_SLOW_MS while the others
 * commit, as a push stuck behind a slow disk or a lock would be.
 */
typedef struct {
    unsigned tag;
    volatile int done;
    char why[256];
} slow_arg_t;

static void *race_slow_writer(void *p)
{
    slow_arg_t *a = p;
    PGconn *db = PQconnectdb(fx.db);
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "BEGIN; SELECT thidua.push(u.id, sha256('slow'), jsonb_build_array(jsonb_build_object("
             "'id', '%08x-0000-4000-8000-000000000001', 'campaign', 'HG-DB-2025',"
             " 'org_unit', '930', 'nominee_kind', 'collective', 'nominee_name', 'Tổ chậm',"
             " 'title', 'Thành tích', 'category', 'KT_XH', 'achieved_on', '2024-10-01',"
             " 'proposed_award', 'BK_UBND_TINH', 'revision', 1,"
             " 'content_hash', encode(sha256('slow'), 'hex'))))"
             " FROM thidua.org_unit u WHERE u.code = '930'",
             a->tag);
    PGresult *r = PQexec(db, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        snprintf(a->why, sizeof(a->why), "slow push: %s", PQerrorMessage(db));
    PQclear(r);
    usleep(RACE_SLOW_MS * 1000);
    r = PQexec(db, "COMMIT");
    if (a->why[0] == '\0' && PQresultStatus(r) != PGRES_COMMAND_OK)
        snprintf(a->why, sizeof(a->why), "slow commit: %s", PQerrorMessage(db));
    PQclear(r);
    PQfinish(db);
    a->done = 1;
    return NULL;
}

/*
 * Eight writers, one per district, split over the two ports; one more writer
 * holds its transaction open for seconds; a province reader pulls in a loop
 * meanwhile. It sees every change of the feed after `before` exactly once,
 * in cursor order, the slow one included.
 */
static void race_feed(int port_a, int port_b, unsigned tag_base)
{
    pthread_t th[RACE_WRITERS], slow_th;
    writer_arg_t args[RACE_WRITERS];
    slow_arg_t slow = {.tag = tag_base + RACE_WRITERS};
    long long before = harness_db_int(fx.db, "SELECT coalesce(max(seq), 0) FROM thidua.change_feed");
    assert_int_equal(pthread_create(&slow_th, NULL, race_slow_writer, &slow), 0);
    for (unsigned i = 0; i < RACE_WRITERS; i++) {
        args[i] = (writer_arg_t){.port = i % 2 ? port_b : port_a, .tag = tag_base + i};
        snprintf(args[i].unit, sizeof(args[i].unit), "%u", 930 + i);
        assert_int_equal(pthread_create(&th[i], NULL, race_writer, &args[i]), 0);
    }
    /* The reader pulls while the writers push, until the slow one committed, then once more
     * after everyone is done. */
    size_t cap = RACE_WRITERS * RACE_BATCHES * RACE_BATCH + 16, n = 0;
    uint64_t *seen = calloc(cap, sizeof(*seen));
    uint64_t cursor = (uint64_t)before;
    harness_conn_t reader = {0};
    hello_port(&reader, port_b, "93-province");
    for (int round = 0; round < 50 || !slow.done; round++)
        n = drain_feed(&reader, &cursor, seen, cap, n);
    for (unsigned i = 0; i < RACE_WRITERS; i++) {
        pthread_join(th[i], NULL);
        if (args[i].failed)
            fail_msg("writer %u: %s", i, args[i].why);
    }
    pthread_join(slow_th, NULL);
    if (slow.why[0] != '\0')
        fail_msg("%s", slow.why);
    n = drain_feed(&reader, &cursor, seen, cap, n);
    harness_conn_close(&reader);

    /* Every change after `before`, exactly once, in order; the slow one among them. */
    long long expected = harness_db_int(
        fx.db, "SELECT count(*) FROM thidua.change_feed WHERE seq > %lld", before);
    assert_int_equal((long long)n, expected);
    assert_int_equal(n, RACE_WRITERS * RACE_BATCHES * RACE_BATCH + 1);
    for (size_t i = 1; i < n; i++)
        assert_true(seen[i] > seen[i - 1]);
    assert_int_equal(harness_db_int(fx.db,
                                    "SELECT count(*) FROM thidua.change_feed f"
                                    " WHERE f.record_id = '%08x-0000-4000-8000-000000000001'"
                                    "   AND f.seq > %lld",
                                    slow.tag, before),
                     1);
    free(seen);
}

static void feed_never_skips_with_racing_writers(void **state)
{
    (void)state;
    race_feed(fx.srv.port, fx.srv.port, 0x2000);
}

static void two_servers_one_database(void **state)
{
    (void)state;
    harness_server_t second = {0};
    harness_server_start(&second, &fx.pki, fx.db, NULL);

    /* Idempotency holds across servers: a retry through the other one is a DUPLICATE. */
    test_record_t recs[20];
    for (unsigned i = 0; i < 20; i++)
        make_record(&recs[i], 0x3001, i, "930", 1, 0);
    harness_conn_t a = {0}, b = {0};
    hello_port(&a, fx.srv.port, "930-district");
    hello_port(&b, second.port, "930-district");
    Thidua__V1__Envelope *e = push(&a, recs, 20);
    assert_all_acks(e, 20, THIDUA__V1__RECORD_ACK__STATUS__APPLIED);
    thidua__v1__envelope__free_unpacked(e, NULL);
    e = push(&b, recs, 20);
    assert_all_acks(e, 20, THIDUA__V1__RECORD_ACK__STATUS__DUPLICATE);
    thidua__v1__envelope__free_unpacked(e, NULL);
    harness_conn_close(&a);
    harness_conn_close(&b);

    /* The feed holds with writers on both servers and the reader on one. */
    race_feed(fx.srv.port, second.port, 0x2100);
    assert_int_equal(harness_server_stop(&second, SIGTERM), 0);
}

/* ---- PostgreSQL going away ---- */

static void read_env_value(const char *file, const char *key, char *out, size_t size)
{
    char *text = harness_read_file(file);
    size_t klen = strlen(key);
    out[0] = '\0';
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        if (strncmp(line, key, klen) == 0 && line[klen] == '=')
            snprintf(out, size, "%s", line + klen + 1);
    }
    free(text);
}

static void pgcluster(const char *cmd, const char *dir)
{
    char script[HARNESS_PATH_MAX];
    snprintf(script, sizeof(script), "%s/tests/integration/pgcluster", getenv("THIDUA_TEST_SRCDIR"));
    const char *argv[] = {script, cmd, dir, NULL};
    harness_output_t out;
    int rc = harness_run(argv, NULL, &out);
    if (rc != 0)
        fail_msg("pgcluster %s: %s", cmd, out.err);
    harness_output_free(&out);
}

static void database_down_then_back(void **state)
{
    (void)state;
    /* Its own cluster: stopping the shared one would disturb other tests. */
    char dir[HARNESS_PATH_MAX], env[HARNESS_PATH_MAX + 8];
    snprintf(dir, sizeof(dir), "/tmp/thidua-pgdown-%d", (int)getpid());
    pgcluster("start", dir);
    snprintf(env, sizeof(env), "%s/env", dir);
    char host[HARNESS_PATH_MAX], port[16], user[64], conninfo[HARNESS_CONNINFO_MAX];
    read_env_value(env, "PGHOST", host, sizeof(host));
    read_env_value(env, "PGPORT", port, sizeof(port));
    read_env_value(env, "PGUSER", user, sizeof(user));
    snprintf(conninfo, sizeof(conninfo), "host=%s port=%s user=%s dbname=postgres", host, port,
             user);

    harness_server_t srv = {0};
    harness_server_start(&srv, &fx.pki, conninfo, NULL);
    harness_conn_t c = {0};
    hello_port(&c, srv.port, "933-district");

    test_record_t recs[30];
    for (unsigned i = 0; i < 30; i++)
        make_record(&recs[i], 0x4001, i, "933", 1, 0);
    Thidua__V1__Envelope *e = push(&c, recs, 10);
    assert_all_acks(e, 10, THIDUA__V1__RECORD_ACK__STATUS__APPLIED);
    thidua__v1__envelope__free_unpacked(e, NULL);

    pgcluster("pause", dir);
    /* Pushes now fail with a retryable error; the server stays up and answers pings. */
    for (int attempt = 0; attempt < 3; attempt++) {
        e = push(&c, recs, 30);
        assert_int_equal(e->body_case, THIDUA__V1__ENVELOPE__BODY_ERROR);
        assert_int_equal(e->error->code, THIDUA__V1__ERROR__CODE__UNAVAILABLE);
        assert_true(e->error->retryable);
        thidua__v1__envelope__free_unpacked(e, NULL);
    }
    Thidua__V1__Ping ping = THIDUA__V1__PING__INIT;
    Thidua__V1__Envelope penv = THIDUA__V1__ENVELOPE__INIT;
    penv.request_id = 9;
    penv.body_case = THIDUA__V1__ENVELOPE__BODY_PING;
    penv.ping = &ping;
    harness_assert_io(&c, harness_conn_send_envelope(&c, &penv), HARNESS_IO_OK);
    harness_assert_io(&c, harness_conn_recv_envelope(&c, 5000, &e), HARNESS_IO_OK);
    assert_int_equal(e->body_case, THIDUA__V1__ENVELOPE__BODY_PONG);
    thidua__v1__envelope__free_unpacked(e, NULL);

    pgcluster("resume", dir);
    /* The same 30 again: the 10 stored before are DUPLICATE, the 20 others APPLIED. */
    for (int attempt = 0;; attempt++) {
        e = push(&c, recs, 30);
        if (e->body_case == THIDUA__V1__ENVELOPE__BODY_PUSH_RESPONSE)
            break;
        assert_true(e->error->retryable);
        thidua__v1__envelope__free_unpacked(e, NULL);
        assert_true(attempt < 60);
        usleep(500 * 1000); /* the pool reconnects with backoff */
    }
    for (size_t i = 0; i < 30; i++)
        assert_int_equal(e->push_response->acks[i]->status,
                         i < 10 ? THIDUA__V1__RECORD_ACK__STATUS__DUPLICATE
                                : THIDUA__V1__RECORD_ACK__STATUS__APPLIED);
    thidua__v1__envelope__free_unpacked(e, NULL);
    harness_conn_close(&c);
    assert_int_equal(harness_db_int(conninfo, "SELECT count(*) FROM thidua.record"), 30);
    assert_int_equal(harness_db_int(conninfo, "SELECT count(*) FROM thidua.record_revision"), 30);
    assert_int_equal(harness_server_stop(&srv, SIGTERM), 0);
    pgcluster("stop", dir);
}


/* ---- group commit (server/pushgroup.c) ---- */

enum { GROUP_CONNS = 8 };

/*
 * A server of its own whose groups wait long enough to hold every push the
 * test sends at once, logging each group; hello() then goes to it. Returns
 * the fixture's port, for after.
 */
static int group_server_start(harness_server_t *srv)
{
    harness_server_opts_t opts = {.log_level = "debug",
                                  .extra = "[database]\ngroup_wait = 400ms\n"};
    harness_server_start(srv, &fx.pki, fx.db, &opts);
    int saved = fx.srv.port;
    fx.srv.port = srv->port;
    return saved;
}

/* The unit that stored revision rev of record id, by the history. */
static long long revision_by(const char *id, int rev)
{
    return harness_db_int(fx.db,
                          "SELECT u.code::bigint FROM thidua.record_revision rr"
                          "  JOIN thidua.org_unit u ON u.id = rr.by_unit_id"
                          " WHERE rr.record_id = '%s' AND rr.revision = %d",
                          id, rev);
}

/*
 * Eight offices push at once into one group (a long group_wait makes it
 * certain): each gets exactly its own acks, judged with its own rights. A
 * record of unit 930 that 931 tries to change is refused to 931 alone, in
 * the same transaction that applies 930's own change to it; every revision's
 * history names the office that sent it; and the group was one.
 */
static void offices_share_a_group(void **state)
{
    (void)state;
    harness_server_t srv = {0};
    int saved = group_server_start(&srv);

    static test_record_t base;
    make_record(&base, 0x5001, 0, "930", 1, 0);
    harness_conn_t c[GROUP_CONNS] = {{0}};
    char cert[32];
    for (int i = 0; i < GROUP_CONNS; i++) {
        snprintf(cert, sizeof(cert), "93%d-district", i);
        hello(&c[i], cert);
    }
    Thidua__V1__Envelope *e = push(&c[0], &base, 1);
    assert_all_acks(e, 1, THIDUA__V1__RECORD_ACK__STATUS__APPLIED);
    thidua__v1__envelope__free_unpacked(e, NULL);

    /* Office 0 edits its record, office 1 tries to (under its own unit), the others add two
     * records each; office 7's second record repeats office 7's first id, so it is judged
     * against the first, stored a moment before in the same transaction. */
    static test_record_t recs[GROUP_CONNS][2];
    size_t n[GROUP_CONNS];
    for (int i = 0; i < GROUP_CONNS; i++) {
        char unit[8];
        snprintf(unit, sizeof(unit), "93%d", i);
        n[i] = i < 2 ? 1 : 2;
        for (size_t k = 0; k < n[i]; k++)
            make_record(&recs[i][k], 0x5002, (unsigned)(i * 10 + k), unit, 1, 0);
    }
    make_record(&recs[0][0], 0x5001, 0, "930", 2, 1);
    make_record(&recs[1][0], 0x5001, 0, "931", 2, 2);
    make_record(&recs[7][1], 0x5002, 70, "937", 2, 3);
    for (int i = 0; i < GROUP_CONNS; i++)
        push_send(&c[i], 100 + (uint64_t)i, recs[i], n[i]);

    for (int i = 0; i < GROUP_CONNS; i++) {
        e = push_recv(&c[i], 100 + (uint64_t)i);
        if (i == 1) {
            assert_int_equal(e->body_case, THIDUA__V1__ENVELOPE__BODY_PUSH_RESPONSE);
            assert_int_equal(e->push_response->n_acks, 1);
            assert_int_equal(e->push_response->acks[0]->status,
                             THIDUA__V1__RECORD_ACK__STATUS__PERMISSION_DENIED);
        } else {
            assert_all_acks(e, n[i], THIDUA__V1__RECORD_ACK__STATUS__APPLIED);
            for (size_t k = 0; k < n[i]; k++) {
                const Thidua__V1__RecordAck *a = e->push_response->acks[k];
                assert_string_equal(a->id, recs[i][k].id);
                assert_int_equal(a->revision, recs[i][k].rec.revision);
                assert_true(a->change_seq > 0);
            }
        }
        thidua__v1__envelope__free_unpacked(e, NULL);
    }
    assert_true(harness_server_log_contains(&srv, "event=push_group pushes=8"));
    assert_int_equal(revision_by(base.id, 2), 930);
    for (int i = 2; i < GROUP_CONNS; i++)
        assert_int_equal(revision_by(recs[i][0].id, 1), 930 + i);
    assert_int_equal(revision_by(recs[7][1].id, 2), 937);
    assert_int_equal(harness_db_int(fx.db, "SELECT revision FROM thidua.record WHERE id = '%s'",
                                    base.id),
                     2);

    for (int i = 0; i < GROUP_CONNS; i++)
        harness_conn_close(&c[i]);
    fx.srv.port = saved;
    harness_server_stop(&srv, SIGTERM);
}

/*
 * A group whose call fails as a whole (here: a trigger that refuses one
 * office's record with an error, as a broken constraint would) is rolled
 * back and sent again push by push: the error reaches that office's push
 * alone, and every other office's records are stored and acked.
 */
static void a_failing_push_spoils_only_itself(void **state)
{
    (void)state;
    harness_db_exec(fx.db,
                    "CREATE FUNCTION pg_temp_refuse() RETURNS trigger LANGUAGE plpgsql AS $$"
                    " BEGIN IF NEW.title LIKE '%%refuse me%%' THEN"
                    "  RAISE EXCEPTION 'refused by a test trigger'; END IF; RETURN NEW; END $$;"
                    "CREATE TRIGGER test_refuse BEFORE INSERT ON thidua.record"
                    " FOR EACH ROW EXECUTE FUNCTION pg_temp_refuse();");
    harness_server_t srv = {0};
    int saved = group_server_start(&srv);
    harness_conn_t c[GROUP_CONNS] = {{0}};
    static test_record_t recs[GROUP_CONNS];
    char cert[32], unit[8];
    for (int i = 0; i < GROUP_CONNS; i++) {
        snprintf(cert, sizeof(cert), "93%d-district", i);
        snprintf(unit, sizeof(unit), "93%d", i);
        hello(&c[i], cert);
        make_record(&recs[i], 0x5003, (unsigned)i, unit, 1, 0);
    }
    recs[3].rec.title = "Thành tích, refuse me";
    for (int i = 0; i < GROUP_CONNS; i++)
        push_send(&c[i], 200 + (uint64_t)i, &recs[i], 1);
    for (int i = 0; i < GROUP_CONNS; i++) {
        Thidua__V1__Envelope *e = push_recv(&c[i], 200 + (uint64_t)i);
        if (i == 3) {
            assert_int_equal(e->body_case, THIDUA__V1__ENVELOPE__BODY_ERROR);
            assert_int_equal(e->error->code, THIDUA__V1__ERROR__CODE__INTERNAL);
        } else {
            assert_all_acks(e, 1, THIDUA__V1__RECORD_ACK__STATUS__APPLIED);
        }
        thidua__v1__envelope__free_unpacked(e, NULL);
    }
    assert_true(harness_server_log_contains(&srv, "event=push_group_split pushes=8"));
    assert_int_equal(harness_db_int(fx.db, "SELECT count(*) FROM thidua.record"
                                           " WHERE id::text LIKE '00005003-%%'"),
                     GROUP_CONNS - 1);
    for (int i = 0; i < GROUP_CONNS; i++)
        harness_conn_close(&c[i]);
    fx.srv.port = saved;
    harness_server_stop(&srv, SIGTERM);
    harness_db_exec(fx.db, "DROP TRIGGER test_refuse ON thidua.record;"
                           "DROP FUNCTION pg_temp_refuse();");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_batch_twice_is_stored_once),
        cmocka_unit_test(stale_conflict_and_other_units),
        cmocka_unit_test(bad_records_do_not_spoil_the_batch),
        cmocka_unit_test(field_limits_at_and_over),
        cmocka_unit_test(feed_never_skips_with_racing_writers),
        cmocka_unit_test(two_servers_one_database),
        cmocka_unit_test(database_down_then_back),
        cmocka_unit_test(offices_share_a_group),
        cmocka_unit_test(a_failing_push_spoils_only_itself),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
