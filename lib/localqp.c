/* localqp.c — a Worker's local problem, formulated for COIN-OR CLP (see localqp.h). */
#include "localqp.h"

#include <coin/Clp_C_Interface.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "battlp.h"
#include "battqp.h"
#include "battdp.h"
#include "diag.h"

#define LQP_INF 1e30
#define QP_UNIT_ABOVE 1e5 /* Wh: see qp_unit */
#define LQP_MAX_OCC 64 /* window occurrences of one asset within a horizon */

/* One sparse column: its bounds, linear cost and entries. */
struct column {
	double lb, ub, cost;
	size_t first, count; /* its entries in the problem's entry arrays */
};

/* Where an asset's variables are: column indices. */
struct asset_cols {
	const struct asset *asset;
	size_t charge, discharge, soc; /* battery: first column of each block of T */
	size_t nocc;                   /* deferrable, ev: occurrences in the horizon */
	size_t occ_first[LQP_MAX_OCC]; /* its first column, of occ_len slots from occ_slot */
	size_t occ_slot[LQP_MAX_OCC], occ_len[LQP_MAX_OCC];
	size_t occ_row[LQP_MAX_OCC];
	int64_t occ_release[LQP_MAX_OCC], occ_deadline[LQP_MAX_OCC];
	size_t curtail;                /* pv: first column of T */
};

struct lqp {
	size_t T;
	int64_t start_ms, step_ms;
	double hours;       /* Δ */
	double *L, *X;      /* uncontrolled net and export */
	bool has_imax, has_emax;
	double imax, emax;  /* Wh per slot */
	/* the asset columns and all rows, shared by both models */
	size_t ncols, cap_cols;
	struct column *cols;
	size_t nent, cap_ent;
	int *ent_row;
	double *ent_val;
	size_t nrows, cap_rows;
	double *row_lb, *row_ub;
	size_t net_row;     /* first of the T net rows */
	size_t solar_row;   /* first of T rows, or SIZE_MAX */
	size_t pv_row;      /* first of T rows when more than one pv, or SIZE_MAX */
	size_t nassets;
	struct asset_cols *ac;
	double *box;          /* 2·ncols: each column's lb and ub, packed: a plan's clean and check read only these */
	Clp_Simplex *lp, *qp; /* built on first use */
	double qp_unit;       /* Wh per unit of energy in qp (see qp_unit) */
	double magnitude;     /* energy_magnitude, once the problem is made */
	int feasible;         /* -1 unknown, 0 no, 1 yes: known from the LP before any QP */
	/* one battery alone: its step by the structured solver (battqp.h), CLP when that falls short */
	struct battqp *bq;        /* NULL when the assets are not one battery */
	struct battqp_problem bp; /* its arrays in bq_bounds */
	double *bq_bounds;        /* 4T: charge_max, discharge_max, soc_min, soc_max */
	double *bq_cols;          /* ncols: the solver's answer in the columns' layout */
	double *bq_price;         /* T: battdp's prices of a Wh of state, for battqp's next warm start */
	bool warm_missed;         /* battqp's warm path missed the last step */
	bool use_structured;      /* lqp_use_structured */
	bool last_structured;     /* the last plan (alone or step) is a structured solver's */
	/* the coordination's rounds make a plan per Worker and round: their memory is kept */
	bool reuse;               /* the plan being made may keep the caller's arrays (lqp_solve_*_into) */
};

/*
 * The sums the constraint check adds up, 3T: one buffer per thread, shared
 * by its problems (as battqp's workspace is) and freed with the last, so
 * that a hive's Workers neither allocate it a plan nor keep one each.
 */
static _Thread_local double *check_sums;
static _Thread_local size_t check_cap, check_users;

static void check_sums_take(size_t slots)
{
	size_t need = 3 * (slots ? slots : 1);
	check_users++;
	if (check_cap < need) {
		free(check_sums);
		check_sums = xmalloc(need * sizeof *check_sums);
		check_cap = need;
	}
}

static void check_sums_drop(void)
{
	if (--check_users == 0) {
		free(check_sums);
		check_sums = NULL;
		check_cap = 0;
	}
}

static size_t add_row(struct lqp *q, double lb, double ub)
{
	if (q->nrows == q->cap_rows) {
		q->cap_rows = q->cap_rows ? 2 * q->cap_rows : 256;
		q->row_lb = xrealloc(q->row_lb, q->cap_rows * sizeof *q->row_lb);
		q->row_ub = xrealloc(q->row_ub, q->cap_rows * sizeof *q->row_ub);
	}
	q->row_lb[q->nrows] = lb;
	q->row_ub[q->nrows] = ub;
	return q->nrows++;
}

static size_t add_col(struct lqp *q, double lb, double ub, double cost)
{
	if (q->ncols == q->cap_cols) {
		q->cap_cols = q->cap_cols ? 2 * q->cap_cols : 256;
		q->cols = xrealloc(q->cols, q->cap_cols * sizeof *q->cols);
	}
	q->cols[q->ncols] = (struct column){lb, ub, cost, q->nent, 0};
	return q->ncols++;
}

/* An entry of the column added last. */
static void add_entry(struct lqp *q, size_t row, double val)
{
	if (q->nent == q->cap_ent) {
		q->cap_ent = q->cap_ent ? 2 * q->cap_ent : 1024;
		q->ent_row = xrealloc(q->ent_row, q->cap_ent * sizeof *q->ent_row);
		q->ent_val = xrealloc(q->ent_val, q->cap_ent * sizeof *q->ent_val);
	}
	q->ent_row[q->nent] = (int)row;
	q->ent_val[q->nent++] = val;
	q->cols[q->ncols - 1].count++;
}

static double overlap_hours(int64_t a0, int64_t a1, int64_t b0, int64_t b1)
{
	int64_t lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
	return hi > lo ? (double)(hi - lo) / 3600e3 : 0;
}

/* The state a battery could reach by the end of slot k, charging at full power (from surplus only for "solar"). */
static double reachable(const struct lqp *q, const struct asset *b, size_t k)
{
	double s = b->soc_wh;
	for (size_t t = 0; t <= k; t++) {
		double c = b->charge_w * q->hours;
		if (b->source == SOURCE_SOLAR && q->X[t] < c)
			c = q->X[t] > 0 ? q->X[t] : 0;
		if (q->has_imax && q->imax - q->L[t] < c) /* what the connection leaves over the uncontrolled net */
			c = q->imax - q->L[t] > 0 ? q->imax - q->L[t] : 0;
		s += b->charge_eff * c;
	}
	return s < b->soc_max_wh ? s : b->soc_max_wh;
}

