/*
 * test_campaigns.c - campaigns as data, through the real binaries: the
 * province creates a second campaign from the sample file of the repository
 * with `thidua campaigns create`, against thiduad and PostgreSQL; a district
 * office gets it in Welcome, records for it and syncs; the province lists
 * and reports it apart from the seed's campaign.
 *
 * What the province relies on: creating the same file twice changes
 * nothing; a file with a mistake stores nothing and says the line and the
 * key (in Vietnamese too); other content under a code already used is
 * refused; the new campaign reaches offices without a restart; a record is
 * checked against the campaign it names (offline by the client, and by the
 * server); the report of one campaign counts none of the other's records.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define SEED "HG-DB-2025"
#define NEW "HG-VNN-2025" /* the code of share/campaigns/sample-campaign.ini */

static struct {
    harness_pki_t pki;
    char db[HARNESS_CONNINFO_MAX];
    harness_server_t srv;
    char prov[HARNESS_PATH_MAX]; /* the province's configuration */
    char d934[HARNESS_PATH_MAX]; /* a district office's (with its store) */
    char sample[HARNESS_PATH_MAX];
} fx;

/* Exit codes (client/cli/cli.h). */
enum { OK = 0, EUSAGE = 1, EINVALID = 2, EREFUSED = 4 };

#define RUN(expect, out, config, ...) HARNESS_THIDUA((expect), (out), (config), __VA_ARGS__)

static int group_setup(void **state)
{
    (void)state;
    harness_pki_make(&fx.pki);
    harness_db_create(fx.db, sizeof(fx.db));
    harness_server_start(&fx.srv, &fx.pki, fx.db, NULL);
    char dir[HARNESS_PATH_MAX];
    harness_tmp_mkdir(dir, sizeof(dir), "province");
    harness_client_config(dir, "93", "province", &fx.pki, fx.srv.port, fx.prov, sizeof(fx.prov));
    harness_office_init(fx.d934, sizeof(fx.d934), &fx.pki, fx.srv.port, "934");
    snprintf(fx.sample, sizeof(fx.sample), "%s/share/campaigns/sample-campaign.ini",
             getenv("THIDUA_TEST_SRCDIR"));
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    harness_teardown(&fx.srv, fx.db);
    return 0;
}

/* The number a JSON text gives key after the first occurrence of anchor (-1: none). */
static long long json_int_after(const char *json, const char *anchor, const char *key)
{
    const char *p = strstr(json, anchor);
    char k[80];
    snprintf(k, sizeof(k), "\"%s\":", key);
    p = p != NULL ? strstr(p, k) : NULL;
    return p != NULL ? strtoll(p + strlen(k), NULL, 10) : -1;
}

/* Everything the database holds of campaigns, as one text: what must not change. */
static void db_campaigns(char *out, size_t size)
{
    harness_db_text(fx.db, out, size,
                    "SELECT string_agg(format('%%s|%%s|%%s|%%s', c.code, c.created_at,"
                    "       (SELECT string_agg(k.code || k.sort_order, ',' ORDER BY k.id)"
                    "          FROM thidua.category k WHERE k.campaign_id = c.id),"
                    "       (SELECT string_agg(f.code || array_to_string(f.allowed_kinds, '+'),"
                    "                          ',' ORDER BY f.id)"
                    "          FROM thidua.award_form f WHERE f.campaign_id = c.id)), ';'"
                    "       ORDER BY c.id)"
                    "  FROM thidua.campaign c");
}

/* ---- creating from the sample ---- */

