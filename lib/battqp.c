/* battqp.c — one battery's ADMM step by an interior-point method with banded Newton systems (see battqp.h). */
#include "battqp.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "lesser.h"

/* In the scaled problem (see set_up): energies are about 1. */
#define MAX_ITERATIONS 40         /* they take 5 to 25 */
#define TOL_PRIMAL 1e-12          /* the largest residual of an equation */
#define TOL_DUAL 1e-10            /* the largest residual of stationarity, relative to 1 + the largest cost */
#define TOL_GAP 1e-17             /* the complementarity summed, relative to 1 + the objective, when polishing
                                     did not succeed (see polish) */
#define TOL_GAP_POLISH 1e-8       /* the same, to try polishing */
#define POLISHES 3                /* tries, at successive iterations */
#define POLISH_STEPS 3            /* Newton steps of one */
#define ACTIVE_SET_STEPS 16       /* primal–dual active-set steps a warm start tries before the interior point */
#define POLISH_RESIDUAL 1e-13     /* the largest residual of a polished point */
#define PIN_RESIDUAL 1e-8         /* the warm path's: a point this near tells a changed active set (see lean_solve) */
#define POLISH_BOUND 1e-12        /* how far a freed value may be beyond its bound (then put on it) */
#define FIXED_WIDTH 1e-12         /* a range this narrow is a fixed value */
#define REG_PRIMAL 1e-9           /* a proximal term in each Newton system: H⁻¹ stays below 1e9, so that the
                                     normal equations keep their precision where charge and discharge are both
                                     free (efficiencies of 1); the residuals are the problem's, so the point the
                                     iterations converge to is the problem's optimum */
#define REG_DUAL 1e-13            /* the same for the equations: one with no free variable still has a pivot */
#define HUGE_PIVOT 1e128          /* a pivot lost to cancellation: its multiplier's step is 0 */
#define STEP_FRACTION 0.995       /* of the longest step that keeps slacks and duals positive, */
#define STEP_FRACTION_LAST 0.9999 /* up to this near the optimum */
#define INITIAL_DUAL 0.1          /* the bounds' duals at a cold start: about the objective's gradients */
#define WARM_SLACK 1e-2           /* a warm start's least slack of a bound, */
#define WARM_DUAL 1e-3            /* and least dual */
#define NEIGHBOURHOOD 1e-5        /* the least product of a slack and its dual, relative to their mean */
#define CENTERING 0.5             /* σ of a step back towards the central path */
#define INERT_SLACK 1e150         /* the slack of an absent bound: its dual stays 0 and it never limits a step */

/*
 * One variable: the problem's data, the iterate and the Newton direction.
 * An absent bound, or both bounds of a fixed value, has mask 0, slack
 * INERT_SLACK and dual 0, so that every formula below holds for it without
 * a branch.
 */
struct variable {
	double lo, hi;
	double free, mlo, mhi; /* 1 or 0: the variable may move; its lower, upper bound is present */
	double q, g;           /* its Hessian (diagonal) and linear cost */
	double z, wl, wu;      /* its value and the slacks of its bounds, kept apart for their precision */
	double ll, lu;         /* the bounds' duals */
	double iwl, iwu, hinv; /* 1/slacks (0 where absent), H⁻¹ (0 where fixed) */
	double rd, h;          /* stationarity's residual, the Newton system's right side */
	double rl, ru;         /* the complementarity targets */
	double dz, dll, dlu;   /* the direction */
	double hinv_h;         /* H⁻¹·h, for the normal equations' right side */
	double z_ipm;          /* the interior point's value, while polishing */
	int pin;               /* polishing: NONE, or the bound it is held at (LOWER, UPPER), or FIXED */
};

enum { NONE, LOWER, UPPER, FIXED };

enum { C, D, S, X, KINDS }; /* a slot's variables: charge, discharge, state of charge, net */

/* One slot: its variables, its two equations (the state's, the net's) and their factors. */
struct slot {
	struct variable v[KINDS];
	double b_state, b_net;   /* right sides */
	double y_state, y_net;   /* multipliers */
	double rp_state, rp_net; /* residuals */
	double dy_state, dy_net; /* the direction */
	double inv_net, couple, l, inv_pivot; /* the factors (see factor_slot) */
	double y_ipm_state, y_ipm_net;        /* the interior point's multipliers, while polishing */
};

/* The warm path's slot (see lean_solve): its bounds, iterate, residuals and factors. */
struct lean {
	double lo[KINDS], hi[KINDS], z[KINDS];
	double g_x, b_net;                /* the net's linear cost and the net equation's right side */
	double hinv[KINDS], rd[KINDS], hinv_h[KINDS];
	double y_state, y_net;
	double fw_state, fw_net;          /* the forward substitution's values */
	double inv_net, couple, l, inv_pivot;
	unsigned char pin[KINDS];
};

/*
 * The workspace of a solve: the scaled problem, the iterate and its factors,
 * about 0.9 KB a slot. One per thread, shared by that thread's problems (see
 * struct battqp): a hive's Workers step in turn, so one serves them all
 * (190 → 115 MB for 1,000 Workers; the time was the same).
 */
struct work {
	size_t cap;       /* slots the workspace holds */
	size_t T;         /* this problem's */
	double scale;     /* Wh per unit of the scaled problem */
	double eta_c, inv_eta_d;
	double nbounds;   /* bounds present: the complementarity pairs */
	double gmax;      /* the largest linear cost */
	double half_v2;   /* ½‖v‖², scaled: the objective's constant */
	int iterations;
	bool polished;    /* the solve ended polished: every variable's pin is its active bound */
	double cycle;     /* the scaled cost of a unit of charge or discharge (the warm path's) */
	struct slot *slot;
	struct lean *lean; /* the warm path's compact problem */
};

/*
 * A problem's memory between solves: what a warm start takes from the last
 * solution (values, the bounds' duals, the equations' multipliers and the
 * active bounds), about 0.1 KB a slot.
 */
struct battqp {
	size_t cap;       /* slots it holds */
	size_t T;         /* the last solution's */
	double rho;       /* its ρ */
	int iterations;
	bool solved;      /* it holds the last problem's solution: a warm start for the next */
	bool polished;    /* that solve ended polished: pin holds its active bounds */
	bool from_active; /* it was its predecessor's active set, polished (no interior point) */
	double *z, *ll, *lu;  /* KINDS·T: per slot and variable, in the scaled units of that solve */
	double *y;            /* 2T: per slot, the state's and the net's multipliers */
	unsigned char *pin;   /* KINDS·T: its active bounds (NONE, LOWER, UPPER), when polished */
};

/* The thread's workspace, and the problems using it (it goes with the last). */
static _Thread_local struct work *shared;
static _Thread_local size_t sharers;

