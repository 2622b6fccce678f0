/*
 * award.c - Award and Revoke: the province's award decisions (quyết định
 * khen thưởng) and their revocation.
 *
 * An award names one act (number, date, signer, issuer) and many records;
 * like a push, each record gets its own ack and one bad id never spoils the
 * others. What concerns the act as a whole (a malformed field, a number
 * already used that year by another act) fails the request: thidua.award
 * raises TD400 / TD409 and province_db_error() answers INVALID_ARGUMENT or
 * CONFLICT. Both run in one transaction, answered after COMMIT.
 */
#include "award.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ackset.h"
#include "log.h"
#include "province.h"
#include "record.h"
#include "strbuf.h"
#include "validate.h"

/* ---- Award ---- */

/* The state of one award while its job runs. Owns the acks. */
typedef struct award_ctx {
    req_t *req;
    ackset_t acks;
    char number[80]; /* for the log line */
} award_ctx_t;

static void award_ctx_free(award_ctx_t *p)
{
    ackset_free(&p->acks);
    free(p);
}

static void award_respond(award_ctx_t *p)
{
    Thidua__V1__AwardResponse resp = THIDUA__V1__AWARD_RESPONSE__INIT;
    resp.n_acks = p->acks.n;
    resp.acks = p->acks.ackp;
    req_respond(p->req, &resp.base);
    award_ctx_free(p);
}

static void award_done(dbpool_job_t *job, const dbpool_error_t *err, void *data)
{
    award_ctx_t *p = data;
    conn_t *c = p->req->conn;
    char q[100];

    if (err != NULL) {
        log_info("award", "peer=%s unit=%s fp=%s number=%s records=%zu outcome=error sqlstate=%s",
                 c->peer_addr, c->unit_code, c->fingerprint, log_quote(q, sizeof(q), p->number),
                 p->acks.nsql, err->sqlstate);
        province_db_error(p->req, job, err, "Award");
        award_ctx_free(p);
        return;
    }
    size_t applied;
    int oom = ackset_fill(&p->acks, dbpool_job_result(job, 0), &applied);
    log_info("award", "peer=%s unit=%s fp=%s number=%s records=%zu applied=%zu outcome=ok",
             c->peer_addr, c->unit_code, c->fingerprint, log_quote(q, sizeof(q), p->number),
             p->acks.nsql, applied);
    if (oom != 0) {
        /* Committed already: say so, the acks are what is missing. */
        req_error(p->req, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true,
                  "the server could not read the answers after the award was stored; send it "
                  "again to see each record's answer");
        award_ctx_free(p);
        return;
    }
    award_respond(p);
}

/*
 * Is form an award form of one of the campaigns? The request names no
 * campaign: thidua.award checks each record's form against its own.
 */
static bool award_form_known(const catalog_t *cat, const char *form)
{
    for (size_t k = 0; k < cat->ncampaigns; k++) {
        if (record_campaign_form(cat->campaigns[k], form) != NULL)
            return true;
    }
    return false;
}

/* Refuse an unknown form with the list of the campaigns' forms, each code once. */
static void award_form_refuse(req_t *r, const catalog_t *cat, const char *form)
{
    strbuf_t sb;
    strbuf_init(&sb);
    size_t listed = 0;
    for (size_t k = 0; k < cat->ncampaigns; k++) {
        const Thidua__V1__Campaign *camp = cat->campaigns[k];
        for (size_t i = 0; i < camp->n_award_forms; i++) {
            const char *code = camp->award_forms[i]->code;
            bool seen = false;
            for (size_t j = 0; j < k && !seen; j++)
                seen = record_campaign_form(cat->campaigns[j], code) != NULL;
            if (!seen)
                strbuf_printf(&sb, "%s%s", listed++ ? ", " : "", code);
        }
    }
    if (form[0] == '\0')
        req_error(r, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, "form", false,
                  "form is required; one of: %s", strbuf_str(&sb));
    else
        req_error(r, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, "form", false,
                  "unknown award form; one of: %s", strbuf_str(&sb));
    strbuf_free(&sb);
}

static award_ctx_t *award_ctx_new(req_t *r, size_t n)
{
    award_ctx_t *p = calloc(1, sizeof(*p));
    if (p == NULL || ackset_init(&p->acks, n) != 0) {
        free(p);
        return NULL;
    }
    p->req = r;
    return p;
}

/*
 * Check each id: the valid ones go into the SQL array literal ids, the others
 * get a REJECTED ack now. 0, or -1 when out of memory.
 */
static int award_ids(ackset_t *as, const Thidua__V1__AwardRequest *q, strbuf_t *ids)
{
    strbuf_putc(ids, '{');
    for (size_t i = 0; i < as->n; i++) {
        Thidua__V1__RecordAck *a = &as->acks[i];
        char id[UUID_STR_SIZE];
        valid_error_t verr;
        if (valid_uuid("id", q->ids[i], id, &verr) != TD_OK) {
            char msg[sizeof("id: ") + sizeof(verr.reason)];
            snprintf(msg, sizeof(msg), "id: %s", verr.reason);
            if (ackset_id(a, q->ids[i]) != 0 ||
                ackset_set(a, THIDUA__V1__RECORD_ACK__STATUS__REJECTED, "id", msg) != 0)
                return -1;
            continue;
        }
        if (ackset_id(a, id) != 0)
            return -1;
        if (as->nsql > 0)
            strbuf_putc(ids, ',');
        strbuf_puts(ids, id);
        as->sql_index[as->nsql++] = i;
    }
    strbuf_putc(ids, '}');
    return strbuf_failed(ids) ? -1 : 0;
}

