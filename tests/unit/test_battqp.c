/*
 * test_battqp.c — the structured solver of one battery's ADMM step
 * (battqp.h, used by lqp_solve_step) against CLP's path on the same
 * problems: random batteries (any horizon to 96 slots, sizes from tens of
 * Wh to MWh, efficiencies, soc bounds, final states, goals, a "solar"
 * source, cycle costs, import and export limits that bind, and some that
 * cannot hold), each step solved both ways: the same verdict, objectives
 * within 1e-6 relative (or 1e-6 absolute near 0), every plan within
 * lqp_tolerance. Cases small enough to work by hand, and warm sequences of
 * steps as ADMM makes them. The plan alone of the same batteries by
 * dynamic programming (battlp.h) against CLP's simplex the same way, under
 * random tariffs (dynamic, or two or three prices by time of day, some
 * sell prices below zero, which it leaves to CLP), and the best answer
 * to the rest of a hive (the price's kink moved) against CLP's plan alone
 * beside the others' net. HIVE_BENCH=1 also times
 * both paths.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "assets.h"
#include "battqp.h"
#include "check.h"
#include "diag.h"
#include "localqp.h"
#include "timeutil.h"

#define MAX_T 96
#define STEP 900
#define PROBLEMS 600
static const int64_t START = 1782000000000; /* 2026-06-21T00:00:00Z */

struct problem {
	char assets[2048];
	size_t T;
	double net[MAX_T], export_wh[MAX_T], v[MAX_T], rho;
	double buy[MAX_T], sell[MAX_T]; /* the tariff of the plan alone */
	int export_limited, sell_below_zero;
};

/* What one path made of a step. */
struct outcome {
	int rc;
	const char *why;
	double objective, violation, tolerance;
	double net[MAX_T];
	int structured;
};

static double worst_rel_diff, worst_net_diff, worst_violation;
static int structured_steps, steps_tried, infeasible_seen, fallbacks, clp_short, warm_steps, warm_structured;

/* Up to three goals, daily or once, some past the horizon or within its first slot. */
static void random_goals(char *out, size_t size, double smin, double smax, size_t T)
{
	int n = (int)check_between(0, 3);
	size_t len = 0;
	out[0] = 0;
	for (int g = 0; g < n; g++) {
		char by[RFC3339_SIZE];
		double at = check_uniform(0, (double)T + 8);
		if (check_next() % 2)
			snprintf(by, sizeof by, "%02d:%02d", (int)(at * STEP / 3600) % 24, (int)(at * STEP / 60) % 60);
		else
			rfc3339_format(by, START + (int64_t)(at * STEP) * 1000);
		len += (size_t)snprintf(out + len, size - len, "%s{\"by\":\"%s\",\"soc_wh\":%.3f}", g ? "," : "", by,
		                        check_uniform(smin, smax));
	}
}

/* A battery (its energies and powers times scale), and the Worker's limits. */
static void random_battery(struct problem *p, double scale)
{
	double cap = check_uniform(500, 20000) * scale, smin = check_uniform(0, 0.3) * cap, smax = check_uniform(0.7, 1) * cap;
	if (check_next() % 20 == 0)
		smin = smax; /* a battery held at one state */
	double soc = check_uniform(smin, smax), fin = check_next() % 3 ? check_uniform(smin, smax) : soc;
	double eta_c = check_next() % 4 ? check_uniform(0.8, 1) : 1, eta_d = check_next() % 4 ? check_uniform(0.8, 1) : 1;
	double cw = check_next() % 30 ? check_uniform(300, 8000) * scale : 0;
	double dw = check_next() % 30 ? check_uniform(300, 8000) * scale : 0;
	int cost = check_next() % 3 ? (int)check_uniform(0, 60000) : 0;
	const char *src = check_next() % 4 == 0 ? "solar" : "any";
	char goals[400];
	random_goals(goals, sizeof goals, smin, smax, p->T);
	char limits[100] = "";
	size_t len = 0;
	if (check_next() % 2) /* limits that often bind: up to 2 kWh a slot */
		len += (size_t)snprintf(limits, sizeof limits, ",\"import_max_w\":%.1f", check_uniform(0, 8000) * scale);
	p->export_limited = check_next() % 2;
	if (p->export_limited)
		snprintf(limits + len, sizeof limits - len, ",\"export_max_w\":%.1f", check_uniform(0, 8000) * scale);
	snprintf(p->assets, sizeof p->assets,
	         "{\"type\":\"assets\"%s}\n"
	         "{\"type\":\"battery\",\"name\":\"b\",\"capacity_wh\":%.3f,\"charge_w\":%.1f,\"discharge_w\":%.1f,"
	         "\"charge_efficiency\":%.4f,\"discharge_efficiency\":%.4f,\"soc_min_wh\":%.3f,\"soc_max_wh\":%.3f,"
	         "\"soc_wh\":%.3f,\"soc_final_wh\":%.3f,\"cycle_cost\":\"%d\",\"source\":\"%s\",\"goals\":[%s]}\n",
	         limits, cap, cw, dw, eta_c, eta_d, smin, smax, soc, fin, cost, src, goals);
}