struct battqp *battqp_new(size_t slots)
{
	struct battqp *m = xcalloc(1, sizeof *m);
	size_t n = slots ? slots : 1;
	m->cap = slots;
	m->z = xcalloc(3 * KINDS * n, sizeof *m->z);
	m->ll = m->z + KINDS * n;
	m->lu = m->ll + KINDS * n;
	m->y = xcalloc(2 * n, sizeof *m->y);
	m->pin = xcalloc(KINDS * n, sizeof *m->pin);
	if (!shared)
		shared = xcalloc(1, sizeof *shared);
	if (shared->cap < n) {
		free(shared->slot);
		free(shared->lean);
		shared->slot = xcalloc(n, sizeof *shared->slot);
		shared->lean = xcalloc(n, sizeof *shared->lean);
		shared->cap = n;
	}
	sharers++;
	return m;
}

void battqp_free(struct battqp *m)
{
	if (!m)
		return;
	free(m->z);
	free(m->y);
	free(m->pin);
	free(m);
	if (--sharers == 0) {
		free(shared->slot);
		free(shared->lean);
		free(shared);
		shared = NULL;
	}
}

int battqp_iterations(const struct battqp *m)
{
	return m->iterations;
}

bool battqp_kept_active_set(const struct battqp *m)
{
	return m->from_active;
}

/* The last solution into the workspace, for a warm start. */
static void recall(struct work *w, const struct battqp *m)
{
	for (size_t t = 0; t < m->T; t++) {
		struct slot *sl = &w->slot[t];
		for (size_t k = 0; k < KINDS; k++) {
			sl->v[k].z = m->z[t * KINDS + k];
			sl->v[k].ll = m->ll[t * KINDS + k];
			sl->v[k].lu = m->lu[t * KINDS + k];
		}
		sl->y_state = m->y[2 * t];
		sl->y_net = m->y[2 * t + 1];
	}
}

/* The workspace's solution into the problem's memory (its active bounds when it is polished). */
static void remember(struct battqp *m, const struct work *w)
{
	m->T = w->T;
	for (size_t t = 0; t < w->T; t++) {
		const struct slot *sl = &w->slot[t];
		for (size_t k = 0; k < KINDS; k++) {
			m->z[t * KINDS + k] = sl->v[k].z;
			m->ll[t * KINDS + k] = sl->v[k].ll;
			m->lu[t * KINDS + k] = sl->v[k].lu;
			if (w->polished)
				m->pin[t * KINDS + k] = (unsigned char)sl->v[k].pin;
		}
		m->y[2 * t] = sl->y_state;
		m->y[2 * t + 1] = sl->y_net;
	}
	m->polished = w->polished;
}

/*
 * The efficiencies the equations hold, passed by value into the sweeps: read
 * through the workspace's pointer, they were loaded again after every store
 * to a slot (which the compiler cannot tell from them).
 */
struct eff {
	double eta_c, inv_eta_d;
};

static inline struct eff eff_of(const struct work *w)
{
	return (struct eff){ w->eta_c, w->inv_eta_d };
}

/* A slot's two equations applied to values of its variables (s_before: the state's in the slot before, 0 for the first). */
static inline void apply_a_slot(struct eff e, double c, double d, double s, double s_before, double x, double *state,
                                double *net)
{
	*state = s - s_before - e.eta_c * c + e.inv_eta_d * d;
	*net = x - c + d;
}

/* (Aᵀ·y) at slot t's c, d, s, x, for the multipliers y (y_next: the next slot's state equation's, 0 after the last). */
static inline void apply_at_slot(struct eff e, double y_state, double y_net, double y_next, double out[KINDS])
{
	out[C] = -e.eta_c * y_state - y_net;
	out[D] = e.inv_eta_d * y_state + y_net;
	out[S] = y_state - y_next;
	out[X] = y_net;
}

static double largest_magnitude(const double *a, size_t n, double start)
{
	for (size_t i = 0; i < n; i++)
		if (isfinite(a[i]))
			start = greater(start, fabs(a[i]));
	return start;
}

/* The unit of the scaled problem: its largest finite energy, so that the scaled values are about 1. */
double battqp_scale(const struct battqp_problem *p)
{
	size_t T = p->slots;
	double e = greater(1, fabs(p->soc0));
	e = largest_magnitude(p->charge_max, T, e);
	e = largest_magnitude(p->discharge_max, T, e);
	e = largest_magnitude(p->soc_min, T, e);
	e = largest_magnitude(p->soc_max, T, e);
	e = largest_magnitude(p->base, T, e);
	if (isfinite(p->net_min))
		e = greater(e, fabs(p->net_min));
	if (isfinite(p->net_max))
		e = greater(e, fabs(p->net_max));
	return e;
}

/* The scale a solve uses: the caller's when it keeps one. */
static double energy_scale(const struct battqp_problem *p)
{
	return p->scale > 0 ? p->scale : battqp_scale(p);
}

/* Slot t's scaled bounds of c, d, s and x (inv_E: 1 over the scale; infinite where absent). */
static void slot_bounds(const struct battqp_problem *p, size_t t, double inv_E, double lo[KINDS], double hi[KINDS])
{
	lo[C] = lo[D] = 0;
	hi[C] = p->charge_max[t] * inv_E;
	hi[D] = p->discharge_max[t] * inv_E;
	lo[S] = p->soc_min[t] * inv_E;
	hi[S] = p->soc_max[t] * inv_E;
	lo[X] = p->net_min * inv_E;
	hi[X] = p->net_max * inv_E;
}

/* Whether a variable's bounds hold it to one value (never with a bound absent: its width is infinite). */
static inline bool fixed_between(double lo, double hi)
{
	return hi - lo <= FIXED_WIDTH;
}

/* One variable's scaled bounds and costs; false when its bounds cross. */
static bool set_variable(struct variable *x, double lo, double hi, double q, double g)
{
	if (!(lo <= hi) || !isfinite(g))
		return false;
	bool has_lo = isfinite(lo), has_hi = isfinite(hi), fixed = fixed_between(lo, hi);
	x->lo = lo;
	x->hi = hi;
	x->free = !fixed;
	x->mlo = has_lo && !fixed;
	x->mhi = has_hi && !fixed;
	x->q = q;
	x->g = g;
	return true;
}

/*
 * The scaled problem: energies divided by the scale E, the objective by
 * ρ·E², so that it reads ½‖x − v‖² + cost/(ρ·E)·Σ(c + d).
 */
