/*
 * award.c - Award and Revoke: the province's award decisions (quyết định
 * khen thưởng) and their revocation.
 *
 * An award names one act (number, date, signer, issuer) and many records;
 * like a push, each record gets its own ack and one bad id never spoils the
 * others. What concerns the act as a whole (a malformed field, a number
 * already used that year by another act) fails the request: thidua.award
 * raises TD400 / TD409 and review_db_error() answers INVALID_ARGUMENT or
 * CONFLICT. Both run in one transaction, answered after COMMIT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "review.h"
#include "strbuf.h"
#include "validate.h"

/* ---- Award ---- */

/* The state of one award while its job runs. Owns acks and their strings. */
typedef struct award_ctx {
    req_t *req;
    size_t n;
    Thidua__V1__RecordAck *acks;
    Thidua__V1__RecordAck **ackp;
    size_t *sql_index; /* k-th id sent to SQL -> its index in the request */
    size_t nsql;
    char number[80]; /* for the log line */
} award_ctx_t;

/* An ack's strings are ours once set; until then they are protobuf-c's shared "". */
static void award_str_free(char *s)
{
    if (s != protobuf_c_empty_string)
        free(s);
}

static void award_ctx_free(award_ctx_t *p)
{
    for (size_t i = 0; i < p->n; i++) {
        award_str_free(p->acks[i].id);
        award_str_free(p->acks[i].field);
        award_str_free(p->acks[i].message);
    }
    free(p->acks);
    free(p->ackp);
    free(p->sql_index);
    free(p);
}

/* Set an ack's outcome; strings are copied (NULL is ""). 0, or -1 when out of memory. */
static int award_ack_set(Thidua__V1__RecordAck *a, Thidua__V1__RecordAck__Status st,
                         const char *field, const char *message)
{
    a->status = st;
    award_str_free(a->field);
    award_str_free(a->message);
    a->field = strdup(field != NULL ? field : "");
    a->message = strdup(message != NULL ? message : "");
    return a->field != NULL && a->message != NULL ? 0 : -1;
}

/* thidua.ack results as RecordAck statuses. NOT_FOUND has no status of its own. */
static Thidua__V1__RecordAck__Status award_status(const char *s)
{
    static const struct {
        const char *name;
        Thidua__V1__RecordAck__Status st;
    } map[] = {
        {"APPLIED", THIDUA__V1__RECORD_ACK__STATUS__APPLIED},
        {"DUPLICATE", THIDUA__V1__RECORD_ACK__STATUS__DUPLICATE},
        {"LOCKED", THIDUA__V1__RECORD_ACK__STATUS__LOCKED},
        {"PERMISSION_DENIED", THIDUA__V1__RECORD_ACK__STATUS__PERMISSION_DENIED},
    };
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(map); i++) {
        if (strcmp(s, map[i].name) == 0)
            return map[i].st;
    }
    return THIDUA__V1__RECORD_ACK__STATUS__REJECTED;
}

