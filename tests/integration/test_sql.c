/*
 * test_sql.c - the PostgreSQL side against a real cluster: migrations (fresh,
 * re-run, changed checksum, concurrent starts), the seed, push semantics and
 * the change feed, including writers racing a reader that must see every
 * change exactly once, in order.
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
} trec_t;

typedef struct tack {
    char result[24];
    long long change_seq; /* 0 when NULL */
    char field[40];
    char status[16];
    int stored_revision;
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

/*
 * Push n records as caller; acks (n of them) filled in input order. Returns
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
    PGresult *r = PQexecParams(c,
                               "SELECT ord, result, change_seq, field, record_status, "
                               "stored_revision FROM thidua.push($1::bigint, $2::bytea, $3::jsonb)",
                               3, NULL, params, NULL, NULL, 0);
    free(b.data);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "push: %s", PQerrorMessage(c));
        PQclear(r);
        return -1;
    }
    int rows = PQntuples(r);
    for (int i = 0; i < rows && (size_t)i < n; i++) {
        tack_t *a = &acks[i];
        memset(a, 0, sizeof(*a));
        if (atoi(PQgetvalue(r, i, 0)) != i + 1) {
            PQclear(r);
            return -1;
        }
        snprintf(a->result, sizeof(a->result), "%s", PQgetvalue(r, i, 1));
        a->change_seq = PQgetisnull(r, i, 2) ? 0 : atoll(PQgetvalue(r, i, 2));
        snprintf(a->field, sizeof(a->field), "%s", PQgetvalue(r, i, 3));
        snprintf(a->status, sizeof(a->status), "%s", PQgetvalue(r, i, 4));
        a->stored_revision = PQgetisnull(r, i, 5) ? 0 : atoi(PQgetvalue(r, i, 5));
    }
    PQclear(r);
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
    PGresult *r = PQexecParams(c,
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
    if (rc != MIGRATE_OK)
        fprintf(stderr, "migrate_run: %s\n", err);
    assert_int_equal(rc, MIGRATE_OK);
    assert_int_equal(applied, (int)migrate_embedded_count);
    assert_int_equal(query_ll(g_db.conn, "SELECT count(*) FROM thidua.schema_migrations"),
                     (long long)migrate_embedded_count);
    assert_int_equal(query_ll(g_db.conn, "SELECT max(version) FROM thidua.schema_migrations"),
                     migrate_embedded[migrate_embedded_count - 1].version);

    g_db.prov = query_ll(g_db.conn, "SELECT thidua.unit_resolve('93')");
    g_db.d930 = query_ll(g_db.conn, "SELECT thidua.unit_resolve('930')");
    g_db.d934 = query_ll(g_db.conn, "SELECT thidua.unit_resolve('934')");
    g_db.d936 = query_ll(g_db.conn, "SELECT thidua.unit_resolve('936')");
    assert_true(g_db.prov > 0 && g_db.d930 > 0 && g_db.d934 > 0 && g_db.d936 > 0);
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
    assert_int_equal(migrate_run(g_db.conninfo, &applied, err, sizeof(err)), MIGRATE_OK);
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
    migrate_migration_t list[16];
    assert_true(migrate_embedded_count <= 16);
    memcpy(list, migrate_embedded, migrate_embedded_count * sizeof(list[0]));

    /* An applied migration whose text changed: refuse, apply nothing. */
    static const char edited[] = "SELECT 1;";
    list[0].sql = edited;
    list[0].sql_len = sizeof(edited) - 1;
    assert_int_equal(
        migrate_apply(g_db.conn, list, migrate_embedded_count, &applied, err, sizeof(err)),
        MIGRATE_ECHECKSUM);
    assert_int_equal(applied, 0);
    assert_non_null(strstr(err, "changed"));

    /* A binary that knows fewer migrations than the database has: refuse. */
    assert_int_equal(migrate_apply(g_db.conn, migrate_embedded, 1, &applied, err, sizeof(err)),
                     MIGRATE_EUNKNOWN);

    /* Out of order: refused before touching the database. */
    memcpy(list, migrate_embedded, migrate_embedded_count * sizeof(list[0]));
    list[1].version = list[0].version;
    assert_int_equal(migrate_apply(g_db.conn, list, 2, &applied, err, sizeof(err)), MIGRATE_EINVAL);

    /* The lock was released: the real list still runs on this connection. */
    assert_int_equal(migrate_apply(g_db.conn, migrate_embedded, migrate_embedded_count, &applied,
                                   err, sizeof(err)),
                     MIGRATE_OK);
    assert_int_equal(applied, 0);
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
        if (t[i].rc != MIGRATE_OK)
            fprintf(stderr, "thread %d: %s\n", i, t[i].err);
        assert_int_equal(t[i].rc, MIGRATE_OK);
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
        cmocka_unit_test(test_award_and_revoke),
        cmocka_unit_test(test_pull_pages_and_subtree),
        cmocka_unit_test(test_feed_race_never_skips),
    };
    return cmocka_run_group_tests_name("sql", tests, group_setup, group_teardown);
}
