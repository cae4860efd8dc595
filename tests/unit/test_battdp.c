/*
 * test_battdp.c — the dynamic programme for one battery's ADMM step
 * (lib/battdp) against the structured interior point (lib/battqp, itself
 * checked against CLP in test_battqp, whose steps now go through battdp
 * first) on 12,000 random problems of 1 to 96 slots: lossy and lossless
 * batteries, cycle costs or none, slots where it cannot charge or
 * discharge, goals, a final state, import and export limits, ρ from 0.01
 * to 10. Every plan it gives keeps every constraint and costs no more than
 * the interior point's (to 1e-9 relative: that one stops at its tolerance),
 * its net is the interior point's, and it declines at most 1 % (each a
 * fallback to the interior point). Its optimum and prices, taken over by
 * battqp (battqp_adopt), are at once the warm path's optimum, and lead it
 * to the next step's. Then by hand: a full battery pulled up, which only
 * burning energy in its losses answers, and steps whose answer is known.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "battdp.h"
#include "battqp.h"
#include "check.h"

#define MAX_T 96

struct problem {
	struct battqp_problem bp;
	double cmax[MAX_T], dmax[MAX_T], smin[MAX_T], smax[MAX_T], L[MAX_T], v[MAX_T];
	double rho;
};

/* A value for the random problems: a real one, or (whole) a whole number, where ties are exact. */
static double value(bool whole, double lo, double hi)
{
	double x = check_uniform(lo, hi);
	return whole ? round(x) : x;
}

static void random_problem(struct problem *q, size_t T)
{
	bool whole = check_between(0, 3) == 0, lossless = check_between(0, 4) == 0;
	double cap = value(whole, 1000, 15000), power = value(whole, 250, 1250); /* Wh, Wh a slot */
	for (size_t t = 0; t < T; t++) {
		q->cmax[t] = check_between(0, 9) == 0 ? 0 : power;
		q->dmax[t] = check_between(0, 19) == 0 ? 0 : whole ? power : power * check_uniform(0.5, 1);
		q->smin[t] = whole ? round(0.1 * cap) : 0.1 * cap;
		q->smax[t] = cap;
		q->L[t] = value(whole, -800, 1200);
		/* the signal at the uncontrolled net now and then: ties with no cycle cost */
		q->v[t] = check_between(0, 9) == 0 ? q->L[t] : q->L[t] + value(whole, -1500, 1500);
	}
	/* a goal or two: the state at least so much by a slot; now and then a state pinned mid-horizon */
	for (int g = (int)check_between(0, 2); g > 0; g--) {
		size_t at = (size_t)check_between(0, (int64_t)T - 1);
		q->smin[at] = value(whole, 0.1 * cap, 0.9 * cap);
	}
	if (check_between(0, 4) == 0) {
		size_t at = (size_t)check_between(0, (int64_t)T - 1);
		q->smin[at] = q->smax[at] = value(whole, 0.1 * cap, cap);
	}
	if (check_between(0, 2) == 0)
		q->smin[T - 1] = q->smax[T - 1] = check_uniform(0.2, 0.8) * cap; /* a final state */
	q->bp = (struct battqp_problem){
		.slots = T,
		.charge_eff = lossless ? 1 : check_uniform(0.85, 1),
		.discharge_eff = lossless ? 1 : check_uniform(0.85, 1),
		.soc0 = check_uniform(0.1, 1) * cap,
		.charge_max = q->cmax,
		.discharge_max = q->dmax,
		.soc_min = q->smin,
		.soc_max = q->smax,
		.net_min = check_between(0, 2) == 0 ? -check_uniform(200, 1500) : -INFINITY,
		.net_max = check_between(0, 2) == 0 ? check_uniform(600, 2500) : INFINITY,
		.base = q->L,
		.cycle_cost = check_between(0, 3) == 0 ? 0 : check_uniform(0.5, 60),
	};
	q->rho = exp(check_uniform(log(1e-4), log(1e4)));
}

static double objective(const struct problem *q, const double *c, const double *d)
{
	double f = 0;
	for (size_t t = 0; t < q->bp.slots; t++) {
		double x = q->L[t] + c[t] - d[t];
		f += q->bp.cycle_cost * (c[t] + d[t]) + q->rho / 2 * (x - q->v[t]) * (x - q->v[t]);
	}
	return f;
}

/* The worst a plan breaks a constraint by, in Wh. */
static double violation(const struct problem *q, const double *c, const double *d, const double *soc)
{
	const struct battqp_problem *p = &q->bp;
	double worst = 0, state = p->soc0;
	for (size_t t = 0; t < p->slots; t++) {
		double x = q->L[t] + c[t] - d[t];
		state += p->charge_eff * c[t] - d[t] / p->discharge_eff;
		worst = fmax(worst, fabs(state - soc[t]));
		worst = fmax(worst, fmax(-c[t], c[t] - q->cmax[t]));
		worst = fmax(worst, fmax(-d[t], d[t] - q->dmax[t]));
		worst = fmax(worst, fmax(q->smin[t] - soc[t], soc[t] - q->smax[t]));
		worst = fmax(worst, fmax(p->net_min - x, x - p->net_max));
	}
	return worst;
}

