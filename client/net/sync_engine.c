/*
 * sync_engine.c - the synchronisation engine: push the outbox, pull the feed, and
 * try again after a pause when the network or the server lets us down.
 *
 * One attempt is one connection: Hello/Welcome (saved for offline
 * validation), then the outbox in pages of `batch` records, several pushes in
 * flight, then pull pages until has_more is false. Each answer is applied to
 * the store as it arrives, inside the rpc callback, in one store transaction
 * (acks) or with its cursor (pages), so whatever happens next, the store
 * says exactly what the server has and has not confirmed.
 *
 * Two rules keep the pipelining honest:
 * - The server may run the pushes of one connection in parallel (one
 *   database connection each), so two revisions of one record must never be
 *   in flight in two different pushes: revision 2 could commit first and
 *   revision 1 would be refused as STALE, leaving a hole in the server's
 *   history. Each push in flight remembers the records it carries (as
 *   sorted 64-bit hashes of their ids), and a push holding an edit
 *   (revision > 1) of one of them waits until that push is answered. Within
 *   one push the server takes a record's revisions in order. A hash
 *   collision only costs a needless wait.
 * - A push must fit in one frame (Welcome.limits.max_frame): a page is cut
 *   into as many pushes as its records' sizes require.
 *
 * Failures are sorted into "try again" (the connection broke, the server is
 * busy or stopping) and "stop" (refused certificate, a server error that
 * will not go away, the local store failing). A retried attempt starts from
 * the top; the store's outbox and cursor make that cheap and exact.
 *
 * The outbox and the cursor are promises about one history of the
 * province's database. A restore from a backup breaks them: the cursor may
 * point past the restored feed (changes numbered again there would never be
 * pulled) and revisions acknowledged after the backup are gone. Two signs
 * say so, and either makes the store start over (store_resync: cursor 0,
 * every record's latest revision queued again) before the run goes on:
 * - Welcome.database_epoch differs from the last one stored
 *   (store_welcome_accept compares and resyncs in one transaction, before
 *   anything is pushed);
 * - a pull answers cursor_ahead (the cursor is past the feed's last
 *   position): after the resync the attempt pushes again and pulls from 0.
 *   This covers an office whose last Welcome had no epoch, and a restore
 *   made under a running server.
 * Once per run at most for the second: a server that says it of cursor 0,
 * or again after the resync, is broken, and the run stops.
 */
#include "sync_engine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "i18n.h"
#include "rpc.h"

/* Internal result of an attempt: it failed in a way worth trying again. */
#define SYNC_RETRY 1

/* Room in a frame for the envelope around the records (request id, tags, lengths). */
#define SYNC_FRAME_SLACK 64
/* Room per record inside a PushRequest: the field tag and a length varint. */
#define SYNC_RECORD_SLACK 6
/* The frame limit when the server does not say (docs/protocol.md). */
#define SYNC_DEFAULT_MAX_FRAME (4u * 1024 * 1024)

/*
 * The state of one run. Lives on sync_run's stack; owns the connection of
 * the current attempt (rpc, open between rpc_open and rpc_close).
 */
typedef struct sync {
    store_t *st;                /* borrowed */
    const client_config_t *cfg; /* borrowed */
    sync_options_t opt;         /* with defaults filled in */
    sync_stats_t *stats;        /* borrowed: the caller's */
    rpc_t rpc;

    /* This attempt's limits: the options lowered to the server's. */
    uint32_t batch;
    uint32_t window;
    size_t frame_budget; /* bytes of records one push may carry */

    /* Pushes in flight, oldest first: how many records each carries and which. */
    struct {
        uint32_t n;
        uint64_t *keys; /* owned: the records' id hashes, sorted */
    } ring[SYNC_MAX_IN_FLIGHT];
    size_t ring_head, ring_len;

    /* The first failure of this attempt: 0, SYNC_RETRY or a TD_E* code. */
    int fail;
    char why[512];
    bool too_large;       /* the server refused a push as too large */
    uint32_t too_large_n; /* the size of the smallest push it refused */
    bool progressed;      /* this attempt moved the outbox or the cursor */
    bool cursor_ahead;    /* the last pull answered cursor_ahead (nothing was stored) */
    bool ahead_resynced;  /* this run has started over on cursor_ahead already */
    uint32_t rng;         /* jitter */
} sync_t;

