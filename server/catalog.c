/*
 * catalog.c - loading the campaign and the database epoch; the org units
 * are catalog_units.c's.
 *
 * The campaign is assembled as a Thidua__V1__Campaign pointing into the
 * query results, then packed and unpacked once: the unpacked copy has a
 * single owner and frees with one call, whatever its shape.
 */
#include "catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static void catalog_free(catalog_t *c);

PGresult *catalog_query(PGconn *db, const char *sql, int nparams, const char *const *params,
                        char *err, size_t errlen)
{
    PGresult *res = PQexecParams(db, sql, nparams, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "loading the catalog: %s", PQerrorMessage(db));
        PQclear(res);
        return NULL;
    }
    return res;
}

static int catalog_load_campaign(PGconn *db, const char *code, catalog_t *c, char *err,
                                 size_t errlen)
{
    const char *params[1] = {code};
    PGresult *camp = catalog_query(
        db,
        "SELECT id, code, name, organiser, slogan, to_char(starts_on, 'YYYY-MM-DD'),"
        "       to_char(ends_on, 'YYYY-MM-DD')"
        "  FROM thidua.campaign WHERE $1::text IS NULL OR code = $1"
        " ORDER BY starts_on DESC, id DESC LIMIT 1",
        1, params, err, errlen);
    if (camp == NULL)
        return -1;
    if (PQntuples(camp) != 1) {
        snprintf(err, errlen, code ? "campaign %s is not in the database" :
                                     "the database holds no campaign", code);
        PQclear(camp);
        return -1;
    }
    c->campaign_id = strtoll(PQgetvalue(camp, 0, 0), NULL, 10);
    const char *id[1] = {PQgetvalue(camp, 0, 0)};
    PGresult *cats = catalog_query(db,
                                   "SELECT code, name FROM thidua.category WHERE campaign_id = $1"
                                   " ORDER BY sort_order, code",
                                   1, id, err, errlen);
    PGresult *forms = cats == NULL ? NULL :
        catalog_query(db,
                      "SELECT code, name, conferred_by, array_to_string(allowed_kinds, ',')"
                      "  FROM thidua.award_form WHERE campaign_id = $1"
                      " ORDER BY sort_order, code",
                      1, id, err, errlen);
    if (forms == NULL) {
        PQclear(cats);
        PQclear(camp);
        return -1;
    }

    int rc = -1;
    int ncat = PQntuples(cats), nform = PQntuples(forms);
    Thidua__V1__Category *cat = calloc((size_t)ncat + 1, sizeof(*cat));
    Thidua__V1__Category **catp = calloc((size_t)ncat + 1, sizeof(*catp));
    Thidua__V1__AwardForm *form = calloc((size_t)nform + 1, sizeof(*form));
    Thidua__V1__AwardForm **formp = calloc((size_t)nform + 1, sizeof(*formp));
    char **kinds = calloc((size_t)nform * 3 + 1, sizeof(*kinds));
    char *kindbuf = NULL;
    uint8_t *packed = NULL;
    if (!cat || !catp || !form || !formp || !kinds)
        goto oom;

    Thidua__V1__Campaign msg = THIDUA__V1__CAMPAIGN__INIT;
    msg.code = PQgetvalue(camp, 0, 1);
    msg.name = PQgetvalue(camp, 0, 2);
    msg.organiser = PQgetvalue(camp, 0, 3);
    msg.slogan = PQgetvalue(camp, 0, 4);
    msg.starts_on = PQgetvalue(camp, 0, 5);
    msg.ends_on = PQgetvalue(camp, 0, 6);
    for (int i = 0; i < ncat; i++) {
        thidua__v1__category__init(&cat[i]);
        cat[i].code = PQgetvalue(cats, i, 0);
        cat[i].name = PQgetvalue(cats, i, 1);
        catp[i] = &cat[i];
    }
    msg.n_categories = (size_t)ncat;
    msg.categories = catp;

    /* allowed_kinds arrives as "individual,collective": split it in a copy. */
    size_t kbytes = 0;
    for (int i = 0; i < nform; i++)
        kbytes += (size_t)PQgetlength(forms, i, 3) + 1;
    kindbuf = malloc(kbytes + 1);
    if (kindbuf == NULL)
        goto oom;
    char *kp = kindbuf;
    size_t nk = 0;
    for (int i = 0; i < nform; i++) {
        thidua__v1__award_form__init(&form[i]);
        form[i].code = PQgetvalue(forms, i, 0);
        form[i].name = PQgetvalue(forms, i, 1);
        form[i].conferred_by = PQgetvalue(forms, i, 2);
        form[i].nominee_kinds = &kinds[nk];
        strcpy(kp, PQgetvalue(forms, i, 3));
        for (char *tok = strtok(kp, ","); tok != NULL && nk < (size_t)nform * 3;
             tok = strtok(NULL, ",")) {
            kinds[nk++] = tok;
            form[i].n_nominee_kinds++;
        }
        kp += strlen(PQgetvalue(forms, i, 3)) + 1;
        formp[i] = &form[i];
    }
    msg.n_award_forms = (size_t)nform;
    msg.award_forms = formp;

    size_t len = thidua__v1__campaign__get_packed_size(&msg);
    packed = malloc(len ? len : 1);
    if (packed == NULL)
        goto oom;
    thidua__v1__campaign__pack(&msg, packed);
    c->campaign = thidua__v1__campaign__unpack(NULL, len, packed);
    if (c->campaign == NULL)
        goto oom;
    rc = 0;
    goto done;
oom:
    snprintf(err, errlen, "out of memory loading the campaign");
done:
    free(packed);
    free(kindbuf);
    free(kinds);
    free(formp);
    free(form);
    free(catp);
    free(cat);
    PQclear(forms);
    PQclear(cats);
    PQclear(camp);
    return rc;
}

/*
 * The epoch changes only with the database's history (a restore), never while
 * the server runs on the same tables, so reading it once is enough; a restore
 * under a running server is caught by the pull's own check (pull.c).
 */
static int catalog_load_epoch(PGconn *db, catalog_t *c, char *err, size_t errlen)
{
    PGresult *res = catalog_query(db, "SELECT thidua.epoch()", 0, NULL, err, errlen);
    if (res == NULL)
        return -1;
    if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0) || PQgetlength(res, 0, 0) == 0) {
        snprintf(err, errlen, "loading the catalog: thidua.epoch() gave no value");
        PQclear(res);
        return -1;
    }
    c->database_epoch = strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    if (c->database_epoch == NULL) {
        snprintf(err, errlen, "out of memory loading the database epoch");
        return -1;
    }
    log_info("database_epoch", "epoch=%s", c->database_epoch);
    return 0;
}

int catalog_load(PGconn *db, const char *campaign_code, catalog_t **out, char *err, size_t errlen)
{
    catalog_t *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (catalog_load_campaign(db, campaign_code, c, err, errlen) != 0 ||
        catalog_load_units(db, c, err, errlen) != 0 ||
        catalog_load_epoch(db, c, err, errlen) != 0) {
        catalog_free(c);
        return -1;
    }
    c->refs = 1;
    *out = c;
    return 0;
}

catalog_t *catalog_ref(catalog_t *c)
{
    c->refs++;
    return c;
}

static void catalog_free(catalog_t *c)
{
    if (c == NULL)
        return;
    if (c->campaign != NULL)
        thidua__v1__campaign__free_unpacked(c->campaign, NULL);
    catalog_units_free(c);
    free(c->database_epoch);
    free(c);
}

void catalog_unref(catalog_t *c)
{
    if (c != NULL && --c->refs == 0)
        catalog_free(c);
}
