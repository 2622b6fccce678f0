/*
 * vi_words.h - how much a text looks like Vietnamese, to tell encodings apart.
 *
 * A file read in the wrong 8-bit encoding still decodes, into letters no
 * Vietnamese word holds ("NguyÔn", "V¨n", "Nguyeãn"). So each word that has
 * a non-ASCII character is judged: every character a Vietnamese letter, at
 * most one tone, no capital after a small letter, and a syllable's shape
 * (onset consonants, a vowel group Vietnamese has, a final consonant).
 * Words of plain ASCII say nothing about the encoding and are not counted.
 */
#ifndef THIDUA_CLIENT_VI_WORDS_H
#define THIDUA_CLIENT_VI_WORDS_H

#include <stddef.h>

typedef struct viword_count {
    size_t words;     /* words with a non-ASCII character */
    size_t plausible; /* of them, those that pass as Vietnamese syllables */
} viword_count_t;

/* Count the words of NFC UTF-8 text s[0..len) (ill-formed bytes end a word and spoil it). */
void viword_count(const char *s, size_t len, viword_count_t *out);

/* Whether one word (NFC UTF-8, no spaces) is a plausible Vietnamese syllable. */
int viword_plausible(const char *w, size_t len);

#endif
