/*
 * synchealth.h - each unit's sync health (synchealth.c): when it last pushed
 * and pulled and how many of its records were refused, for the Report's
 * sync-health table and for operators (sql: thidua.report_sync).
 *
 * Push and pull note each request here; the notes of a second are written
 * together, in one job of their own, off every request's ack path. A note
 * is best effort: a failed write is only logged, and a note not yet written
 * when thiduad is killed is lost (the next request notes the unit again).
 * The times stored are those of the write, at most SYNCHEALTH_FLUSH_MS late.
 */
#ifndef THIDUAD_SYNCHEALTH_H
#define THIDUAD_SYNCHEALTH_H

#include "server.h"

/* How long notes gather before they are written. */
#define SYNCHEALTH_FLUSH_MS 1000

typedef struct synchealth synchealth_t;

/* The notes of server s; NULL when out of memory. */
synchealth_t *synchealth_new(server_t *s);

/* Write what is noted (a job the pool still runs while it closes) and close. */
void synchealth_close(synchealth_t *h);

/*
 * Note that c's unit pushed or pulled (kind "push" or "pull"; rejected: the
 * records of that push acked REJECTED). Call it once the request is answered.
 */
void synchealth_note(conn_t *c, const char *kind, unsigned rejected);

#endif
