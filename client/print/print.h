/*
 * print.h - the documents an office signs, laid out as doc.h documents:
 * the province's award decision with its list (danh sách kèm theo), the
 * certificates (Bằng khen, Giấy khen) of its awardees, and a district's
 * submission (Tờ trình) of its nominations. Nghị định 30/2020/NĐ-CP,
 * Phụ lục I, sets the layout: the issuing body top left with the number
 * under it, the national title top right with the place and date, the
 * title and subject centred, the articles, "Nơi nhận:" and the signature.
 *
 * Everything printed comes from the server's records and from the issuing
 * unit's settings (IssuerSettings): nothing is made up here but the
 * wording of the law's standard phrases ("Tặng ... cho ... tập thể và ...
 * cá nhân", "có danh sách kèm theo").
 */
#ifndef THIDUA_CLIENT_PRINT_H
#define THIDUA_CLIENT_PRINT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "defs.h"
#include "doc.h"
#include "store.h"
#include "thidua.pb-c.h"

/* ---- wording (print_text.c) ---- */

/* Room for "Thành phố Hồ Chí Minh, ngày 19 tháng 9 năm 2025". */
#define PRINT_DATE_LINE_SIZE 256

/*
 * "PLACE, ngày 05 tháng 6 năm 2025" for the ISO date iso: the day with two
 * digits below 10, the months 1 and 2 as 01 and 02 (Nghị định 30/2020), the
 * others as they are. Without a place, "ngày ... năm ..." alone. The text
 * is iso itself when it is not a date.
 */
const char *print_date_line(const char *place, const char *iso, char *out, size_t size);

/*
 * A decision's signer as typed ("KT. CHỦ TỊCH – PHÓ CHỦ TỊCH Nguyễn Văn An")
 * split into its title lines ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH") and the name
 * (the words from the first one that is not in capitals, "Đỗ" as well as
 * "Nguyễn"). The title is fallback (the issuer's signer_title) when the
 * signer names the person only. Lines point into buf, a copy of the signer;
 * at most four title lines.
 */
typedef struct print_signer {
    const char *title[4];
    size_t ntitle;
    const char *name;
    char buf[600];
} print_signer_t;
void print_signer_split(const char *signer, const char *fallback, print_signer_t *out);

/* ---- documents (print_decision.c, print_certificate.c, print_submission.c) ---- */

/* The decision and its list. 0, or -1 when out of memory (the document is then incomplete). */
THIDUA_MUSTCHECK int print_decision(const Thidua__V1__DecisionDocumentResponse *d, doc_t *out);

/* Where one field of a certificate goes on the page (mm from the top left corner). */
typedef struct print_field {
    const char *key; /* "authority", "heading", "name", ... (print_certificate.c) */
    double x_mm, y_mm, w_mm;
    double size_pt;
    doc_align_t align;
    unsigned flags; /* DOC_BOLD ... */
    bool hidden;    /* printed on the blank already: leave it out */
} print_field_t;

#define PRINT_CERT_FIELDS 10
typedef struct print_layout {
    print_field_t field[PRINT_CERT_FIELDS];
} print_layout_t;

/* The layout for a blank A4 landscape sheet. */
void print_layout_default(print_layout_t *l);
/*
 * Read an INI file of positions over l: a section per field ([name]) with
 * any of x, y, w (mm), size (pt), align (left, center, right), bold (yes,
 * no), hidden (yes, no). 0, or -1 with the file, line and key in err.
 */
THIDUA_MUSTCHECK int print_layout_load(print_layout_t *l, const char *path, char *err,
                                       size_t errlen);
/* The layout as such a file, for an office to start from. */
void print_layout_write(const print_layout_t *l, FILE *f);

/* One certificate page per awardee of the decision. 0, or -1 when out of memory. */
THIDUA_MUSTCHECK int print_certificates(const Thidua__V1__DecisionDocumentResponse *d,
                                        const print_layout_t *l, doc_t *out);

/*
 * The office's submission (Tờ trình) of the records given, with their list,
 * addressed to the campaign's organiser, dated today (ISO). 0, or -1 when out
 * of memory.
 */
THIDUA_MUSTCHECK int print_submission(const Thidua__V1__Welcome *w,
                                      const store_record_t *const *recs, size_t n,
                                      const char *today, doc_t *out);

#endif
