/*
 * CSV import: the real EMHASS household series (power → energy with the
 * carry rule, checked against an independent sum), a European register
 * export (';', decimal comma, kWh, local time, BOM, CRLF), Unix times,
 * quoted fields, bad rows with exact line numbers, misaligned, duplicate and
 * out-of-order rows, gap notices, configuration errors, and chunked feeding
 * (every input fed whole, byte by byte and in odd chunks gives one transcript).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "csvimport.h"
#include "timeutil.h"

/* 2024-10-01T00:00:00Z is 1727740800 s. */
#define DAY0_S 1727740800LL
#define DAY0 (DAY0_S * 1000)
#define MIN 60000LL
#define T(h, m) (DAY0 + ((int64_t)(h) * 60 + (m)) * MIN)

#define KEEP 200
#define KEEP_BAD 16

/* What a sink saw: a transcript of every call in order, and the first calls kept whole. */
struct got {
	struct buf log;
	struct interval_slot slot[KEEP];
	struct reading reading[KEEP];
	unsigned long bad_line[KEEP_BAD];
	char bad_why[KEEP_BAD][160];
	int64_t gap_from[KEEP_BAD], gap_to[KEEP_BAD];
	int nslot, nreading, nbad, ngap;
	int64_t import_wh, export_wh;
	int rc;                 /* csvimport_feed/finish: -1 once any call returned -1 */
	char error[160];
};

static void on_slot(void *arg, const struct interval_slot *s)
{
	struct got *g = arg;

	if (g->nslot < KEEP)
		g->slot[g->nslot] = *s;
	g->nslot++;
	g->import_wh += s->import_wh;
	g->export_wh += s->export_wh;
	buf_printf(&g->log, "slot %lld %lld %lld %lld %lld %lld %u %u\n", (long long)s->start_ms,
	           (long long)s->length_ms, (long long)s->import_wh, (long long)s->export_wh, (long long)s->net_wh,
	           (long long)s->covered_ms, s->flags, s->registers);
}

static void log_decimal(struct buf *b, const struct decimal *d)
{
	if (d->set)
		decimal_format(b, d);
	else
		buf_puts(b, "-");
}

static void on_reading(void *arg, const struct reading *r)
{
	struct got *g = arg;

	if (g->nreading < KEEP)
		g->reading[g->nreading] = *r;
	g->nreading++;
	buf_printf(&g->log, "reading %s %lld %d %d ", r->protocol, (long long)r->meter_time, r->has_meter_time,
	           r->checked);
	log_decimal(&g->log, &r->import_wh);
	buf_putc(&g->log, ' ');
	log_decimal(&g->log, &r->export_wh);
	buf_putc(&g->log, '\n');
}

static void on_gap(void *arg, int64_t from_ms, int64_t to_ms)
{
	struct got *g = arg;

	if (g->ngap < KEEP_BAD) {
		g->gap_from[g->ngap] = from_ms;
		g->gap_to[g->ngap] = to_ms;
	}
	g->ngap++;
	buf_printf(&g->log, "gap %lld %lld\n", (long long)from_ms, (long long)to_ms);
}

static void on_bad_row(void *arg, unsigned long line, const char *why)
{
	struct got *g = arg;

	if (g->nbad < KEEP_BAD) {
		g->bad_line[g->nbad] = line;
		snprintf(g->bad_why[g->nbad], sizeof g->bad_why[0], "%s", why);
	}
	g->nbad++;
	buf_printf(&g->log, "bad %lu %s\n", line, why);
}

/* Feeds text in chunks of chunk bytes (0: all at once) and collects what the sink saw. */
static struct got *run_chunked(const struct csvimport_config *c, const char *text, size_t len, size_t chunk)
{
	struct got *g = calloc(1, sizeof *g);
	struct csvimport_sink sink = { on_reading, on_slot, on_gap, on_bad_row, g };
	struct csvimport st;
	const char *why;

	if (csvimport_init(&st, c, &sink, &why) < 0) {
		printf("init failed: %s\n", why);
		g->rc = -2;
		return g;
	}
	for (size_t off = 0; off < len;) {
		size_t n = chunk == 0 || len - off < chunk ? len - off : chunk;
		if (csvimport_feed(&st, text + off, n) < 0)
			g->rc = -1;
		off += n;
	}
	if (csvimport_finish(&st) < 0)
		g->rc = -1;
	if (csvimport_error(&st) != NULL)
		snprintf(g->error, sizeof g->error, "%s", csvimport_error(&st));
	csvimport_free(&st);
	return g;
}

