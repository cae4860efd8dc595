/*
 * dshw.h — double-seasonal exponential smoothing after Taylor (2003),
 * "Short-term electricity demand forecasting using double seasonal
 * exponential smoothing", J. Oper. Res. Soc. 54:799-805: a level, a daily
 * and a weekly seasonal component, and an AR(1) adjustment of the one-step
 * error. The form is ADDITIVE (household PV gives zeros at night, so no
 * multiplicative seasonality) and has NO TREND (a day-ahead forecast of a
 * household's energy must not extrapolate one).
 *
 * m1 is the slots per day, m2 the slots per week (a multiple of m1 above
 * it); m2 = 0 gives single-seasonal additive Holt–Winters without trend,
 * with the same AR term. With t the slot and y_t its value:
 *
 *   e_t  = y_t − (l_{t−1} + d_{t−m1} + w_{t−m2})    the error before the AR term
 *   l_t  = l_{t−1} + α·e_t
 *   d_t  = d_{t−m1} + δ·(y_t − l_t − w_{t−m2} − d_{t−m1}) = d_{t−m1} + δ·(1 − α)·e_t
 *   w_t  = w_{t−m2} + ω·(y_t − l_t − d_{t−m1} − w_{t−m2}) = w_{t−m2} + ω·(1 − α)·e_t
 *
 * (the seasonal updates use the new level, as Taylor's do; the code uses
 * the error-correction form on the right). The one-step prediction that is
 * scored adds the AR term, ŷ_t = l_{t−1} + d_{t−m1} + w_{t−m2} + φ·e_{t−1};
 * the forecast k steps after the end t of the history is
 *
 *   ŷ_{t+k} = l_t + d_{t+k−m1·⌈k/m1⌉} + w_{t+k−m2·⌈k/m2⌉} + φ^k·e_t.
 *
 * Gaps: a NaN (or infinite) y_t is missing. The state then advances with
 * the prediction in place of y_t, i.e. unchanged, e_t counts as 0 for the
 * AR term, and the slot is not scored.
 *
 * Initialisation, from the first two weeks (two days when m2 = 0), gaps
 * skipped: the level is the mean of the first season; each daily index the
 * mean over those days of y minus that day's mean; each weekly index the
 * mean of y − level − daily index over the weeks (with m2 = 0 that residual
 * is added to the daily index instead). A slot of the longest season with
 * no value in the window takes its first later value, if there is one
 * (else 0), so that a gap in the first weeks does not stay a permanent
 * error; a slot of day with no value gets 0. Each seasonal is then shifted
 * to sum to 0, the shift going into the level. A series that is exactly
 * level + daily + weekly is thereby reproduced exactly.
 *
 * Fitting: α, δ, ω, φ ∈ [0, 1] minimise the sum of squared one-step errors
 * after the initialisation window (the warm-up, not scored), by Nelder–Mead
 * on their logits from the best of a fixed grid of starting points, with a
 * restart and a fixed cap on evaluations (DSHW_MAX_EVALS). Each evaluation
 * is one pass over y without allocation. Deterministic: the same input
 * gives bit-identical output. No I/O.
 *
 * Lengths: double-seasonal needs n ≥ 2·m2 and a value in the first two
 * weeks for more than half of the slots of week; single-seasonal the same
 * with days. Otherwise DSHW_SHORT, so the caller can fall back.
 *
 * Ownership: y is only read. A fitted or run struct dshw_model owns its
 * day and week arrays (dshw_free); dshw_fit and dshw_run overwrite *out
 * without freeing it, and on an error leave it owning nothing.
 */
#ifndef HIVE_DSHW_H
#define HIVE_DSHW_H

#include <stddef.h>

enum { DSHW_OK = 0, DSHW_SHORT = -1, DSHW_NOMEM = -2, DSHW_BADARG = -3 };

/* Objective evaluations per fit at most (the grid of starting points included). */
#define DSHW_MAX_EVALS 300

struct dshw_params {
	double alpha;   /* level */
	double delta;   /* daily indices */
	double omega;   /* weekly indices (0 when m2 = 0) */
	double phi;     /* AR(1) coefficient of the one-step error */
};

struct dshw_model {
	size_t m1, m2;          /* slots per day, per week (0: single-seasonal) */
	struct dshw_params p;
	double sse;             /* sum of squared scored one-step errors (AR term included) */
	size_t n_scored;        /* the known slots after the warm-up */
	size_t evals;           /* objective evaluations of the fit (0 from dshw_run) */
	/* the state at the end of the history */
	size_t n;               /* length of the history */
	size_t phase;           /* n mod m2 (m1 when m2 = 0): the slot of the season that comes next */
	double level;
	double last_error;      /* e_t of the last slot before the AR term (0 when it was a gap) */
	double *day;            /* m1 indices, by slot of day (t mod m1) */
	double *week;           /* m2 indices, by slot of week (t mod m2); NULL when m2 = 0 */
};

/*
 * Fits the parameters on y[0..n) and leaves the state at its end. Returns
 * DSHW_OK, DSHW_SHORT (history too short or too gappy), DSHW_NOMEM, or
 * DSHW_BADARG (m1 = 0, or m2 not 0 and not a multiple of m1 above m1).
 */
int dshw_fit(const double *y, size_t n, size_t m1, size_t m2, struct dshw_model *out);

/*
 * No fitting: initialises as dshw_fit does and filters y[0..n) with the
 * given parameters (each in [0, 1], else DSHW_BADARG; omega is ignored when
 * m2 = 0). Returns as dshw_fit.
 */
int dshw_run(const double *y, size_t n, size_t m1, size_t m2, const struct dshw_params *p,
             struct dshw_model *out);

/* The h values after the end of the history into out[0..h). */
void dshw_forecast(const struct dshw_model *m, size_t h, double *out);

/* Frees the model's arrays; a freed or failed model may be freed again. */
void dshw_free(struct dshw_model *m);

#endif
