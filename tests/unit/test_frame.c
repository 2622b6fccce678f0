/*
 * test_frame.c - the frame codec: encoding, and a decoder fed the stream in
 * every possible way a TLS connection can cut it, plus the lengths a hostile
 * peer sends (0, max + 1, 2 GiB).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frame.h"
#include "thidua.pb-c.h"

/* A stream of frames with the payloads it carries. */
typedef struct {
    uint8_t *bytes;
    size_t len;
    size_t n;
    size_t lens[16];
    size_t offs[16]; /* payload offsets in bytes */
} stream_t;

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Frames of the given payload lengths, payload bytes numbered so that any
 * mix-up of order or offset shows. */
static void stream_make(stream_t *s, const size_t *lens, size_t n)
{
    size_t total = 0;

    assert_true(n <= 16);
    for (size_t i = 0; i < n; i++)
        total += FRAME_HEADER_LEN + lens[i];
    s->bytes = malloc(total);
    assert_non_null(s->bytes);
    s->len = total;
    s->n = n;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        put_be32(s->bytes + at, (uint32_t)lens[i]);
        at += FRAME_HEADER_LEN;
        s->lens[i] = lens[i];
        s->offs[i] = at;
        for (size_t j = 0; j < lens[i]; j++)
            s->bytes[at + j] = (uint8_t)(i * 31 + j * 7 + 1);
        at += lens[i];
    }
}

/* Drain the decoder after a feed; check each frame against s. */
static void drain(frame_decoder_t *d, const stream_t *s, size_t *got)
{
    frame_t f;
    int rc;

    while ((rc = frame_decoder_next(d, &f)) == 1) {
        assert_true(*got < s->n);
        assert_int_equal(f.len, s->lens[*got]);
        assert_memory_equal(f.data, s->bytes + s->offs[*got], f.len);
        (*got)++;
    }
    assert_int_equal(rc, 0);
}

static const size_t mixed_lens[] = {1, 2, 3, 4, 5, 100, 255, 256, 257, 300, 1000, 7};

static void test_split_at_every_offset(void **state)
{
    stream_t s;

    (void)state;
    stream_make(&s, mixed_lens, sizeof(mixed_lens) / sizeof(mixed_lens[0]));
    for (size_t k = 0; k <= s.len; k++) {
        frame_decoder_t d;
        size_t got = 0;
        assert_int_equal(frame_decoder_init(&d, 0), 0);
        assert_int_equal(frame_decoder_feed(&d, s.bytes, k), 0);
        drain(&d, &s, &got);
        assert_int_equal(frame_decoder_feed(&d, s.bytes + k, s.len - k), 0);
        drain(&d, &s, &got);
        assert_int_equal(got, s.n);
        assert_true(frame_decoder_idle(&d));
        frame_decoder_free(&d);
    }
    /* And every pair of cuts of a shorter stream: three chunks. */
    stream_t t;
    const size_t lens3[] = {3, 9, 1};
    stream_make(&t, lens3, 3);
    for (size_t a = 0; a <= t.len; a++) {
        for (size_t b = a; b <= t.len; b++) {
            frame_decoder_t d;
            size_t got = 0;
            assert_int_equal(frame_decoder_init(&d, 0), 0);
            assert_int_equal(frame_decoder_feed(&d, t.bytes, a), 0);
            drain(&d, &t, &got);
            assert_int_equal(frame_decoder_feed(&d, t.bytes + a, b - a), 0);
            drain(&d, &t, &got);
            assert_int_equal(frame_decoder_feed(&d, t.bytes + b, t.len - b), 0);
            drain(&d, &t, &got);
            assert_int_equal(got, t.n);
            frame_decoder_free(&d);
        }
    }
    free(t.bytes);
    free(s.bytes);
}

static void test_one_byte_feeds(void **state)
{
    stream_t s;
    frame_decoder_t d;
    size_t got = 0;

    (void)state;
    stream_make(&s, mixed_lens, sizeof(mixed_lens) / sizeof(mixed_lens[0]));
    assert_int_equal(frame_decoder_init(&d, 0), 0);
    for (size_t i = 0; i < s.len; i++) {
        assert_int_equal(frame_decoder_feed(&d, s.bytes + i, 1), 0);
        drain(&d, &s, &got);
        /* Memory follows the bytes that arrived, never the claimed length. */
        assert_true(frame_decoder_capacity(&d) <= 2 * 1000);
    }
    assert_int_equal(got, s.n);
    frame_decoder_free(&d);
    free(s.bytes);
}

