/*
 * dbqueue.h - the database pool's waiting room (dbqueue.c): jobs wait here
 * for a connection, each under its owner, and leave in turns.
 *
 * The pool is shared by every office, and an office can send far more work
 * than the pool does in a second (many connections, each with many requests
 * pipelined). A single first-come-first-served queue let one such flood
 * delay every other office's requests behind it, and fill the queue so that
 * theirs were refused. So each item waits under its owner (thiduad gives the
 * client certificate's fingerprint: one office, however many connections)
 * and:
 *   - owners take turns: dbq_next() gives the oldest item of the owner whose
 *     turn it is and sends that owner to the back of the line, so an owner
 *     that arrives behind a flood is served next, not after it;
 *   - an owner has at most `cap` items out (taken and not yet released) at
 *     once; its other items wait, and its turn comes again when one of its
 *     items is released;
 *   - when the queue is full, dbq_victim() names the newest item of the owner
 *     with the most waiting, so that the caller drops it rather than refuse
 *     an owner that has less (as fq_codel drops from its fattest flow).
 * Within one owner the order stays first come, first served.
 *
 * The queue only links items and counts; it never frees one: items are
 * embedded in the caller's structs (the pool's jobs), owned by the caller.
 * It allocates its owners, one per key with items waiting or out.
 */
#ifndef THIDUAD_DBQUEUE_H
#define THIDUAD_DBQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "defs.h"

typedef struct dbq_owner dbq_owner_t;

/* One waiting (or taken) item; embed it in the struct that waits. */
typedef struct dbq_item {
    struct dbq_item *gprev, *gnext; /* every waiting item, in arrival order */
    struct dbq_item *oprev, *onext; /* its owner's waiting items, in arrival order */
    dbq_owner_t *owner;             /* from dbq_push until dbq_release or dbq_remove */
    uint64_t deadline_ms;           /* the caller's: when a waiting item gives up */
} dbq_item_t;

enum { DBQ_BUCKETS = 64 };

typedef struct dbqueue {
    dbq_owner_t *buckets[DBQ_BUCKETS]; /* owners by key */
    dbq_item_t *ghead, *gtail;         /* waiting items, oldest first */
    dbq_owner_t *thead, *ttail;        /* owners whose turn is coming, next first */
    size_t queued;                     /* items waiting */
    size_t owners;                     /* owners with items waiting or out */
    unsigned cap;                      /* items of one owner out at once; 0: no limit */
    uint64_t capped;                   /* items that arrived with their owner at the cap */
} dbqueue_t;

/* An empty queue; cap as in dbqueue_t. */
void dbq_init(dbqueue_t *q, unsigned cap);

/* Free the owners; the items are the caller's (none may be waiting or out). */
void dbq_free(dbqueue_t *q);

/*
 * Make it wait under owner (any string; "" is an owner like another), with
 * the caller's deadline. Returns 0; 1 when the owner is at its cap and this
 * is the first of its items to wait for it since the owner last had nothing
 * waiting or out (one log line per flood, not one per item); TD_ENOMEM when
 * a new owner cannot be made (then it does not wait).
 */
THIDUA_MUSTCHECK int dbq_push(dbqueue_t *q, dbq_item_t *it, const char *owner,
                              uint64_t deadline_ms);

/*
 * The next item to leave: the oldest of the owner whose turn it is, among
 * the owners under their cap. It counts against its owner's cap until
 * dbq_release(). NULL when nothing waits or every owner waiting is at its cap.
 */
dbq_item_t *dbq_next(dbqueue_t *q);

/* An item dbq_next() gave is done: its owner may have another out. */
void dbq_release(dbqueue_t *q, dbq_item_t *it);

/* A waiting item leaves without its turn (it timed out, it is dropped, the pool closes). */
void dbq_remove(dbqueue_t *q, dbq_item_t *it);

/* The waiting item that arrived first (the next deadline), or NULL. */
dbq_item_t *dbq_oldest(const dbqueue_t *q);

/*
 * When the queue is full and owner has one more to queue: the newest
 * waiting item of the owner with the most waiting, if that owner is another
 * and has more waiting than owner; otherwise NULL (owner is, or ties with,
 * the largest: its new item is the one to refuse).
 */
dbq_item_t *dbq_victim(const dbqueue_t *q, const char *owner);

/* The key an item waits (or is out) under; "" once released or removed. */
const char *dbq_owner_key(const dbq_item_t *it);

/* Owners at their cap with items waiting, now. */
size_t dbq_owners_capped(const dbqueue_t *q);

#endif
