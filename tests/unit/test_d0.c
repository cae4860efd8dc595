/*
 * IEC 62056-21 (D0): identification messages and their baud characters,
 * the sign-on and option-select messages, readout framing with good and bad
 * BCC, the ACE3000 capture without ETX/BCC (tests/fixtures/SOURCES.md), and
 * data lines into a reading.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "d0.h"
#include "obis.h"
#include "reading.h"
#include "xio.h"

static const char *dec(const struct decimal *d)
{
	static struct buf ring[4];
	static int next;
	struct buf *b = &ring[next++ % 4];

	buf_reset(b);
	if (!d->set)
		buf_puts(b, "unset");
	else
		decimal_format(b, d);
	return buf_str(b);
}

#define CHECK_DEC(d, want) CHECK_STREQ(dec(&(d)), want)

static void test_ident(void)
{
	static const struct {
		const char *line;
		char mode;
		int baud;
	} cases[] = {
		{ "/ACE0\\3k260V01.18\r\n", 'C', 300 },
		{ "/ISk5\\2MT382-1000", 'C', 9600 },
		{ "/LGZ4ZMD3104100.B29\r\n", 'C', 4800 },
		{ "/EMH6eHZ\r\n", 'C', 19200 },
		{ "/ABC1x", 'C', 600 },
		{ "/ABC2x", 'C', 1200 },
		{ "/ABC3x", 'C', 2400 },
		{ "/ABCAx", 'B', 600 },
		{ "/ABCEx", 'B', 9600 },
		{ "/ABCFx", 'B', 19200 },
		{ "/ABCZx", 'A', 300 },
		{ "/ABC:x", 'A', 300 },
	};
	struct d0_ident id;
	const char *why;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		CHECK(d0_parse_ident(&id, cases[i].line, strlen(cases[i].line), &why) == 0);
		CHECK_INTEQ(id.mode, cases[i].mode);
		CHECK_INTEQ(id.baud, cases[i].baud);
	}
	CHECK(d0_parse_ident(&id, "/ACE0\\3k260V01.18\r\n", 19, &why) == 0);
	CHECK_STREQ(id.manufacturer, "ACE");
	CHECK_INTEQ(id.baud_char, '0');
	CHECK(!id.fast_reaction);
	CHECK_INTEQ(id.enhanced, '3');
	CHECK_STREQ(id.ident, "\\3k260V01.18");
	CHECK(d0_parse_ident(&id, "/ISk5\\2MT382-1000", 17, &why) == 0);
	CHECK(id.fast_reaction);            /* lower-case third letter */
	CHECK_INTEQ(id.enhanced, '2');      /* mode E (HDLC) available */
	/* Reserved baud characters, malformed messages. */
	const char *bad[] = { "/ABC7x", "/ABC9x", "/ABCGx", "/ABCIx", "ABC5x", "/AB5x", "/A1C5x", "/ABC", "/ABC5\x01",
	                      "/ABC5\xc3\xa9" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(d0_parse_ident(&id, bad[i], strlen(bad[i]), &why) == -1);
}

static void test_messages(void)
{
	struct buf b = BUF_INIT;

	CHECK(d0_sign_on(&b, NULL) == 0);
	CHECK_STREQ(buf_str(&b), "/?!\r\n");
	buf_reset(&b);
	CHECK(d0_sign_on(&b, "") == 0);
	CHECK_STREQ(buf_str(&b), "/?!\r\n");
	buf_reset(&b);
	CHECK(d0_sign_on(&b, "12345678") == 0);
	CHECK_STREQ(buf_str(&b), "/?12345678!\r\n");
	buf_reset(&b);
	CHECK(d0_sign_on(&b, "a!b") == -1);
	CHECK(d0_sign_on(&b, "123456789012345678901234567890123") == -1);
	CHECK_INTEQ(b.len, 0);
	CHECK(d0_ack(&b, 9600) == 0);
	CHECK(b.len == 6 && memcmp(b.data, "\x06" "050\r\n", 6) == 0);
	buf_reset(&b);
	CHECK(d0_ack(&b, 300) == 0);
	CHECK(b.len == 6 && memcmp(b.data, "\x06" "000\r\n", 6) == 0);
	CHECK(d0_ack(&b, 1234) == -1);
	CHECK_INTEQ(d0_baud_char(19200), '6');
	CHECK_INTEQ(d0_baud_char(115200), 0);
	buf_free(&b);
}