/*
 * A tariff per Wh (base units, as cycle_cost/1000): dynamic, or of two or three prices by time of day (many
 * equal slopes), sell from 0 to buy; one in eight with some sell prices
 * below zero (the structured plan alone declines those).
 */
static void random_tariff(struct problem *p)
{
	int kind = (int)check_between(0, 2), negative = check_next() % 8 == 0;
	double levels[3] = { check_uniform(0, 400), check_uniform(0, 400), check_uniform(0, 400) };
	double share = check_uniform(0, 1);
	p->sell_below_zero = 0;
	for (size_t t = 0; t < p->T; t++) {
		p->buy[t] = kind == 0 ? check_uniform(0, 400) : levels[(t / 16) % (size_t)(kind + 1)];
		p->sell[t] = check_next() % 10 ? share * p->buy[t] : p->buy[t];
		if (negative && check_next() % 4 == 0) {
			p->sell[t] = -check_uniform(0, 100);
			p->sell_below_zero = 1;
		}
	}
}

/* A household's size mostly; one in five from a tenth of it to a hundred times. */
static void random_problem(struct problem *p, size_t T)
{
	double scale = check_next() % 5 ? 1 : exp(check_uniform(log(0.1), log(100)));
	p->T = T;
	random_battery(p, scale);
	double load_scale = check_next() % 4 ? 600 : 2500, sun_scale = check_next() % 2 ? check_uniform(300, 2000) : 0;
	double phase = check_uniform(0, 96);
	for (size_t t = 0; t < T; t++) {
		double sun = fmax(0, sin(((double)t + phase - 24) * M_PI / 48)) * sun_scale;
		p->net[t] = (check_uniform(20, load_scale) - sun) * scale;
		p->export_wh[t] = check_next() % 8 ? fmax(0, -p->net[t]) : check_uniform(0, 300) * scale;
		p->v[t] = p->net[t] + check_uniform(-1500, 1500) * scale;
	}
	p->rho = exp(check_uniform(log(0.005), log(100)));
	random_tariff(p);
}

/* One step of a problem, or its plan alone, by one path (structured or CLP's). */
static void solve(const struct problem *p, int structured, int alone, struct outcome *o)
{
	struct assets as;
	char why_buf[160];
	const char *why = "";
	memset(o, 0, sizeof *o);
	o->rc = -1;
	if (assets_load_text(&as, "random", p->assets, strlen(p->assets)) != HIVE_OK) {
		printf("not loaded: %s", p->assets);
		CHECK(0);
		return;
	}
	struct lqp *q;
	o->rc = lqp_new(&q, &as, START, STEP, p->T, p->net, p->export_wh, why_buf, sizeof why_buf, &why);
	if (o->rc == HIVE_OK) {
		lqp_use_structured(q, structured);
		struct lqp_plan plan;
		o->rc = alone ? lqp_solve_alone(q, p->buy, p->sell, &plan, &why)
		              : lqp_solve_step(q, p->rho, p->v, &plan, &why);
		o->why = why;
		if (o->rc == HIVE_OK && alone) { /* the bound's value alone: the plan's objective */
			struct lqp_plan scratch = { 0 };
			double value = NAN;
			CHECK_INTEQ(lqp_alone_value(q, p->buy, p->sell, &scratch, &value, &why), HIVE_OK);
			CHECK(fabs(value - plan.objective) <= 1e-9 * fmax(1, fabs(plan.objective)));
			lqp_plan_free(&scratch);
		}
		if (o->rc == HIVE_OK) {
			o->objective = plan.objective;
			o->violation = lqp_violation(q, &plan);
			o->tolerance = lqp_tolerance(q);
			memcpy(o->net, plan.net_wh, p->T * sizeof *o->net);
			o->structured = lqp_step_was_structured(q);
			lqp_plan_free(&plan);
		}
		lqp_free(q);
	}
	assets_free(&as);
}

static int objectives_agree(double a, double b)
{
	return fabs(a - b) <= 1e-6 * fmax(1, fmax(fabs(a), fabs(b)));
}

static void compare_paths(const struct problem *p)
{
	struct outcome s, c;
	solve(p, 1, 0, &s);
	solve(p, 0, 0, &c);
	CHECK(!c.structured);
	if (s.rc == HIVE_OK && c.rc == HIVE_ERULE && !strstr(c.why, "infeasible")) {
		/* CLP's QP stopped short on a problem its LP found feasible (1 in 10⁴ or so): the structured plan
		 * passed the same check, and that is all there is to compare */
		CHECK(s.structured && s.violation <= s.tolerance);
		clp_short++;
		return;
	}
	CHECK_INTEQ(s.rc, c.rc);
	if (s.rc != HIVE_OK || c.rc != HIVE_OK) {
		infeasible_seen += s.rc == HIVE_ERULE && strstr(s.why, "infeasible") && strstr(c.why, "infeasible");
		return;
	}
	steps_tried++;
	structured_steps += s.structured;
	fallbacks += !s.structured;
	CHECK(s.violation <= s.tolerance);
	CHECK(c.violation <= c.tolerance);
	worst_violation = fmax(worst_violation, s.violation);
	worst_rel_diff = fmax(worst_rel_diff, fabs(s.objective - c.objective) / fmax(1, fabs(c.objective)));
	for (size_t t = 0; t < p->T; t++)
		worst_net_diff = fmax(worst_net_diff, fabs(s.net[t] - c.net[t]));
	if (!objectives_agree(s.objective, c.objective))
		printf("T %zu rho %g: structured %.12g (%s), CLP %.12g\n%s", p->T, p->rho, s.objective,
		       s.structured ? "its own" : "CLP's", c.objective, p->assets);
	CHECK(objectives_agree(s.objective, c.objective));
}

