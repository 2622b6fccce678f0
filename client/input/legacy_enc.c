/*
 * legacy_enc.c - TCVN3 and VNI-Windows to UTF-8, from their tables.
 *
 * The tables are written letter by letter, grouped by vowel, so that each
 * line can be read against the published chart; the decoder does nothing
 * but look bytes up.
 */
#include "legacy_enc.h"

#include <stdint.h>
#include <string.h>

/* One byte of a table and the letter (UTF-8) it stands for. */
typedef struct {
    uint8_t byte;
    const char *utf8;
} legenc_entry_t;

/* TCVN 5712:1993 (VN1; VN3 is its part from 0xA1 on without the capitals with a tone). */
static const legenc_entry_t legenc_tcvn3[] = {
    /* capitals in C0 positions */
    {0x01, "Ú"}, {0x02, "Ụ"}, {0x04, "Ừ"}, {0x05, "Ử"}, {0x06, "Ữ"},
    {0x11, "Ứ"}, {0x12, "Ự"}, {0x13, "Ỳ"}, {0x14, "Ỷ"}, {0x15, "Ỹ"}, {0x16, "Ý"}, {0x17, "Ỵ"},
    /* A */
    {0x80, "À"}, {0x81, "Ả"}, {0x82, "Ã"}, {0x83, "Á"}, {0x84, "Ạ"},
    {0xB5, "à"}, {0xB6, "ả"}, {0xB7, "ã"}, {0xB8, "á"}, {0xB9, "ạ"},
    /* Ă */
    {0xA1, "Ă"}, {0xAF, "Ằ"}, {0xBA, "Ẳ"}, {0xBF, "Ẵ"}, {0xC0, "Ắ"}, {0x85, "Ặ"},
    {0xA8, "ă"}, {0xBB, "ằ"}, {0xBC, "ẳ"}, {0xBD, "ẵ"}, {0xBE, "ắ"}, {0xC6, "ặ"},
    /* Â */
    {0xA2, "Â"}, {0xC1, "Ầ"}, {0xC2, "Ẩ"}, {0xC3, "Ẫ"}, {0xC4, "Ấ"}, {0x86, "Ậ"},
    {0xA9, "â"}, {0xC7, "ầ"}, {0xC8, "ẩ"}, {0xC9, "ẫ"}, {0xCA, "ấ"}, {0xCB, "ậ"},
    /* E */
    {0x87, "È"}, {0x88, "Ẻ"}, {0x89, "Ẽ"}, {0x8A, "É"}, {0x8B, "Ẹ"},
    {0xCC, "è"}, {0xCE, "ẻ"}, {0xCF, "ẽ"}, {0xD0, "é"}, {0xD1, "ẹ"},
    /* Ê */
    {0xA3, "Ê"}, {0xC5, "Ề"}, {0xCD, "Ể"}, {0xD9, "Ễ"}, {0xDA, "Ế"}, {0x8C, "Ệ"},
    {0xAA, "ê"}, {0xD2, "ề"}, {0xD3, "ể"}, {0xD4, "ễ"}, {0xD5, "ế"}, {0xD6, "ệ"},
    /* I */
    {0x8D, "Ì"}, {0x8E, "Ỉ"}, {0x8F, "Ĩ"}, {0x90, "Í"}, {0x91, "Ị"},
    {0xD7, "ì"}, {0xD8, "ỉ"}, {0xDC, "ĩ"}, {0xDD, "í"}, {0xDE, "ị"},
    /* O */
    {0x92, "Ò"}, {0x93, "Ỏ"}, {0x94, "Õ"}, {0x95, "Ó"}, {0x96, "Ọ"},
    {0xDF, "ò"}, {0xE1, "ỏ"}, {0xE2, "õ"}, {0xE3, "ó"}, {0xE4, "ọ"},
    /* Ô */
    {0xA4, "Ô"}, {0xDB, "Ồ"}, {0xE0, "Ổ"}, {0xF0, "Ỗ"}, {0xFF, "Ố"}, {0x97, "Ộ"},
    {0xAB, "ô"}, {0xE5, "ồ"}, {0xE6, "ổ"}, {0xE7, "ỗ"}, {0xE8, "ố"}, {0xE9, "ộ"},
    /* Ơ */
    {0xA5, "Ơ"}, {0x98, "Ờ"}, {0x99, "Ở"}, {0x9A, "Ỡ"}, {0x9B, "Ớ"}, {0x9C, "Ợ"},
    {0xAC, "ơ"}, {0xEA, "ờ"}, {0xEB, "ở"}, {0xEC, "ỡ"}, {0xED, "ớ"}, {0xEE, "ợ"},
    /* U */
    {0x9D, "Ù"}, {0x9E, "Ủ"}, {0x9F, "Ũ"},
    {0xEF, "ù"}, {0xF1, "ủ"}, {0xF2, "ũ"}, {0xF3, "ú"}, {0xF4, "ụ"},
    /* Ư */
    {0xA6, "Ư"},
    {0xAD, "ư"}, {0xF5, "ừ"}, {0xF6, "ử"}, {0xF7, "ữ"}, {0xF8, "ứ"}, {0xF9, "ự"},
    /* Y */
    {0xFA, "ỳ"}, {0xFB, "ỷ"}, {0xFC, "ỹ"}, {0xFD, "ý"}, {0xFE, "ỵ"},
    /* Đ, the space and the five tones on their own (VN1 writes a letter + tone with them) */
    {0xA7, "Đ"}, {0xAE, "đ"}, {0xA0, "\u00A0"},
    {0xB0, "\u0300"}, {0xB1, "\u0309"}, {0xB2, "\u0303"}, {0xB3, "\u0301"}, {0xB4, "\u0323"},
};

