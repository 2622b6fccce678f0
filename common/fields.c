/*
 * fields.c - the field table of fields.h as data, for code that walks it
 * (record validation, the tests that hold the SQL and the docs to it).
 */
#include "fields.h"

#include <string.h>

#include "defs.h"
#include "i18n.h"

#define FIELD_ROW(id, wire, max, req, flags, sql) {#id, wire, max, req, flags, sql},

const field_def_t field_record_defs[] = {THIDUA_RECORD_FIELDS(FIELD_ROW)};
const size_t field_record_count = THIDUA_ARRAY_LEN(field_record_defs);
const field_def_t field_decision_defs[] = {THIDUA_DECISION_FIELDS(FIELD_ROW)};
const size_t field_decision_count = THIDUA_ARRAY_LEN(field_decision_defs);

const char *field_req_text(field_req_t req)
{
    static const char *const words[] = {
        [FIELD_REQ_NONE] = "no",
        [FIELD_REQ_ALL] = "yes",
        [FIELD_REQ_INDIVIDUAL] = "individuals",
        [FIELD_REQ_ACTION] = "reject, return, revoke",
    };
    return (size_t)req < THIDUA_ARRAY_LEN(words) ? words[req] : "?";
}

/* The labels, by wire name: kept apart from the table of limits, which SQL and docs are made from. */
static const struct {
    const char *wire;
    const char *label;
} field_labels[] = {
    {"id", N_("record id")},
    {"revision", N_("revision")},
    {"campaign", N_("campaign")},
    {"org_unit", N_("proposing unit")},
    {"nominee_kind", N_("nominee kind")},
    {"nominee_name", N_("name of the nominee")},
    {"birth_date", N_("date of birth")},
    {"gender", N_("gender")},
    {"position", N_("position")},
    {"workplace", N_("workplace")},
    {"title", N_("achievement")},
    {"summary", N_("achievement report")},
    {"category", N_("category")},
    {"achieved_on", N_("date achieved")},
    {"proposed_award", N_("proposed award")},
    {"decision.number", N_("decision number")},
    {"decision.date", N_("decision date")},
    {"decision.signer", N_("signer of the decision")},
    {"decision.issuer", N_("issuer of the decision")},
    {"reason", N_("reason")},
};

const char *field_label(const char *wire)
{
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(field_labels); i++) {
        if (strcmp(field_labels[i].wire, wire) == 0)
            return _(field_labels[i].label);
    }
    return NULL;
}
