/*
 * test_sql.c - the PostgreSQL side against a real cluster: migrations (fresh,
 * re-run, changed checksum, concurrent starts), the seed, push semantics
 * (also for a batch that names an id twice, every result in one batch, a
 * record created by a concurrent push, overlapping batches from several
 * writers) and the change feed, including writers racing a reader that must
 * see every change exactly once, in order, and pulls by callers with few and
 * with many units.
 *
 * The cluster comes from the CTest fixture (THIDUA_TEST_PGDIR/env); the test
 * creates its own databases under random names and drops them at the end.
 * Blocking libpq is fine here. Threads never call cmocka: they record what
 * went wrong and the main thread asserts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "migrate.h"

/* ------------------------------------------------------------------------ */
/* The cluster and the test's databases */

typedef struct tdb {
    char base[1600];     /* host= port= user= of the cluster */
    char name[64];       /* the test's main database */
    char conninfo[1700]; /* base + dbname=name */
    PGconn *conn;        /* owned: the main thread's connection to it */
    long long prov;      /* unit ids resolved from the seed */
    long long d930;
    long long d934;
    long long d935;
    long long d936;
} tdb_t;

static tdb_t g_db;
static unsigned g_nonce;
static atomic_uint g_next_id;

static void read_env(char *out, size_t outlen)
{
    const char *dir = getenv("THIDUA_TEST_PGDIR");
    assert_non_null(dir);
    char path[512];
    snprintf(path, sizeof(path), "%s/env", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[512];
    char host[512] = "", port[512] = "", user[512] = "";
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "PGHOST=", 7) == 0)
            snprintf(host, sizeof(host), "%s", line + 7);
        else if (strncmp(line, "PGPORT=", 7) == 0)
            snprintf(port, sizeof(port), "%s", line + 7);
        else if (strncmp(line, "PGUSER=", 7) == 0)
            snprintf(user, sizeof(user), "%s", line + 7);
    }
    fclose(f);
    snprintf(out, outlen, "host=%s port=%s user=%s", host, port, user);
}

static PGconn *connect_to(const char *conninfo)
{
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "connect: %s", PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    return c;
}

/* Run a statement on the maintenance database (CREATE/DROP DATABASE). */
static void admin_exec(const char *sql)
{
    char ci[1700];
    snprintf(ci, sizeof(ci), "%s dbname=postgres", g_db.base);
    PGconn *c = connect_to(ci);
    assert_non_null(c);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    PQfinish(c);
}

static void db_create(const char *name)
{
    char sql[160];
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    admin_exec(sql);
}

static void db_drop(const char *name)
{
    char sql[160];
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
    admin_exec(sql);
}

/* One value of a one-row query, as text into out; asserts success. */
static void query1(PGconn *c, const char *sql, char *out, size_t outlen)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_int_equal(PQntuples(r), 1);
    snprintf(out, outlen, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
}

static long long query_ll(PGconn *c, const char *sql)
{
    char v[64];
    query1(c, sql, v, sizeof(v));
    return atoll(v);
}

static int group_setup(void **state)
{
    (void)state;
    read_env(g_db.base, sizeof(g_db.base));
    g_nonce = (unsigned)time(NULL) ^ ((unsigned)getpid() << 16);
    srand(g_nonce);
    snprintf(g_db.name, sizeof(g_db.name), "thidua_test_sql_%08x", g_nonce);
    db_create(g_db.name);
    snprintf(g_db.conninfo, sizeof(g_db.conninfo), "%s dbname=%s", g_db.base, g_db.name);
    g_db.conn = connect_to(g_db.conninfo);
    return g_db.conn != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    PQfinish(g_db.conn);
    db_drop(g_db.name);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Records and push/pull through the SQL functions */

typedef struct trec {
    char id[40];
    const char *campaign;
    const char *org_unit;
    const char *kind;
    const char *name;
    const char *birth_date;
    const char *gender;
    const char *title;
    const char *summary;
    const char *category;
    const char *achieved_on;
    const char *award;
    int revision;
    char hash[65];
    int withdrawn;
    const char *raw; /* when set, the element is this JSON text instead */
} trec_t;

typedef struct tack {
    char result[24];
    long long change_seq; /* 0 when NULL */
    char field[40];
    char status[16];
    int stored_revision;
    char message[200];
} tack_t;

/* Growing text buffer; owns data. */
typedef struct tbuf {
    char *data;
    size_t len;
    size_t cap;
} tbuf_t;

static void tbuf_add(tbuf_t *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (d == NULL)
            abort();
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void tbuf_str(tbuf_t *b, const char *s)
{
    tbuf_add(b, s, strlen(s));
}

static void tbuf_json(tbuf_t *b, const char *key, const char *value)
{
    char tmp[8];
    tbuf_str(b, "\"");
    tbuf_str(b, key);
    tbuf_str(b, "\":\"");
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if (*p == '"' || *p == '\\') {
            tmp[0] = '\\';
            tmp[1] = (char)*p;
            tbuf_add(b, tmp, 2);
        } else if (*p < 0x20) {
            snprintf(tmp, sizeof(tmp), "\\u%04x", *p);
            tbuf_str(b, tmp);
        } else {
            tbuf_add(b, (const char *)p, 1);
        }
    }
    tbuf_str(b, "\",");
}

/* A content hash that differs with variant: the SQL never computes hashes. */
static void trec_hash(trec_t *r, unsigned variant)
{
    for (int i = 0; i < 8; i++)
        snprintf(r->hash + 8 * i, 9, "%08x", variant * 2654435761u + (unsigned)i);
}

static void trec_init(trec_t *r, const char *unit)
{
    memset(r, 0, sizeof(*r));
    unsigned n = atomic_fetch_add(&g_next_id, 1);
    snprintf(r->id, sizeof(r->id), "%08x-%04x-4000-8000-%012x", g_nonce, n >> 16, n);
    r->campaign = "HG-DB-2025";
    r->org_unit = unit;
    r->kind = "individual";
    r->name = "Nguyễn Thị Thuỷ";
    r->birth_date = "1985-03-12";
    r->gender = "female";
    r->title = "Hoàn thành xuất sắc nhiệm vụ";
    r->summary = "Dòng một.\nDòng hai.";
    r->category = "KT_XH";
    r->achieved_on = "2024-09-02";
    r->award = "GIAY_KHEN";
    r->revision = 1;
    trec_hash(r, n * 31u + 1u);
}

static void records_json(tbuf_t *b, const trec_t *recs, size_t n)
{
    char num[32];
    tbuf_str(b, "[");
    for (size_t i = 0; i < n; i++) {
        const trec_t *r = &recs[i];
        if (r->raw != NULL) {
            tbuf_str(b, i ? "," : "");
            tbuf_str(b, r->raw);
            continue;
        }
        tbuf_str(b, i ? ",{" : "{");
        tbuf_json(b, "id", r->id);
        tbuf_json(b, "campaign", r->campaign);
        tbuf_json(b, "org_unit", r->org_unit);
        tbuf_json(b, "nominee_kind", r->kind);
        tbuf_json(b, "nominee_name", r->name);
        tbuf_json(b, "birth_date", r->birth_date);
        tbuf_json(b, "gender", r->gender);
        tbuf_json(b, "position", "");
        tbuf_json(b, "workplace", "");
        tbuf_json(b, "title", r->title);
        tbuf_json(b, "summary", r->summary);
        tbuf_json(b, "category", r->category);
        tbuf_json(b, "achieved_on", r->achieved_on);
        tbuf_json(b, "proposed_award", r->award);
        tbuf_json(b, "content_hash", r->hash);
        tbuf_str(b, r->withdrawn ? "\"withdrawn\":true," : "\"withdrawn\":false,");
        snprintf(num, sizeof(num), "\"revision\":%d}", r->revision);
        tbuf_str(b, num);
    }
    tbuf_str(b, "]");
}

#define TEST_CERT                                                                                  \
    "\\x"                                                                                          \
    "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00"

#define PUSH_SQL                                                                                   \
    "SELECT ord, result, change_seq, field, record_status, stored_revision, message "              \
    "FROM thidua.push($1::bigint, $2::bytea, $3::jsonb)"

/*
 * The acks of a push's result into acks (n of them, in input order).
 * Returns the number of rows, or -1 when the push failed or the rows are not
 * in input order (PostgreSQL's message on stderr). Safe in threads.
 */
static int acks_from(PGconn *c, PGresult *r, size_t n, tack_t *acks)
{
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "push: %s", PQerrorMessage(c));
        return -1;
    }
    int rows = PQntuples(r);
    for (int i = 0; i < rows && (size_t)i < n; i++) {
        tack_t *a = &acks[i];
        memset(a, 0, sizeof(*a));
        if (atoi(PQgetvalue(r, i, 0)) != i + 1)
            return -1;
        snprintf(a->result, sizeof(a->result), "%s", PQgetvalue(r, i, 1));
        a->change_seq = PQgetisnull(r, i, 2) ? 0 : atoll(PQgetvalue(r, i, 2));
        snprintf(a->field, sizeof(a->field), "%s", PQgetvalue(r, i, 3));
        snprintf(a->status, sizeof(a->status), "%s", PQgetvalue(r, i, 4));
        a->stored_revision = PQgetisnull(r, i, 5) ? 0 : atoi(PQgetvalue(r, i, 5));
        snprintf(a->message, sizeof(a->message), "%s", PQgetvalue(r, i, 6));
    }
    return rows;
}

/*
 * What thiduad does once a push committed (server/push.c, push_number):
 * number the pending changes and give each APPLIED or DUPLICATE ack without
 * a position the position of its revision (sql/014_feed_deferred.sql).
 * 0, or -1 with PostgreSQL's message on stderr. Safe in threads.
 */
static bool uuid_text(const char *s)
{
    size_t n = strlen(s);
    return n == 36 && strspn(s, "0123456789abcdef-") == n;
}

