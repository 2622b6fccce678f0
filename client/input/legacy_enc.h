/*
 * legacy_enc.h - the two 8-bit Vietnamese font encodings that iconv does not
 * know, as offices that began before Unicode still write them.
 *
 * TCVN3 (ABC) is TCVN 5712:1993: one byte per letter. Its VN3 subset (what
 * the .Vn fonts hold) has every lower-case letter with its tone but only the
 * plain capitals; the capitals with a tone sit where VN1 puts them (0x80-0x9F,
 * a few holes of VN3, and C0 positions that a CSV cannot otherwise hold), so
 * all are read. VNI-Windows writes a letter as an ASCII vowel followed by one
 * byte that carries the vowel mark and the tone together ("a" 0xE1 is "ấ"),
 * apart from a few letters of their own byte (đ, ơ, ư, the toned i, ỵ).
 *
 * Both decoders are tables; they produce UTF-8 that is not yet NFC (VNI
 * comes out as base letters and combining marks): the caller normalises.
 */
#ifndef THIDUA_CLIENT_LEGACY_ENC_H
#define THIDUA_CLIENT_LEGACY_ENC_H

#include <stddef.h>

#include "defs.h"
#include "error.h"
#include "strbuf.h"

typedef enum {
    LEGENC_TCVN3 = 0,
    LEGENC_VNI,
} legenc_t;

/*
 * Append the UTF-8 of in[0..len) in encoding e to out. Returns TD_OK,
 * TD_ECHARSET with *bad (if not NULL) the offset of the first byte the
 * encoding does not define there (a VNI mark after a letter it cannot sit
 * on, a hole of the table, a NUL), or TD_ENOMEM.
 */
THIDUA_MUSTCHECK int legenc_decode(legenc_t e, const char *in, size_t len, strbuf_t *out,
                                   size_t *bad);

#endif
