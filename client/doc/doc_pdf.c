/*
 * doc_pdf.c - a document (doc.h) written as PDF: Cairo draws the pages,
 * Pango shapes the text in Liberation Serif, so that Vietnamese letters with
 * two marks (ệ, ở) come out as the font draws them, and Cairo embeds the
 * font so that the file prints the same on any office's machine.
 *
 * The flow: each section begins a page of its own size and margins;
 * paragraphs are laid out by Pango in the text width and placed line by line,
 * so that one that does not fit ends on the next page; tables go to
 * doc_pdf_table.c. Pages open lazily, when something is drawn: a page break
 * that ends a section (the last certificate of a run) leaves no blank page.
 */
#include "doc_pdf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cairo-pdf.h>

/* Where the bytes go, and the first write error (errno) if any. */
typedef struct doc_pdf_file {
    FILE *f;
    int err;
} doc_pdf_file_t;

static cairo_status_t doc_pdf_write(void *closure, const unsigned char *data, unsigned int len)
{
    doc_pdf_file_t *out = closure;
    if (fwrite(data, 1, len, out->f) != len) {
        if (out->err == 0)
            out->err = errno != 0 ? errno : EIO;
        return CAIRO_STATUS_WRITE_ERROR;
    }
    return CAIRO_STATUS_SUCCESS;
}

static double doc_pdf_size(const doc_para_t *p, double size_pt)
{
    return p->size_pt > 0 ? p->size_pt : size_pt;
}

/* A flag's look, over the run's bytes [start, end) of the layout's text. */
static void doc_pdf_attr(PangoAttrList *attrs, PangoAttribute *a, size_t start, size_t end)
{
    a->start_index = (guint)start;
    a->end_index = (guint)end;
    pango_attr_list_insert(attrs, a);
}

/*
 * A "\n" of a run is a line break inside the paragraph (Word's Shift+Enter),
 * not a new paragraph: Pango is given U+2028 LINE SEPARATOR, which breaks the
 * line without starting a paragraph, so the first-line indent stays on the
 * first line only.
 */
#define DOC_PDF_LINE_SEP "\xe2\x80\xa8"

/* Run text into out (NULL: only count); the bytes it takes there. */
static size_t doc_pdf_copy(char *out, const char *text)
{
    size_t n = 0;
    for (; *text; text++) {
        if (*text == '\n') {
            if (out != NULL)
                memcpy(out + n, DOC_PDF_LINE_SEP, sizeof(DOC_PDF_LINE_SEP) - 1);
            n += sizeof(DOC_PDF_LINE_SEP) - 1;
        } else {
            if (out != NULL)
                out[n] = *text;
            n++;
        }
    }
    return n;
}

