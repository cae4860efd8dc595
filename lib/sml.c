#include "sml.h"

#include <string.h>

#include <sml/sml_file.h>
#include <sml/sml_list.h>
#include <sml/sml_message.h>
#include <sml/sml_shared.h>
#include <sml/sml_time.h>
#include <sml/sml_value.h>

#include "diag.h"

/* ---- transport framing ---- */

#define SML_START 0x1b1b1b1b01010101ull   /* escape + "version 1" as one 64-bit word */

static const uint8_t escape_block[4] = { 0x1b, 0x1b, 0x1b, 0x1b };

/* The reflected CRC-16 with polynomial 0x1021 that X-25 and Kermit share. */
static uint16_t crc16_reflected(const uint8_t *p, size_t n, uint16_t crc)
{
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int bit = 0; bit < 8; bit++)
			crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0x8408) : (uint16_t)(crc >> 1);
	}
	return crc;
}

uint16_t sml_crc16_x25(const uint8_t *p, size_t n)
{
	return (uint16_t)~crc16_reflected(p, n, 0xffff);
}

void sml_framer_init(struct sml_framer *f, size_t max_frame)
{
	memset(f, 0, sizeof *f);
	f->max = max_frame ? max_frame : SML_FRAME_MAX_DEFAULT;
	if (f->max < SML_FRAME_MIN)
		f->max = SML_FRAME_MIN;
	f->raw = xmalloc(f->max);
	f->body = xmalloc(f->max);
}

void sml_framer_free(struct sml_framer *f)
{
	free(f->raw);
	free(f->body);
	f->raw = f->body = NULL;
}

/*
 * How many of the newest bytes could be the beginning of a start sequence
 * (at most 7). A rejected span ends before them, so that the start, when it
 * completes, is reported at its own offset and spans never overlap.
 */
static size_t start_prefix(const struct sml_framer *f)
{
	for (size_t k = 7; k > 0; k--) {
		uint64_t mask = (1ull << (8 * k)) - 1;
		if (k <= f->seen && (f->window & mask) == SML_START >> (8 * (8 - k)))
			return k;
	}
	return 0;
}

static void emit(sml_span_fn *fn, void *arg, struct sml_span span)
{
	if (span.size > 0)
		fn(&span, arg);
}

static void report_junk(struct sml_framer *f, uint64_t end, sml_span_fn *fn, void *arg)
{
	if (end <= f->junk_offset)
		return;
	emit(fn, arg, (struct sml_span){ .kind = SML_SPAN_JUNK, .offset = f->junk_offset,
		.size = (size_t)(end - f->junk_offset), .why = "bytes outside a frame" });
	f->junk_offset = end;
}

/* Reports the frame in progress, up to stream offset end, as rejected. */
static void reject_frame(struct sml_framer *f, uint64_t end, const char *why, sml_span_fn *fn, void *arg)
{
	emit(fn, arg, (struct sml_span){ .kind = SML_SPAN_REJECT, .offset = f->frame_offset,
		.size = (size_t)(end - f->frame_offset), .raw = f->raw, .why = why });
	f->in_frame = false;
	f->junk_offset = end;
}

/* Rejects the frame in progress after the byte just fed. */
static void fail_frame(struct sml_framer *f, const char *why, sml_span_fn *fn, void *arg)
{
	reject_frame(f, f->offset - start_prefix(f), why, fn, arg);
}

static void begin_frame(struct sml_framer *f, uint64_t start, sml_span_fn *fn, void *arg)
{
	if (f->in_frame)
		reject_frame(f, start, "frame cut short by the next frame start", fn, arg);
	else
		report_junk(f, start, fn, arg);
	for (int i = 0; i < 8; i++)
		f->raw[i] = (uint8_t)(SML_START >> (56 - 8 * i));
	f->raw_len = 8;
	f->body_len = 0;
	f->escape = false;
	f->in_frame = true;
	f->frame_offset = start;
}

