/*
 * xlsx_read.c - one worksheet out of an XLSX workbook, with libzip and expat.
 *
 * Each part is parsed by expat with its own small state; element and
 * attribute names are compared without their namespace (expat gives
 * "uri name"), because writers differ in the prefixes they use.
 */
#include "xlsx_read.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>
#include <zip.h>

#include "date.h"
#include "strbuf.h"

/* Most sheets listed, strings shared, styles kept: far beyond any real workbook. */
#define XLSX_MAX_SHEETS 1024u
#define XLSX_MAX_COL 16384u    /* column XFD */
#define XLSX_MAX_ROW 1048576u  /* Excel's last row */

/* One open workbook. */
typedef struct {
    zip_t *zip;
    size_t total; /* bytes unpacked so far */
    char *why;
    size_t whylen;
} xlsx_t;

THIDUA_PRINTF(2, 3)
static int xlsx_fail(xlsx_t *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->why, x->whylen, fmt, ap);
    va_end(ap);
    return TD_ESHEET;
}

int xlsx_is_zip(const char *data, size_t len)
{
    return len >= 4 && memcmp(data, "PK\x03\x04", 4) == 0;
}

/*
 * Unpack part name into *buf (NUL-terminated, owned by the caller). A part
 * that is absent gives TD_ENOTFOUND when it may be (optional), else an error.
 */
