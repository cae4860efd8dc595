/*
 * timeutil.h — UTC time as hive writes it: RFC 3339 with a Z, slots aligned
 * to the Unix epoch, durations like "15m". No time zone database, no DST:
 * everything inside is UTC.
 *
 * Ownership: callers provide every buffer.
 */
#ifndef HIVE_TIMEUTIL_H
#define HIVE_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

#define RFC3339_SIZE 32   /* "2026-11-24T10:15:00.123Z" and a NUL, with room */

/* Days since 1970-01-01 of a proleptic Gregorian date (any year). */
int64_t days_from_civil(int64_t year, unsigned month, unsigned day);
/* The date of a day count from 1970-01-01. */
void civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day);
/* The day of the week of a day counted from 1970-01-01 (a Thursday): 0 = Monday … 6 = Sunday. */
int day_of_week(int64_t days);

/* Writes Unix milliseconds as "YYYY-MM-DDThh:mm:ssZ", with ".mmm" only when ms is not whole seconds. */
void rfc3339_format(char out[RFC3339_SIZE], int64_t unix_ms);
/*
 * Parses RFC 3339 ("2026-11-24T10:15:00Z", "…T10:15:00.5+01:00", 'T' or ' ',
 * 'z' accepted) into Unix milliseconds. Fractions beyond milliseconds must be
 * zero (no silent rounding). Returns 0, or -1 with *why set.
 */
int rfc3339_parse(int64_t *unix_ms, const char *text, size_t len, const char **why);
/*
 * Parses a duration: a whole number with an optional unit s, m, h or d
 * ("900", "15m", "1h"). Returns 0 and milliseconds, or -1.
 */
int duration_parse(int64_t *ms, const char *text);
/* The current time from the realtime clock, in Unix milliseconds. */
int64_t now_ms(void);
/* Milliseconds of a clock that never jumps (CLOCK_MONOTONIC): for timeouts, not for dates. */
int64_t monotonic_ms(void);

#endif
