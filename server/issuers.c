/*
 * issuers.c - IssuerGet, IssuerSet and DecisionDocument (issuers.h).
 *
 * The settings come back from SQL as columns (thidua.issuer_fields), the
 * lists joined by U+001F, which no setting may hold; the answers point into
 * the results and into a copy of each list split in place.
 */
#include "issuers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "log.h"
#include "province.h"
#include "strbuf.h"

#define ISSUERS_LIST_SEP '\x1f'

/* The two lists of one IssuerSettings, split in copies this owns. */
typedef struct issuers_lists {
    char *buf[2];
    char **lines[2];
} issuers_lists_t;

static void issuers_lists_free(issuers_lists_t *l)
{
    for (int k = 0; k < 2; k++) {
        free(l->buf[k]);
        free(l->lines[k]);
    }
}

/* Split a U+001F-joined list into *out (n lines). -1 when out of memory. */
static int issuers_split(const char *joined, char **buf, char ***out, size_t *n)
{
    size_t cnt = joined[0] == '\0' ? 0 : 1;
    for (const char *p = joined; *p; p++)
        cnt += *p == ISSUERS_LIST_SEP;
    *buf = strdup(joined);
    *out = calloc(cnt + 1, sizeof(**out));
    if (*buf == NULL || *out == NULL)
        return -1;
    *n = 0;
    if (cnt == 0)
        return 0;
    for (char *p = *buf;; p++) {
        (*out)[(*n)++] = p;
        p = strchr(p, ISSUERS_LIST_SEP);
        if (p == NULL)
            break;
        *p = '\0';
    }
    return 0;
}

/*
 * Row `row` of a result with thidua.issuer_get's columns into s (pointing
 * into res and into l). -1 when out of memory.
 */
static int issuers_fill(Thidua__V1__IssuerSettings *s, issuers_lists_t *l, const PGresult *res,
                        int row)
{
    thidua__v1__issuer_settings__init(s);
    memset(l, 0, sizeof(*l));
#define COL(name) PQgetvalue(res, row, PQfnumber(res, name))
    s->code = COL("code");
    s->name = COL("name");
    s->stored = COL("stored")[0] == 't';
    s->parent_body = COL("parent_body");
    s->body = COL("body");
    s->symbol = COL("symbol");
    s->place = COL("place");
    s->authority = COL("authority");
    s->proposal = COL("proposal");
    s->article_money = COL("article_money");
    s->article_execution = COL("article_execution");
    s->signer_title = COL("signer_title");
    if (issuers_split(COL("basis"), &l->buf[0], &l->lines[0], &s->n_basis) != 0 ||
        issuers_split(COL("recipients"), &l->buf[1], &l->lines[1], &s->n_recipients) != 0)
        return -1;
#undef COL
    s->basis = l->lines[0];
    s->recipients = l->lines[1];
    return 0;
}

/* Answer an IssuerGet or IssuerSet from the one row of its result. */
static void issuers_done(dbpool_job_t *job, const dbpool_error_t *err, void *data)
{
    req_t *r = data;
    if (err != NULL) {
        province_db_error(r, job, err, "Issuer");
        return;
    }
    const PGresult *res = dbpool_job_result(job, 0);
    if (PQntuples(res) != 1) {
        req_error(r, THIDUA__V1__ERROR__CODE__NOT_FOUND, "code", false, "no such issuer");
        return;
    }
    Thidua__V1__IssuerSettings s;
    issuers_lists_t l;
    if (issuers_fill(&s, &l, res, 0) != 0) {
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
    } else {
        Thidua__V1__IssuerResponse resp = THIDUA__V1__ISSUER_RESPONSE__INIT;
        resp.issuer = &s;
        req_respond(r, &resp.base);
    }
    issuers_lists_free(&l);
}

void issuers_get(conn_t *c, req_t *r, const ProtobufCMessage *body)
{
    const Thidua__V1__IssuerGetRequest *q = (const Thidua__V1__IssuerGetRequest *)body;
    int32_t day;
    if (q->on[0] != '\0' && date_parse_iso(q->on, &day, NULL) != TD_OK) {
        req_error(r, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, "on", false,
                  "on must be a date written YYYY-MM-DD");
        return;
    }
    job_caller_t jc;
    job_caller_init(&jc, c);
    const char *params[3] = {jc.unit_id, q->code, q->on[0] ? q->on : NULL};
    const job_stmt_t stmt = {"issuer_get", 3, params};
    if (province_submit(c, r, 0, &stmt, 1, issuers_done, r, "IssuerGet") != 0)
        return; /* r is answered */
}

