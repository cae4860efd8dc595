#include "jcs.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

/*
 * Numbers: RFC 8785 §3.2.2.3 defers to ECMAScript's Number::toString, which
 * writes the shortest digit string that reads back as the same double, then
 * places the decimal point by fixed rules. printf/strtod supply the digits;
 * their locale-dependent radix character is never written or read back.
 */

/* A positive finite double as ES sees it: 0.digits × 10^point. */
struct decimal {
	char digits[24];   /* ASCII digits, no trailing zero once finished */
	int ndigits;
	int point;         /* ECMAScript's n */
};

/* Longest text jcs_number can produce ("-0.0000033333333333333333" is 25) plus room. */
#define NUMBER_TEXT_MAX 40

/* Integers below 2^53 are exact, so every digit is needed and none is guessed. */
#define EXACT_INTEGER_LIMIT 9007199254740992.0

static void decimal_strip_zeros(struct decimal *dec)
{
	while (dec->ndigits > 1 && dec->digits[dec->ndigits - 1] == '0')
		dec->ndigits--;
	dec->digits[dec->ndigits] = '\0';
}

static void decimal_from_integer(struct decimal *dec, uint64_t v)
{
	char rev[24];
	int n = 0;

	do {
		rev[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (int i = 0; i < n; i++)
		dec->digits[i] = rev[n - 1 - i];
	dec->ndigits = n;
	dec->point = n;
	dec->digits[n] = '\0';
	decimal_strip_zeros(dec);
}

/* The correctly rounded precision-digit form of d, from %e (which rounds exactly in glibc). */
static void decimal_print(struct decimal *dec, double d, int precision)
{
	char text[NUMBER_TEXT_MAX];
	const char *p = text;
	int exponent = 0, negative;

	snprintf(text, sizeof text, "%.*e", precision - 1, d);
	dec->ndigits = 0;
	for (; *p != 'e'; p++)   /* skips the radix character, whatever the locale made it */
		if (*p >= '0' && *p <= '9')
			dec->digits[dec->ndigits++] = *p;
	dec->digits[dec->ndigits] = '\0';
	p++;
	negative = *p == '-';
	if (*p == '-' || *p == '+')
		p++;
	for (; *p >= '0' && *p <= '9'; p++)
		exponent = exponent * 10 + (*p - '0');
	dec->point = (negative ? -exponent : exponent) + 1;
}

/* Reads the digits back as an integer mantissa and exponent: no radix character, so no locale.
   Built by hand because this runs several times per number and snprintf is slow. */
static double decimal_value(const struct decimal *dec)
{
	char text[NUMBER_TEXT_MAX], rev[8];
	int exponent = dec->point - dec->ndigits, n = 0;
	char *p = text;

	memcpy(p, dec->digits, (size_t)dec->ndigits);
	p += dec->ndigits;
	*p++ = 'e';
	if (exponent < 0) {
		*p++ = '-';
		exponent = -exponent;
	}
	do {
		rev[n++] = (char)('0' + exponent % 10);
		exponent /= 10;
	} while (exponent);
	while (n > 0)
		*p++ = rev[--n];
	*p = '\0';
	return strtod(text, NULL);
}

/* Adds one unit in the last digit, carrying; 99 becomes 100, i.e. "1" with the point moved. */
static void decimal_next_up(struct decimal *dec)
{
	int i = dec->ndigits - 1;

	while (i >= 0 && dec->digits[i] == '9')
		dec->digits[i--] = '0';
	if (i >= 0) {
		dec->digits[i]++;
		return;
	}
	dec->digits[0] = '1';
	dec->ndigits = 1;
	dec->digits[1] = '\0';
	dec->point++;
}

/* The precision-digit rounding of d, derived from full (its 17-digit rounding).
   That agrees with rounding d itself unless full's dropped digits are exactly
   "50…0", a tie that may be printf's and not d's: then printf decides. */
static void decimal_round(struct decimal *dec, const struct decimal *full, double d, int precision)
{
	const char *dropped = full->digits + precision;

	if (precision >= full->ndigits) {
		*dec = *full;
		return;
	}
	if (dropped[0] == '5' && strspn(dropped + 1, "0") == strlen(dropped + 1)) {
		decimal_print(dec, d, precision);
		return;
	}
	memcpy(dec->digits, full->digits, (size_t)precision);
	dec->digits[precision] = '\0';
	dec->ndigits = precision;
	dec->point = full->point;
	if (dropped[0] >= '5')
		decimal_next_up(dec);
}

/* Bits of a positive double: a power of two has an all-zero fraction field. */
static int is_power_of_two(double d)
{
	uint64_t bits;

	memcpy(&bits, &d, sizeof bits);
	return (bits & 0xfffffffffffffull) == 0;
}

/* The doubles that read back as d form an interval around it, symmetric
   except at a power of two, so elsewhere if p digits read back so do p + 1
   and the fewest can be found by bisection. */
static void shortest_by_bisection(struct decimal *dec, const struct decimal *full, double d)
{
	int lo = 1, hi = full->ndigits;   /* hi always reads back */

	while (lo < hi) {
		int mid = (lo + hi) / 2;
		decimal_round(dec, full, d, mid);
		if (decimal_value(dec) == d)
			hi = mid;
		else
			lo = mid + 1;
	}
	decimal_round(dec, full, d, hi);
}

/* At a power of two the gap below d is half the gap above, so the nearest
   p-digit candidate can fall short below while the next one up reads back
   (2^-44 is 5.684341886080802e-14, not ...8015e-14), and a hit at p digits
   says nothing of p + 1: try every precision, and both candidates. */
static void shortest_at_power_of_two(struct decimal *dec, const struct decimal *full, double d)
{
	for (int precision = 1; precision < full->ndigits; precision++) {
		decimal_round(dec, full, d, precision);
		double back = decimal_value(dec);
		if (back == d)
			return;
		if (back < d) {
			decimal_next_up(dec);
			if (decimal_value(dec) == d)
				return;
		}
	}
	*dec = *full;
}

/* Below this, d·10^j has an error under 1/8 and the doubles around d are closer than 10^-j / 2. */
#define FEW_DECIMALS_LIMIT 1125899906842624.0 /* 2^50 */

/*
 * Most numbers hive writes have a few decimals (energies to 0.001 Wh).
 * m / 10^j is read back as the double nearest to it, which IEEE division
 * of the exact m and 10^j gives: when that is d for the fewest decimals j,
 * m's digits are the shortest (any string with fewer decimals was tried
 * as the nearest m of its j, and any other string of j decimals is 10^-j
 * from m's, beyond d's neighbours), with a division where printf and
 * strtod take microseconds. False: d has more decimals than this tries.
 */
static int shortest_few_decimals(struct decimal *dec, double d)
{
	static const double power[] = { 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9 };

	for (int j = 0; j < (int)(sizeof power / sizeof power[0]); j++) {
		double scaled = d * power[j];
		if (!(scaled < FEW_DECIMALS_LIMIT))
			return 0;
		double m = nearbyint(scaled);
		if (m / power[j] == d) {
			decimal_from_integer(dec, (uint64_t)m);
			dec->point -= j + 1;
			decimal_strip_zeros(dec);
			return 1;
		}
	}
	return 0;
}

/* Fewest digits that read back as d (d > 0, finite); of those, the nearest to d. */
static void shortest_digits(struct decimal *dec, double d)
{
	struct decimal full;

	if (d < EXACT_INTEGER_LIMIT && (double)(uint64_t)d == d) {
		decimal_from_integer(dec, (uint64_t)d);
		return;
	}
	if (shortest_few_decimals(dec, d))
		return;
	decimal_print(&full, d, 17);   /* 17 significant digits always read back */
	if (is_power_of_two(d))
		shortest_at_power_of_two(dec, &full, d);
	else
		shortest_by_bisection(dec, &full, d);
	decimal_strip_zeros(dec);
}

static char *put_zeros(char *p, int n)
{
	for (; n > 0; n--)
		*p++ = '0';
	return p;
}

static char *put_digits(char *p, const char *digits, int n)
{
	memcpy(p, digits, (size_t)n);
	return p + n;
}

/* Steps 6 to 10 of ES2015 Number::toString (7.1.12.1), for k digits and point n. */
static size_t es_layout(char *text, const struct decimal *dec)
{
	int k = dec->ndigits, n = dec->point;
	char *p = text;

	if (k <= n && n <= 21) {
		p = put_digits(p, dec->digits, k);
		p = put_zeros(p, n - k);
	} else if (0 < n && n <= 21) {
		p = put_digits(p, dec->digits, n);
		*p++ = '.';
		p = put_digits(p, dec->digits + n, k - n);
	} else if (-6 < n && n <= 0) {
		*p++ = '0';
		*p++ = '.';
		p = put_zeros(p, -n);
		p = put_digits(p, dec->digits, k);
	} else {
		int e = n - 1;
		*p++ = dec->digits[0];
		if (k > 1) {
			*p++ = '.';
			p = put_digits(p, dec->digits + 1, k - 1);
		}
		*p++ = 'e';
		*p++ = e < 0 ? '-' : '+';
		p += snprintf(p, 8, "%d", e < 0 ? -e : e);
	}
	return (size_t)(p - text);
}

int jcs_number(struct buf *out, double d)
{
	char text[NUMBER_TEXT_MAX];
	struct decimal dec;
	size_t len = 0;

	if (!isfinite(d))
		return -1;
	if (d == 0) {               /* -0 too */
		buf_putc(out, '0');
		return 0;
	}
	if (d < 0) {
		text[len++] = '-';
		d = -d;
	}
	shortest_digits(&dec, d);
	len += es_layout(text + len, &dec);
	buf_append(out, text, len);
	return 0;
}

/*
 * Strings: RFC 8785 §3.2.2.2 — only '"', '\\' and C0 controls are escaped,
 * the five with short forms as such and the rest as \u00xx; all else,
 * U+007F and non-ASCII included, is copied as UTF-8.
 */
static void put_escape(struct buf *out, unsigned char ch)
{
	static const char hex[] = "0123456789abcdef";
	char esc[6] = { '\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15] };

	switch (ch) {
	case '"':  buf_append(out, "\\\"", 2); break;
	case '\\': buf_append(out, "\\\\", 2); break;
	case '\b': buf_append(out, "\\b", 2); break;
	case '\f': buf_append(out, "\\f", 2); break;
	case '\n': buf_append(out, "\\n", 2); break;
	case '\r': buf_append(out, "\\r", 2); break;
	case '\t': buf_append(out, "\\t", 2); break;
	default:   buf_append(out, esc, sizeof esc); break;
	}
}

void jcs_string(struct buf *out, const char *s, size_t len)
{
	size_t run = 0;   /* start of the bytes not yet copied */

	buf_reserve(out, len + 2);
	buf_putc(out, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		buf_append(out, s + run, i - run);
		put_escape(out, ch);
		run = i + 1;
	}
	buf_append(out, s + run, len - run);
	buf_putc(out, '"');
}

/*
 * Objects: members sorted by name as arrays of UTF-16 code units (§3.2.3).
 * Names are compared as UTF-8 bytes, which agrees with UTF-16 order except
 * where one name has a code point above U+FFFF (lead byte F0–F4, a high
 * surrogate D800–DBFF in UTF-16) and the other one in U+E000–U+FFFF (lead
 * byte EE–EF): there UTF-16 puts the former first. Mapping the bytes
 * F0–FF below EE keeps this a total order even for malformed UTF-8.
 */
int jcs_compare_names(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t common = alen < blen ? alen : blen;
	size_t i = 0;

	while (i < common && a[i] == b[i])
		i++;
	if (i == common)
		return (alen > blen) - (alen < blen);
	unsigned x = (unsigned char)a[i], y = (unsigned char)b[i];
	if (x >= 0xee && y >= 0xee && (x >= 0xf0) != (y >= 0xf0))
		return x >= 0xf0 ? -1 : 1;
	return x < y ? -1 : 1;
}

struct member {
	const char *name;   /* borrowed from the object, which holds the key string */
	size_t len;
	int iter;           /* jv_object_iter position, to fetch the value once sorted */
};

static int compare_members(const void *pa, const void *pb)
{
	const struct member *a = pa, *b = pb;

	return jcs_compare_names(a->name, a->len, b->name, b->len);
}

/* Insertion sort for the usual handful of members: no call overhead, no allocation. */
static void sort_members(struct member *m, size_t n)
{
	if (n > 16) {
		qsort(m, n, sizeof *m, compare_members);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		struct member key = m[i];
		size_t j = i;
		while (j > 0 && compare_members(&m[j - 1], &key) > 0) {
			m[j] = m[j - 1];
			j--;
		}
		m[j] = key;
	}
}

/* One canonicalisation: members of every open object share one stack, each
   object's above its parent's, so a record costs no allocation at all unless
   it has more than INLINE_MEMBERS names open at once. */
#define INLINE_MEMBERS 64

struct jcs {
	struct buf *out;
	const char *why;
	struct member *members;
	size_t used, cap;
	struct member inline_members[INLINE_MEMBERS];
};

static int fail(struct jcs *c, const char *why)
{
	c->why = why;
	return -1;
}

static void push_member(struct jcs *c, const char *name, size_t len, int iter)
{
	if (c->used == c->cap) {
		size_t cap = c->cap * 2;
		if (c->members == c->inline_members) {
			c->members = xmalloc(cap * sizeof *c->members);
			memcpy(c->members, c->inline_members, c->used * sizeof *c->members);
		} else {
			c->members = xrealloc(c->members, cap * sizeof *c->members);
		}
		c->cap = cap;
	}
	c->members[c->used++] = (struct member){ name, len, iter };
}

static int put_value(struct jcs *c, jv value, int depth, const char *skip_key);

static int put_array(struct jcs *c, jv array, int depth)
{
	int n = jv_array_length(jv_copy(array));

	buf_putc(c->out, '[');
	for (int i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(c->out, ',');
		jv item = jv_array_get(jv_copy(array), i);
		int rc = put_value(c, item, depth, NULL);
		jv_free(item);
		if (rc < 0)
			return -1;
	}
	buf_putc(c->out, ']');
	return 0;
}

static size_t collect_members(struct jcs *c, jv object, const char *skip_key)
{
	size_t base = c->used, skip_len = skip_key ? strlen(skip_key) : 0;

	for (int it = jv_object_iter(object); jv_object_iter_valid(object, it);
	     it = jv_object_iter_next(object, it)) {
		jv key = jv_object_iter_key(object, it);
		const char *name = jv_string_value(key);
		/* Consumes our reference; the object keeps its own, so name stays valid. */
		size_t len = (size_t)jv_string_length_bytes(key);
		if (skip_key && len == skip_len && memcmp(name, skip_key, len) == 0)
			continue;
		push_member(c, name, len, it);
	}
	return c->used - base;
}

static int put_object(struct jcs *c, jv object, int depth, const char *skip_key)
{
	size_t base = c->used;
	size_t n = collect_members(c, object, skip_key);
	int rc = 0;

	sort_members(c->members + base, n);
	buf_putc(c->out, '{');
	for (size_t i = 0; i < n && rc == 0; i++) {
		/* Re-read through c->members: a nested object may have moved the stack. */
		const struct member *m = &c->members[base + i];
		if (i > 0)
			buf_putc(c->out, ',');
		jcs_string(c->out, m->name, m->len);
		buf_putc(c->out, ':');
		jv value = jv_object_iter_value(object, m->iter);
		rc = put_value(c, value, depth, NULL);
		jv_free(value);
	}
	buf_putc(c->out, '}');
	c->used = base;
	return rc;
}

static int put_value(struct jcs *c, jv value, int depth, const char *skip_key)
{
	switch (jv_get_kind(value)) {
	case JV_KIND_NULL:
		buf_append(c->out, "null", 4);
		return 0;
	case JV_KIND_TRUE:
		buf_append(c->out, "true", 4);
		return 0;
	case JV_KIND_FALSE:
		buf_append(c->out, "false", 5);
		return 0;
	case JV_KIND_NUMBER:
		return jcs_number(c->out, jv_number_value(value)) < 0 ? fail(c, "number is not finite") : 0;
	case JV_KIND_STRING:
		jcs_string(c->out, jv_string_value(value), (size_t)jv_string_length_bytes(jv_copy(value)));
		return 0;
	case JV_KIND_ARRAY:
		if (depth >= JCS_MAX_DEPTH)
			return fail(c, "nesting too deep");
		return put_array(c, value, depth + 1);
	case JV_KIND_OBJECT:
		if (depth >= JCS_MAX_DEPTH)
			return fail(c, "nesting too deep");
		return put_object(c, value, depth + 1, skip_key);
	case JV_KIND_INVALID:
	default:
		return fail(c, "invalid value");
	}
}

int jcs_append(struct buf *out, jv value, const char *skip_key, const char **why)
{
	struct jcs c;
	size_t restore = out->len;
	int rc;

	c.out = out;
	c.why = NULL;
	c.members = c.inline_members;
	c.used = 0;
	c.cap = INLINE_MEMBERS;
	rc = put_value(&c, value, 0, skip_key);
	if (c.members != c.inline_members)
		free(c.members);
	if (rc < 0) {
		out->len = restore;
		if (out->data)
			out->data[restore] = '\0';
		if (why)
			*why = c.why;
	}
	return rc;
}
