/* battdp.c — one battery's ADMM step by dynamic programming over its state of charge (see battdp.h). */
#include "battdp.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "lesser.h"

#define ROUNDING 1e-9 /* relative: how far a state may be outside a function's domain by rounding */

/*
 * A breakpoint of a convex function's inverse derivative ℓ(p), the length
 * of the states whose marginal cost is below p: at price p, a length jump
 * of states whose marginal cost is exactly p (a linear piece), and the
 * rate dℓ/dp changes by rate after p (quadratic pieces: 1 over their
 * curvature).
 */
struct brk {
	double p, jump, rate;
};

/*
 * A slot's cost h(δ) = min over c, d of cost·(c + d) + ρ/2·(L + c − d − v)²
 * with η_c·c − d/η_d = δ, charging and discharging at once allowed, seen
 * through its inverse derivative: the change δ*(p) it makes when a Wh of
 * state after it costs p. Written y = c − d (the battery's share of the
 * net) and m = min(c, d) (what is burnt): below the price where burning
 * pays, p_burn = 2·cost/(1/η_d − η_c), nothing is burnt and y is the
 * least of a convex function with a kink at 0; above it as much as the
 * powers allow is burnt (m = min(C − y⁺, D − y⁻)) and the kink moves to
 * y = C − D, where both powers are full. Either way y is a root of the
 * charging side's or the discharging side's derivative, or the kink, held
 * within the powers and the Worker's limits; at p_burn exactly, any burning
 * up to the most is as good (a jump of δ*).
 */
#define SLOT_BREAKS 10

struct slot_cost {
	double a, b;                 /* δ*(+∞) and δ*(−∞): the changes allowed */
	double vL, rho, cost, ec, ed, C, D, ylo, yhi;
	double burn_price;           /* p_burn, +∞ for a lossless battery */
	double burn_jump;            /* how far δ* falls at p_burn */
	size_t n;
	struct brk brk[SLOT_BREAKS]; /* b − δ*(p), its reflection's inverse derivative: where its rate changes, its jump */
};

/* y where the charging side's derivative cost + ρ(L + y − v) + p·η_c is 0, and the discharging side's. */
static double charging_root(const struct slot_cost *h, double p)
{
	return h->vL - (h->cost + p * h->ec) / h->rho;
}

static double discharging_root(const struct slot_cost *h, double p)
{
	return h->vL + (h->cost - p / h->ed) / h->rho;
}

/* What is burnt at y above p_burn: as much as both powers allow. */
static double burnt(const struct slot_cost *h, double y)
{
	return lesser(h->C - greater(y, 0), h->D - greater(-y, 0));
}

/* The state's change when the battery adds y to the net and burns m. */
static double change_of(const struct slot_cost *h, double y, double m)
{
	return h->ec * (greater(y, 0) + m) - (greater(-y, 0) + m) / h->ed;
}

/* The price where a root reaches y: the charging side's, the discharging side's. */
static double charging_price(const struct slot_cost *h, double y)
{
	return (h->rho * (h->vL - y) - h->cost) / h->ec;
}

static double discharging_price(const struct slot_cost *h, double y)
{
	return h->ed * (h->cost - h->rho * (y - h->vL));
}

/*
 * Appends to h's breakpoints a stretch of prices [lo, hi] over which δ*
 * falls at rate r (one at the same price adds to it).
 */
static void add_stretch(struct slot_cost *h, double lo, double hi, double r)
{
	if (!(lo < hi))
		return;
	double at[2] = { lo, hi }, dr[2] = { r, -r };
	for (size_t i = 0; i < 2; i++) {
		struct brk *last = h->n ? &h->brk[h->n - 1] : NULL;
		if (last && last->p == at[i]) {
			last->rate += dr[i];
			if (last->rate == 0 && last->jump == 0)
				h->n--;
		} else {
			h->brk[h->n++] = (struct brk){ at[i], 0, dr[i] };
		}
	}
}

