/*
 * test_report.c - the campaign report's model and writers (client/report/)
 * on a ReportResponse made by hand.
 *
 * What the province relies on: the sparse counts become full tables with
 * zeros and totals, the awardees come in Vietnamese order within form and
 * unit, the terminal columns line up however many bytes a Vietnamese letter
 * takes, the CSV reads back (BOM, quotes, no formulas), and the HTML page
 * escapes what districts typed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <unicode/uclean.h>

#include "csv.h"
#include "output.h"
#include "report.h"
#include "text.h"

/* ---- a response by hand ---- */

static Thidua__V1__Category cat[2];
static Thidua__V1__Category *cats[2];
static Thidua__V1__AwardForm form[3];
static Thidua__V1__AwardForm *forms[3];
static Thidua__V1__Campaign camp;
static Thidua__V1__CountRow rows[16];
static Thidua__V1__CountRow *us[8], *bc[4], *bf[4], *bk[4];
static Thidua__V1__Awardee aw[5];
static Thidua__V1__Awardee *aws[5];
static Thidua__V1__ReportResponse resp;

static Thidua__V1__CountRow *row(size_t i, const char *k, const char *name, const char *k2,
                                 uint64_t n)
{
    thidua__v1__count_row__init(&rows[i]);
    rows[i].key = (char *)k;
    rows[i].key_name = (char *)name;
    rows[i].key2 = (char *)k2;
    rows[i].count = n;
    return &rows[i];
}

static Thidua__V1__Awardee *awardee(size_t i, const char *form_code, const char *unit,
                                    const char *name, const char *title)
{
    thidua__v1__awardee__init(&aw[i]);
    aw[i].id = "00000000-0000-4000-8000-000000000000";
    aw[i].form = (char *)form_code;
    aw[i].form_name = strcmp(form_code, "BK") == 0 ? "Bằng khen" : "Cờ thi đua";
    aw[i].org_unit = (char *)unit;
    aw[i].org_unit_name = strcmp(unit, "934") == 0 ? "Huyện Phụng Hiệp" : "Huyện Long Mỹ";
    aw[i].nominee_kind = "individual";
    aw[i].nominee_name = (char *)name;
    aw[i].title = (char *)title;
    aw[i].decision_number = "163/QĐ-UBND";
    aw[i].decision_date = "2025-09-02";
    aw[i].category = "KT";
    return &aw[i];
}

static int setup(void **state)
{
    (void)state;
    thidua__v1__campaign__init(&camp);
    camp.code = "HG-DB-2025";
    camp.name = "Đợt thi đua <đặc biệt>";
    camp.organiser = "UBND tỉnh Hậu Giang";
    camp.starts_on = "2024-07-01";
    camp.ends_on = "2025-06-30";
    const char *cc[2][2] = {{"KT", "Kinh tế"}, {"AN", "An ninh"}};
    for (size_t i = 0; i < 2; i++) {
        thidua__v1__category__init(&cat[i]);
        cat[i].code = (char *)cc[i][0];
        cat[i].name = (char *)cc[i][1];
        cats[i] = &cat[i];
    }
    const char *fc[3][2] = {{"CO", "Cờ thi đua"}, {"BK", "Bằng khen"}, {"GK", "Giấy khen"}};
    for (size_t i = 0; i < 3; i++) {
        thidua__v1__award_form__init(&form[i]);
        form[i].code = (char *)fc[i][0];
        form[i].name = (char *)fc[i][1];
        forms[i] = &form[i];
    }
    camp.n_categories = 2;
    camp.categories = cats;
    camp.n_award_forms = 3;
    camp.award_forms = forms;

    thidua__v1__report_response__init(&resp);
    resp.campaign = &camp;
    us[0] = row(0, "934", "Huyện Phụng Hiệp", "submitted", 2);
    us[1] = row(1, "934", "Huyện Phụng Hiệp", "awarded", 3);
    us[2] = row(2, "936", "Huyện Long My", "returned", 1);
    us[3] = row(3, "936", "Huyện Long My", "revoked", 1);
    resp.n_by_unit_status = 4;
    resp.by_unit_status = us;
    bc[0] = row(4, "KT", "Kinh tế", "", 6);
    bc[1] = row(5, "OLD", "Nội dung cũ", "", 1); /* not in the campaign's list any more */
    resp.n_by_category = 2;
    resp.by_category = bc;
    bf[0] = row(6, "BK", "Bằng khen", "", 2);
    bf[1] = row(7, "CO", "Cờ thi đua", "", 1);
    resp.n_by_award_form = 2;
    resp.by_award_form = bf;
    bk[0] = row(8, "individual", "Cá nhân", "", 7);
    resp.n_by_kind = 1;
    resp.by_kind = bk;
    aws[0] = awardee(0, "BK", "934", "Dương Văn Minh", "Tiêu biểu");
    aws[1] = awardee(1, "BK", "934", "Đặng Thị Hoa", "=SUM(A1) \"lớn\", nhỏ");
    aws[2] = awardee(2, "CO", "936", "Tổ <b>&", "Công trình");
    aws[3] = awardee(3, "BK", "934", "Âu Văn Bình", "-3 điểm");
    aws[4] = awardee(4, "BK", "936", "An", "x");
    resp.n_awardees = 5;
    resp.awardees = aws;
    resp.generated_at_ms = 1756800000000; /* 2025-09-02 08:00 UTC */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    text_cleanup();
    u_cleanup();
    return 0;
}

