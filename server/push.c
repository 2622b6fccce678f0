/*
 * push.c - PushRequest: validate each record, store the valid ones in one
 * transaction, answer one ack per record after the commit.
 *
 * Validation runs here, in C, with the same code the client runs (record.c);
 * the records that pass go to thidua.push() as one JSON array, one round trip
 * per batch. The database decides APPLIED, DUPLICATE, STALE, CONFLICT and
 * LOCKED under row locks, and re-checks what it can (docs/schema.md). The
 * response is built only in the job's callback, that is after COMMIT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "record.h"
#include "recout.h"
#include "server.h"
#include "strbuf.h"
#include "text.h"

/* The state of one push while its job runs. Owns acks and their strings. */
typedef struct push_ctx {
    req_t *req;
    size_t n;
    Thidua__V1__RecordAck *acks;
    Thidua__V1__RecordAck **ackp;
    size_t *sql_index; /* k-th record sent to SQL -> its index in the request */
    size_t nsql;
} push_ctx_t;

static void push_ctx_free(push_ctx_t *p)
{
    for (size_t i = 0; i < p->n && p->ackp[i] != NULL; i++) {
        free(p->acks[i].id);
        free(p->acks[i].field);
        free(p->acks[i].message);
    }
    free(p->acks);
    free(p->ackp);
    free(p->sql_index);
    free(p);
}

static char *push_dup(const char *s)
{
    char *d = strdup(s != NULL ? s : "");
    return d;
}

static void push_ack_set(Thidua__V1__RecordAck *a, Thidua__V1__RecordAck__Status st,
                         const char *field, const char *message)
{
    a->status = st;
    free(a->field);
    free(a->message);
    a->field = push_dup(field);
    a->message = push_dup(message);
}

static Thidua__V1__RecordAck__Status push_status(const char *s)
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
    };
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(map); i++) {
        if (strcmp(s, map[i].name) == 0)
            return map[i].st;
    }
    return THIDUA__V1__RECORD_ACK__STATUS__REJECTED;
}

static void push_respond(push_ctx_t *p)
{
    conn_t *c = p->req->conn;
    server_t *s = c->server;
    unsigned rejected = 0;
    for (size_t i = 0; i < p->n; i++) {
        if ((size_t)p->acks[i].status < THIDUA_ARRAY_LEN(s->stats.acks))
            s->stats.acks[p->acks[i].status]++;
        rejected += p->acks[i].status == THIDUA__V1__RECORD_ACK__STATUS__REJECTED;
    }
    /* Per-unit sync health for the province (best effort, its own job). */
    report_sync_note(c, "push", rejected);
    Thidua__V1__PushResponse resp = THIDUA__V1__PUSH_RESPONSE__INIT;
    resp.n_acks = p->n;
    resp.acks = p->ackp;
    req_respond(p->req, &resp.base);
    push_ctx_free(p);
}

static void push_done(dbpool_job_t *job, const dbpool_error_t *err, void *data)
{
    push_ctx_t *p = data;
    conn_t *c = p->req->conn;

    if (err != NULL) {
        char q[300];
        log_warn("push_failed", "unit=%s records=%zu kind=%d sqlstate=%s error=%s", c->unit_code,
                 p->nsql, (int)err->kind, err->sqlstate, log_quote(q, sizeof(q), err->message));
        if (err->retryable || err->kind != DBPOOL_ERR_SQL)
            req_error(p->req, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true,
                      "the database is not available; nothing of this batch is lost: "
                      "send it again later");
        else
            req_error(p->req, THIDUA__V1__ERROR__CODE__INTERNAL, NULL, false,
                      "the server could not store this batch (%s)", err->sqlstate);
        push_ctx_free(p);
        return;
    }

    const PGresult *res = dbpool_job_result(job, 0);
    int rows = PQntuples(res);
    int c_ord = PQfnumber(res, "ord"), c_result = PQfnumber(res, "result"),
        c_seq = PQfnumber(res, "change_seq"), c_field = PQfnumber(res, "field"),
        c_msg = PQfnumber(res, "message"), c_status = PQfnumber(res, "record_status"),
        c_stored = PQfnumber(res, "stored_revision");
    for (int row = 0; row < rows; row++) {
        long ord = strtol(PQgetvalue(res, row, c_ord), NULL, 10);
        if (ord < 1 || (size_t)ord > p->nsql)
            continue;
        Thidua__V1__RecordAck *a = &p->acks[p->sql_index[ord - 1]];
        push_ack_set(a, push_status(PQgetvalue(res, row, c_result)), PQgetvalue(res, row, c_field),
                     PQgetvalue(res, row, c_msg));
        a->change_seq = strtoull(PQgetvalue(res, row, c_seq), NULL, 10);
        a->record_status = recout_status(PQgetvalue(res, row, c_status));
        a->stored_revision = (uint32_t)strtoul(PQgetvalue(res, row, c_stored), NULL, 10);
    }
    push_respond(p);
}