/* VNI: letters that have a byte of their own. */
static const legenc_entry_t legenc_vni_letters[] = {
    {0xF1, "đ"}, {0xD1, "Đ"}, {0xF4, "ơ"}, {0xD4, "Ơ"}, {0xF6, "ư"}, {0xD6, "Ư"},
    {0xEC, "ì"}, {0xE6, "ỉ"}, {0xF3, "ĩ"}, {0xED, "í"}, {0xF2, "ị"},
    {0xCC, "Ì"}, {0xC6, "Ỉ"}, {0xD3, "Ĩ"}, {0xCD, "Í"}, {0xD2, "Ị"},
    {0xEE, "ỵ"}, {0xCE, "Ỵ"},
    /* Windows-1252 punctuation, which the VNI fonts keep */
    {0x85, "…"}, {0x91, "‘"}, {0x92, "’"}, {0x93, "“"}, {0x94, "”"}, {0x95, "•"},
    {0x96, "–"}, {0x97, "—"}, {0xA0, "\u00A0"},
};

/* Which letters a VNI mark may follow. */
enum {
    LEGENC_ON_TONE = 1,  /* a e i o u y ơ ư: any vowel takes a tone */
    LEGENC_ON_CIRC = 2,  /* a e o: circumflex */
    LEGENC_ON_BREVE = 4, /* a: breve */
};

/* A VNI mark byte (lower- and upper-case form) and the combining marks it adds. */
typedef struct {
    uint8_t lower, upper;
    unsigned on;
    const char *marks; /* combining, vowel mark first */
} legenc_mark_t;

static const legenc_mark_t legenc_vni_marks[] = {
    {0xF9, 0xD9, LEGENC_ON_TONE, "\u0301"}, /* sắc */
    {0xF8, 0xD8, LEGENC_ON_TONE, "\u0300"}, /* huyền */
    {0xFB, 0xDB, LEGENC_ON_TONE, "\u0309"}, /* hỏi */
    {0xF5, 0xD5, LEGENC_ON_TONE, "\u0303"}, /* ngã */
    {0xEF, 0xCF, LEGENC_ON_TONE, "\u0323"}, /* nặng */
    {0xE2, 0xC2, LEGENC_ON_CIRC, "\u0302"},
    {0xE1, 0xC1, LEGENC_ON_CIRC, "\u0302\u0301"},
    {0xE0, 0xC0, LEGENC_ON_CIRC, "\u0302\u0300"},
    {0xE5, 0xC5, LEGENC_ON_CIRC, "\u0302\u0309"},
    {0xE3, 0xC3, LEGENC_ON_CIRC, "\u0302\u0303"},
    {0xE4, 0xC4, LEGENC_ON_CIRC, "\u0302\u0323"},
    {0xEA, 0xCA, LEGENC_ON_BREVE, "\u0306"},
    {0xE9, 0xC9, LEGENC_ON_BREVE, "\u0306\u0301"},
    {0xE8, 0xC8, LEGENC_ON_BREVE, "\u0306\u0300"},
    {0xFA, 0xDA, LEGENC_ON_BREVE, "\u0306\u0309"},
    {0xFC, 0xDC, LEGENC_ON_BREVE, "\u0306\u0303"},
    {0xEB, 0xCB, LEGENC_ON_BREVE, "\u0306\u0323"},
};

