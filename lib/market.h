/*
 * market.h — clearing one slot of the non-flexible Hive market (whitepaper
 * §4.1–4.2, restated in ../shared/MARKET.md): each Worker's stand-alone
 * cost, the hive's cost at the point of common coupling, the surplus, the
 * fees, and each Worker's payment under a sharing rule, in exact integers.
 *
 * Units. Energy is in Wh (import positive), prices in token base units per
 * kWh, so a cost p·E is an integer number of thousandths of a base unit:
 * every amount here is in milli-base-units (mbu), exactly. Rounding to
 * whole base units happens once, when hive-settle totals a period.
 *
 * Every rule chooses the price π at which the energy shared inside the
 * hive, M = min(D, G), passes from producers to consumers:
 *   D ≥ G:  producers get π; consumers pay (π·G + p_b·(D−G)) / D
 *   G > D:  consumers pay π; producers get (π·D + p_s·(G−D)) / G
 * which balances the budget for any π and keeps every Worker at or below
 * its stand-alone cost exactly when p_s ≤ π ≤ p_b. Fees F ≤ S come out of
 * the surplus: every Worker's saving is scaled by (S − F)/S.
 *
 * Rounding: each Worker's saving C_i − x_i is computed as a rational,
 * floored to whole mbu, and the units left over go by largest remainder
 * (ties to the Worker that comes first in the input order, which callers
 * make the order of addresses) to Workers with a fractional part. So
 * Σ x_i = C_h + F to the unit and no Worker ever pays more than C_i.
 *
 * Ownership: struct slot_result owns its GMP integers (market_result_free);
 * inputs are only read.
 */
#ifndef HIVE_MARKET_H
#define HIVE_MARKET_H

#include <stddef.h>
#include <stdint.h>
#include <gmp.h>

enum market_rule {
	RULE_DISCOUNT,      /* the whitepaper's: the same discount on every kWh bought or sold */
	RULE_MIDMARKET,     /* π = (p_b + p_s) / 2 */
	RULE_SDR,           /* supply–demand ratio pricing (Liu et al. 2017) */
	RULE_BILL_SHARING   /* bill sharing, the variant that keeps the guarantee: π = p_s */
};

/* "discount", "mid-market", "sdr", "bill-sharing": 0 and the rule, or -1. */
int market_rule_parse(const char *name, enum market_rule *rule);
const char *market_rule_name(enum market_rule rule);

enum fee_basis {
	FEE_ON_SURPLUS,     /* basis points of the slot's surplus S */
	FEE_ON_TRADED       /* basis points of the value of the shared energy, π·M */
};

/* "surplus" or "traded"; and back: 0, or -1 for another name. */
const char *market_fee_basis_name(enum fee_basis basis);
int market_fee_basis_parse(const char *name, enum fee_basis *basis);

struct market_fee {
	uint32_t bps;            /* 0 to 10000 */
	enum fee_basis basis;
};

struct market_params {
	enum market_rule rule;
	struct market_fee platform, owner;
};

/* One Worker's share of a slot. */
struct worker_result {
	mpz_t standalone;        /* C_i, mbu */
	mpz_t payment;           /* x_i, mbu (negative: it is paid) */
	mpz_t saving;            /* C_i − x_i ≥ 0, mbu */
	int64_t from_community, from_grid;   /* Wh a consumer used (sum: E_i) */
	int64_t to_community, to_grid;       /* Wh a producer gave (sum: −E_i) */
};

struct slot_result {
	size_t n;
	struct worker_result *w;
	int64_t demand, generation, shared;  /* D, G, M in Wh */
	mpz_t hive_cost;         /* C_h, mbu */
	mpz_t surplus;           /* S = Σ C_i − C_h, mbu */
	mpz_t platform_fee, owner_fee;   /* mbu, taken out of S */
	int fee_capped;          /* the fees asked for exceeded S and were cut to it */
	mpq_t price;             /* π, base units per kWh (0 when nothing is shared) */
};

/*
 * Clears one slot of n Workers with net energies energy_wh[i] at prices
 * buy ≥ sell ≥ 0 (base units per kWh). Fills out (market_result_free it).
 * Returns 0, or -1 when buy < sell or a price is negative.
 */
int market_clear_slot(struct slot_result *out, const int64_t *energy_wh, size_t n, const mpz_t buy,
                      const mpz_t sell, const struct market_params *params);
void market_result_free(struct slot_result *r);

/*
 * Splits total into n integer parts proportional to weights (non-negative,
 * not all zero), each the floor of its exact share plus one for the largest
 * remainders (ties to the lower index). Used for the energy split too.
 */
void market_apportion(int64_t *parts, const int64_t *weights, size_t n, int64_t total);

#endif
