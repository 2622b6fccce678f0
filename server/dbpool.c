/*
 * dbpool.c - PostgreSQL connections driven by the libuv loop, never blocking it.
 *
 * Each connection is a libpq PGconn in non-blocking mode, watched by a
 * uv_poll_t on PQsocket(). Connecting goes through PQconnectStartParams and
 * PQconnectPoll; once connected the connection enters pipeline mode, prepares
 * the pool's statements and then carries jobs: every job is sent as a run of
 * PQsendQuery* calls closed by PQpipelineSync, so the server treats it as one
 * transaction and an error in it is contained by its sync instead of aborting
 * the jobs pipelined behind it. Results are matched to jobs purely by order:
 * libpq returns each query's results followed by NULL, and a
 * PGRES_PIPELINE_SYNC for each sync.
 *
 * A DBPOOL_TX job is sent as BEGIN, its statements, sync, COMMIT, sync. The
 * second sync matters: if a statement fails inside an explicit transaction
 * block, the server skips to the next sync and leaves the block open in the
 * failed state, which would make every later job on the connection fail.
 * COMMIT in its own segment always runs; on a failed block it rolls back
 * (and answers "ROLLBACK"), so the connection is always clean after the job.
 *
 * Nothing here calls back into the caller synchronously from a function the
 * caller called: submissions are dispatched from an idle handle ("kick"), and
 * dbpool_close() tears down from the kick or a timer. So a job callback can
 * submit or close without the pool's lists changing under its feet.
 */
#include "dbpool.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbqueue.h"
#include "log.h"

/* ---- data ---- */

typedef enum {
    CMD_QUERY,   /* PQsendQueryPrepared (name) or PQsendQueryParams (sql) */
    CMD_PREPARE, /* PQsendPrepare: connection setup only */
    CMD_SYNC,    /* PQpipelineSync: ends a transaction segment */
} cmd_kind_t;

/* One command of a job. Strings and arrays point into mem (owned) or into
 * storage that outlives the job (static text, the pool's prepared table). */
typedef struct {
    cmd_kind_t kind;
    const char *name;
    const char *sql;
    int nparams;
    const Oid *types;
    const char *const *values;
    const int *lengths;
    const int *formats;
    int result_format;
    void *mem;        /* owned: one block holding the copies above, or NULL */
    PGresult *result; /* owned until the job is freed or the caller takes it */
} dbcmd_t;

/*
 * A job lives in exactly one list at a time: the pool's queue (through q),
 * the in-flight list of the connection it was sent on, or the pool's dropped
 * list. Whoever holds the list owns the job; the caller owns it only before
 * dbpool_submit(). While in flight it still counts against its owner's share
 * (q.owner is set) until it finishes.
 */
struct dbpool_job_s {
    dbq_item_t q; /* its place in the queue, under its owner */
    dbpool_job_t *next;
    unsigned flags;
    dbcmd_t *cmds; /* owned array */
    size_t ncmds, cap;
    size_t first; /* the caller's statements are cmds[first .. first + nstmts) */
    size_t nstmts;
    size_t pos;           /* first command whose results are not all in */
    PGresult *sync_error; /* owned: an error reported at a sync (the implicit commit) */
    bool sealed;          /* BEGIN/COMMIT/sync commands added: no more statements */
    bool setup;           /* a connection's own setup job: no callback */
    dbpool_job_cb cb;
    void *data;
};

/* The job a queue item belongs to. */
#define JOB_OF(item) ((dbpool_job_t *)(void *)((char *)(item) - offsetof(dbpool_job_t, q)))

typedef enum {
    CONN_DOWN,       /* no PGconn; the backoff timer will reconnect */
    CONN_CONNECTING, /* PQconnectPoll in progress */
    CONN_SETUP,      /* connected; SET and PREPAREs in flight */
    CONN_READY,      /* carrying jobs */
} conn_state_t;

typedef struct dbconn_s {
    struct dbpool_s *pool;
    unsigned id;
    conn_state_t state;
    PGconn *pg;      /* owned; NULL when down */
    uv_poll_t *poll; /* owned; NULL when none; freed in its close callback */
    int poll_fd;
    int poll_events;           /* events the poll handle was last started with (0 = stopped) */
    uv_timer_t timer;          /* connect timeout while connecting, backoff while down */
    dbpool_job_t *head, *tail; /* in flight, oldest first (owned) */
    unsigned inflight;         /* caller jobs in the list (the setup job is not counted) */
    unsigned failures;         /* consecutive failed attempts, for the backoff */
    bool want_write;           /* PQflush returned 1: watch UV_WRITABLE */
    bool dirty;                /* jobs sent since the last flush */
} dbconn_t;

typedef enum {
    POOL_OPEN,
    POOL_DRAINING, /* dbpool_close() called: no new jobs, old ones may finish */
    POOL_CLOSING,  /* handles closing; freed when the last one is closed */
} pool_state_t;

struct dbpool_s {
    uv_loop_t *loop;
    pool_state_t state;

    /* Configuration (strings and the prepared table are owned copies). */
    char *conninfo;
    char *app_name;
    unsigned depth, queue_max, queue_timeout_ms, statement_timeout_ms;
    unsigned connect_timeout_ms, backoff_min_ms, backoff_max_ms, close_timeout_ms;
    dbpool_prepared_t *prepared; /* owned, with owned name/sql/types */
    size_t nprepared;
    const char *kw[4]; /* PQconnectStartParams keywords, pointing at the above */
    const char *vals[4];

    dbconn_t *conns; /* owned array of nconns */
    unsigned nconns;

    dbqueue_t queue;       /* jobs waiting for a connection, by owner (owned; dbqueue.h) */
    dbpool_job_t *dropped; /* pushed out of a full queue, failed from the kick (owned) */
    size_t inflight;       /* caller jobs on all connections */

    uv_idle_t kick;    /* runs dispatch (and the drained check) once per loop turn */
    uv_timer_t qtimer; /* fires when the oldest queued job reaches its deadline */
    uv_timer_t ctimer; /* close_timeout_ms */
    bool close_now;    /* close_timeout_ms was 0 */
    unsigned handles_open;
    dbpool_close_cb close_cb;
    void *close_data;

    dbpool_stats_t stats;
    uint64_t rng;
    char last_error[256]; /* why the last connection attempt or connection failed */
};

/* ---- small helpers ---- */

static void conn_down(dbconn_t *c, const char *why);
static void pool_dispatch(dbpool_t *p);
static void pool_teardown(dbpool_t *p);
static void pool_on_kick(uv_idle_t *h);

/* libpq messages span lines ("...failed: Connection refused\n\tIs the server
 * running..."); fold them into one line for logs and error messages. */
