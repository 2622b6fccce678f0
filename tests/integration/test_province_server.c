/*
 * test_province_server.c - the province's requests through the real thiduad:
 * ListRecords, GetRecord, Decide, Award, Revoke and Report over TLS with a
 * province certificate, and PERMISSION_DENIED for each with a district one.
 *
 * What the province relies on: the listing and its audit log line, every
 * refusal with the right Error code and field, a decision that is refused
 * when the record moved on and harmless when retried, one ack per awarded
 * record, and report counts equal to a direct count on the database.
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

#include "fields.h"
#include "harness.h"

static struct {
    harness_pki_t pki;
    char db[HARNESS_CONNINFO_MAX];
    harness_server_t srv;
    harness_conn_t conn;  /* the test's connection */
    char fingerprint[65]; /* of its certificate, from Welcome */
    uint64_t next_id;
    unsigned tag; /* makes each test's record ids its own */
} fx;

static int group_setup(void **state)
{
    (void)state;
    harness_pki_make(&fx.pki);
    harness_db_create(fx.db, sizeof(fx.db));
    harness_server_start(&fx.srv, &fx.pki, fx.db, NULL);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (fx.srv.pid > 0)
        harness_server_stop(&fx.srv, SIGTERM);
    harness_db_drop(fx.db);
    harness_cleanup();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    harness_conn_close(&fx.conn);
    return 0;
}

/* ---- the exchange ---- */

/* Send body as the next request and return the answer (the caller frees it). */
static Thidua__V1__Envelope *call(Thidua__V1__Envelope *env)
{
    env->request_id = ++fx.next_id;
    harness_assert_io(&fx.conn, harness_conn_send_envelope(&fx.conn, env), HARNESS_IO_OK);
    Thidua__V1__Envelope *reply = NULL;
    harness_assert_io(&fx.conn, harness_conn_recv_envelope(&fx.conn, 60000, &reply), HARNESS_IO_OK);
    assert_int_equal(reply->request_id, env->request_id);
    return reply;
}

/* Connect conn with cert and say Hello; the Welcome's certificate fingerprint goes to fp. */
static void hello_on(harness_conn_t *conn, const char *cert, char *fp, size_t fpsize)
{
    harness_io_t io =
        harness_tls_connect(conn, fx.srv.port, fx.pki.ca, harness_pki_cert(&fx.pki, cert));
    harness_assert_io(conn, io, HARNESS_IO_OK);
    Thidua__V1__Envelope *w = NULL;
    harness_assert_io(conn, harness_conn_hello(conn, ++fx.next_id, "test_province", &w),
                      HARNESS_IO_OK);
    assert_int_equal(w->body_case, THIDUA__V1__ENVELOPE__BODY_WELCOME);
    snprintf(fp, fpsize, "%s", w->welcome->certificate_fingerprint);
    thidua__v1__envelope__free_unpacked(w, NULL);
}

static void hello(const char *cert)
{
    hello_on(&fx.conn, cert, fx.fingerprint, sizeof(fx.fingerprint));
    fx.tag++;
}

static void expect_body(const Thidua__V1__Envelope *e, Thidua__V1__Envelope__BodyCase body)
{
    if (e->body_case == THIDUA__V1__ENVELOPE__BODY_ERROR)
        fail_msg("answered Error %d: %s (field %s)", e->error->code, e->error->message,
                 e->error->field);
    assert_int_equal(e->body_case, body);
}

/* ---- records ---- */

typedef struct trec {
    Thidua__V1__Record rec;
    char id[37];
    char unit[8];
    char name[96];
} trec_t;

static void trec_init(trec_t *t, unsigned n, const char *unit, const char *name, const char *birth)
{
    thidua__v1__record__init(&t->rec);
    snprintf(t->id, sizeof(t->id), "%08x-0000-4000-8000-%012x", 0x9a000000u + fx.tag, n);
    snprintf(t->unit, sizeof(t->unit), "%s", unit);
    snprintf(t->name, sizeof(t->name), "%s", name);
    t->rec.id = t->id;
    t->rec.org_unit = t->unit;
    t->rec.nominee_kind = "individual";
    t->rec.nominee_name = t->name;
    t->rec.birth_date = (char *)birth;
    t->rec.title = "Hoàn thành xuất sắc nhiệm vụ";
    t->rec.summary = "Báo cáo thành tích.";
    t->rec.category = "KT_XH";
    t->rec.achieved_on = "2024-10-01";
    t->rec.proposed_award = "BK_UBND_TINH";
    t->rec.revision = 1;
}

static void trec_collective(trec_t *t, unsigned n, const char *unit, const char *name)
{
    trec_init(t, n, unit, name, "");
    t->rec.nominee_kind = "collective";
}

static void push(trec_t *recs, size_t n)
{
    Thidua__V1__Record **ptrs = calloc(n + 1, sizeof(*ptrs));
    assert_non_null(ptrs);
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &recs[i].rec;
    Thidua__V1__PushRequest req = THIDUA__V1__PUSH_REQUEST__INIT;
    req.n_records = n;
    req.records = ptrs;
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_PUSH_REQUEST;
    env.push_request = &req;
    Thidua__V1__Envelope *e = call(&env);
    free(ptrs);
    expect_body(e, THIDUA__V1__ENVELOPE__BODY_PUSH_RESPONSE);
    for (size_t i = 0; i < n; i++) {
        const Thidua__V1__RecordAck *a = e->push_response->acks[i];
        if (a->status != THIDUA__V1__RECORD_ACK__STATUS__APPLIED)
            fail_msg("push %zu: %d %s", i, a->status, a->message);
    }
    thidua__v1__envelope__free_unpacked(e, NULL);
}

static Thidua__V1__Envelope *list(Thidua__V1__ListRecordsRequest *req)
{
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_LIST_RECORDS_REQUEST;
    env.list_records_request = req;
    return call(&env);
}

