/*
 * test_doc_pdf.c - the PDF writer (client/doc/doc_pdf.c) read back with
 * poppler's tools, as an office's printer and a reader would take the file:
 * the text and its order (pdftotext), where words landed (pdftotext -bbox),
 * the font embedded (pdffonts) and ink on the page (pdftoppm); and its
 * refusals. How the flow crosses pages: test_doc_pdf_pages.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doc.h"
#include "pdf_read.h"

/* ---- a decision: the two-column header of Nghị định 30/2020, then its text ------------------- */

static const char *const decision_text[] = {
    "QUYẾT ĐỊNH",
    "Về việc tặng Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh",
    "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH HẬU GIANG",
    "Căn cứ Luật Thi đua, Khen thưởng ngày 15 tháng 6 năm 2022;",
    "Điều 1. Tặng Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh cho 03 tập thể và 12 cá nhân "
    "đã có thành tích xuất sắc trong phong trào thi đua yêu nước năm 2025, góp phần vào sự "
    "nghiệp xây dựng và bảo vệ Tổ quốc (có danh sách kèm theo).",
    "Điều 2. Chánh Văn phòng Ủy ban nhân dân tỉnh, Trưởng ban Ban Thi đua - Khen thưởng tỉnh "
    "và các tập thể, cá nhân có tên tại Điều 1 chịu trách nhiệm thi hành Quyết định này.",
};

#define DECISION_TITLE "Quyết định 1520/QĐ-UBND"

