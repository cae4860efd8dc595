/*
 * audit.c — a settlement archive derived again from its inputs (see audit.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "buf.h"
#include "clearing.h"
#include "diag.h"
#include "eth.h"
#include "hex.h"
#include "jcs.h"
#include "jsonview.h"
#include "keccak.h"
#include "record.h"
#include "recsig.h"
#include "settle.h"
#include "tariff.h"
#include "timeutil.h"
#include "xio.h"

#define AUDIT_FILE_MAX ((size_t)8 << 30)

/* A file's lines, in memory: what the audit reads more than once. */
struct lines {
	struct buf text;
	size_t n, cap;
	size_t *at, *len;
	uint8_t (*hash)[32];    /* keccak256 of each line (the archive only) */
};

static void lines_free(struct lines *l)
{
	buf_free(&l->text);
	free(l->at);
	free(l->len);
	free(l->hash);
}

/* Splits text into lines (LF or CRLF, blank ones dropped), after what it already holds. */
static void lines_split(struct lines *l, size_t from)
{
	const char *t = l->text.data;
	for (size_t i = from; i < l->text.len;) {
		const char *nl = memchr(t + i, '\n', l->text.len - i);
		size_t end = nl ? (size_t)(nl - t) : l->text.len, n = end - i;
		while (n > 0 && (t[i + n - 1] == '\r' || t[i + n - 1] == ' ' || t[i + n - 1] == '\t'))
			n--;
		if (n > 0) {
			if (l->n == l->cap) {
				l->cap = l->cap ? l->cap * 2 : 1024;
				l->at = xrealloc(l->at, l->cap * sizeof *l->at);
				l->len = xrealloc(l->len, l->cap * sizeof *l->len);
			}
			l->at[l->n] = i;
			l->len[l->n++] = n;
		}
		i = end + 1;
	}
}

static const char *line_at(const struct lines *l, size_t i)
{
	return l->text.data + l->at[i];
}

/*
 * Lines hive-clear and hive-settle would refuse before looking at them (not
 * UTF-8, a NUL, not strict JSON: rec_strict) are dropped, so the audit
 * derives from exactly what the tools read; jq's parser would accept more.
 */
static void keep_strict(struct lines *l, size_t first)
{
	size_t kept = first, offset;
	const char *why;
	for (size_t i = first; i < l->n; i++)
		if (rec_strict(line_at(l, i), l->len[i], &offset, &why) == 0) {
			l->at[kept] = l->at[i];
			l->len[kept++] = l->len[i];
		}
	l->n = kept;
}

static int lines_read(struct lines *l, const char *path)
{
	size_t from = l->text.len;
	int rc = path ? read_file(path, &l->text, AUDIT_FILE_MAX) : read_fd(STDIN_FILENO, &l->text, AUDIT_FILE_MAX);
	if (rc != 0) {
		diag_warn_errno("cannot read '%s'", path ? path : "standard input");
		return HIVE_EINPUT;
	}
	buf_putc(&l->text, '\n');   /* files need not end in a newline */
	lines_split(l, from);
	return HIVE_OK;
}


/* ------------------------------------------------------------ the chain and the signatures */

/*
 * A balance record's EIP-712 signature: 1 with the address it recovers from
 * the record's digest in signer (the digest itself is derived again and
 * compared), 0 for a record that is not a balance, -1 for a balance without
 * a valid signature.
 */
static int balance_signer(const char *line, size_t len, uint8_t signer[20])
{
	struct jsonview v;
	const char *why;
	uint8_t digest[32], sig[ETH_SIG_SIZE];
	if (jsonview_parse(&v, line, len, &why) != 0)
		return 0;   /* strict, but not a flat record: not a balance */
	const struct jsonview_member *t = jsonview_get(&v, "type"), *d = jsonview_get(&v, "eip712_digest"),
	                             *s = jsonview_get(&v, "eip712_sig");
	if (!t || t->vlen != 7 || memcmp(t->val, "balance", 7) != 0)
		return 0;
	if (!d || !s || d->vlen != 66 || s->vlen != 2 + 2 * ETH_SIG_SIZE ||
	    hex_decode(d->val + 2, 64, digest, 32) != 0 || hex_decode(s->val + 2, 2 * ETH_SIG_SIZE, sig, ETH_SIG_SIZE) != 0 ||
	    eth_recover(signer, digest, sig) != ETH_SIG_OK)
		return -1;
	return 1;
}

