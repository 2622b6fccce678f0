/*
 * report.h - Report: the campaign's summary (report.c).
 *
 * Handlers have the one signature of the dispatch table (routes.c): body is
 * the Envelope's body, of the type the table's row names.
 */
#ifndef THIDUAD_REPORT_H
#define THIDUAD_REPORT_H

#include "server.h"

/* The counts, the awardees and the sync health, as of one moment. */
void report_handle(conn_t *c, req_t *r, const ProtobufCMessage *body);

#endif