/* PROBLEMS random problems (every tenth of MAX_T slots), each compared by compare. */
static void each_random_problem(void (*compare)(const struct problem *))
{
	for (int i = 0; i < PROBLEMS; i++) {
		struct problem p;
		random_problem(&p, i % 10 == 0 ? MAX_T : (size_t)check_between(1, MAX_T));
		compare(&p);
	}
}

static void random_problems(void)
{
	each_random_problem(compare_paths);
	printf("test_battqp: %d steps, %d by the structured solver (%d by CLP after it fell short), %d infeasible, "
	       "%d where CLP's QP stopped short\n",
	       steps_tried, structured_steps, fallbacks, infeasible_seen, clp_short);
	printf("test_battqp: largest relative objective difference %.3g, net difference %.3g Wh, violation %.3g Wh\n",
	       worst_rel_diff, worst_net_diff, worst_violation);
	CHECK(infeasible_seen >= 10);
	CHECK(fallbacks <= steps_tried / 100); /* CLP is the exception, not the rule */
}

static int alone_tried, alone_structured, alone_declined, alone_infeasible;
static double alone_worst_rel_diff;

/*
 * The plan alone both ways: the same verdict and objective, every plan
 * within the tolerance; the structured one whenever every sell price is
 * ≥ 0 and no export limit may force the battery to take an export.
 */
static void compare_alone(const struct problem *p)
{
	struct outcome s, c;
	solve(p, 1, 1, &s);
	solve(p, 0, 1, &c);
	CHECK(!c.structured);
	CHECK_INTEQ(s.rc, c.rc);
	if (s.rc != HIVE_OK || c.rc != HIVE_OK) {
		alone_infeasible += s.rc == HIVE_ERULE && c.rc == HIVE_ERULE;
		return;
	}
	alone_tried++;
	alone_structured += s.structured;
	if (!s.structured) {
		alone_declined++;
		CHECK(p->sell_below_zero || p->export_limited);
	}
	CHECK(s.violation <= s.tolerance);
	alone_worst_rel_diff = fmax(alone_worst_rel_diff, fabs(s.objective - c.objective) / fmax(1, fabs(c.objective)));
	if (!objectives_agree(s.objective, c.objective))
		printf("alone, T %zu: structured %.12g (%s), CLP %.12g\n%s", p->T, s.objective,
		       s.structured ? "its own" : "CLP's", c.objective, p->assets);
	CHECK(objectives_agree(s.objective, c.objective));
}

static void random_alone_problems(void)
{
	each_random_problem(compare_alone);
	printf("test_battqp: %d plans alone, %d by dynamic programming (%d declined to CLP), %d infeasible; "
	       "largest relative objective difference %.3g\n",
	       alone_tried, alone_structured, alone_declined, alone_infeasible, alone_worst_rel_diff);
	CHECK(alone_infeasible >= 10 && alone_structured >= alone_tried * 3 / 4 && alone_declined >= 10);
}

static int br_tried, br_declined, br_limited, br_infeasible;
static double br_worst_rel_diff;

/* The hive's cost of a plan with net x beside the others' aggregate o (lqp_best_response_into's objective). */
static double beside(const struct problem *p, const double *o, const double *x, double own)
{
	double cost = own;
	for (size_t t = 0; t < p->T; t++) {
		double E = o[t] + x[t];
		cost += E >= 0 ? p->buy[t] * E : p->sell[t] * E;
	}
	return cost;
}

/*
 * The best answer to the rest of a hive (lqp_best_response_into, by
 * battlp with the price's kink moved) against CLP. Without import or
 * export limits the answer is the plan alone of the same battery beside
 * an uncontrolled net raised by the others' o: the same objective. With
 * them, the answer keeps them and costs no more beside o than the
 * Worker's plan alone does (CLP's, which keeps them too).
 */