static int add_battery(struct lqp *q, const struct assets *as, struct asset_cols *ac, int64_t start_ms,
                       int step_s, char *why_buf, size_t why_size, const char **why)
{
	const struct asset *b = ac->asset;
	size_t T = q->T;
	/* s_t − s_{t−1} − η_c c_t + d_t/η_d = 0, and s_{−1} is soc_wh */
	size_t dyn = q->nrows;
	for (size_t t = 0; t < T; t++)
		add_row(q, t == 0 ? b->soc_wh : 0, t == 0 ? b->soc_wh : 0);
	ac->charge = q->ncols;
	for (size_t t = 0; t < T; t++) {
		add_col(q, 0, b->charge_w * q->hours, b->cost_per_wh);
		add_entry(q, q->net_row + t, -1);
		if (b->source == SOURCE_SOLAR)
			add_entry(q, q->solar_row + t, 1);
		add_entry(q, dyn + t, -b->charge_eff);
	}
	ac->discharge = q->ncols;
	for (size_t t = 0; t < T; t++) {
		add_col(q, 0, b->discharge_w * q->hours, b->cost_per_wh);
		add_entry(q, q->net_row + t, 1);
		add_entry(q, dyn + t, 1 / b->discharge_eff);
	}
	ac->soc = q->ncols;
	for (size_t t = 0; t < T; t++) {
		add_col(q, b->soc_min_wh, b->soc_max_wh, 0);
		add_entry(q, dyn + t, 1);
		if (t + 1 < T)
			add_entry(q, dyn + t + 1, -1);
	}
	/* the least final state and the goals, lowered to what can be reached */
	struct column *last = &q->cols[ac->soc + T - 1];
	double fin = fmin(b->soc_final_wh, reachable(q, b, T - 1));
	if (fin > last->lb)
		last->lb = fin;
	int64_t end_ms = start_ms + (int64_t)T * step_s * 1000;
	for (size_t g = 0; g < b->ngoals; g++) {
		int64_t at[LQP_MAX_OCC];
		/* (start, end]: a goal at the horizon's start is the state given, nothing to plan for */
		size_t n = assets_goal_times(as, &b->goals[g], start_ms + 1, end_ms + 1, at, LQP_MAX_OCC);
		if (n > LQP_MAX_OCC) {
			snprintf(why_buf, why_size, "asset '%s': a goal falls more than %d times in the horizon", b->name,
			         LQP_MAX_OCC);
			*why = why_buf;
			return HIVE_EINPUT;
		}
		for (size_t k = 0; k < n; k++) {
			/* the last slot that ends by the goal's time */
			int64_t slots_done = (at[k] - start_ms) / ((int64_t)step_s * 1000);
			if (slots_done < 1 || (size_t)slots_done > T)
				continue;
			size_t s = (size_t)slots_done - 1;
			double goal = fmin(b->goals[g].soc_wh, reachable(q, b, s));
			if (goal > q->cols[ac->soc + s].lb)
				q->cols[ac->soc + s].lb = goal;
		}
	}
	return HIVE_OK;
}

static int add_deferrable(struct lqp *q, const struct assets *as, struct asset_cols *ac, int64_t start_ms,
                          int step_s, char *why_buf, size_t why_size, const char **why)
{
	const struct asset *d = ac->asset;
	int64_t step_ms = (int64_t)step_s * 1000, end_ms = start_ms + (int64_t)q->T * step_ms;
	int64_t win[LQP_MAX_OCC][2];
	size_t n = assets_windows(as, d, start_ms, end_ms, win, LQP_MAX_OCC);
	if (n > LQP_MAX_OCC) {
		snprintf(why_buf, why_size, "asset '%s': more than %d windows in the horizon", d->name, LQP_MAX_OCC);
		*why = why_buf;
		return HIVE_EINPUT;
	}
	ac->nocc = 0;
	for (size_t k = 0; k < n; k++) {
		int64_t r = win[k][0], dl = win[k][1];
		if (dl <= start_ms || r >= end_ms)
			continue;
		bool in_progress = r < start_ms;
		double done = in_progress ? d->delivered_wh : 0;
		double after_h = dl > end_ms ? (double)(dl - end_ms) / 3600e3 : 0;
		double emin = d->energy_min_wh - done - d->power_w * after_h;
		double emax = d->energy_wh - done;
		if (emin < 0)
			emin = 0;
		if (emax < 0)
			emax = 0;
		size_t t0 = (size_t)((r > start_ms ? r - start_ms : 0) / step_ms);
		size_t t1 = (size_t)((dl < end_ms ? dl - start_ms + step_ms - 1 : end_ms - start_ms) / step_ms);
		size_t o = ac->nocc++;
		ac->occ_slot[o] = t0;
		ac->occ_len[o] = t1 - t0;
		ac->occ_row[o] = add_row(q, emin, emax);
		ac->occ_release[o] = r;
		ac->occ_deadline[o] = dl;
		ac->occ_first[o] = q->ncols;
		double fits = 0;
		for (size_t t = t0; t < t1; t++) {
			int64_t s0 = start_ms + (int64_t)t * step_ms;
			double cap = d->power_w * overlap_hours(s0, s0 + step_ms, r, dl);
			if (d->source == SOURCE_SOLAR && cap > q->X[t])
				cap = q->X[t] > 0 ? q->X[t] : 0;
			fits += cap;
			add_col(q, 0, cap, -d->value_per_wh);
			add_entry(q, q->net_row + t, -1);
			if (d->source == SOURCE_SOLAR)
				add_entry(q, q->solar_row + t, 1);
			add_entry(q, ac->occ_row[o], 1);
		}
		if (emin > fits + LQP_FEAS_TOL) {
			snprintf(why_buf, why_size, "asset '%s': %.0f Wh do not fit its window in the horizon (at most %.0f)",
			         d->name, emin, fits);
			*why = why_buf;
			return HIVE_EINPUT;
		}
	}
	return HIVE_OK;
}

/*
 * The one battery's step for battqp, from the bounds add_battery set on its
 * columns (goals and the final state included) and the solar rows.
 */