/* ---- the model ---- */

static void model_fills_zeros_and_totals(void **state)
{
    (void)state;
    report_t r;
    assert_int_equal(report_build(&r, &resp, false), 0);
    assert_int_equal(r.n_units, 2);
    assert_string_equal(r.units[0].code, "934");
    assert_int_equal(r.units[0].n[0], 2); /* submitted */
    assert_int_equal(r.units[0].n[5], 3); /* awarded */
    assert_int_equal(r.units[0].total, 5);
    assert_int_equal(r.units[1].total, 2);
    assert_int_equal(r.status_total[1], 1); /* returned */
    assert_int_equal(r.total, 7);
    /* Every category of the campaign, in its order, zeros too; then the unknown one. */
    assert_int_equal(r.n_categories, 3);
    assert_string_equal(r.categories[1].code, "AN");
    assert_int_equal(r.categories[1].n, 0);
    assert_string_equal(r.categories[2].code, "OLD");
    assert_string_equal(r.categories[2].name, "Nội dung cũ");
    assert_int_equal(r.categories_total, 7);
    assert_int_equal(r.n_forms, 3);
    assert_string_equal(r.forms[0].code, "CO");
    assert_int_equal(r.forms[2].n, 0);
    assert_int_equal(r.forms_total, 3);
    assert_int_equal(r.n_kinds, 3);
    assert_string_equal(r.kinds[1].name, "Tập thể");
    /* Awardees: the campaign's form order, unit, then Vietnamese order of names. */
    const char *order[] = {"Tổ <b>&", "Âu Văn Bình", "Dương Văn Minh", "Đặng Thị Hoa", "An"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(r.awardees[i]->nominee_name, order[i]);
    report_free(&r);
}

static void sheets_number_within_groups(void **state)
{
    (void)state;
    report_t r;
    rsheet_t *s;
    size_t n;
    assert_int_equal(report_build(&r, &resp, true), 0);
    assert_int_equal(report_sheets(&r, REPORT_VI, &s, &n), 0);
    assert_int_equal(n, 7);
    const rsheet_t *a = &s[5];
    assert_string_equal(a->key, "awardees");
    assert_int_equal(a->nrows, 5);
    const uint64_t no[] = {1, 1, 2, 3, 1}; /* restarts with each form and unit */
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(rsheet_cell(a, i, 4)->kind, RCELL_NUM);
        assert_int_equal(rsheet_cell(a, i, 4)->num, no[i]);
    }
    char buf[64];
    assert_string_equal(rcell_str(rsheet_cell(a, 0, 9), REPORT_VI, buf, sizeof(buf)), "02/09/2025");
    const rsheet_t *u = &s[1];
    assert_true(u->total_row);
    assert_int_equal(u->nrows, 3);
    assert_int_equal(rsheet_cell(u, 2, 9)->num, 7);
    assert_string_equal(s[6].key, "sync");
    assert_int_equal(s[6].nrows, 0);
    report_sheets_free(s, n);
    report_free(&r);
}

/* ---- the writers ---- */

