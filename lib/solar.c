/*
 * solar.c — sun position and clear-sky irradiance (see solar.h).
 */
#include <math.h>

#include "solar.h"

#define PI 3.14159265358979323846
#define UNIX_J2000 INT64_C(946728000)  /* 2000-01-01 12:00 UTC, JD 2451545.0 */
#define DAY_S INT64_C(86400)
#define ALBEDO 0.2

static double rad(double d)
{
	return d * (PI / 180);
}

static double deg(double r)
{
	return r * (180 / PI);
}

/* The angle in [0, 360). */
static double wrap360(double a)
{
	a = fmod(a, 360);
	return a < 0 ? a + 360 : a;
}

/* What the position needs from the sun's orbit at one instant. */
struct sun {
	double decl;     /* apparent declination, radians */
	double eot_min;  /* equation of time, minutes */
};

/*
 * The NOAA calculator's orbit (Meeus ch. 25, low accuracy, and the
 * equation of time of ch. 28); T in Julian centuries from J2000, UT used
 * for TT.
 */
static struct sun sun_at(int64_t unix_s, double frac_s)
{
	/* Days from J2000 rather than a Julian day, whose double would keep only ~40 µs. */
	double days = ((double)unix_s - (double)UNIX_J2000 + frac_s) / (double)DAY_S;
	double T = days / 36525;
	double L0 = rad(wrap360(280.46646 + T * (36000.76983 + T * 0.0003032)));
	double M = rad(357.52911 + T * (35999.05029 - 0.0001537 * T));
	double e = 0.016708634 - T * (0.000042037 + 0.0000001267 * T);
	double C = sin(M) * (1.914602 - T * (0.004817 + 0.000014 * T))
	         + sin(2 * M) * (0.019993 - 0.000101 * T) + sin(3 * M) * 0.000289;
	double omega = rad(125.04 - 1934.136 * T);
	/* Nutation and aberration take the true longitude to the apparent one. */
	double lambda = L0 + rad(C - 0.00569 - 0.00478 * sin(omega));
	double eps0 = 23 + (26 + (21.448 - T * (46.815 + T * (0.00059 - T * 0.001813))) / 60) / 60;
	double eps = rad(eps0 + 0.00256 * cos(omega));
	double y = tan(eps / 2) * tan(eps / 2);
	double eot = y * sin(2 * L0) - 2 * e * sin(M) + 4 * e * y * sin(M) * cos(2 * L0)
	           - 0.5 * y * y * sin(4 * L0) - 1.25 * e * e * sin(2 * M);
	struct sun s = { asin(sin(eps) * sin(lambda)), 4 * deg(eot) };
	return s;
}

void solar_declination_eot(int64_t unix_s, double frac_s, double *declination_deg, double *eot_min)
{
	struct sun s = sun_at(unix_s, frac_s);
	*declination_deg = deg(s.decl);
	*eot_min = s.eot_min;
}

void solar_position(int64_t unix_s, double frac_s, double lat_deg, double lon_deg,
                    double *zenith_deg, double *azimuth_deg)
{
	struct sun s = sun_at(unix_s, frac_s);
	/* The UTC time of day; C's % keeps the sign of negative times. */
	double day_s = (double)((unix_s % DAY_S + DAY_S) % DAY_S) + frac_s;
	double solar_min = day_s / 60 + s.eot_min + 4 * lon_deg;
	double H = rad(solar_min / 4 - 180);
	double phi = rad(lat_deg);
	double up = sin(phi) * sin(s.decl) + cos(phi) * cos(s.decl) * cos(H);
	double north = sin(s.decl) * cos(phi) - cos(s.decl) * sin(phi) * cos(H);
	double east = -cos(s.decl) * sin(H);
	/* atan2 rather than NOAA's acos: no division by sin z, well-defined at the poles. */
	*zenith_deg = deg(atan2(hypot(north, east), up));
	*azimuth_deg = wrap360(deg(atan2(east, north)));
}

