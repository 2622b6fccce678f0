/*
 * direct.c - thidua-direct: the baseline for the push benchmark. The same
 * kind of records go straight into PostgreSQL through libpq, with no thiduad
 * in between, so that what the server costs can be told apart from what the
 * database costs.
 *
 * Two ways, from K threads with one connection each (docs/performance.md says
 * what each one compares):
 *
 *   push  SELECT ... FROM thidua.push(unit, fingerprint, json): the very call
 *         thiduad makes for a PushRequest, with the JSON batch it would build
 *         (built by the same code, server/pushjson.c), one statement per
 *         batch in its own transaction. What thiduad adds on top is TLS, frames, protobuf,
 *         validation in C and its event loop: this is the ceiling for it.
 *   upsert  the same JSON batches as one multi-row INSERT ... ON CONFLICT DO
 *         UPDATE each into one plain table with one index (bench_upsert,
 *         created in the database given): what PostgreSQL does with the same
 *         bytes and nothing of the schema. The ceiling the others are read
 *         against.
 *   copy  COPY into thidua.record and thidua.record_revision, then
 *         thidua.feed_append() for the change feed, one transaction per batch:
 *         the same rows, indexes and constraints without the per-record
 *         checks and locks of thidua.push. The floor of what storing a
 *         record costs in this schema.
 *
 * In push and copy each batch's changes are then numbered after its commit
 * (thidua.feed_sequence, sql/014_feed_deferred.sql), as thiduad does.
 *
 * As in thidua-load, records are generated, validated, hashed and encoded
 * before the clock starts; every batch's outcome is checked (each ack APPLIED
 * or DUPLICATE) and any failure makes the exit status 1.
 */
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "benchgen.h"
#include "benchopt.h"
#include "benchstat.h"
#include "pushjson.h"
#include "strbuf.h"
#include "text.h"

#define DB_FIRST_UNIT 930
#define DB_UNITS 8
/* Streams of the generator: apart from thidua-load's (0..K-1), so a shared seed never
 * makes the baseline push the load generator's records. */
#define DB_STREAM_BASE ((uint64_t)1 << 32)

#define DB_PROG "thidua-direct"

typedef enum { DB_PUSH, DB_COPY, DB_UPSERT } db_mode_t;

static const char *const db_mode_names[] = {"push", "copy", "upsert"};

/*
 * The ceiling of the upsert mode: one plain table, one index (its UUID
 * primary key), the fields of a record as the JSON batch names them.
 */
#define DB_UPSERT_TABLE                                                                            \
    "CREATE TABLE IF NOT EXISTS public.bench_upsert (id uuid PRIMARY KEY, campaign text,"          \
    " org_unit text, nominee_kind text, nominee_name text, birth_date text, gender text,"          \
    " position text, workplace text, title text, summary text, category text, achieved_on text,"   \
    " proposed_award text, revision integer, content_hash text, withdrawn boolean,"                \
    " name_key text, name_loose_key text)"
#define DB_UPSERT_SQL                                                                              \
    "INSERT INTO public.bench_upsert AS t"                                                         \
    " SELECT * FROM jsonb_populate_recordset(NULL::public.bench_upsert, $1::jsonb)"                \
    " ON CONFLICT (id) DO UPDATE SET revision = excluded.revision, title = excluded.title,"        \
    " summary = excluded.summary, content_hash = excluded.content_hash"                            \
    " WHERE t.revision < excluded.revision"


typedef struct {
    const char *conninfo;
    const char *campaign;
    db_mode_t mode;
    unsigned connections;
    uint64_t count;
    unsigned batch;
    uint64_t seed;
    bool json;
} db_options_t;

/*
 * The campaign as the database describes it, in the wire's shape so that
 * benchgen can use it. Owns every string and array (malloc'd), plus the ids
 * the copy mode writes.
 */
typedef struct {
    Thidua__V1__Campaign c;
    long long campaign_id;
    long long *category_ids; /* parallel to c.categories */
    long long *form_ids;     /* parallel to c.award_forms */
    long long unit_ids[DB_UNITS];
} db_catalog_t;

/* One batch, encoded before the clock starts. Owns its strings. */
typedef struct {
    uint32_t n;
    char *json;     /* push: the JSON array */
    char *rec_copy; /* copy: COPY text of thidua.record */
    char *rev_copy; /* copy: COPY text of thidua.record_revision */
    char *feed_ids; /* copy: '{uuid,...}' */
    char *feed_kinds;
    char *feed_revs;
    char *feed_decs;
} db_batch_t;

