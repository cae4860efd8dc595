/*
 * battdp.h — the ADMM step of a Worker whose only asset is one battery
 * (battqp.h's problem), solved exactly by dynamic programming over the
 * state of charge, as battlp.h solves its plan alone: no iterations, the
 * optimum to rounding.
 *
 * A slot's cost, as a function of the state's change δ alone, is
 *
 *   h_t(δ) = min over c, d of cost·(c + d) + ρ/2·(L_t + c − d − v_t)²,  η_c·c − d/η_d = δ,
 *
 * within the powers and the Worker's limits: convex and piecewise
 * quadratic. Charging and discharging at once (burning energy in the
 * losses) is part of it: it moves the net up without changing the state,
 * or lowers the state without changing the net, and a step can want
 * either. The cost to go from each state is then convex and piecewise
 * quadratic too, and one slot earlier it is the infimal convolution of the
 * two, restricted to the state's bounds. Kept as the inverse of its
 * derivative — for each price p of a Wh of state, the length of the
 * states whose marginal cost is below p — the convolution is a sum: a
 * slot adds at most nine breakpoints in price, where its own inverse
 * derivative, known in closed form, changes slope or jumps. Walking
 * forward from the first state through each slot's merged function gives
 * the price of a Wh of state after it, and the slot's plan is its own
 * optimum at that price.
 *
 * The plan is then checked against the step's bounds and KKT conditions:
 * prices after each slot that make each slot's plan its own optimum and
 * that change only where the state is at a bound. A plan that fails them
 * (rounding at an edge, say) is declined, and the caller solves the step
 * otherwise; of test_battdp's random steps none was.
 */
#ifndef HIVE_BATTDP_H
#define HIVE_BATTDP_H

#include "battqp.h"

/*
 * Solves the step of battqp_solve for rho > 0 and v (T values): writes
 * charge, discharge and soc (T values each). Returns 0, or −1 when it
 * declines (see above) or the constraints cannot all hold. Time O(T·n), n
 * the breakpoints of a merged function (at most 9T + 1; 44 on average in
 * the 1,000-Worker hive of bench/coord, where a step took 146,000
 * instructions, the interior point's warm path and fallbacks 250,000).
 * Its memory is one workspace per thread, grown as needed and kept while a
 * problem of the thread holds it (battdp_hold when made, battdp_let_go
 * when freed: the last lets it go); a thread that never holds it keeps
 * it to its end.
 */
int battdp_solve(const struct battqp_problem *p, double rho, const double *v, double *charge, double *discharge,
                 double *soc);

/*
 * The same, and with price not NULL the prices of a Wh of state after each
 * slot (T values) that certify the plan: multipliers of the state's
 * equations that, with the plan, meet the step's KKT conditions (finite;
 * another solver's warm start can take them).
 */
int battdp_solve_priced(const struct battqp_problem *p, double rho, const double *v, double *charge,
                        double *discharge, double *soc, double *price);

void battdp_hold(void);
void battdp_let_go(void);

#endif
