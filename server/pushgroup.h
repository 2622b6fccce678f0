/*
 * pushgroup.h - group commit (pushgroup.c): the pushes that arrive close
 * together, from any connections and offices, stored by one call of
 * thidua.push_many in one transaction, then numbered in the feed together.
 *
 * A push of one record costs the database a tenth of a millisecond inside a
 * batch, ten times that as a call of its own, and a commit (a WAL flush)
 * each. A group pays one call and one flush for all its pushes. Each push
 * still gets exactly its own acks, each only after the group's transaction
 * committed; an invalid record is an ack, so it spoils no one else's. An
 * error of the group as a whole (rare: a serialization failure, a caller
 * gone) rolls it back, and each of its pushes is then sent alone, so that
 * the error reaches only the push that causes it.
 *
 * When a group forms ([database] group_max_records, group_wait):
 *   - a group is sent once group_wait has passed since its first push
 *     arrived, or at once when it holds group_max_records records;
 *   - at most pool_size groups are at the database at once; pushes that
 *     arrive meanwhile wait, and leave together when a group comes back.
 *   - a group holds at most max_jobs_per_certificate pushes of one
 *     certificate (by default pool_size, the pool's share per office,
 *     dbqueue.h); the others keep their place for the next group, so one
 *     office's flood fills no group and another office's push goes in the
 *     next one.
 * So a quiet server sends each push after group_wait, and a busy one sends
 * fewer, larger groups. group_max_records = 0 sends every push alone.
 *
 * Everything here runs on the loop's thread.
 */
#ifndef THIDUAD_PUSHGROUP_H
#define THIDUAD_PUSHGROUP_H

#include <stddef.h>

#include "ackset.h"
#include "job.h"
#include "server.h"
#include "strbuf.h"

typedef struct pushgroup pushgroup_t;
typedef struct pushgroup_member pushgroup_member_t;

/* How a member's push ended: what its Push request answers. */
typedef enum {
    PUSHGROUP_STORED = 0, /* committed; every ack is filled (a position may be 0: pushgroup.c) */
    PUSHGROUP_UNAVAILABLE, /* not stored, or not known to be: retryable, nothing lost */
    PUSHGROUP_FAILED,      /* the database refused the batch (sqlstate): not retryable */
    PUSHGROUP_UNREAD,      /* committed, but its answers could not be read: resend to see them */
} pushgroup_outcome_t;

typedef void (*pushgroup_cb)(pushgroup_member_t *m, pushgroup_outcome_t outcome,
                             const char *sqlstate);

/*
 * One push waiting for, or in, a group. The caller fills it and owns it
 * (embedded in its request's state); it must live until cb runs, once.
 */
struct pushgroup_member {
    conn_t *conn;
    ackset_t *acks;   /* the request's: its nsql records, in order, are the JSON array */
    strbuf_t json;    /* the JSON array of those records; pushgroup frees it once sent */
    pushgroup_cb cb;
    /* pushgroup's own */
    pushgroup_member_t *next;
    job_caller_t caller; /* conn's identity as push_many's parameters take it */
};

/* A group collector for s (its pool and config); NULL when out of memory. */
pushgroup_t *pushgroup_new(server_t *s);

/* Close its timer; every member must have been answered (no connection is left). */
void pushgroup_close(pushgroup_t *g);

/*
 * Store m's records in a group and answer m->cb once. cb runs later, or
 * before this returns when the pool refuses the push (it is then answered
 * UNAVAILABLE).
 */
void pushgroup_submit(pushgroup_t *g, pushgroup_member_t *m);

/* Counters for metrics. */
typedef struct pushgroup_stats {
    uint64_t groups;     /* groups sent */
    uint64_t pushes;     /* pushes sent in them */
    uint64_t records;    /* records sent in them */
    uint64_t splits;     /* groups that failed and were sent push by push */
    uint64_t capped;     /* groups formed with pushes left behind for the certificate cap */
    size_t waiting;      /* pushes waiting for a group now */
    unsigned inflight;   /* groups at the database now */
} pushgroup_stats_t;

void pushgroup_stats(const pushgroup_t *g, pushgroup_stats_t *out);

#endif
