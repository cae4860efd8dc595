#include "timeutil.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Howard Hinnant's days_from_civil algorithm, on 400-year eras. */
int64_t days_from_civil(int64_t year, unsigned month, unsigned day)
{
	int64_t y = year - (month <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}

void civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*day = doy - (153 * mp + 2) / 5 + 1;
	*month = mp < 10 ? mp + 3 : mp - 9;
	*year = (int64_t)yoe + era * 400 + (*month <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static void put_digits(char **p, unsigned v, int n)
{
	for (int i = n - 1; i >= 0; i--, v /= 10)
		(*p)[i] = (char)('0' + v % 10);
	*p += n;
}

void rfc3339_format(char out[RFC3339_SIZE], int64_t unix_ms)
{
	int64_t days = floor_div(unix_ms, 86400000);
	int64_t ms_of_day = unix_ms - days * 86400000;
	int64_t year;
	unsigned month, day;
	int h = (int)(ms_of_day / 3600000), m = (int)(ms_of_day / 60000 % 60), s = (int)(ms_of_day / 1000 % 60);
	int ms = (int)(ms_of_day % 1000);

	civil_from_days(days, &year, &month, &day);
	if (year >= 0 && year <= 9999) {
		/* Digit by digit: ledger replay formats one time per event to check its spelling. */
		char *p = out;
		put_digits(&p, (unsigned)year, 4);
		*p++ = '-';
		put_digits(&p, month, 2);
		*p++ = '-';
		put_digits(&p, day, 2);
		*p++ = 'T';
		put_digits(&p, (unsigned)h, 2);
		*p++ = ':';
		put_digits(&p, (unsigned)m, 2);
		*p++ = ':';
		put_digits(&p, (unsigned)s, 2);
		if (ms != 0) {
			*p++ = '.';
			put_digits(&p, (unsigned)ms, 3);
		}
		*p++ = 'Z';
		*p = '\0';
		return;
	}
	if (ms == 0)
		snprintf(out, RFC3339_SIZE, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)year, month, day, h, m, s);
	else
		snprintf(out, RFC3339_SIZE, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", (long long)year, month, day, h, m, s, ms);
}

/* Reads exactly n digits at *p. */
static int digits(const char **p, const char *end, int n, int *value)
{
	*value = 0;
	if (end - *p < n)
		return -1;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return -1;
		*value = *value * 10 + (c - '0');
	}
	*p += n;
	return 0;
}

static int expect(const char **p, const char *end, const char *chars)
{
	if (*p >= end || strchr(chars, **p) == NULL || **p == '\0')
		return -1;
	(*p)++;
	return 0;
}

static int fraction_ms(const char **p, const char *end, int *ms, const char **why)
{
	int n = 0;

	*ms = 0;
	if (*p >= end || **p != '.')
		return 0;
	for ((*p)++; *p < end && **p >= '0' && **p <= '9'; (*p)++, n++) {
		if (n < 3)
			*ms = *ms * 10 + (**p - '0');
		else if (**p != '0') {
			*why = "time has a fraction finer than a millisecond";
			return -1;
		}
	}
	if (n == 0) {
		*why = "time has an empty fraction";
		return -1;
	}
	for (; n < 3; n++)
		*ms *= 10;
	return 0;
}

int rfc3339_parse(int64_t *unix_ms, const char *text, size_t len, const char **why)
{
	const char *p = text, *end = text + len;
	int y, mo, d, h, mi, s, ms, oh = 0, om = 0, sign = 0;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	*why = "not an RFC 3339 time (want 2026-11-24T10:15:00Z)";
	if (digits(&p, end, 4, &y) || expect(&p, end, "-") || digits(&p, end, 2, &mo) || expect(&p, end, "-") ||
	    digits(&p, end, 2, &d) || expect(&p, end, "Tt ") || digits(&p, end, 2, &h) || expect(&p, end, ":") ||
	    digits(&p, end, 2, &mi) || expect(&p, end, ":") || digits(&p, end, 2, &s))
		return -1;
	if (fraction_ms(&p, end, &ms, why) < 0)
		return -1;
	if (p < end && (*p == 'Z' || *p == 'z')) {
		p++;
	} else if (p < end && (*p == '+' || *p == '-')) {
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, end, 2, &oh) || expect(&p, end, ":") || digits(&p, end, 2, &om))
			return -1;
	} else {
		*why = "time has no zone (end it with Z or an offset such as +01:00)";
		return -1;
	}
	if (p != end)
		return -1;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) ||
	    h > 23 || mi > 59 || s > 59 || oh > 23 || om > 59) {
		*why = "time is out of range";
		return -1;
	}
	int64_t secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + s;
	secs -= (int64_t)sign * (oh * 3600 + om * 60);
	*unix_ms = secs * 1000 + ms;
	return 0;
}

int duration_parse(int64_t *ms, const char *text)
{
	char *end;
	long long v;
	int64_t unit = 1000;

	if (text[0] < '0' || text[0] > '9')
		return -1;
	v = strtoll(text, &end, 10);
	if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
		unit = 1000;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		unit = 60000;
	else if (strcmp(end, "h") == 0)
		unit = 3600000;
	else if (strcmp(end, "d") == 0)
		unit = 86400000;
	else
		return -1;
	if (v <= 0 || v > INT64_MAX / unit)
		return -1;
	*ms = v * unit;
	return 0;
}

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int day_of_week(int64_t days)
{
	int64_t w = (days + 3) % 7;
	return (int)(w < 0 ? w + 7 : w);
}
