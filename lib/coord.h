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
 *
 * With a gap asked for, the rounds also stop when the plans' cost is
 * proven within it of the hive's optimum. The proof is a lower bound at
 * prices y (Lagrangian relaxation of the aggregate): until the plans are
 * near, the Queen's y = ρ·u; then the Workers' consensus, per slot the
 * median over the flexible Workers of the prices ρ·(x_i − v_i) at which
 * each one's last step is its own optimum. On bench/coord's hives, from
 * round 17 on, the consensus bounded 0.04–0.52 % below the optimum where
 * the Queen's prices bounded 0.13–0.89 % below (10,000 Workers: 34 → 20
 * rounds; bench/README.md). At y: every Worker's plan alone at y (buy =
 * sell = y_t) plus, per slot, the least of g_t(E) − y_t·E over the
 * aggregates the limits allow; y is kept within [sell_t, buy_t] when
 * there are no limits (else that least is −∞). Any prices give a bound,
 * and with either the bound proves the plans good long before the
 * residuals do, the plans settling slowly at the slots where the optimum
 * sits at the buy/sell kink (where a limit binds, only as the plans come to meet it:
 * they are priced with the limits widened by the residuals' tolerance on
 * the aggregate, √N·r_tol). Computed in the rounds coord_bound_due
 * names, the best kept; not with a peak charge (then only the residuals
 * stop the rounds).
 *
 * Polishing, asked for by polish, with a gap and without limits at the
 * coupling point: ADMM's plans approach the optimum slowly where it sits
 * at the buy/sell kink, each a little off its best against the hive's
 * true prices. A sweep: every flexible Worker in turn answers the rest of
 * the hive, its plan alone at a tariff with the others' plans fixed
 * (lqp_best_response_into; one battery alone, the others keep theirs),
 * kept when it lowers the hive's cost at that tariff: block coordinate
 * descent. At the true tariff it stops where only several Workers moving
 * at once would gain (1,000 Workers: 0.48 % above the optimum, a second
 * sweep moving nothing), so a polish sweeps from the round's plans at two
 * tariffs drawn towards the bound's prices (a quarter, then half of the
 * spread left), then at g. Only that last sweep's plans count: the
 * cheapest polish's cost counts for the proven gap, and its plans are
 * returned when cheaper than the last round's; ADMM's rounds go on from
 * their own. A polish comes with the first bound once near, then with a
 * new bound that proves the best polished plans within COORD_POLISH_NEAR
 * times the gap, or COORD_POLISH_EVERY rounds after the last; never
 * when the bound already proves the best within the gap. On
 * bench/coord's hives of 1,000 and 10,000 Workers the rounds to a proven
 * 0.5 % fell from 28 and 20 with a true sweep alone to 20 and 18. In one
 * process only: an answer needs the others' aggregate, which a Worker of
 * hive-clear coordinate never sees (whitepaper §4.4.2).
 *
 * Over-relaxation (Boyd et al. §3.4.3), asked for by relax: the Queen's
 * step and the next proximal centres take α·x_i + (1 − α)·z_i for each
 * plan, z_i the Worker's share of the last aggregate. It saved a few per
 * cent of the rounds to the residuals' tolerance, but most of them to a
 * proven gap (bench/README.md). In one process only: a Worker's centre
 * then depends on every signal before it.
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
#define COORD_BOUND_EVERY 2   /* rounds between two lower bounds: each costs every Worker a plan alone, */
#define COORD_BOUND_EARLY 4   /* and until one comes within COORD_BOUND_NEAR times the gap asked for */
#define COORD_BOUND_NEAR 16   /* of its round's plans (the first rounds' prices bound nothing near) */
#define COORD_POLISH_EVERY 6  /* rounds after which the plans are polished again in any case */
#define COORD_POLISH_NEAR (4.0 / 3) /* else only when a new bound proves them within this times the gap */

struct coord_options {
	double rho;               /* 0: chosen from the tariff and the plans */
	double eps_abs, eps_rel;  /* Boyd's stopping rule, Wh and a fraction */
	size_t max_iter;
	double relax;             /* over-relaxation α (Boyd et al. §3.4.3), 0 or 1: none */
	double gap;               /* 0, or stop when the plans' cost is proven within this fraction of the optimum */
	bool polish;              /* polish the plans (above) when a gap is asked for and g has no limits */
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
	bool bounded;             /* a lower bound was computed (a gap asked for, no peak charge) */
	double lower_bound;       /* then the best, on the optimum of Σ_i φ_i + g(Σ_i x_i) with g's limits */
	double proven_gap;        /* (cost − bound) / |the optimum's least possible magnitude|; ∞ when unproven */
	bool by_gap;              /* the rounds stopped because proven_gap ≤ the gap asked for */
	bool polished;            /* the plans returned are a polishing sweep's */
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

/*
 * Whether round k (from 0) prices a lower bound: from round 1, every
 * COORD_BOUND_EARLY rounds, and every COORD_BOUND_EVERY once near: the
 * latest proven gap within COORD_BOUND_NEAR times the one asked for
 * (coord_run: the last round's; the Queen: this iteration's plans against
 * the bounds answered so far). On the hives of bench/coord/run the early
 * bounds were all far below the optimum; skipping them changed no
 * round's stop.
 */
bool coord_bound_due(size_t k, bool near);

/* The tariff cost Σ_t f_t(x_t) of one plan (g's prices, no limits, no peak). */
double coord_tariff_cost(const struct sharing_cost *g, const double *x);

#endif
