/*
 * fuzz_assets — assets files (assets.h), and the Worker's problem built from
 * them (localqp.h). Checks:
 *   - a refused file gets exactly one diagnostic line, naming the file and
 *     a line of it, and leaves the assets zeroed; an accepted one gets none;
 *   - loading the same text twice gives the same assets, zone included (the
 *     windows and goal times of both agree);
 *   - the windows of every deferrable or ev, over the horizon and over a few
 *     days around the European DST nights of 2026, are ascending and do not
 *     overlap, each with release < deadline and meeting the span asked for,
 *     and their count does not depend on how many are written; the same for
 *     the instants of every battery goal (ascending, inside the span);
 *   - for a file of at most 8 assets, the problem over 24 quarter hours from
 *     2026-06-21T00:00:00Z, with a fixed forecast that imports and exports,
 *     is built (lqp_new), solved alone against fixed prices (buy ≥ sell) and
 *     as two ADMM steps (rho 1 and v = the forecast, then a warm-started
 *     step with rho 0.5): each either fails with HIVE_EINPUT or HIVE_ERULE
 *     and a reason, or gives a plan within lqp_tolerance of every constraint
 *     (lqp_violation), of finite nets that are the forecast plus the
 *     schedules (charge − discharge + energy) within 1e-6 Wh, and where no
 *     deferrable or ev draws more than power_w in a slot. HIVE_EINTERNAL (a
 *     plan the solver returned that breaks a constraint) aborts;
 *   - the plan alone's own cost is the sum of its slots' (lqp_slot_own_cost);
 *     its first slot committed (lqp_advance) gives assets whose problem over
 *     the 23 slots left, alone, costs no more than the rest of that plan
 *     did (the principle of optimality a receding horizon rests on), when
 *     it is solved.
 * Lines reach jq's parser only after jsonscan_check (as in every hive
 * reader), so jq 1.6's leaks on malformed text (see fuzz_jcs.c) stay out.
 */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assets.h"
#include "diag.h"
#include "localqp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SLOTS 24
#define STEP_S 900
#define MAX_PLANNED 8                                  /* assets: more are only parsed */
#define MAX_WIN 64
static const int64_t START = 1782000000000;            /* 2026-06-21T00:00:00Z */
static const int64_t DAY_MS = 86400000;

/* Wh per quarter hour, import positive: a night's import, a morning's surplus, an evening's import. */
static const double NET[SLOTS] = {
	300, 280, 260, 240, 220, 150, 80, -50, -200, -400, -600, -750,
	-800, -700, -500, -300, -100, 50, 200, 350, 500, 450, 400, 350,
};

/* Spans [from, to) the windows are asked over: the horizon, and days around the 2026 DST nights in Europe. */
static const int64_t SPANS[][2] = {
	{ 1782000000000, 1782000000000 + (int64_t)SLOTS * STEP_S * 1000 },
	{ 1774569600000, 1774569600000 + 4 * 86400000 },   /* 2026-03-27 to 03-31 */
	{ 1792713600000, 1792713600000 + 4 * 86400000 },   /* 2026-10-23 to 10-27 */
};
#define NSPANS (sizeof SPANS / sizeof SPANS[0])

static void require(int ok)
{
	if (!ok)
		abort();
}

static size_t lines_in(const char *text, size_t len)
{
	size_t n = 1;
	for (size_t i = 0; i < len; i++)
		n += text[i] == '\n';
	return n;
}

/* Loads text with diagnostics captured; checks the one-line-or-none rule. Returns whether accepted. */
static bool load(struct assets *a, const char *text, size_t len)
{
	static const char prefix[] = "fuzz_assets: 'fuzz' line ";
	char *out = NULL;
	size_t outlen = 0;
	FILE *stream = open_memstream(&out, &outlen);

	require(stream != NULL);
	diag_redirect(stream);
	int rc = assets_load_text(a, "fuzz", text, len);
	fflush(stream);
	diag_redirect(NULL);
	if (rc == HIVE_OK) {
		require(outlen == 0);
		require(a->n <= ASSETS_MAX);
	} else {
		require(rc == HIVE_EINPUT);
		require(a->n == 0 && a->zone == NULL && a->worker[0] == '\0');
		require(outlen > sizeof prefix && memcmp(out, prefix, sizeof prefix - 1) == 0);
		char *end;
		unsigned long line = strtoul(out + sizeof prefix - 1, &end, 10);
		require(out[sizeof prefix - 1] >= '1' && out[sizeof prefix - 1] <= '9');
		require(line >= 1 && line <= lines_in(text, len) && *end == ':');
		require(memchr(out, '\n', outlen) == out + outlen - 1);
	}
	fclose(stream);
	free(out);
	return rc == HIVE_OK;
}

static bool same_time(const struct asset_time *x, const struct asset_time *y)
{
	return x->daily == y->daily && (x->daily ? x->minute_of_day == y->minute_of_day : x->at_ms == y->at_ms);
}

