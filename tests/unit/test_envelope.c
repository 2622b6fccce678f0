/*
 * test_envelope.c - envelope unpack and pack: the strict UTF-8 checker, the
 * wire walk's refusals (with the field paths users see in Error.field), the
 * arena budget against expansion attacks, garbage and truncated input, and
 * the round trip of every body type with Vietnamese text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "envelope.h"
#include "frame.h"
#include "utf8.h"
#include "wire.h"

/* ------------------------------------------------------------------------- */
/* utf8_check */

typedef struct {
    const char *s;
    size_t len; /* 0: strlen */
    int ok;
    size_t bad_at;
} utf8_case_t;

static void test_utf8_check(void **state)
{
    static const utf8_case_t cases[] = {
        {"", 0, 1, 0},
        {"plain ASCII, longer than eight bytes", 0, 1, 0},
        {"Nguyễn Thị Minh Khai", 0, 1, 0},
        {"Đoàn", 0, 1, 0},
        {"\xc2\x80", 0, 1, 0},         /* U+0080, smallest 2-byte */
        {"\xdf\xbf", 0, 1, 0},         /* U+07FF */
        {"\xe0\xa0\x80", 0, 1, 0},     /* U+0800 */
        {"\xed\x9f\xbf", 0, 1, 0},     /* U+D7FF, below surrogates */
        {"\xee\x80\x80", 0, 1, 0},     /* U+E000, above surrogates */
        {"\xef\xbf\xbf", 0, 1, 0},     /* U+FFFF */
        {"\xf0\x90\x80\x80", 0, 1, 0}, /* U+10000 */
        {"\xf4\x8f\xbf\xbf", 0, 1, 0}, /* U+10FFFF */
        {"a\0b", 3, 1, 0},             /* NUL is UTF-8 */
        {"\xc0\xaf", 0, 0, 0},         /* overlong '/' */
        {"\xc1\xbf", 0, 0, 0},         /* overlong */
        {"\xe0\x80\xaf", 0, 0, 0},     /* overlong, 3 bytes */
        {"\xe0\x9f\xbf", 0, 0, 0},     /* overlong U+07FF */
        {"\xf0\x80\x80\xaf", 0, 0, 0}, /* overlong, 4 bytes */
        {"\xf0\x8f\xbf\xbf", 0, 0, 0}, /* overlong U+FFFF */
        {"\xed\xa0\x80", 0, 0, 0},     /* U+D800 surrogate */
        {"\xed\xbf\xbf", 0, 0, 0},     /* U+DFFF surrogate */
        {"\xf4\x90\x80\x80", 0, 0, 0}, /* U+110000 */
        {"\xf5\x80\x80\x80", 0, 0, 0},
        {"\xff", 0, 0, 0},
        {"\x80", 0, 0, 0},   /* lone continuation */
        {"ab\xc3", 0, 0, 2}, /* truncated at the end */
        {"ab\xe1\xbb", 0, 0, 2},
        {"\xc3(", 0, 0, 0}, /* missing continuation */
        {"\xe1\xbb(", 0, 0, 0},
        {"\xf0\x90\x80(", 0, 0, 0},
        {"0123456789abcdef\xc0\xaf", 0, 0, 16}, /* after the ASCII fast path */
        {"0123456789\xc3\xa0xyz\xed\xa0\x80", 0, 0, 15},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const utf8_case_t *c = &cases[i];
        size_t len = c->len ? c->len : strlen(c->s);
        size_t bad = 12345;
        int rc = utf8_check((const uint8_t *)c->s, len, &bad);
        if (c->ok) {
            assert_int_equal(rc, 0);
        } else {
            assert_int_equal(rc, -1);
            assert_int_equal(bad, c->bad_at);
        }
    }
}

/* Every 2- and 3-byte sequence against a decoder written the other way
 * round: from the code point to its one valid encoding. */
static void test_utf8_exhaustive_short(void **state)
{
    (void)state;
    for (unsigned a = 0x80; a <= 0xFF; a++) {
        for (unsigned b = 0; b <= 0xFF; b++) {
            uint8_t s[2] = {(uint8_t)a, (uint8_t)b};
            unsigned cp = (a & 0x1F) << 6 | (b & 0x3F);
            int valid = a >= 0xC0 && a <= 0xDF && (b & 0xC0) == 0x80 && cp >= 0x80;
            assert_int_equal(utf8_check(s, 2, NULL) == 0, valid);
        }
    }
    for (unsigned a = 0xE0; a <= 0xEF; a++) {
        for (unsigned b = 0x80; b <= 0xBF; b++) {
            for (unsigned c = 0; c <= 0xFF; c++) {
                uint8_t s[3] = {(uint8_t)a, (uint8_t)b, (uint8_t)c};
                unsigned cp = (a & 0x0F) << 12 | (b & 0x3F) << 6 | (c & 0x3F);
                int valid = (c & 0xC0) == 0x80 && cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF);
                assert_int_equal(utf8_check(s, 3, NULL) == 0, valid);
            }
        }
    }
}

/* ------------------------------------------------------------------------- */
/* Fixtures: one of every body type, with Vietnamese text. */

static uint8_t hash_bytes[32];

typedef struct {
    Thidua__V1__AwardDecision ad1, ad2;
    Thidua__V1__Decision dec;
    Thidua__V1__Award award;
    Thidua__V1__Record r1, r2;
    Thidua__V1__Record *recs[2];
    char *dups[2];
    Thidua__V1__RecordAck ack1, ack2;
    Thidua__V1__RecordAck *acks[2];
    Thidua__V1__Change change;
    Thidua__V1__Change *changes[1];
    Thidua__V1__Limits limits;
    Thidua__V1__Category cat1, cat2;
    Thidua__V1__Category *cats[2];
    Thidua__V1__AwardForm form;
    Thidua__V1__AwardForm *forms[1];
    char *kinds[2];
    Thidua__V1__Campaign campaign;
    Thidua__V1__Campaign *camps[1];
    Thidua__V1__OrgUnit unit1, unit2;
    Thidua__V1__OrgUnit *units[2];
    Thidua__V1__CountRow row1, row2;
    Thidua__V1__CountRow *rows[2];
    Thidua__V1__Awardee awardee;
    Thidua__V1__Awardee *awardees[1];
    Thidua__V1__UnitSyncHealth health;
    Thidua__V1__UnitSyncHealth *healths[1];
    Thidua__V1__HistoryEntry h1, h2;
    Thidua__V1__HistoryEntry *history[2];
    char *ids[2];

    Thidua__V1__Hello hello;
    Thidua__V1__Welcome welcome;
    Thidua__V1__Error error;
    Thidua__V1__Ping ping;
    Thidua__V1__Pong pong;
    Thidua__V1__PushRequest push_request;
    Thidua__V1__PushResponse push_response;
    Thidua__V1__PullRequest pull_request;
    Thidua__V1__PullResponse pull_response;
    Thidua__V1__ListRecordsRequest list_records_request;
    Thidua__V1__ListRecordsResponse list_records_response;
    Thidua__V1__DecideRequest decide_request;
    Thidua__V1__DecideResponse decide_response;
    Thidua__V1__AwardRequest award_request;
    Thidua__V1__AwardResponse award_response;
    Thidua__V1__ReportRequest report_request;
    Thidua__V1__ReportResponse report_response;
    Thidua__V1__RevokeRequest revoke_request;
    Thidua__V1__RevokeResponse revoke_response;
    Thidua__V1__GetRecordRequest get_record_request;
    Thidua__V1__GetRecordResponse get_record_response;
    Thidua__V1__UnitListRequest unit_list_request;
    Thidua__V1__UnitListResponse unit_list_response;
    Thidua__V1__ReorganiseRequest reorganise_request;
    Thidua__V1__ReorganiseResponse reorganise_response;
    Thidua__V1__UnitRow unit_row;
    Thidua__V1__UnitRow *unit_rows[1];
    Thidua__V1__ReorganiseLine line1, line2;
    Thidua__V1__ReorganiseLine *lines[2];
    char *preds[2];
    Thidua__V1__IssuerSettings issuer;
    char *issuer_basis[2], *issuer_recipients[2];
    Thidua__V1__IssuerGetRequest issuer_get_request;
    Thidua__V1__IssuerSetting setting;
    Thidua__V1__IssuerSetting *settings[1];
    Thidua__V1__IssuerSetRequest issuer_set_request;
    Thidua__V1__IssuerResponse issuer_response;
    Thidua__V1__DecisionDocumentRequest decision_document_request;
    Thidua__V1__DecisionItem item;
    Thidua__V1__DecisionItem *items[1];
    Thidua__V1__DecisionDocumentResponse decision_document_response;
    Thidua__V1__CampaignSummary summary;
    Thidua__V1__CampaignSummary *summaries[1];
    Thidua__V1__CampaignListRequest campaign_list_request;
    Thidua__V1__CampaignListResponse campaign_list_response;
    Thidua__V1__CampaignGetRequest campaign_get_request;
    Thidua__V1__CampaignGetResponse campaign_get_response;
    Thidua__V1__CampaignCreateRequest campaign_create_request;
    Thidua__V1__CampaignCreateResponse campaign_create_response;

    ProtobufCMessage *bodies[48];
    size_t n_bodies;
} fixtures_t;

