/*
 * sync_engine.h - the synchronisation engine behind `thidua sync`.
 *
 * One run pushes the outbox (oldest first, several batches in flight), then
 * pulls the unit's feed until the server says nothing more follows. A broken
 * connection or an answer that says "try later" starts the whole cycle again
 * after a growing, jittered pause, up to a number of attempts or a total
 * time. Nothing is lost between attempts: an outbox entry leaves the store
 * only on its ack, and the cursor moves only with a stored page, so each new
 * attempt starts where the last one stopped and the server answers DUPLICATE
 * for what it already holds.
 *
 * Memory does not grow with the outbox: one page of records is read at a
 * time, sent and freed; acks are applied as they come and only counted.
 *
 * When the province's database was restored from a backup (Welcome names
 * another database epoch than the last sync's, or a pull answers
 * cursor_ahead), the run starts over with it: store_resync() puts every
 * record back in the outbox and the cursor at 0, the event
 * SYNC_EVENT_RESYNC tells the officer, and the run goes on as usual. The
 * server answers DUPLICATE for what it kept and APPLIED for what it lost.
 *
 * The engine prints nothing: it reports through the callback and the stats,
 * and cmd_sync.c talks to the officer. docs/client-internals.md, "Sync".
 */
#ifndef THIDUA_CLIENT_SYNC_ENGINE_H
#define THIDUA_CLIENT_SYNC_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clientcfg.h"
#include "defs.h"
#include "store.h"
#include "error.h"

/*
 * Errors: negative TD_E* codes of error.h. This module returns:
 *   TD_ENETWORK attempts or time exhausted on a network or retryable error
 *   TD_EREFUSED the server refused us: certificate, role, unit, permission
 *   TD_ESERVER  the server answered an error that trying again will not fix
 *   TD_ESTORE   the local store failed (disk, busy, damaged)
 *   TD_ECONFIG  our own files: CA, certificate, key
 *   TD_ENOMEM
 */

/* Defaults of sync_options_t (a zero field means its default). */
#define SYNC_DEFAULT_BATCH 500
#define SYNC_DEFAULT_IN_FLIGHT 4
#define SYNC_DEFAULT_BACKOFF_MIN_MS 500
#define SYNC_DEFAULT_BACKOFF_MAX_MS 30000
/* Most pushes ever in flight on one connection, whatever the options say. */
#define SYNC_MAX_IN_FLIGHT 64

/* Counters of one run, over all its attempts. */
typedef struct sync_stats {
    uint64_t total;   /* revisions in the outbox when the run began */
    uint64_t pushed;  /* revisions the server answered (every ack status) */
    uint64_t applied; /* acks by status */
    uint64_t duplicate;
    uint64_t stale;
    uint64_t conflict;
    uint64_t locked;
    uint64_t rejected;
    uint64_t denied;
    uint64_t resent;    /* records queued again because the province's database was restored */
    uint64_t pulled;    /* changes stored from the feed */
    uint64_t cursor;    /* the feed cursor now */
    uint64_t remaining; /* revisions still in the outbox (set when the run ends) */
    bool pull_done;     /* the last pull said has_more = false */
    uint32_t attempts;  /* connections tried */
    int64_t started_ms; /* wall clock when the run began (marks made by it are not older) */
    double seconds;     /* how long the run took */
} sync_stats_t;

typedef enum {
    SYNC_EVENT_PROGRESS, /* counters moved */
    SYNC_EVENT_RETRY,    /* an attempt failed; the next starts after delay_ms */
    /*
     * The province's database was restored from a backup: the store started
     * over (store_resync) and `resent` records go again. `reason` is the line
     * to show the officer; the run goes on by itself.
     */
    SYNC_EVENT_RESYNC,
} sync_event_kind_t;

typedef struct sync_event {
    sync_event_kind_t kind;
    const sync_stats_t *stats;
    uint64_t delay_ms;  /* RETRY: the pause before the next attempt */
    uint32_t failures;  /* RETRY: failed attempts in a row (without progress), from 1 */
    uint32_t retries;   /* RETRY: failed attempts in a row tolerated (sync_options_t) */
    const char *reason; /* RETRY: why it failed; RESYNC: what happens; a sentence */
    uint64_t resent;    /* RESYNC: records queued again */
} sync_event_t;

typedef void (*sync_event_fn)(void *arg, const sync_event_t *ev);

typedef struct sync_options {
    uint32_t batch;      /* records per push wanted; lowered to Welcome's max_batch; 0: 500 */
    uint32_t in_flight;  /* pushes in flight; lowered to Welcome's max_in_flight; 0: 4 */
    uint32_t pull_limit; /* changes per pull; 0: the server's default */
    /*
     * Failed attempts in a row tolerated before giving up (an attempt that
     * moved anything forward starts the count again). 0 means: one attempt.
     */
    uint32_t retries;
    uint64_t max_wait_ms;    /* no new attempt after this long since the start; 0: no limit */
    uint64_t backoff_min_ms; /* first pause; 0: 500 ms. Doubles per failure, +-25 % */
    uint64_t backoff_max_ms; /* longest pause; 0: 30 s */
    sync_event_fn on_event;  /* may be NULL */
    void *event_arg;
} sync_options_t;

/*
 * Run a sync of st with the server cfg names. stats is filled in every case
 * (remaining and cursor included). On failure err holds a sentence for the
 * officer (the last reason, for TD_ENETWORK). Returns TD_OK or a
 * negative TD_E* code.
 */
THIDUA_MUSTCHECK int sync_run(store_t *st, const client_config_t *cfg, const sync_options_t *opt,
                              sync_stats_t *stats, char *err, size_t errlen);


/*
 * One sync per store at a time. A second sync of the same store would push
 * the same outbox (harmless) and race for the feed cursor (not harmless: a
 * page stored twice is refused). A lock file beside the store ("STORE.sync-lock")
 * keeps `thidua sync` and the console's sync button apart; the kernel drops
 * the lock when the process ends, however it ends. TD_OK with *fd_out (close
 * it to let go), TD_EBUSY when another sync holds it, TD_ESTORE; err says why.
 */
THIDUA_MUSTCHECK int sync_lock(const char *store_path, int *fd_out, char *err, size_t errlen);

/* The pause before attempt n+1 after n failures in a row (n >= 1), before jitter. */
uint64_t sync_backoff_ms(const sync_options_t *opt, uint32_t failures);

#endif