/* Two loads of one text: the same assets. */
static void compare(const struct assets *a, const struct assets *b)
{
	require(a->n == b->n && strcmp(a->worker, b->worker) == 0);
	require(a->has_import_max == b->has_import_max && a->has_export_max == b->has_export_max);
	require(a->import_max_w == b->import_max_w && a->export_max_w == b->export_max_w);
	require((a->zone == NULL) == (b->zone == NULL));
	for (size_t i = 0; i < a->n; i++) {
		const struct asset *x = &a->a[i], *y = &b->a[i];
		require(x->kind == y->kind && strcmp(x->name, y->name) == 0 && x->source == y->source);
		require(x->cost_per_wh == y->cost_per_wh && x->value_per_wh == y->value_per_wh);
		require(x->capacity_wh == y->capacity_wh && x->charge_w == y->charge_w && x->discharge_w == y->discharge_w);
		require(x->charge_eff == y->charge_eff && x->discharge_eff == y->discharge_eff);
		require(x->soc_min_wh == y->soc_min_wh && x->soc_max_wh == y->soc_max_wh && x->soc_wh == y->soc_wh &&
		        x->soc_final_wh == y->soc_final_wh);
		require(x->ngoals == y->ngoals && x->ngoals <= ASSETS_MAX_GOALS);
		for (size_t g = 0; g < x->ngoals; g++)
			require(same_time(&x->goals[g].by, &y->goals[g].by) && x->goals[g].soc_wh == y->goals[g].soc_wh);
		require(x->power_w == y->power_w && x->energy_wh == y->energy_wh && x->energy_min_wh == y->energy_min_wh &&
		        x->delivered_wh == y->delivered_wh);
		require(same_time(&x->release, &y->release) && same_time(&x->deadline, &y->deadline));
	}
}

/* The windows of x over [from, to), checked; returns their digest. */
static uint64_t windows(const struct assets *a, const struct asset *x, int64_t from, int64_t to)
{
	int64_t win[MAX_WIN][2];
	size_t n = assets_windows(a, x, from, to, win, MAX_WIN);
	uint64_t digest = n;

	require(assets_windows(a, x, from, to, NULL, 0) == n);
	if (x->kind != ASSET_DEFERRABLE && x->kind != ASSET_EV) {
		require(n == 0);
		return 0;
	}
	/* one a local day: the span's days and one before it, and the day of its end */
	require(n <= (size_t)((to - from) / DAY_MS) + 3);
	if (!x->release.daily)
		require(n <= 1 && (n == 0 || (win[0][0] == x->release.at_ms && win[0][1] == x->deadline.at_ms)));
	for (size_t k = 0; k < n && k < MAX_WIN; k++) {
		require(win[k][0] < win[k][1]);
		require(win[k][0] < to && win[k][1] > from);
		/* ascending, and apart: a load in two occurrences at once could draw twice its power */
		if (k > 0)
			require(win[k][0] >= win[k - 1][1] && win[k][1] > win[k - 1][1]);
		digest = digest * 31 + (uint64_t)win[k][0] * 7 + (uint64_t)win[k][1];
	}
	return digest;
}

/* The instants of goal g over [from, to), checked; returns their digest. */
static uint64_t goal_times(const struct assets *a, const struct battery_goal *g, int64_t from, int64_t to)
{
	int64_t at[MAX_WIN];
	size_t n = assets_goal_times(a, g, from, to, at, MAX_WIN);
	uint64_t digest = n;

	require(assets_goal_times(a, g, from, to, NULL, 0) == n);
	require(n <= (size_t)((to - from) / DAY_MS) + 3);
	if (!g->by.daily)
		require(n <= 1 && (n == 0 || at[0] == g->by.at_ms));
	for (size_t k = 0; k < n && k < MAX_WIN; k++) {
		require(at[k] >= from && at[k] < to);
		if (k > 0)
			require(at[k] > at[k - 1]);
		digest = digest * 31 + (uint64_t)at[k];
	}
	return digest;
}

static uint64_t times(const struct assets *a)
{
	uint64_t digest = 0;
	for (size_t s = 0; s < NSPANS; s++)
		for (size_t i = 0; i < a->n; i++) {
			const struct asset *x = &a->a[i];
			digest = digest * 31 + windows(a, x, SPANS[s][0], SPANS[s][1]);
			if (x->kind == ASSET_BATTERY)
				for (size_t g = 0; g < x->ngoals; g++)
					digest = digest * 31 + goal_times(a, &x->goals[g], SPANS[s][0], SPANS[s][1]);
		}
	return digest;
}