static int xlsx_part(xlsx_t *x, const char *name, int optional, char **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    zip_int64_t idx = zip_name_locate(x->zip, name, 0);
    if (idx < 0)
        idx = zip_name_locate(x->zip, name, ZIP_FL_NOCASE);
    if (idx < 0)
        return optional ? TD_ENOTFOUND : xlsx_fail(x, "the part %s is missing", name);
    zip_stat_t st;
    if (zip_stat_index(x->zip, (zip_uint64_t)idx, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
        return xlsx_fail(x, "the part %s cannot be read", name);
    if (st.size > XLSX_MAX_PART || st.size > XLSX_MAX_TOTAL - x->total)
        return xlsx_fail(x, "the part %s unpacks to more than the %u MiB allowed", name,
                         (st.size > XLSX_MAX_PART ? XLSX_MAX_PART : XLSX_MAX_TOTAL) >> 20);
    zip_file_t *f = zip_fopen_index(x->zip, (zip_uint64_t)idx, 0);
    if (f == NULL)
        return xlsx_fail(x, "the part %s cannot be opened: %s", name, zip_strerror(x->zip));
    /* One byte more than declared: a header that lies about the size is caught reading. */
    size_t cap = (size_t)st.size + 1;
    char *b = malloc(cap + 1);
    if (b == NULL) {
        zip_fclose(f);
        return TD_ENOMEM;
    }
    size_t got = 0;
    int rc = TD_OK;
    while (got < cap) {
        zip_int64_t n = zip_fread(f, b + got, cap - got);
        if (n < 0) {
            rc = xlsx_fail(x, "the part %s is damaged: %s", name, zip_file_strerror(f));
            break;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    zip_fclose(f);
    if (rc == TD_OK && got != st.size)
        rc = xlsx_fail(x, "the part %s does not unpack to the size its header gives", name);
    if (rc != TD_OK) {
        free(b);
        return rc;
    }
    b[got] = '\0';
    x->total += got;
    *buf = b;
    *len = got;
    return TD_OK;
}

/* The local part of an expat name ("uri local" or "local"). */
static const char *xlsx_local(const char *name)
{
    const char *sp = strrchr(name, ' ');
    return sp ? sp + 1 : name;
}

static const char *xlsx_attr(const char **attrs, const char *local)
{
    for (size_t i = 0; attrs[i] != NULL; i += 2) {
        if (strcmp(xlsx_local(attrs[i]), local) == 0)
            return attrs[i + 1];
    }
    return NULL;
}

/* A DTD in a part: refused (see xlsx_read.h). */
static void XMLCALL xlsx_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                                 const XML_Char *pubid, int has_internal)
{
    (void)name, (void)sysid, (void)pubid, (void)has_internal;
    XML_StopParser(*(XML_Parser *)ud, XML_FALSE);
}

/* What a part's parser needs: its handlers and their state. */
typedef struct {
    XML_StartElementHandler start;
    XML_EndElementHandler end;
    XML_CharacterDataHandler text;
    void *state;
    int *failed; /* set by a handler that found an error (a sentence is in the xlsx_t) */
} xlsx_handlers_t;

/* The parser is the first member of every state, so the doctype handler can stop it. */
static int xlsx_parse(xlsx_t *x, const char *part, const char *buf, size_t len,
                      const xlsx_handlers_t *h)
{
    XML_Parser p = XML_ParserCreateNS(NULL, ' ');
    if (p == NULL)
        return TD_ENOMEM;
    *(XML_Parser *)h->state = p;
    XML_SetUserData(p, h->state);
    XML_SetElementHandler(p, h->start, h->end);
    if (h->text != NULL)
        XML_SetCharacterDataHandler(p, h->text);
    XML_SetStartDoctypeDeclHandler(p, xlsx_doctype);
    int rc = TD_OK;
    if (XML_Parse(p, buf, (int)len, XML_TRUE) == XML_STATUS_ERROR) {
        if (*h->failed < 0)
            rc = TD_ENOMEM;
        else if (*h->failed > 0)
            rc = TD_ESHEET;
        else if (XML_GetErrorCode(p) == XML_ERROR_NO_MEMORY)
            rc = TD_ENOMEM;
        else if (XML_GetErrorCode(p) == XML_ERROR_ABORTED)
            rc = xlsx_fail(x, "the part %s declares a DTD, which a workbook never has", part);
        else
            rc = xlsx_fail(x, "the part %s is not well-formed XML (line %lu: %s)", part,
                           (unsigned long)XML_GetCurrentLineNumber(p),
                           XML_ErrorString(XML_GetErrorCode(p)));
    } else if (*h->failed) {
        rc = *h->failed < 0 ? TD_ENOMEM : TD_ESHEET;
    }
    XML_ParserFree(p);
    return rc;
}

/* Stop a parse for want of memory (failed < 0; > 0 is an error with its sentence). */
static void xlsx_nomem(XML_Parser p, int *failed)
{
    *failed = -1;
    XML_StopParser(p, XML_FALSE);
}

/* ---- workbook.xml and its relationships ----------------------------------------------------- */

typedef struct {
    XML_Parser p;
    xlsx_t *x;
    int failed;
    int date1904;
    size_t n;
    char *names[XLSX_MAX_SHEETS];
    char *rids[XLSX_MAX_SHEETS];
} xlsx_book_t;

static void XMLCALL xlsx_book_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    xlsx_book_t *b = ud;
    const char *el = xlsx_local(name);
    if (strcmp(el, "workbookPr") == 0) {
        const char *d = xlsx_attr(attrs, "date1904");
        b->date1904 = d != NULL && (strcmp(d, "1") == 0 || strcmp(d, "true") == 0);
    } else if (strcmp(el, "sheet") == 0 && !b->failed) {
        const char *n = xlsx_attr(attrs, "name"), *id = xlsx_attr(attrs, "id");
        if (n == NULL || id == NULL || b->n == XLSX_MAX_SHEETS) {
            b->failed = 1;
            xlsx_fail(b->x, "the workbook lists a sheet without a name or too many sheets");
            XML_StopParser(b->p, XML_FALSE);
            return;
        }
        b->names[b->n] = strdup(n);
        b->rids[b->n] = strdup(id);
        b->n++;
        if (b->names[b->n - 1] == NULL || b->rids[b->n - 1] == NULL)
            xlsx_nomem(b->p, &b->failed);
    }
}

static void XMLCALL xlsx_ignore_end(void *ud, const XML_Char *name)
{
    (void)ud, (void)name;
}

static void xlsx_book_free(xlsx_book_t *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->names[i]);
        free(b->rids[i]);
    }
}

typedef struct {
    XML_Parser p;
    int failed;
    const char *want; /* the relationship id */
    char *target;     /* its target, owned */
} xlsx_rels_t;

static void XMLCALL xlsx_rels_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    xlsx_rels_t *r = ud;
    if (strcmp(xlsx_local(name), "Relationship") != 0 || r->target != NULL)
        return;
    const char *id = xlsx_attr(attrs, "Id"), *t = xlsx_attr(attrs, "Target");
    if (id != NULL && t != NULL && strcmp(id, r->want) == 0) {
        r->target = strdup(t);
        if (r->target == NULL)
            xlsx_nomem(r->p, &r->failed);
    }
}

