/*
 * test_registry — exact HVT amounts, the hash map, and the Beekeeper's rules
 * under random operation sequences: HVT is conserved after every step, a
 * refused operation changes nothing, and the ledger written replays (with
 * every signature checked) to the same state.
 */
#include <stdlib.h>

#include "amount.h"
#include "check.h"
#include "diag.h"
#include "jcs.h"
#include "keymap.h"
#include "registry.h"
#include "registry_world.h"

static const char *u256_max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
static const char *u256_over = "115792089237316195423570985008687907853269984665640564039457584007913129639936";

static int parses(const char *s, const char *want)
{
	mpz_t v;
	const char *why;
	mpz_init(v);
	int ok = amount_parse(v, s, strlen(s), &why) == 0;
	if (ok && want) {
		struct buf b = BUF_INIT;
		amount_append(&b, v);
		ok = strcmp(b.data, want) == 0;
		buf_free(&b);
	}
	mpz_clear(v);
	return ok;
}

static int units(const char *s, const char *want)
{
	mpz_t v;
	const char *why;
	mpz_init(v);
	int ok = amount_parse_units(v, s, "HVT", 18, &why) == 0;
	if (ok) {
		struct buf b = BUF_INIT;
		amount_append(&b, v);
		ok = want != NULL && strcmp(b.data, want) == 0;
		buf_free(&b);
	} else
		ok = want == NULL;
	mpz_clear(v);
	return ok;
}

static void test_amounts(void)
{
	CHECK(parses("0", "0"));
	CHECK(parses("1200000000000000000000", "1200000000000000000000"));
	CHECK(parses(u256_max, u256_max));
	CHECK(!parses(u256_over, NULL));
	CHECK(!parses("", NULL));
	CHECK(!parses("007", NULL));
	CHECK(!parses("-1", NULL));
	CHECK(!parses("1e3", NULL));
	CHECK(!parses("1.0", NULL));
	CHECK(!parses(" 1", NULL));
	CHECK(units("1000HVT", "1000000000000000000000"));
	CHECK(units("0.5HVT", "500000000000000000"));
	CHECK(units("12.000000000000000001HVT", "12000000000000000001"));
	CHECK(units("42", "42"));
	CHECK(units("0.0000000000000000001HVT", NULL));
	CHECK(units(".5HVT", NULL));
	CHECK(units("1.HVT", NULL));
	CHECK(units("HVT", NULL));
	CHECK(units("1,5HVT", NULL));
	CHECK(units("1000hvt", NULL));

	mpz_t paid, burn, stake;
	mpz_inits(paid, burn, stake, NULL);
	mpz_set_ui(paid, 101);
	amount_burn_and_stake(paid, burn, stake);
	CHECK(mpz_cmp_ui(stake, 50) == 0 && mpz_cmp_ui(burn, 51) == 0);
	mpz_set_str(paid, u256_max, 10);
	amount_burn_and_stake(paid, burn, stake);
	mpz_add(stake, stake, burn);
	CHECK(mpz_cmp(stake, paid) == 0);
	mpz_clears(paid, burn, stake, NULL);
}

static void test_keymap(void)
{
	struct keymap m = KEYMAP_INIT;
	uint32_t v = 0;
	CHECK(!keymap_get(&m, "x", 1, &v));
	for (uint32_t i = 0; i < 20000; i++)
		keymap_put(&m, &i, sizeof i, i * 3);
	int all = 1;
	for (uint32_t i = 0; i < 20000; i++)
		all &= keymap_get(&m, &i, sizeof i, &v) && v == i * 3;
	CHECK(all);
	uint32_t missing = 20000;
	CHECK(!keymap_get(&m, &missing, sizeof missing, &v));
	keymap_put(&m, &missing, sizeof missing, 1);
	keymap_put(&m, &missing, sizeof missing, 2);
	CHECK(keymap_get(&m, &missing, sizeof missing, &v) && v == 2);
	CHECK(m.count == 20001);
	keymap_put(&m, "", 0, 9);   /* an empty key is a key too */
	CHECK(keymap_get(&m, "", 0, &v) && v == 9);
	keymap_free(&m);
}