/* GetRecord for one page of the history: before 0 is the newest. */
static Thidua__V1__Envelope *get_page(const char *id, uint64_t before)
{
    Thidua__V1__GetRecordRequest req = THIDUA__V1__GET_RECORD_REQUEST__INIT;
    req.id = (char *)id;
    req.history_before = before;
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_GET_RECORD_REQUEST;
    env.get_record_request = &req;
    return call(&env);
}

static Thidua__V1__Envelope *get(const char *id)
{
    return get_page(id, 0);
}

static Thidua__V1__Envelope *decide(const char *id, uint32_t revision, const char *action,
                                    const char *reason)
{
    Thidua__V1__DecideRequest req = THIDUA__V1__DECIDE_REQUEST__INIT;
    req.id = (char *)id;
    req.revision = revision;
    req.action = (char *)action;
    req.reason = (char *)reason;
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_DECIDE_REQUEST;
    env.decide_request = &req;
    return call(&env);
}

static void approve(const char *id)
{
    Thidua__V1__Envelope *e = decide(id, 1, "approve", "");
    expect_body(e, THIDUA__V1__ENVELOPE__BODY_DECIDE_RESPONSE);
    thidua__v1__envelope__free_unpacked(e, NULL);
}

static Thidua__V1__Envelope *award(const char *number, const char *signer, const char *form,
                                   const char *const *ids, size_t n)
{
    Thidua__V1__AwardDecision d = THIDUA__V1__AWARD_DECISION__INIT;
    d.number = (char *)number;
    d.date = "2025-08-15";
    d.signer = (char *)signer;
    Thidua__V1__AwardRequest req = THIDUA__V1__AWARD_REQUEST__INIT;
    req.decision = &d;
    req.form = (char *)form;
    req.ids = (char **)ids;
    req.n_ids = n;
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_AWARD_REQUEST;
    env.award_request = &req;
    return call(&env);
}

static Thidua__V1__Envelope *revoke(const char *id, const char *reason)
{
    Thidua__V1__AwardDecision d = THIDUA__V1__AWARD_DECISION__INIT;
    d.number = "301/QĐ-UBND";
    d.date = "2025-11-03";
    d.signer = "CHỦ TỊCH Lê Văn C";
    Thidua__V1__RevokeRequest req = THIDUA__V1__REVOKE_REQUEST__INIT;
    req.id = (char *)id;
    req.reason = (char *)reason;
    req.decision = &d;
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_REVOKE_REQUEST;
    env.revoke_request = &req;
    return call(&env);
}

static Thidua__V1__Envelope *report(bool awardees, bool sync)
{
    Thidua__V1__ReportRequest req = THIDUA__V1__REPORT_REQUEST__INIT;
    req.include_awardees = awardees;
    req.include_sync_health = sync;
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_REPORT_REQUEST;
    env.report_request = &req;
    return call(&env);
}

static void free_env(Thidua__V1__Envelope *e)
{
    thidua__v1__envelope__free_unpacked(e, NULL);
}

/* ---- tests ---- */

/* A district certificate is refused each province request, and keeps its connection. */
static void district_is_refused(void **state)
{
    (void)state;
    hello("934-district");
    Thidua__V1__ListRecordsRequest lr = THIDUA__V1__LIST_RECORDS_REQUEST__INIT;
    Thidua__V1__Envelope *replies[6];
    replies[0] = list(&lr);
    replies[1] = get("00000000-0000-4000-8000-000000000001");
    replies[2] = decide("00000000-0000-4000-8000-000000000001", 1, "approve", "");
    const char *ids[1] = {"00000000-0000-4000-8000-000000000001"};
    replies[3] = award("1/QĐ-UBND", "CHỦ TỊCH", "BK_UBND_TINH", ids, 1);
    replies[4] = revoke("00000000-0000-4000-8000-000000000001", "Khai man");
    replies[5] = report(true, true);
    for (int i = 0; i < 6; i++) {
        harness_assert_error(replies[i], THIDUA__V1__ERROR__CODE__PERMISSION_DENIED, NULL);
        free_env(replies[i]);
    }
    Thidua__V1__Ping ping = THIDUA__V1__PING__INIT;
    ping.nonce = 77;
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_PING;
    env.ping = &ping;
    Thidua__V1__Envelope *pong = call(&env);
    expect_body(pong, THIDUA__V1__ENVELOPE__BODY_PONG);
    assert_int_equal(pong->pong->nonce, 77);
    free_env(pong);
}

/*
 * The listing: filtered, sorted in Vietnamese order, paged, with possible
 * duplicates (an NFD name among them), and logged with the certificate.
 */
