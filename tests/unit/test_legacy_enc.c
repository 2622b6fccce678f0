/*
 * test_legacy_enc.c - the TCVN3 and VNI tables against the published ones.
 *
 * TCVN3 is checked byte by byte against glibc's TCVN5712-1 converter, an
 * implementation of the same standard that shares nothing with ours; VNI
 * against its chart, copied below as the chart prints it (each letter as the
 * Windows-1252 characters a VNI font shows), written out in hex. Both must
 * give every Vietnamese letter, in both cases, with all five tones, and đ/Đ.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <unicode/uclean.h>

#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "legacy_enc.h"
#include "strbuf.h"
#include "text.h"

/* Every Vietnamese vowel letter: twelve vowels, no tone then the five, small then capital. */
static const char *const vowels[12][2][6] = {
    {{"a", "à", "ả", "ã", "á", "ạ"}, {"A", "À", "Ả", "Ã", "Á", "Ạ"}},
    {{"ă", "ằ", "ẳ", "ẵ", "ắ", "ặ"}, {"Ă", "Ằ", "Ẳ", "Ẵ", "Ắ", "Ặ"}},
    {{"â", "ầ", "ẩ", "ẫ", "ấ", "ậ"}, {"Â", "Ầ", "Ẩ", "Ẫ", "Ấ", "Ậ"}},
    {{"e", "è", "ẻ", "ẽ", "é", "ẹ"}, {"E", "È", "Ẻ", "Ẽ", "É", "Ẹ"}},
    {{"ê", "ề", "ể", "ễ", "ế", "ệ"}, {"Ê", "Ề", "Ể", "Ễ", "Ế", "Ệ"}},
    {{"i", "ì", "ỉ", "ĩ", "í", "ị"}, {"I", "Ì", "Ỉ", "Ĩ", "Í", "Ị"}},
    {{"o", "ò", "ỏ", "õ", "ó", "ọ"}, {"O", "Ò", "Ỏ", "Õ", "Ó", "Ọ"}},
    {{"ô", "ồ", "ổ", "ỗ", "ố", "ộ"}, {"Ô", "Ồ", "Ổ", "Ỗ", "Ố", "Ộ"}},
    {{"ơ", "ờ", "ở", "ỡ", "ớ", "ợ"}, {"Ơ", "Ờ", "Ở", "Ỡ", "Ớ", "Ợ"}},
    {{"u", "ù", "ủ", "ũ", "ú", "ụ"}, {"U", "Ù", "Ủ", "Ũ", "Ú", "Ụ"}},
    {{"ư", "ừ", "ử", "ữ", "ứ", "ự"}, {"Ư", "Ừ", "Ử", "Ữ", "Ứ", "Ự"}},
    {{"y", "ỳ", "ỷ", "ỹ", "ý", "ỵ"}, {"Y", "Ỳ", "Ỷ", "Ỹ", "Ý", "Ỵ"}},
};

/* in (len bytes) decoded; the caller frees. NULL when the decoder refused it. */
static char *decode(legenc_t e, const char *in, size_t len, size_t *bad)
{
    strbuf_t sb;
    strbuf_init(&sb);
    int rc = legenc_decode(e, in, len, &sb, bad);
    if (rc != TD_OK) {
        strbuf_free(&sb);
        return NULL;
    }
    char *s = strdup(strbuf_str(&sb));
    strbuf_free(&sb);
    return s;
}

/* One byte through glibc's TCVN5712-1; "" when it has no character there. */
static void glibc_tcvn(unsigned char b, char out[8])
{
    iconv_t cd = iconv_open("UTF-8", "TCVN5712-1");
    assert_true(cd != (iconv_t)-1);
    char in[1] = {(char)b};
    char *src = in, *dst = out;
    size_t left = 1, room = 7;
    if (iconv(cd, &src, &left, &dst, &room) == (size_t)-1)
        dst = out;
    else
        (void)iconv(cd, NULL, NULL, &dst, &room); /* a letter held back for a tone */
    *dst = '\0';
    iconv_close(cd);
}

