/*
 * test_client_local.c - the district client's offline commands, run as the
 * real `thidua` binary against a real store, with no server at all: an
 * office is set up with `init` pointing at an address where nothing listens,
 * as on a first day without network.
 *
 * What the province would send (its Welcome with the campaign, a decision,
 * an award, a refusal at push) is put into the store with the store's own
 * API, exactly as `thidua sync` stores it, so that the commands can be seen
 * reacting to it: campaign checks in `add`, locked records in `edit`, reasons
 * in `list`, `show` and `status`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "fields.h"
#include "harness.h"
#include "store.h"
#include "text.h"

/* "Nguyễn Thị Thuỷ" decomposed (as macOS and some input methods send it) and composed. */
#define NAME_NFD "Nguye\xcc\x82\xcc\x83n Thi\xcc\xa3 Thuy\xcc\x89"
#define NAME_NFC "Nguy\xe1\xbb\x85n Th\xe1\xbb\x8b Thu\xe1\xbb\xb7"

static harness_pki_t pki;

/* One district office: its folder, configuration and store. */
typedef struct {
    char name[32];
    char dir[HARNESS_PATH_MAX];
    char cfg[HARNESS_PATH_MAX];
    char store[HARNESS_PATH_MAX];
    uint64_t seq; /* the province's feed position, for pulled changes */
} office_t;

/* Run thidua -c OFFICE-CONFIG ARGS... under LANG=lang (NULL: the suite's); returns the exit code. */
static int run_va(harness_output_t *out, const char *lang, const office_t *o, va_list ap)
{
    const char *argv[64];
    size_t n = 0;
    argv[n++] = harness_thidua_path();
    argv[n++] = "-c";
    argv[n++] = o->cfg;
    for (const char *a = va_arg(ap, const char *); a != NULL; a = va_arg(ap, const char *)) {
        assert_true(n < 63);
        argv[n++] = a;
    }
    argv[n] = NULL;
    if (lang != NULL)
        assert_int_equal(setenv("LANG", lang, 1), 0);
    int rc = harness_run(argv, NULL, out);
    if (lang != NULL)
        assert_int_equal(setenv("LANG", "C.UTF-8", 1), 0);
    return rc;
}

__attribute__((sentinel)) static int run(harness_output_t *out, const office_t *o, ...)
{
    va_list ap;
    va_start(ap, o);
    int rc = run_va(out, NULL, o, ap);
    va_end(ap);
    return rc;
}

/* run() under the locale lang, then back to the suite's C.UTF-8. */
__attribute__((sentinel)) static int run_lang(harness_output_t *out, const char *lang,
                                              const office_t *o, ...)
{
    va_list ap;
    va_start(ap, o);
    int rc = run_va(out, lang, o, ap);
    va_end(ap);
    return rc;
}

/* Print what a command said when an assertion about it is about to fail. */
static void show_output(const harness_output_t *out)
{
    fprintf(stderr, "exit %d\n--- stdout\n%s--- stderr\n%s---\n", out->exit_code, out->out,
            out->err);
}

#define assert_exit(out, code)                                                                     \
    do {                                                                                           \
        if ((out)->exit_code != (code))                                                            \
            show_output(out);                                                                      \
        assert_int_equal((out)->exit_code, (code));                                                \
    } while (0)

/* out = the path of file in the office's folder. */
static void office_file(const office_t *o, char out[HARNESS_PATH_MAX], const char *file)
{
    harness_tmp_path(out, HARNESS_PATH_MAX, "office-%s/%s", o->name, file);
}

/* A new office of unit 934, initialised while the server is unreachable. */
static void office_new(office_t *o, const char *name)
{
    memset(o, 0, sizeof(*o));
    snprintf(o->name, sizeof(o->name), "%s", name);
    harness_tmp_mkdir(o->dir, sizeof(o->dir), "office-%s", name);
    office_file(o, o->cfg, "thidua.conf");
    office_file(o, o->store, "934.db");
    const harness_cert_t *c = harness_pki_cert(&pki, "934-district");
    harness_output_t out;
    run(&out, o, "init", "--server", "127.0.0.1:1", "--ca", pki.ca, "--cert", c->cert, "--key",
        c->key, "--store", o->store, NULL);
    assert_exit(&out, 0);
    harness_output_free(&out);
}

static store_t *office_store(const office_t *o)
{
    store_options_t opt = {.collate = text_collate, .fold = text_fold_key, .busy_timeout_ms = 0};
    store_t *st = NULL;
    char err[512];
    int rc = store_open(o->store, &opt, &st, err, sizeof(err));
    if (rc != TD_OK)
        fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, TD_OK);
    return st;
}

/* The Welcome the province's server sends to unit 934 (campaign HG-DB-2025). */
static void office_welcome(const office_t *o)
{
    static const char *all[] = {"individual", "collective", "household"};
    static const char *individual[] = {"individual"};
    static const char *collective[] = {"collective"};
    Thidua__V1__Category cats[5];
    Thidua__V1__Category *pcats[5];
    const char *cat_codes[5] = {"KT_XH", "QP_AN", "ASXH", "HCM", "CONG_TRINH"};
    const char *cat_names[5] = {"Kinh tế – xã hội", "Quốc phòng – an ninh", "An sinh xã hội",
                                "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
                                "Công trình, phần việc chào mừng đại hội đảng bộ các cấp"};
    for (size_t i = 0; i < 5; i++) {
        thidua__v1__category__init(&cats[i]);
        cats[i].code = (char *)cat_codes[i];
        cats[i].name = (char *)cat_names[i];
        pcats[i] = &cats[i];
    }
    Thidua__V1__AwardForm forms[4];
    Thidua__V1__AwardForm *pforms[4];
    const struct {
        const char *code, *name, *by;
        const char **kinds;
        size_t n;
    } f[4] = {
        {"BK_UBND_TINH", "Bằng khen của Chủ tịch UBND tỉnh", "province", all, 3},
        {"CSTD_TINH", "Chiến sĩ thi đua cấp tỉnh", "province", individual, 1},
        {"TT_LD_TIEN_TIEN", "Tập thể lao động tiên tiến", "district", collective, 1},
        {"GIAY_KHEN", "Giấy khen", "district", all, 3},
    };
    for (size_t i = 0; i < 4; i++) {
        thidua__v1__award_form__init(&forms[i]);
        forms[i].code = (char *)f[i].code;
        forms[i].name = (char *)f[i].name;
        forms[i].conferred_by = (char *)f[i].by;
        forms[i].nominee_kinds = (char **)f[i].kinds;
        forms[i].n_nominee_kinds = f[i].n;
        pforms[i] = &forms[i];
    }
    Thidua__V1__Campaign c = THIDUA__V1__CAMPAIGN__INIT;
    c.code = "HG-DB-2025";
    c.name = "Đợt thi đua đặc biệt lập thành tích chào mừng đại hội đảng bộ các cấp nhiệm kỳ "
             "2025-2030";
    c.organiser = "UBND tỉnh Hậu Giang";
    c.starts_on = "2024-07-01";
    c.ends_on = "2025-06-30";
    c.categories = pcats;
    c.n_categories = 5;
    c.award_forms = pforms;
    c.n_award_forms = 4;
    Thidua__V1__OrgUnit u1 = THIDUA__V1__ORG_UNIT__INIT, u2 = THIDUA__V1__ORG_UNIT__INIT;
    u1.code = "934";
    u1.name = "Huyện Phụng Hiệp";
    u1.level = "district";
    u1.parent = "93";
    u2.code = "31942";
    u2.name = "Thị trấn Cây Dương";
    u2.level = "commune";
    u2.parent = "934";
    Thidua__V1__OrgUnit *units[2] = {&u1, &u2};
    Thidua__V1__Limits limits = THIDUA__V1__LIMITS__INIT;
    limits.max_batch = 500;
    Thidua__V1__Welcome w = THIDUA__V1__WELCOME__INIT;
    w.server_version = "thiduad/0.1.0";
    w.protocol_version = 1;
    w.org_unit = "934";
    w.org_unit_name = "Huyện Phụng Hiệp";
    w.role = THIDUA__V1__ROLE__ROLE_DISTRICT;
    w.limits = &limits;
    w.campaign = &c;
    w.units = units;
    w.n_units = 2;
    w.certificate_fingerprint = "00";
    store_t *st = office_store(o);
    assert_int_equal(store_welcome_save(st, &w, 1735689600000), TD_OK);
    store_close(st);
}

/*
 * What a sync brings back for one record: the push of its pending revisions
 * acknowledged, then a pulled change with the province's status, decision and
 * award.
 */
