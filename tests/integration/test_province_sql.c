/*
 * test_province_sql.c - the SQL behind the province's requests, against a real
 * PostgreSQL: the listing's filters, Vietnamese sorting, paging and duplicate
 * detection, a record's history, and the report, whose counts must equal
 * what a direct count on the same tables says.
 *
 * Each test gets a fresh database with the migrations applied, so that
 * counts and duplicates see only that test's records. Records go in through
 * thidua.push with the name keys computed as the server computes them
 * (text_normalize, then text_fold_key / text_fold_loose).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "migrate.h"
#include "strbuf.h"
#include "text.h"
#include "uuid.h"

/* Two certificates: a district officer's and the province's. */
#define CERT_DISTRICT                                                                              \
    "\\x"                                                                                          \
    "d15d15d15d15d15d15d15d15d15d15d15d15d15d15d15d15d15d15d15d15d15d"
#define CERT_PROVINCE                                                                              \
    "\\x"                                                                                          \
    "9a0f9a0f9a0f9a0f9a0f9a0f9a0f9a0f9a0f9a0f9a0f9a0f9a0f9a0f9a0f9a0f"

/* The test's database. */
static struct {
    char conninfo[HARNESS_CONNINFO_MAX];
    PGconn *conn; /* owned */
    long long prov, d930, d934, d935, c93401;
    unsigned hashes;
} T;

/* ------------------------------------------------------------------------ */
/* Queries */

static PGresult *q_params(const char *sql, int n, const char *const *params)
{
    PGresult *r = PQexecParams(T.conn, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(T.conn));
    return r;
}

static PGresult *q(const char *fmt, ...) THIDUA_PRINTF(1, 2);
static PGresult *q(const char *fmt, ...)
{
    char sql[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof(sql));
    return q_params(sql, 0, NULL);
}

