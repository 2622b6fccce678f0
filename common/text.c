/*
 * text.c - Unicode text at the edge: strict UTF-8, NFC, Vietnamese fold keys
 * and collation.
 *
 * Our own UTF-8 decoder (proto/utf8.c, shared with the wire) does the
 * checking, because the errors must say where the input went wrong (ICU's
 * converters substitute or stop without an offset); ICU does the Unicode work proper: normalisation (unorm2), case
 * mapping, character properties and the Vietnamese collator. Work happens in
 * UTF-16 buffers, ICU's native form, and results go back to UTF-8.
 *
 * The collator is opened once and shared: ICU allows concurrent use of a
 * UCollator through its const functions (ucol_strcoll*, ucol_getSortKey).
 */
#include "text.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#include <unicode/uchar.h>
#include <unicode/ucasemap.h>
#include <unicode/ucol.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

/* ---- UTF-8 ---------------------------------------------------------------------------------- */

int text_utf8_check(const char *s, size_t len, size_t *bad_offset)
{
    size_t bad = len;
    int rc = utf8_check((const uint8_t *)s, len, &bad) == 0 ? TD_OK : TD_EUTF8;
    /* NUL is well-formed UTF-8 but no text holds it: the first fault wins. */
    const char *nul = bad > 0 ? memchr(s, '\0', bad) : NULL;

    if (nul != NULL) {
        bad = (size_t)(nul - s);
        rc = TD_ENUL;
    }
    if (rc != TD_OK && bad_offset)
        *bad_offset = bad;
    return rc;
}

/* ---- ICU helpers on UTF-16 buffers ---------------------------------------------------------- */

/* Valid UTF-8 (checked by the caller) to a new UTF-16 buffer; *n is its length in units. */
static int to_utf16(const char *in, size_t len, UChar **out, int32_t *n)
{
    UErrorCode st = U_ZERO_ERROR;
    /* UTF-16 never needs more units than UTF-8 needs bytes. */
    UChar *buf = malloc((len + 1) * sizeof(UChar));

    if (buf == NULL)
        return TD_ENOMEM;
    u_strFromUTF8(buf, (int32_t)len + 1, n, in, (int32_t)len, &st);
    if (U_FAILURE(st)) {
        free(buf);
        return TD_EICU;
    }
    *out = buf;
    return TD_OK;
}

/* UTF-16 to a new NUL-terminated UTF-8 string. */
static int to_utf8(const UChar *src, int32_t n, char **out, size_t *out_len)
{
    UErrorCode st = U_ZERO_ERROR;
    int32_t need = 0;
    char *buf;

    u_strToUTF8(NULL, 0, &need, src, n, &st);
    if (st != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st))
        return TD_EICU;
    buf = malloc((size_t)need + 1);
    if (buf == NULL)
        return TD_ENOMEM;
    st = U_ZERO_ERROR;
    u_strToUTF8(buf, need + 1, NULL, src, n, &st);
    if (U_FAILURE(st)) {
        free(buf);
        return TD_EICU;
    }
    *out = buf;
    if (out_len)
        *out_len = (size_t)need;
    return TD_OK;
}

/*
 * Apply a normaliser (NFC or NFD) into a new buffer. Composition shrinks and
 * decomposition grows text by a bounded factor; a first guess fits nearly
 * always, and ICU tells the exact size when it does not.
 */
static int normalize(const UNormalizer2 *norm, const UChar *src, int32_t n, UChar **out,
                     int32_t *out_n)
{
    int32_t cap = n + n / 2 + 16;

    for (int attempt = 0; attempt < 2; attempt++) {
        UErrorCode st = U_ZERO_ERROR;
        UChar *buf = malloc((size_t)cap * sizeof(UChar));
        int32_t got;

        if (buf == NULL)
            return TD_ENOMEM;
        got = unorm2_normalize(norm, src, n, buf, cap, &st);
        if (U_SUCCESS(st)) {
            *out = buf;
            *out_n = got;
            return TD_OK;
        }
        free(buf);
        if (st != U_BUFFER_OVERFLOW_ERROR)
            return TD_EICU;
        cap = got + 1;
    }
    return TD_EICU;
}

static int lowercase(const UChar *src, int32_t n, UChar **out, int32_t *out_n)
{
    int32_t cap = n + 16;

    for (int attempt = 0; attempt < 2; attempt++) {
        UErrorCode st = U_ZERO_ERROR;
        UChar *buf = malloc((size_t)cap * sizeof(UChar));
        int32_t got;

        if (buf == NULL)
            return TD_ENOMEM;
        got = u_strToLower(buf, cap, src, n, "vi", &st);
        if (U_SUCCESS(st)) {
            *out = buf;
            *out_n = got;
            return TD_OK;
        }
        free(buf);
        if (st != U_BUFFER_OVERFLOW_ERROR)
            return TD_EICU;
        cap = got + 1;
    }
    return TD_EICU;
}

