#include "dsmr.h"

#include <string.h>
#include <threads.h>

#include "hex.h"
#include "obis.h"
#include "timeutil.h"

/* ---- CRC-16/ARC ---------------------------------------------------------- */

/* Slicing-by-8 tables for polynomial 0xA001 (0x8005 reflected): table[k][b] is the CRC of b and k zero bytes. */
static uint16_t crc_table[8][256];
static once_flag crc_once = ONCE_FLAG_INIT;

static void crc_init(void)
{
	for (int b = 0; b < 256; b++) {
		uint16_t c = (uint16_t)b;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (uint16_t)(c >> 1 ^ 0xa001) : (uint16_t)(c >> 1);
		crc_table[0][b] = c;
	}
	for (int t = 1; t < 8; t++)
		for (int b = 0; b < 256; b++)
			crc_table[t][b] = (uint16_t)(crc_table[t - 1][b] >> 8 ^ crc_table[0][crc_table[t - 1][b] & 0xff]);
}

uint16_t dsmr_crc16(uint16_t crc, const void *p, size_t len)
{
	const unsigned char *b = p;

	call_once(&crc_once, crc_init);
	/* Eight bytes a step: the 16-bit register only meets the first two of them. */
	for (; len >= 8; b += 8, len -= 8) {
		unsigned x = crc ^ (b[0] | (unsigned)b[1] << 8);
		crc = crc_table[7][x & 0xff] ^ crc_table[6][x >> 8] ^ crc_table[5][b[2]] ^ crc_table[4][b[3]] ^
		      crc_table[3][b[4]] ^ crc_table[2][b[5]] ^ crc_table[1][b[6]] ^ crc_table[0][b[7]];
	}
	for (; len > 0; b++, len--)
		crc = (uint16_t)(crc >> 8 ^ crc_table[0][(crc ^ *b) & 0xff]);
	return crc;
}

/* ---- the framer ---------------------------------------------------------- */

enum framer_state {
	HUNT,   /* between frames: bytes are garbage until a '/' */
	SKIP,   /* after a dropped frame: bytes skipped silently until a '/' */
	BODY,   /* from '/' to '!' */
	TAIL    /* after '!': the CRC digits and CR LF */
};

static const char truncated_why[] = "truncated telegram: a new one starts before its end";

static void emit(struct dsmr_framer *f, enum dsmr_event_kind kind, uint64_t offset, size_t len,
                 uint64_t bad_offset, const char *why)
{
	struct dsmr_event ev = { kind, offset, len, kind == DSMR_FRAME ? f->buf : NULL, bad_offset, why };

	f->cb(&ev, f->arg);
}

void dsmr_framer_init(struct dsmr_framer *f, dsmr_framer_cb *cb, void *arg)
{
	f->cb = cb;
	f->arg = arg;
	f->state = HUNT;
	f->pos = 0;
	f->start = 0;
	f->len = 0;
	f->crc_digits = 0;
	f->slash = 0;
	f->slash_pending = false;
	f->garbage_start = 0;
	f->garbage_len = 0;
	f->garbage_seen = false;
}

static void flush_garbage(struct dsmr_framer *f)
{
	/* Line ends between telegrams are not worth a report. */
	if (f->garbage_len > 0 && f->garbage_seen)
		emit(f, DSMR_GARBAGE, f->garbage_start, f->garbage_len, f->garbage_start, NULL);
	f->garbage_len = 0;
	f->garbage_seen = false;
}

static void add_garbage(struct dsmr_framer *f, unsigned char c)
{
	if (f->garbage_len == 0)
		f->garbage_start = f->pos;
	f->garbage_len++;
	if (c != '\r' && c != '\n')
		f->garbage_seen = true;
}

static void start_frame(struct dsmr_framer *f)
{
	flush_garbage(f);
	f->buf[0] = '/';
	f->len = 1;
	f->start = f->pos;
	f->state = BODY;
	f->slash_pending = false;
}

/* Drops the frame for a reason found at the current byte; what follows up to the next '/' is skipped. */
static void drop(struct dsmr_framer *f, const char *why)
{
	emit(f, DSMR_DROPPED, f->start, f->len, f->pos, why);
	f->len = 0;
	f->state = SKIP;
}

static bool is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* "/MMMZ": a '/', three letters (manufacturer) and a digit (baud rate): an identification line starts. */
static bool ident_start(const char *p)
{
	return p[0] == '/' && is_alpha(p[1]) && is_alpha(p[2]) && is_alpha(p[3]) && p[4] >= '0' && p[4] <= '9';
}

