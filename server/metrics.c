/*
 * metrics.c - the health and metrics endpoint: a tiny HTTP/1.0 responder on
 * libuv (see metrics.h for what it answers and why it is bounded).
 *
 * Every connection goes through the same short life: read into a fixed
 * buffer until the blank line that ends the request head (or the buffer is
 * full, or the deadline passes), stop reading, write one response, shut the
 * socket down, close. Nothing is kept between requests, so the endpoint needs
 * no parser state beyond the bytes received; the body of a request, if a
 * client sends one, is never read.
 *
 * Metric names follow Prometheus conventions: counters end in _total,
 * timestamps in _timestamp_seconds, and every series of a family is written
 * on every scrape (zeros included), so that rate() and alerts see the series
 * from the server's first scrape on.
 */
#include "metrics.h"
#include "pushgroup.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <uv.h>

#include "envelope.h"
#include "log.h"
#include "server.h"
#include "tls.h"

typedef struct metrics_conn metrics_conn_t;

/*
 * The endpoint. Owns its listener and every connection in conns; frees
 * itself (metrics_maybe_free) once stopped and all those handles are closed.
 */
struct metrics {
    server_t *server; /* borrowed: outlives the endpoint */
    uv_tcp_t listener;
    int64_t start_time; /* Unix seconds, for thidua_start_time_seconds */
    metrics_conn_t *conns;
    unsigned nconns;
    bool listener_open; /* its handle is not closed yet */
    bool stopping;
};

/*
 * One HTTP exchange. Owned by the endpoint's list; freed when both its
 * socket and its timer have closed. response is owned (the bytes uv_write
 * sends, kept until the write completes).
 */
struct metrics_conn {
    uv_tcp_t tcp;
    uv_timer_t timer; /* the deadline of the whole exchange */
    uv_write_t write_req;
    uv_shutdown_t shutdown_req;
    metrics_t *m;
    metrics_conn_t *prev, *next;
    strbuf_t response;
    int open_handles; /* tcp and timer until their close callbacks ran */
    bool closing;
    size_t len; /* bytes of request received */
    char request[METRICS_REQUEST_MAX];
};

/* ---- the endpoint's lifetime ---- */

static void metrics_maybe_free(metrics_t *m)
{
    if (m->stopping && !m->listener_open && m->conns == NULL)
        free(m);
}

static void metrics_on_conn_closed(uv_handle_t *h)
{
    metrics_conn_t *c = h->data;
    if (--c->open_handles > 0)
        return;
    metrics_t *m = c->m;
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        m->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    m->nconns--;
    strbuf_free(&c->response);
    free(c);
    metrics_maybe_free(m);
}

static void metrics_conn_close(metrics_conn_t *c)
{
    if (c->closing)
        return;
    c->closing = true;
    uv_close((uv_handle_t *)&c->tcp, metrics_on_conn_closed);
    uv_close((uv_handle_t *)&c->timer, metrics_on_conn_closed);
}

static void metrics_on_listener_closed(uv_handle_t *h)
{
    metrics_t *m = h->data;
    m->listener_open = false;
    metrics_maybe_free(m);
}

void metrics_stop(metrics_t *m)
{
    if (m == NULL || m->stopping)
        return;
    m->stopping = true;
    for (metrics_conn_t *c = m->conns; c != NULL; c = c->next)
        metrics_conn_close(c);
    if (m->listener_open)
        uv_close((uv_handle_t *)&m->listener, metrics_on_listener_closed);
    else
        metrics_maybe_free(m);
}

/* ---- what a scrape shows ---- */

const char *metrics_health(const server_t *s)
{
    if (s->stopping)
        return "shutting down";
    if (s->db == NULL)
        return "database pool closed";
    dbpool_stats_t ps;
    dbpool_stats(s->db, &ps);
    if (ps.conns_up == 0)
        return "database unreachable";
    int64_t now = (int64_t)time(NULL);
    int64_t not_after = s->tls != NULL ? tls_ctx_not_after(s->tls) : 0;
    if (not_after != 0 && not_after < now)
        return "server certificate expired";
    int64_t crl_next = tls_ctx_crl_next_update(s->tls);
    if (crl_next != 0 && crl_next < now)
        return "CRL expired: every client is refused";
    return NULL;
}

