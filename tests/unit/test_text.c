/*
 * test_text.c - strict UTF-8, normalisation at the edge, Vietnamese fold keys
 * and collation (common/text.c).
 *
 * Strings are written as bytes where the form matters: "e\xcc\x82" is 'e'
 * followed by a combining circumflex (NFD), "\xc3\xaa" is the composed ê.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uclean.h>

#include "text.h"

/* ---- strict UTF-8 --------------------------------------------------------------------------- */

typedef struct {
    const char *bytes;
    size_t len;
    int rc;
    size_t offset;
} utf8_case_t;

#define CASE(lit, rc, off)                                                                         \
    {                                                                                              \
        lit, sizeof(lit) - 1, rc, off                                                              \
    }

static void test_utf8_accepts_boundaries(void **state)
{
    static const utf8_case_t good[] = {
        CASE("", TD_OK, 0),
        CASE("Nguy\xe1\xbb\x85n Th\xe1\xbb\x8b Thu\xe1\xbb\xb7", TD_OK, 0),
        CASE("\x7f", TD_OK, 0),             /* U+007F: last one-byte form */
        CASE("\xc2\x80", TD_OK, 0),         /* U+0080: first two-byte form */
        CASE("\xdf\xbf", TD_OK, 0),         /* U+07FF */
        CASE("\xe0\xa0\x80", TD_OK, 0),     /* U+0800: first three-byte form */
        CASE("\xed\x9f\xbf", TD_OK, 0),     /* U+D7FF: just below the surrogates */
        CASE("\xee\x80\x80", TD_OK, 0),     /* U+E000: just above them */
        CASE("\xef\xbf\xbd", TD_OK, 0),     /* U+FFFD */
        CASE("\xf0\x90\x80\x80", TD_OK, 0), /* U+10000: first four-byte form */
        CASE("\xf4\x8f\xbf\xbf", TD_OK, 0), /* U+10FFFF: the last code point */
    };
    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        size_t off = 99;
        assert_int_equal(text_utf8_check(good[i].bytes, good[i].len, &off), TD_OK);
        assert_int_equal(off, 99); /* untouched on success */
    }
}

static void test_utf8_rejects_with_offset(void **state)
{
    static const utf8_case_t bad[] = {
        /* overlong forms */
        CASE("ab\xc0\x80", TD_EUTF8, 2),
        CASE("\xc1\xbf", TD_EUTF8, 0),
        CASE("x\xe0\x80\x80", TD_EUTF8, 1),
        CASE("\xe0\x9f\xbf", TD_EUTF8, 0),
        CASE("xyz\xf0\x80\x80\x80", TD_EUTF8, 3),
        CASE("\xf0\x8f\xbf\xbf", TD_EUTF8, 0),
        /* UTF-16 surrogates */
        CASE("x\xed\xa0\x80", TD_EUTF8, 1),
        CASE("\xed\xbf\xbf", TD_EUTF8, 0),
        CASE("\xed\xa0\xbd\xed\xb8\x80", TD_EUTF8, 0), /* CESU-8 pair */
        /* above U+10FFFF */
        CASE("\xf4\x90\x80\x80", TD_EUTF8, 0),
        CASE("ok\xf5\x80\x80\x80", TD_EUTF8, 2),
        CASE("\xff", TD_EUTF8, 0),
        CASE("\xfe", TD_EUTF8, 0),
        /* truncated sequences, at the end and in the middle */
        CASE("a\xe1\xbb", TD_EUTF8, 1),
        CASE("\xe1\xbb\x61", TD_EUTF8, 0),
        CASE("ab\xf0\x9f\x98", TD_EUTF8, 2),
        CASE("\xc3", TD_EUTF8, 0),
        /* stray continuation bytes */
        CASE("\x80", TD_EUTF8, 0),
        CASE("Vi\xe1\xbb\x87t\xbf", TD_EUTF8, 6),
        /* embedded NUL */
        CASE("ab\0c", TD_ENUL, 2),
        CASE("\0", TD_ENUL, 0),
        /* the first problem wins */
        CASE("a\0\xff", TD_ENUL, 1),
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t off = 99;
        int rc = text_utf8_check(bad[i].bytes, bad[i].len, &off);
        if (rc != bad[i].rc || off != bad[i].offset)
            fail_msg("case %zu: rc %d offset %zu, expected rc %d offset %zu", i, rc, off, bad[i].rc,
                     bad[i].offset);
    }
}

