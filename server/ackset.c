/*
 * ackset.c - per-record answers of Push and Award (ackset.h).
 */
#include "ackset.h"

#include "error.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

#include "recout.h"

/* An ack's strings are ours once set; until then they are protobuf-c's shared "". */
static void ackset_str_free(char *s)
{
    if (s != protobuf_c_empty_string)
        free(s);
}

void ackset_free(ackset_t *s)
{
    for (size_t i = 0; s->acks != NULL && i < s->n; i++) {
        ackset_str_free(s->acks[i].id);
        ackset_str_free(s->acks[i].field);
        ackset_str_free(s->acks[i].message);
    }
    free(s->acks);
    free(s->ackp);
    free(s->sql_index);
    memset(s, 0, sizeof(*s));
}

int ackset_init(ackset_t *s, size_t n)
{
    memset(s, 0, sizeof(*s));
    s->acks = calloc(n + 1, sizeof(*s->acks));
    s->ackp = calloc(n + 1, sizeof(*s->ackp));
    s->sql_index = calloc(n + 1, sizeof(*s->sql_index));
    if (s->acks == NULL || s->ackp == NULL || s->sql_index == NULL) {
        ackset_free(s);
        return -1;
    }
    s->n = n;
    for (size_t i = 0; i < n; i++) {
        thidua__v1__record_ack__init(&s->acks[i]);
        s->ackp[i] = &s->acks[i];
    }
    return 0;
}

/* Replace *slot by a copy of v (NULL is ""). 0, or -1 when out of memory. */
static int ackset_str(char **slot, const char *v)
{
    ackset_str_free(*slot);
    *slot = strdup(v != NULL ? v : "");
    return *slot != NULL ? 0 : -1;
}

int ackset_id(Thidua__V1__RecordAck *a, const char *id)
{
    return ackset_str(&a->id, id);
}

int ackset_set(Thidua__V1__RecordAck *a, Thidua__V1__RecordAck__Status st, const char *field,
               const char *message)
{
    a->status = st;
    int rc = ackset_str(&a->field, field);
    return ackset_str(&a->message, message) | rc;
}

int ackset_status(const char *result, Thidua__V1__RecordAck__Status *out)
{
    static const struct {
        const char *name;
        Thidua__V1__RecordAck__Status st;
    } map[] = {
        {"APPLIED", THIDUA__V1__RECORD_ACK__STATUS__APPLIED},
        {"DUPLICATE", THIDUA__V1__RECORD_ACK__STATUS__DUPLICATE},
        {"STALE", THIDUA__V1__RECORD_ACK__STATUS__STALE},
        {"CONFLICT", THIDUA__V1__RECORD_ACK__STATUS__CONFLICT},
        {"LOCKED", THIDUA__V1__RECORD_ACK__STATUS__LOCKED},
        {"REJECTED", THIDUA__V1__RECORD_ACK__STATUS__REJECTED},
        {"PERMISSION_DENIED", THIDUA__V1__RECORD_ACK__STATUS__PERMISSION_DENIED},
        {"NOT_FOUND", THIDUA__V1__RECORD_ACK__STATUS__REJECTED},
    };
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(map); i++) {
        if (strcmp(result, map[i].name) == 0) {
            *out = map[i].st;
            return 0;
        }
    }
    return TD_EINTERNAL;
}

int ackset_fill(ackset_t *s, const PGresult *res, size_t *applied)
{
    return ackset_fill_rows(s, res, 0, PQntuples(res), applied);
}

int ackset_fill_rows(ackset_t *s, const PGresult *res, int first, int nrows, size_t *applied)
{
    int rows = first + nrows;
    int c_ord = PQfnumber(res, "ord"), c_result = PQfnumber(res, "result"),
        c_seq = PQfnumber(res, "change_seq"), c_field = PQfnumber(res, "field"),
        c_msg = PQfnumber(res, "message"), c_status = PQfnumber(res, "record_status"),
        c_rev = PQfnumber(res, "revision"), c_stored = PQfnumber(res, "stored_revision");
    int rc = 0;
    *applied = 0;
    for (int row = first; row < rows; row++) {
        long ord = strtol(PQgetvalue(res, row, c_ord), NULL, 10);
        if (ord < 1 || (size_t)ord > s->nsql)
            continue;
        Thidua__V1__RecordAck *a = &s->acks[s->sql_index[ord - 1]];
        const char *result = PQgetvalue(res, row, c_result);
        Thidua__V1__RecordAck__Status st;
        if (ackset_status(result, &st) != 0) {
            char q[80];
            log_error("ack_unknown", "result=%s", log_quote(q, sizeof(q), result));
            return TD_EINTERNAL;
        }
        *applied += st == THIDUA__V1__RECORD_ACK__STATUS__APPLIED;
        if (strcmp(result, "NOT_FOUND") == 0) /* no status of its own: say which field */
            rc |= ackset_set(a, st, "id", "no such record");
        else
            rc |= ackset_set(a, st, PQgetvalue(res, row, c_field), PQgetvalue(res, row, c_msg));
        a->change_seq = strtoull(PQgetvalue(res, row, c_seq), NULL, 10);
        if (a->revision == 0 && c_rev >= 0)
            a->revision = (uint32_t)strtoul(PQgetvalue(res, row, c_rev), NULL, 10);
        a->record_status = recout_status(PQgetvalue(res, row, c_status));
        a->stored_revision = (uint32_t)strtoul(PQgetvalue(res, row, c_stored), NULL, 10);
    }
    return rc;
}
