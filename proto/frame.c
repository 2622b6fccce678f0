/*
 * frame.c - length-prefixed frames: encoder and incremental decoder.
 *
 * The decoder is the first thing a peer's bytes meet, so it trusts nothing:
 * the length is checked the moment its 4 bytes are in, memory follows the
 * bytes that really arrived (a peer announcing 4 MiB and sending 10 bytes
 * costs 256 bytes, not 4 MiB), and a failure is final. Frames that lie whole
 * in the chunk just read are handed out in place; only a frame split across
 * chunks is copied, into a buffer that grows geometrically (so feeding one
 * byte at a time stays linear) and is freed again after a large frame.
 */
#include "frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* First allocation of a buffer; small frames that span chunks fit in it. */
#define FRAME_MIN_ALLOC ((size_t)256)

static uint32_t frame_get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void frame_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/*
 * Grow *data (capacity *cap) to hold at least want bytes, at most limit:
 * doubling keeps repeated small growth linear overall.
 */
static int frame_grow(uint8_t **data, size_t *cap, size_t want, size_t limit)
{
    size_t n = *cap > 0 ? *cap : FRAME_MIN_ALLOC;

    if (want <= *cap)
        return 0;
    while (n < want) {
        if (n > SIZE_MAX / 2) {
            n = want;
            break;
        }
        n *= 2;
    }
    if (n > limit)
        n = limit;
    uint8_t *p = realloc(*data, n);
    if (p == NULL)
        return TD_ENOMEM;
    *data = p;
    *cap = n;
    return 0;
}

/* ------------------------------------------------------------------------- */
/* Encoding */

