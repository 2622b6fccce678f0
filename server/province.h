/*
 * province.h - what the province's handlers share: ListRecords, GetRecord and
 * Decide (review.c), Award and Revoke (award.c), Report (report.c).
 *
 * Each handler checks its arguments here in C for a quick, precise answer,
 * then makes one database job of the functions of sql/003_sync.sql and
 * sql/004_review.sql and answers in the job's callback. The SQL checks again:
 * it is the authority, and it raises TD400 / TD403 / TD409 with the field in
 * the error's COLUMN_NAME, which province_db_error() turns into an Error.
 */
#ifndef THIDUAD_PROVINCE_H
#define THIDUAD_PROVINCE_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "job.h"
#include "recout.h"
#include "server.h"
#include "uuid.h"

/*
 * Make one job of the n statements (flags: DBPOOL_TX...) and submit it for r,
 * with cb(data) to answer it. When the job cannot be made (UNAVAILABLE: out
 * of memory) or queued (UNAVAILABLE: busy, naming what in "send WHAT again
 * later"), r is answered and -1 returned: cb will never run, so the caller
 * frees data.
 */
THIDUA_MUSTCHECK int province_submit(conn_t *c, req_t *r, unsigned flags, const job_stmt_t *stmts,
                                   size_t n, dbpool_job_cb cb, void *data, const char *what);

/*
 * Answer r for a job that failed: TD400 -> INVALID_ARGUMENT, TD403 ->
 * PERMISSION_DENIED, TD404 -> NOT_FOUND, TD409 -> CONFLICT (with the SQL's message and the field
 * from COLUMN_NAME), connection trouble and timeouts -> UNAVAILABLE
 * (retryable), anything else -> INTERNAL (logged).
 */
void province_db_error(req_t *r, const dbpool_job_t *job, const dbpool_error_t *err,
                     const char *what);

/*
 * Normalise one text argument as it enters (UTF-8, NFC, no control
 * characters, trimmed, at most max_chars; TEXT_MULTILINE in flags allows line
 * breaks). required: empty is refused. On success *out is a new string the
 * caller frees and 0 is returned; otherwise r is answered INVALID_ARGUMENT
 * naming field (or UNAVAILABLE when out of memory) and -1 is returned.
 */
THIDUA_MUSTCHECK int province_text(req_t *r, const char *field, const char *in, size_t max_chars,
                                 unsigned flags, bool required, char **out);

/* A record id argument into its canonical form; answers INVALID_ARGUMENT and returns -1. */
THIDUA_MUSTCHECK int province_id(req_t *r, const char *field, const char *in,
                               char out[UUID_STR_SIZE]);

/* The award decision of an Award or Revoke, normalised; owns its strings. */
typedef struct province_decision {
    char *number;
    char *date;
    char *signer;
    char *issuer;
} province_decision_t;

/* Check and normalise d (NULL is refused: field "decision"); answers r and returns -1 on refusal.
 */
THIDUA_MUSTCHECK int province_decision_init(province_decision_t *out, req_t *r,
                                          const Thidua__V1__AwardDecision *d);
void province_decision_free(province_decision_t *d);

/*
 * One record of a result shaped like thidua.record_get (or list_records):
 * the wire record, pointing into the PGresult, with its possible duplicates.
 * Owns dups and dups_buf; the rest belongs to the result.
 */
typedef struct province_record {
    recout_t out;
    char *dups_buf; /* the ids, NUL-separated */
    char **dups;
} province_record_t;

/* Fill rr from row (dups_col: the possible_duplicates column, or -1). -1 when out of memory. */
THIDUA_MUSTCHECK int province_record_fill(province_record_t *rr, const PGresult *res, int row,
                                        const recout_cols_t *cols, int dups_col);
void province_record_free(province_record_t *rr);

/*
 * The first row of res (thidua.record_get's columns) into rr, for an answer
 * that carries one record. When out of memory r is answered (UNAVAILABLE)
 * and -1 returned.
 */
THIDUA_MUSTCHECK int province_record_one(province_record_t *rr, req_t *r, const PGresult *res);

/* Did decide() or revoke() answer APPLIED or DUPLICATE (the act stands)? */
bool province_ack_ok(const char *result);

/*
 * Answer r for an ack row of decide() or revoke() that is neither APPLIED nor
 * DUPLICATE: NOT_FOUND, PERMISSION_DENIED, REJECTED -> INVALID_ARGUMENT,
 * CONFLICT and LOCKED -> CONFLICT, each with the ack's field and message.
 */
void province_ack_error(req_t *r, const PGresult *res, int row);

#endif
