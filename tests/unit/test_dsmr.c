/*
 * DSMR P1: every fixture (tests/fixtures/SOURCES.md) parsed with its values
 * checked, decimal exactness, timestamps, malformed telegrams, the framer's
 * resynchronisation (garbage, truncation, glued frames, oversize, 1-byte
 * chunks), and a corruption loop: thousands of damaged captures, none of
 * which may parse to anything but the undamaged values.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "dsmr.h"
#include "obis.h"
#include "reading.h"
#include "xio.h"

static int load(struct buf *out, const char *name)
{
	char path[256];

	buf_reset(out);
	snprintf(path, sizeof path, "tests/fixtures/dsmr/%s", name);
	if (read_file(path, out, 1 << 20) < 0) {
		printf("cannot read fixture '%s': %s\n", path, strerror(errno));
		check_failed++;
		return -1;
	}
	return 0;
}

/* A decimal as text ("6825", "0.48"), or "unset". */
static const char *dec(const struct decimal *d)
{
	static struct buf ring[8];
	static int next;
	struct buf *b = &ring[next++ % 8];

	buf_reset(b);
	if (!d->set)
		buf_puts(b, "unset");
	else
		decimal_format(b, d);
	return buf_str(b);
}

#define CHECK_DEC(d, want) CHECK_STREQ(dec(&(d)), want)

/* Every field of a reading as text, to compare two readings exactly. */
static void dump(struct buf *b, const struct reading *r)
{
	buf_reset(b);
	buf_printf(b, "%s|%s|%s|%s|%lld|%d|%d|", r->protocol ? r->protocol : "-", r->version, r->meter_id, r->model,
	           (long long)r->meter_time, r->has_meter_time, r->checked);
	const struct decimal *all[] = { &r->import_wh, &r->export_wh, &r->power_import_w, &r->power_export_w };
	for (size_t i = 0; i < 4; i++)
		buf_printf(b, "%lld^%d:%d|", (long long)all[i]->digits, all[i]->exp, all[i]->set);
	for (int t = 0; t < READING_TARIFFS; t++)
		buf_printf(b, "%s/%s|", dec(&r->import_tariff_wh[t]), dec(&r->export_tariff_wh[t]));
	buf_printf(b, "%d|%d|%d|", r->tariffs, r->tariff, r->phases);
	for (int p = 0; p < READING_PHASES; p++)
		buf_printf(b, "%s,%s,%s,%s|", dec(&r->phase[p].voltage_v), dec(&r->phase[p].current_a),
		           dec(&r->phase[p].power_import_w), dec(&r->phase[p].power_export_w));
	buf_printf(b, "%d|", r->nmbus);
	for (int m = 0; m < r->nmbus; m++)
		buf_printf(b, "%d,%d,%s,%lld,%d,%s,%s|", r->mbus[m].channel, r->mbus[m].device_type, r->mbus[m].id,
		           (long long)r->mbus[m].time, r->mbus[m].has_time, dec(&r->mbus[m].value), r->mbus[m].unit);
}

static int parse(struct reading *r, const char *t, size_t len, bool no_crc, size_t *off, const char **why)
{
	*why = NULL;
	*off = 0;
	return dsmr_parse(r, t, len, no_crc, off, why);
}

static int parse_fixture(struct reading *r, const char *name, bool no_crc)
{
	struct buf t = BUF_INIT;
	size_t off;
	const char *why;
	int rc = -1;

	if (load(&t, name) == 0) {
		rc = parse(r, t.data, t.len, no_crc, &off, &why);
		if (rc < 0)
			printf("%s: %s at %zu\n", name, why, off);
	}
	buf_free(&t);
	return rc;
}

/* Appends "!CRC\r\n" to a body that starts with '/'. */
static void seal(struct buf *t)
{
	buf_putc(t, '!');
	buf_printf(t, "%04X\r\n", dsmr_crc16(0, t->data, t->len));
}

static void test_crc(void)
{
	/* CRC-16/ARC check value: "123456789" → 0xBB3D. */
	CHECK_INTEQ(dsmr_crc16(0, "123456789", 9), 0xbb3d);
	CHECK_INTEQ(dsmr_crc16(dsmr_crc16(0, "1234", 4), "56789", 5), 0xbb3d);
}