/* A solver's answer: a refusal with a reason, or a plan that keeps every constraint. */
static void check_plan(const struct lqp *q, const struct assets *a, int rc, const char *why,
                       struct lqp_plan *plan)
{
	if (rc != HIVE_OK) {
		require(rc == HIVE_EINPUT || rc == HIVE_ERULE);
		require(why != NULL && why[0] != '\0');
		return;
	}
	require(plan->slots == SLOTS && plan->net_wh != NULL && plan->nschedules == a->n);
	require(lqp_violation(q, plan) <= lqp_tolerance(q));
	require(isfinite(plan->own_cost) && isfinite(plan->objective));
	for (size_t t = 0; t < SLOTS; t++) {
		/* summed as the plan is made: the forecast, then each asset's flows in order */
		double net = NET[t];
		require(isfinite(plan->net_wh[t]));
		for (size_t i = 0; i < plan->nschedules; i++) {
			const struct lqp_schedule *s = &plan->schedules[i];
			require(s->asset == &a->a[i]);
			if (s->asset->kind == ASSET_BATTERY) {
				require(s->charge_wh && s->discharge_wh && s->soc_wh && !s->energy_wh);
				net += s->charge_wh[t] - s->discharge_wh[t];
			} else {
				require(s->energy_wh && !s->charge_wh && !s->discharge_wh && !s->soc_wh);
				net += s->energy_wh[t];
				if (s->asset->kind != ASSET_PV)
					require(s->energy_wh[t] <=
					        s->asset->power_w * (STEP_S / 3600.0) * (1 + 1e-9) + lqp_tolerance(q));
			}
		}
		require(fabs(plan->net_wh[t] - net) <= 1e-6);
	}
	lqp_plan_free(plan);
}

/* The tariff cost of one slot. */
static double tariff_cost(double x, double buy, double sell)
{
	return x >= 0 ? buy * x : sell * x;
}

/* The plan alone, its first slot committed: the rest, planned again from there, is no dearer. */
static void commit_first_slot(struct lqp *q, struct assets *cur, const struct lqp_plan *p, const double *buy,
                              const double *sell, const double *export_wh)
{
	double sum = 0, scale = 0;
	for (size_t t = 0; t < SLOTS; t++) {
		double c = lqp_slot_own_cost(p, t);
		sum += c;
		scale += fabs(c);
	}
	require(fabs(sum - p->own_cost) <= 1e-9 * (1 + scale));
	double first = lqp_slot_own_cost(p, 0) + tariff_cost(p->net_wh[0], buy[0], sell[0]);
	double rest = p->objective - first;
	lqp_advance(q, p, cur);
	struct lqp *next;
	struct lqp_plan np;
	char why_buf[160];
	const char *why = NULL;
	if (lqp_new(&next, cur, START + STEP_S * 1000, STEP_S, SLOTS - 1, NET + 1, export_wh + 1, why_buf,
	            sizeof why_buf, &why) != HIVE_OK)
		return;
	if (lqp_solve_alone(next, buy + 1, sell + 1, &np, &why) == HIVE_OK) {
		require(lqp_violation(next, &np) <= lqp_tolerance(next));
		require(np.objective <= rest + 1e-6 * (1 + fabs(rest) + fabs(p->objective)));
		lqp_plan_free(&np);
	}
	lqp_free(next);
}

static void plan(const struct assets *a)
{
	double export_wh[SLOTS], buy[SLOTS], sell[SLOTS], v[SLOTS];
	char why_buf[160];
	const char *why = NULL;
	struct lqp *q;
	struct lqp_plan p;

	for (size_t t = 0; t < SLOTS; t++) {
		export_wh[t] = NET[t] < 0 ? -NET[t] : 0;
		buy[t] = 0.25 + 0.05 * (double)(t / 4 % 3);       /* per Wh: dearer in some hours */
		sell[t] = 0.08 - 0.02 * (double)(t % 2);
		v[t] = NET[t] - 100;
	}
	int rc = lqp_new(&q, a, START, STEP_S, SLOTS, NET, export_wh, why_buf, sizeof why_buf, &why);
	if (rc != HIVE_OK) {
		require(rc == HIVE_EINPUT && q == NULL && why != NULL && why[0] != '\0');
		return;
	}
	why = NULL;
	rc = lqp_solve_alone(q, buy, sell, &p, &why);
	if (rc == HIVE_OK) {
		/* the same problem on a copy of the assets, which the commit then moves a slot on */
		struct assets cur = *a;
		struct lqp *qc;
		struct lqp_plan pc;
		require(lqp_new(&qc, &cur, START, STEP_S, SLOTS, NET, export_wh, why_buf, sizeof why_buf, &why) == HIVE_OK);
		if (lqp_solve_alone(qc, buy, sell, &pc, &why) == HIVE_OK) {
			commit_first_slot(qc, &cur, &pc, buy, sell, export_wh);
			lqp_plan_free(&pc);
		}
		lqp_free(qc);
	}
	check_plan(q, a, rc, why, &p);
	why = NULL;
	rc = lqp_solve_step(q, 1, NET, &p, &why);
	check_plan(q, a, rc, why, &p);
	why = NULL;
	rc = lqp_solve_step(q, 0.5, v, &p, &why);
	check_plan(q, a, rc, why, &p);
	lqp_free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	static struct assets a, b;

	if (!ready) {
		diag_init("fuzz_assets");
		ready = true;
	}
	if (size > 1 << 16)
		return 0;
	bool ok = load(&a, (const char *)data, size);
	require(load(&b, (const char *)data, size) == ok);
	if (ok) {
		compare(&a, &b);
		require(times(&a) == times(&b));
		if (a.n <= MAX_PLANNED)
			plan(&a);
	}
	assets_free(&a);
	assets_free(&b);
	return 0;
}
