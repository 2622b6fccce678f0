/*
 * catalog.h - what thiduad knows of the campaign and the org units.
 *
 * Read once from PostgreSQL at start (and again on reload, after a campaign
 * is created): every campaign with its categories and award forms, as the
 * Campaign messages of Welcome, and
 * every org unit with its parent. Both change a few times a year, so requests
 * consult this copy instead of asking the database each time. Also the
 * database epoch (sql/006_epoch.sql), which Welcome carries so that offices
 * notice a database restored from a backup.
 */
#ifndef THIDUAD_CATALOG_H
#define THIDUAD_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "defs.h"
#include "thidua.pb-c.h"

typedef struct catalog_unit {
    int64_t id;
    char *code;
    char *name;
    char *level;
    char *unit_type;
    int64_t parent_id;   /* 0 for a top unit */
    size_t parent;       /* index of the parent in catalog_t.units, or SIZE_MAX */
    int32_t from_day;    /* first day in force (date.h day number) */
    int32_t to_day;      /* first day no longer in force; INT32_MAX while in force */
} catalog_unit_t;

/* A successor link, as indexes into catalog_t.units. */
typedef struct catalog_link {
    size_t predecessor;
    size_t successor;
} catalog_link_t;

/* A pair of org_unit_closure inherited through succession (depth NULL), by unit id. */
typedef struct catalog_reach {
    int64_t ancestor;
    int64_t descendant;
} catalog_reach_t;

/* Owns everything: the campaigns (protobuf-c's default allocator), the units and the epoch. */
typedef struct catalog {
    Thidua__V1__Campaign **campaigns; /* the newest first (starts_on), as Welcome lists them */
    size_t ncampaigns;
    Thidua__V1__Campaign *campaign; /* the default: one of campaigns (Welcome.campaign) */
    catalog_unit_t *units; /* ordered by id */
    size_t nunits;
    const catalog_unit_t **by_code; /* the same units ordered by code: a record names its unit by code */
    catalog_link_t *links; /* ordered by predecessor */
    size_t nlinks;
    catalog_reach_t *reach; /* ordered by (ancestor, descendant) */
    size_t nreach;
    char *database_epoch; /* thidua.epoch(): 32 hex digits, never NULL once loaded */
    unsigned refs;        /* the server's and each session's; freed at 0 (catalog_unref) */
} catalog_t;

/*
 * Load every campaign and the default one among them (by code, or the one
 * that started last when code is NULL), the units and the database epoch. Blocking: call before the loop serves, or
 * from a worker.
 */
THIDUA_MUSTCHECK int catalog_load(PGconn *db, const char *campaign_code, catalog_t **out,
                                  char *err, size_t errlen);
/*
 * A session keeps the catalog it opened with (its unit points into it), so a
 * reload never changes a unit under an open session: the new catalog serves
 * the sessions that open after it. catalog_load gives one reference.
 */
catalog_t *catalog_ref(catalog_t *c);
void catalog_unref(catalog_t *c);

/* One query of the catalog's loading: the result, or NULL with err set. */
PGresult *catalog_query(PGconn *db, const char *sql, int nparams, const char *const *params,
                        char *err, size_t errlen);

/* ---- Units (catalog_units.c) ---- */

/* Load every unit, the successor links and the pairs they open. */
THIDUA_MUSTCHECK int catalog_load_units(PGconn *db, catalog_t *c, char *err, size_t errlen);
void catalog_units_free(catalog_t *c);

/* Is u in force on that day (date.h day number)? */
bool catalog_unit_in_force(const catalog_unit_t *u, int32_t day);

/* The campaign of that code (the default for NULL or ""), or NULL. */
const Thidua__V1__Campaign *catalog_campaign(const catalog_t *c, const char *code);
/*
 * The unit a certificate's CN names: the plain code ("934") or the form
 * "93-934" (a unit code below a province code), as thidua.unit_resolve()
 * reads it (docs/schema.md, "Certificates"). The one in force on `day`
 * wins; else the one that closed last, so that Hello can tell a closed
 * unit's office what became of it. NULL for an unknown code.
 */
const catalog_unit_t *catalog_unit_by_cn(const catalog_t *c, const char *cn, int32_t day);
/*
 * The unit of that code within ancestor's reach (catalog_unit_within),
 * the one in force on `day` first, else the one that closed last; NULL
 * when none. A record names its unit by code, and a code may have been
 * given again to another unit since.
 */
const catalog_unit_t *catalog_unit_in_reach(const catalog_t *c, const catalog_unit_t *ancestor,
                                            const char *code, int32_t day);
/* The unit with that id, or NULL. */
const catalog_unit_t *catalog_unit_by_id(const catalog_t *c, int64_t id);
/*
 * True when unit is ancestor, below it, or reached through succession: the
 * relation of thidua.org_unit_closure (sql/018_reform.sql).
 */
bool catalog_unit_within(const catalog_t *c, const catalog_unit_t *ancestor,
                         const catalog_unit_t *unit);
/*
 * The units that carry on u's work on `day`: its successors, followed while
 * they are closed too (at most max, into out). Returns how many.
 */
size_t catalog_unit_heirs(const catalog_t *c, const catalog_unit_t *u, int32_t day,
                          const catalog_unit_t **out, size_t max);

#endif
