/*
 * test_doc_docx.c - the DOCX writer (client/doc/doc_docx.c) on a decision as
 * the province signs it, read back by another program: python-docx.
 *
 * What an office relies on when it opens the file in Word: every paragraph
 * and cell says what the model said, diacritics and all, with its bold,
 * italic and underline; "<", "&" and quotes stay text; the list's heading
 * rows repeat on every page; each section keeps its page size, orientation
 * and margins; the archive is sound. And what it must never get: a
 * certificate's placed text in a flowing document, or half a file.
 *
 * The test builds the document, then writes down from the model alone what
 * a reader must find (expect_*), runs a Python script that reads the file
 * with python-docx and prints what it found in the same form, and compares
 * the two line by line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "doc.h"
#include "strbuf.h"

#define PYTHON "/usr/bin/python3"

/* The names of the list: 297 people, each once. */
enum { LIST_PEOPLE = 297, LIST_HEADER_ROWS = 2 };

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_doc_docx-XXXXXX");
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void path_in_tmp(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
}

/* A folder of the test's own, so that it can tell what a write left there. */
static void test_dir(char *buf, size_t len, const char *name)
{
    path_in_tmp(buf, len, name);
    assert_int_equal(mkdir(buf, 0700), 0);
}

/* ---- the document ---- */

static const char escaped_text[] = "<Nơi nhận> & \"x\" 'y'";