/* "signed by X, not by the Queen Y" for what (the line, or its balance's EIP-712 signature). */
static int not_queen(const struct audit_config *cfg, size_t i, const char *what, const uint8_t signer[20])
{
	char who[ETH_ADDR_STRLEN + 1], queen[ETH_ADDR_STRLEN + 1];
	eth_address_format(who, signer);
	eth_address_format(queen, cfg->queen);
	diag_warn("audit: archive '%s' line %zu: %s by %s, not by the Queen %s", cfg->archive_file, i + 1, what, who, queen);
	return HIVE_EAUTH;
}

static int check_line(const struct audit_config *cfg, const struct lines *a, size_t i, struct recsig *rs)
{
	static const uint8_t genesis[32];
	const char *why;
	char want[67];
	uint8_t signer[20];
	size_t offset;
	const char *p = line_at(a, i);
	hex_encode_0x(i ? a->hash[i - 1] : genesis, 32, want);
	/* Strict first, as every hive reader: a repeated name would mean one thing to jq and another to others. */
	if (rec_strict(p, a->len[i], &offset, &why) != 0) {
		diag_warn("audit: archive '%s' line %zu: byte offset %zu: %s", cfg->archive_file, i + 1, offset, why);
		return HIVE_EINPUT;
	}
	jv rec = jv_parse_sized(p, (int)a->len[i]);
	if (jv_get_kind(rec) != JV_KIND_OBJECT) {
		jv_free(rec);
		diag_warn("audit: archive '%s' line %zu: not a JSON object", cfg->archive_file, i + 1);
		return HIVE_EINPUT;
	}
	jv prev = jv_object_get(jv_copy(rec), jv_string("prev"));
	int chained = jv_get_kind(prev) == JV_KIND_STRING && strcmp(jv_string_value(prev), want) == 0;
	jv_free(prev);
	enum recsig_status st = chained ? recsig_recover(rs, signer, rec, &why) : RECSIG_OK;
	jv_free(rec);
	if (!chained) {
		diag_warn("audit: archive '%s' line %zu: the hash chain is broken ('prev' is not %s, the hash of the "
		          "line before)", cfg->archive_file, i + 1, want);
		return HIVE_EAUTH;
	}
	if (st != RECSIG_OK) {
		diag_warn("audit: archive '%s' line %zu: %s", cfg->archive_file, i + 1,
		          st == RECSIG_UNSIGNED ? "not signed by the Queen" : why);
		return HIVE_EAUTH;
	}
	if (memcmp(signer, cfg->queen, 20) != 0)
		return not_queen(cfg, i, "signed", signer);
	int balance = balance_signer(p, a->len[i], signer);
	if (balance < 0) {
		diag_warn("audit: archive '%s' line %zu: a balance record without a valid 'eip712_sig' over its "
		          "'eip712_digest'", cfg->archive_file, i + 1);
		return HIVE_EAUTH;
	}
	if (balance > 0 && memcmp(signer, cfg->queen, 20) != 0)
		return not_queen(cfg, i, "its balance's EIP-712 signature is", signer);
	return HIVE_OK;
}

static int check_chain(const struct audit_config *cfg, struct lines *a)
{
	struct recsig rs;
	int rc = HIVE_OK;
	recsig_init(&rs);
	a->hash = xcalloc(a->n ? a->n : 1, sizeof *a->hash);
	for (size_t i = 0; i < a->n && rc == HIVE_OK; i++) {
		keccak256(line_at(a, i), a->len[i], a->hash[i]);
		rc = check_line(cfg, a, i, &rs);
	}
	recsig_free(&rs);
	return rc;
}

/* ------------------------------------------------------------ one period derived again */

struct period {
	size_t first, last;          /* archive lines: Worker records, then the hive record at last */
	const struct hive_export *hx;   /* the export of the period's ledger head */
	int64_t from_ms, to_ms, seconds;
	struct market_params params;
	enum clearing_missing missing;
	uint32_t weight;
	char deviation_price[100];
};

