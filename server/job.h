/*
 * job.h - what every request handler needs to make its database job: the
 * caller's identity as the first parameters of the thidua functions, a job
 * made of statements of the pool's prepared table, and its submission under
 * the caller's certificate.
 *
 * job_make() is the sequence new, add, add, free on failure, written once:
 * every handler lists its prepared statements through it. job_submit() is
 * the one way a handler queues a job: under the connection's certificate
 * fingerprint, so that the pool shares its connections between offices
 * rather than between connections (an office may open several), and one
 * office's flood waits its own turn (dbpool.h, dbpool_submit_as).
 */
#ifndef THIDUAD_JOB_H
#define THIDUAD_JOB_H

#include <stddef.h>

#include "dbpool.h"
#include "server.h"

/* The first two parameters of every thidua function, as text. */
typedef struct job_caller {
    char unit_id[24];      /* the certificate's unit id */
    char cert[2 + 64 + 1]; /* its SHA-256 fingerprint as a bytea literal, "\x..." */
} job_caller_t;

void job_caller_init(job_caller_t *jc, const conn_t *c);

/* One statement of the pool's prepared table (server.c) with its text parameters. */
typedef struct job_stmt {
    const char *name;
    int nparams;
    const char *const *params; /* copied by job_make(): may go once it returns */
} job_stmt_t;

/*
 * A new job (flags: DBPOOL_TX...) of the n statements, in order. Returns 0
 * with *out set, or the TD_E* error of the step that failed with *out
 * NULL (nothing left to free).
 */
THIDUA_MUSTCHECK int job_make(dbpool_job_t **out, unsigned flags, const job_stmt_t *stmts,
                              size_t n);

/*
 * Queue job on the server's pool for c's certificate, with cb(data) to
 * answer. As dbpool_submit_as(): 0, or a TD_E* code and cb never runs; the
 * pool owns the job either way.
 */
THIDUA_MUSTCHECK int job_submit(const conn_t *c, dbpool_job_t *job, dbpool_job_cb cb, void *data);

#endif