static bool set_up(struct work *w, const struct battqp_problem *p, double rho, const double *v)
{
	size_t T = p->slots;
	double E = energy_scale(p), inv_E = 1 / E, k = p->cycle_cost / (rho * E);
	w->T = T;
	w->scale = E;
	w->eta_c = p->charge_eff;
	w->inv_eta_d = 1 / p->discharge_eff;
	w->nbounds = w->gmax = w->half_v2 = 0;
	bool ok = isfinite(E) && p->charge_eff > 0 && p->discharge_eff > 0;
	for (size_t t = 0; t < T; t++) {
		struct slot *sl = &w->slot[t];
		double lo[KINDS], hi[KINDS];
		slot_bounds(p, t, inv_E, lo, hi);
		ok &= set_variable(&sl->v[C], lo[C], hi[C], 0, k);
		ok &= set_variable(&sl->v[D], lo[D], hi[D], 0, k);
		ok &= set_variable(&sl->v[S], lo[S], hi[S], 0, 0);
		ok &= set_variable(&sl->v[X], lo[X], hi[X], 1, -v[t] / E);
		sl->b_state = t == 0 ? p->soc0 / E : 0;
		sl->b_net = p->base[t] / E;
		w->half_v2 += v[t] / E * (v[t] / E) / 2;
		for (size_t kind = 0; kind < KINDS; kind++) {
			w->nbounds += sl->v[kind].mlo + sl->v[kind].mhi;
			w->gmax = greater(w->gmax, fabs(sl->v[kind].g));
		}
	}
	return ok;
}

/* A cold start: each variable inside its range (its middle, or a unit in from its one bound). */
static void start_variable(struct variable *x)
{
	double want = x->q > 0 ? -x->g / x->q : 0; /* the unconstrained minimiser, where there is one */
	if (x->free == 0)
		x->z = x->lo;
	else if (x->mlo != 0 && x->mhi != 0)
		x->z = x->lo + (x->hi - x->lo) / 2;
	else if (x->mlo != 0)
		x->z = greater(x->lo + 1, want);
	else if (x->mhi != 0)
		x->z = lesser(x->hi - 1, want);
	else
		x->z = want;
	x->wl = x->mlo != 0 ? x->z - x->lo : INERT_SLACK;
	x->wu = x->mhi != 0 ? x->hi - x->z : INERT_SLACK;
	x->ll = x->mlo * INITIAL_DUAL;
	x->lu = x->mhi * INITIAL_DUAL;
	x->dz = x->dll = x->dlu = 0;
}

/*
 * A warm start from the last solution, whose ρ was dual_ratio times this
 * one's (the scaled duals are in units of ρ): each variable at least
 * WARM_SLACK inside its bounds, each dual at least WARM_DUAL, so that the
 * method starts near the central path rather than on a bound.
 */
static void warm_variable(struct variable *x, double dual_ratio)
{
	double th = WARM_SLACK;
	if (x->free == 0)
		x->z = x->lo;
	else if (x->mlo != 0 && x->mhi != 0) {
		th = lesser(th, (x->hi - x->lo) / 4);
		x->z = greater(x->lo + th, lesser(x->hi - th, x->z));
	} else if (x->mlo != 0)
		x->z = greater(x->lo + th, x->z);
	else if (x->mhi != 0)
		x->z = lesser(x->hi - th, x->z);
	x->wl = x->mlo != 0 ? x->z - x->lo : INERT_SLACK;
	x->wu = x->mhi != 0 ? x->hi - x->z : INERT_SLACK;
	x->ll = x->mlo * greater(WARM_DUAL, x->ll * dual_ratio);
	x->lu = x->mhi * greater(WARM_DUAL, x->lu * dual_ratio);
	x->dz = x->dll = x->dlu = 0;
}

static void warm_point(struct work *w, double dual_ratio)
{
	for (size_t t = 0; t < w->T; t++) {
		for (size_t k = 0; k < KINDS; k++)
			warm_variable(&w->slot[t].v[k], dual_ratio);
		w->slot[t].y_state *= dual_ratio;
		w->slot[t].y_net *= dual_ratio;
		w->slot[t].dy_state = w->slot[t].dy_net = 0;
	}
}

static void initial_point(struct work *w)
{
	for (size_t t = 0; t < w->T; t++) {
		for (size_t k = 0; k < KINDS; k++)
			start_variable(&w->slot[t].v[k]);
		w->slot[t].y_state = w->slot[t].y_net = w->slot[t].dy_state = w->slot[t].dy_net = 0;
	}
}

/* The mean complementarity of the iterate moved by alpha along the direction (alpha 0: the iterate's). */
static double complementarity(const struct work *w, double alpha)
{
	if (w->nbounds == 0)
		return 0;
	double sum = 0;
	for (size_t t = 0; t < w->T; t++)
		for (size_t k = 0; k < KINDS; k++) {
			const struct variable *x = &w->slot[t].v[k];
			sum += (x->wl + alpha * x->dz) * (x->ll + alpha * x->dll) +
			       (x->wu - alpha * x->dz) * (x->lu + alpha * x->dlu);
		}
	return sum / w->nbounds;
}

/*
 * Whether a step of a along the direction keeps the iterate near the
 * central path and lowers the complementarity enough: no product of a
 * bound's slack and dual below gamma times their mean, the mean at most
 * (1 − a/100)·mu.
 */
static bool acceptable(const struct work *w, double a, double mu, double gamma)
{
	double sum = 0, least = INFINITY;
	for (size_t t = 0; t < w->T; t++)
		for (size_t k = 0; k < KINDS; k++) {
			const struct variable *x = &w->slot[t].v[k];
			double lo = (x->wl + a * x->dz) * (x->ll + a * x->dll), hi = (x->wu - a * x->dz) * (x->lu + a * x->dlu);
			sum += lo + hi;
			least = lesser(least, lesser(x->mlo != 0 ? lo : INFINITY, x->mhi != 0 ? hi : INFINITY));
		}
	double mean = w->nbounds > 0 ? sum / w->nbounds : 0;
	return mean <= (1 - a / 100) * mu && least >= gamma * mean;
}

/* How far the iterate is from optimal: the largest residuals, the mean complementarity, the objective. */
struct progress {
	double primal, dual, mu, objective;
	double centrality; /* the least product of a bound's slack and dual, over their mean */
};

static bool converged(const struct work *w, const struct progress *pr, double tol_gap)
{
	return pr->primal <= TOL_PRIMAL && pr->dual <= TOL_DUAL * (1 + w->gmax) &&
	       pr->mu * w->nbounds <= tol_gap * (1 + fabs(pr->objective));
}

/* A variable's 1/slacks (0 where absent) and H⁻¹ of H = Q + λ_lo/w_lo + λ_hi/w_hi (0 where fixed: it never moves). */
static inline double barrier_inverse(struct variable *x)
{
	x->iwl = x->mlo / x->wl;
	x->iwu = x->mhi / x->wu;
	return x->hinv = x->free / (REG_PRIMAL + x->q + x->ll * x->iwl + x->lu * x->iwu);
}

