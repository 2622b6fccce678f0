/*
 * test_restore.c - the province restores its database from a backup, and the
 * district offices repair what that broke at their next sync, by themselves.
 *
 * A dump is a moment in the past. After a restore, an office's feed cursor
 * points past the restored feed (changes numbered again there would never be
 * pulled) and the revisions it pushed after the dump are gone although it
 * believes them delivered. What a province relies on, with the real thidua
 * and thiduad, a real PostgreSQL and pg_dump / pg_restore:
 * - restored into a new database (the documented procedure): the next sync
 *   exits 0, says so in one line, sends every record again, and afterwards
 *   the province holds every record exactly once with every revision, the
 *   office's statuses are the province's and its cursor is the feed's end;
 * - restored over the tables of a running server (pg_restore --clean): the
 *   pull answers cursor_ahead and the office repairs the same way;
 * - records another computer of the unit made come back from this one;
 * - nothing restored (the server restarted): nothing is sent again.
 *
 * pg_dump and pg_restore come from the postgresql-client package, found where
 * tests/integration/pgcluster finds initdb.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "record.h"
#include "store.h"
#include "uuid.h"

#define CAMPAIGN "HG-DB-2025"
/* What the officer reads when the office starts over. */
#define RESTORED_LINE "the province restored its database: sending all"

static harness_pki_t pki;

/* One test's database and server. */
typedef struct fixture {
    char conninfo[HARNESS_CONNINFO_MAX];
    char restored[HARNESS_CONNINFO_MAX]; /* a second database, when the test makes one */
    harness_server_t srv;
} fixture_t;

/* ------------------------------------------------------------------------- */
/* PostgreSQL's client programs */

/* The path of a PostgreSQL program: version 15's, another version's, or PATH's. */
static void pg_program(const char *name, char *out, size_t size)
{
    char pattern[256];
    snprintf(out, size, "/usr/lib/postgresql/15/bin/%s", name);
    if (access(out, X_OK) == 0)
        return;
    snprintf(pattern, sizeof(pattern), "/usr/lib/postgresql/*/bin/%s", name);
    glob_t g;
    if (glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc > 0) {
        snprintf(out, size, "%s", g.gl_pathv[g.gl_pathc - 1]);
        globfree(&g);
        return;
    }
    globfree(&g);
    snprintf(out, size, "%s", name); /* harness_run looks it up in PATH */
}

static void run_ok(const char *const argv[])
{
    harness_output_t out = {0};
    if (harness_run(argv, NULL, &out) != 0)
        fail_msg("%s exited %d:\n%s%s", argv[0], out.exit_code, out.err, out.out);
    harness_output_free(&out);
}

/* pg_dump -Fc of the database conninfo names, into the temporary directory. */
static void db_dump(const char *conninfo, char *path, size_t size)
{
    char prog[HARNESS_PATH_MAX];
    pg_program("pg_dump", prog, sizeof(prog));
    harness_tmp_path(path, size, "thidua-%ld.dump", (long)time(NULL));
    const char *argv[] = {prog, "-Fc", "-f", path, "--dbname", conninfo, NULL};
    run_ok(argv);
}

/* pg_restore as docs/operations.md says, plus extra (NULL-terminated) options. */
static void db_restore(const char *conninfo, const char *dump, ...)
{
    char prog[HARNESS_PATH_MAX];
    pg_program("pg_restore", prog, sizeof(prog));
    const char *argv[16] = {prog, "--no-owner", "--exit-on-error", "--dbname", conninfo};
    size_t n = 5;
    va_list ap;
    va_start(ap, dump);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && n < 14)
        argv[n++] = a;
    va_end(ap);
    argv[n++] = dump;
    argv[n] = NULL;
    run_ok(argv);
}

static void db_epoch(const char *conninfo, char out[64])
{
    harness_db_text(conninfo, out, 64, "SELECT thidua.epoch()");
    assert_int_equal(strlen(out), 32);
}