/* --- time ------------------------------------------------------------------ */

static int64_t sync_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t sync_mono_ms(void)
{
    return uv_hrtime() / 1000000u;
}

static void sync_sleep_ms(uint64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* --- failures -------------------------------------------------------------- */

static void sync_fail(sync_t *s, int code, const char *fmt, ...) THIDUA_PRINTF(3, 4);

/*
 * Remember why this attempt failed. The first reason wins, except that a
 * reason to stop outranks a reason to try again (a store failure seen while
 * the connection also broke must not be retried in a loop).
 */
static void sync_fail(sync_t *s, int code, const char *fmt, ...)
{
    if (s->fail != 0 && !(s->fail == SYNC_RETRY && code != SYNC_RETRY))
        return;
    s->fail = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->why, sizeof(s->why), fmt, ap);
    va_end(ap);
}

/*
 * What a connection failure means for the run: a broken connection is tried
 * again; a refusal, our own files and memory end the run with the rpc's own
 * code; anything else the server sent that we cannot read is a server error.
 */
static int sync_rpc_code(int rc)
{
    switch (rc) {
    case TD_ECONNECT:
        return SYNC_RETRY;
    case TD_EREFUSED:
    case TD_ECONFIG:
    case TD_ENOMEM:
        return rc;
    default:
        return TD_ESERVER;
    }
}

static void sync_store_fail(sync_t *s, int rc, const char *doing)
{
    /* A page that breaks the feed's promises is the server's fault, not the disk's. */
    int code = rc == TD_EPROTO ? TD_ESERVER : rc == TD_ENOMEM ? TD_ENOMEM : TD_ESTORE;
    sync_fail(s, code, "%s: %s", doing, store_errmsg(s->st));
}

/* An Error answering a whole request. n: the records of a push (0 for a pull). */
static void sync_server_error(sync_t *s, const Thidua__V1__Error *e, uint32_t n)
{
    switch (e->code) {
    case THIDUA__V1__ERROR__CODE__TOO_LARGE:
        if (n > 0) {
            if (!s->too_large || n < s->too_large_n)
                s->too_large_n = n;
            s->too_large = true;
            return;
        }
        break;
    case THIDUA__V1__ERROR__CODE__UNAVAILABLE:
    case THIDUA__V1__ERROR__CODE__SHUTTING_DOWN:
        sync_fail(s, SYNC_RETRY, _("the server is busy: %s"), e->message);
        return;
    case THIDUA__V1__ERROR__CODE__PERMISSION_DENIED:
        sync_fail(s, TD_EREFUSED, _("the server refused: %s"), e->message);
        return;
    default:
        break;
    }
    if (e->retryable)
        sync_fail(s, SYNC_RETRY, _("the server asked to try later: %s"), e->message);
    else
        sync_fail(s, TD_ESERVER,
                  n > 0 ? _("the server refused the push: %s") : _("the server refused the pull: %s"),
                  e->message);
}

static void sync_progress(sync_t *s)
{
    if (s->opt.on_event == NULL)
        return;
    sync_event_t ev = {.kind = SYNC_EVENT_PROGRESS, .stats = s->stats};
    s->opt.on_event(s->opt.event_arg, &ev);
}

/* --- push ------------------------------------------------------------------ */

/* FNV-1a of a record id: the key the in-flight check compares. */
static uint64_t sync_id_key(const char *id)
{
    uint64_t h = 14695981039346656037ull;
    for (const unsigned char *p = (const unsigned char *)id; *p != '\0'; p++)
        h = (h ^ *p) * 1099511628211ull;
    return h;
}

static int sync_key_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Remember a push just sent; keys (sorted) become the ring's. */
static void sync_ring_push(sync_t *s, uint32_t n, uint64_t *keys)
{
    size_t slot = (s->ring_head + s->ring_len) % SYNC_MAX_IN_FLIGHT;
    s->ring[slot].n = n;
    s->ring[slot].keys = keys;
    s->ring_len++;
}

