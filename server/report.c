/*
 * report.c - Report: the campaign's summary (tổng kết) for the province.
 *
 * The counts, the closed units' successors, the awardees and the sync
 * health come from thidua.report_* (sql/004_review.sql, 016, 018), read in one REPEATABLE READ
 * transaction so that the tables of one report add up with each other. The counts are plain GROUP
 * BYs on the stored records: what the report says is what a direct count on the database says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "province.h"
#include "report.h"

/* What the callback needs; owned by the callback. */
typedef struct report_ctx {
    req_t *req;
    bool awardees;     /* include_awardees: statement 1 */
    bool sync;         /* include_sync_health: the statement after */
    /* The session catalog's campaign of that code, which the answer carries; NULL when the
     * catalog does not know it (created since the session opened). */
    const Thidua__V1__Campaign *camp;
    char campaign[80]; /* quoted, for the log line */
} report_ctx_t;

/* The four count tables of one result, pointing into it. Owns the arrays. */
typedef struct report_counts {
    Thidua__V1__CountRow *rows;
    Thidua__V1__CountRow **unit_status, **category, **award_form, **kind;
    size_t n_unit_status, n_category, n_award_form, n_kind;
} report_counts_t;

static void report_counts_free(report_counts_t *t)
{
    free(t->rows);
    free(t->unit_status);
    free(t->category);
    free(t->award_form);
    free(t->kind);
}

/* Sort the rows of a report_counts result into their tables. -1 when out of memory. */
static int report_counts_fill(report_counts_t *t, const PGresult *res)
{
    size_t rows = (size_t)PQntuples(res);
    memset(t, 0, sizeof(*t));
    t->rows = calloc(rows + 1, sizeof(*t->rows));
    t->unit_status = calloc(rows + 1, sizeof(*t->unit_status));
    t->category = calloc(rows + 1, sizeof(*t->category));
    t->award_form = calloc(rows + 1, sizeof(*t->award_form));
    t->kind = calloc(rows + 1, sizeof(*t->kind));
    if (t->rows == NULL || t->unit_status == NULL || t->category == NULL || t->award_form == NULL ||
        t->kind == NULL) {
        report_counts_free(t);
        return -1;
    }
    int c_tbl = PQfnumber(res, "tbl"), c_k = PQfnumber(res, "k"), c_name = PQfnumber(res, "k_name"),
        c_k2 = PQfnumber(res, "k2"), c_n = PQfnumber(res, "n");
    for (size_t i = 0; i < rows; i++) {
        Thidua__V1__CountRow *row = &t->rows[i];
        thidua__v1__count_row__init(row);
        row->key = PQgetvalue(res, (int)i, c_k);
        row->key_name = PQgetvalue(res, (int)i, c_name);
        row->key2 = PQgetvalue(res, (int)i, c_k2);
        row->count = strtoull(PQgetvalue(res, (int)i, c_n), NULL, 10);
        const char *tbl = PQgetvalue(res, (int)i, c_tbl);
        if (strcmp(tbl, "unit_status") == 0)
            t->unit_status[t->n_unit_status++] = row;
        else if (strcmp(tbl, "category") == 0)
            t->category[t->n_category++] = row;
        else if (strcmp(tbl, "award_form") == 0)
            t->award_form[t->n_award_form++] = row;
        else if (strcmp(tbl, "kind") == 0)
            t->kind[t->n_kind++] = row;
    }
    return 0;
}

/*
 * The messages of one table of the answer and the array that points at them
 * (rows of `size` bytes each), returned as void * for the caller to assign to
 * its own types. -1, with both NULL, when out of memory.
 */
static int report_rows_alloc(size_t rows, size_t size, void **items, void **ptrs)
{
    *items = calloc(rows + 1, size);
    *ptrs = calloc(rows + 1, sizeof(void *));
    if (*items == NULL || *ptrs == NULL) {
        free(*items);
        free(*ptrs);
        *items = NULL;
        *ptrs = NULL;
        return -1;
    }
    return 0;
}