static long long q_ll(const char *fmt, ...) THIDUA_PRINTF(1, 2);
static long long q_ll(const char *fmt, ...)
{
    char sql[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    PGresult *r = q_params(sql, 0, NULL);
    assert_int_equal(PQntuples(r), 1);
    long long v = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

/* Every row of r as "col1|col2|...", one per line, into a new string. */
static char *rows_text(const PGresult *r)
{
    strbuf_t sb;
    strbuf_init(&sb);
    for (int i = 0; i < PQntuples(r); i++) {
        for (int j = 0; j < PQnfields(r); j++)
            strbuf_printf(&sb, "%s%s", j ? "|" : "", PQgetvalue(r, i, j));
        strbuf_putc(&sb, '\n');
    }
    char *s = strdup(strbuf_str(&sb));
    strbuf_free(&sb);
    assert_non_null(s);
    return s;
}

/* Run sql, which must fail: the SQLSTATE and COLUMN_NAME it raised. */
static void q_fails(const char *sql, char state[6], char *column, size_t column_size)
{
    PGresult *r = PQexec(T.conn, sql);
    assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
    snprintf(state, 6, "%s", PQresultErrorField(r, PG_DIAG_SQLSTATE));
    const char *col = PQresultErrorField(r, PG_DIAG_COLUMN_NAME);
    snprintf(column, column_size, "%s", col != NULL ? col : "");
    PQclear(r);
}

/* ------------------------------------------------------------------------ */
/* Records */

typedef struct trec {
    char id[UUID_STR_SIZE];
    const char *unit;
    const char *kind;
    const char *name; /* as typed: normalised to NFC before it is stored */
    const char *birth;
    const char *workplace;
    const char *title;
    const char *category;
    const char *award;
    const char *summary; /* NULL: empty */
    int revision;
    int withdrawn;
} trec_t;

static trec_t trec(const char *unit, const char *name, const char *birth, const char *workplace)
{
    trec_t r = {.unit = unit,
                .kind = "individual",
                .name = name,
                .birth = birth,
                .workplace = workplace,
                .title = "Hoàn thành xuất sắc nhiệm vụ",
                .category = "KT_XH",
                .award = "GIAY_KHEN",
                .revision = 1};
    assert_int_equal(uuid_v4(r.id), TD_OK);
    return r;
}

static trec_t trec_collective(const char *unit, const char *name)
{
    trec_t r = trec(unit, name, "", "");
    r.kind = "collective";
    r.award = "BK_UBND_TINH";
    return r;
}

static void json_field(strbuf_t *sb, const char *key, const char *value)
{
    strbuf_printf(sb, "\"%s\":", key);
    strbuf_json_string(sb, value);
    strbuf_putc(sb, ',');
}

/* Push recs as caller with cert; every ack must be APPLIED. */
static void push_as(long long caller, const char *cert, const trec_t *recs, size_t n)
{
    static const text_rules_t name_rules = {.flags = 0, .min_chars = 1, .max_chars = 200};
    strbuf_t sb;
    strbuf_init(&sb);
    strbuf_putc(&sb, '[');
    for (size_t i = 0; i < n; i++) {
        const trec_t *r = &recs[i];
        char *name = NULL, *key = NULL, *loose = NULL;
        assert_int_equal(text_normalize(r->name, strlen(r->name), &name_rules, &name, NULL, NULL),
                         TD_OK);
        assert_int_equal(text_fold_key(name, strlen(name), &key), TD_OK);
        assert_int_equal(text_fold_loose(name, strlen(name), &loose), TD_OK);
        char hash[65];
        unsigned h = ++T.hashes;
        for (int k = 0; k < 8; k++)
            snprintf(hash + 8 * k, 9, "%08x", h * 2654435761u + (unsigned)k);
        strbuf_puts(&sb, i ? ",{" : "{");
        json_field(&sb, "id", r->id);
        json_field(&sb, "campaign", "HG-DB-2025");
        json_field(&sb, "org_unit", r->unit);
        json_field(&sb, "nominee_kind", r->kind);
        json_field(&sb, "nominee_name", name);
        json_field(&sb, "birth_date", r->birth);
        json_field(&sb, "gender", "");
        json_field(&sb, "position", "");
        json_field(&sb, "workplace", r->workplace);
        json_field(&sb, "title", r->title);
        json_field(&sb, "summary", r->summary != NULL ? r->summary : "");
        json_field(&sb, "category", r->category);
        json_field(&sb, "achieved_on", "2024-09-02");
        json_field(&sb, "proposed_award", r->award);
        json_field(&sb, "content_hash", hash);
        json_field(&sb, "name_key", key);
        json_field(&sb, "name_loose_key", loose);
        strbuf_printf(&sb, "\"withdrawn\":%s,\"revision\":%d}", r->withdrawn ? "true" : "false",
                      r->revision);
        free(name);
        free(key);
        free(loose);
    }
    strbuf_putc(&sb, ']');
    assert_false(strbuf_failed(&sb));

    char caller_s[24];
    snprintf(caller_s, sizeof(caller_s), "%lld", caller);
    const char *params[3] = {caller_s, cert, strbuf_str(&sb)};
    PGresult *res = q_params("SELECT result, field, message FROM thidua.push($1::bigint, "
                             "$2::bytea, $3::jsonb)",
                             3, params);
    assert_int_equal(PQntuples(res), (int)n);
    for (int i = 0; i < (int)n; i++) {
        if (strcmp(PQgetvalue(res, i, 0), "APPLIED") != 0)
            fail_msg("push %d: %s %s %s", i, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
                     PQgetvalue(res, i, 2));
    }
    PQclear(res);
    strbuf_free(&sb);
    /* As thiduad does once a push committed: number its changes (sql/014). */
    PQclear(q("SELECT thidua.feed_sequence()"));
}

static void push(const trec_t *recs, size_t n)
{
    push_as(T.prov, CERT_PROVINCE, recs, n);
}

/* decide() as the province; the result word must be want. */
static void decide(const char *id, int revision, const char *action, const char *reason,
                   const char *want)
{
    char caller[24], rev[16];
    snprintf(caller, sizeof(caller), "%lld", T.prov);
    snprintf(rev, sizeof(rev), "%d", revision);
    const char *params[6] = {caller, CERT_PROVINCE, id, rev, action, reason};
    PGresult *r = q_params("SELECT result, message FROM thidua.decide($1::bigint, $2::bytea, "
                           "$3::uuid, $4::integer, $5, $6)",
                           6, params);
    if (strcmp(PQgetvalue(r, 0, 0), want) != 0)
        fail_msg("decide %s %s: %s (%s), expected %s", id, action, PQgetvalue(r, 0, 0),
                 PQgetvalue(r, 0, 1), want);
    PQclear(r);
}

/* award() of one record under number (dated 2025-08-15); the result must be want. */
static void award(const char *id, const char *number, const char *form, const char *want)
{
    char caller[24], ids[64];
    snprintf(caller, sizeof(caller), "%lld", T.prov);
    snprintf(ids, sizeof(ids), "{%s}", id);
    const char *params[6] = {caller, CERT_PROVINCE, number, "CHỦ TỊCH Trần Văn B", form, ids};
    PGresult *r = q_params("SELECT result, message FROM thidua.award($1::bigint, $2::bytea, '', "
                           "$3, '2025-08-15', $4, $5, $6::uuid[])",
                           6, params);
    if (strcmp(PQgetvalue(r, 0, 0), want) != 0)
        fail_msg("award %s %s: %s (%s), expected %s", id, form, PQgetvalue(r, 0, 0),
                 PQgetvalue(r, 0, 1), want);
    PQclear(r);
}

static void revoke(const char *id, const char *want)
{
    char caller[24];
    snprintf(caller, sizeof(caller), "%lld", T.prov);
    const char *params[4] = {caller, CERT_PROVINCE, id, "Khai man thành tích"};
    PGresult *r = q_params("SELECT result FROM thidua.revoke($1::bigint, $2::bytea, $3::uuid, $4,"
                           " '', '201/QĐ-UBND', '2025-10-01', 'CHỦ TỊCH Trần Văn B')",
                           4, params);
    assert_string_equal(PQgetvalue(r, 0, 0), want);
    PQclear(r);
}

/* ------------------------------------------------------------------------ */
/* The listing through SQL */

typedef struct filt {
    long long caller;
    const char *unit, *status, *category, *kind, *award;
    int dups;
} filt_t;

static filt_t filt_any(void)
{
    return (filt_t){.caller = T.prov,
                    .unit = "",
                    .status = "",
                    .category = "",
                    .kind = "",
                    .award = "",
                    .dups = 0};
}

static long long list_count(const filt_t *f)
{
    char caller[24];
    snprintf(caller, sizeof(caller), "%lld", f->caller);
    const char *params[8] = {caller,      "",      f->unit,  f->status,
                             f->category, f->kind, f->award, f->dups ? "true" : "false"};
    PGresult *r = q_params("SELECT thidua.list_count($1::bigint, $2, $3, $4, $5, $6, $7, "
                           "$8::boolean)",
                           8, params);
    long long n = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return n;
}

/* One page: "id|possible_duplicates" per line, in the order given. */
static char *list_page(const filt_t *f, int offset, int limit, const char *columns)
{
    char caller[24], off[16], lim[16], sql[512];
    snprintf(caller, sizeof(caller), "%lld", f->caller);
    snprintf(off, sizeof(off), "%d", offset);
    snprintf(lim, sizeof(lim), "%d", limit);
    snprintf(sql, sizeof(sql),
             "SELECT %s FROM thidua.list_records($1::bigint, $2, $3, $4, $5, $6, $7, "
             "$8::boolean, $9::integer, $10::integer)",
             columns);
    const char *params[10] = {caller,      "",      f->unit,  f->status,
                              f->category, f->kind, f->award, f->dups ? "true" : "false",
                              off,         lim};
    PGresult *r = q_params(sql, 10, params);
    char *s = rows_text(r);
    PQclear(r);
    return s;
}

/* ------------------------------------------------------------------------ */
/* Fixtures */

static int setup(void **state)
{
    (void)state;
    memset(&T, 0, sizeof(T));
    harness_db_create(T.conninfo, sizeof(T.conninfo));
    char err[512];
    int applied = 0;
    if (migrate_run(T.conninfo, &applied, err, sizeof(err)) != 0)
        fail_msg("migrate: %s", err);
    T.conn = PQconnectdb(T.conninfo);
    assert_int_equal(PQstatus(T.conn), CONNECTION_OK);
    T.prov = q_ll("SELECT thidua.unit_resolve('93')");
    T.d930 = q_ll("SELECT thidua.unit_resolve('930')");
    T.d934 = q_ll("SELECT thidua.unit_resolve('934')");
    T.d935 = q_ll("SELECT thidua.unit_resolve('935')");
    /* A commune below 934: "the unit and every unit below it". */
    PQclear(q("INSERT INTO thidua.org_unit (code, name, level, unit_type, parent_id, valid_from)"
              " VALUES ('93401', 'Xã Hòa An', 'commune', 'commune', %lld, DATE '2004-01-01')",
              T.d934));
    T.c93401 = q_ll("SELECT thidua.unit_resolve('93401')");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    PQfinish(T.conn);
    T.conn = NULL;
    harness_db_drop(T.conninfo);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    harness_cleanup();
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Tests */

/* Both name keys are indexed, and a duplicate lookup uses those indexes. */
static void test_name_keys_indexed(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++) {
        const char *col = i == 0 ? "name_key" : "name_loose_key";
        long long n = q_ll("SELECT count(*) FROM pg_index x JOIN pg_attribute a"
                           "    ON a.attrelid = x.indrelid AND a.attnum = x.indkey[1]"
                           " WHERE x.indrelid = 'thidua.record'::regclass AND a.attname = '%s'"
                           "   AND x.indkey[0] = (SELECT attnum FROM pg_attribute"
                           "                       WHERE attrelid = 'thidua.record'::regclass"
                           "                         AND attname = 'campaign_id')",
                           col);
        assert_true(n >= 1);
    }
    /* A campaign of realistic size, so that the planner's choice means something. */
    PQclear(q("INSERT INTO thidua.record (id, campaign_id, org_unit_id, nominee_kind,"
              "     nominee_name, title, category_id, achieved_on, proposed_award_id, revision,"
              "     content_hash, name_key, name_loose_key)"
              " SELECT gen_random_uuid(), c.id, %lld, 'individual', 'Người ' || i, 'x', cat.id,"
              "        DATE '2024-09-02', f.id, 1, sha256(i::text::bytea), 'người ' || i,"
              "        'nguoi ' || i"
              "   FROM generate_series(1, 5000) AS i, thidua.campaign c"
              "   JOIN thidua.category cat ON cat.campaign_id = c.id AND cat.code = 'KT_XH'"
              "   JOIN thidua.award_form f ON f.campaign_id = c.id AND f.code = 'GIAY_KHEN'",
              T.d930));
    PQclear(q("ANALYZE thidua.record"));
    long long camp = q_ll("SELECT id FROM thidua.campaign WHERE code = 'HG-DB-2025'");
    PGresult *r = q("EXPLAIN SELECT o.id FROM thidua.record o WHERE o.campaign_id = %lld"
                    " AND (o.name_key = 'người 7' OR o.name_loose_key = 'nguoi 7')",
                    camp);
    char *plan = rows_text(r);
    PQclear(r);
    harness_assert_contains(plan, "record_dup_key");
    harness_assert_contains(plan, "record_dup_loose");
    free(plan);
}

/*
 * Same folded name (strict or loose) and the same birth date or workplace, in
 * any unit: possible duplicates, both ways. NFD input ends up with the same
 * keys as NFC input.
 */
static void test_duplicates(void **state)
{
    (void)state;
    trec_t r[6];
    r[0] = trec("930", "Nguyễn Thị Thuỷ", "1985-03-12", "Trường THPT Vị Thanh");
    /* NFD, no marks on the first two words, the tone on the u: loose key only. */
    r[1] = trec("934", "Nguyen Thi Thu\xcc\x89y", "1985-03-12", "");
    /* The tone on the other letter: the same strict key; another birth date, the same
     * workplace typed in lower case with the tone elsewhere. */
    r[2] = trec("935", "Nguyễn Thị Thủy", "1990-01-01", "trường thpt vị thanh");
    /* Same name, nothing else in common. */
    r[3] = trec("935", "Nguyễn Thị Thuỷ", "1970-05-05", "Bệnh viện đa khoa");
    /* Same birth date and workplace, another name. */
    r[4] = trec("930", "Trần Văn Bình", "1985-03-12", "Trường THPT Vị Thanh");
    /* A collective has no birth date or workplace: never flagged. */
    r[5] = trec_collective("934", "Nguyễn Thị Thuỷ");
    push(r, 6);

    /* Stored in NFC, with the keys the server computes. */
    char sql[300];
    snprintf(sql, sizeof(sql),
             "SELECT nominee_name = normalize(nominee_name, NFC) AND name_loose_key = "
             "'nguyen thi thuy' FROM thidua.record WHERE id = '%s'",
             r[1].id);
    PGresult *res = q("%s", sql);
    assert_string_equal(PQgetvalue(res, 0, 0), "t");
    PQclear(res);
    assert_int_equal(q_ll("SELECT count(DISTINCT name_key) FROM thidua.record WHERE id IN "
                          "('%s', '%s')",
                          r[0].id, r[2].id),
                     1);

    /* Expected lists, ids sorted. */
    const char *a = strcmp(r[1].id, r[2].id) < 0 ? r[1].id : r[2].id;
    const char *b = a == r[1].id ? r[2].id : r[1].id;
    char want0[80], got[200];
    snprintf(want0, sizeof(want0), "%s,%s", a, b);
    const struct {
        const trec_t *rec;
        const char *want;
    } cases[] = {
        {&r[0], want0}, {&r[1], r[0].id}, {&r[2], r[0].id}, {&r[3], ""}, {&r[4], ""}, {&r[5], ""},
    };
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(cases); i++) {
        res = q("SELECT possible_duplicates FROM thidua.record_get(%lld, '%s')", T.prov,
                cases[i].rec->id);
        snprintf(got, sizeof(got), "%s", PQgetvalue(res, 0, 0));
        PQclear(res);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("record %zu (%s): duplicates \"%s\", expected \"%s\"", i, cases[i].rec->name,
                     got, cases[i].want);
    }

    /* Only records of the caller's units are named: 930 sees no duplicate of r[0] (both are in
     * 934 and 935), and a duplicate only outside the caller's units does not make the record
     * one of "duplicates only". */
    res = q("SELECT possible_duplicates FROM thidua.record_get(%lld, '%s')", T.d930, r[0].id);
    assert_string_equal(PQgetvalue(res, 0, 0), "");
    PQclear(res);
    res = q("SELECT possible_duplicates FROM thidua.record_get(%lld, '%s')", T.d934, r[1].id);
    assert_string_equal(PQgetvalue(res, 0, 0), "");
    PQclear(res);
    assert_int_equal(q_ll("SELECT thidua.list_count(%lld, '', '', '', '', '', '', true)", T.d930),
                     0);
    res = q("SELECT count(*) FROM thidua.list_records(%lld, '', '', '', '', '', '', false, 0, 100)"
            " WHERE possible_duplicates <> ''",
            T.d935);
    assert_string_equal(PQgetvalue(res, 0, 0), "0");
    PQclear(res);

    /* duplicates_only keeps exactly the three, and the listing carries the same lists. */
    filt_t f = filt_any();
    f.dups = 1;
    assert_int_equal(list_count(&f), 3);
    char *page = list_page(&f, 0, 100, "id, possible_duplicates");
    char line[200];
    snprintf(line, sizeof(line), "%s|%s\n", r[0].id, want0);
    harness_assert_contains(page, line);
    snprintf(line, sizeof(line), "%s|%s\n", r[1].id, r[0].id);
    harness_assert_contains(page, line);
    snprintf(line, sizeof(line), "%s|%s\n", r[2].id, r[0].id);
    harness_assert_contains(page, line);
    free(page);
}

/*
 * A mixed set of records: units 930, 934 (and its commune 93401), 935;
 * individuals and collectives; categories; every status; one award
 * conferred in another form than proposed; one revoked.
 */
typedef struct dataset {
    trec_t r[12];
} dataset_t;

static void dataset_make(dataset_t *d)
{
    d->r[0] = trec("930", "Lê Văn An", "1980-01-01", "");
    d->r[1] = trec("930", "Phạm Thị Bích", "1981-02-02", "");
    d->r[2] = trec_collective("930", "Trường Tiểu học Vị Thanh");
    d->r[3] = trec("934", "Võ Văn Cường", "1982-03-03", "");
    d->r[4] = trec("934", "Huỳnh Thị Dung", "1983-04-04", "");
    d->r[5] = trec_collective("934", "Hội Nông dân xã Hòa An");
    d->r[6] = trec("93401", "Đỗ Văn Em", "1984-05-05", "");
    d->r[7] = trec("93401", "Ngô Thị Giang", "1985-06-06", "");
    d->r[8] = trec("935", "Trương Văn Hùng", "1986-07-07", "");
    d->r[9] = trec("935", "Lý Thị Kim", "1987-08-08", "");
    d->r[10] = trec_collective("935", "Công an xã Vị Thủy");
    d->r[11] = trec("935", "Mai Văn Long", "1988-09-09", "");
    d->r[1].category = "QP_AN";
    d->r[4].category = "QP_AN";
    d->r[8].category = "ASXH";
    d->r[10].category = "QP_AN";
    d->r[3].award = "CSTD_CO_SO";
    push(d->r, 12);

    decide(d->r[0].id, 1, "approve", "", "APPLIED");
    decide(d->r[2].id, 1, "approve", "", "APPLIED");
    decide(d->r[3].id, 1, "reject", "Chưa đủ tiêu chuẩn", "APPLIED");
    decide(d->r[5].id, 1, "approve", "", "APPLIED");
    decide(d->r[6].id, 1, "return", "Bổ sung báo cáo thành tích", "APPLIED");
    decide(d->r[8].id, 1, "approve", "", "APPLIED");
    decide(d->r[10].id, 1, "approve", "", "APPLIED");
    /* r[0] proposed GIAY_KHEN and receives the provincial Bằng khen. */
    award(d->r[0].id, "163/QĐ-UBND", "BK_UBND_TINH", "APPLIED");
    award(d->r[2].id, "163/QĐ-UBND", "BK_UBND_TINH", "APPLIED");
    award(d->r[5].id, "163/QĐ-UBND", "CO_THI_DUA_TINH", "APPLIED");
    award(d->r[10].id, "163/QĐ-UBND", "TT_LD_XUAT_SAC", "APPLIED");
    revoke(d->r[2].id, "APPLIED");
    /* r[9] withdrawn by its district. */
    d->r[9].revision = 2;
    d->r[9].withdrawn = 1;
    push_as(T.d935, CERT_DISTRICT, &d->r[9], 1);
}

/*
 * The ids of the records matching `where` in `order`, by a direct query: r
 * the record, u its unit, c its category, pf its proposed form, aw its award
 * and af the form conferred.
 */
static PGresult *direct_ids(const char *where, const char *order)
{
    return q("SELECT r.id FROM thidua.record r"
             "  JOIN thidua.org_unit u ON u.id = r.org_unit_id"
             "  JOIN thidua.category c ON c.id = r.category_id"
             "  JOIN thidua.award_form pf ON pf.id = r.proposed_award_id"
             "  LEFT JOIN thidua.award aw ON aw.record_id = r.id"
             "  LEFT JOIN thidua.award_form af ON af.id = aw.award_form_id"
             " WHERE %s ORDER BY %s",
             where, order);
}

/* The ids list_match gives for f, against the ids a direct query gives. */
static void check_filter(const filt_t *f, const char *direct_where)
{
    char caller[24];
    snprintf(caller, sizeof(caller), "%lld", f->caller);
    const char *params[8] = {caller,      "",      f->unit,  f->status,
                             f->category, f->kind, f->award, f->dups ? "true" : "false"};
    PGresult *a = q_params("SELECT m.id FROM thidua.list_match($1::bigint, $2, $3, $4, $5, $6, "
                           "$7, $8::boolean) AS m (id) ORDER BY 1",
                           8, params);
    PGresult *b = direct_ids(direct_where, "1");
    char *got = rows_text(a), *want = rows_text(b);
    if (strcmp(got, want) != 0)
        fail_msg("filter unit=%s status=%s category=%s kind=%s award=%s:\n got\n%s want\n%s",
                 f->unit, f->status, f->category, f->kind, f->award, got, want);
    assert_int_equal(list_count(f), PQntuples(b));
    assert_true(PQntuples(b) > 0); /* a filter that matches nothing proves little */
    PQclear(a);
    PQclear(b);
    free(got);
    free(want);
}

static void test_list_filters(void **state)
{
    (void)state;
    dataset_t d;
    dataset_make(&d);

    filt_t f = filt_any();
    check_filter(&f, "true");
    f.unit = "934";
    check_filter(&f, "u.code IN ('934', '93401')");
    f.unit = "93401";
    check_filter(&f, "u.code = '93401'");
    f = filt_any();
    f.status = "approved";
    check_filter(&f, "r.status = 'approved'");
    f.status = "awarded";
    check_filter(&f, "r.status = 'awarded'");
    f = filt_any();
    f.category = "QP_AN";
    check_filter(&f, "c.code = 'QP_AN'");
    f = filt_any();
    f.kind = "collective";
    check_filter(&f, "r.nominee_kind = 'collective'");
    f = filt_any();
    f.award = "BK_UBND_TINH"; /* proposed, or conferred (r[0]) */
    check_filter(&f, "pf.code = 'BK_UBND_TINH' OR af.code = 'BK_UBND_TINH'");
    f.award = "GIAY_KHEN";
    check_filter(&f, "pf.code = 'GIAY_KHEN' OR af.code = 'GIAY_KHEN'");
    f = filt_any();
    f.unit = "935";
    f.status = "submitted";
    f.kind = "individual";
    check_filter(&f, "u.code = '935' AND r.status = 'submitted' AND r.nominee_kind = 'individual'");

    /* A district sees its own subtree only, whatever it asks. */
    f = filt_any();
    f.caller = T.d934;
    check_filter(&f, "u.code IN ('934', '93401')");
}

/* Arguments that are wrong as a whole: TD400 / TD403, naming the field. */
static void test_list_refusals(void **state)
{
    (void)state;
    const struct {
        const char *args;
        const char *state;
        const char *column;
    } cases[] = {
        {"'HG-XX', '', '', '', '', '', false", "TD400", "campaign"},
        {"'', '999', '', '', '', '', false", "TD400", "org_unit"},
        {"'', '', 'approve', '', '', '', false", "TD400", "status"},
        {"'', '', '', 'KT', '', '', false", "TD400", "category"},
        {"'', '', '', '', 'person', '', false", "TD400", "nominee_kind"},
        {"'', '', '', '', '', 'BK', false", "TD400", "award"},
    };
    char sql[300], st[6], col[64];
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(cases); i++) {
        snprintf(sql, sizeof(sql), "SELECT thidua.list_count(%lld, %s)", T.prov, cases[i].args);
        q_fails(sql, st, col, sizeof(col));
        assert_string_equal(st, cases[i].state);
        assert_string_equal(col, cases[i].column);
    }
    /* A district asking for another district's records. */
    snprintf(sql, sizeof(sql),
             "SELECT * FROM thidua.list_records(%lld, '', '930', '', '', '', '',"
             " false, 0, 10)",
             T.d934);
    q_fails(sql, st, col, sizeof(col));
    assert_string_equal(st, "TD403");
    assert_string_equal(col, "org_unit");
}