static int number_acks(PGconn *c, const trec_t *recs, size_t n, tack_t *acks)
{
    tbuf_t ids = {0}, revs = {0};
    tbuf_str(&ids, "{");
    tbuf_str(&revs, "{");
    for (size_t i = 0; i < n; i++) {
        char rev[16];
        snprintf(rev, sizeof(rev), "%s%d", i ? "," : "", recs[i].revision);
        tbuf_str(&ids, i ? "," : "");
        tbuf_str(&ids, uuid_text(recs[i].id) ? recs[i].id : "00000000-0000-0000-0000-000000000000");
        tbuf_str(&revs, rev);
    }
    tbuf_str(&ids, "}");
    tbuf_str(&revs, "}");
    const char *params[2] = {ids.data, revs.data};
    PGresult *r = PQexecParams(c, "SELECT ord, seq FROM thidua.feed_positions($1::uuid[], $2::integer[])",
                               2, NULL, params, NULL, NULL, 0);
    free(ids.data);
    free(revs.data);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "feed_positions: %s", PQerrorMessage(c));
        PQclear(r);
        return -1;
    }
    for (int i = 0; i < PQntuples(r) && (size_t)i < n; i++) {
        tack_t *a = &acks[i];
        if (a->change_seq == 0 && !PQgetisnull(r, i, 1) &&
            (strcmp(a->result, "APPLIED") == 0 || strcmp(a->result, "DUPLICATE") == 0))
            a->change_seq = atoll(PQgetvalue(r, i, 1));
    }
    PQclear(r);
    return 0;
}

/*
 * Push n records as caller, then number them as thiduad does; acks (n of
 * them) filled in input order. Returns
 * the number of acks, or -1 with PostgreSQL's message on stderr. Safe in
 * threads (no cmocka).
 */
static int push_raw(PGconn *c, long long caller, const trec_t *recs, size_t n, tack_t *acks)
{
    tbuf_t b = {0};
    records_json(&b, recs, n);
    char callers[32];
    snprintf(callers, sizeof(callers), "%lld", caller);
    const char *params[3] = {callers, TEST_CERT, b.data};
    PGresult *r = PQexecParams(c, PUSH_SQL, 3, NULL, params, NULL, NULL, 0);
    free(b.data);
    int rows = acks_from(c, r, n, acks);
    PQclear(r);
    if (rows >= 0 && PQtransactionStatus(c) == PQTRANS_IDLE && number_acks(c, recs, n, acks) != 0)
        return -1;
    return rows;
}

static void push(long long caller, const trec_t *recs, size_t n, tack_t *acks)
{
    assert_int_equal(push_raw(g_db.conn, caller, recs, n, acks), (int)n);
}

/*
 * Pull from cursor: seqs (and the records' statuses, may be NULL) of the
 * page; returns the row count or -1. Thread-safe.
 */
static int pull_raw(PGconn *c, long long caller, long long cursor, int limit, long long *seqs,
                    char (*kinds)[16], int *has_more)
{
    char a[32], b[32], l[16];
    snprintf(a, sizeof(a), "%lld", caller);
    snprintf(b, sizeof(b), "%lld", cursor);
    snprintf(l, sizeof(l), "%d", limit);
    const char *params[3] = {a, b, l};
    /* As thiduad's pull job: number what committed pushes left pending first. */
    PGresult *r = PQexec(c, "SELECT thidua.feed_sequence(false)");
    int numbered = PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    if (!numbered) {
        fprintf(stderr, "feed_sequence: %s", PQerrorMessage(c));
        return -1;
    }
    r = PQexecParams(c,
                               "SELECT change_seq, change_kind, has_more, status "
                               "FROM thidua.pull($1::bigint, $2::bigint, $3::integer)",
                               3, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "pull: %s", PQerrorMessage(c));
        PQclear(r);
        return -1;
    }
    int rows = PQntuples(r);
    *has_more = 0;
    for (int i = 0; i < rows; i++) {
        seqs[i] = atoll(PQgetvalue(r, i, 0));
        if (kinds != NULL)
            snprintf(kinds[i], sizeof(kinds[i]), "%s", PQgetvalue(r, i, 1));
        *has_more = strcmp(PQgetvalue(r, i, 2), "t") == 0;
    }
    PQclear(r);
    return rows;
}

/* decide() as the province; returns the result word into out. */
static void decide(const char *id, int revision, const char *action, const char *reason, char *out,
                   size_t outlen)
{
    char caller[32], rev[16];
    snprintf(caller, sizeof(caller), "%lld", g_db.prov);
    snprintf(rev, sizeof(rev), "%d", revision);
    const char *params[6] = {caller, TEST_CERT, id, rev, action, reason};
    PGresult *r = PQexecParams(g_db.conn,
                               "SELECT result FROM thidua.decide($1::bigint, $2::bytea, $3::uuid, "
                               "$4::integer, $5, $6)",
                               6, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        fprintf(stderr, "decide: %s", PQerrorMessage(g_db.conn));
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    snprintf(out, outlen, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
}

static long long record_count(const char *id)
{
    char sql[512];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM thidua.record WHERE id = '%s'", id);
    return query_ll(g_db.conn, sql);
}

/* ------------------------------------------------------------------------ */
/* Migrations */

static void test_migrate_fresh(void **state)
{
    (void)state;
    char err[512] = "";
    int applied = -1;
    int rc = migrate_run(g_db.conninfo, &applied, err, sizeof(err));
    if (rc != TD_OK)
        fprintf(stderr, "migrate_run: %s\n", err);
    assert_int_equal(rc, TD_OK);
    assert_int_equal(applied, (int)migrate_embedded_count);
    assert_int_equal(query_ll(g_db.conn, "SELECT count(*) FROM thidua.schema_migrations"),
                     (long long)migrate_embedded_count);
    assert_int_equal(query_ll(g_db.conn, "SELECT max(version) FROM thidua.schema_migrations"),
                     migrate_embedded[migrate_embedded_count - 1].version);

    g_db.prov = query_ll(g_db.conn, "SELECT thidua.unit_resolve('93')");
    g_db.d930 = query_ll(g_db.conn, "SELECT thidua.unit_resolve('930')");
    g_db.d934 = query_ll(g_db.conn, "SELECT thidua.unit_resolve('934')");
    g_db.d935 = query_ll(g_db.conn, "SELECT thidua.unit_resolve('935')");
    g_db.d936 = query_ll(g_db.conn, "SELECT thidua.unit_resolve('936')");
    assert_true(g_db.prov > 0 && g_db.d930 > 0 && g_db.d934 > 0 && g_db.d935 > 0 && g_db.d936 > 0);
    /* The certificate form of architecture.md names the same unit. */
    assert_int_equal(query_ll(g_db.conn, "SELECT thidua.unit_resolve('93-934')"), g_db.d934);
}

static void test_migrate_rerun_is_noop(void **state)
{
    (void)state;
    char err[512] = "";
    char before[64], after[64];
    query1(g_db.conn, "SELECT max(applied_at)::text FROM thidua.schema_migrations", before,
           sizeof(before));
    int applied = -1;
    assert_int_equal(migrate_run(g_db.conninfo, &applied, err, sizeof(err)), TD_OK);
    assert_int_equal(applied, 0);
    query1(g_db.conn, "SELECT max(applied_at)::text FROM thidua.schema_migrations", after,
           sizeof(after));
    assert_string_equal(before, after);
    assert_int_equal(query_ll(g_db.conn, "SELECT count(*) FROM thidua.campaign"), 1);
}

static void test_migrate_refuses_changed_or_unknown(void **state)
{
    (void)state;
    char err[512] = "";
    int applied = -1;
    /* A copy of the embedded list, whatever its length, to edit. */
    migrate_migration_t *list = calloc(migrate_embedded_count, sizeof(*list));
    assert_non_null(list);
    memcpy(list, migrate_embedded, migrate_embedded_count * sizeof(list[0]));

    /* An applied migration whose text changed: refuse, apply nothing. */
    static const char edited[] = "SELECT 1;";
    list[0].sql = edited;
    list[0].sql_len = sizeof(edited) - 1;
    assert_int_equal(
        migrate_apply(g_db.conn, list, migrate_embedded_count, &applied, err, sizeof(err)),
        TD_ECHECKSUM);
    assert_int_equal(applied, 0);
    assert_non_null(strstr(err, "changed"));

    /* A binary that knows fewer migrations than the database has: refuse. */
    assert_int_equal(migrate_apply(g_db.conn, migrate_embedded, 1, &applied, err, sizeof(err)),
                     TD_ENEWER);

    /* Out of order: refused before touching the database. */
    memcpy(list, migrate_embedded, migrate_embedded_count * sizeof(list[0]));
    list[1].version = list[0].version;
    assert_int_equal(migrate_apply(g_db.conn, list, 2, &applied, err, sizeof(err)), TD_EINVAL);

    /* The lock was released: the real list still runs on this connection. */
    assert_int_equal(migrate_apply(g_db.conn, migrate_embedded, migrate_embedded_count, &applied,
                                   err, sizeof(err)),
                     TD_OK);
    assert_int_equal(applied, 0);
    free(list);
}

typedef struct mig_thread {
    const char *conninfo;
    pthread_barrier_t *start;
    int rc;
    int applied;
    char err[512];
} mig_thread_t;

static void *mig_thread_main(void *arg)
{
    mig_thread_t *t = arg;
    pthread_barrier_wait(t->start);
    t->rc = migrate_run(t->conninfo, &t->applied, t->err, sizeof(t->err));
    return NULL;
}

static void test_migrate_concurrent_starts(void **state)
{
    (void)state;
    enum { N = 4 };
    char name[64], conninfo[1700];
    snprintf(name, sizeof(name), "thidua_test_sqlmig_%08x", g_nonce);
    db_create(name);
    snprintf(conninfo, sizeof(conninfo), "%s dbname=%s", g_db.base, name);

    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, N);
    mig_thread_t t[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        t[i] = (mig_thread_t){.conninfo = conninfo, .start = &start, .rc = -99};
        assert_int_equal(pthread_create(&th[i], NULL, mig_thread_main, &t[i]), 0);
    }
    int total = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        if (t[i].rc != TD_OK)
            fprintf(stderr, "thread %d: %s\n", i, t[i].err);
        assert_int_equal(t[i].rc, TD_OK);
        total += t[i].applied;
    }
    pthread_barrier_destroy(&start);
    assert_int_equal(total, (int)migrate_embedded_count);

    PGconn *c = connect_to(conninfo);
    assert_non_null(c);
    assert_int_equal(query_ll(c, "SELECT count(*) FROM thidua.schema_migrations"),
                     (long long)migrate_embedded_count);
    assert_int_equal(query_ll(c, "SELECT count(*) FROM thidua.org_unit WHERE level = 'district'"),
                     8);
    PQfinish(c);
    db_drop(name);
}

/* ------------------------------------------------------------------------ */
/* Seed */

