/*
 * Tariffs: known prices of each kind, local time across DST changes (against
 * a POSIX rule, the system's zoneinfo and glibc's localtime_r), holidays,
 * every refusal with its exact message, broken zone files, and the examples
 * in share/tariffs.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cfgtest.h"
#include "check.h"
#include "diag.h"
#include "tariff.h"
#include "timeutil.h"
#include "xio.h"

#define ZURICH_POSIX "CET-1CEST,M3.5.0,M10.5.0/3"

/* Loads text with diagnostics captured; returns the tariff (NULL when refused) and the message. */
static struct tariff *load_quiet(const char *text, size_t len, struct buf *msg)
{
	struct capture c;
	struct tariff *t = NULL;

	capture_begin(&c);
	int rc = tariff_load_text(&t, "t.ndjson", text, len);
	capture_end(&c, msg);
	CHECK((rc == HIVE_OK) == (t != NULL));
	return t;
}

static struct tariff *load(const char *text)
{
	struct buf msg = BUF_INIT;
	struct tariff *t = load_quiet(text, strlen(text), &msg);
	if (t == NULL)
		printf("unexpected refusal: %s", buf_str(&msg));
	CHECK(t != NULL);
	buf_free(&msg);
	return t;
}

/* The text is refused with exactly one diagnostic: "test_tariff: 't.ndjson' line N: want". */
#define REFUSED(text, line, want) refused(text, strlen(text), line, want, __LINE__)
#define REFUSED_N(text, line, want) refused(text, sizeof text - 1, line, want, __LINE__)
static void refused(const char *text, size_t len, int line, const char *want, int where)
{
	struct buf msg = BUF_INIT, expect = BUF_INIT;
	struct tariff *t = load_quiet(text, len, &msg);

	buf_printf(&expect, "test_tariff: 't.ndjson' line %d: %s\n", line, want);
	if (t != NULL || strcmp(buf_str(&msg), buf_str(&expect)) != 0)
		printf("test line %d:\n", where);
	CHECK(t == NULL);
	CHECK_STREQ(buf_str(&msg), buf_str(&expect));
	tariff_free(t);
	buf_free(&msg);
	buf_free(&expect);
}

/* The prices of the slot at time, as "buy/sell", or "none". */
static const char *prices(const struct tariff *t, int64_t ms)
{
	static char out[256];
	mpz_t buy, sell;

	mpz_inits(buy, sell, NULL);
	if (tariff_prices(t, ms, buy, sell) < 0)
		snprintf(out, sizeof out, "none");
	else
		gmp_snprintf(out, sizeof out, "%Zd/%Zd", buy, sell);
	mpz_clears(buy, sell, NULL);
	return out;
}

#define PRICES(t, time, want) CHECK_STREQ(prices(t, at(time)), want)

static void test_constant(void)
{
	struct tariff *t = load("{\"type\":\"tariff\",\"kind\":\"constant\",\"buy\":\"250000\",\"sell\":\"80000\"}\n");

	PRICES(t, "2026-06-21T00:00:00Z", "250000/80000");
	PRICES(t, "1970-01-01T00:00:00Z", "250000/80000");
	CHECK_STREQ(prices(t, INT64_MIN), "250000/80000");
	CHECK_STREQ(prices(t, INT64_MAX), "250000/80000");
	tariff_free(t);

	/* Equal prices (no surplus to share), zero, and amounts far beyond 64 bits; CRLF and a note. */
	t = load("\r\n{\"type\":\"tariff\",\"kind\":\"constant\",\"buy\":\"0\",\"sell\":\"0\",\"note\":\"free\"}\r\n\r\n");
	PRICES(t, "2026-06-21T00:00:00Z", "0/0");
	tariff_free(t);
	t = load("{\"type\":\"tariff\",\"kind\":\"constant\",\"buy\":\"250000000000000000000000\","
	         "\"sell\":\"250000000000000000000000\"}");
	PRICES(t, "2026-06-21T00:15:00Z", "250000000000000000000000/250000000000000000000000");
	tariff_free(t);
}

/* A tou tariff whose prices tell the local weekday (0 mon … 6 sun) and quarter hour: buy = 100·day + quarter. */
static struct tariff *clock_tariff(const char *zone_member, const char *holidays)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "{\"type\":\"tariff\",\"kind\":\"tou\",%s}\n", zone_member);
	static const char *const names[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
	for (int d = 0; d < 7; d++)
		for (int q = 0; q < 96; q++)
			buf_printf(&b, "{\"type\":\"tou\",\"days\":\"%s\",\"from\":\"%02d:%02d\",\"to\":\"%02d:%02d\","
			           "\"buy\":\"%d\",\"sell\":\"0\"}\n", names[d], q / 4, q % 4 * 15, (q + 1) / 4,
			           (q + 1) % 4 * 15, 100 * d + q);
	buf_puts(&b, holidays);
	struct tariff *t = load(buf_str(&b));
	buf_free(&b);
	return t;
}

static int local_code(const struct tariff *t, int64_t ms)
{
	mpz_t buy, sell;
	mpz_inits(buy, sell, NULL);
	int code = tariff_prices(t, ms, buy, sell) == 0 ? (int)mpz_get_ui(buy) : -1;
	mpz_clears(buy, sell, NULL);
	return code;
}

