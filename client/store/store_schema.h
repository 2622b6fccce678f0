/*
 * store_schema.h - the local store's tables, created and migrated by the
 * client itself (PRAGMA user_version counts the steps applied).
 */
#ifndef THIDUA_CLIENT_STORE_SCHEMA_H
#define THIDUA_CLIENT_STORE_SCHEMA_H

#include "defs.h"
#include "store_int.h"

/* PRAGMA application_id of a thidua store: "THDA". */
#define STORE_APPLICATION_ID 0x54484441

/*
 * Read-only look before anything is written (switching to WAL writes the
 * file header): TD_ENOTSTORE for an SQLite file of another program or a
 * file that is no database, TD_ENEWER for a store of a newer thidua.
 */
THIDUA_MUSTCHECK int store_schema_check(store_t *st);

/*
 * Bring the file's schema up to store_schema_version() in one transaction.
 * An empty file gets every step; a store of this version gets none; a newer
 * store is refused (TD_ENEWER), and so is an SQLite file made by another
 * program (TD_ENOTSTORE), which is left untouched.
 */
THIDUA_MUSTCHECK int store_schema_migrate(store_t *st);

#endif