static void test_seed(void **state)
{
    (void)state;
    char v[512];
    PGconn *c = g_db.conn;
    assert_int_equal(query_ll(c, "SELECT count(*) FROM thidua.org_unit u "
                                 "JOIN thidua.org_unit p ON p.id = u.parent_id "
                                 "WHERE p.code = '93' AND u.level = 'district' "
                                 "AND u.code BETWEEN '930' AND '937'"),
                     8);
    assert_int_equal(query_ll(c, "SELECT count(*) FROM thidua.category"), 5);
    assert_int_equal(query_ll(c, "SELECT count(*) FROM thidua.award_form"), 8);
    query1(c,
           "SELECT organiser || '|' || starts_on || '|' || ends_on FROM thidua.campaign "
           "WHERE code = 'HG-DB-2025'",
           v, sizeof(v));
    assert_string_equal(v, "UBND tỉnh Hậu Giang|2024-07-01|2025-06-30");
    query1(c, "SELECT slogan FROM thidua.campaign", v, sizeof(v));
    assert_non_null(strstr(v, "Thi đua đoàn kết, đổi mới, sáng tạo"));
    query1(c,
           "SELECT array_to_string(allowed_kinds, ',') FROM thidua.award_form "
           "WHERE code = 'CO_THI_DUA_TINH'",
           v, sizeof(v));
    assert_string_equal(v, "collective");
    query1(c,
           "SELECT array_to_string(allowed_kinds, ',') FROM thidua.award_form "
           "WHERE code = 'GIAY_KHEN'",
           v, sizeof(v));
    assert_string_equal(v, "individual,collective,household");
    /* Vietnamese order, not byte order: "Thành" < "Thị" and Huyện first. */
    query1(c,
           "SELECT string_agg(code, ',' ORDER BY name) FROM thidua.org_unit "
           "WHERE level = 'district'",
           v, sizeof(v));
    assert_string_equal(v, "933,932,936,934,935,931,930,937");
    /* The province sees itself and its eight units below. */
    char sql[160];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM thidua.org_unit_closure WHERE ancestor_id = %lld", g_db.prov);
    assert_int_equal(query_ll(c, sql), 9);
}

/* ------------------------------------------------------------------------ */
/* Push */

static void test_push_twice_applied_then_duplicate(void **state)
{
    (void)state;
    trec_t r[2];
    tack_t a[2], b[2];
    trec_init(&r[0], "934");
    trec_init(&r[1], "934");
    r[1].kind = "collective";
    r[1].name = "Tổ dân phố 3";
    r[1].birth_date = "";
    r[1].gender = "";
    r[1].award = "TT_LD_TIEN_TIEN";
    push(g_db.d934, r, 2, a);
    assert_string_equal(a[0].result, "APPLIED");
    assert_string_equal(a[1].result, "APPLIED");
    assert_string_equal(a[0].status, "submitted");
    assert_true(a[0].change_seq > 0);
    assert_int_equal(a[1].change_seq, a[0].change_seq + 1);

    push(g_db.d934, r, 2, b);
    for (int i = 0; i < 2; i++) {
        assert_string_equal(b[i].result, "DUPLICATE");
        assert_int_equal(b[i].change_seq, a[i].change_seq);
        assert_int_equal(record_count(r[i].id), 1);
    }
    char sql[200];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM thidua.record_revision WHERE record_id = '%s'",
             r[0].id);
    assert_int_equal(query_ll(g_db.conn, sql), 1);
}

static void test_push_stale_and_conflict(void **state)
{
    (void)state;
    trec_t r;
    tack_t a;
    trec_init(&r, "934");
    r.revision = 2;
    push(g_db.d934, &r, 1, &a);
    assert_string_equal(a.result, "APPLIED");

    trec_t old = r;
    old.revision = 1;
    trec_hash(&old, 999);
    push(g_db.d934, &old, 1, &a);
    assert_string_equal(a.result, "STALE");
    assert_int_equal(a.stored_revision, 2);

    trec_t other = r;
    other.title = "Nội dung khác";
    trec_hash(&other, 1000);
    push(g_db.d934, &other, 1, &a);
    assert_string_equal(a.result, "CONFLICT");
    assert_int_equal(a.stored_revision, 2);

    char sql[200], v[64];
    snprintf(sql, sizeof(sql), "SELECT title FROM thidua.record WHERE id = '%s'", r.id);
    query1(g_db.conn, sql, v, sizeof(v));
    assert_string_equal(v, r.title);
}

static void test_push_outside_subtree_denied(void **state)
{
    (void)state;
    trec_t r;
    tack_t a;
    trec_init(&r, "930");
    push(g_db.d934, &r, 1, &a);
    assert_string_equal(a.result, "PERMISSION_DENIED");
    assert_int_equal(record_count(r.id), 0);

    /* A record of 930 cannot be taken over by 934 under the same id. */
    push(g_db.d930, &r, 1, &a);
    assert_string_equal(a.result, "APPLIED");
    trec_t steal = r;
    steal.org_unit = "934";
    steal.revision = 2;
    trec_hash(&steal, 4242);
    push(g_db.d934, &steal, 1, &a);
    assert_string_equal(a.result, "PERMISSION_DENIED");
    assert_string_equal(a.status, ""); /* says nothing about someone else's record */

    /* The province is above every district. */
    trec_t p;
    trec_init(&p, "936");
    push(g_db.prov, &p, 1, &a);
    assert_string_equal(a.result, "APPLIED");

    /* Unknown units are invalid, not denied. */
    trec_init(&p, "999");
    push(g_db.d934, &p, 1, &a);
    assert_string_equal(a.result, "REJECTED");
    assert_string_equal(a.field, "org_unit");
}

static void test_push_batch_with_invalid_records(void **state)
{
    (void)state;
    enum { N = 100 };
    trec_t *r = calloc(N, sizeof(*r));
    tack_t *a = calloc(N, sizeof(*a));
    assert_non_null(r);
    assert_non_null(a);
    for (int i = 0; i < N; i++)
        trec_init(&r[i], "934");
    r[10].achieved_on = "2025-07-01"; /* one day after the campaign */
    r[50].category = "THE_THAO";
    r[90].kind = "household";
    r[90].birth_date = "";
    r[90].gender = "";
    r[90].award = "CSTD_CO_SO"; /* individuals only */
    push(g_db.d934, r, N, a);

    int applied = 0;
    long long last = 0;
    for (int i = 0; i < N; i++) {
        if (i == 10 || i == 50 || i == 90) {
            assert_string_equal(a[i].result, "REJECTED");
            assert_int_equal(record_count(r[i].id), 0);
            continue;
        }
        assert_string_equal(a[i].result, "APPLIED");
        assert_true(a[i].change_seq > last); /* numbered in input order */
        last = a[i].change_seq;
        applied++;
    }
    assert_int_equal(applied, 97);
    assert_string_equal(a[10].field, "achieved_on");
    assert_string_equal(a[50].field, "category");
    assert_string_equal(a[90].field, "proposed_award");

    tbuf_t ids = {0};
    for (int i = 0; i < N; i++) {
        tbuf_str(&ids, i ? ",'" : "SELECT count(*) FROM thidua.record WHERE id IN ('");
        tbuf_str(&ids, r[i].id);
        tbuf_str(&ids, "'");
    }
    tbuf_str(&ids, ")");
    assert_int_equal(query_ll(g_db.conn, ids.data), 97);
    free(ids.data);
    free(r);
    free(a);
}