/* ---- sharedStrings.xml ---------------------------------------------------------------------- */

typedef struct {
    XML_Parser p;
    xlsx_t *x;
    int failed;
    char **s; /* owned */
    size_t n, cap;
    int in_si, in_t, in_rph;
    strbuf_t cur;
} xlsx_strings_t;

static void xlsx_stop(XML_Parser p, int *failed)
{
    *failed = 1;
    XML_StopParser(p, XML_FALSE);
}

static void XMLCALL xlsx_strings_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    (void)attrs;
    xlsx_strings_t *s = ud;
    const char *el = xlsx_local(name);
    if (strcmp(el, "si") == 0) {
        s->in_si = 1;
        strbuf_reset(&s->cur);
    } else if (strcmp(el, "rPh") == 0) {
        s->in_rph = 1; /* phonetic guide of East Asian text: not the cell's value */
    } else if (strcmp(el, "t") == 0 && s->in_si && !s->in_rph) {
        s->in_t = 1;
    }
}

static void XMLCALL xlsx_strings_end(void *ud, const XML_Char *name)
{
    xlsx_strings_t *s = ud;
    const char *el = xlsx_local(name);
    if (strcmp(el, "t") == 0) {
        s->in_t = 0;
    } else if (strcmp(el, "rPh") == 0) {
        s->in_rph = 0;
    } else if (strcmp(el, "si") == 0) {
        s->in_si = 0;
        if (s->n == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 256;
            char **bigger = realloc(s->s, cap * sizeof(*bigger));
            if (bigger == NULL) {
                xlsx_nomem(s->p, &s->failed);
                return;
            }
            s->s = bigger;
            s->cap = cap;
        }
        s->s[s->n] = strdup(strbuf_str(&s->cur));
        if (s->s[s->n] == NULL || strbuf_failed(&s->cur)) {
            free(s->s[s->n]);
            xlsx_nomem(s->p, &s->failed);
            return;
        }
        s->n++;
    }
}

static void XMLCALL xlsx_strings_text(void *ud, const XML_Char *text, int len)
{
    xlsx_strings_t *s = ud;
    if (!s->in_t)
        return;
    if (s->cur.len + (size_t)len > XLSX_MAX_CELL) {
        xlsx_fail(s->x, "shared string %zu is longer than %u bytes", s->n + 1, XLSX_MAX_CELL);
        xlsx_stop(s->p, &s->failed);
        return;
    }
    strbuf_append(&s->cur, text, (size_t)len);
}

static void xlsx_strings_free(xlsx_strings_t *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->s[i]);
    free(s->s);
    strbuf_free(&s->cur);
}

/* ---- styles.xml: which cell styles show a date ---------------------------------------------- */

typedef struct {
    XML_Parser p;
    int failed;
    unsigned custom_dates[256]; /* numFmtIds of custom formats that show a date */
    size_t ncustom;
    unsigned char *xf_date; /* per cellXfs entry: 1 when a date; owned */
    size_t nxf, cap;
    int in_xfs;
} xlsx_styles_t;

/* Whether a number format code shows a date: d or y outside quotes, brackets and escapes. */
static int xlsx_format_is_date(const char *code)
{
    int quoted = 0, bracket = 0;
    for (const char *p = code; *p; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (quoted)
            continue;
        else if (*p == '\\' && p[1])
            p++;
        else if (*p == '[')
            bracket = 1;
        else if (*p == ']')
            bracket = 0;
        else if (!bracket && (*p == 'd' || *p == 'D' || *p == 'y' || *p == 'Y'))
            return 1;
    }
    return 0;
}

/* Excel's built-in number formats that show a date (ECMA-376 part 1, 18.8.30). */
static int xlsx_builtin_date(unsigned id)
{
    return (id >= 14 && id <= 17) || id == 22 || (id >= 27 && id <= 36) || (id >= 50 && id <= 58);
}

