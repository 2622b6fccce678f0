/*
 * ui_http.c - the console's HTTP server on libmicrohttpd (ui_http.h).
 *
 * libmicrohttpd calls the access handler several times per request: first
 * with no body (we set up the request), then with each piece of a POST's
 * body (fed to its form parser), and last with nothing more, when we answer.
 * The door is checked at that last call, before any handler runs: the Host
 * header, then the session cookie (or the one-time token that buys it), then
 * a POST's CSRF field.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "error.h"
#include "i18n.h"
#include "ui_http.h"
#include "xml_escape.h"

struct ui_http {
    struct MHD_Daemon *d;
    const ui_route_t *routes;
    size_t nroutes;
    void *app;
    ui_auth_t *auth;
    unsigned port;
};

/* Sent with every answer: nothing inline runs, nothing is framed, nothing is cached. */
static const char ui_csp[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
                             "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
                             "frame-ancestors 'none'; base-uri 'none'";

/* Buffer of the form parser: a field's data arrives in pieces of at most this. */
#define UI_PP_BUFFER 8192

/* --- the request ---------------------------------------------------------------- */

static void ui_req_free(ui_req_t *rq)
{
    if (rq == NULL)
        return;
    if (rq->pp != NULL)
        MHD_destroy_post_processor(rq->pp);
    for (size_t i = 0; i < rq->nfields; i++) {
        free(rq->fields[i].key);
        free(rq->fields[i].value);
        free(rq->fields[i].filename);
    }
    free(rq->fields);
    free(rq);
}

/* Append data to field key: a new field, or the last one when it is the same key still arriving. */
static int ui_req_append(ui_req_t *rq, const char *key, const char *filename, const char *data,
                         size_t off, size_t size)
{
    ui_field_t *f = NULL;
    if (off > 0 && rq->nfields > 0 && strcmp(rq->fields[rq->nfields - 1].key, key) == 0)
        f = &rq->fields[rq->nfields - 1];
    if (f == NULL) {
        if (rq->nfields == rq->cap) {
            size_t cap = rq->cap ? rq->cap * 2 : 16;
            ui_field_t *nf = realloc(rq->fields, cap * sizeof(*nf));
            if (nf == NULL)
                return -1;
            rq->fields = nf;
            rq->cap = cap;
        }
        f = &rq->fields[rq->nfields];
        memset(f, 0, sizeof(*f));
        f->key = strdup(key);
        f->value = calloc(1, 1);
        if (filename != NULL)
            f->filename = strdup(filename);
        rq->nfields++;
        if (f->key == NULL || f->value == NULL || (filename != NULL && f->filename == NULL))
            return -1;
    }
    if (size == 0)
        return 0;
    char *v = realloc(f->value, f->len + size + 1);
    if (v == NULL)
        return -1;
    memcpy(v + f->len, data, size);
    f->len += size;
    v[f->len] = '\0';
    f->value = v;
    return 0;
}

static enum MHD_Result ui_post_iter(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *filename, const char *content_type,
                                    const char *transfer_encoding, const char *data, uint64_t off,
                                    size_t size)
{
    (void)kind;
    (void)content_type;
    (void)transfer_encoding;
    ui_req_t *rq = cls;
    if (key == NULL)
        return MHD_YES;
    if (ui_req_append(rq, key, filename, data, (size_t)off, size) != 0) {
        rq->bad_form = true;
        return MHD_NO;
    }
    return MHD_YES;
}

const char *ui_req_query(const ui_req_t *rq, const char *key)
{
    return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, key);
}

const ui_field_t *ui_req_field(const ui_req_t *rq, const char *key)
{
    for (size_t i = 0; i < rq->nfields; i++) {
        if (strcmp(rq->fields[i].key, key) == 0)
            return &rq->fields[i];
    }
    return NULL;
}

const char *ui_req_value(const ui_req_t *rq, const char *key)
{
    const ui_field_t *f = ui_req_field(rq, key);
    return f != NULL ? f->value : "";
}

void ui_resp_redirect(ui_resp_t *rs, const char *path)
{
    rs->status = MHD_HTTP_SEE_OTHER;
    snprintf(rs->location, sizeof(rs->location), "%s", path);
}

/* --- answering ------------------------------------------------------------------- */

