/*
 * gen-dsmr — a long DSMR P1 capture made from one real telegram, for the
 * hive-read benchmark (bench/hive-read) and cross-check (tests/hive-read-crosscheck.bats).
 *
 *   gen-dsmr TEMPLATE N [START [STEP [SEED]]] > capture.p1
 *
 * Writes N telegrams shaped exactly like TEMPLATE (a DSMR 5 telegram such as
 * tests/fixtures/dsmr/dsmr50_iskra_mt382.p1: same lines, same number formats),
 * one every STEP seconds (default 1) from START (Unix seconds UTC, default
 * 1782864000 = 2026-07-01T00:00:00Z), with its own timestamp (0-0:1.0.0, Dutch
 * local time with the W/S flag), tariff (96.14.0: 2 from 07:00 to 23:00 local
 * on weekdays, else 1), per-phase voltage, current and import or export power
 * (a seeded random walk pulled towards import and export in turn), total power (1.7.0/2.7.0: the net over the phases),
 * the four energy registers (1.8.1/1.8.2/2.8.1/2.8.2, started at seeded random
 * values and integrated exactly from the power, in Wh) and the gas reading
 * (0-1:24.2.1, every 5 minutes), and its CRC-16/ARC recomputed. Other lines
 * are copied unchanged. Every value is an integer in the template's last
 * digit (Wh, W, 0.1 V, 0.01 A, dm3), so the text is exact.
 *
 * cc -O2 -o gen-dsmr bench/gen-dsmr.c
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_LINES 128

struct line {
	const char *text;       /* the template line, without CR LF */
	size_t len;
	const char *id;         /* OBIS id, up to '(' */
	size_t id_len;
};

static struct line lines[MAX_LINES];
static int nlines;
static uint16_t crc_table[256];

static void crc_init(void)
{
	for (int i = 0; i < 256; i++) {
		uint16_t c = (uint16_t)i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (uint16_t)((c >> 1) ^ 0xA001) : (uint16_t)(c >> 1);
		crc_table[i] = c;
	}
}

