/*
 * forecast.h — day-ahead forecasts of one energy series, and rolling-origin
 * backtests of them (whitepaper §2.1, §6.2).
 *
 * A series is Wh per slot on a regular grid (NaN marks a gap); the origin
 * is the end of the history, and the forecast covers the horizon's slots
 * after it. The models:
 *
 *   snaive-day   each slot as the last known value at the same time of day
 *   snaive-week  the same a week back (the day's if the history is shorter)
 *   dshw         double-seasonal exponential smoothing after Taylor (2003),
 *                additive, with an AR(1) error term; parameters fitted by
 *                least squares of the in-sample one-step errors (dshw.h)
 *   dshw-log     dshw on log(y + offset), back with exp − offset: the
 *                seasonality multiplicative (PV's day scales with the
 *                weather), the forecast a median; for series that are never
 *                negative (as dshw elsewhere)
 *   linear       a ridge regression of each slot on the same slot a day and
 *                a week earlier, yesterday's mean, day of week, holidays and
 *                exogenous series, all around the slot-of-day profile
 *   clearsky     PV without weather data: the site's clear-sky irradiance
 *                (solar.h), times the system's transfer at each time of day
 *                (the 90th percentile of energy over irradiance in the last
 *                two weeks: size, tilt, orientation, shading), times the
 *                clearness of the last three days
 *   combo        the mean of the dshw and linear forecasts
 *   auto         the model with the lowest MAE over the inner backtest, of
 *                all but dshw-log
 *
 * The inner backtest: the history's last K days (cfg.inner_origins) are
 * forecast from origins one day apart, each from the history before it.
 * Its residuals, pooled per slot of the horizon with their neighbours, give
 * the empirical quantiles put around the point forecast; auto also picks
 * its model from them. For speed, dshw's parameters are fitted once per
 * week of inner origins, from the history before the first of them, and
 * the filter re-run with them for the other six (never with parameters
 * that have seen the days forecast); the final forecast is a fresh fit. The first inner origin has a week of history before it (two
 * days when the history is short).
 *
 * Robustness: only the last cfg.window_days of history are used; values
 * beyond ten times the 99th percentile of the series' magnitudes are taken
 * for meter glitches and treated as gaps (counted); a model the history is
 * too short for falls back (snaive-week to snaive-day, dshw to its single-
 * seasonal form and then to snaive-day, linear to snaive-day) and says so;
 * with less than one day of history the forecast is the history's mean.
 *
 * Calendar: slots are laid out in UTC; the day of week and holidays are
 * taken in cfg.tz (UTC when NULL). Seasons are 24 h and 7 × 24 h of slots.
 *
 * Deterministic: the same input gives bit-identical output.
 *
 * Ownership: the caller's arrays are only read; fc_result owns its arrays
 * (fc_result_free).
 */
#ifndef HIVE_FORECAST_H
#define HIVE_FORECAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "solar.h"
#include "tz.h"

enum fc_model { FC_AUTO, FC_SNAIVE_DAY, FC_SNAIVE_WEEK, FC_DSHW, FC_LINEAR, FC_CLEARSKY, FC_COMBO, FC_DSHW_LOG,
	         FC_NMODELS };

const char *fc_model_name(enum fc_model m);
int fc_model_parse(const char *name, enum fc_model *m);

#define FC_MAXQ 16
#define FC_MAXEXOG 8

struct fc_config {
	int64_t step_ms;            /* the grid's step; divides a day */
	size_t horizon;             /* slots forecast */
	size_t nq;                  /* quantile levels, ascending in (0, 1) */
	double q[FC_MAXQ];
	const struct tz *tz;        /* calendar zone; NULL for UTC */
	const int64_t *holidays;    /* local days since 1970-01-01, ascending */
	size_t nholidays;
	bool have_site;             /* clearsky is available */
	struct solar_site site;
	size_t inner_origins;       /* days of inner backtest (hive-forecast's default: 21) */
	size_t window_days;         /* history used at most (default 56) */
	size_t nexog;               /* exogenous series for linear: exog[j][i] at t0 + i·step, */
	const double *exog[FC_MAXEXOG];   /* for i < nexog_len (history and horizon; NaN unknown) */
	size_t nexog_len;
	bool nonneg;                /* an import or export register: forecasts are clamped at 0 */
};

/* y[i] is the energy of [t0 + i·step, t0 + (i + 1)·step); the origin is t0 + n·step. */
struct fc_series {
	const double *y;
	size_t n;
	int64_t t0_ms;
};

enum {
	FC_WARN_SHORT = 1,          /* the history is short for the model asked: it fell back */
	FC_WARN_NOQUANT = 2,        /* no inner backtest was possible: quantiles from day-to-day changes */
	FC_WARN_OUTLIERS = 4,       /* values were taken for glitches (outliers counts them) */
	FC_WARN_EMPTY = 8,          /* less than a day of history: the mean, or 0 with none at all */
	FC_WARN_EXOG = 16,          /* the exogenous series leave too few complete rows: linear fell back */
};

struct fc_result {
	enum fc_model model;        /* what made the point forecast, after any fallback */
	double *point;              /* horizon values */
	double *q;                  /* nq rows of horizon values */
	unsigned warnings;
	size_t outliers;
	double selection_mae[FC_NMODELS];  /* auto: each candidate's inner-backtest MAE (NaN: not tried) */
};

/* Forecasts the horizon after the series. Returns 0, or -1 when the model asked is clearsky without a site. */
int fc_forecast(const struct fc_config *cfg, const struct fc_series *s, enum fc_model model, struct fc_result *out);
void fc_result_free(struct fc_result *r);

struct fc_score {
	size_t origins;             /* origins forecast */
	size_t n;                   /* slots compared (gaps left out) */
	double mae, rmse, mase;     /* MASE against the daily seasonal naive on the history before the first origin */
	double pinball;             /* mean over the quantile levels */
	double coverage;            /* share of actual values within the lowest and highest quantile */
	unsigned warnings;          /* the union of the forecasts' warnings */
	size_t picks[FC_NMODELS];   /* how often each model made the point forecast */
};

/*
 * Rolling-origin evaluation: for each origin index o (ascending, each with
 * o + horizon ≤ s->n), forecasts from s->y[0..o) exactly as fc_forecast does
 * and compares with s->y[o..o + horizon). Returns 0, or -1 as fc_forecast.
 */
int fc_backtest(const struct fc_config *cfg, const struct fc_series *s, enum fc_model model, const size_t *origins,
                size_t norigins, struct fc_score *out);

#endif
