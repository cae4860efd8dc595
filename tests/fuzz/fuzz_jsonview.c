/*
 * fuzz_jsonview — the flat object view against jq's parser: when the strict
 * scanner (jsonscan) accepts the text as a UTF-8 object of at most
 * JSONVIEW_MAX members without escapes, the view must accept it too, with the same
 * members, each of whose value parses to what jq gives; whatever the view
 * accepts, jsonscan accepts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jv.h>

#include "jsonscan.h"
#include "jsonview.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct jsonview v;
	const char *why;
	size_t off;
	int view_ok = jsonview_parse(&v, text, size, &why) == 0;
	int scan_ok = jsonscan_check(text, size, &off, &why) == 0;
	if (!scan_ok) {
		/* The view does not check UTF-8, nor the grammar inside arrays and objects. */
		return 0;
	}
	jv value = jv_parse_sized(text, (int)size);
	if (jv_get_kind(value) != JV_KIND_OBJECT) {
		require(!view_ok);
		jv_free(value);
		return 0;
	}
	/* jsonscan leaves UTF-8 to the record loop (utf8.h); the view checks it in strings. */
	int plain = jv_object_length(jv_copy(value)) <= JSONVIEW_MAX && memchr(text, '\\', size) == NULL &&
	            utf8_check(text, size) == size;
	if (plain)
		require(view_ok);
	if (view_ok) {
		require((int)v.n == jv_object_length(jv_copy(value)));
		for (size_t i = 0; i < v.n; i++) {
			jv key = jv_string_sized(v.m[i].key, (int)v.m[i].klen);
			jv want = jv_object_get(jv_copy(value), key);
			jv got = jsonview_value(&v.m[i]);
			require(jv_equal(want, got));
		}
	}
	jv_free(value);
	return 0;
}
