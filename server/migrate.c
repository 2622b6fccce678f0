/*
 * migrate.c - apply the embedded sql/ migrations at server start.
 *
 * Several thiduad processes may start at once against one database (one per
 * core, several hosts). A session-level advisory lock makes them take turns:
 * the first applies what is missing, the others then find nothing to do. Each
 * migration runs in its own transaction together with its schema_migrations
 * row, so a crash leaves either all of a migration or none of it.
 */
#include "migrate.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "log.h"

/* pg_advisory_lock key shared by every thiduad: "thidua" in ASCII. */
#define MIGRATE_LOCK_KEY "127991793612129"

#define MIGRATE_TABLE "thidua.schema_migrations"

/* Applied migrations as read from the database; owns nothing (points into a PGresult). */
typedef struct migrate_applied {
    int version;
    const char *name;
    const char *checksum;
} migrate_applied_t;

static void migrate_err(char *errbuf, size_t errlen, const char *fmt, ...) THIDUA_PRINTF(3, 4);

static void migrate_err(char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (errbuf == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
}

/* PostgreSQL's message without its trailing newline, for one-line errors. */
static void migrate_pg_err(char *errbuf, size_t errlen, const char *what, const char *pgmsg)
{
    size_t n = pgmsg != NULL ? strcspn(pgmsg, "\n") : 0;
    migrate_err(errbuf, errlen, "%s: %.*s", what, (int)n, pgmsg != NULL ? pgmsg : "");
}

/* NOTICEs (CREATE ... IF NOT EXISTS) go to the log at debug level, not to stderr raw. */
static void migrate_notice(void *arg, const char *message)
{
    (void)arg;
    char q[512];
    size_t n = strcspn(message, "\n");
    char line[512];
    snprintf(line, sizeof(line), "%.*s", (int)n, message);
    log_debug("migration_notice", "message=%s", log_quote(q, sizeof(q), line));
}

void migrate_checksum(const migrate_migration_t *m, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(m->sql, m->sql_len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
        /* Only on a broken OpenSSL; an all-zero sum never matches a stored one. */
        memset(out, '0', 64);
        out[64] = '\0';
        return;
    }
    hex_encode(md, 32, out);
}

/* Run one statement that returns no rows we need; TD_OK or TD_EDB. */
static int migrate_exec(PGconn *conn, const char *sql, const char *what, char *errbuf,
                        size_t errlen)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        migrate_pg_err(errbuf, errlen, what, PQerrorMessage(conn));
        PQclear(res);
        return TD_EDB;
    }
    PQclear(res);
    return TD_OK;
}

static int migrate_check_list(const migrate_migration_t *list, size_t count, char *errbuf,
                              size_t errlen)
{
    for (size_t i = 0; i < count; i++) {
        if (list[i].version <= 0 || list[i].sql == NULL || list[i].name == NULL ||
            (i > 0 && list[i].version <= list[i - 1].version)) {
            migrate_err(errbuf, errlen, "migration list out of order at entry %zu", i);
            return TD_EINVAL;
        }
    }
    return TD_OK;
}

static const migrate_migration_t *migrate_find(const migrate_migration_t *list, size_t count,
                                               int version)
{
    for (size_t i = 0; i < count; i++) {
        if (list[i].version == version)
            return &list[i];
    }
    return NULL;
}

/*
 * Compare what the database recorded with the list. Sets done[i] for every
 * list entry already applied.
 */
static int migrate_verify(PGresult *rows, const migrate_migration_t *list, size_t count,
                          unsigned char *done, char *errbuf, size_t errlen)
{
    for (int r = 0; r < PQntuples(rows); r++) {
        migrate_applied_t a = {
            .version = atoi(PQgetvalue(rows, r, 0)),
            .name = PQgetvalue(rows, r, 1),
            .checksum = PQgetvalue(rows, r, 2),
        };
        const migrate_migration_t *m = migrate_find(list, count, a.version);
        if (m == NULL) {
            migrate_err(errbuf, errlen,
                        "the database has migration %03d_%s, which this thiduad does not know: "
                        "it was built from older sources",
                        a.version, a.name);
            return TD_ENEWER;
        }
        char sum[65];
        migrate_checksum(m, sum);
        if (strcmp(sum, a.checksum) != 0) {
            migrate_err(errbuf, errlen,
                        "migration %03d_%s was changed after it was applied (checksum %s, "
                        "database has %s): add a new migration instead of editing an old one",
                        m->version, m->name, sum, a.checksum);
            return TD_ECHECKSUM;
        }
        done[m - list] = 1;
    }
    return TD_OK;
}