/* ------------------------------------------------------------------------- */
/* Offices: a configuration and a store, records put in with the store API */

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct office {
    char dir[HARNESS_PATH_MAX];
    char config[HARNESS_PATH_MAX];
    char store[HARNESS_PATH_MAX];
    char unit[8];
} office_t;

static void office_init(office_t *o, const char *name, const char *unit, int port)
{
    memset(o, 0, sizeof(*o));
    snprintf(o->unit, sizeof(o->unit), "%s", unit);
    harness_tmp_mkdir(o->dir, sizeof(o->dir), "%s", name);
    harness_client_config(o->dir, unit, "district", &pki, port, o->config, sizeof(o->config));
    int n = snprintf(o->store, sizeof(o->store), "%s/%s.db", o->dir, unit);
    assert_true(n > 0 && (size_t)n < sizeof(o->store));
}

/* The server moved (a restarted thiduad listens on a new port). */
static void office_port(office_t *o, int port)
{
    harness_client_config(o->dir, o->unit, "district", &pki, port, o->config, sizeof(o->config));
}

static store_t *office_open(const office_t *o)
{
    store_t *st = NULL;
    char err[512];
    if (store_open(o->store, NULL, &st, err, sizeof(err)) != TD_OK)
        fail_msg("store_open %s: %s", o->store, err);
    return st;
}

/*
 * Store a record as `thidua add` (new) or `thidua edit` does: validated and
 * hashed by common/record.c. n names the nominee, variant the title (an edit
 * changes it); achieved_on outside the campaign makes the server refuse it.
 */
static void put_record(const office_t *o, const char *id, unsigned n, unsigned variant,
                       const char *achieved_on, bool edit)
{
    char name[96], title[160];
    snprintf(name, sizeof(name), "Trần Văn Phục Hồi %u", n);
    snprintf(title, sizeof(title), "Chiến sĩ thi đua cơ sở năm 2024 (bản %u)", variant);
    Thidua__V1__Record in = THIDUA__V1__RECORD__INIT;
    in.id = (char *)id;
    in.campaign = CAMPAIGN;
    in.org_unit = (char *)o->unit;
    in.nominee_kind = "individual";
    in.nominee_name = name;
    in.birth_date = "1979-11-20";
    in.gender = "male";
    in.position = "Cán bộ địa chính";
    in.workplace = "UBND xã Long Thạnh";
    in.title = title;
    in.summary = "Hoàn thành xuất sắc nhiệm vụ được giao";
    in.category = "KT_XH";
    in.achieved_on = (char *)achieved_on;
    in.proposed_award = "BK_UBND_TINH";
    in.revision = 1;

    record_t r;
    valid_error_t verr;
    if (record_from_proto(&r, &in, NULL, &verr) != TD_OK)
        fail_msg("test record invalid: %s: %s", verr.field, verr.reason);
    uint8_t hash[RECORD_HASH_LEN];
    assert_int_equal(record_content_hash(&r, hash), 0);
    Thidua__V1__Record out = THIDUA__V1__RECORD__INIT;
    record_to_proto(&r, &out);
    out.revision = 0;
    out.content_hash.data = hash;
    out.content_hash.len = RECORD_HASH_LEN;
    store_t *st = office_open(o);
    int rc =
        edit ? store_record_update(st, &out, wall_ms()) : store_record_insert(st, &out, wall_ms());
    if (rc != TD_OK)
        fail_msg("storing a record: %s", store_errmsg(st));
    store_close(st);
    record_free(&r);
}

/* count new records, ids[first..first+count), valid unless achieved_on says otherwise. */
static void add_records(const office_t *o, char (*ids)[UUID_STR_SIZE], size_t first, size_t count)
{
    for (size_t i = first; i < first + count; i++) {
        assert_int_equal(uuid_v4(ids[i]), TD_OK);
        put_record(o, ids[i], (unsigned)i, 1, "2024-09-02", false);
    }
}

