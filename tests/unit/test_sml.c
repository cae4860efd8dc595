/*
 * SML: the CRC against libsml's, the EMH frame's values (tests/fixtures/
 * SOURCES.md), the DNT stream (two frames, then a partial one that is rejected,
 * not merged), chunked feeding, escapes, resynchronisation, CRC failures at
 * frame and message level, --no-crc, scaler/unit/sign handling on edited
 * frames, and a corruption loop: thousands of damaged streams, where every
 * frame that passes decodes to exactly an original reading and every frame
 * left undamaged is still read.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sml/sml_crc16.h>

#include "buf.h"
#include "check.h"
#include "diag.h"
#include "reading.h"
#include "sml.h"
#include "xio.h"

#define MAX_SPANS 64

struct spans {
	size_t n;
	struct sml_span span[MAX_SPANS];
	uint8_t body[MAX_SPANS][1024];   /* copies: a span's body is borrowed */
	uint8_t raw[MAX_SPANS][1024];
};

static void collect(const struct sml_span *span, void *arg)
{
	struct spans *s = arg;

	if (s->n >= MAX_SPANS)
		return;
	s->span[s->n] = *span;
	if (span->body != NULL && span->body_len <= sizeof s->body[0]) {
		memcpy(s->body[s->n], span->body, span->body_len);
		s->span[s->n].body = s->body[s->n];
	}
	if (span->raw != NULL && span->size <= sizeof s->raw[0]) {
		memcpy(s->raw[s->n], span->raw, span->size);
		s->span[s->n].raw = s->raw[s->n];
	}
	s->n++;
}

/* Feeds data in pieces of chunk bytes (0: at once) to a fresh framer. */
static void frame_all(struct spans *s, const uint8_t *data, size_t len, size_t chunk, bool no_crc, size_t max)
{
	struct sml_framer f;

	memset(s, 0, sizeof *s);
	sml_framer_init(&f, max);
	f.no_crc = no_crc;
	for (size_t off = 0; off < len;) {
		size_t n = chunk && len - off > chunk ? chunk : len - off;
		sml_framer_feed(&f, data + off, n, collect, s);
		off += n;
	}
	sml_framer_finish(&f, collect, s);
	sml_framer_free(&f);
}

static int load(struct buf *out, const char *name)
{
	char path[256];

	buf_reset(out);
	snprintf(path, sizeof path, "tests/fixtures/sml/%s", name);
	if (read_file(path, out, 1 << 20) < 0) {
		printf("cannot read fixture '%s': %s\n", path, strerror(errno));
		check_failed++;
		return -1;
	}
	return 0;
}

static const uint8_t *bytes(const struct buf *b)
{
	return (const uint8_t *)b->data;
}

/* A decimal as "digits e exp", or "unset". */
static const char *dec(const struct decimal *d)
{
	static char ring[8][48];
	static int next;
	char *s = ring[next++ % 8];

	if (!d->set)
		return "unset";
	snprintf(s, sizeof ring[0], "%lld e%d", (long long)d->digits, d->exp);
	return s;
}

#define CHECK_DEC(d, want) CHECK_STREQ(dec(&(d)), want)

static bool same_decimal(const struct decimal *a, const struct decimal *b)
{
	return a->set == b->set && (!a->set || (a->digits == b->digits && a->exp == b->exp));
}

/* Every field a decoder fills, compared exactly (memcmp would see padding). */
static bool same_reading(const struct reading *a, const struct reading *b)
{
	bool same = a->protocol == b->protocol && strcmp(a->meter_id, b->meter_id) == 0 &&
		strcmp(a->model, b->model) == 0 && strcmp(a->version, b->version) == 0 &&
		a->has_meter_time == b->has_meter_time && a->meter_time == b->meter_time &&
		a->checked == b->checked && a->tariffs == b->tariffs && a->tariff == b->tariff &&
		a->phases == b->phases && a->nmbus == b->nmbus &&
		same_decimal(&a->import_wh, &b->import_wh) && same_decimal(&a->export_wh, &b->export_wh) &&
		same_decimal(&a->power_import_w, &b->power_import_w) &&
		same_decimal(&a->power_export_w, &b->power_export_w);

	for (int i = 0; i < READING_TARIFFS; i++)
		same = same && same_decimal(&a->import_tariff_wh[i], &b->import_tariff_wh[i]) &&
			same_decimal(&a->export_tariff_wh[i], &b->export_tariff_wh[i]);
	for (int i = 0; i < READING_PHASES; i++)
		same = same && same_decimal(&a->phase[i].voltage_v, &b->phase[i].voltage_v) &&
			same_decimal(&a->phase[i].current_a, &b->phase[i].current_a) &&
			same_decimal(&a->phase[i].power_import_w, &b->phase[i].power_import_w) &&
			same_decimal(&a->phase[i].power_export_w, &b->phase[i].power_export_w);
	return same;
}

