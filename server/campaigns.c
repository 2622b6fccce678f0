/*
 * campaigns.c - campaigns as data (campaigns.h): the province lists them,
 * reads one whole and creates a new one, with its categories and award
 * forms, without a migration.
 *
 * The database is the authority on a new campaign: thidua.campaign_create
 * (sql/019_campaigns.sql) checks every field (codes, lengths, dates, the
 * organiser, the kinds and levels of the forms, the caller's right) and
 * names the one at fault. Here the texts are only normalised as they enter
 * (UTF-8, NFC, no control characters, trimmed) and put into one JSON object,
 * so each limit has one home. Once a campaign is stored, the catalog is read
 * again before the answer leaves: the next Hello of any office gets the new
 * campaign in Welcome, and the next push may name it.
 */
#include "campaigns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "province.h"
#include "strbuf.h"

/* A bound for normalising a text; the exact limit of each field is the SQL's. */
#define CAMPAIGNS_TEXT_MAX 1000

/* ---- the summaries of CampaignList and CampaignGet ---- */

/* thidua.campaign_list's rows as messages pointing into the result. Owns the arrays. */
typedef struct campaigns_rows {
    Thidua__V1__CampaignSummary *rows;
    Thidua__V1__CampaignSummary **rowp;
    size_t n;
} campaigns_rows_t;

static void campaigns_rows_free(campaigns_rows_t *cr)
{
    free(cr->rows);
    free(cr->rowp);
}

/* -1 when out of memory. is_default: the catalog's default campaign. */
static int campaigns_rows_fill(campaigns_rows_t *cr, const PGresult *res, const catalog_t *cat)
{
    int n = PQntuples(res);
    cr->n = 0;
    cr->rows = calloc((size_t)n + 1, sizeof(*cr->rows));
    cr->rowp = calloc((size_t)n + 1, sizeof(*cr->rowp));
    if (cr->rows == NULL || cr->rowp == NULL) {
        campaigns_rows_free(cr);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        Thidua__V1__CampaignSummary *s = &cr->rows[i];
        thidua__v1__campaign_summary__init(s);
#define COL(name) PQgetvalue(res, i, PQfnumber(res, #name))
        s->code = COL(code);
        s->name = COL(name);
        s->organiser = COL(organiser);
        s->organiser_unit = COL(organiser_unit);
        s->organiser_unit_name = COL(organiser_unit_name);
        s->starts_on = COL(starts_on);
        s->ends_on = COL(ends_on);
        s->records = strtoull(COL(records), NULL, 10);
        s->created_by_unit = COL(created_by_unit);
        s->created_by_fingerprint = COL(created_by_fingerprint);
        s->created_at_ms = strtoll(COL(created_at_ms), NULL, 10);
#undef COL
        s->is_default = strcmp(s->code, cat->campaign->code) == 0;
        cr->rowp[i] = s;
        cr->n++;
    }
    return 0;
}

/* ---- CampaignList ---- */

static void campaigns_list_done(dbpool_job_t *job, const dbpool_error_t *err, void *data)
{
    req_t *r = data;
    conn_t *c = r->conn;
    if (err != NULL) {
        province_db_error(r, job, err, "CampaignList");
        return;
    }
    campaigns_rows_t cr;
    if (campaigns_rows_fill(&cr, dbpool_job_result(job, 0), c->server->catalog) != 0) {
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
        return;
    }
    log_info("campaign_list", "peer=%s unit=%s fp=%s campaigns=%zu", c->peer_addr, c->unit_code,
             c->fingerprint, cr.n);
    Thidua__V1__CampaignListResponse resp = THIDUA__V1__CAMPAIGN_LIST_RESPONSE__INIT;
    resp.n_campaigns = cr.n;
    resp.campaigns = cr.rowp;
    req_respond(r, &resp.base);
    campaigns_rows_free(&cr);
}

