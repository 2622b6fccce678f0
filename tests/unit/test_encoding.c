/*
 * test_encoding.c - telling the encodings of an imported file apart, and the
 * Vietnamese word check that does it.
 *
 * The same lines of nominations are made into each encoding by a converter
 * that is not ours: glibc's iconv for Windows-1258 (which writes a tone as a
 * combining mark where the code page has no precomposed letter), and the
 * published tables' bytes for TCVN3 and VNI.
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

#include "encoding.h"
#include "text.h"
#include "vi_words.h"

static const char sample_utf8[] =
    "STT,Loại,Họ và tên,Thành tích\r\n"
    "1,Cá nhân,Nguyễn Thị Thuỷ,Giáo viên dạy giỏi\r\n"
    "2,Tập thể,Tổ dân phố số 3,Tổ tự quản tốt\r\n"
    "3,Cá nhân,Đặng Văn Hùng,Hoàn thành xuất sắc nhiệm vụ\r\n";

/* The same text in TCVN3, byte for byte from the TCVN 5712:1993 table. */
static const char sample_tcvn3[] =
    "STT,Lo\xb9i,H\xe4 v\xb5 t\xaan,Th\xb5nh t\xdd" "ch\r\n"
    "1,C\xb8 nh\xa9n,Nguy\xd4n Th\xde Thu\xfb,Gi\xb8o vi\xaan d\xb9y gi\xe1i\r\n"
    "2,T\xcbp th\xd3,T\xe6 d\xa9n ph\xe8 s\xe8 3,T\xe6 t\xf9 qu\xb6n t\xe8t\r\n"
    "3,C\xb8 nh\xa9n,\xa7\xc6ng V\xa8n H\xefng,Ho\xb5n th\xb5nh xu\xcat s\xbe" "c nhi\xd6m v\xf4\r\n";

/* And in VNI, from the VNI chart. */
static const char sample_vni[] =
    "STT,Loa\xefi,Ho\xef va\xf8 te\xe2n,Tha\xf8nh t\xed" "ch\r\n"
    "1,Ca\xf9 nha\xe2n,Nguye\xe3n Th\xf2 Thuy\xfb,Gia\xf9o vie\xe2n da\xefy gio\xfbi\r\n"
    "2,Ta\xe4p the\xe5,To\xe5 da\xe2n pho\xe1 so\xe1 3,To\xe5 t\xf6\xef qua\xfbn to\xe1t\r\n"
    "3,Ca\xf9 nha\xe2n,\xd1" "a\xebng Va\xean Hu\xf8ng,Hoa\xf8n tha\xf8nh xua\xe1t sa\xe9" "c nhie\xe4m vu\xef\r\n";

/* UTF-8 to Windows-1258 with glibc; the caller frees. */
static char *to_cp1258(const char *utf8, size_t *len)
{
    iconv_t cd = iconv_open("CP1258", "UTF-8");
    assert_true(cd != (iconv_t)-1);
    size_t n = strlen(utf8), cap = n * 2 + 16;
    char *out = malloc(cap);
    assert_non_null(out);
    char *src = (char *)utf8, *dst = out;
    size_t left = n, room = cap;
    assert_true(iconv(cd, &src, &left, &dst, &room) != (size_t)-1);
    assert_true(iconv(cd, NULL, NULL, &dst, &room) != (size_t)-1);
    iconv_close(cd);
    *len = (size_t)(dst - out);
    assert_true(room > 0);
    *dst = '\0';
    return out;
}

/* Detect, decode, and compare with the UTF-8 sample. */
static void expect_file(const char *in, size_t len, enc_t want)
{
    enc_t got = ENC_AUTO;
    enc_guess_t g;
    assert_int_equal(enc_detect(in, len, &got, &g), TD_OK);
    assert_int_equal(got, want);
    char *text = NULL;
    size_t n = 0;
    assert_int_equal(enc_decode(got, in, len, &text, &n, NULL), TD_OK);
    assert_string_equal(text, sample_utf8);
    assert_int_equal(n, strlen(sample_utf8));
    free(text);
}

