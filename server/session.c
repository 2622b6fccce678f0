/*
 * session.c - Hello and Welcome: who is on the other end, and what it may do.
 *
 * Identity comes from the certificate only (CN = unit code, OU = role). The
 * unit must be one the province knows, in force today or closed within the
 * grace period; the role must be district or province. Anything else ends the connection with an
 * Error that says what to fix, and a log line with the certificate's fingerprint.
 */
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "log.h"
#include "server.h"

/* A unit as Welcome lists it; points into the catalog. */
static void session_org_unit(const catalog_t *cat, const catalog_unit_t *u, Thidua__V1__OrgUnit *o)
{
    thidua__v1__org_unit__init(o);
    o->code = u->code;
    o->name = u->name;
    o->level = u->level;
    o->parent = u->parent == SIZE_MAX ? "" : cat->units[u->parent].code;
}

static void session_refuse(conn_t *c, req_t *r, Thidua__V1__Error__Code code, const char *what)
{
    char q[300];
    log_warn("session_refused", "peer=%s unit=%s role=%s fp=%s reason=%s", c->peer_addr,
             c->unit_code, c->role, c->fingerprint, log_quote(q, sizeof(q), what));
    r->close_after = true;
    req_error(r, code, NULL, false, "%s", what);
}

/*
 * The role (OU) must fit the unit's level: the province's powers (review,
 * awards, the whole feed) belong to a province-level unit only, and a
 * district certificate must not be for the province itself, whose feed and
 * records would then all be its own. True, with the sentence in msg, when
 * they do not fit; `scripts/pki client` refuses to issue such a pair.
 */
static bool session_role_mismatch(const conn_t *c, char *msg, size_t size)
{
    bool province_unit = strcmp(c->unit->level, "province") == 0;
    if (c->role_enum == THIDUA__V1__ROLE__ROLE_PROVINCE && !province_unit) {
        snprintf(msg, size,
                 "the certificate's role (OU) is province but its unit (CN) '%s' is a "
                 "%s: a province certificate is for the province's own code",
                 c->unit_code, c->unit->level);
        return true;
    }
    if (c->role_enum == THIDUA__V1__ROLE__ROLE_DISTRICT && province_unit) {
        snprintf(msg, size,
                 "the certificate's role (OU) is district but its unit (CN) '%s' is the "
                 "province: ask for a province certificate",
                 c->unit_code);
        return true;
    }
    return false;
}

/* What Welcome says of a closed unit; the heirs point into the catalog. */
typedef struct session_closed {
    bool closed;
    char last_day[DATE_STR_SIZE];    /* ISO */
    char grace_until[DATE_STR_SIZE]; /* ISO */
    const catalog_unit_t *heirs[8];
    size_t nheirs;
} session_closed_t;

/*
 * A unit not in force today: one not yet in force is refused; a closed one
 * is let in for closed_unit_grace_days after its last day (to pull and to
 * revise its records, never to make a new one: sql/018_reform.sql), then
 * refused with the names of the units that carry on its work. True, with
 * the sentence in msg, when Hello is refused; out says what Welcome tells.
 */
