/* Rate-limited diagnostics: floods stay bounded, every message is counted, kinds stay apart. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "diag.h"
#include "ratelimit.h"

/* 2023-11-14T22:13:20Z */
#define T0 ((time_t)1700000000)

struct capture {
	FILE *stream;
	char text[65536];
	size_t lines;
	unsigned long accounted;   /* messages the lines stand for, counts included */
};

static void capture_start(struct capture *c)
{
	memset(c, 0, sizeof *c);
	c->stream = tmpfile();
	diag_redirect(c->stream);
}

/* One line stands for itself plus what it says was held back ("last of N": N, itself among them). */
static unsigned long line_weight(const char *line)
{
	const char *p;
	unsigned long n;

	if ((p = strstr(line, " (last of ")) != NULL && sscanf(p, " (last of %lu more since", &n) == 1)
		return n;
	if ((p = strrchr(line, '(')) != NULL && sscanf(p, "(%lu more since", &n) == 1)
		return n + 1;
	return 1;
}

static void capture_end(struct capture *c)
{
	size_t len;

	diag_redirect(NULL);
	rewind(c->stream);
	len = fread(c->text, 1, sizeof c->text - 1, c->stream);
	c->text[len] = '\0';
	fclose(c->stream);
	for (char *line = c->text; *line; ) {
		char *end = strchr(line, '\n');
		if (end == NULL)
			break;
		*end = '\0';
		c->lines++;
		c->accounted += line_weight(line);
		*end = '\n';
		line = end + 1;
	}
}

/* The n-th line (0-based) of the capture, into out. */
static const char *nth_line(const struct capture *c, size_t n, char *out, size_t size)
{
	const char *p = c->text;

	while (n-- > 0 && (p = strchr(p, '\n')) != NULL)
		p++;
	if (p == NULL || *p == '\0')
		return "";
	size_t len = strcspn(p, "\n");
	snprintf(out, size, "%.*s", (int)len, p);
	return out;
}

static time_t fake_now;

static time_t fake_clock(void *arg)
{
	(void)arg;
	return fake_now;
}

static void use_fake_clock(struct ratelimit *rl, time_t start)
{
	fake_now = start;
	rl->now = fake_clock;
}

static void test_flood_real_clock(void)
{
	static struct ratelimit rl;
	struct capture c;
	int printed = 0;

	ratelimit_init(&rl, 60);
	capture_start(&c);
	/* 1000 identical messages spread over a second. */
	for (int i = 0; i < 1000; i++) {
		struct timespec ts = { 0, 1000000 };
		printed += ratelimit_warn(&rl, NULL, "'/dev/ttyUSB0': no data for %d s", 5);
		nanosleep(&ts, NULL);
	}
	ratelimit_flush(&rl);
	capture_end(&c);
	CHECK_INTEQ(printed, 1);
	CHECK_INTEQ(c.lines, 2);
	CHECK_INTEQ(c.accounted, 1000);
	CHECK(strncmp(c.text, "hive: '/dev/ttyUSB0': no data for 5 s\n", 38) == 0);
	CHECK(strstr(c.text, "(last of 999 more since ") != NULL);
}

static void test_flood_fake_clock(void)
{
	static struct ratelimit rl;
	struct capture c;
	char line[256];

	ratelimit_init(&rl, 60);
	use_fake_clock(&rl, T0);
	capture_start(&c);
	/* Ten a second for 100 s: printed at 0 s and 60 s, the rest held back. */
	for (int i = 0; i < 1000; i++) {
		fake_now = T0 + i / 10;
		ratelimit_warn(&rl, NULL, "dropped frame at byte %d: bad crc", i);
	}
	ratelimit_flush(&rl);
	ratelimit_flush(&rl);      /* a second flush has nothing left to say */
	capture_end(&c);
	CHECK_INTEQ(c.lines, 3);
	CHECK_INTEQ(c.accounted, 1000);
	CHECK_STREQ(nth_line(&c, 0, line, sizeof line), "hive: dropped frame at byte 0: bad crc");
	CHECK_STREQ(nth_line(&c, 1, line, sizeof line),
		"hive: dropped frame at byte 600: bad crc (599 more since 22:13:20Z)");
	CHECK_STREQ(nth_line(&c, 2, line, sizeof line),
		"hive: dropped frame at byte 999: bad crc (last of 399 more since 22:14:20Z)");
}