static void test_detects_each_encoding(void **state)
{
    (void)state;
    expect_file(sample_utf8, strlen(sample_utf8), ENC_UTF8);
    size_t n;
    char *cp = to_cp1258(sample_utf8, &n);
    /* glibc writes "ễ" as ê and a combining tilde: the decoder must compose it back. */
    assert_non_null(strstr(cp, "Nguy\xea\xde" "n"));
    expect_file(cp, n, ENC_CP1258);
    free(cp);
    expect_file(sample_tcvn3, strlen(sample_tcvn3), ENC_TCVN3);
    expect_file(sample_vni, strlen(sample_vni), ENC_VNI);
}

static void test_bom_and_nfd_utf8(void **state)
{
    (void)state;
    const char in[] = "\xEF\xBB\xBFNguye\xcc\x82\xcc\x83n";
    char *text = NULL;
    size_t n = 0;
    assert_int_equal(enc_decode(ENC_UTF8, in, strlen(in), &text, &n, NULL), TD_OK);
    assert_string_equal(text, "Nguyễn");
    free(text);
}

static void test_unsure_and_refused(void **state)
{
    (void)state;
    enc_t e = ENC_UTF8;
    enc_guess_t g;
    /* 0x81 is no letter in Windows-1258 nor VNI, and in TCVN3 a capital inside a word. */
    assert_int_equal(enc_detect("Lo\x81i", 4, &e, &g), TD_EUNSURE);
    assert_int_equal(e, ENC_AUTO);
    assert_false(g.decodes[ENC_CP1258]);
    assert_true(g.decodes[ENC_TCVN3]);
    assert_int_equal(g.plausible[ENC_TCVN3], 0);
    /* One word can be two: "Tên" in Windows-1258, "Tờn" in TCVN3. */
    assert_int_equal(enc_detect("T\xean", 3, &e, NULL), TD_EUNSURE);
    /* A few more settle it. */
    char *text = NULL;
    size_t n, bad = 0;
    char *cp = to_cp1258("Tên người, Nguyễn Thị Thuỷ", &n);
    assert_int_equal(enc_detect(cp, n, &e, NULL), TD_OK);
    assert_int_equal(e, ENC_CP1258);
    free(cp);
    assert_int_equal(enc_decode(ENC_CP1258, "a\x81", 2, &text, &n, &bad), TD_ECHARSET);
    assert_int_equal(bad, 1);
    assert_int_equal(enc_decode(ENC_UTF8, "ab\xff", 3, &text, &n, &bad), TD_EUTF8);
    assert_int_equal(bad, 2);
    assert_int_equal(enc_decode(ENC_VNI, "ab\0", 3, &text, &n, &bad), TD_ENUL);
    assert_int_equal(bad, 2);
    assert_null(text);
}

static void test_names(void **state)
{
    (void)state;
    assert_int_equal(enc_by_name("UTF-8"), ENC_UTF8);
    assert_int_equal(enc_by_name("cp1258"), ENC_CP1258);
    assert_int_equal(enc_by_name("Windows-1258"), ENC_CP1258);
    assert_int_equal(enc_by_name("tcvn3"), ENC_TCVN3);
    assert_int_equal(enc_by_name("abc"), ENC_TCVN3);
    assert_int_equal(enc_by_name("VNI"), ENC_VNI);
    assert_int_equal(enc_by_name("latin1"), -1);
}

static void test_vietnamese_words(void **state)
{
    (void)state;
    static const char *const good[] = {"Nguyễn", "người", "quyết", "giữa", "Đặng", "khuya",
                                       "THUỶ", "xoong", "gì", "ươu"};
    static const char *const bad[] = {"NguyÔn", "V¨n", "Nguyeãn", "ngöôøi", "Vaên", "Thiũ̀",
                                      "ThÞ", "aé"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (!viword_plausible(good[i], strlen(good[i])))
            fail_msg("%s refused", good[i]);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (viword_plausible(bad[i], strlen(bad[i])))
            fail_msg("%s taken as Vietnamese", bad[i]);
    }
    viword_count_t c;
    const char *text = "Ho Chi Minh, Hồ Chí Minh, NguyÔn – “Văn”";
    viword_count(text, strlen(text), &c);
    assert_int_equal(c.words, 4); /* the ASCII words say nothing */
    assert_int_equal(c.plausible, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detects_each_encoding),
        cmocka_unit_test(test_bom_and_nfd_utf8),
        cmocka_unit_test(test_unsure_and_refused),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_vietnamese_words),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    u_cleanup();
    return rc;
}