static void office_province_says(office_t *o, const char *id, Thidua__V1__Record__Status status,
                                 const char *action, const char *reason, Thidua__V1__Award *award)
{
    store_t *st = office_store(o);
    store_batch_t b = STORE_BATCH_INIT;
    assert_int_equal(store_outbox_next(st, 0, 1000, 1, &b), TD_OK);
    Thidua__V1__RecordAck acks[16];
    Thidua__V1__RecordAck *packs[16];
    size_t n = 0;
    for (size_t i = 0; i < b.n && n < 16; i++) {
        if (strcmp(b.records[i]->id, id) != 0)
            continue;
        thidua__v1__record_ack__init(&acks[n]);
        acks[n].id = b.records[i]->id;
        acks[n].revision = b.records[i]->revision;
        acks[n].status = THIDUA__V1__RECORD_ACK__STATUS__APPLIED;
        acks[n].change_seq = ++o->seq;
        acks[n].record_status = THIDUA__V1__RECORD__STATUS__SUBMITTED;
        packs[n] = &acks[n];
        n++;
    }
    if (n > 0)
        assert_true(store_outbox_ack(st, packs, n, 2) >= 0);
    store_batch_clear(&b);

    store_record_t *r = NULL;
    assert_int_equal(store_record_get(st, id, &r), TD_OK);
    Thidua__V1__Record rec = r->rec;
    Thidua__V1__Decision d = THIDUA__V1__DECISION__INIT;
    d.action = (char *)action;
    d.revision = r->rec.revision;
    d.reason = (char *)reason;
    d.decided_at_ms = 1741161600000; /* 05/03/2025 15:00 in Viet Nam */
    rec.status = status;
    rec.decision = action != NULL ? &d : NULL;
    rec.award = award;
    rec.change_seq = ++o->seq;
    Thidua__V1__Change ch = THIDUA__V1__CHANGE__INIT;
    ch.change_seq = rec.change_seq;
    ch.kind = "decision";
    ch.record = &rec;
    Thidua__V1__Change *pch = &ch;
    Thidua__V1__PullResponse page = THIDUA__V1__PULL_RESPONSE__INIT;
    page.changes = &pch;
    page.n_changes = 1;
    page.next_cursor = ch.change_seq;
    int rc = store_pull_apply(st, &page, 3);
    if (rc != TD_OK)
        fprintf(stderr, "%s\n", store_errmsg(st));
    assert_int_equal(rc, TD_OK);
    store_record_free(r);
    store_close(st);
}

/* `add` an individual; returns the new id in id[]. */
/* The province approves id and awards it a Bằng khen under decision 163/QĐ-UBND of 15/05/2025. */
static void office_province_awards(office_t *o, const char *id)
{
    Thidua__V1__AwardDecision act = THIDUA__V1__AWARD_DECISION__INIT;
    act.number = "163/QĐ-UBND";
    act.date = "2025-05-15";
    act.signer = "KT. CHỦ TỊCH — PHÓ CHỦ TỊCH Nguyễn Văn A";
    Thidua__V1__Award award = THIDUA__V1__AWARD__INIT;
    award.form = "BK_UBND_TINH";
    award.decision = &act;
    office_province_says(o, id, THIDUA__V1__RECORD__STATUS__AWARDED, "approve", "", &award);
}

static void add_person(const office_t *o, const char *name, const char *title, char id[37])
{
    harness_output_t out;
    run(&out, o, "add", "--kind", "individual", "--name", name, "--birth-date", "1985-09-02",
        "--gender", "female", "--title", title, "--category", "ASXH", "--achieved-on", "2025-01-15",
        "--award", "GIAY_KHEN", "--campaign", "HG-DB-2025", NULL);
    assert_exit(&out, 0);
    assert_int_equal(strlen(out.out), 37); /* the id and a newline */
    memcpy(id, out.out, 36);
    id[36] = '\0';
    harness_output_free(&out);
}