/*
 * Sorted by unit code, then the nominee name in Vietnamese order (a < ă < â,
 * d < đ, u < ư: not the order of the code points), and pages that put
 * together give the whole list exactly once.
 */
static void test_list_sort_and_pages(void **state)
{
    (void)state;
    static const char *const names[] = {
        /* In the order expected within a unit. */
        "An Văn Tư",     "Ăng Thị Bé",   "Ân Văn Tài",   "Bùi Thị Ơn",
        "Dương Thị Lan", "Đặng Văn Hải", "Uông Thị Hoa", "Ưng Văn Lộc",
    };
    enum { N = 8 };
    trec_t r[2 * N];
    /* Distinct birth dates: these are not duplicates of each other. */
    static char births[2 * N][11];
    for (int i = 0; i < 2 * N; i++)
        snprintf(births[i], sizeof(births[i]), "19%02d-01-01", 50 + i);
    /* Unit 935 first in the request, names shuffled: the order must come from the sort. */
    for (int i = 0; i < N; i++) {
        r[i] = trec("935", names[(i * 5) % N], births[i], "");
        r[N + i] = trec("930", names[(i * 3) % N], births[N + i], "");
    }
    push(r, 2 * N);

    filt_t f = filt_any();
    char *all = list_page(&f, 0, 1000, "org_unit, nominee_name");
    strbuf_t want;
    strbuf_init(&want);
    for (int u = 0; u < 2; u++)
        for (int i = 0; i < N; i++)
            strbuf_printf(&want, "%s|%s\n", u == 0 ? "930" : "935", names[i]);
    assert_string_equal(all, strbuf_str(&want));
    strbuf_free(&want);
    free(all);

    /* Pages of 3 in id form, against the whole list in id form. */
    char *ids = list_page(&f, 0, 1000, "id");
    strbuf_t pages;
    strbuf_init(&pages);
    for (int off = 0; off < 2 * N + 3; off += 3) {
        char *p = list_page(&f, off, 3, "id");
        strbuf_puts(&pages, p);
        free(p);
    }
    assert_string_equal(strbuf_str(&pages), ids);
    strbuf_free(&pages);
    free(ids);
    assert_int_equal(list_count(&f), 2 * N);
}