static void end_frame(struct sml_framer *f, const uint8_t *end_block, sml_span_fn *fn, void *arg)
{
	size_t padding = end_block[1];
	uint16_t sent = (uint16_t)(end_block[2] | end_block[3] << 8);   /* low byte first */
	bool crc_ok = sml_crc16_x25(f->raw, f->raw_len - 2) == sent;

	if (padding > 3 || padding > f->body_len) {
		fail_frame(f, "bad padding count in the end sequence", fn, arg);
		return;
	}
	if (!crc_ok && !f->no_crc) {
		fail_frame(f, "crc mismatch", fn, arg);
		return;
	}
	emit(fn, arg, (struct sml_span){ .kind = SML_SPAN_FRAME, .offset = f->frame_offset,
		.size = f->raw_len, .raw = f->raw, .body = f->body,
		.body_len = f->body_len - padding, .checked = crc_ok });
	f->in_frame = false;
	f->junk_offset = f->offset;
}

/* A four-byte block, aligned to the frame start, has arrived. */
static void take_block(struct sml_framer *f, sml_span_fn *fn, void *arg)
{
	const uint8_t *block = f->raw + f->raw_len - 4;
	bool is_escape = memcmp(block, escape_block, 4) == 0;

	if (!f->escape) {
		if (is_escape) {
			f->escape = true;
		} else {
			memcpy(f->body + f->body_len, block, 4);
			f->body_len += 4;
		}
		return;
	}
	f->escape = false;
	if (is_escape) {
		/* An escaped escape: four 1b bytes of data. */
		memcpy(f->body + f->body_len, block, 4);
		f->body_len += 4;
	} else if (block[0] == 0x1a) {
		end_frame(f, block, fn, arg);
	} else {
		/* 1b1b1b1b 01010101 was caught as a start already; 02… are transport version 2. */
		fail_frame(f, "unsupported escape sequence", fn, arg);
	}
}

static void feed_byte(struct sml_framer *f, uint8_t b, sml_span_fn *fn, void *arg)
{
	uint64_t pos = f->offset++;

	f->window = f->window << 8 | b;
	if (f->seen < 8)
		f->seen++;
	/* Not a start when it overlaps the frame just accepted (its CRC ended in 1b bytes). */
	if (f->seen == 8 && f->window == SML_START && (f->in_frame || pos - 7 >= f->junk_offset)) {
		begin_frame(f, pos - 7, fn, arg);
		return;
	}
	if (!f->in_frame) {
		/* Minutes of garbage are reported in bounded pieces, not at the end. */
		uint64_t end = f->offset - start_prefix(f);
		if (end > f->junk_offset && end - f->junk_offset >= f->max)
			report_junk(f, end, fn, arg);
		return;
	}
	f->raw[f->raw_len++] = b;
	if (f->raw_len % 4 == 0)
		take_block(f, fn, arg);
	if (f->in_frame && f->raw_len == f->max)
		fail_frame(f, "frame longer than the maximum frame size", fn, arg);
}

void sml_framer_feed(struct sml_framer *f, const uint8_t *data, size_t len, sml_span_fn *fn, void *arg)
{
	for (size_t i = 0; i < len; i++)
		feed_byte(f, data[i], fn, arg);
}

void sml_framer_finish(struct sml_framer *f, sml_span_fn *fn, void *arg)
{
	if (f->in_frame)
		reject_frame(f, f->offset, "frame cut short by the end of input", fn, arg);
	else
		report_junk(f, f->offset, fn, arg);
	/* A start sequence must not straddle two streams (a reopened device). */
	f->window = 0;
	f->seen = 0;
}

/* ---- checking a file's structure and message checksums before libsml ---- */