static void test_push_field_checks(void **state)
{
    (void)state;
    static const struct {
        const char *field;
        const char *value;
    } bad[] = {
        {"birth_date", "1985-02-30"},
        {"achieved_on", "02/09/2024"},
        {"gender", "nam"},
        {"nominee_name", " Nguyễn Văn A"},
        {"title", "Ba\x01"},
        {"nominee_name", "Nguye\xcc\x82\xcc\x83n"}, /* NFD */
        {"campaign", "NO-SUCH"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        trec_t r;
        tack_t a;
        trec_init(&r, "934");
        if (strcmp(bad[i].field, "birth_date") == 0)
            r.birth_date = bad[i].value;
        else if (strcmp(bad[i].field, "achieved_on") == 0)
            r.achieved_on = bad[i].value;
        else if (strcmp(bad[i].field, "gender") == 0)
            r.gender = bad[i].value;
        else if (strcmp(bad[i].field, "nominee_name") == 0)
            r.name = bad[i].value;
        else if (strcmp(bad[i].field, "title") == 0)
            r.title = bad[i].value;
        else
            r.campaign = bad[i].value;
        push(g_db.d934, &r, 1, &a);
        if (strcmp(a.result, "REJECTED") != 0 || strcmp(a.field, bad[i].field) != 0)
            fprintf(stderr, "case %zu: %s %s\n", i, a.result, a.field);
        assert_string_equal(a.result, "REJECTED");
        assert_string_equal(a.field, bad[i].field);
        assert_int_equal(record_count(r.id), 0);
    }
    /* A collective has no birth date. */
    trec_t r;
    tack_t a;
    trec_init(&r, "934");
    r.kind = "collective";
    r.gender = "";
    push(g_db.d934, &r, 1, &a);
    assert_string_equal(a.result, "REJECTED");
    assert_string_equal(a.field, "birth_date");
}

static void test_push_decided_is_locked(void **state)
{
    (void)state;
    trec_t r;
    tack_t a;
    char res[32];
    trec_init(&r, "934");
    push(g_db.d934, &r, 1, &a);
    assert_string_equal(a.result, "APPLIED");

    /* A decision on a revision the record has left is refused. */
    decide(r.id, 2, "approve", "", res, sizeof(res));
    assert_string_equal(res, "CONFLICT");
    decide(r.id, 1, "return", "", res, sizeof(res));
    assert_string_equal(res, "REJECTED"); /* return needs a reason */

    /* Returned: the district may push a new revision, which is submitted again. */
    decide(r.id, 1, "return", "Bổ sung báo cáo thành tích", res, sizeof(res));
    assert_string_equal(res, "APPLIED");
    r.revision = 2;
    r.summary = "Báo cáo đã bổ sung.";
    trec_hash(&r, 77);
    push(g_db.d934, &r, 1, &a);
    assert_string_equal(a.result, "APPLIED");
    assert_string_equal(a.status, "submitted");

    decide(r.id, 2, "approve", "", res, sizeof(res));
    assert_string_equal(res, "APPLIED");
    decide(r.id, 2, "approve", "", res, sizeof(res));
    assert_string_equal(res, "DUPLICATE");

    r.revision = 3;
    trec_hash(&r, 78);
    push(g_db.d934, &r, 1, &a);
    assert_string_equal(a.result, "LOCKED");
    assert_string_equal(a.status, "approved");
    assert_int_equal(a.stored_revision, 2);

    /* The retry of what was applied before the decision is still a duplicate. */
    r.revision = 2;
    trec_hash(&r, 77);
    push(g_db.d934, &r, 1, &a);
    assert_string_equal(a.result, "DUPLICATE");
}

static void test_push_cannot_move(void **state)
{
    (void)state;
    trec_t r;
    tack_t a;
    trec_init(&r, "934");
    push(g_db.prov, &r, 1, &a);
    assert_string_equal(a.result, "APPLIED");
    r.revision = 2;
    r.org_unit = "930";
    trec_hash(&r, 5);
    push(g_db.prov, &r, 1, &a);
    assert_string_equal(a.result, "REJECTED");
    assert_string_equal(a.field, "org_unit");
}

static void test_push_withdraw(void **state)
{
    (void)state;
    trec_t r;
    tack_t a;
    trec_init(&r, "934");
    push(g_db.d934, &r, 1, &a);
    assert_string_equal(a.result, "APPLIED");
    r.revision = 2;
    r.withdrawn = 1;
    trec_hash(&r, 6);
    push(g_db.d934, &r, 1, &a);
    assert_string_equal(a.result, "APPLIED");
    assert_string_equal(a.status, "withdrawn");
    long long seq = a.change_seq;

    long long seqs[4];
    char kinds[4][16];
    int more;
    assert_int_equal(pull_raw(g_db.conn, g_db.d934, seq - 1, 4, seqs, kinds, &more), 1);
    assert_int_equal(seqs[0], seq);
    assert_string_equal(kinds[0], "withdraw");

    r.revision = 3;
    r.withdrawn = 0;
    trec_hash(&r, 7);
    push(g_db.d934, &r, 1, &a);
    assert_string_equal(a.result, "LOCKED");
    assert_string_equal(a.status, "withdrawn");
}

/* ------------------------------------------------------------------------ */
/* Award and revoke */

/* award() for one id; returns the result word, or the SQLSTATE when it raised. */
static void award_one(const char *id, const char *number, const char *signer, const char *form,
                      char *out, size_t outlen)
{
    char caller[32], ids[64];
    snprintf(caller, sizeof(caller), "%lld", g_db.prov);
    snprintf(ids, sizeof(ids), "{%s}", id);
    const char *params[7] = {caller, TEST_CERT, number, "2025-08-15", signer, form, ids};
    PGresult *r = PQexecParams(g_db.conn,
                               "SELECT result FROM thidua.award($1::bigint, $2::bytea, '', $3, "
                               "$4, $5, $6, $7::uuid[])",
                               7, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        snprintf(out, outlen, "%s", PQgetvalue(r, 0, 0));
    else
        snprintf(out, outlen, "%s", PQresultErrorField(r, PG_DIAG_SQLSTATE));
    PQclear(r);
}

static void test_award_and_revoke(void **state)
{
    (void)state;
    trec_t r[2];
    tack_t a[2];
    char res[32];
    trec_init(&r[0], "935");
    trec_init(&r[1], "935");
    r[1].kind = "collective";
    r[1].name = "Hội Nông dân xã Vị Thuỷ";
    r[1].birth_date = "";
    r[1].gender = "";
    r[1].award = "BK_UBND_TINH";
    push(g_db.prov, r, 2, a);
    assert_string_equal(a[0].result, "APPLIED");
    assert_string_equal(a[1].result, "APPLIED");

    award_one(r[0].id, "163/QĐ-UBND", "KT. CHỦ TỊCH — PHÓ CHỦ TỊCH Trần Văn B", "BK_UBND_TINH", res,
              sizeof(res));
    assert_string_equal(res, "LOCKED"); /* not approved yet */
    decide(r[0].id, 1, "approve", "", res, sizeof(res));
    assert_string_equal(res, "APPLIED");
    decide(r[1].id, 1, "approve", "", res, sizeof(res));
    assert_string_equal(res, "APPLIED");

    award_one(r[0].id, "163/QĐ-UBND", "KT. CHỦ TỊCH — PHÓ CHỦ TỊCH Trần Văn B", "BK_UBND_TINH", res,
              sizeof(res));
    assert_string_equal(res, "APPLIED");
    award_one(r[0].id, "163/QĐ-UBND", "KT. CHỦ TỊCH — PHÓ CHỦ TỊCH Trần Văn B", "BK_UBND_TINH", res,
              sizeof(res));
    assert_string_equal(res, "DUPLICATE");
    /* The same number that year with another signer is another act: refused whole. */
    award_one(r[1].id, "163/QĐ-UBND", "CHỦ TỊCH Lê Văn C", "BK_UBND_TINH", res, sizeof(res));
    assert_string_equal(res, "TD409");
    /* A form the nominee kind cannot receive; then a district-level form. */
    award_one(r[1].id, "164/QĐ-UBND", "CHỦ TỊCH Lê Văn C", "CSTD_TINH", res, sizeof(res));
    assert_string_equal(res, "REJECTED");
    award_one(r[1].id, "164/QĐ-UBND", "CHỦ TỊCH Lê Văn C", "GIAY_KHEN", res, sizeof(res));
    assert_string_equal(res, "REJECTED");
    award_one(r[1].id, "164/QĐ-UBND", "CHỦ TỊCH Lê Văn C", "CO_THI_DUA_TINH", res, sizeof(res));
    assert_string_equal(res, "APPLIED");

    char sql[400];
    snprintf(sql, sizeof(sql),
             "SELECT result FROM thidua.revoke(%lld, '" TEST_CERT "', '%s', 'Khai man thành tích', "
             "'', '201/QĐ-UBND', '2025-10-01', 'CHỦ TỊCH Lê Văn C')",
             g_db.prov, r[0].id);
    char v[200];
    query1(g_db.conn, sql, v, sizeof(v));
    assert_string_equal(v, "APPLIED");
    query1(g_db.conn, sql, v, sizeof(v));
    assert_string_equal(v, "DUPLICATE");

    /* The district's feed tells the whole story of the record, in order. */
    snprintf(sql, sizeof(sql),
             "SELECT string_agg(change_kind, ',' ORDER BY change_seq) || '|' || "
             "min(status) || '|' || min(award_number) || '|' || min(revoke_number) "
             "FROM thidua.pull(thidua.unit_resolve('935'), 0, 100) WHERE id = '%s'",
             r[0].id);
    query1(g_db.conn, sql, v, sizeof(v));
    assert_string_equal(v, "revision,decision,award,revoke|revoked|163/QĐ-UBND|201/QĐ-UBND");
}

/* ------------------------------------------------------------------------ */
/* Pull */

static void test_pull_pages_and_subtree(void **state)
{
    (void)state;
    trec_t r[5];
    tack_t a[5];
    for (int i = 0; i < 5; i++)
        trec_init(&r[i], i == 2 ? "930" : "937");
    long long d937 = query_ll(g_db.conn, "SELECT thidua.unit_resolve('937')");
    long long d930 = g_db.d930;
    push(d937, r, 2, a);
    push(d930, &r[2], 1, &a[2]);
    push(d937, &r[3], 2, &a[3]);

    /* 937 sees its four changes, two per page, and never 930's. */
    long long seqs[8];
    int more;
    long long cursor = a[0].change_seq - 1;
    assert_int_equal(pull_raw(g_db.conn, d937, cursor, 2, seqs, NULL, &more), 2);
    assert_true(more);
    assert_int_equal(seqs[0], a[0].change_seq);
    assert_int_equal(seqs[1], a[1].change_seq);
    assert_int_equal(pull_raw(g_db.conn, d937, seqs[1], 2, seqs, NULL, &more), 2);
    assert_false(more);
    assert_int_equal(seqs[0], a[3].change_seq);
    assert_int_equal(seqs[1], a[4].change_seq);
    assert_int_equal(pull_raw(g_db.conn, d937, seqs[1], 2, seqs, NULL, &more), 0);
    assert_false(more);

    /* The province sees all five, in order. */
    assert_int_equal(pull_raw(g_db.conn, g_db.prov, cursor, 8, seqs, NULL, &more), 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(seqs[i], a[i].change_seq);
}

/* ------------------------------------------------------------------------ */
/* The feed race: writers commit late on purpose; the reader must skip nothing. */

enum { RACE_WRITERS = 6, RACE_BATCHES = 12, RACE_BATCH = 4 };

typedef struct race {
    const char *conninfo;
    long long unit;
    atomic_int writers_left;
    atomic_int failures;
} race_t;

typedef struct race_writer {
    race_t *race;
    unsigned seed;
} race_writer_t;

static int race_exec(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    return ok ? 0 : -1;
}

static void *race_writer_main(void *arg)
{
    race_writer_t *w = arg;
    race_t *race = w->race;
    PGconn *c = connect_to(race->conninfo);
    if (c == NULL) {
        atomic_fetch_add(&race->failures, 1);
        atomic_fetch_sub(&race->writers_left, 1);
        return NULL;
    }
    for (int b = 0; b < RACE_BATCHES; b++) {
        trec_t r[RACE_BATCH];
        tack_t a[RACE_BATCH];
        for (int i = 0; i < RACE_BATCH; i++)
            trec_init(&r[i], "936");
        char before[64], after[64];
        /* Sleep before the push (rows locked) and after it (counter locked, commit late). */
        snprintf(before, sizeof(before), "SELECT pg_sleep(%d / 1000.0)", rand_r(&w->seed) % 15);
        snprintf(after, sizeof(after), "SELECT pg_sleep(%d / 1000.0)", rand_r(&w->seed) % 15);
        int ok = race_exec(c, "BEGIN") == 0 && race_exec(c, before) == 0 &&
                 push_raw(c, race->unit, r, RACE_BATCH, a) == RACE_BATCH &&
                 race_exec(c, after) == 0 && race_exec(c, "COMMIT") == 0;
        for (int i = 0; ok && i < RACE_BATCH; i++)
            ok = strcmp(a[i].result, "APPLIED") == 0;
        if (!ok) {
            atomic_fetch_add(&race->failures, 1);
            break;
        }
    }
    PQfinish(c);
    atomic_fetch_sub(&race->writers_left, 1);
    return NULL;
}

static void test_feed_race_never_skips(void **state)
{
    (void)state;
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT coalesce(max(seq), 0) FROM thidua.change_feed WHERE org_unit_id = %lld",
             g_db.d936);
    long long start = query_ll(g_db.conn, sql);

    race_t race = {.conninfo = g_db.conninfo, .unit = g_db.d936};
    atomic_init(&race.writers_left, RACE_WRITERS);
    atomic_init(&race.failures, 0);
    race_writer_t w[RACE_WRITERS];
    pthread_t th[RACE_WRITERS];
    for (int i = 0; i < RACE_WRITERS; i++) {
        w[i] = (race_writer_t){.race = &race, .seed = g_nonce + (unsigned)i * 7919u};
        assert_int_equal(pthread_create(&th[i], NULL, race_writer_main, &w[i]), 0);
    }

    /* The reader: its own connection, small pages, as fast as it can. */
    PGconn *reader = connect_to(g_db.conninfo);
    assert_non_null(reader);
    size_t cap = 4096, seen = 0;
    long long *got = malloc(cap * sizeof(*got));
    assert_non_null(got);
    long long cursor = start;
    int pulls = 0, reader_errors = 0;
    for (;;) {
        int done = atomic_load(&race.writers_left) == 0;
        long long page[7];
        int more = 0;
        int n = pull_raw(reader, g_db.d936, cursor, 7, page, NULL, &more);
        if (n < 0) {
            reader_errors++;
            break;
        }
        pulls++;
        for (int i = 0; i < n; i++) {
            if (seen == cap) {
                cap *= 2;
                long long *g = realloc(got, cap * sizeof(*got));
                assert_non_null(g);
                got = g;
            }
            got[seen++] = page[i];
        }
        if (n > 0)
            cursor = page[n - 1];
        /* Stop only after a pull that began once every writer had committed. */
        if (done && !more)
            break;
    }
    for (int i = 0; i < RACE_WRITERS; i++)
        pthread_join(th[i], NULL);
    PQfinish(reader);
    assert_int_equal(reader_errors, 0);
    assert_int_equal(atomic_load(&race.failures), 0);

    /* Everything the table holds for the unit, in order, exactly once. */
    snprintf(sql, sizeof(sql),
             "SELECT seq FROM thidua.change_feed WHERE org_unit_id = %lld AND seq > %lld "
             "ORDER BY seq",
             g_db.d936, start);
    PGresult *all = PQexec(g_db.conn, sql);
    assert_int_equal(PQresultStatus(all), PGRES_TUPLES_OK);
    int expected = PQntuples(all);
    assert_int_equal(expected, RACE_WRITERS * RACE_BATCHES * RACE_BATCH);
    assert_int_equal((int)seen, expected);
    for (int i = 0; i < expected; i++)
        assert_int_equal(got[i], atoll(PQgetvalue(all, i, 0)));
    PQclear(all);
    free(got);
    assert_true(pulls > 1);
}

/* ------------------------------------------------------------------------ */
/* Push, set-based: batches that name an id twice, every result in one batch,
 * records created by a concurrent push, overlapping batches in parallel. */

/* Run one statement on c; asserts success. */
static void exec_ok(PGconn *c, const char *sql)
{
    assert_int_equal(race_exec(c, sql), 0);
}

/* A new org unit below parent (by codes); returns its id. */
static long long unit_add(const char *code, const char *parent)
{
    char sql[400];
    snprintf(sql, sizeof(sql),
             "INSERT INTO thidua.org_unit (code, name, level, parent_id, valid_from) "
             "SELECT '%s', 'Xã %s', 'commune', p.id, DATE '2025-07-01' FROM thidua.org_unit p "
             "WHERE p.code = '%s' RETURNING id",
             code, code, parent);
    return query_ll(g_db.conn, sql);
}

/* The applied acks of a batch carry consecutive change_seqs in input order. */
static int applied_in_order(const tack_t *a, size_t n, long long *first, long long *last)
{
    long long next = 0;
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(a[i].result, "APPLIED") != 0)
            continue;
        if (next != 0 && a[i].change_seq != next)
            return -1;
        if (next == 0)
            *first = a[i].change_seq;
        *last = a[i].change_seq;
        next = a[i].change_seq + 1;
        count++;
    }
    return count;
}

