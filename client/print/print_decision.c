/*
 * print_decision.c - the award decision (quyết định khen thưởng) and the
 * list attached to it (danh sách kèm theo), as Nghị định 30/2020/NĐ-CP,
 * Phụ lục I, lays out an individual decision (print.h).
 *
 * Page 1: the issuing body and "Số:" top left, the national title and the
 * place and date top right (a borderless table of two columns); "QUYẾT
 * ĐỊNH" and the subject; the authority; the "Căn cứ" lines and the
 * proposal; "QUYẾT ĐỊNH:"; the three articles; "Nơi nhận:" beside the
 * signature. Then the list on a new page: a title, a table numbered by STT
 * in parts (collectives, households, individuals), its header repeated on
 * every page.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"

/* The text width of the decree's A4 page: 210 mm less 30 and 15 mm margins. */
#define PRINT_TEXT_MM 165.0

/* The parts of the list, in its order, with their headings. */
static const struct {
    const char *kind;
    const char *heading; /* the part's heading row */
    const char *noun;    /* as Điều 1 counts it */
} print_parts[] = {
    {"collective", "TẬP THỂ", "tập thể"},
    {"household", "HỘ GIA ĐÌNH", "hộ gia đình"},
    {"individual", "CÁ NHÂN", "cá nhân"},
};
static const char *const print_roman[] = {"I", "II", "III"};

/* A paragraph of one run. */
static doc_para_t *print_line(doc_t *d, doc_align_t align, unsigned flags, double size_pt,
                              const char *text)
{
    doc_para_t *p = doc_para(d, align);
    if (p != NULL) {
        p->size_pt = size_pt;
        doc_run(d, p, flags, text);
    }
    return p;
}

/* A paragraph of one run in a cell. */
static doc_para_t *print_cell_line(doc_t *d, doc_cell_t *c, doc_align_t align, unsigned flags,
                                   double size_pt, const char *text)
{
    doc_para_t *p = doc_cell_para(d, c, align);
    if (p != NULL) {
        p->size_pt = size_pt;
        doc_run(d, p, flags, text);
    }
    return p;
}

/* The forms of the decision, each once, in the order of its list. */
static size_t print_forms(const Thidua__V1__DecisionDocumentResponse *r, const char **names,
                          size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_items; i++) {
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++)
            seen = strcmp(names[k], r->items[i]->form_name) == 0;
        if (!seen && n < max)
            names[n++] = r->items[i]->form_name;
    }
    return n;
}

/* "Bằng khen của ... và Cờ thi đua của ..." into out. */
static void print_forms_text(const char *const *names, size_t n, char *out, size_t size)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t k = 0; k < n && o < size; k++) {
        int w = snprintf(out + o, size - o, "%s%s",
                         k == 0       ? ""
                         : k + 1 == n ? " và "
                                      : ", ",
                         names[k]);
        o += w > 0 ? (size_t)w : 0;
    }
}

/* How many awardees of kind the decision has. */
static size_t print_count(const Thidua__V1__DecisionDocumentResponse *r, const char *kind)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_items; i++)
        n += strcmp(r->items[i]->nominee_kind, kind) == 0;
    return n;
}

/* "3 tập thể, 1 hộ gia đình và 9 cá nhân" into out. */
static void print_counts_text(const Thidua__V1__DecisionDocumentResponse *r, char *out, size_t size)
{
    size_t counts[THIDUA_ARRAY_LEN(print_parts)], parts = 0, o = 0, done = 0;
    for (size_t k = 0; k < THIDUA_ARRAY_LEN(print_parts); k++) {
        counts[k] = print_count(r, print_parts[k].kind);
        parts += counts[k] > 0;
    }
    out[0] = '\0';
    for (size_t k = 0; k < THIDUA_ARRAY_LEN(print_parts) && o < size; k++) {
        if (counts[k] == 0)
            continue;
        done++;
        int w = snprintf(out + o, size - o, "%s%zu %s",
                         done == 1       ? ""
                         : done == parts ? " và "
                                         : ", ",
                         counts[k], print_parts[k].noun);
        o += w > 0 ? (size_t)w : 0;
    }
}

/* The body's lines ("ỦY BAN NHÂN DÂN\nTỈNH HẬU GIANG"), each a paragraph of the cell. */
static void print_body_lines(doc_t *d, doc_cell_t *c, const char *text, unsigned flags)
{
    char buf[600];
    snprintf(buf, sizeof(buf), "%s", text);
    for (char *save = NULL, *t = strtok_r(buf, "\n", &save); t != NULL;
         t = strtok_r(NULL, "\n", &save))
        print_cell_line(d, c, DOC_CENTER, flags, 13, t);
}

