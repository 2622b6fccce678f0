/*
 * test_print.c - the documents an office signs, through the real binaries
 * against thiduad and PostgreSQL, read back with the readers people's
 * machines have: poppler (pdftotext, pdffonts, pdftoppm, pdfinfo) for the
 * PDF, python3-docx for the DOCX.
 *
 * What the province and the offices rely on: a decision that holds every
 * element of Nghị định 30/2020 in order, every awardee once and the count of
 * Điều 1 equal to its list; the national title on the right and "Số:" on
 * the left; the fonts embedded; a long list whose header repeats on every
 * page; the same decision in Word; one certificate per awardee, its fields
 * where the layout puts them; a submission of exactly the office's
 * submitted nominations; and, after the reform, the new city's name and
 * place.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define SIGNER "KT. CHỦ TỊCH – PHÓ CHỦ TỊCH Nguyễn Văn An"

enum { OK = 0 };

static struct {
    harness_pki_t pki;
    char db[HARNESS_CONNINFO_MAX];
    harness_server_t srv;
    char p93[HARNESS_PATH_MAX];
    char d934[HARNESS_PATH_MAX];
    char d935[HARNESS_PATH_MAX];
} fx;

/* A district office's `thidua init` (harness.h). */
static void office_init(char *config, size_t size, const char *unit)
{
    harness_office_init(config, size, &fx.pki, fx.srv.port, unit);
}

static int group_setup(void **state)
{
    (void)state;
    harness_pki_make(&fx.pki);
    (void)harness_pki_issue(&fx.pki, "92-province", "92", "province", NULL);
    harness_db_create(fx.db, sizeof(fx.db));
    harness_server_start(&fx.srv, &fx.pki, fx.db, NULL);
    char dir[HARNESS_PATH_MAX];
    harness_tmp_mkdir(dir, sizeof(dir), "p93");
    harness_client_config(dir, "93", "province", &fx.pki, fx.srv.port, fx.p93, sizeof(fx.p93));
    office_init(fx.d934, sizeof(fx.d934), "934");
    office_init(fx.d935, sizeof(fx.d935), "935");
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (fx.srv.pid > 0)
        harness_server_stop(&fx.srv, SIGTERM);
    harness_db_drop(fx.db);
    harness_cleanup();
    return 0;
}

/* ---- readers ---- */

/* A program's standard output (fails the test unless it exits 0); the caller frees it. */
static char *read_out(const char *const argv[])
{
    harness_output_t o;
    int rc = harness_run(argv, NULL, &o);
    if (rc != 0)
        fail_msg("%s exited %d: %s", argv[0], rc, o.err);
    char *out = o.out;
    o.out = NULL;
    harness_output_free(&o);
    return out;
}

static char *pdftotext(const char *pdf, const char *mode)
{
    const char *argv[] = {"/usr/bin/pdftotext", mode, pdf, "-", NULL};
    return read_out(argv);
}

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* text with every run of white space (line ends, page ends) as one space: a phrase wrapped
 * across lines reads whole. The caller frees it. */
static char *squash(const char *text)
{
    char *out = malloc(strlen(text) + 1), *o = out;
    assert_non_null(out);
    for (const char *p = text; *p; p++) {
        bool space = *p == ' ' || *p == '\n' || *p == '\f' || *p == '\t' || *p == '\r';
        if (!space)
            *o++ = *p;
        else if (o > out && o[-1] != ' ')
            *o++ = ' ';
    }
    *o = '\0';
    return out;
}

/* Each needle found after the previous one: the document's order (white space squashed). */
static void assert_in_order(const char *raw, const char *const *needles)
{
    char *text = squash(raw);
    const char *at = text;
    for (size_t i = 0; needles[i] != NULL; i++) {
        const char *p = strstr(at, needles[i]);
        if (p == NULL)
            fail_msg("\"%s\" is missing after \"%s\" in:\n%s", needles[i],
                     i ? needles[i - 1] : "(start)", text);
        at = p + strlen(needles[i]);
    }
    free(text);
}

/*
 * The box of the first word of page 1 equal to word (pdftotext -bbox): its
 * xMin, yMin and xMax, and the page width.
 */
