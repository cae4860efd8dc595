/* RFC 3339 times, civil dates and durations, with known answers. */
#include <string.h>

#include "check.h"
#include "timeutil.h"

static int64_t parse(const char *s)
{
	int64_t ms = -1;
	const char *why;

	if (rfc3339_parse(&ms, s, strlen(s), &why) < 0)
		return -1;
	return ms;
}

static void test_known_times(void)
{
	char out[RFC3339_SIZE];

	CHECK_INTEQ(days_from_civil(1970, 1, 1), 0);
	CHECK_INTEQ(days_from_civil(2000, 3, 1), 11017);
	CHECK_INTEQ(days_from_civil(1969, 12, 31), -1);
	/* date -u -d 2026-11-24T10:15:00Z +%s → 1795515300 */
	CHECK_INTEQ(parse("2026-11-24T10:15:00Z"), 1795515300000LL);
	CHECK_INTEQ(parse("2026-11-24T11:15:00+01:00"), 1795515300000LL);
	CHECK_INTEQ(parse("2026-11-24 10:15:00.250z"), 1795515300250LL);
	CHECK_INTEQ(parse("2024-02-29T00:00:00Z"), 1709164800000LL);
	rfc3339_format(out, 1795515300000LL);
	CHECK_STREQ(out, "2026-11-24T10:15:00Z");
	rfc3339_format(out, 1795515300250LL);
	CHECK_STREQ(out, "2026-11-24T10:15:00.250Z");
	rfc3339_format(out, -1);
	CHECK_STREQ(out, "1969-12-31T23:59:59.999Z");
	rfc3339_format(out, 951782400000LL);
	CHECK_STREQ(out, "2000-02-29T00:00:00Z");
}

static void test_bad_times(void)
{
	static const char *const bad[] = {
		"2026-11-24T10:15:00", "2026-13-01T00:00:00Z", "2025-02-29T00:00:00Z", "2026-11-24T24:00:00Z",
		"2026-11-24T10:15:00.1234Z", "2026-11-24T10:15:00.Z", "2026-11-24", "x", "2026-11-24T10:15:00Zjunk",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK_INTEQ(parse(bad[i]), -1);
	CHECK_INTEQ(parse("2026-11-24T10:15:00.1230Z"), 1795515300123LL);
}

static void test_round_trip(void)
{
	char out[RFC3339_SIZE];
	int bad = 0;

	/* Every day from 1900 to 2200 at a varying time of day. */
	for (int64_t d = -25567; d < 84000; d += 7) {
		int64_t ms = d * 86400000 + (d * 7919 % 86400000 + 86400000) % 86400000;
		rfc3339_format(out, ms);
		bad += parse(out) != ms;
	}
	CHECK_INTEQ(bad, 0);
}

static void test_durations(void)
{
	int64_t ms;

	CHECK(duration_parse(&ms, "15m") == 0 && ms == 900000);
	CHECK(duration_parse(&ms, "900") == 0 && ms == 900000);
	CHECK(duration_parse(&ms, "1h") == 0 && ms == 3600000);
	CHECK(duration_parse(&ms, "1d") == 0 && ms == 86400000);
	CHECK_INTEQ(duration_parse(&ms, "0"), -1);
	CHECK_INTEQ(duration_parse(&ms, "15x"), -1);
	CHECK_INTEQ(duration_parse(&ms, "-5m"), -1);
	CHECK_INTEQ(duration_parse(&ms, ""), -1);
}

/* 1970-01-01 was a Thursday, 1969-12-29 a Monday, 2025-01-01 a Wednesday, 1900-01-01 a Monday. */
static void test_day_of_week(void)
{
	CHECK_INTEQ(day_of_week(0), 3);
	CHECK_INTEQ(day_of_week(-3), 0);
	CHECK_INTEQ(day_of_week(-1), 2);
	CHECK_INTEQ(day_of_week(days_from_civil(2025, 1, 1)), 2);
	CHECK_INTEQ(day_of_week(days_from_civil(1900, 1, 1)), 0);
	CHECK_INTEQ(day_of_week(days_from_civil(2026, 11, 29)), 6);
}

int main(void)
{
	test_day_of_week();
	test_known_times();
	test_bad_times();
	test_round_trip();
	test_durations();
	return check_done("test_timeutil");
}