static void expect_ack(const tack_t *a, const char *result, const char *field, const char *status,
                       int stored_revision)
{
    if (strcmp(a->result, result) != 0 || strcmp(a->field, field) != 0 ||
        strcmp(a->status, status) != 0 || a->stored_revision != stored_revision)
        fprintf(stderr, "got %s/%s/%s/%d (%s), expected %s/%s/%s/%d\n", a->result, a->field,
                a->status, a->stored_revision, a->message, result, field, status, stored_revision);
    assert_string_equal(a->result, result);
    assert_string_equal(a->field, field);
    assert_string_equal(a->status, status);
    assert_int_equal(a->stored_revision, stored_revision);
}

/*
 * An id named more than once in a batch: each element is judged after the
 * ones before it, in input order, as if each had come in a push of its own.
 */
static void test_push_same_id_in_one_batch(void **state)
{
    (void)state;
    enum { N = 12 };
    trec_t r[N];
    tack_t a[N];
    /* 0, 1: the same new revision twice: stored once, the second is a retry. */
    trec_init(&r[0], "934");
    r[1] = r[0];
    /* 2, 3: a new record and its next revision; 11: revision 2 again, other content. */
    trec_init(&r[2], "934");
    r[3] = r[2];
    r[3].revision = 2;
    r[3].title = "Hoàn thành xuất sắc nhiệm vụ năm 2024";
    trec_hash(&r[3], 901);
    r[11] = r[3];
    trec_hash(&r[11], 906);
    /* 4, 5: revision 2, then revision 1 of the same new record. */
    trec_init(&r[4], "934");
    r[4].revision = 2;
    r[5] = r[4];
    r[5].revision = 1;
    trec_hash(&r[5], 902);
    /* 6, 7: an invalid element, then a valid one with the same id: the second creates it. */
    trec_init(&r[6], "934");
    r[6].category = "THE_THAO";
    r[7] = r[6];
    r[7].category = "KT_XH";
    trec_hash(&r[7], 903);
    /* 8, 9, 10: created, withdrawn, then a further revision refused. */
    trec_init(&r[8], "934");
    r[9] = r[8];
    r[9].revision = 2;
    r[9].withdrawn = 1;
    trec_hash(&r[9], 904);
    r[10] = r[8];
    r[10].revision = 3;
    trec_hash(&r[10], 905);
    push(g_db.d934, r, N, a);

    expect_ack(&a[0], "APPLIED", "", "submitted", 1);
    expect_ack(&a[1], "DUPLICATE", "", "submitted", 1);
    assert_int_equal(a[1].change_seq, a[0].change_seq);
    expect_ack(&a[2], "APPLIED", "", "submitted", 1);
    expect_ack(&a[3], "APPLIED", "", "submitted", 2);
    expect_ack(&a[4], "APPLIED", "", "submitted", 2);
    expect_ack(&a[5], "STALE", "", "submitted", 2);
    expect_ack(&a[6], "REJECTED", "category", "", 0);
    expect_ack(&a[7], "APPLIED", "", "submitted", 1);
    expect_ack(&a[8], "APPLIED", "", "submitted", 1);
    expect_ack(&a[9], "APPLIED", "", "withdrawn", 2);
    expect_ack(&a[10], "LOCKED", "status", "withdrawn", 2);
    expect_ack(&a[11], "CONFLICT", "content_hash", "submitted", 2);
    long long first = 0, last = 0;
    assert_int_equal(applied_in_order(a, N, &first, &last), 7);

    /* Both revisions of r[2] are history; the row is the second, numbered by it. */
    char sql[600], v[300];
    snprintf(sql, sizeof(sql),
             "SELECT r.revision || '|' || r.title || '|' || o.change_seq || '|' || "
             "(SELECT string_agg(v.revision::text, ',' ORDER BY v.revision) "
             "   FROM thidua.record_revision v WHERE v.record_id = r.id) || '|' || "
             "(SELECT string_agg(f.kind || f.revision, ',' ORDER BY f.seq) "
             "   FROM thidua.change_feed f WHERE f.record_id = r.id) "
             "FROM thidua.record r JOIN thidua.record_out o ON o.id = r.id WHERE r.id = '%s'",
             r[2].id);
    query1(g_db.conn, sql, v, sizeof(v));
    char want[300];
    snprintf(want, sizeof(want), "2|%s|%lld|1,2|revision1,revision2", r[3].title, a[3].change_seq);
    assert_string_equal(v, want);
    /* The withdrawal has its decision, and the feed entry names it. */
    snprintf(sql, sizeof(sql),
             "SELECT string_agg(f.kind || f.revision || coalesce(':' || d.action, ''), ',' "
             "ORDER BY f.seq) FROM thidua.change_feed f "
             "LEFT JOIN thidua.decision d ON d.id = f.decision_id WHERE f.record_id = '%s'",
             r[8].id);
    query1(g_db.conn, sql, v, sizeof(v));
    assert_string_equal(v, "revision1,withdraw2:withdraw");
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM thidua.record_revision WHERE record_id IN ('%s', '%s')", r[0].id,
             r[7].id);
    assert_int_equal(query_ll(g_db.conn, sql), 2);
}

/* The kinds of element in test_push_every_result_in_one_batch. */
enum {
    MIX_NEW,
    MIX_NEW_WITHDRAWN,
    MIX_COMMUNE,
    MIX_BAD_CATEGORY,
    MIX_BAD_NAME,
    MIX_OTHER_UNIT,
    MIX_UNKNOWN_UNIT,
    MIX_BAD_REVISION,
    MIX_NOT_OBJECT,
    MIX_DUPLICATE,
    MIX_CONFLICT,
    MIX_STALE,
    MIX_STALE_INVALID,
    MIX_NEXT,
    MIX_RETURNED,
    MIX_WITHDRAW,
    MIX_WITHDRAWN,
    MIX_APPROVED,
    MIX_NOT_MINE,
    MIX_MOVED,
    MIX_KINDS,
    MIX_EACH = 12,
    MIX_N = MIX_KINDS * MIX_EACH
};