/* ---- normalisation at the edge -------------------------------------------------------------- */

/* Normalise a literal; returns the rc and stores the output (or NULL) in *out. */
static int norm(const char *in, size_t len, unsigned flags, size_t min, size_t max, char **out,
                text_problem_t *why)
{
    text_rules_t rules = {flags, min, max};
    return text_normalize(in, len, &rules, out, NULL, why);
}

#define NORM_OK(lit, flags, expected)                                                              \
    do {                                                                                           \
        char *out_ = NULL;                                                                         \
        size_t len_ = 0;                                                                           \
        text_rules_t rules_ = {flags, 0, 0};                                                       \
        assert_int_equal(text_normalize(lit, sizeof(lit) - 1, &rules_, &out_, &len_, NULL),        \
                         TD_OK);                                                                 \
        assert_string_equal(out_, expected);                                                       \
        assert_int_equal(len_, strlen(expected));                                                  \
        free(out_);                                                                                \
    } while (0)

static void test_normalize_nfd_to_nfc(void **state)
{
    (void)state;
    /* "Nguyễn" typed fully decomposed, half decomposed, and composed: one result. */
    NORM_OK("Nguye\xcc\x82\xcc\x83n", 0, "Nguy\xe1\xbb\x85n");
    NORM_OK("Nguy\xc3\xaa\xcc\x83n", 0, "Nguy\xe1\xbb\x85n");
    NORM_OK("Nguy\xe1\xbb\x85n", 0, "Nguy\xe1\xbb\x85n");
    /* Marks typed in the other order (circumflex, then dot below) still give ệ. */
    NORM_OK("Vie\xcc\x82\xcc\xa3t", 0, "Vi\xe1\xbb\x87t");
    /* đ has no decomposition and stays as it is. */
    NORM_OK("\xc4\x90\xe1\xbb\xa9\x63", 0, "\xc4\x90\xe1\xbb\xa9\x63");
}

static void test_normalize_trims_unicode_space(void **state)
{
    (void)state;
    NORM_OK("  Lan  ", 0, "Lan");
    /* U+00A0 no-break space, U+3000 ideographic space, U+2003 em space at both ends */
    NORM_OK("\xc2\xa0\xe3\x80\x80Th\xe1\xbb\xa7y\xe2\x80\x83\xc2\xa0", 0, "Th\xe1\xbb\xa7y");
    /* inner spaces are the sender's: kept */
    NORM_OK(" L\xc3\xaa  V\xc4\x83n ", 0, "L\xc3\xaa  V\xc4\x83n");
    NORM_OK("   ", 0, "");
    NORM_OK("", 0, "");
    /* multi-line fields are trimmed of blank lines too */
    NORM_OK("\n\t d\xc3\xb2ng 1\n\n", TEXT_MULTILINE, "d\xc3\xb2ng 1");
}

static void test_normalize_multiline(void **state)
{
    (void)state;
    NORM_OK("a\r\nb\r\n\r\nc", TEXT_MULTILINE, "a\nb\n\nc");
    NORM_OK("a\rb", TEXT_MULTILINE, "a\nb");
    NORM_OK("a\xe2\x80\xa8\x62\xe2\x80\xa9\x63", TEXT_MULTILINE, "a\nb\nc");
    NORM_OK("1.\tm\xe1\xbb\x99t", TEXT_MULTILINE, "1.\tm\xe1\xbb\x99t");
}

typedef struct {
    const char *bytes;
    size_t len;
    unsigned flags;
    int rc;
    size_t index;
    uint32_t cp;
} refuse_case_t;

#define REFUSE(lit, flags, rc, index, cp)                                                          \
    {                                                                                              \
        lit, sizeof(lit) - 1, flags, rc, index, cp                                                 \
    }

