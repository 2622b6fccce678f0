/*
 * date.c - calendar dates as day numbers, ISO and Vietnamese forms.
 *
 * The C library's mktime/strptime depend on the process's time zone and
 * locale and accept more than we want (strptime takes "2024-1-5" and
 * "2025-02-30"), so dates are parsed and counted here, by hand, strictly.
 */
#include "date.h"

#include <string.h>
#include <time.h>

/* Viet Nam keeps UTC+7 all year. */
#define DATE_VN_OFFSET_SECONDS (7 * 3600)
#define DATE_SECONDS_PER_DAY 86400

/* Days in the months before month m (index m - 1) of a common year. */
static const int days_before_month[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};

int date_is_leap(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int date_days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (month < 1 || month > 12)
        return 0;
    return days[month - 1] + (month == 2 && date_is_leap(year));
}

/* Days from 0001-01-01 to the first of January of year y (y >= 1). */
static int64_t days_before_year(int64_t y)
{
    int64_t p = y - 1;

    return p * 365 + p / 4 - p / 100 + p / 400;
}

/* Days from 0001-01-01 to 1970-01-01. */
#define DATE_EPOCH_OFFSET 719162

int date_from_ymd(int year, int month, int day, int32_t *days)
{
    int64_t n;

    if (year < DATE_MIN_YEAR || year > DATE_MAX_YEAR)
        return TD_EYEAR;
    if (month < 1 || month > 12)
        return TD_EMONTH;
    if (day < 1 || day > date_days_in_month(year, month))
        return TD_EDAY;
    n = days_before_year(year) + days_before_month[month - 1] + (month > 2 && date_is_leap(year)) +
        (day - 1);
    *days = (int32_t)(n - DATE_EPOCH_OFFSET);
    return TD_OK;
}

int date_to_ymd(int32_t days, date_ymd_t *ymd)
{
    int64_t n = (int64_t)days + DATE_EPOCH_OFFSET; /* days since 0001-01-01 */
    int64_t y, doy;
    int m;

    if (n < 0 || n >= days_before_year(DATE_MAX_YEAR + 1))
        return TD_ERANGE;
    /* 146097 days in 400 years: a guess within a year or so, then corrected. */
    y = n * 400 / 146097 + 1;
    while (y > DATE_MIN_YEAR && days_before_year(y) > n)
        y--;
    while (days_before_year(y + 1) <= n)
        y++;
    doy = n - days_before_year(y);
    for (m = 12; m > 1; m--) {
        if (days_before_month[m - 1] + (m > 2 && date_is_leap((int)y)) <= doy)
            break;
    }
    ymd->year = (int)y;
    ymd->month = m;
    ymd->day = (int)(doy - days_before_month[m - 1] - (m > 2 && date_is_leap((int)y))) + 1;
    return TD_OK;
}

/* Read exactly n ASCII digits at s; -1 if one is not a digit. */
static int read_digits(const char *s, int n)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int finish_parse(int year, int month, int day, int32_t *days, date_ymd_t *ymd)
{
    int rc = date_from_ymd(year, month, day, days);

    if (ymd) {
        ymd->year = year;
        ymd->month = month;
        ymd->day = day;
    }
    return rc;
}

int date_parse_iso(const char *s, int32_t *days, date_ymd_t *ymd)
{
    int y, m, d;

    if (ymd)
        memset(ymd, 0, sizeof(*ymd));
    if (strnlen(s, 11) != 10 || s[4] != '-' || s[7] != '-')
        return TD_EFORMAT;
    y = read_digits(s, 4);
    m = read_digits(s + 5, 2);
    d = read_digits(s + 8, 2);
    if (y < 0 || m < 0 || d < 0)
        return TD_EFORMAT;
    return finish_parse(y, m, d, days, ymd);
}

/* One or two digits at *s, then the separator sep; advances *s past it. -1 if not so. */
static int read_part(const char **s, char sep)
{
    const char *p = *s;
    int n = 0;

    while (n < 2 && p[n] >= '0' && p[n] <= '9')
        n++;
    if (n == 0 || p[n] != sep)
        return -1;
    *s = p + n + 1;
    return read_digits(p, n);
}

int date_parse_vn(const char *s, int32_t *days, date_ymd_t *ymd)
{
    const char *p = s;
    int y, m, d;

    if (ymd)
        memset(ymd, 0, sizeof(*ymd));
    d = read_part(&p, '/');
    if (d < 0)
        return TD_EFORMAT;
    m = read_part(&p, '/');
    if (m < 0 || strnlen(p, 5) != 4)
        return TD_EFORMAT;
    y = read_digits(p, 4);
    if (y < 0)
        return TD_EFORMAT;
    return finish_parse(y, m, d, days, ymd);
}

/* Write v as exactly n decimal digits (v fits). */
static char *put_digits(char *out, int v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return out + n;
}

int date_format_iso(int32_t days, char out[DATE_STR_SIZE])
{
    date_ymd_t t;
    char *p = out;

    out[0] = '\0';
    if (date_to_ymd(days, &t) != TD_OK)
        return TD_ERANGE;
    p = put_digits(p, t.year, 4);
    *p++ = '-';
    p = put_digits(p, t.month, 2);
    *p++ = '-';
    p = put_digits(p, t.day, 2);
    *p = '\0';
    return TD_OK;
}

int date_format_vn(int32_t days, char out[DATE_STR_SIZE])
{
    date_ymd_t t;
    char *p = out;

    out[0] = '\0';
    if (date_to_ymd(days, &t) != TD_OK)
        return TD_ERANGE;
    p = put_digits(p, t.day, 2);
    *p++ = '/';
    p = put_digits(p, t.month, 2);
    *p++ = '/';
    p = put_digits(p, t.year, 4);
    *p = '\0';
    return TD_OK;
}

int32_t date_from_unix_vn(int64_t unix_seconds)
{
    int64_t local = unix_seconds + DATE_VN_OFFSET_SECONDS;
    int64_t day = local / DATE_SECONDS_PER_DAY;

    /* Division truncates toward zero; dates before 1970 need the floor. */
    if (local % DATE_SECONDS_PER_DAY < 0)
        day--;
    return (int32_t)day;
}

int32_t date_today_vn(void)
{
    struct timespec now;

    if (clock_gettime(CLOCK_REALTIME, &now) != 0)
        now.tv_sec = time(NULL);
    return date_from_unix_vn((int64_t)now.tv_sec);
}