static void got_free(struct got *g)
{
	buf_free(&g->log);
	free(g);
}

/* Runs text whole, and checks that byte-by-byte and odd chunks give the same transcript. */
static struct got *run(const struct csvimport_config *c, const char *text)
{
	size_t len = strlen(text);
	struct got *whole = run_chunked(c, text, len, 0);
	static const size_t chunks[] = { 1, 2, 3, 7, 64 };

	for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
		struct got *part = run_chunked(c, text, len, chunks[i]);
		CHECK_STREQ(buf_str(&part->log), buf_str(&whole->log));
		CHECK_INTEQ(part->rc, whole->rc);
		got_free(part);
	}
	return whole;
}

static char *read_fixture(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;

	if (f == NULL) {
		printf("cannot open %s\n", path);
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	return buf_detach(&b, &n);
}

/* Independently of the module: Σ W × 1800 s / 3600 s = Σ tenths of W / 20, floored. */
static int64_t emhass_floor_total_wh(const char *text, int *rows)
{
	int64_t tenths = 0;
	const char *p = strchr(text, '\n') + 1;   /* past the header */

	*rows = 0;
	while (*p != '\0') {
		const char *comma = strchr(p, ',');
		char *end;
		long whole = strtol(comma + 1, &end, 10);
		long frac = *end == '.' ? end[1] - '0' : 0;

		tenths += whole * 10 + frac;
		(*rows)++;
		p = strchr(p, '\n') + 1;
	}
	return tenths / 20;
}

static void power_config(struct csvimport_config *c, int64_t step_ms)
{
	csvimport_config_default(c);
	c->kind = CSVIMPORT_POWER;
	c->step_ms = step_ms;
}

static void test_emhass_power(void)
{
	char *text = read_fixture("tests/fixtures/csv/emhass_load_3days.csv");
	struct csvimport_config c;
	int rows;

	if (text == NULL) {
		CHECK(0);
		return;
	}
	power_config(&c, 30 * MIN);
	c.time.name = "timestamp";
	c.import.name = "value";
	struct got *g = run(&c, text);
	CHECK_INTEQ(g->rc, 0);
	CHECK_INTEQ(g->nbad, 0);
	CHECK_INTEQ(g->ngap, 0);
	CHECK_INTEQ(g->nslot, 144);
	/*
	 * 224.4, 223.5, 221.4, 221.5, 218.2, 236.9 W × 0.5 h = 112.2, 111.75, 110.7, 110.75, 109.1, 118.45 Wh;
	 * with the carry: 112 (carry .2), 111.95 → 111 (.95), 111.65 → 111 (.65), 111.4 → 111 (.4),
	 * 109.5 → 109 (.5), 118.95 → 118 (.95).
	 */
	static const int64_t want[] = { 112, 111, 111, 111, 109, 118 };
	for (int i = 0; i < 6; i++)
		CHECK_INTEQ(g->slot[i].import_wh, want[i]);
	CHECK_INTEQ(g->slot[0].start_ms, T(0, 0));
	CHECK_INTEQ(g->slot[0].length_ms, 30 * MIN);
	CHECK_INTEQ(g->slot[0].covered_ms, 30 * MIN);
	CHECK_INTEQ(g->slot[0].flags, INTERVAL_FLAG_COMPLETE);
	CHECK_INTEQ(g->slot[0].registers, INTERVAL_IMPORT);
	CHECK_INTEQ(g->slot[0].export_wh, 0);
	CHECK_INTEQ(g->slot[0].net_wh, 112);
	CHECK_INTEQ(g->slot[5].start_ms, T(2, 30));
	CHECK_INTEQ(g->slot[143].start_ms, T(71, 30));
	CHECK_INTEQ(g->import_wh, emhass_floor_total_wh(text, &rows));
	CHECK_INTEQ(rows, 144);
	CHECK_INTEQ(g->import_wh, 33871);       /* Σ = 677437/20 = 33871.85 Wh */
	CHECK_INTEQ(g->export_wh, 0);
	got_free(g);
	free(text);
}

/* A BOM and CRLF line ends change nothing. */
static void test_emhass_bom_crlf(void)
{
	char *text = read_fixture("tests/fixtures/csv/emhass_load_3days.csv");
	struct buf dos = BUF_INIT;
	struct csvimport_config c;

	if (text == NULL) {
		CHECK(0);
		return;
	}
	buf_puts(&dos, "\xEF\xBB\xBF");
	for (const char *p = text; *p != '\0'; p++)
		buf_puts(&dos, *p == '\n' ? "\r\n" : (char[]){ *p, '\0' });
	power_config(&c, 30 * MIN);
	c.time.name = "TIMESTAMP";      /* header names match in any case */
	c.import.number = 2;
	struct got *plain = run_chunked(&c, text, strlen(text), 0);
	struct got *g = run(&c, buf_str(&dos));
	CHECK_INTEQ(g->nslot, 144);
	CHECK_INTEQ(g->nbad, 0);
	CHECK_STREQ(buf_str(&g->log), buf_str(&plain->log));
	got_free(g);
	got_free(plain);
	buf_free(&dos);
	free(text);
}

static void register_config(struct csvimport_config *c)
{
	csvimport_config_default(c);
	c->delimiter = ';';
	c->decimal_comma = true;
	c->unit = CSVIMPORT_KWH;
	c->time_format = CSVIMPORT_TIME_LOCAL;
	c->tz_offset_min = 120;         /* CEST */
	c->time.name = "Zeitstempel";
	c->import.name = "bezug (kwh)";
	c->export.name = "Einspeisung (kWh)";
}

static int64_t wh_of(const struct decimal *d)
{
	int64_t v = -1;

	CHECK(d->set);
	CHECK_INTEQ(decimal_to_int(&v, d), 0);
	return v;
}

/* A European portal export: ';', decimal comma, kWh, local time at +02:00, BOM, CRLF, a blank line. */
static void test_register_semicolon_kwh(void)
{
	const char *in =
		"\xEF\xBB\xBFZeitstempel;Bezug (kWh);Einspeisung (kWh)\r\n"  /* 1 */
		"2024-10-01 02:00:00;1234,567;12,5\r\n"                       /* 2 */
		"2024-10-01 02:15;1234,6;\"12,5\"\r\n"                        /* 3 */
		"\r\n"                                                        /* 4 */
		"2024-10-01 02:30:00; 1234,75 ;12,625\r\n"                    /* 5 */
		"2024-10-01 02:45:00;1.234,8;12,7\r\n"                        /* 6: thousands separator */
		"2024-10-01 03:00:00+02:00;1234,9;13\r\n"                     /* 7: a zone */
		"2024-10-01 03:15:00;1234,9;13";                              /* 8: no line end */
	struct csvimport_config c;

	register_config(&c);
	struct got *g = run(&c, in);
	CHECK_INTEQ(g->rc, 0);
	CHECK_INTEQ(g->nreading, 4);
	CHECK_INTEQ(g->nslot, 0);
	CHECK_STREQ(g->reading[0].protocol, "csv");
	CHECK(g->reading[0].has_meter_time);
	CHECK(!g->reading[0].checked);
	CHECK_INTEQ(g->reading[0].meter_time, DAY0_S);              /* 02:00 CEST = 00:00Z */
	CHECK_INTEQ(wh_of(&g->reading[0].import_wh), 1234567);
	CHECK_INTEQ(wh_of(&g->reading[0].export_wh), 12500);
	CHECK_INTEQ(g->reading[1].meter_time, DAY0_S + 900);
	CHECK_INTEQ(wh_of(&g->reading[1].import_wh), 1234600);
	CHECK_INTEQ(wh_of(&g->reading[1].export_wh), 12500);
	CHECK_INTEQ(wh_of(&g->reading[2].import_wh), 1234750);
	CHECK_INTEQ(wh_of(&g->reading[2].export_wh), 12625);
	CHECK_INTEQ(g->reading[3].meter_time, DAY0_S + 4500);
	CHECK_INTEQ(wh_of(&g->reading[3].import_wh), 1234900);
	CHECK_INTEQ(g->nbad, 2);
	CHECK_INTEQ(g->bad_line[0], 6);
	CHECK(strstr(g->bad_why[0], "import: '.' in a number with decimal comma") != NULL);
	CHECK_INTEQ(g->bad_line[1], 7);
	CHECK(strstr(g->bad_why[1], "has no zone") != NULL);
	got_free(g);

	/* Import only: the export register stays unset. */
	register_config(&c);
	c.export.name = NULL;
	g = run(&c, in);
	CHECK_INTEQ(g->nreading, 4);
	CHECK(!g->reading[0].export_wh.set);
	CHECK_INTEQ(wh_of(&g->reading[0].import_wh), 1234567);
	got_free(g);
}

/* Register rows in Wh with fractions keep every digit; sub-second times are refused. */
static void test_register_exact(void)
{
	const char *in =
		"1727740800000,1581123.5,0\n"
		"1727740801500,1581124,0\n"
		"1727740803000,-1,0\n"
		"1727740804000,1581125,0.001\n";
	struct csvimport_config c;

	csvimport_config_default(&c);
	c.header = false;
	c.time_format = CSVIMPORT_TIME_UNIX_MS;
	c.time.number = 1;
	c.import.number = 2;
	c.export.number = 3;
	struct got *g = run(&c, in);
	CHECK_INTEQ(g->nreading, 2);
	CHECK_INTEQ(g->reading[0].import_wh.digits, 15811235);
	CHECK_INTEQ(g->reading[0].import_wh.exp, -1);
	CHECK_INTEQ(g->reading[1].meter_time, DAY0_S + 4);
	CHECK_INTEQ(g->reading[1].export_wh.digits, 1);
	CHECK_INTEQ(g->reading[1].export_wh.exp, -3);
	CHECK_INTEQ(g->nbad, 2);
	CHECK_INTEQ(g->bad_line[0], 2);
	CHECK(strstr(g->bad_why[0], "whole seconds") != NULL);
	CHECK_INTEQ(g->bad_line[1], 3);
	CHECK(strstr(g->bad_why[1], "import: negative: '-1'") != NULL);
	got_free(g);
}

/* Unix seconds without a header, energy in Wh per 15 min: the carry makes 0.5 + 0.5 one Wh. */
static void test_unix_seconds_energy(void)
{
	const char *in =
		"1727740800,100\n"
		"1727741700,250.5\n"
		"1727742600.000,0.5\n"
		"1727743500,0\n"
		"1727744400,1,2\n";     /* 3 columns where the first row had 2 */
	struct csvimport_config c;

	csvimport_config_default(&c);
	c.kind = CSVIMPORT_ENERGY;
	c.step_ms = 15 * MIN;
	c.header = false;
	c.time_format = CSVIMPORT_TIME_UNIX;
	c.time.number = 1;
	c.import.number = 2;
	struct got *g = run(&c, in);
	CHECK_INTEQ(g->nslot, 4);
	CHECK_INTEQ(g->slot[0].import_wh, 100);
	CHECK_INTEQ(g->slot[1].import_wh, 250);
	CHECK_INTEQ(g->slot[2].import_wh, 1);
	CHECK_INTEQ(g->slot[3].import_wh, 0);
	CHECK_INTEQ(g->slot[3].start_ms, T(0, 45));
	CHECK_INTEQ(g->slot[3].length_ms, 15 * MIN);
	CHECK_INTEQ(g->nbad, 1);
	CHECK_INTEQ(g->bad_line[0], 5);
	CHECK_STREQ(g->bad_why[0], "3 columns, want 2 as in the first row");
	got_free(g);

	/* kWh: 0.0005 kWh = 0.5 Wh. */
	c.unit = CSVIMPORT_KWH;
	g = run(&c, "1727740800,0.0005\n1727741700,0.0005\n1727742600,1.25\n");
	CHECK_INTEQ(g->nslot, 3);
	CHECK_INTEQ(g->slot[0].import_wh, 0);
	CHECK_INTEQ(g->slot[1].import_wh, 1);
	CHECK_INTEQ(g->slot[2].import_wh, 1250);
	got_free(g);
}

/* Quoted fields: delimiters, quotes, spaces and line breaks inside; line numbers stay physical. */
static void test_quoted(void)
{
	const char *in =
		"\"time\",\"import, Wh\",\"export \"\"PV\"\"\"\n"   /* 1 */
		"\"2024-10-01T00:00:00Z\",\" 10 \",\"2\"\n"          /* 2 */
		"\"2024-10-01T00:15:00Z\n\",5,0\n"                   /* 3-4: a line break in the time */
		"  2024-10-01T00:30:00Z , 7 , \"1\"  \n"             /* 5 */
		"\"2024-10-01T00:45:00Z\",\"3\",\"a\"\"b\"\n";       /* 6 */
	struct csvimport_config c;

	csvimport_config_default(&c);
	c.kind = CSVIMPORT_ENERGY;
	c.step_ms = 15 * MIN;
	c.time.name = "time";
	c.import.name = "import, wh";
	c.export.name = "export \"PV\"";
	struct got *g = run(&c, in);
	CHECK_INTEQ(g->rc, 0);
	CHECK_INTEQ(g->nslot, 2);
	CHECK_INTEQ(g->slot[0].import_wh, 10);
	CHECK_INTEQ(g->slot[0].export_wh, 2);
	CHECK_INTEQ(g->slot[0].net_wh, 8);
	CHECK_INTEQ(g->slot[0].registers, INTERVAL_IMPORT | INTERVAL_EXPORT);
	CHECK_INTEQ(g->slot[1].start_ms, T(0, 30));
	CHECK_INTEQ(g->slot[1].net_wh, 6);
	CHECK_INTEQ(g->ngap, 1);
	CHECK_INTEQ(g->gap_from[0], T(0, 15));
	CHECK_INTEQ(g->gap_to[0], T(0, 30));
	CHECK_INTEQ(g->nbad, 2);
	CHECK_INTEQ(g->bad_line[0], 3);
	CHECK(strstr(g->bad_why[0], "time: ") == g->bad_why[0]);
	CHECK(strstr(g->bad_why[0], "'2024-10-01T00:15:00Z?'") != NULL);
	CHECK_INTEQ(g->bad_line[1], 6);
	CHECK_STREQ(g->bad_why[1], "export: not a decimal number: 'a\"b'");
	got_free(g);
}

/* Every kind of bad row is reported with its line, and the rows around it still count. */
static void test_bad_rows(void)
{
	const char *in =
		"timestamp,import,export\n"         /* 1 */
		"2024-10-01T00:00:00Z,10,1\n"       /* 2 good */
		"2024-10-01T00:15:00Z,10\n"         /* 3 too few columns */
		"2024-10-01T00:15:00Z,,1\n"         /* 4 empty */
		"2024-10-01T00:15:00Z,abc,1\n"      /* 5 not a number */
		"2024-10-01T00:15:00+02:00x,1,1\n"  /* 6 bad time */
		"2024-10-01T00:15:00Z,-3,1\n"       /* 7 negative */
		"2024-10-01T00:15:00Z,1e3,1\n"      /* 8 exponent */
		",1,1\n"                            /* 9 no time */
		"2024-10-01T00:15:00Z,0.0000000001,0\n" /* 10: finer than 10^-9 Wh */
		"2024-10-01T00:15:00Z,9223372036854775807,0\n"  /* 11: too large */
		"2024-10-01T00:15:00Z,1,1,1\n"      /* 12 too many columns */
		"2024-10-01T00:15:00Z,5,2\n"        /* 13 good */
		"  \n"                              /* 14 blank */
		"\t\n"                              /* 15 blank */
		"2024-10-01T00:30:00Z,1" "0000000000000000000000000000000000000000000000000000000000000000,0\n" /* 16 */
		"2024-10-01T00:30:00Z,1.500000000000,0.000000001000\n";   /* 17 good: trailing zeros */
	struct csvimport_config c;

	csvimport_config_default(&c);
	c.kind = CSVIMPORT_ENERGY;
	c.step_ms = 15 * MIN;
	c.time.name = "timestamp";
	c.import.name = "import";
	c.export.name = "export";
	struct got *g = run(&c, in);
	static const unsigned long want_lines[] = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 16 };
	static const char *const want_why[] = {
		"2 columns, want 3 as in the header",
		"import: empty",
		"import: not a decimal number: 'abc'",
		"time: not an RFC 3339 time (want 2026-11-24T10:15:00Z): '2024-10-01T00:15:00+02:00x'",
		"import: negative: '-3'",
		"import: not a decimal number: '1e3'",
		"time: empty",
		"import: more than 9 decimals",
		"import: too large",
		"4 columns, want 3 as in the header",
		"import: longer than 63 bytes",
	};
	CHECK_INTEQ(g->nbad, 11);
	for (int i = 0; i < 11 && i < g->nbad; i++) {
		CHECK_INTEQ(g->bad_line[i], want_lines[i]);
		CHECK_STREQ(g->bad_why[i], want_why[i]);
	}
	CHECK_INTEQ(g->nslot, 3);
	CHECK_INTEQ(g->slot[0].net_wh, 9);
	CHECK_INTEQ(g->slot[1].start_ms, T(0, 15));
	CHECK_INTEQ(g->slot[1].net_wh, 3);
	CHECK_INTEQ(g->slot[2].import_wh, 1);     /* 1.5 Wh → 1, carry 0.5 */
	CHECK_INTEQ(g->slot[2].export_wh, 0);     /* 10^-9 Wh, exactly representable, carried */
	CHECK_INTEQ(g->ngap, 0);
	got_free(g);
}