static void metrics_family(strbuf_t *sb, const char *name, const char *type, const char *help)
{
    strbuf_printf(sb, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void metrics_value(strbuf_t *sb, const char *name, const char *type, const char *help,
                          uint64_t value)
{
    metrics_family(sb, name, type, help);
    strbuf_printf(sb, "%s %" PRIu64 "\n", name, value);
}

/* A body a client sends: Hello, Ping and every *_request. */
static bool metrics_is_request(const char *name)
{
    size_t n = strlen(name);
    return strcmp(name, "hello") == 0 || strcmp(name, "ping") == 0 ||
           (n > 8 && strcmp(name + n - 8, "_request") == 0);
}

static void metrics_render_requests(const server_stats_t *st, strbuf_t *sb)
{
    metrics_family(sb, "thidua_requests_total", "counter",
                   "Messages received from clients, by Envelope body type.");
    const ProtobufCMessageDescriptor *d = &thidua__v1__envelope__descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) || f->id >= THIDUA_ARRAY_LEN(st->requests))
            continue;
        const char *name = envelope_body_name((Thidua__V1__Envelope__BodyCase)f->id);
        /* Responses arrive only from a misbehaving client: shown once one has. */
        if (!metrics_is_request(name) && st->requests[f->id] == 0)
            continue;
        strbuf_printf(sb, "thidua_requests_total{type=\"%s\"} %" PRIu64 "\n", name,
                      st->requests[f->id]);
    }

    metrics_family(sb, "thidua_record_acks_total", "counter",
                   "Records answered in push responses, by RecordAck status.");
    const ProtobufCEnumDescriptor *e = &thidua__v1__record_ack__status__descriptor;
    for (unsigned i = 0; i < e->n_values; i++) {
        const ProtobufCEnumValue *v = &e->values[i];
        if (v->value <= 0 || (size_t)v->value >= THIDUA_ARRAY_LEN(st->acks))
            continue;
        char label[48];
        size_t n = 0;
        for (; v->name[n] != '\0' && n + 1 < sizeof(label); n++)
            label[n] = (char)tolower((unsigned char)v->name[n]);
        label[n] = '\0';
        strbuf_printf(sb, "thidua_record_acks_total{status=\"%s\"} %" PRIu64 "\n", label,
                      st->acks[v->value]);
    }
}

/* How the offices share the pool (docs/operations.md, "How offices share the database"). */
static void metrics_render_shares(const dbpool_stats_t *ps, strbuf_t *sb)
{
    metrics_value(sb, "thidua_db_pool_jobs_per_certificate_max", "gauge",
                  "Database jobs of one certificate in flight at once "
                  "([database] max_jobs_per_certificate).",
                  ps->owner_cap);
    metrics_value(sb, "thidua_db_pool_certificates", "gauge",
                  "Certificates with database jobs queued or in flight.", ps->owners);
    metrics_value(sb, "thidua_db_pool_certificates_capped", "gauge",
                  "Certificates at their cap with database jobs waiting.", ps->owners_capped);
    metrics_value(sb, "thidua_db_pool_jobs_capped_total", "counter",
                  "Database jobs that arrived while their certificate was at its cap.",
                  ps->jobs_capped);
    metrics_value(sb, "thidua_db_pool_jobs_dropped_total", "counter",
                  "Queued database jobs of the certificate with the most waiting, dropped from "
                  "a full queue for another's (answered UNAVAILABLE).",
                  ps->jobs_dropped);
}

/* Group commit of pushes (pushgroup.h). */
static void metrics_render_groups(const pushgroup_t *g, strbuf_t *sb)
{
    pushgroup_stats_t st;
    pushgroup_stats(g, &st);
    metrics_value(sb, "thidua_push_groups_total", "counter",
                  "Groups of pushes stored in one transaction each.", st.groups);
    metrics_value(sb, "thidua_push_group_pushes_total", "counter",
                  "Pushes sent to the database, in groups or alone (a push sent again alone "
                  "after its group failed counts again).",
                  st.pushes);
    metrics_value(sb, "thidua_push_group_records_total", "counter",
                  "Records sent to the database in those pushes.", st.records);
    metrics_value(sb, "thidua_push_group_splits_total", "counter",
                  "Groups that failed as a whole and were sent again push by push.", st.splits);
    metrics_value(sb, "thidua_push_group_capped_total", "counter",
                  "Groups formed with pushes of a certificate left for the next group, over "
                  "its share ([database] max_jobs_per_certificate).",
                  st.capped);
    metrics_value(sb, "thidua_push_group_waiting", "gauge",
                  "Pushes waiting for a group now.", st.waiting);
}

