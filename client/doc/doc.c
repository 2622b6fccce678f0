/*
 * doc.c - building a document (doc.h): sections, paragraphs, tables and
 * frames, each copied into the document that owns it.
 */
#include "doc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Make room for one more element of size `size` in arr (n used, *cap
 * allocated). Returns the array to keep (arr, or where it moved), NULL when
 * out of memory (the document is then marked failed and arr stays valid).
 */
static void *doc_grow(doc_t *d, void *arr, size_t n, size_t *cap, size_t size)
{
    if (d->failed)
        return NULL;
    if (n < *cap)
        return arr;
    size_t want = *cap ? *cap * 2 : 8;
    void *p = realloc(arr, want * size);
    if (p == NULL) {
        d->failed = true;
        return NULL;
    }
    memset((char *)p + *cap * size, 0, (want - *cap) * size);
    *cap = want;
    return p;
}

void doc_init(doc_t *d, const char *title)
{
    memset(d, 0, sizeof(*d));
    d->title = strdup(title != NULL ? title : "");
    d->failed = d->title == NULL;
}

static void doc_para_free(doc_para_t *p)
{
    for (size_t i = 0; i < p->nruns; i++)
        free(p->runs[i].text);
    free(p->runs);
}

static void doc_table_free(doc_table_t *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++) {
        for (size_t k = 0; k < t->cells[i].nparas; k++)
            doc_para_free(&t->cells[i].paras[k]);
        free(t->cells[i].paras);
    }
    free(t->cells);
    free(t->col_mm);
}

void doc_free(doc_t *d)
{
    for (size_t s = 0; s < d->nsections; s++) {
        doc_section_t *sec = &d->sections[s];
        for (size_t i = 0; i < sec->nblocks; i++) {
            doc_block_t *b = sec->blocks[i];
            if (b->kind == DOC_BLOCK_PARA)
                doc_para_free(&b->u.para);
            else if (b->kind == DOC_BLOCK_TABLE)
                doc_table_free(&b->u.table);
            else if (b->kind == DOC_BLOCK_FRAME)
                doc_para_free(&b->u.frame.para);
            free(b);
        }
        free(sec->blocks);
    }
    free(d->sections);
    free(d->title);
    memset(d, 0, sizeof(*d));
}

doc_section_t *doc_section(doc_t *d, bool landscape)
{
    doc_section_t *sections = doc_grow(d, d->sections, d->nsections, &d->cap, sizeof(*sections));
    if (sections == NULL)
        return NULL;
    d->sections = sections;
    doc_section_t *s = &d->sections[d->nsections++];
    if (landscape) {
        s->page_w_mm = 297;
        s->page_h_mm = 210;
        s->margin_top_mm = s->margin_bottom_mm = s->margin_left_mm = s->margin_right_mm = 15;
    } else {
        /* Nghị định 30/2020/NĐ-CP, Phụ lục I: top and bottom 20-25, left 30-35, right 15-20 mm. */
        s->page_w_mm = 210;
        s->page_h_mm = 297;
        s->margin_top_mm = 20;
        s->margin_bottom_mm = 20;
        s->margin_left_mm = 30;
        s->margin_right_mm = 15;
    }
    s->size_pt = 13;
    return s;
}

/* A new block of kind at the end of the last section, zeroed; NULL when failed. */
static doc_block_t *doc_block(doc_t *d, doc_block_kind_t kind)
{
    if (d->nsections == 0 && doc_section(d, false) == NULL)
        return NULL;
    doc_section_t *s = &d->sections[d->nsections - 1];
    doc_block_t **blocks = doc_grow(d, s->blocks, s->nblocks, &s->cap, sizeof(*blocks));
    if (blocks == NULL)
        return NULL;
    s->blocks = blocks;
    doc_block_t *b = calloc(1, sizeof(*b));
    if (b == NULL) {
        d->failed = true;
        return NULL;
    }
    s->blocks[s->nblocks++] = b;
    b->kind = kind;
    return b;
}

