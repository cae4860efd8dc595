/* hiveplan.c — hive-clear simulate (see hiveplan.h). */
#include "hiveplan.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "assets.h"
#include "diag.h"
#include "jcs.h"
#include "jvbuild.h"
#include "keymap.h"
#include "planrec.h"
#include "timeutil.h"

struct sim {
	bool rolling;                  /* --days: many forecasts a Worker */
	size_t n, cap;
	struct plan_forecast *fc;
	struct keymap seen;            /* the forecasts read: by meter (rolling: by meter and start) */
	size_t nmeters;                /* the Workers, in the order of their first forecasts */
	const char **meters;
	struct keymap meter_index;     /* a meter: its index in meters */
	size_t *first_of, *fc_of;      /* meter m's forecasts, in the order read: fc_of[first_of[m], first_of[m + 1]) */
};

/* The key of f in sim->seen: its meter, and with rolling its start (a meter's forecasts then differ by start). */
static size_t seen_key(const struct sim *sim, const struct plan_forecast *f, char key[sizeof f->meter + 9])
{
	size_t len = strlen(f->meter);
	memcpy(key, f->meter, len);
	if (!sim->rolling)
		return len;
	key[len++] = '\0';
	memcpy(key + len, &f->start_ms, sizeof f->start_ms);
	return len + sizeof f->start_ms;
}

/* Rolling: a forecast on the first's grid, a start new for its meter. */
static const char *rolling_refusal(const struct sim *sim, const struct plan_forecast *f)
{
	const struct plan_forecast *first = &sim->fc[0];
	int64_t step_ms = (int64_t)first->step_s * 1000;
	char key[sizeof f->meter + 9];
	uint32_t at;
	if (f->step_s != first->step_s || (f->start_ms - first->start_ms) % step_ms != 0)
		return "its step or start is off the first forecast's grid";
	if (keymap_get(&sim->seen, key, seen_key(sim, f, key), &at))
		return "a second forecast of this start for its meter";
	return NULL;
}

/*
 * A forecast record: from its view when it has the plain shape, else from
 * its jq value, *why then saying why not; NULL when the line failed the
 * strict pass a flat view skips (rec_checked has rejected it).
 */
static int read_forecast(struct rec_loop *loop, const struct rec *r, struct plan_forecast *f, const char **why)
{
	if (r->view && planrec_forecast_view(r->view, f) == 0)
		return 0;
	if (!rec_checked(loop, r))
		return *why = NULL, -1;
	if (r->len > INT32_MAX)
		return *why = "record longer than 2 GiB", -1;
	jv value = r->view ? jv_parse_sized(r->line, (int)r->len) : jv_copy(r->value);
	int rc = planrec_forecast(value, f, why);
	jv_free(value);
	return rc;
}

static int collect(struct rec_loop *loop, const struct rec *r, void *arg)
{
	struct sim *sim = arg;
	const char *type = rec_type(r), *why;
	if (!type || strcmp(type, "forecast") != 0)
		return rec_pass(loop, r);
	struct plan_forecast f;
	if (read_forecast(loop, r, &f, &why) != 0) {
		if (why)
			rec_reject(loop, r, "forecast refused: %s", why);
		return -1;
	}
	const struct plan_forecast *first = sim->n ? &sim->fc[0] : NULL;
	const char *refusal = first && sim->rolling ? rolling_refusal(sim, &f) : NULL;
	if (refusal) {
		rec_reject(loop, r, "forecast refused: %s", refusal);
		planrec_forecast_free(&f);
		return -1;
	}
	if (first && !sim->rolling && (f.start_ms != first->start_ms || f.step_s != first->step_s || f.slots != first->slots)) {
		planrec_forecast_free(&f);
		rec_reject(loop, r, "forecast refused: its start, step or length differs from the first forecast's");
		return -1;
	}
	char key[sizeof f.meter + 9];
	size_t key_len = seen_key(sim, &f, key);
	uint32_t at;
	if (!sim->rolling && keymap_get(&sim->seen, key, key_len, &at)) {
		rec_reject(loop, r, "forecast refused: a second forecast for meter '%s'", f.meter);
		planrec_forecast_free(&f);
		return -1;
	}
	if (sim->n == UINT32_MAX) {
		rec_reject(loop, r, "forecast refused: more than %" PRIu32 " forecasts", UINT32_MAX);
		planrec_forecast_free(&f);
		return -1;
	}
	keymap_put(&sim->seen, key, key_len, (uint32_t)sim->n);
	if (sim->n == sim->cap) {
		sim->cap = sim->cap ? 2 * sim->cap : 16;
		sim->fc = xrealloc(sim->fc, sim->cap * sizeof *sim->fc);
	}
	sim->fc[sim->n++] = f;
	return 0;
}