/* The last n bytes of buf begin a new telegram: report the rest as truncated and keep those. */
static void restart_within(struct dsmr_framer *f, size_t n)
{
	size_t head = f->len - n;

	emit(f, DSMR_DROPPED, f->start, head, f->start + head, truncated_why);
	memmove(f->buf, f->buf + head, n);
	f->start += head;
	f->len = n;
}

static void body_byte(struct dsmr_framer *f, unsigned char c)
{
	if (c == 0 || c >= 0x80) {
		drop(f, "NUL or non-ASCII byte in telegram");
		return;
	}
	if (c == '/' && f->buf[f->len - 1] == '\n') {
		emit(f, DSMR_DROPPED, f->start, f->len, f->pos, truncated_why);
		start_frame(f);
		return;
	}
	if (f->len == DSMR_MAX_TELEGRAM) {
		drop(f, "telegram longer than 16384 bytes");
		return;
	}
	f->buf[f->len++] = (char)c;
	if (c == '!') {
		f->state = TAIL;
		f->crc_digits = 0;
	} else if (c == '/') {
		f->slash = f->len - 1;
		f->slash_pending = true;
	} else if (f->slash_pending && f->len - f->slash == 5) {
		f->slash_pending = false;
		if (ident_start(f->buf + f->slash))
			restart_within(f, 5);
	}
}

static void tail_byte(struct dsmr_framer *f, unsigned char c)
{
	bool after_cr = f->buf[f->len - 1] == '\r';

	if (f->len == DSMR_MAX_TELEGRAM) {
		drop(f, "telegram longer than 16384 bytes");
		return;
	}
	if (!after_cr && f->crc_digits < 4 && hex_digit(c) >= 0) {
		f->buf[f->len++] = (char)c;
		f->crc_digits++;
	} else if (!after_cr && c == '\r') {
		f->buf[f->len++] = (char)c;
	} else if (c == '\n' && (f->crc_digits == 0 || f->crc_digits == 4)) {
		f->buf[f->len++] = (char)c;
		emit(f, DSMR_FRAME, f->start, f->len, f->start, NULL);
		f->len = 0;
		f->state = HUNT;
	} else if (c == '/') {
		emit(f, DSMR_DROPPED, f->start, f->len, f->pos, "malformed telegram end: a new telegram starts in it");
		start_frame(f);
	} else {
		drop(f, "malformed telegram end: '!' is not followed by a 4-digit CRC and CR LF");
	}
}

static void step(struct dsmr_framer *f, unsigned char c)
{
	switch (f->state) {
	case BODY:
		body_byte(f, c);
		break;
	case TAIL:
		tail_byte(f, c);
		break;
	default:
		if (c == '/')
			start_frame(f);
		else if (f->state == HUNT)
			add_garbage(f, c);
		break;
	}
	f->pos++;
}

/* Bytes that need step() inside a frame body (and every byte from 0x80); the rest are copied in runs. */
static const bool body_special[128] = { [0] = true, ['\n'] = true, ['/'] = true, ['!'] = true };

