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
	CHECK_INTEQ(m->overlaps, 2);   /* the replay's import and export spans */
	double q[8], hh[2];
	fch_series(m, FCH_IMPORT, T0, 900000, 8, q);   /* 15-minute slots: halves */
	CHECK(near(q[0], 50) && near(q[1], 50) && near(q[2], 30) && near(q[3], 30));
	CHECK(isnan(q[4]) && isnan(q[5]) && isnan(q[6]) && isnan(q[7]));
	fch_series(m, FCH_IMPORT, T0, 3600000, 2, hh);   /* hourly: sums, unknown where part is missing */
	CHECK(near(hh[0], 160) && isnan(hh[1]));
	fch_series(m, FCH_EXPORT, T0, 1800000, 2, hh);
	CHECK(near(hh[0], 0) && near(hh[1], 20));
	fch_series(m, FCH_IMPORT, T0 - 900000, 900000, 2, q);   /* before the history */
	CHECK(isnan(q[0]) && near(q[1], 50));
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
	CHECK(add(&h, recs[2], &why) == -1);   /* not after the previous reading */
	CHECK(add(&h, "{\"type\":\"reading\",\"meter_id\":\"M1\",\"time\":\"2025-01-01T03:00:00Z\",\"import_wh\":-1}", &why) == -1);
	CHECK(add(&h, "{\"type\":\"reading\",\"meter_id\":\"M1\",\"time\":\"yesterday\",\"import_wh\":1}", &why) == -1);
	CHECK(add(&h, "{\"type\":\"reading\",\"meter_id\":\"M1\",\"time\":\"2025-01-01T03:00:00Z\",\"import_wh\":\"7\"}", &why) == -1);
	CHECK(add(&h, "{\"type\":\"reading\",\"meter_id\":\"M1\",\"time\":\"2025-01-01T03:00:00Z\"}", &why) == -1);
	fch_finish(&h);
	struct fch_meter *m = &h.meters[0];
	CHECK(m->resets == 1 && m->long_gaps == 1);
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

int main(void)
{
	test_intervals_any_step();
	test_readings();
	test_meters_and_bad_intervals();
	return check_done("test_fchistory");
}
