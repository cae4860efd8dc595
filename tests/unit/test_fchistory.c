/*
 * test_fchistory.c — readings and intervals laid on regular grids: any step
 * in and out, gaps, resets, repeated slots, incomplete slots, bad records.
 */
#include <math.h>

#include "check.h"
#include "fchistory.h"

static const int64_t T0 = 1735689600000;   /* 2025-01-01T00:00:00Z */

static int add(struct fch *h, const char *json, const char **why)
{
	jv v = jv_parse(json);
	int rc = fch_add(h, v, why);
	jv_free(v);
	return rc;
}

static int near(double a, double b)
{
	return fabs(a - b) < 1e-9;
}

static void test_intervals_any_step(void)
{
	struct fch h;
	const char *why;
	fch_init(&h, 3600000);
	/* Four 30-minute intervals, the third missing, the fourth incomplete. */
	CHECK(add(&h, "{\"type\":\"interval\",\"meter\":\"0xA\",\"start\":\"2025-01-01T00:00:00Z\",\"seconds\":1800,\"import_wh\":100,\"export_wh\":0}", &why) == 0);
	CHECK(add(&h, "{\"type\":\"interval\",\"meter\":\"0xA\",\"start\":\"2025-01-01T00:30:00Z\",\"seconds\":1800,\"import_wh\":60,\"export_wh\":20}", &why) == 0);
	CHECK(add(&h, "{\"type\":\"interval\",\"meter\":\"0xA\",\"start\":\"2025-01-01T01:30:00Z\",\"seconds\":1800,\"import_wh\":10,\"complete\":false}", &why) == 0);
	/* The same first slot again (a replay) must not count twice. */
	CHECK(add(&h, "{\"type\":\"interval\",\"meter\":\"0xA\",\"start\":\"2025-01-01T00:00:00Z\",\"seconds\":1800,\"import_wh\":100,\"export_wh\":0}", &why) == 0);
	CHECK(add(&h, "{\"type\":\"event\"}", &why) == 1);
	fch_finish(&h);
	CHECK_INTEQ(h.nmeters, 1);
	struct fch_meter *m = &h.meters[0];
	CHECK(m->has[FCH_IMPORT] && m->has[FCH_EXPORT] && m->any_export);
	CHECK_INTEQ(m->repeats, 2);   /* the replay's import and export spans, counted once */
	CHECK_INTEQ(m->conflicts, 0);
	double q[8], hh[2];
	fch_series(m, FCH_IMPORT, T0, 900000, 8, q);   /* 15-minute slots: halves */
	CHECK(near(q[0], 50) && near(q[1], 50) && near(q[2], 30) && near(q[3], 30));
	CHECK(isnan(q[4]) && isnan(q[5]) && isnan(q[6]) && isnan(q[7]));
	fch_series(m, FCH_IMPORT, T0, 3600000, 2, hh);   /* hourly: sums, unknown where part is missing */
	CHECK(near(hh[0], 160) && isnan(hh[1]));
	fch_series(m, FCH_EXPORT, T0, 1800000, 2, hh);
	CHECK(near(hh[0], 0) && near(hh[1], 20));
	fch_series(m, FCH_IMPORT, T0 - 900000, 900000, 3, q);   /* before the history */
	CHECK(isnan(q[0]) && near(q[1], 50) && near(q[2], 50));
	/* A grid ending inside a span: the span's energy was not known yet at its end. */
	fch_series(m, FCH_IMPORT, T0 - 900000, 900000, 2, q);
	CHECK(isnan(q[0]) && isnan(q[1]));
	fch_free(&h);
}

