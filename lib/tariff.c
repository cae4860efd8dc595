#include "tariff.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jv.h>

#include "amount.h"
#include "buf.h"
#include "diag.h"
#include "hex.h"
#include "keccak.h"
#include "jsonscan.h"
#include "timeutil.h"
#include "tz.h"
#include "utf8.h"
#include "xio.h"

#define MINUTES_PER_DAY 1440
#define NO_RULE UINT16_MAX

enum kind { KIND_CONSTANT, KIND_TOU, KIND_DYNAMIC };

static const char day_names[7][4] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
#define SUNDAY 6

/* A rule's days and hours live in the tariff's table, which names the rule that wins each minute. */
struct tou_rule {
	mpz_t buy, sell;
};

struct holiday {
	int64_t day;        /* days since 1970-01-01 */
	unsigned long line;
};

struct step_price {
	int64_t start;
	mpz_t buy, sell;
};

struct tariff {
	enum kind kind;
	mpz_t buy, sell;                          /* constant */
	struct tz *zone;                          /* tou */
	struct tou_rule *rules;
	size_t nrules;
	uint16_t table[7][MINUTES_PER_DAY];       /* the winning rule of each weekday and minute */
	struct holiday *holidays;
	size_t nholidays, cap_holidays;
	int64_t step_ms;                          /* dynamic */
	struct step_price *prices;
	size_t nprices, cap_prices;
};

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ---- parsing a tariff file ---- */

struct parser {
	const char *name;
	unsigned long line;
	unsigned long header_line, last_rule_line, last_price_line;
	bool header_seen;
	struct tariff *t;
};

__attribute__((format(printf, 2, 3)))
static int fail(struct parser *p, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	diag_warn("'%s' line %lu: %s", p->name, p->line, msg);
	return -1;
}