static char *capture(int (*fn)(const report_t *, FILE *, char *, size_t), const report_t *r)
{
    char *buf = NULL, err[128];
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(fn(r, f, err, sizeof(err)), 0);
    fclose(f);
    return buf;
}

static void table_columns_line_up(void **state)
{
    (void)state;
    report_t r;
    assert_int_equal(report_build(&r, &resp, false), 0);
    char *out = capture(report_write_table, &r);
    /* The unit table: header, rule, two units, rule, totals: all the same display width. */
    char *p = strstr(out, "Unit   ");
    assert_non_null(p);
    size_t width = 0;
    for (int line = 0; line < 6; line++) {
        char *nl = strchr(p, '\n');
        assert_non_null(nl);
        *nl = '\0';
        if (line == 0)
            width = out_width(p);
        else if (out_width(p) != width)
            fail_msg("line %d is %zu columns wide, the header %zu: '%s'", line, out_width(p), width,
                     p);
        p = nl + 1;
    }
    free(out);
    report_free(&r);
}

static void csv_reads_back_without_formulas(void **state)
{
    (void)state;
    report_t r;
    assert_int_equal(report_build(&r, &resp, false), 0);
    char *out = capture(report_write_csv, &r);
    assert_memory_equal(out, "\xEF\xBB\xBF", 3);
    assert_non_null(strstr(out, "\r\n"));
    csv_t c;
    csv_init(&c, out, strlen(out), ',');
    bool found_formula = false, found_minus = false;
    int rc;
    while ((rc = csv_next(&c)) == 1) {
        for (size_t i = 0; i < c.n; i++) {
            if (strcmp(c.fields[i], "'=SUM(A1) \"lớn\", nhỏ") == 0)
                found_formula = true;
            if (strcmp(c.fields[i], "'-3 điểm") == 0)
                found_minus = true;
            assert_true(c.fields[i][0] != '=' && c.fields[i][0] != '-');
        }
    }
    assert_int_equal(rc, 0);
    assert_true(found_formula);
    assert_true(found_minus);
    csv_free(&c);
    free(out);
    report_free(&r);
}

static void html_escapes_and_stands_alone(void **state)
{
    (void)state;
    report_t r;
    assert_int_equal(report_build(&r, &resp, false), 0);
    char *out = capture(report_write_html, &r);
    assert_non_null(strstr(out, "<html lang=\"vi\">"));
    assert_non_null(
        strstr(out, "<title>Tổng kết đợt thi đua — Đợt thi đua &lt;đặc biệt&gt;</title>"));
    assert_non_null(strstr(out, "Tổ &lt;b&gt;&amp;"));
    assert_null(strstr(out, "<b>"));
    assert_non_null(strstr(out, "<svg"));
    assert_non_null(strstr(out, "@page{size:A4"));
    assert_null(strstr(out, "src="));
    assert_null(strstr(out, "href="));
    free(out);
    report_free(&r);
}

static void xlsx_and_json_are_written(void **state)
{
    (void)state;
    report_t r;
    char err[256], path[64];
    assert_int_equal(report_build(&r, &resp, true), 0);
    snprintf(path, sizeof(path), "/tmp/test_report-%ld.xlsx", (long)getpid());
    assert_int_equal(report_write_xlsx(&r, path, err, sizeof(err)), 0);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char magic[2];
    assert_int_equal(fread(magic, 1, 2, f), 2);
    fclose(f);
    unlink(path);
    assert_memory_equal(magic, "PK", 2); /* a zip, as every .xlsx */
    assert_int_equal(report_write_xlsx(&r, "/nonexistent-dir/r.xlsx", err, sizeof(err)), -1);
    char *out = capture(report_write_json, &r);
    assert_non_null(strstr(out, "\"total\":7,"));
    assert_non_null(strstr(out, "\"sync_health\":[]"));
    free(out);
    report_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(model_fills_zeros_and_totals),
        cmocka_unit_test(sheets_number_within_groups),
        cmocka_unit_test(table_columns_line_up),
        cmocka_unit_test(csv_reads_back_without_formulas),
        cmocka_unit_test(html_escapes_and_stands_alone),
        cmocka_unit_test(xlsx_and_json_are_written),
    };
    return cmocka_run_group_tests_name("report", tests, setup, teardown);
}