static void test_readings(void)
{
	struct fch h;
	const char *why;
	fch_init(&h, 3600000);
	/* Registers every 10 minutes; then a reset; then a 2-hour silence. */
	static const char *const recs[] = {
		"{\"type\":\"reading\",\"meter_id\":\"M1\",\"time\":\"2025-01-01T00:00:00Z\",\"import_wh\":1000}",
		"{\"type\":\"reading\",\"meter_id\":\"M1\",\"time\":\"2025-01-01T00:10:00Z\",\"import_wh\":1030}",
		"{\"type\":\"reading\",\"meter_id\":\"M1\",\"time\":\"2025-01-01T00:20:00Z\",\"import_wh\":1060}",
		"{\"type\":\"reading\",\"meter_id\":\"M1\",\"time\":\"2025-01-01T00:30:00Z\",\"import_wh\":1090.5}",
		"{\"type\":\"reading\",\"meter_id\":\"M1\",\"time\":\"2025-01-01T00:40:00Z\",\"import_wh\":5}",
		"{\"type\":\"reading\",\"meter_id\":\"M1\",\"time\":\"2025-01-01T00:50:00Z\",\"import_wh\":35}",
		"{\"type\":\"reading\",\"meter_id\":\"M1\",\"time\":\"2025-01-01T02:50:00Z\",\"import_wh\":100}",
	};
	for (size_t i = 0; i < sizeof recs / sizeof *recs; i++)
		CHECK(add(&h, recs[i], &why) == 0);
	CHECK(add(&h, recs[2], &why) == 0);   /* a repeat, late: counted once */
	CHECK(add(&h, "{\"type\":\"reading\",\"meter_id\":\"M1\",\"time\":\"2025-01-01T03:00:00Z\",\"import_wh\":-1}", &why) == -1);
	CHECK(add(&h, "{\"type\":\"reading\",\"meter_id\":\"M1\",\"time\":\"yesterday\",\"import_wh\":1}", &why) == -1);
	CHECK(add(&h, "{\"type\":\"reading\",\"meter_id\":\"M1\",\"time\":\"2025-01-01T03:00:00Z\",\"import_wh\":\"7\"}", &why) == -1);
	CHECK(add(&h, "{\"type\":\"reading\",\"meter_id\":\"M1\",\"time\":\"2025-01-01T03:00:00Z\"}", &why) == -1);
	fch_finish(&h);
	struct fch_meter *m = &h.meters[0];
	CHECK(m->resets == 1 && m->long_gaps == 1 && m->repeats == 1 && m->conflicts == 0);
	CHECK(m->has[FCH_IMPORT] && !m->has[FCH_EXPORT]);
	double q[4];
	fch_series(m, FCH_IMPORT, T0, 900000, 4, q);
	/* [0,15) = 30 + half of 30; [15,30) = half of 30 + 30.5; [30,45) covers the reset: unknown. */
	CHECK(near(q[0], 45) && near(q[1], 45.5) && isnan(q[2]) && isnan(q[3]));
	fch_free(&h);
}

static void test_meters_and_bad_intervals(void)
{
	struct fch h;
	const char *why;
	fch_init(&h, 3600000);
	CHECK(add(&h, "{\"type\":\"interval\",\"meter\":\"0xA\",\"start\":\"2025-01-01T00:00:00Z\",\"seconds\":900,\"import_wh\":1}", &why) == 0);
	CHECK(add(&h, "{\"type\":\"interval\",\"meter\":\"0xB\",\"start\":\"2025-01-01T00:00:00Z\",\"seconds\":900,\"export_wh\":3}", &why) == 0);
	CHECK(add(&h, "{\"type\":\"interval\",\"start\":\"2025-01-01T00:00:00Z\",\"seconds\":900,\"import_wh\":1}", &why) == 0);
	CHECK(add(&h, "{\"type\":\"interval\",\"meter\":\"0xA\",\"start\":\"2025-01-01T00:15:00Z\",\"seconds\":0,\"import_wh\":1}", &why) == -1);
	CHECK(add(&h, "{\"type\":\"interval\",\"meter\":\"0xA\",\"start\":\"2025-01-01T00:15:00Z\",\"seconds\":900.5,\"import_wh\":1}", &why) == -1);
	CHECK(add(&h, "{\"type\":\"interval\",\"meter\":\"0xA\",\"start\":\"2025-01-01T00:15:00Z\",\"seconds\":900}", &why) == -1);
	CHECK(add(&h, "{\"type\":\"interval\",\"meter\":\"0xA\",\"start\":\"2025-01-01T00:15:00Z\",\"seconds\":900,\"import_wh\":-2}", &why) == -1);
	CHECK(add(&h, "{\"type\":\"interval\",\"meter\":\"0xA\",\"seconds\":900,\"import_wh\":2}", &why) == -1);
	fch_finish(&h);
	CHECK_INTEQ(h.nmeters, 3);
	CHECK_STREQ(h.meters[1].name, "0xB");
	CHECK(h.meters[1].has[FCH_EXPORT] && !h.meters[1].has[FCH_IMPORT] && h.meters[1].any_export);
	CHECK_STREQ(h.meters[2].name, "");
	fch_free(&h);
}

/* Readings in any order give the same spans; two different readings of one time are both dropped. */
static void test_reading_order_and_conflicts(void)
{
	static const char *const recs[] = {
		"{\"type\":\"reading\",\"time\":\"2025-01-01T00:30:00Z\",\"import_wh\":130}",
		"{\"type\":\"reading\",\"time\":\"2025-01-01T00:00:00Z\",\"import_wh\":100}",
		"{\"type\":\"reading\",\"time\":\"2025-01-01T00:15:00Z\",\"import_wh\":110}",
		"{\"type\":\"reading\",\"time\":\"2025-01-01T00:45:00Z\",\"import_wh\":150}",
		"{\"type\":\"reading\",\"time\":\"2025-01-01T00:45:00Z\",\"import_wh\":151}",
	};
	struct fch h;
	const char *why;
	fch_init(&h, 3600000);
	for (size_t i = 0; i < 5; i++)
		CHECK(add(&h, recs[i], &why) == 0);
	fch_finish(&h);
	struct fch_meter *m = &h.meters[0];
	CHECK(m->conflicts == 2 && m->nspans[FCH_IMPORT] == 2);
	double q[3];
	fch_series(m, FCH_IMPORT, T0, 900000, 3, q);
	CHECK(near(q[0], 10) && near(q[1], 20) && isnan(q[2]));
	fch_free(&h);
}

