/*
 * envelope.c - bounded unpack and pack of Envelopes (see envelope.h).
 *
 * The arena is a list of malloc'd blocks handed out front to back. It counts
 * every byte protobuf-c asks for, freed or not, against the budget of the
 * frame being unpacked: protobuf-c's temporary scan records and the arrays it
 * reallocates when it merges a repeated sub-message are part of what a
 * hostile frame can make it spend, time included. After a message, the arena
 * keeps one block of at most ENVELOPE_ARENA_KEEP bytes, sized to what
 * messages needed so far, so that a connection settles into zero mallocs per
 * message.
 */
#include "envelope.h"

#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* protobuf-c stores pointers, size_t, 64-bit integers and doubles. */
typedef union {
    void *p;
    size_t z;
    uint64_t u;
    double d;
} envelope_align_t;

#define ENVELOPE_ALIGN (alignof(envelope_align_t))
#define ENVELOPE_ROUND(n) (((n) + ENVELOPE_ALIGN - 1) & ~(ENVELOPE_ALIGN - 1))
/* First block: small requests (Hello, Ping, Pull) fit in it. */
#define ENVELOPE_BLOCK_MIN ((size_t)2048)

/* A block of arena memory; its data follows the header. */
struct envelope_block {
    envelope_block_t *next;
    size_t size; /* bytes of data */
    size_t used; /* bytes of data handed out */
};

#define ENVELOPE_BLOCK_HDR ENVELOPE_ROUND(sizeof(envelope_block_t))

static uint8_t *envelope_block_data(envelope_block_t *b)
{
    return (uint8_t *)b + ENVELOPE_BLOCK_HDR;
}