static void test_dsmr50(void)
{
	struct reading r;

	CHECK(parse_fixture(&r, "dsmr50_iskra_mt382.p1", false) == 0);
	CHECK_STREQ(r.protocol, "dsmr");
	CHECK_STREQ(r.model, "ISk5\\2MT382-1000");
	CHECK_STREQ(r.version, "50");
	CHECK(r.checked);
	CHECK(r.has_meter_time);
	CHECK_INTEQ(r.meter_time, 1483381202);   /* 2017-01-02T18:20:02Z */
	CHECK_STREQ(r.meter_id, "K8EG004046395507");
	CHECK_DEC(r.import_tariff_wh[0], "4426");
	CHECK_DEC(r.import_tariff_wh[1], "2399");
	CHECK_DEC(r.import_wh, "6825");
	CHECK_DEC(r.export_tariff_wh[0], "2444");
	CHECK_DEC(r.export_tariff_wh[1], "0");
	CHECK_DEC(r.export_wh, "2444");
	CHECK_INTEQ(r.tariffs, 2);
	CHECK_INTEQ(r.tariff, 2);
	CHECK_DEC(r.power_import_w, "244");
	CHECK_DEC(r.power_export_w, "0");
	CHECK_INTEQ(r.phases, 3);
	CHECK_DEC(r.phase[0].voltage_v, "230");
	CHECK_INTEQ(r.phase[0].voltage_v.digits, 2300);   /* 0230.0 kept as sent */
	CHECK_INTEQ(r.phase[0].voltage_v.exp, -1);
	CHECK_DEC(r.phase[0].current_a, "0.48");
	CHECK_DEC(r.phase[1].voltage_v, "230");
	CHECK_DEC(r.phase[1].current_a, "0.44");
	CHECK_DEC(r.phase[2].voltage_v, "229");
	CHECK_DEC(r.phase[2].current_a, "0.86");
	CHECK_DEC(r.phase[0].power_import_w, "70");
	CHECK_DEC(r.phase[1].power_import_w, "32");
	CHECK_DEC(r.phase[2].power_import_w, "142");
	CHECK_DEC(r.phase[2].power_export_w, "0");
	CHECK_INTEQ(r.nmbus, 2);
	CHECK_INTEQ(r.mbus[0].channel, 1);
	CHECK_INTEQ(r.mbus[0].device_type, 3);
	CHECK_STREQ(r.mbus[0].id, "2222ABCD123456789");
	CHECK(r.mbus[0].has_time);
	CHECK_INTEQ(r.mbus[0].time, 1483369805);  /* 2017-01-02T15:10:05Z */
	CHECK_DEC(r.mbus[0].value, "0.107");
	CHECK_STREQ(r.mbus[0].unit, "m3");
	CHECK_INTEQ(r.mbus[1].channel, 2);
	CHECK_INTEQ(r.mbus[1].device_type, 3);
	CHECK_STREQ(r.mbus[1].id, "");
	CHECK(!r.mbus[1].value.set);
}

static void test_dsmr42(void)
{
	struct reading r;

	CHECK(parse_fixture(&r, "dsmr42_kaifa.p1", false) == 0);
	CHECK_STREQ(r.model, "KFM5KAIFA-METER");
	CHECK_STREQ(r.version, "42");
	CHECK(r.checked);
	CHECK_INTEQ(r.meter_time, 1479067077);    /* 2016-11-13T19:57:57Z */
	/* Not hex-encoded printable text: kept as sent. */
	CHECK_STREQ(r.meter_id, "3960221976967177082151037881335713");
	CHECK_DEC(r.import_tariff_wh[0], "1581123");
	CHECK_DEC(r.import_tariff_wh[1], "1435706");
	CHECK_DEC(r.import_wh, "3016829");
	CHECK_DEC(r.export_wh, "0");
	CHECK_INTEQ(r.tariff, 2);
	CHECK_DEC(r.power_import_w, "2027");
	CHECK_DEC(r.power_export_w, "0");
	CHECK_INTEQ(r.phases, 3);
	CHECK_DEC(r.phase[0].current_a, "0");
	CHECK_DEC(r.phase[1].current_a, "6");
	CHECK_DEC(r.phase[2].current_a, "2");
	CHECK_DEC(r.phase[0].power_import_w, "170");
	CHECK_DEC(r.phase[1].power_import_w, "1247");
	CHECK_DEC(r.phase[2].power_import_w, "209");
	CHECK_DEC(r.phase[1].power_export_w, "0");
	CHECK(!r.phase[0].voltage_v.set);
	CHECK_INTEQ(r.nmbus, 1);
	CHECK_INTEQ(r.mbus[0].device_type, 3);
	CHECK_STREQ(r.mbus[0].id, "4819243993373755377509728609491464");
	CHECK_INTEQ(r.mbus[0].time, 1480446000);  /* 2016-11-29T19:00:00Z */
	CHECK_DEC(r.mbus[0].value, "981.443");
	CHECK_STREQ(r.mbus[0].unit, "m3");
}

static void test_dsmr42_bad_crc(void)
{
	struct buf t = BUF_INIT;
	struct reading r;
	size_t off;
	const char *why;

	if (load(&t, "dsmr42_bad_crc_line_removed.p1") < 0)
		return;
	memset(&r, 0x5a, sizeof r);
	CHECK(parse(&r, t.data, t.len, false, &off, &why) == -1);
	CHECK_STREQ(why, "CRC mismatch");
	CHECK_INTEQ(off, (size_t)(strchr(t.data, '!') - t.data) + 1);
	/* A bad telegram sets nothing the caller could use. */
	struct reading zero;
	reading_clear(&zero);
	CHECK(memcmp(&r, &zero, sizeof r) == 0);
	/* --no-crc reads it, marked unchecked: the tariff-1 line really is missing. */
	CHECK(parse(&r, t.data, t.len, true, &off, &why) == 0);
	CHECK(!r.checked);
	CHECK(!r.import_tariff_wh[0].set);
	CHECK_DEC(r.import_wh, "1435706");
	buf_free(&t);
}

