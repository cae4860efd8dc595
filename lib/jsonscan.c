#include "jsonscan.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hex.h"
#include "jcs.h"

struct scan {
	const char *p;
	size_t len, i;
	int depth;
	struct buf names;       /* names of the open objects: offset, length, bytes */
	struct buf key;         /* the member name being decoded; also number scratch */
	struct buf sorted;      /* struct name entries of the object being closed */
	size_t offset;
	const char *why;
};

struct name {
	const char *bytes;
	size_t len;
	size_t offset;
};

static int value(struct scan *s);

static int fail(struct scan *s, size_t at, const char *why)
{
	s->offset = at;
	s->why = why;
	return -1;
}

static int peek(const struct scan *s)
{
	return s->i < s->len ? (unsigned char)s->p[s->i] : -1;
}

static void whitespace(struct scan *s)
{
	while (s->i < s->len && (s->p[s->i] == ' ' || s->p[s->i] == '\t' || s->p[s->i] == '\n' || s->p[s->i] == '\r'))
		s->i++;
}

static int expect(struct scan *s, char c, const char *why)
{
	whitespace(s);
	if (peek(s) != (unsigned char)c)
		return fail(s, s->i, why);
	s->i++;
	whitespace(s);
	return 0;
}

static void put_utf8(struct buf *b, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) { u[0] = (char)cp; n = 1; }
	else if (cp < 0x800) { u[0] = (char)(0xc0 | cp >> 6); u[1] = (char)(0x80 | (cp & 0x3f)); n = 2; }
	else if (cp < 0x10000) { u[0] = (char)(0xe0 | cp >> 12); u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f)); n = 3; }
	else { u[0] = (char)(0xf0 | cp >> 18); u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f)); u[3] = (char)(0x80 | (cp & 0x3f)); n = 4; }
	buf_append(b, u, n);
}

static bool hex4(const struct scan *s, size_t at, uint32_t *v)
{
	*v = 0;
	if (s->len < at + 4)
		return false;
	for (size_t k = 0; k < 4; k++) {
		int d = hex_digit((unsigned char)s->p[at + k]);
		if (d < 0)
			return false;
		*v = *v << 4 | (uint32_t)d;
	}
	return true;
}