/* Net power: misaligned, duplicate and out-of-order rows are bad; a missing slot is a gap, not a zero. */
static void test_order_and_gaps(void)
{
	const char *in =
		"t,p\n"
		"2024-10-01T00:00:00Z,400\n"        /* 2: 100 Wh import */
		"2024-10-01T00:15:00Z,-800\n"       /* 3: 200 Wh export */
		"2024-10-01T00:20:00Z,5\n"          /* 4: misaligned */
		"2024-10-01T00:15:00Z,1\n"          /* 5: duplicate */
		"2024-10-01T00:00:00Z,1\n"          /* 6: out of order */
		"2024-10-01T01:00:00Z,4\n"          /* 7: after a gap [00:30, 01:00): 1 Wh */
		"2024-10-01T01:15:00.5Z,4\n"        /* 8: misaligned by half a second */
		"2024-10-01T03:15:00+02:00,-2\n";   /* 9: 01:15Z: 0.5 Wh export */
	struct csvimport_config c;

	power_config(&c, 15 * MIN);
	c.time.name = "t";
	c.net.name = "p";
	struct got *g = run(&c, in);
	CHECK_INTEQ(g->nslot, 4);
	CHECK_INTEQ(g->slot[0].import_wh, 100);
	CHECK_INTEQ(g->slot[0].export_wh, 0);
	CHECK_INTEQ(g->slot[0].registers, INTERVAL_IMPORT | INTERVAL_EXPORT);
	CHECK_INTEQ(g->slot[1].import_wh, 0);
	CHECK_INTEQ(g->slot[1].export_wh, 200);
	CHECK_INTEQ(g->slot[1].net_wh, -200);
	CHECK_INTEQ(g->slot[2].start_ms, T(1, 0));
	CHECK_INTEQ(g->slot[2].net_wh, 1);
	CHECK_INTEQ(g->slot[3].start_ms, T(1, 15));
	CHECK_INTEQ(g->slot[3].export_wh, 0);      /* 0.5 Wh carried */
	CHECK_INTEQ(g->ngap, 1);
	CHECK_INTEQ(g->gap_from[0], T(0, 30));
	CHECK_INTEQ(g->gap_to[0], T(1, 0));
	CHECK_INTEQ(g->nbad, 4);
	CHECK_INTEQ(g->bad_line[0], 4);
	CHECK_STREQ(g->bad_why[0], "time 2024-10-01T00:20:00Z is not aligned to the 900 s step");
	CHECK_INTEQ(g->bad_line[1], 5);
	CHECK_STREQ(g->bad_why[1], "time 2024-10-01T00:15:00Z duplicates the previous row's");
	CHECK_INTEQ(g->bad_line[2], 6);
	CHECK_STREQ(g->bad_why[2], "time 2024-10-01T00:00:00Z is before the previous row's (out of order)");
	CHECK_INTEQ(g->bad_line[3], 8);
	/* The gap comes before the slot after it. */
	CHECK(strstr(buf_str(&g->log), "gap 1727742600000 1727744400000\nslot 1727744400000 ") != NULL);
	got_free(g);
}

