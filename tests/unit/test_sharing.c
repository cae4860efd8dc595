/*
 * test_sharing.c — the Queen's z-update against an independent search: on
 * 1,500 random hives (prices with buy ≥ sell, sell negative too,
 * limits and a peak charge or not), the objective at the z-update's answer
 * is never above what a golden-section search over each slot (and over the
 * peak cap) finds, and no small move from it lowers the objective. Also
 * the rounds that price a lower bound (coord_bound_due).
 */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "coord.h"
#include "sharing.h"

/* The objective the z-update minimises, in z. */
static double objective(const struct sharing_cost *g, size_t N, double rho, const double *a, const double *z)
{
	double E[64], prox = 0;
	for (size_t t = 0; t < g->slots; t++) {
		E[t] = (double)N * z[t];
		prox += (z[t] - a[t]) * (z[t] - a[t]);
	}
	return sharing_cost_of(g, E) + (double)N * rho / 2 * prox;
}

/* Golden-section minimum of a convex 1-D function on [lo, hi]. */
static double golden(double (*f)(double, void *), void *arg, double lo, double hi)
{
	const double r = (sqrt(5.0) - 1) / 2;
	double x1 = hi - r * (hi - lo), x2 = lo + r * (hi - lo), f1 = f(x1, arg), f2 = f(x2, arg);
	for (int i = 0; i < 200; i++) {
		if (f1 <= f2) {
			hi = x2, x2 = x1, f2 = f1;
			x1 = hi - r * (hi - lo), f1 = f(x1, arg);
		} else {
			lo = x1, x1 = x2, f1 = f2;
			x2 = lo + r * (hi - lo), f2 = f(x2, arg);
		}
	}
	return (lo + hi) / 2;
}

struct slot_arg {
	const struct sharing_cost *g;
	size_t t, N;
	double rho, a, cap;   /* cap on N·z (INFINITY: none) */
};

static double slot_f(double z, void *p)
{
	struct slot_arg *s = p;
	double E = (double)s->N * z;
	if (E > s->cap || (s->g->limited && (E > s->g->import_max || E < -s->g->export_max)))
		return INFINITY;
	double c = E >= 0 ? s->g->buy[s->t] * E : s->g->sell[s->t] * E;
	return c + (double)s->N * s->rho / 2 * (z - s->a) * (z - s->a);
}

struct cap_arg {
	const struct sharing_cost *g;
	size_t N;
	double rho;
	const double *a;
	double *z;
	double bound;
};

/* The best z with N·z ≤ cap in every slot, slot by slot; returns the objective with the charge on cap. */
static double best_under(const struct cap_arg *c, double cap)
{
	for (size_t t = 0; t < c->g->slots; t++) {
		struct slot_arg s = { c->g, t, c->N, c->rho, c->a[t], cap };
		double lo = -c->bound, hi = c->bound;
		if (c->g->limited) {
			lo = -c->g->export_max / (double)c->N;
			hi = c->g->import_max / (double)c->N;
		}
		if (cap / (double)c->N < hi)
			hi = cap / (double)c->N;
		c->z[t] = golden(slot_f, &s, lo, hi);
	}
	return objective(c->g, c->N, c->rho, c->a, c->z);
}

static double cap_f(double cap, void *p)
{
	return best_under(p, cap);
}

/* min over E in [lo, hi] of slot t's price term (convex, piecewise linear: an end or the kink at 0). */
static double slot_min(const struct sharing_cost *g, size_t t, double lo, double hi)
{
	double best = INFINITY, cand[3] = { lo, hi, 0 };
	for (int k = 0; k < 3; k++) {
		double E = cand[k];
		if (E < lo || E > hi)
			continue;
		double c = E >= 0 ? g->buy[t] * E : g->sell[t] * E;
		best = c < best ? c : best;
	}
	return best;
}

struct box_hive {
	const struct sharing_cost *g;
	const double *L, *H;   /* the aggregate's range per slot */
};

/* The centralized optimum with the aggregate capped at P (peak charge on P). */
static double capped(double P, void *arg)
{
	const struct box_hive *b = arg;
	double sum = b->g->peak_price > 0 && P > 0 ? b->g->peak_price * P : 0;
	for (size_t t = 0; t < b->g->slots; t++) {
		double lo = b->L[t], hi = b->H[t] < P ? b->H[t] : P;
		if (b->g->limited) {
			lo = lo > -b->g->export_max ? lo : -b->g->export_max;
			hi = hi < b->g->import_max ? hi : b->g->import_max;
		}
		if (lo > hi)
			return INFINITY;
		sum += slot_min(b->g, t, lo, hi);
	}
	return sum;
}