/*
 * Slot t's cost: the changes allowed and the breakpoints of its reflection,
 * in order of price. Below p_burn δ* falls along the charging side's root
 * from y = yhi down to the kink at 0 (or ylo), holds, then along the
 * discharging side's down to ylo; above it, along the discharging side's
 * down to the kink at C − D, then the charging side's: each a stretch of
 * prices, cut at p_burn, where δ* jumps. False when no share y of the net
 * is allowed (the powers and the Worker's limits cross).
 */
static bool slot_cost_of(const struct battqp_problem *p, size_t t, double rho, const double *v, struct slot_cost *h)
{
	double C = p->charge_max[t], D = p->discharge_max[t];
	double ylo = greater(-D, p->net_min - p->base[t]), yhi = lesser(C, p->net_max - p->base[t]);
	if (ylo > yhi) {
		if (ylo - yhi > ROUNDING * greater(1, fabs(ylo)))
			return false;
		ylo = yhi;
	}
	double ec = p->charge_eff, ed = p->discharge_eff, loss = 1 / ed - ec;
	double pb = loss > 0 ? 2 * p->cycle_cost / loss : INFINITY;
	h->vL = v[t] - p->base[t];
	h->rho = rho;
	h->cost = p->cycle_cost;
	h->ec = ec;
	h->ed = ed;
	h->C = C;
	h->D = D;
	h->ylo = ylo;
	h->yhi = yhi;
	h->burn_price = pb;
	h->burn_jump = 0;
	h->n = 0;
	h->b = change_of(h, yhi, 0);
	h->a = change_of(h, ylo, loss > 0 ? burnt(h, ylo) : 0);
	double rc = ec * ec / rho, rd = 1 / (ed * ed * rho), K = C - D;
	add_stretch(h, charging_price(h, yhi), lesser(charging_price(h, greater(ylo, 0)), pb), rc);
	add_stretch(h, discharging_price(h, lesser(yhi, 0)), lesser(discharging_price(h, ylo), pb), rd);
	if (isfinite(pb)) {
		double y = lesser(greater(charging_root(h, pb), ylo), yhi); /* the roots meet there */
		h->burn_jump = burnt(h, y) * loss;
		if (h->burn_jump > 0) {
			if (h->n && h->brk[h->n - 1].p == pb)
				h->brk[h->n - 1].jump += h->burn_jump;
			else
				h->brk[h->n++] = (struct brk){ pb, h->burn_jump, 0 };
		}
		add_stretch(h, greater(discharging_price(h, yhi), pb), discharging_price(h, greater(ylo, K)), rd);
		add_stretch(h, greater(charging_price(h, lesser(yhi, K)), pb), charging_price(h, ylo), rc);
	}
	return true;
}

/* Per slot, what the forward walk needs: its merged function's domain and breakpoints (in the pool), its cost. */
struct stage {
	double x0, len;
	size_t from, n;
	struct slot_cost h;
	double lo, hi; /* certified: the prices after the slot that the rest of the plan allows */
};

/*
 * The thread's workspace: every slot's merged function (the cost to go of
 * the state before it), one after another in the pool; each is built from
 * the one after it, restricted to the state's bounds, in one pass.
 */
struct work {
	struct brk *pool;
	size_t pool_cap;
	struct stage *stages;
	size_t stages_cap;
};

static _Thread_local struct work work;
static _Thread_local size_t holders;

void battdp_hold(void)
{
	holders++;
}

void battdp_let_go(void)
{
	if (holders == 0 || --holders > 0)
		return;
	free(work.pool);
	free(work.stages);
	memset(&work, 0, sizeof work);
}

/*
 * The cost to go: its domain [x0, x0 + len] and breakpoints pool[head, tail),
 * the last stage's restricted in place; what was written over is kept to be
 * put back once the next stage is built from it.
 */
struct dp {
	double x0, len;
	size_t head, tail, used;
	size_t saved_at[3], saved_n;
	struct brk saved[3];
};

