/*
 * clearing.h — a hive's period of metered intervals turned into clearing
 * records: each signed `interval` record is checked (a member of the hive,
 * signed by its meter, a whole slot, not repeated, in order per meter),
 * kept by slot, and each slot is cleared with market_clear_slot at that
 * slot's prices. What is refused is never used: the caller reports it with
 * the reason given. A slot is complete when every member has an interval
 * kept for it, whatever was refused and in whatever order: a member whose
 * intervals were all refused is missing from the slot.
 *
 * Records written (hive-records(5)), amounts in milli-base-units (mbu) as
 * decimal strings:
 *   "clearing"       one per Worker and slot: energy and its split, the
 *                    stand-alone cost, the payment and the saving;
 *   "clearing_slot"  one per slot: D, G, M, prices, π, C_h, S, fees, the
 *                    Workers missing and whether the slot is complete.
 *
 * Ownership: struct clearing owns what it collects (clearing_free); the
 * member list and the price callback's argument are borrowed.
 */
#ifndef HIVE_CLEARING_H
#define HIVE_CLEARING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <gmp.h>
#include <jv.h>

#include "keymap.h"
#include "market.h"
#include "recsig.h"

/* The prices of the slot starting at slot_ms: 0, or -1 when there are none. */
typedef int (*clearing_prices_fn)(void *arg, int64_t slot_ms, mpz_t buy, mpz_t sell);

enum clearing_missing {
	MISSING_AS_ZERO,   /* clear the slot with the missing Worker's energy taken as 0, marked incomplete */
	MISSING_SKIP       /* leave an incomplete slot uncleared (only its clearing_slot record, marked) */
};

struct clearing_config {
	uint32_t hive;
	int64_t step_ms;                 /* slot length, e.g. 900000 */
	int64_t from_ms, to_ms;          /* the period [from, to), INT64_MIN/INT64_MAX for all */
	struct market_params params;
	enum clearing_missing missing;
	clearing_prices_fn prices;
	void *prices_arg;
	const char *tariff_id;           /* names the tariff in clearing_slot records ("tariff"); may be NULL */
};

/* "zero" or "skip"; and back: 0, or -1 for another name. */
const char *clearing_missing_name(enum clearing_missing m);
int clearing_missing_parse(const char *name, enum clearing_missing *m);

struct clearing_slot;

/* A meter's state-channel fields in one slot (whitepaper §2.5), −1 for one not given. */
struct clearing_channel {
	int64_t import_wh, export_wh;              /* the slot's energy per register */
	int64_t register_import, register_export; /* the registers at the slot's end */
};

struct clearing {
	struct clearing_config cfg;
	size_t nmembers;
	uint8_t (*members)[20];          /* sorted by address: the rounding's tie order */
	struct keymap member_index;
	int64_t *last_start;             /* per member: the start of its last interval, INT64_MIN */
	struct clearing_slot *slots;     /* kept sorted by start */
	size_t nslots, cap;
	struct recsig rs;
};

/* Starts a period for the given members (copied and sorted). */
void clearing_init(struct clearing *c, const struct clearing_config *cfg, const uint8_t (*members)[20], size_t n);
void clearing_free(struct clearing *c);

/*
 * Bounds that keep every sum in 64 bits: |energy| per interval (275 GWh,
 * beyond any meter), and members per hive (hive_export refuses more).
 */
#define CLEARING_MAX_WH ((int64_t)1 << 38)
#define CLEARING_MAX_MEMBERS ((size_t)1 << 24)

/*
 * Takes one interval record (borrowed). Returns 0 when it is kept, 1 when
 * its slot is outside the period (it is skipped: another period's), or -1
 * with *why set to a static reason when it is refused (not a member, not
 * signed or signed by another key, not a whole slot, a replay or a fork of
 * one already taken, before the member's last one, channel fields that do
 * not hold, malformed).
 */
int clearing_add(struct clearing *c, jv interval, const char **why);

/*
 * Clears every slot collected, in time order, and hands each record to
 * emit (which owns it). Returns 0, or -1 when a slot has no prices (*why
 * names the problem, *slot_ms the slot) — nothing is emitted then.
 */
int clearing_finish(struct clearing *c, void (*emit)(void *arg, jv record), void *arg, int64_t *slot_ms,
                    const char **why);

/*
 * The records clearing_finish writes, one at a time, for a caller that
 * clears slots itself (bench/gen-clearing.c writes hive-clear's output from
 * market_clear_slot without signing a million intervals). The slot record
 * takes missing (a jv array of addresses); r is NULL for a slot left
 * uncleared. A Worker's record takes ch NULL when it was not metered.
 */
jv clearing_slot_record(const struct clearing_config *cfg, int64_t start_ms, size_t nworkers, const struct slot_result *r,
                        const mpz_t buy, const mpz_t sell, jv missing, bool complete);
jv clearing_worker_record(const struct clearing_config *cfg, int64_t start_ms, const uint8_t worker[20], int64_t energy_wh,
                          const struct clearing_channel *ch, const struct worker_result *w);

#endif
