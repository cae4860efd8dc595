#include "interval.h"

#include <string.h>

#include "diag.h"

__extension__ typedef __int128 wide;

#define MS_PER_HOUR 3600000

void interval_config_default(struct interval_config *c)
{
	c->slot_ms = INTERVAL_DEFAULT_SLOT_MS;
	c->max_gap_ms = 0;
	c->max_power_w = 0;
	c->tolerance_wh = 1;
}

static bool config_valid(const struct interval_config *c)
{
	if (c->slot_ms <= 0 || c->slot_ms % 1000 != 0 || 86400000 % c->slot_ms != 0)
		return false;
	return c->max_gap_ms >= 0 && c->max_gap_ms <= INTERVAL_MAX_GAP_LIMIT_MS &&
	       c->max_power_w >= 0 && c->tolerance_wh >= 0;
}

int interval_init(struct interval_state *st, const struct interval_config *c)
{
	memset(st, 0, sizeof *st);
	if (!config_valid(c))
		return -1;      /* slot_ms stays 0, which interval_add refuses to run with */
	st->config = *c;
	if (st->config.max_gap_ms == 0)
		st->config.max_gap_ms = 2 * c->slot_ms;
	return 0;
}

/* The start of the slot holding t; floor division, so times before 1970 work too. */
static int64_t slot_of(const struct interval_state *st, int64_t t)
{
	int64_t len = st->config.slot_ms;
	int64_t q = t / len;

	if (t % len != 0 && t < 0)
		q--;
	return q * len;
}

static int64_t slot_end(const struct interval_state *st)
{
	return st->slot_start_ms + st->config.slot_ms;
}

static void open_slot(struct interval_state *st, int64_t start, unsigned flags)
{
	st->slot_start_ms = start;
	st->slot_import_wh = 0;
	st->slot_export_wh = 0;
	st->slot_covered_ms = 0;
	st->slot_flags = flags;
	st->slot_touched = false;
}

/*
 * Emits the open slot. end, when not NULL, holds the meter's registers at the
 * slot's end (its time is that end); NULL: they are not known.
 */
static void emit_slot(const struct interval_state *st, const struct interval_sink *sink, unsigned extra,
                      const struct interval_sample *end)
{
	struct interval_slot out = {
		.start_ms = st->slot_start_ms,
		.length_ms = st->config.slot_ms,
		.import_wh = st->slot_import_wh,
		.export_wh = st->slot_export_wh,
		.net_wh = st->slot_import_wh - st->slot_export_wh,
		.covered_ms = st->slot_covered_ms,
		.flags = st->slot_flags | extra,
		.registers = st->registers,
	};

	if (out.covered_ms == out.length_ms)
		out.flags |= INTERVAL_FLAG_COMPLETE;
	if (end != NULL) {
		HIVE_ASSERT(end->t_ms == slot_end(st));
		out.has_end_registers = true;
		out.end_import_wh = st->registers & INTERVAL_IMPORT ? end->import_wh : 0;
		out.end_export_wh = st->registers & INTERVAL_EXPORT ? end->export_wh : 0;
	}
	if (sink != NULL && sink->slot != NULL)
		sink->slot(sink->arg, &out);
}

/* Emits the open slot (end as for emit_slot) and opens the next one, empty and untouched. */
static void close_slot(struct interval_state *st, const struct interval_sink *sink,
                       const struct interval_sample *end)
{
	emit_slot(st, sink, 0, end);
	open_slot(st, slot_end(st), 0);
}

static void emit_event(const struct interval_state *st, const struct interval_sink *sink,
                       enum interval_event_kind kind, const struct interval_sample *s, unsigned registers)
{
	/* Before the first sample, last is all zero (interval_init clears it). */
	struct interval_event ev = { .kind = kind, .from = st->last, .to = *s, .registers = registers };

	if (sink != NULL && sink->event != NULL)
		sink->event(sink->arg, &ev);
}

static unsigned registers_of(const struct interval_sample *s)
{
	return (s->has_import ? INTERVAL_IMPORT : 0) | (s->has_export ? INTERVAL_EXPORT : 0);
}

/* The registers that make s unusable: missing, unexpected or negative. */
static unsigned bad_registers(const struct interval_state *st, const struct interval_sample *s)
{
	unsigned bad = st->started ? registers_of(s) ^ st->registers : 0;

	if (s->has_import && s->import_wh < 0)
		bad |= INTERVAL_IMPORT;
	if (s->has_export && s->export_wh < 0)
		bad |= INTERVAL_EXPORT;
	return bad;
}

