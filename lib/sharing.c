/* sharing.c — the Queen's exact z-update of sharing ADMM (see sharing.h). */
#include "sharing.h"

#include <math.h>
#include <stdlib.h>

#include "diag.h"

static bool cost_ok(const struct sharing_cost *g)
{
	for (size_t t = 0; t < g->slots; t++)
		if (!(g->buy[t] >= g->sell[t]) || !isfinite(g->buy[t]) || !isfinite(g->sell[t]))
			return false;
	if (g->limited && !(g->import_max >= 0 && g->export_max >= 0))
		return false;
	if (g->target_weight > 0)
		for (size_t t = 0; t < g->slots; t++)
			if (!g->target || !isfinite(g->target[t]))
				return false;
	return g->peak_price >= 0 && isfinite(g->peak_price) && g->peak_floor >= 0 && isfinite(g->peak_floor) &&
	       g->target_weight >= 0 && isfinite(g->target_weight);
}

/*
 * In the aggregate w = N·z the slot's objective is f(w) + κ/2·(w − A)² with
 * κ = ρ/N and A = N·a. Each linear piece p·w has its minimiser at
 * A − p/κ; between the two pieces the kink at 0 holds. Then the limits.
 */
static double slot_optimum(const struct sharing_cost *g, size_t t, double A, double kappa)
{
	double w_buy = A - g->buy[t] / kappa, w_sell = A - g->sell[t] / kappa;
	double w = w_buy > 0 ? w_buy : w_sell < 0 ? w_sell : 0;
	if (g->limited) {
		if (w > g->import_max)
			w = g->import_max;
		if (w < -g->export_max)
			w = -g->export_max;
	}
	return w;
}

static int desc(const void *a, const void *b)
{
	const double *x = *(const double *const *)a, *y = *(const double *const *)b;
	return (*x < *y) - (*x > *y);
}

/*
 * The cap P on the aggregate that the peak charge c sets: φ(P) = Σ h_t(min(w_t, P)) + c·P
 * is convex, and its slope c + Σ_{w_t > P} (buy_t + κ(P − A_t)) is linear between the
 * sorted optima w_t > 0. Walking down from the highest, the first segment where the slope
 * reaches 0 holds the root; none: P = 0.
 */
static double peak_cap(const struct sharing_cost *g, const double *w, const double *A, double kappa)
{
	size_t k = 0, T = g->slots;
	const double **top = xmalloc((T ? T : 1) * sizeof *top);
	for (size_t t = 0; t < T; t++)
		if (w[t] > 0)
			top[k++] = &w[t];
	if (k == 0) {
		free(top);
		return 0;
	}
	qsort(top, k, sizeof *top, desc);
	double cap = 0, s1 = g->peak_price;   /* c + Σ over the active slots of (buy − κA) */
	bool found = false;
	for (size_t j = 0; j < k && !found; j++) {
		size_t t = (size_t)(top[j] - w);
		s1 += g->buy[t] - kappa * A[t];
		double hi = *top[j], lo = j + 1 < k ? *top[j + 1] : 0, m = (double)(j + 1) * kappa;
		if (s1 + m * hi <= 0) {            /* still paying to cut at the top of this segment: stop there */
			cap = hi;
			found = true;
		} else if (s1 + m * lo <= 0) {     /* the slope crosses 0 inside */
			cap = -s1 / m;
			found = true;
		}
	}
	free(top);
	return found ? cap : 0;
}

int sharing_z_update(const struct sharing_cost *g, size_t workers, double rho, const double *a, double *z)
{
	if (!cost_ok(g) || workers == 0 || !(rho > 0))
		return -1;
	double N = (double)workers, kappa = rho / N, tw = g->target_weight;
	double *A = xmalloc((g->slots ? g->slots : 1) * sizeof *A), *w = xmalloc((g->slots ? g->slots : 1) * sizeof *w);
	for (size_t t = 0; t < g->slots; t++) {
		/* κ/2·(w − N·a)² + tw/2·(w − target)² is one quadratic: (κ + tw)/2·(w − A)² and a constant */
		A[t] = tw > 0 ? (kappa * N * a[t] + tw * g->target[t]) / (kappa + tw) : N * a[t];
		w[t] = slot_optimum(g, t, A[t], kappa + tw);
	}
	kappa += tw;
	if (g->peak_price > 0) {
		double cap = fmax(g->peak_floor, peak_cap(g, w, A, kappa));
		for (size_t t = 0; t < g->slots; t++)
			if (w[t] > cap)
				w[t] = cap;
	}
	for (size_t t = 0; t < g->slots; t++)
		z[t] = w[t] / N;
	free(A);
	free(w);
	return 0;
}

struct sharing_cost sharing_cost_at(const struct coupling *c, size_t slots, int step_s, const double *buy,
                                    const double *sell)
{
	double hours = step_s / 3600.0;
	return (struct sharing_cost){ .slots = slots, .buy = buy, .sell = sell, .limited = c->limited,
		                      .import_max = c->limited ? c->import_max_w * hours : 0,
		                      .export_max = c->limited ? c->export_max_w * hours : 0,
		                      .peak_price = c->peak_price_per_kw / (1000 * hours) };
}