static int agreed, declined, declined_burning, both_infeasible;
static double worst_rel, worst_net, worst_viol;

static void compare(const struct problem *q)
{
	size_t T = q->bp.slots;
	double c[MAX_T], d[MAX_T], s[MAX_T], c2[MAX_T], d2[MAX_T], s2[MAX_T];
	struct battqp *w = battqp_new(T);
	int ref = battqp_solve(w, &q->bp, q->rho, q->v, false, c2, d2, s2);
	battqp_free(w);
	int got = battdp_solve(&q->bp, q->rho, q->v, c, d, s);
	if (ref != 0) {
		/* the interior point failed: the constraints cannot hold, or it did not converge */
		both_infeasible += got != 0;
		if (got == 0)
			CHECK(violation(q, c, d, s) <= 1e-6 * fmax(1, q->bp.soc0));
		return;
	}
	if (got != 0) {
		declined++;
		int burn = 0;
		for (size_t t = 0; t < T; t++)
			burn += c2[t] > 1e-3 && d2[t] > 1e-3;
		declined_burning += burn > 0;
		return;
	}
	agreed++;
	double f = objective(q, c, d), f2 = objective(q, c2, d2), rel = (f - f2) / fmax(1, fabs(f2));
	worst_rel = fmax(worst_rel, rel);
	worst_viol = fmax(worst_viol, violation(q, c, d, s));
	CHECK(violation(q, c, d, s) <= 1e-6 * fmax(1, q->smax[0]));
	CHECK(rel <= 1e-9);
	/* the step's net is unique (ρ/2·‖x − v‖² is strictly convex in it): the same, to the interior point's tolerance */
	for (size_t t = 0; t < T; t++) {
		double dx = fabs((c[t] - d[t]) - (c2[t] - d2[t]));
		worst_net = fmax(worst_net, dx);
		CHECK(dx <= 1e-5 + 1e-8 * q->smax[0]);
	}
}

static void random_problems(void)
{
	for (int k = 0; k < 12000; k++) {
		struct problem q;
		random_problem(&q, (size_t)check_between(1, MAX_T));
		compare(&q);
	}
	printf("battdp: %d agreed, %d declined (%d of them burning in the interior point's plan), %d not solved by either; worst cost %.3g relative above, "
	       "net %.3g Wh apart, constraint %.3g Wh\n",
	       agreed, declined, declined_burning, both_infeasible, worst_rel, worst_net, worst_viol);
	CHECK(agreed > 6000);
	CHECK(declined * 100 <= agreed); /* a decline costs an interior point: rare, or something is wrong */
}

/*
 * battdp's optimum and prices warm battqp: taken over (battqp_adopt), the
 * same step is the warm path's optimum with no correction, and the next
 * step (the signal moved, as in ADMM) is what battqp finds cold.
 */
static int warm_taken, warm_same, warm_next;

static void warms_battqp(const struct problem *q)
{
	size_t T = q->bp.slots;
	double c[MAX_T], d[MAX_T], s[MAX_T], price[MAX_T], c2[MAX_T], d2[MAX_T], s2[MAX_T];
	if (battdp_solve_priced(&q->bp, q->rho, q->v, c, d, s, price) != 0)
		return;
	for (size_t t = 0; t < T; t++)
		CHECK(isfinite(price[t]));
	struct battqp *w = battqp_new(T), *cold = battqp_new(T);
	battqp_adopt(w, &q->bp, q->rho, q->v, c, d, s, price);
	warm_taken++;
	if (battqp_solve_active(w, &q->bp, q->rho, q->v, 0, c2, d2, s2) == 0) {
		warm_same++;
		for (size_t t = 0; t < T; t++)
			CHECK(fabs((c[t] - d[t]) - (c2[t] - d2[t])) <= 1e-5 + 1e-8 * q->smax[0]);
	}
	double v2[MAX_T];
	for (size_t t = 0; t < T; t++)
		v2[t] = q->v[t] + check_uniform(-30, 30);
	if (battqp_solve_active(w, &q->bp, q->rho, v2, 16, c, d, s) == 0 &&
	    battqp_solve(cold, &q->bp, q->rho, v2, false, c2, d2, s2) == 0) {
		warm_next++;
		for (size_t t = 0; t < T; t++)
			CHECK(fabs((c[t] - d[t]) - (c2[t] - d2[t])) <= 1e-5 + 1e-8 * q->smax[0]);
	}
	battqp_free(w);
	battqp_free(cold);
}