static void set_up_structured(struct lqp *q)
{
	size_t T = q->T;
	const struct asset_cols *ac = &q->ac[0];
	const struct asset *b = ac->asset;
	double *cmax = q->bq_bounds = xmalloc(4 * T * sizeof *q->bq_bounds);
	double *dmax = cmax + T, *smin = cmax + 2 * T, *smax = cmax + 3 * T;
	for (size_t t = 0; t < T; t++) {
		cmax[t] = q->cols[ac->charge + t].ub;
		if (q->solar_row != SIZE_MAX)
			cmax[t] = fmin(cmax[t], q->row_ub[q->solar_row + t]);
		dmax[t] = q->cols[ac->discharge + t].ub;
		smin[t] = q->cols[ac->soc + t].lb;
		smax[t] = q->cols[ac->soc + t].ub;
	}
	q->bp = (struct battqp_problem){
		.slots = T,
		.charge_eff = b->charge_eff,
		.discharge_eff = b->discharge_eff,
		.soc0 = b->soc_wh,
		.charge_max = cmax,
		.discharge_max = dmax,
		.soc_min = smin,
		.soc_max = smax,
		.net_min = q->has_emax ? -q->emax : -INFINITY,
		.net_max = q->has_imax ? q->imax : INFINITY,
		.base = q->L,
		.cycle_cost = q->cols[ac->charge].cost,
	};
	q->bp.scale = battqp_scale(&q->bp); /* its data stay as they are: the scale is worked out once */
	q->bq = battqp_new(T);
	q->bq_price = xmalloc(T * sizeof *q->bq_price);
	battdp_hold();
	q->bq_cols = xcalloc(q->ncols, sizeof *q->bq_cols);
	q->use_structured = true;
}

void lqp_use_structured(struct lqp *q, bool on)
{
	q->use_structured = on;
}

bool lqp_step_was_structured(const struct lqp *q)
{
	return q->last_structured;
}

static double energy_magnitude(const struct lqp *q);

/* The arrays grown by doubling, cut to what the problem took: a hive keeps thousands of problems. */
static void shrink_to_fit(struct lqp *q)
{
	q->cap_cols = q->ncols ? q->ncols : 1;
	q->cols = xrealloc(q->cols, q->cap_cols * sizeof *q->cols);
	q->cap_ent = q->nent ? q->nent : 1;
	q->ent_row = xrealloc(q->ent_row, q->cap_ent * sizeof *q->ent_row);
	q->ent_val = xrealloc(q->ent_val, q->cap_ent * sizeof *q->ent_val);
	q->cap_rows = q->nrows ? q->nrows : 1;
	q->row_lb = xrealloc(q->row_lb, q->cap_rows * sizeof *q->row_lb);
	q->row_ub = xrealloc(q->row_ub, q->cap_rows * sizeof *q->row_ub);
}

int lqp_new(struct lqp **out, const struct assets *a, int64_t start_ms, int step_s, size_t slots,
            const double *net, const double *export_wh, char *why_buf, size_t why_size, const char **why)
{
	*out = NULL;
	if (slots == 0 || slots > LQP_MAX_SLOTS || step_s <= 0 || step_s > 86400) {
		*why = "the horizon must have 1 to 2016 slots of at most a day";
		return HIVE_EINPUT;
	}
	for (size_t t = 0; t < slots; t++)
		if (!isfinite(net[t]) || (export_wh && !(export_wh[t] >= 0 && isfinite(export_wh[t])))) {
			*why = "the forecast has a value missing or out of range";
			return HIVE_EINPUT;
		}
	struct lqp *q = xcalloc(1, sizeof *q);
	q->feasible = -1;
	q->T = slots;
	q->start_ms = start_ms;
	q->step_ms = (int64_t)step_s * 1000;
	q->hours = step_s / 3600.0;
	q->L = xmalloc(slots * sizeof *q->L);
	q->X = xmalloc(slots * sizeof *q->X);
	check_sums_take(slots);
	memcpy(q->L, net, slots * sizeof *q->L);
	for (size_t t = 0; t < slots; t++)
		q->X[t] = export_wh ? export_wh[t] : net[t] < 0 ? -net[t] : 0;
	q->has_imax = a->has_import_max;
	q->has_emax = a->has_export_max;
	q->imax = a->import_max_w * q->hours;
	q->emax = a->export_max_w * q->hours;

	/* rows: T net rows x_t − Σ… = L_t, then the solar and pv rows */
	q->net_row = 0;
	for (size_t t = 0; t < slots; t++)
		add_row(q, net[t], net[t]);
	bool solar = false;
	size_t npv = 0;
	for (size_t i = 0; i < a->n; i++) {
		solar |= a->a[i].kind != ASSET_PV && a->a[i].source == SOURCE_SOLAR;
		npv += a->a[i].kind == ASSET_PV;
	}
	q->solar_row = q->pv_row = SIZE_MAX;
	if (solar) {
		q->solar_row = q->nrows;
		for (size_t t = 0; t < slots; t++)
			add_row(q, -LQP_INF, q->X[t]);
	}
	if (npv > 1) {
		q->pv_row = q->nrows;
		for (size_t t = 0; t < slots; t++)
			add_row(q, -LQP_INF, q->X[t]);
	}
	q->nassets = a->n;
	q->ac = xcalloc(a->n ? a->n : 1, sizeof *q->ac);
	for (size_t i = 0; i < a->n; i++) {
		struct asset_cols *ac = &q->ac[i];
		ac->asset = &a->a[i];
		switch (a->a[i].kind) {
		case ASSET_BATTERY:
		case ASSET_DEFERRABLE:
		case ASSET_EV: {
			int rc = a->a[i].kind == ASSET_BATTERY
			                 ? add_battery(q, a, ac, start_ms, step_s, why_buf, why_size, why)
			                 : add_deferrable(q, a, ac, start_ms, step_s, why_buf, why_size, why);
			if (rc != HIVE_OK) {
				lqp_free(q);
				return rc;
			}
			break;
		}
		case ASSET_PV:
			ac->curtail = q->ncols;
			for (size_t t = 0; t < slots; t++) {
				add_col(q, 0, q->X[t], a->a[i].cost_per_wh);
				add_entry(q, q->net_row + t, -1);
				if (q->pv_row != SIZE_MAX)
					add_entry(q, q->pv_row + t, 1);
			}
			break;
		}
	}
	shrink_to_fit(q);
	q->box = xmalloc((q->ncols ? 2 * q->ncols : 1) * sizeof *q->box);
	for (size_t j = 0; j < q->ncols; j++) {
		q->box[2 * j] = q->cols[j].lb;
		q->box[2 * j + 1] = q->cols[j].ub;
	}
	q->magnitude = energy_magnitude(q);
	if (a->n == 1 && a->a[0].kind == ASSET_BATTERY)
		set_up_structured(q);
	*out = q;
	return HIVE_OK;
}

