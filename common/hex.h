/*
 * hex.h - bytes written as lowercase hexadecimal: certificate fingerprints,
 * migration checksums, record hashes, the console's secrets.
 */
#ifndef THIDUA_COMMON_HEX_H
#define THIDUA_COMMON_HEX_H

#include <stddef.h>

/* The n bytes of in as 2n lowercase hex digits and a NUL into out (2n + 1 bytes). */
void hex_encode(const unsigned char *in, size_t n, char *out);

#endif