static void create_twice(void **state)
{
    (void)state;
    harness_output_t o;
    char before[4096], after[4096];
    db_campaigns(before, sizeof(before));

    /* A dry run says what would be made, asks the server, stores nothing. */
    RUN(OK, &o, fx.prov, "campaigns", "create", fx.sample, "--dry-run");
    harness_assert_contains(o.out, "would be created");
    harness_assert_contains(o.out, "3 categories: GIAM_NGHEO NHA_O AN_SINH");
    harness_output_free(&o);
    db_campaigns(after, sizeof(after));
    assert_string_equal(before, after);

    RUN(OK, &o, fx.prov, "campaigns", "create", fx.sample);
    harness_assert_contains(o.out, "campaign " NEW " created");
    harness_output_free(&o);
    /* Whole, in the file's order, with who made it (the province's unit and certificate). */
    assert_int_equal(
        harness_db_int(fx.db, "SELECT count(*) FROM thidua.campaign c"
                              "  JOIN thidua.org_unit u ON u.id = c.created_by_unit_id"
                              " WHERE c.code = '" NEW "' AND u.code = '93'"
                              "   AND octet_length(c.created_by_cert) = 32"
                              "   AND c.created_at > now() - interval '5 minutes'"
                              "   AND c.starts_on = '2025-01-01' AND c.ends_on = '2025-06-30'"),
        1);
    char text[512];
    harness_db_text(fx.db, text, sizeof(text),
                    "SELECT string_agg(k.code, ' ' ORDER BY k.sort_order) FROM thidua.category k"
                    "  JOIN thidua.campaign c ON c.id = k.campaign_id WHERE c.code = '" NEW "'");
    assert_string_equal(text, "GIAM_NGHEO NHA_O AN_SINH");
    harness_db_text(fx.db, text, sizeof(text),
                    "SELECT string_agg(f.code || ':' || f.conferred_by || ':' ||"
                    "                  array_to_string(f.allowed_kinds, ','), ' '"
                    "                  ORDER BY f.sort_order)"
                    "  FROM thidua.award_form f JOIN thidua.campaign c ON c.id = f.campaign_id"
                    " WHERE c.code = '" NEW "'");
    assert_string_equal(text, "BK_UBND_TINH:province:individual,collective,household "
                              "GIAY_KHEN:district:individual,collective,household");
    /* The continuation line of the name is part of it. */
    harness_db_text(fx.db, text, sizeof(text),
                    "SELECT name FROM thidua.campaign WHERE code = '" NEW "'");
    harness_assert_contains(text, "phía sau\" năm 2025");

    /* The same file again: nothing changes, and it says so. */
    db_campaigns(before, sizeof(before));
    RUN(OK, &o, fx.prov, "campaigns", "create", fx.sample);
    harness_assert_contains(o.out, "stored already with this content: nothing changed");
    harness_output_free(&o);
    RUN(OK, &o, fx.prov, "--json", "campaigns", "create", fx.sample);
    harness_assert_contains(o.out, "\"outcome\":\"unchanged\"");
    harness_output_free(&o);
    db_campaigns(after, sizeof(after));
    assert_string_equal(before, after);

    /* Listed and shown, whole. */
    RUN(OK, &o, fx.prov, "--json", "campaigns", "list");
    harness_assert_contains(o.out, "\"code\":\"" NEW "\"");
    harness_assert_contains(o.out, "\"code\":\"" SEED "\"");
    harness_assert_contains(o.out, "\"created_by_unit\":\"93\"");
    harness_output_free(&o);
    RUN(OK, &o, fx.prov, "campaigns", "show", NEW);
    harness_assert_contains(o.out, "Xóa nhà tạm, nhà dột nát");
    harness_assert_contains(o.out,
                            "conferred by the district, for: individual, collective, household");
    harness_output_free(&o);
    RUN(EINVALID, &o, fx.prov, "campaigns", "show", "NO-SUCH");
    harness_assert_contains(o.err, "no campaign NO-SUCH");
    harness_output_free(&o);
}

/* ---- bad files ---- */

/* Write text to a file of the temporary directory; its path in path. */
static void tmp_file(char *path, size_t size, const char *name, const char *text)
{
    harness_tmp_path(path, size, "%s", name);
    harness_write_file(path, text);
}