static const struct {
    const char *result, *field, *status;
    int stored_revision;
} mix_expect[MIX_KINDS] = {
    [MIX_NEW] = {"APPLIED", "", "submitted", 1},
    [MIX_NEW_WITHDRAWN] = {"APPLIED", "", "withdrawn", 1},
    [MIX_COMMUNE] = {"APPLIED", "", "submitted", 1},
    [MIX_BAD_CATEGORY] = {"REJECTED", "category", "", 0},
    [MIX_BAD_NAME] = {"REJECTED", "nominee_name", "", 0},
    [MIX_OTHER_UNIT] = {"PERMISSION_DENIED", "org_unit", "", 0},
    [MIX_UNKNOWN_UNIT] = {"REJECTED", "org_unit", "", 0},
    [MIX_BAD_REVISION] = {"REJECTED", "revision", "", 0},
    [MIX_NOT_OBJECT] = {"REJECTED", "record", "", 0},
    [MIX_DUPLICATE] = {"DUPLICATE", "", "submitted", 1},
    [MIX_CONFLICT] = {"CONFLICT", "content_hash", "submitted", 1},
    [MIX_STALE] = {"STALE", "", "submitted", 2},
    /* The stored record is judged before the content. */
    [MIX_STALE_INVALID] = {"STALE", "", "submitted", 2},
    [MIX_NEXT] = {"APPLIED", "", "submitted", 2},
    [MIX_RETURNED] = {"APPLIED", "", "submitted", 2},
    [MIX_WITHDRAW] = {"APPLIED", "", "withdrawn", 2},
    [MIX_WITHDRAWN] = {"LOCKED", "status", "withdrawn", 2},
    [MIX_APPROVED] = {"LOCKED", "status", "approved", 1},
    [MIX_NOT_MINE] = {"PERMISSION_DENIED", "id", "", 0},
    [MIX_MOVED] = {"REJECTED", "org_unit", "submitted", 1},
};

/*
 * One batch of 240 elements with every result push can give, interleaved:
 * each ack is what its element alone would get, the applied ones are
 * numbered in input order, and the history, decisions and feed hold exactly
 * the applied ones.
 */
static void test_push_every_result_in_one_batch(void **state)
{
    (void)state;
    unit_add("93401", "934");
    trec_t *base = calloc(MIX_N, sizeof(*base)); /* what is stored before the batch */
    trec_t *batch = calloc(MIX_N, sizeof(*batch));
    tack_t *a = calloc(MIX_N, sizeof(*a));
    long long *dup_seq = calloc(MIX_N, sizeof(*dup_seq));
    assert_true(base != NULL && batch != NULL && a != NULL && dup_seq != NULL);
    char res[32];

    for (int i = 0; i < MIX_N; i++) {
        int kind = i % MIX_KINDS;
        trec_init(&base[i], kind == MIX_NOT_MINE ? "930" : "934");
        if (kind == MIX_STALE || kind == MIX_STALE_INVALID || kind == MIX_WITHDRAWN)
            base[i].revision = 2;
        base[i].withdrawn = kind == MIX_WITHDRAWN;
    }
    /* Store the records the batch finds, in batches of one kind. */
    for (int kind = MIX_DUPLICATE; kind < MIX_KINDS; kind++) {
        trec_t r[MIX_EACH];
        tack_t s[MIX_EACH];
        for (int j = 0; j < MIX_EACH; j++)
            r[j] = base[j * MIX_KINDS + kind];
        push(kind == MIX_NOT_MINE ? g_db.d930 : g_db.d934, r, MIX_EACH, s);
        for (int j = 0; j < MIX_EACH; j++) {
            assert_string_equal(s[j].result, "APPLIED");
            dup_seq[j * MIX_KINDS + kind] = s[j].change_seq;
            if (kind == MIX_APPROVED || kind == MIX_RETURNED) {
                decide(r[j].id, 1, kind == MIX_APPROVED ? "approve" : "return",
                       kind == MIX_APPROVED ? "" : "Bổ sung minh chứng", res, sizeof(res));
                assert_string_equal(res, "APPLIED");
            }
        }
    }

    for (int i = 0; i < MIX_N; i++) {
        int kind = i % MIX_KINDS;
        trec_t *r = &batch[i];
        *r = base[i];
        switch (kind) {
        case MIX_NEW_WITHDRAWN:
            r->withdrawn = 1;
            break;
        case MIX_COMMUNE:
            r->org_unit = "93401";
            break;
        case MIX_BAD_CATEGORY:
            r->category = "THE_THAO";
            break;
        case MIX_BAD_NAME:
            r->name = " Nguyễn Văn An";
            break;
        case MIX_OTHER_UNIT:
            r->org_unit = "930";
            break;
        case MIX_UNKNOWN_UNIT:
            r->org_unit = "999";
            break;
        case MIX_BAD_REVISION:
            r->revision = 0;
            break;
        case MIX_NOT_OBJECT:
            r->raw = "42";
            break;
        case MIX_CONFLICT:
            trec_hash(r, 7000u + (unsigned)i);
            break;
        case MIX_STALE:
            r->revision = 1;
            trec_hash(r, 7000u + (unsigned)i);
            break;
        case MIX_STALE_INVALID:
            r->revision = 1;
            r->achieved_on = "2023-01-01";
            trec_hash(r, 7000u + (unsigned)i);
            break;
        case MIX_NEXT:
        case MIX_RETURNED:
        case MIX_APPROVED:
        case MIX_NOT_MINE:
        case MIX_MOVED:
        case MIX_WITHDRAW:
            r->revision = 2;
            r->withdrawn = kind == MIX_WITHDRAW;
            /* A unit of the caller's, for a record stored under another unit. */
            if (kind == MIX_MOVED)
                r->org_unit = "93401";
            else if (kind == MIX_NOT_MINE)
                r->org_unit = "934";
            trec_hash(r, 7000u + (unsigned)i);
            break;
        case MIX_WITHDRAWN:
            r->revision = 3;
            r->withdrawn = 0;
            trec_hash(r, 7000u + (unsigned)i);
            break;
        default:
            break;
        }
    }
    push(g_db.d934, batch, MIX_N, a);

    for (int i = 0; i < MIX_N; i++) {
        int kind = i % MIX_KINDS;
        if (strcmp(a[i].result, mix_expect[kind].result) != 0)
            fprintf(stderr, "element %d (kind %d): %s %s %s\n", i, kind, a[i].result, a[i].field,
                    a[i].message);
        expect_ack(&a[i], mix_expect[kind].result, mix_expect[kind].field, mix_expect[kind].status,
                   mix_expect[kind].stored_revision);
        if (kind == MIX_DUPLICATE)
            assert_int_equal(a[i].change_seq, dup_seq[i]);
        else if (strcmp(a[i].result, "APPLIED") != 0)
            assert_int_equal(a[i].change_seq, 0);
    }
    /* Messages are the ones of a record pushed alone. */
    assert_string_equal(a[MIX_MOVED].message, "a record never moves to another unit");
    assert_string_equal(a[MIX_NOT_MINE].message, "this record belongs to a unit that is not yours");
    assert_string_equal(a[MIX_STALE].message, "revision 2 is already stored");
    assert_string_equal(a[MIX_UNKNOWN_UNIT].message, "unknown org unit \"999\"");
    assert_string_equal(a[MIX_APPROVED].message, "the record is approved: it can no longer change");
    assert_non_null(strstr(a[MIX_BAD_CATEGORY].message, "unknown category \"THE_THAO\"; one of: "));

    long long first = 0, last = 0;
    int applied = applied_in_order(a, MIX_N, &first, &last);
    assert_int_equal(applied, 6 * MIX_EACH);

    /* The feed from first to last: the applied elements in input order. */
    tbuf_t want = {0}, ids = {0};
    for (int i = 0; i < MIX_N; i++) {
        if (strcmp(a[i].result, "APPLIED") != 0)
            continue;
        char item[80];
        snprintf(item, sizeof(item), "%s%s:%s:%d", want.len ? "," : "", batch[i].id,
                 batch[i].withdrawn ? "withdraw" : "revision", batch[i].revision);
        tbuf_str(&want, item);
        snprintf(item, sizeof(item), "%s('%s',%d)", ids.len ? "," : "", batch[i].id,
                 batch[i].revision);
        tbuf_str(&ids, item);
    }
    char *sql = malloc(ids.len + 600);
    assert_non_null(sql);
    sprintf(sql,
            "SELECT string_agg(record_id || ':' || kind || ':' || revision, ',' ORDER BY seq) "
            "FROM thidua.change_feed WHERE seq BETWEEN %lld AND %lld",
            first, last);
    char *got = malloc(want.len + 64);
    assert_non_null(got);
    query1(g_db.conn, sql, got, want.len + 64);
    assert_string_equal(got, want.data);
    /* Each applied revision is history once, its record points at its change. */
    sprintf(sql,
            "SELECT count(*) FROM thidua.record_revision v JOIN (VALUES %s) AS x (id, rev) "
            "ON v.record_id = x.id::uuid AND v.revision = x.rev",
            ids.data);
    assert_int_equal(query_ll(g_db.conn, sql), applied);
    sprintf(
        sql,
        "SELECT count(*) FROM thidua.record_out r JOIN thidua.change_feed f ON f.seq = r.change_seq "
        "JOIN (VALUES %s) AS x (id, rev) ON r.id = x.id::uuid AND f.record_id = r.id "
        "AND r.revision = x.rev",
        ids.data);
    assert_int_equal(query_ll(g_db.conn, sql), applied);
    sprintf(
        sql,
        "SELECT count(*) FROM thidua.decision d JOIN thidua.change_feed f ON f.decision_id = d.id "
        "WHERE d.action = 'withdraw' AND f.seq BETWEEN %lld AND %lld",
        first, last);
    assert_int_equal(query_ll(g_db.conn, sql), 2 * MIX_EACH);
    /* Nothing of the refused elements was stored. */
    for (int i = 0; i < MIX_N; i++) {
        int kind = i % MIX_KINDS;
        if (kind == MIX_BAD_CATEGORY || kind == MIX_BAD_NAME || kind == MIX_OTHER_UNIT ||
            kind == MIX_UNKNOWN_UNIT || kind == MIX_BAD_REVISION)
            assert_int_equal(record_count(batch[i].id), 0);
    }
    free(got);
    free(sql);
    free(want.data);
    free(ids.data);
    free(dup_seq);
    free(a);
    free(batch);
    free(base);
}

/*
 * Another push creates records of this batch between the moment the batch
 * locks what is stored and the moment it inserts: the batch waits for it,
 * then judges those records as stored (here a retry and a conflict), and
 * the rest of the batch is applied as usual.
 */
