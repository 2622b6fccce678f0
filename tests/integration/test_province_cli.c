/*
 * test_province_cli.c - the province's administrator at work, through the
 * real binaries: district offices `add` and `sync` their nominations, the
 * province runs `review`, `approve`, `reject`, `return`, `award`, `revoke`
 * and `report` with its own certificate, against thiduad and PostgreSQL.
 *
 * What the province relies on: a decision is made on the revision that was
 * read (and refused when the district has sent another since, or when
 * nothing was read), one award per record, a decision number that belongs
 * to one act, district certificates refused every province command, possible
 * duplicates typed in NFD flagged side by side, and a report whose counts are
 * the database's counts in every format: CSV read back with the client's own
 * reader, XLSX read back with openpyxl, the HTML page rendered by Chromium.
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

#include "csv.h"
#include "harness.h"

/* Interpreters and programs from Debian packages (scripts/packages.txt), by full path. */
#define PYTHON "/usr/bin/python3"
#define CHROMIUM "/usr/bin/chromium"

/* The decision signer used throughout. */
#define SIGNER "KT. CHỦ TỊCH — PHÓ CHỦ TỊCH Nguyễn Văn An"

static struct {
    harness_pki_t pki;
    char db[HARNESS_CONNINFO_MAX];
    harness_server_t srv;
    char prov[HARNESS_PATH_MAX]; /* the province's configuration */
    char d934[HARNESS_PATH_MAX]; /* district offices' configurations (with stores) */
    char d935[HARNESS_PATH_MAX];
    char d936[HARNESS_PATH_MAX];
} fx;

/* ---- running thidua ---- */

#define RUN(expect, out, config, ...) HARNESS_THIDUA((expect), (out), (config), __VA_ARGS__)

/* Exit codes (client/cli/cli.h, docs/admin-guide.md). */
enum { OK = 0, EUSAGE = 1, EINVALID = 2, EREFUSED = 4, EATTENTION = 6 };

/* A district office's `thidua init` (harness.h). */
static void office_init(char *config, size_t size, const char *unit)
{
    harness_office_init(config, size, &fx.pki, fx.srv.port, unit);
}

static int group_setup(void **state)
{
    (void)state;
    harness_pki_make(&fx.pki);
    harness_db_create(fx.db, sizeof(fx.db));
    /* Small batches, so that a long award goes to the server in several requests. */
    harness_server_opts_t opts = {.max_batch = "2"};
    harness_server_start(&fx.srv, &fx.pki, fx.db, &opts);
    char dir[HARNESS_PATH_MAX];
    harness_tmp_mkdir(dir, sizeof(dir), "province");
    harness_client_config(dir, "93", "province", &fx.pki, fx.srv.port, fx.prov, sizeof(fx.prov));
    office_init(fx.d934, sizeof(fx.d934), "934");
    office_init(fx.d935, sizeof(fx.d935), "935");
    office_init(fx.d936, sizeof(fx.d936), "936");
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (fx.srv.pid > 0)
        harness_server_stop(&fx.srv, SIGTERM);
    harness_db_drop(fx.db);
    harness_cleanup();
    return 0;
}

/* A record's id: what `add` prints first. */
typedef struct rid {
    char s[37];
    char p8[9]; /* its first 8 digits, as listings show it */
} rid_t;

/* thidua add for an individual (birth "" for a collective or household). */
static rid_t add(const char *office, const char *kind, const char *name, const char *birth,
                 const char *category, const char *award, const char *title)
{
    harness_output_t o;
    if (birth[0] != '\0')
        RUN(OK, &o, office, "add", "--kind", kind, "--name", name, "--birth-date", birth, "--title",
            title, "--category", category, "--achieved-on", "2024-10-15", "--award", award);
    else
        RUN(OK, &o, office, "add", "--kind", kind, "--name", name, "--title", title, "--category",
            category, "--achieved-on", "2024-10-15", "--award", award);
    rid_t r;
    memset(&r, 0, sizeof(r));
    if (o.out_len < 36)
        fail_msg("add printed no id: %s", o.out);
    memcpy(r.s, o.out, 36);
    memcpy(r.p8, o.out, 8);
    harness_output_free(&o);
    return r;
}

static void sync_office(const char *office)
{
    RUN(OK, NULL, office, "-q", "sync");
}

static void db_status(const char *id, char *out, size_t size)
{
    harness_db_text(fx.db, out, size, "SELECT status FROM thidua.record WHERE id = '%s'", id);
}

static void assert_status(const char *id, const char *status)
{
    char st[32];
    db_status(id, st, sizeof(st));
    assert_string_equal(st, status);
}

/* ---- the whole flow ---- */