/* A 1 MiB frame fed one byte at a time: linear (a quadratic decoder would
 * copy ~500 GB here and time out), with a buffer that doubles. */
static void test_one_byte_feeds_large_frame(void **state)
{
    const size_t lens[] = {1024 * 1024, 3};
    stream_t s;
    frame_decoder_t d;
    size_t got = 0;

    (void)state;
    stream_make(&s, lens, 2);
    assert_int_equal(frame_decoder_init(&d, 0), 0);
    for (size_t i = 0; i < s.len; i++) {
        assert_int_equal(frame_decoder_feed(&d, s.bytes + i, 1), 0);
        drain(&d, &s, &got);
    }
    assert_int_equal(got, 2);
    /* The large buffer was given back once the frame was handed out. */
    assert_true(frame_decoder_capacity(&d) <= FRAME_KEEP);
    frame_decoder_free(&d);
    free(s.bytes);
}

static void test_many_frames_in_one_chunk(void **state)
{
    enum { N = 1000 };
    uint8_t *buf = malloc(N * (FRAME_HEADER_LEN + 3));
    frame_decoder_t d;
    frame_t f;
    size_t n = 0;
    int rc;

    (void)state;
    assert_non_null(buf);
    for (size_t i = 0; i < N; i++) {
        uint8_t *p = buf + i * (FRAME_HEADER_LEN + 3);
        put_be32(p, 3);
        p[4] = (uint8_t)i;
        p[5] = (uint8_t)(i >> 8);
        p[6] = 0xAB;
    }
    assert_int_equal(frame_decoder_init(&d, 0), 0);
    assert_int_equal(frame_decoder_feed(&d, buf, N * (FRAME_HEADER_LEN + 3)), 0);
    while ((rc = frame_decoder_next(&d, &f)) == 1) {
        assert_int_equal(f.len, 3);
        assert_int_equal(f.data[0], (uint8_t)n);
        assert_int_equal(f.data[1], (uint8_t)(n >> 8));
        /* Whole frames in the chunk are handed out in place, not copied. */
        assert_ptr_equal(f.data, buf + n * (FRAME_HEADER_LEN + 3) + FRAME_HEADER_LEN);
        n++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, N);
    assert_int_equal(frame_decoder_capacity(&d), 0);
    frame_decoder_free(&d);
    free(buf);
}

static void test_zero_length(void **state)
{
    static const uint8_t zero[] = {0, 0, 0, 0, 0, 0, 0, 1, 0x42};
    frame_decoder_t d;
    frame_t f;

    (void)state;
    assert_int_equal(frame_decoder_init(&d, 0), 0);
    assert_int_equal(frame_decoder_feed(&d, zero, 2), 0);
    assert_int_equal(frame_decoder_next(&d, &f), 0);
    assert_int_equal(frame_decoder_feed(&d, zero + 2, sizeof(zero) - 2), 0);
    assert_int_equal(frame_decoder_next(&d, &f), TD_EZERO);
    assert_string_equal(frame_decoder_strerror(&d), "frame length 0 is invalid");
    /* Sticky: the valid frame behind it is never handed out. */
    assert_int_equal(frame_decoder_next(&d, &f), TD_EZERO);
    assert_int_equal(frame_decoder_feed(&d, zero, sizeof(zero)), TD_EZERO);
    assert_int_equal(frame_decoder_capacity(&d), 0);
    frame_decoder_free(&d);
}