static void list_records(void **state)
{
    (void)state;
    hello("93-province");
    trec_t r[5];
    trec_init(&r[0], 1, "936", "Đinh Thị Ánh", "1981-01-01");
    trec_init(&r[1], 2, "936", "Dương Văn Út", "1982-02-02");
    /* The same person as r[3], typed decomposed with the tone on the other letter. */
    trec_init(&r[2], 3, "937",
              "Ho\xcc\x80"
              "a Thi\xcc\xa3 Thu\xcc\x89y",
              "1983-03-03");
    trec_init(&r[3], 4, "936", "Hoà Thị Thuỷ", "1983-03-03");
    trec_collective(&r[4], 5, "937", "Hợp tác xã Long Mỹ");
    push(r, 5);

    Thidua__V1__ListRecordsRequest lr = THIDUA__V1__LIST_RECORDS_REQUEST__INIT;
    lr.org_unit = "936";
    Thidua__V1__Envelope *e = list(&lr);
    expect_body(e, THIDUA__V1__ENVELOPE__BODY_LIST_RECORDS_RESPONSE);
    Thidua__V1__ListRecordsResponse *resp = e->list_records_response;
    assert_int_equal(resp->total, 3);
    assert_false(resp->has_more);
    assert_int_equal(resp->n_records, 3);
    /* d < đ < h: Dương, Đinh, Hoà. */
    assert_string_equal(resp->records[0]->id, r[1].id);
    assert_string_equal(resp->records[1]->id, r[0].id);
    assert_string_equal(resp->records[2]->id, r[3].id);
    assert_int_equal(resp->records[2]->status, THIDUA__V1__RECORD__STATUS__SUBMITTED);
    assert_int_equal(resp->records[2]->n_possible_duplicates, 1);
    assert_string_equal(resp->records[2]->possible_duplicates[0], r[2].id);
    assert_int_equal(resp->records[0]->n_possible_duplicates, 0);
    assert_int_equal(resp->records[2]->content_hash.len, 32);
    free_env(e);

    /* Both units, duplicates only: the pair, 936 before 937; the NFD name came back in NFC. */
    lr = (Thidua__V1__ListRecordsRequest)THIDUA__V1__LIST_RECORDS_REQUEST__INIT;
    lr.duplicates_only = true;
    e = list(&lr);
    expect_body(e, THIDUA__V1__ENVELOPE__BODY_LIST_RECORDS_RESPONSE);
    resp = e->list_records_response;
    assert_int_equal(resp->n_records, 2);
    assert_string_equal(resp->records[0]->id, r[3].id);
    assert_string_equal(resp->records[1]->id, r[2].id);
    assert_string_equal(resp->records[1]->nominee_name, "Hòa Thị Thủy");
    free_env(e);

    /* Paging: one at a time through 937 and 936 (5 records), has_more until the last. */
    char seen[5][37];
    for (uint32_t off = 0; off < 5; off++) {
        lr = (Thidua__V1__ListRecordsRequest)THIDUA__V1__LIST_RECORDS_REQUEST__INIT;
        lr.offset = off;
        lr.limit = 1;
        e = list(&lr);
        expect_body(e, THIDUA__V1__ENVELOPE__BODY_LIST_RECORDS_RESPONSE);
        resp = e->list_records_response;
        assert_int_equal(resp->n_records, 1);
        assert_true(resp->total >= 5);
        assert_int_equal(resp->has_more, off + 1 < resp->total);
        snprintf(seen[off], sizeof(seen[off]), "%s", resp->records[0]->id);
        for (uint32_t k = 0; k < off; k++)
            assert_string_not_equal(seen[k], seen[off]);
        free_env(e);
    }

    /* Filters on kind and status. */
    lr = (Thidua__V1__ListRecordsRequest)THIDUA__V1__LIST_RECORDS_REQUEST__INIT;
    lr.nominee_kind = "collective";
    lr.org_unit = "937";
    lr.status = THIDUA__V1__RECORD__STATUS__SUBMITTED;
    e = list(&lr);
    expect_body(e, THIDUA__V1__ENVELOPE__BODY_LIST_RECORDS_RESPONSE);
    assert_int_equal(e->list_records_response->total, 1);
    assert_string_equal(e->list_records_response->records[0]->id, r[4].id);
    free_env(e);

    /* Every listing is in the log with the certificate that made it. */
    char needle[200];
    snprintf(needle, sizeof(needle), "event=list_records peer=");
    assert_true(harness_server_wait_log(&fx.srv, needle, 5000));
    snprintf(needle, sizeof(needle), "fp=%s campaign=HG-DB-2025 org_unit=937 status=submitted",
             fx.fingerprint);
    assert_true(harness_server_wait_log(&fx.srv, needle, 5000));

    /* Refusals name the field. */
    lr = (Thidua__V1__ListRecordsRequest)THIDUA__V1__LIST_RECORDS_REQUEST__INIT;
    lr.org_unit = "999";
    e = list(&lr);
    harness_assert_error(e, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, "org_unit");
    free_env(e);
    lr.org_unit = "";
    lr.category = "KHONG_CO";
    e = list(&lr);
    harness_assert_error(e, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, "category");
    free_env(e);
    lr.category = "";
    lr.status = (Thidua__V1__Record__Status)42;
    e = list(&lr);
    harness_assert_error(e, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, "status");
    free_env(e);
}

/* Decide: reasons required, CONFLICT when the record moved on, a retry is harmless. */
static void decide_rules(void **state)
{
    (void)state;
    hello("93-province");
    trec_t r[2];
    trec_init(&r[0], 1, "932", "Lâm Văn Phúc", "1975-05-05");
    trec_init(&r[1], 2, "932", "Quách Thị Hạnh", "1976-06-06");
    push(r, 2);

    Thidua__V1__Envelope *e = decide(r[0].id, 1, "reject", "");
    harness_assert_error(e, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, "reason");
    free_env(e);
    e = decide(r[0].id, 1, "return", "   ");
    harness_assert_error(e, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, "reason");
    free_env(e);
    e = decide(r[0].id, 1, "promote", "");
    harness_assert_error(e, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, "action");
    free_env(e);
    e = decide(r[0].id, 2, "approve", "");
    harness_assert_error(e, THIDUA__V1__ERROR__CODE__CONFLICT, "revision");
    free_env(e);
    e = decide("00000000-0000-4000-8000-00000000dead", 1, "approve", "");
    harness_assert_error(e, THIDUA__V1__ERROR__CODE__NOT_FOUND, "id");
    free_env(e);
    e = decide("not-a-uuid", 1, "approve", "");
    harness_assert_error(e, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, "id");
    free_env(e);

    /* Return for supplements: the answer is the record after the decision. */
    e = decide(r[0].id, 1, "return", "Bổ sung minh chứng");
    expect_body(e, THIDUA__V1__ENVELOPE__BODY_DECIDE_RESPONSE);
    const Thidua__V1__Record *rec = e->decide_response->record;
    assert_string_equal(rec->id, r[0].id);
    assert_int_equal(rec->status, THIDUA__V1__RECORD__STATUS__RETURNED);
    assert_non_null(rec->decision);
    assert_string_equal(rec->decision->action, "return");
    assert_string_equal(rec->decision->reason, "Bổ sung minh chứng");
    uint64_t seq = rec->change_seq;
    free_env(e);
    /* The same decision again (a retry after a lost answer): the same record, nothing new. */
    e = decide(r[0].id, 1, "return", "Bổ sung minh chứng");
    expect_body(e, THIDUA__V1__ENVELOPE__BODY_DECIDE_RESPONSE);
    assert_int_equal(e->decide_response->record->change_seq, seq);
    free_env(e);
    assert_int_equal(harness_db_int(fx.db,
                                    "SELECT count(*) FROM thidua.decision WHERE record_id = '%s'",
                                    r[0].id),
                     1);
    /* Waiting for the district: a decision now is refused. */
    e = decide(r[0].id, 1, "approve", "");
    harness_assert_error(e, THIDUA__V1__ERROR__CODE__CONFLICT, NULL);
    free_env(e);

    approve(r[1].id);
    e = decide(r[1].id, 1, "reject", "Không đủ điều kiện");
    harness_assert_error(e, THIDUA__V1__ERROR__CODE__CONFLICT, NULL);
    free_env(e);
}

