/*
 * synchealth.h - the one call push and pull make to note a unit's sync
 * health (synchealth.c), read back by Report (sql: thidua.report_sync).
 */
#ifndef THIDUAD_SYNCHEALTH_H
#define THIDUAD_SYNCHEALTH_H

#include "server.h"

/*
 * Note that c's unit pushed or pulled (kind "push" or "pull"; rejected: the
 * records of that push acked REJECTED). Call it once the request is
 * answered; a failure is only logged.
 */
void synchealth_note(conn_t *c, const char *kind, unsigned rejected);

#endif