static void test_length_max_and_max_plus_one(void **state)
{
    const size_t max = 1000;
    const size_t ok[] = {max};
    const size_t bad[] = {max + 1};
    stream_t s, t;
    frame_decoder_t d;
    size_t got = 0;
    frame_t f;

    (void)state;
    stream_make(&s, ok, 1);
    assert_int_equal(frame_decoder_init(&d, max), 0);
    assert_int_equal(frame_decoder_feed(&d, s.bytes, s.len), 0);
    drain(&d, &s, &got);
    assert_int_equal(got, 1);
    frame_decoder_free(&d);

    stream_make(&t, bad, 1);
    assert_int_equal(frame_decoder_init(&d, max), 0);
    /* Refused as soon as the header is in: the payload never arrives. */
    assert_int_equal(frame_decoder_feed(&d, t.bytes, FRAME_HEADER_LEN), 0);
    assert_int_equal(frame_decoder_next(&d, &f), TD_ETOOBIG);
    assert_string_equal(frame_decoder_strerror(&d),
                        "frame length 1001 exceeds the limit of 1000 bytes");
    assert_int_equal(frame_decoder_capacity(&d), 0);
    frame_decoder_free(&d);
    free(s.bytes);
    free(t.bytes);
}

static void test_default_limit(void **state)
{
    const size_t ok[] = {FRAME_DEFAULT_MAX};
    stream_t s;
    frame_decoder_t d;
    size_t got = 0;
    frame_t f;
    uint8_t hdr[FRAME_HEADER_LEN];

    (void)state;
    stream_make(&s, ok, 1);
    assert_int_equal(frame_decoder_init(&d, 0), 0);
    /* In two chunks, so that the decoder buffers it. */
    assert_int_equal(frame_decoder_feed(&d, s.bytes, 1000), 0);
    drain(&d, &s, &got);
    assert_int_equal(frame_decoder_feed(&d, s.bytes + 1000, s.len - 1000), 0);
    drain(&d, &s, &got);
    assert_int_equal(got, 1);
    assert_int_equal(frame_decoder_next(&d, &f), 0);
    assert_true(frame_decoder_capacity(&d) <= FRAME_KEEP);
    frame_decoder_free(&d);
    free(s.bytes);

    put_be32(hdr, (uint32_t)FRAME_DEFAULT_MAX + 1);
    assert_int_equal(frame_decoder_init(&d, 0), 0);
    assert_int_equal(frame_decoder_feed(&d, hdr, sizeof(hdr)), 0);
    assert_int_equal(frame_decoder_next(&d, &f), TD_ETOOBIG);
    assert_string_equal(frame_decoder_strerror(&d),
                        "frame length 4194305 exceeds the limit of 4194304 bytes");
    frame_decoder_free(&d);
}

/* 0x80000000: refused at the 4th byte without allocating anything. */
static void test_two_gib_prefix(void **state)
{
    static const uint8_t hdr[] = {0x80, 0x00, 0x00, 0x00, 'x', 'y'};
    frame_decoder_t d;
    frame_t f;

    (void)state;
    assert_int_equal(frame_decoder_init(&d, 0), 0);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(frame_decoder_feed(&d, hdr + i, 1), 0);
        assert_int_equal(frame_decoder_next(&d, &f), 0);
        assert_false(frame_decoder_idle(&d));
    }
    assert_int_equal(frame_decoder_feed(&d, hdr + 3, 3), 0);
    assert_int_equal(frame_decoder_next(&d, &f), TD_ETOOBIG);
    assert_int_equal(frame_decoder_capacity(&d), 0);
    assert_string_equal(frame_decoder_strerror(&d),
                        "frame length 2147483648 exceeds the limit of 4194304 bytes");
    frame_decoder_free(&d);

    /* Even a decoder allowed 4 GiB holds only what arrived. */
    assert_int_equal(frame_decoder_init(&d, FRAME_LIMIT_MAX), 0);
    assert_int_equal(frame_decoder_feed(&d, hdr, sizeof(hdr)), 0);
    assert_int_equal(frame_decoder_next(&d, &f), 0);
    assert_true(frame_decoder_capacity(&d) <= 256);
    frame_decoder_free(&d);
}