static int view_string(const struct jsonview *v, const char *key, char *out, size_t size)
{
	const struct jsonview_member *m = jsonview_get(v, key);
	if (!m || m->kind != JV_STRING_SPAN || m->escaped || m->vlen >= size)
		return -1;
	memcpy(out, m->val, m->vlen);
	out[m->vlen] = '\0';
	return 0;
}

static int view_uint(const struct jsonview *v, const char *key, int64_t max, int64_t *out)
{
	const struct jsonview_member *m = jsonview_get(v, key);
	if (!m || m->kind != JV_NUMBER_SPAN || m->vlen == 0 || m->vlen > 12)
		return -1;
	int64_t x = 0;
	for (size_t i = 0; i < m->vlen; i++) {
		if (m->val[i] < '0' || m->val[i] > '9')
			return -1;
		x = x * 10 + (m->val[i] - '0');
	}
	if (x > max)
		return -1;
	*out = x;
	return 0;
}

/* What the hive record of a period says it was derived with. */
/* 0; 1 when no export given has the period's ledger head; -1 when the record is malformed. */
static int period_params(const struct audit_config *cfg, struct period *p, const char *line, size_t len)
{
	struct jsonview v;
	const char *why;
	char text[100], rule[32], pb[16], ob[16], missing[16];
	int64_t pbps, obps, weight;
	if (jsonview_parse(&v, line, len, &why) != 0 || view_string(&v, "period_start", text, sizeof text) ||
	    rfc3339_parse(&p->from_ms, text, strlen(text), &why) || view_string(&v, "period_end", text, sizeof text) ||
	    rfc3339_parse(&p->to_ms, text, strlen(text), &why) || view_string(&v, "rule", rule, sizeof rule) ||
	    market_rule_parse(rule, &p->params.rule) || view_string(&v, "platform_fee_basis", pb, sizeof pb) ||
	    market_fee_basis_parse(pb, &p->params.platform.basis) ||
	    view_string(&v, "owner_fee_basis", ob, sizeof ob) || market_fee_basis_parse(ob, &p->params.owner.basis) ||
	    view_uint(&v, "platform_fee_bps", 10000, &pbps) || view_uint(&v, "owner_fee_bps", 10000, &obps) ||
	    view_string(&v, "missing_policy", missing, sizeof missing) ||
	    clearing_missing_parse(missing, &p->missing) || view_uint(&v, "seconds", 86400, &p->seconds) ||
	    p->seconds == 0 || view_uint(&v, "reputation_weight_bps", 10000, &weight) ||
	    view_string(&v, "deviation_price", p->deviation_price, sizeof p->deviation_price) ||
	    view_string(&v, "ledger_head", text, sizeof text))
		return -1;
	p->hx = NULL;
	for (size_t i = 0; i < cfg->nexports; i++)
		if (strcmp(cfg->exports[i]->ledger_head, text) == 0)
			p->hx = cfg->exports[i];
	if (!p->hx)
		return 1;
	p->params.platform.bps = (uint32_t)pbps;
	p->params.owner.bps = (uint32_t)obps;
	p->weight = (uint32_t)weight;
	return 0;
}

static int is_scope(const char *line, size_t len, const char *scope)
{
	struct jsonview v;
	const char *why;
	char s[16];
	return jsonview_parse(&v, line, len, &why) == 0 && view_string(&v, "scope", s, sizeof s) == 0 &&
	       strcmp(s, scope) == 0;
}

struct derive {
	const struct audit_config *cfg;
	const struct lines *archive, *intervals, *bids;
	struct tariff *tariff;
	char tariff_id[67];
	struct buf clearings, settled;
};

static int prices(void *arg, int64_t slot_ms, mpz_t buy, mpz_t sell)
{
	return tariff_prices(arg, slot_ms, buy, sell);
}

static void keep_clearing(void *arg, jv record)
{
	struct derive *d = arg;
	const char *why;
	HIVE_ASSERT(jcs_append(&d->clearings, record, NULL, &why) == 0);
	buf_putc(&d->clearings, '\n');
	jv_free(record);
}

/*
 * Whether a record's "start" lies outside the period: such intervals and
 * bids are skipped by clearing_add and settle_add_bid anyway, after a
 * signature check each; a month's audit re-reads every line once a day.
 */
