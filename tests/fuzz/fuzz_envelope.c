/*
 * fuzz_envelope.c - fuzz target for envelope_unpack() (libFuzzer entry
 * point; replay.c runs the committed corpus through it in every build).
 *
 * Input: one frame payload. Beyond "no crash, no leak, no read out of
 * bounds", every outcome is checked: a refusal comes with its code and a
 * sentence; an accepted envelope has a body, is a consistent protobuf-c
 * message, and survives frame encode -> decode -> unpack -> pack unchanged
 * (its second unpack may only be refused for its budget, since packing can
 * shrink the bytes without shrinking the memory).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(c)                                                                              \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

/* Kept across inputs, as a connection keeps them across frames. */
static envelope_arena_t fuzz_arena, fuzz_arena2;
static int fuzz_ready;

static void fuzz_repack(const Thidua__V1__Envelope *env)
{
    uint8_t *buf;
    size_t len;
    frame_decoder_t d;
    frame_t f;
    Thidua__V1__Envelope *env2;
    envelope_error_t err;

    FUZZ_CHECK(frame_encode(&env->base, FRAME_LIMIT_MAX, &buf, &len) == 0);
    FUZZ_CHECK(frame_decoder_init(&d, FRAME_LIMIT_MAX) == 0);
    FUZZ_CHECK(frame_decoder_feed(&d, buf, len) == 0);
    FUZZ_CHECK(frame_decoder_next(&d, &f) == 1);
    FUZZ_CHECK(f.len + FRAME_HEADER_LEN == len);

    int rc = envelope_unpack(&fuzz_arena2, f.data, f.len, &env2, &err);
    FUZZ_CHECK(rc == 0 || rc == TD_EBUDGET);
    if (rc == 0) {
        FUZZ_CHECK(env2->body_case == env->body_case);
        FUZZ_CHECK(env2->request_id == env->request_id);
        size_t len2 = protobuf_c_message_get_packed_size(&env2->base);
        FUZZ_CHECK(len2 == f.len);
        uint8_t *again = malloc(len2);
        FUZZ_CHECK(again != NULL);
        FUZZ_CHECK(protobuf_c_message_pack(&env2->base, again) == len2);
        FUZZ_CHECK(memcmp(again, f.data, len2) == 0);
        free(again);
    }
    FUZZ_CHECK(frame_decoder_next(&d, &f) == 0);
    frame_decoder_free(&d);
    free(buf);
    envelope_arena_reset(&fuzz_arena2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Thidua__V1__Envelope *env;
    envelope_error_t err;

    if (!fuzz_ready) {
        envelope_arena_init(&fuzz_arena);
        envelope_arena_init(&fuzz_arena2);
        fuzz_ready = 1;
    }
    int rc = envelope_unpack(&fuzz_arena, data, size, &env, &err);
    if (rc < 0) {
        FUZZ_CHECK(env == NULL);
        FUZZ_CHECK(err.code == rc);
        FUZZ_CHECK(err.message[0] != '\0');
        FUZZ_CHECK(memchr(err.message, '\0', sizeof(err.message)) != NULL);
        FUZZ_CHECK(envelope_arena_held(&fuzz_arena) <= ENVELOPE_ARENA_KEEP);
        return 0;
    }
    FUZZ_CHECK(rc == 0 && env != NULL);
    FUZZ_CHECK(env->body_case != THIDUA__V1__ENVELOPE__BODY__NOT_SET);
    FUZZ_CHECK(protobuf_c_message_check(&env->base));
    FUZZ_CHECK(strcmp(envelope_body_name(env->body_case), "unknown") != 0);
    fuzz_repack(env);
    envelope_arena_reset(&fuzz_arena);
    FUZZ_CHECK(envelope_arena_held(&fuzz_arena) <= ENVELOPE_ARENA_KEEP);
    return 0;
}
