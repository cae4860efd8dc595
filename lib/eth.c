#include "eth.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "diag.h"
#include "hex.h"
#include "keccak.h"
#include "secret.h"

static secp256k1_context *ctx(void)
{
	static secp256k1_context *c;

	if (c == NULL) {
		c = secp256k1_context_create(SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY);
		if (c == NULL)
			diag_die(HIVE_EINTERNAL, "cannot create a secp256k1 context");
		/* Randomise the context against side channels; failure to do so is not fatal. */
		uint8_t seed[32];
		if (getrandom(seed, sizeof seed, 0) == (ssize_t)sizeof seed &&
		    !secp256k1_context_randomize(c, seed))
			diag_warn("cannot randomise the secp256k1 context; continuing without blinding");
		secret_wipe(seed, sizeof seed);
	}
	return c;
}

int eth_seckey_valid(const uint8_t seckey[ETH_SECKEY_SIZE])
{
	return secp256k1_ec_seckey_verify(ctx(), seckey);
}

int eth_seckey_generate(uint8_t seckey[ETH_SECKEY_SIZE])
{
	do {
		size_t got = 0;
		while (got < ETH_SECKEY_SIZE) {
			ssize_t n = getrandom(seckey + got, ETH_SECKEY_SIZE - got, 0);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				secret_wipe(seckey, ETH_SECKEY_SIZE);
				return -1;
			}
			got += (size_t)n;
		}
	} while (!eth_seckey_valid(seckey));
	return 0;
}

void eth_pubkey_address(uint8_t addr[ETH_ADDR_SIZE], const uint8_t pub64[64])
{
	uint8_t h[32];

	keccak256(pub64, 64, h);
	memcpy(addr, h + 12, ETH_ADDR_SIZE);
}

static void address_of_pubkey(uint8_t addr[ETH_ADDR_SIZE], const secp256k1_pubkey *pk)
{
	uint8_t ser[65];
	size_t len = sizeof ser;

	secp256k1_ec_pubkey_serialize(ctx(), ser, &len, pk, SECP256K1_EC_UNCOMPRESSED);
	eth_pubkey_address(addr, ser + 1);
}

int eth_seckey_address(uint8_t addr[ETH_ADDR_SIZE], const uint8_t seckey[ETH_SECKEY_SIZE])
{
	secp256k1_pubkey pk;

	if (!secp256k1_ec_pubkey_create(ctx(), &pk, seckey))
		return -1;
	address_of_pubkey(addr, &pk);
	return 0;
}

void eth_address_format(char out[ETH_ADDR_STRLEN + 1], const uint8_t addr[ETH_ADDR_SIZE])
{
	char lower[2 * ETH_ADDR_SIZE + 1];
	uint8_t h[32];

	hex_encode(addr, ETH_ADDR_SIZE, lower);
	keccak256(lower, 2 * ETH_ADDR_SIZE, h);
	out[0] = '0';
	out[1] = 'x';
	for (size_t i = 0; i < 2 * ETH_ADDR_SIZE; i++) {
		int nibble = (i % 2 == 0) ? h[i / 2] >> 4 : h[i / 2] & 15;
		char c = lower[i];
		out[2 + i] = (c >= 'a' && nibble >= 8) ? (char)(c - 'a' + 'A') : c;
	}
	out[ETH_ADDR_STRLEN] = '\0';
}

enum eth_addr_status eth_address_parse(uint8_t addr[ETH_ADDR_SIZE], const char *s, size_t len)
{
	int lower = 0, upper = 0;
	char canon[ETH_ADDR_STRLEN + 1];

	if (len != ETH_ADDR_STRLEN || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return ETH_ADDR_SYNTAX;
	if (hex_decode(s + 2, len - 2, addr, ETH_ADDR_SIZE) != 0)
		return ETH_ADDR_SYNTAX;
	for (size_t i = 2; i < len; i++) {
		lower |= (s[i] >= 'a' && s[i] <= 'f');
		upper |= (s[i] >= 'A' && s[i] <= 'F');
	}
	if (!(lower && upper))
		return ETH_ADDR_OK;
	eth_address_format(canon, addr);
	return memcmp(canon + 2, s + 2, 2 * ETH_ADDR_SIZE) == 0 ? ETH_ADDR_OK : ETH_ADDR_CHECKSUM;
}

const char *eth_addr_status_str(enum eth_addr_status st)
{
	switch (st) {
	case ETH_ADDR_OK: return "valid address";
	case ETH_ADDR_SYNTAX: return "not an address (want 0x and 40 hex digits)";
	case ETH_ADDR_CHECKSUM: return "address fails its EIP-55 checksum";
	}
	return "unknown address error";
}

void eth_personal_hash(uint8_t hash[32], const void *msg, size_t len)
{
	struct keccak256_ctx k;
	char prefix[64];
	int n = snprintf(prefix, sizeof prefix, "\x19" "Ethereum Signed Message:\n%zu", len);

	keccak256_init(&k);
	keccak256_update(&k, prefix, (size_t)n);
	keccak256_update(&k, msg, len);
	keccak256_final(&k, hash);
}

int eth_sign_hash(uint8_t sig[ETH_SIG_SIZE], const uint8_t hash[32], const uint8_t seckey[ETH_SECKEY_SIZE])
{
	secp256k1_ecdsa_recoverable_signature rs;
	int recid = 0;

	/* libsecp256k1 always produces low-s signatures (EIP-2). */
	if (!secp256k1_ecdsa_sign_recoverable(ctx(), &rs, hash, seckey, NULL, NULL)) {
		memset(sig, 0, ETH_SIG_SIZE);
		return -1;
	}
	secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx(), sig, &recid, &rs);
	sig[64] = (uint8_t)(27 + recid);
	return 0;
}

enum eth_sig_status eth_recover(uint8_t addr[ETH_ADDR_SIZE], const uint8_t hash[32], const uint8_t sig[ETH_SIG_SIZE])
{
	secp256k1_ecdsa_recoverable_signature rs;
	secp256k1_ecdsa_signature plain, normal;
	secp256k1_pubkey pk;
	int recid;

	if (sig[64] == 27 || sig[64] == 28)
		recid = sig[64] - 27;
	else if (sig[64] == 0 || sig[64] == 1)
		recid = sig[64];
	else
		return ETH_SIG_BAD_V;
	if (!secp256k1_ecdsa_signature_parse_compact(ctx(), &plain, sig))
		return ETH_SIG_BAD_RS;
	static const uint8_t zero[32];
	if (memcmp(sig, zero, 32) == 0 || memcmp(sig + 32, zero, 32) == 0)
		return ETH_SIG_BAD_RS;
	if (secp256k1_ecdsa_signature_normalize(ctx(), &normal, &plain))
		return ETH_SIG_HIGH_S;
	if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx(), &rs, sig, recid))
		return ETH_SIG_BAD_RS;
	if (!secp256k1_ecdsa_recover(ctx(), &pk, &rs, hash))
		return ETH_SIG_NO_KEY;
	address_of_pubkey(addr, &pk);
	return ETH_SIG_OK;
}

const char *eth_sig_status_str(enum eth_sig_status st)
{
	switch (st) {
	case ETH_SIG_OK: return "valid signature";
	case ETH_SIG_BAD_V: return "signature has an invalid recovery byte v (want 27 or 28)";
	case ETH_SIG_BAD_RS: return "signature r or s is out of range";
	case ETH_SIG_HIGH_S: return "signature s is not in the lower half (malleable form)";
	case ETH_SIG_NO_KEY: return "no public key recovers from this signature";
	}
	return "unknown signature error";
}
