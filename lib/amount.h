/*
 * amount.h — exact token amounts: non-negative integers of base units below
 * 2^256 (an ERC-20 uint256), held in GMP integers and written as decimal
 * strings, never as JSON numbers or floating point.
 *
 * Ownership: callers own every mpz_t (mpz_init/mpz_clear); strings passed in
 * are only read.
 */
#ifndef HIVE_AMOUNT_H
#define HIVE_AMOUNT_H

#include <stddef.h>
#include <stdint.h>
#include <gmp.h>
#include <jv.h>
#include "buf.h"

/* 2^256 − 1 has 78 decimal digits. */
#define AMOUNT_MAX_DIGITS 78
/* Largest number of decimals a token may have so that one whole token stays below 2^256. */
#define AMOUNT_MAX_DECIMALS 77

/*
 * Parses base units as written in a record: ASCII digits only, no sign, no
 * leading zero (but "0"), below 2^256. Returns 0, or -1 with *why set.
 */
int amount_parse(mpz_t out, const char *s, size_t len, const char **why);

/*
 * Parses an amount given on a command line: base units ("1500000"), or whole
 * tokens with the unit's name as suffix ("1000HVT", "0.25HVT", at most
 * `decimals` digits after the point), converted exactly. Returns 0, or -1
 * with *why set.
 */
int amount_parse_units(mpz_t out, const char *s, const char *unit, unsigned decimals, const char **why);

/* Non-zero when 0 ≤ v < 2^256. */
int amount_fits(const mpz_t v);

/* Appends v in decimal (v ≥ 0). */
void amount_append(struct buf *b, const mpz_t v);

/* v as a JSON string of decimal digits. */
jv amount_jv(const mpz_t v);

/* v = x, exactly on every platform (GMP's *_si functions take a long, 32 bits on armhf). */
void amount_set_i64(mpz_t v, int64_t x);

/* Splits a payment into the staked half (rounded down) and the burned rest. */
void amount_burn_and_stake(const mpz_t paid, mpz_t burn, mpz_t stake);

#endif
