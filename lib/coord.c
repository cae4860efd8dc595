/* coord.c — a hive's sharing ADMM in one process (see coord.h). */
#include "coord.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

double coord_tariff_cost(const struct sharing_cost *g, const double *x)
{
	double c = 0;
	for (size_t t = 0; t < g->slots; t++)
		c += x[t] >= 0 ? g->buy[t] * x[t] : g->sell[t] * x[t];
	return c;
}

bool coord_bound_due(size_t k, bool near)
{
	return k % (near ? COORD_BOUND_EVERY : COORD_BOUND_EARLY) == 1;
}

/* g(E) without the limits: the cost the aggregate's prices and peak charge give. */
static double hive_cost(const struct sharing_cost *g, const double *E)
{
	struct sharing_cost open = *g;
	open.limited = false;
	return sharing_cost_of(&open, E);
}

static double limit_excess(const struct sharing_cost *g, const double *E)
{
	double worst = 0;
	if (!g->limited)
		return 0;
	for (size_t t = 0; t < g->slots; t++)
		worst = fmax(worst, fmax(E[t] - g->import_max, -g->export_max - E[t]));
	return worst;
}

const struct lqp_plan *coord_plan(const struct coord_worker *w)
{
	if (!w->lqp)
		return NULL;
	return w->plan.net_wh ? &w->plan : &w->alone;
}

static const double *plan_of(const struct coord_worker *w, bool alone)
{
	if (!w->lqp)
		return w->net;
	return alone ? w->alone.net_wh : coord_plan(w)->net_wh;
}

static double own_cost(const struct coord_worker *w, bool alone)
{
	return w->lqp ? (alone ? w->alone.own_cost : coord_plan(w)->own_cost) : 0;
}

/*
 * A lower bound on the hive's optimal cost at the prices y (T values, as
 * sharing_bound_prices keeps them): every Worker's plan alone at y and the
 * hive's term (sharing.h); NAN when one fails.
 */
static double lower_bound(struct coord_worker *w, size_t n, const struct sharing_cost *g, const double *y)
{
	size_t T = g->slots;
	double bound = sharing_dual_term(g, y);
	struct lqp_plan at_y = { 0 }; /* one plan's memory for all */
	for (size_t i = 0; i < n; i++) {
		if (!w[i].lqp) {
			for (size_t t = 0; t < T; t++)
				bound += y[t] * w[i].net[t];
			continue;
		}
		const char *why;
		double value;
		if (lqp_alone_value(w[i].lqp, y, y, &at_y, &value, &why) != HIVE_OK) {
			lqp_plan_free(&at_y);
			return NAN;
		}
		bound += value;
	}
	lqp_plan_free(&at_y);
	return bound;
}

/* The element of rank k (from 0) of a[0, m), m > k, by selection with a three-way partition; a is reordered. */
static double select_rank(double *a, size_t m, size_t k)
{
	size_t lo = 0, hi = m; /* the element of rank k lies in a[lo, hi) */
	while (hi - lo > 1) {
		double pivot = a[lo + (hi - lo) / 2], tmp;
		size_t lt = lo, i = lo, gt = hi; /* a[lo, lt) < pivot, a[lt, i) == pivot, a[gt, hi) > pivot */
		while (i < gt) {
			if (a[i] < pivot) {
				tmp = a[lt];
				a[lt++] = a[i];
				a[i++] = tmp;
			} else if (a[i] > pivot) {
				tmp = a[--gt];
				a[gt] = a[i];
				a[i] = tmp;
			} else {
				i++;
			}
		}
		if (k < lt)
			hi = lt;
		else if (k >= gt)
			lo = gt;
		else
			return pivot;
	}
	return a[lo];
}

/*
 * The prices of the Workers' consensus: per slot, the median over the
 * flexible Workers of the prices at which each one's last step is its own
 * optimum, implied[i·T + t] = ρ·(x_i,t − v_i,t) (the step's optimality:
 * 0 ∈ ∂φ_i(x_i) + ρ·(x_i − v_i)); kept as sharing_bound_prices keeps the
 * Queen's. col: n values of scratch. False when no Worker is flexible.
 */
static bool consensus_prices(const struct coord_worker *w, size_t n, const struct sharing_cost *g,
                             const double *implied, double *col, double *y)
{
	size_t T = g->slots;
	for (size_t t = 0; t < T; t++) {
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			if (w[i].lqp)
				col[m++] = implied[i * T + t];
		if (m == 0)
			return false;
		double p = select_rank(col, m, m / 2);
		y[t] = g->limited ? p : fmin(g->buy[t], fmax(g->sell[t], p));
	}
	return true;
}