static void test_dst_zurich(void)
{
	struct tariff *zones[2] = { clock_tariff("\"tz_posix\":\"" ZURICH_POSIX "\"", ""),
		                    clock_tariff("\"tz\":\"Europe/Zurich\"", "") };

	for (int i = 0; i < 2; i++) {
		struct tariff *t = zones[i];
		if (t == NULL)
			continue;
		/* Sunday 29 March 2026: 02:00 CET becomes 03:00 CEST at 01:00 UTC. */
		CHECK_INTEQ(local_code(t, at("2026-03-29T00:45:00Z")), 600 + 7);    /* sun 01:45 */
		CHECK_INTEQ(local_code(t, at("2026-03-29T01:00:00Z")), 600 + 12);   /* sun 03:00 */
		/* Sunday 25 October 2026: 03:00 CEST becomes 02:00 CET at 01:00 UTC; 02:xx happens twice. */
		CHECK_INTEQ(local_code(t, at("2026-10-25T00:00:00Z")), 600 + 8);    /* sun 02:00 CEST */
		CHECK_INTEQ(local_code(t, at("2026-10-25T00:45:00Z")), 600 + 11);   /* sun 02:45 CEST */
		CHECK_INTEQ(local_code(t, at("2026-10-25T01:00:00Z")), 600 + 8);    /* sun 02:00 CET */
		CHECK_INTEQ(local_code(t, at("2026-10-25T02:00:00Z")), 600 + 12);   /* sun 03:00 CET */
		/* The weekday flips at local, not UTC, midnight. */
		CHECK_INTEQ(local_code(t, at("2026-06-21T21:45:00Z")), 600 + 95);   /* sun 23:45 CEST */
		CHECK_INTEQ(local_code(t, at("2026-06-21T22:00:00Z")), 0);          /* mon 00:00 */
		CHECK_INTEQ(local_code(t, at("2026-01-04T22:45:00Z")), 600 + 95);   /* sun 23:45 CET */
		CHECK_INTEQ(local_code(t, at("2026-01-04T23:00:00Z")), 0);
		/* The local time of a slot is that of its start, to the minute. */
		CHECK_INTEQ(local_code(t, at("2026-01-05T06:59:59.999Z")), 31);
		CHECK_INTEQ(local_code(t, at("2026-01-05T07:00:00Z")), 32);
		/* Far times run without overflow (a POSIX rule for all of them). */
		CHECK(local_code(t, INT64_MIN) >= 0);
		CHECK(local_code(t, INT64_MAX) >= 0);
	}
	/* Since 1996 Switzerland follows the EU rule, so zoneinfo and the POSIX rule agree on every slot. */
	if (zones[0] != NULL && zones[1] != NULL) {
		long differ = 0;
		for (int64_t ms = at("1996-01-01T00:00:00Z"); ms < at("2040-01-01T00:00:00Z"); ms += 900000)
			differ += local_code(zones[0], ms) != local_code(zones[1], ms);
		CHECK_INTEQ(differ, 0);
		/* Before 1981 Switzerland had no DST; the POSIX rule cannot know that, zoneinfo does. */
		CHECK_INTEQ(local_code(zones[1], at("1975-07-01T10:00:00Z")), 100 + 44);   /* tue 11:00 CET */
		CHECK_INTEQ(local_code(zones[0], at("1975-07-01T10:00:00Z")), 100 + 48);   /* 12:00 by the rule */
	}
	tariff_free(zones[0]);
	tariff_free(zones[1]);
}

/* A rule's first-match semantics around both DST changes, with real rules. */
static void test_dst_rules(void)
{
	struct tariff *t = load("{\"type\":\"tariff\",\"kind\":\"tou\",\"tz\":\"Europe/Zurich\"}\n"
	                        "{\"type\":\"tou\",\"days\":\"sun\",\"from\":\"01:00\",\"to\":\"02:00\",\"buy\":\"100\",\"sell\":\"1\"}\n"
	                        "{\"type\":\"tou\",\"days\":\"sun\",\"from\":\"02:00\",\"to\":\"03:00\",\"buy\":\"200\",\"sell\":\"1\"}\n"
	                        "{\"type\":\"tou\",\"days\":\"sun\",\"from\":\"03:00\",\"to\":\"04:00\",\"buy\":\"300\",\"sell\":\"1\"}\n"
	                        "{\"type\":\"tou\",\"days\":\"all\",\"from\":\"00:00\",\"to\":\"24:00\",\"buy\":\"1\",\"sell\":\"1\"}\n");
	if (t == NULL)
		return;
	PRICES(t, "2026-03-29T00:45:00Z", "100/1");     /* the slot before the switch: 01:45 CET */
	PRICES(t, "2026-03-29T01:00:00Z", "300/1");     /* the slot after it: 03:00 CEST */
	PRICES(t, "2026-10-25T00:45:00Z", "200/1");     /* 02:45 CEST */
	PRICES(t, "2026-10-25T01:00:00Z", "200/1");     /* 02:00 CET, again */
	PRICES(t, "2026-10-25T01:45:00Z", "200/1");
	PRICES(t, "2026-10-25T02:00:00Z", "300/1");     /* 03:00 CET */

	/* Count the slots of each price over the two change days and an ordinary Sunday. */
	static const struct {
		const char *day;
		int n100, n200, n300;
	} days[] = { { "2026-03-29T00:00:00Z", 4, 0, 4 }, { "2026-10-25T00:00:00Z", 4, 8, 4 },
		     { "2026-06-21T00:00:00Z", 4, 4, 4 } };
	for (size_t i = 0; i < sizeof days / sizeof days[0]; i++) {
		int n[4] = { 0 };
		/* The local day, from 23:00 UTC the evening before (a little more than 24 h to be safe). */
		for (int64_t ms = at(days[i].day) - 7200000; ms < at(days[i].day) + 86400000; ms += 900000) {
			int c = local_code(t, ms);
			n[c / 100]++;
		}
		CHECK_INTEQ(n[1], days[i].n100);
		CHECK_INTEQ(n[2], days[i].n200);
		CHECK_INTEQ(n[3], days[i].n300);
	}
	tariff_free(t);
}

static void test_holidays(void)
{
	struct tariff *t = load("{\"type\":\"tariff\",\"kind\":\"tou\",\"tz_posix\":\"" ZURICH_POSIX "\"}\n"
	                        "{\"type\":\"holiday\",\"date\":\"2026-12-25\"}\n"
	                        "{\"type\":\"tou\",\"days\":\"sun\",\"from\":\"00:00\",\"to\":\"24:00\",\"buy\":\"7\",\"sell\":\"0\"}\n"
	                        "{\"type\":\"tou\",\"days\":\"mon-sat\",\"from\":\"00:00\",\"to\":\"24:00\",\"buy\":\"1\",\"sell\":\"0\"}\n"
	                        "{\"type\":\"holiday\",\"date\":\"2026-05-14\",\"note\":\"Ascension\"}\n"
	                        "{\"type\":\"holiday\",\"date\":\"2026-01-01\"}\n");
	/* Friday 25 December 2026 is a holiday by its local date. */
	PRICES(t, "2026-12-24T22:45:00Z", "1/0");       /* thu 23:45 CET */
	PRICES(t, "2026-12-24T23:00:00Z", "7/0");       /* fri 00:00, holiday */
	PRICES(t, "2026-12-25T22:45:00Z", "7/0");       /* fri 23:45, holiday */
	PRICES(t, "2026-12-25T23:00:00Z", "1/0");       /* sat 00:00 */
	PRICES(t, "2026-05-14T10:00:00Z", "7/0");       /* Ascension, a Thursday */
	PRICES(t, "2026-05-13T21:45:00Z", "1/0");       /* wed 23:45 CEST */
	PRICES(t, "2026-05-13T22:00:00Z", "7/0");       /* thu 00:00 CEST */
	PRICES(t, "2026-01-01T12:00:00Z", "7/0");
	PRICES(t, "2027-01-01T12:00:00Z", "1/0");       /* a date, not a day of every year */
	PRICES(t, "2026-12-27T12:00:00Z", "7/0");       /* an ordinary Sunday */
	tariff_free(t);
}