/*
 * Debian's libsml (0.1.1+git20180125) trusts the bytes it is given: it reads
 * past the end of its buffer when an octet string's length does (found by
 * fuzzing it), leaks on a list entry of the wrong type and on every local
 * timestamp (SML_Time as a list of three), and does not check the CRC each
 * SML message carries. So a file is walked here first, every element's
 * length bounded and each message's CRC checked (check_file), and then
 * copied element by element against the layout of the one message libsml is
 * asked to read, the list response (sanitize_file); libsml only ever sees
 * what passed both.
 */
#define SML_MAX_DEPTH 32

struct tl_field {
	unsigned type;    /* SML_TYPE_* */
	size_t n;         /* list: elements; other: bytes including the TL field */
	size_t size;      /* bytes of the TL field itself */
};

static int read_tl(const uint8_t *p, size_t len, size_t off, struct tl_field *t)
{
	size_t i = off;

	if (i >= len)
		return -1;
	t->type = p[i] & SML_TYPE_FIELD;
	t->n = p[i] & SML_LENGTH_FIELD;
	while (p[i] & SML_ANOTHER_TL) {
		if (++i >= len || i - off >= 4)
			return -1;
		t->n = t->n << 4 | (p[i] & SML_LENGTH_FIELD);
	}
	t->size = i - off + 1;
	return 0;
}

/* The offset just past the element at off, or 0 when it runs past len or nests too deep. */
static size_t skip_element(const uint8_t *p, size_t len, size_t off, int depth)
{
	struct tl_field t;

	if (depth > SML_MAX_DEPTH || read_tl(p, len, off, &t) < 0)
		return 0;
	if (t.type == SML_TYPE_LIST) {
		off += t.size;
		for (size_t i = 0; i < t.n && off != 0; i++)
			off = skip_element(p, len, off, depth + 1);
		return off;
	}
	if (t.n == 0 && t.size == 1)
		return off + 1;             /* 00: the end of a message */
	if (t.n < t.size || t.n > len - off)
		return 0;
	return off + t.n;
}

/*
 * The crc16 element at off, and the end marker after it, which libsml too
 * lets a meter leave out: returns their size (0: not there) and the number.
 * The number may be sent in one byte when its high byte is zero.
 */
static size_t message_tail(const uint8_t *p, size_t len, size_t off, unsigned *number)
{
	size_t n;

	if (off >= len || (p[off] != (SML_TYPE_UNSIGNED | 2) && p[off] != (SML_TYPE_UNSIGNED | 3)))
		return 0;
	n = (size_t)(p[off] & SML_LENGTH_FIELD);
	if (len - off < n)
		return 0;
	*number = n == 3 ? (unsigned)(p[off + 1] << 8 | p[off + 2]) : p[off + 1];
	if (off + n < len && p[off + n] == SML_MESSAGE_END)
		n++;
	return n;
}

/* Checks the message at off (a list of six ending in crc16 and 00); returns the offset past it, or 0. */
static size_t check_message(const uint8_t *p, size_t len, size_t off, const char **why)
{
	size_t start = off, tail;
	struct tl_field t;
	unsigned sent;
	uint16_t x25;

	if (read_tl(p, len, off, &t) < 0 || t.type != SML_TYPE_LIST || t.n != 6) {
		*why = "an SML message is not a list of six elements";
		return 0;
	}
	off += t.size;
	for (int i = 0; i < 4 && off != 0; i++)
		off = skip_element(p, len, off, 1);
	if (off == 0) {
		*why = "an SML message runs past the end of the file";
		return 0;
	}
	tail = message_tail(p, len, off, &sent);
	if (tail == 0) {
		*why = "an SML message lacks its crc16";
		return 0;
	}
	/*
	 * X-25 sent low byte first, like the frame's (so the number is the CRC
	 * byte-swapped); Holley DTZ541 sends CRC-16/Kermit as a plain number
	 * (libsml accepts both).
	 */
	x25 = sml_crc16_x25(p + start, off - start);
	if (sent != (unsigned)(x25 >> 8 | (x25 & 0xff) << 8) && sent != crc16_reflected(p + start, off - start, 0)) {
		*why = "crc mismatch in an SML message";
		return 0;
	}
	return off + tail;
}

