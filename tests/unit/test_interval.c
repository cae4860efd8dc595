/*
 * Interval energies from cumulative registers: apportioning, rounding, gaps,
 * resets, jumps, refused samples, flush, slot lengths, huge values, the
 * registers at slots' ends and the nonce, and seeded property loops. Every
 * expected number is worked out in a comment.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "interval.h"
#include "readrec.h"

/* 2026-11-24T00:00:00Z, a Tuesday: 20781 days × 86400000 ms. */
#define DAY0 1795478400000LL
#define MIN 60000LL
#define SLOT 900000LL
#define T(h, m) (DAY0 + ((int64_t)(h) * 60 + (m)) * MIN)

#define KEEP_SLOTS 128
#define KEEP_EVENTS 32

/* What a sink saw: the first slots and events, running totals and shape checks. */
struct got {
	struct interval_slot slot[KEEP_SLOTS];
	struct interval_event event[KEEP_EVENTS];
	int nslot, nevent;
	char order[64];                 /* 's' per slot, 'e' per event, in order */
	int norder;
	int64_t import_wh, export_wh, covered_ms;       /* over all slots */
	int64_t lost_import_wh, lost_export_wh, lost_ms; /* over gap and jump events */
	int misshapen;                  /* slots breaking an invariant */
	int64_t prev_start;
	int refused;
};

static void note(struct got *g, char c)
{
	if (g->norder < (int)sizeof g->order - 1)
		g->order[g->norder++] = c;
}

static bool slot_misshapen(const struct got *g, const struct interval_slot *s)
{
	bool complete = (s->flags & INTERVAL_FLAG_COMPLETE) != 0;

	return s->import_wh < 0 || s->export_wh < 0 || s->net_wh != s->import_wh - s->export_wh ||
	       s->covered_ms < 0 || s->covered_ms > s->length_ms ||
	       complete != (s->covered_ms == s->length_ms) ||
	       (complete && s->flags != INTERVAL_FLAG_COMPLETE) ||
	       (s->start_ms % s->length_ms + s->length_ms) % s->length_ms != 0 ||
	       (g->nslot > 0 && s->start_ms <= g->prev_start);
}

static void on_slot(void *arg, const struct interval_slot *s)
{
	struct got *g = arg;

	if (slot_misshapen(g, s))
		g->misshapen++;
	if (g->nslot < KEEP_SLOTS)
		g->slot[g->nslot] = *s;
	g->nslot++;
	g->prev_start = s->start_ms;
	g->import_wh += s->import_wh;
	g->export_wh += s->export_wh;
	g->covered_ms += s->covered_ms;
	note(g, 's');
}

static void on_event(void *arg, const struct interval_event *e)
{
	struct got *g = arg;

	if (g->nevent < KEEP_EVENTS)
		g->event[g->nevent] = *e;
	g->nevent++;
	if (e->kind == INTERVAL_GAP || e->kind == INTERVAL_JUMP) {
		g->lost_import_wh += e->to.import_wh - e->from.import_wh;
		g->lost_export_wh += e->to.export_wh - e->from.export_wh;
		g->lost_ms += e->to.t_ms - e->from.t_ms;
	}
	note(g, 'e');
}

static struct interval_sample imp(int64_t t, int64_t wh)
{
	return (struct interval_sample){ .t_ms = t, .has_import = true, .import_wh = wh };
}

static struct interval_sample exp_only(int64_t t, int64_t wh)
{
	return (struct interval_sample){ .t_ms = t, .has_export = true, .export_wh = wh };
}

static struct interval_sample both(int64_t t, int64_t in, int64_t out)
{
	return (struct interval_sample){ .t_ms = t, .has_import = true, .import_wh = in,
	                                 .has_export = true, .export_wh = out };
}

/* A stream under test: its state, its sink and what came out. */
struct run {
	struct interval_state st;
	struct interval_sink sink;
	struct got got;
};

static void run_start(struct run *r, int64_t slot_ms, int64_t max_gap_ms, int64_t max_power_w)
{
	struct interval_config c;

	interval_config_default(&c);
	c.slot_ms = slot_ms;
	c.max_gap_ms = max_gap_ms;
	c.max_power_w = max_power_w;
	memset(r, 0, sizeof *r);
	CHECK_INTEQ(interval_init(&r->st, &c), 0);
	r->sink = (struct interval_sink){ on_slot, on_event, &r->got };
}

static int add(struct run *r, struct interval_sample s)
{
	int rc = interval_add(&r->st, &s, &r->sink);

	if (rc != 0)
		r->got.refused++;
	return rc;
}

static void flush(struct run *r)
{
	interval_flush(&r->st, &r->sink);
}

/* Checks one emitted slot against its known answer. */
#define CHECK_SLOT(s, start, in, out, covered, fl) do { \
	CHECK_INTEQ((s).start_ms, (start)); \
	CHECK_INTEQ((s).import_wh, (in)); \
	CHECK_INTEQ((s).export_wh, (out)); \
	CHECK_INTEQ((s).net_wh, (int64_t)(in) - (int64_t)(out)); \
	CHECK_INTEQ((s).covered_ms, (covered)); \
	CHECK_INTEQ((s).flags, (fl)); \
} while (0)

#define COMPLETE INTERVAL_FLAG_COMPLETE

static void test_config(void)
{
	struct interval_config c;
	struct interval_state st;

	interval_config_default(&c);
	CHECK_INTEQ(c.slot_ms, 900000);
	CHECK_INTEQ(c.max_gap_ms, 0);
	CHECK_INTEQ(c.max_power_w, 0);
	CHECK_INTEQ(c.tolerance_wh, 1);
	CHECK_INTEQ(interval_init(&st, &c), 0);
	CHECK_INTEQ(st.config.max_gap_ms, 1800000);     /* 0 means 2 × slot */
	c.slot_ms = 86400000;                           /* one day divides a day */
	CHECK_INTEQ(interval_init(&st, &c), 0);
	c.slot_ms = 1000;
	CHECK_INTEQ(interval_init(&st, &c), 0);
	c.slot_ms = 7000;                               /* 86400 / 7 is not whole */
	CHECK_INTEQ(interval_init(&st, &c), -1);
	c.slot_ms = 1500;                               /* not whole seconds */
	CHECK_INTEQ(interval_init(&st, &c), -1);
	c.slot_ms = 0;
	CHECK_INTEQ(interval_init(&st, &c), -1);
	c.slot_ms = -900000;
	CHECK_INTEQ(interval_init(&st, &c), -1);
	c.slot_ms = 2 * 86400000LL;
	CHECK_INTEQ(interval_init(&st, &c), -1);
	interval_config_default(&c);
	c.max_gap_ms = INTERVAL_MAX_GAP_LIMIT_MS;
	CHECK_INTEQ(interval_init(&st, &c), 0);
	c.max_gap_ms = INTERVAL_MAX_GAP_LIMIT_MS + 1;
	CHECK_INTEQ(interval_init(&st, &c), -1);
	interval_config_default(&c);
	c.max_power_w = -1;
	CHECK_INTEQ(interval_init(&st, &c), -1);
	interval_config_default(&c);
	c.tolerance_wh = -1;
	CHECK_INTEQ(interval_init(&st, &c), -1);
}

static void test_names(void)
{
	CHECK_STREQ(interval_flag_name(INTERVAL_FLAG_COMPLETE), "complete");
	CHECK_STREQ(interval_flag_name(INTERVAL_FLAG_GAP), "gap");
	CHECK_STREQ(interval_flag_name(INTERVAL_FLAG_RESET), "reset");
	CHECK_STREQ(interval_flag_name(INTERVAL_FLAG_JUMP), "jump");
	CHECK_STREQ(interval_flag_name(INTERVAL_FLAG_START), "start");
	CHECK_STREQ(interval_flag_name(INTERVAL_FLAG_END), "end");
	CHECK(interval_flag_name(0) == NULL);
	CHECK(interval_flag_name(0x40) == NULL);
	CHECK(interval_flag_name(INTERVAL_FLAG_GAP | INTERVAL_FLAG_END) == NULL);
	CHECK_STREQ(interval_event_name(INTERVAL_GAP), "gap");
	CHECK_STREQ(interval_event_name(INTERVAL_RESET), "reset");
	CHECK_STREQ(interval_event_name(INTERVAL_JUMP), "jump");
	CHECK_STREQ(interval_event_name(INTERVAL_OUT_OF_ORDER), "out_of_order");
	CHECK_STREQ(interval_event_name(INTERVAL_BAD_SAMPLE), "bad_sample");
	CHECK(interval_event_name((enum interval_event_kind)99) == NULL);
}