/* Forget the oldest push in flight (its answer came); how many records it carried. */
static uint32_t sync_ring_pop(sync_t *s)
{
    if (s->ring_len == 0)
        return 0;
    uint32_t n = s->ring[s->ring_head].n;
    free(s->ring[s->ring_head].keys);
    s->ring[s->ring_head].keys = NULL;
    s->ring_head = (s->ring_head + 1) % SYNC_MAX_IN_FLIGHT;
    s->ring_len--;
    return n;
}

static void sync_ring_clear(sync_t *s)
{
    while (s->ring_len > 0)
        (void)sync_ring_pop(s);
    s->ring_head = 0;
}

/* Whether a push in flight carries the record with this key. */
static bool sync_ring_has(const sync_t *s, uint64_t key)
{
    for (size_t i = 0; i < s->ring_len; i++) {
        size_t slot = (s->ring_head + i) % SYNC_MAX_IN_FLIGHT;
        if (bsearch(&key, s->ring[slot].keys, s->ring[slot].n, sizeof(key), sync_key_cmp) != NULL)
            return true;
    }
    return false;
}

static void sync_count_ack(sync_stats_t *st, Thidua__V1__RecordAck__Status status)
{
    switch (status) {
    case THIDUA__V1__RECORD_ACK__STATUS__APPLIED:
        st->applied++;
        break;
    case THIDUA__V1__RECORD_ACK__STATUS__DUPLICATE:
        st->duplicate++;
        break;
    case THIDUA__V1__RECORD_ACK__STATUS__STALE:
        st->stale++;
        break;
    case THIDUA__V1__RECORD_ACK__STATUS__CONFLICT:
        st->conflict++;
        break;
    case THIDUA__V1__RECORD_ACK__STATUS__LOCKED:
        st->locked++;
        break;
    case THIDUA__V1__RECORD_ACK__STATUS__REJECTED:
        st->rejected++;
        break;
    case THIDUA__V1__RECORD_ACK__STATUS__PERMISSION_DENIED:
        st->denied++;
        break;
    default:
        break; /* a status from a newer server: the entry stays for the next sync */
    }
}

/* The answer to one push: apply its acks now, in one store transaction. */
static void sync_on_push(rpc_t *rpc, const Thidua__V1__Envelope *env, const uint8_t *raw,
                         size_t len, void *arg)
{
    (void)raw;
    (void)len;
    sync_t *s = arg;
    uint32_t n = sync_ring_pop(s);
    if (env == NULL) {
        sync_fail(s, SYNC_RETRY, "%s", rpc_error(rpc));
        return;
    }
    if (env->body_case == THIDUA__V1__ENVELOPE__BODY_ERROR) {
        sync_server_error(s, env->error, n > 0 ? n : 1);
        return;
    }
    if (env->body_case != THIDUA__V1__ENVELOPE__BODY_PUSH_RESPONSE) {
        sync_fail(s, TD_ESERVER, _("the server answered a push with something else"));
        return;
    }
    const Thidua__V1__PushResponse *resp = env->push_response;
    int rc = store_outbox_ack(s->st, resp->acks, resp->n_acks, sync_wall_ms());
    if (rc < 0) {
        sync_store_fail(s, rc, _("storing the server's answers"));
        return;
    }
    for (size_t i = 0; i < resp->n_acks; i++)
        sync_count_ack(s->stats, resp->acks[i]->status);
    s->stats->pushed += resp->n_acks;
    if (rc > 0)
        s->progressed = true;
    sync_progress(s);
}

/* Run the loop until at most max_pending requests wait (or the attempt failed). */
static void sync_wait(sync_t *s, size_t max_pending)
{
    int rc = rpc_wait(&s->rpc, max_pending);
    if (rc != 0)
        sync_fail(s, sync_rpc_code(rc), "%s", rpc_error(&s->rpc));
}