doc_para_t *doc_para(doc_t *d, doc_align_t align)
{
    doc_block_t *b = doc_block(d, DOC_BLOCK_PARA);
    if (b == NULL)
        return NULL;
    b->u.para.align = align;
    return &b->u.para;
}

void doc_run(doc_t *d, doc_para_t *p, unsigned flags, const char *text)
{
    doc_run_t *runs = p != NULL ? doc_grow(d, p->runs, p->nruns, &p->cap, sizeof(*runs)) : NULL;
    if (runs == NULL)
        return;
    p->runs = runs;
    char *copy = strdup(text != NULL ? text : "");
    if (copy == NULL) {
        d->failed = true;
        return;
    }
    p->runs[p->nruns].text = copy;
    p->runs[p->nruns].flags = flags;
    p->nruns++;
}

void doc_runf(doc_t *d, doc_para_t *p, unsigned flags, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(buf)) {
        /* Longer than a line of a document has any need to be: keep it whole all the same. */
        char *big = n > 0 ? malloc((size_t)n + 1) : NULL;
        if (big == NULL) {
            d->failed = true;
            return;
        }
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        doc_run(d, p, flags, big);
        free(big);
        return;
    }
    doc_run(d, p, flags, buf);
}

void doc_page_break(doc_t *d)
{
    (void)doc_block(d, DOC_BLOCK_PAGE_BREAK);
}

doc_table_t *doc_table(doc_t *d, size_t ncols, const double *col_mm, bool borders)
{
    doc_block_t *b = doc_block(d, DOC_BLOCK_TABLE);
    if (b == NULL || ncols == 0)
        return NULL;
    doc_table_t *t = &b->u.table;
    t->col_mm = malloc(ncols * sizeof(*t->col_mm));
    if (t->col_mm == NULL) {
        d->failed = true;
        return NULL;
    }
    memcpy(t->col_mm, col_mm, ncols * sizeof(*t->col_mm));
    t->ncols = ncols;
    t->borders = borders;
    return t;
}

doc_cell_t *doc_row(doc_t *d, doc_table_t *t)
{
    if (t == NULL || d->failed)
        return NULL;
    /* cap counts rows; the cells array holds cap x ncols. */
    if (t->nrows == t->cap) {
        size_t want = t->cap ? t->cap * 2 : 16;
        doc_cell_t *p = realloc(t->cells, want * t->ncols * sizeof(*p));
        if (p == NULL) {
            d->failed = true;
            return NULL;
        }
        memset(p + t->cap * t->ncols, 0, (want - t->cap) * t->ncols * sizeof(*p));
        t->cells = p;
        t->cap = want;
    }
    doc_cell_t *row = &t->cells[t->nrows * t->ncols];
    for (size_t i = 0; i < t->ncols; i++)
        row[i].span = 1;
    t->nrows++;
    return row;
}

doc_para_t *doc_cell_para(doc_t *d, doc_cell_t *c, doc_align_t align)
{
    doc_para_t *paras = c != NULL ? doc_grow(d, c->paras, c->nparas, &c->cap, sizeof(*paras)) : NULL;
    if (paras == NULL)
        return NULL;
    c->paras = paras;
    doc_para_t *p = &c->paras[c->nparas++];
    memset(p, 0, sizeof(*p));
    p->align = align;
    return p;
}

doc_para_t *doc_frame(doc_t *d, double x_mm, double y_mm, double w_mm, doc_align_t align)
{
    doc_block_t *b = doc_block(d, DOC_BLOCK_FRAME);
    if (b == NULL)
        return NULL;
    b->u.frame.x_mm = x_mm;
    b->u.frame.y_mm = y_mm;
    b->u.frame.w_mm = w_mm;
    b->u.frame.para.align = align;
    return &b->u.frame.para;
}