/* rec_write assembles the line in the loop's scratch buffer: the record is built in another. */
static int write_record(struct rec_loop *loop, jv rec)
{
	const char *why;
	struct buf b = { 0 };
	HIVE_ASSERT(jcs_append(&b, rec, NULL, &why) == 0);
	jv_free(rec);
	int rc = rec_write(loop, b.data, b.len);
	buf_free(&b);
	return rc;
}

/* A bid, written as its canonical text (planrec_bid_canonical): no jq values. */
static int write_bid(struct rec_loop *loop, const char *worker, int64_t start_ms, int step_s, const struct lqp_plan *p,
                     long iteration)
{
	struct buf b = { 0 };
	planrec_bid_canonical(&b, worker, start_ms, step_s, p, iteration);
	int rc = rec_write(loop, b.data, b.len);
	buf_free(&b);
	return rc;
}

/* The tariff's prices per Wh for the horizon's slots; -1 (after a diagnostic) for a slot without one. */
static int horizon_prices(const struct tariff *tf, int64_t start_ms, int step_s, size_t T, double *buy, double *sell)
{
	int64_t missing;
	if (tariff_prices_per_wh(tf, start_ms, step_s, T, buy, sell, &missing) == 0)
		return 0;
	char when[RFC3339_SIZE];
	rfc3339_format(when, missing);
	diag_warn("the tariff has no price for the slot at %s", when);
	return -1;
}

/* The coordination record's fields that a plan and a receding horizon share. */
static jv coordination_record(int64_t start_ms, int step_s, size_t slots, size_t workers, size_t flexible,
                              double alone, double pooled, double coordinated, double limit_excess)
{
	jv o = jv_object();
	o = jvb_set(o, "type", jv_string("coordination"));
	o = jvb_set(o, "start", jvb_time(start_ms));
	o = jvb_set(o, "seconds", jv_number(step_s));
	o = jvb_set(o, "slots", jv_number((double)slots));
	o = jvb_set(o, "workers", jv_number((double)workers));
	o = jvb_set(o, "flexible", jv_number((double)flexible));
	o = jvb_set(o, "cost_alone", jv_number(round(alone) + 0.0));
	o = jvb_set(o, "cost_pooled", jv_number(round(pooled) + 0.0));
	o = jvb_set(o, "cost_coordinated", jv_number(round(coordinated) + 0.0));
	o = jvb_set(o, "surplus", jv_number(round(alone - coordinated) + 0.0));
	o = jvb_set(o, "coordination_gain", jv_number(round(pooled - coordinated) + 0.0));
	return jvb_set(o, "limit_excess_wh", jv_number(round(limit_excess * 1000) / 1000 + 0.0));
}

static jv summary(const struct plan_forecast *f, size_t workers, size_t flexible, const struct coord_result *r)
{
	jv o = coordination_record(f->start_ms, f->step_s, f->slots, workers, flexible, r->cost_alone,
	                           r->cost_pooled, r->cost_coordinated, r->limit_excess);
	o = jvb_set(o, "iterations", jv_number((double)r->iterations));
	o = jvb_set(o, "converged", jv_bool(r->converged));
	o = jvb_set(o, "rho", jv_number(r->rho));
	o = jvb_set(o, "r", jv_number(r->r));
	o = jvb_set(o, "s", jv_number(r->s));
	o = jvb_set(o, "r_tol", jv_number(r->r_tol));
	o = jvb_set(o, "s_tol", jv_number(r->s_tol));
	if (r->bounded) {
		o = jvb_set(o, "lower_bound", jv_number(floor(r->lower_bound) + 0.0));
		o = jvb_set(o, "proven_gap", isfinite(r->proven_gap) ? jv_number(r->proven_gap) : jv_null());
		o = jvb_set(o, "stopped_by_gap", jv_bool(r->by_gap));
		o = jvb_set(o, "polished", jv_bool(r->polished));
	}
	return o;
}