static bool within_conditions(const struct battqp_problem *p, double rho, const double *v)
{
	if (!(rho > 0 && isfinite(rho)) ||
	    !(p->charge_eff > 0 && p->charge_eff <= 1 && p->discharge_eff > 0 && p->discharge_eff <= 1) ||
	    !(p->cycle_cost >= 0 && isfinite(p->cycle_cost)) || !isfinite(p->soc0) || !(p->net_min <= p->net_max))
		return false;
	for (size_t t = 0; t < p->slots; t++)
		if (!isfinite(p->base[t]) || !isfinite(v[t]) || !(p->charge_max[t] >= 0 && isfinite(p->charge_max[t])) ||
		    !(p->discharge_max[t] >= 0 && isfinite(p->discharge_max[t])) || !isfinite(p->soc_min[t]) ||
		    !isfinite(p->soc_max[t]))
			return false;
	return true;
}

/*
 * The price at which a function's inverse derivative reaches length cut
 * (0 < cut), scanning its breakpoints b[0, n) upwards: where it falls in
 * a rising stretch, or at a breakpoint's jump. *at is the breakpoint it
 * falls before (in a stretch) or at; *in_jump whether at its jump, *rate
 * the rate there, *rest the jump's length above cut. Returns the price;
 * +∞ when the length is never reached (rounding).
 */
struct reach {
	double p, rate, rest;
	size_t at;
	bool in_jump;
};

static struct reach reach_up(const struct brk *b, size_t n, double cut)
{
	double l = 0, rate = 0, prev = n ? b[0].p : 0;
	for (size_t i = 0; i < n; i++) {
		double r = greater(rate, 0), seg = r * (b[i].p - prev);
		if (seg > 0 && l + seg >= cut) {
			return (struct reach){ lesser(prev + (cut - l) / r, b[i].p), rate, 0, i, false }; /* l + seg rounds */
		}
		l += seg;
		if (l + b[i].jump >= cut)
			return (struct reach){ b[i].p, rate + b[i].rate, l + b[i].jump - cut, i, true };
		l += b[i].jump;
		rate += b[i].rate;
		prev = b[i].p;
	}
	return (struct reach){ INFINITY, 0, 0, n, false };
}

/*
 * The same from the top, where the rate is 0: the price below which the
 * states above have length excess (0 < excess).
 */
static double price_down(const struct brk *b, size_t n, double excess)
{
	double l = 0, above = 0, next = n ? b[n - 1].p : 0;
	for (size_t i = n; i-- > 0;) {
		double r = greater(above, 0), seg = r * (next - b[i].p);
		if (seg > 0 && l + seg >= excess)
			return greater(next - (excess - l) / r, b[i].p);
		l += seg;
		if (l + b[i].jump >= excess)
			return b[i].p;
		l += b[i].jump;
		above -= b[i].rate;
		next = b[i].p;
	}
	return -INFINITY;
}

/*
 * Keeps breakpoint i of the last stage before it is written over (by the
 * restriction, at most twice, and the merge's sentinel); put back in the
 * opposite order, so one kept twice ends as it was.
 */
static void save(struct dp *s, size_t i)
{
	HIVE_ASSERT(s->saved_n < 3);
	s->saved_at[s->saved_n] = i;
	s->saved[s->saved_n++] = work.pool[i];
}

/* Puts back what the restriction wrote over: the last stage's merged function as the forward walk needs it. */
static void restore(struct dp *s)
{
	while (s->saved_n > 0) {
		s->saved_n--;
		work.pool[s->saved_at[s->saved_n]] = s->saved[s->saved_n];
	}
}

/* n breakpoints from to: short runs by hand, where a call to memcpy costs more than the copy. */
static inline void copy(struct brk *to, const struct brk *from, size_t n)
{
	if (n > 4) {
		memcpy(to, from, n * sizeof *to);
		return;
	}
	for (size_t j = 0; j < n; j++)
		to[j] = from[j];
}

/*
 * Slot t's merged function, into the pool after the last (one apart, for a
 * sentinel): the cost to go
 * and the slot's cost reflected (the state before the slot is the state
 * after it less δ). In price their inverse derivatives add, so their
 * breakpoints merge in order of price, two at one price adding up (and
 * dropped when nothing is left of them). Returns how many.
 */