static void record_init(Thidua__V1__Record *r, const char *id, const char *name)
{
    thidua__v1__record__init(r);
    r->id = (char *)id;
    r->campaign = "HG-DB-2025";
    r->org_unit = "934";
    r->nominee_kind = "individual";
    r->nominee_name = (char *)name;
    r->birth_date = "1985-03-12";
    r->gender = "female";
    r->position = "Chủ tịch Hội Nông dân xã";
    r->workplace = "UBND xã Tân Bình";
    r->title = "Dẫn đầu phong trào sản xuất kinh doanh giỏi";
    r->summary = "Năm 2025 vận động 120 hộ dân tham gia.\nXây dựng nông thôn mới.";
    r->category = "KT_XH";
    r->achieved_on = "2025-06-30";
    r->proposed_award = "BK_UBND_TINH";
    r->revision = 3;
    r->status = THIDUA__V1__RECORD__STATUS__SUBMITTED;
    r->content_hash.data = hash_bytes;
    r->content_hash.len = sizeof(hash_bytes);
    r->change_seq = 123456789;
    r->updated_at_ms = 1750000000123;
}

static void fixtures_init(fixtures_t *f)
{
    memset(f, 0, sizeof(*f));
    for (size_t i = 0; i < sizeof(hash_bytes); i++)
        hash_bytes[i] = (uint8_t)(i * 37 + 11);

    thidua__v1__award_decision__init(&f->ad1);
    f->ad1.number = "163/QĐ-UBND";
    f->ad1.date = "2025-09-02";
    f->ad1.signer = "KT. CHỦ TỊCH — PHÓ CHỦ TỊCH Nguyễn Văn A";
    f->ad1.issuer = "93";
    thidua__v1__award_decision__init(&f->ad2);
    f->ad2.number = "201/QĐ-UBND";
    f->ad2.date = "2025-11-20";
    f->ad2.signer = "CHỦ TỊCH Trần Văn B";
    thidua__v1__decision__init(&f->dec);
    f->dec.action = "return";
    f->dec.revision = 2;
    f->dec.reason = "Bổ sung xác nhận của Đảng ủy xã";
    f->dec.decided_at_ms = 1751000000000;
    thidua__v1__award__init(&f->award);
    f->award.form = "BK_UBND_TINH";
    f->award.decision = &f->ad1;
    f->award.revoked_reason = "Khai không đúng thành tích";
    f->award.revoked_by = &f->ad2;

    record_init(&f->r1, "6f1c2a9e-3b7d-4c11-9a2e-5d8f0b1c2d3e", "Nguyễn Thị Minh Khai");
    f->r1.decision = &f->dec;
    f->r1.award = &f->award;
    f->dups[0] = "0a1b2c3d-0000-4000-8000-000000000001";
    f->dups[1] = "0a1b2c3d-0000-4000-8000-000000000002";
    f->r1.n_possible_duplicates = 2;
    f->r1.possible_duplicates = f->dups;
    record_init(&f->r2, "7e2d3b0f-4c8e-4d22-8b3f-6e9a1c2d3e4f", "Đoàn Thanh niên xã Phụng Hiệp");
    f->r2.nominee_kind = "collective";
    f->r2.birth_date = "";
    f->r2.gender = "";
    f->r2.withdrawn = 1;
    f->recs[0] = &f->r1;
    f->recs[1] = &f->r2;

    thidua__v1__record_ack__init(&f->ack1);
    f->ack1.id = f->r1.id;
    f->ack1.revision = 3;
    f->ack1.status = THIDUA__V1__RECORD_ACK__STATUS__APPLIED;
    f->ack1.change_seq = 1001;
    thidua__v1__record_ack__init(&f->ack2);
    f->ack2.id = f->r2.id;
    f->ack2.revision = 1;
    f->ack2.status = THIDUA__V1__RECORD_ACK__STATUS__REJECTED;
    f->ack2.field = "achieved_on";
    f->ack2.message = "Ngày đạt thành tích nằm ngoài thời gian phong trào";
    f->ack2.record_status = THIDUA__V1__RECORD__STATUS__RETURNED;
    f->ack2.stored_revision = 2;
    f->acks[0] = &f->ack1;
    f->acks[1] = &f->ack2;

    thidua__v1__change__init(&f->change);
    f->change.change_seq = 1002;
    f->change.kind = "decision";
    f->change.record = &f->r1;
    f->changes[0] = &f->change;

    thidua__v1__limits__init(&f->limits);
    f->limits.max_batch = 500;
    f->limits.max_frame = 4194304;
    f->limits.max_pull = 1000;
    f->limits.max_in_flight = 8;
    thidua__v1__category__init(&f->cat1);
    f->cat1.code = "KT_XH";
    f->cat1.name = "Kinh tế – xã hội";
    thidua__v1__category__init(&f->cat2);
    f->cat2.code = "VH_GD";
    f->cat2.name = "Văn hóa – giáo dục";
    f->cats[0] = &f->cat1;
    f->cats[1] = &f->cat2;
    thidua__v1__award_form__init(&f->form);
    f->form.code = "BK_UBND_TINH";
    f->form.name = "Bằng khen của Chủ tịch UBND tỉnh";
    f->kinds[0] = "individual";
    f->kinds[1] = "collective";
    f->form.n_nominee_kinds = 2;
    f->form.nominee_kinds = f->kinds;
    f->form.conferred_by = "province";
    f->forms[0] = &f->form;
    thidua__v1__campaign__init(&f->campaign);
    f->campaign.code = "HG-DB-2025";
    f->campaign.name = "Phong trào thi đua “Đồng khởi mới”";
    f->campaign.organiser = "UBND tỉnh Hậu Giang";
    f->campaign.slogan = "Thi đua là yêu nước";
    f->campaign.starts_on = "2025-01-01";
    f->campaign.ends_on = "2025-12-31";
    f->campaign.n_categories = 2;
    f->campaign.categories = f->cats;
    f->campaign.n_award_forms = 1;
    f->campaign.award_forms = f->forms;
    thidua__v1__org_unit__init(&f->unit1);
    f->unit1.code = "934";
    f->unit1.name = "Huyện Phụng Hiệp";
    f->unit1.level = "district";
    f->unit1.parent = "93";
    thidua__v1__org_unit__init(&f->unit2);
    f->unit2.code = "31471";
    f->unit2.name = "Xã Tân Bình";
    f->unit2.level = "commune";
    f->unit2.parent = "934";
    f->units[0] = &f->unit1;
    f->units[1] = &f->unit2;

    thidua__v1__count_row__init(&f->row1);
    f->row1.key = "934";
    f->row1.key_name = f->unit1.name;
    f->row1.key2 = "SUBMITTED";
    f->row1.count = 17;
    thidua__v1__count_row__init(&f->row2);
    f->row2.key = "KT_XH";
    f->row2.key_name = f->cat1.name;
    f->row2.count = 5;
    f->rows[0] = &f->row1;
    f->rows[1] = &f->row2;
    thidua__v1__awardee__init(&f->awardee);
    f->awardee.id = f->r1.id;
    f->awardee.form = "BK_UBND_TINH";
    f->awardee.form_name = f->form.name;
    f->awardee.org_unit = "934";
    f->awardee.org_unit_name = f->unit1.name;
    f->awardee.nominee_kind = "individual";
    f->awardee.nominee_name = f->r1.nominee_name;
    f->awardee.title = f->r1.title;
    f->awardee.decision_number = f->ad1.number;
    f->awardee.decision_date = f->ad1.date;
    f->awardee.category = "KT_XH";
    f->awardees[0] = &f->awardee;
    thidua__v1__unit_sync_health__init(&f->health);
    f->health.org_unit = "934";
    f->health.org_unit_name = f->unit1.name;
    f->health.last_sync_ms = 1752000000000;
    f->health.submitted = 40;
    f->health.returned = 3;
    f->health.rejected_pushes = 1;
    f->healths[0] = &f->health;

    thidua__v1__history_entry__init(&f->h1);
    f->h1.change_seq = 900;
    f->h1.kind = "revision";
    f->h1.revision = 1;
    f->h1.at_ms = 1749000000000;
    f->h1.by_unit = "934";
    f->h1.by_fingerprint = "ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12";
    f->h1.content = &f->r2;
    thidua__v1__history_entry__init(&f->h2);
    f->h2.change_seq = 950;
    f->h2.kind = "decision";
    f->h2.revision = 2;
    f->h2.action = "return";
    f->h2.reason = f->dec.reason;
    f->h2.by_unit = "93";
    f->h2.content = &f->r1;
    f->history[0] = &f->h1;
    f->history[1] = &f->h2;
    f->ids[0] = f->r1.id;
    f->ids[1] = f->r2.id;

    /* The bodies. */
    thidua__v1__hello__init(&f->hello);
    f->hello.protocol_version = 1;
    f->hello.client_version = "thidua/0.1.0";
    thidua__v1__welcome__init(&f->welcome);
    f->welcome.server_version = "thiduad/0.1.0";
    f->welcome.protocol_version = 1;
    f->welcome.org_unit = "934";
    f->welcome.org_unit_name = f->unit1.name;
    f->welcome.role = THIDUA__V1__ROLE__ROLE_DISTRICT;
    f->welcome.server_time_ms = 1752000000000;
    f->welcome.limits = &f->limits;
    f->welcome.campaign = &f->campaign;
    f->camps[0] = &f->campaign;
    f->welcome.n_campaigns = 1;
    f->welcome.campaigns = f->camps;
    f->welcome.n_units = 2;
    f->welcome.units = f->units;
    f->welcome.certificate_fingerprint = f->h1.by_fingerprint;
    thidua__v1__error__init(&f->error);
    f->error.code = THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT;
    f->error.message = f->ack2.message;
    f->error.field = "records[3].achieved_on";
    f->error.retryable = 0;
    thidua__v1__ping__init(&f->ping);
    f->ping.nonce = 0xFEEDFACECAFEBEEFu;
    thidua__v1__pong__init(&f->pong);
    f->pong.nonce = 0xFEEDFACECAFEBEEFu;
    f->pong.server_time_ms = -5; /* a negative int64 takes 10 bytes */
    thidua__v1__push_request__init(&f->push_request);
    f->push_request.n_records = 2;
    f->push_request.records = f->recs;
    thidua__v1__push_response__init(&f->push_response);
    f->push_response.n_acks = 2;
    f->push_response.acks = f->acks;
    thidua__v1__pull_request__init(&f->pull_request);
    f->pull_request.cursor = 1000;
    f->pull_request.limit = 200;
    thidua__v1__pull_response__init(&f->pull_response);
    f->pull_response.n_changes = 1;
    f->pull_response.changes = f->changes;
    f->pull_response.next_cursor = 1002;
    f->pull_response.has_more = 1;
    thidua__v1__list_records_request__init(&f->list_records_request);
    f->list_records_request.org_unit = "934";
    f->list_records_request.status = THIDUA__V1__RECORD__STATUS__APPROVED;
    f->list_records_request.category = "KT_XH";
    f->list_records_request.duplicates_only = 1;
    f->list_records_request.offset = 40;
    f->list_records_request.limit = 20;
    thidua__v1__list_records_response__init(&f->list_records_response);
    f->list_records_response.n_records = 2;
    f->list_records_response.records = f->recs;
    f->list_records_response.total = 42;
    f->list_records_response.has_more = 1;
    thidua__v1__decide_request__init(&f->decide_request);
    f->decide_request.id = f->r1.id;
    f->decide_request.revision = 3;
    f->decide_request.action = "approve";
    f->decide_request.reason = "Đủ điều kiện";
    thidua__v1__decide_response__init(&f->decide_response);
    f->decide_response.record = &f->r1;
    thidua__v1__award_request__init(&f->award_request);
    f->award_request.decision = &f->ad1;
    f->award_request.form = "BK_UBND_TINH";
    f->award_request.n_ids = 2;
    f->award_request.ids = f->ids;
    thidua__v1__award_response__init(&f->award_response);
    f->award_response.n_acks = 2;
    f->award_response.acks = f->acks;
    thidua__v1__report_request__init(&f->report_request);
    f->report_request.campaign = "HG-DB-2025";
    f->report_request.include_awardees = 1;
    f->report_request.include_sync_health = 1;
    thidua__v1__report_response__init(&f->report_response);
    f->report_response.campaign = &f->campaign;
    f->report_response.n_by_unit_status = 2;
    f->report_response.by_unit_status = f->rows;
    f->report_response.n_by_category = 1;
    f->report_response.by_category = f->rows + 1;
    f->report_response.n_by_award_form = 1;
    f->report_response.by_award_form = f->rows;
    f->report_response.n_by_kind = 2;
    f->report_response.by_kind = f->rows;
    f->report_response.n_awardees = 1;
    f->report_response.awardees = f->awardees;
    f->report_response.n_sync_health = 1;
    f->report_response.sync_health = f->healths;
    f->report_response.generated_at_ms = 1752000000999;
    thidua__v1__revoke_request__init(&f->revoke_request);
    f->revoke_request.id = f->r1.id;
    f->revoke_request.reason = f->award.revoked_reason;
    f->revoke_request.decision = &f->ad2;
    thidua__v1__revoke_response__init(&f->revoke_response);
    f->revoke_response.record = &f->r1;
    thidua__v1__get_record_request__init(&f->get_record_request);
    f->get_record_request.id = f->r2.id;
    thidua__v1__get_record_response__init(&f->get_record_response);
    f->get_record_response.record = &f->r1;
    f->get_record_response.n_history = 2;
    f->get_record_response.history = f->history;
    thidua__v1__campaign_summary__init(&f->summary);
    f->summary.code = f->campaign.code;
    f->summary.name = f->campaign.name;
    f->summary.organiser = "UBND tỉnh Hậu Giang";
    f->summary.organiser_unit = "93";
    f->summary.organiser_unit_name = "Tỉnh Hậu Giang";
    f->summary.starts_on = "2024-07-01";
    f->summary.ends_on = "2025-06-30";
    f->summary.records = 1234;
    f->summary.is_default = 1;
    f->summary.created_by_unit = "93";
    f->summary.created_by_fingerprint = "c0ffee";
    f->summary.created_at_ms = 1752000000999;
    f->summaries[0] = &f->summary;
    thidua__v1__campaign_list_request__init(&f->campaign_list_request);
    thidua__v1__campaign_list_response__init(&f->campaign_list_response);
    f->campaign_list_response.n_campaigns = 1;
    f->campaign_list_response.campaigns = f->summaries;
    thidua__v1__campaign_get_request__init(&f->campaign_get_request);
    f->campaign_get_request.code = "HG-DB-2025";
    thidua__v1__campaign_get_response__init(&f->campaign_get_response);
    f->campaign_get_response.campaign = &f->campaign;
    f->campaign_get_response.summary = &f->summary;
    thidua__v1__campaign_create_request__init(&f->campaign_create_request);
    f->campaign_create_request.campaign = &f->campaign;
    f->campaign_create_request.dry_run = 1;
    thidua__v1__campaign_create_response__init(&f->campaign_create_response);
    f->campaign_create_response.outcome = THIDUA__V1__CAMPAIGN_CREATE_RESPONSE__OUTCOME__UNCHANGED;
    f->campaign_create_response.code = "HG-DB-2025";

    /* The reform of 1 July 2025, as a reorganisation and its answer. */
    f->preds[0] = "93";
    f->preds[1] = "934";
    thidua__v1__unit_list_request__init(&f->unit_list_request);
    f->unit_list_request.on = "2025-08-01";
    thidua__v1__unit_list_response__init(&f->unit_list_response);
    f->unit2.unit_type = "city";
    f->unit2.valid_from = "2025-07-01";
    f->unit2.n_predecessors = 2;
    f->unit2.predecessors = f->preds;
    f->unit2.basis = "Nghị quyết 202/2025/QH15";
    f->unit_list_response.n_units = 2;
    f->unit_list_response.units = f->units;
    thidua__v1__unit_row__init(&f->unit_row);
    f->unit_row.line = 11;
    f->unit_row.code = "92";
    f->unit_row.name = "Thành phố Cần Thơ";
    f->unit_row.level = "province";
    f->unit_row.valid_from = "2025-07-01";
    f->unit_row.n_predecessors = 2;
    f->unit_row.predecessors = f->preds;
    f->unit_row.basis = "Nghị quyết 202/2025/QH15";
    f->unit_rows[0] = &f->unit_row;
    thidua__v1__reorganise_request__init(&f->reorganise_request);
    f->reorganise_request.n_rows = 1;
    f->reorganise_request.rows = f->unit_rows;
    f->reorganise_request.dry_run = true;
    thidua__v1__reorganise_line__init(&f->line1);
    f->line1.line = 7;
    f->line1.code = "934";
    f->line1.name = "Huyện Phụng Hiệp";
    f->line1.action = "close";
    f->line1.field = "valid_to";
    f->line1.detail = "2025-06-30";
    thidua__v1__reorganise_line__init(&f->line2);
    f->line2.line = 11;
    f->line2.code = "92";
    f->line2.name = "Thành phố Cần Thơ";
    f->line2.action = "problem";
    f->line2.field = "predecessors";
    f->line2.problem = "predecessor_open";
    f->line2.detail = "934";
    f->lines[0] = &f->line1;
    f->lines[1] = &f->line2;
    thidua__v1__reorganise_response__init(&f->reorganise_response);
    f->reorganise_response.n_lines = 2;
    f->reorganise_response.lines = f->lines;

    /* A decision to print, and its issuer's settings. */
    thidua__v1__issuer_settings__init(&f->issuer);
    f->issuer.code = "92";
    f->issuer.name = "Thành phố Cần Thơ";
    f->issuer.body = "ỦY BAN NHÂN DÂN\nTHÀNH PHỐ CẦN THƠ";
    f->issuer.symbol = "QĐ-UBND";
    f->issuer.place = "Cần Thơ";
    f->issuer.authority = "CHỦ TỊCH ỦY BAN NHÂN DÂN THÀNH PHỐ CẦN THƠ";
    f->issuer_basis[0] = "Căn cứ Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025;";
    f->issuer_basis[1] = "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;";
    f->issuer.n_basis = 2;
    f->issuer.basis = f->issuer_basis;
    f->issuer_recipients[0] = "Như Điều 3;";
    f->issuer_recipients[1] = "Lưu: VT.";
    f->issuer.n_recipients = 2;
    f->issuer.recipients = f->issuer_recipients;
    f->issuer.signer_title = "CHỦ TỊCH";
    f->issuer.stored = true;
    thidua__v1__issuer_get_request__init(&f->issuer_get_request);
    f->issuer_get_request.code = "92";
    f->issuer_get_request.on = "2025-09-19";
    thidua__v1__issuer_setting__init(&f->setting);
    f->setting.key = "recipients";
    f->setting.n_lines = 2;
    f->setting.lines = f->issuer_recipients;
    f->settings[0] = &f->setting;
    thidua__v1__issuer_set_request__init(&f->issuer_set_request);
    f->issuer_set_request.code = "92";
    f->issuer_set_request.n_settings = 1;
    f->issuer_set_request.settings = f->settings;
    thidua__v1__issuer_response__init(&f->issuer_response);
    f->issuer_response.issuer = &f->issuer;
    thidua__v1__decision_document_request__init(&f->decision_document_request);
    f->decision_document_request.number = "15/QĐ-UBND";
    f->decision_document_request.year = 2025;
    thidua__v1__decision_item__init(&f->item);
    f->item.id = f->r1.id;
    f->item.form = "BK_UBND_TINH";
    f->item.form_name = "Bằng khen của Chủ tịch UBND tỉnh";
    f->item.nominee_kind = "individual";
    f->item.nominee_name = f->r1.nominee_name;
    f->item.position = f->r1.position;
    f->item.workplace = f->r1.workplace;
    f->item.org_unit = "934";
    f->item.org_unit_name = "Huyện Phụng Hiệp";
    f->item.title = f->r1.title;
    f->items[0] = &f->item;
    thidua__v1__decision_document_response__init(&f->decision_document_response);
    f->decision_document_response.decision = &f->ad2;
    f->decision_document_response.issuer_name = "Thành phố Cần Thơ";
    f->decision_document_response.campaign = "HG-DB-2025";
    f->decision_document_response.settings = &f->issuer;
    f->decision_document_response.n_items = 1;
    f->decision_document_response.items = f->items;

    ProtobufCMessage *all[] = {
        &f->hello.base,
        &f->welcome.base,
        &f->error.base,
        &f->ping.base,
        &f->pong.base,
        &f->push_request.base,
        &f->push_response.base,
        &f->pull_request.base,
        &f->pull_response.base,
        &f->list_records_request.base,
        &f->list_records_response.base,
        &f->decide_request.base,
        &f->decide_response.base,
        &f->award_request.base,
        &f->award_response.base,
        &f->report_request.base,
        &f->report_response.base,
        &f->revoke_request.base,
        &f->revoke_response.base,
        &f->get_record_request.base,
        &f->get_record_response.base,
        &f->unit_list_request.base,
        &f->unit_list_response.base,
        &f->reorganise_request.base,
        &f->reorganise_response.base,
        &f->issuer_get_request.base,
        &f->issuer_set_request.base,
        &f->issuer_response.base,
        &f->decision_document_request.base,
        &f->decision_document_response.base,
        &f->campaign_list_request.base,
        &f->campaign_list_response.base,
        &f->campaign_get_request.base,
        &f->campaign_get_response.base,
        &f->campaign_create_request.base,
        &f->campaign_create_response.base,
    };
    f->n_bodies = sizeof(all) / sizeof(all[0]);
    memcpy(f->bodies, all, sizeof(all));
}

