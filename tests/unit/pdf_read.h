/*
 * pdf_read.h - reading the PDF writer's files back in its tests, with the
 * tools a person would use (poppler-utils), and the temporary folder they
 * are written to. Every function fails the running cmocka test on an
 * unexpected answer; strings returned are the caller's to free.
 */
#ifndef THIDUA_TESTS_PDF_READ_H
#define THIDUA_TESTS_PDF_READ_H

#include <stdbool.h>
#include <stddef.h>

#include "doc.h"

#define PT(mm) ((mm)*72.0 / 25.4)

/* The test program's folder, made by pdfr_setup, removed by pdfr_teardown
 * (left, and named, when TEST_DOC_PDF_KEEP is set). cmocka group fixtures. */
extern char pdfr_dir[];
int pdfr_setup(void **state);
int pdfr_teardown(void **state);
/* pdfr_dir/name; the last four stay valid. */
const char *pdfr_path(const char *name);

/* argv[0]'s stdout and exit code; with fc_file, under that fontconfig configuration. */
char *pdfr_run_with(const char *const argv[], const char *fc_file, int *code);
/* argv[0]'s stdout; it must exit 0. */
char *pdfr_run(const char *const argv[]);

/* doc_write_pdf(d, path), which must succeed; d is freed. */
void pdfr_write(doc_t *d, const char *path);
/* pdftotext -layout: pages end with a form feed. */
char *pdfr_text(const char *pdf);
/* pdftotext -bbox: XHTML, a box per word. */
char *pdfr_bbox(const char *pdf);
/* Page n (from 1) of pdfr_text's output, squeezed (pdfr_squeeze). */
char *pdfr_page(const char *text, int n);
/* Page n rendered by pdftoppm -gray at dpi: w x h pixels, 0 black to 255 white, row by row. */
typedef struct pdfr_gray {
    int w, h;
    unsigned char *px; /* the caller's, to free */
} pdfr_gray_t;
pdfr_gray_t pdfr_gray(const char *pdf, int page, int dpi);
/* pdfinfo's page count. */
int pdfr_pages(const char *pdf);

/* s with every run of white space (line ends, a column's gap, form feeds) one space. */
char *pdfr_squeeze(const char *s);
/* How many times needle occurs in hay. */
size_t pdfr_count(const char *hay, const char *needle);
/* Each of want[] in text, each after the one before. */
void pdfr_assert_in_order(const char *text, const char *const want[], size_t n);

/* A word's box on its page, in points from the page's top left corner. */
typedef struct pdfr_box {
    double x0, y0, x1, y1;
    double page_w, page_h;
} pdfr_box_t;
/* The box of the first word exactly `word` on page `page` (from 1) of pdfr_bbox's XHTML. */
bool pdfr_word_box(const char *html, int page, const char *word, pdfr_box_t *b);
/* The first page that has the word, 0 if none. */
int pdfr_word_page(const char *html, const char *word);
/* The box around every word of the page; false if it has none. */
bool pdfr_ink_box(const char *html, int page, pdfr_box_t *b);

#endif
