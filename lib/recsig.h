/*
 * recsig.h — signatures over records: EIP-191 personal_sign of the RFC 8785
 * canonical form of a record without its "sig" member.
 *
 * Ownership: jv arguments are borrowed; outputs go to caller buffers.
 * A struct recsig holds the scratch memory reused from record to record.
 */
#ifndef HIVE_RECSIG_H
#define HIVE_RECSIG_H

#include <stdint.h>

#include <jv.h>

#include "buf.h"
#include "eth.h"

#define RECSIG_FIELD "sig"

struct recsig {
	struct buf canon;   /* canonical text of the last record handled */
};

void recsig_init(struct recsig *rs);
void recsig_free(struct recsig *rs);

/* keccak256 of the canonical form without "sig". Returns 0, or -1 with *why set. */
int recsig_hash(struct recsig *rs, uint8_t hash[32], jv record, const char **why);

/*
 * Signs the record and appends its canonical form with "sig" set to out.
 * Returns 0, or -1 with *why set (the record cannot be canonicalised).
 */
int recsig_sign(struct recsig *rs, struct buf *out, jv record, const uint8_t seckey[ETH_SECKEY_SIZE], const char **why);

enum recsig_status {
	RECSIG_OK = 0,
	RECSIG_UNSIGNED = 1,     /* the record has no "sig" member */
	RECSIG_MALFORMED = -1,   /* "sig" is not 0x and 130 hex digits, or the record cannot be canonicalised */
	RECSIG_INVALID = -2      /* the signature does not recover a key (see why) */
};
/* Recovers the signer of a signed record. *why explains any status but RECSIG_OK. */
enum recsig_status recsig_recover(struct recsig *rs, uint8_t addr[ETH_ADDR_SIZE], jv record, const char **why);

#endif