static void build_decision(doc_t *d)
{
    doc_init(d, "Quyết định 1520/QĐ-UBND về việc tặng Bằng khen");
    (void)doc_section(d, false);

    /* The heading: who issues it, the number; the national motto. A table without lines. */
    const double head_cols[] = {70, 95};
    doc_table_t *head = doc_table(d, 2, head_cols, false);
    doc_cell_t *c = doc_row(d, head);
    doc_para_t *p = doc_cell_para(d, &c[0], DOC_CENTER);
    doc_run(d, p, 0, "ỦY BAN NHÂN DÂN\nTỈNH HẬU GIANG");
    p = doc_cell_para(d, &c[1], DOC_CENTER);
    doc_run(d, p, DOC_BOLD, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM");
    p = doc_cell_para(d, &c[1], DOC_CENTER);
    doc_run(d, p, DOC_BOLD | DOC_UNDERLINE, "Độc lập - Tự do - Hạnh phúc");
    c = doc_row(d, head);
    p = doc_cell_para(d, &c[0], DOC_CENTER);
    doc_run(d, p, 0, "Số: 1520/QĐ-UBND");
    p = doc_cell_para(d, &c[1], DOC_RIGHT);
    doc_run(d, p, DOC_ITALIC, "Hậu Giang, ngày 15 tháng 9 năm 2025");

    p = doc_para(d, DOC_CENTER);
    p->space_before_pt = 12;
    p->size_pt = 14;
    doc_run(d, p, DOC_BOLD, "QUYẾT ĐỊNH");
    p = doc_para(d, DOC_CENTER);
    doc_run(d, p, DOC_BOLD, "Về việc tặng Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh");
    p = doc_para(d, DOC_JUSTIFY);
    p->first_indent_mm = 12.7;
    p->space_after_pt = 6;
    p->line_spacing = 1.5;
    doc_run(d, p, DOC_ITALIC, "Căn cứ Luật Thi đua, Khen thưởng ngày 15 tháng 6 năm 2022;");
    p = doc_para(d, DOC_JUSTIFY);
    p->first_indent_mm = 12.7;
    p->keep_with_next = true;
    doc_run(d, p, DOC_BOLD, "Điều 1. ");
    doc_run(d, p, 0, "Tặng Bằng khen cho ");
    doc_runf(d, p, DOC_UNDERLINE, "%d cá nhân", LIST_PEOPLE);
    doc_run(d, p, 0, " có danh sách kèm theo.");
    doc_page_break(d);
    p = doc_para(d, DOC_LEFT);
    doc_run(d, p, DOC_BOLD | DOC_ITALIC, escaped_text);

    /* The list, in landscape, numbered from its second page. */
    doc_section_t *s = doc_section(d, true);
    s->page_numbers = true;
    p = doc_para(d, DOC_CENTER);
    doc_run(d, p, DOC_BOLD, "DANH SÁCH CÁ NHÂN ĐƯỢC TẶNG BẰNG KHEN");
    const double list_cols[] = {15, 70, 110, 72};
    doc_table_t *t = doc_table(d, 4, list_cols, true);
    t->header_rows = LIST_HEADER_ROWS;
    t->size_pt = 12;
    static const char *const heads[] = {"STT", "Họ và tên", "Đơn vị công tác", "Hình thức"};
    c = doc_row(d, t);
    for (size_t i = 0; i < 4; i++)
        doc_run(d, doc_cell_para(d, &c[i], DOC_CENTER), DOC_BOLD, heads[i]);
    c = doc_row(d, t);
    for (size_t i = 0; i < 4; i++)
        doc_runf(d, doc_cell_para(d, &c[i], DOC_CENTER), DOC_ITALIC, "(%zu)", i + 1);
    c = doc_row(d, t);
    c[0].span = 4;
    c[0].shade = true;
    c[1].span = c[2].span = c[3].span = 0;
    doc_run(d, doc_cell_para(d, &c[0], DOC_LEFT), DOC_BOLD, "I. Cá nhân");
    for (int i = 1; i <= LIST_PEOPLE; i++) {
        c = doc_row(d, t);
        doc_runf(d, doc_cell_para(d, &c[0], DOC_CENTER), 0, "%d", i);
        doc_runf(d, doc_cell_para(d, &c[1], DOC_LEFT), 0, "Nguyễn Thị Ánh Tuyết %03d", i);
        doc_runf(d, doc_cell_para(d, &c[2], DOC_LEFT), 0, "Trường THCS Vị Thanh, tổ %d", i % 7);
        if (i % 50 != 0) /* and some cells left empty */
            doc_run(d, doc_cell_para(d, &c[3], DOC_LEFT), 0, "Bằng khen");
    }
    assert_false(doc_failed(d));
}

/* ---- what a reader must find, from the model ---- */

/* s with "\", newline and tab written as \\, \n and \t: one line whatever the text. */
static void dump_text(strbuf_t *sb, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '\\')
            strbuf_puts(sb, "\\\\");
        else if (*s == '\n')
            strbuf_puts(sb, "\\n");
        else if (*s == '\t')
            strbuf_puts(sb, "\\t");
        else
            strbuf_putc(sb, *s);
    }
}

static const char *const align_name[] = {"left", "center", "right", "justify"};

static void expect_para(strbuf_t *sb, const doc_para_t *p, double size_pt)
{
    double size = p->size_pt > 0 ? p->size_pt : size_pt;
    strbuf_printf(sb, "P\t%s\t%.1f\t%.1f\t%.2f\t%.1f\t%d\t", align_name[p->align],
                  p->space_before_pt, p->space_after_pt,
                  p->line_spacing > 0 ? p->line_spacing : 1.0, p->first_indent_mm,
                  p->keep_with_next);
    for (size_t i = 0; i < p->nruns; i++)
        dump_text(sb, p->runs[i].text);
    strbuf_putc(sb, '\n');
    for (size_t i = 0; i < p->nruns; i++) {
        unsigned f = p->runs[i].flags;
        strbuf_printf(sb, "R\t%d%d%d\t%.1f\t", !!(f & DOC_BOLD), !!(f & DOC_ITALIC),
                      !!(f & DOC_UNDERLINE), size);
        dump_text(sb, p->runs[i].text);
        strbuf_putc(sb, '\n');
    }
}