static void test_dsmr40(void)
{
	struct reading r;

	CHECK(parse_fixture(&r, "dsmr40_kaifa_arduino_dsmr_example.p1", false) == 0);
	CHECK_STREQ(r.version, "40");
	CHECK(r.checked);
	CHECK_INTEQ(r.meter_time, 1421517556);    /* 2015-01-17T17:59:16Z */
	CHECK_STREQ(r.meter_id, "0000000000000000000000000000000000");
	CHECK_DEC(r.import_wh, "1514050");
	CHECK_DEC(r.export_wh, "0");
	CHECK_INTEQ(r.tariff, 1);
	CHECK_DEC(r.power_import_w, "333");
	CHECK_INTEQ(r.phases, 1);
	CHECK_DEC(r.phase[0].current_a, "1");
	CHECK_DEC(r.phase[0].power_import_w, "332");
	CHECK_INTEQ(r.nmbus, 1);
	CHECK_INTEQ(r.mbus[0].time, 1421514000);
	CHECK_DEC(r.mbus[0].value, "473.789");
}

static void test_dsmr30(void)
{
	struct reading r;

	CHECK(parse_fixture(&r, "dsmr30_iskra_mt382.p1", false) == 0);
	CHECK(!r.checked);     /* DSMR 3.0 has no CRC */
	CHECK_STREQ(r.model, "ISk5\\2MT382-1000");
	CHECK_STREQ(r.version, "");
	CHECK(!r.has_meter_time);
	CHECK_STREQ(r.meter_id, "K8EG004046395507");
	CHECK_DEC(r.import_tariff_wh[0], "12345678");
	CHECK_DEC(r.import_wh, "24691356");
	CHECK_DEC(r.export_wh, "24691356");
	CHECK_INTEQ(r.tariff, 2);
	CHECK_DEC(r.power_import_w, "1190");
	CHECK_INTEQ(r.nmbus, 1);
	CHECK_INTEQ(r.mbus[0].device_type, 3);
	CHECK_STREQ(r.mbus[0].id, "2222ABCD123456789");
	CHECK(!r.mbus[0].has_time);     /* 24.3.0 times carry no DST flag */
	CHECK_DEC(r.mbus[0].value, "1.001");
	CHECK_STREQ(r.mbus[0].unit, "m3");
}

static void test_dsmr22(void)
{
	struct reading r;

	CHECK(parse_fixture(&r, "dsmr22_iskra_mt382.p1", false) == 0);
	CHECK(!r.checked);
	CHECK_STREQ(r.model, "ISk5\\2MT382-1004");
	CHECK_STREQ(r.meter_id, "00000000000000");
	CHECK_DEC(r.import_wh, "2002");
	CHECK_DEC(r.export_wh, "2002");
	CHECK_INTEQ(r.tariffs, 2);
	CHECK_INTEQ(r.tariff, 1);
	CHECK_DEC(r.power_import_w, "1010");
	CHECK_DEC(r.power_export_w, "0");
	CHECK_INTEQ(r.nmbus, 1);
	CHECK_INTEQ(r.mbus[0].device_type, 3);
	CHECK_STREQ(r.mbus[0].id, "000000000000");
	CHECK_DEC(r.mbus[0].value, "1.001");
	CHECK_STREQ(r.mbus[0].unit, "m3");
}

/* Parses a telegram made of body + "!CRC\r\n". */
static int parse_body(struct reading *r, const char *body, size_t *off, const char **why)
{
	struct buf t = BUF_INIT;

	buf_puts(&t, body);
	seal(&t);
	int rc = parse(r, t.data, t.len, false, off, why);
	buf_free(&t);
	return rc;
}

static void test_decimals(void)
{
	struct reading r;
	size_t off;
	const char *why;

	CHECK(parse_body(&r, "/XYZ5 test\r\n\r\n1-0:1.8.1(123456789.123456*kWh)\r\n1-0:1.8.2(0.000001*kWh)\r\n"
	                     "1-0:2.8.1(000123.4*MWh)\r\n1-0:1.7.0(12.3456*kW)\r\n1-0:32.7.0(229.95*V)\r\n",
	                 &off, &why) == 0);
	CHECK_DEC(r.import_tariff_wh[0], "123456789123.456");
	CHECK_DEC(r.import_tariff_wh[1], "0.001");
	CHECK_DEC(r.import_wh, "123456789123.457");
	CHECK_DEC(r.export_wh, "123400000");
	CHECK_DEC(r.power_import_w, "12345.6");
	CHECK_DEC(r.phase[0].voltage_v, "229.95");
	/* Too many digits for an int64 is an error, not a rounded value. */
	CHECK(parse_body(&r, "/XYZ5 test\r\n\r\n1-0:1.8.1(99999999999999999999*kWh)\r\n", &off, &why) == -1);
	CHECK(parse_body(&r, "/XYZ5 test\r\n\r\n1-0:1.8.1(9999999999999999*kWh)\r\n", &off, &why) == -1);
	CHECK_STREQ(why, "register value out of range");
	/* Meter-written totals win over the sum of tariffs (Smarty sends 1.8.0). */
	CHECK(parse_body(&r, "/XYZ5 test\r\n\r\n1-0:1.8.0(000010.000*kWh)\r\n1-0:1.8.1(000004.000*kWh)\r\n", &off,
	                 &why) == 0);
	CHECK_DEC(r.import_wh, "10000");
}

