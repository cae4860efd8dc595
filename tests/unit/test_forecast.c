/*
 * test_forecast.c — the forecast models on synthetic series whose structure
 * is known: pure daily and weekly seasonality, a trend, a step change, gaps,
 * glitches, noise (for quantile coverage), short histories and clear-sky PV.
 */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "forecast.h"
#include "solar.h"

enum { DAY = 96, WEEK = 7 * DAY };
static const int64_t T0 = 1735689600000;   /* 2025-01-01T00:00:00Z, a Wednesday */

static struct fc_config config(void)
{
	struct fc_config c = { 0 };
	c.step_ms = 900000;
	c.horizon = DAY;
	c.nq = 3;
	c.q[0] = 0.1, c.q[1] = 0.5, c.q[2] = 0.9;
	c.inner_origins = 7;
	c.window_days = 56;
	c.nonneg = true;
	return c;
}

static double uniform(void)
{
	return (double)(check_next() >> 11) / 9007199254740992.0;
}

static double gauss(void)
{
	double u = uniform(), v = uniform();
	return sqrt(-2 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

/* A daily shape (night base, morning and evening peaks), in Wh per 15 min. */
static double daily(size_t i)
{
	double h = (double)(i % DAY) / 4;
	return 100 + 80 * exp(-(h - 7.5) * (h - 7.5) / 2) + 150 * exp(-(h - 19) * (h - 19) / 3);
}

/* Weekends (T0 is a Wednesday: days 3 and 4 after it are Saturday and Sunday) run higher at midday. */
static double weekly(size_t i)
{
	size_t wd = (i / DAY + 2) % 7;   /* 0 = Monday */
	double h = (double)(i % DAY) / 4;
	return daily(i) + (wd >= 5 ? 120 * exp(-(h - 12) * (h - 12) / 8) : 0);
}

static double max_abs_error(const double *f, double (*truth)(size_t), size_t n0, size_t h)
{
	double worst = 0;
	for (size_t k = 0; k < h; k++) {
		double e = fabs(f[k] - truth(n0 + k));
		if (e > worst)
			worst = e;
	}
	return worst;
}

static void forecast(const struct fc_config *c, const double *y, size_t n, enum fc_model m, struct fc_result *r)
{
	struct fc_series s = { y, n, T0 };
	CHECK(fc_forecast(c, &s, m, r) == 0);
}

static void test_pure_daily(void)
{
	struct fc_config c = config();
	size_t n = 28 * DAY;
	double *y = malloc(n * sizeof *y);
	for (size_t i = 0; i < n; i++)
		y[i] = daily(i);
	static const enum fc_model models[] = { FC_SNAIVE_DAY, FC_SNAIVE_WEEK, FC_DSHW, FC_LINEAR, FC_COMBO, FC_AUTO };
	for (size_t k = 0; k < sizeof models / sizeof *models; k++) {
		struct fc_result r;
		forecast(&c, y, n, models[k], &r);
		CHECK(max_abs_error(r.point, daily, n, DAY) < 1e-6);
		CHECK(r.warnings == 0);
		/* No error in the inner backtest: every quantile is the point. */
		CHECK(fabs(r.q[0] - r.point[0]) < 1e-6 && fabs(r.q[2 * DAY + 50] - r.point[50]) < 1e-6);
		fc_result_free(&r);
	}
	free(y);
}

static void test_pure_weekly(void)
{
	struct fc_config c = config();
	size_t n = 35 * DAY;
	double *y = malloc(n * sizeof *y);
	for (size_t i = 0; i < n; i++)
		y[i] = weekly(i);
	struct fc_result r;
	/* The origin is day 35, a Wednesday; the forecasts run up to Saturday, so forecast 4 days. */
	c.horizon = 4 * DAY;
	forecast(&c, y, n, FC_SNAIVE_WEEK, &r);
	CHECK(max_abs_error(r.point, weekly, n, c.horizon) < 1e-9);
	fc_result_free(&r);
	forecast(&c, y, n, FC_DSHW, &r);
	CHECK(max_abs_error(r.point, weekly, n, c.horizon) < 1e-6);
	fc_result_free(&r);
	/* The previous day misses the weekend; auto must not pick it. */
	forecast(&c, y, n, FC_SNAIVE_DAY, &r);
	CHECK(max_abs_error(r.point, weekly, n, c.horizon) > 50);
	fc_result_free(&r);
	forecast(&c, y, n, FC_AUTO, &r);
	CHECK(r.model != FC_SNAIVE_DAY);
	CHECK(max_abs_error(r.point, weekly, n, c.horizon) < 1e-6);
	CHECK(r.selection_mae[FC_SNAIVE_DAY] > 10 && r.selection_mae[FC_SNAIVE_WEEK] < 1e-9);
	fc_result_free(&r);
	free(y);
}

static double trend_slope;
static double trending(size_t i)
{
	return daily(i) + trend_slope * (double)i;
}

static void test_trend(void)
{
	struct fc_config c = config();
	size_t n = 28 * DAY;
	double *y = malloc(n * sizeof *y);
	trend_slope = 0.01;   /* about 1 Wh per day: 0.96 Wh from one day to the next */
	for (size_t i = 0; i < n; i++)
		y[i] = trending(i);
	struct fc_result r;
	/* The naive forecast lags by the trend of exactly one day (0.96 Wh); the smoother stays within two. */
	forecast(&c, y, n, FC_SNAIVE_DAY, &r);
	CHECK(fabs(max_abs_error(r.point, trending, n, DAY) - 0.96) < 1e-6);
	fc_result_free(&r);
	forecast(&c, y, n, FC_DSHW, &r);
	CHECK(max_abs_error(r.point, trending, n, DAY) < 2.0);
	fc_result_free(&r);
	forecast(&c, y, n, FC_AUTO, &r);
	CHECK(max_abs_error(r.point, trending, n, DAY) < 2.0);
	fc_result_free(&r);
	free(y);
}

static size_t step_at;
static double stepped(size_t i)
{
	return daily(i) + (i >= step_at ? 200 : 0);
}

static void test_step_change(void)
{
	struct fc_config c = config();
	size_t n = 35 * DAY;
	step_at = 25 * DAY;   /* ten days before the origin, the base load rises by 200 Wh per slot */
	double *y = malloc(n * sizeof *y);
	for (size_t i = 0; i < n; i++)
		y[i] = stepped(i);
	struct fc_result r;
	forecast(&c, y, n, FC_SNAIVE_DAY, &r);
	CHECK(max_abs_error(r.point, stepped, n, DAY) < 1e-9);
	fc_result_free(&r);
	forecast(&c, y, n, FC_DSHW, &r);
	CHECK(max_abs_error(r.point, stepped, n, DAY) < 5);   /* the level has caught up */
	fc_result_free(&r);
	forecast(&c, y, n, FC_AUTO, &r);
	CHECK(max_abs_error(r.point, stepped, n, DAY) < 5);
	fc_result_free(&r);
	free(y);
}

static void test_gaps_and_glitches(void)
{
	struct fc_config c = config();
	size_t n = 28 * DAY;
	double *y = malloc(n * sizeof *y);
	for (size_t i = 0; i < n; i++)
		y[i] = uniform() < 0.1 ? NAN : daily(i);
	for (size_t i = n - DAY; i < n; i++)
		y[i] = NAN;   /* the whole last day is missing */
	y[10 * DAY + 5] = 1e7;   /* a meter glitch */
	struct fc_result r;
	forecast(&c, y, n, FC_SNAIVE_DAY, &r);
	CHECK(max_abs_error(r.point, daily, n, DAY) < 1e-9);
	CHECK(r.outliers == 1 && (r.warnings & FC_WARN_OUTLIERS));
	fc_result_free(&r);
	forecast(&c, y, n, FC_DSHW, &r);
	CHECK(max_abs_error(r.point, daily, n, DAY) < 1e-6);
	fc_result_free(&r);
	forecast(&c, y, n, FC_AUTO, &r);
	CHECK(max_abs_error(r.point, daily, n, DAY) < 1e-6);
	for (size_t k = 0; k < DAY; k++)
		CHECK(!isnan(r.point[k]) && !isnan(r.q[k]));
	fc_result_free(&r);
	free(y);
}

/* Noise of known spread: the 10–90 % band must cover about 80 % over a backtest. */
static void test_quantile_coverage(void)
{
	struct fc_config c = config();
	size_t n = 70 * DAY, origins[14];
	double *y = malloc(n * sizeof *y);
	for (size_t i = 0; i < n; i++)
		y[i] = daily(i) + 20 * gauss();
	for (size_t j = 0; j < 14; j++)
		origins[j] = n - (14 - j) * DAY;
	struct fc_series s = { y, n, T0 };
	struct fc_score sc;
	CHECK(fc_backtest(&c, &s, FC_SNAIVE_DAY, origins, 14, &sc) == 0);
	CHECK(sc.origins == 14 && sc.n == 14 * DAY);
	CHECK(sc.coverage > 0.70 && sc.coverage < 0.90);
	/* Naive error is the difference of two noises: MAE ≈ 20·√2·√(2/π) ≈ 22.6; MASE ≈ 1. */
	CHECK(sc.mae > 20 && sc.mae < 25.5 && sc.mase > 0.9 && sc.mase < 1.1);
	CHECK(fc_backtest(&c, &s, FC_DSHW, origins, 14, &sc) == 0);
	CHECK(sc.coverage > 0.70 && sc.coverage < 0.92);
	CHECK(sc.mae < 20);   /* smoothing beats repeating one noisy day */
	CHECK(fc_backtest(&c, &s, FC_AUTO, origins, 14, &sc) == 0);
	CHECK(sc.mae < 20 && sc.picks[FC_SNAIVE_DAY] == 0);
	free(y);
}

static void test_short_histories(void)
{
	struct fc_config c = config();
	double y[4 * DAY];
	for (size_t i = 0; i < 4 * DAY; i++)
		y[i] = daily(i);
	struct fc_result r;
	forecast(&c, y, DAY / 2, FC_AUTO, &r);   /* half a day: its mean */
	CHECK(r.warnings & FC_WARN_EMPTY);
	double mean = 0;
	for (size_t i = 0; i < DAY / 2; i++)
		mean += y[i] / (DAY / 2);
	CHECK(fabs(r.point[0] - mean) < 1e-9 && fabs(r.point[DAY - 1] - mean) < 1e-9);
	fc_result_free(&r);
	forecast(&c, y, 4 * DAY, FC_SNAIVE_WEEK, &r);
	CHECK(r.model == FC_SNAIVE_DAY && (r.warnings & FC_WARN_SHORT));
	CHECK(max_abs_error(r.point, daily, 4 * DAY, DAY) < 1e-9);
	fc_result_free(&r);
	forecast(&c, y, 4 * DAY, FC_LINEAR, &r);
	CHECK(r.model == FC_SNAIVE_DAY && (r.warnings & FC_WARN_SHORT));
	fc_result_free(&r);
	forecast(&c, y, 4 * DAY, FC_DSHW, &r);   /* single-seasonal form: still exact on a daily pattern */
	CHECK((r.warnings & FC_WARN_SHORT) && max_abs_error(r.point, daily, 4 * DAY, DAY) < 1e-6);
	fc_result_free(&r);
	struct fc_series none = { y, 0, T0 };
	CHECK(fc_forecast(&c, &none, FC_AUTO, &r) == 0);
	CHECK((r.warnings & FC_WARN_EMPTY) && r.point[0] == 0);
	fc_result_free(&r);
}

static struct solar_site site = { 47.4, 8.5, 30, 180 };
static double pv(size_t i)
{
	int64_t t = T0 + (int64_t)i * 900000;
	return 0.5 * solar_clearsky_mean_n(&site, t / 1000, 900, 5);   /* the forecast's own sampling */
}

static void test_clearsky(void)
{
	struct fc_config c = config();
	c.have_site = true;
	c.site = site;
	size_t n = 10 * DAY;
	double *y = malloc(n * sizeof *y);
	for (size_t i = 0; i < n; i++)
		y[i] = pv(i);
	struct fc_result r;
	forecast(&c, y, n, FC_CLEARSKY, &r);
	/*
	 * Within 1 % where the sun is up; near the horizon (under 2 % of the peak) the model
	 * gives 0, and the energy it misses there lifts the clearness a little.
	 */
	double peak = 0;
	for (size_t k = 0; k < DAY; k++)
		peak = pv(n + k) > peak ? pv(n + k) : peak;
	CHECK(max_abs_error(r.point, pv, n, DAY) < 0.011 * peak);
	for (size_t k = 0; k < DAY; k++)
		if (pv(n + k) > 0.021 * peak)
			CHECK(fabs(r.point[k] - pv(n + k)) < 0.01 * pv(n + k));
	CHECK(r.point[0] == 0 && r.point[DAY / 2] > 50);   /* midnight and noon (UTC) in Zurich */
	fc_result_free(&r);
	struct fc_config nosite = config();
	CHECK(fc_forecast(&nosite, &(struct fc_series){ y, n, T0 }, FC_CLEARSKY, &r) == -1);
	free(y);
}

static void test_deterministic(void)
{
	struct fc_config c = config();
	size_t n = 42 * DAY;
	double *y = malloc(n * sizeof *y);
	for (size_t i = 0; i < n; i++)
		y[i] = weekly(i) + 30 * gauss();
	struct fc_result a, b;
	forecast(&c, y, n, FC_AUTO, &a);
	forecast(&c, y, n, FC_AUTO, &b);
	CHECK(a.model == b.model);
	CHECK_MEMEQ(a.point, b.point, DAY * sizeof *a.point);
	CHECK_MEMEQ(a.q, b.q, 3 * DAY * sizeof *a.q);
	fc_result_free(&a);
	fc_result_free(&b);
	free(y);
}

static void test_names(void)
{
	enum fc_model m;
	for (int i = 0; i < FC_NMODELS; i++)
		CHECK(fc_model_parse(fc_model_name((enum fc_model)i), &m) == 0 && m == (enum fc_model)i);
	CHECK(fc_model_parse("arima", &m) == -1);
}

int main(void)
{
	test_pure_daily();
	test_pure_weekly();
	test_trend();
	test_step_change();
	test_gaps_and_glitches();
	test_quantile_coverage();
	test_short_histories();
	test_clearsky();
	test_deterministic();
	test_names();
	return check_done("test_forecast");
}