/* ---- normalisation at the edge -------------------------------------------------------------- */

static int is_noncharacter(uint32_t cp)
{
    return (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;
}

/* Embeddings, overrides and isolates: they reorder what a reader sees ("Trojan Source"). */
static int is_bidi_control(uint32_t cp)
{
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * Decode checked UTF-8 into dst (room for len units), refusing what a text
 * field may not hold and turning line breaks into '\n' for multi-line fields.
 * Character positions in *why count the input as received, from 1.
 */
static int decode_field(const char *in, size_t len, unsigned flags, UChar *dst, int32_t *dst_n,
                        text_problem_t *why)
{
    const unsigned char *u = (const unsigned char *)in;
    const int multiline = (flags & TEXT_MULTILINE) != 0;
    size_t i = 0, index = 0;
    int32_t o = 0;

    while (i < len) {
        uint32_t cp = 0;
        int rc = TD_OK;

        i += utf8_decode(u + i, len - i, &cp); /* cannot fail: checked before */
        index++;
        if (cp == '\r' || cp == '\n' || cp == 0x2028 || cp == 0x2029) {
            if (!multiline) {
                rc = TD_ELINEBREAK;
            } else {
                if (cp == '\r' && i < len && u[i] == '\n') {
                    i++;
                    index++;
                }
                cp = '\n';
            }
        } else if (cp == '\t') {
            if (!multiline)
                rc = TD_ECONTROL;
        } else if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
            rc = TD_ECONTROL;
        } else if (is_noncharacter(cp)) {
            rc = TD_ENONCHAR;
        } else if (is_bidi_control(cp)) {
            rc = TD_EBIDI;
        }
        if (rc != TD_OK) {
            why->index = index;
            why->cp = cp;
            return rc;
        }
        U16_APPEND_UNSAFE(dst, o, cp);
    }
    *dst_n = o;
    return TD_OK;
}

/* Shrink [*b, *e) of s to leave out Unicode white space at both ends. */
static void trim_utf16(const UChar *s, int32_t *b, int32_t *e)
{
    while (*b < *e) {
        int32_t i = *b;
        UChar32 c;
        U16_NEXT(s, i, *e, c);
        if (!u_isUWhiteSpace(c))
            break;
        *b = i;
    }
    while (*e > *b) {
        int32_t i = *e;
        UChar32 c;
        U16_PREV(s, *b, i, c);
        if (!u_isUWhiteSpace(c))
            break;
        *e = i;
    }
}

int text_normalize(const char *in, size_t len, const text_rules_t *rules, char **out,
                   size_t *out_len, text_problem_t *why)
{
    static const text_rules_t no_rules = {0, 0, 0};
    text_problem_t spare;
    UChar *raw = NULL, *nfc = NULL;
    int32_t raw_n = 0, nfc_n = 0, b, e;
    size_t count;
    UErrorCode st = U_ZERO_ERROR;
    const UNormalizer2 *norm;
    int rc;

    *out = NULL;
    if (why == NULL)
        why = &spare;
    memset(why, 0, sizeof(*why));
    if (rules == NULL)
        rules = &no_rules;
    if (len > TEXT_MAX_BYTES) {
        why->count = len;
        return TD_EHUGE;
    }
    rc = text_utf8_check(in, len, &why->offset);
    if (rc != TD_OK)
        return rc;
    norm = unorm2_getNFCInstance(&st);
    if (U_FAILURE(st))
        return TD_EICU;

    raw = malloc((len + 1) * sizeof(UChar));
    if (raw == NULL)
        return TD_ENOMEM;
    rc = decode_field(in, len, rules->flags, raw, &raw_n, why);
    if (rc == TD_OK)
        rc = normalize(norm, raw, raw_n, &nfc, &nfc_n);
    free(raw);
    if (rc != TD_OK)
        return rc;

    b = 0;
    e = nfc_n;
    trim_utf16(nfc, &b, &e);
    count = (size_t)u_countChar32(nfc + b, e - b);
    why->count = count;
    if (count == 0 && rules->min_chars > 0)
        rc = TD_EEMPTY;
    else if (count < rules->min_chars)
        rc = TD_ESHORT;
    else if (rules->max_chars > 0 && count > rules->max_chars)
        rc = TD_ELONG;
    if (rc == TD_OK)
        rc = to_utf8(nfc + b, e - b, out, out_len);
    free(nfc);
    return rc;
}

/*
 * A whole decoded file to NFC: no field rules here (the importer applies them
 * per cell), only the bound that keeps ICU's int32 lengths safe.
 */
int text_nfc(const char *in, size_t len, char **out, size_t *out_len)
{
    UErrorCode st = U_ZERO_ERROR;
    UChar *u16 = NULL, *nfc = NULL;
    int32_t u16_n = 0, nfc_n = 0;
    int rc;

    *out = NULL;
    if (len > TEXT_NFC_MAX_BYTES)
        return TD_EHUGE;
    rc = text_utf8_check(in, len, NULL);
    if (rc != TD_OK)
        return rc;
    const UNormalizer2 *norm = unorm2_getNFCInstance(&st);
    if (U_FAILURE(st))
        return TD_EICU;
    rc = to_utf16(in, len, &u16, &u16_n);
    if (rc == TD_OK)
        rc = normalize(norm, u16, u16_n, &nfc, &nfc_n);
    free(u16);
    if (rc == TD_OK)
        rc = to_utf8(nfc, nfc_n, out, out_len);
    free(nfc);
    return rc;
}

/* ---- fold keys ------------------------------------------------------------------------------ */

/* The five Vietnamese tone marks, once decomposed, in the order a key lists them. */
static const UChar32 tone_marks[] = {
    0x0300, /* huyền: grave */
    0x0301, /* sắc: acute */
    0x0303, /* ngã: tilde */
    0x0309, /* hỏi: hook above */
    0x0323, /* nặng: dot below */
};

static int tone_slot(UChar32 c)
{
    for (size_t k = 0; k < THIDUA_ARRAY_LEN(tone_marks); k++) {
        if (tone_marks[k] == c)
            return (int)k;
    }
    return -1;
}

/* Append the tone marks counted for the syllable that just ended, and reset the counts. */
static void flush_tones(size_t *tones, UChar *dst, int32_t *o)
{
    for (size_t k = 0; k < THIDUA_ARRAY_LEN(tone_marks); k++) {
        for (; tones[k] > 0; tones[k]--)
            U16_APPEND_UNSAFE(dst, *o, tone_marks[k]);
    }
}

/*
 * Build a key from lowercase NFD text. dst has room for n units: the key
 * never grows, as tone marks only move and the rest is kept or dropped.
 * Counting tone marks per syllable (rather than storing them) keeps the
 * memory bounded whatever the input stacks on one letter.
 */
static int32_t fold_nfd(const UChar *s, int32_t n, int loose, UChar *dst)
{
    size_t tones[THIDUA_ARRAY_LEN(tone_marks)] = {0};
    int pending_space = 0;
    int32_t i = 0, o = 0;

    while (i < n) {
        UChar32 c;

        U16_NEXT(s, i, n, c);
        if (u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT))
            continue;
        if (u_isUWhiteSpace(c)) {
            flush_tones(tones, dst, &o);
            pending_space = o > 0;
            continue;
        }
        /* A syllable is a run of letters and marks: anything else ends it. */
        if ((U_GET_GC_MASK(c) & (U_GC_L_MASK | U_GC_M_MASK)) == 0)
            flush_tones(tones, dst, &o);
        if (pending_space) {
            dst[o++] = ' ';
            pending_space = 0;
        }
        if (loose) {
            if (u_charType(c) == U_NON_SPACING_MARK)
                continue;
            if (c == 0x0111) /* đ, which has no decomposition */
                c = 'd';
        } else {
            int k = tone_slot(c);
            if (k >= 0) {
                tones[k]++;
                continue;
            }
        }
        U16_APPEND_UNSAFE(dst, o, c);
    }
    flush_tones(tones, dst, &o);
    return o;
}