/* ---- building frames, as a meter would ---- */

/* The transport encoding of an SML file: start, escaped data, padding, end, CRC. */
static void encode_frame(struct buf *out, const uint8_t *file, size_t len)
{
	static const uint8_t start[8] = { 0x1b, 0x1b, 0x1b, 0x1b, 1, 1, 1, 1 };
	static const uint8_t escape[4] = { 0x1b, 0x1b, 0x1b, 0x1b };
	size_t padding = (4 - len % 4) % 4;
	uint8_t block[4];

	buf_reset(out);
	buf_append(out, start, 8);
	for (size_t off = 0; off < len + padding; off += 4) {
		for (size_t i = 0; i < 4; i++)
			block[i] = off + i < len ? file[off + i] : 0;
		if (memcmp(block, escape, 4) == 0)
			buf_append(out, escape, 4);
		buf_append(out, block, 4);
	}
	buf_append(out, escape, 4);
	buf_putc(out, 0x1a);
	buf_putc(out, (char)padding);
	uint16_t crc = sml_crc16_x25(bytes(out), out->len);
	buf_putc(out, (char)(crc & 0xff));
	buf_putc(out, (char)(crc >> 8));
}

/* The offset past the SML element at off (a generic walk), or 0. */
static size_t skip(const uint8_t *p, size_t len, size_t off)
{
	size_t n, tl = 1;

	if (off >= len)
		return 0;
	n = p[off] & 15;
	while (p[off + tl - 1] & 0x80) {
		if (off + tl >= len)
			return 0;
		n = n << 4 | (p[off + tl] & 15);
		tl++;
	}
	if ((p[off] & 0x70) == 0x70) {
		off += tl;
		for (size_t i = 0; i < n && off; i++)
			off = skip(p, len, off);
		return off;
	}
	if (n == 0)
		return off + 1;
	return n < tl || n > len - off ? 0 : off + n;
}

/* Sets every message's crc16 right after an edit. */
static void fix_message_crcs(uint8_t *p, size_t len)
{
	for (size_t off = 0; off < len;) {
		size_t start = off;
		if (p[off] != 0x76) {
			off++;
			continue;
		}
		off++;
		for (int i = 0; i < 4 && off; i++)
			off = skip(p, len, off);
		if (off == 0 || len - off < 3)
			return;
		uint16_t crc = sml_crc16_x25(p + start, off - start);
		p[off + 1] = (uint8_t)crc;
		p[off + 2] = (uint8_t)(crc >> 8);
		off += 4;
	}
}

/* The EMH frame's SML file (escapes and padding removed), by the framer. */
static size_t emh_file(uint8_t *file, size_t cap)
{
	struct buf b = BUF_INIT;
	struct spans *s = calloc(1, sizeof *s);
	size_t len = 0;

	if (load(&b, "emh_ed300_single_frame.bin") == 0) {
		frame_all(s, bytes(&b), b.len, 0, false, 0);
		if (s->n == 1 && s->span[0].body_len <= cap) {
			len = s->span[0].body_len;
			memcpy(file, s->span[0].body, len);
		}
	}
	free(s);
	buf_free(&b);
	return len;
}

/* Replaces the first occurrence of from[] in file by to[] (same length). */
static bool patch(uint8_t *file, size_t len, const uint8_t *from, const uint8_t *to, size_t n)
{
	for (size_t i = 0; i + n <= len; i++) {
		if (memcmp(file + i, from, n) == 0) {
			memcpy(file + i, to, n);
			return true;
		}
	}
	return false;
}

/* Frames an edited file and decodes it through the framer. */
static int decode_edited(uint8_t *file, size_t len, struct reading *r, const char **why)
{
	struct buf frame = BUF_INIT;
	struct spans *s = calloc(1, sizeof *s);
	int rc = -1;

	fix_message_crcs(file, len);
	encode_frame(&frame, file, len);
	frame_all(s, bytes(&frame), frame.len, 0, false, 0);
	*why = "not one frame";
	if (s->n == 1 && s->span[0].kind == SML_SPAN_FRAME)
		rc = sml_decode_frame(&s->span[0], r, why);
	free(s);
	buf_free(&frame);
	return rc;
}

/* ---- the tests ---- */

static void test_crc(void)
{
	struct buf b = BUF_INIT;

	CHECK_INTEQ(sml_crc16_x25((const uint8_t *)"123456789", 9), 0x906e);   /* CRC-16/X-25 check value */
	if (load(&b, "emh_ed300_single_frame.bin") < 0)
		return;
	/* libsml's sml_crc16_calculate() is the same CRC with its two bytes swapped. */
	uint16_t mine = sml_crc16_x25(bytes(&b), b.len - 2);
	uint16_t theirs = sml_crc16_calculate((unsigned char *)b.data, (int)b.len - 2);
	CHECK_INTEQ(theirs, (uint16_t)(mine << 8 | mine >> 8));
	/* On the wire: low byte first. */
	CHECK_INTEQ(bytes(&b)[b.len - 2], mine & 0xff);
	CHECK_INTEQ(bytes(&b)[b.len - 1], mine >> 8);
	buf_free(&b);
}