static bool session_unit_closed(const conn_t *c, int32_t today, session_closed_t *out, char *msg,
                                size_t size)
{
    const catalog_unit_t *u = c->unit;
    memset(out, 0, sizeof(*out));
    if (catalog_unit_in_force(u, today))
        return false;
    char first[DATE_STR_SIZE], last[DATE_STR_SIZE];
    if (u->from_day > today) {
        if (date_format_vn(u->from_day, first) != TD_OK)
            first[0] = '\0';
        snprintf(msg, size, "unit %s (%s) is in force from %s", u->code, u->name, first);
        return true;
    }
    int32_t last_day = u->to_day - 1;
    int64_t grace_end = (int64_t)last_day + c->server->cfg->closed_unit_grace_days;
    out->closed = true;
    out->nheirs =
        catalog_unit_heirs(c->catalog, u, today, out->heirs, THIDUA_ARRAY_LEN(out->heirs));
    if (date_format_iso(last_day, out->last_day) != TD_OK)
        out->last_day[0] = '\0';
    if (date_format_iso((int32_t)grace_end, out->grace_until) != TD_OK)
        out->grace_until[0] = '\0';
    if (today <= grace_end)
        return false;

    char heirs[200] = "";
    size_t len = 0;
    for (size_t i = 0; i < out->nheirs && len < sizeof(heirs); i++) {
        int n = snprintf(heirs + len, sizeof(heirs) - len, "%s%s %s", i ? ", " : "",
                         out->heirs[i]->code, out->heirs[i]->name);
        len += n > 0 ? (size_t)n : 0;
    }
    if (date_format_vn(last_day, last) != TD_OK)
        last[0] = '\0';
    if (out->nheirs > 0)
        snprintf(msg, size,
                 "unit %s (%s) closed on %s; its work passed to %s: use a certificate "
                 "of that unit",
                 u->code, u->name, last, heirs);
    else
        snprintf(msg, size, "unit %s (%s) closed on %s", u->code, u->name, last);
    return true;
}

