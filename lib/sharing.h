/*
 * sharing.h — the Queen's step of ADMM for the sharing problem (Boyd et
 * al. 2011, §7.3), for the hive's cost at the point of common coupling
 * (whitepaper §4.3, eq. 4): the first piece of the coordination of issue 7.
 *
 * The hive of N Workers minimises Σ_i f_i(x_i) + g(Σ_i x_i), where x_i is
 * Worker i's net energy per slot (Wh, import positive) and g the hive's
 * cost of the aggregate E_t = Σ_i x_i,t:
 *
 *   g(E) = Σ_t f_t(E_t) + c_peak · max(0, max_t E_t) + w/2 · ‖E − target‖²
 *   f_t(E) = p_buy,t · E when E ≥ 0, p_sell,t · E otherwise (p_buy ≥ p_sell),
 *            and +∞ outside [−export_max, import_max] when limits are set.
 *
 * In scaled form, with x̄ the Workers' mean plan and u the scaled dual,
 * the Queen's z-update is
 *
 *   z̄ = argmin_z  g(N z) + (N ρ / 2) ‖z − (x̄ + u)‖²
 *
 * which this module solves exactly: per slot in closed form (the
 * unconstrained minimiser of the two linear pieces, projected on the
 * limits; a target's quadratic merges with the proximal one), and with a peak charge by finding the exact cap P on N z: the
 * slots above it are cut to it, where the marginal saving of the slots cut
 * meets the charge (a piecewise linear equation in P, solved from the
 * sorted breakpoints, not by iteration); never below a peak already reached
 * (peak_floor), since the charge is the same up to it.
 *
 * Plans are energies, not money: doubles. Prices are per Wh (any currency
 * unit, the same for both). Nothing is allocated but scratch (freed).
 */
#ifndef HIVE_SHARING_H
#define HIVE_SHARING_H

#include <stdbool.h>
#include <stddef.h>

struct sharing_cost {
	size_t slots;               /* T */
	const double *buy, *sell;   /* per slot, buy ≥ sell (per Wh) */
	bool limited;               /* import_max and export_max apply */
	double import_max;          /* Wh per slot the coupling point may take, ≥ 0 */
	double export_max;          /* Wh per slot it may feed in, ≥ 0 */
	double peak_price;          /* per Wh of the highest slot's import over the horizon (0: none) */
	const double *target;       /* with target_weight > 0: T values the aggregate is drawn to, */
	double target_weight;       /* g adds target_weight/2 · ‖E − target‖² (per Wh²): a child hive (hierarchy) in
	                               its parent's ADMM step, where the parent's proximal term is the cost */
	double peak_floor;          /* Wh per slot the peak already reached before the horizon (receding horizon):
	                               g charges c_peak · max(peak_floor, max_t E_t), so slots up to it cost no more */
};

/*
 * A hive's point of common coupling as its tools are given it: limits in W
 * (with limited) and a peak charge per kW of the horizon's highest slot.
 */
struct coupling {
	bool limited;
	double import_max_w, export_max_w;
	double peak_price_per_kw;
};

/* Limits that never bind, for a coupling point given one of them. */
#define COUPLING_OPEN { .import_max_w = 1e15, .export_max_w = 1e15 }

/*
 * The hive's cost g over slots of step_s seconds at the coupling point c,
 * the slots' prices per Wh buy and sell (kept, not copied): the limits in
 * Wh per slot, the peak charge per Wh.
 */
struct sharing_cost sharing_cost_at(const struct coupling *c, size_t slots, int step_s, const double *buy,
                                    const double *sell);

/*
 * z[t] for t < slots: the z-update above for N Workers and penalty rho > 0,
 * from a[t] = x̄[t] + u[t]. Returns 0, or -1 when the cost is malformed (a
 * slot with buy < sell, negative limits or peak price, N or rho not > 0).
 */
int sharing_z_update(const struct sharing_cost *g, size_t workers, double rho, const double *a, double *z);

/* The hive's cost g(E) of an aggregate E (INFINITY beyond the limits). */
double sharing_cost_of(const struct sharing_cost *g, const double *aggregate);