static void check_emh(const struct reading *r)
{
	CHECK_STREQ(r->protocol, "sml");
	CHECK(r->checked);
	CHECK_STREQ(r->model, "EMH");
	CHECK_STREQ(r->meter_id, "0901454d48000041f045");
	/* 1-0:1.8.0 and 1.8.1 = raw 0x0009247a55 Wh, scaler -1: 15338555.7 Wh = 15338.5557 kWh. */
	CHECK_DEC(r->import_wh, "153385557 e-1");
	CHECK_DEC(r->import_tariff_wh[0], "153385557 e-1");
	CHECK_DEC(r->import_tariff_wh[1], "0 e-1");
	CHECK_INTEQ(r->tariffs, 2);
	CHECK_DEC(r->export_wh, "unset");
	/* 1-0:16.7.0 = 0x1603 W, scaler -1: 563.5 W of import. */
	CHECK_DEC(r->power_import_w, "5635 e-1");
	CHECK_DEC(r->power_export_w, "0 e0");
	CHECK_INTEQ(r->phases, 0);
	CHECK(!r->has_meter_time);      /* the EMH sends a seconds index, not a clock */

	struct buf text = BUF_INIT;
	decimal_format(&text, &r->import_wh);
	CHECK_STREQ(buf_str(&text), "15338555.7");
	buf_free(&text);
}

static void test_emh_frame(void)
{
	struct buf b = BUF_INIT;
	struct spans *s = calloc(1, sizeof *s);
	struct reading r;
	const char *why = NULL;

	if (load(&b, "emh_ed300_single_frame.bin") == 0) {
		frame_all(s, bytes(&b), b.len, 0, false, 0);
		CHECK_INTEQ(s->n, 1);
		CHECK_INTEQ(s->span[0].kind, SML_SPAN_FRAME);
		CHECK_INTEQ(s->span[0].offset, 0);
		CHECK_INTEQ(s->span[0].size, 332);
		CHECK_INTEQ(s->span[0].body_len, 332 - 16 - 3);   /* three padding bytes */
		CHECK(s->span[0].checked);
		CHECK_INTEQ(sml_decode_frame(&s->span[0], &r, &why), 0);
		check_emh(&r);

		/* The framer's body, framed again as a meter does, is the capture itself. */
		struct buf again = BUF_INIT;
		encode_frame(&again, s->span[0].body, s->span[0].body_len);
		CHECK(again.len == b.len && memcmp(again.data, b.data, b.len) == 0);
		buf_free(&again);
	}
	free(s);
	buf_free(&b);
}

static void check_dnt(const struct reading *r)
{
	CHECK_STREQ(r->model, "DNT");
	CHECK_STREQ(r->meter_id, "0901444e540100002030");
	CHECK_DEC(r->import_wh, "unset");            /* this DNT sends 2.8.x only */
	CHECK_DEC(r->export_wh, "43730 e-1");
	CHECK_DEC(r->export_tariff_wh[0], "43730 e-1");
	CHECK_DEC(r->export_tariff_wh[1], "0 e-1");
	CHECK_INTEQ(r->tariffs, 2);
	CHECK_DEC(r->power_import_w, "unset");       /* 15.7.0 (absolute power) is not a signed power */
}

static void test_dnt_stream(void)
{
	struct buf b = BUF_INIT, emh = BUF_INIT;
	struct spans *s = calloc(1, sizeof *s);
	struct reading r;
	const char *why;

	if (load(&b, "dnt_stream_2frames_plus_partial.bin") == 0 && load(&emh, "emh_ed300_single_frame.bin") == 0) {
		frame_all(s, bytes(&b), b.len, 0, false, 0);
		CHECK_INTEQ(s->n, 3);
		for (int i = 0; i < 2; i++) {
			CHECK_INTEQ(s->span[i].kind, SML_SPAN_FRAME);
			CHECK_INTEQ(s->span[i].offset, 324 * i);
			CHECK_INTEQ(s->span[i].size, 324);
			CHECK_INTEQ(sml_decode_frame(&s->span[i], &r, &why), 0);
			check_dnt(&r);
		}
		CHECK_INTEQ(s->span[2].kind, SML_SPAN_REJECT);
		CHECK_INTEQ(s->span[2].offset, 648);
		CHECK_INTEQ(s->span[2].size, 88);
		CHECK_STREQ(s->span[2].why, "frame cut short by the end of input");

		/* The partial frame followed by a whole one: rejected, not merged into it. */
		buf_append(&b, emh.data, emh.len);
		frame_all(s, bytes(&b), b.len, 0, false, 0);
		CHECK_INTEQ(s->n, 4);
		CHECK_INTEQ(s->span[2].kind, SML_SPAN_REJECT);
		CHECK_INTEQ(s->span[2].size, 88);
		CHECK_STREQ(s->span[2].why, "frame cut short by the next frame start");
		CHECK_INTEQ(s->span[3].kind, SML_SPAN_FRAME);
		CHECK_INTEQ(s->span[3].offset, 736);
		CHECK_INTEQ(sml_decode_frame(&s->span[3], &r, &why), 0);
		check_emh(&r);
	}
	free(s);
	buf_free(&b);
	buf_free(&emh);
}