/* The listing's pages of `size` put together, as "id" lines. */
static char *list_paged(const filt_t *f, int size)
{
    strbuf_t pages;
    strbuf_init(&pages);
    for (int off = 0;; off += size) {
        char *p = list_page(f, off, size, "id");
        size_t len = strlen(p);
        strbuf_puts(&pages, p);
        free(p);
        if (len == 0)
            break;
    }
    assert_false(strbuf_failed(&pages));
    char *s = strdup(strbuf_str(&pages));
    strbuf_free(&pages);
    assert_non_null(s);
    return s;
}

/*
 * Pages for every kind of filter, put together, against one direct query in
 * the listing's order (unit code, unit, name, id), and the count against the
 * same query: the pages skip whole units by the tally (sql/016), so a tally
 * one record off would show here as a record missing or twice.
 */
static void test_list_pages_match_direct(void **state)
{
    (void)state;
    dataset_t d;
    dataset_make(&d);

    static const struct {
        const char *unit, *status, *category, *kind, *award;
        const char *where;
    } cases[] = {
        {"", "", "", "", "", "true"},
        {"934", "", "", "", "", "u.code IN ('934', '93401')"},
        {"", "approved", "", "", "", "r.status = 'approved'"},
        {"", "", "QP_AN", "", "", "c.code = 'QP_AN'"},
        {"", "", "", "individual", "", "r.nominee_kind = 'individual'"},
        {"", "submitted", "", "individual", "", "r.status = 'submitted' AND r.nominee_kind = 'individual'"},
        {"", "", "", "", "BK_UBND_TINH", "pf.code = 'BK_UBND_TINH' OR af.code = 'BK_UBND_TINH'"},
    };
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(cases); i++) {
        filt_t f = filt_any();
        f.unit = cases[i].unit;
        f.status = cases[i].status;
        f.category = cases[i].category;
        f.kind = cases[i].kind;
        f.award = cases[i].award;
        PGresult *b =
            direct_ids(cases[i].where, "u.code COLLATE \"C\", u.id, r.nominee_name, r.id");
        char *want = rows_text(b);
        assert_true(PQntuples(b) > 0);
        for (int size = 1; size <= 5; size += 2) {
            char *got = list_paged(&f, size);
            if (strcmp(got, want) != 0)
                fail_msg("case %zu, pages of %d:\n got\n%s want\n%s", i, size, got, want);
            free(got);
        }
        assert_int_equal(list_count(&f), PQntuples(b));
        PQclear(b);
        free(want);
    }
}

