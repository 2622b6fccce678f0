/*
 * wire.c - the descriptor-driven walk of protobuf wire bytes (see wire.h).
 *
 * The walk keeps a stack of the sub-message fields it went into, so that a
 * refusal can name its field by path. Indexes of repeated fields
 * ("records[3]") are not counted on the way: the error path, which runs at
 * most once per message, counts the earlier occurrences of the same field by
 * reading the enclosing message again up to the field at fault.
 *
 * The limits mirror what protobuf-c 1.4 accepts, so that a message that
 * passes here does not then fail in protobuf_c_message_unpack() for a reason
 * nobody can report: tags and lengths of at most 5 bytes, varints of at most
 * 10, no groups.
 */
#include "wire.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

#define WIRE_FIELD_NUMBER_MAX ((UINT64_C(1) << 29) - 1)
#define WIRE_LENGTH_MAX ((uint64_t)INT32_MAX)

/* One field as it lies on the wire. */
typedef struct {
    const uint8_t *at;  /* first byte of its tag */
    uint64_t num;       /* field number */
    unsigned wt;        /* wire type */
    const uint8_t *val; /* value bytes (after the length, for wire type 2) */
    size_t len;         /* value length */
    const uint8_t *end; /* first byte after the field */
} wire_field_t;

/* Why wire_next() refused a field, with the byte it refers to. */
typedef enum {
    WIRE_R_OK = 0,
    WIRE_R_TAG_TRUNC,
    WIRE_R_TAG_LONG,
    WIRE_R_FIELD_NUMBER,
    WIRE_R_VARINT_TRUNC,
    WIRE_R_VARINT_LONG,
    WIRE_R_FIXED_TRUNC,
    WIRE_R_LENGTH_TRUNC,
    WIRE_R_LENGTH_LONG,
    WIRE_R_LENGTH_PAST,
    WIRE_R_WIRE_TYPE,
} wire_reason_t;

/* A message field the walk went into, for the error path. */
typedef struct {
    const ProtobufCFieldDescriptor *field;
    const uint8_t *msg; /* first byte of the enclosing message */
    const uint8_t *at;  /* first byte of the field's tag */
} wire_level_t;

typedef struct {
    const uint8_t *base; /* the whole buffer: offsets are counted from here */
    wire_error_t *err;   /* borrowed, may be NULL */
    size_t max_repeated; /* most elements of one repeated field; 0: no limit */
    unsigned depth;      /* entries in use in levels */
    wire_level_t levels[WIRE_MAX_DEPTH];
} wire_walk_t;

/*
 * Read a varint of at most max bytes at p. Returns the bytes used, 0 when
 * the buffer ends first, or -1 when max bytes all carry a continuation bit.
 */
static int wire_varint(const uint8_t *p, const uint8_t *end, int max, uint64_t *out)
{
    uint64_t v = 0;

    for (int i = 0; i < max; i++) {
        if (p + i >= end)
            return 0;
        if (i < 10)
            v |= (uint64_t)(p[i] & 0x7F) << (7 * i);
        if ((p[i] & 0x80) == 0) {
            *out = v;
            return i + 1;
        }
    }
    return -1;
}

