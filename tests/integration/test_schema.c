/*
 * test_schema.c - the migrated database against what the sources say about
 * it: the length CHECKs against the field table (common/fields.h), the
 * functions against the list of sql/README.md, and the functions that
 * 009_drop_unused.sql drops really gone.
 *
 * One fresh database, migrated once with the runner thiduad uses; the tests
 * only read the catalog, so they take a fraction of a second.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "harness.h"
#include "migrate.h"

static char g_conninfo[HARNESS_CONNINFO_MAX];

static int group_setup(void **state)
{
    (void)state;
    char err[512];
    int applied = 0;
    harness_db_create(g_conninfo, sizeof(g_conninfo));
    if (migrate_run(g_conninfo, &applied, err, sizeof(err)) != 0)
        fail_msg("migrate: %s", err);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    harness_db_drop(g_conninfo);
    harness_cleanup();
    return 0;
}

/* The CHECK that 008 gives a field with a column: BETWEEN 1 AND max when required. */
static void expected_check(const field_def_t *f, const char *column, char *out, size_t size)
{
    if (f->required == FIELD_REQ_ALL)
        snprintf(out, size, "CHECK (((char_length(%s) >= 1) AND (char_length(%s) <= %zu)))", column,
                 column, f->max_chars);
    else
        snprintf(out, size, "CHECK ((char_length(%s) <= %zu))", column, f->max_chars);
}

static void check_fields(const field_def_t *defs, size_t n, int *checked)
{
    for (size_t i = 0; i < n; i++) {
        const field_def_t *f = &defs[i];
        if (f->sql[0] == '\0')
            continue;
        char table[64], column[80], want[256], got[256];
        const char *dot = strchr(f->sql, '.');
        assert_non_null(dot);
        snprintf(table, sizeof(table), "%.*s", (int)(dot - f->sql), f->sql);
        /* As pg_get_constraintdef spells it: "position" is a keyword, so quoted. */
        harness_db_text(g_conninfo, column, sizeof(column), "SELECT quote_ident('%s')", dot + 1);
        expected_check(f, column, want, sizeof(want));
        harness_db_text(g_conninfo, got, sizeof(got),
                        "SELECT coalesce((SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                        "WHERE conrelid = 'thidua.%s'::regclass AND conname = '%s_%s_chars'), "
                        "'missing')",
                        table, table, dot + 1);
        if (strcmp(got, want) != 0)
            fail_msg("%s: the database has %s, common/fields.h wants %s", f->sql, got, want);
        /* No other CHECK on the column bounds its length (the anonymous ones of 001 are gone). */
        long long others = harness_db_int(
            g_conninfo,
            "SELECT count(*) FROM pg_constraint WHERE conrelid = 'thidua.%s'::regclass "
            "AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%%char_length(%s)%%'",
            table, column);
        assert_int_equal(others, 1);
        (*checked)++;
    }
}

static void test_length_checks_follow_field_table(void **state)
{
    (void)state;
    int checked = 0;
    check_fields(field_record_defs, field_record_count, &checked);
    check_fields(field_decision_defs, field_decision_count, &checked);
    assert_int_equal(checked, 8); /* five record columns, number, signer, reason */
}

/* The functions of the schema thidua (not the extension's), one name a line. */
static char *db_functions(void)
{
    PGconn *c = PQconnectdb(g_conninfo);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, "SELECT DISTINCT p.proname FROM pg_proc p "
                            "WHERE p.pronamespace = 'thidua'::regnamespace AND NOT EXISTS "
                            "(SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass "
                            "AND d.objid = p.oid AND d.deptype = 'e') ORDER BY 1");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    size_t cap = 1, len = 0;
    for (int i = 0; i < PQntuples(r); i++)
        cap += strlen(PQgetvalue(r, i, 0)) + 1;
    char *out = calloc(1, cap);
    assert_non_null(out);
    for (int i = 0; i < PQntuples(r); i++)
        len += (size_t)snprintf(out + len, cap - len, "%s\n", PQgetvalue(r, i, 0));
    PQclear(r);
    PQfinish(c);
    return out;
}

