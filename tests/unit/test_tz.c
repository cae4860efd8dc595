/*
 * Time zones: offsets and day starts around DST changes in both
 * hemispheres, zones whose change skips or repeats local midnight, POSIX
 * rules against their IANA zones, which of the two tz_load_any picks,
 * refusals, dates. The expected instants come from `zdump -v` (tzdata
 * 2025b) and are written out here; day starts are also checked against
 * glibc's localtime_r over two centuries. Needs the system's zoneinfo, as
 * test_tariff does.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "timeutil.h"
#include "tz.h"

#define ZURICH_POSIX "CET-1CEST,M3.5.0,M10.5.0/3"
#define HOUR 3600

/* Each zone of the tests with the POSIX rule its TZif footer holds. */
static const struct {
	const char *name, *posix;
} rules[] = {
	{ "Europe/Zurich", ZURICH_POSIX },
	{ "America/Santiago", "<-04>4<-03>,M9.1.6/24,M4.1.6/24" },   /* DST starts at Saturday 24:00 */
	{ "America/Havana", "CST5CDT,M3.2.0/0,M11.1.0/1" },          /* at 00:00, back at 01:00 */
	{ "Asia/Beirut", "EET-2EEST,M3.5.0/0,M10.5.0/0" },
	{ "Australia/Sydney", "AEST-10AEDT,M10.1.0,M4.1.0/3" },
	{ "UTC", "UTC0" },
};
#define NRULES (sizeof rules / sizeof rules[0])

static struct tz *load(int (*loader)(struct tz **, const char *, const char **), const char *spec)
{
	struct tz *z = NULL;
	const char *why = "";

	if (loader(&z, spec, &why) < 0)
		printf("cannot load '%s': %s\n", spec, why);
	CHECK(z != NULL);
	return z;
}

/* The zone named and its POSIX rule: zones[0] from zoneinfo, zones[1] from the rule. */
static void load_both(const char *name, struct tz *zones[2])
{
	for (size_t i = 0; i < NRULES; i++)
		if (strcmp(rules[i].name, name) == 0) {
			zones[0] = load(tz_load_name, name);
			zones[1] = load(tz_load_posix, rules[i].posix);
			return;
		}
	printf("no rule for %s in the test\n", name);
	exit(1);
}