/* Award: one ack per id; a number taken by another act is CONFLICT; then Revoke. */
static void award_and_revoke(void **state)
{
    (void)state;
    hello("93-province");
    trec_t r[4];
    trec_init(&r[0], 1, "933", "Kiều Văn Quang", "1970-01-01");
    trec_init(&r[1], 2, "933", "Mạc Thị Sen", "1971-02-02");
    trec_collective(&r[2], 3, "933", "Đoàn Thanh niên xã Phú Hữu");
    trec_init(&r[3], 4, "933", "Tôn Văn Thắng", "1972-03-03");
    push(r, 4);
    approve(r[0].id);
    approve(r[1].id);
    approve(r[2].id);

    const char *signer = "KT. CHỦ TỊCH — PHÓ CHỦ TỊCH Trần Văn B";
    const char *ids[5] = {r[0].id, "xyz", r[3].id, r[2].id, "00000000-0000-4000-8000-00000000beef"};
    Thidua__V1__Envelope *e = award("163/QĐ-UBND", signer, "CSTD_TINH", ids, 5);
    expect_body(e, THIDUA__V1__ENVELOPE__BODY_AWARD_RESPONSE);
    Thidua__V1__AwardResponse *resp = e->award_response;
    assert_int_equal(resp->n_acks, 5);
    static const Thidua__V1__RecordAck__Status want[5] = {
        THIDUA__V1__RECORD_ACK__STATUS__APPLIED,  /* approved individual */
        THIDUA__V1__RECORD_ACK__STATUS__REJECTED, /* not an id */
        THIDUA__V1__RECORD_ACK__STATUS__LOCKED,   /* not approved */
        THIDUA__V1__RECORD_ACK__STATUS__REJECTED, /* a collective cannot be a CSTD */
        THIDUA__V1__RECORD_ACK__STATUS__REJECTED, /* no such record */
    };
    static const char *const want_field[5] = {"", "id", "status", "form", "id"};
    for (int i = 0; i < 5; i++) {
        const Thidua__V1__RecordAck *a = resp->acks[i];
        if (a->status != want[i])
            fail_msg("ack %d: %d (%s), expected %d", i, a->status, a->message, want[i]);
        assert_string_equal(a->field, want_field[i]);
    }
    assert_true(resp->acks[0]->change_seq > 0);
    assert_int_equal(resp->acks[0]->record_status, THIDUA__V1__RECORD__STATUS__AWARDED);
    free_env(e);

    /* The same number and year, another signer: another act, refused whole. */
    const char *one[1] = {r[1].id};
    e = award("163/QĐ-UBND", "CHỦ TỊCH Lê Văn C", "CSTD_TINH", one, 1);
    harness_assert_error(e, THIDUA__V1__ERROR__CODE__CONFLICT, "decision.number");
    free_env(e);
    /* An act under which nothing applies is not recorded: a typo in the signer with a record
     * that is not approved yet leaves nothing behind, and the corrected request goes through. */
    const char *late[1] = {r[3].id};
    e = award("180/QĐ-UBND", "CHỦ TỊCH Lê Văn Cc", "CSTD_TINH", late, 1);
    expect_body(e, THIDUA__V1__ENVELOPE__BODY_AWARD_RESPONSE);
    assert_int_equal(e->award_response->acks[0]->status, THIDUA__V1__RECORD_ACK__STATUS__LOCKED);
    free_env(e);
    assert_int_equal(harness_db_int(fx.db, "SELECT count(*) FROM thidua.award_decision"
                                           " WHERE number = '180/QĐ-UBND'"),
                     0);
    approve(r[3].id);
    e = award("180/QĐ-UBND", "CHỦ TỊCH Lê Văn C", "CSTD_TINH", late, 1);
    expect_body(e, THIDUA__V1__ENVELOPE__BODY_AWARD_RESPONSE);
    assert_int_equal(e->award_response->acks[0]->status, THIDUA__V1__RECORD_ACK__STATUS__APPLIED);
    free_env(e);
    assert_int_equal(harness_db_int(fx.db, "SELECT count(*) FROM thidua.award_decision"
                                           " WHERE number = '180/QĐ-UBND'"
                                           "   AND signer = 'CHỦ TỊCH Lê Văn C'"),
                     1);
    /* More awardees of the same act are welcome. */
    e = award("163/QĐ-UBND", signer, "CSTD_TINH", one, 1);
    expect_body(e, THIDUA__V1__ENVELOPE__BODY_AWARD_RESPONSE);
    assert_int_equal(e->award_response->acks[0]->status, THIDUA__V1__RECORD_ACK__STATUS__APPLIED);
    free_env(e);
    /* Awarding it again: one award per record. */
    e = award("170/QĐ-UBND", signer, "BK_UBND_TINH", one, 1);
    expect_body(e, THIDUA__V1__ENVELOPE__BODY_AWARD_RESPONSE);
    assert_int_equal(e->award_response->acks[0]->status, THIDUA__V1__RECORD_ACK__STATUS__LOCKED);
    free_env(e);
    /* Whole-request mistakes. */
    e = award("171/QĐ-UBND", signer, "HUAN_CHUONG", one, 1);
    harness_assert_error(e, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, "form");
    free_env(e);
    e = award("", signer, "BK_UBND_TINH", one, 1);
    harness_assert_error(e, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, "decision.number");
    free_env(e);
    e = award("171/QĐ-UBND", signer, "BK_UBND_TINH", one, 0);
    harness_assert_error(e, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, "ids");
    free_env(e);

    /* Revoke: the reason is required; then the record is revoked, with the reason. */
    e = revoke(r[0].id, "");
    harness_assert_error(e, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, "reason");
    free_env(e);
    e = revoke(r[2].id, "Khai man thành tích"); /* approved, never awarded */
    harness_assert_error(e, THIDUA__V1__ERROR__CODE__CONFLICT, "status");
    free_env(e);
    e = revoke(r[0].id, "Khai man thành tích");
    expect_body(e, THIDUA__V1__ENVELOPE__BODY_REVOKE_RESPONSE);
    const Thidua__V1__Record *rec = e->revoke_response->record;
    assert_int_equal(rec->status, THIDUA__V1__RECORD__STATUS__REVOKED);
    assert_non_null(rec->award);
    assert_string_equal(rec->award->form, "CSTD_TINH");
    assert_string_equal(rec->award->decision->number, "163/QĐ-UBND");
    assert_string_equal(rec->award->revoked_reason, "Khai man thành tích");
    assert_non_null(rec->award->revoked_by);
    assert_string_equal(rec->award->revoked_by->number, "301/QĐ-UBND");
    free_env(e);

    /* GetRecord tells the whole story, oldest first, with who did what. */
    e = get(r[0].id);
    expect_body(e, THIDUA__V1__ENVELOPE__BODY_GET_RECORD_RESPONSE);
    Thidua__V1__GetRecordResponse *g = e->get_record_response;
    assert_string_equal(g->record->id, r[0].id);
    assert_int_equal(g->n_history, 4);
    static const char *const kinds[4] = {"revision", "decision", "award", "revoke"};
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(g->history[i]->kind, kinds[i]);
        assert_string_equal(g->history[i]->by_unit, "93");
        assert_string_equal(g->history[i]->by_fingerprint, fx.fingerprint);
        assert_true(g->history[i]->at_ms > 0);
        if (i > 0)
            assert_true(g->history[i]->change_seq > g->history[i - 1]->change_seq);
    }
    assert_non_null(g->history[0]->content);
    assert_string_equal(g->history[0]->content->nominee_name, "Kiều Văn Quang");
    assert_int_equal(g->history[0]->content->content_hash.len, 32);
    assert_null(g->history[1]->content);
    assert_string_equal(g->history[1]->action, "approve");
    assert_string_equal(g->history[3]->reason, "Khai man thành tích");
    free_env(e);
    e = get("00000000-0000-4000-8000-00000000f00d");
    harness_assert_error(e, THIDUA__V1__ERROR__CODE__NOT_FOUND, "id");
    free_env(e);
    e = get("");
    harness_assert_error(e, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, "id");
    free_env(e);
}