void award_handle(conn_t *c, req_t *r, const ProtobufCMessage *body)
{
    const Thidua__V1__AwardRequest *q = (const Thidua__V1__AwardRequest *)body;
    server_t *s = c->server;
    if (q->n_ids == 0) {
        req_error(r, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, "ids", false,
                  "name at least one record to award");
        return;
    }
    if (q->n_ids > s->cfg->max_batch) {
        req_error(r, THIDUA__V1__ERROR__CODE__TOO_LARGE, "ids", false,
                  "an award may name at most %u records; this one names %zu", s->cfg->max_batch,
                  q->n_ids);
        return;
    }
    if (!award_form_known(c->catalog, q->form)) {
        award_form_refuse(r, c->catalog, q->form);
        return;
    }
    province_decision_t d;
    if (province_decision_init(&d, r, q->decision) != 0)
        return;

    award_ctx_t *p = award_ctx_new(r, q->n_ids);
    strbuf_t ids;
    strbuf_init(&ids);
    if (p == NULL || award_ids(&p->acks, q, &ids) != 0) {
        if (p != NULL)
            award_ctx_free(p);
        strbuf_free(&ids);
        province_decision_free(&d);
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
        return;
    }
    snprintf(p->number, sizeof(p->number), "%s", d.number);
    if (p->acks.nsql == 0) {
        /* Nothing readable to award: the acks say why, and no act is recorded. */
        strbuf_free(&ids);
        province_decision_free(&d);
        award_respond(p);
        return;
    }

    job_caller_t jc;
    job_caller_init(&jc, c);
    const char *params[8] = {jc.unit_id, jc.cert,  d.issuer, d.number,
                             d.date,     d.signer, q->form,  strbuf_str(&ids)};
    const job_stmt_t stmt = {"award", 8, params};
    if (province_submit(c, r, DBPOOL_TX, &stmt, 1, award_done, p, "Award") != 0)
        award_ctx_free(p);
    strbuf_free(&ids);
    province_decision_free(&d);
}

/* ---- Revoke ---- */

typedef struct revoke_ctx {
    req_t *req;
    char id[UUID_STR_SIZE];
} revoke_ctx_t;

static void revoke_done(dbpool_job_t *job, const dbpool_error_t *err, void *data)
{
    revoke_ctx_t *ctx = data;
    req_t *r = ctx->req;
    conn_t *c = r->conn;

    if (err != NULL) {
        province_db_error(r, job, err, "Revoke");
        free(ctx);
        return;
    }
    const PGresult *ack = dbpool_job_result(job, 0);
    const PGresult *rec = dbpool_job_result(job, 1);
    const char *result = PQgetvalue(ack, 0, PQfnumber(ack, "result"));
    log_info("revoke", "peer=%s unit=%s fp=%s record=%s result=%s", c->peer_addr, c->unit_code,
             c->fingerprint, ctx->id, result);
    if (!province_ack_ok(result) || PQntuples(rec) != 1) {
        province_ack_error(r, ack, 0);
        free(ctx);
        return;
    }
    province_record_t one;
    if (province_record_one(&one, r, rec) != 0) {
        free(ctx);
        return;
    }
    Thidua__V1__RevokeResponse resp = THIDUA__V1__REVOKE_RESPONSE__INIT;
    resp.record = &one.out.rec;
    req_respond(r, &resp.base);
    province_record_free(&one);
    free(ctx);
}

void award_revoke(conn_t *c, req_t *r, const ProtobufCMessage *body)
{
    const Thidua__V1__RevokeRequest *q = (const Thidua__V1__RevokeRequest *)body;
    revoke_ctx_t *ctx = calloc(1, sizeof(*ctx));
    if (ctx == NULL) {
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
        return;
    }
    char *reason = NULL;
    province_decision_t d;
    if (province_id(r, "id", q->id, ctx->id) != 0) {
        free(ctx);
        return;
    }
    /* A revocation says why (a false declaration...): the reason is required. */
    if (province_text(r, "reason", q->reason, FIELD_MAX(reason), TEXT_MULTILINE, true, &reason) != 0) {
        free(ctx);
        return;
    }
    if (province_decision_init(&d, r, q->decision) != 0) {
        free(reason);
        free(ctx);
        return;
    }
    ctx->req = r;

    job_caller_t jc;
    job_caller_init(&jc, c);
    const char *params[8] = {jc.unit_id, jc.cert,  ctx->id, reason,
                             d.issuer,   d.number, d.date,  d.signer};
    const char *get_params[2] = {jc.unit_id, ctx->id};
    const job_stmt_t stmts[] = {{"revoke", 8, params}, {"record_get", 2, get_params}};
    if (province_submit(c, r, DBPOOL_TX, stmts, THIDUA_ARRAY_LEN(stmts), revoke_done, ctx,
                      "Revoke") != 0)
        free(ctx);
    free(reason);
    province_decision_free(&d);
}
