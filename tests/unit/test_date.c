/*
 * test_date.c - day numbers, strict ISO and Vietnamese forms, today in Viet Nam
 * (common/date.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "date.h"

static void test_known_day_numbers(void **state)
{
    /* values from an independent calendar implementation */
    static const struct {
        const char *iso;
        int32_t days;
    } known[] = {
        {"1970-01-01", 0},     {"1969-12-31", -1},      {"2000-03-01", 11017},
        {"2024-02-29", 19782}, {"2024-09-02", 19968},   {"1900-01-01", -25567},
        {"2100-12-31", 47846}, {"0001-01-01", -719162}, {"9999-12-31", 2932896},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        int32_t d = 0;
        char iso[DATE_STR_SIZE];
        assert_int_equal(date_parse_iso(known[i].iso, &d, NULL), TD_OK);
        assert_int_equal(d, known[i].days);
        assert_int_equal(date_format_iso(d, iso), TD_OK);
        assert_string_equal(iso, known[i].iso);
    }
}

/* Every day from 1600 to 2400 follows the one before, and comes back the same. */
static void test_round_trip_consecutive(void **state)
{
    int32_t first = 0, last = 0;
    date_ymd_t prev = {1599, 12, 31};
    (void)state;
    assert_int_equal(date_from_ymd(1600, 1, 1, &first), TD_OK);
    assert_int_equal(date_from_ymd(2400, 12, 31, &last), TD_OK);
    for (int32_t d = first; d <= last; d++) {
        date_ymd_t t;
        int32_t back = 0;
        assert_int_equal(date_to_ymd(d, &t), TD_OK);
        if (t.year == prev.year && t.month == prev.month)
            assert_int_equal(t.day, prev.day + 1);
        else if (t.year == prev.year)
            assert_true(t.month == prev.month + 1 && t.day == 1 &&
                        prev.day == date_days_in_month(prev.year, prev.month));
        else
            assert_true(t.year == prev.year + 1 && t.month == 1 && t.day == 1 && prev.month == 12 &&
                        prev.day == 31);
        assert_int_equal(date_from_ymd(t.year, t.month, t.day, &back), TD_OK);
        assert_int_equal(back, d);
        prev = t;
    }
}

static void test_leap_years(void **state)
{
    (void)state;
    assert_true(date_is_leap(2024));
    assert_true(date_is_leap(2000));
    assert_false(date_is_leap(1900));
    assert_false(date_is_leap(2023));
    assert_int_equal(date_days_in_month(2024, 2), 29);
    assert_int_equal(date_days_in_month(2100, 2), 28);
    assert_int_equal(date_days_in_month(2024, 4), 30);
    assert_int_equal(date_days_in_month(2024, 13), 0);
}

static void test_parse_iso_strict(void **state)
{
    static const struct {
        const char *s;
        int rc;
    } cases[] = {
        {"2024-02-29", TD_OK},
        {"2025-02-30", TD_EDAY},
        {"2023-02-29", TD_EDAY},
        {"2024-04-31", TD_EDAY},
        {"2024-01-00", TD_EDAY},
        {"2024-13-01", TD_EMONTH},
        {"2024-00-01", TD_EMONTH},
        {"0000-06-15", TD_EYEAR},
        {"2024-1-5", TD_EFORMAT},
        {"2024-01-5", TD_EFORMAT},
        {"24-01-05", TD_EFORMAT},
        {"2024/01/05", TD_EFORMAT},
        {"2024-01-05x", TD_EFORMAT},
        {" 2024-01-05", TD_EFORMAT},
        {"2024-01-05 ", TD_EFORMAT},
        {"+024-01-05", TD_EFORMAT},
        {"2024-0a-05", TD_EFORMAT},
        {"20240105", TD_EFORMAT},
        {"", TD_EFORMAT},
        {"2024-01-05T00:00:00Z", TD_EFORMAT},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int32_t d = 0;
        int rc = date_parse_iso(cases[i].s, &d, NULL);
        if (rc != cases[i].rc)
            fail_msg("\"%s\": rc %d, expected %d", cases[i].s, rc, cases[i].rc);
    }
}