static int fold(const char *in, size_t len, int loose, char **out)
{
    UErrorCode st = U_ZERO_ERROR;
    const UNormalizer2 *nfd, *nfc;
    UChar *raw = NULL, *lower = NULL, *dec = NULL, *key = NULL, *comp = NULL;
    int32_t raw_n = 0, lower_n = 0, dec_n = 0, comp_n = 0;
    int rc;

    *out = NULL;
    if (len > TEXT_MAX_BYTES)
        return TD_EHUGE;
    rc = text_utf8_check(in, len, NULL);
    if (rc != TD_OK)
        return rc;
    nfd = unorm2_getNFDInstance(&st);
    nfc = unorm2_getNFCInstance(&st);
    if (U_FAILURE(st))
        return TD_EICU;

    /* Lowercase first: case mapping may leave text that is no longer NFD. */
    rc = to_utf16(in, len, &raw, &raw_n);
    if (rc == TD_OK)
        rc = lowercase(raw, raw_n, &lower, &lower_n);
    if (rc == TD_OK)
        rc = normalize(nfd, lower, lower_n, &dec, &dec_n);
    if (rc == TD_OK) {
        key = malloc(((size_t)dec_n + 1) * sizeof(UChar));
        if (key == NULL)
            rc = TD_ENOMEM;
    }
    if (rc == TD_OK) {
        int32_t key_n = fold_nfd(dec, dec_n, loose, key);
        /* NFC, so that normalising the key again (e.g. at a receiving edge) leaves it as it is. */
        rc = normalize(nfc, key, key_n, &comp, &comp_n);
    }
    if (rc == TD_OK)
        rc = to_utf8(comp, comp_n, out, NULL);
    free(raw);
    free(lower);
    free(dec);
    free(key);
    free(comp);
    return rc;
}

