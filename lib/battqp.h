/*
 * battqp.h — the ADMM step of a Worker whose only asset is one battery
 * (localqp.h), solved by a structured method instead of a general QP
 * solver: the step is called hundreds of times per Worker and coordination,
 * and its structure (one state chained slot to slot) makes each Newton
 * system a banded one, solved in O(T).
 *
 * The problem, per slot t of T (all energies in Wh per slot):
 *
 *   minimise  Σ_t cost·(c_t + d_t) + ρ/2·(x_t − v_t)²
 *   subject to  x_t = L_t + c_t − d_t,       net_min ≤ x_t ≤ net_max,
 *               s_t = s_{t−1} + η_c·c_t − d_t/η_d,  s_{−1} = soc0,
 *               0 ≤ c_t ≤ charge_max_t,  0 ≤ d_t ≤ discharge_max_t,
 *               soc_min_t ≤ s_t ≤ soc_max_t.
 *
 * The method: a primal–dual interior-point method (Mehrotra's predictor and
 * corrector) on the variables c, d, s, x and the two chains of equations
 * (the state's and the net's). With x kept as a variable every bound is a
 * simple bound, so the Hessian plus the barrier's terms is diagonal, and
 * the normal equations A·H⁻¹·Aᵀ are a band: each slot's net equation
 * touches only its state equation, and each state equation only its
 * neighbours'. Eliminating the net equations leaves a tridiagonal system,
 * so each Newton system is factored and solved in O(T), about a dozen of
 * them per step (fewer from a warm start).
 *
 * Near the optimum the iterate is polished: the bounds it is nearly on
 * held, the rest of the problem is equations only, solved exactly; when
 * that point keeps every bound and its multipliers have the right signs it
 * is the optimum to rounding (as a simplex method's vertex is), and it is
 * what is returned; otherwise the iterations go on to tight tolerances.
 * A warm start first tries the last solution's active bounds on the new
 * problem, solved the same way on a compact copy of the problem (two
 * sweeps over the slots a Newton step), with up to ACTIVE_SET_STEPS
 * primal–dual active-set corrections: ADMM's next step mostly keeps them,
 * and then the answer comes without an interior-point iteration (29,773
 * of 32,000 steps of a 1,000-Worker coordination to a proven 0.5 %, 1,000
 * of the rest its cold first steps); when they do not lead to the
 * optimum, the interior point starts from the last solution as before.
 * The caller judges the answer anyway (localqp.c cleans it and checks every
 * constraint) and falls back to CLP when it falls short.
 *
 * Memory: each problem keeps only what a warm start needs (about 0.1 KB a
 * slot); the iterate and its factors (about 0.9 KB a slot) live in one
 * workspace per thread, shared by that thread's problems and freed with
 * the last of them. A problem is made, solved and freed in one thread.
 * For a hive of 1,000 Workers this took the process from 190 to 115 MB.
 */
#ifndef HIVE_BATTQP_H
#define HIVE_BATTQP_H

#include <stdbool.h>
#include <stddef.h>

struct battqp_problem {
	size_t slots;
	double charge_eff, discharge_eff;  /* η_c, η_d in (0, 1] */
	double soc0;                       /* the state before the first slot */
	const double *charge_max;          /* per slot: power times hours, and X_t for a "solar" source */
	const double *discharge_max;       /* per slot */
	const double *soc_min, *soc_max;   /* per slot: soc bounds, raised by goals and the final state */
	double net_min, net_max;           /* the Worker's limits on x_t: −INFINITY, INFINITY when none */
	const double *base;                /* L_t: the uncontrolled net */
	double cycle_cost;                 /* per Wh of charge plus discharge, ≥ 0 */
	double scale;                      /* battqp_scale(p), kept by a caller that solves p again and
	                                      again; 0: worked out at every solve */
};

/* The problem's scale of energy (Wh), which the solver divides by: its largest finite energy (bounds, base, initial state), at least 1. */
double battqp_scale(const struct battqp_problem *p);

struct battqp;

/* A problem of up to slots slots (its memory; the thread's workspace grows to them). */
struct battqp *battqp_new(size_t slots);
void battqp_free(struct battqp *w);

/*
 * Solves the step for rho > 0 and v (T values): writes charge, discharge
 * and soc (T values each). warm: start from the last solution in w, for
 * the same problem with another ρ and v (ADMM's next step): about half the
 * iterations; a cold start when there is none, or the warm one does not
 * converge. Returns 0, or −1 when the method did not reach its tolerances
 * within its iterations (or the bounds cross): the caller then solves the
 * step otherwise.
 */
int battqp_solve(struct battqp *w, const struct battqp_problem *p, double rho, const double *v, bool warm,
                 double *charge, double *discharge, double *soc);

/*
 * Only the warm path of battqp_solve, with up to steps active-set
 * corrections: the last solution's active bounds on this step. −1 when
 * there is no polished last solution or they do not lead to the optimum
 * (w unchanged), with no interior point: another solver takes the step.
 */
int battqp_solve_active(struct battqp *w, const struct battqp_problem *p, double rho, const double *v, int steps,
                        double *charge, double *discharge, double *soc);

/*
 * Takes another solver's optimum of the step of p at rho and v as the last
 * solution: its values, the bounds it lies on as the next warm start's
 * active set, and the equations' multipliers from price (T values: of a
 * Wh of state after each slot, as battdp_solve_priced gives them). The
 * bounds' multipliers of an earlier interior point are dropped.
 */
void battqp_adopt(struct battqp *w, const struct battqp_problem *p, double rho, const double *v, const double *charge,
                  const double *discharge, const double *soc, const double *price);

/* The interior-point iterations the last solve took (the cold start's, when a warm one was given up). */
int battqp_iterations(const struct battqp *w);

/* Whether the last solve was a warm one that found the optimum's active bounds without the interior point. */
bool battqp_kept_active_set(const struct battqp *w);

#endif