/* The tally, key by key, against a count of the records: "" when they agree. */
static char *tally_diff(void)
{
    PGresult *r = q("SELECT coalesce(string_agg(format('%%s %%s %%s %%s %%s: %%s', campaign_id,"
                    "         org_unit_id, status, category_id, nominee_kind, n), E'\\n'), '')"
                    "  FROM ((SELECT campaign_id, org_unit_id, status, category_id, nominee_kind,"
                    "                sum(n) AS n FROM thidua.record_tally"
                    "          GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0"
                    "         EXCEPT ALL"
                    "         SELECT campaign_id, org_unit_id, status, category_id, nominee_kind,"
                    "                count(*) FROM thidua.record GROUP BY 1, 2, 3, 4, 5)"
                    "        UNION ALL"
                    "        (SELECT campaign_id, org_unit_id, status, category_id, nominee_kind,"
                    "                count(*) FROM thidua.record GROUP BY 1, 2, 3, 4, 5"
                    "         EXCEPT ALL"
                    "         SELECT campaign_id, org_unit_id, status, category_id, nominee_kind,"
                    "                sum(n) FROM thidua.record_tally"
                    "          GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0)) AS x");
    char *s = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    assert_non_null(s);
    return s;
}

/*
 * The tally follows every write of a record (push, a new revision that
 * changes the kind and the category, decisions, awards, a revocation, a
 * withdrawal), and folding it changes nothing but the number of its rows.
 */
