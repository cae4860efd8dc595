/*
 * fuzz_settle — what hive-settle reads: a hive export (the input up to its
 * first empty line), then records: lines starting with "P"
 * are archive lines (settle_previous), "bid" records go to settle_add_bid,
 * the rest to settle_add; then the period is settled. Checks: nothing
 * crashes or leaks; a refused finish appends nothing; every record a finish
 * writes is strict JSON (jsonscan_check) ending in a newline.
 * As in every hive reader, text reaches jq's parser only after jsonscan_check.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "hiveexport.h"
#include "jsonscan.h"
#include "jsonview.h"
#include "keccak.h"
#include "settle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok)
{
	if (!ok)
		abort();
}

static void record(struct settle *s, const char *line, size_t len)
{
	struct jsonview v;
	const char *why;
	size_t off;
	if (len > 0 && line[0] == 'P') {
		uint8_t h[32];
		keccak256(line + 1, len - 1, h);
		(void)settle_previous(s, line + 1, len - 1, h, &why);
		return;
	}
	if (jsonscan_check(line, len, &off, &why) < 0 || jsonview_parse(&v, line, len, &why) != 0)
		return;
	const struct jsonview_member *t = jsonview_get(&v, "type");
	if (t && t->vlen == 3 && memcmp(t->val, "bid", 3) == 0)
		(void)settle_add_bid(s, line, len, &why);
	else
		(void)settle_add(s, &v, &why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	if (!sink) {
		sink = fopen("/dev/null", "w");
		diag_redirect(sink);
	}
	const char *text = (const char *)data, *blank = memmem(text, size, "\n\n", 2);
	size_t first = blank ? (size_t)(blank - text) + 1 : size;
	struct hive_export hx;
	if (hive_export_parse(&hx, "fuzz", text, first) != HIVE_OK)
		return 0;
	struct settle_config cfg = { &hx, 1782000000000, 1782086400000, SETTLE_DEFAULT_WEIGHT, "1000" };
	const char *why;
	struct settle *s = settle_new(&cfg, &why);
	require(s != NULL);
	for (size_t at = first + 1; at < size;) {
		const char *end = memchr(text + at, '\n', size - at);
		size_t len = end ? (size_t)(end - text) - at : size - at;
		record(s, text + at, len);
		at += len + 1;
	}
	struct buf out = BUF_INIT;
	int64_t slot;
	buf_puts(&out, "x");
	if (settle_finish(s, &out, NULL, &slot, &why) != 0) {
		require(out.len == 1);
	} else {
		for (size_t at = 1; at < out.len;) {
			const char *end = memchr(out.data + at, '\n', out.len - at);
			size_t off;
			require(end != NULL);
			require(jsonscan_check(out.data + at, (size_t)(end - out.data) - at, &off, &why) == 0);
			at = (size_t)(end - out.data) + 1;
		}
	}
	buf_free(&out);
	settle_free(s);
	hive_export_free(&hx);
	return 0;
}
