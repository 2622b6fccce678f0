/*
 * uuid.c - random version 4 UUIDs (RFC 9562, section 5.4) and their syntax.
 */
#include "uuid.h"

#include <openssl/rand.h>

static const char hex_digits[] = "0123456789abcdef";

/* Positions of the four hyphens in the canonical form. */
static int is_hyphen_pos(size_t i)
{
    return i == 8 || i == 13 || i == 18 || i == 23;
}

int uuid_v4(char out[UUID_STR_SIZE])
{
    unsigned char b[16];
    size_t o = 0;

    out[0] = '\0';
    if (RAND_bytes(b, (int)sizeof(b)) != 1)
        return TD_ERAND;
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80); /* variant 10xx */
    for (size_t i = 0; i < sizeof(b); i++) {
        if (is_hyphen_pos(o))
            out[o++] = '-';
        out[o++] = hex_digits[b[i] >> 4];
        out[o++] = hex_digits[b[i] & 0x0F];
    }
    out[o] = '\0';
    return TD_OK;
}

static int hex_lower(char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))
        return c;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 'a';
    return -1;
}

int uuid_parse(const char *in, char out[UUID_STR_SIZE], size_t *bad_pos)
{
    size_t i;

    for (i = 0; i < UUID_STR_LEN; i++) {
        int c = is_hyphen_pos(i) ? (in[i] == '-' ? '-' : -1) : hex_lower(in[i]);
        if (c < 0)
            break;
        out[i] = (char)c;
    }
    if (i == UUID_STR_LEN && in[i] == '\0') {
        out[i] = '\0';
        return TD_OK;
    }
    out[0] = '\0';
    if (bad_pos)
        *bad_pos = i;
    return TD_EFORMAT;
}