static void expect_table(strbuf_t *sb, const doc_table_t *t, double size_pt)
{
    double size = t->size_pt > 0 ? t->size_pt : size_pt;
    strbuf_printf(sb, "T\t%zu\t%zu\t%d\n", t->nrows, t->ncols, t->borders);
    for (size_t r = 0; r < t->nrows; r++) {
        strbuf_printf(sb, "ROW\t%d\n", r < t->header_rows);
        const doc_cell_t *row = &t->cells[r * t->ncols];
        for (size_t i = 0; i < t->ncols; i++) {
            if (row[i].span == 0)
                continue;
            strbuf_printf(sb, "C\t%zu\t%d\n", row[i].span, row[i].shade);
            for (size_t k = 0; k < row[i].nparas; k++)
                expect_para(sb, &row[i].paras[k], size);
            if (row[i].nparas == 0) { /* Word wants a paragraph in every cell: an empty one */
                const doc_para_t empty = {.align = DOC_LEFT};
                expect_para(sb, &empty, size);
            }
        }
    }
}

static void expect_body(strbuf_t *sb, const doc_t *d)
{
    for (size_t s = 0; s < d->nsections; s++) {
        const doc_section_t *sec = &d->sections[s];
        for (size_t i = 0; i < sec->nblocks; i++) {
            const doc_block_t *b = sec->blocks[i];
            if (b->kind == DOC_BLOCK_PARA)
                expect_para(sb, &b->u.para, sec->size_pt);
            else if (b->kind == DOC_BLOCK_TABLE)
                expect_table(sb, &b->u.table, sec->size_pt);
            else if (b->kind == DOC_BLOCK_PAGE_BREAK)
                strbuf_puts(sb, "BREAK\n");
        }
        if (s + 1 < d->nsections)
            strbuf_puts(sb, "SECT\n");
    }
}

/* ---- what python-docx finds ---- */

/*
 * Prints the body in the form of expect_body, then the sections, the
 * headers, the title and the archive's parts. The sizes of runs without one
 * are the document's default (w:docDefaults), as Word shows them.
 */
