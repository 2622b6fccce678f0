/*
 * job.h - what every request handler needs to make its database job: the
 * caller's identity as the first parameters of the thidua functions, and a
 * job made of statements of the pool's prepared table.
 *
 * job_make() is the sequence new, add, add, free on failure, written once:
 * push, review, award and report list their prepared statements through it.
 * pull builds its job itself: a page of "pull" and then "feed_last" in one
 * job without a transaction of its own (pull.c).
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

#endif
