/*
 * test_csv.c - the CSV reader on what spreadsheet programs write, and on
 * what they write wrong: every row's fields and the line it starts on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "csv.h"

/* Read the next row and check it: rc, start line, and the fields (NULL-terminated). */
static void expect_row(csv_t *c, int rc, uint32_t line, ...)
{
    assert_int_equal(csv_next(c), rc);
    assert_int_equal(c->row_line, line);
    va_list ap;
    va_start(ap, line);
    size_t i = 0;
    for (const char *f = va_arg(ap, const char *); f != NULL; f = va_arg(ap, const char *), i++) {
        assert_true(i < c->n);
        assert_string_equal(c->fields[i], f);
        assert_int_equal(c->lens[i], strlen(f));
    }
    va_end(ap);
    assert_int_equal(c->n, i);
}

static void test_plain_rows(void **state)
{
    (void)state;
    const char *in = "kind,name\nindividual,Nguyễn Văn An\n";
    csv_t c;
    csv_init(&c, in, strlen(in), ',');
    expect_row(&c, 1, 1, "kind", "name", NULL);
    expect_row(&c, 1, 2, "individual", "Nguyễn Văn An", NULL);
    assert_int_equal(csv_next(&c), 0);
    assert_int_equal(csv_next(&c), 0); /* the end stays the end */
    csv_free(&c);
}

/* The row Excel shows: an empty line is a row, a multi-line cell is not two. */
static void test_spreadsheet_rows(void **state)
{
    (void)state;
    const char *in = "\na,b\r\n\r\n1,\"x\r\ny\"\n4,5";
    csv_t c;
    csv_init(&c, in, strlen(in), ',');
    static const uint32_t rows[] = {2, 4, 5}, lines[] = {2, 4, 6};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(csv_next(&c), 1);
        assert_int_equal(c.row, rows[i]);
        assert_int_equal(c.row_line, lines[i]);
    }
    assert_int_equal(csv_next(&c), 0);
    csv_free(&c);
}

static void test_last_row_without_newline(void **state)
{
    (void)state;
    const char *in = "a,b\r\n1,2";
    csv_t c;
    csv_init(&c, in, strlen(in), ',');
    expect_row(&c, 1, 1, "a", "b", NULL);
    expect_row(&c, 1, 2, "1", "2", NULL);
    assert_int_equal(csv_next(&c), 0);
    csv_free(&c);
}

static void test_crlf_and_empty_fields(void **state)
{
    (void)state;
    const char *in = "a,b,c\r\n,,\r\nx,,z\r\n1,2,\r\n";
    csv_t c;
    csv_init(&c, in, strlen(in), ',');
    expect_row(&c, 1, 1, "a", "b", "c", NULL);
    expect_row(&c, 1, 2, "", "", "", NULL);
    expect_row(&c, 1, 3, "x", "", "z", NULL);
    expect_row(&c, 1, 4, "1", "2", "", NULL);
    assert_int_equal(csv_next(&c), 0);
    csv_free(&c);
}

static void test_trailing_delimiter_at_end_of_input(void **state)
{
    (void)state;
    const char *in = "a,b,";
    csv_t c;
    csv_init(&c, in, strlen(in), ',');
    expect_row(&c, 1, 1, "a", "b", "", NULL);
    assert_int_equal(csv_next(&c), 0);
    csv_free(&c);
}

static void test_quoted_fields(void **state)
{
    (void)state;
    /* Commas, quotes and line breaks inside quotes; the next row starts on line 4. */
    const char *in = "name,summary\n"
                     "\"Lê, Thị Bình\",\"Dòng 1\nDòng \"\"2\"\"\r\nDòng 3\"\n"
                     "\"\",\"\"\"\"\n";
    csv_t c;
    csv_init(&c, in, strlen(in), ',');
    expect_row(&c, 1, 1, "name", "summary", NULL);
    expect_row(&c, 1, 2, "Lê, Thị Bình", "Dòng 1\nDòng \"2\"\r\nDòng 3", NULL);
    expect_row(&c, 1, 5, "", "\"", NULL);
    assert_int_equal(csv_next(&c), 0);
    csv_free(&c);
}

static void test_bom_is_skipped(void **state)
{
    (void)state;
    const char *in = "\xEF\xBB\xBFLoại,Tên\n";
    csv_t c;
    csv_init(&c, in, strlen(in), ',');
    expect_row(&c, 1, 1, "Loại", "Tên", NULL);
    csv_free(&c);
    /* Only at the very start: elsewhere it is data. */
    const char *mid = "a,\xEF\xBB\xBF"
                      "b\n";
    csv_init(&c, mid, strlen(mid), ',');
    expect_row(&c, 1, 1, "a",
               "\xEF\xBB\xBF"
               "b",
               NULL);
    csv_free(&c);
}

static void test_blank_lines_are_skipped_but_counted(void **state)
{
    (void)state;
    const char *in = "a\n\n\r\nb\n\n";
    csv_t c;
    csv_init(&c, in, strlen(in), ',');
    expect_row(&c, 1, 1, "a", NULL);
    expect_row(&c, 1, 4, "b", NULL);
    assert_int_equal(csv_next(&c), 0);
    csv_free(&c);
}

static void test_lone_cr_ends_a_row(void **state)
{
    (void)state;
    const char *in = "a,b\r1,2\r";
    csv_t c;
    csv_init(&c, in, strlen(in), ',');
    expect_row(&c, 1, 1, "a", "b", NULL);
    expect_row(&c, 1, 2, "1", "2", NULL);
    assert_int_equal(csv_next(&c), 0);
    csv_free(&c);
}