static const char reader_py[] =
    "import sys, zipfile\n"
    "import xml.etree.ElementTree as ET\n"
    "import docx\n"
    "from docx.enum.text import WD_ALIGN_PARAGRAPH as A\n"
    "from docx.enum.section import WD_ORIENT\n"
    "from docx.oxml.ns import qn\n"
    "from docx.table import Table, _Cell\n"
    "from docx.text.paragraph import Paragraph\n"
    "path = sys.argv[1]\n"
    "z = zipfile.ZipFile(path)\n"
    "bad = z.testzip()\n"
    "d = docx.Document(path)\n"
    "sz = d.styles.element.xpath('w:docDefaults/w:rPrDefault/w:rPr/w:sz/@w:val')\n"
    "default_pt = int(sz[0]) / 2 if sz else 10.0\n"
    "def esc(s):\n"
    "    return s.replace('\\\\', '\\\\\\\\').replace('\\n', '\\\\n').replace('\\t', '\\\\t')\n"
    "align = {None: 'left', A.LEFT: 'left', A.CENTER: 'center', A.RIGHT: 'right',\n"
    "         A.JUSTIFY: 'justify'}\n"
    "def pt(v):\n"
    "    return v.pt if v is not None else 0.0\n"
    "def flag(v):\n"
    "    return '1' if v is True else ('0' if not v else '?')\n"
    "def para(el, parent):\n"
    "    p = Paragraph(el, parent)\n"
    "    if el.xpath('.//w:br[@w:type=\"page\"]'):\n"
    "        print('BREAK')\n"
    "        return\n"
    "    sect = el.pPr is not None and el.pPr.sectPr is not None\n"
    "    if not (sect and not p.runs):\n"
    "        f = p.paragraph_format\n"
    "        ls = f.line_spacing if f.line_spacing is not None else 1.0\n"
    "        fi = f.first_line_indent.mm if f.first_line_indent is not None else 0.0\n"
    "        print('P\\t%s\\t%.1f\\t%.1f\\t%.2f\\t%.1f\\t%d\\t%s' % (align[p.alignment],\n"
    "              pt(f.space_before), pt(f.space_after), ls, fi, 1 if f.keep_with_next else 0,\n"
    "              esc(p.text)))\n"
    "        for r in p.runs:\n"
    "            size = r.font.size.pt if r.font.size is not None else default_pt\n"
    "            flags = flag(r.bold) + flag(r.italic) + flag(r.underline)\n"
    "            print('R\\t%s\\t%.1f\\t%s' % (flags, size, esc(r.text)))\n"
    "    if sect:\n"
    "        print('SECT')\n"
    "def table(el, parent):\n"
    "    t = Table(el, parent)\n"
    "    borders = el.xpath('w:tblPr/w:tblBorders/w:top/@w:val')\n"
    "    print('T\\t%d\\t%d\\t%d' % (len(t.rows), len(t.columns),\n"
    "          1 if borders and borders[0] == 'single' else 0))\n"
    "    for row in t.rows:\n"
    "        tr = row._tr\n"
    "        print('ROW\\t%d' % (1 if tr.xpath('w:trPr/w:tblHeader') else 0))\n"
    "        for tc in tr.tc_lst:\n"
    "            shd = tc.xpath('w:tcPr/w:shd/@w:fill')\n"
    "            print('C\\t%d\\t%d' % (tc.grid_span, 1 if shd and shd[0] == 'D9D9D9' else 0))\n"
    "            for pel in tc.xpath('w:p'):\n"
    "                para(pel, _Cell(tc, t))\n"
    "for el in d.element.body.iterchildren():\n"
    "    if el.tag == qn('w:p'):\n"
    "        para(el, d)\n"
    "    elif el.tag == qn('w:tbl'):\n"
    "        table(el, d)\n"
    "for s in d.sections:\n"
    "    print('S\\t%d\\t%d\\t%d\\t%d\\t%d\\t%d\\t%d' % (s.page_width, s.page_height,\n"
    "          1 if s.orientation == WD_ORIENT.LANDSCAPE else 0, s.top_margin, s.bottom_margin,\n"
    "          s.left_margin, s.right_margin))\n"
    "    h = s.header\n"
    "    numbered = not h.is_linked_to_previous and any('PAGE' in x for x in\n"
    "               h._element.xpath('.//w:fldSimple/@w:instr'))\n"
    "    print('HDR\\t%d\\t%d' % (1 if numbered else 0, 1 if s.different_first_page_header_footer\n"
    "          and not ''.join(p.text for p in s.first_page_header.paragraphs) else 0))\n"
    "print('TITLE\\t%s' % esc(d.core_properties.title or ''))\n"
    "for n in z.namelist():\n"
    "    try:\n"
    "        ET.fromstring(z.read(n))\n"
    "        print('PART\\t%s\\tok' % n)\n"
    "    except ET.ParseError as e:\n"
    "        print('PART\\t%s\\t%s' % (n, e))\n"
    "print('ZIP\\t%s' % ('ok' if bad is None else bad))\n";

/* What the reader prints about path, whole; fails the test when it cannot read it. */
static void read_back(const char *path, strbuf_t *out)
{
    char script[512], cmd[1200];
    path_in_tmp(script, sizeof(script), "reader.py");
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(reader_py, 1, sizeof(reader_py) - 1, f), sizeof(reader_py) - 1);
    assert_int_equal(fclose(f), 0);
    snprintf(cmd, sizeof(cmd), PYTHON " '%s' '%s'", script, path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
        strbuf_append(out, buf, n);
    int status = pclose(p);
    if (status != 0)
        fail_msg("python-docx could not read %s (status %d); it printed:\n%s", path, status,
                 strbuf_str(out));
    assert_false(strbuf_failed(out));
}