/* Days, lists, ranges, and rules that end at 24:00. */
static void test_days(void)
{
	struct tariff *t = load("{\"type\":\"tariff\",\"kind\":\"tou\",\"tz_posix\":\"UTC0\"}\n"
	                        "{\"type\":\"tou\",\"days\":\"mon,wed-thu,sat\",\"from\":\"22:30\",\"to\":\"24:00\",\"buy\":\"5\",\"sell\":\"0\"}\n"
	                        "{\"type\":\"tou\",\"days\":\"tue\",\"from\":\"00:00\",\"to\":\"00:01\",\"buy\":\"4\",\"sell\":\"0\"}\n"
	                        "{\"type\":\"tou\",\"days\":\"all\",\"from\":\"00:00\",\"to\":\"24:00\",\"buy\":\"3\",\"sell\":\"2\"}\n");
	PRICES(t, "2026-06-22T22:30:00Z", "5/0");       /* mon */
	PRICES(t, "2026-06-22T22:29:00Z", "3/2");
	PRICES(t, "2026-06-23T22:30:00Z", "3/2");       /* tue */
	PRICES(t, "2026-06-23T00:00:59Z", "4/0");
	PRICES(t, "2026-06-23T00:01:00Z", "3/2");
	PRICES(t, "2026-06-24T23:45:00Z", "5/0");       /* wed */
	PRICES(t, "2026-06-25T23:59:59.999Z", "5/0");   /* thu */
	PRICES(t, "2026-06-26T23:00:00Z", "3/2");       /* fri */
	PRICES(t, "2026-06-27T23:00:00Z", "5/0");       /* sat */
	PRICES(t, "2026-06-28T23:00:00Z", "3/2");       /* sun */
	PRICES(t, "1969-12-31T23:00:00Z", "5/0");       /* a wednesday before the epoch */
	tariff_free(t);

	/* Southern hemisphere (DST over the new year) and a zone half an hour off. */
	t = clock_tariff("\"tz_posix\":\"AEST-10AEDT,M10.1.0,M4.1.0/3\"", "");
	CHECK_INTEQ(local_code(t, at("2026-01-15T00:00:00Z")), 300 + 44);   /* thu 11:00 AEDT */
	CHECK_INTEQ(local_code(t, at("2026-07-15T00:00:00Z")), 200 + 40);   /* wed 10:00 AEST */
	tariff_free(t);
	t = clock_tariff("\"tz_posix\":\"<+0530>-5:30\"", "");
	CHECK_INTEQ(local_code(t, at("2026-07-15T00:00:00Z")), 200 + 22);   /* wed 05:30 */
	tariff_free(t);
}

static void test_dynamic(void)
{
	struct tariff *t = load("{\"type\":\"tariff\",\"kind\":\"dynamic\",\"step\":\"1h\"}\n"
	                        "{\"type\":\"price\",\"start\":\"2026-06-21T10:00:00Z\",\"buy\":\"300\",\"sell\":\"100\"}\n"
	                        "{\"type\":\"price\",\"start\":\"2026-06-21T11:00:00Z\",\"buy\":\"310\",\"sell\":\"110\"}\n"
	                        "{\"type\":\"price\",\"start\":\"2026-06-21T13:00:00Z\",\"buy\":\"330\",\"sell\":\"330\"}\n");
	PRICES(t, "2026-06-21T09:45:00Z", "none");
	PRICES(t, "2026-06-21T10:00:00Z", "300/100");
	PRICES(t, "2026-06-21T10:45:00Z", "300/100");   /* an hourly price holds for its four quarters */
	PRICES(t, "2026-06-21T11:59:59.999Z", "310/110");
	PRICES(t, "2026-06-21T12:00:00Z", "none");      /* a gap has no price */
	PRICES(t, "2026-06-21T13:30:00Z", "330/330");
	PRICES(t, "2026-06-21T14:00:00Z", "none");
	CHECK_STREQ(prices(t, INT64_MIN), "none");
	CHECK_STREQ(prices(t, INT64_MAX), "none");
	/* Per Wh for planning: four quarters from 10:30, then the gap at 12:00 named. */
	double buy[7], sell[7];
	int64_t start = 0, missing = 0;
	const char *why;
	CHECK(rfc3339_parse(&start, "2026-06-21T10:30:00Z", 20, &why) == 0);
	CHECK(tariff_prices_per_wh(t, start, 900, 4, buy, sell, &missing) == 0);
	CHECK(buy[0] == 0.3 && sell[1] == 0.1 && buy[2] == 0.31 && sell[3] == 0.11);
	CHECK(tariff_prices_per_wh(t, start, 900, 7, buy, sell, &missing) == -1);
	CHECK(missing == start + 6 * 900000);
	tariff_free(t);

	t = load("{\"type\":\"tariff\",\"kind\":\"dynamic\",\"step\":\"900\"}\n"
	         "{\"type\":\"price\",\"start\":\"1969-12-31T23:45:00Z\",\"buy\":\"2\",\"sell\":\"1\"}\n"
	         "{\"type\":\"price\",\"start\":\"1970-01-01T00:15:00Z\",\"buy\":\"4\",\"sell\":\"3\"}\n");
	CHECK_STREQ(prices(t, -1), "2/1");
	CHECK_STREQ(prices(t, 0), "none");
	CHECK_STREQ(prices(t, 900000), "4/3");
	tariff_free(t);
}