static void compare_best_response(const struct problem *p)
{
	struct problem shifted = *p;
	double o[MAX_T];
	for (size_t t = 0; t < p->T; t++) {
		/* near the battery's reach, often: kinks inside what it can move */
		o[t] = check_next() % 4 ? check_uniform(-3, 3) * fabs(p->net[t]) : check_uniform(-20000, 20000);
		shifted.net[t] = p->net[t] + o[t];
	}
	bool limited = strstr(p->assets, "import_max_w") || strstr(p->assets, "export_max_w");
	struct assets as;
	char why_buf[160];
	const char *why = "";
	CHECK(assets_load_text(&as, "random", p->assets, strlen(p->assets)) == HIVE_OK);
	struct lqp *q;
	if (lqp_new(&q, &as, START, STEP, p->T, p->net, p->export_wh, why_buf, sizeof why_buf, &why) != HIVE_OK) {
		assets_free(&as);
		return;
	}
	struct lqp_plan alone = { 0 }, br = { 0 };
	lqp_use_structured(q, false);
	int rc_alone = lqp_solve_alone_into(q, p->buy, p->sell, &alone, &why);
	lqp_use_structured(q, true);
	int rc = lqp_best_response_into(q, p->buy, p->sell, o, &br);
	if (rc_alone != HIVE_OK) { /* no plan keeps the constraints: neither may the answer */
		br_infeasible++;
		CHECK(rc != HIVE_OK);
	} else if (rc != HIVE_OK) {
		br_declined++;
		CHECK(p->sell_below_zero || p->export_limited);
	} else {
		br_tried++;
		CHECK(lqp_violation(q, &br) <= lqp_tolerance(q));
		CHECK(fabs(br.objective - beside(p, o, br.net_wh, br.own_cost)) <= 1e-9 * fmax(1, fabs(br.objective)));
		double ref = beside(p, o, alone.net_wh, alone.own_cost);
		CHECK(br.objective <= ref + 1e-6 * fmax(1, fabs(ref)));
		if (limited) {
			br_limited++;
		} else {
			struct outcome c;
			solve(&shifted, 0, 1, &c);
			CHECK_INTEQ(c.rc, HIVE_OK);
			br_worst_rel_diff = fmax(br_worst_rel_diff, fabs(br.objective - c.objective) / fmax(1, fabs(c.objective)));
			if (!objectives_agree(br.objective, c.objective))
				printf("best answer, T %zu: battlp %.12g, CLP %.12g\n%s", p->T, br.objective, c.objective,
				       p->assets);
			CHECK(objectives_agree(br.objective, c.objective));
		}
	}
	lqp_plan_free(&alone);
	lqp_plan_free(&br);
	lqp_free(q);
	assets_free(&as);
}

static void random_best_responses(void)
{
	each_random_problem(compare_best_response);
	printf("test_battqp: %d best answers to a hive (%d with limits, against the plan alone), %d declined, "
	       "%d infeasible; largest relative objective difference %.3g\n",
	       br_tried, br_limited, br_declined, br_infeasible, br_worst_rel_diff);
	CHECK(br_tried >= PROBLEMS / 2 && br_limited >= 50 && br_tried - br_limited >= 50 && br_declined >= 10);
}

/* One hand-worked plan alone: the assets, T, L, the tariff; the objective and the net expected. */
static void hand_alone(const char *assets, size_t T, const double *L, const double *buy, const double *sell,
                       double want_obj, const double *want_net)
{
	struct problem p = { .T = T };
	snprintf(p.assets, sizeof p.assets, "%s", assets);
	for (size_t t = 0; t < T; t++) {
		p.net[t] = L[t];
		p.export_wh[t] = fmax(0, -L[t]);
		p.buy[t] = buy[t];
		p.sell[t] = sell[t];
	}
	struct outcome s, c;
	solve(&p, 1, 1, &s);
	solve(&p, 0, 1, &c);
	CHECK(s.rc == HIVE_OK && c.rc == HIVE_OK && s.structured);
	if (fabs(s.objective - want_obj) > 1e-9 * fmax(1, want_obj))
		printf("hand case alone: structured %.12g, CLP %.12g, want %.12g\n", s.objective, c.objective, want_obj);
	CHECK(fabs(s.objective - want_obj) <= 1e-9 * fmax(1, want_obj));
	CHECK(fabs(c.objective - want_obj) <= 1e-6 * fmax(1, want_obj));
	for (size_t t = 0; t < T; t++)
		CHECK(fabs(s.net[t] - want_net[t]) <= 1e-6);
}

/* One hand-worked step: the assets, T, L, v, ρ; the objective and the net expected. */
static void hand_case(const char *assets, size_t T, const double *L, const double *v, double rho, double want_obj,
                      const double *want_net)
{
	struct problem p = { .T = T, .rho = rho };
	snprintf(p.assets, sizeof p.assets, "%s", assets);
	for (size_t t = 0; t < T; t++) {
		p.net[t] = L[t];
		p.export_wh[t] = fmax(0, -L[t]);
		p.v[t] = v[t];
	}
	struct outcome s, c;
	solve(&p, 1, 0, &s);
	solve(&p, 0, 0, &c);
	CHECK(s.rc == HIVE_OK && c.rc == HIVE_OK && s.structured);
	CHECK(fabs(s.objective - want_obj) <= 1e-6 * fmax(1, want_obj));
	CHECK(fabs(c.objective - want_obj) <= 1e-6 * fmax(1, want_obj));
	for (size_t t = 0; t < T; t++) {
		if (fabs(s.net[t] - want_net[t]) > 1e-4)
			printf("hand case, slot %zu: net %.10g, want %.10g (CLP %.10g)\n", t, s.net[t], want_net[t], c.net[t]);
		CHECK(fabs(s.net[t] - want_net[t]) <= 1e-4);
	}
	if (fabs(s.objective - want_obj) > 1e-6 * fmax(1, want_obj))
		printf("hand case: structured %.10g, CLP %.10g, want %.10g\n", s.objective, c.objective, want_obj);
}