static void msg_fold(char *dst, size_t size, const char *src)
{
    size_t o = 0;
    bool space = false;
    if (src == NULL)
        src = "unknown error";
    for (; *src && o + 1 < size; src++) {
        char ch = *src;
        if (ch == '\n' || ch == '\r' || ch == '\t' || ch == ' ') {
            space = o > 0;
            continue;
        }
        if (space && o + 2 < size)
            dst[o++] = ' ';
        space = false;
        dst[o++] = ch;
    }
    dst[o] = '\0';
}

static uint64_t now_ms(void)
{
    return uv_hrtime() / 1000000u;
}

/* xorshift64*: jitter only, no need for anything better. */
static uint64_t pool_rand(dbpool_t *p)
{
    p->rng ^= p->rng >> 12;
    p->rng ^= p->rng << 25;
    p->rng ^= p->rng >> 27;
    return p->rng * 2685821657736338717ULL;
}

static bool sqlstate_retryable(const char *s)
{
    if (s == NULL || strlen(s) != 5)
        return false;
    return strncmp(s, "08", 2) == 0    /* connection exception */
           || strcmp(s, "40001") == 0  /* serialization_failure */
           || strcmp(s, "40P01") == 0  /* deadlock_detected */
           || strcmp(s, "57P01") == 0  /* admin_shutdown */
           || strcmp(s, "57P02") == 0  /* crash_shutdown */
           || strcmp(s, "57P03") == 0; /* cannot_connect_now */
}

bool dbpool_code_retryable(int code)
{
    return code == TD_EBUSY || code == TD_ECLOSED;
}

/* ---- jobs ---- */

dbpool_job_t *dbpool_job_new(unsigned flags)
{
    dbpool_job_t *job = calloc(1, sizeof(*job));
    if (job == NULL)
        return NULL;
    if (flags & (DBPOOL_TX_REPEATABLE_READ | DBPOOL_TX_SERIALIZABLE))
        flags |= DBPOOL_TX;
    job->flags = flags;
    return job;
}

void dbpool_job_free(dbpool_job_t *job)
{
    if (job == NULL)
        return;
    for (size_t i = 0; i < job->ncmds; i++) {
        PQclear(job->cmds[i].result);
        free(job->cmds[i].mem);
    }
    PQclear(job->sync_error);
    free(job->cmds);
    free(job);
}

THIDUA_MUSTCHECK static int job_push(dbpool_job_t *job, const dbcmd_t *cmd)
{
    if (job->ncmds == job->cap) {
        size_t cap = job->cap ? job->cap * 2 : 4;
        dbcmd_t *cmds = realloc(job->cmds, cap * sizeof(*cmds));
        if (cmds == NULL)
            return TD_ENOMEM;
        job->cmds = cmds;
        job->cap = cap;
    }
    job->cmds[job->ncmds++] = *cmd;
    return 0;
}

/* Bytes parameter i takes in the copy, or -1 if the description is invalid. */
static long param_size(const dbpool_stmt_t *st, int i)
{
    if (st->values[i] == NULL)
        return 0;
    if (st->formats != NULL && st->formats[i] == 1) {
        if (st->lengths == NULL || st->lengths[i] < 0)
            return -1;
        return st->lengths[i];
    }
    if (st->formats != NULL && st->formats[i] != 0)
        return -1;
    return (long)strlen(st->values[i]) + 1;
}

int dbpool_job_add(dbpool_job_t *job, const dbpool_stmt_t *st)
{
    if (job == NULL || st == NULL || job->sealed || (st->name == NULL) == (st->sql == NULL))
        return TD_EINVAL;
    if (st->nparams < 0 || st->nparams > 65535 || (st->nparams > 0 && st->values == NULL))
        return TD_EINVAL;
    if (st->result_format != 0 && st->result_format != 1)
        return TD_EINVAL;
    if (st->name != NULL && st->types != NULL)
        return TD_EINVAL; /* a prepared statement's types are fixed by the table */

    /* One block: value pointers, lengths, formats, types, then the bytes. */
    size_t n = (size_t)st->nparams;
    const char *text = st->name ? st->name : st->sql;
    size_t textlen = strlen(text) + 1;
    size_t off_len = n * sizeof(char *);
    size_t off_fmt = off_len + (st->formats ? n * sizeof(int) : 0);
    size_t off_typ = off_fmt + (st->formats ? n * sizeof(int) : 0);
    size_t off_txt = off_typ + (st->types ? n * sizeof(Oid) : 0);
    size_t off_dat = off_txt + textlen;
    size_t total = off_dat;
    for (int i = 0; i < st->nparams; i++) {
        long sz = param_size(st, i);
        if (sz < 0)
            return TD_EINVAL;
        total += (size_t)sz;
    }

    char *mem = malloc(total);
    if (mem == NULL)
        return TD_ENOMEM;
    const char **values = (const char **)(void *)mem;
    int *lengths = st->formats ? (int *)(void *)(mem + off_len) : NULL;
    int *formats = st->formats ? (int *)(void *)(mem + off_fmt) : NULL;
    Oid *types = st->types ? (Oid *)(void *)(mem + off_typ) : NULL;
    char *txt = mem + off_txt;
    char *dat = mem + off_dat;
    memcpy(txt, text, textlen);
    for (int i = 0; i < st->nparams; i++) {
        long sz = param_size(st, i);
        if (formats != NULL) {
            formats[i] = st->formats[i];
            lengths[i] = (int)sz;
        }
        if (types != NULL)
            types[i] = st->types[i];
        if (st->values[i] == NULL) {
            values[i] = NULL;
            continue;
        }
        if (sz > 0)
            memcpy(dat, st->values[i], (size_t)sz);
        values[i] = dat;
        dat += sz;
    }

    dbcmd_t cmd = {
        .kind = CMD_QUERY,
        .name = st->name ? txt : NULL,
        .sql = st->sql ? txt : NULL,
        .nparams = st->nparams,
        .types = types,
        .values = n ? values : NULL,
        .lengths = lengths,
        .formats = formats,
        .result_format = st->result_format,
        .mem = mem,
    };
    if (job_push(job, &cmd) < 0) {
        free(mem);
        return TD_ENOMEM;
    }
    job->nstmts++;
    return 0;
}

int dbpool_job_add_prepared(dbpool_job_t *job, const char *name, int nparams,
                            const char *const *values)
{
    dbpool_stmt_t st = {.name = name, .nparams = nparams, .values = values};
    return dbpool_job_add(job, &st);
}

int dbpool_job_add_sql(dbpool_job_t *job, const char *sql, int nparams, const char *const *values)
{
    dbpool_stmt_t st = {.sql = sql, .nparams = nparams, .values = values};
    return dbpool_job_add(job, &st);
}

size_t dbpool_job_count(const dbpool_job_t *job)
{
    return job->nstmts;
}

const PGresult *dbpool_job_result(const dbpool_job_t *job, size_t i)
{
    if (i >= job->nstmts)
        return NULL;
    return job->cmds[job->first + i].result;
}