static void test_on_boundaries(void)
{
	struct run r;

	/* 10:00 1000 Wh, 10:15 1100, 10:30 1250 → slot 10:00 = 100, slot 10:15 = 150, both complete. */
	run_start(&r, SLOT, 0, 0);
	CHECK_INTEQ(add(&r, imp(T(10, 0), 1000)), 0);
	CHECK_INTEQ(r.got.nslot, 0);
	CHECK_INTEQ(add(&r, imp(T(10, 15), 1100)), 0);
	CHECK_INTEQ(r.got.nslot, 1);                    /* out as soon as a sample reaches its end */
	CHECK_INTEQ(add(&r, imp(T(10, 30), 1250)), 0);
	flush(&r);
	/* The last sample sits on 10:30: no span overlaps slot 10:30, so flush emits nothing. */
	CHECK_INTEQ(r.got.nslot, 2);
	CHECK_SLOT(r.got.slot[0], T(10, 0), 100, 0, SLOT, COMPLETE);
	CHECK_SLOT(r.got.slot[1], T(10, 15), 150, 0, SLOT, COMPLETE);
	CHECK_INTEQ(r.got.slot[0].length_ms, SLOT);
	CHECK_INTEQ(r.got.slot[0].registers, INTERVAL_IMPORT);
	CHECK_INTEQ(r.got.nevent, 0);
	CHECK_INTEQ(r.got.misshapen, 0);
}

static void test_one_boundary(void)
{
	struct run r;

	/* 100 Wh over 10:10–10:20; the 10:15 boundary is halfway: 50 + 50. */
	run_start(&r, SLOT, 0, 0);
	add(&r, imp(T(10, 10), 0));
	add(&r, imp(T(10, 20), 100));
	CHECK_INTEQ(r.got.nslot, 1);
	/* 10:00–10:10 precedes the first sample: start, 5 min covered. */
	CHECK_SLOT(r.got.slot[0], T(10, 0), 50, 0, 5 * MIN, INTERVAL_FLAG_START);
	flush(&r);
	CHECK_INTEQ(r.got.nslot, 2);
	/* 10:15–10:20 integrated, 10:20–10:30 not yet seen: end. */
	CHECK_SLOT(r.got.slot[1], T(10, 15), 50, 0, 5 * MIN, INTERVAL_FLAG_END);
	flush(&r);                                      /* a second flush has nothing left */
	CHECK_INTEQ(r.got.nslot, 2);
	CHECK_INTEQ(r.got.misshapen, 0);
}

static void test_several_slots(void)
{
	struct run r;

	/*
	 * 550 Wh over 10:10–11:05 (55 min, 10 Wh/min, within a 1 h max gap):
	 * 10:00 gets 5 min = 50, 10:15, 10:30, 10:45 get 150 each, 11:00 gets 50.
	 */
	run_start(&r, SLOT, 60 * MIN, 0);
	add(&r, imp(T(10, 10), 0));
	add(&r, imp(T(11, 5), 550));
	CHECK_INTEQ(r.got.nslot, 4);
	CHECK_SLOT(r.got.slot[0], T(10, 0), 50, 0, 5 * MIN, INTERVAL_FLAG_START);
	CHECK_SLOT(r.got.slot[1], T(10, 15), 150, 0, SLOT, COMPLETE);
	CHECK_SLOT(r.got.slot[2], T(10, 30), 150, 0, SLOT, COMPLETE);
	CHECK_SLOT(r.got.slot[3], T(10, 45), 150, 0, SLOT, COMPLETE);
	flush(&r);
	CHECK_INTEQ(r.got.nslot, 5);
	CHECK_SLOT(r.got.slot[4], T(11, 0), 50, 0, 5 * MIN, INTERVAL_FLAG_END);
	CHECK_INTEQ(r.got.import_wh, 550);
}

static void test_rounding(void)
{
	struct run r;

	/*
	 * 10 Wh over 10:00–10:45, three equal slots. cum(10:15) = round(10/3 = 3.33) = 3,
	 * cum(10:30) = round(20/3 = 6.67) = 7, cum(10:45) = 10 → 3, 4, 3; sum 10.
	 */
	run_start(&r, SLOT, 60 * MIN, 0);
	add(&r, imp(T(10, 0), 0));
	add(&r, imp(T(10, 45), 10));
	CHECK_INTEQ(r.got.nslot, 3);
	CHECK_SLOT(r.got.slot[0], T(10, 0), 3, 0, SLOT, COMPLETE);
	CHECK_SLOT(r.got.slot[1], T(10, 15), 4, 0, SLOT, COMPLETE);
	CHECK_SLOT(r.got.slot[2], T(10, 30), 3, 0, SLOT, COMPLETE);

	/* 2 Wh in thirds: cum = round(0.67) = 1, round(1.33) = 1, 2 → 1, 0, 1; sum 2. */
	run_start(&r, SLOT, 60 * MIN, 0);
	add(&r, imp(T(10, 0), 7));
	add(&r, imp(T(10, 45), 9));
	CHECK_INTEQ(r.got.nslot, 3);
	CHECK_INTEQ(r.got.slot[0].import_wh, 1);
	CHECK_INTEQ(r.got.slot[1].import_wh, 0);
	CHECK_INTEQ(r.got.slot[2].import_wh, 1);

	/* Halves round up: 1 Wh over 10:10–10:20 → cum(10:15) = round(0.5) = 1 → 1, 0. */
	run_start(&r, SLOT, 0, 0);
	add(&r, imp(T(10, 10), 0));
	add(&r, imp(T(10, 20), 1));
	flush(&r);
	CHECK_INTEQ(r.got.slot[0].import_wh, 1);
	CHECK_INTEQ(r.got.slot[1].import_wh, 0);

	/* 5 Wh the same way: round(2.5) = 3 → 3, 2. */
	run_start(&r, SLOT, 0, 0);
	add(&r, imp(T(10, 10), 0));
	add(&r, imp(T(10, 20), 5));
	flush(&r);
	CHECK_INTEQ(r.got.slot[0].import_wh, 3);
	CHECK_INTEQ(r.got.slot[1].import_wh, 2);
}

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64*: fixed seed, the same numbers on every machine. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static int64_t rng_below(int64_t n)
{
	return (int64_t)(rng() % (uint64_t)n);
}

static void test_one_second_day(void)
{
	struct run r;
	int64_t in = 123456789, out = 987654, in_at[97], out_at[97];
	int bad = 0;

	/*
	 * 86401 samples, one a second from 00:00:00 to 24:00:00, each second adding
	 * 0–3 Wh import and 0–1 Wh export. Every span lies inside one slot, so each
	 * of the 96 slots is complete and holds exactly the register difference
	 * between its start and its end; the day sums to last − first.
	 */
	rng_state = 0x5eed;
	run_start(&r, SLOT, 0, 0);
	for (int64_t s = 0; s <= 86400; s++) {
		if (s > 0) {
			in += rng_below(4);
			out += rng_below(2);
		}
		if (s % 900 == 0) {
			in_at[s / 900] = in;
			out_at[s / 900] = out;
		}
		add(&r, both(DAY0 + s * 1000, in, out));
	}
	flush(&r);
	CHECK_INTEQ(r.got.nslot, 96);
	for (int k = 0; k < 96; k++) {
		const struct interval_slot *sl = &r.got.slot[k];
		if (sl->start_ms != DAY0 + k * SLOT || sl->import_wh != in_at[k + 1] - in_at[k] ||
		    sl->export_wh != out_at[k + 1] - out_at[k] || sl->flags != COMPLETE)
			bad++;
	}
	CHECK_INTEQ(bad, 0);
	CHECK_INTEQ(r.got.import_wh, in - 123456789);
	CHECK_INTEQ(r.got.export_wh, out - 987654);
	CHECK_INTEQ(r.got.covered_ms, 86400000);
	CHECK_INTEQ(r.got.nevent, 0);
	CHECK_INTEQ(r.got.misshapen, 0);
}