/* The heading of page 1: the issuer and its number; the national title, place and date. */
static void print_heading(doc_t *d, const Thidua__V1__DecisionDocumentResponse *r)
{
    const Thidua__V1__IssuerSettings *s = r->settings;
    const double cols[2] = {70, PRINT_TEXT_MM - 70};
    doc_table_t *t = doc_table(d, 2, cols, false);
    doc_cell_t *row = doc_row(d, t);
    if (row == NULL)
        return;
    if (s->parent_body[0] != '\0')
        print_body_lines(d, &row[0], s->parent_body, 0);
    print_body_lines(d, &row[0], s->body, DOC_BOLD);
    doc_para_t *p = doc_cell_para(d, &row[0], DOC_CENTER);
    if (p != NULL) {
        p->space_before_pt = 6;
        doc_runf(d, p, 0, "Số: %s", r->decision->number);
    }
    print_cell_line(d, &row[1], DOC_CENTER, DOC_BOLD, 12, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM");
    print_cell_line(d, &row[1], DOC_CENTER, DOC_BOLD | DOC_UNDERLINE, 13,
                    "Độc lập - Tự do - Hạnh phúc");
    char date[PRINT_DATE_LINE_SIZE];
    p = print_cell_line(d, &row[1], DOC_CENTER, DOC_ITALIC, 13,
                        print_date_line(s->place, r->decision->date, date, sizeof(date)));
    if (p != NULL)
        p->space_before_pt = 6;
}

/* One article: "Điều N." in bold, then its text. */
static void print_article(doc_t *d, int n, const char *text)
{
    doc_para_t *p = doc_para(d, DOC_JUSTIFY);
    if (p == NULL)
        return;
    p->first_indent_mm = 12.7;
    p->space_after_pt = 6;
    doc_runf(d, p, DOC_BOLD, "Điều %d. ", n);
    doc_run(d, p, 0, text);
}

/* "Nơi nhận:" with its lines, beside the signature. */
static void print_signature(doc_t *d, const Thidua__V1__IssuerSettings *s, const char *signer,
                            bool recipients)
{
    const double cols[2] = {75, PRINT_TEXT_MM - 75};
    doc_table_t *t = doc_table(d, 2, cols, false);
    doc_cell_t *row = doc_row(d, t);
    if (row == NULL)
        return;
    if (recipients) {
        print_cell_line(d, &row[0], DOC_LEFT, DOC_BOLD | DOC_ITALIC, 12, "Nơi nhận:");
        for (size_t i = 0; i < s->n_recipients; i++) {
            doc_para_t *p = doc_cell_para(d, &row[0], DOC_LEFT);
            if (p != NULL) {
                p->size_pt = 11;
                doc_runf(d, p, 0, "- %s", s->recipients[i]);
            }
        }
    }
    print_signer_t sg;
    print_signer_split(signer, s->signer_title, &sg);
    for (size_t i = 0; i < sg.ntitle; i++)
        print_cell_line(d, &row[1], DOC_CENTER, DOC_BOLD, 13, sg.title[i]);
    /* Room for the signature and the seal. */
    doc_para_t *gap = print_cell_line(d, &row[1], DOC_CENTER, 0, 13, "");
    if (gap != NULL)
        gap->space_after_pt = 60;
    print_cell_line(d, &row[1], DOC_CENTER, DOC_BOLD, 13, sg.name);
}

/* The list attached to the decision. */
static void print_list(doc_t *d, const Thidua__V1__DecisionDocumentResponse *r, const char *forms)
{
    char date[PRINT_DATE_LINE_SIZE];
    doc_page_break(d);
    print_line(d, DOC_CENTER, DOC_BOLD, 14, "DANH SÁCH");
    doc_para_t *p = print_line(d, DOC_CENTER, DOC_BOLD, 13, "");
    if (p != NULL)
        doc_runf(d, p, DOC_BOLD, "Tặng %s", forms);
    p = doc_para(d, DOC_CENTER);
    if (p != NULL) {
        p->space_after_pt = 12;
        doc_runf(d, p, DOC_ITALIC, "(Kèm theo Quyết định số %s %s của Chủ tịch Ủy ban nhân dân %s)",
                 r->decision->number, print_date_line(NULL, r->decision->date, date, sizeof(date)),
                 r->issuer_name);
    }

    const double cols[4] = {14, 62, 58, PRINT_TEXT_MM - 14 - 62 - 58};
    doc_table_t *t = doc_table(d, 4, cols, true);
    if (t == NULL)
        return;
    t->header_rows = 1;
    t->size_pt = 12;
    static const char *const heads[4] = {"STT", "Tên tập thể, cá nhân", "Chức vụ, đơn vị công tác",
                                         "Đơn vị đề nghị"};
    doc_cell_t *row = doc_row(d, t);
    for (size_t k = 0; row != NULL && k < 4; k++)
        print_cell_line(d, &row[k], DOC_CENTER, DOC_BOLD, 12, heads[k]);
    for (size_t part = 0, shown = 0; part < THIDUA_ARRAY_LEN(print_parts); part++) {
        size_t n = print_count(r, print_parts[part].kind);
        if (n == 0)
            continue;
        row = doc_row(d, t);
        if (row == NULL)
            return;
        row[0].span = 4;
        row[1].span = row[2].span = row[3].span = 0;
        row[0].shade = true;
        p = doc_cell_para(d, &row[0], DOC_LEFT);
        if (p != NULL)
            doc_runf(d, p, DOC_BOLD, "%s. %s (%zu)", print_roman[shown], print_parts[part].heading,
                     n);
        shown++;
        size_t no = 0;
        for (size_t i = 0; i < r->n_items; i++) {
            const Thidua__V1__DecisionItem *it = r->items[i];
            if (strcmp(it->nominee_kind, print_parts[part].kind) != 0)
                continue;
            row = doc_row(d, t);
            if (row == NULL)
                return;
            p = doc_cell_para(d, &row[0], DOC_CENTER);
            if (p != NULL)
                doc_runf(d, p, 0, "%zu", ++no);
            print_cell_line(d, &row[1], DOC_LEFT, 0, 12, it->nominee_name);
            /* Position and workplace belong to individuals (records keep none for the others). */
            char job[700] = "";
            if (it->position[0] != '\0' && it->workplace[0] != '\0')
                snprintf(job, sizeof(job), "%s, %s", it->position, it->workplace);
            else
                snprintf(job, sizeof(job), "%s%s", it->position, it->workplace);
            print_cell_line(d, &row[2], DOC_LEFT, 0, 12, job);
            print_cell_line(d, &row[3], DOC_LEFT, 0, 12, it->org_unit_name);
        }
    }
}

int print_decision(const Thidua__V1__DecisionDocumentResponse *r, doc_t *d)
{
    const Thidua__V1__IssuerSettings *s = r->settings;
    const char *names[16];
    char forms[1200], counts[200], text[3000];
    print_forms_text(names, print_forms(r, names, THIDUA_ARRAY_LEN(names)), forms, sizeof(forms));
    print_counts_text(r, counts, sizeof(counts));

    doc_section_t *sec = doc_section(d, false);
    if (sec != NULL)
        sec->page_numbers = true;
    print_heading(d, r);

    doc_para_t *p = print_line(d, DOC_CENTER, DOC_BOLD, 14, "QUYẾT ĐỊNH");
    if (p != NULL)
        p->space_before_pt = 18;
    p = print_line(d, DOC_CENTER, DOC_BOLD, 14, "");
    if (p != NULL) {
        p->space_after_pt = 12;
        doc_runf(d, p, DOC_BOLD, "Về việc tặng %s", forms);
    }
    p = print_line(d, DOC_CENTER, DOC_BOLD, 14, s->authority);
    if (p != NULL)
        p->space_after_pt = 12;
    for (size_t i = 0; i < s->n_basis; i++) {
        p = print_line(d, DOC_JUSTIFY, DOC_ITALIC, 14, s->basis[i]);
        if (p != NULL)
            p->first_indent_mm = 12.7;
    }
    p = print_line(d, DOC_JUSTIFY, DOC_ITALIC, 14, s->proposal);
    if (p != NULL)
        p->first_indent_mm = 12.7;
    p = print_line(d, DOC_CENTER, DOC_BOLD, 14, "QUYẾT ĐỊNH:");
    if (p != NULL) {
        p->space_before_pt = 12;
        p->space_after_pt = 12;
    }
    snprintf(text, sizeof(text),
             "Tặng %s cho %s (có danh sách kèm theo) đã có thành tích xuất sắc trong %s.", forms,
             counts, r->campaign_name);
    print_article(d, 1, text);
    print_article(d, 2, s->article_money);
    print_article(d, 3, s->article_execution);
    print_signature(d, s, r->decision->signer, true);
    print_list(d, r, forms);
    return doc_failed(d) ? -1 : 0;
}