static size_t merge_into(struct dp *s, const struct slot_cost *h)
{
	struct brk *b = work.pool, *out = &work.pool[s->used + 1];
	/* a sentinel after the cost to go's last, above every price: the scans below need no bound */
	if (s->tail < s->used)
		save(s, s->tail);
	b[s->tail].p = INFINITY;
	size_t i = s->head, n = 0;
	for (size_t k = 0; k < h->n; k++) {
		const struct brk *e = &h->brk[k];
		size_t j = i;
		while (b[j].p < e->p) /* a scan of the prices alone, then the block copied at once */
			j++;
		copy(&out[n], &b[i], j - i);
		n += j - i;
		i = j;
		if (i < s->tail && b[i].p == e->p) {
			struct brk sum = { e->p, b[i].jump + e->jump, b[i].rate + e->rate };
			i++;
			if (sum.jump != 0 || sum.rate != 0)
				out[n++] = sum;
		} else {
			out[n++] = *e;
		}
	}
	copy(&out[n], &b[i], s->tail - i);
	n += s->tail - i;
	s->x0 -= h->b;
	s->len += h->b - h->a;
	return n;
}

/*
 * The cost to go restricted to the states [lo, hi]: breakpoints dropped or
 * cut at either end. False when none is left.
 */
static bool restrict_to(struct dp *s, double lo, double hi)
{
	double from = greater(lo, s->x0), to = lesser(hi, s->x0 + s->len);
	if (from > to) {
		if (from - to > ROUNDING * greater(1, greater(fabs(lo), fabs(hi))))
			return false;
		from = to = 0.5 * (from + to);
	}
	double cut = from - s->x0, excess = s->x0 + s->len - to;
	struct brk *b = work.pool;
	s->saved_n = 0;
	s->x0 = from;
	s->len = to - from;
	if (!(s->len > ROUNDING * greater(1, fabs(from)))) {
		s->head = s->tail; /* one state: any price is its marginal cost */
		return true;
	}
	if (cut > 0 && s->tail > s->head) {
		struct reach r = reach_up(&b[s->head], s->tail - s->head, cut);
		size_t i = s->head + r.at;
		if (r.at == s->tail - s->head) {
			s->head = s->tail; /* all of it, to rounding */
		} else if (r.in_jump) {
			save(s, i);
			b[i] = (struct brk){ r.p, r.rest, r.rate };
			s->head = i;
		} else {
			save(s, i - 1);
			b[i - 1] = (struct brk){ r.p, 0, r.rate };
			s->head = i - 1;
		}
	}
	if (excess > 0 && s->tail > s->head) {
		/* downwards from the top, where the rate is 0 */
		double l = 0, above = 0, next = b[s->tail - 1].p;
		size_t i = s->tail, top = s->head; /* the new tail: none left unless a cut is found (rounding) */
		while (i-- > s->head) {
			double r = greater(above, 0), seg = r * (next - b[i].p);
			if (seg > 0 && l + seg >= excess) {
				save(s, i + 1);
				b[i + 1] = (struct brk){ greater(next - (excess - l) / r, b[i].p), 0, -above };
				top = i + 2;
				break;
			}
			l += seg;
			if (l + b[i].jump >= excess) {
				double below = above - b[i].rate;
				save(s, i);
				b[i].jump -= excess - l;
				b[i].rate = -below;
				top = i + 1;
				break;
			}
			l += b[i].jump;
			above -= b[i].rate;
			next = b[i].p;
		}
		s->tail = top;
	}
	return true;
}

