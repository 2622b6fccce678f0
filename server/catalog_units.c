/*
 * catalog_units.c - the org units as thiduad holds them: every unit that
 * ever existed, with its days in force, the successor links between them and
 * the pairs of the closure those links open (sql/018_reform.sql).
 *
 * Hello and push ask these questions for every session and record, so they
 * are answered from memory; the catalog is loaded again after each
 * reorganisation (units.c) and on SIGHUP. Which units are in force is asked
 * of the day at hand, not fixed at load time: a server that runs past
 * midnight sees a unit close on its last day.
 */
#include "catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"

static int catalog_day(const char *iso, int32_t *out)
{
    return date_parse_iso(iso, out, NULL) == TD_OK ? 0 : -1;
}

static int catalog_reach_cmp(const void *a, const void *b)
{
    const catalog_reach_t *x = a, *y = b;
    if (x->ancestor != y->ancestor)
        return x->ancestor < y->ancestor ? -1 : 1;
    if (x->descendant != y->descendant)
        return x->descendant < y->descendant ? -1 : 1;
    return 0;
}

static int catalog_code_cmp(const void *a, const void *b)
{
    const catalog_unit_t *const *x = a, *const *y = b;
    int d = strcmp((*x)->code, (*y)->code);
    return d != 0 ? d : ((*x)->id < (*y)->id ? -1 : (*x)->id > (*y)->id);
}

/*
 * Every push looks up the unit of each of its records by code, on the event
 * loop: an index by code makes that a binary search over thousands of units
 * (3,321 communes in the country) instead of a scan.
 */
static int catalog_index_codes(catalog_t *c, char *err, size_t errlen)
{
    c->by_code = calloc(c->nunits + 1, sizeof(*c->by_code));
    if (c->by_code == NULL) {
        snprintf(err, errlen, "out of memory loading the org units");
        return -1;
    }
    for (size_t i = 0; i < c->nunits; i++)
        c->by_code[i] = &c->units[i];
    qsort(c->by_code, c->nunits, sizeof(*c->by_code), catalog_code_cmp);
    return 0;
}

