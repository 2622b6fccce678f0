/*
 * print_submission.c - a district's submission (tờ trình đề nghị khen
 * thưởng) with the list of the nominations it proposes, ready to sign and
 * scan (print.h). Made offline from the office's store and the campaign of
 * its last Welcome: the number is left blank for the office's registry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "print.h"
#include "text.h"

#define PRINT_TEXT_MM 165.0

static doc_para_t *sub_line(doc_t *d, doc_align_t align, unsigned flags, const char *text)
{
    doc_para_t *p = doc_para(d, align);
    if (p != NULL)
        doc_run(d, p, flags, text);
    return p;
}

static doc_para_t *sub_cell(doc_t *d, doc_cell_t *c, doc_align_t align, unsigned flags,
                            const char *text)
{
    doc_para_t *p = doc_cell_para(d, c, align);
    if (p != NULL) {
        p->size_pt = 12;
        doc_run(d, p, flags, text);
    }
    return p;
}

/* "Huyện Phụng Hiệp" -> "Phụng Hiệp": the place of the date line. */
static const char *sub_place(const char *name)
{
    static const char *const prefixes[] = {"Tỉnh ", "Thành phố ", "Huyện ",  "Thị xã ",
                                           "Quận ", "Xã ",        "Phường ", "Thị trấn "};
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(prefixes); i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(name, prefixes[i], n) == 0)
            return name + n;
    }
    return name;
}