static void test_offsets(void)
{
	static const struct {
		const char *zone;
		int64_t t;
		int32_t off;
	} cases[] = {
		/* 2026-03-29T01:00:00Z: 02:00 CET becomes 03:00 CEST; 2026-10-25T01:00:00Z: back to 02:00 CET. */
		{ "Europe/Zurich", 1774745999, 1 * HOUR },
		{ "Europe/Zurich", 1774746000, 2 * HOUR },
		{ "Europe/Zurich", 1792889999, 2 * HOUR },
		{ "Europe/Zurich", 1792890000, 1 * HOUR },
		{ "Europe/Zurich", 1781956800, 2 * HOUR },       /* 2026-06-20T12:00:00Z */
		/* Southern: DST ends 2026-04-04T16:00:00Z (03:00 → 02:00), starts 2026-10-03T16:00:00Z. */
		{ "Australia/Sydney", 1775318399, 11 * HOUR },
		{ "Australia/Sydney", 1775318400, 10 * HOUR },
		{ "Australia/Sydney", 1791043199, 10 * HOUR },
		{ "Australia/Sydney", 1791043200, 11 * HOUR },
		{ "Australia/Sydney", 1767268800, 11 * HOUR },   /* 2026-01-01T12:00:00Z: summer */
		/* 2026-04-05T03:00:00Z: Sat 23:59:59 -03 → 23:00 -04; 2026-09-06T04:00:00Z: 23:59:59 -04 → Sun 01:00 -03. */
		{ "America/Santiago", 1775357999, -3 * HOUR },
		{ "America/Santiago", 1775358000, -4 * HOUR },
		{ "America/Santiago", 1788667199, -4 * HOUR },
		{ "America/Santiago", 1788667200, -3 * HOUR },
		/* 2026-03-08T05:00:00Z: 00:00 CST → 01:00 CDT; 2026-11-01T05:00:00Z: 01:00 CDT → 00:00 CST. */
		{ "America/Havana", 1772945999, -5 * HOUR },
		{ "America/Havana", 1772946000, -4 * HOUR },
		{ "America/Havana", 1793509199, -4 * HOUR },
		{ "America/Havana", 1793509200, -5 * HOUR },
		/* 2026-03-28T22:00:00Z: 00:00 EET → 01:00 EEST; 2026-10-24T21:00:00Z: 00:00 EEST → 23:00 EET. */
		{ "Asia/Beirut", 1774735199, 2 * HOUR },
		{ "Asia/Beirut", 1774735200, 3 * HOUR },
		{ "Asia/Beirut", 1792875599, 3 * HOUR },
		{ "Asia/Beirut", 1792875600, 2 * HOUR },
		{ "UTC", 1774746000, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct tz *zones[2];
		load_both(cases[i].zone, zones);
		for (int k = 0; k < 2; k++)
			if (zones[k] != NULL && tz_offset(zones[k], cases[i].t) != cases[i].off) {
				printf("%s (%s) at %lld: want %d\n", cases[i].zone, k ? "rule" : "zoneinfo",
				       (long long)cases[i].t, (int)cases[i].off);
				CHECK_INTEQ(tz_offset(zones[k], cases[i].t), cases[i].off);
			}
		tz_free(zones[0]);
		tz_free(zones[1]);
	}
}

static const struct day {
	const char *zone;
	int64_t y;
	int m, d;
	int64_t start;      /* Unix seconds */
	int hours;          /* the day's length, to the next day's start */
} days[] = {
	{ "Europe/Zurich", 2026, 3, 29, 1774738800, 23 },      /* 2026-03-28T23:00:00Z, 00:00 CET */
	{ "Europe/Zurich", 2026, 3, 30, 1774821600, 24 },      /* 2026-03-29T22:00:00Z, 00:00 CEST */
	{ "Europe/Zurich", 2026, 10, 25, 1792879200, 25 },     /* 2026-10-24T22:00:00Z, 00:00 CEST */
	{ "Europe/Zurich", 2026, 10, 26, 1792969200, 24 },     /* 2026-10-25T23:00:00Z, 00:00 CET */
	{ "Europe/Zurich", 2026, 6, 21, 1781992800, 24 },      /* 2026-06-20T22:00:00Z */
	/* Local midnight skipped: the day starts at 01:00, when the gap ends. */
	{ "America/Santiago", 2026, 9, 5, 1788580800, 24 },    /* 2026-09-05T04:00:00Z, 00:00 -04 */
	{ "America/Santiago", 2026, 9, 6, 1788667200, 23 },    /* 2026-09-06T04:00:00Z, 01:00 -03 */
	{ "America/Santiago", 2026, 9, 7, 1788750000, 24 },    /* 2026-09-07T03:00:00Z, 00:00 -03 */
	/* DST ends at Saturday 24:00: Saturday's 23:00 repeats, Sunday's midnight does not. */
	{ "America/Santiago", 2026, 4, 4, 1775271600, 25 },    /* 2026-04-04T03:00:00Z, 00:00 -03 */
	{ "America/Santiago", 2026, 4, 5, 1775361600, 24 },    /* 2026-04-05T04:00:00Z, 00:00 -04 */
	{ "America/Havana", 2026, 3, 8, 1772946000, 23 },      /* 2026-03-08T05:00:00Z, 01:00 CDT */
	/* Local midnight happens twice (01:00 CDT → 00:00 CST): the day starts at the first. */
	{ "America/Havana", 2026, 11, 1, 1793505600, 25 },     /* 2026-11-01T04:00:00Z, 00:00 CDT */
	{ "America/Havana", 2026, 11, 2, 1793595600, 24 },     /* 2026-11-02T05:00:00Z, 00:00 CST */
	{ "Asia/Beirut", 2026, 3, 29, 1774735200, 23 },        /* 2026-03-28T22:00:00Z, 01:00 EEST */
	{ "Asia/Beirut", 2026, 10, 24, 1792789200, 25 },       /* 2026-10-23T21:00:00Z, 00:00 EEST */
	{ "Asia/Beirut", 2026, 10, 25, 1792879200, 24 },       /* 2026-10-24T22:00:00Z, 00:00 EET */
	{ "Australia/Sydney", 2026, 4, 5, 1775307600, 25 },    /* 2026-04-04T13:00:00Z, 00:00 AEDT */
	{ "Australia/Sydney", 2026, 4, 6, 1775397600, 24 },    /* 2026-04-05T14:00:00Z, 00:00 AEST */
	{ "Australia/Sydney", 2026, 10, 4, 1791036000, 23 },   /* 2026-10-03T14:00:00Z, 00:00 AEST */
	{ "Australia/Sydney", 2026, 12, 31, 1798635600, 24 },  /* over the new year, in summer time */
	{ "Australia/Sydney", 2027, 1, 1, 1798722000, 24 },    /* 2026-12-31T13:00:00Z, 00:00 AEDT */
	{ "UTC", 2026, 3, 29, 1774742400, 24 },
	{ "UTC", 2024, 2, 29, 1709164800, 24 },
};

/* The start of the day after d (the calendar's next day, by day count). */
static int64_t next_start(const struct tz *z, const struct day *d)
{
	int64_t y;
	unsigned m, dd;

	civil_from_days(days_from_civil(d->y, (unsigned)d->m, (unsigned)d->d) + 1, &y, &m, &dd);
	return tz_day_start_ms(z, y, (int)m, (int)dd);
}

static void test_day_starts(void)
{
	for (size_t i = 0; i < sizeof days / sizeof days[0]; i++) {
		const struct day *d = &days[i];
		struct tz *zones[2];
		load_both(d->zone, zones);
		for (int k = 0; k < 2; k++) {
			if (zones[k] == NULL)
				continue;
			int64_t got = tz_day_start_ms(zones[k], d->y, d->m, d->d);
			if (got != d->start * 1000)
				printf("%s (%s) %04lld-%02d-%02d:\n", d->zone, k ? "rule" : "zoneinfo", (long long)d->y, d->m, d->d);
			CHECK_INTEQ(got, d->start * 1000);
			CHECK_INTEQ(next_start(zones[k], d) - got, d->hours * HOUR * 1000LL);
		}
		tz_free(zones[0]);
		tz_free(zones[1]);
	}
}

/* Since 1996 Switzerland follows the EU rule: zoneinfo and the rule agree on every hour and every day. */
static void test_rule_matches_zone(void)
{
	for (size_t i = 0; i < NRULES; i++) {
		struct tz *zones[2];
		load_both(rules[i].name, zones);
		if (zones[0] == NULL || zones[1] == NULL) {
			tz_free(zones[0]);
			tz_free(zones[1]);
			continue;
		}
		/* Zurich since 1996; the others' rules, for the coming decade. */
		int64_t from = strcmp(rules[i].name, "Europe/Zurich") == 0 ? 1996 : 2026;
		long differ = 0;
		for (int64_t day = days_from_civil(from, 1, 1); day < days_from_civil(2040, 1, 1); day++) {
			int64_t y;
			unsigned m, d;
			civil_from_days(day, &y, &m, &d);
			differ += tz_day_start_ms(zones[0], y, (int)m, (int)d) != tz_day_start_ms(zones[1], y, (int)m, (int)d);
			for (int64_t t = day * 86400; t < (day + 1) * 86400; t += 1800)
				differ += tz_offset(zones[0], t) != tz_offset(zones[1], t);
		}
		if (differ != 0)
			printf("%s and %s differ\n", rules[i].name, rules[i].posix);
		CHECK_INTEQ(differ, 0);
		tz_free(zones[0]);
		tz_free(zones[1]);
	}
	/* Before 1981 Switzerland had no DST; the rule cannot know that, zoneinfo does. */
	struct tz *zones[2];
	load_both("Europe/Zurich", zones);
	if (zones[0] != NULL && zones[1] != NULL) {
		CHECK_INTEQ(tz_offset(zones[0], 173444400), 1 * HOUR);   /* 1975-07-01T11:00:00Z */
		CHECK_INTEQ(tz_offset(zones[1], 173444400), 2 * HOUR);
		CHECK_INTEQ(tz_day_start_ms(zones[0], 1975, 7, 1), 173401200000);   /* 1975-06-30T23:00:00Z */
	}
	tz_free(zones[0]);
	tz_free(zones[1]);
}

static void test_utc(void)
{
	static const struct {
		const char *spec;
		int32_t off;
	} cases[] = { { "UTC", 0 }, { "UTC0", 0 }, { "Etc/GMT+5", -5 * HOUR }, { "<-05>5", -5 * HOUR },
		      { "Asia/Kathmandu", 5 * HOUR + 45 * 60 }, { "<+0545>-5:45", 5 * HOUR + 45 * 60 } };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct tz *z = load(tz_load_any, cases[i].spec);
		if (z == NULL)
			continue;
		int64_t midnight = days_from_civil(2026, 3, 29) * 86400;
		CHECK_INTEQ(tz_offset(z, midnight), cases[i].off);
		CHECK_INTEQ(tz_day_start_ms(z, 2026, 3, 29), (midnight - cases[i].off) * 1000);
		CHECK_INTEQ(tz_day_start_ms(z, 2026, 3, 30) - tz_day_start_ms(z, 2026, 3, 29), 86400000);
		tz_free(z);
	}
}

