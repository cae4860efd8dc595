/*
 * Assets files: every member and its default, every refusal with its exact
 * message and line, daily windows and goal times over midnight and across
 * both DST changes (a POSIX rule and the system's Europe/Zurich), absolute
 * windows, and the examples in share/assets.
 */
#include <stdbool.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assets.h"
#include "buf.h"
#include "cfgtest.h"
#include "check.h"
#include "diag.h"
#include "timeutil.h"
#include "tz.h"

#define ZURICH_POSIX "CET-1CEST,M3.5.0,M10.5.0/3"
#define HEADER "{\"type\":\"assets\"}\n"
#define HEADER_ZRH "{\"type\":\"assets\",\"tz_posix\":\"" ZURICH_POSIX "\"}\n"
#define BATTERY "{\"type\":\"battery\",\"name\":\"b\",\"capacity_wh\":10000,\"charge_w\":5000,\"discharge_w\":5000,"
#define DEFER "{\"type\":\"deferrable\",\"name\":\"d\",\"power_w\":2000,\"energy_wh\":1500,"

static const char *fmt(int64_t ms)
{
	static char out[4][RFC3339_SIZE];
	static int k;
	k = (k + 1) % 4;
	rfc3339_format(out[k], ms);
	return out[k];
}

/* Loads text with diagnostics captured into msg; returns the load's code. */
static int load_quiet(struct assets *a, const char *text, size_t len, struct buf *msg)
{
	struct capture c;

	capture_begin(&c);
	int rc = assets_load_text(a, "a.ndjson", text, len);
	size_t outlen = capture_end(&c, msg);
	CHECK(rc == HIVE_OK || rc == HIVE_EINPUT);
	CHECK((rc == HIVE_OK) == (outlen == 0));
	return rc;
}

static struct assets *load(const char *text)
{
	static struct assets a;
	struct buf msg = BUF_INIT;
	int rc = load_quiet(&a, text, strlen(text), &msg);
	if (rc != HIVE_OK)
		printf("unexpected refusal: %s", buf_str(&msg));
	CHECK_INTEQ(rc, HIVE_OK);
	buf_free(&msg);
	return &a;
}

/* The text is refused with exactly one diagnostic: "test_assets: 'a.ndjson' line N: want". */
#define REFUSED(text, line, want) refused(text, strlen(text), line, want, __LINE__)
static void refused(const char *text, size_t len, int line, const char *want, int where)
{
	struct assets a;
	struct buf msg = BUF_INIT, expect = BUF_INIT;
	int rc = load_quiet(&a, text, len, &msg);

	buf_printf(&expect, "test_assets: 'a.ndjson' line %d: %s\n", line, want);
	if (rc != HIVE_EINPUT || strcmp(buf_str(&msg), buf_str(&expect)) != 0)
		printf("test line %d:\n", where);
	CHECK_INTEQ(rc, HIVE_EINPUT);
	CHECK_STREQ(buf_str(&msg), buf_str(&expect));
	CHECK(a.zone == NULL && a.n == 0);
	assets_free(&a);
	buf_free(&msg);
	buf_free(&expect);
}

static void test_defaults(void)
{
	struct assets *a = load(HEADER
	                        BATTERY "\"soc_wh\":5000}\n"
	                        DEFER "\"from\":\"18:00\",\"to\":\"07:00\"}\n"
	                        "{\"type\":\"ev\",\"name\":\"car\",\"power_w\":11000,\"energy_wh\":20000,"
	                        "\"release\":\"2026-06-21T16:00:00Z\",\"deadline\":\"2026-06-22T05:00:00Z\"}\n"
	                        "{\"type\":\"pv\",\"name\":\"roof\"}\n");
	CHECK_STREQ(a->worker, "");
	CHECK(!a->has_import_max && !a->has_export_max);
	CHECK(a->zone == NULL);
	CHECK_INTEQ(a->n, 4);

	const struct asset *b = &a->a[0];
	CHECK_INTEQ(b->kind, ASSET_BATTERY);
	CHECK_STREQ(b->name, "b");
	CHECK(b->capacity_wh == 10000 && b->charge_w == 5000 && b->discharge_w == 5000);
	CHECK(b->charge_eff == 1 && b->discharge_eff == 1);
	CHECK(b->soc_min_wh == 0 && b->soc_max_wh == 10000 && b->soc_wh == 5000 && b->soc_final_wh == 5000);
	CHECK(b->cost_per_wh == 0 && b->value_per_wh == 0);
	CHECK_INTEQ(b->source, SOURCE_ANY);
	CHECK_INTEQ(b->ngoals, 0);

	const struct asset *d = &a->a[1];
	CHECK_INTEQ(d->kind, ASSET_DEFERRABLE);
	CHECK_STREQ(d->name, "d");
	CHECK(d->power_w == 2000 && d->energy_wh == 1500 && d->energy_min_wh == 1500 && d->delivered_wh == 0);
	CHECK(d->value_per_wh == 0 && d->cost_per_wh == 0);
	CHECK_INTEQ(d->source, SOURCE_ANY);
	CHECK(d->release.daily && d->deadline.daily);
	CHECK_INTEQ(d->release.minute_of_day, 18 * 60);
	CHECK_INTEQ(d->deadline.minute_of_day, 7 * 60);

	const struct asset *e = &a->a[2];
	CHECK_INTEQ(e->kind, ASSET_EV);
	CHECK(e->energy_min_wh == 20000);
	CHECK(!e->release.daily && !e->deadline.daily);
	CHECK_INTEQ(e->release.at_ms, at("2026-06-21T16:00:00Z"));
	CHECK_INTEQ(e->deadline.at_ms, at("2026-06-22T05:00:00Z"));

	const struct asset *pv = &a->a[3];
	CHECK_INTEQ(pv->kind, ASSET_PV);
	CHECK(pv->cost_per_wh == 0);
	assets_free(a);

	/* A header alone: a Worker with limits and nothing to plan. */
	a = load("{\"type\":\"assets\",\"import_max_w\":0}");
	CHECK_INTEQ(a->n, 0);
	CHECK(a->has_import_max && a->import_max_w == 0 && !a->has_export_max);
	assets_free(a);
}