static enum MHD_Result ui_send(struct MHD_Connection *c, ui_resp_t *rs)
{
    const char *body = strbuf_failed(&rs->body) ? "" : strbuf_str(&rs->body);
    size_t len = strbuf_failed(&rs->body) ? 0 : rs->body.len;
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type",
                            rs->type != NULL ? rs->type : "text/html; charset=utf-8");
    MHD_add_response_header(r, "Content-Security-Policy", ui_csp);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (rs->location[0] != '\0')
        MHD_add_response_header(r, "Location", rs->location);
    if (rs->cookie[0] != '\0')
        MHD_add_response_header(r, "Set-Cookie", rs->cookie);
    if (rs->disposition[0] != '\0')
        MHD_add_response_header(r, "Content-Disposition", rs->disposition);
    enum MHD_Result ok = MHD_queue_response(c, rs->status, r);
    MHD_destroy_response(r);
    return ok;
}

/* A refusal at the door: a short page in the officer's language, nothing else done. */
static void ui_refuse(ui_resp_t *rs, unsigned status, const char *why)
{
    rs->status = status;
    const char *title = _("Not allowed");
    strbuf_printf(&rs->body,
                  "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
                  "<title>thidua</title></head><body><h1>",
                  i18n_is_vi() ? "vi" : "en");
    xml_escape_strbuf(&rs->body, title, strlen(title));
    strbuf_puts(&rs->body, "</h1><p class=\"refused\">");
    xml_escape_strbuf(&rs->body, why, strlen(why)); /* a translation is text too */
    strbuf_puts(&rs->body, "</p></body></html>\n");
}

static bool ui_route_match(const ui_route_t *r, const char *method, const char *path)
{
    if (strcmp(r->method, method) != 0)
        return false;
    size_t n = strlen(r->path);
    if (n > 1 && r->path[n - 1] == '/')
        return strncmp(path, r->path, n) == 0 && path[n] != '\0';
    return strcmp(path, r->path) == 0;
}

/* The door, then the route. */
static void ui_answer(ui_http_t *h, ui_req_t *rq, struct MHD_Connection *c, ui_resp_t *rs)
{
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (!ui_auth_host_ok(h->auth, host)) {
        /* A page of another site resolved to our address (DNS rebinding), or no Host at all. */
        ui_refuse(rs, MHD_HTTP_MISDIRECTED_REQUEST,
                  _("This address is not the console's: open the link that `thidua ui` printed."));
        return;
    }
    bool assets = strncmp(rq->path, "/assets/", 8) == 0 && !rq->post;
    const char *cookie = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_COOKIE);
    bool in = ui_auth_cookie_ok(h->auth, cookie);
    const char *token = ui_req_query(rq, "token");
    if (token != NULL && !rq->post) {
        if (ui_auth_spend_token(h->auth, token)) {
            ui_auth_set_cookie(h->auth, rs->cookie, sizeof(rs->cookie));
            ui_resp_redirect(rs, rq->path);
            return;
        }
        if (!in) {
            ui_refuse(rs, MHD_HTTP_FORBIDDEN,
                      _("This link was used already or is not this console's. Each link opens "
                        "the console once: run `thidua ui` again for a new one."));
            return;
        }
    }
    if (!in && !assets) {
        ui_refuse(rs, MHD_HTTP_FORBIDDEN,
                  _("Open the console with the link that `thidua ui` printed in its window."));
        return;
    }
    if (rq->post) {
        if (rq->too_big) {
            ui_refuse(rs, MHD_HTTP_CONTENT_TOO_LARGE,
                      _("What was sent is larger than the console accepts (16 MiB)."));
            return;
        }
        if (rq->bad_form) {
            ui_refuse(rs, MHD_HTTP_BAD_REQUEST, _("The form could not be read."));
            return;
        }
        if (!ui_auth_csrf_ok(h->auth, ui_req_value(rq, "csrf"))) {
            /* A form of another page posted here: nothing is done. */
            ui_refuse(rs, MHD_HTTP_FORBIDDEN,
                      _("This form did not come from the console: nothing was changed. Reload "
                        "the page and try again."));
            return;
        }
    }
    for (size_t i = 0; i < h->nroutes; i++) {
        if (ui_route_match(&h->routes[i], rq->method, rq->path)) {
            h->routes[i].fn(h->app, rq, rs);
            return;
        }
    }
    ui_refuse(rs, MHD_HTTP_NOT_FOUND, _("There is no such page in the console."));
}

