/*
 * make_corpus.c - writes the seed corpus of the fuzz targets:
 *   make_corpus DIR  ->  DIR/envelope/<name> and DIR/frame/<name>
 *
 * The seeds are a valid Envelope of every body type (Vietnamese text) and
 * the edge cases the codec must refuse or survive, so that fuzzing starts
 * from inputs that reach deep into the schema. The output is deterministic;
 * the files under tests/fuzz/corpus/ are this program's output, committed so
 * that replay_frame and replay_envelope run them in every build. Run it again
 * after a schema change and commit the difference.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "envelope.h"
#include "frame.h"

static const char *out_dir;

static void write_file(const char *kind, const char *name, const uint8_t *data, size_t len)
{
    char path[4096];

    snprintf(path, sizeof(path), "%s/%s/%s", out_dir, kind, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "make_corpus: cannot write %s\n", path);
        exit(1);
    }
}

/* Payload of Envelope{request_id, body}, malloc'd. */
static uint8_t *payload(uint64_t request_id, const ProtobufCMessage *body, size_t *len)
{
    frame_buf_t b;
    envelope_error_t err;

    frame_buf_init(&b);
    if (envelope_pack(&b, request_id, body, FRAME_LIMIT_MAX, &err) != 0) {
        fprintf(stderr, "make_corpus: %s\n", err.message);
        exit(1);
    }
    *len = b.len - FRAME_HEADER_LEN;
    uint8_t *p = malloc(*len);
    if (p == NULL)
        exit(1);
    memcpy(p, b.data + FRAME_HEADER_LEN, *len);
    frame_buf_free(&b);
    return p;
}

static void write_envelope(const char *name, uint64_t request_id, const ProtobufCMessage *body)
{
    size_t len;
    uint8_t *p = payload(request_id, body, &len);

    write_file("envelope", name, p, len);
    free(p);
}

/* Overwrite the first occurrence of `marker` in buf with `with` (same length). */
static void patch(uint8_t *buf, size_t len, const char *marker, const char *with, size_t n)
{
    for (size_t i = 0; i + n <= len; i++) {
        if (memcmp(buf + i, marker, n) == 0) {
            memcpy(buf + i, with, n);
            return;
        }
    }
    fprintf(stderr, "make_corpus: marker %s not found\n", marker);
    exit(1);
}

static uint8_t hash[32];

static void record(Thidua__V1__Record *r, const char *id, const char *name)
{
    thidua__v1__record__init(r);
    r->id = (char *)id;
    r->campaign = "HG-DB-2025";
    r->org_unit = "934";
    r->nominee_kind = "individual";
    r->nominee_name = (char *)name;
    r->birth_date = "1985-03-12";
    r->gender = "female";
    r->position = "Chủ tịch xã";
    r->workplace = "UBND xã Tân Bình";
    r->title = "Dẫn đầu phong trào";
    r->summary = "Vận động 120 hộ dân.";
    r->category = "KT_XH";
    r->achieved_on = "2025-06-30";
    r->proposed_award = "BK_UBND_TINH";
    r->revision = 2;
    r->status = THIDUA__V1__RECORD__STATUS__SUBMITTED;
    r->content_hash.data = hash;
    r->content_hash.len = sizeof(hash);
    r->change_seq = 4242;
    r->updated_at_ms = 1750000000123;
}

