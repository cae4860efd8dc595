/*
 * localqp.h — a Worker's local problem (whitepaper §4.3, eq. 4): plan its
 * flexible assets (assets.h) over the horizon, either alone against the
 * tariff, or as one step of the hive's sharing ADMM (sharing.h) against the
 * Queen's signal. Solved exactly by COIN-OR CLP: the simplex method for the
 * linear problem alone, its barrier for the quadratic step. A Worker whose
 * only asset is one battery has its step and its plan alone solved by
 * dynamic programming over the battery's state (battdp.h, battlp.h; the
 * step by a structured interior point, battqp.h, when that declines), each
 * plan checked as CLP's is: at 96 slots a median of 15 µs a step after
 * another against CLP's 571 µs, 28 µs a first step against 13.7 ms, and
 * 12 µs a plan alone against 1.6 ms (HIVE_BENCH=1 build/unit/test_battqp,
 * a slow day on the bench machine).
 *
 * The horizon is T slots of step seconds from start. Per slot t (energies
 * in Wh per slot, Δ = step / 3600 h):
 *
 *   L_t   the Worker's uncontrolled net energy (its forecast's net_wh,
 *         import positive);
 *   X_t   its uncontrolled export (the forecast's export_wh, else
 *         max(0, −L_t)): what PV may be curtailed, and the surplus that
 *         "source":"solar" assets may draw on.
 *
 * Variables, all ≥ 0: per battery, charge c_t ≤ charge_w·Δ and discharge
 * d_t ≤ discharge_w·Δ (at the Worker's connection) and its state of charge
 * at the end of slot t, s_t = s_{t−1} + η_c·c_t − d_t/η_d within
 * [soc_min, soc_max]; per deferrable or ev, its energy p_t ≤ power_w times
 * the hours of slot t inside one of its windows, and per window occurrence
 * a total within [energy_min − delivered, energy − delivered] (an
 * occurrence that goes past the horizon's end needs, within the horizon,
 * only what could not be delivered after it: energy_min less power_w times
 * the hours after the end); per pv, curtailment q_t (Σ over pv ≤ X_t);
 * Σ over "solar" assets of c_t and p_t ≤ X_t. The net is
 *
 *   x_t = L_t + Σ (c_t − d_t) + Σ p_t + Σ q_t,  −export_max·Δ ≤ x_t ≤ import_max·Δ.
 *
 * A battery's last state is ≥ soc_final and ≥ each goal at the end of the
 * last slot that ends by the goal's time (goals within the first slot or
 * after the horizon do not bind); both are lowered to what charging at full
 * power from soc_wh could reach, so that a goal too high is charged towards,
 * not a reason to plan nothing.
 *
 * The Worker's own cost φ(x) = Σ cycle_cost·(c + d) + Σ curtail_cost·q
 * − Σ value·p. Alone: minimise φ + Σ_t f_t(x_t) with the tariff's
 * f_t(x) = buy_t·x for x ≥ 0, sell_t·x otherwise. ADMM step: minimise
 * φ + ρ/2·‖x − v‖².
 *
 * What is returned is checked: every bound and equation holds within
 * lqp_tolerance (LQP_FEAS_TOL Wh, relative beyond 10^6 Wh) after the solution is cleaned (values within the
 * tolerance of a bound set on it, states recomputed from the flows), and a
 * plan that does not is an error, never a bid.
 *
 * CLP's QP is written in a unit of energy that keeps its numbers at a
 * household's size (a power of two of Wh above 10^5 Wh, with CLP's
 * tolerance tightened to match): in Wh, a MWh Worker's step stopped short
 * of the optimum or ran on for many minutes.
 */
#ifndef HIVE_LOCALQP_H
#define HIVE_LOCALQP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "assets.h"

#define LQP_FEAS_TOL 1e-6   /* Wh: how far a returned plan may be from a bound */
#define LQP_MAX_SLOTS 2016  /* three weeks of 15-minute slots */

struct lqp;

/* One asset's schedule in a plan: arrays of T values, NULL where unused. */
struct lqp_schedule {
	const struct asset *asset;
	double *charge_wh, *discharge_wh, *soc_wh;  /* battery */
	double *energy_wh;                          /* deferrable, ev: energy drawn; pv: curtailed */
};

struct lqp_plan {
	size_t slots;
	double *net_wh;             /* x_t */
	double own_cost;            /* φ, per-Wh prices × Wh */
	double objective;           /* what was minimised (alone: φ + tariff cost; step: φ + ρ/2‖x − v‖²) */
	size_t nschedules;
	struct lqp_schedule *schedules;
	size_t nvars;
	double *vars;               /* the problem's variables as cleaned, for lqp_violation */
};

