/*
 * review.c - the province's review: ListRecords, GetRecord and Decide
 * (review.h); the helpers the province's handlers share are in province.c.
 *
 * A listing reads the count and the page in one REPEATABLE READ transaction so
 * that `total` and the page describe the same moment. Every listing and every
 * record read is logged with the certificate's fingerprint: the list holds
 * personal data, and the province must be able to say who read it.
 * A decision and the record it returns are one transaction, so the answer
 * shows exactly what the decision left.
 */
#include "review.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "province.h"
#include "validate.h"

/* ---- ListRecords ---- */

/* What the callback needs; owned by the callback. */
typedef struct list_ctx {
    req_t *req;
    uint32_t offset;
    char filters[600]; /* the request's filters, logfmt, for the audit line */
} list_ctx_t;

static void list_done(dbpool_job_t *job, const dbpool_error_t *err, void *data)
{
    list_ctx_t *ctx = data;
    req_t *r = ctx->req;
    conn_t *c = r->conn;

    if (err != NULL) {
        log_info("list_records", "peer=%s unit=%s fp=%s %s outcome=error sqlstate=%s", c->peer_addr,
                 c->unit_code, c->fingerprint, ctx->filters, err->sqlstate);
        province_db_error(r, job, err, "ListRecords");
        free(ctx);
        return;
    }
    const PGresult *cnt = dbpool_job_result(job, 0);
    const PGresult *res = dbpool_job_result(job, 1);
    long long total = strtoll(PQgetvalue(cnt, 0, 0), NULL, 10);
    int rows = PQntuples(res);
    recout_cols_t cols;
    recout_columns(res, &cols);
    int c_dups = PQfnumber(res, "possible_duplicates");

    province_record_t *recs = calloc((size_t)rows + 1, sizeof(*recs));
    Thidua__V1__Record **recp = calloc((size_t)rows + 1, sizeof(*recp));
    if (recs == NULL || recp == NULL) {
        free(recs);
        free(recp);
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
        free(ctx);
        return;
    }
    /* Like a pull page: stop before the answer would overflow a frame. */
    size_t budget = c->server->cfg->max_frame / 2, used = 0;
    int n = 0;
    bool oom = false;
    for (int i = 0; i < rows; i++) {
        if (province_record_fill(&recs[i], res, i, &cols, c_dups) != 0) {
            oom = true;
            break;
        }
        size_t sz = thidua__v1__record__get_packed_size(&recs[i].out.rec) + 8;
        if (n > 0 && used + sz > budget) {
            province_record_free(&recs[i]);
            break;
        }
        used += sz;
        recp[n++] = &recs[i].out.rec;
    }

    if (oom) {
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
    } else {
        Thidua__V1__ListRecordsResponse resp = THIDUA__V1__LIST_RECORDS_RESPONSE__INIT;
        resp.records = recp;
        resp.n_records = (size_t)n;
        resp.total = total > (long long)UINT32_MAX ? UINT32_MAX : (uint32_t)total;
        resp.has_more = (long long)ctx->offset + n < total;
        log_info("list_records", "peer=%s unit=%s fp=%s %s outcome=ok returned=%d total=%lld",
                 c->peer_addr, c->unit_code, c->fingerprint, ctx->filters, n, total);
        req_respond(r, &resp.base);
    }
    for (int i = 0; i < n; i++)
        province_record_free(&recs[i]);
    free(recs);
    free(recp);
    free(ctx);
}

void review_list(conn_t *c, req_t *r, const ProtobufCMessage *body)
{
    const Thidua__V1__ListRecordsRequest *q = (const Thidua__V1__ListRecordsRequest *)body;
    server_t *s = c->server;
    const char *status = "";
    if (q->status != THIDUA__V1__RECORD__STATUS__STATUS_UNSPECIFIED) {
        status = recout_status_name(q->status);
        if (status[0] == '\0') {
            req_error(r, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, "status", false,
                      "status %d is not a record status", (int)q->status);
            return;
        }
    }
    const char *campaign = q->campaign[0] != '\0' ? q->campaign : s->catalog->campaign->code;
    uint32_t limit = q->limit == 0 || q->limit > s->cfg->max_pull ? s->cfg->max_pull : q->limit;
    /* SQL integers stop at 2^31-1; no listing is that long. */
    uint32_t offset = q->offset > INT32_MAX ? INT32_MAX : q->offset;

    list_ctx_t *ctx = calloc(1, sizeof(*ctx));
    if (ctx == NULL) {
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
        return;
    }
    ctx->req = r;
    ctx->offset = offset;
    char q1[80], q2[80], q3[80], q4[80], q5[80];
    snprintf(ctx->filters, sizeof(ctx->filters),
             "campaign=%s org_unit=%s status=%s category=%s nominee_kind=%s award=%s "
             "duplicates_only=%d offset=%u limit=%u",
             log_quote(q1, sizeof(q1), campaign), log_quote(q2, sizeof(q2), q->org_unit),
             status[0] ? status : "any", log_quote(q3, sizeof(q3), q->category),
             log_quote(q4, sizeof(q4), q->nominee_kind), log_quote(q5, sizeof(q5), q->award),
             q->duplicates_only ? 1 : 0, offset, limit);

    job_caller_t jc;
    job_caller_init(&jc, c);
    char off[16], lim[16];
    snprintf(off, sizeof(off), "%u", offset);
    snprintf(lim, sizeof(lim), "%u", limit);
    const char *params[10] = {jc.unit_id,  campaign,
                              q->org_unit, status,
                              q->category, q->nominee_kind,
                              q->award,    q->duplicates_only ? "true" : "false",
                              off,         lim};
    const job_stmt_t stmts[] = {{"list_count", 8, params}, {"list_records", 10, params}};
    if (province_submit(c, r, DBPOOL_TX_REPEATABLE_READ, stmts, THIDUA_ARRAY_LEN(stmts), list_done,
                      ctx, "ListRecords") != 0)
        free(ctx);
}