/* Pack body in a frame and return a malloc'd copy of the payload. */
static uint8_t *pack_payload(uint64_t request_id, const ProtobufCMessage *body, size_t *len)
{
    frame_buf_t b;
    envelope_error_t err;

    frame_buf_init(&b);
    assert_int_equal(envelope_pack(&b, request_id, body, 0, &err), 0);
    *len = b.len - FRAME_HEADER_LEN;
    uint8_t *p = malloc(*len);
    assert_non_null(p);
    memcpy(p, b.data + FRAME_HEADER_LEN, *len);
    frame_buf_free(&b);
    return p;
}

/* The first occurrence of the string s in buf, or NULL. */
static uint8_t *find(uint8_t *buf, size_t len, const char *s)
{
    size_t n = strlen(s);

    for (size_t i = 0; i + n <= len; i++) {
        if (memcmp(buf + i, s, n) == 0)
            return buf + i;
    }
    return NULL;
}

/* Unpack and expect a refusal with this code, field and message. */
static void expect_refusal(const uint8_t *buf, size_t len, int code, const char *field,
                           const char *message)
{
    envelope_arena_t arena;
    envelope_error_t err;
    Thidua__V1__Envelope dummy = THIDUA__V1__ENVELOPE__INIT;
    Thidua__V1__Envelope *env = &dummy;

    envelope_arena_init(&arena);
    int rc = envelope_unpack(&arena, buf, len, &env, &err);
    if (rc != code || strcmp(err.message, message) != 0)
        print_error("got %d \"%s\"\n", rc, err.message);
    assert_int_equal(rc, code);
    assert_int_equal(err.code, code);
    assert_null(env);
    assert_string_equal(err.field, field);
    assert_string_equal(err.message, message);
    envelope_arena_free(&arena);
}