static void award_respond(award_ctx_t *p)
{
    Thidua__V1__AwardResponse resp = THIDUA__V1__AWARD_RESPONSE__INIT;
    resp.n_acks = p->n;
    resp.acks = p->ackp;
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
                 p->nsql, err->sqlstate);
        review_db_error(p->req, job, err, "Award");
        award_ctx_free(p);
        return;
    }
    const PGresult *res = dbpool_job_result(job, 0);
    int rows = PQntuples(res);
    int c_ord = PQfnumber(res, "ord"), c_result = PQfnumber(res, "result"),
        c_seq = PQfnumber(res, "change_seq"), c_field = PQfnumber(res, "field"),
        c_msg = PQfnumber(res, "message"), c_status = PQfnumber(res, "record_status"),
        c_rev = PQfnumber(res, "revision"), c_stored = PQfnumber(res, "stored_revision");
    size_t applied = 0;
    int oom = 0;
    for (int row = 0; row < rows; row++) {
        long ord = strtol(PQgetvalue(res, row, c_ord), NULL, 10);
        if (ord < 1 || (size_t)ord > p->nsql)
            continue;
        Thidua__V1__RecordAck *a = &p->acks[p->sql_index[ord - 1]];
        const char *result = PQgetvalue(res, row, c_result);
        Thidua__V1__RecordAck__Status st = award_status(result);
        applied += st == THIDUA__V1__RECORD_ACK__STATUS__APPLIED;
        if (strcmp(result, "NOT_FOUND") == 0)
            oom |= award_ack_set(a, st, "id", "no such record");
        else
            oom |= award_ack_set(a, st, PQgetvalue(res, row, c_field), PQgetvalue(res, row, c_msg));
        a->change_seq = strtoull(PQgetvalue(res, row, c_seq), NULL, 10);
        a->revision = (uint32_t)strtoul(PQgetvalue(res, row, c_rev), NULL, 10);
        a->record_status = recout_status(PQgetvalue(res, row, c_status));
        a->stored_revision = (uint32_t)strtoul(PQgetvalue(res, row, c_stored), NULL, 10);
    }
    log_info("award", "peer=%s unit=%s fp=%s number=%s records=%zu applied=%zu outcome=ok",
             c->peer_addr, c->unit_code, c->fingerprint, log_quote(q, sizeof(q), p->number),
             p->nsql, applied);
    if (oom != 0) {
        /* Committed already: say so, the acks are what is missing. */
        req_error(p->req, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true,
                  "server out of memory after the award was stored; send it again to see "
                  "each record's answer");
        award_ctx_free(p);
        return;
    }
    award_respond(p);
}

/* Is form one of the campaign's award forms? */
static bool award_form_known(const Thidua__V1__Campaign *camp, const char *form)
{
    for (size_t i = 0; i < camp->n_award_forms; i++) {
        if (strcmp(camp->award_forms[i]->code, form) == 0)
            return true;
    }
    return false;
}

/* Refuse an unknown form with the list of the campaign's forms. */
static void award_form_refuse(req_t *r, const Thidua__V1__Campaign *camp, const char *form)
{
    strbuf_t sb;
    strbuf_init(&sb);
    for (size_t i = 0; i < camp->n_award_forms; i++)
        strbuf_printf(&sb, "%s%s", i ? ", " : "", camp->award_forms[i]->code);
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
    if (p == NULL)
        return NULL;
    p->req = r;
    p->n = n;
    p->acks = calloc(n + 1, sizeof(*p->acks));
    p->ackp = calloc(n + 1, sizeof(*p->ackp));
    p->sql_index = calloc(n + 1, sizeof(*p->sql_index));
    if (p->acks == NULL || p->ackp == NULL || p->sql_index == NULL) {
        p->n = 0;
        award_ctx_free(p);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        thidua__v1__record_ack__init(&p->acks[i]);
        p->ackp[i] = &p->acks[i];
    }
    return p;
}

/*
 * Check each id: the valid ones go into the SQL array literal ids, the others
 * get a REJECTED ack now. 0, or -1 when out of memory.
 */
static int award_ids(award_ctx_t *p, const Thidua__V1__AwardRequest *q, strbuf_t *ids)
{
    strbuf_putc(ids, '{');
    for (size_t i = 0; i < p->n; i++) {
        Thidua__V1__RecordAck *a = &p->acks[i];
        char id[UUID_STR_SIZE];
        valid_error_t verr;
        if (valid_uuid("id", q->ids[i], id, &verr) != VALID_OK) {
            char msg[220];
            snprintf(msg, sizeof(msg), "id: %s", verr.reason);
            a->id = strdup(q->ids[i]);
            if (a->id == NULL ||
                award_ack_set(a, THIDUA__V1__RECORD_ACK__STATUS__REJECTED, "id", msg) != 0)
                return -1;
            continue;
        }
        a->id = strdup(id);
        if (a->id == NULL)
            return -1;
        if (p->nsql > 0)
            strbuf_putc(ids, ',');
        strbuf_puts(ids, id);
        p->sql_index[p->nsql++] = i;
    }
    strbuf_putc(ids, '}');
    return strbuf_failed(ids) ? -1 : 0;
}