static int check_file(const uint8_t *p, size_t len, const char **why)
{
	size_t off = 0;
	int messages = 0;

	while (off < len) {
		if (p[off] == SML_MESSAGE_END) {
			off++;              /* padding between or after messages */
			continue;
		}
		off = check_message(p, len, off, why);
		if (off == 0)
			return -1;
		messages++;
	}
	if (messages == 0) {
		*why = "no SML message in the file";
		return -1;
	}
	return 0;
}

/*
 * A copy of a checked file holding only its list responses (SML_GetList.Res,
 * the only message a meter's values come in), each element of the type and
 * size libsml expects, every message's CRC recomputed. Anything else inside
 * a list response rejects the file; an SML_Time that is not a plain
 * [tag, seconds] pair (a local timestamp) becomes "not sent" (01), since
 * libsml would leak it.
 */
struct copier {
	const uint8_t *in;
	size_t len, off;
	uint8_t *out;
	size_t out_len, cap;
};

/*
 * Only a message's crc16 tail can grow (from 62 xx to 63 xx xx 00, two bytes
 * on a message of eight at least), so out needs a quarter more than the input.
 */
#define SANITIZED_SIZE(len) ((len) + (len) / 4 + 8)

static void put(struct copier *c, const uint8_t *p, size_t n)
{
	HIVE_ASSERT(c->out_len + n <= c->cap);
	memcpy(c->out + c->out_len, p, n);
	c->out_len += n;
}

static bool copy_element(struct copier *c)
{
	size_t end = skip_element(c->in, c->len, c->off, 1);

	if (end == 0)
		return false;
	put(c, c->in + c->off, end - c->off);
	c->off = end;
	return true;
}

static bool at_skipped(const struct copier *c)
{
	return c->off < c->len && c->in[c->off] == SML_OPTIONAL_SKIPPED;
}

/* A number of the given type with 1..max bytes after a one-byte TL field, or 01 when optional. */
static bool copy_number(struct copier *c, unsigned type, size_t max, bool optional)
{
	uint8_t tl;

	if (at_skipped(c))
		return optional && copy_element(c);
	if (c->off >= c->len)
		return false;
	tl = c->in[c->off];
	if ((tl & (SML_ANOTHER_TL | SML_TYPE_FIELD)) != type || (tl & SML_LENGTH_FIELD) < 2 ||
	    (size_t)(tl & SML_LENGTH_FIELD) - 1 > max)
		return false;
	return copy_element(c);
}

/* An octet string of any length; 01 is the empty string libsml reads as not sent. */
static bool copy_octets(struct copier *c)
{
	struct tl_field t;

	if (read_tl(c->in, c->len, c->off, &t) < 0 || t.type != SML_TYPE_OCTET_STRING || t.n < t.size)
		return false;
	return copy_element(c);
}

static bool copy_value(struct copier *c)
{
	unsigned type;

	if (at_skipped(c))
		return copy_element(c);
	if (c->off >= c->len)
		return false;
	type = c->in[c->off] & SML_TYPE_FIELD;
	if (type == SML_TYPE_OCTET_STRING)
		return copy_octets(c);
	if (type == SML_TYPE_BOOLEAN)
		return c->in[c->off] == (SML_TYPE_BOOLEAN | 2) && copy_element(c);
	if (type == SML_TYPE_INTEGER || type == SML_TYPE_UNSIGNED)
		return copy_number(c, type, 8, false);
	return false;
}

static bool copy_time(struct copier *c)
{
	size_t start = c->off, mark = c->out_len, end;

	if (at_skipped(c))
		return copy_element(c);
	if (start < c->len && c->in[start] == (SML_TYPE_LIST | 2)) {
		put(c, c->in + start, 1);
		c->off++;
		if (copy_number(c, SML_TYPE_UNSIGNED, 1, false) && copy_number(c, SML_TYPE_UNSIGNED, 4, false))
			return true;
		c->off = start;
		c->out_len = mark;
	}
	end = skip_element(c->in, c->len, start, 1);
	if (end == 0)
		return false;
	c->off = end;
	put(c, (const uint8_t[]){ SML_OPTIONAL_SKIPPED }, 1);
	return true;
}

