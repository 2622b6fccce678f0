/*
 * vi_words.c - a Vietnamese syllable check, small and approximate.
 *
 * The check only has to rank encodings, so it errs towards simple rules:
 * a real syllable that it refuses (a loan word, a name) costs a little
 * score in every encoding alike, and mojibake fails it almost always.
 */
#include "vi_words.h"

#include <stdint.h>
#include <string.h>

#include "utf8.h"

/* A vowel with its quality and each tone: none, huyền, hỏi, ngã, sắc, nặng. */
typedef struct {
    char base; /* the vowel in the letters of viword_vowels below */
    const char *lower[6];
    const char *upper[6];
} viword_vowel_t;

/*
 * Vowels as one byte each, so that groups compare with strcmp: the plain
 * ASCII vowels and A=ă, B=â, E=ê, O=ô, P=ơ, W=ư.
 */
static const viword_vowel_t viword_vowels[] = {
    {'a', {"a", "à", "ả", "ã", "á", "ạ"}, {"A", "À", "Ả", "Ã", "Á", "Ạ"}},
    {'A', {"ă", "ằ", "ẳ", "ẵ", "ắ", "ặ"}, {"Ă", "Ằ", "Ẳ", "Ẵ", "Ắ", "Ặ"}},
    {'B', {"â", "ầ", "ẩ", "ẫ", "ấ", "ậ"}, {"Â", "Ầ", "Ẩ", "Ẫ", "Ấ", "Ậ"}},
    {'e', {"e", "è", "ẻ", "ẽ", "é", "ẹ"}, {"E", "È", "Ẻ", "Ẽ", "É", "Ẹ"}},
    {'E', {"ê", "ề", "ể", "ễ", "ế", "ệ"}, {"Ê", "Ề", "Ể", "Ễ", "Ế", "Ệ"}},
    {'i', {"i", "ì", "ỉ", "ĩ", "í", "ị"}, {"I", "Ì", "Ỉ", "Ĩ", "Í", "Ị"}},
    {'o', {"o", "ò", "ỏ", "õ", "ó", "ọ"}, {"O", "Ò", "Ỏ", "Õ", "Ó", "Ọ"}},
    {'O', {"ô", "ồ", "ổ", "ỗ", "ố", "ộ"}, {"Ô", "Ồ", "Ổ", "Ỗ", "Ố", "Ộ"}},
    {'P', {"ơ", "ờ", "ở", "ỡ", "ớ", "ợ"}, {"Ơ", "Ờ", "Ở", "Ỡ", "Ớ", "Ợ"}},
    {'u', {"u", "ù", "ủ", "ũ", "ú", "ụ"}, {"U", "Ù", "Ủ", "Ũ", "Ú", "Ụ"}},
    {'W', {"ư", "ừ", "ử", "ữ", "ứ", "ự"}, {"Ư", "Ừ", "Ử", "Ữ", "Ứ", "Ự"}},
    {'y', {"y", "ỳ", "ỷ", "ỹ", "ý", "ỵ"}, {"Y", "Ỳ", "Ỷ", "Ỹ", "Ý", "Ỵ"}},
};

/* Vowel groups a syllable may have, in the letters above ("uPi" is ươi). */
static const char *const viword_groups[] = {
    "a", "A", "B", "e", "E", "i", "o", "O", "P", "u", "W", "y",
    "ai", "ao", "au", "ay", "Bu", "By", "eo", "Eu", "ia", "iE", "iu", "oa", "oA", "oe",
    "oi", "oo", "Oi", "Pi", "ua", "uB", "uE", "ui", "uO", "uP", "uy", "Wa", "Wi", "Wu",
    "WP", "yE", "iEu", "yEu", "oai", "oay", "oao", "oeo", "uBy", "uOi", "WPi", "WPu",
    "uyE", "uya", "uyu",
};

static const char *const viword_onsets[] = {
    "", "b", "c", "ch", "d", "D", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng",
    "ngh", "nh", "p", "ph", "qu", "r", "s", "t", "th", "tr", "v", "x",
};

static const char *const viword_codas[] = {"", "c", "ch", "m", "n", "ng", "nh", "p", "t"};

/* A letter of a word: its byte in the letters above ('D' is đ), tone, case. */
typedef struct {
    char c;
    int tone;
    int upper;
} viword_letter_t;

#define VIWORD_MAX 16 /* longer words are not syllables */