/* Returns -1 (after its event) when s must be refused. */
static int check_sample(const struct interval_state *st, const struct interval_sample *s,
                        const struct interval_sink *sink)
{
	unsigned bad = bad_registers(st, s);

	if (s->t_ms < -INTERVAL_TIME_LIMIT_MS || s->t_ms > INTERVAL_TIME_LIMIT_MS || registers_of(s) == 0) {
		emit_event(st, sink, INTERVAL_BAD_SAMPLE, s, 0);
		return -1;
	}
	if (bad != 0) {
		emit_event(st, sink, INTERVAL_BAD_SAMPLE, s, bad);
		return -1;
	}
	if (st->started && s->t_ms <= st->last.t_ms) {
		emit_event(st, sink, INTERVAL_OUT_OF_ORDER, s, 0);
		return -1;
	}
	return 0;
}

static void start_stream(struct interval_state *st, const struct interval_sample *s)
{
	int64_t start = slot_of(st, s->t_ms);

	open_slot(st, start, start < s->t_ms ? INTERVAL_FLAG_START : 0);
	st->registers = registers_of(s);
	st->last = *s;
	st->started = true;
}

/* The increase of each register over the span, 0 for one the meter lacks. */
struct deltas {
	int64_t import_wh, export_wh;
};

static struct deltas deltas_of(const struct interval_sample *a, const struct interval_sample *b)
{
	struct deltas d = { 0, 0 };

	/* Both values lie in [0, INT64_MAX], so a difference cannot overflow. */
	if (b->has_import)
		d.import_wh = b->import_wh - a->import_wh;
	if (b->has_export)
		d.export_wh = b->export_wh - a->export_wh;
	return d;
}

static unsigned decreased(const struct deltas *d)
{
	return (d->import_wh < 0 ? INTERVAL_IMPORT : 0) | (d->export_wh < 0 ? INTERVAL_EXPORT : 0);
}

/* Whether e Wh in dt_ms exceeds max power plus the tolerance: e·3.6e6 > P·dt + tol·3.6e6. */
static bool too_fast(const struct interval_config *c, int64_t e, int64_t dt_ms)
{
	wide limit = (wide)c->max_power_w * dt_ms + (wide)c->tolerance_wh * MS_PER_HOUR;

	return c->max_power_w > 0 && (wide)e * MS_PER_HOUR > limit;
}

static unsigned too_fast_registers(const struct interval_config *c, const struct deltas *d, int64_t dt_ms)
{
	return (too_fast(c, d->import_wh, dt_ms) ? INTERVAL_IMPORT : 0) |
	       (too_fast(c, d->export_wh, dt_ms) ? INTERVAL_EXPORT : 0);
}

static bool overflows(int64_t sum, int64_t add)
{
	int64_t r;

	return __builtin_add_overflow(sum, add, &r);
}

/* Registers whose increase the open slot's sums cannot hold (only after resets put several spans in one slot). */
static unsigned overflowing_registers(const struct interval_state *st, const struct deltas *d)
{
	return (overflows(st->slot_import_wh, d->import_wh) ? INTERVAL_IMPORT : 0) |
	       (overflows(st->slot_export_wh, d->export_wh) ? INTERVAL_EXPORT : 0);
}

/* Energy of the first `part` ms of a span of `span` ms carrying e Wh, rounded half up. */
static int64_t cumulative(int64_t e, int64_t part, int64_t span)
{
	if (part == span)
		return e;
	return (int64_t)((2 * (wide)e * part + span) / (2 * (wide)span));
}

/* Adds the share of the span [t0, t1) that falls in [from, to) to the open slot. */
static void add_share(struct interval_state *st, const struct deltas *d, int64_t t0, int64_t t1,
                      int64_t from, int64_t to)
{
	int64_t span = t1 - t0;

	st->slot_import_wh += cumulative(d->import_wh, to - t0, span) - cumulative(d->import_wh, from - t0, span);
	st->slot_export_wh += cumulative(d->export_wh, to - t0, span) - cumulative(d->export_wh, from - t0, span);
	st->slot_covered_ms += to - from;
	st->slot_touched = true;
}

/*
 * The registers at time b of the integrated span [t0, t1) from st->last: E0 +
 * cum(b), the same cum that apportions the span, so consecutive slot ends
 * differ by exactly the energy of the slot between them; E1 at b = t1.
 */
static struct interval_sample registers_at(const struct interval_state *st, const struct deltas *d,
                                           int64_t t0, int64_t t1, int64_t b)
{
	struct interval_sample at = st->last;

	at.t_ms = b;
	if (at.has_import)
		at.import_wh += cumulative(d->import_wh, b - t0, t1 - t0);
	if (at.has_export)
		at.export_wh += cumulative(d->export_wh, b - t0, t1 - t0);
	return at;
}