/* ------------------------------------------------------------------------- */
/* Round trips */

static void test_round_trip_every_body(void **state)
{
    fixtures_t *f = malloc(sizeof(*f));
    envelope_arena_t arena;
    frame_buf_t out;
    frame_decoder_t d;
    unsigned seen = 0;

    (void)state;
    assert_non_null(f);
    fixtures_init(f);
    envelope_arena_init(&arena);
    frame_buf_init(&out);
    for (size_t i = 0; i < f->n_bodies; i++) {
        envelope_error_t err;
        assert_int_equal(envelope_pack(&out, 1000 + i, f->bodies[i], 0, &err), 0);
    }
    /* The whole stream through the decoder, in 7-byte chunks. */
    assert_int_equal(frame_decoder_init(&d, 0), 0);
    size_t i = 0;
    for (size_t at = 0; at < out.len; at += 7) {
        frame_t fr;
        int rc;
        assert_int_equal(frame_decoder_feed(&d, out.data + at, out.len - at < 7 ? out.len - at : 7),
                         0);
        while ((rc = frame_decoder_next(&d, &fr)) == 1) {
            Thidua__V1__Envelope *env;
            envelope_error_t err;
            assert_true(i < f->n_bodies);
            assert_int_equal(envelope_unpack(&arena, fr.data, fr.len, &env, &err), 0);
            assert_int_equal(err.code, 0);
            assert_int_equal(env->request_id, 1000 + i);
            const ProtobufCFieldDescriptor *fd =
                protobuf_c_message_descriptor_get_field(env->base.descriptor, env->body_case);
            assert_non_null(fd);
            assert_ptr_equal(fd->descriptor, f->bodies[i]->descriptor);
            assert_string_equal(envelope_body_name(env->body_case), fd->name);
            seen++;
            /* Same bytes again: nothing lost or changed on the way. */
            size_t len = protobuf_c_message_get_packed_size(&env->base);
            assert_int_equal(len, fr.len);
            uint8_t *again = malloc(len);
            assert_non_null(again);
            assert_int_equal(protobuf_c_message_pack(&env->base, again), len);
            assert_memory_equal(again, fr.data, len);
            free(again);
            i++;
        }
        assert_int_equal(rc, 0);
    }
    assert_int_equal(seen, f->n_bodies);
    /* Every body the schema has is covered. */
    unsigned oneof = 0;
    for (unsigned k = 0; k < thidua__v1__envelope__descriptor.n_fields; k++)
        oneof +=
            (thidua__v1__envelope__descriptor.fields[k].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0;
    assert_int_equal(oneof, f->n_bodies);
    frame_decoder_free(&d);
    frame_buf_free(&out);
    envelope_arena_free(&arena);
    free(f);
}

static void test_round_trip_vietnamese_fields(void **state)
{
    fixtures_t *f = malloc(sizeof(*f));
    envelope_arena_t arena;
    Thidua__V1__Envelope *env;
    envelope_error_t err;
    size_t len;

    (void)state;
    assert_non_null(f);
    fixtures_init(f);
    envelope_arena_init(&arena);
    uint8_t *p = pack_payload(77, &f->get_record_response.base, &len);
    assert_int_equal(envelope_unpack(&arena, p, len, &env, &err), 0);
    assert_int_equal(env->body_case, THIDUA__V1__ENVELOPE__BODY_GET_RECORD_RESPONSE);
    Thidua__V1__Record *r = env->get_record_response->record;
    assert_string_equal(r->nominee_name, "Nguyễn Thị Minh Khai");
    assert_string_equal(r->summary, f->r1.summary);
    assert_int_equal(r->content_hash.len, 32);
    assert_memory_equal(r->content_hash.data, hash_bytes, 32);
    assert_string_equal(r->award->decision->signer, f->ad1.signer);
    assert_string_equal(r->award->revoked_by->number, "201/QĐ-UBND");
    assert_int_equal(env->get_record_response->n_history, 2);
    assert_string_equal(env->get_record_response->history[0]->content->nominee_name,
                        f->r2.nominee_name);
    assert_int_equal(env->get_record_response->history[0]->content->withdrawn, 1);
    free(p);

    p = pack_payload(78, &f->pong.base, &len);
    assert_int_equal(envelope_unpack(&arena, p, len, &env, &err), 0);
    assert_int_equal(env->pong->server_time_ms, -5);
    assert_int_equal(env->pong->nonce, 0xFEEDFACECAFEBEEFu);
    free(p);
    envelope_arena_free(&arena);
    free(f);
}

/* ------------------------------------------------------------------------- */
/* Refusals */

static void test_no_body(void **state)
{
    static const uint8_t id_only[] = {0x08, 0x05};

    (void)state;
    expect_refusal(id_only, 0, TD_ENOBODY, "", "envelope has no body");
    expect_refusal(id_only, sizeof(id_only), TD_ENOBODY, "", "envelope has no body");
}

static void test_unknown_body(void **state)
{
    /* Field 99, length-delimited: a body type of a later version. */
    static const uint8_t later[] = {0x08, 0x05, 0x9A, 0x06, 0x02, 0x08, 0x01};

    (void)state;
    expect_refusal(later, sizeof(later), TD_EUNKNOWN, "",
                   "envelope body (field 99) is of a type this version does not know");
}

static void test_unknown_fields_accepted(void **state)
{
    /* Envelope{request_id 7, ping{nonce 5, field 9 = 1, field 15 = "abc"},
     * field 99 (fixed64), field 2 (fixed32)}. */
    static const uint8_t buf[] = {
        0x08, 0x07,                                 /* request_id */
        0x6A, 0x09, 0x08, 0x05,                     /* ping { nonce */
        0x48, 0x01,                                 /*   unknown 9 varint */
        0x7A, 0x03, 'a',  'b',  'c',                /*   unknown 15 bytes } */
        0x99, 0x06, 1,    2,    3,   4, 5, 6, 7, 8, /* unknown 99 fixed64 */
        0x15, 1,    2,    3,    4,                  /* unknown 2 fixed32 */
    };
    envelope_arena_t arena;
    Thidua__V1__Envelope *env;
    envelope_error_t err;

    (void)state;
    envelope_arena_init(&arena);
    assert_int_equal(envelope_unpack(&arena, buf, sizeof(buf), &env, &err), 0);
    assert_int_equal(env->request_id, 7);
    assert_int_equal(env->body_case, THIDUA__V1__ENVELOPE__BODY_PING);
    assert_int_equal(env->ping->nonce, 5);
    assert_int_equal(env->base.n_unknown_fields, 2);
    assert_int_equal(env->ping->base.n_unknown_fields, 2);
    envelope_arena_free(&arena);
}

static void test_malformed_reports(void **state)
{
    /* Unknown field 99 with a varint that never ends. */
    static const uint8_t unknown_trunc[] = {0x08, 0x07, 0x6A, 0x02, 0x08,
                                            0x05, 0x98, 0x06, 0xFF, 0xFF};
    static const uint8_t id_trunc[] = {0x08, 0xFF, 0xFF};
    /* push_request{records{id "a", revision <truncated>}} */
    static const uint8_t nested_trunc[] = {0xA2, 0x01, 0x07, 0x0A, 0x05,
                                           0x0A, 0x01, 'a',  0x78, 0xFF};
    static const uint8_t body_as_varint[] = {0xA0, 0x01, 0x05};
    static const uint8_t string_as_varint[] = {0x52, 0x02, 0x10, 0x01};
    static const uint8_t group[] = {0x08, 0x01, 0x0B};
    static const uint8_t field_zero[] = {0x00, 0x00};
    static const uint8_t past_end[] = {0x6A, 0x05, 0x08};
    static const uint8_t long_varint[] = {0x08, 0x80, 0x80, 0x80, 0x80, 0x80,
                                          0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    static const uint8_t long_tag[] = {0x88, 0x80, 0x80, 0x80, 0x80, 0x00};
    static const uint8_t fixed_trunc[] = {0x08, 0x01, 0x11, 1, 2, 3};

    (void)state;
    expect_refusal(unknown_trunc, sizeof(unknown_trunc), TD_EMALFORMED, "",
                   "truncated varint at byte 8");
    expect_refusal(id_trunc, sizeof(id_trunc), TD_EMALFORMED, "request_id",
                   "request_id: truncated varint at byte 1");
    expect_refusal(nested_trunc, sizeof(nested_trunc), TD_EMALFORMED,
                   "push_request.records[0].revision",
                   "push_request.records[0].revision: truncated varint at byte 9");
    expect_refusal(body_as_varint, sizeof(body_as_varint), TD_EMALFORMED, "push_request",
                   "push_request: field 20 wire type 0 does not match message type");
    expect_refusal(string_as_varint, sizeof(string_as_varint), TD_EMALFORMED,
                   "hello.client_version",
                   "hello.client_version: field 2 wire type 0 does not match string type");
    expect_refusal(group, sizeof(group), TD_EMALFORMED, "request_id",
                   "request_id: field 1 wire type 3 at byte 2 is not supported");
    expect_refusal(field_zero, sizeof(field_zero), TD_EMALFORMED, "",
                   "field number 0 at byte 0 is out of range");
    expect_refusal(past_end, sizeof(past_end), TD_EMALFORMED, "ping",
                   "ping: length 5 at byte 1 runs past the end of its message");
    expect_refusal(long_varint, sizeof(long_varint), TD_EMALFORMED, "request_id",
                   "request_id: varint longer than 10 bytes at byte 1");
    expect_refusal(long_tag, sizeof(long_tag), TD_EMALFORMED, "",
                   "tag longer than 5 bytes at byte 0");
    expect_refusal(fixed_trunc, sizeof(fixed_trunc), TD_EMALFORMED, "",
                   "truncated 8-byte value at byte 3");
}

/* A PushRequest of five records whose fourth has nominee_name = name. */
static uint8_t *push_with_name(const char *name, size_t *len)
{
    fixtures_t *f = malloc(sizeof(*f));
    Thidua__V1__Record recs[5];
    Thidua__V1__Record *ptrs[5];
    Thidua__V1__PushRequest push = THIDUA__V1__PUSH_REQUEST__INIT;

    assert_non_null(f);
    fixtures_init(f);
    for (int i = 0; i < 5; i++) {
        recs[i] = f->r1;
        recs[i].decision = NULL;
        recs[i].award = NULL;
        ptrs[i] = &recs[i];
    }
    recs[3].nominee_name = (char *)name;
    push.n_records = 5;
    push.records = ptrs;
    /* protobuf-c packs whatever bytes the string holds: a peer can too. */
    uint8_t *p = pack_payload(9, &push.base, len);
    free(f);
    return p;
}

static void test_invalid_utf8_nested(void **state)
{
    static const struct {
        const char *name;
        const char *message;
    } cases[] = {
        {"Nguy\xc0\xafn", "push_request.records[3].nominee_name: invalid UTF-8 at byte 4"},
        {"Tr\xe1\xba\xa7n \xed\xa0\x80",
         "push_request.records[3].nominee_name: invalid UTF-8 at byte 7"},
        {"\xf4\x90\x80\x80", "push_request.records[3].nominee_name: invalid UTF-8 at byte 0"},
        {"L\xc3", "push_request.records[3].nominee_name: invalid UTF-8 at byte 1"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len;
        uint8_t *p = push_with_name(cases[i].name, &len);
        expect_refusal(p, len, TD_ETEXT, "push_request.records[3].nominee_name",
                       cases[i].message);
        free(p);
    }
}

static void test_invalid_utf8_deep_and_repeated(void **state)
{
    fixtures_t *f = malloc(sizeof(*f));
    size_t len;

    (void)state;
    assert_non_null(f);
    fixtures_init(f);
    /* history[1].content is r1, whose award's decision is ad1. */
    f->ad1.signer = "Nguy\xe1\xbb\x85n \xc0\xaf";
    uint8_t *p = pack_payload(1, &f->get_record_response.base, &len);
    /* record (r1) comes first and holds ad1 too. */
    expect_refusal(p, len, TD_ETEXT, "get_record_response.record.award.decision.signer",
                   "get_record_response.record.award.decision.signer: invalid UTF-8 at byte 9");
    free(p);
    f->get_record_response.record = &f->r2;
    p = pack_payload(1, &f->get_record_response.base, &len);
    expect_refusal(
        p, len, TD_ETEXT, "get_record_response.history[1].content.award.decision.signer",
        "get_record_response.history[1].content.award.decision.signer: invalid UTF-8 at byte 9");
    free(p);

    f->ad1.signer = "Nguyễn";
    f->ids[1] = "abc\xed\xbf\xbf";
    p = pack_payload(1, &f->award_request.base, &len);
    expect_refusal(p, len, TD_ETEXT, "award_request.ids[1]",
                   "award_request.ids[1]: invalid UTF-8 at byte 3");
    free(p);
    free(f);
}

static void test_embedded_nul(void **state)
{
    Thidua__V1__Hello hello = THIDUA__V1__HELLO__INIT;
    size_t len;

    (void)state;
    hello.protocol_version = 1;
    hello.client_version = "thidua/0.1.0";
    uint8_t *p = pack_payload(1, &hello.base, &len);
    uint8_t *dot = find(p, len, "thidua/0.1.0");
    assert_non_null(dot);
    dot[8] = '\0'; /* "thidua/0\0001.0": protobuf-c alone would keep "thidua/0" */
    expect_refusal(p, len, TD_ETEXT, "hello.client_version",
                   "hello.client_version: NUL byte at byte 8");
    free(p);

    /* Inside a repeated string of a nested message. */
    fixtures_t *f = malloc(sizeof(*f));
    assert_non_null(f);
    fixtures_init(f);
    f->kinds[1] = "collectiveZ";
    p = pack_payload(1, &f->welcome.base, &len);
    uint8_t *z = find(p, len, "collectiveZ");
    assert_non_null(z);
    z[10] = '\0';
    expect_refusal(p, len, TD_ETEXT, "welcome.campaign.award_forms[0].nominee_kinds[1]",
                   "welcome.campaign.award_forms[0].nominee_kinds[1]: NUL byte at byte 10");
    free(p);
    free(f);
}

/* Every prefix of every body's envelope is refused, never half-accepted. */
static void test_truncated(void **state)
{
    fixtures_t *f = malloc(sizeof(*f));
    envelope_arena_t arena;

    (void)state;
    assert_non_null(f);
    fixtures_init(f);
    envelope_arena_init(&arena);
    for (size_t i = 0; i < f->n_bodies; i++) {
        size_t len;
        uint8_t *p = pack_payload(5, f->bodies[i], &len);
        for (size_t cut = 0; cut < len; cut++) {
            Thidua__V1__Envelope *env;
            envelope_error_t err;
            /* A copy of exactly cut bytes, so ASan sees any read past it. */
            uint8_t *q = malloc(cut ? cut : 1);
            assert_non_null(q);
            memcpy(q, p, cut);
            int rc = envelope_unpack(&arena, q, cut, &env, &err);
            assert_true(rc < 0);
            assert_null(env);
            assert_true(err.message[0] != '\0');
            free(q);
        }
        free(p);
    }
    envelope_arena_free(&arena);
    free(f);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void check_garbage(envelope_arena_t *arena, const uint8_t *buf, size_t len)
{
    Thidua__V1__Envelope *env;
    envelope_error_t err;
    int rc = envelope_unpack(arena, buf, len, &env, &err);

    if (rc == 0) {
        assert_non_null(env);
        assert_int_not_equal(env->body_case, THIDUA__V1__ENVELOPE__BODY__NOT_SET);
    } else {
        assert_true(rc < 0);
        assert_null(env);
        assert_int_equal(err.code, rc);
        assert_true(err.message[0] != '\0');
    }
}

/* Random bytes, and valid envelopes with random bytes changed. */
static void test_garbage(void **state)
{
    fixtures_t *f = malloc(sizeof(*f));
    envelope_arena_t arena;
    uint8_t buf[512];

    (void)state;
    assert_non_null(f);
    fixtures_init(f);
    envelope_arena_init(&arena);
    for (int i = 0; i < 20000; i++) {
        size_t len = rng() % sizeof(buf);
        for (size_t j = 0; j < len; j++)
            buf[j] = (uint8_t)rng();
        /* Often start like an envelope, to get past the first field. */
        if (len > 2 && i % 2 == 0) {
            buf[0] = (uint8_t)(0x52 + 8 * (rng() % 4));
            buf[1] = (uint8_t)(len - 2 < 0x80 ? len - 2 : 0x7F);
        }
        check_garbage(&arena, buf, len);
    }
    for (size_t i = 0; i < f->n_bodies; i++) {
        size_t len;
        uint8_t *p = pack_payload(5, f->bodies[i], &len);
        uint8_t *q = malloc(len);
        assert_non_null(q);
        for (int k = 0; k < 500; k++) {
            memcpy(q, p, len);
            int flips = 1 + (int)(rng() % 3);
            for (int j = 0; j < flips; j++)
                q[rng() % len] ^= (uint8_t)(1 + rng() % 255);
            check_garbage(&arena, q, len);
        }
        free(q);
        free(p);
    }
    envelope_arena_free(&arena);
    free(f);
}

/* ------------------------------------------------------------------------- */
/* The arena budget */

/* Envelope{push_request{records: n empty Records}}: 2 bytes per record. */
static uint8_t *empty_records(size_t n, size_t *len)
{
    size_t body = 2 * n;
    uint8_t *p = malloc(body + 16);
    size_t at = 0;

    assert_non_null(p);
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
    *len = at;
    return p;
}

static void test_budget_refuses_million_empty_records(void **state)
{
    envelope_arena_t arena;
    Thidua__V1__Envelope *env;
    envelope_error_t err;
    size_t len;

    (void)state;
    uint8_t *p = empty_records(1000000, &len);
    assert_true(len < FRAME_DEFAULT_MAX); /* a frame the decoder lets through */
    envelope_arena_init(&arena);
    assert_int_equal(envelope_unpack(&arena, p, len, &env, &err), TD_EBUDGET);
    assert_null(env);
    char want[200];
    snprintf(want, sizeof(want),
             "envelope of %zu bytes needs more than %zu bytes of memory to decode", len,
             len * ENVELOPE_BUDGET_FACTOR + ENVELOPE_BUDGET_BASE);
    assert_string_equal(err.message, want);
    /* Nothing of it stays behind. */
    assert_true(envelope_arena_held(&arena) <= ENVELOPE_ARENA_KEEP);
    envelope_arena_free(&arena);
    free(p);
}

static void test_budget_lets_small_frames_through(void **state)
{
    envelope_arena_t arena;
    Thidua__V1__Envelope *env;
    envelope_error_t err;
    size_t len;

    (void)state;
    /* 200 empty records need ~55 KiB: within the base of the budget. */
    uint8_t *p = empty_records(200, &len);
    envelope_arena_init(&arena);
    assert_int_equal(envelope_unpack(&arena, p, len, &env, &err), 0);
    assert_int_equal(env->push_request->n_records, 200);
    envelope_arena_free(&arena);
    free(p);
}

/* A PushRequest of n records as a district sends them, short texts (the
 * expansion is worst when strings are small). */
static uint8_t *realistic_push(int n, size_t *len)
{
    fixtures_t *f = malloc(sizeof(*f));
    Thidua__V1__Record *recs = calloc((size_t)n, sizeof(*recs));
    Thidua__V1__Record **ptrs = calloc((size_t)n, sizeof(*ptrs));
    char(*ids)[40] = calloc((size_t)n, sizeof(*ids));
    Thidua__V1__PushRequest push = THIDUA__V1__PUSH_REQUEST__INIT;

    assert_non_null(f);
    assert_non_null(recs);
    assert_non_null(ptrs);
    assert_non_null(ids);
    fixtures_init(f);
    for (int i = 0; i < n; i++) {
        recs[i] = f->r1;
        recs[i].decision = NULL;
        recs[i].award = NULL;
        recs[i].n_possible_duplicates = 0;
        recs[i].change_seq = 0;
        recs[i].status = 0;
        recs[i].updated_at_ms = 0;
        snprintf(ids[i], sizeof(ids[i]), "6f1c2a9e-3b7d-4c11-9a2e-%012d", i);
        recs[i].id = ids[i];
        recs[i].summary = "";
        recs[i].position = "";
        recs[i].workplace = "";
        ptrs[i] = &recs[i];
    }
    push.n_records = (size_t)n;
    push.records = ptrs;
    uint8_t *p = pack_payload(1, &push.base, len);
    free(ids);
    free(ptrs);
    free(recs);
    free(f);
    return p;
}

/* What the budget factor rests on: a real batch expands far less. */
static void test_budget_realistic_batch(void **state)
{
    envelope_arena_t arena;
    Thidua__V1__Envelope *env;
    envelope_error_t err;
    size_t len;

    (void)state;
    uint8_t *p = realistic_push(2000, &len);
    envelope_arena_init(&arena);
    assert_int_equal(envelope_unpack(&arena, p, len, &env, &err), 0);
    assert_int_equal(env->push_request->n_records, 2000);
    print_message("push of 2000 records: %zu bytes on the wire, %zu in memory (%.2fx)\n", len,
                  arena.used, (double)arena.used / (double)len);
    /* About 3x; the budget allows 16x. */
    assert_true(arena.used < 4 * len);
    envelope_arena_free(&arena);
    free(p);
}

/* A connection's arena settles: no new memory per message. */
static void test_arena_reuse(void **state)
{
    fixtures_t *f = malloc(sizeof(*f));
    envelope_arena_t arena;
    Thidua__V1__Envelope *env;
    envelope_error_t err;
    size_t len;

    (void)state;
    assert_non_null(f);
    fixtures_init(f);
    envelope_arena_init(&arena);
    uint8_t *p = pack_payload(1, &f->report_response.base, &len);
    assert_int_equal(envelope_unpack(&arena, p, len, &env, &err), 0);
    assert_int_equal(envelope_unpack(&arena, p, len, &env, &err), 0);
    const void *blocks = arena.blocks;
    size_t held = envelope_arena_held(&arena);
    for (int i = 0; i < 100; i++) {
        assert_int_equal(envelope_unpack(&arena, p, len, &env, &err), 0);
        assert_ptr_equal(arena.blocks, blocks);
        assert_int_equal(envelope_arena_held(&arena), held);
    }
    assert_string_equal(env->report_response->awardees[0]->nominee_name, f->r1.nominee_name);
    free(p);

    /* A large message, then back to at most ENVELOPE_ARENA_KEEP. */
    p = realistic_push(500, &len);
    assert_int_equal(envelope_unpack(&arena, p, len, &env, &err), 0);
    assert_true(envelope_arena_held(&arena) > ENVELOPE_ARENA_KEEP);
    envelope_arena_reset(&arena);
    assert_true(envelope_arena_held(&arena) <= ENVELOPE_ARENA_KEEP);
    free(p);
    envelope_arena_free(&arena);
    assert_int_equal(envelope_arena_held(&arena), 0);
    free(f);
}

/* ------------------------------------------------------------------------- */
/* Packing */

static void test_pack_refusals(void **state)
{
    Thidua__V1__Record rec = THIDUA__V1__RECORD__INIT;
    Thidua__V1__Ping ping = THIDUA__V1__PING__INIT;
    frame_buf_t b;
    envelope_error_t err;

    (void)state;
    frame_buf_init(&b);
    assert_int_equal(envelope_pack(&b, 1, &rec.base, 0, &err), TD_EINVAL);
    assert_string_equal(err.message, "not an envelope body: thidua.v1.Record");
    assert_int_equal(envelope_pack(&b, 1, NULL, 0, NULL), TD_EINVAL);
    ping.nonce = 1;
    assert_int_equal(envelope_pack(&b, 300, &ping.base, 4, &err), TD_ETOOBIG);
    assert_string_equal(err.message, "ping envelope of 7 bytes exceeds the frame limit of 4 bytes");
    assert_int_equal(b.len, 0);
    assert_int_equal(envelope_pack(&b, 300, &ping.base, 7, &err), 0);
    assert_int_equal(b.len, FRAME_HEADER_LEN + 7);
    frame_buf_free(&b);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(envelope_body_name(THIDUA__V1__ENVELOPE__BODY_PUSH_REQUEST),
                        "push_request");
    assert_string_equal(envelope_body_name(THIDUA__V1__ENVELOPE__BODY_GET_RECORD_RESPONSE),
                        "get_record_response");
    assert_string_equal(envelope_body_name(THIDUA__V1__ENVELOPE__BODY__NOT_SET), "none");
    assert_string_equal(envelope_body_name((Thidua__V1__Envelope__BodyCase)1), "unknown");
    assert_string_equal(envelope_body_name((Thidua__V1__Envelope__BodyCase)99), "unknown");
}

/* ------------------------------------------------------------------------- */
/* Depth: thidua.proto cannot nest deeper than the bound, so the bound is
 * tested with a recursive message of our own: message Node { Node child = 1; } */

static const ProtobufCMessageDescriptor node_descriptor;
static const ProtobufCFieldDescriptor node_fields[] = {
    {"child", 1, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_MESSAGE, 0, sizeof(ProtobufCMessage),
     &node_descriptor, NULL, 0, 0, NULL, NULL},
};
static const unsigned node_by_name[] = {0};
static const ProtobufCIntRange node_ranges[] = {{1, 0}, {0, 1}};
static const ProtobufCMessageDescriptor node_descriptor = {
    PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
    "test.Node",
    "Node",
    "Test__Node",
    "test",
    sizeof(ProtobufCMessage) + sizeof(void *),
    1,
    node_fields,
    node_by_name,
    1,
    node_ranges,
    NULL,
    NULL,
    NULL,
    NULL,
};

/* levels nested Nodes, innermost empty. */
static size_t nest(uint8_t *buf, size_t size, int levels)
{
    size_t at = size;
    for (int i = 0; i < levels; i++) {
        size_t inner = size - at;
        assert_true(inner < 0x80 && at >= 2);
        buf[--at] = (uint8_t)inner;
        buf[--at] = 0x0A;
    }
    memmove(buf, buf + at, size - at);
    return size - at;
}

static void test_depth_bound(void **state)
{
    uint8_t buf[64];
    wire_error_t err;
    char path[WIRE_FIELD_MAX] = "";

    (void)state;
    size_t len = nest(buf, sizeof(buf), WIRE_MAX_DEPTH);
    assert_int_equal(wire_check(&node_descriptor, buf, len, &err), 0);
    len = nest(buf, sizeof(buf), WIRE_MAX_DEPTH + 1);
    assert_int_equal(wire_check(&node_descriptor, buf, len, &err), TD_EDEPTH);
    for (int i = 0; i <= WIRE_MAX_DEPTH; i++)
        strcat(path, i ? ".child" : "child");
    assert_string_equal(err.field, path);
    assert_non_null(strstr(err.message, ": messages nested deeper than 16 levels"));
    assert_int_equal(err.offset, 2 * WIRE_MAX_DEPTH);
    /* And NULL err is allowed. */
    assert_int_equal(wire_check(&node_descriptor, buf, len, NULL), TD_EDEPTH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_check),
        cmocka_unit_test(test_utf8_exhaustive_short),
        cmocka_unit_test(test_round_trip_every_body),
        cmocka_unit_test(test_round_trip_vietnamese_fields),
        cmocka_unit_test(test_no_body),
        cmocka_unit_test(test_unknown_body),
        cmocka_unit_test(test_unknown_fields_accepted),
        cmocka_unit_test(test_malformed_reports),
        cmocka_unit_test(test_invalid_utf8_nested),
        cmocka_unit_test(test_invalid_utf8_deep_and_repeated),
        cmocka_unit_test(test_embedded_nul),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_budget_refuses_million_empty_records),
        cmocka_unit_test(test_budget_lets_small_frames_through),
        cmocka_unit_test(test_budget_realistic_batch),
        cmocka_unit_test(test_arena_reuse),
        cmocka_unit_test(test_pack_refusals),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_depth_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