/* Loads the assets files and pairs each with its Worker: owner[i] is meter i's assets or NULL. */
static int pair_assets(const struct hiveplan_config *cfg, const struct sim *sim, struct assets *as,
                       struct assets **owner)
{
	for (size_t k = 0; k < cfg->nassets; k++) {
		if (assets_load(&as[k], cfg->assets_files[k]) != HIVE_OK)
			return HIVE_EINPUT;
		if (!as[k].worker[0]) {
			diag_warn("assets file '%s': its header names no \"worker\"", cfg->assets_files[k]);
			return HIVE_EINPUT;
		}
		uint32_t i;
		if (!keymap_get(&sim->meter_index, as[k].worker, strlen(as[k].worker), &i)) {
			diag_warn("assets file '%s': no forecast for worker %s", cfg->assets_files[k], as[k].worker);
			return HIVE_EINPUT;
		}
		if (owner[i]) {
			diag_warn("assets file '%s': worker %s has another assets file", cfg->assets_files[k],
			          as[k].worker);
			return HIVE_EINPUT;
		}
		owner[i] = &as[k];
	}
	return HIVE_OK;
}

static int plan_hive(const struct hiveplan_config *cfg, struct sim *sim, struct assets **owner,
                     struct rec_loop *loop)
{
	const struct plan_forecast *f0 = &sim->fc[0];
	size_t T = f0->slots, n = sim->n, flexible = 0;
	double *buy = xmalloc(T * sizeof *buy), *sell = xmalloc(T * sizeof *sell);
	struct coord_worker *w = xcalloc(n, sizeof *w);
	int rc = horizon_prices(cfg->tariff, f0->start_ms, f0->step_s, T, buy, sell) == 0 ? HIVE_OK : HIVE_EINPUT;
	for (size_t i = 0; i < n && rc == HIVE_OK; i++) {
		w[i].net = sim->fc[i].net;
		if (!owner[i])
			continue;
		char buf[160];
		const char *why;
		rc = lqp_new(&w[i].lqp, owner[i], f0->start_ms, f0->step_s, T, sim->fc[i].net, sim->fc[i].export_wh,
		             buf, sizeof buf, &why);
		if (rc != HIVE_OK)
			diag_warn("worker %s: %s", sim->fc[i].meter, why);
		flexible++;
	}
	struct sharing_cost g = sharing_cost_at(&cfg->coupling, T, f0->step_s, buy, sell);
	struct coord_result res;
	if (rc == HIVE_OK) {
		size_t failed = 0;
		const char *why;
		rc = coord_run(w, n, &g, &cfg->coord, &res, &failed, &why);
		if (rc != HIVE_OK)
			diag_warn("worker %s: %s", sim->fc[failed].meter, why);
	}
	for (size_t i = 0; i < n && rc == HIVE_OK && !loop->stop; i++) {
		const struct lqp_plan *p = coord_plan(&w[i]);
		struct lqp_plan fixed = { .slots = T, .net_wh = sim->fc[i].net };
		write_bid(loop, sim->fc[i].meter, f0->start_ms, f0->step_s, p ? p : &fixed, (long)res.iterations);
	}
	if (rc == HIVE_OK && !loop->stop) {
		write_record(loop, summary(f0, n, flexible, &res));
		if (!res.converged)
			diag_warn("not converged after %zu iterations (primal %.3g of %.3g, dual %.3g of %.3g): "
			          "the plans are %s",
			          res.iterations, res.r, res.r_tol, res.s, res.s_tol,
			          res.polished ? "the cheapest polished ones" : "the last iteration's");
	}
	for (size_t i = 0; i < n; i++) {
		lqp_plan_free(&w[i].alone);
		lqp_plan_free(&w[i].plan);
		lqp_free(w[i].lqp);
	}
	free(w);
	free(buy);
	free(sell);
	return rc;
}

/* The receding horizon's running sums (hiveplan.h). */
struct rolling_sums {
	size_t replans, iterations, max_iterations, unconverged, horizon;
	double cost_alone, cost_pooled, cost_coordinated;  /* the committed slots, without the peak charge */
	double peak_alone, peak_coordinated;              /* the pooled and coordinated aggregates' highest slots */
	double limit_excess;
};

/* Forecast index of meter m's latest forecast covering the slot at at_ms; SIZE_MAX when none does. */
static size_t current_forecast(const struct sim *sim, size_t m, int64_t at_ms)
{
	size_t best = SIZE_MAX;
	for (size_t j = sim->first_of[m]; j < sim->first_of[m + 1]; j++) {
		size_t i = sim->fc_of[j];
		const struct plan_forecast *f = &sim->fc[i];
		int64_t end = f->start_ms + (int64_t)f->slots * f->step_s * 1000;
		if (f->start_ms <= at_ms && at_ms < end &&
		    (best == SIZE_MAX || f->start_ms > sim->fc[best].start_ms))
			best = i;
	}
	return best;
}

