/* battlp.c — one battery's plan alone by dynamic programming over its state of charge (see battlp.h). */
#include "battlp.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "lesser.h"

#define ROUNDING 1e-9 /* relative: how far a state may be outside a function's domain by rounding */

/* One linear piece of a convex function. */
struct piece {
	double slope, len;
};

/* A slot's cost h(δ) of changing the state by δ, on [a, b]: at most three pieces. */
struct slot_cost {
	double a, b;
	size_t n;
	struct piece pc[3];
};

/*
 * Per slot, what the forward walk needs of its merged function (the cost
 * to go from the state before the slot): its first state and length, and
 * where the slot's own pieces lie in it (the rest are the next cost to go's).
 */
struct stage {
	double x0, len, a, b;
	size_t n;
	double start[3], span[3];
};

/*
 * The cost to go being built, its pieces in order of slope in
 * piece[head, tail): restricting it to the state's bounds drops pieces at
 * either end, merging a slot's cost inserts at most three, so each slot
 * costs a walk to the insertion points, not a copy of every piece.
 */
struct dp {
	const struct battqp_problem *p;
	const double *buy, *sell;
	const double *kink;   /* NULL, or per slot the net where the price turns from sell to buy (else 0) */
	struct piece *piece;
	size_t head, tail;
	double x0, len;
	struct stage *stages;
};

static bool within_conditions(const struct battqp_problem *p, const double *buy, const double *sell)
{
	if (!(p->charge_eff > 0 && p->charge_eff <= 1 && p->discharge_eff > 0 && p->discharge_eff <= 1) ||
	    !(p->cycle_cost >= 0 && isfinite(p->cycle_cost)) || !isfinite(p->soc0) || !(p->net_min <= p->net_max))
		return false;
	for (size_t t = 0; t < p->slots; t++) {
		if (!(sell[t] >= 0 && buy[t] >= sell[t] && isfinite(buy[t])) || !isfinite(p->base[t]) ||
		    !(p->base[t] >= p->net_min))
			return false;
		if (!(p->charge_max[t] >= 0 && isfinite(p->charge_max[t]) && p->discharge_max[t] >= 0 &&
		      isfinite(p->discharge_max[t]) && isfinite(p->soc_min[t]) && isfinite(p->soc_max[t])))
			return false;
	}
	return true;
}

/* The net of slot t when the state changes by δ, charging or discharging only. */
static double net_of(const struct battqp_problem *p, size_t t, double delta)
{
	return p->base[t] + (delta > 0 ? delta / p->charge_eff : delta * p->discharge_eff);
}

/* The change of state that makes the net x (x − L and δ have one sign). */
static double delta_of(const struct battqp_problem *p, size_t t, double x)
{
	double dx = x - p->base[t];
	return dx >= 0 ? dx * p->charge_eff : dx / p->discharge_eff;
}

static double kink_at(const struct dp *s, size_t t)
{
	return s->kink ? s->kink[t] : 0;
}

/* The slope of h where the state changes by δ (not at a kink). */
static double slope_at(const struct dp *s, size_t t, double delta)
{
	const struct battqp_problem *p = s->p;
	double price = net_of(p, t, delta) > kink_at(s, t) ? s->buy[t] : s->sell[t];
	return delta > 0 ? (p->cycle_cost + price) / p->charge_eff : (price - p->cycle_cost) * p->discharge_eff;
}

/*
 * Slot t's cost h on the changes its powers and the Worker's limits allow,
 * with kinks where the battery turns from discharging to charging and
 * where the net crosses the price's kink. False when no change is allowed.
 */
static bool slot_cost_of(const struct dp *s, size_t t, struct slot_cost *h)
{
	const struct battqp_problem *p = s->p;
	double a = -p->discharge_max[t] / p->discharge_eff, b = p->charge_max[t] * p->charge_eff;
	if (isfinite(p->net_min))
		a = greater(a, delta_of(p, t, p->net_min));
	if (isfinite(p->net_max))
		b = lesser(b, delta_of(p, t, p->net_max));
	if (a > b) {
		if (a - b > ROUNDING * greater(1, fabs(a)))
			return false;
		a = b;
	}
	double k1 = 0, k2 = delta_of(p, t, kink_at(s, t)), cut[4];
	if (k1 > k2) {
		k1 = k2;
		k2 = 0;
	}
	size_t ncut = 0;
	cut[ncut++] = a;
	if (k1 > a && k1 < b)
		cut[ncut++] = k1;
	if (k2 > a && k2 < b && k2 > k1)
		cut[ncut++] = k2;
	cut[ncut++] = b;
	h->a = a;
	h->b = b;
	h->n = 0;
	for (size_t i = 0; i + 1 < ncut; i++)
		if (cut[i + 1] > cut[i])
			h->pc[h->n++] = (struct piece){ slope_at(s, t, 0.5 * (cut[i] + cut[i + 1])), cut[i + 1] - cut[i] };
	return true;
}

/*
 * Merges slot t's cost h, reflected (h(−y): the state before the slot is
 * the state after it less δ), into the cost to go by slope, a piece of the
 * cost to go first where slopes tie: the infimal convolution. Records in st
 * where h's pieces lie; once recorded they are the cost to go's like any
 * other, and join a neighbour of equal slope.
 */
