/*
 * jvbuild.h — the small jq values records are built from: an address in
 * EIP-55 form, an RFC 3339 time, an exact fraction, and a member set on an
 * object, and a signed integer as a decimal string (amount_jv in amount.h
 * is for token amounts, which are never negative).
 *
 * Ownership: each returns a new jv the caller owns; jvb_set takes o and v.
 */
#ifndef HIVE_JVBUILD_H
#define HIVE_JVBUILD_H

#include <stdint.h>
#include <gmp.h>
#include <jv.h>

jv jvb_address(const uint8_t a[20]);
jv jvb_time(int64_t unix_ms);
/* "num/den" in lowest terms, or "num" when the denominator is 1. */
jv jvb_fraction(const mpq_t q);
jv jvb_set(jv o, const char *key, jv v);
/* A signed integer as a string of decimal digits: money in mbu or base units, which may be negative. */
jv jvb_integer(const mpz_t v);

#endif
