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
    int64_t parent_id;   /* 0 for a top unit */
    size_t parent;       /* index of the parent in catalog_t.units, or SIZE_MAX */
    int valid_today;     /* valid_from <= today < valid_to */
} catalog_unit_t;

/* Owns everything: the campaigns (protobuf-c's default allocator), the units and the epoch. */
typedef struct catalog {
    Thidua__V1__Campaign **campaigns; /* the newest first (starts_on), as Welcome lists them */
    size_t ncampaigns;
    Thidua__V1__Campaign *campaign; /* the default: one of campaigns (Welcome.campaign) */
    catalog_unit_t *units; /* ordered by id */
    size_t nunits;
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

/* The campaign of that code (the default for NULL or ""), or NULL. */
const Thidua__V1__Campaign *catalog_campaign(const catalog_t *c, const char *code);

/* The unit valid today with that code, or NULL. */
const catalog_unit_t *catalog_unit_by_code(const catalog_t *c, const char *code);
/*
 * The unit valid today that a certificate's CN names, or NULL: the plain code
 * ("934") or the form "93-934" (a unit code below a province code), as
 * thidua.unit_resolve() reads it (docs/schema.md, "Certificates").
 */
const catalog_unit_t *catalog_unit_by_cn(const catalog_t *c, const char *cn);
/* The unit with that id, or NULL. */
const catalog_unit_t *catalog_unit_by_id(const catalog_t *c, int64_t id);
/* True when unit is ancestor or below it. */
int catalog_unit_within(const catalog_t *c, const catalog_unit_t *ancestor,
                        const catalog_unit_t *unit);

#endif