void issuers_set(conn_t *c, req_t *r, const ProtobufCMessage *body)
{
    const Thidua__V1__IssuerSetRequest *q = (const Thidua__V1__IssuerSetRequest *)body;
    if (q->code[0] == '\0' || q->n_settings == 0) {
        req_error(r, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, q->code[0] ? "settings" : "code",
                  false, "name the issuer and at least one setting");
        return;
    }
    /* Each line normalised as it enters (NFC, no control characters, trimmed). */
    strbuf_t json;
    strbuf_init(&json);
    strbuf_putc(&json, '{');
    for (size_t i = 0; i < q->n_settings; i++) {
        const Thidua__V1__IssuerSetting *st = q->settings[i];
        strbuf_puts(&json, i ? "," : "");
        strbuf_json_string(&json, st->key);
        strbuf_putc(&json, ':');
        if (st->reset) {
            strbuf_puts(&json, "null");
            continue;
        }
        strbuf_putc(&json, '[');
        for (size_t k = 0; k < st->n_lines; k++) {
            char field[96], *line = NULL;
            snprintf(field, sizeof(field), "settings.%s", st->key);
            if (province_text(r, field, st->lines[k], 2000, 0, true, &line) != 0) {
                strbuf_free(&json);
                return;
            }
            strbuf_puts(&json, k ? "," : "");
            strbuf_json_string(&json, line);
            free(line);
        }
        strbuf_putc(&json, ']');
    }
    strbuf_putc(&json, '}');
    if (strbuf_failed(&json)) {
        strbuf_free(&json);
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
        return;
    }
    job_caller_t jc;
    job_caller_init(&jc, c);
    const char *params[4] = {jc.unit_id, jc.cert, q->code, strbuf_str(&json)};
    const job_stmt_t stmt = {"issuer_set", 4, params};
    char q2[120];
    log_info("issuer_set", "peer=%s unit=%s fp=%s issuer=%s settings=%zu", c->peer_addr,
             c->unit_code, c->fingerprint, log_quote(q2, sizeof(q2), q->code), q->n_settings);
    if (province_submit(c, r, DBPOOL_TX, &stmt, 1, issuers_done, r, "IssuerSet") != 0) {
        strbuf_free(&json);
        return; /* r is answered */
    }
    strbuf_free(&json);
}

/* ---- DecisionDocument ---- */

static void issuers_decision_done(dbpool_job_t *job, const dbpool_error_t *err, void *data)
{
    req_t *r = data;
    if (err != NULL) {
        province_db_error(r, job, err, "DecisionDocument");
        return;
    }
    const PGresult *set = dbpool_job_result(job, 0);
    const PGresult *res = dbpool_job_result(job, 1);
    size_t n = (size_t)PQntuples(res);
    Thidua__V1__IssuerSettings s;
    issuers_lists_t l;
    memset(&l, 0, sizeof(l));
    Thidua__V1__DecisionItem *items = calloc(n + 1, sizeof(*items));
    Thidua__V1__DecisionItem **itemp = calloc(n + 1, sizeof(*itemp));
    if (n == 0) {
        /* A revoking act awards nobody: there is no list to print. */
        req_error(r, THIDUA__V1__ERROR__CODE__NOT_FOUND, "number", false,
                  "this decision awards nobody (a revoking act has no list to print)");
    } else if (PQntuples(set) != 1 || items == NULL || itemp == NULL ||
               issuers_fill(&s, &l, set, 0) != 0) {
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
    } else {
        Thidua__V1__AwardDecision dec = THIDUA__V1__AWARD_DECISION__INIT;
        Thidua__V1__DecisionDocumentResponse resp = THIDUA__V1__DECISION_DOCUMENT_RESPONSE__INIT;
        dec.issuer = s.code;
        resp.issuer_name = s.name;
        for (size_t i = 0; i < n; i++) {
            Thidua__V1__DecisionItem *it = &items[i];
            int row = (int)i;
#define COL(name) PQgetvalue(res, row, PQfnumber(res, name))
            thidua__v1__decision_item__init(it);
            if (i == 0) {
                dec.number = COL("number");
                dec.date = COL("decided_on");
                dec.signer = COL("signer");
                resp.campaign = COL("campaign");
                resp.campaign_name = COL("campaign_name");
            }
            it->id = COL("id");
            it->form = COL("form");
            it->form_name = COL("form_name");
            it->nominee_kind = COL("nominee_kind");
            it->nominee_name = COL("nominee_name");
            it->gender = COL("gender");
            it->position = COL("nominee_position");
            it->workplace = COL("nominee_workplace");
            it->org_unit = COL("org_unit");
            it->org_unit_name = COL("org_unit_name");
            it->title = COL("title");
            it->revoked = COL("revoked")[0] == 't';
#undef COL
            itemp[i] = it;
        }
        resp.decision = &dec;
        resp.settings = &s;
        resp.n_items = n;
        resp.items = itemp;
        req_respond(r, &resp.base);
    }
    issuers_lists_free(&l);
    free(items);
    free(itemp);
}

void issuers_decision(conn_t *c, req_t *r, const ProtobufCMessage *body)
{
    const Thidua__V1__DecisionDocumentRequest *q =
        (const Thidua__V1__DecisionDocumentRequest *)body;
    char year[16] = "";
    if (q->year != 0)
        snprintf(year, sizeof(year), "%u", q->year);
    job_caller_t jc;
    job_caller_init(&jc, c);
    const char *params[4] = {jc.unit_id, q->issuer, year[0] ? year : NULL, q->number};
    /* The settings and the list from one snapshot. */
    const job_stmt_t stmts[] = {{"decision_settings", 4, params}, {"decision_document", 4, params}};
    if (province_submit(c, r, DBPOOL_TX_REPEATABLE_READ, stmts, THIDUA_ARRAY_LEN(stmts),
                        issuers_decision_done, r, "DecisionDocument") != 0)
        return; /* r is answered */
}