/* The largest energy of the forecasts and the assets, Wh: the Worker's limits left out. */
static double data_magnitude(const struct lqp *q)
{
	double scale = 0;
	for (size_t t = 0; t < q->T; t++)
		scale = fmax(scale, fmax(fabs(q->L[t]), q->X[t]));
	for (size_t j = 0; j < q->ncols; j++)
		scale = fmax(scale, fmax(fabs(q->cols[j].lb), q->cols[j].ub < LQP_INF ? fabs(q->cols[j].ub) : 0));
	return scale;
}

/* The largest energy in the problem, Wh: the data's and the limits'. */
static double energy_magnitude(const struct lqp *q)
{
	double scale = data_magnitude(q);
	if (q->has_imax)
		scale = fmax(scale, q->imax);
	if (q->has_emax)
		scale = fmax(scale, q->emax);
	return scale;
}

double lqp_tolerance(const struct lqp *q)
{
	return LQP_FEAS_TOL * fmax(1, q->magnitude / 1e6);
}

/*
 * The unit of energy of CLP's QP: 1 Wh for a household's problem; for one
 * with energies beyond QP_UNIT_ABOVE Wh (a MWh battery), the power of two
 * that brings them back to that size: unscaled, such a step's objective
 * runs to 10^12 and CLP's QP stops before the optimum. A power of two
 * scales exactly. The Worker's limits are left out: a household with a
 * limit of 10^12 W would be scaled to nothing.
 */
static double qp_unit(const struct lqp *q)
{
	int e;
	frexp(data_magnitude(q) / QP_UNIT_ABOVE, &e);
	return e > 0 ? ldexp(1, e) : 1;
}

void lqp_free(struct lqp *q)
{
	if (!q)
		return;
	if (q->lp)
		Clp_deleteModel(q->lp);
	if (q->qp)
		Clp_deleteModel(q->qp);
	check_sums_drop();
	free(q->L);
	free(q->X);
	free(q->cols);
	free(q->box);
	free(q->ent_row);
	free(q->ent_val);
	free(q->row_lb);
	free(q->row_ub);
	free(q->ac);
	if (q->bq)
		battdp_let_go();
	battqp_free(q->bq);
	free(q->bq_bounds);
	free(q->bq_cols);
	free(q->bq_price);
	free(q);
}

/* A bound in the model's unit; an infinite one stays infinite. */
static double in_unit(double wh, double unit)
{
	return fabs(wh) >= LQP_INF ? wh : wh / unit;
}

/*
 * A CLP model of the asset columns and the tail: alone, imp_t and exp_t
 * (net row coefficients +1 and −1, bounded by the Worker's limits); for the
 * step, x_t (coefficient +1, bounded by the limits).
 */
static Clp_Simplex *make_model(const struct lqp *q, bool alone, double unit)
{
	size_t T = q->T, ntail = alone ? 2 * T : T;
	size_t n = q->ncols + ntail, nz = q->nent + ntail;
	CoinBigIndex *start = xmalloc((n + 1) * sizeof *start);
	int *index = xmalloc(nz * sizeof *index);
	double *value = xmalloc(nz * sizeof *value), *lb = xmalloc(n * sizeof *lb), *ub = xmalloc(n * sizeof *ub);
	double *obj = xcalloc(n, sizeof *obj);
	size_t k = 0;
	for (size_t j = 0; j < q->ncols; j++) {
		const struct column *c = &q->cols[j];
		start[j] = (CoinBigIndex)k;
		for (size_t e = 0; e < c->count; e++, k++) {
			index[k] = q->ent_row[c->first + e];
			value[k] = q->ent_val[c->first + e];
		}
		lb[j] = c->lb;
		ub[j] = c->ub;
		obj[j] = c->cost;
	}
	for (size_t i = 0; i < ntail; i++) {
		size_t j = q->ncols + i, t = i % T;
		bool export_col = alone && i >= T;
		start[j] = (CoinBigIndex)k;
		index[k] = (int)(q->net_row + t);
		value[k++] = export_col ? -1 : 1;
		if (alone) {
			lb[j] = 0;
			ub[j] = export_col ? (q->has_emax ? q->emax : LQP_INF) : (q->has_imax ? q->imax : LQP_INF);
		} else {
			lb[j] = q->has_emax ? -q->emax : -LQP_INF;
			ub[j] = q->has_imax ? q->imax : LQP_INF;
		}
	}
	start[n] = (CoinBigIndex)k;
	Clp_Simplex *m = Clp_newModel();
	Clp_setLogLevel(m, 0);
	/* A bound on a simplex that would not end: an error, never a hang. Counted in iterations, not seconds:
	 * CLP reads the CPU time by a system call at each check, 12 % of a 1,000-Worker hive's first plans. */
	Clp_setMaximumIterations(m, (int)fmin(INT_MAX, 100.0 * (double)(n + q->nrows) + 10000));

	double *row_lb = xmalloc((q->nrows ? q->nrows : 1) * sizeof *row_lb);
	double *row_ub = xmalloc((q->nrows ? q->nrows : 1) * sizeof *row_ub);
	for (size_t i = 0; i < q->nrows; i++) {
		row_lb[i] = in_unit(q->row_lb[i], unit);
		row_ub[i] = in_unit(q->row_ub[i], unit);
	}
	for (size_t j = 0; j < n; j++) {
		lb[j] = in_unit(lb[j], unit);
		ub[j] = in_unit(ub[j], unit);
	}
	Clp_loadProblem(m, (int)n, (int)q->nrows, start, index, value, lb, ub, obj, row_lb, row_ub);
	free(row_lb);
	free(row_ub);
	free(start);
	free(index);
	free(value);
	free(lb);
	free(ub);
	free(obj);
	return m;
}

