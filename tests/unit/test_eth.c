/* Known answers for keccak256, EIP-55 and secp256k1 signing, from the specifications. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "eth.h"
#include "hex.h"
#include "keccak.h"

static void hex_of(char *out, const uint8_t *p, size_t n) { hex_encode(p, n, out); }

static void test_keccak(void)
{
	/* Vectors from the Keccak team's submission (ShortMsgKAT_256, original padding) and Ethereum. */
	static const struct { const char *msg; const char *want; } v[] = {
		{ "", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470" },
		{ "abc", "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45" },
		{ "The quick brown fox jumps over the lazy dog",
		  "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15" },
	};
	uint8_t h[32];
	char hx[65];

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		keccak256(v[i].msg, strlen(v[i].msg), h);
		hex_of(hx, h, 32);
		CHECK_STREQ(hx, v[i].want);
	}
	/* Block-boundary lengths: 135, 136 and 137 bytes, one-shot equals incremental. */
	uint8_t msg[300], h2[32];
	for (size_t i = 0; i < sizeof msg; i++)
		msg[i] = (uint8_t)(i * 7 + 1);
	size_t lens[] = { 135, 136, 137, 272, 300 };
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		struct keccak256_ctx k;
		keccak256(msg, lens[i], h);
		keccak256_init(&k);
		for (size_t j = 0; j < lens[i]; j++)
			keccak256_update(&k, msg + j, 1);
		keccak256_final(&k, h2);
		CHECK_MEMEQ(h, h2, 32);
	}
	/* 136 bytes of 'a' (one full block plus a padding block): value from cast keccak. */
	memset(msg, 'a', 136);
	keccak256(msg, 136, h);
	hex_of(hx, h, 32);
	CHECK_STREQ(hx, "a6c4d403279fe3e0af03729caada8374b5ca54d8065329a3ebcaeb4b60aa386e");
}

static void test_eip55(void)
{
	/* The four test addresses of EIP-55. */
	static const char *const good[] = {
		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
		"0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
		"0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
		"0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
	};
	uint8_t a[20];
	char out[43];

	for (size_t i = 0; i < 4; i++) {
		CHECK_INTEQ(eth_address_parse(a, good[i], strlen(good[i])), ETH_ADDR_OK);
		eth_address_format(out, a);
		CHECK_STREQ(out, good[i]);
	}
	CHECK_INTEQ(eth_address_parse(a, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", 42), ETH_ADDR_OK);
	CHECK_INTEQ(eth_address_parse(a, "0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED", 42), ETH_ADDR_OK);
	CHECK_INTEQ(eth_address_parse(a, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", 42), ETH_ADDR_CHECKSUM);
	CHECK_INTEQ(eth_address_parse(a, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe", 41), ETH_ADDR_SYNTAX);
	CHECK_INTEQ(eth_address_parse(a, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg", 42), ETH_ADDR_SYNTAX);
	CHECK_INTEQ(eth_address_parse(a, "005aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", 42), ETH_ADDR_SYNTAX);
}

static void test_eip155_key(void)
{
	/* EIP-155's example key 0x4646…46 has address 0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F. */
	uint8_t k[32], a[20];
	char out[43];

	memset(k, 0x46, 32);
	CHECK_INTEQ(eth_seckey_address(a, k), 0);
	eth_address_format(out, a);
	CHECK_STREQ(out, "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F");
	/* EIP-155's signing hash of its example transaction and the signature it gives (v 37 = 27 + 10). */
	uint8_t h[32], sig[65];
	char hx[131];
	hex_decode("daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53", 64, h, 32);
	CHECK_INTEQ(eth_sign_hash(sig, h, k), 0);
	hex_of(hx, sig, 64);
	CHECK_STREQ(hx, "28ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276"
	                "67cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83");
	CHECK_INTEQ(sig[64], 27);
	uint8_t back[20];
	CHECK_INTEQ(eth_recover(back, h, sig), ETH_SIG_OK);
	CHECK_MEMEQ(back, a, 20);
}

static void test_personal_sign(void)
{
	/* eth-account's "Some data" personal_sign vector (../shared/data/eth/personal_sign_some_data.json). */
	uint8_t k[32], h[32], sig[65], a[20], back[20];
	char hx[131];

	hex_decode("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318", 66, k, 32);
	eth_personal_hash(h, "Some data", 9);
	hex_of(hx, h, 32);
	CHECK_STREQ(hx, "1da44b586eb0729ff70a73c326926f6ed5a25f5b056e7f47fbc6e58d86871655");
	CHECK_INTEQ(eth_sign_hash(sig, h, k), 0);
	hex_of(hx, sig, 65);
	CHECK_STREQ(hx, "b91467e570a6466aa9e9876cbcd013baba02900b8979d43fe208a4a4f339f5fd"
	                "6007e74cd82e037b800186422fc2da167c747ef045e5d18a5f5d4300f8e1a0291c");
	eth_seckey_address(a, k);
	CHECK_INTEQ(eth_recover(back, h, sig), ETH_SIG_OK);
	CHECK_MEMEQ(back, a, 20);

	/* Damaged signatures: wrong v, zero r, high s, flipped bit (recovers someone else). */
	uint8_t bad[65];
	memcpy(bad, sig, 65); bad[64] = 29;
	CHECK_INTEQ(eth_recover(back, h, bad), ETH_SIG_BAD_V);
	memcpy(bad, sig, 65); memset(bad, 0, 32);
	CHECK_INTEQ(eth_recover(back, h, bad), ETH_SIG_BAD_RS);
	memcpy(bad, sig, 65); memset(bad + 32, 0xff, 32);
	CHECK_INTEQ(eth_recover(back, h, bad), ETH_SIG_BAD_RS);
	/* s' = n - s is the malleable twin: refused. */
	static const uint8_t n[32] = {
		0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xfe,
		0xba,0xae,0xdc,0xe6,0xaf,0x48,0xa0,0x3b,0xbf,0xd2,0x5e,0x8c,0xd0,0x36,0x41,0x41 };
	memcpy(bad, sig, 65);
	int borrow = 0;
	for (int i = 31; i >= 0; i--) {
		int d = n[i] - sig[32 + i] - borrow;
		borrow = d < 0;
		bad[32 + i] = (uint8_t)(d + (borrow ? 256 : 0));
	}
	bad[64] = sig[64] == 27 ? 28 : 27;
	CHECK_INTEQ(eth_recover(back, h, bad), ETH_SIG_HIGH_S);
	memcpy(bad, sig, 65); bad[5] ^= 1;
	enum eth_sig_status st = eth_recover(back, h, bad);
	CHECK(st != ETH_SIG_OK || memcmp(back, a, 20) != 0);
}

static void test_generate(void)
{
	uint8_t k1[32], k2[32];

	CHECK_INTEQ(eth_seckey_generate(k1), 0);
	CHECK_INTEQ(eth_seckey_generate(k2), 0);
	CHECK(eth_seckey_valid(k1));
	CHECK(memcmp(k1, k2, 32) != 0);
	uint8_t zero[32] = { 0 };
	CHECK(!eth_seckey_valid(zero));
}

int main(void)
{
	test_keccak();
	test_eip55();
	test_eip155_key();
	test_personal_sign();
	test_generate();
	return check_done("test_eth");
}