static void metrics_render_pool(const dbpool_t *db, strbuf_t *sb)
{
    dbpool_stats_t ps;
    dbpool_stats(db, &ps);
    metrics_value(sb, "thidua_db_pool_size", "gauge",
                  "PostgreSQL connections the pool keeps ([database] pool_size).", ps.conns);
    metrics_value(sb, "thidua_db_pool_connections_up", "gauge",
                  "Pool connections connected and ready for jobs.", ps.conns_up);
    metrics_value(sb, "thidua_db_pool_connections_busy", "gauge",
                  "Ready pool connections with at least one job in flight.", ps.conns_busy);
    metrics_value(sb, "thidua_db_pool_jobs_queued", "gauge",
                  "Database jobs waiting for a connection.", ps.queued);
    metrics_value(sb, "thidua_db_pool_jobs_in_flight", "gauge",
                  "Database jobs sent and waiting for their results.", ps.inflight);
    metrics_family(sb, "thidua_db_pool_jobs_total", "counter",
                   "Database jobs by outcome (rejected: the queue was full or closing).");
    strbuf_printf(sb,
                  "thidua_db_pool_jobs_total{result=\"done\"} %" PRIu64 "\n"
                  "thidua_db_pool_jobs_total{result=\"failed\"} %" PRIu64 "\n"
                  "thidua_db_pool_jobs_total{result=\"rejected\"} %" PRIu64 "\n",
                  ps.jobs_done, ps.jobs_failed, ps.jobs_rejected);
    metrics_render_shares(&ps, sb);
    metrics_value(sb, "thidua_db_pool_connect_attempts_total", "counter",
                  "Attempts to open a PostgreSQL connection.", ps.connect_attempts);
    metrics_value(sb, "thidua_db_pool_connects_total", "counter",
                  "PostgreSQL connections that became ready.", ps.connects);
    metrics_value(sb, "thidua_db_pool_disconnects_total", "counter",
                  "Ready PostgreSQL connections that were lost.", ps.disconnects);
}

void metrics_render(const server_t *s, int64_t start_time, strbuf_t *sb)
{
    const server_stats_t *st = &s->stats;

    metrics_family(sb, "thidua_build_info", "gauge", "The server's version, always 1.");
    strbuf_printf(sb, "thidua_build_info{version=\"%s\",protocol=\"%d\"} 1\n", THIDUA_SERVER_VERSION,
                  THIDUA_PROTOCOL_VERSION);
    metrics_family(sb, "thidua_start_time_seconds", "gauge",
                   "When the server started, in Unix seconds.");
    strbuf_printf(sb, "thidua_start_time_seconds %" PRId64 "\n", start_time);
    metrics_value(sb, "thidua_up", "gauge",
                  "1 while the server serves; 0 when /health would answer 503.",
                  metrics_health(s) == NULL ? 1 : 0);

    metrics_value(sb, "thidua_connections_open", "gauge", "Client connections open now.",
                  s->nconns);
    metrics_value(sb, "thidua_connections_max", "gauge",
                  "Most client connections served at once ([server] max_connections).",
                  s->cfg->max_connections);
    metrics_value(sb, "thidua_connections_accepted_total", "counter",
                  "TCP connections accepted on the client port.", st->conns_accepted);
    metrics_value(sb, "thidua_connections_refused_total", "counter",
                  "Connections that ended before a completed TLS handshake with an accepted "
                  "certificate (refused, expired or revoked certificate, timeout, garbage).",
                  st->conns_refused);

    metrics_render_requests(st, sb);
    metrics_value(sb, "thidua_errors_sent_total", "counter", "Error messages sent to clients.",
                  st->errors_sent);

    if (s->db != NULL)
        metrics_render_pool(s->db, sb);
    if (s->group != NULL)
        metrics_render_groups(s->group, sb);

    if (s->tls != NULL) {
        metrics_family(sb, "thidua_tls_certificate_expiry_timestamp_seconds", "gauge",
                       "End of validity of the server certificate in use, in Unix seconds.");
        strbuf_printf(sb, "thidua_tls_certificate_expiry_timestamp_seconds %" PRId64 "\n",
                      tls_ctx_not_after(s->tls));
        int64_t crl_next = tls_ctx_crl_next_update(s->tls);
        if (crl_next != 0) {
            metrics_family(sb, "thidua_tls_crl_next_update_timestamp_seconds", "gauge",
                           "When the CRL in use expires (its nextUpdate), in Unix seconds; "
                           "after it every client is refused.");
            strbuf_printf(sb, "thidua_tls_crl_next_update_timestamp_seconds %" PRId64 "\n",
                          crl_next);
        }
    }
}

