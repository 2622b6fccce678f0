/*
 * req.c - a request in flight (req.h): its place in the connection's queue
 * and its one answer. The answer is packed at once; conn_flush() writes it
 * when every request before it is answered too.
 */
#include "req.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

req_t *req_new(conn_t *c, uint64_t request_id, int body_case)
{
    req_t *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->conn = c;
    r->request_id = request_id;
    r->body_case = body_case;
    r->started_ns = uv_hrtime();
    frame_buf_init(&r->out);
    if (c->queue_tail != NULL)
        c->queue_tail->next = r;
    else
        c->queue_head = r;
    c->queue_tail = r;
    c->in_flight++;
    return r;
}

void req_respond(req_t *r, const ProtobufCMessage *body)
{
    conn_t *c = r->conn;
    envelope_error_t err;
    if (envelope_pack(&r->out, r->request_id, body, c->server->cfg->max_frame, &err) != 0) {
        /* Only a response too large for a frame can fail here: say so. */
        log_error("response_too_large", "peer=%s unit=%s body=%s reason=\"%s\"", c->peer_addr,
                  c->unit_code, envelope_body_name((Thidua__V1__Envelope__BodyCase)r->body_case),
                  err.message);
        Thidua__V1__Error e = THIDUA__V1__ERROR__INIT;
        e.code = THIDUA__V1__ERROR__CODE__INTERNAL;
        e.message = "the answer is too large for one frame; ask for a smaller page";
        if (envelope_pack(&r->out, r->request_id, &e.base, c->server->cfg->max_frame, NULL) != 0)
            r->close_after = true;
    }
    r->done = true;
    conn_flush(c);
}

void req_error(req_t *r, Thidua__V1__Error__Code code, const char *field, bool retryable,
               const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    Thidua__V1__Error e = THIDUA__V1__ERROR__INIT;
    e.code = code;
    e.message = msg;
    e.field = (char *)(field != NULL ? field : "");
    e.retryable = retryable;
    r->conn->server->stats.errors_sent++;
    req_respond(r, &e.base);
}