/* One thread and its connection. Owns conn, batches and lat. */
typedef struct {
    const db_options_t *opt;
    const db_catalog_t *cat;
    pthread_barrier_t *barrier;
    unsigned index;
    const char *unit;
    long long unit_id;
    char fingerprint[2 + 64 + 1]; /* "\x" + hex, bytea text input */
    PGconn *conn;
    db_batch_t *batches;
    size_t nbatches;
    uint64_t nrecords;
    bench_lat_t lat;
    double t_end;
    uint64_t rows, applied, duplicate;
    int failed;
    char error[600];
} db_worker_t;

/* ---- the catalog ---- */

static char *db_dup(const char *s)
{
    return strdup(s != NULL ? s : "");
}

static void db_catalog_free(db_catalog_t *cat)
{
    Thidua__V1__Campaign *c = &cat->c;
    free(c->code);
    free(c->starts_on);
    free(c->ends_on);
    for (size_t i = 0; i < c->n_categories; i++) {
        free(c->categories[i]->code);
        free(c->categories[i]);
    }
    free(c->categories);
    for (size_t i = 0; i < c->n_award_forms; i++) {
        Thidua__V1__AwardForm *f = c->award_forms[i];
        for (size_t j = 0; j < f->n_nominee_kinds; j++)
            free(f->nominee_kinds[j]);
        free(f->nominee_kinds);
        free(f->code);
        free(f);
    }
    free(c->award_forms);
    free(cat->category_ids);
    free(cat->form_ids);
    memset(cat, 0, sizeof(*cat));
}

static PGresult *db_query(PGconn *conn, const char *sql, int nparams, const char *const *params,
                          char *err, size_t errlen)
{
    PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "%s", PQerrorMessage(conn));
        PQclear(res);
        return NULL;
    }
    return res;
}

/* Split "a,b,c" into nominee_kinds. */
static int db_form_kinds(Thidua__V1__AwardForm *f, const char *list)
{
    size_t n = 1;
    for (const char *p = list; *p; p++)
        n += *p == ',';
    f->nominee_kinds = calloc(n, sizeof(char *));
    if (f->nominee_kinds == NULL)
        return -1;
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char *k = strndup(p, len);
        if (k == NULL)
            return -1;
        f->nominee_kinds[f->n_nominee_kinds++] = k;
        p += len + (e ? 1 : 0);
    }
    return 0;
}