static void word_box3(const char *pdf, const char *word, double *xmin, double *ymin, double *xmax,
                      double *width)
{
    char *x = pdftotext(pdf, "-bbox");
    const char *page = strstr(x, "<page width=\"");
    assert_non_null(page);
    *width = strtod(page + strlen("<page width=\""), NULL);
    char needle[200];
    snprintf(needle, sizeof(needle), ">%s</word>", word);
    const char *w = strstr(x, needle);
    if (w == NULL)
        fail_msg("no word %s on the page", word);
    const char *tag = w;
    while (tag > x && strncmp(tag, "<word ", 6) != 0)
        tag--;
    const char *xm = strstr(tag, "xMin=\""), *ym = strstr(tag, "yMin=\""),
               *xM = strstr(tag, "xMax=\"");
    assert_true(xm != NULL && ym != NULL && xM != NULL && xm < w && ym < w && xM < w);
    *xmin = strtod(xm + 6, NULL);
    *ymin = strtod(ym + 6, NULL);
    *xmax = strtod(xM + 6, NULL);
    free(x);
}

static void word_box(const char *pdf, const char *word, double *xmin, double *ymin, double *width)
{
    double xmax;
    word_box3(pdf, word, xmin, ymin, &xmax, width);
}

static int pdf_pages(const char *pdf)
{
    const char *argv[] = {"/usr/bin/pdfinfo", pdf, NULL};
    char *info = read_out(argv);
    const char *p = strstr(info, "Pages:");
    assert_non_null(p);
    int n = atoi(p + strlen("Pages:"));
    free(info);
    return n;
}

/* ---- the data ---- */

/* Import rows into an office, sync it; the ids of the records it made, in order, into ids. */
static void import_sync(const char *office, const char *name, const char *rows)
{
    char path[HARNESS_PATH_MAX];
    harness_tmp_path(path, sizeof(path), "%s", name);
    char *text = malloc(strlen(rows) + 400);
    assert_non_null(text);
    sprintf(text,
            "nominee_kind,nominee_name,birth_date,position,workplace,title,category,"
            "achieved_on,proposed_award\n%s",
            rows);
    harness_write_file(path, text);
    free(text);
    HARNESS_THIDUA(OK, NULL, office, "-q", "import", path);
    HARNESS_THIDUA(OK, NULL, office, "-q", "sync");
}

/* Approve the records of a unit that match a name pattern, in SQL (the province's function). */
static void approve_sql(const char *unit, const char *like)
{
    harness_db_exec(fx.db,
                    "SELECT thidua.decide(p.id, '\\x%064d'::bytea, r.id, r.revision, 'approve', '')"
                    "  FROM thidua.record r JOIN thidua.org_unit u ON u.id = r.org_unit_id"
                    " CROSS JOIN (SELECT id FROM thidua.org_unit WHERE code = '93') p"
                    " WHERE u.code = '%s' AND r.nominee_name LIKE '%s' AND r.status = 'submitted'",
                    0, unit, like);
}

/* The ids of the approved records matching like, one per line, into a file; its path into out. */
static void ids_file(const char *like, char *out, size_t size)
{
    char *ids = calloc(1, 64 * 1024);
    assert_non_null(ids);
    harness_db_text(fx.db, ids, 64 * 1024,
                    "SELECT string_agg(id::text, E'\\n' ORDER BY id) FROM thidua.record"
                    " WHERE status = 'approved' AND nominee_name LIKE '%s'",
                    like);
    harness_tmp_path(out, size, "ids-%d.txt", count_of(ids, "-") + (int)strlen(like));
    harness_write_file(out, ids);
    free(ids);
}

static const char *const decision12_names[] = {
    "Trường Tiểu học Tân Bình",
    "Hội Nông dân xã Hòa An",
    "Hợp tác xã Tân Thành",
    "Nguyễn Văn Ánh",
    "Trần Thị Bảo",
    "Lê Minh Châu",
    "Phạm Thị Dung",
    "Võ Văn Đức",
    "Đặng Thị Giang",
    "Huỳnh Văn Hải",
    "Bùi Thị Khánh",
    "Đỗ Văn Long",
};

