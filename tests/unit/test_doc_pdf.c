/*
 * test_doc_pdf.c - the PDF writer (client/doc/doc_pdf.c) read back with
 * poppler's tools, as an office's printer and a reader would take the file:
 * the text and its order (pdftotext), where words landed (pdftotext -bbox),
 * the font embedded (pdffonts), the pages (pdfinfo) and ink on the page
 * (pdftoppm).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "doc.h"

#define PT(mm) ((mm)*72.0 / 25.4)

static char tmpdir[] = "/tmp/test_doc_pdf.XXXXXX";

/* tmpdir/name, in a static buffer of its own per slot. */
static const char *tmp_path(const char *name)
{
    static char buf[4][512];
    static int slot;
    slot = (slot + 1) % 4;
    snprintf(buf[slot], sizeof(buf[slot]), "%s/%s", tmpdir, name);
    return buf[slot];
}

/*
 * What argv[0] (a full path) writes on stdout, as a string, and its exit
 * code; with fc_file, under that fontconfig configuration.
 */
static char *run_with(const char *const argv[], const char *fc_file, int *code)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        if (fc_file != NULL)
            setenv("FONTCONFIG_FILE", fc_file, 1);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    size_t len = 0, cap = 4096;
    char *out = malloc(cap);
    assert_non_null(out);
    ssize_t n;
    while ((n = read(fds[0], out + len, cap - len - 1)) > 0) {
        len += (size_t)n;
        if (cap - len < 1024) {
            cap *= 2;
            out = realloc(out, cap);
            assert_non_null(out);
        }
    }
    out[len] = '\0';
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    *code = WEXITSTATUS(status);
    return out;
}

/* What argv[0] writes on stdout; it must exit 0. */
static char *run(const char *const argv[])
{
    int code;
    char *out = run_with(argv, NULL, &code);
    assert_int_equal(code, 0);
    return out;
}

static void write_pdf(doc_t *d, const char *path)
{
    char err[256] = "";
    assert_false(doc_failed(d));
    int rc = doc_write_pdf(d, path, err, sizeof(err));
    if (rc != 0)
        fail_msg("doc_write_pdf: %s", err);
    doc_free(d);
}

static char *pdf_text(const char *pdf)
{
    const char *argv[] = {"/usr/bin/pdftotext", "-layout", "-enc", "UTF-8", pdf, "-", NULL};
    return run(argv);
}