static envelope_block_t *envelope_block_new(size_t size)
{
    envelope_block_t *b = malloc(ENVELOPE_BLOCK_HDR + size);

    if (b == NULL)
        return NULL;
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

void envelope_arena_init(envelope_arena_t *a)
{
    a->blocks = NULL;
    a->held = 0;
    a->used = 0;
    a->budget = 0;
    a->failure = 0;
    a->max_repeated = 0;
}

void envelope_arena_free(envelope_arena_t *a)
{
    envelope_block_t *b = a->blocks;
    size_t max_repeated = a->max_repeated; /* the owner's setting outlives the memory */

    while (b != NULL) {
        envelope_block_t *next = b->next;
        free(b);
        b = next;
    }
    envelope_arena_init(a);
    a->max_repeated = max_repeated;
}

void envelope_arena_reset(envelope_arena_t *a)
{
    envelope_block_t *b = a->blocks;

    a->used = 0;
    a->budget = 0;
    a->failure = 0;
    if (b == NULL)
        return;
    if (b->next == NULL && b->size <= ENVELOPE_ARENA_KEEP) {
        b->used = 0;
        return;
    }
    /* Several blocks (or one too large): replace them by one block as large
     * as all of them, within the keep limit, so the next message of this
     * size fits in a single block. */
    size_t want = a->held < ENVELOPE_ARENA_KEEP ? a->held : ENVELOPE_ARENA_KEEP;
    envelope_arena_free(a);
    a->blocks = envelope_block_new(want);
    if (a->blocks != NULL)
        a->held = want;
}

size_t envelope_arena_held(const envelope_arena_t *a)
{
    return a->held;
}

static void *envelope_arena_alloc(void *data, size_t size)
{
    envelope_arena_t *a = data;
    envelope_block_t *b = a->blocks;

    if (a->failure)
        return NULL;
    if (size == 0)
        size = 1;
    if (size > a->budget - a->used) {
        a->failure = TD_EBUDGET;
        return NULL;
    }
    size = ENVELOPE_ROUND(size);
    if (size > a->budget - a->used) {
        a->failure = TD_EBUDGET;
        return NULL;
    }
    if (b == NULL || b->size - b->used < size) {
        /* Double the newest block, but never past what the budget lets
         * this message use: a refused frame costs at most its budget. */
        size_t n = b != NULL && b->size < SIZE_MAX / 2 ? b->size * 2 : ENVELOPE_BLOCK_MIN;
        if (n > a->budget - a->used)
            n = a->budget - a->used;
        if (n < size)
            n = size;
        envelope_block_t *nb = envelope_block_new(n);
        if (nb == NULL) {
            a->failure = TD_ENOMEM;
            return NULL;
        }
        nb->next = b;
        a->blocks = b = nb;
        a->held += n;
    }
    void *p = envelope_block_data(b) + b->used;
    b->used += size;
    a->used += size;
    return p;
}

/* Memory goes back to the arena as a whole, at reset. */
static void envelope_arena_dealloc(void *data, void *p)
{
    (void)data;
    (void)p;
}

/* ------------------------------------------------------------------------- */

static int envelope_fail(envelope_error_t *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int envelope_fail(envelope_error_t *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return code;
    err->code = code;
    err->offset = 0;
    err->field[0] = '\0';
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return code;
}

static size_t envelope_budget(size_t len)
{
    if (len > (SIZE_MAX - ENVELOPE_BUDGET_BASE) / ENVELOPE_BUDGET_FACTOR)
        return SIZE_MAX;
    return len * ENVELOPE_BUDGET_FACTOR + ENVELOPE_BUDGET_BASE;
}

/* The walker's error is the envelope's: the same code, field and sentence. */
static int envelope_from_wire(const wire_error_t *w, envelope_error_t *err)
{
    err->code = w->code;
    err->offset = w->offset;
    memcpy(err->field, w->field, sizeof(err->field));
    memcpy(err->message, w->message, sizeof(err->message));
    return w->code;
}

/* No body we know: a newer peer's body type shows up as an unknown
 * length-delimited field, which deserves a different answer than garbage. */
static int envelope_no_body(const Thidua__V1__Envelope *env, envelope_error_t *err)
{
    for (unsigned i = 0; i < env->base.n_unknown_fields; i++) {
        const ProtobufCMessageUnknownField *u = &env->base.unknown_fields[i];
        if (u->wire_type == PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED)
            return envelope_fail(err, TD_EUNKNOWN,
                                 "envelope body (field %u) is of a type this version does not know",
                                 (unsigned)u->tag);
    }
    return envelope_fail(err, TD_ENOBODY, "envelope has no body");
}

int envelope_unpack(envelope_arena_t *arena, const uint8_t *buf, size_t len,
                    Thidua__V1__Envelope **out, envelope_error_t *err)
{
    wire_error_t werr;
    int rc;

    *out = NULL;
    envelope_arena_reset(arena);
    err->code = 0;
    err->offset = 0;
    err->field[0] = '\0';
    err->message[0] = '\0';
    if (wire_check_max(&thidua__v1__envelope__descriptor, buf, len, arena->max_repeated, &werr) <
        0)
        return envelope_from_wire(&werr, err);

    ProtobufCAllocator pa = {envelope_arena_alloc, envelope_arena_dealloc, arena};
    arena->budget = envelope_budget(len);
    ProtobufCMessage *m =
        protobuf_c_message_unpack(&thidua__v1__envelope__descriptor, &pa, len, buf);
    if (m == NULL) {
        if (arena->failure == TD_EBUDGET)
            rc =
                envelope_fail(err, TD_EBUDGET,
                              "envelope of %zu bytes needs more than %zu bytes of memory to decode",
                              len, arena->budget);
        else if (arena->failure == TD_ENOMEM)
            rc = envelope_fail(err, TD_ENOMEM,
                               "out of memory decoding an envelope of %zu bytes", len);
        else
            rc = envelope_fail(err, TD_EMALFORMED, "envelope could not be decoded");
        envelope_arena_reset(arena);
        return rc;
    }
    Thidua__V1__Envelope *env = (Thidua__V1__Envelope *)m;
    if (env->body_case == THIDUA__V1__ENVELOPE__BODY__NOT_SET) {
        rc = envelope_no_body(env, err);
        envelope_arena_reset(arena);
        return rc;
    }
    *out = env;
    return 0;
}

/* The Envelope field whose message type is desc, or NULL. */
static const ProtobufCFieldDescriptor *envelope_body_field(const ProtobufCMessageDescriptor *desc)
{
    const ProtobufCMessageDescriptor *env = &thidua__v1__envelope__descriptor;

    for (unsigned i = 0; i < env->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &env->fields[i];
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && f->descriptor == desc)
            return f;
    }
    return NULL;
}

int envelope_pack(frame_buf_t *out, uint64_t request_id, const ProtobufCMessage *body, size_t max,
                  envelope_error_t *err)
{
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    const ProtobufCFieldDescriptor *f;

    if (body == NULL || (f = envelope_body_field(body->descriptor)) == NULL)
        return envelope_fail(err, TD_EINVAL, "not an envelope body: %s",
                             body != NULL ? body->descriptor->name : "NULL");
    env.request_id = request_id;
    env.body_case = (Thidua__V1__Envelope__BodyCase)f->id;
    /* Every member of the body union is a pointer to a message (packing
     * only reads through it). */
    void *slot = (void *)body;
    memcpy((char *)&env + f->offset, &slot, sizeof(slot));

    int rc = frame_append(out, &env.base, max);
    switch (rc) {
    case 0:
        return 0;
    case TD_ETOOBIG:
        return envelope_fail(err, TD_ETOOBIG,
                             "%s envelope of %zu bytes exceeds the frame limit of %zu bytes",
                             f->name, protobuf_c_message_get_packed_size(&env.base),
                             max != 0 ? max : FRAME_DEFAULT_MAX);
    case TD_ENOMEM:
        return envelope_fail(err, TD_ENOMEM, "out of memory packing a %s envelope", f->name);
    default:
        return envelope_fail(err, TD_EINVAL, "cannot pack a %s envelope: %s", f->name,
                             td_strerror(rc));
    }
}

const char *envelope_body_name(Thidua__V1__Envelope__BodyCase body_case)
{
    const ProtobufCFieldDescriptor *f;

    if (body_case == THIDUA__V1__ENVELOPE__BODY__NOT_SET)
        return "none";
    f = protobuf_c_message_descriptor_get_field(&thidua__v1__envelope__descriptor,
                                                (unsigned)body_case);
    if (f == NULL || !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
        return "unknown";
    return f->name;
}
