/*
 * test_pull_limits.c - what bounds a pull, and how offices share the
 * database, through the real thiduad and PostgreSQL (docs/protocol.md,
 * "Pull"; docs/operations.md, "How offices share the database"):
 *
 * - a cursor above 2^63 - 1 is INVALID_ARGUMENT naming "cursor", not an
 *   UNAVAILABLE the client would retry forever, and the connection goes on;
 * - a pull of records at their field limits, however many changes it asks
 *   for, is answered with a page that fits in a frame; following next_cursor
 *   gives every change exactly once; thidua.pull() itself stops at the byte
 *   budget it is given, so the server never reads a page it does not send;
 * - 64 pipelined pulls of those records: the server's peak memory, printed
 *   (and bounded, except under the sanitizers, which keep freed memory);
 * - one office flooding the pool from several connections does not hold
 *   back another office's one request, and the log and /metrics show the cap.
 *
 * The server has a pool of 2 connections, so a certificate's cap is 2 jobs.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "fields.h"
#include "harness.h"

#define MAX_FRAME (4u * 1024 * 1024)
/* Records at their limits, of unit 931: 1,000 of them are some 64 MB, fifteen frames. */
#define BIG_RECORDS 1000
#define BIG_BATCH 40
/* The flood: one office, FLOOD_CONNS connections, FLOOD_PUSHES pushes pipelined on each. */
#define FLOOD_CONNS 8
#define FLOOD_PUSHES 25
#define FLOOD_BATCH 10

static struct {
    harness_pki_t pki;
    char db[HARNESS_CONNINFO_MAX];
    harness_server_t srv;
    int metrics_port;
} fx;