/* The text with every run of white space (line ends, columns' gaps) made one space. */
static char *squeeze(const char *s)
{
    char *out = malloc(strlen(s) + 1), *o = out;
    assert_non_null(out);
    bool space = false;
    for (; *s; s++) {
        if (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\f' || *s == '\r') {
            space = true;
            continue;
        }
        if (space && o != out)
            *o++ = ' ';
        space = false;
        *o++ = *s;
    }
    *o = '\0';
    return out;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Each of want[] in text, in order, each after the one before. */
static void assert_in_order(const char *text, const char *const want[], size_t n)
{
    const char *at = text;
    for (size_t i = 0; i < n; i++) {
        const char *p = strstr(at, want[i]);
        if (p == NULL)
            fail_msg("\"%s\" missing (or out of order) in:\n%s", want[i], text);
        at = p + strlen(want[i]);
    }
}

static int pdf_pages(const char *pdf)
{
    const char *argv[] = {"/usr/bin/pdfinfo", pdf, NULL};
    char *info = run(argv);
    const char *p = strstr(info, "\nPages:");
    assert_non_null(p);
    int pages = atoi(p + strlen("\nPages:"));
    free(info);
    return pages;
}

/* A word's box on its page, in points from the page's top left corner. */
typedef struct box {
    double x0, y0, x1, y1;
    double page_w;
} box_t;

/*
 * The box of the first word exactly `word` on page `page` (1-based) of
 * pdftotext -bbox's XHTML; false if none.
 */
static bool word_box(const char *html, int page, const char *word, box_t *b)
{
    const char *p = html;
    for (int i = 0; i < page; i++) {
        p = strstr(p, "<page ");
        if (p == NULL)
            return false;
        p++;
    }
    const char *end = strstr(p, "</page>");
    assert_non_null(end);
    assert_int_equal(sscanf(p, "page width=\"%lf\"", &b->page_w), 1);
    char tail[256];
    snprintf(tail, sizeof(tail), ">%s</word>", word);
    const char *hit = strstr(p, tail);
    if (hit == NULL || hit > end)
        return false;
    const char *open = hit;
    while (open > p && strncmp(open, "<word ", 6) != 0)
        open--;
    assert_int_equal(sscanf(open, "<word xMin=\"%lf\" yMin=\"%lf\" xMax=\"%lf\" yMax=\"%lf\"",
                            &b->x0, &b->y0, &b->x1, &b->y1),
                     4);
    return true;
}

static char *pdf_bbox(const char *pdf)
{
    const char *argv[] = {"/usr/bin/pdftotext", "-bbox", "-enc", "UTF-8", pdf, "-", NULL};
    return run(argv);
}

/* ---- a decision: the two-column header of Nghị định 30/2020, then its text ---------------- */

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

/* The decision written to tmpdir/name; returns the file's path. */
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
    const char *pdf = tmp_path(name);
    write_pdf(d, pdf);
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

    char *raw = pdf_text(pdf);
    char *text = squeeze(raw);
    /* The left column top down, the right column top down, then the decision's text. */
    const char *const left[] = {"ỦY BAN NHÂN DÂN", "TỈNH HẬU GIANG", "Số: 1520/QĐ-UBND",
                                decision_text[0]};
    assert_in_order(text, left, THIDUA_ARRAY_LEN(left));
    const char *const right[] = {"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                                 "Độc lập - Tự do - Hạnh phúc", decision_text[0]};
    assert_in_order(text, right, THIDUA_ARRAY_LEN(right));
    assert_in_order(text, decision_text, THIDUA_ARRAY_LEN(decision_text));
    assert_false(has_combining(raw));
    assert_int_equal(pdf_pages(pdf), 1);
    free(text);
    free(raw);

    /* The title an office's file list shows. */
    const char *info_argv[] = {"/usr/bin/pdfinfo", pdf, NULL};
    char *info = run(info_argv);
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
    char *out = run(argv);
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
    char *html = pdf_bbox(pdf);
    /* Each column's lines in its column: the motto's line (CỘNG ... NAM) centred in the
     * right half, the number's (Số: 1520/QĐ-UBND) in the left half, neither crossing the
     * line between the columns (30 mm of margin and the left column's 65 mm). */
    box_t cong, nam, so, num;
    assert_true(word_box(html, 1, "CỘNG", &cong));
    assert_true(word_box(html, 1, "NAM", &nam));
    assert_true(word_box(html, 1, "Số:", &so));
    assert_true(word_box(html, 1, "1520/QĐ-UBND", &num));
    double split = PT(30 + 65), half = cong.page_w / 2;
    assert_true(cong.x0 >= split && (cong.x0 + nam.x1) / 2 > half);
    assert_true(num.x1 <= split && (so.x0 + num.x1) / 2 < half);
    /* Side by side at the top of the page: the motto level with the committee's name. */
    box_t uy;
    assert_true(word_box(html, 1, "ỦY", &uy));
    assert_float_equal(cong.y0, uy.y0, 1.0);
    assert_true(so.y0 > uy.y0 && so.y0 < PT(50));
    free(html);
}

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
    const char *pdf = tmp_path("list.pdf");
    write_pdf(&d, pdf);

    char *raw = pdf_text(pdf);
    int pages = pdf_pages(pdf);
    assert_true(pages >= 2); /* 300 rows do not fit on one A4 page: the point of the test */
    assert_int_equal((int)count(raw, "\f"), pages);
    /* Each page: its number (from page 2), then the header once, above the page's first name. */
    char *page = raw;
    for (int n = 1; n <= pages; n++) {
        char *ff = strchr(page, '\f');
        assert_non_null(ff);
        *ff = '\0';
        char *text = squeeze(page);
        assert_int_equal(count(text, "STT Họ và tên Đơn vị Danh hiệu"), 1);
        assert_int_equal(count(text, "(1) (2) (3) (4)"), 1);
        const char *name = strstr(text, "Nguyễn Thị Hồng Nhung");
        assert_non_null(name);
        assert_true(strstr(text, "Họ và tên") < name);
        if (n >= 2) {
            char num[16];
            snprintf(num, sizeof(num), "%d ", n);
            assert_memory_equal(text, num, strlen(num));
        }
        free(text);
        *ff = '\f';
        page = ff + 1;
    }
    /* Each name once, in order: none lost at a page's foot, none drawn twice. */
    char *text = squeeze(raw);
    const char *at = text;
    for (int i = 1; i <= ROWS; i++) {
        char name[64];
        snprintf(name, sizeof(name), "Nguyễn Thị Hồng Nhung %03d", i);
        assert_int_equal(count(text, name), 1);
        const char *hit = strstr(at, name);
        assert_non_null(hit);
        at = hit;
    }
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
    const char *pdf = tmp_path("frames.pdf");
    write_pdf(&d, pdf);
    /* One sheet per certificate: the last break leaves no blank sheet in the printer. */
    assert_int_equal(pdf_pages(pdf), (int)THIDUA_ARRAY_LEN(at));
    char *html = pdf_bbox(pdf);
    double x[2], y[2];
    for (int i = 0; i < 2; i++) {
        box_t b;
        assert_true(word_box(html, i + 1, "Lê", &b));
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
    const char *prefix = tmp_path("ink");
    const char *argv[] = {"/usr/bin/pdftoppm", "-r", "30",   "-gray", "-f", "1", "-l", "1",
                          "-singlefile",       pdf,  prefix, NULL};
    free(run(argv));
    FILE *f = fopen(tmp_path("ink.pgm"), "rb");
    assert_non_null(f);
    int w, h, max;
    assert_int_equal(fscanf(f, "P5 %d %d %d", &w, &h, &max), 3);
    fgetc(f);
    assert_int_equal(max, 255);
    unsigned char *px = malloc((size_t)w * (size_t)h);
    assert_non_null(px);
    assert_int_equal(fread(px, 1, (size_t)w * (size_t)h, f), (size_t)w * (size_t)h);
    fclose(f);
    /* Ink somewhere, and none in the 30 mm left margin (less a little for antialiasing). */
    int dark = 0, margin_left = (int)(25 / 25.4 * 30);
    for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++) {
            if (px[r * w + c] < 128)
                dark++;
            if (c < margin_left)
                assert_true(px[r * w + c] > 250);
        }
    assert_true(dark > 0);
    free(px);
}