/* A peer that announces 4 MiB and trickles bytes costs what it sent. */
static void test_memory_follows_received_bytes(void **state)
{
    uint8_t chunk[1000];
    frame_decoder_t d;
    frame_t f;

    (void)state;
    memset(chunk, 0x5A, sizeof(chunk));
    put_be32(chunk, (uint32_t)FRAME_DEFAULT_MAX);
    assert_int_equal(frame_decoder_init(&d, 0), 0);
    assert_int_equal(frame_decoder_feed(&d, chunk, 14), 0);
    assert_int_equal(frame_decoder_next(&d, &f), 0);
    assert_true(frame_decoder_capacity(&d) <= 256);
    size_t fed = 10;
    for (int i = 0; i < 100; i++) {
        assert_int_equal(frame_decoder_feed(&d, chunk, sizeof(chunk)), 0);
        assert_int_equal(frame_decoder_next(&d, &f), 0);
        fed += sizeof(chunk);
        assert_true(frame_decoder_capacity(&d) <= 2 * fed);
    }
    frame_decoder_free(&d);
}

static void test_feed_before_drained(void **state)
{
    static const uint8_t two[] = {0, 0, 0, 1, 'a', 0, 0, 0, 1, 'b'};
    frame_decoder_t d;
    frame_t f;

    (void)state;
    assert_int_equal(frame_decoder_init(&d, 0), 0);
    assert_int_equal(frame_decoder_feed(&d, two, sizeof(two)), 0);
    assert_int_equal(frame_decoder_next(&d, &f), 1);
    assert_int_equal(frame_decoder_feed(&d, two, sizeof(two)), TD_EBUSY);
    /* Not an error of the stream: the second frame is still there. */
    assert_int_equal(frame_decoder_next(&d, &f), 1);
    assert_int_equal(f.data[0], 'b');
    assert_int_equal(frame_decoder_next(&d, &f), 0);
    assert_true(frame_decoder_idle(&d));
    frame_decoder_free(&d);
}

static void test_idle(void **state)
{
    static const uint8_t one[] = {0, 0, 0, 2, 'h', 'i'};
    frame_decoder_t d;
    frame_t f;

    (void)state;
    assert_int_equal(frame_decoder_init(&d, 0), 0);
    assert_true(frame_decoder_idle(&d));
    for (size_t i = 0; i + 1 < sizeof(one); i++) {
        assert_int_equal(frame_decoder_feed(&d, one + i, 1), 0);
        assert_int_equal(frame_decoder_next(&d, &f), 0);
        assert_false(frame_decoder_idle(&d)); /* an EOF now truncates a frame */
    }
    assert_int_equal(frame_decoder_feed(&d, one + 5, 1), 0);
    assert_int_equal(frame_decoder_next(&d, &f), 1);
    assert_memory_equal(f.data, "hi", 2);
    assert_true(frame_decoder_idle(&d));
    frame_decoder_free(&d);
}

/* A connection that pauses mid-chunk keeps the rest of the chunk itself, so
 * that the TLS buffer it came from can be reused. */
static void test_detach(void **state)
{
    stream_t s;
    frame_decoder_t d;
    frame_t f;
    size_t got = 0;

    (void)state;
    stream_make(&s, mixed_lens, sizeof(mixed_lens) / sizeof(mixed_lens[0]));
    for (size_t cut = 0; cut <= s.len; cut += 13) {
        uint8_t *chunk = malloc(cut ? cut : 1);
        assert_non_null(chunk);
        memcpy(chunk, s.bytes, cut);
        got = 0;
        assert_int_equal(frame_decoder_init(&d, 0), 0);
        assert_int_equal(frame_decoder_feed(&d, chunk, cut), 0);
        /* Take two frames, then pause: the rest must outlive the chunk. */
        for (int i = 0; i < 2 && frame_decoder_next(&d, &f) == 1; i++) {
            assert_memory_equal(f.data, s.bytes + s.offs[got], s.lens[got]);
            got++;
        }
        assert_int_equal(frame_decoder_detach(&d), 0);
        assert_int_equal(frame_decoder_detach(&d), 0); /* twice is harmless */
        memset(chunk, 0xEE, cut ? cut : 1);
        free(chunk);
        drain(&d, &s, &got);
        assert_int_equal(frame_decoder_feed(&d, s.bytes + cut, s.len - cut), 0);
        drain(&d, &s, &got);
        assert_int_equal(got, s.n);
        assert_true(frame_decoder_idle(&d));
        frame_decoder_free(&d);
    }
    /* Nothing left to copy: nothing allocated, and still fine after a stop. */
    assert_int_equal(frame_decoder_init(&d, 0), 0);
    assert_int_equal(frame_decoder_feed(&d, s.bytes, FRAME_HEADER_LEN + 1), 0);
    assert_int_equal(frame_decoder_next(&d, &f), 1);
    assert_int_equal(frame_decoder_next(&d, &f), 0);
    assert_int_equal(frame_decoder_detach(&d), 0);
    assert_null(d.in_own);
    /* Detached with the decoder in error: the error is what comes back. */
    static const uint8_t zero[] = {0, 0, 0, 0};
    assert_int_equal(frame_decoder_feed(&d, zero, sizeof(zero)), 0);
    assert_int_equal(frame_decoder_next(&d, &f), TD_EZERO);
    assert_int_equal(frame_decoder_detach(&d), TD_EZERO);
    frame_decoder_free(&d);
    free(s.bytes);
}