/* Whether p holds a plan of q's shape (any problem's with as many slots, variables and assets of the same kinds). */
static bool plan_fits(const struct lqp *q, const struct lqp_plan *p)
{
	if (!p->net_wh || p->slots != q->T || p->nschedules != q->nassets || p->nvars != q->ncols)
		return false;
	for (size_t i = 0; i < q->nassets; i++)
		if ((p->schedules[i].charge_wh != NULL) != (q->ac[i].asset->kind == ASSET_BATTERY))
			return false;
	return true;
}

/*
 * A plan's arrays for q: new ones (p is overwritten), or with q->reuse the
 * ones p holds when they fit (p then holds a plan, or nothing). extract
 * adds the loads' energies up, so those start at 0.
 */
static void plan_alloc(const struct lqp *q, struct lqp_plan *p)
{
	size_t T = q->T;
	if (q->reuse && plan_fits(q, p)) {
		for (size_t i = 0; i < q->nassets; i++) {
			struct lqp_schedule *sc = &p->schedules[i];
			sc->asset = q->ac[i].asset;
			if (sc->energy_wh)
				memset(sc->energy_wh, 0, T * sizeof *sc->energy_wh);
		}
		return;
	}
	if (q->reuse)
		lqp_plan_free(p);
	memset(p, 0, sizeof *p);
	p->slots = T;
	p->net_wh = xcalloc(T, sizeof *p->net_wh);
	p->nschedules = q->nassets;
	p->schedules = xcalloc(q->nassets ? q->nassets : 1, sizeof *p->schedules);
	p->nvars = q->ncols;
	p->vars = xcalloc(q->ncols ? q->ncols : 1, sizeof *p->vars);
	for (size_t i = 0; i < q->nassets; i++) {
		struct lqp_schedule *s = &p->schedules[i];
		s->asset = q->ac[i].asset;
		if (s->asset->kind == ASSET_BATTERY) {
			s->charge_wh = xcalloc(T, sizeof *s->charge_wh);
			s->discharge_wh = xcalloc(T, sizeof *s->discharge_wh);
			s->soc_wh = xcalloc(T, sizeof *s->soc_wh);
		} else {
			s->energy_wh = xcalloc(T, sizeof *s->energy_wh);
		}
	}
}

void lqp_plan_free(struct lqp_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nschedules; i++) {
		free(p->schedules[i].charge_wh);
		free(p->schedules[i].discharge_wh);
		free(p->schedules[i].soc_wh);
		free(p->schedules[i].energy_wh);
	}
	free(p->schedules);
	free(p->net_wh);
	free(p->vars);
	memset(p, 0, sizeof *p);
}

/*
 * v within [lo, hi], a NaN kept (the check then finds it): two conditional
 * moves, where the values are often on a bound and branches mispredict.
 */
static inline double clamp(double v, double lo, double hi)
{
	double above_lo = v < lo ? lo : v;
	return above_lo > hi ? hi : above_lo;
}

/*
 * The plan from CLP's columns: flows clamped to their bounds (CLP holds
 * them to its tolerance), states and the net recomputed from the flows, so
 * that the plan is consistent in itself; lqp_violation then judges it.
 */
static void extract(const struct lqp *q, const double *col, struct lqp_plan *p)
{
	size_t T = q->T;
	memcpy(p->net_wh, q->L, T * sizeof *p->net_wh);
	p->own_cost = 0;
	for (size_t j = 0; j < q->ncols; j++)
		p->vars[j] = clamp(col[j], q->box[2 * j], q->box[2 * j + 1]);
	for (size_t i = 0; i < q->nassets; i++) {
		const struct asset_cols *ac = &q->ac[i];
		const struct asset *a = ac->asset;
		struct lqp_schedule *s = &p->schedules[i];
		if (a->kind == ASSET_BATTERY) {
			double soc = a->soc_wh;
			/* a lossless battery may charge and discharge at once at no cost: the solvers' ties; netted, so
			   that a schedule says what the battery does (the same states and net, a cost no higher) */
			bool lossless = a->charge_eff == 1 && a->discharge_eff == 1;
			for (size_t t = 0; t < T; t++) {
				double c = p->vars[ac->charge + t], d = p->vars[ac->discharge + t];
				if (lossless && c > 0 && d > 0) {
					double both = c < d ? c : d;
					p->vars[ac->charge + t] = c -= both;
					p->vars[ac->discharge + t] = d -= both;
				}
				soc += a->charge_eff * c - d / a->discharge_eff;
				s->charge_wh[t] = c;
				s->discharge_wh[t] = d;
				s->soc_wh[t] = soc;
				p->net_wh[t] += c - d;
				p->own_cost += a->cost_per_wh * (c + d);
			}
		} else if (a->kind == ASSET_PV) {
			for (size_t t = 0; t < T; t++) {
				double v = p->vars[ac->curtail + t];
				s->energy_wh[t] = v;
				p->net_wh[t] += v;
				p->own_cost += a->cost_per_wh * v;
			}
		} else {
			for (size_t o = 0; o < ac->nocc; o++)
				for (size_t k = 0; k < ac->occ_len[o]; k++) {
					size_t j = ac->occ_first[o] + k, t = ac->occ_slot[o] + k;
					double v = p->vars[j];
					s->energy_wh[t] += v;
					p->net_wh[t] += v;
					p->own_cost -= a->value_per_wh * v;
				}
		}
	}
}

