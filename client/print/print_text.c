/*
 * print_text.c - the standard phrases of official documents: the date line
 * and the signer's block (print.h).
 */
#include <stdio.h>
#include <string.h>

#include "date.h"
#include "print.h"

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

/* Whether the word w (len bytes) has a lowercase letter: ASCII, or a two-byte Latin letter. */
static bool print_word_has_lower(const char *w, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)w[i];
        if (c >= 'a' && c <= 'z')
            return true;
    }
    return false;
}

void print_signer_split(const char *signer, const char *fallback, print_signer_t *out)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->buf, sizeof(out->buf), "%s", signer != NULL ? signer : "");
    /* The name starts at the first word with a lowercase letter ("Nguyễn"): titles are in capitals.
     */
    char *p = out->buf, *name = NULL;
    while (*p != '\0') {
        while (*p == ' ')
            p++;
        char *end = p;
        while (*end != '\0' && *end != ' ')
            end++;
        if (end > p && print_word_has_lower(p, (size_t)(end - p))) {
            name = p;
            break;
        }
        p = end;
    }
    out->name = name != NULL ? name : "";
    if (name == out->buf || name == NULL) {
        /* Only a name (or only a title): the title is the issuer's. */
        if (name == NULL) {
            out->title[out->ntitle++] = out->buf;
            out->name = "";
        } else if (fallback != NULL && fallback[0] != '\0') {
            out->title[out->ntitle++] = fallback;
        }
        return;
    }
    name[-1] = '\0';
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
