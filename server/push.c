/*
 * push.c - PushRequest: validate each record, store the valid ones in one
 * transaction, answer one ack per record after the commit.
 *
 * Validation runs here, in C, with the same code the client runs (record.c);
 * the records that pass go, as one JSON array, into a group of pushes that
 * thidua.push_many stores in one transaction (pushgroup.h). The database
 * decides APPLIED, DUPLICATE, STALE, CONFLICT and LOCKED under row locks, and
 * re-checks what it can (docs/schema.md). The response is built only once
 * the group is done with the push, that is after COMMIT.
 */
#include "push.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ackset.h"
#include "date.h"
#include "log.h"
#include "pushgroup.h"
#include "synchealth.h"
#include "pushjson.h"
#include "record.h"
#include "server.h"
#include "strbuf.h"

/* The state of one push while it is checked and stored. Owns the acks. */
typedef struct push_ctx {
    req_t *req;
    ackset_t acks;
    pushgroup_member_t member; /* its place in a group (pushgroup.h) */
} push_ctx_t;

static void push_ctx_free(push_ctx_t *p)
{
    ackset_free(&p->acks);
    free(p);
}

static void push_respond(push_ctx_t *p)
{
    conn_t *c = p->req->conn;
    server_t *s = c->server;
    const ackset_t *as = &p->acks;
    unsigned rejected = 0;
    for (size_t i = 0; i < as->n; i++) {
        if ((size_t)as->acks[i].status < THIDUA_ARRAY_LEN(s->stats.acks))
            s->stats.acks[as->acks[i].status]++;
        rejected += as->acks[i].status == THIDUA__V1__RECORD_ACK__STATUS__REJECTED;
    }
    /* Per-unit sync health for the province (best effort, off the ack path). */
    synchealth_note(c, "push", rejected);
    Thidua__V1__PushResponse resp = THIDUA__V1__PUSH_RESPONSE__INIT;
    resp.n_acks = as->n;
    resp.acks = as->ackp;
    req_respond(p->req, &resp.base);
    push_ctx_free(p);
}

/* The group this push went in is done with it (pushgroup.h). */
static void push_stored(pushgroup_member_t *m, pushgroup_outcome_t outcome, const char *sqlstate)
{
    push_ctx_t *p = (push_ctx_t *)((char *)m - offsetof(push_ctx_t, member));
    switch (outcome) {
    case PUSHGROUP_STORED:
        push_respond(p);
        return;
    case PUSHGROUP_UNAVAILABLE:
        req_error(p->req, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true,
                  "the database is not available; nothing of this batch is lost: "
                  "send it again later");
        break;
    case PUSHGROUP_FAILED:
        req_error(p->req, THIDUA__V1__ERROR__CODE__INTERNAL, NULL, false,
                  "the server could not store this batch (%s)", sqlstate);
        break;
    case PUSHGROUP_UNREAD:
        /* Committed already: say so, the acks are what is missing; a resend answers each. */
        req_error(p->req, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true,
                  "the server could not read the answers after the batch was stored; send it "
                  "again to see each record's answer");
        break;
    }
    push_ctx_free(p);
}

/* Answer a record refused here; its content is not needed any more. 0, or -1 when out of memory. */
static int push_refuse(Thidua__V1__RecordAck *a, record_t *r, Thidua__V1__RecordAck__Status st,
                       const char *field, const char *msg)
{
    record_free(r);
    return ackset_set(a, st, field, msg);
}

/*
 * Check one record here; on success append it to the JSON array and return 1,
 * otherwise fill its ack and return 0 (-1 when out of memory).
 */