/* A list TL field with exactly n elements (n < 0: any number, returned in *count). */
static bool copy_list_head(struct copier *c, long n, size_t *count)
{
	struct tl_field t;

	if (read_tl(c->in, c->len, c->off, &t) < 0 || t.type != SML_TYPE_LIST || (n >= 0 && t.n != (size_t)n))
		return false;
	put(c, c->in + c->off, t.size);
	c->off += t.size;
	if (count != NULL)
		*count = t.n;
	return true;
}

/* SML_ListEntry: objName, status, valTime, unit, scaler, value, valueSignature. */
static bool copy_entry(struct copier *c)
{
	return copy_list_head(c, 7, NULL) && copy_octets(c) &&
		copy_number(c, SML_TYPE_UNSIGNED, 8, true) && copy_time(c) &&
		copy_number(c, SML_TYPE_UNSIGNED, 1, true) && copy_number(c, SML_TYPE_INTEGER, 1, true) &&
		copy_value(c) && copy_octets(c);
}

static bool copy_val_list(struct copier *c)
{
	size_t n;

	if (at_skipped(c))
		return copy_element(c);
	if (!copy_list_head(c, -1, &n))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!copy_entry(c))
			return false;
	return true;
}

/* SML_GetList.Res: clientId, serverId, listName, actSensorTime, valList, listSignature, actGatewayTime. */
static bool copy_list_response(struct copier *c)
{
	return copy_list_head(c, 7, NULL) && copy_octets(c) && copy_octets(c) && copy_octets(c) &&
		copy_time(c) && copy_val_list(c) && copy_octets(c) && copy_time(c);
}

/* The value of the unsigned number at off (its TL field checked by copy_number). */
static uint32_t number_at(const uint8_t *p, size_t off)
{
	uint32_t v = 0;

	for (size_t i = 1; i < (size_t)(p[off] & SML_LENGTH_FIELD); i++)
		v = v << 8 | p[off + i];
	return v;
}

/*
 * Copies a checked message if it is a list response: transactionId, groupNo,
 * abortOnError, messageBody [tag, body], crc16 (recomputed), 00. Other
 * messages are dropped. Returns false when a list response is malformed.
 */
static bool copy_message(struct copier *c)
{
	size_t in_start = c->off, out_start = c->out_len, tag_at, tail;
	unsigned sent;
	uint16_t crc;

	if (!copy_list_head(c, 6, NULL) || !copy_octets(c) ||
	    !copy_number(c, SML_TYPE_UNSIGNED, 1, true) || !copy_number(c, SML_TYPE_UNSIGNED, 1, true) ||
	    !copy_list_head(c, 2, NULL))
		return false;
	tag_at = c->off;
	if (!copy_number(c, SML_TYPE_UNSIGNED, 4, false))
		return false;
	if (number_at(c->in, tag_at) != SML_MESSAGE_GET_LIST_RESPONSE) {
		const char *why;
		c->off = check_message(c->in, c->len, in_start, &why);   /* passed before: this finds its end */
		c->out_len = out_start;
		return c->off != 0;
	}
	if (!copy_list_response(c))
		return false;
	tail = message_tail(c->in, c->len, c->off, &sent);   /* checked by check_message() */
	if (tail == 0)
		return false;
	c->off += tail;
	crc = sml_crc16_x25(c->out + out_start, c->out_len - out_start);
	put(c, (const uint8_t[]){ SML_TYPE_UNSIGNED | 3, (uint8_t)crc, (uint8_t)(crc >> 8), SML_MESSAGE_END }, 4);
	return true;
}

