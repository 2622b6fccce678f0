/*
 * review.c - the province's review: ListRecords, GetRecord and Decide
 * (review.h); the helpers the province's handlers share are in province.c.
 *
 * A listing reads the count and the page in one REPEATABLE READ transaction so
 * that `total` and the page describe the same moment. Every listing and every
 * record read is logged with the certificate's fingerprint: the list holds
 * personal data, and the province must be able to say who read it.
 * A decision and the record it returns are one transaction, so the answer
 * shows exactly what the decision left. A record's history comes a page at
 * a time, newest page first, bounded by the SQL (entries and an estimate of
 * their bytes) and again here by the packed size, so that a district cannot
 * make a record's history larger than a frame and so unreadable.
 */
#include "review.h"

#include <stdint.h>
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
    const char *campaign = q->campaign[0] != '\0' ? q->campaign : c->catalog->campaign->code;
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

/*
 * What a GetRecord answer holds besides its record and its entries, with
 * room to spare: the envelope's request id and body header, the record's
 * header, history_more and history_next (under 40 bytes in all).
 */
#define GET_FRAME_SLACK 64
/* Each history entry's tag and length in the answer (at most 6 bytes). */
#define GET_ENTRY_SLACK 8

typedef struct get_ctx {
    req_t *req;
    char id[UUID_STR_SIZE];
    uint64_t before; /* GetRecordRequest.history_before, for the audit line */
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

/* The columns of thidua.record_history_page. */
typedef struct hist_cols {
    int seq, kind, rev, action, reason, at, by, fp, more;
    recout_cols_t content;
} hist_cols_t;

static void hist_columns(const PGresult *his, hist_cols_t *hc)
{
    hc->seq = PQfnumber(his, "change_seq");
    hc->kind = PQfnumber(his, "kind");
    hc->rev = PQfnumber(his, "revision");
    hc->action = PQfnumber(his, "action");
    hc->reason = PQfnumber(his, "reason");
    hc->at = PQfnumber(his, "at_ms");
    hc->by = PQfnumber(his, "by_unit");
    hc->fp = PQfnumber(his, "by_fingerprint");
    hc->more = PQfnumber(his, "more");
    recout_columns(his, &hc->content);
}

/* Row i of the page into e, pointing into his; a revision's content goes into content. */
static void hist_entry_fill(Thidua__V1__HistoryEntry *e, recout_t *content, const PGresult *his,
                            int i, const hist_cols_t *hc)
{
    thidua__v1__history_entry__init(e);
    e->change_seq = strtoull(PQgetvalue(his, i, hc->seq), NULL, 10);
    e->kind = PQgetvalue(his, i, hc->kind);
    e->revision = (uint32_t)strtoul(PQgetvalue(his, i, hc->rev), NULL, 10);
    e->action = PQgetvalue(his, i, hc->action);
    e->reason = PQgetvalue(his, i, hc->reason);
    e->at_ms = strtoll(PQgetvalue(his, i, hc->at), NULL, 10);
    e->by_unit = PQgetvalue(his, i, hc->by);
    e->by_fingerprint = PQgetvalue(his, i, hc->fp);
    /* Revisions (and the one that withdrew) carry their content. */
    if (hc->content.id >= 0 && !PQgetisnull(his, i, hc->content.id)) {
        recout_fill(content, his, i, &hc->content);
        e->content = &content->rec;
    }
}

/*
 * Where the entries that go out start: the newest (the page's last, in feed
 * order) that fit in room bytes, and at least one, so that the cursor always
 * moves back. The SQL's byte budget is an estimate; this is the exact packed
 * size, so the answer never outgrows a frame because of it.
 */
static size_t hist_fit(Thidua__V1__HistoryEntry *const *entp, size_t rows, size_t room)
{
    size_t first = rows, used = 0;
    while (first > 0) {
        size_t sz = thidua__v1__history_entry__get_packed_size(entp[first - 1]) + GET_ENTRY_SLACK;
        if (first < rows && used + sz > room)
            break;
        used += sz;
        first--;
    }
    return first;
}

/* The answer: the record and the entries of the page that fit in a frame with it. */
static void get_answer(get_ctx_t *ctx, const PGresult *rec, const PGresult *his)
{
    req_t *r = ctx->req;
    conn_t *c = r->conn;
    recout_cols_t cols;
    hist_cols_t hc;
    recout_columns(rec, &cols);
    hist_columns(his, &hc);
    size_t rows = (size_t)PQntuples(his);

    province_record_t one;
    Thidua__V1__HistoryEntry *ents = calloc(rows + 1, sizeof(*ents));
    Thidua__V1__HistoryEntry **entp = calloc(rows + 1, sizeof(*entp));
    recout_t *content = calloc(rows + 1, sizeof(*content));
    if (ents == NULL || entp == NULL || content == NULL ||
        province_record_fill(&one, rec, 0, &cols, PQfnumber(rec, "possible_duplicates")) != 0) {
        free(ents);
        free(entp);
        free(content);
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
        return;
    }
    for (size_t i = 0; i < rows; i++) {
        hist_entry_fill(&ents[i], &content[i], his, (int)i, &hc);
        entp[i] = &ents[i];
    }
    size_t fixed = thidua__v1__record__get_packed_size(&one.out.rec) + GET_FRAME_SLACK;
    size_t max = c->server->cfg->max_frame;
    size_t first = hist_fit(entp, rows, fixed < max ? max - fixed : 0);

    Thidua__V1__GetRecordResponse resp = THIDUA__V1__GET_RECORD_RESPONSE__INIT;
    resp.record = &one.out.rec;
    resp.history = entp + first;
    resp.n_history = rows - first;
    resp.history_more = first > 0 || (rows > 0 && PQgetvalue(his, 0, hc.more)[0] == 't');
    resp.history_next = resp.history_more ? entp[first]->change_seq : 0;
    log_info("get_record",
             "peer=%s unit=%s fp=%s record=%s history_before=%llu returned=%zu more=%d",
             c->peer_addr, c->unit_code, c->fingerprint, ctx->id, (unsigned long long)ctx->before,
             resp.n_history, resp.history_more ? 1 : 0);
    req_respond(r, &resp.base);
    province_record_free(&one);
    free(ents);
    free(entp);
    free(content);
}

static void get_done(dbpool_job_t *job, const dbpool_error_t *err, void *data)
{
    get_ctx_t *ctx = data;
    if (err != NULL)
        province_db_error(ctx->req, job, err, "GetRecord");
    else if (!get_missing(ctx->req, dbpool_job_result(job, 0), ctx->id))
        get_answer(ctx, dbpool_job_result(job, 0), dbpool_job_result(job, 1));
    free(ctx);
}

void review_get(conn_t *c, req_t *r, const ProtobufCMessage *body)
{
    const Thidua__V1__GetRecordRequest *q = (const Thidua__V1__GetRecordRequest *)body;
    server_t *s = c->server;
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
    /* Feed positions are SQL bigints; a cursor beyond them means "before everything there is". */
    ctx->before = q->history_before > INT64_MAX ? INT64_MAX : q->history_before;
    job_caller_t jc;
    job_caller_init(&jc, c);
    char before[24], limit[16], budget[16];
    snprintf(before, sizeof(before), "%llu", (unsigned long long)ctx->before);
    snprintf(limit, sizeof(limit), "%u", s->cfg->max_pull);
    /* Half a frame for the entries, as a pull page has: the record and the envelope fit beside. */
    snprintf(budget, sizeof(budget), "%u", s->cfg->max_frame / 2);
    const char *params[5] = {jc.unit_id, ctx->id, before, limit, budget};
    const job_stmt_t stmts[] = {{"record_get", 2, params}, {"record_history_page", 5, params}};
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