/*
 * Factors the normal equations A·H⁻¹·Aᵀ, H the Hessian and the barrier's
 * terms (diagonal). Slot t's net equation shares variables only with its
 * state equation, so eliminating it first (its pivot is its diagonal:
 * nothing before it fills it) leaves a tridiagonal system in the state
 * equations, chained by s_{t−1}, factored as L·D·Lᵀ:
 *
 *   net:      N_t = h_x + h_c + h_d,  coupling C_t = η_c·h_c + h_d/η_d
 *   state:    S_t = h_s(t) + h_s(t−1) + η_c²·h_c + h_d/η_d² − C_t²/N_t,  off-diagonal −h_s(t−1)
 *
 * with h = H⁻¹ (in each variable's hinv): slot by slot, given the slot
 * before's h_s and 1/pivot. One division per slot is on the chain. A pivot
 * lost to cancellation is made huge, so that its multiplier does not move.
 */
static inline void factor(struct eff e, const double hinv[KINDS], double *hs_before, double *inv_pivot_before,
                          double *inv_net, double *couple, double *l, double *inv_pivot)
{
	double ec = e.eta_c, ed = e.inv_eta_d;
	double hc = hinv[C], hd = hinv[D], hs = hinv[S], hx = hinv[X];
	*inv_net = 1 / (REG_DUAL + hx + hc + hd);
	*couple = ec * hc + ed * hd;
	double diag = REG_DUAL + hs + *hs_before + ec * ec * hc + ed * ed * hd;
	*l = -*hs_before * *inv_pivot_before;
	double pivot = diag - *couple * *couple * *inv_net + *l * *hs_before;
	*inv_pivot = *inv_pivot_before = pivot > 1e-15 * diag ? 1 / pivot : 1 / HUGE_PIVOT;
	*hs_before = hs;
}

static void factor_slot(struct work *w, struct slot *sl, double *hs_before, double *inv_pivot_before)
{
	double hinv[KINDS] = { sl->v[C].hinv, sl->v[D].hinv, sl->v[S].hinv, sl->v[X].hinv };
	factor(eff_of(w), hinv, hs_before, inv_pivot_before, &sl->inv_net, &sl->couple, &sl->l, &sl->inv_pivot);
}

/*
 * A variable's complementarity targets, σμ: 0 for the predictor, and for
 * Mehrotra's corrector less the second-order term of the predictor's
 * direction (still in dz, dll, dlu); and the right side of its row of
 * H·dz − Aᵀ·dy = h, the bounds' duals eliminated. Returns H⁻¹·h.
 */
static inline double right_side(struct variable *x, bool second_order, double sigma_mu)
{
	x->rl = sigma_mu - x->wl * x->ll;
	x->ru = sigma_mu - x->wu * x->lu;
	if (second_order) {
		x->rl -= x->dz * x->dll;
		x->ru += x->dz * x->dlu;
	}
	x->h = x->free * (-x->rd + x->rl * x->iwl - x->ru * x->iwu);
	return x->hinv_h = x->hinv * x->h;
}

/*
 * A variable's step, given (Aᵀ·dy) there: dz = H⁻¹·(h + Aᵀ·dy), and its
 * bounds' duals'; returns the longest step along them that keeps its
 * slacks and duals ≥ 0, if shorter than a (a ratio is taken only where a
 * step of a would cross).
 */
static inline double variable_step(struct variable *x, double aty, double a)
{
	x->dz = x->hinv * (x->h + aty);
	x->dll = (x->rl - x->ll * x->dz) * x->iwl;
	x->dlu = (x->ru + x->lu * x->dz) * x->iwu;
	if (x->wl + a * x->dz < 0)
		a = -x->wl / x->dz;
	if (x->wu - a * x->dz < 0)
		a = x->wu / x->dz;
	if (x->ll + a * x->dll < 0)
		a = -x->ll / x->dll;
	if (x->lu + a * x->dlu < 0)
		a = -x->lu / x->dlu;
	return a;
}

/*
 * The Newton direction: with the bounds' duals eliminated, H·dz − Aᵀ·dy = h
 * and A·dz = rp, so A·H⁻¹·Aᵀ·dy = rp − A·H⁻¹·h. Forward through the slots:
 * the right sides, and the factors' forward substitution (each net
 * equation eliminated into its state equation, then L⁻¹); backward: D⁻¹
 * and L⁻ᵀ, each net equation's multiplier, and the slot's step. Returns
 * the longest step, up to cap, that keeps slacks and duals ≥ 0.
 */
static double newton_direction(struct work *w, bool second_order, double sigma_mu, double cap)
{
	const struct eff e = eff_of(w);
	double u_before = 0;
	for (size_t t = 0; t < w->T; t++) {
		struct slot *sl = &w->slot[t];
		for (size_t k = 0; k < KINDS; k++)
			right_side(&sl->v[k], second_order, sigma_mu);
		double state, net, s_before = t ? w->slot[t - 1].v[S].hinv_h : 0;
		const struct variable *v = sl->v;
		apply_a_slot(e, v[C].hinv_h, v[D].hinv_h, v[S].hinv_h, s_before, v[X].hinv_h, &state, &net);
		sl->dy_net = sl->rp_net - net;
		sl->dy_state = u_before = sl->rp_state - state - sl->couple * sl->inv_net * sl->dy_net - sl->l * u_before;
	}
	double y_after = 0, l_after = 0, a = cap;
	for (size_t t = w->T; t-- > 0;) {
		struct slot *sl = &w->slot[t];
		double aty[KINDS], y_next = y_after;
		sl->dy_state = y_after = sl->dy_state * sl->inv_pivot - l_after * y_after;
		sl->dy_net = sl->inv_net * (sl->dy_net - sl->couple * sl->dy_state);
		l_after = sl->l;
		apply_at_slot(e, sl->dy_state, sl->dy_net, y_next, aty);
		/* spelled out per variable: a loop kept aty on the stack */
		a = variable_step(&sl->v[C], aty[C], a);
		a = variable_step(&sl->v[D], aty[D], a);
		a = variable_step(&sl->v[S], aty[S], a);
		a = variable_step(&sl->v[X], aty[X], a);
	}
	return a;
}

/* Moves a variable by alpha along the direction. */
static inline void move_variable(struct variable *x, double alpha)
{
	x->z += alpha * x->dz;
	x->wl += alpha * x->dz;
	x->wu -= alpha * x->dz;
	x->ll += alpha * x->dll;
	x->lu += alpha * x->dlu;
}

/*
 * A variable's stationarity residual rd (aty: its (Aᵀ·y)), its terms of the
 * progress, and least lowered to its least product of a slack and its dual.
 */
static inline double measure_variable(struct variable *x, double aty, struct progress *pr, double least)
{
	x->rd = x->free * (x->q * x->z + x->g - aty - x->ll + x->lu);
	pr->dual = greater(pr->dual, fabs(x->rd));
	pr->objective += (x->q / 2 * x->z + x->g) * x->z;
	pr->mu += x->wl * x->ll + x->wu * x->lu;
	return lesser(least, lesser(x->mlo != 0 ? x->wl * x->ll : INFINITY, x->mhi != 0 ? x->wu * x->lu : INFINITY));
}

