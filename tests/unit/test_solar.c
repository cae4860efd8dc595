/*
 * test_solar.c — sun position against published reference values, and the
 * clear-sky irradiance's known answers and shape (night, polar night and
 * day, sunrise slots, tilted panels).
 */
#include <math.h>

#include "check.h"
#include "solar.h"

/* Unix seconds of a UTC civil time (days from civil, proleptic Gregorian). */
static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
	y -= mo <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + doe - 719468;
	return days * 86400 + h * 3600 + mi * 60 + s;
}

/* |got − want| ≤ tol, printing both when not. */
static int near(double got, double want, double tol)
{
	if (fabs(got - want) <= tol)
		return 1;
	printf("  got %.6f, want %.6f (±%g)\n", got, want, tol);
	return 0;
}

/* The same for azimuths, across north. */
static int near_az(double got, double want, double tol)
{
	double d = fmod(fabs(got - want), 360);
	return near(d > 180 ? 360 - d : d, 0, tol);
}

static int rel_near(double got, double want, double rel)
{
	return near(got, want, rel * fabs(want));
}

struct ref {
	int64_t t;
	double lat, lon, zenith, azimuth;
};

/*
 * True (unrefracted) positions. The NOAA equations are geocentric and
 * these are topocentric, which differ by the parallax, ≤ 0.0024°. Here
 * the algorithm is within 0.004° in zenith and 0.009° in azimuth (that at
 * a zenith of 10.6°, where azimuth is touchy), tested at 0.01° and 0.015°.
 */
static void test_reference_positions(void)
{
	const struct ref refs[] = {
		/* NREL SPA report (Reda & Andreas 2003, NREL/TP-560-34302) example, Golden CO, 12:30:30 MST, as in
		   pvlib's test_solarposition.py: elevation 39.872046 (unrefracted), azimuth 194.340241; the next day
		   39.505196, 194.311132. */
		{ utc(2003, 10, 17, 19, 30, 30), 39.742476, -105.1786, 90 - 39.872046, 194.340241 },
		{ utc(2003, 10, 18, 19, 30, 30), 39.742476, -105.1786, 90 - 39.505196, 194.311132 },
		/* pvlib test_irradiance.py ephem_data (pvlib's own solar position output), Tucson (32.2, −111, 700 m),
		   2014-06-24 00:00, 06:00, 12:00, 18:00 MST: 'zenith' and 'azimuth' columns. */
		{ utc(2014, 6, 24, 7, 0, 0), 32.2, -111, 124.0390863, 352.69550699 },
		{ utc(2014, 6, 24, 13, 0, 0), 32.2, -111, 82.97705621, 66.71410338 },
		{ utc(2014, 6, 24, 19, 0, 0), 32.2, -111, 10.56725766, 144.76567754 },
		{ utc(2014, 6, 25, 1, 0, 0), 32.2, -111, 72.46903556, 287.04104128 },
	};
	for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
		double z, az;
		solar_position(refs[i].t, 0, refs[i].lat, refs[i].lon, &z, &az);
		CHECK(near(z, refs[i].zenith, 0.01));
		CHECK(near_az(az, refs[i].azimuth, 0.015));
	}

	/*
	 * NOAA Solar Calculator, 2012-12-22 12:00 UTC, longitude 0, as quoted
	 * (2 decimals) in Stack Overflow question 8708048 ("Position of the sun
	 * given time of day, latitude and longitude", Josh O'Brien's answer).
	 * Its elevations are refracted.
	 */
	static const double lat[] = { -41, -3, 3, 41 };
	static const double elev[] = { 72.44, 69.57, 63.57, 25.6 };
	static const double az_noaa[] = { 359.09, 180.79, 180.62, 180.3 };
	for (size_t i = 0; i < 4; i++) {
		double z, az;
		solar_position(utc(2012, 12, 22, 12, 0, 0), 0, lat[i], 0, &z, &az);
		double e = 90 - z;
		CHECK(near(e + solar_refraction_deg(e), elev[i], i == 3 ? 0.06 : 0.015));
		CHECK(near_az(az, az_noaa[i], i == 3 ? 0.06 : 0.015));
	}

	/*
	 * Meeus, Astronomical Algorithms (2nd ed.), example 25.a: 1992-10-13
	 * 0h TD, apparent declination −7.78507°; example 28.b: equation of
	 * time 13m42.6s. ΔT was ~59 s, so 0h TD is 23:59:01 UT.
	 */
	double decl, eot;
	solar_declination_eot(utc(1992, 10, 12, 23, 59, 1), 0, &decl, &eot);
	CHECK(near(decl, -7.78507, 0.001));
	CHECK(near(eot, 13 + 42.6 / 60, 0.01));
	/*
	 * pvlib's Tucson data above: equation of time −2.36677158 min at
	 * 2014-06-24 07:00 UTC (SPA's); the Meeus 28.3 series is 0.7 s off it.
	 */
	solar_declination_eot(utc(2014, 6, 24, 7, 0, 0), 0, &decl, &eot);
	CHECK(near(eot, -2.36677158, 0.02));

	/* The fraction is part of the time. */
	double z1, a1, z2, a2;
	solar_position(utc(2014, 6, 24, 13, 0, 0), 30.5, 32.2, -111, &z1, &a1);
	solar_position(utc(2014, 6, 24, 13, 0, 30), 0.5, 32.2, -111, &z2, &a2);
	CHECK(near(z1, z2, 1e-9) && near(a1, a2, 1e-9));
	/* Before 1970 the time of day still counts from midnight. */
	solar_position(utc(1969, 6, 21, 12, 0, 0), 0, 0, 0, &z1, &a1);
	CHECK(near(z1, 23.44, 0.1));
}

