/*
 * check.h — the unit tests' assertions. Each CHECK counts one assertion;
 * a failure prints its file, line and expression and the run goes on.
 * check_done() prints "name: N passed, M failed" and returns the exit code.
 */
#ifndef HIVE_CHECK_H
#define HIVE_CHECK_H

#include <stdint.h>

#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond) check_one((cond) != 0, __FILE__, __LINE__, #cond, NULL, NULL)
#define CHECK_STREQ(got, want) \
	check_one(strcmp((got), (want)) == 0, __FILE__, __LINE__, #got " == " #want, (got), (want))
#define CHECK_MEMEQ(got, want, n) \
	check_one(memcmp((got), (want), (n)) == 0, __FILE__, __LINE__, #got " == " #want, NULL, NULL)
#define CHECK_INTEQ(got, want) \
	check_int((long long)(got), (long long)(want), __FILE__, __LINE__, #got " == " #want)

static inline void check_one(int ok, const char *file, int line, const char *expr,
                             const char *got, const char *want)
{
	if (ok) {
		check_passed++;
		return;
	}
	check_failed++;
	fprintf(stdout, "%s:%d: check failed: %s\n", file, line, expr);
	if (got != NULL && want != NULL)
		fprintf(stdout, "  got:  '%s'\n  want: '%s'\n", got, want);
}

static inline void check_int(long long got, long long want, const char *file, int line, const char *expr)
{
	check_one(got == want, file, line, expr, NULL, NULL);
	if (got != want)
		fprintf(stdout, "  got:  %lld\n  want: %lld\n", got, want);
}

static inline int check_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
	return check_failed ? 1 : 0;
}

/* A seeded xorshift64 generator for property tests: the same draws on every machine and compiler. */
static uint64_t check_rng = 0x9E3779B97F4A7C15ull;
static inline uint64_t check_next(void)
{
	check_rng ^= check_rng << 13;
	check_rng ^= check_rng >> 7;
	check_rng ^= check_rng << 17;
	return check_rng;
}
/* Uniform enough in [lo, hi] for tests. */
static inline int64_t check_between(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(check_next() % (uint64_t)(hi - lo + 1));
}
/* A double in [lo, hi), from the generator's top 53 bits. */
static inline double check_uniform(double lo, double hi)
{
	return lo + (hi - lo) * (double)(check_next() >> 11) / 9007199254740992.0;
}

#endif