static bool same_date(const struct tm *tm, int64_t y, int m, int d)
{
	return tm->tm_year + 1900 == y && tm->tm_mon + 1 == m && tm->tm_mday == d;
}

static bool before_date(const struct tm *tm, int64_t y, int m, int d)
{
	int64_t a = (int64_t)(tm->tm_year + 1900) * 10000 + (tm->tm_mon + 1) * 100 + tm->tm_mday;
	return a < y * 10000 + m * 100 + d;
}

/*
 * Day starts against glibc's localtime_r, from 1900 to 2100 (every day in
 * 2020–2030): glibc puts the start on or after the date, and the second
 * before it and every ten minutes of the three hours before on an earlier
 * date. Zones
 * with changes at midnight and at 24:00, southern DST, half-hour DST (Lord
 * Howe), negative DST (Dublin, Casablanca), a day skipped (Apia, 2011-12-30).
 */
static void test_against_glibc(void)
{
	static const char *const zones[] = {
		"Europe/Zurich", "America/Santiago", "America/Havana", "Asia/Beirut", "Australia/Sydney",
		"Australia/Lord_Howe", "America/Asuncion", "Europe/Dublin", "Africa/Casablanca", "Pacific/Apia",
		"America/St_Johns", "Asia/Kathmandu", "Antarctica/Troll", "UTC",
	};
	for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
		struct tz *z = load(tz_load_name, zones[i]);
		if (z == NULL)
			continue;
		setenv("TZ", zones[i], 1);
		tzset();
		long bad = 0, n = 0, skipped = 0;
		for (int64_t day = days_from_civil(1900, 1, 1); day < days_from_civil(2100, 1, 1); day++) {
			int64_t y;
			unsigned m, d;
			civil_from_days(day, &y, &m, &d);
			if ((y < 2020 || y > 2030) && day % 7 != 0)
				continue;
			int64_t ms = tz_day_start_ms(z, y, (int)m, (int)d), s = ms / 1000;
			time_t at = (time_t)s, prev = (time_t)(s - 1);
			struct tm tm, tp;
			if ((int64_t)at != s || localtime_r(&at, &tm) == NULL || localtime_r(&prev, &tp) == NULL)
				continue;   /* a 32-bit time_t */
			bool ok = ms % 1000 == 0 && !before_date(&tm, y, (int)m, (int)d) && before_date(&tp, y, (int)m, (int)d) &&
			          tm.tm_gmtoff == tz_offset(z, s);
			/* An earlier start would lie in a fold, at most a DST shift (Troll's: 2 h) before. */
			for (int64_t t = s - 3 * HOUR; ok && t < s; t += 600) {
				time_t q = (time_t)t;
				ok = localtime_r(&q, &tp) != NULL && before_date(&tp, y, (int)m, (int)d);
			}
			skipped += !same_date(&tm, y, (int)m, (int)d);
			n++;
			if (!ok && bad++ < 3)
				printf("%s: day %04lld-%02u-%02u starts at %lld\n", zones[i], (long long)y, m, d, (long long)s);
		}
		CHECK(n > 10000);
		CHECK_INTEQ(bad, 0);
		CHECK(skipped == 0 || strcmp(zones[i], "Pacific/Apia") == 0);
		tz_free(z);
	}
	unsetenv("TZ");
	tzset();

	/* Apia skipped 30 December 2011: that date starts with the 31st, at 2011-12-30T10:00:00Z. */
	struct tz *apia = load(tz_load_name, "Pacific/Apia");
	if (apia != NULL) {
		CHECK_INTEQ(tz_day_start_ms(apia, 2011, 12, 30), 1325239200000);
		CHECK_INTEQ(tz_day_start_ms(apia, 2011, 12, 31), 1325239200000);
		CHECK_INTEQ(tz_day_start_ms(apia, 2011, 12, 29), 1325152800000);   /* 2011-12-29T10:00:00Z, at -10 */
	}
	tz_free(apia);
}