static int push_check(conn_t *c, const Thidua__V1__Record *in, Thidua__V1__RecordAck *a,
                      strbuf_t *json)
{
    const catalog_t *cat = c->catalog;
    const Thidua__V1__RecordAck__Status rejected = THIDUA__V1__RECORD_ACK__STATUS__REJECTED;
    record_t r;
    valid_error_t verr;
    char msg[sizeof(verr.field) + sizeof(": ") + sizeof(verr.reason)];

    int rc = record_from_proto(&r, in, cat->campaign->code, &verr);
    if (rc == TD_OK)
        rc = record_check_campaigns(&r, cat->campaigns, cat->ncampaigns, &verr);
    if (rc == TD_ENOMEM || rc == TD_EICU || rc == TD_EINTERNAL) {
        /* The server failed, not the record: the whole push is retried, nothing refused. */
        record_free(&r);
        return -1;
    }
    if (rc != TD_OK) {
        snprintf(msg, sizeof(msg), "%s: %s", verr.field, verr.reason);
        return push_refuse(a, &r, rejected, verr.field, msg);
    }
    /* A closed unit's records still take revisions: the SQL refuses a new one (018). */
    int32_t today = date_today_vn();
    const catalog_unit_t *u = catalog_unit_in_reach(cat, c->unit, r.org_unit, today);
    if (u == NULL && catalog_unit_by_cn(cat, r.org_unit, today) == NULL) {
        snprintf(msg, sizeof(msg), "org_unit: %s is not an org unit the province knows",
                 r.org_unit);
        return push_refuse(a, &r, rejected, "org_unit", msg);
    }
    if (u == NULL) {
        snprintf(msg, sizeof(msg), "this certificate (unit %s) may not write records of unit %s",
                 c->unit_code, r.org_unit);
        log_warn("permission_denied", "peer=%s unit=%s fp=%.16s record_unit=%s", c->peer_addr,
                 c->unit_code, c->fingerprint, r.org_unit);
        return push_refuse(a, &r, THIDUA__V1__RECORD_ACK__STATUS__PERMISSION_DENIED, "org_unit",
                           msg);
    }
    uint8_t hash[RECORD_HASH_LEN];
    if (record_content_hash(&r, hash) != 0) {
        record_free(&r);
        return -1; /* the server's fault: retried whole, as above */
    }
    if (in->content_hash.len != 0 && (in->content_hash.len != RECORD_HASH_LEN ||
                                      memcmp(in->content_hash.data, hash, RECORD_HASH_LEN) != 0))
        return push_refuse(a, &r, rejected, "content_hash",
                           "content_hash does not match the record's content");
    if (json->len > 1)
        strbuf_putc(json, ',');
    /*
     * Without the folded names (ICU failing) the record is stored all the
     * same and only escapes duplicate detection: no reason to refuse it.
     */
    (void)pushjson_record(json, &r, hash);
    record_free(&r);
    return 1;
}

/* Answer a push that cannot go on; p (may be NULL) and json are freed. */
static void push_fail(req_t *r, push_ctx_t *p, strbuf_t *json)
{
    strbuf_free(json);
    if (p != NULL)
        push_ctx_free(p);
    req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true,
              "the server could not check this batch now; nothing of it is lost: send it again "
              "later");
}

void push_handle(conn_t *c, req_t *r, const ProtobufCMessage *body)
{
    const Thidua__V1__PushRequest *req = (const Thidua__V1__PushRequest *)body;
    server_t *s = c->server;
    if (req->n_records > s->cfg->max_batch) {
        req_error(r, THIDUA__V1__ERROR__CODE__TOO_LARGE, "records", false,
                  "a push may carry at most %u records; this one has %zu", s->cfg->max_batch,
                  req->n_records);
        return;
    }

    strbuf_t json;
    strbuf_init(&json);
    push_ctx_t *p = calloc(1, sizeof(*p));
    if (p == NULL || ackset_init(&p->acks, req->n_records) != 0) {
        free(p);
        push_fail(r, NULL, &json);
        return;
    }
    p->req = r;

    ackset_t *as = &p->acks;
    strbuf_putc(&json, '[');
    for (size_t i = 0; i < as->n; i++) {
        const Thidua__V1__Record *in = req->records[i];
        Thidua__V1__RecordAck *a = &as->acks[i];
        a->revision = in->revision;
        int rc = ackset_id(a, in->id);
        if (rc == 0)
            rc = push_check(c, in, a, &json);
        if (rc < 0) {
            push_fail(r, p, &json);
            return;
        }
        if (rc == 1)
            as->sql_index[as->nsql++] = i;
    }
    strbuf_putc(&json, ']');

    if (as->nsql == 0) {
        strbuf_free(&json);
        push_respond(p);
        return;
    }
    if (strbuf_failed(&json)) {
        push_fail(r, p, &json);
        return;
    }

    p->member.conn = c;
    p->member.acks = as;
    p->member.json = json; /* the member owns it now */
    p->member.cb = push_stored;
    pushgroup_submit(s->group, &p->member);
}