static void test_normalize_refuses_characters(void **state)
{
    static const refuse_case_t cases[] = {
        REFUSE("ab\x07\x63", 0, TD_ECONTROL, 3, 0x07),
        /* positions count characters, not bytes: ệ is one character of three bytes */
        REFUSE("Vi\xe1\xbb\x87t\x01", 0, TD_ECONTROL, 5, 0x01),
        /* positions count the input as sent, before NFC and trimming */
        REFUSE("  e\xcc\x82\x1b", 0, TD_ECONTROL, 5, 0x1b),
        REFUSE("a\x7f", 0, TD_ECONTROL, 2, 0x7f),
        REFUSE("\xc2\x85", 0, TD_ECONTROL, 1, 0x85),  /* NEL, a C1 control */
        REFUSE("x\xc2\x9f", 0, TD_ECONTROL, 2, 0x9f), /* last C1 control */
        REFUSE("a\x1f", TEXT_MULTILINE, TD_ECONTROL, 2, 0x1f),
        REFUSE("a\x0b\x62", TEXT_MULTILINE, TD_ECONTROL, 2, 0x0b), /* vertical tab */
        REFUSE("a\tb", 0, TD_ECONTROL, 2, 0x09),
        /* a trailing tab is refused, not trimmed: the field may not hold tabs at all */
        REFUSE("ab\t", 0, TD_ECONTROL, 3, 0x09), REFUSE("a\nb", 0, TD_ELINEBREAK, 2, 0x0a),
        REFUSE("a\r\nb", 0, TD_ELINEBREAK, 2, 0x0d),
        REFUSE("a\xe2\x80\xa8", 0, TD_ELINEBREAK, 2, 0x2028),
        REFUSE("\xef\xbf\xbe", 0, TD_ENONCHAR, 1, 0xfffe),
        REFUSE("ab\xef\xbf\xbf", TEXT_MULTILINE, TD_ENONCHAR, 3, 0xffff),
        REFUSE("a\xef\xb7\x90", 0, TD_ENONCHAR, 2, 0xfdd0),
        REFUSE("\xf0\x9f\xbf\xbf", 0, TD_ENONCHAR, 1, 0x1ffff),
        REFUSE("abc\xe2\x80\xae\x64\x65\x66", 0, TD_EBIDI, 4,
               0x202e), /* right-to-left override */
        REFUSE("\xe2\x81\xa6"
               "x",
               0, TD_EBIDI, 1, 0x2066), /* left-to-right isolate */
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out = (char *)1;
        text_problem_t why;
        int rc = norm(cases[i].bytes, cases[i].len, cases[i].flags, 0, 0, &out, &why);
        if (rc != cases[i].rc || why.index != cases[i].index || why.cp != cases[i].cp)
            fail_msg("case %zu: rc %d index %zu cp U+%04X", i, rc, why.index, (unsigned)why.cp);
        assert_null(out);
    }
}

static void test_normalize_reports_utf8_errors(void **state)
{
    char *out = (char *)1;
    text_problem_t why;
    (void)state;
    assert_int_equal(norm("Thu\xe1\xbb\xb7 \xc0\x80", 9, 0, 0, 0, &out, &why), TD_EUTF8);
    assert_int_equal(why.offset, 7);
    assert_null(out);
    assert_int_equal(norm("Th\0y", 4, 0, 0, 0, &out, &why), TD_ENUL);
    assert_int_equal(why.offset, 2);
    /* UTF-8 is checked before characters: the byte error is reported */
    assert_int_equal(norm("\x07\xff", 2, 0, 0, 0, &out, &why), TD_EUTF8);
    assert_int_equal(why.offset, 1);
}

static void test_normalize_length_in_code_points(void **state)
{
    char *out = NULL;
    text_problem_t why;
    (void)state;
    /* "Thủy" with a combining hook is 5 code points, but 4 after NFC */
    assert_int_equal(norm("Thu\xcc\x89y", 6, 0, 1, 4, &out, &why), TD_OK);
    assert_string_equal(out, "Th\xe1\xbb\xa7y");
    free(out);
    assert_int_equal(norm("Thu\xcc\x89y", 6, 0, 1, 3, &out, &why), TD_ELONG);
    assert_int_equal(why.count, 4);
    assert_null(out);
    /* "Nguyễn" fully decomposed: 8 code points in, 6 after NFC: fits in 6 */
    assert_int_equal(norm("Nguye\xcc\x82\xcc\x83n", 10, 0, 6, 6, &out, &why), TD_OK);
    free(out);
    /* surrounding spaces do not count */
    assert_int_equal(norm("   ab   ", 8, 0, 2, 2, &out, &why), TD_OK);
    free(out);
    assert_int_equal(norm(" A ", 3, 0, 2, 10, &out, &why), TD_ESHORT);
    assert_int_equal(why.count, 1);
    assert_int_equal(norm(" \xc2\xa0 ", 4, 0, 1, 10, &out, &why), TD_EEMPTY);
    assert_int_equal(why.count, 0);
    assert_null(out);
    /* an optional field may be empty: the result is still a string to free */
    assert_int_equal(norm("  ", 2, 0, 0, 10, &out, &why), TD_OK);
    assert_string_equal(out, "");
    free(out);
}

