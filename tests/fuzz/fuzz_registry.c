/*
 * fuzz_registry — the Beekeeper's rules under arbitrary operations and
 * arbitrary ledger lines. Each input line is "K{json}": K (0, 1, 2) picks
 * the signer (admin, owner, other) of an operation built from the JSON, and
 * the same bytes are also offered to replay as a ledger line. Checks:
 *   - HVT is conserved after every step;
 *   - a refused operation or line changes nothing (seq, head, supply);
 *   - the ledger written replays, every signature checked, to the same head.
 * jq 1.6 leaks on some malformed text (see fuzz_jcs.c), so lines are
 * scanned with jsonscan first and only well-formed JSON reaches jv_parse.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "jcs.h"
#include "jsonscan.h"
#include "registry.h"
#include "../unit/registry_world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok)
{
	if (!ok)
		abort();
}

/* seq, head and the supply record: what any accepted change moves. */
static void fingerprint(const struct registry *r, struct buf *out)
{
	const char *why;
	buf_reset(out);
	buf_printf(out, "%llu:", (unsigned long long)r->seq);
	buf_hex(out, r->head, 32);
	jv s = registry_supply_record(r);
	jcs_append(out, s, NULL, &why);
	jv_free(s);
}

static void replay_all(const struct buf *log, const uint8_t head[32])
{
	struct registry r;
	registry_init(&r);
	const char *p = log->data, *end = log->data + log->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct reg_error e;
		require(registry_apply_line(&r, p, (size_t)(nl - p), REG_CHECK_SIG, INT64_MAX, &e) == HIVE_OK);
		p = nl + 1;
	}
	require(memcmp(r.head, head, 32) == 0);
	registry_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	if (!quiet) {
		diag_redirect(fopen("/dev/null", "w"));
		quiet = 1;
	}
	struct world w;
	struct registry r;
	struct buf before = BUF_INIT, after = BUF_INIT;
	registry_init(&r);
	require(world_build(&w, &r) == 0);

	const char *p = (const char *)data, *end = p + size;
	for (int steps = 0; p < end && steps < 64; steps++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int actor = len > 0 && *p >= '0' && *p <= '2' ? *p - '0' : 1;
		const char *json = len > 0 ? p + 1 : p;
		size_t jlen = len > 0 ? len - 1 : 0;
		size_t off;
		const char *why;
		fingerprint(&r, &before);
		if (jsonscan_check(json, jlen, &off, &why) == 0) {
			struct reg_error e;
			/* As a ledger line: almost always refused by the chain; must change nothing then. */
			if (registry_apply_line(&r, json, jlen, REG_CHECK_SIG, INT64_MAX, &e) != HIVE_OK) {
				fingerprint(&r, &after);
				require(before.len == after.len && memcmp(before.data, after.data, before.len) == 0);
			}
			/* As an operation. */
			jv v = jv_parse_sized(json, (int)jlen);
			jv name = jv_get_kind(v) == JV_KIND_OBJECT ? jv_object_get(jv_copy(v), jv_string("op")) : jv_invalid();
			if (jv_get_kind(name) == JV_KIND_STRING && registry_op_known(jv_string_value(name)) &&
			    strcmp(jv_string_value(name), "init") != 0) {
				static const char *const ledger_fields[] = { "type", "seq", "prev", "time", "actor", "sig" };
				for (size_t i = 0; i < sizeof ledger_fields / sizeof ledger_fields[0]; i++)
					v = jv_object_delete(v, jv_string(ledger_fields[i]));
				fingerprint(&r, &before);
				if (world_do(&w, &r, actor, jv_copy(v)) != HIVE_OK) {
					fingerprint(&r, &after);
					require(before.len == after.len && memcmp(before.data, after.data, before.len) == 0);
				}
			}
			jv_free(name);
			jv_free(v);
		}
		require(registry_conserved(&r));
		p = nl ? nl + 1 : end;
	}
	replay_all(&w.log, r.head);
	registry_free(&r);
	buf_free(&w.log);
	buf_free(&before);
	buf_free(&after);
	return 0;
}
