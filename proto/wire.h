/*
 * wire.h - checks the protobuf wire bytes of a message before protobuf-c
 * unpacks them.
 *
 * protobuf_c_message_unpack() says only "failed", accepts any bytes in a
 * string field and silently cuts a string at its first NUL. wire_check()
 * walks the bytes with the message descriptors first and refuses, naming the
 * field by its path ("push_request.records[3].nominee_name") and the byte:
 * - a tag, varint, length or fixed-size value that is truncated or overlong,
 *   a length that runs past its message, field number 0, wire types 3/4
 *   (groups, which thidua never uses) and 6/7;
 * - a known field whose wire type does not match its declared type;
 * - a string field that is not strict UTF-8 (utf8.h) or holds a NUL byte;
 * - sub-messages nested deeper than WIRE_MAX_DEPTH.
 * Unknown fields (a newer peer's additions) are allowed and skipped, but
 * must be well-formed too. Time is linear in the length: every byte is read
 * once, at the innermost message that holds it.
 */
#ifndef THIDUA_WIRE_H
#define THIDUA_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "protodefs.h"
#include "error.h"

/* thidua.proto is not recursive and nests 6 levels at most; this bound only
 * guards against a future schema (or a caller's descriptor) that is. */
#define WIRE_MAX_DEPTH 16
#define WIRE_FIELD_MAX 160
#define WIRE_MESSAGE_MAX 256

/*
 * Errors: negative TD_E* codes of error.h. This module returns:
 *   TD_EMALFORMED not a well-formed message of the given type
 *   TD_ETEXT      a string field is not valid UTF-8 or holds a NUL
 *   TD_EDEPTH     sub-messages nested deeper than WIRE_MAX_DEPTH
 *   TD_ETOOMANY   a repeated field with more elements than wire_check_max allows
 */

/* What wire_check() found wrong. */
typedef struct {
    int code;                       /* TD_E* */
    size_t offset;                  /* offset in the buffer where the problem is */
    char field[WIRE_FIELD_MAX];     /* path of the field at fault, "" when none */
    char message[WIRE_MESSAGE_MAX]; /* one sentence, starting with the path */
} wire_error_t;

/*
 * Check buf[0..len) as a serialized message of type desc. Returns 0, or a
 * TD_E* code with *err filled in (err may be NULL). Reads nothing outside
 * the buffer and allocates nothing.
 */
THIDUA_MUSTCHECK int wire_check(const ProtobufCMessageDescriptor *desc, const uint8_t *buf,
                                size_t len, wire_error_t *err);

/*
 * wire_check, and a repeated field of any message may hold at most
 * max_repeated elements (0: no limit; packed scalars are bounded by bytes
 * instead). Counting on the wire refuses a push of 190,000 empty records
 * before protobuf-c allocates anything for them.
 */
/*
 * The value of the first varint field numbered num at the top level of
 * buf[0..len), read without checking the rest: the request id of a frame
 * refused before unpacking, so the refusal can name the request. 0 when there
 * is none or the bytes before it are malformed.
 */
uint64_t wire_peek_varint(const uint8_t *buf, size_t len, uint32_t num);

THIDUA_MUSTCHECK int wire_check_max(const ProtobufCMessageDescriptor *desc, const uint8_t *buf,
                                    size_t len, size_t max_repeated, wire_error_t *err);

#endif