int text_fold_key(const char *in, size_t len, char **out)
{
    return fold(in, len, 0, out);
}

int text_fold_loose(const char *in, size_t len, char **out)
{
    return fold(in, len, 1, out);
}

/* ---- collation ------------------------------------------------------------------------------ */

/* Opened by text_init(), closed by text_cleanup(); readers load it without the lock. */
static _Atomic(UCollator *) text_coll;
static pthread_mutex_t text_coll_lock = PTHREAD_MUTEX_INITIALIZER;

int text_init(void)
{
    int rc = TD_OK;

    if (pthread_mutex_lock(&text_coll_lock) != 0)
        return TD_EICU;
    if (atomic_load_explicit(&text_coll, memory_order_relaxed) == NULL) {
        UErrorCode st = U_ZERO_ERROR;
        UCollator *c = ucol_open("vi", &st);
        /* Without the "vi" tailoring ICU falls back to root order: that is a failure here. */
        if (U_FAILURE(st) || st == U_USING_DEFAULT_WARNING) {
            ucol_close(c);
            rc = TD_EICU;
        } else {
            /* Input is NFC when it came through text_normalize, but keys must not depend on it. */
            ucol_setAttribute(c, UCOL_NORMALIZATION_MODE, UCOL_ON, &st);
            if (U_FAILURE(st)) {
                ucol_close(c);
                rc = TD_EICU;
            } else {
                atomic_store_explicit(&text_coll, c, memory_order_release);
            }
        }
    }
    pthread_mutex_unlock(&text_coll_lock);
    return rc;
}

void text_cleanup(void)
{
    if (pthread_mutex_lock(&text_coll_lock) != 0)
        return;
    ucol_close(atomic_exchange_explicit(&text_coll, NULL, memory_order_acq_rel));
    pthread_mutex_unlock(&text_coll_lock);
}

static const UCollator *collator(void)
{
    UCollator *c = atomic_load_explicit(&text_coll, memory_order_acquire);

    if (c != NULL)
        return c;
    if (text_init() != TD_OK)
        return NULL;
    return atomic_load_explicit(&text_coll, memory_order_acquire);
}

/* Byte order, for when ICU is unusable: a stable order rather than none. */
static int bytes_cmp(const char *a, size_t a_len, const char *b, size_t b_len)
{
    int r = memcmp(a, b, a_len < b_len ? a_len : b_len);

    if (r != 0)
        return r < 0 ? -1 : 1;
    return a_len < b_len ? -1 : a_len > b_len;
}

static int collate_n(const char *a, size_t a_len, const char *b, size_t b_len)
{
    const UCollator *c = collator();
    UErrorCode st = U_ZERO_ERROR;
    UCollationResult r;

    if (c == NULL || a_len > TEXT_MAX_BYTES || b_len > TEXT_MAX_BYTES)
        return bytes_cmp(a, a_len, b, b_len);
    r = ucol_strcollUTF8(c, a, (int32_t)a_len, b, (int32_t)b_len, &st);
    if (U_FAILURE(st))
        return bytes_cmp(a, a_len, b, b_len);
    return r == UCOL_LESS ? -1 : r == UCOL_GREATER;
}

int text_collate(const char *a, const char *b)
{
    return collate_n(a, strlen(a), b, strlen(b));
}

/*
 * The last word of s[0..len): after trailing white space is skipped, the
 * bytes after the last white space character. Bytes that are not valid
 * UTF-8 count as part of a word.
 */