static void test_normalize_huge_input(void **state)
{
    size_t len = (size_t)TEXT_MAX_BYTES + 1;
    char *big = malloc(len);
    char *out = (char *)1;
    text_problem_t why;
    (void)state;
    assert_non_null(big);
    memset(big, 'a', len);
    assert_int_equal(norm(big, len, 0, 0, 0, &out, &why), TD_EHUGE);
    assert_int_equal(why.count, len);
    assert_null(out);
    free(big);
}

/* ---- fold keys ------------------------------------------------------------------------------ */

static char *key_of(const char *s, int loose)
{
    char *out = NULL;
    int rc = loose ? text_fold_loose(s, strlen(s), &out) : text_fold_key(s, strlen(s), &out);
    assert_int_equal(rc, TD_OK);
    assert_non_null(out);
    return out;
}

static void assert_same_key(const char *a, const char *b, int loose)
{
    char *ka = key_of(a, loose), *kb = key_of(b, loose);
    if (strcmp(ka, kb) != 0)
        fail_msg("keys differ: \"%s\" -> \"%s\", \"%s\" -> \"%s\"", a, ka, b, kb);
    free(ka);
    free(kb);
}

static void assert_other_key(const char *a, const char *b, int loose)
{
    char *ka = key_of(a, loose), *kb = key_of(b, loose);
    if (strcmp(ka, kb) == 0)
        fail_msg("keys equal: \"%s\", \"%s\" -> \"%s\"", a, b, ka);
    free(ka);
    free(kb);
}

static void assert_key(const char *in, int loose, const char *expected)
{
    char *k = key_of(in, loose);
    assert_string_equal(k, expected);
    free(k);
}

static void test_fold_key_tone_placement(void **state)
{
    (void)state;
    assert_same_key("Th\xe1\xbb\xa7y", "Thu\xe1\xbb\xb7", 0);           /* Thủy, Thuỷ */
    assert_same_key("h\xc3\xb2\x61", "ho\xc3\xa0", 0);                  /* hòa, hoà */
    assert_same_key("Kho\xe1\xba\xbb", "Kh\xe1\xbb\x8f\x65", 0);        /* Khoẻ, Khỏe */
    assert_same_key("Qu\xe1\xbb\xb3nh", "Quy\xcc\x80nh", 0);            /* Quỳnh, NFC and NFD */
    assert_same_key("Nguy\xe1\xbb\x85n Th\xe1\xbb\x8b Thu\xe1\xbb\xb7", /* Nguyễn Thị Thuỷ */
                    "  nguy\xe1\xbb\x85n  th\xe1\xbb\x8b\tth\xe1\xbb\xa7y ", 0);
    assert_same_key("Nguye\xcc\x82\xcc\x83n", "NGUY\xe1\xbb\x84N", 0); /* NFD, upper case */
    assert_same_key("TH\xe1\xbb\xa6Y", "thu\xe1\xbb\xb7", 0);          /* THỦY */
    /* invisible characters do not split a name: soft hyphen, zero-width space */
    assert_same_key("Th\xc2\xad\xe1\xbb\xa7y", "Thu\xe2\x80\x8b\xe1\xbb\xb7", 0);

    /* documented form: the tone mark after the syllable's last letter, in NFC */
    assert_key("Th\xe1\xbb\xa7y", 0, "thu\xe1\xbb\xb7");
    assert_key("H\xc3\xb2\x61", 0, "ho\xc3\xa0");
    assert_key("Qu\xe1\xbb\xb3nh", 0, "quynh\xcc\x80");
    assert_key("Nguy\xe1\xbb\x85n", 0, "nguy\xc3\xaa\xc3\xb1");
}