/* A server with a pool of 2 and its metrics endpoint; a fresh process each time. */
static void start_server(void)
{
    if (fx.srv.pid > 0)
        assert_int_equal(harness_server_stop(&fx.srv, SIGTERM), 0);
    /* Groups of at most 50 records: the flood below is forty of them, not two. */
    harness_server_opts_t opts = {
        .pool_size = "2",
        .extra = "[metrics]\nlisten = 127.0.0.1:0\n[database]\ngroup_max_records = 50\n"};
    harness_server_start(&fx.srv, &fx.pki, fx.db, &opts);
    if (!harness_server_wait_log(&fx.srv, "event=metrics_listening", 10000))
        fail_msg("no event=metrics_listening in %s", fx.srv.log);
    char *log = harness_read_file(fx.srv.log);
    const char *port = strstr(strstr(log, "event=metrics_listening"), " port=");
    assert_non_null(port);
    fx.metrics_port = atoi(port + 6);
    free(log);
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

/* ---- records ---- */

typedef struct {
    Thidua__V1__Record rec;
    char id[37];
    char unit[8];
} test_record_t;

/* n times "ệ" (three bytes): limits count characters, a frame counts bytes. */
static char *long_text(size_t n)
{
    char *s = malloc(3 * n + 1);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        memcpy(s + 3 * i, "\xe1\xbb\x87", 3);
    s[3 * n] = '\0';
    return s;
}

/* The long texts every big record shares (each at its field's limit). */
static struct {
    char *name, *position, *workplace, *title, *summary;
} big;

static void big_texts(void)
{
    if (big.summary != NULL)
        return;
    big.name = long_text(FIELD_MAX(nominee_name));
    big.position = long_text(FIELD_MAX(position));
    big.workplace = long_text(FIELD_MAX(workplace));
    big.title = long_text(FIELD_MAX(title));
    big.summary = long_text(FIELD_MAX(summary));
}

static void make_record(test_record_t *t, unsigned tag, unsigned n, const char *unit)
{
    thidua__v1__record__init(&t->rec);
    snprintf(t->id, sizeof(t->id), "%08x-0000-4000-8000-%012x", tag, n);
    snprintf(t->unit, sizeof(t->unit), "%s", unit);
    t->rec.id = t->id;
    t->rec.campaign = "HG-DB-2025";
    t->rec.org_unit = t->unit;
    t->rec.nominee_kind = "individual";
    t->rec.nominee_name = "Nguyễn Văn An";
    t->rec.birth_date = "1980-05-17";
    t->rec.gender = "male";
    t->rec.title = "Hoàn thành xuất sắc nhiệm vụ";
    t->rec.summary = "Hoàn thành xuất sắc nhiệm vụ năm 2024.";
    t->rec.category = "KT_XH";
    t->rec.achieved_on = "2024-10-01";
    t->rec.proposed_award = "BK_UBND_TINH";
    t->rec.revision = 1;
}

static void make_big_record(test_record_t *t, unsigned tag, unsigned n, const char *unit)
{
    big_texts();
    make_record(t, tag, n, unit);
    t->rec.nominee_name = big.name;
    t->rec.position = big.position;
    t->rec.workplace = big.workplace;
    t->rec.title = big.title;
    t->rec.summary = big.summary;
}

/* The n of a record id made by make_record. */
static unsigned record_number(const char *id)
{
    return (unsigned)strtoul(id + 24, NULL, 16);
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

static void send_push(harness_conn_t *c, uint64_t request_id, test_record_t *recs, size_t n)
{
    Thidua__V1__Record *ptrs[BIG_BATCH > FLOOD_BATCH ? BIG_BATCH : FLOOD_BATCH];
    assert_true(n <= THIDUA_ARRAY_LEN(ptrs));
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &recs[i].rec;
    Thidua__V1__PushRequest req = THIDUA__V1__PUSH_REQUEST__INIT;
    req.n_records = n;
    req.records = ptrs;
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    env.request_id = request_id;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_PUSH_REQUEST;
    env.push_request = &req;
    harness_assert_io(c, harness_conn_send_envelope(c, &env), HARNESS_IO_OK);
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

/* Push n records of unit's certificate in batches, all APPLIED. */
static void push_all(harness_conn_t *c, test_record_t *recs, size_t n, size_t batch)
{
    for (size_t i = 0; i < n; i += batch) {
        size_t k = n - i < batch ? n - i : batch;
        send_push(c, 100 + i, &recs[i], k);
        Thidua__V1__Envelope *e = recv_reply(c);
        if (e->body_case == THIDUA__V1__ENVELOPE__BODY_ERROR)
            fail_msg("push answered Error %d: %s", e->error->code, e->error->message);
        assert_int_equal(e->push_response->n_acks, k);
        for (size_t j = 0; j < k; j++) {
            const Thidua__V1__RecordAck *a = e->push_response->acks[j];
            if (a->status != THIDUA__V1__RECORD_ACK__STATUS__APPLIED)
                fail_msg("record %zu: status %d (%s: %s)", i + j, a->status, a->field, a->message);
        }
        thidua__v1__envelope__free_unpacked(e, NULL);
    }
}

/* ---- the server process ---- */

/* A line of /proc/PID/status in kB ("VmHWM", "VmRSS"). */
static long proc_kb(pid_t pid, const char *key)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    long kb = -1;
    size_t n = strlen(key);
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, key, n) == 0 && line[n] == ':')
            kb = strtol(line + n + 1, NULL, 10);
    }
    fclose(f);
    assert_true(kb >= 0);
    return kb;
}

/* Start the peak over from the current size (proc(5), clear_refs "5"). */
static void reset_peak(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/clear_refs", (int)pid);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("5", f);
    assert_int_equal(fclose(f), 0);
}

