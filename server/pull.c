/*
 * pull.c - PullRequest: the caller's feed after its cursor, one page.
 *
 * thidua.pull() returns the changes in feed order with each record as stored
 * now; a page is also cut short before it would overflow a frame, so a page
 * of long achievement reports still fits (has_more tells the client to go on).
 *
 * A cursor beyond the last position the feed counter ever handed out cannot
 * come from this database's history: the database was restored to an older
 * state since the client read that far. Answering "nothing new" would leave
 * the client waiting at a position the restored feed hands out again to
 * other changes, which it would then never see; the answer says cursor_ahead
 * instead and the client starts over from 0 (docs/protocol.md, "Pull"). The
 * counter only grows, and every cursor a client holds was a committed
 * change_seq, so in a database that was not restored this never fires.
 *
 * A cursor is a feed position, a bigint in the database: one above 2^63 - 1
 * can only be a client's mistake, and is refused here before it reaches SQL
 * (where it would fail as an out-of-range number, again at every retry).
 */
#include "pull.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "synchealth.h"
#include "recout.h"
#include "server.h"

/* What the callback needs of the request; owned by the job's callback. */
typedef struct pull_ctx {
    req_t *req;
    uint64_t cursor;
} pull_ctx_t;

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
    const PGresult *counter = dbpool_job_result(job, 1);
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

    const PGresult *res = dbpool_job_result(job, 0);
    int rows = PQntuples(res);
    recout_cols_t cols;
    recout_columns(res, &cols);
    int c_seq = PQfnumber(res, "change_seq"), c_kind = PQfnumber(res, "change_kind"),
        c_more = PQfnumber(res, "has_more");

    recout_t *out = calloc((size_t)rows + 1, sizeof(*out));
    Thidua__V1__Change *changes = calloc((size_t)rows + 1, sizeof(*changes));
    Thidua__V1__Change **changep = calloc((size_t)rows + 1, sizeof(*changep));
    if (out == NULL || changes == NULL || changep == NULL) {
        free(out);
        free(changes);
        free(changep);
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
        return;
    }

    Thidua__V1__PullResponse resp = THIDUA__V1__PULL_RESPONSE__INIT;
    resp.has_more = rows > 0 && PQgetvalue(res, 0, c_more)[0] == 't';
    /* Leave room for the envelope and the last change's own framing. */
    size_t budget = c->server->cfg->max_frame / 2, used = 0;
    int n = 0;
    for (int i = 0; i < rows; i++) {
        recout_fill(&out[i], res, i, &cols);
        thidua__v1__change__init(&changes[i]);
        changes[i].change_seq = strtoull(PQgetvalue(res, i, c_seq), NULL, 10);
        changes[i].kind = PQgetvalue(res, i, c_kind);
        changes[i].record = &out[i].rec;
        size_t sz = thidua__v1__change__get_packed_size(&changes[i]) + 8;
        if (n > 0 && used + sz > budget) {
            resp.has_more = true;
            break;
        }
        used += sz;
        changep[n++] = &changes[i];
    }
    resp.n_changes = (size_t)n;
    resp.changes = changep;
    /* Nothing new: the cursor stays where the client has it. */
    resp.next_cursor = n > 0 ? changes[n - 1].change_seq : cursor;
    synchealth_note(c, "pull", 0);
    req_respond(r, &resp.base);
    free(out);
    free(changes);
    free(changep);
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

void pull_handle(conn_t *c, req_t *r, const ProtobufCMessage *body)
{
    const Thidua__V1__PullRequest *req = (const Thidua__V1__PullRequest *)body;
    server_t *s = c->server;
    if (pull_cursor_refused(r, req->cursor))
        return;
    uint32_t limit = req->limit == 0 || req->limit > s->cfg->max_pull ? s->cfg->max_pull
                                                                        : req->limit;
    char unit_id[24], cursor[24], lim[16];
    snprintf(unit_id, sizeof(unit_id), "%lld", (long long)c->unit->id);
    snprintf(cursor, sizeof(cursor), "%llu", (unsigned long long)req->cursor);
    snprintf(lim, sizeof(lim), "%u", limit);
    const char *params[3] = {unit_id, cursor, lim};

    pull_ctx_t *ctx = malloc(sizeof(*ctx));
    dbpool_job_t *job = ctx == NULL ? NULL : dbpool_job_new(0);
    int rc = job == NULL ? TD_ENOMEM : dbpool_job_add_prepared(job, "pull", 3, params);
    if (rc == 0)
        rc = dbpool_job_add_prepared(job, "feed_last", 0, NULL);
    if (rc == 0) {
        ctx->req = r;
        ctx->cursor = req->cursor;
        rc = dbpool_submit(s->db, job, pull_done, ctx);
        if (rc != 0)
            free(ctx);
    } else {
        free(ctx);
        if (job != NULL)
            dbpool_job_free(job);
    }
    if (rc != 0)
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true,
                  "the server is %s; pull again later", td_strerror(rc));
}