static void test_init_limits(void **state)
{
    frame_decoder_t d;

    (void)state;
    assert_int_equal(frame_decoder_init(&d, 0), 0);
    assert_int_equal(d.max, FRAME_DEFAULT_MAX);
#if SIZE_MAX > UINT32_MAX
    assert_int_equal(frame_decoder_init(&d, FRAME_LIMIT_MAX + 1), TD_EINVAL);
#endif
}

/* ------------------------------------------------------------------------- */
/* Encoding */

static void test_encode_exact_and_decodes(void **state)
{
    Thidua__V1__Ping ping = THIDUA__V1__PING__INIT;
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    uint8_t *out = NULL;
    size_t out_len = 0;

    (void)state;
    ping.nonce = 0x1122334455667788u;
    env.request_id = 42;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_PING;
    env.ping = &ping;
    size_t size = protobuf_c_message_get_packed_size(&env.base);
    assert_int_equal(frame_encode(&env.base, 0, &out, &out_len), 0);
    assert_int_equal(out_len, FRAME_HEADER_LEN + size);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[3], size);

    frame_decoder_t d;
    frame_t f;
    assert_int_equal(frame_decoder_init(&d, 0), 0);
    assert_int_equal(frame_decoder_feed(&d, out, out_len), 0);
    assert_int_equal(frame_decoder_next(&d, &f), 1);
    Thidua__V1__Envelope *back = thidua__v1__envelope__unpack(NULL, f.len, f.data);
    assert_non_null(back);
    assert_int_equal(back->request_id, 42);
    assert_int_equal(back->body_case, THIDUA__V1__ENVELOPE__BODY_PING);
    assert_int_equal(back->ping->nonce, 0x1122334455667788u);
    thidua__v1__envelope__free_unpacked(back, NULL);
    frame_decoder_free(&d);
    free(out);
}

