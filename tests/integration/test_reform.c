/*
 * test_reform.c - the reform of 1 July 2025 and units that close, through
 * the real binaries against thiduad and PostgreSQL.
 *
 * What the province and its offices rely on: the seed's reform file applied
 * twice changes nothing the second time; the units of a day are those of
 * that day; after the merger the new city (92) reviews, approves and awards
 * the records Hậu Giang's districts made, under its own name as issuer,
 * and the report says whose records they were and who succeeded them; a
 * closed unit's certificate is refused naming its successor once the grace
 * period is over; within it, its office still pulls and revises its
 * records but makes no new one; and the successor's office takes the
 * predecessor's records over.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "date.h"
#include "harness.h"

#define SIGNER "KT. CHỦ TỊCH — PHÓ CHỦ TỊCH Trần Văn Lâu"

/* Exit codes (client/cli/cli.h). */
enum { OK = 0, EINVALID = 2, EREFUSED = 4, EATTENTION = 6 };

static struct {
    harness_pki_t pki;
    char db[HARNESS_CONNINFO_MAX];
    harness_server_t srv;
    char p93[HARNESS_PATH_MAX]; /* the province before the reform */
    char p92[HARNESS_PATH_MAX]; /* Thành phố Cần Thơ after it */
    char d934[HARNESS_PATH_MAX];
    char d930[HARNESS_PATH_MAX];
    char reform[HARNESS_PATH_MAX]; /* the file shipped in share/reform */
    char d31002[HARNESS_PATH_MAX]; /* a commune's office, once closed_within_grace made it */
} fx;

/* A district office's `thidua init` (harness.h). */
static void office_init(char *config, size_t size, const char *unit)
{
    harness_office_init(config, size, &fx.pki, fx.srv.port, unit);
}

/* A province office's configuration for the certificate UNIT-province. */
static void province_init(char *config, size_t size, const char *unit)
{
    char dir[HARNESS_PATH_MAX];
    harness_tmp_mkdir(dir, sizeof(dir), "p%s", unit);
    harness_client_config(dir, unit, "province", &fx.pki, fx.srv.port, config, size);
}

