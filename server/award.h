/*
 * award.h - Award and Revoke under one decision (award.c).
 *
 * Handlers have the one signature of the dispatch table (routes.c): body is
 * the Envelope's body, of the type the table's row names.
 */
#ifndef THIDUAD_AWARD_H
#define THIDUAD_AWARD_H

#include "server.h"

/* Award approved records under one decision. */
void award_handle(conn_t *c, req_t *r, const ProtobufCMessage *body);

/* Revoke an award, with the reason and the decision. */
void award_revoke(conn_t *c, req_t *r, const ProtobufCMessage *body);

#endif