/* The units of that code: by_code[*first .. end), empty when none. */
static size_t catalog_code_range(const catalog_t *c, const char *code, size_t *first)
{
    size_t lo = 0, hi = c->nunits;
    while (lo < hi) { /* the first unit whose code is not below code */
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(c->by_code[mid]->code, code) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *first = lo;
    size_t end = lo;
    while (end < c->nunits && strcmp(c->by_code[end]->code, code) == 0)
        end++;
    return end;
}

static int catalog_load_unit_rows(PGconn *db, catalog_t *c, char *err, size_t errlen)
{
    PGresult *res = catalog_query(
        db,
        "SELECT id, code, name, level, unit_type, coalesce(parent_id, 0),"
        "       to_char(valid_from, 'YYYY-MM-DD'), coalesce(to_char(valid_to, 'YYYY-MM-DD'), '')"
        "  FROM thidua.org_unit ORDER BY id",
        0, NULL, err, errlen);
    if (res == NULL)
        return -1;
    int n = PQntuples(res);
    c->units = calloc((size_t)n + 1, sizeof(*c->units));
    if (c->units == NULL)
        goto oom;
    for (int i = 0; i < n; i++) {
        catalog_unit_t *u = &c->units[i];
        u->id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        u->code = strdup(PQgetvalue(res, i, 1));
        u->name = strdup(PQgetvalue(res, i, 2));
        u->level = strdup(PQgetvalue(res, i, 3));
        u->unit_type = strdup(PQgetvalue(res, i, 4));
        u->parent_id = strtoll(PQgetvalue(res, i, 5), NULL, 10);
        u->parent = SIZE_MAX;
        u->to_day = INT32_MAX;
        c->nunits++;
        if (!u->code || !u->name || !u->level || !u->unit_type)
            goto oom;
        const char *to = PQgetvalue(res, i, 7);
        if (catalog_day(PQgetvalue(res, i, 6), &u->from_day) != 0 ||
            (to[0] != '\0' && catalog_day(to, &u->to_day) != 0)) {
            snprintf(err, errlen, "loading the catalog: unit %s has a date out of range", u->code);
            PQclear(res);
            return -1;
        }
    }
    PQclear(res);
    for (size_t i = 0; i < c->nunits; i++) {
        const catalog_unit_t *p = catalog_unit_by_id(c, c->units[i].parent_id);
        if (p != NULL)
            c->units[i].parent = (size_t)(p - c->units);
    }
    return 0;
oom:
    PQclear(res);
    snprintf(err, errlen, "out of memory loading the org units");
    return -1;
}

static int catalog_load_links(PGconn *db, catalog_t *c, char *err, size_t errlen)
{
    PGresult *res =
        catalog_query(db,
                      "SELECT predecessor_id, successor_id FROM thidua.org_unit_successor"
                      " ORDER BY predecessor_id, successor_id",
                      0, NULL, err, errlen);
    if (res == NULL)
        return -1;
    int n = PQntuples(res);
    c->links = calloc((size_t)n + 1, sizeof(*c->links));
    if (c->links == NULL) {
        PQclear(res);
        snprintf(err, errlen, "out of memory loading the successor links");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        const catalog_unit_t *p = catalog_unit_by_id(c, strtoll(PQgetvalue(res, i, 0), NULL, 10));
        const catalog_unit_t *s = catalog_unit_by_id(c, strtoll(PQgetvalue(res, i, 1), NULL, 10));
        if (p == NULL || s == NULL)
            continue; /* a unit added between the two queries: the next load sees both */
        c->links[c->nlinks].predecessor = (size_t)(p - c->units);
        c->links[c->nlinks].successor = (size_t)(s - c->units);
        c->nlinks++;
    }
    PQclear(res);
    return 0;
}

static int catalog_load_reach(PGconn *db, catalog_t *c, char *err, size_t errlen)
{
    PGresult *res = catalog_query(db,
                                  "SELECT ancestor_id, descendant_id FROM thidua.org_unit_closure"
                                  " WHERE depth IS NULL",
                                  0, NULL, err, errlen);
    if (res == NULL)
        return -1;
    int n = PQntuples(res);
    c->reach = calloc((size_t)n + 1, sizeof(*c->reach));
    if (c->reach == NULL) {
        PQclear(res);
        snprintf(err, errlen, "out of memory loading the succession pairs");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        c->reach[i].ancestor = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        c->reach[i].descendant = strtoll(PQgetvalue(res, i, 1), NULL, 10);
    }
    c->nreach = (size_t)n;
    PQclear(res);
    qsort(c->reach, c->nreach, sizeof(*c->reach), catalog_reach_cmp);
    return 0;
}

int catalog_load_units(PGconn *db, catalog_t *c, char *err, size_t errlen)
{
    if (catalog_load_unit_rows(db, c, err, errlen) != 0 ||
        catalog_index_codes(c, err, errlen) != 0 || catalog_load_links(db, c, err, errlen) != 0 ||
        catalog_load_reach(db, c, err, errlen) != 0)
        return -1;
    return 0;
}

void catalog_units_free(catalog_t *c)
{
    for (size_t i = 0; i < c->nunits; i++) {
        free(c->units[i].code);
        free(c->units[i].name);
        free(c->units[i].level);
        free(c->units[i].unit_type);
    }
    free(c->units);
    free(c->by_code);
    free(c->links);
    free(c->reach);
}

bool catalog_unit_in_force(const catalog_unit_t *u, int32_t day)
{
    return u->from_day <= day && day < u->to_day;
}

/*
 * Of two units with the same code, the better answer: the one in force on
 * day, else the one that closed last (codes are reused only after their
 * previous holder closed, so at most one is in force).
 */
static bool catalog_unit_better(const catalog_unit_t *u, const catalog_unit_t *best, int32_t day)
{
    if (best == NULL)
        return true;
    bool uf = catalog_unit_in_force(u, day), bf = catalog_unit_in_force(best, day);
    if (uf != bf)
        return uf;
    return u->from_day > best->from_day;
}

/* Is one of u's ancestors (not u itself) coded as the len bytes at code? */
static bool catalog_unit_below_code(const catalog_t *c, const catalog_unit_t *u, const char *code,
                                    size_t len)
{
    for (size_t a = u->parent; a != SIZE_MAX; a = c->units[a].parent) {
        const char *ac = c->units[a].code;
        if (strlen(ac) == len && strncmp(ac, code, len) == 0)
            return true;
    }
    return false;
}

const catalog_unit_t *catalog_unit_by_cn(const catalog_t *c, const char *cn, int32_t day)
{
    const char *dash = strchr(cn, '-');
    const char *code = dash == NULL ? cn : dash + 1;
    const catalog_unit_t *best = NULL;
    size_t i, end = catalog_code_range(c, code, &i);
    for (; i < end; i++) {
        const catalog_unit_t *u = c->by_code[i];
        /* The part before the dash names an ancestor, not the unit itself. */
        if (dash != NULL && !catalog_unit_below_code(c, u, cn, (size_t)(dash - cn)))
            continue;
        if (catalog_unit_better(u, best, day))
            best = u;
    }
    return best;
}

const catalog_unit_t *catalog_unit_in_reach(const catalog_t *c, const catalog_unit_t *ancestor,
                                            const char *code, int32_t day)
{
    const catalog_unit_t *best = NULL;
    size_t i, end = catalog_code_range(c, code, &i);
    for (; i < end; i++) {
        const catalog_unit_t *u = c->by_code[i];
        if (catalog_unit_within(c, ancestor, u) && catalog_unit_better(u, best, day))
            best = u;
    }
    return best;
}

const catalog_unit_t *catalog_unit_by_id(const catalog_t *c, int64_t id)
{
    size_t lo = 0, hi = c->nunits;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->units[mid].id == id)
            return &c->units[mid];
        if (c->units[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

bool catalog_unit_within(const catalog_t *c, const catalog_unit_t *ancestor,
                         const catalog_unit_t *unit)
{
    /* Depth is a handful of levels: walking up is cheaper than any index. */
    for (const catalog_unit_t *u = unit; u != NULL;
         u = u->parent == SIZE_MAX ? NULL : &c->units[u->parent]) {
        if (u == ancestor)
            return true;
    }
    /* The inherited pairs are the closure's whole: every descendant is listed. */
    catalog_reach_t key = {ancestor->id, unit->id};
    return c->nreach > 0 &&
           bsearch(&key, c->reach, c->nreach, sizeof(*c->reach), catalog_reach_cmp) != NULL;
}

size_t catalog_unit_heirs(const catalog_t *c, const catalog_unit_t *u, int32_t day,
                          const catalog_unit_t **out, size_t max)
{
    /* Breadth first over the links, bounded by the units: a cycle ends. */
    size_t n = 0;
    const catalog_unit_t *queue[64];
    size_t head = 0, tail = 0;
    queue[tail++] = u;
    for (size_t guard = 0; head < tail && guard < c->nunits; guard++) {
        size_t from = (size_t)(queue[head++] - c->units);
        for (size_t i = 0; i < c->nlinks; i++) {
            if (c->links[i].predecessor != from)
                continue;
            const catalog_unit_t *s = &c->units[c->links[i].successor];
            bool seen = false;
            for (size_t k = 0; k < n && !seen; k++)
                seen = out[k] == s;
            if (seen)
                continue;
            if (catalog_unit_in_force(s, day) || tail == THIDUA_ARRAY_LEN(queue)) {
                if (n < max)
                    out[n++] = s;
            } else {
                queue[tail++] = s;
            }
        }
    }
    return n;
}