static uint64_t office_outbox(const office_t *o)
{
    store_t *st = office_open(o);
    uint64_t n = 0;
    assert_int_equal(store_outbox_count(st, &n), TD_OK);
    store_close(st);
    return n;
}

static uint64_t office_cursor(const office_t *o)
{
    store_t *st = office_open(o);
    uint64_t n = 0;
    assert_int_equal(store_cursor(st, &n), TD_OK);
    store_close(st);
    return n;
}

static int office_status(const office_t *o, const char *id)
{
    store_t *st = office_open(o);
    store_record_t *r = NULL;
    assert_int_equal(store_record_get(st, id, &r), TD_OK);
    int status = (int)r->rec.status;
    store_record_free(r);
    store_close(st);
    return status;
}

/* ------------------------------------------------------------------------- */
/* Syncing */

/* The number after "key": in the JSON object `thidua --json sync` prints; -1 if absent. */
static long long json_num(const char *json, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = json != NULL ? strstr(json, pat) : NULL;
    return p == NULL ? -1 : strtoll(p + strlen(pat), NULL, 10);
}

/* thidua -c CONFIG --json sync; fails the test unless it exits `expect`. */
static void office_sync(const office_t *o, int expect, harness_output_t *out)
{
    const char *argv[] = {harness_thidua_path(), "-c", o->config, "--json", "sync", NULL};
    int code = harness_run(argv, NULL, out);
    if (code != expect)
        fail_msg("thidua sync exited %d, not %d\nstdout: %s\nstderr: %s", code, expect, out->out,
                 out->err);
}

/* A sync that must exit 0 and send nothing again. */
static void office_sync_quiet(const office_t *o)
{
    harness_output_t out = {0};
    office_sync(o, 0, &out);
    assert_int_equal(json_num(out.out, "pushed"), 0);
    assert_int_equal(json_num(out.out, "pulled"), 0);
    assert_null(strstr(out.err, "restored"));
    harness_output_free(&out);
}

/* ------------------------------------------------------------------------- */
/* The province's side, in SQL */

static const char *status_name(int status)
{
    static const char *const names[] = {"",         "submitted", "returned", "approved",
                                        "rejected", "withdrawn", "awarded",  "revoked"};
    return status >= 0 && status < (int)THIDUA_ARRAY_LEN(names) ? names[status] : "?";
}

/* Approve a record at revision 1 with a stand-in certificate fingerprint. */
static void db_approve(const char *conninfo, const char *id)
{
    char result[32];
    harness_db_text(conninfo, result, sizeof(result),
                    "SELECT (thidua.decide(thidua.unit_resolve('93'), decode(repeat('ab', 32),"
                    " 'hex'), '%s', 1, 'approve', '')).result",
                    id);
    assert_string_equal(result, "APPLIED");
}

static long long db_unit_records(const char *conninfo, const char *unit)
{
    return harness_db_int(conninfo,
                          "SELECT count(*) FROM thidua.record r JOIN thidua.org_unit u"
                          " ON u.id = r.org_unit_id WHERE u.code = '%s'",
                          unit);
}

/* The last feed position of the unit and the units below it: where a full pull ends. */
static long long db_unit_feed_end(const char *conninfo, const char *unit)
{
    return harness_db_int(conninfo,
                          "SELECT coalesce(max(f.seq), 0) FROM thidua.change_feed f"
                          " WHERE f.org_unit_id IN (SELECT descendant_id FROM"
                          " thidua.org_unit_closure WHERE ancestor_id = thidua.unit_resolve('%s'))",
                          unit);
}

static void db_server_status(const char *conninfo, const char *id, char *out, size_t size)
{
    harness_db_text(conninfo, out, size,
                    "SELECT status || ' ' || revision FROM thidua.record WHERE id = '%s'", id);
}