void campaigns_list(conn_t *c, req_t *r, const ProtobufCMessage *body)
{
    (void)body;
    job_caller_t jc;
    job_caller_init(&jc, c);
    const char *params[2] = {jc.unit_id, ""};
    const job_stmt_t stmt = {"campaign_list", 2, params};
    int rc = province_submit(c, r, 0, &stmt, 1, campaigns_list_done, r, "CampaignList");
    (void)rc; /* r is answered when it could not be queued, and nothing else is owned */
}

/* ---- CampaignGet ---- */

/* Owned by the callbacks: the request, the code asked for and, while the catalog is read
 * again, the list's row. */
typedef struct get_ctx {
    req_t *req;
    char *code;
    PGresult *row; /* owned, taken from the job */
    bool reloaded;
} get_ctx_t;

static void get_ctx_free(get_ctx_t *g)
{
    PQclear(g->row);
    free(g->code);
    free(g);
}

static void campaigns_get_reloaded(void *data, bool ok);

/* Answer from the server's newest catalog; read it again first if it lacks the campaign. */
static void campaigns_get_answer(get_ctx_t *g)
{
    req_t *r = g->req;
    server_t *s = r->conn->server;
    const Thidua__V1__Campaign *camp = catalog_campaign(s->catalog, g->code);
    if (camp == NULL && !g->reloaded) {
        /* Created by another thiduad on the same database since this one read its catalog. */
        g->reloaded = true;
        server_reload_catalog(s, campaigns_get_reloaded, g);
        return;
    }
    campaigns_rows_t cr;
    if (camp == NULL) {
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true,
                  "the server could not read campaign %s; send CampaignGet again later", g->code);
    } else if (campaigns_rows_fill(&cr, g->row, s->catalog) != 0) {
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
    } else {
        Thidua__V1__CampaignGetResponse resp = THIDUA__V1__CAMPAIGN_GET_RESPONSE__INIT;
        resp.campaign = (Thidua__V1__Campaign *)camp;
        resp.summary = cr.rowp[0];
        req_respond(r, &resp.base);
        campaigns_rows_free(&cr);
    }
    get_ctx_free(g);
}

static void campaigns_get_reloaded(void *data, bool ok)
{
    (void)ok; /* a failed read is logged; the answer says the campaign could not be read */
    campaigns_get_answer(data);
}

static void campaigns_get_done(dbpool_job_t *job, const dbpool_error_t *err, void *data)
{
    get_ctx_t *g = data;
    req_t *r = g->req;
    conn_t *c = r->conn;
    if (err != NULL) {
        province_db_error(r, job, err, "CampaignGet");
        get_ctx_free(g);
        return;
    }
    char q[100];
    int found = PQntuples(dbpool_job_result(job, 0)) == 1;
    log_info("campaign_get", "peer=%s unit=%s fp=%s campaign=%s found=%d", c->peer_addr,
             c->unit_code, c->fingerprint, log_quote(q, sizeof(q), g->code), found);
    if (!found) {
        req_error(r, THIDUA__V1__ERROR__CODE__NOT_FOUND, "code", false, "no campaign %s", g->code);
        get_ctx_free(g);
        return;
    }
    g->row = dbpool_job_take(job, 0);
    campaigns_get_answer(g);
}

void campaigns_get(conn_t *c, req_t *r, const ProtobufCMessage *body)
{
    const Thidua__V1__CampaignGetRequest *q = (const Thidua__V1__CampaignGetRequest *)body;
    get_ctx_t *g = calloc(1, sizeof(*g));
    if (g == NULL) {
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
        return;
    }
    g->req = r;
    if (province_text(r, "code", q->code, CAMPAIGNS_TEXT_MAX, 0, true, &g->code) != 0) {
        get_ctx_free(g);
        return;
    }
    job_caller_t jc;
    job_caller_init(&jc, c);
    const char *params[2] = {jc.unit_id, g->code};
    const job_stmt_t stmt = {"campaign_list", 2, params};
    if (province_submit(c, r, 0, &stmt, 1, campaigns_get_done, g, "CampaignGet") != 0)
        get_ctx_free(g);
}