void award_handle(conn_t *c, req_t *r, const Thidua__V1__AwardRequest *q)
{
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
    if (!award_form_known(s->catalog->campaign, q->form)) {
        award_form_refuse(r, s->catalog->campaign, q->form);
        return;
    }
    review_decision_t d;
    if (review_decision_init(&d, r, q->decision) != 0)
        return;

    award_ctx_t *p = award_ctx_new(r, q->n_ids);
    strbuf_t ids;
    strbuf_init(&ids);
    if (p == NULL || award_ids(p, q, &ids) != 0) {
        if (p != NULL)
            award_ctx_free(p);
        strbuf_free(&ids);
        review_decision_free(&d);
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
        return;
    }
    snprintf(p->number, sizeof(p->number), "%s", d.number);
    if (p->nsql == 0) {
        /* Nothing readable to award: the acks say why, and no act is recorded. */
        strbuf_free(&ids);
        review_decision_free(&d);
        award_respond(p);
        return;
    }

    review_caller_t rc;
    review_caller_init(&rc, c);
    const char *params[8] = {rc.unit_id, rc.cert,  d.issuer, d.number,
                             d.date,     d.signer, q->form,  strbuf_str(&ids)};
    dbpool_job_t *job = dbpool_job_new(DBPOOL_TX);
    int rc_add = job == NULL ? DBPOOL_ENOMEM : dbpool_job_add_prepared(job, "award", 8, params);
    strbuf_free(&ids);
    review_decision_free(&d);
    if (rc_add != 0) {
        if (job != NULL)
            dbpool_job_free(job);
        award_ctx_free(p);
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
        return;
    }
    if (review_submit(c, r, job, award_done, p, "Award") != 0)
        award_ctx_free(p);
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
        review_db_error(r, job, err, "Revoke");
        free(ctx);
        return;
    }
    const PGresult *ack = dbpool_job_result(job, 0);
    const PGresult *rec = dbpool_job_result(job, 1);
    const char *result = PQgetvalue(ack, 0, PQfnumber(ack, "result"));
    log_info("revoke", "peer=%s unit=%s fp=%s record=%s result=%s", c->peer_addr, c->unit_code,
             c->fingerprint, ctx->id, result);
    if ((strcmp(result, "APPLIED") != 0 && strcmp(result, "DUPLICATE") != 0) ||
        PQntuples(rec) != 1) {
        review_ack_error(r, ack, 0);
        free(ctx);
        return;
    }
    recout_cols_t cols;
    recout_columns(rec, &cols);
    review_record_t one;
    if (review_record_fill(&one, rec, 0, &cols, PQfnumber(rec, "possible_duplicates")) != 0) {
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
        free(ctx);
        return;
    }
    Thidua__V1__RevokeResponse resp = THIDUA__V1__REVOKE_RESPONSE__INIT;
    resp.record = &one.out.rec;
    req_respond(r, &resp.base);
    review_record_free(&one);
    free(ctx);
}

void award_revoke(conn_t *c, req_t *r, const Thidua__V1__RevokeRequest *q)
{
    revoke_ctx_t *ctx = calloc(1, sizeof(*ctx));
    if (ctx == NULL) {
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
        return;
    }
    char *reason = NULL;
    review_decision_t d;
    if (review_id(r, "id", q->id, ctx->id) != 0) {
        free(ctx);
        return;
    }
    /* A revocation says why (a false declaration...): the reason is required. */
    if (review_text(r, "reason", q->reason, 2000, TEXT_MULTILINE, true, &reason) != 0) {
        free(ctx);
        return;
    }
    if (review_decision_init(&d, r, q->decision) != 0) {
        free(reason);
        free(ctx);
        return;
    }
    ctx->req = r;

    review_caller_t rc;
    review_caller_init(&rc, c);
    const char *params[8] = {rc.unit_id, rc.cert,  ctx->id, reason,
                             d.issuer,   d.number, d.date,  d.signer};
    const char *get_params[2] = {rc.unit_id, ctx->id};
    dbpool_job_t *job = dbpool_job_new(DBPOOL_TX);
    int rc_add = job == NULL ? DBPOOL_ENOMEM : dbpool_job_add_prepared(job, "revoke", 8, params);
    if (rc_add == 0)
        rc_add = dbpool_job_add_prepared(job, "record_get", 2, get_params);
    free(reason);
    review_decision_free(&d);
    if (rc_add != 0) {
        if (job != NULL)
            dbpool_job_free(job);
        free(ctx);
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
        return;
    }
    if (review_submit(c, r, job, revoke_done, ctx, "Revoke") != 0)
        free(ctx);
}
