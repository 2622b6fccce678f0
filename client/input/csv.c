/*
 * csv.c - reading CSV rows out of a file held in memory.
 *
 * The reader is lenient where spreadsheet programs differ (a quote inside an
 * unquoted field is kept as a character; CRLF, LF and a lone CR all end a
 * row) and strict where a silent guess would misplace data: text after a
 * closing quote is reported, and so is a quoted field that never closes,
 * because everything after its quote would otherwise become one field.
 */
#include "csv.h"

#include <stdlib.h>
#include <string.h>

static const char csv_bom[] = "\xEF\xBB\xBF";

void csv_init(csv_t *c, const char *data, size_t len, char delim)
{
    memset(c, 0, sizeof(*c));
    c->data = data;
    c->len = len;
    c->delim = delim ? delim : ',';
    c->line = 1;
    c->next_row = 1;
    strbuf_init(&c->buf);
    if (len >= 3 && memcmp(data, csv_bom, 3) == 0)
        c->pos = 3;
}

void csv_free(csv_t *c)
{
    free(c->fields);
    free(c->lens);
    free(c->offs);
    strbuf_free(&c->buf);
    memset(c, 0, sizeof(*c));
}

static int csv_is_break(char ch)
{
    return ch == '\n' || ch == '\r';
}

/* Consume the line break at pos (CRLF counts once). */
static void csv_eat_break(csv_t *c)
{
    if (c->data[c->pos] == '\r' && c->pos + 1 < c->len && c->data[c->pos + 1] == '\n')
        c->pos++;
    c->pos++;
    c->line++;
}

/* Make room for one more field offset. */
static int csv_grow(csv_t *c)
{
    if (c->n < c->cap)
        return TD_OK;
    size_t cap = c->cap ? c->cap * 2 : 16;
    size_t *offs = realloc(c->offs, cap * sizeof(*offs));
    if (offs == NULL)
        return TD_ENOMEM;
    c->offs = offs;
    size_t *lens = realloc(c->lens, cap * sizeof(*lens));
    if (lens == NULL)
        return TD_ENOMEM;
    c->lens = lens;
    char **fields = realloc(c->fields, cap * sizeof(*fields));
    if (fields == NULL)
        return TD_ENOMEM;
    c->fields = fields;
    c->cap = cap;
    return TD_OK;
}

/*
 * A quoted field, pos just after its opening quote. Returns 0, TD_EQUOTE or
 * TD_EJUNK (after skipping to the field's end).
 */
static int csv_quoted(csv_t *c)
{
    for (;;) {
        size_t start = c->pos;
        while (c->pos < c->len && c->data[c->pos] != '"' && !csv_is_break(c->data[c->pos]))
            c->pos++;
        strbuf_append(&c->buf, c->data + start, c->pos - start);
        if (c->pos >= c->len)
            return TD_EQUOTE;
        char ch = c->data[c->pos];
        if (ch == '\n' || ch == '\r') {
            /* Kept as written; the record's text rules turn CRLF into LF later. */
            size_t at = c->pos;
            csv_eat_break(c);
            strbuf_append(&c->buf, c->data + at, c->pos - at);
            continue;
        }
        if (c->pos + 1 < c->len && c->data[c->pos + 1] == '"') {
            strbuf_putc(&c->buf, '"');
            c->pos += 2;
            continue;
        }
        c->pos++; /* the closing quote */
        break;
    }
    if (c->pos >= c->len || c->data[c->pos] == c->delim || csv_is_break(c->data[c->pos]))
        return 0;
    while (c->pos < c->len && c->data[c->pos] != c->delim && !csv_is_break(c->data[c->pos]))
        c->pos++;
    return TD_EJUNK;
}

int csv_next(csv_t *c)
{
    c->n = 0;
    c->bad_field = 0;
    strbuf_reset(&c->buf);
    while (c->pos < c->len && csv_is_break(c->data[c->pos])) {
        csv_eat_break(c);
        c->next_row++; /* an empty line is an empty row of the sheet */
    }
    if (c->pos >= c->len)
        return 0;
    c->row_line = c->line;
    c->row = c->next_row++;

    int result = 1;
    for (;;) {
        if (csv_grow(c) != TD_OK)
            return TD_ENOMEM;
        c->offs[c->n] = c->buf.len;
        if (c->data[c->pos] == '"') {
            uint32_t quote_line = c->line;
            c->pos++;
            int rc = csv_quoted(c);
            if (rc == TD_EQUOTE) {
                c->row_line = quote_line;
                c->pos = c->len;
                return TD_EQUOTE;
            }
            if (rc == TD_EJUNK && result == 1) {
                result = TD_EJUNK;
                c->bad_field = c->n + 1;
            }
        } else {
            size_t start = c->pos;
            while (c->pos < c->len && c->data[c->pos] != c->delim && !csv_is_break(c->data[c->pos]))
                c->pos++;
            strbuf_append(&c->buf, c->data + start, c->pos - start);
        }
        c->lens[c->n] = c->buf.len - c->offs[c->n];
        strbuf_putc(&c->buf, '\0');
        c->n++;
        if (c->pos >= c->len)
            break;
        if (c->data[c->pos] == c->delim) {
            c->pos++;
            if (c->pos < c->len)
                continue;
            /* "a,b," at the very end: one more, empty, field. */
            if (csv_grow(c) != TD_OK)
                return TD_ENOMEM;
            c->offs[c->n] = c->buf.len;
            c->lens[c->n] = 0;
            strbuf_putc(&c->buf, '\0');
            c->n++;
            break;
        }
        csv_eat_break(c);
        break;
    }
    if (strbuf_failed(&c->buf))
        return TD_ENOMEM;
    /* The buffer no longer moves: point at the fields. */
    for (size_t i = 0; i < c->n; i++)
        c->fields[i] = c->buf.data + c->offs[i];
    if (result == 1 && c->expect != 0 && c->n != c->expect)
        result = TD_ERAGGED;
    return result;
}

char csv_sniff(const char *data, size_t len)
{
    static const char candidates[] = {',', ';', '\t'};
    size_t count[3] = {0, 0, 0};
    size_t pos = len >= 3 && memcmp(data, csv_bom, 3) == 0 ? 3 : 0;
    int quoted = 0;
    for (; pos < len; pos++) {
        char ch = data[pos];
        if (ch == '"')
            quoted = !quoted;
        else if (!quoted && csv_is_break(ch))
            break;
        else if (!quoted)
            for (size_t i = 0; i < sizeof(candidates); i++)
                count[i] += ch == candidates[i];
    }
    size_t best = 0;
    for (size_t i = 1; i < sizeof(candidates); i++) {
        if (count[i] > count[best])
            best = i;
    }
    return count[best] > 0 ? candidates[best] : ',';
}
