/*
 * test_dbpool.c - the database pool against a real PostgreSQL.
 *
 * The shared fixture cluster (THIDUA_TEST_PGDIR) serves most tests, each in
 * a database of this program's own. The restart test starts a private
 * cluster so it can kill it with jobs in flight. Every test runs its own loop
 * and ends by closing the pool and checking that uv_loop_close() returns 0:
 * a handle left open or a job never answered fails the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dbpool.h"

static char g_dbname[64];
static char g_conninfo[128];

/* ---- helpers ---- */

/* Read KEY=VALUE lines of a pgcluster env file into the environment. */
static int load_env(const char *dir)
{
    char path[600], line[600];
    snprintf(path, sizeof(path), "%s/env", dir);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        char *eq = strchr(line, '=');
        if (eq == NULL)
            continue;
        *eq = '\0';
        setenv(line, eq + 1, 1);
    }
    fclose(f);
    return 0;
}

/* Read one KEY of a pgcluster env file without touching the environment. */
static int env_value(const char *dir, const char *key, char *out, size_t size)
{
    char path[600], line[600];
    snprintf(path, sizeof(path), "%s/env", dir);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    int rc = -1;
    size_t klen = strlen(key);
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, key, klen) == 0 && line[klen] == '=') {
            snprintf(out, size, "%s", line + klen + 1);
            rc = 0;
        }
    }
    fclose(f);
    return rc;
}

/* Blocking admin statement on the fixture cluster (outside any loop). */
static void admin_exec(const char *dbname, const char *sql)
{
    char ci[128];
    snprintf(ci, sizeof(ci), "dbname=%s", dbname);
    PGconn *c = PQconnectdb(ci);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
}

static void on_deadline(uv_timer_t *t)
{
    *(int *)t->data = 1;
}

/* Run the loop until *counter >= target or ms elapse; true if reached. */
static bool run_until(uv_loop_t *loop, const int *counter, int target, unsigned ms)
{
    uv_timer_t t;
    int expired = 0;
    uv_timer_init(loop, &t);
    t.data = &expired;
    uv_timer_start(&t, on_deadline, ms, 0);
    while (*counter < target && !expired)
        uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    return *counter >= target;
}

static void run_for(uv_loop_t *loop, unsigned ms)
{
    int never = 0;
    (void)run_until(loop, &never, 1, ms);
}

/* Run the loop until n connections are up (or 10 s pass); returns how many are. */
static unsigned wait_conns_up(uv_loop_t *loop, dbpool_t *pool, unsigned n)
{
    dbpool_stats_t st;
    for (int i = 0; i < 200; i++) {
        dbpool_stats(pool, &st);
        if (st.conns_up >= n)
            break;
        run_for(loop, 50);
    }
    return st.conns_up;
}

static void on_closed(void *data)
{
    (*(int *)data)++;
}