/* The first second whose local time reaches midnight, by search: minute steps, then back second by second. */
static int64_t brute_start(const struct tz *z, int64_t midnight)
{
	int64_t t = midnight - 26 * HOUR;

	while (t + tz_offset(z, t) < midnight)
		t += 60;
	while (t - 1 + tz_offset(z, t - 1) >= midnight)
		t--;
	return t;
}

/*
 * Odd rules against that search, every day of 2026: changes at 24:00 and
 * past it, before midnight, DST over the new year, negative DST (Dublin),
 * DST all year, a two-hour shift, a DST end that falls into the next year.
 */
static void test_odd_rules(void)
{
	static const char *const odd[] = {
		"<-04>4<-03>,M9.1.6/24,M4.1.6/24", "AAA0BBB,M3.5.0/-1,M10.5.0/-1", "AAA0BBB,M3.5.0/30,M10.5.0/47",
		"IST-1GMT0,M10.5.0,M3.5.0/1",      "EST5EDT4,0/0,J365/25",         "AAA-1BBB-3,M3.5.0/0,M10.5.0/0",
		"AAA0BBB,J60/0,J365/48",           "AAA0BBB,J1/-1,M10.5.0",        "AAA-13BBB-14,M9.5.0/3,M4.1.0/4",
	};
	for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
		struct tz *z = load(tz_load_posix, odd[i]);
		if (z == NULL)
			continue;
		long differ = 0;
		for (int64_t day = days_from_civil(2025, 12, 31); day <= days_from_civil(2027, 1, 2); day++) {
			int64_t y;
			unsigned m, d;
			civil_from_days(day, &y, &m, &d);
			int64_t got = tz_day_start_ms(z, y, (int)m, (int)d), want = brute_start(z, day * 86400) * 1000;
			if (got != want && differ++ < 3)
				printf("%s: %04lld-%02u-%02u starts at %lld, not %lld\n", odd[i], (long long)y, m, d,
				       (long long)got, (long long)want);
		}
		CHECK_INTEQ(differ, 0);
		tz_free(z);
	}
}

