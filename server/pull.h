/*
 * pull.h - PullRequest: a page of the feed after the cursor (pull.c).
 *
 * Handlers have the one signature of the dispatch table (routes.c): body is
 * the Envelope's body, of the type the table's row names.
 */
#ifndef THIDUAD_PULL_H
#define THIDUAD_PULL_H

#include "server.h"

/* One page of the changes the caller may see, after its cursor. */
void pull_handle(conn_t *c, req_t *r, const ProtobufCMessage *body);

#endif
