/*
 * hiveexport.c — reading `hive-beekeeper export` (see hiveexport.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clearing.h"
#include "diag.h"
#include "eth.h"
#include "hiveexport.h"
#include "jsonview.h"
#include "keymap.h"
#include "xio.h"

#define EXPORT_FILE_MAX (256u << 20)

struct reader {
	struct hive_export *h;
	struct keymap seen;     /* meters listed so far, revoked ones too */
	const char *name;
	unsigned long lineno;
	struct buf s;
	size_t cap;
};

static int fail(struct reader *r, const char *what)
{
	diag_warn("'%s' line %lu: %s", r->name, r->lineno, what);
	return HIVE_EINPUT;
}

static int get_string(struct reader *r, const struct jsonview *v, const char *key)
{
	const struct jsonview_member *m = jsonview_get(v, key);
	return m && jsonview_string(m, &r->s) == 0 ? 0 : -1;
}

static int get_address(struct reader *r, const struct jsonview *v, const char *key, uint8_t out[20])
{
	if (get_string(r, v, key) != 0)
		return -1;
	return eth_address_parse(out, r->s.data, r->s.len) == ETH_ADDR_OK ? 0 : -1;
}

static int get_uint(const struct jsonview *v, const char *key, uint64_t max, uint64_t *out)
{
	const struct jsonview_member *m = jsonview_get(v, key);
	if (!m || m->kind != JV_NUMBER_SPAN || m->vlen == 0 || m->vlen > 12)
		return -1;
	uint64_t x = 0;
	for (size_t i = 0; i < m->vlen; i++) {
		if (m->val[i] < '0' || m->val[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(m->val[i] - '0');
	}
	if (x > max)
		return -1;
	*out = x;
	return 0;
}

static int header(struct reader *r, const struct jsonview *v)
{
	struct hive_export *h = r->h;
	uint64_t id, decimals;
	if (get_uint(v, "hive", UINT32_MAX, &id) != 0 || id == 0)
		return fail(r, "no valid 'hive' id");
	h->hive = (uint32_t)id;
	if (get_address(r, v, "owner", h->owner) != 0)
		return fail(r, "no valid 'owner' address");
	if (get_address(r, v, "coin", h->coin) != 0)
		return fail(r, "no valid 'coin' address");
	if (get_string(r, v, "coin_code") != 0 || r->s.len == 0 || r->s.len >= sizeof h->coin_code)
		return fail(r, "no valid 'coin_code'");
	memcpy(h->coin_code, r->s.data, r->s.len + 1);
	if (get_uint(v, "coin_decimals", 77, &decimals) != 0)
		return fail(r, "no valid 'coin_decimals' (0 to 77)");
	h->decimals = (unsigned)decimals;
	if (get_string(r, v, "ledger_head") != 0 || r->s.len != sizeof h->ledger_head - 1)
		return fail(r, "no valid 'ledger_head'");
	memcpy(h->ledger_head, r->s.data, r->s.len + 1);
	return HIVE_OK;
}

static int member(struct reader *r, const struct jsonview *v)
{
	struct hive_export *h = r->h;
	uint64_t id;
	uint8_t meter[20];
	if (get_uint(v, "hive", UINT32_MAX, &id) != 0 || id != h->hive)
		return fail(r, "a member of another hive than the export's");
	if (get_address(r, v, "meter", meter) != 0)
		return fail(r, "no valid 'meter' address");
	if (get_string(r, v, "status") != 0)
		return fail(r, "no 'status'");
	uint32_t at;
	if (keymap_get(&r->seen, meter, 20, &at))
		return fail(r, "the meter is listed twice");
	keymap_put(&r->seen, meter, 20, 0);
	if (r->s.len == 7 && memcmp(r->s.data, "revoked", 7) == 0) {
		h->nrevoked++;
		return HIVE_OK;
	}
	if (h->nmembers == CLEARING_MAX_MEMBERS)
		return fail(r, "more members than a hive may have (2^24)");
	if (h->nmembers == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		h->members = xrealloc(h->members, r->cap * sizeof *h->members);
	}
	memcpy(h->members[h->nmembers++], meter, 20);
	return HIVE_OK;
}

static int line(struct reader *r, const char *text, size_t len, int *seen_header)
{
	struct jsonview v;
	const char *why;
	if (jsonview_parse(&v, text, len, &why) != 0) {
		diag_warn("'%s' line %lu: %s", r->name, r->lineno, why);
		return HIVE_EINPUT;
	}
	const struct jsonview_member *t = jsonview_get(&v, "type");
	if (!t || t->kind != JV_STRING_SPAN)
		return fail(r, "a record without a 'type'");
	if (t->vlen == 11 && memcmp(t->val, "hive_export", 11) == 0) {
		if (*seen_header)
			return fail(r, "a second 'hive_export' record: one hive per export");
		*seen_header = 1;
		return header(r, &v);
	}
	if (!*seen_header)
		return fail(r, "the first record is not 'hive_export'");
	if (t->vlen == 6 && memcmp(t->val, "member", 6) == 0)
		return member(r, &v);
	return fail(r, "neither 'hive_export' nor 'member'");
}

int hive_export_parse(struct hive_export *h, const char *name, const char *text, size_t len)
{
	struct reader r = { .h = h, .name = name };
	int seen = 0, rc = HIVE_OK;
	memset(h, 0, sizeof *h);
	for (size_t at = 0; at < len && rc == HIVE_OK;) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t end = nl ? (size_t)(nl - text) : len, n = end - at;
		r.lineno++;
		while (n > 0 && (text[at + n - 1] == '\r' || text[at + n - 1] == ' ' || text[at + n - 1] == '\t'))
			n--;
		if (n > 0)
			rc = line(&r, text + at, n, &seen);
		at = end + 1;
	}
	if (rc == HIVE_OK && !seen) {
		r.lineno = 1;
		rc = fail(&r, "no 'hive_export' record (the output of hive-beekeeper export)");
	}
	buf_free(&r.s);
	keymap_free(&r.seen);
	if (rc != HIVE_OK)
		hive_export_free(h);
	return rc;
}

int hive_export_load(struct hive_export *h, const char *path)
{
	struct buf b = { 0 };
	memset(h, 0, sizeof *h);
	if (read_file(path, &b, EXPORT_FILE_MAX) != 0) {
		diag_warn("'%s': %s", path, strerror(errno));
		buf_free(&b);
		return HIVE_EINPUT;
	}
	int rc = hive_export_parse(h, path, b.data ? b.data : "", b.len);
	buf_free(&b);
	return rc;
}

void hive_export_free(struct hive_export *h)
{
	free(h->members);
	memset(h, 0, sizeof *h);
}