/*
 * Workers that may plan anything in a box [lo, hi] per slot at no cost of
 * their own: their step is a projection, and the hive's optimum is known
 * (the best aggregate in the boxes' sum). The rounds must reach it.
 */
static void test_rounds_reach_the_optimum(void)
{
	enum { T = 12, NW = 20 };
	for (int run = 0; run < 40; run++) {
		double buy[T], sell[T], lo[NW * T], hi[NW * T], x[NW * T], L[T] = { 0 }, H[T] = { 0 }, signal[T];
		for (size_t t = 0; t < T; t++) {
			buy[t] = check_uniform(0.2, 0.4);
			sell[t] = run % 3 == 0 ? -check_uniform(0, 0.05) : check_uniform(0, 0.15);
		}
		for (size_t i = 0; i < NW; i++)
			for (size_t t = 0; t < T; t++) {
				double base = check_uniform(-300, 600), flex = check_uniform(0, 400);
				lo[i * T + t] = base - flex;
				hi[i * T + t] = base + flex;
				x[i * T + t] = base;
				L[t] += lo[i * T + t];
				H[t] += hi[i * T + t];
			}
		struct sharing_cost g = { .slots = T, .buy = buy, .sell = sell };
		if (run % 2) {
			g.limited = true;
			g.import_max = 6000;
			g.export_max = 6000;
		}
		if (run % 4 >= 2)
			g.peak_price = 2;
		struct box_hive b = { &g, L, H };
		double floor_p = -INFINITY, top = -INFINITY;
		for (size_t t = 0; t < T; t++) {
			floor_p = L[t] > floor_p ? L[t] : floor_p;
			top = H[t] > top ? H[t] : top;
		}
		double best = g.peak_price > 0 ? capped(golden(capped, &b, floor_p, top), &b) : capped(INFINITY, &b);
		struct sharing_state st;
		sharing_init(&st, NW, T, 0.002);
		int done = 0, rounds = 0;
		while (!done && rounds < 5000) {
			done = sharing_round(&st, &g, x, 1e-5, 1e-5, signal);
			rounds++;
			for (size_t i = 0; i < NW; i++)
				for (size_t t = 0; t < T; t++) {
					double v = x[i * T + t] - signal[t];
					x[i * T + t] = v < lo[i * T + t] ? lo[i * T + t] : v > hi[i * T + t] ? hi[i * T + t] : v;
				}
		}
		double E[T] = { 0 };
		for (size_t i = 0; i < NW; i++)
			for (size_t t = 0; t < T; t++)
				E[t] += x[i * T + t];
		double got = sharing_cost_of(&g, E);
		CHECK(done == 1);
		if (!(fabs(got - best) <= 0.005 * fabs(best) + 1e-6))
			printf("run %d: rounds %d got %g best %g peak %g lim %d\n", run, rounds, got, best, g.peak_price, g.limited);
		CHECK(fabs(got - best) <= 0.005 * fabs(best) + 1e-6);   /* the 0.5 % */
		sharing_free(&st);
	}
}

/*
 * The lower bound's pieces: the hive's dual term is the least of
 * f_t(E) − y_t·E over the E the limits allow (checked against a grid that
 * has the ends and 0), the prices are kept within [sell, buy] without
 * limits (where the term is 0), and the proven gap by hand.
 */