PGresult *dbpool_job_take(dbpool_job_t *job, size_t i)
{
    if (i >= job->nstmts)
        return NULL;
    PGresult *r = job->cmds[job->first + i].result;
    job->cmds[job->first + i].result = NULL;
    return r;
}

/* Add the commands that frame the caller's statements: a sync, or for a
 * transaction BEGIN ... sync COMMIT sync (see the comment at the top). */
THIDUA_MUSTCHECK static int job_seal(dbpool_job_t *job)
{
    static const dbcmd_t sync = {.kind = CMD_SYNC};
    if (job->flags & DBPOOL_TX) {
        const char *begin = "BEGIN";
        if (job->flags & DBPOOL_TX_SERIALIZABLE)
            begin = "BEGIN ISOLATION LEVEL SERIALIZABLE";
        else if (job->flags & DBPOOL_TX_REPEATABLE_READ)
            begin = "BEGIN ISOLATION LEVEL REPEATABLE READ";
        dbcmd_t b = {.kind = CMD_QUERY, .sql = begin};
        dbcmd_t commit = {.kind = CMD_QUERY, .sql = "COMMIT"};
        /* Push first (it may grow the array), then rotate BEGIN to the front. */
        if (job_push(job, &b) < 0)
            return TD_ENOMEM;
        memmove(&job->cmds[1], &job->cmds[0], (job->ncmds - 1) * sizeof(dbcmd_t));
        job->cmds[0] = b;
        job->first = 1;
        if (job_push(job, &sync) < 0 || job_push(job, &commit) < 0 || job_push(job, &sync) < 0)
            return TD_ENOMEM;
    } else if (job_push(job, &sync) < 0) {
        return TD_ENOMEM;
    }
    job->sealed = true;
    return 0;
}

static void err_from_result(dbpool_error_t *err, const PGresult *r, int stmt)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (msg == NULL && r != NULL)
        msg = PQresultErrorMessage(r)[0] ? PQresultErrorMessage(r) : PQresStatus(PQresultStatus(r));
    if (msg == NULL)
        msg = "no result from the server";
    err->code = TD_EDB;
    err->message = msg;
    snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", state ? state : "");
    err->retryable = sqlstate_retryable(state);
    err->stmt = stmt;
}

/* Did a completed job succeed? On failure fill err (pointing into the job's
 * results, which live until the callback returns). */
static bool job_failed(const dbpool_job_t *job, dbpool_error_t *err)
{
    bool aborted = false;
    for (size_t i = 0; i < job->ncmds; i++) {
        const dbcmd_t *cmd = &job->cmds[i];
        if (cmd->kind == CMD_SYNC)
            continue;
        int stmt = (i >= job->first && i < job->first + job->nstmts) ? (int)(i - job->first) : -1;
        ExecStatusType st = cmd->result ? PQresultStatus(cmd->result) : PGRES_FATAL_ERROR;
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY)
            continue;
        if (st == PGRES_PIPELINE_ABORTED) {
            aborted = true;
            continue;
        }
        err_from_result(err, cmd->result, stmt);
        return true;
    }
    if (job->sync_error != NULL) {
        err_from_result(err, job->sync_error, -1);
        return true;
    }
    const dbcmd_t *commit = (job->flags & DBPOOL_TX) ? &job->cmds[job->ncmds - 2] : NULL;
    const char *tag = commit && commit->result ? PQcmdStatus(commit->result) : NULL;
    if (aborted || (commit && (tag == NULL || strcmp(tag, "COMMIT") != 0))) {
        *err = (dbpool_error_t){
            .code = TD_EDB, .message = "transaction rolled back", .stmt = -1};
        return true;
    }
    return false;
}

/* Hand a finished job to its caller and free it. Its owner's share is given
 * back first, so that a callback submitting the next job finds room. */
static void job_finish(dbpool_t *p, dbpool_job_t *job, const dbpool_error_t *err)
{
    if (err != NULL)
        p->stats.jobs_failed++;
    else
        p->stats.jobs_done++;
    dbq_release(&p->queue, &job->q);
    job->cb(job, err, job->data);
    dbpool_job_free(job);
}

/* Fail a detached list of jobs (setup jobs are just freed). */
static void jobs_fail(dbpool_t *p, dbpool_job_t *list, int code, const char *msg)
{
    while (list != NULL) {
        dbpool_job_t *job = list;
        list = job->next;
        job->next = NULL;
        if (job->setup) {
            dbpool_job_free(job);
            continue;
        }
        dbpool_error_t err = {.code = code, .message = msg, .retryable = true, .stmt = -1};
        job_finish(p, job, &err);
    }
}

/* ---- the queue ---- */

static void pool_on_queue_timer(uv_timer_t *t);

static void queue_arm(dbpool_t *p)
{
    const dbq_item_t *oldest = dbq_oldest(&p->queue);
    if (oldest == NULL || p->state == POOL_CLOSING)
        return;
    uint64_t now = now_ms();
    uint64_t wait = oldest->deadline_ms > now ? oldest->deadline_ms - now : 0;
    uv_timer_start(&p->qtimer, pool_on_queue_timer, wait, 0);
}

/* Queue a job under its owner; TD_ENOMEM when the owner cannot be made. */
THIDUA_MUSTCHECK static int queue_push(dbpool_t *p, dbpool_job_t *job, const char *owner)
{
    job->next = NULL;
    bool first = p->queue.queued == 0;
    int rc = dbq_push(&p->queue, &job->q, owner, now_ms() + p->queue_timeout_ms);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        char q[160];
        log_warn("db_owner_capped", "owner=%s cap=%u queued=%zu", log_quote(q, sizeof(q), owner),
                 p->queue.cap, p->queue.queued);
    }
    if (first)
        queue_arm(p);
    return 0;
}

/* The next job to send: the owners take turns (dbqueue.h). */
static dbpool_job_t *queue_pop(dbpool_t *p)
{
    dbq_item_t *it = dbq_next(&p->queue);
    return it != NULL ? JOB_OF(it) : NULL;
}

/* Take a waiting job out of the queue (it will not be sent). */
static dbpool_job_t *queue_take(dbpool_t *p, dbq_item_t *it)
{
    dbq_remove(&p->queue, it);
    dbpool_job_t *job = JOB_OF(it);
    job->next = NULL;
    return job;
}

/* Queued jobs that waited too long fail; the client retries later. */
static void pool_on_queue_timer(uv_timer_t *t)
{
    dbpool_t *p = t->data;
    uint64_t now = now_ms();
    char msg[sizeof(p->last_error) + 64];
    if (p->stats.conns_up == 0 && p->last_error[0] != '\0')
        snprintf(msg, sizeof(msg), "no database connection: %s", p->last_error);
    else
        snprintf(msg, sizeof(msg), "timed out waiting for a database connection");
    dbq_item_t *it;
    while ((it = dbq_oldest(&p->queue)) != NULL && it->deadline_ms <= now &&
           p->state != POOL_CLOSING)
        jobs_fail(p, queue_take(p, it), TD_EUNAVAILABLE, msg);
    queue_arm(p);
}