static void warm_starts(void)
{
	for (int k = 0; k < 2000; k++) {
		struct problem q;
		random_problem(&q, (size_t)check_between(1, MAX_T));
		warms_battqp(&q);
	}
	printf("battdp: %d optima taken over by battqp: %d its warm path's optimum at once, %d led it to the next step's\n",
	       warm_taken, warm_same, warm_next);
	CHECK(warm_same * 100 >= warm_taken * 99);
	CHECK(warm_next * 10 >= warm_taken * 8);
}

/*
 * A lossy battery, full, no cycle cost, pulled up hard: only burning energy
 * in its losses brings the net up, and it burns as much as the charging
 * power allows (c = 1000, d = 810: the state kept, the net up by 190).
 * With a cycle cost that outweighs the pull it does not.
 */
static void burning(void)
{
	double cmax[2] = { 1000, 1000 }, dmax[2] = { 1000, 1000 }, smin[2] = { 0, 0 }, smax[2] = { 5000, 5000 };
	double L[2] = { 0, 0 }, v[2] = { 800, 800 }, c[2], d[2], s[2];
	struct battqp_problem bp = { .slots = 2, .charge_eff = 0.9, .discharge_eff = 0.9, .soc0 = 5000,
		                     .charge_max = cmax, .discharge_max = dmax, .soc_min = smin, .soc_max = smax,
		                     .net_min = -INFINITY, .net_max = INFINITY, .base = L, .cycle_cost = 0 };
	CHECK(battdp_solve(&bp, 1, v, c, d, s) == 0);
	for (int t = 0; t < 2; t++)
		CHECK(fabs(c[t] - 1000) < 1e-9 && fabs(d[t] - 810) < 1e-9 && fabs(s[t] - 5000) < 1e-9);
	bp.cycle_cost = 1000;
	CHECK(battdp_solve(&bp, 1, v, c, d, s) == 0);
	CHECK(c[0] == 0 && d[0] == 0 && c[1] == 0 && d[1] == 0);
}

/*
 * Known answers. One slot, lossless, no cost: the net goes to v within the
 * power. Two slots, 500 Wh to move from one to the other at ρ = 1, lossless:
 * the nets meet halfway.
 */
static void known_answers(void)
{
	double cmax[2] = { 1000, 1000 }, dmax[2] = { 1000, 1000 }, smin[2] = { 0, 0 }, smax[2] = { 5000, 5000 };
	double L[2] = { 0, 0 }, v[2] = { 300, -2000 }, c[2], d[2], s[2];
	struct battqp_problem bp = { .slots = 1, .charge_eff = 1, .discharge_eff = 1, .soc0 = 2000,
		                     .charge_max = cmax, .discharge_max = dmax, .soc_min = smin, .soc_max = smax,
		                     .net_min = -INFINITY, .net_max = INFINITY, .base = L, .cycle_cost = 0 };
	CHECK(battdp_solve(&bp, 1, v, c, d, s) == 0);
	CHECK(fabs(c[0] - 300) < 1e-9 && d[0] == 0 && fabs(s[0] - 2300) < 1e-9);
	bp.slots = 2;
	CHECK(battdp_solve(&bp, 1, v, c, d, s) == 0);
	CHECK(fabs(c[0] - 300) < 1e-9 && fabs(d[1] - 1000) < 1e-9); /* the discharge power binds */
	/* the final state pinned to the first: what is charged is discharged, nets at ±(300+500)/2 = ... */
	smin[1] = smax[1] = 2000;
	v[0] = 0;
	v[1] = -500;
	CHECK(battdp_solve(&bp, 1, v, c, d, s) == 0);
	CHECK(fabs(c[0] - 250) < 1e-9 && fabs(d[1] - 250) < 1e-9 && fabs(s[1] - 2000) < 1e-9);
	/* bounds that cannot hold: declined */
	smin[1] = smax[1] = 4500; /* 2000 + two slots of 1000 at most */
	CHECK(battdp_solve(&bp, 1, v, c, d, s) == -1);
}

/*
 * Edges a review found (each failed before it was mended): one state left
 * by a restriction mid-horizon, a battery of no capacity, the top of the
 * jump where burning starts, several breakpoints at that price, an exact
 * plan at a huge ρ, the net held at its limit with charge and discharge
 * held too. Each either declined, or a plan that keeps every bound and is
 * the interior point's, and that warms battqp's path at once.
 */
struct edge {
	size_t T;
	double ec, ed, soc0, net_min, net_max, cost, rho;
	double C[7], D[7], lo[7], hi[7], L[7], v[7];
};

static int edges_at_once;