/* ---- one HTTP exchange ---- */

typedef struct {
    int status;
    const char *reason;
} metrics_status_t;

static void metrics_on_shutdown(uv_shutdown_t *req, int status)
{
    (void)status;
    metrics_conn_close(req->data);
}

static void metrics_on_written(uv_write_t *req, int status)
{
    metrics_conn_t *c = req->data;
    if (status < 0 || c->closing) {
        metrics_conn_close(c);
        return;
    }
    /* FIN after the response, so the client reads it all before the close. */
    c->shutdown_req.data = c;
    if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, metrics_on_shutdown) != 0)
        metrics_conn_close(c);
}

static void metrics_send(metrics_conn_t *c, int status, const char *reason,
                         const char *content_type, const char *extra_header, const char *body,
                         size_t body_len, bool head_only)
{
    strbuf_t *r = &c->response;
    strbuf_reset(r);
    strbuf_printf(r,
                  "HTTP/1.0 %d %s\r\n"
                  "Content-Type: %s\r\n"
                  "Content-Length: %zu\r\n"
                  "Cache-Control: no-store\r\n"
                  "Connection: close\r\n"
                  "%s"
                  "\r\n",
                  status, reason, content_type, body_len, extra_header);
    if (!head_only)
        strbuf_append(r, body, body_len);
    if (strbuf_failed(r)) {
        log_error("metrics_oom", NULL);
        metrics_conn_close(c);
        return;
    }
    log_debug("metrics_request", "status=%d", status);
    uv_buf_t buf = uv_buf_init(r->data, (unsigned)r->len);
    c->write_req.data = c;
    if (uv_write(&c->write_req, (uv_stream_t *)&c->tcp, &buf, 1, metrics_on_written) != 0)
        metrics_conn_close(c);
}

static void metrics_send_text(metrics_conn_t *c, int status, const char *reason,
                              const char *extra_header, const char *text, bool head_only)
{
    metrics_send(c, status, reason, "text/plain; charset=utf-8", extra_header, text, strlen(text),
                 head_only);
}

/* The request head is complete in c->request[0..len): answer it. */
static void metrics_answer(metrics_conn_t *c)
{
    /* Request line: METHOD SP TARGET SP HTTP/1.x */
    char method[16], target[256], version[16];
    const char *line_end = memchr(c->request, '\n', c->len);
    size_t line_len = (size_t)(line_end - c->request);
    char line[512];
    if (line_len >= sizeof(line)) {
        metrics_send_text(c, 414, "URI Too Long", "", "request line too long\n", false);
        return;
    }
    memcpy(line, c->request, line_len);
    line[line_len] = '\0';
    if (line_len > 0 && line[line_len - 1] == '\r')
        line[line_len - 1] = '\0';
    char tail;
    if (sscanf(line, "%15[A-Z] %255[^ ] %15[^ ]%c", method, target, version, &tail) != 3 ||
        strncmp(version, "HTTP/1.", 7) != 0 || target[0] != '/') {
        metrics_send_text(c, 400, "Bad Request", "", "bad request\n", false);
        return;
    }
    bool head = strcmp(method, "HEAD") == 0;
    if (!head && strcmp(method, "GET") != 0) {
        metrics_send_text(c, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n",
                          "only GET and HEAD\n", false);
        return;
    }
    target[strcspn(target, "?#")] = '\0';
    server_t *s = c->m->server;
    if (strcmp(target, "/metrics") == 0) {
        strbuf_t body;
        strbuf_init(&body);
        metrics_render(s, c->m->start_time, &body);
        if (strbuf_failed(&body))
            metrics_send_text(c, 500, "Internal Server Error", "", "out of memory\n", head);
        else
            metrics_send(c, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", "",
                         strbuf_str(&body), body.len, head);
        strbuf_free(&body);
    } else if (strcmp(target, "/health") == 0) {
        const char *why = metrics_health(s);
        if (why == NULL) {
            metrics_send_text(c, 200, "OK", "", "ok\n", head);
        } else {
            char text[128];
            snprintf(text, sizeof(text), "unavailable: %s\n", why);
            metrics_send_text(c, 503, "Service Unavailable", "", text, head);
        }
    } else {
        metrics_send_text(c, 404, "Not Found", "", "not found: try /metrics or /health\n", head);
    }
}

