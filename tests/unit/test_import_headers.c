/*
 * test_import_headers.c - column headers as offices write them, matched to
 * the record's fields (recin_header), and the import form that writes them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <unicode/uclean.h>

#include <string.h>

#include "import_form.h"
#include "record_input.h"
#include "text.h"

static void test_variants(void **state)
{
    (void)state;
    static const struct {
        const char *header;
        int field;
    } cases[] = {
        {"Họ và tên", RECIN_NAME},
        {"  HỌ   VÀ TÊN ", RECIN_NAME},
        {"Ho va ten", RECIN_NAME},
        {"Họ tên", RECIN_NAME},
        {"Họ và tên/Tên tập thể", RECIN_NAME},
        {"nominee_name", RECIN_NAME},
        {"Ngày, tháng, năm sinh", RECIN_BIRTH_DATE},
        {"Ngày/tháng/năm sinh", RECIN_BIRTH_DATE},
        {"Ngày sinh (dd/mm/yyyy)", RECIN_BIRTH_DATE},
        {"NGÀY SINH", RECIN_BIRTH_DATE},
        {"Nam/Nữ", RECIN_GENDER},
        {"Chức vụ, chức danh", RECIN_POSITION},
        {"Đơn vị công tác", RECIN_WORKPLACE},
        {"Tóm tắt thành tích", RECIN_TITLE},
        {"Ngày đạt thành tích", RECIN_ACHIEVED_ON},
        {"Hình thức khen thưởng đề nghị", RECIN_AWARD},
        {"Hinh thuc khen thuong", RECIN_AWARD},
        {"STT", RECIN_HEADER_ROWNO},
        {"Số TT", RECIN_HEADER_ROWNO},
        {"No.", RECIN_HEADER_ROWNO},
        {"Ghi chú", RECIN_HEADER_IGNORED},
        {"Điểm", RECIN_HEADER_UNKNOWN},
        {"Ngày", RECIN_HEADER_UNKNOWN},
        {"", RECIN_HEADER_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int got = recin_header(cases[i].header);
        if (got != cases[i].field)
            fail_msg("\"%s\": %d, want %d", cases[i].header, got, cases[i].field);
    }
}

static void test_form_headers_are_known(void **state)
{
    (void)state;
    assert_int_equal(recin_header(form_columns[0].header), RECIN_HEADER_ROWNO);
    for (size_t i = 1; i < form_ncolumns; i++)
        assert_int_equal(recin_header(recin_fields[i - 1].vi), (int)(i - 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_variants),
        cmocka_unit_test(test_form_headers_are_known),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    text_cleanup();
    u_cleanup();
    return rc;
}