/*
 * One sweep through the slots: the step of alpha along the direction (0
 * at the start), the residuals rp = b − A·z and rd = Q·z + g − Aᵀ·y −
 * λ_lo + λ_hi (0 for a fixed value, whose multiplier takes up whatever is
 * left), and the factors of the next Newton system. The objective includes
 * the constant ½‖v‖², so that it is ≥ 0 with a cost ≥ 0.
 */
static struct progress step_and_measure(struct work *w, double alpha)
{
	const struct eff e = eff_of(w);
	struct progress pr = { 0, 0, 0, w->half_v2, 0 };
	double least = INFINITY;
	for (size_t t = 0; t < w->T; t++) { /* the multipliers first: stationarity at slot t needs slot t + 1's */
		w->slot[t].y_state += alpha * w->slot[t].dy_state;
		w->slot[t].y_net += alpha * w->slot[t].dy_net;
	}
	double hs_before = 0, inv_pivot_before = 0, s_before = 0;
	for (size_t t = 0; t < w->T; t++) {
		struct slot *sl = &w->slot[t];
		struct variable *v = sl->v;
		double state, net, aty[KINDS];
		for (size_t k = 0; k < KINDS; k++)
			move_variable(&v[k], alpha);
		apply_a_slot(e, v[C].z, v[D].z, v[S].z, s_before, v[X].z, &state, &net);
		s_before = v[S].z;
		sl->rp_state = sl->b_state - state;
		sl->rp_net = sl->b_net - net;
		pr.primal = greater(pr.primal, greater(fabs(sl->rp_state), fabs(sl->rp_net)));
		apply_at_slot(e, sl->y_state, sl->y_net, t + 1 < w->T ? w->slot[t + 1].y_state : 0, aty);
		/* spelled out per variable: a loop kept aty on the stack */
		least = measure_variable(&v[C], aty[C], &pr, least);
		least = measure_variable(&v[D], aty[D], &pr, least);
		least = measure_variable(&v[S], aty[S], &pr, least);
		least = measure_variable(&v[X], aty[X], &pr, least);
		for (size_t k = 0; k < KINDS; k++) /* the factors in the same sweep: slot t's need only slot t − 1's */
			barrier_inverse(&v[k]);
		factor_slot(w, sl, &hs_before, &inv_pivot_before);
	}
	pr.mu = w->nbounds > 0 ? pr.mu / w->nbounds : 0;
	pr.centrality = pr.mu > 0 ? least / pr.mu : 1;
	return pr;
}

/*
 * Polishing. The bounds the iterate is nearly on (slack below dual) are
 * taken as the active ones: holding those variables at their bounds and
 * freeing the rest leaves a problem with equations only, solved by a few
 * Newton steps (H regularised as in the iterations; the residuals are the
 * problem's, so the solution is). Its solution is the exact optimum when
 * every freed variable stays within its bounds and every held one's
 * multiplier has the sign of its bound; then it replaces the iterate,
 * whose values it has to rounding rather than to the interior point's
 * tolerance (which leaves a degenerate optimum, one with a bound active
 * and its multiplier 0, only to the square root of the gap).
 */
static void pin_variable(struct variable *x)
{
	x->z_ipm = x->z;
	x->pin = x->free == 0 ? FIXED : x->mlo != 0 && x->wl < x->ll ? LOWER : x->mhi != 0 && x->wu < x->lu ? UPPER : NONE;
	if (x->pin == LOWER || x->pin == UPPER)
		x->z = x->pin == LOWER ? x->lo : x->hi;
	x->hinv = x->pin == NONE ? 1 / (REG_PRIMAL + x->q) : 0;
	x->iwl = x->iwu = 0; /* no barrier: the right side is −rd alone */
}

/* rp = b − A·z and, for the freed variables, rd = Q·z + g − Aᵀ·y; returns the largest of both. */
static double polish_residuals(struct work *w)
{
	const struct eff e = eff_of(w);
	double worst = 0, s_before = 0;
	for (size_t t = 0; t < w->T; t++) {
		struct slot *sl = &w->slot[t];
		struct variable *v = sl->v;
		double state, net, aty[KINDS];
		apply_a_slot(e, v[C].z, v[D].z, v[S].z, s_before, v[X].z, &state, &net);
		s_before = v[S].z;
		sl->rp_state = sl->b_state - state;
		sl->rp_net = sl->b_net - net;
		worst = greater(worst, greater(fabs(sl->rp_state), fabs(sl->rp_net)));
		apply_at_slot(e, sl->y_state, sl->y_net, t + 1 < w->T ? w->slot[t + 1].y_state : 0, aty);
		for (size_t k = 0; k < KINDS; k++) {
			struct variable *x = &v[k];
			x->rd = x->q * x->z + x->g - aty[k]; /* for a held variable: its bound's multiplier */
			if (x->pin == NONE)
				worst = greater(worst, fabs(x->rd));
		}
	}
	return worst;
}

/*
 * The bound a variable held at pin (with value z within lo and hi, and rd
 * its stationarity's residual: a held one's multiplier) should be held at
 * next (a primal–dual active-set step): a freed value beyond a bound is
 * held at it, a held one whose multiplier has the wrong sign is freed. The
 * pinned point is optimal when every variable keeps its pin.
 */
static inline int next_pin(int pin, double z, double lo, double hi, double rd, double dual_tol)
{
	if (pin == NONE && z < lo - POLISH_BOUND)
		return LOWER;
	if (pin == NONE && z > hi + POLISH_BOUND)
		return UPPER;
	if ((pin == LOWER && rd < -dual_tol) || (pin == UPPER && rd > dual_tol))
		return NONE;
	return pin;
}

/* Whether the polished point is optimal: freed values within their bounds, held ones' multipliers of the right sign. */
static bool polished_optimal(const struct work *w)
{
	double dual_tol = TOL_DUAL * (1 + w->gmax);
	for (size_t t = 0; t < w->T; t++)
		for (size_t k = 0; k < KINDS; k++) {
			const struct variable *x = &w->slot[t].v[k];
			if (next_pin(x->pin, x->z, x->lo, x->hi, x->rd, dual_tol) != x->pin)
				return false;
		}
	return true;
}

/* Puts the interior point back, and its residuals and factors. */
static void unpolish(struct work *w)
{
	for (size_t t = 0; t < w->T; t++) {
		struct slot *sl = &w->slot[t];
		for (size_t k = 0; k < KINDS; k++) {
			sl->v[k].z = sl->v[k].z_ipm;
			sl->v[k].dz = sl->v[k].dll = sl->v[k].dlu = 0;
		}
		sl->y_state = sl->y_ipm_state;
		sl->y_net = sl->y_ipm_net;
		sl->dy_state = sl->dy_net = 0;
	}
}

static bool solve_pinned(struct work *w);