/* ---- CampaignCreate ---- */

/* Owned by the callbacks. */
typedef struct create_ctx {
    req_t *req;
    bool dry_run;
    Thidua__V1__CampaignCreateResponse__Outcome outcome;
    char code[80]; /* as asked, for the answer and (quoted) the log */
} create_ctx_t;

/* "key":"normalised text", into sb; answers r and returns -1 when the text cannot be. */
static int campaigns_json_text(req_t *r, strbuf_t *sb, const char *key, const char *field,
                               const char *in)
{
    char *v;
    if (province_text(r, field, in, CAMPAIGNS_TEXT_MAX, 0, false, &v) != 0)
        return -1;
    strbuf_printf(sb, "\"%s\":", key);
    strbuf_json_string(sb, v);
    free(v);
    return 0;
}

/* The categories and award forms as JSON arrays, after the campaign's own fields. */
static int campaigns_json_items(req_t *r, strbuf_t *sb, const Thidua__V1__Campaign *k)
{
    char f[96];
    strbuf_puts(sb, ",\"categories\":[");
    for (size_t i = 0; i < k->n_categories; i++) {
        const Thidua__V1__Category *cat = k->categories[i];
        strbuf_puts(sb, i ? ",{" : "{");
        snprintf(f, sizeof(f), "campaign.categories[%zu].code", i);
        if (campaigns_json_text(r, sb, "code", f, cat->code) != 0)
            return -1;
        strbuf_putc(sb, ',');
        snprintf(f, sizeof(f), "campaign.categories[%zu].name", i);
        if (campaigns_json_text(r, sb, "name", f, cat->name) != 0)
            return -1;
        strbuf_putc(sb, '}');
    }
    strbuf_puts(sb, "],\"award_forms\":[");
    for (size_t i = 0; i < k->n_award_forms; i++) {
        const Thidua__V1__AwardForm *form = k->award_forms[i];
        const struct {
            const char *key, *value;
        } texts[] = {
            {"code", form->code}, {"name", form->name}, {"conferred_by", form->conferred_by}};
        strbuf_puts(sb, i ? ",{" : "{");
        for (size_t t = 0; t < THIDUA_ARRAY_LEN(texts); t++) {
            snprintf(f, sizeof(f), "campaign.award_forms[%zu].%s", i, texts[t].key);
            if (campaigns_json_text(r, sb, texts[t].key, f, texts[t].value) != 0)
                return -1;
            strbuf_putc(sb, ',');
        }
        strbuf_puts(sb, "\"nominee_kinds\":[");
        for (size_t n = 0; n < form->n_nominee_kinds; n++) {
            if (n)
                strbuf_putc(sb, ',');
            strbuf_json_string(sb, form->nominee_kinds[n]);
        }
        strbuf_puts(sb, "]}");
    }
    strbuf_putc(sb, ']');
    return 0;
}

/* The campaign as thidua.campaign_create reads it; answers r and returns -1 on refusal. */
static int campaigns_json(req_t *r, strbuf_t *sb, const Thidua__V1__Campaign *k)
{
    const struct {
        const char *key, *value;
    } texts[] = {
        {"code", k->code},           {"name", k->name},
        {"organiser", k->organiser}, {"organiser_unit", k->organiser_unit},
        {"slogan", k->slogan},       {"starts_on", k->starts_on},
        {"ends_on", k->ends_on},
    };
    char f[64];
    strbuf_putc(sb, '{');
    for (size_t t = 0; t < THIDUA_ARRAY_LEN(texts); t++) {
        snprintf(f, sizeof(f), "campaign.%s", texts[t].key);
        if (t)
            strbuf_putc(sb, ',');
        if (campaigns_json_text(r, sb, texts[t].key, f, texts[t].value) != 0)
            return -1;
    }
    if (campaigns_json_items(r, sb, k) != 0)
        return -1;
    strbuf_putc(sb, '}');
    if (!strbuf_failed(sb))
        return 0;
    req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
    return -1;
}