static void XMLCALL xlsx_styles_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    xlsx_styles_t *s = ud;
    const char *el = xlsx_local(name);
    if (strcmp(el, "numFmt") == 0) {
        const char *id = xlsx_attr(attrs, "numFmtId"), *code = xlsx_attr(attrs, "formatCode");
        if (id != NULL && code != NULL && xlsx_format_is_date(code) &&
            s->ncustom < THIDUA_ARRAY_LEN(s->custom_dates))
            s->custom_dates[s->ncustom++] = (unsigned)strtoul(id, NULL, 10);
    } else if (strcmp(el, "cellXfs") == 0) {
        s->in_xfs = 1;
    } else if (strcmp(el, "xf") == 0 && s->in_xfs) {
        if (s->nxf == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 64;
            unsigned char *bigger = cap <= 65536 ? realloc(s->xf_date, cap) : NULL;
            if (bigger == NULL) {
                xlsx_nomem(s->p, &s->failed);
                return;
            }
            s->xf_date = bigger;
            s->cap = cap;
        }
        const char *id = xlsx_attr(attrs, "numFmtId");
        unsigned fmt = id ? (unsigned)strtoul(id, NULL, 10) : 0;
        int date = xlsx_builtin_date(fmt);
        for (size_t i = 0; i < s->ncustom && !date; i++)
            date = s->custom_dates[i] == fmt;
        s->xf_date[s->nxf++] = (unsigned char)date;
    }
}

static void XMLCALL xlsx_styles_end(void *ud, const XML_Char *name)
{
    xlsx_styles_t *s = ud;
    if (strcmp(xlsx_local(name), "cellXfs") == 0)
        s->in_xfs = 0;
}

/* ---- the worksheet -------------------------------------------------------------------------- */

/* One cell of the row being read. */
typedef struct {
    size_t col; /* from 0 */
    char *text; /* owned */
} xlsx_cell_t;

typedef struct {
    XML_Parser p;
    xlsx_t *x;
    int failed;
    sheet_t *out;
    const xlsx_strings_t *strings;
    const xlsx_styles_t *styles;
    int date1904;
    uint32_t row;     /* the row being read, from 1 */
    size_t next_col;  /* where a cell without a reference goes */
    char type[16];    /* the cell's t attribute */
    unsigned style;   /* its s attribute */
    int in_c, in_v, in_is, in_t, in_rph;
    strbuf_t value;
    xlsx_cell_t *cells; /* of the row; owned */
    size_t ncells, cap;
} xlsx_ws_t;

/* "B12" to column 1 and row 12 (from 0 and from 1); 0 when it is no cell reference. */
static int xlsx_ref(const char *ref, size_t *col, uint32_t *row)
{
    size_t c = 0, r = 0;
    const char *p = ref;
    for (; *p >= 'A' && *p <= 'Z'; p++) {
        c = c * 26 + (size_t)(*p - 'A' + 1);
        if (c > XLSX_MAX_COL)
            return 0;
    }
    for (; *p >= '0' && *p <= '9'; p++) {
        r = r * 10 + (size_t)(*p - '0');
        if (r > XLSX_MAX_ROW)
            return 0;
    }
    if (*p != '\0' || c == 0 || r == 0)
        return 0;
    *col = c - 1;
    *row = (uint32_t)r;
    return 1;
}

static void xlsx_ws_clear_row(xlsx_ws_t *w)
{
    for (size_t i = 0; i < w->ncells; i++)
        free(w->cells[i].text);
    w->ncells = 0;
}

THIDUA_PRINTF(2, 3)
static void xlsx_ws_fail(xlsx_ws_t *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->x->why, w->x->whylen, fmt, ap);
    va_end(ap);
    xlsx_stop(w->p, &w->failed);
}

/* A serial day number shown as a date, as DD/MM/YYYY; 0 when it is none. */
static int xlsx_date(const xlsx_ws_t *w, const char *v, char out[DATE_STR_SIZE])
{
    char *end;
    double d = strtod(v, &end);
    if (end == v || *end != '\0' || !(d >= 1 && d < 3000000))
        return 0;
    long serial = (long)d;
    int32_t base, days;
    if (w->date1904) {
        if (date_from_ymd(1904, 1, 1, &base) != TD_OK)
            return 0;
        days = base + (int32_t)serial;
    } else {
        /* Excel counts a 29 February 1900 that never was (serial 60). */
        if (serial == 60 || date_from_ymd(1900, 1, 1, &base) != TD_OK)
            return 0;
        days = base + (int32_t)serial - (serial > 60 ? 2 : 1);
    }
    return date_format_vn(days, out) == TD_OK;
}