/*
 * Every record of the unit is there once, holds exactly the revisions 1..its
 * revision, each once, with one feed change each: nothing lost, nothing twice.
 */
static void db_check_whole(const char *conninfo, const char *unit)
{
    assert_int_equal(harness_db_int(conninfo,
                                    "SELECT count(*) - count(DISTINCT r.id) FROM thidua.record r"
                                    " JOIN thidua.org_unit u ON u.id = r.org_unit_id"
                                    " WHERE u.code = '%s'",
                                    unit),
                     0);
    long long bad = harness_db_int(
        conninfo,
        "SELECT count(*) FROM thidua.record r JOIN thidua.org_unit u ON u.id = r.org_unit_id"
        " LEFT JOIN (SELECT record_id, count(*) AS n, count(DISTINCT revision) AS d,"
        "                   max(revision) AS m FROM thidua.record_revision GROUP BY record_id) v"
        "   ON v.record_id = r.id"
        " WHERE u.code = '%s' AND (v.n IS NULL OR v.n <> v.d OR v.n <> v.m OR r.revision <> v.m)",
        unit);
    assert_int_equal(bad, 0);
    bad = harness_db_int(conninfo,
                         "SELECT count(*) FROM (SELECT f.record_id, f.revision, count(*) AS n"
                         "  FROM thidua.change_feed f JOIN thidua.org_unit u"
                         "    ON u.id = f.org_unit_id"
                         " WHERE u.code = '%s' AND f.kind IN ('revision', 'withdraw')"
                         " GROUP BY f.record_id, f.revision) x WHERE x.n <> 1",
                         unit);
    assert_int_equal(bad, 0);
}

/* Walks the office's records and compares each with the province's. */
typedef struct compare {
    const char *conninfo;
    size_t matched; /* records whose status and revision are the province's */
    size_t unsent;  /* records the province never accepted (refused by it) */
    const char *unsent_id;
} compare_t;

static int compare_row(void *ctx, const store_record_t *r)
{
    compare_t *c = ctx;
    if (r->rec.status == 0) {
        c->unsent++;
        if (c->unsent_id == NULL || strcmp(c->unsent_id, r->rec.id) != 0)
            fail_msg("record %s is on no server, and it is not the refused one", r->rec.id);
        return 0;
    }
    char server[64], mine[64];
    db_server_status(c->conninfo, r->rec.id, server, sizeof(server));
    snprintf(mine, sizeof(mine), "%s %u", status_name((int)r->rec.status), r->server_revision);
    if (strcmp(server, mine) != 0)
        fail_msg("record %s: the office says \"%s\", the province \"%s\"", r->rec.id, mine, server);
    assert_int_equal(r->sync, STORE_SYNC_SYNCED);
    c->matched++;
    return 0;
}

/* The office's statuses are the province's, and its cursor is where the unit's feed ends. */
static void office_check_consistent(const office_t *o, const char *conninfo, size_t records,
                                    const char *refused_id)
{
    compare_t c = {.conninfo = conninfo, .unsent_id = refused_id};
    store_t *st = office_open(o);
    assert_int_equal(store_list(st, NULL, compare_row, &c), TD_OK);
    store_close(st);
    assert_int_equal(c.matched, records);
    assert_int_equal(c.unsent, refused_id != NULL ? 1 : 0);
    assert_int_equal(office_outbox(o), 0);
    assert_int_equal((long long)office_cursor(o), db_unit_feed_end(conninfo, o->unit));
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
    harness_db_drop(f->restored);
    free(f);
    return 0;
}

/* Stop the server and start a new one on conninfo (the office learns its port). */
static void server_move(fixture_t *f, const char *conninfo)
{
    assert_int_equal(harness_server_stop(&f->srv, SIGTERM), 0);
    memset(&f->srv, 0, sizeof(f->srv));
    harness_server_start(&f->srv, &pki, conninfo, NULL);
}