static void merge(struct dp *s, const struct slot_cost *h, struct stage *st)
{
	size_t at = s->head;
	double before = 0; /* the length of the pieces before at */
	for (size_t j = 0; j < h->n; j++) {
		struct piece hr = { -h->pc[h->n - 1 - j].slope, h->pc[h->n - 1 - j].len };
		while (at < s->tail && s->piece[at].slope <= hr.slope)
			before += s->piece[at++].len;
		st->start[j] = before;
		st->span[j] = hr.len;
		if (at > s->head && s->piece[at - 1].slope == hr.slope) {
			s->piece[at - 1].len += hr.len;
		} else {
			memmove(&s->piece[at + 1], &s->piece[at], (s->tail - at) * sizeof *s->piece);
			s->piece[at++] = hr;
			s->tail++;
		}
		before += hr.len;
		s->len += hr.len;
	}
	s->x0 -= h->b;
	st->x0 = s->x0;
	st->len = s->len;
	st->a = h->a;
	st->b = h->b;
	st->n = h->n;
}

/*
 * The cost to go restricted to the states [lo, hi]: pieces dropped or cut
 * at either end (its values are not kept: only the slopes decide the
 * plan). False when no state is left.
 */
static bool restrict_to(struct dp *s, double lo, double hi)
{
	double from = greater(lo, s->x0), to = lesser(hi, s->x0 + s->len);
	if (from > to) {
		if (from - to > ROUNDING * greater(1, greater(fabs(lo), fabs(hi))))
			return false;
		from = to = 0.5 * (from + to); /* a single state, apart by rounding */
	}
	double cut = from - s->x0, excess = s->len - cut - (to - from);
	while (s->head < s->tail && s->piece[s->head].len <= cut)
		cut -= s->piece[s->head++].len;
	if (s->head < s->tail && cut > 0)
		s->piece[s->head].len -= cut;
	while (s->tail > s->head && s->piece[s->tail - 1].len <= excess)
		excess -= s->piece[--s->tail].len;
	if (s->tail > s->head && excess > 0)
		s->piece[s->tail - 1].len -= excess;
	s->x0 = from;
	s->len = to - from;
	return true;
}

/* Backward: every slot's merged function, from the end's cost to go (0 on the last state's bounds). */
static bool backward(struct dp *s)
{
	const struct battqp_problem *p = s->p;
	size_t T = p->slots;
	s->x0 = p->soc_min[T - 1];
	s->len = 0;
	if (!(p->soc_max[T - 1] >= s->x0))
		return false;
	if (p->soc_max[T - 1] > s->x0) {
		s->len = p->soc_max[T - 1] - s->x0;
		s->piece[s->tail++] = (struct piece){ 0, s->len };
	}
	for (size_t t = T; t-- > 0;) {
		struct slot_cost h;
		if (!slot_cost_of(s, t, &h))
			return false;
		merge(s, &h, &s->stages[t]);
		if (t > 0 && !restrict_to(s, p->soc_min[t - 1], p->soc_max[t - 1]))
			return false;
	}
	return true;
}

/*
 * Forward: in each slot's merged function, the state before the slot is
 * reached by pieces of the cost to go and of the slot's cost taken in
 * order of slope; what the slot's pieces cover is its change of state.
 */
static bool forward(struct dp *s, double *charge, double *discharge, double *soc)
{
	const struct battqp_problem *p = s->p;
	double state = p->soc0;
	for (size_t t = 0; t < p->slots; t++) {
		const struct stage *st = &s->stages[t];
		double pos = state - st->x0, covered = 0;
		if (t == 0 && (pos < -ROUNDING * greater(1, fabs(state)) || pos - st->len > ROUNDING * greater(1, fabs(state))))
			return false; /* the first state is outside what the bounds allow */
		for (size_t j = 0; j < st->n; j++)
			covered += lesser(greater(pos - st->start[j], 0), st->span[j]);
		double delta = lesser(greater(st->b - covered, st->a), st->b);
		charge[t] = delta > 0 ? delta / p->charge_eff : 0;
		discharge[t] = delta < 0 ? -delta * p->discharge_eff : 0;
		state += p->charge_eff * charge[t] - discharge[t] / p->discharge_eff;
		soc[t] = state;
	}
	return true;
}

int battlp_solve_kinked(const struct battqp_problem *p, const double *buy, const double *sell, const double *kink,
                        double *charge, double *discharge, double *soc)
{
	if (p->slots == 0 || !within_conditions(p, buy, sell))
		return -1;
	for (size_t t = 0; kink && t < p->slots; t++)
		if (!isfinite(kink[t]))
			return -1;
	/* the cost to go starts with a piece and gains at most three a slot */
	struct dp s = { .p = p, .buy = buy, .sell = sell, .kink = kink };
	s.stages = xmalloc(p->slots * sizeof *s.stages);
	s.piece = xmalloc((3 * p->slots + 1) * sizeof *s.piece);
	bool ok = backward(&s) && forward(&s, charge, discharge, soc);
	free(s.piece);
	free(s.stages);
	return ok ? 0 : -1;
}

int battlp_solve(const struct battqp_problem *p, const double *buy, const double *sell, double *charge,
                 double *discharge, double *soc)
{
	return battlp_solve_kinked(p, buy, sell, NULL, charge, discharge, soc);
}
