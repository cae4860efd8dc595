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
 * A lower bound on the hive's optimal cost from the Queen's scaled dual u
 * (sharing.h): every Worker's plan alone at the prices y (T values,
 * written); NAN when one fails.
 */
static double lower_bound(struct coord_worker *w, size_t n, const struct sharing_cost *g, double rho,
                          const double *u, double *y)
{
	size_t T = g->slots;
	sharing_bound_prices(g, rho, u, y);
	double bound = sharing_dual_term(g, y);
	struct lqp_plan at_y = { 0 }; /* one plan's memory for all */
	for (size_t i = 0; i < n; i++) {
		if (!w[i].lqp) {
			for (size_t t = 0; t < T; t++)
				bound += y[t] * w[i].net[t];
			continue;
		}
		const char *why;
		if (lqp_solve_alone_into(w[i].lqp, y, y, &at_y, &why) != HIVE_OK)
			return NAN;
		bound += at_y.objective;
	}
	lqp_plan_free(&at_y);
	return bound;
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
		if (bounding && coord_bound_due(k, res->proven_gap <= COORD_BOUND_NEAR * o->gap)) {
			double bound = lower_bound(w, n, g, st.rho, st.u, v);
			if (bound > res->lower_bound) {
				res->lower_bound = bound;
				res->bounded = true;
			}
		}
		if (res->bounded) {
			/* the plans of this round, priced with the limits as the residuals meet them (∞ beyond) */
			res->proven_gap = sharing_proven_gap(gather(w, n, T, false, E, NULL) + plans_hive_cost(g, &st, E),
			                                     res->lower_bound);
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
			if (rc != HIVE_OK)
				*failed = i;
			else
				memcpy(&x[i * T], w[i].plan.net_wh, T * sizeof *x);
		}
		if (rc != HIVE_OK)
			break;
	}
	if (rc == HIVE_OK) {
		res->rho = st.rho;
		res->r = st.r;
		res->s = st.s;
		res->r_tol = st.r_tol;
		res->s_tol = st.s_tol;
		double phi = gather(w, n, T, false, E, NULL);
		res->cost_coordinated = phi + hive_cost(g, E);
		res->limit_excess = limit_excess(g, E);
		if (res->bounded) /* the plans returned: those of the last round, or stepped since */
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
	return rc;
}