/* Published air mass and Haurwitz GHI values (pvlib test_atmosphere.py, test_clearsky.py). */
static void test_clearsky_known(void)
{
	CHECK(near(solar_airmass(0), 1.000, 0.001));
	CHECK(near(solar_airmass(80), 5.586, 0.001));
	CHECK(near(solar_airmass(89.9), 36.467, 0.001));
	CHECK(isnan(solar_airmass(100)));
	CHECK(isnan(solar_airmass(NAN)));

	static const double elev[] = { 5, 10, 30, 50, 90 };
	static const double ghi[] = { 48.6298687941956, 135.741748091813, 487.894132885425,
	                              778.766689344363, 1035.09203253450 };
	for (size_t i = 0; i < 5; i++) {
		struct solar_irradiance cs = solar_clearsky(90 - elev[i]);
		CHECK(rel_near(cs.ghi, ghi[i], 1e-9));
		CHECK(cs.dni > 0 && cs.dhi > 0);
		CHECK(rel_near(cs.dni * cos((90 - elev[i]) * (3.14159265358979323846 / 180)) + cs.dhi, cs.ghi, 1e-12));
	}
	/* Meinel at AM 1: 1353·0.7 = 947.1 W/m²; Kasten–Young gives 0.99977 at the zenith. */
	CHECK(near(solar_clearsky(0).dni, 1353 * pow(0.7, pow(solar_airmass(0), 0.678)), 1e-9));
	CHECK(near(solar_clearsky(0).dni, 947.1, 0.2));
	const double below[] = { 90.001, 90.05, 110, 180 };
	for (size_t i = 0; i < 4; i++) {
		struct solar_irradiance cs = solar_clearsky(below[i]);
		CHECK(cs.ghi == 0 && cs.dni == 0 && cs.dhi == 0);
	}
	/* Right at the horizon the capped beam keeps DHI ≥ 0. */
	struct solar_irradiance low = solar_clearsky(89.95);
	CHECK(low.ghi >= 0 && low.ghi < 1e-6 && low.dhi >= 0);

	/* NOAA refraction: 0 above 85°, ~0.57° (34') at the horizon, ~0.12° at 7°. */
	CHECK(solar_refraction_deg(86) == 0);
	CHECK(near(solar_refraction_deg(0), 1735.0 / 3600, 1e-12));
	CHECK(near(solar_refraction_deg(7.02294379), 82.97705621 - 82.85457044, 0.002));  /* pvlib Tucson */
}

/*
 * Noon within [lo, hi], by bisection: the sun is in the east (azimuth
 * below 180) before it and in the west after, whether it passes south or,
 * south of the tropics, north.
 */
static double crossing(int64_t lo, int64_t hi, double lat, double lon)
{
	double a = (double)lo, b = (double)hi;
	for (int i = 0; i < 60; i++) {
		double mid = (a + b) / 2, whole = floor(mid), z, az;
		solar_position((int64_t)whole, mid - whole, lat, lon, &z, &az);
		if (az < 180)
			a = mid;
		else
			b = mid;
	}
	return (a + b) / 2;
}

