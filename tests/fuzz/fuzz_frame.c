/*
 * fuzz_frame.c - fuzz target for the frame decoder (libFuzzer entry point;
 * replay.c runs the committed corpus through it in every build).
 *
 * Input: byte 0 picks the decoder's limit (small limits make oversized
 * lengths common), bytes 1-2 seed the chunking, the rest is the stream. The
 * stream is decoded twice, in one chunk and in chunks of pseudo-random sizes
 * down to single bytes, sometimes detaching the rest of a chunk between
 * frames: both must yield the same frames and end in the same state, because
 * how TLS happens to cut the stream must never matter. Memory must follow the
 * bytes fed, never the lengths claimed.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(c)                                                                              \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

/* Frames remembered from the one-chunk pass and compared in the second. */
#define FUZZ_MAX_FRAMES 65536

typedef struct {
    size_t off;
    size_t len;
} fuzz_span_t;

static fuzz_span_t fuzz_ref[FUZZ_MAX_FRAMES];

static size_t fuzz_limit(uint8_t sel)
{
    if (sel == 0)
        return 1;
    if (sel < 128)
        return (size_t)sel * 8;
    return FRAME_DEFAULT_MAX;
}

static uint32_t fuzz_rng(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static size_t fuzz_chunk(uint32_t *seed, size_t left)
{
    uint32_t r = fuzz_rng(seed);
    size_t n;

    switch (r % 4) {
    case 0:
        n = 1;
        break;
    case 1:
        n = 1 + (r >> 8) % 8;
        break;
    case 2:
        n = 1 + (r >> 8) % 300;
        break;
    default:
        n = left;
        break;
    }
    return n < left ? n : left;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    frame_decoder_t d;
    frame_t f;
    size_t nref = 0;
    int ref_rc;

    if (size < 3)
        return 0;
    size_t max = fuzz_limit(data[0]);
    uint32_t seed = (uint32_t)data[1] << 8 | data[2] | 0x10000;
    const uint8_t *s = data + 3;
    size_t n = size - 3;

    /* One chunk: every whole frame is handed out in place. */
    FUZZ_CHECK(frame_decoder_init(&d, max) == 0);
    FUZZ_CHECK(frame_decoder_feed(&d, s, n) == 0);
    while ((ref_rc = frame_decoder_next(&d, &f)) == 1) {
        FUZZ_CHECK(f.len > 0 && f.len <= max);
        FUZZ_CHECK(f.data >= s && f.data + f.len <= s + n);
        if (nref < FUZZ_MAX_FRAMES) {
            fuzz_ref[nref].off = (size_t)(f.data - s);
            fuzz_ref[nref].len = f.len;
        }
        nref++;
    }
    /* Only a frame cut off by the end of the input is copied. */
    FUZZ_CHECK(frame_decoder_capacity(&d) <= 2 * n + 256);
    if (frame_decoder_idle(&d))
        FUZZ_CHECK(frame_decoder_capacity(&d) == 0);
    if (ref_rc < 0) {
        FUZZ_CHECK(frame_decoder_next(&d, &f) == ref_rc); /* sticky */
        FUZZ_CHECK(frame_decoder_feed(&d, s, n) == ref_rc);
        FUZZ_CHECK(frame_decoder_strerror(&d)[0] != '\0');
    }
    bool ref_idle = frame_decoder_idle(&d);
    frame_decoder_free(&d);

    /* Random chunks: the same frames, the same end. */
    FUZZ_CHECK(frame_decoder_init(&d, max) == 0);
    size_t at = 0, got = 0;
    int rc = 0;
    while (at < n && rc >= 0) {
        size_t len = fuzz_chunk(&seed, n - at);
        rc = frame_decoder_feed(&d, s + at, len);
        if (rc < 0)
            break;
        at += len;
        while ((rc = frame_decoder_next(&d, &f)) == 1) {
            FUZZ_CHECK(got < nref);
            if (got < FUZZ_MAX_FRAMES) {
                FUZZ_CHECK(f.len == fuzz_ref[got].len);
                FUZZ_CHECK(memcmp(f.data, s + fuzz_ref[got].off, f.len) == 0);
            }
            got++;
            /* Sometimes pause, as a connection under backpressure does. */
            if (fuzz_rng(&seed) % 8 == 0)
                FUZZ_CHECK(frame_decoder_detach(&d) == 0);
        }
        FUZZ_CHECK(frame_decoder_capacity(&d) <= 2 * at + 256);
    }
    FUZZ_CHECK(got == nref);
    FUZZ_CHECK(rc == ref_rc);
    if (rc == 0)
        FUZZ_CHECK(frame_decoder_idle(&d) == ref_idle);
    frame_decoder_free(&d);
    return 0;
}