/* Six offices of the province award one record at once under six acts: one wins, and the
 * five acts under which nothing applied are not left behind. */
static void award_race_leaves_one_act(void **state)
{
    (void)state;
    hello("93-province");
    trec_t r[1];
    trec_init(&r[0], 1, "934", "Lạc Văn Đông", "1969-04-04");
    push(r, 1);
    approve(r[0].id);

    enum { RACERS = 6 };
    static harness_conn_t conns[RACERS];
    char numbers[RACERS][32];
    const char *ids[1] = {r[0].id};
    char fp[65];
    for (int i = 0; i < RACERS; i++)
        hello_on(&conns[i], "93-province", fp, sizeof(fp));
    /* All six requests are on the wire before any answer is read. */
    for (int i = 0; i < RACERS; i++) {
        snprintf(numbers[i], sizeof(numbers[i]), "%d/QĐ-UBND", 500 + i);
        Thidua__V1__AwardDecision d = THIDUA__V1__AWARD_DECISION__INIT;
        d.number = numbers[i];
        d.date = "2025-09-01";
        d.signer = "CHỦ TỊCH Lê Văn C";
        Thidua__V1__AwardRequest req = THIDUA__V1__AWARD_REQUEST__INIT;
        req.decision = &d;
        req.form = "CSTD_TINH";
        req.ids = (char **)ids;
        req.n_ids = 1;
        Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
        env.body_case = THIDUA__V1__ENVELOPE__BODY_AWARD_REQUEST;
        env.award_request = &req;
        env.request_id = 2;
        harness_assert_io(&conns[i], harness_conn_send_envelope(&conns[i], &env), HARNESS_IO_OK);
    }
    int applied = 0, locked = 0;
    for (int i = 0; i < RACERS; i++) {
        Thidua__V1__Envelope *e = NULL;
        harness_assert_io(&conns[i], harness_conn_recv_envelope(&conns[i], 60000, &e),
                          HARNESS_IO_OK);
        expect_body(e, THIDUA__V1__ENVELOPE__BODY_AWARD_RESPONSE);
        Thidua__V1__RecordAck__Status st = e->award_response->acks[0]->status;
        applied += st == THIDUA__V1__RECORD_ACK__STATUS__APPLIED;
        locked += st == THIDUA__V1__RECORD_ACK__STATUS__LOCKED;
        free_env(e);
        harness_conn_close(&conns[i]);
    }
    assert_int_equal(applied, 1);
    assert_int_equal(locked, RACERS - 1);
    assert_int_equal(harness_db_int(fx.db, "SELECT count(*) FROM thidua.award_decision"
                                           " WHERE number LIKE '50_/QĐ-UBND'"),
                     1);
    assert_int_equal(harness_db_int(fx.db, "SELECT count(*) FROM thidua.award_decision ad"
                                           " JOIN thidua.award a ON a.award_decision_id = ad.id"
                                           " WHERE ad.number LIKE '50_/QĐ-UBND'"),
                     1);
}