/* Import and export integrate apart: each register's sum is the floor of its own exact total. */
static void test_carry_per_register(void)
{
	struct buf in = BUF_INIT;
	struct csvimport_config c;

	buf_puts(&in, "time;p\n");
	/* 3 W for 10 min is 0.5 Wh; -1.5 W is 0.25 Wh export. */
	for (int i = 0; i < 12; i++)
		buf_printf(&in, "%lld;%s\n", (long long)(DAY0_S + i * 600), i % 2 == 0 ? "3" : "-1,5");
	power_config(&c, 10 * MIN);
	c.delimiter = ';';
	c.decimal_comma = true;
	c.time_format = CSVIMPORT_TIME_UNIX;
	c.time.number = 1;
	c.net.name = "P";
	struct got *g = run(&c, buf_str(&in));
	CHECK_INTEQ(g->nslot, 12);
	CHECK_INTEQ(g->import_wh, 3);   /* 6 × 0.5 */
	CHECK_INTEQ(g->export_wh, 1);   /* ⌊6 × 0.25⌋ */
	CHECK_INTEQ(g->slot[0].import_wh, 0);
	CHECK_INTEQ(g->slot[2].import_wh, 1);
	CHECK_INTEQ(g->slot[7].export_wh, 1);
	got_free(g);
	buf_free(&in);
}