static void sync_send_push(sync_t *s, Thidua__V1__Record **records, size_t n)
{
    uint64_t *keys = malloc(n * sizeof(*keys));
    if (keys == NULL) {
        sync_fail(s, TD_ENOMEM, _("out of memory"));
        return;
    }
    for (size_t i = 0; i < n; i++)
        keys[i] = sync_id_key(records[i]->id);
    qsort(keys, n, sizeof(*keys), sync_key_cmp);

    Thidua__V1__PushRequest push = THIDUA__V1__PUSH_REQUEST__INIT;
    push.records = records;
    push.n_records = n;
    int rc = rpc_send(&s->rpc, &push.base, sync_on_push, s);
    if (rc != 0) {
        free(keys);
        sync_fail(s, sync_rpc_code(rc), _("sending a push: %s"),
                  s->rpc.message[0] ? rpc_error(&s->rpc) : "cannot encode it");
        return;
    }
    sync_ring_push(s, (uint32_t)n, keys);
}

/* Whether one of records[0..n) is an edit of a record a push in flight carries. */
static bool sync_must_wait(const sync_t *s, Thidua__V1__Record *const *records, size_t n)
{
    for (size_t i = 0; i < n && s->ring_len > 0; i++) {
        if (records[i]->revision > 1 && sync_ring_has(s, sync_id_key(records[i]->id)))
            return true;
    }
    return false;
}

/*
 * Send one outbox page as pushes that each fit in a frame, keeping at most
 * `window` in flight, and holding back a push with an edit of a record that
 * a push in flight carries until that one is answered (see the top of this
 * file).
 */
static void sync_send_page(sync_t *s, const store_batch_t *b)
{
    size_t i = 0;
    while (i < b->n && s->fail == 0 && !s->too_large) {
        size_t j = i, bytes = 0;
        while (j < b->n) {
            const Thidua__V1__Record *r = b->records[j];
            size_t sz = thidua__v1__record__get_packed_size(r) + SYNC_RECORD_SLACK;
            if (sz > s->frame_budget) {
                sync_fail(s, TD_ESERVER,
                          "record %s is too large to send (%zu bytes; the server accepts %zu)",
                          r->id, sz, s->frame_budget);
                return;
            }
            if (j > i && bytes + sz > s->frame_budget)
                break;
            bytes += sz;
            j++;
        }
        /* Answers come in order: each wait retires at least the oldest push. */
        while (s->fail == 0 && !s->too_large && sync_must_wait(s, b->records + i, j - i))
            sync_wait(s, s->ring_len - 1);
        if (s->fail == 0 && !s->too_large)
            sync_wait(s, s->window - 1);
        if (s->fail != 0 || s->too_large)
            return;
        sync_send_push(s, b->records + i, j - i);
        i = j;
    }
}

/*
 * Push the whole outbox, oldest first. A push refused as too large makes the
 * batches smaller and the outbox is read again from its start: whatever was
 * acknowledged in the meantime has left it.
 */
static void sync_push(sync_t *s)
{
    for (;;) {
        int64_t after = 0;
        s->too_large = false;
        while (s->fail == 0 && !s->too_large) {
            store_batch_t b = STORE_BATCH_INIT;
            int rc = store_outbox_next(s->st, after, s->batch, sync_wall_ms(), &b);
            if (rc < 0) {
                sync_store_fail(s, rc, _("reading the outbox"));
                break;
            }
            if (b.n == 0)
                break;
            after = b.last_seq;
            sync_send_page(s, &b);
            store_batch_clear(&b);
        }
        /* Collect every answer still due: each is an ack the next attempt need not redo. */
        if (s->ring_len > 0)
            sync_wait(s, 0);
        if (s->fail != 0 || !s->too_large)
            return;
        if (s->too_large_n <= 1) {
            sync_fail(s, TD_ESERVER, _("the server refuses even a single record as too large"));
            return;
        }
        s->batch = s->too_large_n / 2;
    }
}

/* --- pull ------------------------------------------------------------------ */

static void sync_on_pull(rpc_t *rpc, const Thidua__V1__Envelope *env, const uint8_t *raw,
                         size_t len, void *arg);

static void sync_pull_send(sync_t *s, uint64_t cursor)
{
    Thidua__V1__PullRequest req = THIDUA__V1__PULL_REQUEST__INIT;
    req.cursor = cursor;
    req.limit = s->opt.pull_limit;
    int rc = rpc_send(&s->rpc, &req.base, sync_on_pull, s);
    if (rc != 0)
        sync_fail(s, sync_rpc_code(rc), _("sending a pull: %s"), rpc_error(&s->rpc));
}