static void test_bound_pieces(void)
{
	for (int run = 0; run < 500; run++) {
		double buy[8], sell[8], u[8], y[8];
		struct sharing_cost g = { .slots = 8, .buy = buy, .sell = sell };
		if (run % 2) {
			g.limited = true;
			g.import_max = check_uniform(0, 3000);
			g.export_max = check_uniform(0, 3000);
		}
		for (size_t t = 0; t < 8; t++) {
			buy[t] = check_uniform(0, 400);
			sell[t] = buy[t] - check_uniform(0, 300);
			u[t] = check_uniform(-5000, 5000);
		}
		double rho = check_uniform(0.01, 0.5), least = 0;
		sharing_bound_prices(&g, rho, u, y);
		for (size_t t = 0; t < 8; t++) {
			if (!g.limited) {
				CHECK(y[t] >= sell[t] && y[t] <= buy[t]);
				continue;
			}
			CHECK(y[t] == rho * u[t]);
			double best = INFINITY;
			for (int k = 0; k <= 100; k++) {
				double E = -g.export_max + (g.import_max + g.export_max) * k / 100;
				best = fmin(best, (E >= 0 ? buy[t] * E : sell[t] * E) - y[t] * E);
			}
			least += fmin(best, 0); /* E = 0 is allowed */
		}
		double term = sharing_dual_term(&g, y);
		CHECK(fabs(term - least) <= 1e-9 * (1 + fabs(least)));
	}
	CHECK(fabs(sharing_proven_gap(110, 100) - 0.1) < 1e-15);
	CHECK(fabs(sharing_proven_gap(-90, -100) - 10.0 / 90) < 1e-15); /* the optimum may be as small as 90 */
	CHECK(sharing_proven_gap(100, 100) == 0);
	CHECK(isinf(sharing_proven_gap(5, -5)));      /* the optimum may be 0 */
	CHECK(sharing_proven_gap(100, 110) == 0);      /* plans a hair beyond a limit, or rounded */
	CHECK(sharing_proven_gap(-5, 5) == 0);
	CHECK(isinf(sharing_proven_gap(INFINITY, 0)) && isinf(sharing_proven_gap(100, -INFINITY)));
	CHECK(isinf(sharing_proven_gap(100, 0)));
	struct sharing_cost peak = { .slots = 1, .peak_price = 1 };
	CHECK(!sharing_bounded(&peak));
	double one[1] = { 1 }, e[1] = { 1000.5 };
	struct sharing_cost lim = { .slots = 1, .buy = one, .sell = one, .limited = true, .import_max = 1000,
		                    .export_max = 10 };
	struct sharing_cost wide = sharing_widened(&lim, 1);
	CHECK(isinf(sharing_cost_of(&lim, e)) && sharing_cost_of(&wide, e) == 1000.5);
	CHECK(wide.export_max == 11 && sharing_widened(&peak, 1).import_max == 0);
	struct sharing_state st = { .workers = 4, .r_tol = 0.5 };
	CHECK(sharing_aggregate_tolerance(&st) == 1);
}

/* The lower bounds' schedule (coord_bound_due): rounds 1, 5, 9, … until near, then every odd round. */
static void test_bound_schedule(void)
{
	unsigned far = 0, near = 0;
	for (size_t k = 0; k < 16; k++) {
		far |= (unsigned)coord_bound_due(k, false) << k;
		near |= (unsigned)coord_bound_due(k, true) << k;
	}
	CHECK(far == (1u << 1 | 1u << 5 | 1u << 9 | 1u << 13));
	CHECK(near == 0xAAAAu); /* 1, 3, 5, …, 15 */
}