/* kW and a tab delimiter; a preamble skipped; Unix milliseconds. */
static void test_kw_tab_preamble(void)
{
	const char *in =
		"Export of meter 123\tfrom portal\n"
		"\n"
		"ms\tkW\n"
		"1727740800000\t1.2\n"
		"1727741700000\t0.0004\n"
		"1727742600000\t\t\n";
	struct csvimport_config c;

	power_config(&c, 15 * MIN);
	c.delimiter = '\t';
	c.skip_rows = 1;
	c.unit = CSVIMPORT_KW;
	c.time_format = CSVIMPORT_TIME_UNIX_MS;
	c.time.name = "ms";
	c.import.name = "kw";
	struct got *g = run(&c, in);
	CHECK_INTEQ(g->nslot, 2);
	CHECK_INTEQ(g->slot[0].import_wh, 300);     /* 1.2 kW × 0.25 h */
	CHECK_INTEQ(g->slot[1].import_wh, 0);       /* 0.1 Wh */
	CHECK_INTEQ(g->nbad, 1);
	CHECK_INTEQ(g->bad_line[0], 6);
	CHECK_STREQ(g->bad_why[0], "3 columns, want 2 as in the header");
	got_free(g);
}

static void check_init_error(const struct csvimport_config *c, const char *want)
{
	struct csvimport st;
	const char *why = NULL;

	CHECK_INTEQ(csvimport_init(&st, c, NULL, &why), -1);
	CHECK_STREQ(why != NULL ? why : "", want);
}