#define HEADER "{\"type\":\"assets\"}\n"
#define BATTERY(extra)                                                                                          \
	"{\"type\":\"battery\",\"name\":\"b\",\"capacity_wh\":10000,\"charge_w\":4000,\"discharge_w\":4000,"     \
	"\"soc_wh\":5000" extra "}\n"

static void hand_cases(void)
{
	/* One slot, nothing binding: x = v, the battery takes the difference; Δ = ¼ h, 1000 Wh a slot at most. */
	hand_case(HEADER BATTERY(",\"charge_efficiency\":0.9"), 1, (double[]){ 100 }, (double[]){ 300 }, 1, 0,
	          (double[]){ 300 });
	/* A cycle cost of 20 per Wh at ρ = 1: c = v − L − 20 = 180, 20·180 + ½·20² */
	hand_case(HEADER BATTERY(",\"cycle_cost\":\"20000\""), 1, (double[]){ 100 }, (double[]){ 300 }, 1, 3800,
	          (double[]){ 280 });
	/* The charge power binds: 1000 Wh of the 1900 asked, ρ/2·900² at ρ = 2 */
	hand_case(HEADER BATTERY(""), 1, (double[]){ 100 }, (double[]){ 2000 }, 2, 810000, (double[]){ 1100 });
	/* soc_final (default soc_wh) forbids ending lower: no discharge in the one slot, ½·300² */
	hand_case(HEADER BATTERY(""), 1, (double[]){ 100 }, (double[]){ -200 }, 1, 45000, (double[]){ 100 });
	/* ...but over two slots what is charged first may be discharged after: v − L = +300, −300 */
	hand_case(HEADER BATTERY(""), 2, (double[]){ 100, 100 }, (double[]){ 400, -200 }, 1, 0,
	          (double[]){ 400, -200 });
	/* A goal of 5400 Wh by 00:30 (the end of slot 1 of 4), L = v = 0: x = 200, 200, then 0, 0 (the final
	 * state may stay above soc_final), ½·2·200² */
	hand_case(HEADER BATTERY(",\"goals\":[{\"by\":\"00:30\",\"soc_wh\":5400}]"), 4, (double[]){ 0, 0, 0, 0 },
	          (double[]){ 0, 0, 0, 0 }, 1, 40000, (double[]){ 200, 200, 0, 0 });
	/* An import limit of 800 W (200 Wh a slot): v = 1000 is cut to it, ½·800² */
	hand_case("{\"type\":\"assets\",\"import_max_w\":800}\n" BATTERY(""), 1, (double[]){ 100 },
	          (double[]){ 1000 }, 1, 320000, (double[]){ 200 });
	/* "solar": charges only from the 150 Wh exported, so x ≤ 0 where v = 100 asks more: ½·100² */
	hand_case(HEADER BATTERY(",\"source\":\"solar\""), 1, (double[]){ -150 }, (double[]){ 100 }, 1, 5000,
	          (double[]){ 0 });
	/* Efficiencies 0.8 both ways, final ≥ start: 0.64 of what is charged can be discharged; the charge
	 * power binds (1000 Wh) before the optimum's 1163, so x = 1000, −640: ½·360² */
	hand_case(HEADER BATTERY(",\"charge_efficiency\":0.8,\"discharge_efficiency\":0.8"), 2, (double[]){ 0, 0 },
	          (double[]){ 1000, -1000 }, 1, 64800, (double[]){ 1000, -640 });
	/* No power either way: every variable fixed, x = L, ½·(200² + 100²) */
	hand_case(HEADER "{\"type\":\"battery\",\"name\":\"b\",\"capacity_wh\":10000,\"charge_w\":0,"
	                 "\"discharge_w\":0,\"soc_wh\":5000}\n",
	          2, (double[]){ 100, 50 }, (double[]){ 300, -50 }, 1, 25000, (double[]){ 100, 50 });
}

static void hand_cases_alone(void)
{
	/* Cheap then dear, sell at 50: only the load of slot 1 is shifted (selling what was bought at 100 for 50
	 * does not pay); the final state ≥ the first: x = 200, 0 at 100 per Wh */
	hand_alone(HEADER BATTERY(""), 2, (double[]){ 100, 100 }, (double[]){ 100, 300 }, (double[]){ 50, 50 }, 20000,
	           (double[]){ 200, 0 });
	/* The same with 0.8 both ways: 100 / 0.64 = 156.25 Wh charged for slot 1's 100 */
	hand_alone(HEADER BATTERY(",\"charge_efficiency\":0.8,\"discharge_efficiency\":0.8"), 2,
	           (double[]){ 100, 100 }, (double[]){ 100, 300 }, (double[]){ 50, 50 }, 25625,
	           (double[]){ 256.25, 0 });
	/* 300 Wh exported (sold at 0) and 200 Wh bought at 300 after; at 20 per Wh of cycling the battery keeps
	 * only the 200 it will give back: x = −100, 0 and 20 · 400 */
	hand_alone(HEADER BATTERY(",\"cycle_cost\":\"20000\""), 2, (double[]){ -300, 200 }, (double[]){ 300, 300 },
	           (double[]){ 0, 0 }, 8000, (double[]){ -100, 0 });
	/* No final state to keep, an import limit of 400 W: the discharge power binds, 1000 Wh, sold at 50 */
	hand_alone("{\"type\":\"assets\",\"import_max_w\":400}\n" BATTERY(",\"soc_final_wh\":0"), 1,
	           (double[]){ 300 }, (double[]){ 100 }, (double[]){ 50 }, -35000, (double[]){ -700 });
}

