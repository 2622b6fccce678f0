/*
 * date.h - calendar dates as day numbers.
 *
 * A date is an int32_t counting days since 1970-01-01 (negative before), in
 * the proleptic Gregorian calendar, for years 1 to 9999: comparing dates is
 * comparing integers, and a date has no time zone. The wire, the files and
 * the command line use ISO 8601 (2024-09-02); people read 02/09/2024. The
 * date "today" is the date in Viet Nam (UTC+7, no daylight saving time).
 */
#ifndef THIDUA_DATE_H
#define THIDUA_DATE_H

#include <stdint.h>
#include "defs.h"
#include "error.h"

/*
 * Errors: negative TD_E* codes of error.h. This module returns:
 *   TD_EFORMAT not the expected shape (YYYY-MM-DD, DD/MM/YYYY)
 *   TD_EYEAR   year outside DATE_MIN_YEAR..DATE_MAX_YEAR
 *   TD_EMONTH  month outside 1..12
 *   TD_EDAY    no such day in that month
 *   TD_ERANGE  day number outside the years this module handles
 */

/* A date broken down; month and day count from 1. */
typedef struct {
    int year;
    int month;
    int day;
} date_ymd_t;

#define DATE_MIN_YEAR 1
#define DATE_MAX_YEAR 9999
/* Room for "YYYY-MM-DD" or "DD/MM/YYYY" and the final NUL. */
#define DATE_STR_SIZE 11

/* 1 for a Gregorian leap year, else 0. */
int date_is_leap(int year);

/* 28 to 31, or 0 if month is not 1..12. */
int date_days_in_month(int year, int month);

/* Day number of a calendar date; TD_EYEAR, TD_EMONTH or TD_EDAY if it does not exist. */
THIDUA_MUSTCHECK int date_from_ymd(int year, int month, int day, int32_t *days);

/* Calendar date of a day number; TD_ERANGE outside years 1..9999. */
THIDUA_MUSTCHECK int date_to_ymd(int32_t days, date_ymd_t *ymd);

/*
 * Parse exactly "YYYY-MM-DD" (ASCII digits, nothing before or after).
 * On success *days is the day number. On TD_EYEAR, TD_EMONTH or TD_EDAY
 * *ymd (if not NULL) holds the numbers read, so that a message can name them;
 * on TD_EFORMAT it is zeroed.
 */
THIDUA_MUSTCHECK int date_parse_iso(const char *s, int32_t *days, date_ymd_t *ymd);

/*
 * Parse the Vietnamese "DD/MM/YYYY", as found in spreadsheets: day and month
 * have one or two digits ("2/9/2024" is accepted), the year four. Results and
 * errors as date_parse_iso().
 */
THIDUA_MUSTCHECK int date_parse_vn(const char *s, int32_t *days, date_ymd_t *ymd);

/* "YYYY-MM-DD" into out; TD_ERANGE (and out = "") outside years 1..9999. */
THIDUA_MUSTCHECK int date_format_iso(int32_t days, char out[DATE_STR_SIZE]);

/* "DD/MM/YYYY" into out; TD_ERANGE (and out = "") outside years 1..9999. */
THIDUA_MUSTCHECK int date_format_vn(int32_t days, char out[DATE_STR_SIZE]);

/* The date in Viet Nam at a POSIX time (seconds since 1970-01-01 UTC). */
int32_t date_from_unix_vn(int64_t unix_seconds);

/* Today's date in Viet Nam. */
int32_t date_today_vn(void);

#endif