PangoLayout *doc_pdf_layout(doc_pdf_t *w, const doc_para_t *p, double width, double size_pt)
{
    PangoLayout *lay = pango_layout_new(w->pango);
    size_t len = 0;
    for (size_t i = 0; i < p->nruns; i++)
        len += doc_pdf_copy(NULL, p->runs[i].text);
    char *text = malloc(len + 1);
    if (text == NULL) {
        w->failed = true;
        return lay;
    }
    /* The runs' texts end to end; each run's flags become attributes over its bytes. */
    PangoAttrList *attrs = pango_attr_list_new();
    size_t at = 0;
    for (size_t i = 0; i < p->nruns; i++) {
        const doc_run_t *r = &p->runs[i];
        size_t n = doc_pdf_copy(text + at, r->text);
        if (r->flags & DOC_BOLD)
            doc_pdf_attr(attrs, pango_attr_weight_new(PANGO_WEIGHT_BOLD), at, at + n);
        if (r->flags & DOC_ITALIC)
            doc_pdf_attr(attrs, pango_attr_style_new(PANGO_STYLE_ITALIC), at, at + n);
        if (r->flags & DOC_UNDERLINE)
            doc_pdf_attr(attrs, pango_attr_underline_new(PANGO_UNDERLINE_SINGLE), at, at + n);
        at += n;
    }
    text[at] = '\0';
    pango_layout_set_text(lay, text, (int)at);
    free(text);
    pango_layout_set_attributes(lay, attrs);
    pango_attr_list_unref(attrs);

    PangoFontDescription *font = pango_font_description_new();
    pango_font_description_set_family(font, DOC_FONT_FAMILY);
    /* Absolute: in the surface's units, points, whatever resolution Pango assumes. */
    pango_font_description_set_absolute_size(font, doc_pdf_size(p, size_pt) * PANGO_SCALE);
    pango_layout_set_font_description(lay, font);
    pango_font_description_free(font);

    /* A width of 0 or less would mean "do not wrap" to Pango: a paragraph always wraps. */
    pango_layout_set_width(lay, (int)((width > 1 ? width : 1) * PANGO_SCALE));
    pango_layout_set_wrap(lay, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_indent(lay, (int)(DOC_PT(p->first_indent_mm) * PANGO_SCALE));
    if (p->line_spacing > 0)
        pango_layout_set_line_spacing(lay, (float)p->line_spacing);
    static const PangoAlignment align[] = {
        [DOC_LEFT] = PANGO_ALIGN_LEFT,
        [DOC_CENTER] = PANGO_ALIGN_CENTER,
        [DOC_RIGHT] = PANGO_ALIGN_RIGHT,
        [DOC_JUSTIFY] = PANGO_ALIGN_LEFT,
    };
    pango_layout_set_alignment(lay, (unsigned)p->align <= DOC_JUSTIFY ? align[p->align]
                                                                      : PANGO_ALIGN_LEFT);
    pango_layout_set_justify(lay, p->align == DOC_JUSTIFY);
    return lay;
}

double doc_pdf_layout_height(PangoLayout *lay)
{
    PangoRectangle r;
    pango_layout_get_extents(lay, NULL, &r);
    return (double)r.height / PANGO_SCALE;
}

/* The page number, centred in the top margin (Nghị định 30/2020: from the second page on). */
static void doc_pdf_page_number(doc_pdf_t *w)
{
    char num[16];
    snprintf(num, sizeof(num), "%d", w->page_in_section);
    doc_run_t run = {.text = num, .flags = 0};
    doc_para_t p = {.runs = &run, .nruns = 1, .align = DOC_CENTER};
    PangoLayout *lay = doc_pdf_layout(w, &p, w->width, w->sec->size_pt);
    cairo_move_to(w->cr, w->left, (w->top - doc_pdf_layout_height(lay)) / 2);
    pango_cairo_show_layout(w->cr, lay);
    g_object_unref(lay);
}

void doc_pdf_page(doc_pdf_t *w)
{
    if (w->page_open)
        return;
    /* The size applies to the page about to begin (set before anything is drawn on it). */
    cairo_pdf_surface_set_size(cairo_get_target(w->cr), DOC_PT(w->sec->page_w_mm),
                               DOC_PT(w->sec->page_h_mm));
    w->page_open = true;
    w->blank = true;
    w->y = w->top;
    w->page_in_section++;
    if (w->sec->page_numbers && w->page_in_section >= 2)
        doc_pdf_page_number(w);
}

/* End the page if one is open: the next drawing begins another. */
static void doc_pdf_end_page(doc_pdf_t *w)
{
    if (!w->page_open)
        return;
    cairo_show_page(w->cr);
    w->page_open = false;
}

void doc_pdf_new_page(doc_pdf_t *w)
{
    doc_pdf_page(w);
    doc_pdf_end_page(w);
    doc_pdf_page(w);
}

/* Space before a paragraph, or none at the top of a page: it only parts it from what is above. */
static double doc_pdf_before(const doc_pdf_t *w, const doc_para_t *p)
{
    return w->blank ? 0 : p->space_before_pt;
}

/* A paragraph's whole height in the text width, and that of its first line. */
static void doc_pdf_para_measure(doc_pdf_t *w, const doc_para_t *p, double *whole, double *first)
{
    PangoLayout *lay = doc_pdf_layout(w, p, w->width - DOC_PT(p->left_indent_mm), w->sec->size_pt);
    PangoRectangle r;
    pango_layout_line_get_extents(pango_layout_get_line_readonly(lay, 0), NULL, &r);
    *whole = doc_pdf_layout_height(lay);
    *first = (double)r.height / PANGO_SCALE;
    g_object_unref(lay);
}

/*
 * How much room blocks [i, n) need on this page to keep together: a
 * paragraph with keep_with_next whole, with the start of what follows it
 * (the first line of a paragraph, the header and first row of a table).
 * Summing stops once more than a page: such a run cannot be kept anyway.
 */
static double doc_pdf_keep_height(doc_pdf_t *w, size_t i)
{
    double need = 0, page = w->bottom - w->top;
    for (; i < w->sec->nblocks && need <= page; i++) {
        const doc_block_t *b = w->sec->blocks[i];
        if (b->kind == DOC_BLOCK_TABLE)
            return need + doc_pdf_table_start(w, &b->u.table);
        if (b->kind != DOC_BLOCK_PARA)
            return need;
        const doc_para_t *p = &b->u.para;
        double whole, first;
        doc_pdf_para_measure(w, p, &whole, &first);
        need += p->space_before_pt;
        if (!p->keep_with_next)
            return need + first;
        need += whole + p->space_after_pt;
    }
    return need;
}

/* Paragraph i of the section, at w->y, line by line: the lines that do not fit go on. */
static void doc_pdf_para(doc_pdf_t *w, size_t i)
{
    const doc_para_t *p = &w->sec->blocks[i]->u.para;
    doc_pdf_page(w);
    if (p->keep_with_next && !w->blank) {
        double need = doc_pdf_keep_height(w, i);
        if (w->y + need > w->bottom && need <= w->bottom - w->top)
            doc_pdf_new_page(w);
    }
    w->y += doc_pdf_before(w, p);
    double x = w->left + DOC_PT(p->left_indent_mm);
    PangoLayout *lay = doc_pdf_layout(w, p, w->width - DOC_PT(p->left_indent_mm), w->sec->size_pt);
    PangoLayoutIter *it = pango_layout_get_iter(lay);
    /* The layout's y that lands at origin: 0 on the first page, a line's top on the next. */
    double origin = w->y, skip = 0;
    do {
        PangoRectangle r;
        pango_layout_iter_get_line_extents(it, NULL, &r);
        double top = (double)r.y / PANGO_SCALE, bottom = (double)(r.y + r.height) / PANGO_SCALE;
        /* A line taller than a whole page is drawn all the same, past its foot: never loop. */
        if (origin + bottom - skip > w->bottom && !w->blank) {
            doc_pdf_new_page(w);
            origin = w->y;
            skip = top;
        }
        double baseline = (double)pango_layout_iter_get_baseline(it) / PANGO_SCALE;
        cairo_move_to(w->cr, x + (double)r.x / PANGO_SCALE, origin + baseline - skip);
        pango_cairo_show_layout_line(w->cr, pango_layout_iter_get_line_readonly(it));
        w->y = origin + bottom - skip;
        w->blank = false;
    } while (pango_layout_iter_next_line(it));
    pango_layout_iter_free(it);
    g_object_unref(lay);
    w->y += p->space_after_pt;
}

/* A frame: the paragraph at its place on the current page, outside the flow. */
static void doc_pdf_frame(doc_pdf_t *w, const doc_frame_t *f)
{
    doc_pdf_page(w);
    const doc_para_t *p = &f->para;
    PangoLayout *lay = doc_pdf_layout(w, p, DOC_PT(f->w_mm - p->left_indent_mm), w->sec->size_pt);
    cairo_move_to(w->cr, DOC_PT(f->x_mm + p->left_indent_mm), DOC_PT(f->y_mm));
    pango_cairo_show_layout(w->cr, lay);
    g_object_unref(lay);
}

static void doc_pdf_section(doc_pdf_t *w, const doc_section_t *s)
{
    w->sec = s;
    w->top = DOC_PT(s->margin_top_mm);
    w->bottom = DOC_PT(s->page_h_mm - s->margin_bottom_mm);
    w->left = DOC_PT(s->margin_left_mm);
    w->width = DOC_PT(s->page_w_mm - s->margin_left_mm - s->margin_right_mm);
    w->page_in_section = 0;
    for (size_t i = 0; i < s->nblocks; i++) {
        const doc_block_t *b = s->blocks[i];
        switch (b->kind) {
        case DOC_BLOCK_PARA:
            doc_pdf_para(w, i);
            break;
        case DOC_BLOCK_TABLE:
            doc_pdf_table(w, &b->u.table);
            break;
        case DOC_BLOCK_PAGE_BREAK:
            doc_pdf_page(w); /* two breaks in a row: an empty page between, as in Word */
            doc_pdf_end_page(w);
            break;
        case DOC_BLOCK_FRAME:
            doc_pdf_frame(w, &b->u.frame);
            break;
        }
    }
    /* Every section has a page, if only an empty one. */
    if (w->page_in_section == 0)
        doc_pdf_page(w);
    doc_pdf_end_page(w);
}

/*
 * The font every document is set in must be the one fontconfig gives for
 * its name: otherwise Pango quietly takes another (DejaVu), and a decision
 * comes out in a face and with line breaks no one signed.
 */
static int doc_pdf_font_check(PangoContext *ctx, char *err, size_t errlen)
{
    PangoFontDescription *want = pango_font_description_new();
    pango_font_description_set_family(want, DOC_FONT_FAMILY);
    pango_font_description_set_absolute_size(want, 13 * PANGO_SCALE);
    PangoFont *font = pango_context_load_font(ctx, want);
    pango_font_description_free(want);
    PangoFontDescription *got = font != NULL ? pango_font_describe(font) : NULL;
    const char *family = got != NULL ? pango_font_description_get_family(got) : NULL;
    int rc = 0;
    if (family == NULL || g_ascii_strcasecmp(family, DOC_FONT_FAMILY) != 0) {
        snprintf(err, errlen,
                 "the font %s is not installed (Debian package fonts-liberation2); "
                 "fontconfig offers %s instead",
                 DOC_FONT_FAMILY, family != NULL ? family : "no font at all");
        rc = -1;
    }
    if (got != NULL)
        pango_font_description_free(got);
    if (font != NULL)
        g_object_unref(font);
    return rc;
}

/* A Pango context for the surface: metrics unhinted, glyphs where the font puts them. */
static PangoContext *doc_pdf_context(cairo_t *cr)
{
    PangoContext *ctx = pango_cairo_create_context(cr);
    cairo_font_options_t *opt = cairo_font_options_create();
    cairo_font_options_set_hint_metrics(opt, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(opt, CAIRO_HINT_STYLE_NONE);
    pango_cairo_context_set_font_options(ctx, opt);
    cairo_font_options_destroy(opt);
    pango_context_set_round_glyph_positions(ctx, FALSE);
    return ctx;
}

/* Draw every section on cr; 0, or -1 with err. */
static int doc_pdf_draw(const doc_t *d, cairo_t *cr, char *err, size_t errlen)
{
    doc_pdf_t w = {.cr = cr, .pango = doc_pdf_context(cr)};
    int rc = doc_pdf_font_check(w.pango, err, errlen);
    for (size_t s = 0; rc == 0 && s < d->nsections; s++)
        doc_pdf_section(&w, &d->sections[s]);
    g_object_unref(w.pango);
    if (rc == 0 && w.failed) {
        snprintf(err, errlen, "out of memory while drawing the pages");
        rc = -1;
    }
    return rc;
}

/* The document to the file f (the bytes of path); 0, or -1 with err. Closes f. */
static int doc_pdf_file(const doc_t *d, FILE *f, const char *path, char *err, size_t errlen)
{
    doc_pdf_file_t out = {.f = f};
    /* The first section's size; each page sets its own before it is drawn on. */
    const doc_section_t *first = d->nsections > 0 ? &d->sections[0] : NULL;
    cairo_surface_t *surf = cairo_pdf_surface_create_for_stream(
        doc_pdf_write, &out, DOC_PT(first != NULL ? first->page_w_mm : 210),
        DOC_PT(first != NULL ? first->page_h_mm : 297));
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_TITLE, d->title);
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATOR, "thidua");
    cairo_t *cr = cairo_create(surf);
    int rc = cairo_status(cr) == CAIRO_STATUS_SUCCESS ? doc_pdf_draw(d, cr, err, errlen) : 0;
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    cairo_surface_finish(surf);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(surf);
    cairo_surface_destroy(surf);
    if (fclose(out.f) != 0 && out.err == 0)
        out.err = errno;
    if (rc == 0 && out.err != 0) {
        snprintf(err, errlen, "%s: cannot write the file: %s", path, strerror(out.err));
        rc = -1;
    } else if (rc == 0 && st != CAIRO_STATUS_SUCCESS) {
        snprintf(err, errlen, "%s: cannot draw the document: %s", path, cairo_status_to_string(st));
        rc = -1;
    }
    return rc;
}

/*
 * Written beside path first and renamed over it once whole: a failure (no
 * font, a full disk) leaves the previous file as it was, and never half a
 * PDF, which opens as a broken file.
 */
int doc_write_pdf(const doc_t *d, const char *path, char *err, size_t errlen)
{
    if (doc_failed(d)) {
        snprintf(err, errlen, "the document is incomplete: memory ran out while building it");
        return -1;
    }
    size_t n = strlen(path) + sizeof(".part");
    char *part = malloc(n);
    if (part == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(part, n, "%s.part", path);
    FILE *f = fopen(part, "wb");
    int rc = -1;
    if (f == NULL)
        snprintf(err, errlen, "%s: cannot create the file: %s", path, strerror(errno));
    else if ((rc = doc_pdf_file(d, f, path, err, errlen)) == 0 && rename(part, path) != 0) {
        snprintf(err, errlen, "%s: cannot replace the file: %s", path, strerror(errno));
        rc = -1;
    }
    if (rc != 0 && f != NULL)
        unlink(part);
    free(part);
    return rc;
}