/*
 * The queue is full and owner has a job to queue. Push out the newest job of
 * the owner with the most waiting, if that is another owner with more than
 * this one (its callback runs from the kick, never inside dbpool_submit);
 * false when there is none, and the new job is the one to refuse.
 */
static bool queue_make_room(dbpool_t *p, const char *owner)
{
    dbq_item_t *victim = dbq_victim(&p->queue, owner);
    if (victim == NULL)
        return false;
    char qv[160], qo[160];
    log_warn("db_queue_full", "dropped_owner=%s for_owner=%s queued=%zu",
             log_quote(qv, sizeof(qv), dbq_owner_key(victim)), log_quote(qo, sizeof(qo), owner),
             p->queue.queued);
    dbpool_job_t *job = queue_take(p, victim);
    job->next = p->dropped;
    p->dropped = job;
    p->stats.jobs_dropped++;
    uv_idle_start(&p->kick, pool_on_kick);
    return true;
}

/* ---- connections ---- */

static void conn_on_poll(uv_poll_t *h, int status, int events);

static void pool_free(dbpool_t *p)
{
    for (size_t i = 0; i < p->nprepared; i++) {
        free((char *)p->prepared[i].name);
        free((char *)p->prepared[i].sql);
        free((Oid *)p->prepared[i].types);
    }
    free(p->prepared);
    free(p->conninfo);
    free(p->app_name);
    free(p->conns);
    dbq_free(&p->queue);
    free(p);
}

static void pool_handle_closed(dbpool_t *p)
{
    if (--p->handles_open > 0 || p->state != POOL_CLOSING)
        return;
    dbpool_close_cb cb = p->close_cb;
    void *data = p->close_data;
    pool_free(p);
    log_info("db_pool_closed", NULL);
    if (cb != NULL)
        cb(data);
}

static void on_pool_handle_closed(uv_handle_t *h)
{
    pool_handle_closed(h->data);
}

static void on_conn_timer_closed(uv_handle_t *h)
{
    dbconn_t *c = h->data;
    pool_handle_closed(c->pool);
}

static void on_poll_closed(uv_handle_t *h)
{
    dbconn_t *c = h->data;
    free(h);
    pool_handle_closed(c->pool);
}

/* Close the poll handle (before the socket goes away, as libuv requires). */
static void conn_unwatch(dbconn_t *c)
{
    if (c->poll == NULL)
        return;
    uv_close((uv_handle_t *)c->poll, on_poll_closed);
    c->poll = NULL;
    c->poll_events = 0;
}

/*
 * Watch PQsocket() for events. libpq may replace the socket during
 * PQconnectPoll (another host, SSL fallback): a handle follows one fd, so a
 * new fd gets a new handle, and the old one is closed first because libuv
 * refuses two handles on one fd (UV_EEXIST).
 */
THIDUA_MUSTCHECK static int conn_watch(dbconn_t *c, int events)
{
    int fd = PQsocket(c->pg);
    if (fd < 0)
        return UV_EBADF;
    if (c->poll != NULL && c->poll_fd != fd) {
        log_debug("db_socket_changed", "conn=%u old_fd=%d fd=%d", c->id, c->poll_fd, fd);
        conn_unwatch(c);
    }
    if (c->poll == NULL) {
        uv_poll_t *h = malloc(sizeof(*h));
        if (h == NULL)
            return UV_ENOMEM;
        int rc = uv_poll_init_socket(c->pool->loop, h, fd);
        if (rc < 0) {
            free(h);
            return rc;
        }
        h->data = c;
        c->pool->handles_open++;
        c->poll = h;
        c->poll_fd = fd;
        c->poll_events = 0;
    }
    if (events == c->poll_events)
        return 0;
    int rc = uv_poll_start(c->poll, events, conn_on_poll);
    if (rc < 0)
        return rc;
    c->poll_events = events;
    return 0;
}

/* Push buffered output; watch UV_WRITABLE only while libpq has some left. */
THIDUA_MUSTCHECK static int conn_flush(dbconn_t *c)
{
    int r = PQflush(c->pg);
    if (r < 0)
        return -1;
    c->want_write = r == 1;
    c->dirty = false;
    return conn_watch(c, UV_READABLE | (c->want_write ? UV_WRITABLE : 0)) < 0 ? -1 : 0;
}

/* Queue a job's commands in libpq's output buffer. The job joins the
 * in-flight list first, so a failure here fails it with the connection. */
THIDUA_MUSTCHECK static int conn_send(dbconn_t *c, dbpool_job_t *job)
{
    job->next = NULL;
    if (c->tail)
        c->tail->next = job;
    else
        c->head = job;
    c->tail = job;
    if (!job->setup) {
        c->inflight++;
        c->pool->inflight++;
    }
    c->dirty = true;
    for (size_t i = 0; i < job->ncmds; i++) {
        const dbcmd_t *cmd = &job->cmds[i];
        int ok = 0;
        switch (cmd->kind) {
        case CMD_QUERY:
            if (cmd->name != NULL)
                ok = PQsendQueryPrepared(c->pg, cmd->name, cmd->nparams, cmd->values, cmd->lengths,
                                         cmd->formats, cmd->result_format);
            else
                ok = PQsendQueryParams(c->pg, cmd->sql, cmd->nparams, cmd->types, cmd->values,
                                       cmd->lengths, cmd->formats, cmd->result_format);
            break;
        case CMD_PREPARE:
            ok = PQsendPrepare(c->pg, cmd->name, cmd->sql, cmd->nparams, cmd->types);
            break;
        case CMD_SYNC:
            ok = PQpipelineSync(c->pg);
            break;
        }
        if (!ok)
            return -1;
    }
    return 0;
}

static void conn_on_notice(void *arg, const PGresult *r)
{
    const dbconn_t *c = arg;
    const char *sev = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const char *text = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    log_level_t level = LOG_DEBUG;
    if (sev != NULL && strcmp(sev, "WARNING") == 0)
        level = LOG_WARN;
    else if (sev != NULL && (strcmp(sev, "NOTICE") == 0 || strcmp(sev, "INFO") == 0))
        level = LOG_INFO;
    if (level > log_get_level())
        return;
    char folded[512], quoted[600];
    msg_fold(folded, sizeof(folded), text);
    log_event(level, "db_notice", "conn=%u severity=%s sqlstate=%s message=%s", c->id,
              sev ? sev : "?", state ? state : "?", log_quote(quoted, sizeof(quoted), folded));
}

static void conn_on_backoff(uv_timer_t *t);
static void conn_on_connect_timeout(uv_timer_t *t);

