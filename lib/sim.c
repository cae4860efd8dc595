#include "sim.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "timeutil.h"

/* The same results with or without fused multiply-add (gcc in -std=c17 never fuses). */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

#define MS_PER_HOUR INT64_C(3600000)
#define MS_PER_DAY (24 * MS_PER_HOUR)
#define WMS_PER_WH MS_PER_HOUR            /* 1 Wh = 1 W for 3,600,000 ms */
#define PI 3.14159265358979323846

#define REFERENCE_KWH 3500.0               /* the household the constants below describe */
#define LINE_VOLTAGE 230
#define BATTERY_EFFICIENCY_PCT 95          /* each way: about 90 % round trip */
#define PV_PERFORMANCE 0.85                /* inverter, wiring, heat and soiling losses */
#define CLEAR_DIRECT_SHARE 0.85            /* of a clear sky's light, the rest is diffuse */
#define NOISE_TAU_MS (30 * 60000.0)        /* how long a load level persists */
#define CLOUD_TAU_MS (45 * 60000.0)        /* how long a passing cloud persists */

/*
 * Relative household activity by local hour, from the shape of the reference
 * data (night base, a morning and a larger evening peak; at weekends a later
 * morning and a busier midday). Every value stays above ACTIVITY_FLOOR, the
 * level below which no appliance is switched on.
 */
static const double weekday_shape[24] = {
	0.55, 0.48, 0.45, 0.44, 0.45, 0.55, 0.95, 1.35, 1.15, 0.85, 0.75, 0.80,
	0.90, 0.85, 0.78, 0.80, 0.95, 1.30, 1.70, 1.80, 1.65, 1.40, 1.05, 0.75,
};
static const double weekend_shape[24] = {
	0.60, 0.50, 0.46, 0.44, 0.44, 0.47, 0.55, 0.75, 1.10, 1.35, 1.30, 1.30,
	1.35, 1.20, 1.05, 1.00, 1.05, 1.30, 1.70, 1.85, 1.70, 1.45, 1.15, 0.80,
};
#define ACTIVITY_FLOOR 0.40

/* Appliances that switch on as events, for the reference household. */
struct appliance {
	double watts;
	double minutes;     /* mean run time */
	double per_day;     /* mean starts per day */
};
static const struct appliance appliances[SIM_APPLIANCES] = {
	{ 2000, 3.5, 2.0 },     /* kettle */
	{ 1100, 5.0, 1.0 },     /* microwave */
	{ 1200, 45.0, 0.5 },    /* oven or hob, thermostat cycling */
	{ 2000, 15.0, 0.45 },   /* washing machine (its heating phase) */
	{ 1800, 20.0, 0.5 },    /* dishwasher (its heating phase) */
};

/* The fridge compressor cycles all day: on a third of the time. */
#define FRIDGE_WATTS 90.0
#define FRIDGE_ON_MS (20 * 60000.0)
#define FRIDGE_OFF_MS (40 * 60000.0)

/* ---- randomness: splitmix64 seeds xoshiro256** ---- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t next_u64(struct sim *s)
{
	uint64_t *r = s->rng;
	uint64_t result = rotl(r[1] * 5, 7) * 9;
	uint64_t t = r[1] << 17;

	r[2] ^= r[0];
	r[3] ^= r[1];
	r[1] ^= r[2];
	r[0] ^= r[3];
	r[2] ^= t;
	r[3] = rotl(r[3], 45);
	return result;
}

/* Uniform in [0, 1), exact: 53 random bits. */
static double uniform(struct sim *s)
{
	return (double)(next_u64(s) >> 11) * 0x1.0p-53;
}

/* Approximately N(0, 1): the Irwin–Hall sum of four uniforms needs no libm. */
static double gaussian(struct sim *s)
{
	double sum = uniform(s) + uniform(s) + uniform(s) + uniform(s);

	return (sum - 2.0) * 1.7320508075688772;
}

/* One step of an AR(1) process with unit variance. */
static double ar1(struct sim *s, double x, double keep)
{
	return keep * x + sqrt(1.0 - keep * keep) * gaussian(s);
}