/* The next line of *s (its end NUL-terminated in place), or NULL at the end. */
static char *next_line(char **s)
{
    if (*s == NULL || **s == '\0')
        return NULL;
    char *line = *s;
    char *nl = strchr(line, '\n');
    if (nl != NULL) {
        *nl = '\0';
        *s = nl + 1;
    } else {
        *s = NULL;
    }
    return line;
}

static bool starts(const char *line, const char *prefix)
{
    return strncmp(line, prefix, strlen(prefix)) == 0;
}

/* A length read back in EMU (914400 an inch) is the model's mm to the nearest twip. */
static void assert_emu_mm(long emu, double mm)
{
    double want = mm * 36000.0;
    if (emu < want - 635 || emu > want + 635)
        fail_msg("%ld EMU is not %.1f mm (%.0f EMU)", emu, mm, want);
}

static void check_section(const char *line, const doc_section_t *s)
{
    long w, h, orient, top, bottom, left, right;
    assert_int_equal(sscanf(line, "S\t%ld\t%ld\t%ld\t%ld\t%ld\t%ld\t%ld", &w, &h, &orient, &top,
                            &bottom, &left, &right),
                     7);
    assert_emu_mm(w, s->page_w_mm);
    assert_emu_mm(h, s->page_h_mm);
    assert_int_equal(orient, s->page_w_mm > s->page_h_mm);
    assert_emu_mm(top, s->margin_top_mm);
    assert_emu_mm(bottom, s->margin_bottom_mm);
    assert_emu_mm(left, s->margin_left_mm);
    assert_emu_mm(right, s->margin_right_mm);
}

/* ---- the tests ---- */

/* The parts a package needs for Word to open it, whatever the document. */
static const char *const required_parts[] = {
    "[Content_Types].xml", "_rels/.rels",       "word/document.xml", "word/_rels/document.xml.rels",
    "word/styles.xml",     "word/settings.xml", "docProps/core.xml", "docProps/app.xml",
};

/*
 * d written to name in the temporary folder and read back: its body line by
 * line against the model, its sections, headers, title, parts and archive.
 * The body's lines as read are appended to body, for the caller's own checks.
 */
static void write_and_check(const doc_t *d, const char *name, strbuf_t *body)
{
    char path[512], err[256] = "";
    path_in_tmp(path, sizeof(path), name);
    if (doc_write_docx(d, path, err, sizeof(err)) != 0)
        fail_msg("doc_write_docx: %s", err);

    strbuf_t want, got;
    strbuf_init(&want);
    strbuf_init(&got);
    expect_body(&want, d);
    assert_false(strbuf_failed(&want));
    read_back(path, &got);

    char *w = want.data, *g = got.data;
    size_t lineno = 0, sections = 0, parts = 0;
    bool zip_ok = false, title_ok = false;
    for (char *wl; (wl = next_line(&w)) != NULL;) {
        char *gl = next_line(&g);
        lineno++;
        if (gl == NULL)
            fail_msg("the document ends before line %zu: %s", lineno, wl);
        if (strcmp(wl, gl) != 0)
            fail_msg("line %zu of the body:\n  the model: %s\n  read back: %s", lineno, wl, gl);
        strbuf_printf(body, "%s\n", gl);
    }
    for (char *gl; (gl = next_line(&g)) != NULL;) {
        if (starts(gl, "S\t")) {
            assert_true(sections < d->nsections);
            check_section(gl, &d->sections[sections]);
        } else if (starts(gl, "HDR\t")) {
            /* numbered from the second page: a PAGE field, the first page's header empty */
            char want_hdr[16];
            int numbered = d->sections[sections].page_numbers;
            snprintf(want_hdr, sizeof(want_hdr), "HDR\t%d\t%d", numbered, numbered);
            assert_string_equal(gl, want_hdr);
            sections++;
        } else if (starts(gl, "TITLE\t")) {
            assert_string_equal(gl + strlen("TITLE\t"), d->title);
            title_ok = true;
        } else if (starts(gl, "PART\t")) {
            if (strcmp(gl + strlen(gl) - 3, "\tok") != 0)
                fail_msg("a part is not well-formed XML: %s", gl);
            for (size_t i = 0; i < THIDUA_ARRAY_LEN(required_parts); i++)
                if (strncmp(gl + 5, required_parts[i], strlen(required_parts[i])) == 0 &&
                    gl[5 + strlen(required_parts[i])] == '\t')
                    parts++;
        } else if (starts(gl, "ZIP\t")) {
            assert_string_equal(gl, "ZIP\tok");
            zip_ok = true;
        } else {
            fail_msg("after the body, the document has more: %s", gl);
        }
    }
    assert_int_equal(sections, d->nsections);
    assert_int_equal(parts, THIDUA_ARRAY_LEN(required_parts));
    assert_true(title_ok);
    assert_true(zip_ok);
    assert_false(strbuf_failed(body));
    strbuf_free(&want);
    strbuf_free(&got);
}