/* ident + STX + data + "!\r\n" ETX BCC. */
static void readout(struct buf *b, const char *ident, const char *data)
{
	buf_reset(b);
	if (ident != NULL)
		buf_printf(b, "/%s\r\n", ident);
	size_t stx = b->len;
	buf_putc(b, 0x02);
	buf_puts(b, data);
	buf_puts(b, "!\r\n\x03");
	unsigned char bcc = 0;
	for (size_t i = stx + 1; i < b->len; i++)
		bcc ^= (unsigned char)b->data[i];
	buf_putc(b, (char)bcc);
}

static void test_bcc(void)
{
	struct buf b = BUF_INIT;
	struct reading r;
	struct d0_readout ro;
	size_t off;
	const char *why;

	readout(&b, "LGZ4ZMD3104100.B29", "0.0.0(12345678)\r\n1.8.0(0012345.678*kWh)\r\n");
	CHECK_INTEQ(d0_readout_end(b.data, b.len), b.len);
	CHECK_INTEQ(d0_readout_end(b.data, b.len - 1), 0);
	CHECK(d0_frame(&ro, b.data, b.len, false, &off, &why) == 0);
	CHECK(ro.checked);
	CHECK_INTEQ(ro.len, b.len);
	CHECK(ro.ident_len == 18 && memcmp(ro.ident, "LGZ4ZMD3104100.B29", 18) == 0);
	CHECK(d0_parse(&r, b.data, b.len, false, &off, &why) == 0);
	CHECK(r.checked);
	CHECK_STREQ(r.protocol, "d0");
	CHECK_STREQ(r.model, "LGZ4ZMD3104100.B29");
	CHECK_STREQ(r.meter_id, "12345678");
	CHECK_DEC(r.import_wh, "12345678");
	/* A bad BCC is rejected, or accepted unchecked when asked. */
	b.data[b.len - 1] ^= 0x01;
	CHECK(d0_parse(&r, b.data, b.len, false, &off, &why) == -1);
	CHECK_STREQ(why, "BCC mismatch");
	CHECK_INTEQ(off, b.len - 1);
	CHECK(r.protocol == NULL && !r.import_wh.set);
	CHECK(d0_parse(&r, b.data, b.len, true, &off, &why) == 0);
	CHECK(!r.checked);
	/* Every single-bit flip in the data is caught by the BCC. */
	b.data[b.len - 1] ^= 0x01;
	int caught = 0, flips = 0;
	for (size_t i = 20; i + 1 < b.len; i++) {
		for (int bit = 0; bit < 7; bit++) {
			b.data[i] ^= (char)(1 << bit);
			flips++;
			if (d0_parse(&r, b.data, b.len, false, &off, &why) == -1)
				caught++;
			b.data[i] ^= (char)(1 << bit);
		}
	}
	CHECK_INTEQ(caught, flips);
	/* A readout cut before ETX or BCC. */
	CHECK(d0_parse(&r, b.data, b.len - 1, false, &off, &why) == -1);
	CHECK_STREQ(why, "readout cut before its BCC");
	CHECK(d0_parse(&r, b.data, b.len - 2, false, &off, &why) == -1);
	CHECK_STREQ(why, "readout without ETX and BCC");
	CHECK(d0_parse(&r, b.data, b.len - 5, false, &off, &why) == -1);
	buf_free(&b);
}

static void test_no_bcc_capture(void)
{
	struct buf b = BUF_INIT;
	struct reading r;
	size_t off;
	const char *why;

	if (read_file("tests/fixtures/d0/ace3000_260_readout_no_bcc.txt", &b, 1 << 16) < 0) {
		printf("cannot read the D0 fixture: %s\n", strerror(errno));
		check_failed++;
		return;
	}
	CHECK(d0_parse(&r, b.data, b.len, false, &off, &why) == -1);
	CHECK_STREQ(why, "readout without ETX and BCC");
	CHECK_INTEQ(off, b.len);
	CHECK(d0_parse(&r, b.data, b.len, true, &off, &why) == 0);
	CHECK(!r.checked);
	CHECK_STREQ(r.protocol, "d0");
	CHECK_STREQ(r.model, "ACE0\\3k260V01.18");
	CHECK_STREQ(r.meter_id, "1234567890123456");
	CHECK_DEC(r.import_wh, "285400");
	CHECK_DEC(r.export_wh, "120100");
	CHECK_INTEQ(r.import_wh.digits, 285400);
	CHECK_INTEQ(r.import_wh.exp, 0);
	CHECK_INTEQ(r.tariffs, 0);
	CHECK(!r.power_import_w.set);
	buf_free(&b);
}

