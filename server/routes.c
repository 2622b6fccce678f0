/*
 * routes.c - the one table from an Envelope body to its handler and the
 * role it needs (routes.h).
 *
 * Hello has a row so that a second Hello is known as a request (conn.c
 * answers it: the session is already open); every other row is served.
 */
#include "routes.h"

#include <stddef.h>

#include "award.h"
#include "issuers.h"
#include "campaigns.h"
#include "defs.h"
#include "pull.h"
#include "push.h"
#include "report.h"
#include "review.h"
#include "session.h"
#include "units.h"

#define ROUTE(body, province, fn) {THIDUA__V1__ENVELOPE__BODY_##body, province, fn}

static const route_t routes[] = {
    ROUTE(HELLO, false, session_hello),
    ROUTE(PING, false, session_ping),
    ROUTE(PUSH_REQUEST, false, push_handle),
    ROUTE(PULL_REQUEST, false, pull_handle),
    ROUTE(LIST_RECORDS_REQUEST, true, review_list),
    ROUTE(GET_RECORD_REQUEST, true, review_get),
    ROUTE(DECIDE_REQUEST, true, review_decide),
    ROUTE(AWARD_REQUEST, true, award_handle),
    ROUTE(REVOKE_REQUEST, true, award_revoke),
    ROUTE(REPORT_REQUEST, true, report_handle),
    ROUTE(UNIT_LIST_REQUEST, false, units_list),
    ROUTE(REORGANISE_REQUEST, true, units_reorganise),
    ROUTE(ISSUER_GET_REQUEST, true, issuers_get),
    ROUTE(ISSUER_SET_REQUEST, true, issuers_set),
    ROUTE(DECISION_DOCUMENT_REQUEST, true, issuers_decision),
    ROUTE(CAMPAIGN_LIST_REQUEST, true, campaigns_list),
    ROUTE(CAMPAIGN_GET_REQUEST, true, campaigns_get),
    ROUTE(CAMPAIGN_CREATE_REQUEST, true, campaigns_create),
};

const route_t *routes_find(Thidua__V1__Envelope__BodyCase body_case)
{
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(routes); i++) {
        if (routes[i].body_case == body_case)
            return &routes[i];
    }
    return NULL;
}

const ProtobufCMessage *routes_body(const Thidua__V1__Envelope *env)
{
    /* The oneof's case is its field's number: the descriptor says where it lives. */
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(
        &thidua__v1__envelope__descriptor, (unsigned)env->body_case);
    if (f == NULL || f->type != PROTOBUF_C_TYPE_MESSAGE)
        return NULL;
    return *(const ProtobufCMessage *const *)((const char *)env + f->offset);
}
