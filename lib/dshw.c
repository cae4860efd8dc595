/*
 * dshw.c — double-seasonal exponential smoothing (see dshw.h).
 *
 * A model's day and week arrays are one allocation: week points into the
 * block that day starts, so dshw_free frees day only.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dshw.h"

#define NM_DIM 4        /* α, δ, ω, φ; 3 without the week (ω is then 0) */

static int known(double v)
{
	return isfinite(v);
}

/* The season the initialisation window and the phase are counted in. */
static size_t longest(size_t m1, size_t m2)
{
	return m2 ? m2 : m1;
}

static int check_seasons(size_t m1, size_t m2)
{
	if (m1 == 0)
		return DSHW_BADARG;
	if (m2 != 0 && (m2 % m1 != 0 || m2 == m1))
		return DSHW_BADARG;
	return DSHW_OK;
}

/* Two seasons of history, a value in them for more than half the slots of the season. */
static int check_length(const double *y, size_t n, size_t period)
{
	if (n / 2 < period)
		return DSHW_SHORT;
	size_t seen = 0;
	for (size_t j = 0; j < period; j++)
		seen += known(y[j]) || known(y[j + period]);
	return 2 * seen > period ? DSHW_OK : DSHW_SHORT;
}

static double mean_known(const double *y, size_t n)
{
	double sum = 0;
	size_t count = 0;
	for (size_t t = 0; t < n; t++) {
		if (known(y[t])) {
			sum += y[t];
			count++;
		}
	}
	return count ? sum / (double)count : NAN;
}

/* Shifts s[0..len) to sum to 0; returns the shift taken out. */
static double center(double *s, size_t len)
{
	double sum = 0;
	for (size_t j = 0; j < len; j++)
		sum += s[j];
	double mean = sum / (double)len;
	for (size_t j = 0; j < len; j++)
		s[j] -= mean;
	return mean;
}

/* Daily indices: per slot of day, the mean over the window's days of y minus that day's mean. */
static int init_day(const double *y, size_t m1, size_t ndays, double *day)
{
	double *dmean = malloc(ndays * sizeof *dmean);
	if (dmean == NULL)
		return DSHW_NOMEM;
	for (size_t k = 0; k < ndays; k++)
		dmean[k] = mean_known(y + k * m1, m1);
	for (size_t j = 0; j < m1; j++) {
		double sum = 0;
		size_t count = 0;
		for (size_t k = 0; k < ndays; k++) {
			double v = y[k * m1 + j];
			if (known(v) && !isnan(dmean[k])) {
				sum += v - dmean[k];
				count++;
			}
		}
		day[j] = count ? sum / (double)count : 0;   /* no value at all: 0 */
	}
	free(dmean);
	center(day, m1);
	return DSHW_OK;
}

/*
 * What the daily index and level leave of slot j of the longest season:
 * the mean of y − level − daily over the window's two seasons. A slot with
 * no value there takes its first later value, so that the gap is not an
 * error the smoother has to unlearn; none at all gives 0.
 */
static double residual(const double *y, size_t n, size_t period, size_t j, double level, double daily)
{
	double sum = 0;
	size_t count = 0;
	for (size_t t = j; t < 2 * period; t += period) {
		if (known(y[t])) {
			sum += y[t] - level - daily;
			count++;
		}
	}
	if (count)
		return sum / (double)count;
	for (size_t t = j + 2 * period; t < n; t += period)
		if (known(y[t]))
			return y[t] - level - daily;
	return 0;
}

/* The initial state from the first two seasons of y (lengths already checked); week is NULL without m2. */
static int init_state(const double *y, size_t n, size_t m1, size_t m2, double *level, double *day, double *week)
{
	size_t period = longest(m1, m2);
	int rc = init_day(y, m1, 2 * period / m1, day);
	if (rc != DSHW_OK)
		return rc;
	double l = mean_known(y, period);
	if (isnan(l))
		l = mean_known(y, 2 * period);   /* the first season all gaps: the check saw the second */
	for (size_t j = 0; j < period; j++) {
		double r = residual(y, n, period, j, l, day[j % m1]);
		if (week)
			week[j] = r;
		else
			day[j] += r;
	}
	l += center(week ? week : day, period);
	*level = l;
	return DSHW_OK;
}

struct pass {
	double sse;
	size_t n_scored;
	double level, last_error;
};

/*
 * One pass of the smoother over y from the given state, which it updates in
 * place (day[m1]; week[m2] when weekly). Slots from warm on are scored. No
 * allocation: this is the objective's inner loop. It is inlined twice, with
 * weekly constant, so that neither loop tests for the week.
 */