static void test_gap(void)
{
	struct run r;
	const struct interval_event *e = &r.got.event[0];

	/*
	 * Max gap 30 min. 10:00 0 Wh, 10:10 100 (integrated), 11:05 700 (55 min:
	 * a gap), 11:15 800. Slot 10:00 keeps its 100 from 10:00–10:10, covered
	 * 10 min; 10:15–10:45 lie wholly in the gap and are not emitted; slot 11:00
	 * gets 100 from 11:05–11:15, covered 10 min. The gap event carries 600 Wh:
	 * 100 + 600 + 100 = 800 = last − first.
	 */
	run_start(&r, SLOT, 0, 0);
	add(&r, imp(T(10, 0), 0));
	add(&r, imp(T(10, 10), 100));
	CHECK_INTEQ(add(&r, imp(T(11, 5), 700)), 0);   /* a gap is accepted, not refused */
	CHECK_INTEQ(r.got.nevent, 1);
	CHECK_INTEQ(e->kind, INTERVAL_GAP);
	CHECK_INTEQ(e->from.t_ms, T(10, 10));
	CHECK_INTEQ(e->to.t_ms, T(11, 5));
	CHECK_INTEQ(e->from.import_wh, 100);
	CHECK_INTEQ(e->to.import_wh, 700);
	CHECK_INTEQ(e->registers, INTERVAL_IMPORT);
	CHECK_INTEQ(r.got.nslot, 1);
	CHECK_SLOT(r.got.slot[0], T(10, 0), 100, 0, 10 * MIN, INTERVAL_FLAG_GAP);
	add(&r, imp(T(11, 15), 800));
	flush(&r);
	CHECK_INTEQ(r.got.nslot, 2);
	CHECK_SLOT(r.got.slot[1], T(11, 0), 100, 0, 10 * MIN, INTERVAL_FLAG_GAP);
	CHECK_STREQ(r.got.order, "ess");                /* the event before the slots it closes */
	CHECK_INTEQ(r.got.import_wh + r.got.lost_import_wh, 800);
	CHECK_INTEQ(r.got.covered_ms + r.got.lost_ms, T(11, 15) - T(10, 0));
}

static void test_gap_on_boundaries(void)
{
	struct run r;

	/*
	 * 10:00 0, 10:15 10, 11:15 100 (gap 10:15–11:15), 11:30 110. The gap's first
	 * slot (10:15) and last slot (11:00) come out empty and flagged; 10:30 and
	 * 10:45 lie between them and are skipped; 11:15 is untouched by the gap.
	 */
	run_start(&r, SLOT, 0, 0);
	add(&r, imp(T(10, 0), 0));
	add(&r, imp(T(10, 15), 10));
	add(&r, imp(T(11, 15), 100));
	CHECK_INTEQ(r.got.nslot, 3);                    /* 11:00 ends at the sample: out at once */
	add(&r, imp(T(11, 30), 110));
	flush(&r);
	CHECK_INTEQ(r.got.nslot, 4);
	CHECK_SLOT(r.got.slot[0], T(10, 0), 10, 0, SLOT, COMPLETE);
	CHECK_SLOT(r.got.slot[1], T(10, 15), 0, 0, 0, INTERVAL_FLAG_GAP);
	CHECK_SLOT(r.got.slot[2], T(11, 0), 0, 0, 0, INTERVAL_FLAG_GAP);
	CHECK_SLOT(r.got.slot[3], T(11, 15), 10, 0, SLOT, COMPLETE);
	CHECK_INTEQ(r.got.nevent, 1);
	CHECK_INTEQ(r.got.lost_import_wh, 90);
	CHECK_STREQ(r.got.order, "sesss");
}

static void test_gap_inside_slot(void)
{
	struct run r;

	/*
	 * Max gap 1 min: 10:00 0, 10:01 10 (integrated), 10:05 50 (gap of 4 min),
	 * 10:06 60 (integrated). Flush: slot 10:00 = 20 Wh over 2 min, gap and end;
	 * 20 + the gap's 40 = 60.
	 */
	run_start(&r, SLOT, MIN, 0);
	add(&r, imp(T(10, 0), 0));
	add(&r, imp(T(10, 1), 10));
	add(&r, imp(T(10, 5), 50));
	add(&r, imp(T(10, 6), 60));
	CHECK_INTEQ(r.got.nslot, 0);
	flush(&r);
	CHECK_INTEQ(r.got.nslot, 1);
	CHECK_SLOT(r.got.slot[0], T(10, 0), 20, 0, 2 * MIN, INTERVAL_FLAG_GAP | INTERVAL_FLAG_END);
	CHECK_INTEQ(r.got.lost_import_wh, 40);
}

static void test_clock_leap(void)
{
	struct run r;

	/* A clock that leaps 50 years ahead costs one event and two slots, not 1.7 million. */
	run_start(&r, SLOT, 0, 0);
	add(&r, imp(T(10, 0), 0));
	add(&r, imp(T(10, 5), 5));
	add(&r, imp(T(10, 5) + 50 * 365 * 86400000LL, 1000));
	flush(&r);
	CHECK_INTEQ(r.got.nevent, 1);
	CHECK_INTEQ(r.got.nslot, 2);
	CHECK_SLOT(r.got.slot[0], T(10, 0), 5, 0, 5 * MIN, INTERVAL_FLAG_GAP);
	CHECK_SLOT(r.got.slot[1], T(10, 0) + 50 * 365 * 86400000LL, 0, 0, 0,
	           INTERVAL_FLAG_GAP | INTERVAL_FLAG_END);
}

static void test_reset(void)
{
	struct run r;
	const struct interval_event *e = &r.got.event[0];

	/*
	 * 10:00 5000, 10:05 5100, 10:10 20 (the register went back: a reset),
	 * 10:15 70. The reset span 10:05–10:10 is not integrated; 20 becomes the
	 * baseline. Slot 10:00 = 100 + 50 = 150 over 10 min, flagged reset.
	 */
	run_start(&r, SLOT, 0, 0);
	add(&r, imp(T(10, 0), 5000));
	add(&r, imp(T(10, 5), 5100));
	CHECK_INTEQ(add(&r, imp(T(10, 10), 20)), 0);
	CHECK_INTEQ(r.got.nevent, 1);
	CHECK_INTEQ(e->kind, INTERVAL_RESET);
	CHECK_INTEQ(e->registers, INTERVAL_IMPORT);
	CHECK_INTEQ(e->from.import_wh, 5100);
	CHECK_INTEQ(e->to.import_wh, 20);
	CHECK_INTEQ(e->from.t_ms, T(10, 5));
	CHECK_INTEQ(e->to.t_ms, T(10, 10));
	add(&r, imp(T(10, 15), 70));
	CHECK_INTEQ(r.got.nslot, 1);
	CHECK_SLOT(r.got.slot[0], T(10, 0), 150, 0, 10 * MIN, INTERVAL_FLAG_RESET);

	/*
	 * Only export resets (100 → 0) over 10:00–10:05: neither register is
	 * integrated there (the event still tells import's 0 → 10). Then 10:05–10:15
	 * adds import 20, export 5: slot 10:00 = 20 / 5, net 15, 10 min covered.
	 */
	run_start(&r, SLOT, 0, 0);
	add(&r, both(T(10, 0), 0, 100));
	add(&r, both(T(10, 5), 10, 0));
	add(&r, both(T(10, 15), 30, 5));
	CHECK_INTEQ(r.got.nevent, 1);
	CHECK_INTEQ(e->registers, INTERVAL_EXPORT);
	CHECK_INTEQ(e->to.import_wh - e->from.import_wh, 10);
	CHECK_SLOT(r.got.slot[0], T(10, 0), 20, 5, 10 * MIN, INTERVAL_FLAG_RESET);
}