static bool polish(struct work *w)
{
	double hs_before = 0, inv_pivot_before = 0;
	for (size_t t = 0; t < w->T; t++) {
		struct slot *sl = &w->slot[t];
		for (size_t k = 0; k < KINDS; k++)
			pin_variable(&sl->v[k]);
		sl->y_ipm_state = sl->y_state;
		sl->y_ipm_net = sl->y_net;
		factor_slot(w, sl, &hs_before, &inv_pivot_before);
	}
	if (solve_pinned(w))
		return true;
	unpolish(w);
	return false;
}

/*
 * The variables pinned and the factors made: Newton steps on the equations,
 * then the optimality check; true (the values put within their bounds) when
 * the pinned point is the optimum.
 */
static bool solve_pinned(struct work *w)
{
	double residual = polish_residuals(w);
	for (int k = 0; k < POLISH_STEPS && residual > POLISH_RESIDUAL; k++) {
		newton_direction(w, false, 0, 1);
		for (size_t t = 0; t < w->T; t++) {
			struct slot *sl = &w->slot[t];
			for (size_t kind = 0; kind < KINDS; kind++)
				sl->v[kind].z += sl->v[kind].dz;
			sl->y_state += sl->dy_state;
			sl->y_net += sl->dy_net;
		}
		residual = polish_residuals(w);
	}
	if (residual <= POLISH_RESIDUAL && polished_optimal(w)) {
		for (size_t t = 0; t < w->T; t++)
			for (size_t k = 0; k < KINDS; k++) {
				struct variable *x = &w->slot[t].v[k];
				x->z = greater(x->lo, lesser(x->hi, x->z));
			}
		w->polished = true;
		return true;
	}
	return false;
}

/* The step to take along a direction whose longest is a_max: nearly all of it, the more the nearer the optimum. */
static double step_length(double a_max, double mu)
{
	double eta = greater(STEP_FRACTION, lesser(STEP_FRACTION_LAST, 1 - mu));
	return lesser(1, eta * a_max);
}

/*
 * One step of Mehrotra's predictor and corrector; when it would not lower
 * the complementarity or would leave the central path's neighbourhood (the
 * corrector's second-order term can make the iterates cycle near a
 * degenerate optimum), a step towards the central path instead, shortened
 * until it does. Returns its length along the direction left in dz, dy.
 */
static double predictor_corrector(struct work *w, const struct progress *pr)
{
	double mu_aff = complementarity(w, newton_direction(w, false, 0, 1));
	double ratio = pr->mu > 0 ? mu_aff / pr->mu : 0, sigma = ratio * ratio * ratio;
	double gamma = lesser(NEIGHBOURHOOD, pr->centrality / 10);
	double a = step_length(newton_direction(w, true, sigma * pr->mu, 1 / STEP_FRACTION_LAST), pr->mu);
	if (!acceptable(w, a, pr->mu, gamma)) {
		a = step_length(newton_direction(w, false, CENTERING * pr->mu, 1 / STEP_FRACTION_LAST), pr->mu);
		for (int k = 0; k < 10 && !acceptable(w, a, pr->mu, gamma); k++)
			a /= 2;
	}
	return a;
}

/*
 * The interior-point iterations, polished (see polish) once near the
 * optimum; true when polishing succeeds, or else the iterate reaches the
 * tolerances.
 */
static bool iterate(struct work *w)
{
	struct progress pr = step_and_measure(w, 0);
	int polishes = 0;
	for (w->iterations = 0; w->iterations < MAX_ITERATIONS; w->iterations++) {
		if (!isfinite(pr.primal) || !isfinite(pr.dual) || !isfinite(pr.mu))
			return false;
		if (polishes < POLISHES && converged(w, &pr, TOL_GAP_POLISH)) {
			if (polish(w))
				return true;
			polishes++;
			pr = step_and_measure(w, 0); /* the residuals and factors polishing overwrote */
		}
		if (converged(w, &pr, TOL_GAP))
			return true;
		pr = step_and_measure(w, predictor_corrector(w, &pr));
	}
	return false;
}

/*
 * The warm path. ADMM's next step mostly keeps the last one's active
 * bounds: held at them (the multipliers scaled as a warm start's), the
 * problem's equations give its optimum at once when they are still the
 * active ones. When not, up to ACTIVE_SET_STEPS primal–dual active-set
 * steps look for the new ones: a freed value beyond a bound is held at it,
 * a held one whose multiplier has the wrong sign is freed.
 *
 * It is the polishing above, on a compact copy of the problem (struct
 * lean, 0.3 KB a slot, where the interior point's slot is 0.9 KB): the
 * residuals, the factors and the forward substitution are one sweep, the
 * back substitution and the step the other, so a Newton step reads the
 * problem twice, from the first level of the cache. Most of a hive's steps
 * end here; the interior point takes the rest.
 */

/*
 * The compact problem from p, the last solution's values, multipliers (times
 * dual_ratio) and active bounds; false when bounds cross (as set_up).
 */
static bool lean_set_up(struct work *w, const struct battqp *m, const struct battqp_problem *p, double rho,
                        const double *v, double dual_ratio)
{
	size_t T = p->slots;
	double E = energy_scale(p), inv_E = 1 / E;
	if (!(isfinite(E) && p->charge_eff > 0 && p->discharge_eff > 0))
		return false;
	w->T = T;
	w->scale = E;
	w->eta_c = p->charge_eff;
	w->inv_eta_d = 1 / p->discharge_eff;
	w->cycle = p->cycle_cost / (rho * E);
	w->gmax = fabs(w->cycle);
	for (size_t t = 0; t < T; t++) {
		struct lean *ln = &w->lean[t];
		double lo[KINDS], hi[KINDS];
		slot_bounds(p, t, inv_E, lo, hi);
		for (size_t k = 0; k < KINDS; k++) {
			if (!(lo[k] <= hi[k]))
				return false;
			int pin = m->pin[t * KINDS + k];
			if (fixed_between(lo[k], hi[k]))
				pin = FIXED;
			else if ((pin == LOWER && !isfinite(lo[k])) || (pin == UPPER && !isfinite(hi[k])) || pin == FIXED)
				pin = NONE; /* once here: next_pin holds no variable at an absent bound, nor fixes one */
			ln->lo[k] = lo[k];
			ln->hi[k] = hi[k];
			ln->z[k] = m->z[t * KINDS + k];
			ln->pin[k] = (unsigned char)pin;
		}
		ln->y_state = m->y[2 * t] * dual_ratio;
		ln->y_net = m->y[2 * t + 1] * dual_ratio;
		ln->g_x = -v[t] * inv_E;
		ln->b_net = p->base[t] * inv_E;
		if (!isfinite(ln->g_x))
			return false;
		w->gmax = greater(w->gmax, fabs(ln->g_x));
	}
	return true;
}