static void test_config_errors(void)
{
	struct csvimport_config c;

	csvimport_config_default(&c);
	c.import.number = 2;
	check_init_error(&c, "no time column");
	c.time.number = 1;
	c.net.number = 3;
	check_init_error(&c, "a net column excludes import and export columns");
	c.import.number = 0;
	check_init_error(&c, "a net column needs kind energy or power (registers are import and export)");
	c.net.number = 0;
	check_init_error(&c, "no value column (give import, export or net)");
	c.import.number = 1;
	check_init_error(&c, "the same column is given for two roles");
	c.import.number = 2;
	c.unit = CSVIMPORT_W;
	check_init_error(&c, "W and kW are units of power (kind power)");
	c.unit = CSVIMPORT_UNIT_DEFAULT;
	c.step_ms = 900000;
	check_init_error(&c, "a step applies to kinds energy and power only");
	c.kind = CSVIMPORT_POWER;
	c.step_ms = 0;
	check_init_error(&c, "kinds energy and power need a step");
	c.step_ms = 7 * MIN;
	check_init_error(&c, "the step must be whole seconds dividing a day");
	c.step_ms = 1500;
	check_init_error(&c, "the step must be whole seconds dividing a day");
	c.step_ms = 15 * MIN;
	c.unit = CSVIMPORT_KWH;
	check_init_error(&c, "Wh and kWh are units of energy (kind register or energy)");
	c.unit = CSVIMPORT_KW;
	c.decimal_comma = true;
	check_init_error(&c, "a decimal comma needs another delimiter than ','");
	c.delimiter = ' ';
	check_init_error(&c, "the delimiter must be ',', ';', tab or '|'");
	c.delimiter = '|';
	c.tz_offset_min = 60;
	check_init_error(&c, "a time-zone offset applies to local times only");
	c.time_format = CSVIMPORT_TIME_LOCAL;
	c.tz_offset_min = 1440;
	check_init_error(&c, "the time-zone offset is out of range");
	c.tz_offset_min = -1439;
	c.header = false;
	c.import.name = "power";
	c.import.number = 0;
	check_init_error(&c, "a column named by header text needs a header row");
	c.header = true;
	c.import.number = 2;
	check_init_error(&c, "a column is named or numbered, not both");
	c.import.number = 0;
	c.import.name = "";
	check_init_error(&c, "a column name is empty");
	c.import.name = "power";
	c.time.name = "POWER";
	c.time.number = 0;
	check_init_error(&c, "the same column is given for two roles");

	struct csvimport st;
	const char *why;
	c.time.name = "t";
	CHECK_INTEQ(csvimport_init(&st, &c, NULL, &why), 0);
	csvimport_free(&st);
}