static inline struct pass filter_loop(const double *y, size_t n, size_t m1, size_t m2, size_t warm,
                                      const struct dshw_params *p, double level, double *day, double *week,
                                      int weekly)
{
	double a = p->alpha, a1 = 1 - p->alpha, d = p->delta * a1, w = p->omega * a1;
	double phi = p->phi, e_prev = 0, sse = 0, l = level;
	size_t scored = 0, i1 = 0, i2 = 0;
	for (size_t t = 0; t < n; t++) {
		double v = y[t];
		if (known(v)) {
			/* l_t = (1 − α)·l_{t−1} + α·(y_t − d − w): the only chain from slot to slot is l's */
			double base = weekly ? v - day[i1] - week[i2] : v - day[i1];
			double e = base - l;
			if (t >= warm) {
				double s = e - phi * e_prev;
				sse += s * s;
				scored++;
			}
			l = a1 * l + a * base;
			day[i1] += d * e;
			if (weekly)
				week[i2] += w * e;
			e_prev = e;
		} else {
			e_prev = 0;   /* the prediction stands in for y: no update, no error */
		}
		if (++i1 == m1)
			i1 = 0;
		if (weekly && ++i2 == m2)
			i2 = 0;
	}
	return (struct pass){ sse, scored, l, e_prev };
}

static struct pass filter(const double *y, size_t n, size_t m1, size_t m2, size_t warm,
                          const struct dshw_params *p, double level, double *day, double *week)
{
	if (m2)
		return filter_loop(y, n, m1, m2, warm, p, level, day, week, 1);
	return filter_loop(y, n, m1, 0, warm, p, level, day, NULL, 0);
}

/* --- fitting ------------------------------------------------------------- */

struct fit {
	const double *y;
	size_t n, m1, m2, warm, dim;
	double ftol_abs;              /* SSE differences below this are rounding */
	double level0;
	const double *day0, *week0;   /* the initial state, copied into day, week for each pass */
	double *day, *week;
	size_t evals;
};

/*
 * Parameters are searched as logits, and taken as exactly 0 or 1 beyond
 * ±LOGIT_END (σ = 8·10⁻⁷ from the bound): the search then finds a flat
 * floor at a bound instead of walking towards infinity on a slope that no
 * longer changes the forecast.
 */
#define LOGIT_END 14.0

static double logistic(double x)
{
	if (x <= -LOGIT_END)
		return 0;
	if (x >= LOGIT_END)
		return 1;
	return 1 / (1 + exp(-x));
}

static double logit(double p)
{
	return log(p / (1 - p));
}

static struct dshw_params to_params(const double *x, size_t dim)
{
	if (dim == 3)
		return (struct dshw_params){ logistic(x[0]), logistic(x[1]), 0, logistic(x[2]) };
	return (struct dshw_params){ logistic(x[0]), logistic(x[1]), logistic(x[2]), logistic(x[3]) };
}

/* The in-sample SSE at logit-parameters x. An unstable smoother's NaN ranks as worst. */
static double objective(struct fit *f, const double *x)
{
	struct dshw_params p = to_params(x, f->dim);
	memcpy(f->day, f->day0, f->m1 * sizeof *f->day);
	if (f->m2)
		memcpy(f->week, f->week0, f->m2 * sizeof *f->week);
	f->evals++;
	double sse = filter(f->y, f->n, f->m1, f->m2, f->warm, &p, f->level0, f->day, f->week).sse;
	return isnan(sse) ? INFINITY : sse;
}

struct simplex {
	double x[NM_DIM + 1][NM_DIM];
	double f[NM_DIM + 1];
};

/* Insertion sort by f, stable, so that ties resolve the same way on every run. */
static void simplex_sort(struct simplex *s, size_t dim)
{
	for (size_t i = 1; i <= dim; i++) {
		double f = s->f[i], x[NM_DIM];
		memcpy(x, s->x[i], sizeof x);
		size_t j = i;
		for (; j > 0 && s->f[j - 1] > f; j--) {
			s->f[j] = s->f[j - 1];
			memcpy(s->x[j], s->x[j - 1], sizeof x);
		}
		s->f[j] = f;
		memcpy(s->x[j], x, sizeof x);
	}
}

