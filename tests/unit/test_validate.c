/*
 * test_validate.c - per-field validation and the exact reasons a sender reads
 * (common/validate.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <unicode/uclean.h>

#include "date.h"
#include "validate.h"

/* Run valid_text on a literal and check the refusal: field, reason, no output. */
static void text_refused(const char *in, size_t len, const text_rules_t *rules, const char *reason)
{
    valid_error_t err;
    char *out = (char *)1;

    memset(&err, 0, sizeof(err));
    assert_int_equal(valid_text("nominee_name", in, len, rules, &out, &err), TD_EINPUT);
    assert_null(out);
    assert_string_equal(err.field, "nominee_name");
    assert_string_equal(err.reason, reason);
}

#define TEXT_REFUSED(lit, rules, reason) text_refused(lit, sizeof(lit) - 1, rules, reason)

static const text_rules_t name_rules = {0, 1, 300};
static const text_rules_t summary_rules = {TEXT_MULTILINE, 0, 4000};

static void test_text_accepts_and_normalises(void **state)
{
    valid_error_t err;
    char *out = NULL;
    static const char nfd[] = "  Nguye\xcc\x82\xcc\x83n Th\xe1\xbb\x8b Thu\xe1\xbb\xb7\xc2\xa0";
    (void)state;
    assert_int_equal(valid_text("nominee_name", nfd, sizeof(nfd) - 1, &name_rules, &out, &err),
                     TD_OK);
    assert_string_equal(out, "Nguy\xe1\xbb\x85n Th\xe1\xbb\x8b Thu\xe1\xbb\xb7");
    free(out);
    assert_int_equal(valid_text("summary", "a\r\nb", 4, &summary_rules, &out, &err), TD_OK);
    assert_string_equal(out, "a\nb");
    free(out);
    /* no rules: any single line */
    assert_int_equal(valid_text("title", " x ", 3, NULL, &out, NULL), TD_OK);
    assert_string_equal(out, "x");
    free(out);
}

static void test_text_reasons(void **state)
{
    (void)state;
    TEXT_REFUSED("Nguy\xe1\xbb\x85n\xff", &name_rules, "invalid UTF-8 at byte offset 8");
    TEXT_REFUSED("L\xc3\xaa\xed\xa0\x80", &name_rules, "invalid UTF-8 at byte offset 3");
    TEXT_REFUSED("Lan\0", &name_rules, "contains a NUL byte at byte offset 3");
    TEXT_REFUSED("ab\x07\x63", &name_rules, "contains control character U+0007 at character 3");
    TEXT_REFUSED("\xc3\xa2\xc2\x9b", &name_rules,
                 "contains control character U+009B at character 2");
    TEXT_REFUSED("a\tb", &name_rules, "contains control character U+0009 at character 2");
    TEXT_REFUSED("L\xc3\xaa\nV\xc4\x83n", &name_rules,
                 "contains a line break (U+000A) at character 3; this field is one line");
    TEXT_REFUSED("ok\x1b[2J", &summary_rules, "contains control character U+001B at character 3");
    TEXT_REFUSED("x\xef\xbf\xbf", &name_rules, "contains noncharacter U+FFFF at character 2");
    TEXT_REFUSED("ab\xe2\x80\xae", &name_rules,
                 "contains bidirectional control U+202E at character 3");
    TEXT_REFUSED("", &name_rules, "empty");
    TEXT_REFUSED(" \xc2\xa0\xe3\x80\x80 ", &name_rules, "empty");
}

static void test_text_length_reasons(void **state)
{
    /* 301 times "ệ", typed decomposed (e, dot below, circumflex): 903 code points in, 301 out */
    size_t len = 301 * 5;
    char *in = malloc(len);
    const text_rules_t two = {0, 2, 300};
    (void)state;
    assert_non_null(in);
    for (size_t i = 0; i < 301; i++)
        memcpy(in + i * 5, "e\xcc\xa3\xcc\x82", 5);
    text_refused(in, len, &name_rules, "too long: 301 characters, at most 300");
    /* one fewer fits exactly */
    {
        char *out = NULL;
        assert_int_equal(valid_text("nominee_name", in, len - 5, &name_rules, &out, NULL),
                         TD_OK);
        assert_int_equal(strlen(out), 300 * 3); /* each ệ is now 3 bytes, U+1EC7 */
        free(out);
    }
    free(in);
    TEXT_REFUSED(" A ", &two, "too short: 1 character, at least 2");
}

