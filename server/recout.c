/*
 * recout.c - stored records as wire records.
 */
#include "recout.h"

#include <stdlib.h>
#include <string.h>

static const char *const recout_status_names[] = {
    "", "submitted", "returned", "approved", "rejected", "withdrawn", "awarded", "revoked",
};

Thidua__V1__Record__Status recout_status(const char *s)
{
    for (size_t i = 1; i < sizeof(recout_status_names) / sizeof(recout_status_names[0]); i++) {
        if (strcmp(s, recout_status_names[i]) == 0)
            return (Thidua__V1__Record__Status)i;
    }
    return THIDUA__V1__RECORD__STATUS__STATUS_UNSPECIFIED;
}

const char *recout_status_name(Thidua__V1__Record__Status st)
{
    if ((size_t)st < sizeof(recout_status_names) / sizeof(recout_status_names[0]))
        return recout_status_names[st];
    return "";
}

void recout_columns(const PGresult *res, recout_cols_t *c)
{
#define COL(name) c->name = PQfnumber(res, #name)
    COL(id); COL(campaign); COL(org_unit); COL(nominee_kind); COL(nominee_name);
    COL(birth_date); COL(gender); COL(position); COL(workplace); COL(title); COL(summary);
    COL(category); COL(achieved_on); COL(proposed_award); COL(revision); COL(status);
    COL(content_hash); COL(withdrawn); COL(updated_at_ms); COL(decision_action);
    COL(decision_revision); COL(decision_reason); COL(decided_at_ms); COL(award_form);
    COL(award_number); COL(award_date); COL(award_signer); COL(award_issuer);
    COL(revoked_reason); COL(revoke_number); COL(revoke_date); COL(revoke_signer);
    COL(revoke_issuer);
#undef COL
    /* pull() names the record's own position record_change_seq; views say change_seq. */
    c->change_seq = PQfnumber(res, "record_change_seq");
    if (c->change_seq < 0)
        c->change_seq = PQfnumber(res, "change_seq");
}

static char *recout_text(const PGresult *res, int row, int col)
{
    if (col < 0 || PQgetisnull(res, row, col))
        return "";
    return PQgetvalue(res, row, col);
}

static long long recout_int(const PGresult *res, int row, int col)
{
    if (col < 0 || PQgetisnull(res, row, col))
        return 0;
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static int recout_hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

void recout_fill(recout_t *o, const PGresult *res, int row, const recout_cols_t *c)
{
    thidua__v1__record__init(&o->rec);
    thidua__v1__decision__init(&o->decision);
    thidua__v1__award__init(&o->award);
    thidua__v1__award_decision__init(&o->award_decision);
    thidua__v1__award_decision__init(&o->revoke_decision);

    Thidua__V1__Record *r = &o->rec;
    r->id = recout_text(res, row, c->id);
    r->campaign = recout_text(res, row, c->campaign);
    r->org_unit = recout_text(res, row, c->org_unit);
    r->nominee_kind = recout_text(res, row, c->nominee_kind);
    r->nominee_name = recout_text(res, row, c->nominee_name);
    r->birth_date = recout_text(res, row, c->birth_date);
    r->gender = recout_text(res, row, c->gender);
    r->position = recout_text(res, row, c->position);
    r->workplace = recout_text(res, row, c->workplace);
    r->title = recout_text(res, row, c->title);
    r->summary = recout_text(res, row, c->summary);
    r->category = recout_text(res, row, c->category);
    r->achieved_on = recout_text(res, row, c->achieved_on);
    r->proposed_award = recout_text(res, row, c->proposed_award);
    r->revision = (uint32_t)recout_int(res, row, c->revision);
    r->status = recout_status(recout_text(res, row, c->status));
    r->withdrawn = recout_text(res, row, c->withdrawn)[0] == 't';
    r->change_seq = (uint64_t)recout_int(res, row, c->change_seq);
    r->updated_at_ms = recout_int(res, row, c->updated_at_ms);

    const char *hex = recout_text(res, row, c->content_hash);
    if (strlen(hex) == 64) {
        for (size_t i = 0; i < 32; i++)
            o->hash[i] = (uint8_t)(recout_hexval(hex[2 * i]) << 4 | recout_hexval(hex[2 * i + 1]));
        r->content_hash.data = o->hash;
        r->content_hash.len = 32;
    }

    const char *action = recout_text(res, row, c->decision_action);
    if (action[0] != '\0') {
        o->decision.action = (char *)action;
        o->decision.revision = (uint32_t)recout_int(res, row, c->decision_revision);
        o->decision.reason = recout_text(res, row, c->decision_reason);
        o->decision.decided_at_ms = recout_int(res, row, c->decided_at_ms);
        r->decision = &o->decision;
    }
    const char *form = recout_text(res, row, c->award_form);
    if (form[0] != '\0') {
        o->award.form = (char *)form;
        o->award_decision.number = recout_text(res, row, c->award_number);
        o->award_decision.date = recout_text(res, row, c->award_date);
        o->award_decision.signer = recout_text(res, row, c->award_signer);
        o->award_decision.issuer = recout_text(res, row, c->award_issuer);
        o->award.decision = &o->award_decision;
        o->award.revoked_reason = recout_text(res, row, c->revoked_reason);
        if (recout_text(res, row, c->revoke_number)[0] != '\0') {
            o->revoke_decision.number = recout_text(res, row, c->revoke_number);
            o->revoke_decision.date = recout_text(res, row, c->revoke_date);
            o->revoke_decision.signer = recout_text(res, row, c->revoke_signer);
            o->revoke_decision.issuer = recout_text(res, row, c->revoke_issuer);
            o->award.revoked_by = &o->revoke_decision;
        }
        r->award = &o->award;
    }
}