static void test_jump(void)
{
	struct run r;
	const struct interval_event *e = &r.got.event[0];

	/*
	 * Max power 6000 W, tolerance 1 Wh: 5 min allow 6000 × 300 / 3600 = 500 Wh
	 * + 1 = 501. 10:00 0, 10:05 501 (allowed), 10:10 1103 (+602: a jump, not
	 * integrated, new baseline), 10:15 1604 (+501). Slot 10:00 = 1002 over
	 * 10 min, flagged jump; the event carries 501 → 1103.
	 */
	run_start(&r, SLOT, 0, 6000);
	add(&r, imp(T(10, 0), 0));
	add(&r, imp(T(10, 5), 501));
	CHECK_INTEQ(r.got.nevent, 0);
	CHECK_INTEQ(add(&r, imp(T(10, 10), 1103)), 0);
	CHECK_INTEQ(r.got.nevent, 1);
	CHECK_INTEQ(e->kind, INTERVAL_JUMP);
	CHECK_INTEQ(e->registers, INTERVAL_IMPORT);
	CHECK_INTEQ(e->from.import_wh, 501);
	CHECK_INTEQ(e->to.import_wh, 1103);
	add(&r, imp(T(10, 15), 1604));
	CHECK_INTEQ(r.got.nslot, 1);
	CHECK_SLOT(r.got.slot[0], T(10, 0), 1002, 0, 10 * MIN, INTERVAL_FLAG_JUMP);

	/* One Wh over the limit is a jump: 502 in 5 min. */
	run_start(&r, SLOT, 0, 6000);
	add(&r, imp(T(10, 0), 0));
	add(&r, imp(T(10, 5), 502));
	CHECK_INTEQ(r.got.nevent, 1);
	CHECK_INTEQ(e->kind, INTERVAL_JUMP);

	/* A jump outranks a gap: 10 kWh over 40 min at 6 kW (at most 4001 Wh) is a jump. */
	run_start(&r, SLOT, 0, 6000);
	add(&r, imp(T(10, 0), 0));
	add(&r, imp(T(10, 40), 10000));
	CHECK_INTEQ(r.got.nevent, 1);
	CHECK_INTEQ(e->kind, INTERVAL_JUMP);
	/* And a reset outranks both. */
	add(&r, imp(T(12, 0), 5));
	CHECK_INTEQ(r.got.nevent, 2);
	CHECK_INTEQ(r.got.event[1].kind, INTERVAL_RESET);

	/* Max power 0 checks nothing: 1 GWh in 1 s is integrated. */
	run_start(&r, SLOT, 0, 0);
	add(&r, imp(T(10, 0), 0));
	add(&r, imp(T(10, 0) + 1000, 1000000000));
	CHECK_INTEQ(r.got.nevent, 0);
}

static void test_slot_sum_overflow(void)
{
	struct run r;

	/*
	 * 10:00 0 → 10:01 INT64_MAX fills slot 10:00 to INT64_MAX; a reset to 0 at
	 * 10:02, then +10 by 10:03 cannot be added to that slot: it is a jump.
	 */
	run_start(&r, SLOT, 0, 0);
	add(&r, imp(T(10, 0), 0));
	add(&r, imp(T(10, 1), INT64_MAX));
	add(&r, imp(T(10, 2), 0));
	add(&r, imp(T(10, 3), 10));
	flush(&r);
	CHECK_INTEQ(r.got.nevent, 2);
	CHECK_INTEQ(r.got.event[0].kind, INTERVAL_RESET);
	CHECK_INTEQ(r.got.event[1].kind, INTERVAL_JUMP);
	CHECK_INTEQ(r.got.nslot, 1);
	CHECK_SLOT(r.got.slot[0], T(10, 0), INT64_MAX, 0, MIN,
	           INTERVAL_FLAG_RESET | INTERVAL_FLAG_JUMP | INTERVAL_FLAG_END);
}

static void test_out_of_order(void)
{
	struct run r;
	const struct interval_event *e = &r.got.event[0];

	/*
	 * 10:00 0, 10:05 50, then 10:04 (earlier) and 10:05 again (a duplicate):
	 * both refused, nothing changes; 10:15 150 → slot 10:00 = 150, complete.
	 */
	run_start(&r, SLOT, 0, 0);
	add(&r, imp(T(10, 0), 0));
	add(&r, imp(T(10, 5), 50));
	CHECK_INTEQ(add(&r, imp(T(10, 4), 60)), -1);
	CHECK_INTEQ(r.got.nevent, 1);
	CHECK_INTEQ(e->kind, INTERVAL_OUT_OF_ORDER);
	CHECK_INTEQ(e->from.t_ms, T(10, 5));
	CHECK_INTEQ(e->to.t_ms, T(10, 4));
	CHECK_INTEQ(e->to.import_wh, 60);
	CHECK_INTEQ(add(&r, imp(T(10, 5), 55)), -1);
	CHECK_INTEQ(r.got.event[1].kind, INTERVAL_OUT_OF_ORDER);
	CHECK_INTEQ(add(&r, imp(T(10, 15), 150)), 0);
	CHECK_INTEQ(r.got.nslot, 1);
	CHECK_SLOT(r.got.slot[0], T(10, 0), 150, 0, SLOT, COMPLETE);
	CHECK_INTEQ(r.got.refused, 2);
}

static void test_bad_samples(void)
{
	struct run r;
	struct interval_sample none = { .t_ms = T(10, 7) };
	const struct interval_event *e = &r.got.event[0];

	/* A first sample without a register is refused and starts nothing. */
	run_start(&r, SLOT, 0, 0);
	CHECK_INTEQ(add(&r, none), -1);
	CHECK_INTEQ(e->kind, INTERVAL_BAD_SAMPLE);
	CHECK_INTEQ(e->registers, 0);
	CHECK_INTEQ(e->from.t_ms, 0);                   /* no baseline yet */
	CHECK_INTEQ(add(&r, imp(INTERVAL_TIME_LIMIT_MS + 1, 0)), -1);
	CHECK_INTEQ(add(&r, imp(-INTERVAL_TIME_LIMIT_MS - 1, 0)), -1);
	CHECK_INTEQ(add(&r, imp(T(10, 0), -1)), -1);   /* a negative register */
	CHECK_INTEQ(r.got.event[3].registers, INTERVAL_IMPORT);

	/* An import-only meter: samples with export, or without import, are refused. */
	CHECK_INTEQ(add(&r, imp(T(10, 0), 0)), 0);
	CHECK_INTEQ(add(&r, both(T(10, 5), 50, 0)), -1);
	CHECK_INTEQ(r.got.event[4].registers, INTERVAL_EXPORT);
	CHECK_INTEQ(add(&r, exp_only(T(10, 6), 0)), -1);
	CHECK_INTEQ(r.got.event[5].registers, INTERVAL_IMPORT | INTERVAL_EXPORT);
	CHECK_INTEQ(add(&r, none), -1);
	CHECK_INTEQ(r.got.nevent, 7);
	CHECK_INTEQ(r.got.refused, 7);
	/* 10:00 0 → 10:15 90: the refusals changed nothing. Export is 0, net = import. */
	CHECK_INTEQ(add(&r, imp(T(10, 15), 90)), 0);
	CHECK_INTEQ(r.got.nslot, 1);
	CHECK_SLOT(r.got.slot[0], T(10, 0), 90, 0, SLOT, COMPLETE);
	CHECK_INTEQ(r.got.slot[0].registers, INTERVAL_IMPORT);
	for (int i = 0; i < 7; i++)
		CHECK_INTEQ(r.got.event[i].kind, INTERVAL_BAD_SAMPLE);
}

static void test_export(void)
{
	struct run r;

	/*
	 * A PV household: 12:00 import 100 export 1000, 12:15 100 / 1600, 12:30
	 * 130 / 1600. Slot 12:00 = 0 in, 600 out, net −600; slot 12:15 = 30 in, 0 out.
	 */
	run_start(&r, SLOT, 0, 0);
	add(&r, both(T(12, 0), 100, 1000));
	add(&r, both(T(12, 15), 100, 1600));
	add(&r, both(T(12, 30), 130, 1600));
	CHECK_INTEQ(r.got.nslot, 2);
	CHECK_SLOT(r.got.slot[0], T(12, 0), 0, 600, SLOT, COMPLETE);
	CHECK_INTEQ(r.got.slot[0].net_wh, -600);
	CHECK_SLOT(r.got.slot[1], T(12, 15), 30, 0, SLOT, COMPLETE);
	CHECK_INTEQ(r.got.slot[0].registers, INTERVAL_IMPORT | INTERVAL_EXPORT);

	/* An export-only meter: 12:05 0 → 12:25 40 splits 20 / 20 at 12:15. */
	run_start(&r, SLOT, 0, 0);
	add(&r, exp_only(T(12, 5), 0));
	add(&r, exp_only(T(12, 25), 40));
	flush(&r);
	CHECK_INTEQ(r.got.nslot, 2);
	CHECK_SLOT(r.got.slot[0], T(12, 0), 0, 20, 10 * MIN, INTERVAL_FLAG_START);
	CHECK_SLOT(r.got.slot[1], T(12, 15), 0, 20, 10 * MIN, INTERVAL_FLAG_END);
	CHECK_INTEQ(r.got.slot[1].net_wh, -20);
	CHECK_INTEQ(r.got.slot[1].registers, INTERVAL_EXPORT);
}

