/*
 * pull.c - PullRequest: the caller's feed after its cursor, one page.
 *
 * thidua.pull() returns the changes in feed order with each record as stored
 * now, and stops the page before its rows pass a byte budget, half a frame
 * (pull_budget): a page of long achievement reports fits in a frame, and
 * neither PostgreSQL nor thiduad handles more of it than it sends (has_more
 * tells the client to go on). The page is measured again here as it is
 * packed and cut at the same budget, a safety net should the database's
 * measure of a row ever fall short of the wire's.
 *
 * A cursor is a feed position, a bigint in the database: one above 2^63 - 1
 * can only be a client's mistake, and is refused here before it reaches SQL
 * (where it would fail as an out-of-range number, again at every retry).
 *
 * A cursor beyond the last position the feed counter ever handed out cannot
 * come from this database's history: the database was restored to an older
 * state since the client read that far. Answering "nothing new" would leave
 * the client waiting at a position the restored feed hands out again to
 * other changes, which it would then never see; the answer says cursor_ahead
 * instead and the client starts over from 0 (docs/protocol.md, "Pull"). The
 * counter only grows, and every cursor a client holds was a committed
 * change_seq, so in a database that was not restored this never fires.
 */
#include "pull.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "log.h"
#include "synchealth.h"
#include "recout.h"
#include "server.h"

/* What the callback needs of the request; owned by the job's callback. */
typedef struct pull_ctx {
    req_t *req;
    uint64_t cursor;
} pull_ctx_t;

/*
 * The bytes a page's changes may take: half a frame leaves room for the
 * envelope and for the last change's own framing. The database stops the
 * page at it, and pull_done cuts at it again.
 */
static size_t pull_budget(const server_t *s)
{
    return s->cfg->max_frame / 2;
}

/* Answer a cursor the database has never reached: no changes, start again from 0. */
static void pull_ahead(conn_t *c, req_t *r, uint64_t cursor, const char *last_seq)
{
    log_warn("pull_cursor_ahead", "unit=%s fp=%s cursor=%llu last_seq=%s", c->unit_code,
             c->fingerprint, (unsigned long long)cursor, last_seq);
    Thidua__V1__PullResponse resp = THIDUA__V1__PULL_RESPONSE__INIT;
    resp.cursor_ahead = true;
    resp.next_cursor = 0;
    synchealth_note(c, "pull", 0);
    req_respond(r, &resp.base);
}

/* A page's rows as wire changes; the arrays are owned, the strings the result's. */
typedef struct pull_page {
    recout_t *out;
    Thidua__V1__Change *changes;
    Thidua__V1__Change **changep;
    size_t n;
} pull_page_t;

static void pull_page_free(pull_page_t *pg)
{
    free(pg->out);
    free(pg->changes);
    free(pg->changep);
}

THIDUA_MUSTCHECK static int pull_page_alloc(pull_page_t *pg, int rows)
{
    pg->out = calloc((size_t)rows + 1, sizeof(*pg->out));
    pg->changes = calloc((size_t)rows + 1, sizeof(*pg->changes));
    pg->changep = calloc((size_t)rows + 1, sizeof(*pg->changep));
    pg->n = 0;
    if (pg->out != NULL && pg->changes != NULL && pg->changep != NULL)
        return 0;
    pull_page_free(pg);
    return TD_ENOMEM;
}

/*
 * The rows of res into pg, in order, as long as they fit in the budget (the
 * first always does). The database stopped the page at the same budget, so
 * a cut here means its measure of a row fell short: worth a log line.
 * Returns whether rows were left out.
 */
static bool pull_page_fill(pull_page_t *pg, const conn_t *c, const PGresult *res)
{
    int rows = PQntuples(res);
    recout_cols_t cols;
    recout_columns(res, &cols);
    int c_seq = PQfnumber(res, "change_seq"), c_kind = PQfnumber(res, "change_kind");
    size_t budget = pull_budget(c->server), used = 0;
    for (int i = 0; i < rows; i++) {
        Thidua__V1__Change *ch = &pg->changes[i];
        recout_fill(&pg->out[i], res, i, &cols);
        thidua__v1__change__init(ch);
        ch->change_seq = strtoull(PQgetvalue(res, i, c_seq), NULL, 10);
        ch->kind = PQgetvalue(res, i, c_kind);
        ch->record = &pg->out[i].rec;
        size_t sz = thidua__v1__change__get_packed_size(ch) + 8;
        if (pg->n > 0 && used + sz > budget) {
            log_warn("pull_page_cut", "unit=%s rows=%d kept=%zu budget=%zu", c->unit_code, rows,
                     pg->n, budget);
            return true;
        }
        used += sz;
        pg->changep[pg->n++] = ch;
    }
    return false;
}