/* g(E) with the limits widened by the residuals' tolerance on the aggregate (sharing.h). */
static double plans_hive_cost(const struct sharing_cost *g, const struct sharing_state *st, const double *E)
{
	struct sharing_cost wide = sharing_widened(g, sharing_aggregate_tolerance(st));
	return sharing_cost_of(&wide, E);
}

/* Σ_i φ_i and the aggregate of the plans. */
static double gather(const struct coord_worker *w, size_t n, size_t T, bool alone, double *E, double *x)
{
	double phi = 0;
	memset(E, 0, T * sizeof *E);
	for (size_t i = 0; i < n; i++) {
		const double *p = plan_of(&w[i], alone);
		for (size_t t = 0; t < T; t++)
			E[t] += p[t];
		if (x)
			memcpy(&x[i * T], p, T * sizeof *x);
		phi += own_cost(&w[i], alone);
	}
	return phi;
}

/*
 * Polishing (coord.h): every flexible Worker in turn answers the rest of
 * the hive (lqp_best_response_into), from this round's plans. An answer is
 * kept only when it lowers the hive's cost at the sweep's tariff, so no
 * sweep ends dearer than it starts. A polish is a ladder of sweeps: at
 * tariffs drawn towards the bound's prices first, then at the true one,
 * whose plans are kept in best when they are the cheapest so far.
 */
struct polish {
	struct lqp_plan *trial, *best;  /* n each */
	struct lqp_plan answer;         /* the Worker's answer being weighed */
	bool *moved;                    /* n: trial[i] holds Worker i's plan in this polish, else the round's holds */
	double best_cost;               /* INFINITY until a sweep is kept */
	size_t round;                   /* the last polish's round */
	double bound_then;              /* the best lower bound at the last polish */
	double *E, *others;             /* T each */
	double *buy, *sell;             /* T each: the softened tariff of a sweep */
};

/* The softened tariffs' weights on the true spread, in the order swept (the true tariff last). */
static const double soft_ladder[] = { 0.25, 0.5 };

static void polish_init(struct polish *pl, size_t n, size_t T)
{
	size_t m = T ? T : 1;
	pl->trial = xcalloc(n ? n : 1, sizeof *pl->trial);
	pl->best = xcalloc(n ? n : 1, sizeof *pl->best);
	pl->moved = xcalloc(n ? n : 1, sizeof *pl->moved);
	pl->best_cost = INFINITY;
	pl->bound_then = -INFINITY;
	pl->E = xmalloc(m * sizeof *pl->E);
	pl->others = xmalloc(m * sizeof *pl->others);
	pl->buy = xmalloc(m * sizeof *pl->buy);
	pl->sell = xmalloc(m * sizeof *pl->sell);
}

static void polish_free(struct polish *pl, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		lqp_plan_free(&pl->trial[i]);
		lqp_plan_free(&pl->best[i]);
	}
	lqp_plan_free(&pl->answer);
	free(pl->trial);
	free(pl->best);
	free(pl->moved);
	free(pl->E);
	free(pl->others);
	free(pl->buy);
	free(pl->sell);
}

/* Worker i's plan in this polish: its last answer kept, or the round's plan. */
static const struct lqp_plan *polish_plan(const struct polish *pl, const struct coord_worker *w, size_t i)
{
	return pl->moved[i] ? &pl->trial[i] : coord_plan(&w[i]);
}

/*
 * One sweep at the tariff (buy, sell), from each Worker's plan in this
 * polish; returns the sweep's cost at g (true: the tariff is g's).
 */
static double polish_sweep(struct polish *pl, struct coord_worker *w, size_t n, const struct sharing_cost *g,
                           const double *buy, const double *sell)
{
	size_t T = g->slots;
	double phi = 0;
	memset(pl->E, 0, T * sizeof *pl->E);
	for (size_t i = 0; i < n; i++) {
		const struct lqp_plan *now = w[i].lqp ? polish_plan(pl, w, i) : NULL;
		const double *net = now ? now->net_wh : w[i].net;
		for (size_t t = 0; t < T; t++)
			pl->E[t] += net[t];
		phi += now ? now->own_cost : 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (!w[i].lqp)
			continue;
		const struct lqp_plan *now = polish_plan(pl, w, i);
		for (size_t t = 0; t < T; t++)
			pl->others[t] = pl->E[t] - now->net_wh[t];
		if (lqp_best_response_into(w[i].lqp, buy, sell, pl->others, &pl->answer) != HIVE_OK ||
		    !(pl->answer.objective < lqp_cost_beside(now, buy, sell, pl->others)))
			continue;
		phi += pl->answer.own_cost - now->own_cost;
		for (size_t t = 0; t < T; t++)
			pl->E[t] = pl->others[t] + pl->answer.net_wh[t];
		struct lqp_plan tmp = pl->trial[i]; /* the answer is Worker i's plan now; its memory the next answer's */
		pl->trial[i] = pl->answer;
		pl->answer = tmp;
		pl->moved[i] = true;
	}
	return phi + hive_cost(g, pl->E);
}