static void test_push_created_concurrently(void **state)
{
    (void)state;
    PGconn *first = connect_to(g_db.conninfo);
    PGconn *second = connect_to(g_db.conninfo);
    assert_non_null(first);
    assert_non_null(second);
    trec_t x, y, z;
    trec_init(&x, "934");
    trec_init(&y, "934");
    trec_init(&z, "934");
    trec_t mine[2] = {x, z};
    tack_t m[2];
    exec_ok(first, "BEGIN");
    assert_int_equal(push_raw(first, g_db.d934, mine, 2, m), 2);
    assert_string_equal(m[0].result, "APPLIED");

    /* The same x, z with other content, and a new y, from another connection. */
    trec_t theirs[3] = {y, x, z};
    trec_hash(&theirs[2], 4711);
    tbuf_t b = {0};
    records_json(&b, theirs, 3);
    char caller[32];
    snprintf(caller, sizeof(caller), "%lld", g_db.d934);
    const char *params[3] = {caller, TEST_CERT, b.data};
    assert_int_equal(PQsendQueryParams(second, PUSH_SQL, 3, NULL, params, NULL, NULL, 0), 1);
    free(b.data);

    /* It waits for the first transaction's inserts. */
    char sql[200];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM pg_stat_activity WHERE pid = %d AND wait_event_type = 'Lock'",
             PQbackendPID(second));
    int waited = 0;
    for (int i = 0; i < 400 && !waited; i++) {
        waited = query_ll(g_db.conn, sql) == 1;
        if (!waited)
            usleep(25 * 1000);
    }
    assert_true(waited);
    exec_ok(first, "COMMIT");
    assert_int_equal(number_acks(first, mine, 2, m), 0);

    tack_t t[3];
    PGresult *r = PQgetResult(second);
    assert_int_equal(acks_from(second, r, 3, t), 3);
    PQclear(r);
    while ((r = PQgetResult(second)) != NULL)
        PQclear(r);
    assert_int_equal(number_acks(second, theirs, 3, t), 0);
    expect_ack(&t[0], "APPLIED", "", "submitted", 1);
    expect_ack(&t[1], "DUPLICATE", "", "submitted", 1);
    assert_int_equal(t[1].change_seq, m[0].change_seq);
    expect_ack(&t[2], "CONFLICT", "content_hash", "submitted", 1);
    assert_true(t[0].change_seq > m[1].change_seq);
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM thidua.record_revision WHERE record_id IN ('%s', '%s')", x.id,
             z.id);
    assert_int_equal(query_ll(g_db.conn, sql), 2);
    PQfinish(first);
    PQfinish(second);
}

/* Writers pushing overlapping batches of the same records, in any order. */
enum { OVL_WRITERS = 4, OVL_BATCHES = 25, OVL_BATCH = 24, OVL_POOL = 48 };

typedef struct ovl {
    const char *conninfo;
    long long unit;
    trec_t pool[OVL_POOL]; /* revision 1 of each record */
    atomic_int failures;
    atomic_int applied;
} ovl_t;

typedef struct ovl_writer {
    ovl_t *ovl;
    unsigned seed;
} ovl_writer_t;

/* The content hash of a revision: one per (record, revision), so never a conflict. */
static void ovl_revision(const ovl_t *o, int k, int revision, trec_t *r)
{
    *r = o->pool[k];
    r->revision = revision;
    trec_hash(r, 50000u + (unsigned)k * 8u + (unsigned)revision);
}

static void *ovl_writer_main(void *arg)
{
    ovl_writer_t *w = arg;
    ovl_t *o = w->ovl;
    PGconn *c = connect_to(o->conninfo);
    for (int b = 0; c != NULL && b < OVL_BATCHES; b++) {
        trec_t r[OVL_BATCH];
        tack_t a[OVL_BATCH];
        for (int i = 0; i < OVL_BATCH; i++)
            ovl_revision(o, rand_r(&w->seed) % OVL_POOL, 1 + rand_r(&w->seed) % 3, &r[i]);
        if (push_raw(c, o->unit, r, OVL_BATCH, a) != OVL_BATCH) {
            atomic_fetch_add(&o->failures, 1);
            continue;
        }
        for (int i = 0; i < OVL_BATCH; i++) {
            if (strcmp(a[i].result, "APPLIED") == 0)
                atomic_fetch_add(&o->applied, 1);
            else if (strcmp(a[i].result, "DUPLICATE") != 0 && strcmp(a[i].result, "STALE") != 0) {
                fprintf(stderr, "overlapping push: %s %s\n", a[i].result, a[i].message);
                atomic_fetch_add(&o->failures, 1);
            }
        }
    }
    if (c == NULL)
        atomic_fetch_add(&o->failures, 1);
    PQfinish(c);
    return NULL;
}

/*
 * Batches that share records, new and stored, pushed from several
 * connections at once: no push fails (no deadlock, whatever the order of
 * the ids in a batch), and each revision is stored exactly once.
 */
static void test_push_overlapping_batches(void **state)
{
    (void)state;
    ovl_t *o = calloc(1, sizeof(*o));
    assert_non_null(o);
    o->conninfo = g_db.conninfo;
    o->unit = g_db.d935;
    for (int k = 0; k < OVL_POOL; k++)
        trec_init(&o->pool[k], "935");
    atomic_init(&o->failures, 0);
    atomic_init(&o->applied, 0);
    ovl_writer_t w[OVL_WRITERS];
    pthread_t th[OVL_WRITERS];
    for (int i = 0; i < OVL_WRITERS; i++) {
        w[i] = (ovl_writer_t){.ovl = o, .seed = g_nonce + 104729u * (unsigned)(i + 1)};
        assert_int_equal(pthread_create(&th[i], NULL, ovl_writer_main, &w[i]), 0);
    }
    for (int i = 0; i < OVL_WRITERS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&o->failures), 0);

    tbuf_t ids = {0};
    for (int k = 0; k < OVL_POOL; k++) {
        tbuf_str(&ids, k ? ",'" : "'");
        tbuf_str(&ids, o->pool[k].id);
        tbuf_str(&ids, "'");
    }
    char *sql = malloc(ids.len + 400);
    assert_non_null(sql);
    sprintf(sql, "SELECT count(*) FROM thidua.record_revision WHERE record_id IN (%s)", ids.data);
    assert_int_equal(query_ll(g_db.conn, sql), atomic_load(&o->applied));
    sprintf(sql, "SELECT count(*) FROM thidua.change_feed WHERE record_id IN (%s)", ids.data);
    assert_int_equal(query_ll(g_db.conn, sql), atomic_load(&o->applied));
    /* Every record holds its highest revision, and points at its last change. */
    sprintf(sql,
            "SELECT count(*) FROM thidua.record r WHERE r.id IN (%s) "
            "AND r.revision = (SELECT max(v.revision) FROM thidua.record_revision v "
            "                   WHERE v.record_id = r.id)",
            ids.data);
    long long good = query_ll(g_db.conn, sql);
    sprintf(sql, "SELECT count(*) FROM thidua.record WHERE id IN (%s)", ids.data);
    assert_int_equal(good, query_ll(g_db.conn, sql));
    free(sql);
    free(ids.data);
    free(o);
}

/* ------------------------------------------------------------------------ */
/* Pull for a caller with few units and for one with many */

/* The seqs a pull gives from cursor, page by page of limit; returns how many. */
static int pull_all(long long caller, long long cursor, int limit, long long *seqs, int max)
{
    int n = 0, more = 1;
    while (more) {
        long long page[64];
        assert_true(limit <= 64);
        int got = pull_raw(g_db.conn, caller, cursor, limit, page, NULL, &more);
        assert_true(got >= 0);
        assert_true(got > 0 || !more);
        for (int i = 0; i < got; i++) {
            assert_true(n < max);
            seqs[n++] = page[i];
        }
        if (got > 0)
            cursor = page[got - 1];
    }
    return n;
}

/*
 * A district with 33 communes below it, one of them with records of its
 * own, one with none: each caller (a commune, the district, the province,
 * another district) gets exactly its own units' changes, in order, in pages.
 */
static void test_pull_units_few_and_many(void **state)
{
    (void)state;
    char code[16];
    long long commune[34] = {0};
    for (int i = 1; i <= 33; i++) {
        snprintf(code, sizeof(code), "937%02d", i);
        commune[i] = unit_add(code, "937");
    }
    long long d937 = query_ll(g_db.conn, "SELECT thidua.unit_resolve('937')");
    long long start = query_ll(g_db.conn, "SELECT last_seq FROM thidua.feed_counter");

    /* In feed order: 93705, 937, 93705, 935, 93720, 937, 93705, 935. */
    static const char *const units[8] = {"93705", "937", "93705", "935",
                                         "93720", "937", "93705", "935"};
    long long seq[8];
    for (int i = 0; i < 8; i++) {
        trec_t r;
        tack_t a;
        trec_init(&r, units[i]);
        push(strcmp(units[i], "935") == 0 ? g_db.d935 : d937, &r, 1, &a);
        assert_string_equal(a.result, "APPLIED");
        seq[i] = a.change_seq;
    }

    long long got[16];
    /* A commune: its three, two per page. */
    assert_int_equal(pull_all(commune[5], start, 2, got, 16), 3);
    assert_int_equal(got[0], seq[0]);
    assert_int_equal(got[1], seq[2]);
    assert_int_equal(got[2], seq[6]);
    /* A commune without records: nothing, from the start of the feed too. */
    assert_int_equal(pull_all(commune[33], 0, 5, got, 16), 0);
    /* The district and its 33 communes: six, in order. */
    assert_int_equal(pull_all(d937, start, 4, got, 16), 6);
    const int mine[6] = {0, 1, 2, 4, 5, 6};
    for (int i = 0; i < 6; i++)
        assert_int_equal(got[i], seq[mine[i]]);
    /* Another district: its two. */
    assert_int_equal(pull_all(g_db.d935, start, 1, got, 16), 2);
    assert_int_equal(got[0], seq[3]);
    assert_int_equal(got[1], seq[7]);
    /* The province: all eight, in order. */
    assert_int_equal(pull_all(g_db.prov, start, 3, got, 16), 8);
    for (int i = 0; i < 8; i++)
        assert_int_equal(got[i], seq[i]);
}

/*
 * No writer waits for another's commit (sql/014): while one push's
 * transaction stays open, another unit's push commits and is pulled; the
 * late one is served after it, under a higher position, and nothing twice.
 */
