/*
 * jsonview.c — top-level members of a JSON object as spans (see jsonview.h).
 */
#include <string.h>

#include "jsonview.h"
#include "utf8.h"

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* p is after the opening quote; returns the closing quote, or NULL (also for a string that is not UTF-8). */
static const char *scan_string(const char *p, const char *end, bool *escaped)
{
	const char *start = p;
	bool high = false;
	*escaped = false;
	while (p < end) {
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			return !high || utf8_check(start, (size_t)(p - start)) == (size_t)(p - start) ? p : NULL;
		high |= c >= 0x80;
		if (c < 0x20)
			return NULL;
		if (c == '\\') {
			*escaped = true;
			if (++p >= end)
				return NULL;
			if (*p == 'u') {
				if (end - p < 5 || !is_hex(p[1]) || !is_hex(p[2]) || !is_hex(p[3]) || !is_hex(p[4]))
					return NULL;
				p += 4;
			} else if (!strchr("\"\\/bfnrt", *p) || *p == '\0')
				return NULL;
		}
		p++;
	}
	return NULL;
}

static const char *digits(const char *p, const char *end)
{
	const char *start = p;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p > start ? p : NULL;
}

/* RFC 8259 number: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?  Returns its end, or NULL. */
static const char *scan_number(const char *p, const char *end)
{
	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if ((p = digits(p, end)) == NULL)
		return NULL;
	if (p < end && *p == '.' && (p = digits(p + 1, end)) == NULL)
		return NULL;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if ((p = digits(p, end)) == NULL)
			return NULL;
	}
	return p;
}

/* An array or object from its opening bracket: returns the end after the matching bracket, or NULL. */
static const char *scan_nested(const char *p, const char *end)
{
	char closers[64];
	int depth = 0;
	bool escaped;
	for (; p < end; p++) {
		if (*p == '"') {
			if ((p = scan_string(p + 1, end, &escaped)) == NULL)
				return NULL;
		} else if (*p == '[' || *p == '{') {
			if (depth == (int)sizeof closers)
				return NULL;
			closers[depth++] = *p == '[' ? ']' : '}';
		} else if (*p == ']' || *p == '}') {
			if (*p != closers[--depth])
				return NULL;
			if (depth == 0)
				return p + 1;
		}
	}
	return NULL;
}

static const char *scan_value(struct jsonview_member *m, const char *p, const char *end)
{
	const char *q;
	if (p >= end)
		return NULL;
	switch (*p) {
	case '"':
		if ((q = scan_string(p + 1, end, &m->escaped)) == NULL)
			return NULL;
		m->kind = JV_STRING_SPAN;
		m->val = p + 1;
		m->vlen = (size_t)(q - p - 1);
		return q + 1;
	case '[':
	case '{':
		if ((q = scan_nested(p, end)) == NULL)
			return NULL;
		m->kind = *p == '[' ? JV_ARRAY_SPAN : JV_OBJECT_SPAN;
		break;
	case 't':
	case 'f':
	case 'n': {
		static const char *const words[] = { "true", "false", "null" };
		static const enum jsonview_kind kinds[] = { JV_TRUE_SPAN, JV_FALSE_SPAN, JV_NULL_SPAN };
		int w = *p == 't' ? 0 : *p == 'f' ? 1 : 2;
		size_t n = strlen(words[w]);
		if ((size_t)(end - p) < n || memcmp(p, words[w], n) != 0)
			return NULL;
		q = p + n;
		m->kind = kinds[w];
		break;
	}
	default:
		if ((q = scan_number(p, end)) == NULL)
			return NULL;
		m->kind = JV_NUMBER_SPAN;
	}
	m->val = p;
	m->vlen = (size_t)(q - p);
	return q;
}

/* Whether b's name comes strictly after a's in byte order (shorter first on a common prefix). */
static bool name_after(const struct jsonview_member *a, const struct jsonview_member *b)
{
	size_t n = a->klen < b->klen ? a->klen : b->klen;
	int c = memcmp(a->key, b->key, n);
	return c < 0 || (c == 0 && a->klen < b->klen);
}

int jsonview_parse(struct jsonview *v, const char *text, size_t len, const char **why)
{
	const char *p = text, *end = text + len;
	bool sorted = true;
	v->n = 0;
	p = skip_ws(p, end);
	if (p >= end || *p != '{') {
		*why = "not a JSON object";
		return -1;
	}
	p = skip_ws(p + 1, end);
	if (p < end && *p == '}')
		goto close;
	for (;;) {
		struct jsonview_member *m = &v->m[v->n];
		bool escaped;
		const char *q;
		if (v->n == JSONVIEW_MAX) {
			*why = "too many members";
			return -1;
		}
		if (p >= end || *p != '"' || (q = scan_string(p + 1, end, &escaped)) == NULL) {
			*why = "malformed member name";
			return -1;
		}
		if (escaped) {
			*why = "escaped member name";
			return -1;
		}
		m->key = p + 1;
		m->klen = (size_t)(q - p - 1);
		/* Names in increasing order so far (canonical records) cannot repeat: one comparison each. */
		sorted = sorted && (v->n == 0 || name_after(&v->m[v->n - 1], m));
		for (size_t i = 0; !sorted && i < v->n; i++)
			if (v->m[i].klen == m->klen && memcmp(v->m[i].key, m->key, m->klen) == 0) {
				*why = "repeated member name";
				return -1;
			}
		p = skip_ws(q + 1, end);
		if (p >= end || *p != ':') {
			*why = "missing ':' after a member name";
			return -1;
		}
		m->escaped = false;
		if ((p = scan_value(m, skip_ws(p + 1, end), end)) == NULL) {
			*why = "malformed value";
			return -1;
		}
		v->n++;
		p = skip_ws(p, end);
		if (p < end && *p == ',') {
			p = skip_ws(p + 1, end);
			continue;
		}
		if (p < end && *p == '}')
			break;
		*why = "missing ',' or '}'";
		return -1;
	}
close:
	if (skip_ws(p + 1, end) != end) {
		*why = "text after the object";
		return -1;
	}
	return 0;
}

const struct jsonview_member *jsonview_get(const struct jsonview *v, const char *key)
{
	size_t n = strlen(key);
	for (size_t i = 0; i < v->n; i++)
		if (v->m[i].klen == n && memcmp(v->m[i].key, key, n) == 0)
			return &v->m[i];
	return NULL;
}

jv jsonview_value(const struct jsonview_member *m)
{
	if (m == NULL)
		return jv_invalid();
	if (m->kind == JV_STRING_SPAN)
		return jv_parse_sized(m->val - 1, (int)m->vlen + 2);
	return jv_parse_sized(m->val, (int)m->vlen);
}

int jsonview_string(const struct jsonview_member *m, struct buf *out)
{
	if (m == NULL || m->kind != JV_STRING_SPAN)
		return -1;
	buf_reset(out);
	if (!m->escaped) {
		buf_append(out, m->val, m->vlen);
		return 0;
	}
	/* Escapes are rare here (names of meters' makers): jq decodes them. */
	jv s = jsonview_value(m);
	int rc = -1;
	if (jv_get_kind(s) == JV_KIND_STRING) {
		buf_append(out, jv_string_value(s), (size_t)jv_string_length_bytes(jv_copy(s)));
		rc = 0;
	}
	jv_free(s);
	return rc;
}
