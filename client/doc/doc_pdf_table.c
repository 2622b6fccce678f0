/*
 * doc_pdf_table.c - a table of the document on PDF pages (doc_pdf.h): cells
 * of paragraphs in their columns' width, rows as tall as their tallest cell,
 * and rows that do not fit on the page going on to the next one under a
 * repeat of the header rows, so that the last page of a 300-name list still
 * says which column is the name.
 *
 * A row is never split: one taller than a whole page (which no list of
 * names has) is drawn clipped at the page's foot, and the table goes on.
 */
#include "doc_pdf.h"

#include <stdlib.h>

/* Between a cell's edges and its text. */
#define DOC_PDF_PAD_X DOC_PT(1.5)
#define DOC_PDF_PAD_Y DOC_PT(0.8)
#define DOC_PDF_BORDER_PT 0.5
#define DOC_PDF_SHADE 0.85 /* the grey of a shaded cell, 1 being white */

static double doc_pdf_table_size(const doc_pdf_t *w, const doc_table_t *t)
{
    return t->size_pt > 0 ? t->size_pt : w->sec->size_pt;
}

/* Where cell c of a row begins, and how wide it is with its span (clamped to the table). */
static void doc_pdf_cell_box(const doc_pdf_t *w, const doc_table_t *t, size_t c,
                             const doc_cell_t *cell, double *x, double *width)
{
    *x = w->left;
    for (size_t k = 0; k < c; k++)
        *x += DOC_PT(t->col_mm[k]);
    *width = 0;
    for (size_t k = c; k < t->ncols && k < c + cell->span; k++)
        *width += DOC_PT(t->col_mm[k]);
}

/*
 * The cell's paragraphs from y down, drawn when draw is set; returns the
 * height they take with the padding. One function measures and draws, so
 * that the two never disagree.
 */
static double doc_pdf_cell(doc_pdf_t *w, const doc_table_t *t, const doc_cell_t *cell, double x,
                           double width, double y, bool draw)
{
    double h = DOC_PDF_PAD_Y;
    for (size_t i = 0; i < cell->nparas; i++) {
        const doc_para_t *p = &cell->paras[i];
        double indent = DOC_PT(p->left_indent_mm);
        PangoLayout *lay =
            doc_pdf_layout(w, p, width - 2 * DOC_PDF_PAD_X - indent, doc_pdf_table_size(w, t));
        h += p->space_before_pt;
        if (draw) {
            cairo_move_to(w->cr, x + DOC_PDF_PAD_X + indent, y + h);
            pango_cairo_show_layout(w->cr, lay);
        }
        h += doc_pdf_layout_height(lay) + p->space_after_pt;
        g_object_unref(lay);
    }
    return h + DOC_PDF_PAD_Y;
}

/* The grey of row r's shaded cells, y to y + h: under the text and the lines. */
static void doc_pdf_row_shade(doc_pdf_t *w, const doc_table_t *t, size_t r, double y, double h)
{
    const doc_cell_t *row = &t->cells[r * t->ncols];
    cairo_set_source_rgb(w->cr, DOC_PDF_SHADE, DOC_PDF_SHADE, DOC_PDF_SHADE);
    for (size_t c = 0; c < t->ncols; c++) {
        if (row[c].span == 0 || !row[c].shade)
            continue;
        double x, width;
        doc_pdf_cell_box(w, t, c, &row[c], &x, &width);
        cairo_rectangle(w->cr, x, y, width, h);
        cairo_fill(w->cr);
    }
    cairo_set_source_rgb(w->cr, 0, 0, 0);
}

/* Row r's cells at y: measured (h < 0, returns the height) or drawn h tall. */
static double doc_pdf_row(doc_pdf_t *w, const doc_table_t *t, size_t r, double y, double h)
{
    bool draw = h >= 0;
    double tallest = 0;
    const doc_cell_t *row = &t->cells[r * t->ncols];
    if (draw)
        doc_pdf_row_shade(w, t, r, y, h);
    for (size_t c = 0; c < t->ncols; c++) {
        if (row[c].span == 0)
            continue; /* covered by a cell to its left */
        double x, width;
        doc_pdf_cell_box(w, t, c, &row[c], &x, &width);
        double ch = doc_pdf_cell(w, t, &row[c], x, width, y, draw);
        if (draw && t->borders) {
            cairo_set_line_width(w->cr, DOC_PDF_BORDER_PT);
            cairo_rectangle(w->cr, x, y, width, h);
            cairo_stroke(w->cr);
        }
        if (ch > tallest)
            tallest = ch;
    }
    return tallest;
}

/*
 * Row r drawn at w->y, clipped at the page's foot if it is taller than what
 * is left; drawn whole past it when nothing is left (margins that meet), as
 * a paragraph's line would be, rather than not at all.
 */
static void doc_pdf_row_draw(doc_pdf_t *w, const doc_table_t *t, size_t r, double h)
{
    bool clip = w->y + h > w->bottom && w->y < w->bottom;
    if (clip) {
        cairo_save(w->cr);
        cairo_rectangle(w->cr, 0, w->y, DOC_PT(w->sec->page_w_mm), w->bottom - w->y);
        cairo_clip(w->cr);
    }
    doc_pdf_row(w, t, r, w->y, h);
    if (clip)
        cairo_restore(w->cr);
    w->y = clip ? w->bottom : w->y + h;
    w->blank = false;
}

double doc_pdf_table_start(doc_pdf_t *w, const doc_table_t *t)
{
    double h = 0;
    for (size_t r = 0; r < t->nrows && r <= t->header_rows; r++)
        h += doc_pdf_row(w, t, r, 0, -1);
    return h;
}

void doc_pdf_table(doc_pdf_t *w, const doc_table_t *t)
{
    if (t->nrows == 0)
        return;
    double *h = malloc(t->nrows * sizeof(*h));
    if (h == NULL) {
        w->failed = true;
        return;
    }
    for (size_t r = 0; r < t->nrows; r++)
        h[r] = doc_pdf_row(w, t, r, 0, -1);
    size_t nhead = t->header_rows < t->nrows ? t->header_rows : t->nrows;
    double head = 0;
    for (size_t r = 0; r < nhead; r++)
        head += h[r];
    /* A header that takes half a page or more is not repeated: the rows would have no room. */
    bool repeat = head < (w->bottom - w->top) / 2;

    doc_pdf_page(w);
    /* The header with the first row, or both on the next page: a header alone says nothing. */
    double start = head + (nhead < t->nrows ? h[nhead] : 0);
    if (!w->blank && w->y + start > w->bottom)
        doc_pdf_new_page(w);
    for (size_t r = 0; r < nhead; r++)
        doc_pdf_row_draw(w, t, r, h[r]);
    /* Whether a row that does not fit may go to the next page: not if nothing but
     * the header is above it there already, or it would go on forever. */
    bool movable = nhead == 0 ? !w->blank : w->y > w->top + head + 0.001;
    for (size_t r = nhead; r < t->nrows; r++) {
        if (w->y + h[r] > w->bottom && movable) {
            doc_pdf_new_page(w);
            for (size_t k = 0; repeat && k < nhead; k++)
                doc_pdf_row_draw(w, t, k, h[k]);
        }
        doc_pdf_row_draw(w, t, r, h[r]);
        movable = true;
    }
    free(h);
}
