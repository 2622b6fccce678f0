/*
 * recout.h - a stored record, as a query row of thidua.record_out's columns,
 * turned into a Thidua__V1__Record for the wire.
 *
 * The message points into the PGresult (no copies): keep the result alive
 * until the response is packed.
 */
#ifndef THIDUAD_RECOUT_H
#define THIDUAD_RECOUT_H

#include <libpq-fe.h>

#include "thidua.pb-c.h"

/* Column numbers of one result, looked up once (-1 when absent). */
typedef struct recout_cols {
    int id, campaign, org_unit, nominee_kind, nominee_name, birth_date, gender, position,
        workplace, title, summary, category, achieved_on, proposed_award, revision, status,
        content_hash, withdrawn, change_seq, updated_at_ms, decision_action, decision_revision,
        decision_reason, decided_at_ms, award_form, award_number, award_date, award_signer,
        award_issuer, revoked_reason, revoke_number, revoke_date, revoke_signer, revoke_issuer;
} recout_cols_t;

/* One record and the sub-messages it points to. */
typedef struct recout {
    Thidua__V1__Record rec;
    Thidua__V1__Decision decision;
    Thidua__V1__Award award;
    Thidua__V1__AwardDecision award_decision;
    Thidua__V1__AwardDecision revoke_decision;
    uint8_t hash[32];
} recout_t;

void recout_columns(const PGresult *res, recout_cols_t *cols);
/* Fill o from row (the record's own change_seq: column record_change_seq, else change_seq). */
void recout_fill(recout_t *o, const PGresult *res, int row, const recout_cols_t *cols);

/* "submitted" -> SUBMITTED...; STATUS_UNSPECIFIED for anything else. */
Thidua__V1__Record__Status recout_status(const char *s);
const char *recout_status_name(Thidua__V1__Record__Status st);

#endif