/* One Worker in the receding horizon: its assets twice, coordinated and alone, each carried slot to slot. */
struct rolling_worker {
	const char *meter;
	struct assets *coord_as, alone_as;
	const double *net, *export_wh;     /* this plan's slices of its current forecast */
	struct lqp *alone_q;
	struct lqp_plan alone;
};

/* The dual carried to the next plan: a slot on, the new last slots from a day before or the last one known. */
static void shift_dual(double *u, size_t T_old, size_t T_new, size_t day_slots)
{
	double *old = xmalloc((T_old ? T_old : 1) * sizeof *old);
	memcpy(old, u, T_old * sizeof *old);
	for (size_t t = 0; t < T_new; t++) {
		size_t src = t + 1;
		if (src >= T_old)
			src = src >= day_slots && src - day_slots < T_old ? src - day_slots : T_old - 1;
		u[t] = T_old ? old[src] : 0;
	}
	free(old);
}

/* Plans the horizon from slot S, commits its first slot, and adds it to the sums. */
static int replan(const struct hiveplan_config *cfg, struct rolling_worker *rw, struct coord_worker *w, size_t n,
                  int64_t S, int step_s, size_t T, struct coord_options *opts, struct rolling_sums *sum,
                  struct rec_loop *loop)
{
	double *buy = xmalloc(T * sizeof *buy), *sell = xmalloc(T * sizeof *sell);
	int rc = horizon_prices(cfg->tariff, S, step_s, T, buy, sell) == 0 ? HIVE_OK : HIVE_EINPUT;
	char when[RFC3339_SIZE];
	rfc3339_format(when, S);
	for (size_t i = 0; i < n && rc == HIVE_OK; i++) {
		w[i].net = rw[i].net;
		if (!rw[i].coord_as)
			continue;
		char buf[160];
		const char *why;
		rc = lqp_new(&w[i].lqp, rw[i].coord_as, S, step_s, T, rw[i].net, rw[i].export_wh, buf, sizeof buf, &why);
		if (rc == HIVE_OK)
			rc = lqp_new(&rw[i].alone_q, &rw[i].alone_as, S, step_s, T, rw[i].net, rw[i].export_wh, buf,
			             sizeof buf, &why);
		if (rc == HIVE_OK)
			rc = lqp_solve_alone(rw[i].alone_q, buy, sell, &rw[i].alone, &why);
		if (rc != HIVE_OK)
			diag_warn("worker %s, the plan from %s: %s", rw[i].meter, when, why);
	}
	struct sharing_cost g = sharing_cost_at(&cfg->coupling, T, step_s, buy, sell);
	g.peak_floor = fmax(0, sum->peak_coordinated);
	struct coord_result res;
	if (rc == HIVE_OK) {
		size_t failed = 0;
		const char *why;
		rc = coord_run(w, n, &g, opts, &res, &failed, &why);
		if (rc != HIVE_OK)
			diag_warn("worker %s, the plan from %s: %s", rw[failed].meter, when, why);
	}
	if (rc == HIVE_OK) {
		if (opts->rho == 0)
			opts->rho = res.rho;   /* the dual carried over is scaled by it */
		double Ea = 0, Ec = 0;
		for (size_t i = 0; i < n; i++) {
			const struct lqp_plan *p = coord_plan(&w[i]);
			double xc = p ? p->net_wh[0] : rw[i].net[0], xa = rw[i].coord_as ? rw[i].alone.net_wh[0] : xc;
			double phi_a = rw[i].coord_as ? lqp_slot_own_cost(&rw[i].alone, 0) : 0;
			sum->cost_alone += phi_a + (xa >= 0 ? buy[0] : sell[0]) * xa;
			sum->cost_pooled += phi_a;
			sum->cost_coordinated += p ? lqp_slot_own_cost(p, 0) : 0;
			Ea += xa;
			Ec += xc;
			struct lqp_plan first = p ? *p : (struct lqp_plan){ .net_wh = (double *)rw[i].net };
			first.slots = 1;
			if (p)
				first.own_cost = lqp_slot_own_cost(p, 0);
			if (!loop->stop)
				write_bid(loop, rw[i].meter, S, step_s, &first, (long)res.iterations);
			if (p) {
				lqp_advance(w[i].lqp, p, rw[i].coord_as);
				lqp_advance(rw[i].alone_q, &rw[i].alone, &rw[i].alone_as);
			}
		}
		sum->cost_pooled += (Ea >= 0 ? buy[0] : sell[0]) * Ea;
		sum->cost_coordinated += (Ec >= 0 ? buy[0] : sell[0]) * Ec;
		sum->peak_alone = fmax(sum->peak_alone, Ea);
		sum->peak_coordinated = fmax(sum->peak_coordinated, Ec);
		if (g.limited)
			sum->limit_excess = fmax(sum->limit_excess, fmax(Ec - g.import_max, -g.export_max - Ec));
		sum->replans++;
		sum->iterations += res.iterations;
		if (res.iterations > sum->max_iterations)
			sum->max_iterations = res.iterations;
		sum->unconverged += !res.converged;
		if (T > sum->horizon)
			sum->horizon = T;
	}
	for (size_t i = 0; i < n; i++) {
		lqp_plan_free(&w[i].alone);
		lqp_plan_free(&w[i].plan);
		lqp_free(w[i].lqp);
		w[i].lqp = NULL;
		lqp_plan_free(&rw[i].alone);
		lqp_free(rw[i].alone_q);
		rw[i].alone_q = NULL;
	}
	free(buy);
	free(sell);
	return rc;
}