static void test_tcvn3_matches_glibc_byte_by_byte(void **state)
{
    (void)state;
    int compared = 0;
    for (unsigned b = 1; b < 256; b++) {
        char want[8];
        glibc_tcvn((unsigned char)b, want);
        char in[1] = {(char)b};
        size_t bad = 99;
        char *got = decode(LEGENC_TCVN3, in, 1, &bad);
        if (want[0] == '\0') {
            assert_null(got);
            assert_int_equal(bad, 0);
            continue;
        }
        if (got == NULL)
            fail_msg("byte 0x%02X: refused, glibc says %s", b, want);
        if (strcmp(got, want) != 0)
            fail_msg("byte 0x%02X: %s, glibc says %s", b, got, want);
        free(got);
        compared++;
    }
    assert_int_equal(compared, 255);
}

static void test_tcvn3_has_every_letter(void **state)
{
    (void)state;
    char all[256];
    for (unsigned b = 1; b < 256; b++)
        all[b - 1] = (char)b;
    /* Every byte but NUL decodes; collect what they make. */
    char *text = decode(LEGENC_TCVN3, all, 255, NULL);
    assert_non_null(text);
    for (size_t v = 0; v < 12; v++) {
        for (int up = 0; up < 2; up++) {
            for (int t = 0; t < 6; t++) {
                if (strstr(text, vowels[v][up][t]) == NULL)
                    fail_msg("TCVN3 has no %s", vowels[v][up][t]);
            }
        }
    }
    assert_non_null(strstr(text, "đ"));
    assert_non_null(strstr(text, "Đ"));
    free(text);
}

static void test_tcvn3_lines(void **state)
{
    (void)state;
    /* Lines as the TCVN 5712:1993 table spells them. */
    static const struct {
        const char *bytes, *utf8;
    } lines[] = {
        {"Nguy\xd4n Th\xde Thu\xfb", "Nguyễn Thị Thuỷ"},
        {"\xa7\xc6ng V\xa8n H\xefng, Tr\xadng \xab", "Đặng Văn Hùng, Trưng ô"},
        {"Gi\xb8o vi\xaan d\xb9y gi\xe1i", "Giáo viên dạy giỏi"},
        {"\xa2U C\xa4 \x95", "ÂU CÔ Ó"},
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        char *got = decode(LEGENC_TCVN3, lines[i].bytes, strlen(lines[i].bytes), NULL);
        assert_non_null(got);
        assert_string_equal(got, lines[i].utf8);
        free(got);
    }
}

