/*
 * registry.h — the Beekeeper's state (whitepaper §2.4, §3.1): the Meter List,
 * the Stablecoin List, the Hive List and the HVT accounts, rebuilt by
 * replaying a hash-chained ledger of signed events, and the rules every
 * event must keep.
 *
 * An event is one JSON object per ledger line, written in RFC 8785
 * canonical form:
 *   {"actor":ADDR,"op":OP,"prev":HASH,"seq":N,"sig":SIG,"time":RFC3339,
 *    "type":"beekeeper_event", ...the operation's fields...}
 * seq counts from 0 (the "init" event); prev is the keccak256 of the previous
 * line's bytes (0x and 64 zeros for the first); sig is the actor's EIP-191
 * signature of the canonical form without "sig" (recsig.h). Amounts the rules
 * derive (burned, staked, returned HVT, new hive ids) are written into the
 * event too, so an auditor reads them; replay recomputes and compares them.
 * hive-beekeeper(1) documents each operation, its fields and its rules.
 *
 * Ownership: struct registry owns all its state (registry_free). jv
 * arguments are consumed where a comment says so, otherwise borrowed;
 * returned jv records belong to the caller.
 */
#ifndef HIVE_REGISTRY_H
#define HIVE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <gmp.h>
#include <jv.h>

#include "buf.h"
#include "keymap.h"
#include "recsig.h"

/* 100,000,000 HVT of 18 decimals, created once by "init". */
#define REGISTRY_HVT_SUPPLY "100000000000000000000000000"
#define REGISTRY_HVT_DECIMALS 18
/* Default costs set by init (whole HVT): a hive, and each meter attached. */
#define REGISTRY_DEFAULT_HIVE_COST "1000000000000000000000"  /* 1,000 HVT */
#define REGISTRY_DEFAULT_METER_COST "100000000000000000000"  /* 100 HVT */

enum meter_status { METER_REGISTERED, METER_CERTIFIED, METER_ONLINE, METER_OFFLINE, METER_REVOKED };
enum hive_status { HIVE_ACTIVE, HIVE_FROZEN, HIVE_SPLIT, HIVE_MERGED };

struct meter {
	uint8_t addr[20], owner[20];
	char *serial, *manufacturer;
	enum meter_status status;
	uint32_t hive;           /* the hive it belongs to, 0 for none */
	mpz_t stake;             /* HVT staked for its attachment */
	uint64_t added_seq, changed_seq;
};

struct coin {
	uint8_t addr[20];
	char *code;
	unsigned decimals;
	bool frozen;
	uint64_t added_seq, changed_seq;
};

struct hive {
	uint32_t id;             /* 1, 2, … in order of creation */
	uint8_t owner[20];
	uint32_t coin;           /* index into coins */
	uint32_t *meters;        /* indices into meters */
	size_t nmeters, cap;
	enum hive_status status;
	int64_t start_ms, end_ms;
	bool has_end;
	mpz_t stake;             /* HVT staked for the hive itself */
	uint32_t *from, *into;   /* hives it was split or merged from / into */
	size_t nfrom, ninto, cap_from, cap_into;
	uint64_t created_seq, changed_seq;
};

struct account {
	uint8_t addr[20];
	mpz_t balance;
};

struct registry {
	bool ready;              /* init applied */
	uint8_t admin[20];
	mpz_t supply, burned, staked, hive_cost, meter_cost;
	struct meter *meters;
	size_t nmeters, cap_meters;
	struct coin *coins;
	size_t ncoins, cap_coins;
	struct hive *hives;
	size_t nhives, cap_hives;
	struct account *accounts;
	size_t naccounts, cap_accounts;
	struct keymap meter_by_addr, meter_by_serial, coin_by_addr, account_by_addr;
	uint64_t seq;            /* events applied = the next event's seq */
	uint8_t head[32];        /* keccak256 of the last line, zeros before init */
	int64_t last_ms;         /* time of the last event */
	struct recsig rs;
	bool signer_known;       /* the address of the last key that signed here, and a digest of that key */
	uint8_t signer[20], signer_digest[32];
};

/* A refused event or operation: an exit code from diag.h and why. */
struct reg_error {
	int code;
	char msg[384];
};

void registry_init(struct registry *r);
void registry_free(struct registry *r);

enum {
	REG_CHECK_SIG = 1,       /* check canonical form and signature (verify) */
};

/* Returned by registry_apply_line when the event is later than stop_ms. */
#define REG_STOPPED (-1)

/*
 * Applies one ledger line: parses it, checks the chain (seq, prev, time
 * order), the actor's authority and every rule of its operation, and with
 * REG_CHECK_SIG that the line is canonical and signed by its actor. An event
 * later than stop_ms (INT64_MAX for none) is not applied: REG_STOPPED.
 * Returns HIVE_OK, REG_STOPPED, or an exit code with e set (nothing changed):
 * HIVE_EINPUT malformed, HIVE_EAUTH broken chain or signature, HIVE_ERULE a
 * rule broken.
 */
int registry_apply_line(struct registry *r, const char *line, size_t len, unsigned flags, int64_t stop_ms,
                        struct reg_error *e);
/* The same, given the keccak256 of the line (see ledger_scan_hashed). */
int registry_apply_hashed(struct registry *r, const char *line, size_t len, const uint8_t hash[32], unsigned flags,
                          int64_t stop_ms, struct reg_error *e);

/*
 * Makes a new event from op (consumed: an object with "op" and the
 * operation's input fields, as hive-beekeeper(1) lists them), signed with
 * seckey at time_ms (raised to the last event's time if earlier): fills in
 * the chain and the derived fields, checks every rule, applies it, and
 * appends its line and a newline to out. Returns HIVE_OK, or an exit code
 * with e set and nothing changed.
 */
int registry_append(struct registry *r, jv op, const uint8_t seckey[32], int64_t time_ms, struct buf *out,
                    struct reg_error *e);

/* Non-zero when name is an operation events may carry ("meter_add", …). */
int registry_op_known(const char *name);

/* Lookups: an index, or -1. */
long registry_meter(const struct registry *r, const uint8_t addr[20]);
long registry_coin(const struct registry *r, const uint8_t addr[20]);
long registry_account(const struct registry *r, const uint8_t addr[20]);

/* Query records (hive-records(5)): each returns a new object. */
jv registry_meter_record(const struct registry *r, size_t i);
jv registry_coin_record(const struct registry *r, size_t i);
jv registry_hive_record(const struct registry *r, size_t i);
jv registry_account_record(const struct registry *r, const uint8_t addr[20]);
jv registry_supply_record(const struct registry *r);
jv registry_params_record(const struct registry *r);
/* What hive-clear and hive-settle need about hive index i: a hive_export record and one member per meter. */
jv registry_export(const struct registry *r, size_t i);

/* Non-zero when balances + staked + burned = supply and staked = the stakes held. */
int registry_conserved(const struct registry *r);

const char *meter_status_name(enum meter_status s);
const char *hive_status_name(enum hive_status s);

#endif