static void decision_of_twelve(void **state)
{
    (void)state;
    char rows[8192] = "", *o = rows;
    for (size_t i = 0; i < 12; i++) {
        if (i < 3)
            o +=
                sprintf(o, "collective,%s,,,,Tập thể tiêu biểu %zu,KT_XH,2025-02-10,BK_UBND_TINH\n",
                        decision12_names[i], i);
        else
            o += sprintf(o,
                         "individual,%s,1980-01-%02zu,Chuyên viên %zu,Phòng Nội vụ huyện Phụng "
                         "Hiệp,Cá nhân tiêu biểu %zu,KT_XH,2025-02-10,BK_UBND_TINH\n",
                         decision12_names[i], i + 1, i, i);
    }
    import_sync(fx.d934, "twelve.csv", rows);
    approve_sql("934", "%");
    char ids[HARNESS_PATH_MAX];
    ids_file("%", ids, sizeof(ids));
    HARNESS_THIDUA(OK, NULL, fx.p93, "award", "--from-file", ids, "--form", "BK_UBND_TINH",
                   "--decision", "1520/QĐ-UBND", "--date", "2025-06-25", "--signer", SIGNER);

    char pdf[HARNESS_PATH_MAX], docx[HARNESS_PATH_MAX];
    harness_tmp_path(pdf, sizeof(pdf), "qd1520.pdf");
    harness_tmp_path(docx, sizeof(docx), "qd1520.docx");
    HARNESS_THIDUA(OK, NULL, fx.p93, "print", "decision", "1520/QĐ-UBND", "-o", pdf);
    HARNESS_THIDUA(OK, NULL, fx.p93, "print", "decision", "1520/QĐ-UBND", "-o", docx);

    /* Every element, in the decree's order, and every awardee once. */
    char *text = pdftotext(pdf, "-layout");
    static const char *const head[] = {"ỦY BAN NHÂN DÂN", "TỈNH HẬU GIANG", "Số: 1520/QĐ-UBND",
                                       NULL};
    assert_in_order(text, head);
    static const char *const order[] = {
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Hậu Giang, ngày 25 tháng 6 năm 2025",
        "QUYẾT ĐỊNH",
        "Về việc tặng Bằng khen",
        "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH HẬU GIANG",
        "Căn cứ Luật Tổ chức chính quyền địa phương",
        "Căn cứ Luật Thi đua, khen thưởng",
        "Theo đề nghị của Giám đốc Sở Nội vụ",
        "QUYẾT ĐỊNH:",
        "Điều 1.",
        "3 tập thể và 9 cá nhân",
        "có danh sách kèm theo",
        "Điều 2.",
        "Điều 3.",
        "Nơi nhận:",
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
        "Nguyễn Văn An",
        "DANH SÁCH",
        "STT",
        "I. TẬP THỂ (3)",
        "II. CÁ NHÂN (9)",
        NULL,
    };
    assert_in_order(text, order);
    for (size_t i = 0; i < 12; i++) {
        if (count_of(text, decision12_names[i]) != 1)
            fail_msg("%s appears %d times", decision12_names[i],
                     count_of(text, decision12_names[i]));
    }
    harness_assert_contains(text, "Chuyên viên 5");
    free(text);

    /* The fonts are in the file. */
    const char *fonts[] = {"/usr/bin/pdffonts", pdf, NULL};
    char *f = read_out(fonts);
    harness_assert_contains(f, "LiberationSerif");
    for (char *line = strstr(f, "LiberationSerif"); line != NULL;
         line = strstr(line + 1, "LiberationSerif")) {
        char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        char l[400];
        snprintf(l, sizeof(l), "%.*s", (int)len, line);
        if (strstr(l, " yes ") == NULL)
            fail_msg("a font is not embedded: %s", l);
    }
    free(f);

    /*
     * The national title in the right half of page 1 (its line centred there: at 12 pt bold
     * it is wider than the half), "Số:" in the left half.
     */
    double x, y, w, x2, y2, xend;
    word_box3(pdf, "CỘNG", &x, &y, &xend, &w);
    word_box3(pdf, "NAM", &x2, &y2, &xend, &w);
    assert_true((x + xend) / 2 > w / 2);
    assert_true(x > w * 0.4);
    word_box(pdf, "Số:", &x, &y, &w);
    assert_true(x < w / 2);

    /* A page that is drawn. */
    char ppm[HARNESS_PATH_MAX];
    harness_tmp_path(ppm, sizeof(ppm), "page");
    const char *render[] = {"/usr/bin/pdftoppm", "-r", "20", "-gray", "-f", "1", "-l", "1",
                            "-singlefile",       pdf,  ppm,  NULL};
    free(read_out(render));
    char pgm[HARNESS_PATH_MAX + 8];
    snprintf(pgm, sizeof(pgm), "%s.pgm", ppm);
    char *img = harness_read_file(pgm);
    assert_non_null(img);
    /* P5 header: three lines, then the pixels. */
    char *px = img;
    for (int nl = 0; nl < 3 && px != NULL; nl++)
        px = strchr(px, '\n') + 1;
    size_t dark = 0;
    for (const unsigned char *p = (const unsigned char *)px; *p; p++)
        dark += *p < 128;
    free(img);
    assert_true(dark > 100);

    /* The same decision in Word: the same paragraphs and the list's rows. */
    char script[HARNESS_PATH_MAX];
    harness_tmp_path(script, sizeof(script), "read_docx.py");
    harness_write_file(script,
                       "import sys, docx\n"
                       "d = docx.Document(sys.argv[1])\n"
                       "paras = [p.text for p in d.paragraphs]\n"
                       "cells = [c.text for t in d.tables for r in t.rows for c in r.cells]\n"
                       "print('\\n'.join(paras))\n"
                       "print('TABLES', len(d.tables), 'ROWS', len(d.tables[-1].rows))\n"
                       "print('\\n'.join(cells))\n");
    const char *py[] = {"/usr/bin/python3", script, docx, NULL};
    char *doc = read_out(py);
    static const char *const dorder[] = {"QUYẾT ĐỊNH",
                                         "Về việc tặng Bằng khen",
                                         "QUYẾT ĐỊNH:",
                                         "Điều 1.",
                                         "3 tập thể và 9 cá nhân",
                                         "Điều 2.",
                                         "Điều 3.",
                                         "DANH SÁCH",
                                         NULL};
    assert_in_order(doc, dorder);
    /* header + 2 part rows + 12 awardees. */
    harness_assert_contains(doc, "ROWS 15");
    for (size_t i = 0; i < 12; i++) {
        /* python-docx repeats a spanned cell's text; each name is in one cell only. */
        if (count_of(doc, decision12_names[i]) != 1)
            fail_msg("DOCX: %s appears %d times", decision12_names[i],
                     count_of(doc, decision12_names[i]));
    }
    free(doc);

    /* Certificates: one page per awardee; the name where the layout puts it. */
    char cert[HARNESS_PATH_MAX], cert2[HARNESS_PATH_MAX], layout[HARNESS_PATH_MAX];
    harness_tmp_path(cert, sizeof(cert), "bk1520.pdf");
    HARNESS_THIDUA(OK, NULL, fx.p93, "print", "certificates", "1520/QĐ-UBND", "-o", cert);
    assert_int_equal(pdf_pages(cert), 12);
    text = pdftotext(cert, "-layout");
    for (size_t i = 0; i < 12; i++)
        assert_int_equal(count_of(text, decision12_names[i]), 1);
    harness_assert_contains(text, "BẰNG KHEN");
    free(text);
    double y1, x1;
    word_box(cert, "Trường", &x1, &y1, &w);
    harness_tmp_path(layout, sizeof(layout), "layout.ini");
    harness_write_file(layout, "[name]\ny = 120\nx = 40\nw = 200\nalign = left\n");
    harness_tmp_path(cert2, sizeof(cert2), "bk1520-blank.pdf");
    HARNESS_THIDUA(OK, NULL, fx.p93, "print", "certificates", "1520/QĐ-UBND", "--layout", layout,
                   "-o", cert2);
    word_box(cert2, "Trường", &x2, &y2, &w);
    /* 38 mm lower, at 40 mm from the left edge: 2.83 points a millimetre. */
    assert_true(y2 - y1 > 30 * 2.83 && y2 - y1 < 46 * 2.83);
    assert_true(x2 > 38 * 2.83 && x2 < 44 * 2.83);
}