/* A simplex around x0 (whose value is f0), each other vertex one step along an axis towards the middle. */
static void simplex_init(struct fit *f, struct simplex *s, const double *x0, double f0, double step)
{
	for (size_t i = 0; i <= f->dim; i++) {
		memcpy(s->x[i], x0, sizeof s->x[i]);
		if (i > 0)
			s->x[i][i - 1] += x0[i - 1] > 0 ? -step : step;
		s->f[i] = i > 0 ? objective(f, s->x[i]) : f0;
	}
}

/*
 * Converged when the values agree to a millionth (a better SSE by less
 * changes no forecast that matters) or to the rounding of an exact fit
 * (tiny, from the data's scale), or the simplex has shrunk to a point.
 */
static int simplex_converged(const struct simplex *s, size_t dim, double ftol_abs)
{
	if (s->f[dim] - s->f[0] <= 1e-6 * s->f[0] + ftol_abs)
		return 1;
	double size = 0;
	for (size_t i = 1; i <= dim; i++)
		for (size_t j = 0; j < dim; j++)
			size = fmax(size, fabs(s->x[i][j] - s->x[0][j]));
	return size < 1e-5;
}

/* x = c + t·(worst − c): t = −1 reflects, −2 expands, ∓½ contracts outside / inside. */
static double probe(struct fit *f, const struct simplex *s, const double *c, double t, double *x)
{
	for (size_t j = 0; j < f->dim; j++)
		x[j] = c[j] + t * (s->x[f->dim][j] - c[j]);
	return objective(f, x);
}

static void replace_worst(struct simplex *s, size_t dim, const double *x, double fx)
{
	memcpy(s->x[dim], x, sizeof s->x[dim]);
	s->f[dim] = fx;
}

/*
 * Nelder–Mead with the standard coefficients until converged or an
 * iteration could pass cap evaluations; returns sorted, the best first.
 */
static void nelder_mead(struct fit *f, struct simplex *s, size_t cap)
{
	size_t dim = f->dim;
	for (;;) {
		simplex_sort(s, dim);
		/* an iteration takes at most dim + 2 evaluations (reflect, contract, shrink) */
		if (simplex_converged(s, dim, f->ftol_abs) || f->evals + dim + 2 > cap)
			return;
		double c[NM_DIM] = { 0 }, xr[NM_DIM] = { 0 }, xn[NM_DIM] = { 0 };
		for (size_t i = 0; i < dim; i++)
			for (size_t j = 0; j < dim; j++)
				c[j] += s->x[i][j] / (double)dim;
		double fr = probe(f, s, c, -1, xr);
		if (fr < s->f[0]) {
			double fe = probe(f, s, c, -2, xn);
			if (fe < fr)
				replace_worst(s, dim, xn, fe);
			else
				replace_worst(s, dim, xr, fr);
			continue;
		}
		if (fr < s->f[dim - 1]) {
			replace_worst(s, dim, xr, fr);
			continue;
		}
		int outside = fr < s->f[dim];
		double fc = probe(f, s, c, outside ? -0.5 : 0.5, xn);
		if (outside ? fc <= fr : fc < s->f[dim]) {
			replace_worst(s, dim, xn, fc);
			continue;
		}
		for (size_t i = 1; i <= dim; i++) {
			for (size_t j = 0; j < dim; j++)
				s->x[i][j] = s->x[0][j] + 0.5 * (s->x[i][j] - s->x[0][j]);
			s->f[i] = objective(f, s->x[i]);
		}
	}
}

/*
 * The fixed starting points: slow and fast level, slow and fast seasonals
 * (δ = ω), weak and strong AR. The best of them starts the search, so a
 * level that follows the noise does not hide an AR error from the start.
 */
static const double start_alpha[] = { 0.05, 0.5 };
static const double start_season[] = { 0.05, 0.4 };
static const double start_phi[] = { 0.2, 0.8 };

static void start_point(struct fit *f, double *best_x, double *best_f)
{
	*best_f = INFINITY;
	for (size_t a = 0; a < 2; a++) {
		for (size_t s = 0; s < 2; s++) {
			for (size_t p = 0; p < 2; p++) {
				double x[NM_DIM] = { logit(start_alpha[a]), logit(start_season[s]), logit(start_season[s]),
				                     logit(start_phi[p]) };
				if (f->dim == 3)
					x[2] = x[3];
				double fx = objective(f, x);
				if (fx < *best_f) {
					*best_f = fx;
					memcpy(best_x, x, sizeof x);
				}
			}
		}
	}
}