static jv rolling_summary(const struct hiveplan_config *cfg, int64_t start_ms, int step_s, size_t workers,
                          size_t flexible, const struct rolling_sums *s)
{
	double peak_price = sharing_cost_at(&cfg->coupling, 0, step_s, NULL, NULL).peak_price;
	double pooled = s->cost_pooled + peak_price * fmax(0, s->peak_alone);
	double coordinated = s->cost_coordinated + peak_price * fmax(0, s->peak_coordinated);
	jv o = coordination_record(start_ms, step_s, s->replans, workers, flexible, s->cost_alone, pooled,
	                           coordinated, s->limit_excess);
	o = jvb_set(o, "horizon", jv_number((double)s->horizon));
	o = jvb_set(o, "iterations", jv_number((double)s->iterations));
	o = jvb_set(o, "max_iterations", jv_number((double)s->max_iterations));
	o = jvb_set(o, "unconverged", jv_number((double)s->unconverged));
	o = jvb_set(o, "converged", jv_bool(s->unconverged == 0));
	return jvb_set(o, "peak_wh", jv_number(round(fmax(0, s->peak_coordinated) * 1000) / 1000 + 0.0));
}

/* The receding horizon over cfg->days from the earliest forecast's start (hiveplan.h). */
static int plan_rolling(const struct hiveplan_config *cfg, struct sim *sim, struct assets **owner,
                        struct rec_loop *loop)
{
	int step_s = sim->fc[0].step_s;
	int64_t step_ms = (int64_t)step_s * 1000, S0 = sim->fc[0].start_ms;
	for (size_t i = 1; i < sim->n; i++)
		if (sim->fc[i].start_ms < S0)
			S0 = sim->fc[i].start_ms;
	size_t n = sim->nmeters, flexible = 0, day_slots = (size_t)(86400 / step_s);
	size_t K = (size_t)cfg->days * 86400 / (size_t)step_s, H = cfg->horizon ? cfg->horizon : day_slots;
	if (H > LQP_MAX_SLOTS)
		H = LQP_MAX_SLOTS;
	struct rolling_worker *rw = xcalloc(n, sizeof *rw);
	struct coord_worker *w = xcalloc(n, sizeof *w);
	for (size_t i = 0; i < n; i++) {
		rw[i].meter = sim->meters[i];
		if (owner[i]) {
			rw[i].coord_as = owner[i];
			rw[i].alone_as = *owner[i];   /* a copy of the values; the zone stays owner's */
			flexible++;
		}
	}
	double *dual = xcalloc(H, sizeof *dual);
	struct coord_options opts = cfg->coord;
	opts.dual = dual;
	struct rolling_sums sum = { .peak_alone = -INFINITY, .peak_coordinated = -INFINITY };
	int rc = HIVE_OK;
	size_t T_last = 0;
	for (size_t k = 0; k < K && rc == HIVE_OK && !loop->stop; k++) {
		int64_t S = S0 + (int64_t)k * step_ms;
		size_t T = H;
		for (size_t i = 0; i < n && rc == HIVE_OK; i++) {
			size_t f = current_forecast(sim, i, S);
			if (f == SIZE_MAX) {
				char when[RFC3339_SIZE];
				rfc3339_format(when, S);
				diag_warn("worker %s: no forecast covers the slot at %s", rw[i].meter, when);
				rc = HIVE_EINPUT;
				break;
			}
			size_t off = (size_t)((S - sim->fc[f].start_ms) / step_ms), left = sim->fc[f].slots - off;
			rw[i].net = sim->fc[f].net + off;
			rw[i].export_wh = sim->fc[f].export_wh ? sim->fc[f].export_wh + off : NULL;
			if (left < T)
				T = left;
		}
		if (rc != HIVE_OK)
			break;
		if (k > 0)
			shift_dual(dual, T_last, T, day_slots);
		rc = replan(cfg, rw, w, n, S, step_s, T, &opts, &sum, loop);
		T_last = T;
	}
	if (rc == HIVE_OK && !loop->stop) {
		write_record(loop, rolling_summary(cfg, S0, step_s, n, flexible, &sum));
		if (sum.unconverged)
			diag_warn("%zu of %zu plans not converged within %zu iterations: their first slots are the last "
			          "iteration's",
			          sum.unconverged, sum.replans, cfg->coord.max_iter);
	}
	free(dual);
	free(w);
	free(rw);
	return rc;
}

