/*
 * fchistory.h — a Worker's past energy, gathered from the records hive-read
 * writes, and laid on a regular grid for the forecast models.
 *
 * Two kinds of record feed it. An "interval" gives the energy of one span
 * [start, start + seconds) of its meter directly (only a complete one is
 * taken: an incomplete slot's energy covers part of it). A "reading" gives
 * the meter's registers at a time; two successive readings of a meter give
 * the energy of the span between them, unless the register went down (a
 * reset or a meter swap: the span is a gap) or the readings lie further
 * apart than max_gap (the span is a gap: when the energy came is unknown).
 * Meters are told apart by "meter" (an address, 0x and 40 hex digits in
 * any letter case, or another name as written) or, for records that have
 * none, "meter_id"; records without either belong to one unnamed meter.
 *
 * A grid slot is known only when spans cover every millisecond of it; its
 * energy is the spans' energies shared in proportion to the overlap, so any
 * step in, any step out (30-minute averages become 15-minute slots, 1-minute
 * readings become 15-minute energies). Unknown slots are NaN.
 *
 * No energy is counted twice, and the order of the input never decides
 * what is kept: readings are put in time order first; a record repeated
 * exactly counts once; two different records of the same span (or two
 * readings of the same time that differ) contradict each other and are all
 * dropped; of spans that overlap otherwise, the finer are kept and the
 * coarser dropped, so one bogus month-long record cannot hide a month of
 * 15-minute intervals. Each case is counted on the meter.
 *
 * Energies are doubles: forecasts are estimates, never money.
 *
 * Ownership: struct fch owns its meters; jv records passed in are borrowed.
 */
#ifndef HIVE_FCHISTORY_H
#define HIVE_FCHISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jv.h>

#include "jsonview.h"
#include "keymap.h"

enum fch_register { FCH_IMPORT = 0, FCH_EXPORT = 1 };

/* No meter's register or slot reaches 2^40 Wh (1.1 TWh); beyond is a broken record. */
#define FCH_MAX_WH 1099511627776.0

struct fch_span {
	int64_t t0_ms, t1_ms;
	double wh;
};

struct fch_reading {
	int64_t t_ms;
	double wh[2];
	bool has[2];
};

struct fch_meter {
	char name[64];              /* "0x…" address, a meter_id, or "" */
	bool named_by_address;      /* name came from "meter" */
	bool has[2];                /* the records carry this register */
	bool any_export;            /* some span of the export register is non-zero (after fch_finish) */
	struct fch_span *spans[2];
	size_t nspans[2], capspans[2];
	struct fch_reading *readings;   /* in input order until fch_finish turns them into spans */
	size_t nreadings, capreadings;
	unsigned long resets;       /* a register went down between readings */
	unsigned long long_gaps;    /* readings further apart than max_gap */
	unsigned long repeats;      /* a record repeated exactly (one kept) */
	unsigned long conflicts;    /* two different records of the same span or time (all dropped) */
	unsigned long coarse;       /* a span overlapping a finer one already kept (dropped) */
	int64_t first_ms, last_ms;  /* the earliest start and latest end of the kept spans (after fch_finish) */
};

struct fch {
	struct fch_meter *meters;
	size_t nmeters, cap;
	int64_t max_gap_ms;          /* readings further apart than this leave a gap */
	struct keymap index;         /* meter name (addresses in lower case) → meters[] */
};

void fch_init(struct fch *h, int64_t max_gap_ms);
void fch_free(struct fch *h);

/*
 * Takes one record. Returns 1 when it is not a reading or interval (the
 * caller passes it on), 0 when taken or deliberately skipped (an incomplete
 * interval), -1 with *why when it is malformed: no valid time, an energy or
 * register that is not a number from 0 to 2^40 Wh, a meter name of more
 * than 63 bytes.
 */
int fch_add(struct fch *h, jv rec, const char **why);
/* The same for a record seen as a flat view (record.h's view mode): no jq values built. */
int fch_add_view(struct fch *h, const struct jsonview *view, const char **why);

/*
 * Turns each meter's readings into spans and resolves repeated, conflicting
 * and overlapping spans as above. Call once after the last fch_add.
 */
void fch_finish(struct fch *h);

/* How diagnostics name a meter: its name, or "(unnamed)". */
const char *fch_label(const char *name);

/*
 * The meter's register on the grid begin_ms + i·step_ms, i < n: energy in
 * Wh per slot, NaN where not every millisecond is covered. A span that
 * ends after the grid does is not used: at the grid's end (a forecast's
 * start) its energy was not known yet. Spans must have been put in order
 * by fch_finish.
 */
void fch_series(const struct fch_meter *m, enum fch_register reg, int64_t begin_ms, int64_t step_ms, size_t n,
                double *out);

#endif
