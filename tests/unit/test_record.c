/*
 * test_record.c - record validation, normalisation and the content hash,
 * and both sides of every limit of the field table (common/fields.h), of a
 * record and of a decision.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unicode/uclean.h>

#include "record.h"
#include "text.h"

static Thidua__V1__Record sample(void)
{
    Thidua__V1__Record r = THIDUA__V1__RECORD__INIT;
    r.id = "0b6f4f0e-6a59-4a57-9a43-8d3c7c1f2a10";
    r.campaign = "HG-DB-2025";
    r.org_unit = "934";
    r.nominee_kind = "individual";
    r.nominee_name = "Nguyễn Thị Thuỷ";
    r.birth_date = "1985-03-12";
    r.gender = "female";
    r.position = "Chủ tịch Hội Nông dân xã";
    r.workplace = "UBND xã Tân Bình";
    r.title = "Vận động xây dựng 3 cây cầu nông thôn";
    r.summary = "Năm 2024 đã vận động nhân dân đóng góp 1,2 tỷ đồng.\nHoàn thành trước hạn.";
    r.category = "KT_XH";
    r.achieved_on = "2024-12-20";
    r.proposed_award = "BK_UBND_TINH";
    r.revision = 1;
    return r;
}

static Thidua__V1__Campaign *campaign(void)
{
    static Thidua__V1__Category cat = THIDUA__V1__CATEGORY__INIT;
    static Thidua__V1__Category *cats[1];
    static char *kinds_all[] = {"individual", "collective", "household"};
    static char *kinds_coll[] = {"collective"};
    static Thidua__V1__AwardForm bk = THIDUA__V1__AWARD_FORM__INIT;
    static Thidua__V1__AwardForm co = THIDUA__V1__AWARD_FORM__INIT;
    static Thidua__V1__AwardForm *forms[2];
    static Thidua__V1__Campaign c = THIDUA__V1__CAMPAIGN__INIT;

    cat.code = "KT_XH";
    cat.name = "Kinh tế – xã hội";
    cats[0] = &cat;
    bk.code = "BK_UBND_TINH";
    bk.n_nominee_kinds = 3;
    bk.nominee_kinds = kinds_all;
    co.code = "CO_THI_DUA_TINH";
    co.n_nominee_kinds = 1;
    co.nominee_kinds = kinds_coll;
    forms[0] = &bk;
    forms[1] = &co;
    c.code = "HG-DB-2025";
    c.starts_on = "2024-07-01";
    c.ends_on = "2025-06-30";
    c.n_categories = 1;
    c.categories = cats;
    c.n_award_forms = 2;
    c.award_forms = forms;
    return &c;
}

static void valid_sample_passes(void **state)
{
    (void)state;
    Thidua__V1__Record in = sample();
    record_t r;
    valid_error_t err;
    assert_int_equal(record_from_proto(&r, &in, NULL, &err), TD_OK);
    assert_int_equal(record_check_campaign(&r, campaign(), &err), TD_OK);
    assert_string_equal(r.nominee_name, "Nguyễn Thị Thuỷ");
    record_free(&r);
}

static void nfd_input_hashes_like_nfc(void **state)
{
    (void)state;
    Thidua__V1__Record a = sample(), b = sample();
    /* "Nguyễn" typed with combining marks: e + circumflex + tilde. */
    b.nominee_name = "Nguye\xcc\x82\xcc\x83n Thi\xcc\xa3 Thuy\xcc\x89";
    b.title = "  Vận động xây dựng 3 cây cầu nông thôn  ";
    record_t ra, rb;
    valid_error_t err;
    assert_int_equal(record_from_proto(&ra, &a, NULL, &err), TD_OK);
    assert_int_equal(record_from_proto(&rb, &b, NULL, &err), TD_OK);
    assert_string_equal(rb.nominee_name, "Nguyễn Thị Thuỷ");
    assert_string_equal(rb.title, ra.title);
    uint8_t ha[RECORD_HASH_LEN], hb[RECORD_HASH_LEN];
    assert_int_equal(record_content_hash(&ra, ha), 0);
    assert_int_equal(record_content_hash(&rb, hb), 0);
    assert_memory_equal(ha, hb, RECORD_HASH_LEN);
    record_free(&ra);
    record_free(&rb);
}