/* Answer r with the page of res after cursor. */
static void pull_answer(conn_t *c, req_t *r, const PGresult *res, uint64_t cursor)
{
    int rows = PQntuples(res);
    pull_page_t pg;
    if (pull_page_alloc(&pg, rows) != 0) {
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
        return;
    }
    Thidua__V1__PullResponse resp = THIDUA__V1__PULL_RESPONSE__INIT;
    bool cut = pull_page_fill(&pg, c, res);
    resp.has_more = cut || (rows > 0 && PQgetvalue(res, 0, PQfnumber(res, "has_more"))[0] == 't');
    resp.n_changes = pg.n;
    resp.changes = pg.changep;
    /* Nothing new: the cursor stays where the client has it. */
    resp.next_cursor = pg.n > 0 ? pg.changes[pg.n - 1].change_seq : cursor;
    synchealth_note(c, "pull", 0);
    req_respond(r, &resp.base);
    pull_page_free(&pg);
}

static void pull_done(dbpool_job_t *job, const dbpool_error_t *err, void *data)
{
    pull_ctx_t *ctx = data;
    req_t *r = ctx->req;
    uint64_t cursor = ctx->cursor;
    conn_t *c = r->conn;
    free(ctx);

    if (err != NULL) {
        char q[300];
        log_warn("pull_failed", "unit=%s sqlstate=%s error=%s", c->unit_code, err->sqlstate,
                 log_quote(q, sizeof(q), err->message));
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true,
                  "the database is not available; pull again later");
        return;
    }
    const PGresult *counter = dbpool_job_result(job, 2);
    if (counter == NULL || PQntuples(counter) != 1) {
        log_warn("pull_failed", "unit=%s error=\"the feed counter has no row\"", c->unit_code);
        req_error(r, THIDUA__V1__ERROR__CODE__INTERNAL, NULL, false,
                  "the province's change feed is damaged; tell the province's IT staff");
        return;
    }
    const char *last_seq = PQgetvalue(counter, 0, 0);
    if (cursor > strtoull(last_seq, NULL, 10)) {
        pull_ahead(c, r, cursor, last_seq);
        return;
    }
    pull_answer(c, r, dbpool_job_result(job, 1), cursor);
}

/* A cursor the feed cannot hold; answers r and returns true. */
static bool pull_cursor_refused(req_t *r, uint64_t cursor)
{
    if (cursor <= (uint64_t)INT64_MAX)
        return false;
    req_error(r, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, "cursor", false,
              "cursor %" PRIu64 " is not a feed position: a cursor is at most %" PRId64
              " (2^63 - 1); pull from 0 to start over",
              cursor, INT64_MAX);
    return true;
}

/*
 * The job of one page: the numbering of what a push left pending (a server
 * that died between a push's commit and its numbering; sql/014), the page,
 * then the feed's last position (pull_done).
 */
static int pull_job(conn_t *c, uint64_t cursor, uint32_t limit, dbpool_job_t **job)
{
    char unit_id[24], cur[24], lim[16], budget[24];
    snprintf(unit_id, sizeof(unit_id), "%lld", (long long)c->unit->id);
    snprintf(cur, sizeof(cur), "%" PRIu64, cursor);
    snprintf(lim, sizeof(lim), "%" PRIu32, limit);
    snprintf(budget, sizeof(budget), "%zu", pull_budget(c->server));
    const char *params[4] = {unit_id, cur, lim, budget};
    const job_stmt_t stmts[3] = {
        {"feed_sequence", 0, NULL}, {"pull", 4, params}, {"feed_last", 0, NULL}};
    return job_make(job, 0, stmts, 3);
}

void pull_handle(conn_t *c, req_t *r, const ProtobufCMessage *body)
{
    const Thidua__V1__PullRequest *req = (const Thidua__V1__PullRequest *)body;
    const server_config_t *cfg = c->server->cfg;
    if (pull_cursor_refused(r, req->cursor))
        return;
    uint32_t limit = req->limit == 0 || req->limit > cfg->max_pull ? cfg->max_pull : req->limit;

    pull_ctx_t *ctx = malloc(sizeof(*ctx));
    if (ctx == NULL) {
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
        return;
    }
    ctx->req = r;
    ctx->cursor = req->cursor;
    dbpool_job_t *job;
    int rc = pull_job(c, req->cursor, limit, &job);
    if (rc == 0)
        rc = job_submit(c, job, pull_done, ctx);
    if (rc != 0) {
        free(ctx);
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true,
                  "the server is %s; pull again later", td_strerror(rc));
    }
}
