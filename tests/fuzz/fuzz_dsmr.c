/*
 * libFuzzer target for the DSMR framer and parser: any bytes as a P1 stream.
 * Properties: no crash or leak; the framer yields the same events whatever
 * the chunking; every frame is parsed with and without the CRC; a frame
 * that parses with its CRC checked, framed and parsed again on its own,
 * gives the same frame and the same values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dsmr.h"
#include "reading.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct record {
	enum dsmr_event_kind kind;
	uint64_t offset;
	size_t len;
	uint32_t crc;           /* of a frame's bytes */
};

struct log {
	struct record rec[256];
	int n;
	bool overflow;
	uint64_t last_offset;
};

static void parse_both(const char *p, size_t len)
{
	struct reading a, b;
	size_t off;
	const char *why;

	int checked = dsmr_parse(&a, p, len, false, &off, &why);
	if (checked < 0 && off > len)
		abort();
	int unchecked = dsmr_parse(&b, p, len, true, &off, &why);
	/* What passes with the CRC passes without it, with the same values, unchecked. */
	if (checked == 0) {
		if (unchecked != 0 || b.checked)
			abort();
		b.checked = a.checked;
		if (memcmp(&a, &b, sizeof a) != 0)
			abort();
	}
}

static void framed_alone(const struct dsmr_event *ev, void *arg)
{
	struct log *lg = arg;

	lg->n++;
	if (ev->kind != DSMR_FRAME)
		abort();
}

/* A good frame framed again on its own: one frame, the same bytes, the same values. */
static void reframe(const char *p, size_t len, const struct reading *want)
{
	static struct dsmr_framer f;
	struct log lg = { .n = 0 };
	struct reading r;
	size_t off;
	const char *why;

	dsmr_framer_init(&f, framed_alone, &lg);
	dsmr_framer_feed(&f, p, len);
	dsmr_framer_finish(&f);
	if (lg.n != 1)
		abort();
	if (dsmr_parse(&r, p, len, false, &off, &why) != 0 || memcmp(&r, want, sizeof r) != 0)
		abort();
}

static void on_event(const struct dsmr_event *ev, void *arg)
{
	struct log *lg = arg;
	struct reading r;
	size_t off;
	const char *why;

	if (ev->offset < lg->last_offset)
		abort();
	lg->last_offset = ev->offset;
	if (lg->n < 256)
		lg->rec[lg->n++] = (struct record){ ev->kind, ev->offset, ev->len,
			                                ev->kind == DSMR_FRAME ? dsmr_crc16(0, ev->data, ev->len) : 0 };
	else
		lg->overflow = true;
	if (ev->kind != DSMR_FRAME)
		return;
	if (ev->len == 0 || ev->len > DSMR_MAX_TELEGRAM || ev->data[0] != '/' || ev->data[ev->len - 1] != '\n')
		abort();
	parse_both(ev->data, ev->len);
	if (dsmr_parse(&r, ev->data, ev->len, false, &off, &why) == 0)
		reframe(ev->data, ev->len, &r);
}

static void run(struct log *lg, const uint8_t *data, size_t size, uint8_t seed)
{
	static struct dsmr_framer f;
	size_t i = 0;
	unsigned step = seed;

	memset(lg, 0, sizeof *lg);
	dsmr_framer_init(&f, on_event, lg);
	while (i < size) {
		size_t n = seed == 0 ? size : 1 + (step = step * 31 + 7) % 97;
		if (n > size - i)
			n = size - i;
		dsmr_framer_feed(&f, data + i, n);
		i += n;
	}
	dsmr_framer_finish(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct log whole, chunked;

	parse_both((const char *)data, size);
	run(&whole, data, size, 0);
	run(&chunked, data, size, size > 0 ? (uint8_t)(data[0] | 1) : 1);
	if (whole.n != chunked.n || whole.overflow != chunked.overflow)
		abort();
	for (int i = 0; i < whole.n; i++) {
		const struct record *a = &whole.rec[i], *b = &chunked.rec[i];
		if (a->kind != b->kind || a->offset != b->offset || a->len != b->len || a->crc != b->crc)
			abort();
	}
	return 0;
}