/* The letter at s (n bytes left): its length in bytes, or 0 if it is not a Vietnamese letter. */
static size_t viword_letter(const char *s, size_t n, viword_letter_t *l)
{
    unsigned char b = (unsigned char)s[0];
    if (b < 0x80) {
        if (!((b | 0x20) >= 'a' && (b | 0x20) <= 'z'))
            return 0;
        l->c = (char)(b | 0x20);
        l->tone = 0;
        l->upper = b < 'a';
        return 1;
    }
    if (n >= 2 && (memcmp(s, "đ", 2) == 0 || memcmp(s, "Đ", 2) == 0)) {
        l->c = 'D';
        l->tone = 0;
        l->upper = memcmp(s, "Đ", 2) == 0;
        return 2;
    }
    for (size_t v = 0; v < sizeof(viword_vowels) / sizeof(viword_vowels[0]); v++) {
        for (int t = 0; t < 6; t++) {
            for (int up = 0; up < 2; up++) {
                const char *u = up ? viword_vowels[v].upper[t] : viword_vowels[v].lower[t];
                size_t k = strlen(u);
                if (k > 1 && k <= n && memcmp(s, u, k) == 0) {
                    l->c = viword_vowels[v].base;
                    l->tone = t;
                    l->upper = up;
                    return k;
                }
            }
        }
    }
    return 0;
}

static int viword_is_vowel(char c)
{
    return strchr("aABeEioOPuWy", c) != NULL;
}

static int viword_in(const char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i], s) == 0)
            return 1;
    }
    return 0;
}

#define VIWORD_IN(list, s) viword_in(list, sizeof(list) / sizeof(list[0]), s)

int viword_plausible(const char *w, size_t len)
{
    char shape[VIWORD_MAX + 1];
    size_t n = 0;
    int tones = 0, lower_seen = 0;
    for (size_t i = 0; i < len;) {
        viword_letter_t l;
        size_t k = viword_letter(w + i, len - i, &l);
        if (k == 0 || n == VIWORD_MAX)
            return 0;
        if (l.upper && lower_seen)
            return 0;
        lower_seen |= !l.upper;
        tones += l.tone != 0;
        shape[n++] = l.c;
        i += k;
    }
    shape[n] = '\0';
    if (tones > 1 || n == 0)
        return 0;
    /* onset: consonants, "qu" and "gi" before another vowel */
    size_t a = 0;
    while (a < n && !viword_is_vowel(shape[a]))
        a++;
    if ((a == 1 && shape[0] == 'q' && shape[1] == 'u') ||
        (a == 1 && shape[0] == 'g' && shape[1] == 'i' && a + 1 < n && viword_is_vowel(shape[2])))
        a++;
    size_t b = a;
    while (b < n && viword_is_vowel(shape[b]))
        b++;
    char onset[8], group[8], coda[8];
    if (a >= sizeof(onset) || b - a >= sizeof(group) || n - b >= sizeof(coda) || b == a)
        return 0;
    memcpy(onset, shape, a);
    onset[a] = '\0';
    memcpy(group, shape + a, b - a);
    group[b - a] = '\0';
    memcpy(coda, shape + b, n - b);
    coda[n - b] = '\0';
    return VIWORD_IN(viword_onsets, onset) && VIWORD_IN(viword_groups, group) &&
           VIWORD_IN(viword_codas, coda);
}

/* Whether code point cp separates words: ASCII other than letters, and general punctuation. */
static int viword_separator(uint32_t cp)
{
    if (cp < 0x80)
        return !((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z');
    return cp == 0xA0 || (cp >= 0x2000 && cp <= 0x206F);
}

void viword_count(const char *s, size_t len, viword_count_t *out)
{
    memset(out, 0, sizeof(*out));
    const uint8_t *u = (const uint8_t *)s;
    size_t start = 0, i = 0;
    int wide = 0, broken = 0;
    while (i <= len) {
        uint32_t cp = ' ';
        size_t k = 1;
        if (i < len) {
            k = utf8_decode(u + i, len - i, &cp);
            if (k == 0) {
                k = 1;
                cp = 0xFFFD;
                broken = 1;
            }
        }
        if (i == len || viword_separator(cp)) {
            if (wide) {
                out->words++;
                out->plausible += !broken && viword_plausible(s + start, i - start);
            }
            wide = broken = 0;
            start = i + k;
        } else {
            wide |= cp >= 0x80;
        }
        i += k;
    }
}
