/*
 * envelope.h - turning a frame's payload into a Thidua__V1__Envelope and back.
 *
 * Unpacking is the server's most exposed code path, so it is done in three
 * guarded steps: wire_check() refuses malformed bytes, bad UTF-8 and NUL
 * bytes with the field's path; protobuf-c unpacks into an arena whose budget
 * is proportional to the frame length, so that a small frame cannot expand
 * into gigabytes; an Envelope without a body is refused. The arena owns the
 * unpacked message: one reset releases all of it, and its memory is reused by
 * the next message of the connection instead of a malloc/free per field.
 */
#ifndef THIDUA_ENVELOPE_H
#define THIDUA_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "protodefs.h"
#include "thidua.pb-c.h"
#include "wire.h"
#include "error.h"

/*
 * Budget of one unpack: ENVELOPE_BUDGET_FACTOR bytes per payload byte plus
 * ENVELOPE_BUDGET_BASE. Messages a conforming peer sends expand 2 to 5 times
 * when unpacked (a Record with its id, name and texts: ~250 wire bytes, ~600
 * in memory; a RecordAck ~48 -> ~160), which leaves a margin of 3 or more;
 * the base lets any small frame through whatever its shape. What the budget
 * stops is the cheap expansion: an empty repeated Record costs 2 bytes on the
 * wire and ~260 in memory (its 216-byte struct, the array slot and
 * protobuf-c's 32-byte scan record), i.e. 130 times.
 */
#define ENVELOPE_BUDGET_FACTOR 16
#define ENVELOPE_BUDGET_BASE ((size_t)64 * 1024)
/* Arena memory kept across envelope_arena_reset() for the next message. */
#define ENVELOPE_ARENA_KEEP ((size_t)64 * 1024)

/*
 * Errors: negative TD_E* codes of error.h. This module returns:
 *   TD_EMALFORMED not a well-formed Envelope (truncated, bad wire type...)
 *   TD_ETEXT      a string field is not valid UTF-8 or holds a NUL byte
 *   TD_EDEPTH     nested too deep
 *   TD_ENOBODY    no body set
 *   TD_EUNKNOWN   the body is a message type this version does not know
 *   TD_EBUDGET    would need more memory than the frame's budget
 *   TD_ETOOMANY   a repeated field longer than the arena's max_repeated
 *   TD_ENOMEM     malloc failed
 *   TD_ETOOBIG    packing: the frame would exceed the limit
 *   TD_EINVAL     a bad argument (e.g. a body that is not an Envelope body)
 */

/* Why an envelope function failed. */
typedef struct {
    int code;                       /* TD_E* */
    size_t offset;                  /* byte of the payload at fault, when it applies */
    char field[WIRE_FIELD_MAX];     /* path of the field at fault, e.g.
                                       "push_request.records[3].nominee_name"; "" if none */
    char message[WIRE_MESSAGE_MAX]; /* one sentence for logs and Error.message */
} envelope_error_t;

typedef struct envelope_block envelope_block_t;

/*
 * A bump allocator for protobuf-c, one per connection (or per message kept
 * alive while others arrive). Owns blocks (malloc'd) and, through them, the
 * message of the last successful envelope_unpack(). protobuf-c's frees are
 * ignored: memory comes back all at once at the next reset.
 */
typedef struct {
    envelope_block_t *blocks; /* owned: newest first */
    size_t held;              /* bytes of block data malloc'd */
    size_t used;              /* bytes handed out since the last reset, padding included */
    size_t budget;            /* most bytes the current unpack may take */
    int failure;              /* TD_EBUDGET / TD_ENOMEM once an allocation failed */
    size_t max_repeated;      /* set by the owner: most elements of a repeated field that
                                 envelope_unpack accepts (wire_check_max); 0: no limit */
} envelope_arena_t;

void envelope_arena_init(envelope_arena_t *a);
/* Release the message the arena holds; keep at most ENVELOPE_ARENA_KEEP
 * bytes for the next one. */
void envelope_arena_reset(envelope_arena_t *a);
/* Release everything. The arena is empty and may be used again. */
void envelope_arena_free(envelope_arena_t *a);
/* Bytes the arena has malloc'd now (for tests and metrics). */
size_t envelope_arena_held(const envelope_arena_t *a);

/*
 * Unpack buf[0..len) (a frame's payload) into *out. Resets the arena first:
 * the previous message unpacked into it is gone. On success *out belongs to
 * the arena and lives until its next reset, unpack or free (never pass it to
 * thidua__v1__envelope__free_unpacked). On failure *out is NULL, the arena
 * holds nothing and *err (not NULL) says why.
 */
THIDUA_MUSTCHECK int envelope_unpack(envelope_arena_t *arena, const uint8_t *buf, size_t len,
                                     Thidua__V1__Envelope **out, envelope_error_t *err);

/*
 * Append to out one frame carrying Envelope{request_id, body}, where body is
 * one of the Envelope body messages (e.g. &hello.base). max is the peer's
 * frame limit (0: FRAME_DEFAULT_MAX). err may be NULL. On error out is
 * unchanged.
 */
THIDUA_MUSTCHECK int envelope_pack(frame_buf_t *out, uint64_t request_id,
                                   const ProtobufCMessage *body, size_t max, envelope_error_t *err);

/* The proto name of a body case ("push_request"), "none" or "unknown". */
const char *envelope_body_name(Thidua__V1__Envelope__BodyCase body_case);


#endif
