/*
 * job.c - database jobs as the handlers make them (job.h).
 */
#include "job.h"

#include <stdio.h>

void job_caller_init(job_caller_t *jc, const conn_t *c)
{
    snprintf(jc->unit_id, sizeof(jc->unit_id), "%lld", (long long)c->unit->id);
    snprintf(jc->cert, sizeof(jc->cert), "\\x%s", c->fingerprint);
}

int job_make(dbpool_job_t **out, unsigned flags, const job_stmt_t *stmts, size_t n)
{
    *out = NULL;
    dbpool_job_t *job = dbpool_job_new(flags);
    if (job == NULL)
        return TD_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        int rc = dbpool_job_add_prepared(job, stmts[i].name, stmts[i].nparams, stmts[i].params);
        if (rc != 0) {
            dbpool_job_free(job);
            return rc;
        }
    }
    *out = job;
    return 0;
}

int job_submit(const conn_t *c, dbpool_job_t *job, dbpool_job_cb cb, void *data)
{
    return dbpool_submit_as(c->server->db, job, c->fingerprint, cb, data);
}