/* Everything a query shows, as one canonical text: equal texts mean equal states. */
static void state_text(const struct registry *r, struct buf *out)
{
	const char *why;
	jv all = jv_array();
	all = jv_array_append(all, registry_supply_record(r));
	all = jv_array_append(all, registry_params_record(r));
	for (size_t i = 0; i < r->nmeters; i++)
		all = jv_array_append(all, registry_meter_record(r, i));
	for (size_t i = 0; i < r->ncoins; i++)
		all = jv_array_append(all, registry_coin_record(r, i));
	for (size_t i = 0; i < r->nhives; i++)
		all = jv_array_append(all, registry_hive_record(r, i));
	for (size_t i = 0; i < r->naccounts; i++)
		all = jv_array_append(all, registry_account_record(r, r->accounts[i].addr));
	buf_reset(out);
	jcs_append(out, all, NULL, &why);
	jv_free(all);
}

static uint64_t rng = 88172645463325252ull;
static unsigned pick(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static jv meters_jv(const struct world *w, unsigned n, unsigned skip_mask, unsigned *mask)
{
	jv a = jv_array();
	*mask = 0;
	for (unsigned tries = 0; tries < 32 && jv_array_length(jv_copy(a)) < (int)n; tries++) {
		unsigned i = pick(WORLD_METERS);
		if ((*mask | skip_mask) & (1u << i))
			continue;
		*mask |= 1u << i;
		a = jv_array_append(a, jv_string(w->meter[i]));
	}
	return a;
}

static jv random_op(const struct world *w, struct registry *r, int *actor)
{
	unsigned hive = 1 + pick((unsigned)r->nhives + 2), mask, mask2;
	*actor = 1 + (int)pick(2);
	switch (pick(10)) {
	case 0:
		return with(with(world_op("hive_create"), "coin", jv_string(w->coin[pick(2)])), "meters",
		            meters_jv(w, 1 + pick(3), 0, &mask));
	case 1: {
		jv o = with(with(world_op("hive_add_meter"), "hive", jv_number(hive)), "meter",
		            jv_string(w->meter[pick(WORLD_METERS)]));
		return pick(3) ? o : with(o, "hvt", jv_string(pick(2) ? "100000000000000000001" : "99"));
	}
	case 2:
		return with(with(world_op("hive_drop_meter"), "hive", jv_number(hive)), "meter",
		            jv_string(w->meter[pick(WORLD_METERS)]));
	case 3:
		return with(world_op("hive_freeze"), "hive", jv_number(hive));
	case 4: {
		jv parts = jv_array();
		parts = jv_array_append(parts, meters_jv(w, 1 + pick(2), 0, &mask));
		parts = jv_array_append(parts, meters_jv(w, 1 + pick(2), mask, &mask2));
		return with(with(world_op("hive_split"), "hive", jv_number(hive)), "parts", parts);
	}
	case 5:
		return with(world_op("hive_merge"), "hives",
		            jv_array_append(jv_array_append(jv_array(), jv_number(hive)), jv_number(1 + pick((unsigned)r->nhives + 1))));
	case 6:
		*actor = 0;
		return with(with(world_op("meter_status"), "meter", jv_string(w->meter[pick(WORLD_METERS)])), "status",
		            jv_string(pick(4) ? "online" : "revoked"));
	case 7:
		*actor = (int)pick(3);
		return with(with(world_op("hvt_transfer"), "to", jv_string(w->addr[pick(3)])), "amount",
		            jv_string(pick(2) ? "1" : "777000000000000000000"));
	case 8:
		*actor = (int)pick(2);
		return with(world_op("params"), "meter_cost", jv_string(pick(2) ? "3" : "100000000000000000000"));
	default:
		*actor = 0;
		return with(world_op("coin_freeze"), "coin", jv_string(w->coin[pick(2)]));
	}
}

/* Replays the log's lines into r with every signature checked, as verify does: 0, or 1 at the first refusal. */
static int replay(const struct buf *log, struct registry *r)
{
	const char *p = log->data, *end = log->data + log->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct reg_error e;
		if (registry_apply_line(r, p, (size_t)(nl - p), REG_CHECK_SIG, INT64_MAX, &e) != HIVE_OK) {
			printf("replay stops: %s\n", e.msg);
			return 1;
		}
		p = nl + 1;
	}
	return 0;
}