static void test_fold_key_keeps_what_distinguishes(void **state)
{
    (void)state;
    assert_other_key("Th\xe1\xbb\xa7y", "Th\xe1\xbb\xa5y", 0); /* Thủy, Thụy: another tone */
    assert_other_key("Th\xe1\xbb\xa7y", "Thuy", 0);            /* a tone against none */
    assert_other_key("\xc4\x90\xe1\xbb\xa9\x63", "D\xe1\xbb\xa9\x63", 0); /* Đức, Dức */
    assert_other_key("\xc3\x82n", "An", 0);        /* Ân, An: circumflex kept */
    assert_other_key("\xc6\xa0n", "\xc3\x94n", 0); /* Ơn, Ôn */
    assert_other_key("L\xc3\xaa V\xc4\x83n", "L\xc3\xaaV\xc4\x83n", 0); /* a space is kept */
}

static void test_fold_key_is_stable_under_nfc(void **state)
{
    static const char *names[] = {"Nguy\xe1\xbb\x85n", "Qu\xe1\xbb\xb3nh",
                                  "\xc4\x90\xe1\xbb\xa9\x63",
                                  "Ho\xc3\xa0ng Th\xe1\xbb\x8b Ph\xc6\xb0\xe1\xbb\xa3ng"};
    (void)state;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char *k = key_of(names[i], 0), *again = NULL, *refold = NULL;
        assert_int_equal(text_normalize(k, strlen(k), NULL, &again, NULL, NULL), TD_OK);
        assert_string_equal(again, k);
        /* and folding a key gives the key */
        assert_int_equal(text_fold_key(k, strlen(k), &refold), TD_OK);
        assert_string_equal(refold, k);
        free(k);
        free(again);
        free(refold);
    }
}

static void test_fold_loose(void **state)
{
    (void)state;
    assert_key("Nguy\xe1\xbb\x85n Th\xe1\xbb\x8b Thu\xe1\xbb\xb7", 1, "nguyen thi thuy");
    assert_key(" \xc4\x90\xe1\xba\xb6NG  V\xc4\x82N ", 1, "dang van"); /* ĐẶNG VĂN */
    assert_key("Nguye\xcc\x82\xcc\x83n", 1, "nguyen");
    assert_same_key("\xc4\x90\xe1\xbb\xa9\x63", "D\xe1\xbb\xa5\x63", 1); /* Đức, Dục */
    assert_same_key("Th\xe1\xbb\xa7y", "THUY", 1);
    assert_other_key("Thu", "Thuy", 1);
}

static void test_fold_refuses_bad_utf8(void **state)
{
    char *out = (char *)1;
    (void)state;
    assert_int_equal(text_fold_key("a\xc0\x80", 3, &out), TD_EUTF8);
    assert_null(out);
    assert_int_equal(text_fold_loose("a\0b", 3, &out), TD_ENUL);
    assert_null(out);
}

/* ---- collation ------------------------------------------------------------------------------ */

static int by_collation(const void *a, const void *b)
{
    return text_collate(*(const char *const *)a, *(const char *const *)b);
}

static int by_given_name(const void *a, const void *b)
{
    return text_collate_given_name(*(const char *const *)a, *(const char *const *)b);
}

static void assert_order(const char *const *expected, size_t n,
                         int (*cmp)(const void *, const void *))
{
    const char **v = malloc(n * sizeof(*v));
    assert_non_null(v);
    /* start from the reverse order, so that sorting has work to do */
    for (size_t i = 0; i < n; i++)
        v[i] = expected[n - 1 - i];
    qsort(v, n, sizeof(*v), cmp);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i], expected[i]) != 0)
            fail_msg("position %zu: got \"%s\", expected \"%s\"", i, v[i], expected[i]);
    }
    free(v);
}