static bool plain_body_byte(unsigned char c)
{
	return c < 0x80 && !body_special[c];
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* Whether one of the eight bytes of v (none above 0x7f) is b. */
static bool has_byte(uint64_t v, unsigned char b)
{
	uint64_t x = v ^ (ONES * b);

	return ((x - ONES) & ~x & HIGHS) != 0;
}

/* The length of the run of plain body bytes at p[0..n), eight bytes a step where none is special. */
static size_t plain_run(const unsigned char *p, size_t n)
{
	size_t i = 0;
	uint64_t v;

	for (; i + 8 <= n; i += 8) {
		memcpy(&v, p + i, 8);
		if ((v & HIGHS) || has_byte(v, 0) || has_byte(v, '\n') || has_byte(v, '/') || has_byte(v, '!'))
			break;
	}
	while (i < n && plain_body_byte(p[i]))
		i++;
	return i;
}

void dsmr_framer_feed(struct dsmr_framer *f, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i = 0;

	while (i < len) {
		/* Fast path: copy a run of ordinary bytes of a frame body at once. */
		if (f->state == BODY && !f->slash_pending && plain_body_byte(p[i])) {
			size_t run = plain_run(p + i, len - i);
			if (run <= DSMR_MAX_TELEGRAM - f->len) {
				memcpy(f->buf + f->len, p + i, run);
				f->len += run;
				f->pos += run;
				i += run;
				continue;
			}
		}
		step(f, p[i++]);
	}
}

void dsmr_framer_finish(struct dsmr_framer *f)
{
	if ((f->state == BODY || f->state == TAIL) && f->len > 0)
		emit(f, DSMR_DROPPED, f->start, f->len, f->pos, "truncated telegram: the stream ends before its end");
	flush_garbage(f);
	f->len = 0;
	f->state = HUNT;
}

/* ---- the parser ---------------------------------------------------------- */

/* Registers that may appear once; a second one means a damaged or glued telegram. */
enum seen_bit { SEEN_VERSION, SEEN_VERSION_BE, SEEN_TIME, SEEN_ID, SEEN_ID_LUX, SEEN_TARIFF };

struct parse {
	struct reading *r;
	const char *text;               /* the telegram, for offsets */
	unsigned seen;
	uint8_t mbus_seen[READING_MBUS];
	struct obis_store electricity;
	size_t bad_offset;
	const char *why;
};

static int fail_at(struct parse *ps, const char *where, const char *why)
{
	ps->bad_offset = (size_t)(where - ps->text);
	ps->why = why;
	return -1;
}

static int once(struct parse *ps, const struct obis_set *s, int bit)
{
	if (ps->seen & (1u << bit))
		return fail_at(ps, s->value[0].p, "register sent twice");
	ps->seen |= 1u << bit;
	return 0;
}

static int need_values(struct parse *ps, const struct obis_set *s, int n, const char *line)
{
	if (s->nvalues != n || s->more)
		return fail_at(ps, s->nvalues > 0 ? s->value[0].p : line, "wrong number of values for this register");
	return 0;
}

static bool all_digits(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return len > 0;
}

static int small_int(const struct obis_text *v, int max)
{
	int n = 0;

	if (!all_digits(v->p, v->len) || v->len > 9)
		return -1;
	for (size_t i = 0; i < v->len; i++)
		n = n * 10 + (v->p[i] - '0');
	return n <= max ? n : -1;
}

static int two(const char *p)
{
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/*
 * "YYMMDDhhmmssX" (X: W winter = UTC+1, S summer = UTC+2) to Unix seconds.
 * Without X (12 digits, DSMR 2.2/3.0) the time is checked but has no known
 * offset: *has_time is false.
 */
static int parse_timestamp(const struct obis_text *v, int64_t *out, bool *has_time)
{
	static const int month_days[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (v->len < 12 || v->len > 13 || !all_digits(v->p, 12))
		return -1;
	int y = 2000 + two(v->p), mo = two(v->p + 2), d = two(v->p + 4);
	int h = two(v->p + 6), mi = two(v->p + 8), s = two(v->p + 10);
	if (mo < 1 || mo > 12 || d < 1 || d > month_days[mo - 1] || (mo == 2 && d == 29 && y % 4 != 0) ||
	    h > 23 || mi > 59 || s > 59)
		return -1;
	int64_t local = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + s;
	*has_time = v->len == 13;
	if (v->len == 12) {
		*out = 0;
		return 0;
	}
	if (v->p[12] != 'W' && v->p[12] != 'S')
		return -1;
	*out = local - (v->p[12] == 'W' ? 3600 : 7200);
	return 0;
}

static bool printable(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	return true;
}

/*
 * DSMR 4/5 send identifiers as hex-encoded ASCII: decode when that gives
 * printable text, else keep as sent. dst is filled whole (zeros after the
 * text), so equal readings are equal byte for byte.
 */
static int decode_id(char dst[READING_ID_SIZE], const struct obis_text *v)
{
	char text[READING_ID_SIZE] = { 0 };
	size_t n = v->len / 2;
	bool hex_text = v->len % 2 == 0 && n > 0 && n < READING_ID_SIZE;

	for (size_t i = 0; hex_text && i < n; i++) {
		int hi = hex_digit((unsigned char)v->p[2 * i]), lo = hex_digit((unsigned char)v->p[2 * i + 1]);
		int c = hi < 0 || lo < 0 ? -1 : hi << 4 | lo;   /* no shift of -1: undefined */
		if (c < 0x20 || c > 0x7e)
			hex_text = false;
		else
			text[i] = (char)c;
	}
	if (!hex_text) {
		if (v->len >= READING_ID_SIZE || !printable(v->p, v->len))
			return -1;
		memset(text, 0, sizeof text);
		memcpy(text, v->p, v->len);
	}
	memcpy(dst, text, sizeof text);
	return 0;
}

static int set_id(struct parse *ps, const struct obis_set *s, int bit, const char *line)
{
	char id[READING_ID_SIZE];

	if (need_values(ps, s, 1, line) < 0 || once(ps, s, bit) < 0)
		return -1;
	if (decode_id(id, &s->value[0]) < 0)
		return fail_at(ps, s->value[0].p, "malformed equipment identifier");
	/* 0-0:96.1.1 is the equipment identifier; Smarty's 0-0:42.0.0 only stands in for it. */
	if (bit == SEEN_ID || !(ps->seen & (1u << SEEN_ID)))
		memcpy(ps->r->meter_id, id, sizeof id);
	return 0;
}

static int set_version(struct parse *ps, const struct obis_set *s, int bit, const char *line)
{
	const struct obis_text *v = &s->value[0];

	if (need_values(ps, s, 1, line) < 0 || once(ps, s, bit) < 0)
		return -1;
	if (!all_digits(v->p, v->len) || v->len >= sizeof ps->r->version)
		return fail_at(ps, v->p, "malformed version");
	/* 1-3:0.2.8 is the P1 version; the Belgian 0-0:96.1.4 only stands in for it. */
	if (bit == SEEN_VERSION || !(ps->seen & (1u << SEEN_VERSION))) {
		memcpy(ps->r->version, v->p, v->len);
		ps->r->version[v->len] = '\0';
	}
	return 0;
}

static int set_time(struct parse *ps, const struct obis_set *s, const char *line)
{
	bool has_time;

	if (need_values(ps, s, 1, line) < 0 || once(ps, s, SEEN_TIME) < 0)
		return -1;
	if (parse_timestamp(&s->value[0], &ps->r->meter_time, &has_time) < 0 || !has_time)
		return fail_at(ps, s->value[0].p, "malformed timestamp");
	ps->r->has_meter_time = true;
	return 0;
}

static int set_tariff(struct parse *ps, const struct obis_set *s, const char *line)
{
	int t;

	if (need_values(ps, s, 1, line) < 0 || once(ps, s, SEEN_TARIFF) < 0)
		return -1;
	if ((t = small_int(&s->value[0], 9999)) < 0)
		return fail_at(ps, s->value[0].p, "malformed tariff indicator");
	ps->r->tariff = t;
	return 0;
}

static struct reading_mbus *mbus_channel(struct reading *r, int channel)
{
	for (int i = 0; i < r->nmbus; i++)
		if (r->mbus[i].channel == channel)
			return &r->mbus[i];
	if (r->nmbus == READING_MBUS)
		return NULL;
	struct reading_mbus *m = &r->mbus[r->nmbus++];
	m->channel = channel;
	m->device_type = -1;
	return m;
}

enum { MBUS_TYPE = 1, MBUS_ID = 2, MBUS_VALUE = 4 };

static int mbus_once(struct parse *ps, const struct obis_set *s, int bit, const char *line)
{
	uint8_t *seen = &ps->mbus_seen[s->code.b - 1];

	if (*seen & bit)
		return fail_at(ps, s->nvalues > 0 ? s->value[0].p : line, "register sent twice");
	*seen |= (uint8_t)bit;
	return 0;
}

/* A meter reading (value*unit, or value and a separate unit) into an M-Bus channel. */
static int mbus_value(struct parse *ps, struct reading_mbus *m, const struct obis_text *v, const struct obis_text *unit_alone)
{
	struct obis_text number, unit;

	obis_split_unit(v, &number, &unit);
	if (unit_alone != NULL && unit.len == 0)
		unit = *unit_alone;
	if (decimal_parse(&m->value, number.p, number.len) < 0)
		return fail_at(ps, v->p, "malformed register value");
	if (unit.len >= sizeof m->unit || !printable(unit.p, unit.len))
		return fail_at(ps, unit.p, "malformed unit");
	memcpy(m->unit, unit.p, unit.len);
	m->unit[unit.len] = '\0';
	return 0;
}

static int mbus_time(struct parse *ps, struct reading_mbus *m, const struct obis_text *v)
{
	if (parse_timestamp(v, &m->time, &m->has_time) < 0)
		return fail_at(ps, v->p, "malformed timestamp");
	return 0;
}

static int mbus_type(struct parse *ps, struct reading_mbus *m, const struct obis_set *s, const char *line)
{
	int n;

	if (need_values(ps, s, 1, line) < 0 || mbus_once(ps, s, MBUS_TYPE, line) < 0)
		return -1;
	if ((n = small_int(&s->value[0], 255)) < 0)
		return fail_at(ps, s->value[0].p, "malformed M-Bus device type");
	m->device_type = n;
	return 0;
}

static int mbus_id(struct parse *ps, struct reading_mbus *m, const struct obis_set *s, const char *line)
{
	if (need_values(ps, s, 1, line) < 0 || mbus_once(ps, s, MBUS_ID, line) < 0)
		return -1;
	if (decode_id(m->id, &s->value[0]) < 0)
		return fail_at(ps, s->value[0].p, "malformed equipment identifier");
	return 0;
}

/*
 * 24.2.1 (DSMR 4/5) and 24.2.3 (e-MUCS): (time)(value*unit). 24.3.0 (DSMR
 * 2.2/3.0): (time)(00)(60)(1)(0-1:24.2.1)(m3) CR LF (00001.001).
 */
static int mbus_reading(struct parse *ps, struct reading_mbus *m, const struct obis_set *s, bool dsmr22,
                        const char *line)
{
	if (need_values(ps, s, dsmr22 ? 7 : 2, line) < 0 || mbus_once(ps, s, MBUS_VALUE, line) < 0)
		return -1;
	if (mbus_time(ps, m, &s->value[0]) < 0)
		return -1;
	if (dsmr22)
		return mbus_value(ps, m, &s->value[6], &s->value[5]);
	return mbus_value(ps, m, &s->value[1], NULL);
}

/* M-Bus channels 0-n:… (n = 1..4): gas, water, heat meters. */
static int apply_mbus(struct parse *ps, const struct obis_set *s, const char *line)
{
	const struct obis_code *c = &s->code;
	bool type = c->c == 24 && c->d == 1 && c->e == 0;
	/* 96.1.0 in DSMR 4/5; Belgian e-MUCS meters send the M-Bus equipment id as 96.1.1. */
	bool id = c->c == 96 && c->d == 1 && (c->e == 0 || c->e == 1);
	bool reading45 = c->c == 24 && c->d == 2 && (c->e == 1 || c->e == 3);
	bool reading22 = c->c == 24 && c->d == 3 && c->e == 0;
	struct reading_mbus *m;

	if (!type && !id && !reading45 && !reading22)
		return 0;
	if ((m = mbus_channel(ps->r, c->b)) == NULL)
		return 0;
	if (type)
		return mbus_type(ps, m, s, line);
	if (id)
		return mbus_id(ps, m, s, line);
	return mbus_reading(ps, m, s, reading22, line);
}

static int apply_general(struct parse *ps, const struct obis_set *s, const char *line)
{
	const struct obis_code *c = &s->code;

	if (obis_is(c, 0, 0, 1, 0, 0))
		return set_time(ps, s, line);
	if (obis_is(c, 0, 0, 96, 1, 1))
		return set_id(ps, s, SEEN_ID, line);
	if (obis_is(c, 0, 0, 42, 0, 0))
		return set_id(ps, s, SEEN_ID_LUX, line);
	if (obis_is(c, 0, 0, 96, 14, 0))
		return set_tariff(ps, s, line);
	if (obis_is(c, 0, 0, 96, 1, 4))
		return set_version(ps, s, SEEN_VERSION_BE, line);
	return 0;
}

static int apply(struct parse *ps, const struct obis_set *s, const char *line)
{
	const struct obis_code *c = &s->code;

	if (c->f != -1 && c->f != 255)
		return 0;
	if (c->a == 1 && c->b == 0) {
		const char *where, *why;
		int rc = obis_store_register(&ps->electricity, s, &where, &why);
		return rc < 0 ? fail_at(ps, where != NULL ? where : line, why) : 0;
	}
	if (obis_is(c, 1, 3, 0, 2, 8))
		return set_version(ps, s, SEEN_VERSION, line);
	if (c->a == 0 && c->b == 0)
		return apply_general(ps, s, line);
	if (c->a == 0 && c->b >= 1 && c->b <= READING_MBUS)
		return apply_mbus(ps, s, line);
	return 0;
}

/* The end: "!" then 4 hex digits or none, then CR LF (or LF, or nothing). Returns the digit count or -1. */
static int check_end(const char *bang, const char *end)
{
	const char *p = bang + 1;
	int digits = 0;

	while (p < end && digits < 4 && hex_digit((unsigned char)*p) >= 0) {
		p++;
		digits++;
	}
	if (digits != 0 && digits != 4)
		return -1;
	if (p < end && *p == '\r')
		p++;
	if (p < end && *p == '\n')
		p++;
	return p == end ? digits : -1;
}

static int check_crc(struct parse *ps, const char *bang)
{
	uint16_t want = 0;

	for (int i = 1; i <= 4; i++)
		want = (uint16_t)(want << 4 | hex_digit((unsigned char)bang[i]));
	if (dsmr_crc16(0, ps->text, (size_t)(bang - ps->text) + 1) != want)
		return fail_at(ps, bang + 1, "CRC mismatch");
	return 0;
}

/* The identification line "/MMMZ…" into model; returns where the data lines start, or NULL. */
static const char *parse_ident(struct parse *ps, const char *bang)
{
	const char *p = ps->text + 1, *eol = p;

	while (eol < bang && *eol != '\r' && *eol != '\n')
		eol++;
	size_t n = (size_t)(eol - p);
	if (eol == bang || n == 0) {
		fail_at(ps, p, "telegram without identification line");
		return NULL;
	}
	if (n >= sizeof ps->r->model || !printable(p, n)) {
		fail_at(ps, p, "malformed identification line");
		return NULL;
	}
	memcpy(ps->r->model, p, n);
	ps->r->model[n] = '\0';
	return eol;
}

static int parse_lines(struct parse *ps, const char *p, const char *bang)
{
	struct obis_set set;
	int lines = 0;

	while (p < bang) {
		if (*p == '\r' || *p == '\n') {
			p++;
			continue;
		}
		size_t used, off;
		const char *why;
		if (obis_parse(&set, p, (size_t)(bang - p), OBIS_SPAN_LINES, &used, &off, &why) < 0)
			return fail_at(ps, p + off, why);
		const char *after = p + used;
		if (after < bang && *after != '\r' && *after != '\n')
			return fail_at(ps, after, "unexpected text after the values");
		if (set.nvalues == 0)
			return fail_at(ps, after, "data line without a value");
		if (apply(ps, &set, p) < 0)
			return -1;
		p = after;
		lines++;
	}
	/* Without a CRC, "/ident CR LF ! CR LF" is what a damaged '!' makes of any telegram's head. */
	return lines > 0 ? 0 : fail_at(ps, bang, "telegram without data lines");
}

static int parse_telegram(struct parse *ps, size_t len, bool no_crc)
{
	const char *t = ps->text, *end = t + len;
	const char *bang;
	int digits;

	if (len == 0 || t[0] != '/')
		return fail_at(ps, t, "telegram does not start with '/'");
	if ((bang = memchr(t, '!', len)) == NULL)
		return fail_at(ps, end, "telegram without end ('!')");
	if ((digits = check_end(bang, end)) < 0)
		return fail_at(ps, bang + 1, "malformed telegram end: '!' is not followed by a 4-digit CRC and CR LF");
	if (digits == 4 && !no_crc && check_crc(ps, bang) < 0)
		return -1;
	const char *lines = parse_ident(ps, bang);
	if (lines == NULL || parse_lines(ps, lines, bang) < 0)
		return -1;
	/* DSMR 4 and later always send a CRC: one missing is a damaged end, not an old meter. */
	if (digits == 0 && !no_crc && ps->r->version[0] >= '4' && ps->r->version[0] <= '9')
		return fail_at(ps, bang + 1, "DSMR 4 or later telegram without CRC");
	if (obis_store_finish(&ps->electricity, &ps->why) < 0)
		return fail_at(ps, bang, ps->why);
	ps->r->checked = digits == 4 && !no_crc;
	return 0;
}

int dsmr_parse(struct reading *out, const char *telegram, size_t len, bool no_crc, size_t *bad_offset,
               const char **why)
{
	struct parse ps;

	memset(&ps, 0, sizeof ps);
	ps.r = out;
	ps.text = telegram;
	reading_clear(out);
	obis_store_init(&ps.electricity, out);
	out->protocol = "dsmr";
	if (parse_telegram(&ps, len, no_crc) < 0) {
		reading_clear(out);
		*bad_offset = ps.bad_offset;
		*why = ps.why;
		return -1;
	}
	return 0;
}