static void test_noon(void)
{
	/* Equinox 2024-03-20 at longitude 0: the equation of time is −7.5 min, so noon is ~12:07:30 UTC. */
	int64_t day = utc(2024, 3, 20, 0, 0, 0);
	double noon = crossing(day + 11 * 3600, day + 13 * 3600, 48, 0) - (double)day;
	CHECK(noon > 12 * 3600 + 6 * 60 + 30 && noon < 12 * 3600 + 8 * 60 + 30);
	double decl, eot;
	solar_declination_eot(day + 12 * 3600, 0, &decl, &eot);
	CHECK(near(noon, 12 * 3600 - eot * 60, 1));
	CHECK(near(decl, 0.15, 0.02));  /* the equinox was at 03:06 UTC; +0.4° a day */

	/*
	 * Sydney (−33.9, 151.2) the same day: noon at ~02:02:36 UTC (12:00 − 10h04m48s + 7.5 min), the sun in
	 * the north. Morning sun is north-east, afternoon north-west.
	 */
	double t = crossing(day, day + 4 * 3600, -33.9, 151.2) - (double)day;
	solar_declination_eot(day + 2 * 3600, 0, &decl, &eot);
	CHECK(near(t, 12 * 3600 - 151.2 * 240 - eot * 60, 2));
	double z, az;
	solar_position(day + (int64_t)t, 0, -33.9, 151.2, &z, &az);
	CHECK(near_az(az, 0, 0.05));
	CHECK(near(z, 33.9, 0.2));
	solar_position(day + (int64_t)t - 3 * 3600, 0, -33.9, 151.2, &z, &az);
	CHECK(az > 20 && az < 90);
	solar_position(day + (int64_t)t + 3 * 3600, 0, -33.9, 151.2, &z, &az);
	CHECK(az > 270 && az < 340);
}

static void test_night_and_poles(void)
{
	/* Local midnight at 48 N, 11 E is ~23:16 UTC. */
	struct solar_site munich = { 48, 11, 0, 180 };
	CHECK(solar_clearsky_poa(&munich, (double)utc(2024, 6, 21, 23, 16, 0)) == 0.0);
	CHECK(solar_clearsky_mean(&munich, utc(2024, 12, 21, 20, 0, 0), 3600) == 0.0);

	/* Polar night at 80 N in December: noon elevation ≈ 80 − 90 − 23.4 < 0. */
	struct solar_site north = { 80, 15, 0, 180 };
	int64_t dec = utc(2024, 12, 21, 0, 0, 0);
	int dark = 1;
	for (int m = 0; m < 1440; m++)
		dark &= solar_clearsky_poa(&north, (double)(dec + 60 * m)) == 0.0;
	CHECK(dark);
	CHECK(solar_clearsky_mean(&north, dec, 86400) == 0.0);
	struct solar_site north_tilted = { 80, 15, 60, 180 };
	CHECK(solar_clearsky_mean(&north_tilted, dec, 86400) == 0.0);

	/* Midnight sun at 70 N, 20 E: local midnight ≈ 22:40 UTC, elevation ≈ 23.4 − 20. */
	struct solar_site lapland = { 70, 20, 0, 180 };
	double midnight = (double)utc(2024, 6, 21, 22, 40, 0);
	CHECK(solar_clearsky_poa(&lapland, midnight) > 0);
	struct solar_site lapland_south = { 70, 20, 30, 180 };
	CHECK(solar_clearsky_poa(&lapland_south, midnight) > 0);  /* sky diffuse, though the sun is behind */
	double z, az;
	solar_position(utc(2024, 6, 21, 22, 40, 0), 0, 70, 20, &z, &az);
	CHECK(near(90 - z, 23.44 - 20, 0.1));
	CHECK(near_az(az, 0, 0.5));

	/* NaN and out-of-range times give NaN, not a guess. */
	CHECK(isnan(solar_clearsky_poa(&munich, NAN)));
	CHECK(isnan(solar_clearsky_poa(&munich, INFINITY)));
	struct solar_site nowhere = { NAN, 11, 0, 180 };
	CHECK(isnan(solar_clearsky_poa(&nowhere, (double)utc(2024, 6, 21, 11, 0, 0))));
	CHECK(isnan(solar_clearsky_mean(&munich, dec, 0)));
	CHECK(isnan(solar_clearsky_mean(&munich, dec, -60)));
}