/* The head ends at the first empty line ("\r\n\r\n", or "\n\n" from lax clients). */
static bool metrics_head_complete(const metrics_conn_t *c)
{
    for (size_t i = 1; i < c->len; i++) {
        if (c->request[i] != '\n')
            continue;
        if (c->request[i - 1] == '\n' || (i >= 3 && c->request[i - 1] == '\r' &&
                                          c->request[i - 2] == '\n' && c->request[i - 3] == '\r'))
            return true;
    }
    return false;
}

static void metrics_on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    metrics_conn_t *c = h->data;
    /* Straight into the request buffer: it bounds what one client can send. */
    *buf = uv_buf_init(c->request + c->len, (unsigned)(sizeof(c->request) - c->len));
}

static void metrics_on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    metrics_conn_t *c = stream->data;
    if (nread == 0)
        return;
    if (nread < 0) {
        /* The client went away (or sent nothing we could answer). */
        metrics_conn_close(c);
        return;
    }
    c->len += (size_t)nread;
    if (metrics_head_complete(c)) {
        uv_read_stop(stream);
        metrics_answer(c);
    } else if (c->len == sizeof(c->request)) {
        uv_read_stop(stream);
        metrics_send_text(c, 431, "Request Header Fields Too Large", "", "request too large\n",
                          false);
    }
}

static void metrics_on_timeout(uv_timer_t *t)
{
    metrics_conn_t *c = t->data;
    log_debug("metrics_timeout", "bytes=%zu", c->len);
    metrics_conn_close(c);
}

static void metrics_on_connection(uv_stream_t *listener, int status)
{
    metrics_t *m = listener->data;
    if (status < 0) {
        log_warn("metrics_accept_error", "error=%s", uv_strerror(status));
        return;
    }
    if (m->stopping)
        return;
    metrics_conn_t *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        log_error("metrics_oom", NULL);
        return;
    }
    c->m = m;
    strbuf_init(&c->response);
    uv_tcp_init(listener->loop, &c->tcp);
    uv_timer_init(listener->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->open_handles = 2;
    c->next = m->conns;
    if (m->conns != NULL)
        m->conns->prev = c;
    m->conns = c;
    m->nconns++;

    int rc = uv_accept(listener, (uv_stream_t *)&c->tcp);
    if (rc != 0) {
        log_warn("metrics_accept_error", "error=%s", uv_strerror(rc));
        metrics_conn_close(c);
        return;
    }
    if (m->nconns > METRICS_MAX_CONNS) {
        /* A scraper needs one connection at a time: more is someone misbehaving. */
        log_warn("metrics_busy", "connections=%u", m->nconns);
        metrics_conn_close(c);
        return;
    }
    uv_timer_start(&c->timer, metrics_on_timeout, METRICS_REQUEST_TIMEOUT_MS, 0);
    rc = uv_read_start((uv_stream_t *)&c->tcp, metrics_on_alloc, metrics_on_read);
    if (rc != 0)
        metrics_conn_close(c);
}

int metrics_start(server_t *s, const char *host, uint16_t port, metrics_t **out, char *err,
                  size_t errlen)
{
    *out = NULL;
    if (host == NULL || host[0] == '\0')
        host = "127.0.0.1";
    struct sockaddr_storage addr;
    int rc;
    if (strchr(host, ':') != NULL)
        rc = uv_ip6_addr(host, port, (struct sockaddr_in6 *)&addr);
    else
        rc = uv_ip4_addr(host, port, (struct sockaddr_in *)&addr);
    if (rc != 0) {
        snprintf(err, errlen, "[metrics] listen: '%s' is not an IP address", host);
        return -1;
    }
    metrics_t *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    m->server = s;
    m->start_time = (int64_t)time(NULL);
    uv_tcp_init(s->loop, &m->listener);
    m->listener.data = m;
    m->listener_open = true;
    rc = uv_tcp_bind(&m->listener, (const struct sockaddr *)&addr, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&m->listener, 64, metrics_on_connection);
    if (rc != 0) {
        snprintf(err, errlen, "[metrics] listen: cannot listen on %s:%u: %s", host, port,
                 uv_strerror(rc));
        metrics_stop(m);
        return -1;
    }
    struct sockaddr_storage bound;
    int len = sizeof(bound);
    int bound_port = port;
    if (uv_tcp_getsockname(&m->listener, (struct sockaddr *)&bound, &len) == 0)
        bound_port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                       : ((struct sockaddr_in *)&bound)->sin_port);
    log_info("metrics_listening", "addr=%s port=%d", host, bound_port);
    *out = m;
    return 0;
}