static int db_catalog_load(PGconn *conn, const char *code, db_catalog_t *cat, char *err,
                           size_t errlen)
{
    memset(cat, 0, sizeof(*cat));
    thidua__v1__campaign__init(&cat->c);
    const char *p1[1] = {code};
    PGresult *res = db_query(conn,
                             "SELECT id, code, to_char(starts_on, 'YYYY-MM-DD'),"
                             "       to_char(ends_on, 'YYYY-MM-DD')"
                             "  FROM thidua.campaign WHERE $1::text IS NULL OR code = $1"
                             " ORDER BY starts_on DESC, id DESC LIMIT 1",
                             1, p1, err, errlen);
    if (res == NULL)
        return -1;
    if (PQntuples(res) != 1) {
        snprintf(err, errlen, "no campaign %s in the database", code ? code : "at all");
        PQclear(res);
        return -1;
    }
    cat->campaign_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    cat->c.code = db_dup(PQgetvalue(res, 0, 1));
    cat->c.starts_on = db_dup(PQgetvalue(res, 0, 2));
    cat->c.ends_on = db_dup(PQgetvalue(res, 0, 3));
    PQclear(res);

    char idbuf[32];
    snprintf(idbuf, sizeof(idbuf), "%lld", cat->campaign_id);
    const char *p2[1] = {idbuf};
    res = db_query(conn, "SELECT id, code FROM thidua.category WHERE campaign_id = $1 ORDER BY id",
                   1, p2, err, errlen);
    if (res == NULL)
        return -1;
    int n = PQntuples(res);
    cat->c.categories = calloc((size_t)n + 1, sizeof(*cat->c.categories));
    cat->category_ids = calloc((size_t)n + 1, sizeof(*cat->category_ids));
    for (int i = 0; i < n && cat->c.categories != NULL && cat->category_ids != NULL; i++) {
        Thidua__V1__Category *k = calloc(1, sizeof(*k));
        if (k == NULL)
            break;
        thidua__v1__category__init(k);
        k->code = db_dup(PQgetvalue(res, i, 1));
        cat->category_ids[i] = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        cat->c.categories[cat->c.n_categories++] = k;
    }
    PQclear(res);
    if (cat->c.n_categories != (size_t)n) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }

    res = db_query(conn,
                   "SELECT id, code, array_to_string(allowed_kinds, ',') FROM thidua.award_form"
                   " WHERE campaign_id = $1 ORDER BY id",
                   1, p2, err, errlen);
    if (res == NULL)
        return -1;
    n = PQntuples(res);
    cat->c.award_forms = calloc((size_t)n + 1, sizeof(*cat->c.award_forms));
    cat->form_ids = calloc((size_t)n + 1, sizeof(*cat->form_ids));
    for (int i = 0; i < n && cat->c.award_forms != NULL && cat->form_ids != NULL; i++) {
        Thidua__V1__AwardForm *f = calloc(1, sizeof(*f));
        if (f == NULL)
            break;
        thidua__v1__award_form__init(f);
        cat->c.award_forms[cat->c.n_award_forms++] = f;
        f->code = db_dup(PQgetvalue(res, i, 1));
        cat->form_ids[i] = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        if (db_form_kinds(f, PQgetvalue(res, i, 2)) != 0)
            break;
    }
    PQclear(res);
    if (cat->c.n_award_forms != (size_t)n) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }

    for (unsigned u = 0; u < DB_UNITS; u++) {
        char unit[16];
        snprintf(unit, sizeof(unit), "%u", DB_FIRST_UNIT + u);
        const char *p3[1] = {unit};
        res = db_query(conn, "SELECT thidua.unit_resolve($1)", 1, p3, err, errlen);
        if (res == NULL)
            return -1;
        if (PQgetisnull(res, 0, 0)) {
            snprintf(err, errlen, "unit %s is not in the database", unit);
            PQclear(res);
            return -1;
        }
        cat->unit_ids[u] = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        PQclear(res);
    }
    return 0;
}

/* ---- encoding the batches ---- */

/* s escaped for COPY's text format. */
static void db_copy_text(strbuf_t *sb, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '\\':
            strbuf_puts(sb, "\\\\");
            break;
        case '\n':
            strbuf_puts(sb, "\\n");
            break;
        case '\r':
            strbuf_puts(sb, "\\r");
            break;
        case '\t':
            strbuf_puts(sb, "\\t");
            break;
        default:
            strbuf_putc(sb, *s);
            break;
        }
    }
}

static void db_copy_field(strbuf_t *sb, const char *s, bool null_if_empty, bool last)
{
    if (null_if_empty && s[0] == '\0')
        strbuf_puts(sb, "\\N");
    else
        db_copy_text(sb, s);
    strbuf_putc(sb, last ? '\n' : '\t');
}

static long long db_lookup(const Thidua__V1__Campaign *c, const long long *ids, const char *code,
                           bool forms)
{
    size_t n = forms ? c->n_award_forms : c->n_categories;
    for (size_t i = 0; i < n; i++) {
        const char *k = forms ? c->award_forms[i]->code : c->categories[i]->code;
        if (strcmp(k, code) == 0)
            return ids[i];
    }
    return -1;
}