static bool outside(const struct period *p, const char *line, size_t len)
{
	struct jsonview v;
	const char *why;
	int64_t ms;
	if (jsonview_parse(&v, line, len, &why) != 0)
		return false;
	const struct jsonview_member *m = jsonview_get(&v, "start");
	return m && m->kind == JV_STRING_SPAN && !m->escaped && rfc3339_parse(&ms, m->val, m->vlen, &why) == 0 &&
	       (ms < p->from_ms || ms >= p->to_ms);
}

/* The period's intervals cleared again, as hive-clear --from --to would; clearing lines in d->clearings. */
static int clear_again(struct derive *d, const struct period *p)
{
	struct clearing_config cc = { p->hx->hive, p->seconds * 1000, p->from_ms, p->to_ms, p->params, p->missing,
		                      prices, d->tariff, d->tariff_id };
	struct clearing c;
	const char *why;
	int64_t slot_ms;
	clearing_init(&c, &cc, (const uint8_t(*)[20])p->hx->members, p->hx->nmembers);
	for (size_t i = 0; i < d->intervals->n; i++) {
		if (outside(p, line_at(d->intervals, i), d->intervals->len[i]))
			continue;
		jv rec = jv_parse_sized(line_at(d->intervals, i), (int)d->intervals->len[i]);
		jv type = jv_get_kind(rec) == JV_KIND_OBJECT ? jv_object_get(jv_copy(rec), jv_string("type")) : jv_null();
		if (jv_get_kind(type) == JV_KIND_STRING && strcmp(jv_string_value(type), "interval") == 0)
			(void)clearing_add(&c, rec, &why);   /* refused as hive-clear refused it */
		jv_free(type);
		jv_free(rec);
	}
	buf_reset(&d->clearings);
	int rc = clearing_finish(&c, keep_clearing, d, &slot_ms, &why);
	clearing_free(&c);
	if (rc != 0) {
		char t[RFC3339_SIZE];
		rfc3339_format(t, slot_ms);
		diag_warn("audit: tariff '%s': slot %s: %s", d->cfg->tariff_file, t, why);
		return HIVE_EINPUT;
	}
	return HIVE_OK;
}

/* The period settled again after the archive lines before it; settlement lines in d->settled. */
static int settle_again(struct derive *d, const struct period *p)
{
	struct settle_config sc = { p->hx, p->from_ms, p->to_ms, p->weight, p->deviation_price };
	const char *why;
	int64_t slot_ms;
	struct settle *s = settle_new(&sc, &why);
	int rc = s ? HIVE_OK : HIVE_EINPUT;
	for (size_t i = 0; i < p->first && rc == HIVE_OK; i++)
		if (settle_previous(s, line_at(d->archive, i), d->archive->len[i], d->archive->hash[i], &why) != 0)
			rc = HIVE_EINPUT;
	int64_t from, to;
	if (rc == HIVE_OK && settle_check_period(s, &from, &to) != 0) {
		/* hive-settle refuses to settle a period twice; an archive that holds one twice is not what it made. */
		char f[RFC3339_SIZE], t[RFC3339_SIZE];
		rfc3339_format(f, from);
		rfc3339_format(t, to);
		diag_warn("audit: archive '%s' line %zu: the period overlaps one settled before it (%s to %s)",
		          d->cfg->archive_file, p->last + 1, f, t);
		settle_free(s);
		return HIVE_ERULE;
	}
	struct lines cl = { .text = d->clearings };
	lines_split(&cl, 0);
	for (size_t i = 0; i < cl.n && rc == HIVE_OK; i++) {
		struct jsonview v;
		if (jsonview_parse(&v, line_at(&cl, i), cl.len[i], &why) != 0 || settle_add(s, &v, &why) == SETTLE_REFUSED)
			rc = HIVE_EINPUT;
	}
	/* Bids, from the bid files and, as hive-settle takes them from its input too, the interval files. */
	const struct lines *sources[2] = { d->bids, d->intervals };
	for (size_t k = 0; k < 2 && rc == HIVE_OK; k++)
		for (size_t i = 0; i < sources[k]->n; i++) {
			struct jsonview v;
			char type[8];
			if (!outside(p, line_at(sources[k], i), sources[k]->len[i]) &&
			    jsonview_parse(&v, line_at(sources[k], i), sources[k]->len[i], &why) == 0 &&
			    view_string(&v, "type", type, sizeof type) == 0 && strcmp(type, "bid") == 0)
				(void)settle_add_bid(s, line_at(sources[k], i), sources[k]->len[i], &why);
		}
	buf_reset(&d->settled);
	if (rc == HIVE_OK && settle_finish(s, &d->settled, NULL, &slot_ms, &why) != 0)
		rc = HIVE_EINPUT;
	if (rc != HIVE_OK)
		diag_warn("audit: the period from line %zu cannot be settled again: %s", p->first + 1, why);
	/* Broken channels derive again as they were: named, not a difference. */
	for (const char *q = rc == HIVE_OK ? settle_problems(s) : NULL; q && *q;) {
		const char *nl = strchr(q, '\n');
		diag_warn("audit: warning: %.*s", (int)(nl - q), q);
		q = nl + 1;
	}
	free(cl.at);
	free(cl.len);
	settle_free(s);
	return rc;
}

