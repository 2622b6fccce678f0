/*
 * test_sync.c - `thidua sync` end to end: the real thidua and thiduad, a real
 * PostgreSQL, certificates from scripts/pki.
 *
 * What a province relies on: records made offline in every district arrive
 * exactly once; a client killed at any moment, or a server killed under it,
 * loses nothing and duplicates nothing once a sync completes; a decision of
 * the province reaches the district's store and locks the record there; a
 * sync that cannot reach the server says what still waits and exits 3; the
 * records the server refuses are named with the field and the reason (exit 6).
 *
 * Records are put in the district stores with the store API, exactly as
 * `thidua add` stores them (validated and hashed by common/record.c), which
 * makes thousands of them in a second.
 *
 *   test_sync           the default suite (label integration)
 *   test_sync --soak    100,000 pending records: peak RSS and records/s of the
 *                       client (label soak; not in the default run)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "record.h"
#include "store.h"
#include "uuid.h"

#define CAMPAIGN "HG-DB-2025"
#define CLIENT_TIMEOUT_MS 300000

static harness_pki_t pki;

/* One test's database and server (made by the per-test setup). */
typedef struct fixture {
    char conninfo[HARNESS_CONNINFO_MAX];
    harness_server_t srv;
} fixture_t;

/* ------------------------------------------------------------------------- */
/* Helpers: time, records, stores */

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* The achievement report of the records put_record makes; NULL: a short one. */
static const char *record_summary;

/*
 * Store one record as `thidua add` (insert) or `thidua edit` (update) would:
 * validated and normalised by record_from_proto, hashed by
 * record_content_hash. n names the nominee, variant the title (an edit
 * changes it), achieved_on may be outside the campaign (the server refuses
 * that, the store does not look). Returns the store's result.
 */
static int put_record(store_t *st, const char *id, const char *unit, unsigned n, unsigned variant,
                      const char *achieved_on, bool update)
{
    char name[96], title[160];
    snprintf(name, sizeof(name), "Nguyễn Thị Thu Hương %u", n);
    snprintf(title, sizeof(title), "Hoàn thành xuất sắc nhiệm vụ năm 2024 (bản %u)", variant);
    Thidua__V1__Record in = THIDUA__V1__RECORD__INIT;
    in.id = (char *)id;
    in.campaign = CAMPAIGN;
    in.org_unit = (char *)unit;
    in.nominee_kind = "individual";
    in.nominee_name = name;
    in.birth_date = "1985-03-12";
    in.gender = "female";
    in.position = "Giáo viên";
    in.workplace = "Trường THCS Thị trấn Cây Dương";
    in.title = title;
    in.summary =
        record_summary != NULL
            ? (char *)record_summary
            : "Báo cáo thành tích:\n- Giáo viên dạy giỏi cấp huyện\n- Sáng kiến kinh nghiệm";
    in.category = "KT_XH";
    in.achieved_on = (char *)achieved_on;
    in.proposed_award = "BK_UBND_TINH";
    in.revision = 1; /* validated as a first revision; the store numbers edits itself */

    record_t r;
    valid_error_t verr;
    int rc = record_from_proto(&r, &in, NULL, &verr);
    if (rc != TD_OK)
        fail_msg("test record invalid: %s: %s", verr.field, verr.reason);
    uint8_t hash[RECORD_HASH_LEN];
    if (record_content_hash(&r, hash) != 0)
        fail_msg("record_content_hash failed");
    Thidua__V1__Record out = THIDUA__V1__RECORD__INIT;
    record_to_proto(&r, &out);
    out.revision = 0;
    out.content_hash.data = hash;
    out.content_hash.len = RECORD_HASH_LEN;
    rc = update ? store_record_update(st, &out, wall_ms())
                : store_record_insert(st, &out, wall_ms());
    record_free(&r);
    return rc;
}

/* out = dir + "/" + name; fails the test when it does not fit. */
static void path_join(char *out, size_t size, const char *dir, const char *name)
{
    int n = snprintf(out, size, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= size)
        fail_msg("path too long: %s/%s", dir, name);
}

static store_t *store_open_ok(const char *path)
{
    store_t *st = NULL;
    char err[512];
    int rc = store_open(path, NULL, &st, err, sizeof(err));
    if (rc != TD_OK)
        fail_msg("store_open %s: %s", path, err);
    return st;
}

/* A district office: its configuration file and store. */
typedef struct office {
    char dir[HARNESS_PATH_MAX];
    char config[HARNESS_PATH_MAX];
    char store[HARNESS_PATH_MAX];
    char unit[8];
    char (*ids)[UUID_STR_SIZE]; /* the records made, in order; owned */
    size_t n;
} office_t;

/*
 * Edits are queued this many records after the first revision of the record
 * they edit: in another outbox page, so that both revisions could be in
 * flight at once in two pushes (which the client must not allow).
 */
#define EDIT_LAG 150

/*
 * Make an office of unit `unit` in a directory named `name`, whose client
 * talks to port, with n new records of which every `edit_every`-th (0: none)
 * is edited once (revision 2, queued EDIT_LAG records later). One
 * transaction, as a CSV import is.
 */