/* One record as a row of thidua.record and one of thidua.record_revision. */
static int db_copy_record(db_worker_t *w, strbuf_t *rec, strbuf_t *rev, const record_t *r,
                          const uint8_t hash[RECORD_HASH_LEN])
{
    const db_catalog_t *cat = w->cat;
    char hex[2 * RECORD_HASH_LEN + 1], bytea[2 * RECORD_HASH_LEN + 4], num[3][32];
    pushjson_hex(hash, hex);
    snprintf(bytea, sizeof(bytea), "\\x%s", hex);
    snprintf(num[0], sizeof(num[0]), "%lld", cat->campaign_id);
    snprintf(num[1], sizeof(num[1]), "%lld",
             db_lookup(&cat->c, cat->category_ids, r->category, false));
    snprintf(num[2], sizeof(num[2]), "%lld",
             db_lookup(&cat->c, cat->form_ids, r->proposed_award, true));
    char unit_id[32], revision[16];
    snprintf(unit_id, sizeof(unit_id), "%lld", w->unit_id);
    snprintf(revision, sizeof(revision), "%u", r->revision);

    char *key = NULL, *loose = NULL;
    size_t nlen = strlen(r->nominee_name);
    if (text_fold_key(r->nominee_name, nlen, &key) != 0 ||
        text_fold_loose(r->nominee_name, nlen, &loose) != 0) {
        free(key);
        return -1;
    }
    /* id campaign_id org_unit_id nominee_kind nominee_name birth_date gender position
     * workplace title summary category_id achieved_on proposed_award_id revision status
     * content_hash name_key name_loose_key */
    const char *cols[] = {
        r->id,           num[0],        unit_id,    r->nominee_kind,
        r->nominee_name, r->birth_date, r->gender,  r->position,
        r->workplace,    r->title,      r->summary, num[1],
        r->achieved_on,  num[2],        revision,   r->withdrawn ? "withdrawn" : "submitted",
        bytea,           key,           loose};
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(cols); i++)
        db_copy_field(rec, cols[i], i == 5 || i == 6, i + 1 == THIDUA_ARRAY_LEN(cols));
    free(key);
    free(loose);

    /* The history's content: the hashed fields, as thidua.push_content() keeps them. */
    strbuf_t js;
    strbuf_init(&js);
    strbuf_putc(&js, '{');
    pushjson_fields(&js, r);
    strbuf_printf(&js, "\"withdrawn\":%s}", r->withdrawn ? "true" : "false");
    /* record_id revision content_hash content by_unit_id by_cert */
    const char *rcols[] = {r->id, revision, bytea, strbuf_str(&js), unit_id, w->fingerprint};
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(rcols); i++)
        db_copy_field(rev, rcols[i], false, i + 1 == THIDUA_ARRAY_LEN(rcols));
    int rc = strbuf_failed(&js) ? -1 : 0;
    strbuf_free(&js);
    return rc;
}

static char *db_take(strbuf_t *sb)
{
    if (strbuf_failed(sb)) {
        strbuf_free(sb);
        return NULL;
    }
    char *s = sb->data != NULL ? sb->data : strdup("");
    strbuf_init(sb);
    return s;
}

static int db_prepare(db_worker_t *w)
{
    const db_options_t *o = w->opt;
    benchgen_t g;
    if (benchgen_init(&g, &w->cat->c, w->unit, o->seed, DB_STREAM_BASE * (1 + o->mode) + w->index,
                      w->error, sizeof(w->error)) != 0)
        return -1;
    w->nbatches = (size_t)((w->nrecords + o->batch - 1) / o->batch);
    w->batches = calloc(w->nbatches ? w->nbatches : 1, sizeof(*w->batches));
    if (w->batches == NULL) {
        snprintf(w->error, sizeof(w->error), "out of memory");
        return -1;
    }
    strbuf_t a, b, ids, kinds, revs, decs;
    strbuf_init(&a);
    strbuf_init(&b);
    strbuf_init(&ids);
    strbuf_init(&kinds);
    strbuf_init(&revs);
    strbuf_init(&decs);
    int rc = 0;
    for (size_t k = 0; k < w->nbatches && rc == 0; k++) {
        db_batch_t *bt = &w->batches[k];
        uint64_t first = k * o->batch;
        bt->n = (uint32_t)(w->nrecords - first < o->batch ? w->nrecords - first : o->batch);
        if (o->mode != DB_COPY) {
            strbuf_putc(&a, '[');
        } else {
            strbuf_putc(&ids, '{');
            strbuf_putc(&kinds, '{');
            strbuf_putc(&revs, '{');
            strbuf_putc(&decs, '{');
        }
        for (uint32_t i = 0; i < bt->n && rc == 0; i++) {
            record_t r;
            uint8_t hash[RECORD_HASH_LEN];
            if (benchgen_record(&g, &r, hash, w->error, sizeof(w->error)) != 0) {
                rc = -1;
                break;
            }
            if (o->mode != DB_COPY) {
                if (i > 0)
                    strbuf_putc(&a, ',');
                rc = pushjson_record(&a, &r, hash) == 0 ? 0 : -1;
            } else {
                rc = db_copy_record(w, &a, &b, &r, hash);
                strbuf_printf(&ids, "%s%s", i ? "," : "", r.id);
                strbuf_printf(&kinds, "%srevision", i ? "," : "");
                strbuf_printf(&revs, "%s%u", i ? "," : "", r.revision);
                strbuf_printf(&decs, "%sNULL", i ? "," : "");
            }
            record_free(&r);
            if (rc != 0)
                snprintf(w->error, sizeof(w->error), "out of memory");
        }
        if (rc != 0)
            break;
        if (o->mode != DB_COPY) {
            strbuf_putc(&a, ']');
            bt->json = db_take(&a);
            rc = bt->json == NULL ? -1 : 0;
        } else {
            strbuf_putc(&ids, '}');
            strbuf_putc(&kinds, '}');
            strbuf_putc(&revs, '}');
            strbuf_putc(&decs, '}');
            bt->rec_copy = db_take(&a);
            bt->rev_copy = db_take(&b);
            bt->feed_ids = db_take(&ids);
            bt->feed_kinds = db_take(&kinds);
            bt->feed_revs = db_take(&revs);
            bt->feed_decs = db_take(&decs);
            rc = bt->rec_copy && bt->rev_copy && bt->feed_ids && bt->feed_kinds && bt->feed_revs &&
                         bt->feed_decs
                     ? 0
                     : -1;
        }
        if (rc != 0)
            snprintf(w->error, sizeof(w->error), "out of memory");
    }
    strbuf_free(&a);
    strbuf_free(&b);
    strbuf_free(&ids);
    strbuf_free(&kinds);
    strbuf_free(&revs);
    strbuf_free(&decs);
    return rc;
}