/* The text of the cell just closed. */
static int xlsx_ws_cell_text(xlsx_ws_t *w, char **text)
{
    const char *v = strbuf_str(&w->value);
    char date[DATE_STR_SIZE];
    *text = NULL;
    if (strcmp(w->type, "s") == 0) {
        char *end;
        unsigned long i = strtoul(v, &end, 10);
        if (end == v || *end != '\0' || i >= w->strings->n) {
            xlsx_ws_fail(w, "row %u: a cell names shared string \"%.20s\", which does not exist",
                         w->row, v);
            return TD_ESHEET;
        }
        v = w->strings->s[i];
    } else if (strcmp(w->type, "b") == 0) {
        v = strcmp(v, "1") == 0 ? "TRUE" : "FALSE";
    } else if ((w->type[0] == '\0' || strcmp(w->type, "n") == 0) && w->styles != NULL &&
               w->style < w->styles->nxf && w->styles->xf_date[w->style] && xlsx_date(w, v, date)) {
        v = date;
    }
    *text = strdup(v);
    return *text ? TD_OK : TD_ENOMEM;
}

static void XMLCALL xlsx_ws_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    xlsx_ws_t *w = ud;
    const char *el = xlsx_local(name);
    if (strcmp(el, "row") == 0) {
        const char *r = xlsx_attr(attrs, "r");
        uint32_t row = w->row + 1;
        if (r != NULL) {
            char *end;
            unsigned long n = strtoul(r, &end, 10);
            if (end == r || *end != '\0' || n == 0 || n > XLSX_MAX_ROW || n <= w->row) {
                xlsx_ws_fail(w, "after row %u comes a row numbered \"%.20s\"", w->row, r);
                return;
            }
            row = (uint32_t)n;
        }
        w->row = row;
        w->next_col = 0;
        xlsx_ws_clear_row(w);
    } else if (strcmp(el, "c") == 0) {
        const char *r = xlsx_attr(attrs, "r"), *t = xlsx_attr(attrs, "t");
        const char *s = xlsx_attr(attrs, "s");
        size_t col = w->next_col;
        uint32_t row;
        if (r != NULL && (!xlsx_ref(r, &col, &row) || row != w->row)) {
            xlsx_ws_fail(w, "row %u holds a cell \"%.20s\" of another row or none", w->row, r);
            return;
        }
        if (col >= XLSX_MAX_COL) {
            xlsx_ws_fail(w, "row %u has more than %u columns", w->row, XLSX_MAX_COL);
            return;
        }
        w->next_col = col + 1;
        snprintf(w->type, sizeof(w->type), "%s", t ? t : "");
        w->style = s ? (unsigned)strtoul(s, NULL, 10) : 0;
        w->in_c = 1;
        strbuf_reset(&w->value);
        if (w->ncells == w->cap) {
            size_t cap = w->cap ? w->cap * 2 : 32;
            xlsx_cell_t *bigger = realloc(w->cells, cap * sizeof(*bigger));
            if (bigger == NULL) {
                xlsx_nomem(w->p, &w->failed);
                return;
            }
            w->cells = bigger;
            w->cap = cap;
        }
        w->cells[w->ncells] = (xlsx_cell_t){col, NULL};
    } else if (w->in_c && strcmp(el, "v") == 0) {
        w->in_v = 1;
    } else if (w->in_c && strcmp(el, "is") == 0) {
        w->in_is = 1;
    } else if (w->in_is && strcmp(el, "rPh") == 0) {
        w->in_rph = 1;
    } else if (w->in_is && !w->in_rph && strcmp(el, "t") == 0) {
        w->in_t = 1;
    }
}

