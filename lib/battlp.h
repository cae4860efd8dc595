/*
 * battlp.h — the plan alone (localqp.h) of a Worker whose only asset is
 * one battery: its tariff cost plus its cycle cost, minimised exactly by
 * dynamic programming over the state of charge instead of a simplex
 * method. Each Worker plans alone before every coordination and at every
 * slot of a receding horizon; at 96 slots this takes tens of µs where
 * CLP's primal simplex takes about a millisecond (HIVE_BENCH=1
 * build/unit/test_battqp).
 *
 * The problem is battqp.h's, with the ADMM step's ρ/2·(x_t − v_t)²
 * replaced by the tariff's f_t(x_t) = buy_t·x_t for x_t ≥ 0, sell_t·x_t
 * otherwise. With every price ≥ 0 (so buy_t ≥ sell_t ≥ 0) charging and
 * discharging in one slot never pays, and a slot's cost is a convex
 * piecewise-linear function of the state's change δ alone, with at most
 * three pieces. The cost to go from each state is then convex piecewise
 * linear too, and one slot earlier it is the infimal convolution of the
 * two, restricted to the state's bounds: their pieces merged by slope.
 * Walking the merged pieces forward from the first state gives the plan;
 * only where each slot's own pieces lie among them is kept for that walk.
 * The arithmetic is a sum of lengths and products of slopes, so the plan
 * is the optimum to rounding, as a simplex method's vertex is.
 *
 * Outside those conditions (a price below zero; an uncontrolled export
 * above the export limit, which only burning energy in the battery's
 * losses could bring within it) or when the constraints cannot all hold,
 * it declines and the caller solves the LP otherwise.
 */
#ifndef HIVE_BATTLP_H
#define HIVE_BATTLP_H

#include "battqp.h"

/*
 * Plans p's battery alone against buy and sell (T values each, per Wh):
 * writes charge, discharge and soc (T values each). Returns 0, or −1 when
 * it declines (see above) or the constraints cannot all hold. Memory and
 * time: O(T) and O(T·n), n the pieces of a cost to go (at most 3T + 1; 14
 * on average in bench/coord's hives).
 */
int battlp_solve(const struct battqp_problem *p, const double *buy, const double *sell, double *charge,
                 double *discharge, double *soc);

/*
 * The same with the price's kink moved: slot t's net x_t costs
 * buy_t·(x_t − kink_t) above kink_t and sell_t·(x_t − kink_t) below it,
 * plus a constant. A Worker's best answer to the rest of its hive is this
 * plan with kink_t the others' net reversed: the hive then pays buy on
 * what it imports and earns sell on what it exports (coord.h). kink NULL:
 * battlp_solve. Declines also for a kink that is not finite.
 */
int battlp_solve_kinked(const struct battqp_problem *p, const double *buy, const double *sell, const double *kink,
                        double *charge, double *discharge, double *soc);

#endif