/* n times "ệ" (three bytes, one code point): limits count code points. */
static char *chars(size_t n)
{
    char *s = malloc(n * 3 + 1);
    assert_non_null(s);
    for (size_t k = 0; k < n; k++)
        memcpy(s + 3 * k, "\xe1\xbb\x87", 3);
    s[n * 3] = '\0';
    return s;
}

/* decision.number, decision.signer and reason (fields.h): at the limit accepted and stored,
 * one over refused with the field named and nothing written. */
static void decision_field_limits(void **state)
{
    (void)state;
    hello("93-province");
    trec_t r[3];
    trec_init(&r[0], 1, "934", "Vi Văn Toàn", "1973-04-04");
    trec_init(&r[1], 2, "934", "Lục Thị Uyên", "1974-05-05");
    trec_init(&r[2], 3, "934", "Hà Văn Vinh", "1975-06-06");
    push(r, 3);

    /* Decide: reason. */
    char *reason_over = chars(FIELD_MAX(reason) + 1);
    Thidua__V1__Envelope *e = decide(r[0].id, 1, "return", reason_over);
    harness_assert_error(e, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, "reason");
    free_env(e);
    assert_int_equal(harness_db_int(fx.db,
                                    "SELECT count(*) FROM thidua.decision WHERE record_id = '%s'",
                                    r[0].id),
                     0);
    char *reason_max = chars(FIELD_MAX(reason));
    e = decide(r[0].id, 1, "return", reason_max);
    expect_body(e, THIDUA__V1__ENVELOPE__BODY_DECIDE_RESPONSE);
    assert_string_equal(e->decide_response->record->decision->reason, reason_max);
    free_env(e);
    assert_int_equal(harness_db_int(fx.db,
                                    "SELECT char_length(reason) FROM thidua.decision"
                                    " WHERE record_id = '%s'",
                                    r[0].id),
                     FIELD_MAX(reason));

    /* Award: decision.number and decision.signer. */
    approve(r[1].id);
    approve(r[2].id);
    const char *one[1] = {r[1].id};
    char *number_over = chars(FIELD_MAX(decision_number) + 1);
    e = award(number_over, "CHỦ TỊCH Lê Văn C", "BK_UBND_TINH", one, 1);
    harness_assert_error(e, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, "decision.number");
    free_env(e);
    char *signer_over = chars(FIELD_MAX(decision_signer) + 1);
    e = award("180/QĐ-UBND", signer_over, "BK_UBND_TINH", one, 1);
    harness_assert_error(e, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, "decision.signer");
    free_env(e);
    assert_int_equal(harness_db_int(fx.db,
                                    "SELECT count(*) FROM thidua.award WHERE record_id = '%s'",
                                    r[1].id),
                     0);

    char *number_max = chars(FIELD_MAX(decision_number));
    char *signer_max = chars(FIELD_MAX(decision_signer));
    e = award(number_max, signer_max, "BK_UBND_TINH", one, 1);
    expect_body(e, THIDUA__V1__ENVELOPE__BODY_AWARD_RESPONSE);
    assert_int_equal(e->award_response->acks[0]->status, THIDUA__V1__RECORD_ACK__STATUS__APPLIED);
    free_env(e);
    e = get(r[1].id);
    expect_body(e, THIDUA__V1__ENVELOPE__BODY_GET_RECORD_RESPONSE);
    assert_string_equal(e->get_record_response->record->award->decision->number, number_max);
    assert_string_equal(e->get_record_response->record->award->decision->signer, signer_max);
    free_env(e);

    /* Revoke: its reason has the same limit. */
    e = revoke(r[1].id, reason_over);
    harness_assert_error(e, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, "reason");
    free_env(e);
    e = revoke(r[1].id, reason_max);
    expect_body(e, THIDUA__V1__ENVELOPE__BODY_REVOKE_RESPONSE);
    assert_string_equal(e->revoke_response->record->award->revoked_reason, reason_max);
    free_env(e);

    free(reason_over);
    free(reason_max);
    free(number_over);
    free(signer_over);
    free(number_max);
    free(signer_max);
}

/* Direct counts on the database for one row of each count table. */
/* The server's frame limit (harness default, as Welcome says). */
#define TEST_MAX_FRAME 4194304u

/* Revisions of the long history: with summaries at their limit, together beyond a frame. */
#define LONG_REVISIONS 80

/*
 * One page of the walk through a long history: every entry a revision, in
 * feed order within the page, all older than the page before (older_than),
 * numbered down from *want (the newest revision still to come). Returns the
 * oldest entry's change_seq.
 */
static uint64_t check_history_page(const Thidua__V1__GetRecordResponse *g, uint64_t older_than,
                                   uint32_t *want)
{
    assert_true(g->n_history > 0);
    for (size_t i = 1; i < g->n_history; i++)
        assert_true(g->history[i]->change_seq > g->history[i - 1]->change_seq);
    assert_true(g->history[g->n_history - 1]->change_seq < older_than);
    for (size_t i = g->n_history; i-- > 0;) {
        const Thidua__V1__HistoryEntry *h = g->history[i];
        assert_string_equal(h->kind, "revision");
        if (h->revision != *want)
            fail_msg("expected revision %u, got %u (change_seq %llu)", *want, h->revision,
                     (unsigned long long)h->change_seq);
        assert_non_null(h->content);
        (*want)--;
    }
    if (g->history_more)
        assert_int_equal(g->history_next, g->history[0]->change_seq);
    else
        assert_int_equal(g->history_next, 0);
    return g->history[0]->change_seq;
}