static void write_bodies(void)
{
    static const char *name1 = "Nguyễn Thị Minh Khai";
    static const char *unit_name = "Huyện Phụng Hiệp";
    Thidua__V1__AwardDecision ad = THIDUA__V1__AWARD_DECISION__INIT;
    Thidua__V1__Decision dec = THIDUA__V1__DECISION__INIT;
    Thidua__V1__Award award = THIDUA__V1__AWARD__INIT;
    Thidua__V1__Record r1, r2;
    Thidua__V1__Record *recs[2] = {&r1, &r2};
    char *dups[1] = {"0a1b2c3d-0000-4000-8000-000000000001"};

    for (size_t i = 0; i < sizeof(hash); i++)
        hash[i] = (uint8_t)(i * 37 + 11);
    ad.number = "163/QĐ-UBND";
    ad.date = "2025-09-02";
    ad.signer = "CHỦ TỊCH Nguyễn Văn A";
    ad.issuer = "93";
    dec.action = "return";
    dec.revision = 1;
    dec.reason = "Bổ sung hồ sơ";
    dec.decided_at_ms = 1751000000000;
    award.form = "BK_UBND_TINH";
    award.decision = &ad;
    record(&r1, "6f1c2a9e-3b7d-4c11-9a2e-5d8f0b1c2d3e", name1);
    r1.decision = &dec;
    r1.award = &award;
    r1.n_possible_duplicates = 1;
    r1.possible_duplicates = dups;
    record(&r2, "7e2d3b0f-4c8e-4d22-8b3f-6e9a1c2d3e4f", "Đoàn Thanh niên");
    r2.nominee_kind = "collective";
    r2.withdrawn = 1;

    Thidua__V1__Hello hello = THIDUA__V1__HELLO__INIT;
    hello.protocol_version = 1;
    hello.client_version = "thidua/0.1.0";
    write_envelope("hello", 1, &hello.base);

    Thidua__V1__Limits limits = THIDUA__V1__LIMITS__INIT;
    limits.max_batch = 500;
    limits.max_frame = 4194304;
    limits.max_pull = 1000;
    limits.max_in_flight = 8;
    Thidua__V1__Category cat = THIDUA__V1__CATEGORY__INIT;
    cat.code = "KT_XH";
    cat.name = "Kinh tế – xã hội";
    Thidua__V1__Category *cats[1] = {&cat};
    Thidua__V1__AwardForm form = THIDUA__V1__AWARD_FORM__INIT;
    char *kinds[2] = {"individual", "collective"};
    form.code = "BK_UBND_TINH";
    form.name = "Bằng khen của Chủ tịch UBND tỉnh";
    form.n_nominee_kinds = 2;
    form.nominee_kinds = kinds;
    form.conferred_by = "province";
    Thidua__V1__AwardForm *forms[1] = {&form};
    Thidua__V1__Campaign campaign = THIDUA__V1__CAMPAIGN__INIT;
    campaign.code = "HG-DB-2025";
    campaign.name = "Phong trào thi đua";
    campaign.organiser = "UBND tỉnh Hậu Giang";
    campaign.starts_on = "2025-01-01";
    campaign.ends_on = "2025-12-31";
    campaign.n_categories = 1;
    campaign.categories = cats;
    campaign.n_award_forms = 1;
    campaign.award_forms = forms;
    Thidua__V1__OrgUnit unit = THIDUA__V1__ORG_UNIT__INIT;
    unit.code = "934";
    unit.name = (char *)unit_name;
    unit.level = "district";
    unit.parent = "93";
    Thidua__V1__OrgUnit *units[1] = {&unit};
    Thidua__V1__Welcome welcome = THIDUA__V1__WELCOME__INIT;
    welcome.server_version = "thiduad/0.1.0";
    welcome.protocol_version = 1;
    welcome.org_unit = "934";
    welcome.org_unit_name = (char *)unit_name;
    welcome.role = THIDUA__V1__ROLE__ROLE_DISTRICT;
    welcome.server_time_ms = 1752000000000;
    welcome.limits = &limits;
    welcome.campaign = &campaign;
    welcome.n_units = 1;
    welcome.units = units;
    welcome.certificate_fingerprint =
        "ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12";
    write_envelope("welcome", 1, &welcome.base);

    Thidua__V1__Error error = THIDUA__V1__ERROR__INIT;
    error.code = THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT;
    error.message = "Ngày đạt thành tích không hợp lệ";
    error.field = "records[1].achieved_on";
    error.retryable = 1;
    write_envelope("error", 3, &error.base);

    Thidua__V1__Ping ping = THIDUA__V1__PING__INIT;
    ping.nonce = 0xFEEDFACECAFEBEEFu;
    write_envelope("ping", 4, &ping.base);
    Thidua__V1__Pong pong = THIDUA__V1__PONG__INIT;
    pong.nonce = 0xFEEDFACECAFEBEEFu;
    pong.server_time_ms = -1;
    write_envelope("pong", 4, &pong.base);

    Thidua__V1__PushRequest push = THIDUA__V1__PUSH_REQUEST__INIT;
    push.n_records = 2;
    push.records = recs;
    write_envelope("push_request", 5, &push.base);

    Thidua__V1__RecordAck ack1 = THIDUA__V1__RECORD_ACK__INIT;
    ack1.id = r1.id;
    ack1.revision = 2;
    ack1.status = THIDUA__V1__RECORD_ACK__STATUS__APPLIED;
    ack1.change_seq = 4243;
    Thidua__V1__RecordAck ack2 = THIDUA__V1__RECORD_ACK__INIT;
    ack2.id = r2.id;
    ack2.revision = 1;
    ack2.status = THIDUA__V1__RECORD_ACK__STATUS__REJECTED;
    ack2.field = "achieved_on";
    ack2.message = error.message;
    ack2.record_status = THIDUA__V1__RECORD__STATUS__RETURNED;
    ack2.stored_revision = 2;
    Thidua__V1__RecordAck *acks[2] = {&ack1, &ack2};
    Thidua__V1__PushResponse push_response = THIDUA__V1__PUSH_RESPONSE__INIT;
    push_response.n_acks = 2;
    push_response.acks = acks;
    write_envelope("push_response", 5, &push_response.base);

    Thidua__V1__PullRequest pull = THIDUA__V1__PULL_REQUEST__INIT;
    pull.cursor = 4000;
    pull.limit = 200;
    write_envelope("pull_request", 6, &pull.base);
    Thidua__V1__Change change = THIDUA__V1__CHANGE__INIT;
    change.change_seq = 4243;
    change.kind = "decision";
    change.record = &r1;
    Thidua__V1__Change *changes[1] = {&change};
    Thidua__V1__PullResponse pull_response = THIDUA__V1__PULL_RESPONSE__INIT;
    pull_response.n_changes = 1;
    pull_response.changes = changes;
    pull_response.next_cursor = 4243;
    pull_response.has_more = 1;
    write_envelope("pull_response", 6, &pull_response.base);

    Thidua__V1__ListRecordsRequest list = THIDUA__V1__LIST_RECORDS_REQUEST__INIT;
    list.org_unit = "934";
    list.status = THIDUA__V1__RECORD__STATUS__APPROVED;
    list.nominee_kind = "individual";
    list.duplicates_only = 1;
    list.offset = 20;
    list.limit = 20;
    write_envelope("list_records_request", 7, &list.base);
    Thidua__V1__ListRecordsResponse list_response = THIDUA__V1__LIST_RECORDS_RESPONSE__INIT;
    list_response.n_records = 2;
    list_response.records = recs;
    list_response.total = 42;
    list_response.has_more = 1;
    write_envelope("list_records_response", 7, &list_response.base);

    Thidua__V1__DecideRequest decide = THIDUA__V1__DECIDE_REQUEST__INIT;
    decide.id = r1.id;
    decide.revision = 2;
    decide.action = "reject";
    decide.reason = "Không đủ điều kiện";
    write_envelope("decide_request", 8, &decide.base);
    Thidua__V1__DecideResponse decide_response = THIDUA__V1__DECIDE_RESPONSE__INIT;
    decide_response.record = &r1;
    write_envelope("decide_response", 8, &decide_response.base);

    char *ids[2] = {r1.id, r2.id};
    Thidua__V1__AwardRequest award_request = THIDUA__V1__AWARD_REQUEST__INIT;
    award_request.decision = &ad;
    award_request.form = "BK_UBND_TINH";
    award_request.n_ids = 2;
    award_request.ids = ids;
    write_envelope("award_request", 9, &award_request.base);
    Thidua__V1__AwardResponse award_response = THIDUA__V1__AWARD_RESPONSE__INIT;
    award_response.n_acks = 2;
    award_response.acks = acks;
    write_envelope("award_response", 9, &award_response.base);

    Thidua__V1__ReportRequest report = THIDUA__V1__REPORT_REQUEST__INIT;
    report.campaign = "HG-DB-2025";
    report.include_awardees = 1;
    report.include_sync_health = 1;
    write_envelope("report_request", 10, &report.base);
    Thidua__V1__CountRow row = THIDUA__V1__COUNT_ROW__INIT;
    row.key = "934";
    row.key_name = (char *)unit_name;
    row.key2 = "SUBMITTED";
    row.count = 17;
    Thidua__V1__CountRow *rows[1] = {&row};
    Thidua__V1__Awardee awardee = THIDUA__V1__AWARDEE__INIT;
    awardee.id = r1.id;
    awardee.form = "BK_UBND_TINH";
    awardee.form_name = form.name;
    awardee.org_unit = "934";
    awardee.org_unit_name = (char *)unit_name;
    awardee.nominee_kind = "individual";
    awardee.nominee_name = (char *)name1;
    awardee.decision_number = ad.number;
    awardee.decision_date = ad.date;
    awardee.category = "KT_XH";
    Thidua__V1__Awardee *awardees[1] = {&awardee};
    Thidua__V1__UnitSyncHealth health = THIDUA__V1__UNIT_SYNC_HEALTH__INIT;
    health.org_unit = "934";
    health.org_unit_name = (char *)unit_name;
    health.last_sync_ms = 1752000000000;
    health.submitted = 40;
    health.returned = 3;
    health.rejected_pushes = 1;
    Thidua__V1__UnitSyncHealth *healths[1] = {&health};
    Thidua__V1__ReportResponse report_response = THIDUA__V1__REPORT_RESPONSE__INIT;
    report_response.campaign = &campaign;
    report_response.n_by_unit_status = 1;
    report_response.by_unit_status = rows;
    report_response.n_by_category = 1;
    report_response.by_category = rows;
    report_response.n_awardees = 1;
    report_response.awardees = awardees;
    report_response.n_sync_health = 1;
    report_response.sync_health = healths;
    report_response.generated_at_ms = 1752000000999;
    write_envelope("report_response", 10, &report_response.base);

    Thidua__V1__RevokeRequest revoke = THIDUA__V1__REVOKE_REQUEST__INIT;
    revoke.id = r1.id;
    revoke.reason = "Khai không đúng";
    revoke.decision = &ad;
    write_envelope("revoke_request", 11, &revoke.base);
    Thidua__V1__RevokeResponse revoke_response = THIDUA__V1__REVOKE_RESPONSE__INIT;
    revoke_response.record = &r2;
    write_envelope("revoke_response", 11, &revoke_response.base);

    Thidua__V1__GetRecordRequest get = THIDUA__V1__GET_RECORD_REQUEST__INIT;
    get.id = r2.id;
    write_envelope("get_record_request", 12, &get.base);
    Thidua__V1__HistoryEntry h = THIDUA__V1__HISTORY_ENTRY__INIT;
    h.change_seq = 900;
    h.kind = "revision";
    h.revision = 1;
    h.at_ms = 1749000000000;
    h.by_unit = "934";
    h.content = &r1;
    Thidua__V1__HistoryEntry *history[1] = {&h};
    Thidua__V1__GetRecordResponse get_response = THIDUA__V1__GET_RECORD_RESPONSE__INIT;
    get_response.record = &r2;
    get_response.n_history = 1;
    get_response.history = history;
    write_envelope("get_record_response", 12, &get_response.base);

    /* Campaigns as data: the campaign above, created and listed. */
    Thidua__V1__CampaignCreateRequest create = THIDUA__V1__CAMPAIGN_CREATE_REQUEST__INIT;
    create.campaign = &campaign;
    create.dry_run = 1;
    write_envelope("campaign_create_request", 13, &create.base);
    Thidua__V1__CampaignSummary summary = THIDUA__V1__CAMPAIGN_SUMMARY__INIT;
    summary.code = campaign.code;
    summary.name = campaign.name;
    summary.organiser_unit = "93";
    summary.organiser_unit_name = "Tỉnh Hậu Giang";
    summary.starts_on = campaign.starts_on;
    summary.ends_on = campaign.ends_on;
    summary.records = 1234;
    summary.is_default = 1;
    Thidua__V1__CampaignSummary *summaries[1] = {&summary};
    Thidua__V1__CampaignListResponse list_campaigns = THIDUA__V1__CAMPAIGN_LIST_RESPONSE__INIT;
    list_campaigns.n_campaigns = 1;
    list_campaigns.campaigns = summaries;
    write_envelope("campaign_list_response", 14, &list_campaigns.base);

    /* Strings a peer may send that protobuf-c alone would accept. */
    static const struct {
        const char *file;
        const char *bad;
    } bad_names[] = {
        {"bad-overlong", "Nguy\xc0\xafn"},
        {"bad-surrogate", "Tr\xe1\xba\xa7n \xed\xa0\x80"},
        {"bad-above-max", "\xf4\x90\x80\x80"},
        {"bad-truncated-utf8", "L\xc3"},
    };
    for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
        r2.nominee_name = (char *)bad_names[i].bad;
        write_envelope(bad_names[i].file, 13, &push.base);
    }
    r2.nominee_name = "Trần Văn NULX";
    size_t len;
    uint8_t *p = payload(13, &push.base, &len);
    patch(p, len, "NULX", "NUL\0", 4);
    write_file("envelope", "bad-nul", p, len);
    /* Cut in the middle of the second record. */
    write_file("envelope", "bad-truncated", p, len - 40);
    free(p);
}

