/*
 * units.c - UnitList and Reorganise.
 *
 * A reorganisation is checked and applied by thidua.units_reorganise in one
 * transaction, all or nothing; the answer lists what each row did (or would
 * do, for a dry run) and every problem by line and column, as keys the
 * client words in the officer's language. Once a reorganisation is
 * committed the catalog is read again, and the answer waits for it: the
 * next Hello after the answer is judged by the new units.
 */
#include "units.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "log.h"
#include "province.h"
#include "strbuf.h"

/* ---- UnitList ---- */

static void units_list_done(dbpool_job_t *job, const dbpool_error_t *err, void *data)
{
    req_t *r = data;
    if (err != NULL) {
        province_db_error(r, job, err, "UnitList");
        return;
    }
    const PGresult *res = dbpool_job_result(job, 0);
    size_t n = (size_t)PQntuples(res);
    Thidua__V1__OrgUnit *units = calloc(n + 1, sizeof(*units));
    Thidua__V1__OrgUnit **unitp = calloc(n + 1, sizeof(*unitp));
    /* predecessors and successors: ';'-joined codes, split in place in a copy. */
    char **lists = calloc(2 * n + 1, sizeof(*lists));
    char ***codes = calloc(2 * n + 1, sizeof(*codes));
    bool oom = units == NULL || unitp == NULL || lists == NULL || codes == NULL;
    for (size_t i = 0; i < n && !oom; i++) {
        Thidua__V1__OrgUnit *u = &units[i];
        int row = (int)i;
        thidua__v1__org_unit__init(u);
        u->code = PQgetvalue(res, row, 0);
        u->name = PQgetvalue(res, row, 1);
        u->level = PQgetvalue(res, row, 2);
        u->unit_type = PQgetvalue(res, row, 3);
        u->parent = PQgetvalue(res, row, 4);
        u->valid_from = PQgetvalue(res, row, 5);
        u->valid_to = PQgetvalue(res, row, 6);
        u->basis = PQgetvalue(res, row, 9);
        for (int k = 0; k < 2 && !oom; k++) {
            const char *joined = PQgetvalue(res, row, 7 + k);
            size_t cnt = joined[0] == '\0' ? 0 : 1;
            for (const char *p = joined; *p; p++)
                cnt += *p == ';';
            char *copy = strdup(joined);
            char **v = calloc(cnt + 1, sizeof(*v));
            lists[2 * i + (size_t)k] = copy;
            codes[2 * i + (size_t)k] = v;
            if (copy == NULL || v == NULL) {
                oom = true;
                break;
            }
            size_t m = 0;
            for (char *save = NULL, *t = strtok_r(copy, ";", &save); t && m < cnt;
                 t = strtok_r(NULL, ";", &save))
                v[m++] = t;
            if (k == 0) {
                u->n_predecessors = m;
                u->predecessors = v;
            } else {
                u->n_successors = m;
                u->successors = v;
            }
        }
        unitp[i] = u;
    }
    if (oom) {
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
    } else {
        Thidua__V1__UnitListResponse resp = THIDUA__V1__UNIT_LIST_RESPONSE__INIT;
        resp.n_units = n;
        resp.units = unitp;
        req_respond(r, &resp.base);
    }
    for (size_t i = 0; lists != NULL && codes != NULL && i < 2 * n; i++) {
        free(lists[i]);
        free(codes[i]);
    }
    free(lists);
    free(codes);
    free(unitp);
    free(units);
}

void units_list(conn_t *c, req_t *r, const ProtobufCMessage *body)
{
    const Thidua__V1__UnitListRequest *q = (const Thidua__V1__UnitListRequest *)body;
    char day[DATE_STR_SIZE];
    int32_t d;
    if (q->all) {
        day[0] = '\0';
    } else if (q->on[0] == '\0') {
        if (date_format_iso(date_today_vn(), day) != TD_OK)
            day[0] = '\0';
    } else if (date_parse_iso(q->on, &d, NULL) == TD_OK) {
        snprintf(day, sizeof(day), "%s", q->on);
    } else {
        req_error(r, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, "on", false,
                  "on must be a date written YYYY-MM-DD");
        return;
    }
    const char *params[1] = {q->all ? NULL : day};
    const job_stmt_t stmt = {"units_list", 1, params};
    if (province_submit(c, r, 0, &stmt, 1, units_list_done, r, "UnitList") != 0)
        return; /* r is answered */
}

/* ---- Reorganise ---- */

/* The state of one reorganisation while its job and the catalog's reload run. */
typedef struct reorg_ctx {
    req_t *req;
    PGresult *res; /* the answer's lines, kept until the catalog is read again */
    bool applied;
    bool dry_run;
} reorg_ctx_t;

static void reorg_respond(void *data, bool reloaded)
{
    reorg_ctx_t *p = data;
    /* Not read again (logged): the changes stand; the next reload or SIGHUP serves them,
     * and the answer says so, since until then new Hellos see the old units. */
    const PGresult *res = p->res;
    size_t n = (size_t)PQntuples(res);
    Thidua__V1__ReorganiseLine *lines = calloc(n + 1, sizeof(*lines));
    Thidua__V1__ReorganiseLine **linep = calloc(n + 1, sizeof(*linep));
    if (lines == NULL || linep == NULL) {
        /* Committed already, when applied: a second run of the same file answers "unchanged". */
        req_error(p->req, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true,
                  "the server could not write its answer; send the same file again to see "
                  "what it holds");
    } else {
        for (size_t i = 0; i < n; i++) {
            Thidua__V1__ReorganiseLine *l = &lines[i];
            int row = (int)i;
            thidua__v1__reorganise_line__init(l);
            l->line = (uint32_t)strtoul(PQgetvalue(res, row, 0), NULL, 10);
            l->code = PQgetvalue(res, row, 1);
            l->name = PQgetvalue(res, row, 2);
            l->action = PQgetvalue(res, row, 3);
            l->field = PQgetvalue(res, row, 4);
            l->problem = PQgetvalue(res, row, 5);
            l->detail = PQgetvalue(res, row, 6);
            linep[i] = l;
        }
        Thidua__V1__ReorganiseResponse resp = THIDUA__V1__REORGANISE_RESPONSE__INIT;
        resp.n_lines = n;
        resp.lines = linep;
        resp.applied = p->applied;
        resp.catalog_stale = p->applied && !reloaded;
        req_respond(p->req, &resp.base);
    }
    free(lines);
    free(linep);
    PQclear(p->res);
    free(p);
}

