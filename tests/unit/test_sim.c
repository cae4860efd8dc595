/* The simulated household: reproducible, energy-exact registers, plausible load, sun and battery. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sim.h"

#define MS_PER_HOUR INT64_C(3600000)
#define MS_PER_DAY (24 * MS_PER_HOUR)
#define JUNE_21_2026_MS INT64_C(1782000000000)   /* 2026-06-21T00:00:00Z */
#define JAN_5_2026_MS INT64_C(1767571200000)     /* 2026-01-05T00:00:00Z, a Monday */

static struct sim_config pv_battery_config(uint64_t seed)
{
	struct sim_config c = sim_config_defaults();

	c.seed = seed;
	c.start_ms = JUNE_21_2026_MS - 3 * MS_PER_DAY;
	c.pv_kwp = 5;
	c.battery_kwh = 10;
	c.battery_kw = 5;
	return c;
}

/* The values a reading carries, compared exactly. */
static int same_reading(const struct reading *a, const struct reading *b)
{
	return a->meter_time == b->meter_time
		&& a->import_wh.digits == b->import_wh.digits
		&& a->export_wh.digits == b->export_wh.digits
		&& a->power_import_w.digits == b->power_import_w.digits
		&& a->power_export_w.digits == b->power_export_w.digits
		&& a->phase[0].current_a.digits == b->phase[0].current_a.digits
		&& strcmp(a->meter_id, b->meter_id) == 0;
}

static void test_config(void)
{
	struct sim_config c = sim_config_defaults();

	CHECK(sim_config_problem(&c) == NULL);
	CHECK_INTEQ(c.period_ms, 10000);
	CHECK(c.annual_kwh == 3500);
	CHECK(c.pv_kwp == 0 && c.battery_kwh == 0);
	c.period_ms = 0;
	CHECK(sim_config_problem(&c) != NULL);
	c = sim_config_defaults();
	c.annual_kwh = NAN;
	CHECK(sim_config_problem(&c) != NULL);
	c = sim_config_defaults();
	c.cloudiness = 1.5;
	CHECK(sim_config_problem(&c) != NULL);
	c = sim_config_defaults();
	c.latitude_deg = 91;
	CHECK(sim_config_problem(&c) != NULL);
	c = sim_config_defaults();
	c.tz_offset_min = 15 * 60;
	CHECK(sim_config_problem(&c) != NULL);
	c = sim_config_defaults();
	c.battery_kw = -1;
	CHECK(sim_config_problem(&c) != NULL);
}

static void test_marked_as_simulated(void)
{
	struct sim_config c = sim_config_defaults();
	struct sim s;
	struct reading r;

	c.seed = 42;
	sim_init(&s, &c);
	sim_next(&s, &r);
	CHECK_STREQ(r.protocol, "sim");
	CHECK(r.simulated);
	CHECK(r.checked);
	CHECK_STREQ(r.meter_id, "SIM-42");
	CHECK_STREQ(r.model, "hive-read sim");
	CHECK(r.has_meter_time);
	CHECK_INTEQ(r.meter_time, c.start_ms / 1000);
	/* The first reading opens the registers. */
	CHECK(r.import_wh.set && r.export_wh.set);
	CHECK_INTEQ(r.import_wh.digits, 0);
	CHECK_INTEQ(r.export_wh.digits, 0);
	CHECK_INTEQ(r.phases, 1);
	CHECK_INTEQ(r.phase[0].voltage_v.digits, 230);
	CHECK_INTEQ(r.phase[0].current_a.exp, -2);
	CHECK(r.power_import_w.digits > 0);
	/* Current is the power over 230 V, to the centiampere. */
	CHECK(llabs(r.phase[0].current_a.digits * 230 - r.power_import_w.digits * 100) <= 115);
	sim_next(&s, &r);
	CHECK_INTEQ(r.meter_time, c.start_ms / 1000 + 10);
	CHECK(r.import_wh.digits >= 0);
}

static void test_reproducible(void)
{
	struct sim_config c = pv_battery_config(42);
	struct sim a, b, other;
	struct reading ra, rb, ro;
	int differ = 0, other_differs = 0;

	sim_init(&a, &c);
	sim_init(&b, &c);
	c.seed = 43;
	sim_init(&other, &c);
	for (int i = 0; i < 10000; i++) {
		sim_next(&a, &ra);
		sim_next(&b, &rb);
		sim_next(&other, &ro);
		differ += !same_reading(&ra, &rb) || a.load_w != b.load_w || a.pv_w != b.pv_w
			|| a.battery_w != b.battery_w;
		other_differs += a.load_w != other.load_w;
	}
	CHECK_INTEQ(differ, 0);
	CHECK(ra.import_wh.digits + ra.export_wh.digits > 0);
	CHECK(other_differs > 5000);
	CHECK_STREQ(ro.meter_id, "SIM-43");
}

