/*
 * test_localqp.c — the Worker's local problem against an independent
 * reference: random single-asset problems (a battery, a deferrable load,
 * an EV, curtailable PV; limits, "solar" sources, goals, windows crossing
 * the horizon), each solved alone (LP) and as an ADMM step (QP), with
 * tests/tools/hiveref.py (scipy's HiGHS and cvxopt, formulated from the
 * documented semantics, not from this code) giving the optimum: the
 * objectives agree to 1e-6 relative and every plan keeps every constraint.
 * Also: warm-started steps equal cold ones, and infeasible inputs are refused.
 * Without /usr/bin/python3 and its scipy and cvxopt the reference part is skipped.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assets.h"
#include "check.h"
#include "diag.h"
#include "localqp.h"
#include "timeutil.h"

#define T 48
#define STEP 900
#define PROBLEMS 120
static const int64_t START = 1782000000000; /* 2026-06-21T00:00:00Z */

static double uniform(double lo, double hi)
{
	return lo + (hi - lo) * (double)(check_next() >> 11) / 9007199254740992.0;
}

struct problem {
	char assets[1024];
	double net[T], export_wh[T], buy[T], sell[T], v[T], rho;
	double alone, step;   /* our objectives */
	int ok_alone, ok_step;
};

static void when(char out[RFC3339_SIZE], double slots_from_start)
{
	rfc3339_format(out, START + (int64_t)(slots_from_start * STEP) * 1000);
}

static void random_asset(char *out, size_t size, int kind)
{
	char r[RFC3339_SIZE], d[RFC3339_SIZE], g[RFC3339_SIZE];
	const char *src = check_next() % 4 == 0 ? "solar" : "any";
	if (kind == 0) {
		double cap = uniform(2000, 15000), smin = uniform(0, 0.2) * cap, smax = uniform(0.8, 1) * cap;
		double soc = uniform(smin, smax), fin = uniform(smin, smax);
		when(g, uniform(2, T + 4));
		snprintf(out, size,
		         "{\"type\":\"battery\",\"name\":\"b\",\"capacity_wh\":%.3f,\"charge_w\":%.1f,\"discharge_w\":%.1f,"
		         "\"charge_efficiency\":%.3f,\"discharge_efficiency\":%.3f,\"soc_min_wh\":%.3f,\"soc_max_wh\":%.3f,"
		         "\"soc_wh\":%.3f,\"soc_final_wh\":%.3f,\"cycle_cost\":\"%d\",\"source\":\"%s\"%s%s%s%.3f%s}\n",
		         cap, uniform(1000, 5000), uniform(1000, 5000), uniform(0.85, 1), uniform(0.85, 1), smin, smax, soc,
		         fin, (int)uniform(0, 30000), src, check_next() % 2 ? ",\"goals\":[{\"by\":\"" : "",
		         check_next() % 2 ? g : g, "\",\"soc_wh\":", uniform(smin, smax), "}]");
		if (!strstr(out, "goals")) /* the goal's pieces were printed without it: drop them */
			snprintf(strstr(out, ",\"source\""), 40, ",\"source\":\"%s\"}\n", src);
	} else if (kind == 1 || kind == 2) {
		double rel = uniform(-8, T - 4), dl = rel + uniform(4, 40), p = uniform(500, 3000);
		double hours = (fmin(dl, T) - fmax(rel, 0)) * STEP / 3600.0;
		double energy = uniform(0.1, 0.9) * p * hours;
		when(r, rel);
		when(d, dl);
		int optional = check_next() % 3 == 0;
		snprintf(out, size,
		         "{\"type\":\"%s\",\"name\":\"d\",\"power_w\":%.1f,\"energy_wh\":%.3f,\"energy_min_wh\":%.3f,"
		         "\"release\":\"%s\",\"deadline\":\"%s\",\"value\":\"%d\",\"delivered_wh\":%.3f,\"source\":\"%s\"}\n",
		         kind == 1 ? "deferrable" : "ev", p, energy, optional ? energy * uniform(0, 0.5) : energy, r, d,
		         optional ? (int)uniform(0, 400000) : 0, rel < 0 ? energy * uniform(0, 0.3) : 0,
		         check_next() % 5 == 0 ? "solar" : "any");
	} else {
		snprintf(out, size, "{\"type\":\"pv\",\"name\":\"roof\",\"curtail_cost\":\"%d\"}\n",
		         (int)uniform(0, 50000));
	}
}

