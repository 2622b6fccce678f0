/*
 * print_certificate.c - the certificates of a decision's awardees (Bằng
 * khen, Giấy khen): one A4 landscape page each, every field at a position
 * an office can move to fit its pre-printed blanks (print.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "confutil.h"
#include "i18n.h"
#include "print.h"
#include "text.h"

/* The fields and where they go on a blank A4 landscape sheet (297 x 210 mm). */
static const print_field_t print_cert_defaults[PRINT_CERT_FIELDS] = {
    {"authority", 15, 28, 267, 16, DOC_CENTER, DOC_BOLD, false},
    {"heading", 15, 42, 267, 36, DOC_CENTER, DOC_BOLD, false},
    {"presented", 15, 70, 267, 16, DOC_CENTER, DOC_ITALIC, false},
    {"name", 15, 82, 267, 24, DOC_CENTER, DOC_BOLD, false},
    {"detail", 15, 98, 267, 16, DOC_CENTER, 0, false},
    {"achievement", 30, 112, 237, 16, DOC_CENTER, 0, false},
    {"decision", 20, 168, 120, 13, DOC_LEFT, DOC_ITALIC, false},
    {"date", 150, 148, 130, 14, DOC_CENTER, DOC_ITALIC, false},
    {"signer_title", 150, 156, 130, 14, DOC_CENTER, DOC_BOLD, false},
    {"signer_name", 150, 188, 130, 14, DOC_CENTER, DOC_BOLD, false},
};

void print_layout_default(print_layout_t *l)
{
    memcpy(l->field, print_cert_defaults, sizeof(l->field));
}

static print_field_t *print_field(print_layout_t *l, const char *key)
{
    for (size_t i = 0; i < PRINT_CERT_FIELDS; i++) {
        if (strcmp(l->field[i].key, key) == 0)
            return &l->field[i];
    }
    return NULL;
}

static const char *const print_aligns[] = {"left", "center", "right"};

/* The state of one layout file being read. */
typedef struct print_layout_read {
    print_layout_t *l;
    char *err;
    size_t errlen;
    const char *path;
} print_layout_read_t;

static int print_layout_ini(void *user, const char *section, const char *key, const char *value,
                            int lineno)
{
    print_layout_read_t *rd = user;
    print_field_t *f = print_field(rd->l, section);
    if (f == NULL) {
        snprintf(rd->err, rd->errlen, _("%s line %d: [%s] is not a field of the certificate"),
                 rd->path, lineno, section);
        return 0;
    }
    char *end = NULL;
    double num = strtod(value, &end);
    bool is_num = end != value && *end == '\0' && num >= 0 && num <= 1000;
    if (strcmp(key, "x") == 0 && is_num) {
        f->x_mm = num;
    } else if (strcmp(key, "y") == 0 && is_num) {
        f->y_mm = num;
    } else if (strcmp(key, "w") == 0 && is_num && num > 0) {
        f->w_mm = num;
    } else if (strcmp(key, "size") == 0 && is_num && num >= 4 && num <= 96) {
        f->size_pt = num;
    } else if (strcmp(key, "align") == 0) {
        size_t k = 0;
        while (k < THIDUA_ARRAY_LEN(print_aligns) && strcasecmp(value, print_aligns[k]) != 0)
            k++;
        if (k == THIDUA_ARRAY_LEN(print_aligns))
            goto bad;
        f->align = (doc_align_t)k;
    } else if (strcmp(key, "bold") == 0) {
        int b;
        char why[200];
        if (confutil_bool(value, &b, why, sizeof(why)) != 0)
            goto bad;
        f->flags = b ? f->flags | DOC_BOLD : f->flags & ~DOC_BOLD;
    } else if (strcmp(key, "hidden") == 0) {
        int b;
        char why[200];
        if (confutil_bool(value, &b, why, sizeof(why)) != 0)
            goto bad;
        f->hidden = b != 0;
    } else {
        goto bad;
    }
    return 1;
bad:
    snprintf(rd->err, rd->errlen,
             _("%s line %d: [%s] %s = %s: x, y and w are millimetres (w above 0), size is 4 to 96 "
               "points, align is left, center or right, bold and hidden are yes or no"),
             rd->path, lineno, section, key, value);
    return 0;
}

int print_layout_load(print_layout_t *l, const char *path, char *err, size_t errlen)
{
    print_layout_read_t rd = {l, err, errlen, path};
    err[0] = '\0';
    int rc = confutil_ini_file(path, print_layout_ini, &rd);
    if (rc < 0) {
        snprintf(err, errlen, _("%s: cannot read it"), path);
        return -1;
    }
    if (rc > 0 && err[0] == '\0')
        snprintf(err, errlen, _("%s line %d: not a line of an INI file"), path, rc);
    return err[0] == '\0' ? 0 : -1;
}