static void test_refusals(void)
{
	static const char constant[] = "{\"type\":\"tariff\",\"kind\":\"constant\",\"buy\":\"250000\",\"sell\":\"80000\"}\n";
	static const char tou[] = "{\"type\":\"tariff\",\"kind\":\"tou\",\"tz_posix\":\"UTC0\"}\n";
	static const char dyn[] = "{\"type\":\"tariff\",\"kind\":\"dynamic\",\"step\":\"15m\"}\n";
	static const char all[] = "{\"type\":\"tou\",\"days\":\"all\",\"from\":\"00:00\",\"to\":\"24:00\",\"buy\":\"2\",\"sell\":\"1\"}\n";
	struct buf b = BUF_INIT;

	/* Lines. */
	REFUSED("", 1, "no tariff header: the file holds no record");
	REFUSED("\n  \n\t\n", 3, "no tariff header: the file holds no record");
	REFUSED("{\"type\":\"tariff\"", 1, "byte offset 16: invalid JSON: expected ',' or '}' in an object");
	REFUSED("{\"type\":\"tariff\",\"type\":\"tariff\"}", 1, "byte offset 17: duplicate member name");
	REFUSED_N("{\"type\":\"tar\0iff\"}", 1, "byte offset 12: NUL byte");
	REFUSED("{\"type\":\"tar\xff\"}\n", 1, "byte offset 12: invalid UTF-8");
	REFUSED("[1,2]\n", 1, "a record must be a JSON object");
	REFUSED("{\"kind\":\"constant\"}\n", 1, "record has no 'type'");
	REFUSED("{\"type\":7}\n", 1, "field 'type' must be a string");
	REFUSED("{\"type\":\"tou\"}\n", 1,
	        "the first record must be the tariff header {\"type\":\"tariff\",\"kind\":...}, not a 'tou' record");

	/* Headers. */
	REFUSED("{\"type\":\"tariff\"}\n", 1, "field 'kind' is missing");
	REFUSED("{\"type\":\"tariff\",\"kind\":\"flat\"}\n", 1, "unknown tariff kind 'flat' (want constant, tou or dynamic)");
	REFUSED("{\"type\":\"tariff\",\"kind\":\"constant\",\"buy\":\"2\",\"sell\":\"1\",\"currency\":\"CHF\"}\n", 1,
	        "unknown field 'currency' in a constant tariff's header");
	REFUSED("{\"type\":\"tariff\",\"kind\":\"constant\",\"buy\":\"2\",\"sell\":\"1\",\"note\":3}\n", 1,
	        "field 'note' must be a string");
	REFUSED("{\"type\":\"tariff\",\"kind\":\"constant\",\"sell\":\"1\"}\n", 1, "field 'buy' is missing");
	REFUSED("{\"type\":\"tariff\",\"kind\":\"constant\",\"buy\":250000,\"sell\":\"1\"}\n", 1,
	        "field 'buy' must be a string of base units per kWh such as \"250000\", not a JSON number");
	REFUSED("{\"type\":\"tariff\",\"kind\":\"constant\",\"buy\":\"2\",\"sell\":true}\n", 1,
	        "field 'sell' must be a string");
	REFUSED("{\"type\":\"tariff\",\"kind\":\"constant\",\"buy\":\"-1\",\"sell\":\"1\"}\n", 1,
	        "field 'buy': '-1': amount is not a decimal string of base units (digits only)");
	REFUSED("{\"type\":\"tariff\",\"kind\":\"constant\",\"buy\":\"0.25\",\"sell\":\"1\"}\n", 1,
	        "field 'buy': '0.25': amount is not a decimal string of base units (digits only)");
	REFUSED("{\"type\":\"tariff\",\"kind\":\"constant\",\"buy\":\"2\",\"sell\":\"01\"}\n", 1,
	        "field 'sell': '01': amount has a leading zero");
	REFUSED("{\"type\":\"tariff\",\"kind\":\"constant\",\"buy\":\"\",\"sell\":\"0\"}\n", 1,
	        "field 'buy': '': amount is empty");
	REFUSED("{\"type\":\"tariff\",\"kind\":\"constant\",\"buy\":\"2\\u0000\",\"sell\":\"0\"}\n", 1,
	        "field 'buy' holds a NUL character");
	REFUSED("{\"type\":\"tariff\",\"kind\":\"constant\",\"buy\":\"2\",\"sell\":\"1000000000000000000000000000000"
	        "00000000000000000000000000000000000000000000000000\"}\n", 1,
	        "field 'sell': '1000000000000000000000000000000000000000...': amount is 2^256 or more");
	REFUSED("{\"type\":\"tariff\",\"kind\":\"constant\",\"buy\":\"70000\",\"sell\":\"80000\"}\n", 1,
	        "buy price 70000 is below sell price 80000 (a tariff needs buy >= sell)");
	buf_printf(&b, "%s%s", constant, all);
	REFUSED(buf_str(&b), 2, "a 'tou' record does not belong in a constant tariff (it has no records after its header)");
	buf_reset(&b);
	buf_printf(&b, "%s\n%s", constant, constant);
	REFUSED(buf_str(&b), 3, "a second tariff header (the first is on line 1)");
	buf_reset(&b);
	buf_printf(&b, "%s{\"type\":\"reading\"}\n", constant);
	REFUSED(buf_str(&b), 2, "unknown record type 'reading'");

	/* Zones. */
	static const char both_or_none[] = "a tou tariff names its zone with one of 'tz' (an IANA name such as "
	                                   "\"Europe/Zurich\") and 'tz_posix' (a POSIX TZ rule)";
	REFUSED("{\"type\":\"tariff\",\"kind\":\"tou\"}\n", 1, both_or_none);
	REFUSED("{\"type\":\"tariff\",\"kind\":\"tou\",\"tz\":\"UTC\",\"tz_posix\":\"UTC0\"}\n", 1, both_or_none);
	REFUSED("{\"type\":\"tariff\",\"kind\":\"tou\",\"tz\":\"Europe/Zurich\",\"step\":\"15m\"}\n", 1,
	        "unknown field 'step' in a tou tariff's header");
	static const char *const bad_names[] = { "../../etc/passwd", "/etc/localtime", "Europe//Zurich", "Europe/",
		                                 "Europe/Zurich\\n", "Europe/./Zurich", "", "Europe/Zürich" };
	for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
		struct buf want = BUF_INIT;
		buf_reset(&b);
		buf_printf(&b, "{\"type\":\"tariff\",\"kind\":\"tou\",\"tz\":\"%s\"}\n", bad_names[i]);
		buf_printf(&want, "field 'tz': '%s' is not an IANA time zone name such as \"Europe/Zurich\"",
		           strcmp(bad_names[i], "Europe/Zurich\\n") == 0 ? "Europe/Zurich?" : bad_names[i]);
		REFUSED(buf_str(&b), 1, buf_str(&want));
		buf_free(&want);
	}
	REFUSED("{\"type\":\"tariff\",\"kind\":\"tou\",\"tz\":\"Mars/Olympus_Mons\"}\n", 1,
	        "unknown time zone 'Mars/Olympus_Mons' (no file '/usr/share/zoneinfo/Mars/Olympus_Mons')");
	REFUSED("{\"type\":\"tariff\",\"kind\":\"tou\",\"tz\":\"Europe\"}\n", 1,
	        "cannot read time zone 'Europe' from '/usr/share/zoneinfo/Europe': Is a directory");
	REFUSED("{\"type\":\"tariff\",\"kind\":\"tou\",\"tz\":\"zone.tab\"}\n", 1,
	        "time zone 'zone.tab' ('/usr/share/zoneinfo/zone.tab'): not a TZif file");
	REFUSED("{\"type\":\"tariff\",\"kind\":\"tou\",\"tz\":\"right/Europe/Zurich\"}\n", 1,
	        "time zone 'right/Europe/Zurich' ('/usr/share/zoneinfo/right/Europe/Zurich'): zone counts leap "
	        "seconds (a right/ zone), hive's Unix times do not");
	static const struct {
		const char *rule, *why;
	} bad_rules[] = {
		{ "", "expected a standard time name and its offset west of UTC, such as CET-1" },
		{ "CET", "expected a standard time name and its offset west of UTC, such as CET-1" },
		{ "CE-1", "expected a standard time name and its offset west of UTC, such as CET-1" },
		{ "CET-25", "expected a standard time name and its offset west of UTC, such as CET-1" },
		{ "CET-1:5", "expected a standard time name and its offset west of UTC, such as CET-1" },
		{ "CET-1:05CEST1", "daylight-saving time needs its rule, such as ,M3.5.0,M10.5.0/3" },
		{ "CET-1C", "expected a daylight-saving time name after the offset" },
		{ "CET-1CEST", "daylight-saving time needs its rule, such as ,M3.5.0,M10.5.0/3" },
		{ "CET-1CEST,M3.5.0", "malformed rule: want start,end as Mm.w.d, Jn or n, each with an optional /time" },
		{ "CET-1CEST,M13.5.0,M10.5.0", "malformed rule: want start,end as Mm.w.d, Jn or n, each with an optional /time" },
		{ "CET-1CEST,M3.6.0,M10.5.0", "malformed rule: want start,end as Mm.w.d, Jn or n, each with an optional /time" },
		{ "CET-1CEST,M3.5.7,M10.5.0", "malformed rule: want start,end as Mm.w.d, Jn or n, each with an optional /time" },
		{ "CET-1CEST,J0,J365", "malformed rule: want start,end as Mm.w.d, Jn or n, each with an optional /time" },
		{ "CET-1CEST,0,366", "malformed rule: want start,end as Mm.w.d, Jn or n, each with an optional /time" },
		{ "CET-1CEST,M3.5.0/168,M10.5.0", "malformed rule: want start,end as Mm.w.d, Jn or n, each with an optional /time" },
		{ "CET-1CEST-x,M3.5.0,M10.5.0", "the daylight-saving time offset is malformed" },
		{ "CET-1CEST,M3.5.0,M10.5.0/3 ", "text after the rule" },
		{ "<+01-1", "expected a standard time name and its offset west of UTC, such as CET-1" },
	};
	for (size_t i = 0; i < sizeof bad_rules / sizeof bad_rules[0]; i++) {
		struct buf want = BUF_INIT;
		buf_reset(&b);
		buf_printf(&b, "{\"type\":\"tariff\",\"kind\":\"tou\",\"tz_posix\":\"%s\"}\n", bad_rules[i].rule);
		buf_printf(&want, "field 'tz_posix': '%s': %s", bad_rules[i].rule, bad_rules[i].why);
		REFUSED(buf_str(&b), 1, buf_str(&want));
		buf_free(&want);
	}

	/* tou rules. */
	REFUSED(tou, 1, "the tou rules leave mon 00:00 to 24:00 without a price (end with a rule for days \"all\" from "
	        "00:00 to 24:00)");
	static const struct {
		const char *rule, *why;
	} bad_tou[] = {
		{ "\"days\":\"weekdays\",\"from\":\"00:00\",\"to\":\"24:00\"",
		  "days 'weekdays': want \"all\", or day names mon tue wed thu fri sat sun and ranges such as \"mon-fri,sun\"" },
		{ "\"days\":\"Mon\",\"from\":\"00:00\",\"to\":\"24:00\"",
		  "days 'Mon': want \"all\", or day names mon tue wed thu fri sat sun and ranges such as \"mon-fri,sun\"" },
		{ "\"days\":\"mon,\",\"from\":\"00:00\",\"to\":\"24:00\"",
		  "days 'mon,': want \"all\", or day names mon tue wed thu fri sat sun and ranges such as \"mon-fri,sun\"" },
		{ "\"days\":\"\",\"from\":\"00:00\",\"to\":\"24:00\"",
		  "days '': want \"all\", or day names mon tue wed thu fri sat sun and ranges such as \"mon-fri,sun\"" },
		{ "\"days\":\"mon-tue-wed\",\"from\":\"00:00\",\"to\":\"24:00\"",
		  "days 'mon-tue-wed': want \"all\", or day names mon tue wed thu fri sat sun and ranges such as \"mon-fri,sun\"" },
		{ "\"days\":\"fri-mon\",\"from\":\"00:00\",\"to\":\"24:00\"",
		  "days 'fri-mon': the range fri-mon runs backwards (weeks run from mon to sun)" },
		{ "\"days\":\"mon-fri,fri\",\"from\":\"00:00\",\"to\":\"24:00\"", "days 'mon-fri,fri' names fri twice" },
		{ "\"days\":\"all\",\"from\":\"7:00\",\"to\":\"24:00\"",
		  "field 'from': '7:00' is not a time of day from 00:00 to 23:59" },
		{ "\"days\":\"all\",\"from\":\"24:00\",\"to\":\"24:00\"",
		  "field 'from': '24:00' is not a time of day from 00:00 to 23:59" },
		{ "\"days\":\"all\",\"from\":\"00:00\",\"to\":\"00:00\"",
		  "field 'to': '00:00' is not a time of day from 00:01 to 24:00" },
		{ "\"days\":\"all\",\"from\":\"00:00\",\"to\":\"12:60\"",
		  "field 'to': '12:60' is not a time of day from 00:01 to 24:00" },
		{ "\"days\":\"all\",\"from\":\"00:00\",\"to\":\"24:01\"",
		  "field 'to': '24:01' is not a time of day from 00:01 to 24:00" },
		{ "\"days\":\"all\",\"from\":\"22:00\",\"to\":\"06:00\"",
		  "from 22:00 is not before to 06:00 (a rule over midnight is two rules)" },
		{ "\"days\":\"all\",\"from\":\"00:00\"", "field 'to' is missing" },
		{ "\"days\":\"all\",\"from\":\"00:00\",\"to\":\"24:00\",\"start\":\"x\"", "unknown field 'start' in a tou rule" },
	};
	for (size_t i = 0; i < sizeof bad_tou / sizeof bad_tou[0]; i++) {
		buf_reset(&b);
		buf_printf(&b, "%s{\"type\":\"tou\",%s,\"buy\":\"2\",\"sell\":\"1\"}\n", tou, bad_tou[i].rule);
		REFUSED(buf_str(&b), 2, bad_tou[i].why);
	}
	buf_reset(&b);
	buf_printf(&b, "%s{\"type\":\"tou\",\"days\":\"all\",\"from\":\"00:00\",\"to\":\"24:00\",\"buy\":\"1\",\"sell\":\"2\"}\n", tou);
	REFUSED(buf_str(&b), 2, "buy price 1 is below sell price 2 (a tariff needs buy >= sell)");
	buf_reset(&b);
	buf_printf(&b, "%s%s{\"type\":\"tou\",\"days\":\"sat-sun\",\"from\":\"07:00\",\"to\":\"13:00\",\"buy\":\"3\",\"sell\":\"1\"}\n",
	           tou, all);
	REFUSED(buf_str(&b), 3, "this rule never applies: the rules before it already cover all its times");
	buf_reset(&b);
	buf_printf(&b, "%s{\"type\":\"tou\",\"days\":\"mon-fri\",\"from\":\"00:00\",\"to\":\"24:00\",\"buy\":\"3\",\"sell\":\"1\"}\n"
	           "{\"type\":\"holiday\",\"date\":\"2026-12-25\"}\n"
	           "{\"type\":\"tou\",\"days\":\"sat-sun\",\"from\":\"00:00\",\"to\":\"13:00\",\"buy\":\"3\",\"sell\":\"1\"}\n"
	           "{\"type\":\"tou\",\"days\":\"sat\",\"from\":\"14:00\",\"to\":\"24:00\",\"buy\":\"3\",\"sell\":\"1\"}\n\n", tou);
	REFUSED(buf_str(&b), 5, "the tou rules leave sat 13:00 to 14:00 without a price (end with a rule for days \"all\" "
	        "from 00:00 to 24:00)");
	buf_reset(&b);
	buf_printf(&b, "%s{\"type\":\"price\",\"start\":\"2026-06-21T00:00:00Z\",\"buy\":\"2\",\"sell\":\"1\"}\n", tou);
	REFUSED(buf_str(&b), 2, "a 'price' record does not belong in a tou tariff (it takes 'tou' and 'holiday' records)");
	buf_reset(&b);
	for (int i = 0; i <= TARIFF_MAX_RULES; i++)
		buf_printf(&b, "%s{\"type\":\"tou\",\"days\":\"mon\",\"from\":\"%02d:%02d\",\"to\":\"%02d:%02d\",\"buy\":\"2\",\"sell\":\"1\"}\n",
		           i == 0 ? tou : "", i / 60, i % 60, (i + 1) / 60, (i + 1) % 60);
	REFUSED(buf_str(&b), TARIFF_MAX_RULES + 2, "more than 1000 tou rules");

	/* Holidays. */
	static const char *const bad_dates[] = { "2026-02-29", "2026-1-01", "20261225", "2026-12-25T00:00:00Z",
		                                 "2026/12/25", "" };
	for (size_t i = 0; i < sizeof bad_dates / sizeof bad_dates[0]; i++) {
		struct buf want = BUF_INIT;
		buf_reset(&b);
		buf_printf(&b, "%s%s{\"type\":\"holiday\",\"date\":\"%s\"}\n", tou, all, bad_dates[i]);
		buf_printf(&want, "field 'date': '%s' is not a date such as \"2026-12-25\"", bad_dates[i]);
		REFUSED(buf_str(&b), 3, buf_str(&want));
		buf_free(&want);
	}
	buf_reset(&b);
	buf_printf(&b, "%s{\"type\":\"holiday\",\"date\":\"2026-12-25\"}\n%s{\"type\":\"holiday\",\"date\":\"2026-01-01\"}\n"
	           "{\"type\":\"holiday\",\"date\":\"2026-12-25\"}\n", tou, all);
	REFUSED(buf_str(&b), 5, "holiday 2026-12-25 is listed twice (also on line 2)");
	buf_reset(&b);
	buf_printf(&b, "%s%s{\"type\":\"holiday\",\"day\":\"2026-12-25\"}\n", tou, all);
	REFUSED(buf_str(&b), 3, "unknown field 'day' in a holiday record");

	/* Dynamic prices. */
	REFUSED("{\"type\":\"tariff\",\"kind\":\"dynamic\"}\n", 1, "field 'step' is missing");
	REFUSED("{\"type\":\"tariff\",\"kind\":\"dynamic\",\"step\":\"15x\"}\n", 1,
	        "field 'step': '15x' is not a duration such as \"15m\", \"1h\" or \"900\"");
	REFUSED("{\"type\":\"tariff\",\"kind\":\"dynamic\",\"step\":\"0\"}\n", 1,
	        "field 'step': '0' is not a duration such as \"15m\", \"1h\" or \"900\"");
	REFUSED("{\"type\":\"tariff\",\"kind\":\"dynamic\",\"step\":\"7m\"}\n", 1, "field 'step': '7m' does not divide a day");
	REFUSED("{\"type\":\"tariff\",\"kind\":\"dynamic\",\"step\":\"2d\"}\n", 1, "field 'step': '2d' does not divide a day");
	REFUSED(dyn, 1, "a dynamic tariff needs 'price' records");
	static const struct {
		const char *record, *why;
	} bad_prices[] = {
		{ "\"start\":\"2026-06-21T00:10:00Z\",\"buy\":\"2\",\"sell\":\"1\"",
		  "start 2026-06-21T00:10:00Z is not on a step boundary (a multiple of 900 s since 1970-01-01T00:00:00Z)" },
		{ "\"start\":\"2026-06-21T02:00:00+02:00\",\"buy\":\"2\",\"sell\":\"1\"",
		  "field 'start': '2026-06-21T02:00:00+02:00' must be in UTC, ending in Z" },
		{ "\"start\":\"2026-06-21T00:00:00z\",\"buy\":\"2\",\"sell\":\"1\"",
		  "field 'start': '2026-06-21T00:00:00z' must be in UTC, ending in Z" },
		{ "\"start\":\"2026-06-31T00:00:00Z\",\"buy\":\"2\",\"sell\":\"1\"",
		  "field 'start': '2026-06-31T00:00:00Z': time is out of range" },
		{ "\"start\":\"2026-06-21\",\"buy\":\"2\",\"sell\":\"1\"",
		  "field 'start': '2026-06-21': not an RFC 3339 time (want 2026-11-24T10:15:00Z)" },
		{ "\"buy\":\"2\",\"sell\":\"1\"", "field 'start' is missing" },
		{ "\"start\":\"2026-06-21T00:00:00Z\",\"sell\":\"1\"", "field 'buy' is missing" },
		{ "\"start\":\"2026-06-21T00:00:00Z\",\"buy\":\"1\",\"sell\":\"2\"",
		  "buy price 1 is below sell price 2 (a tariff needs buy >= sell)" },
		{ "\"start\":\"2026-06-21T00:00:00Z\",\"buy\":\"2\",\"sell\":\"1\",\"end\":\"2026-06-21T00:15:00Z\"",
		  "unknown field 'end' in a price record" },
	};
	for (size_t i = 0; i < sizeof bad_prices / sizeof bad_prices[0]; i++) {
		buf_reset(&b);
		buf_printf(&b, "%s{\"type\":\"price\",%s}\n", dyn, bad_prices[i].record);
		REFUSED(buf_str(&b), 2, bad_prices[i].why);
	}
	buf_reset(&b);
	buf_printf(&b, "%s{\"type\":\"price\",\"start\":\"2026-06-21T00:15:00Z\",\"buy\":\"2\",\"sell\":\"1\"}\n"
	           "{\"type\":\"price\",\"start\":\"2026-06-21T00:15:00Z\",\"buy\":\"2\",\"sell\":\"1\"}\n", dyn);
	REFUSED(buf_str(&b), 3, "start 2026-06-21T00:15:00Z repeats the price of line 2");
	buf_reset(&b);
	buf_printf(&b, "%s{\"type\":\"price\",\"start\":\"2026-06-21T00:15:00Z\",\"buy\":\"2\",\"sell\":\"1\"}\n\n"
	           "{\"type\":\"price\",\"start\":\"2026-06-21T00:00:00Z\",\"buy\":\"2\",\"sell\":\"1\"}\n", dyn);
	REFUSED(buf_str(&b), 4, "start 2026-06-21T00:00:00Z comes before the price of line 2 (prices go in time order)");
	buf_reset(&b);
	buf_printf(&b, "%s{\"type\":\"holiday\",\"date\":\"2026-12-25\"}\n", dyn);
	REFUSED(buf_str(&b), 2, "a 'holiday' record does not belong in a dynamic tariff (it takes 'price' records)");
	buf_free(&b);
}

