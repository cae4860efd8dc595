/*
 * libFuzzer target for the SML framer and decoder.
 * Input byte 0 picks the mode:
 *   even: the rest is a byte stream from an IR head. Properties: no crash or
 *         leak; the spans tile the stream exactly (in order, no gap, no
 *         overlap); feeding it one byte at a time, or in chunks, reports the
 *         same spans; every frame passed has a matching CRC.
 *   odd:  the rest is an SML file; the checksum of every message found is
 *         set right first, so that the checks before libsml are passed and
 *         libsml itself is reached with hostile content.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "sml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SPANS 4096

struct seen {
	struct sml_span span[MAX_SPANS];
	uint32_t body_crc[MAX_SPANS];
	size_t n;
	uint64_t next_offset;
};

static void collect(const struct sml_span *span, void *arg)
{
	struct seen *s = arg;
	struct reading r;
	const char *why;

	if (span->offset != s->next_offset || span->size == 0)
		abort();
	s->next_offset = span->offset + span->size;
	if (span->kind == SML_SPAN_FRAME) {
		if (!span->checked || span->size < SML_FRAME_MIN ||
		    sml_crc16_x25(span->raw, span->size - 2) != (span->raw[span->size - 2] | span->raw[span->size - 1] << 8))
			abort();
		if (sml_decode_frame(span, &r, &why) == 0 && (!r.checked || strcmp(r.protocol, "sml") != 0))
			abort();
	}
	if (s->n < MAX_SPANS) {
		s->span[s->n] = *span;
		s->body_crc[s->n] = span->body ? sml_crc16_x25(span->body, span->body_len) : 0;
		s->n++;
	}
}

/* Feeds data in pieces of at most chunk bytes (0: all at once). */
static void run(const uint8_t *data, size_t size, size_t chunk, struct seen *s)
{
	struct sml_framer f;

	memset(s, 0, sizeof *s);
	sml_framer_init(&f, 512);
	for (size_t off = 0; off < size;) {
		size_t n = chunk && size - off > chunk ? chunk : size - off;
		sml_framer_feed(&f, data + off, n, collect, s);
		off += n;
	}
	sml_framer_finish(&f, collect, s);
	sml_framer_free(&f);
	if (s->next_offset != size)
		abort();
}

static void same_spans(const struct seen *a, const struct seen *b)
{
	if (a->n != b->n)
		abort();
	for (size_t i = 0; i < a->n; i++)
		if (a->span[i].kind != b->span[i].kind || a->span[i].offset != b->span[i].offset ||
		    a->span[i].size != b->span[i].size || a->span[i].body_len != b->span[i].body_len ||
		    a->body_crc[i] != b->body_crc[i])
			abort();
}

/* A generic walk over one SML element; returns the offset past it, or 0. */
static size_t skip(const uint8_t *p, size_t len, size_t off, int depth)
{
	size_t n, tl = 1;

	if (depth > 40 || off >= len)
		return 0;
	n = p[off] & 15;
	while (p[off + tl - 1] & 0x80) {
		if (off + tl >= len || tl > 4)
			return 0;
		n = n << 4 | (p[off + tl] & 15);
		tl++;
	}
	if ((p[off] & 0x70) == 0x70) {
		off += tl;
		for (size_t i = 0; i < n && off; i++)
			off = skip(p, len, off, depth + 1);
		return off;
	}
	if (n == 0)
		return off + 1;
	return n < tl || n > len - off ? 0 : off + n;
}

/* Sets the crc16 of every top-level message that has one where it belongs. */
static void fix_message_crcs(uint8_t *p, size_t len)
{
	size_t off = 0;

	while (off < len) {
		size_t start = off;
		if (p[off] != 0x76) {
			off++;
			continue;
		}
		off++;
		for (int i = 0; i < 4 && off; i++)
			off = skip(p, len, off, 1);
		if (off == 0 || len - off < 3 || p[off] != 0x63) {
			off = start + 1;
			continue;
		}
		uint16_t crc = sml_crc16_x25(p + start, off - start);
		p[off + 1] = (uint8_t)crc;
		p[off + 2] = (uint8_t)(crc >> 8);
		off += 3;
	}
}

static struct seen whole, bytewise, chunked;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;

	if (!quiet) {
		FILE *null = fopen("/dev/null", "w");
		if (null == NULL)
			abort();
		diag_redirect(null);
		quiet = 1;
	}
	if (size < 1 || size > 1 << 16)
		return 0;
	if (data[0] & 1) {
		uint8_t *file = malloc(size);
		struct reading r;
		const char *why;
		memcpy(file, data + 1, size - 1);
		fix_message_crcs(file, size - 1);
		if (sml_decode(file, size - 1, &r, &why) == 0 && strcmp(r.protocol, "sml") != 0)
			abort();
		free(file);
		return 0;
	}
	run(data + 1, size - 1, 0, &whole);
	run(data + 1, size - 1, 1, &bytewise);
	run(data + 1, size - 1, 1 + data[0] % 61, &chunked);
	same_spans(&whole, &bytewise);
	same_spans(&whole, &chunked);
	return 0;
}