/* Parse the field at p; on refusal *bad is the byte the reason refers to. */
static wire_reason_t wire_next(const uint8_t *p, const uint8_t *end, wire_field_t *f,
                               const uint8_t **bad)
{
    uint64_t key, v;
    int n;

    f->at = p;
    f->num = 0;
    f->wt = 0;
    *bad = p;
    n = wire_varint(p, end, 5, &key);
    if (n <= 0)
        return n == 0 ? WIRE_R_TAG_TRUNC : WIRE_R_TAG_LONG;
    f->num = key >> 3;
    f->wt = (unsigned)(key & 7);
    if (f->num == 0 || f->num > WIRE_FIELD_NUMBER_MAX)
        return WIRE_R_FIELD_NUMBER;
    p += n;
    *bad = p;
    f->val = p;
    switch (f->wt) {
    case PROTOBUF_C_WIRE_TYPE_VARINT:
        n = wire_varint(p, end, 10, &v);
        if (n <= 0)
            return n == 0 ? WIRE_R_VARINT_TRUNC : WIRE_R_VARINT_LONG;
        f->len = (size_t)n;
        break;
    case PROTOBUF_C_WIRE_TYPE_64BIT:
    case PROTOBUF_C_WIRE_TYPE_32BIT:
        f->len = f->wt == PROTOBUF_C_WIRE_TYPE_64BIT ? 8 : 4;
        if ((size_t)(end - p) < f->len)
            return WIRE_R_FIXED_TRUNC;
        break;
    case PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED:
        n = wire_varint(p, end, 5, &v);
        if (n <= 0)
            return n == 0 ? WIRE_R_LENGTH_TRUNC : WIRE_R_LENGTH_LONG;
        f->val = p + n;
        if (v > (uint64_t)(end - f->val) || v > WIRE_LENGTH_MAX) {
            f->len = (size_t)(v > SIZE_MAX ? SIZE_MAX : v);
            return WIRE_R_LENGTH_PAST;
        }
        f->len = (size_t)v;
        break;
    default:
        *bad = f->at;
        return WIRE_R_WIRE_TYPE;
    }
    f->end = f->val + f->len;
    return WIRE_R_OK;
}

/* ------------------------------------------------------------------------- */
/* Error reports */

/* Appends to a fixed buffer, silently cutting what does not fit. */
typedef struct {
    char *buf;
    size_t size;
    size_t len;
} wire_text_t;