static void office_make(office_t *o, const char *name, const char *unit, int port, size_t n,
                        size_t edit_every)
{
    memset(o, 0, sizeof(*o));
    snprintf(o->unit, sizeof(o->unit), "%s", unit);
    harness_tmp_mkdir(o->dir, sizeof(o->dir), "%s", name);
    harness_client_config(o->dir, unit, "district", &pki, port, o->config, sizeof(o->config));
    char file[16];
    snprintf(file, sizeof(file), "%s.db", unit);
    path_join(o->store, sizeof(o->store), o->dir, file);
    o->ids = calloc(n > 0 ? n : 1, sizeof(*o->ids));
    assert_non_null(o->ids);
    o->n = n;

    store_t *st = store_open_ok(o->store);
    assert_int_equal(store_begin(st), TD_OK);
    for (size_t i = 0; i < n + EDIT_LAG; i++) {
        if (i < n) {
            assert_int_equal(uuid_v4(o->ids[i]), TD_OK);
            int rc = put_record(st, o->ids[i], unit, (unsigned)i, 1, "2024-09-02", false);
            if (rc != TD_OK)
                fail_msg("store_record_insert: %s", store_errmsg(st));
        }
        size_t e = i - EDIT_LAG;
        if (edit_every > 0 && i >= EDIT_LAG && e < n && e % edit_every == 0) {
            int rc = put_record(st, o->ids[e], unit, (unsigned)e, 2, "2024-09-02", true);
            if (rc != TD_OK)
                fail_msg("store_record_update: %s", store_errmsg(st));
        }
    }
    assert_int_equal(store_commit(st), TD_OK);
    store_close(st);
}

static void office_free(office_t *o)
{
    free(o->ids);
    o->ids = NULL;
}

static uint64_t office_outbox(const office_t *o)
{
    store_t *st = store_open_ok(o->store);
    uint64_t n = 0;
    assert_int_equal(store_outbox_count(st, &n), TD_OK);
    store_close(st);
    return n;
}

static uint64_t office_cursor(const office_t *o)
{
    store_t *st = store_open_ok(o->store);
    uint64_t n = 0;
    assert_int_equal(store_cursor(st, &n), TD_OK);
    store_close(st);
    return n;
}

/* ------------------------------------------------------------------------- */
/* Running the client */

/* The number after "key": in a JSON object (one level, as --json prints it); -1 if absent. */
static long long json_num(const char *json, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = json != NULL ? strstr(json, pat) : NULL;
    if (p == NULL)
        return -1;
    return strtoll(p + strlen(pat), NULL, 10);
}

/* thidua -c CONFIG --json sync ARGS... in the foreground; returns the exit code. */
static int sync_run(const office_t *o, harness_output_t *out, ...)
{
    const char *argv[24];
    size_t n = 0;
    argv[n++] = harness_thidua_path();
    argv[n++] = "-c";
    argv[n++] = o->config;
    argv[n++] = "--json";
    argv[n++] = "sync";
    va_list ap;
    va_start(ap, out);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && n < 23)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    return harness_run(argv, NULL, out);
}

/* A client in the background, its stdout and stderr in OUT.out and OUT.err beside its store. */
typedef struct bg {
    pid_t pid;
    char out[HARNESS_PATH_MAX];
    char err[HARNESS_PATH_MAX];
} bg_t;

