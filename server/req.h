/*
 * req.h - a request in flight (req.c): queued on its connection in arrival
 * order, answered once, by a handler now or by its database callback later.
 */
#ifndef THIDUAD_REQ_H
#define THIDUAD_REQ_H

#include "server.h"

/*
 * A request in flight. Owned by its connection's queue; freed once its
 * response is written (or the connection is gone).
 */
struct req {
    conn_t *conn;
    req_t *next;
    uint64_t request_id;
    int body_case;
    uint64_t started_ns;
    frame_buf_t out; /* the response frame, once done */
    bool done;
    bool close_after; /* close the connection once this response is sent */
};

/* A new request at the tail of c's queue; NULL when out of memory. */
req_t *req_new(conn_t *c, uint64_t request_id, int body_case);
/* Answer r with body (an Envelope body message). */
void req_respond(req_t *r, const ProtobufCMessage *body);
/* Answer r with an Error. */
void req_error(req_t *r, Thidua__V1__Error__Code code, const char *field, bool retryable,
               const char *fmt, ...) THIDUA_PRINTF(5, 6);

#endif