/*
 * A district cannot make a record's history unreadable by making it longer
 * than a frame: 1 + 80 revisions with summaries at their limit (60 KB each,
 * 4.9 MB in all) come in pages that each fit a frame, newest page first, and
 * following history_next gives every revision once. `thidua review show`
 * walks the pages and shows it all.
 */
static void history_longer_than_a_frame(void **state)
{
    (void)state;
    hello("93-province");
    trec_t r;
    trec_init(&r, 1, "935", "Giang Văn Long", "1969-09-09");
    push(&r, 1);
    char *summary = chars(FIELD_MAX(summary));
    char title[64];
    r.rec.summary = summary;
    r.rec.title = title;
    for (uint32_t rev = 2; rev <= LONG_REVISIONS + 1; rev++) {
        snprintf(title, sizeof(title), "Bản bổ sung lần %u", rev);
        r.rec.revision = rev;
        push(&r, 1);
    }
    free(summary);
    long long stored = harness_db_int(fx.db,
                                      "SELECT count(*) FROM thidua.change_feed WHERE record_id = "
                                      "'%s'",
                                      r.id);
    assert_int_equal(stored, LONG_REVISIONS + 1);
    assert_true(harness_db_int(fx.db,
                               "SELECT sum(octet_length(content::text)) FROM "
                               "thidua.record_revision WHERE record_id = '%s'",
                               r.id) > TEST_MAX_FRAME);

    uint64_t before = 0, older_than = UINT64_MAX;
    uint32_t want = LONG_REVISIONS + 1;
    size_t pages = 0, seen = 0;
    bool more;
    do {
        Thidua__V1__Envelope *e = get_page(r.id, before);
        expect_body(e, THIDUA__V1__ENVELOPE__BODY_GET_RECORD_RESPONSE);
        assert_true(thidua__v1__envelope__get_packed_size(e) <= TEST_MAX_FRAME);
        const Thidua__V1__GetRecordResponse *g = e->get_record_response;
        assert_string_equal(g->record->id, r.id);
        assert_int_equal(g->record->revision, LONG_REVISIONS + 1);
        if (pages == 0)
            assert_true(g->history_more); /* the whole history does not fit */
        older_than = check_history_page(g, older_than, &want);
        seen += g->n_history;
        pages++;
        more = g->history_more;
        before = g->history_next;
        free_env(e);
    } while (more);
    assert_int_equal(want, 0); /* revisions 81 down to 1, each once */
    assert_int_equal(seen, stored);
    assert_true(pages >= 2);
    assert_false(harness_server_log_contains(&fx.srv, "event=response_too_large"));

    /* The client walks the pages: every revision shown, oldest first. */
    char dir[HARNESS_PATH_MAX], config[HARNESS_PATH_MAX];
    harness_tmp_mkdir(dir, sizeof(dir), "province-history");
    harness_client_config(dir, "93", "province", &fx.pki, fx.srv.port, config, sizeof(config));
    const char *argv[] = {harness_thidua_path(), "-c", config, "review", "show", r.id, NULL};
    harness_output_t o;
    memset(&o, 0, sizeof(o));
    if (harness_run(argv, NULL, &o) != 0)
        fail_msg("review show: %s", o.err);
    const char *at = o.out;
    for (uint32_t rev = 1; rev <= LONG_REVISIONS + 1; rev++) {
        char line[32];
        snprintf(line, sizeof(line), "revision  %u  by 93", rev);
        const char *next = strstr(at, line);
        if (next == NULL)
            fail_msg("review show: no \"%s\" after the revisions before it", line);
        at = next + strlen(line);
    }
    harness_output_free(&o);
}

/* A short history is one page: nothing more, no cursor. */
static void history_one_page(void **state)
{
    (void)state;
    hello("93-province");
    trec_t r;
    trec_init(&r, 1, "936", "Mai Thị Phương", "1983-03-03");
    push(&r, 1);
    Thidua__V1__Envelope *e = decide(r.id, 1, "return", "Bổ sung minh chứng");
    expect_body(e, THIDUA__V1__ENVELOPE__BODY_DECIDE_RESPONSE);
    free_env(e);

    e = get(r.id);
    expect_body(e, THIDUA__V1__ENVELOPE__BODY_GET_RECORD_RESPONSE);
    const Thidua__V1__GetRecordResponse *g = e->get_record_response;
    assert_int_equal(g->n_history, 2);
    assert_string_equal(g->history[0]->kind, "revision");
    assert_string_equal(g->history[1]->kind, "decision");
    assert_false(g->history_more);
    assert_int_equal(g->history_next, 0);
    uint64_t newest = g->history[1]->change_seq;
    free_env(e);

    /* Before the newest entry: the revision alone; before everything: nothing. */
    e = get_page(r.id, newest);
    expect_body(e, THIDUA__V1__ENVELOPE__BODY_GET_RECORD_RESPONSE);
    g = e->get_record_response;
    assert_int_equal(g->n_history, 1);
    assert_string_equal(g->history[0]->kind, "revision");
    assert_false(g->history_more);
    uint64_t oldest = g->history[0]->change_seq;
    free_env(e);
    e = get_page(r.id, oldest);
    expect_body(e, THIDUA__V1__ENVELOPE__BODY_GET_RECORD_RESPONSE);
    assert_int_equal(e->get_record_response->n_history, 0);
    assert_false(e->get_record_response->history_more);
    assert_non_null(e->get_record_response->record);
    free_env(e);
    /* A cursor beyond any feed position is "before everything there is". */
    e = get_page(r.id, UINT64_MAX);
    expect_body(e, THIDUA__V1__ENVELOPE__BODY_GET_RECORD_RESPONSE);
    assert_int_equal(e->get_record_response->n_history, 2);
    free_env(e);
}

static long long direct_unit_status(const Thidua__V1__CountRow *row)
{
    return harness_db_int(fx.db,
                          "SELECT count(*) FROM thidua.record r"
                          "  JOIN thidua.org_unit u ON u.id = r.org_unit_id"
                          " WHERE u.code = '%s' AND r.status = '%s'",
                          row->key, row->key2);
}