/* Copies in to out (SANITIZED_SIZE(len) bytes); returns the copy's length (0: no list response), or -1. */
static long sanitize_file(const uint8_t *in, size_t len, uint8_t *out, const char **why)
{
	struct copier c = { .in = in, .len = len, .out = out, .cap = SANITIZED_SIZE(len) };

	while (c.off < len) {
		if (in[c.off] == SML_MESSAGE_END) {
			c.off++;
			continue;
		}
		if (!copy_message(&c)) {
			*why = "unexpected element in an SML list response";
			return -1;
		}
	}
	return (long)c.out_len;
}

/* ---- decoding a verified SML file with libsml ---- */

/* DLMS unit codes (IEC 62056-62), as SML carries them. */
enum { UNIT_W = 27, UNIT_WH = 30, UNIT_A = 33, UNIT_V = 35 };

enum target {
	T_IMPORT, T_EXPORT, T_IMPORT_TARIFF, T_EXPORT_TARIFF,
	T_POWER, T_PHASE_POWER, T_PHASE_VOLTAGE, T_PHASE_CURRENT
};

/* An electricity OBIS code 1-b:C.D.E (any b and f) and where its value goes. */
struct obis_rule {
	uint8_t c, d, e_first, e_last;
	enum target target;
	int phase;
	uint8_t unit;
};

static const struct obis_rule obis_rules[] = {
	{ 1, 8, 0, 0, T_IMPORT, 0, UNIT_WH },
	{ 1, 8, 1, READING_TARIFFS, T_IMPORT_TARIFF, 0, UNIT_WH },
	{ 2, 8, 0, 0, T_EXPORT, 0, UNIT_WH },
	{ 2, 8, 1, READING_TARIFFS, T_EXPORT_TARIFF, 0, UNIT_WH },
	{ 16, 7, 0, 0, T_POWER, 0, UNIT_W },
	{ 36, 7, 0, 0, T_PHASE_POWER, 0, UNIT_W },
	{ 56, 7, 0, 0, T_PHASE_POWER, 1, UNIT_W },
	{ 76, 7, 0, 0, T_PHASE_POWER, 2, UNIT_W },
	{ 32, 7, 0, 0, T_PHASE_VOLTAGE, 0, UNIT_V },
	{ 52, 7, 0, 0, T_PHASE_VOLTAGE, 1, UNIT_V },
	{ 72, 7, 0, 0, T_PHASE_VOLTAGE, 2, UNIT_V },
	{ 31, 7, 0, 0, T_PHASE_CURRENT, 0, UNIT_A },
	{ 51, 7, 0, 0, T_PHASE_CURRENT, 1, UNIT_A },
	{ 71, 7, 0, 0, T_PHASE_CURRENT, 2, UNIT_A },
};

/* Identifiers seen in a file, best source last: the list's server id, 0.0.9, 96.1.0. */
enum { ID_SERVER, ID_DEVICE, ID_METER, ID_SOURCES };

struct decode_state {
	struct reading *out;
	const octet_string *id[ID_SOURCES];
	int lists;
	const char *refused;    /* a reason to refuse the whole file, found in an entry */
};

static int value_integer(const sml_value *v, int64_t *out)
{
	if (v == NULL || v->data.int8 == NULL)
		return -1;
	switch (v->type) {
	case SML_TYPE_INTEGER | 1: *out = *v->data.int8; return 0;
	case SML_TYPE_INTEGER | 2: *out = *v->data.int16; return 0;
	case SML_TYPE_INTEGER | 4: *out = *v->data.int32; return 0;
	case SML_TYPE_INTEGER | 8: *out = *v->data.int64; return 0;
	case SML_TYPE_UNSIGNED | 1: *out = *v->data.uint8; return 0;
	case SML_TYPE_UNSIGNED | 2: *out = *v->data.uint16; return 0;
	case SML_TYPE_UNSIGNED | 4: *out = *v->data.uint32; return 0;
	case SML_TYPE_UNSIGNED | 8:
		if (*v->data.uint64 > INT64_MAX)
			return -1;
		*out = (int64_t)*v->data.uint64;
		return 0;
	default:
		return -1;
	}
}

