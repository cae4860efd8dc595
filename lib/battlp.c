/* battlp.c — one battery's plan alone by dynamic programming over its state of charge (see battlp.h). */
#include "battlp.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

#define MAX_PIECES ((size_t)1 << 22) /* every slot's merged function together (96 MiB); beyond, the caller's LP */
#define ROUNDING 1e-9                /* relative: how far a state may be outside a function's domain by rounding */

/* fmin and fmax for the finite values here (within_conditions): inline, where libm's are calls. */
static inline double lesser(double a, double b)
{
	return a < b ? a : b;
}

static inline double greater(double a, double b)
{
	return a > b ? a : b;
}

/* One linear piece of a convex function; slot: it comes from a slot's cost, not from the cost to go. */
struct piece {
	double slope, len;
	bool slot;
};

/* A slot's cost h(δ) of changing the state by δ, on [a, b]: at most three pieces. */
struct slot_cost {
	double a, b, at_b;
	size_t n;
	struct piece pc[3];
};

/* Per slot: where its merged function (the cost to go from the state before the slot) lies in the pool. */
struct stage {
	size_t first, n;
	double x0;        /* the merged function's first state */
	double len;       /* the length of its domain: its pieces' summed in order */
	struct slot_cost h;
};

struct dp {
	const struct battqp_problem *p;
	const double *buy, *sell;
	struct piece *pool, *next; /* the merged functions of all slots; the cost to go being built */
	size_t used, cap, next_cap;
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

static double cost_of(const struct dp *s, size_t t, double delta)
{
	const struct battqp_problem *p = s->p;
	double x = net_of(p, t, delta), moved = delta > 0 ? delta / p->charge_eff : -delta * p->discharge_eff;
	return p->cycle_cost * moved + (x >= 0 ? s->buy[t] * x : s->sell[t] * x);
}

/* The slope of h where the state changes by δ (not at a kink). */
static double slope_at(const struct dp *s, size_t t, double delta)
{
	const struct battqp_problem *p = s->p;
	double price = net_of(p, t, delta) > 0 ? s->buy[t] : s->sell[t];
	return delta > 0 ? (p->cycle_cost + price) / p->charge_eff : (price - p->cycle_cost) * p->discharge_eff;
}

/*
 * Slot t's cost h on the changes its powers and the Worker's limits allow,
 * with kinks where the battery turns from discharging to charging and
 * where the net crosses 0. False when no change is allowed.
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
	double k1 = 0, k2 = delta_of(p, t, 0), cut[4];
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
	h->at_b = cost_of(s, t, b);
	h->n = 0;
	for (size_t i = 0; i + 1 < ncut; i++)
		if (cut[i + 1] > cut[i])
			h->pc[h->n++] = (struct piece){ slope_at(s, t, 0.5 * (cut[i] + cut[i + 1])), cut[i + 1] - cut[i], true };
	return true;
}

static bool reserve(struct piece **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return true;
	if (need > MAX_PIECES)
		return false;
	size_t want = *cap ? *cap : 64;
	while (want < need)
		want *= 2;
	*buf = xrealloc(*buf, want * sizeof **buf);
	*cap = want;
	return true;
}

/*
 * The infimal convolution of the cost to go (next, n pieces, from x0) and
 * the slot's cost reflected (h(−y): the state before the slot is the state
 * after it less δ): appended to the pool, equal slopes of one origin joined.
 */
static bool merge(struct dp *s, size_t n, double x0, const struct slot_cost *h, struct stage *st)
{
	if (!reserve(&s->pool, &s->cap, s->used + n + 3))
		return false;
	struct piece hr[3];
	for (size_t i = 0; i < h->n; i++)
		hr[i] = (struct piece){ -h->pc[h->n - 1 - i].slope, h->pc[h->n - 1 - i].len, true };
	struct piece *out = s->pool + s->used;
	size_t i = 0, j = 0, k = 0;
	while (i < n || j < h->n) {
		struct piece pick = j >= h->n || (i < n && s->next[i].slope <= hr[j].slope) ? s->next[i++] : hr[j++];
		if (k && out[k - 1].slope == pick.slope && out[k - 1].slot == pick.slot)
			out[k - 1].len += pick.len;
		else
			out[k++] = pick;
	}
	st->first = s->used;
	st->n = k;
	st->x0 = x0 - h->b;
	st->len = 0;
	for (size_t q = 0; q < k; q++)
		st->len += out[q].len;
	s->used += k;
	return true;
}

/*
 * The merged function of a stage restricted to the states [lo, hi]: the
 * next cost to go, n pieces from x0 (its values are not kept: only the
 * slopes decide the plan). False when no state is left.
 */
static bool restrict_to(struct dp *s, const struct stage *st, double lo, double hi, size_t *n, double *x0)
{
	const struct piece *m = s->pool + st->first;
	double from = greater(lo, st->x0), to = lesser(hi, st->x0 + st->len);
	if (from > to) {
		if (from - to > ROUNDING * greater(1, greater(fabs(lo), fabs(hi))))
			return false;
		from = to = 0.5 * (from + to); /* a single state, apart by rounding */
	}
	if (!reserve(&s->next, &s->next_cap, st->n + 1))
		return false;
	*n = 0;
	double at = st->x0;
	for (size_t i = 0; i < st->n; i++) {
		double left = greater(at, from), right = lesser(at + m[i].len, to);
		if (right > left)
			s->next[(*n)++] = (struct piece){ m[i].slope, right - left, false };
		at += m[i].len;
	}
	*x0 = from;
	return true;
}

/* Backward: every slot's merged function, from the end's cost to go (0 on the last state's bounds). */
static bool backward(struct dp *s)
{
	const struct battqp_problem *p = s->p;
	size_t T = p->slots, n = 0;
	double x0 = p->soc_min[T - 1];
	if (!(p->soc_max[T - 1] >= x0) || !reserve(&s->next, &s->next_cap, 1))
		return false;
	if (p->soc_max[T - 1] > x0)
		s->next[n++] = (struct piece){ 0, p->soc_max[T - 1] - x0, false };
	for (size_t t = T; t-- > 0;) {
		struct stage *st = &s->stages[t];
		if (!slot_cost_of(s, t, &st->h) || !merge(s, n, x0, &st->h, st))
			return false;
		if (t > 0 && !restrict_to(s, st, p->soc_min[t - 1], p->soc_max[t - 1], &n, &x0))
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
		const struct piece *m = s->pool + st->first;
		double pos = state - st->x0, covered = 0;
		if (t == 0 && (pos < -ROUNDING * greater(1, fabs(state)) || pos - st->len > ROUNDING * greater(1, fabs(state))))
			return false; /* the first state is outside what the bounds allow */
		for (size_t i = 0; i < st->n && pos > 0; i++) {
			double take = lesser(m[i].len, pos);
			if (m[i].slot)
				covered += take;
			pos -= take;
		}
		double delta = lesser(greater(st->h.b - covered, st->h.a), st->h.b);
		charge[t] = delta > 0 ? delta / p->charge_eff : 0;
		discharge[t] = delta < 0 ? -delta * p->discharge_eff : 0;
		state += p->charge_eff * charge[t] - discharge[t] / p->discharge_eff;
		soc[t] = state;
	}
	return true;
}

int battlp_solve(const struct battqp_problem *p, const double *buy, const double *sell, double *charge,
                 double *discharge, double *soc)
{
	if (p->slots == 0 || !within_conditions(p, buy, sell))
		return -1;
	struct dp s = { .p = p, .buy = buy, .sell = sell };
	s.stages = xmalloc(p->slots * sizeof *s.stages);
	bool ok = backward(&s) && forward(&s, charge, discharge, soc);
	free(s.pool);
	free(s.next);
	free(s.stages);
	return ok ? 0 : -1;
}