static void test_flush(void)
{
	struct run r;

	/* A single sample holds no energy: flush emits nothing. */
	run_start(&r, SLOT, 0, 0);
	add(&r, imp(T(10, 7), 0));
	flush(&r);
	CHECK_INTEQ(r.got.nslot, 0);

	/* 10:02 0 → 10:07 25 → flush: slot 10:00 = 25 over 5 min, start and end. */
	add(&r, imp(T(10, 2), 0));
	add(&r, imp(T(10, 7), 25));
	flush(&r);
	CHECK_INTEQ(r.got.nslot, 1);
	CHECK_SLOT(r.got.slot[0], T(10, 0), 25, 0, 5 * MIN, INTERVAL_FLAG_START | INTERVAL_FLAG_END);

	/* After a flush the state starts afresh: an earlier time is a new first sample. */
	r.got.nslot = 0;
	CHECK_INTEQ(add(&r, imp(T(9, 0), 500)), 0);
	CHECK_INTEQ(add(&r, imp(T(9, 15), 510)), 0);
	CHECK_INTEQ(r.got.nevent, 0);
	CHECK_INTEQ(r.got.nslot, 1);
	CHECK_SLOT(r.got.slot[0], T(9, 0), 10, 0, SLOT, COMPLETE);
}

static void test_hour_slots(void)
{
	struct run r;

	/* 1200 Wh over 09:30–11:30 (600 Wh/h), hourly slots: 300 / 600 / 300. */
	run_start(&r, 3600000, 0, 0);
	add(&r, imp(T(9, 30), 0));
	add(&r, imp(T(11, 30), 1200));
	flush(&r);
	CHECK_INTEQ(r.got.nslot, 3);
	CHECK_SLOT(r.got.slot[0], T(9, 0), 300, 0, 30 * MIN, INTERVAL_FLAG_START);
	CHECK_SLOT(r.got.slot[1], T(10, 0), 600, 0, 60 * MIN, COMPLETE);
	CHECK_SLOT(r.got.slot[2], T(11, 0), 300, 0, 30 * MIN, INTERVAL_FLAG_END);
	CHECK_INTEQ(r.got.slot[1].length_ms, 3600000);
}

static void test_minute_slots(void)
{
	struct run r;

	/*
	 * Minute slots, default max gap 2 min. 120 Wh over 10:00:30–10:02:30
	 * (exactly 2 min: still integrated) → 30 / 60 / 30.
	 */
	run_start(&r, MIN, 0, 0);
	add(&r, imp(T(10, 0) + 30000, 0));
	add(&r, imp(T(10, 2) + 30000, 120));
	flush(&r);
	CHECK_INTEQ(r.got.nevent, 0);
	CHECK_INTEQ(r.got.nslot, 3);
	CHECK_SLOT(r.got.slot[0], T(10, 0), 30, 0, 30000, INTERVAL_FLAG_START);
	CHECK_SLOT(r.got.slot[1], T(10, 1), 60, 0, MIN, COMPLETE);
	CHECK_SLOT(r.got.slot[2], T(10, 2), 30, 0, 30000, INTERVAL_FLAG_END);

	/* One ms longer is a gap. */
	run_start(&r, MIN, 0, 0);
	add(&r, imp(T(10, 0) + 30000, 0));
	add(&r, imp(T(10, 2) + 30001, 120));
	CHECK_INTEQ(r.got.nevent, 1);
	CHECK_INTEQ(r.got.event[0].kind, INTERVAL_GAP);
}

static void test_before_epoch(void)
{
	struct run r;

	/* 200 Wh over 1969-12-31T23:50Z–1970-01-01T00:10Z: slot −15 min gets 100, slot 0 gets 100. */
	run_start(&r, SLOT, 0, 0);
	add(&r, imp(-10 * MIN, 0));
	add(&r, imp(10 * MIN, 200));
	flush(&r);
	CHECK_INTEQ(r.got.nslot, 2);
	CHECK_SLOT(r.got.slot[0], -SLOT, 100, 0, 10 * MIN, INTERVAL_FLAG_START);
	CHECK_SLOT(r.got.slot[1], 0, 100, 0, 10 * MIN, INTERVAL_FLAG_END);
}

static void test_large_values(void)
{
	struct run r;
	const int64_t p53 = 1LL << 53, p62 = 1LL << 62;

	/* Registers around 2^53 Wh (where a double stops counting Wh): 2000 Wh over 10:10–10:20 → 1000 / 1000. */
	run_start(&r, SLOT, 0, 0);
	add(&r, both(T(10, 10), p53 - 1000, p53 + 7));
	add(&r, both(T(10, 20), p53 + 1000, p53 + 8));
	flush(&r);
	CHECK_SLOT(r.got.slot[0], T(10, 0), 1000, 1, 5 * MIN, INTERVAL_FLAG_START);   /* round(0.5) = 1 */
	CHECK_SLOT(r.got.slot[1], T(10, 15), 1000, 0, 5 * MIN, INTERVAL_FLAG_END);

	/*
	 * 2^62 Wh in three equal slots: 2^62 / 3 = 1537228672809129301.33 → cum 1537228672809129301,
	 * 2·2^62 / 3 = 3074457345618258602.67 → cum 3074457345618258603:
	 * shares …301, …302, …301, summing to 4611686018427387904 = 2^62.
	 */
	run_start(&r, SLOT, 60 * MIN, 0);
	add(&r, imp(T(10, 0), 0));
	add(&r, imp(T(10, 45), p62));
	CHECK_INTEQ(r.got.nslot, 3);
	CHECK_INTEQ(r.got.slot[0].import_wh, 1537228672809129301LL);
	CHECK_INTEQ(r.got.slot[1].import_wh, 1537228672809129302LL);
	CHECK_INTEQ(r.got.slot[2].import_wh, 1537228672809129301LL);

	/* 0 → INT64_MAX over 10:10–10:20: the half is …903.5, rounded up to …904; the rest …903. */
	run_start(&r, SLOT, 0, 0);
	add(&r, imp(T(10, 10), 0));
	add(&r, imp(T(10, 20), INT64_MAX));
	flush(&r);
	CHECK_INTEQ(r.got.slot[0].import_wh, 4611686018427387904LL);
	CHECK_INTEQ(r.got.slot[1].import_wh, 4611686018427387903LL);
	CHECK_INTEQ(r.got.slot[1].net_wh, 4611686018427387903LL);

	/* The jump check in 128 bits: huge max power and a huge span do not wrap. */
	run_start(&r, SLOT, INTERVAL_MAX_GAP_LIMIT_MS, INT64_MAX);
	add(&r, imp(T(10, 0), 0));
	add(&r, imp(T(10, 0) + INTERVAL_MAX_GAP_LIMIT_MS, INT64_MAX));
	CHECK_INTEQ(r.got.nevent, 0);
	CHECK_INTEQ(r.got.nslot, 366 * 96);
	CHECK_INTEQ(r.got.import_wh, INT64_MAX);
	CHECK_INTEQ(r.got.misshapen, 0);
}

/*
 * Random monotone streams: sum of slots + energy crossing gaps == last − first,
 * covered time + gap time == last − first time, every slot well-formed.
 */
static void test_property_monotone(void)
{
	static const int64_t lengths[] = { 60000, 300000, 900000, 3600000 };
	int failures = 0, gaps = 0;

	rng_state = 20261124;
	for (int round = 0; round < 40; round++) {
		struct run r;
		int64_t len = lengths[round % 4], t = DAY0 + rng_below(86400000);
		int64_t in = rng_below(1LL << 40), out = rng_below(1LL << 40);
		int64_t t0 = t, in0 = in, out0 = out;

		run_start(&r, len, 0, 0);
		add(&r, both(t, in, out));
		for (int i = 0; i < 3000; i++) {
			/* Mostly 1–90 s apart, now and then far enough for a gap. */
			int64_t dt = rng_below(50) == 0 ? 1 + rng_below(4 * len) : 1 + rng_below(90000);
			t += dt;
			in += rng_below(dt / 300 + 1);
			out += rng_below(dt / 1000 + 1);
			add(&r, both(t, in, out));
		}
		flush(&r);
		if (r.got.import_wh + r.got.lost_import_wh != in - in0 ||
		    r.got.export_wh + r.got.lost_export_wh != out - out0 ||
		    r.got.covered_ms + r.got.lost_ms != t - t0 || r.got.misshapen != 0 || r.got.refused != 0)
			failures++;
		gaps += r.got.nevent;
	}
	CHECK_INTEQ(failures, 0);
	CHECK(gaps > 0);
}