static void full_flow(void **state)
{
    (void)state;
    harness_output_t o;
    rid_t a = add(fx.d934, "individual", "Trần Văn Hùng", "1979-05-20", "KT_XH", "BK_UBND_TINH",
                  "Hoàn thành xuất sắc nhiệm vụ");
    sync_office(fx.d934);

    RUN(OK, &o, fx.prov, "review", "list", "--unit", "934");
    harness_assert_contains(o.out, a.p8);
    harness_assert_contains(o.out, "Trần Văn Hùng");
    harness_output_free(&o);

    RUN(OK, &o, fx.prov, "review", "show", a.p8);
    harness_assert_contains(o.out, a.s);
    harness_assert_contains(o.out, "20/05/1979"); /* dates for people: dd/mm/yyyy */
    harness_assert_contains(o.out, "History:");
    harness_assert_contains(o.out, "by 934");
    harness_output_free(&o);

    RUN(OK, NULL, fx.prov, "return", a.p8, "--reason", "Thiếu xác nhận của UBND xã");
    assert_status(a.s, "returned");

    /* The district sees why, supplements and sends revision 2. */
    sync_office(fx.d934);
    RUN(OK, &o, fx.d934, "show", a.s);
    harness_assert_contains(o.out, "Thiếu xác nhận của UBND xã");
    harness_output_free(&o);
    RUN(OK, NULL, fx.d934, "edit", a.s, "--title", "Hoàn thành xuất sắc nhiệm vụ (đã bổ sung)");
    sync_office(fx.d934);
    assert_int_equal(
        harness_db_int(fx.db, "SELECT revision FROM thidua.record WHERE id = '%s'", a.s), 2);
    assert_status(a.s, "submitted");

    /* The administrator last read revision 1: approving now would approve unread content. */
    RUN(EINVALID, &o, fx.prov, "approve", a.p8);
    harness_assert_contains(o.err, "revision 2");
    harness_assert_contains(o.err, "review show");
    harness_output_free(&o);
    assert_status(a.s, "submitted");

    RUN(OK, &o, fx.prov, "review", "show", a.p8);
    harness_assert_contains(o.out, "changed achievement");
    harness_output_free(&o);
    RUN(OK, &o, fx.prov, "approve", a.p8);
    harness_assert_contains(o.out, "approved");
    harness_output_free(&o);
    assert_status(a.s, "approved");
    assert_int_equal(
        harness_db_int(fx.db,
                       "SELECT d.at_revision FROM thidua.decision d WHERE d.record_id = "
                       "'%s' AND d.action = 'approve'",
                       a.s),
        2);

    RUN(OK, &o, fx.prov, "award", a.p8, "--form", "BK_UBND_TINH", "--decision", "101/QĐ-UBND",
        "--date", "02/09/2025", "--signer", SIGNER);
    harness_assert_contains(o.out, "awarded");
    harness_output_free(&o);
    assert_status(a.s, "awarded");

    /* The district's show has the decision after a sync, and the record is closed to edits. */
    sync_office(fx.d934);
    RUN(OK, &o, fx.d934, "show", a.s);
    harness_assert_contains(o.out, "101/QĐ-UBND");
    harness_assert_contains(o.out, "02/09/2025");
    harness_output_free(&o);
    RUN(EREFUSED, &o, fx.d934, "edit", a.s, "--title", "Sửa sau khi khen thưởng");
    harness_assert_contains(o.err, "can no longer be changed");
    harness_output_free(&o);
    assert_int_equal(
        harness_db_int(fx.db, "SELECT revision FROM thidua.record WHERE id = '%s'", a.s), 2);
}

/* ---- refusals ---- */