/* ------------------------------------------------------------ comparing */

/* What is compared: the record without its chain link and the Queen's signatures, which are checked apart. */
static jv without_chain(jv rec)
{
	rec = jv_object_delete(jv_object_delete(rec, jv_string("sig")), jv_string("prev"));
	return jv_object_delete(rec, jv_string("eip712_sig"));
}

static void describe(char *out, size_t size, jv rec)
{
	jv scope = jv_object_get(jv_copy(rec), jv_string("scope"));
	jv worker = jv_object_get(jv_copy(rec), jv_string("worker"));
	jv start = jv_object_get(jv_copy(rec), jv_string("period_start"));
	const char *st = jv_get_kind(start) == JV_KIND_STRING ? jv_string_value(start) : "?";
	if (jv_get_kind(worker) == JV_KIND_STRING)
		snprintf(out, size, "the settlement of Worker %s for the period from %s", jv_string_value(worker), st);
	else
		snprintf(out, size, "the %s settlement for the period from %s",
		         jv_get_kind(scope) == JV_KIND_STRING ? jv_string_value(scope) : "?", st);
	jv_free(scope);
	jv_free(worker);
	jv_free(start);
}

/* Names the first field (in key order) whose value differs. */
static void first_difference(const struct audit_config *cfg, size_t line, jv archived, jv derived)
{
	jv keys = jv_keys(jv_object_merge(jv_copy(archived), jv_copy(derived)));
	char what[200];
	describe(what, sizeof what, archived);
	jv_array_foreach(keys, i, key)
	{
		jv a = jv_object_get(jv_copy(archived), jv_copy(key));
		jv b = jv_object_get(jv_copy(derived), jv_copy(key));
		int same = jv_equal(jv_copy(a), jv_copy(b));
		if (!same) {
			jv as = jv_is_valid(a) ? jv_dump_string(jv_copy(a), 0) : jv_string("(missing)");
			jv bs = jv_is_valid(b) ? jv_dump_string(jv_copy(b), 0) : jv_string("(missing)");
			diag_warn("audit: archive '%s' line %zu, %s: field '%s' is %s, re-derived %s", cfg->archive_file, line,
			          what, jv_string_value(key), jv_string_value(as), jv_string_value(bs));
			jv_free(as);
			jv_free(bs);
		}
		jv_free(a);
		jv_free(b);
		jv_free(key);
		if (!same)
			break;
	}
	jv_free(keys);
}

static int compare(struct derive *d, const struct period *p)
{
	struct lines dl = { .text = d->settled };
	lines_split(&dl, 0);
	int rc = HIVE_OK;
	size_t archived = p->last - p->first + 1;
	for (size_t k = 0; k < archived && k < dl.n && rc == HIVE_OK; k++) {
		size_t i = p->first + k;
		jv a = without_chain(jv_parse_sized(line_at(d->archive, i), (int)d->archive->len[i]));
		jv b = without_chain(jv_parse_sized(line_at(&dl, k), (int)dl.len[k]));
		struct buf ca = BUF_INIT, cb = BUF_INIT;
		const char *why;
		if (jcs_append(&ca, a, NULL, &why) != 0 || jcs_append(&cb, b, NULL, &why) != 0 ||
		    ca.len != cb.len || memcmp(ca.data, cb.data, ca.len) != 0) {
			first_difference(d->cfg, i + 1, a, b);
			rc = HIVE_ERULE;
		}
		buf_free(&ca);
		buf_free(&cb);
		jv_free(a);
		jv_free(b);
	}
	if (rc == HIVE_OK && dl.n != archived) {
		diag_warn("audit: archive '%s' lines %zu to %zu: the period holds %zu settlement records, re-derived %zu",
		          d->cfg->archive_file, p->first + 1, p->last + 1, archived, dl.n);
		rc = HIVE_ERULE;
	}
	free(dl.at);
	free(dl.len);
	return rc;
}

