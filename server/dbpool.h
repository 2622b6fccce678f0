/*
 * dbpool.h - an asynchronous PostgreSQL connection pool inside the libuv loop.
 *
 * The server's loop must never wait for the database, so every connection is a
 * non-blocking libpq connection watched by a uv_poll_t, and every unit of work
 * is a "job": a short list of statements sent in libpq pipeline mode and
 * answered through one callback. A job's statements run in one transaction
 * (see DBPOOL_TX); one job's failure never touches another job, even when both
 * are pipelined on the same connection. Lost connections are re-established
 * with backoff and their jobs fail with a retryable error.
 *
 * Everything here runs on the loop's thread. See docs/server-internals.md,
 * "Database pool", for the design and its trade-offs.
 */
#ifndef THIDUA_DBPOOL_H
#define THIDUA_DBPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>
#include <uv.h>

#include "defs.h"
#include "error.h"

typedef struct dbpool_s dbpool_t;
typedef struct dbpool_job_s dbpool_job_t;

/*
 * The functions below return 0 or a negative TD_E* code (error.h):
 *   TD_EINVAL  bad argument: empty job, unknown prepared name, wrong nparams
 *   TD_ENOMEM
 *   TD_EBUSY   queue full ("server busy"): retryable
 *   TD_ECLOSED the pool is closing: retryable on another server
 */
/* True for the codes a client may retry (busy, closed). */
bool dbpool_code_retryable(int code);

/* One named statement prepared on every connection, after every (re)connect. */
typedef struct {
    const char *name; /* unique, non-empty */
    const char *sql;  /* "SELECT ... $1 ..." */
    int nparams;      /* parameters the statement takes; checked at submit */
    const Oid *types; /* nparams OIDs, or NULL to let the server infer them */
} dbpool_prepared_t;

/*
 * Pool configuration. Fill it with dbpool_config_init() and change what you
 * need: every field is used as given (a 0 is a real 0, not "default").
 * dbpool_new() copies everything, the caller keeps ownership of cfg.
 */
typedef struct {
    /* libpq conninfo string or URI; "" uses the PG* environment and the service file. */
    const char *conninfo;
    const char *application_name;  /* fallback_application_name: the conninfo may override */
    unsigned size;                 /* connections (default 4) */
    unsigned pipeline_depth;       /* jobs in flight per connection (default 16) */
    unsigned queue_max;            /* jobs waiting for a connection before EBUSY (10000) */
    unsigned queue_timeout_ms;     /* longest wait for a connection (5000) */
    unsigned statement_timeout_ms; /* SET on each connection; 0 = leave the server's (30000) */
    unsigned connect_timeout_ms;   /* per attempt, enforced by a timer (10000) */
    unsigned backoff_min_ms;       /* first reconnect delay (100) ... */
    unsigned backoff_max_ms;       /* ... doubling up to this (5000), with jitter */
    unsigned close_timeout_ms;     /* dbpool_close: how long jobs may still finish (5000) */
    /*
     * Jobs of one owner (dbpool_submit_as) in flight at once; its others wait
     * in the queue, and the owners take turns. 0: no limit (0).
     */
    unsigned owner_max_inflight;
    const dbpool_prepared_t *prepared;
    size_t nprepared;
} dbpool_config_t;

void dbpool_config_init(dbpool_config_t *cfg);

/*
 * Create a pool on loop and start connecting. Returns NULL (and logs why) on a
 * malformed conninfo, an invalid prepared-statement table or no memory.
 * Failing to reach the server is not an error here: the pool keeps retrying.
 */
dbpool_t *dbpool_new(uv_loop_t *loop, const dbpool_config_t *cfg);

typedef void (*dbpool_close_cb)(void *data);

/*
 * Stop accepting jobs, let the jobs already submitted finish for up to
 * close_timeout_ms, then fail the rest (TD_ECLOSED), close every
 * connection and handle, free the pool and call cb (which may be NULL). The
 * pool must not be used after this call except from job callbacks, where
 * dbpool_submit() returns TD_ECLOSED. Never calls cb synchronously.
 * Returns TD_ECLOSED if the pool was already closing.
 */
THIDUA_MUSTCHECK int dbpool_close(dbpool_t *pool, dbpool_close_cb cb, void *data);

/* Counters for metrics. */
typedef struct {
    unsigned conns;         /* configured size */
    unsigned conns_up;      /* connected and ready for jobs */
    unsigned conns_busy;    /* ready, with at least one job in flight */
    unsigned owner_cap;     /* owner_max_inflight as configured (0: no limit) */
    size_t queued;          /* jobs waiting for a connection */
    size_t inflight;        /* jobs sent, waiting for their results */
    size_t owners;          /* owners with jobs queued or in flight */
    size_t owners_capped;   /* owners at owner_max_inflight with jobs waiting */
    uint64_t jobs_done;     /* callbacks without error */
    uint64_t jobs_failed;   /* callbacks with an error */
    uint64_t jobs_rejected; /* dbpool_submit() returned EBUSY or ECLOSED */
    uint64_t jobs_capped;   /* queued while their owner had owner_max_inflight in flight */
    uint64_t jobs_dropped;  /* pushed out of a full queue for another owner's job (TD_EBUSY) */
    uint64_t connects;      /* connections that became ready */
    uint64_t connect_attempts;
    uint64_t disconnects; /* ready connections lost */
} dbpool_stats_t;