/* Ends of time: no overflow, and rules repeat every 400 years however far out. */
static void test_far(void)
{
	struct tz *zones[2];
	int64_t era = 146097 * 86400LL;

	load_both("Europe/Zurich", zones);
	for (int k = 0; k < 2; k++) {
		if (zones[k] == NULL)
			continue;
		int32_t lo = tz_offset(zones[k], INT64_MIN), hi = tz_offset(zones[k], INT64_MAX);
		CHECK_INTEQ(lo, k == 0 ? 2048 : 1 * HOUR);   /* zoneinfo: local mean time, 0:34:08 */
		CHECK(hi == 1 * HOUR || hi == 2 * HOUR);
		/* Zoneinfo only forward: before its first transition it has local mean time. */
		for (int64_t e = k == 0 ? 0 : -100000; e <= 100000; e += 50000) {
			CHECK_INTEQ(tz_offset(zones[k], 1774745999 + e * era), 1 * HOUR);
			CHECK_INTEQ(tz_offset(zones[k], 1774746000 + e * era), 2 * HOUR);
		}
		/* 2026-03-29 is 23 h long, and so is the same date 2000 eras on (or, by the rule, 2495 back). */
		for (int64_t e = k == 0 ? 2000 : -2495; e <= 2000; e += 4495) {
			int64_t start = tz_day_start_ms(zones[k], 2026 + 400 * e, 3, 29);
			CHECK_INTEQ(start, 1774738800000 + e * era * 1000);
			CHECK_INTEQ(tz_day_start_ms(zones[k], 2026 + 400 * e, 3, 30) - start, 23 * HOUR * 1000LL);
		}
		CHECK(tz_day_start_ms(zones[k], -1000000, 1, 1) != INT64_MIN);
		CHECK(tz_day_start_ms(zones[k], 1000000, 12, 31) != INT64_MIN);
	}
	tz_free(zones[0]);
	tz_free(zones[1]);
}