static void db_worker_free(db_worker_t *w)
{
    for (size_t k = 0; w->batches != NULL && k < w->nbatches; k++) {
        db_batch_t *b = &w->batches[k];
        free(b->json);
        free(b->rec_copy);
        free(b->rev_copy);
        free(b->feed_ids);
        free(b->feed_kinds);
        free(b->feed_revs);
        free(b->feed_decs);
    }
    free(w->batches);
    w->batches = NULL;
    bench_lat_free(&w->lat);
    if (w->conn != NULL)
        PQfinish(w->conn);
    w->conn = NULL;
}

/* ---- the measured work ---- */

static int db_fail(db_worker_t *w, const char *what, PGresult *res)
{
    snprintf(w->error, sizeof(w->error), "%s: %s", what,
             res != NULL && PQresultErrorMessage(res)[0] ? PQresultErrorMessage(res)
                                                         : PQerrorMessage(w->conn));
    PQclear(res);
    return -1;
}

static int db_command(db_worker_t *w, const char *sql)
{
    PGresult *res = PQexec(w->conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        return db_fail(w, sql, res);
    PQclear(res);
    return 0;
}

/* What thiduad does once a batch committed: number its changes (sql/014_feed_deferred.sql). */
static int db_number(db_worker_t *w)
{
    PGresult *res = PQexec(w->conn, "SELECT thidua.feed_sequence()");
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return db_fail(w, "thidua.feed_sequence", res);
    PQclear(res);
    return 0;
}

static int db_push_batch(db_worker_t *w, const db_batch_t *b)
{
    char unit_id[32];
    snprintf(unit_id, sizeof(unit_id), "%lld", w->unit_id);
    const char *params[3] = {unit_id, w->fingerprint, b->json};
    PGresult *res = PQexecPrepared(w->conn, "push", 3, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return db_fail(w, "thidua.push", res);
    int n = PQntuples(res);
    if ((uint32_t)n != b->n) {
        snprintf(w->error, sizeof(w->error), "%d acks for %u records", n, b->n);
        PQclear(res);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        const char *result = PQgetvalue(res, i, 1);
        if (strcmp(result, "APPLIED") == 0) {
            w->applied++;
        } else if (strcmp(result, "DUPLICATE") == 0) {
            w->duplicate++;
        } else {
            snprintf(w->error, sizeof(w->error), "record %s: %s field %s: %s",
                     PQgetvalue(res, i, 0), result, PQgetvalue(res, i, 2), PQgetvalue(res, i, 3));
            PQclear(res);
            return -1;
        }
    }
    PQclear(res);
    return db_number(w);
}

static int db_upsert_batch(db_worker_t *w, const db_batch_t *b)
{
    const char *params[1] = {b->json};
    PGresult *res = PQexecPrepared(w->conn, "upsert", 1, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        return db_fail(w, "upsert", res);
    w->applied += strtoull(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return 0;
}

static int db_copy_in(db_worker_t *w, const char *sql, const char *data)
{
    PGresult *res = PQexec(w->conn, sql);
    if (PQresultStatus(res) != PGRES_COPY_IN)
        return db_fail(w, sql, res);
    PQclear(res);
    if (PQputCopyData(w->conn, data, (int)strlen(data)) != 1 || PQputCopyEnd(w->conn, NULL) != 1)
        return db_fail(w, "COPY data", NULL);
    res = PQgetResult(w->conn);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        return db_fail(w, sql, res);
    PQclear(res);
    while ((res = PQgetResult(w->conn)) != NULL)
        PQclear(res);
    return 0;
}

static int db_copy_batch(db_worker_t *w, const db_batch_t *b)
{
    if (db_command(w, "BEGIN") != 0)
        return -1;
    if (db_copy_in(w,
                   "COPY thidua.record (id, campaign_id, org_unit_id, nominee_kind, nominee_name,"
                   " birth_date, gender, position, workplace, title, summary, category_id,"
                   " achieved_on, proposed_award_id, revision, status, content_hash, name_key,"
                   " name_loose_key) FROM STDIN",
                   b->rec_copy) != 0 ||
        db_copy_in(w,
                   "COPY thidua.record_revision (record_id, revision, content_hash, content,"
                   " by_unit_id, by_cert) FROM STDIN",
                   b->rev_copy) != 0) {
        PQclear(PQexec(w->conn, "ROLLBACK"));
        return -1;
    }
    const char *params[4] = {b->feed_ids, b->feed_kinds, b->feed_revs, b->feed_decs};
    PGresult *res = PQexecPrepared(w->conn, "feed", 4, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        db_fail(w, "thidua.feed_append", res);
        PQclear(PQexec(w->conn, "ROLLBACK"));
        return -1;
    }
    PQclear(res);
    if (db_command(w, "COMMIT") != 0 || db_number(w) != 0)
        return -1;
    w->applied += b->n;
    return 0;
}

static void *db_worker_run(void *arg)
{
    db_worker_t *w = arg;
    const db_options_t *o = w->opt;
    int rc = db_prepare(w);
    if (rc == 0) {
        w->conn = PQconnectdb(o->conninfo);
        if (PQstatus(w->conn) != CONNECTION_OK) {
            snprintf(w->error, sizeof(w->error), "cannot connect: %s", PQerrorMessage(w->conn));
            rc = -1;
        }
    }
    if (rc == 0) {
        /* The statements thiduad prepares (server/server.c), or their copy-mode counterpart. */
        PGresult *res =
            o->mode == DB_PUSH
                ? PQprepare(w->conn, "push",
                            "SELECT ord, result, field, message FROM thidua.push($1::bigint,"
                            " $2::bytea, $3::jsonb)",
                            3, NULL)
            : o->mode == DB_COPY
                ? PQprepare(w->conn, "feed",
                            "SELECT thidua.feed_append($1::uuid[], $2::text[], $3::integer[],"
                            " $4::bigint[])",
                            4, NULL)
                : PQprepare(w->conn, "upsert", DB_UPSERT_SQL, 1, NULL);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = db_fail(w, "PREPARE", res);
        else
            PQclear(res);
    }
    /* Everyone waits here, ready or not, so the clock starts for all at once. */
    pthread_barrier_wait(w->barrier);
    pthread_barrier_wait(w->barrier);
    for (size_t k = 0; rc == 0 && k < w->nbatches; k++) {
        const db_batch_t *b = &w->batches[k];
        double t0 = bench_now();
        rc = o->mode == DB_PUSH   ? db_push_batch(w, b)
             : o->mode == DB_COPY ? db_copy_batch(w, b)
                                  : db_upsert_batch(w, b);
        if (rc == 0) {
            w->rows += b->n;
            if (bench_lat_add(&w->lat, (bench_now() - t0) * 1000, b->n) != 0) {
                snprintf(w->error, sizeof(w->error), "out of memory");
                rc = -1;
            }
        }
    }
    w->t_end = bench_now();
    w->failed = rc != 0;
    return NULL;
}

/* ---- command line ---- */

static void db_usage(FILE *out)
{
    fprintf(out, "usage: thidua-direct [options]\n"
                 "\n"
                 "The baseline of the push benchmark: records straight into PostgreSQL.\n"
                 "\n"
                 "  --db CONNINFO     libpq connection string (default: the PG* environment)\n"
                 "  --mode MODE       push: thidua.push() with the JSON thiduad would send;\n"
                 "                    copy: COPY into record and record_revision, then\n"
                 "                    thidua.feed_append(); upsert: the JSON batches as a\n"
                 "                    multi-row upsert into one plain table with one index,\n"
                 "                    the ceiling (default push)\n"
                 "  --connections K   threads, one database connection each (default 8)\n"
                 "  --count N         records in total (default 100000)\n"
                 "  --batch B         records per transaction (default 100)\n"
                 "  --campaign CODE   campaign (default: the newest)\n"
                 "  --seed S          records are a function of S (default: random)\n"
                 "  --json            one JSON object on stdout instead of text\n"
                 "\n"
                 "Units 930..937 in turn, one per thread, as thidua-load does.\n");
}

static int db_parse(int argc, char **argv, db_options_t *o)
{
    enum { O_DB = 256, O_MODE, O_CONN, O_COUNT, O_BATCH, O_CAMPAIGN, O_SEED, O_JSON };
    static const struct option opts[] = {
        {"db", required_argument, NULL, O_DB},
        {"mode", required_argument, NULL, O_MODE},
        {"connections", required_argument, NULL, O_CONN},
        {"count", required_argument, NULL, O_COUNT},
        {"batch", required_argument, NULL, O_BATCH},
        {"campaign", required_argument, NULL, O_CAMPAIGN},
        {"seed", required_argument, NULL, O_SEED},
        {"json", no_argument, NULL, O_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (db_options_t){
        .conninfo = "", .mode = DB_PUSH, .connections = 8, .count = 100000, .batch = 100};
    bool seeded = false;
    uint64_t v;
    unsigned m;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int rc = 0;
        switch (opt) {
        case O_DB:
            o->conninfo = optarg;
            break;
        case O_MODE:
            rc = benchopt_choice(DB_PROG, "--mode", optarg, db_mode_names,
                                 THIDUA_ARRAY_LEN(db_mode_names), &m);
            o->mode = (db_mode_t)m;
            break;
        case O_CONN:
            rc = benchopt_number(DB_PROG, "--connections", optarg, 1, 1000, &v);
            o->connections = (unsigned)v;
            break;
        case O_COUNT:
            rc = benchopt_number(DB_PROG, "--count", optarg, 0, UINT32_MAX, &o->count);
            break;
        case O_BATCH:
            rc = benchopt_number(DB_PROG, "--batch", optarg, 1, 100000, &v);
            o->batch = (unsigned)v;
            break;
        case O_CAMPAIGN:
            o->campaign = optarg;
            break;
        case O_SEED:
            rc = benchopt_number(DB_PROG, "--seed", optarg, 0, UINT64_MAX, &o->seed);
            seeded = true;
            break;
        case O_JSON:
            o->json = true;
            break;
        case 'h':
            db_usage(stdout);
            exit(0);
        default:
            db_usage(stderr);
            return -1;
        }
        if (rc != 0)
            return -1;
    }
    if (benchopt_operands(DB_PROG, argc, argv) != 0 ||
        benchopt_seed(DB_PROG, seeded, &o->seed) != 0)
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    db_options_t opt;
    if (db_parse(argc, argv, &opt) != 0)
        return 2;
    if (text_init() != 0)
        fprintf(stderr, "thidua-direct: warning: ICU collator unavailable\n");

    char err[600];
    db_catalog_t cat;
    PGconn *conn = PQconnectdb(opt.conninfo);
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "thidua-direct: cannot connect: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return 1;
    }
    int rc = db_catalog_load(conn, opt.campaign, &cat, err, sizeof(err));
    if (rc == 0 && opt.mode == DB_UPSERT) {
        PGresult *res = PQexec(conn, DB_UPSERT_TABLE);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            snprintf(err, sizeof(err), "cannot create the upsert table: %s",
                     PQresultErrorMessage(res));
            rc = -1;
        }
        PQclear(res);
    }
    PQfinish(conn);
    if (rc != 0) {
        fprintf(stderr, "thidua-direct: %s\n", err);
        db_catalog_free(&cat);
        return 1;
    }

    db_worker_t *w = calloc(opt.connections, sizeof(*w));
    pthread_t *tid = calloc(opt.connections, sizeof(*tid));
    pthread_barrier_t barrier;
    if (w == NULL || tid == NULL ||
        pthread_barrier_init(&barrier, NULL, opt.connections + 1) != 0) {
        fprintf(stderr, "thidua-direct: out of memory\n");
        free(w);
        free(tid);
        db_catalog_free(&cat);
        return 1;
    }
    static const char *const units[DB_UNITS] = {"930", "931", "932", "933",
                                                "934", "935", "936", "937"};
    unsigned started = 0;
    for (unsigned i = 0; i < opt.connections; i++) {
        w[i].opt = &opt;
        w[i].cat = &cat;
        w[i].barrier = &barrier;
        w[i].index = i;
        w[i].unit = units[i % DB_UNITS];
        w[i].unit_id = cat.unit_ids[i % DB_UNITS];
        /* A fingerprint for the audit columns: any 32 bytes do, one per thread. */
        snprintf(w[i].fingerprint, sizeof(w[i].fingerprint),
                 "\\x%016" PRIx64 "%016" PRIx64 "%016" PRIx64 "%016" PRIx64, (uint64_t)i, opt.seed,
                 (uint64_t)0xd15ec7, (uint64_t)i);
        w[i].nrecords = opt.count / opt.connections + (i < opt.count % opt.connections ? 1 : 0);
        bench_lat_init(&w[i].lat);
    }
    for (; started < opt.connections; started++) {
        if (pthread_create(&tid[started], NULL, db_worker_run, &w[started]) != 0)
            break;
    }
    int status = 0;
    if (started < opt.connections) {
        /* The barrier counts every thread: without all of them nobody could pass it. */
        fprintf(stderr, "thidua-direct: cannot start thread %u\n", started);
        exit(1);
    }
    double t_prep = bench_now();
    pthread_barrier_wait(&barrier); /* every thread prepared and connected */
    double t0 = bench_now();
    pthread_barrier_wait(&barrier); /* go */
    for (unsigned i = 0; i < started; i++)
        pthread_join(tid[i], NULL);

    bench_lat_t all;
    bench_lat_init(&all);
    uint64_t rows = 0, applied = 0, duplicate = 0;
    double t1 = t0;
    unsigned failed = 0;
    for (unsigned i = 0; i < opt.connections; i++) {
        if (w[i].failed) {
            failed++;
            fprintf(stderr, "thidua-direct: thread %u (unit %s): %s\n", i, w[i].unit, w[i].error);
        }
        rows += w[i].rows;
        applied += w[i].applied;
        duplicate += w[i].duplicate;
        if (w[i].t_end > t1)
            t1 = w[i].t_end;
        if (bench_lat_merge(&all, &w[i].lat) != 0)
            fprintf(stderr, "thidua-direct: out of memory while collecting latencies\n");
    }
    double elapsed = t1 - t0, rate = elapsed > 0 ? (double)rows / elapsed : 0;
    const char *mode = db_mode_names[opt.mode];
    if (opt.json) {
        printf("{\"mode\":\"%s\",\"connections\":%u,\"failed\":%u,\"count\":%" PRIu64
               ",\"batch\":%u,\"rows\":%" PRIu64 ",\"applied\":%" PRIu64 ",\"duplicate\":%" PRIu64
               ",\"elapsed_s\":%.3f,\"rate_per_s\":%.1f,\"latency_p50_ms\":%.3f,"
               "\"latency_p99_ms\":%.3f,\"latency_max_ms\":%.3f,\"prepare_s\":%.3f}\n",
               mode, opt.connections, failed, opt.count, opt.batch, rows, applied, duplicate,
               elapsed, rate, bench_lat_quantile(&all, 0.5), bench_lat_quantile(&all, 0.99),
               bench_lat_max(&all), t0 - t_prep);
    } else {
        printf("thidua-direct: mode %s, %u connections (%u failed), batch %u\n", mode,
               opt.connections, failed, opt.batch);
        printf("run:      %" PRIu64 " rows in %.3f s: %.0f rows/s\n", rows, elapsed, rate);
        printf("latency:  p50 %.2f ms, p99 %.2f ms, max %.2f ms (per row: its batch's "
               "transaction)\n",
               bench_lat_quantile(&all, 0.5), bench_lat_quantile(&all, 0.99), bench_lat_max(&all));
        if (opt.mode == DB_PUSH)
            printf("acks:     %" PRIu64 " applied, %" PRIu64 " duplicate\n", applied, duplicate);
    }
    if (failed > 0 || rows != opt.count)
        status = 1;

    bench_lat_free(&all);
    for (unsigned i = 0; i < opt.connections; i++)
        db_worker_free(&w[i]);
    pthread_barrier_destroy(&barrier);
    free(w);
    free(tid);
    db_catalog_free(&cat);
    text_cleanup();
    return status;
}