/* The awardees of a report_awardees result, pointing into it; the caller frees *items and *ptrs. */
static int report_awardees_fill(const PGresult *res, Thidua__V1__Awardee **items,
                                Thidua__V1__Awardee ***ptrs, size_t *n)
{
    size_t rows = (size_t)PQntuples(res);
    void *it, *pt;
    if (report_rows_alloc(rows, sizeof(**items), &it, &pt) != 0)
        return -1;
    *items = it;
    *ptrs = pt;
    static const char *const names[] = {
        "id",           "form",         "form_name",   "org_unit",        "org_unit_name",
        "nominee_kind", "nominee_name", "title",       "decision_number", "decision_date",
        "category",     "issuer",       "issuer_name",
    };
    int col[THIDUA_ARRAY_LEN(names)];
    for (size_t k = 0; k < THIDUA_ARRAY_LEN(names); k++)
        col[k] = PQfnumber(res, names[k]);
    for (size_t i = 0; i < rows; i++) {
        Thidua__V1__Awardee *a = &(*items)[i];
        int row = (int)i;
        thidua__v1__awardee__init(a);
        a->id = PQgetvalue(res, row, col[0]);
        a->form = PQgetvalue(res, row, col[1]);
        a->form_name = PQgetvalue(res, row, col[2]);
        a->org_unit = PQgetvalue(res, row, col[3]);
        a->org_unit_name = PQgetvalue(res, row, col[4]);
        a->nominee_kind = PQgetvalue(res, row, col[5]);
        a->nominee_name = PQgetvalue(res, row, col[6]);
        a->title = PQgetvalue(res, row, col[7]);
        a->decision_number = PQgetvalue(res, row, col[8]);
        a->decision_date = PQgetvalue(res, row, col[9]);
        a->category = PQgetvalue(res, row, col[10]);
        a->issuer = PQgetvalue(res, row, col[11]);
        a->issuer_name = PQgetvalue(res, row, col[12]);
        (*ptrs)[i] = a;
    }
    *n = rows;
    return 0;
}

/* The rows of a report_sync result, likewise. */
static int report_sync_fill(const PGresult *res, Thidua__V1__UnitSyncHealth **items,
                            Thidua__V1__UnitSyncHealth ***ptrs, size_t *n)
{
    size_t rows = (size_t)PQntuples(res);
    void *it, *pt;
    if (report_rows_alloc(rows, sizeof(**items), &it, &pt) != 0)
        return -1;
    *items = it;
    *ptrs = pt;
    int c_unit = PQfnumber(res, "org_unit"), c_name = PQfnumber(res, "org_unit_name"),
        c_last = PQfnumber(res, "last_sync_ms"), c_sub = PQfnumber(res, "submitted"),
        c_ret = PQfnumber(res, "returned"), c_rej = PQfnumber(res, "rejected_pushes");
    for (size_t i = 0; i < rows; i++) {
        Thidua__V1__UnitSyncHealth *h = &(*items)[i];
        int row = (int)i;
        thidua__v1__unit_sync_health__init(h);
        h->org_unit = PQgetvalue(res, row, c_unit);
        h->org_unit_name = PQgetvalue(res, row, c_name);
        h->last_sync_ms = strtoll(PQgetvalue(res, row, c_last), NULL, 10);
        h->submitted = strtoull(PQgetvalue(res, row, c_sub), NULL, 10);
        h->returned = strtoull(PQgetvalue(res, row, c_ret), NULL, 10);
        h->rejected_pushes = strtoull(PQgetvalue(res, row, c_rej), NULL, 10);
        (*ptrs)[i] = h;
    }
    *n = rows;
    return 0;
}

/* The rows of a report_successions result, likewise. */
static int report_successions_fill(const PGresult *res, Thidua__V1__Succession **items,
                                   Thidua__V1__Succession ***ptrs, size_t *n)
{
    size_t rows = (size_t)PQntuples(res);
    void *it, *pt;
    if (report_rows_alloc(rows, sizeof(**items), &it, &pt) != 0)
        return -1;
    *items = it;
    *ptrs = pt;
    int c_unit = PQfnumber(res, "org_unit"), c_name = PQfnumber(res, "org_unit_name"),
        c_last = PQfnumber(res, "last_day"), c_succ = PQfnumber(res, "successors");
    for (size_t i = 0; i < rows; i++) {
        Thidua__V1__Succession *s = &(*items)[i];
        thidua__v1__succession__init(s);
        s->org_unit = PQgetvalue(res, (int)i, c_unit);
        s->org_unit_name = PQgetvalue(res, (int)i, c_name);
        s->last_day = PQgetvalue(res, (int)i, c_last);
        s->successors = PQgetvalue(res, (int)i, c_succ);
        (*ptrs)[i] = s;
    }
    *n = rows;
    return 0;
}