/*
 * One round of the Queen (scaled sharing ADMM): from the Workers' plans
 * x[i·T + t] of this iteration, x̄ = their mean, the z-update, and
 * u ← u + x̄ − z̄. What goes back to every Worker is one vector,
 * signal[t] = x̄[t] − z̄[t] + u[t]: Worker i's next plan minimises its own
 * cost + ρ/2‖x_i − (x_i − signal)‖², so no Worker learns another's plan.
 *
 * Residuals (Boyd et al. §3.3, for the sharing form): the primal
 * r = √N·‖x̄ − z̄‖ and the dual s = ρ·‖(x_i − x̄ + z̄) − (their values a
 * round before)‖ over all i and t; converged when r ≤ √(NT)·ε_abs +
 * ε_rel·max(‖x‖, √N‖z̄‖) and s ≤ √(NT)·ε_abs + ε_rel·ρ·√N‖u‖.
 */
struct sharing_state {
	size_t workers, slots;
	double rho;
	double *u;          /* the scaled dual, per slot */
	double *zbar;       /* the last z-update */
	double *zi;         /* x_i − x̄ + z̄ of the last round, per Worker and slot (for the dual residual) */
	bool first;         /* no round yet */
	double r, s;        /* the last round's residuals */
	double r_tol, s_tol;
};

void sharing_init(struct sharing_state *st, size_t workers, size_t slots, double rho);
void sharing_free(struct sharing_state *st);

/*
 * One round from the plans x (workers × slots); writes the signal (slots).
 * Returns 1 when converged to eps_abs and eps_rel, 0 when not, -1 for a
 * malformed cost (as sharing_z_update).
 */
int sharing_round(struct sharing_state *st, const struct sharing_cost *g, const double *x, double eps_abs,
                  double eps_rel, double *signal);

/*
 * The penalty ρ to start from, when none is given: a quarter of the
 * tariff's mean spread buy − sell per Wh over the mean size of a Worker's
 * plan in a slot (at least 1 Wh), from the n Workers' first plans (T =
 * g->slots values each). The quarter was measured: on random hives it
 * needed about half the iterations that the spread over the size alone
 * needed, and ρ stays the same for the round.
 */
double sharing_initial_rho(const struct sharing_cost *g, const double *const *plans, size_t n);

/*
 * A lower bound on the hive's optimum, from prices y per Wh (Lagrangian
 * relaxation of E = Σ_i x_i): Σ_i min over x_i of (f_i(x_i) + y·x_i), each
 * Worker's plan alone at y, plus sharing_dual_term(g, y). Any y gives one;
 * the Queen's y = ρ·u tends to the optimal prices.
 *
 * sharing_bound_prices writes y from the scaled dual u: ρ·u, kept within
 * [sell_t, buy_t] when g has no limits (outside, the hive's term is −∞).
 * sharing_dual_term is Σ_t of the least of f_t(E) − y_t·E over the E the
 * limits allow (0 without them, y being within the prices). Not for a g
 * with a peak charge or a target (sharing_bounded says whether g is one
 * they serve).
 */
bool sharing_bounded(const struct sharing_cost *g);
void sharing_bound_prices(const struct sharing_cost *g, double rho, const double *u, double *y);
double sharing_dual_term(const struct sharing_cost *g, const double *y);

/*
 * How far a cost is proven from the optimum, which is at least bound:
 * (cost − bound) over the least magnitude the optimum can have; 0 when the
 * cost is not above the bound (plans that meet the limits only to the
 * residuals' tolerance, or are rounded, can cost a little less than the
 * optimum); INFINITY when nothing is proven (either not finite, or the two
 * of different signs or 0, where the optimum may be 0).
 */
double sharing_proven_gap(double cost, double bound);

/*
 * g with its limits widened by excess Wh a slot: the cost of plans whose
 * aggregate meets the limits only to the residuals' tolerance (ADMM meets
 * the coupling no closer), which g itself would price at INFINITY.
 */
struct sharing_cost sharing_widened(const struct sharing_cost *g, double excess);

/* That tolerance after a round: √N·r_tol on the aggregate (|E_t − N·z̄_t| ≤ √N·r when r ≤ r_tol). */
double sharing_aggregate_tolerance(const struct sharing_state *st);
#endif