/* lqp_violation, its sums in sums (3T values, any content). */
static double violation(const struct lqp *q, const struct lqp_plan *p, double *sums)
{
	size_t T = q->T;
	double worst = 0;
#define OVER(v, lo, hi)                                                                                        \
	do {                                                                                                   \
		double v_ = (v), below_ = (lo) - v_, above_ = v_ - (hi);                                            \
		double e_ = below_ > above_ ? below_ : above_; /* a NaN value: INFINITY below */                     \
		if (!(e_ <= worst))                                                                             \
			worst = isnan(e_) ? INFINITY : e_;                                                          \
	} while (0)
	double *solar = sums, *curt = sums + T, *net = sums + 2 * T;
	memset(solar, 0, 2 * T * sizeof *sums);
	memcpy(net, q->L, T * sizeof *net);
	for (size_t i = 0; i < q->nassets; i++) {
		const struct asset_cols *ac = &q->ac[i];
		const struct asset *a = ac->asset;
		const struct lqp_schedule *s = &p->schedules[i];
		if (a->kind == ASSET_BATTERY) {
			double soc = a->soc_wh;
			for (size_t t = 0; t < T; t++) {
				const double *sc = &q->box[2 * (ac->soc + t)];
				OVER(s->charge_wh[t], 0, a->charge_w * q->hours);
				OVER(s->discharge_wh[t], 0, a->discharge_w * q->hours);
				soc += a->charge_eff * s->charge_wh[t] - s->discharge_wh[t] / a->discharge_eff;
				OVER(s->soc_wh[t] - soc, 0, 0);
				OVER(soc, sc[0], sc[1]);
				net[t] += s->charge_wh[t] - s->discharge_wh[t];
				if (a->source == SOURCE_SOLAR)
					solar[t] += s->charge_wh[t];
			}
		} else if (a->kind == ASSET_PV) {
			for (size_t t = 0; t < T; t++) {
				OVER(s->energy_wh[t], 0, q->X[t]);
				curt[t] += s->energy_wh[t];
				net[t] += s->energy_wh[t];
			}
		} else {
			double *sum_t = xcalloc(T, sizeof *sum_t), *cap_t = xcalloc(T, sizeof *cap_t);
			for (size_t o = 0; o < ac->nocc; o++) {
				double sum = 0;
				for (size_t k = 0; k < ac->occ_len[o]; k++) {
					size_t j = ac->occ_first[o] + k, t = ac->occ_slot[o] + k;
					OVER(p->vars[j], 0, q->cols[j].ub);
					sum += p->vars[j];
					sum_t[t] += p->vars[j];
					cap_t[t] += q->cols[j].ub;
				}
				OVER(sum, q->row_lb[ac->occ_row[o]], q->row_ub[ac->occ_row[o]]);
			}
			for (size_t t = 0; t < T; t++) {
				OVER(s->energy_wh[t] - sum_t[t], 0, 0);
				OVER(s->energy_wh[t], 0, cap_t[t]);
				net[t] += s->energy_wh[t];
				if (a->source == SOURCE_SOLAR)
					solar[t] += s->energy_wh[t];
			}
			free(sum_t);
			free(cap_t);
		}
	}
	for (size_t t = 0; t < T; t++) {
		OVER(p->net_wh[t] - net[t], 0, 0);
		OVER(net[t], q->has_emax ? -q->emax : -INFINITY, q->has_imax ? q->imax : INFINITY);
		if (q->solar_row != SIZE_MAX)
			OVER(solar[t], -INFINITY, q->X[t]);
		OVER(curt[t], -INFINITY, q->X[t]);
	}
#undef OVER
	return worst;
}

double lqp_violation(const struct lqp *q, const struct lqp_plan *p)
{
	double *sums = xmalloc(3 * (q->T ? q->T : 1) * sizeof *sums);
	double worst = violation(q, p, sums);
	free(sums);
	return worst;
}

static int finish(struct lqp *q, Clp_Simplex *m, double unit, int rc, struct lqp_plan *p, const char **why)
{
	if (rc != 0 || Clp_status(m) != 0) {
		int st = Clp_status(m);
		*why = st == 1   ? "the asset constraints cannot all hold (infeasible)"
		       : st == 2 ? "the problem is unbounded (a price below zero with nothing to limit it?)"
		                 : "the solver stopped before the optimum";
		return HIVE_ERULE;
	}
	plan_alloc(q, p);
	const double *col = Clp_getColSolution(m);
	if (unit != 1) {
		double *wh = xmalloc((q->ncols ? q->ncols : 1) * sizeof *wh);
		for (size_t j = 0; j < q->ncols; j++)
			wh[j] = col[j] * unit;
		extract(q, wh, p);
		free(wh);
	} else {
		extract(q, col, p);
	}
	if (!(violation(q, p, check_sums) <= lqp_tolerance(q))) {
		lqp_plan_free(p);
		*why = "the solver's plan breaks a constraint beyond the tolerance";
		return HIVE_EINTERNAL;
	}
	return HIVE_OK;
}

/* The plan alone by CLP's primal simplex. */
static int solve_alone_clp(struct lqp *q, const double *buy, const double *sell, struct lqp_plan *p, const char **why)
{
	size_t T = q->T;
	if (!q->lp)
		q->lp = make_model(q, true, 1);
	double *obj = Clp_objective(q->lp);
	for (size_t t = 0; t < T; t++) {
		obj[q->ncols + t] = buy[t];
		obj[q->ncols + T + t] = -sell[t];
	}
	int rc = Clp_primal(q->lp, 0);
	q->feasible = Clp_status(q->lp) == 1 ? 0 : Clp_status(q->lp) == 0 ? 1 : -1;
	return finish(q, q->lp, 1, rc, p, why);
}

/* A structured solver's columns (in bq_cols) as a plan, cleaned and checked as CLP's are. */
static int structured_plan(struct lqp *q, struct lqp_plan *p)
{
	plan_alloc(q, p);
	extract(q, q->bq_cols, p);
	if (!(violation(q, p, check_sums) <= lqp_tolerance(q))) {
		lqp_plan_free(p);
		return HIVE_EINTERNAL;
	}
	return HIVE_OK;
}

/* The plan alone of one battery by battlp; not HIVE_OK when it declined or fell short. */
static int solve_alone_structured(struct lqp *q, const double *buy, const double *sell, struct lqp_plan *p)
{
	const struct asset_cols *ac = &q->ac[0];
	double *col = q->bq_cols;
	if (battlp_solve(&q->bp, buy, sell, col + ac->charge, col + ac->discharge, col + ac->soc) != 0 ||
	    structured_plan(q, p) != HIVE_OK)
		return HIVE_EINTERNAL;
	q->feasible = 1;
	return HIVE_OK;
}

int lqp_solve_alone(struct lqp *q, const double *buy, const double *sell, struct lqp_plan *p, const char **why)
{
	size_t T = q->T;
	for (size_t t = 0; t < T; t++)
		if (!(buy[t] >= sell[t]) || !isfinite(buy[t]) || !isfinite(sell[t])) {
			*why = "a slot's buy price is below its sell price";
			return HIVE_EINPUT;
		}
	q->last_structured = q->bq && q->use_structured && solve_alone_structured(q, buy, sell, p) == HIVE_OK;
	int rc = q->last_structured ? HIVE_OK : solve_alone_clp(q, buy, sell, p, why);
	if (rc == HIVE_OK)
		p->objective = lqp_cost_beside(p, buy, sell, NULL);
	return rc;
}

