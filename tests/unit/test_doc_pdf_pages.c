/*
 * test_doc_pdf_pages.c - how the PDF writer's flow crosses pages
 * (client/doc/doc_pdf.c, doc_pdf_table.c), read back with poppler's tools:
 * a long list under its repeated header, a paragraph split by lines, a
 * heading kept with what it announces, a row taller than a page, sections
 * of their own page size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "pdf_read.h"

/* ---- a list: 300 rows under two header rows, with borders ------------------------------------ */

static void test_list_header_on_every_page(void **state)
{
    (void)state;
    doc_t d;
    doc_init(&d, "Danh sách");
    doc_section_t *s = doc_section(&d, false);
    s->page_numbers = true;
    doc_para_t *p = doc_para(&d, DOC_CENTER);
    doc_run(&d, p, DOC_BOLD, "DANH SÁCH CÁ NHÂN ĐƯỢC TẶNG BẰNG KHEN");
    p->keep_with_next = true;
    static const double cols[] = {15, 70, 50, 30};
    doc_table_t *t = doc_table(&d, 4, cols, true);
    t->header_rows = 2;
    static const char *const head[] = {"STT", "Họ và tên", "Đơn vị", "Danh hiệu"};
    doc_cell_t *row = doc_row(&d, t);
    for (size_t c = 0; c < 4; c++) {
        row[c].shade = true;
        doc_run(&d, doc_cell_para(&d, &row[c], DOC_CENTER), DOC_BOLD, head[c]);
    }
    row = doc_row(&d, t);
    for (size_t c = 0; c < 4; c++)
        doc_runf(&d, doc_cell_para(&d, &row[c], DOC_CENTER), DOC_ITALIC, "(%zu)", c + 1);
    enum { ROWS = 300 };
    for (int i = 1; i <= ROWS; i++) {
        row = doc_row(&d, t);
        doc_runf(&d, doc_cell_para(&d, &row[0], DOC_CENTER), 0, "%d", i);
        doc_runf(&d, doc_cell_para(&d, &row[1], DOC_LEFT), 0, "Nguyễn Thị Hồng Nhung %03d", i);
        doc_run(&d, doc_cell_para(&d, &row[2], DOC_LEFT), 0, "Sở Giáo dục và Đào tạo");
        doc_run(&d, doc_cell_para(&d, &row[3], DOC_LEFT), 0, "Bằng khen");
    }
    const char *pdf = pdfr_path("list.pdf");
    pdfr_write(&d, pdf);

    char *raw = pdfr_text(pdf);
    int pages = pdfr_pages(pdf);
    assert_true(pages >= 2); /* 300 rows do not fit on one A4 page: the point of the test */
    assert_int_equal((int)pdfr_count(raw, "\f"), pages);
    /* Each page: its number (from page 2), then the header once, above the page's first name. */
    for (int n = 1; n <= pages; n++) {
        char *text = pdfr_page(raw, n);
        assert_int_equal(pdfr_count(text, "STT Họ và tên Đơn vị Danh hiệu"), 1);
        assert_int_equal(pdfr_count(text, "(1) (2) (3) (4)"), 1);
        const char *name = strstr(text, "Nguyễn Thị Hồng Nhung");
        assert_non_null(name);
        assert_true(strstr(text, "Họ và tên") < name);
        /* The number from page 2 on; the first page begins with the list's title. */
        char num[16];
        snprintf(num, sizeof(num), n >= 2 ? "%d " : "DANH SÁCH ", n);
        assert_memory_equal(text, num, strlen(num));
        free(text);
    }
    /* Each name once, in order: none lost at a page's foot, none drawn twice. */
    char *text = pdfr_squeeze(raw);
    const char *at = text;
    for (int i = 1; i <= ROWS; i++) {
        char name[64];
        snprintf(name, sizeof(name), "Nguyễn Thị Hồng Nhung %03d", i);
        assert_int_equal(pdfr_count(text, name), 1);
        const char *hit = strstr(at, name);
        assert_non_null(hit);
        at = hit;
    }
    free(text);
    free(raw);
}

/* ---- a paragraph longer than what is left of the page ---------------------------------------- */

enum { SENTENCES = 150 };

