/*
 * test_planrec.c — a bid written straight as canonical text
 * (planrec_bid_canonical) against the canonical form (jcs_append) of the
 * record built here as a jq value from the documented members
 * (hive-records(5)), byte for byte, and planrec_bid's jq value equal to
 * it: random plans of up to eight assets of
 * every kind, named so that their order tests the canonical one (non-ASCII
 * names, characters escaped, code points above U+FFFF against U+E000–U+FFFF,
 * prefixes), values that are whole, of three decimals, huge, tiny, negative
 * and −0, of one slot or twelve, with and without a worker (one of them
 * escaped).
 *
 * And the forecast's two readers: planrec_forecast_view (from a record's
 * flat view) against planrec_forecast (from its jq value) on hand-made
 * records, refused ones among them, and on random ones with numbers in
 * every JSON form, white space, members in any order, an export series or
 * none, and one defect or none: whatever the view reader accepts, the jq
 * reader accepts with the same values to the bit; what it declines, the
 * jq reader refuses, or the record has a shape it leaves to it.
 */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "assets.h"
#include "buf.h"
#include "check.h"
#include "diag.h"
#include "jcs.h"
#include "jvbuild.h"
#include "jsonscan.h"
#include "jsonview.h"
#include "planrec.h"
#include "record.h"
#include "timeutil.h"

#define SLOTS 12
#define PLANS 2000

static const char *const names[] = {
	"battery", "b", "battery2", "ev", "Éclairage", "pompe à chaleur", "a\"quote", "tab\there",
	"\x01" "ctl", "\xef\xbf\xbd" "replacement", "\xf0\x9f\x94\x8b" "battery", "\xee\x80\x80" "private", "z", "",
};

/* A value as a bid writes it: to 0.001 Wh (or base unit), −0 as 0. */
static double milli(double v)
{
	return round(v * 1000) / 1000 + 0.0;
}

static jv values(const double *v, size_t n)
{
	jv a = jv_array();
	for (size_t i = 0; i < n; i++)
		a = jv_array_append(a, jv_number(milli(v[i])));
	return a;
}

/* The bid record, member by member: the reference the canonical writer is held to. */
static jv reference_bid(const char *worker, int64_t start_ms, int step_s, const struct lqp_plan *p, long iteration)
{
	jv o = jv_object();
	o = jvb_set(o, "type", jv_string("bid"));
	if (worker && *worker)
		o = jvb_set(o, "worker", jv_string(worker));
	o = jvb_set(o, "start", jvb_time(start_ms));
	o = jvb_set(o, "seconds", jv_number(step_s));
	o = jvb_set(o, "iteration", jv_number((double)iteration));
	jv plan = jv_array();
	for (size_t t = 0; t < p->slots; t++) /* the first slot in whole Wh */
		plan = jv_array_append(plan, jv_number(t == 0 ? round(p->net_wh[0]) + 0.0 : milli(p->net_wh[t])));
	o = jvb_set(o, "plan_wh", plan);
	o = jvb_set(o, "first_wh", jv_number(milli(p->net_wh[0])));
	o = jvb_set(o, "own_cost", jv_number(milli(p->own_cost)));
	jv sch = jv_object();
	for (size_t i = 0; i < p->nschedules; i++) {
		const struct lqp_schedule *s = &p->schedules[i];
		jv one = jv_object();
		if (s->asset->kind == ASSET_BATTERY) {
			one = jvb_set(one, "charge_wh", values(s->charge_wh, p->slots));
			one = jvb_set(one, "discharge_wh", values(s->discharge_wh, p->slots));
			one = jvb_set(one, "soc_wh", values(s->soc_wh, p->slots));
		} else {
			one = jvb_set(one, s->asset->kind == ASSET_PV ? "curtailed_wh" : "energy_wh", values(s->energy_wh, p->slots));
		}
		sch = jvb_set(sch, s->asset->name, one);
	}
	return jvb_set(o, "schedules", sch);
}

