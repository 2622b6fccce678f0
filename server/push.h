/*
 * push.h - PushRequest: a district's records into the province (push.c).
 *
 * Handlers have the one signature of the dispatch table (routes.c): body is
 * the Envelope's body, of the type the table's row names.
 */
#ifndef THIDUAD_PUSH_H
#define THIDUAD_PUSH_H

#include "server.h"

/* Validate and store one batch; acks after the commit. */
void push_handle(conn_t *c, req_t *r, const ProtobufCMessage *body);

#endif