static void test_paragraph_split_by_lines(void **state)
{
    (void)state;
    doc_t d;
    doc_init(&d, "Báo cáo");
    doc_section_t *s = doc_section(&d, false);
    doc_run(&d, doc_para(&d, DOC_CENTER), DOC_BOLD, "BÁO CÁO TỔNG KẾT");
    doc_para_t *p = doc_para(&d, DOC_JUSTIFY);
    p->first_indent_mm = 12.7;
    p->line_spacing = 1.2;
    for (int i = 1; i <= SENTENCES; i++)
        doc_runf(&d, p, i % 7 == 0 ? DOC_ITALIC : 0, "Câu thứ %d của bản báo cáo dài. ", i);
    const double top = PT(s->margin_top_mm), bottom = PT(s->margin_bottom_mm);
    const char *pdf = pdfr_path("long.pdf");
    pdfr_write(&d, pdf); /* frees d, and s with it */

    int pages = pdfr_pages(pdf);
    assert_true(pages >= 2);
    char *raw = pdfr_text(pdf);
    char *text = pdfr_squeeze(raw);
    /* Every sentence once and in order: no line lost or repeated where the page turns. */
    const char *at = text;
    for (int i = 1; i <= SENTENCES; i++) {
        char one[64];
        snprintf(one, sizeof(one), "Câu thứ %d của bản báo cáo dài.", i);
        assert_int_equal(pdfr_count(text, one), 1);
        const char *hit = strstr(at, one);
        assert_non_null(hit);
        at = hit;
    }
    /* Split, not moved whole: the paragraph starts on page 1, under the title. */
    char *first = pdfr_page(raw, 1);
    assert_non_null(strstr(first, "BÁO CÁO TỔNG KẾT Câu thứ 1 "));
    free(first);
    /* No line in the bottom margin, none in the top one. */
    char *html = pdfr_bbox(pdf);
    for (int n = 1; n <= pages; n++) {
        pdfr_box_t ink;
        assert_true(pdfr_ink_box(html, n, &ink));
        assert_true(ink.y1 <= ink.page_h - bottom + 0.5);
        assert_true(ink.y0 >= top - 0.5);
    }
    free(html);
    free(text);
    free(raw);
}

/* ---- keep_with_next -------------------------------------------------------------------------- */

/*
 * lines one-line paragraphs, then a heading and the text it heads: the
 * pages of the heading and of the text, read back.
 */
static void heading_pages(int lines, bool keep, int *heading, int *body)
{
    doc_t d;
    doc_init(&d, "Quyết định");
    doc_section(&d, false);
    for (int i = 1; i <= lines; i++)
        doc_runf(&d, doc_para(&d, DOC_LEFT), 0, "Dòng %d", i);
    doc_para_t *h = doc_para(&d, DOC_LEFT);
    h->keep_with_next = keep;
    h->space_before_pt = 6;
    doc_run(&d, h, DOC_BOLD, "Điều 9. Hiệu lực thi hành");
    doc_run(&d, doc_para(&d, DOC_JUSTIFY), 0, "Quyết định này có hiệu lực kể từ ngày ký.");
    const char *pdf = pdfr_path("keep.pdf");
    pdfr_write(&d, pdf);
    char *html = pdfr_bbox(pdf);
    *heading = pdfr_word_page(html, "Hiệu");
    *body = pdfr_word_page(html, "Quyết");
    free(html);
}

static void test_heading_kept_with_next(void **state)
{
    (void)state;
    /* However full the page before it, the heading is on the page its text begins on; and
     * for some page fill, that took keep_with_next: without it the heading would end page 1. */
    bool kept_one = false;
    for (int lines = 30; lines <= 65; lines++) {
        int heading, body;
        heading_pages(lines, true, &heading, &body);
        assert_true(heading > 0 && body > 0);
        assert_int_equal(heading, body);
        int loose_heading, loose_body;
        heading_pages(lines, false, &loose_heading, &loose_body);
        if (loose_heading != loose_body) {
            assert_int_equal(heading, loose_body); /* moved on, not the text moved back */
            kept_one = true;
        }
    }
    assert_true(kept_one);
}

/* ---- a row taller than a page ---------------------------------------------------------------- */

static void test_row_taller_than_page(void **state)
{
    (void)state;
    doc_t d;
    doc_init(&d, "Danh sách");
    doc_section(&d, false);
    static const double cols[] = {30, 135};
    doc_table_t *t = doc_table(&d, 2, cols, true);
    t->header_rows = 1;
    doc_cell_t *row = doc_row(&d, t);
    doc_run(&d, doc_cell_para(&d, &row[0], DOC_CENTER), DOC_BOLD, "STT");
    doc_run(&d, doc_cell_para(&d, &row[1], DOC_CENTER), DOC_BOLD, "Thành tích");
    row = doc_row(&d, t);
    doc_run(&d, doc_cell_para(&d, &row[0], DOC_CENTER), 0, "1");
    doc_para_t *p = doc_cell_para(&d, &row[1], DOC_LEFT);
    for (int i = 1; i <= 120; i++)
        doc_runf(&d, p, 0, "Thành tích số %d\n", i);
    row = doc_row(&d, t);
    doc_run(&d, doc_cell_para(&d, &row[0], DOC_CENTER), 0, "2");
    doc_run(&d, doc_cell_para(&d, &row[1], DOC_LEFT), 0, "Hàng tiếp theo");
    const char *pdf = pdfr_path("tall.pdf");
    pdfr_write(&d, pdf); /* returns: the row is clipped, not moved on from page to page */

    char *html = pdfr_bbox(pdf);
    int tall = pdfr_word_page(html, "số"), next = pdfr_word_page(html, "tiếp");
    assert_true(tall > 0);
    assert_true(next > tall); /* the next row after it, on a page of its own */
    pdfr_box_t hb;
    assert_true(pdfr_word_box(html, next, "Thành", &hb)); /* under the repeated header */
    free(html);
    char *raw = pdfr_text(pdf);
    char *text = pdfr_squeeze(raw);
    assert_int_equal(pdfr_count(text, "Hàng tiếp theo"), 1);
    assert_int_equal(pdfr_count(text, "Thành tích số 1 "), 1);
    free(text);
    free(raw);
}