/* How many times needle occurs in s. */
static size_t count_of(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(s, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* --- tests ---------------------------------------------------------------- */

static void test_init_offline(void **state)
{
    (void)state;
    office_t o;
    office_new(&o, "init");
    struct stat sb;
    assert_int_equal(stat(o.cfg, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(stat(o.store, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    char *cfg = harness_read_file(o.cfg);
    harness_assert_contains(cfg, "address = 127.0.0.1:1");
    harness_assert_contains(cfg, "path = 934.db"); /* inside the folder: relative */
    free(cfg);

    const harness_cert_t *c = harness_pki_cert(&pki, "934-district");
    harness_output_t out;
    /* An existing configuration is replaced only on request. */
    run(&out, &o, "init", "--server", "127.0.0.1:1", "--ca", pki.ca, "--cert", c->cert, "--key",
        c->key, "--store", o.store, NULL);
    assert_exit(&out, 1);
    harness_assert_contains(out.err, "--force");
    harness_output_free(&out);
    run(&out, &o, "init", "--force", "--server", "127.0.0.1:1", "--ca", pki.ca, "--cert", c->cert,
        "--key", c->key, "--store", o.store, NULL);
    assert_exit(&out, 0);
    harness_assert_contains(out.out, "unit 934, role district");
    harness_assert_contains(out.out, "unreachable");
    harness_output_free(&out);

    /* A key that does not belong to the certificate is found now, not at the first sync. */
    const harness_cert_t *other = harness_pki_cert(&pki, "935-district");
    office_t bad = o;
    office_file(&o, bad.cfg, "other.conf");
    run(&out, &bad, "init", "--server", "127.0.0.1:1", "--ca", pki.ca, "--cert", c->cert, "--key",
        other->key, NULL);
    assert_exit(&out, 5);
    assert_int_equal(access(bad.cfg, F_OK), -1);
    harness_output_free(&out);

    /* Without init there is nothing to work on. */
    office_file(&o, bad.cfg, "missing.conf");
    run(&out, &bad, "list", NULL);
    assert_exit(&out, 5);
    harness_assert_contains(out.err, "init");
    harness_output_free(&out);
}

static void test_add_offline_checks_syntax(void **state)
{
    (void)state;
    office_t o;
    office_new(&o, "add-offline");
    harness_output_t out;

    run(&out, &o, "add", "--kind", "ca-nhan", "--name", "Lê Thị Bình", "--birth-date", "05/06/1990",
        "--gender", "nữ", "--title", "Giáo viên dạy giỏi", "--category", "ASXH", "--achieved-on",
        "2025-02-30", "--award", "GIAY_KHEN", "--campaign", "HG-DB-2025", NULL);
    assert_exit(&out, 2);
    harness_assert_contains(out.err, "thidua: date achieved (--achieved-on): 2025-02-30 is not a "
                                     "date (day 30 does not exist in February 2025)");
    harness_output_free(&out);

    /* Before the first contact nobody knows the campaign: the officer must name it. */
    run(&out, &o, "add", "--kind", "ca-nhan", "--name", "Lê Thị Bình", "--birth-date", "05/06/1990",
        "--title", "Giáo viên dạy giỏi", "--category", "ASXH", "--achieved-on", "2025-02-03",
        "--award", "GIAY_KHEN", NULL);
    assert_exit(&out, 2);
    harness_assert_contains(out.err, "--campaign");
    harness_output_free(&out);

    run(&out, &o, "add", "--kind", "ca-nhan", "--name", "Lê Thị Bình", "--title", "Giáo viên",
        "--category", "ASXH", "--achieved-on", "2025-02-03", "--award", "GIAY_KHEN", "--campaign",
        "HG-DB-2025", NULL);
    assert_exit(&out, 2);
    harness_assert_contains(out.err, "date of birth (--birth-date): required for an individual");
    harness_output_free(&out);

    run(&out, &o, "add", "--kind", "ca-nhan", "--name", "Lê Thị Bình", "--birth-date", "05/06/1990",
        "--gender", "nữ", "--title", "Giáo viên dạy giỏi", "--category", "ASXH", "--achieved-on",
        "3/2/2025", "--award", "GIAY_KHEN", "--campaign", "HG-DB-2025", NULL);
    assert_exit(&out, 0);
    harness_assert_contains(out.err, "checked at sync");
    char id[37];
    memcpy(id, out.out, 36);
    id[36] = '\0';
    harness_output_free(&out);

    run(&out, &o, "--json", "show", id, NULL);
    assert_exit(&out, 0);
    harness_assert_contains(out.out, "\"nominee_kind\":\"individual\"");
    harness_assert_contains(out.out, "\"birth_date\":\"1990-06-05\"");
    harness_assert_contains(out.out, "\"gender\":\"female\"");
    harness_assert_contains(out.out, "\"achieved_on\":\"2025-02-03\"");
    harness_assert_contains(out.out, "\"org_unit\":\"934\""); /* the certificate's unit */
    harness_assert_contains(out.out, "\"sync\":\"pending\"");
    harness_output_free(&out);

    run(&out, &o, "add", "--kind", "group", "--name", "X", NULL);
    assert_exit(&out, 2);
    harness_assert_contains(out.err, "(--kind): must be individual, collective or household");
    harness_output_free(&out);

    run(&out, &o, "add", "--no-such-option", NULL);
    assert_exit(&out, 1);
    harness_output_free(&out);
}

/* Every limited text field (common/fields.h) from `thidua add`: at its limit kept, one over refused by name. */
static void test_add_field_limits(void **state)
{
    (void)state;
    office_t o;
    office_new(&o, "limits");
    size_t tested = 0;
    for (size_t f = 0; f < field_record_count; f++) {
        const field_def_t *d = &field_record_defs[f];
        if (d->sql[0] == '\0')
            continue; /* a code or a date: not free text */
        char opt[64];
        snprintf(opt, sizeof(opt), "--%s", strcmp(d->id, "nominee_name") == 0 ? "name" : d->id);
        for (int over = 0; over < 2; over++) {
            /* "ệ" is three bytes and one code point: the limit counts code points. */
            size_t chars = d->max_chars + (size_t)over;
            char *value = malloc(chars * 3 + 1);
            assert_non_null(value);
            for (size_t k = 0; k < chars; k++)
                memcpy(value + 3 * k, "\xe1\xbb\x87", 3);
            value[chars * 3] = '\0';
            const char *name = strcmp(opt, "--name") == 0 ? value : "Lê Thị Bình";
            const char *title = strcmp(opt, "--title") == 0 ? value : "Giáo viên dạy giỏi";
            harness_output_t out;
            if (strcmp(opt, "--name") == 0 || strcmp(opt, "--title") == 0)
                run(&out, &o, "add", "--kind", "individual", "--name", name, "--birth-date",
                    "1985-09-02", "--title", title, "--category", "ASXH", "--achieved-on",
                    "2025-01-15", "--award", "GIAY_KHEN", "--campaign", "HG-DB-2025", NULL);
            else
                run(&out, &o, "add", "--kind", "individual", "--name", name, "--birth-date",
                    "1985-09-02", "--title", title, opt, value, "--category", "ASXH",
                    "--achieved-on", "2025-01-15", "--award", "GIAY_KHEN", "--campaign",
                    "HG-DB-2025", NULL);
            if (over == 0) {
                assert_exit(&out, 0);
            } else {
                assert_exit(&out, 2);
                char want[96];
                snprintf(want, sizeof(want), "(%s): ", opt);
                harness_assert_contains(out.err, want);
                harness_assert_contains(out.err, "long");
            }
            harness_output_free(&out);
            free(value);
        }
        tested++;
    }
    assert_int_equal(tested, 5); /* name, position, workplace, title, summary */
}

/*
 * The officer's language: under LANG=vi_VN.UTF-8 the help, a date outside the
 * campaign (dd/mm/yyyy), an unknown category (the known ones by name) and a
 * record with three problems (all three, each by its field's name) come out
 * in Vietnamese; under C.UTF-8 in English; --json is the same in both; and
 * `[display] language = vi` makes a C.UTF-8 office Vietnamese.
 */
static void test_messages_in_vietnamese(void **state)
{
    (void)state;
    office_t o;
    office_new(&o, "vi-messages");
    office_welcome(&o);
    harness_output_t vi, en;

    run_lang(&vi, "vi_VN.UTF-8", &o, "--help", NULL);
    assert_exit(&vi, 0);
    harness_assert_contains(vi.out, "Các lệnh:");
    harness_assert_contains(vi.out, "ghi một hồ sơ đề nghị mới (không cần mạng)");
    harness_output_free(&vi);
    run_lang(&en, "C.UTF-8", &o, "--help", NULL);
    harness_assert_contains(en.out, "Commands:");
    harness_output_free(&en);

#define BAD_ADD(out, lang, ...)                                                                    \
    run_lang(out, lang, &o, "add", __VA_ARGS__, "--kind", "collective", "--name",                  \
             "Hội Nông dân xã", "--title", "Phong trào nông dân sản xuất giỏi", "--award",        \
             "GIAY_KHEN", NULL)
    /* A date outside the campaign, typed as the officer types it. */
    BAD_ADD(&vi, "vi_VN.UTF-8", "-q", "--category", "KT_XH", "--achieved-on", "15/07/2025");
    assert_exit(&vi, 2);
    harness_assert_contains(vi.err, "Ngày đạt thành tích (--achieved-on): 15/07/2025 nằm ngoài "
                                    "thời gian của phong trào (từ 01/07/2024 đến 30/06/2025)");
    harness_output_free(&vi);
    BAD_ADD(&en, "C.UTF-8", "-q", "--category", "KT_XH", "--achieved-on", "15/07/2025");
    harness_assert_contains(en.err, "date achieved (--achieved-on): 15/07/2025 is outside the "
                                    "campaign (01/07/2024 to 30/06/2025)");
    harness_output_free(&en);

    /* An unknown category: the known ones with their names. */
    BAD_ADD(&vi, "vi_VN.UTF-8", "-q", "--category", "THE_THAO", "--achieved-on", "2025-03-01");
    assert_exit(&vi, 2);
    harness_assert_contains(vi.err, "Lĩnh vực (--category): không có lĩnh vực \"THE_THAO\"; "
                                    "chọn một trong: KT_XH (Kinh tế – xã hội), QP_AN (Quốc phòng");
    harness_output_free(&vi);

    /* Three problems at once, each by its field. */
    const char *const three[] = {"Ngày đạt thành tích (--achieved-on)", "Lĩnh vực (--category)",
                                 "Ngày sinh (--birth-date)"};
    run_lang(&vi, "vi_VN.UTF-8", &o, "add", "-q", "--kind", "collective", "--name", "Hội Phụ nữ",
             "--title", "Phụ nữ giỏi việc nước", "--award", "GIAY_KHEN", "--category", "THE_THAO",
             "--achieved-on", "01/01/2026", "--birth-date", "01/01/1980", NULL);
    assert_exit(&vi, 2);
    harness_assert_contains(vi.err, "hồ sơ có 3 chỗ cần sửa:");
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(three); i++)
        harness_assert_contains(vi.err, three[i]);
    harness_assert_contains(vi.err, "chỉ ghi cho cá nhân");
    harness_output_free(&vi);

    /* Machine output does not change with the language. */
    BAD_ADD(&vi, "vi_VN.UTF-8", "--json", "--category", "THE_THAO", "--achieved-on", "2025-03-01");
    BAD_ADD(&en, "C.UTF-8", "--json", "--category", "THE_THAO", "--achieved-on", "2025-03-01");
    assert_int_equal(vi.exit_code, en.exit_code);
    assert_string_equal(vi.out, en.out);
    assert_string_equal(vi.err, en.err);
    harness_assert_contains(en.err, "unknown category");
    harness_output_free(&vi);
    harness_output_free(&en);

    /* The configuration's language wins over an English locale. */
    char *cfg = harness_read_file(o.cfg);
    size_t size = strlen(cfg) + 64;
    char *with = malloc(size);
    assert_non_null(with);
    snprintf(with, size, "%s\n[display]\nlanguage = vi\n", cfg);
    harness_write_file(o.cfg, with);
    BAD_ADD(&en, "C.UTF-8", "-q", "--category", "THE_THAO", "--achieved-on", "2025-03-01");
    harness_assert_contains(en.err, "không có lĩnh vực \"THE_THAO\"");
    harness_output_free(&en);
#undef BAD_ADD
    free(cfg);
    free(with);
}

/* Run the same command under both locales; the --json run must not tell them apart. */
static void run_both(harness_output_t *vi, harness_output_t *en, const office_t *o, const char *cmd,
                     const char *arg)
{
    run_lang(vi, "vi_VN.UTF-8", o, cmd, arg, NULL);
    run_lang(en, "C.UTF-8", o, cmd, arg, NULL);
    assert_int_equal(vi->exit_code, en->exit_code);
    harness_output_t jvi, jen;
    run_lang(&jvi, "vi_VN.UTF-8", o, "--json", cmd, arg, NULL);
    run_lang(&jen, "C.UTF-8", o, "--json", cmd, arg, NULL);
    assert_int_equal(jvi.exit_code, jen.exit_code);
    assert_string_equal(jvi.out, jen.out);
    assert_string_equal(jvi.err, jen.err);
    harness_output_free(&jvi);
    harness_output_free(&jen);
}

/*
 * What the officer reads from list, show and status: under vi_VN.UTF-8 the
 * headings, statuses, kinds and award forms by their Vietnamese names and
 * dates as dd/mm/yyyy; under C.UTF-8 the English words; --json the same in both.
 */
static void test_list_show_status_in_vietnamese(void **state)
{
    (void)state;
    office_t o;
    office_new(&o, "vi-list");
    office_welcome(&o);
    char awarded[37], returned[37];
    add_person(&o, "Huỳnh Văn Bảy", "Nông dân sản xuất giỏi", awarded);
    add_person(&o, "Lý Thị Tám", "Phụ nữ giỏi việc nước", returned);
    office_province_awards(&o, awarded);
    office_province_says(&o, returned, THIDUA__V1__RECORD__STATUS__RETURNED, "return",
                         "Bổ sung báo cáo thành tích", NULL);
    harness_output_t vi, en;

    run_both(&vi, &en, &o, "list", NULL);
    assert_exit(&vi, 0);
    harness_assert_contains(vi.out, "ĐỐI TƯỢNG");
    harness_assert_contains(vi.out, "TÌNH TRẠNG");
    harness_assert_contains(vi.out, "cá nhân");
    harness_assert_contains(vi.out, "! trả lại để bổ sung: Bổ sung báo cáo thành tích");
    harness_assert_contains(vi.out, "đã khen thưởng: Bằng khen của Chủ tịch UBND tỉnh "
                                    "(quyết định số 163/QĐ-UBND ngày 15/05/2025)");
    harness_assert_contains(vi.err, "2 hồ sơ");
    harness_assert_contains(en.out, "STATUS");
    harness_assert_contains(en.out, "individual");
    harness_assert_contains(en.out, "! returned: Bổ sung báo cáo thành tích");
    harness_assert_contains(en.err, "2 records");
    harness_output_free(&vi);
    harness_output_free(&en);

    run_both(&vi, &en, &o, "show", awarded);
    assert_exit(&vi, 0);
    harness_assert_contains(vi.out, "Đối tượng:");
    harness_assert_contains(vi.out, "cá nhân\n");
    harness_assert_contains(vi.out, "nữ\n");
    harness_assert_contains(vi.out, "Ngày sinh:");
    harness_assert_contains(vi.out, "02/09/1985");
    harness_assert_contains(vi.out, "Lĩnh vực:");
    harness_assert_contains(vi.out, "An sinh xã hội (ASXH)");
    harness_assert_contains(vi.out, "duyệt (phiên bản 1), 05/03/2025");
    harness_assert_contains(vi.out, "Hình thức khen thưởng:");
    harness_assert_contains(vi.out, "số 163/QĐ-UBND ngày 15/05/2025, KT. CHỦ TỊCH");
    harness_assert_contains(vi.out, "Kết quả xét duyệt của tỉnh:");
    assert_null(strstr(vi.out, "2025-05-15")); /* no ISO date for people */
    assert_null(strstr(vi.out, "1985-09-02"));
    harness_assert_contains(en.out, "Kind:           individual\n");
    harness_assert_contains(en.out, "Gender:         female\n");
    harness_assert_contains(en.out, "Birth date:     02/09/1985");
    harness_assert_contains(en.out, "approve on revision 1, 05/03/2025");
    harness_output_free(&vi);
    harness_output_free(&en);

    run_both(&vi, &en, &o, "status", NULL);
    assert_exit(&vi, 6);
    harness_assert_contains(vi.out, "Phong trào:");
    harness_assert_contains(vi.out, "từ 01/07/2024 đến 30/06/2025");
    harness_assert_contains(vi.out, "Cần xử lý:");
    harness_assert_contains(vi.out, "! trả lại để bổ sung");
    harness_assert_contains(en.out, "01/07/2024 to 30/06/2025");
    harness_assert_contains(en.out, "Need attention:");
    harness_output_free(&vi);
    harness_output_free(&en);

    run_both(&vi, &en, &o, "list", "--help");
    harness_assert_contains(vi.out, "cách dùng: thidua list");
    harness_assert_contains(en.out, "usage: thidua list");
    harness_output_free(&vi);
    harness_output_free(&en);

    /* A province command's help needs no server. */
    run_both(&vi, &en, &o, "approve", "--help");
    harness_assert_contains(vi.out, "cách dùng: thidua approve MÃ");
    harness_assert_contains(vi.out, "Duyệt một hồ sơ đề nghị đã gửi");
    harness_assert_contains(en.out, "usage: thidua approve ID");
    harness_output_free(&vi);
    harness_output_free(&en);

    /* A command of subcommands lists them on --help, and names the word it did not know. */
    run_both(&vi, &en, &o, "units", "--help");
    assert_int_equal(en.exit_code, 0);
    harness_assert_contains(vi.out, "thidua units reorganise TỆP.csv [--dry-run]");
    harness_assert_contains(en.out, "thidua units list [--on DATE | --all]");
    harness_output_free(&vi);
    harness_output_free(&en);
    run_both(&vi, &en, &o, "print", "certifcates");
    assert_int_equal(en.exit_code, 1);
    harness_assert_contains(vi.err, "print: không có lệnh con 'certifcates'");
    harness_assert_contains(en.err, "print: unknown subcommand 'certifcates'");
    harness_assert_contains(en.err, "thidua print certificates NUMBER -o FILE.pdf");
    harness_output_free(&vi);
    harness_output_free(&en);
    run_both(&vi, &en, &o, "campaigns", NULL);
    harness_assert_contains(vi.err, "campaigns: hãy chọn một trong: list, show, create");
    harness_assert_contains(en.err, "campaigns: say which: list, show, create");
    harness_output_free(&vi);
    harness_output_free(&en);
}

static void test_add_checks_campaign_from_saved_welcome(void **state)
{
    (void)state;
    office_t o;
    office_new(&o, "add-welcome");
    office_welcome(&o);
    harness_output_t out;

    /* Category and award by their Vietnamese names; no --campaign needed any more. */
    run(&out, &o, "add", "--kind", "tập thể", "--name", "Trường THCS Âu Cơ", "--title",
        "Tập thể lao động tiên tiến năm học 2024-2025", "--category", "an sinh xã hội",
        "--achieved-on", "2025-05-20", "--award", "Giấy khen", NULL);
    assert_exit(&out, 0);
    assert_null(strstr(out.err, "checked at sync"));
    char id[37];
    memcpy(id, out.out, 36);
    id[36] = '\0';
    harness_output_free(&out);
    run(&out, &o, "--json", "show", id, NULL);
    assert_exit(&out, 0);
    harness_assert_contains(out.out, "\"category\":\"ASXH\"");
    harness_assert_contains(out.out, "\"proposed_award\":\"GIAY_KHEN\"");
    harness_assert_contains(out.out, "\"campaign\":\"HG-DB-2025\"");
    harness_output_free(&out);
    run(&out, &o, "show", id, NULL);
    assert_exit(&out, 0);
    harness_assert_contains(out.out, "An sinh xã hội (ASXH)");
    harness_assert_contains(out.out, "Huyện Phụng Hiệp (934)");
    harness_assert_contains(out.out, "20/05/2025");
    harness_output_free(&out);

    static const struct {
        const char *option, *value, *message;
    } bad[] = {
        {"--achieved-on", "2024-06-30",
         "date achieved (--achieved-on): 30/06/2024 is outside the campaign (01/07/2024 to "
         "30/06/2025)"},
        {"--category", "THE_THAO",
         "category (--category): unknown category \"THE_THAO\"; one of: KT_XH (Kinh tế"},
        {"--award", "CSTD_TINH", "(CSTD_TINH) cannot be given to a collective"},
        {"--unit", "999", "(--unit): 999 is not a unit this certificate may write for (934, 31942)"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        run(&out, &o, "add", "--kind", "collective", "--name", "Hội Nông dân xã", "--title",
            "Phong trào nông dân sản xuất giỏi", "--category", "KT_XH", "--achieved-on",
            "2025-03-01", "--award", "GIAY_KHEN", bad[i].option, bad[i].value, NULL);
        assert_exit(&out, 2);
        harness_assert_contains(out.err, bad[i].message);
        harness_output_free(&out);
    }
    /* A commune below the district is allowed. */
    run(&out, &o, "add", "--kind", "collective", "--name", "Hội Nông dân thị trấn", "--title",
        "Phong trào nông dân sản xuất giỏi", "--category", "KT_XH", "--achieved-on", "2025-03-01",
        "--award", "GIAY_KHEN", "--unit", "31942", NULL);
    assert_exit(&out, 0);
    harness_output_free(&out);
}

static void test_nfd_input_is_stored_as_nfc(void **state)
{
    (void)state;
    office_t o;
    office_new(&o, "nfc");
    char id[37];
    add_person(&o, NAME_NFD, "Chiến sĩ thi đua", id);
    harness_output_t out;
    run(&out, &o, "--json", "list", NULL);
    assert_exit(&out, 0);
    harness_assert_contains(out.out, "\"nominee_name\":\"" NAME_NFC "\"");
    assert_null(strstr(out.out, NAME_NFD));
    harness_output_free(&out);

    store_t *st = office_store(&o);
    store_record_t *r = NULL;
    assert_int_equal(store_record_get(st, id, &r), TD_OK);
    assert_string_equal(r->rec.nominee_name, NAME_NFC);
    store_record_free(r);
    store_close(st);
}

static void test_list_sorts_the_vietnamese_way(void **state)
{
    (void)state;
    office_t o;
    office_new(&o, "sort");
    /* Byte order would give An, Bùi, Dương, Âu, Đặng. */
    const char *names[] = {"Đặng Văn Em", "Bùi Văn Cường", "Dương Thị Hoa", "An Văn Phúc",
                           "Âu Thị Lan"};
    char id[37];
    for (size_t i = 0; i < 5; i++)
        add_person(&o, names[i], "Hoàn thành xuất sắc nhiệm vụ", id);
    add_person(&o, "Trường THCS Âu Cơ", "Tập thể", id);

    harness_output_t out;
    run(&out, &o, "list", NULL);
    assert_exit(&out, 0);
    const char *order[] = {"An Văn Phúc",   "Âu Thị Lan",  "Bùi Văn Cường",
                           "Dương Thị Hoa", "Đặng Văn Em", "Trường THCS Âu Cơ"};
    const char *prev = out.out;
    for (size_t i = 0; i < 6; i++) {
        const char *at = strstr(out.out, order[i]);
        harness_assert_contains(out.out, order[i]);
        assert_true(at > prev);
        prev = at;
    }
    harness_assert_contains(out.err, "6 records");
    harness_output_free(&out);

    /* By given name (the last word): Cơ, Cường, Em, Hoa, Lan, Phúc. */
    run(&out, &o, "list", "--sort", "given", NULL);
    assert_exit(&out, 0);
    const char *given[] = {"Trường THCS Âu Cơ", "Bùi Văn Cường", "Đặng Văn Em",
                           "Dương Thị Hoa",     "Âu Thị Lan",    "An Văn Phúc"};
    prev = out.out;
    for (size_t i = 0; i < 6; i++) {
        const char *at = strstr(out.out, given[i]);
        assert_non_null(at);
        assert_true(at > prev);
        prev = at;
    }
    harness_output_free(&out);

    /* Columns line up by display width, not bytes: every STATUS starts in one column. */
    run(&out, &o, "list", NULL);
    size_t col = 0;
    for (char *line = strtok(out.out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char *status = strstr(line, "STATUS");
        if (status == NULL)
            status = strstr(line, "new, not sent");
        assert_non_null(status);
        *status = '\0';
        size_t width = 0;
        for (const unsigned char *p = (const unsigned char *)line; *p; p++)
            width += (*p & 0xC0) != 0x80; /* NFC Vietnamese: one column per code point */
        if (col == 0)
            col = width;
        assert_int_equal(width, col);
    }
    harness_output_free(&out);
}

/* The global options work after the command name as before it: `thidua list --json`. */
static void test_global_options_after_the_command(void **state)
{
    (void)state;
    office_t o;
    office_new(&o, "gopt");
    char id[37];
    add_person(&o, "Lê Thị Mai", "Hoàn thành xuất sắc nhiệm vụ", id);
    add_person(&o, "Phạm Văn Nam", "Lao động tiên tiến", id);

    const char *bin = harness_thidua_path();
    harness_output_t before, after, mixed, bad;
    const char *argv_before[] = {bin, "-c", o.cfg, "--json", "list", NULL};
    const char *argv_after[] = {bin, "list", "--json", "-c", o.cfg, NULL};
    harness_run(argv_before, NULL, &before);
    assert_exit(&before, 0);
    harness_run(argv_after, NULL, &after);
    assert_exit(&after, 0);
    harness_assert_contains(before.out, "Lê Thị Mai");
    assert_true(before.out[0] == '[' || before.out[0] == '{');
    assert_string_equal(after.out, before.out);

    /* A command's own option beside them, in any order, and --config=FILE. */
    char cfg_opt[HARNESS_PATH_MAX + 16];
    snprintf(cfg_opt, sizeof(cfg_opt), "--config=%s", o.cfg);
    const char *argv_mixed[] = {bin, "list", "--sort", "given", "-q", cfg_opt, "--json", NULL};
    harness_run(argv_mixed, NULL, &mixed);
    assert_exit(&mixed, 0);
    harness_assert_contains(mixed.out, "Phạm Văn Nam");
    assert_true(strstr(mixed.out, "Lê Thị Mai") < strstr(mixed.out, "Phạm Văn Nam"));

    /* An option neither global nor the command's is still refused, by name. */
    const char *argv_bad[] = {bin, "list", "--json", "--colour", "-c", o.cfg, NULL};
    harness_run(argv_bad, NULL, &bad);
    assert_exit(&bad, 1);
    harness_assert_contains(bad.err, "--colour");
    assert_string_equal(bad.out, "");
    harness_output_free(&before);
    harness_output_free(&after);
    harness_output_free(&mixed);
    harness_output_free(&bad);
}

static void test_edit_and_withdraw(void **state)
{
    (void)state;
    office_t o;
    office_new(&o, "edit");
    char id[37];
    add_person(&o, "Phạm Văn Tư", "Cán bộ xuất sắc", id);
    char prefix[9];
    memcpy(prefix, id, 8);
    prefix[8] = '\0';
    for (char *p = prefix; *p; p++) /* officers type ids in any case */
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    harness_output_t out;

    run(&out, &o, "edit", prefix, "--title", "Cán bộ xuất sắc tiêu biểu", "--position",
        "Phó Chủ tịch UBND xã", NULL);
    assert_exit(&out, 0);
    harness_assert_contains(out.out, "revision 2");
    harness_output_free(&out);

    run(&out, &o, "edit", prefix, "--position", "Phó Chủ tịch UBND xã", NULL);
    assert_exit(&out, 0);
    harness_assert_contains(out.out, "nothing changed");
    harness_output_free(&out);

    run(&out, &o, "edit", prefix, "--achieved-on", "30/02/2025", NULL);
    assert_exit(&out, 2);
    harness_assert_contains(out.err, "(--achieved-on): 30/02/2025 is not a date");
    harness_output_free(&out);

    run(&out, &o, "show", id, NULL);
    assert_exit(&out, 0);
    harness_assert_contains(out.out, "Title:          Cán bộ xuất sắc tiêu biểu");
    harness_assert_contains(out.out, "revision 1 ");
    harness_assert_contains(out.out, "revision 2 ");
    harness_assert_contains(out.out, "position, achievement");
    harness_output_free(&out);

    run(&out, &o, "edit", "00000000", "--title", "X", NULL);
    assert_exit(&out, 2);
    harness_output_free(&out);
    run(&out, &o, "edit", "12ab", "--title", "X", NULL);
    assert_exit(&out, 2);
    harness_assert_contains(out.err, "at least 8");
    harness_output_free(&out);
    run(&out, &o, "edit", id, "--unit", "31942", NULL);
    assert_exit(&out, 1);
    harness_output_free(&out);

    run(&out, &o, "withdraw", id, NULL);
    assert_exit(&out, 0);
    harness_assert_contains(out.out, "revision 3");
    harness_output_free(&out);
    run(&out, &o, "edit", id, "--title", "Sau khi rút", NULL);
    assert_exit(&out, 4);
    harness_assert_contains(out.err, "withdrawn");
    harness_output_free(&out);
    run(&out, &o, "withdraw", id, NULL);
    assert_exit(&out, 0);
    harness_assert_contains(out.err, "already withdrawn");
    harness_output_free(&out);
    run(&out, &o, "list", NULL);
    harness_assert_contains(out.out, "withdrawn here, not sent");
    harness_output_free(&out);
}

static void test_decided_records_are_locked(void **state)
{
    (void)state;
    office_t o;
    office_new(&o, "locked");
    office_welcome(&o);
    char rejected[37], awarded[37], returned[37];
    add_person(&o, "Võ Thị Sáu", "Người tốt việc tốt", rejected);
    add_person(&o, "Huỳnh Văn Bảy", "Nông dân sản xuất giỏi", awarded);
    add_person(&o, "Lý Thị Tám", "Phụ nữ giỏi việc nước", returned);

    office_province_says(&o, rejected, THIDUA__V1__RECORD__STATUS__REJECTED, "reject",
                         "Thiếu xác nhận của UBND xã", NULL);
    office_province_awards(&o, awarded);
    office_province_says(&o, returned, THIDUA__V1__RECORD__STATUS__RETURNED, "return",
                         "Bổ sung báo cáo thành tích", NULL);

    harness_output_t out;
    run(&out, &o, "edit", rejected, "--title", "Người tốt việc tốt năm 2025", NULL);
    assert_exit(&out, 4);
    harness_assert_contains(out.err, "the province rejected it on 05/03/2025 (revision 1): "
                                     "Thiếu xác nhận của UBND xã");
    harness_output_free(&out);
    run(&out, &o, "withdraw", rejected, NULL);
    assert_exit(&out, 4);
    harness_output_free(&out);

    run(&out, &o, "edit", awarded, "--title", "Khác", NULL);
    assert_exit(&out, 4);
    harness_assert_contains(out.err, "awarded (BK_UBND_TINH, decision 163/QĐ-UBND of 15/05/2025)");
    harness_output_free(&out);

    run(&out, &o, "show", awarded, NULL);
    assert_exit(&out, 0);
    harness_assert_contains(out.out, "Bằng khen của Chủ tịch UBND tỉnh (BK_UBND_TINH)");
    harness_assert_contains(out.out, "163/QĐ-UBND of 15/05/2025, KT. CHỦ TỊCH");
    harness_assert_contains(out.out, "approve");
    harness_output_free(&out);

    run(&out, &o, "show", rejected, NULL);
    assert_exit(&out, 0);
    harness_assert_contains(out.out, "reject on revision 1, 05/03/2025");
    harness_assert_contains(out.out, "Thiếu xác nhận của UBND xã");
    harness_output_free(&out);

    run(&out, &o, "list", NULL);
    assert_exit(&out, 0);
    harness_assert_contains(out.out, "rejected: Thiếu xác nhận của UBND xã");
    harness_assert_contains(out.out, "! returned: Bổ sung báo cáo thành tích");
    harness_assert_contains(out.out, "awarded: Bằng khen của Chủ tịch UBND tỉnh (163/QĐ-UBND, 15/05/2025)");
    harness_output_free(&out);

    run(&out, &o, "list", "--status", "awarded", NULL);
    assert_exit(&out, 0);
    harness_assert_contains(out.out, "Huỳnh Văn Bảy");
    assert_null(strstr(out.out, "Võ Thị Sáu"));
    harness_output_free(&out);

    /* Returned for supplements: the officer edits, and the new revision waits to be sent. */
    run(&out, &o, "status", NULL);
    assert_exit(&out, 6);
    harness_assert_contains(out.out, "Bổ sung báo cáo thành tích");
    harness_output_free(&out);
    run(&out, &o, "edit", returned, "--summary", "Báo cáo bổ sung.\nCó xác nhận của xã.", NULL);
    assert_exit(&out, 0);
    harness_assert_contains(out.out, "revision 2");
    harness_output_free(&out);
    run(&out, &o, "status", NULL);
    assert_exit(&out, 0);
    harness_assert_contains(out.out, "1 revision of 1 record");
    harness_output_free(&out);
}

static void test_status_shows_refusals(void **state)
{
    (void)state;
    office_t o;
    office_new(&o, "status");
    char id[37], other[37];
    add_person(&o, "Đoàn Văn Hậu", "Vận động viên xuất sắc", id);
    add_person(&o, "Mai Thị Hồng", "Giáo viên giỏi", other);

    harness_output_t out;
    run(&out, &o, "status", NULL);
    assert_exit(&out, 0);
    harness_assert_contains(out.out, "2 revisions of 2 records");
    harness_assert_contains(out.out, "Last sync:        never");
    harness_output_free(&out);

    store_t *st = office_store(&o);
    Thidua__V1__RecordAck ack = THIDUA__V1__RECORD_ACK__INIT;
    ack.id = id;
    ack.revision = 1;
    ack.status = THIDUA__V1__RECORD_ACK__STATUS__REJECTED;
    ack.field = "achieved_on";
    ack.message = "2025-01-15 is after the campaign for this unit";
    Thidua__V1__RecordAck *pack = &ack;
    assert_int_equal(store_outbox_ack(st, &pack, 1, 5), 1);
    store_close(st);

    run(&out, &o, "status", NULL);
    assert_exit(&out, 6);
    harness_assert_contains(out.out, "1 revision of 1 record");
    harness_assert_contains(out.out, "Refused at sync:  1 (invalid 1");
    harness_assert_contains(out.out, "refused at sync: date achieved: 2025-01-15 is after the "
                                     "campaign for this unit");
    harness_output_free(&out);
    run(&out, &o, "--json", "status", NULL);
    assert_exit(&out, 6);
    harness_assert_contains(out.out, "\"rejected\":1");
    harness_assert_contains(out.out, id);
    harness_output_free(&out);
    run(&out, &o, "list", "--sync", "invalid", NULL);
    assert_exit(&out, 0);
    harness_assert_contains(out.out, "Đoàn Văn Hậu");
    assert_null(strstr(out.out, "Mai Thị Hồng"));
    harness_output_free(&out);
}

/*
 * The CSV of test_import: 200 rows, 5 of them bad; the spreadsheet rows of the
 * bad ones in bad_rows (the header is row 1, so nomination i is row i + 1,
 * whatever line of the file it starts on).
 */
static char *import_csv(unsigned bad_rows[5], int corrected)
{
    static const char *family[] = {"Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi"};
    static const char *given[] = {"Văn An", "Thị Bình", "Minh Châu", "Thị Dung", "Quốc Đạt"};
    size_t cap = 200 * 400 + 1024, o = 0;
    char *csv = malloc(cap);
    assert_non_null(csv);
    o += (size_t)snprintf(csv + o, cap - o,
                          "\xEF\xBB\xBFSTT,Loại,Họ và tên,Ngày sinh,Giới tính,Chức vụ,"
                          "Đơn vị công tác,Thành tích,Báo cáo thành tích,Lĩnh vực,Ngày đạt,"
                          "Hình thức khen thưởng\r\n");
    unsigned nbad = 0;
    for (int i = 1; i <= 200; i++) {
        char name[128], title[128], summary[256], date[32];
        snprintf(name, sizeof(name), "%s %s", family[i % 8], given[i % 5]);
        snprintf(title, sizeof(title), "Thành tích số %d", i);
        snprintf(summary, sizeof(summary), "Báo cáo %d", i);
        if (i == 3) /* a report over three lines, with a comma and quotes */
            snprintf(summary, sizeof(summary),
                     "\"Dòng 1, có dấu phẩy\r\nDòng \"\"2\"\"\r\nDòng 3\"");
        if (corrected && i == 20)
            snprintf(summary, sizeof(summary), "\"Báo cáo %d, đã sửa\"", i);
        snprintf(date, sizeof(date), i % 2 ? "2025-01-%02d" : "%02d/01/2025", i % 28 + 1);
        const char *kind = i % 3 == 0 ? "Tập thể" : "Cá nhân";
        const char *birth = i % 3 == 0 ? "" : "02/09/1985";
        const char *gender = i % 3 == 0 ? "" : (i % 2 ? "Nam" : "Nữ");
        const char *category = "ASXH";
        int ragged = 0;
        if (i == 10 && !corrected)
            snprintf(date, sizeof(date), "31/02/2025");
        if (i == 50)
            name[0] = '\0';
        if (i == 90)
            kind = "Nhóm";
        if (i == 130)
            ragged = 1;
        if (i == 170)
            snprintf(date, sizeof(date), "2023-05-01");
        if ((i == 10 && !corrected) || i == 50 || i == 90 || i == 130 || i == 170)
            bad_rows[nbad++] = (unsigned)i + 1;
        o += (size_t)snprintf(csv + o, cap - o, "%d,%s,%s,%s,%s,Cán bộ,UBND xã,%s,%s,%s,%s%s\r\n",
                              i, kind, name, birth, gender, title, summary, category, date,
                              ragged ? "" : ",GIAY_KHEN");
        assert_true(o < cap);
    }
    if (corrected)
        bad_rows[4] = 0;
    return csv;
}

/* Records in the office's store, from `status --json`. */
static long office_records(const office_t *o)
{
    harness_output_t out;
    run(&out, o, "--json", "status", NULL);
    const char *p = strstr(out.out, "\"records\":");
    assert_non_null(p);
    long n = strtol(p + strlen("\"records\":"), NULL, 10);
    harness_output_free(&out);
    return n;
}

static void test_import_csv(void **state)
{
    (void)state;
    office_t o;
    office_new(&o, "import");
    office_welcome(&o);
    unsigned bad[5];
    char *csv = import_csv(bad, 0);
    char path[HARNESS_PATH_MAX];
    office_file(&o, path, "de-nghi.csv");
    harness_write_file(path, csv);
    free(csv);

    harness_output_t out;
    run(&out, &o, "import", path, NULL);
    assert_exit(&out, 2);
    harness_assert_contains(out.out, "imported 195, skipped 0 already imported, 5 rejected");
    assert_int_equal(count_of(out.err, "\nrow ") + (strncmp(out.err, "row ", 4) == 0), 5);
    char want[128];
    snprintf(want, sizeof(want), "row %u (STT %u): Ngày đạt: 31/02/2025 is not a date", bad[0],
             bad[0] - 1);
    harness_assert_contains(out.err, want);
    snprintf(want, sizeof(want), "row %u (STT %u): Họ và tên: empty", bad[1], bad[1] - 1);
    harness_assert_contains(out.err, want);
    snprintf(want, sizeof(want), "row %u (STT %u): Loại: must be individual", bad[2], bad[2] - 1);
    harness_assert_contains(out.err, want);
    snprintf(want, sizeof(want), "row %u (STT %u): 11 fields, but the header has 12", bad[3],
             bad[3] - 1);
    harness_assert_contains(out.err, want);
    snprintf(want, sizeof(want), "row %u (STT %u): Ngày đạt: 01/05/2023 is outside the campaign",
             bad[4], bad[4] - 1);
    harness_assert_contains(out.err, want);
    /* Row 10 is the sheet's row 11, though row 3's report pushes it down to line 13 of the file. */
    assert_int_equal(bad[0], 11);
    harness_output_free(&out);
    assert_int_equal(office_records(&o), 195);

    /* The multi-line report arrived whole, with CRLF read as one line break. */
    run(&out, &o, "--json", "list", NULL);
    harness_assert_contains(out.out,
                            "\"summary\":\"Dòng 1, có dấu phẩy\\nDòng \\\"2\\\"\\nDòng 3\"");
    harness_output_free(&out);

    /* The same file again: nothing new. */
    run(&out, &o, "import", path, NULL);
    assert_exit(&out, 2);
    harness_assert_contains(out.out, "imported 0, skipped 195 already imported, 5 rejected");
    harness_assert_contains(out.err, "imported before");
    harness_output_free(&out);
    assert_int_equal(office_records(&o), 195);

    /* A corrected copy: the fixed row comes in, the changed row becomes revision 2. */
    csv = import_csv(bad, 1);
    harness_write_file(path, csv);
    free(csv);
    run(&out, &o, "import", path, NULL);
    assert_exit(&out, 2);
    harness_assert_contains(out.out,
                            "imported 1, updated 1, skipped 194 already imported, 4 rejected");
    harness_output_free(&out);
    assert_int_equal(office_records(&o), 196);
    run(&out, &o, "--json", "list", NULL);
    const char *row20 = strstr(out.out, "\"title\":\"Thành tích số 20\"");
    assert_non_null(row20);
    harness_assert_contains(row20, "\"summary\":\"Báo cáo 20, đã sửa\"");
    const char *rev = strstr(row20, "\"revision\":");
    assert_non_null(rev);
    assert_int_equal(strtol(rev + strlen("\"revision\":"), NULL, 10), 2);
    harness_output_free(&out);

    /* --dry-run checks and stores nothing. */
    char path2[HARNESS_PATH_MAX];
    office_file(&o, path2, "moi.csv");
    harness_write_file(path2, "nominee_kind,nominee_name,title,category,achieved_on,"
                              "proposed_award\nhousehold,Hộ ông Mười,Hộ gia đình văn hoá,"
                              "KT_XH,2025-04-30,GIAY_KHEN\n");
    run(&out, &o, "import", "--dry-run", path2, NULL);
    assert_exit(&out, 0);
    harness_assert_contains(out.out, "would have imported 1");
    harness_output_free(&out);
    assert_int_equal(office_records(&o), 196);
    run(&out, &o, "import", path2, NULL);
    assert_exit(&out, 0);
    harness_assert_contains(out.out, "imported 1, skipped 0 already imported, 0 rejected");
    harness_output_free(&out);
    assert_int_equal(office_records(&o), 197);
}

static void test_import_refuses_bad_files_whole(void **state)
{
    (void)state;
    office_t o;
    office_new(&o, "import-bad");
    char path[HARNESS_PATH_MAX];
    office_file(&o, path, "bad.csv");
    harness_output_t out;

    harness_write_file(path, "Loại,Họ và tên,Thành tích,Lĩnh vực,Ngày đạt,Hình thức khen thưởng,"
                             "Điểm\nCá nhân,A,B,ASXH,2025-01-01,GIAY_KHEN,9\n");
    run(&out, &o, "import", "--campaign", "HG-DB-2025", path, NULL);
    assert_exit(&out, 2);
    harness_assert_contains(out.err, "unknown column \"Điểm\"");
    harness_output_free(&out);

    harness_write_file(path, "Loại,Họ và tên,Thành tích\nCá nhân,A,B\n");
    run(&out, &o, "import", "--campaign", "HG-DB-2025", path, NULL);
    assert_exit(&out, 2);
    harness_assert_contains(out.err, "no column for category");
    harness_output_free(&out);

    /* Bytes that no Vietnamese encoding makes into Vietnamese: refused whole, naming --encoding. */
    harness_write_file(path, "Lo\x81i,T\xean\n");
    run(&out, &o, "import", path, NULL);
    assert_exit(&out, 2);
    harness_assert_contains(out.err, "its encoding cannot be told apart");
    harness_assert_contains(out.err, "--encoding utf-8, cp1258, tcvn3 or vni");
    harness_output_free(&out);
    /* Named, the encoding is held to: 0x81 is no character of Windows-1258. */
    run(&out, &o, "import", "--encoding", "cp1258", path, NULL);
    assert_exit(&out, 2);
    harness_assert_contains(out.err, "line 1: byte 0x81 at byte 2: the file is not Windows-1258");
    harness_output_free(&out);

    /* Upper case, no diacritics, semicolons: still the documented headers. */
    harness_write_file(path, "LOAI;HO VA TEN;NGAY SINH;THANH TICH;LINH VUC;NGAY DAT;"
                             "HINH THUC KHEN THUONG\nca nhan;Tô Văn Mười;1/1/1970;"
                             "Lão nông giỏi;KT_XH;1/1/2025;GIAY_KHEN\n");
    run(&out, &o, "import", "--campaign", "HG-DB-2025", path, NULL);
    assert_exit(&out, 0);
    harness_assert_contains(out.out, "imported 1,");
    harness_output_free(&out);
    assert_int_equal(office_records(&o), 1);
}

/* Every stored record's content, one line each, in title order: ids and clocks left out. */
static char *office_dump(const office_t *o)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(o->store, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT campaign, org_unit, nominee_kind, nominee_name,"
                                        " birth_date, gender, position, workplace, title, summary,"
                                        " category, achieved_on, proposed_award, withdrawn,"
                                        " revision FROM records ORDER BY title",
                                        -1, &s, NULL),
                     SQLITE_OK);
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    out[0] = '\0';
    while (sqlite3_step(s) == SQLITE_ROW) {
        for (int c = 0; c < 15; c++) {
            const char *v = (const char *)sqlite3_column_text(s, c);
            size_t k = strlen(v ? v : "");
            while (n + k + 2 >= cap) {
                cap *= 2;
                out = realloc(out, cap);
                assert_non_null(out);
            }
            memcpy(out + n, v ? v : "", k);
            n += k;
            out[n++] = c < 14 ? '\x1f' : '\n';
            out[n] = '\0';
        }
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return out;
}

/* The spreadsheets of import_files.py in the office's folder; returns what it printed. */
static char *import_files(const office_t *o)
{
    char script[HARNESS_PATH_MAX];
    const char *src = getenv("THIDUA_TEST_SRCDIR");
    assert_non_null(src);
    snprintf(script, sizeof(script), "%s/tests/integration/import_files.py", src);
    const char *argv[] = {"/usr/bin/python3", script, o->dir, NULL};
    harness_output_t out;
    int code = harness_run(argv, NULL, &out);
    if (code != 0)
        show_output(&out);
    assert_int_equal(code, 0);
    char *printed = strdup(out.out);
    harness_output_free(&out);
    return printed;
}

/*
 * The same 50 nominations from UTF-8, Windows-1258, TCVN3 and VNI CSV files
 * and an XLSX workbook: one office each, byte-identical records in all.
 */
static void test_import_every_encoding_and_xlsx(void **state)
{
    (void)state;
    static const struct {
        const char *file, *notice;
    } files[] = {
        {"noms-utf8.csv", NULL},
        {"noms-cp1258.csv", "read as Windows-1258"},
        {"noms-tcvn3.csv", "read as TCVN3"},
        {"noms-vni.csv", "read as VNI"},
        {"noms.xlsx", NULL},
    };
    office_t o[5];
    char *dump[5];
    for (size_t i = 0; i < 5; i++) {
        char name[32];
        snprintf(name, sizeof(name), "enc-%zu", i);
        office_new(&o[i], name);
        office_welcome(&o[i]);
        free(import_files(&o[i]));
        char path[HARNESS_PATH_MAX];
        office_file(&o[i], path, files[i].file);
        harness_output_t out;
        run(&out, &o[i], "import", path, NULL);
        assert_exit(&out, 0);
        harness_assert_contains(out.out, "imported 50, skipped 0 already imported, 0 rejected");
        if (files[i].notice != NULL)
            harness_assert_contains(out.err, files[i].notice);
        harness_output_free(&out);
        dump[i] = office_dump(&o[i]);
    }
    assert_int_equal(count_of(dump[0], "\n"), 50);
    harness_assert_contains(dump[0], "\x1f" "Đặng Thị Ánh Tuyết\x1f"); /* NFC, a capital with a tone */
    harness_assert_contains(dump[0], "\x1f" "ASXH\x1f" "2024-");       /* by name, stored by code */
    for (size_t i = 1; i < 5; i++) {
        if (strcmp(dump[i], dump[0]) != 0)
            fail_msg("%s stored other records than %s:\n%s\n---\n%s", files[i].file,
                     files[0].file, dump[i], dump[0]);
    }

    /* The same nominations again, from every other file: nothing new. */
    for (size_t i = 1; i < 5; i++) {
        char path[HARNESS_PATH_MAX];
        office_file(&o[0], path, files[i].file);
        harness_output_t out;
        run(&out, &o[0], "import", path, NULL);
        assert_exit(&out, 0);
        harness_assert_contains(out.out, "imported 0, skipped 50 already imported, 0 rejected");
        harness_output_free(&out);
    }
    char *again = office_dump(&o[0]);
    assert_string_equal(again, dump[0]);
    free(again);
    for (size_t i = 0; i < 5; i++)
        free(dump[i]);
}

/* An XLSX with five bad rows: each named by its row in the sheet and its STT. */
static void test_import_xlsx_rows_and_refusals(void **state)
{
    (void)state;
    office_t o;
    office_new(&o, "xlsx");
    office_welcome(&o);
    char *printed = import_files(&o);
    unsigned rows[5];
    assert_int_equal(sscanf(printed, "%u %u %u %u %u", &rows[0], &rows[1], &rows[2], &rows[3],
                            &rows[4]),
                     5);
    free(printed);
    char path[HARNESS_PATH_MAX];
    office_file(&o, path, "bad.xlsx");
    harness_output_t out;
    run(&out, &o, "import", path, NULL);
    assert_exit(&out, 2);
    harness_assert_contains(out.out, "imported 45, skipped 0 already imported, 5 rejected");
    assert_int_equal(count_of(out.err, "\nrow ") + (strncmp(out.err, "row ", 4) == 0), 5);
    static const char *const why[5] = {
        "Ngày đạt: 31/02/2025 is not a date", "Họ và tên: empty", "Loại: must be individual",
        "Ngày đạt: 01/05/2023 is outside the campaign", "Hình thức khen thưởng: ",
    };
    for (size_t i = 0; i < 5; i++) {
        char want[160];
        snprintf(want, sizeof(want), "row %u (STT %u): %s", rows[i], rows[i] - 3, why[i]);
        harness_assert_contains(out.err, want);
    }
    harness_output_free(&out);

    run(&out, &o, "--json", "import", "--dry-run", path, NULL);
    assert_exit(&out, 2);
    char want[64];
    snprintf(want, sizeof(want), "{\"row\":%u,\"stt\":\"%u\",", rows[0], rows[0] - 3);
    harness_assert_contains(out.out, want);
    harness_output_free(&out);

    /* --sheet: another sheet, or one that is not there. */
    office_file(&o, path, "noms.xlsx");
    run(&out, &o, "import", "--sheet", "Ghi chú", path, NULL);
    assert_exit(&out, 2);
    harness_assert_contains(out.err, "row 1: no column for nominee_kind");
    harness_output_free(&out);
    run(&out, &o, "import", "--sheet", "Sheet9", path, NULL);
    assert_exit(&out, 2);
    harness_assert_contains(out.err,
                            "no sheet \"Sheet9\" (it has \"Danh sách\", \"Ghi chú\")");
    harness_output_free(&out);

    /* Named wrongly, an encoding is still held to what its table defines. */
    office_file(&o, path, "noms-tcvn3.csv");
    run(&out, &o, "import", "--encoding", "vni", path, NULL);
    assert_exit(&out, 2);
    harness_assert_contains(out.err, "the file is not VNI");
    harness_output_free(&out);

    /* Hostile workbooks: refused with a reason, nothing stored, no crash. */
    static const struct {
        const char *file, *reason;
    } bad[] = {
        {"bomb.xlsx", "xl/workbook.xml unpacks to more than the 128 MiB allowed"},
        {"missing.xlsx", "the part xl/workbook.xml is missing"},
        {"hugecell.xlsx", "row 2: a cell holds more than 131072 bytes"},
        {"truncated.xlsx", "not a ZIP archive that can be read"},
        {"dtd.xlsx", "declares a DTD"},
    };
    long before = office_records(&o);
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(bad); i++) {
        office_file(&o, path, bad[i].file);
        run(&out, &o, "import", path, NULL);
        assert_exit(&out, 2);
        harness_assert_contains(out.err, bad[i].reason);
        harness_assert_contains(out.err, "nothing was imported");
        harness_output_free(&out);
    }
    assert_int_equal(office_records(&o), before);
}

/* --template writes a form that imports as it is. */
static void test_import_template(void **state)
{
    (void)state;
    office_t o;
    office_new(&o, "form");
    office_welcome(&o);
    static const char *const forms[] = {"mau.xlsx", "mau.csv"};
    for (size_t i = 0; i < 2; i++) {
        char path[HARNESS_PATH_MAX];
        office_file(&o, path, forms[i]);
        harness_output_t out;
        run(&out, &o, "import", "--template", path, NULL);
        assert_exit(&out, 0);
        harness_output_free(&out);
        run(&out, &o, "import", "--dry-run", path, NULL);
        assert_exit(&out, 0);
        harness_assert_contains(out.out, "would have imported 1, skipped 0");
        harness_output_free(&out);
    }
    char path[HARNESS_PATH_MAX];
    office_file(&o, path, "mau.csv");
    char *csv = harness_read_file(path);
    assert_non_null(csv);
    assert_memory_equal(csv, "\xEF\xBB\xBFSTT,Loại,Họ và tên,Ngày sinh,", 32);
    free(csv);
}

static int group_setup(void **state)
{
    (void)state;
    harness_pki_make(&pki);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    harness_cleanup();
    text_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_offline),
        cmocka_unit_test(test_add_offline_checks_syntax),
        cmocka_unit_test(test_add_field_limits),
        cmocka_unit_test(test_add_checks_campaign_from_saved_welcome),
        cmocka_unit_test(test_messages_in_vietnamese),
        cmocka_unit_test(test_list_show_status_in_vietnamese),
        cmocka_unit_test(test_nfd_input_is_stored_as_nfc),
        cmocka_unit_test(test_list_sorts_the_vietnamese_way),
        cmocka_unit_test(test_global_options_after_the_command),
        cmocka_unit_test(test_edit_and_withdraw),
        cmocka_unit_test(test_decided_records_are_locked),
        cmocka_unit_test(test_status_shows_refusals),
        cmocka_unit_test(test_import_csv),
        cmocka_unit_test(test_import_refuses_bad_files_whole),
        cmocka_unit_test(test_import_every_encoding_and_xlsx),
        cmocka_unit_test(test_import_xlsx_rows_and_refusals),
        cmocka_unit_test(test_import_template),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