static enum MHD_Result ui_access(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_size, void **req_cls)
{
    (void)version;
    ui_http_t *h = cls;
    ui_req_t *rq = *req_cls;
    if (rq == NULL) {
        rq = calloc(1, sizeof(*rq));
        if (rq == NULL)
            return MHD_NO;
        rq->conn = c;
        rq->method = method;
        rq->path = url;
        rq->post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
        if (rq->post) {
            rq->pp = MHD_create_post_processor(c, UI_PP_BUFFER, ui_post_iter, rq);
            if (rq->pp == NULL)
                rq->bad_form = true; /* not a form's content type */
        }
        *req_cls = rq;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        rq->body_bytes += *upload_size;
        if (rq->body_bytes > UI_BODY_MAX)
            rq->too_big = true;
        else if (rq->pp != NULL && !rq->bad_form &&
                 MHD_post_process(rq->pp, upload_data, *upload_size) != MHD_YES)
            rq->bad_form = true;
        *upload_size = 0;
        return MHD_YES;
    }
    ui_resp_t rs;
    memset(&rs, 0, sizeof(rs));
    rs.status = MHD_HTTP_OK;
    strbuf_init(&rs.body);
    ui_answer(h, rq, c, &rs);
    if (strbuf_failed(&rs.body)) {
        strbuf_reset(&rs.body);
        rs.type = "text/plain; charset=utf-8";
        rs.status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        strbuf_puts(&rs.body, _("out of memory"));
    }
    enum MHD_Result ok = ui_send(c, &rs);
    strbuf_free(&rs.body);
    return ok;
}

static void ui_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    ui_req_free(*req_cls);
    *req_cls = NULL;
}

/* --- the daemon ------------------------------------------------------------------- */

static struct MHD_Daemon *ui_listen(ui_http_t *h, const struct sockaddr *sa, bool v6,
                                     const ui_tls_t *tls)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (v6)
        flags |= MHD_USE_IPv6;
    /* The TLS options only when serving TLS: the library refuses them otherwise. */
    struct MHD_OptionItem tls_opts[] = {
        {MHD_OPTION_HTTPS_MEM_KEY, 0, tls != NULL ? (void *)tls->key_pem : NULL},
        {MHD_OPTION_HTTPS_MEM_CERT, 0, tls != NULL ? (void *)tls->cert_pem : NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    if (tls != NULL)
        flags |= MHD_USE_TLS;
    else
        tls_opts[0].option = MHD_OPTION_END;
    /* The port is in sa; the argument only matters to the library when sa is absent. */
    return MHD_start_daemon(flags, 0, NULL, NULL, ui_access, h, MHD_OPTION_SOCK_ADDR, sa,
                            MHD_OPTION_NOTIFY_COMPLETED, ui_completed, h,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_ARRAY,
                            tls_opts, MHD_OPTION_END);
}

int ui_http_start(const char *host, unsigned port, bool port_given, const ui_tls_t *tls,
                  const ui_route_t *routes, size_t nroutes, void *app, ui_auth_t *auth,
                  ui_http_t **out, char *err, size_t errlen)
{
    *out = NULL;
    if (tls != NULL && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        snprintf(err, errlen, "%s", _("this libmicrohttpd was built without TLS"));
        return TD_ENETWORK;
    }
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
    memset(&v4, 0, sizeof(v4));
    memset(&v6, 0, sizeof(v6));
    bool is6 = false;
    if (strcmp(host, "localhost") == 0 || inet_pton(AF_INET, host, &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        if (strcmp(host, "localhost") == 0)
            v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    } else if (inet_pton(AF_INET6, host, &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        is6 = true;
    } else {
        snprintf(err, errlen, _("%s is not an IP address"), host);
        return TD_ENETWORK;
    }
    ui_http_t *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        snprintf(err, errlen, "%s", _("out of memory"));
        return TD_ENOMEM;
    }
    h->routes = routes;
    h->nroutes = nroutes;
    h->app = app;
    h->auth = auth;
    unsigned first = port_given ? port : UI_PORT_DEFAULT;
    unsigned tries = port_given ? 1 : UI_PORT_TRIES;
    for (unsigned i = 0; i < tries && h->d == NULL; i++) {
        unsigned p = first + i;
        v4.sin_port = htons((uint16_t)p);
        v6.sin6_port = htons((uint16_t)p);
        h->d = ui_listen(h, is6 ? (const struct sockaddr *)&v6 : (const struct sockaddr *)&v4,
                         is6, tls);
    }
    if (h->d == NULL) {
        if (port_given)
            snprintf(err, errlen,
                     tls != NULL ? _("cannot listen on %s port %u (taken, not allowed, or the "
                                     "console's certificate and key do not go together)")
                                 : _("cannot listen on %s port %u (taken, or not allowed)"),
                     host, port);
        else
            snprintf(err, errlen, _("cannot listen on %s: ports %u to %u are all taken"), host,
                     first, first + tries - 1);
        free(h);
        return TD_ENETWORK;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info != NULL ? info->port : first;
    auth->port = h->port;
    *out = h;
    return TD_OK;
}

unsigned ui_http_port(const ui_http_t *h)
{
    return h->port;
}

void ui_http_stop(ui_http_t *h)
{
    if (h == NULL)
        return;
    MHD_stop_daemon(h->d);
    free(h);
}