/* ------------------------------------------------------------------------- */
/* Tests */

/*
 * The documented restore: a dump into a new database, the server pointed at
 * it. In between the dump and the restore, the office added 30 records,
 * edited one, had one refused, and the province approved one of the first 50
 * (which the office pulled); another edit waits in the outbox. The first
 * sync afterwards says what happens, exits 0 and repairs everything: the
 * province holds all 80 records once, with every revision, the lost
 * approval is gone on both sides, the office's statuses and cursor are the
 * restored database's. Only the refused record stays unsent (sending it
 * again would be refused again, and the exit code would say 6).
 */
static void test_restore_into_new_database(void **state)
{
    fixture_t *f = *state;
    enum { BEFORE = 50, AFTER = 30, ALL = BEFORE + AFTER };
    static char ids[ALL][UUID_STR_SIZE];
    office_t o;
    office_init(&o, "office-934", "934", f->srv.port);
    harness_output_t out = {0};

    add_records(&o, ids, 0, BEFORE);
    office_sync(&o, 0, &out);
    assert_int_equal(json_num(out.out, "applied"), BEFORE);
    assert_null(strstr(out.err, "restored")); /* a first sync: no epoch to compare with */
    harness_output_free(&out);
    db_approve(f->conninfo, ids[0]);
    office_sync(&o, 0, &out);
    harness_output_free(&out);

    char dump[HARNESS_PATH_MAX];
    db_dump(f->conninfo, dump, sizeof(dump));

    /* After the dump: 30 new records, an edit, a refused record; all synced. */
    add_records(&o, ids, BEFORE, AFTER);
    put_record(&o, ids[1], 1, 2, "2024-09-02", true);
    char refused[UUID_STR_SIZE];
    assert_int_equal(uuid_v4(refused), TD_OK);
    put_record(&o, refused, 999, 1, "2023-01-15", false); /* before the campaign */
    office_sync(&o, 6, &out);
    assert_int_equal(json_num(out.out, "applied"), AFTER + 1);
    assert_int_equal(json_num(out.out, "rejected"), 1);
    harness_output_free(&out);
    /* The province approves one of the first 50; the office hears of it. */
    db_approve(f->conninfo, ids[2]);
    office_sync(&o, 0, &out);
    harness_output_free(&out);
    assert_int_equal(office_status(&o, ids[2]), THIDUA__V1__RECORD__STATUS__APPROVED);
    /* An edit the province has not seen yet. */
    put_record(&o, ids[3], 3, 2, "2024-09-02", true);
    assert_int_equal(office_outbox(&o), 1);
    uint64_t cursor_before = office_cursor(&o);

    /* The restore, into a new database, and the server on it. */
    harness_db_create(f->restored, sizeof(f->restored));
    db_restore(f->restored, dump, NULL);
    assert_true(db_unit_feed_end(f->restored, "934") < (long long)cursor_before);
    char epoch_old[64], epoch_new[64];
    db_epoch(f->conninfo, epoch_old);
    db_epoch(f->restored, epoch_new);
    assert_string_not_equal(epoch_old, epoch_new);
    server_move(f, f->restored);
    office_port(&o, f->srv.port);

    /*
     * 81 records in the store: the refused one stays, ids[3] already waits;
     * 79 go again. The province answers DUPLICATE for the 48 it kept at the
     * same revision and APPLIED for the 30 new ones and the two edits.
     */
    office_sync(&o, 0, &out);
    harness_assert_contains(out.err, RESTORED_LINE " 79 records again; nothing is lost");
    assert_int_equal(json_num(out.out, "pushed"), ALL);
    assert_int_equal(json_num(out.out, "applied"), AFTER + 2);
    assert_int_equal(json_num(out.out, "duplicate"), BEFORE - 2);
    assert_int_equal(json_num(out.out, "rejected"), 0);
    assert_int_equal(json_num(out.out, "remaining"), 0);
    assert_true(json_num(out.out, "pulled") >= ALL);
    harness_output_free(&out);

    assert_int_equal(db_unit_records(f->restored, "934"), ALL);
    db_check_whole(f->restored, "934");
    char st[64];
    db_server_status(f->restored, ids[0], st, sizeof(st));
    assert_string_equal(st, "approved 1"); /* decided before the dump: kept */
    db_server_status(f->restored, ids[1], st, sizeof(st));
    assert_string_equal(st, "submitted 2"); /* the edit after the dump: sent again */
    db_server_status(f->restored, ids[2], st, sizeof(st));
    assert_string_equal(st, "submitted 1"); /* the approval after the dump: lost */
    db_server_status(f->restored, ids[3], st, sizeof(st));
    assert_string_equal(st, "submitted 2");
    assert_int_equal(
        harness_db_int(f->restored, "SELECT count(*) FROM thidua.record WHERE id = '%s'", refused),
        0);

    office_check_consistent(&o, f->restored, ALL, refused);
    assert_int_equal(office_status(&o, ids[0]), THIDUA__V1__RECORD__STATUS__APPROVED);
    assert_int_equal(office_status(&o, ids[2]), THIDUA__V1__RECORD__STATUS__SUBMITTED);

    /* Repaired once: the next sync is an ordinary one. */
    office_sync_quiet(&o);
}

