#include "tariff.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jv.h>

#include "amount.h"
#include "buf.h"
#include "cfgfile.h"
#include "diag.h"
#include "hex.h"
#include "keccak.h"
#include "timeutil.h"
#include "tz.h"

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

/* ---- parsing a tariff file ---- */

struct parser {
	struct cfgfile f;
	unsigned long last_rule_line, last_price_line;
	struct tariff *t;
};

/* A price member: a string of base units. Also returns its text for messages. */
static int get_price(struct parser *p, jv obj, const char *key, mpz_t out, const char **text)
{
	jv v = jv_object_get(jv_copy(obj), jv_string(key));
	jv_kind kind = jv_get_kind(v);
	const char *why;
	size_t len;

	jv_free(v);
	if (kind == JV_KIND_NUMBER)
		return cfgfile_fail(&p->f, "field '%s' must be a string of base units per kWh such as \"250000\", "
		                    "not a JSON number", key);
	if (kind == JV_KIND_INVALID)
		return cfgfile_fail(&p->f, "field '%s' is missing", key);
	if (cfgfile_get_string(&p->f, obj, key, text, &len) < 0)
		return -1;
	if (amount_parse(out, *text, len, &why) < 0) {
		char buf[64];
		return cfgfile_fail(&p->f, "field '%s': '%s': %s", key, cfgfile_shown(&p->f, buf, *text, len), why);
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
		return cfgfile_fail(&p->f, "buy price %s is below sell price %s (a tariff needs buy >= sell)",
		                    cfgfile_shown(&p->f, bb, b, strlen(b)), cfgfile_shown(&p->f, sb, s, strlen(s)));
	return 0;
}

/* "all", or day names and forward ranges separated by commas, into a mask (bit 0 mon). */
static int parse_days(struct parser *p, const char *s, size_t len, uint8_t *mask)
{
	char buf[64];
	size_t i = 0;

	*mask = 0;
	if (cfgfile_equals(s, len, "all")) {
		*mask = 0x7f;
		return 0;
	}
	for (;;) {
		const char *item = s + i, *comma = memchr(item, ',', len - i);
		size_t n = comma ? (size_t)(comma - item) : len - i;
		const char *dash = memchr(item, '-', n);
		int a = -1, b = -1;
		for (int d = 0; d < 7; d++) {
			if (cfgfile_equals(item, dash ? (size_t)(dash - item) : n, day_names[d]))
				a = d;
			if (cfgfile_equals(dash ? dash + 1 : item, dash ? n - (size_t)(dash - item) - 1 : n,
			                   day_names[d]))
				b = d;
		}
		if (a < 0 || b < 0)
			return cfgfile_fail(&p->f, "days '%s': want \"all\", or day names mon tue wed thu fri sat sun "
			                    "and ranges such as \"mon-fri,sun\"", cfgfile_shown(&p->f, buf, s, len));
		if (a > b)
			return cfgfile_fail(&p->f, "days '%s': the range %s-%s runs backwards "
			                    "(weeks run from mon to sun)",
			                    cfgfile_shown(&p->f, buf, s, len), day_names[a], day_names[b]);
		for (int d = a; d <= b; d++) {
			if (*mask & (1u << d))
				return cfgfile_fail(&p->f, "days '%s' names %s twice",
				                    cfgfile_shown(&p->f, buf, s, len), day_names[d]);
			*mask |= (uint8_t)(1u << d);
		}
		if (comma == NULL)
			return 0;
		i += n + 1;
	}
}

static int load_zone(struct parser *p, const char *name, size_t len)
{
	const char *why;
	char buf[64];

	/* Refused here, not by tz_load_name, to quote the name as every other field is. */
	if (!tz_name_ok(name))
		return cfgfile_fail(&p->f, "field 'tz': '%s' is not an IANA time zone name such as \"Europe/Zurich\"",
		                    cfgfile_shown(&p->f, buf, name, len));
	return tz_load_name(&p->t->zone, name, &why) < 0 ? cfgfile_fail(&p->f, "%s", why) : 0;
}

static int tou_zone(struct parser *p, jv obj)
{
	const char *tz = NULL, *posix = NULL, *why;
	size_t tzlen, plen;
	int a = cfgfile_get_string(&p->f, obj, "tz", &tz, &tzlen),
	    b = a < 0 ? -1 : cfgfile_get_string(&p->f, obj, "tz_posix", &posix, &plen);

	if (a < 0 || b < 0)
		return -1;
	if (a + b != 1)
		return cfgfile_fail(&p->f, "a tou tariff names its zone with one of 'tz' "
		                    "(an IANA name such as \"Europe/Zurich\") and 'tz_posix' (a POSIX TZ rule)");
	if (tz != NULL)
		return load_zone(p, tz, tzlen);
	if (tz_load_posix(&p->t->zone, posix, &why) < 0) {
		char buf[64];
		return cfgfile_fail(&p->f, "field 'tz_posix': '%s': %s", cfgfile_shown(&p->f, buf, posix, plen), why);
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

	if (cfgfile_need_string(&p->f, obj, "kind", &kind, &len) < 0)
		return -1;
	if (cfgfile_equals(kind, len, "constant")) {
		t->kind = KIND_CONSTANT;
		return cfgfile_check_members(&p->f, obj, constant, "a constant tariff's header") < 0 ? -1
		       : get_prices(p, obj, t->buy, t->sell);
	}
	if (cfgfile_equals(kind, len, "tou")) {
		t->kind = KIND_TOU;
		return cfgfile_check_members(&p->f, obj, tou, "a tou tariff's header") < 0 ? -1 : tou_zone(p, obj);
	}
	if (!cfgfile_equals(kind, len, "dynamic"))
		return cfgfile_fail(&p->f, "unknown tariff kind '%s' (want constant, tou or dynamic)",
		                    cfgfile_shown(&p->f, buf, kind, len));
	t->kind = KIND_DYNAMIC;
	if (cfgfile_check_members(&p->f, obj, dynamic, "a dynamic tariff's header") < 0 ||
	    cfgfile_need_string(&p->f, obj, "step", &step, &slen) < 0)
		return -1;
	if (duration_parse(&t->step_ms, step) < 0)
		return cfgfile_fail(&p->f, "field 'step': '%s' is not a duration such as \"15m\", \"1h\" or \"900\"",
		                    cfgfile_shown(&p->f, buf, step, slen));
	if (86400000 % t->step_ms != 0)
		return cfgfile_fail(&p->f, "field 'step': '%s' does not divide a day",
		                    cfgfile_shown(&p->f, buf, step, slen));
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

	if (cfgfile_check_members(&p->f, obj, fields, "a tou rule") < 0 ||
	    cfgfile_need_string(&p->f, obj, "days", &days, &dlen) < 0 ||
	    cfgfile_need_string(&p->f, obj, "from", &from, &flen) < 0 ||
	    cfgfile_need_string(&p->f, obj, "to", &to, &tlen) < 0 ||
	    parse_days(p, days, dlen, &mask) < 0)
		return -1;
	int f = cfgfile_hhmm(from, flen), e = cfgfile_hhmm(to, tlen);
	if (f < 0 || f == MINUTES_PER_DAY)
		return cfgfile_fail(&p->f, "field 'from': '%s' is not a time of day from 00:00 to 23:59",
		                    cfgfile_shown(&p->f, fb, from, flen));
	if (e <= 0)
		return cfgfile_fail(&p->f, "field 'to': '%s' is not a time of day from 00:01 to 24:00",
		                    cfgfile_shown(&p->f, tb, to, tlen));
	if (f >= e)
		return cfgfile_fail(&p->f, "from %s is not before to %s (a rule over midnight is two rules)",
		                    cfgfile_shown(&p->f, fb, from, flen), cfgfile_shown(&p->f, tb, to, tlen));
	if (t->nrules == TARIFF_MAX_RULES)
		return cfgfile_fail(&p->f, "more than %d tou rules", TARIFF_MAX_RULES);
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
		return cfgfile_fail(&p->f, "this rule never applies: the rules before it already cover all its times");
	p->last_rule_line = p->f.line;
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

	if (cfgfile_check_members(&p->f, obj, fields, "a holiday record") < 0 ||
	    cfgfile_need_string(&p->f, obj, "date", &date, &len) < 0)
		return -1;
	snprintf(text, sizeof text, "%.10sT00:00:00Z", date);
	if (len != 10 || date[4] != '-' || date[7] != '-' || rfc3339_parse(&ms, text, strlen(text), &why) < 0)
		return cfgfile_fail(&p->f, "field 'date': '%s' is not a date such as \"2026-12-25\"",
		                    cfgfile_shown(&p->f, buf, date, len));
	if (t->nholidays == t->cap_holidays) {
		t->cap_holidays = t->cap_holidays ? 2 * t->cap_holidays : 16;
		t->holidays = xrealloc(t->holidays, t->cap_holidays * sizeof *t->holidays);
	}
	t->holidays[t->nholidays++] = (struct holiday){ floor_div(ms, 86400000), p->f.line };
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

	if (cfgfile_check_members(&p->f, obj, fields, "a price record") < 0 ||
	    cfgfile_need_string(&p->f, obj, "start", &start, &len) < 0)
		return -1;
	if (rfc3339_parse(&ms, start, len, &why) < 0)
		return cfgfile_fail(&p->f, "field 'start': '%s': %s", cfgfile_shown(&p->f, buf, start, len), why);
	if (start[len - 1] != 'Z')
		return cfgfile_fail(&p->f, "field 'start': '%s' must be in UTC, ending in Z",
		                    cfgfile_shown(&p->f, buf, start, len));
	if (ms - floor_div(ms, t->step_ms) * t->step_ms != 0)
		return cfgfile_fail(&p->f, "start %s is not on a step boundary "
		                    "(a multiple of %lld s since 1970-01-01T00:00:00Z)",
		                    cfgfile_shown(&p->f, buf, start, len), (long long)(t->step_ms / 1000));
	if (t->nprices > 0 && ms <= t->prices[t->nprices - 1].start)
		return cfgfile_fail(&p->f,
		                    ms == t->prices[t->nprices - 1].start
		                            ? "start %s repeats the price of line %lu"
		                            : "start %s comes before the price of line %lu (prices go in time order)",
		                    cfgfile_shown(&p->f, buf, start, len), p->last_price_line);
	if (t->nprices == t->cap_prices) {
		t->cap_prices = t->cap_prices ? 2 * t->cap_prices : 128;
		t->prices = xrealloc(t->prices, t->cap_prices * sizeof *t->prices);
	}
	struct step_price *sp = &t->prices[t->nprices];
	mpz_inits(sp->buy, sp->sell, NULL);
	sp->start = ms;
	t->nprices++;
	p->last_price_line = p->f.line;
	return get_prices(p, obj, sp->buy, sp->sell);
}

static int record(void *arg, jv obj)
{
	static const char *const kinds[] = { "constant", "tou", "dynamic" };
	struct parser *p = arg;
	const char *type;
	size_t len;
	char buf[64];
	int r = cfgfile_type(&p->f, obj, "tariff", "{\"type\":\"tariff\",\"kind\":...}", &type, &len);

	if (r != 0)
		return r < 0 ? -1 : header(p, obj);
	const char *kind = kinds[p->t->kind];
	if (!cfgfile_equals(type, len, "tou") && !cfgfile_equals(type, len, "holiday") &&
	    !cfgfile_equals(type, len, "price"))
		return cfgfile_fail(&p->f, "unknown record type '%s'", cfgfile_shown(&p->f, buf, type, len));
	if (p->t->kind == KIND_TOU && cfgfile_equals(type, len, "tou"))
		return tou_rule(p, obj);
	if (p->t->kind == KIND_TOU && cfgfile_equals(type, len, "holiday"))
		return holiday(p, obj);
	if (p->t->kind == KIND_DYNAMIC && cfgfile_equals(type, len, "price"))
		return price(p, obj);
	return cfgfile_fail(&p->f, "a '%s' record does not belong in a %s tariff (%s)",
	                    cfgfile_shown(&p->f, buf, type, len), kind,
	                    p->t->kind == KIND_CONSTANT ? "it has no records after its header"
	                    : p->t->kind == KIND_TOU     ? "it takes 'tou' and 'holiday' records"
	                                                 : "it takes 'price' records");
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

	if (p->f.header_line == 0) {
		p->f.line = p->f.line ? p->f.line : 1;
		return cfgfile_fail(&p->f, "no tariff header: the file holds no record");
	}
	if (t->kind == KIND_DYNAMIC && t->nprices == 0) {
		p->f.line = p->f.header_line;
		return cfgfile_fail(&p->f, "a dynamic tariff needs 'price' records");
	}
	if (t->kind != KIND_TOU)
		return 0;
	p->f.line = t->nrules ? p->last_rule_line : p->f.header_line;
	for (int d = 0; d < 7; d++)
		for (int m = 0; m < MINUTES_PER_DAY; m++) {
			if (t->table[d][m] != NO_RULE)
				continue;
			int e = m;
			while (e < MINUTES_PER_DAY && t->table[d][e] == NO_RULE)
				e++;
			return cfgfile_fail(&p->f, "the tou rules leave %s %02d:%02d to %02d:%02d without a price "
			                    "(end with a rule for days \"all\" from 00:00 to 24:00)",
			                    day_names[d], m / 60, m % 60, e / 60, e % 60);
		}
	if (t->nholidays > 1)
		qsort(t->holidays, t->nholidays, sizeof *t->holidays, by_day);
	for (size_t i = 1; i < t->nholidays; i++)
		if (t->holidays[i].day == t->holidays[i - 1].day) {
			char date[RFC3339_SIZE];
			rfc3339_format(date, t->holidays[i].day * 86400000);
			p->f.line = t->holidays[i].line;
			return cfgfile_fail(&p->f, "holiday %.10s is listed twice (also on line %lu)", date,
			                    t->holidays[i - 1].line);
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
	struct parser p = { .f = { .name = name, .shown_max = 40 }, .t = tariff_new() };
	int rc = cfgfile_parse(&p.f, text, len, record, &p);

	*out = NULL;
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
	if (cfgfile_read(path, "tariff", TARIFF_FILE_MAX, &text) < 0)
		return HIVE_EINPUT;
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

int tariff_prices_per_wh(const struct tariff *t, int64_t start_ms, int step_s, size_t n, double *buy, double *sell,
                         int64_t *missing_ms)
{
	mpz_t b, s;
	mpz_inits(b, s, NULL);
	int rc = 0;
	for (size_t k = 0; k < n && rc == 0; k++) {
		int64_t at = start_ms + (int64_t)k * step_s * 1000;
		if (tariff_prices(t, at, b, s) != 0) {
			*missing_ms = at;
			rc = -1;
		}
		buy[k] = mpz_get_d(b) / 1000;
		sell[k] = mpz_get_d(s) / 1000;
	}
	mpz_clears(b, s, NULL);
	return rc;
}
