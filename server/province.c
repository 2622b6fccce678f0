/*
 * province.c - what the province's handlers share (province.h): submitting a
 * job, turning a database error or an ack row into an Error, checking the
 * text, id and decision arguments, and reading a record out of a result.
 */
#include "province.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "validate.h"

int province_submit(conn_t *c, req_t *r, unsigned flags, const job_stmt_t *stmts, size_t n,
                  dbpool_job_cb cb, void *data, const char *what)
{
    dbpool_job_t *job;
    if (job_make(&job, flags, stmts, n) != 0) {
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
        return -1;
    }
    int rc = job_submit(c, job, cb, data);
    if (rc == 0)
        return 0;
    req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true,
              "the server is %s; send %s again later", td_strerror(rc), what);
    return -1;
}

void province_db_error(req_t *r, const dbpool_job_t *job, const dbpool_error_t *err, const char *what)
{
    conn_t *c = r->conn;
    const PGresult *res = err->stmt >= 0 ? dbpool_job_result(job, (size_t)err->stmt) : NULL;
    const char *column = res != NULL ? PQresultErrorField(res, PG_DIAG_COLUMN_NAME) : NULL;
    const char *msg = err->message != NULL ? err->message : "";
    char q[300];

    if (err->code != TD_EDB || err->retryable || strcmp(err->sqlstate, "57014") == 0) {
        log_warn("province_request_failed", "request=%s unit=%s kind=%s sqlstate=%s error=%s", what,
                 c->unit_code, td_err_name(err->code), err->sqlstate, log_quote(q, sizeof(q), msg));
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true,
                  "the database is not available; send %s again later", what);
        return;
    }
    if (strcmp(err->sqlstate, "TD400") == 0) {
        req_error(r, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, column, false, "%s", msg);
    } else if (strcmp(err->sqlstate, "TD403") == 0) {
        log_warn("permission_denied", "peer=%s unit=%s fp=%.16s request=%s reason=%s", c->peer_addr,
                 c->unit_code, c->fingerprint, what, log_quote(q, sizeof(q), msg));
        req_error(r, THIDUA__V1__ERROR__CODE__PERMISSION_DENIED, column, false, "%s", msg);
    } else if (strcmp(err->sqlstate, "TD409") == 0) {
        req_error(r, THIDUA__V1__ERROR__CODE__CONFLICT, column, false, "%s", msg);
    } else if (strcmp(err->sqlstate, "TD404") == 0) {
        req_error(r, THIDUA__V1__ERROR__CODE__NOT_FOUND, column, false, "%s", msg);
    } else {
        log_error("province_request_failed", "request=%s unit=%s sqlstate=%s error=%s", what,
                  c->unit_code, err->sqlstate, log_quote(q, sizeof(q), msg));
        req_error(r, THIDUA__V1__ERROR__CODE__INTERNAL, NULL, false,
                  "the server could not answer %s (%s)", what, err->sqlstate);
    }
}

int province_text(req_t *r, const char *field, const char *in, size_t max_chars, unsigned flags,
                bool required, char **out)
{
    const text_rules_t rules = {
        .flags = flags, .min_chars = required ? 1 : 0, .max_chars = max_chars};
    valid_error_t verr;
    if (in == NULL)
        in = "";
    int rc = valid_text(field, in, strlen(in), &rules, out, &verr);
    if (rc == TD_OK)
        return 0;
    if (rc == TD_EINTERNAL)
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server error: %s",
                  verr.reason);
    else if (in[0] == '\0')
        req_error(r, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, field, false, "%s is required",
                  field);
    else
        req_error(r, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, field, false, "%s: %s", field,
                  verr.reason);
    return -1;
}

int province_id(req_t *r, const char *field, const char *in, char out[UUID_STR_SIZE])
{
    valid_error_t verr;
    if (valid_uuid(field, in != NULL ? in : "", out, &verr) == TD_OK)
        return 0;
    req_error(r, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, field, false, "%s: %s", field,
              verr.reason);
    return -1;
}

void province_decision_free(province_decision_t *d)
{
    free(d->number);
    free(d->date);
    free(d->signer);
    free(d->issuer);
    memset(d, 0, sizeof(*d));
}

