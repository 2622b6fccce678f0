/*
 * encoding.c - decoding and telling apart the encodings of encoding.h.
 *
 * Windows-1258 goes through glibc's iconv, which knows its combining tone
 * marks; TCVN3 and VNI through our tables (legacy_enc.c). Everything ends in
 * text_nfc(), so that "ệ" is one code point whichever way it was written.
 */
#include "encoding.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "legacy_enc.h"
#include "strbuf.h"
#include "text.h"
#include "vi_words.h"

static const char enc_bom[] = "\xEF\xBB\xBF";

/* A winner must make at least this share of words Vietnamese ... */
#define ENC_MIN_SHARE 0.6
/* ... and this much more than the runner-up, or the file is ambiguous. */
#define ENC_MIN_LEAD 0.2

static const struct {
    enc_t e;
    const char *name;
} enc_names[] = {
    {ENC_UTF8, "utf-8"},   {ENC_UTF8, "utf8"},         {ENC_CP1258, "cp1258"},
    {ENC_CP1258, "windows-1258"}, {ENC_TCVN3, "tcvn3"}, {ENC_TCVN3, "abc"},
    {ENC_TCVN3, "tcvn"},   {ENC_VNI, "vni"},           {ENC_VNI, "vni-windows"},
};

int enc_by_name(const char *name)
{
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(enc_names); i++) {
        if (strcasecmp(name, enc_names[i].name) == 0)
            return (int)enc_names[i].e;
    }
    return -1;
}

const char *enc_name(enc_t e)
{
    switch (e) {
    case ENC_UTF8:
        return "UTF-8";
    case ENC_CP1258:
        return "Windows-1258";
    case ENC_TCVN3:
        return "TCVN3";
    case ENC_VNI:
        return "VNI";
    default:
        return "automatic";
    }
}

/* Windows-1258 to UTF-8 (not NFC) through iconv. */
static int enc_cp1258(const char *in, size_t len, strbuf_t *out, size_t *bad)
{
    iconv_t cd = iconv_open("UTF-8", "CP1258");
    if (cd == (iconv_t)-1)
        return TD_EINTERNAL;
    char *src = (char *)in; /* iconv's signature; it does not write through it */
    size_t left = len;
    int rc = TD_OK;
    char chunk[4096];
    while (left > 0) {
        char *dst = chunk;
        size_t room = sizeof(chunk);
        size_t r = iconv(cd, &src, &left, &dst, &room);
        strbuf_append(out, chunk, (size_t)(dst - chunk));
        if (r == (size_t)-1 && errno != E2BIG) {
            /* EILSEQ: a hole of the code page; EINVAL cannot happen in a single-byte one. */
            *bad = (size_t)(src - in);
            rc = TD_ECHARSET;
            break;
        }
    }
    if (rc == TD_OK) {
        /* iconv holds a letter back in case a combining tone follows: flush it. */
        char *dst = chunk;
        size_t room = sizeof(chunk);
        if (iconv(cd, NULL, NULL, &dst, &room) == (size_t)-1)
            rc = TD_EINTERNAL;
        strbuf_append(out, chunk, (size_t)(dst - chunk));
    }
    iconv_close(cd);
    return rc;
}

int enc_decode(enc_t e, const char *in, size_t len, char **out, size_t *out_len, size_t *bad)
{
    size_t spare;
    if (bad == NULL)
        bad = &spare;
    *bad = 0;
    *out = NULL;
    *out_len = 0;
    if (e == ENC_UTF8 || e == ENC_AUTO) {
        size_t skip = len >= 3 && memcmp(in, enc_bom, 3) == 0 ? 3 : 0;
        int rc = text_utf8_check(in + skip, len - skip, bad);
        if (rc != TD_OK) {
            *bad += skip;
            return rc;
        }
        return text_nfc(in + skip, len - skip, out, out_len);
    }
    /* NUL is no letter in any of them; refusing it here keeps the tables simple. */
    const char *nul = memchr(in, '\0', len);
    if (nul != NULL) {
        *bad = (size_t)(nul - in);
        return TD_ENUL;
    }
    strbuf_t sb;
    strbuf_init(&sb);
    int rc;
    if (e == ENC_CP1258)
        rc = enc_cp1258(in, len, &sb, bad);
    else
        rc = legenc_decode(e == ENC_TCVN3 ? LEGENC_TCVN3 : LEGENC_VNI, in, len, &sb, bad);
    if (rc == TD_OK && strbuf_failed(&sb))
        rc = TD_ENOMEM;
    if (rc == TD_OK)
        rc = text_nfc(strbuf_str(&sb), sb.len, out, out_len);
    strbuf_free(&sb);
    return rc;
}

int enc_detect(const char *in, size_t len, enc_t *e, enc_guess_t *g)
{
    enc_guess_t spare;
    if (g == NULL)
        g = &spare;
    memset(g, 0, sizeof(*g));
    *e = ENC_AUTO;
    if (text_utf8_check(in, len, NULL) == TD_OK) {
        g->decodes[ENC_UTF8] = 1;
        *e = ENC_UTF8;
        return TD_OK;
    }
    double best = -1, second = -1;
    for (int c = ENC_CP1258; c < ENC_COUNT; c++) {
        char *text = NULL;
        size_t n = 0;
        int rc = enc_decode((enc_t)c, in, len, &text, &n, NULL);
        if (rc == TD_ENOMEM || rc == TD_EICU || rc == TD_EINTERNAL)
            return rc;
        if (rc != TD_OK)
            continue;
        viword_count_t wc;
        viword_count(text, n, &wc);
        free(text);
        g->decodes[c] = 1;
        g->words[c] = wc.words;
        g->plausible[c] = wc.plausible;
        double share = wc.words > 0 ? (double)wc.plausible / (double)wc.words : 0;
        if (share > best) {
            second = best;
            best = share;
            *e = (enc_t)c;
        } else if (share > second) {
            second = share;
        }
    }
    if (best < ENC_MIN_SHARE || best - second < ENC_MIN_LEAD) {
        *e = ENC_AUTO;
        return TD_EUNSURE;
    }
    return TD_OK;
}
