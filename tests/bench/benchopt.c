/*
 * benchopt.c - command-line pieces of the benchmarks (benchopt.h).
 */
#include "benchopt.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

int benchopt_number(const char *prog, const char *name, const char *s, uint64_t min, uint64_t max,
                    uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (s[0] == '\0' || s[0] == '-' || *end != '\0' || errno != 0 || v < min || v > max) {
        fprintf(stderr, "%s: %s must be a number from %" PRIu64 " to %" PRIu64 "\n", prog, name,
                min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int benchopt_choice(const char *prog, const char *name, const char *s, const char *const *names,
                    size_t n, unsigned *out)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (unsigned)i;
            return 0;
        }
    }
    fprintf(stderr, "%s: %s must be ", prog, name);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i]);
    fputc('\n', stderr);
    return -1;
}

int benchopt_operands(const char *prog, int argc, char **argv)
{
    if (optind >= argc)
        return 0;
    fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
    return -1;
}

int benchopt_seed(const char *prog, bool seeded, uint64_t *seed)
{
    if (seeded || RAND_bytes((unsigned char *)seed, sizeof(*seed)) == 1)
        return 0;
    fprintf(stderr, "%s: no random seed\n", prog);
    return -1;
}