static void report_done(dbpool_job_t *job, const dbpool_error_t *err, void *data)
{
    report_ctx_t *ctx = data;
    req_t *r = ctx->req;
    conn_t *c = r->conn;

    if (err != NULL) {
        log_info("report", "peer=%s unit=%s fp=%s campaign=%s outcome=error sqlstate=%s",
                 c->peer_addr, c->unit_code, c->fingerprint, ctx->campaign, err->sqlstate);
        province_db_error(r, job, err, "Report");
        free(ctx);
        return;
    }
    Thidua__V1__ReportResponse resp = THIDUA__V1__REPORT_RESPONSE__INIT;
    report_counts_t counts;
    Thidua__V1__Awardee *awardees = NULL, **awardeep = NULL;
    Thidua__V1__UnitSyncHealth *health = NULL, **healthp = NULL;
    Thidua__V1__Succession *succ = NULL, **succp = NULL;
    size_t next = 2;
    int rc = report_counts_fill(&counts, dbpool_job_result(job, 0));
    bool have_counts = rc == 0;
    if (rc == 0)
        rc = report_successions_fill(dbpool_job_result(job, 1), &succ, &succp, &resp.n_successions);
    if (rc == 0 && ctx->awardees)
        rc = report_awardees_fill(dbpool_job_result(job, next++), &awardees, &awardeep,
                                  &resp.n_awardees);
    if (rc == 0 && ctx->sync)
        rc = report_sync_fill(dbpool_job_result(job, next++), &health, &healthp,
                              &resp.n_sync_health);
    if (rc != 0) {
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
    } else {
        uv_timeval64_t tv = {0, 0};
        (void)uv_gettimeofday(&tv);
        resp.campaign = (Thidua__V1__Campaign *)ctx->camp;
        resp.by_unit_status = counts.unit_status;
        resp.n_by_unit_status = counts.n_unit_status;
        resp.by_category = counts.category;
        resp.n_by_category = counts.n_category;
        resp.by_award_form = counts.award_form;
        resp.n_by_award_form = counts.n_award_form;
        resp.by_kind = counts.kind;
        resp.n_by_kind = counts.n_kind;
        resp.awardees = awardeep;
        resp.sync_health = healthp;
        resp.successions = succp;
        resp.generated_at_ms = tv.tv_sec * 1000 + tv.tv_usec / 1000;
        log_info("report",
                 "peer=%s unit=%s fp=%s campaign=%s awardees=%zu sync_health=%d "
                 "outcome=ok",
                 c->peer_addr, c->unit_code, c->fingerprint, ctx->campaign, resp.n_awardees,
                 ctx->sync ? 1 : 0);
        req_respond(r, &resp.base);
    }
    if (have_counts)
        report_counts_free(&counts);
    free(awardees);
    free(awardeep);
    free(health);
    free(healthp);
    free(succ);
    free(succp);
    free(ctx);
}

void report_handle(conn_t *c, req_t *r, const ProtobufCMessage *body)
{
    const Thidua__V1__ReportRequest *q = (const Thidua__V1__ReportRequest *)body;
    const char *campaign = q->campaign[0] != '\0' ? q->campaign : c->catalog->campaign->code;
    report_ctx_t *ctx = calloc(1, sizeof(*ctx));
    if (ctx == NULL) {
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
        return;
    }
    ctx->req = r;
    ctx->awardees = q->include_awardees;
    ctx->sync = q->include_sync_health;
    ctx->camp = catalog_campaign(c->catalog, campaign);
    log_quote(ctx->campaign, sizeof(ctx->campaign), campaign);

    job_caller_t jc;
    job_caller_init(&jc, c);
    const char *params[2] = {jc.unit_id, campaign};
    /*
     * Statement 0 the counts, 1 the closed units and their successors, then each table asked
     * for: report_done reads them in this order.
     */
    job_stmt_t stmts[4] = {{"report_counts", 2, params}, {"report_successions", 2, params}};
    size_t n = 2;
    if (ctx->awardees)
        stmts[n++] = (job_stmt_t){"report_awardees", 2, params};
    if (ctx->sync)
        stmts[n++] = (job_stmt_t){"report_sync", 2, params};
    if (province_submit(c, r, DBPOOL_TX_REPEATABLE_READ, stmts, n, report_done, ctx, "Report") != 0)
        free(ctx);
}
