/*
 * fields.c - the field table of fields.h as data, for code that walks it
 * (record validation, the tests that hold the SQL and the docs to it).
 */
#include "fields.h"

#include "defs.h"

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