static void decision_reads_back_as_built(void **state)
{
    (void)state;
    doc_t d;
    build_decision(&d);
    strbuf_t body;
    strbuf_init(&body);
    write_and_check(&d, "quyet-dinh-1520.docx", &body);

    /* Every name once, in cells; the text to escape whole. */
    size_t names = 0;
    bool escaped = false;
    char *b = body.data;
    for (char *line; (line = next_line(&b)) != NULL;) {
        names += starts(line, "P\t") && strstr(line, "\tNguyễn Thị Ánh Tuyết ") != NULL;
        escaped |= starts(line, "P\t") && strstr(line, escaped_text) != NULL;
    }
    assert_int_equal(names, LIST_PEOPLE);
    assert_true(escaped);
    strbuf_free(&body);
    doc_free(&d);
}

/*
 * A section that ends in a table (its w:sectPr needs a paragraph after it),
 * a title to escape, and a document with nothing in it at all.
 */
static void sections_end_in_tables_and_nothing(void **state)
{
    (void)state;
    doc_t d;
    doc_init(&d, "Báo cáo & tổng hợp");
    doc_section_t *s = doc_section(&d, false);
    s->margin_left_mm = 35;
    const double cols[] = {80, 80};
    doc_table_t *t = doc_table(&d, 2, cols, true);
    doc_cell_t *c = doc_row(&d, t);
    doc_run(&d, doc_cell_para(&d, &c[0], DOC_LEFT), 0, "Đơn vị");
    doc_run(&d, doc_cell_para(&d, &c[1], DOC_RIGHT), DOC_BOLD, "Số lượng");
    (void)doc_section(&d, true);
    doc_run(&d, doc_para(&d, DOC_CENTER), DOC_ITALIC, "Phụ lục");
    assert_false(doc_failed(&d));
    strbuf_t body;
    strbuf_init(&body);
    write_and_check(&d, "bao-cao.docx", &body);
    strbuf_free(&body);
    doc_free(&d);

    /* Nothing: one A4 page with the margins of a new section. */
    doc_t empty, a4;
    doc_init(&empty, "");
    doc_init(&a4, "");
    (void)doc_section(&a4, false);
    char path[512], err[256] = "";
    path_in_tmp(path, sizeof(path), "trong.docx");
    assert_int_equal(doc_write_docx(&empty, path, err, sizeof(err)), 0);
    strbuf_t got;
    strbuf_init(&got);
    read_back(path, &got);
    char *g = got.data;
    size_t sections = 0;
    for (char *line; (line = next_line(&g)) != NULL;)
        if (starts(line, "S\t")) {
            check_section(line, &a4.sections[0]);
            sections++;
        }
    assert_int_equal(sections, 1);
    strbuf_free(&got);
    doc_free(&a4);
    doc_free(&empty);
}