/* Holds each variable at its pin's bound (a fixed one at its value); frees the others. Pins are valid (lean_set_up). */
static inline void lean_hold_variable(struct lean *ln, size_t k, double free_hinv)
{
	int pin = ln->pin[k];
	if (pin != NONE)
		ln->z[k] = pin == UPPER ? ln->hi[k] : ln->lo[k];
	ln->hinv[k] = pin != NONE ? 0 : free_hinv;
}

static void lean_hold(struct work *w)
{
	struct lean *lean = w->lean;
	for (size_t t = 0; t < w->T; t++) { /* spelled out per variable, as the sweeps are */
		lean_hold_variable(&lean[t], C, 1 / REG_PRIMAL);
		lean_hold_variable(&lean[t], D, 1 / REG_PRIMAL);
		lean_hold_variable(&lean[t], S, 1 / REG_PRIMAL);
		lean_hold_variable(&lean[t], X, 1 / (REG_PRIMAL + 1));
	}
}

/* Variable k's stationarity residual rd, and H⁻¹·(−rd); returns worst raised to |rd| when k is free. */
static inline double lean_residual(struct lean *ln, size_t k, double rd, double worst)
{
	ln->rd[k] = rd;
	ln->hinv_h[k] = -ln->hinv[k] * rd;
	return ln->pin[k] == NONE ? greater(worst, fabs(rd)) : worst;
}

/*
 * The forward sweep: the residuals at the current point (rd of every
 * variable: a held one's is its bound's multiplier), with refactor also
 * the factors (from hinv), and the forward substitution of the
 * Newton system for the right side −rd, rp. Returns the largest residual
 * of an equation or a freed variable's stationarity.
 */
static double lean_forward(struct work *w, double soc0, bool refactor)
{
	const struct eff e = eff_of(w);
	const size_t T = w->T;
	const double cycle = w->cycle;
	struct lean *lean = w->lean;
	double worst = 0, s_before = 0, hh_s_before = 0, u_before = 0, hs_before = 0, inv_pivot_before = 0;
	for (size_t t = 0; t < T; t++) {
		struct lean *ln = &lean[t];
		double *z = ln->z, aty[KINDS], state, net;
		apply_a_slot(e, z[C], z[D], z[S], s_before, z[X], &state, &net);
		double rp_state = (t == 0 ? soc0 : 0) - state, rp_net = ln->b_net - net;
		worst = greater(worst, greater(fabs(rp_state), fabs(rp_net)));
		apply_at_slot(e, ln->y_state, ln->y_net, t + 1 < T ? lean[t + 1].y_state : 0, aty);
		/* spelled out per variable, as in lean_backward: a loop kept g, aty and rd on the stack */
		worst = lean_residual(ln, C, cycle - aty[C], worst);
		worst = lean_residual(ln, D, cycle - aty[D], worst);
		worst = lean_residual(ln, S, -aty[S], worst);
		worst = lean_residual(ln, X, z[X] + ln->g_x - aty[X], worst);
		if (refactor)
			factor(e, ln->hinv, &hs_before, &inv_pivot_before, &ln->inv_net, &ln->couple, &ln->l,
			       &ln->inv_pivot);
		const double *hh = ln->hinv_h;
		apply_a_slot(e, hh[C], hh[D], hh[S], hh_s_before, hh[X], &state, &net);
		ln->fw_net = rp_net - net;
		ln->fw_state = u_before = rp_state - state - ln->couple * ln->inv_net * ln->fw_net - ln->l * u_before;
		s_before = z[S];
		hh_s_before = hh[S];
	}
	return worst;
}

/* The backward sweep: the back substitution, and the Newton step taken. */
static void lean_backward(struct work *w)
{
	const struct eff e = eff_of(w);
	struct lean *lean = w->lean;
	double y_after = 0, l_after = 0;
	for (size_t t = w->T; t-- > 0;) {
		struct lean *ln = &lean[t];
		double aty[KINDS], dy_next = y_after;
		double dy_state = y_after = ln->fw_state * ln->inv_pivot - l_after * y_after;
		double dy_net = ln->inv_net * (ln->fw_net - ln->couple * dy_state);
		l_after = ln->l;
		apply_at_slot(e, dy_state, dy_net, dy_next, aty);
		/* spelled out, not a loop over aty: the compiler's vector loads of aty, stored a double at a time,
		   waited on the stores (a quarter of the warm path) */
		ln->z[C] += ln->hinv_h[C] + ln->hinv[C] * aty[C];
		ln->z[D] += ln->hinv_h[D] + ln->hinv[D] * aty[D];
		ln->z[S] += ln->hinv_h[S] + ln->hinv[S] * aty[S];
		ln->z[X] += ln->hinv_h[X] + ln->hinv[X] * aty[X];
		ln->y_state += dy_state;
		ln->y_net += dy_net;
	}
}

/* Variable k's next active bound (next_pin); true when it changed. */
static inline bool lean_next_pin(struct lean *ln, size_t k, double dual_tol)
{
	int pin = next_pin(ln->pin[k], ln->z[k], ln->lo[k], ln->hi[k], ln->rd[k], dual_tol);
	bool changed = pin != ln->pin[k];
	ln->pin[k] = (unsigned char)pin;
	return changed;
}

/*
 * After a forward sweep: the next active set into pin (next_pin). True
 * when one changed; at a point whose residuals are within POLISH_RESIDUAL,
 * false means the point is the optimum.
 */
static bool lean_next_active_set(struct work *w)
{
	double dual_tol = TOL_DUAL * (1 + w->gmax);
	bool changed = false;
	struct lean *lean = w->lean;
	for (size_t t = 0; t < w->T; t++) { /* spelled out per variable, as the sweeps are */
		changed |= lean_next_pin(&lean[t], C, dual_tol);
		changed |= lean_next_pin(&lean[t], D, dual_tol);
		changed |= lean_next_pin(&lean[t], S, dual_tol);
		changed |= lean_next_pin(&lean[t], X, dual_tol);
	}
	return changed;
}

/* The warm path; true with the optimum in w->lean (the values put within their bounds). */
static bool lean_solve(struct work *w, const struct battqp *m, const struct battqp_problem *p, double rho,
                       const double *v, double dual_ratio, int steps)
{
	if (!lean_set_up(w, m, p, rho, v, dual_ratio))
		return false;
	for (int step = 0; step <= steps; step++) {
		lean_hold(w);
		double residual = lean_forward(w, p->soc0 / w->scale, true);
		bool changed = false;
		for (int k = 0; k < POLISH_STEPS && residual > POLISH_RESIDUAL && !changed; k++) {
			lean_backward(w);
			residual = lean_forward(w, p->soc0 / w->scale, false);
			/* near enough to see the active set change: on to the next one, this one not refined */
			if (residual > POLISH_RESIDUAL && residual <= PIN_RESIDUAL)
				changed = lean_next_active_set(w);
		}
		if (changed)
			continue;
		if (!(residual <= POLISH_RESIDUAL))
			return false;
		if (!lean_next_active_set(w)) { /* the optimum: put within its bounds, as polishing does */
			for (size_t t = 0; t < w->T; t++)
				for (size_t k = 0; k < KINDS; k++)
					w->lean[t].z[k] = greater(w->lean[t].lo[k], lesser(w->lean[t].hi[k], w->lean[t].z[k]));
			return true;
		}
	}
	return false;
}