static void test_timestamps(void)
{
	static const struct {
		const char *tst;
		long long want;     /* -1: rejected */
	} cases[] = {
		{ "200329015959W", 1585443599 },    /* last second of winter time, 2020 */
		{ "200329030000S", 1585443600 },    /* the next second, in summer time */
		{ "240229120000W", 1709204400 },    /* a leap day */
		{ "000229120000S", 951818400 },     /* 2000 was a leap year */
		{ "000301000000W", 951865200 },
		{ "991231235959W", 4102441199 },    /* YY 99 is 2099 */
		{ "230229120000W", -1 },            /* 2023 was not */
		{ "231301000000W", -1 },
		{ "230100000000W", -1 },
		{ "230101240000W", -1 },
		{ "230101006000W", -1 },
		{ "230101000060W", -1 },
		{ "230101000000X", -1 },
		{ "230101000000", -1 },             /* the telegram time needs its DST flag */
		{ "2301010000000W", -1 },
		{ "23010100000aW", -1 },
	};
	struct reading r;
	size_t off;
	const char *why;
	char body[128];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(body, sizeof body, "/XYZ5 t\r\n\r\n0-0:1.0.0(%s)\r\n", cases[i].tst);
		int rc = parse_body(&r, body, &off, &why);
		if (cases[i].want < 0) {
			CHECK(rc == -1);
			CHECK(rc == -1 && strcmp(why, "malformed timestamp") == 0);
		} else {
			CHECK(rc == 0 && r.has_meter_time);
			CHECK_INTEQ(r.meter_time, cases[i].want);
		}
	}
}

static void expect_bad(const char *body, const char *want_why, const char *at)
{
	struct reading r;
	size_t off;
	const char *why;
	struct buf t = BUF_INIT;

	buf_puts(&t, body);
	seal(&t);
	CHECK(parse(&r, t.data, t.len, false, &off, &why) == -1);
	if (why == NULL || strcmp(why, want_why) != 0)
		printf("  body %s: why '%s'\n", body, why ? why : "(null)");
	CHECK(why != NULL && strcmp(why, want_why) == 0);
	if (at != NULL)
		CHECK_INTEQ(off, (size_t)(strstr(t.data, at) - t.data));
	CHECK(r.protocol == NULL && !r.import_wh.set);
	buf_free(&t);
}

static void test_malformed(void)
{
	const char *head = "/XYZ5 test\r\n\r\n";
	char body[512];

#define BAD(lines, why, at) \
	do { \
		snprintf(body, sizeof body, "%s%s", head, lines); \
		expect_bad(body, why, at); \
	} while (0)
	BAD("1-0:1.8.1(00abc*kWh)\r\n", "malformed register value", "00abc");
	BAD("1-0:1.8.1(001.000*kW)\r\n", "register value in an unexpected unit", "001.000");
	BAD("1-0:1.8.1(001.000)\r\n", "register value without a unit", "001.000");
	BAD("1-0:1.8.1(001.000*kWh)(2)\r\n", "wrong number of values for this register", "001.000");
	BAD("1-0:1.8.1(1*kWh)\r\n1-0:1.8.1(1*kWh)\r\n", "register sent twice", NULL);
	BAD("1-0:1.8.1(1*kWh\r\n1-0:1.8.2(1*kWh)\r\n", "value not closed", "(1*kWh\r");
	BAD("1-0:1.8.1(1*kWh)x\r\n", "unexpected text after the values", "x\r\n");
	BAD("hello\r\n", "malformed OBIS identifier", "hello");
	BAD("1-0:1.8.1\r\n", "data line without a value", NULL);
	BAD("1-0:1.82.8.2(1*kWh)\r\n", "malformed OBIS identifier", NULL);
	BAD("1-0:256.8.1(1*kWh)\r\n", "malformed OBIS identifier", NULL);
	BAD("0-0:96.1.1(4B38\x01)\r\n", "control or non-ASCII character in a value", NULL);
	BAD("0-0:96.14.0(x)\r\n", "malformed tariff indicator", "x)");
	BAD("0-1:24.1.0(abc)\r\n", "malformed M-Bus device type", "abc");
	BAD("0-1:24.2.1(170102161005W)(0.1x*m3)\r\n", "malformed register value", "0.1x");
	BAD("0-1:24.2.1(170102161005W)\r\n", "wrong number of values for this register", NULL);
	BAD("1-3:0.2.8(5a)\r\n", "malformed version", "5a)");
#undef BAD
	/* Framing errors. */
	struct reading r;
	size_t off;
	const char *why;
	const char *t1 = "/XYZ5 t\r\n\r\n1-0:1.8.1(1*kWh)\r\n";
	CHECK(parse(&r, t1, strlen(t1), false, &off, &why) == -1);
	CHECK_STREQ(why, "telegram without end ('!')");
	const char *t2 = "/XYZ5 t\r\n\r\n1-0:1.8.1(1*kWh)\r\n!12\r\n";
	CHECK(parse(&r, t2, strlen(t2), false, &off, &why) == -1);
	const char *t3 = "XYZ5 t\r\n!\r\n";
	CHECK(parse(&r, t3, strlen(t3), false, &off, &why) == -1);
	CHECK_STREQ(why, "telegram does not start with '/'");
	const char *t4 = "/\r\n!\r\n";
	CHECK(parse(&r, t4, strlen(t4), false, &off, &why) == -1);
	/* DSMR 4+ without a CRC is a damaged end, unless the caller asked for no CRC. */
	const char *t5 = "/XYZ5 t\r\n\r\n1-3:0.2.8(50)\r\n1-0:1.8.1(1*kWh)\r\n!\r\n";
	CHECK(parse(&r, t5, strlen(t5), false, &off, &why) == -1);
	CHECK_STREQ(why, "DSMR 4 or later telegram without CRC");
	CHECK(parse(&r, t5, strlen(t5), true, &off, &why) == 0);
	CHECK(!r.checked);
	CHECK_DEC(r.import_wh, "1000");
}