/* Broken zone files under a TZDIR of our own: truncated, a v1-only file, leap seconds. */
static void test_zone_files(void)
{
	struct buf zurich = BUF_INIT, msg = BUF_INIT;
	char dir[] = "/tmp/test_tariff.XXXXXX";

	if (read_file("/usr/share/zoneinfo/Europe/Zurich", &zurich, 1 << 20) < 0 || mkdtemp(dir) == NULL) {
		printf("cannot set up the zone file tests: %s\n", strerror(errno));
		CHECK(0);
		buf_free(&zurich);
		return;
	}
	setenv("TZDIR", dir, 1);
	const uint8_t *z = (const uint8_t *)zurich.data;
	/* The version 1 block: its size from the first header's counts (timecnt·5 + typecnt·6 + charcnt …). */
	uint32_t c[6];
	for (int i = 0; i < 6; i++)
		c[i] = (uint32_t)z[20 + 4 * i] << 24 | (uint32_t)z[21 + 4 * i] << 16 | (uint32_t)z[22 + 4 * i] << 8 |
		       z[23 + 4 * i];
	size_t v1 = 44 + c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];
	static const struct {
		const char *name, *why;
	} cases[] = {
		{ "Whole", NULL },
		{ "V1", NULL },
		{ "Truncated", "TZif file is truncated" },
		{ "Short", "not a TZif file" },
		{ "Footless", "TZif file has a malformed footer" },
		{ "Badfoot", "TZif footer is not a POSIX TZ rule hive reads" },
		{ "Version9", "TZif file of an unknown version" },
		{ "Leap", "zone counts leap seconds (a right/ zone), hive's Unix times do not" },
		{ "Order", "TZif transitions are out of order or name no time type" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf path = BUF_INIT, data = BUF_INIT, text = BUF_INIT;
		const char *name = cases[i].name;
		/* A slim TZif file keeps no transitions in its version 1 block: nothing to test there. */
		if (strcmp(name, "V1") == 0 && c[3] < 10)
			continue;
		buf_append(&data, zurich.data, zurich.len);
		if (strcmp(name, "V1") == 0) {
			data.len = v1;
			data.data[4] = 0;
		} else if (strcmp(name, "Truncated") == 0) {
			data.len = v1 + 100;
		} else if (strcmp(name, "Short") == 0) {
			data.len = 40;
		} else if (strcmp(name, "Footless") == 0) {
			data.len -= 1;
		} else if (strcmp(name, "Badfoot") == 0) {
			data.data[data.len - 3] = '?';
		} else if (strcmp(name, "Version9") == 0) {
			data.data[4] = '9';
		} else if (strcmp(name, "Leap") == 0) {
			data.data[v1 + 28 + 3] = 1;          /* leapcnt of the second header */
		} else if (strcmp(name, "Order") == 0) {
			/* Swap the first two 64-bit transition times. */
			char tmp[8];
			char *t0 = data.data + v1 + 44;
			memcpy(tmp, t0, 8);
			memcpy(t0, t0 + 8, 8);
			memcpy(t0 + 8, tmp, 8);
		}
		buf_printf(&path, "%s/%s", dir, name);
		CHECK(create_file_atomic(path.data, data.data, data.len, 0644, NULL, NULL) == 0);
		buf_printf(&text, "{\"type\":\"tariff\",\"kind\":\"tou\",\"tz\":\"%s\"}\n"
		           "{\"type\":\"tou\",\"days\":\"mon-fri\",\"from\":\"07:00\",\"to\":\"20:00\",\"buy\":\"3\",\"sell\":\"1\"}\n"
		           "{\"type\":\"tou\",\"days\":\"all\",\"from\":\"00:00\",\"to\":\"24:00\",\"buy\":\"2\",\"sell\":\"1\"}\n",
		           name);
		struct tariff *t = load_quiet(buf_str(&text), text.len, &msg);
		if (cases[i].why == NULL) {
			CHECK(t != NULL);
			if (t != NULL) {
				PRICES(t, "2026-06-22T05:00:00Z", "3/1");     /* mon 07:00 CEST */
				PRICES(t, "2026-06-22T04:45:00Z", "2/1");
				PRICES(t, "2026-01-12T06:00:00Z", "3/1");     /* mon 07:00 CET */
				PRICES(t, "2026-01-12T05:45:00Z", "2/1");
			}
		} else {
			struct buf want = BUF_INIT;
			buf_printf(&want, "test_tariff: 't.ndjson' line 1: time zone '%s' ('%s'): %s\n", name, path.data,
			           cases[i].why);
			CHECK(t == NULL);
			CHECK_STREQ(buf_str(&msg), buf_str(&want));
			buf_free(&want);
		}
		tariff_free(t);
		unlink(path.data);
		buf_free(&path);
		buf_free(&data);
		buf_free(&text);
	}
	rmdir(dir);
	unsetenv("TZDIR");
	buf_free(&zurich);
	buf_free(&msg);
}