/* A header that does not fit the config stops the import once, before any row. */
static void test_header_errors(void)
{
	struct csvimport_config c;

	power_config(&c, 15 * MIN);
	c.time.name = "time";
	c.import.name = "power";
	struct got *g = run(&c, "time,energy\n2024-10-01T00:00:00Z,1\n2024-10-01T00:15:00Z,1\n");
	CHECK_INTEQ(g->rc, -1);
	CHECK_STREQ(g->error, "the header has no column 'power'");
	CHECK_INTEQ(g->nslot, 0);
	CHECK_INTEQ(g->nbad, 0);
	got_free(g);

	g = run(&c, "time,power,Power\n2024-10-01T00:00:00Z,1,1\n");
	CHECK_INTEQ(g->rc, -1);
	CHECK_STREQ(g->error, "the header names column 'power' twice");
	got_free(g);

	c.import.name = NULL;
	c.import.number = 3;
	g = run(&c, "time,power\n2024-10-01T00:00:00Z,1\n");
	CHECK_STREQ(g->error, "column 3 of import is asked for, but the header has 2 columns");
	got_free(g);

	c.import.number = 1;
	g = run(&c, "time,power\n2024-10-01T00:00:00Z,1\n");
	CHECK_STREQ(g->error, "column 1 is given for both time and import");
	got_free(g);

	c.header = false;
	c.time.name = NULL;
	c.time.number = 1;
	c.import.number = 2;
	g = run(&c, "2024-10-01T00:00:00Z\n2024-10-01T00:15:00Z,1\n");
	CHECK_STREQ(g->error, "column 2 of import is asked for, but the first row has 1 columns");
	CHECK_INTEQ(g->nbad, 0);
	got_free(g);

	/* An empty input, or only a header, is no error and no output. */
	c.header = true;
	g = run(&c, "");
	CHECK_INTEQ(g->rc, 0);
	CHECK_STREQ(buf_str(&g->log), "");
	got_free(g);
	g = run(&c, "\xEF\xBB");        /* half a BOM is data: a one-field header */
	CHECK_INTEQ(g->rc, -1);
	got_free(g);
}