static bool same_spans(const struct spans *a, const struct spans *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct sml_span *x = &a->span[i], *y = &b->span[i];
		if (x->kind != y->kind || x->offset != y->offset || x->size != y->size || x->body_len != y->body_len ||
		    (x->body_len && memcmp(x->body, y->body, x->body_len) != 0))
			return false;
	}
	return true;
}

static void test_chunked(void)
{
	struct buf dnt = BUF_INIT, emh = BUF_INIT, all = BUF_INIT;
	struct spans *whole = calloc(1, sizeof *whole), *piece = calloc(1, sizeof *piece);

	if (load(&dnt, "dnt_stream_2frames_plus_partial.bin") == 0 && load(&emh, "emh_ed300_single_frame.bin") == 0) {
		buf_append(&all, "junk\x1b\x1b", 6);
		buf_append(&all, emh.data, emh.len);
		buf_append(&all, dnt.data, dnt.len);
		buf_append(&all, emh.data, emh.len);
		frame_all(whole, bytes(&all), all.len, 0, false, 0);
		CHECK_INTEQ(whole->n, 6);     /* junk, EMH, DNT, DNT, cut DNT, EMH */
		static const size_t chunks[] = { 1, 2, 3, 5, 7, 64, 333 };
		for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
			frame_all(piece, bytes(&all), all.len, chunks[k], false, 0);
			if (!same_spans(whole, piece))
				printf("  chunks of %zu bytes differ\n", chunks[k]);
			CHECK(same_spans(whole, piece));
		}
	}
	free(whole);
	free(piece);
	buf_free(&dnt);
	buf_free(&emh);
	buf_free(&all);
}

static void test_crc_failure(void)
{
	struct buf b = BUF_INIT;
	struct spans *s = calloc(1, sizeof *s);
	struct reading r;
	const char *why;

	if (load(&b, "emh_ed300_single_frame.bin") == 0) {
		b.data[0x9e] ^= 0x01;    /* inside 1.8.0's value */
		frame_all(s, bytes(&b), b.len, 0, false, 0);
		CHECK_INTEQ(s->n, 1);
		CHECK_INTEQ(s->span[0].kind, SML_SPAN_REJECT);
		CHECK_STREQ(s->span[0].why, "crc mismatch");
		CHECK_INTEQ(s->span[0].size, 332);

		/* --no-crc lets the frame through, unchecked; the message's own CRC still refuses it. */
		frame_all(s, bytes(&b), b.len, 0, true, 0);
		CHECK_INTEQ(s->span[0].kind, SML_SPAN_FRAME);
		CHECK(!s->span[0].checked);
		CHECK_INTEQ(sml_decode_frame(&s->span[0], &r, &why), -1);
		CHECK_STREQ(why, "crc mismatch in an SML message");

		/* Damage to the padding only: with --no-crc the values are read, marked unchecked. */
		b.data[0x9e] ^= 0x01;
		b.data[0x142] = 0x55;
		frame_all(s, bytes(&b), b.len, 0, true, 0);
		CHECK_INTEQ(s->span[0].kind, SML_SPAN_FRAME);
		CHECK_INTEQ(sml_decode_frame(&s->span[0], &r, &why), 0);
		CHECK(!r.checked);
		CHECK_DEC(r.import_wh, "153385557 e-1");
	}
	free(s);
	buf_free(&b);
}

static void test_message_crc(void)
{
	uint8_t file[512];
	size_t len = emh_file(file, sizeof file);
	struct buf frame = BUF_INIT;
	struct spans *s = calloc(1, sizeof *s);
	struct reading r;
	const char *why;

	/* A value changed and the frame CRC made right: libsml alone would read 15338555.8 Wh. */
	CHECK(patch(file, len, (const uint8_t[]){ 0x00, 0x09, 0x24, 0x7a, 0x55 }, (const uint8_t[]){ 0x00, 0x09, 0x24, 0x7a, 0x56 }, 5));
	encode_frame(&frame, file, len);
	frame_all(s, bytes(&frame), frame.len, 0, false, 0);
	CHECK_INTEQ(s->span[0].kind, SML_SPAN_FRAME);
	CHECK_INTEQ(sml_decode_frame(&s->span[0], &r, &why), -1);
	CHECK_STREQ(why, "crc mismatch in an SML message");
	CHECK_DEC(r.import_wh, "unset");
	free(s);
	buf_free(&frame);
}