/*
 * With resets and jumps too: slots + gap and jump events account for the
 * energy of every span that is not a reset, and nothing is ever negative.
 */
static void test_property_faults(void)
{
	int failures = 0, resets = 0, jumps = 0;

	rng_state = 42;
	for (int round = 0; round < 20; round++) {
		struct run r;
		int64_t t = DAY0, in = 1000000, out = 5000, want_in = 0, want_out = 0, want_ms = 0;

		run_start(&r, SLOT, 0, 20000);      /* at most 20 kW */
		add(&r, both(t, in, out));
		for (int i = 0; i < 3000; i++) {
			int64_t dt = rng_below(40) == 0 ? 1 + rng_below(3600000) : 1000 + rng_below(60000);
			int64_t din = rng_below(dt * 20000 / 3600000 + 1), dout = rng_below(dt / 3600 + 1);
			int kind = (int)rng_below(100);
			bool reset = false;

			if (kind == 0) {
				reset = in > 0;
				din = reset ? -1 - rng_below(in) : 0;  /* back to somewhere lower */
			} else if (kind == 1) {
				din += 1000000;                         /* far beyond 20 kW */
			}
			t += dt;
			in += din;
			out += dout;
			if (reset) {
				resets++;
			} else {
				jumps += kind == 1;
				want_in += din;
				want_out += dout;
				want_ms += dt;
			}
			add(&r, both(t, in, out));
		}
		flush(&r);
		if (r.got.import_wh + r.got.lost_import_wh != want_in ||
		    r.got.export_wh + r.got.lost_export_wh != want_out ||
		    r.got.covered_ms + r.got.lost_ms != want_ms || r.got.misshapen != 0)
			failures++;
	}
	CHECK_INTEQ(failures, 0);
	CHECK(resets > 0);
	CHECK(jumps > 0);
}

/* Checks a slot's registers at its end: known with these values, or not known (has 0 / 0). */
#define CHECK_ENDS(s, in, out) do { \
	CHECK((s).has_end_registers); \
	CHECK_INTEQ((s).end_import_wh, (in)); \
	CHECK_INTEQ((s).end_export_wh, (out)); \
} while (0)
#define CHECK_NO_ENDS(s) do { \
	CHECK(!(s).has_end_registers); \
	CHECK_INTEQ((s).end_import_wh, 0); \
	CHECK_INTEQ((s).end_export_wh, 0); \
} while (0)

static void test_end_registers(void)
{
	struct run r;

	/*
	 * The known answer: 10 Wh over 10:00–10:45 from E0 = 1000, three equal
	 * slots get 3, 4, 3 (test_rounding); the registers at their ends are
	 * E0 + cum: 1003, 1007, 1010 (the last one the sample at 10:45 itself).
	 */
	run_start(&r, SLOT, 60 * MIN, 0);
	add(&r, imp(T(10, 0), 1000));
	add(&r, imp(T(10, 45), 1010));
	CHECK_INTEQ(r.got.nslot, 3);
	CHECK_SLOT(r.got.slot[0], T(10, 0), 3, 0, SLOT, COMPLETE);
	CHECK_SLOT(r.got.slot[1], T(10, 15), 4, 0, SLOT, COMPLETE);
	CHECK_SLOT(r.got.slot[2], T(10, 30), 3, 0, SLOT, COMPLETE);
	CHECK_ENDS(r.got.slot[0], 1003, 0);        /* import only: export stays 0 */
	CHECK_ENDS(r.got.slot[1], 1007, 0);
	CHECK_ENDS(r.got.slot[2], 1010, 0);

	/*
	 * Both registers, slot ends inside spans: 10:10 (100, 50) → 10:20 (200, 51)
	 * → 10:40 (400, 71). At 10:15 the first span is half done: import
	 * 100 + round(50) = 150, export 50 + round(0.5) = 51. At 10:30 the second
	 * span is half done: 200 + 100 = 300, 51 + 10 = 61. Slot 10:15 holds
	 * 50 + 100 = 150 import and 0 + 10 = 10 export: 300 − 150 and 61 − 51.
	 */
	run_start(&r, SLOT, 0, 0);
	add(&r, both(T(10, 10), 100, 50));
	add(&r, both(T(10, 20), 200, 51));
	add(&r, both(T(10, 40), 400, 71));
	CHECK_INTEQ(r.got.nslot, 2);
	CHECK_SLOT(r.got.slot[0], T(10, 0), 50, 1, 5 * MIN, INTERVAL_FLAG_START);
	CHECK_ENDS(r.got.slot[0], 150, 51);        /* known although the slot is incomplete */
	CHECK_SLOT(r.got.slot[1], T(10, 15), 150, 10, SLOT, COMPLETE);
	CHECK_ENDS(r.got.slot[1], 300, 61);
	/* The flushed slot 10:30: its end 10:45 is after the last sample, so not known. */
	flush(&r);
	CHECK_INTEQ(r.got.nslot, 3);
	CHECK_SLOT(r.got.slot[2], T(10, 30), 100, 10, 10 * MIN, INTERVAL_FLAG_END);
	CHECK_NO_ENDS(r.got.slot[2]);

	/* An export-only meter: import stays 0. 12:05 0 → 12:25 40: at 12:15, 20. */
	run_start(&r, SLOT, 0, 0);
	add(&r, exp_only(T(12, 5), 0));
	add(&r, exp_only(T(12, 25), 40));
	CHECK_INTEQ(r.got.nslot, 1);
	CHECK_ENDS(r.got.slot[0], 0, 20);

	/*
	 * A slot ending exactly on a sample has the sample's registers, and the
	 * stream's last such slot is out before the flush, which then has nothing:
	 * 10:00 1000, 10:15 1100, 10:30 1250 (test_on_boundaries).
	 */
	run_start(&r, SLOT, 0, 0);
	add(&r, imp(T(10, 0), 1000));
	add(&r, imp(T(10, 15), 1100));
	add(&r, imp(T(10, 30), 1250));
	flush(&r);
	CHECK_INTEQ(r.got.nslot, 2);
	CHECK_ENDS(r.got.slot[0], 1100, 0);
	CHECK_ENDS(r.got.slot[1], 1250, 0);

	/* 1 ms short of the boundary: the slot is then flushed, its end not reached, not known. */
	run_start(&r, SLOT, 0, 0);
	add(&r, imp(T(10, 0), 1000));
	add(&r, imp(T(10, 15) - 1, 1100));
	flush(&r);
	CHECK_INTEQ(r.got.nslot, 1);
	CHECK_SLOT(r.got.slot[0], T(10, 0), 100, 0, SLOT - 1, INTERVAL_FLAG_END);
	CHECK_NO_ENDS(r.got.slot[0]);

	/* Registers near INT64_MAX: 0 → INT64_MAX over 10:10–10:20, at 10:15 the half rounded up. */
	run_start(&r, SLOT, 0, 0);
	add(&r, imp(T(10, 10), 0));
	add(&r, imp(T(10, 20), INT64_MAX));
	CHECK_ENDS(r.got.slot[0], 4611686018427387904LL, 0);
	run_start(&r, SLOT, 0, 0);
	add(&r, imp(T(10, 10), INT64_MAX - 10));
	add(&r, imp(T(10, 30), INT64_MAX));
	CHECK_INTEQ(r.got.nslot, 2);
	CHECK_ENDS(r.got.slot[0], INT64_MAX - 7, 0);   /* 10 Wh over 20 min, 5 min in: round(2.5) = 3 */
	CHECK_ENDS(r.got.slot[1], INT64_MAX, 0);
}