/* ---- calendar ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t local_ms(const struct sim *s, int64_t utc_ms)
{
	return utc_ms + (int64_t)s->cfg.tz_offset_min * 60000;
}

/* Day of the year, 1 for 1 January, of a UTC day count. */
static int day_of_year(int64_t days)
{
	int64_t year;
	unsigned month, day;

	civil_from_days(days, &year, &month, &day);
	return (int)(days - days_from_civil(year, 1, 1)) + 1;
}

/* ---- load ---- */

static double table_mean(const double *table)
{
	double sum = 0;

	for (int h = 0; h < 24; h++)
		sum += table[h];
	return sum / 24;
}

/* The mean of the shape over a week (5 weekdays, 2 weekend days). */
static double weekly_shape_mean(void)
{
	return (5 * table_mean(weekday_shape) + 2 * table_mean(weekend_shape)) / 7;
}

/* The activity at a UTC time, interpolated linearly between local hours. */
static double shape_at(const struct sim *s, int64_t utc_ms)
{
	int64_t t = local_ms(s, utc_ms);
	int64_t day = floor_div(t, MS_PER_DAY);
	int weekday = day_of_week(day);   /* Monday is 0 */
	const double *table = weekday >= 5 ? weekend_shape : weekday_shape;
	double hour = (double)(t - day * MS_PER_DAY) / (double)MS_PER_HOUR;
	int h = (int)hour;

	return table[h] + (table[(h + 1) % 24] - table[h]) * (hour - h);
}

/* Winter days need more light and heat: ±15 % over the year, mean 1, highest mid-winter. */
static double season_at(const struct sim *s, int64_t utc_ms)
{
	int doy = day_of_year(floor_div(utc_ms, MS_PER_DAY));
	double midwinter = s->cfg.latitude_deg < 0 ? 15 + 365.25 / 2 : 15;

	return 1.0 + 0.15 * cos(2 * PI * (doy - midwinter) / 365.25);
}

/* Mean power of the fridge over the next dt, stepping through its cycle. */
static double fridge_power(struct sim *s, int64_t dt)
{
	int64_t on_ms = 0;

	while (dt > 0) {
		int64_t part = s->fridge_left_ms < dt ? s->fridge_left_ms : dt;
		if (s->fridge_on)
			on_ms += part;
		s->fridge_left_ms -= part;
		dt -= part;
		if (s->fridge_left_ms == 0) {
			s->fridge_on = !s->fridge_on;
			double mean = s->fridge_on ? FRIDGE_ON_MS : FRIDGE_OFF_MS;
			s->fridge_left_ms = 1 + (int64_t)(mean * (0.75 + 0.5 * uniform(s)));
		}
	}
	return FRIDGE_WATTS * s->size * (double)on_ms / (double)s->cfg.period_ms;
}

/*
 * Mean power of the appliance events over the next dt. An appliance starts
 * with a chance that follows the household's activity; a started event runs
 * from the start of the period.
 */
static double appliance_power(struct sim *s, double activity, int64_t dt)
{
	double watts = 0;

	for (int i = 0; i < SIM_APPLIANCES; i++) {
		const struct appliance *a = &appliances[i];
		double chance = a->per_day * s->size * activity * (double)dt / (double)MS_PER_DAY;
		double u = uniform(s);

		if (s->appliance_left_ms[i] == 0 && u < chance)
			s->appliance_left_ms[i] = 1 + (int64_t)(a->minutes * 60000 * (0.7 + 0.6 * uniform(s)));
		int64_t on = s->appliance_left_ms[i] < dt ? s->appliance_left_ms[i] : dt;
		watts += a->watts * (double)on / (double)dt;
		s->appliance_left_ms[i] -= on;
	}
	return watts;
}

/* The household's mean consumption over the period around mid, in W. */
static double load_power(struct sim *s, int64_t mid)
{
	int64_t dt = s->cfg.period_ms;
	double shape = shape_at(s, mid);
	double activity = (shape - ACTIVITY_FLOOR) * s->activity_scale;
	double jitter = 0.97 + 0.06 * uniform(s);
	double level;

	s->noise = ar1(s, s->noise, s->noise_keep);
	level = 1.0 + 0.2 * s->noise;
	if (level < 0.3)
		level = 0.3;
	return s->shape_scale * shape * season_at(s, mid) * level * jitter
		+ fridge_power(s, dt) + appliance_power(s, activity, dt);
}