static void hash_changes_with_every_field(void **state)
{
    (void)state;
    Thidua__V1__Record in = sample();
    record_t base;
    valid_error_t err;
    uint8_t h0[RECORD_HASH_LEN], h1[RECORD_HASH_LEN];
    assert_int_equal(record_from_proto(&base, &in, NULL, &err), TD_OK);
    assert_int_equal(record_content_hash(&base, h0), 0);

    /* Moving a character from one field to the next must change the hash. */
    char *old_pos = base.position, *old_work = base.workplace;
    base.position = "ab";
    base.workplace = "c";
    assert_int_equal(record_content_hash(&base, h0), 0);
    base.position = "a";
    base.workplace = "bc";
    assert_int_equal(record_content_hash(&base, h1), 0);
    assert_memory_not_equal(h0, h1, RECORD_HASH_LEN);
    base.position = old_pos;
    base.workplace = old_work;

    assert_int_equal(record_content_hash(&base, h0), 0);
    base.withdrawn = 1;
    assert_int_equal(record_content_hash(&base, h1), 0);
    assert_memory_not_equal(h0, h1, RECORD_HASH_LEN);
    base.withdrawn = 0;

    /* The revision is not content: same content at another revision, same hash. */
    base.revision = 7;
    assert_int_equal(record_content_hash(&base, h1), 0);
    assert_memory_equal(h0, h1, RECORD_HASH_LEN);
    record_free(&base);
}

/*
 * The canonical form is part of the protocol: other implementations must
 * reproduce this value. It was computed independently with
 *   sha256("thidua.record.v1\0" + for each field: 4-byte big-endian length + bytes)
 * for the sample record (see docs/protocol.md).
 */
static void hash_matches_documented_form(void **state)
{
    (void)state;
    Thidua__V1__Record in = sample();
    record_t r;
    valid_error_t err;
    uint8_t h[RECORD_HASH_LEN];
    assert_int_equal(record_from_proto(&r, &in, NULL, &err), TD_OK);
    assert_int_equal(record_content_hash(&r, h), 0);
    char hex[2 * RECORD_HASH_LEN + 1];
    for (size_t i = 0; i < RECORD_HASH_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", h[i]);
    assert_string_equal(hex, "e5eafac999bae6a7d7148c66628ce6bff36f2d5e14a1f74268e55501454f7a02");
    record_free(&r);
}

static void expect_field(Thidua__V1__Record *in, int campaign_check, const char *field,
                         const char *reason_part)
{
    record_t r;
    valid_error_t err;
    memset(&err, 0, sizeof(err));
    int rc = record_from_proto(&r, in, NULL, &err);
    if (rc == TD_OK && campaign_check)
        rc = record_check_campaign(&r, campaign(), &err);
    assert_int_equal(rc, TD_EINPUT);
    assert_string_equal(err.field, field);
    if (reason_part != NULL && strstr(err.reason, reason_part) == NULL)
        fail_msg("reason '%s' lacks '%s'", err.reason, reason_part);
    record_free(&r);
}

static void bad_fields_are_named(void **state)
{
    (void)state;
    Thidua__V1__Record in;

    in = sample();
    in.id = "not-a-uuid";
    expect_field(&in, 0, "id", NULL);
    in = sample();
    in.achieved_on = "2025-02-30";
    expect_field(&in, 0, "achieved_on", "February");
    in = sample();
    in.achieved_on = "2024-06-30";
    expect_field(&in, 1, "achieved_on", "outside the campaign");
    in = sample();
    in.achieved_on = "2025-07-01";
    expect_field(&in, 1, "achieved_on", "outside the campaign");
    in = sample();
    in.category = "SPORT";
    expect_field(&in, 1, "category", "KT_XH");
    in = sample();
    in.proposed_award = "CO_THI_DUA_TINH";
    expect_field(&in, 1, "proposed_award", "individual");
    in = sample();
    in.proposed_award = "NOBEL";
    expect_field(&in, 1, "proposed_award", "unknown");
    in = sample();
    in.nominee_kind = "company";
    expect_field(&in, 0, "nominee_kind", NULL);
    in = sample();
    in.nominee_name = "   ";
    expect_field(&in, 0, "nominee_name", "empty");
    in = sample();
    in.title = "Bell\x07";
    expect_field(&in, 0, "title", "control");
    in = sample();
    in.nominee_name = "Nguy\xc0\xafn";
    expect_field(&in, 0, "nominee_name", "UTF-8");
    in = sample();
    in.birth_date = "";
    expect_field(&in, 0, "birth_date", "required");
    in = sample();
    in.nominee_kind = "collective";
    in.gender = "";
    expect_field(&in, 0, "birth_date", "individual");
    in = sample();
    in.revision = 0;
    expect_field(&in, 0, "revision", NULL);
    in = sample();
    in.campaign = "OTHER-2025";
    expect_field(&in, 1, "campaign", "HG-DB-2025");
}

static void collective_without_person_fields(void **state)
{
    (void)state;
    Thidua__V1__Record in = sample();
    in.nominee_kind = "collective";
    in.nominee_name = "Hội Nông dân xã Tân Bình";
    in.birth_date = "";
    in.gender = "";
    in.proposed_award = "CO_THI_DUA_TINH";
    in.campaign = "";
    record_t r;
    valid_error_t err;
    assert_int_equal(record_from_proto(&r, &in, "HG-DB-2025", &err), TD_OK);
    assert_string_equal(r.campaign, "HG-DB-2025");
    assert_int_equal(record_check_campaign(&r, campaign(), &err), TD_OK);
    record_free(&r);
}

static int teardown(void **state)
{
    (void)state;
    text_cleanup();
    u_cleanup();
    return 0;
}

/* n characters of three bytes each ("ệ", NFC): the limit counts code points, not bytes. */
static char *chars_of(size_t n)
{
    char *s = malloc(n * 3 + 1);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * 3, "\xe1\xbb\x87", 3);
    s[n * 3] = '\0';
    return s;
}