double sharing_cost_of(const struct sharing_cost *g, const double *E)
{
	double cost = 0, peak = g->peak_floor;
	for (size_t t = 0; t < g->slots; t++) {
		/* a hair of rounding (z = w / N, then N·z) is not beyond a limit */
		double slack = 1e-9 * (1 + fabs(E[t]));
		if (g->limited && (E[t] > g->import_max + slack || E[t] < -g->export_max - slack))
			return INFINITY;
		cost += E[t] >= 0 ? g->buy[t] * E[t] : g->sell[t] * E[t];
		if (g->target_weight > 0)
			cost += g->target_weight / 2 * (E[t] - g->target[t]) * (E[t] - g->target[t]);
		if (E[t] > peak)
			peak = E[t];
	}
	return cost + g->peak_price * peak;
}

void sharing_init(struct sharing_state *st, size_t workers, size_t slots, double rho)
{
	*st = (struct sharing_state){ .workers = workers, .slots = slots, .rho = rho, .first = true };
	st->u = xcalloc(slots ? slots : 1, sizeof *st->u);
	st->zbar = xcalloc(slots ? slots : 1, sizeof *st->zbar);
	st->zi = xcalloc(workers * slots > 0 ? workers * slots : 1, sizeof *st->zi);
}

void sharing_free(struct sharing_state *st)
{
	free(st->u);
	free(st->zbar);
	free(st->zi);
	*st = (struct sharing_state){ 0 };
}

int sharing_round(struct sharing_state *st, const struct sharing_cost *g, const double *x, double eps_abs,
                  double eps_rel, double *signal)
{
	size_t N = st->workers, T = st->slots;
	double *xbar = xcalloc(T ? T : 1, sizeof *xbar), *a = xmalloc((T ? T : 1) * sizeof *a);
	for (size_t i = 0; i < N; i++)
		for (size_t t = 0; t < T; t++)
			xbar[t] += x[i * T + t] / (double)N;
	for (size_t t = 0; t < T; t++)
		a[t] = xbar[t] + st->u[t];
	if (sharing_z_update(g, N, st->rho, a, st->zbar) != 0) {
		free(xbar);
		free(a);
		return -1;
	}
	double r2 = 0, s2 = 0, x2 = 0, z2 = 0, u2 = 0;
	for (size_t t = 0; t < T; t++) {
		double d = xbar[t] - st->zbar[t];
		st->u[t] += d;
		signal[t] = d + st->u[t];
		r2 += d * d;
		z2 += st->zbar[t] * st->zbar[t];
		u2 += st->u[t] * st->u[t];
	}
	for (size_t i = 0; i < N; i++)
		for (size_t t = 0; t < T; t++) {
			double zi = x[i * T + t] - xbar[t] + st->zbar[t];
			double dz = st->first ? 0 : zi - st->zi[i * T + t];
			s2 += dz * dz;
			x2 += x[i * T + t] * x[i * T + t];
			st->zi[i * T + t] = zi;
		}
	double sqN = sqrt((double)N), sqNT = sqrt((double)(N * T));
	st->r = sqN * sqrt(r2);
	st->s = st->rho * sqrt(s2);
	st->r_tol = sqNT * eps_abs + eps_rel * fmax(sqrt(x2), sqN * sqrt(z2));
	st->s_tol = sqNT * eps_abs + eps_rel * st->rho * sqN * sqrt(u2);
	bool done = !st->first && st->r <= st->r_tol && st->s <= st->s_tol;
	st->first = false;
	free(xbar);
	free(a);
	return done ? 1 : 0;
}

double sharing_initial_rho(const struct sharing_cost *g, const double *const *plans, size_t n)
{
	double mean_abs_plan = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t t = 0; t < g->slots; t++)
			mean_abs_plan += fabs(plans[i][t]) / (double)(n * g->slots);
	double spread = 0;
	for (size_t t = 0; t < g->slots; t++)
		spread += (g->buy[t] - g->sell[t]) / (double)g->slots;
	if (!(spread > 0))
		spread = 1e-3;
	return 0.25 * spread / fmax(mean_abs_plan, 1);
}

bool sharing_bounded(const struct sharing_cost *g)
{
	return g->peak_price == 0 && g->target_weight == 0;
}

void sharing_bound_prices(const struct sharing_cost *g, double rho, const double *u, double *y)
{
	for (size_t t = 0; t < g->slots; t++)
		y[t] = g->limited ? rho * u[t] : fmin(g->buy[t], fmax(g->sell[t], rho * u[t]));
}

/* f_t is linear on each side of 0: its least against y_t·E is at an end of the limits or at 0. */
double sharing_dual_term(const struct sharing_cost *g, const double *y)
{
	double sum = 0;
	for (size_t t = 0; t < g->slots && g->limited; t++)
		sum += fmin(0, fmin((g->buy[t] - y[t]) * g->import_max, (y[t] - g->sell[t]) * g->export_max));
	return sum;
}

double sharing_proven_gap(double cost, double bound)
{
	if (!isfinite(cost) || !isfinite(bound))
		return INFINITY;
	if (cost <= bound)
		return 0;
	if ((bound < 0) != (cost < 0) || bound == 0 || cost == 0)
		return INFINITY;
	return (cost - bound) / fmin(fabs(bound), fabs(cost));
}

double sharing_aggregate_tolerance(const struct sharing_state *st)
{
	return sqrt((double)st->workers) * st->r_tol;
}

struct sharing_cost sharing_widened(const struct sharing_cost *g, double excess)
{
	struct sharing_cost wide = *g;
	if (wide.limited && excess > 0) {
		wide.import_max += excess;
		wide.export_max += excess;
	}
	return wide;
}