static void test_encode_refusals(void **state)
{
    Thidua__V1__Envelope empty = THIDUA__V1__ENVELOPE__INIT;
    Thidua__V1__Error error = THIDUA__V1__ERROR__INIT;
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    frame_buf_t b;
    uint8_t *out = (uint8_t *)&b;
    size_t out_len = 7;
    char text[200];

    (void)state;
    memset(text, 'a', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    error.message = text;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_ERROR;
    env.error = &error;
    size_t size = protobuf_c_message_get_packed_size(&env.base);

    /* An Envelope with nothing set packs to 0 bytes: not a valid frame. */
    assert_int_equal(frame_encode(&empty.base, 0, &out, &out_len), TD_EZERO);
    assert_ptr_equal(out, (uint8_t *)&b);
    assert_int_equal(out_len, 7);
    assert_int_equal(frame_encode(&env.base, size - 1, &out, &out_len), TD_ETOOBIG);
    assert_int_equal(frame_encode(NULL, 0, &out, &out_len), TD_EINVAL);

    frame_buf_init(&b);
    assert_int_equal(frame_append(&b, &env.base, size), 0);
    size_t len = b.len;
    assert_int_equal(frame_append(&b, &env.base, size - 1), TD_ETOOBIG);
    assert_int_equal(frame_append(&b, &empty.base, 0), TD_EZERO);
#if SIZE_MAX > UINT32_MAX
    assert_int_equal(frame_append(&b, &env.base, FRAME_LIMIT_MAX + 1), TD_EINVAL);
#endif
    assert_int_equal(b.len, len); /* unchanged by the refusals */
    frame_buf_free(&b);
}

static void test_append_many_then_consume(void **state)
{
    Thidua__V1__Pong pong = THIDUA__V1__PONG__INIT;
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    frame_buf_t b;
    frame_decoder_t d;
    frame_t f;
    enum { N = 500 };

    (void)state;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_PONG;
    env.pong = &pong;
    frame_buf_init(&b);
    for (uint64_t i = 1; i <= N; i++) {
        env.request_id = i;
        pong.nonce = i * 3;
        assert_int_equal(frame_append(&b, &env.base, 0), 0);
    }
    assert_true(b.cap >= b.len);
    assert_int_equal(frame_decoder_init(&d, 0), 0);
    /* Write out the first 100 bytes, then the rest, as partial writes do. */
    assert_int_equal(frame_decoder_feed(&d, b.data, 100), 0);
    uint64_t want = 1;
    while (frame_decoder_next(&d, &f) == 1) {
        Thidua__V1__Envelope *e = thidua__v1__envelope__unpack(NULL, f.len, f.data);
        assert_non_null(e);
        assert_int_equal(e->request_id, want);
        want++;
        thidua__v1__envelope__free_unpacked(e, NULL);
    }
    frame_buf_consume(&b, 100);
    assert_int_equal(frame_decoder_feed(&d, b.data, b.len), 0);
    int rc;
    while ((rc = frame_decoder_next(&d, &f)) == 1) {
        Thidua__V1__Envelope *e = thidua__v1__envelope__unpack(NULL, f.len, f.data);
        assert_non_null(e);
        assert_int_equal(e->request_id, want);
        assert_int_equal(e->pong->nonce, want * 3);
        want++;
        thidua__v1__envelope__free_unpacked(e, NULL);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(want, N + 1);
    frame_buf_consume(&b, b.len);
    assert_int_equal(b.len, 0);
    frame_decoder_free(&d);
    frame_buf_free(&b);
}

/* A large response does not stay pinned to the connection's buffer. */
static void test_buf_shrinks_after_large_frame(void **state)
{
    Thidua__V1__Error error = THIDUA__V1__ERROR__INIT;
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    frame_buf_t b;
    char *text = malloc(200000);

    (void)state;
    assert_non_null(text);
    memset(text, 'x', 199999);
    text[199999] = '\0';
    error.message = text;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_ERROR;
    env.error = &error;
    frame_buf_init(&b);
    assert_int_equal(frame_append(&b, &env.base, 0), 0);
    assert_true(b.cap > FRAME_KEEP);
    frame_buf_consume(&b, b.len);
    assert_int_equal(b.cap, 0);
    frame_buf_free(&b);
    free(text);
}

static void test_strerror(void **state)
{
    (void)state;
    assert_string_equal(td_strerror(TD_EZERO), "frame length 0 is invalid");
    assert_string_equal(td_strerror(TD_ETOOBIG), "frame length exceeds the limit");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_at_every_offset),
        cmocka_unit_test(test_one_byte_feeds),
        cmocka_unit_test(test_one_byte_feeds_large_frame),
        cmocka_unit_test(test_many_frames_in_one_chunk),
        cmocka_unit_test(test_zero_length),
        cmocka_unit_test(test_length_max_and_max_plus_one),
        cmocka_unit_test(test_default_limit),
        cmocka_unit_test(test_two_gib_prefix),
        cmocka_unit_test(test_memory_follows_received_bytes),
        cmocka_unit_test(test_feed_before_drained),
        cmocka_unit_test(test_idle),
        cmocka_unit_test(test_detach),
        cmocka_unit_test(test_init_limits),
        cmocka_unit_test(test_encode_exact_and_decodes),
        cmocka_unit_test(test_encode_refusals),
        cmocka_unit_test(test_append_many_then_consume),
        cmocka_unit_test(test_buf_shrinks_after_large_frame),
        cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
