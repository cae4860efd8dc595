/*
 * keccak.h — Keccak-256 as Ethereum uses it (the original Keccak padding
 * 0x01…0x80, not SHA-3's 0x06), built on nettle's Keccak-f[1600] permutation.
 *
 * Ownership: contexts live in caller memory; nothing is allocated.
 */
#ifndef HIVE_KECCAK_H
#define HIVE_KECCAK_H

#include <stddef.h>
#include <stdint.h>

#include <nettle/sha3.h>

#define KECCAK256_SIZE 32

struct keccak256_ctx {
	struct sha3_256_ctx sponge; /* nettle's absorb state: rate 136, capacity 64 */
};

void keccak256_init(struct keccak256_ctx *ctx);
void keccak256_update(struct keccak256_ctx *ctx, const void *data, size_t len);
/* Pads, squeezes 32 bytes into out and leaves ctx ready for reuse. */
void keccak256_final(struct keccak256_ctx *ctx, uint8_t out[KECCAK256_SIZE]);
/* One-shot hash of len bytes. */
void keccak256(const void *data, size_t len, uint8_t out[KECCAK256_SIZE]);

#endif