void dbpool_stats(const dbpool_t *pool, dbpool_stats_t *out);

/* ---- jobs ---- */

/* Job flags. */
enum {
    /*
     * Wrap the job in BEGIN ... COMMIT. Without it the statements still run in
     * one implicit transaction (the pipeline's sync commits it); the flag adds
     * an explicit COMMIT whose outcome is checked and allows the isolation
     * flags below.
     */
    DBPOOL_TX = 1u << 0,
    DBPOOL_TX_REPEATABLE_READ = 1u << 1, /* implies DBPOOL_TX */
    DBPOOL_TX_SERIALIZABLE = 1u << 2,    /* implies DBPOOL_TX */
};

/*
 * One statement. Either name (a statement of the pool's prepared table) or
 * sql (text sent with PQsendQueryParams). values[i] == NULL is SQL NULL.
 * formats == NULL means all parameters are text (NUL-terminated, lengths
 * ignored); formats[i] == 1 makes parameter i binary, lengths[i] bytes.
 * Everything is copied by dbpool_job_add(): the caller's buffers may go.
 */
typedef struct {
    const char *name;
    const char *sql;
    int nparams;
    const Oid *types; /* sql only; NULL lets the server infer */
    const char *const *values;
    const int *lengths;
    const int *formats;
    int result_format; /* 0 text, 1 binary */
} dbpool_stmt_t;

/*
 * Why a job failed. code is one of:
 *   TD_EDB           a statement (or the commit) failed on the server; the job was rolled back
 *   TD_ELOST         the connection broke after the job was sent: its outcome is unknown
 *   TD_EUNAVAILABLE  no connection became free within queue_timeout_ms; the job was not sent
 *   TD_EBUSY         the queue was full and another owner's job took its place; not sent
 *   TD_ECLOSED       the pool was closed before the job finished (sent or not)
 */
typedef struct {
    int code;
    const char *message; /* valid until the callback returns */
    char sqlstate[6];    /* "" when the error is not the server's */
    bool retryable;      /* connection trouble, serialization failure, deadlock, shutdown */
    int stmt;            /* index of the failing statement, -1 for BEGIN/COMMIT/none */
} dbpool_error_t;

/*
 * Called exactly once per submitted job, never from inside dbpool_submit().
 * err is NULL on success. The job and its results belong to the pool and are
 * freed when the callback returns; use dbpool_job_take() to keep a result.
 * The callback may submit new jobs and may call dbpool_close().
 */
typedef void (*dbpool_job_cb)(dbpool_job_t *job, const dbpool_error_t *err, void *data);

/* A new empty job (flags: DBPOOL_TX...). NULL when out of memory. */
dbpool_job_t *dbpool_job_new(unsigned flags);

/* Append a statement; its results come back at the same index. */
THIDUA_MUSTCHECK int dbpool_job_add(dbpool_job_t *job, const dbpool_stmt_t *stmt);
/* Shorthands with text parameters and text results. */
THIDUA_MUSTCHECK int dbpool_job_add_prepared(dbpool_job_t *job, const char *name, int nparams,
                                             const char *const *values);
THIDUA_MUSTCHECK int dbpool_job_add_sql(dbpool_job_t *job, const char *sql, int nparams,
                                        const char *const *values);

/* Free a job that was never submitted. */
void dbpool_job_free(dbpool_job_t *job);

/*
 * Queue job for owner (thiduad: the client certificate's fingerprint; NULL
 * is ""); the pool owns it from now on, whatever the result. Returns 0,
 * then cb runs once later; or an error, and cb never runs: TD_EBUSY (the
 * queue holds queue_max jobs and no other owner has more waiting than this
 * one), TD_ECLOSED, TD_ENOMEM, TD_EINVAL (no statements, cb NULL, unknown
 * prepared name, nparams differs from the table).
 *
 * Sharing: an owner has at most owner_max_inflight jobs in flight, the rest
 * wait; the owners with jobs waiting take turns for the connections, and
 * within one owner jobs go in the order submitted. When the queue is full,
 * the newest waiting job of the owner with the most waiting makes room for
 * another owner's job: its callback gets TD_EBUSY (retryable).
 */
THIDUA_MUSTCHECK int dbpool_submit_as(dbpool_t *pool, dbpool_job_t *job, const char *owner,
                                      dbpool_job_cb cb, void *data);

/* dbpool_submit_as() for the owner "": the jobs of every caller that names none. */
THIDUA_MUSTCHECK int dbpool_submit(dbpool_t *pool, dbpool_job_t *job, dbpool_job_cb cb, void *data);

/* Inside the callback: number of statements, and the result of statement i
 * (NULL if it never ran, e.g. after a lost connection). */
size_t dbpool_job_count(const dbpool_job_t *job);
const PGresult *dbpool_job_result(const dbpool_job_t *job, size_t i);
/* Take ownership of result i (the caller must PQclear it); NULL if none. */
PGresult *dbpool_job_take(dbpool_job_t *job, size_t i);

#endif