static void test_tally_follows_records(void **state)
{
    (void)state;
    dataset_t d;
    dataset_make(&d);
    char *diff = tally_diff();
    assert_string_equal(diff, "");
    free(diff);

    /* A second revision moves r[4] to another category, r[1] to a collective. */
    d.r[4].revision = 2;
    d.r[4].category = "ASXH";
    d.r[1].revision = 2;
    d.r[1].kind = "collective";
    d.r[1].birth = "";
    d.r[1].award = "BK_UBND_TINH";
    push(&d.r[1], 1);
    push(&d.r[4], 1);
    diff = tally_diff();
    assert_string_equal(diff, "");
    free(diff);
    assert_true(q_ll("SELECT count(*) FROM thidua.record_tally") >
                q_ll("SELECT count(*) FROM (SELECT DISTINCT campaign_id, org_unit_id, status,"
                     " category_id, nominee_kind FROM thidua.record) x"));

    /* Not under REPEATABLE READ (a fold there could meet a row an earlier one removed). */
    PQclear(q("BEGIN ISOLATION LEVEL REPEATABLE READ"));
    PGresult *r = q("SELECT thidua.record_tally_fold()");
    assert_string_equal(PQgetvalue(r, 0, 0), "f");
    PQclear(r);
    PQclear(q("COMMIT"));

    /* The 256th statement folds: one row per key, and still the same counts. */
    PQclear(q("SELECT setval('thidua.record_tally_statements', 255)"));
    trec_t one = trec("930", "Tạ Văn Phúc", "1990-10-10", "");
    push(&one, 1);
    diff = tally_diff();
    assert_string_equal(diff, "");
    free(diff);
    assert_int_equal(q_ll("SELECT count(*) FROM thidua.record_tally"),
                     q_ll("SELECT count(*) FROM (SELECT DISTINCT campaign_id, org_unit_id,"
                          " status, category_id, nominee_kind FROM thidua.record) x"));
}

/*
 * A pull's page (sql/017): for the province (every unit), for a district
 * with a commune (two units, a small share of the feed, so that a walk of
 * the feed in order often finds no full page within its reach and the
 * per-unit path runs) and for a district of one unit, at every cursor and
 * several limits, against a direct query on the feed.
 */
static void test_pull_page_paths(void **state)
{
    (void)state;
    /* 934's and 93401's changes thin among 930's: one of each in every push of 12. */
    for (int round = 0; round < 4; round++) {
        trec_t r[12];
        static char names[12][32];
        for (int i = 0; i < 12; i++) {
            const char *unit = i == 3 ? "934" : i == 9 ? "93401" : "930";
            snprintf(names[i], sizeof(names[i]), "Tập thể %d-%d", round, i);
            r[i] = trec_collective(unit, names[i]);
        }
        push(r, 12);
    }
    long long last = q_ll("SELECT max(seq) FROM thidua.change_feed");
    assert_int_equal(last, 48);

    const long long callers[] = {T.prov, T.d934, T.d930};
    const int limits[] = {1, 2, 3, 7, 50};
    for (size_t c = 0; c < THIDUA_ARRAY_LEN(callers); c++) {
        for (size_t l = 0; l < THIDUA_ARRAY_LEN(limits); l++) {
            for (long long cursor = 0; cursor <= last; cursor++) {
                PGresult *a = q("SELECT seq, kind, record_id FROM thidua.pull_page(%lld, %lld, %d)",
                                callers[c], cursor, limits[l]);
                PGresult *b = q("SELECT f.seq, f.kind, f.record_id FROM thidua.change_feed f"
                                " WHERE f.org_unit_id IN (SELECT descendant_id"
                                "   FROM thidua.org_unit_closure WHERE ancestor_id = %lld)"
                                "   AND f.seq > %lld ORDER BY f.seq LIMIT %d",
                                callers[c], cursor, limits[l] + 1);
                char *got = rows_text(a), *want = rows_text(b);
                if (strcmp(got, want) != 0)
                    fail_msg("caller %lld, cursor %lld, limit %d:\n got\n%s want\n%s", callers[c],
                             cursor, limits[l], got, want);
                free(got);
                free(want);
                PQclear(a);
                PQclear(b);
            }
        }
    }
}

/*
 * GetRecord's history: every revision with its content, every decision,
 * the award and the revocation, oldest first, each with who and when.
 */
static void test_history(void **state)
{
    (void)state;
    trec_t r = trec("934", "Châu Văn Minh", "1979-11-20", "Ủy ban nhân dân xã Hòa An");
    r.title = "Bản đầu";
    push_as(T.d934, CERT_DISTRICT, &r, 1);
    decide(r.id, 1, "return", "Thiếu minh chứng", "APPLIED");
    r.revision = 2;
    r.title = "Bản bổ sung";
    push_as(T.d934, CERT_DISTRICT, &r, 1);
    decide(r.id, 1, "approve", "", "CONFLICT"); /* the record moved on */
    decide(r.id, 2, "approve", "", "APPLIED");
    award(r.id, "170/QĐ-UBND", "BK_UBND_TINH", "APPLIED");
    revoke(r.id, "APPLIED");

    PGresult *h = q("SELECT kind, revision, action, reason, by_unit, by_fingerprint,"
                    "       coalesce(title, '-'), coalesce(withdrawn::text, '-')"
                    "  FROM thidua.record_history(%lld, '%s')",
                    T.prov, r.id);
    char *got = rows_text(h);
    PQclear(h);
    const char *fd = CERT_DISTRICT + 2, *fp = CERT_PROVINCE + 2;
    char want[2048];
    snprintf(want, sizeof(want),
             "revision|1|||934|%s|Bản đầu|false\n"
             "decision|1|return|Thiếu minh chứng|93|%s|-|-\n"
             "revision|2|||934|%s|Bản bổ sung|false\n"
             "decision|2|approve||93|%s|-|-\n"
             "award|2|||93|%s|-|-\n"
             "revoke|2||Khai man thành tích|93|%s|-|-\n",
             fd, fp, fd, fp, fp, fp);
    assert_string_equal(got, want);
    free(got);

    /* In feed order, and times that never go backwards. */
    assert_int_equal(q_ll("SELECT count(*) FROM (SELECT change_seq, at_ms,"
                          "       lag(change_seq) OVER (ORDER BY change_seq) AS ps,"
                          "       lag(at_ms) OVER (ORDER BY change_seq) AS pa"
                          "  FROM thidua.record_history(%lld, '%s')) x"
                          " WHERE ps IS NOT NULL AND (change_seq <= ps OR at_ms < pa)",
                          T.prov, r.id),
                     0);
    /* Each revision carries its whole content. */
    h = q("SELECT id, org_unit, nominee_kind, nominee_name, birth_date, workplace, category,"
          "       proposed_award, campaign, length(content_hash)"
          "  FROM thidua.record_history(%lld, '%s') WHERE kind = 'revision' ORDER BY revision",
          T.prov, r.id);
    assert_int_equal(PQntuples(h), 2);
    char line[400];
    snprintf(line, sizeof(line),
             "%s|934|individual|Châu Văn Minh|1979-11-20|Ủy ban nhân dân xã Hòa An|KT_XH|"
             "GIAY_KHEN|HG-DB-2025|64\n",
             r.id);
    got = rows_text(h);
    PQclear(h);
    harness_assert_contains(got, line);
    free(got);

    /* Another district sees nothing of it. */
    assert_int_equal(q_ll("SELECT count(*) FROM thidua.record_history(%lld, '%s')", T.d930, r.id),
                     0);
    h = q("SELECT allowed, status FROM thidua.record_get(%lld, '%s')", T.d930, r.id);
    assert_string_equal(PQgetvalue(h, 0, 0), "f");
    PQclear(h);
    h = q("SELECT allowed, status, award_form FROM thidua.record_get(%lld, '%s')", T.prov, r.id);
    assert_string_equal(PQgetvalue(h, 0, 0), "t");
    assert_string_equal(PQgetvalue(h, 0, 1), "revoked");
    assert_string_equal(PQgetvalue(h, 0, 2), "BK_UBND_TINH");
    PQclear(h);

    /* A withdrawal is in the history with the content that withdrew. */
    trec_t w = trec("934", "Tạ Thị Nga", "1990-12-12", "");
    push_as(T.d934, CERT_DISTRICT, &w, 1);
    w.revision = 2;
    w.withdrawn = 1;
    push_as(T.d934, CERT_DISTRICT, &w, 1);
    h = q("SELECT kind, revision, by_unit, withdrawn FROM thidua.record_history(%lld, '%s')",
          T.prov, w.id);
    got = rows_text(h);
    PQclear(h);
    assert_string_equal(got, "revision|1|934|f\nwithdraw|2|934|t\n");
    free(got);
}