/*
 * A polish from the round's plans (g without limits, peak or target): the
 * soft ladder's sweeps, at tariffs whose buy and sell are drawn towards
 * the prices y (within [sell_t, buy_t]) to that weight on the spread, then
 * one at the true tariff. With a kink as wide as the true one a sweep
 * stops where only several Workers moving at once would gain; a narrower
 * one lets each move past it first. Keeps the plans in best when cheaper.
 */
static void polish_round(struct polish *pl, struct coord_worker *w, size_t n, const struct sharing_cost *g, const double *y)
{
	size_t T = g->slots;
	memset(pl->moved, 0, n * sizeof *pl->moved);
	for (size_t r = 0; r < sizeof soft_ladder / sizeof *soft_ladder; r++) {
		double lambda = soft_ladder[r];
		for (size_t t = 0; t < T; t++) {
			pl->buy[t] = y[t] + lambda * (g->buy[t] - y[t]);
			pl->sell[t] = y[t] - lambda * (y[t] - g->sell[t]);
		}
		polish_sweep(pl, w, n, g, pl->buy, pl->sell);
	}
	double cost = polish_sweep(pl, w, n, g, g->buy, g->sell);
	if (!(cost < pl->best_cost))
		return;
	pl->best_cost = cost;
	for (size_t i = 0; i < n; i++) {
		if (!w[i].lqp)
			continue;
		if (pl->moved[i]) {
			struct lqp_plan tmp = pl->best[i];
			pl->best[i] = pl->trial[i];
			pl->trial[i] = tmp;
		} else {
			lqp_plan_copy(&pl->best[i], coord_plan(&w[i]));
		}
	}
}

int coord_run(struct coord_worker *w, size_t n, const struct sharing_cost *g, const struct coord_options *o,
              struct coord_result *res, size_t *failed, const char **why)
{
	size_t T = g->slots;
	memset(res, 0, sizeof *res);
	for (size_t i = 0; i < n && !o->warm; i++) {
		if (!w[i].lqp)
			continue;
		int rc = lqp_solve_alone(w[i].lqp, g->buy, g->sell, &w[i].alone, why);
		if (rc != HIVE_OK) {
			*failed = i;
			return rc;
		}
	}
	double *E = xmalloc(T * sizeof *E), *x = xmalloc(n * T * sizeof *x), *signal = xmalloc(T * sizeof *signal);
	double *v = xmalloc(T * sizeof *v);
	if (o->warm) {
		gather(w, n, T, false, E, x);
	} else {
		for (size_t i = 0; i < n; i++)
			res->cost_alone += own_cost(&w[i], true) + coord_tariff_cost(g, plan_of(&w[i], true));
		res->cost_pooled = gather(w, n, T, true, E, x) + hive_cost(g, E);
	}