static void test_bad_days(void)
{
	struct tz *z = load(tz_load_posix, ZURICH_POSIX);

	CHECK_INTEQ(tz_day_start_ms(z, 2026, 2, 29), INT64_MIN);
	CHECK_INTEQ(tz_day_start_ms(z, 2026, 4, 31), INT64_MIN);
	CHECK_INTEQ(tz_day_start_ms(z, 2026, 13, 1), INT64_MIN);
	CHECK_INTEQ(tz_day_start_ms(z, 2026, 0, 1), INT64_MIN);
	CHECK_INTEQ(tz_day_start_ms(z, 2026, 1, 0), INT64_MIN);
	CHECK_INTEQ(tz_day_start_ms(z, 1000001, 1, 1), INT64_MIN);
	CHECK_INTEQ(tz_day_start_ms(z, -1000001, 1, 1), INT64_MIN);
	CHECK(tz_day_start_ms(z, 2024, 2, 29) != INT64_MIN);
	tz_free(z);
}

static void test_parse_date(void)
{
	static const struct {
		const char *s;
		int64_t y;
		int m, d;
	} good[] = { { "2026-03-29", 2026, 3, 29 }, { "2024-02-29", 2024, 2, 29 }, { "2000-02-29", 2000, 2, 29 },
		     { "0000-01-01", 0, 1, 1 },     { "9999-12-31", 9999, 12, 31 }, { "2026-04-30", 2026, 4, 30 } };
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		int64_t y = -1;
		int m = -1, d = -1;
		CHECK_INTEQ(tz_parse_date(good[i].s, &y, &m, &d), 0);
		CHECK_INTEQ(y, good[i].y);
		CHECK_INTEQ(m, good[i].m);
		CHECK_INTEQ(d, good[i].d);
	}
	static const char *const bad[] = {
		"2026-02-29", "1900-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "2026-01-00", "2026-01-32",
		"2026-3-29", "2026-03-9", "26-03-29", "20260329", "2026/03/29", "2026-03-29T00:00:00Z", "2026-03-29 ",
		" 2026-03-29", "+2026-03-29", "-2026-03-29", "12026-03-29", "2026-03-2x", "2026-O3-29", "", "2026-03-",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t y = -1;
		int m = -1, d = -1;
		if (tz_parse_date(bad[i], &y, &m, &d) != -1)
			printf("accepted '%s'\n", bad[i]);
		CHECK(y == -1 && m == -1 && d == -1);
	}
}