/* ------------------------------------------------------------ the run */

static int load_inputs(const struct audit_config *cfg, struct derive *d, struct lines *archive,
                       struct lines *intervals, struct lines *bids)
{
	int rc = tariff_load(&d->tariff, cfg->tariff_file, d->tariff_id);
	if (rc == HIVE_OK)
		rc = lines_read(archive, cfg->archive_file);
	for (size_t i = 0; i < cfg->ninterval_files && rc == HIVE_OK; i++)
		rc = lines_read(intervals, cfg->interval_files[i]);
	if (rc == HIVE_OK && cfg->ninterval_files == 0)
		rc = lines_read(intervals, NULL);
	for (size_t i = 0; i < cfg->nbid_files && rc == HIVE_OK; i++)
		rc = lines_read(bids, cfg->bid_files[i]);
	keep_strict(intervals, 0);
	keep_strict(bids, 0);
	return rc;
}

static int audit_periods(struct derive *d, const struct lines *a, size_t *nperiods)
{
	struct period p = { 0 };
	int rc = HIVE_OK;
	for (size_t i = 0; i < a->n && rc == HIVE_OK; i++) {
		if (!is_scope(line_at(a, i), a->len[i], "hive"))
			continue;
		p.last = i;
		int pr = period_params(d->cfg, &p, line_at(a, i), a->len[i]);
		if (pr != 0) {
			if (pr > 0)
				diag_warn("audit: archive '%s' line %zu: no export given was taken at the period's ledger head "
				          "(give each registry state's 'hive-beekeeper export' with --export)",
				          d->cfg->archive_file, i + 1);
			else
				diag_warn("audit: archive '%s' line %zu: a hive settlement without its period and parameters",
				          d->cfg->archive_file, i + 1);
			return HIVE_EINPUT;
		}
		rc = clear_again(d, &p);
		if (rc == HIVE_OK)
			rc = settle_again(d, &p);
		if (rc == HIVE_OK)
			rc = compare(d, &p);
		(*nperiods)++;
		p.first = i + 1;
	}
	if (rc == HIVE_OK && p.first != a->n) {
		diag_warn("audit: archive '%s' line %zu: Worker settlements without the hive record that closes their period",
		          d->cfg->archive_file, p.first + 1);
		rc = HIVE_EINPUT;
	}
	return rc;
}

int audit_run(const struct audit_config *cfg)
{
	struct lines archive = { 0 }, intervals = { 0 }, bids = { 0 };
	struct derive d = { .cfg = cfg, .archive = &archive, .intervals = &intervals, .bids = &bids };
	size_t nperiods = 0;
	int rc = load_inputs(cfg, &d, &archive, &intervals, &bids);
	if (rc == HIVE_OK)
		rc = check_chain(cfg, &archive);
	if (rc == HIVE_OK)
		rc = audit_periods(&d, &archive, &nperiods);
	if (rc == HIVE_OK) {
		char head[70] = "null", line[400];
		if (archive.n) {
			head[0] = '"';
			hex_encode_0x(archive.hash[archive.n - 1], 32, head + 1);
			strcat(head, "\"");
		}
		int n = snprintf(line, sizeof line,
		                 "{\"archive_head\":%s,\"hive\":%u,\"lines\":%zu,\"periods\":%zu,\"result\":\"identical\","
		                 "\"type\":\"audit\"}\n",
		                 head, cfg->exports[0]->hive, archive.n, nperiods);
		if (write_full(STDOUT_FILENO, line, (size_t)n) != 0) {
			diag_warn_errno("cannot write output");
			rc = HIVE_EOUTPUT;
		}
	}
	tariff_free(d.tariff);
	buf_free(&d.clearings);
	buf_free(&d.settled);
	lines_free(&archive);
	lines_free(&intervals);
	lines_free(&bids);
	return rc;
}