static void random_problem(struct problem *p, int kind)
{
	char asset[700];
	random_asset(asset, sizeof asset, kind);
	int limits = check_next() % 3 == 0;
	snprintf(p->assets, sizeof p->assets, "{\"type\":\"assets\"%s}\n%s",
	         limits ? ",\"import_max_w\":9000,\"export_max_w\":7000" : "", asset);
	int pv = kind == 3 || check_next() % 2;
	for (int t = 0; t < T; t++) {
		double sun = pv ? fmax(0, sin((t - 10) * M_PI / 30)) * uniform(300, 900) : 0;
		double load = uniform(50, 600);
		p->net[t] = load - sun;
		p->export_wh[t] = fmax(0, -p->net[t]);
		double buy = uniform(100, 400), sell = uniform(-20, buy * 0.5);
		p->buy[t] = buy;
		p->sell[t] = sell;
		p->v[t] = p->net[t] + uniform(-800, 800);
	}
	p->rho = exp(uniform(log(0.01), log(50)));
}

static void print_array(FILE *f, const char *key, const double *v)
{
	fprintf(f, ",\"%s\":[", key);
	for (int t = 0; t < T; t++)
		fprintf(f, "%s%.17g", t ? "," : "", v[t]);
	fputc(']', f);
}

/* The problem as hiveref.py local reads it: the assets file's records as an array. */
static void print_problem(FILE *f, const struct problem *p, int id, const char *mode)
{
	fprintf(f, "{\"id\":%d,\"start\":\"2026-06-21T00:00:00Z\",\"step\":%d,\"slots\":%d,\"mode\":\"%s\",\"assets\":[",
	        id, STEP, T, mode);
	const char *nl = strchr(p->assets, '\n');
	fwrite(p->assets, 1, (size_t)(nl - p->assets), f);
	fputc(',', f);
	fwrite(nl + 1, 1, strlen(nl + 1) - 1, f);
	fputc(']', f);
	print_array(f, "net", p->net);
	print_array(f, "export", p->export_wh);
	if (strcmp(mode, "alone") == 0) {
		print_array(f, "buy", p->buy);
		print_array(f, "sell", p->sell);
	} else {
		fprintf(f, ",\"rho\":%.17g", p->rho);
		print_array(f, "v", p->v);
	}
	fputs("}\n", f);
}

static void solve_ours(struct problem *p)
{
	struct assets as;
	char why_buf[160];
	const char *why;
	p->ok_alone = p->ok_step = 0;
	if (assets_load_text(&as, "random", p->assets, strlen(p->assets)) != HIVE_OK) {
		printf("not loaded: %s", p->assets);
		CHECK(0);
		return;
	}
	struct lqp *q;
	if (lqp_new(&q, &as, START, STEP, T, p->net, p->export_wh, why_buf, sizeof why_buf, &why) != HIVE_OK) {
		assets_free(&as);
		return;
	}
	struct lqp_plan plan;
	if (lqp_solve_alone(q, p->buy, p->sell, &plan, &why) == HIVE_OK) {
		p->alone = plan.objective;
		p->ok_alone = 1;
		CHECK(lqp_violation(q, &plan) <= lqp_tolerance(q));
		lqp_plan_free(&plan);
	}
	if (lqp_solve_step(q, p->rho, p->v, &plan, &why) == HIVE_OK) {
		p->step = plan.objective;
		p->ok_step = 1;
		CHECK(lqp_violation(q, &plan) <= lqp_tolerance(q));
		lqp_plan_free(&plan);
	}
	lqp_free(q);
	assets_free(&as);
}

static int inconclusive; /* problems the reference could not solve to its tolerance */

/* Our objective against the reference's line for the same id. */
static void compare(const struct problem *p, const char *mode, const char *line)
{
	const char *st = strstr(line, "\"status\":");
	const char *ob = strstr(line, "\"objective\":");
	int ok = strcmp(mode, "alone") == 0 ? p->ok_alone : p->ok_step;
	double ours = strcmp(mode, "alone") == 0 ? p->alone : p->step;
	if (st)
		st += strspn(st + 9, " ") + 9;
	if (st && strncmp(st, "\"unknown\"", 9) == 0) {
		inconclusive++;
		return;
	}
	if (!st || strncmp(st, "\"optimal\"", 9) != 0) {
		if (ok)
			printf("%s: ours %.10g, the reference finds none: %.80s\n", mode, ours, line);
		CHECK(!ok); /* the reference finds no optimum: neither may we */
		return;
	}
	double ref = ob ? strtod(ob + 12, NULL) : NAN;
	int agree = ok && fabs(ours - ref) <= 1e-6 * fmax(1, fabs(ref));
	if (!agree)
		printf("%s: ours %.10g (solved %d), reference %.10g\n  %s", mode, ours, ok, ref, p->assets);
	CHECK(agree);
}

static int reference_available(void)
{
	return access("/usr/bin/python3", X_OK) == 0 &&
	       system("/usr/bin/python3 -c 'import scipy, cvxopt' 2>/dev/null") == 0;
}