/*
 * The system's zoneinfo read by hand against glibc's localtime_r on zones
 * with every kind of rule: southern DST, half-hour DST (Lord Howe), negative
 * DST (Dublin), negative and past-24 h rule times (Nuuk, Jerusalem), a zone
 * that skipped a day (Apia), offsets of 30 and 45 minutes.
 */
static void test_against_glibc(void)
{
	static const char *const zones[] = {
		"Europe/Zurich", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe", "Europe/Dublin",
		"America/Nuuk", "Asia/Jerusalem", "Pacific/Apia", "Asia/Kathmandu", "America/St_Johns",
		"Africa/Casablanca", "Antarctica/Troll", "America/Santiago", "Etc/GMT+5", "UTC",
	};
	for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
		struct buf member = BUF_INIT;
		buf_printf(&member, "\"tz\":\"%s\"", zones[i]);
		struct tariff *t = clock_tariff(buf_str(&member), "");
		buf_free(&member);
		if (t == NULL)
			continue;
		setenv("TZ", zones[i], 1);
		tzset();
		long differ = 0, n = 0;
		/* Every 15 minutes over 2025–2027, then every 3 days and 7 h 15 min from 1900 to 2100. */
		for (int pass = 0; pass < 2; pass++) {
			int64_t from = pass == 0 ? at("2025-01-01T00:00:00Z") : at("1900-01-01T00:00:00Z");
			int64_t to = pass == 0 ? at("2028-01-01T00:00:00Z") : at("2100-01-01T00:00:00Z");
			int64_t step = pass == 0 ? 900000 : (3 * 86400 + 7 * 3600 + 900) * 1000LL;
			for (int64_t ms = from; ms < to; ms += step) {
				time_t s = (time_t)(ms / 1000);
				struct tm tm;
				if ((int64_t)s != ms / 1000 || localtime_r(&s, &tm) == NULL)
					continue;   /* a 32-bit time_t */
				int want = 100 * ((tm.tm_wday + 6) % 7) + tm.tm_hour * 4 + tm.tm_min / 15;
				int got = local_code(t, ms);
				n++;
				if (got != want && differ++ < 3) {
					char when[RFC3339_SIZE];
					rfc3339_format(when, ms);
					printf("%s at %s: got %d, glibc says %d\n", zones[i], when, got, want);
				}
			}
		}
		CHECK(n > 100000);
		CHECK_INTEQ(differ, 0);
		tariff_free(t);
	}
	unsetenv("TZ");
	tzset();
}