static double random_value(void)
{
	switch (check_next() % 8) {
	case 0:
		return 0;
	case 1:
		return -0.0;
	case 2:
		return (double)check_between(-5000, 5000);
	case 3:
		return check_uniform(-1e6, 1e6) * 1e9; /* beyond 2^53 */
	case 4:
		return check_uniform(-1, 1) * 1e-7;   /* rounds to 0 or −0 */
	case 5:
		return round(check_uniform(-20000, 20000) * 1000) / 1000;
	default:
		return check_uniform(-3000, 3000);
	}
}

static void one_plan(int id)
{
	struct asset assets[8];
	struct lqp_schedule sched[8];
	double values[8][3][SLOTS], net[SLOTS];
	/* a day's plan, or a receding horizon's one slot */
	struct lqp_plan p = { .slots = check_next() % 4 ? SLOTS : 1, .net_wh = net, .schedules = sched };
	size_t count = sizeof names / sizeof names[0], first = (size_t)check_next() % count;
	p.nschedules = (size_t)(check_next() % 9);
	for (size_t i = 0; i < p.nschedules; i++) { /* distinct names, as an assets file has */
		memset(&assets[i], 0, sizeof assets[i]);
		assets[i].kind = (enum asset_kind)(check_next() % 4);
		snprintf(assets[i].name, sizeof assets[i].name, "%s", names[(first + i * 5) % count]);
		sched[i] = (struct lqp_schedule){ .asset = &assets[i] };
		for (int k = 0; k < 3; k++)
			for (int t = 0; t < SLOTS; t++)
				values[i][k][t] = random_value();
		if (assets[i].kind == ASSET_BATTERY) {
			sched[i].charge_wh = values[i][0];
			sched[i].discharge_wh = values[i][1];
			sched[i].soc_wh = values[i][2];
		} else {
			sched[i].energy_wh = values[i][0];
		}
	}
	for (int t = 0; t < SLOTS; t++)
		net[t] = random_value();
	p.own_cost = random_value();
	static const char *const workers[] = {
		"", NULL, "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23", "mètre \"7\" \\ cave\n",
		"0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf",
	};
	const char *worker = workers[check_next() % 5];
	int64_t start = 1782000000000 + (int64_t)check_between(-100000, 100000) * 900000;
	int step = check_next() % 2 ? 900 : 3600;
	long iteration = check_next() % 3 == 0 ? 0 : (long)check_between(1, 100000);

	struct buf want = { 0 }, got = { 0 };
	const char *why;
	jv ref = reference_bid(worker, start, step, &p, iteration);
	CHECK(jcs_append(&want, ref, NULL, &why) == 0);
	planrec_bid_canonical(&got, worker, start, step, &p, iteration);
	int same = got.len == want.len && memcmp(got.data, want.data, got.len) == 0;
	if (!same)
		printf("plan %d:\n  want %.*s\n  got  %.*s\n", id, (int)want.len, want.data, (int)got.len, got.data);
	CHECK(same);
	CHECK(jv_equal(planrec_bid(worker, start, step, &p, iteration), ref)); /* takes both */
	buf_free(&want);
	buf_free(&got);
}

#define NOT_STRICT 2

static bool same_doubles(const double *a, const double *b, size_t n)
{
	return (a == NULL) == (b == NULL) && (!a || memcmp(a, b, n * sizeof *a) == 0);
}

/*
 * Line read by both readers (it must be strict JSON with a flat view):
 * returns the view reader's result, *jq_rc the jq reader's; checks that an
 * accepted record reads the same by both.
 */