/* A value from the file fit for a diagnostic: at most 40 bytes, whole UTF-8 characters, control bytes as '?'. */
static const char *shown(char out[64], const char *s, size_t len)
{
	size_t n = len > 40 ? 40 : len, j = 0;

	while (n > 0 && n < len && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	for (size_t i = 0; i < n; i++)
		out[j++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	if (n < len) {
		memcpy(out + j, "...", 3);
		j += 3;
	}
	out[j] = '\0';
	return out;
}

/*
 * The string member key of obj: 1 with its bytes (kept alive by obj) and
 * length, 0 when absent, -1 when it is not a string or holds a NUL.
 */
static int get_string(struct parser *p, jv obj, const char *key, const char **s, size_t *len)
{
	jv v = jv_object_get(jv_copy(obj), jv_string(key));
	jv_kind kind = jv_get_kind(v);

	if (kind == JV_KIND_INVALID) {
		jv_free(v);
		return 0;
	}
	if (kind != JV_KIND_STRING) {
		jv_free(v);
		return fail(p, "field '%s' must be a string", key);
	}
	*s = jv_string_value(v);
	*len = (size_t)jv_string_length_bytes(jv_copy(v));
	jv_free(v);
	if (memchr(*s, '\0', *len) != NULL)
		return fail(p, "field '%s' holds a NUL character", key);
	return 1;
}

static int need_string(struct parser *p, jv obj, const char *key, const char **s, size_t *len)
{
	int r = get_string(p, obj, key, s, len);

	if (r == 0)
		return fail(p, "field '%s' is missing", key);
	return r < 0 ? -1 : 0;
}

static bool equals(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(s, word, len) == 0;
}

/* Every member of obj is one of allowed or "note", and a note is a string. */
static int check_members(struct parser *p, jv obj, const char *const *allowed, const char *what)
{
	const char *s;
	size_t len;
	int rc = 0;

	for (int it = jv_object_iter(obj); rc == 0 && jv_object_iter_valid(obj, it); it = jv_object_iter_next(obj, it)) {
		jv key = jv_object_iter_key(obj, it);
		const char *k = jv_string_value(key);
		size_t klen = (size_t)jv_string_length_bytes(jv_copy(key));
		bool known = equals(k, klen, "note");
		for (size_t i = 0; allowed[i] != NULL && !known; i++)
			known = equals(k, klen, allowed[i]);
		if (!known) {
			char buf[64];
			rc = fail(p, "unknown field '%s' in %s", shown(buf, k, klen), what);
		}
		jv_free(key);
	}
	if (rc == 0 && get_string(p, obj, "note", &s, &len) < 0)
		rc = -1;
	return rc;
}

/* A price member: a string of base units. Also returns its text for messages. */
static int get_price(struct parser *p, jv obj, const char *key, mpz_t out, const char **text)
{
	jv v = jv_object_get(jv_copy(obj), jv_string(key));
	jv_kind kind = jv_get_kind(v);
	const char *why;
	size_t len;

	jv_free(v);
	if (kind == JV_KIND_NUMBER)
		return fail(p, "field '%s' must be a string of base units per kWh such as \"250000\", not a JSON number",
		            key);
	if (kind == JV_KIND_INVALID)
		return fail(p, "field '%s' is missing", key);
	if (get_string(p, obj, key, text, &len) < 0)
		return -1;
	if (amount_parse(out, *text, len, &why) < 0) {
		char buf[64];
		return fail(p, "field '%s': '%s': %s", key, shown(buf, *text, len), why);
	}
	return 0;
}

static int get_prices(struct parser *p, jv obj, mpz_t buy, mpz_t sell)
{
	const char *b, *s;
	char bb[64], sb[64];

	if (get_price(p, obj, "buy", buy, &b) < 0 || get_price(p, obj, "sell", sell, &s) < 0)
		return -1;
	if (mpz_cmp(buy, sell) < 0)
		return fail(p, "buy price %s is below sell price %s (a tariff needs buy >= sell)",
		            shown(bb, b, strlen(b)), shown(sb, s, strlen(s)));
	return 0;
}

/* "all", or day names and forward ranges separated by commas, into a mask (bit 0 mon). */
static int parse_days(struct parser *p, const char *s, size_t len, uint8_t *mask)
{
	char buf[64];
	size_t i = 0;

	*mask = 0;
	if (equals(s, len, "all")) {
		*mask = 0x7f;
		return 0;
	}
	for (;;) {
		const char *item = s + i, *comma = memchr(item, ',', len - i);
		size_t n = comma ? (size_t)(comma - item) : len - i;
		const char *dash = memchr(item, '-', n);
		int a = -1, b = -1;
		for (int d = 0; d < 7; d++) {
			if (equals(item, dash ? (size_t)(dash - item) : n, day_names[d]))
				a = d;
			if (equals(dash ? dash + 1 : item, dash ? n - (size_t)(dash - item) - 1 : n, day_names[d]))
				b = d;
		}
		if (a < 0 || b < 0)
			return fail(p, "days '%s': want \"all\", or day names mon tue wed thu fri sat sun and ranges "
			            "such as \"mon-fri,sun\"", shown(buf, s, len));
		if (a > b)
			return fail(p, "days '%s': the range %s-%s runs backwards (weeks run from mon to sun)",
			            shown(buf, s, len), day_names[a], day_names[b]);
		for (int d = a; d <= b; d++) {
			if (*mask & (1u << d))
				return fail(p, "days '%s' names %s twice", shown(buf, s, len), day_names[d]);
			*mask |= (uint8_t)(1u << d);
		}
		if (comma == NULL)
			return 0;
		i += n + 1;
	}
}

/* "HH:MM" from 00:00 to 24:00 as minutes, or -1. */
static int parse_hhmm(const char *s, size_t len)
{
	if (len != 5 || !is_digit(s[0]) || !is_digit(s[1]) || s[2] != ':' || !is_digit(s[3]) || !is_digit(s[4]))
		return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 24 || m > 59 || (h == 24 && m != 0))
		return -1;
	return h * 60 + m;
}

static int load_zone(struct parser *p, const char *name, size_t len)
{
	const char *why;
	char buf[64];

	/* Refused here, not by tz_load_name, to quote the name as every other field is. */
	if (!tz_name_ok(name))
		return fail(p, "field 'tz': '%s' is not an IANA time zone name such as \"Europe/Zurich\"",
		            shown(buf, name, len));
	return tz_load_name(&p->t->zone, name, &why) < 0 ? fail(p, "%s", why) : 0;
}

static int tou_zone(struct parser *p, jv obj)
{
	const char *tz = NULL, *posix = NULL, *why;
	size_t tzlen, plen;
	int a = get_string(p, obj, "tz", &tz, &tzlen), b = a < 0 ? -1 : get_string(p, obj, "tz_posix", &posix, &plen);

	if (a < 0 || b < 0)
		return -1;
	if (a + b != 1)
		return fail(p, "a tou tariff names its zone with one of 'tz' (an IANA name such as \"Europe/Zurich\") "
		            "and 'tz_posix' (a POSIX TZ rule)");
	if (tz != NULL)
		return load_zone(p, tz, tzlen);
	if (tz_load_posix(&p->t->zone, posix, &why) < 0) {
		char buf[64];
		return fail(p, "field 'tz_posix': '%s': %s", shown(buf, posix, plen), why);
	}
	return 0;
}

static int header(struct parser *p, jv obj)
{
	static const char *const constant[] = { "type", "kind", "buy", "sell", NULL };
	static const char *const tou[] = { "type", "kind", "tz", "tz_posix", NULL };
	static const char *const dynamic[] = { "type", "kind", "step", NULL };
	struct tariff *t = p->t;
	const char *kind, *step;
	size_t len, slen;
	char buf[64];

	p->header_seen = true;
	p->header_line = p->line;
	if (need_string(p, obj, "kind", &kind, &len) < 0)
		return -1;
	if (equals(kind, len, "constant")) {
		t->kind = KIND_CONSTANT;
		return check_members(p, obj, constant, "a constant tariff's header") < 0 ? -1
		       : get_prices(p, obj, t->buy, t->sell);
	}
	if (equals(kind, len, "tou")) {
		t->kind = KIND_TOU;
		return check_members(p, obj, tou, "a tou tariff's header") < 0 ? -1 : tou_zone(p, obj);
	}
	if (!equals(kind, len, "dynamic"))
		return fail(p, "unknown tariff kind '%s' (want constant, tou or dynamic)", shown(buf, kind, len));
	t->kind = KIND_DYNAMIC;
	if (check_members(p, obj, dynamic, "a dynamic tariff's header") < 0 || need_string(p, obj, "step", &step, &slen) < 0)
		return -1;
	if (duration_parse(&t->step_ms, step) < 0)
		return fail(p, "field 'step': '%s' is not a duration such as \"15m\", \"1h\" or \"900\"",
		            shown(buf, step, slen));
	if (86400000 % t->step_ms != 0)
		return fail(p, "field 'step': '%s' does not divide a day", shown(buf, step, slen));
	return 0;
}

static int tou_rule(struct parser *p, jv obj)
{
	static const char *const fields[] = { "type", "days", "from", "to", "buy", "sell", NULL };
	struct tariff *t = p->t;
	const char *days, *from, *to;
	size_t dlen, flen, tlen;
	char fb[64], tb[64];
	uint8_t mask;

	if (check_members(p, obj, fields, "a tou rule") < 0 || need_string(p, obj, "days", &days, &dlen) < 0 ||
	    need_string(p, obj, "from", &from, &flen) < 0 || need_string(p, obj, "to", &to, &tlen) < 0 ||
	    parse_days(p, days, dlen, &mask) < 0)
		return -1;
	int f = parse_hhmm(from, flen), e = parse_hhmm(to, tlen);
	if (f < 0 || f == MINUTES_PER_DAY)
		return fail(p, "field 'from': '%s' is not a time of day from 00:00 to 23:59", shown(fb, from, flen));
	if (e <= 0)
		return fail(p, "field 'to': '%s' is not a time of day from 00:01 to 24:00", shown(tb, to, tlen));
	if (f >= e)
		return fail(p, "from %s is not before to %s (a rule over midnight is two rules)", shown(fb, from, flen),
		            shown(tb, to, tlen));
	if (t->nrules == TARIFF_MAX_RULES)
		return fail(p, "more than %d tou rules", TARIFF_MAX_RULES);
	if (t->rules == NULL)
		t->rules = xcalloc(TARIFF_MAX_RULES, sizeof *t->rules);
	struct tou_rule *r = &t->rules[t->nrules];
	mpz_inits(r->buy, r->sell, NULL);
	t->nrules++;            /* owned from here on, so tariff_free clears it */
	if (get_prices(p, obj, r->buy, r->sell) < 0)
		return -1;
	/* First match wins: this rule gets only the minutes no rule before it took. */
	bool wins = false;
	for (int d = 0; d < 7; d++)
		for (int m = f; (mask & (1u << d)) && m < e; m++)
			if (t->table[d][m] == NO_RULE) {
				t->table[d][m] = (uint16_t)(t->nrules - 1);
				wins = true;
			}
	if (!wins)
		return fail(p, "this rule never applies: the rules before it already cover all its times");
	p->last_rule_line = p->line;
	return 0;
}

static int holiday(struct parser *p, jv obj)
{
	static const char *const fields[] = { "type", "date", NULL };
	struct tariff *t = p->t;
	const char *date, *why;
	size_t len;
	char text[32], buf[64];
	int64_t ms;

	if (check_members(p, obj, fields, "a holiday record") < 0 || need_string(p, obj, "date", &date, &len) < 0)
		return -1;
	snprintf(text, sizeof text, "%.10sT00:00:00Z", date);
	if (len != 10 || date[4] != '-' || date[7] != '-' || rfc3339_parse(&ms, text, strlen(text), &why) < 0)
		return fail(p, "field 'date': '%s' is not a date such as \"2026-12-25\"", shown(buf, date, len));
	if (t->nholidays == t->cap_holidays) {
		t->cap_holidays = t->cap_holidays ? 2 * t->cap_holidays : 16;
		t->holidays = xrealloc(t->holidays, t->cap_holidays * sizeof *t->holidays);
	}
	t->holidays[t->nholidays++] = (struct holiday){ floor_div(ms, 86400000), p->line };
	return 0;
}

static int price(struct parser *p, jv obj)
{
	static const char *const fields[] = { "type", "start", "buy", "sell", NULL };
	struct tariff *t = p->t;
	const char *start, *why;
	size_t len;
	char buf[64];
	int64_t ms;

	if (check_members(p, obj, fields, "a price record") < 0 || need_string(p, obj, "start", &start, &len) < 0)
		return -1;
	if (rfc3339_parse(&ms, start, len, &why) < 0)
		return fail(p, "field 'start': '%s': %s", shown(buf, start, len), why);
	if (start[len - 1] != 'Z')
		return fail(p, "field 'start': '%s' must be in UTC, ending in Z", shown(buf, start, len));
	if (ms - floor_div(ms, t->step_ms) * t->step_ms != 0)
		return fail(p, "start %s is not on a step boundary (a multiple of %lld s since 1970-01-01T00:00:00Z)",
		            shown(buf, start, len), (long long)(t->step_ms / 1000));
	if (t->nprices > 0 && ms <= t->prices[t->nprices - 1].start)
		return fail(p, ms == t->prices[t->nprices - 1].start ? "start %s repeats the price of line %lu"
		                                                      : "start %s comes before the price of line %lu "
		                                                        "(prices go in time order)",
		            shown(buf, start, len), p->last_price_line);
	if (t->nprices == t->cap_prices) {
		t->cap_prices = t->cap_prices ? 2 * t->cap_prices : 128;
		t->prices = xrealloc(t->prices, t->cap_prices * sizeof *t->prices);
	}
	struct step_price *sp = &t->prices[t->nprices];
	mpz_inits(sp->buy, sp->sell, NULL);
	sp->start = ms;
	t->nprices++;
	p->last_price_line = p->line;
	return get_prices(p, obj, sp->buy, sp->sell);
}

static int record(struct parser *p, jv obj)
{
	static const char *const kinds[] = { "constant", "tou", "dynamic" };
	const char *type;
	size_t len;
	char buf[64];
	int r = get_string(p, obj, "type", &type, &len);

	if (r <= 0)
		return r < 0 ? -1 : fail(p, "record has no 'type'");
	if (!p->header_seen) {
		if (!equals(type, len, "tariff"))
			return fail(p, "the first record must be the tariff header {\"type\":\"tariff\",\"kind\":...}, "
			            "not a '%s' record", shown(buf, type, len));
		return header(p, obj);
	}
	const char *kind = kinds[p->t->kind];
	if (equals(type, len, "tariff"))
		return fail(p, "a second tariff header (the first is on line %lu)", p->header_line);
	if (!equals(type, len, "tou") && !equals(type, len, "holiday") && !equals(type, len, "price"))
		return fail(p, "unknown record type '%s'", shown(buf, type, len));
	if (p->t->kind == KIND_TOU && equals(type, len, "tou"))
		return tou_rule(p, obj);
	if (p->t->kind == KIND_TOU && equals(type, len, "holiday"))
		return holiday(p, obj);
	if (p->t->kind == KIND_DYNAMIC && equals(type, len, "price"))
		return price(p, obj);
	return fail(p, "a '%s' record does not belong in a %s tariff (%s)", shown(buf, type, len), kind,
	            p->t->kind == KIND_CONSTANT ? "it has no records after its header"
	            : p->t->kind == KIND_TOU     ? "it takes 'tou' and 'holiday' records"
	                                         : "it takes 'price' records");
}

static int line(struct parser *p, const char *s, size_t n)
{
	size_t offset;
	const char *why;

	/* Line ends and trailing blanks carry no meaning, as in every hive stream. */
	while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	size_t lead = 0;
	while (lead < n && (s[lead] == ' ' || s[lead] == '\t'))
		lead++;
	if (lead == n)
		return 0;
	const char *nul = memchr(s, '\0', n);
	if (nul != NULL)
		return fail(p, "byte offset %zu: NUL byte", (size_t)(nul - s));
	if ((offset = utf8_check(s, n)) != n)
		return fail(p, "byte offset %zu: invalid UTF-8", offset);
	/* Strict JSON first: jq's parser is lenient, and leaks on some malformed input. */
	if (jsonscan_check(s, n, &offset, &why) < 0)
		return fail(p, "byte offset %zu: %s", offset, why);
	if (n > (size_t)INT32_MAX)
		return fail(p, "line longer than 2 GiB");
	jv v = jv_parse_sized(s, (int)n);
	int rc;
	if (!jv_is_valid(v))
		rc = fail(p, "invalid JSON");
	else if (jv_get_kind(v) != JV_KIND_OBJECT)
		rc = fail(p, "a record must be a JSON object");
	else
		rc = record(p, v);
	jv_free(v);
	return rc;
}

static int by_day(const void *a, const void *b)
{
	const struct holiday *x = a, *y = b;
	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* What can only be checked once the whole file is read. */
static int finish(struct parser *p)
{
	struct tariff *t = p->t;

	if (!p->header_seen) {
		p->line = p->line ? p->line : 1;
		return fail(p, "no tariff header: the file holds no record");
	}
	if (t->kind == KIND_DYNAMIC && t->nprices == 0) {
		p->line = p->header_line;
		return fail(p, "a dynamic tariff needs 'price' records");
	}
	if (t->kind != KIND_TOU)
		return 0;
	p->line = t->nrules ? p->last_rule_line : p->header_line;
	for (int d = 0; d < 7; d++)
		for (int m = 0; m < MINUTES_PER_DAY; m++) {
			if (t->table[d][m] != NO_RULE)
				continue;
			int e = m;
			while (e < MINUTES_PER_DAY && t->table[d][e] == NO_RULE)
				e++;
			return fail(p, "the tou rules leave %s %02d:%02d to %02d:%02d without a price "
			            "(end with a rule for days \"all\" from 00:00 to 24:00)",
			            day_names[d], m / 60, m % 60, e / 60, e % 60);
		}
	if (t->nholidays > 1)
		qsort(t->holidays, t->nholidays, sizeof *t->holidays, by_day);
	for (size_t i = 1; i < t->nholidays; i++)
		if (t->holidays[i].day == t->holidays[i - 1].day) {
			char date[RFC3339_SIZE];
			rfc3339_format(date, t->holidays[i].day * 86400000);
			p->line = t->holidays[i].line;
			return fail(p, "holiday %.10s is listed twice (also on line %lu)", date, t->holidays[i - 1].line);
		}
	return 0;
}

static struct tariff *tariff_new(void)
{
	struct tariff *t = xcalloc(1, sizeof *t);

	mpz_inits(t->buy, t->sell, NULL);
	memset(t->table, 0xff, sizeof t->table);    /* NO_RULE everywhere */
	return t;
}

int tariff_load_text(struct tariff **out, const char *name, const char *text, size_t len)
{
	struct parser p = { .name = name, .t = tariff_new() };
	size_t start = 0;
	int rc = 0;

	*out = NULL;
	while (rc == 0 && start < len) {
		const char *nl = memchr(text + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - text) : len;
		p.line++;
		rc = line(&p, text + start, end - start);
		start = end + 1;
	}
	if (rc == 0)
		rc = finish(&p);
	if (rc < 0) {
		tariff_free(p.t);
		return HIVE_EINPUT;
	}
	*out = p.t;
	return HIVE_OK;
}

int tariff_load(struct tariff **out, const char *path, char id[TARIFF_ID_SIZE])
{
	struct buf text = BUF_INIT;
	int rc;

	*out = NULL;
	if (read_file_following(path, &text, TARIFF_FILE_MAX) < 0) {
		diag_warn_errno("cannot read tariff '%s'", path);
		buf_free(&text);
		return HIVE_EINPUT;
	}
	rc = tariff_load_text(out, path, buf_str(&text), text.len);
	if (id) {
		uint8_t h[32];
		keccak256(buf_str(&text), text.len, h);
		hex_encode_0x(h, 32, id);
	}
	buf_free(&text);
	return rc;
}

static bool is_holiday(const struct tariff *t, int64_t day)
{
	size_t lo = 0, hi = t->nholidays;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->holidays[mid].day == day)
			return true;
		if (t->holidays[mid].day < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static const struct tou_rule *tou_lookup(const struct tariff *t, int64_t slot_start_ms)
{
	int64_t utc = floor_div(slot_start_ms, 1000);
	int64_t local = utc + tz_offset(t->zone, utc);
	int64_t day = floor_div(local, 86400);
	int minute = (int)((local - day * 86400) / 60);
	int wday = is_holiday(t, day) ? SUNDAY : day_of_week(day);

	return &t->rules[t->table[wday][minute]];
}

static const struct step_price *dynamic_lookup(const struct tariff *t, int64_t slot_start_ms)
{
	const struct step_price *first = &t->prices[0], *last = &t->prices[t->nprices - 1];

	/* Outside the priced span first, so the floor below cannot overflow. */
	if (slot_start_ms < first->start || slot_start_ms - t->step_ms >= last->start)
		return NULL;
	int64_t key = slot_start_ms - (slot_start_ms - first->start) % t->step_ms;
	size_t lo = 0, hi = t->nprices;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->prices[mid].start == key)
			return &t->prices[mid];
		if (t->prices[mid].start < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int tariff_prices(const struct tariff *t, int64_t slot_start_ms, mpz_t buy, mpz_t sell)
{
	const struct tou_rule *r;
	const struct step_price *sp;

	switch (t->kind) {
	case KIND_CONSTANT:
		mpz_set(buy, t->buy);
		mpz_set(sell, t->sell);
		return 0;
	case KIND_TOU:
		r = tou_lookup(t, slot_start_ms);
		mpz_set(buy, r->buy);
		mpz_set(sell, r->sell);
		return 0;
	case KIND_DYNAMIC:
		if ((sp = dynamic_lookup(t, slot_start_ms)) == NULL)
			return -1;
		mpz_set(buy, sp->buy);
		mpz_set(sell, sp->sell);
		return 0;
	}
	return -1;
}

void tariff_free(struct tariff *t)
{
	if (t == NULL)
		return;
	mpz_clears(t->buy, t->sell, NULL);
	for (size_t i = 0; i < t->nrules; i++)
		mpz_clears(t->rules[i].buy, t->rules[i].sell, NULL);
	for (size_t i = 0; i < t->nprices; i++)
		mpz_clears(t->prices[i].buy, t->prices[i].sell, NULL);
	free(t->rules);
	free(t->holidays);
	free(t->prices);
	tz_free(t->zone);
	free(t);
}