/* Apply one migration and record it, in one transaction. */
static int migrate_one(PGconn *conn, const migrate_migration_t *m, char *errbuf, size_t errlen)
{
    char what[160];
    snprintf(what, sizeof(what), "migration %03d_%s", m->version, m->name);

    int rc = migrate_exec(conn, "BEGIN", what, errbuf, errlen);
    if (rc != TD_OK)
        return rc;
    rc = migrate_exec(conn, m->sql, what, errbuf, errlen);
    if (rc == TD_OK) {
        char version[16];
        char sum[65];
        snprintf(version, sizeof(version), "%d", m->version);
        migrate_checksum(m, sum);
        const char *params[3] = {version, m->name, sum};
        PGresult *res = PQexecParams(conn,
                                     "INSERT INTO " MIGRATE_TABLE " (version, name, checksum) "
                                     "VALUES ($1::integer, $2, $3)",
                                     3, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            migrate_pg_err(errbuf, errlen, what, PQerrorMessage(conn));
            rc = TD_EDB;
        }
        PQclear(res);
    }
    if (rc == TD_OK)
        rc = migrate_exec(conn, "COMMIT", what, errbuf, errlen);
    if (rc != TD_OK) {
        /* Keep the first error; the rollback only ends the failed transaction. */
        PGresult *res = PQexec(conn, "ROLLBACK");
        PQclear(res);
        return rc;
    }
    log_info("migration_applied", "version=%d name=%s", m->version, m->name);
    return TD_OK;
}

/* Everything after the advisory lock is held; the caller unlocks. */
static int migrate_locked(PGconn *conn, const migrate_migration_t *list, size_t count, int *applied,
                          char *errbuf, size_t errlen)
{
    int rc = migrate_exec(conn,
                          "CREATE SCHEMA IF NOT EXISTS thidua;"
                          "CREATE TABLE IF NOT EXISTS " MIGRATE_TABLE " ("
                          " version    integer PRIMARY KEY CHECK (version > 0),"
                          " name       text NOT NULL,"
                          " applied_at timestamptz NOT NULL DEFAULT now(),"
                          " checksum   text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'))",
                          "creating " MIGRATE_TABLE, errbuf, errlen);
    if (rc != TD_OK)
        return rc;

    PGresult *rows =
        PQexec(conn, "SELECT version, name, checksum FROM " MIGRATE_TABLE " ORDER BY version");
    if (PQresultStatus(rows) != PGRES_TUPLES_OK) {
        migrate_pg_err(errbuf, errlen, "reading " MIGRATE_TABLE, PQerrorMessage(conn));
        PQclear(rows);
        return TD_EDB;
    }
    unsigned char *done = calloc(count > 0 ? count : 1, 1);
    if (done == NULL) {
        PQclear(rows);
        migrate_err(errbuf, errlen, "out of memory");
        return TD_EDB;
    }
    rc = migrate_verify(rows, list, count, done, errbuf, errlen);
    PQclear(rows);

    for (size_t i = 0; rc == TD_OK && i < count; i++) {
        if (done[i])
            continue;
        rc = migrate_one(conn, &list[i], errbuf, errlen);
        if (rc == TD_OK && applied != NULL)
            (*applied)++;
    }
    free(done);
    return rc;
}

int migrate_apply(PGconn *conn, const migrate_migration_t *list, size_t count, int *applied,
                  char *errbuf, size_t errlen)
{
    if (applied != NULL)
        *applied = 0;
    int rc = migrate_check_list(list, count, errbuf, errlen);
    if (rc != TD_OK)
        return rc;

    PQnoticeProcessor old = PQsetNoticeProcessor(conn, migrate_notice, NULL);
    /* A migration may take long and may wait for the lock: no timeouts here. */
    rc = migrate_exec(conn, "SET statement_timeout = 0; SET lock_timeout = 0", "setting timeouts",
                      errbuf, errlen);
    if (rc == TD_OK)
        rc = migrate_exec(conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")",
                          "taking the migration lock", errbuf, errlen);
    if (rc != TD_OK) {
        PQsetNoticeProcessor(conn, old, NULL);
        return rc;
    }

    rc = migrate_locked(conn, list, count, applied, errbuf, errlen);

    /* The lock is the session's: release it, or the next migrate on this connection waits. */
    char ignored[8];
    if (migrate_exec(conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")", "unlocking", ignored,
                     sizeof(ignored)) != TD_OK)
        log_warn("migration_unlock_failed", "message=\"connection lost?\"");
    PQsetNoticeProcessor(conn, old, NULL);
    return rc;
}

int migrate_run(const char *conninfo, int *applied, char *errbuf, size_t errlen)
{
    if (applied != NULL)
        *applied = 0;
    PGconn *conn = PQconnectdb(conninfo != NULL ? conninfo : "");
    if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
        migrate_pg_err(errbuf, errlen, "connecting to PostgreSQL",
                       conn != NULL ? PQerrorMessage(conn) : "out of memory");
        PQfinish(conn);
        return TD_ECONNECT;
    }
    int n = 0;
    int rc = migrate_apply(conn, migrate_embedded, migrate_embedded_count, &n, errbuf, errlen);
    PQfinish(conn);
    if (applied != NULL)
        *applied = n;
    if (rc == TD_OK) {
        log_info("migrations_done", "applied=%d known=%zu", n, migrate_embedded_count);
    }
    return rc;
}
