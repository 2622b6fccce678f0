/*
 * routes.h - the table of requests thiduad answers (routes.c): for each
 * Envelope body, the handler and whether it needs a province certificate.
 *
 * Adding a request is one row in routes.c and a handler file: conn.c finds
 * the row, checks the role and calls the handler; nothing else changes.
 */
#ifndef THIDUAD_ROUTES_H
#define THIDUAD_ROUTES_H

#include <stdbool.h>

#include "server.h"

typedef void (*route_handler_fn)(conn_t *c, req_t *r, const ProtobufCMessage *body);

typedef struct route {
    Thidua__V1__Envelope__BodyCase body_case;
    bool province_only; /* a district certificate is answered PERMISSION_DENIED */
    route_handler_fn handle;
} route_t;

/* The row for a body, or NULL for a body that is not a request (a response, unknown). */
const route_t *routes_find(Thidua__V1__Envelope__BodyCase body_case);

/* The Envelope's body as a message (NULL when none is set). */
const ProtobufCMessage *routes_body(const Thidua__V1__Envelope *env);

#endif