/* The row just closed into the sheet: cells in column order, absent ones empty. */
static void xlsx_ws_emit(xlsx_ws_t *w)
{
    size_t n = 0;
    for (size_t i = 0; i < w->ncells; i++) {
        if (w->cells[i].col + 1 > n)
            n = w->cells[i].col + 1;
    }
    if (n > SHEET_MAX_CELLS - w->out->cells) {
        xlsx_ws_fail(w, "the sheet has more than %u cells", SHEET_MAX_CELLS);
        return;
    }
    const char **text = calloc(n ? n : 1, sizeof(*text));
    size_t *lens = calloc(n ? n : 1, sizeof(*lens));
    int rc = TD_ENOMEM;
    if (text != NULL && lens != NULL) {
        for (size_t i = 0; i < n; i++)
            text[i] = "";
        for (size_t i = 0; i < w->ncells; i++) {
            text[w->cells[i].col] = w->cells[i].text;
            lens[w->cells[i].col] = strlen(w->cells[i].text);
        }
        rc = sheet_add(w->out, w->row, text, lens, n);
    }
    free(text);
    free(lens);
    xlsx_ws_clear_row(w);
    if (rc == TD_ETOOMANY)
        xlsx_ws_fail(w, "the sheet has more than %u cells", SHEET_MAX_CELLS);
    else if (rc != TD_OK)
        xlsx_nomem(w->p, &w->failed);
}

static void XMLCALL xlsx_ws_end(void *ud, const XML_Char *name)
{
    xlsx_ws_t *w = ud;
    const char *el = xlsx_local(name);
    if (strcmp(el, "v") == 0) {
        w->in_v = 0;
    } else if (strcmp(el, "t") == 0) {
        w->in_t = 0;
    } else if (strcmp(el, "rPh") == 0) {
        w->in_rph = 0;
    } else if (strcmp(el, "is") == 0) {
        w->in_is = 0;
    } else if (strcmp(el, "c") == 0 && w->in_c) {
        w->in_c = 0;
        if (strbuf_failed(&w->value)) {
            xlsx_nomem(w->p, &w->failed);
            return;
        }
        char *text = NULL;
        int rc = xlsx_ws_cell_text(w, &text);
        if (rc == TD_ENOMEM)
            xlsx_nomem(w->p, &w->failed);
        if (rc != TD_OK)
            return;
        w->cells[w->ncells].text = text;
        w->ncells++;
    } else if (strcmp(el, "row") == 0) {
        xlsx_ws_emit(w);
    }
}

static void XMLCALL xlsx_ws_text(void *ud, const XML_Char *text, int len)
{
    xlsx_ws_t *w = ud;
    if (!w->in_v && !w->in_t)
        return;
    if (w->value.len + (size_t)len > XLSX_MAX_CELL) {
        xlsx_ws_fail(w, "row %u: a cell holds more than %u bytes", w->row, XLSX_MAX_CELL);
        return;
    }
    strbuf_append(&w->value, text, (size_t)len);
}

/* ---- putting it together -------------------------------------------------------------------- */

/* The worksheet part of the chosen sheet ("xl/worksheets/sheet1.xml"), owned by the caller. */
static int xlsx_sheet_part(xlsx_t *x, const char *sheet_name, int *date1904, char **part)
{
    *part = NULL;
    char *buf;
    size_t len;
    int rc = xlsx_part(x, "xl/workbook.xml", 0, &buf, &len);
    if (rc != TD_OK)
        return rc;
    xlsx_book_t *b = calloc(1, sizeof(*b));
    if (b == NULL) {
        free(buf);
        return TD_ENOMEM;
    }
    b->x = x;
    xlsx_handlers_t h = {xlsx_book_start, xlsx_ignore_end, NULL, b, &b->failed};
    rc = xlsx_parse(x, "xl/workbook.xml", buf, len, &h);
    free(buf);
    size_t pick = b->n;
    if (rc == TD_OK && b->n == 0)
        rc = xlsx_fail(x, "the workbook has no sheet");
    for (size_t i = 0; rc == TD_OK && i < b->n && pick == b->n; i++) {
        if (sheet_name == NULL || strcmp(b->names[i], sheet_name) == 0)
            pick = i;
    }
    if (rc == TD_OK && pick == b->n) {
        strbuf_t names;
        strbuf_init(&names);
        for (size_t i = 0; i < b->n; i++)
            strbuf_printf(&names, "%s\"%s\"", i ? ", " : "", b->names[i]);
        rc = xlsx_fail(x, "the workbook has no sheet \"%s\" (it has %s)", sheet_name,
                       strbuf_str(&names));
        strbuf_free(&names);
    }
    xlsx_rels_t r = {NULL, 0, NULL, NULL};
    if (rc == TD_OK) {
        *date1904 = b->date1904;
        r.want = b->rids[pick];
        rc = xlsx_part(x, "xl/_rels/workbook.xml.rels", 0, &buf, &len);
        if (rc == TD_OK) {
            xlsx_handlers_t hr = {xlsx_rels_start, xlsx_ignore_end, NULL, &r, &r.failed};
            rc = xlsx_parse(x, "xl/_rels/workbook.xml.rels", buf, len, &hr);
            free(buf);
        }
        if (rc == TD_OK && r.target == NULL)
            rc = xlsx_fail(x, "the workbook does not say where sheet \"%s\" is", b->names[pick]);
    }
    if (rc == TD_OK) {
        /* Targets are relative to xl/, or absolute from the archive's root. */
        const char *t = r.target;
        size_t n = strlen(t) + 4;
        *part = malloc(n);
        if (*part == NULL)
            rc = TD_ENOMEM;
        else if (t[0] == '/')
            snprintf(*part, n, "%s", t + 1);
        else
            snprintf(*part, n, "xl/%s", t);
    }
    free(r.target);
    xlsx_book_free(b);
    free(b);
    return rc;
}

