#include "keccak.h"

#include <string.h>

void keccak256_init(struct keccak256_ctx *ctx)
{
	sha3_256_init(&ctx->sponge);
}

void keccak256_update(struct keccak256_ctx *ctx, const void *data, size_t len)
{
	/* Absorbing is the same for Keccak and SHA-3; only the final padding differs. */
	sha3_256_update(&ctx->sponge, len, data);
}

void keccak256_final(struct keccak256_ctx *ctx, uint8_t out[KECCAK256_SIZE])
{
	struct sha3_256_ctx *s = &ctx->sponge;
	uint8_t *block = s->block;

	memset(block + s->index, 0, SHA3_256_BLOCK_SIZE - s->index);
	block[s->index] = 0x01;
	block[SHA3_256_BLOCK_SIZE - 1] |= 0x80;
	/* The state's lanes are little-endian 64-bit words. */
	for (size_t i = 0; i < SHA3_256_BLOCK_SIZE / 8; i++) {
		uint64_t lane = 0;
		for (int j = 7; j >= 0; j--)
			lane = lane << 8 | block[8 * i + (size_t)j];
		s->state.a[i] ^= lane;
	}
	sha3_permute(&s->state);
	for (size_t i = 0; i < KECCAK256_SIZE; i++)
		out[i] = (uint8_t)(s->state.a[i / 8] >> (8 * (i % 8)));
	keccak256_init(ctx);
}

void keccak256(const void *data, size_t len, uint8_t out[KECCAK256_SIZE])
{
	struct keccak256_ctx ctx;

	keccak256_init(&ctx);
	keccak256_update(&ctx, data, len);
	keccak256_final(&ctx, out);
}