static int both_readers(const char *line, int *jq_rc)
{
	size_t len = strlen(line), off;
	const char *why;
	struct jsonview v;
	if (rec_strict(line, len, &off, &why) != 0 || jsonview_parse(&v, line, len, &why) != 0)
		return NOT_STRICT; /* the record loop rejects it before a reader sees it */
	struct plan_forecast a, b;
	jv value = jv_parse_sized(line, (int)len);
	*jq_rc = planrec_forecast(value, &b, &why);
	jv_free(value);
	int rc = planrec_forecast_view(&v, &a);
	if (rc == 0) {
		bool same = *jq_rc == 0 && strcmp(a.meter, b.meter) == 0 && a.start_ms == b.start_ms &&
		            a.step_s == b.step_s && a.slots == b.slots && same_doubles(a.net, b.net, a.slots) &&
		            same_doubles(a.export_wh, b.export_wh, a.slots);
		if (!same)
			printf("the readers differ on %s\n", line);
		CHECK(same);
		planrec_forecast_free(&a);
	}
	if (*jq_rc == 0)
		planrec_forecast_free(&b);
	return rc;
}

/* Hand-made records: 1 read by both, 0 left to the jq reader, which reads it; -1 refused by both. */
static void forecast_cases(void)
{
	static const struct {
		int want;
		const char *line;
	} cases[] = {
		{ 1, "{\"type\":\"forecast\",\"meter\":\"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed\",\"start\":"
		     "\"2026-06-21T00:00:00Z\",\"step\":900,\"series\":{\"net_wh\":{\"point\":[1,-2.5,3e2,0.1]}}}" },
		{ 1, "{ \"series\" : { \"export_wh\" : { \"point\" : [ 0 , -0 , 1E-3 ] } , \"net_wh\" : { \"point\" :"
		     " [ -0.0 , 12345678.901 , 1e12 ] } } , \"step\" : 3600.0 , \"start\" : \"2026-06-21T02:00:00+02:00\" ,"
		     " \"meter_id\" : \"flat 3\" }" },
		{ 1, "{\"meter\":null,\"meter_id\":\"m\",\"start\":\"2026-06-21T00:00:00Z\",\"step\":900,"
		     "\"series\":{\"net_wh\":{\"point\":[5],\"q10\":[1]},\"export_wh\":7}}" },
		{ 1, "{\"start\":\"2026-06-21T00:00:00Z\",\"step\":900,\"series\":{\"net_wh\":{\"point\":[5]},"
		     "\"export_wh\":{\"q90\":[1]}}}" },
		{ 0, "{\"meter\":\"fl\\u0061t\",\"start\":\"2026-06-21T00:00:00Z\",\"step\":900,"
		     "\"series\":{\"net_wh\":{\"point\":[5]}}}" },
		{ -1, "{\"meter\":7,\"start\":\"2026-06-21T00:00:00Z\",\"step\":900,\"series\":{\"net_wh\":{\"point\":[5]}}}" },
		{ -1, "{\"start\":\"2026-06-21T00:00:00Z\",\"step\":900.5,\"series\":{\"net_wh\":{\"point\":[5]}}}" },
		{ -1, "{\"start\":\"2026-06-21T00:00:00Z\",\"step\":86401,\"series\":{\"net_wh\":{\"point\":[5]}}}" },
		{ -1, "{\"start\":\"2026-06-21\",\"step\":900,\"series\":{\"net_wh\":{\"point\":[5]}}}" },
		{ -1, "{\"start\":\"2026-06-21T00:00:00Z\",\"step\":900,\"series\":{\"net_wh\":{\"point\":[]}}}" },
		{ -1, "{\"start\":\"2026-06-21T00:00:00Z\",\"step\":900,\"series\":{\"net_wh\":{\"point\":[1,null]}}}" },
		{ -1, "{\"start\":\"2026-06-21T00:00:00Z\",\"step\":900,\"series\":{\"net_wh\":{\"point\":[1,\"2\"]}}}" },
		{ -1, "{\"start\":\"2026-06-21T00:00:00Z\",\"step\":900,\"series\":{\"net_wh\":{\"point\":[1e13]}}}" },
		{ -1, "{\"start\":\"2026-06-21T00:00:00Z\",\"step\":900,\"series\":{\"net_wh\":{\"point\":[-1e300]}}}" },
		{ -1, "{\"start\":\"2026-06-21T00:00:00Z\",\"step\":900,\"series\":{\"net_wh\":{\"point\":[[1]]}}}" },
		{ -1, "{\"start\":\"2026-06-21T00:00:00Z\",\"step\":900,\"series\":{\"net_wh\":{\"point\":null}}}" },
		{ -1, "{\"start\":\"2026-06-21T00:00:00Z\",\"step\":900,\"series\":{\"net_wh\":{\"q10\":[1]}}}" },
		{ -1, "{\"start\":\"2026-06-21T00:00:00Z\",\"step\":900,\"series\":{\"net_wh\":[1]}}" },
		{ -1, "{\"start\":\"2026-06-21T00:00:00Z\",\"step\":900,\"series\":[]}" },
		{ -1, "{\"start\":\"2026-06-21T00:00:00Z\",\"step\":900}" },
		{ -1, "{\"start\":\"2026-06-21T00:00:00Z\",\"step\":900,\"series\":{\"net_wh\":{\"point\":[1,2]},"
		      "\"export_wh\":{\"point\":[1]}}}" },
		{ -1, "{\"start\":\"2026-06-21T00:00:00Z\",\"step\":900,\"series\":{\"net_wh\":{\"point\":[1]},"
		      "\"export_wh\":{\"point\":[-1]}}}" },
		{ -1, "{\"start\":\"2026-06-21T00:00:00Z\",\"step\":900,\"series\":{\"net_wh\":{\"point\":[1]},"
		      "\"export_wh\":{\"point\":null}}}" },
		{ -1, "{\"meter\":\"0123456789012345678901234567890123456789012345678901234567890123\","
		      "\"start\":\"2026-06-21T00:00:00Z\",\"step\":900,\"series\":{\"net_wh\":{\"point\":[1]}}}" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int jq_rc, rc = both_readers(cases[i].line, &jq_rc);
		CHECK(rc != NOT_STRICT);
		int got = rc == 0 ? 1 : jq_rc == 0 ? 0 : -1;
		if (got != cases[i].want)
			printf("case %zu: %d, not %d\n", i, got, cases[i].want);
		CHECK_INTEQ(got, cases[i].want);
	}
	/* a series one value too long, and the longest */
	for (int extra = 0; extra <= 1; extra++) {
		struct buf line = { 0 };
		buf_printf(&line, "{\"start\":\"2026-06-21T00:00:00Z\",\"step\":60,\"series\":{\"net_wh\":{\"point\":[");
		for (int t = 0; t < LQP_MAX_SLOTS + extra; t++)
			buf_printf(&line, "%s%d", t ? "," : "", t);
		buf_printf(&line, "]}}}");
		buf_putc(&line, '\0');
		int jq_rc, rc = both_readers(line.data, &jq_rc);
		CHECK_INTEQ(rc, extra ? -1 : 0);
		CHECK_INTEQ(jq_rc, extra ? -1 : 0);
		buf_free(&line);
	}
}

/* A random number in one of JSON's forms, within about ±10^13 (a few beyond the readers' 10^12). */
static void random_number(struct buf *out)
{
	int form = (int)check_between(0, 6);
	double x = check_uniform(-1, 1) * pow(10, (double)check_between(-8, 13));
	switch (form) {
	case 0: buf_printf(out, "%lld", (long long)x); break;
	case 1: buf_printf(out, "%.3f", x); break;
	case 2: buf_printf(out, "%.17g", x); break;
	case 3: buf_printf(out, "%.6e", x); break;
	case 4: buf_printf(out, "%.2E", x); break;
	case 5: buf_printf(out, "-0"); break;
	default: buf_printf(out, "%lld.%03d", (long long)check_between(0, 99999), (int)check_between(0, 999)); break;
	}
}

static const char *random_space(void)
{
	static const char *const spaces[] = { "", "", "", " ", "\t", "  \r " };
	return spaces[check_between(0, 5)];
}

/* A random series array of n numbers, with a defect when flaw. */
static void random_series(struct buf *out, size_t n, bool flaw)
{
	size_t bad = flaw ? (size_t)check_between(0, (int64_t)n - 1) : n;
	buf_printf(out, "[%s", random_space());
	for (size_t t = 0; t < n; t++) {
		if (t)
			buf_printf(out, "%s,%s", random_space(), random_space());
		if (t == bad) {
			static const char *const bads[] = { "null", "\"1\"", "true", "[1]", "{}", "1e400", "-1e13" };
			buf_printf(out, "%s", bads[check_between(0, 6)]);
		} else {
			random_number(out);
		}
	}
	buf_printf(out, "%s]", random_space());
}

static void random_forecast(int id)
{
	struct buf line = { 0 };
	size_t n = (size_t)check_between(1, 24);
	int flaw = (int)check_between(0, 5); /* 0: none; 1: net; 2: export; 3: export's length; 4: step; 5: none */
	static const char *const meters[] = {
		"\"meter\":\"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed\"",
		"\"meter\":\"0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED\"",
		"\"meter_id\":\"flat 3\"",
		"\"meter\":null,\"meter_id\":\"0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359\"",
		"\"meter\":\"not an address\"",
		"\"quality\":\"ok\"",
	};
	/* the members in a random order of four */
	int order[4] = { 0, 1, 2, 3 };
	for (int i = 3; i > 0; i--) {
		int j = (int)check_between(0, i), tmp = order[i];
		order[i] = order[j];
		order[j] = tmp;
	}
	bool export = check_between(0, 1);
	buf_printf(&line, "{%s\"type\":%s\"forecast\"", random_space(), random_space());
	for (int k = 0; k < 4; k++) {
		buf_printf(&line, ",%s", random_space());
		switch (order[k]) {
		case 0: buf_printf(&line, "%s", meters[check_between(0, 5)]); break;
		case 1: buf_printf(&line, "\"start\":\"2026-06-21T00:00:00Z\""); break;
		case 2: buf_printf(&line, "\"step\":%s", flaw == 4 ? "900.25" : check_between(0, 1) ? "900" : "9e2"); break;
		default:
			buf_printf(&line, "\"series\":{\"net_wh\":{\"q10\":[1],\"point\":");
			random_series(&line, n, flaw == 1);
			buf_printf(&line, "}");
			if (export || flaw >= 2) {
				buf_printf(&line, ",%s\"export_wh\":%s{\"point\":", random_space(), random_space());
				random_series(&line, flaw == 3 ? n + 1 : n, flaw == 2);
				buf_printf(&line, "}");
			}
			buf_printf(&line, "}");
			break;
		}
	}
	buf_printf(&line, "%s}", random_space());
	buf_putc(&line, '\0');
	int jq_rc, rc = both_readers(line.data, &jq_rc);
	if (rc == NOT_STRICT) { /* a number beyond a double's range */
		CHECK(strstr(line.data, "1e400") != NULL);
		buf_free(&line);
		return;
	}
	/* no escapes and no deep objects here: the view reader reads all the jq reader reads */
	if ((rc == 0) != (jq_rc == 0))
		printf("forecast %d: view %d, jq %d: %s\n", id, rc, jq_rc, line.data);
	CHECK((rc == 0) == (jq_rc == 0));
	buf_free(&line);
}

int main(void)
{
	diag_init("test_planrec");
	for (int i = 0; i < PLANS; i++)
		one_plan(i);
	forecast_cases();
	for (int i = 0; i < 20000; i++)
		random_forecast(i);
	return check_done("test_planrec");
}