static void bg_start(bg_t *b, const office_t *o, const char *const *extra)
{
    path_join(b->out, sizeof(b->out), o->dir, "sync.out");
    path_join(b->err, sizeof(b->err), o->dir, "sync.err");
    const char *argv[24];
    size_t n = 0;
    argv[n++] = harness_thidua_path();
    argv[n++] = "-c";
    argv[n++] = o->config;
    argv[n++] = "--json";
    argv[n++] = "sync";
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 23; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    pid_t pid = harness_fork();
    if (pid == 0) {
        int fo = open(b->out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fe = open(b->err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fi = open("/dev/null", O_RDONLY);
        if (fo < 0 || fe < 0 || fi < 0 || dup2(fi, 0) < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0)
            _exit(127);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    b->pid = pid;
}

/* Whether a background client still runs (it is not reaped here). */
static bool bg_running(const bg_t *b)
{
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    if (waitid(P_PID, b->pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
        return false;
    return si.si_pid == 0;
}

/* Wait for a background client to finish; its exit code (128 + signal if killed). */
static int bg_wait(bg_t *b, int timeout_ms)
{
    int status = harness_child_stop(b->pid, 0, timeout_ms);
    b->pid = 0;
    if (status == -1)
        fail_msg("the client could not be waited for");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void bg_print(const bg_t *b)
{
    char *out = harness_read_file(b->out), *err = harness_read_file(b->err);
    print_message("client stdout:\n%s\nclient stderr:\n%s\n", out ? out : "", err ? err : "");
    free(out);
    free(err);
}

/* ------------------------------------------------------------------------- */
/* The province's side, in SQL */

static long long db_records(const fixture_t *f, const char *unit)
{
    return harness_db_int(f->conninfo,
                          "SELECT count(*) FROM thidua.record r JOIN thidua.org_unit u"
                          " ON u.id = r.org_unit_id WHERE u.code = '%s'",
                          unit);
}

static long long db_revisions(const fixture_t *f, const char *unit)
{
    return harness_db_int(f->conninfo,
                          "SELECT count(*) FROM thidua.record_revision v JOIN thidua.record r"
                          " ON r.id = v.record_id JOIN thidua.org_unit u ON u.id = r.org_unit_id"
                          " WHERE u.code = '%s'",
                          unit);
}

/*
 * Every record of the unit holds exactly the revisions 1..its revision, each
 * once, and the record's current revision is its highest: no revision
 * missing, none twice, none out of order.
 */
static void db_check_histories(const fixture_t *f, const char *unit)
{
    long long bad = harness_db_int(
        f->conninfo,
        "SELECT count(*) FROM thidua.record r JOIN thidua.org_unit u ON u.id = r.org_unit_id"
        " LEFT JOIN (SELECT record_id, count(*) AS n, count(DISTINCT revision) AS d,"
        "                   max(revision) AS m FROM thidua.record_revision GROUP BY record_id) v"
        "   ON v.record_id = r.id"
        " WHERE u.code = '%s' AND (v.n IS NULL OR v.n <> v.d OR v.n <> v.m OR r.revision <> v.m)",
        unit);
    assert_int_equal(bad, 0);
}

/* The same for the feed: one change per stored revision. */
static void db_check_feed(const fixture_t *f, const char *unit)
{
    long long bad =
        harness_db_int(f->conninfo,
                       "SELECT count(*) FROM (SELECT f.record_id, f.revision, count(*) AS n"
                       "  FROM thidua.change_feed f JOIN thidua.org_unit u ON u.id = f.org_unit_id"
                       " WHERE u.code = '%s' AND f.kind IN ('revision', 'withdraw')"
                       " GROUP BY f.record_id, f.revision) x WHERE x.n <> 1",
                       unit);
    assert_int_equal(bad, 0);
}

/* ------------------------------------------------------------------------- */
/* Fixtures */

static int group_setup(void **state)
{
    (void)state;
    harness_pki_make(&pki);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    harness_cleanup();
    return 0;
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    harness_db_create(f->conninfo, sizeof(f->conninfo));
    harness_server_start(&f->srv, &pki, f->conninfo, NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    if (f == NULL)
        return 0;
    harness_server_stop(&f->srv, SIGTERM);
    harness_db_drop(f->conninfo);
    free(f);
    return 0;
}

/* Restart the server on the port the clients know (a crashed server comes back). */
static void server_restart(fixture_t *f, int port)
{
    char listen[32];
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
    harness_server_opts_t o = {.listen = listen};
    harness_server_start(&f->srv, &pki, f->conninfo, &o);
    assert_int_equal(f->srv.port, port);
}

/* ------------------------------------------------------------------------- */
/* Tests */

/*
 * Eight districts work offline (the server is down) and make 1,000 records
 * each. They all run `thidua sync` while the server is still down, and it
 * comes up a moment later: every sync retries, gets through, and the
 * province holds exactly the 8,000 records, each once.
 */
static void test_eight_districts_offline(void **state)
{
    fixture_t *f = *state;
    int port = f->srv.port;
    assert_int_equal(harness_server_stop(&f->srv, SIGTERM), 0);

    enum { OFFICES = 8, PER_OFFICE = 1000 };
    static office_t o[OFFICES];
    bg_t bg[OFFICES];
    for (int i = 0; i < OFFICES; i++) {
        char unit[8], name[32];
        snprintf(unit, sizeof(unit), "%d", 930 + i);
        snprintf(name, sizeof(name), "offline-%s", unit);
        office_make(&o[i], name, unit, port, PER_OFFICE, 0);
    }
    for (int i = 0; i < OFFICES; i++)
        bg_start(&bg[i], &o[i], NULL);
    sleep_ms(1200); /* every client has failed to connect at least once */
    server_restart(f, port);

    for (int i = 0; i < OFFICES; i++) {
        int code = bg_wait(&bg[i], CLIENT_TIMEOUT_MS);
        if (code != 0)
            bg_print(&bg[i]);
        assert_int_equal(code, 0);
        char *out = harness_read_file(bg[i].out);
        assert_int_equal(json_num(out, "pushed"), PER_OFFICE);
        assert_int_equal(json_num(out, "applied"), PER_OFFICE);
        assert_int_equal(json_num(out, "remaining"), 0);
        assert_true(json_num(out, "attempts") >= 2); /* the first met a closed port */
        free(out);
        assert_int_equal(office_outbox(&o[i]), 0);
    }

    assert_int_equal(harness_db_int(f->conninfo, "SELECT count(*) FROM thidua.record"),
                     OFFICES * PER_OFFICE);
    assert_int_equal(harness_db_int(f->conninfo, "SELECT count(DISTINCT id) FROM thidua.record"),
                     OFFICES * PER_OFFICE);
    assert_int_equal(harness_db_int(f->conninfo, "SELECT count(*) FROM thidua.record_revision"),
                     OFFICES * PER_OFFICE);
    for (int i = 0; i < OFFICES; i++) {
        assert_int_equal(db_records(f, o[i].unit), PER_OFFICE);
        db_check_histories(f, o[i].unit);
        /* Each office's ids, and nothing else, are in its unit. */
        long long mine =
            harness_db_int(f->conninfo,
                           "SELECT count(*) FROM thidua.record WHERE id IN"
                           " ('%s', '%s', '%s')",
                           o[i].ids[0], o[i].ids[PER_OFFICE / 2], o[i].ids[PER_OFFICE - 1]);
        assert_int_equal(mine, 3);
        office_free(&o[i]);
    }
}

/*
 * 5,000 records and 500 edits (5,500 revisions) from one office. The client
 * is killed with SIGKILL at ten random moments of its sync; then a sync runs
 * to the end. The province holds each revision exactly once, every history
 * is whole, and the client's outbox is empty.
 */
static void test_client_killed(void **state)
{
    fixture_t *f = *state;
    enum { RECORDS = 5000, EDIT_EVERY = 10, REVISIONS = RECORDS + RECORDS / EDIT_EVERY };
    office_t o;
    office_make(&o, "killed", "934", f->srv.port, RECORDS, EDIT_EVERY);
    assert_int_equal(office_outbox(&o), REVISIONS);

    /* A time-dependent seed, printed, so that a failure can be replayed. */
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    const char *s = getenv("THIDUA_TEST_SEED");
    if (s != NULL && s[0] != '\0')
        seed = (unsigned)strtoul(s, NULL, 10);
    print_message("client kill test: seed %u (THIDUA_TEST_SEED replays it)\n", seed);
    srand(seed);

    /*
     * Smaller requests: more of them, so the kills land between and inside
     * many. Seven kills come while pushing, each after a random number of
     * revisions (0 to 399) has been stored by the server plus a random
     * moment (0 to 29 ms): so they land anywhere from the TLS handshake to
     * the middle of an ack being stored, however fast this machine is, and
     * seven of them leave revisions to push even at 10,000 a second. Three
     * more come a random moment (0 to 149 ms) after the pull has stored its
     * first page.
     */
    static const char *const small[] = {"--batch", "100", "--pull-limit", "200", NULL};
    uint64_t before = REVISIONS;
    int finished = 0;
    for (int k = 0; k < 10; k++) {
        bool pulling = k >= 7;
        long long base = db_revisions(f, "934");
        uint64_t cursor0 = office_cursor(&o);
        int target = rand() % 400, extra = rand() % (pulling ? 150 : 30);
        bg_t bg;
        bg_start(&bg, &o, small);
        double limit = mono_s() + 120;
        while (bg_running(&bg) && mono_s() < limit) {
            if (pulling ? office_cursor(&o) > cursor0 : db_revisions(f, "934") >= base + target)
                break;
            sleep_ms(10);
        }
        sleep_ms(extra);
        bool ran = bg_running(&bg);
        int status = harness_child_stop(bg.pid, SIGKILL, 10000);
        if (!ran) {
            finished++;
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                bg_print(&bg);
            assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        uint64_t left = office_outbox(&o), cursor = office_cursor(&o);
        assert_true(left <= before); /* entries only ever leave on acks */
        before = left;
        print_message("kill %d (%s, %s): %" PRIu64 " revisions waiting, cursor %" PRIu64 "\n",
                      k + 1, pulling ? "pull" : "push", ran ? "killed" : "had finished", left,
                      cursor);
    }
    /* The push kills cannot miss; a pull may end before its kill. */
    assert_true(finished <= 3);

    harness_output_t out;
    int code = sync_run(&o, &out, NULL);
    if (code != 0)
        print_message("stdout: %s\nstderr: %s\n", out.out, out.err);
    assert_int_equal(code, 0);
    assert_int_equal(json_num(out.out, "remaining"), 0);
    assert_int_equal(json_num(out.out, "pushed"), (long long)before);
    harness_output_free(&out);
    assert_int_equal(office_outbox(&o), 0);

    assert_int_equal(db_records(f, "934"), RECORDS);
    assert_int_equal(db_revisions(f, "934"), REVISIONS);
    db_check_histories(f, "934");
    db_check_feed(f, "934");
    assert_int_equal(
        harness_db_int(f->conninfo, "SELECT count(*) FROM thidua.record WHERE revision = 2"),
        RECORDS / EDIT_EVERY);

    /* The store agrees: everything synced, nothing refused, the feed read to its end. */
    store_t *st = store_open_ok(o.store);
    store_summary_t sum;
    assert_int_equal(store_summary(st, &sum), TD_OK);
    assert_int_equal(sum.records, RECORDS);
    assert_int_equal(sum.outbox, 0);
    assert_int_equal(sum.pending, 0);
    assert_int_equal(sum.refused, 0);
    assert_int_equal((long long)sum.cursor,
                     harness_db_int(f->conninfo, "SELECT max(seq) FROM thidua.change_feed"));
    assert_true(sum.last_sync_ms > 0);
    store_close(st);

    /* A sync with nothing to do sends nothing, pulls nothing, and exits 0. */
    code = sync_run(&o, &out, NULL);
    assert_int_equal(code, 0);
    assert_int_equal(json_num(out.out, "pushed"), 0);
    assert_int_equal(json_num(out.out, "pulled"), 0);
    harness_output_free(&out);
    office_free(&o);
}

/*
 * The server is killed (SIGKILL: transactions cut mid-way) while a client
 * pushes, and comes back on the same port: the client retries, finishes,
 * and the province holds every revision exactly once.
 */
static void test_server_killed(void **state)
{
    fixture_t *f = *state;
    enum { RECORDS = 5000, EDIT_EVERY = 20, REVISIONS = RECORDS + RECORDS / EDIT_EVERY };
    office_t o;
    int port = f->srv.port;
    office_make(&o, "server-killed", "935", port, RECORDS, EDIT_EVERY);

    static const char *const small[] = {"--batch", "100", NULL};
    bg_t bg;
    bg_start(&bg, &o, small);
    /* Wait until part of the outbox is stored, then pull the plug. */
    double deadline = mono_s() + 60;
    long long stored = 0;
    while ((stored = db_records(f, "935")) < 300 && mono_s() < deadline)
        sleep_ms(20);
    assert_true(stored >= 300);
    harness_server_kill(&f->srv);
    long long at_kill = db_records(f, "935");
    sleep_ms(800);
    server_restart(f, port);

    int code = bg_wait(&bg, CLIENT_TIMEOUT_MS);
    char *out = harness_read_file(bg.out);
    char *err = harness_read_file(bg.err);
    if (code != 0)
        print_message("stdout: %s\nstderr: %s\n", out, err);
    assert_int_equal(code, 0);
    print_message("server kill test: %lld of %d records stored when the server died; "
                  "the client took %lld attempts\n",
                  at_kill, RECORDS, json_num(out, "attempts"));
    assert_true(at_kill < RECORDS); /* the kill did land during the push */
    assert_true(json_num(out, "attempts") >= 2);
    assert_int_equal(json_num(out, "remaining"), 0);
    harness_assert_contains(err, "trying again in"); /* the officer hears why it waits */
    free(out);
    free(err);

    assert_int_equal(office_outbox(&o), 0);
    assert_int_equal(db_records(f, "935"), RECORDS);
    assert_int_equal(db_revisions(f, "935"), REVISIONS);
    db_check_histories(f, "935");
    db_check_feed(f, "935");
    office_free(&o);
}

/* The province's unit id and a stand-in certificate fingerprint, for thidua.decide(). */
static void db_decide(const fixture_t *f, const char *id, int revision, const char *action,
                      const char *reason, const char *expect)
{
    char result[64];
    harness_db_text(f->conninfo, result, sizeof(result),
                    "SELECT (thidua.decide((SELECT id FROM thidua.org_unit WHERE code = '93'),"
                    " decode(repeat('ab', 32), 'hex'), '%s', %d, '%s', '%s')).result",
                    id, revision, action, reason);
    assert_string_equal(result, expect);
}

/*
 * The province approves one record and returns another for supplements
 * (thidua.decide() in SQL: the province's commands are another story). The
 * next sync brings both decisions into the district's store: the approved
 * record is locked there, the returned one can be edited, and its new
 * revision makes it "submitted" again on the server.
 */
static void test_decisions_reach_the_district(void **state)
{
    fixture_t *f = *state;
    office_t o;
    office_make(&o, "decisions", "936", f->srv.port, 3, 0);
    harness_output_t out;
    assert_int_equal(sync_run(&o, &out, NULL), 0);
    harness_output_free(&out);

    db_decide(f, o.ids[0], 1, "approve", "", "APPLIED");
    db_decide(f, o.ids[1], 1, "return", "Bổ sung minh chứng sáng kiến", "APPLIED");

    assert_int_equal(sync_run(&o, &out, NULL), 0);
    assert_int_equal(json_num(out.out, "pushed"), 0);
    assert_int_equal(json_num(out.out, "pulled"), 2);
    harness_output_free(&out);

    store_t *st = store_open_ok(o.store);
    store_record_t *r = NULL;
    assert_int_equal(store_record_get(st, o.ids[0], &r), TD_OK);
    assert_int_equal(r->rec.status, THIDUA__V1__RECORD__STATUS__APPROVED);
    assert_non_null(r->rec.decision);
    assert_string_equal(r->rec.decision->action, "approve");
    assert_int_equal(r->rec.decision->revision, 1);
    store_record_free(r);

    assert_int_equal(store_record_get(st, o.ids[1], &r), TD_OK);
    assert_int_equal(r->rec.status, THIDUA__V1__RECORD__STATUS__RETURNED);
    assert_non_null(r->rec.decision);
    assert_string_equal(r->rec.decision->action, "return");
    assert_string_equal(r->rec.decision->reason, "Bổ sung minh chứng sáng kiến");
    store_record_free(r);

    /* The approved record refuses an edit; the returned one takes it. */
    assert_int_equal(put_record(st, o.ids[0], "936", 0, 2, "2024-09-02", true), TD_ELOCKED);
    assert_int_equal(put_record(st, o.ids[1], "936", 1, 2, "2024-09-02", true), TD_OK);
    store_close(st);

    /* So does the officer's command, saying why, and nothing is queued. */
    char prefix[9];
    snprintf(prefix, sizeof(prefix), "%.8s", o.ids[0]);
    const char *edit[] = {harness_thidua_path(), "-c", o.config, "edit", prefix, "--title",
                          "Tiêu đề mới",         NULL};
    int code = harness_run(edit, NULL, &out);
    if (code == 0)
        print_message("stdout: %s\nstderr: %s\n", out.out, out.err);
    assert_int_not_equal(code, 0);
    harness_assert_contains(out.err, "approved");
    harness_output_free(&out);
    assert_int_equal(office_outbox(&o), 1); /* only the returned record's edit */

    assert_int_equal(sync_run(&o, &out, NULL), 0);
    assert_int_equal(json_num(out.out, "applied"), 1);
    harness_output_free(&out);
    char status[32];
    harness_db_text(f->conninfo, status, sizeof(status),
                    "SELECT status || ' ' || revision FROM thidua.record WHERE id = '%s'",
                    o.ids[1]);
    assert_string_equal(status, "submitted 2");

    st = store_open_ok(o.store);
    assert_int_equal(store_record_get(st, o.ids[1], &r), TD_OK);
    assert_int_equal(r->rec.status, THIDUA__V1__RECORD__STATUS__SUBMITTED);
    assert_int_equal(r->sync, STORE_SYNC_SYNCED);
    assert_int_equal(r->server_revision, 2);
    store_record_free(r);
    store_close(st);
    office_free(&o);
}

/*
 * Records the server refuses are named, with the field and the reason, and
 * the exit code is 6: an edit of a record the province approved meanwhile
 * (LOCKED) and a record whose date falls outside the campaign (REJECTED).
 * The rest of the batch goes through.
 */
static void test_refusals_need_attention(void **state)
{
    fixture_t *f = *state;
    office_t o;
    office_make(&o, "refusals", "937", f->srv.port, 4, 0);
    harness_output_t out;
    assert_int_equal(sync_run(&o, &out, NULL), 0);
    harness_output_free(&out);

    /* Edited here while the province approves the revision it read. */
    store_t *st = store_open_ok(o.store);
    assert_int_equal(put_record(st, o.ids[0], "937", 0, 2, "2024-09-02", true), TD_OK);
    char bad[UUID_STR_SIZE];
    assert_int_equal(uuid_v4(bad), TD_OK);
    assert_int_equal(put_record(st, bad, "937", 99, 1, "2023-01-15", false), TD_OK);
    assert_int_equal(put_record(st, o.ids[2], "937", 2, 2, "2024-09-02", true), TD_OK);
    store_close(st);
    db_decide(f, o.ids[0], 1, "approve", "", "APPLIED");

    int code = sync_run(&o, &out, NULL);
    if (code != 6)
        print_message("stdout: %s\nstderr: %s\n", out.out, out.err);
    assert_int_equal(code, 6);
    assert_int_equal(json_num(out.out, "pushed"), 3);
    assert_int_equal(json_num(out.out, "applied"), 1);
    assert_int_equal(json_num(out.out, "locked"), 1);
    assert_int_equal(json_num(out.out, "rejected"), 1);
    harness_assert_contains(out.out, o.ids[0]);
    harness_assert_contains(out.out, "\"status\":\"locked\"");
    harness_assert_contains(out.out, bad);
    harness_assert_contains(out.out, "\"field\":\"achieved_on\"");
    harness_output_free(&out);

    /* Without --json: one line per record, id prefix, state, field, reason. */
    const char *argv[] = {harness_thidua_path(), "-c", o.config, "sync", NULL};
    st = store_open_ok(o.store);
    assert_int_equal(put_record(st, bad, "937", 99, 2, "2023-01-16", true), TD_OK);
    store_close(st);
    code = harness_run(argv, NULL, &out);
    assert_int_equal(code, 6);
    char prefix[9];
    snprintf(prefix, sizeof(prefix), "%.8s", bad);
    harness_assert_contains(out.out, "1 record needs attention");
    harness_assert_contains(out.out, prefix);
    /* The field by its name, the reason by the client's own check of the same rule. */
    harness_assert_contains(out.out, "refused  date achieved: 16/01/2023 is outside the campaign "
                                     "(01/07/2024 to 30/06/2025)");
    /* Piped stderr: no progress line. */
    assert_null(strstr(out.err, "\r"));
    harness_output_free(&out);

    /* The same refusal told to a Vietnamese office. */
    st = store_open_ok(o.store);
    assert_int_equal(put_record(st, bad, "937", 99, 3, "2023-01-17", true), TD_OK);
    store_close(st);
    assert_int_equal(setenv("LANG", "vi_VN.UTF-8", 1), 0);
    code = harness_run(argv, NULL, &out);
    assert_int_equal(setenv("LANG", "C.UTF-8", 1), 0);
    assert_int_equal(code, 6);
    harness_assert_contains(out.out, "1 hồ sơ cần xem lại");
    harness_assert_contains(out.out, "bị từ chối  Ngày đạt thành tích: 17/01/2023 nằm ngoài thời "
                                     "gian của phong trào (từ 01/07/2024 đến 30/06/2025)");
    harness_assert_contains(out.out, "đồng bộ: đã gửi 1");
    harness_output_free(&out);

    /* Nothing new refused: the next sync is clean again. */
    assert_int_equal(sync_run(&o, &out, NULL), 0);
    harness_output_free(&out);

    assert_int_equal(db_records(f, "937"), 4);
    assert_int_equal(db_revisions(f, "937"), 5); /* 4 first revisions and ids[2]'s edit */
    office_free(&o);
}

/*
 * No server: the client tries, waits, tries again as often as it is told,
 * then exits 3 saying how much still waits. Nothing is lost: the outbox is
 * whole. --max-wait bounds the whole run the same way.
 */
static void test_retries_exhausted(void **state)
{
    fixture_t *f = *state;
    int port = f->srv.port;
    assert_int_equal(harness_server_stop(&f->srv, SIGTERM), 0);
    office_t o;
    office_make(&o, "no-server", "932", port, 312, 0);

    harness_output_t out;
    double t0 = mono_s();
    int code = sync_run(&o, &out, "--retries", "2", NULL);
    double took = mono_s() - t0;
    assert_int_equal(code, 3);
    harness_assert_contains(out.err, "312 revisions still waiting to be sent");
    harness_assert_contains(out.err, "run `thidua sync` again");
    harness_assert_contains(out.err, "trying again in");
    assert_int_equal(json_num(out.out, "attempts"), 3);
    assert_int_equal(json_num(out.out, "remaining"), 312);
    /* Two pauses: about 0.5 s and 1 s, each +-25 %. */
    assert_true(took >= 0.9 && took < 10);
    harness_output_free(&out);

    const char *argv[] = {harness_thidua_path(), "-c",  o.config,     "-q", "sync",
                          "--retries",           "100", "--max-wait", "2s", NULL};
    t0 = mono_s();
    code = harness_run(argv, NULL, &out);
    took = mono_s() - t0;
    assert_int_equal(code, 3);
    assert_true(took >= 1.5 && took < 10);
    assert_null(strstr(out.err, "trying again in")); /* -q */
    harness_assert_contains(out.err, "312 revisions still waiting to be sent");
    harness_output_free(&out);
    assert_int_equal(office_outbox(&o), 312);

    /* And once the server is back, everything goes. */
    server_restart(f, port);
    assert_int_equal(sync_run(&o, &out, NULL), 0);
    harness_output_free(&out);
    assert_int_equal(db_records(f, "932"), 312);
    office_free(&o);
}

/*
 * Records with long achievement reports, against a server that takes frames
 * of 64 KiB: a page of 500 records (about 5 MB) is cut into pushes that each
 * fit, and the pull pages fit too. Everything arrives.
 */
static void test_large_records_split(void **state)
{
    fixture_t *f = *state;
    int port = f->srv.port;
    assert_int_equal(harness_server_stop(&f->srv, SIGTERM), 0);
    char listen[32];
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
    harness_server_opts_t so = {.listen = listen, .max_frame = "65536"};
    harness_server_start(&f->srv, &pki, f->conninfo, &so);

    /* About 10 KB of UTF-8 per record. */
    enum { RECORDS = 300, LINES = 120 };
    static const char line[] = "- Tham gia xây dựng nông thôn mới, vận động người dân hiến đất\n";
    char *summary = malloc(sizeof(line) * LINES + 32);
    assert_non_null(summary);
    strcpy(summary, "Báo cáo thành tích:\n");
    for (int i = 0; i < LINES; i++)
        strcat(summary, line);
    record_summary = summary;
    office_t o;
    office_make(&o, "large", "933", port, RECORDS, 10);
    record_summary = NULL;
    free(summary);

    harness_output_t out;
    int code = sync_run(&o, &out, NULL);
    if (code != 0)
        print_message("stdout: %s\nstderr: %s\n", out.out, out.err);
    assert_int_equal(code, 0);
    assert_int_equal(json_num(out.out, "applied"), RECORDS + RECORDS / 10);
    assert_int_equal(json_num(out.out, "pulled"), RECORDS + RECORDS / 10);
    harness_output_free(&out);
    assert_int_equal(office_outbox(&o), 0);
    assert_int_equal(db_records(f, "933"), RECORDS);
    db_check_histories(f, "933");
    assert_true(harness_db_int(f->conninfo, "SELECT min(length(summary)) FROM thidua.record") >
                7000);
    office_free(&o);
}

/* A certificate from another CA: refused (exit 4), and not retried. */
static void test_refused_certificate(void **state)
{
    fixture_t *f = *state;
    office_t o;
    office_make(&o, "foreign", "931", f->srv.port, 1, 0);
    harness_pki_t other;
    harness_pki_make(&other);
    const harness_cert_t *c = harness_pki_cert(&other, "931-district");
    char text[5 * HARNESS_PATH_MAX];
    int n = snprintf(text, sizeof(text),
                     "[server]\naddress = 127.0.0.1:%d\n[tls]\nca = %s\ncert = %s\nkey = %s\n"
                     "[store]\npath = %s\n",
                     f->srv.port, pki.ca, c->cert, c->key, o.store);
    assert_true(n > 0 && (size_t)n < sizeof(text));
    harness_write_file(o.config, text);

    harness_output_t out;
    int code = sync_run(&o, &out, NULL);
    if (code != 4)
        print_message("stdout: %s\nstderr: %s\n", out.out, out.err);
    assert_int_equal(code, 4);
    assert_int_equal(json_num(out.out, "attempts"), 1);
    harness_output_free(&out);
    assert_int_equal(office_outbox(&o), 1);
    office_free(&o);
}

/* While one sync runs on a store, a second one is turned away (exit 5) and changes nothing. */
static void test_one_sync_per_store(void **state)
{
    fixture_t *f = *state;
    office_t o;
    office_make(&o, "locked-store", "930", f->srv.port, 5, 0);
    char lock[HARNESS_PATH_MAX + 16];
    int n = snprintf(lock, sizeof(lock), "%s.sync-lock", o.store);
    assert_true(n > 0 && (size_t)n < sizeof(lock));
    int fd = open(lock, O_RDWR | O_CREAT, 0600);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX), 0); /* as a running sync holds it */

    harness_output_t out;
    assert_int_equal(sync_run(&o, &out, NULL), 5);
    harness_assert_contains(out.err, "another `thidua sync` is running");
    harness_output_free(&out);
    assert_int_equal(office_outbox(&o), 5);

    close(fd); /* the first sync ends: the next one runs */
    assert_int_equal(sync_run(&o, &out, NULL), 0);
    harness_output_free(&out);
    assert_int_equal(office_outbox(&o), 0);
    office_free(&o);
}

/* ------------------------------------------------------------------------- */
/* Soak: 100,000 pending records */

/* Run the client to the end with fork/exec/wait4, for its peak RSS. */
static int soak_sync(const office_t *o, struct rusage *ru, double *secs)
{
    char outp[HARNESS_PATH_MAX];
    path_join(outp, sizeof(outp), o->dir, "sync.out");
    const char *argv[] = {harness_thidua_path(), "-c", o->config, "--json", "sync", NULL};
    double t0 = mono_s();
    pid_t parent = getpid();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int fo = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fo < 0 || dup2(fo, 1) < 0)
            _exit(127);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status;
    while (wait4(pid, &status, 0, ru) < 0) {
        if (errno != EINTR)
            fail_msg("wait4: %s", strerror(errno));
    }
    *secs = mono_s() - t0;
    char *out = harness_read_file(outp);
    print_message("%s", out);
    free(out);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void soak_one(fixture_t *f, const char *unit, size_t n, long *rss_kib, double *rate)
{
    office_t o;
    char name[32];
    snprintf(name, sizeof(name), "soak-%zu", n);
    double t0 = mono_s();
    office_make(&o, name, unit, f->srv.port, n, 0);
    print_message("soak: %zu records made in the store in %.1f s\n", n, mono_s() - t0);

    struct rusage ru;
    double secs;
    int code = soak_sync(&o, &ru, &secs);
    assert_int_equal(code, 0);
    assert_int_equal(office_outbox(&o), 0);
    assert_int_equal(db_records(f, unit), (long long)n);
    *rss_kib = ru.ru_maxrss;
    *rate = (double)n / secs;
    print_message("soak: %zu records: sync %.1f s (push and pull), %.0f records/s, "
                  "client peak RSS %ld KiB, user %.1f s, sys %.1f s\n",
                  n, secs, *rate, ru.ru_maxrss,
                  (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
                  (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
    office_free(&o);
}

/*
 * 100,000 pending records in one store. The client's memory must not grow
 * with the outbox: its peak RSS for 100,000 records stays within a few MiB of
 * its peak for 10,000 (one page in memory at a time, acks not kept).
 */
static void test_soak_100k(void **state)
{
    fixture_t *f = *state;
    long rss_small, rss_big;
    double rate_small, rate_big;
    soak_one(f, "933", 10000, &rss_small, &rate_small);
    soak_one(f, "934", 100000, &rss_big, &rate_big);
    print_message("soak: peak RSS %ld KiB for 10,000 records, %ld KiB for 100,000; "
                  "%.0f and %.0f records/s\n",
                  rss_small, rss_big, rate_small, rate_big);
    assert_true(rss_big < rss_small + 16 * 1024);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--soak") == 0) {
        const struct CMUnitTest soak[] = {
            cmocka_unit_test_setup_teardown(test_soak_100k, setup, teardown),
        };
        return cmocka_run_group_tests_name("sync soak", soak, group_setup, group_teardown);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_eight_districts_offline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_killed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_killed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decisions_reach_the_district, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals_need_attention, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retries_exhausted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_certificate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_records_split, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_sync_per_store, setup, teardown),
    };
    return cmocka_run_group_tests_name("sync", tests, group_setup, group_teardown);
}