static void test_collate_vietnamese_order(void **state)
{
    /*
     * ["Đức", "Dung", "Ánh", "An", "Ân", "Ăn"] sorted with ICU's vi collator.
     * Letters compare first (primary level) with a < ă < â and d < đ; tones
     * only break ties (secondary). So "Ánh" (a-n-h) sorts right after "An"
     * (a-n, its prefix) and before "Ăn", whose first letter ă is greater than
     * a whatever the tones; "Dung" < "Đức" because d < đ.
     */
    static const char *const expected[] = {
        "An", "\xc3\x81nh", "\xc4\x82n", "\xc3\x82n", "Dung", "\xc4\x90\xe1\xbb\xa9\x63",
    };
    (void)state;
    assert_order(expected, sizeof(expected) / sizeof(expected[0]), by_collation);
}

static void test_collate_letters_and_tones(void **state)
{
    /* one letter per primary step: a < ă < â, d < đ, e < ê, o < ô < ơ, u < ư */
    static const char *const letters[] = {
        "a",        "\xc4\x83", "\xc3\xa2", "b",        "d", "\xc4\x91", "e",
        "\xc3\xaa", "o",        "\xc3\xb4", "\xc6\xa1", "u", "\xc6\xb0", "y",
    };
    /* tones: none, huyền, hỏi, ngã, sắc, nặng */
    static const char *const tones[] = {
        "anh", "\xc3\xa0nh", "\xe1\xba\xa3nh", "\xc3\xa3nh", "\xc3\xa1nh", "\xe1\xba\xa1nh",
    };
    (void)state;
    assert_order(letters, sizeof(letters) / sizeof(letters[0]), by_collation);
    assert_order(tones, sizeof(tones) / sizeof(tones[0]), by_collation);
    /* the letter outweighs the tone: ạ (a, nặng) < ă (no tone) */
    assert_true(text_collate("\xe1\xba\xa1", "\xc4\x83") < 0);
    /* case is the last difference, and form (NFC, NFD) none at all */
    assert_true(text_collate("anh", "Anh") < 0);
    assert_true(text_collate("Anh", "\xc3\xa0nh") < 0);
    assert_int_equal(text_collate("Nguy\xe1\xbb\x85n", "Nguye\xcc\x82\xcc\x83n"), 0);
    assert_int_equal(text_collate("", ""), 0);
    assert_true(text_collate("", "a") < 0);
}

static void test_collate_given_name(void **state)
{
    static const char *const expected[] = {
        "Tr\xe1\xba\xa7n V\xc4\x83n An",                 /* An */
        "B\xc3\xacnh",                                   /* Bình (alone: the shorter whole name) */
        "L\xc3\xaa Th\xe1\xbb\x8b B\xc3\xacnh",          /* Bình, then Lê < Nguyễn */
        "Nguy\xe1\xbb\x85n V\xc4\x83n B\xc3\xacnh",      /* Bình */
        "Ho\xc3\xa0ng Dung ",                            /* Dung (trailing space ignored) */
        "Ph\xe1\xba\xa1m Minh \xc4\x90\xe1\xbb\xa9\x63", /* Đức */
    };
    (void)state;
    assert_order(expected, sizeof(expected) / sizeof(expected[0]), by_given_name);
}

typedef struct {
    const char *s;
    uint8_t *key;
    size_t len;
} keyed_t;

static int by_key(const void *a, const void *b)
{
    const keyed_t *x = a, *y = b;
    return text_sort_key_cmp(x->key, x->len, y->key, y->len);
}