static void reorg_done(dbpool_job_t *job, const dbpool_error_t *err, void *data)
{
    reorg_ctx_t *p = data;
    conn_t *c = p->req->conn;
    if (err != NULL) {
        province_db_error(p->req, job, err, "Reorganise");
        free(p);
        return;
    }
    const PGresult *res = dbpool_job_result(job, 0);
    size_t changes = 0, problems = 0;
    for (int i = 0; i < PQntuples(res); i++) {
        const char *action = PQgetvalue(res, i, 3);
        problems += strcmp(action, "problem") == 0;
        changes += strcmp(action, "problem") != 0 && strcmp(action, "unchanged") != 0;
    }
    p->applied = !p->dry_run && problems == 0;
    log_info("reorganise", "peer=%s unit=%s fp=%s dry_run=%d changes=%zu problems=%zu applied=%d",
             c->peer_addr, c->unit_code, c->fingerprint, p->dry_run ? 1 : 0, changes, problems,
             p->applied ? 1 : 0);
    p->res = PQcopyResult(res, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES);
    if (p->res == NULL) {
        req_error(p->req, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true,
                  "server out of memory; send the same file again to see what it holds");
        free(p);
        return;
    }
    if (p->applied && changes > 0)
        server_reload_catalog(c->server, reorg_respond, p);
    else
        reorg_respond(p, true);
}

/* One row as thidua.units_reorganise reads it; text normalised here (NFC, trimmed). */
static int reorg_row_json(req_t *r, const Thidua__V1__UnitRow *u, size_t i, strbuf_t *json)
{
    char field[48];
    char *name = NULL, *type = NULL, *basis = NULL;
    snprintf(field, sizeof(field), "rows[%zu].name", i);
    if (province_text(r, field, u->name, 200, 0, true, &name) != 0)
        return -1;
    snprintf(field, sizeof(field), "rows[%zu].unit_type", i);
    if (province_text(r, field, u->unit_type, 40, 0, false, &type) != 0) {
        free(name);
        return -1;
    }
    snprintf(field, sizeof(field), "rows[%zu].basis", i);
    if (province_text(r, field, u->basis, 500, 0, false, &basis) != 0) {
        free(name);
        free(type);
        return -1;
    }
    strbuf_printf(json, "%s{\"line\":%u,\"code\":", i ? "," : "",
                  u->line ? u->line : (unsigned)i + 1);
    strbuf_json_string(json, u->code);
    strbuf_puts(json, ",\"name\":");
    strbuf_json_string(json, name);
    strbuf_puts(json, ",\"level\":");
    strbuf_json_string(json, u->level);
    strbuf_puts(json, ",\"unit_type\":");
    strbuf_json_string(json, type);
    strbuf_puts(json, ",\"parent\":");
    strbuf_json_string(json, u->parent);
    strbuf_puts(json, ",\"valid_from\":");
    strbuf_json_string(json, u->valid_from);
    strbuf_puts(json, ",\"valid_to\":");
    strbuf_json_string(json, u->valid_to);
    strbuf_puts(json, ",\"basis\":");
    strbuf_json_string(json, basis);
    strbuf_puts(json, ",\"predecessors\":[");
    for (size_t k = 0; k < u->n_predecessors; k++) {
        if (k > 0)
            strbuf_putc(json, ',');
        strbuf_json_string(json, u->predecessors[k]);
    }
    strbuf_puts(json, "]}");
    free(name);
    free(type);
    free(basis);
    return 0;
}

void units_reorganise(conn_t *c, req_t *r, const ProtobufCMessage *body)
{
    const Thidua__V1__ReorganiseRequest *q = (const Thidua__V1__ReorganiseRequest *)body;
    if (q->n_rows == 0) {
        req_error(r, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, "rows", false,
                  "the reorganisation has no rows");
        return;
    }
    /* A file of a province's every commune is a few thousand rows: one frame holds it. */
    strbuf_t json;
    strbuf_init(&json);
    strbuf_putc(&json, '[');
    for (size_t i = 0; i < q->n_rows; i++) {
        if (reorg_row_json(r, q->rows[i], i, &json) != 0) {
            strbuf_free(&json);
            return;
        }
    }
    strbuf_putc(&json, ']');
    reorg_ctx_t *p = calloc(1, sizeof(*p));
    if (p == NULL || strbuf_failed(&json)) {
        free(p);
        strbuf_free(&json);
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
        return;
    }
    p->req = r;
    p->dry_run = q->dry_run;
    job_caller_t jc;
    job_caller_init(&jc, c);
    const char *params[4] = {jc.unit_id, jc.cert, strbuf_str(&json), q->dry_run ? "f" : "t"};
    const job_stmt_t stmt = {"units_reorganise", 4, params};
    if (province_submit(c, r, DBPOOL_TX, &stmt, 1, reorg_done, p, "Reorganise") != 0)
        free(p);
    strbuf_free(&json);
}