static void against_reference(void)
{
	static struct problem ps[PROBLEMS];
	char path[] = "/tmp/test_localqp.XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	FILE *f = fdopen(fd, "w");
	for (int i = 0; i < PROBLEMS; i++) {
		random_problem(&ps[i], i % 4);
		solve_ours(&ps[i]);
		print_problem(f, &ps[i], 2 * i, "alone");
		print_problem(f, &ps[i], 2 * i + 1, "step");
	}
	fclose(f);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/hiveref.py local %s", getenv("HIVE_TOOLS") ? getenv("HIVE_TOOLS") : "tests/tools", path);
	FILE *ref = popen(cmd, "r");
	CHECK(ref != NULL);
	char *line = NULL;
	size_t cap = 0;
	int seen = 0;
	while (ref && getline(&line, &cap, ref) > 0) {
		const char *id = strstr(line, "\"id\":");
		if (!id)
			continue;
		int k = atoi(id + 5);
		if (k < 0 || k >= 2 * PROBLEMS)
			continue;
		compare(&ps[k / 2], k % 2 ? "step" : "alone", line);
		seen++;
	}
	free(line);
	CHECK(ref && pclose(ref) == 0);
	CHECK_INTEQ(seen, 2 * PROBLEMS);
	printf("test_localqp: %d of %d problems left unchecked: the reference stopped short of its tolerance\n",
	       inconclusive, 2 * PROBLEMS);
	CHECK(inconclusive <= 2 * PROBLEMS / 50);
	if (getenv("HIVE_KEEP"))
		printf("problems kept in %s\n", path);
	else
		unlink(path);
}

/* A step warm-started from other steps gives what a fresh problem gives. */
static void warm_equals_cold(void)
{
	for (int i = 0; i < 20; i++) {
		struct problem p;
		random_problem(&p, 0);
		struct assets as;
		char why_buf[160];
		const char *why;
		CHECK(assets_load_text(&as, "warm", p.assets, strlen(p.assets)) == HIVE_OK);
		struct lqp *warm, *cold;
		CHECK(lqp_new(&warm, &as, START, STEP, T, p.net, p.export_wh, why_buf, sizeof why_buf, &why) == HIVE_OK);
		CHECK(lqp_new(&cold, &as, START, STEP, T, p.net, p.export_wh, why_buf, sizeof why_buf, &why) == HIVE_OK);
		struct lqp_plan a, b;
		for (int k = 0; k < 5; k++) {
			for (int t = 0; t < T; t++)
				p.v[t] += uniform(-50, 50);
			CHECK(lqp_solve_step(warm, p.rho * (k + 1), p.v, &a, &why) == HIVE_OK);
			lqp_plan_free(&a);
		}
		CHECK(lqp_solve_step(warm, p.rho, p.v, &a, &why) == HIVE_OK);
		CHECK(lqp_solve_step(cold, p.rho, p.v, &b, &why) == HIVE_OK);
		CHECK(fabs(a.objective - b.objective) <= 1e-6 * fmax(1, fabs(b.objective)));
		lqp_plan_free(&a);
		lqp_plan_free(&b);
		lqp_free(warm);
		lqp_free(cold);
		assets_free(&as);
	}
}

/* Energy that cannot fit its window, and limits the forecast breaks, are refused by name. */
static void refusals(void)
{
	const char *text = "{\"type\":\"assets\"}\n"
	                   "{\"type\":\"deferrable\",\"name\":\"wash\",\"power_w\":1000,\"energy_wh\":3000,"
	                   "\"release\":\"2026-06-21T00:00:00Z\",\"deadline\":\"2026-06-21T02:00:00Z\"}\n";
	struct assets as;
	struct lqp *q = NULL;
	char why_buf[160];
	const char *why = NULL;
	double net[T] = { 0 };
	CHECK(assets_load_text(&as, "fit", text, strlen(text)) == HIVE_OK);
	CHECK(lqp_new(&q, &as, START, STEP, T, net, NULL, why_buf, sizeof why_buf, &why) == HIVE_EINPUT);
	CHECK(q == NULL && why && strstr(why, "'wash'") && strstr(why, "do not fit"));
	assets_free(&as);

	text = "{\"type\":\"assets\",\"import_max_w\":1000}\n{\"type\":\"pv\",\"name\":\"roof\"}\n";
	CHECK(assets_load_text(&as, "limit", text, strlen(text)) == HIVE_OK);
	net[3] = 900; /* 3.6 kW in a 15-minute slot: above the 1 kW limit, and nothing to lower it */
	CHECK(lqp_new(&q, &as, START, STEP, T, net, NULL, why_buf, sizeof why_buf, &why) == HIVE_OK);
	struct lqp_plan plan;
	double price[T];
	for (int t = 0; t < T; t++)
		price[t] = 1;
	CHECK(lqp_solve_alone(q, price, price, &plan, &why) == HIVE_ERULE);
	CHECK(strstr(why, "infeasible") != NULL);
	lqp_free(q);
	assets_free(&as);
}

int main(void)
{
	diag_init("test_localqp");
	warm_equals_cold();
	refusals();
	if (reference_available())
		against_reference();
	else
		printf("test_localqp: /usr/bin/python3 with scipy and cvxopt not found: reference checks skipped\n");
	return check_done("test_localqp");
}
