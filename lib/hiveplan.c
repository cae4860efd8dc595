/* hiveplan.c — hive-clear simulate (see hiveplan.h). */
#include "hiveplan.h"

#include <gmp.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "assets.h"
#include "diag.h"
#include "jcs.h"
#include "jvbuild.h"
#include "planrec.h"
#include "timeutil.h"

struct sim {
	size_t n, cap;
	struct plan_forecast *fc;
};

static int collect(struct rec_loop *loop, const struct rec *r, void *arg)
{
	struct sim *sim = arg;
	const char *type = rec_type(r), *why;
	if (!type || strcmp(type, "forecast") != 0)
		return rec_pass(loop, r);
	struct plan_forecast f;
	if (planrec_forecast(r->value, &f, &why) != 0) {
		rec_reject(loop, r, "forecast refused: %s", why);
		return -1;
	}
	const struct plan_forecast *first = sim->n ? &sim->fc[0] : NULL;
	if (first && (f.start_ms != first->start_ms || f.step_s != first->step_s || f.slots != first->slots)) {
		planrec_forecast_free(&f);
		rec_reject(loop, r, "forecast refused: its start, step or length differs from the first forecast's");
		return -1;
	}
	for (size_t i = 0; i < sim->n; i++)
		if (strcmp(sim->fc[i].meter, f.meter) == 0) {
			planrec_forecast_free(&f);
			rec_reject(loop, r, "forecast refused: a second forecast for meter '%s'", f.meter);
			return -1;
		}
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

/* The tariff's prices per Wh for the horizon's slots; -1 (after a diagnostic) for a slot without one. */
static int horizon_prices(const struct tariff *tf, int64_t start_ms, int step_s, size_t T, double *buy, double *sell)
{
	mpz_t b, s;
	mpz_inits(b, s, NULL);
	int rc = 0;
	for (size_t t = 0; t < T && rc == 0; t++) {
		int64_t at = start_ms + (int64_t)t * step_s * 1000;
		if (tariff_prices(tf, at, b, s) != 0) {
			char when[RFC3339_SIZE];
			rfc3339_format(when, at);
			diag_warn("the tariff has no price for the slot at %s", when);
			rc = -1;
		}
		buy[t] = mpz_get_d(b) / 1000;
		sell[t] = mpz_get_d(s) / 1000;
	}
	mpz_clears(b, s, NULL);
	return rc;
}

static jv summary(const struct plan_forecast *f, size_t workers, size_t flexible, const struct coord_result *r)
{
	jv o = jv_object();
	o = jvb_set(o, "type", jv_string("coordination"));
	o = jvb_set(o, "start", jvb_time(f->start_ms));
	o = jvb_set(o, "seconds", jv_number(f->step_s));
	o = jvb_set(o, "slots", jv_number((double)f->slots));
	o = jvb_set(o, "workers", jv_number((double)workers));
	o = jvb_set(o, "flexible", jv_number((double)flexible));
	o = jvb_set(o, "iterations", jv_number((double)r->iterations));
	o = jvb_set(o, "converged", jv_bool(r->converged));
	o = jvb_set(o, "rho", jv_number(r->rho));
	o = jvb_set(o, "r", jv_number(r->r));
	o = jvb_set(o, "s", jv_number(r->s));
	o = jvb_set(o, "r_tol", jv_number(r->r_tol));
	o = jvb_set(o, "s_tol", jv_number(r->s_tol));
	o = jvb_set(o, "cost_alone", jv_number(round(r->cost_alone) + 0.0));
	o = jvb_set(o, "cost_pooled", jv_number(round(r->cost_pooled) + 0.0));
	o = jvb_set(o, "cost_coordinated", jv_number(round(r->cost_coordinated) + 0.0));
	o = jvb_set(o, "surplus", jv_number(round(r->cost_alone - r->cost_coordinated) + 0.0));
	o = jvb_set(o, "coordination_gain", jv_number(round(r->cost_pooled - r->cost_coordinated) + 0.0));
	return jvb_set(o, "limit_excess_wh", jv_number(round(r->limit_excess * 1000) / 1000 + 0.0));
}

/* Loads the assets files and pairs each with its Worker's forecast: owner[i] is forecast i's assets or NULL. */
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
		size_t i = 0;
		while (i < sim->n && strcmp(sim->fc[i].meter, as[k].worker) != 0)
			i++;
		if (i == sim->n) {
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
	double hours = f0->step_s / 3600.0;
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
	struct sharing_cost g = { .slots = T, .buy = buy, .sell = sell, .limited = cfg->limited,
		                  .import_max = cfg->import_max_w * hours, .export_max = cfg->export_max_w * hours,
		                  .peak_price = cfg->peak_price_per_kw / (1000 * hours) };
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
		write_record(loop, planrec_bid(sim->fc[i].meter, f0->start_ms, f0->step_s, p ? p : &fixed,
		                               (long)res.iterations));
	}
	if (rc == HIVE_OK && !loop->stop) {
		write_record(loop, summary(f0, n, flexible, &res));
		if (!res.converged)
			diag_warn("not converged after %zu iterations (primal %.3g of %.3g, dual %.3g of %.3g): "
			          "the plans are the last iteration's",
			          res.iterations, res.r, res.r_tol, res.s, res.s_tol);
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

int hiveplan_simulate(const struct hiveplan_config *cfg, struct rec_loop *loop, char *const files[], int nfiles)
{
	struct sim sim = { 0 };
	int rc = rec_loop_run(loop, files, nfiles, collect, &sim);
	struct assets *as = xcalloc(cfg->nassets ? cfg->nassets : 1, sizeof *as);
	struct assets **owner = xcalloc(sim.n ? sim.n : 1, sizeof *owner);
	if (loop->fatal == 0 && rc != HIVE_EINPUT) {
		int prc = sim.n ? pair_assets(cfg, &sim, as, owner) : HIVE_OK;
		if (prc == HIVE_OK && sim.n == 0) {
			diag_warn("no forecast read: nothing to plan");
			prc = HIVE_EINPUT;
		}
		if (prc == HIVE_OK)
			prc = plan_hive(cfg, &sim, owner, loop);
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
	return loop->fatal ? loop->fatal : rc;
}
