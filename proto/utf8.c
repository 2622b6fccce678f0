/*
 * utf8.c - strict UTF-8 validation (see utf8.h for what "strict" means).
 *
 * Wire strings are mostly ASCII with Vietnamese letters in between, so the
 * loop skips eight ASCII bytes at a time and decodes the rest one sequence
 * at a time against the ranges of Unicode's table 3-7, which rules out
 * overlong forms and surrogates by construction. The decoder is public
 * (utf8_decode) because common/text.c walks text by code point with it:
 * one decoder for the wire and for the text rules.
 */
#include "utf8.h"

#include <string.h>

/* True when none of the 8 bytes at p has its high bit set. */
static int utf8_ascii8(const uint8_t *p)
{
    uint64_t w;

    memcpy(&w, p, sizeof(w));
    return (w & UINT64_C(0x8080808080808080)) == 0;
}

static int utf8_cont(uint8_t b)
{
    return (b & 0xC0) == 0x80;
}

size_t utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
    uint8_t b0 = s[0];
    uint8_t lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    size_t len;
    uint32_t v;

    if (b0 < 0x80) {
        *cp = b0;
        return 1;
    }
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2;
        v = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3;
        v = b0 & 0x0F;
        if (b0 == 0xE0)
            lo = 0xA0; /* below: overlong */
        else if (b0 == 0xED)
            hi = 0x9F; /* above: surrogates */
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4;
        v = b0 & 0x07;
        if (b0 == 0xF0)
            lo = 0x90; /* below: overlong */
        else if (b0 == 0xF4)
            hi = 0x8F; /* above: beyond U+10FFFF */
    } else {
        return 0; /* continuation byte, C0/C1 (overlong), F5..FF */
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    v = (v << 6) | (s[1] & 0x3F);
    for (size_t i = 2; i < len; i++) {
        if (!utf8_cont(s[i]))
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    *cp = v;
    return len;
}

int utf8_check(const uint8_t *s, size_t len, size_t *bad_at)
{
    size_t i = 0;

    while (i < len) {
        if (len - i >= 8 && utf8_ascii8(s + i)) {
            i += 8;
            continue;
        }
        uint32_t cp;
        size_t n = utf8_decode(s + i, len - i, &cp);
        if (n == 0) {
            if (bad_at != NULL)
                *bad_at = i;
            return -1;
        }
        i += n;
    }
    return 0;
}
