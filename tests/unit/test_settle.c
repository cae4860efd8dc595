/*
 * test_settle.c — settling random hives: slots cleared by market_clear_slot,
 * written as hive-clear writes them, settled by lib/settle. Over a thousand
 * hives: Σ amounts = DSO + platform + owner to the unit, no Worker above
 * stand-alone, the owner never below its own fee, and the same records in
 * reverse order settle to the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "eip712.h"
#include "hex.h"
#include "eth.h"
#include "hiveexport.h"
#include "jsonview.h"
#include "market.h"
#include "settle.h"
#include "timeutil.h"

#define next check_next
#define between check_between

struct lines {
	char **v;
	size_t n;
};

static void add(struct lines *l, struct buf *b)
{
	l->v = realloc(l->v, (l->n + 1) * sizeof *l->v);
	l->v[l->n++] = strdup(buf_str(b));
	buf_reset(b);
}

static void z(struct buf *b, const char *key, const mpz_t v)
{
	char *s = mpz_get_str(NULL, 10, v);
	buf_printf(b, ",\"%s\":\"%s\"", key, s);
	free(s);
}

/* One random hive's day of n Workers over k slots, as clearing lines. */
static void make_hive(struct lines *out, const uint8_t (*addr)[20], size_t n, size_t k, const struct market_params *p)
{
	struct buf b = BUF_INIT;
	int64_t *e = calloc(n, sizeof *e);
	mpz_t buy, sell;
	mpz_inits(buy, sell, NULL);
	for (size_t t = 0; t < k; t++) {
		char slot[RFC3339_SIZE], who[ETH_ADDR_STRLEN + 1];
		rfc3339_format(slot, 1782036000000 + (int64_t)t * 900000);
		mpz_set_ui(sell, (unsigned long)between(0, 120000));
		mpz_add_ui(buy, sell, (unsigned long)between(0, 300000));
		for (size_t i = 0; i < n; i++)
			e[i] = next() % 5 == 0 ? 0 : between(-6000, 6000);
		struct slot_result r;
		CHECK(market_clear_slot(&r, e, n, buy, sell, p) == 0);
		buf_printf(&b, "{\"type\":\"clearing_slot\",\"hive\":1,\"slot\":\"%s\",\"rule\":\"%s\","
		           "\"platform_fee_bps\":%u,\"platform_fee_basis\":\"%s\",\"owner_fee_bps\":%u,"
		           "\"owner_fee_basis\":\"%s\",\"missing_policy\":\"zero\",\"tariff\":\"0x00\",\"seconds\":900,"
		           "\"cleared\":true,\"complete\":true,\"workers\":%zu,\"demand_wh\":%lld,\"generation_wh\":%lld,"
		           "\"shared_wh\":%lld",
		           slot, market_rule_name(p->rule), p->platform.bps, market_fee_basis_name(p->platform.basis),
		           p->owner.bps, market_fee_basis_name(p->owner.basis), n, (long long)r.demand,
		           (long long)r.generation, (long long)r.shared);
		z(&b, "price_buy", buy);
		z(&b, "price_sell", sell);
		z(&b, "hive_cost_mbu", r.hive_cost);
		z(&b, "surplus_mbu", r.surplus);
		z(&b, "platform_fee_mbu", r.platform_fee);
		z(&b, "owner_fee_mbu", r.owner_fee);
		buf_putc(&b, '}');
		add(out, &b);
		for (size_t i = 0; i < n; i++) {
			const struct worker_result *w = &r.w[i];
			eth_address_format(who, addr[i]);
			buf_printf(&b, "{\"type\":\"clearing\",\"hive\":1,\"slot\":\"%s\",\"worker\":\"%s\",\"metered\":true,"
			           "\"energy_wh\":%lld,\"from_community_wh\":%lld,\"from_grid_wh\":%lld,"
			           "\"to_community_wh\":%lld,\"to_grid_wh\":%lld",
			           slot, who, (long long)e[i], (long long)w->from_community, (long long)w->from_grid,
			           (long long)w->to_community, (long long)w->to_grid);
			z(&b, "standalone_mbu", w->standalone);
			z(&b, "payment_mbu", w->payment);
			buf_putc(&b, '}');
			add(out, &b);
		}
		market_result_free(&r);
	}
	mpz_clears(buy, sell, NULL);
	free(e);
	buf_free(&b);
}