/* The columns of record_history, for comparing it with a page. */
#define HISTORY_COLUMNS                                                                            \
    "change_seq, kind, revision, action, reason, at_ms, by_unit, by_fingerprint, id, campaign,"    \
    " org_unit, nominee_kind, nominee_name, birth_date, gender, position, workplace, title,"       \
    " summary, category, achieved_on, proposed_award, content_hash, withdrawn"

/* record_history_page as the province: "change_seq|more" per row. */
static char *history_page(const char *id, long long before, int limit, long long budget)
{
    PGresult *h = q("SELECT change_seq, more FROM thidua.record_history_page(%lld, '%s', %lld,"
                    " %d, %lld)",
                    T.prov, id, before, limit, budget);
    char *s = rows_text(h);
    PQclear(h);
    return s;
}

/*
 * A page of the history: the newest entries before the cursor, in feed order,
 * at most `limit` of them, and stopped before their sizes pass the byte
 * budget, but never empty while entries are left; `more` says older ones
 * follow. A page that holds everything is record_history itself.
 */
static void test_history_page(void **state)
{
    (void)state;
    /* Five revisions with summaries of 1000 to 5000 bytes, then a decision. */
    static char text[5001];
    memset(text, 'a', sizeof(text) - 1);
    trec_t r = trec("934", "Lý Văn Khang", "1977-07-07", "");
    for (int rev = 1; rev <= 5; rev++) {
        r.revision = rev;
        r.summary = text + sizeof(text) - 1 - 1000 * (size_t)rev;
        push_as(T.d934, CERT_DISTRICT, &r, 1);
    }
    decide(r.id, 5, "return", "Thiếu minh chứng", "APPLIED");
    long long seq[7]; /* seq[k]: the k-th entry, oldest first (1..6) */
    for (int k = 1; k <= 6; k++)
        seq[k] = q_ll("SELECT seq FROM thidua.change_feed WHERE record_id = '%s' ORDER BY seq"
                      " OFFSET %d LIMIT 1",
                      r.id, k - 1);
    /* An entry's size: 256, its content as JSON text, its reason. */
    long long size[7];
    for (int k = 1; k <= 5; k++)
        size[k] = q_ll("SELECT 256 + octet_length(content::text) FROM thidua.record_revision"
                       " WHERE record_id = '%s' AND revision = %d",
                       r.id, k);
    size[6] = 256 + (long long)strlen("Thiếu minh chứng");

    /* Everything fits: the whole history, as record_history gives it. */
    PGresult *h = q("SELECT " HISTORY_COLUMNS " FROM thidua.record_history(%lld, '%s')", T.prov,
                    r.id);
    char *whole = rows_text(h);
    PQclear(h);
    h = q("SELECT " HISTORY_COLUMNS " FROM thidua.record_history_page(%lld, '%s', 0, 100,"
          " 1000000)",
          T.prov, r.id);
    char *page = rows_text(h);
    PQclear(h);
    assert_string_equal(page, whole);
    free(page);
    free(whole);

    char want[256];
    /* The byte budget: up to it, not past it. Entries 6 and 5 take size[6] + size[5]. */
    char *got = history_page(r.id, 0, 100, size[6] + size[5]);
    snprintf(want, sizeof(want), "%lld|t\n%lld|t\n", seq[5], seq[6]);
    assert_string_equal(got, want);
    free(got);
    got = history_page(r.id, 0, 100, size[6] + size[5] - 1);
    snprintf(want, sizeof(want), "%lld|t\n", seq[6]);
    assert_string_equal(got, want);
    free(got);
    /* Never empty: an entry larger than the budget comes alone. */
    got = history_page(r.id, seq[6], 100, 10);
    snprintf(want, sizeof(want), "%lld|t\n", seq[5]);
    assert_string_equal(got, want);
    free(got);
    /* The entry limit, and the cursor: before entry 4, entries 2 and 3. */
    got = history_page(r.id, seq[4], 2, 1000000);
    snprintf(want, sizeof(want), "%lld|t\n%lld|t\n", seq[2], seq[3]);
    assert_string_equal(got, want);
    free(got);
    /* The last page: nothing more. Before the first entry: nothing at all. */
    got = history_page(r.id, seq[3], 100, 1000000);
    snprintf(want, sizeof(want), "%lld|f\n%lld|f\n", seq[1], seq[2]);
    assert_string_equal(got, want);
    free(got);
    got = history_page(r.id, seq[1], 100, 1000000);
    assert_string_equal(got, "");
    free(got);

    /* Walking back, two revisions a page at most: each entry once, newest first. */
    long long budget = size[4] + size[5], before = 0;
    int entries = 0;
    for (int pages = 0; pages < 10; pages++) {
        h = q("SELECT change_seq, more FROM thidua.record_history_page(%lld, '%s', %lld, 100,"
              " %lld) ORDER BY change_seq DESC",
              T.prov, r.id, before, budget);
        int n = PQntuples(h);
        assert_true(n >= 1);
        for (int i = 0; i < n; i++)
            assert_int_equal(atoll(PQgetvalue(h, i, 0)), seq[6 - entries - i]);
        int more = PQgetvalue(h, 0, 1)[0] == 't';
        before = atoll(PQgetvalue(h, n - 1, 0));
        entries += n;
        PQclear(h);
        if (!more)
            break;
    }
    assert_int_equal(entries, 6);

    /* Another district sees nothing of it. */
    assert_int_equal(q_ll("SELECT count(*) FROM thidua.record_history_page(%lld, '%s', 0, 100,"
                          " 1000000)",
                          T.d930, r.id),
                     0);
}

