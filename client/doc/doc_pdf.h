/*
 * doc_pdf.h - what the PDF writer's two files share: the state of the page
 * being drawn (doc_pdf.c: pages, paragraphs, frames) and the tables that
 * flow on it (doc_pdf_table.c). Not part of doc.h: only the writer uses it.
 *
 * Lengths here are points from the page's top left corner, as Cairo's PDF
 * surface measures them; the model's millimetres become points once, at the
 * edge (DOC_PT).
 */
#ifndef THIDUA_CLIENT_DOC_PDF_H
#define THIDUA_CLIENT_DOC_PDF_H

#include <stdbool.h>

#include <cairo.h>
#include <pango/pangocairo.h>

#include "doc.h"

#define DOC_PT(mm) ((mm) * (72.0 / 25.4))

/*
 * The writer's state. cr and pango are owned by doc_write_pdf(), which
 * creates and frees them; sec points into the document being written.
 */
typedef struct doc_pdf {
    cairo_t *cr;
    PangoContext *pango;
    const doc_section_t *sec;
    double top, bottom, left, width; /* the section's text area */
    double y;                        /* where the flow goes on, on the current page */
    bool page_open;                  /* the current page has begun (pages open when drawn on) */
    bool blank;                      /* nothing has flowed on the current page yet */
    int page_in_section;
    bool failed; /* an allocation failed: the file is incomplete */
} doc_pdf_t;

/* Begin a page if none is open: a page break closes one, the next drawing opens the next. */
void doc_pdf_page(doc_pdf_t *w);
/* End the current page and begin the next one. */
void doc_pdf_new_page(doc_pdf_t *w);

/*
 * A layout of paragraph p, width points wide (its left indent already taken
 * off by the caller), in size_pt when p has no size of its own. Never NULL;
 * the caller owns it (g_object_unref).
 */
PangoLayout *doc_pdf_layout(doc_pdf_t *w, const doc_para_t *p, double width, double size_pt);
/* The layout's height in points. */
double doc_pdf_layout_height(PangoLayout *lay);

/* A table flowed from w->y on, its header rows repeated on every page it reaches. */
void doc_pdf_table(doc_pdf_t *w, const doc_table_t *t);
/* The height the start of t needs on a page: its header rows and its first row. */
double doc_pdf_table_start(doc_pdf_t *w, const doc_table_t *t);

#endif
