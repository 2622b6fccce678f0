/*
 * benchstat.h - what the benchmarks measure and how they print it: latency
 * samples with weights, percentiles, peak memory of a process, clocks.
 *
 * A push of B records answered after t ms gives each of its B records a
 * latency of t: a sample carries a weight so that percentiles are per record
 * (or per ping) without storing B copies.
 */
#ifndef THIDUA_BENCHSTAT_H
#define THIDUA_BENCHSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "defs.h"

typedef struct {
    double ms;
    uint32_t weight;
} bench_sample_t;

/* Latency samples. Owns v (malloc'd). */
typedef struct {
    bench_sample_t *v;
    size_t n, cap;
    uint64_t weight; /* sum of the weights */
    bool sorted;
} bench_lat_t;

void bench_lat_init(bench_lat_t *l);
void bench_lat_free(bench_lat_t *l);
/* Add one sample; returns 0 or -1 when out of memory. */
THIDUA_MUSTCHECK int bench_lat_add(bench_lat_t *l, double ms, uint32_t weight);
/* Move every sample of from into to (from is emptied); 0 or -1 when out of memory. */
THIDUA_MUSTCHECK int bench_lat_merge(bench_lat_t *to, bench_lat_t *from);
/* The weighted q-quantile (0 < q <= 1) in ms; 0 when there is no sample. Sorts l. */
double bench_lat_quantile(bench_lat_t *l, double q);
double bench_lat_max(bench_lat_t *l);

/* Monotonic time in seconds. */
double bench_now(void);

/*
 * Peak resident set size of a process in KiB (VmHWM in /proc/PID/status), pid
 * 0 for this process; -1 when it cannot be read (the process is gone, or no
 * /proc).
 */
long bench_peak_rss_kb(pid_t pid);

/*
 * CPU time (user + system) a process has used, in seconds, pid 0 for this
 * process; -1 when it cannot be read.
 */
double bench_cpu_seconds(pid_t pid);

/*
 * Busy and total CPU time of the whole machine so far (all CPUs, seconds,
 * from /proc/stat): the share of busy time over an interval says whether the
 * machine was saturated. Returns 0, or -1 without /proc/stat.
 */
THIDUA_MUSTCHECK int bench_machine_cpu(double *busy, double *total);

/* Raise the soft limit of open files to the hard limit; returns the new soft limit. */
long bench_raise_nofile(void);

#endif