/*
 * One page of the feed: ask for the next one, then store this one with its
 * cursor in one transaction. Asking first lets the server read the next page
 * while the store writes this one; the pages still reach the store one at a
 * time and in order, since answers come in the order of the requests.
 */
static void sync_on_pull(rpc_t *rpc, const Thidua__V1__Envelope *env, const uint8_t *raw,
                         size_t len, void *arg)
{
    (void)raw;
    (void)len;
    sync_t *s = arg;
    s->cursor_ahead = false;
    if (env == NULL) {
        sync_fail(s, SYNC_RETRY, "%s", rpc_error(rpc));
        return;
    }
    if (s->fail != 0)
        return; /* an earlier page was not stored: nothing after it may be */
    if (env->body_case == THIDUA__V1__ENVELOPE__BODY_ERROR) {
        sync_server_error(s, env->error, 0);
        return;
    }
    if (env->body_case != THIDUA__V1__ENVELOPE__BODY_PULL_RESPONSE) {
        sync_fail(s, TD_ESERVER, _("the server answered a pull with something else"));
        return;
    }
    const Thidua__V1__PullResponse *page = env->pull_response;
    /* stats->cursor is the cursor of this request: every page before it is stored. */
    if (page->cursor_ahead) {
        if (s->stats->cursor == 0 || page->n_changes > 0)
            sync_fail(s, TD_ESERVER,
                      "the server answered a pull from %llu with cursor_ahead%s: a cursor of 0 "
                      "is never ahead, and a page is either changes or cursor_ahead",
                      (unsigned long long)s->stats->cursor,
                      page->n_changes > 0 ? " and changes" : "");
        else
            s->cursor_ahead = true;
        return;
    }
    if (page->has_more) {
        if (page->n_changes == 0 && page->next_cursor == s->stats->cursor) {
            sync_fail(s, TD_ESERVER, _("the server said more changes follow but sent none"));
            return;
        }
        sync_pull_send(s, page->next_cursor);
        if (s->fail != 0)
            return;
    }
    int rc = store_pull_apply(s->st, page, sync_wall_ms());
    if (rc < 0) {
        sync_store_fail(s, rc, _("storing the province's changes"));
        return;
    }
    s->stats->pulled += page->n_changes;
    if (page->n_changes > 0 || page->next_cursor != s->stats->cursor)
        s->progressed = true;
    s->stats->cursor = page->next_cursor;
    if (!page->has_more)
        s->stats->pull_done = true;
    sync_progress(s);
}

/* Pull from the stored cursor until a page says has_more is false. */
static void sync_pull(sync_t *s)
{
    uint64_t cursor;
    int rc = store_cursor(s->st, &cursor);
    if (rc < 0) {
        sync_store_fail(s, rc, _("reading the feed cursor"));
        return;
    }
    s->stats->cursor = cursor;
    sync_pull_send(s, cursor);
    /* Each page asks for the next one: this returns after the last, or a failure. */
    if (s->fail == 0)
        sync_wait(s, 0);
}

/* --- a restored database ---------------------------------------------------- */

/* The store has started over: count it and tell the officer, once per resync. */
static void sync_resynced(sync_t *s, uint64_t queued)
{
    s->stats->resent += queued;
    s->stats->total += queued;
    s->stats->cursor = 0;
    s->progressed = true;
    if (s->opt.on_event == NULL)
        return;
    char line[300];
    if (queued > 0)
        snprintf(line, sizeof(line),
                 ngettext("the province restored its database: sending %llu record again; "
                          "nothing is lost",
                          "the province restored its database: sending all %llu records again; "
                          "nothing is lost",
                          queued),
                 (unsigned long long)queued);
    else
        snprintf(line, sizeof(line),
                 _("the province restored its database: reading all its decisions again; "
                   "nothing is lost"));
    sync_event_t ev = {
        .kind = SYNC_EVENT_RESYNC, .stats = s->stats, .reason = line, .resent = queued};
    s->opt.on_event(s->opt.event_arg, &ev);
}

/*
 * A pull said the cursor is past the restored feed: start over, push what
 * that queued and pull from 0, all on this connection.
 */