	struct sharing_state st;
	const double **plans = xmalloc((n ? n : 1) * sizeof *plans);
	for (size_t i = 0; i < n; i++)
		plans[i] = &x[i * T];
	sharing_init(&st, n, T, o->rho > 0 ? o->rho : sharing_initial_rho(g, plans, n));
	free(plans);
	if (o->dual && o->rho > 0)
		memcpy(st.u, o->dual, T * sizeof *st.u);
	int rc = HIVE_OK;
	bool bounding = o->gap > 0 && sharing_bounded(g);
	bool polishing = o->polish && bounding && !g->limited;
	/* the prices at which each Worker's last step is its own optimum, and a column of them */
	double *implied = bounding ? xmalloc((n * T > 0 ? n * T : 1) * sizeof *implied) : NULL;
	double *col = bounding ? xmalloc((n ? n : 1) * sizeof *col) : NULL;
	struct polish pl = { .best_cost = INFINITY, .bound_then = -INFINITY };
	if (polishing)
		polish_init(&pl, n, T);
	res->lower_bound = -INFINITY;
	res->proven_gap = INFINITY;
	double alpha = o->relax > 0 ? o->relax : 1;
	double *zi = NULL, *xh = x; /* with over-relaxation: each Worker's z_i, and the relaxed plans */
	if (alpha != 1) {
		zi = xmalloc(n * T * sizeof *zi);
		xh = xmalloc(n * T * sizeof *xh);
		memcpy(zi, x, n * T * sizeof *zi);
	}
	for (size_t k = 0; k < o->max_iter; k++) {
		for (size_t j = 0; zi && j < n * T; j++)
			xh[j] = alpha * x[j] + (1 - alpha) * zi[j];
		int done = sharing_round(&st, g, xh, o->eps_abs, o->eps_rel, signal);
		if (done < 0) {
			*why = "the hive's cost is malformed";
			rc = HIVE_EINPUT;
			break;
		}
		res->iterations = k + 1;
		bool near = res->proven_gap <= COORD_BOUND_NEAR * o->gap;
		if (bounding && coord_bound_due(k, near)) {
			/* far: the Queen's prices; near: the Workers' consensus, mostly far nearer the optimal ones
			   (no bound is due in round 0, so every flexible Worker has stepped) */
			if (!(near && consensus_prices(w, n, g, implied, col, v)))
				sharing_bound_prices(g, st.rho, st.u, v);
			double bound = lower_bound(w, n, g, v);
			if (bound > res->lower_bound) {
				res->lower_bound = bound;
				res->bounded = true;
			}
			/* a polish when none is kept yet; when a new bound proves the best polished plans nearly
			   within the gap, so that a little cheaper would do; or when the plans have moved on; none
			   when the bound proves them within it already (this round stops) */
			double polished_gap = sharing_proven_gap(pl.best_cost, res->lower_bound);
			bool nearly = res->lower_bound > pl.bound_then && polished_gap <= COORD_POLISH_NEAR * o->gap;
			if (polishing && near && !(polished_gap <= o->gap) &&
			    (pl.best_cost == INFINITY || nearly || k >= pl.round + COORD_POLISH_EVERY)) {
				polish_round(&pl, w, n, g, v);
				pl.round = k;
				pl.bound_then = res->lower_bound;
			}
		}
		if (res->bounded) {
			/* the plans of this round, priced with the limits as the residuals meet them (∞ beyond),
			   or the best polished ones */
			double cost = gather(w, n, T, false, E, NULL) + plans_hive_cost(g, &st, E);
			res->proven_gap = sharing_proven_gap(fmin(cost, pl.best_cost), res->lower_bound);
			res->by_gap = res->proven_gap <= o->gap;
		}
		if (done == 1 || res->by_gap) {
			res->converged = true;
			break;
		}
		for (size_t i = 0; i < n && rc == HIVE_OK; i++) {
			if (!w[i].lqp)
				continue;
			for (size_t t = 0; t < T; t++) {
				v[t] = xh[i * T + t] - signal[t];
				if (zi)
					zi[i * T + t] = v[t] + st.u[t];
			}
			rc = lqp_solve_step_into(w[i].lqp, st.rho, v, &w[i].plan, why);
			if (rc != HIVE_OK) {
				*failed = i;
				break;
			}
			memcpy(&x[i * T], w[i].plan.net_wh, T * sizeof *x);
			for (size_t t = 0; implied && t < T; t++)
				implied[i * T + t] = st.rho * (w[i].plan.net_wh[t] - v[t]);
		}
		if (rc != HIVE_OK)
			break;
	}
	res->polished = polishing && rc == HIVE_OK && pl.best_cost < gather(w, n, T, false, E, NULL) + hive_cost(g, E);
	for (size_t i = 0; i < n && res->polished; i++) { /* the polished plans are the cheaper: they are the answer */
		struct lqp_plan tmp = w[i].plan;
		w[i].plan = pl.best[i];
		pl.best[i] = tmp;
	}
	if (polishing)
		polish_free(&pl, n);
	if (rc == HIVE_OK) {
		res->rho = st.rho;
		res->r = st.r;
		res->s = st.s;
		res->r_tol = st.r_tol;
		res->s_tol = st.s_tol;
		double phi = gather(w, n, T, false, E, NULL);
		res->cost_coordinated = phi + hive_cost(g, E);
		res->limit_excess = limit_excess(g, E);
		if (res->bounded) /* the plans returned: the last round's, stepped since, or the cheapest polish's */
			res->proven_gap = sharing_proven_gap(phi + plans_hive_cost(g, &st, E), res->lower_bound);
		if (o->dual)
			memcpy(o->dual, st.u, T * sizeof *st.u);
	}
	sharing_free(&st);
	if (zi) {
		free(zi);
		free(xh);
	}
	free(E);
	free(x);
	free(signal);
	free(v);
	free(implied);
	free(col);
	return rc;
}
