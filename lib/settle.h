/*
 * settle.h — a period of a hive's clearing records turned into settlement
 * records: what each Worker owes or is owed in the hive's stablecoin, in
 * whole base units, and what the hive's owner pays the DSO, pays the
 * platform and keeps (whitepaper §2.3.2, §4.2, §6.1).
 *
 * Input: the "clearing" and "clearing_slot" records hive-clear writes
 * (amounts in milli-base-units, mbu), and optionally the Workers' "bid"
 * records, whose first planned slot is compared with what was metered.
 * Every slot is checked before anything is settled: it has its
 * clearing_slot record, every Worker it names has exactly one clearing
 * record, the Workers' payments add up to the hive's cost plus the fees,
 * and all slots were cleared under the same rule, fees and tariff.
 *
 * Rounding, from exact mbu totals over the period to base units (u):
 *   stand-alone_i = ⌈C_i / 1000⌉, what the DSO would bill the Worker alone;
 *   W             = ⌈Σ X_i / 1000⌉, what the Workers pay together;
 *   amount_i      = ⌊X_i / 1000⌋, plus one unit for the W − Σ⌊X_i/1000⌋
 *                   largest remainders (ties to the lower address), so
 *                   Σ amount_i = W and amount_i ≤ ⌈X_i/1000⌉ ≤ stand-alone_i;
 *   dso           = ⌈C_h / 1000⌉, the hive's bill with the DSO;
 *   platform      = ⌊F_platform / 1000⌋;
 *   owner_keeps   = W − dso − platform ≥ ⌊F_owner / 1000⌋: the owner
 *                   absorbs the rounding.
 * So Σ amount_i = dso + platform + owner_keeps to the unit, and no Worker
 * pays more (or is paid less) than stand-alone.
 *
 * Reputation (§2.3.2, §4.4.2). For a Worker with bids, per slot with a
 * declaration: deviation |declared − metered| Wh. The period's accuracy is
 * 10000 − ⌊10000·Σ|d − m| / Σ(|d| + |m|)⌋ basis points (10000 when both
 * sums are zero); the score moves towards it:
 * r = ⌊(r_prev·(10000 − weight) + accuracy·weight) / 10000⌋, from
 * r_prev = 5000 for a Worker never scored. A deviation price p (base units
 * per kWh) charges min(⌈p·Σ|d − m| / 1000⌉, saving_i): never above
 * stand-alone. The charges go, by largest remainder in proportion to the
 * new scores (ties to the lower address), back to the Workers with bids;
 * if all their scores are zero nothing is charged. The transfer sums to
 * zero, so conservation holds.
 *
 * State channels (§2.5). Where the clearing records carry the meters'
 * registers at each slot's end (register_import_wh, register_export_wh,
 * with the slot's import_wh and export_wh), each Worker's chain over the
 * period is checked in time order: a register never decreases, and from one
 * slot to the next it advances by exactly that slot's energy; slots missing
 * between two chained ones are counted as gaps (a register must not go back
 * across them). A Worker whose chain holds gets a "balance" record that
 * closes its channel for the period: the nonces (slot indices) of its first
 * and last chained slots, its opening and closing registers, its amount
 * and the hash of its settlement record (RFC 8785 form without "prev" and
 * "sig"), with the EIP-712 digest of the typed data
 *   Balance(uint32 hive,address worker,address coin,uint64 periodStart,
 *           uint64 periodEnd,uint64 firstNonce,uint64 lastNonce,
 *           uint64 closingImportWh,uint64 closingExportWh,int256 amount,
 *           bytes32 settlement)
 * in the domain {name: "hive", version: "1"} (times in Unix seconds, a
 * register the meter lacks as 0), which the Queen signs ("eip712_sig") so a
 * contract can check it later. A broken chain is reported (settle_problems)
 * and gets no balance record.
 *
 * The archive: each record names, in "prev", the keccak256 of the line
 * before it (the previous period's last record for the first one), and is
 * signed by the Queen when a key is given (recsig.h).
 *
 * Ownership: struct settle owns everything it collects (settle_free); the
 * hive export in the configuration is borrowed and must outlive it.
 */
