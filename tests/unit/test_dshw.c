/*
 * test_dshw.c — double-seasonal exponential smoothing: a hand-computed
 * filter run, exact patterns (with and without gaps) reproduced, a level
 * step followed, noise and AR(1) noise fitted, short histories refused,
 * determinism.
 */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "dshw.h"

#define M1 24
#define M2 168

static double uniform01(void)
{
	return ((double)(check_next() >> 11) + 0.5) * 0x1p-53;
}

/* Box–Muller from the seeded generator: the same draws everywhere. */
static double gauss(void)
{
	double u1 = uniform01(), u2 = uniform01();
	return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

/* A household's day: night base, evening peak, a PV dip at noon that goes below 0 (export). */
static double daily(size_t t)
{
	double h = (double)(t % M1);
	double pv = h > 6 && h < 18 ? 2.5 * sin(M_PI * (h - 6) / 12) : 0;
	return 1.0 + 1.5 * exp(-(h - 19) * (h - 19) / 4) - pv;
}

/* A week whose weekend has its own shape, so that it is not a day pattern plus a day offset. */
static double weekly(size_t t)
{
	size_t dow = (t / M1) % 7;
	double h = (double)(t % M1);
	return dow >= 5 ? 0.6 + 0.8 * exp(-(h - 11) * (h - 11) / 8) : 0.05 * (double)dow;
}

static double pattern(size_t t)
{
	return daily(t) + weekly(t);
}

static int close_to_pattern(const double *fc, size_t from, size_t h, double shift, double tol)
{
	int ok = 1;
	for (size_t k = 0; k < h; k++)
		ok &= fabs(fc[k] - pattern(from + k) - shift) <= tol;
	return ok;
}

static double sum(const double *v, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += v[i];
	return s;
}

static int params_in_range(const struct dshw_params *p)
{
	return p->alpha >= 0 && p->alpha <= 1 && p->delta >= 0 && p->delta <= 1 && p->omega >= 0 &&
	       p->omega <= 1 && p->phi >= 0 && p->phi <= 1;
}

/* The filter by hand: m1 = 2, no week, α = δ = φ = ½. */
static void test_by_hand(void)
{
	/* Init from days {1, 3}, {1, 3}: level 2, daily {−1, 1}. Slots 0-3 fit exactly (e = 0).
	 * t = 4: e = 2 − (2 − 1) = 1, scored 1; l = 2.5; d0 = −1 + ½·½·1 = −0.75.
	 * t = 5: e = 4 − (2.5 + 1) = 0.5, scored 0.5 − ½·1 = 0; l = 2.75; d1 = 1 + ¼·0.5 = 1.125.
	 * Forecast: 2.75 − 0.75 + ½·0.5 = 2.25, then 2.75 + 1.125 + ¼·0.5 = 4. */
	const double y[] = { 1, 3, 1, 3, 2, 4 };
	struct dshw_params p = { 0.5, 0.5, 0.7, 0.5 };
	struct dshw_model m;
	CHECK_INTEQ(dshw_run(y, 6, 2, 0, &p, &m), DSHW_OK);
	CHECK_INTEQ(m.n_scored, 2);
	CHECK(fabs(m.sse - 1.0) < 1e-15);
	CHECK(fabs(m.level - 2.75) < 1e-15);
	CHECK(fabs(m.last_error - 0.5) < 1e-15);
	CHECK(m.p.omega == 0 && m.week == NULL && m.phase == 0);
	double fc[2];
	dshw_forecast(&m, 2, fc);
	CHECK(fabs(fc[0] - 2.25) < 1e-15);
	CHECK(fabs(fc[1] - 4.0) < 1e-15);
	dshw_free(&m);
	dshw_free(&m);   /* freeing twice is harmless */
}

static void test_pure_double(void)
{
	size_t n = 6 * M2 + 5;   /* the end falls inside a day */
	double *y = malloc(n * sizeof *y), fc[2 * M1];
	for (size_t t = 0; t < n; t++)
		y[t] = pattern(t);
	struct dshw_model m;
	CHECK_INTEQ(dshw_fit(y, n, M1, M2, &m), DSHW_OK);
	CHECK_INTEQ(m.n_scored, n - 2 * M2);
	CHECK(m.sse < 1e-18);
	CHECK(m.evals > 0 && m.evals <= DSHW_MAX_EVALS);
	CHECK(params_in_range(&m.p));
	dshw_forecast(&m, 2 * M1, fc);
	CHECK(close_to_pattern(fc, n, 2 * M1, 0, 1e-6));
	/* the comparison has teeth: one slot out of phase is far off */
	CHECK(!close_to_pattern(fc, n + 1, 2 * M1, 0, 1e-2));
	dshw_free(&m);

	/* With α = δ = ω = φ = 0 the state stays the initial one: it is the pattern, its seasonals sum to 0. */
	struct dshw_params zero = { 0, 0, 0, 0 };
	CHECK_INTEQ(dshw_run(y, n, M1, M2, &zero, &m), DSHW_OK);
	CHECK_INTEQ(m.phase, 5);
	dshw_forecast(&m, 2 * M1, fc);
	CHECK(close_to_pattern(fc, n, 2 * M1, 0, 1e-9));
	CHECK(fabs(sum(m.day, M1)) < 1e-9 && fabs(sum(m.week, M2)) < 1e-9);
	/* the daily indices: per slot of day, the mean over the 14 days of y − that day's mean */
	int ok = 1;
	for (size_t j = 0; j < M1; j++) {
		double want = 0;
		for (size_t k = 0; k < 14; k++)
			want += (y[k * M1 + j] - sum(y + k * M1, M1) / M1) / 14;
		ok &= fabs(m.day[j] - want) < 1e-9;
	}
	CHECK(ok);
	dshw_free(&m);
	free(y);
}

static void test_pure_single(void)
{
	size_t n = 10 * M1 + 7;
	double *y = malloc(n * sizeof *y), fc[2 * M1];
	for (size_t t = 0; t < n; t++)
		y[t] = 3 + daily(t);
	struct dshw_model m;
	CHECK_INTEQ(dshw_fit(y, n, M1, 0, &m), DSHW_OK);
	CHECK(m.week == NULL && m.p.omega == 0);
	CHECK_INTEQ(m.n_scored, n - 2 * M1);
	dshw_forecast(&m, 2 * M1, fc);
	int ok = 1;
	for (size_t k = 0; k < 2 * M1; k++)
		ok &= fabs(fc[k] - 3 - daily(n + k)) <= 1e-6;
	CHECK(ok);
	dshw_free(&m);
	free(y);
}

/* The level steps up by 4 in the fourth week; a week later the forecast is the pattern + 4. */
static void test_step(void)
{
	size_t step_at = 3 * M2 + 3 * M1 + 10, n = step_at + M2;
	double *y = malloc(n * sizeof *y), fc[2 * M1];
	for (size_t t = 0; t < n; t++)
		y[t] = pattern(t) + (t >= step_at ? 4 : 0);
	struct dshw_model m;
	CHECK_INTEQ(dshw_fit(y, n, M1, M2, &m), DSHW_OK);
	dshw_forecast(&m, 2 * M1, fc);
	CHECK(close_to_pattern(fc, n, 2 * M1, 4, 0.01));   /* within 0.25 % of the step */
	CHECK(!close_to_pattern(fc, n, 2 * M1, 0, 1));     /* and not the old level */
	dshw_free(&m);
	free(y);
}

static void test_gaps(void)
{
	size_t n = 6 * M2 + 11;
	double *y = malloc(n * sizeof *y), fc[2 * M1];
	size_t gaps = 0, gaps_scored = 0;
	for (size_t t = 0; t < n; t++) {
		y[t] = check_next() % 10 == 0 ? NAN : pattern(t);
		gaps += isnan(y[t]);
		gaps_scored += isnan(y[t]) && t >= 2 * M2;
	}
	CHECK(gaps > n / 20 && gaps < n / 5);
	struct dshw_model m;
	CHECK_INTEQ(dshw_fit(y, n, M1, M2, &m), DSHW_OK);
	CHECK_INTEQ(m.n_scored, n - 2 * M2 - gaps_scored);
	dshw_forecast(&m, 2 * M1, fc);
	CHECK(close_to_pattern(fc, n, 2 * M1, 0, 1e-6));
	dshw_free(&m);
	/* the initial state alone is the pattern, gaps in the first two weeks or not */
	struct dshw_params zero = { 0, 0, 0, 0 };
	CHECK_INTEQ(dshw_run(y, n, M1, M2, &zero, &m), DSHW_OK);
	dshw_forecast(&m, 2 * M1, fc);
	CHECK(close_to_pattern(fc, n, 2 * M1, 0, 1e-9));
	dshw_free(&m);

	/* Whole days missing: one inside the initialisation window, one later, and the history's last. */
	for (size_t t = 3 * M1; t < 4 * M1; t++)
		y[t] = NAN;
	for (size_t t = 30 * M1; t < 31 * M1; t++)
		y[t] = NAN;
	for (size_t t = n - M1; t < n; t++)
		y[t] = NAN;
	CHECK_INTEQ(dshw_fit(y, n, M1, M2, &m), DSHW_OK);
	CHECK(m.last_error == 0);
	dshw_forecast(&m, 2 * M1, fc);
	CHECK(close_to_pattern(fc, n, 2 * M1, 0, 1e-6));
	dshw_free(&m);
	CHECK_INTEQ(dshw_run(y, n, M1, M2, &zero, &m), DSHW_OK);
	dshw_forecast(&m, 2 * M1, fc);
	CHECK(close_to_pattern(fc, n, 2 * M1, 0, 1e-9));
	dshw_free(&m);

	/* Single-seasonal with gaps (a slot of day missing on both initial days is taken from day 3). */
	for (size_t t = 0; t < n; t++)
		y[t] = check_next() % 10 == 0 ? NAN : 3 + daily(t);
	y[5] = y[5 + M1] = NAN;
	CHECK_INTEQ(dshw_fit(y, n, M1, 0, &m), DSHW_OK);
	dshw_forecast(&m, 2 * M1, fc);
	int ok = 1;
	for (size_t k = 0; k < 2 * M1; k++)
		ok &= fabs(fc[k] - 3 - daily(n + k)) <= 1e-6;
	CHECK(ok);
	dshw_free(&m);
	free(y);
}

/* Mean absolute error of fc against y[0..h), gaps left out. */
static double mae(const double *y, const double *fc, size_t h)
{
	double sum = 0;
	size_t count = 0;
	for (size_t k = 0; k < h; k++) {
		if (!isnan(y[k])) {
			sum += fabs(y[k] - fc[k]);
			count++;
		}
	}
	return sum / (double)count;
}

/* Pattern + white noise (σ = 0.3) for 12 weeks, a 13th held out. */
static void test_noise(void)
{
	const double sigma = 0.3;
	size_t n = 12 * M2, total = n + M2;
	double *y = malloc(total * sizeof *y), fc[M2], fc2[M2];
	for (size_t t = 0; t < total; t++)
		y[t] = pattern(t) + sigma * gauss();
	struct dshw_model m, m2;
	CHECK_INTEQ(dshw_fit(y, n, M1, M2, &m), DSHW_OK);
	CHECK(params_in_range(&m.p));
	double rmse = sqrt(m.sse / (double)m.n_scored);
	CHECK(rmse > 0.9 * sigma && rmse < 1.15 * sigma);
	dshw_forecast(&m, M2, fc);
	double mae_dshw = mae(y + n, fc, M2);
	double mae_naive = mae(y + n, y + n - M2, M2);   /* the weekly seasonal naive */
	CHECK(mae_dshw < 0.85 * mae_naive);

	/* Determinism: a second fit gives the same bits. */
	CHECK_INTEQ(dshw_fit(y, n, M1, M2, &m2), DSHW_OK);
	dshw_forecast(&m2, M2, fc2);
	CHECK_MEMEQ(fc, fc2, sizeof fc);
	CHECK_MEMEQ(&m.p, &m2.p, sizeof m.p);
	dshw_free(&m2);

	/* Running with the fitted parameters is the fit's end state. */
	CHECK_INTEQ(dshw_run(y, n, M1, M2, &m.p, &m2), DSHW_OK);
	CHECK_INTEQ(m2.evals, 0);
	dshw_forecast(&m2, M2, fc2);
	CHECK_MEMEQ(fc, fc2, sizeof fc);
	CHECK(m2.sse == m.sse);
	dshw_free(&m2);
	dshw_free(&m);
	free(y);
}

/* Pattern + AR(1) noise with coefficient 0.8: the fit finds the AR term. */
static void test_ar(void)
{
	size_t n = 12 * M2;
	double *y = malloc(n * sizeof *y), u = 0;
	for (size_t t = 0; t < n; t++) {
		u = 0.8 * u + 0.2 * gauss();
		y[t] = pattern(t) + u;
	}
	struct dshw_model m;
	CHECK_INTEQ(dshw_fit(y, n, M1, M2, &m), DSHW_OK);
	CHECK(params_in_range(&m.p));
	CHECK(m.p.phi > 0.5);
	dshw_free(&m);
	free(y);
}

static void test_refused(void)
{
	double *y = malloc(2 * M2 * sizeof *y);
	for (size_t t = 0; t < 2 * M2; t++)
		y[t] = pattern(t);
	struct dshw_model m;
	struct dshw_params p = { 0.1, 0.1, 0.1, 0.5 };
	CHECK_INTEQ(dshw_fit(y, 2 * M2 - 1, M1, M2, &m), DSHW_SHORT);
	CHECK(m.day == NULL && m.week == NULL);
	dshw_free(&m);
	CHECK_INTEQ(dshw_run(y, 2 * M2 - 1, M1, M2, &p, &m), DSHW_SHORT);
	CHECK_INTEQ(dshw_fit(y, 2 * M1 - 1, M1, 0, &m), DSHW_SHORT);
	CHECK_INTEQ(dshw_fit(y, 0, M1, 0, &m), DSHW_SHORT);
	CHECK_INTEQ(dshw_fit(y, 2 * M2, M1, M2, &m), DSHW_OK);   /* exactly two weeks: nothing scored */
	CHECK_INTEQ(m.n_scored, 0);
	dshw_free(&m);

	/* Two weeks, but most slots of week without any value. */
	for (size_t t = 0; t < 2 * M2; t++)
		if (t % M2 >= M2 / 2)
			y[t] = NAN;
	CHECK_INTEQ(dshw_fit(y, 2 * M2, M1, M2, &m), DSHW_SHORT);
	y[M2 / 2] = 1;   /* one more known slot: more than half */
	CHECK_INTEQ(dshw_fit(y, 2 * M2, M1, M2, &m), DSHW_OK);
	dshw_free(&m);

	CHECK_INTEQ(dshw_fit(y, 2 * M2, 0, 0, &m), DSHW_BADARG);
	CHECK_INTEQ(dshw_fit(y, 2 * M2, M1, 100, &m), DSHW_BADARG);
	CHECK_INTEQ(dshw_fit(y, 2 * M2, M1, M1, &m), DSHW_BADARG);
	p.phi = 1.5;
	CHECK_INTEQ(dshw_run(y, 2 * M2, M1, M2, &p, &m), DSHW_BADARG);
	p.phi = NAN;
	CHECK_INTEQ(dshw_run(y, 2 * M2, M1, M2, &p, &m), DSHW_BADARG);
	p.phi = 0.5;
	p.omega = -1;   /* ignored without a week */
	CHECK_INTEQ(dshw_run(y, 2 * M1, M1, 0, &p, &m), DSHW_OK);
	dshw_free(&m);
	free(y);
}

int main(void)
{
	test_by_hand();
	test_pure_double();
	test_pure_single();
	test_step();
	test_gaps();
	test_noise();
	test_ar();
	test_refused();
	return check_done("test_dshw");
}