static void test_sort_keys_agree_with_collation(void **state)
{
    static const char *const names[] = {
        "An",
        "\xc3\x81nh",
        "\xc4\x82n",
        "\xc3\x82n",
        "Dung",
        "\xc4\x90\xe1\xbb\xa9\x63",
        "anh",
        "Anh",
        "\xc3\xa0nh",
        "Nguy\xe1\xbb\x85n",
        "Nguye\xcc\x82\xcc\x83n",
        "",
        "L\xc3\xaa Th\xe1\xbb\x8b B\xc3\xacnh",
        "Tr\xe1\xba\xa7n V\xc4\x83n An",
    };
    enum { N = sizeof(names) / sizeof(names[0]) };
    keyed_t k[N], g[N];
    (void)state;
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(text_sort_key(names[i], strlen(names[i]), &k[i].key, &k[i].len), TD_OK);
        assert_int_equal(text_sort_key_given_name(names[i], strlen(names[i]), &g[i].key, &g[i].len),
                         TD_OK);
        /* a plain key is one NUL-terminated byte string */
        assert_true(k[i].len >= 1);
        assert_int_equal(k[i].key[k[i].len - 1], 0);
        assert_int_equal(strlen((const char *)k[i].key), k[i].len - 1);
    }
    for (size_t i = 0; i < N; i++) {
        for (size_t j = 0; j < N; j++) {
            int c = text_collate(names[i], names[j]);
            int kc = text_sort_key_cmp(k[i].key, k[i].len, k[j].key, k[j].len);
            int sc = strcmp((const char *)k[i].key, (const char *)k[j].key);
            int gc = text_collate_given_name(names[i], names[j]);
            int gk = text_sort_key_cmp(g[i].key, g[i].len, g[j].key, g[j].len);
            if ((c > 0) != (kc > 0) || (c < 0) != (kc < 0) || (c > 0) != (sc > 0) ||
                (c < 0) != (sc < 0))
                fail_msg("key order differs for \"%s\", \"%s\"", names[i], names[j]);
            if ((gc > 0) != (gk > 0) || (gc < 0) != (gk < 0))
                fail_msg("given-name key order differs for \"%s\", \"%s\"", names[i], names[j]);
        }
    }
    for (size_t i = 0; i < N; i++) {
        k[i].s = names[i];
        g[i].s = names[i];
    }
    qsort(k, N, sizeof(k[0]), by_key);
    for (size_t i = 0; i + 1 < N; i++)
        assert_true(text_collate(k[i].s, k[i + 1].s) <= 0);
    for (size_t i = 0; i < N; i++) {
        free(k[i].key);
        free(g[i].key);
    }
}

static void test_sort_key_refuses_bad_utf8(void **state)
{
    uint8_t *key = (uint8_t *)1;
    size_t len = 1;
    (void)state;
    assert_int_equal(text_sort_key("a\xff", 2, &key, &len), TD_EUTF8);
    assert_null(key);
    assert_int_equal(len, 0);
}

/* The collator opens on first use; several threads may make that first use together. */
static void *collate_in_thread(void *arg)
{
    int *bad = arg;
    for (int i = 0; i < 200; i++) {
        if (text_collate("\xc4\x83", "\xc3\xa2") >= 0 || text_collate("d", "\xc4\x91") >= 0)
            (*bad)++;
    }
    return NULL;
}

static void test_collate_threads_and_reinit(void **state)
{
    pthread_t t[4];
    int bad[4] = {0};
    (void)state;
    text_cleanup(); /* closed: the threads race to reopen it */
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, collate_in_thread, &bad[i]), 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(bad[i], 0);
    }
    assert_int_equal(text_init(), TD_OK);
    assert_int_equal(text_init(), TD_OK);
}

static int teardown(void **state)
{
    (void)state;
    text_cleanup();
    u_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_accepts_boundaries),
        cmocka_unit_test(test_utf8_rejects_with_offset),
        cmocka_unit_test(test_normalize_nfd_to_nfc),
        cmocka_unit_test(test_normalize_trims_unicode_space),
        cmocka_unit_test(test_normalize_multiline),
        cmocka_unit_test(test_normalize_refuses_characters),
        cmocka_unit_test(test_normalize_reports_utf8_errors),
        cmocka_unit_test(test_normalize_length_in_code_points),
        cmocka_unit_test(test_normalize_huge_input),
        cmocka_unit_test(test_fold_key_tone_placement),
        cmocka_unit_test(test_fold_key_keeps_what_distinguishes),
        cmocka_unit_test(test_fold_key_is_stable_under_nfc),
        cmocka_unit_test(test_fold_loose),
        cmocka_unit_test(test_fold_refuses_bad_utf8),
        cmocka_unit_test(test_collate_vietnamese_order),
        cmocka_unit_test(test_collate_letters_and_tones),
        cmocka_unit_test(test_collate_given_name),
        cmocka_unit_test(test_sort_keys_agree_with_collation),
        cmocka_unit_test(test_sort_key_refuses_bad_utf8),
        cmocka_unit_test(test_collate_threads_and_reinit),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