static void test_examples(void)
{
	struct tariff *t;

	CHECK_INTEQ(tariff_load(&t, "share/tariffs/constant.ndjson", NULL), HIVE_OK);
	if (t != NULL) {
		PRICES(t, "2026-06-21T12:00:00Z", "250000/80000");
		tariff_free(t);
	}

	CHECK_INTEQ(tariff_load(&t, "share/tariffs/tou-ch.ndjson", NULL), HIVE_OK);
	if (t != NULL) {
		PRICES(t, "2026-06-22T04:45:00Z", "230000/75000");  /* mon 06:45 CEST: low */
		PRICES(t, "2026-06-22T05:00:00Z", "310000/90000");  /* mon 07:00 CEST: high */
		PRICES(t, "2026-06-22T17:45:00Z", "310000/90000");  /* mon 19:45 */
		PRICES(t, "2026-06-22T18:00:00Z", "230000/75000");  /* mon 20:00 */
		PRICES(t, "2026-01-12T05:45:00Z", "230000/75000");  /* mon 06:45 CET */
		PRICES(t, "2026-01-12T06:00:00Z", "310000/90000");  /* mon 07:00 CET */
		PRICES(t, "2026-06-20T10:45:00Z", "310000/90000");  /* sat 12:45 */
		PRICES(t, "2026-06-20T11:00:00Z", "230000/75000");  /* sat 13:00 */
		PRICES(t, "2026-06-21T10:00:00Z", "230000/75000");  /* sun */
		PRICES(t, "2026-12-24T10:00:00Z", "310000/90000");  /* thu 24 December */
		PRICES(t, "2026-12-25T10:00:00Z", "230000/75000");  /* fri, Christmas */
		PRICES(t, "2026-05-14T08:00:00Z", "230000/75000");  /* Ascension */
		PRICES(t, "2026-05-15T08:00:00Z", "310000/90000");
		/* The Friday before the October change, 06:45 and 07:00 local either side of it. */
		PRICES(t, "2026-10-23T04:45:00Z", "230000/75000");
		PRICES(t, "2026-10-23T05:00:00Z", "310000/90000");
		PRICES(t, "2026-10-26T05:45:00Z", "230000/75000");
		PRICES(t, "2026-10-26T06:00:00Z", "310000/90000");
		tariff_free(t);
	}

	CHECK_INTEQ(tariff_load(&t, "share/tariffs/dynamic-example.ndjson", NULL), HIVE_OK);
	if (t != NULL) {
		int priced = 0, spread_ok = 0;
		mpz_t buy, sell, d;
		mpz_inits(buy, sell, d, NULL);
		for (int64_t ms = at("2026-06-21T00:00:00Z"); ms < at("2026-06-22T00:00:00Z"); ms += 900000)
			if (tariff_prices(t, ms, buy, sell) == 0) {
				priced++;
				mpz_sub(d, buy, sell);
				spread_ok += mpz_cmp_ui(d, 150000) == 0;
			}
		mpz_clears(buy, sell, d, NULL);
		CHECK_INTEQ(priced, 96);
		CHECK_INTEQ(spread_ok, 96);
		PRICES(t, "2026-06-20T23:45:00Z", "none");
		PRICES(t, "2026-06-22T00:00:00Z", "none");
		PRICES(t, "2026-06-21T00:00:00Z", "245000/95000");
		PRICES(t, "2026-06-21T00:15:00Z", "243750/93750");
		PRICES(t, "2026-06-21T10:30:00Z", "152500/2500");
		PRICES(t, "2026-06-21T12:00:00Z", "150000/0");
		PRICES(t, "2026-06-21T19:00:00Z", "320000/170000");
		PRICES(t, "2026-06-21T23:45:00Z", "246250/96250");
		tariff_free(t);
	}

	/* A file that is not there: one diagnostic naming it. */
	struct capture c;
	struct buf msg = BUF_INIT;
	capture_begin(&c);
	CHECK_INTEQ(tariff_load(&t, "share/tariffs/none.ndjson", NULL), HIVE_EINPUT);
	capture_end(&c, &msg);
	CHECK(t == NULL);
	CHECK_STREQ(buf_str(&msg), "test_tariff: cannot read tariff 'share/tariffs/none.ndjson': No such file or directory\n");
	buf_free(&msg);
}

int main(void)
{
	diag_init("test_tariff");
	unsetenv("TZDIR");
	test_constant();
	test_dst_zurich();
	test_dst_rules();
	test_holidays();
	test_days();
	test_dynamic();
	test_refusals();
	test_zone_files();
	test_against_glibc();
	test_examples();
	return check_done("test_tariff");
}
