/*
 * docx_body.c - word/document.xml: the model's sections, paragraphs, tables
 * and page breaks as WordprocessingML.
 *
 * Word checks the order of the children of w:pPr, w:rPr, w:tblPr, w:tcPr and
 * w:sectPr against the schema (ECMA-376 part 1, 17.3 - 17.6) and calls the
 * file damaged when one is out of place; each writer below emits them in that
 * order. Lengths go out in twips (twentieths of a point), text sizes in
 * half-points, line spacing in 240ths of a line.
 */
#include "docx_int.h"

#include <stdio.h>
#include <string.h>

#include "text.h"
#include "xml_escape.h"

long docx_twips(double mm)
{
    double t = mm * 1440.0 / 25.4;
    return t >= 0 ? (long)(t + 0.5) : -(long)(-t + 0.5);
}

/* Points in twentieths or halves, rounded: the units of w:spacing and w:sz. */
static long docx_pt_units(double pt, double per_pt)
{
    double v = pt * per_pt;
    return v >= 0 ? (long)(v + 0.5) : -(long)(-v + 0.5);
}

bool docx_page_numbers(const doc_t *d)
{
    for (size_t s = 0; s < d->nsections; s++)
        if (d->sections[s].page_numbers)
            return true;
    return false;
}

typedef struct docx_body {
    strbuf_t *out;
    bool headers; /* the package has the two headers (docx_page_numbers) */
    char *err;
    size_t errlen;
    int rc; /* -1 once text was refused; err says why */
} docx_body_t;

/* The size and flags of a run (or of a paragraph's mark: flags 0). */
static void docx_rpr(docx_body_t *w, unsigned flags, double size_pt)
{
    bool sized = size_pt > 0 && docx_pt_units(size_pt, 2) != docx_pt_units(DOCX_NORMAL_PT, 2);
    if (flags == 0 && !sized)
        return;
    strbuf_puts(w->out, "<w:rPr>");
    if (flags & DOC_BOLD)
        strbuf_puts(w->out, "<w:b/><w:bCs/>");
    if (flags & DOC_ITALIC)
        strbuf_puts(w->out, "<w:i/><w:iCs/>");
    if (sized) {
        long hp = docx_pt_units(size_pt, 2);
        strbuf_printf(w->out, "<w:sz w:val=\"%ld\"/><w:szCs w:val=\"%ld\"/>", hp, hp);
    }
    if (flags & DOC_UNDERLINE)
        strbuf_puts(w->out, "<w:u w:val=\"single\"/>");
    strbuf_puts(w->out, "</w:rPr>");
}

/*
 * A run's text: "\n" a line break, a tab a tab, and every other control
 * character left out. XML 1.0 has no way to write those, and one of them
 * makes Word refuse the whole file; the model's text should not hold any,
 * but a document is not worth losing over a stray byte.
 */
static void docx_text(docx_body_t *w, const char *s)
{
    static const char controls[] =
        "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
        "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f";
    while (*s != '\0') {
        size_t n = strcspn(s, controls);
        if (n > 0) {
            strbuf_puts(w->out, "<w:t xml:space=\"preserve\">");
            xml_escape_strbuf(w->out, s, n);
            strbuf_puts(w->out, "</w:t>");
        }
        s += n;
        if (*s == '\n')
            strbuf_puts(w->out, "<w:br/>");
        else if (*s == '\t')
            strbuf_puts(w->out, "<w:tab/>");
        if (*s != '\0')
            s++;
    }
}

static void docx_run(docx_body_t *w, const doc_run_t *r, double size_pt)
{
    size_t len = strlen(r->text);
    size_t bad = 0;
    if (len == 0)
        return;
    if (text_utf8_check(r->text, len, &bad) != TD_OK) {
        /* What comes before the bad byte names the text, cut to a whole character. */
        size_t shown = bad < 40 ? bad : 40;
        while (shown > 0 && ((unsigned char)r->text[shown] & 0xC0) == 0x80)
            shown--;
        if (w->rc == 0)
            snprintf(w->err, w->errlen, "the text \"%.*s\" is not valid UTF-8 (byte %zu)",
                     (int)shown, r->text, bad + 1);
        w->rc = -1;
        return;
    }
    strbuf_puts(w->out, "<w:r>");
    docx_rpr(w, r->flags, size_pt);
    docx_text(w, r->text);
    strbuf_puts(w->out, "</w:r>");
}