static void refusals(void **state)
{
    (void)state;
    harness_output_t o;
    rid_t a = add(fx.d934, "individual", "Lê Thị Mai", "1981-01-02", "KT_XH", "BK_UBND_TINH",
                  "Giáo viên dạy giỏi");
    rid_t b = add(fx.d934, "collective", "Trường Mầm non Hoa Sen", "", "HCM", "BK_UBND_TINH",
                  "Tập thể tiêu biểu");
    rid_t c = add(fx.d935, "individual", "Phạm Văn Đức", "1975-06-07", "QP_AN", "BK_UBND_TINH",
                  "Dân quân tiêu biểu");
    sync_office(fx.d934);
    sync_office(fx.d935);

    /* Nothing read, nothing decided: not even with the whole id. */
    RUN(EUSAGE, &o, fx.prov, "approve", c.s);
    harness_assert_contains(o.err, "review show");
    harness_output_free(&o);
    assert_status(c.s, "submitted");

    RUN(OK, NULL, fx.prov, "review", "list", "--limit", "1000");
    RUN(OK, NULL, fx.prov, "approve", a.p8);
    RUN(OK, NULL, fx.prov, "approve", b.p8);

    /* A stale revision, given explicitly or remembered. */
    RUN(OK, NULL, fx.prov, "review", "show", c.s);
    RUN(OK, NULL, fx.d935, "edit", c.s, "--title", "Dân quân tiêu biểu năm 2024");
    sync_office(fx.d935);
    RUN(EINVALID, &o, fx.prov, "reject", c.p8, "--reason", "Không đủ tiêu chuẩn", "--revision",
        "1");
    harness_assert_contains(o.err, "revision 2");
    harness_output_free(&o);
    RUN(EINVALID, NULL, fx.prov, "reject", c.p8, "--reason", "Không đủ tiêu chuẩn");
    assert_status(c.s, "submitted");
    RUN(OK, NULL, fx.prov, "reject", c.p8, "--reason", "Không đủ tiêu chuẩn", "--revision", "2");
    assert_status(c.s, "rejected");

    /* One award per record. */
    RUN(OK, NULL, fx.prov, "award", a.s, "--form", "BK_UBND_TINH", "--decision", "202/QĐ-UBND",
        "--date", "2025-09-02", "--signer", SIGNER);
    RUN(EATTENTION, &o, fx.prov, "award", a.s, "--form", "CSTD_TINH", "--decision", "203/QĐ-UBND",
        "--date", "2025-09-02", "--signer", SIGNER);
    harness_assert_contains(o.out, "refused");
    harness_output_free(&o);
    assert_int_equal(
        harness_db_int(fx.db, "SELECT count(*) FROM thidua.award WHERE record_id = '%s'", a.s), 1);

    /* A number belongs to one act: another date or signer is refused, the same act goes on. */
    RUN(EINVALID, &o, fx.prov, "award", b.s, "--form", "BK_UBND_TINH", "--decision", "202/QĐ-UBND",
        "--date", "2025-09-03", "--signer", SIGNER);
    harness_assert_contains(o.err, "decision.number");
    harness_output_free(&o);
    RUN(EINVALID, NULL, fx.prov, "award", b.s, "--form", "BK_UBND_TINH", "--decision",
        "202/QĐ-UBND", "--date", "2025-09-02", "--signer", "CHỦ TỊCH Trần Văn Bình");
    assert_status(b.s, "approved");
    RUN(OK, &o, fx.prov, "award", b.s, "--form", "BK_UBND_TINH", "--decision", "202/QĐ-UBND",
        "--date", "02/09/2025", "--signer", SIGNER);
    harness_assert_contains(o.out, "awarded");
    harness_output_free(&o);
    assert_status(b.s, "awarded");
    assert_int_equal(harness_db_int(fx.db,
                                    "SELECT count(*) FROM thidua.award_decision WHERE number = "
                                    "'202/QĐ-UBND'"),
                     1);
    assert_int_equal(harness_db_int(fx.db, "SELECT count(*) FROM thidua.award a JOIN "
                                           "thidua.award_decision d ON d.id = a.award_decision_id "
                                           "WHERE d.number = '202/QĐ-UBND'"),
                     2);

    /* Revoking. */
    RUN(OK, &o, fx.prov, "revoke", a.s, "--reason", "Khai báo không trung thực", "--decision",
        "310/QĐ-UBND", "--date", "2025-10-01", "--signer", SIGNER);
    harness_assert_contains(o.out, "revoked");
    harness_output_free(&o);
    assert_status(a.s, "revoked");

    /* A district certificate is refused every province command. */
    const char *const cmds[][16] = {
        {"review", "list", NULL},
        {"review", "show", b.s, NULL},
        {"approve", b.s, "--revision", "1", NULL},
        {"reject", b.s, "--revision", "1", "--reason", "x", NULL},
        {"return", b.s, "--revision", "1", "--reason", "x", NULL},
        {"award", b.s, "--form", "BK_UBND_TINH", "--decision", "1/QĐ-UBND", "--date", "2025-09-02",
         "--signer", SIGNER, NULL},
        {"revoke", b.s, "--reason", "x", "--decision", "2/QĐ-UBND", "--date", "2025-09-02",
         "--signer", SIGNER, NULL},
        {"report", NULL},
    };
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        const char *const *c0 = cmds[i];
        RUN(EREFUSED, &o, fx.d934, c0[0], c0[1], c0[2], c0[3], c0[4], c0[5], c0[6], c0[7], c0[8],
            c0[9], c0[10], c0[11]);
        harness_assert_contains(o.err, "province certificate");
        harness_output_free(&o);
    }
    assert_status(b.s, "awarded");
}

/* ---- possible duplicates ---- */