static void test_end_registers_faults(void)
{
	struct run r;

	/*
	 * test_gap_on_boundaries: 10:00 0, 10:15 10, gap to 11:15 100, 11:30 110.
	 * Slot 10:00 ends on the sample at 10:15: 10. Slot 10:15 (the gap's first)
	 * ends at 10:30, inside the gap: not known. Slot 11:00 (the gap's last)
	 * ends on the sample at 11:15: 100, although flagged gap. Slot 11:15: 110.
	 */
	run_start(&r, SLOT, 0, 0);
	add(&r, imp(T(10, 0), 0));
	add(&r, imp(T(10, 15), 10));
	add(&r, imp(T(11, 15), 100));
	add(&r, imp(T(11, 30), 110));
	CHECK_INTEQ(r.got.nslot, 4);
	CHECK_ENDS(r.got.slot[0], 10, 0);
	CHECK_NO_ENDS(r.got.slot[1]);
	CHECK_ENDS(r.got.slot[2], 100, 0);
	CHECK_ENDS(r.got.slot[3], 110, 0);

	/*
	 * test_gap: 10:00 0, 10:10 100, gap to 11:05 700, 11:15 800. Slot 10:00 ends
	 * inside the gap: not known. Slot 11:00 (gap) ends on 11:15: 800.
	 */
	run_start(&r, SLOT, 0, 0);
	add(&r, imp(T(10, 0), 0));
	add(&r, imp(T(10, 10), 100));
	add(&r, imp(T(11, 5), 700));
	add(&r, imp(T(11, 15), 800));
	flush(&r);
	CHECK_INTEQ(r.got.nslot, 2);
	CHECK_NO_ENDS(r.got.slot[0]);
	CHECK_SLOT(r.got.slot[1], T(11, 0), 100, 0, 10 * MIN, INTERVAL_FLAG_GAP);
	CHECK_ENDS(r.got.slot[1], 800, 0);

	/* A gap ending on the first slot's own end: 10:05 0 → 11:00 90 (max gap 30 min) → 11:00's registers. */
	run_start(&r, 3600000, 30 * MIN, 0);
	add(&r, imp(T(10, 5), 0));
	add(&r, imp(T(11, 0), 90));
	CHECK_INTEQ(r.got.nslot, 1);
	CHECK_SLOT(r.got.slot[0], T(10, 0), 0, 0, 0, INTERVAL_FLAG_GAP | INTERVAL_FLAG_START);
	CHECK_ENDS(r.got.slot[0], 90, 0);

	/*
	 * A reset across a boundary: 10:00 5000, 10:10 5100, 10:20 20 (reset),
	 * 10:30 70. Slot 10:00 ends inside the reset span: not known. Slot 10:15
	 * ends on the sample at 10:30: 70, and holds 50 (10:20–10:30).
	 */
	run_start(&r, SLOT, 0, 0);
	add(&r, imp(T(10, 0), 5000));
	add(&r, imp(T(10, 10), 5100));
	add(&r, imp(T(10, 20), 20));
	add(&r, imp(T(10, 30), 70));
	CHECK_INTEQ(r.got.nslot, 2);
	CHECK_NO_ENDS(r.got.slot[0]);
	CHECK_SLOT(r.got.slot[1], T(10, 15), 50, 0, 10 * MIN, INTERVAL_FLAG_RESET);
	CHECK_ENDS(r.got.slot[1], 70, 0);

	/* A reset ending on the boundary: the slot's end is the new baseline, 20. */
	run_start(&r, SLOT, 0, 0);
	add(&r, both(T(10, 0), 5000, 7));
	add(&r, both(T(10, 15), 20, 9));
	CHECK_INTEQ(r.got.nslot, 1);
	CHECK_SLOT(r.got.slot[0], T(10, 0), 0, 0, 0, INTERVAL_FLAG_RESET);
	CHECK_ENDS(r.got.slot[0], 20, 9);

	/*
	 * A jump (6 kW, 1 Wh tolerance: 501 Wh per 5 min) across 10:15: 10:10 0,
	 * 10:20 5000, 10:25 5100. Slot 10:00 ends in the jump: not known; slot
	 * 10:15 is flushed: not known either.
	 */
	run_start(&r, SLOT, 0, 6000);
	add(&r, imp(T(10, 10), 0));
	add(&r, imp(T(10, 20), 5000));
	add(&r, imp(T(10, 25), 5100));
	flush(&r);
	CHECK_INTEQ(r.got.nevent, 1);
	CHECK_INTEQ(r.got.nslot, 2);
	CHECK_NO_ENDS(r.got.slot[0]);
	CHECK_NO_ENDS(r.got.slot[1]);

	/* A clock leap: the first slot's end is inside the leap, the last one's flushed. */
	run_start(&r, SLOT, 0, 0);
	add(&r, imp(T(10, 0), 0));
	add(&r, imp(T(10, 5), 5));
	add(&r, imp(T(10, 5) + 50 * 365 * 86400000LL, 1000));
	flush(&r);
	CHECK_INTEQ(r.got.nslot, 2);
	CHECK_NO_ENDS(r.got.slot[0]);
	CHECK_NO_ENDS(r.got.slot[1]);

	/* A refused sample changes nothing: 10:00 0, 10:10 50, 10:05 (out of order), 10:15 80 → 80. */
	run_start(&r, SLOT, 0, 0);
	add(&r, imp(T(10, 0), 0));
	add(&r, imp(T(10, 10), 50));
	CHECK_INTEQ(add(&r, imp(T(10, 5), 60)), -1);
	add(&r, imp(T(10, 15), 80));
	CHECK_INTEQ(r.got.nslot, 1);
	CHECK_ENDS(r.got.slot[0], 80, 0);
}

static void test_nonce(void)
{
	struct interval_slot s = { .start_ms = T(10, 0), .length_ms = SLOT };

	/* DAY0 / 900000 = 1994976 (20781 days × 96); 10:00 is slot 40 of the day. */
	CHECK_INTEQ(interval_nonce(&s), 1994976 + 40);
	s.start_ms = T(10, 15);
	CHECK_INTEQ(interval_nonce(&s), 1994976 + 41);
	/* Hour slots: DAY0 / 3600000 = 498744; 09:00 is hour 9. */
	s.start_ms = T(9, 0);
	s.length_ms = 3600000;
	CHECK_INTEQ(interval_nonce(&s), 498744 + 9);
	/* The epoch's slot is 0, the one before it −1. */
	s.start_ms = 0;
	s.length_ms = SLOT;
	CHECK_INTEQ(interval_nonce(&s), 0);
	s.start_ms = -SLOT;
	CHECK_INTEQ(interval_nonce(&s), -1);
}

/* Appends slot's interval record for meter (or none) to a fresh string; the caller frees it. */
static char *record_of(const struct interval_slot *slot, const char *meter)
{
	struct buf b = BUF_INIT;
	struct readrec_context ctx = { .meter = meter };

	readrec_interval(&b, &ctx, slot);
	return buf_detach(&b, NULL);
}

static void test_record_fields(void)
{
	struct run r;
	char *rec;

	/* 10 Wh in thirds from 1000 (test_end_registers): the first slot, import only. */
	run_start(&r, SLOT, 60 * MIN, 0);
	add(&r, imp(T(10, 0), 1000));
	add(&r, imp(T(10, 45), 1010));
	rec = record_of(&r.got.slot[0], "0x1234");
	CHECK_STREQ(rec, "{\"complete\":true,\"covered_s\":900,\"energy_wh\":3,\"flags\":[],\"import_wh\":3,"
	                 "\"meter\":\"0x1234\",\"nonce\":1995016,\"register_import_wh\":1003,\"seconds\":900,"
	                 "\"start\":\"2026-11-24T10:00:00Z\",\"type\":\"interval\"}");
	free(rec);

	/* Both registers, and a flushed slot without them (test_end_registers). */
	run_start(&r, SLOT, 0, 0);
	add(&r, both(T(10, 10), 100, 50));
	add(&r, both(T(10, 20), 200, 51));
	add(&r, both(T(10, 40), 400, 71));
	flush(&r);
	rec = record_of(&r.got.slot[1], NULL);
	CHECK_STREQ(rec, "{\"complete\":true,\"covered_s\":900,\"energy_wh\":140,\"export_wh\":10,\"flags\":[],"
	                 "\"import_wh\":150,\"nonce\":1995017,\"register_export_wh\":61,\"register_import_wh\":300,"
	                 "\"seconds\":900,\"start\":\"2026-11-24T10:15:00Z\",\"type\":\"interval\"}");
	free(rec);
	rec = record_of(&r.got.slot[2], NULL);
	CHECK_STREQ(rec, "{\"complete\":false,\"covered_s\":600,\"energy_wh\":90,\"export_wh\":10,\"flags\":[\"end\"],"
	                 "\"import_wh\":100,\"nonce\":1995018,\"seconds\":900,\"start\":\"2026-11-24T10:30:00Z\","
	                 "\"type\":\"interval\"}");
	free(rec);

	/* An export-only meter: register_export_wh only. */
	run_start(&r, SLOT, 0, 0);
	add(&r, exp_only(T(12, 5), 0));
	add(&r, exp_only(T(12, 25), 40));
	rec = record_of(&r.got.slot[0], NULL);
	CHECK_STREQ(rec, "{\"complete\":false,\"covered_s\":600,\"energy_wh\":-20,\"export_wh\":20,\"flags\":[\"start\"],"
	                 "\"nonce\":1995024,\"register_export_wh\":20,\"seconds\":900,\"start\":\"2026-11-24T12:00:00Z\","
	                 "\"type\":\"interval\"}");
	free(rec);
}

