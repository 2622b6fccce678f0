/*
 * test_fields.c - the tables of docs/protocol.md and docs/schema.md must say
 * what the field table of common/fields.h says, row for row. (test_record.c
 * tests both sides of every limit in the C checks.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fields.h"

static char *read_doc(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", THIDUA_SRCDIR, rel);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = calloc(1, 1 << 20);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* The rows after header in doc must be exactly want (each line prefixed by indent). */
static void check_doc_table(const char *rel, const char *header, const char *want)
{
    char *doc = read_doc(rel);
    const char *at = strstr(doc, header);
    if (at == NULL)
        fail_msg("%s: no table starting \"%s\"", rel, header);
    at = strchr(at, '\n'); /* end of the header */
    assert_non_null(at);
    at = strchr(at + 1, '\n'); /* end of the |---| line */
    assert_non_null(at);
    at++;
    if (strncmp(at, want, strlen(want)) != 0 || strncmp(at + strlen(want), "  |", 3) == 0 ||
        at[strlen(want)] == '|')
        fail_msg("%s: the table after \"%s\" is not common/fields.h; it should read:\n%s", rel,
                 header, want);
    free(doc);
}

static void add_line(char *buf, size_t size, size_t *len, const char *fmt, ...) THIDUA_PRINTF(4, 5);
static void add_line(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, size - *len, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < size - *len);
    *len += (size_t)n;
}

typedef void row_fn(char *buf, size_t size, size_t *len, const field_def_t *f);

/* The rows a doc's table should have: row() of every field of the table, in its order. */
static void expected_rows(char *buf, size_t size, row_fn *row)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < field_record_count; i++)
        row(buf, size, &len, &field_record_defs[i]);
    for (size_t i = 0; i < field_decision_count; i++)
        row(buf, size, &len, &field_decision_defs[i]);
}

static void protocol_row(char *buf, size_t size, size_t *len, const field_def_t *f)
{
    add_line(buf, size, len, "| `%s` | %zu | %s |\n", f->wire, f->max_chars,
             field_req_text(f->required));
}

/* Only the fields stored as text have a CHECK. */
static void schema_row(char *buf, size_t size, size_t *len, const field_def_t *f)
{
    const char *dot = strchr(f->sql, '.');
    if (dot == NULL)
        return;
    add_line(buf, size, len, "  | `%s` | `%.*s_%s_chars` | %zu | %s |\n", f->sql,
             (int)(dot - f->sql), f->sql, dot + 1, f->max_chars,
             f->required == FIELD_REQ_ALL ? "no" : "yes");
}

/* Every field an error can name has a label for people, not its wire name. */
static void test_every_field_has_a_label(void **state)
{
    (void)state;
    for (size_t i = 0; i < field_record_count; i++)
        assert_non_null(field_label(field_record_defs[i].wire));
    for (size_t i = 0; i < field_decision_count; i++)
        assert_non_null(field_label(field_decision_defs[i].wire));
    assert_string_equal(field_label("achieved_on"), "date achieved");
    assert_null(field_label("no_such_field"));
}

static void test_docs_have_the_table(void **state)
{
    (void)state;
    char want[4096];
    expected_rows(want, sizeof(want), protocol_row);
    check_doc_table("docs/protocol.md", "| field | at most (characters) | required |", want);
    expected_rows(want, sizeof(want), schema_row);
    check_doc_table("docs/schema.md",
                    "| column | constraint | at most (characters) | may be empty |", want);
}

static const struct CMUnitTest field_tests[] = {
    cmocka_unit_test(test_docs_have_the_table),
    cmocka_unit_test(test_every_field_has_a_label),
};

int main(void)
{
    return cmocka_run_group_tests(field_tests, NULL, NULL);
}
