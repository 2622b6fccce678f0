/*
 * session.h - Hello and Ping: the session's own requests (session.c).
 *
 * Handlers have the one signature of the dispatch table (routes.c): body is
 * the Envelope's body, of the type the table's row names.
 */
#ifndef THIDUAD_SESSION_H
#define THIDUAD_SESSION_H

#include "server.h"

/* Hello: who is on the other end (the first request of every connection). */
void session_hello(conn_t *c, req_t *r, const ProtobufCMessage *body);

/* Ping: a Pong with the server's clock. */
void session_ping(conn_t *c, req_t *r, const ProtobufCMessage *body);

#endif
