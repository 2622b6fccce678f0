/*
 * frame.h - the framing of the wire: a 4-byte big-endian payload length,
 * then the payload (one serialized Envelope).
 *
 * Encoding packs a message straight into its frame, either into a fresh
 * buffer or appended to a connection's growable output buffer (no malloc per
 * frame once that buffer has grown). Decoding is incremental: the decoder
 * takes whatever chunks TLS hands it and yields whole frames in order. It
 * refuses a zero length or a length above its limit as soon as the 4 header
 * bytes are in, before allocating anything for the frame; it hands out
 * frames that lie whole in the current chunk without copying them, and its
 * own buffer grows with the bytes that actually arrived (never with the
 * claimed length) and is given back after a large frame.
 */
#ifndef THIDUA_FRAME_H
#define THIDUA_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "protodefs.h"
#include "error.h"

#define FRAME_HEADER_LEN 4
/* Default largest payload, as in Limits.max_frame. */
#define FRAME_DEFAULT_MAX ((size_t)4 * 1024 * 1024)
/* The header holds 32 bits: no limit can be larger. */
#define FRAME_LIMIT_MAX ((size_t)UINT32_MAX)
/* A decoder or output buffer larger than this is freed once it is empty. */
#define FRAME_KEEP ((size_t)64 * 1024)

/*
 * Errors: negative TD_E* codes of error.h. This module returns:
 *   TD_EZERO   a length of 0 (no Envelope is empty on the wire)
 *   TD_ETOOBIG a length above the limit
 *   TD_ENOMEM  malloc failed
 *   TD_EINVAL  a bad argument: limit out of range, NULL message
 *   TD_EBUSY   feed() before the previous chunk was consumed
 */


/* ------------------------------------------------------------------------- */
/* Encoding */

/*
 * A growable byte buffer that frames are appended to. Owns data (malloc'd).
 * A connection keeps one, appends its outgoing frames, hands [data, len) to
 * SSL_write and then calls frame_buf_consume() with what was written.
 */
typedef struct {
    uint8_t *data; /* owned; NULL until the first append */
    size_t len;    /* bytes in use */
    size_t cap;    /* bytes allocated */
} frame_buf_t;

void frame_buf_init(frame_buf_t *b);
void frame_buf_free(frame_buf_t *b);
/*
 * Drop the first n bytes (n <= len), e.g. once they are written. When the
 * buffer becomes empty and holds more than FRAME_KEEP bytes it is freed, so
 * one large response does not stay pinned to an idle connection.
 */
void frame_buf_consume(frame_buf_t *b, size_t n);

/*
 * Pack msg as one frame (header + payload) at the end of b. Refuses a message
 * that packs to 0 bytes (TD_EZERO) or to more than max bytes
 * (TD_ETOOBIG; max <= FRAME_LIMIT_MAX, normally the peer's limit). On
 * error b is unchanged.
 */
THIDUA_MUSTCHECK int frame_append(frame_buf_t *b, const ProtobufCMessage *msg, size_t max);

/*
 * Pack msg as one frame into a new buffer of exactly FRAME_HEADER_LEN +
 * payload bytes, returned in *out (the caller owns it: free()) and *out_len.
 * Same refusals as frame_append().
 */
THIDUA_MUSTCHECK int frame_encode(const ProtobufCMessage *msg, size_t max, uint8_t **out,
                                  size_t *out_len);

/* ------------------------------------------------------------------------- */
/* Decoding */

/* One decoded frame: the payload only. Borrowed, see frame_decoder_next(). */
typedef struct {
    const uint8_t *data;
    size_t len;
} frame_t;

/*
 * Incremental decoder, one per connection. Owns buf (malloc'd, only while a
 * frame spans chunks) and in_own (malloc'd, only after frame_decoder_detach()
 * and until that copy is used up); borrows the chunk given to
 * frame_decoder_feed() until frame_decoder_next() has consumed it (returned
 * 0), failed, or frame_decoder_detach() copied its rest.
 */
typedef struct {
    size_t max;                    /* largest payload accepted */
    int err;                       /* 0, or the sticky TD_E* error */
    uint32_t bad_len;              /* the length refused, for the message */
    uint8_t hdr[FRAME_HEADER_LEN]; /* header bytes split across chunks */
    size_t hdr_have;               /* bytes in hdr */
    size_t need;                   /* payload length of the frame being read; 0: header */
    uint8_t *buf;                  /* owned: payload of a frame that spans chunks */
    size_t have;                   /* payload bytes in buf */
    size_t cap;                    /* bytes allocated at buf */
    bool release;                  /* buf was handed out: reset it on the next call */
    const uint8_t *in;             /* borrowed: unread rest of the current chunk */
    uint8_t *in_own;               /* owned: the chunk's copy after frame_decoder_detach() */
    size_t in_len;                 /* bytes at in */
    char msg[96];                  /* frame_decoder_strerror()'s sentence */
} frame_decoder_t;

/*
 * max: largest payload accepted, 1..FRAME_LIMIT_MAX (0 means
 * FRAME_DEFAULT_MAX). Returns 0 or TD_EINVAL. Allocates nothing.
 */
THIDUA_MUSTCHECK int frame_decoder_init(frame_decoder_t *d, size_t max);
void frame_decoder_free(frame_decoder_t *d);

/*
 * Give the decoder the next chunk of the stream; it must stay valid and
 * unchanged until frame_decoder_next() returns 0 or an error. Returns 0, the
 * sticky error of a failed decoder, or TD_EBUSY (nothing done) when the
 * previous chunk still has unread bytes.
 */
THIDUA_MUSTCHECK int frame_decoder_feed(frame_decoder_t *d, const void *data, size_t len);

/*
 * Take the next whole frame: returns 1 and fills *out, 0 when the chunk is
 * used up and more bytes are needed, or a negative TD_E* error. An error
 * is sticky: every later call returns it (the connection is to be closed).
 * out->data stays valid until the next call on the decoder; it points into
 * the fed chunk when the frame lay whole in it, else into the decoder.
 */
THIDUA_MUSTCHECK int frame_decoder_next(frame_decoder_t *d, frame_t *out);

/* A sentence for the decoder's error, with the numbers, e.g. "frame length
 * 2147483648 exceeds the limit of 4194304 bytes"; "no error" when none. */
const char *frame_decoder_strerror(frame_decoder_t *d);

/* True when no part of a frame is pending: an end of stream here is a clean
 * close, anywhere else a truncated frame. */
bool frame_decoder_idle(const frame_decoder_t *d);

/*
 * Copy the unread rest of the current chunk into the decoder, so that the
 * caller's buffer may go (e.g. a connection that stops reading for
 * backpressure while whole frames are still in the chunk). Returns 0 or
 * TD_ENOMEM (sticky). Nothing to do, and no allocation, when the chunk is
 * used up.
 */
THIDUA_MUSTCHECK int frame_decoder_detach(frame_decoder_t *d);

/* Bytes the decoder's frame buffer holds now (a detached chunk's copy aside). */
size_t frame_decoder_capacity(const frame_decoder_t *d);

#endif
