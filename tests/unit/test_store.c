/*
 * test_store.c - the district client's local store (client/store/store.h).
 *
 * What an officer relies on: an added record survives a crash; edits become
 * numbered revisions that wait in the outbox in order; an ack removes exactly
 * the revision it names and a refusal leaves a readable mark; pulled pages
 * and their cursor are stored all or nothing; a decided record cannot be
 * edited; short ids find one record or say they are ambiguous; 100,000
 * pending revisions page through in bounded memory; and the file keeps
 * everything across close and reopen and schema migration.
 *
 * Every test gets its own store file in a fresh temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "store.h"

#define NOW 1730000000000LL
#define MiB (1024 * 1024)

typedef struct {
    char dir[256];
    char path[300];
    store_t *st;
} fixture_t;

/* A test record whose strings live beside it. */
typedef struct {
    char id[STORE_ID_LEN + 1];
    char name[128];
    char category[32];
    char kind[32];
    uint8_t hash[STORE_HASH_LEN];
    Thidua__V1__Record rec;
} trec_t;

/* --- helpers --------------------------------------------------------------- */

static void make_id(char out[STORE_ID_LEN + 1], unsigned n)
{
    snprintf(out, STORE_ID_LEN + 1, "%08x-0000-4000-8000-%012x", n, n);
}

/* A stand-in for the content hash: differs whenever name, category or withdrawn differ. */
static void trec_rehash(trec_t *t)
{
    uint64_t h = 1469598103934665603ULL;
    const char *parts[] = {t->id, t->name, t->category, t->kind, t->rec.withdrawn ? "1" : "0"};
    for (size_t p = 0; p < 5; p++)
        for (const char *c = parts[p]; *c; c++)
            h = (h ^ (uint8_t)*c) * 1099511628211ULL;
    for (size_t i = 0; i < STORE_HASH_LEN; i++)
        t->hash[i] = (uint8_t)(h >> ((i % 8) * 8)) ^ (uint8_t)i;
}

static void trec_make_id(trec_t *t, const char *id, const char *name)
{
    memset(t, 0, sizeof(*t));
    snprintf(t->id, sizeof(t->id), "%s", id);
    snprintf(t->name, sizeof(t->name), "%s", name);
    snprintf(t->category, sizeof(t->category), "KT_XH");
    snprintf(t->kind, sizeof(t->kind), "individual");
    Thidua__V1__Record init = THIDUA__V1__RECORD__INIT;
    t->rec = init;
    t->rec.id = t->id;
    t->rec.campaign = "HG-DB-2025";
    t->rec.org_unit = "934";
    t->rec.nominee_kind = t->kind;
    t->rec.nominee_name = t->name;
    t->rec.birth_date = "1980-05-01";
    t->rec.gender = "female";
    t->rec.position = "Giáo viên";
    t->rec.workplace = "Trường THCS Phụng Hiệp";
    t->rec.title = "Hoàn thành xuất sắc nhiệm vụ năm học";
    t->rec.summary = "Báo cáo thành tích:\n- dạy giỏi cấp huyện";
    t->rec.category = t->category;
    t->rec.achieved_on = "2024-09-02";
    t->rec.proposed_award = "BK_UBND_TINH";
    t->rec.content_hash.data = t->hash;
    t->rec.content_hash.len = STORE_HASH_LEN;
    trec_rehash(t);
}

static void trec_make(trec_t *t, unsigned n, const char *name)
{
    char id[STORE_ID_LEN + 1];
    make_id(id, n);
    trec_make_id(t, id, name);
}