/* Backward: every slot's merged function, from the end's cost to go (0 on the last state's bounds). */
static bool backward(const struct battqp_problem *p, double rho, const double *v, struct dp *s)
{
	size_t T = p->slots;
	*s = (struct dp){ .x0 = p->soc_min[T - 1] };
	if (!(p->soc_max[T - 1] >= s->x0))
		return false;
	if (p->soc_max[T - 1] > s->x0) {
		s->len = p->soc_max[T - 1] - s->x0;
		work.pool[s->tail++] = (struct brk){ 0, s->len, 0 };
	}
	s->used = s->tail;
	for (size_t t = T; t-- > 0;) {
		struct stage *st = &work.stages[t];
		if (!slot_cost_of(p, t, rho, v, &st->h))
			return false;
		size_t need = s->used + 1 + (s->tail - s->head) + st->h.n;
		if (work.pool_cap < need) {
			work.pool_cap = 2 * need;
			work.pool = xrealloc(work.pool, work.pool_cap * sizeof *work.pool);
		}
		st->n = merge_into(s, &st->h);
		restore(s);
		st->x0 = s->x0;
		st->len = s->len;
		st->from = s->head = s->used + 1;
		s->tail = s->used = st->from + st->n;
		if (t > 0 && !restrict_to(s, p->soc_min[t - 1], p->soc_max[t - 1]))
			return false;
	}
	return true;
}

/* An interval of prices of a Wh of state. */
struct prices {
	double lo, hi;
};

/*
 * The prices of a Wh of state after slot t for which its plan c, d is the
 * optimum of the slot's own problem, charging and discharging at once
 * allowed:
 *
 *   min cost·(c + d) + ρ/2·(L + c − d − v)² + price·(η_c·c − d/η_d)
 *
 * over the powers and the Worker's limits. In two variables every
 * feasible direction is spanned by ±c, ±d and ±(1, 1) (burning more or
 * less, the net kept), and each that the bounds allow bounds the price on
 * one side: where the cost stops falling along it. Empty (lo > hi) when no
 * price makes the plan the slot's optimum.
 */
static struct prices slot_prices(const struct battqp_problem *p, size_t t, double rho, double v, double c, double d)
{
	double ec = p->charge_eff, ed = p->discharge_eff, k = p->cycle_cost, loss = 1 / ed - ec;
	double x = p->base[t] + c - d, room = ROUNDING * greater(1, greater(fabs(x), greater(c, d)));
	double pull = rho * (x - v), gc = k + pull, gd = k - pull, tol = ROUNDING * (k + fabs(pull)) + rho * room;
	bool c_lo = c <= room, c_hi = c >= p->charge_max[t] - room, d_lo = d <= room, d_hi = d >= p->discharge_max[t] - room;
	bool x_lo = x <= p->net_min + room, x_hi = x >= p->net_max - room;
	struct prices r = { -INFINITY, INFINITY };
	/* the cost changes by gc + η_c·price a Wh charged, by gd − price/η_d a Wh discharged */
	if (!c_hi && !x_hi)
		r.lo = greater(r.lo, (-gc - tol) / ec);
	if (!c_lo && !x_lo)
		r.hi = lesser(r.hi, (-gc + tol) / ec);
	if (!d_hi && !x_lo)
		r.hi = lesser(r.hi, (gd + tol) * ed);
	if (!d_lo && !x_hi)
		r.lo = greater(r.lo, (gd - tol) * ed);
	/* burning a Wh more: 2·cost − loss·price; less: the opposite */
	if (loss > 0 && !c_hi && !d_hi)
		r.hi = lesser(r.hi, (2 * k + tol) / loss);
	if (loss > 0 && !c_lo && !d_lo)
		r.lo = greater(r.lo, (2 * k - tol) / loss);
	if (loss == 0 && !c_lo && !d_lo && 2 * k > tol)
		r.lo = INFINITY; /* lossless: burning only costs */
	return r;
}

/*
 * Whether the plan is the step's optimum, charging and discharging at once
 * allowed: whether prices of a Wh of state after each slot exist that make
 * every slot's plan its own optimum (slot_prices) and that change from a
 * slot to the next only where the state is at a bound (the price after a
 * slot that ends full at least the next one's, after one that ends empty
 * at most), with 0 after the last; and whether it keeps every bound (to
 * rounding). These are the KKT conditions of the whole step: they certify
 * the plan whatever found it. Worked backwards: the prices the rest of the
 * plan allows after each slot.
 */