static void test_escapes(void)
{
	uint8_t file[512];
	size_t len = emh_file(file, sizeof file);
	struct buf frame = BUF_INIT;
	struct spans *s = calloc(1, sizeof *s);
	struct reading r;
	const char *why;

	/* An aligned 1b1b1b1b in the data (here the open response's transaction id) is sent twice. */
	CHECK_INTEQ(file[1], 0x07);
	memset(file + 4, 0x1b, 4);
	fix_message_crcs(file, len);
	encode_frame(&frame, file, len);
	CHECK_INTEQ(frame.len, 332 + 4);
	frame_all(s, bytes(&frame), frame.len, 0, false, 0);
	CHECK_INTEQ(s->n, 1);
	CHECK_INTEQ(s->span[0].kind, SML_SPAN_FRAME);
	CHECK(s->span[0].body_len == len && memcmp(s->span[0].body, file, len) == 0);
	CHECK_INTEQ(sml_decode_frame(&s->span[0], &r, &why), 0);
	check_emh(&r);

	/* Transport version 2 escapes (1b1b1b1b 02…) are not spoken. */
	static const uint8_t v2[] = { 0x1b, 0x1b, 0x1b, 0x1b, 1, 1, 1, 1, 'a', 'b', 'c', 'd',
		0x1b, 0x1b, 0x1b, 0x1b, 2, 0, 0, 0, 'e', 'f', 'g', 'h' };
	frame_all(s, v2, sizeof v2, 0, false, 0);
	CHECK_INTEQ(s->n, 2);
	CHECK_STREQ(s->span[0].why, "unsupported escape sequence");
	CHECK_INTEQ(s->span[0].size, 20);
	CHECK_INTEQ(s->span[1].kind, SML_SPAN_JUNK);

	/* A padding count above 3. */
	encode_frame(&frame, (const uint8_t *)"abcdefgh", 8);
	frame.data[frame.len - 3] = 5;
	frame_all(s, bytes(&frame), frame.len, 0, true, 0);
	CHECK_INTEQ(s->n, 1);
	CHECK_STREQ(s->span[0].why, "bad padding count in the end sequence");
	free(s);
	buf_free(&frame);
}

static void test_resync(void)
{
	struct buf emh = BUF_INIT, dnt = BUF_INIT, all = BUF_INIT;
	struct spans *s = calloc(1, sizeof *s);

	if (load(&emh, "emh_ed300_single_frame.bin") < 0 || load(&dnt, "dnt_stream_2frames_plus_partial.bin") < 0)
		goto out;
	/* A reader joining late: the tail of a frame, with bytes that look like an escape. */
	buf_append(&all, "\x01\x1a\x1b\x1b\x1b", 5);
	buf_append(&all, emh.data, emh.len);
	frame_all(s, bytes(&all), all.len, 0, false, 0);
	CHECK_INTEQ(s->n, 2);
	CHECK_INTEQ(s->span[0].kind, SML_SPAN_JUNK);
	CHECK_INTEQ(s->span[0].size, 5);
	CHECK_INTEQ(s->span[1].kind, SML_SPAN_FRAME);
	CHECK_INTEQ(s->span[1].offset, 5);

	/* A frame cut at an odd length: the next start is not aligned to it, and is still found. */
	buf_reset(&all);
	buf_append(&all, emh.data, 101);
	buf_append(&all, dnt.data, 324);
	frame_all(s, bytes(&all), all.len, 0, false, 0);
	CHECK_INTEQ(s->n, 2);
	CHECK_INTEQ(s->span[0].kind, SML_SPAN_REJECT);
	CHECK_INTEQ(s->span[0].size, 101);
	CHECK_STREQ(s->span[0].why, "frame cut short by the next frame start");
	CHECK_INTEQ(s->span[1].kind, SML_SPAN_FRAME);
	CHECK_INTEQ(s->span[1].offset, 101);

	/* Two frames glued: the head of one, the tail of the other; nothing passes. */
	buf_reset(&all);
	buf_append(&all, emh.data, 160);
	buf_append(&all, dnt.data + 160, 164);
	frame_all(s, bytes(&all), all.len, 0, false, 0);
	CHECK_INTEQ(s->n, 1);
	CHECK_INTEQ(s->span[0].kind, SML_SPAN_REJECT);
	CHECK_STREQ(s->span[0].why, "crc mismatch");

	/* A frame over the size limit, then a good one. */
	buf_reset(&all);
	buf_append(&all, emh.data, emh.len);
	buf_append(&all, dnt.data, 324);
	frame_all(s, bytes(&all), all.len, 0, false, 330);
	CHECK_INTEQ(s->n, 3);
	CHECK_STREQ(s->span[0].why, "frame longer than the maximum frame size");
	CHECK_INTEQ(s->span[0].size, 330);
	CHECK_INTEQ(s->span[1].kind, SML_SPAN_JUNK);
	CHECK_INTEQ(s->span[2].kind, SML_SPAN_FRAME);
	CHECK_INTEQ(s->span[2].offset, 332);

	/* Garbage for long: reported in pieces no larger than the frame limit. */
	uint8_t noise[5000];
	for (size_t i = 0; i < sizeof noise; i++)
		noise[i] = (uint8_t)(i * 7 + 3);
	frame_all(s, noise, sizeof noise, 0, false, 1000);
	CHECK_INTEQ(s->n, 5);
	CHECK_INTEQ(s->span[0].size, 1000);
out:
	free(s);
	buf_free(&emh);
	buf_free(&dnt);
	buf_free(&all);
}