/*
 * Whether the constraints can all hold, from the LP with no prices: CLP's
 * barrier is not asked an infeasible QP (it aborts or loops on some).
 */
static int known_feasible(struct lqp *q)
{
	if (q->feasible >= 0)
		return q->feasible;
	if (!q->lp)
		q->lp = make_model(q, true, 1);
	double *obj = Clp_objective(q->lp);
	for (size_t k = 0; k < 2 * q->T; k++)
		obj[q->ncols + k] = 0;
	Clp_primal(q->lp, 0);
	q->feasible = Clp_status(q->lp) == 0 ? 1 : 0;
	return q->feasible;
}

/* The step by CLP: its QP, warm from the last step's basis. */
static int solve_step_clp(struct lqp *q, double rho, const double *v, struct lqp_plan *p, const char **why)
{
	size_t T = q->T;
	/* CLP takes one quadratic objective per model: ½‖x‖² once, and the step's problem divided by ρ (and
	 * by the unit squared, in which ½‖x‖² is written). */
	bool cold = !q->qp;
	if (cold) {
		q->qp_unit = qp_unit(q);
		q->qp = make_model(q, false, q->qp_unit);
		if (q->qp_unit > 1) /* CLP's own tolerance (10^-7) would be above ours in the unit */
			Clp_setPrimalTolerance(q->qp, fmin(1e-7, 0.1 * lqp_tolerance(q) / q->qp_unit));
		size_t n = q->ncols + T;
		CoinBigIndex *start = xmalloc((n + 1) * sizeof *start);
		int *col = xmalloc(T * sizeof *col);
		double *el = xmalloc(T * sizeof *el);
		for (size_t j = 0; j <= n; j++)
			start[j] = j <= q->ncols ? 0 : (CoinBigIndex)(j - q->ncols);
		for (size_t t = 0; t < T; t++) {
			col[t] = (int)(q->ncols + t);
			el[t] = 1;
		}
		Clp_loadQuadraticObjective(q->qp, (int)n, start, col, el);
		free(start);
		free(col);
		free(el);
	}
	double *obj = Clp_objective(q->qp);
	for (size_t j = 0; j < q->ncols; j++)
		obj[j] = q->cols[j].cost / (rho * q->qp_unit);
	for (size_t t = 0; t < T; t++)
		obj[q->ncols + t] = -v[t] / q->qp_unit;
	/* CLP's primal simplex for the QP, warm from the last step's basis; its barrier with crossover was
	 * measured faster cold but further from the optimum (a Wh off, where ADMM needs the step exact). */
	int rc;
	if (cold) {
		Clp_Solve *o = ClpSolve_new();
		ClpSolve_setSolveType(o, 3, 0); /* barrier, then crossover */
		ClpSolve_setPresolveType(o, 1, 0); /* no presolve: it took feasible QPs for infeasible */
		rc = Clp_initialSolveWithOptions(q->qp, o);
		ClpSolve_delete(o);
		if (rc == 0)
			rc = Clp_primal(q->qp, 0);
	} else {
		rc = Clp_primal(q->qp, 0);
	}
	rc = finish(q, q->qp, q->qp_unit, rc, p, why);
	if (rc != HIVE_OK && !cold) {
		/* The constraints hold (the LP said so): a warm start that ends off its bounds, or that CLP's QP
		 * takes for infeasible, is solved once more from a fresh model. */
		Clp_deleteModel(q->qp);
		q->qp = NULL;
		return solve_step_clp(q, rho, v, p, why);
	}
	return rc;
}

/*
 * The step by battqp's warm path when the last step's active bounds lead
 * to this one's optimum within WARM_STEPS corrections (most steps of a
 * coordination: one or two sweeps over the slots), else by battdp (dynamic
 * programming; the step after a miss straight away, 3.6 % fewer
 * instructions), whose optimum and prices then warm battqp's next start;
 * when battdp declines, by battqp's interior point. Each answer is cleaned
 * and checked as CLP's is; not HIVE_OK when none keeps every constraint
 * within the tolerance (then CLP solves the step).
 */
/* On bench/coord's 1,000 Workers: 4 took longer, 16 as long for 1.5 % more instructions. */
#define WARM_STEPS 8

static int solve_step_structured(struct lqp *q, double rho, const double *v, struct lqp_plan *p)
{
	const struct asset_cols *ac = &q->ac[0];
	double *col = q->bq_cols;
	double *c = col + ac->charge, *d = col + ac->discharge, *s = col + ac->soc;
	bool try_warm = !q->warm_missed; /* its misses come in runs: after one, straight to battdp once */
	q->warm_missed = false;
	if (try_warm && battqp_solve_active(q->bq, &q->bp, rho, v, WARM_STEPS, c, d, s) == 0 &&
	    structured_plan(q, p) == HIVE_OK)
		return HIVE_OK;
	q->warm_missed = try_warm;
	if (battdp_solve_priced(&q->bp, rho, v, c, d, s, q->bq_price) == 0 && structured_plan(q, p) == HIVE_OK) {
		battqp_adopt(q->bq, &q->bp, rho, v, c, d, s, q->bq_price); /* only a plan that passed the check */
		return HIVE_OK;
	}
	if (battqp_solve(q->bq, &q->bp, rho, v, true, c, d, s) != 0)
		return HIVE_EINTERNAL;
	return structured_plan(q, p);
}

int lqp_solve_step(struct lqp *q, double rho, const double *v, struct lqp_plan *p, const char **why)
{
	size_t T = q->T;
	if (!(rho > 0) || !isfinite(rho)) {
		*why = "the penalty must be above 0";
		return HIVE_EINPUT;
	}
	for (size_t t = 0; t < T; t++)
		if (!isfinite(v[t])) {
			*why = "the signal has a value that is not finite";
			return HIVE_EINPUT;
		}
	if (!known_feasible(q)) {
		*why = "the asset constraints cannot all hold (infeasible)";
		return HIVE_ERULE;
	}
	q->last_structured = q->bq && q->use_structured && solve_step_structured(q, rho, v, p) == HIVE_OK;
	int rc = q->last_structured ? HIVE_OK : solve_step_clp(q, rho, v, p, why);
	if (rc == HIVE_OK) {
		double pen = 0;
		for (size_t t = 0; t < T; t++)
			pen += (p->net_wh[t] - v[t]) * (p->net_wh[t] - v[t]);
		p->objective = p->own_cost + rho / 2 * pen;
	}
	return rc;
}