/*
 * Builds the Worker's problem. net and export_wh have T values (export_wh
 * may be NULL). Returns HIVE_OK, or HIVE_EINPUT with *why set (a static
 * string, or one in why_buf of why_size bytes naming the asset) when the
 * inputs are out of range or a load's energy does not fit its window, or a
 * goal falls too often in the horizon. Constraints that cannot all hold
 * otherwise (limits that the uncontrolled net breaks with nothing to offset
 * it, …) are found by the solvers: HIVE_ERULE. A problem is made, solved
 * and freed in one thread: its solvers share buffers per thread.
 */
int lqp_new(struct lqp **out, const struct assets *a, int64_t start_ms, int step_s, size_t slots,
            const double *net, const double *export_wh, char *why_buf, size_t why_size, const char **why);
void lqp_free(struct lqp *q);

/* Per-Wh prices for the alone problem (buy ≥ sell per slot). */
int lqp_solve_alone(struct lqp *q, const double *buy, const double *sell, struct lqp_plan *plan, const char **why);

/* One ADMM step: minimise φ + ρ/2‖x − v‖² (rho > 0; v has T values). Warm-started from the last step. */
int lqp_solve_step(struct lqp *q, double rho, const double *v, struct lqp_plan *plan, const char **why);

/*
 * The same, for the coordination's rounds, where every Worker makes a plan
 * a round: plan holds an earlier plan (of any problem) or is all zero, and
 * its memory is kept for this one where it fits; all zero when the solve
 * fails.
 */
int lqp_solve_alone_into(struct lqp *q, const double *buy, const double *sell, struct lqp_plan *plan, const char **why);
int lqp_solve_step_into(struct lqp *q, double rho, const double *v, struct lqp_plan *plan, const char **why);

/*
 * A Worker whose assets are one battery alone has its steps and its plan
 * alone solved by structured solvers (battdp.h or battqp.h, battlp.h),
 * checked as CLP's plans are, CLP solving any they decline or fall short
 * on.
 * lqp_use_structured(q, false) makes every plan CLP's (tests compare the
 * two); lqp_step_was_structured tells which solved the last plan, alone or
 * step.
 */
void lqp_use_structured(struct lqp *q, bool on);
bool lqp_step_was_structured(const struct lqp *q);

/* The largest violation of any constraint by a plan, in Wh (0 when all hold). */
double lqp_violation(const struct lqp *q, const struct lqp_plan *plan);

/* How far a returned plan may be from a bound: LQP_FEAS_TOL, times the problem's largest Wh over 10^6 when above. */
double lqp_tolerance(const struct lqp *q);

void lqp_plan_free(struct lqp_plan *plan);

/* dst (a plan, or all zero) becomes a copy of src, with arrays of its own. */
void lqp_plan_copy(struct lqp_plan *dst, const struct lqp_plan *src);

/*
 * The least of φ + Σ_t f_t(x_t) alone at the prices buy and sell, for a
 * lower bound (coord.h): only the value, by battlp without the plan's
 * cleaning and check for a Worker whose assets are one battery alone (a
 * bound's value rests on the plan being optimal, which no check of its
 * constraints shows), else lqp_solve_alone_into's objective, its plan in
 * scratch (a plan, or all zero).
 */
int lqp_alone_value(struct lqp *q, const double *buy, const double *sell, struct lqp_plan *scratch, double *value,
                    const char **why);

/*
 * φ + Σ_t f_t(o_t + x_t) of a plan: its own cost and what the tariff
 * buy / sell charges on its net beside the others' aggregate o (T values;
 * NULL: 0), the objective of a plan alone and of a best answer.
 */
double lqp_cost_beside(const struct lqp_plan *plan, const double *buy, const double *sell, const double *others);

/*
 * The Worker's best answer to the rest of its hive (coord.h): its plan
 * minimising φ + Σ_t f_t(o_t + x_t), o the others' aggregate net (T
 * values) and f_t the hive's buy_t / sell_t prices on what it imports and
 * exports, into plan as lqp_solve_alone_into; objective is that sum.
 * Solved by battlp for a Worker whose assets are one battery alone, and
 * checked as every plan is; not HIVE_OK for any other Worker, or when
 * battlp declines (the caller keeps the Worker's plan).
 */
int lqp_best_response_into(struct lqp *q, const double *buy, const double *sell, const double *others,
                           struct lqp_plan *plan);

/* φ of one slot t of a plan: its assets' cycle, curtailment and load values in that slot. */
double lqp_slot_own_cost(const struct lqp_plan *plan, size_t t);

/*
 * Commits the plan's first slot to the assets the problem was built from
 * (as, whose assets the problem points into): each battery's soc_wh becomes
 * its state after the slot, and each load's delivered_wh what its
 * occurrence still open at the slot's end has had (0 when none is open).
 * Then as describes the Worker at the next slot; q and its plans still
 * describe the old start, and are to be freed, not solved again.
 */
void lqp_advance(const struct lqp *q, const struct lqp_plan *plan, struct assets *as);

#endif