static void docx_sectpr(docx_body_t *w, const doc_section_t *s)
{
    strbuf_puts(w->out, "<w:sectPr>");
    /*
     * Word carries a section's headers into the next one that names none, so
     * once the package has headers every section names its own: the page
     * number from the second page on (w:titlePg, the first page's header
     * empty), or the empty one throughout.
     */
    if (w->headers && s->page_numbers)
        strbuf_puts(w->out,
                    "<w:headerReference w:type=\"default\" r:id=\"" DOCX_RID_HEADER_NUMBER
                    "\"/><w:headerReference w:type=\"first\" r:id=\"" DOCX_RID_HEADER_EMPTY "\"/>");
    else if (w->headers)
        strbuf_puts(w->out,
                    "<w:headerReference w:type=\"default\" r:id=\"" DOCX_RID_HEADER_EMPTY
                    "\"/><w:headerReference w:type=\"first\" r:id=\"" DOCX_RID_HEADER_EMPTY "\"/>");
    strbuf_printf(w->out, "<w:pgSz w:w=\"%ld\" w:h=\"%ld\"%s/>", docx_twips(s->page_w_mm),
                  docx_twips(s->page_h_mm),
                  s->page_w_mm > s->page_h_mm ? " w:orient=\"landscape\"" : "");
    /* The page number sits in the middle of the top margin, as the PDF puts it. */
    strbuf_printf(w->out,
                  "<w:pgMar w:top=\"%ld\" w:right=\"%ld\" w:bottom=\"%ld\" w:left=\"%ld\" "
                  "w:header=\"%ld\" w:footer=\"%ld\" w:gutter=\"0\"/>",
                  docx_twips(s->margin_top_mm), docx_twips(s->margin_right_mm),
                  docx_twips(s->margin_bottom_mm), docx_twips(s->margin_left_mm),
                  docx_twips(s->margin_top_mm / 2), docx_twips(s->margin_bottom_mm / 2));
    if (w->headers && s->page_numbers)
        strbuf_puts(w->out, "<w:titlePg/>");
    strbuf_puts(w->out, "</w:sectPr>");
}

static const char *const docx_jc[] = {
    [DOC_LEFT] = "left",
    [DOC_CENTER] = "center",
    [DOC_RIGHT] = "right",
    [DOC_JUSTIFY] = "both",
};

/*
 * A paragraph; size_pt is the size its runs take when it names none (the
 * table's or the section's), and sect, when not NULL, the section it ends.
 */
static void docx_para(docx_body_t *w, const doc_para_t *p, double size_pt,
                      const doc_section_t *sect)
{
    double size = p->size_pt > 0 ? p->size_pt : size_pt;
    double line = p->line_spacing > 0 ? p->line_spacing : 1.0;
    const char *jc = (size_t)p->align < THIDUA_ARRAY_LEN(docx_jc) ? docx_jc[p->align] : "left";

    strbuf_puts(w->out, "<w:p><w:pPr>");
    if (p->keep_with_next)
        strbuf_puts(w->out, "<w:keepNext/>");
    long before = docx_pt_units(p->space_before_pt, 20),
         after = docx_pt_units(p->space_after_pt, 20);
    long lines = docx_pt_units(line, 240);
    /* The defaults of styles.xml (none, single) go unsaid: a long list's table is half the size. */
    if (before != 0 || after != 0 || lines != 240)
        strbuf_printf(w->out,
                      "<w:spacing w:before=\"%ld\" w:after=\"%ld\" w:line=\"%ld\" "
                      "w:lineRule=\"auto\"/>",
                      before, after, lines);
    if (p->left_indent_mm != 0 || p->first_indent_mm != 0) {
        long first = docx_twips(p->first_indent_mm);
        strbuf_printf(w->out, "<w:ind w:left=\"%ld\" w:%s=\"%ld\"/>", docx_twips(p->left_indent_mm),
                      first < 0 ? "hanging" : "firstLine", first < 0 ? -first : first);
    }
    strbuf_printf(w->out, "<w:jc w:val=\"%s\"/>", jc);
    docx_rpr(w, 0, size); /* the paragraph mark: an empty line is as high as its text would be */
    if (sect != NULL)
        docx_sectpr(w, sect);
    strbuf_puts(w->out, "</w:pPr>");
    for (size_t i = 0; i < p->nruns; i++)
        docx_run(w, &p->runs[i], size);
    strbuf_puts(w->out, "</w:p>");
}

static void docx_cell(docx_body_t *w, const doc_table_t *t, const doc_cell_t *c, size_t col,
                      size_t span, double size_pt)
{
    double width = 0;
    for (size_t k = col; k < col + span; k++)
        width += t->col_mm[k];
    strbuf_printf(w->out, "<w:tc><w:tcPr><w:tcW w:w=\"%ld\" w:type=\"dxa\"/>", docx_twips(width));
    if (span > 1)
        strbuf_printf(w->out, "<w:gridSpan w:val=\"%zu\"/>", span);
    if (c->shade)
        strbuf_puts(w->out, "<w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"D9D9D9\"/>");
    strbuf_puts(w->out, "</w:tcPr>");
    for (size_t i = 0; i < c->nparas; i++)
        docx_para(w, &c->paras[i], size_pt, NULL);
    if (c->nparas == 0) /* Word calls a cell without a paragraph damaged */
        strbuf_puts(w->out, "<w:p/>");
    strbuf_puts(w->out, "</w:tc>");
}

