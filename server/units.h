/*
 * units.h - UnitList and Reorganise: the org units over time, and the
 * province's reorganisation of them (sql/018_reform.sql).
 */
#ifndef THIDUAD_UNITS_H
#define THIDUAD_UNITS_H

#include "server.h"

/* UnitList: the units in force on a day, or every unit (any role). */
void units_list(conn_t *c, req_t *r, const ProtobufCMessage *body);
/* Reorganise: close, add and link units from a file's rows (province). */
void units_reorganise(conn_t *c, req_t *r, const ProtobufCMessage *body);

#endif