int province_decision_init(province_decision_t *out, req_t *r, const Thidua__V1__AwardDecision *d)
{
    memset(out, 0, sizeof(*out));
    if (d == NULL) {
        req_error(r, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, "decision", false,
                  "decision is required: its number, date and signer");
        return -1;
    }
    /* Limits as in thidua.award_decision_get, which checks them again. */
    if (province_text(r, "decision.number", d->number, FIELD_MAX(decision_number), 0, true,
                    &out->number) != 0 ||
        province_text(r, "decision.date", d->date, FIELD_MAX(decision_date), 0, true,
                    &out->date) != 0 ||
        province_text(r, "decision.signer", d->signer, FIELD_MAX(decision_signer), 0, true,
                    &out->signer) != 0 ||
        province_text(r, "decision.issuer", d->issuer, FIELD_MAX(decision_issuer), 0, false,
                    &out->issuer) != 0) {
        province_decision_free(out);
        return -1;
    }
    int32_t days;
    valid_error_t verr;
    if (valid_date("decision.date", out->date, &days, &verr) != TD_OK) {
        req_error(r, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, "decision.date", false, "%s: %s",
                  verr.field, verr.reason);
        province_decision_free(out);
        return -1;
    }
    return 0;
}

void province_record_free(province_record_t *rr)
{
    free(rr->dups_buf);
    free(rr->dups);
    rr->dups_buf = NULL;
    rr->dups = NULL;
}

int province_record_fill(province_record_t *rr, const PGresult *res, int row, const recout_cols_t *cols,
                       int dups_col)
{
    rr->dups_buf = NULL;
    rr->dups = NULL;
    recout_fill(&rr->out, res, row, cols);
    if (dups_col < 0 || PQgetisnull(res, row, dups_col))
        return 0;
    const char *list = PQgetvalue(res, row, dups_col);
    if (list[0] == '\0')
        return 0;
    size_t n = 1;
    for (const char *p = list; *p != '\0'; p++)
        n += *p == ',';
    rr->dups_buf = strdup(list);
    rr->dups = calloc(n, sizeof(*rr->dups));
    if (rr->dups_buf == NULL || rr->dups == NULL) {
        province_record_free(rr);
        return -1;
    }
    size_t k = 0;
    for (char *p = rr->dups_buf, *next; p != NULL; p = next) {
        next = strchr(p, ',');
        if (next != NULL)
            *next++ = '\0';
        rr->dups[k++] = p;
    }
    rr->out.rec.n_possible_duplicates = k;
    rr->out.rec.possible_duplicates = rr->dups;
    return 0;
}

int province_record_one(province_record_t *rr, req_t *r, const PGresult *res)
{
    recout_cols_t cols;
    recout_columns(res, &cols);
    if (province_record_fill(rr, res, 0, &cols, PQfnumber(res, "possible_duplicates")) == 0)
        return 0;
    req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
    return -1;
}

bool province_ack_ok(const char *result)
{
    return strcmp(result, "APPLIED") == 0 || strcmp(result, "DUPLICATE") == 0;
}

void province_ack_error(req_t *r, const PGresult *res, int row)
{
    const char *result = PQgetvalue(res, row, PQfnumber(res, "result"));
    int c_field = PQfnumber(res, "field"), c_msg = PQfnumber(res, "message");
    const char *field =
        c_field >= 0 && !PQgetisnull(res, row, c_field) ? PQgetvalue(res, row, c_field) : NULL;
    const char *msg =
        c_msg >= 0 && !PQgetisnull(res, row, c_msg) ? PQgetvalue(res, row, c_msg) : result;
    Thidua__V1__Error__Code code = THIDUA__V1__ERROR__CODE__INTERNAL;
    if (strcmp(result, "NOT_FOUND") == 0)
        code = THIDUA__V1__ERROR__CODE__NOT_FOUND;
    else if (strcmp(result, "PERMISSION_DENIED") == 0)
        code = THIDUA__V1__ERROR__CODE__PERMISSION_DENIED;
    else if (strcmp(result, "REJECTED") == 0)
        code = THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT;
    else if (strcmp(result, "CONFLICT") == 0 || strcmp(result, "LOCKED") == 0)
        code = THIDUA__V1__ERROR__CODE__CONFLICT;
    else
        log_error("province_unexpected_result", "result=%s", result);
    req_error(r, code, field, false, "%s", msg);
}

