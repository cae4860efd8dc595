#include "cfgfile.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "jsonscan.h"
#include "utf8.h"
#include "xio.h"

int cfgfile_read(const char *path, const char *what, size_t max, struct buf *text)
{
	if (read_file_following(path, text, max) < 0) {
		diag_warn_errno("cannot read %s '%s'", what, path);
		buf_free(text);
		return -1;
	}
	return 0;
}

int cfgfile_fail(const struct cfgfile *f, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	diag_warn("'%s' line %lu: %s%s", f->name, f->line, f->ctx ? f->ctx : "", msg);
	return -1;
}

const char *cfgfile_shown(const struct cfgfile *f, char out[64], const char *s, size_t len)
{
	size_t max = f->shown_max < CFGFILE_SHOWN_MAX ? f->shown_max : CFGFILE_SHOWN_MAX;
	size_t n = len > max ? max : len, j = 0;

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

bool cfgfile_equals(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(s, word, len) == 0;
}

bool cfgfile_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int cfgfile_get_string(const struct cfgfile *f, jv obj, const char *key, const char **s, size_t *len)
{
	jv v = jv_object_get(jv_copy(obj), jv_string(key));
	jv_kind kind = jv_get_kind(v);

	if (kind == JV_KIND_INVALID) {
		jv_free(v);
		return 0;
	}
	if (kind != JV_KIND_STRING) {
		jv_free(v);
		return cfgfile_fail(f, "field '%s' must be a string", key);
	}
	*s = jv_string_value(v);
	*len = (size_t)jv_string_length_bytes(jv_copy(v));
	jv_free(v);
	if (memchr(*s, '\0', *len) != NULL)
		return cfgfile_fail(f, "field '%s' holds a NUL character", key);
	return 1;
}

int cfgfile_need_string(const struct cfgfile *f, jv obj, const char *key, const char **s, size_t *len)
{
	int r = cfgfile_get_string(f, obj, key, s, len);

	if (r == 0)
		return cfgfile_fail(f, "field '%s' is missing", key);
	return r < 0 ? -1 : 0;
}

int cfgfile_check_members(const struct cfgfile *f, jv obj, const char *const *allowed, const char *what)
{
	const char *s;
	size_t len;
	int rc = 0;

	for (int it = jv_object_iter(obj); rc == 0 && jv_object_iter_valid(obj, it); it = jv_object_iter_next(obj,
	                                                                                                      it)) {
		jv key = jv_object_iter_key(obj, it);
		const char *k = jv_string_value(key);
		size_t klen = (size_t)jv_string_length_bytes(jv_copy(key));
		bool known = cfgfile_equals(k, klen, "note");
		for (size_t i = 0; allowed[i] != NULL && !known; i++)
			known = cfgfile_equals(k, klen, allowed[i]);
		if (!known) {
			char buf[64];
			rc = cfgfile_fail(f, "unknown field '%s' in %s", cfgfile_shown(f, buf, k, klen), what);
		}
		jv_free(key);
	}
	if (rc == 0 && cfgfile_get_string(f, obj, "note", &s, &len) < 0)
		rc = -1;
	return rc;
}

int cfgfile_type(struct cfgfile *f, jv obj, const char *header, const char *example, const char **type, size_t *len)
{
	char buf[64];
	int r = cfgfile_get_string(f, obj, "type", type, len);

	if (r <= 0)
		return r < 0 ? -1 : cfgfile_fail(f, "record has no 'type'");
	if (f->header_line == 0) {
		if (!cfgfile_equals(*type, *len, header))
			return cfgfile_fail(f, "the first record must be the %s header %s, not a '%s' record", header,
			                    example, cfgfile_shown(f, buf, *type, *len));
		f->header_line = f->line;
		return 1;
	}
	if (cfgfile_equals(*type, *len, header))
		return cfgfile_fail(f, "a second %s header (the first is on line %lu)", header, f->header_line);
	return 0;
}

int cfgfile_hhmm(const char *s, size_t len)
{
	if (len != 5 || !cfgfile_is_digit(s[0]) || !cfgfile_is_digit(s[1]) || s[2] != ':' || !cfgfile_is_digit(s[3]) ||
	    !cfgfile_is_digit(s[4]))
		return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 24 || m > 59 || (h == 24 && m != 0))
		return -1;
	return h * 60 + m;
}

/* One line, its LF cut off: skipped when blank, else checked and handed to record. */
static int line(struct cfgfile *f, const char *s, size_t n, int (*record)(void *arg, jv obj), void *arg)
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
		return cfgfile_fail(f, "byte offset %zu: NUL byte", (size_t)(nul - s));
	if ((offset = utf8_check(s, n)) != n)
		return cfgfile_fail(f, "byte offset %zu: invalid UTF-8", offset);
	/* Strict JSON first: jq's parser is lenient, and leaks on some malformed input. */
	if (jsonscan_check(s, n, &offset, &why) < 0)
		return cfgfile_fail(f, "byte offset %zu: %s", offset, why);
	if (n > (size_t)INT32_MAX)
		return cfgfile_fail(f, "line longer than 2 GiB");
	jv v = jv_parse_sized(s, (int)n);
	int rc;
	if (!jv_is_valid(v))
		rc = cfgfile_fail(f, "invalid JSON");
	else if (jv_get_kind(v) != JV_KIND_OBJECT)
		rc = cfgfile_fail(f, "a record must be a JSON object");
	else
		rc = record(arg, v);
	jv_free(v);
	return rc;
}

int cfgfile_parse(struct cfgfile *f, const char *text, size_t len, int (*record)(void *arg, jv obj), void *arg)
{
	size_t start = 0;
	int rc = 0;

	while (rc == 0 && start < len) {
		const char *nl = memchr(text + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - text) : len;
		f->line++;
		rc = line(f, text + start, end - start, record, arg);
		start = end + 1;
	}
	return rc;
}
