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
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "assets.h"
#include "buf.h"
#include "check.h"
#include "diag.h"
#include "jcs.h"
#include "jvbuild.h"
#include "planrec.h"
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

int main(void)
{
	diag_init("test_planrec");
	for (int i = 0; i < PLANS; i++)
		one_plan(i);
	return check_done("test_planrec");
}