/*
 * Between two readings the registers grow by the later reading's power times
 * the period: within 1 Wh each step, and exactly (floored) in total.
 */
static void check_registers(const struct sim_config *c, int steps)
{
	struct sim s;
	struct reading r, prev;
	int64_t import_wms = 0, export_wms = 0;
	int backwards = 0, off = 0, both = 0, totals_off = 0;

	sim_init(&s, c);
	sim_next(&s, &prev);
	for (int i = 0; i < steps; i++) {
		sim_next(&s, &r);
		int64_t d_import = r.import_wh.digits - prev.import_wh.digits;
		int64_t d_export = r.export_wh.digits - prev.export_wh.digits;
		int64_t p_import = r.power_import_w.digits, p_export = r.power_export_w.digits;

		backwards += d_import < 0 || d_export < 0;
		both += p_import > 0 && p_export > 0;
		import_wms += p_import * c->period_ms;
		export_wms += p_export * c->period_ms;
		off += fabs((double)d_import - (double)(p_import * c->period_ms) / MS_PER_HOUR) > 1;
		off += fabs((double)d_export - (double)(p_export * c->period_ms) / MS_PER_HOUR) > 1;
		totals_off += r.import_wh.digits != import_wms / MS_PER_HOUR
			|| r.export_wh.digits != export_wms / MS_PER_HOUR;
		prev = r;
	}
	CHECK_INTEQ(backwards, 0);
	CHECK_INTEQ(both, 0);
	CHECK_INTEQ(off, 0);
	CHECK_INTEQ(totals_off, 0);
	CHECK(r.export_wh.digits > 0);
}

static void test_registers_follow_power(void)
{
	struct sim_config c = pv_battery_config(7);

	check_registers(&c, 3 * 8640);          /* three days at 10 s */
	c.period_ms = 15 * 60000;
	c.battery_kwh = 0;
	check_registers(&c, 60 * 96);           /* two months at 15 min */
	c.period_ms = 7001;                      /* periods that do not divide an hour */
	check_registers(&c, 20000);
}

/* Energy over a year at 15-minute steps, from the import register without PV. */
static double simulated_year_kwh(double annual_kwh, uint64_t seed)
{
	struct sim_config c = sim_config_defaults();
	struct sim s;
	struct reading r;

	c.seed = seed;
	c.annual_kwh = annual_kwh;
	c.period_ms = 15 * 60000;
	sim_init(&s, &c);
	for (int i = 0; i <= 365 * 96; i++)
		sim_next(&s, &r);
	return (double)r.import_wh.digits / 1000;
}