/* The meters in the order of their first forecasts, and each one's forecasts (a counting sort). */
static void index_meters(struct sim *sim)
{
	size_t *meter_of = xmalloc((sim->n ? sim->n : 1) * sizeof *meter_of);
	sim->meters = xcalloc(sim->n ? sim->n : 1, sizeof *sim->meters);
	for (size_t i = 0; i < sim->n; i++) {
		const char *name = sim->fc[i].meter;
		uint32_t m;
		if (!keymap_get(&sim->meter_index, name, strlen(name), &m)) {
			m = (uint32_t)sim->nmeters;
			keymap_put(&sim->meter_index, name, strlen(name), m);
			sim->meters[sim->nmeters++] = name;
		}
		meter_of[i] = m;
	}
	sim->first_of = xcalloc(sim->nmeters + 1, sizeof *sim->first_of);
	sim->fc_of = xmalloc((sim->n ? sim->n : 1) * sizeof *sim->fc_of);
	for (size_t i = 0; i < sim->n; i++)
		sim->first_of[meter_of[i] + 1]++;
	for (size_t m = 0; m < sim->nmeters; m++)
		sim->first_of[m + 1] += sim->first_of[m];
	size_t *next = xmalloc((sim->nmeters ? sim->nmeters : 1) * sizeof *next);
	memcpy(next, sim->first_of, sim->nmeters * sizeof *next);
	for (size_t i = 0; i < sim->n; i++)
		sim->fc_of[next[meter_of[i]]++] = i;
	free(next);
	free(meter_of);
}

int hiveplan_simulate(const struct hiveplan_config *cfg, struct rec_loop *loop, char *const files[], int nfiles)
{
	struct sim sim = { .rolling = cfg->days > 0 };
	int rc = rec_loop_run(loop, files, nfiles, collect, &sim);
	index_meters(&sim);
	struct assets *as = xcalloc(cfg->nassets ? cfg->nassets : 1, sizeof *as);
	struct assets **owner = xcalloc(sim.n ? sim.n : 1, sizeof *owner);
	if (loop->fatal == 0 && rc != HIVE_EINPUT) {
		int prc = sim.n ? pair_assets(cfg, &sim, as, owner) : HIVE_OK;
		if (prc == HIVE_OK && sim.n == 0) {
			diag_warn("no forecast read: nothing to plan");
			prc = HIVE_EINPUT;
		}
		if (prc == HIVE_OK)
			prc = sim.rolling ? plan_rolling(cfg, &sim, owner, loop) : plan_hive(cfg, &sim, owner, loop);
		if (prc != HIVE_OK)
			rc = prc;
	}
	for (size_t k = 0; k < cfg->nassets; k++)
		assets_free(&as[k]);
	free(as);
	free(owner);
	for (size_t i = 0; i < sim.n; i++)
		planrec_forecast_free(&sim.fc[i]);
	free(sim.fc);
	free(sim.meters);
	free(sim.first_of);
	free(sim.fc_of);
	keymap_free(&sim.seen);
	keymap_free(&sim.meter_index);
	return loop->fatal ? loop->fatal : rc;
}
