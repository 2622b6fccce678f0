/*
 * encoding.h - an imported file's bytes to NFC UTF-8, whatever Vietnamese
 * encoding the office saved it in.
 *
 * UTF-8 (with or without its byte order mark) is what we ask for; Excel on a
 * Vietnamese Windows saves "CSV" in Windows-1258, whose tones are often
 * combining marks after the letter; offices that began before Unicode keep
 * TCVN3 (ABC) and VNI files. Valid UTF-8 is taken as UTF-8; otherwise every
 * other encoding is tried and the one whose words look Vietnamese
 * (vi_words.h) wins, clearly or not at all.
 */
#ifndef THIDUA_CLIENT_ENCODING_H
#define THIDUA_CLIENT_ENCODING_H

#include <stddef.h>

#include "defs.h"
#include "error.h"

typedef enum {
    ENC_AUTO = 0,
    ENC_UTF8,
    ENC_CP1258,
    ENC_TCVN3,
    ENC_VNI,
    ENC_COUNT,
} enc_t;

/* What detection saw of each encoding. */
typedef struct enc_guess {
    int decodes[ENC_COUNT];    /* the bytes are valid in it */
    size_t words[ENC_COUNT];     /* words with a non-ASCII letter once decoded */
    size_t plausible[ENC_COUNT]; /* of them, plausible Vietnamese */
} enc_guess_t;

/* The encoding --encoding names ("utf-8", "cp1258", "tcvn3", "vni", and usual spellings), or -1. */
int enc_by_name(const char *name);

/* The name to show: "UTF-8", "Windows-1258", "TCVN3", "VNI". */
const char *enc_name(enc_t e);

/*
 * Decode in[0..len) from e (not ENC_AUTO) to NFC UTF-8 without a byte order
 * mark: *out is a new NUL-terminated string (the caller frees it), *out_len
 * its length. Returns TD_OK; TD_EUTF8, TD_ENUL or TD_ECHARSET with *bad the
 * offset of the first byte that is not text in e; TD_EHUGE, TD_ENOMEM,
 * TD_EICU.
 */
THIDUA_MUSTCHECK int enc_decode(enc_t e, const char *in, size_t len, char **out, size_t *out_len,
                                size_t *bad);

/*
 * Tell the encoding of in[0..len): TD_OK with *e set, or TD_EUNSURE when no
 * encoding decodes it into Vietnamese clearly better than the others; g (if
 * not NULL) says what each looked like. TD_ENOMEM, TD_EICU.
 */
THIDUA_MUSTCHECK int enc_detect(const char *in, size_t len, enc_t *e, enc_guess_t *g);

#endif
