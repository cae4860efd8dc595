/*
 * interval.h — slot-aligned interval energies from a meter's cumulative
 * registers, sampled at irregular times.
 *
 * Ownership: everything is plain data in caller memory; the module keeps no
 * pointer to anything the caller passes, and the sink's callbacks receive
 * structs that live only for the duration of the call.
 *
 * Time is milliseconds since the Unix epoch (UTC). Slots are aligned to the
 * epoch (a slot starts at a multiple of its length), so they know no DST, and
 * are named by their start. Energy is integer Wh; no floating point is used.
 *
 * Spans. Two consecutive accepted samples (t0, E0) and (t1, E1) make a span.
 * A span is integrated when every register went up by no more than the
 * meter's maximum power allows and t1 − t0 ≤ max_gap_ms: its energy
 * ΔE = E1 − E0 is taken as uniform over [t0, t1) and apportioned to the slots
 * it overlaps. Otherwise it is not integrated, at all, for any register, and
 * one event says why (precedence: reset, then jump, then gap):
 *   reset  a register went down; the new value becomes the baseline;
 *   jump   a register rose by more than max_power_w × (t1 − t0) / 3600000 Wh
 *          + tolerance_wh (tolerance for the registers' resolution);
 *   gap    t1 − t0 > max_gap_ms: the energy is known (the event carries both
 *          ends' register values) but not its timing, so it is not spread;
 *   jump   also, last, a span that would push the open slot's sum past
 *          INT64_MAX (possible only when resets put several spans of huge
 *          registers into one slot).
 *
 * Rounding. For a span with energy ΔE ≥ 0 and D = t1 − t0, the energy up to a
 * slot boundary b is cum(b) = ⌊(2·ΔE·(b − t0) + D) / (2·D)⌋, i.e.
 * ΔE·(b − t0)/D rounded half up, computed in 128-bit integers. A slot gets
 * cum(end) − cum(start) of the part of the span it holds. cum(t0) = 0 and
 * cum(t1) = ΔE, so a span's shares sum to ΔE exactly; cum never decreases,
 * so no share is negative. Example: 10 Wh over three equal slots → 3, 4, 3.
 *
 * Emission. Slots come out in time order, each at most once, when a sample
 * at or after the slot's end arrives, or at interval_flush(): every slot an
 * integrated span overlaps, and the first and the last slot that a
 * non-integrated span overlaps. Slots lying wholly inside a non-integrated
 * span, between those two, are not emitted: the span's event covers them
 * (from_ms..to_ms), so a clock that leaps years ahead costs two slots and one
 * event, not millions of empty records. Events come before the slots their
 * span closes.
 *
 * Registers at a slot's end (the state-channel totals of whitepaper §2.5). A
 * slot carries the meter's registers at its end, start_ms + length_ms, when
 * they are known: when that end lies inside an integrated span (t0 < end ≤ t1), where
 * they are E0 + cum(end) (with the span's own cum, so the rounding is the
 * one that apportions the span), or exactly on an accepted sample (the end of
 * an integrated span, of a gap, reset or jump, whose new values they are).
 * They are not known for a slot whose end lies strictly inside a gap, reset
 * or jump span (the timing of that energy is unknown), nor for the slot
 * interval_flush emits (its end is after the last sample); such a slot has
 * has_end_registers false. So for a complete slot whose predecessor carries
 * registers, end_X_wh = the predecessor's end_X_wh + X_wh, exactly.
 *
 * Refused samples (interval_add returns -1, one event, state unchanged):
 *   out_of_order  t ≤ the last accepted sample's time (duplicates too);
 *   bad_sample    time outside ±INTERVAL_TIME_LIMIT_MS, no register, a
 *                 negative register, or a register set that differs from the
 *                 first accepted sample's (the meter's registers are fixed by
 *                 its first sample; import-only and export-only meters work).
 *
 * Memory is O(1): the last sample and the open slot's partial sums.
 */
#ifndef HIVE_INTERVAL_H
#define HIVE_INTERVAL_H

#include <stdbool.h>
#include <stdint.h>

#define INTERVAL_DEFAULT_SLOT_MS 900000
/* max_gap_ms may not exceed this, which bounds the work of one sample. */
#define INTERVAL_MAX_GAP_LIMIT_MS (366LL * 86400000)
/* Accepted sample times lie in [-limit, +limit] (some 73 million years). */
#define INTERVAL_TIME_LIMIT_MS (1LL << 61)

/* Register bits, in slots and events. */
#define INTERVAL_IMPORT 1u
#define INTERVAL_EXPORT 2u