static void test_data_lines(void)
{
	struct buf b = BUF_INIT;
	struct reading r;
	size_t off;
	const char *why;

	/* Several data sets on a line, tariffs, history (F), signed power, per phase, A-B prefixes. */
	readout(&b, "EMH5eHZ", "F.F(00000000)\r\n0.0.0(99)C.1.0(ABC123)\r\n1-0:1.8.1(000100.5*kWh)1.8.2(000200*kWh)\r\n"
	                         "1.8.1*12(000050.0*kWh)\r\n2.8.0(0000007.5*kWh)\r\n16.7.0(-000123.4*W)\r\n"
	                         "36.7.0(0.5*kW)\r\n32.7.0(230.1*V)\r\n31.7.0(1.25*A)\r\n0.9.1(123456)\r\n");
	CHECK(d0_parse(&r, b.data, b.len, false, &off, &why) == 0);
	CHECK_STREQ(r.meter_id, "ABC123");      /* the serial number wins over the device address */
	CHECK_DEC(r.import_tariff_wh[0], "100500");
	CHECK_DEC(r.import_tariff_wh[1], "200000");
	CHECK_DEC(r.import_wh, "300500");
	CHECK_INTEQ(r.tariffs, 2);
	CHECK_DEC(r.export_wh, "7500");
	CHECK_DEC(r.power_import_w, "0");
	CHECK_DEC(r.power_export_w, "123.4");
	CHECK_DEC(r.phase[0].power_import_w, "500");
	CHECK_DEC(r.phase[0].power_export_w, "0");
	CHECK_DEC(r.phase[0].voltage_v, "230.1");
	CHECK_DEC(r.phase[0].current_a, "1.25");
	CHECK_INTEQ(r.phases, 1);
	/* Malformed registers reject the readout. */
	static const char *const bad[] = {
		"1.8.0(00abc*kWh)\r\n", "1.8.0(1*kWh)\r\n1.8.0(2*kWh)\r\n", "1.8.0(1*W)\r\n", "1.8.0(1)\r\n",
		"1.8.0(1*kWh\r\n", "1.8.0\r\n", "x(1)\r\n", "1.8.0(1*kWh)x\r\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		readout(&b, "ABC5x", bad[i]);
		CHECK(d0_parse(&r, b.data, b.len, false, &off, &why) == -1);
		CHECK(r.protocol == NULL);
	}
	/* Without an identification line, and without STX. */
	readout(&b, NULL, "1.8.0(1*kWh)\r\n");
	CHECK(d0_parse(&r, b.data, b.len, false, &off, &why) == 0);
	CHECK_STREQ(r.model, "");
	CHECK(d0_parse(&r, b.data + 1, b.len - 1, false, &off, &why) == -1);
	CHECK_STREQ(why, "readout does not start with STX");
	buf_free(&b);
}

/* The identifiers D0 and DSMR write, short and long. */
static void test_codes(void)
{
	static const struct {
		const char *text;
		short a, b, c, d, e, f;
	} good[] = {
		{ "C.1", -1, -1, 96, 1, -1, -1 },      { "F.F", -1, -1, 97, 97, -1, -1 },
		{ "C.1.0", -1, -1, 96, 1, 0, -1 },     { "1.8.0", -1, -1, 1, 8, 0, -1 },
		{ "1.8.0*12", -1, -1, 1, 8, 0, 12 },   { "1.8.0&3", -1, -1, 1, 8, 0, 3 },
		{ "1-0:1.8.1", 1, 0, 1, 8, 1, -1 },    { "0-1:24.2.1", 0, 1, 24, 2, 1, -1 },
		{ "1-0:1.8.0*255", 1, 0, 1, 8, 0, 255 }, { "1:1.8.0", -1, 1, 1, 8, 0, -1 },
		{ "0.0.0", -1, -1, 0, 0, 0, -1 },      { "P.01", -1, -1, 99, 1, -1, -1 },
	};
	static const char *const bad[] = { "1.8.0.1", "C1", "1-0.1", "256.1.0", "1.8.C", "1-0:1.8.1*C", "1-:1.8.0",
		                               "", ".1", "1..8", "1-0:", "X.1" };
	struct obis_code c;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		CHECK(obis_parse_code(&c, good[i].text, strlen(good[i].text)) == 0);
		CHECK(c.a == good[i].a && c.b == good[i].b && c.c == good[i].c && c.d == good[i].d && c.e == good[i].e &&
		      c.f == good[i].f);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (obis_parse_code(&c, bad[i], strlen(bad[i])) != -1)
			printf("  accepted '%s'\n", bad[i]);
		CHECK(obis_parse_code(&c, bad[i], strlen(bad[i])) == -1);
	}
}

int main(void)
{
	test_codes();
	test_ident();
	test_messages();
	test_bcc();
	test_no_bcc_capture();
	test_data_lines();
	return check_done("test_d0");
}