static bool certified(const struct battqp_problem *p, double rho, const double *v, const double *charge,
                      const double *discharge, const double *soc)
{
	struct prices next = { 0, 0 }; /* after the last slot, more state is worth nothing */
	for (size_t t = p->slots; t-- > 0;) {
		double room = ROUNDING * greater(1, fabs(soc[t])), x = p->base[t] + charge[t] - discharge[t];
		double power_room = ROUNDING * greater(1, greater(charge[t], discharge[t]));
		double net_room = ROUNDING * greater(1, fabs(x));
		if (!(soc[t] >= p->soc_min[t] - room && soc[t] <= p->soc_max[t] + room && charge[t] >= -power_room &&
		      charge[t] <= p->charge_max[t] + power_room && discharge[t] >= -power_room &&
		      discharge[t] <= p->discharge_max[t] + power_room && x >= p->net_min - net_room &&
		      x <= p->net_max + net_room))
			return false; /* a bound broken beyond rounding: not a plan at all */
		bool full = soc[t] >= p->soc_max[t] - room, empty = soc[t] <= p->soc_min[t] + room;
		struct prices allowed = { empty ? -INFINITY : next.lo, full ? INFINITY : next.hi };
		struct prices own = slot_prices(p, t, rho, v[t], charge[t], discharge[t]);
		next.lo = greater(own.lo, allowed.lo);
		next.hi = lesser(own.hi, allowed.hi);
		if (next.lo > next.hi + ROUNDING * (1 + fabs(next.lo)))
			return false;
		work.stages[t].lo = next.lo;
		work.stages[t].hi = greater(next.hi, next.lo); /* crossed by rounding: one price */
	}
	return true;
}

/* x within [lo, hi] (lo ≤ hi), and finite: the nearer finite end, else 0. */
static double finite_within(double x, double lo, double hi)
{
	x = lesser(greater(x, lo), hi);
	return isfinite(x) ? x : isfinite(lo) ? lo : isfinite(hi) ? hi : 0;
}

/*
 * Prices of a Wh of state after each slot that certify the plan (see
 * certified): forwards, each within what the rest allows and moving from
 * the last only as the state's bound lets it, the nearest to the one the
 * walk found (written in price).
 */
static void certifying_prices(const struct battqp_problem *p, const double *soc, double *price)
{
	double last = NAN;
	for (size_t t = 0; t < p->slots; t++) {
		const struct stage *st = &work.stages[t];
		double lo = st->lo, hi = st->hi;
		if (t > 0) {
			double room = ROUNDING * greater(1, fabs(soc[t - 1]));
			bool full = soc[t - 1] >= p->soc_max[t - 1] - room, empty = soc[t - 1] <= p->soc_min[t - 1] + room;
			if (!empty)
				hi = lesser(hi, last); /* after a slot not ending empty, the price falls or holds */
			if (!full)
				lo = greater(lo, last); /* after one not ending full, it rises or holds */
			if (lo > hi)
				lo = hi = last; /* rounding */
		}
		/* the walk's price where it is within them; else an end, a hair inside where there is room (the
		   ends carry the check's tolerance) */
		if (!(price[t] >= lo && price[t] <= hi && isfinite(price[t]))) {
			double in = lesser(0.25 * (hi - lo), 1e-8 * (1 + greater(fabs(lo), fabs(hi))));
			if (isfinite(in) && in > 0) {
				lo += in;
				hi -= in;
			}
		}
		price[t] = last = finite_within(price[t], lo, hi);
	}
}

/*
 * The price at position pos of a stage's merged function (−∞ at its
 * bottom, +∞ at its top), from the nearer end: the state is often at a
 * bound, near one.
 */
static double price_at(const struct stage *st, double pos)
{
	const struct brk *b = &work.pool[st->from];
	if (pos <= 0 || pos >= st->len)
		return pos <= 0 ? -INFINITY : INFINITY;
	return 2 * pos < st->len ? reach_up(b, st->n, pos).p : price_down(b, st->n, st->len - pos);
}

/*
 * What slot t does in the merged function of its stage at position pos of
 * len, at *price (NAN: found there, and written): the battery's share of
 * the net y and what is burnt m. At p_burn, where the jump of δ* may be
 * merged with the cost to go's own at that price (the same battery's later
 * slots), the slot burns only what the rest cannot take: as good as any
 * other split.
 */