static void test_kinds_stay_apart(void)
{
	static struct ratelimit rl;
	struct capture c;
	char line[256];

	ratelimit_init(&rl, 60);
	use_fake_clock(&rl, T0);
	capture_start(&c);
	for (int i = 0; i < 100; i++) {
		ratelimit_warn(&rl, NULL, "bad crc at byte %d", i);
		ratelimit_warn(&rl, NULL, "garbage before frame start (%d bytes)", i);
		/* Same format, different keys: two kinds. */
		ratelimit_warn(&rl, "reconnect:a", "'%s': reconnecting", "/dev/a");
		ratelimit_warn(&rl, "reconnect:b", "'%s': reconnecting", "/dev/b");
	}
	capture_end(&c);
	CHECK_INTEQ(c.lines, 4);
	CHECK_STREQ(nth_line(&c, 0, line, sizeof line), "hive: bad crc at byte 0");
	CHECK_STREQ(nth_line(&c, 1, line, sizeof line), "hive: garbage before frame start (0 bytes)");
	CHECK_STREQ(nth_line(&c, 2, line, sizeof line), "hive: '/dev/a': reconnecting");
	CHECK_STREQ(nth_line(&c, 3, line, sizeof line), "hive: '/dev/b': reconnecting");

	capture_start(&c);
	ratelimit_flush(&rl);
	capture_end(&c);
	CHECK_INTEQ(c.lines, 4);
	CHECK_INTEQ(c.accounted, 4 * 99);
	CHECK(strstr(c.text, "hive: bad crc at byte 99 (last of 99 more since 22:13:20Z)\n") != NULL);
	CHECK(strstr(c.text, "hive: '/dev/b': reconnecting (last of 99 more since 22:13:20Z)\n") != NULL);

	/* Different formats under one key are one kind. */
	ratelimit_init(&rl, 60);
	use_fake_clock(&rl, T0);
	capture_start(&c);
	CHECK(ratelimit_warn(&rl, "dev", "'%s': cannot open", "/dev/a"));
	CHECK(!ratelimit_warn(&rl, "dev", "'%s': hung up", "/dev/a"));
	ratelimit_flush(&rl);
	capture_end(&c);
	CHECK_INTEQ(c.lines, 2);
	CHECK(strstr(c.text, "'/dev/a': hung up (last of 1 more") != NULL);
}

static void test_quiet_kind_prints_again(void)
{
	static struct ratelimit rl;
	struct capture c;
	char line[256];

	ratelimit_init(&rl, 60);
	use_fake_clock(&rl, T0);
	capture_start(&c);
	CHECK(ratelimit_warn(&rl, NULL, "stall"));
	fake_now = T0 + 59;
	CHECK(!ratelimit_warn(&rl, NULL, "stall"));
	fake_now = T0 + 200;        /* a lone message after a long quiet: shown with the count */
	CHECK(ratelimit_warn(&rl, NULL, "stall"));
	fake_now = T0 + 400;        /* nothing held back: plain */
	CHECK(ratelimit_warn(&rl, NULL, "stall"));
	fake_now = T0 + 100;        /* the clock stepped back: shown, never held for ever */
	CHECK(ratelimit_warn(&rl, NULL, "stall"));
	capture_end(&c);
	CHECK_INTEQ(c.lines, 4);
	CHECK_INTEQ(c.accounted, 5);
	CHECK_STREQ(nth_line(&c, 1, line, sizeof line), "hive: stall (1 more since 22:13:20Z)");
	CHECK_STREQ(nth_line(&c, 2, line, sizeof line), "hive: stall");
}

static void test_bounded_table(void)
{
	static struct ratelimit rl;
	struct capture c;
	unsigned long sent = 0;

	ratelimit_init(&rl, 60);
	use_fake_clock(&rl, T0);
	capture_start(&c);
	/* More kinds than slots, each twice: evicting one flushes its count first. */
	for (int k = 0; k < RATELIMIT_KINDS; k++) {
		fake_now++;
		ratelimit_warn(&rl, NULL, k % 2 ? "odd kind %d" : "even kind %d", k);
		ratelimit_warn(&rl, (char[]){ (char)('a' + k), '\0' }, "kind %d", k);
		ratelimit_warn(&rl, (char[]){ (char)('a' + k), '\0' }, "kind %d again", k);
		sent += 3;
	}
	fake_now++;
	ratelimit_warn(&rl, "newcomer", "newcomer");
	sent++;
	ratelimit_flush(&rl);
	capture_end(&c);
	CHECK_INTEQ(c.accounted, sent);
	/* 19 first lines, 3 evictions (the least recently seen: a, b, c), 15 pending at the end. */
	CHECK_INTEQ(c.lines, 19 + 3 + 15);
	const char *evicted = strstr(c.text, "hive: kind 0 again (last of 1 more since 22:13:21Z)\n");
	const char *arrived = strstr(c.text, "hive: kind 14\n");
	CHECK(evicted != NULL && arrived != NULL && evicted < arrived);
	CHECK(strstr(c.text, "hive: kind 2 again (last of 1 more since 22:13:23Z)\nhive: newcomer\n") != NULL);
	CHECK(strstr(c.text, "hive: even kind 14 (last of 7 more since 22:13:21Z)\n") != NULL);
	CHECK(strstr(c.text, "hive: odd kind 15 (last of 7 more since 22:13:22Z)\n") != NULL);
}

static void test_long_text(void)
{
	static struct ratelimit rl;
	struct capture c;
	char big[3000];

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	ratelimit_init(&rl, 0);
	CHECK_INTEQ(rl.interval_s, RATELIMIT_INTERVAL_S);
	use_fake_clock(&rl, T0);
	capture_start(&c);
	ratelimit_warn(&rl, NULL, "%s", big);
	ratelimit_warn(&rl, NULL, "%s", big);
	ratelimit_flush(&rl);
	capture_end(&c);
	CHECK_INTEQ(c.lines, 2);
	CHECK(strstr(c.text, "(last of 1 more since 22:13:20Z)\n") != NULL);
}

int main(void)
{
	test_flood_real_clock();
	test_flood_fake_clock();
	test_kinds_stay_apart();
	test_quiet_kind_prints_again();
	test_bounded_table();
	test_long_text();
	return check_done("test_ratelimit");
}