/* Settles the lines in the order given; the records in out. */
static int settle_lines(struct buf *out, const struct hive_export *hx, const struct lines *l, bool reverse)
{
	struct settle_config cfg = { hx, 1782000000000, 1782086400000, SETTLE_DEFAULT_WEIGHT, NULL };
	const char *why;
	int64_t slot;
	struct settle *s = settle_new(&cfg, &why);
	for (size_t j = 0; j < l->n; j++) {
		const char *line = l->v[reverse ? l->n - 1 - j : j];
		struct jsonview v;
		CHECK(jsonview_parse(&v, line, strlen(line), &why) == 0);
		enum settle_use use = settle_add(s, &v, &why);
		CHECK(use == SETTLE_USED);
		if (use != SETTLE_USED)
			fprintf(stderr, "  refused: %s\n", why);
	}
	int rc = settle_finish(s, out, NULL, &slot, &why);
	settle_free(s);
	return rc;
}

/* The properties of settle.h, read back from the records. */
static void check_records(const struct buf *out)
{
	mpz_t sum, v, st, dso, pf, keep, ofee;
	mpz_inits(sum, v, st, dso, pf, keep, ofee, NULL);
	const char *p = out->data, *why;
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		struct jsonview j;
		CHECK(jsonview_parse(&j, p, (size_t)(nl - p), &why) == 0);
		const struct jsonview_member *m;
		char text[128];
#define GET(key, dst)                                                  \
	m = jsonview_get(&j, key);                                     \
	CHECK(m != NULL && m->vlen < sizeof text);                     \
	memcpy(text, m->val, m->vlen), text[m->vlen] = '\0';           \
	mpz_set_str(dst, text, 10)
		if (jsonview_get(&j, "worker") != NULL) {
			GET("amount", v);
			GET("standalone", st);
			mpz_add(sum, sum, v);
			CHECK(mpz_cmp(v, st) <= 0);
		} else {
			GET("dso", dso);
			GET("platform_fee", pf);
			GET("owner_keeps", keep);
			GET("owner_fee_mbu", ofee);
		}
#undef GET
		p = nl + 1;
	}
	mpz_sub(sum, sum, dso);
	mpz_sub(sum, sum, pf);
	mpz_sub(sum, sum, keep);
	CHECK(mpz_sgn(sum) == 0);
	mpz_fdiv_q_ui(ofee, ofee, 1000);
	CHECK(mpz_cmp(keep, ofee) >= 0);
	mpz_clears(sum, v, st, dso, pf, keep, ofee, NULL);
}

/* The typed data of a balance record, in eth_signTypedData_v4 form, from its own fields. */
static jv typed_from(jv rec, const char *coin)
{
	const char *t = "{\"types\":{\"EIP712Domain\":[{\"name\":\"name\",\"type\":\"string\"},"
	                "{\"name\":\"version\",\"type\":\"string\"}],\"Balance\":["
	                "{\"name\":\"hive\",\"type\":\"uint32\"},{\"name\":\"worker\",\"type\":\"address\"},"
	                "{\"name\":\"coin\",\"type\":\"address\"},{\"name\":\"periodStart\",\"type\":\"uint64\"},"
	                "{\"name\":\"periodEnd\",\"type\":\"uint64\"},{\"name\":\"firstNonce\",\"type\":\"uint64\"},"
	                "{\"name\":\"lastNonce\",\"type\":\"uint64\"},{\"name\":\"closingImportWh\",\"type\":\"uint64\"},"
	                "{\"name\":\"closingExportWh\",\"type\":\"uint64\"},{\"name\":\"amount\",\"type\":\"int256\"},"
	                "{\"name\":\"settlement\",\"type\":\"bytes32\"}]},\"primaryType\":\"Balance\","
	                "\"domain\":{\"name\":\"hive\",\"version\":\"1\"}}";
	jv typed = jv_parse(t);
	jv m = jv_object();
#define COPY(from, to) m = jv_object_set(m, jv_string(to), jv_object_get(jv_copy(rec), jv_string(from)))
	COPY("hive", "hive");
	COPY("worker", "worker");
	COPY("first_nonce", "firstNonce");
	COPY("last_nonce", "lastNonce");
	COPY("amount", "amount");
	COPY("settlement", "settlement");
#undef COPY
	jv ci = jv_object_get(jv_copy(rec), jv_string("closing_import_wh"));
	jv ce = jv_object_get(jv_copy(rec), jv_string("closing_export_wh"));
	m = jv_object_set(m, jv_string("closingImportWh"), jv_get_kind(ci) == JV_KIND_NULL ? (jv_free(ci), jv_number(0)) : ci);
	m = jv_object_set(m, jv_string("closingExportWh"), jv_get_kind(ce) == JV_KIND_NULL ? (jv_free(ce), jv_number(0)) : ce);
	m = jv_object_set(m, jv_string("coin"), jv_string(coin));
	m = jv_object_set(m, jv_string("periodStart"), jv_number(1782000000));
	m = jv_object_set(m, jv_string("periodEnd"), jv_number(1782086400));
	return jv_object_set(typed, jv_string("message"), m);
}

