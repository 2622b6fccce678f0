/*
 * benchstat.c - latency percentiles, peak memory, clocks (see benchstat.h).
 */
#include "benchstat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

void bench_lat_init(bench_lat_t *l)
{
    memset(l, 0, sizeof(*l));
}

void bench_lat_free(bench_lat_t *l)
{
    free(l->v);
    bench_lat_init(l);
}

static int bench_lat_reserve(bench_lat_t *l, size_t more)
{
    if (l->n + more <= l->cap)
        return 0;
    size_t cap = l->cap ? l->cap : 1024;
    while (cap < l->n + more)
        cap *= 2;
    bench_sample_t *v = realloc(l->v, cap * sizeof(*v));
    if (v == NULL)
        return -1;
    l->v = v;
    l->cap = cap;
    return 0;
}

int bench_lat_add(bench_lat_t *l, double ms, uint32_t weight)
{
    if (bench_lat_reserve(l, 1) != 0)
        return -1;
    l->v[l->n++] = (bench_sample_t){ms, weight};
    l->weight += weight;
    l->sorted = false;
    return 0;
}

int bench_lat_merge(bench_lat_t *to, bench_lat_t *from)
{
    if (from->n == 0)
        return 0;
    if (bench_lat_reserve(to, from->n) != 0)
        return -1;
    memcpy(to->v + to->n, from->v, from->n * sizeof(*from->v));
    to->n += from->n;
    to->weight += from->weight;
    to->sorted = false;
    bench_lat_free(from);
    return 0;
}

static int bench_sample_cmp(const void *a, const void *b)
{
    double x = ((const bench_sample_t *)a)->ms, y = ((const bench_sample_t *)b)->ms;
    return x < y ? -1 : x > y ? 1 : 0;
}

double bench_lat_quantile(bench_lat_t *l, double q)
{
    if (l->n == 0 || l->weight == 0)
        return 0;
    if (!l->sorted) {
        qsort(l->v, l->n, sizeof(*l->v), bench_sample_cmp);
        l->sorted = true;
    }
    /* The smallest sample at which the cumulative weight reaches q of the total. */
    double target = q * (double)l->weight;
    uint64_t seen = 0;
    for (size_t i = 0; i < l->n; i++) {
        seen += l->v[i].weight;
        if ((double)seen >= target)
            return l->v[i].ms;
    }
    return l->v[l->n - 1].ms;
}

double bench_lat_max(bench_lat_t *l)
{
    double m = 0;
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].ms > m)
            m = l->v[i].ms;
    return m;
}

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

long bench_peak_rss_kb(pid_t pid)
{
    char path[64], line[256];
    if (pid == 0)
        snprintf(path, sizeof(path), "/proc/self/status");
    else
        snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    long kb = -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "VmHWM:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

long bench_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0 && getrlimit(RLIMIT_NOFILE, &rl) != 0)
            return -1;
    }
    return rl.rlim_cur == RLIM_INFINITY ? -1 : (long)rl.rlim_cur;
}

double bench_cpu_seconds(pid_t pid)
{
    char path[64], buf[1024];
    if (pid == 0)
        snprintf(path, sizeof(path), "/proc/self/stat");
    else
        snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name may hold spaces and parentheses: fields start after the last ')'. */
    const char *p = strrchr(buf, ')');
    if (p == NULL)
        return -1;
    unsigned long utime = 0, stime = 0;
    /* state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime */
    if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
        return -1;
    long hz = sysconf(_SC_CLK_TCK);
    return hz > 0 ? (double)(utime + stime) / (double)hz : -1;
}

int bench_machine_cpu(double *busy, double *total)
{
    FILE *f = fopen("/proc/stat", "r");
    if (f == NULL)
        return -1;
    unsigned long long v[8] = {0};
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (n < 5)
        return -1;
    long hz = sysconf(_SC_CLK_TCK);
    if (hz <= 0)
        return -1;
    /* user nice system idle iowait irq softirq steal */
    unsigned long long all = 0;
    for (int i = 0; i < 8; i++)
        all += v[i];
    *total = (double)all / (double)hz;
    *busy = (double)(all - v[3] - v[4]) / (double)hz;
    return 0;
}
