/*
 * ui_http.h - the console's HTTP server: libmicrohttpd on loopback, the
 * door every request passes (ui_auth.h), the form of a POST gathered, and
 * one response per request with the console's security headers.
 *
 * Pages never touch libmicrohttpd: a handler reads a ui_req_t and fills a
 * ui_resp_t. Every request is answered on the server's one thread, one after
 * the other, so handlers may share the office's store without locks (store.h:
 * one store_t per thread); only the background sync (ui_sync.h) runs beside
 * them, on a store of its own.
 */
#ifndef THIDUA_CLIENT_UI_HTTP_H
#define THIDUA_CLIENT_UI_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "defs.h"
#include "strbuf.h"
#include "ui_auth.h"

/* The port `thidua ui` tries first, and how many after it when taken. */
#define UI_PORT_DEFAULT 8421
#define UI_PORT_TRIES 20
/* Largest request body: a workbook to import, as `thidua import` reads it. */
#define UI_BODY_MAX (16u * 1024u * 1024u)

/* One field of a submitted form; value is NUL-terminated (len bytes before the NUL). */
typedef struct ui_field {
    char *key;
    char *value;
    size_t len;
    char *filename; /* a file input's file name; NULL otherwise */
} ui_field_t;

typedef struct ui_req {
    void *conn; /* the library's connection; for ui_req_query() */
    const char *method;
    const char *path;
    bool post;
    ui_field_t *fields; /* a POST's form, in the order sent */
    size_t nfields, cap;
    size_t body_bytes;
    bool too_big; /* the body passed UI_BODY_MAX: refused before the handler */
    bool bad_form;
    void *pp; /* the library's form parser */
} ui_req_t;

typedef struct ui_resp {
    unsigned status;
    const char *type; /* Content-Type; NULL: "text/html; charset=utf-8" */
    strbuf_t body;
    char location[512];            /* a redirect (303) when not "" */
    char cookie[256];              /* Set-Cookie when not "" */
    char disposition[256];         /* Content-Disposition when not "" (downloads) */
} ui_resp_t;

typedef void (*ui_handler_fn)(void *app, ui_req_t *rq, ui_resp_t *rs);

/*
 * A route: method ("GET" or "POST") and path; a path ending in '/' matches
 * every path under it (the handler reads the rest), any other only itself.
 */
typedef struct ui_route {
    const char *method;
    const char *path;
    ui_handler_fn fn;
} ui_route_t;

typedef struct ui_http ui_http_t;

/* The console's certificate and key as PEM text, to serve over TLS; borrowed. */
typedef struct ui_tls {
    const char *cert_pem;
    const char *key_pem;
} ui_tls_t;

/*
 * Serve routes on host:port over TLS when tls is not NULL (host a loopback
 * address unless configured otherwise, cmd_ui.c; port 0: UI_PORT_DEFAULT,
 * or the next free of UI_PORT_TRIES). app is passed to every handler;
 * auth->port is set to the port taken. TD_OK with *out, or TD_ENETWORK with
 * a sentence in err.
 */
THIDUA_MUSTCHECK int ui_http_start(const char *host, unsigned port, bool port_given,
                                   const ui_tls_t *tls, const ui_route_t *routes, size_t nroutes,
                                   void *app, ui_auth_t *auth, ui_http_t **out, char *err,
                                   size_t errlen);
/* The port served. */
unsigned ui_http_port(const ui_http_t *h);
/* Stop serving (requests under way finish first) and free. NULL is fine. */
void ui_http_stop(ui_http_t *h);

/* A query parameter of the request's URL, or NULL. */
const char *ui_req_query(const ui_req_t *rq, const char *key);
/* A form field of a POST (the first of that name), or NULL. */
const ui_field_t *ui_req_field(const ui_req_t *rq, const char *key);
/* Its value, or "" when absent. */
const char *ui_req_value(const ui_req_t *rq, const char *key);

/* Answer with a redirect (303 See Other) to path. */
void ui_resp_redirect(ui_resp_t *rs, const char *path);

#endif