static void test_random_sequences(void)
{
	struct world w;
	struct registry r, again;
	struct buf before = BUF_INIT, after = BUF_INIT;
	registry_init(&r);
	CHECK_INTEQ(world_build(&w, &r), 0);
	CHECK(registry_conserved(&r));
	int accepted = 0, refused = 0, conserved = 1, unchanged = 1;
	for (int step = 0; step < 1500; step++) {
		int actor;
		jv op = random_op(&w, &r, &actor);
		state_text(&r, &before);
		if (world_do(&w, &r, actor, op) == HIVE_OK)
			accepted++;
		else {
			refused++;
			state_text(&r, &after);
			unchanged &= before.len == after.len && memcmp(before.data, after.data, before.len) == 0;
		}
		conserved &= registry_conserved(&r);
	}
	printf("test_registry: %d operations accepted, %d refused\n", accepted, refused);
	CHECK(conserved);
	CHECK(unchanged);
	CHECK(accepted > 150 && refused > 150);

	registry_init(&again);
	CHECK_INTEQ(replay(&w.log, &again), 0);
	state_text(&r, &before);
	state_text(&again, &after);
	CHECK(before.len == after.len && memcmp(before.data, after.data, before.len) == 0);
	CHECK(memcmp(r.head, again.head, 32) == 0);

	/* One changed byte anywhere in a line breaks its signature or its parse. */
	struct buf tampered = BUF_INIT;
	buf_append(&tampered, w.log.data, w.log.len);
	char *victim = strstr(tampered.data, "\"SN-3\"");
	victim[4] = '9';
	struct registry third;
	registry_init(&third);
	CHECK_INTEQ(replay(&tampered, &third) > 0, 1);
	buf_free(&tampered);

	registry_free(&third);
	registry_free(&again);
	registry_free(&r);
	buf_free(&w.log);
	buf_free(&before);
	buf_free(&after);
}

static void test_stop_and_derived(void)
{
	struct world w;
	struct registry r, at;
	struct reg_error e;
	registry_init(&r);
	CHECK_INTEQ(world_build(&w, &r), 0);
	uint64_t seq = r.seq;
	/* An event later than stop_ms is not applied. */
	registry_init(&at);
	const char *p = w.log.data;
	const char *nl = strchr(p, '\n');
	CHECK_INTEQ(registry_apply_line(&at, p, (size_t)(nl - p), 0, WORLD_T0 - 1, &e), REG_STOPPED);
	CHECK_INTEQ(at.seq, 0);
	/* A derived field that disagrees with the rules is refused. */
	jv op = with(with(world_op("hive_create"), "coin", jv_string(w.coin[0])), "meters",
	             jv_array_append(jv_array(), jv_string(w.meter[0])));
	CHECK_INTEQ(world_do(&w, &r, 1, op), HIVE_OK);
	const char *last = w.log.data + w.log.len - 1;
	while (last > w.log.data && last[-1] != '\n')
		last--;
	size_t last_len = (size_t)(w.log.data + w.log.len - 1 - last);
	/* Replay all but the last event, then offer it re-signed with a burn the rules do not give. */
	registry_free(&r);
	registry_init(&r);
	struct buf head = BUF_INIT, forged = BUF_INIT;
	buf_append(&head, w.log.data, (size_t)(last - w.log.data));
	CHECK_INTEQ(replay(&head, &r), 0);
	CHECK_INTEQ(r.seq, seq);
	jv ev = jv_parse_sized(last, (int)last_len);
	ev = jv_object_set(jv_object_delete(ev, jv_string("sig")), jv_string("burn"), jv_string("1"));
	const char *why;
	CHECK_INTEQ(recsig_sign(&r.rs, &forged, ev, w.key[1], &why), 0);
	CHECK_INTEQ(registry_apply_line(&r, forged.data, forged.len, REG_CHECK_SIG, INT64_MAX, &e), HIVE_ERULE);
	CHECK(strstr(e.msg, "field 'burn' should be") != NULL);
	/* The true event still applies after the refusal. */
	CHECK_INTEQ(registry_apply_line(&r, last, last_len, REG_CHECK_SIG, INT64_MAX, &e), HIVE_OK);
	CHECK_INTEQ(r.seq, seq + 1);
	jv_free(ev);
	buf_free(&head);
	buf_free(&forged);
	registry_free(&r);
	registry_free(&at);
	buf_free(&w.log);
}

int main(void)
{
	test_amounts();
	test_keymap();
	test_random_sequences();
	test_stop_and_derived();
	return check_done("test_registry");
}