/* A coarse span over finer ones is dropped, whichever comes first; two different energies of one span both. */
static void test_span_conflicts(void)
{
	for (int order = 0; order < 2; order++) {
		struct fch h;
		const char *why;
		fch_init(&h, 3600000);
		const char *month = "{\"type\":\"interval\",\"start\":\"2024-12-31T23:00:00Z\",\"seconds\":2678400,\"import_wh\":5}";
		if (order == 0)
			CHECK(add(&h, month, &why) == 0);
		for (int i = 0; i < 8; i++) {
			char rec[160];
			snprintf(rec, sizeof rec, "{\"type\":\"interval\",\"start\":\"2025-01-01T%02d:%02d:00Z\",\"seconds\":900,\"import_wh\":%d}",
			         i / 4, i % 4 * 15, 10 + i);
			CHECK(add(&h, rec, &why) == 0);
		}
		CHECK(add(&h, order ? "{\"type\":\"interval\",\"start\":\"2025-01-01T02:00:00Z\",\"seconds\":900,\"import_wh\":1}"
		                    : "{\"type\":\"interval\",\"start\":\"2025-01-01T02:00:00Z\",\"seconds\":900,\"import_wh\":2}", &why) == 0);
		CHECK(add(&h, order ? "{\"type\":\"interval\",\"start\":\"2025-01-01T02:00:00Z\",\"seconds\":900,\"import_wh\":2}"
		                    : "{\"type\":\"interval\",\"start\":\"2025-01-01T02:00:00Z\",\"seconds\":900,\"import_wh\":1}", &why) == 0);
		if (order == 1)
			CHECK(add(&h, month, &why) == 0);
		fch_finish(&h);
		struct fch_meter *m = &h.meters[0];
		CHECK(m->coarse == 1 && m->conflicts == 2 && m->nspans[FCH_IMPORT] == 8);
		double q[9];
		fch_series(m, FCH_IMPORT, T0, 900000, 9, q);
		CHECK(near(q[0], 10) && near(q[7], 17) && isnan(q[8]));
		fch_free(&h);
	}
}

static void test_names(void)
{
	struct fch h;
	const char *why;
	fch_init(&h, 3600000);
	CHECK(add(&h, "{\"type\":\"interval\",\"meter\":\"0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F\",\"start\":\"2025-01-01T00:00:00Z\",\"seconds\":900,\"import_wh\":1}", &why) == 0);
	CHECK(add(&h, "{\"type\":\"interval\",\"meter\":\"0x9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f\",\"start\":\"2025-01-01T00:15:00Z\",\"seconds\":900,\"import_wh\":1}", &why) == 0);
	CHECK(add(&h, "{\"type\":\"interval\",\"meter\":\"Alice\",\"start\":\"2025-01-01T00:00:00Z\",\"seconds\":900,\"import_wh\":1}", &why) == 0);
	CHECK(add(&h, "{\"type\":\"interval\",\"meter\":\"alice\",\"start\":\"2025-01-01T00:00:00Z\",\"seconds\":900,\"import_wh\":1}", &why) == 0);
	CHECK(add(&h, "{\"type\":\"interval\",\"meter_id\":\"Alice\",\"start\":\"2025-01-01T00:00:00Z\",\"seconds\":900,\"import_wh\":1}", &why) == 0);
	CHECK(add(&h, "{\"type\":\"interval\",\"meter_id\":\"0123456789012345678901234567890123456789012345678901234567890123\",\"start\":\"2025-01-01T00:00:00Z\",\"seconds\":900,\"import_wh\":1}", &why) == -1);
	CHECK_STREQ(why, "a meter name of more than 63 bytes");
	fch_finish(&h);
	CHECK_INTEQ(h.nmeters, 4);
	CHECK_STREQ(h.meters[0].name, "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F");
	CHECK_INTEQ(h.meters[0].nspans[FCH_IMPORT], 2);
	fch_free(&h);
}

int main(void)
{
	test_reading_order_and_conflicts();
	test_span_conflicts();
	test_names();
	test_intervals_any_step();
	test_readings();
	test_meters_and_bad_intervals();
	return check_done("test_fchistory");
}