static void write_edges(void)
{
    static const uint8_t id_only[] = {0x08, 0x2A};
    static const uint8_t unknown_fields[] = {
        0x08, 0x07, 0x6A, 0x09, 0x08, 0x05, 0x48, 0x01, 0x7A, 0x03, 'a', 'b', 'c', 0x99,
        0x06, 1,    2,    3,    4,    5,    6,    7,    8,    0x15, 1,   2,   3,   4};
    static const uint8_t unknown_body[] = {0x08, 0x05, 0x92, 0x03, 0x02, 0x08, 0x01};
    static const uint8_t two_bodies[] = {0x6A, 0x02, 0x08, 0x01, 0x72, 0x02, 0x08, 0x02};
    static const uint8_t wire_type[] = {0xA0, 0x01, 0x05};
    static const uint8_t group[] = {0x08, 0x01, 0x0B, 0x0C};
    static const uint8_t field_zero[] = {0x00, 0x00};
    static const uint8_t long_varint[] = {0x08, 0x80, 0x80, 0x80, 0x80, 0x80,
                                          0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    /* welcome{campaign{categories{code "A"}}, campaign{categories{code "B"}}}:
     * protobuf-c merges the two campaigns. */
    static const uint8_t merged[] = {0x5A, 0x12, 0x42, 0x07, 0x3A, 0x05, 0x0A, 0x03, 'K', 'T',
                                     '1',  0x42, 0x07, 0x3A, 0x05, 0x0A, 0x03, 'K',  'T', '2'};

    write_file("envelope", "edge-empty", id_only, 0);
    write_file("envelope", "edge-id-only", id_only, sizeof(id_only));
    write_file("envelope", "edge-unknown-fields", unknown_fields, sizeof(unknown_fields));
    write_file("envelope", "edge-unknown-body", unknown_body, sizeof(unknown_body));
    write_file("envelope", "edge-two-bodies", two_bodies, sizeof(two_bodies));
    write_file("envelope", "edge-merged-campaigns", merged, sizeof(merged));
    write_file("envelope", "bad-wire-type", wire_type, sizeof(wire_type));
    write_file("envelope", "bad-group", group, sizeof(group));
    write_file("envelope", "bad-field-zero", field_zero, sizeof(field_zero));
    write_file("envelope", "bad-long-varint", long_varint, sizeof(long_varint));

    /* n empty Records: 200 fit the budget's base, 5000 do not. */
    static const size_t counts[] = {200, 5000};
    for (size_t c = 0; c < 2; c++) {
        size_t n = counts[c], body = 2 * n, at = 0;
        uint8_t *p = malloc(body + 8);
        if (p == NULL)
            exit(1);
        p[at++] = 0xA2;
        p[at++] = 0x01;
        for (size_t v = body;; v >>= 7) {
            p[at++] = (uint8_t)(v < 0x80 ? v : (v & 0x7F) | 0x80);
            if (v < 0x80)
                break;
        }
        for (size_t i = 0; i < n; i++) {
            p[at++] = 0x0A;
            p[at++] = 0x00;
        }
        write_file("envelope", c == 0 ? "edge-empty-records-200" : "budget-empty-records-5000", p,
                   at);
        free(p);
    }
}

/* ------------------------------------------------------------------------- */
/* Frame seeds: [limit selector][seed][seed] then the stream (fuzz_frame.c). */

static void write_frames(void)
{
    uint8_t buf[4096];
    size_t at;
    Thidua__V1__Ping ping = THIDUA__V1__PING__INIT;
    Thidua__V1__Hello hello = THIDUA__V1__HELLO__INIT;
    frame_buf_t b;

    ping.nonce = 77;
    hello.protocol_version = 1;
    hello.client_version = "thidua/0.1.0";
    frame_buf_init(&b);
    if (envelope_pack(&b, 1, &hello.base, 0, NULL) != 0 ||
        envelope_pack(&b, 2, &ping.base, 0, NULL) != 0 ||
        envelope_pack(&b, 3, &ping.base, 0, NULL) != 0)
        exit(1);
    buf[0] = 0xFF; /* default limit */
    buf[1] = 0x12;
    buf[2] = 0x34;
    memcpy(buf + 3, b.data, b.len);
    write_file("frame", "three-envelopes", buf, 3 + b.len);
    buf[1] = 0x00;
    buf[2] = 0x01;
    write_file("frame", "one-envelope", buf, 3 + FRAME_HEADER_LEN + b.data[3]);
    frame_buf_free(&b);

    static const uint8_t zero[] = {0xFF, 0, 7, 0, 0, 0, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 1, 'b'};
    write_file("frame", "zero-length", zero, sizeof(zero));
    static const uint8_t two_gib[] = {0xFF, 1, 2, 0x80, 0, 0, 0, 'x', 'y', 'z'};
    write_file("frame", "two-gib", two_gib, sizeof(two_gib));
    static const uint8_t max_exact[] = {0x01, 3, 4, 0, 0, 0, 8, 1, 2, 3,
                                        4,    5, 6, 7, 8, 0, 0, 0, 1, 9};
    write_file("frame", "limit-exact", max_exact, sizeof(max_exact));
    static const uint8_t max_over[] = {0x01, 5, 6, 0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7,
                                       8,    0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    write_file("frame", "limit-plus-one", max_over, sizeof(max_over));
    static const uint8_t limit_one[] = {0x00, 7, 8, 0, 0, 0, 1, 'a', 0, 0, 0, 2, 'b', 'c'};
    write_file("frame", "limit-one", limit_one, sizeof(limit_one));
    static const uint8_t partial[] = {0xFF, 9, 9, 0, 0, 0, 100, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    write_file("frame", "partial", partial, sizeof(partial));
    static const uint8_t header_only[] = {0xFF, 0, 0, 0, 0, 1};
    write_file("frame", "partial-header", header_only, sizeof(header_only));
    static const uint8_t default_max[] = {0xFF, 4, 4, 0, 0x40, 0, 0, 1, 2, 3};
    write_file("frame", "default-limit-exact", default_max, sizeof(default_max));
    static const uint8_t default_over[] = {0xFF, 4, 5, 0, 0x40, 0, 1, 1, 2, 3};
    write_file("frame", "default-limit-plus-one", default_over, sizeof(default_over));

    /* 200 one-byte frames, then 20 of 256 bytes (the decoder's first buffer). */
    at = 0;
    buf[at++] = 0xFF;
    buf[at++] = 0x55;
    buf[at++] = 0xAA;
    for (int i = 0; i < 200; i++) {
        static const uint8_t one[] = {0, 0, 0, 1};
        memcpy(buf + at, one, 4);
        buf[at + 4] = (uint8_t)i;
        at += 5;
    }
    write_file("frame", "many-tiny", buf, at);
    at = 3;
    for (int i = 0; i < 12; i++) {
        static const uint8_t hdr[] = {0, 0, 1, 0};
        memcpy(buf + at, hdr, 4);
        memset(buf + at + 4, i, 256);
        at += 260;
    }
    write_file("frame", "many-256", buf, at);
}

int main(int argc, char **argv)
{
    char path[4096];

    if (argc != 2) {
        fprintf(stderr, "usage: make_corpus DIR\n");
        return 2;
    }
    out_dir = argv[1];
    mkdir(out_dir, 0755);
    snprintf(path, sizeof(path), "%s/envelope", out_dir);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/frame", out_dir);
    mkdir(path, 0755);
    write_bodies();
    write_edges();
    write_frames();
    return 0;
}