static void test_parse_reports_fields(void **state)
{
    int32_t d = 0;
    date_ymd_t t;
    (void)state;
    assert_int_equal(date_parse_iso("2025-02-30", &d, &t), TD_EDAY);
    assert_int_equal(t.year, 2025);
    assert_int_equal(t.month, 2);
    assert_int_equal(t.day, 30);
    assert_int_equal(date_parse_iso("2025-2-30", &d, &t), TD_EFORMAT);
    assert_int_equal(t.year, 0);
}

static void test_parse_vn(void **state)
{
    static const struct {
        const char *s;
        int rc;
        int32_t days;
    } cases[] = {
        {"02/09/2024", TD_OK, 19968},   {"2/9/2024", TD_OK, 19968},
        {"02/9/2024", TD_OK, 19968},    {"29/02/2024", TD_OK, 19782},
        {"29/02/2023", TD_EDAY, 0},     {"31/04/2024", TD_EDAY, 0},
        {"01/13/2024", TD_EMONTH, 0},   {"02/09/24", TD_EFORMAT, 0},
        {"002/09/2024", TD_EFORMAT, 0}, {"02-09-2024", TD_EFORMAT, 0},
        {"02/09/2024 ", TD_EFORMAT, 0}, {"/09/2024", TD_EFORMAT, 0},
        {"02/09/20245", TD_EFORMAT, 0}, {"", TD_EFORMAT, 0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int32_t d = 0;
        int rc = date_parse_vn(cases[i].s, &d, NULL);
        if (rc != cases[i].rc || (rc == TD_OK && d != cases[i].days))
            fail_msg("\"%s\": rc %d days %d", cases[i].s, rc, (int)d);
    }
}

static void test_format(void **state)
{
    char iso[DATE_STR_SIZE], vn[DATE_STR_SIZE];
    date_ymd_t t;
    (void)state;
    assert_int_equal(date_format_vn(19968, vn), TD_OK);
    assert_string_equal(vn, "02/09/2024");
    assert_int_equal(date_format_iso(19968, iso), TD_OK);
    assert_string_equal(iso, "2024-09-02");
    /* outside years 1..9999: refused, and the buffer holds no stale text */
    assert_int_equal(date_format_iso(2932897, iso), TD_ERANGE);
    assert_string_equal(iso, "");
    assert_int_equal(date_format_vn(-719163, vn), TD_ERANGE);
    assert_string_equal(vn, "");
    assert_int_equal(date_to_ymd(INT32_MAX, &t), TD_ERANGE);
    assert_int_equal(date_to_ymd(INT32_MIN, &t), TD_ERANGE);
}

static void test_vietnam_day_boundary(void **state)
{
    (void)state;
    /* 2024-09-01 16:59:59 UTC is 23:59:59 in Ha Noi; a second later it is 2 September */
    assert_int_equal(date_from_unix_vn(1725209999), 19967);
    assert_int_equal(date_from_unix_vn(1725210000), 19968);
    /* before 1970 the day number must round down, not toward zero */
    assert_int_equal(date_from_unix_vn(-25201), -1);
    assert_int_equal(date_from_unix_vn(-25200), 0);
    assert_int_equal(date_from_unix_vn(-25200 - 86400), -1);
    assert_int_equal(date_from_unix_vn(-25201 - 86400), -2);
}

static void test_today(void **state)
{
    int32_t before = date_from_unix_vn((int64_t)time(NULL));
    int32_t today = date_today_vn();
    int32_t after = date_from_unix_vn((int64_t)time(NULL));
    (void)state;
    assert_true(before <= today && today <= after);
    assert_true(today > 19968); /* this code was written after 2024-09-02 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_day_numbers),
        cmocka_unit_test(test_round_trip_consecutive),
        cmocka_unit_test(test_leap_years),
        cmocka_unit_test(test_parse_iso_strict),
        cmocka_unit_test(test_parse_reports_fields),
        cmocka_unit_test(test_parse_vn),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_vietnam_day_boundary),
        cmocka_unit_test(test_today),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
