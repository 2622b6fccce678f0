/*
 * test_pushjson.c - the JSON object a push sends to thidua.push().
 *
 * PostgreSQL parses it, so it must be valid JSON whatever the officer typed
 * (quotes, backslashes, line breaks, tabs), keep Vietnamese text as UTF-8,
 * and carry the folded name keys duplicate detection relies on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <unicode/uclean.h>

#include "pushjson.h"
#include "text.h"

static void record_sample(record_t *r)
{
    Thidua__V1__Record in = THIDUA__V1__RECORD__INIT;
    in.id = "0b6f4f0e-6a59-4a57-9a43-8d3c7c1f2a10";
    in.campaign = "HG-DB-2025";
    in.org_unit = "934";
    in.nominee_kind = "individual";
    in.nominee_name = "Nguyễn Thị Thuỷ";
    in.birth_date = "1985-03-12";
    in.gender = "female";
    in.title = "Dự án \"Cầu nông thôn\" \\ giai đoạn 2";
    in.summary = "Dòng một.\n\tDòng hai.";
    in.category = "KT_XH";
    in.achieved_on = "2024-12-20";
    in.proposed_award = "BK_UBND_TINH";
    in.revision = 3;
    valid_error_t err;
    assert_int_equal(record_from_proto(r, &in, NULL, &err), TD_OK);
}

static void escapes_and_keys(void **state)
{
    (void)state;
    record_t r;
    record_sample(&r);
    uint8_t hash[RECORD_HASH_LEN];
    assert_int_equal(record_content_hash(&r, hash), 0);
    strbuf_t sb;
    strbuf_init(&sb);
    assert_int_equal(pushjson_record(&sb, &r, hash), 0);
    assert_false(strbuf_failed(&sb));
    const char *j = strbuf_str(&sb);

    assert_int_equal(j[0], '{');
    assert_int_equal(j[strlen(j) - 1], '}');
    assert_non_null(strstr(j, "\"title\":\"Dự án \\\"Cầu nông thôn\\\" \\\\ giai đoạn 2\""));
    assert_non_null(strstr(j, "\"summary\":\"Dòng một.\\n\\tDòng hai.\""));
    assert_non_null(strstr(j, "\"nominee_name\":\"Nguyễn Thị Thuỷ\""));
    assert_non_null(strstr(j, "\"name_loose_key\":\"nguyen thi thuy\""));
    assert_non_null(strstr(j, "\"revision\":3"));
    assert_non_null(strstr(j, "\"withdrawn\":false"));

    char hex[2 * RECORD_HASH_LEN + 1];
    pushjson_hex(hash, hex);
    assert_int_equal(strlen(hex), 64);
    char member[128];
    snprintf(member, sizeof(member), "\"content_hash\":\"%s\"", hex);
    assert_non_null(strstr(j, member));
    /* No raw control character may reach the parser. */
    for (const unsigned char *p = (const unsigned char *)j; *p; p++)
        assert_true(*p >= 0x20);
    strbuf_free(&sb);
    record_free(&r);
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
        cmocka_unit_test(escapes_and_keys),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