static void test_values(void)
{
	uint8_t base[512], file[512];
	size_t len = emh_file(base, sizeof base);
	struct reading r;
	const char *why;
	static const uint8_t obis_180[] = { 0x07, 1, 0, 1, 8, 0, 0xff };
	static const uint8_t obis_182[] = { 0x07, 1, 0, 1, 8, 2, 0xff };

	/* Export: 16.7.0 = -5635 × 10^-1 W. */
	memcpy(file, base, len);
	CHECK(patch(file, len, (const uint8_t[]){ 0x55, 0, 0, 0x16, 0x03 }, (const uint8_t[]){ 0x55, 0xff, 0xff, 0xe9, 0xfd }, 5));
	CHECK_INTEQ(decode_edited(file, len, &r, &why), 0);
	CHECK_DEC(r.power_export_w, "5635 e-1");
	CHECK_DEC(r.power_import_w, "0 e0");

	/* A unit that does not fit the OBIS code (W for 1.8.0): the value is not used. */
	memcpy(file, base, len);
	CHECK(patch(file, len, (const uint8_t[]){ 0x01, 0x08, 0x00, 0xff, 0x64, 0x00, 0x01, 0x82, 0x01, 0x62, 0x1e },
		(const uint8_t[]){ 0x01, 0x08, 0x00, 0xff, 0x64, 0x00, 0x01, 0x82, 0x01, 0x62, 0x1b }, 11));
	CHECK_INTEQ(decode_edited(file, len, &r, &why), 0);
	CHECK_DEC(r.import_wh, "unset");
	CHECK_DEC(r.import_tariff_wh[0], "153385557 e-1");

	/* A positive scaler is folded into the digits: 0x0009247a55 × 10^3 Wh. */
	memcpy(file, base, len);
	CHECK(patch(file, len, (const uint8_t[]){ 0x62, 0x1e, 0x52, 0xff, 0x56 }, (const uint8_t[]){ 0x62, 0x1e, 0x52, 0x03, 0x56 }, 5));
	CHECK_INTEQ(decode_edited(file, len, &r, &why), 0);
	CHECK_DEC(r.import_wh, "153385557000 e0");

	/* Phases: 1.8.2 renamed 76.7.0 (L3 power, W), 1.8.0 renamed 52.7.0 (L2 voltage, V). */
	memcpy(file, base, len);
	CHECK(patch(file, len, obis_182, (const uint8_t[]){ 0x07, 1, 0, 76, 7, 0, 0xff }, 7));
	CHECK(patch(file + 0xb0, len - 0xb0, (const uint8_t[]){ 0x62, 0x1e }, (const uint8_t[]){ 0x62, 0x1b }, 2));
	CHECK(patch(file, len, obis_180, (const uint8_t[]){ 0x07, 1, 0, 52, 7, 0, 0xff }, 7));
	CHECK(patch(file, len, (const uint8_t[]){ 0x62, 0x1e }, (const uint8_t[]){ 0x62, 0x23 }, 2));
	CHECK_INTEQ(decode_edited(file, len, &r, &why), 0);
	CHECK_INTEQ(r.phases, 3);
	CHECK_DEC(r.phase[2].power_import_w, "0 e-1");
	CHECK_DEC(r.phase[1].voltage_v, "153385557 e-1");
	CHECK_DEC(r.import_wh, "unset");

	/* The end marker after a message's crc16 left out (libsml allows it): still read. */
	memcpy(file, base, len);
	for (size_t i = 0; i + 5 <= len; i++) {
		if (memcmp(file + i, (const uint8_t[]){ 0x63, 0x57, 0x4a, 0x00, 0x76 }, 5) == 0) {
			memmove(file + i + 3, file + i + 4, len - i - 4);
			CHECK_INTEQ(sml_decode(file, len - 1, &r, &why), 0);
			CHECK_DEC(r.import_wh, "153385557 e-1");
		}
	}

	/* A file of one list response whose crc16 fits one byte, sent as 62 xx without the end marker. */
	static const uint8_t list_start[] = { 0x76, 0x07, 0x00, 0x19, 0x0b, 0x4c, 0xbe, 0xae };
	size_t from = 0, to = 0;
	for (size_t i = 0; i + 8 <= len; i++) {
		if (memcmp(base + i, list_start, 8) == 0)
			from = i;
		if (memcmp(base + i, (const uint8_t[]){ 0x63, 0x57, 0x4a, 0x00 }, 4) == 0)
			to = i;
	}
	CHECK(from != 0 && to > from);
	for (int id = 0; id < 256 && to > from; id++) {
		memcpy(file, base + from, to - from);
		file[7] = (uint8_t)id;
		uint16_t crc = sml_crc16_x25(file, to - from);
		if ((crc & 0xff) != 0)
			continue;
		file[to - from] = 0x62;
		file[to - from + 1] = (uint8_t)(crc >> 8);
		CHECK_INTEQ(sml_decode(file, to - from + 2, &r, &why), 0);
		CHECK_DEC(r.import_wh, "153385557 e-1");
		break;
	}

	/* A sensor time that is a timestamp (tag 2) becomes the meter clock. */
	memcpy(file, base, len);
	CHECK(patch(file, len, (const uint8_t[]){ 0x72, 0x62, 0x01, 0x65, 0x06, 0x3f, 0x2f, 0x35 },
		(const uint8_t[]){ 0x72, 0x62, 0x02, 0x65, 0x06, 0x3f, 0x2f, 0x35 }, 8));
	CHECK_INTEQ(decode_edited(file, len, &r, &why), 0);
	CHECK(r.has_meter_time);
	CHECK_INTEQ(r.meter_time, 0x063f2f35);
}

