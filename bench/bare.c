/*
 * The ceiling: a bare libsecp256k1 loop signing and recovering n precomputed
 * 32-byte hashes, with no JSON, no I/O. Prints "sign R/s" and "recover R/s".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "keccak.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY);
	uint8_t (*hash)[32] = malloc(n * 32);
	secp256k1_ecdsa_recoverable_signature *sig = malloc(n * sizeof *sig);
	uint8_t key[32];
	size_t ok = 0;

	memset(key, 0x46, sizeof key);
	for (size_t i = 0; i < n; i++)
		keccak256(&i, sizeof i, hash[i]);
	double t0 = now();
	for (size_t i = 0; i < n; i++)
		ok += (size_t)secp256k1_ecdsa_sign_recoverable(ctx, &sig[i], hash[i], key, NULL, NULL);
	double t1 = now();
	for (size_t i = 0; i < n; i++) {
		secp256k1_pubkey pk;
		ok += (size_t)secp256k1_ecdsa_recover(ctx, &pk, &sig[i], hash[i]);
	}
	double t2 = now();
	if (ok != 2 * n)
		return 1;
	printf("sign %.0f\nrecover %.0f\n", (double)n / (t1 - t0), (double)n / (t2 - t1));
	free(hash);
	free(sig);
	secp256k1_context_destroy(ctx);
	return 0;
}