int main(void)
{
	enum { T_MAX = 24 };
	test_bound_schedule();
	test_rounds_reach_the_optimum();
	test_bound_pieces();
	for (int run = 0; run < 1500; run++) {
		size_t T = 1 + check_next() % T_MAX, N = 1 + check_next() % 50;
		double buy[T_MAX], sell[T_MAX], a[T_MAX], z[T_MAX], zb[T_MAX], target[T_MAX];
		for (size_t t = 0; t < T; t++) {
			buy[t] = check_uniform(0.05, 0.4);
			sell[t] = check_next() % 5 == 0 ? buy[t] : buy[t] - check_uniform(0, 0.35);   /* sometimes negative */
			a[t] = check_uniform(-400, 400);
		}
		struct sharing_cost g = { .slots = T, .buy = buy, .sell = sell };
		if (check_next() % 2) {
			g.limited = true;
			g.import_max = check_uniform(0, 3000);
			g.export_max = check_uniform(0, 3000);
		}
		if (check_next() % 2)
			g.peak_price = check_uniform(0, 30);
		double top = g.limited ? g.import_max : 2000 * (double)N;
		if (g.peak_price > 0 && check_next() % 3 == 0)
			g.peak_floor = check_uniform(0, top);   /* a peak already reached: caps below it save nothing */
		double rho = check_uniform(1e-4, 0.05);
		if (check_next() % 3 == 0) {   /* a parent's proximal term on the aggregate (a child hive) */
			for (size_t t = 0; t < T; t++)
				target[t] = check_uniform(-400, 400) * (double)N;
			g.target = target;
			g.target_weight = check_uniform(1e-5, 0.1);
		}
		CHECK(sharing_z_update(&g, N, rho, a, z) == 0);
		double mine = objective(&g, N, rho, a, z);
		CHECK(isfinite(mine));

		/* The independent answer: golden sections per slot, and over the cap when there is a charge. */
		struct cap_arg c = { &g, N, rho, a, zb, 2000 };
		double ref;
		if (g.peak_price > 0) {
			double cap = golden(cap_f, &c, g.peak_floor, top);
			ref = best_under(&c, cap);
		} else {
			ref = best_under(&c, INFINITY);
		}
		double scale = 1 + fabs(ref);
		CHECK(mine <= ref + 1e-6 * scale);

		/* No small move lowers it (a convex function: local is global). */
		for (int k = 0; k < 20; k++) {
			double moved[T_MAX];
			double eps = check_uniform(1e-6, 1e-2);
			for (size_t t = 0; t < T; t++)
				moved[t] = z[t] + eps * check_uniform(-1, 1);
			CHECK(objective(&g, N, rho, a, moved) >= mine - 1e-9 * scale);
		}
	}

	/* Known answers. One Worker, ρ = 1, buy 0.3, sell 0.1: a = 1 → 0.7; a = −1 → −1.1 (selling pays); a = 0.2 → 0 (the kink). */
	double buy = 0.3, sell = 0.1, z;
	struct sharing_cost one = { .slots = 1, .buy = &buy, .sell = &sell };
	sharing_z_update(&one, 1, 1, &(double){ 1 }, &z);
	CHECK(fabs(z - 0.7) < 1e-12);
	sharing_z_update(&one, 1, 1, &(double){ -1 }, &z);
	CHECK(fabs(z + 1.1) < 1e-12);
	sharing_z_update(&one, 1, 1, &(double){ 0.2 }, &z);
	CHECK(z == 0);
	/* A limit: import at most 0.5. */
	one.limited = true, one.import_max = 0.5, one.export_max = 10;
	sharing_z_update(&one, 1, 1, &(double){ 1 }, &z);
	CHECK(fabs(z - 0.5) < 1e-12);
	/* Two slots wanting 0.7 and 0.4, a peak charge 0.2: the slope at cap P is 0.2 + (P − 0.7) = 0 → P = 0.5. */
	double buy2[2] = { 0.3, 0.3 }, sell2[2] = { 0.1, 0.1 }, a2[2] = { 1, 0.7 }, z2[2];
	struct sharing_cost two = { .slots = 2, .buy = buy2, .sell = sell2, .peak_price = 0.2 };
	sharing_z_update(&two, 1, 1, a2, z2);
	CHECK(fabs(z2[0] - 0.5) < 1e-12 && fabs(z2[1] - 0.4) < 1e-12);
	/* The same with a peak of 0.6 reached before: the cap stays there. */
	two.peak_floor = 0.6;
	sharing_z_update(&two, 1, 1, a2, z2);
	CHECK(fabs(z2[0] - 0.6) < 1e-12 && fabs(z2[1] - 0.4) < 1e-12);
	/* A target 3 with weight 1 beside a = 1 (κ = 1), no prices: halfway, 2; with buy 0.3 and sell 0.1, 2 − 0.3/2. */
	double zero = 0, three = 3;
	struct sharing_cost pulled = { .slots = 1, .buy = &zero, .sell = &zero, .target = &three, .target_weight = 1 };
	sharing_z_update(&pulled, 1, 1, &(double){ 1 }, &z);
	CHECK(fabs(z - 2) < 1e-12);
	pulled.buy = &buy, pulled.sell = &sell;
	sharing_z_update(&pulled, 1, 1, &(double){ 1 }, &z);
	CHECK(fabs(z - 1.85) < 1e-12);
	pulled.target = NULL;
	CHECK(sharing_z_update(&pulled, 1, 1, &(double){ 1 }, &z) == -1);
	/* Malformed costs are refused. */
	double bad_buy = 0.1, bad_sell = 0.2;
	struct sharing_cost bad = { .slots = 1, .buy = &bad_buy, .sell = &bad_sell };
	CHECK(sharing_z_update(&bad, 1, 1, &(double){ 0 }, &z) == -1);
	CHECK(sharing_z_update(&one, 0, 1, &(double){ 0 }, &z) == -1);
	CHECK(sharing_z_update(&one, 1, 0, &(double){ 0 }, &z) == -1);
	/* The coupling point in W and per kW, over 15-minute slots: Wh per slot and per Wh. */
	struct coupling c = { .limited = true, .import_max_w = 17250, .export_max_w = 10000, .peak_price_per_kw = 5000 };
	struct sharing_cost at = sharing_cost_at(&c, 1, 900, &buy, &sell);
	CHECK(at.slots == 1 && at.buy == &buy && at.sell == &sell && at.limited);
	CHECK(at.import_max == 4312.5 && at.export_max == 2500 && at.peak_price == 20);
	CHECK(at.target_weight == 0 && at.peak_floor == 0);
	struct coupling open = COUPLING_OPEN;
	at = sharing_cost_at(&open, 1, 3600, &buy, &sell);
	CHECK(!at.limited && at.import_max == 0 && at.export_max == 0 && at.peak_price == 0);
	CHECK(sharing_cost_of(&at, &(double){ 1e9 }) == 0.3e9);
	return check_done("test_sharing");
}