/* raw × 10^scaler, exactly; -1 when the entry has no number or it does not fit. */
static int entry_decimal(const sml_list *entry, uint8_t unit, struct decimal *d)
{
	int64_t raw;

	if (entry->unit == NULL || *entry->unit != unit)
		return -1;
	if (value_integer(entry->value, &raw) < 0)
		return -1;
	decimal_set(d, raw, 0);
	return decimal_scale(d, entry->scaler ? *entry->scaler : 0);
}

/* A signed power: positive is import, negative export; the other side is 0. */
static void note_phase(struct reading *r, int phase)
{
	if (r->phases < phase + 1)
		r->phases = phase + 1;
}

static void apply_rule(struct reading *r, const struct obis_rule *rule, int e, struct decimal v)
{
	struct reading_phase *ph = &r->phase[rule->phase];

	switch (rule->target) {
	case T_IMPORT: r->import_wh = v; break;
	case T_EXPORT: r->export_wh = v; break;
	case T_IMPORT_TARIFF:
	case T_EXPORT_TARIFF:
		if (rule->target == T_IMPORT_TARIFF)
			r->import_tariff_wh[e - 1] = v;
		else
			r->export_tariff_wh[e - 1] = v;
		if (r->tariffs < e)
			r->tariffs = e;
		break;
	case T_POWER: decimal_split_signed(&r->power_import_w, &r->power_export_w, v); break;
	case T_PHASE_POWER: decimal_split_signed(&ph->power_import_w, &ph->power_export_w, v); note_phase(r, rule->phase); break;
	case T_PHASE_VOLTAGE: ph->voltage_v = v; note_phase(r, rule->phase); break;
	case T_PHASE_CURRENT: ph->current_a = v; note_phase(r, rule->phase); break;
	}
}

static bool obis_is(const uint8_t *o, int a, int b, int c, int d, int e)
{
	return (a < 0 || o[0] == a) && (b < 0 || o[1] == b) && o[2] == c && o[3] == d && o[4] == e;
}

static bool octets_printable(const octet_string *s)
{
	for (int i = 0; i < s->len; i++)
		if (s->str[i] < 0x20 || s->str[i] > 0x7e)
			return false;
	return true;
}

/* As text when printable, else as lower-case hex; left empty when too long. */
static void octets_to_text(char *dst, const octet_string *s, bool text_ok)
{
	static const char digits[] = "0123456789abcdef";

	if (s == NULL || s->str == NULL || s->len <= 0)
		return;
	if (text_ok && octets_printable(s)) {
		if ((size_t)s->len < READING_ID_SIZE) {
			memcpy(dst, s->str, (size_t)s->len);
			dst[s->len] = '\0';
		}
		return;
	}
	if ((size_t)s->len * 2 >= READING_ID_SIZE)
		return;
	for (int i = 0; i < s->len; i++) {
		dst[2 * i] = digits[s->str[i] >> 4];
		dst[2 * i + 1] = digits[s->str[i] & 15];
	}
	dst[2 * s->len] = '\0';
}

static const octet_string *entry_octets(const sml_list *entry)
{
	if (entry->value == NULL || entry->value->type != SML_TYPE_OCTET_STRING)
		return NULL;
	return entry->value->data.bytes;
}