/* Spreads the span [t0, t1) from st->last over the slots it overlaps, closing each one it passes. */
static void integrate(struct interval_state *st, const struct deltas *d, int64_t t0, int64_t t1,
                      const struct interval_sink *sink)
{
	for (;;) {
		int64_t from = st->slot_start_ms > t0 ? st->slot_start_ms : t0;
		int64_t end = slot_end(st);
		struct interval_sample at;

		add_share(st, d, t0, t1, from, end < t1 ? end : t1);
		if (end > t1)
			return;
		at = registers_at(st, d, t0, t1, end);
		close_slot(st, sink, &at);
		if (end == t1)
			return;
	}
}

static void mark_slot(struct interval_state *st, unsigned flag)
{
	st->slot_flags |= flag;
	st->slot_touched = true;
}

/*
 * A span [t0, t1) that is not integrated, to the sample s at t1: flags the
 * first and the last slot it overlaps, emitting those it passes, and skips
 * the slots in between. A slot ending inside the span has no known registers
 * at its end; one ending at t1 has s's.
 */
static void skip(struct interval_state *st, unsigned flag, const struct interval_sample *s,
                 const struct interval_sink *sink)
{
	int64_t t1 = s->t_ms, end = slot_end(st), last_start;

	mark_slot(st, flag);
	if (end > t1)
		return;
	close_slot(st, sink, end == t1 ? s : NULL);
	last_start = slot_of(st, t1 - 1);
	if (last_start < st->slot_start_ms)
		return;         /* t1 was the first slot's end: no other slot overlaps */
	open_slot(st, last_start, 0);
	mark_slot(st, flag);
	if (slot_end(st) == t1)
		close_slot(st, sink, s);
}

struct verdict {
	enum interval_event_kind kind;
	unsigned flag;          /* the slot flag; 0: integrate the span */
	unsigned registers;
};

/* Decides whether the span from the last sample to t1 can be integrated, and if not, why. */
static struct verdict classify(const struct interval_state *st, const struct deltas *d, int64_t t1)
{
	int64_t dt = t1 - st->last.t_ms;
	unsigned bad;

	if ((bad = decreased(d)) != 0)
		return (struct verdict){ INTERVAL_RESET, INTERVAL_FLAG_RESET, bad };
	if ((bad = too_fast_registers(&st->config, d, dt)) != 0)
		return (struct verdict){ INTERVAL_JUMP, INTERVAL_FLAG_JUMP, bad };
	if (dt > st->config.max_gap_ms)
		return (struct verdict){ INTERVAL_GAP, INTERVAL_FLAG_GAP, st->registers };
	if ((bad = overflowing_registers(st, d)) != 0)
		return (struct verdict){ INTERVAL_JUMP, INTERVAL_FLAG_JUMP, bad };
	return (struct verdict){ INTERVAL_GAP, 0, 0 };
}

/* Applies the span from the last sample to s, handing out its event if it is not integrated. */
static void add_span(struct interval_state *st, const struct interval_sample *s, const struct interval_sink *sink)
{
	struct deltas d = deltas_of(&st->last, s);
	struct verdict v = classify(st, &d, s->t_ms);

	if (v.flag == 0) {
		integrate(st, &d, st->last.t_ms, s->t_ms, sink);
		return;
	}
	emit_event(st, sink, v.kind, s, v.registers);
	skip(st, v.flag, s, sink);
}

int interval_add(struct interval_state *st, const struct interval_sample *s, const struct interval_sink *sink)
{
	HIVE_ASSERT(st->config.slot_ms > 0);
	if (check_sample(st, s, sink) != 0)
		return -1;
	if (!st->started) {
		start_stream(st, s);
		return 0;
	}
	add_span(st, s, sink);
	st->last = *s;
	return 0;
}

void interval_flush(struct interval_state *st, const struct interval_sink *sink)
{
	struct interval_config c = st->config;

	if (st->started && st->slot_touched)
		emit_slot(st, sink, INTERVAL_FLAG_END, NULL);   /* its end is after the last sample */
	interval_init(st, &c);
}

int64_t interval_nonce(const struct interval_slot *slot)
{
	/* Slots start at multiples of their length, so the division is exact (before 1970 too). */
	return slot->start_ms / slot->length_ms;
}

const char *interval_flag_name(unsigned bit)
{
	switch (bit) {
	case INTERVAL_FLAG_COMPLETE: return "complete";
	case INTERVAL_FLAG_GAP: return "gap";
	case INTERVAL_FLAG_RESET: return "reset";
	case INTERVAL_FLAG_JUMP: return "jump";
	case INTERVAL_FLAG_START: return "start";
	case INTERVAL_FLAG_END: return "end";
	default: return NULL;
	}
}

const char *interval_event_name(enum interval_event_kind kind)
{
	switch (kind) {
	case INTERVAL_GAP: return "gap";
	case INTERVAL_RESET: return "reset";
	case INTERVAL_JUMP: return "jump";
	case INTERVAL_OUT_OF_ORDER: return "out_of_order";
	case INTERVAL_BAD_SAMPLE: return "bad_sample";
	}
	return NULL;
}