/* ---- sun and clouds ---- */

/* The sun's place for a UTC time, as the cosines that the irradiance needs. */
struct sun {
	double cos_zenith;      /* on a horizontal plane */
	double cos_incidence;   /* on the modules, tilted toward the equator */
};

/*
 * Declination and equation of time from NOAA's fractional-year series
 * (Spencer 1971). A plane tilted by β toward the equator sees the sun as a
 * horizontal plane does at latitude φ − β (φ + β south of the equator).
 */
static struct sun sun_at(const struct sim *s, int64_t utc_ms)
{
	int64_t days = floor_div(utc_ms, MS_PER_DAY);
	double minutes = (double)(utc_ms - days * MS_PER_DAY) / 60000.0;
	double g = 2 * PI / 365 * (day_of_year(days) - 1 + (minutes / 60 - 12) / 24);
	double eqtime = 229.18 * (0.000075 + 0.001868 * cos(g) - 0.032077 * sin(g)
		- 0.014615 * cos(2 * g) - 0.040849 * sin(2 * g));
	double decl = 0.006918 - 0.399912 * cos(g) + 0.070257 * sin(g) - 0.006758 * cos(2 * g)
		+ 0.000907 * sin(2 * g) - 0.002697 * cos(3 * g) + 0.00148 * sin(3 * g);
	double solar_minutes = minutes + eqtime + 4 * s->cfg.longitude_deg;
	double hour_angle = (solar_minutes / 4 - 180) * PI / 180;
	double lat = s->cfg.latitude_deg * PI / 180;
	double tilt = s->cfg.pv_tilt_deg * PI / 180;
	double plane_lat = lat >= 0 ? lat - tilt : lat + tilt;
	struct sun sun;

	sun.cos_zenith = sin(lat) * sin(decl) + cos(lat) * cos(decl) * cos(hour_angle);
	sun.cos_incidence = sin(plane_lat) * sin(decl) + cos(plane_lat) * cos(decl) * cos(hour_angle);
	return sun;
}

/*
 * Clear-sky irradiance on the modules in W/m²: Haurwitz's global horizontal
 * irradiance, split into a direct part that follows the sun onto the tilted
 * plane and a diffuse part the plane sees in proportion to its view of the sky.
 */
static double clear_sky_poa(const struct sim *s, int64_t utc_ms)
{
	struct sun sun = sun_at(s, utc_ms);
	double ghi, direct_normal, tilt = s->cfg.pv_tilt_deg * PI / 180;

	if (sun.cos_zenith <= 0.01)     /* below or at the horizon */
		return 0;
	ghi = 1098 * sun.cos_zenith * exp(-0.057 / sun.cos_zenith);
	direct_normal = CLEAR_DIRECT_SHARE * ghi / sun.cos_zenith;
	return direct_normal * (sun.cos_incidence > 0 ? sun.cos_incidence : 0)
		+ (1 - CLEAR_DIRECT_SHARE) * ghi * (1 + cos(tilt)) / 2;
}

/*
 * Cloud cover 0..1: a cover for each local day, drawn as u^((1-m)/m) so its
 * mean is the configured cloudiness m and carried partly into the next day,
 * plus passing clouds on days that are neither clear nor overcast.
 */
static double cloud_cover(struct sim *s, int64_t utc_ms)
{
	double m = s->cfg.cloudiness;
	int64_t day = floor_div(local_ms(s, utc_ms), MS_PER_DAY);
	double day_cover = s->cloud_day_cover, cover;

	s->cloud_fast = ar1(s, s->cloud_fast, s->cloud_keep);
	if (m <= 0)
		return 0;
	if (day != s->cloud_day) {
		double draw = m >= 1 ? 1 : pow(uniform(s), (1 - m) / m);
		day_cover = s->cloud_day == INT64_MIN ? draw : 0.4 * day_cover + 0.6 * draw;
		s->cloud_day = day;
		s->cloud_day_cover = day_cover;
	}
	cover = day_cover + 0.25 * s->cloud_fast * 4 * day_cover * (1 - day_cover);
	return cover < 0 ? 0 : cover > 1 ? 1 : cover;
}