/* Close the pool, run the loop dry and check nothing was left behind. */
static void finish(uv_loop_t *loop, dbpool_t *pool)
{
    int closed = 0;
    assert_int_equal(dbpool_close(pool, on_closed, &closed), 0);
    assert_true(run_until(loop, &closed, 1, 30000));
    assert_int_equal(uv_run(loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(closed, 1);
    assert_int_equal(uv_loop_close(loop), 0);
}

static void base_config(dbpool_config_t *cfg)
{
    dbpool_config_init(cfg);
    cfg->conninfo = g_conninfo;
    cfg->application_name = "thidua-test-dbpool";
}

/* What a job callback saw. */
typedef struct {
    int done;
    int ok;
    int failed;
    int retryable;
    int last_kind;
    char last_sqlstate[6];
    int last_stmt;
    char last_message[256];
    char value[256]; /* first column of the first row of the last statement */
} tally_t;

static void tally_cb(dbpool_job_t *job, const dbpool_error_t *err, void *data)
{
    tally_t *t = data;
    t->done++;
    if (err == NULL) {
        t->ok++;
        size_t n = dbpool_job_count(job);
        const PGresult *r = dbpool_job_result(job, n - 1);
        if (r != NULL && PQntuples(r) > 0)
            snprintf(t->value, sizeof(t->value), "%s", PQgetvalue(r, 0, 0));
        return;
    }
    t->failed++;
    t->retryable += err->retryable;
    t->last_kind = err->code;
    t->last_stmt = err->stmt;
    snprintf(t->last_sqlstate, sizeof(t->last_sqlstate), "%s", err->sqlstate);
    snprintf(t->last_message, sizeof(t->last_message), "%s", err->message);
}

static void submit_sql(dbpool_t *pool, unsigned flags, const char *sql, tally_t *t)
{
    dbpool_job_t *job = dbpool_job_new(flags);
    assert_non_null(job);
    assert_int_equal(dbpool_job_add_sql(job, sql, 0, NULL), 0);
    assert_int_equal(dbpool_submit(pool, job, tally_cb, t), 0);
}

/* The first column of the first row of a one-off query through the pool. */
static void query_value(uv_loop_t *loop, dbpool_t *pool, const char *sql, char *out, size_t size)
{
    tally_t t = {0};
    submit_sql(pool, 0, sql, &t);
    assert_true(run_until(loop, &t.done, 1, 30000));
    if (t.ok != 1)
        fail_msg("%s: %s", sql, t.last_message);
    snprintf(out, size, "%s", t.value);
}

/* A loopback TCP socket bound to a free port; listening if asked. */
static int loopback_socket(bool listening, int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    socklen_t len = sizeof(sa);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *port = ntohs(sa.sin_port);
    if (listening)
        assert_int_equal(listen(fd, 8), 0);
    return fd;
}

/* ---- fixture ---- */

static int group_setup(void **state)
{
    (void)state;
    const char *dir = getenv("THIDUA_TEST_PGDIR");
    if (dir == NULL || load_env(dir) < 0) {
        fprintf(stderr, "THIDUA_TEST_PGDIR/env not readable: run through ctest\n");
        return -1;
    }
    snprintf(g_dbname, sizeof(g_dbname), "thidua_dbpool_%ld", (long)getpid());
    snprintf(g_conninfo, sizeof(g_conninfo), "dbname=%s", g_dbname);
    char sql[128];
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", g_dbname);
    admin_exec("postgres", sql);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    char sql[128];
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", g_dbname);
    admin_exec("postgres", sql);
    return 0;
}

/* ---- tests ---- */

static const dbpool_prepared_t g_prepared[] = {
    {.name = "add", .sql = "SELECT $1::int + $2::int", .nparams = 2},
    {.name = "echo", .sql = "SELECT $1::int", .nparams = 1},
    {.name = "pid", .sql = "SELECT pg_backend_pid()", .nparams = 0},
    {.name = "inc4", .sql = "SELECT $1 + 1", .nparams = 1, .types = (const Oid[]){23}},
};

typedef struct {
    dbpool_t *pool;
    int in_submit;
    int stage;
    int closed;
    char values[5][64];
} simple_t;

static void simple_second_cb(dbpool_job_t *job, const dbpool_error_t *err, void *data)
{
    simple_t *s = data;
    assert_false(s->in_submit);
    assert_null(err);
    assert_string_equal(PQgetvalue(dbpool_job_result(job, 0), 0, 0), "7");
    s->stage = 2;
    /* Closing from inside a job callback is allowed. */
    assert_int_equal(dbpool_close(s->pool, on_closed, &s->closed), 0);
}

static void simple_first_cb(dbpool_job_t *job, const dbpool_error_t *err, void *data)
{
    simple_t *s = data;
    assert_false(s->in_submit); /* never called from inside dbpool_submit() */
    if (err != NULL)
        fail_msg("job failed: %s", err->message);
    assert_int_equal(dbpool_job_count(job), 2);
    const PGresult *r = dbpool_job_result(job, 0);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    for (int i = 0; i < 4; i++)
        snprintf(s->values[i], sizeof(s->values[i]), "%s", PQgetvalue(r, 0, i));
    /* Taking a result makes it the caller's. */
    PGresult *mine = dbpool_job_take(job, 1);
    assert_non_null(mine);
    assert_null(dbpool_job_result(job, 1));
    snprintf(s->values[4], sizeof(s->values[4]), "%s", PQgetvalue(mine, 0, 0));
    PQclear(mine);
    s->stage = 1;

    /* Submitting from inside a callback is allowed. */
    dbpool_job_t *next = dbpool_job_new(0);
    assert_non_null(next);
    const char *v[] = {"3", "4"};
    assert_int_equal(dbpool_job_add_prepared(next, "add", 2, v), 0);
    s->in_submit = 1;
    assert_int_equal(dbpool_submit(s->pool, next, simple_second_cb, s), 0);
    s->in_submit = 0;
}

static void test_simple(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    dbpool_config_t cfg;
    base_config(&cfg);
    cfg.size = 2;
    cfg.statement_timeout_ms = 1500;
    cfg.prepared = g_prepared;
    cfg.nprepared = THIDUA_ARRAY_LEN(g_prepared);
    simple_t s = {0};
    s.pool = dbpool_new(&loop, &cfg);
    assert_non_null(s.pool);

    dbpool_job_t *job = dbpool_job_new(0);
    assert_non_null(job);
    assert_int_equal(
        dbpool_job_add_sql(job,
                           "SELECT 'xin chào'::text, current_setting('statement_timeout'),"
                           " current_setting('application_name'),"
                           " current_setting('client_encoding')",
                           0, NULL),
        0);
    const char *v[] = {"40", "2"};
    assert_int_equal(dbpool_job_add_prepared(job, "add", 2, v), 0);
    s.in_submit = 1;
    assert_int_equal(dbpool_submit(s.pool, job, simple_first_cb, &s), 0);
    s.in_submit = 0;

    assert_true(run_until(&loop, &s.closed, 1, 30000));
    assert_int_equal(s.stage, 2);
    assert_string_equal(s.values[0], "xin chào");
    assert_string_equal(s.values[1], "1500ms");
    assert_string_equal(s.values[2], "thidua-test-dbpool");
    assert_string_equal(s.values[3], "UTF8");
    assert_string_equal(s.values[4], "42");
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_stats_and_rejects(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    dbpool_config_t cfg;
    base_config(&cfg);
    cfg.size = 2;
    cfg.queue_max = 5;
    cfg.prepared = g_prepared;
    cfg.nprepared = THIDUA_ARRAY_LEN(g_prepared);

    /* Configurations that cannot work are refused up front. */
    dbpool_config_t bad_cfg = cfg;
    bad_cfg.conninfo = "dbname=x no_such_option=1";
    assert_null(dbpool_new(&loop, &bad_cfg));
    bad_cfg = cfg;
    bad_cfg.size = 0;
    assert_null(dbpool_new(&loop, &bad_cfg));
    dbpool_prepared_t twice[] = {{.name = "a", .sql = "SELECT 1"},
                                 {.name = "a", .sql = "SELECT 2"}};
    bad_cfg = cfg;
    bad_cfg.prepared = twice;
    bad_cfg.nprepared = 2;
    assert_null(dbpool_new(&loop, &bad_cfg));

    dbpool_t *pool = dbpool_new(&loop, &cfg);
    assert_non_null(pool);

    /* Invalid jobs are refused at once (and freed by the pool). */
    assert_int_equal(dbpool_submit(pool, NULL, tally_cb, NULL), TD_EINVAL);
    assert_int_equal(dbpool_submit(pool, dbpool_job_new(0), tally_cb, NULL), TD_EINVAL);
    dbpool_job_t *job = dbpool_job_new(0);
    assert_int_equal(dbpool_job_add_prepared(job, "nope", 0, NULL), 0);
    assert_int_equal(dbpool_submit(pool, job, tally_cb, NULL), TD_EINVAL);
    job = dbpool_job_new(0);
    const char *one[] = {"1"};
    assert_int_equal(dbpool_job_add_prepared(job, "add", 1, one), 0);
    assert_int_equal(dbpool_submit(pool, job, tally_cb, NULL), TD_EINVAL);
    job = dbpool_job_new(0);
    assert_int_equal(dbpool_job_add_sql(job, "SELECT 1", 0, NULL), 0);
    assert_int_equal(dbpool_submit(pool, job, NULL, NULL), TD_EINVAL);
    job = dbpool_job_new(0);
    assert_int_equal(dbpool_job_add_sql(job, NULL, 0, NULL), TD_EINVAL);
    int bad_format[] = {7};
    dbpool_stmt_t bad = {.sql = "SELECT $1", .nparams = 1, .values = one, .formats = bad_format};
    assert_int_equal(dbpool_job_add(job, &bad), TD_EINVAL);
    dbpool_job_free(job);

    /* A full queue says "server busy", retryable, without a callback. */
    tally_t t = {0};
    int rejected = 0;
    for (int i = 0; i < 8; i++) {
        job = dbpool_job_new(0);
        assert_int_equal(dbpool_job_add_prepared(job, "echo", 1, one), 0);
        int rc = dbpool_submit(pool, job, tally_cb, &t);
        if (rc == TD_EBUSY)
            rejected++;
        else
            assert_int_equal(rc, 0);
    }
    assert_int_equal(rejected, 3);
    assert_string_equal(td_strerror(TD_EBUSY), "busy");
    assert_true(dbpool_code_retryable(TD_EBUSY));
    assert_false(dbpool_code_retryable(TD_EINVAL));
    dbpool_stats_t st;
    dbpool_stats(pool, &st);
    assert_int_equal(st.queued, 5);
    assert_int_equal(st.jobs_rejected, 3);
    assert_int_equal(t.done, 0);

    assert_true(run_until(&loop, &t.done, 5, 30000));
    assert_int_equal(t.ok, 5);
    assert_int_equal(wait_conns_up(&loop, pool, 2), 2);
    dbpool_stats(pool, &st);
    assert_int_equal(st.conns, 2);
    assert_int_equal(st.conns_up, 2);
    assert_int_equal(st.conns_busy, 0);
    assert_int_equal(st.queued, 0);
    assert_int_equal(st.inflight, 0);
    assert_int_equal(st.jobs_done, 5);
    assert_int_equal(st.jobs_failed, 0);
    assert_int_equal(st.connects, 2);

    /* After close, submissions are refused as "shutting down". */
    int closed = 0;
    assert_int_equal(dbpool_close(pool, on_closed, &closed), 0);
    assert_int_equal(dbpool_close(pool, on_closed, &closed), TD_ECLOSED);
    job = dbpool_job_new(0);
    assert_int_equal(dbpool_job_add_sql(job, "SELECT 1", 0, NULL), 0);
    assert_int_equal(dbpool_submit(pool, job, tally_cb, &t), TD_ECLOSED);
    assert_true(run_until(&loop, &closed, 1, 30000));
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* 10,000 jobs of three statements each, all submitted before the loop runs. */
#define MANY 10000
typedef struct {
    int done;
    int bad;
    unsigned char seen[MANY];
} many_t;

static void many_cb(dbpool_job_t *job, const dbpool_error_t *err, void *data)
{
    many_t *m = data;
    int k = -1;
    m->done++;
    if (err != NULL || dbpool_job_count(job) != 3) {
        m->bad++;
        return;
    }
    for (size_t i = 0; i < 3; i++) {
        const PGresult *r = dbpool_job_result(job, i);
        int v = atoi(PQgetvalue(r, 0, 0));
        if (i == 0)
            k = v / 3;
        if (v != k * 3 + (int)i || k < 0 || k >= MANY) {
            m->bad++;
            return;
        }
    }
    m->seen[k]++;
}

static void test_many_jobs(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    dbpool_config_t cfg;
    base_config(&cfg);
    cfg.size = 4;
    cfg.queue_max = MANY;
    cfg.queue_timeout_ms = 120000;
    cfg.prepared = g_prepared;
    cfg.nprepared = THIDUA_ARRAY_LEN(g_prepared);
    dbpool_t *pool = dbpool_new(&loop, &cfg);
    assert_non_null(pool);

    many_t *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    for (int k = 0; k < MANY; k++) {
        dbpool_job_t *job = dbpool_job_new(0);
        assert_non_null(job);
        char a[16], b[16], c[16];
        snprintf(a, sizeof(a), "%d", k * 3);
        snprintf(b, sizeof(b), "%d", k * 3 + 1);
        snprintf(c, sizeof(c), "%d", k * 3 + 2);
        const char *va[] = {a}, *vb[] = {b}, *vc[] = {c};
        /* Mixed on purpose: prepared, text SQL, prepared again. */
        assert_int_equal(dbpool_job_add_prepared(job, "echo", 1, va), 0);
        assert_int_equal(dbpool_job_add_sql(job, "SELECT $1::int", 1, vb), 0);
        assert_int_equal(dbpool_job_add_prepared(job, "echo", 1, vc), 0);
        assert_int_equal(dbpool_submit(pool, job, many_cb, m), 0);
    }
    assert_true(run_until(&loop, &m->done, MANY, 120000));
    assert_int_equal(m->bad, 0);
    for (int k = 0; k < MANY; k++)
        assert_int_equal(m->seen[k], 1);
    dbpool_stats_t st;
    dbpool_stats(pool, &st);
    assert_int_equal(st.jobs_done, MANY);
    assert_int_equal(st.connects, 4);
    free(m);
    finish(&loop, pool);
}

/* One failing job among others pipelined on the same connection. */
static void test_error_isolation(void **state)
{
    (void)state;
    admin_exec(g_dbname, "CREATE TABLE iso (x int)");
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    dbpool_config_t cfg;
    base_config(&cfg);
    cfg.size = 1; /* everything goes down one pipeline */
    dbpool_t *pool = dbpool_new(&loop, &cfg);
    assert_non_null(pool);

    tally_t a = {0}, b = {0}, c = {0};
    submit_sql(pool, 0, "INSERT INTO iso VALUES (1)", &a);
    dbpool_job_t *job = dbpool_job_new(0);
    assert_int_equal(dbpool_job_add_sql(job, "INSERT INTO iso VALUES (2)", 0, NULL), 0);
    assert_int_equal(dbpool_job_add_sql(job, "SELECT 1/0", 0, NULL), 0);
    assert_int_equal(dbpool_job_add_sql(job, "SELECT 3", 0, NULL), 0);
    assert_int_equal(dbpool_submit(pool, job, tally_cb, &b), 0);
    submit_sql(pool, 0, "INSERT INTO iso VALUES (3)", &c);

    assert_true(run_until(&loop, &c.done, 1, 30000));
    assert_int_equal(a.ok, 1);
    assert_int_equal(b.failed, 1);
    assert_int_equal(b.last_kind, TD_EDB);
    assert_int_equal(b.last_stmt, 1);
    assert_string_equal(b.last_sqlstate, "22012");
    assert_int_equal(b.retryable, 0);
    assert_string_equal(b.last_message, "division by zero");
    assert_int_equal(c.ok, 1);

    /* The failed job's own insert was rolled back with it. */
    char v[256];
    query_value(&loop, pool, "SELECT array_agg(x ORDER BY x)::text FROM iso", v, sizeof(v));
    assert_string_equal(v, "{1,3}");
    finish(&loop, pool);
}

static void test_transaction(void **state)
{
    (void)state;
    admin_exec(g_dbname, "CREATE TABLE tx (x int UNIQUE);"
                         "CREATE TABLE tx_parent (id int PRIMARY KEY);"
                         "CREATE TABLE tx_child (pid int REFERENCES tx_parent"
                         " DEFERRABLE INITIALLY DEFERRED)");
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    dbpool_config_t cfg;
    base_config(&cfg);
    cfg.size = 1;
    dbpool_t *pool = dbpool_new(&loop, &cfg);
    assert_non_null(pool);

    tally_t commit = {0}, rollback = {0}, after = {0}, iso = {0}, deferred_tx = {0},
            deferred_implicit = {0};
    dbpool_job_t *job = dbpool_job_new(DBPOOL_TX);
    assert_int_equal(dbpool_job_add_sql(job, "INSERT INTO tx VALUES (10)", 0, NULL), 0);
    assert_int_equal(dbpool_job_add_sql(job, "INSERT INTO tx VALUES (11)", 0, NULL), 0);
    assert_int_equal(dbpool_submit(pool, job, tally_cb, &commit), 0);

    job = dbpool_job_new(DBPOOL_TX);
    assert_int_equal(dbpool_job_add_sql(job, "INSERT INTO tx VALUES (20)", 0, NULL), 0);
    assert_int_equal(dbpool_job_add_sql(job, "INSERT INTO tx VALUES (10)", 0, NULL), 0);
    assert_int_equal(dbpool_submit(pool, job, tally_cb, &rollback), 0);
    /* Pipelined right behind the failed transaction: must not see it. */
    submit_sql(pool, 0, "INSERT INTO tx VALUES (30)", &after);
    submit_sql(pool, DBPOOL_TX_SERIALIZABLE, "SHOW transaction_isolation", &iso);
    /* Serialization failures and deadlocks are worth a retry. */
    tally_t serial = {0}, deadlock = {0};
    submit_sql(pool, DBPOOL_TX,
               "DO $$BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END$$", &serial);
    submit_sql(pool, 0, "DO $$BEGIN RAISE EXCEPTION 'deadlock' USING ERRCODE = '40P01'; END$$",
               &deadlock);
    /* A violation found only at COMMIT, explicit and implicit. */
    submit_sql(pool, DBPOOL_TX, "INSERT INTO tx_child VALUES (1)", &deferred_tx);
    submit_sql(pool, 0, "INSERT INTO tx_child VALUES (2)", &deferred_implicit);

    assert_true(run_until(&loop, &deferred_implicit.done, 1, 30000));
    assert_int_equal(commit.ok, 1);
    assert_int_equal(rollback.failed, 1);
    assert_int_equal(rollback.last_stmt, 1);
    assert_string_equal(rollback.last_sqlstate, "23505");
    assert_int_equal(after.ok, 1);
    assert_int_equal(iso.ok, 1);
    assert_string_equal(iso.value, "serializable");
    assert_int_equal(deferred_tx.failed, 1);
    assert_int_equal(deferred_tx.last_stmt, -1);
    assert_string_equal(deferred_tx.last_sqlstate, "23503");
    assert_int_equal(deferred_implicit.failed, 1);
    assert_int_equal(deferred_implicit.last_stmt, -1);
    assert_string_equal(deferred_implicit.last_sqlstate, "23503");
    assert_int_equal(serial.retryable, 1);
    assert_string_equal(serial.last_sqlstate, "40001");
    assert_int_equal(deadlock.retryable, 1);
    assert_int_equal(rollback.retryable, 0);

    char v[256];
    query_value(&loop, pool, "SELECT array_agg(x ORDER BY x)::text FROM tx", v, sizeof(v));
    assert_string_equal(v, "{10,11,30}");
    query_value(&loop, pool, "SELECT count(*) FROM tx_child", v, sizeof(v));
    assert_string_equal(v, "0");
    finish(&loop, pool);
}

/* Binary parameters and results, and SQL NULL. */
typedef struct {
    int done;
    uint32_t n;
    char isnull[4];
} bin_t;

static void bin_cb(dbpool_job_t *job, const dbpool_error_t *err, void *data)
{
    bin_t *b = data;
    b->done++;
    if (err != NULL)
        fail_msg("binary job failed: %s", err->message);
    const PGresult *r = dbpool_job_result(job, 0);
    assert_int_equal(PQfformat(r, 0), 1);
    assert_int_equal(PQgetlength(r, 0, 0), 4);
    uint32_t be;
    memcpy(&be, PQgetvalue(r, 0, 0), 4);
    b->n = ntohl(be);
    snprintf(b->isnull, sizeof(b->isnull), "%s", PQgetvalue(dbpool_job_result(job, 1), 0, 0));
}

static void test_binary_and_null(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    dbpool_config_t cfg;
    base_config(&cfg);
    cfg.size = 1;
    cfg.prepared = g_prepared;
    cfg.nprepared = THIDUA_ARRAY_LEN(g_prepared);
    dbpool_t *pool = dbpool_new(&loop, &cfg);
    assert_non_null(pool);

    uint32_t be = htonl(41);
    char param[4];
    memcpy(param, &be, 4);
    const char *values[] = {param};
    int lengths[] = {4}, formats[] = {1};
    dbpool_stmt_t st = {.name = "inc4",
                        .nparams = 1,
                        .values = values,
                        .lengths = lengths,
                        .formats = formats,
                        .result_format = 1};
    dbpool_job_t *job = dbpool_job_new(0);
    assert_int_equal(dbpool_job_add(job, &st), 0);
    memset(param, 0xff, sizeof(param)); /* the job holds its own copy */
    const char *null_value[] = {NULL};
    assert_int_equal(dbpool_job_add_sql(job, "SELECT $1::text IS NULL", 1, null_value), 0);

    bin_t b = {0};
    assert_int_equal(dbpool_submit(pool, job, bin_cb, &b), 0);
    assert_true(run_until(&loop, &b.done, 1, 30000));
    assert_int_equal(b.n, 42);
    assert_string_equal(b.isnull, "t");
    finish(&loop, pool);
}

/* Notices go to the log; the password in the conninfo never does. */
static void test_notice_and_log(void **state)
{
    (void)state;
    char logpath[] = "/tmp/thidua-dbpool-log-XXXXXX";
    int logfd = mkstemp(logpath);
    assert_true(logfd >= 0);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(logfd, STDERR_FILENO) >= 0);

    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    char ci[256];
    snprintf(ci, sizeof(ci), "%s password=hunter2-secret", g_conninfo);
    dbpool_config_t cfg;
    base_config(&cfg);
    cfg.conninfo = ci;
    cfg.size = 1;
    dbpool_t *pool = dbpool_new(&loop, &cfg);
    assert_non_null(pool);
    tally_t t = {0};
    submit_sql(pool, 0, "DO $$BEGIN RAISE NOTICE 'hello from plpgsql'; END$$", &t);
    assert_true(run_until(&loop, &t.done, 1, 30000));
    finish(&loop, pool);

    assert_true(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    char buf[16384];
    ssize_t n = pread(logfd, buf, sizeof(buf) - 1, 0);
    close(logfd);
    unlink(logpath);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_int_equal(t.ok, 1);
    assert_non_null(strstr(buf, "event=db_notice"));
    assert_non_null(strstr(buf, "message=\"hello from plpgsql\""));
    assert_non_null(strstr(buf, "event=db_connected"));
    assert_null(strstr(buf, "hunter2"));
}

/*
 * Two hosts, the first refusing: libpq moves on to the second inside
 * PQconnectPoll with a new socket, which the pool must follow.
 */
static void test_multi_host(void **state)
{
    (void)state;
    int dead;
    int fd = loopback_socket(false, &dead);
    const char *port = getenv("PGPORT");
    assert_non_null(port);
    char ci[256];
    snprintf(ci, sizeof(ci), "host=127.0.0.1,127.0.0.1 port=%d,%s dbname=%s sslmode=disable", dead,
             port, g_dbname);
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    dbpool_config_t cfg;
    base_config(&cfg);
    cfg.conninfo = ci;
    cfg.size = 2;
    dbpool_t *pool = dbpool_new(&loop, &cfg);
    assert_non_null(pool);
    char v[256];
    query_value(&loop, pool, "SELECT inet_server_port()::text", v, sizeof(v));
    assert_string_equal(v, port);
    assert_int_equal(wait_conns_up(&loop, pool, 2), 2);
    dbpool_stats_t st;
    dbpool_stats(pool, &st);
    assert_int_equal(st.connect_attempts, 2); /* no retry was needed */
    finish(&loop, pool);
    close(fd);
}

/* ---- lost connections ---- */

typedef struct {
    int done;
    int ok;
    int lost;
    int other;
    int pid;
} pid_tally_t;

static void pid_cb(dbpool_job_t *job, const dbpool_error_t *err, void *data)
{
    pid_tally_t *t = data;
    t->done++;
    if (err == NULL) {
        t->ok++;
        t->pid = atoi(PQgetvalue(dbpool_job_result(job, 0), 0, 0));
    } else if (err->retryable && err->code == TD_ELOST) {
        t->lost++;
    } else {
        t->other++;
    }
}

static void submit_pid(dbpool_t *pool, pid_tally_t *t)
{
    dbpool_job_t *job = dbpool_job_new(0);
    assert_non_null(job);
    assert_int_equal(dbpool_job_add_prepared(job, "pid", 0, NULL), 0);
    assert_int_equal(dbpool_submit(pool, job, pid_cb, t), 0);
}

/* Kill the pool's backends from outside, with and without jobs in flight:
 * in-flight jobs fail retryably, prepared statements work after reconnect. */
static void test_reconnect_prepared(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    dbpool_config_t cfg;
    base_config(&cfg);
    cfg.application_name = "thidua-test-reconnect";
    cfg.size = 2;
    cfg.prepared = g_prepared;
    cfg.nprepared = THIDUA_ARRAY_LEN(g_prepared);
    dbpool_t *pool = dbpool_new(&loop, &cfg);
    assert_non_null(pool);

    pid_tally_t before = {0};
    submit_pid(pool, &before);
    assert_true(run_until(&loop, &before.done, 1, 30000));
    assert_int_equal(before.ok, 1);

    /* Jobs in flight when the backends die. */
    tally_t sleeping = {0};
    for (int i = 0; i < 4; i++)
        submit_sql(pool, 0, "SELECT pg_sleep(30)", &sleeping);
    run_for(&loop, 300);
    dbpool_stats_t st;
    dbpool_stats(pool, &st);
    assert_int_equal(st.inflight, 4);
    admin_exec("postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                           " WHERE application_name = 'thidua-test-reconnect'");
    assert_true(run_until(&loop, &sleeping.done, 4, 30000));
    assert_int_equal(sleeping.failed, 4);
    assert_int_equal(sleeping.retryable, 4);
    assert_int_equal(sleeping.last_kind, TD_ELOST);

    /* The pool reconnects by itself and prepares its statements again. */
    assert_int_equal(wait_conns_up(&loop, pool, 2), 2);
    dbpool_stats(pool, &st);
    assert_int_equal(st.disconnects, 2);
    assert_true(st.connects >= 4);

    pid_tally_t after = {0};
    for (int i = 0; i < 10; i++)
        submit_pid(pool, &after);
    assert_true(run_until(&loop, &after.done, 10, 30000));
    assert_int_equal(after.ok, 10);
    assert_int_not_equal(after.pid, before.pid);
    finish(&loop, pool);
}

/* ---- the loop keeps its rhythm ---- */

typedef struct {
    uint64_t last_ns;
    uint64_t max_gap_ns;
    int ticks;
    int late;        /* ticks seen before the first job finished (when done is set) */
    const int *done; /* a tally's count of finished jobs, or NULL */
} ticker_t;

static void on_tick(uv_timer_t *t)
{
    ticker_t *k = t->data;
    uint64_t now = uv_hrtime();
    if (k->last_ns != 0) {
        uint64_t gap = now - k->last_ns;
        if (gap > k->max_gap_ns)
            k->max_gap_ns = gap;
    }
    k->last_ns = now;
    k->ticks++;
    if (k->done != NULL && *k->done == 0)
        k->late++;
}

/*
 * A 10 ms timer keeps firing while jobs that each keep the server busy for
 * 500 ms run. A pool that waited for the database anywhere would let no tick
 * through before the first job finished; a non-blocking one lets dozens
 * through. The bound asks for a tenth of that, so a busy test host that
 * deschedules us now and then does not make the test fail: it is about
 * blocking, not about speed.
 */
static void test_loop_not_blocked(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    dbpool_config_t cfg;
    base_config(&cfg);
    cfg.size = 10;
    cfg.queue_timeout_ms = 120000;
    dbpool_t *pool = dbpool_new(&loop, &cfg);
    assert_non_null(pool);
    /* Connect first so that connecting is not part of the measure. */
    assert_int_equal(wait_conns_up(&loop, pool, cfg.size), cfg.size);

    tally_t t = {0};
    for (int i = 0; i < 20; i++) {
        dbpool_job_t *job = dbpool_job_new(0);
        assert_int_equal(dbpool_job_add_sql(job, "SELECT pg_sleep(0.5)", 0, NULL), 0);
        assert_int_equal(dbpool_job_add_sql(
                             job, "SELECT g, md5(g::text) FROM generate_series(1, 300) g", 0, NULL),
                         0);
        assert_int_equal(dbpool_submit(pool, job, tally_cb, &t), 0);
    }
    ticker_t k = {0};
    uv_timer_t tick;
    uv_timer_init(&loop, &tick);
    tick.data = &k;
    k.done = &t.done;
    uv_timer_start(&tick, on_tick, 10, 10);
    uint64_t start = uv_hrtime();
    assert_true(run_until(&loop, &t.done, 20, 120000));
    uint64_t elapsed_ms = (uv_hrtime() - start) / 1000000u;
    uv_close((uv_handle_t *)&tick, NULL);
    assert_int_equal(t.ok, 20);

    print_message("dbpool: 20 jobs of 500 ms in %llu ms, %d ticks, %d before the first job "
                  "finished, max gap %.1f ms\n",
                  (unsigned long long)elapsed_ms, k.ticks, k.late, (double)k.max_gap_ns / 1e6);
    assert_true(elapsed_ms >= 900); /* the jobs really took time */
    assert_true(k.late >= 5);
    finish(&loop, pool);
}

/* ---- nobody there ---- */

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Nothing listens on the port: jobs fail retryably after queue_timeout, and
 * the reconnect attempts back off instead of spinning. */
static void test_no_listener(void **state)
{
    (void)state;
    int port;
    int fd = loopback_socket(false, &port); /* bound, never listening: refused */
    char ci[128];
    snprintf(ci, sizeof(ci), "hostaddr=127.0.0.1 port=%d dbname=x user=x", port);

    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    dbpool_config_t cfg;
    base_config(&cfg);
    cfg.conninfo = ci;
    cfg.size = 2;
    cfg.queue_timeout_ms = 300;
    double cpu0 = cpu_seconds();
    uint64_t t0 = uv_hrtime();
    dbpool_t *pool = dbpool_new(&loop, &cfg);
    assert_non_null(pool);

    tally_t t = {0};
    for (int i = 0; i < 5; i++)
        submit_sql(pool, 0, "SELECT 1", &t);
    assert_true(run_until(&loop, &t.done, 5, 10000));
    assert_int_equal(t.failed, 5);
    assert_int_equal(t.retryable, 5);
    assert_int_equal(t.last_kind, TD_EUNAVAILABLE);
    assert_non_null(strstr(t.last_message, "no database connection"));
    assert_non_null(strstr(t.last_message, "refused")); /* libpq's reason, not libuv's */

    run_for(&loop, 2500);
    double cpu = cpu_seconds() - cpu0;
    double wall = (double)(uv_hrtime() - t0) / 1e9;
    dbpool_stats_t st;
    dbpool_stats(pool, &st);
    print_message("dbpool: %llu connect attempts in %.1f s, cpu %.3f s\n",
                  (unsigned long long)st.connect_attempts, wall, cpu);
    assert_int_equal(st.conns_up, 0);
    /* Per connection 100, 200, 400, 800, 1600 ms (jittered down to half). */
    assert_true(st.connect_attempts >= 2 * 3);
    assert_true(st.connect_attempts <= 2 * 9);
    assert_true(cpu < 0.25 * wall);
    finish(&loop, pool);
    close(fd);
}

/* A server that accepts but never answers: the pool's own connect timeout. */
static void test_connect_timeout(void **state)
{
    (void)state;
    int port;
    int fd = loopback_socket(true, &port);
    char ci[128];
    snprintf(ci, sizeof(ci), "hostaddr=127.0.0.1 port=%d dbname=x user=x sslmode=disable", port);

    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    dbpool_config_t cfg;
    base_config(&cfg);
    cfg.conninfo = ci;
    cfg.size = 1;
    cfg.connect_timeout_ms = 200;
    cfg.queue_timeout_ms = 1000;
    dbpool_t *pool = dbpool_new(&loop, &cfg);
    assert_non_null(pool);
    tally_t t = {0};
    submit_sql(pool, 0, "SELECT 1", &t);
    assert_true(run_until(&loop, &t.done, 1, 10000));
    assert_int_equal(t.retryable, 1);
    assert_int_equal(t.last_kind, TD_EUNAVAILABLE);
    assert_non_null(strstr(t.last_message, "timeout expired"));
    finish(&loop, pool);
    close(fd);
}

/* ---- PostgreSQL itself goes away ---- */

typedef struct {
    int exited;
    int64_t status;
} spawn_t;

static void on_exit_cb(uv_process_t *proc, int64_t status, int sig)
{
    spawn_t *s = proc->data;
    s->status = sig ? -sig : status;
    s->exited = 1;
    uv_close((uv_handle_t *)proc, NULL);
}

/* Run a shell command without stopping the loop; returns its exit status. */
static int64_t spawn_and_wait(uv_loop_t *loop, const char *cmd)
{
    uv_process_t proc;
    spawn_t s = {0};
    char *args[] = {"sh", "-c", (char *)cmd, NULL};
    uv_stdio_container_t stdio[3] = {{.flags = UV_IGNORE},
                                     {.flags = UV_INHERIT_FD, .data.fd = 2},
                                     {.flags = UV_INHERIT_FD, .data.fd = 2}};
    uv_process_options_t opt = {
        .exit_cb = on_exit_cb, .file = "sh", .args = args, .stdio_count = 3, .stdio = stdio};
    proc.data = &s;
    assert_int_equal(uv_spawn(loop, &proc, &opt), 0);
    assert_true(run_until(loop, &s.exited, 1, 120000));
    uv_run(loop, UV_RUN_NOWAIT); /* let the process handle close */
    return s.status;
}

/* pg_ctl as the cluster's owner (postgres when we are root, see pgcluster). */
static void pg_ctl_cmd(char *buf, size_t size, const char *dir, const char *args)
{
    snprintf(buf, size,
             "PGCTL=\"$(pg_config --bindir 2>/dev/null)/pg_ctl\"; "
             "[ -x \"$PGCTL\" ] || PGCTL=pg_ctl; "
             "%s \"$PGCTL\" -D %s/data %s",
             getuid() == 0 ? "runuser -u postgres --" : "", dir, args);
}

typedef struct {
    dbpool_t *pool;
    uv_timer_t retry;
    int done;
    int attempts;
} retry_t;

static void retry_submit(retry_t *r);
static void on_retry_timer(uv_timer_t *t);

static void retry_cb(dbpool_job_t *job, const dbpool_error_t *err, void *data)
{
    (void)job;
    retry_t *r = data;
    if (err == NULL) {
        r->done = 1;
        return;
    }
    assert_true(err->retryable); /* a client would retry exactly these */
    uv_timer_start(&r->retry, on_retry_timer, 200, 0);
}

static void on_retry_timer(uv_timer_t *t)
{
    retry_submit(t->data);
}

static void retry_submit(retry_t *r)
{
    r->attempts++;
    dbpool_job_t *job = dbpool_job_new(DBPOOL_TX);
    assert_int_equal(dbpool_job_add_sql(job, "SELECT 1", 0, NULL), 0);
    assert_int_equal(dbpool_submit(r->pool, job, retry_cb, r), 0);
}

static char g_restart_dir[64];

/* Runs even when the test fails, so no private cluster outlives it. */
static int restart_teardown(void **state)
{
    (void)state;
    const char *src = getenv("THIDUA_TEST_SRCDIR");
    if (src == NULL || g_restart_dir[0] == '\0')
        return 0;
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "%s/tests/integration/pgcluster stop %s", src, g_restart_dir);
    int rc = system(cmd);
    g_restart_dir[0] = '\0';
    return rc == 0 ? 0 : -1;
}

static void test_pg_restart(void **state)
{
    (void)state;
    const char *src = getenv("THIDUA_TEST_SRCDIR");
    assert_non_null(src);
    char dir[64], cmd[1200], port[16], user[64], ci[256];
    snprintf(dir, sizeof(dir), "/tmp/thidua-dbr-%ld", (long)getpid());
    snprintf(g_restart_dir, sizeof(g_restart_dir), "%s", dir);
    snprintf(cmd, sizeof(cmd), "%s/tests/integration/pgcluster start %s >/dev/null", src, dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(env_value(dir, "PGPORT", port, sizeof(port)), 0);
    assert_int_equal(env_value(dir, "PGUSER", user, sizeof(user)), 0);
    snprintf(ci, sizeof(ci), "host=%s port=%s user=%s dbname=postgres", dir, port, user);

    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    dbpool_config_t cfg;
    base_config(&cfg);
    cfg.conninfo = ci;
    cfg.size = 2;
    cfg.queue_timeout_ms = 1000;
    dbpool_t *pool = dbpool_new(&loop, &cfg);
    assert_non_null(pool);
    char v[256];
    query_value(&loop, pool, "SELECT 'up'", v, sizeof(v));
    assert_string_equal(v, "up");

    /* Stop the server hard with jobs in flight; the loop keeps ticking. */
    tally_t inflight = {0};
    for (int i = 0; i < 6; i++)
        submit_sql(pool, 0, "SELECT pg_sleep(20)", &inflight);
    run_for(&loop, 300);
    dbpool_stats_t st;
    dbpool_stats(pool, &st);
    assert_int_equal(st.inflight, 6);
    ticker_t k = {0};
    uv_timer_t tick;
    uv_timer_init(&loop, &tick);
    tick.data = &k;
    uv_timer_start(&tick, on_tick, 10, 10);
    char stop[1400];
    pg_ctl_cmd(stop, sizeof(stop), dir, "-m immediate -w stop >/dev/null");
    assert_int_equal(spawn_and_wait(&loop, stop), 0);
    assert_true(run_until(&loop, &inflight.done, 6, 30000));
    assert_int_equal(inflight.failed, 6);
    assert_int_equal(inflight.retryable, 6);
    assert_true(k.ticks > 0);

    /* While it is down, new jobs fail retryably after the queue timeout. */
    tally_t down = {0};
    submit_sql(pool, 0, "SELECT 1", &down);
    assert_true(run_until(&loop, &down.done, 1, 10000));
    assert_int_equal(down.retryable, 1);
    assert_int_equal(down.last_kind, TD_EUNAVAILABLE);

    /* Start it again: a client that retries gets through. */
    char start[1400], opts[400];
    snprintf(opts, sizeof(opts),
             "-l %s/server.log -w -t 60 start -o \"-k %s -p %s -c listen_addresses=127.0.0.1\" "
             ">/dev/null",
             dir, dir, port);
    pg_ctl_cmd(start, sizeof(start), dir, opts);
    assert_int_equal(spawn_and_wait(&loop, start), 0);
    retry_t r = {.pool = pool};
    uv_timer_init(&loop, &r.retry);
    r.retry.data = &r;
    retry_submit(&r);
    assert_true(run_until(&loop, &r.done, 1, 30000));
    uv_close((uv_handle_t *)&r.retry, NULL);
    uv_close((uv_handle_t *)&tick, NULL);
    dbpool_stats(pool, &st);
    assert_true(st.disconnects >= 2);
    print_message("dbpool: back after %d attempts, %d ticks while down\n", r.attempts, k.ticks);
    finish(&loop, pool);
}

/* ---- closing ---- */

static void test_close(void **state)
{
    (void)state;
    /* Jobs already submitted finish before the pool closes. */
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    dbpool_config_t cfg;
    base_config(&cfg);
    cfg.size = 2;
    dbpool_t *pool = dbpool_new(&loop, &cfg);
    assert_non_null(pool);
    tally_t t = {0};
    for (int i = 0; i < 50; i++)
        submit_sql(pool, 0, "SELECT 1", &t);
    finish(&loop, pool);
    assert_int_equal(t.ok, 50);

    /* Past close_timeout_ms, what is left fails (retryably) and the pool closes. */
    assert_int_equal(uv_loop_init(&loop), 0);
    cfg.close_timeout_ms = 200;
    pool = dbpool_new(&loop, &cfg);
    assert_non_null(pool);
    tally_t slow = {0};
    for (int i = 0; i < 4; i++)
        submit_sql(pool, 0, "SELECT pg_sleep(3)", &slow);
    run_for(&loop, 300);
    uint64_t t0 = uv_hrtime();
    finish(&loop, pool);
    assert_true(uv_hrtime() - t0 < 2000 * 1000000ull);
    assert_int_equal(slow.failed, 4);
    assert_int_equal(slow.retryable, 4);
    assert_int_equal(slow.last_kind, TD_ECLOSED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple),
        cmocka_unit_test(test_stats_and_rejects),
        cmocka_unit_test(test_many_jobs),
        cmocka_unit_test(test_error_isolation),
        cmocka_unit_test(test_transaction),
        cmocka_unit_test(test_binary_and_null),
        cmocka_unit_test(test_notice_and_log),
        cmocka_unit_test(test_multi_host),
        cmocka_unit_test(test_reconnect_prepared),
        cmocka_unit_test(test_loop_not_blocked),
        cmocka_unit_test(test_no_listener),
        cmocka_unit_test(test_connect_timeout),
        cmocka_unit_test_teardown(test_pg_restart, restart_teardown),
        cmocka_unit_test(test_close),
    };
    /* THIDUA_TEST_FILTER=test_close runs one test (cmocka glob). */
    if (getenv("THIDUA_TEST_FILTER") != NULL)
        cmocka_set_test_filter(getenv("THIDUA_TEST_FILTER"));
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