/* The VNI chart: each letter and its bytes (base letter, then the mark byte). */
static const struct {
    const char *utf8, *vni;
} vni_chart[] = {
    {"a", "\x61"},
    {"à", "\x61\xf8"},
    {"ả", "\x61\xfb"},
    {"ã", "\x61\xf5"},
    {"á", "\x61\xf9"},
    {"ạ", "\x61\xef"},
    {"A", "\x41"},
    {"À", "\x41\xd8"},
    {"Ả", "\x41\xdb"},
    {"Ã", "\x41\xd5"},
    {"Á", "\x41\xd9"},
    {"Ạ", "\x41\xcf"},
    {"ă", "\x61\xea"},
    {"ằ", "\x61\xe8"},
    {"ẳ", "\x61\xfa"},
    {"ẵ", "\x61\xfc"},
    {"ắ", "\x61\xe9"},
    {"ặ", "\x61\xeb"},
    {"Ă", "\x41\xca"},
    {"Ằ", "\x41\xc8"},
    {"Ẳ", "\x41\xda"},
    {"Ẵ", "\x41\xdc"},
    {"Ắ", "\x41\xc9"},
    {"Ặ", "\x41\xcb"},
    {"â", "\x61\xe2"},
    {"ầ", "\x61\xe0"},
    {"ẩ", "\x61\xe5"},
    {"ẫ", "\x61\xe3"},
    {"ấ", "\x61\xe1"},
    {"ậ", "\x61\xe4"},
    {"Â", "\x41\xc2"},
    {"Ầ", "\x41\xc0"},
    {"Ẩ", "\x41\xc5"},
    {"Ẫ", "\x41\xc3"},
    {"Ấ", "\x41\xc1"},
    {"Ậ", "\x41\xc4"},
    {"e", "\x65"},
    {"è", "\x65\xf8"},
    {"ẻ", "\x65\xfb"},
    {"ẽ", "\x65\xf5"},
    {"é", "\x65\xf9"},
    {"ẹ", "\x65\xef"},
    {"E", "\x45"},
    {"È", "\x45\xd8"},
    {"Ẻ", "\x45\xdb"},
    {"Ẽ", "\x45\xd5"},
    {"É", "\x45\xd9"},
    {"Ẹ", "\x45\xcf"},
    {"ê", "\x65\xe2"},
    {"ề", "\x65\xe0"},
    {"ể", "\x65\xe5"},
    {"ễ", "\x65\xe3"},
    {"ế", "\x65\xe1"},
    {"ệ", "\x65\xe4"},
    {"Ê", "\x45\xc2"},
    {"Ề", "\x45\xc0"},
    {"Ể", "\x45\xc5"},
    {"Ễ", "\x45\xc3"},
    {"Ế", "\x45\xc1"},
    {"Ệ", "\x45\xc4"},
    {"i", "\x69"},
    {"ì", "\xec"},
    {"ỉ", "\xe6"},
    {"ĩ", "\xf3"},
    {"í", "\xed"},
    {"ị", "\xf2"},
    {"I", "\x49"},
    {"Ì", "\xcc"},
    {"Ỉ", "\xc6"},
    {"Ĩ", "\xd3"},
    {"Í", "\xcd"},
    {"Ị", "\xd2"},
    {"o", "\x6f"},
    {"ò", "\x6f\xf8"},
    {"ỏ", "\x6f\xfb"},
    {"õ", "\x6f\xf5"},
    {"ó", "\x6f\xf9"},
    {"ọ", "\x6f\xef"},
    {"O", "\x4f"},
    {"Ò", "\x4f\xd8"},
    {"Ỏ", "\x4f\xdb"},
    {"Õ", "\x4f\xd5"},
    {"Ó", "\x4f\xd9"},
    {"Ọ", "\x4f\xcf"},
    {"ô", "\x6f\xe2"},
    {"ồ", "\x6f\xe0"},
    {"ổ", "\x6f\xe5"},
    {"ỗ", "\x6f\xe3"},
    {"ố", "\x6f\xe1"},
    {"ộ", "\x6f\xe4"},
    {"Ô", "\x4f\xc2"},
    {"Ồ", "\x4f\xc0"},
    {"Ổ", "\x4f\xc5"},
    {"Ỗ", "\x4f\xc3"},
    {"Ố", "\x4f\xc1"},
    {"Ộ", "\x4f\xc4"},
    {"ơ", "\xf4"},
    {"ờ", "\xf4\xf8"},
    {"ở", "\xf4\xfb"},
    {"ỡ", "\xf4\xf5"},
    {"ớ", "\xf4\xf9"},
    {"ợ", "\xf4\xef"},
    {"Ơ", "\xd4"},
    {"Ờ", "\xd4\xd8"},
    {"Ở", "\xd4\xdb"},
    {"Ỡ", "\xd4\xd5"},
    {"Ớ", "\xd4\xd9"},
    {"Ợ", "\xd4\xcf"},
    {"u", "\x75"},
    {"ù", "\x75\xf8"},
    {"ủ", "\x75\xfb"},
    {"ũ", "\x75\xf5"},
    {"ú", "\x75\xf9"},
    {"ụ", "\x75\xef"},
    {"U", "\x55"},
    {"Ù", "\x55\xd8"},
    {"Ủ", "\x55\xdb"},
    {"Ũ", "\x55\xd5"},
    {"Ú", "\x55\xd9"},
    {"Ụ", "\x55\xcf"},
    {"ư", "\xf6"},
    {"ừ", "\xf6\xf8"},
    {"ử", "\xf6\xfb"},
    {"ữ", "\xf6\xf5"},
    {"ứ", "\xf6\xf9"},
    {"ự", "\xf6\xef"},
    {"Ư", "\xd6"},
    {"Ừ", "\xd6\xd8"},
    {"Ử", "\xd6\xdb"},
    {"Ữ", "\xd6\xd5"},
    {"Ứ", "\xd6\xd9"},
    {"Ự", "\xd6\xcf"},
    {"y", "\x79"},
    {"ỳ", "\x79\xf8"},
    {"ỷ", "\x79\xfb"},
    {"ỹ", "\x79\xf5"},
    {"ý", "\x79\xf9"},
    {"ỵ", "\xee"},
    {"Y", "\x59"},
    {"Ỳ", "\x59\xd8"},
    {"Ỷ", "\x59\xdb"},
    {"Ỹ", "\x59\xd5"},
    {"Ý", "\x59\xd9"},
    {"Ỵ", "\xce"},
    {"đ", "\xf1"},
    {"Đ", "\xd1"},
};

