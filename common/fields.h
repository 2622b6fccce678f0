/*
 * fields.h - the one table of the text fields of a record and of a decision:
 * their wire name, their length limit and when they are required.
 *
 * The limits were written in four places (record.h, the SQL schema, its
 * functions and the docs) and had drifted apart. They live here now, as
 * X-macros, and everything else is made from this table or checked against
 * it (docs/design-decisions.md, "One table of field limits"):
 *   - the C checks: record.c and the server's Award/Decide/Revoke arguments
 *     read FIELD_MAX() and field_record_defs;
 *   - the CHECK constraints of sql/008_field_limits.sql, compared with the
 *     migrated database's pg_constraint by tests/integration/test_schema.c;
 *   - the tables of docs/protocol.md and docs/schema.md, compared with this
 *     table by tests/unit/test_fields.c.
 *
 * A row: XX(id, wire, max_chars, required, flags, sql)
 *   id         the C name (record_t member for a record field)
 *   wire       the name errors give (the proto field, "decision.number"...)
 *   max_chars  code points after NFC and trimming
 *   required   FIELD_REQ_*: for which nominee kinds (or requests) it may not be empty
 *   flags      TEXT_MULTILINE or 0
 *   sql        "table.column" whose CHECK bounds the length, or "" when the
 *              value is not stored as text (codes become ids, dates dates)
 */
#ifndef THIDUA_FIELDS_H
#define THIDUA_FIELDS_H

#include <stddef.h>

#include "text.h"

/* When a field may not be empty. */
typedef enum {
    FIELD_REQ_NONE = 0,       /* optional */
    FIELD_REQ_ALL = 1,        /* every nominee kind, every request */
    FIELD_REQ_INDIVIDUAL = 2, /* an individual's record only */
    FIELD_REQ_ACTION = 3,     /* the request says: a reject, return or revoke needs a reason */
} field_req_t;

/* The campaign may be empty on the way in: the server's (or client's) campaign is taken. */
#define THIDUA_RECORD_FIELDS(XX)                                                                   \
    XX(campaign, "campaign", 64, FIELD_REQ_NONE, 0, "")                                            \
    XX(org_unit, "org_unit", 64, FIELD_REQ_ALL, 0, "")                                             \
    XX(nominee_kind, "nominee_kind", 64, FIELD_REQ_ALL, 0, "")                                     \
    XX(nominee_name, "nominee_name", 200, FIELD_REQ_ALL, 0, "record.nominee_name")                 \
    XX(birth_date, "birth_date", 10, FIELD_REQ_INDIVIDUAL, 0, "")                                  \
    XX(gender, "gender", 64, FIELD_REQ_NONE, 0, "")                                                \
    XX(position, "position", 200, FIELD_REQ_NONE, 0, "record.position")                            \
    XX(workplace, "workplace", 300, FIELD_REQ_NONE, 0, "record.workplace")                         \
    XX(title, "title", 500, FIELD_REQ_ALL, 0, "record.title")                                      \
    XX(summary, "summary", 20000, FIELD_REQ_NONE, TEXT_MULTILINE, "record.summary")                \
    XX(category, "category", 64, FIELD_REQ_ALL, 0, "")                                             \
    XX(achieved_on, "achieved_on", 10, FIELD_REQ_ALL, 0, "")                                       \
    XX(proposed_award, "proposed_award", 64, FIELD_REQ_ALL, 0, "")

/* The award decision of Award and Revoke, and the reason of Decide and Revoke. */
#define THIDUA_DECISION_FIELDS(XX)                                                                 \
    XX(decision_number, "decision.number", 64, FIELD_REQ_ALL, 0, "award_decision.number")          \
    XX(decision_date, "decision.date", 10, FIELD_REQ_ALL, 0, "")                                   \
    XX(decision_signer, "decision.signer", 300, FIELD_REQ_ALL, 0, "award_decision.signer")         \
    XX(decision_issuer, "decision.issuer", 32, FIELD_REQ_NONE, 0, "")                              \
    XX(reason, "reason", 2000, FIELD_REQ_ACTION, TEXT_MULTILINE, "decision.reason")

/* FIELD_MAX(title) is the limit of title, a constant expression. */
#define FIELD_MAX(id) FIELD_MAX_##id
#define FIELD_ENUM_MAX(id, wire, max, req, flags, sql) FIELD_MAX_##id = max,
enum { THIDUA_RECORD_FIELDS(FIELD_ENUM_MAX) THIDUA_DECISION_FIELDS(FIELD_ENUM_MAX) };
#undef FIELD_ENUM_MAX

/* One row of the table, for code that walks it. */
typedef struct {
    const char *id;
    const char *wire;
    size_t max_chars;
    field_req_t required;
    unsigned flags;
    const char *sql;
} field_def_t;

/* The rows, in table order. */
extern const field_def_t field_record_defs[];
extern const size_t field_record_count;
extern const field_def_t field_decision_defs[];
extern const size_t field_decision_count;

/* How docs/ say a field's field_req_t: "yes", "individuals", "no", "reject, return, revoke". */
const char *field_req_text(field_req_t req);

/*
 * A field as an officer knows it ("Ngày đạt thành tích" for achieved_on), in
 * the language of the messages (i18n.h); NULL for a name that has no
 * label. Every wire name of the two tables above has one
 * (tests/unit/test_fields.c), as have "id" and "revision".
 */
const char *field_label(const char *wire);

#endif