static void conn_connect(dbconn_t *c)
{
    dbpool_t *p = c->pool;
    p->stats.connect_attempts++;
    c->state = CONN_CONNECTING;
    c->pg = PQconnectStartParams(p->kw, p->vals, 1);
    if (c->pg == NULL) {
        conn_down(c, "out of memory");
        return;
    }
    if (PQstatus(c->pg) == CONNECTION_BAD) {
        conn_down(c, PQerrorMessage(c->pg));
        return;
    }
    PQsetNoticeReceiver(c->pg, conn_on_notice, c);
    if (p->connect_timeout_ms > 0)
        uv_timer_start(&c->timer, conn_on_connect_timeout, p->connect_timeout_ms, 0);
    /* Per the libpq manual, start as if PQconnectPoll had said "writing". */
    int rc = conn_watch(c, UV_WRITABLE);
    if (rc < 0)
        conn_down(c, uv_strerror(rc));
}

static void conn_on_backoff(uv_timer_t *t)
{
    conn_connect(t->data);
}

static void conn_on_connect_timeout(uv_timer_t *t)
{
    dbconn_t *c = t->data;
    char msg[64];
    snprintf(msg, sizeof(msg), "timeout expired after %u ms", c->pool->connect_timeout_ms);
    conn_down(c, msg);
}

/* Delay before the next attempt: min doubling up to max, halved by jitter at
 * most, so that many servers restarting together do not reconnect in step. */
static unsigned conn_backoff(dbconn_t *c)
{
    dbpool_t *p = c->pool;
    uint64_t base = p->backoff_min_ms;
    for (unsigned k = 0; k < c->failures && base < p->backoff_max_ms; k++)
        base *= 2;
    if (base > p->backoff_max_ms)
        base = p->backoff_max_ms;
    uint64_t half = base / 2;
    return (unsigned)(half + pool_rand(p) % (base - half + 1));
}

/*
 * The connection failed or broke. Free it, fail what was in flight on it
 * (retryable: the outcome is unknown, which the idempotent push protocol
 * tolerates) and schedule the next attempt.
 */
static void conn_down(dbconn_t *c, const char *why)
{
    dbpool_t *p = c->pool;
    char msg[sizeof(p->last_error)], quoted[sizeof(msg) + 64];
    char host[128] = "", port[64] = "";
    msg_fold(msg, sizeof(msg), why);
    if (c->pg != NULL) {
        snprintf(host, sizeof(host), "%s", PQhost(c->pg) ? PQhost(c->pg) : "");
        snprintf(port, sizeof(port), "%s", PQport(c->pg) ? PQport(c->pg) : "");
    }
    conn_state_t was = c->state;

    uv_timer_stop(&c->timer);
    conn_unwatch(c);
    if (c->pg != NULL) {
        PQfinish(c->pg);
        c->pg = NULL;
    }
    dbpool_job_t *jobs = c->head;
    unsigned lost = c->inflight;
    c->head = c->tail = NULL;
    p->inflight -= c->inflight;
    c->inflight = 0;
    c->state = CONN_DOWN;
    c->want_write = c->dirty = false;
    snprintf(p->last_error, sizeof(p->last_error), "%s", msg);

    unsigned delay = 0;
    if (p->state != POOL_CLOSING) {
        delay = conn_backoff(c);
        uv_timer_start(&c->timer, conn_on_backoff, delay, 0);
    }
    if (c->failures < 64)
        c->failures++;
    log_quote(quoted, sizeof(quoted), msg);
    if (was == CONN_READY) {
        p->stats.disconnects++;
        p->stats.conns_up--;
        log_warn("db_disconnected", "conn=%u inflight=%u retry_ms=%u error=%s", c->id, lost, delay,
                 quoted);
    } else {
        char qhost[160];
        log_warn("db_connect_failed", "conn=%u host=%s port=%s attempt=%u retry_ms=%u error=%s",
                 c->id, log_quote(qhost, sizeof(qhost), host[0] ? host : "default"),
                 port[0] ? port : "default", c->failures, delay, quoted);
    }

    char jobmsg[sizeof(msg) + 64];
    snprintf(jobmsg, sizeof(jobmsg), "database connection lost: %s", msg);
    jobs_fail(p, jobs, TD_ELOST, jobmsg);
}

static void conn_lost(dbconn_t *c)
{
    conn_down(c, c->pg ? PQerrorMessage(c->pg) : "connection lost");
}

static void conn_ready(dbconn_t *c)
{
    dbpool_t *p = c->pool;
    char h[300], d[150], u[150];
    c->state = CONN_READY;
    c->failures = 0;
    p->stats.connects++;
    p->stats.conns_up++;
    log_info("db_connected", "conn=%u host=%s port=%s db=%s user=%s server_version=%d pid=%d",
             c->id, log_quote(h, sizeof(h), PQhost(c->pg)), PQport(c->pg) ? PQport(c->pg) : "",
             log_quote(d, sizeof(d), PQdb(c->pg)), log_quote(u, sizeof(u), PQuser(c->pg)),
             PQserverVersion(c->pg), PQbackendPID(c->pg));
}

/* The setup job (SET, PREPAREs) answered: the connection is ready, or the
 * table has a bad statement, which is worth a loud log and a slow retry. */
static void conn_setup_done(dbconn_t *c, dbpool_job_t *job)
{
    for (size_t i = 0; i < job->ncmds; i++) {
        const dbcmd_t *cmd = &job->cmds[i];
        if (cmd->kind == CMD_SYNC)
            continue;
        ExecStatusType st = cmd->result ? PQresultStatus(cmd->result) : PGRES_FATAL_ERROR;
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
            continue;
        char msg[400];
        snprintf(msg, sizeof(msg), "connection setup failed at %s %s: %s",
                 cmd->kind == CMD_PREPARE ? "prepare" : "statement",
                 cmd->kind == CMD_PREPARE ? cmd->name : "set_config",
                 cmd->result ? PQresultErrorMessage(cmd->result) : "no result");
        dbpool_job_free(job);
        conn_down(c, msg);
        return;
    }
    dbpool_job_free(job);
    conn_ready(c);
}

/* A job's last sync arrived: take it off the list and report it. */
static void conn_complete(dbconn_t *c, dbpool_job_t *job)
{
    dbpool_t *p = c->pool;
    c->head = job->next;
    if (c->head == NULL)
        c->tail = NULL;
    job->next = NULL;
    if (job->setup) {
        conn_setup_done(c, job);
        return;
    }
    c->inflight--;
    p->inflight--;
    dbpool_error_t err;
    bool failed = job_failed(job, &err);
    job_finish(p, job, failed ? &err : NULL);
    if (p->state == POOL_DRAINING && p->queue.queued == 0 && p->inflight == 0)
        uv_idle_start(&p->kick, pool_on_kick);
}

/*
 * Take every result libpq has parsed and give it to the job it belongs to.
 * Returns the number of jobs completed, or -1 if the stream is out of step.
 */