/* A \u escape at s->i (the backslash); surrogates must come in pairs. */
static int unicode_escape(struct scan *s, struct buf *out)
{
	size_t at = s->i;
	uint32_t cp, lo;

	if (!hex4(s, at + 2, &cp))
		return fail(s, at, "invalid JSON: \\u needs four hex digits");
	s->i += 6;
	if (cp >= 0xdc00 && cp < 0xe000)
		return fail(s, at, "invalid JSON: unpaired surrogate in \\u escape");
	if (cp >= 0xd800 && cp < 0xdc00) {
		if (s->len < s->i + 6 || s->p[s->i] != '\\' || s->p[s->i + 1] != 'u' ||
		    !hex4(s, s->i + 2, &lo) || lo < 0xdc00 || lo >= 0xe000)
			return fail(s, at, "invalid JSON: unpaired surrogate in \\u escape");
		s->i += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (out)
		put_utf8(out, cp);
	return 0;
}

static int escape(struct scan *s, struct buf *out)
{
	static const char plain[] = "\"\\/bfnrt", meant[] = "\"\\/\b\f\n\r\t";
	const char *c;

	if (s->i + 1 >= s->len)
		return fail(s, s->i, "invalid JSON: unterminated string");
	if (s->p[s->i + 1] == 'u')
		return unicode_escape(s, out);
	c = s->p[s->i + 1] ? strchr(plain, s->p[s->i + 1]) : NULL;
	if (c == NULL)
		return fail(s, s->i, "invalid JSON: invalid escape in string");
	if (out)
		buf_putc(out, meant[c - plain]);
	s->i += 2;
	return 0;
}

/* A string at s->i (its opening quote); decoded into out when out is not NULL. */
static int string(struct scan *s, struct buf *out)
{
	size_t start = s->i++;

	for (;;) {
		size_t run = s->i;
		while (s->i < s->len && (unsigned char)s->p[s->i] >= 0x20 && s->p[s->i] != '"' && s->p[s->i] != '\\')
			s->i++;
		if (out)
			buf_append(out, s->p + run, s->i - run);
		if (s->i >= s->len)
			return fail(s, start, "invalid JSON: unterminated string");
		if (s->p[s->i] == '"') {
			s->i++;
			return 0;
		}
		if ((unsigned char)s->p[s->i] < 0x20)
			return fail(s, s->i, "invalid JSON: control character in string (escape it)");
		if (escape(s, out) < 0)
			return -1;
	}
}

static size_t digits(struct scan *s)
{
	size_t start = s->i;

	while (s->i < s->len && s->p[s->i] >= '0' && s->p[s->i] <= '9')
		s->i++;
	return s->i - start;
}

/*
 * Does a number keep its meaning through a double? Integer literals must
 * read back as the same digits the way RFC 8785 writes them (up to 15 digits
 * always do); any number must stay finite, and non-zero digits must not
 * underflow to zero.
 */
static int number_is_exact(struct scan *s, size_t start, bool integer, bool exponent)
{
	size_t n = s->i - start;
	bool nonzero = false;
	double d;

	if (integer && n - (s->p[start] == '-') <= 15)
		return 0;
	/* Without an exponent and under 300 characters a number lies within 10^±300, inside a double's range
	   (to 1.8·10^308, and from 4.9·10^-324 above 0): it cannot overflow nor become 0, and strtod is slow. */
	if (!integer && !exponent && n < 300)
		return 0;
	buf_reset(&s->key);
	buf_append(&s->key, s->p + start, n);
	d = strtod(s->key.data, NULL);
	for (size_t k = start; k < s->i && !(s->p[k] == 'e' || s->p[k] == 'E'); k++)
		nonzero |= s->p[k] >= '1' && s->p[k] <= '9';
	if (!isfinite(d))
		return fail(s, start, "number is too large for a double");
	if (d == 0 && nonzero)
		return fail(s, start, "number is too small for a double (it would become 0)");
	if (!integer)
		return 0;
	buf_reset(&s->key);
	if (jcs_number(&s->key, d) == 0 && s->key.len == n && memcmp(s->key.data, s->p + start, n) == 0)
		return 0;
	return fail(s, start, "integer cannot be kept exactly in a double (RFC 8785 would sign another value): "
	                      "write it as a string");
}

static int number(struct scan *s)
{
	size_t start = s->i;
	bool integer = true, exponent = false;

	if (peek(s) == '-')
		s->i++;
	if (peek(s) == '0')
		s->i++;
	else if (digits(s) == 0)
		return fail(s, start, "invalid JSON: invalid number");
	if (peek(s) == '.') {
		s->i++;
		integer = false;
		if (digits(s) == 0)
			return fail(s, start, "invalid JSON: invalid number");
	}
	if (peek(s) == 'e' || peek(s) == 'E') {
		s->i++;
		integer = false;
		exponent = true;
		if (peek(s) == '+' || peek(s) == '-')
			s->i++;
		if (digits(s) == 0)
			return fail(s, start, "invalid JSON: invalid number");
	}
	return number_is_exact(s, start, integer, exponent);
}

static int literal(struct scan *s, const char *word)
{
	size_t n = strlen(word);

	if (s->len - s->i < n || memcmp(s->p + s->i, word, n) != 0)
		return fail(s, s->i, "invalid JSON: unexpected character");
	s->i += n;
	return 0;
}

static int compare_names(const void *a, const void *b)
{
	const struct name *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->bytes, y->bytes, n);

	if (c != 0)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/*
 * The names of one object, from byte from of s->names: sorted, equal
 * neighbours are repeats (n log n, so many names stay cheap). The earliest
 * repeat in the text is reported.
 */
static int names_unique(struct scan *s, size_t from)
{
	const char *p = s->names.data;
	size_t at = from, count = 0, worst = SIZE_MAX;

	buf_reset(&s->sorted);
	while (at < s->names.len) {
		struct name n;
		memcpy(&n.offset, p + at, sizeof n.offset);
		memcpy(&n.len, p + at + sizeof n.offset, sizeof n.len);
		at += sizeof n.offset + sizeof n.len;
		n.bytes = p + at;
		at += n.len;
		buf_append(&s->sorted, &n, sizeof n);
		count++;
	}
	if (count < 2)
		return 0;
	struct name *names = (struct name *)(void *)s->sorted.data;
	qsort(names, count, sizeof *names, compare_names);
	for (size_t k = 1; k < count; k++)
		if (names[k].len == names[k - 1].len && memcmp(names[k].bytes, names[k - 1].bytes, names[k].len) == 0 &&
		    names[k].offset < worst)
			worst = names[k].offset;
	return worst == SIZE_MAX ? 0 : fail(s, worst, "duplicate member name");
}

static int member_name(struct scan *s)
{
	size_t at = s->i;

	if (peek(s) != '"')
		return fail(s, s->i, "invalid JSON: expected a member name in double quotes");
	buf_reset(&s->key);
	if (string(s, &s->key) < 0)
		return -1;
	buf_append(&s->names, &at, sizeof at);
	buf_append(&s->names, &s->key.len, sizeof s->key.len);
	buf_append(&s->names, s->key.data ? s->key.data : "", s->key.len);
	return 0;
}

static int member(struct scan *s)
{
	if (member_name(s) < 0 || expect(s, ':', "invalid JSON: expected ':' after a member name") < 0)
		return -1;
	return value(s);
}

/* The comma-separated elements of an object or array, after its opening bracket, through close. */
static int elements(struct scan *s, char close, int (*element)(struct scan *), const char *why)
{
	s->i++;
	whitespace(s);
	if (peek(s) != (unsigned char)close) {
		for (;;) {
			if (element(s) < 0)
				return -1;
			whitespace(s);
			if (peek(s) != ',')
				break;
			s->i++;
			whitespace(s);
		}
		if (peek(s) != (unsigned char)close)
			return fail(s, s->i, why);
	}
	s->i++;
	return 0;
}

static int object(struct scan *s)
{
	size_t from = s->names.len;

	if (elements(s, '}', member, "invalid JSON: expected ',' or '}' in an object") < 0 ||
	    names_unique(s, from) < 0)
		return -1;
	s->names.len = from;
	return 0;
}

static int array(struct scan *s)
{
	return elements(s, ']', value, "invalid JSON: expected ',' or ']' in an array");
}

static int value(struct scan *s)
{
	int c = peek(s), r;

	switch (c) {
	case '{':
	case '[':
		if (s->depth >= JSONSCAN_MAX_DEPTH)
			return fail(s, s->i, "nesting too deep");
		s->depth++;
		r = c == '{' ? object(s) : array(s);
		s->depth--;
		return r;
	case '"': return string(s, NULL);
	case 't': return literal(s, "true");
	case 'f': return literal(s, "false");
	case 'n': return literal(s, "null");
	case -1: return fail(s, s->i, "invalid JSON: unexpected end of the record");
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return number(s);
		return fail(s, s->i, "invalid JSON: unexpected character");
	}
}

int jsonscan_check(const char *text, size_t len, size_t *offset, const char **why)
{
	struct scan s;
	int r;

	memset(&s, 0, sizeof s);
	s.p = text;
	s.len = len;
	whitespace(&s);
	r = value(&s);
	if (r == 0) {
		whitespace(&s);
		if (s.i < s.len)
			r = fail(&s, s.i, "invalid JSON: unexpected data after the value");
	}
	buf_free(&s.names);
	buf_free(&s.key);
	buf_free(&s.sorted);
	if (r < 0) {
		*offset = s.offset;
		*why = s.why;
	}
	return r;
}