static void last_word(const char *s, size_t len, size_t *start, size_t *word_len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, word = 0, end = 0;
    int in_space = 1;

    while (i < len) {
        uint32_t cp = 0;
        size_t n = utf8_decode(u + i, len - i, &cp);
        int space = n > 0 && u_isUWhiteSpace((UChar32)cp);

        if (n == 0)
            n = 1;
        if (!space) {
            if (in_space)
                word = i;
            end = i + n;
        }
        in_space = space;
        i += n;
    }
    *start = word;
    *word_len = end - word;
}

int text_collate_given_name(const char *a, const char *b)
{
    size_t a_len = strlen(a), b_len = strlen(b);
    size_t a_at, a_word, b_at, b_word;
    int r;

    last_word(a, a_len, &a_at, &a_word);
    last_word(b, b_len, &b_at, &b_word);
    r = collate_n(a + a_at, a_word, b + b_at, b_word);
    if (r != 0)
        return r;
    return collate_n(a, a_len, b, b_len);
}

/* Sort key of s[0..len) appended to the buffer *key of *key_len bytes (grown with realloc). */
static int append_sort_key(const UCollator *c, const char *s, size_t len, uint8_t **key,
                           size_t *key_len)
{
    UChar *u = NULL;
    int32_t n, need;
    uint8_t *grown;
    int rc;

    if (len > TEXT_MAX_BYTES)
        return TD_EHUGE;
    rc = text_utf8_check(s, len, NULL);
    if (rc != TD_OK)
        return rc;
    rc = to_utf16(s, len, &u, &n);
    if (rc != TD_OK)
        return rc;
    need = ucol_getSortKey(c, u, n, NULL, 0);
    if (need <= 0) {
        free(u);
        return TD_EICU;
    }
    grown = realloc(*key, *key_len + (size_t)need);
    if (grown == NULL) {
        free(u);
        return TD_ENOMEM;
    }
    *key = grown;
    if (ucol_getSortKey(c, u, n, grown + *key_len, need) != need) {
        free(u);
        return TD_EICU;
    }
    *key_len += (size_t)need;
    free(u);
    return TD_OK;
}

int text_sort_key(const char *s, size_t len, uint8_t **key, size_t *key_len)
{
    const UCollator *c = collator();
    int rc;

    *key = NULL;
    *key_len = 0;
    if (c == NULL)
        return TD_EICU;
    rc = append_sort_key(c, s, len, key, key_len);
    if (rc != TD_OK) {
        free(*key);
        *key = NULL;
        *key_len = 0;
    }
    return rc;
}

/*
 * The given name's key, its final 0 included, then the whole name's key.
 * Since a key holds no 0 byte before its end, two such keys first differ
 * inside their given-name parts unless those are equal: byte order is then
 * (given name, whole name) order.
 */
int text_sort_key_given_name(const char *s, size_t len, uint8_t **key, size_t *key_len)
{
    const UCollator *c = collator();
    size_t at, word;
    int rc;

    *key = NULL;
    *key_len = 0;
    if (c == NULL)
        return TD_EICU;
    last_word(s, len, &at, &word);
    rc = append_sort_key(c, s + at, word, key, key_len);
    if (rc == TD_OK)
        rc = append_sort_key(c, s, len, key, key_len);
    if (rc != TD_OK) {
        free(*key);
        *key = NULL;
        *key_len = 0;
    }
    return rc;
}

int text_sort_key_cmp(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
    return bytes_cmp((const char *)a, a_len, (const char *)b, b_len);
}

int text_upper(const char *in, size_t len, char **out)
{
    *out = NULL;
    if (len > INT32_MAX / 4)
        return TD_EHUGE;
    UErrorCode status = U_ZERO_ERROR;
    UCaseMap *map = ucasemap_open("vi", 0, &status);
    if (U_FAILURE(status))
        return TD_EICU;
    /* One pass to measure, one to write: uppercase may be longer than its input. */
    int32_t need = ucasemap_utf8ToUpper(map, NULL, 0, in, (int32_t)len, &status);
    if (status != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(status)) {
        ucasemap_close(map);
        return status == U_INVALID_CHAR_FOUND || status == U_ILLEGAL_CHAR_FOUND ? TD_EUTF8 : TD_EICU;
    }
    char *buf = malloc((size_t)need + 1);
    if (buf == NULL) {
        ucasemap_close(map);
        return TD_ENOMEM;
    }
    status = U_ZERO_ERROR;
    ucasemap_utf8ToUpper(map, buf, need + 1, in, (int32_t)len, &status);
    ucasemap_close(map);
    if (U_FAILURE(status)) {
        free(buf);
        return TD_EICU;
    }
    buf[need] = '\0';
    *out = buf;
    return TD_OK;
}