static int conn_drain(dbconn_t *c)
{
    int done = 0;
    bool last_null = false;
    while (c->head != NULL && c->state >= CONN_SETUP) {
        if (PQisBusy(c->pg))
            break;
        PGresult *r = PQgetResult(c->pg);
        dbpool_job_t *job = c->head;
        dbcmd_t *cmd = &job->cmds[job->pos];
        if (r == NULL) {
            /* The end of one query's results; twice in a row means nothing is
             * left to parse (e.g. a broken connection), so stop spinning. */
            if (last_null)
                break;
            last_null = true;
            if (cmd->kind != CMD_SYNC && cmd->result != NULL)
                job->pos++;
            continue;
        }
        last_null = false;
        if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            if (cmd->kind != CMD_SYNC)
                return -1;
            if (++job->pos == job->ncmds) {
                conn_complete(c, job);
                done++;
            }
            continue;
        }
        if (cmd->kind == CMD_SYNC) {
            /* An error raised at the sync itself: the implicit commit failed
             * (a deferred constraint, a serialization failure). */
            if (job->sync_error == NULL)
                job->sync_error = r;
            else
                PQclear(r);
            continue;
        }
        if (cmd->result == NULL)
            cmd->result = r;
        else
            PQclear(r); /* one result per extended-protocol query; be safe */
    }
    return done;
}

/* Readable/writable on a connected socket. */
static void conn_io(dbconn_t *c, int events)
{
    int consumed = 1;
    if (events & UV_READABLE) {
        consumed = PQconsumeInput(c->pg);
        /* Nobody LISTENs here, but a stray LISTEN must not grow memory. */
        for (PGnotify *n; (n = PQnotifies(c->pg)) != NULL;)
            PQfreemem(n);
    }
    for (;;) {
        /* Drain even after a failed read: complete jobs may sit in the buffer. */
        int n = conn_drain(c);
        if (c->state < CONN_SETUP)
            return; /* the setup failed and took the connection down */
        if (n < 0 || !consumed || PQstatus(c->pg) == CONNECTION_BAD) {
            conn_lost(c);
            return;
        }
        pool_dispatch(c->pool);
        if (c->state < CONN_SETUP)
            return;
        if (conn_flush(c) < 0) {
            conn_lost(c);
            return;
        }
        /* A flush that could not finish may have read input (libpq does, to
         * avoid a deadlock with a server blocked on its own writes). */
        if (n == 0 || !c->want_write)
            return;
    }
}

static void conn_connected(dbconn_t *c)
{
    dbpool_t *p = c->pool;
    uv_timer_stop(&c->timer);
    if (PQsetnonblocking(c->pg, 1) != 0 || PQenterPipelineMode(c->pg) != 1) {
        conn_lost(c);
        return;
    }
    dbpool_job_t *job = dbpool_job_new(0);
    if (job == NULL) {
        conn_down(c, "out of memory");
        return;
    }
    job->setup = true;
    int rc = 0;
    if (p->statement_timeout_ms > 0) {
        char timeout[32];
        snprintf(timeout, sizeof(timeout), "%ums", p->statement_timeout_ms);
        const char *v[1] = {timeout};
        rc = dbpool_job_add_sql(job, "SELECT pg_catalog.set_config('statement_timeout', $1, false)",
                                1, v);
    }
    for (size_t i = 0; rc == 0 && i < p->nprepared; i++) {
        const dbpool_prepared_t *ps = &p->prepared[i];
        dbcmd_t cmd = {.kind = CMD_PREPARE,
                       .name = ps->name,
                       .sql = ps->sql,
                       .nparams = ps->types ? ps->nparams : 0,
                       .types = ps->types};
        rc = job_push(job, &cmd);
    }
    if (rc == 0)
        rc = job_seal(job);
    if (rc != 0) {
        dbpool_job_free(job);
        conn_down(c, "out of memory");
        return;
    }
    c->state = CONN_SETUP;
    if (conn_send(c, job) < 0 || conn_flush(c) < 0)
        conn_lost(c);
}

/* One PQconnectPoll step. The poll handle is stopped around it because the
 * socket may change inside (see conn_watch). */
static void conn_connect_step(dbconn_t *c)
{
    uv_poll_stop(c->poll);
    c->poll_events = 0;
    int rc;
    switch (PQconnectPoll(c->pg)) {
    case PGRES_POLLING_READING:
        rc = conn_watch(c, UV_READABLE);
        break;
    case PGRES_POLLING_WRITING:
        rc = conn_watch(c, UV_WRITABLE);
        break;
    case PGRES_POLLING_OK:
        conn_connected(c);
        return;
    default:
        conn_down(c, PQerrorMessage(c->pg));
        return;
    }
    if (rc < 0)
        conn_down(c, uv_strerror(rc));
}

static void conn_on_poll(uv_poll_t *h, int status, int events)
{
    dbconn_t *c = h->data;
    if (status < 0) {
        /*
         * libuv reports POLLERR (a refused connect, a reset) as UV_EBADF and
         * stops the handle. libpq can tell what really happened, so let it
         * look at the socket before giving up with libuv's vaguer reason.
         */
        c->poll_events = 0;
        if (c->state == CONN_CONNECTING) {
            conn_connect_step(c);
            return;
        }
        conn_io(c, UV_READABLE);
        if (c->state >= CONN_SETUP)
            conn_down(c, uv_strerror(status));
        return;
    }
    if (c->state == CONN_CONNECTING)
        conn_connect_step(c);
    else if (c->state >= CONN_SETUP)
        conn_io(c, events);
}

/* ---- the pool ---- */

/*
 * Send queued jobs to ready connections, least loaded first, then flush. The
 * queue says whose job goes next (owners in turn, each under its cap), so
 * with the cap at the pool's size an owner's jobs spread one to a
 * connection, and another owner's job waits behind at most one of them.
 */
static void pool_dispatch(dbpool_t *p)
{
    while (p->queue.queued > 0 && p->state != POOL_CLOSING) {
        dbconn_t *best = NULL;
        for (unsigned i = 0; i < p->nconns; i++) {
            dbconn_t *c = &p->conns[i];
            if (c->state == CONN_READY && c->inflight < p->depth &&
                (best == NULL || c->inflight < best->inflight))
                best = c;
        }
        dbpool_job_t *job = best != NULL ? queue_pop(p) : NULL;
        if (job == NULL)
            break; /* no room, or every owner waiting is at its cap */
        if (conn_send(best, job) < 0)
            conn_lost(best);
    }
    for (unsigned i = 0; i < p->nconns; i++) {
        dbconn_t *c = &p->conns[i];
        if (c->dirty && c->state >= CONN_SETUP && conn_flush(c) < 0)
            conn_lost(c);
    }
}

static void pool_on_kick(uv_idle_t *h)
{
    dbpool_t *p = h->data;
    uv_idle_stop(h);
    dbpool_job_t *dropped = p->dropped;
    p->dropped = NULL;
    jobs_fail(p, dropped, TD_EBUSY, "the database queue is full: the server is busy");
    if (p->state == POOL_DRAINING && (p->close_now || (p->queue.queued == 0 && p->inflight == 0))) {
        pool_teardown(p);
        return;
    }
    pool_dispatch(p);
}