/* ---- GetRecord ---- */

typedef struct get_ctx {
    req_t *req;
    char id[UUID_STR_SIZE];
} get_ctx_t;

/* Answer r when record_get found nothing, or a record outside the caller's units. */
static bool get_missing(req_t *r, const PGresult *res, const char *id)
{
    if (PQntuples(res) == 0) {
        req_error(r, THIDUA__V1__ERROR__CODE__NOT_FOUND, "id", false, "no record %s", id);
        return true;
    }
    if (PQgetvalue(res, 0, PQfnumber(res, "allowed"))[0] != 't') {
        conn_t *c = r->conn;
        log_warn("permission_denied", "peer=%s unit=%s fp=%.16s record=%s", c->peer_addr,
                 c->unit_code, c->fingerprint, id);
        req_error(r, THIDUA__V1__ERROR__CODE__PERMISSION_DENIED, "id", false,
                  "record %s belongs to a unit outside yours", id);
        return true;
    }
    return false;
}

static void get_done(dbpool_job_t *job, const dbpool_error_t *err, void *data)
{
    get_ctx_t *ctx = data;
    req_t *r = ctx->req;
    conn_t *c = r->conn;

    if (err != NULL) {
        province_db_error(r, job, err, "GetRecord");
        free(ctx);
        return;
    }
    const PGresult *rec = dbpool_job_result(job, 0);
    const PGresult *his = dbpool_job_result(job, 1);
    if (get_missing(r, rec, ctx->id)) {
        free(ctx);
        return;
    }
    log_info("get_record", "peer=%s unit=%s fp=%s record=%s", c->peer_addr, c->unit_code,
             c->fingerprint, ctx->id);

    recout_cols_t cols, hcols;
    recout_columns(rec, &cols);
    recout_columns(his, &hcols);
    int rows = PQntuples(his);
    int c_seq = PQfnumber(his, "change_seq"), c_kind = PQfnumber(his, "kind"),
        c_rev = PQfnumber(his, "revision"), c_action = PQfnumber(his, "action"),
        c_reason = PQfnumber(his, "reason"), c_at = PQfnumber(his, "at_ms"),
        c_by = PQfnumber(his, "by_unit"), c_fp = PQfnumber(his, "by_fingerprint");

    province_record_t one;
    Thidua__V1__HistoryEntry *ents = calloc((size_t)rows + 1, sizeof(*ents));
    Thidua__V1__HistoryEntry **entp = calloc((size_t)rows + 1, sizeof(*entp));
    recout_t *content = calloc((size_t)rows + 1, sizeof(*content));
    if (ents == NULL || entp == NULL || content == NULL ||
        province_record_fill(&one, rec, 0, &cols, PQfnumber(rec, "possible_duplicates")) != 0) {
        free(ents);
        free(entp);
        free(content);
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
        free(ctx);
        return;
    }
    for (int i = 0; i < rows; i++) {
        Thidua__V1__HistoryEntry *e = &ents[i];
        thidua__v1__history_entry__init(e);
        e->change_seq = strtoull(PQgetvalue(his, i, c_seq), NULL, 10);
        e->kind = PQgetvalue(his, i, c_kind);
        e->revision = (uint32_t)strtoul(PQgetvalue(his, i, c_rev), NULL, 10);
        e->action = PQgetvalue(his, i, c_action);
        e->reason = PQgetvalue(his, i, c_reason);
        e->at_ms = strtoll(PQgetvalue(his, i, c_at), NULL, 10);
        e->by_unit = PQgetvalue(his, i, c_by);
        e->by_fingerprint = PQgetvalue(his, i, c_fp);
        /* Revisions (and the one that withdrew) carry their content. */
        if (hcols.id >= 0 && !PQgetisnull(his, i, hcols.id)) {
            recout_fill(&content[i], his, i, &hcols);
            e->content = &content[i].rec;
        }
        entp[i] = e;
    }
    Thidua__V1__GetRecordResponse resp = THIDUA__V1__GET_RECORD_RESPONSE__INIT;
    resp.record = &one.out.rec;
    resp.history = entp;
    resp.n_history = (size_t)rows;
    req_respond(r, &resp.base);
    province_record_free(&one);
    free(ents);
    free(entp);
    free(content);
    free(ctx);
}