#ifndef HIVE_SETTLE_H
#define HIVE_SETTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "hiveexport.h"
#include "jsonview.h"

#define SETTLE_REPUTATION_START 5000
#define SETTLE_DEFAULT_WEIGHT 2500

struct settle_config {
	const struct hive_export *hx;
	int64_t from_ms, to_ms;            /* the period [from, to) */
	uint32_t rep_weight_bps;           /* how far one period moves a score, 0 to 10000 */
	const char *deviation_price;       /* base units per kWh of deviation (decimal digits), or NULL for 0 */
};

struct settle;

/* A new period. Returns NULL with *why set when the deviation price is not a valid amount. */
struct settle *settle_new(const struct settle_config *cfg, const char **why);
void settle_free(struct settle *s);

/*
 * One line of the archive so far, with the keccak256 of its bytes, in
 * order. Follows the chain (each "prev" must name the line before), keeps
 * the last score of each Worker of the hive, and notes which periods are
 * settled. Returns 0, -2 with *why set when the chain is broken, or -1 with
 * *why set for a line that is not an archive record.
 */
int settle_previous(struct settle *s, const char *line, size_t len, const uint8_t hash[32], const char **why);

/*
 * After the archive is read: -1, with the settled period it overlaps in
 * *from and *to, when the period was already settled (in part); else 0.
 */
int settle_check_period(const struct settle *s, int64_t *from, int64_t *to);

enum settle_use { SETTLE_USED, SETTLE_OUTSIDE, SETTLE_REFUSED };

/*
 * One "clearing" or "clearing_slot" record. SETTLE_OUTSIDE when its slot is
 * outside the period (the caller ignores it), SETTLE_REFUSED with *why set
 * when it is malformed, of another hive, or repeats one already taken.
 */
enum settle_use settle_add(struct settle *s, const struct jsonview *v, const char **why);

/*
 * One "bid" record (its text): a Worker's plan, {"worker", "start",
 * "seconds", "plan_wh": [...]}, signed by the Worker's meter. Only its
 * first slot counts. Same returns as settle_add.
 */
enum settle_use settle_add_bid(struct settle *s, const char *line, size_t len, const char **why);

/*
 * Settles the period: appends its records to out, one canonical line each
 * (Workers by address, their balance records, then the hive's), signed
 * with seckey (EIP-191, and EIP-712 for balances) unless it is
 * NULL. Returns 0, or -1 with *why set (an inconsistent or empty input, a
 * amount beyond 256 bits); *slot_ms names the slot concerned, or is
 * INT64_MIN. Nothing is appended then.
 */
int settle_finish(struct settle *s, struct buf *out, const uint8_t *seckey, int64_t *slot_ms, const char **why);

/*
 * After settle_finish: the Workers whose chain of registers broke, one line
 * each ("the channel of Worker 0x… breaks at slot T: a register decreased"),
 * and bids that do not name one cleared slot (left out), or NULL. The
 * settlements stand; a broken channel gets no balance record.
 */
const char *settle_problems(const struct settle *s);

/* The slots the period holds at the cleared slot length (0 before a clearing_slot record is read). */
int64_t settle_slots_expected(const struct settle *s);
/* The slots of the period that have clearing records. */
int64_t settle_slots_seen(const struct settle *s);

/*
 * The accountant's table of the period settled (libcsv quoting): one row
 * per Worker, then the DSO, the platform and the owner; "amount" is what
 * each party pays (negative: receives), so the column sums to zero; amounts
 * in base units and in tokens.
 * Returns 0, or -1 on a write error.
 */
int settle_csv(const struct settle *s, FILE *f);

#endif