/* *why of a refused spec, or "" when it loads. */
static const char *refusal(int (*loader)(struct tz **, const char *, const char **), const char *spec)
{
	static char out[1024];
	struct tz *z = (struct tz *)&out;   /* must come back NULL */
	const char *why = NULL;

	if (loader(&z, spec, &why) == 0) {
		tz_free(z);
		return "";
	}
	CHECK(z == NULL);
	snprintf(out, sizeof out, "%s", why != NULL ? why : "(null)");
	return out;
}

static void test_refusals(void)
{
	static const char name_why[] = "not an IANA time zone name such as \"Europe/Zurich\"";
	static const char *const bad_names[] = { "../../etc/passwd", "/etc/localtime", "Europe//Zurich", "Europe/",
		                                 "Europe/./Zurich", "..", "Europe Zurich", "", ZURICH_POSIX };
	for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
		CHECK(!tz_name_ok(bad_names[i]));
		CHECK_STREQ(refusal(tz_load_name, bad_names[i]), name_why);
	}
	CHECK(tz_name_ok("Europe/Zurich") && tz_name_ok("Etc/GMT+5") && tz_name_ok("EST5EDT") && tz_name_ok("a/..b"));
	CHECK_STREQ(refusal(tz_load_name, "Mars/Olympus_Mons"),
	            "unknown time zone 'Mars/Olympus_Mons' (no file '/usr/share/zoneinfo/Mars/Olympus_Mons')");
	CHECK_STREQ(refusal(tz_load_name, "Europe"),
	            "cannot read time zone 'Europe' from '/usr/share/zoneinfo/Europe': Is a directory");
	CHECK_STREQ(refusal(tz_load_name, "zone.tab"), "time zone 'zone.tab' ('/usr/share/zoneinfo/zone.tab'): not a TZif file");
	CHECK_STREQ(refusal(tz_load_name, "right/Europe/Zurich"),
	            "time zone 'right/Europe/Zurich' ('/usr/share/zoneinfo/right/Europe/Zurich'): zone counts leap "
	            "seconds (a right/ zone), hive's Unix times do not");

	static const struct {
		const char *rule, *why;
	} rules_bad[] = {
		{ "", "expected a standard time name and its offset west of UTC, such as CET-1" },
		{ "CET", "expected a standard time name and its offset west of UTC, such as CET-1" },
		{ "CE-1", "expected a standard time name and its offset west of UTC, such as CET-1" },
		{ "CET-25", "expected a standard time name and its offset west of UTC, such as CET-1" },
		{ "CET-1CE", "expected a daylight-saving time name after the offset" },
		{ "CET-1CEST-x,M3.5.0,M10.5.0", "the daylight-saving time offset is malformed" },
		{ "CET-1CEST", "daylight-saving time needs its rule, such as ,M3.5.0,M10.5.0/3" },
		{ "CET-1CEST,M3.5.0", "malformed rule: want start,end as Mm.w.d, Jn or n, each with an optional /time" },
		{ "CET-1CEST,M3.6.0,M10.5.0", "malformed rule: want start,end as Mm.w.d, Jn or n, each with an optional /time" },
		{ "CET-1CEST,J0,J365", "malformed rule: want start,end as Mm.w.d, Jn or n, each with an optional /time" },
		{ "CET-1CEST,M3.5.0,M10.5.0/168", "malformed rule: want start,end as Mm.w.d, Jn or n, each with an optional /time" },
		{ ZURICH_POSIX " ", "text after the rule" },
	};
	for (size_t i = 0; i < sizeof rules_bad / sizeof rules_bad[0]; i++)
		CHECK_STREQ(refusal(tz_load_posix, rules_bad[i].rule), rules_bad[i].why);
	CHECK_STREQ(refusal(tz_load_posix, "<+0545>-5:45"), "");
	CHECK_STREQ(refusal(tz_load_posix, "EST5EDT4,0/0,J365/25"), "");   /* DST all year (RFC 9636) */
	CHECK_STREQ(refusal(tz_load_posix, "Europe/Zurich"),
	            "expected a standard time name and its offset west of UTC, such as CET-1");
}