static void sync_cursor_ahead(sync_t *s)
{
    static const char again[] = N_("the server says the feed cursor is ahead of its database "
                                "again after starting over from 0");
    s->cursor_ahead = false;
    if (s->ahead_resynced) {
        sync_fail(s, TD_ESERVER, "%s", _(again));
        return;
    }
    s->ahead_resynced = true;
    uint64_t queued = 0;
    int rc = store_resync(s->st, sync_wall_ms(), &queued);
    if (rc < 0) {
        sync_store_fail(s, rc, _("starting over with the restored database"));
        return;
    }
    sync_resynced(s, queued);
    sync_push(s);
    if (s->fail == 0)
        sync_pull(s);
    if (s->fail == 0 && s->cursor_ahead)
        sync_fail(s, TD_ESERVER, "%s", _(again));
}

/* --- one attempt, and the run ---------------------------------------------- */

static uint32_t sync_min_nonzero(uint32_t want, uint32_t limit)
{
    return limit != 0 && limit < want ? limit : want;
}

/* One connection: Welcome, push, pull. Returns 0, SYNC_RETRY or a TD_E* code. */
static int sync_attempt(sync_t *s)
{
    s->fail = 0;
    s->why[0] = '\0';
    sync_ring_clear(s);
    s->too_large = false;
    s->cursor_ahead = false;

    char err[512];
    int rc = rpc_open(&s->rpc, s->cfg, err, sizeof(err));
    if (rc != 0) {
        sync_fail(s, sync_rpc_code(rc), "%s", err);
        return s->fail;
    }
    const Thidua__V1__Welcome *w = s->rpc.welcome;
    uint64_t queued = 0;
    rc = store_welcome_accept(s->st, w, sync_wall_ms(), &queued);
    if (rc < 0)
        sync_store_fail(s, rc, _("saving the server's Welcome"));
    else if (rc > 0)
        sync_resynced(s, queued); /* another database epoch: before anything is pushed */

    const Thidua__V1__Limits *lim = w->limits;
    s->batch = sync_min_nonzero(s->batch, lim != NULL ? lim->max_batch : 0);
    s->window = sync_min_nonzero(s->opt.in_flight, lim != NULL ? lim->max_in_flight : 0);
    size_t frame = lim != NULL && lim->max_frame != 0 ? lim->max_frame : SYNC_DEFAULT_MAX_FRAME;
    s->frame_budget = frame > 2 * SYNC_FRAME_SLACK ? frame - SYNC_FRAME_SLACK : SYNC_FRAME_SLACK;

    if (s->fail == 0)
        sync_push(s);
    if (s->fail == 0)
        sync_pull(s);
    if (s->fail == 0 && s->cursor_ahead)
        sync_cursor_ahead(s);
    if (s->fail == 0) {
        rc = store_sync_done(s->st, sync_wall_ms());
        if (rc < 0)
            sync_store_fail(s, rc, _("recording the sync"));
    }
    rpc_close(&s->rpc);
    sync_ring_clear(s); /* rpc_close answered everything left with "no answer" */
    return s->fail;
}

uint64_t sync_backoff_ms(const sync_options_t *opt, uint32_t failures)
{
    uint64_t lo = opt->backoff_min_ms ? opt->backoff_min_ms : SYNC_DEFAULT_BACKOFF_MIN_MS;
    uint64_t hi = opt->backoff_max_ms ? opt->backoff_max_ms : SYNC_DEFAULT_BACKOFF_MAX_MS;
    uint64_t d = lo;
    for (uint32_t i = 1; i < failures && d < hi; i++)
        d *= 2;
    return d < hi ? d : hi;
}

/*
 * d +- 25 %, so that offices cut off together do not all come back in the
 * same second; never above the longest pause.
 */
static uint64_t sync_jitter(sync_t *s, uint64_t d)
{
    /* xorshift32: statistical quality is all that is needed here. */
    uint32_t x = s->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s->rng = x;
    double f = 0.75 + 0.5 * ((double)x / 4294967296.0);
    uint64_t j = (uint64_t)((double)d * f);
    return j < s->opt.backoff_max_ms ? j : s->opt.backoff_max_ms;
}