/* The solver's own contract: bounds that cross are refused; a warm start finds what a cold one finds. */
/* A three-slot battery whose last state must be within [soc_min_last, 5000] (its arrays in a: 5 · 3). */
static struct battqp_problem three_slots(double *a, double soc_min_last)
{
	double *cmax = a, *dmax = a + 3, *smin = a + 6, *smax = a + 9, *L = a + 12;
	for (int t = 0; t < 3; t++) {
		cmax[t] = dmax[t] = 1000;
		smin[t] = t < 2 ? 0 : soc_min_last;
		smax[t] = t < 2 ? 9000 : 5000;
		L[t] = 100 * (t + 1);
	}
	return (struct battqp_problem){ .slots = 3, .charge_eff = 0.9, .discharge_eff = 0.9, .soc0 = 4000,
		                        .charge_max = cmax, .discharge_max = dmax, .soc_min = smin, .soc_max = smax,
		                        .net_min = -INFINITY, .net_max = INFINITY, .base = L, .cycle_cost = 0.5 };
}

static void solver_contract(void)
{
	double a[15], v[3] = { 0, 500, -200 };
	double c[3], d[3], soc[3], c2[3], d2[3], soc2[3];
	struct battqp_problem bp = three_slots(a, 6000);
	struct battqp *w = battqp_new(3), *cold = battqp_new(3);
	CHECK(battqp_solve(w, &bp, 1, v, false, c, d, soc) == -1); /* soc_min 6000 > soc_max 5000 at the end */
	bp = three_slots(a, 4500);
	CHECK(battqp_solve(w, &bp, 1, v, false, c, d, soc) == 0);
	v[1] = 520;
	CHECK(battqp_solve(w, &bp, 2, v, true, c, d, soc) == 0);
	CHECK(battqp_solve(cold, &bp, 2, v, false, c2, d2, soc2) == 0);
	for (int t = 0; t < 3; t++)
		CHECK(fabs(c[t] - d[t] - (c2[t] - d2[t])) <= 1e-6 && fabs(soc[t] - soc2[t]) <= 1e-6);
	CHECK(soc[2] >= 4500 - 1e-6 && soc[2] <= 5000 + 1e-6);
	/* the scale kept by the caller: the same solve to the bit, and the scale its largest energy */
	struct battqp_problem kept = bp;
	kept.scale = battqp_scale(&bp);
	CHECK(kept.scale == 9000); /* soc_max of the first two slots */
	double c3[3], d3[3], soc3[3];
	struct battqp *scaled = battqp_new(3);
	CHECK(battqp_solve(scaled, &kept, 2, v, false, c3, d3, soc3) == 0);
	CHECK(memcmp(c2, c3, sizeof c3) == 0 && memcmp(d2, d3, sizeof d3) == 0 && memcmp(soc2, soc3, sizeof soc3) == 0);
	battqp_free(scaled);
	battqp_free(w);
	battqp_free(cold);
}

/*
 * The same problem, the signal moving a little each step as in ADMM and ρ
 * changed now and then: each step by both paths, the structured one warm
 * from its last. Returns whether the problem was feasible.
 */
static int warm_sequence(void)
{
	struct problem p;
	random_problem(&p, MAX_T);
	struct assets as;
	char why_buf[160];
	const char *why;
	CHECK(assets_load_text(&as, "warm", p.assets, strlen(p.assets)) == HIVE_OK);
	struct lqp *s, *c;
	CHECK(lqp_new(&s, &as, START, STEP, MAX_T, p.net, p.export_wh, why_buf, sizeof why_buf, &why) == HIVE_OK);
	CHECK(lqp_new(&c, &as, START, STEP, MAX_T, p.net, p.export_wh, why_buf, sizeof why_buf, &why) == HIVE_OK);
	lqp_use_structured(c, false);
	int feasible = 1;
	for (int k = 0; k < 30 && feasible; k++) {
		for (size_t t = 0; t < MAX_T; t++)
			p.v[t] += check_uniform(-30, 30);
		if (k % 10 == 9)
			p.rho *= k % 20 == 9 ? 2 : 0.5;
		struct lqp_plan a, b;
		const char *why_c = "";
		int ra = lqp_solve_step(s, p.rho, p.v, &a, &why), rb = lqp_solve_step(c, p.rho, p.v, &b, &why_c);
		if (ra == HIVE_OK && rb == HIVE_ERULE && !strstr(why_c, "infeasible"))
			clp_short++; /* as in compare_paths */
		else
			CHECK_INTEQ(ra, rb);
		feasible = ra == HIVE_OK;
		if (ra == HIVE_OK) {
			warm_steps++;
			warm_structured += lqp_step_was_structured(s);
			CHECK(lqp_violation(s, &a) <= lqp_tolerance(s));
		}
		if (ra == HIVE_OK && rb == HIVE_OK)
			CHECK(objectives_agree(a.objective, b.objective));
		if (ra == HIVE_OK)
			lqp_plan_free(&a);
		if (rb == HIVE_OK)
			lqp_plan_free(&b);
	}
	lqp_free(s);
	lqp_free(c);
	assets_free(&as);
	return feasible;
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, by_value);
	return n ? v[n / 2] : NAN;
}