static void edge_case(const struct edge *e)
{
	struct problem q = { .rho = e->rho };
	memcpy(q.cmax, e->C, sizeof e->C);
	memcpy(q.dmax, e->D, sizeof e->D);
	memcpy(q.smin, e->lo, sizeof e->lo);
	memcpy(q.smax, e->hi, sizeof e->hi);
	memcpy(q.L, e->L, sizeof e->L);
	memcpy(q.v, e->v, sizeof e->v);
	q.bp = (struct battqp_problem){ .slots = e->T, .charge_eff = e->ec, .discharge_eff = e->ed, .soc0 = e->soc0,
		                        .charge_max = q.cmax, .discharge_max = q.dmax, .soc_min = q.smin, .soc_max = q.smax,
		                        .net_min = e->net_min, .net_max = e->net_max, .base = q.L, .cycle_cost = e->cost };
	double c[MAX_T], d[MAX_T], s[MAX_T], price[MAX_T], c2[MAX_T], d2[MAX_T], s2[MAX_T];
	struct battqp *w = battqp_new(e->T), *cold = battqp_new(e->T);
	int got = battdp_solve_priced(&q.bp, q.rho, q.v, c, d, s, price);
	int ref = battqp_solve(cold, &q.bp, q.rho, q.v, false, c2, d2, s2);
	CHECK(got != 0 || ref == 0); /* nothing the interior point cannot solve */
	if (got == 0) {
		CHECK(violation(&q, c, d, s) <= 1e-9 * (1 + q.smax[0]));
		for (size_t t = 0; t < e->T; t++)
			CHECK(fabs((c[t] - d[t]) - (c2[t] - d2[t])) <= 1e-5 * (1 + q.smax[0]));
		/* taken over, the warm path finds the same step (at once but in two degenerate cases: a battery of
		   no capacity, a lossless one with no cost whose price is any above a bound) */
		battqp_adopt(w, &q.bp, q.rho, q.v, c, d, s, price);
		edges_at_once += battqp_solve_active(w, &q.bp, q.rho, q.v, 0, c2, d2, s2) == 0;
		battqp_adopt(w, &q.bp, q.rho, q.v, c, d, s, price);
		CHECK(battqp_solve_active(w, &q.bp, q.rho, q.v, 16, c2, d2, s2) == 0);
		for (size_t t = 0; t < e->T; t++)
			CHECK(fabs((c[t] - d[t]) - (c2[t] - d2[t])) <= 1e-5 * (1 + q.smax[0]));
	}
	battqp_free(w);
	battqp_free(cold);
}

static void edges(void)
{
	static const struct edge cases[] = {
		{ 2, 1, 1, 0, -INFINITY, INFINITY, 1, 0.1, { 10, 0 }, { 5, 3 }, { 0, 2 }, { 2, 2 }, { 7, 6 }, { 16, -4 } },
		{ 3, 1, 0.8, 0, -INFINITY, 8, 1, 1, { 4, 4, 4 }, { 2, 4, 7 }, { 0, 0, 0 }, { 0, 0, 0 }, { 8, -6, -7 },
		  { 23, -2, -21 } },
		{ 2, 0.93298156841365576, 0.52164337972642638, 8.3503125726941256, -INFINITY, INFINITY, 1.2751804651102279,
		  1.7669582647081896, { 2.0771732407177943, 2.0771732407177943 }, { 4.3217137712214884, 2.0771732407177943 },
		  { 0, 8.6476129992890431 }, { 10.585793574637279, 8.6476129992890431 },
		  { -8.1745273953341684, 7.4940102674020395 }, { -6.1033346694839654, 11.282345952689148 } },
		{ 7, 0.5, 0.5, 11, -INFINITY, 10, 0, 1e6, { 9, 9, 9, 9, 9, 9, 9 }, { 5, 0, 9, 8, 9, 0, 9 }, { 0 },
		  { 16, 16, 16, 16, 16, 0, 16 }, { -1, 9, -9, 2, 1, 6, 2 }, { -1, 3, 2, 14, 1, 6, 22 } },
		{ 1, 0.5, 0.5, 10, -INFINITY, 1, 0, 1e6, { 8 }, { 8 }, { 11 }, { 11 }, { -8 }, { -5 } },
		{ 1, 1, 1, 7, -INFINITY, 0, 0, 1, { 10 }, { 10 }, { 0 }, { 10 }, { 0 }, { 15 } },
		{ 1, 1, 1, 4, -INFINITY, INFINITY, 0, 1, { 10 }, { 0 }, { 1 }, { 4 }, { 5 }, { 16 } },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		edge_case(&cases[i]);
	CHECK(edges_at_once >= 5);
}

int main(void)
{
	battdp_hold();
	known_answers();
	burning();
	edges();
	random_problems();
	warm_starts();
	battdp_let_go();
	return check_done("battdp");
}
