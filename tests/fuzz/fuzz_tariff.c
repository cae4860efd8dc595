/*
 * fuzz_tariff — tariff files and the zone files they name. An input that
 * starts with "TZif" is a zone file: it is written under a TZDIR of our own
 * and named by a tou tariff; anything else is a tariff file. Checks:
 *   - a refused file gets exactly one diagnostic line, naming the file and
 *     a line; an accepted one gets none;
 *   - every price given has buy >= sell >= 0, and a slot without a price
 *     leaves buy and sell untouched;
 *   - constant and tou tariffs price every slot, even at the ends of time;
 *   - the answers do not change when asked again.
 * Lines reach jq's parser only after jsonscan_check (as in every hive
 * reader), so jq 1.6's leaks on malformed text (see fuzz_jcs.c) stay out.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gmp.h>

#include "buf.h"
#include "diag.h"
#include "tariff.h"
#include "xio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ZONE_RULES \
	"{\"type\":\"tou\",\"days\":\"mon-fri\",\"from\":\"07:00\",\"to\":\"20:00\",\"buy\":\"3\",\"sell\":\"1\"}\n" \
	"{\"type\":\"tou\",\"days\":\"all\",\"from\":\"00:00\",\"to\":\"24:00\",\"buy\":\"2\",\"sell\":\"1\"}\n"

static void require(int ok)
{
	if (!ok)
		abort();
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3u;
	return h;
}

static char zone_dir_name[] = "/tmp/fuzz_tariff.XXXXXX";

static void remove_zone_dir(void)
{
	struct buf path = BUF_INIT;
	buf_printf(&path, "%s/Fuzz", zone_dir_name);
	unlink(path.data);
	rmdir(zone_dir_name);
	buf_free(&path);
}

/* A directory of our own for zone files, made once and removed at exit. */
static const char *zone_dir(void)
{
	static bool made;

	if (!made) {
		require(mkdtemp(zone_dir_name) != NULL);
		atexit(remove_zone_dir);
		made = true;
	}
	return zone_dir_name;
}

/* Loads text with diagnostics captured; checks the one-line-or-none rule. */
static struct tariff *load(const char *text, size_t len)
{
	char *out = NULL;
	size_t outlen = 0;
	FILE *stream = open_memstream(&out, &outlen);
	struct tariff *t = NULL;

	require(stream != NULL);
	diag_redirect(stream);
	int rc = tariff_load_text(&t, "fuzz", text, len);
	fflush(stream);
	diag_redirect(NULL);
	if (rc == HIVE_OK) {
		require(t != NULL && outlen == 0);
	} else {
		static const char prefix[] = "fuzz_tariff: 'fuzz' line ";
		require(rc == HIVE_EINPUT && t == NULL);
		require(outlen > sizeof prefix && memcmp(out, prefix, sizeof prefix - 1) == 0);
		require(out[sizeof prefix - 1] >= '1' && out[sizeof prefix - 1] <= '9');
		require(memchr(out, '\n', outlen) == out + outlen - 1);
	}
	fclose(stream);
	free(out);
	return t;
}

/* Asks for the prices of many slots; returns a digest of the answers. */
static uint64_t probe(const struct tariff *t, uint64_t seed, bool always_priced)
{
	static const int64_t fixed[] = {
		INT64_MIN, INT64_MIN + 1, -1, 0, 1, INT64_MAX - 1, INT64_MAX,
		1774745100000, 1774746000000,    /* 2026-03-29 00:45 and 01:00 UTC: the spring change in Europe */
		1792889100000, 1792890000000,    /* 2026-10-25 00:45 and 01:00 UTC: the autumn change */
		1782000000000, -62135596800000, 253402300799000,   /* 2026, year 1, year 9999 */
	};
	uint64_t digest = 0;
	mpz_t buy, sell;

	mpz_inits(buy, sell, NULL);
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0] + 64; i++) {
		int64_t ms;
		if (i < sizeof fixed / sizeof fixed[0]) {
			ms = fixed[i];
		} else {
			/* Quarter hours around 2026 from the input's hash, and a few anywhere. */
			seed = seed * 6364136223846793005u + 1442695040888963407u;
			ms = i % 8 == 0 ? (int64_t)seed : 1767225600000 + (int64_t)(seed >> 40) * 900000 / 16;
		}
		mpz_set_si(buy, -7);
		mpz_set_si(sell, -7);
		if (tariff_prices(t, ms, buy, sell) == 0) {
			require(mpz_sgn(sell) >= 0 && mpz_cmp(buy, sell) >= 0);
			digest = digest * 31 + mpz_getlimbn(buy, 0) * 7 + mpz_getlimbn(sell, 0) + 1;
		} else {
			require(!always_priced);
			require(mpz_cmp_si(buy, -7) == 0 && mpz_cmp_si(sell, -7) == 0);
			digest = digest * 31;
		}
	}
	mpz_clears(buy, sell, NULL);
	return digest;
}

static void run_tariff(const uint8_t *data, size_t size)
{
	unsetenv("TZDIR");
	struct tariff *t = load((const char *)data, size);
	if (t == NULL)
		return;
	/* Only a dynamic tariff may lack a price: its header says so, unless an escape spells it. */
	bool dynamic = memmem(data, size, "\"dynamic\"", 9) != NULL || memchr(data, '\\', size) != NULL;
	uint64_t seed = fnv1a(data, size);
	require(probe(t, seed, !dynamic) == probe(t, seed, !dynamic));
	tariff_free(t);
}

static void run_zone(const uint8_t *data, size_t size)
{
	struct buf path = BUF_INIT;
	static const char text[] = "{\"type\":\"tariff\",\"kind\":\"tou\",\"tz\":\"Fuzz\"}\n" ZONE_RULES;

	buf_printf(&path, "%s/Fuzz", zone_dir());
	unlink(path.data);
	require(create_file_atomic(path.data, data, size, 0600, NULL, NULL) == 0);
	setenv("TZDIR", zone_dir(), 1);
	struct tariff *t = load(text, sizeof text - 1);
	if (t != NULL) {
		uint64_t seed = fnv1a(data, size);
		require(probe(t, seed, true) == probe(t, seed, true));
		tariff_free(t);
	}
	unsetenv("TZDIR");
	buf_free(&path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;

	if (!ready) {
		diag_init("fuzz_tariff");
		ready = true;
	}
	if (size > 1 << 16)
		return 0;
	if (size >= 4 && memcmp(data, "TZif", 4) == 0)
		run_zone(data, size);
	else
		run_tariff(data, size);
	return 0;
}