/* Slot flags. */
#define INTERVAL_FLAG_COMPLETE 0x01u  /* covered_ms == length_ms: every ms integrated */
#define INTERVAL_FLAG_GAP      0x02u  /* a gap span overlaps the slot */
#define INTERVAL_FLAG_RESET    0x04u  /* a reset span overlaps the slot */
#define INTERVAL_FLAG_JUMP     0x08u  /* a jump span overlaps the slot */
#define INTERVAL_FLAG_START    0x10u  /* the slot begins before the stream's first sample */
#define INTERVAL_FLAG_END      0x20u  /* emitted by interval_flush, before the slot's end */

struct interval_config {
	int64_t slot_ms;        /* whole seconds dividing 86400 s; default 900000 */
	int64_t max_gap_ms;     /* longest span still integrated; 0: 2 × slot_ms */
	int64_t max_power_w;    /* the meter's maximum power; 0: no jump check */
	int64_t tolerance_wh;   /* allowed on top of max power (register resolution); default 1 */
};

/* One sample; a register that is absent has its has_ flag false. */
struct interval_sample {
	int64_t t_ms;
	bool has_import, has_export;
	int64_t import_wh, export_wh;   /* cumulative */
};

struct interval_slot {
	int64_t start_ms, length_ms;
	int64_t import_wh, export_wh;   /* each ≥ 0; 0 for a register the meter lacks */
	int64_t net_wh;                 /* import_wh − export_wh; negative when exporting */
	int64_t covered_ms;             /* ms of the slot inside integrated spans */
	unsigned flags;                 /* INTERVAL_FLAG_* */
	unsigned registers;             /* the meter's registers: INTERVAL_IMPORT | INTERVAL_EXPORT */
	bool has_end_registers;         /* the registers at the slot's end are known (see above) */
	int64_t end_import_wh, end_export_wh;   /* those registers; 0 when not known or the meter lacks one */
};

enum interval_event_kind {
	INTERVAL_GAP,
	INTERVAL_RESET,
	INTERVAL_JUMP,
	INTERVAL_OUT_OF_ORDER,
	INTERVAL_BAD_SAMPLE
};

/*
 * A span that was not integrated, or a refused sample. from is the last
 * accepted sample (all zero before the first one), to is the new sample as
 * given. The energy crossing a gap or jump is to.X_wh − from.X_wh; a reset's
 * old and new values are from.X_wh and to.X_wh.
 */
struct interval_event {
	enum interval_event_kind kind;
	struct interval_sample from, to;
	unsigned registers;     /* reset, jump: the registers at fault; gap: all the
	                           meter's; bad_sample: those missing, unexpected or
	                           negative (0 for a bad time or no register); else 0 */
};

/* Either callback may be NULL. */
struct interval_sink {
	void (*slot)(void *arg, const struct interval_slot *slot);
	void (*event)(void *arg, const struct interval_event *event);
	void *arg;
};

/* Private: read it only through the functions below. */
struct interval_state {
	struct interval_config config;
	bool started;                   /* last holds an accepted sample */
	struct interval_sample last;
	unsigned registers;             /* fixed by the first accepted sample */
	int64_t slot_start_ms;          /* the open slot, the one holding last.t_ms */
	int64_t slot_import_wh, slot_export_wh, slot_covered_ms;
	unsigned slot_flags;
	bool slot_touched;              /* some span overlaps the open slot */
};

/* Fills c with the defaults: 15-min slots, gaps over 2 slots, no power check, 1 Wh tolerance. */
void interval_config_default(struct interval_config *c);
/* Starts a stream. Returns 0, or -1 (state unusable) when the config is invalid. */
int interval_init(struct interval_state *st, const struct interval_config *c);
/* Adds one sample. Returns 0 when accepted (even across a gap, reset or jump), -1 when refused. */
int interval_add(struct interval_state *st, const struct interval_sample *s, const struct interval_sink *sink);
/*
 * Ends the stream: emits the open slot, flagged end and incomplete, when a
 * span overlaps it; then the state is as after interval_init.
 */
void interval_flush(struct interval_state *st, const struct interval_sink *sink);

/*
 * The slot's index since the Unix epoch, start_ms / length_ms (negative
 * before 1970): the nonce of its interval record, strictly increasing along
 * one meter's slots.
 */
int64_t interval_nonce(const struct interval_slot *slot);

/* "complete", "gap", "reset", "jump", "start", "end"; NULL for any other value than one flag bit. */
const char *interval_flag_name(unsigned bit);
/* "gap", "reset", "jump", "out_of_order", "bad_sample"; NULL for an unknown kind. */
const char *interval_event_name(enum interval_event_kind kind);

#endif