static void pool_on_close_timeout(uv_timer_t *t)
{
    pool_teardown(t->data);
}

/* Close everything; the pool is freed when the last handle is closed. */
static void pool_teardown(dbpool_t *p)
{
    if (p->state == POOL_CLOSING)
        return;
    p->state = POOL_CLOSING;
    uv_close((uv_handle_t *)&p->kick, on_pool_handle_closed);
    uv_close((uv_handle_t *)&p->qtimer, on_pool_handle_closed);
    uv_close((uv_handle_t *)&p->ctimer, on_pool_handle_closed);

    /* Detach every job first: the callbacks run once nothing is left to touch. */
    dbpool_job_t *failed = NULL, **tail = &failed;
    for (unsigned i = 0; i < p->nconns; i++) {
        dbconn_t *c = &p->conns[i];
        uv_close((uv_handle_t *)&c->timer, on_conn_timer_closed);
        conn_unwatch(c);
        if (c->pg != NULL) {
            PQfinish(c->pg);
            c->pg = NULL;
        }
        if (c->state == CONN_READY)
            p->stats.conns_up--;
        c->state = CONN_DOWN;
        *tail = c->head;
        while (*tail != NULL)
            tail = &(*tail)->next;
        c->head = c->tail = NULL;
        c->inflight = 0;
    }
    for (dbq_item_t *it; (it = dbq_oldest(&p->queue)) != NULL;) {
        *tail = queue_take(p, it);
        tail = &(*tail)->next;
    }
    *tail = p->dropped;
    p->dropped = NULL;
    p->inflight = 0;
    jobs_fail(p, failed, TD_ECLOSED, "database pool closed before the job finished");
}

int dbpool_close(dbpool_t *p, dbpool_close_cb cb, void *data)
{
    if (p == NULL || p->state != POOL_OPEN)
        return TD_ECLOSED;
    p->state = POOL_DRAINING;
    p->close_cb = cb;
    p->close_data = data;
    log_info("db_pool_closing", "queued=%zu inflight=%zu timeout_ms=%u", p->queue.queued,
             p->inflight, p->close_timeout_ms);
    if (p->close_timeout_ms == 0)
        p->close_now = true;
    else
        uv_timer_start(&p->ctimer, pool_on_close_timeout, p->close_timeout_ms, 0);
    /* Teardown, if due now, happens from the kick, never inside the caller. */
    uv_idle_start(&p->kick, pool_on_kick);
    return 0;
}

static const dbpool_prepared_t *pool_find_prepared(const dbpool_t *p, const char *name)
{
    for (size_t i = 0; i < p->nprepared; i++) {
        if (strcmp(p->prepared[i].name, name) == 0)
            return &p->prepared[i];
    }
    return NULL;
}

/* A job the pool cannot run: no statements, sealed, or an unknown prepared name or count. */
static bool job_invalid(const dbpool_t *p, const dbpool_job_t *job)
{
    if (job->nstmts == 0 || job->sealed)
        return true;
    for (size_t i = 0; i < job->nstmts; i++) {
        const dbcmd_t *cmd = &job->cmds[i];
        if (cmd->name == NULL)
            continue;
        const dbpool_prepared_t *ps = pool_find_prepared(p, cmd->name);
        if (ps == NULL || ps->nparams != cmd->nparams)
            return true;
    }
    return false;
}

/* Why a job cannot be queued now, or 0; on a refusal the caller frees the job. */
static int submit_refusal(dbpool_t *p, dbpool_job_t *job, const char *owner, dbpool_job_cb cb)
{
    if (p == NULL || cb == NULL || job_invalid(p, job))
        return TD_EINVAL;
    if (p->state != POOL_OPEN) {
        p->stats.jobs_rejected++;
        return TD_ECLOSED;
    }
    if (p->queue.queued >= p->queue_max && !queue_make_room(p, owner)) {
        p->stats.jobs_rejected++;
        return TD_EBUSY;
    }
    return job_seal(job) < 0 ? TD_ENOMEM : 0;
}

int dbpool_submit_as(dbpool_t *p, dbpool_job_t *job, const char *owner, dbpool_job_cb cb,
                     void *data)
{
    if (job == NULL)
        return TD_EINVAL;
    if (owner == NULL)
        owner = "";
    int rc = submit_refusal(p, job, owner, cb);
    if (rc == 0) {
        job->cb = cb;
        job->data = data;
        rc = queue_push(p, job, owner);
    }
    if (rc != 0) {
        dbpool_job_free(job);
        return rc;
    }
    uv_idle_start(&p->kick, pool_on_kick);
    return 0;
}

int dbpool_submit(dbpool_t *p, dbpool_job_t *job, dbpool_job_cb cb, void *data)
{
    return dbpool_submit_as(p, job, "", cb, data);
}

void dbpool_stats(const dbpool_t *p, dbpool_stats_t *out)
{
    *out = p->stats;
    out->conns = p->nconns;
    out->conns_busy = 0;
    for (unsigned i = 0; i < p->nconns; i++) {
        if (p->conns[i].state == CONN_READY && p->conns[i].inflight > 0)
            out->conns_busy++;
    }
    out->owner_cap = p->queue.cap;
    out->queued = p->queue.queued;
    out->owners = p->queue.owners;
    out->owners_capped = dbq_owners_capped(&p->queue);
    out->jobs_capped = p->queue.capped;
    out->inflight = p->inflight;
}

void dbpool_config_init(dbpool_config_t *cfg)
{
    *cfg = (dbpool_config_t){
        .conninfo = "",
        .application_name = "thiduad",
        .size = 4,
        .pipeline_depth = 16,
        .queue_max = 10000,
        .queue_timeout_ms = 5000,
        .statement_timeout_ms = 30000,
        .connect_timeout_ms = 10000,
        .backoff_min_ms = 100,
        .backoff_max_ms = 5000,
        .close_timeout_ms = 5000,
        .owner_max_inflight = 0,
    };
}

static bool host_needs_dns(const char *h, size_t len)
{
    char buf[256];
    if (len == 0 || h[0] == '/' || h[0] == '@' || len >= sizeof(buf))
        return false;
    memcpy(buf, h, len);
    buf[len] = '\0';
    unsigned char addr[16];
    if (inet_pton(AF_INET, buf, addr) == 1 || inet_pton(AF_INET6, buf, addr) == 1)
        return false;
    return strcmp(buf, "localhost") != 0;
}

/*
 * PQconnectStart resolves a host name with the blocking getaddrinfo(), on the
 * loop's thread, at every reconnect. Say so at start when the configuration
 * (conninfo or PGHOST) names a host without a hostaddr.
 */