/* The decision written to pdfr_dir/name; returns the file's path. */
static const char *decision_pdf(const char *name)
{
    doc_t doc, *d = &doc;
    doc_init(d, DECISION_TITLE);
    doc_section(d, false);
    static const double cols[] = {65, 100};
    doc_table_t *t = doc_table(d, 2, cols, false);
    t->size_pt = 12;
    doc_cell_t *row = doc_row(d, t);
    doc_para_t *p = doc_cell_para(d, &row[0], DOC_CENTER);
    doc_run(d, p, DOC_BOLD, "ỦY BAN NHÂN DÂN\nTỈNH HẬU GIANG");
    p = doc_cell_para(d, &row[0], DOC_CENTER);
    doc_run(d, p, 0, "Số: 1520/QĐ-UBND");
    p = doc_cell_para(d, &row[1], DOC_CENTER);
    doc_run(d, p, DOC_BOLD, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM");
    p = doc_cell_para(d, &row[1], DOC_CENTER);
    doc_run(d, p, DOC_BOLD | DOC_UNDERLINE, "Độc lập - Tự do - Hạnh phúc");

    for (size_t i = 0; i < THIDUA_ARRAY_LEN(decision_text); i++) {
        bool heading = i < 3;
        p = doc_para(d, heading ? DOC_CENTER : DOC_JUSTIFY);
        p->space_before_pt = 6;
        if (!heading)
            p->first_indent_mm = 12.7;
        doc_run(d, p, heading ? DOC_BOLD : 0, decision_text[i]);
    }
    const char *pdf = pdfr_path(name);
    pdfr_write(d, pdf);
    return pdf;
}

/* Whether s holds a combining mark (U+0300..U+036F: bytes CC 80 to CD AF): not NFC Vietnamese. */
static bool has_combining(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((p[0] == 0xcc && p[1] >= 0x80) || (p[0] == 0xcd && p[1] <= 0xaf && p[1] >= 0x80))
            return true;
    return false;
}

static void test_decision_text_in_order(void **state)
{
    (void)state;
    const char *pdf = decision_pdf("decision.pdf");

    char *raw = pdfr_text(pdf);
    char *text = pdfr_squeeze(raw);
    /* The left column top down, the right column top down, then the decision's text. */
    const char *const left[] = {"ỦY BAN NHÂN DÂN", "TỈNH HẬU GIANG", "Số: 1520/QĐ-UBND",
                                decision_text[0]};
    pdfr_assert_in_order(text, left, THIDUA_ARRAY_LEN(left));
    const char *const right[] = {"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                                 "Độc lập - Tự do - Hạnh phúc", decision_text[0]};
    pdfr_assert_in_order(text, right, THIDUA_ARRAY_LEN(right));
    pdfr_assert_in_order(text, decision_text, THIDUA_ARRAY_LEN(decision_text));
    assert_false(has_combining(raw));
    assert_int_equal(pdfr_pages(pdf), 1);
    free(text);
    free(raw);

    /* The title an office's file list shows. */
    const char *info_argv[] = {"/usr/bin/pdfinfo", pdf, NULL};
    char *info = pdfr_run(info_argv);
    char *title = strstr(info, "Title:");
    assert_non_null(title);
    title += strlen("Title:");
    title += strspn(title, " ");
    assert_memory_equal(title, DECISION_TITLE "\n", strlen(DECISION_TITLE "\n"));
    free(info);
}

/* Every font of the file is Liberation Serif (no fallback face), and embedded. */
static void test_decision_font_embedded(void **state)
{
    (void)state;
    const char *pdf = decision_pdf("fonts.pdf");
    const char *argv[] = {"/usr/bin/pdffonts", pdf, NULL};
    char *out = pdfr_run(argv);
    /* name type encoding emb sub uni object ID / a line of dashes / one line per font */
    const char *emb_col = strstr(out, "emb");
    assert_non_null(emb_col);
    size_t emb = (size_t)(emb_col - out);
    const char *line = strchr(out, '\n');
    assert_non_null(line);
    line = strchr(line + 1, '\n'); /* past the dashes */
    assert_non_null(line);
    int fonts = 0;
    for (line++; *line; line = strchr(line, '\n') + 1) {
        assert_non_null(strchr(line, '\n'));
        assert_true(strstr(line, "LiberationSerif") != NULL &&
                    strstr(line, "LiberationSerif") < strchr(line, '\n'));
        assert_memory_equal(line + emb, "yes", 3);
        fonts++;
    }
    assert_non_null(strstr(out, "LiberationSerif-Bold ")); /* the bold runs in their face */
    assert_true(fonts >= 2);
    free(out);
}

static void test_decision_header_columns(void **state)
{
    (void)state;
    const char *pdf = decision_pdf("columns.pdf");
    char *html = pdfr_bbox(pdf);
    /* Each column's lines in its column: the motto's line (CỘNG ... NAM) centred in the
     * right half, the number's (Số: 1520/QĐ-UBND) in the left half, neither crossing the
     * line between the columns (30 mm of margin and the left column's 65 mm). */
    pdfr_box_t cong, nam, so, num;
    assert_true(pdfr_word_box(html, 1, "CỘNG", &cong));
    assert_true(pdfr_word_box(html, 1, "NAM", &nam));
    assert_true(pdfr_word_box(html, 1, "Số:", &so));
    assert_true(pdfr_word_box(html, 1, "1520/QĐ-UBND", &num));
    double split = PT(30 + 65), half = cong.page_w / 2;
    assert_true(cong.x0 >= split && (cong.x0 + nam.x1) / 2 > half);
    assert_true(num.x1 <= split && (so.x0 + num.x1) / 2 < half);
    /* Side by side at the top of the page: the motto level with the committee's name. */
    pdfr_box_t uy;
    assert_true(pdfr_word_box(html, 1, "ỦY", &uy));
    assert_float_equal(cong.y0, uy.y0, 1.0);
    assert_true(so.y0 > uy.y0 && so.y0 < PT(50));
    free(html);
}

/* ---- a line break inside a paragraph ------------------------------------------------------- */

static void test_line_break_keeps_paragraph(void **state)
{
    (void)state;
    doc_t d;
    doc_init(&d, "Tờ trình");
    doc_section(&d, false);
    doc_para_t *p = doc_para(&d, DOC_LEFT);
    p->first_indent_mm = 12.7;
    doc_run(&d, p, 0, "Kính gửi: Ủy ban nhân dân tỉnh\n");
    doc_run(&d, p, DOC_BOLD, "Ban Thi đua - Khen thưởng tỉnh");
    const char *pdf = pdfr_path("break.pdf");
    pdfr_write(&d, pdf);
    /* Two lines, the first indented, the second at the margin: one paragraph, not two. */
    char *html = pdfr_bbox(pdf);
    pdfr_box_t first, second;
    assert_true(pdfr_word_box(html, 1, "Kính", &first));
    assert_true(pdfr_word_box(html, 1, "Ban", &second));
    free(html);
    assert_float_equal(first.x0, PT(30 + 12.7), 1.0);
    assert_float_equal(second.x0, PT(30), 1.0);
    assert_true(second.y0 > first.y1 - 1);
    char *raw = pdfr_text(pdf);
    assert_null(strstr(raw, "\xe2\x80\xa8")); /* the break itself is not text */
    char *text = pdfr_squeeze(raw);
    assert_string_equal(text, "Kính gửi: Ủy ban nhân dân tỉnh Ban Thi đua - Khen thưởng tỉnh");
    free(text);
    free(raw);
}

/* ---- certificates: text placed on pre-printed blanks ----------------------------------------- */

static void test_frames_placed(void **state)
{
    (void)state;
    static const struct {
        double x, y;
    } at[] = {{40, 90}, {110, 160}};
    doc_t d;
    doc_init(&d, "Giấy khen");
    doc_section(&d, false);
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(at); i++) {
        doc_para_t *p = doc_frame(&d, at[i].x, at[i].y, 80, DOC_LEFT);
        doc_run(&d, p, DOC_BOLD, "Lê Văn Tám");
        doc_page_break(&d); /* each certificate: its frames, then a break */
    }
    const char *pdf = pdfr_path("frames.pdf");
    pdfr_write(&d, pdf);
    /* One sheet per certificate: the last break leaves no blank sheet in the printer. */
    assert_int_equal(pdfr_pages(pdf), (int)THIDUA_ARRAY_LEN(at));
    char *html = pdfr_bbox(pdf);
    double x[2], y[2];
    for (int i = 0; i < 2; i++) {
        pdfr_box_t b;
        assert_true(pdfr_word_box(html, i + 1, "Lê", &b));
        x[i] = b.x0;
        y[i] = b.y0;
        /* The text's left edge at the frame's; its top within a line of the frame's. */
        assert_float_equal(x[i], PT(at[i].x), 1.5);
        assert_true(y[i] >= PT(at[i].y) - 0.5 && y[i] < PT(at[i].y) + 13);
    }
    assert_float_equal(x[1] - x[0], PT(at[1].x - at[0].x), 0.5);
    assert_float_equal(y[1] - y[0], PT(at[1].y - at[0].y), 0.5);
    free(html);
}

/* ---- ink on the page ------------------------------------------------------------------------- */

static void test_page_has_ink_inside_margins(void **state)
{
    (void)state;
    const char *pdf = decision_pdf("ink.pdf");
    pdfr_gray_t g = pdfr_gray(pdf, 1, 30);
    /* Ink somewhere, and none in the 30 mm left margin (less a little for antialiasing). */
    int dark = 0, margin_left = (int)(25 / 25.4 * 30);
    for (int r = 0; r < g.h; r++)
        for (int c = 0; c < g.w; c++) {
            if (g.px[r * g.w + c] < 128)
                dark++;
            if (c < margin_left)
                assert_true(g.px[r * g.w + c] > 250);
        }
    assert_true(dark > 0);
    free(g.px);
}

/* ---- a heading row: a cell across two columns, shaded --------------------------------------- */

static void test_span_and_shade(void **state)
{
    (void)state;
    doc_t d;
    doc_init(&d, "Danh sách");
    doc_section(&d, false);
    static const double cols[] = {40, 40, 85};
    doc_table_t *t = doc_table(&d, 3, cols, true);
    doc_cell_t *row = doc_row(&d, t);
    row[0].span = 2;
    row[0].shade = true;
    row[1].span = 0;
    doc_run(&d, doc_cell_para(&d, &row[0], DOC_CENTER), DOC_BOLD, "TẬP THỂ");
    doc_run(&d, doc_cell_para(&d, &row[1], DOC_CENTER), 0, "che khuất");
    doc_run(&d, doc_cell_para(&d, &row[2], DOC_CENTER), 0, "Ghi chú");
    row = doc_row(&d, t);
    for (int c = 0; c < 3; c++)
        doc_runf(&d, doc_cell_para(&d, &row[c], DOC_CENTER), 0, "Ô %d", c + 1);
    const char *pdf = pdfr_path("span.pdf");
    pdfr_write(&d, pdf);

    char *raw = pdfr_text(pdf);
    assert_null(strstr(raw, "che khuất")); /* a covered cell draws nothing */
    free(raw);
    /* Centred across both columns: around the line between them, 30 + 40 mm from the edge. */
    char *html = pdfr_bbox(pdf);
    pdfr_box_t tap, the;
    assert_true(pdfr_word_box(html, 1, "TẬP", &tap));
    assert_true(pdfr_word_box(html, 1, "THỂ", &the));
    free(html);
    assert_float_equal((tap.x0 + the.x1) / 2, PT(30 + 40), 1.5);
    /* Grey beside the heading's text, inside its cell; white at the same height in the next. */
    pdfr_gray_t g = pdfr_gray(pdf, 1, 72); /* a pixel a point */
    int y = (int)((tap.y0 + tap.y1) / 2);
    unsigned char shaded = g.px[y * g.w + (int)PT(30 + 3)];
    unsigned char plain = g.px[y * g.w + (int)PT(30 + 80 + 3)];
    assert_true(shaded < 240 && shaded > 120);
    assert_true(plain > 250);
    free(g.px);
}

/* ---- errors ---------------------------------------------------------------------------------- */

static void test_unwritable_path(void **state)
{
    (void)state;
    doc_t d;
    doc_init(&d, "x");
    doc_run(&d, doc_para(&d, DOC_LEFT), 0, "Không ghi được");
    char err[256] = "";
    const char *path = pdfr_path("no-such-folder/x.pdf");
    assert_int_equal(doc_write_pdf(&d, path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, strerror(ENOENT)));
    doc_free(&d);
}

/*
 * A machine without Liberation Serif: this program again (--write), under a
 * fontconfig that knows only DejaVu. The writer must refuse, naming the
 * package, rather than set a decision in whatever face fontconfig offers.
 */
static void test_missing_font(void **state)
{
    (void)state;
    const char *conf = pdfr_path("fonts.conf");
    FILE *f = fopen(conf, "w");
    assert_non_null(f);
    fprintf(f,
            "<?xml version=\"1.0\"?>\n<!DOCTYPE fontconfig SYSTEM \"fonts.dtd\">\n"
            "<fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir>"
            "<cachedir>%s</cachedir></fontconfig>\n",
            pdfr_dir);
    assert_int_equal(fclose(f), 0);
    /* The decision printed yesterday, which a failed rewrite must leave alone. */
    const char *pdf = pdfr_path("nofont.pdf");
    f = fopen(pdf, "w");
    assert_non_null(f);
    fputs("yesterday's file\n", f);
    assert_int_equal(fclose(f), 0);
    const char *argv[] = {"/proc/self/exe", "--write", pdf, NULL};
    int code;
    char *out = pdfr_run_with(argv, conf, &code);
    assert_int_equal(code, 1);
    assert_non_null(strstr(out, DOC_FONT_FAMILY));
    assert_non_null(strstr(out, "fonts-liberation2"));
    free(out);
    const char *cat[] = {"/bin/cat", pdf, NULL};
    out = pdfr_run(cat);
    assert_string_equal(out, "yesterday's file\n");
    free(out);
    assert_int_equal(access(pdfr_path("nofont.pdf.part"), F_OK), -1); /* nor half a new one */
}

/* --write PATH: a one-line document to PATH; its error on stdout, exit 1 if it fails. */
static int write_one(const char *path)
{
    doc_t d;
    doc_init(&d, "x");
    doc_run(&d, doc_para(&d, DOC_LEFT), 0, "Giấy khen");
    char err[256] = "";
    int rc = doc_write_pdf(&d, path, err, sizeof(err));
    doc_free(&d);
    printf("%s\n", err);
    return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write") == 0)
        return write_one(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decision_text_in_order),
        cmocka_unit_test(test_decision_font_embedded),
        cmocka_unit_test(test_decision_header_columns),
        cmocka_unit_test(test_line_break_keeps_paragraph),
        cmocka_unit_test(test_frames_placed),
        cmocka_unit_test(test_page_has_ink_inside_margins),
        cmocka_unit_test(test_span_and_shade),
        cmocka_unit_test(test_unwritable_path),
        cmocka_unit_test(test_missing_font),
    };
    return cmocka_run_group_tests(tests, pdfr_setup, pdfr_teardown);
}