int print_submission(const Thidua__V1__Welcome *w, const store_record_t *const *recs, size_t n,
                     const char *today, doc_t *d)
{
    const char *unit = w->org_unit_name;
    const char *campaign = w->campaign != NULL ? w->campaign->name : "";
    const char *organiser = w->campaign != NULL ? w->campaign->organiser : "";
    char *upper = NULL, date[PRINT_DATE_LINE_SIZE], text[3000];
    if (text_upper(unit, strlen(unit), &upper) != TD_OK)
        upper = NULL;

    (void)doc_section(d, false);
    const double cols[2] = {70, PRINT_TEXT_MM - 70};
    doc_table_t *t = doc_table(d, 2, cols, false);
    doc_cell_t *row = doc_row(d, t);
    if (row != NULL) {
        sub_cell(d, &row[0], DOC_CENTER, DOC_BOLD, "ỦY BAN NHÂN DÂN");
        sub_cell(d, &row[0], DOC_CENTER, DOC_BOLD, upper != NULL ? upper : unit);
        sub_cell(d, &row[0], DOC_CENTER, 0, "Số:       /TTr-UBND");
        sub_cell(d, &row[1], DOC_CENTER, DOC_BOLD, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM");
        sub_cell(d, &row[1], DOC_CENTER, DOC_BOLD | DOC_UNDERLINE, "Độc lập - Tự do - Hạnh phúc");
        sub_cell(d, &row[1], DOC_CENTER, DOC_ITALIC,
                 print_date_line(sub_place(unit), today, date, sizeof(date)));
    }
    free(upper);

    size_t kinds[3] = {0, 0, 0};
    static const char *const kind_codes[3] = {"collective", "household", "individual"};
    static const char *const kind_nouns[3] = {"tập thể", "hộ gia đình", "cá nhân"};
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < 3; k++)
            kinds[k] += strcmp(recs[i]->rec.nominee_kind, kind_codes[k]) == 0;
    }
    char counts[200] = "";
    size_t parts = (kinds[0] > 0) + (kinds[1] > 0) + (kinds[2] > 0), done = 0, o = 0;
    for (size_t k = 0; k < 3 && o < sizeof(counts); k++) {
        if (kinds[k] == 0)
            continue;
        done++;
        int wr = snprintf(counts + o, sizeof(counts) - o, "%s%zu %s",
                          done == 1       ? ""
                          : done == parts ? " và "
                                          : ", ",
                          kinds[k], kind_nouns[k]);
        o += wr > 0 ? (size_t)wr : 0;
    }

    doc_para_t *p = sub_line(d, DOC_CENTER, DOC_BOLD, "TỜ TRÌNH");
    if (p != NULL) {
        p->size_pt = 14;
        p->space_before_pt = 18;
    }
    p = doc_para(d, DOC_CENTER);
    if (p != NULL) {
        p->size_pt = 14;
        p->space_after_pt = 12;
        doc_runf(d, p, DOC_BOLD, "Về việc đề nghị khen thưởng trong %s", campaign);
    }
    p = doc_para(d, DOC_CENTER);
    if (p != NULL) {
        p->space_after_pt = 12;
        doc_runf(d, p, 0, "Kính gửi: %s", organiser);
    }
    snprintf(text, sizeof(text),
             "Thực hiện %s, Ủy ban nhân dân %s đề nghị %s xem xét, khen thưởng cho %s có thành "
             "tích xuất sắc (có danh sách kèm theo).",
             campaign, unit, organiser, n > 0 ? counts : "0 tập thể, cá nhân");
    p = sub_line(d, DOC_JUSTIFY, 0, text);
    if (p != NULL) {
        p->first_indent_mm = 12.7;
        p->space_after_pt = 6;
    }
    p = sub_line(d, DOC_JUSTIFY, 0, "Kính trình xem xét, quyết định./.");
    if (p != NULL)
        p->first_indent_mm = 12.7;

    const double scols[2] = {75, PRINT_TEXT_MM - 75};
    t = doc_table(d, 2, scols, false);
    row = doc_row(d, t);
    if (row != NULL) {
        sub_cell(d, &row[0], DOC_LEFT, DOC_BOLD | DOC_ITALIC, "Nơi nhận:");
        sub_cell(d, &row[0], DOC_LEFT, 0, "- Như trên;");
        sub_cell(d, &row[0], DOC_LEFT, 0, "- Lưu: VT.");
        sub_cell(d, &row[1], DOC_CENTER, DOC_BOLD, "CHỦ TỊCH");
    }

    doc_page_break(d);
    sub_line(d, DOC_CENTER, DOC_BOLD, "DANH SÁCH ĐỀ NGHỊ KHEN THƯỞNG");
    p = doc_para(d, DOC_CENTER);
    if (p != NULL) {
        p->space_after_pt = 12;
        doc_runf(d, p, DOC_ITALIC, "(Kèm theo Tờ trình của Ủy ban nhân dân %s)", unit);
    }
    const double lcols[5] = {12, 48, 45, 35, PRINT_TEXT_MM - 12 - 48 - 45 - 35};
    t = doc_table(d, 5, lcols, true);
    if (t == NULL)
        return -1;
    t->header_rows = 1;
    static const char *const heads[5] = {"STT", "Tên tập thể, cá nhân", "Chức vụ, đơn vị công tác",
                                         "Thành tích", "Hình thức đề nghị"};
    row = doc_row(d, t);
    for (size_t k = 0; row != NULL && k < 5; k++)
        sub_cell(d, &row[k], DOC_CENTER, DOC_BOLD, heads[k]);
    for (size_t i = 0; i < n; i++) {
        const Thidua__V1__Record *r = &recs[i]->rec;
        row = doc_row(d, t);
        if (row == NULL)
            break;
        p = doc_cell_para(d, &row[0], DOC_CENTER);
        if (p != NULL)
            doc_runf(d, p, 0, "%zu", i + 1);
        sub_cell(d, &row[1], DOC_LEFT, 0, r->nominee_name);
        snprintf(text, sizeof(text), "%s%s%s", r->position,
                 r->position[0] && r->workplace[0] ? ", " : "", r->workplace);
        sub_cell(d, &row[2], DOC_LEFT, 0, text);
        sub_cell(d, &row[3], DOC_LEFT, 0, r->title);
        sub_cell(d, &row[4], DOC_LEFT, 0, out_form_label(w, r->proposed_award));
    }
    return doc_failed(d) ? -1 : 0;
}
