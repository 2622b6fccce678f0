/*
 * uuid.h - record identifiers: random (version 4) UUIDs as text.
 *
 * A client names each record with a UUID when it creates it, offline, so the
 * identifier must be unique without asking anyone: 122 random bits from
 * OpenSSL's CSPRNG. The canonical form, used everywhere (wire, SQLite,
 * PostgreSQL text, logs), is 36 lowercase characters, 8-4-4-4-12.
 */
#ifndef THIDUA_UUID_H
#define THIDUA_UUID_H

#include <stddef.h>
#include "defs.h"
#include "error.h"

/*
 * Errors: negative TD_E* codes of error.h. This module returns:
 *   TD_ERAND   the random generator failed
 *   TD_EFORMAT not 8-4-4-4-12 hexadecimal digits
 */

/* Characters in the canonical form, and room for it with its NUL. */
#define UUID_STR_LEN 36
#define UUID_STR_SIZE 37

/* A new random version 4 UUID in canonical form. TD_ERAND: out is "" and must not be used. */
THIDUA_MUSTCHECK int uuid_v4(char out[UUID_STR_SIZE]);

/*
 * Check the syntax of a UUID (any version; upper or lower case digits; no
 * braces, no "urn:uuid:") and write its canonical lowercase form to out.
 * On TD_EFORMAT out is "" and *bad_pos (if not NULL) is the position,
 * counted from 0, of the first character that does not fit: where the string
 * ends if it is too short, UUID_STR_LEN if it is too long.
 */
THIDUA_MUSTCHECK int uuid_parse(const char *in, char out[UUID_STR_SIZE], size_t *bad_pos);

#endif