static void apply_entry(struct decode_state *st, const sml_list *entry)
{
	const uint8_t *o;
	struct decimal v;

	if (entry->obj_name == NULL || entry->obj_name->len != 6 || entry->obj_name->str == NULL)
		return;
	o = entry->obj_name->str;
	if (obis_is(o, 129, 129, 199, 130, 3)) {
		const octet_string *s = entry_octets(entry);
		if (s != NULL)
			octets_to_text(st->out->model, s, true);
		return;
	}
	if ((o[0] == 0 || o[0] == 1) && obis_is(o, -1, -1, 96, 1, 0)) {
		st->id[ID_METER] = entry_octets(entry);
		return;
	}
	if (obis_is(o, 1, -1, 0, 0, 9)) {
		st->id[ID_DEVICE] = entry_octets(entry);
		return;
	}
	/* A tariff beyond the ones a reading holds would make a summed total wrong: refuse, never drop. */
	if (o[0] == 1 && (o[2] == 1 || o[2] == 2) && o[3] == 8 && o[4] > READING_TARIFFS) {
		st->refused = "more tariff registers than hive-read keeps (8)";
		return;
	}
	for (size_t k = 0; k < sizeof obis_rules / sizeof obis_rules[0]; k++) {
		const struct obis_rule *rule = &obis_rules[k];
		if (o[0] != 1 || o[2] != rule->c || o[3] != rule->d || o[4] < rule->e_first || o[4] > rule->e_last)
			continue;
		if (entry_decimal(entry, rule->unit, &v) == 0)
			apply_rule(st->out, rule, o[4], v);
		return;
	}
}

static void apply_list_response(struct decode_state *st, const sml_get_list_response *res)
{
	if (res == NULL)
		return;
	st->lists++;
	if (res->server_id != NULL)
		st->id[ID_SERVER] = res->server_id;
	if (res->act_sensor_time != NULL && res->act_sensor_time->tag != NULL &&
	    *res->act_sensor_time->tag == SML_TIME_TIMESTAMP && res->act_sensor_time->data.timestamp != NULL) {
		st->out->meter_time = *res->act_sensor_time->data.timestamp;
		st->out->has_meter_time = true;
	}
	for (const sml_list *entry = res->val_list; entry != NULL; entry = entry->next)
		apply_entry(st, entry);
}

static int read_file(sml_file *file, struct reading *out, const char **why)
{
	struct decode_state st = { .out = out };

	if (file == NULL || file->buf == NULL || sml_buf_has_errors(file->buf)) {
		*why = "libsml cannot read the whole SML file";
		return -1;
	}
	for (int i = 0; i < file->messages_len; i++) {
		const sml_message *msg = file->messages[i];
		if (msg == NULL || msg->message_body == NULL || msg->message_body->tag == NULL)
			continue;
		if (*msg->message_body->tag == SML_MESSAGE_GET_LIST_RESPONSE)
			apply_list_response(&st, msg->message_body->data);
	}
	if (st.lists == 0) {
		*why = "no list response in the SML file";
		return -1;
	}
	if (st.refused != NULL) {
		*why = st.refused;
		return -1;
	}
	for (int k = ID_SOURCES - 1; k >= 0 && out->meter_id[0] == '\0'; k--)
		octets_to_text(out->meter_id, st.id[k], false);
	return 0;
}

int sml_decode(const uint8_t *body, size_t len, struct reading *out, const char **why)
{
	sml_file *file;
	uint8_t *clean;
	long clean_len;
	int rc;

	reading_clear(out);
	out->protocol = "sml";
	if (check_file(body, len, why) < 0)
		return -1;
	clean = xmalloc(SANITIZED_SIZE(len));
	clean_len = sanitize_file(body, len, clean, why);
	if (clean_len <= 0) {
		free(clean);
		if (clean_len == 0)
			*why = "no list response in the SML file";
		return -1;
	}
	file = sml_file_parse(clean, (size_t)clean_len);
	free(clean);
	rc = read_file(file, out, why);
	sml_file_free(file);
	return rc;
}

int sml_decode_frame(const struct sml_span *frame, struct reading *out, const char **why)
{
	if (frame->kind != SML_SPAN_FRAME) {
		reading_clear(out);
		*why = frame->why ? frame->why : "not a frame";
		return -1;
	}
	if (sml_decode(frame->body, frame->body_len, out, why) < 0)
		return -1;
	out->checked = frame->checked;
	return 0;
}