static void test_vni_chart(void **state)
{
    (void)state;
    size_t n = sizeof(vni_chart) / sizeof(vni_chart[0]);
    assert_int_equal(n, 12 * 2 * 6 + 2);
    for (size_t i = 0; i < n; i++) {
        char *got = decode(LEGENC_VNI, vni_chart[i].vni, strlen(vni_chart[i].vni), NULL);
        if (got == NULL)
            fail_msg("VNI refuses the bytes of %s", vni_chart[i].utf8);
        char *nfc = NULL;
        assert_int_equal(text_nfc(got, strlen(got), &nfc, NULL), TD_OK);
        if (strcmp(nfc, vni_chart[i].utf8) != 0)
            fail_msg("VNI %s decodes to %s", vni_chart[i].utf8, nfc);
        free(nfc);
        free(got);
    }
    /* and the chart covers every letter */
    for (size_t v = 0; v < 12; v++) {
        for (int up = 0; up < 2; up++) {
            for (int t = 0; t < 6; t++) {
                int found = 0;
                for (size_t i = 0; i < n && !found; i++)
                    found = strcmp(vni_chart[i].utf8, vowels[v][up][t]) == 0;
                if (!found)
                    fail_msg("the chart lacks %s", vowels[v][up][t]);
            }
        }
    }
}

static void test_vni_lines_and_refusals(void **state)
{
    (void)state;
    const char *in = "Nguye\xe3n Th\xf2 Thuy\xfb, \xd1" "a\xebng Va\xean Hu\xf8ng, ng\xf6\xf4\xf8i";
    char *got = decode(LEGENC_VNI, in, strlen(in), NULL);
    assert_non_null(got);
    char *nfc = NULL;
    assert_int_equal(text_nfc(got, strlen(got), &nfc, NULL), TD_OK);
    assert_string_equal(nfc, "Nguyễn Thị Thuỷ, Đặng Văn Hùng, người");
    free(nfc);
    free(got);
    /* A tone after a consonant, a breve on e, a mark after a mark: not VNI. */
    static const char *const bad[] = {"n\xf9", "e\xea", "a\xf9\xf9", "a\x81"};
    static const size_t at[] = {1, 1, 2, 1};
    for (size_t i = 0; i < 4; i++) {
        size_t off = 99;
        assert_null(decode(LEGENC_VNI, bad[i], strlen(bad[i]), &off));
        assert_int_equal(off, at[i]);
    }
    size_t off = 99;
    assert_null(decode(LEGENC_TCVN3, "ab\0c", 4, &off));
    assert_int_equal(off, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcvn3_matches_glibc_byte_by_byte),
        cmocka_unit_test(test_tcvn3_has_every_letter),
        cmocka_unit_test(test_tcvn3_lines),
        cmocka_unit_test(test_vni_chart),
        cmocka_unit_test(test_vni_lines_and_refusals),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    u_cleanup(); /* leak checkers see no ICU caches */
    return rc;
}