static void test_error_set_truncates(void **state)
{
    valid_error_t err;
    char longname[100];
    (void)state;
    memset(longname, 'f', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    valid_error_set(&err, longname, "%s", "x");
    assert_int_equal(strlen(err.field), sizeof(err.field) - 1);
    valid_error_set(&err, "category", "unknown category \"%s\" for campaign %s", "k", "2025");
    assert_string_equal(err.field, "category");
    assert_string_equal(err.reason, "unknown category \"k\" for campaign 2025");
    valid_error_set(NULL, "x", "ignored"); /* allowed */
}

static void date_refused(const char *in, int vn, const char *reason)
{
    valid_error_t err;
    int32_t days = 12345;
    int rc = vn ? valid_date_vn("birth_date", in, &days, &err)
                : valid_date("achieved_on", in, &days, &err);
    assert_int_equal(rc, TD_EINPUT);
    assert_string_equal(err.field, vn ? "birth_date" : "achieved_on");
    assert_string_equal(err.reason, reason);
}

static void test_date_reasons(void **state)
{
    valid_error_t err;
    int32_t days = 0;
    (void)state;
    assert_int_equal(valid_date("achieved_on", "2024-09-02", &days, &err), TD_OK);
    assert_int_equal(days, 19968);
    assert_int_equal(valid_date_vn("birth_date", "02/09/1945", &days, &err), TD_OK);
    assert_int_equal(valid_date_vn("birth_date", "2/9/1945", &days, &err), TD_OK);

    date_refused("2025-02-30", 0,
                 "not a date: 2025-02-30 (day 30 does not exist in February 2025)");
    date_refused("2023-02-29", 0,
                 "not a date: 2023-02-29 (day 29 does not exist in February 2023)");
    date_refused("2024-04-31", 0, "not a date: 2024-04-31 (day 31 does not exist in April 2024)");
    date_refused("2024-13-01", 0, "not a date: 2024-13-01 (there is no month 13)");
    date_refused("2024-00-10", 0, "not a date: 2024-00-10 (there is no month 0)");
    date_refused("2024-01-00", 0, "not a date: 2024-01-00 (there is no day 0)");
    date_refused("0000-01-01", 0, "not a date: 0000-01-01 (year 0 is outside 1-9999)");
    date_refused("2024-1-5", 0, "expected YYYY-MM-DD, got \"2024-1-5\"");
    date_refused("2024-02-29T00:00", 0, "expected YYYY-MM-DD, got \"2024-02-29T00:00\"");
    date_refused("", 0, "empty, expected YYYY-MM-DD");
    /* the sender's text is quoted only if it is short printable ASCII */
    date_refused("2024\xe2\x80\x93\x30\x31\xe2\x80\x93\x30\x35", 0, "expected YYYY-MM-DD");
    date_refused("2024-01-05\n", 0, "expected YYYY-MM-DD");
    date_refused("say \"hi\"", 0, "expected YYYY-MM-DD");
    date_refused("2024-01-05 and then a rather long tail of text", 0, "expected YYYY-MM-DD");

    date_refused("31/04/2024", 1, "not a date: 31/04/2024 (day 31 does not exist in April 2024)");
    date_refused("29/2/2023", 1, "not a date: 29/2/2023 (day 29 does not exist in February 2023)");
    date_refused("1/13/2024", 1, "not a date: 1/13/2024 (there is no month 13)");
    date_refused("2024-09-02", 1, "expected DD/MM/YYYY, got \"2024-09-02\"");
    date_refused("02/09/24", 1, "expected DD/MM/YYYY, got \"02/09/24\"");
}

static void test_uuid_reasons(void **state)
{
    valid_error_t err;
    char out[UUID_STR_SIZE];
    (void)state;
    assert_int_equal(valid_uuid("id", "3F2504E0-4F89-41D3-9A0C-0305E82C3301", out, &err), TD_OK);
    assert_string_equal(out, "3f2504e0-4f89-41d3-9a0c-0305e82c3301");

    assert_int_equal(valid_uuid("id", "", out, &err), TD_EINPUT);
    assert_string_equal(err.field, "id");
    assert_string_equal(err.reason, "empty, expected a UUID");
    assert_int_equal(valid_uuid("id", "3f2504e0-4f89-41d3-9a0c-0305e82c330", out, &err),
                     TD_EINPUT);
    assert_string_equal(err.reason, "not a UUID: 35 characters, expected 36");
    assert_int_equal(valid_uuid("id", "3f2504e0-4f89-41d3-9a0c-0305e82c33011", out, &err),
                     TD_EINPUT);
    assert_string_equal(err.reason, "not a UUID: more than 36 characters");
    assert_int_equal(valid_uuid("id", "3f2504e0-4f89-41d3-9a0c_0305e82c3301", out, &err),
                     TD_EINPUT);
    assert_string_equal(err.reason, "not a UUID: expected '-' at character 24");
    assert_int_equal(valid_uuid("id", "3f2504g0-4f89-41d3-9a0c-0305e82c3301", out, &err),
                     TD_EINPUT);
    assert_string_equal(err.reason, "not a UUID: expected a hexadecimal digit at character 7");
    assert_string_equal(out, "");
}

static int teardown(void **state)
{
    (void)state;
    text_cleanup();
    u_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_accepts_and_normalises),
        cmocka_unit_test(test_text_reasons),
        cmocka_unit_test(test_text_length_reasons),
        cmocka_unit_test(test_error_set_truncates),
        cmocka_unit_test(test_date_reasons),
        cmocka_unit_test(test_uuid_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