static void test_members(void)
{
	/* Every member given, CRLF, blank lines, notes everywhere, and a worker in lower case stored in EIP-55 case. */
	struct assets *a = load(
	        "\r\n{\"type\":\"assets\",\"worker\":\"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed\",\"import_max_w\":17250,"
	        "\"export_max_w\":10000.5,\"tz\":\"Europe/Zurich\",\"note\":\"house\"}\r\n\r\n  \t\r\n"
	        "{\"type\":\"battery\",\"name\":\"Garage_1.b-x\",\"capacity_wh\":13500,\"charge_w\":5000,\"discharge_w\":4600,"
	        "\"charge_efficiency\":0.95,\"discharge_efficiency\":0.9,\"soc_min_wh\":1000,\"soc_max_wh\":13000,"
	        "\"soc_wh\":1000,\"soc_final_wh\":13000,\"cycle_cost\":\"20000\",\"source\":\"solar\",\"note\":\"wall\","
	        "\"goals\":[{\"by\":\"07:00\",\"soc_wh\":8000,\"note\":\"morning\"},"
	        "{\"by\":\"2026-06-22T16:00:00Z\",\"soc_wh\":13000}]}\r\n"
	        "{\"type\":\"deferrable\",\"name\":\"heat-pump\",\"power_w\":3000,\"energy_wh\":12000,\"energy_min_wh\":9000,"
	        "\"from\":\"00:00\",\"to\":\"24:00\",\"value\":\"300000\",\"source\":\"any\",\"delivered_wh\":4000.25,"
	        "\"note\":\"heat\"}\r\n"
	        "{\"type\":\"pv\",\"name\":\"roof\",\"curtail_cost\":\"1000000000000000000000000\",\"note\":\"\"}");
	CHECK_STREQ(a->worker, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
	CHECK(a->has_import_max && a->import_max_w == 17250);
	CHECK(a->has_export_max && a->export_max_w == 10000.5);
	CHECK(a->zone != NULL);
	CHECK_INTEQ(a->n, 3);
	const struct asset *b = &a->a[0];
	CHECK_STREQ(b->name, "Garage_1.b-x");
	CHECK(b->capacity_wh == 13500 && b->charge_w == 5000 && b->discharge_w == 4600);
	CHECK(b->charge_eff == 0.95 && b->discharge_eff == 0.9);
	CHECK(b->soc_min_wh == 1000 && b->soc_max_wh == 13000 && b->soc_wh == 1000 && b->soc_final_wh == 13000);
	CHECK(b->cost_per_wh == 20);
	CHECK_INTEQ(b->source, SOURCE_SOLAR);
	CHECK_INTEQ(b->ngoals, 2);
	CHECK(b->goals[0].by.daily && b->goals[0].by.minute_of_day == 420 && b->goals[0].soc_wh == 8000);
	CHECK(!b->goals[1].by.daily && b->goals[1].soc_wh == 13000);
	CHECK_INTEQ(b->goals[1].by.at_ms, at("2026-06-22T16:00:00Z"));
	const struct asset *h = &a->a[1];
	CHECK(h->energy_min_wh == 9000 && h->delivered_wh == 4000.25);
	CHECK(h->value_per_wh == 300);
	CHECK_INTEQ(h->release.minute_of_day, 0);
	CHECK_INTEQ(h->deadline.minute_of_day, 1440);
	CHECK(a->a[2].cost_per_wh == 1e21);
	assets_free(a);
	assets_free(a);         /* twice is harmless */

	/* Upper-case and EIP-55 addresses; -0 is 0; a price of "0"; boundary values. */
	a = load("{\"type\":\"assets\",\"worker\":\"0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED\",\"export_max_w\":-0}\n"
	         BATTERY "\"soc_wh\":10000,\"soc_min_wh\":10000,\"charge_efficiency\":1,\"cycle_cost\":\"0\"}\n"
	         "{\"type\":\"ev\",\"name\":\"c\",\"power_w\":1e12,\"energy_wh\":0,\"from\":\"07:00\",\"to\":\"07:00\"}\n");
	CHECK_STREQ(a->worker, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
	CHECK(a->export_max_w == 0 && !signbit(a->export_max_w));
	CHECK(a->a[0].soc_min_wh == 10000 && a->a[0].soc_final_wh == 10000);
	CHECK(a->a[1].power_w == 1e12 && a->a[1].energy_wh == 0 && a->a[1].energy_min_wh == 0);
	assets_free(a);
	a = load("{\"type\":\"assets\",\"worker\":\"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed\"}");
	CHECK_STREQ(a->worker, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
	assets_free(a);

	/* 64 assets and 16 goals are allowed. */
	struct buf t = BUF_INIT;
	buf_puts(&t, HEADER);
	for (int i = 0; i < ASSETS_MAX; i++)
		buf_printf(&t, "{\"type\":\"pv\",\"name\":\"pv%d\"}\n", i);
	a = load(buf_str(&t));
	CHECK_INTEQ(a->n, ASSETS_MAX);
	CHECK_STREQ(a->a[63].name, "pv63");
	assets_free(a);
	buf_reset(&t);
	buf_puts(&t, HEADER BATTERY "\"soc_wh\":0,\"goals\":[");
	for (int i = 0; i < ASSETS_MAX_GOALS; i++)
		buf_printf(&t, "%s{\"by\":\"%02d:00\",\"soc_wh\":%d}", i ? "," : "", i, i * 100);
	buf_puts(&t, "]}");
	a = load(buf_str(&t));
	CHECK_INTEQ(a->a[0].ngoals, ASSETS_MAX_GOALS);
	CHECK(a->a[0].goals[15].soc_wh == 1500 && a->a[0].goals[15].by.minute_of_day == 900);
	assets_free(a);
	/* A name of 63 bytes. */
	buf_reset(&t);
	buf_puts(&t, HEADER "{\"type\":\"pv\",\"name\":\"");
	for (int i = 0; i < 63; i++)
		buf_putc(&t, 'a');
	buf_puts(&t, "\"}");
	a = load(buf_str(&t));
	CHECK_INTEQ(strlen(a->a[0].name), 63);
	assets_free(a);
	buf_free(&t);
}

static void test_refusals(void)
{
	struct buf t = BUF_INIT;

	/* Files and lines. */
	REFUSED("", 1, "no assets header: the file holds no record");
	REFUSED("\n \r\n\n", 3, "no assets header: the file holds no record");
	REFUSED("{\"type\":\"assets\"", 1, "byte offset 16: invalid JSON: expected ',' or '}' in an object");
	REFUSED(HEADER "{\"type\":\"pv\",\"type\":\"pv\"}", 2, "byte offset 13: duplicate member name");
	REFUSED(HEADER "[1]", 2, "a record must be a JSON object");
	REFUSED(HEADER "{\"name\":\"x\"}", 2, "record has no 'type'");
	REFUSED(HEADER "{\"type\":\"pv\",\"name\":\"x\",\"note\":1}", 2, "field 'note' must be a string");

	/* Headers. */
	REFUSED(BATTERY "\"soc_wh\":5000}\n", 1,
	        "the first record must be the assets header {\"type\":\"assets\",...}, not a 'battery' record");
	REFUSED(HEADER "\n" HEADER, 3, "a second assets header (the first is on line 1)");
	REFUSED("{\"type\":\"assets\",\"owner\":\"me\"}", 1, "unknown field 'owner' in the assets header");
	REFUSED("{\"type\":\"assets\",\"worker\":\"0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed\"}", 1,
	        "field 'worker': '0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed': address fails its EIP-55 checksum");
	REFUSED("{\"type\":\"assets\",\"worker\":\"0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea\"}", 1,
	        "field 'worker': '0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea': not an address (want 0x and 40 hex digits)");
	REFUSED("{\"type\":\"assets\",\"worker\":7}", 1, "field 'worker' must be a string");
	REFUSED("{\"type\":\"assets\",\"import_max_w\":\"17250\"}", 1, "field 'import_max_w' must be a JSON number of W");
	REFUSED("{\"type\":\"assets\",\"export_max_w\":-1}", 1, "field 'export_max_w': -1 is negative");
	REFUSED("{\"type\":\"assets\",\"tz\":\"Europe/Zurich\",\"tz_posix\":\"UTC0\"}", 1,
	        "give the zone with one of 'tz' (an IANA name such as \"Europe/Zurich\") and 'tz_posix' "
	        "(a POSIX TZ rule), not both");
	REFUSED("{\"type\":\"assets\",\"tz\":\"../etc/passwd\"}", 1,
	        "field 'tz': '../etc/passwd' is not an IANA time zone name such as \"Europe/Zurich\"");
	REFUSED("{\"type\":\"assets\",\"tz\":\"Mars/Olympus_Mons\"}", 1,
	        "unknown time zone 'Mars/Olympus_Mons' (no file '/usr/share/zoneinfo/Mars/Olympus_Mons')");
	REFUSED("{\"type\":\"assets\",\"tz_posix\":\"CET-1CEST\"}", 1,
	        "field 'tz_posix': 'CET-1CEST': daylight-saving time needs its rule, such as ,M3.5.0,M10.5.0/3");
	REFUSED(HEADER "{\"type\":\"heatpump\",\"name\":\"x\"}", 2,
	        "unknown record type 'heatpump' (want battery, deferrable, ev or pv)");

	/* Names. */
	REFUSED(HEADER "{\"type\":\"pv\"}", 2, "field 'name' is missing");
	REFUSED(HEADER "{\"type\":\"pv\",\"name\":\"my roof\"}", 2,
	        "field 'name': 'my roof' is not a name of 1 to 63 letters, digits, '-', '_' and '.'");
	REFUSED(HEADER "{\"type\":\"pv\",\"name\":\"\"}", 2,
	        "field 'name': '' is not a name of 1 to 63 letters, digits, '-', '_' and '.'");
	REFUSED(HEADER "{\"type\":\"pv\",\"name\":\"d\\u00e4ch\"}", 2,
	        "field 'name': 'd\xc3\xa4" "ch' is not a name of 1 to 63 letters, digits, '-', '_' and '.'");
	REFUSED(HEADER "{\"type\":\"pv\",\"name\":\"a234567890123456789012345678901234567890123456789012345678901234\"}",
	        2, "field 'name': 'a23456789012345678901234567890123456789012345678...' is not a name of 1 to 63 letters, "
	        "digits, '-', '_' and '.'");
	REFUSED(HEADER "{\"type\":\"pv\",\"name\":\"roof\"}\n" BATTERY "\"soc_wh\":1}\n{\"type\":\"pv\",\"name\":\"roof\"}",
	        4, "name 'roof' is used twice (also on line 2)");
	REFUSED(HEADER "{\"type\":\"pv\",\"name\":\"b\"}\n" BATTERY "\"soc_wh\":1}", 3,
	        "name 'b' is used twice (also on line 2)");

	/* Batteries. */
	REFUSED(HEADER BATTERY "\"soc_wh\":5000,\"capacity\":1}", 2, "unknown field 'capacity' in a battery");
	REFUSED(HEADER BATTERY "\"soc\":5000}", 2, "unknown field 'soc' in a battery");
	REFUSED(HEADER BATTERY "\"note\":\"x\"}", 2, "field 'soc_wh' is missing");
	REFUSED(HEADER "{\"type\":\"battery\",\"name\":\"b\",\"charge_w\":1,\"discharge_w\":1,\"soc_wh\":0}", 2,
	        "field 'capacity_wh' is missing");
	REFUSED(HEADER "{\"type\":\"battery\",\"name\":\"b\",\"capacity_wh\":10,\"discharge_w\":1,\"soc_wh\":0}", 2,
	        "field 'charge_w' is missing");
	REFUSED(HEADER "{\"type\":\"battery\",\"name\":\"b\",\"capacity_wh\":0,\"charge_w\":1,\"discharge_w\":1,"
	        "\"soc_wh\":0}", 2, "field 'capacity_wh' must be above 0");
	REFUSED(HEADER "{\"type\":\"battery\",\"name\":\"b\",\"capacity_wh\":10000,\"charge_w\":-5,\"discharge_w\":1,"
	        "\"soc_wh\":0}", 2, "field 'charge_w': -5 is negative");
	REFUSED(HEADER "{\"type\":\"battery\",\"name\":\"b\",\"capacity_wh\":10000,\"charge_w\":2e12,\"discharge_w\":1,"
	        "\"soc_wh\":0}", 2, "field 'charge_w': 2000000000000 is absurd (at most 1e12)");
	REFUSED(HEADER "{\"type\":\"battery\",\"name\":\"b\",\"capacity_wh\":\"10000\",\"charge_w\":1,\"discharge_w\":1,"
	        "\"soc_wh\":0}", 2, "field 'capacity_wh' must be a JSON number of Wh");
	REFUSED(HEADER BATTERY "\"soc_wh\":null}", 2, "field 'soc_wh' must be a JSON number of Wh");
	REFUSED(HEADER BATTERY "\"soc_wh\":5000,\"charge_efficiency\":1.05}", 2,
	        "field 'charge_efficiency': 1.05 is not in (0, 1] (0.95 is 95 %)");
	REFUSED(HEADER BATTERY "\"soc_wh\":5000,\"discharge_efficiency\":0}", 2,
	        "field 'discharge_efficiency': 0 is not in (0, 1] (0.95 is 95 %)");
	REFUSED(HEADER BATTERY "\"soc_wh\":5000,\"discharge_efficiency\":95}", 2,
	        "field 'discharge_efficiency': 95 is not in (0, 1] (0.95 is 95 %)");
	REFUSED(HEADER BATTERY "\"soc_wh\":5000,\"charge_efficiency\":\"0.9\"}", 2,
	        "field 'charge_efficiency' must be a JSON number in (0, 1]");
	REFUSED(HEADER BATTERY "\"soc_wh\":5000,\"soc_max_wh\":11000}", 2, "soc_max_wh 11000 is above capacity_wh 10000");
	REFUSED(HEADER BATTERY "\"soc_wh\":5000,\"soc_min_wh\":11000}", 2, "soc_min_wh 11000 is above soc_max_wh 10000");
	REFUSED(HEADER BATTERY "\"soc_wh\":5000,\"soc_min_wh\":6000,\"soc_max_wh\":5500}", 2,
	        "soc_min_wh 6000 is above soc_max_wh 5500");
	REFUSED(HEADER BATTERY "\"soc_wh\":10000.5}", 2, "soc_wh 10000.5 is outside [soc_min_wh 0, soc_max_wh 10000]");
	REFUSED(HEADER BATTERY "\"soc_wh\":500,\"soc_min_wh\":1000}", 2,
	        "soc_wh 500 is outside [soc_min_wh 1000, soc_max_wh 10000]");
	REFUSED(HEADER BATTERY "\"soc_wh\":5000,\"soc_max_wh\":9500,\"soc_final_wh\":9600}", 2,
	        "soc_final_wh 9600 is outside [soc_min_wh 0, soc_max_wh 9500]");
	REFUSED(HEADER BATTERY "\"soc_wh\":5000,\"soc_min_wh\":1000,\"soc_final_wh\":999}", 2,
	        "soc_final_wh 999 is outside [soc_min_wh 1000, soc_max_wh 10000]");
	REFUSED(HEADER BATTERY "\"soc_wh\":5000,\"cycle_cost\":20000}", 2,
	        "field 'cycle_cost' must be a string of base units per kWh such as \"250000\", not a JSON number");
	REFUSED(HEADER BATTERY "\"soc_wh\":5000,\"cycle_cost\":\"0.02\"}", 2,
	        "field 'cycle_cost': '0.02': amount is not a decimal string of base units (digits only)");
	REFUSED(HEADER BATTERY "\"soc_wh\":5000,\"cycle_cost\":\"-1\"}", 2,
	        "field 'cycle_cost': '-1': amount is not a decimal string of base units (digits only)");
	REFUSED(HEADER BATTERY "\"soc_wh\":5000,\"cycle_cost\":\"020000\"}", 2,
	        "field 'cycle_cost': '020000': amount has a leading zero");
	REFUSED(HEADER BATTERY "\"soc_wh\":5000,\"cycle_cost\":\"1000000000000000000000001\"}", 2,
	        "field 'cycle_cost': '1000000000000000000000001' base units per kWh is absurd (at most 1e24)");
	REFUSED(HEADER BATTERY "\"soc_wh\":5000,\"source\":\"grid\"}", 2,
	        "field 'source': 'grid' is neither \"any\" nor \"solar\"");
	REFUSED(HEADER BATTERY "\"soc_wh\":5000,\"source\":1}", 2, "field 'source' must be a string");

	/* Goals. */
	REFUSED(HEADER BATTERY "\"soc_wh\":5000,\"goals\":{\"by\":\"07:00\",\"soc_wh\":1}}", 2,
	        "field 'goals' must be an array of goals such as {\"by\":\"07:00\",\"soc_wh\":8000}");
	REFUSED(HEADER BATTERY "\"soc_wh\":5000,\"goals\":[\"07:00\"]}", 2,
	        "goal 1: must be an object {\"by\":\"07:00\",\"soc_wh\":8000}");
	REFUSED(HEADER BATTERY "\"soc_wh\":5000,\"goals\":[{\"by\":\"07:00\",\"soc\":1}]}", 2,
	        "goal 1: unknown field 'soc' in a goal");
	REFUSED(HEADER BATTERY "\"soc_wh\":5000,\"goals\":[{\"by\":\"07:00\",\"soc_wh\":1},{\"soc_wh\":1}]}", 2,
	        "goal 2: field 'by' is missing");
	REFUSED(HEADER BATTERY "\"soc_wh\":5000,\"goals\":[{\"by\":\"07:00\"}]}", 2, "goal 1: field 'soc_wh' is missing");
	REFUSED(HEADER BATTERY "\"soc_wh\":5000,\"soc_min_wh\":1000,\"soc_max_wh\":9500,"
	        "\"goals\":[{\"by\":\"07:00\",\"soc_wh\":1000},{\"by\":\"18:00\",\"soc_wh\":9900}]}", 2,
	        "goal 2: soc_wh 9900 is outside [soc_min_wh 1000, soc_max_wh 9500]");
	REFUSED(HEADER BATTERY "\"soc_wh\":5000,\"soc_min_wh\":1000,\"goals\":[{\"by\":\"07:00\",\"soc_wh\":900}]}", 2,
	        "goal 1: soc_wh 900 is outside [soc_min_wh 1000, soc_max_wh 10000]");
	static const char *const bad_by[] = { "7:00", "24:00", "07:60", "7am", "2026-06-22T07:00:00",
		                              "2026-06-22T07:00:00+02:00", "" };
	for (size_t i = 0; i < sizeof bad_by / sizeof bad_by[0]; i++) {
		struct buf want = BUF_INIT;
		buf_reset(&t);
		buf_printf(&t, HEADER BATTERY "\"soc_wh\":5000,\"goals\":[{\"by\":\"%s\",\"soc_wh\":1}]}", bad_by[i]);
		buf_printf(&want, "goal 1: field 'by': '%s' is neither a time of day \"HH:MM\" from 00:00 to 23:59 nor an "
		           "RFC 3339 time in UTC such as \"2026-06-22T05:00:00Z\"", bad_by[i]);
		REFUSED(buf_str(&t), 2, buf_str(&want));
		buf_free(&want);
	}
	buf_reset(&t);
	buf_puts(&t, HEADER BATTERY "\"soc_wh\":0,\"goals\":[");
	for (int i = 0; i <= ASSETS_MAX_GOALS; i++)
		buf_printf(&t, "%s{\"by\":\"07:00\",\"soc_wh\":0}", i ? "," : "");
	buf_puts(&t, "]}");
	REFUSED(buf_str(&t), 2, "field 'goals' holds 17 goals (at most 16)");

	/* Deferrable loads and evs. */
	REFUSED(HEADER DEFER "\"from\":\"18:00\",\"to\":\"07:00\",\"deadline\":\"2026-06-22T05:00:00Z\"}", 2,
	        "a window is 'from' and 'to' (daily \"HH:MM\") or 'release' and 'deadline' (RFC 3339), not both");
	REFUSED(HEADER DEFER "\"to\":\"07:00\",\"release\":\"2026-06-22T05:00:00Z\"}", 2,
	        "a window is 'from' and 'to' (daily \"HH:MM\") or 'release' and 'deadline' (RFC 3339), not both");
	REFUSED(HEADER DEFER "\"note\":\"x\"}", 2,
	        "no window: give 'from' and 'to' (daily \"HH:MM\") or 'release' and 'deadline' (RFC 3339 in UTC)");
	REFUSED(HEADER DEFER "\"from\":\"18:00\"}", 2, "field 'to' is missing");
	REFUSED(HEADER DEFER "\"to\":\"18:00\"}", 2, "field 'from' is missing");
	REFUSED(HEADER DEFER "\"deadline\":\"2026-06-22T05:00:00Z\"}", 2, "field 'release' is missing");
	REFUSED(HEADER DEFER "\"from\":\"24:00\",\"to\":\"07:00\"}", 2,
	        "field 'from': '24:00' is not a time of day \"HH:MM\" from 00:00 to 23:59");
	REFUSED(HEADER DEFER "\"from\":\"18:00\",\"to\":\"7:00\"}", 2,
	        "field 'to': '7:00' is not a time of day \"HH:MM\" from 00:00 to 24:00");
	REFUSED(HEADER DEFER "\"from\":\"18:00\",\"to\":\"24:01\"}", 2,
	        "field 'to': '24:01' is not a time of day \"HH:MM\" from 00:00 to 24:00");
	REFUSED(HEADER DEFER "\"from\":1800,\"to\":\"07:00\"}", 2, "field 'from' must be a string");
	REFUSED(HEADER DEFER "\"release\":\"2026-06-21T18:00:00+02:00\",\"deadline\":\"2026-06-22T05:00:00Z\"}", 2,
	        "field 'release': '2026-06-21T18:00:00+02:00': must be in UTC, ending in Z");
	REFUSED(HEADER DEFER "\"release\":\"2026-06-21T18:00:00Z\",\"deadline\":\"tomorrow\"}", 2,
	        "field 'deadline': 'tomorrow': not an RFC 3339 time (want 2026-11-24T10:15:00Z)");
	REFUSED(HEADER DEFER "\"release\":\"2026-06-22T07:00:00Z\",\"deadline\":\"2026-06-21T18:00:00Z\"}", 2,
	        "release 2026-06-22T07:00:00Z is not before deadline 2026-06-21T18:00:00Z");
	REFUSED(HEADER DEFER "\"release\":\"2026-06-22T07:00:00Z\",\"deadline\":\"2026-06-22T07:00:00Z\"}", 2,
	        "release 2026-06-22T07:00:00Z is not before deadline 2026-06-22T07:00:00Z");
	REFUSED(HEADER DEFER "\"from\":\"18:00\",\"to\":\"07:00\",\"energy_min_wh\":1500.5}", 2,
	        "energy_min_wh 1500.5 is above energy_wh 1500");
	REFUSED(HEADER DEFER "\"from\":\"18:00\",\"to\":\"07:00\",\"delivered_wh\":2000}", 2,
	        "delivered_wh 2000 is above energy_wh 1500");
	REFUSED(HEADER DEFER "\"from\":\"18:00\",\"to\":\"07:00\",\"value\":300000}", 2,
	        "field 'value' must be a string of base units per kWh such as \"250000\", not a JSON number");
	REFUSED(HEADER DEFER "\"from\":\"18:00\",\"to\":\"07:00\",\"value\":\"\"}", 2, "field 'value': '': amount is empty");
	REFUSED(HEADER DEFER "\"from\":\"18:00\",\"to\":\"07:00\",\"source\":\"wind\"}", 2,
	        "field 'source': 'wind' is neither \"any\" nor \"solar\"");
	REFUSED(HEADER DEFER "\"from\":\"18:00\",\"to\":\"07:00\",\"soc_wh\":1}", 2,
	        "unknown field 'soc_wh' in a deferrable load");
	REFUSED(HEADER "{\"type\":\"ev\",\"name\":\"car\",\"energy_wh\":1,\"from\":\"18:00\",\"to\":\"07:00\"}", 2,
	        "field 'power_w' is missing");
	REFUSED(HEADER "{\"type\":\"ev\",\"name\":\"car\",\"power_w\":1,\"from\":\"18:00\",\"to\":\"07:00\"}", 2,
	        "field 'energy_wh' is missing");
	REFUSED(HEADER "{\"type\":\"ev\",\"name\":\"car\",\"power_w\":1,\"energy_wh\":1,\"capacity_wh\":60000,"
	        "\"from\":\"18:00\",\"to\":\"07:00\"}", 2, "unknown field 'capacity_wh' in an ev");

	/* PV. */
	REFUSED(HEADER "{\"type\":\"pv\",\"name\":\"roof\",\"source\":\"solar\"}", 2, "unknown field 'source' in a pv record");
	REFUSED(HEADER "{\"type\":\"pv\",\"name\":\"roof\",\"curtail_cost\":\"1e3\"}", 2,
	        "field 'curtail_cost': '1e3': amount is not a decimal string of base units (digits only)");

	/* A refusal after the zone was loaded frees it (the sanitizer run checks for the leak). */
	REFUSED(HEADER_ZRH "{\"type\":\"pv\",\"name\":\"roof\",\"curtail_cost\":7}", 2,
	        "field 'curtail_cost' must be a string of base units per kWh such as \"250000\", not a JSON number");

	/* Too many assets. */
	buf_reset(&t);
	buf_puts(&t, HEADER);
	for (int i = 0; i <= ASSETS_MAX; i++)
		buf_printf(&t, "{\"type\":\"pv\",\"name\":\"pv%d\"}\n", i);
	REFUSED(buf_str(&t), 66, "more than 64 assets");
	buf_free(&t);
}

/* The windows of the first asset of text between two times, as "release/deadline ..." in RFC 3339. */
static const char *windows(const struct assets *a, size_t i, const char *from, const char *to)
{
	static char out[4096];
	int64_t win[16][2];
	size_t n = assets_windows(a, &a->a[i], at(from), at(to), win, 16), len = 0;

	out[0] = '\0';
	for (size_t k = 0; k < n && k < 16; k++)
		len += (size_t)snprintf(out + len, sizeof out - len, "%s%s/%s", k ? " " : "", fmt(win[k][0]),
		                        fmt(win[k][1]));
	return out;
}

static const char *goal_times(const struct assets *a, size_t i, size_t g, const char *from, const char *to)
{
	static char out[4096];
	int64_t t[16];
	size_t n = assets_goal_times(a, &a->a[i].goals[g], at(from), at(to), t, 16), len = 0;

	out[0] = '\0';
	for (size_t k = 0; k < n && k < 16; k++)
		len += (size_t)snprintf(out + len, sizeof out - len, "%s%s", k ? " " : "", fmt(t[k]));
	return out;
}

static void test_windows_utc(void)
{
	struct assets *a = load(HEADER
	                        DEFER "\"from\":\"18:00\",\"to\":\"07:00\"}\n"
	                        "{\"type\":\"ev\",\"name\":\"e\",\"power_w\":1,\"energy_wh\":1,\"from\":\"08:00\",\"to\":\"17:30\"}\n"
	                        "{\"type\":\"ev\",\"name\":\"f\",\"power_w\":1,\"energy_wh\":1,"
	                        "\"release\":\"2026-06-21T16:00:00Z\",\"deadline\":\"2026-06-22T05:00:00Z\"}\n"
	                        "{\"type\":\"deferrable\",\"name\":\"g\",\"power_w\":1,\"energy_wh\":1,\"from\":\"07:00\",\"to\":\"07:00\"}\n"
	                        "{\"type\":\"deferrable\",\"name\":\"h\",\"power_w\":1,\"energy_wh\":1,\"from\":\"00:00\",\"to\":\"24:00\"}\n"
	                        "{\"type\":\"pv\",\"name\":\"roof\"}\n");
	/* Over midnight: the window from the evening before reaches into the range. */
	CHECK_STREQ(windows(a, 0, "2026-06-21T00:00:00Z", "2026-06-23T00:00:00Z"),
	            "2026-06-20T18:00:00Z/2026-06-21T07:00:00Z 2026-06-21T18:00:00Z/2026-06-22T07:00:00Z "
	            "2026-06-22T18:00:00Z/2026-06-23T07:00:00Z");
	/* Overlap is strict at both ends: [from, to). */
	CHECK_STREQ(windows(a, 0, "2026-06-21T07:00:00Z", "2026-06-21T18:00:00Z"), "");
	CHECK_STREQ(windows(a, 0, "2026-06-21T06:59:59.999Z", "2026-06-21T18:00:00.001Z"),
	            "2026-06-20T18:00:00Z/2026-06-21T07:00:00Z 2026-06-21T18:00:00Z/2026-06-22T07:00:00Z");
	CHECK_STREQ(windows(a, 1, "2026-06-21T00:00:00Z", "2026-06-22T00:00:00Z"), "2026-06-21T08:00:00Z/2026-06-21T17:30:00Z");
	CHECK_STREQ(windows(a, 1, "2026-06-21T17:30:00Z", "2026-06-22T08:00:00Z"), "");
	/* Absolute. */
	CHECK_STREQ(windows(a, 2, "2026-06-21T00:00:00Z", "2026-06-23T00:00:00Z"), "2026-06-21T16:00:00Z/2026-06-22T05:00:00Z");
	CHECK_STREQ(windows(a, 2, "2026-06-22T04:59:59Z", "2026-06-22T05:00:00Z"), "2026-06-21T16:00:00Z/2026-06-22T05:00:00Z");
	CHECK_STREQ(windows(a, 2, "2026-06-22T05:00:00Z", "2026-06-23T00:00:00Z"), "");
	CHECK_STREQ(windows(a, 2, "2026-06-21T00:00:00Z", "2026-06-21T16:00:00Z"), "");
	/* from == to: a whole day; 00:00 to 24:00: the calendar day. */
	CHECK_STREQ(windows(a, 3, "2026-06-21T12:00:00Z", "2026-06-22T12:00:00Z"),
	            "2026-06-21T07:00:00Z/2026-06-22T07:00:00Z 2026-06-22T07:00:00Z/2026-06-23T07:00:00Z");
	CHECK_STREQ(windows(a, 3, "2026-06-21T06:00:00Z", "2026-06-21T08:00:00Z"),
	            "2026-06-20T07:00:00Z/2026-06-21T07:00:00Z 2026-06-21T07:00:00Z/2026-06-22T07:00:00Z");
	CHECK_STREQ(windows(a, 4, "2026-06-21T00:00:00Z", "2026-06-22T00:00:00Z"), "2026-06-21T00:00:00Z/2026-06-22T00:00:00Z");
	/* Not a load, an empty range, a range before the epoch. */
	int64_t w[4][2];
	CHECK_INTEQ(assets_windows(a, &a->a[5], 0, at("2030-01-01T00:00:00Z"), w, 4), 0);
	CHECK_INTEQ(assets_windows(a, &a->a[0], at("2026-06-21T00:00:00Z"), at("2026-06-21T00:00:00Z"), w, 4), 0);
	CHECK_INTEQ(assets_windows(a, &a->a[0], at("2026-06-22T00:00:00Z"), at("2026-06-21T00:00:00Z"), w, 4), 0);
	CHECK_STREQ(windows(a, 0, "1969-12-31T06:00:00Z", "1970-01-01T12:00:00Z"),
	            "1969-12-30T18:00:00Z/1969-12-31T07:00:00Z 1969-12-31T18:00:00Z/1970-01-01T07:00:00Z");
	/* More than max: the count, and only max written. */
	int64_t many[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
	CHECK_INTEQ(assets_windows(a, &a->a[0], at("2026-06-01T00:00:00Z"), at("2026-07-01T00:00:00Z"), many, 2), 31);
	CHECK_INTEQ(many[0][0], at("2026-05-31T18:00:00Z"));
	CHECK_INTEQ(many[1][1], at("2026-06-02T07:00:00Z"));
	CHECK_INTEQ(many[2][0], -1);
	CHECK_INTEQ(assets_windows(a, &a->a[2], 0, INT64_MAX, NULL, 0), 1);
	/* A long range: one window a day, ascending and apart. */
	int64_t year[400][2];
	size_t n = assets_windows(a, &a->a[0], at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z"), year, 400);
	CHECK_INTEQ(n, 366);
	int bad = 0;
	for (size_t k = 1; k < n; k++)
		bad += year[k][0] - year[k - 1][0] != 86400000 || year[k][1] - year[k][0] != 13 * 3600000;
	CHECK_INTEQ(bad, 0);
	/* Extreme ranges run and stay sane. */
	CHECK(assets_windows(a, &a->a[0], INT64_MIN, INT64_MIN + 86400000, w, 4) == 0);
	CHECK(assets_windows(a, &a->a[0], INT64_MAX - 86400000, INT64_MAX, w, 4) == 0);
	assets_free(a);
}

/*
 * Zurich on the nights of the DST changes, by a POSIX rule and by the
 * system's zoneinfo: 29 March 2026 02:00 CET → 03:00 CEST at 01:00 UTC;
 * 25 October 2026 03:00 CEST → 02:00 CET at 01:00 UTC.
 */
static void test_windows_dst(void)
{
	static const char *const headers[] = { HEADER_ZRH, "{\"type\":\"assets\",\"tz\":\"Europe/Zurich\"}\n" };
	for (size_t z = 0; z < 2; z++) {
		struct buf t = BUF_INIT;
		buf_puts(&t, headers[z]);
		buf_puts(&t, "{\"type\":\"deferrable\",\"name\":\"night\",\"power_w\":1,\"energy_wh\":1,\"from\":\"22:00\",\"to\":\"06:00\"}\n"
		             "{\"type\":\"deferrable\",\"name\":\"early\",\"power_w\":1,\"energy_wh\":1,\"from\":\"01:00\",\"to\":\"04:00\"}\n"
		             "{\"type\":\"deferrable\",\"name\":\"gap\",\"power_w\":1,\"energy_wh\":1,\"from\":\"02:30\",\"to\":\"05:00\"}\n"
		             "{\"type\":\"deferrable\",\"name\":\"inside\",\"power_w\":1,\"energy_wh\":1,\"from\":\"02:15\",\"to\":\"02:45\"}\n"
		             "{\"type\":\"deferrable\",\"name\":\"vanish\",\"power_w\":1,\"energy_wh\":1,\"from\":\"02:30\",\"to\":\"03:00\"}\n"
		             "{\"type\":\"deferrable\",\"name\":\"day\",\"power_w\":1,\"energy_wh\":1,\"from\":\"07:00\",\"to\":\"07:00\"}\n"
		             "{\"type\":\"deferrable\",\"name\":\"cal\",\"power_w\":1,\"energy_wh\":1,\"from\":\"00:00\",\"to\":\"24:00\"}\n"
		             "{\"type\":\"deferrable\",\"name\":\"fold\",\"power_w\":1,\"energy_wh\":1,\"from\":\"02:30\",\"to\":\"03:30\"}\n"
		             "{\"type\":\"deferrable\",\"name\":\"fold2\",\"power_w\":1,\"energy_wh\":1,\"from\":\"01:30\",\"to\":\"02:30\"}\n");
		struct assets *a = load(buf_str(&t));
		buf_free(&t);
		if (a->n != 9)
			continue;
		/* Over midnight into a short night (7 h) and a long one (9 h), and an ordinary one (8 h). */
		CHECK_STREQ(windows(a, 0, "2026-03-29T00:00:00Z", "2026-03-29T12:00:00Z"),
		            "2026-03-28T21:00:00Z/2026-03-29T04:00:00Z");
		CHECK_STREQ(windows(a, 0, "2026-10-25T00:00:00Z", "2026-10-25T12:00:00Z"),
		            "2026-10-24T20:00:00Z/2026-10-25T05:00:00Z");
		CHECK_STREQ(windows(a, 0, "2026-03-29T12:00:00Z", "2026-03-30T12:00:00Z"),
		            "2026-03-29T20:00:00Z/2026-03-30T04:00:00Z");
		CHECK_STREQ(windows(a, 0, "2026-01-10T00:00:00Z", "2026-01-10T12:00:00Z"),
		            "2026-01-09T21:00:00Z/2026-01-10T05:00:00Z");
		/* 01:00 CET to 04:00 CEST is two hours on the spring night; 01:00 CEST to 04:00 CET four in autumn. */
		CHECK_STREQ(windows(a, 1, "2026-03-28T12:00:00Z", "2026-03-29T12:00:00Z"),
		            "2026-03-29T00:00:00Z/2026-03-29T02:00:00Z");
		CHECK_STREQ(windows(a, 1, "2026-10-24T12:00:00Z", "2026-10-25T12:00:00Z"),
		            "2026-10-24T23:00:00Z/2026-10-25T03:00:00Z");
		/* 02:30 does not exist on 29 March: it is taken an hour later, 03:30 CEST. */
		CHECK_STREQ(windows(a, 2, "2026-03-28T12:00:00Z", "2026-03-29T12:00:00Z"),
		            "2026-03-29T01:30:00Z/2026-03-29T03:00:00Z");
		CHECK_STREQ(windows(a, 2, "2026-03-29T12:00:00Z", "2026-03-30T12:00:00Z"),
		            "2026-03-30T00:30:00Z/2026-03-30T03:00:00Z");
		CHECK_STREQ(windows(a, 8, "2026-03-28T12:00:00Z", "2026-03-29T12:00:00Z"),
		            "2026-03-29T00:30:00Z/2026-03-29T01:30:00Z");  /* 01:30 CET to 03:30 CEST */
		CHECK_STREQ(windows(a, 3, "2026-03-28T12:00:00Z", "2026-03-29T12:00:00Z"),
		            "2026-03-29T01:15:00Z/2026-03-29T01:45:00Z");
		/* 02:30 to 03:00 on the spring night: 03:30 CEST is after 03:00 CEST, so no window that day. */
		CHECK_STREQ(windows(a, 4, "2026-03-28T00:00:00Z", "2026-03-31T00:00:00Z"),
		            "2026-03-28T01:30:00Z/2026-03-28T02:00:00Z 2026-03-30T00:30:00Z/2026-03-30T01:00:00Z");
		/* A whole day is 23 h in spring and 25 h in autumn, as is the calendar day. */
		CHECK_STREQ(windows(a, 5, "2026-03-29T06:00:00Z", "2026-03-29T06:00:00.001Z"),
		            "2026-03-29T05:00:00Z/2026-03-30T05:00:00Z");
		CHECK_STREQ(windows(a, 5, "2026-03-28T07:00:00Z", "2026-03-28T07:00:00.001Z"),
		            "2026-03-28T06:00:00Z/2026-03-29T05:00:00Z");
		CHECK_STREQ(windows(a, 5, "2026-10-24T06:00:00Z", "2026-10-24T06:00:00.001Z"),
		            "2026-10-24T05:00:00Z/2026-10-25T06:00:00Z");
		CHECK_STREQ(windows(a, 6, "2026-03-29T12:00:00Z", "2026-03-29T12:00:00.001Z"),
		            "2026-03-28T23:00:00Z/2026-03-29T22:00:00Z");
		CHECK_STREQ(windows(a, 6, "2026-10-25T12:00:00Z", "2026-10-25T12:00:00.001Z"),
		            "2026-10-24T22:00:00Z/2026-10-25T23:00:00Z");
		/* 02:30 happens twice on 25 October: the first, 02:30 CEST; 03:30 once, CET: a window of two hours. */
		CHECK_STREQ(windows(a, 7, "2026-10-24T12:00:00Z", "2026-10-25T12:00:00Z"),
		            "2026-10-25T00:30:00Z/2026-10-25T02:30:00Z");
		CHECK_STREQ(windows(a, 7, "2026-03-28T12:00:00Z", "2026-03-29T12:00:00Z"), "");  /* 03:30 to 03:30 */
		CHECK_STREQ(windows(a, 8, "2026-10-24T12:00:00Z", "2026-10-25T12:00:00Z"),
		            "2026-10-24T23:30:00Z/2026-10-25T00:30:00Z");
		/*
		 * Across 2026 (UTC) the windows ascend and never overlap, one a day:
		 * 366 when the last one of 2025 or the first of 2027 reaches into it,
		 * one less for "vanish" and "fold", which skip the spring night.
		 */
		static const size_t per_year[9] = { 366, 365, 365, 365, 364, 366, 366, 364, 365 };
		int64_t year[400][2];
		for (size_t i = 0; i < a->n; i++) {
			size_t n = assets_windows(a, &a->a[i], at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z"), year, 400);
			int bad = 0;
			for (size_t k = 0; k < n; k++)
				bad += year[k][1] <= year[k][0] || (k > 0 && year[k][0] < year[k - 1][1]);
			CHECK_INTEQ(bad, 0);
			if (n != per_year[i])
				printf("%s: %zu windows\n", a->a[i].name, n);
			CHECK_INTEQ(n, per_year[i]);
		}
		assets_free(a);
	}
}

/* Local minute of day of t (ms) in zone z. */
static int local_minute(const struct tz *z, int64_t t)
{
	int64_t s = t / 1000 + tz_offset(z, t / 1000);
	return (int)(((s % 86400) + 86400) % 86400 / 60);
}

/* 03:00 to 02:30 over the spring night, whose 02:30 is 03:30: the next window starts when that one ends. */
static void test_windows_never_overlap(void)
{
	struct assets *a = load("{\"type\":\"assets\",\"tz\":\"Europe/Zurich\"}\n"
	                        "{\"type\":\"ev\",\"name\":\"car\",\"power_w\":4000,\"energy_wh\":10000,"
	                        "\"from\":\"03:00\",\"to\":\"02:30\"}\n");
	if (a->n != 1)
		return;
	CHECK_STREQ(windows(a, 0, "2026-03-28T12:00:00Z", "2026-03-29T12:00:00Z"),
	            "2026-03-28T02:00:00Z/2026-03-29T01:30:00Z 2026-03-29T01:30:00Z/2026-03-30T00:30:00Z");
	assets_free(a);
}

static void test_goal_times(void)
{
	struct assets *a = load(HEADER_ZRH BATTERY "\"soc_wh\":5000,\"goals\":[{\"by\":\"07:00\",\"soc_wh\":8000},"
	                        "{\"by\":\"02:30\",\"soc_wh\":1},{\"by\":\"2026-06-22T05:00:00Z\",\"soc_wh\":2},"
	                        "{\"by\":\"00:00\",\"soc_wh\":3}]}\n");
	CHECK_STREQ(goal_times(a, 0, 0, "2026-03-28T00:00:00Z", "2026-03-31T00:00:00Z"),
	            "2026-03-28T06:00:00Z 2026-03-29T05:00:00Z 2026-03-30T05:00:00Z");
	CHECK_STREQ(goal_times(a, 0, 0, "2026-03-28T06:00:00Z", "2026-03-30T05:00:00Z"),
	            "2026-03-28T06:00:00Z 2026-03-29T05:00:00Z");
	CHECK_STREQ(goal_times(a, 0, 1, "2026-03-28T00:00:00Z", "2026-03-31T00:00:00Z"),
	            "2026-03-28T01:30:00Z 2026-03-29T01:30:00Z 2026-03-30T00:30:00Z");
	CHECK_STREQ(goal_times(a, 0, 1, "2026-10-24T00:00:00Z", "2026-10-27T00:00:00Z"),
	            "2026-10-24T00:30:00Z 2026-10-25T00:30:00Z 2026-10-26T01:30:00Z");
	CHECK_STREQ(goal_times(a, 0, 2, "2026-06-22T05:00:00Z", "2026-06-22T05:00:00.001Z"), "2026-06-22T05:00:00Z");
	CHECK_STREQ(goal_times(a, 0, 2, "2026-06-21T00:00:00Z", "2026-06-22T05:00:00Z"), "");
	CHECK_STREQ(goal_times(a, 0, 3, "2026-06-21T22:00:00Z", "2026-06-23T22:00:00Z"),
	            "2026-06-21T22:00:00Z 2026-06-22T22:00:00Z");
	int64_t t[2] = { -1, -1 };
	CHECK_INTEQ(assets_goal_times(a, &a->a[0].goals[0], at("2026-06-01T00:00:00Z"), at("2026-07-01T00:00:00Z"), t, 1), 30);
	CHECK_INTEQ(t[0], at("2026-06-01T05:00:00Z"));
	CHECK_INTEQ(t[1], -1);
	CHECK_INTEQ(assets_goal_times(a, &a->a[0].goals[0], 5, 5, t, 1), 0);
	assets_free(a);

	/*
	 * Every minute of the days around both changes: the instant reads that
	 * minute on the local clock, except in the skipped hour, where it reads
	 * an hour later; in the repeated hour it is the first of the two.
	 */
	struct tz *z = NULL;
	const char *why;
	CHECK(tz_load_posix(&z, ZURICH_POSIX, &why) == 0);
	struct buf text = BUF_INIT;
	buf_puts(&text, HEADER_ZRH BATTERY "\"soc_wh\":0,\"goals\":[{\"by\":\"00:00\",\"soc_wh\":0}]}\n");
	a = load(buf_str(&text));
	buf_free(&text);
	long wrong = 0, shifted = 0, repeated = 0;
	for (int m = 0; m < 1440; m++) {
		a->a[0].goals[0].by.minute_of_day = m;
		int64_t times[8];
		/* Local days 27–30 March and 23–26 October. */
		size_t n = assets_goal_times(a, &a->a[0].goals[0], at("2026-03-26T23:00:00Z"), at("2026-03-30T22:00:00Z"),
		                             times, 4);
		size_t n2 = assets_goal_times(a, &a->a[0].goals[0], at("2026-10-22T22:00:00Z"), at("2026-10-26T23:00:00Z"),
		                              times + 4, 4);
		wrong += n != 4 || n2 != 4;
		for (int k = 0; k < 8; k++) {
			int lm = local_minute(z, times[k]);
			if (lm == m + 60 && m >= 120 && m < 180 && k == 2)
				shifted++;
			else if (lm != m)
				wrong++;
			if (k == 6 && m >= 120 && m < 180 && local_minute(z, times[k] + 3600000) == m &&
			    local_minute(z, times[k] - 3600000) != m)
				repeated++;
			if (k > 0 && k != 4 && times[k] <= times[k - 1])
				wrong++;
		}
	}
	CHECK_INTEQ(wrong, 0);
	CHECK_INTEQ(shifted, 60);
	CHECK_INTEQ(repeated, 60);
	assets_free(a);
	tz_free(z);
}

static void test_examples(void)
{
	struct assets a;

	CHECK_INTEQ(assets_load(&a, "share/assets/household-battery.ndjson"), HIVE_OK);
	CHECK_INTEQ(a.n, 1);
	if (a.n == 1) {
		CHECK(a.zone != NULL && a.has_import_max && a.import_max_w == 13800 && a.has_export_max);
		CHECK_INTEQ(a.a[0].kind, ASSET_BATTERY);
		CHECK(a.a[0].capacity_wh == 10000 && a.a[0].soc_wh == 5000 && a.a[0].cost_per_wh == 50);
		CHECK_INTEQ(a.a[0].ngoals, 1);
		CHECK_STREQ(goal_times(&a, 0, 0, "2026-06-22T00:00:00Z", "2026-06-23T00:00:00Z"), "2026-06-22T05:00:00Z");
	}
	assets_free(&a);

	CHECK_INTEQ(assets_load(&a, "share/assets/household-ev.ndjson"), HIVE_OK);
	CHECK_INTEQ(a.n, 5);
	if (a.n == 5) {
		CHECK_STREQ(a.worker, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
		CHECK_INTEQ(a.a[0].kind, ASSET_PV);
		CHECK_INTEQ(a.a[1].kind, ASSET_BATTERY);
		CHECK_INTEQ(a.a[1].source, SOURCE_SOLAR);
		CHECK_INTEQ(a.a[2].kind, ASSET_EV);
		CHECK_INTEQ(a.a[3].kind, ASSET_DEFERRABLE);
		CHECK_STREQ(a.a[3].name, "dishwasher");
		CHECK_STREQ(windows(&a, 2, "2026-06-22T00:00:00Z", "2026-06-23T00:00:00Z"),
		            "2026-06-21T16:00:00Z/2026-06-22T05:00:00Z 2026-06-22T16:00:00Z/2026-06-23T05:00:00Z");
		CHECK_STREQ(windows(&a, 3, "2026-06-22T00:00:00Z", "2026-06-23T00:00:00Z"),
		            "2026-06-21T19:00:00Z/2026-06-22T05:00:00Z 2026-06-22T19:00:00Z/2026-06-23T05:00:00Z");
		CHECK(a.a[4].value_per_wh == 120 && a.a[4].energy_min_wh == 0);
	}
	assets_free(&a);

	CHECK_INTEQ(assets_load(&a, "share/assets/heat-pump.ndjson"), HIVE_OK);
	CHECK_INTEQ(a.n, 3);
	if (a.n == 3) {
		CHECK_INTEQ(a.a[0].kind, ASSET_DEFERRABLE);
		CHECK(a.a[0].energy_min_wh < a.a[0].energy_wh && a.a[0].value_per_wh > 0);
		CHECK_INTEQ(a.a[2].kind, ASSET_EV);
		CHECK(!a.a[2].release.daily);
	}
	assets_free(&a);

	/* A file that is not there: one diagnostic naming it. */
	struct capture c;
	struct buf msg = BUF_INIT;
	capture_begin(&c);
	CHECK_INTEQ(assets_load(&a, "share/assets/none.ndjson"), HIVE_EINPUT);
	capture_end(&c, &msg);
	CHECK(a.n == 0 && a.zone == NULL);
	CHECK_STREQ(buf_str(&msg), "test_assets: cannot read assets 'share/assets/none.ndjson': No such file or directory\n");
	buf_free(&msg);
}

int main(void)
{
	diag_init("test_assets");
	unsetenv("TZDIR");
	test_defaults();
	test_members();
	test_refusals();
	test_windows_utc();
	test_windows_dst();
	test_windows_never_overlap();
	test_goal_times();
	test_examples();
	return check_done("test_assets");
}