void print_layout_write(const print_layout_t *l, FILE *f)
{
    fputs("; Where each field of a certificate goes, in millimetres from the top left corner\n"
          "; of an A4 landscape sheet; size in points. hidden = yes leaves out what the\n"
          "; blank already carries.\n",
          f);
    for (size_t i = 0; i < PRINT_CERT_FIELDS; i++) {
        const print_field_t *p = &l->field[i];
        fprintf(f,
                "\n[%s]\nx = %g\ny = %g\nw = %g\nsize = %g\nalign = %s\nbold = %s\nhidden = %s\n",
                p->key, p->x_mm, p->y_mm, p->w_mm, p->size_pt, print_aligns[p->align],
                (p->flags & DOC_BOLD) ? "yes" : "no", p->hidden ? "yes" : "no");
    }
}

/* Place one field's text on the current page. */
static void print_place(doc_t *d, const print_layout_t *l, const char *key, const char *text)
{
    const print_field_t *f = NULL;
    for (size_t i = 0; i < PRINT_CERT_FIELDS && f == NULL; i++)
        f = strcmp(l->field[i].key, key) == 0 ? &l->field[i] : NULL;
    if (f == NULL || f->hidden || text == NULL || text[0] == '\0')
        return;
    doc_para_t *p = doc_frame(d, f->x_mm, f->y_mm, f->w_mm, f->align);
    if (p == NULL)
        return;
    p->size_pt = f->size_pt;
    doc_run(d, p, f->flags, text);
}

/* "BẰNG KHEN" of "Bằng khen của Chủ tịch UBND tỉnh": the form up to " của ", in capitals. */
static void print_heading_of(const char *form_name, char *out, size_t size)
{
    const char *cut = strstr(form_name, " của ");
    size_t len = cut != NULL ? (size_t)(cut - form_name) : strlen(form_name);
    char *up = NULL;
    if (text_upper(form_name, len, &up) == TD_OK) {
        snprintf(out, size, "%s", up);
        free(up);
    } else {
        snprintf(out, size, "%.*s", (int)len, form_name);
    }
}

int print_certificates(const Thidua__V1__DecisionDocumentResponse *r, const print_layout_t *l,
                       doc_t *d)
{
    const Thidua__V1__IssuerSettings *s = r->settings;
    print_signer_t sg;
    print_signer_split(r->decision->signer, s->signer_title, &sg);
    char title[300] = "", date[PRINT_DATE_LINE_SIZE], dec[PRINT_DATE_LINE_SIZE + 100];
    for (size_t i = 0, o = 0; i < sg.ntitle && o < sizeof(title); i++) {
        int w = snprintf(title + o, sizeof(title) - o, "%s%s", i ? "\n" : "", sg.title[i]);
        o += w > 0 ? (size_t)w : 0;
    }
    print_date_line(s->place, r->decision->date, date, sizeof(date));
    char when[PRINT_DATE_LINE_SIZE];
    snprintf(dec, sizeof(dec), "Quyết định số %s %s", r->decision->number,
             print_date_line(NULL, r->decision->date, when, sizeof(when)));

    (void)doc_section(d, true);
    for (size_t i = 0; i < r->n_items; i++) {
        const Thidua__V1__DecisionItem *it = r->items[i];
        char heading[200], detail[800], achievement[1200];
        print_heading_of(it->form_name, heading, sizeof(heading));
        if (strcmp(it->nominee_kind, "individual") == 0 &&
            (it->position[0] != '\0' || it->workplace[0] != '\0'))
            snprintf(detail, sizeof(detail), "%s%s%s", it->position,
                     it->position[0] && it->workplace[0] ? ", " : "", it->workplace);
        else
            snprintf(detail, sizeof(detail), "%s", it->org_unit_name);
        snprintf(achievement, sizeof(achievement), "Đã có thành tích xuất sắc: %s", it->title);
        if (i > 0)
            doc_page_break(d);
        print_place(d, l, "authority", s->authority);
        print_place(d, l, "heading", heading);
        print_place(d, l, "presented", "Tặng");
        print_place(d, l, "name", it->nominee_name);
        print_place(d, l, "detail", detail);
        print_place(d, l, "achievement", achievement);
        print_place(d, l, "decision", dec);
        print_place(d, l, "date", date);
        print_place(d, l, "signer_title", title);
        print_place(d, l, "signer_name", sg.name);
    }
    return doc_failed(d) ? -1 : 0;
}
