/*
 * solar.h — where the sun is and how much light a clear sky puts on a PV
 * panel. hive-forecast forecasts a Worker's PV production without weather
 * data: this clear-sky irradiance for the Worker's location and panel,
 * scaled by the caller with the recent clearness (actual / clear-sky).
 *
 * The sun's position follows the NOAA solar calculator (its equations are
 * Meeus, "Astronomical Algorithms", ch. 25 and 28, low accuracy): within
 * 0.01° of NREL's SPA at the test's reference points (1992–2014; the
 * series lose accuracy far from 2000). It is geocentric (no parallax, at
 * most 0.0024°) and ignores ΔT (the ~70 s between UT and TT, ~0.001°).
 *
 * Clear sky, every step a published formula:
 *   GHI = 1098·cos z·exp(−0.059 / cos z)        Haurwitz (1945), as in pvlib
 *   AM  = 1 / (cos z + 0.50572·(96.07995 − z)^−1.6364)   Kasten & Young 1989
 *   DNI = 1353·0.7^(AM^0.678)                   Meinel & Meinel (1976)
 * with z the apparent (refracted) zenith. The DNI's horizontal share is
 * capped at the GHI, and the diffuse horizontal is the rest:
 *   DHI = GHI − DNI·cos z.
 * On a panel of tilt β (isotropic sky, ground albedo 0.2):
 *   POA = DNI·max(cos θ, 0) + DHI·(1 + cos β)/2 + 0.2·GHI·(1 − cos β)/2
 * where θ is the angle of incidence. No site altitude, turbidity or
 * Earth–Sun distance: the caller's clearness scaling absorbs such slow,
 * site-specific biases.
 *
 * Times are Unix seconds (UTC, no leap seconds). Angles are degrees:
 * latitude north positive, longitude east positive, azimuths clockwise
 * from north (90 = east, 180 = south).
 *
 * Ownership: no allocation, no state; the functions only read their
 * arguments.
 */
#ifndef HIVE_SOLAR_H
#define HIVE_SOLAR_H

#include <stdint.h>

struct solar_site {
	double lat_deg, lon_deg;
	double tilt_deg;     /* 0 = horizontal, 90 = vertical */
	double azimuth_deg;  /* where the panel faces, clockwise from north (180 = south); unused when tilt is 0 */
};

/* Clear-sky irradiance on horizontal and sun-facing planes, W/m². */
struct solar_irradiance {
	double ghi;  /* global horizontal */
	double dni;  /* direct normal */
	double dhi;  /* diffuse horizontal */
};

/*
 * The sun's true (unrefracted) zenith angle, 0..180, and azimuth, [0, 360),
 * at unix_s + frac_s. The zenith is above 90 at night; see
 * solar_refraction_deg() for the apparent one.
 */
void solar_position(int64_t unix_s, double frac_s, double lat_deg, double lon_deg,
                    double *zenith_deg, double *azimuth_deg);

/* The sun's apparent declination (degrees) and the equation of time (minutes, apparent − mean solar time). */
void solar_declination_eot(int64_t unix_s, double frac_s, double *declination_deg, double *eot_min);

/*
 * How much the atmosphere lifts the sun, in degrees, at a true elevation
 * (NOAA's approximation at standard pressure and temperature): add it to
 * the elevation, subtract it from the zenith. 0 above 85°.
 */
double solar_refraction_deg(double elevation_deg);

/* Kasten–Young relative air mass at an apparent zenith; NaN above 90° or for NaN. */
double solar_airmass(double apparent_zenith_deg);

/* The clear-sky GHI, DNI and DHI (see above) at an apparent zenith; all 0 at or below the horizon. */
struct solar_irradiance solar_clearsky(double apparent_zenith_deg);

/*
 * Clear-sky W/m² on the site's panel plane at unix_s: exactly 0 while the
 * (refracted) sun is below the horizon; the beam part is 0 while the sun
 * is behind the panel. NaN for a non-finite time.
 */
double solar_clearsky_poa(const struct solar_site *s, double unix_s);

/*
 * The mean of solar_clearsky_poa() over [start, start + seconds): the
 * midpoint rule with ceil(seconds / 60) equal sub-intervals, so a slot
 * that holds sunrise or sunset gets its part-lit share. Slots that are
 * whole minutes share their sample points with their sub-slots, so a
 * day's mean equals the mean of its 48 half-hour means to rounding.
 * NaN when seconds ≤ 0.
 */
double solar_clearsky_mean(const struct solar_site *s, int64_t start_unix_s, int64_t seconds);
/* The same with n equal sub-intervals: coarser and faster (NaN when n ≤ 0). */
double solar_clearsky_mean_n(const struct solar_site *s, int64_t start_unix_s, int64_t seconds, int64_t n);

#endif
