/*
 * benchgen.h - realistic nominations for the benchmarks, made the way a
 * district client makes them.
 *
 * A benchmark that pushes tiny or invalid records measures the wrong thing:
 * the server would reject them early, or the database would store less than
 * it does in use. So every record here has a Vietnamese name (NFC, with tone
 * marks), a title and a summary of a few sentences, a category and an award
 * form the campaign allows for its nominee kind, and dates inside the
 * campaign's window; it goes through record_from_proto() and
 * record_check_campaign() like a client's record, and carries its content
 * hash.
 *
 * The campaign comes from the server's Welcome (thidua-load) or from the
 * database (thidua-direct), never from constants, so the generator follows
 * the seed data. Records are a pure function of (seed, stream, index): a
 * re-run with the same seed pushes the same UUIDs and content, which the
 * server acknowledges as DUPLICATE.
 */
#ifndef THIDUA_BENCHGEN_H
#define THIDUA_BENCHGEN_H

#include <stddef.h>
#include <stdint.h>

#include "defs.h"
#include "record.h"
#include "thidua.pb-c.h"

/* A small, fast, reproducible generator (splitmix64 seeding, xoshiro256**). */
typedef struct {
    uint64_t s[4];
} benchgen_rng_t;

void benchgen_rng_seed(benchgen_rng_t *r, uint64_t seed, uint64_t stream);
uint64_t benchgen_rng_next(benchgen_rng_t *r);
/* Uniform in [0, n); n > 0. */
uint32_t benchgen_rng_below(benchgen_rng_t *r, uint32_t n);

/*
 * One stream of records for one unit. Borrows campaign and org_unit (they
 * must outlive the generator); owns nothing else.
 */
typedef struct {
    const Thidua__V1__Campaign *campaign;
    const char *org_unit;
    int32_t first_day, last_day; /* the campaign window, inclusive */
    benchgen_rng_t rng;
} benchgen_t;

/*
 * Prepare a stream: (seed, stream) select the sequence of records. Fails
 * (-1, err set) when the campaign has no usable window, no category, or no
 * award form for some nominee kind.
 */
THIDUA_MUSTCHECK int benchgen_init(benchgen_t *g, const Thidua__V1__Campaign *campaign,
                                   const char *org_unit, uint64_t seed, uint64_t stream, char *err,
                                   size_t errlen);

/*
 * The next record, validated and normalised (record_free() it), and its
 * content hash. Returns 0, or -1 with err set if the generator made a record
 * the shared validation refuses (a bug here or a rule changed there).
 */
THIDUA_MUSTCHECK int benchgen_record(benchgen_t *g, record_t *out, uint8_t hash[RECORD_HASH_LEN],
                                     char *err, size_t errlen);

#endif
