/*
 * eip712.h — EIP-712 typed structured data hashing for input in the
 * eth_signTypedData_v4 JSON form: an object with "types" (optionally holding
 * "EIP712Domain"), "primaryType", "domain" and "message".
 *
 * Ownership: jv arguments are borrowed (never consumed, never kept); callers
 * provide every output buffer.
 *
 * Input rules, strict where signers disagree (see the comments in eip712.c):
 *  - integers (uintN, intN, N = 8…256 in steps of 8) are JSON numbers that are
 *    exact integers below 2^53 in magnitude, or strings in decimal or 0x-hex,
 *    either with an optional leading '-'; the value must fit the declared width;
 *  - address: "0x" and 40 hex digits, mixed case must be the EIP-55 checksum;
 *  - bytesN: "0x" and exactly 2N hex digits; bytes: "0x" and an even number of
 *    hex digits; string: any JSON string (hashed as UTF-8); bool: true or false;
 *  - every field a type declares must be present; fields a type does not
 *    declare are ignored, as ethers' TypedDataEncoder does;
 *  - without types.EIP712Domain the domain type is derived from the fields
 *    present in "domain", in the order name, version, chainId,
 *    verifyingContract, salt (as ethers does).
 */
#ifndef HIVE_EIP712_H
#define HIVE_EIP712_H

#include <stdint.h>

#include <jv.h>

#include "buf.h"

/* Structs and arrays nested deeper than this are refused. */
#define EIP712_MAX_DEPTH 64

struct eip712_digest {
	uint8_t domain_separator[32]; /* hashStruct(EIP712Domain, domain) */
	uint8_t struct_hash[32];      /* hashStruct(primaryType, message) */
	uint8_t digest[32];           /* what is signed */
};

/*
 * Hashes typed data: digest = keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct(message)).
 * Returns 0, or -1 with one reason appended to err, led by the path of the
 * offending value when there is one ("message.to.wallet: not an address …",
 * "type 'Mail' is not defined", "message.n: uint8 value 300 out of range").
 */
int eip712_hash(struct eip712_digest *out, jv typed, struct buf *err);

#endif