static void decision_of_three_hundred(void **state)
{
    (void)state;
    size_t cap = 300 * 200;
    char *rows = malloc(cap), *o = rows;
    assert_non_null(rows);
    for (int i = 0; i < 300; i++)
        o += sprintf(o,
                     "individual,Người Thứ %03d,1985-05-05,Giáo viên,Trường Trung học cơ sở "
                     "số %d,Giáo viên dạy giỏi %d,HCM,2025-03-01,BK_UBND_TINH\n",
                     i, i, i);
    import_sync(fx.d935, "three-hundred.csv", rows);
    free(rows);
    approve_sql("935", "Người Thứ %");
    char ids[HARNESS_PATH_MAX];
    ids_file("Người Thứ %", ids, sizeof(ids));
    HARNESS_THIDUA(OK, NULL, fx.p93, "award", "--from-file", ids, "--form", "BK_UBND_TINH",
                   "--decision", "1600/QĐ-UBND", "--date", "2025-06-28", "--signer", SIGNER);
    char pdf[HARNESS_PATH_MAX];
    harness_tmp_path(pdf, sizeof(pdf), "qd1600.pdf");
    HARNESS_THIDUA(OK, NULL, fx.p93, "print", "decision", "1600/QĐ-UBND", "-o", pdf);
    char *text = pdftotext(pdf, "-layout");
    harness_assert_contains(text, "300 cá nhân");
    for (int i = 0; i < 300; i++) {
        char name[64];
        snprintf(name, sizeof(name), "Người Thứ %03d", i);
        assert_int_equal(count_of(text, name), 1);
    }
    /* Every page of the list starts with its header. */
    int pages = 0, with_header = 0;
    const char *list = strstr(text, "DANH SÁCH");
    assert_non_null(list);
    for (const char *p = list; p != NULL && *p; pages++) {
        const char *ff = strchr(p, '\f');
        size_t len = ff ? (size_t)(ff - p) : strlen(p);
        char *page = strndup(p, len);
        if (strstr(page, "Người Thứ") != NULL) {
            with_header += strstr(page, "Tên tập thể, cá nhân") != NULL;
        } else {
            pages--; /* the empty remainder after the last form feed */
        }
        free(page);
        p = ff ? ff + 1 : NULL;
    }
    free(text);
    assert_true(pages >= 5);
    assert_int_equal(with_header, pages);
}

