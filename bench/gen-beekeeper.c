/*
 * gen-beekeeper — operation records for `hive-beekeeper apply`, for the
 * hive-beekeeper benchmark (bench/beekeeper).
 *
 *   gen-beekeeper N [SEED] > ops.ndjson
 *
 * Writes a stablecoin_add (coin_add) first, then N - 1 operations of a
 * registry that grows, every one of which the rules accept when the admin
 * applies them to a fresh ledger in this order:
 *
 *   about 55 %  meter_add      a new meter (unique address and serial, one of
 *                              50,000 owners, one of six manufacturers)
 *   about 30 %  hvt_transfer   1 to 50 HVT from the admin to one of the owners
 *   about 13 %  meter_status   the admin certifies the oldest uncertified meter
 *   about  2 %  hive_create    a hive of the next four certified meters that
 *                              are in no hive, on the stablecoin
 *
 * (an operation whose meters are not there yet becomes a meter_add).
 * Addresses are a counter run through splitmix64: 20 bytes of lower-case hex,
 * never zero, distinct for distinct (kind, counter). The same N and SEED give
 * the same bytes.
 *
 * cc -O2 -o gen-beekeeper bench/gen-beekeeper.c
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t seed;

static uint64_t splitmix64(uint64_t x)
{
	x += UINT64_C(0x9e3779b97f4a7c15);
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

/* 0x and 40 lower-case hex digits, from (kind, i). */
static void address(char out[43], unsigned kind, uint64_t i)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t base = splitmix64(seed ^ ((uint64_t)kind << 56) ^ i);
	uint8_t b[24];
	for (int k = 0; k < 3; k++) {
		uint64_t w = splitmix64(base + (uint64_t)k);
		for (int j = 0; j < 8; j++)
			b[k * 8 + j] = (uint8_t)(w >> (8 * j));
	}
	b[0] |= 1;   /* never the zero address */
	out[0] = '0';
	out[1] = 'x';
	for (int k = 0; k < 20; k++) {
		out[2 + 2 * k] = hex[b[k] >> 4];
		out[3 + 2 * k] = hex[b[k] & 15];
	}
	out[42] = '\0';
}

enum { KIND_METER = 1, KIND_OWNER = 2, KIND_COIN = 3 };
#define OWNERS 50000

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: gen-beekeeper N [SEED]\n");
		return 2;
	}
	uint64_t n = strtoull(argv[1], NULL, 10);
	seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
	static const char *const makers[] = { "ISK", "LGZ", "KFM", "EMH", "DNT", "ESY" };
	static char obuf[1 << 16];
	setvbuf(stdout, obuf, _IOFBF, sizeof obuf);

	char a[43], b[43], coin[43];
	uint64_t added = 0, certified = 0, hived = 0;
	address(coin, KIND_COIN, 0);
	if (n > 0)
		printf("{\"op\":\"coin_add\",\"coin\":\"%s\",\"code\":\"EURS\",\"decimals\":2}\n", coin);
	for (uint64_t i = 1; i < n; i++) {
		uint64_t r = splitmix64(seed * 7919 + i);
		unsigned pick = (unsigned)(r % 100);
		if (pick >= 98 && certified - hived >= 4) {
			printf("{\"op\":\"hive_create\",\"coin\":\"%s\",\"meters\":[", coin);
			for (int k = 0; k < 4; k++) {
				address(a, KIND_METER, hived++);
				printf("%s\"%s\"", k ? "," : "", a);
			}
			printf("]}\n");
		} else if (pick >= 85 && pick < 98 && certified < added) {
			address(a, KIND_METER, certified++);
			printf("{\"op\":\"meter_status\",\"meter\":\"%s\",\"status\":\"certified\"}\n", a);
		} else if (pick >= 55 && pick < 85) {
			address(a, KIND_OWNER, (r >> 32) % OWNERS);
			printf("{\"op\":\"hvt_transfer\",\"to\":\"%s\",\"amount\":\"%u000000000000000000\"}\n", a,
			       1 + (unsigned)((r >> 20) % 50));
		} else {
			address(a, KIND_METER, added);
			address(b, KIND_OWNER, (r >> 32) % OWNERS);
			printf("{\"op\":\"meter_add\",\"meter\":\"%s\",\"owner\":\"%s\",\"serial\":\"%c%010" PRIu64
			       "\",\"manufacturer\":\"%s\"}\n",
			       a, b, 'E' + (int)(added % 3), added, makers[(r >> 8) % 6]);
			added++;
		}
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