/* The sample with one line replaced (from must be in it). */
static void sample_with(char *path, size_t size, const char *name, const char *from, const char *to)
{
    char *s = harness_read_file(fx.sample);
    char *at = strstr(s, from);
    if (at == NULL)
        fail_msg("the sample has no \"%s\"", from);
    size_t len = strlen(s) + strlen(to) + 1;
    char *t = malloc(len);
    assert_non_null(t);
    snprintf(t, len, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
    tmp_file(path, size, name, t);
    free(t);
    free(s);
}

/* The line of path that holds needle, counting from 1. */
static int line_of(const char *path, const char *needle)
{
    char *s = harness_read_file(path);
    char *at = strstr(s, needle);
    if (at == NULL)
        fail_msg("%s has no \"%s\"", path, needle);
    int line = 1;
    for (char *p = s; p < at; p++)
        line += *p == '\n';
    free(s);
    return line;
}

/* create FILE refused with exit, stderr naming "FILE line N: KEY"; nothing stored. */
static void refused_at(int line, int expect, const char *path, int at, const char *key,
                       const char *why)
{
    char before[4096], after[4096], want[HARNESS_PATH_MAX + 200];
    db_campaigns(before, sizeof(before));
    harness_output_t o;
    harness_thidua(line, expect, &o, fx.prov, "campaigns", "create", path, NULL);
    if (at > 0)
        snprintf(want, sizeof(want), "%s line %d: %s: ", path, at, key);
    else
        snprintf(want, sizeof(want), "%s: %s: ", path, key);
    harness_assert_contains(o.err, want);
    harness_assert_contains(o.err, why);
    harness_output_free(&o);
    db_campaigns(after, sizeof(after));
    assert_string_equal(before, after);
}
#define REFUSED(expect, path, at, key, why)                                                        \
    refused_at(__LINE__, (expect), (path), (at), (key), (why))

static void bad_files(void **state)
{
    (void)state;
    char p[HARNESS_PATH_MAX];

    /* No [campaign] section: said, and the categories alone are not sent. */
    tmp_file(p, sizeof(p), "no-campaign.ini",
             "[category A]\nname = A\n[award_form F]\nname = F\nconferred_by = province\n"
             "kinds = individual\n");
    REFUSED(EINVALID, p, 0, "[campaign]", "missing");

    /* An unknown nominee kind, at its line. */
    sample_with(p, sizeof(p), "bad-kind.ini",
                "kinds = individual, collective, household\norder = 2",
                "kinds = individual, family\norder = 2");
    REFUSED(EINVALID, p, line_of(p, "kinds = individual, family"), "[award_form GIAY_KHEN] kinds",
            "\"family\"");

    /* The end before the start. */
    sample_with(p, sizeof(p), "bad-window.ini", "ends_on = 30/06/2025", "ends_on = 2024-12-31");
    REFUSED(EINVALID, p, line_of(p, "ends_on = 2024-12-31"), "[campaign] ends_on",
            "is before starts_on 2025-01-01");

    /* A key this format does not have; a level that confers nothing. */
    sample_with(p, sizeof(p), "bad-level.ini", "conferred_by = district",
                "conferred_by = village\ncolour = red");
    harness_output_t o;
    RUN(EINVALID, &o, fx.prov, "campaigns", "create", p);
    char want[HARNESS_PATH_MAX + 100];
    snprintf(want, sizeof(want), "line %d: [award_form GIAY_KHEN] conferred_by: \"village\"",
             line_of(p, "conferred_by = village"));
    harness_assert_contains(o.err, want);
    snprintf(want, sizeof(want), "line %d: [award_form GIAY_KHEN] colour: unknown key",
             line_of(p, "colour = red"));
    harness_assert_contains(o.err, want);
    harness_assert_contains(o.err, "nothing was sent (2 problems)");
    harness_output_free(&o);

    /* The code taken by the campaign of create_twice, with other content: the server says
     * so, at the line of the code. */
    sample_with(p, sizeof(p), "other-content.ini", "name = Giảm nghèo bền vững",
                "name = Giảm nghèo đa chiều");
    REFUSED(EINVALID, p, line_of(p, "code = " NEW), "[campaign] code",
            "campaign " NEW " is stored already with other content");

    /* What only the database knows: an organiser that is no unit. */
    sample_with(p, sizeof(p), "bad-organiser.ini", "organiser = 93", "organiser = 99");
    REFUSED(EINVALID, p, line_of(p, "organiser = 99"), "[campaign] organiser",
            "\"99\" is not an org unit");

    /* In the administrator's language. */
    sample_with(p, sizeof(p), "bad-window-vi.ini", "ends_on = 30/06/2025", "ends_on = 2024-12-31");
    assert_int_equal(setenv("LANG", "vi_VN.UTF-8", 1), 0);
    RUN(EINVALID, &o, fx.prov, "campaigns", "create", p);
    assert_int_equal(setenv("LANG", "C.UTF-8", 1), 0);
    snprintf(want, sizeof(want), "%s dòng %d: [campaign] ends_on: ", p,
             line_of(p, "ends_on = 2024-12-31"));
    harness_assert_contains(o.err, want);
    harness_assert_contains(o.err, "trước starts_on");
    harness_output_free(&o);

    /* A district certificate may not create one. */
    RUN(EREFUSED, &o, fx.d934, "campaigns", "create", fx.sample);
    harness_output_free(&o);
}

/* ---- the office records for it, the province reports it apart ---- */

/* The id `add` printed first; frees o. */
static void take_id(harness_output_t *o, char id[37])
{
    if (o->out_len < 36)
        fail_msg("add printed no id: %s", o->out);
    memcpy(id, o->out, 36);
    id[36] = '\0';
    harness_output_free(o);
}
/* thidua add ... for the office, keeping the new record's id. */
#define ADD(id, ...)                                                                               \
    do {                                                                                           \
        harness_output_t added_;                                                                   \
        HARNESS_THIDUA(OK, &added_, fx.d934, "add", __VA_ARGS__);                                  \
        take_id(&added_, (id));                                                                    \
    } while (0)

static void office_and_report(void **state)
{
    (void)state;
    harness_output_t o;
    /* Its next sync brings the campaign created since the server started. */
    RUN(OK, NULL, fx.d934, "-q", "sync");
    /* The office sees both: the default one (the one that started last) and the other. */
    RUN(OK, &o, fx.d934, "status");
    harness_assert_contains(o.out, "(" NEW "), 01/01/2025 to 30/06/2025");
    harness_assert_contains(o.out, "(" SEED "), 01/07/2024 to 30/06/2025");
    harness_assert_contains(o.out, "Other campaign:");
    harness_output_free(&o);

    /* Checked offline against the campaign it names: a category of the other campaign, a day
     * outside this one's window. */
    RUN(EINVALID, &o, fx.d934, "add", "--campaign", NEW, "--kind", "household", "--name",
        "Hộ ông Lê Văn Tư", "--title", "Tự nguyện hiến đất làm đường", "--category", "KT_XH",
        "--achieved-on", "2025-03-10", "--award", "GIAY_KHEN");
    harness_assert_contains(o.err, "unknown category \"KT_XH\"");
    harness_output_free(&o);
    RUN(EINVALID, &o, fx.d934, "add", "--campaign", NEW, "--kind", "household", "--name",
        "Hộ ông Lê Văn Tư", "--title", "Tự nguyện hiến đất làm đường", "--category", "GIAM_NGHEO",
        "--achieved-on", "2024-10-15", "--award", "GIAY_KHEN");
    harness_assert_contains(o.err, "15/10/2024 is outside the campaign (01/01/2025 to 30/06/2025)");
    harness_output_free(&o);
    RUN(EINVALID, &o, fx.d934, "add", "--campaign", "NO-SUCH", "--kind", "household", "--name",
        "Hộ ông Lê Văn Tư", "--title", "Tự nguyện hiến đất làm đường", "--category", "GIAM_NGHEO",
        "--achieved-on", "2025-03-10", "--award", "GIAY_KHEN");
    harness_assert_contains(o.err, "unknown campaign \"NO-SUCH\"");
    harness_output_free(&o);

    /* One record of each campaign; the new one's category given by its name. */
    char fresh[37], seed[37];
    ADD(fresh, "--campaign", NEW, "--kind", "household", "--name", "Hộ ông Lê Văn Tư", "--title",
        "Tự nguyện hiến đất làm đường", "--category", "Giảm nghèo bền vững", "--achieved-on",
        "10/03/2025", "--award", "GIAY_KHEN");
    ADD(seed, "--campaign", SEED, "--kind", "collective", "--name", "Hội Nông dân xã Tân Bình",
        "--title", "Dẫn đầu phong trào sản xuất giỏi", "--category", "KT_XH", "--achieved-on",
        "2024-10-15", "--award", "GIAY_KHEN");
    /* A sheet's rows go to the campaign --campaign names, the category again by name. */
    char csv[HARNESS_PATH_MAX];
    tmp_file(csv, sizeof(csv), "rows.csv",
             "nominee_kind,nominee_name,title,category,achieved_on,proposed_award\n"
             "collective,Chi hội Phụ nữ ấp Tân Lợi,Vận động xây nhà đại đoàn kết,"
             "\"Xóa nhà tạm, nhà dột nát\",15/04/2025,BK_UBND_TINH\n");
    RUN(OK, NULL, fx.d934, "-q", "import", "--campaign", NEW, csv);
    RUN(OK, NULL, fx.d934, "-q", "sync");
    assert_int_equal(harness_db_int(fx.db, "SELECT count(*) FROM thidua.record r"
                                           "  JOIN thidua.campaign c ON c.id = r.campaign_id"
                                           "  JOIN thidua.category k ON k.id = r.category_id"
                                           " WHERE c.code = '" NEW "' AND k.code = 'NHA_O'"),
                     1);
    assert_int_equal(harness_db_int(fx.db,
                                    "SELECT count(*) FROM thidua.record r"
                                    "  JOIN thidua.campaign c ON c.id = r.campaign_id"
                                    "  JOIN thidua.category k ON k.id = r.category_id"
                                    " WHERE r.id = '%s' AND c.code = '" NEW "'"
                                    "   AND k.code = 'GIAM_NGHEO'",
                                    fresh),
                     1);

    /* The province lists it under its campaign, and only there. */
    RUN(OK, &o, fx.prov, "--json", "review", "list", "--campaign", NEW);
    harness_assert_contains(o.out, fresh);
    assert_null(strstr(o.out, seed));
    assert_int_equal(json_int_after(o.out, "{", "total"),
                     harness_db_int(fx.db, "SELECT count(*) FROM thidua.record r"
                                           "  JOIN thidua.campaign c ON c.id = r.campaign_id"
                                           " WHERE c.code = '" NEW "'"));
    harness_output_free(&o);
    /* Approved and awarded like any record: the form checked against its own campaign. */
    RUN(OK, NULL, fx.prov, "-q", "approve", fresh);
    RUN(OK, NULL, fx.prov, "-q", "award", fresh, "--form", "BK_UBND_TINH", "--decision",
        "12/QĐ-UBND", "--date", "2025-07-15", "--signer", "CHỦ TỊCH Nguyễn Văn An");
    assert_int_equal(harness_db_int(fx.db,
                                    "SELECT count(*) FROM thidua.record"
                                    " WHERE id = '%s' AND status = 'awarded'",
                                    fresh),
                     1);
    RUN(OK, &o, fx.prov, "--json", "campaigns", "list");
    assert_int_equal(json_int_after(o.out, "\"code\":\"" NEW "\"", "records"),
                     harness_db_int(fx.db, "SELECT count(*) FROM thidua.record r"
                                           "  JOIN thidua.campaign c ON c.id = r.campaign_id"
                                           " WHERE c.code = '" NEW "'"));
    harness_output_free(&o);

    /* Each campaign's report counts its own records, whatever the other holds. */
    const char *codes[] = {NEW, SEED};
    for (size_t i = 0; i < 2; i++) {
        RUN(OK, &o, fx.prov, "--json", "report", "--campaign", codes[i]);
        char anchor[64];
        snprintf(anchor, sizeof(anchor), "\"code\":\"%s\"", codes[i]);
        harness_assert_contains(o.out, anchor);
        assert_int_equal(json_int_after(o.out, "\"status_totals\"", "total"),
                         harness_db_int(fx.db,
                                        "SELECT count(*) FROM thidua.record r"
                                        "  JOIN thidua.campaign c ON c.id = r.campaign_id"
                                        " WHERE c.code = '%s'",
                                        codes[i]));
        harness_output_free(&o);
    }
    RUN(OK, &o, fx.prov, "--json", "report", "--campaign", NEW);
    harness_assert_contains(o.out, "\"code\":\"GIAM_NGHEO\"");
    harness_assert_contains(o.out, fresh); /* among the awardees */
    assert_int_equal(json_int_after(o.out, "\"by_award_form\"", "count"), 1);
    assert_null(strstr(o.out, "\"code\":\"KT_XH\",\"name\":\"Kinh tế"));
    harness_output_free(&o);
    RUN(OK, &o, fx.prov, "--json", "report", "--campaign", SEED);
    assert_null(strstr(o.out, "GIAM_NGHEO"));
    assert_null(strstr(o.out, fresh));
    harness_output_free(&o);
}

/* ---- the server's own check of a push ---- */

static void push_unknown_campaign(void **state)
{
    (void)state;
    harness_conn_t conn;
    memset(&conn, 0, sizeof(conn));
    harness_assert_io(&conn,
                      harness_tls_connect(&conn, fx.srv.port, fx.pki.ca,
                                          harness_pki_cert(&fx.pki, "934-district")),
                      HARNESS_IO_OK);
    Thidua__V1__Envelope *w = NULL;
    harness_assert_io(&conn, harness_conn_hello(&conn, 1, "test", &w), HARNESS_IO_OK);
    assert_int_equal(w->body_case, THIDUA__V1__ENVELOPE__BODY_WELCOME);
    /* Welcome offers every campaign, the default among them. */
    bool seen_new = false, seen_default = false;
    for (size_t i = 0; i < w->welcome->n_campaigns; i++) {
        seen_new |= strcmp(w->welcome->campaigns[i]->code, NEW) == 0;
        seen_default |= strcmp(w->welcome->campaigns[i]->code, w->welcome->campaign->code) == 0;
    }
    assert_true(seen_new);
    assert_true(seen_default);
    thidua__v1__envelope__free_unpacked(w, NULL);

    Thidua__V1__Record rec = THIDUA__V1__RECORD__INIT;
    rec.id = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
    rec.campaign = "NO-SUCH";
    rec.org_unit = "934";
    rec.nominee_kind = "household";
    rec.nominee_name = "Hộ bà Trần Thị Năm";
    rec.title = "Tự nguyện hiến đất";
    rec.category = "GIAM_NGHEO";
    rec.achieved_on = "2025-03-10";
    rec.proposed_award = "GIAY_KHEN";
    rec.revision = 1;
    Thidua__V1__Record *recp = &rec;
    Thidua__V1__PushRequest push = THIDUA__V1__PUSH_REQUEST__INIT;
    push.n_records = 1;
    push.records = &recp;
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    env.request_id = 2;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_PUSH_REQUEST;
    env.push_request = &push;
    Thidua__V1__Envelope *reply = NULL;
    harness_assert_io(&conn, harness_conn_call(&conn, &env, 10000, &reply), HARNESS_IO_OK);
    assert_int_equal(reply->body_case, THIDUA__V1__ENVELOPE__BODY_PUSH_RESPONSE);
    assert_int_equal(reply->push_response->n_acks, 1);
    const Thidua__V1__RecordAck *ack = reply->push_response->acks[0];
    assert_int_equal(ack->status, THIDUA__V1__RECORD_ACK__STATUS__REJECTED);
    assert_string_equal(ack->field, "campaign");
    harness_assert_contains(ack->message, NEW);
    thidua__v1__envelope__free_unpacked(reply, NULL);

    /* The new campaign's rules, by the server: its window. */
    rec.campaign = NEW;
    rec.achieved_on = "2024-10-15";
    env.request_id = 3;
    harness_assert_io(&conn, harness_conn_call(&conn, &env, 10000, &reply), HARNESS_IO_OK);
    ack = reply->push_response->acks[0];
    assert_int_equal(ack->status, THIDUA__V1__RECORD_ACK__STATUS__REJECTED);
    assert_string_equal(ack->field, "achieved_on");
    thidua__v1__envelope__free_unpacked(reply, NULL);
    assert_int_equal(
        harness_db_int(fx.db, "SELECT count(*) FROM thidua.record WHERE id = '%s'", rec.id), 0);

    /* A district certificate asking for the province's campaign requests. */
    Thidua__V1__CampaignListRequest list = THIDUA__V1__CAMPAIGN_LIST_REQUEST__INIT;
    Thidua__V1__Envelope le = THIDUA__V1__ENVELOPE__INIT;
    le.request_id = 4;
    le.body_case = THIDUA__V1__ENVELOPE__BODY_CAMPAIGN_LIST_REQUEST;
    le.campaign_list_request = &list;
    harness_assert_io(&conn, harness_conn_call(&conn, &le, 10000, &reply), HARNESS_IO_OK);
    harness_assert_error(reply, THIDUA__V1__ERROR__CODE__PERMISSION_DENIED, NULL);
    thidua__v1__envelope__free_unpacked(reply, NULL);
    harness_conn_close(&conn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(create_twice),
        cmocka_unit_test(bad_files),
        cmocka_unit_test(office_and_report),
        cmocka_unit_test(push_unknown_campaign),
    };
    return cmocka_run_group_tests_name("campaigns", tests, group_setup, group_teardown);
}