static char **record_slot(Thidua__V1__Record *r, const char *id)
{
#define SLOT(fid, wire, max, req, flags, sql)                                                      \
    if (strcmp(id, #fid) == 0)                                                                     \
        return &r->fid;
    THIDUA_RECORD_FIELDS(SLOT)
#undef SLOT
    fail_msg("no record field %s", id);
    return NULL;
}

/* Fields whose value is a kind, a gender or a date: only the "one over" side is free text. */
static int is_coded(const char *id)
{
    return strcmp(id, "nominee_kind") == 0 || strcmp(id, "gender") == 0 ||
           strcmp(id, "birth_date") == 0 || strcmp(id, "achieved_on") == 0;
}

static void test_record_limits_both_sides(void **state)
{
    (void)state;
    for (size_t i = 0; i < field_record_count; i++) {
        const field_def_t *f = &field_record_defs[i];
        Thidua__V1__Record in = sample();
        char **slot = record_slot(&in, f->id);
        record_t out;
        valid_error_t err;
        char *at = chars_of(f->max_chars);
        if (!is_coded(f->id)) {
            *slot = at;
            if (record_from_proto(&out, &in, NULL, &err) != TD_OK)
                fail_msg("%s at its limit %zu refused: %s", f->wire, f->max_chars, err.reason);
            record_free(&out);
        }
        char *over = chars_of(f->max_chars + 1);
        *slot = over;
        assert_int_equal(record_from_proto(&out, &in, NULL, &err), TD_EINPUT);
        assert_string_equal(err.field, f->wire);
        record_free(&out);
        free(at);
        free(over);
    }
}

/* The award decision and the reason, under the table's rules as the server applies them. */
static void test_decision_limits_both_sides(void **state)
{
    (void)state;
    for (size_t i = 0; i < field_decision_count; i++) {
        const field_def_t *f = &field_decision_defs[i];
        text_rules_t rules = {.flags = f->flags, .max_chars = f->max_chars};
        char *at = chars_of(f->max_chars), *over = chars_of(f->max_chars + 1), *out = NULL;
        valid_error_t err;
        assert_int_equal(valid_text(f->wire, at, strlen(at), &rules, &out, &err), TD_OK);
        free(out);
        assert_int_equal(valid_text(f->wire, over, strlen(over), &rules, &out, &err), TD_EINPUT);
        assert_string_equal(err.field, f->wire);
        free(at);
        free(over);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_sample_passes),
        cmocka_unit_test(test_record_limits_both_sides),
        cmocka_unit_test(test_decision_limits_both_sides),
        cmocka_unit_test(nfd_input_hashes_like_nfc),
        cmocka_unit_test(hash_changes_with_every_field),
        cmocka_unit_test(hash_matches_documented_form),
        cmocka_unit_test(bad_fields_are_named),
        cmocka_unit_test(collective_without_person_fields),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