/* ---- sections -------------------------------------------------------------------------------- */

static void test_sections_own_pages(void **state)
{
    (void)state;
    doc_t d;
    doc_init(&d, "Tờ trình");
    doc_section(&d, false);
    doc_run(&d, doc_para(&d, DOC_LEFT), 0, "Tờ trình, khổ dọc");
    doc_section(&d, true);
    doc_run(&d, doc_para(&d, DOC_LEFT), 0, "Danh sách kèm theo, khổ ngang");
    const char *pdf = pdfr_path("sections.pdf");
    pdfr_write(&d, pdf);
    assert_int_equal(pdfr_pages(pdf), 2);
    char *html = pdfr_bbox(pdf);
    pdfr_box_t b;
    assert_true(pdfr_word_box(html, 1, "dọc", &b));
    assert_float_equal(b.page_w, PT(210), 0.1);
    assert_float_equal(b.page_h, PT(297), 0.1);
    assert_true(pdfr_word_box(html, 2, "ngang", &b));
    assert_float_equal(b.page_w, PT(297), 0.1);
    assert_float_equal(b.page_h, PT(210), 0.1);
    /* The landscape section's 15 mm margin, not the portrait one's 30. */
    assert_true(pdfr_word_box(html, 2, "Danh", &b));
    assert_float_equal(b.x0, PT(15), 1.0);
    free(html);
}

/* ---- documents that say little, or ask the impossible -----------------------------------------
 */

/* Each writes and ends: no page is asked for again and again, none is refused. */
static void test_degenerate_documents_end(void **state)
{
    (void)state;
    doc_t d;
    const char *pdf = pdfr_path("degenerate.pdf");

    doc_init(&d, ""); /* no section at all: one blank A4 page */
    pdfr_write(&d, pdf);
    assert_int_equal(pdfr_pages(pdf), 1);

    doc_init(&d, "Trống");
    doc_section(&d, false);
    (void)doc_para(&d, DOC_LEFT); /* no run */
    static const double cols[] = {50, 50};
    doc_table(&d, 2, cols, true); /* no row */
    doc_cell_t *row = doc_row(&d, doc_table(&d, 2, cols, true));
    row[0].span = 9; /* more columns than the table has */
    row[1].span = 0;
    doc_run(&d, doc_cell_para(&d, &row[0], DOC_LEFT), 0, "Ô rộng");
    doc_page_break(&d);
    doc_page_break(&d); /* two breaks: an empty page between */
    doc_run(&d, doc_para(&d, DOC_LEFT), 0, "Trang cuối");
    pdfr_write(&d, pdf);
    assert_int_equal(pdfr_pages(pdf), 3);

    /* Margins that leave no room at all: a line per page, then the end. */
    doc_init(&d, "Lề");
    doc_section_t *s = doc_section(&d, false);
    s->margin_top_mm = 200;
    s->margin_bottom_mm = 150;
    doc_para_t *p = doc_para(&d, DOC_LEFT);
    p->keep_with_next = true;
    doc_run(&d, p, 0, "Một\nHai\nBa");
    doc_cell_t *r = doc_row(&d, doc_table(&d, 2, cols, false));
    doc_run(&d, doc_cell_para(&d, &r[0], DOC_LEFT), 0, "Bốn");
    pdfr_write(&d, pdf);
    assert_int_equal(pdfr_pages(pdf), 4);
    char *raw = pdfr_text(pdf);
    char *text = pdfr_squeeze(raw);
    assert_string_equal(text, "Một Hai Ba Bốn");
    free(text);
    free(raw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_header_on_every_page),
        cmocka_unit_test(test_paragraph_split_by_lines),
        cmocka_unit_test(test_heading_kept_with_next),
        cmocka_unit_test(test_row_taller_than_page),
        cmocka_unit_test(test_sections_own_pages),
        cmocka_unit_test(test_degenerate_documents_end),
    };
    return cmocka_run_group_tests(tests, pdfr_setup, pdfr_teardown);
}
