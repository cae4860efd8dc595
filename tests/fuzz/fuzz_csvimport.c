/*
 * libFuzzer target for the CSV import. The first three bytes choose the
 * config (kind, delimiter, header, decimal comma, unit, columns by name or
 * number, time format, step, preamble) and the chunking; the rest is the
 * file. Properties: no crash or leak; feeding in chunks of varying sizes
 * gives exactly the calls that feeding it whole gives; every slot is
 * aligned, later than the last, complete, non-negative and net = import −
 * export; gaps lie between slots on the grid; readings go forward in whole
 * seconds; bad-row lines are at least 1 and never go back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "csvimport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	struct buf log;
	const struct csvimport_config *config;
	int64_t last_ms;                /* the last slot's end, or reading's time */
	bool started;
	unsigned long last_bad_line;
};

static void require(int ok)
{
	if (!ok)
		abort();
}

static void on_slot(void *arg, const struct interval_slot *s)
{
	struct seen *v = arg;
	int64_t step = v->config->step_ms;

	require(s->length_ms == step && s->covered_ms == step && s->flags == INTERVAL_FLAG_COMPLETE);
	require(s->start_ms % step == 0 && (!v->started || s->start_ms >= v->last_ms));
	require(s->import_wh >= 0 && s->export_wh >= 0 && s->net_wh == s->import_wh - s->export_wh);
	require(s->registers != 0 && (s->registers & ~(INTERVAL_IMPORT | INTERVAL_EXPORT)) == 0);
	v->started = true;
	v->last_ms = s->start_ms + step;
	buf_printf(&v->log, "s %lld %lld %lld %u\n", (long long)s->start_ms, (long long)s->import_wh,
	           (long long)s->export_wh, s->registers);
}

static void on_gap(void *arg, int64_t from_ms, int64_t to_ms)
{
	struct seen *v = arg;

	require(v->started && from_ms == v->last_ms && to_ms > from_ms && to_ms % v->config->step_ms == 0);
	buf_printf(&v->log, "g %lld %lld\n", (long long)from_ms, (long long)to_ms);
}

static void on_reading(void *arg, const struct reading *r)
{
	struct seen *v = arg;
	int64_t t_ms = r->meter_time * 1000;

	require(r->has_meter_time && !r->checked && strcmp(r->protocol, "csv") == 0);
	require(r->import_wh.set || r->export_wh.set);
	require(!v->started || t_ms > v->last_ms);
	v->started = true;
	v->last_ms = t_ms;
	buf_printf(&v->log, "r %lld ", (long long)r->meter_time);
	if (r->import_wh.set)
		decimal_format(&v->log, &r->import_wh);
	buf_putc(&v->log, ' ');
	if (r->export_wh.set)
		decimal_format(&v->log, &r->export_wh);
	buf_putc(&v->log, '\n');
}

static void on_bad_row(void *arg, unsigned long line, const char *why)
{
	struct seen *v = arg;

	require(line >= 1 && line >= v->last_bad_line && why != NULL && why[0] != '\0');
	v->last_bad_line = line;
	buf_printf(&v->log, "b %lu %s\n", line, why);
}

static void config_from(struct csvimport_config *c, uint8_t a, uint8_t b)
{
	static const char delimiters[] = { ',', ';', '\t', '|' };
	static const int64_t steps[] = { 900000, 1800000, 3600000, 1000 };
	bool names = (a & 0x80) != 0;
	int columns = (b >> 2) & 3;

	csvimport_config_default(c);
	c->kind = (a & 3) == 3 ? CSVIMPORT_POWER : (enum csvimport_kind)(a & 3);
	c->delimiter = delimiters[(a >> 2) & 3];
	c->header = (a & 0x10) != 0 || names;
	c->decimal_comma = (a & 0x20) != 0 && c->delimiter != ',';
	if ((a & 0x40) != 0)
		c->unit = c->kind == CSVIMPORT_POWER ? CSVIMPORT_KW : CSVIMPORT_KWH;
	c->time_format = (enum csvimport_time_format)(b & 3);
	if (c->kind != CSVIMPORT_REGISTER)
		c->step_ms = steps[(b >> 4) & 3];
	c->skip_rows = (b >> 6) & 1;
	if ((b & 0x80) != 0 && c->time_format == CSVIMPORT_TIME_LOCAL)
		c->tz_offset_min = 120;
	if (columns == 2 && c->kind == CSVIMPORT_REGISTER)
		columns = 1;
	c->time = names ? (struct csvimport_column){ "timestamp", 0 } : (struct csvimport_column){ NULL, 1 };
	struct csvimport_column second = names ? (struct csvimport_column){ "value", 0 } : (struct csvimport_column){ NULL, 2 };
	struct csvimport_column third = names ? (struct csvimport_column){ "export", 0 } : (struct csvimport_column){ NULL, 3 };
	if (columns == 0 || columns == 1)
		c->import = second;
	if (columns == 1)
		c->export = third;
	if (columns == 2)
		c->net = second;
	if (columns == 3)
		c->export = second;
}

/* Feeds text in chunks whose sizes follow a small generator seeded by seed (0: whole). */
static void run(const struct csvimport_config *c, const char *text, size_t len, unsigned seed, struct buf *out)
{
	struct seen v = { BUF_INIT, c, 0, false, 0 };
	struct csvimport_sink sink = { on_reading, on_slot, on_gap, on_bad_row, &v };
	struct csvimport st;
	const char *why;
	int rc = 0;

	require(csvimport_init(&st, c, &sink, &why) == 0);
	for (size_t off = 0; off < len;) {
		size_t n = len - off;
		if (seed != 0) {
			seed = seed * 1103515245u + 12345u;
			size_t want = 1 + (seed >> 16) % 17;
			n = n < want ? n : want;
		}
		rc |= csvimport_feed(&st, text + off, n);
		off += n;
	}
	rc |= csvimport_finish(&st);
	require((rc != 0) == (csvimport_error(&st) != NULL));
	buf_printf(&v.log, "end %d %s\n", rc, rc != 0 ? csvimport_error(&st) : "");
	csvimport_free(&st);
	*out = v.log;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csvimport_config c;
	struct buf whole, chunked;

	if (size < 3 || size > 65536)
		return 0;
	config_from(&c, data[0], data[1]);
	const char *text = (const char *)data + 3;
	size_t len = size - 3;
	run(&c, text, len, 0, &whole);
	run(&c, text, len, data[2] | 0x100u, &chunked);
	require(whole.len == chunked.len && memcmp(buf_str(&whole), buf_str(&chunked), whole.len) == 0);
	buf_free(&whole);
	buf_free(&chunked);
	return 0;
}