static void test_means(void)
{
	/* Sunrise at 52 N, 5 E on 2024-04-10: find it to the second. */
	struct solar_site site = { 52, 5, 0, 180 };
	int64_t lo = utc(2024, 4, 10, 3, 0, 0), hi = utc(2024, 4, 10, 7, 0, 0);
	CHECK(solar_clearsky_poa(&site, (double)lo) == 0 && solar_clearsky_poa(&site, (double)hi) > 0);
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;
		if (solar_clearsky_poa(&site, (double)mid) > 0)
			hi = mid;
		else
			lo = mid;
	}
	for (int64_t slot = 1800; slot >= 900; slot -= 900) {
		int64_t start = hi - hi % slot;
		double mean = solar_clearsky_mean(&site, start, slot);
		double end = solar_clearsky_poa(&site, (double)(start + slot));
		CHECK(solar_clearsky_poa(&site, (double)start) == 0);
		CHECK(mean > 0 && mean < end);
	}

	/* A day's mean is the mean of its 48 half-hour (and 96 quarter-hour) means. */
	const struct solar_site sites[] = {
		{ 52, 5, 0, 180 }, { 48, 11, 35, 200 }, { -33.9, 151.2, 20, 0 }, { 70, 20, 90, 90 },
	};
	for (size_t k = 0; k < 4; k++) {
		int64_t day = utc(2024, 4, 10, 0, 0, 0);
		double whole = solar_clearsky_mean(&sites[k], day, 86400);
		double halves = 0, quarters = 0;
		for (int i = 0; i < 48; i++)
			halves += solar_clearsky_mean(&sites[k], day + 1800 * i, 1800);
		for (int i = 0; i < 96; i++)
			quarters += solar_clearsky_mean(&sites[k], day + 900 * i, 900);
		CHECK(whole > 0);
		CHECK(rel_near(halves / 48, whole, 1e-9));
		CHECK(rel_near(quarters / 96, whole, 1e-9));
	}

	/* Short slots: one sample at the midpoint; 90 s is two 45-s halves. */
	double noon = (double)utc(2024, 4, 10, 11, 40, 0);
	CHECK(solar_clearsky_mean(&site, utc(2024, 4, 10, 11, 40, 0), 1) == solar_clearsky_poa(&site, noon + 0.5));
	CHECK(rel_near(solar_clearsky_mean(&site, utc(2024, 4, 10, 11, 40, 0), 90),
	               (solar_clearsky_poa(&site, noon + 22.5) + solar_clearsky_poa(&site, noon + 67.5)) / 2, 1e-15));
}

static void test_tilt(void)
{
	/* 48 N, 11 E at winter-solstice noon (~11:16 UTC): the sun is 18.6° high, due south. */
	double t = (double)utc(2024, 12, 21, 11, 16, 0);
	int64_t day = utc(2024, 12, 21, 0, 0, 0);
	struct solar_site flat = { 48, 11, 0, 180 };
	struct solar_site south = { 48, 11, 35, 180 };
	struct solar_site north = { 48, 11, 35, 0 };
	struct solar_site vertical = { 48, 11, 90, 180 };
	double h = solar_clearsky_poa(&flat, t);
	CHECK(h > 200 && h < 400);
	CHECK(solar_clearsky_poa(&south, t) > 1.5 * h);
	CHECK(solar_clearsky_poa(&vertical, t) > h);
	CHECK(solar_clearsky_poa(&north, t) < h);
	CHECK(solar_clearsky_poa(&north, t) > 0);  /* diffuse only: the sun is behind the panel */
	CHECK(solar_clearsky_mean(&south, day, 86400) > solar_clearsky_mean(&flat, day, 86400));
	CHECK(solar_clearsky_mean(&north, day, 86400) < solar_clearsky_mean(&flat, day, 86400));

	/* A north-facing panel steeper than the sun is high sees no beam: sky and ground only. */
	double z, az;
	solar_position(utc(2024, 12, 21, 11, 16, 0), 0, 48, 11, &z, &az);
	struct solar_irradiance cs = solar_clearsky(z - solar_refraction_deg(90 - z));
	double cb = cos(35 * (3.14159265358979323846 / 180));
	CHECK(rel_near(solar_clearsky_poa(&north, t), cs.dhi * (1 + cb) / 2 + 0.2 * cs.ghi * (1 - cb) / 2, 1e-12));

	/* Flat: the azimuth does not matter (not even NaN), and the result is the GHI. */
	const double facings[] = { 0, 90, 180, 270, -45, NAN };
	for (int m = 0; m < 1440; m += 7) {
		double when = (double)(day + 60 * m);
		double ref = solar_clearsky_poa(&flat, when);
		for (size_t i = 0; i < 6; i++) {
			struct solar_site f = { 48, 11, 0, facings[i] };
			CHECK(solar_clearsky_poa(&f, when) == ref);
		}
	}
	CHECK(rel_near(h, cs.ghi, 1e-12));
}

/* The sampled mean: 15 sub-intervals of a 15-minute slot are the minute mean; fewer differ a little; none is NaN. */
static void test_mean_n(void)
{
	struct solar_site s = { 47.4, 8.5, 30, 180, };
	int64_t noon = 1750500000 - 1750500000 % 86400 + 11 * 3600;   /* 2025-06-21T11:00Z */
	CHECK(solar_clearsky_mean_n(&s, noon, 900, 15) == solar_clearsky_mean(&s, noon, 900));
	double coarse = solar_clearsky_mean_n(&s, noon, 900, 5), fine = solar_clearsky_mean(&s, noon, 900);
	CHECK(fabs(coarse - fine) < 1e-3 * fine);
	CHECK(isnan(solar_clearsky_mean_n(&s, noon, 900, 0)));
	CHECK(isnan(solar_clearsky_mean_n(&s, noon, 0, 5)));
}

int main(void)
{
	test_mean_n();
	test_reference_positions();
	test_clearsky_known();
	test_noon();
	test_night_and_poles();
	test_means();
	test_tilt();
	return check_done("test_solar");
}