static const char *legenc_lookup(const legenc_entry_t *t, size_t n, uint8_t b)
{
    for (size_t i = 0; i < n; i++) {
        if (t[i].byte == b)
            return t[i].utf8;
    }
    return NULL;
}

/* Byte b through table t: its letter, itself when ASCII, or TD_ECHARSET. */
static int legenc_put(const legenc_entry_t *t, size_t n, uint8_t b, strbuf_t *out)
{
    const char *u = legenc_lookup(t, n, b);
    if (u != NULL)
        strbuf_puts(out, u);
    else if (b >= 0x80 || b == 0)
        return TD_ECHARSET;
    else
        strbuf_putc(out, (char)b);
    return TD_OK;
}

static const legenc_mark_t *legenc_vni_mark(uint8_t b)
{
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(legenc_vni_marks); i++) {
        if (legenc_vni_marks[i].lower == b || legenc_vni_marks[i].upper == b)
            return &legenc_vni_marks[i];
    }
    return NULL;
}

/* The marks a VNI base letter takes: an ASCII vowel or the bytes of ơ and ư. */
static unsigned legenc_vni_base(uint8_t b)
{
    switch (b | 0x20) {
    case 'a':
        return LEGENC_ON_TONE | LEGENC_ON_CIRC | LEGENC_ON_BREVE;
    case 'e':
    case 'o':
        return LEGENC_ON_TONE | LEGENC_ON_CIRC;
    case 'i':
    case 'u':
    case 'y':
        return LEGENC_ON_TONE;
    case 0xF4: /* ơ, Ơ */
    case 0xF6: /* ư, Ư */
        return LEGENC_ON_TONE;
    default:
        return 0;
    }
}

static int legenc_tcvn3_decode(const uint8_t *in, size_t len, strbuf_t *out, size_t *bad)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t b = in[i];
        if (legenc_put(legenc_tcvn3, THIDUA_ARRAY_LEN(legenc_tcvn3), b, out) != TD_OK) {
            *bad = i;
            return TD_ECHARSET;
        }
    }
    return TD_OK;
}

static int legenc_vni_decode(const uint8_t *in, size_t len, strbuf_t *out, size_t *bad)
{
    unsigned takes = 0; /* the marks the previous byte may carry; 0 after a mark */
    for (size_t i = 0; i < len; i++) {
        uint8_t b = in[i];
        const legenc_mark_t *m = b >= 0x80 ? legenc_vni_mark(b) : NULL;
        if (m != NULL) {
            if ((takes & m->on) == 0) {
                *bad = i;
                return TD_ECHARSET;
            }
            strbuf_puts(out, m->marks);
            takes = 0;
            continue;
        }
        takes = legenc_vni_base(b);
        if (legenc_put(legenc_vni_letters, THIDUA_ARRAY_LEN(legenc_vni_letters), b, out) != TD_OK) {
            *bad = i;
            return TD_ECHARSET;
        }
    }
    return TD_OK;
}

int legenc_decode(legenc_t e, const char *in, size_t len, strbuf_t *out, size_t *bad)
{
    size_t spare;
    if (bad == NULL)
        bad = &spare;
    *bad = 0;
    /* A first guess of the size (strbuf grows past it): most bytes are ASCII. */
    if (!strbuf_reserve(out, len + len / 2 + 16))
        return TD_ENOMEM;
    const uint8_t *u = (const uint8_t *)in;
    int rc = e == LEGENC_TCVN3 ? legenc_tcvn3_decode(u, len, out, bad)
                               : legenc_vni_decode(u, len, out, bad);
    if (rc == TD_OK && strbuf_failed(out))
        rc = TD_ENOMEM;
    return rc;
}