static void sync_defaults(sync_options_t *o)
{
    if (o->batch == 0)
        o->batch = SYNC_DEFAULT_BATCH;
    if (o->in_flight == 0)
        o->in_flight = SYNC_DEFAULT_IN_FLIGHT;
    if (o->in_flight > SYNC_MAX_IN_FLIGHT)
        o->in_flight = SYNC_MAX_IN_FLIGHT;
    if (o->backoff_min_ms == 0)
        o->backoff_min_ms = SYNC_DEFAULT_BACKOFF_MIN_MS;
    if (o->backoff_max_ms == 0)
        o->backoff_max_ms = SYNC_DEFAULT_BACKOFF_MAX_MS;
}

int sync_run(store_t *st, const client_config_t *cfg, const sync_options_t *opt,
             sync_stats_t *stats, char *err, size_t errlen)
{
    memset(stats, 0, sizeof(*stats));
    stats->started_ms = sync_wall_ms();
    uint64_t t0 = sync_mono_ms();
    if (errlen > 0)
        err[0] = '\0';

    sync_t s;
    memset(&s, 0, sizeof(s));
    s.st = st;
    s.cfg = cfg;
    s.opt = *opt;
    sync_defaults(&s.opt);
    s.stats = stats;
    s.batch = s.opt.batch;
    s.rng = (uint32_t)(uv_hrtime() ^ ((uint64_t)getpid() << 16)) | 1u;

    int rc = store_outbox_count(st, &stats->total);
    if (rc == TD_OK)
        rc = store_cursor(st, &stats->cursor);
    if (rc < 0) {
        snprintf(err, errlen, _("reading the store: %s"), store_errmsg(st));
        stats->remaining = stats->total;
        return TD_ESTORE;
    }

    uint32_t failures = 0;
    for (;;) {
        stats->attempts++;
        s.progressed = false;
        /* Batches shrunk by TOO_LARGE stay small; a new Welcome may lower them further. */
        rc = sync_attempt(&s);
        if (rc != SYNC_RETRY)
            break;
        failures = s.progressed ? 1 : failures + 1;
        if (failures > s.opt.retries) {
            rc = TD_ENETWORK;
            break;
        }
        uint64_t delay = sync_jitter(&s, sync_backoff_ms(&s.opt, failures));
        uint64_t elapsed = sync_mono_ms() - t0;
        if (s.opt.max_wait_ms != 0) {
            if (elapsed >= s.opt.max_wait_ms) {
                rc = TD_ENETWORK;
                break;
            }
            if (delay > s.opt.max_wait_ms - elapsed)
                delay = s.opt.max_wait_ms - elapsed;
        }
        if (s.opt.on_event != NULL) {
            sync_event_t ev = {.kind = SYNC_EVENT_RETRY,
                               .stats = stats,
                               .delay_ms = delay,
                               .failures = failures,
                               .retries = s.opt.retries,
                               .reason = s.why};
            s.opt.on_event(s.opt.event_arg, &ev);
        }
        sync_sleep_ms(delay);
    }

    if (rc != TD_OK)
        snprintf(err, errlen, "%s", s.why);
    if (store_outbox_count(st, &stats->remaining) < 0) {
        /* The run's result says more than this second failure would. */
        stats->remaining = stats->total > stats->pushed ? stats->total - stats->pushed : 0;
    }
    stats->seconds = (double)(sync_mono_ms() - t0) / 1000.0;
    if (stats->seconds <= 0)
        stats->seconds = 0.001;
    return rc;
}

int sync_lock(const char *store_path, int *fd_out, char *err, size_t errlen)
{
    char path[4096];
    int n = snprintf(path, sizeof(path), "%s.sync-lock", store_path);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        snprintf(err, errlen, _("store path too long: %s"), store_path);
        return TD_ESTORE;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, _("cannot open %s: %s"), path, strerror(errno));
        return TD_ESTORE;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK) {
            snprintf(err, errlen, "%s",
                     _("another `thidua sync` is running on this store; wait for it to finish"));
            return TD_EBUSY;
        }
        snprintf(err, errlen, _("cannot lock %s: %s"), path, strerror(e));
        return TD_ESTORE;
    }
    *fd_out = fd;
    return TD_OK;
}