static void docx_table(docx_body_t *w, const doc_table_t *t, double size_pt)
{
    double size = t->size_pt > 0 ? t->size_pt : size_pt;
    double width = 0;
    for (size_t k = 0; k < t->ncols; k++)
        width += t->col_mm[k];

    strbuf_printf(w->out, "<w:tbl><w:tblPr><w:tblW w:w=\"%ld\" w:type=\"dxa\"/><w:tblBorders>",
                  docx_twips(width));
    static const char *const sides[] = {"top", "left", "bottom", "right", "insideH", "insideV"};
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(sides); i++)
        strbuf_printf(w->out,
                      t->borders
                          ? "<w:%s w:val=\"single\" w:sz=\"4\" w:space=\"0\" "
                            "w:color=\"000000\"/>"
                          : "<w:%s w:val=\"none\" w:sz=\"0\" w:space=\"0\" w:color=\"auto\"/>",
                      sides[i]);
    /* Fixed: the columns keep the widths of the model, as in the PDF, whatever the text. */
    strbuf_puts(w->out, "</w:tblBorders><w:tblLayout w:type=\"fixed\"/></w:tblPr><w:tblGrid>");
    for (size_t k = 0; k < t->ncols; k++)
        strbuf_printf(w->out, "<w:gridCol w:w=\"%ld\"/>", docx_twips(t->col_mm[k]));
    strbuf_puts(w->out, "</w:tblGrid>");

    for (size_t r = 0; r < t->nrows; r++) {
        const doc_cell_t *row = &t->cells[r * t->ncols];
        strbuf_puts(w->out, "<w:tr>");
        if (r < t->header_rows) /* repeated at the top of every page the table crosses */
            strbuf_puts(w->out, "<w:trPr><w:tblHeader/></w:trPr>");
        /*
         * A cell spans span columns; the cells it covers are not written. A
         * covered cell (span 0) no span reaches still takes its column, and a
         * span never reaches past the last column: the grid stays whole.
         */
        for (size_t c = 0; c < t->ncols;) {
            size_t span = row[c].span == 0 ? 1 : row[c].span;
            if (span > t->ncols - c)
                span = t->ncols - c;
            docx_cell(w, t, &row[c], c, span, size);
            c += span;
        }
        strbuf_puts(w->out, "</w:tr>");
    }
    strbuf_puts(w->out, "</w:tbl>");
}

/*
 * A section's blocks; sect is the section they end, NULL for the last one
 * (its w:sectPr is the body's own). A section ends in its last paragraph,
 * which carries the w:sectPr, so that no empty line is added that could push
 * a blank page; after a table, an empty paragraph one point high carries it.
 * A page break right before the end of a section is left out: the next
 * section begins on a new page anyway.
 */
static void docx_section(docx_body_t *w, const doc_section_t *s, const doc_section_t *sect)
{
    size_t n = s->nblocks;
    if (sect != NULL && n > 0 && s->blocks[n - 1]->kind == DOC_BLOCK_PAGE_BREAK)
        n--;
    for (size_t i = 0; i < n; i++) {
        const doc_block_t *b = s->blocks[i];
        const doc_section_t *ends = i + 1 == n ? sect : NULL;
        switch (b->kind) {
        case DOC_BLOCK_PARA:
            docx_para(w, &b->u.para, s->size_pt, ends);
            ends = NULL;
            break;
        case DOC_BLOCK_TABLE:
            docx_table(w, &b->u.table, s->size_pt);
            break;
        case DOC_BLOCK_PAGE_BREAK:
            strbuf_puts(w->out, "<w:p><w:r><w:br w:type=\"page\"/></w:r></w:p>");
            break;
        case DOC_BLOCK_FRAME: /* refused before: doc_write_docx */
            break;
        }
        if (ends != NULL) {
            doc_para_t mark = {.size_pt = 1};
            docx_para(w, &mark, 1, ends);
        }
    }
    if (n == 0) { /* the body, and a section, hold at least one paragraph */
        doc_para_t mark = {.size_pt = 1};
        docx_para(w, &mark, 1, sect);
    }
}

int docx_document_xml(const doc_t *d, strbuf_t *out, char *err, size_t errlen)
{
    docx_body_t w = {.out = out, .headers = docx_page_numbers(d), .err = err, .errlen = errlen};
    strbuf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
                     "<w:document "
                     "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" "
                     "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/"
                     "relationships\"><w:body>");
    for (size_t s = 0; s + 1 < d->nsections; s++)
        docx_section(&w, &d->sections[s], &d->sections[s]);
    if (d->nsections > 0) {
        const doc_section_t *last = &d->sections[d->nsections - 1];
        docx_section(&w, last, NULL);
        docx_sectpr(&w, last);
    } else {
        /* No section: one empty A4 page, as doc_section(d, false) would make it. */
        doc_t empty;
        doc_init(&empty, "");
        const doc_section_t *a4 = doc_section(&empty, false);
        strbuf_puts(out, "<w:p/>");
        if (a4 != NULL)
            docx_sectpr(&w, a4);
        doc_free(&empty);
    }
    strbuf_puts(out, "</w:body></w:document>");
    return w.rc;
}
