/*
 * doc.h - a printed document as the province and the offices sign it: pages
 * of paragraphs and tables (a decision and its list, a submission) or of
 * text placed at fixed positions (a certificate printed onto a pre-printed
 * blank), built once and written as PDF (doc_pdf.c: Cairo and Pango) or as
 * DOCX (doc_docx.c: Office Open XML in a ZIP archive).
 *
 * The model holds what both formats can say and nothing more: paragraphs of
 * runs (bold, italic, underline), a size in points, alignment, spacing and a
 * first-line indent; tables with column widths, borders or none, header rows
 * repeated on every page; page breaks; sections with their own page size and
 * margins. Text is UTF-8 in NFC, Vietnamese as typed: the writers shape it
 * (Pango; Word), never place diacritics by hand. Lengths are millimetres,
 * sizes points, as Nghị định 30/2020/NĐ-CP writes them.
 *
 * Ownership: a doc_t owns every block, run and string added to it (copied
 * in); doc_free() releases them all. A paragraph or table returned by a
 * builder stays where it is for the document's life; a row's cells and a
 * cell's paragraph only until the next row of that table or the next
 * paragraph of that cell. Builders never fail halfway silently:
 * an allocation failure marks the document (doc_failed) and later calls do
 * nothing, so a builder checks once at the end.
 */
#ifndef THIDUA_CLIENT_DOC_H
#define THIDUA_CLIENT_DOC_H

#include <stdbool.h>
#include <stddef.h>

#include "defs.h"

/* The font every document is set in: Times New Roman's metrics, the Vietnamese letters. */
#define DOC_FONT_FAMILY "Liberation Serif"

typedef enum {
    DOC_LEFT = 0,
    DOC_CENTER,
    DOC_RIGHT,
    DOC_JUSTIFY,
} doc_align_t;

/* Run flags. */
#define DOC_BOLD 0x1u
#define DOC_ITALIC 0x2u
#define DOC_UNDERLINE 0x4u

/* A stretch of text with one look. "\n" inside is a line break within the paragraph. */
typedef struct doc_run {
    char *text;
    unsigned flags;
} doc_run_t;

typedef struct doc_para {
    doc_run_t *runs;
    size_t nruns, cap;
    doc_align_t align;
    double size_pt;         /* 0: the section's default */
    double space_before_pt; /* vertical space above and below */
    double space_after_pt;
    double line_spacing;   /* multiple of single spacing; 0: 1.0 */
    double first_indent_mm; /* the first line's indent (Điều, Căn cứ lines: 12.7 mm) */
    double left_indent_mm;
    bool keep_with_next; /* do not end a page between this paragraph and the next block */
} doc_para_t;

/* A table cell: paragraphs, and how many columns it spans (1 normally; 0: covered by a span). */
typedef struct doc_cell {
    doc_para_t *paras;
    size_t nparas, cap;
    size_t span;
    bool shade; /* a light grey background (a part's heading row) */
} doc_cell_t;

typedef struct doc_table {
    size_t ncols;
    double *col_mm;      /* ncols widths; their sum is the table's width */
    doc_cell_t *cells;   /* nrows x ncols, row by row */
    size_t nrows, cap;   /* rows */
    size_t header_rows;  /* the first rows, repeated at the top of every page the table crosses */
    bool borders;        /* single 0.5 pt lines around every cell; false: none (a layout table) */
    double size_pt;      /* 0: the section's default */
} doc_table_t;

/* Text at a fixed place on the page, for pre-printed blanks: the box's top left corner. */
typedef struct doc_frame {
    double x_mm, y_mm, w_mm;
    doc_para_t para;
} doc_frame_t;

typedef enum {
    DOC_BLOCK_PARA = 0,
    DOC_BLOCK_TABLE,
    DOC_BLOCK_PAGE_BREAK,
    DOC_BLOCK_FRAME, /* placed, not flowed; PDF only (doc_docx refuses a section that has one) */
} doc_block_kind_t;

typedef struct doc_block {
    doc_block_kind_t kind;
    union {
        doc_para_t para;
        doc_table_t table;
        doc_frame_t frame;
    } u;
} doc_block_t;

/* A run of pages with one size and margins. */
typedef struct doc_section {
    double page_w_mm, page_h_mm;     /* A4 portrait: 210 x 297 */
    double margin_top_mm, margin_bottom_mm, margin_left_mm, margin_right_mm;
    double size_pt;                  /* default text size */
    bool page_numbers;               /* the page number centred in the top margin, from page 2 */
    doc_block_t **blocks; /* each allocated on its own: a block's address never changes */
    size_t nblocks, cap;
} doc_section_t;

typedef struct doc {
    char *title; /* the file's metadata title */
    doc_section_t *sections;
    size_t nsections, cap;
    bool failed; /* an allocation failed: the document is incomplete */
} doc_t;

void doc_init(doc_t *d, const char *title);
void doc_free(doc_t *d);
static inline bool doc_failed(const doc_t *d)
{
    return d->failed;
}

/*
 * A new section: A4 portrait with the margins of Nghị định 30/2020 (top 20,
 * bottom 20, left 30, right 15 mm) and 13 pt text, or, with landscape, A4
 * landscape with 15 mm margins all round. Returns it (NULL when failed); its
 * fields may be changed before blocks are added.
 */
doc_section_t *doc_section(doc_t *d, bool landscape);

/* A new paragraph at the end of the last section (NULL when failed), then its runs. */
doc_para_t *doc_para(doc_t *d, doc_align_t align);
void doc_run(doc_t *d, doc_para_t *p, unsigned flags, const char *text);
/* doc_run with printf formatting. */
void doc_runf(doc_t *d, doc_para_t *p, unsigned flags, const char *fmt, ...) THIDUA_PRINTF(4, 5);

/* A page break at the end of the last section. */
void doc_page_break(doc_t *d);

/* A new table of ncols columns with these widths (mm) at the end of the last section. */
doc_table_t *doc_table(doc_t *d, size_t ncols, const double *col_mm, bool borders);
/* A new row; returns its first cell (ncols cells follow), NULL when failed. */
doc_cell_t *doc_row(doc_t *d, doc_table_t *t);
/* A new paragraph in a cell. */
doc_para_t *doc_cell_para(doc_t *d, doc_cell_t *c, doc_align_t align);

/* Text placed at (x, y) mm, w mm wide, on the current page of the last section. */
doc_para_t *doc_frame(doc_t *d, double x_mm, double y_mm, double w_mm, doc_align_t align);

/* ---- the writers (doc_pdf.c, doc_docx.c) ---- */

/*
 * Write d to path (created or replaced). 0, or -1 with a sentence in err
 * naming what failed (the font not found, the file not writable...).
 */
THIDUA_MUSTCHECK int doc_write_pdf(const doc_t *d, const char *path, char *err, size_t errlen);
THIDUA_MUSTCHECK int doc_write_docx(const doc_t *d, const char *path, char *err, size_t errlen);

#endif