static void campaigns_create_respond(create_ctx_t *x)
{
    Thidua__V1__CampaignCreateResponse resp = THIDUA__V1__CAMPAIGN_CREATE_RESPONSE__INIT;
    resp.outcome = x->outcome;
    resp.code = x->code;
    req_respond(x->req, &resp.base);
    free(x);
}

static void campaigns_create_reloaded(void *data, bool ok)
{
    create_ctx_t *x = data;
    char q[100];
    if (!ok)
        log_warn("campaign_not_served",
                 "campaign=%s reason=\"the catalog could not be read "
                 "again: new sessions get it after the next reload (SIGHUP)\"",
                 log_quote(q, sizeof(q), x->code));
    campaigns_create_respond(x);
}

static void campaigns_create_done(dbpool_job_t *job, const dbpool_error_t *err, void *data)
{
    create_ctx_t *x = data;
    req_t *r = x->req;
    conn_t *c = r->conn;
    char q[100];
    log_quote(q, sizeof(q), x->code);
    if (err != NULL) {
        log_info("campaign_create", "peer=%s unit=%s fp=%s campaign=%s outcome=error sqlstate=%s",
                 c->peer_addr, c->unit_code, c->fingerprint, q, err->sqlstate);
        province_db_error(r, job, err, "CampaignCreate");
        free(x);
        return;
    }
    const char *outcome = PQgetvalue(dbpool_job_result(job, 0), 0, 0);
    x->outcome = strcmp(outcome, "unchanged") == 0
                     ? THIDUA__V1__CAMPAIGN_CREATE_RESPONSE__OUTCOME__UNCHANGED
                     : THIDUA__V1__CAMPAIGN_CREATE_RESPONSE__OUTCOME__CREATED;
    log_info("campaign_create", "peer=%s unit=%s fp=%s campaign=%s dry_run=%d outcome=%s",
             c->peer_addr, c->unit_code, c->fingerprint, q, x->dry_run ? 1 : 0, outcome);
    /* Unchanged but not served: stored by another thiduad on the same database. */
    if (!x->dry_run && (x->outcome == THIDUA__V1__CAMPAIGN_CREATE_RESPONSE__OUTCOME__CREATED ||
                        catalog_campaign(c->server->catalog, x->code) == NULL)) {
        server_reload_catalog(c->server, campaigns_create_reloaded, x);
        return;
    }
    campaigns_create_respond(x);
}

void campaigns_create(conn_t *c, req_t *r, const ProtobufCMessage *body)
{
    const Thidua__V1__CampaignCreateRequest *q = (const Thidua__V1__CampaignCreateRequest *)body;
    if (q->campaign == NULL) {
        req_error(r, THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT, "campaign", false,
                  "campaign is required: its code, name, organiser unit, window, categories and "
                  "award forms");
        return;
    }
    create_ctx_t *x = calloc(1, sizeof(*x));
    if (x == NULL) {
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
        return;
    }
    x->req = r;
    x->dry_run = q->dry_run;
    snprintf(x->code, sizeof(x->code), "%s", q->campaign->code != NULL ? q->campaign->code : "");
    strbuf_t json;
    strbuf_init(&json);
    if (campaigns_json(r, &json, q->campaign) != 0) {
        strbuf_free(&json);
        free(x);
        return;
    }
    job_caller_t jc;
    job_caller_init(&jc, c);
    const char *params[4] = {jc.unit_id, jc.cert, strbuf_str(&json), q->dry_run ? "true" : "false"};
    const job_stmt_t stmt = {"campaign_create", 4, params};
    if (province_submit(c, r, DBPOOL_TX, &stmt, 1, campaigns_create_done, x, "CampaignCreate") != 0)
        free(x);
    strbuf_free(&json);
}