/* tz_load_any: a zone file by that name first, else the spec as a rule. */
static void test_any(void)
{
	/* Zurich had no DST in 1975: the zone file says so, the rule cannot. */
	struct tz *z = load(tz_load_any, "Europe/Zurich");
	if (z != NULL)
		CHECK_INTEQ(tz_offset(z, 173444400), 1 * HOUR);
	tz_free(z);
	z = load(tz_load_any, ZURICH_POSIX);
	if (z != NULL)
		CHECK_INTEQ(tz_offset(z, 173444400), 2 * HOUR);
	tz_free(z);
	/* EST5EDT is a file and looks like a rule (one without dates, which would be refused). */
	z = load(tz_load_any, "EST5EDT");
	if (z != NULL)
		CHECK_INTEQ(tz_offset(z, 1781956800), -4 * HOUR);
	tz_free(z);
	z = load(tz_load_any, "EST5");   /* no such file */
	if (z != NULL)
		CHECK_INTEQ(tz_offset(z, 1781956800), -5 * HOUR);
	tz_free(z);

	CHECK_STREQ(refusal(tz_load_any, "Europe/Zurch"),
	            "unknown time zone 'Europe/Zurch' (no file '/usr/share/zoneinfo/Europe/Zurch'), and not a POSIX TZ "
	            "rule: expected a standard time name and its offset west of UTC, such as CET-1");
	CHECK_STREQ(refusal(tz_load_any, "CET-1CEST,M3.5.0"),
	            "neither an IANA time zone name nor a POSIX TZ rule: malformed rule: want start,end as Mm.w.d, Jn or "
	            "n, each with an optional /time");
	/* A zone file that is there but refused is not read as a rule. */
	CHECK_STREQ(refusal(tz_load_any, "Europe"),
	            "cannot read time zone 'Europe' from '/usr/share/zoneinfo/Europe': Is a directory");
	CHECK_STREQ(refusal(tz_load_any, "right/UTC"),
	            "time zone 'right/UTC' ('/usr/share/zoneinfo/right/UTC'): zone counts leap seconds (a right/ zone), "
	            "hive's Unix times do not");

	/* $TZDIR replaces /usr/share/zoneinfo. */
	setenv("TZDIR", "/nonexistent-tzdir", 1);
	CHECK_STREQ(refusal(tz_load_name, "UTC"), "unknown time zone 'UTC' (no file '/nonexistent-tzdir/UTC')");
	CHECK_STREQ(refusal(tz_load_any, "EST5EDT"),
	            "unknown time zone 'EST5EDT' (no file '/nonexistent-tzdir/EST5EDT'), and not a POSIX TZ rule: "
	            "daylight-saving time needs its rule, such as ,M3.5.0,M10.5.0/3");
	CHECK_STREQ(refusal(tz_load_any, "UTC0"), "");
	unsetenv("TZDIR");
}

/* The local day: UTC without a zone, rounded down before 1970; Zurich's day turns at 23:00Z in winter. */
static void test_local_day(void)
{
	struct tz *z;
	const char *why;
	CHECK(tz_local_day(NULL, 0) == 0 && tz_local_day(NULL, -1) == -1 && tz_local_day(NULL, 86399999) == 0);
	CHECK(tz_load_any(&z, "Europe/Zurich", &why) == 0);
	int64_t jan1 = days_from_civil(2025, 1, 1) * 86400000;
	CHECK(tz_local_day(z, jan1 + 22 * 3600000 + 3599999) == days_from_civil(2025, 1, 1));
	CHECK(tz_local_day(z, jan1 + 23 * 3600000) == days_from_civil(2025, 1, 2));
	tz_free(z);
}

int main(void)
{
	unsetenv("TZDIR");
	test_local_day();
	test_offsets();
	test_day_starts();
	test_rule_matches_zone();
	test_utc();
	test_against_glibc();
	test_odd_rules();
	test_far();
	test_bad_days();
	test_parse_date();
	test_refusals();
	test_any();
	return check_done("test_tz");
}