/* report_counts, table by table, against direct counts on the tables. */
static void test_report_counts(void **state)
{
    (void)state;
    dataset_t d;
    dataset_make(&d);

    static const struct {
        const char *tbl;
        const char *direct; /* k|k2|n in the report's order */
    } tables[] = {
        {"unit_status",
         "SELECT u.code, r.status, count(*) FROM thidua.record r"
         "  JOIN thidua.org_unit u ON u.id = r.org_unit_id GROUP BY u.code, r.status"
         " ORDER BY u.code, array_position(ARRAY['submitted','returned','approved','rejected',"
         "'withdrawn','awarded','revoked'], r.status)"},
        {"category",
         "SELECT c.code, '', count(*) FROM thidua.record r"
         "  JOIN thidua.category c ON c.id = r.category_id GROUP BY c.code, c.sort_order"
         " ORDER BY c.sort_order"},
        {"award_form",
         "SELECT f.code, '', count(*) FROM thidua.award a"
         "  JOIN thidua.award_form f ON f.id = a.award_form_id WHERE a.revoked_at IS NULL"
         " GROUP BY f.code, f.sort_order ORDER BY f.sort_order"},
        {"kind",
         "SELECT nominee_kind, '', count(*) FROM thidua.record GROUP BY nominee_kind"
         " ORDER BY array_position(ARRAY['individual','collective','household'], nominee_kind)"},
    };
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(tables); i++) {
        PGresult *a = q("SELECT k, k2, n FROM thidua.report_counts(%lld, '') WHERE tbl = '%s'",
                        T.prov, tables[i].tbl);
        PGresult *b = q("%s", tables[i].direct);
        char *got = rows_text(a), *want = rows_text(b);
        if (strcmp(got, want) != 0)
            fail_msg("%s:\n got\n%s want\n%s", tables[i].tbl, got, want);
        assert_true(PQntuples(b) > 0);
        PQclear(a);
        PQclear(b);
        free(got);
        free(want);
    }
    /* Every record is in exactly one cell of unit x status. */
    assert_int_equal(q_ll("SELECT sum(n) FROM thidua.report_counts(%lld, '')"
                          " WHERE tbl = 'unit_status'",
                          T.prov),
                     q_ll("SELECT count(*) FROM thidua.record"));
    /* The revoked award is not counted: three awards in force. */
    assert_int_equal(q_ll("SELECT sum(n) FROM thidua.report_counts(%lld, '')"
                          " WHERE tbl = 'award_form'",
                          T.prov),
                     3);
    /* Names come with the keys. */
    PGresult *r = q("SELECT k_name FROM thidua.report_counts(%lld, '')"
                    " WHERE tbl = 'unit_status' AND k = '934' LIMIT 1",
                    T.prov);
    assert_string_equal(PQgetvalue(r, 0, 0), "Huyện Phụng Hiệp");
    PQclear(r);

    /* A district's report covers its subtree only. */
    assert_int_equal(
        q_ll("SELECT sum(n) FROM thidua.report_counts(%lld, '') WHERE tbl = 'kind'", T.d934), 5);
}

/* The awardees: in force only, sorted by form precedence, unit, then name. */
static void test_report_awardees(void **state)
{
    (void)state;
    dataset_t d;
    dataset_make(&d);
    trec_t more[2] = {
        trec("930", "Âu Thị Lành", "1970-01-01", ""),
        trec("930", "Ánh Văn Sáng", "1971-01-01", ""),
    };
    push(more, 2);
    for (int i = 0; i < 2; i++) {
        decide(more[i].id, 1, "approve", "", "APPLIED");
        award(more[i].id, "164/QĐ-UBND", "BK_UBND_TINH", "APPLIED");
    }
    PGresult *r = q("SELECT form, org_unit, nominee_name, decision_number, decision_date,"
                    "       category FROM thidua.report_awardees(%lld, '')",
                    T.prov);
    char *got = rows_text(r);
    PQclear(r);
    /* BK (1) before CO_THI_DUA (2) before TT_LD_XUAT_SAC (4); within BK in 930: Ánh < Âu < Lê. */
    assert_string_equal(got,
                        "BK_UBND_TINH|930|Ánh Văn Sáng|164/QĐ-UBND|2025-08-15|KT_XH\n"
                        "BK_UBND_TINH|930|Âu Thị Lành|164/QĐ-UBND|2025-08-15|KT_XH\n"
                        "BK_UBND_TINH|930|Lê Văn An|163/QĐ-UBND|2025-08-15|KT_XH\n"
                        "CO_THI_DUA_TINH|934|Hội Nông dân xã Hòa An|163/QĐ-UBND|2025-08-15|"
                        "KT_XH\n"
                        "TT_LD_XUAT_SAC|935|Công an xã Vị Thủy|163/QĐ-UBND|2025-08-15|QP_AN\n");
    free(got);
}

/* Sync health: noted pushes and pulls, refused records, and pending work per unit. */
static void test_report_sync(void **state)
{
    (void)state;
    dataset_t d;
    dataset_make(&d);
    PQclear(q("SELECT thidua.sync_note(%lld, 'push', 2)", T.d930));
    PQclear(q("SELECT thidua.sync_note(%lld, 'push', 1)", T.d930));
    PQclear(q("SELECT thidua.sync_note(%lld, 'pull', 0)", T.d930));
    char st[6], col[64];
    q_fails("SELECT thidua.sync_note(1, 'fetch', 0)", st, col, sizeof(col));
    assert_string_equal(st, "TD400");

    PGresult *r = q("SELECT org_unit, last_sync_ms > 0, submitted, returned, rejected_pushes"
                    "  FROM thidua.report_sync(%lld, '')",
                    T.prov);
    char *got = rows_text(r);
    PQclear(r);
    /* 930 noted; 935 pushed a withdrawal itself (an accepted revision); 93 pushed the rest. */
    harness_assert_contains(got, "930|t|1|0|3\n");
    harness_assert_contains(got, "931|f|0|0|0\n");
    harness_assert_contains(got, "934|f|1|0|0\n");
    harness_assert_contains(got, "93401|f|1|1|0\n");
    harness_assert_contains(got, "935|t|1|0|0\n");
    harness_assert_contains(got, "93|t|0|0|0\n");
    free(got);
    /* submitted and returned agree with direct counts. */
    assert_int_equal(
        q_ll("SELECT sum(submitted) + sum(returned) FROM thidua.report_sync(%lld, '')", T.prov),
        q_ll("SELECT count(*) FROM thidua.record WHERE status IN ('submitted', "
             "'returned')"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_name_keys_indexed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_sort_and_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_pages_match_direct, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tally_follows_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pull_page_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_awardees, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_sync, setup, teardown),
    };
    return cmocka_run_group_tests_name("province_sql", tests, NULL, group_teardown);
}