static void wire_text_add(wire_text_t *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void wire_text_add(wire_text_t *t, const char *fmt, ...)
{
    va_list ap;

    if (t->len + 1 >= t->size)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    t->len += (size_t)n;
    if (t->len >= t->size)
        t->len = t->size - 1;
}

/* How many fields numbered num precede `at` in the message starting at msg
 * (already walked, so well-formed up to there). */
static size_t wire_count_before(const uint8_t *msg, const uint8_t *at, uint64_t num)
{
    size_t count = 0;
    wire_field_t f;
    const uint8_t *bad;

    while (msg < at && wire_next(msg, at, &f, &bad) == WIRE_R_OK) {
        if (f.num == num)
            count++;
        msg = f.end;
    }
    return count;
}

static void wire_path_add(wire_text_t *t, const ProtobufCFieldDescriptor *field, const uint8_t *msg,
                          const uint8_t *at)
{
    wire_text_add(t, "%s%s", t->len > 0 ? "." : "", field->name);
    if (field->label == PROTOBUF_C_LABEL_REPEATED)
        wire_text_add(t, "[%zu]", wire_count_before(msg, at, field->id));
}

/*
 * Fill the error: path of the current levels, then of `field` (NULL when the
 * problem belongs to the enclosing message), then the formatted reason.
 */
static int wire_fail(wire_walk_t *w, int code, const ProtobufCFieldDescriptor *field,
                     const uint8_t *msg, const uint8_t *at, const uint8_t *bad, const char *fmt,
                     ...) __attribute__((format(printf, 7, 8)));

static int wire_fail(wire_walk_t *w, int code, const ProtobufCFieldDescriptor *field,
                     const uint8_t *msg, const uint8_t *at, const uint8_t *bad, const char *fmt,
                     ...)
{
    wire_error_t *e = w->err;
    va_list ap;

    if (e == NULL)
        return code;
    e->code = code;
    e->offset = (size_t)(bad - w->base);
    wire_text_t path = {e->field, sizeof(e->field), 0};
    e->field[0] = '\0';
    for (unsigned i = 0; i < w->depth; i++)
        wire_path_add(&path, w->levels[i].field, w->levels[i].msg, w->levels[i].at);
    if (field != NULL)
        wire_path_add(&path, field, msg, at);

    wire_text_t m = {e->message, sizeof(e->message), 0};
    e->message[0] = '\0';
    if (path.len > 0)
        wire_text_add(&m, "%s: ", e->field);
    va_start(ap, fmt);
    int n = vsnprintf(e->message + m.len, m.size - m.len, fmt, ap);
    va_end(ap);
    (void)n;
    return code;
}

static int wire_fail_reason(wire_walk_t *w, wire_reason_t r, const ProtobufCFieldDescriptor *field,
                            const uint8_t *msg, const wire_field_t *f, const uint8_t *bad)
{
    size_t off = (size_t)(bad - w->base);

    switch (r) {
    case WIRE_R_TAG_TRUNC:
        return wire_fail(w, TD_EMALFORMED, NULL, msg, f->at, bad, "truncated tag at byte %zu",
                         off);
    case WIRE_R_TAG_LONG:
        return wire_fail(w, TD_EMALFORMED, NULL, msg, f->at, bad,
                         "tag longer than 5 bytes at byte %zu", off);
    case WIRE_R_FIELD_NUMBER:
        return wire_fail(w, TD_EMALFORMED, NULL, msg, f->at, bad,
                         "field number %" PRIu64 " at byte %zu is out of range", f->num, off);
    case WIRE_R_VARINT_TRUNC:
        return wire_fail(w, TD_EMALFORMED, field, msg, f->at, bad, "truncated varint at byte %zu",
                         off);
    case WIRE_R_VARINT_LONG:
        return wire_fail(w, TD_EMALFORMED, field, msg, f->at, bad,
                         "varint longer than 10 bytes at byte %zu", off);
    case WIRE_R_FIXED_TRUNC:
        return wire_fail(w, TD_EMALFORMED, field, msg, f->at, bad,
                         "truncated %zu-byte value at byte %zu", f->len, off);
    case WIRE_R_LENGTH_TRUNC:
        return wire_fail(w, TD_EMALFORMED, field, msg, f->at, bad, "truncated length at byte %zu",
                         off);
    case WIRE_R_LENGTH_LONG:
        return wire_fail(w, TD_EMALFORMED, field, msg, f->at, bad,
                         "length longer than 5 bytes at byte %zu", off);
    case WIRE_R_LENGTH_PAST:
        return wire_fail(w, TD_EMALFORMED, field, msg, f->at, bad,
                         "length %zu at byte %zu runs past the end of its message", f->len, off);
    case WIRE_R_WIRE_TYPE:
        return wire_fail(w, TD_EMALFORMED, field, msg, f->at, bad,
                         "field %" PRIu64 " wire type %u at byte %zu is not supported", f->num,
                         f->wt, off);
    case WIRE_R_OK:
        break;
    }
    return 0;
}

/* ------------------------------------------------------------------------- */
/* The walk */

static const char *wire_type_name(ProtobufCType type)
{
    switch (type) {
    case PROTOBUF_C_TYPE_INT32:
        return "int32";
    case PROTOBUF_C_TYPE_SINT32:
        return "sint32";
    case PROTOBUF_C_TYPE_SFIXED32:
        return "sfixed32";
    case PROTOBUF_C_TYPE_INT64:
        return "int64";
    case PROTOBUF_C_TYPE_SINT64:
        return "sint64";
    case PROTOBUF_C_TYPE_SFIXED64:
        return "sfixed64";
    case PROTOBUF_C_TYPE_UINT32:
        return "uint32";
    case PROTOBUF_C_TYPE_FIXED32:
        return "fixed32";
    case PROTOBUF_C_TYPE_UINT64:
        return "uint64";
    case PROTOBUF_C_TYPE_FIXED64:
        return "fixed64";
    case PROTOBUF_C_TYPE_FLOAT:
        return "float";
    case PROTOBUF_C_TYPE_DOUBLE:
        return "double";
    case PROTOBUF_C_TYPE_BOOL:
        return "bool";
    case PROTOBUF_C_TYPE_ENUM:
        return "enum";
    case PROTOBUF_C_TYPE_STRING:
        return "string";
    case PROTOBUF_C_TYPE_BYTES:
        return "bytes";
    case PROTOBUF_C_TYPE_MESSAGE:
        return "message";
    }
    return "unknown";
}

static unsigned wire_type_of(ProtobufCType type)
{
    switch (type) {
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_FLOAT:
        return PROTOBUF_C_WIRE_TYPE_32BIT;
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return PROTOBUF_C_WIRE_TYPE_64BIT;
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_BYTES:
    case PROTOBUF_C_TYPE_MESSAGE:
        return PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
    default:
        return PROTOBUF_C_WIRE_TYPE_VARINT;
    }
}

/* The payload of a packed repeated scalar field: whole elements only. */
static int wire_packed(wire_walk_t *w, const ProtobufCFieldDescriptor *field, const uint8_t *msg,
                       const wire_field_t *f)
{
    unsigned wt = wire_type_of(field->type);
    size_t size = wt == PROTOBUF_C_WIRE_TYPE_32BIT ? 4 : 8;

    if (wt != PROTOBUF_C_WIRE_TYPE_VARINT) {
        if (f->len % size != 0)
            return wire_fail(w, TD_EMALFORMED, field, msg, f->at, f->val,
                             "packed length %zu at byte %zu is not a multiple of %zu", f->len,
                             (size_t)(f->val - w->base), size);
        return 0;
    }
    for (const uint8_t *p = f->val; p < f->end;) {
        uint64_t v;
        int n = wire_varint(p, f->end, 10, &v);
        if (n <= 0)
            return wire_fail(w, TD_EMALFORMED, field, msg, f->at, p, "%s varint at byte %zu",
                             n == 0 ? "truncated" : "overlong", (size_t)(p - w->base));
        /* protobuf-c takes packed booleans as single bytes 0 or 1 only. */
        if (field->type == PROTOBUF_C_TYPE_BOOL && (n != 1 || v > 1))
            return wire_fail(w, TD_EMALFORMED, field, msg, f->at, p,
                             "packed bool at byte %zu is not 0 or 1", (size_t)(p - w->base));
        p += n;
    }
    return 0;
}

static int wire_string(wire_walk_t *w, const ProtobufCFieldDescriptor *field, const uint8_t *msg,
                       const wire_field_t *f)
{
    size_t bad = f->len;
    const uint8_t *nul = memchr(f->val, 0, f->len);

    if (utf8_check(f->val, f->len, &bad) == 0)
        bad = f->len;
    if (nul != NULL && (size_t)(nul - f->val) < bad)
        return wire_fail(w, TD_ETEXT, field, msg, f->at, nul, "NUL byte at byte %zu",
                         (size_t)(nul - f->val));
    if (bad < f->len)
        return wire_fail(w, TD_ETEXT, field, msg, f->at, f->val + bad,
                         "invalid UTF-8 at byte %zu", bad);
    return 0;
}

static int wire_message(wire_walk_t *w, const ProtobufCMessageDescriptor *desc, const uint8_t *p,
                        const uint8_t *end);

/* A known field: its wire type, then its contents. */
static int wire_known(wire_walk_t *w, const ProtobufCFieldDescriptor *field, const uint8_t *msg,
                      const wire_field_t *f)
{
    unsigned want = wire_type_of(field->type);

    if (f->wt != want) {
        if (field->label == PROTOBUF_C_LABEL_REPEATED &&
            f->wt == PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED)
            return wire_packed(w, field, msg, f);
        return wire_fail(w, TD_EMALFORMED, field, msg, f->at, f->at,
                         "field %" PRIu64 " wire type %u does not match %s type", f->num, f->wt,
                         wire_type_name(field->type));
    }
    if (field->type == PROTOBUF_C_TYPE_STRING)
        return wire_string(w, field, msg, f);
    if (field->type != PROTOBUF_C_TYPE_MESSAGE)
        return 0;
    if (w->depth == WIRE_MAX_DEPTH)
        return wire_fail(w, TD_EDEPTH, field, msg, f->at, f->at,
                         "messages nested deeper than %d levels", WIRE_MAX_DEPTH);
    w->levels[w->depth] = (wire_level_t){field, msg, f->at};
    w->depth++;
    int rc = wire_message(w, field->descriptor, f->val, f->end);
    w->depth--;
    return rc;
}

/* Repeated fields counted per message; thidua's messages have at most 4. */
#define WIRE_COUNTED_MAX 8

typedef struct {
    const ProtobufCFieldDescriptor *field;
    size_t n;
} wire_count_t;

/* One more element of a repeated field: refused past w->max_repeated. */
static int wire_count(wire_walk_t *w, wire_count_t *counts, size_t *ncounts,
                      const ProtobufCFieldDescriptor *field, const uint8_t *msg,
                      const wire_field_t *f)
{
    size_t i = 0;
    while (i < *ncounts && counts[i].field != field)
        i++;
    if (i == *ncounts) {
        if (*ncounts == WIRE_COUNTED_MAX)
            return 0; /* a future message with more: bounded by the memory budget still */
        counts[(*ncounts)++] = (wire_count_t){field, 0};
    }
    if (++counts[i].n > w->max_repeated)
        return wire_fail(w, TD_ETOOMANY, field, msg, f->at, f->at,
                         "more than %zu elements (the limit of a request)", w->max_repeated);
    return 0;
}

static int wire_message(wire_walk_t *w, const ProtobufCMessageDescriptor *desc, const uint8_t *p,
                        const uint8_t *end)
{
    const uint8_t *msg = p;
    wire_count_t counts[WIRE_COUNTED_MAX];
    size_t ncounts = 0;

    while (p < end) {
        wire_field_t f;
        const uint8_t *bad;
        wire_reason_t r = wire_next(p, end, &f, &bad);
        const ProtobufCFieldDescriptor *field = NULL;

        if (f.num != 0 && f.num <= WIRE_FIELD_NUMBER_MAX)
            field = protobuf_c_message_descriptor_get_field(desc, (unsigned)f.num);
        if (r != WIRE_R_OK)
            return wire_fail_reason(w, r, field, msg, &f, bad);
        if (field != NULL && w->max_repeated > 0 && field->label == PROTOBUF_C_LABEL_REPEATED &&
            f.wt == wire_type_of(field->type)) {
            int rc = wire_count(w, counts, &ncounts, field, msg, &f);
            if (rc < 0)
                return rc;
        }
        if (field != NULL) {
            int rc = wire_known(w, field, msg, &f);
            if (rc < 0)
                return rc;
        }
        p = f.end;
    }
    return 0;
}

uint64_t wire_peek_varint(const uint8_t *buf, size_t len, uint32_t num)
{
    const uint8_t *p = buf, *end = buf + len;
    while (p < end) {
        wire_field_t f;
        const uint8_t *bad;
        if (wire_next(p, end, &f, &bad) != WIRE_R_OK)
            return 0;
        if (f.num == num && f.wt == PROTOBUF_C_WIRE_TYPE_VARINT) {
            uint64_t v = 0;
            return wire_varint(f.val, f.end, 10, &v) > 0 ? v : 0;
        }
        p = f.end;
    }
    return 0;
}

int wire_check(const ProtobufCMessageDescriptor *desc, const uint8_t *buf, size_t len,
               wire_error_t *err)
{
    return wire_check_max(desc, buf, len, 0, err);
}

int wire_check_max(const ProtobufCMessageDescriptor *desc, const uint8_t *buf, size_t len,
                   size_t max_repeated, wire_error_t *err)
{
    wire_walk_t w;

    w.base = buf;
    w.err = err;
    w.max_repeated = max_repeated;
    w.depth = 0;
    if (err != NULL) {
        err->code = 0;
        err->offset = 0;
        err->field[0] = '\0';
        err->message[0] = '\0';
    }
    if (len == 0)
        return 0;
    return wire_message(&w, desc, buf, buf + len);
}