void review_get(conn_t *c, req_t *r, const ProtobufCMessage *body)
{
    const Thidua__V1__GetRecordRequest *q = (const Thidua__V1__GetRecordRequest *)body;
    get_ctx_t *ctx = calloc(1, sizeof(*ctx));
    if (ctx == NULL) {
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
        return;
    }
    if (province_id(r, "id", q->id, ctx->id) != 0) {
        free(ctx);
        return;
    }
    ctx->req = r;
    job_caller_t jc;
    job_caller_init(&jc, c);
    const char *params[2] = {jc.unit_id, ctx->id};
    const job_stmt_t stmts[] = {{"record_get", 2, params}, {"record_history", 2, params}};
    /* One snapshot: the record and its history agree. */
    if (province_submit(c, r, DBPOOL_TX_REPEATABLE_READ, stmts, THIDUA_ARRAY_LEN(stmts), get_done,
                      ctx, "GetRecord") != 0)
        free(ctx);
}

/* ---- Decide ---- */

typedef struct decide_ctx {
    req_t *req;
    char id[UUID_STR_SIZE];
    char action[8];
    uint32_t revision;
} decide_ctx_t;

static void decide_done(dbpool_job_t *job, const dbpool_error_t *err, void *data)
{
    decide_ctx_t *ctx = data;
    req_t *r = ctx->req;
    conn_t *c = r->conn;

    if (err != NULL) {
        province_db_error(r, job, err, "Decide");
        free(ctx);
        return;
    }
    const PGresult *ack = dbpool_job_result(job, 0);
    const PGresult *rec = dbpool_job_result(job, 1);
    const char *result = PQgetvalue(ack, 0, PQfnumber(ack, "result"));
    log_info("decide", "peer=%s unit=%s fp=%s record=%s revision=%u action=%s result=%s",
             c->peer_addr, c->unit_code, c->fingerprint, ctx->id, ctx->revision, ctx->action,
             result);
    if (!province_ack_ok(result)) {
        province_ack_error(r, ack, 0);
        free(ctx);
        return;
    }
    province_record_t one;
    if (get_missing(r, rec, ctx->id) || province_record_one(&one, r, rec) != 0) {
        free(ctx);
        return;
    }
    Thidua__V1__DecideResponse resp = THIDUA__V1__DECIDE_RESPONSE__INIT;
    resp.record = &one.out.rec;
    req_respond(r, &resp.base);
    province_record_free(&one);
    free(ctx);
}

void review_decide(conn_t *c, req_t *r, const ProtobufCMessage *body)
{
    const Thidua__V1__DecideRequest *q = (const Thidua__V1__DecideRequest *)body;
    static const char *const actions[] = {"approve", "reject", "return"};
    size_t a = 0;
    while (a < THIDUA_ARRAY_LEN(actions) && strcmp(q->action, actions[a]) != 0)
        a++;
    if (a == THIDUA_ARRAY_LEN(actions)) {
        req_error(r, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, "action", false,
                  "action must be approve, reject or return");
        return;
    }
    if (q->revision == 0 || q->revision > INT32_MAX) {
        req_error(r, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, "revision", false,
                  "revision must be the revision you read (from 1)");
        return;
    }
    decide_ctx_t *ctx = calloc(1, sizeof(*ctx));
    if (ctx == NULL) {
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
        return;
    }
    char *reason = NULL;
    /* A reject or a return tells the district what to fix: the reason is required. */
    if (province_id(r, "id", q->id, ctx->id) != 0 ||
        province_text(r, "reason", q->reason, FIELD_MAX(reason), TEXT_MULTILINE, a != 0, &reason) != 0) {
        free(ctx);
        return;
    }
    ctx->req = r;
    ctx->revision = q->revision;
    snprintf(ctx->action, sizeof(ctx->action), "%s", actions[a]);

    job_caller_t jc;
    job_caller_init(&jc, c);
    char rev[16];
    snprintf(rev, sizeof(rev), "%u", q->revision);
    const char *params[6] = {jc.unit_id, jc.cert, ctx->id, rev, actions[a], reason};
    const char *get_params[2] = {jc.unit_id, ctx->id};
    const job_stmt_t stmts[] = {{"decide", 6, params}, {"record_get", 2, get_params}};
    if (province_submit(c, r, DBPOOL_TX, stmts, THIDUA_ARRAY_LEN(stmts), decide_done, ctx,
                      "Decide") != 0)
        free(ctx);
    free(reason);
}