/* Balance digests, encoded from their fixed layout, equal eip712_hash over the typed data. */
static void check_balance_digests(const struct hive_export *hx, const uint8_t (*addr)[20])
{
	struct lines l = { 0 };
	struct buf b = BUF_INIT, out = BUF_INIT;
	struct market_params p = { RULE_DISCOUNT, { 100, FEE_ON_SURPLUS }, { 0, FEE_ON_SURPLUS } };
	int64_t reg[3] = { 1000, 5000, 77 };
	make_hive(&l, addr, 3, 4, &p);
	/* Registers on every clearing record, consistent with its energy. */
	for (size_t j = 0; j < l.n; j++) {
		if (!strstr(l.v[j], "\"type\":\"clearing\""))
			continue;
		size_t w = (size_t)-1;
		for (size_t i = 0; i < 3; i++) {
			char who[ETH_ADDR_STRLEN + 1];
			eth_address_format(who, addr[i]);
			if (strstr(l.v[j], who))
				w = i;
		}
		long long e = strtoll(strstr(l.v[j], "\"energy_wh\":") + 12, NULL, 10);
		long long imp = e > 0 ? e : 0, exp = e < 0 ? -e : 0;
		reg[w] += imp;
		buf_append(&b, l.v[j], strlen(l.v[j]) - 1);
		buf_printf(&b, ",\"import_wh\":%lld,\"export_wh\":%lld,\"register_import_wh\":%lld}", imp, exp,
		           (long long)reg[w]);
		free(l.v[j]);
		l.v[j] = strdup(buf_str(&b));
		buf_reset(&b);
	}
	CHECK(settle_lines(&out, hx, &l, false) == 0);
	int balances = 0;
	for (const char *q = out.data; q && *q;) {
		const char *nl = strchr(q, '\n');
		jv rec = jv_parse_sized(q, (int)(nl - q));
		jv type = jv_object_get(jv_copy(rec), jv_string("type"));
		if (strcmp(jv_string_value(type), "balance") == 0) {
			struct eip712_digest d;
			struct buf err = BUF_INIT;
			char coin[ETH_ADDR_STRLEN + 1], want[67];
			eth_address_format(coin, hx->coin);
			jv typed = typed_from(rec, coin);
			CHECK(eip712_hash(&d, typed, &err) == 0);
			want[0] = '0', want[1] = 'x';
			hex_encode(d.digest, 32, want + 2);
			jv got = jv_object_get(jv_copy(rec), jv_string("eip712_digest"));
			CHECK_STREQ(jv_string_value(got), want);
			jv_free(got);
			jv_free(typed);
			buf_free(&err);
			balances++;
		}
		jv_free(type);
		jv_free(rec);
		q = nl + 1;
	}
	CHECK_INTEQ(balances, 3);
	for (size_t j = 0; j < l.n; j++)
		free(l.v[j]);
	free(l.v);
	buf_free(&b);
	buf_free(&out);
}

int main(void)
{
	uint8_t addr[20][20];
	check_rng = 0x2545F4914F6CDD1Dull;
	struct hive_export hx = { .hive = 1, .coin_code = "USDC", .decimals = 6 };
	memcpy(hx.ledger_head, "0x", 3);
	for (int i = 0; i < 20; i++)
		for (int k = 0; k < 20; k++)
			addr[i][k] = (uint8_t)next();
	hx.members = addr;
	hx.nmembers = 20;
	for (int round = 0; round < 1000; round++) {
		/* One draw per statement: the order C leaves unspecified must not change the hives. */
		struct market_params p = { (enum market_rule)(round % 4), { 0, FEE_ON_SURPLUS }, { 0, FEE_ON_SURPLUS } };
		p.platform.bps = (uint32_t)between(0, 3000);
		p.platform.basis = next() % 2 ? FEE_ON_TRADED : FEE_ON_SURPLUS;
		p.owner.bps = (uint32_t)between(0, 3000);
		p.owner.basis = next() % 2 ? FEE_ON_TRADED : FEE_ON_SURPLUS;
		size_t nworkers = (size_t)between(1, 20);
		size_t nslots = (size_t)between(1, 8);
		struct lines l = { 0 };
		struct buf one = BUF_INIT, two = BUF_INIT;
		make_hive(&l, (const uint8_t(*)[20])addr, nworkers, nslots, &p);
		CHECK(settle_lines(&one, &hx, &l, false) == 0);
		CHECK(settle_lines(&two, &hx, &l, true) == 0);
		CHECK(one.len == two.len && memcmp(one.data, two.data, one.len) == 0);
		check_records(&one);
		for (size_t j = 0; j < l.n; j++)
			free(l.v[j]);
		free(l.v);
		buf_free(&one);
		buf_free(&two);
	}
	check_balance_digests(&hx, (const uint8_t(*)[20])addr);
	return check_done("test_settle");
}
