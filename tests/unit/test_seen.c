/*
 * test_seen.c - the file of revisions the administrator has seen (client/store/seen_revisions.c).
 *
 * What a decision relies on: the revision last shown wins, an id prefix finds
 * exactly one record or says it is ambiguous, a damaged line does not hide
 * the others, and compaction keeps the latest view of every id.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "seen_revisions.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/test_seen-XXXXXX");
    assert_non_null(mkdtemp(dir));
    assert_int_equal(seen_path("x/y/thidua.conf", path, sizeof(path)), 0);
    assert_string_equal(path, "x/y/" SEEN_FILE_NAME);
    assert_int_equal(seen_path("thidua.conf", path, sizeof(path)), 0);
    assert_string_equal(path, SEEN_FILE_NAME);
    char conf[96];
    snprintf(conf, sizeof(conf), "%s/thidua.conf", dir);
    assert_int_equal(seen_path(conf, path, sizeof(path)), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    rmdir(dir);
    return 0;
}

static seen_entry_t view(const char *id, uint32_t rev)
{
    seen_entry_t e;
    memset(&e, 0, sizeof(e));
    snprintf(e.id, sizeof(e.id), "%s", id);
    e.revision = rev;
    e.at_ms = 1700000000000;
    return e;
}

#define ID_A "3a6494dd-abe4-4d66-b520-ddd554953636"
#define ID_B "3a6494dd-ffff-4d66-b520-ddd554953636"
#define ID_C "83e60b0a-4d41-448d-a385-bd45f4c30b89"

static void latest_view_wins(void **state)
{
    (void)state;
    char err[256];
    seen_entry_t e;
    assert_int_equal(seen_lookup(path, ID_A, &e, err, sizeof(err)), TD_ENOTFOUND); /* no file */
    seen_entry_t v[] = {view(ID_A, 1), view(ID_C, 4)};
    assert_int_equal(seen_note(path, v, 2, err, sizeof(err)), TD_OK);
    seen_entry_t w = view(ID_A, 3);
    assert_int_equal(seen_note(path, &w, 1, err, sizeof(err)), TD_OK);
    assert_int_equal(seen_lookup(path, ID_A, &e, err, sizeof(err)), TD_OK);
    assert_int_equal(e.revision, 3);
    assert_int_equal(seen_lookup(path, ID_C, &e, err, sizeof(err)), TD_OK);
    assert_int_equal(e.revision, 4);
    assert_int_equal(seen_lookup(path, ID_B, &e, err, sizeof(err)), TD_ENOTFOUND);

    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
}

static void damaged_lines_are_skipped(void **state)
{
    (void)state;
    char err[256];
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fputs("garbage\nnot-a-uuid\t3\t0\n" ID_C "\tzero\t0\n" ID_C "\t0\t0\n# comment\n" ID_C
          "\t9", /* the last line without its line end: still read */
          f);
    fclose(f);
    seen_entry_t e;
    assert_int_equal(seen_lookup(path, ID_C, &e, err, sizeof(err)), TD_OK);
    assert_int_equal(e.revision, 9);
    assert_int_equal(seen_lookup(path, ID_A, &e, err, sizeof(err)), TD_OK);
    assert_int_equal(e.revision, 3);
    unlink(path);
}

static void prefixes(void **state)
{
    (void)state;
    char err[256], out[UUID_STR_SIZE];
    seen_entry_t v[] = {view(ID_A, 1), view(ID_B, 1), view(ID_C, 2)};
    assert_int_equal(seen_note(path, v, 3, err, sizeof(err)), TD_OK);
    assert_int_equal(seen_find_prefix(path, "83e60b0a", out, err, sizeof(err)), TD_OK);
    assert_string_equal(out, ID_C);
    assert_int_equal(seen_find_prefix(path, "83E60B0A4D", out, err, sizeof(err)), TD_OK);
    assert_string_equal(out, ID_C); /* any case, hyphens optional */
    assert_int_equal(seen_find_prefix(path, "3a6494dd", out, err, sizeof(err)), TD_EAMBIGUOUS);
    assert_int_equal(seen_find_prefix(path, "3a6494dd-ab", out, err, sizeof(err)), TD_OK);
    assert_string_equal(out, ID_A);
    assert_int_equal(seen_find_prefix(path, "3a6494ddff", out, err, sizeof(err)), TD_OK);
    assert_string_equal(out, ID_B);
    assert_int_equal(seen_find_prefix(path, "00000000", out, err, sizeof(err)), TD_ENOTFOUND);
    unlink(path);
}

static void compaction_keeps_the_latest(void **state)
{
    (void)state;
    char err[256];
    enum { IDS = 1000 };
    seen_entry_t *v = calloc(IDS, sizeof(*v));
    assert_non_null(v);
    off_t largest = 0;
    uint32_t rounds = 0;
    for (uint32_t round = 1; round <= 120; round++) {
        for (unsigned i = 0; i < IDS; i++) {
            snprintf(v[i].id, sizeof(v[i].id), "%08x-0000-4000-8000-000000000000", i);
            v[i].revision = round;
            v[i].at_ms = round;
        }
        assert_int_equal(seen_note(path, v, IDS, err, sizeof(err)), TD_OK);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_true((size_t)st.st_size <= SEEN_COMPACT_BYTES + 64 * IDS);
        if (st.st_size > largest)
            largest = st.st_size;
        rounds = round;
    }
    free(v);
    assert_true((size_t)largest > SEEN_COMPACT_BYTES / 2); /* it did grow, and was compacted */
    seen_entry_t e;
    for (unsigned i = 0; i < IDS; i += 97) {
        char id[UUID_STR_SIZE];
        snprintf(id, sizeof(id), "%08x-0000-4000-8000-000000000000", i);
        assert_int_equal(seen_lookup(path, id, &e, err, sizeof(err)), TD_OK);
        assert_int_equal(e.revision, rounds);
    }
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(latest_view_wins),
        cmocka_unit_test(damaged_lines_are_skipped),
        cmocka_unit_test(prefixes),
        cmocka_unit_test(compaction_keeps_the_latest),
    };
    return cmocka_run_group_tests_name("seen", tests, setup, teardown);
}
