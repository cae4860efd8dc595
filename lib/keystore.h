/*
 * keystore.h — Ethereum secret keys at rest: Web3 Secret Storage version 3
 * ("keystore" JSON files, as geth, cast and ethers write them) and raw key
 * files of 64 hex digits.
 *
 * Keystores: scrypt or PBKDF2-HMAC-SHA256 derive a 32-byte key from the
 * password; its first half is the AES-128-CTR key for the secret key and
 * keccak256(second half ‖ ciphertext) is the MAC that tells a wrong password.
 *
 * Ownership: callers provide every buffer; JSON goes to a caller's struct buf.
 * Every intermediate secret (derived key, plaintext) is wiped before return.
 */
#ifndef HIVE_KEYSTORE_H
#define HIVE_KEYSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/*
 * scrypt N for new keystores: 2^16 with r 8 takes 128·N·r = 64 MiB and about
 * a fifth of a second on a PC, a second or two on a Raspberry Pi, which has
 * the memory for it. geth's "standard" 2^18 needs 256 MiB (too much next to
 * other services on a small board); its "light" 2^12 (4 MiB) is cheap to attack.
 */
#define KEYSTORE_SCRYPT_N_DEFAULT (1u << 16)
#define KEYSTORE_SCRYPT_N_MIN (1u << 10)
#define KEYSTORE_SCRYPT_N_MAX (1u << 20)

enum keystore_status {
	KEYSTORE_OK = 0,
	KEYSTORE_MALFORMED = -1,        /* not a well-formed keystore v3 */
	KEYSTORE_UNSUPPORTED = -2,      /* well-formed, but a kdf, cipher or parameter we refuse */
	KEYSTORE_WRONG_PASSWORD = -3,   /* the MAC does not match */
	KEYSTORE_ADDRESS_MISMATCH = -4, /* the key decrypts but is not the file's "address" */
	KEYSTORE_SYSTEM = -5            /* no randomness, or the crypto library failed */
};

/*
 * Encrypts seckey into keystore v3 JSON text (one line and a newline) appended
 * to out: version 3, a random UUID v4 "id", "address" in lower-case hex
 * without 0x (as geth writes it), cipher aes-128-ctr with a random iv, kdf
 * scrypt with dklen 32, n = scrypt_n, r 8, p 1 and a 32-byte random salt, and
 * mac = keccak256(derivedKey[16..31] ‖ ciphertext).
 * scrypt_n must be a power of two from KEYSTORE_SCRYPT_N_MIN to _MAX
 * (KEYSTORE_UNSUPPORTED otherwise); an invalid seckey gives KEYSTORE_MALFORMED.
 * The password is password_len bytes (NUL bytes included); it may be NULL when
 * password_len is 0. On failure nothing is appended.
 */
enum keystore_status keystore_encrypt(struct buf *out, const uint8_t seckey[32],
                                      const char *password, size_t password_len, uint64_t scrypt_n);

/*
 * Decrypts keystore v3 text (kdf scrypt, or pbkdf2 with prf hmac-sha256;
 * cipher aes-128-ctr). Accepts "crypto" or "Crypto" (as geth does) and hex
 * with or without 0x. The MAC is compared in constant time. When the file
 * names an "address", the decrypted key must have it.
 * Work is bounded against hostile files: scrypt 128·N·r·p ≤ 1 GiB (memory and
 * time), pbkdf2 c ≤ 10,000,000.
 * On success *why is NULL.
 * On failure seckey is zeroed and *why (when why is not NULL) is a reason that
 * names the field, e.g. "crypto.kdfparams.n is not a power of two". It is a
 * string constant, or for "unsupported cipher 'NAME'" and the like a static
 * buffer that the next call in the same thread overwrites.
 */
enum keystore_status keystore_decrypt(uint8_t seckey[32], const char *text, size_t len,
                                      const char *password, size_t password_len, const char **why);

/*
 * Checks everything keystore_decrypt checks before it needs the password,
 * without running the KDF: lets a tool reject a malformed file before it
 * prompts. Returns KEYSTORE_OK, KEYSTORE_MALFORMED or KEYSTORE_UNSUPPORTED.
 */
enum keystore_status keystore_check(const char *text, size_t len, const char **why);

/*
 * Raw key files: 64 hex digits (optional 0x, optional one trailing newline),
 * nothing else, and a valid secp256k1 key. Returns 0, or -1 with a constant
 * *why (e.g. "truncated: want 64 hex digits") and seckey zeroed.
 */
int keyfile_parse(uint8_t seckey[32], const char *text, size_t len, const char **why);
/* Appends 64 lower-case hex digits and a newline, no 0x (as geth and cast read them). */
void keyfile_format(struct buf *out, const uint8_t seckey[32]);

#endif