int xlsx_read(const char *data, size_t len, const char *sheet_name, sheet_t *out, char *why,
              size_t whylen)
{
    xlsx_t x = {NULL, 0, why, whylen};
    why[0] = '\0';
    out->sparse = 1;
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
    if (src != NULL) {
        x.zip = zip_open_from_source(src, ZIP_RDONLY, &ze);
        if (x.zip == NULL)
            zip_source_free(src);
    }
    if (x.zip == NULL) {
        int rc = xlsx_fail(&x, "not a ZIP archive that can be read: %s", zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return rc;
    }
    zip_error_fini(&ze);

    char *part = NULL, *buf = NULL;
    size_t n = 0;
    int date1904 = 0;
    xlsx_strings_t strings;
    memset(&strings, 0, sizeof(strings));
    strings.x = &x;
    strbuf_init(&strings.cur);
    xlsx_styles_t styles;
    memset(&styles, 0, sizeof(styles));
    int have_styles = 0;

    int rc = xlsx_sheet_part(&x, sheet_name, &date1904, &part);
    if (rc == TD_OK) {
        rc = xlsx_part(&x, "xl/sharedStrings.xml", 1, &buf, &n);
        if (rc == TD_OK) {
            xlsx_handlers_t h = {xlsx_strings_start, xlsx_strings_end, xlsx_strings_text,
                                 &strings, &strings.failed};
            rc = xlsx_parse(&x, "xl/sharedStrings.xml", buf, n, &h);
        } else if (rc == TD_ENOTFOUND) {
            rc = TD_OK; /* a sheet of numbers and inline strings only */
        }
        free(buf);
        buf = NULL;
    }
    if (rc == TD_OK) {
        rc = xlsx_part(&x, "xl/styles.xml", 1, &buf, &n);
        if (rc == TD_OK) {
            xlsx_handlers_t h = {xlsx_styles_start, xlsx_styles_end, NULL, &styles,
                                 &styles.failed};
            rc = xlsx_parse(&x, "xl/styles.xml", buf, n, &h);
            have_styles = rc == TD_OK;
        } else if (rc == TD_ENOTFOUND) {
            rc = TD_OK; /* no styles: no dates, numbers stay numbers */
        }
        free(buf);
        buf = NULL;
    }
    if (rc == TD_OK)
        rc = xlsx_part(&x, part, 0, &buf, &n);
    if (rc == TD_OK) {
        xlsx_ws_t w;
        memset(&w, 0, sizeof(w));
        w.x = &x;
        w.out = out;
        w.strings = &strings;
        w.styles = have_styles ? &styles : NULL;
        w.date1904 = date1904;
        strbuf_init(&w.value);
        xlsx_handlers_t h = {xlsx_ws_start, xlsx_ws_end, xlsx_ws_text, &w, &w.failed};
        rc = xlsx_parse(&x, part, buf, n, &h);
        xlsx_ws_clear_row(&w);
        free(w.cells);
        strbuf_free(&w.value);
    }
    free(buf);
    free(part);
    xlsx_strings_free(&strings);
    free(styles.xf_date);
    zip_discard(x.zip);
    return rc;
}
