/*
 * benchopt.h - the command-line pieces thidua-load and thidua-direct share:
 * bounded numbers, a choice among names, no stray operand, and the seed that
 * is random unless given.
 *
 * Each function prints its complaint as "PROG: ..." on stderr and returns -1,
 * so that a parser only returns; the messages are the same in both programs.
 */
#ifndef THIDUA_BENCHOPT_H
#define THIDUA_BENCHOPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "defs.h"

/* s as a whole number in [min, max] for option name ("--count"). 0, or -1. */
THIDUA_MUSTCHECK int benchopt_number(const char *prog, const char *name, const char *s,
                                     uint64_t min, uint64_t max, uint64_t *out);

/* s as the index of one of the n names ("--mode must be ping, push or pull"). 0, or -1. */
THIDUA_MUSTCHECK int benchopt_choice(const char *prog, const char *name, const char *s,
                                     const char *const *names, size_t n, unsigned *out);

/* After getopt: nothing but options on the command line (argv[optind] on). 0, or -1. */
THIDUA_MUSTCHECK int benchopt_operands(const char *prog, int argc, char **argv);

/* A random *seed unless the command line gave one (seeded). 0, or -1. */
THIDUA_MUSTCHECK int benchopt_seed(const char *prog, bool seeded, uint64_t *seed);

#endif
