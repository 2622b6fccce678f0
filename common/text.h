/*
 * text.h - Unicode text at the edge: strict UTF-8, NFC, Vietnamese comparison
 * keys and Vietnamese collation.
 *
 * Districts type names with different input methods, so the same name can
 * arrive composed (NFC), decomposed (NFD) or with the tone mark on another
 * vowel ("Thủy" / "Thuỷ"). Every text field is normalised once, where it
 * enters the program (text_normalize); names are compared through fold keys
 * (text_fold_key, text_fold_loose) and sorted with ICU's Vietnamese collator
 * (text_collate, text_sort_key).
 *
 * Errors are negative TD_E* codes (error.h). Output strings are allocated with
 * malloc() and owned by the caller, who frees them with free().
 */
#ifndef THIDUA_TEXT_H
#define THIDUA_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include "defs.h"
#include "error.h"

/*
 * Errors: negative TD_E* codes of error.h. This module returns:
 *   TD_ENOMEM     out of memory
 *   TD_EICU       ICU failed (missing data, internal error)
 *   TD_EHUGE      input longer than TEXT_MAX_BYTES
 *   TD_ENUL       a NUL byte inside the text
 *   TD_ECONTROL   C0 or C1 control character, or DEL
 *   TD_ELINEBREAK a line break in a single-line field
 *   TD_ENONCHAR   a noncharacter (U+FFFE, U+FFFF, U+FDD0..U+FDEF, ...)
 *   TD_EBIDI      a bidirectional embedding, override or isolate control
 *   TD_EEMPTY     nothing left after trimming, and the field needs text
 *   TD_ESHORT     fewer characters than rules->min_chars
 *   TD_ELONG      more characters than rules->max_chars
 */

/* No single field may be longer than this many bytes before normalisation (ICU counts in int32). */
#define TEXT_MAX_BYTES (16u * 1024u * 1024u)


/*
 * Check that s[0..len) is well-formed UTF-8 (Unicode 15, table 3-7): no
 * overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no
 * truncated sequence, no stray continuation byte, and no NUL byte.
 * Returns TD_OK, TD_EUTF8 or TD_ENUL; on error *bad_offset (if not NULL)
 * is the byte offset, counted from 0, where the first ill-formed sequence (or
 * the NUL) starts.
 */
THIDUA_MUSTCHECK int text_utf8_check(const char *s, size_t len, size_t *bad_offset);

/* text_rules_t.flags */
#define TEXT_MULTILINE 0x1u /* allow '\n' and '\t'; CRLF, CR, U+2028, U+2029 become '\n' */

/* What a text field must look like once normalised. */
typedef struct {
    unsigned flags;   /* TEXT_MULTILINE or 0 */
    size_t min_chars; /* at least this many code points after NFC and trimming (0: may be empty) */
    size_t max_chars; /* at most this many code points after NFC and trimming (0: no bound) */
} text_rules_t;

/*
 * Where and why text_normalize() refused its input. Which members are
 * meaningful depends on the error returned.
 */
typedef struct {
    size_t offset; /* TD_EUTF8, TD_ENUL: byte offset (from 0) of the first bad byte */
    size_t index;  /* ECONTROL, ELINEBREAK, ENONCHAR, EBIDI: character position (from 1) in the
                      input as received, before normalisation and trimming */
    uint32_t cp;   /* ECONTROL, ELINEBREAK, ENONCHAR, EBIDI: the refused code point */
    size_t count;  /* EEMPTY, ESHORT, ELONG: code points after NFC and trimming;
                      EHUGE: the input's length in bytes */
} text_problem_t;

/*
 * Normalise one text field as it enters the program: check UTF-8 strictly,
 * refuse control characters, noncharacters and bidi controls (see
 * TEXT_MULTILINE for line breaks and tabs), convert to NFC, trim Unicode
 * white space (including U+00A0) at both ends, and check the length in code
 * points against rules. On success *out is a new NUL-terminated string (the
 * caller frees it) and *out_len (if not NULL) its length in bytes. On error
 * *out is NULL and *why (if not NULL) says where.
 */
THIDUA_MUSTCHECK int text_normalize(const char *in, size_t len, const text_rules_t *rules,
                                    char **out, size_t *out_len, text_problem_t *why);

/* Largest input of text_nfc(): a whole imported file, decoded (ICU counts in int32). */
#define TEXT_NFC_MAX_BYTES (512u * 1024u * 1024u)

