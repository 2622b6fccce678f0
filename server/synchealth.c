/*
 * synchealth.c - each unit's sync health (synchealth.h): when it last pushed
 * and pulled and how many of its records were refused, for the Report's
 * sync-health table and for operators.
 *
 * A note is a job of its own, outside the request's transaction and off its
 * ack path: the push or pull is answered first, and a failed note is only
 * logged. Folding it into the push would hold the feed lock longer.
 */
#include "synchealth.h"

#include <stdio.h>
#include <stdlib.h>

#include "job.h"
#include "log.h"

/* The unit a note is for, kept for the log: the connection may be gone by then. */
typedef struct note_ctx {
    char unit[65];
    char kind[8];
} note_ctx_t;

static void synchealth_done(dbpool_job_t *job, const dbpool_error_t *err, void *data)
{
    note_ctx_t *n = data;
    (void)job;
    if (err != NULL) {
        char q[300];
        log_warn("sync_note_failed", "unit=%s kind=%s sqlstate=%s error=%s", n->unit, n->kind,
                 err->sqlstate, log_quote(q, sizeof(q), err->message ? err->message : ""));
    }
    free(n);
}

void synchealth_note(conn_t *c, const char *kind, unsigned rejected)
{
    note_ctx_t *n = calloc(1, sizeof(*n));
    if (n == NULL)
        return; /* health is best effort: the push or pull itself is done */
    snprintf(n->unit, sizeof(n->unit), "%s", c->unit_code);
    snprintf(n->kind, sizeof(n->kind), "%s", kind);
    job_caller_t jc;
    job_caller_init(&jc, c);
    char rej[16];
    snprintf(rej, sizeof(rej), "%u", rejected);
    const char *params[3] = {jc.unit_id, kind, rej};
    const job_stmt_t stmt = {"sync_note", 3, params};
    dbpool_job_t *job;
    if (job_make(&job, 0, &stmt, 1) != 0 ||
        job_submit(c, job, synchealth_done, n) != 0)
        free(n);
}