/* PV output in W over the period around mid (Kasten–Czeplak cloud factor). */
static double pv_power(struct sim *s, int64_t mid)
{
	double poa, cover;

	if (s->cfg.pv_kwp <= 0)
		return 0;
	cover = cloud_cover(s, mid);
	poa = clear_sky_poa(s, mid);
	return s->cfg.pv_kwp * PV_PERFORMANCE * poa * (1 - 0.75 * pow(cover, 3.4));
}

/* ---- battery and meter ---- */

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/*
 * Self-consumption: charge from surplus, discharge to cover the deficit,
 * within the power limit and the stored energy. Returns the battery power
 * (> 0 charging); metered_ms is how long that power flows (0 for the first
 * reading, whose period lies before the start).
 */
static int64_t run_battery(struct sim *s, int64_t surplus_w, int64_t metered_ms)
{
	int64_t dt = s->cfg.period_ms;
	int64_t limit_w = llround(s->cfg.battery_kw * 1000);
	int64_t pct = BATTERY_EFFICIENCY_PCT;

	if (s->battery_cap_wms == 0 || limit_w <= 0 || surplus_w == 0)
		return 0;
	if (surplus_w > 0) {
		int64_t room = s->battery_cap_wms - s->battery_wms;
		int64_t charge = min64(min64(surplus_w, limit_w), room * 100 / (pct * dt));
		s->battery_wms += charge * metered_ms * pct / 100;
		return charge;
	}
	int64_t deliver = min64(min64(-surplus_w, limit_w), s->battery_wms * pct / (100 * dt));
	/* Rounded up so losses are never undercounted; deliver's bound keeps it ≤ the store. */
	s->battery_wms -= (deliver * metered_ms * 100 + pct - 1) / pct;
	return -deliver;
}

static void fill_reading(const struct sim *s, struct reading *out, int64_t t)
{
	int64_t import_w = s->grid_w > 0 ? s->grid_w : 0;
	int64_t export_w = s->grid_w < 0 ? -s->grid_w : 0;
	struct reading_phase *l1 = &out->phase[0];

	reading_clear(out);
	out->protocol = "sim";
	snprintf(out->meter_id, sizeof out->meter_id, "SIM-%" PRIu64, s->cfg.seed);
	snprintf(out->model, sizeof out->model, "%s", "hive-read sim");
	out->meter_time = floor_div(t, 1000);
	out->has_meter_time = true;
	out->checked = true;        /* nothing can corrupt a frame that never crossed a wire */
	out->simulated = true;
	decimal_set(&out->import_wh, s->import_wms / WMS_PER_WH, 0);
	decimal_set(&out->export_wh, s->export_wms / WMS_PER_WH, 0);
	decimal_set(&out->power_import_w, import_w, 0);
	decimal_set(&out->power_export_w, export_w, 0);
	decimal_set(&l1->voltage_v, LINE_VOLTAGE, 0);
	decimal_set(&l1->current_a, ((import_w + export_w) * 100 + LINE_VOLTAGE / 2) / LINE_VOLTAGE, -2);
	decimal_set(&l1->power_import_w, import_w, 0);
	decimal_set(&l1->power_export_w, export_w, 0);
	out->phases = 1;
}

/* ---- public ---- */

struct sim_config sim_config_defaults(void)
{
	struct sim_config c = {
		.seed = 1,
		.start_ms = INT64_C(1767225600000),    /* 2026-01-01T00:00:00Z */
		.period_ms = 10000,
		.annual_kwh = REFERENCE_KWH,
		.tz_offset_min = 60,
		.pv_kwp = 0,
		.latitude_deg = 48.85,
		.longitude_deg = 2.35,
		.pv_tilt_deg = 30,
		.cloudiness = 0.8,
		.battery_kwh = 0,
		.battery_kw = 0,
	};
	return c;
}