/*
 * pg_restore --clean into the database a running server uses: the server
 * still names the epoch it read at start, so the office learns of the
 * restore from its pull, whose cursor is past the restored feed
 * (cursor_ahead). It starts over on the same connection. The restored
 * database has a new epoch all the same: once the server restarts, the
 * office starts over once more, which sends everything as DUPLICATE.
 */
static void test_restore_under_running_server(void **state)
{
    fixture_t *f = *state;
    enum { BEFORE = 20, AFTER = 10, ALL = BEFORE + AFTER };
    static char ids[ALL][UUID_STR_SIZE];
    office_t o;
    office_init(&o, "office-935", "935", f->srv.port);
    harness_output_t out = {0};

    add_records(&o, ids, 0, BEFORE);
    office_sync(&o, 0, &out);
    harness_output_free(&out);
    char dump[HARNESS_PATH_MAX], epoch_old[64], epoch_new[64];
    db_dump(f->conninfo, dump, sizeof(dump));
    db_epoch(f->conninfo, epoch_old);
    add_records(&o, ids, BEFORE, AFTER);
    office_sync(&o, 0, &out);
    harness_output_free(&out);

    db_restore(f->conninfo, dump, "--clean", "--if-exists", NULL);
    assert_true(db_unit_feed_end(f->conninfo, "935") < (long long)office_cursor(&o));
    db_epoch(f->conninfo, epoch_new);
    assert_string_not_equal(epoch_old, epoch_new);

    office_sync(&o, 0, &out);
    harness_assert_contains(out.err, RESTORED_LINE " 30 records again; nothing is lost");
    assert_int_equal(json_num(out.out, "pushed"), ALL);
    assert_int_equal(json_num(out.out, "applied"), AFTER);
    assert_int_equal(json_num(out.out, "duplicate"), BEFORE);
    harness_output_free(&out);
    assert_true(harness_server_log_contains(&f->srv, "event=pull_cursor_ahead"));
    assert_int_equal(db_unit_records(f->conninfo, "935"), ALL);
    db_check_whole(f->conninfo, "935");
    office_check_consistent(&o, f->conninfo, ALL, NULL);
    office_sync_quiet(&o);

    /* The restarted server names the restored database's epoch. */
    server_move(f, f->conninfo);
    office_port(&o, f->srv.port);
    office_sync(&o, 0, &out);
    harness_assert_contains(out.err, RESTORED_LINE " 30 records again");
    assert_int_equal(json_num(out.out, "duplicate"), ALL);
    assert_int_equal(json_num(out.out, "applied"), 0);
    harness_output_free(&out);
    assert_int_equal(db_unit_records(f->conninfo, "935"), ALL);
    db_check_whole(f->conninfo, "935");
    office_check_consistent(&o, f->conninfo, ALL, NULL);
    office_sync_quiet(&o);
}