/* Searches the parameters; the initial state is f->level0, day0, week0. */
static struct dshw_params search(struct fit *f)
{
	double x0[NM_DIM] = { 0 }, f0;
	struct simplex s;
	start_point(f, x0, &f0);
	simplex_init(f, &s, x0, f0, 1.0);
	nelder_mead(f, &s, DSHW_MAX_EVALS);
	/* a restart around the best vertex revives a simplex that collapsed early */
	memcpy(x0, s.x[0], sizeof x0);
	if (f->evals + f->dim <= DSHW_MAX_EVALS) {
		simplex_init(f, &s, x0, s.f[0], 0.25);
		nelder_mead(f, &s, DSHW_MAX_EVALS);
	}
	return to_params(s.x[0], f->dim);
}

/* --- the API ------------------------------------------------------------- */

/* Checks, allocates out's arrays and sets them to the initial state. */
static int model_init(const double *y, size_t n, size_t m1, size_t m2, struct dshw_model *out)
{
	*out = (struct dshw_model){ .m1 = m1, .m2 = m2, .n = n };
	int rc = check_seasons(m1, m2);
	if (rc == DSHW_OK)
		rc = check_length(y, n, longest(m1, m2));
	if (rc != DSHW_OK)
		return rc;
	out->day = malloc((m1 + m2) * sizeof *out->day);
	if (out->day == NULL)
		return DSHW_NOMEM;
	out->week = m2 ? out->day + m1 : NULL;
	rc = init_state(y, n, m1, m2, &out->level, out->day, out->week);
	if (rc != DSHW_OK)
		dshw_free(out);
	return rc;
}

/* Filters y from the state in out (the initial one) with out->p and records the end state. */
static void model_run(const double *y, size_t n, struct dshw_model *out)
{
	size_t warm = 2 * longest(out->m1, out->m2);
	struct pass r = filter(y, n, out->m1, out->m2, warm, &out->p, out->level, out->day, out->week);
	out->sse = r.sse;
	out->n_scored = r.n_scored;
	out->level = r.level;
	out->last_error = r.last_error;
	out->phase = n % longest(out->m1, out->m2);
}

int dshw_fit(const double *y, size_t n, size_t m1, size_t m2, struct dshw_model *out)
{
	int rc = model_init(y, n, m1, m2, out);
	if (rc != DSHW_OK)
		return rc;
	/* the search works on a copy of the state; out's arrays keep the initial one */
	double *work = malloc((m1 + m2) * sizeof *work);
	if (work == NULL) {
		dshw_free(out);
		return DSHW_NOMEM;
	}
	double sumsq = 0;
	for (size_t t = 0; t < n; t++)
		if (known(y[t]))
			sumsq += y[t] * y[t];
	struct fit f = {
		.y = y, .n = n, .m1 = m1, .m2 = m2, .warm = 2 * longest(m1, m2), .dim = m2 ? 4 : 3,
		.ftol_abs = 1e-20 * sumsq + 1e-300,
		.level0 = out->level, .day0 = out->day, .week0 = out->week, .day = work, .week = work + m1,
	};
	out->p = search(&f);
	out->evals = f.evals;
	free(work);
	model_run(y, n, out);
	return DSHW_OK;
}

static int param_ok(double v)
{
	return v >= 0 && v <= 1;   /* false for NaN */
}

int dshw_run(const double *y, size_t n, size_t m1, size_t m2, const struct dshw_params *p,
             struct dshw_model *out)
{
	*out = (struct dshw_model){ 0 };
	if (!param_ok(p->alpha) || !param_ok(p->delta) || !param_ok(p->phi) || (m2 && !param_ok(p->omega)))
		return DSHW_BADARG;
	int rc = model_init(y, n, m1, m2, out);
	if (rc != DSHW_OK)
		return rc;
	out->p = *p;
	if (m2 == 0)
		out->p.omega = 0;
	model_run(y, n, out);
	return DSHW_OK;
}

void dshw_forecast(const struct dshw_model *m, size_t h, double *out)
{
	size_t i1 = m->phase % m->m1, i2 = m->phase;
	double ar = m->last_error;
	for (size_t k = 0; k < h; k++) {
		ar *= m->p.phi;   /* φ^(k+1)·e_t */
		out[k] = m->level + m->day[i1] + (m->week ? m->week[i2] : 0) + ar;
		if (++i1 == m->m1)
			i1 = 0;
		if (m->week && ++i2 == m->m2)
			i2 = 0;
	}
}

void dshw_free(struct dshw_model *m)
{
	free(m->day);
	m->day = NULL;
	m->week = NULL;
}