/* The comparisons are written so that NaN fails them. */
static int within(double x, double lo, double hi)
{
	return x >= lo && x <= hi;
}

const char *sim_config_problem(const struct sim_config *c)
{
	if (c->period_ms <= 0 || c->period_ms > MS_PER_DAY)
		return "sample period must be between 1 ms and 1 day";
	if (c->start_ms < -(INT64_C(1) << 50) || c->start_ms > (INT64_C(1) << 50))
		return "start time out of range";
	if (!within(c->annual_kwh, 0, 1e6))
		return "annual consumption must be between 0 and 1000000 kWh";
	if (c->tz_offset_min < -14 * 60 || c->tz_offset_min > 14 * 60)
		return "time zone offset must be within ±14 h";
	if (!within(c->pv_kwp, 0, 1e4))
		return "PV peak power must be between 0 and 10000 kWp";
	if (!within(c->latitude_deg, -90, 90) || !within(c->longitude_deg, -180, 180))
		return "latitude or longitude out of range";
	if (!within(c->pv_tilt_deg, 0, 90))
		return "PV tilt must be between 0 and 90 degrees";
	if (!within(c->cloudiness, 0, 1))
		return "cloudiness must be between 0 and 1";
	if (!within(c->battery_kwh, 0, 1e4) || !within(c->battery_kw, 0, 1e4))
		return "battery capacity and power must be between 0 and 10000";
	return NULL;
}

void sim_init(struct sim *s, const struct sim_config *cfg)
{
	uint64_t seed = cfg->seed;
	double shaped_w, events_w = FRIDGE_WATTS / 3;

	HIVE_ASSERT(sim_config_problem(cfg) == NULL);
	memset(s, 0, sizeof *s);
	s->cfg = *cfg;
	for (int i = 0; i < 4; i++)
		s->rng[i] = splitmix64(&seed);
	s->now_ms = cfg->start_ms;
	s->size = cfg->annual_kwh / REFERENCE_KWH;
	s->battery_cap_wms = llround(cfg->battery_kwh * 1000 * (double)WMS_PER_WH);
	s->battery_wms = s->battery_cap_wms / 2;
	s->noise_keep = exp(-(double)cfg->period_ms / NOISE_TAU_MS);
	s->cloud_keep = exp(-(double)cfg->period_ms / CLOUD_TAU_MS);
	s->cloud_day = INT64_MIN;
	s->noise = gaussian(s);
	s->fridge_on = uniform(s) < 1.0 / 3;
	s->fridge_left_ms = 1 + (int64_t)(FRIDGE_ON_MS * uniform(s));
	/* The shaped load gets what the fridge and the appliances leave of the annual energy. */
	for (int i = 0; i < SIM_APPLIANCES; i++)
		events_w += appliances[i].watts * appliances[i].minutes * appliances[i].per_day / (24 * 60);
	shaped_w = REFERENCE_KWH * 1000 / (365.25 * 24) - events_w;
	s->shape_scale = s->size * shaped_w / weekly_shape_mean();
	s->activity_scale = 1 / (weekly_shape_mean() - ACTIVITY_FLOOR);
}

void sim_next(struct sim *s, struct reading *out)
{
	int64_t t = s->now_ms;
	int64_t mid = t - s->cfg.period_ms / 2;
	int64_t metered_ms = s->steps ? s->cfg.period_ms : 0;

	s->load_w = llround(load_power(s, mid));
	s->pv_w = llround(pv_power(s, mid));
	s->battery_w = run_battery(s, s->pv_w - s->load_w, metered_ms);
	s->grid_w = s->load_w - s->pv_w + s->battery_w;
	if (s->grid_w > 0)
		s->import_wms += s->grid_w * metered_ms;
	else
		s->export_wms -= s->grid_w * metered_ms;
	fill_reading(s, out, t);
	s->now_ms += s->cfg.period_ms;
	s->steps++;
}

double sim_soc_percent(const struct sim *s)
{
	if (s->battery_cap_wms == 0)
		return 0;
	return 100.0 * (double)s->battery_wms / (double)s->battery_cap_wms;
}