static char *src_file(const char *rel)
{
    char path[HARNESS_PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", getenv("THIDUA_TEST_SRCDIR"), rel);
    return harness_read_file(path);
}

/* True when sql/FILE creates (or replaces) thidua.NAME. */
static int file_defines(const char *file, const char *name)
{
    char rel[128], a[128], b[160];
    snprintf(rel, sizeof(rel), "sql/%s", file);
    snprintf(a, sizeof(a), "CREATE FUNCTION thidua.%s(", name);
    snprintf(b, sizeof(b), "CREATE OR REPLACE FUNCTION thidua.%s(", name);
    char *text = src_file(rel);
    int found = strstr(text, a) != NULL || strstr(text, b) != NULL;
    free(text);
    return found;
}

static int is_migration(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return n > 4 && strcmp(e->d_name + n - 4, ".sql") == 0;
}

/* The files of sql/, in version order (their names sort so), as the runner applies them. */
static size_t migration_files(char ***out)
{
    char dir[HARNESS_PATH_MAX];
    struct dirent **list = NULL;
    snprintf(dir, sizeof(dir), "%s/sql", getenv("THIDUA_TEST_SRCDIR"));
    int n = scandir(dir, &list, is_migration, alphasort);
    assert_true(n > 0);
    *out = calloc((size_t)n, sizeof(char *));
    assert_non_null(*out);
    for (int i = 0; i < n; i++) {
        (*out)[i] = strdup(list[i]->d_name);
        free(list[i]);
    }
    free(list);
    return (size_t)n;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_functions_are_those_of_sql_readme(void **state)
{
    (void)state;
    char **migrations = NULL;
    size_t n_migrations = migration_files(&migrations);
    char *readme = src_file("sql/README.md");
    char listed[4096] = "";
    size_t len = 0;
    /* Rows: | `thidua.NAME` | `NNN_file.sql` ... | callers |. */
    for (const char *p = strstr(readme, "\n| `thidua."); p != NULL;
         p = strstr(p + 1, "\n| `thidua.")) {
        char name[64], file[64];
        assert_int_equal(sscanf(p, "\n| `thidua.%63[a-z_0-9]` | `%63[a-z_0-9.]`", name, file), 2);
        /* Its body is in that file, and no later migration replaces it. */
        size_t k = 0;
        while (k < n_migrations && strcmp(migrations[k], file) != 0)
            k++;
        if (k == n_migrations)
            fail_msg("sql/README.md: %s names %s, which is not a migration", name, file);
        if (!file_defines(file, name))
            fail_msg("sql/README.md: %s does not define thidua.%s", file, name);
        for (size_t later = k + 1; later < n_migrations; later++) {
            if (file_defines(migrations[later], name))
                fail_msg("sql/README.md: thidua.%s is replaced by %s, not in %s", name,
                         migrations[later], file);
        }
        len += (size_t)snprintf(listed + len, sizeof(listed) - len, "%s\n", name);
        assert_true(len < sizeof(listed));
    }
    free(readme);
    for (size_t i = 0; i < n_migrations; i++)
        free(migrations[i]);
    free(migrations);

    /* The same set as the database's, compared sorted. */
    char *lines[128];
    size_t n = 0;
    for (char *s = strtok(listed, "\n"); s != NULL; s = strtok(NULL, "\n")) {
        assert_true(n < 128);
        lines[n++] = s;
    }
    qsort(lines, n, sizeof(lines[0]), cmp_str);
    char sorted[4096] = "";
    len = 0;
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(sorted + len, sizeof(sorted) - len, "%s\n", lines[i]);
    char *db = db_functions();
    if (strcmp(db, sorted) != 0)
        fail_msg("the functions of the database:\n%s\nsql/README.md lists:\n%s", db, sorted);
    free(db);
}

static void test_dropped_functions_are_gone(void **state)
{
    (void)state;
    static const char *const dropped[] = {"push_one", "push_check"};
    for (size_t i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++) {
        long long n = harness_db_int(g_conninfo,
                                     "SELECT count(*) FROM pg_proc WHERE proname = '%s' "
                                     "AND pronamespace = 'thidua'::regnamespace",
                                     dropped[i]);
        if (n != 0)
            fail_msg("thidua.%s is still defined", dropped[i]);
    }
    /* What replaced them is there. */
    assert_int_equal(harness_db_int(g_conninfo, "SELECT count(*) FROM pg_proc WHERE proname IN "
                                                "('push', 'push_read', 'push_judge') AND "
                                                "pronamespace = 'thidua'::regnamespace"),
                     3);
}

static const struct CMUnitTest schema_tests[] = {
    cmocka_unit_test(test_length_checks_follow_field_table),
    cmocka_unit_test(test_functions_are_those_of_sql_readme),
    cmocka_unit_test(test_dropped_functions_are_gone),
};

int main(void)
{
    return cmocka_run_group_tests(schema_tests, group_setup, group_teardown);
}