/*
 * Two computers of one unit. The records the first made after the dump are
 * in the second's store too (pulled), and only the second syncs after the
 * restore: it sends them back with the content it pulled.
 */
static void test_other_computers_records_come_back(void **state)
{
    fixture_t *f = *state;
    enum { BEFORE = 10, AFTER = 5, ALL = BEFORE + AFTER };
    static char ids[ALL][UUID_STR_SIZE];
    office_t a, b;
    office_init(&a, "office-936-a", "936", f->srv.port);
    office_init(&b, "office-936-b", "936", f->srv.port);
    harness_output_t out = {0};

    add_records(&a, ids, 0, BEFORE);
    office_sync(&a, 0, &out);
    harness_output_free(&out);
    office_sync(&b, 0, &out);
    assert_int_equal(json_num(out.out, "pulled"), BEFORE);
    harness_output_free(&out);
    char dump[HARNESS_PATH_MAX];
    db_dump(f->conninfo, dump, sizeof(dump));
    add_records(&a, ids, BEFORE, AFTER);
    put_record(&a, ids[0], 0, 2, "2024-09-02", true); /* an edit: b holds revision 2 as well */
    office_sync(&a, 0, &out);
    harness_output_free(&out);
    office_sync(&b, 0, &out);
    harness_output_free(&out);

    harness_db_create(f->restored, sizeof(f->restored));
    db_restore(f->restored, dump, NULL);
    server_move(f, f->restored);
    office_port(&b, f->srv.port);

    office_sync(&b, 0, &out);
    harness_assert_contains(out.err, RESTORED_LINE " 15 records again");
    assert_int_equal(json_num(out.out, "applied"), AFTER + 1);
    assert_int_equal(json_num(out.out, "duplicate"), BEFORE - 1);
    harness_output_free(&out);
    assert_int_equal(db_unit_records(f->restored, "936"), ALL);
    db_check_whole(f->restored, "936");
    char st[64];
    db_server_status(f->restored, ids[0], st, sizeof(st));
    assert_string_equal(st, "submitted 2");
    office_check_consistent(&b, f->restored, ALL, NULL);
}

/*
 * Nothing was restored: the server restarts on the same database, whose
 * epoch does not change, and a sync sends nothing again. The office keeps
 * the epoch the server names.
 */
static void test_nothing_restored(void **state)
{
    fixture_t *f = *state;
    enum { RECORDS = 10 };
    static char ids[RECORDS][UUID_STR_SIZE];
    office_t o;
    office_init(&o, "office-930", "930", f->srv.port);
    harness_output_t out = {0};
    add_records(&o, ids, 0, RECORDS);
    office_sync(&o, 0, &out);
    assert_null(strstr(out.err, "restored"));
    harness_output_free(&out);
    office_sync_quiet(&o);

    char epoch[64];
    db_epoch(f->conninfo, epoch);
    server_move(f, f->conninfo);
    office_port(&o, f->srv.port);
    char again[64];
    db_epoch(f->conninfo, again);
    assert_string_equal(epoch, again);
    office_sync_quiet(&o);

    store_t *st = office_open(&o);
    Thidua__V1__Welcome *w = NULL;
    assert_int_equal(store_welcome_load(st, &w), TD_OK);
    assert_string_equal(w->database_epoch, epoch);
    thidua__v1__welcome__free_unpacked(w, NULL);
    store_close(st);
    assert_true(harness_server_log_contains(&f->srv, epoch)); /* event=database_epoch */
    office_check_consistent(&o, f->conninfo, RECORDS, NULL);
}