/*
 * Convert valid UTF-8 s[0..len) to NFC, nothing else: no trimming, no
 * refusal of control characters or line breaks (for a whole file that is
 * split into fields afterwards). *out is a new NUL-terminated string and
 * *out_len (if not NULL) its length. Returns TD_OK, TD_EUTF8, TD_ENUL,
 * TD_EHUGE, TD_ENOMEM or TD_EICU.
 */
THIDUA_MUSTCHECK int text_nfc(const char *in, size_t len, char **out, size_t *out_len);

/*
 * Comparison key for duplicate detection: two spellings of one Vietnamese name
 * give the same key. The key is in NFC, lowercase, with white space runs
 * collapsed to one U+0020 and trimmed, and default-ignorable characters
 * (zero-width space, soft hyphen, LRM, ...) removed. The tone mark of each
 * syllable (grave, acute, hook above, tilde, dot below) is moved to the end of
 * the syllable, a syllable being a run of letters and marks:
 *   "Thủy", "Thuỷ"  -> "thuỷ"          (hook above after 'y')
 *   "Hòa", "hoà"    -> "hoà"
 *   "Nguyễn"        -> "nguyêñ"        ('n' + tilde, composed by NFC)
 *   "Quỳnh"         -> "quynh\u0300"  (no precomposed h-grave: stays combining)
 * Vowel-quality marks (breve, circumflex, horn) stay on their letter, and đ
 * stays đ. The key is for comparing, not for showing to people.
 * The input must be valid UTF-8 (TD_EUTF8/TD_ENUL otherwise).
 */
THIDUA_MUSTCHECK int text_fold_key(const char *in, size_t len, char **out);

/*
 * Looser key: lowercase, all combining marks dropped, đ mapped to d, white
 * space collapsed as above. "Nguyễn Thị Thuỷ" -> "nguyen thi thuy".
 */
THIDUA_MUSTCHECK int text_fold_loose(const char *in, size_t len, char **out);

/*
 * Uppercase in Vietnamese ("Thành phố Cần Thơ" -> "THÀNH PHỐ CẦN THƠ"), as
 * official documents write the issuing body. The input must be valid UTF-8;
 * *out is a new NUL-terminated string. TD_OK, TD_EUTF8, TD_ENOMEM, TD_EICU.
 */
THIDUA_MUSTCHECK int text_upper(const char *in, size_t len, char **out);

/*
 * Open ICU's Vietnamese collator ("vi"). Collation functions open it on
 * first use, so calling this is optional, but a program should call it at
 * start-up to find out early that ICU's data is missing. Thread-safe,
 * idempotent. Returns TD_OK or TD_EICU.
 */
THIDUA_MUSTCHECK int text_init(void);

/*
 * Close the collator. Call once at exit, when no other thread uses text_
 * functions; a later collation opens it again. (Tests also call ICU's
 * u_cleanup() afterwards so that leak checkers see no ICU caches.)
 */
void text_cleanup(void);

/*
 * Compare two NUL-terminated UTF-8 strings in Vietnamese order, like strcmp:
 * a < ă < â, d < đ, e < ê, o < ô < ơ, u < ư at the primary level; tones
 * (none, huyền, hỏi, ngã, sắc, nặng) secondary; case tertiary. If the
 * collator cannot be opened, falls back to byte order (text_init() reports
 * that failure).
 */
int text_collate(const char *a, const char *b);

/*
 * Compare people's names by given name (the last word), then by the whole
 * name, both in Vietnamese order: "Trần Văn An" < "Lê Thị Bình" < "Nguyễn Văn
 * Bình".
 */
int text_collate_given_name(const char *a, const char *b);

/*
 * Binary sort key of s[0..len) (valid UTF-8) for the Vietnamese collator:
 * comparing two keys with text_sort_key_cmp() (or strcmp(): a key ends in its
 * only 0 byte) gives the order of text_collate(). *key is allocated (the
 * caller frees it); *key_len counts the final 0 byte.
 */
THIDUA_MUSTCHECK int text_sort_key(const char *s, size_t len, uint8_t **key, size_t *key_len);

/* Same, for the order of text_collate_given_name(). Contains 0 bytes: use text_sort_key_cmp(). */
THIDUA_MUSTCHECK int text_sort_key_given_name(const char *s, size_t len, uint8_t **key,
                                              size_t *key_len);

/* Order of two sort keys: memcmp() over the shorter, then the shorter first. */
int text_sort_key_cmp(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len);

#endif