#define BENCH_PROBLEMS 200
#define BENCH_STEPS 40

/*
 * Times a problem for T = 96 by one path: its plan alone against its tariff
 * (CLP builds its LP then); cold, the first step, whose feasibility the plan
 * alone told (CLP builds its QP then); warm, the steps after it, the signal
 * moving a little each time as in ADMM. Medians, in µs.
 */
static void bench_path(int structured, double *alone_us, double *cold_us, double *warm_us)
{
	static double alone[BENCH_PROBLEMS], cold[BENCH_PROBLEMS], warm[BENCH_PROBLEMS * BENCH_STEPS];
	size_t na = 0, nc = 0, nw = 0;
	uint64_t seed = check_rng;
	check_rng = 0x243F6A8885A308D3ull; /* both paths get the same problems */
	for (int i = 0; i < BENCH_PROBLEMS; i++) {
		struct problem p;
		random_problem(&p, MAX_T);
		struct assets as;
		char why_buf[160];
		const char *why;
		struct lqp *q;
		struct lqp_plan plan;
		if (assets_load_text(&as, "bench", p.assets, strlen(p.assets)) != HIVE_OK)
			continue;
		if (lqp_new(&q, &as, START, STEP, MAX_T, p.net, p.export_wh, why_buf, sizeof why_buf, &why) == HIVE_OK) {
			lqp_use_structured(q, structured);
			double start = now_us();
			if (lqp_solve_alone(q, p.buy, p.sell, &plan, &why) == HIVE_OK) { /* feasibility learnt here */
				alone[na++] = now_us() - start;
				lqp_plan_free(&plan);
				for (int k = 0; k <= BENCH_STEPS; k++) {
					double t0 = now_us();
					int rc = lqp_solve_step(q, p.rho, p.v, &plan, &why);
					double dt = now_us() - t0;
					if (rc != HIVE_OK)
						break;
					lqp_plan_free(&plan);
					if (k == 0)
						cold[nc++] = dt;
					else
						warm[nw++] = dt;
					for (size_t t = 0; t < MAX_T; t++)
						p.v[t] += check_uniform(-20, 20);
				}
			}
			lqp_free(q);
		}
		assets_free(&as);
	}
	check_rng = seed;
	*alone_us = median(alone, na);
	*cold_us = median(cold, nc);
	*warm_us = median(warm, nw);
}

/* A 10 kWh battery with an import limit on p's load, its bounds in b (4 · MAX_T). */
static struct battqp_problem ten_kwh(const struct problem *p, double *b)
{
	double *cmax = b, *dmax = b + MAX_T, *smin = b + 2 * MAX_T, *smax = b + 3 * MAX_T;
	for (size_t t = 0; t < MAX_T; t++) {
		cmax[t] = 1000;
		dmax[t] = 1000;
		smin[t] = t + 1 == MAX_T ? 5000 : 1000;
		smax[t] = 9500;
	}
	return (struct battqp_problem){ .slots = MAX_T, .charge_eff = 0.95, .discharge_eff = 0.95, .soc0 = 5000,
		                        .charge_max = cmax, .discharge_max = dmax, .soc_min = smin, .soc_max = smax,
		                        .net_min = -INFINITY, .net_max = 5000, .base = p->net, .cycle_cost = 20 };
}

/*
 * ADMM's steps move the signal a little: a warm step mostly keeps the last
 * active bounds (or finds them in a few active-set steps) and needs no
 * interior-point iteration, and gives what a cold solve of the same step
 * gives.
 */
