/*
 * test_uuid.c - random version 4 UUIDs and UUID syntax (common/uuid.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "uuid.h"

#define N_GENERATED 2000

static int by_string(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static void test_v4_shape_and_uniqueness(void **state)
{
    char(*ids)[UUID_STR_SIZE] = calloc(N_GENERATED, UUID_STR_SIZE);
    (void)state;
    assert_non_null(ids);
    for (size_t i = 0; i < N_GENERATED; i++) {
        char canon[UUID_STR_SIZE];
        assert_int_equal(uuid_v4(ids[i]), TD_OK);
        assert_int_equal(strlen(ids[i]), UUID_STR_LEN);
        /* its own syntax check accepts it, and it is already canonical (lowercase) */
        assert_int_equal(uuid_parse(ids[i], canon, NULL), TD_OK);
        assert_string_equal(canon, ids[i]);
        assert_int_equal(ids[i][14], '4');           /* version */
        assert_non_null(strchr("89ab", ids[i][19])); /* RFC variant */
    }
    qsort(ids, N_GENERATED, UUID_STR_SIZE, by_string);
    for (size_t i = 1; i < N_GENERATED; i++)
        assert_string_not_equal(ids[i - 1], ids[i]);
    free(ids);
}

static void test_parse_normalises_case(void **state)
{
    char out[UUID_STR_SIZE];
    (void)state;
    assert_int_equal(uuid_parse("6BA7B810-9DAD-11D1-80B4-00C04FD430C8", out, NULL), TD_OK);
    assert_string_equal(out, "6ba7b810-9dad-11d1-80b4-00c04fd430c8");
    assert_int_equal(uuid_parse("00000000-0000-0000-0000-000000000000", out, NULL), TD_OK);
}

static void test_parse_rejects(void **state)
{
    static const struct {
        const char *s;
        size_t pos;
    } bad[] = {
        {"", 0},
        {"6ba7b810-9dad-11d1-80b4-00c04fd430c", 35},   /* one digit short */
        {"6ba7b810-9dad-11d1-80b4-00c04fd430c8a", 36}, /* one too many */
        {"6ba7b810-9dad-11d1-80b4-00c04fd430c8\n", 36},
        {"6ba7b8109dad11d180b400c04fd430c8", 8},     /* no hyphens */
        {"6ba7b81-09dad-11d1-80b4-00c04fd430c8", 7}, /* hyphen one early */
        {"{6ba7b810-9dad-11d1-80b4-00c04fd430c8}", 0},
        {"urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8", 0},
        {"6ba7b810-9dad-11d1-80b4-00c04fd430cg", 35},
        {"6ba7b810 9dad-11d1-80b4-00c04fd430c8", 8},
        {"6ba7b810-9dad-11d1-80b4-00c04fd4 0c8", 32},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char out[UUID_STR_SIZE] = "stale";
        size_t pos = 999;
        int rc = uuid_parse(bad[i].s, out, &pos);
        if (rc != TD_EFORMAT || pos != bad[i].pos || out[0] != '\0')
            fail_msg("\"%s\": rc %d pos %zu", bad[i].s, rc, pos);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v4_shape_and_uniqueness),
        cmocka_unit_test(test_parse_normalises_case),
        cmocka_unit_test(test_parse_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