static void slot_at(const struct stage *st, double pos, double *price, double *y, double *m)
{
	const struct slot_cost *h = &st->h;
	if (isnan(*price) || *price == h->burn_price)
		*price = price_at(st, pos);
	double p = *price;
	bool burning = p > h->burn_price;
	if (isinf(p)) {
		*y = p < 0 ? h->yhi : h->ylo;
	} else {
		double kink = burning ? h->C - h->D : 0, yc = charging_root(h, p), yd = discharging_root(h, p);
		*y = (burning ? yc < kink : yc > kink) ? yc : (burning ? yd > kink : yd < kink) ? yd : kink;
		*y = lesser(greater(*y, h->ylo), h->yhi);
	}
	*m = burning ? burnt(h, *y) : 0;
	if (p == h->burn_price && h->burn_jump > 0) {
		/* the jumps at p_burn (perhaps several breakpoints there) and the length below them */
		const struct brk *b = &work.pool[st->from];
		double below = 0, total = 0, rate = 0, prev = st->n ? b[0].p : 0;
		for (size_t i = 0; i < st->n && b[i].p <= p; i++) {
			below += greater(rate, 0) * (b[i].p - prev);
			if (b[i].p < p)
				below += b[i].jump;
			else
				total += b[i].jump;
			rate += b[i].rate;
			prev = b[i].p;
		}
		double into = lesser(greater(pos - below, 0), total);
		double share = lesser(greater(into - (total - h->burn_jump), 0), h->burn_jump);
		*m = share / (1 / h->ed - h->ec);
	}
}

/*
 * Forward: the price of a Wh of state after each slot, and each slot's
 * plan at it. Where the state before a slot is strictly within its bounds
 * the price carries over (the cost to go there is the merged function);
 * elsewhere it is found in the slot's merged function. False when the first
 * state is outside what the bounds allow.
 */
static bool forward(const struct battqp_problem *p, double *charge, double *discharge, double *soc, double *prices)
{
	double state = p->soc0, price = NAN;
	for (size_t t = 0; t < p->slots; t++) {
		const struct stage *st = &work.stages[t];
		double pos = state - st->x0, tol = ROUNDING * greater(1, fabs(state));
		if (t == 0 && (pos < -tol || pos - st->len > tol))
			return false; /* the first state is outside what the bounds allow */
		double margin = 1e-6 * greater(1, p->soc_max[t > 0 ? t - 1 : 0] - p->soc_min[t > 0 ? t - 1 : 0]);
		if (t == 0 || state <= p->soc_min[t - 1] + margin || state >= p->soc_max[t - 1] - margin)
			price = NAN;
		double y, m;
		slot_at(st, pos, &price, &y, &m);
		if (prices)
			prices[t] = price;
		charge[t] = greater(y, 0) + m;
		discharge[t] = greater(-y, 0) + m;
		state += p->charge_eff * charge[t] - discharge[t] / p->discharge_eff;
		soc[t] = state;
	}
	return true;
}

int battdp_solve(const struct battqp_problem *p, double rho, const double *v, double *charge, double *discharge,
                 double *soc)
{
	return battdp_solve_priced(p, rho, v, charge, discharge, soc, NULL);
}

int battdp_solve_priced(const struct battqp_problem *p, double rho, const double *v, double *charge,
                        double *discharge, double *soc, double *price)
{
	size_t T = p->slots;
	if (T == 0 || !within_conditions(p, rho, v))
		return -1;
	if (work.pool_cap < SLOT_BREAKS * T + 2) {
		work.pool_cap = 4 * (SLOT_BREAKS * T + 2);
		work.pool = xrealloc(work.pool, work.pool_cap * sizeof *work.pool);
	}
	if (work.stages_cap < T) {
		work.stages_cap = T;
		work.stages = xrealloc(work.stages, T * sizeof *work.stages);
	}
	struct dp s;
	if (!backward(p, rho, v, &s) || !forward(p, charge, discharge, soc, price) ||
	    !certified(p, rho, v, charge, discharge, soc))
		return -1;
	if (price)
		certifying_prices(p, soc, price);
	return 0;
}