static void test_ragged_rows_are_reported(void **state)
{
    (void)state;
    const char *in = "a,b,c\n1,2\n1,2,3\n1,2,3,4\n";
    csv_t c;
    csv_init(&c, in, strlen(in), ',');
    expect_row(&c, 1, 1, "a", "b", "c", NULL);
    c.expect = c.n;
    expect_row(&c, TD_ERAGGED, 2, "1", "2", NULL);
    expect_row(&c, 1, 3, "1", "2", "3", NULL); /* reading goes on */
    expect_row(&c, TD_ERAGGED, 4, "1", "2", "3", "4", NULL);
    assert_int_equal(csv_next(&c), 0);
    csv_free(&c);
}

static void test_text_after_closing_quote(void **state)
{
    (void)state;
    const char *in = "a,b\n\"x\"y,2\nok,3\n";
    csv_t c;
    csv_init(&c, in, strlen(in), ',');
    expect_row(&c, 1, 1, "a", "b", NULL);
    assert_int_equal(csv_next(&c), TD_EJUNK);
    assert_int_equal(c.row_line, 2);
    assert_int_equal(c.bad_field, 1);
    expect_row(&c, 1, 3, "ok", "3", NULL);
    csv_free(&c);
}

static void test_unclosed_quote_names_its_line(void **state)
{
    (void)state;
    const char *in = "a,b\n1,2\n3,\"open\nstill open\n4,5\n";
    csv_t c;
    csv_init(&c, in, strlen(in), ',');
    expect_row(&c, 1, 1, "a", "b", NULL);
    expect_row(&c, 1, 2, "1", "2", NULL);
    assert_int_equal(csv_next(&c), TD_EQUOTE);
    assert_int_equal(c.row_line, 3);
    assert_int_equal(csv_next(&c), 0);
    csv_free(&c);
}

static void test_quote_inside_unquoted_field_is_kept(void **state)
{
    (void)state;
    const char *in = "5\" tall,b\n";
    csv_t c;
    csv_init(&c, in, strlen(in), ',');
    expect_row(&c, 1, 1, "5\" tall", "b", NULL);
    csv_free(&c);
}

static void test_semicolon_and_sniffing(void **state)
{
    (void)state;
    const char *semi = "\xEF\xBB\xBF\"a,b\";c;d\n1;2;3\n";
    assert_int_equal(csv_sniff(semi, strlen(semi)), ';');
    assert_int_equal(csv_sniff("a,b;c,d\n", 8), ',');
    assert_int_equal(csv_sniff("a\tb\tc\n", 6), '\t');
    assert_int_equal(csv_sniff("name\n", 5), ',');
    csv_t c;
    csv_init(&c, semi, strlen(semi), ';');
    expect_row(&c, 1, 1, "a,b", "c", "d", NULL);
    expect_row(&c, 1, 2, "1", "2", "3", NULL);
    csv_free(&c);
}

static void test_nul_byte_keeps_its_length(void **state)
{
    (void)state;
    const char in[] = "a\0b,c\n";
    csv_t c;
    csv_init(&c, in, sizeof(in) - 1, ',');
    assert_int_equal(csv_next(&c), 1);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.lens[0], 3); /* the caller can see the NUL and refuse the field */
    assert_memory_equal(c.fields[0], "a\0b", 3);
    csv_free(&c);
}

static void test_empty_input(void **state)
{
    (void)state;
    csv_t c;
    csv_init(&c, "", 0, 0);
    assert_int_equal(csv_next(&c), 0);
    csv_free(&c);
    csv_init(&c, "\xEF\xBB\xBF", 3, 0);
    assert_int_equal(csv_next(&c), 0);
    csv_free(&c);
}

static void test_many_fields_and_long_values(void **state)
{
    (void)state;
    enum { N = 300 };
    static char in[N * 2 + 4096 + 8];
    size_t o = 0;
    for (int i = 0; i < N; i++)
        in[o++] = 'x', in[o++] = ',';
    in[o++] = '"';
    memset(in + o, 'y', 4096);
    o += 4096;
    in[o++] = '"';
    in[o++] = '\n';
    csv_t c;
    csv_init(&c, in, o, ',');
    assert_int_equal(csv_next(&c), 1);
    assert_int_equal(c.n, N + 1);
    assert_string_equal(c.fields[N - 1], "x");
    assert_int_equal(c.lens[N], 4096);
    csv_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_rows),
        cmocka_unit_test(test_spreadsheet_rows),
        cmocka_unit_test(test_last_row_without_newline),
        cmocka_unit_test(test_crlf_and_empty_fields),
        cmocka_unit_test(test_trailing_delimiter_at_end_of_input),
        cmocka_unit_test(test_quoted_fields),
        cmocka_unit_test(test_bom_is_skipped),
        cmocka_unit_test(test_blank_lines_are_skipped_but_counted),
        cmocka_unit_test(test_lone_cr_ends_a_row),
        cmocka_unit_test(test_ragged_rows_are_reported),
        cmocka_unit_test(test_text_after_closing_quote),
        cmocka_unit_test(test_unclosed_quote_names_its_line),
        cmocka_unit_test(test_quote_inside_unquoted_field_is_kept),
        cmocka_unit_test(test_semicolon_and_sniffing),
        cmocka_unit_test(test_nul_byte_keeps_its_length),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_many_fields_and_long_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