static void test_feed_late_commit_not_blocking(void **state)
{
    (void)state;
    PGconn *slow = connect_to(g_db.conninfo);
    PGconn *fast = connect_to(g_db.conninfo);
    assert_non_null(slow);
    assert_non_null(fast);
    trec_t a, b;
    trec_init(&a, "934");
    trec_init(&b, "936");
    tack_t sa, sb;
    long long cursor = query_ll(g_db.conn, "SELECT last_seq FROM thidua.feed_counter");
    exec_ok(slow, "BEGIN");
    assert_int_equal(push_raw(slow, g_db.d934, &a, 1, &sa), 1);
    assert_string_equal(sa.result, "APPLIED");
    assert_int_equal(sa.change_seq, 0); /* not numbered before its commit */

    /* Answered while the first transaction is open: before 014 it waited here. */
    assert_int_equal(push_raw(fast, g_db.d936, &b, 1, &sb), 1);
    assert_string_equal(sb.result, "APPLIED");
    assert_true(sb.change_seq > cursor);

    long long seqs[8];
    int more = 0;
    int n = pull_raw(g_db.conn, g_db.prov, cursor, 8, seqs, NULL, &more);
    assert_int_equal(n, 1);
    assert_int_equal(seqs[0], sb.change_seq);
    cursor = seqs[0];

    exec_ok(slow, "COMMIT");
    n = pull_raw(g_db.conn, g_db.prov, cursor, 8, seqs, NULL, &more);
    assert_int_equal(n, 1);
    assert_true(seqs[0] > sb.change_seq);
    assert_int_equal(number_acks(slow, &a, 1, &sa), 0);
    assert_int_equal(sa.change_seq, seqs[0]);
    n = pull_raw(g_db.conn, g_db.prov, seqs[0], 8, seqs, NULL, &more);
    assert_int_equal(n, 0);
    PQfinish(slow);
    PQfinish(fast);
}

/* ---- campaigns as data (sql/019_campaigns.sql) ---- */

/*
 * thidua.campaign_create as caller with the campaign json (a SQL literal's
 * inside); out gets the answer, or "SQLSTATE COLUMN" when it raised.
 */
static void campaign_try(long long caller, const char *json, bool dry_run, char *out, size_t len)
{
    char sql[4096];
    snprintf(sql, sizeof(sql),
             "SELECT thidua.campaign_create(%lld, '" TEST_CERT "'::bytea, '%s'::jsonb, %s)", caller,
             json, dry_run ? "true" : "false");
    PGresult *r = PQexec(g_db.conn, sql);
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
        snprintf(out, len, "%s", PQgetvalue(r, 0, 0));
    } else {
        const char *col = PQresultErrorField(r, PG_DIAG_COLUMN_NAME);
        snprintf(out, len, "%s %s", PQresultErrorField(r, PG_DIAG_SQLSTATE), col ? col : "-");
    }
    PQclear(r);
}

/* A campaign before the seed's, which stays the newest: code, last day, categories, forms. */
#define CAMPAIGN_JSON(code, ends, cats, forms)                                                     \
    "{\"code\":\"" code "\",\"name\":\"Thi đua mẫu\",\"organiser_unit\":\"93\","                   \
    "\"starts_on\":\"2024-01-01\",\"ends_on\":\"" ends "\",\"categories\":" cats ","               \
    "\"award_forms\":" forms "}"
#define CATS "[{\"code\":\"A\",\"name\":\"Lĩnh vực A\"},{\"code\":\"B\",\"name\":\"Lĩnh vực B\"}]"
#define FORMS                                                                                      \
    "[{\"code\":\"GK\",\"name\":\"Giấy khen\",\"conferred_by\":\"district\","                      \
    "\"nominee_kinds\":[\"household\",\"individual\",\"individual\"]}]"

static void test_campaign_create(void **state)
{
    (void)state;
    PGconn *c = g_db.conn;
    char res[200];
    long long before = query_ll(c, "SELECT count(*) FROM thidua.campaign");

    /* A dry run answers as the real call would and stores nothing. */
    campaign_try(g_db.prov, CAMPAIGN_JSON("T-1", "2024-06-30", CATS, FORMS), true, res, sizeof(res));
    assert_string_equal(res, "created");
    assert_int_equal(query_ll(c, "SELECT count(*) FROM thidua.campaign"), before);

    campaign_try(g_db.prov, CAMPAIGN_JSON("T-1", "2024-06-30", CATS, FORMS), false, res, sizeof(res));
    assert_string_equal(res, "created");
    query1(c,
           "SELECT c.organiser || '|' || u.code || '|' || encode(c.created_by_cert, 'hex') || '|' ||"
           "       (SELECT string_agg(k.code || k.sort_order, ',' ORDER BY k.sort_order)"
           "          FROM thidua.category k WHERE k.campaign_id = c.id) || '|' ||"
           "       (SELECT string_agg(array_to_string(f.allowed_kinds, '+'), ',')"
           "          FROM thidua.award_form f WHERE f.campaign_id = c.id)"
           "  FROM thidua.campaign c JOIN thidua.org_unit u ON u.id = c.created_by_unit_id"
           " WHERE c.code = 'T-1'",
           res, sizeof(res));
    /* The organiser's name from the unit; the kinds once each, in their canonical order. */
    assert_string_equal(res, "Tỉnh Hậu Giang|93|c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00"
                             "c0ffee00c0ffee00|A1,B2|individual+household");
    /* The same again: unchanged, whichever order the kinds come in. */
    campaign_try(g_db.prov,
                 CAMPAIGN_JSON("T-1", "2024-06-30", CATS,
                               "[{\"code\":\"GK\",\"name\":\"Giấy khen\","
                               "\"conferred_by\":\"district\","
                               "\"nominee_kinds\":[\"individual\",\"household\"]}]"),
                 false, res, sizeof(res));
    assert_string_equal(res, "unchanged");
    assert_int_equal(query_ll(c, "SELECT count(*) FROM thidua.campaign"), before + 1);
    /* Other content under that code: a conflict naming the code, even in a dry run. */
    campaign_try(g_db.prov, CAMPAIGN_JSON("T-1", "2024-06-29", CATS, FORMS), true, res, sizeof(res));
    assert_string_equal(res, "TD409 campaign.code");

    const struct {
        long long *caller;
        const char *json, *want;
    } bad[] = {
        {&g_db.d934, CAMPAIGN_JSON("T-2", "2024-06-30", CATS, FORMS), "TD403 campaign.organiser_unit"},
        {&g_db.prov, CAMPAIGN_JSON("T 2", "2024-06-30", CATS, FORMS), "TD400 campaign.code"},
        {&g_db.prov, CAMPAIGN_JSON("T-2", "2023-12-31", CATS, FORMS), "TD400 campaign.ends_on"},
        {&g_db.prov, CAMPAIGN_JSON("T-2", "2024-02-30", CATS, FORMS), "TD400 campaign.ends_on"},
        {&g_db.prov, CAMPAIGN_JSON("T-2", "2024-06-30", "[]", FORMS), "TD400 campaign.categories"},
        {&g_db.prov, CAMPAIGN_JSON("T-2", "2024-06-30", CATS, "[]"), "TD400 campaign.award_forms"},
        {&g_db.prov,
         CAMPAIGN_JSON("T-2", "2024-06-30",
                       "[{\"code\":\"A\",\"name\":\"A\"},{\"code\":\"A\",\"name\":\"A2\"}]", FORMS),
         "TD400 campaign.categories[1].code"},
        {&g_db.prov,
         CAMPAIGN_JSON("T-2", "2024-06-30", "[{\"code\":\"a\",\"name\":\"A\"}]", FORMS),
         "TD400 campaign.categories[0].code"},
        {&g_db.prov,
         CAMPAIGN_JSON("T-2", "2024-06-30", CATS,
                       "[{\"code\":\"GK\",\"name\":\"GK\",\"conferred_by\":\"village\","
                       "\"nominee_kinds\":[\"individual\"]}]"),
         "TD400 campaign.award_forms[0].conferred_by"},
        {&g_db.prov,
         CAMPAIGN_JSON("T-2", "2024-06-30", CATS,
                       "[{\"code\":\"GK\",\"name\":\"GK\",\"conferred_by\":\"district\","
                       "\"nominee_kinds\":[\"family\"]}]"),
         "TD400 campaign.award_forms[0].nominee_kinds"},
        {&g_db.prov,
         "{\"code\":\"T-2\",\"name\":\"x\",\"organiser_unit\":\"99\",\"starts_on\":\"2024-01-01\","
         "\"ends_on\":\"2024-06-30\",\"categories\":" CATS ",\"award_forms\":" FORMS "}",
         "TD400 campaign.organiser_unit"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        campaign_try(*bad[i].caller, bad[i].json, false, res, sizeof(res));
        if (strcmp(res, bad[i].want) != 0)
            fail_msg("case %zu: %s, expected %s", i, res, bad[i].want);
    }
    assert_int_equal(query_ll(c, "SELECT count(*) FROM thidua.campaign"), before + 1);
    query1(c,
           "SELECT count(*) || ' ' || sum(records) FROM thidua.campaign_list("
           "  (SELECT id FROM thidua.org_unit WHERE code = '93'), 'T-1')",
           res, sizeof(res));
    assert_string_equal(res, "1 0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrate_fresh),
        cmocka_unit_test(test_migrate_rerun_is_noop),
        cmocka_unit_test(test_migrate_refuses_changed_or_unknown),
        cmocka_unit_test(test_migrate_concurrent_starts),
        cmocka_unit_test(test_seed),
        cmocka_unit_test(test_push_twice_applied_then_duplicate),
        cmocka_unit_test(test_push_stale_and_conflict),
        cmocka_unit_test(test_push_outside_subtree_denied),
        cmocka_unit_test(test_push_batch_with_invalid_records),
        cmocka_unit_test(test_push_field_checks),
        cmocka_unit_test(test_push_decided_is_locked),
        cmocka_unit_test(test_push_cannot_move),
        cmocka_unit_test(test_push_withdraw),
        cmocka_unit_test(test_push_same_id_in_one_batch),
        cmocka_unit_test(test_push_every_result_in_one_batch),
        cmocka_unit_test(test_push_created_concurrently),
        cmocka_unit_test(test_award_and_revoke),
        cmocka_unit_test(test_pull_pages_and_subtree),
        cmocka_unit_test(test_feed_race_never_skips),
        cmocka_unit_test(test_feed_late_commit_not_blocking),
        cmocka_unit_test(test_push_overlapping_batches),
        cmocka_unit_test(test_pull_units_few_and_many),
        /* Last: it adds a campaign, which test_seed would count. */
        cmocka_unit_test(test_campaign_create),
    };
    return cmocka_run_group_tests_name("sql", tests, group_setup, group_teardown);
}