static void test_lenient(void)
{
	struct reading r;
	size_t off;
	const char *why;
	struct buf t = BUF_INIT;

	/* Unknown lines, wrapped text, nested parentheses, empty values are ignored; lower-case CRC accepted. */
	buf_puts(&t, "/XYZ5 test\r\n\r\n1-0:99.99.9(whatever)(x)\r\n0-0:96.13.0(303132\r\n333435)\r\n"
	             "1-0:99.97.0(1)(0-0:96.7.19)((nested)(x))\r\n0-0:96.13.1()\r\n1-0:1.8.1(1*kWh)\r\n!");
	buf_printf(&t, "%04x\r\n", dsmr_crc16(0, t.data, t.len));
	CHECK(parse(&r, t.data, t.len, false, &off, &why) == 0);
	CHECK(r.checked);
	CHECK_DEC(r.import_wh, "1000");
	/* The final CR LF may be missing (a telegram cut from a file). */
	CHECK(parse(&r, t.data, t.len - 2, false, &off, &why) == 0);
	/* Belgian e-MUCS: version in 0-0:96.1.4, gas in 24.2.3, summer time. */
	buf_reset(&t);
	buf_puts(&t, "/FLU5\\253769484_A\r\n\r\n0-0:96.1.4(50217)\r\n0-0:96.1.1(3153414733313031303231363035)\r\n"
	             "0-0:1.0.0(200512135409S)\r\n1-0:1.8.1(000000.034*kWh)\r\n1-0:1.8.2(000015.758*kWh)\r\n"
	             "0-1:24.1.0(003)\r\n0-1:96.1.1(37464C4F32313139303137303532)\r\n"
	             "0-1:24.2.3(200512134558S)(00112.384*m3)\r\n");
	seal(&t);
	CHECK(parse(&r, t.data, t.len, false, &off, &why) == 0);
	CHECK_STREQ(r.version, "50217");
	CHECK_STREQ(r.meter_id, "1SAG3101021605");
	CHECK_INTEQ(r.meter_time, 1589284449);
	CHECK_DEC(r.import_wh, "15792");
	CHECK_INTEQ(r.mbus[0].time, 1589283958);
	CHECK_DEC(r.mbus[0].value, "112.384");
	buf_free(&t);
}

/* ---- framer ------------------------------------------------------------- */

struct event {
	enum dsmr_event_kind kind;
	uint64_t offset;
	size_t len;
	const char *why;
	char *data;
};

struct events {
	struct event ev[64];
	int n;
};

static void collect(const struct dsmr_event *ev, void *arg)
{
	struct events *es = arg;

	if (es->n == 64)
		return;
	struct event *e = &es->ev[es->n++];
	e->kind = ev->kind;
	e->offset = ev->offset;
	e->len = ev->len;
	e->why = ev->why;
	e->data = NULL;
	if (ev->kind == DSMR_FRAME) {
		e->data = malloc(ev->len + 1);
		memcpy(e->data, ev->data, ev->len);
		e->data[ev->len] = '\0';
	}
}

static void events_free(struct events *es)
{
	for (int i = 0; i < es->n; i++)
		free(es->ev[i].data);
	es->n = 0;
}