static void test_option_names(void)
{
	enum csvimport_kind kind = CSVIMPORT_REGISTER;
	enum csvimport_unit unit = CSVIMPORT_UNIT_DEFAULT;
	enum csvimport_time_format tf = CSVIMPORT_TIME_RFC3339;
	struct csvimport_column col;

	CHECK_INTEQ(csvimport_kind_parse(&kind, "power"), 0);
	CHECK_INTEQ(kind, CSVIMPORT_POWER);
	CHECK_INTEQ(csvimport_kind_parse(&kind, "volts"), -1);
	CHECK_INTEQ(csvimport_unit_parse(&unit, "kwh"), 0);
	CHECK_INTEQ(unit, CSVIMPORT_KWH);
	CHECK_INTEQ(csvimport_unit_parse(&unit, "W"), 0);
	CHECK_INTEQ(unit, CSVIMPORT_W);
	CHECK_INTEQ(csvimport_unit_parse(&unit, "MWh"), -1);
	CHECK_INTEQ(csvimport_time_format_parse(&tf, "unix-ms"), 0);
	CHECK_INTEQ(tf, CSVIMPORT_TIME_UNIX_MS);
	CHECK_INTEQ(csvimport_time_format_parse(&tf, "iso"), -1);
	CHECK_INTEQ(csvimport_column_parse(&col, "3"), 0);
	CHECK_INTEQ(col.number, 3);
	CHECK(col.name == NULL);
	CHECK_INTEQ(csvimport_column_parse(&col, "Bezug kWh"), 0);
	CHECK_STREQ(col.name, "Bezug kWh");
	CHECK_INTEQ(col.number, 0);
	CHECK_INTEQ(csvimport_column_parse(&col, "2a"), 0);
	CHECK_STREQ(col.name, "2a");
	CHECK_INTEQ(csvimport_column_parse(&col, "0"), -1);
	CHECK_INTEQ(csvimport_column_parse(&col, ""), -1);
	CHECK_INTEQ(csvimport_column_parse(&col, "99999999999999999999"), -1);
}

int main(void)
{
	test_emhass_power();
	test_emhass_bom_crlf();
	test_register_semicolon_kwh();
	test_register_exact();
	test_unix_seconds_energy();
	test_quoted();
	test_bad_rows();
	test_order_and_gaps();
	test_carry_per_register();
	test_kw_tab_preamble();
	test_config_errors();
	test_header_errors();
	test_option_names();
	return check_done("test_csvimport");
}