/* A local timestamp (SML_Time as [3, [seconds, offset, dst]]) is dropped: libsml would leak it. */
static void test_local_timestamp(void)
{
	uint8_t base[512], file[600];
	size_t len = emh_file(base, sizeof base), at = 0;
	static const uint8_t sec_index[] = { 0x72, 0x62, 0x01, 0x65, 0x06, 0x3f, 0x2f, 0x35, 0x77 };
	static const uint8_t local[] = { 0x72, 0x62, 0x03, 0x73, 0x65, 0x06, 0x3f, 0x2f, 0x35, 0x53, 0x00, 0x3c, 0x53, 0x00, 0x00 };
	struct reading r;
	const char *why;

	for (size_t i = 0; i + sizeof sec_index <= len; i++)
		if (memcmp(base + i, sec_index, sizeof sec_index) == 0)
			at = i;
	CHECK(at != 0);
	if (at == 0)
		return;
	memcpy(file, base, at);
	memcpy(file + at, local, sizeof local);
	memcpy(file + at + sizeof local, base + at + 8, len - at - 8);
	CHECK_INTEQ(decode_edited(file, len + sizeof local - 8, &r, &why), 0);
	CHECK(!r.has_meter_time);
	CHECK_DEC(r.import_wh, "153385557 e-1");
}

static void test_malformed_files(void)
{
	uint8_t file[512];
	size_t len = emh_file(file, sizeof file);
	struct reading r;
	const char *why;

	CHECK_INTEQ(sml_decode((const uint8_t *)"", 0, &r, &why), -1);
	CHECK_STREQ(why, "no SML message in the file");
	CHECK_INTEQ(sml_decode(file, len - 40, &r, &why), -1);
	CHECK_STREQ(why, "an SML message runs past the end of the file");
	/* The list entry's unit as a list: libsml would leak the entry; refused before it. */
	CHECK(patch(file, len, (const uint8_t[]){ 0x62, 0x1e, 0x52, 0xff, 0x56 }, (const uint8_t[]){ 0x71, 0x01, 0x52, 0xff, 0x56 }, 5));
	CHECK_INTEQ(decode_edited(file, len, &r, &why), -1);
	CHECK_STREQ(why, "unexpected element in an SML list response");
	/* An octet string longer than the file (libsml reads past its buffer): "EMH" made 255 bytes. */
	len = emh_file(file, sizeof file);
	CHECK(patch(file, len, (const uint8_t[]){ 0x04, 'E', 'M', 'H', 0x01 }, (const uint8_t[]){ 0x8f, 0x0f, 'M', 'H', 0x01 }, 5));
	CHECK_INTEQ(sml_decode(file, len, &r, &why), -1);
	CHECK_STREQ(why, "an SML message runs past the end of the file");
}

/* ---- corruption ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

struct damage {
	uint8_t data[2048];
	int origin[2048];     /* index in the clean stream; -1 inserted, -2 flipped */
	size_t len;
};