/* Feeds stream in chunks of chunk bytes (0: one chunk; -1: varying sizes). */
static void frame_stream(struct events *es, const char *stream, size_t len, int chunk)
{
	static struct dsmr_framer f;
	size_t i = 0;
	unsigned step = 1;

	es->n = 0;
	dsmr_framer_init(&f, collect, es);
	while (i < len) {
		size_t n = chunk == 0 ? len - i : chunk > 0 ? (size_t)chunk : (step = step * 7 % 61 + 1);
		if (n > len - i)
			n = len - i;
		dsmr_framer_feed(&f, stream + i, n);
		i += n;
	}
	dsmr_framer_finish(&f);
}

static bool same_events(const struct events *a, const struct events *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++) {
		const struct event *x = &a->ev[i], *y = &b->ev[i];
		if (x->kind != y->kind || x->offset != y->offset || x->len != y->len ||
		    (x->why != NULL) != (y->why != NULL) || (x->why != NULL && strcmp(x->why, y->why) != 0) ||
		    (x->data != NULL) != (y->data != NULL) || (x->data != NULL && strcmp(x->data, y->data) != 0))
			return false;
	}
	return true;
}

static const char *const fixtures[] = {
	"dsmr22_iskra_mt382.p1", "dsmr30_iskra_mt382.p1", "dsmr40_kaifa_arduino_dsmr_example.p1",
	"dsmr42_kaifa.p1", "dsmr42_bad_crc_line_removed.p1", "dsmr50_iskra_mt382.p1",
};
#define NFIXTURES (sizeof fixtures / sizeof fixtures[0])

static void test_framer_fixtures(void)
{
	struct buf stream = BUF_INIT, one = BUF_INIT;
	size_t offsets[NFIXTURES];
	struct events whole, bytewise, varying;

	for (size_t i = 0; i < NFIXTURES; i++) {
		offsets[i] = stream.len;
		if (load(&one, fixtures[i]) == 0)
			buf_append(&stream, one.data, one.len);
	}
	frame_stream(&whole, stream.data, stream.len, 0);
	CHECK_INTEQ(whole.n, NFIXTURES);
	for (int i = 0; i < whole.n && i < (int)NFIXTURES; i++) {
		CHECK(whole.ev[i].kind == DSMR_FRAME);
		CHECK_INTEQ(whole.ev[i].offset, offsets[i]);
		CHECK(load(&one, fixtures[i]) == 0 && whole.ev[i].len == one.len &&
		      memcmp(whole.ev[i].data, one.data, one.len) == 0);
	}
	/* The same frames whatever the chunking. */
	frame_stream(&bytewise, stream.data, stream.len, 1);
	CHECK(same_events(&whole, &bytewise));
	frame_stream(&varying, stream.data, stream.len, -1);
	CHECK(same_events(&whole, &varying));
	events_free(&whole);
	events_free(&bytewise);
	events_free(&varying);
	buf_free(&stream);
	buf_free(&one);
}

static void test_framer_garbage(void)
{
	struct buf a = BUF_INIT, s = BUF_INIT;
	struct events es, bytewise;

	load(&a, "dsmr50_iskra_mt382.p1");
	buf_puts(&s, "noise");
	buf_append(&s, a.data, a.len);
	buf_puts(&s, "\r\n\r\n");               /* line ends between frames: no report */
	buf_append(&s, a.data, a.len);
	buf_puts(&s, "\x01\xff junk\r\n");
	buf_append(&s, a.data, a.len);
	buf_puts(&s, "tail");
	frame_stream(&es, s.data, s.len, 0);
	CHECK_INTEQ(es.n, 6);
	CHECK(es.ev[0].kind == DSMR_GARBAGE && es.ev[0].offset == 0 && es.ev[0].len == 5);
	CHECK(es.ev[1].kind == DSMR_FRAME && es.ev[1].offset == 5);
	CHECK(es.ev[2].kind == DSMR_FRAME && es.ev[2].offset == 5 + a.len + 4);
	CHECK(es.ev[3].kind == DSMR_GARBAGE && es.ev[3].offset == 5 + 2 * a.len + 4 && es.ev[3].len == 9);
	CHECK(es.ev[4].kind == DSMR_FRAME && es.ev[4].offset == 5 + 2 * a.len + 13);
	CHECK(es.ev[5].kind == DSMR_GARBAGE && es.ev[5].len == 4);
	frame_stream(&bytewise, s.data, s.len, 1);
	CHECK(same_events(&es, &bytewise));
	events_free(&es);
	events_free(&bytewise);
	buf_free(&a);
	buf_free(&s);
}

