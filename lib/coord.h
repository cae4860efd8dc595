/*
 * coord.h — a whole hive's coordination in one process (whitepaper §4.3):
 * every Worker's local problem (localqp.h) and the Queen's rounds of sharing
 * ADMM (sharing.h), iterated until the residuals meet the tolerances or the
 * iteration cap. hive-clear simulate runs it; the Workers and the Queen of
 * hive-bid and hive-clear coordinate run the same two steps apart.
 *
 * Each Worker starts from its plan alone against the tariff. Then, per
 * round: the Queen's step from all plans gives one signal; each Worker plans
 * against v = x_i − signal. ρ is the tariff's mean spread between buy and
 * sell over the Workers' mean absolute plan (unless given), and stays: both
 * residual balancing (Boyd et al. §3.4.1) and fast ADMM with restart
 * (Goldstein et al. 2014) were measured on random hives and made the tail
 * oscillate instead of converge.
 */
#ifndef HIVE_COORD_H
#define HIVE_COORD_H

#include <stdbool.h>
#include <stddef.h>

#include "localqp.h"
#include "sharing.h"

struct coord_worker {
	struct lqp *lqp;          /* NULL: an inflexible Worker, whose plan is its forecast */
	const double *net;        /* its uncontrolled net (T), for an inflexible Worker */
	struct lqp_plan alone;    /* its plan alone (filled by coord_run) */
	struct lqp_plan plan;     /* its coordinated plan (filled by coord_run) */
};

/* The defaults of the tools that coordinate (hive-clear simulate and coordinate, hive-bid for a child hive). */
#define COORD_EPS_ABS 0.01
#define COORD_MAX_ITER 2000

struct coord_options {
	double rho;               /* 0: chosen from the tariff and the plans */
	double eps_abs, eps_rel;  /* Boyd's stopping rule, Wh and a fraction */
	size_t max_iter;
	bool warm;                /* start from every flexible Worker's last plan (coord_plan), not from its plan alone:
	                             a child hive answering its parent's next signal; cost_alone and cost_pooled are 0 */
	double *dual;             /* NULL, or T values in and out: the scaled dual u to start from (with rho > 0), and
	                             the last round's on return; a receding horizon carries it over, shifted a slot */
};

struct coord_result {
	size_t iterations;        /* Queen's rounds */
	bool converged;
	double rho, r, s, r_tol, s_tol;
	double cost_alone;        /* Σ_i (φ_i + Σ_t f_t(x_i,t)) of the plans alone: every Worker on its own */
	double cost_pooled;       /* Σ_i φ_i + g(Σ_i x_i) of the plans alone, pooled behind one meter */
	double cost_coordinated;  /* Σ_i φ_i + g(Σ_i x_i) of the coordinated plans (g without its limits) */
	double limit_excess;      /* Wh per slot by which the coordinated aggregate exceeds a coupling limit */
};

/*
 * Runs the coordination of n Workers over g's slots (buy and sell also price
 * each Worker alone). Returns HIVE_OK, or an error with *why (a Worker's
 * problem failed: its index in *failed).
 */
int coord_run(struct coord_worker *w, size_t n, const struct sharing_cost *g, const struct coord_options *o,
              struct coord_result *res, size_t *failed, const char **why);

/* A flexible Worker's plan after coord_run: its coordinated plan, or its plan alone when it never stepped; NULL when inflexible. */
const struct lqp_plan *coord_plan(const struct coord_worker *w);

/* The tariff cost Σ_t f_t(x_t) of one plan (g's prices, no limits, no peak). */
double coord_tariff_cost(const struct sharing_cost *g, const double *x);

#endif