static void warm_keeps_active_set(void)
{
	struct battqp *w = battqp_new(MAX_T), *cold = battqp_new(MAX_T);
	int warm = 0, kept = 0;
	for (int i = 0; i < 20; i++) {
		struct problem p;
		random_problem(&p, MAX_T);
		double b[4 * MAX_T], c[MAX_T], d[MAX_T], s[MAX_T], c0[MAX_T], d0[MAX_T], s0[MAX_T];
		struct battqp_problem bp = ten_kwh(&p, b);
		if (battqp_solve(w, &bp, p.rho, p.v, false, c, d, s) != 0)
			continue;
		for (int k = 0; k < 10; k++) {
			for (size_t t = 0; t < MAX_T; t++)
				p.v[t] += check_uniform(-k, k); /* from none to ±9 Wh */
			CHECK(battqp_solve(w, &bp, p.rho, p.v, true, c, d, s) == 0);
			CHECK(battqp_solve(cold, &bp, p.rho, p.v, false, c0, d0, s0) == 0);
			warm++;
			kept += battqp_kept_active_set(w);
			CHECK(!battqp_kept_active_set(cold));
			for (size_t t = 0; t < MAX_T; t++)
				CHECK(fabs(c[t] - d[t] - (c0[t] - d0[t])) <= 1e-6); /* the net is unique, the states need not be */
		}
	}
	printf("test_battqp: %d of %d warm steps kept or found the active set without the interior point\n", kept, warm);
	CHECK(warm >= 100 && kept >= warm * 3 / 4);
	battqp_free(w);
	battqp_free(cold);
}

/*
 * A thread's problems share one workspace: a warm start outlives another
 * problem's solves in between, the workspace regrown for a larger problem,
 * and that problem freed; each answer is what a cold solve gives.
 */
static void shared_workspace(void)
{
	double a[15], v[3] = { 0, 500, -200 };
	double c[3], d[3], soc[3], c0[3], d0[3], soc0[3];
	struct battqp_problem small_bp = three_slots(a, 4500);
	struct battqp *small = battqp_new(3), *cold = battqp_new(3);
	CHECK(battqp_solve(small, &small_bp, 1, v, false, c, d, soc) == 0);
	struct battqp *big = battqp_new(MAX_T); /* the workspace grows under small's warm start */
	int solved = 0;
	for (int i = 0; i < 10 && !solved; i++) {
		struct problem p;
		random_problem(&p, MAX_T);
		double b[4 * MAX_T], bc[MAX_T], bd[MAX_T], bs[MAX_T];
		struct battqp_problem big_bp = ten_kwh(&p, b);
		solved = battqp_solve(big, &big_bp, p.rho, p.v, false, bc, bd, bs) == 0 &&
		         battqp_solve(big, &big_bp, p.rho, p.v, true, bc, bd, bs) == 0;
	}
	CHECK(solved);
	for (int k = 0; k < 2; k++) { /* with big alive, then freed */
		v[1] += 20;
		CHECK(battqp_solve(small, &small_bp, 2, v, true, c, d, soc) == 0);
		CHECK(battqp_solve(cold, &small_bp, 2, v, false, c0, d0, soc0) == 0);
		for (int t = 0; t < 3; t++)
			CHECK(fabs(c[t] - d[t] - (c0[t] - d0[t])) <= 1e-6 && fabs(soc[t] - soc0[t]) <= 1e-6);
		if (k == 0)
			battqp_free(big);
	}
	battqp_free(small);
	battqp_free(cold);
}

static void bench_solver(double *us, double *iters)
{
	static double dt[BENCH_PROBLEMS], it[BENCH_PROBLEMS];
	size_t n = 0;
	uint64_t seed = check_rng;
	check_rng = 0x243F6A8885A308D3ull;
	struct battqp *w = battqp_new(MAX_T);
	for (int i = 0; i < BENCH_PROBLEMS; i++) {
		struct problem p;
		random_problem(&p, MAX_T);
		double b[4 * MAX_T], c[MAX_T], d[MAX_T], s[MAX_T];
		struct battqp_problem bp = ten_kwh(&p, b);
		double t0 = now_us();
		int rc = battqp_solve(w, &bp, p.rho, p.v, false, c, d, s);
		double t1 = now_us() - t0;
		if (rc == 0) {
			dt[n] = t1;
			it[n++] = battqp_iterations(w);
		}
	}
	battqp_free(w);
	check_rng = seed;
	*us = median(dt, n);
	*iters = median(it, n);
}

static void bench(void)
{
	double sa, sc, sw, ca, cc, cw, su, si;
	bench_path(1, &sa, &sc, &sw);
	bench_path(0, &ca, &cc, &cw);
	bench_solver(&su, &si);
	printf("test_battqp: T = %d, median µs per step: structured cold %.1f warm %.1f; CLP cold %.1f warm %.1f\n",
	       MAX_T, sc, sw, cc, cw);
	printf("test_battqp: battqp_solve by itself %.1f µs, %.0f iterations (a 10 kWh battery, an import limit)\n", su, si);
	printf("test_battqp: T = %d, median µs per plan alone: dynamic programming %.1f, CLP %.1f\n", MAX_T, sa, ca);
}

int main(void)
{
	diag_init("test_battqp");
	hand_cases();
	hand_cases_alone();
	solver_contract();
	random_problems();
	random_alone_problems();
	random_best_responses();
	int sequences = 0;
	for (int i = 0; i < 8; i++)
		sequences += warm_sequence();
	printf("test_battqp: %d warm sequences, %d steps, %d by the structured solver\n", sequences, warm_steps,
	       warm_structured);
	CHECK(sequences >= 4 && warm_structured >= warm_steps * 99 / 100);
	warm_keeps_active_set();
	shared_workspace();
	if (getenv("HIVE_BENCH"))
		bench();
	return check_done("test_battqp");
}
