/*
 * fuzz_jcs — canonicalises whatever jq 1.6 parses and checks that:
 *   - a refusal leaves the output buffer exactly as it was;
 *   - the canonical text parses back to an equal value (-0 aside, which jq
 *     counts as equal to 0 anyway) and canonicalises to the same bytes;
 *   - it is plain: no raw control character, no whitespace outside strings;
 *   - leaving out a top-level member equals deleting it first.
 *
 * jq 1.6's parser itself leaks on some malformed input: value() in
 * jv_parse.c returns "Expected separator between values" without freeing
 * the value it was given, so '[1"a"]' loses the string "a". That is not
 * ours to fix, so a first parse only asks whether the input is valid, with
 * leak detection off; the value under test comes from a second parse with
 * it on, so a reference this module forgets is still reported.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jv.h>
#include <sanitizer/lsan_interface.h>

#include "buf.h"
#include "jcs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PREFIX "prefix:"

static void require(int ok)
{
	if (!ok)
		abort();
}

/* Outside strings the canonical form has no whitespace, and nowhere a raw control byte. */
static void check_plain(const char *s, size_t len)
{
	int in_string = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		require(ch >= 0x20);
		if (in_string && ch == '\\')
			i++;
		else if (ch == '"')
			in_string = !in_string;
		else if (!in_string)
			require(ch != ' ');
	}
	require(!in_string);
}

/* Canonical text must parse back to an equal value whose canonical form is the same bytes. */
static void check_round_trip(jv value, const char *canonical, size_t len)
{
	struct buf again = BUF_INIT;
	const char *why = NULL;
	jv reparsed = jv_parse_sized(canonical, (int)len);

	require(jv_is_valid(reparsed));
	require(jv_equal(jv_copy(value), jv_copy(reparsed)));
	require(jcs_append(&again, reparsed, NULL, &why) == 0);
	require(again.len == len && memcmp(again.data, canonical, len) == 0);
	jv_free(reparsed);
	buf_free(&again);
}

/* skip_key on the first member's name must match canonicalising the object without it. */
static void check_skip_key(jv value, const char *canonical, size_t len)
{
	struct buf skipped = BUF_INIT, deleted = BUF_INIT;
	const char *why = NULL;

	if (jv_get_kind(value) != JV_KIND_OBJECT || jv_object_length(jv_copy(value)) == 0)
		return;
	jv name = jv_object_iter_key(value, jv_object_iter(value));
	/* skip_key is a C string: a name with a NUL in it cannot be named that way. */
	if (strlen(jv_string_value(name)) == (size_t)jv_string_length_bytes(jv_copy(name))) {
		jv without = jv_object_delete(jv_copy(value), jv_copy(name));
		require(jcs_append(&skipped, value, jv_string_value(name), &why) == 0);
		require(jcs_append(&deleted, without, NULL, &why) == 0);
		require(skipped.len == deleted.len && memcmp(skipped.data, deleted.data, skipped.len) == 0);
		require(skipped.len < len);
		jv_free(without);
	}
	jv_free(name);
	buf_free(&skipped);
	buf_free(&deleted);
}

/* Whether jq accepts the input, with its own error-path leaks not counted. */
static int jq_accepts(const uint8_t *data, size_t size)
{
	__lsan_disable();
	jv probe = jv_parse_sized((const char *)data, (int)size);
	int valid = jv_is_valid(probe);
	jv_free(probe);
	__lsan_enable();
	return valid;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out = BUF_INIT;
	const char *why = NULL;

	if (size > 1 << 16 || !jq_accepts(data, size))
		return 0;
	jv value = jv_parse_sized((const char *)data, (int)size);
	require(jv_is_valid(value));
	buf_puts(&out, PREFIX);
	if (jcs_append(&out, value, NULL, &why) < 0) {
		require(why != NULL);
		require(out.len == strlen(PREFIX) && strcmp(out.data, PREFIX) == 0);
	} else {
		const char *canonical = out.data + strlen(PREFIX);
		size_t len = out.len - strlen(PREFIX);
		check_plain(canonical, len);
		check_round_trip(value, canonical, len);
		check_skip_key(value, canonical, len);
	}
	jv_free(value);
	buf_free(&out);
	return 0;
}