/* The warm path's optimum into the problem's memory (the bounds' duals stay the last interior point's). */
static void lean_remember(struct battqp *m, const struct work *w)
{
	m->T = w->T;
	for (size_t t = 0; t < w->T; t++) {
		const struct lean *ln = &w->lean[t];
		for (size_t k = 0; k < KINDS; k++) {
			m->z[t * KINDS + k] = ln->z[k];
			m->pin[t * KINDS + k] = ln->pin[k];
		}
		m->y[2 * t] = ln->y_state;
		m->y[2 * t + 1] = ln->y_net;
	}
	m->polished = true;
}

/* The warm path's answer into the caller's arrays. */
static void lean_answer(const struct work *w, double *charge, double *discharge, double *soc)
{
	for (size_t t = 0; t < w->T; t++) {
		charge[t] = w->lean[t].z[C] * w->scale;
		discharge[t] = w->lean[t].z[D] * w->scale;
		soc[t] = w->lean[t].z[S] * w->scale;
	}
}

int battqp_solve_active(struct battqp *m, const struct battqp_problem *p, double rho, const double *v, int steps,
                        double *charge, double *discharge, double *soc)
{
	HIVE_ASSERT(p->slots >= 1 && p->slots <= m->cap && rho > 0 && isfinite(rho));
	struct work *w = shared;
	w->iterations = 0;
	if (!(m->solved && m->polished && m->T == p->slots) || !lean_solve(w, m, p, rho, v, m->rho / rho, steps))
		return -1;
	lean_remember(m, w);
	m->rho = rho;
	m->iterations = 0;
	m->solved = m->from_active = true;
	lean_answer(w, charge, discharge, soc);
	return 0;
}

void battqp_adopt(struct battqp *m, const struct battqp_problem *p, double rho, const double *v, const double *charge,
                  const double *discharge, const double *soc, const double *price)
{
	HIVE_ASSERT(p->slots >= 1 && p->slots <= m->cap && rho > 0);
	double E = energy_scale(p), inv_E = 1 / E, cycle = p->cycle_cost / (rho * E);
	for (size_t t = 0; t < p->slots; t++) {
		double lo[KINDS], hi[KINDS], z[KINDS];
		unsigned char pin[KINDS];
		slot_bounds(p, t, inv_E, lo, hi);
		z[C] = charge[t] * inv_E;
		z[D] = discharge[t] * inv_E;
		z[S] = soc[t] * inv_E;
		z[X] = (p->base[t] + charge[t] - discharge[t]) * inv_E;
		for (size_t k = 0; k < KINDS; k++) {
			double near = 1e-9 * greater(1, fabs(z[k]));
			pin[k] = (unsigned char)(fixed_between(lo[k], hi[k]) ? FIXED
			                         : z[k] <= lo[k] + near     ? LOWER
			                         : z[k] >= hi[k] - near     ? UPPER
			                                                    : NONE);
			m->z[t * KINDS + k] = z[k];
			m->pin[t * KINDS + k] = pin[k];
		}
		/* the multipliers the scaled problem's stationarity gives: the state's from the price of a Wh of
		   state, the net's from the net if free, else from a free charge or discharge, else the net's own
		   within what the held charge and discharge allow (their bounds' multipliers must keep their signs) */
		double y_state = price[t] / (rho * E), y_c = -cycle - p->charge_eff * y_state,
		       y_d = cycle - y_state / p->discharge_eff, y_net;
		if (pin[X] == NONE) {
			y_net = z[X] - v[t] * inv_E;
		} else if (pin[C] == NONE) {
			y_net = y_c;
		} else if (pin[D] == NONE) {
			y_net = y_d;
		} else {
			/* cycle + η_c·y_state + y_net ≥ 0 at c's lower bound (≤ 0 at its upper), and
			   cycle − y_state/η_d − y_net ≥ 0 at d's lower bound (≤ 0 at its upper) */
			double least = -INFINITY, most = INFINITY;
			if (pin[C] == LOWER)
				least = greater(least, y_c);
			else if (pin[C] == UPPER)
				most = lesser(most, y_c);
			if (pin[D] == LOWER)
				most = lesser(most, y_d);
			else if (pin[D] == UPPER)
				least = greater(least, y_d);
			y_net = z[X] - v[t] * inv_E;
			if (least <= most)
				y_net = lesser(greater(y_net, least), most);
		}
		m->y[2 * t] = y_state;
		m->y[2 * t + 1] = y_net;
	}
	/* the bounds' duals were an interior point's at another ρ: an interior point warm from here floors them */
	memset(m->ll, 0, KINDS * p->slots * sizeof *m->ll);
	memset(m->lu, 0, KINDS * p->slots * sizeof *m->lu);
	m->T = p->slots;
	m->rho = rho;
	m->iterations = 0;
	m->solved = m->polished = true;
	m->from_active = false;
}

int battqp_solve(struct battqp *m, const struct battqp_problem *p, double rho, const double *v, bool warm,
                 double *charge, double *discharge, double *soc)
{
	HIVE_ASSERT(p->slots >= 1 && p->slots <= m->cap && rho > 0 && isfinite(rho));
	struct work *w = shared;
	w->iterations = 0;
	warm = warm && m->solved && m->T == p->slots;
	bool active = warm && m->polished;
	double dual_ratio = m->rho / rho;
	m->solved = m->polished = m->from_active = false;
	m->iterations = 0;
	m->rho = rho;
	w->polished = false;
	if (active && lean_solve(w, m, p, rho, v, dual_ratio, ACTIVE_SET_STEPS)) {
		lean_remember(m, w);
		m->solved = m->from_active = true;
		lean_answer(w, charge, discharge, soc);
		return 0;
	}
	if (warm)
		recall(w, m);
	if (!set_up(w, p, rho, v))
		return -1;
	if (warm)
		warm_point(w, dual_ratio);
	else
		initial_point(w);
	bool ok = iterate(w);
	if (!ok && warm) {
		initial_point(w);
		ok = iterate(w);
	}
	m->iterations = w->iterations;
	if (!ok)
		return -1;
	remember(m, w);
	m->solved = true;
	for (size_t t = 0; t < w->T; t++) {
		charge[t] = w->slot[t].v[C].z * w->scale;
		discharge[t] = w->slot[t].v[D].z * w->scale;
		soc[t] = w->slot[t].v[S].z * w->scale;
	}
	return 0;
}