static void submission_of_the_office(void **state)
{
    (void)state;
    char d936[HARNESS_PATH_MAX];
    office_init(d936, sizeof(d936), "936");
    import_sync(d936, "936.csv",
                "individual,Lý Văn Sáu,1979-09-09,Trưởng ấp,Ấp 3 xã Lương Tâm,Vận động hiến đất,"
                "CONG_TRINH,2025-04-01,BK_UBND_TINH\n"
                "collective,Ủy ban nhân dân xã Xà Phiên,,,,Hoàn thành vượt chỉ tiêu,KT_XH,"
                "2025-04-01,BK_UBND_TINH\n"
                "individual,Mai Thị Bảy,1990-02-02,Y sĩ,Trạm y tế xã Lương Nghĩa,Phục vụ nhân dân,"
                "ASXH,2025-04-01,BK_UBND_TINH\n");
    /* The province returns one of them: the submission lists the two still submitted. */
    char id[64];
    harness_db_text(fx.db, id, sizeof(id),
                    "SELECT id FROM thidua.record WHERE nominee_name = 'Mai Thị Bảy'");
    HARNESS_THIDUA(OK, NULL, fx.p93, "review", "show", id);
    HARNESS_THIDUA(OK, NULL, fx.p93, "return", id, "--reason", "Bổ sung hồ sơ");
    HARNESS_THIDUA(OK, NULL, d936, "-q", "sync");
    char pdf[HARNESS_PATH_MAX], docx[HARNESS_PATH_MAX];
    harness_tmp_path(pdf, sizeof(pdf), "ttr936.pdf");
    harness_tmp_path(docx, sizeof(docx), "ttr936.docx");
    HARNESS_THIDUA(OK, NULL, d936, "print", "submission", "-o", pdf);
    HARNESS_THIDUA(OK, NULL, d936, "print", "submission", "-o", docx);
    char *text = pdftotext(pdf, "-layout");
    static const char *const order[] = {"TỜ TRÌNH",
                                        "Về việc đề nghị khen thưởng",
                                        "Kính gửi: UBND tỉnh Hậu Giang",
                                        "1 tập thể và 1 cá nhân",
                                        "DANH SÁCH ĐỀ NGHỊ KHEN THƯỞNG",
                                        NULL};
    assert_in_order(text, order);
    harness_assert_contains(text, "HUYỆN LONG MỸ");
    assert_int_equal(count_of(text, "Lý Văn Sáu"), 1);
    assert_int_equal(count_of(text, "Ủy ban nhân dân xã Xà"), 1); /* wrapped in its cell */
    assert_int_equal(count_of(text, "Mai Thị Bảy"), 0);
    free(text);
}