double solar_refraction_deg(double elevation_deg)
{
	double e = elevation_deg, t = tan(rad(e));
	double arcsec;
	if (e > 85)
		return 0;
	if (e > 5)
		arcsec = 58.1 / t - 0.07 / (t * t * t) + 0.000086 / (t * t * t * t * t);
	else if (e > -0.575)
		arcsec = 1735 + e * (-518.2 + e * (103.4 + e * (-12.79 + e * 0.711)));
	else
		arcsec = -20.772 / t;
	return arcsec / 3600;
}

double solar_airmass(double apparent_zenith_deg)
{
	double z = apparent_zenith_deg;
	if (!(z <= 90))
		return NAN;
	return 1 / (cos(rad(z)) + 0.50572 * pow(96.07995 - z, -1.6364));
}

struct solar_irradiance solar_clearsky(double apparent_zenith_deg)
{
	struct solar_irradiance r = { 0, 0, 0 };
	double cz = cos(rad(apparent_zenith_deg));
	if (!(apparent_zenith_deg < 90) || !(cz > 0))
		return r;
	r.ghi = 1098 * cz * exp(-0.059 / cz);
	r.dni = 1353 * pow(0.7, pow(solar_airmass(apparent_zenith_deg), 0.678));
	/* Within ~1.3° of the horizon Meinel's beam outgrows Haurwitz's GHI. */
	double beam_h = r.dni * cz;
	if (beam_h > r.ghi) {
		r.dni = r.ghi / cz;
		beam_h = r.ghi;
	}
	r.dhi = r.ghi - beam_h;
	return r;
}

/* Transposition of a clear sky onto the panel: beam, isotropic sky diffuse, ground reflection. */
static double plane_of_array(const struct solar_site *s, struct solar_irradiance cs,
                             double zenith_deg, double azimuth_deg)
{
	double z = rad(zenith_deg), b = rad(s->tilt_deg);
	double cos_b = cos(b), sin_b = sin(b);
	double cos_aoi = cos(z) * cos_b;
	/* Skipped when flat, so a flat panel ignores its azimuth even if it is NaN. */
	if (sin_b != 0)
		cos_aoi += sin(z) * sin_b * cos(rad(azimuth_deg - s->azimuth_deg));
	double beam = cos_aoi > 0 ? cs.dni * cos_aoi : 0;
	return beam + cs.dhi * (1 + cos_b) / 2 + ALBEDO * cs.ghi * (1 - cos_b) / 2;
}

double solar_clearsky_poa(const struct solar_site *s, double unix_s)
{
	double whole = floor(unix_s);
	double zenith, azimuth;
	/* ±2^62 s is far beyond any date the orbit formulas are for, and stays clear of int64 overflow. */
	if (!(fabs(unix_s) < 0x1p62))
		return NAN;
	solar_position((int64_t)whole, unix_s - whole, s->lat_deg, s->lon_deg, &zenith, &azimuth);
	double apparent = zenith - solar_refraction_deg(90 - zenith);
	if (isnan(apparent))
		return NAN;
	struct solar_irradiance cs = solar_clearsky(apparent);
	if (cs.ghi <= 0)
		return 0;
	return plane_of_array(s, cs, apparent, azimuth);
}

double solar_clearsky_mean(const struct solar_site *s, int64_t start_unix_s, int64_t seconds)
{
	if (seconds <= 0)
		return NAN;
	return solar_clearsky_mean_n(s, start_unix_s, seconds, seconds / 60 + (seconds % 60 != 0));
}

double solar_clearsky_mean_n(const struct solar_site *s, int64_t start_unix_s, int64_t seconds, int64_t n)
{
	if (seconds <= 0 || n <= 0)
		return NAN;
	double step = (double)seconds / (double)n;
	double sum = 0;
	for (int64_t i = 0; i < n; i++)
		sum += solar_clearsky_poa(s, (double)start_unix_s + ((double)i + 0.5) * step);
	return sum / (double)n;
}
