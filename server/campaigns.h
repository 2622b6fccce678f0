/*
 * campaigns.h - campaigns as data (campaigns.c): CampaignList, CampaignGet
 * and CampaignCreate, for the province.
 *
 * Handlers have the one signature of the dispatch table (routes.c): body is
 * the Envelope's body, of the type the table's row names.
 */
#ifndef THIDUAD_CAMPAIGNS_H
#define THIDUAD_CAMPAIGNS_H

#include "server.h"

/* Every campaign, with its records among the caller's units and who created it. */
void campaigns_list(conn_t *c, req_t *r, const ProtobufCMessage *body);

/* One campaign whole: categories, award forms with their kinds and level. */
void campaigns_get(conn_t *c, req_t *r, const ProtobufCMessage *body);

/* Create a campaign (or find the same one stored), then serve it in every new Welcome. */
void campaigns_create(conn_t *c, req_t *r, const ProtobufCMessage *body);

#endif