static void pool_warn_dns(const char *conninfo)
{
    PQconninfoOption *opts = conninfo[0] ? PQconninfoParse(conninfo, NULL) : NULL;
    const char *host = NULL, *hostaddr = NULL;
    for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++) {
        if (strcmp(o->keyword, "host") == 0)
            host = o->val;
        else if (strcmp(o->keyword, "hostaddr") == 0)
            hostaddr = o->val;
    }
    if (host == NULL || host[0] == '\0')
        host = getenv("PGHOST");
    if (hostaddr == NULL || hostaddr[0] == '\0')
        hostaddr = getenv("PGHOSTADDR");
    if (host != NULL && (hostaddr == NULL || hostaddr[0] == '\0')) {
        for (const char *h = host; *h;) {
            size_t len = strcspn(h, ",");
            if (host_needs_dns(h, len)) {
                char q[300];
                log_warn("db_blocking_dns",
                         "host=%s hint=\"use hostaddr= or a Unix socket: "
                         "host names are resolved with blocking DNS on the event loop\"",
                         log_quote(q, sizeof(q), host));
                break;
            }
            h += len + (h[len] == ',');
        }
    }
    PQconninfoFree(opts);
}

static bool config_valid(const dbpool_config_t *cfg)
{
    if (cfg->conninfo == NULL || cfg->size == 0 || cfg->size > 1000 || cfg->pipeline_depth == 0 ||
        cfg->backoff_min_ms == 0 || cfg->backoff_max_ms < cfg->backoff_min_ms)
        return false;
    if (cfg->nprepared > 0 && cfg->prepared == NULL)
        return false;
    for (size_t i = 0; i < cfg->nprepared; i++) {
        const dbpool_prepared_t *ps = &cfg->prepared[i];
        if (ps->name == NULL || ps->name[0] == '\0' || ps->sql == NULL || ps->nparams < 0 ||
            ps->nparams > 65535)
            return false;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(cfg->prepared[j].name, ps->name) == 0)
                return false;
        }
    }
    /* A conninfo with '=' or a URI must parse; a bare word is a database name. */
    const char *ci = cfg->conninfo;
    if (strchr(ci, '=') != NULL || strncmp(ci, "postgres://", 11) == 0 ||
        strncmp(ci, "postgresql://", 13) == 0) {
        char *err = NULL;
        PQconninfoOption *opts = PQconninfoParse(ci, &err);
        if (opts == NULL) {
            char folded[300], q[400];
            msg_fold(folded, sizeof(folded), err ? err : "out of memory");
            log_error("db_bad_conninfo", "error=%s", log_quote(q, sizeof(q), folded));
            PQfreemem(err);
            return false;
        }
        PQconninfoFree(opts);
    }
    return true;
}

static char *str_dup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

static int pool_copy_prepared(dbpool_t *p, const dbpool_config_t *cfg)
{
    if (cfg->nprepared == 0)
        return 0;
    p->prepared = calloc(cfg->nprepared, sizeof(*p->prepared));
    if (p->prepared == NULL)
        return TD_ENOMEM;
    p->nprepared = cfg->nprepared;
    for (size_t i = 0; i < cfg->nprepared; i++) {
        const dbpool_prepared_t *src = &cfg->prepared[i];
        dbpool_prepared_t *dst = &p->prepared[i];
        dst->nparams = src->nparams;
        dst->name = str_dup(src->name);
        dst->sql = str_dup(src->sql);
        if (dst->name == NULL || dst->sql == NULL)
            return TD_ENOMEM;
        if (src->types != NULL && src->nparams > 0) {
            Oid *t = malloc((size_t)src->nparams * sizeof(Oid));
            if (t == NULL)
                return TD_ENOMEM;
            memcpy(t, src->types, (size_t)src->nparams * sizeof(Oid));
            dst->types = t;
        }
    }
    return 0;
}

dbpool_t *dbpool_new(uv_loop_t *loop, const dbpool_config_t *cfg)
{
    if (loop == NULL || cfg == NULL || !config_valid(cfg)) {
        log_error("db_pool_config", "error=\"invalid database pool configuration\"");
        return NULL;
    }
    dbpool_t *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    p->loop = loop;
    p->depth = cfg->pipeline_depth;
    p->queue_max = cfg->queue_max;
    p->queue_timeout_ms = cfg->queue_timeout_ms;
    p->statement_timeout_ms = cfg->statement_timeout_ms;
    p->connect_timeout_ms = cfg->connect_timeout_ms;
    p->backoff_min_ms = cfg->backoff_min_ms;
    p->backoff_max_ms = cfg->backoff_max_ms;
    p->close_timeout_ms = cfg->close_timeout_ms;
    p->nconns = cfg->size;
    dbq_init(&p->queue, cfg->owner_max_inflight);
    p->conninfo = str_dup(cfg->conninfo);
    p->app_name = str_dup(cfg->application_name ? cfg->application_name : "thiduad");
    p->conns = calloc(cfg->size, sizeof(*p->conns));
    if (p->conninfo == NULL || p->app_name == NULL || p->conns == NULL ||
        pool_copy_prepared(p, cfg) < 0) {
        pool_free(p); /* nothing is on the loop yet */
        return NULL;
    }
    p->rng = uv_hrtime() ^ (uint64_t)(uintptr_t)p ^ 0x9E3779B97F4A7C15ULL;
    if (p->rng == 0)
        p->rng = 1;

    /*
     * The conninfo is expanded in place of dbname, so PGHOST, PGSERVICE and
     * friends fill whatever it leaves out. fallback_application_name yields to
     * the conninfo's application_name; client_encoding comes last so that
     * nothing can override UTF8, which every text column relies on.
     */
    p->kw[0] = "dbname";
    p->vals[0] = p->conninfo;
    p->kw[1] = "fallback_application_name";
    p->vals[1] = p->app_name;
    p->kw[2] = "client_encoding";
    p->vals[2] = "UTF8";
    p->kw[3] = NULL;
    p->vals[3] = NULL;

    uv_idle_init(loop, &p->kick);
    uv_timer_init(loop, &p->qtimer);
    uv_timer_init(loop, &p->ctimer);
    p->kick.data = p->qtimer.data = p->ctimer.data = p;
    p->handles_open = 3;
    for (unsigned i = 0; i < p->nconns; i++) {
        dbconn_t *c = &p->conns[i];
        c->pool = p;
        c->id = i + 1;
        c->poll_fd = -1;
        uv_timer_init(loop, &c->timer);
        c->timer.data = c;
        p->handles_open++;
    }
    p->stats.conns = p->nconns;

    pool_warn_dns(p->conninfo);
    log_info("db_pool_start", "size=%u depth=%u queue_max=%u owner_max_inflight=%u statements=%zu",
             p->nconns, p->depth, p->queue_max, p->queue.cap, p->nprepared);
    for (unsigned i = 0; i < p->nconns; i++)
        conn_connect(&p->conns[i]);
    return p;
}