/* ------------------------------------------------------------------------- */
/* The server's answers, on a raw connection */

static uint64_t next_request = 1;

static Thidua__V1__Envelope *ask(harness_conn_t *c, Thidua__V1__Envelope *env)
{
    env->request_id = next_request++;
    harness_assert_io(c, harness_conn_send_envelope(c, env), HARNESS_IO_OK);
    Thidua__V1__Envelope *in = NULL;
    harness_assert_io(c, harness_conn_recv_envelope(c, HARNESS_IO_TIMEOUT_MS, &in), HARNESS_IO_OK);
    assert_int_equal(in->request_id, env->request_id);
    return in;
}

static Thidua__V1__Envelope *pull(harness_conn_t *c, uint64_t cursor)
{
    Thidua__V1__PullRequest req = THIDUA__V1__PULL_REQUEST__INIT;
    req.cursor = cursor;
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_PULL_REQUEST;
    env.pull_request = &req;
    Thidua__V1__Envelope *in = ask(c, &env);
    assert_int_equal(in->body_case, THIDUA__V1__ENVELOPE__BODY_PULL_RESPONSE);
    return in;
}

/*
 * Welcome names the database's epoch; a pull from the feed's last position
 * is an ordinary empty page, a pull from beyond it says cursor_ahead, with no
 * changes and next_cursor 0.
 */
static void test_server_answers(void **state)
{
    fixture_t *f = *state;
    enum { RECORDS = 3 };
    static char ids[RECORDS][UUID_STR_SIZE];
    office_t o;
    office_init(&o, "office-931", "931", f->srv.port);
    add_records(&o, ids, 0, RECORDS);
    harness_output_t out = {0};
    office_sync(&o, 0, &out);
    harness_output_free(&out);
    long long last = harness_db_int(f->conninfo, "SELECT last_seq FROM thidua.feed_counter");
    assert_true(last >= RECORDS);

    harness_conn_t c = {0};
    harness_assert_io(
        &c, harness_tls_connect(&c, f->srv.port, pki.ca, harness_pki_cert(&pki, "931-district")),
        HARNESS_IO_OK);
    Thidua__V1__Hello hello = THIDUA__V1__HELLO__INIT;
    hello.protocol_version = 1;
    hello.client_version = "test_restore";
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_HELLO;
    env.hello = &hello;
    Thidua__V1__Envelope *in = ask(&c, &env);
    assert_int_equal(in->body_case, THIDUA__V1__ENVELOPE__BODY_WELCOME);
    char epoch[64];
    db_epoch(f->conninfo, epoch);
    assert_string_equal(in->welcome->database_epoch, epoch);
    thidua__v1__envelope__free_unpacked(in, NULL);

    in = pull(&c, (uint64_t)last);
    assert_false(in->pull_response->cursor_ahead);
    assert_int_equal(in->pull_response->n_changes, 0);
    assert_int_equal(in->pull_response->next_cursor, (uint64_t)last);
    thidua__v1__envelope__free_unpacked(in, NULL);

    in = pull(&c, (uint64_t)last + 1);
    assert_true(in->pull_response->cursor_ahead);
    assert_int_equal(in->pull_response->n_changes, 0);
    assert_int_equal(in->pull_response->next_cursor, 0);
    assert_false(in->pull_response->has_more);
    thidua__v1__envelope__free_unpacked(in, NULL);

    in = pull(&c, 0);
    assert_false(in->pull_response->cursor_ahead);
    assert_int_equal(in->pull_response->n_changes, RECORDS);
    thidua__v1__envelope__free_unpacked(in, NULL);
    harness_conn_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_restore_into_new_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_under_running_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_computers_records_come_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nothing_restored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_answers, setup, teardown),
    };
    return cmocka_run_group_tests_name("restore", tests, group_setup, group_teardown);
}