static void trec_rename(trec_t *t, const char *name)
{
    snprintf(t->name, sizeof(t->name), "%s", name);
    trec_rehash(t);
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof(f->dir), "%s/test_store.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof(f->path), "%s/district.db", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    store_close(f->st);
    const char *suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 4; i++) {
        char p[320];
        snprintf(p, sizeof(p), "%s%s", f->path, suffixes[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static void open_store(fixture_t *f, const store_options_t *opt)
{
    char err[512];
    int rc = store_open(f->path, opt, &f->st, err, sizeof(err));
    if (rc != TD_OK)
        fail_msg("store_open: %d %s", rc, err);
}

static void reopen(fixture_t *f)
{
    store_close(f->st);
    f->st = NULL;
    open_store(f, NULL);
}

static int setup_open(void **state)
{
    if (setup(state) != 0)
        return -1;
    open_store(*state, NULL);
    return 0;
}

static void insert_ok(fixture_t *f, trec_t *t)
{
    int rc = store_record_insert(f->st, &t->rec, NOW);
    if (rc != TD_OK)
        fail_msg("insert %s: %d %s", t->id, rc, store_errmsg(f->st));
}

static void update_ok(fixture_t *f, trec_t *t)
{
    t->rec.revision = 0;
    int rc = store_record_update(f->st, &t->rec, NOW + 1);
    if (rc != TD_OK)
        fail_msg("update %s: %d %s", t->id, rc, store_errmsg(f->st));
}

static store_record_t *get_ok(fixture_t *f, const char *id)
{
    store_record_t *r = NULL;
    int rc = store_record_get(f->st, id, &r);
    if (rc != TD_OK)
        fail_msg("get %s: %d %s", id, rc, store_errmsg(f->st));
    return r;
}

static uint64_t outbox_count(fixture_t *f)
{
    uint64_t n = 99999999;
    assert_int_equal(store_outbox_count(f->st, &n), TD_OK);
    return n;
}

/* One ack, as a server would send it. */
static Thidua__V1__RecordAck make_ack(const char *id, uint32_t rev, int status)
{
    Thidua__V1__RecordAck a = THIDUA__V1__RECORD_ACK__INIT;
    a.id = (char *)id;
    a.revision = rev;
    a.status = (Thidua__V1__RecordAck__Status)status;
    return a;
}

static int ack_one(fixture_t *f, Thidua__V1__RecordAck a)
{
    Thidua__V1__RecordAck *p = &a;
    return store_outbox_ack(f->st, &p, 1, NOW + 10);
}

static int64_t pragma_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static void exec_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* A page of a server feed built from test records. */
typedef struct {
    Thidua__V1__Change changes[8];
    Thidua__V1__Change *ptrs[8];
    Thidua__V1__PullResponse page;
} tpage_t;

static void page_init(tpage_t *p, uint64_t next_cursor)
{
    Thidua__V1__PullResponse init = THIDUA__V1__PULL_RESPONSE__INIT;
    p->page = init;
    p->page.changes = p->ptrs;
    p->page.next_cursor = next_cursor;
}

static void page_add(tpage_t *p, uint64_t seq, Thidua__V1__Record *rec)
{
    size_t i = p->page.n_changes++;
    Thidua__V1__Change init = THIDUA__V1__CHANGE__INIT;
    p->changes[i] = init;
    p->changes[i].change_seq = seq;
    p->changes[i].kind = "revision";
    p->changes[i].record = rec;
    p->ptrs[i] = &p->changes[i];
}

static uint64_t cursor_of(fixture_t *f)
{
    uint64_t c = 12345;
    assert_int_equal(store_cursor(f->st, &c), TD_OK);
    return c;
}

/* --- schema ----------------------------------------------------------------- */

static void test_schema_from_empty_file(void **state)
{
    fixture_t *f = *state;
    FILE *fp = fopen(f->path, "w"); /* an empty file, as a careless copy would leave */
    assert_non_null(fp);
    fclose(fp);

    open_store(f, NULL);
    assert_int_equal(pragma_int(f->path, "PRAGMA user_version"), store_schema_version());
    assert_true(store_schema_version() >= 1);
    assert_int_equal(pragma_int(f->path, "PRAGMA application_id"), 0x54484441);
    struct stat sb;
    assert_int_equal(stat(f->path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);

    trec_t t;
    trec_make(&t, 1, "Lê Thị Bình");
    insert_ok(f, &t);

    /* Reopening applies nothing again and keeps the data. */
    reopen(f);
    reopen(f);
    assert_int_equal(pragma_int(f->path, "PRAGMA user_version"), store_schema_version());
    assert_int_equal(pragma_int(f->path, "SELECT count(*) FROM sync_state"), 1);
    store_record_free(get_ok(f, t.id));
    assert_int_equal(outbox_count(f), 1);
}

static void test_schema_new_store_is_wal(void **state)
{
    fixture_t *f = *state;
    open_store(f, NULL);
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
    sqlite3_finalize(s);
    sqlite3_close(db);
}

static void test_schema_refuses_foreign_and_newer(void **state)
{
    fixture_t *f = *state;
    char err[512];

    /* Another program's database is refused and left as it was. */
    exec_sql(f->path, "CREATE TABLE t (x); INSERT INTO t VALUES (1)");
    assert_int_equal(store_open(f->path, NULL, &f->st, err, sizeof(err)), TD_ENOTSTORE);
    assert_null(f->st);
    assert_non_null(strstr(err, "not a thidua store"));
    assert_int_equal(pragma_int(f->path, "SELECT count(*) FROM sqlite_schema"), 1);
    assert_int_equal(pragma_int(f->path, "PRAGMA user_version"), 0);
    unlink(f->path);

    /* A file that is no database at all. */
    FILE *fp = fopen(f->path, "w");
    assert_non_null(fp);
    for (int i = 0; i < 200; i++)
        fputs("ho ten,ngay sinh\n", fp);
    fclose(fp);
    assert_int_equal(store_open(f->path, NULL, &f->st, err, sizeof(err)), TD_ENOTSTORE);
    unlink(f->path);

    /* A store written by a newer thidua. */
    open_store(f, NULL);
    store_close(f->st);
    f->st = NULL;
    exec_sql(f->path, "PRAGMA user_version = 999");
    assert_int_equal(store_open(f->path, NULL, &f->st, err, sizeof(err)), TD_ENEWER);
    assert_non_null(strstr(err, "upgrade"));
    assert_null(f->st);

    /* No path, or a folder that does not exist. */
    assert_int_equal(store_open("", NULL, &f->st, err, sizeof(err)), TD_EINVAL);
    char missing[400];
    snprintf(missing, sizeof(missing), "%s/no/such/folder/x.db", f->dir);
    assert_int_equal(store_open(missing, NULL, &f->st, err, sizeof(err)), TD_EDB);
    assert_non_null(strstr(err, "cannot open"));
}

/* --- records ----------------------------------------------------------------- */

/* Sets bit (revision - 1) of *ctx for each local revision; fails on a server one. */
static int count_local(void *ctx, const store_revision_t *rev)
{
    unsigned *seen = ctx;
    assert_false(rev->from_server);
    assert_int_equal(rev->content->revision, rev->revision);
    *seen |= 1u << (rev->revision - 1);
    return 0;
}

static void test_insert_update_withdraw(void **state)
{
    fixture_t *f = *state;
    trec_t t;
    trec_make(&t, 1, "Nguyễn Thị Thuỷ");
    insert_ok(f, &t);

    store_record_t *r = get_ok(f, t.id);
    assert_string_equal(r->rec.id, t.id);
    assert_string_equal(r->rec.nominee_name, "Nguyễn Thị Thuỷ");
    assert_string_equal(r->rec.summary, "Báo cáo thành tích:\n- dạy giỏi cấp huyện");
    assert_string_equal(r->rec.proposed_award, "BK_UBND_TINH");
    assert_int_equal(r->rec.revision, 1);
    assert_memory_equal(r->rec.content_hash.data, t.hash, STORE_HASH_LEN);
    assert_int_equal(r->rec.status, THIDUA__V1__RECORD__STATUS__STATUS_UNSPECIFIED);
    assert_int_equal(r->sync, STORE_SYNC_PENDING);
    assert_int_equal(r->pending_revision, 1);
    assert_int_equal(r->server_revision, 0);
    assert_null(r->rec.decision);
    assert_null(r->rec.award);
    assert_int_equal(r->created_at_ms, NOW);
    store_record_free(r);

    /* An edit is revision 2; the store chooses it, or checks the caller's. */
    trec_rename(&t, "Nguyễn Thị Thủy");
    t.rec.revision = 3;
    assert_int_equal(store_record_update(f->st, &t.rec, NOW), TD_ESTALE);
    t.rec.revision = 2;
    assert_int_equal(store_record_update(f->st, &t.rec, NOW), TD_OK);
    r = get_ok(f, t.id);
    assert_int_equal(r->rec.revision, 2);
    assert_string_equal(r->rec.nominee_name, "Nguyễn Thị Thủy");
    assert_int_equal(r->pending_revision, 2);
    store_record_free(r);
    assert_int_equal(outbox_count(f), 2);

    /* A record keeps its unit and campaign. */
    t.rec.org_unit = "935";
    t.rec.revision = 0;
    assert_int_equal(store_record_update(f->st, &t.rec, NOW), TD_EINVAL);
    t.rec.org_unit = "934";

    /* Withdrawal is a revision with the flag; nothing can follow it. */
    assert_int_equal(store_record_withdraw(f->st, &t.rec, NOW), TD_EINVAL);
    t.rec.withdrawn = 1;
    trec_rehash(&t);
    assert_int_equal(store_record_withdraw(f->st, &t.rec, NOW + 5), TD_OK);
    r = get_ok(f, t.id);
    assert_int_equal(r->rec.revision, 3);
    assert_true(r->rec.withdrawn);
    assert_int_equal(r->edited_at_ms, NOW + 5);
    store_record_free(r);
    t.rec.withdrawn = 0;
    trec_rehash(&t);
    t.rec.revision = 0;
    assert_int_equal(store_record_update(f->st, &t.rec, NOW), TD_ELOCKED);
    assert_non_null(strstr(store_errmsg(f->st), "withdrawn"));
    assert_int_equal(outbox_count(f), 3);

    /* Every local revision is in the history. */
    unsigned seen = 0;
    assert_int_equal(store_history_revisions(f->st, t.id, count_local, &seen), TD_OK);
    assert_int_equal(seen, 0x7); /* revisions 1, 2, 3, all local */

    /* Unknown record. */
    trec_t u;
    trec_make(&u, 77, "Không có");
    assert_int_equal(store_record_update(f->st, &u.rec, NOW), TD_ENOTFOUND);
}

static void test_insert_refuses_bad_input(void **state)
{
    fixture_t *f = *state;
    trec_t t;
    trec_make(&t, 1, "Trần Văn An");
    insert_ok(f, &t);
    assert_int_equal(store_record_insert(f->st, &t.rec, NOW), TD_EEXISTS);

    const char *bad_ids[] = {"",
                             "1234",
                             "ABCDEF01-0000-4000-8000-000000000001",
                             "abcdef01-0000-4000-8000-00000000000g",
                             "abcdef01x0000-4000-8000-000000000001",
                             "abcdef01-0000-4000-8000-0000000000011"};
    for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
        trec_t b;
        trec_make(&b, 9, "X");
        b.rec.id = (char *)bad_ids[i]; /* longer than trec_t.id holds, for the last */
        assert_int_equal(store_record_insert(f->st, &b.rec, NOW), TD_EINVAL);
    }
    trec_t b;
    trec_make(&b, 2, "Y");
    b.rec.content_hash.len = 31;
    assert_int_equal(store_record_insert(f->st, &b.rec, NOW), TD_EINVAL);
    b.rec.content_hash.len = 32;
    b.rec.revision = 2;
    assert_int_equal(store_record_insert(f->st, &b.rec, NOW), TD_EINVAL);
    b.rec.revision = 0;
    b.rec.withdrawn = 1;
    assert_int_equal(store_record_insert(f->st, &b.rec, NOW), TD_EINVAL);
    assert_int_equal(store_record_insert(f->st, NULL, NOW), TD_EINVAL);
    assert_int_equal(outbox_count(f), 1);
}

static void test_id_prefix(void **state)
{
    fixture_t *f = *state;
    trec_t a, b, c;
    trec_make_id(&a, "abcdef01-1111-4000-8000-000000000001", "A");
    trec_make_id(&b, "abcdef01-2222-4000-8000-000000000002", "B");
    trec_make_id(&c, "12345678-9abc-4000-8000-000000000003", "C");
    insert_ok(f, &a);
    insert_ok(f, &b);
    insert_ok(f, &c);

    store_record_t *r = NULL;
    assert_int_equal(store_record_get(f->st, "abcdef01", &r), TD_EAMBIGUOUS);
    assert_null(r);
    assert_non_null(strstr(store_errmsg(f->st), "several"));

    r = get_ok(f, "ABCDEF01-1"); /* as typed: upper case, a dash */
    assert_string_equal(r->rec.id, a.id);
    store_record_free(r);
    r = get_ok(f, "abcdef012"); /* no dash */
    assert_string_equal(r->rec.id, b.id);
    store_record_free(r);
    r = get_ok(f, "12345678");
    assert_string_equal(r->rec.id, c.id);
    store_record_free(r);
    r = get_ok(f, c.id);
    assert_string_equal(r->rec.id, c.id);
    store_record_free(r);

    assert_int_equal(store_record_get(f->st, "1234567", &r), TD_EINVAL); /* too short */
    assert_int_equal(store_record_get(f->st, "1234-567", &r),
                     TD_EINVAL); /* dashes don't count */
    assert_int_equal(store_record_get(f->st, "zzzzzzzz", &r), TD_EINVAL);
    assert_int_equal(store_record_get(f->st, "12345678'--", &r), TD_EINVAL);
    assert_int_equal(store_record_get(f->st, "abcdef01-1111-4000-8000-0000000000011", &r),
                     TD_EINVAL);
    assert_int_equal(store_record_get(f->st, "99999999", &r), TD_ENOTFOUND);
    assert_int_equal(store_record_get(f->st, "abcdef01-1111-4000-8000-000000000009", &r),
                     TD_ENOTFOUND);
    assert_int_equal(store_record_get(f->st, "abcdef01-3", &r), TD_ENOTFOUND);
    assert_int_equal(store_record_get(f->st, NULL, &r), TD_EINVAL);
    assert_null(r);
}

/* --- outbox and acks ----------------------------------------------------------- */

static void test_outbox_order(void **state)
{
    fixture_t *f = *state;
    trec_t a, b, c;
    trec_make(&a, 1, "A one");
    trec_make(&b, 2, "B one");
    trec_make(&c, 3, "C one");
    insert_ok(f, &a);
    insert_ok(f, &b);
    trec_rename(&a, "A two");
    update_ok(f, &a);
    insert_ok(f, &c);

    const char *want_id[] = {a.id, b.id, a.id, c.id};
    const char *want_name[] = {"A one", "B one", "A two", "C one"};
    const uint32_t want_rev[] = {1, 1, 2, 1};

    /* All at once. */
    store_batch_t batch = STORE_BATCH_INIT;
    assert_int_equal(store_outbox_next(f->st, 0, 10, NOW, &batch), TD_OK);
    assert_int_equal(batch.n, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(batch.records[i]->id, want_id[i]);
        assert_string_equal(batch.records[i]->nominee_name, want_name[i]);
        assert_int_equal(batch.records[i]->revision, want_rev[i]);
        assert_int_equal(batch.records[i]->content_hash.len, STORE_HASH_LEN);
        assert_string_equal(batch.records[i]->org_unit, "934");
        assert_int_equal(batch.records[i]->status, 0); /* nothing server-set is pushed */
        assert_null(batch.records[i]->decision);
    }
    store_batch_clear(&batch);
    assert_null(batch.records);

    /* Two by two, resuming after the last seq of each page. */
    int64_t after = 0;
    size_t seen = 0;
    for (;;) {
        assert_int_equal(store_outbox_next(f->st, after, 2, NOW, &batch), TD_OK);
        if (batch.n == 0)
            break;
        assert_true(batch.n <= 2);
        for (size_t i = 0; i < batch.n; i++, seen++) {
            assert_string_equal(batch.records[i]->id, want_id[seen]);
            assert_int_equal(batch.records[i]->revision, want_rev[seen]);
        }
        assert_true(batch.last_seq > after);
        after = batch.last_seq;
        store_batch_clear(&batch);
    }
    assert_int_equal(seen, 4);
    assert_int_equal(store_outbox_next(f->st, 0, 0, NOW, &batch), TD_EINVAL);
    assert_int_equal(outbox_count(f), 4); /* reading forgets nothing */
}

static void test_ack_every_status(void **state)
{
    fixture_t *f = *state;
    trec_t t[9];
    for (unsigned i = 0; i < 9; i++) {
        trec_make(&t[i], i + 1, "Hộ gia đình");
        insert_ok(f, &t[i]);
    }
    Thidua__V1__RecordAck a[10];
    a[0] = make_ack(t[0].id, 1, THIDUA__V1__RECORD_ACK__STATUS__APPLIED);
    a[0].change_seq = 41;
    a[1] = make_ack(t[1].id, 1, THIDUA__V1__RECORD_ACK__STATUS__DUPLICATE);
    a[1].change_seq = 17;
    a[1].record_status = THIDUA__V1__RECORD__STATUS__RETURNED;
    a[2] = make_ack(t[2].id, 1, THIDUA__V1__RECORD_ACK__STATUS__STALE);
    a[2].stored_revision = 4;
    a[2].message = "a newer revision is stored";
    a[3] = make_ack(t[3].id, 1, THIDUA__V1__RECORD_ACK__STATUS__CONFLICT);
    a[3].stored_revision = 1;
    a[4] = make_ack(t[4].id, 1, THIDUA__V1__RECORD_ACK__STATUS__LOCKED);
    a[4].record_status = THIDUA__V1__RECORD__STATUS__APPROVED;
    a[4].message = "the record is approved";
    a[5] = make_ack(t[5].id, 1, THIDUA__V1__RECORD_ACK__STATUS__REJECTED);
    a[5].field = "achieved_on";
    a[5].message = "achieved_on 2023-01-01 is before the campaign (2024-07-01)";
    a[6] = make_ack(t[6].id, 1, THIDUA__V1__RECORD_ACK__STATUS__PERMISSION_DENIED);
    a[6].message = "unit 934 may not write for unit 930";
    a[7] = make_ack(t[7].id, 1, THIDUA__V1__RECORD_ACK__STATUS__STATUS_UNSPECIFIED);
    a[8] = make_ack(t[8].id, 1, 99); /* a status from a newer protocol */
    a[9] = make_ack("ffffffff-0000-4000-8000-000000000000", 1,
                    THIDUA__V1__RECORD_ACK__STATUS__APPLIED);
    Thidua__V1__RecordAck *p[10];
    for (size_t i = 0; i < 10; i++)
        p[i] = &a[i];

    assert_int_equal(store_outbox_ack(f->st, p, 10, NOW + 100), 7);
    assert_int_equal(outbox_count(f), 2); /* the two not understood stay, to be sent again */

    store_record_t *r = get_ok(f, t[0].id);
    assert_int_equal(r->sync, STORE_SYNC_SYNCED);
    assert_int_equal(r->server_revision, 1);
    assert_int_equal(r->rec.change_seq, 41);
    assert_int_equal(r->rec.status, THIDUA__V1__RECORD__STATUS__SUBMITTED);
    assert_int_equal(r->mark, 0);
    store_record_free(r);

    r = get_ok(f, t[1].id);
    assert_int_equal(r->sync, STORE_SYNC_SYNCED);
    assert_int_equal(r->rec.status, THIDUA__V1__RECORD__STATUS__RETURNED);
    assert_int_equal(r->rec.change_seq, 17);
    store_record_free(r);

    r = get_ok(f, t[2].id);
    assert_int_equal(r->sync, STORE_SYNC_STALE);
    assert_int_equal(r->mark, THIDUA__V1__RECORD_ACK__STATUS__STALE);
    assert_int_equal(r->mark_revision, 1);
    assert_int_equal(r->server_revision, 4);
    assert_string_equal(r->mark_message, "a newer revision is stored");
    assert_int_equal(r->mark_at_ms, NOW + 100);
    assert_int_equal(r->rec.revision, 1); /* the server's content is not here yet */
    store_record_free(r);

    r = get_ok(f, t[3].id);
    assert_int_equal(r->sync, STORE_SYNC_CONFLICT);
    store_record_free(r);

    r = get_ok(f, t[4].id);
    assert_int_equal(r->sync, STORE_SYNC_LOCKED);
    assert_int_equal(r->rec.status, THIDUA__V1__RECORD__STATUS__APPROVED);
    assert_string_equal(r->mark_message, "the record is approved");
    store_record_free(r);
    t[4].rec.revision = 0;
    assert_int_equal(store_record_update(f->st, &t[4].rec, NOW), TD_ELOCKED);
    assert_non_null(strstr(store_errmsg(f->st), "approved"));

    r = get_ok(f, t[5].id);
    assert_int_equal(r->sync, STORE_SYNC_REJECTED);
    assert_string_equal(r->mark_field, "achieved_on");
    assert_non_null(strstr(r->mark_message, "before the campaign"));
    store_record_free(r);

    r = get_ok(f, t[6].id);
    assert_int_equal(r->sync, STORE_SYNC_DENIED);
    store_record_free(r);

    r = get_ok(f, t[7].id);
    assert_int_equal(r->sync, STORE_SYNC_PENDING);
    store_record_free(r);

    store_summary_t s;
    assert_int_equal(store_summary(f->st, &s), TD_OK);
    assert_int_equal(s.records, 9);
    assert_int_equal(s.outbox, 2);
    assert_int_equal(s.pending, 2);
    assert_int_equal(s.stale, 1);
    assert_int_equal(s.conflict, 1);
    assert_int_equal(s.locked, 1);
    assert_int_equal(s.rejected, 1);
    assert_int_equal(s.denied, 1);
    assert_int_equal(s.refused, 5);

    /* The same response delivered twice changes nothing more. */
    assert_int_equal(store_outbox_ack(f->st, p, 10, NOW + 200), 0);
    r = get_ok(f, t[5].id);
    assert_int_equal(r->mark_at_ms, NOW + 100);
    store_record_free(r);

    /* The officer fixes the rejected record: pending again, the mark is gone. */
    t[5].rec.achieved_on = "2024-10-01";
    trec_rehash(&t[5]);
    update_ok(f, &t[5]);
    r = get_ok(f, t[5].id);
    assert_int_equal(r->sync, STORE_SYNC_PENDING);
    assert_int_equal(r->mark, 0);
    assert_string_equal(r->mark_field, "");
    assert_int_equal(r->rec.revision, 2);
    store_record_free(r);

    /* An edit after STALE numbers past the server's revision. */
    update_ok(f, &t[2]);
    r = get_ok(f, t[2].id);
    assert_int_equal(r->rec.revision, 5);
    store_record_free(r);

    assert_int_equal(store_outbox_ack(f->st, NULL, 0, NOW), 0);
    assert_int_equal(store_outbox_ack(f->st, NULL, 1, NOW), TD_EINVAL);
}

static void test_ack_old_revision_keeps_newer(void **state)
{
    fixture_t *f = *state;
    trec_t t;
    trec_make(&t, 1, "Tập thể tổ Toán");
    insert_ok(f, &t);
    trec_rename(&t, "Tập thể tổ Toán – Tin");
    update_ok(f, &t);

    /* Revision 1 applied: revision 2 still waits. */
    assert_int_equal(ack_one(f, make_ack(t.id, 1, THIDUA__V1__RECORD_ACK__STATUS__APPLIED)), 1);
    store_record_t *r = get_ok(f, t.id);
    assert_int_equal(r->sync, STORE_SYNC_PENDING);
    assert_int_equal(r->pending_revision, 2);
    assert_int_equal(r->server_revision, 1);
    assert_int_equal(r->rec.revision, 2);
    store_record_free(r);
    assert_int_equal(outbox_count(f), 1);

    /* A late refusal of revision 1 (its entry is gone) touches nothing. */
    assert_int_equal(ack_one(f, make_ack(t.id, 1, THIDUA__V1__RECORD_ACK__STATUS__REJECTED)), 0);
    /* Neither does any ack for a revision never queued. */
    assert_int_equal(ack_one(f, make_ack(t.id, 3, THIDUA__V1__RECORD_ACK__STATUS__APPLIED)), 0);
    r = get_ok(f, t.id);
    assert_int_equal(r->mark, 0);
    assert_int_equal(r->pending_revision, 2);
    store_record_free(r);
    assert_int_equal(outbox_count(f), 1);

    /* A refusal of an older revision marks it, and the newer one still waits. */
    trec_t u;
    trec_make(&u, 2, "Hộ ông Tám");
    insert_ok(f, &u);
    trec_rename(&u, "Hộ ông Tám (sửa)");
    update_ok(f, &u);
    Thidua__V1__RecordAck rej = make_ack(u.id, 1, THIDUA__V1__RECORD_ACK__STATUS__REJECTED);
    rej.field = "nominee_name";
    assert_int_equal(ack_one(f, rej), 1);
    r = get_ok(f, u.id);
    assert_int_equal(r->sync, STORE_SYNC_PENDING);
    assert_int_equal(r->mark, THIDUA__V1__RECORD_ACK__STATUS__REJECTED);
    assert_int_equal(r->mark_revision, 1);
    assert_int_equal(r->pending_revision, 2);
    store_record_free(r);
    /* ...and the newer one applied settles that mark. */
    assert_int_equal(ack_one(f, make_ack(u.id, 2, THIDUA__V1__RECORD_ACK__STATUS__APPLIED)), 1);
    r = get_ok(f, u.id);
    assert_int_equal(r->sync, STORE_SYNC_SYNCED);
    assert_int_equal(r->mark, 0);
    assert_int_equal(r->server_revision, 2);
    store_record_free(r);

    /* Acks out of order: a refusal of revision 2 survives revision 1's APPLIED. */
    trec_t v;
    trec_make(&v, 3, "Trường Mầm non");
    insert_ok(f, &v);
    trec_rename(&v, "Trường Mầm non Hoa Sen");
    update_ok(f, &v);
    assert_int_equal(ack_one(f, make_ack(v.id, 2, THIDUA__V1__RECORD_ACK__STATUS__REJECTED)), 1);
    assert_int_equal(ack_one(f, make_ack(v.id, 1, THIDUA__V1__RECORD_ACK__STATUS__APPLIED)), 1);
    r = get_ok(f, v.id);
    assert_int_equal(r->sync, STORE_SYNC_REJECTED);
    assert_int_equal(r->mark_revision, 2);
    assert_int_equal(r->server_revision, 1);
    store_record_free(r);
}

/* Heap bytes in use, where the C library tells (0 elsewhere, e.g. under ASan). */
static size_t heap_in_use(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks;
#else
    return 0;
#endif
}

static void test_outbox_paging_100k(void **state)
{
    fixture_t *f = *state;
    enum { N = 100000, PAGE = 500 };
    trec_t t;
    assert_int_equal(store_begin(f->st), TD_OK);
    for (unsigned i = 1; i <= N; i++) {
        trec_make(&t, i, "Nguyễn Văn Một Trăm Nghìn");
        insert_ok(f, &t);
    }
    assert_int_equal(store_commit(f->st), TD_OK);
    reopen(f); /* start from a cold cache */
    assert_int_equal(outbox_count(f), N);

    struct stat sb;
    assert_int_equal(stat(f->path, &sb), 0);
    sqlite3_int64 cur = 0, high = 0;
    assert_int_equal(sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &cur, &high, 1), SQLITE_OK);
    size_t heap_base = heap_in_use(), heap_peak = heap_base;

    Thidua__V1__RecordAck *acks = calloc(PAGE, sizeof(*acks));
    Thidua__V1__RecordAck **ptrs = calloc(PAGE, sizeof(*ptrs));
    assert_non_null(acks);
    assert_non_null(ptrs);
    int64_t after = 0;
    unsigned next = 1;
    for (;;) {
        store_batch_t b = STORE_BATCH_INIT;
        assert_int_equal(store_outbox_next(f->st, after, PAGE, NOW, &b), TD_OK);
        size_t h = heap_in_use();
        if (h > heap_peak)
            heap_peak = h;
        if (b.n == 0)
            break;
        assert_true(b.n <= PAGE);
        char id[STORE_ID_LEN + 1];
        for (size_t i = 0; i < b.n; i++, next++) {
            make_id(id, next);
            assert_string_equal(b.records[i]->id, id);
            acks[i] = make_ack(b.records[i]->id, b.records[i]->revision,
                               THIDUA__V1__RECORD_ACK__STATUS__APPLIED);
            acks[i].change_seq = next;
            ptrs[i] = &acks[i];
        }
        assert_int_equal(store_outbox_ack(f->st, ptrs, b.n, NOW), (int)b.n);
        after = b.last_seq;
        store_batch_clear(&b);
    }
    free(acks);
    free(ptrs);
    assert_int_equal(next - 1, N);
    assert_int_equal(outbox_count(f), 0);

    /* SQLite's own memory stayed near its page cache, far below the data's size. */
    assert_int_equal(sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &cur, &high, 0), SQLITE_OK);
    assert_true(high > 0);
    assert_true(high < 16 * MiB);
    assert_true((sqlite3_int64)sb.st_size > 4 * high);
    /* And the program's heap did not grow with the outbox. */
    assert_true(heap_peak - heap_base < 16 * MiB);

    store_summary_t s;
    assert_int_equal(store_summary(f->st, &s), TD_OK);
    assert_int_equal(s.records, N);
    assert_int_equal(s.pending, 0);
}

/* --- pull ---------------------------------------------------------------------- */

static void test_locked_refusal(void **state)
{
    fixture_t *f = *state;
    static const struct {
        int status;
        bool editable;
    } cases[] = {
        {THIDUA__V1__RECORD__STATUS__SUBMITTED, true},
        {THIDUA__V1__RECORD__STATUS__RETURNED, true},
        {THIDUA__V1__RECORD__STATUS__APPROVED, false},
        {THIDUA__V1__RECORD__STATUS__REJECTED, false},
        {THIDUA__V1__RECORD__STATUS__WITHDRAWN, false},
        {THIDUA__V1__RECORD__STATUS__AWARDED, false},
        {THIDUA__V1__RECORD__STATUS__REVOKED, false},
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        trec_t t;
        trec_make(&t, 100 + i, "Phạm Thị Hoa");
        insert_ok(f, &t);
        assert_int_equal(ack_one(f, make_ack(t.id, 1, THIDUA__V1__RECORD_ACK__STATUS__APPLIED)), 1);

        /* The province decided; the pull brings the record as stored now. */
        trec_t srv = t;
        srv.rec.id = srv.id;
        srv.rec.nominee_name = srv.name;
        srv.rec.nominee_kind = srv.kind;
        srv.rec.category = srv.category;
        srv.rec.content_hash.data = srv.hash;
        srv.rec.revision = 1;
        srv.rec.status = (Thidua__V1__Record__Status)cases[i].status;
        Thidua__V1__Decision d = THIDUA__V1__DECISION__INIT;
        d.action = "approve";
        d.revision = 1;
        d.decided_at_ms = NOW + 50;
        srv.rec.decision = &d;
        tpage_t p;
        page_init(&p, 10 + i);
        page_add(&p, 10 + i, &srv.rec);
        assert_int_equal(store_pull_apply(f->st, &p.page, NOW), TD_OK);

        trec_rename(&t, "Phạm Thị Hoa (sửa)");
        t.rec.revision = 0;
        int rc = store_record_update(f->st, &t.rec, NOW);
        if (cases[i].editable) {
            assert_int_equal(rc, TD_OK);
        } else {
            assert_int_equal(rc, TD_ELOCKED);
            store_record_t *r = get_ok(f, t.id);
            assert_int_equal(r->rec.status, cases[i].status); /* the CLI prints why */
            assert_non_null(r->rec.decision);
            assert_string_equal(r->rec.decision->action, "approve");
            assert_int_equal(r->rec.revision, 1);
            store_record_free(r);
        }
    }
}

static int collect_decision(void *ctx, const Thidua__V1__Decision *d)
{
    char *out = ctx;
    strcat(out, d->action);
    strcat(out, ";");
    return 0;
}

static int collect_revision(void *ctx, const store_revision_t *rev)
{
    char *out = ctx;
    char line[160];
    snprintf(line, sizeof(line), "%s%u:%s;", rev->from_server ? "S" : "L", rev->revision,
             rev->content->nominee_name);
    strcat(out, line);
    return 0;
}

static void test_pull_newer_server_revision(void **state)
{
    fixture_t *f = *state;
    trec_t t;
    trec_make(&t, 1, "Võ Văn Kiệt");
    insert_ok(f, &t);
    assert_int_equal(ack_one(f, make_ack(t.id, 1, THIDUA__V1__RECORD_ACK__STATUS__APPLIED)), 1);

    /* Another machine of the unit pushed revision 2. */
    trec_t other;
    trec_make(&other, 1, "Võ Văn Kiệt (máy 2)");
    other.rec.revision = 2;
    other.rec.status = THIDUA__V1__RECORD__STATUS__SUBMITTED;
    other.rec.updated_at_ms = NOW + 500;
    tpage_t p;
    page_init(&p, 5);
    page_add(&p, 5, &other.rec);
    assert_int_equal(store_pull_apply(f->st, &p.page, NOW + 600), TD_OK);

    store_record_t *r = get_ok(f, t.id);
    assert_string_equal(r->rec.nominee_name, "Võ Văn Kiệt (máy 2)");
    assert_int_equal(r->rec.revision, 2);
    assert_int_equal(r->server_revision, 2);
    assert_memory_equal(r->rec.content_hash.data, other.hash, STORE_HASH_LEN);
    assert_int_equal(r->sync, STORE_SYNC_SYNCED);
    assert_int_equal(r->rec.change_seq, 5);
    assert_int_equal(r->rec.updated_at_ms, NOW + 500);
    store_record_free(r);
    assert_int_equal(cursor_of(f), 5);

    /* The officer edits offline (revision 3) while the other machine pushes its own 3. */
    trec_rename(&t, "Võ Văn Kiệt (máy 1)");
    update_ok(f, &t);
    trec_rename(&other, "Võ Văn Kiệt (máy 2, lần 2)");
    other.rec.revision = 3;
    page_init(&p, 9);
    page_add(&p, 9, &other.rec);
    assert_int_equal(store_pull_apply(f->st, &p.page, NOW + 700), TD_OK);
    r = get_ok(f, t.id);
    assert_string_equal(r->rec.nominee_name, "Võ Văn Kiệt (máy 1)"); /* pending: never lost */
    assert_int_equal(r->rec.revision, 3);
    assert_int_equal(r->server_revision, 3);
    assert_int_equal(r->sync, STORE_SYNC_PENDING);
    store_record_free(r);
    assert_int_equal(outbox_count(f), 1);

    /* The push of our 3 meets theirs: CONFLICT. The record shows what the server kept. */
    Thidua__V1__RecordAck c = make_ack(t.id, 3, THIDUA__V1__RECORD_ACK__STATUS__CONFLICT);
    c.stored_revision = 3;
    assert_int_equal(ack_one(f, c), 1);
    r = get_ok(f, t.id);
    assert_int_equal(r->sync, STORE_SYNC_CONFLICT);
    assert_string_equal(r->rec.nominee_name, "Võ Văn Kiệt (máy 2, lần 2)");
    assert_memory_equal(r->rec.content_hash.data, other.hash, STORE_HASH_LEN);
    store_record_free(r);

    /* Both sides' revisions stay in the history for `show`. */
    char hist[1024] = "";
    assert_int_equal(store_history_revisions(f->st, t.id, collect_revision, hist), TD_OK);
    assert_string_equal(hist, "L1:Võ Văn Kiệt;S2:Võ Văn Kiệt (máy 2);L3:Võ Văn Kiệt (máy 1);"
                              "S3:Võ Văn Kiệt (máy 2, lần 2);");

    /* A record made on the other machine arrives whole; a decision is kept once. */
    trec_t fresh;
    trec_make(&fresh, 2, "Lý Thị Mai");
    fresh.rec.revision = 1;
    fresh.rec.status = THIDUA__V1__RECORD__STATUS__RETURNED;
    Thidua__V1__Decision d = THIDUA__V1__DECISION__INIT;
    d.action = "return";
    d.revision = 1;
    d.reason = "thiếu minh chứng";
    d.decided_at_ms = NOW + 800;
    fresh.rec.decision = &d;
    page_init(&p, 12);
    page_add(&p, 11, &fresh.rec);
    page_add(&p, 12, &fresh.rec); /* the decision's change: the record as stored now */
    assert_int_equal(store_pull_apply(f->st, &p.page, NOW + 900), TD_OK);
    r = get_ok(f, fresh.id);
    assert_string_equal(r->rec.nominee_name, "Lý Thị Mai");
    assert_int_equal(r->sync, STORE_SYNC_SYNCED);
    assert_int_equal(r->rec.status, THIDUA__V1__RECORD__STATUS__RETURNED);
    assert_non_null(r->rec.decision);
    assert_string_equal(r->rec.decision->reason, "thiếu minh chứng");
    assert_int_equal(r->rec.change_seq, 12);
    store_record_free(r);
    char decisions[256] = "";
    assert_int_equal(store_history_decisions(f->st, fresh.id, collect_decision, decisions),
                     TD_OK);
    assert_string_equal(decisions, "return;");

    /* Returned: the district may edit it again. */
    trec_rename(&fresh, "Lý Thị Mai (bổ sung)");
    update_ok(f, &fresh);

    /* Award and revocation travel in the record. */
    trec_t aw;
    trec_make(&aw, 3, "Đặng Văn Long");
    aw.rec.revision = 1;
    aw.rec.status = THIDUA__V1__RECORD__STATUS__REVOKED;
    Thidua__V1__AwardDecision by = THIDUA__V1__AWARD_DECISION__INIT, rv = by;
    by.number = "163/QĐ-UBND";
    by.date = "2025-05-10";
    by.signer = "KT. CHỦ TỊCH — PHÓ CHỦ TỊCH Nguyễn Văn A";
    rv.number = "201/QĐ-UBND";
    Thidua__V1__Award award = THIDUA__V1__AWARD__INIT;
    award.form = "BK_UBND_TINH";
    award.decision = &by;
    award.revoked_reason = "khai man thành tích";
    award.revoked_by = &rv;
    aw.rec.award = &award;
    page_init(&p, 13);
    page_add(&p, 13, &aw.rec);
    assert_int_equal(store_pull_apply(f->st, &p.page, NOW + 950), TD_OK);
    r = get_ok(f, aw.id);
    assert_non_null(r->rec.award);
    assert_string_equal(r->rec.award->form, "BK_UBND_TINH");
    assert_string_equal(r->rec.award->decision->number, "163/QĐ-UBND");
    assert_string_equal(r->rec.award->decision->signer, "KT. CHỦ TỊCH — PHÓ CHỦ TỊCH Nguyễn Văn A");
    assert_string_equal(r->rec.award->revoked_reason, "khai man thành tích");
    assert_string_equal(r->rec.award->revoked_by->number, "201/QĐ-UBND");
    store_record_free(r);
}

static void test_locked_edit_shows_decided_content(void **state)
{
    fixture_t *f = *state;
    trec_t t;
    trec_make(&t, 1, "Cao Văn Lầu");
    insert_ok(f, &t);
    assert_int_equal(ack_one(f, make_ack(t.id, 1, THIDUA__V1__RECORD_ACK__STATUS__APPLIED)), 1);
    trec_t decided = t;
    decided.rec.id = decided.id;
    decided.rec.nominee_name = decided.name;
    decided.rec.nominee_kind = decided.kind;
    decided.rec.category = decided.category;
    decided.rec.content_hash.data = decided.hash;
    decided.rec.revision = 1;
    decided.rec.status = THIDUA__V1__RECORD__STATUS__APPROVED;

    /* Edited offline before the pull that brings the approval: the edit waits. */
    trec_rename(&t, "Cao Văn Lầu (sửa muộn)");
    update_ok(f, &t);
    tpage_t p;
    page_init(&p, 3);
    page_add(&p, 3, &decided.rec);
    assert_int_equal(store_pull_apply(f->st, &p.page, NOW), TD_OK);
    store_record_t *r = get_ok(f, t.id);
    assert_string_equal(r->rec.nominee_name, "Cao Văn Lầu (sửa muộn)");
    store_record_free(r);

    /* The push is LOCKED: the record shows what was approved, the edit stays in history. */
    Thidua__V1__RecordAck a = make_ack(t.id, 2, THIDUA__V1__RECORD_ACK__STATUS__LOCKED);
    a.record_status = THIDUA__V1__RECORD__STATUS__APPROVED;
    assert_int_equal(ack_one(f, a), 1);
    r = get_ok(f, t.id);
    assert_int_equal(r->sync, STORE_SYNC_LOCKED);
    assert_string_equal(r->rec.nominee_name, "Cao Văn Lầu");
    assert_int_equal(r->rec.revision, 1);
    assert_int_equal(r->mark_revision, 2);
    assert_int_equal(r->rec.status, THIDUA__V1__RECORD__STATUS__APPROVED);
    store_record_free(r);
    char hist[512] = "";
    assert_int_equal(store_history_revisions(f->st, t.id, collect_revision, hist), TD_OK);
    assert_string_equal(hist, "L1:Cao Văn Lầu;S1:Cao Văn Lầu;L2:Cao Văn Lầu (sửa muộn);");
}

static void test_stale_then_pull(void **state)
{
    fixture_t *f = *state;
    trec_t t;
    trec_make(&t, 1, "Trần Thị Ba");
    insert_ok(f, &t);
    assert_int_equal(ack_one(f, make_ack(t.id, 1, THIDUA__V1__RECORD_ACK__STATUS__APPLIED)), 1);
    trec_rename(&t, "Trần Thị Ba (máy 1)");
    update_ok(f, &t);

    /* Sync pushes first: STALE, the server holds 3 from elsewhere; then the pull brings 3. */
    Thidua__V1__RecordAck a = make_ack(t.id, 2, THIDUA__V1__RECORD_ACK__STATUS__STALE);
    a.stored_revision = 3;
    assert_int_equal(ack_one(f, a), 1);
    trec_t srv;
    trec_make(&srv, 1, "Trần Thị Ba (máy 3)");
    srv.rec.revision = 3;
    srv.rec.status = THIDUA__V1__RECORD__STATUS__SUBMITTED;
    tpage_t p;
    page_init(&p, 20);
    page_add(&p, 20, &srv.rec);
    assert_int_equal(store_pull_apply(f->st, &p.page, NOW), TD_OK);

    store_record_t *r = get_ok(f, t.id);
    assert_string_equal(r->rec.nominee_name, "Trần Thị Ba (máy 3)");
    assert_int_equal(r->rec.revision, 3);
    assert_int_equal(r->sync, STORE_SYNC_STALE); /* the officer still learns why */
    assert_int_equal(r->mark_revision, 2);
    store_record_free(r);
    update_ok(f, &t);
    r = get_ok(f, t.id);
    assert_int_equal(r->rec.revision, 4);
    store_record_free(r);
}

static void test_pull_cursor_atomic(void **state)
{
    fixture_t *f = *state;
    trec_t a, b, c, d;
    trec_make(&a, 1, "A");
    trec_make(&b, 2, "B");
    trec_make(&c, 3, "C");
    trec_make(&d, 4, "D");
    a.rec.revision = b.rec.revision = c.rec.revision = d.rec.revision = 1;
    assert_int_equal(cursor_of(f), 0);

    tpage_t p;
    page_init(&p, 2);
    page_add(&p, 1, &a.rec);
    page_add(&p, 2, &b.rec);
    assert_int_equal(store_pull_apply(f->st, &p.page, NOW), TD_OK);
    assert_int_equal(cursor_of(f), 2);

    /* A page that fails in its middle stores nothing, and the cursor stays. */
    page_init(&p, 5);
    page_add(&p, 3, &c.rec);
    page_add(&p, 4, &d.rec);
    page_add(&p, 5, NULL);
    assert_int_equal(store_pull_apply(f->st, &p.page, NOW), TD_EPROTO);
    assert_int_equal(cursor_of(f), 2);
    store_record_t *r = NULL;
    assert_int_equal(store_record_get(f->st, c.id, &r), TD_ENOTFOUND);

    /* The feed must increase, and the cursor may not go back. */
    page_init(&p, 4);
    page_add(&p, 4, &c.rec);
    page_add(&p, 3, &d.rec);
    assert_int_equal(store_pull_apply(f->st, &p.page, NOW), TD_EPROTO);
    page_init(&p, 3);
    page_add(&p, 2, &c.rec); /* at or below the cursor */
    assert_int_equal(store_pull_apply(f->st, &p.page, NOW), TD_EPROTO);
    page_init(&p, 3);
    page_add(&p, 4, &c.rec); /* next_cursor behind its own change */
    assert_int_equal(store_pull_apply(f->st, &p.page, NOW), TD_EPROTO);
    page_init(&p, 1); /* no changes, cursor backwards */
    assert_int_equal(store_pull_apply(f->st, &p.page, NOW), TD_EPROTO);
    trec_t bad;
    trec_make_id(&bad, "not-a-uuid", "X");
    bad.rec.revision = 1;
    page_init(&p, 7);
    page_add(&p, 7, &bad.rec);
    assert_int_equal(store_pull_apply(f->st, &p.page, NOW), TD_EPROTO);
    assert_int_equal(cursor_of(f), 2);
    assert_int_equal(store_record_get(f->st, c.id, &r), TD_ENOTFOUND);

    /* Inside the caller's transaction, a rollback keeps the old cursor too. */
    page_init(&p, 3);
    page_add(&p, 3, &c.rec);
    assert_int_equal(store_begin(f->st), TD_OK);
    assert_int_equal(store_pull_apply(f->st, &p.page, NOW), TD_OK);
    assert_int_equal(cursor_of(f), 3);
    assert_int_equal(store_rollback(f->st), TD_OK);
    assert_int_equal(cursor_of(f), 2);
    assert_int_equal(store_record_get(f->st, c.id, &r), TD_ENOTFOUND);

    /* An empty last page moves the cursor on. */
    page_init(&p, 9);
    assert_int_equal(store_pull_apply(f->st, &p.page, NOW), TD_OK);
    assert_int_equal(cursor_of(f), 9);
    assert_int_equal(store_pull_apply(f->st, NULL, NOW), TD_EINVAL);
}

/* --- transactions, durability, concurrency ---------------------------------------- */

static void test_transaction_import(void **state)
{
    fixture_t *f = *state;
    trec_t t[4];
    for (unsigned i = 0; i < 4; i++)
        trec_make(&t[i], i + 1, "Dòng CSV");

    /* A rolled back import leaves nothing. */
    assert_int_equal(store_begin(f->st), TD_OK);
    assert_int_equal(store_begin(f->st), TD_EINVAL);
    insert_ok(f, &t[0]);
    insert_ok(f, &t[1]);
    assert_int_equal(store_rollback(f->st), TD_OK);
    assert_int_equal(outbox_count(f), 0);
    store_record_t *r = NULL;
    assert_int_equal(store_record_get(f->st, t[0].id, &r), TD_ENOTFOUND);
    assert_int_equal(store_rollback(f->st), TD_OK); /* nothing open: harmless */
    assert_int_equal(store_commit(f->st), TD_EDB);  /* nothing to commit */

    /* A refused row inside the import undoes only itself. */
    assert_int_equal(store_begin(f->st), TD_OK);
    insert_ok(f, &t[0]);
    assert_int_equal(store_record_insert(f->st, &t[0].rec, NOW), TD_EEXISTS);
    insert_ok(f, &t[1]);
    assert_int_equal(store_commit(f->st), TD_OK);
    assert_int_equal(outbox_count(f), 2);
}

static void test_add_survives_crash(void **state)
{
    fixture_t *f = *state;
    trec_t t;
    trec_make(&t, 1, "Đoàn Thị Điểm");
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* The officer's `add` returns, then the program dies without closing anything. */
        store_t *st = NULL;
        if (store_open(f->path, NULL, &st, NULL, 0) != TD_OK)
            _exit(2);
        if (store_record_insert(st, &t.rec, NOW) != TD_OK)
            _exit(3);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    open_store(f, NULL);
    store_record_t *r = get_ok(f, t.id);
    assert_string_equal(r->rec.nominee_name, "Đoàn Thị Điểm");
    store_record_free(r);
    assert_int_equal(outbox_count(f), 1);
}

static void test_busy_writer(void **state)
{
    fixture_t *f = *state;
    store_options_t opt = {.busy_timeout_ms = 50};
    open_store(f, &opt);
    store_t *other = NULL;
    assert_int_equal(store_open(f->path, &opt, &other, NULL, 0), TD_OK);

    trec_t a, b;
    trec_make(&a, 1, "A");
    trec_make(&b, 2, "B");
    assert_int_equal(store_begin(other), TD_OK);
    assert_int_equal(store_record_insert(other, &a.rec, NOW), TD_OK);

    /* The second writer waits, then says so; readers are not blocked. */
    assert_int_equal(store_record_insert(f->st, &b.rec, NOW), TD_EBUSY);
    assert_non_null(strstr(store_errmsg(f->st), "busy"));
    assert_int_equal(outbox_count(f), 0);

    assert_int_equal(store_commit(other), TD_OK);
    store_close(other);
    insert_ok(f, &b);
    assert_int_equal(outbox_count(f), 2);
}

/* --- reopen ------------------------------------------------------------------------- */

static void test_reopen_keeps_everything(void **state)
{
    fixture_t *f = *state;
    trec_t a, b;
    trec_make(&a, 1, "Huỳnh Văn Nghệ");
    trec_make(&b, 2, "Tổ dân phố 3");
    snprintf(b.kind, sizeof(b.kind), "collective");
    trec_rehash(&b);
    insert_ok(f, &a);
    insert_ok(f, &b);
    Thidua__V1__RecordAck rej = make_ack(b.id, 1, THIDUA__V1__RECORD_ACK__STATUS__REJECTED);
    rej.field = "proposed_award";
    rej.message = "CSTD_TINH is not allowed for a collective";
    assert_int_equal(ack_one(f, rej), 1);

    trec_t c;
    trec_make(&c, 3, "Trạm y tế xã");
    c.rec.revision = 1;
    c.rec.status = THIDUA__V1__RECORD__STATUS__SUBMITTED;
    tpage_t p;
    page_init(&p, 30);
    page_add(&p, 30, &c.rec);
    assert_int_equal(store_pull_apply(f->st, &p.page, NOW), TD_OK);
    assert_int_equal(store_sync_done(f->st, NOW + 42), TD_OK);

    Thidua__V1__Welcome *w = NULL;
    assert_int_equal(store_welcome_load(f->st, &w), TD_ENOTFOUND);
    assert_null(w);
    Thidua__V1__Welcome welcome = THIDUA__V1__WELCOME__INIT;
    Thidua__V1__Campaign campaign = THIDUA__V1__CAMPAIGN__INIT;
    Thidua__V1__Category cat = THIDUA__V1__CATEGORY__INIT;
    Thidua__V1__Category *cats[] = {&cat};
    Thidua__V1__Limits limits = THIDUA__V1__LIMITS__INIT;
    campaign.code = "HG-DB-2025";
    campaign.starts_on = "2024-07-01";
    campaign.ends_on = "2025-06-30";
    cat.code = "KT_XH";
    cat.name = "Kinh tế – xã hội";
    campaign.categories = cats;
    campaign.n_categories = 1;
    limits.max_batch = 500;
    welcome.org_unit = "934";
    welcome.campaign = &campaign;
    welcome.limits = &limits;
    assert_int_equal(store_welcome_save(f->st, &welcome, NOW + 7), TD_OK);

    uint8_t file_hash[STORE_HASH_LEN];
    memset(file_hash, 0xab, sizeof(file_hash));
    char *key = NULL;
    assert_int_equal(store_import_key(f->st, &a.rec, &key), TD_OK);
    assert_int_equal(store_import_note(f->st, key, a.id, file_hash, 2, NOW), TD_OK);

    reopen(f);

    store_record_t *r = get_ok(f, a.id);
    assert_string_equal(r->rec.nominee_name, "Huỳnh Văn Nghệ");
    assert_int_equal(r->sync, STORE_SYNC_PENDING);
    store_record_free(r);
    r = get_ok(f, b.id);
    assert_string_equal(r->rec.nominee_kind, "collective");
    assert_int_equal(r->sync, STORE_SYNC_REJECTED);
    assert_string_equal(r->mark_field, "proposed_award");
    assert_string_equal(r->mark_message, "CSTD_TINH is not allowed for a collective");
    store_record_free(r);
    r = get_ok(f, c.id);
    assert_int_equal(r->rec.status, THIDUA__V1__RECORD__STATUS__SUBMITTED);
    store_record_free(r);

    store_summary_t s;
    assert_int_equal(store_summary(f->st, &s), TD_OK);
    assert_int_equal(s.records, 3);
    assert_int_equal(s.outbox, 1);
    assert_int_equal(s.pending, 1);
    assert_int_equal(s.rejected, 1);
    assert_int_equal(s.cursor, 30);
    assert_int_equal(s.last_sync_ms, NOW + 42);
    assert_int_equal(s.welcome_at_ms, NOW + 7);

    assert_int_equal(store_welcome_load(f->st, &w), TD_OK);
    assert_string_equal(w->org_unit, "934");
    assert_string_equal(w->campaign->code, "HG-DB-2025");
    assert_int_equal(w->campaign->n_categories, 1);
    assert_string_equal(w->campaign->categories[0]->name, "Kinh tế – xã hội");
    assert_int_equal(w->limits->max_batch, 500);
    thidua__v1__welcome__free_unpacked(w, NULL);

    char id[STORE_ID_LEN + 1];
    assert_int_equal(store_import_find(f->st, key, id), TD_OK);
    assert_string_equal(id, a.id);
    free(key);
}

/* --- list and collation ----------------------------------------------------------------- */

static unsigned collate_calls;

/* A deliberately odd order (shorter first) to see that the hook decides. */
static int collate_by_length(const char *a, const char *b)
{
    collate_calls++;
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return la < lb ? -1 : 1;
    return strcmp(a, b);
}

static int collect_names(void *ctx, const store_record_t *r)
{
    char *out = ctx;
    strcat(out, r->rec.nominee_name);
    strcat(out, ";");
    return 0;
}

static int stop_at_first(void *ctx, const store_record_t *r)
{
    (void)r;
    (*(int *)ctx)++;
    return 42;
}

static void test_list_filters_and_collation(void **state)
{
    fixture_t *f = *state;
    store_options_t opt = {.collate = collate_by_length};
    open_store(f, &opt);
    trec_t t[4];
    trec_make(&t[0], 1, "Aaaa");
    trec_make(&t[1], 2, "Bbb");
    trec_make(&t[2], 3, "Cc");
    snprintf(t[2].category, sizeof(t[2].category), "QP_AN");
    trec_rehash(&t[2]);
    trec_make(&t[3], 4, "D");
    snprintf(t[3].kind, sizeof(t[3].kind), "household");
    trec_rehash(&t[3]);
    for (int i = 0; i < 4; i++)
        insert_ok(f, &t[i]);
    assert_int_equal(ack_one(f, make_ack(t[1].id, 1, THIDUA__V1__RECORD_ACK__STATUS__APPLIED)), 1);

    char names[256] = "";
    assert_int_equal(store_list(f->st, NULL, collect_names, names), TD_OK);
    assert_string_equal(names, "D;Cc;Bbb;Aaaa;");
    assert_true(collate_calls > 0);

    store_filter_t flt = STORE_FILTER_ANY;
    flt.order = STORE_ORDER_CREATED;
    names[0] = '\0';
    assert_int_equal(store_list(f->st, &flt, collect_names, names), TD_OK);
    assert_string_equal(names, "Aaaa;Bbb;Cc;D;");

    flt = (store_filter_t)STORE_FILTER_ANY;
    flt.category = "QP_AN";
    names[0] = '\0';
    assert_int_equal(store_list(f->st, &flt, collect_names, names), TD_OK);
    assert_string_equal(names, "Cc;");

    flt = (store_filter_t)STORE_FILTER_ANY;
    flt.nominee_kind = "household";
    names[0] = '\0';
    assert_int_equal(store_list(f->st, &flt, collect_names, names), TD_OK);
    assert_string_equal(names, "D;");

    flt = (store_filter_t)STORE_FILTER_ANY;
    flt.status = THIDUA__V1__RECORD__STATUS__SUBMITTED;
    names[0] = '\0';
    assert_int_equal(store_list(f->st, &flt, collect_names, names), TD_OK);
    assert_string_equal(names, "Bbb;");

    flt = (store_filter_t)STORE_FILTER_ANY;
    flt.sync = STORE_SYNC_PENDING;
    names[0] = '\0';
    assert_int_equal(store_list(f->st, &flt, collect_names, names), TD_OK);
    assert_string_equal(names, "D;Cc;Aaaa;");

    int calls = 0;
    assert_int_equal(store_list(f->st, NULL, stop_at_first, &calls), 42);
    assert_int_equal(calls, 1);
}

/* --- import log ------------------------------------------------------------------------ */

static int fold_upper(const char *in, size_t len, char **out)
{
    *out = malloc(len + 1);
    if (!*out)
        return -1;
    for (size_t i = 0; i < len; i++)
        (*out)[i] = in[i] >= 'a' && in[i] <= 'z' ? (char)(in[i] - 'a' + 'A') : in[i];
    (*out)[len] = '\0';
    return 0;
}

static int fold_fails(const char *in, size_t len, char **out)
{
    (void)in;
    (void)len;
    *out = NULL;
    return -4;
}

static void test_import_log(void **state)
{
    fixture_t *f = *state;
    trec_t a, a2, b;
    trec_make(&a, 1, "Nguyen  Van Nam");
    trec_make(&a2, 2, "nguyen van nam"); /* the same row, typed again */
    trec_make(&b, 3, "Nguyen Van Nam");
    b.rec.birth_date = "1981-05-01"; /* a namesake */
    insert_ok(f, &a);
    insert_ok(f, &b);

    char *ka = NULL, *ka2 = NULL, *kb = NULL;
    assert_int_equal(store_import_key(f->st, &a.rec, &ka), TD_OK);
    assert_int_equal(store_import_key(f->st, &a2.rec, &ka2), TD_OK);
    assert_int_equal(store_import_key(f->st, &b.rec, &kb), TD_OK);
    assert_string_equal(ka, ka2);
    assert_string_not_equal(ka, kb);
    assert_non_null(strstr(ka, "HG-DB-2025\x1f"
                               "934\x1fnguyen van nam\x1f"
                               "1980-05-01\x1f"));

    uint8_t file1[STORE_HASH_LEN], file2[STORE_HASH_LEN];
    memset(file1, 1, sizeof(file1));
    memset(file2, 2, sizeof(file2));
    uint64_t rows = 99;
    assert_int_equal(store_import_file_rows(f->st, file1, &rows), TD_OK);
    assert_int_equal(rows, 0);

    char id[STORE_ID_LEN + 1];
    assert_int_equal(store_import_find(f->st, ka, id), TD_ENOTFOUND);
    assert_int_equal(store_import_note(f->st, ka, a.id, file1, 2, NOW), TD_OK);
    assert_int_equal(store_import_note(f->st, kb, b.id, file1, 3, NOW), TD_OK);
    assert_int_equal(store_import_file_rows(f->st, file1, &rows), TD_OK);
    assert_int_equal(rows, 2);

    /* Re-importing finds the record instead of making a second one. */
    assert_int_equal(store_import_find(f->st, ka2, id), TD_OK);
    assert_string_equal(id, a.id);
    /* A corrected file moves the row to itself. */
    assert_int_equal(store_import_note(f->st, ka2, a.id, file2, 7, NOW + 1), TD_OK);
    assert_int_equal(store_import_file_rows(f->st, file1, &rows), TD_OK);
    assert_int_equal(rows, 1);
    assert_int_equal(store_import_file_rows(f->st, file2, &rows), TD_OK);
    assert_int_equal(rows, 1);

    assert_int_equal(
        store_import_note(f->st, ka, "ffffffff-0000-4000-8000-000000000000", file1, 2, NOW),
        TD_ENOTFOUND);
    assert_int_equal(store_import_note(f->st, "", a.id, file1, 2, NOW), TD_EINVAL);
    free(ka);
    free(ka2);
    free(kb);

    /* The caller's folding decides what counts as the same name. */
    store_close(f->st);
    f->st = NULL;
    store_options_t opt = {.fold = fold_upper};
    open_store(f, &opt);
    char *k = NULL;
    assert_int_equal(store_import_key(f->st, &a2.rec, &k), TD_OK);
    assert_non_null(strstr(k, "NGUYEN VAN NAM"));
    free(k);
    store_close(f->st);
    f->st = NULL;
    opt.fold = fold_fails;
    open_store(f, &opt);
    assert_int_equal(store_import_key(f->st, &a.rec, &k), TD_EINVAL);
    assert_null(k);
}

static void test_strerror(void **state)
{
    (void)state;
    for (int rc = TD_ENOTSTORE; rc <= TD_OK; rc++)
        assert_string_not_equal(td_strerror(rc), "unknown error");
    assert_string_equal(td_strerror(-1000), "unknown error");
    assert_string_equal(store_errmsg(NULL), "");
    store_close(NULL);
    store_record_free(NULL);
}

int main(void)
{
    /* Count SQLite's memory (the paging test reads it); must precede any other SQLite call. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_schema_from_empty_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_new_store_is_wal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_refuses_foreign_and_newer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_insert_update_withdraw, setup_open, teardown),
        cmocka_unit_test_setup_teardown(test_insert_refuses_bad_input, setup_open, teardown),
        cmocka_unit_test_setup_teardown(test_id_prefix, setup_open, teardown),
        cmocka_unit_test_setup_teardown(test_outbox_order, setup_open, teardown),
        cmocka_unit_test_setup_teardown(test_ack_every_status, setup_open, teardown),
        cmocka_unit_test_setup_teardown(test_ack_old_revision_keeps_newer, setup_open, teardown),
        cmocka_unit_test_setup_teardown(test_outbox_paging_100k, setup_open, teardown),
        cmocka_unit_test_setup_teardown(test_locked_refusal, setup_open, teardown),
        cmocka_unit_test_setup_teardown(test_pull_newer_server_revision, setup_open, teardown),
        cmocka_unit_test_setup_teardown(test_stale_then_pull, setup_open, teardown),
        cmocka_unit_test_setup_teardown(test_locked_edit_shows_decided_content, setup_open,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pull_cursor_atomic, setup_open, teardown),
        cmocka_unit_test_setup_teardown(test_transaction_import, setup_open, teardown),
        cmocka_unit_test_setup_teardown(test_add_survives_crash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_busy_writer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_keeps_everything, setup_open, teardown),
        cmocka_unit_test_setup_teardown(test_list_filters_and_collation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_log, setup_open, teardown),
        cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