/* The end of a solve into a kept plan (q->reuse set before it): the plan emptied when it failed. */
static int into_done(struct lqp *q, struct lqp_plan *p, int rc)
{
	q->reuse = false;
	if (rc != HIVE_OK)
		lqp_plan_free(p);
	return rc;
}

int lqp_solve_step_into(struct lqp *q, double rho, const double *v, struct lqp_plan *p, const char **why)
{
	q->reuse = true;
	return into_done(q, p, lqp_solve_step(q, rho, v, p, why));
}

int lqp_solve_alone_into(struct lqp *q, const double *buy, const double *sell, struct lqp_plan *p, const char **why)
{
	q->reuse = true;
	return into_done(q, p, lqp_solve_alone(q, buy, sell, p, why));
}

int lqp_alone_value(struct lqp *q, const double *buy, const double *sell, struct lqp_plan *scratch, double *value,
                    const char **why)
{
	size_t T = q->T;
	if (q->bq && q->use_structured) {
		const struct asset_cols *ac = &q->ac[0];
		double *col = q->bq_cols, *c = col + ac->charge, *d = col + ac->discharge;
		if (battlp_solve(&q->bp, buy, sell, c, d, col + ac->soc) == 0) {
			double cost_per_wh = q->ac[0].asset->cost_per_wh, sum = 0;
			for (size_t t = 0; t < T; t++) {
				double x = q->L[t] + c[t] - d[t];
				sum += cost_per_wh * (c[t] + d[t]) + (x >= 0 ? buy[t] * x : sell[t] * x);
			}
			if (isfinite(sum)) {
				*value = sum;
				return HIVE_OK;
			}
		}
	}
	int rc = lqp_solve_alone_into(q, buy, sell, scratch, why);
	if (rc == HIVE_OK)
		*value = scratch->objective;
	return rc;
}

int lqp_best_response_into(struct lqp *q, const double *buy, const double *sell, const double *others,
                           struct lqp_plan *p)
{
	size_t T = q->T;
	if (!q->bq || !q->use_structured)
		return HIVE_EINTERNAL;
	const struct asset_cols *ac = &q->ac[0];
	double *col = q->bq_cols, *kink = xmalloc(T * sizeof *kink);
	for (size_t t = 0; t < T; t++)
		kink[t] = -others[t];
	int rc = battlp_solve_kinked(&q->bp, buy, sell, kink, col + ac->charge, col + ac->discharge, col + ac->soc);
	free(kink);
	q->reuse = true;
	rc = into_done(q, p, rc == 0 ? structured_plan(q, p) : HIVE_EINTERNAL);
	if (rc == HIVE_OK)
		p->objective = lqp_cost_beside(p, buy, sell, others);
	return rc;
}

double lqp_cost_beside(const struct lqp_plan *p, const double *buy, const double *sell, const double *others)
{
	double cost = p->own_cost;
	for (size_t t = 0; t < p->slots; t++) {
		double E = (others ? others[t] : 0) + p->net_wh[t];
		cost += E >= 0 ? buy[t] * E : sell[t] * E;
	}
	return cost;
}

/* A copy of n doubles at a (NULL for NULL). */
static double *doubles_dup(const double *a, size_t n)
{
	if (!a)
		return NULL;
	double *b = xmalloc((n ? n : 1) * sizeof *b);
	memcpy(b, a, n * sizeof *b);
	return b;
}

void lqp_plan_copy(struct lqp_plan *dst, const struct lqp_plan *src)
{
	size_t T = src->slots;
	lqp_plan_free(dst);
	*dst = *src;
	dst->net_wh = doubles_dup(src->net_wh, T);
	dst->vars = doubles_dup(src->vars, src->nvars);
	dst->schedules = xcalloc(src->nschedules ? src->nschedules : 1, sizeof *dst->schedules);
	for (size_t i = 0; i < src->nschedules; i++) {
		const struct lqp_schedule *s = &src->schedules[i];
		struct lqp_schedule *d = &dst->schedules[i];
		*d = *s;
		d->charge_wh = doubles_dup(s->charge_wh, T);
		d->discharge_wh = doubles_dup(s->discharge_wh, T);
		d->soc_wh = doubles_dup(s->soc_wh, T);
		d->energy_wh = doubles_dup(s->energy_wh, T);
	}
}

double lqp_slot_own_cost(const struct lqp_plan *p, size_t t)
{
	double cost = 0;
	for (size_t i = 0; i < p->nschedules; i++) {
		const struct lqp_schedule *s = &p->schedules[i];
		const struct asset *a = s->asset;
		if (a->kind == ASSET_BATTERY)
			cost += a->cost_per_wh * (s->charge_wh[t] + s->discharge_wh[t]);
		else if (a->kind == ASSET_PV)
			cost += a->cost_per_wh * s->energy_wh[t];
		else
			cost -= a->value_per_wh * s->energy_wh[t];
	}
	return cost;
}

void lqp_advance(const struct lqp *q, const struct lqp_plan *p, struct assets *as)
{
	int64_t next = q->start_ms + q->step_ms;
	for (size_t i = 0; i < q->nassets; i++) {
		const struct asset_cols *ac = &q->ac[i];
		HIVE_ASSERT(ac->asset >= as->a && ac->asset < as->a + as->n);
		struct asset *a = &as->a[ac->asset - as->a];
		if (a->kind == ASSET_BATTERY) {
			a->soc_wh = clamp(p->schedules[i].soc_wh[0], a->soc_min_wh, a->soc_max_wh);
			continue;
		}
		if (a->kind == ASSET_PV)
			continue;
		/* what the occurrence still open after the slot has had: what it had, if it was open before, and the slot's draw */
		double delivered = 0;
		for (size_t o = 0; o < ac->nocc; o++)
			if (ac->occ_slot[o] == 0 && ac->occ_release[o] < next && ac->occ_deadline[o] > next)
				delivered = (ac->occ_release[o] < q->start_ms ? a->delivered_wh : 0) + p->vars[ac->occ_first[o]];
		a->delivered_wh = clamp(delivered, 0, a->energy_wh);
	}
}