void frame_buf_init(frame_buf_t *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void frame_buf_free(frame_buf_t *b)
{
    free(b->data);
    frame_buf_init(b);
}

void frame_buf_consume(frame_buf_t *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        if (b->cap > FRAME_KEEP)
            frame_buf_free(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

/* The payload size of msg as a frame, or a TD_E* error. */
static int frame_payload_size(const ProtobufCMessage *msg, size_t max, size_t *size)
{
    if (msg == NULL || max > FRAME_LIMIT_MAX)
        return TD_EINVAL;
    if (max == 0)
        max = FRAME_DEFAULT_MAX;
    *size = protobuf_c_message_get_packed_size(msg);
    if (*size == 0)
        return TD_EZERO;
    if (*size > max)
        return TD_ETOOBIG;
    return 0;
}

/* Write header and payload at out (FRAME_HEADER_LEN + size bytes). */
static int frame_write(const ProtobufCMessage *msg, size_t size, uint8_t *out)
{
    frame_put_be32(out, (uint32_t)size);
    /* A message that does not pack to the size it announced is corrupt
     * (e.g. a NULL string): never send a frame whose header lies. */
    if (protobuf_c_message_pack(msg, out + FRAME_HEADER_LEN) != size)
        return TD_EINVAL;
    return 0;
}

int frame_append(frame_buf_t *b, const ProtobufCMessage *msg, size_t max)
{
    size_t size;
    int rc = frame_payload_size(msg, max, &size);

    if (rc < 0)
        return rc;
    if (b->len > SIZE_MAX - FRAME_HEADER_LEN - size)
        return TD_ENOMEM;
    rc = frame_grow(&b->data, &b->cap, b->len + FRAME_HEADER_LEN + size, SIZE_MAX);
    if (rc < 0)
        return rc;
    rc = frame_write(msg, size, b->data + b->len);
    if (rc < 0)
        return rc;
    b->len += FRAME_HEADER_LEN + size;
    return 0;
}

int frame_encode(const ProtobufCMessage *msg, size_t max, uint8_t **out, size_t *out_len)
{
    size_t size;
    int rc = frame_payload_size(msg, max, &size);

    if (rc < 0)
        return rc;
    uint8_t *p = malloc(FRAME_HEADER_LEN + size);
    if (p == NULL)
        return TD_ENOMEM;
    rc = frame_write(msg, size, p);
    if (rc < 0) {
        free(p);
        return rc;
    }
    *out = p;
    *out_len = FRAME_HEADER_LEN + size;
    return 0;
}

/* ------------------------------------------------------------------------- */
/* Decoding */

int frame_decoder_init(frame_decoder_t *d, size_t max)
{
    if (max == 0)
        max = FRAME_DEFAULT_MAX;
    if (max > FRAME_LIMIT_MAX)
        return TD_EINVAL;
    memset(d, 0, sizeof(*d));
    d->max = max;
    return 0;
}

void frame_decoder_free(frame_decoder_t *d)
{
    free(d->buf);
    d->buf = NULL;
    d->cap = 0;
    d->have = 0;
    d->in = NULL;
    d->in_len = 0;
    free(d->in_own);
    d->in_own = NULL;
}

/* A detached chunk is freed once used up, at the next call (the last frame
 * handed out may point into it until then). */
static void frame_release_chunk(frame_decoder_t *d)
{
    if (d->in_own != NULL && d->in_len == 0) {
        free(d->in_own);
        d->in_own = NULL;
    }
}

int frame_decoder_detach(frame_decoder_t *d)
{
    if (d->err)
        return d->err;
    if (d->in_len == 0 || d->in_own != NULL)
        return 0;
    uint8_t *copy = malloc(d->in_len);
    if (copy == NULL) {
        d->err = TD_ENOMEM;
        d->bad_len = (uint32_t)d->in_len;
        return TD_ENOMEM;
    }
    memcpy(copy, d->in, d->in_len);
    d->in = copy;
    d->in_own = copy;
    return 0;
}

static int frame_fail(frame_decoder_t *d, int err, uint32_t len)
{
    d->err = err;
    d->bad_len = len;
    return err;
}

int frame_decoder_feed(frame_decoder_t *d, const void *data, size_t len)
{
    if (d->err)
        return d->err;
    if (d->in_len > 0)
        return TD_EBUSY;
    frame_release_chunk(d);
    d->in = data;
    d->in_len = len;
    return 0;
}

static void frame_take(frame_decoder_t *d, size_t n)
{
    d->in += n;
    d->in_len -= n;
}

/* Read the length prefix; returns 1 when it is in and valid, 0 when more
 * bytes are needed, or an error. */
static int frame_read_header(frame_decoder_t *d)
{
    uint32_t n;

    if (d->hdr_have == 0 && d->in_len >= FRAME_HEADER_LEN) {
        n = frame_get_be32(d->in);
        frame_take(d, FRAME_HEADER_LEN);
    } else {
        size_t take = FRAME_HEADER_LEN - d->hdr_have;
        if (take > d->in_len)
            take = d->in_len;
        memcpy(d->hdr + d->hdr_have, d->in, take);
        d->hdr_have += take;
        frame_take(d, take);
        if (d->hdr_have < FRAME_HEADER_LEN)
            return 0;
        d->hdr_have = 0;
        n = frame_get_be32(d->hdr);
    }
    if (n == 0)
        return frame_fail(d, TD_EZERO, n);
    if (n > d->max)
        return frame_fail(d, TD_ETOOBIG, n);
    d->need = n;
    return 1;
}

int frame_decoder_next(frame_decoder_t *d, frame_t *out)
{
    if (d->err)
        return d->err;
    frame_release_chunk(d);
    if (d->release) {
        /* The caller is done with the frame handed out of buf. */
        d->release = false;
        d->have = 0;
        if (d->cap > FRAME_KEEP) {
            free(d->buf);
            d->buf = NULL;
            d->cap = 0;
        }
    }
    if (d->need == 0) {
        int rc = frame_read_header(d);
        if (rc <= 0)
            return rc;
    }
    if (d->have == 0 && d->in_len >= d->need) {
        out->data = d->in;
        out->len = d->need;
        frame_take(d, d->need);
        d->need = 0;
        return 1;
    }
    size_t take = d->need - d->have;
    if (take > d->in_len)
        take = d->in_len;
    if (take > 0) {
        if (frame_grow(&d->buf, &d->cap, d->have + take, d->need) < 0)
            return frame_fail(d, TD_ENOMEM, (uint32_t)d->need);
        memcpy(d->buf + d->have, d->in, take);
        d->have += take;
        frame_take(d, take);
    }
    if (d->have < d->need)
        return 0;
    out->data = d->buf;
    out->len = d->need;
    d->need = 0;
    d->release = true;
    return 1;
}

const char *frame_decoder_strerror(frame_decoder_t *d)
{
    if (d->err == TD_ETOOBIG) {
        snprintf(d->msg, sizeof(d->msg), "frame length %lu exceeds the limit of %lu bytes",
                 (unsigned long)d->bad_len, (unsigned long)d->max);
        return d->msg;
    }
    if (d->err == TD_ENOMEM) {
        snprintf(d->msg, sizeof(d->msg), "out of memory for a frame of %lu bytes",
                 (unsigned long)d->bad_len);
        return d->msg;
    }
    return td_strerror(d->err);
}

bool frame_decoder_idle(const frame_decoder_t *d)
{
    return d->hdr_have == 0 && d->need == 0 && d->in_len == 0;
}

size_t frame_decoder_capacity(const frame_decoder_t *d)
{
    return d->cap;
}