static void issuer_settings_and_the_reform(void **state)
{
    (void)state;
    harness_output_t o;
    char ini[HARNESS_PATH_MAX], pdf[HARNESS_PATH_MAX];
    /* The province's settings change what a decision prints. */
    harness_tmp_path(ini, sizeof(ini), "issuer93.ini");
    harness_write_file(ini, "[issuer]\nplace = Vị Thanh\n"
                            "recipients = Như Điều 3;\nrecipients = Sở Nội vụ;\n"
                            "recipients = Lưu: VT, NC.\n");
    HARNESS_THIDUA(OK, NULL, fx.p93, "issuers", "set", "93", ini);
    HARNESS_THIDUA(OK, &o, fx.p93, "issuers", "show", "93");
    harness_assert_contains(o.out, "place = Vị Thanh");
    harness_assert_contains(o.out, "recipients = Sở Nội vụ;");
    harness_output_free(&o);
    harness_tmp_path(pdf, sizeof(pdf), "qd1520-vithanh.pdf");
    HARNESS_THIDUA(OK, NULL, fx.p93, "print", "decision", "1520/QĐ-UBND", "-o", pdf);
    char *text = pdftotext(pdf, "-layout");
    harness_assert_contains(text, "Vị Thanh, ngày 25 tháng 6 năm 2025");
    harness_assert_contains(text, "- Sở Nội vụ;");
    free(text);

    /* After the reform, the new city's decision of its congress. */
    char reform[HARNESS_PATH_MAX], p92[HARNESS_PATH_MAX], dir[HARNESS_PATH_MAX];
    snprintf(reform, sizeof(reform), "%s/share/reform/2025-07-01-can-tho.csv",
             getenv("THIDUA_TEST_SRCDIR"));
    HARNESS_THIDUA(OK, NULL, fx.p93, "units", "reorganise", reform);
    harness_tmp_mkdir(dir, sizeof(dir), "p92");
    harness_client_config(dir, "92", "province", &fx.pki, fx.srv.port, p92, sizeof(p92));
    char id[64];
    harness_db_text(fx.db, id, sizeof(id),
                    "SELECT id FROM thidua.record WHERE nominee_name = 'Lý Văn Sáu'");
    HARNESS_THIDUA(OK, NULL, p92, "review", "show", id);
    HARNESS_THIDUA(OK, NULL, p92, "approve", id);
    HARNESS_THIDUA(OK, NULL, p92, "award", id, "--form", "BK_UBND_TINH", "--decision", "15/QĐ-UBND",
                   "--date", "19/09/2025", "--signer", "KT. CHỦ TỊCH – PHÓ CHỦ TỊCH Trần Văn Lâu");
    harness_tmp_path(pdf, sizeof(pdf), "qd15.pdf");
    HARNESS_THIDUA(OK, NULL, p92, "print", "decision", "15/QĐ-UBND", "-o", pdf);
    text = pdftotext(pdf, "-layout");
    harness_assert_contains(text, "THÀNH PHỐ CẦN THƠ");
    harness_assert_contains(text, "Thành phố Cần Thơ");
    harness_assert_contains(text, "Cần Thơ, ngày 19 tháng 9 năm 2025");
    harness_assert_contains(text, "Căn cứ Luật Tổ chức chính quyền địa phương ngày 16 tháng 6");
    assert_null(strstr(text, "HẬU GIANG"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decision_of_twelve),
        cmocka_unit_test(decision_of_three_hundred),
        cmocka_unit_test(submission_of_the_office),
        cmocka_unit_test(issuer_settings_and_the_reform),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
