/*
 * test_error.c - the one list of error codes (common/error.h): every code is
 * negative and distinct, has a sentence and a name of its own, and what is
 * not a code is said to be unknown rather than read out of bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"

static void test_codes_are_the_list(void **state)
{
    (void)state;
    static const struct {
        int code;
        const char *name;
    } list[] = {
#define ROW(name, msg) {TD_##name, #name},
        TD_ERRNO_MAP(ROW)
#undef ROW
    };
    size_t n = sizeof(list) / sizeof(list[0]);
    assert_int_equal(n, TD__NERR);
    for (size_t i = 0; i < n; i++) {
        /* -1, -2, ...: in list order, no gap, no code twice. */
        assert_int_equal(list[i].code, -1 - (int)i);
        assert_string_equal(td_err_name(list[i].code), list[i].name);
        assert_true(strlen(td_strerror(list[i].code)) > 0);
        assert_string_not_equal(td_strerror(list[i].code), "unknown error");
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(td_strerror(list[i].code), td_strerror(list[j].code));
    }
}

static void test_what_is_not_a_code(void **state)
{
    (void)state;
    assert_string_equal(td_strerror(TD_OK), "ok");
    assert_string_equal(td_err_name(TD_OK), "OK");
    assert_string_equal(td_strerror(-1 - TD__NERR), "unknown error");
    assert_string_equal(td_strerror(1), "unknown error");
    assert_string_equal(td_strerror(INT32_MIN), "unknown error");
    assert_string_equal(td_err_name(-1 - TD__NERR), "UNKNOWN");
}

static void test_sentences_users_read(void **state)
{
    (void)state;
    /* These reach officers and logs inside longer messages: keep them plain. */
    assert_string_equal(td_strerror(TD_EUTF8), "invalid UTF-8");
    assert_string_equal(td_strerror(TD_EZERO), "frame length 0 is invalid");
    assert_string_equal(td_strerror(TD_EQUOTE), "a quoted field is never closed (a \" is missing)");
    assert_string_equal(td_strerror(TD_ENOTSTORE), "not a thidua store");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codes_are_the_list),
        cmocka_unit_test(test_what_is_not_a_code),
        cmocka_unit_test(test_sentences_users_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