/* ---- errors ---------------------------------------------------------------------------------- */

static void test_unwritable_path(void **state)
{
    (void)state;
    doc_t d;
    doc_init(&d, "x");
    doc_run(&d, doc_para(&d, DOC_LEFT), 0, "Không ghi được");
    char err[256] = "";
    const char *path = tmp_path("no-such-folder/x.pdf");
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
    const char *conf = tmp_path("fonts.conf");
    FILE *f = fopen(conf, "w");
    assert_non_null(f);
    fprintf(f,
            "<?xml version=\"1.0\"?>\n<!DOCTYPE fontconfig SYSTEM \"fonts.dtd\">\n"
            "<fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir>"
            "<cachedir>%s</cachedir></fontconfig>\n",
            tmpdir);
    assert_int_equal(fclose(f), 0);
    /* The decision printed yesterday, which a failed rewrite must leave alone. */
    const char *pdf = tmp_path("nofont.pdf");
    f = fopen(pdf, "w");
    assert_non_null(f);
    fputs("yesterday's file\n", f);
    assert_int_equal(fclose(f), 0);
    const char *argv[] = {"/proc/self/exe", "--write", pdf, NULL};
    int code;
    char *out = run_with(argv, conf, &code);
    assert_int_equal(code, 1);
    assert_non_null(strstr(out, DOC_FONT_FAMILY));
    assert_non_null(strstr(out, "fonts-liberation2"));
    free(out);
    const char *cat[] = {"/bin/cat", pdf, NULL};
    out = run(cat);
    assert_string_equal(out, "yesterday's file\n");
    free(out);
    assert_int_equal(access(tmp_path("nofont.pdf.part"), F_OK), -1); /* nor half a new one */
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

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    /* To look at the files: TEST_DOC_PDF_KEEP=1 leaves them and says where. */
    if (getenv("TEST_DOC_PDF_KEEP") != NULL) {
        printf("test_doc_pdf: the files are in %s\n", tmpdir);
        return 0;
    }
    DIR *dir = opendir(tmpdir);
    if (dir == NULL)
        return -1;
    for (struct dirent *e; (e = readdir(dir)) != NULL;)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            unlink(tmp_path(e->d_name));
    closedir(dir);
    return rmdir(tmpdir);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write") == 0)
        return write_one(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decision_text_in_order),
        cmocka_unit_test(test_decision_font_embedded),
        cmocka_unit_test(test_decision_header_columns),
        cmocka_unit_test(test_list_header_on_every_page),
        cmocka_unit_test(test_frames_placed),
        cmocka_unit_test(test_page_has_ink_inside_margins),
        cmocka_unit_test(test_unwritable_path),
        cmocka_unit_test(test_missing_font),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