/* Append one validated record to the JSON array for thidua.push(). */
static void push_json_record(strbuf_t *sb, const record_t *r, const uint8_t hash[RECORD_HASH_LEN])
{
    static const char hexd[] = "0123456789abcdef";
    char hex[2 * RECORD_HASH_LEN + 1];
    for (size_t i = 0; i < RECORD_HASH_LEN; i++) {
        hex[2 * i] = hexd[hash[i] >> 4];
        hex[2 * i + 1] = hexd[hash[i] & 15];
    }
    hex[2 * RECORD_HASH_LEN] = '\0';

    const struct {
        const char *key;
        const char *value;
    } fields[] = {
        {"id", r->id},
        {"campaign", r->campaign},
        {"org_unit", r->org_unit},
        {"nominee_kind", r->nominee_kind},
        {"nominee_name", r->nominee_name},
        {"birth_date", r->birth_date},
        {"gender", r->gender},
        {"position", r->position},
        {"workplace", r->workplace},
        {"title", r->title},
        {"summary", r->summary},
        {"category", r->category},
        {"achieved_on", r->achieved_on},
        {"proposed_award", r->proposed_award},
        {"content_hash", hex},
    };
    strbuf_putc(sb, '{');
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(fields); i++) {
        strbuf_printf(sb, "\"%s\":", fields[i].key);
        strbuf_json_string(sb, fields[i].value);
        strbuf_putc(sb, ',');
    }
    char *key = NULL, *loose = NULL;
    if (text_fold_key(r->nominee_name, strlen(r->nominee_name), &key) == 0 &&
        text_fold_loose(r->nominee_name, strlen(r->nominee_name), &loose) == 0) {
        strbuf_puts(sb, "\"name_key\":");
        strbuf_json_string(sb, key);
        strbuf_puts(sb, ",\"name_loose_key\":");
        strbuf_json_string(sb, loose);
        strbuf_putc(sb, ',');
    }
    free(key);
    free(loose);
    strbuf_printf(sb, "\"revision\":%u,\"withdrawn\":%s}", r->revision,
                  r->withdrawn ? "true" : "false");
}

/*
 * Check one record here; on success append it to the JSON array and return 1,
 * otherwise fill its ack and return 0.
 */