/* Truncation: the head of one telegram, then a whole one. */
static void test_framer_truncated(void)
{
	struct buf a = BUF_INIT, b = BUF_INIT, s = BUF_INIT;
	struct events es;
	struct reading r;
	size_t off;
	const char *why;

	load(&a, "dsmr42_kaifa.p1");
	load(&b, "dsmr50_iskra_mt382.p1");
	/* Cut at a line start: the next '/' opens a line. */
	size_t cut = (size_t)(strstr(a.data, "1-0:2.8.1") - a.data);
	buf_append(&s, a.data, cut);
	buf_append(&s, b.data, b.len);
	frame_stream(&es, s.data, s.len, 1);
	CHECK_INTEQ(es.n, 2);
	CHECK(es.ev[0].kind == DSMR_DROPPED && es.ev[0].offset == 0 && es.ev[0].len == cut);
	CHECK(es.ev[0].why != NULL && strcmp(es.ev[0].why, "truncated telegram: a new one starts before its end") == 0);
	CHECK(es.ev[1].kind == DSMR_FRAME && es.ev[1].offset == cut && es.ev[1].len == b.len);
	CHECK(es.n == 2 && parse(&r, es.ev[1].data, es.ev[1].len, false, &off, &why) == 0);
	events_free(&es);
	/* Cut inside a value: the '/' and its "ISk5" start the next telegram all the same. */
	cut = (size_t)(strstr(a.data, "001581.123") - a.data) + 4;
	buf_reset(&s);
	buf_append(&s, a.data, cut);
	buf_append(&s, b.data, b.len);
	frame_stream(&es, s.data, s.len, 1);
	CHECK_INTEQ(es.n, 2);
	CHECK(es.ev[0].kind == DSMR_DROPPED && es.ev[0].len == cut);
	CHECK(es.ev[1].kind == DSMR_FRAME && es.ev[1].offset == cut);
	CHECK(es.n == 2 && parse(&r, es.ev[1].data, es.ev[1].len, false, &off, &why) == 0);
	events_free(&es);
	/* The stream ends inside a telegram. */
	frame_stream(&es, a.data, a.len - 3, 0);
	CHECK_INTEQ(es.n, 1);
	CHECK(es.ev[0].kind == DSMR_DROPPED && es.ev[0].len == a.len - 3);
	events_free(&es);
	buf_free(&a);
	buf_free(&b);
	buf_free(&s);
}

/* Glued: the head of one telegram and the tail of the next, its '/' lost. Never one valid telegram. */
static void test_framer_glued(void)
{
	struct buf a = BUF_INIT, b = BUF_INIT, s = BUF_INIT;
	struct events es;
	struct reading r;
	size_t off;
	const char *why;
	int parsed = 0, frames = 0;

	load(&a, "dsmr42_kaifa.p1");
	load(&b, "dsmr50_iskra_mt382.p1");
	for (size_t cut_a = 1; cut_a < a.len; cut_a += 7) {
		for (size_t cut_b = 1; cut_b < b.len; cut_b += 13) {
			buf_reset(&s);
			buf_append(&s, a.data, cut_a);
			buf_append(&s, b.data + cut_b, b.len - cut_b);
			frame_stream(&es, s.data, s.len, 0);
			for (int i = 0; i < es.n; i++) {
				if (es.ev[i].kind != DSMR_FRAME)
					continue;
				frames++;
				/* Only a cut that rebuilds one of the two telegrams exactly may parse. */
				if (parse(&r, es.ev[i].data, es.ev[i].len, false, &off, &why) == 0 &&
				    !(es.ev[i].len == b.len && memcmp(es.ev[i].data, b.data, b.len) == 0) &&
				    !(es.ev[i].len == a.len && memcmp(es.ev[i].data, a.data, a.len) == 0))
					parsed++;
			}
			events_free(&es);
		}
	}
	CHECK(frames > 0);
	CHECK_INTEQ(parsed, 0);
	buf_free(&a);
	buf_free(&b);
	buf_free(&s);
}

static void test_framer_limits(void)
{
	struct buf a = BUF_INIT, s = BUF_INIT;
	struct events es;

	load(&a, "dsmr50_iskra_mt382.p1");
	/* Oversize: dropped once, the rest skipped without a report, the next telegram read. */
	buf_puts(&s, "/XYZ5 huge\r\n\r\n");
	while (s.len < DSMR_MAX_TELEGRAM + 100)
		buf_puts(&s, "0-0:96.13.0(3031)\r\n");
	size_t big = s.len;
	buf_append(&s, a.data, a.len);
	frame_stream(&es, s.data, s.len, 0);
	CHECK_INTEQ(es.n, 2);
	CHECK(es.ev[0].kind == DSMR_DROPPED && es.ev[0].len == DSMR_MAX_TELEGRAM);
	CHECK(es.ev[0].why != NULL && strstr(es.ev[0].why, "longer") != NULL);
	CHECK(es.ev[1].kind == DSMR_FRAME && es.ev[1].offset == big);
	events_free(&es);
	/* A byte above 0x7f or a NUL inside a telegram drops it. */
	for (int k = 0; k < 2; k++) {
		buf_reset(&s);
		buf_append(&s, a.data, a.len);
		s.data[100] = k == 0 ? (char)0xb0 : '\0';
		buf_append(&s, a.data, a.len);
		frame_stream(&es, s.data, s.len, 0);
		CHECK_INTEQ(es.n, 2);
		CHECK(es.ev[0].kind == DSMR_DROPPED && es.ev[0].len == 100);
		CHECK(es.ev[1].kind == DSMR_FRAME && es.ev[1].offset == a.len);
		events_free(&es);
	}
	/* A broken end: "!" and three digits, then a new telegram. */
	buf_reset(&s);
	buf_append(&s, a.data, a.len - 3);
	buf_append(&s, a.data, a.len);
	frame_stream(&es, s.data, s.len, 0);
	CHECK_INTEQ(es.n, 2);
	CHECK(es.ev[0].kind == DSMR_DROPPED);
	CHECK(es.ev[1].kind == DSMR_FRAME && es.ev[1].offset == a.len - 3);
	events_free(&es);
	buf_free(&a);
	buf_free(&s);
}