/* One flip, drop or insert at a random place. */
static void damage_once(struct damage *d)
{
	size_t at = rnd((uint32_t)d->len);

	switch (rnd(3)) {
	case 0:
		d->data[at] ^= (uint8_t)(1u << rnd(8));
		d->origin[at] = -2;
		break;
	case 1:
		memmove(d->data + at, d->data + at + 1, d->len - at - 1);
		memmove(d->origin + at, d->origin + at + 1, (d->len - at - 1) * sizeof d->origin[0]);
		d->len--;
		break;
	default:
		if (d->len + 1 >= sizeof d->data)
			break;
		memmove(d->data + at + 1, d->data + at, d->len - at);
		memmove(d->origin + at + 1, d->origin + at, (d->len - at) * sizeof d->origin[0]);
		d->data[at] = rnd(4) ? (uint8_t)rnd(256) : 0x1b;
		d->origin[at] = -1;
		d->len++;
	}
}

/* Where the clean frame [start, start+size) survives intact in d, or -1. */
static long intact_at(const struct damage *d, size_t start, size_t size)
{
	for (size_t i = 0; i + size <= d->len; i++) {
		if (d->origin[i] != (int)start)
			continue;
		for (size_t k = 0; k < size; k++)
			if (d->origin[i + k] != (int)(start + k))
				return -1;
		return (long)i;
	}
	return -1;
}

static void test_corruption(void)
{
	struct buf emh = BUF_INIT, dnt = BUF_INIT;
	struct damage *d = calloc(1, sizeof *d);
	struct spans *s = calloc(1, sizeof *s);
	struct reading want[2], got;
	const char *why;
	size_t clean_len = 0, frame_start[4], frame_size[4];
	long accepted = 0, damaged_accepted = 0, wrong = 0, lost = 0;

	if (load(&emh, "emh_ed300_single_frame.bin") < 0 || load(&dnt, "dnt_stream_2frames_plus_partial.bin") < 0)
		goto out;
	/* The clean stream: EMH, DNT, DNT, EMH, and the originals' readings. */
	const struct buf *parts[4] = { &emh, &dnt, &dnt, &emh };
	for (int i = 0; i < 4; i++) {
		size_t n = i == 1 || i == 2 ? 324 : parts[i]->len;
		const char *from = parts[i]->data + (i == 2 ? 324 : 0);
		frame_start[i] = clean_len;
		frame_size[i] = n;
		memcpy(d->data + clean_len, from, n);
		clean_len += n;
	}
	frame_all(s, d->data, clean_len, 0, false, 0);
	CHECK_INTEQ(s->n, 4);
	CHECK(sml_decode_frame(&s->span[0], &want[0], &why) == 0 && sml_decode_frame(&s->span[1], &want[1], &why) == 0);
	uint8_t clean[2048];
	memcpy(clean, d->data, clean_len);

	for (int round = 0; round < 5000; round++) {
		memcpy(d->data, clean, clean_len);
		d->len = clean_len;
		for (size_t i = 0; i < clean_len; i++)
			d->origin[i] = (int)i;
		for (uint32_t k = 1 + rnd(4); k > 0; k--)
			damage_once(d);
		frame_all(s, d->data, d->len, 1 + rnd(40), false, 0);
		for (size_t i = 0; i < s->n; i++) {
			if (s->span[i].kind != SML_SPAN_FRAME || sml_decode_frame(&s->span[i], &got, &why) < 0)
				continue;
			accepted++;
			if (!same_reading(&got, &want[0]) && !same_reading(&got, &want[1]))
				wrong++;
			/* Damage can cancel out (a 1b dropped from a run of them, then one inserted): compare bytes. */
			bool original = false;
			for (int f = 0; f < 4; f++)
				original |= s->span[i].size == frame_size[f] &&
					memcmp(s->span[i].raw, clean + frame_start[f], frame_size[f]) == 0;
			damaged_accepted += !original;
		}
		/* Every frame the damage left alone is still read, where it now is. */
		for (int f = 0; f < 4; f++) {
			long at = intact_at(d, frame_start[f], frame_size[f]);
			bool found = at < 0;
			for (size_t i = 0; i < s->n && !found; i++)
				found = s->span[i].kind == SML_SPAN_FRAME && s->span[i].offset == (uint64_t)at &&
					s->span[i].size == frame_size[f];
			lost += !found;
		}
	}
	printf("  corruption: %ld frames decoded, %ld of them damaged, %ld wrong, %ld intact frames lost\n",
	       accepted, damaged_accepted, wrong, lost);
	CHECK(accepted > 5000);
	CHECK_INTEQ(wrong, 0);
	CHECK_INTEQ(damaged_accepted, 0);
	CHECK_INTEQ(lost, 0);
out:
	free(d);
	free(s);
	buf_free(&emh);
	buf_free(&dnt);
}

int main(void)
{
	FILE *null = fopen("/dev/null", "w");
	if (null == NULL)
		return 2;
	diag_redirect(null);
	diag_init("test_sml");
	test_crc();
	test_emh_frame();
	test_dnt_stream();
	test_chunked();
	test_crc_failure();
	test_message_crc();
	test_escapes();
	test_resync();
	test_values();
	test_local_timestamp();
	test_malformed_files();
	test_corruption();
	diag_redirect(NULL);
	fclose(null);
	return check_done("test_sml");
}
