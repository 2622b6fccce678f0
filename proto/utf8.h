/*
 * utf8.h - strict UTF-8 validation of wire strings.
 *
 * protobuf-c hands string fields over without looking at them, so every
 * string that arrives in a frame goes through utf8_check() first (see
 * wire.c). Strict means what RFC 3629 and Unicode's table 3-7 allow and
 * nothing else: no overlong forms, no UTF-16 surrogates (U+D800..U+DFFF),
 * nothing above U+10FFFF, no truncated sequence. NUL is valid UTF-8; callers
 * that refuse it check for it themselves.
 *
 * This is deliberately tiny and self-contained: proto/ does not depend on
 * common/, whose text module does normalisation and collation on top of
 * utf8_decode() (the project's only UTF-8 decoder).
 */
#ifndef THIDUA_UTF8_H
#define THIDUA_UTF8_H

#include <stddef.h>
#include <stdint.h>

#include "protodefs.h"

/*
 * Return 0 when s[0..len) is well-formed UTF-8, or -1 and set *bad_at (when
 * not NULL) to the offset of the first byte of the first ill-formed sequence.
 */
THIDUA_MUSTCHECK int utf8_check(const uint8_t *s, size_t len, size_t *bad_at);

/*
 * Decode the sequence at s[0] (n >= 1 bytes available): its length in bytes
 * (1 to 4) with the code point in *cp, or 0 when it is ill-formed or
 * truncated (then *cp is untouched).
 */
size_t utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);

#endif