/* Only the file in dir: no temporary file stays beside it. */
static void assert_dir_holds_only(const char *dir, const char *name)
{
    char cmd[600], out[256] = "";
    snprintf(cmd, sizeof(cmd), "ls -A '%s'", dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    pclose(p);
    char want[128];
    snprintf(want, sizeof(want), "%s\n", name);
    assert_string_equal(out, want);
}

static void certificate_is_refused_and_file_kept(void **state)
{
    (void)state;
    char dir[512], path[600], err[256] = "";
    test_dir(dir, sizeof(dir), "certificate");
    snprintf(path, sizeof(path), "%s/giay-khen.docx", dir);

    /* A good file first: the refused write must leave it as it is. */
    doc_t good;
    doc_init(&good, "Giấy khen");
    doc_run(&good, doc_para(&good, DOC_CENTER), DOC_BOLD, "GIẤY KHEN");
    assert_int_equal(doc_write_docx(&good, path, err, sizeof(err)), 0);
    doc_free(&good);
    struct stat before, after;
    assert_int_equal(stat(path, &before), 0);

    doc_t cert;
    doc_init(&cert, "Giấy khen");
    doc_run(&cert, doc_para(&cert, DOC_CENTER), 0, "trang bìa");
    (void)doc_section(&cert, false);
    doc_run(&cert, doc_frame(&cert, 40, 120, 130, DOC_CENTER), DOC_BOLD, "Nguyễn Văn An");
    assert_false(doc_failed(&cert));
    assert_int_equal(doc_write_docx(&cert, path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "certificates are printed as PDF"));
    assert_non_null(strstr(err, "section 2"));
    doc_free(&cert);

    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(after.st_size, before.st_size);
    assert_int_equal(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
    assert_int_equal(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
    assert_dir_holds_only(dir, "giay-khen.docx");
    assert_int_equal(unlink(path), 0);
}

static void failures_name_the_file_and_leave_nothing(void **state)
{
    (void)state;
    char dir[512], path[600], err[256] = "";
    test_dir(dir, sizeof(dir), "failures");
    doc_t d;
    doc_init(&d, "Tờ trình");
    doc_run(&d, doc_para(&d, DOC_LEFT), 0, "Kính gửi: Ủy ban nhân dân tỉnh");

    /* A folder that does not exist. */
    snprintf(path, sizeof(path), "%s/khong-co/to-trinh.docx", dir);
    assert_int_equal(doc_write_docx(&d, path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, path));

    /* Text that is not UTF-8 (a byte of a legacy encoding) would make Word refuse the file. */
    snprintf(path, sizeof(path), "%s/to-trinh.docx", dir);
    doc_run(&d, doc_para(&d, DOC_LEFT), 0, "Ph\xf2ng");
    err[0] = '\0';
    assert_int_equal(doc_write_docx(&d, path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "UTF-8"));
    assert_non_null(strstr(err, "\"Ph\"")); /* the text it is in, up to the bad byte */
    assert_int_equal(access(path, F_OK), -1);
    doc_free(&d);

    /* Replacing a file that is there, with nothing left beside it. */
    doc_init(&d, "Tờ trình");
    doc_run(&d, doc_para(&d, DOC_LEFT), 0, "Kính gửi: Ủy ban nhân dân tỉnh");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("not a document", f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(doc_write_docx(&d, path, err, sizeof(err)), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size > 1000);
    assert_dir_holds_only(dir, "to-trinh.docx");
    assert_int_equal(unlink(path), 0);
    doc_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decision_reads_back_as_built),
        cmocka_unit_test(sections_end_in_tables_and_nothing),
        cmocka_unit_test(certificate_is_refused_and_file_kept),
        cmocka_unit_test(failures_name_the_file_and_leave_nothing),
    };
    return cmocka_run_group_tests_name("doc_docx", tests, setup, teardown);
}