static uint16_t crc16(uint16_t crc, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		crc = (uint16_t)((crc >> 8) ^ crc_table[(crc ^ (uint8_t)p[i]) & 0xff]);
	return crc;
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* A uniform integer in [lo, hi]. */
static int64_t rnd_in(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

static bool is(const struct line *l, const char *id)
{
	return l->id_len == strlen(id) && memcmp(l->id, id, l->id_len) == 0;
}

/* Digits before and after the point of the template's value "000004.426*kWh" (the first value). */
static void shape(const struct line *l, int *int_digits, int *frac_digits, const char **unit, size_t *unit_len,
                  int value_index)
{
	const char *p = l->text + l->id_len;
	for (int v = 0; v < value_index; v++)
		p = strchr(p + 1, '(');
	p++;
	const char *end = strchr(p, ')');
	const char *star = memchr(p, '*', (size_t)(end - p));
	const char *num_end = star ? star : end;
	const char *dot = memchr(p, '.', (size_t)(num_end - p));
	*int_digits = (int)((dot ? dot : num_end) - p);
	*frac_digits = dot ? (int)(num_end - dot - 1) : 0;
	*unit = star ? star + 1 : end;
	*unit_len = star ? (size_t)(end - star - 1) : 0;
}

/* "(000004.426*kWh)": v in units of the last digit, zero-padded to the template's shape (wider if needed). */
static int put_value(char *out, const struct line *l, int value_index, int64_t v, int want_frac)
{
	int id, fd;
	const char *unit;
	size_t ulen;
	int n = 0;

	shape(l, &id, &fd, &unit, &ulen, value_index);
	if (fd != want_frac) {
		fprintf(stderr, "gen-dsmr: template line %.*s: want %d decimals, has %d\n", (int)l->id_len, l->id,
		        want_frac, fd);
		exit(2);
	}
	int64_t scale = 1;
	for (int i = 0; i < fd; i++)
		scale *= 10;
	n += sprintf(out + n, "(%0*" PRId64, id, v / scale);
	if (fd > 0)
		n += sprintf(out + n, ".%0*" PRId64, fd, v % scale);
	if (ulen > 0)
		n += sprintf(out + n, "*%.*s", (int)ulen, unit);
	out[n++] = ')';
	return n;
}

/* EU summer time: from the last Sunday of March to the last Sunday of October, 01:00 UTC. */
static bool eu_dst(time_t t)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	int y = tm.tm_year + 1900;
	struct tm b = { .tm_year = y - 1900, .tm_mon = 2, .tm_mday = 31 - (5 * y / 4 + 4) % 7, .tm_hour = 1 };
	struct tm e = { .tm_year = y - 1900, .tm_mon = 9, .tm_mday = 31 - (5 * y / 4 + 1) % 7, .tm_hour = 1 };
	return t >= timegm(&b) && t < timegm(&e);
}

/* "(YYMMDDhhmmssX)" in Dutch local time; *local gets the broken-down local time. */
static int put_time(char *out, time_t t, struct tm *local)
{
	bool s = eu_dst(t);
	time_t lt = t + (s ? 7200 : 3600);
	gmtime_r(&lt, local);
	return sprintf(out, "(%02d%02d%02d%02d%02d%02d%c)", local->tm_year % 100, local->tm_mon + 1, local->tm_mday,
	               local->tm_hour, local->tm_min, local->tm_sec, s ? 'S' : 'W');
}

/* C of a per-phase line 1-0:C.7.0 (21, 22, 31, 32, 41, …, 72), else 0. */
static int phase_code(const struct line *l)
{
	if (l->id_len != 10 || memcmp(l->id, "1-0:", 4) != 0 || memcmp(l->id + 6, ".7.0", 4) != 0)
		return 0;
	int c = (l->id[4] - '0') * 10 + (l->id[5] - '0');
	static const int codes[] = { 21, 22, 31, 32, 41, 42, 51, 52, 61, 62, 71, 72 };
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (c == codes[i])
			return c;
	return 0;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		exit(2);
	}
	char *data = malloc(1 << 16);
	*len = fread(data, 1, (1 << 16) - 1, f);
	data[*len] = '\0';
	fclose(f);
	return data;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 6) {
		fprintf(stderr, "usage: gen-dsmr TEMPLATE N [START [STEP [SEED]]]\n");
		return 2;
	}
	size_t len;
	char *tpl = read_all(argv[1], &len);
	long long n = atoll(argv[2]);
	time_t t = argc > 3 ? (time_t)atoll(argv[3]) : 1782864000;
	long step = argc > 4 ? atol(argv[4]) : 1;
	rng_state = argc > 5 ? strtoull(argv[5], NULL, 10) * 2654435761u + 1 : 88172645463325252ull;

	/* The template's lines, from '/' to the "!CRC" line (not kept). */
	char *p = strchr(tpl, '/');
	if (p == NULL) {
		fprintf(stderr, "gen-dsmr: %s: no telegram\n", argv[1]);
		return 2;
	}
	while (*p && *p != '!' && nlines < MAX_LINES) {
		char *eol = strstr(p, "\r\n");
		if (eol == NULL)
			break;
		struct line *l = &lines[nlines++];
		l->text = p;
		l->len = (size_t)(eol - p);
		const char *paren = memchr(p, '(', l->len);
		l->id = p;
		l->id_len = paren ? (size_t)(paren - p) : 0;
		p = eol + 2;
	}
	if (*p != '!') {
		fprintf(stderr, "gen-dsmr: %s: no '!' line\n", argv[1]);
		return 2;
	}
	crc_init();

	/* Seeded starting registers (Wh), phase powers (W, + import / − export), voltages (0.1 V), gas (dm3). */
	int64_t imp[2] = { rnd_in(0, 400000000), rnd_in(0, 400000000) };
	int64_t exp_[2] = { rnd_in(0, 100000000), rnd_in(0, 100000000) };
	int64_t acc_imp = 0, acc_exp = 0;       /* W·s not yet a whole Wh */
	int64_t net[3] = { 300, 150, 700 };
	int64_t volt[3] = { 2300, 2300, 2290 };
	int64_t gas = rnd_in(0, 90000000);

	static char out[1 << 16];
	for (long long i = 0; i < n; i++, t += step) {
		size_t o = 0;
		struct tm local;
		int64_t imp_w[3], exp_w[3], amp[3], total = 0;

		/* The walk is pulled towards import and export in turn (every 100
		 * telegrams), so every capture of a few hundred has both. */
		int64_t target = (i / 100) % 2 ? -1500 : 1500;
		for (int k = 0; k < 3; k++) {
			net[k] += rnd_in(-150, 150) + (target - net[k]) / 16;
			if (net[k] > 5500)
				net[k] = 5500;
			if (net[k] < -3500)
				net[k] = -3500;
			volt[k] += rnd_in(-5, 5);
			if (volt[k] < 2200 || volt[k] > 2450)
				volt[k] = 2300;
			imp_w[k] = net[k] > 0 ? net[k] : 0;
			exp_w[k] = net[k] < 0 ? -net[k] : 0;
			amp[k] = ((net[k] < 0 ? -net[k] : net[k]) * 1000 + volt[k] / 2) / volt[k];   /* 0.01 A */
			total += net[k];
		}
		int64_t p_imp = total > 0 ? total : 0, p_exp = total < 0 ? -total : 0;
		char when[32];
		put_time(when, t, &local);
		int tariff = (local.tm_wday >= 1 && local.tm_wday <= 5 && local.tm_hour >= 7 && local.tm_hour < 23) ? 2 : 1;
		/* Energy since the last telegram, at this telegram's power (exact: W·s carried over). */
		if (i > 0) {
			acc_imp += p_imp * step;
			acc_exp += p_exp * step;
			imp[tariff - 1] += acc_imp / 3600;
			exp_[tariff - 1] += acc_exp / 3600;
			acc_imp %= 3600;
			acc_exp %= 3600;
		}
		time_t gas_t = t - t % 300;
		if (i > 0 && t % 300 < step)
			gas += rnd_in(0, 40);

		for (int k = 0; k < nlines; k++) {
			const struct line *l = &lines[k];
			int c;
			memcpy(out + o, l->id, l->id_len);
			size_t start = o;
			o += l->id_len;
			if (is(l, "0-0:1.0.0")) {
				o += (size_t)put_time(out + o, t, &local);
			} else if (is(l, "1-0:1.8.1") || is(l, "1-0:1.8.2")) {
				o += (size_t)put_value(out + o, l, 0, imp[l->id[8] - '1'], 3);
			} else if (is(l, "1-0:2.8.1") || is(l, "1-0:2.8.2")) {
				o += (size_t)put_value(out + o, l, 0, exp_[l->id[8] - '1'], 3);
			} else if (is(l, "0-0:96.14.0")) {
				o += (size_t)put_value(out + o, l, 0, tariff, 0);
			} else if (is(l, "1-0:1.7.0")) {
				o += (size_t)put_value(out + o, l, 0, p_imp, 3);
			} else if (is(l, "1-0:2.7.0")) {
				o += (size_t)put_value(out + o, l, 0, p_exp, 3);
			} else if (is(l, "0-1:24.2.1")) {
				o += (size_t)put_time(out + o, gas_t, &local);
				o += (size_t)put_value(out + o, l, 1, gas, 3);
			} else if ((c = phase_code(l)) != 0) {
				/* 21/41/61 import W, 22/42/62 export W, 31/51/71 A, 32/52/72 V */
				int phase = (c % 20 == 1 || c % 20 == 2) ? (c - 21) / 20 : (c - 31) / 20;
				if (c % 20 == 1)
					o += (size_t)put_value(out + o, l, 0, imp_w[phase], 3);
				else if (c % 20 == 2)
					o += (size_t)put_value(out + o, l, 0, exp_w[phase], 3);
				else if (c % 20 == 11)
					o += (size_t)put_value(out + o, l, 0, amp[phase], 2);
				else
					o += (size_t)put_value(out + o, l, 0, volt[phase], 1);
			} else {
				o = start;
				memcpy(out + o, l->text, l->len);
				o += l->len;
			}
			out[o++] = '\r';
			out[o++] = '\n';
		}
		out[o++] = '!';
		o += (size_t)sprintf(out + o, "%04X\r\n", crc16(0, out, o));
		if (fwrite(out, 1, o, stdout) != o) {
			perror("gen-dsmr: write");
			return 1;
		}
	}
	free(tpl);
	return fflush(stdout) == 0 ? 0 : 1;
}
