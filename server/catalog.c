/*
 * catalog.c - loading the campaigns and the database epoch; the org units
 * are catalog_units.c's.
 *
 * Each campaign is assembled as a Thidua__V1__Campaign pointing into the
 * query results, then packed and unpacked once: the unpacked copy has a
 * single owner and frees with one call, whatever its shape.
 */
#include "catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "record.h"

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

/*
 * One campaign (a row of camps) with its categories and award forms, as a
 * message of its own owner: assembled pointing into the results, then
 * packed and unpacked.
 */
static int catalog_load_campaign(PGconn *db, const PGresult *camps, int row,
                                 Thidua__V1__Campaign **out, char *err, size_t errlen)
{
    const char *id[1] = {PQgetvalue(camps, row, 0)};
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
    msg.code = PQgetvalue(camps, row, 1);
    msg.name = PQgetvalue(camps, row, 2);
    msg.organiser = PQgetvalue(camps, row, 3);
    msg.slogan = PQgetvalue(camps, row, 4);
    msg.starts_on = PQgetvalue(camps, row, 5);
    msg.ends_on = PQgetvalue(camps, row, 6);
    msg.organiser_unit = PQgetvalue(camps, row, 7);
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
    *out = thidua__v1__campaign__unpack(NULL, len, packed);
    if (*out == NULL)
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
    return rc;
}

/*
 * Every campaign, the newest first, and the default among them: the one of
 * code, or the one that started last when code is NULL.
 */
static int catalog_load_campaigns(PGconn *db, const char *code, catalog_t *c, char *err,
                                  size_t errlen)
{
    PGresult *camps = catalog_query(
        db,
        "SELECT c.id, c.code, c.name, c.organiser, c.slogan, to_char(c.starts_on, 'YYYY-MM-DD'),"
        "       to_char(c.ends_on, 'YYYY-MM-DD'), coalesce(u.code, '')"
        "  FROM thidua.campaign c LEFT JOIN thidua.org_unit u ON u.id = c.organiser_unit_id"
        " ORDER BY c.starts_on DESC, c.id DESC",
        0, NULL, err, errlen);
    if (camps == NULL)
        return -1;
    int n = PQntuples(camps);
    c->campaigns = calloc((size_t)n + 1, sizeof(*c->campaigns));
    if (c->campaigns == NULL) {
        snprintf(err, errlen, "out of memory loading the campaigns");
        PQclear(camps);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (catalog_load_campaign(db, camps, i, &c->campaigns[i], err, errlen) != 0) {
            PQclear(camps);
            return -1;
        }
        c->ncampaigns++;
        if (c->campaign == NULL && (code == NULL || strcmp(code, c->campaigns[i]->code) == 0))
            c->campaign = c->campaigns[i];
    }
    PQclear(camps);
    if (c->campaign == NULL) {
        snprintf(err, errlen, code ? "campaign %s is not in the database" :
                                     "the database holds no campaign", code);
        return -1;
    }
    return 0;
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
    if (catalog_load_campaigns(db, campaign_code, c, err, errlen) != 0 ||
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
    for (size_t i = 0; i < c->ncampaigns; i++)
        thidua__v1__campaign__free_unpacked(c->campaigns[i], NULL);
    free(c->campaigns);
    catalog_units_free(c);
    free(c->database_epoch);
    free(c);
}

void catalog_unref(catalog_t *c)
{
    if (c != NULL && --c->refs == 0)
        catalog_free(c);
}

const Thidua__V1__Campaign *catalog_campaign(const catalog_t *c, const char *code)
{
    if (code == NULL || code[0] == '\0')
        return c->campaign;
    return record_campaign_find(c->campaigns, c->ncampaigns, code);
}
