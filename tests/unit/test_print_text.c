/*
 * test_print_text.c - the signer's block and the date line of printed documents:
 * where a title ends and a name begins, whatever letter the name starts with.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "print.h"

static void expect_split(const char *signer, const char *fallback, size_t ntitle,
                         const char *t0, const char *t1, const char *name)
{
    print_signer_t sg;
    print_signer_split(signer, fallback, &sg);
    assert_int_equal(sg.ntitle, ntitle);
    if (ntitle > 0)
        assert_string_equal(sg.title[0], t0);
    if (ntitle > 1)
        assert_string_equal(sg.title[1], t1);
    assert_string_equal(sg.name, name);
}

static void test_title_then_name(void **state)
{
    (void)state;
    expect_split("CHỦ TỊCH Nguyễn Văn An", NULL, 1, "CHỦ TỊCH", NULL, "Nguyễn Văn An");
    expect_split("KT. CHỦ TỊCH – PHÓ CHỦ TỊCH Trần Thị Bình", NULL, 2, "KT. CHỦ TỊCH",
                 "PHÓ CHỦ TỊCH", "Trần Thị Bình");
    expect_split("KT. CHỦ TỊCH — PHÓ CHỦ TỊCH Lê C", NULL, 2, "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH",
                 "Lê C");
}

/* A surname that starts with a capital outside ASCII and has no ASCII lowercase letter. */
static void test_name_without_ascii_lowercase(void **state)
{
    (void)state;
    expect_split("CHỦ TỊCH Đỗ Văn Út", NULL, 1, "CHỦ TỊCH", NULL, "Đỗ Văn Út");
    expect_split("KT. CHỦ TỊCH – PHÓ CHỦ TỊCH Ưng Ánh", NULL, 2, "KT. CHỦ TỊCH",
                 "PHÓ CHỦ TỊCH", "Ưng Ánh");
    expect_split("GIÁM ĐỐC Ôn Ý", NULL, 1, "GIÁM ĐỐC", NULL, "Ôn Ý");
}

static void test_name_only_takes_fallback(void **state)
{
    (void)state;
    expect_split("Đỗ Thị Hà", "CHỦ TỊCH", 1, "CHỦ TỊCH", NULL, "Đỗ Thị Hà");
    expect_split("Nguyễn An", "", 0, NULL, NULL, "Nguyễn An");
    expect_split("CHỦ TỊCH", "GIÁM ĐỐC", 1, "CHỦ TỊCH", NULL, "");
    expect_split("KT. CHỦ TỊCH – PHÓ CHỦ TỊCH", NULL, 2, "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "");
    expect_split("", "CHỦ TỊCH", 1, "CHỦ TỊCH", NULL, "");
    expect_split(NULL, NULL, 0, NULL, NULL, "");
}

static void test_date_line(void **state)
{
    (void)state;
    char buf[128];
    assert_string_equal(print_date_line("Cần Thơ", "2025-02-05", buf, sizeof(buf)),
                        "Cần Thơ, ngày 05 tháng 02 năm 2025");
    assert_string_equal(print_date_line(NULL, "2025-11-20", buf, sizeof(buf)),
                        "ngày 20 tháng 11 năm 2025");
    assert_string_equal(print_date_line("", "2025-03-09", buf, sizeof(buf)),
                        "ngày 09 tháng 3 năm 2025");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_title_then_name),
        cmocka_unit_test(test_name_without_ascii_lowercase),
        cmocka_unit_test(test_name_only_takes_fallback),
        cmocka_unit_test(test_date_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
