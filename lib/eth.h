/*
 * eth.h — Ethereum keys, addresses (EIP-55) and recoverable ECDSA signatures
 * (secp256k1 through libsecp256k1 and its recovery module), EIP-191
 * personal_sign hashing.
 *
 * Ownership: callers provide every output buffer; nothing is allocated except
 * the one library-wide secp256k1 context, created on first use.
 * Argument order follows libsecp256k1: outputs first, then inputs.
 */
#ifndef HIVE_ETH_H
#define HIVE_ETH_H

#include <stddef.h>
#include <stdint.h>

#define ETH_SECKEY_SIZE 32
#define ETH_ADDR_SIZE 20
#define ETH_SIG_SIZE 65      /* r ‖ s ‖ v, v = 27 or 28 */
#define ETH_ADDR_STRLEN 42   /* "0x" and 40 hex digits */

/* Returns 1 when seckey is a valid secp256k1 secret key (0 < k < n). */
int eth_seckey_valid(const uint8_t seckey[ETH_SECKEY_SIZE]);
/* Fills seckey with a new random key from getrandom(2). Returns 0, or -1 with errno set. */
int eth_seckey_generate(uint8_t seckey[ETH_SECKEY_SIZE]);
/* Address of a secret key. Returns 0, or -1 when the key is invalid. */
int eth_seckey_address(uint8_t addr[ETH_ADDR_SIZE], const uint8_t seckey[ETH_SECKEY_SIZE]);
/* Address of a 64-byte uncompressed public key x ‖ y: the last 20 bytes of keccak256(x ‖ y). */
void eth_pubkey_address(uint8_t addr[ETH_ADDR_SIZE], const uint8_t pub64[64]);

/* Writes the EIP-55 mixed-case form "0x…" and a NUL into out (ETH_ADDR_STRLEN + 1 bytes). */
void eth_address_format(char out[ETH_ADDR_STRLEN + 1], const uint8_t addr[ETH_ADDR_SIZE]);

enum eth_addr_status {
	ETH_ADDR_OK = 0,
	ETH_ADDR_SYNTAX = -1,   /* not 0x and 40 hex digits */
	ETH_ADDR_CHECKSUM = -2  /* mixed case that is not the EIP-55 checksum */
};
/*
 * Parses "0x" and 40 hex digits. All-lower or all-upper digits carry no
 * checksum and are accepted; mixed case must match EIP-55.
 */
enum eth_addr_status eth_address_parse(uint8_t addr[ETH_ADDR_SIZE], const char *s, size_t len);
const char *eth_addr_status_str(enum eth_addr_status st);

/* EIP-191 version 0x45: keccak256("\x19Ethereum Signed Message:\n" ‖ len ‖ msg). */
void eth_personal_hash(uint8_t hash[32], const void *msg, size_t len);

/* Deterministic (RFC 6979) low-s recoverable signature of a 32-byte hash. Returns 0, or -1 on an invalid key. */
int eth_sign_hash(uint8_t sig[ETH_SIG_SIZE], const uint8_t hash[32], const uint8_t seckey[ETH_SECKEY_SIZE]);

enum eth_sig_status {
	ETH_SIG_OK = 0,
	ETH_SIG_BAD_V = -1,      /* v is not 27, 28, 0 or 1 */
	ETH_SIG_BAD_RS = -2,     /* r or s is zero or not below the group order */
	ETH_SIG_HIGH_S = -3,     /* s is in the upper half: malleable, never produced by a signer following EIP-2 */
	ETH_SIG_NO_KEY = -4      /* no public key recovers from this signature and hash */
};
/* Recovers the signer's address. Only low-s signatures are accepted. */
enum eth_sig_status eth_recover(uint8_t addr[ETH_ADDR_SIZE], const uint8_t hash[32], const uint8_t sig[ETH_SIG_SIZE]);
const char *eth_sig_status_str(enum eth_sig_status st);

#endif