static int push_check(conn_t *c, const Thidua__V1__Record *in, Thidua__V1__RecordAck *a,
                      strbuf_t *json)
{
    const catalog_t *cat = c->server->catalog;
    record_t r;
    valid_error_t verr;
    char msg[320];

    int rc = record_from_proto(&r, in, cat->campaign->code, &verr);
    if (rc == VALID_OK)
        rc = record_check_campaign(&r, cat->campaign, &verr);
    if (rc != VALID_OK) {
        snprintf(msg, sizeof(msg), "%s: %s", verr.field, verr.reason);
        push_ack_set(a, THIDUA__V1__RECORD_ACK__STATUS__REJECTED, verr.field, msg);
        record_free(&r);
        return 0;
    }
    const catalog_unit_t *u = catalog_unit_by_code(cat, r.org_unit);
    if (u == NULL) {
        snprintf(msg, sizeof(msg), "org_unit: %s is not an org unit in force", r.org_unit);
        push_ack_set(a, THIDUA__V1__RECORD_ACK__STATUS__REJECTED, "org_unit", msg);
        record_free(&r);
        return 0;
    }
    if (!catalog_unit_within(cat, c->unit, u)) {
        snprintf(msg, sizeof(msg), "this certificate (unit %s) may not write records of unit %s",
                 c->unit_code, r.org_unit);
        push_ack_set(a, THIDUA__V1__RECORD_ACK__STATUS__PERMISSION_DENIED, "org_unit", msg);
        log_warn("permission_denied", "peer=%s unit=%s fp=%.16s record_unit=%s", c->peer_addr,
                 c->unit_code, c->fingerprint, r.org_unit);
        record_free(&r);
        return 0;
    }
    uint8_t hash[RECORD_HASH_LEN];
    if (record_content_hash(&r, hash) != 0) {
        push_ack_set(a, THIDUA__V1__RECORD_ACK__STATUS__REJECTED, "content_hash",
                     "the server could not hash this record");
        record_free(&r);
        return 0;
    }
    if (in->content_hash.len != 0 &&
        (in->content_hash.len != RECORD_HASH_LEN ||
         memcmp(in->content_hash.data, hash, RECORD_HASH_LEN) != 0)) {
        push_ack_set(a, THIDUA__V1__RECORD_ACK__STATUS__REJECTED, "content_hash",
                     "content_hash does not match the record's content");
        record_free(&r);
        return 0;
    }
    if (json->len > 1)
        strbuf_putc(json, ',');
    push_json_record(json, &r, hash);
    record_free(&r);
    return 1;
}

void push_handle(conn_t *c, req_t *r, const Thidua__V1__PushRequest *req)
{
    server_t *s = c->server;
    if (req->n_records > s->cfg->max_batch) {
        req_error(r, THIDUA__V1__ERROR__CODE__TOO_LARGE, "records", false,
                  "a push may carry at most %u records; this one has %zu", s->cfg->max_batch,
                  req->n_records);
        return;
    }

    push_ctx_t *p = calloc(1, sizeof(*p));
    if (p != NULL) {
        p->req = r;
        p->n = req->n_records;
        p->acks = calloc(p->n + 1, sizeof(*p->acks));
        p->ackp = calloc(p->n + 1, sizeof(*p->ackp));
        p->sql_index = calloc(p->n + 1, sizeof(*p->sql_index));
    }
    if (p == NULL || p->acks == NULL || p->ackp == NULL || p->sql_index == NULL) {
        if (p != NULL)
            push_ctx_free(p);
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
        return;
    }

    strbuf_t json;
    strbuf_init(&json);
    strbuf_putc(&json, '[');
    for (size_t i = 0; i < p->n; i++) {
        const Thidua__V1__Record *in = req->records[i];
        Thidua__V1__RecordAck *a = &p->acks[i];
        thidua__v1__record_ack__init(a);
        p->ackp[i] = a;
        /* Every string of an ack is ours to free, never protobuf-c's static "". */
        a->id = push_dup(in->id);
        a->field = push_dup("");
        a->message = push_dup("");
        a->revision = in->revision;
        if (push_check(c, in, a, &json))
            p->sql_index[p->nsql++] = i;
    }
    strbuf_putc(&json, ']');

    if (p->nsql == 0) {
        strbuf_free(&json);
        push_respond(p);
        return;
    }
    if (strbuf_failed(&json)) {
        strbuf_free(&json);
        push_ctx_free(p);
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
        return;
    }

    char unit_id[24], cert[2 + 64 + 1];
    snprintf(unit_id, sizeof(unit_id), "%lld", (long long)c->unit->id);
    snprintf(cert, sizeof(cert), "\\x%s", c->fingerprint);
    const char *params[3] = {unit_id, cert, strbuf_str(&json)};
    dbpool_job_t *job = dbpool_job_new(DBPOOL_TX);
    int rc = job == NULL ? DBPOOL_ENOMEM : dbpool_job_add_prepared(job, "push", 3, params);
    strbuf_free(&json);
    if (rc == 0)
        rc = dbpool_submit(s->db, job, push_done, p);
    else if (job != NULL)
        dbpool_job_free(job);
    if (rc != 0) {
        push_ctx_free(p);
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true,
                  "the server is busy (%s); send this batch again later", dbpool_strerror(rc));
    }
}