static void duplicates(void **state)
{
    (void)state;
    harness_output_t o;
    /* Typed in NFD (combining marks), with the tone mark on another vowel in the second. */
    const char *thuy_934 = "Nguye\xcc\x82\xcc\x83n Thi\xcc\xa3 Thuy\xcc\x89"; /* Nguyễn Thị Thuỷ */
    const char *thuy_935 = "Nguyen Thi Thu\xcc\x89y"; /* Nguyen Thi Thủy */
    rid_t a = add(fx.d934, "individual", thuy_934, "1990-07-15", "ASXH", "BK_UBND_TINH",
                  "Tình nguyện viên");
    rid_t b = add(fx.d935, "individual", thuy_935, "15/07/1990", "ASXH", "BK_UBND_TINH",
                  "Tình nguyện viên tiêu biểu");
    /* The same name born another day is another person. */
    rid_t c = add(fx.d936, "individual", "Nguyễn Thị Thủy", "1991-07-15", "ASXH", "BK_UBND_TINH",
                  "Tình nguyện viên");
    sync_office(fx.d934);
    sync_office(fx.d935);
    sync_office(fx.d936);

    RUN(OK, &o, fx.prov, "review", "list", "--duplicates");
    harness_assert_contains(o.out, a.p8);
    harness_assert_contains(o.out, b.p8);
    char side[32];
    snprintf(side, sizeof(side), "≈ %s", b.p8);
    harness_assert_contains(o.out, side); /* b under a */
    snprintf(side, sizeof(side), "≈ %s", a.p8);
    harness_assert_contains(o.out, side);              /* a under b */
    harness_assert_contains(o.out, "Nguyễn Thị Thuỷ"); /* shown in NFC */
    harness_assert_contains(o.out, "15/07/1990");
    if (strstr(o.out, c.p8) != NULL)
        fail_msg("%s (born 1991) is listed as a duplicate:\n%s", c.p8, o.out);
    harness_output_free(&o);

    RUN(OK, &o, fx.prov, "--json", "review", "list", "--duplicates");
    char want[128];
    snprintf(want, sizeof(want), "\"possible_duplicates\":[\"%s\"]", b.s);
    harness_assert_contains(o.out, want);
    harness_output_free(&o);

    /* The plain listing marks them too. */
    RUN(OK, &o, fx.prov, "review", "list", "--unit", "935");
    harness_assert_contains(o.out, "≈1");
    harness_output_free(&o);
}

/* ---- the report ---- */

/* A table read back from a file: rows of cells, each with the type the file gave it. */
typedef struct tcell {
    char *s;
    char type; /* 's' text, 'n' number, 'd' date, 'e' empty */
} tcell_t;

typedef struct trow {
    tcell_t *c;
    size_t n;
} trow_t;

typedef struct ttable {
    char name[256];
    trow_t *rows; /* rows[0]: the headings */
    size_t n;
} ttable_t;

typedef struct tbook {
    ttable_t *t;
    size_t n;
} tbook_t;

static void tbook_free(tbook_t *b)
{
    for (size_t i = 0; i < b->n; i++) {
        for (size_t r = 0; r < b->t[i].n; r++) {
            for (size_t c = 0; c < b->t[i].rows[r].n; c++)
                free(b->t[i].rows[r].c[c].s);
            free(b->t[i].rows[r].c);
        }
        free(b->t[i].rows);
    }
    free(b->t);
    memset(b, 0, sizeof(*b));
}

static ttable_t *tbook_add(tbook_t *b, const char *name)
{
    b->t = realloc(b->t, (b->n + 1) * sizeof(*b->t));
    assert_non_null(b->t);
    ttable_t *t = &b->t[b->n++];
    memset(t, 0, sizeof(*t));
    snprintf(t->name, sizeof(t->name), "%s", name);
    return t;
}

static trow_t *ttable_add(ttable_t *t, size_t ncells)
{
    t->rows = realloc(t->rows, (t->n + 1) * sizeof(*t->rows));
    assert_non_null(t->rows);
    trow_t *r = &t->rows[t->n++];
    r->n = ncells;
    r->c = calloc(ncells + 1, sizeof(*r->c));
    assert_non_null(r->c);
    return r;
}

static const ttable_t *tbook_find(const tbook_t *b, const char *name)
{
    for (size_t i = 0; i < b->n; i++) {
        if (strcmp(b->t[i].name, name) == 0)
            return &b->t[i];
    }
    fail_msg("the report has no table '%s'", name);
    return NULL;
}

/* The CSV report: a section starts with a row of one cell, its title. */
static void tbook_from_csv(tbook_t *b, const char *data, size_t len)
{
    memset(b, 0, sizeof(*b));
    csv_t c;
    csv_init(&c, data, len, ',');
    ttable_t *t = NULL;
    int rc;
    while ((rc = csv_next(&c)) == 1) {
        if (c.n == 1) {
            t = tbook_add(b, c.fields[0]);
            continue;
        }
        assert_non_null(t);
        trow_t *r = ttable_add(t, c.n);
        for (size_t i = 0; i < c.n; i++) {
            r->c[i].s = strdup(c.fields[i]);
            r->c[i].type = 's';
        }
    }
    if (rc != 0)
        fail_msg("the CSV report does not read back: %s (line %u)", td_strerror(rc), c.row_line);
    csv_free(&c);
}

/* The dump of dump_xlsx.py: "S<TAB>sheet" starts a sheet, "R<TAB>t:value..." is a row. */
static void tbook_from_dump(tbook_t *b, char *text)
{
    memset(b, 0, sizeof(*b));
    ttable_t *t = NULL;
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        if (strncmp(line, "S\t", 2) == 0) {
            char *tab = strchr(line + 2, '\t');
            if (tab != NULL)
                *tab = '\0';
            t = tbook_add(b, line + 2);
            continue;
        }
        if (strncmp(line, "R\t", 2) != 0 || t == NULL)
            continue;
        size_t n = 1;
        for (const char *p = line + 2; *p; p++)
            n += *p == '\t';
        trow_t *r = ttable_add(t, n);
        char *cell = line + 2;
        for (size_t i = 0; i < n; i++) {
            char *next = strchr(cell, '\t');
            if (next != NULL)
                *next = '\0';
            r->c[i].type = cell[0];
            r->c[i].s = strdup(cell[0] != '\0' && cell[1] == ':' ? cell + 2 : cell);
            cell = next != NULL ? next + 1 : cell + strlen(cell);
        }
    }
}