static void test_annual_consumption(void)
{
	static const struct { double kwh; uint64_t seed; } cases[] = {
		{ 3500, 1 }, { 3500, 2 }, { 1500, 3 }, { 6000, 4 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		double got = simulated_year_kwh(cases[i].kwh, cases[i].seed);
		CHECK(fabs(got - cases[i].kwh) <= 0.10 * cases[i].kwh);
	}
	CHECK(simulated_year_kwh(0, 5) == 0);
}

/* A clear 21 June at 48.8 N: dark at night, strong at noon, zero never negative. */
static void test_pv_clear_day(void)
{
	struct sim_config c = sim_config_defaults();
	struct sim s;
	struct reading r;
	int night_light = 0, negative = 0;
	int64_t noon_w = -1;

	c.latitude_deg = 48.8;
	c.longitude_deg = 2.35;
	c.pv_kwp = 4;
	c.cloudiness = 0;
	c.start_ms = JUNE_21_2026_MS;
	c.period_ms = 60000;
	sim_init(&s, &c);
	for (int i = 0; i < 24 * 60; i++) {
		sim_next(&s, &r);
		int64_t minute = (r.meter_time * 1000 - JUNE_21_2026_MS) / 60000;
		if (minute < 3 * 60 || minute >= 21 * 60)       /* sunrise ≈ 03:47Z, sunset ≈ 19:58Z */
			night_light += s.pv_w != 0;
		if (minute == 11 * 60 + 52)                      /* solar noon at 2.35 E */
			noon_w = s.pv_w;
		negative += s.pv_w < 0;
	}
	CHECK_INTEQ(night_light, 0);
	CHECK_INTEQ(negative, 0);
	CHECK(noon_w > 2500 && noon_w < 4000);

	/* The same day south of the equator is winter: less sun at noon. */
	c.latitude_deg = -33.9;
	c.longitude_deg = 2.35;
	sim_init(&s, &c);
	for (int i = 0; i <= 11 * 60 + 52; i++)
		sim_next(&s, &r);
	CHECK(s.pv_w > 0 && s.pv_w < noon_w);
}

/* The self-consumption rule and the battery's limits, minute by minute for two weeks. */
static void test_battery(void)
{
	struct sim_config c = pv_battery_config(11);
	struct sim s;
	struct reading r;
	int64_t limit_w = 2500;
	int out_of_bounds = 0, over_limit = 0, wasted = 0, idle_import = 0, no_export_rule = 0;
	double soc_min = 100, soc_max = 0;

	c.battery_kwh = 3;
	c.battery_kw = 2.5;
	c.period_ms = 60000;
	sim_init(&s, &c);
	for (int i = 0; i < 14 * 1440; i++) {
		sim_next(&s, &r);
		double soc = sim_soc_percent(&s);
		out_of_bounds += soc < 0 || soc > 100;
		soc_min = soc < soc_min ? soc : soc_min;
		soc_max = soc > soc_max ? soc : soc_max;
		over_limit += s.battery_w > limit_w || s.battery_w < -limit_w;
		/* Export only what neither the load nor a full or maxed-out battery can take. */
		if (r.power_export_w.digits > 0)
			wasted += s.battery_w < 0 || (s.battery_w < limit_w && soc < 99.9);
		if (r.power_import_w.digits > 0)
			idle_import += s.battery_w > 0 || (s.battery_w > -limit_w && soc > 0.1);
		no_export_rule += r.power_export_w.digits != (s.grid_w < 0 ? -s.grid_w : 0)
			|| s.grid_w != s.load_w - s.pv_w + s.battery_w;
	}
	CHECK_INTEQ(out_of_bounds, 0);
	CHECK_INTEQ(over_limit, 0);
	CHECK_INTEQ(wasted, 0);
	CHECK_INTEQ(idle_import, 0);
	CHECK_INTEQ(no_export_rule, 0);
	CHECK(soc_max > 99);       /* June sun fills it */
	CHECK(soc_min < 1);        /* and the night empties it */

	/* Without a battery, export is exactly PV beyond the load. */
	int mismatch = 0, exported = 0;
	c.battery_kwh = 0;
	sim_init(&s, &c);
	for (int i = 0; i < 3 * 1440; i++) {
		sim_next(&s, &r);
		int64_t surplus = s.pv_w - s.load_w;
		mismatch += s.battery_w != 0 || r.power_export_w.digits != (surplus > 0 ? surplus : 0);
		exported += r.power_export_w.digits > 0;
	}
	CHECK_INTEQ(mismatch, 0);
	CHECK(exported > 0);
	CHECK(sim_soc_percent(&s) == 0);
}

/* Eight weeks at 15 minutes: weekends differ from weekdays, evenings from nights. */
static void test_weekly_and_daily_shape(void)
{
	struct sim_config c = sim_config_defaults();
	struct sim s;
	struct reading r;
	double weekday = 0, weekend = 0, evening = 0, night = 0;
	int nweekday = 0, nweekend = 0, nevening = 0, nnight = 0;

	c.seed = 5;
	c.start_ms = JAN_5_2026_MS;
	c.tz_offset_min = 60;
	c.period_ms = 15 * 60000;
	sim_init(&s, &c);
	for (int i = 0; i < 8 * 7 * 96; i++) {
		sim_next(&s, &r);
		int64_t local = r.meter_time * 1000 - c.period_ms / 2 + 60 * 60000 - JAN_5_2026_MS;
		int64_t day = local / MS_PER_DAY, hour = local % MS_PER_DAY / MS_PER_HOUR;
		if (local < 0)
			continue;
		if (day % 7 >= 5) {
			weekend += (double)s.load_w;
			nweekend++;
		} else {
			weekday += (double)s.load_w;
			nweekday++;
		}
		if (hour >= 18 && hour < 21) {
			evening += (double)s.load_w;
			nevening++;
		} else if (hour >= 2 && hour < 5) {
			night += (double)s.load_w;
			nnight++;
		}
	}
	weekday /= nweekday;
	weekend /= nweekend;
	CHECK(fabs(weekend - weekday) > 0.03 * weekday);
	CHECK(evening / nevening > 2.5 * night / nnight);
	CHECK(night / nnight > 100);      /* a base load never sleeps */
}

int main(void)
{
	test_config();
	test_marked_as_simulated();
	test_reproducible();
	test_registers_follow_power();
	test_annual_consumption();
	test_pv_clear_day();
	test_battery();
	test_weekly_and_daily_shape();
	return check_done("test_sim");
}