/* GET /metrics, whole (HTTP/1.0: the server closes after the answer). */
static char *scrape(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)fx.metrics_port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    const char req[] = "GET /metrics HTTP/1.0\r\n\r\n";
    assert_int_equal(write(fd, req, sizeof(req) - 1), (ssize_t)(sizeof(req) - 1));
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (ssize_t got; (got = read(fd, buf + len, cap - 1 - len)) > 0;) {
        len += (size_t)got;
        if (len + 1 == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    close(fd);
    buf[len] = '\0';
    return buf;
}

/* The value of a series in a scrape; fails when it is absent. */
static double metric(const char *text, const char *series)
{
    char want[160];
    snprintf(want, sizeof(want), "\n%s ", series);
    const char *p = strstr(text, want);
    if (p == NULL)
        fail_msg("no series %s in:\n%s", series, text);
    return strtod(p + strlen(want), NULL);
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

static test_record_t big_recs[BIG_RECORDS];

static void push_big_records(void)
{
    static bool done;
    if (done)
        return;
    for (unsigned i = 0; i < BIG_RECORDS; i++)
        make_big_record(&big_recs[i], 0x2001, i, "931");
    harness_conn_t c = {0};
    hello(&c, "931-district");
    push_all(&c, big_recs, BIG_RECORDS, BIG_BATCH);
    harness_conn_close(&c);
    done = true;
}

/* Follow next_cursor from 0: every big record once, each page within a frame. */
static size_t walk_big_feed(harness_conn_t *c, size_t *first_page)
{
    static unsigned char seen[BIG_RECORDS];
    memset(seen, 0, sizeof(seen));
    uint64_t cursor = 0, last_seq = 0;
    size_t pages = 0, changes = 0;
    for (bool more = true; more; pages++) {
        Thidua__V1__Envelope *e = pull(c, cursor, 1000);
        const Thidua__V1__PullResponse *p = pull_page(e);
        assert_true(thidua__v1__envelope__get_packed_size(e) <= MAX_FRAME);
        assert_true(p->n_changes >= 1 && p->n_changes < 1000);
        if (pages == 0) {
            assert_true(p->has_more);
            *first_page = p->n_changes;
        }
        for (size_t i = 0; i < p->n_changes; i++) {
            const Thidua__V1__Change *ch = p->changes[i];
            assert_true(ch->change_seq > last_seq);
            last_seq = ch->change_seq;
            unsigned n = record_number(ch->record->id);
            assert_true(n < BIG_RECORDS);
            if (seen[n]++)
                fail_msg("record %u came twice (change %" PRIu64 ")", n, ch->change_seq);
            assert_string_equal(ch->record->summary, big.summary);
        }
        changes += p->n_changes;
        assert_int_equal(p->next_cursor, last_seq);
        cursor = p->next_cursor;
        more = p->has_more;
        thidua__v1__envelope__free_unpacked(e, NULL);
    }
    assert_int_equal(changes, BIG_RECORDS);
    return pages;
}

/* The SQL bound itself: rows, their texts' bytes and has_more for one budget. */
typedef struct {
    long long rows, bytes, largest;
    bool more;
} sql_page_t;

#define TEXT_BYTES                                                                                 \
    "octet_length(nominee_name) + octet_length(position) + octet_length(workplace)"                \
    " + octet_length(title) + octet_length(summary)"

static sql_page_t sql_page(long long unit, const char *budget)
{
    sql_page_t p;
    char more[8];
    p.rows =
        harness_db_int(fx.db, "SELECT count(*) FROM thidua.pull(%lld, 0, 1000, %s)", unit, budget);
    p.bytes = harness_db_int(fx.db,
                             "SELECT coalesce(sum(" TEXT_BYTES "), 0) FROM thidua.pull(%lld, 0,"
                             " 1000, %s)",
                             unit, budget);
    p.largest = harness_db_int(fx.db,
                               "SELECT coalesce(max(" TEXT_BYTES "), 0) FROM thidua.pull(%lld, 0,"
                               " 1000, %s)",
                               unit, budget);
    harness_db_text(fx.db, more, sizeof(more),
                    "SELECT coalesce(bool_and(has_more)::text, 'none') FROM thidua.pull(%lld, 0,"
                    " 1000, %s)",
                    unit, budget);
    p.more = strcmp(more, "true") == 0;
    return p;
}

/* #9 (a): a page is bounded by bytes, in SQL, and the feed is whole. */
static void big_records_page_by_bytes(void **state)
{
    (void)state;
    push_big_records();
    harness_conn_t c = {0};
    hello(&c, "931-district");
    size_t first = 0;
    size_t pages = walk_big_feed(&c, &first);
    printf("# %d records of about %zu kB: %zu pages, the first of %zu changes\n", BIG_RECORDS,
           strlen(big.summary) / 1024, pages, first);
    assert_true(pages >= BIG_RECORDS / first);
    harness_conn_close(&c);

    long long unit = harness_db_int(fx.db, "SELECT id FROM thidua.org_unit WHERE code = '931'");
    /* The server's page is the database's page: thiduad's own cut did not have to act. */
    char budget[32];
    snprintf(budget, sizeof(budget), "%u", MAX_FRAME / 2);
    assert_int_equal(sql_page(unit, budget).rows, (long long)first);
    assert_false(harness_server_log_contains(&fx.srv, "event=pull_page_cut"));

    /* A small budget: fewer rows than the limit, within the budget and one row. */
    const long long small = 300000;
    sql_page_t p = sql_page(unit, "300000");
    printf("# thidua.pull(..., 1000, %lld): %lld rows, %lld bytes of text\n", small, p.rows,
           p.bytes);
    assert_true(p.rows >= 2 && p.rows < 1000);
    assert_true(p.bytes <= small + p.largest);
    assert_true(p.more);
    /* A budget smaller than any row still gives one change, and says more follow. */
    p = sql_page(unit, "1");
    assert_int_equal(p.rows, 1);
    assert_true(p.more);
    /* No budget: the limit alone. */
    p = sql_page(unit, "NULL");
    assert_int_equal(p.rows, BIG_RECORDS);
    assert_false(p.more);
}

/*
 * #9: the server's peak memory while 64 pulls of big records are pipelined,
 * from a fresh process (memory freed earlier would hide the growth).
 */
static void pipelined_pulls_memory(void **state)
{
    (void)state;
    push_big_records();
    start_server();
    harness_conn_t c = {0};
    hello(&c, "931-district");
    reset_peak(fx.srv.pid);
    long before = proc_kb(fx.srv.pid, "VmRSS");
    enum { PULLS = 64 };
    for (uint64_t i = 0; i < PULLS; i++)
        send_pull(&c, 1000 + i, 0, 1000);
    for (uint64_t i = 0; i < PULLS; i++) {
        Thidua__V1__Envelope *e = recv_reply(&c);
        assert_int_equal(e->request_id, 1000 + i);
        assert_true(pull_page(e)->has_more);
        thidua__v1__envelope__free_unpacked(e, NULL);
    }
    long peak = proc_kb(fx.srv.pid, "VmHWM");
    printf("# %d pipelined pulls of %d big records: server VmRSS %ld kB before, VmHWM %ld kB\n",
           PULLS, BIG_RECORDS, before, peak);
    harness_conn_close(&c);
#if !defined(__SANITIZE_ADDRESS__)
    /* Pages of 2 MB, two in the database at once: far below the 60 MB pages of before. */
    assert_true(peak - before < 128 * 1024);
#endif
}

/* The records of the flood, for one office: FLOOD_CONNS x FLOOD_PUSHES batches. */
static test_record_t flood_recs[FLOOD_CONNS][FLOOD_PUSHES][FLOOD_BATCH];

/* #9 (b): one office's flood does not hold back another office's request. */
static void flood_does_not_starve_another_office(void **state)
{
    (void)state;
    static harness_conn_t a[FLOOD_CONNS];
    memset(a, 0, sizeof(a));
    char *summary = long_text(2000);
    for (unsigned k = 0; k < FLOOD_CONNS; k++) {
        hello(&a[k], "932-district");
        for (unsigned i = 0; i < FLOOD_PUSHES; i++) {
            for (unsigned j = 0; j < FLOOD_BATCH; j++) {
                test_record_t *t = &flood_recs[k][i][j];
                make_record(t, 0x3001, (k * FLOOD_PUSHES + i) * FLOOD_BATCH + j, "932");
                t->rec.summary = summary;
            }
        }
    }
    /* Office A (one certificate) pipelines every push on all its connections. */
    for (unsigned k = 0; k < FLOOD_CONNS; k++) {
        for (unsigned i = 0; i < FLOOD_PUSHES; i++)
            send_push(&a[k], 10 + i, flood_recs[k][i], FLOOD_BATCH);
    }
    /* Its pushes beyond its share of a group wait for the next: the server says so once. */
    assert_true(harness_server_wait_log(&fx.srv, "event=push_group_capped cap=2", 30000));
    char *m = scrape();
    assert_true(metric(m, "thidua_db_pool_jobs_per_certificate_max") == 2);
    assert_true(metric(m, "thidua_push_group_capped_total") > 0);
    free(m);

    /* Office B asks once, then pushes once; when it has each answer, count what of A is
     * stored. Its push goes in the next group, whatever A has waiting. */
    harness_conn_t b = {0};
    hello(&b, "933-district");
    Thidua__V1__Envelope *e = pull(&b, 0, 1000);
    pull_page(e);
    long long stored_at_b = harness_db_int(
        fx.db, "SELECT count(*) FROM thidua.record WHERE id::text LIKE '00003001-%%'");
    thidua__v1__envelope__free_unpacked(e, NULL);
    static test_record_t b_rec;
    make_record(&b_rec, 0x3002, 0, "933");
    send_push(&b, 7, &b_rec, 1);
    e = recv_reply(&b);
    assert_int_equal(e->body_case, THIDUA__V1__ENVELOPE__BODY_PUSH_RESPONSE);
    assert_int_equal(e->push_response->acks[0]->status,
                     THIDUA__V1__RECORD_ACK__STATUS__APPLIED);
    long long stored_at_b_push = harness_db_int(
        fx.db, "SELECT count(*) FROM thidua.record WHERE id::text LIKE '00003001-%%'");
    thidua__v1__envelope__free_unpacked(e, NULL);
    harness_conn_close(&b);

    /* Then A's answers, in order on each connection: acks, or busy and retryable. */
    size_t applied = 0, busy = 0;
    for (unsigned k = 0; k < FLOOD_CONNS; k++) {
        for (unsigned i = 0; i < FLOOD_PUSHES; i++) {
            e = recv_reply(&a[k]);
            assert_int_equal(e->request_id, 10 + i);
            if (e->body_case == THIDUA__V1__ENVELOPE__BODY_ERROR) {
                assert_int_equal(e->error->code, THIDUA__V1__ERROR__CODE__UNAVAILABLE);
                assert_true(e->error->retryable);
                busy++;
            } else {
                applied++;
            }
            thidua__v1__envelope__free_unpacked(e, NULL);
        }
        harness_conn_close(&a[k]);
    }
    long long stored = harness_db_int(
        fx.db, "SELECT count(*) FROM thidua.record WHERE id::text LIKE '00003001-%%'");
    printf("# flood of %d pushes: %zu applied, %zu busy; %lld and %lld of %lld records stored "
           "when the other office had its pull and its push answered\n",
           FLOOD_CONNS * FLOOD_PUSHES, applied, busy, stored_at_b, stored_at_b_push, stored);
    assert_int_equal(stored, (long long)applied * FLOOD_BATCH);
    assert_true(applied >= FLOOD_CONNS * FLOOD_PUSHES / 2);
    /* B was answered while most of A's backlog was still to be done. */
    assert_true(stored_at_b < stored / 2);
    /* Its push went in the next group: it did not wait for the flood that was left when it
     * came (in arrival order, it would have waited for all of it). */
    assert_true(stored_at_b_push - stored_at_b < (stored - stored_at_b) / 2);
    free(summary);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cursor_above_int64_is_invalid_argument),
        cmocka_unit_test(big_records_page_by_bytes),
        cmocka_unit_test(pipelined_pulls_memory),
        cmocka_unit_test(flood_does_not_starve_another_office),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
