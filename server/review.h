/*
 * review.h - the province's review: ListRecords, GetRecord, Decide (review.c).
 *
 * Handlers have the one signature of the dispatch table (routes.c): body is
 * the Envelope's body, of the type the table's row names.
 */
#ifndef THIDUAD_REVIEW_H
#define THIDUAD_REVIEW_H

#include "server.h"

/* A filtered, Vietnamese-ordered page of records. */
void review_list(conn_t *c, req_t *r, const ProtobufCMessage *body);

/* One record with a page of its history (newest page first), bounded by entries and bytes. */
void review_get(conn_t *c, req_t *r, const ProtobufCMessage *body);

/* Approve, reject or return a record at a stated revision. */
void review_decide(conn_t *c, req_t *r, const ProtobufCMessage *body);

#endif
