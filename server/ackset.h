/*
 * ackset.h - the per-record answers (RecordAck) of a request that names many
 * records: Push and Award.
 *
 * Both check each record in C first: a record refused there gets its ack at
 * once and never reaches SQL; the others go to one thidua function, which
 * answers one row of thidua.ack per record it was given (sql/003_sync.sql).
 * sql_index maps those rows back to the request's order, so the answer lists
 * the acks in the order the records were sent, whoever decided them.
 */
#ifndef THIDUAD_ACKSET_H
#define THIDUAD_ACKSET_H

#include <stddef.h>

#include <libpq-fe.h>

#include "defs.h"
#include "thidua.pb-c.h"

/*
 * The acks of one request. Owns acks, ackp, sql_index and every string an
 * ack points to, except protobuf-c's shared "" that an unset string keeps.
 */
typedef struct ackset {
    size_t n;
    Thidua__V1__RecordAck *acks;
    Thidua__V1__RecordAck **ackp; /* ackp[i] == &acks[i]: the response's array */
    size_t *sql_index;            /* k-th record sent to SQL -> its index in the request */
    size_t nsql;
} ackset_t;

/* n initialised acks (no id, no outcome yet). 0, or -1 when out of memory (s is then empty). */
THIDUA_MUSTCHECK int ackset_init(ackset_t *s, size_t n);
void ackset_free(ackset_t *s);

/* Set an ack's id (a copy; NULL is ""). 0, or -1 when out of memory. */
THIDUA_MUSTCHECK int ackset_id(Thidua__V1__RecordAck *a, const char *id);

/* Set an ack's outcome; strings are copied (NULL is ""). 0, or -1 when out of memory. */
THIDUA_MUSTCHECK int ackset_set(Thidua__V1__RecordAck *a, Thidua__V1__RecordAck__Status st,
                                const char *field, const char *message);

/*
 * A thidua.ack result as a RecordAck status (NOT_FOUND is REJECTED): 0, or
 * TD_EINTERNAL for a result this server does not know. That is a fault of
 * the server, not of the record, so it must not become a permanent refusal.
 */
THIDUA_MUSTCHECK int ackset_status(const char *result, Thidua__V1__RecordAck__Status *out);

/*
 * Answer the records sent to SQL from res, rows of thidua.ack: the row of
 * ord k answers the k-th record sent (rows with another ord are ignored). An
 * ack that has no revision yet takes the row's: a push names its revisions,
 * an award only ids. *applied counts the APPLIED rows. 0; -1 when out of
 * memory, TD_EINTERNAL for a result it does not know (the acks are then
 * incomplete: the caller answers a retryable Error, and a resend gets each
 * record's answer, DUPLICATE for what was stored).
 */
THIDUA_MUSTCHECK int ackset_fill(ackset_t *s, const PGresult *res, size_t *applied);

/* As ackset_fill, from the rows first .. first + nrows - 1 of res only (one push of a group). */
THIDUA_MUSTCHECK int ackset_fill_rows(ackset_t *s, const PGresult *res, int first, int nrows,
                                      size_t *applied);

#endif