static int group_setup(void **state)
{
    (void)state;
    harness_pki_make(&fx.pki);
    (void)harness_pki_issue(&fx.pki, "92-province", "92", "province", NULL);
    (void)harness_pki_issue(&fx.pki, "31001-district", "31001", "district", NULL);
    (void)harness_pki_issue(&fx.pki, "31002-district", "31002", "district", NULL);
    harness_db_create(fx.db, sizeof(fx.db));
    harness_server_start(&fx.srv, &fx.pki, fx.db, NULL);
    province_init(fx.p93, sizeof(fx.p93), "93");
    province_init(fx.p92, sizeof(fx.p92), "92");
    office_init(fx.d934, sizeof(fx.d934), "934");
    office_init(fx.d930, sizeof(fx.d930), "930");
    snprintf(fx.reform, sizeof(fx.reform), "%s/share/reform/2025-07-01-can-tho.csv",
             getenv("THIDUA_TEST_SRCDIR"));
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

/* `thidua add` of an individual; the new record's id into id. */
static void add(const char *office, const char *name, const char *title, char id[37])
{
    harness_output_t o;
    HARNESS_THIDUA(OK, &o, office, "add", "--kind", "individual", "--name", name, "--birth-date",
                   "1980-03-04", "--title", title, "--category", "KT_XH", "--achieved-on",
                   "2025-03-15", "--award", "BK_UBND_TINH");
    if (o.out_len < 36)
        fail_msg("add printed no id: %s", o.out);
    memcpy(id, o.out, 36);
    id[36] = '\0';
    harness_output_free(&o);
}

/* A count the database gives for one record id (the query names it once, as %s). */
#define db_int(fmt, id) harness_db_int(fx.db, fmt, id)

/* How many lines of out contain needle. */
static int count_lines_with(const char *out, const char *needle)
{
    int n = 0;
    for (const char *p = out; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* ---- the reform of the seed's province ---- */

static void seed_reform(void **state)
{
    (void)state;
    harness_output_t o;
    char a[37], b[37];
    /* During the campaign: two districts record and sync. */
    add(fx.d934, "Nguyễn Thị Lan", "Hoàn thành xuất sắc nhiệm vụ năm 2025", a);
    add(fx.d930, "Lê Văn Bình", "Chiến sĩ thi đua tiêu biểu", b);
    HARNESS_THIDUA(OK, NULL, fx.d934, "-q", "sync");
    HARNESS_THIDUA(OK, NULL, fx.d930, "-q", "sync");

    /* The dry run says what would change and changes nothing. */
    long long units = harness_db_int(fx.db, "SELECT count(*) FROM thidua.org_unit");
    HARNESS_THIDUA(OK, &o, fx.p93, "units", "reorganise", fx.reform, "--dry-run");
    harness_assert_contains(o.out, "close 934 Huyện Phụng Hiệp, its last day 30/06/2025");
    harness_assert_contains(o.out, "add 92 Thành phố Cần Thơ, in force from 01/07/2025");
    harness_assert_contains(o.out, "92 Thành phố Cần Thơ succeeds 934");
    harness_assert_contains(o.out, "dry run: 19 changes would be made; nothing was changed");
    harness_output_free(&o);
    assert_int_equal(harness_db_int(fx.db, "SELECT count(*) FROM thidua.org_unit"), units);
    assert_int_equal(harness_db_int(fx.db, "SELECT count(*) FROM thidua.org_unit_change"), 0);

    /* Applied: nine units closed, one added, nine links, each change with who did it. */
    HARNESS_THIDUA(OK, &o, fx.p93, "units", "reorganise", fx.reform);
    harness_assert_contains(o.out, "19 changes applied");
    /* The server read its units again before it answered: no warning that it did not. */
    assert_null(strstr(o.err, "could not read its units again"));
    harness_output_free(&o);
    assert_int_equal(harness_db_int(fx.db, "SELECT count(*) FROM thidua.org_unit_change"), 19);
    assert_int_equal(harness_db_int(fx.db, "SELECT count(*) FROM thidua.org_unit_change c"
                                           " JOIN thidua.org_unit u ON u.id = c.by_unit_id"
                                           " WHERE u.code = '93'"),
                     19);
    assert_int_equal(
        harness_db_int(fx.db, "SELECT count(*) FROM thidua.org_unit WHERE valid_to = '2025-07-01'"),
        9);

    /* Twice: nothing changes. 93 is closed now, so the new city's certificate applies it. */
    HARNESS_THIDUA(OK, &o, fx.p92, "units", "reorganise", fx.reform);
    harness_assert_contains(o.out, "nothing to change");
    harness_output_free(&o);
    assert_int_equal(harness_db_int(fx.db, "SELECT count(*) FROM thidua.org_unit_change"), 19);
    assert_int_equal(harness_db_int(fx.db, "SELECT count(*) FROM thidua.org_unit"), units + 1);

    /* The officer reads it in Vietnamese when the locale says so. */
    setenv("LANG", "vi_VN.UTF-8", 1);
    HARNESS_THIDUA(OK, &o, fx.p92, "units", "reorganise", fx.reform, "--dry-run");
    setenv("LANG", "C.UTF-8", 1);
    harness_assert_contains(o.out, "không có gì thay đổi");
    harness_output_free(&o);

    /* The units of a day. */
    HARNESS_THIDUA(OK, &o, fx.p92, "--json", "units", "list", "--on", "2025-06-15");
    for (int code = 930; code <= 937; code++) {
        char needle[32];
        snprintf(needle, sizeof(needle), "\"code\":\"%d\"", code);
        harness_assert_contains(o.out, needle);
    }
    harness_assert_contains(o.out, "\"code\":\"93\"");
    assert_null(strstr(o.out, "\"code\":\"92\""));
    harness_output_free(&o);
    HARNESS_THIDUA(OK, &o, fx.p92, "--json", "units", "list", "--on", "01/08/2025");
    harness_assert_contains(o.out, "\"code\":\"92\"");
    harness_assert_contains(o.out, "\"predecessors\":[\"93\",\"930\"");
    assert_null(strstr(o.out, "\"code\":\"93\""));
    assert_null(strstr(o.out, "\"code\":\"934\""));
    harness_output_free(&o);
    HARNESS_THIDUA(OK, &o, fx.p92, "units", "list", "--all");
    harness_assert_contains(o.out, "Huyện Phụng Hiệp");
    harness_assert_contains(o.out, "succeeded by 92");
    harness_output_free(&o);

    /* Hậu Giang's certificates closed more than 90 days ago: refused, naming the new city. */
    HARNESS_THIDUA(EREFUSED, &o, fx.d934, "sync");
    harness_assert_contains(o.err, "Thành phố Cần Thơ");
    harness_assert_contains(o.err, "30/06/2025");
    harness_output_free(&o);
    HARNESS_THIDUA(EREFUSED, &o, fx.p93, "review", "list");
    harness_assert_contains(o.err, "Thành phố Cần Thơ");
    harness_output_free(&o);

    /* The new city sees every record of the campaign... */
    HARNESS_THIDUA(OK, &o, fx.p92, "--json", "review", "list");
    harness_assert_contains(o.out, a);
    harness_assert_contains(o.out, b);
    harness_output_free(&o);
    HARNESS_THIDUA(OK, &o, fx.p92, "review", "list", "--unit", "934");
    harness_assert_contains(o.out, "Nguyễn Thị Lan");
    assert_null(strstr(o.out, "Lê Văn Bình"));
    harness_output_free(&o);

    /* ...approves one made by 934 and awards it at its congress of 19/09/2025. */
    HARNESS_THIDUA(OK, &o, fx.p92, "review", "show", a);
    harness_assert_contains(o.out, "Huyện Phụng Hiệp (934)"); /* the unit that made it */
    harness_output_free(&o);
    HARNESS_THIDUA(OK, NULL, fx.p92, "approve", a);
    HARNESS_THIDUA(EINVALID, &o, fx.p92, "award", a, "--form", "BK_UBND_TINH", "--decision",
                   "15/QĐ-UBND", "--date", "19/09/2025", "--signer", SIGNER, "--issuer", "93");
    harness_assert_contains(o.err, "not in force on 19/09/2025");
    harness_assert_contains(o.err, "92 Thành phố Cần Thơ");
    harness_output_free(&o);
    HARNESS_THIDUA(OK, NULL, fx.p92, "award", a, "--form", "BK_UBND_TINH", "--decision",
                   "15/QĐ-UBND", "--date", "19/09/2025", "--signer", SIGNER);
    assert_int_equal(db_int("SELECT count(*) FROM thidua.award a"
                            " JOIN thidua.award_decision d ON d.id = a.award_decision_id"
                            " JOIN thidua.org_unit u ON u.id = d.issuer_unit_id"
                            " WHERE a.record_id = '%s' AND u.code = '92'",
                            a),
                     1);
    assert_int_equal(db_int("SELECT count(*) FROM thidua.record r"
                            " JOIN thidua.org_unit u ON u.id = r.org_unit_id"
                            " WHERE r.id = '%s' AND u.code = '934' AND r.status = 'awarded'",
                            a),
                     1);

    /* The report: the award under Huyện Phụng Hiệp, issued by Thành phố Cần Thơ. */
    HARNESS_THIDUA(OK, &o, fx.p92, "--json", "report");
    harness_assert_contains(o.out, "\"org_unit\":\"934\",\"org_unit_name\":\"Huyện Phụng Hiệp\"");
    harness_assert_contains(o.out, "\"issuer\":\"92\",\"issuer_name\":\"Thành phố Cần Thơ\"");
    harness_assert_contains(o.out, "\"org_unit\":\"930\",\"org_unit_name\":\"Thành phố Vị Thanh\","
                                   "\"last_day\":\"2025-06-30\",\"successors\":\"92 Thành phố Cần "
                                   "Thơ\"");
    harness_output_free(&o);
    HARNESS_THIDUA(OK, &o, fx.p92, "report");
    harness_assert_contains(o.out, "Thành phố Cần Thơ");
    harness_assert_contains(o.out, "Huyện Phụng Hiệp");
    harness_output_free(&o);
}

/* ---- a unit closed ten days ago ---- */

/* A reorganisation file in the temporary directory: the header and the rows given. */
static void write_reform(char *path, size_t size, const char *name, const char *rows)
{
    char text[4096];
    harness_tmp_path(path, size, "%s", name);
    snprintf(text, sizeof(text),
             "code,name,level,unit_type,parent,valid_from,valid_to,predecessors,basis\n%s", rows);
    harness_write_file(path, text);
}

static void closed_within_grace(void **state)
{
    (void)state;
    harness_output_t o;
    char file[HARNESS_PATH_MAX], rows[1024], d31001[HARNESS_PATH_MAX];
    char *d31002 = fx.d31002;
    char last[DATE_STR_SIZE], first[DATE_STR_SIZE];
    int32_t today = date_today_vn();
    assert_int_equal(date_format_vn(today - 10, last), TD_OK);
    assert_int_equal(date_format_vn(today - 9, first), TD_OK);

    /* A commune of the new city, whose office records and syncs. */
    write_reform(file, sizeof(file), "commune-open.csv",
                 "31001,Xã Tân Hòa,commune,commune,92,01/07/2025,,,Nghị quyết 1/2025\n");
    HARNESS_THIDUA(OK, NULL, fx.p92, "units", "reorganise", file);
    office_init(d31001, sizeof(d31001), "31001");
    char r1[37], r2[37], r3[37];
    add(d31001, "Phạm Văn Hậu", "Nông dân sản xuất kinh doanh giỏi", r1);
    add(d31001, "Võ Thị Thu", "Hội viên phụ nữ tiêu biểu", r2);
    HARNESS_THIDUA(OK, NULL, d31001, "-q", "sync");
    HARNESS_THIDUA(OK, NULL, fx.p92, "review", "show", r1);
    HARNESS_THIDUA(OK, NULL, fx.p92, "return", r1, "--reason", "Bổ sung xác nhận của Hội");

    /* Ten days ago it closed, and a new commune took its work over the next day. */
    snprintf(rows, sizeof(rows),
             "31001,Xã Tân Hòa,commune,commune,92,01/07/2025,%s,,Nghị quyết 2/2026\n"
             "31002,Xã Tân Hòa Mới,commune,commune,92,%s,,31001,Nghị quyết 2/2026\n",
             last, first);
    write_reform(file, sizeof(file), "commune-merge.csv", rows);
    HARNESS_THIDUA(OK, &o, fx.p92, "units", "reorganise", file);
    harness_assert_contains(o.out, "3 changes applied");
    harness_output_free(&o);

    /*
     * Before it hears of the closure its office records one more nomination; the sync
     * refuses it, naming the successor. The closed commune's office is still let in.
     */
    add(d31001, "Trần Minh Tâm", "Thanh niên tình nguyện", r3);
    HARNESS_THIDUA(EATTENTION, &o, d31001, "sync");
    harness_assert_contains(o.out, "31002 Xã Tân Hòa Mới");
    harness_assert_contains(o.err, "31002 Xã Tân Hòa Mới");
    harness_output_free(&o);
    assert_int_equal(db_int("SELECT count(*) FROM thidua.record WHERE id = '%s'", r3), 0);
    /* Once it knows, a new nomination is refused at once, offline. */
    HARNESS_THIDUA(EINVALID, &o, d31001, "add", "--kind", "individual", "--name", "Lê Văn Tư",
                   "--birth-date", "1990-01-01", "--title", "Gương người tốt việc tốt",
                   "--category", "KT_XH", "--achieved-on", "2025-03-15", "--award", "BK_UBND_TINH");
    harness_assert_contains(o.err, "31002 Xã Tân Hòa Mới");
    harness_output_free(&o);

    /* It still pulls the decisions, and sends the returned record's supplement. */
    HARNESS_THIDUA(OK, &o, d31001, "show", r1);
    harness_assert_contains(o.out, "Bổ sung xác nhận của Hội");
    harness_output_free(&o);
    HARNESS_THIDUA(OK, NULL, d31001, "edit", r1, "--title",
                   "Nông dân sản xuất kinh doanh giỏi (có xác nhận của Hội)");
    HARNESS_THIDUA(OK, NULL, d31001, "-q", "sync");
    assert_int_equal(db_int("SELECT revision FROM thidua.record WHERE id = '%s'", r1), 2);

    /* The successor's office receives the predecessor's records and edits a returned one. */
    office_init(d31002, sizeof(fx.d31002), "31002");
    HARNESS_THIDUA(OK, NULL, d31002, "-q", "sync");
    HARNESS_THIDUA(OK, &o, d31002, "list");
    harness_assert_contains(o.out, "Phạm Văn Hậu");
    harness_assert_contains(o.out, "Võ Thị Thu");
    assert_int_equal(count_lines_with(o.out, "Trần Minh Tâm"), 0);
    harness_output_free(&o);
    HARNESS_THIDUA(OK, NULL, fx.p92, "review", "show", r2);
    HARNESS_THIDUA(OK, NULL, fx.p92, "return", r2, "--reason", "Thiếu biên bản họp");
    HARNESS_THIDUA(OK, NULL, d31002, "-q", "sync");
    HARNESS_THIDUA(OK, NULL, d31002, "edit", r2, "--title", "Hội viên phụ nữ tiêu biểu (bổ sung)");
    HARNESS_THIDUA(OK, NULL, d31002, "-q", "sync");
    assert_int_equal(db_int("SELECT count(*) FROM thidua.record_revision v"
                            " JOIN thidua.org_unit u ON u.id = v.by_unit_id"
                            " WHERE v.record_id = '%s' AND v.revision = 2 AND u.code = '31002'",
                            r2),
                     1);
    /* The record keeps the unit that made it. */
    assert_int_equal(db_int("SELECT count(*) FROM thidua.record r"
                            " JOIN thidua.org_unit u ON u.id = r.org_unit_id"
                            " WHERE r.id = '%s' AND u.code = '31001'",
                            r2),
                     1);
}

/* ---- a wrong file: every problem named, nothing changed ---- */

static void reorganise_refusals(void **state)
{
    (void)state;
    harness_output_t o;
    char file[HARNESS_PATH_MAX];
    long long changes = harness_db_int(fx.db, "SELECT count(*) FROM thidua.org_unit_change");
    long long units = harness_db_int(fx.db, "SELECT count(*) FROM thidua.org_unit");

    /* Caught before anything is sent: the dates and the required cells. */
    write_reform(file, sizeof(file), "bad-syntax.csv",
                 "31101,Xã A,commune,commune,92,31/02/2026,,,\n"
                 ",Xã B,commune,commune,92,01/01/2026,,,\n");
    HARNESS_THIDUA(EINVALID, &o, fx.p92, "units", "reorganise", file);
    harness_assert_contains(o.err, "line 2: valid_from: '31/02/2026' is not a date");
    harness_assert_contains(o.err, "line 3: code, name and level are required");
    harness_output_free(&o);

    /* Caught by the server against the stored units: each by its line and column, all at once. */
    write_reform(file, sizeof(file), "bad-units.csv",
                 "31101,Xã A,commune,commune,95,01/01/2026,,,\n"
                 "31102,Xã B,village,commune,92,01/01/2026,,,\n"
                 "31103,Xã C,commune,commune,92,01/01/2026,,92,\n"
                 "934,Huyện Phụng Hiệp,district,district,93,01/01/2004,31/12/2025,,\n");
    HARNESS_THIDUA(EINVALID, &o, fx.p92, "units", "reorganise", file);
    harness_assert_contains(o.err,
                            "line 2: parent: no unit 95 is in force on this unit's first day");
    harness_assert_contains(o.err, "line 3: level: level 'village' must be");
    harness_assert_contains(o.err, "line 5: valid_to: the unit is stored as closed on 30/06/2025");
    harness_assert_contains(o.err, "problems; nothing was changed");
    harness_output_free(&o);
    /* The link of line 4 is judged only once the units are sound: fix them and it speaks. */
    write_reform(file, sizeof(file), "bad-link.csv",
                 "31103,Xã C,commune,commune,92,01/01/2026,,92;31999,\n");
    HARNESS_THIDUA(EINVALID, &o, fx.p92, "units", "reorganise", file);
    harness_assert_contains(o.err, "line 2: predecessors: unit 92 is still in force");
    harness_assert_contains(o.err, "line 2: predecessors: no unit 31999 was in force");
    harness_output_free(&o);
    assert_int_equal(harness_db_int(fx.db, "SELECT count(*) FROM thidua.org_unit_change"), changes);
    assert_int_equal(harness_db_int(fx.db, "SELECT count(*) FROM thidua.org_unit"), units);

    /* A district office may list the units but not reorganise them. */
    HARNESS_THIDUA(OK, &o, fx.d31002, "units", "list");
    harness_assert_contains(o.out, "Xã Tân Hòa Mới");
    harness_output_free(&o);
    HARNESS_THIDUA(EREFUSED, &o, fx.d31002, "units", "reorganise", fx.reform);
    harness_assert_contains(o.err, "province certificate");
    harness_output_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seed_reform),
        cmocka_unit_test(closed_within_grace),
        cmocka_unit_test(reorganise_refusals),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