static long long cell_num(const tcell_t *c, bool typed, const char *where)
{
    if (typed && c->type != 'n')
        fail_msg("%s: '%s' is not a number cell (type %c)", where, c->s, c->type);
    char *end;
    long long v = strtoll(c->s, &end, 10);
    if (end == c->s || (*end != '\0' && strcmp(end, ".0") != 0))
        fail_msg("%s: '%s' is not a count", where, c->s);
    return v;
}

static const char *const statuses[7] = {"submitted", "returned", "approved", "rejected",
                                        "withdrawn", "awarded",  "revoked"};

/*
 * Every count of the report's tables against a count on the database.
 * typed: the file says which cells are numbers (XLSX); names: the tables'
 * names in that format.
 */
static void check_counts(const tbook_t *b, bool typed, const char *const names[4])
{
    char where[256];
    /* Units x statuses. */
    const ttable_t *u = tbook_find(b, names[0]);
    long long units =
        harness_db_int(fx.db, "SELECT count(DISTINCT org_unit_id) FROM thidua.record");
    assert_int_equal(u->n, 1 + units + 1); /* headings, units, totals */
    assert_int_equal(u->rows[0].n, 10);
    for (size_t r = 1; r < u->n; r++) {
        const trow_t *row = &u->rows[r];
        bool total = r + 1 == u->n;
        assert_int_equal(row->n, 10);
        if (total)
            assert_string_equal(row->c[0].s, "Tổng cộng");
        for (size_t k = 0; k < 8; k++) {
            snprintf(where, sizeof(where), "%s row %zu column %zu", names[0], r, k + 2);
            long long got = cell_num(&row->c[k + 2], typed, where);
            const char *st = k < 7 ? statuses[k] : NULL;
            long long want = harness_db_int(
                fx.db,
                "SELECT count(*) FROM thidua.record r JOIN thidua.org_unit u ON "
                "u.id = r.org_unit_id WHERE (%s OR u.code = '%s') AND (%s OR "
                "r.status = '%s')",
                total ? "true" : "false", row->c[0].s, st ? "false" : "true", st ? st : "");
            if (got != want)
                fail_msg("%s (%s %s): report says %lld, the database %lld", where, row->c[0].s,
                         st ? st : "total", got, want);
        }
    }
    /* Categories, award forms in force, nominee kinds: code, name, count. */
    static const long long rows_expected[3] = {5, 8, 3}; /* the seed campaign's lists */
    for (size_t t = 0; t < 3; t++) {
        const ttable_t *tb = tbook_find(b, names[t + 1]);
        assert_int_equal(tb->n, 1 + rows_expected[t] + 1);
        for (size_t r = 1; r < tb->n; r++) {
            const trow_t *row = &tb->rows[r];
            const char *all = r + 1 == tb->n ? "true" : "false", *code = row->c[0].s;
            snprintf(where, sizeof(where), "%s row %zu", names[t + 1], r);
            long long got = cell_num(&row->c[2], typed, where), want;
            if (t == 0)
                want = harness_db_int(fx.db,
                                      "SELECT count(*) FROM thidua.record r JOIN thidua.category c "
                                      "ON c.id = r.category_id WHERE (%s OR c.code = '%s')",
                                      all, code);
            else if (t == 1)
                want = harness_db_int(fx.db,
                                      "SELECT count(*) FROM thidua.award a JOIN thidua.award_form "
                                      "f ON f.id = a.award_form_id JOIN thidua.record r ON r.id = "
                                      "a.record_id WHERE a.revoked_at IS NULL AND r.status = "
                                      "'awarded' AND (%s OR f.code = '%s')",
                                      all, code);
            else
                want = harness_db_int(fx.db,
                                      "SELECT count(*) FROM thidua.record r WHERE (%s OR "
                                      "r.nominee_kind = '%s')",
                                      all, code);
            if (got != want)
                fail_msg("%s (%s): report says %lld, the database %lld", where, row->c[0].s, got,
                         want);
        }
    }
}

