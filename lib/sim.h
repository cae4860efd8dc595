/*
 * sim.h — a synthetic household meter for demos and tests (hive-read sim):
 * a load with a daily and weekly shape, noise and appliance events, optional
 * rooftop PV under a clear-sky sun and a seeded cloud process, and an optional
 * battery run for self-consumption. Every reading it makes says so
 * (protocol "sim", simulated = true).
 *
 * Ownership: a struct sim is plain O(1) state in caller memory that owns
 * nothing; sim_next() fills the caller's struct reading.
 *
 * Reproducible: the randomness is the module's own xoshiro256** seeded by
 * splitmix64 from cfg.seed, so the same seed and configuration give the same
 * readings bit for bit (checked here across gcc and clang, -O0 to -O3 and
 * -march=native; multiply-add is never fused). Caveat: the sun, the seasons
 * and the cloud draw use sin, cos, exp and pow from the C library; a libm
 * other than glibc's may round their last bit differently and so shift a
 * watt now and then. Powers and registers are integers, so such a difference
 * never grows into drift in the energy arithmetic.
 *
 * Meaning of one sample: the reading at time t reports the mean power over
 * the sample period that ends at t (instantaneous for short periods), and its
 * registers include exactly that energy. Energy is kept internally in integer
 * watt-milliseconds (power W × period ms), so the registers (Wh, floored) lose
 * and invent nothing. The first reading, at cfg.start_ms, has both registers
 * at zero.
 */
#ifndef HIVE_SIM_H
#define HIVE_SIM_H

#include <stdint.h>

#include "reading.h"

#define SIM_APPLIANCES 5

struct sim_config {
	uint64_t seed;
	int64_t start_ms;         /* first sample, Unix milliseconds UTC */
	int64_t period_ms;        /* sample period, > 0 */
	double annual_kwh;        /* household consumption per year, ≥ 0 */
	int tz_offset_min;        /* local time = UTC + offset (fixed, no DST), for the day shape */
	double pv_kwp;            /* PV peak power, 0: no PV */
	double latitude_deg;      /* site, for the sun position: north and east positive */
	double longitude_deg;
	double pv_tilt_deg;       /* modules' tilt toward the equator, 0: flat */
	double cloudiness;        /* mean daily cloud cover 0..1; 0: every day clear (0.8: ~1150 kWh/kWp a year in Paris) */
	double battery_kwh;       /* usable capacity, 0: no battery */
	double battery_kw;        /* charge and discharge power limit */
};

struct sim {
	struct sim_config cfg;
	uint64_t rng[4];
	int64_t now_ms;           /* time of the next reading */
	uint64_t steps;           /* readings made so far */
	int64_t import_wms;       /* cumulative energy, watt-milliseconds */
	int64_t export_wms;
	int64_t battery_wms;      /* stored energy */
	int64_t battery_cap_wms;
	int64_t appliance_left_ms[SIM_APPLIANCES];  /* time left in a running event, 0: off */
	int64_t fridge_left_ms;   /* time left in the compressor's current on or off phase */
	int fridge_on;
	int64_t cloud_day;        /* local day the day's cloud cover belongs to */
	double cloud_day_cover;
	double cloud_fast;        /* autocorrelated N(0,1) for passing clouds */
	double noise;             /* autocorrelated N(0,1) for the load */
	double noise_keep;        /* AR(1) coefficients for the sample period */
	double cloud_keep;
	double shape_scale;       /* W per unit of the shape table */
	double activity_scale;    /* makes the appliances' start chance average 1 over a week */
	double size;              /* annual_kwh relative to a 3500 kWh household */

	/* The last reading's parts, in W (read-only; for tests and demos). */
	int64_t load_w;
	int64_t pv_w;
	int64_t battery_w;        /* > 0 charging, < 0 discharging */
	int64_t grid_w;           /* > 0 import, < 0 export */
};

/*
 * Seed 1, start 2026-01-01T00:00Z, 10 s period, 3500 kWh/year, UTC+1, Paris
 * (48.85 N, 2.35 E), no PV (tilt 30° when set), cloudiness 0.8, no battery.
 */
struct sim_config sim_config_defaults(void);
/* NULL when cfg can be simulated, else why not (lower case, for a diagnostic). */
const char *sim_config_problem(const struct sim_config *cfg);

/* Starts a simulation at cfg->start_ms; cfg must pass sim_config_problem(). */
void sim_init(struct sim *s, const struct sim_config *cfg);
/* Makes the reading at the current sample time and advances one period. */
void sim_next(struct sim *s, struct reading *out);
/* The battery's state of charge in percent (0 when there is no battery). */
double sim_soc_percent(const struct sim *s);

#endif