/*
 * The registers at slots' ends against an oracle that knows the samples:
 * at a slot's end b, the sample at b if there is one; else, between samples
 * i and i+1 whose span was integrated (no gap, reset or jump event ends at
 * i+1), E_i + ⌊(2·ΔE·(b − t_i) + D) / (2·D)⌋; else (inside such a span, or
 * after the last sample) not known. And the chain: for each complete slot
 * that follows an emitted slot with registers, register[k] − register[k−1]
 * is the slot's energy, exactly.
 */
#define CHAIN_SAMPLES 3001

struct chain {
	int64_t t[CHAIN_SAMPLES], in[CHAIN_SAMPLES], out[CHAIN_SAMPLES];
	bool skipped[CHAIN_SAMPLES];    /* the span ending at sample i was not integrated */
	int n;
	unsigned registers;
	struct interval_slot prev;
	bool has_prev;
	int slots, known, unknown, chained, on_sample, wrong, broken, misnumbered;
	int64_t last_end_in, last_end_out;      /* the last known registers */
	bool any_end;
};

static int sample_at_or_after(const struct chain *c, int64_t b)
{
	int lo = 0, hi = c->n;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (c->t[mid] < b)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int64_t oracle_at(int64_t e0, int64_t e1, int64_t t0, int64_t t1, int64_t b)
{
	__extension__ __int128 de = e1 - e0, d = t1 - t0;

	return e0 + (int64_t)((2 * de * (b - t0) + d) / (2 * d));
}

static void chain_event(void *arg, const struct interval_event *e)
{
	struct chain *c = arg;

	if (e->kind == INTERVAL_GAP || e->kind == INTERVAL_RESET || e->kind == INTERVAL_JUMP) {
		int i = sample_at_or_after(c, e->to.t_ms);
		if (i < c->n && c->t[i] == e->to.t_ms)
			c->skipped[i] = true;
	}
}

static void chain_slot(void *arg, const struct interval_slot *s)
{
	struct chain *c = arg;
	int64_t b = s->start_ms + s->length_ms, in = 0, out = 0;
	int j = sample_at_or_after(c, b);
	bool known = false;

	if (j < c->n && c->t[j] == b) {
		known = true;
		in = c->in[j], out = c->out[j];
		c->on_sample++;
	} else if (j > 0 && j < c->n && !c->skipped[j]) {
		known = true;
		in = oracle_at(c->in[j - 1], c->in[j], c->t[j - 1], c->t[j], b);
		out = oracle_at(c->out[j - 1], c->out[j], c->t[j - 1], c->t[j], b);
	}
	if (!(c->registers & INTERVAL_IMPORT))
		in = 0;
	if (!(c->registers & INTERVAL_EXPORT))
		out = 0;
	if (s->has_end_registers != known || (known && (s->end_import_wh != in || s->end_export_wh != out)) ||
	    ((s->flags & INTERVAL_FLAG_COMPLETE) && !known) || ((s->flags & INTERVAL_FLAG_END) && known))
		c->wrong++;
	if (interval_nonce(s) * s->length_ms != s->start_ms ||
	    (c->has_prev && interval_nonce(s) <= interval_nonce(&c->prev)))
		c->misnumbered++;
	if ((s->flags & INTERVAL_FLAG_COMPLETE) && c->has_prev && c->prev.has_end_registers &&
	    interval_nonce(s) == interval_nonce(&c->prev) + 1) {
		c->chained++;
		if (!s->has_end_registers || s->end_import_wh - c->prev.end_import_wh != s->import_wh ||
		    s->end_export_wh - c->prev.end_export_wh != s->export_wh)
			c->broken++;
	}
	if (s->has_end_registers) {
		c->known++;
		c->last_end_in = s->end_import_wh;
		c->last_end_out = s->end_export_wh;
		c->any_end = true;
	} else {
		c->unknown++;
	}
	c->slots++;
	c->prev = *s;
	c->has_prev = true;
}

/* One random stream: faults adds resets and jumps (max power 20 kW); registers picks the meter's. */
static void chain_stream(struct chain *c, int64_t len, bool faults, unsigned registers)
{
	int64_t t = DAY0 + rng_below(86400000), in = rng_below(1LL << 40), out = rng_below(1LL << 40);

	memset(c, 0, sizeof *c);
	c->registers = registers;
	for (int i = 0; i < CHAIN_SAMPLES; i++) {
		if (i > 0) {
			int64_t dt = rng_below(50) == 0 ? 1 + rng_below(4 * len) : 1 + rng_below(90000);
			int64_t next = (t / len + 1) * len;
			int kind = faults ? (int)rng_below(100) : 99;
			/* Now and then exactly on the next slot boundary, after a short span or a gap. */
			t = rng_below(8) == 0 && next - t <= 4 * len ? next : t + dt;
			dt = t - c->t[i - 1];
			in += rng_below(dt / 300 + 1);
			out += rng_below(dt / 1000 + 1);
			if (kind == 0)
				in = in > 0 ? rng_below(in) : 0;       /* a reset, back to somewhere lower */
			else if (kind == 1)
				in += 1000000;                          /* far beyond 20 kW */
		}
		c->t[i] = t;
		c->in[i] = registers & INTERVAL_IMPORT ? in : 0;
		c->out[i] = registers & INTERVAL_EXPORT ? out : 0;
	}
	c->n = CHAIN_SAMPLES;
}

static void test_property_end_registers(void)
{
	static const int64_t lengths[] = { 60000, 300000, 900000, 3600000 };
	static const unsigned regs[] = { INTERVAL_IMPORT | INTERVAL_EXPORT, INTERVAL_IMPORT, INTERVAL_EXPORT };
	static struct chain c;
	int wrong = 0, broken = 0, misnumbered = 0, above = 0, chained = 0, known = 0, unknown = 0, on_sample = 0;

	rng_state = 25;
	for (int round = 0; round < 48; round++) {
		bool faults = round % 2 == 1;
		unsigned registers = regs[round % 3];
		struct interval_config cfg;
		struct interval_state st;
		struct interval_sink sink = { chain_slot, chain_event, &c };

		chain_stream(&c, lengths[round % 4], faults, registers);
		interval_config_default(&cfg);
		cfg.slot_ms = lengths[round % 4];
		cfg.max_power_w = faults ? 20000 : 0;
		CHECK_INTEQ(interval_init(&st, &cfg), 0);
		for (int i = 0; i < c.n; i++) {
			struct interval_sample s = { .t_ms = c.t[i],
			                             .has_import = registers & INTERVAL_IMPORT, .import_wh = c.in[i],
			                             .has_export = registers & INTERVAL_EXPORT, .export_wh = c.out[i] };
			if (interval_add(&st, &s, &sink) != 0)
				wrong++;
		}
		interval_flush(&st, &sink);
		/* The registers at the last known end never pass the last sample's (without faults). */
		if (!faults && c.any_end && (c.last_end_in > c.in[c.n - 1] || c.last_end_out > c.out[c.n - 1]))
			above++;
		wrong += c.wrong;
		broken += c.broken;
		misnumbered += c.misnumbered;
		chained += c.chained;
		known += c.known;
		unknown += c.unknown;
		on_sample += c.on_sample;
	}
	CHECK_INTEQ(wrong, 0);
	CHECK_INTEQ(broken, 0);
	CHECK_INTEQ(misnumbered, 0);
	CHECK_INTEQ(above, 0);
	/* The loop did exercise every case. */
	CHECK(chained > 1000);
	CHECK(unknown > 100);
	CHECK(on_sample > 100);
	CHECK(known > chained);
}

int main(void)
{
	test_config();
	test_names();
	test_on_boundaries();
	test_one_boundary();
	test_several_slots();
	test_rounding();
	test_one_second_day();
	test_gap();
	test_gap_on_boundaries();
	test_gap_inside_slot();
	test_clock_leap();
	test_reset();
	test_jump();
	test_slot_sum_overflow();
	test_out_of_order();
	test_bad_samples();
	test_export();
	test_flush();
	test_hour_slots();
	test_minute_slots();
	test_before_epoch();
	test_large_values();
	test_property_monotone();
	test_property_faults();
	test_end_registers();
	test_end_registers_faults();
	test_nonce();
	test_record_fields();
	test_property_end_registers();
	return check_done("test_interval");
}