void session_hello(conn_t *c, req_t *r, const ProtobufCMessage *body)
{
    const Thidua__V1__Hello *hello = (const Thidua__V1__Hello *)body;
    server_t *s = c->server;
    char msg[256];

    if (hello->protocol_version != THIDUA_PROTOCOL_VERSION) {
        snprintf(msg, sizeof(msg),
                 "protocol version %u is not supported; this server speaks version %d: "
                 "install the thidua client that matches the province's server",
                 hello->protocol_version, THIDUA_PROTOCOL_VERSION);
        session_refuse(c, r, THIDUA__V1__ERROR__CODE__UNSUPPORTED_VERSION, msg);
        return;
    }
    if (strcmp(c->role, "district") == 0) {
        c->role_enum = THIDUA__V1__ROLE__ROLE_DISTRICT;
    } else if (strcmp(c->role, "province") == 0) {
        c->role_enum = THIDUA__V1__ROLE__ROLE_PROVINCE;
    } else {
        snprintf(msg, sizeof(msg),
                 "the certificate's role (OU) '%s' is neither district nor "
                 "province",
                 c->role);
        session_refuse(c, r, THIDUA__V1__ERROR__CODE__PERMISSION_DENIED, msg);
        return;
    }
    if (c->catalog == NULL)
        c->catalog = catalog_ref(s->catalog);
    int32_t today = date_today_vn();
    c->unit = catalog_unit_by_cn(c->catalog, c->unit_code, today);
    if (c->unit == NULL) {
        snprintf(msg, sizeof(msg),
                 "the certificate's unit (CN) '%s' is not an org unit the "
                 "province knows",
                 c->unit_code);
        session_refuse(c, r, THIDUA__V1__ERROR__CODE__PERMISSION_DENIED, msg);
        return;
    }
    session_closed_t closed;
    if (session_unit_closed(c, today, &closed, msg, sizeof(msg))) {
        session_refuse(c, r, THIDUA__V1__ERROR__CODE__PERMISSION_DENIED, msg);
        return;
    }
    if (session_role_mismatch(c, msg, sizeof(msg))) {
        session_refuse(c, r, THIDUA__V1__ERROR__CODE__PERMISSION_DENIED, msg);
        return;
    }
    /* Sessions are counted here, not at accept: a silent socket takes no office's place. */
    if (s->nconns - s->nhandshaking >= s->cfg->max_connections) {
        log_warn("conn_limit", "peer=%s unit=%s sessions=%zu", c->peer_addr, c->unit_code,
                 s->nconns - s->nhandshaking);
        r->close_after = true;
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true,
                  "the server is serving %u sessions, its limit: connect again in a minute",
                  s->cfg->max_connections);
        return;
    }

    /* The units this certificate may write for: its own and those below it. */
    const catalog_t *cat = c->catalog;
    size_t nmax = 2 * cat->nunits + closed.nheirs + 1; /* in force, heirs, former: each at most all */
    Thidua__V1__OrgUnit *units = calloc(nmax, sizeof(*units));
    Thidua__V1__OrgUnit **unitp = calloc(nmax, sizeof(*unitp));
    if (units == NULL || unitp == NULL) {
        free(units);
        free(unitp);
        req_error(r, THIDUA__V1__ERROR__CODE__UNAVAILABLE, NULL, true, "server out of memory");
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < cat->nunits; i++) {
        const catalog_unit_t *u = &cat->units[i];
        if (!catalog_unit_in_force(u, today) || !catalog_unit_within(cat, c->unit, u))
            continue;
        session_org_unit(cat, u, &units[n]);
        unitp[n] = &units[n];
        n++;
    }
    /* The successors follow the units, then the closed units in reach, in the same arrays. */
    for (size_t i = 0; i < closed.nheirs; i++) {
        session_org_unit(cat, closed.heirs[i], &units[n + i]);
        unitp[n + i] = &units[n + i];
    }
    size_t former = n + closed.nheirs, nformer = 0;
    for (size_t i = 0; i < cat->nunits && former + nformer < nmax; i++) {
        const catalog_unit_t *u = &cat->units[i];
        if (catalog_unit_in_force(u, today) || !catalog_unit_within(cat, c->unit, u))
            continue;
        session_org_unit(cat, u, &units[former + nformer]);
        unitp[former + nformer] = &units[former + nformer];
        nformer++;
    }

    Thidua__V1__Limits limits = THIDUA__V1__LIMITS__INIT;
    limits.max_batch = s->cfg->max_batch;
    limits.max_frame = s->cfg->max_frame;
    limits.max_pull = s->cfg->max_pull;
    limits.max_in_flight = s->cfg->max_in_flight;

    uv_timeval64_t tv = {0, 0};
    (void)uv_gettimeofday(&tv);

    Thidua__V1__Welcome w = THIDUA__V1__WELCOME__INIT;
    w.server_version = THIDUA_SERVER_VERSION;
    w.protocol_version = THIDUA_PROTOCOL_VERSION;
    w.org_unit = c->unit->code;
    w.org_unit_name = c->unit->name;
    w.role = c->role_enum;
    w.server_time_ms = tv.tv_sec * 1000 + tv.tv_usec / 1000;
    w.limits = &limits;
    w.campaign = cat->campaign;
    w.n_campaigns = cat->ncampaigns;
    w.campaigns = cat->campaigns;
    w.n_units = n;
    w.units = unitp;
    w.certificate_fingerprint = c->fingerprint;
    /* Offices compare it with their last sync's: a restore changes it (sql/006_epoch.sql). */
    w.database_epoch = cat->database_epoch;
    w.n_former_units = nformer;
    w.former_units = unitp + former;
    if (closed.closed) {
        w.unit_closed = true;
        w.unit_last_day = closed.last_day;
        w.grace_until = closed.grace_until;
        w.n_successors = closed.nheirs;
        w.successors = unitp + n;
    }

    char q[200];
    log_info("session_open", "peer=%s unit=%s role=%s fp=%s client=%s", c->peer_addr, c->unit_code,
             c->role, c->fingerprint, log_quote(q, sizeof(q), hello->client_version));
    conn_set_state(c, CONN_OPEN);
    tlsconn_set_idle_timeout(&c->tls, s->cfg->idle_timeout_ms); /* the Hello deadline is met */
    req_respond(r, &w.base);
    free(unitp);
    free(units);
}

void session_ping(conn_t *c, req_t *r, const ProtobufCMessage *body)
{
    const Thidua__V1__Ping *ping = (const Thidua__V1__Ping *)body;
    uv_timeval64_t tv;
    Thidua__V1__Pong pong = THIDUA__V1__PONG__INIT;
    (void)c;
    pong.nonce = ping->nonce;
    if (uv_gettimeofday(&tv) == 0)
        pong.server_time_ms = tv.tv_sec * 1000 + tv.tv_usec / 1000;
    req_respond(r, &pong.base);
}