/* Render the page with headless Chromium and measure the PNG with Python's zlib. */
static const char png_py[] =
    "import struct, sys, zlib\n"
    "data = open(sys.argv[1], 'rb').read()\n"
    "assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n', 'not a PNG'\n"
    "pos, idat = 8, b''\n"
    "while pos < len(data):\n"
    "    n, kind = struct.unpack('>I4s', data[pos:pos + 8])\n"
    "    body = data[pos + 8:pos + 8 + n]\n"
    "    if kind == b'IHDR':\n"
    "        w, h, depth, ctype = struct.unpack('>IIBB', body[:10])\n"
    "    elif kind == b'IDAT':\n"
    "        idat += body\n"
    "    pos += 12 + n\n"
    "assert depth == 8 and ctype in (2, 6), (depth, ctype)\n"
    "bpp = 3 if ctype == 2 else 4\n"
    "raw, stride = zlib.decompress(idat), w * bpp\n"
    "prev, out, i = bytearray(stride), [], 0\n"
    "for y in range(h):\n"
    "    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])\n"
    "    i += 1 + stride\n"
    "    for x in range(stride):\n"
    "        a = line[x - bpp] if x >= bpp else 0\n"
    "        b, c = prev[x], prev[x - bpp] if x >= bpp else 0\n"
    "        if f == 1: line[x] = (line[x] + a) & 255\n"
    "        elif f == 2: line[x] = (line[x] + b) & 255\n"
    "        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255\n"
    "        elif f == 4:\n"
    "            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)\n"
    "            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & "
    "255\n"
    "    out.append(bytes(line)); prev = line\n"
    "colours, ink = set(), 0\n"
    "for line in out:\n"
    "    for x in range(0, stride, bpp):\n"
    "        px = line[x:x + 3]\n"
    "        colours.add(px)\n"
    "        if px != b'\\xff\\xff\\xff': ink += 1\n"
    "print(w, h, ink, len(colours))\n";

/* openpyxl: every sheet, its frozen pane, heading style, widths and typed cells. */
static const char xlsx_py[] =
    "import datetime, sys, openpyxl\n"
    "wb = openpyxl.load_workbook(sys.argv[1])\n"
    "for ws in wb.worksheets:\n"
    "    bold = all(c.font.b for c in ws[1] if c.value is not None)\n"
    "    wide = all((ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width or 0) >= 6\n"
    "               for i in range(1, ws.max_column + 1))\n"
    "    print('S\\t%s\\t%s\\t%d\\t%d' % (ws.title, ws.freeze_panes, bold, wide))\n"
    "    for row in ws.iter_rows(values_only=True):\n"
    "        cells = []\n"
    "        for v in row:\n"
    "            if v is None: cells.append('e:')\n"
    "            elif isinstance(v, bool): cells.append('s:%s' % v)\n"
    "            elif isinstance(v, (int, float)): cells.append('n:%d' % v)\n"
    "            elif isinstance(v, datetime.datetime): cells.append('d:' + "
    "v.strftime('%Y-%m-%d'))\n"
    "            else: cells.append('s:' + str(v).replace('\\t', ' ').replace('\\n', ' '))\n"
    "        print('R\\t' + '\\t'.join(cells))\n"
    "print('P\\t%s' % wb.properties.title)\n";

static void run_tool(const char *const argv[], harness_output_t *o)
{
    int code = harness_run(argv, NULL, o);
    if (code != 0)
        fail_msg("%s exited %d\nstdout:\n%s\nstderr:\n%s", argv[0], code, o->out, o->err);
}

