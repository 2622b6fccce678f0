/*
 * print_text.c - the standard phrases of official documents: the date line
 * and the signer's block (print.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "print.h"
#include "text.h"

const char *print_date_line(const char *place, const char *iso, char *out, size_t size)
{
    int32_t day;
    date_ymd_t ymd;
    if (iso == NULL || date_parse_iso(iso, &day, NULL) != TD_OK ||
        date_to_ymd(day, &ymd) != TD_OK) {
        snprintf(out, size, "%s", iso != NULL ? iso : "");
        return out;
    }
    /* Nghị định 30/2020, Phụ lục I: days below 10 and the months 1 and 2 take a leading zero. */
    char dd[8], mm[8];
    snprintf(dd, sizeof(dd), ymd.day < 10 ? "0%d" : "%d", ymd.day);
    snprintf(mm, sizeof(mm), ymd.month < 3 ? "0%d" : "%d", ymd.month);
    if (place != NULL && place[0] != '\0')
        snprintf(out, size, "%s, ngày %s tháng %s năm %d", place, dd, mm, ymd.year);
    else
        snprintf(out, size, "ngày %s tháng %s năm %d", dd, mm, ymd.year);
    return out;
}

/*
 * Whether the word w (len bytes) belongs to a title: titles are written in capitals
 * ("KT. CHỦ TỊCH"), so a title word is one that uppercasing leaves as it is. A name's
 * word has a lowercase letter, ASCII or not ("Đỗ", "Ánh"). A word that cannot be
 * uppercased (invalid UTF-8, no memory) is taken as the name's, which prints it unchanged.
 */
static bool print_word_is_title(const char *w, size_t len)
{
    char *up = NULL;
    if (text_upper(w, len, &up) != TD_OK)
        return false;
    bool same = strlen(up) == len && memcmp(up, w, len) == 0;
    free(up);
    return same;
}

void print_signer_split(const char *signer, const char *fallback, print_signer_t *out)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->buf, sizeof(out->buf), "%s", signer != NULL ? signer : "");
    /* The name starts at the first word that is not a title's ("Nguyễn", "Đỗ"). */
    char *p = out->buf, *name = NULL;
    while (*p != '\0') {
        while (*p == ' ')
            p++;
        char *end = p;
        while (*end != '\0' && *end != ' ')
            end++;
        if (end > p && !print_word_is_title(p, (size_t)(end - p))) {
            name = p;
            break;
        }
        p = end;
    }
    out->name = name != NULL ? name : "";
    if (name == out->buf || out->buf[0] == '\0') {
        /* Only a name, or nothing: the title is the issuer's. */
        if (fallback != NULL && fallback[0] != '\0')
            out->title[out->ntitle++] = fallback;
        return;
    }
    if (name != NULL)
        name[-1] = '\0'; /* the title ends before the name; without a name it is all of buf */
    /* The title's lines: "KT. CHỦ TỊCH – PHÓ CHỦ TỊCH" is two, split at a dash. */
    char *t = out->buf;
    while (t != NULL && out->ntitle < THIDUA_ARRAY_LEN(out->title)) {
        /* The earliest of an en dash, an em dash or a hyphen between spaces. */
        static const char *const dashes[] = {" – ", " — ", " - "};
        char *dash = NULL;
        size_t dlen = 0;
        for (size_t k = 0; k < THIDUA_ARRAY_LEN(dashes); k++) {
            char *at = strstr(t, dashes[k]);
            if (at != NULL && (dash == NULL || at < dash)) {
                dash = at;
                dlen = strlen(dashes[k]);
            }
        }
        if (dash != NULL)
            *dash = '\0';
        while (*t == ' ')
            t++;
        size_t len = strlen(t);
        while (len > 0 && t[len - 1] == ' ')
            t[--len] = '\0';
        if (len > 0)
            out->title[out->ntitle++] = t;
        t = dash != NULL ? dash + dlen : NULL;
    }
}