/* ---- corruption loop ---------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

/* One to three flips, drops or insertions of random bytes. */
static void damage(struct buf *s, const struct buf *orig)
{
	buf_reset(s);
	buf_append(s, orig->data, orig->len);
	int n = 1 + (int)rnd(3);
	for (int k = 0; k < n && s->len > 1; k++) {
		size_t at = rnd((uint32_t)s->len);
		switch (rnd(3)) {
		case 0:
			s->data[at] ^= (char)(1 + rnd(255));
			break;
		case 1:
			memmove(s->data + at, s->data + at + 1, s->len - at - 1);
			s->len--;
			break;
		default:
			buf_putc(s, 0);
			memmove(s->data + at + 1, s->data + at, s->len - at - 1);
			s->data[at] = (char)rnd(256);
			break;
		}
	}
}

struct corrupt {
	const char *want;       /* the undamaged reading, dumped */
	size_t clean_offset;    /* where the undamaged copy starts */
	bool parsed;            /* this round's damaged telegram parsed (to the same values) */
	int wrong, clean_read;
	struct buf got;
};

static void judge(const struct dsmr_event *ev, void *arg)
{
	struct corrupt *c = arg;
	struct reading r;
	size_t off;
	const char *why;

	if (ev->kind != DSMR_FRAME)
		return;
	bool clean = ev->offset == c->clean_offset;
	if (dsmr_parse(&r, ev->data, ev->len, false, &off, &why) < 0)
		return;
	dump(&c->got, &r);
	if (strcmp(buf_str(&c->got), c->want) != 0) {
		c->wrong++;
		printf("corruption loop: a damaged telegram parsed to other values:\n%.*s\n", (int)ev->len, ev->data);
		return;
	}
	if (clean)
		c->clean_read++;
	else
		c->parsed = true;
}

static void test_corruption(void)
{
	static const char *const with_crc[] = { "dsmr40_kaifa_arduino_dsmr_example.p1", "dsmr42_kaifa.p1",
		                                    "dsmr50_iskra_mt382.p1" };
	static struct dsmr_framer f;
	struct buf orig = BUF_INIT, want = BUF_INIT, s = BUF_INIT;
	const int rounds = 10000;

	for (size_t i = 0; i < 3; i++) {
		struct corrupt c = { NULL, 0, false, 0, 0, BUF_INIT };
		int rejected = 0, accepted = 0;
		struct reading r;
		if (parse_fixture(&r, with_crc[i], false) < 0 || load(&orig, with_crc[i]) < 0)
			continue;
		dump(&want, &r);
		c.want = buf_str(&want);
		for (int k = 0; k < rounds; k++) {
			damage(&s, &orig);
			c.clean_offset = s.len;
			buf_append(&s, orig.data, orig.len);    /* an undamaged telegram right behind */
			c.parsed = false;
			dsmr_framer_init(&f, judge, &c);
			dsmr_framer_feed(&f, s.data, s.len);
			dsmr_framer_finish(&f);
			if (c.parsed)
				accepted++;
			else
				rejected++;
		}
		printf("corruption loop %s: %d damaged, %d rejected, %d parsed to identical values, %d wrong, "
		       "%d/%d undamaged copies read\n",
		       with_crc[i], rounds, rejected, accepted, c.wrong, c.clean_read, rounds);
		CHECK_INTEQ(c.wrong, 0);
		CHECK_INTEQ(c.clean_read, rounds);
		CHECK(rejected > rounds * 9 / 10);
		buf_free(&c.got);
	}
	buf_free(&orig);
	buf_free(&want);
	buf_free(&s);
}

int main(void)
{
	test_crc();
	test_dsmr50();
	test_dsmr42();
	test_dsmr42_bad_crc();
	test_dsmr40();
	test_dsmr30();
	test_dsmr22();
	test_decimals();
	test_timestamps();
	test_malformed();
	test_lenient();
	test_framer_fixtures();
	test_framer_garbage();
	test_framer_truncated();
	test_framer_glued();
	test_framer_limits();
	test_corruption();
	return check_done("test_dsmr");
}