static void report(void **state)
{
    (void)state;
    harness_output_t o;
    char csv[HARNESS_PATH_MAX], xlsx[HARNESS_PATH_MAX], html[HARNESS_PATH_MAX],
        png[HARNESS_PATH_MAX], script[HARNESS_PATH_MAX];

    /* Every status, kind and several categories and units. */
    rid_t h = add(fx.d936, "household", "Hộ ông Lê Văn Tám", "", "ASXH", "GIAY_KHEN",
                  "Hộ gia đình văn hóa");
    rid_t k = add(fx.d936, "collective", "Đội <Thanh niên> & \"Xung kích\"", "", "CONG_TRINH",
                  "CO_THI_DUA_TINH", "Công trình <script>alert(1)</script> & \"chào mừng\"");
    rid_t w = add(fx.d935, "individual", "Võ Thị Sáu", "1992-02-02", "HCM", "BK_UBND_TINH",
                  "Học tập và làm theo");
    rid_t r = add(fx.d935, "individual", "Đặng Văn Ơn", "1960-12-12", "QP_AN", "BK_UBND_TINH",
                  "Bảo vệ an ninh trật tự");
    sync_office(fx.d935);
    sync_office(fx.d936);
    RUN(OK, NULL, fx.d935, "withdraw", w.s);
    sync_office(fx.d935);
    RUN(OK, NULL, fx.prov, "review", "list", "--limit", "1000");
    RUN(OK, NULL, fx.prov, "approve", k.p8);
    RUN(OK, NULL, fx.prov, "return", r.p8, "--reason", "Bổ sung minh chứng");
    RUN(OK, NULL, fx.prov, "award", k.p8, "--form", "CO_THI_DUA_TINH", "--decision", "404/QĐ-UBND",
        "--date", "2025-09-05", "--signer", SIGNER);

    /* One decision for a list from a file, sent in batches of 2: each record its own answer. */
    rid_t x1 = add(fx.d936, "individual", "Bùi Văn Một", "1980-01-01", "KT_XH", "BK_UBND_TINH",
                   "Sản xuất giỏi");
    rid_t x2 = add(fx.d936, "individual", "Bùi Văn Hai", "1980-02-02", "KT_XH", "BK_UBND_TINH",
                   "Sản xuất giỏi");
    sync_office(fx.d936);
    RUN(OK, NULL, fx.prov, "review", "list", "--unit", "936", "--limit", "1000");
    RUN(OK, NULL, fx.prov, "approve", x1.p8);
    RUN(OK, NULL, fx.prov, "approve", x2.p8);
    char ids[HARNESS_PATH_MAX], list[256];
    harness_tmp_path(ids, sizeof(ids), "ids.txt");
    snprintf(list, sizeof(list), "# đợt 2\n%s  # Bùi Văn Một\n\n%s\n%s\n", x1.p8, x2.s, h.s);
    harness_write_file(ids, list);
    RUN(EATTENTION, &o, fx.prov, "award", "--from-file", ids, "--form", "BK_UBND_TINH",
        "--decision", "405/QĐ-UBND", "--date", "2025-09-06", "--signer", SIGNER);
    char want_line[128];
    snprintf(want_line, sizeof(want_line), "%s  awarded\n", x1.s);
    harness_assert_contains(o.out, want_line);
    snprintf(want_line, sizeof(want_line), "%s  awarded\n", x2.s);
    harness_assert_contains(o.out, want_line);
    snprintf(want_line, sizeof(want_line), "%s  refused: ", h.s); /* still submitted */
    harness_assert_contains(o.out, want_line);
    harness_output_free(&o);
    assert_status(x1.s, "awarded");
    assert_status(x2.s, "awarded");
    assert_status(w.s, "withdrawn");
    assert_status(h.s, "submitted");

    /* CSV: read back with the client's own reader. */
    harness_tmp_path(csv, sizeof(csv), "report.csv");
    RUN(OK, NULL, fx.prov, "report", "--format", "csv", "-o", csv);
    char *text = harness_read_file(csv);
    assert_memory_equal(text, "\xEF\xBB\xBF", 3); /* the BOM Excel needs for UTF-8 */
    tbook_t book;
    tbook_from_csv(&book, text, strlen(text));
    static const char *const csv_names[4] = {"Hồ sơ theo đơn vị và trạng thái",
                                             "Hồ sơ theo nội dung thi đua",
                                             "Khen thưởng theo hình thức", "Hồ sơ theo đối tượng"};
    check_counts(&book, false, csv_names);
    const ttable_t *aw = tbook_find(&book, "Danh sách được khen thưởng");
    long long awards = harness_db_int(fx.db, "SELECT count(*) FROM thidua.award a JOIN "
                                             "thidua.record r ON r.id = a.record_id WHERE "
                                             "a.revoked_at IS NULL AND r.status = 'awarded'");
    assert_int_equal(aw->n, 1 + awards);
    bool found = false;
    for (size_t i = 1; i < aw->n; i++) {
        if (strcmp(aw->rows[i].c[5].s, "Đội <Thanh niên> & \"Xung kích\"") == 0) {
            found = true;
            assert_string_equal(aw->rows[i].c[8].s, "404/QĐ-UBND");
            assert_string_equal(aw->rows[i].c[9].s, "05/09/2025");
        }
    }
    assert_true(found);
    tbook_free(&book);
    free(text);

    /* The terminal table and JSON agree on the total. */
    RUN(OK, &o, fx.prov, "report");
    harness_assert_contains(o.out, "Records by unit and status");
    harness_assert_contains(o.out, "CO_THI_DUA_TINH — Cờ thi đua của UBND tỉnh");
    harness_output_free(&o);
    /* In the administrator's language when that is Vietnamese. */
    assert_int_equal(setenv("LANG", "vi_VN.UTF-8", 1), 0);
    RUN(OK, &o, fx.prov, "report");
    assert_int_equal(setenv("LANG", "C.UTF-8", 1), 0);
    harness_assert_contains(o.out, "Hồ sơ theo đơn vị và trạng thái");
    harness_assert_contains(o.out, "Tổng cộng");
    assert_null(strstr(o.out, "Records by unit and status"));
    harness_output_free(&o);
    RUN(OK, &o, fx.prov, "--json", "report", "--sync-health");
    char want[64];
    snprintf(want, sizeof(want), "\"total\":%lld,",
             harness_db_int(fx.db, "SELECT count(*) FROM thidua.record"));
    harness_assert_contains(o.out, want);
    harness_assert_contains(o.out, "\"sync_health\":[");
    harness_output_free(&o);

    /* XLSX: a real reader. */
    harness_tmp_path(xlsx, sizeof(xlsx), "report.xlsx");
    RUN(EUSAGE, NULL, fx.prov, "report", "--format", "xlsx"); /* a workbook needs -o */
    RUN(OK, NULL, fx.prov, "report", "--sync-health", "-o", xlsx);
    harness_tmp_path(script, sizeof(script), "dump_xlsx.py");
    harness_write_file(script, xlsx_py);
    const char *py_xlsx[] = {PYTHON, script, xlsx, NULL};
    run_tool(py_xlsx, &o);
    harness_assert_contains(o.out, "P\tTổng kết đợt thi đua — Đợt thi đua đặc biệt");
    /* Every sheet: header frozen, bold, columns sized. */
    size_t sheets = 0;
    for (const char *line = o.out; line != NULL && *line != '\0';) {
        const char *eol = strchr(line, '\n');
        size_t len = eol != NULL ? (size_t)(eol - line) : strlen(line);
        static const char ok[] = "\tA2\t1\t1";
        if (strncmp(line, "S\t", 2) == 0) {
            sheets++;
            if (len < sizeof(ok) - 1 || memcmp(line + len - (sizeof(ok) - 1), ok, sizeof(ok) - 1))
                fail_msg("a sheet without its frozen, bold heading or column widths: %.*s",
                         (int)len, line);
        }
        line = eol != NULL ? eol + 1 : NULL;
    }
    assert_int_equal(sheets, 7); /* about, units, categories, forms, kinds, awardees, sync */
    tbook_from_dump(&book, o.out);
    static const char *const xlsx_names[4] = {"Đơn vị - trạng thái", "Nội dung", "Hình thức",
                                              "Đối tượng"};
    check_counts(&book, true, xlsx_names);
    const ttable_t *sheet = tbook_find(&book, "Khen thưởng");
    assert_int_equal(sheet->n, 1 + awards);
    for (size_t i = 1; i < sheet->n; i++) {
        assert_int_equal(sheet->rows[i].c[4].type, 'n'); /* STT */
        assert_int_equal(sheet->rows[i].c[9].type, 'd'); /* decision date: a date */
    }
    (void)tbook_find(&book, "Đồng bộ");
    (void)tbook_find(&book, "Thông tin");
    tbook_free(&book);
    harness_output_free(&o);

    /* HTML: self-contained, escaped, and it renders. */
    harness_tmp_path(html, sizeof(html), "report.html");
    RUN(OK, NULL, fx.prov, "report", "--format", "html", "-o", html);
    text = harness_read_file(html);
    harness_assert_contains(text, "<html lang=\"vi\">");
    harness_assert_contains(text, "<meta charset=\"utf-8\">");
    harness_assert_contains(text, "<title>Tổng kết đợt thi đua — Đợt thi đua đặc biệt");
    harness_assert_contains(text, "@page{size:A4");
    harness_assert_contains(text, "break-before:page");
    harness_assert_contains(text, "<svg");
    harness_assert_contains(text, "Công trình &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;");
    harness_assert_contains(text, "Đội &lt;Thanh niên&gt; &amp; &quot;Xung kích&quot;");
    static const char *const outside[] = {"<script", "src=", "href=", "@import", "url(", "<link"};
    for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
        if (strstr(text, outside[i]) != NULL)
            fail_msg("the page has '%s': it must need nothing from outside and run no script",
                     outside[i]);
    }
    free(text);

    harness_tmp_path(png, sizeof(png), "report.png");
    char ud[HARNESS_PATH_MAX], shot[HARNESS_PATH_MAX + 16], profile[HARNESS_PATH_MAX + 32],
        url[HARNESS_PATH_MAX + 16];
    harness_tmp_mkdir(ud, sizeof(ud), "chromium-profile");
    snprintf(shot, sizeof(shot), "--screenshot=%s", png);
    snprintf(profile, sizeof(profile), "--user-data-dir=%s", ud);
    snprintf(url, sizeof(url), "file://%s", html);
    if (access(CHROMIUM, X_OK) != 0)
        fail_msg(CHROMIUM " is missing: install the packages of scripts/packages.txt");
    const char *chromium[] = {CHROMIUM,
                              "--headless",
                              "--no-sandbox",
                              "--disable-gpu",
                              "--disable-background-networking",
                              "--disable-component-update",
                              "--disable-sync",
                              "--no-first-run",
                              profile,
                              shot,
                              "--window-size=1240,1754",
                              url,
                              NULL};
    run_tool(chromium, &o);
    harness_output_free(&o);
    harness_tmp_path(script, sizeof(script), "png_stats.py");
    harness_write_file(script, png_py);
    const char *py_png[] = {PYTHON, script, png, NULL};
    run_tool(py_png, &o);
    long long width = 0, height = 0, ink = 0, colours = 0;
    if (sscanf(o.out, "%lld %lld %lld %lld", &width, &height, &ink, &colours) != 4)
        fail_msg("png_stats.py said: %s", o.out);
    harness_output_free(&o);
    assert_int_equal(width, 1240);
    /* Text, table rules and the charts' seven status colours make a page far from blank. */
    if (ink < width * height / 50 || colours < 16)
        fail_msg("the rendered page looks blank: %lld of %lld pixels not white, %lld colours", ink,
                 width * height, colours);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_flow),
        cmocka_unit_test(refusals),
        cmocka_unit_test(duplicates),
        cmocka_unit_test(report),
    };
    return cmocka_run_group_tests_name("province_cli", tests, group_setup, group_teardown);
}