static long long direct_category(const Thidua__V1__CountRow *row)
{
    return harness_db_int(fx.db,
                          "SELECT count(*) FROM thidua.record r"
                          "  JOIN thidua.category c ON c.id = r.category_id WHERE c.code = '%s'",
                          row->key);
}

static long long direct_award_form(const Thidua__V1__CountRow *row)
{
    return harness_db_int(fx.db,
                          "SELECT count(*) FROM thidua.award a"
                          "  JOIN thidua.award_form f ON f.id = a.award_form_id"
                          " WHERE f.code = '%s' AND a.revoked_at IS NULL",
                          row->key);
}

static long long direct_kind(const Thidua__V1__CountRow *row)
{
    return harness_db_int(fx.db, "SELECT count(*) FROM thidua.record WHERE nominee_kind = '%s'",
                          row->key);
}

/* Fail unless each row's count equals the direct count. */
static void check_rows(Thidua__V1__CountRow **rows, size_t n, const char *what,
                       long long (*direct)(const Thidua__V1__CountRow *))
{
    for (size_t i = 0; i < n; i++) {
        long long want = direct(rows[i]);
        if ((long long)rows[i]->count != want)
            fail_msg("%s %s %s: report %llu, direct %lld", what, rows[i]->key, rows[i]->key2,
                     (unsigned long long)rows[i]->count, want);
    }
    assert_true(n > 0);
}

/* The report's counts equal direct counts on the database; awardees and sync health come too. */
static void report_matches_database(void **state)
{
    (void)state;
    hello("93-province");
    trec_t r[3];
    trec_init(&r[0], 1, "931", "Âu Văn Tài", "1960-01-01");
    trec_init(&r[1], 2, "931", "Ân Thị Hằng", "1961-01-01");
    trec_collective(&r[2], 3, "931", "Trạm Y tế phường Lái Hiếu");
    r[2].rec.category = "ASXH";
    push(r, 3);
    approve(r[0].id);
    approve(r[2].id);
    const char *ids[2] = {r[0].id, r[2].id};
    Thidua__V1__Envelope *e = award("190/QĐ-UBND", "CHỦ TỊCH Lê Văn C", "BK_UBND_TINH", ids, 2);
    expect_body(e, THIDUA__V1__ENVELOPE__BODY_AWARD_RESPONSE);
    free_env(e);

    e = report(true, true);
    expect_body(e, THIDUA__V1__ENVELOPE__BODY_REPORT_RESPONSE);
    Thidua__V1__ReportResponse *rep = e->report_response;
    assert_non_null(rep->campaign);
    assert_string_equal(rep->campaign->code, "HG-DB-2025");
    assert_true(rep->generated_at_ms > 0);
    check_rows(rep->by_unit_status, rep->n_by_unit_status, "unit x status", direct_unit_status);
    check_rows(rep->by_category, rep->n_by_category, "category", direct_category);
    check_rows(rep->by_award_form, rep->n_by_award_form, "award form", direct_award_form);
    check_rows(rep->by_kind, rep->n_by_kind, "kind", direct_kind);
    /* Every record of the database is in one cell of unit x status. */
    long long total = 0;
    for (size_t i = 0; i < rep->n_by_unit_status; i++)
        total += (long long)rep->by_unit_status[i]->count;
    assert_int_equal(total, harness_db_int(fx.db, "SELECT count(*) FROM thidua.record"));

    assert_int_equal(rep->n_awardees, harness_db_int(fx.db, "SELECT count(*) FROM thidua.record"
                                                            " WHERE status = 'awarded'"));
    /* Within one form and unit, Vietnamese order: the collective's name (T) after Âu. */
    size_t at = 0;
    while (at < rep->n_awardees && strcmp(rep->awardees[at]->id, r[0].id) != 0)
        at++;
    assert_true(at + 1 < rep->n_awardees);
    assert_string_equal(rep->awardees[at]->form_name, "Bằng khen của Chủ tịch UBND tỉnh");
    assert_string_equal(rep->awardees[at]->org_unit_name, "Thành phố Ngã Bảy");
    assert_string_equal(rep->awardees[at]->decision_number, "190/QĐ-UBND");
    assert_string_equal(rep->awardees[at + 1]->id, r[2].id);
    assert_string_equal(rep->awardees[at + 1]->category, "ASXH");

    bool found = false;
    for (size_t i = 0; i < rep->n_sync_health; i++) {
        const Thidua__V1__UnitSyncHealth *h = rep->sync_health[i];
        if (strcmp(h->org_unit, "931") != 0)
            continue;
        found = true;
        assert_int_equal(h->submitted, 1);
        assert_string_equal(h->org_unit_name, "Thành phố Ngã Bảy");
    }
    assert_true(found);
    free_env(e);

    /* Without the options, only the counts. */
    e = report(false, false);
    expect_body(e, THIDUA__V1__ENVELOPE__BODY_REPORT_RESPONSE);
    assert_int_equal(e->report_response->n_awardees, 0);
    assert_int_equal(e->report_response->n_sync_health, 0);
    assert_true(e->report_response->n_by_kind > 0);
    free_env(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(district_is_refused, teardown),
        cmocka_unit_test_teardown(list_records, teardown),
        cmocka_unit_test_teardown(decide_rules, teardown),
        cmocka_unit_test_teardown(award_and_revoke, teardown),
        cmocka_unit_test_teardown(award_race_leaves_one_act, teardown),
        cmocka_unit_test_teardown(decision_field_limits, teardown),
        cmocka_unit_test_teardown(history_longer_than_a_frame, teardown),
        cmocka_unit_test_teardown(history_one_page, teardown),
        cmocka_unit_test_teardown(report_matches_database, teardown),
    };
    return cmocka_run_group_tests_name("province", tests, group_setup, group_teardown);
}
