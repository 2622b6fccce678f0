/*
 * issuers.h - IssuerGet, IssuerSet and DecisionDocument: what a printed
 * decision holds (sql/020_issuers.sql). The client lays the document out.
 */
#ifndef THIDUAD_ISSUERS_H
#define THIDUAD_ISSUERS_H

#include "server.h"

/* An issuing unit's settings for a decision date: the stored ones over the defaults. */
void issuers_get(conn_t *c, req_t *r, const ProtobufCMessage *body);
/* Store some of an issuing unit's settings (province). */
void issuers_set(conn_t *c, req_t *r, const ProtobufCMessage *body);
/* A decision with its awardees and its issuer's settings, to print. */
void issuers_decision(conn_t *c, req_t *r, const ProtobufCMessage *body);

#endif
