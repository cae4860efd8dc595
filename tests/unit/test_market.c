/*
 * test_market — one slot of the non-flexible market: the known answers of
 * ../shared/MARKET.md for every rule, and properties over thousands of
 * random hives and tariffs: S ≥ 0, no Worker above stand-alone, exact
 * conservation with fees, energy splits that add up, determinism.
 */
#include <stdlib.h>

#include "check.h"
#include "market.h"

/* MARKET.md's prices: 0.25 and 0.08 per kWh of a 6-decimal token, in base units per kWh. */
#define PB 250000
#define PS 80000

/* |payment − tokens·1e9 mbu| within half a millionth of a token (the table's rounding). */
static int near(const mpz_t payment_mbu, double tokens)
{
	double got = mpz_get_d(payment_mbu) / 1e9;
	double diff = got - tokens;
	return diff < 5.1e-7 && diff > -5.1e-7;
}

static struct market_params rule_only(enum market_rule rule)
{
	struct market_params p = { rule, { 0, FEE_ON_SURPLUS }, { 0, FEE_ON_SURPLUS } };
	return p;
}

static void known(const int64_t *e, enum market_rule rule, double a, double b, double c)
{
	struct slot_result r;
	mpz_t pb, ps;
	mpz_init_set_ui(pb, PB);
	mpz_init_set_ui(ps, PS);
	struct market_params p = rule_only(rule);
	CHECK_INTEQ(market_clear_slot(&r, e, 3, pb, ps, &p), 0);
	CHECK(near(r.w[0].payment, a));
	CHECK(near(r.w[1].payment, b));
	CHECK(near(r.w[2].payment, c));
	if (!near(r.w[0].payment, a) || !near(r.w[1].payment, b) || !near(r.w[2].payment, c))
		printf("  rule %s: %.9f %.9f %.9f\n", market_rule_name(rule), mpz_get_d(r.w[0].payment) / 1e9,
		       mpz_get_d(r.w[1].payment) / 1e9, mpz_get_d(r.w[2].payment) / 1e9);
	market_result_free(&r);
	mpz_clears(pb, ps, NULL);
}

static void test_known_answers(void)
{
	/* Deficit slot: A +2 kWh, B +1 kWh, C −1.5 kWh. */
	const int64_t deficit[] = { 2000, 1000, -1500 };
	known(deficit, RULE_DISCOUNT, 0.386667, 0.193333, -0.205);
	known(deficit, RULE_MIDMARKET, 0.415, 0.2075, -0.2475);
	known(deficit, RULE_SDR, 0.371212, 0.185606, -0.181818);
	known(deficit, RULE_BILL_SHARING, 0.330, 0.165, -0.120);
	/* Surplus slot: 0.5, −1.0, −1.5 kWh. */
	const int64_t surplus[] = { 500, -1000, -1500 };
	known(surplus, RULE_DISCOUNT, 0.110833, -0.108333, -0.1625);
	known(surplus, RULE_MIDMARKET, 0.0825, -0.097, -0.1455);
	known(surplus, RULE_SDR, 0.04, -0.08, -0.12);
	known(surplus, RULE_BILL_SHARING, 0.04, -0.08, -0.12);

	/* The deficit slot exactly: hive cost, surplus, and the unit the rounding hands out. */
	struct slot_result r;
	mpz_t pb, ps;
	mpz_init_set_ui(pb, PB);
	mpz_init_set_ui(ps, PS);
	struct market_params p = rule_only(RULE_DISCOUNT);
	market_clear_slot(&r, deficit, 3, pb, ps, &p);
	CHECK(mpz_cmp_ui(r.hive_cost, 375000000) == 0);
	CHECK(mpz_cmp_ui(r.surplus, 255000000) == 0);
	CHECK(mpz_cmp_ui(r.w[0].payment, 386666667) == 0);   /* saving 113,333,333.33 floored */
	CHECK(mpz_cmp_ui(r.w[1].payment, 193333333) == 0);   /* 56,666,666.67: the leftover unit */
	CHECK(mpz_cmp_si(r.w[2].payment, -205000000) == 0);
	CHECK(r.demand == 3000 && r.generation == 1500 && r.shared == 1500);
	CHECK(r.w[0].from_community == 1000 && r.w[0].from_grid == 1000);
	CHECK(r.w[1].from_community == 500 && r.w[1].from_grid == 500);
	CHECK(r.w[2].to_community == 1500 && r.w[2].to_grid == 0);
	market_result_free(&r);

	/* Fees: 10 % of S to the platform and 5 % of the traded value to the owner. */
	p.platform = (struct market_fee){ 1000, FEE_ON_SURPLUS };
	p.owner = (struct market_fee){ 500, FEE_ON_TRADED };
	market_clear_slot(&r, deficit, 3, pb, ps, &p);
	CHECK(mpz_cmp_ui(r.platform_fee, 25500000) == 0);
	/* π = 136,666.67 per kWh × 1.5 kWh = 205,000,000 mbu; 5 % = 10,250,000. */
	CHECK(mpz_cmp_ui(r.owner_fee, 10250000) == 0);
	mpz_t sum;
	mpz_init(sum);
	for (size_t i = 0; i < 3; i++)
		mpz_add(sum, sum, r.w[i].payment);
	mpz_sub(sum, sum, r.hive_cost);
	mpz_sub(sum, sum, r.platform_fee);
	mpz_sub(sum, sum, r.owner_fee);
	CHECK(mpz_sgn(sum) == 0);
	market_result_free(&r);
	/* A fee above the surplus is capped at it: the Workers pay stand-alone. */
	p.platform = (struct market_fee){ 10000, FEE_ON_SURPLUS };
	market_clear_slot(&r, deficit, 3, pb, ps, &p);
	CHECK(r.fee_capped);
	CHECK(mpz_cmp(r.w[0].payment, r.w[0].standalone) == 0 && mpz_sgn(r.owner_fee) == 0);
	market_result_free(&r);

	/* Consumers only, producers only, p_b = p_s: nothing to share, everyone stand-alone. */
	p = rule_only(RULE_DISCOUNT);
	const int64_t consumers[] = { 100, 200, 0 }, producers[] = { -100, -1, -7 };
	market_clear_slot(&r, consumers, 3, pb, ps, &p);
	CHECK(mpz_sgn(r.surplus) == 0 && r.shared == 0 && mpz_cmp(r.w[1].payment, r.w[1].standalone) == 0);
	market_result_free(&r);
	market_clear_slot(&r, producers, 3, pb, ps, &p);
	CHECK(mpz_sgn(r.surplus) == 0 && mpz_cmp_si(r.hive_cost, -108 * PS) == 0);
	market_result_free(&r);
	market_clear_slot(&r, deficit, 3, pb, pb, &p);
	CHECK(mpz_sgn(r.surplus) == 0 && mpz_cmp(r.w[2].payment, r.w[2].standalone) == 0);
	market_result_free(&r);
	/* A balanced slot: the hive pays nothing. */
	const int64_t balanced[] = { 700, -300, -400 };
	market_clear_slot(&r, balanced, 3, pb, ps, &p);
	CHECK(mpz_sgn(r.hive_cost) == 0);
	mpz_set_ui(sum, 0);
	for (size_t i = 0; i < 3; i++)
		mpz_add(sum, sum, r.w[i].payment);
	CHECK(mpz_sgn(sum) == 0);
	market_result_free(&r);
	/* Refusals. */
	CHECK(market_clear_slot(&r, deficit, 3, ps, pb, &p) == -1);
	const int64_t absurd[] = { INT64_MIN };
	CHECK(market_clear_slot(&r, absurd, 1, pb, ps, &p) == -1);
	mpz_clears(pb, ps, sum, NULL);
	enum market_rule rule;
	CHECK(market_rule_parse("sdr", &rule) == 0 && rule == RULE_SDR);
	CHECK(market_rule_parse("bill-sharing-as-published", &rule) == -1);
}

#define next check_next
#define between check_between

static void test_properties(void)
{
	int ok_s = 1, ok_ir = 1, ok_sum = 1, ok_energy = 1, ok_price = 1, ok_same = 1;
	int64_t e[40];
	for (int round = 0; round < 4000; round++) {
		size_t n = (size_t)between(1, 40);
		for (size_t i = 0; i < n; i++)
			e[i] = next() % 5 == 0 ? 0 : between(-6000, 6000);
		mpz_t pb, ps;
		mpz_init_set_ui(pb, (unsigned long)between(0, 500000));
		mpz_init_set_ui(ps, (unsigned long)between(0, 3) == 0 ? mpz_get_ui(pb) : (unsigned long)between(0, (int64_t)mpz_get_ui(pb)));
		/* One draw per statement: C leaves the order within an initializer unspecified. */
		struct market_params p;
		p.rule = (enum market_rule)between(0, 3);
		p.platform.bps = (uint32_t)between(0, 3000);
		p.platform.basis = (enum fee_basis)between(0, 1);
		p.owner.bps = (uint32_t)between(0, 12000) % 10001;
		p.owner.basis = (enum fee_basis)between(0, 1);
		struct slot_result r, again;
		if (market_clear_slot(&r, e, n, pb, ps, &p) != 0) {
			ok_sum = 0;
			continue;
		}
		market_clear_slot(&again, e, n, pb, ps, &p);
		mpz_t sum;
		mpz_init(sum);
		int64_t fc = 0, tc = 0;
		ok_s &= mpz_sgn(r.surplus) >= 0;
		for (size_t i = 0; i < n; i++) {
			const struct worker_result *w = &r.w[i];
			ok_ir &= mpz_cmp(w->payment, w->standalone) <= 0 && mpz_sgn(w->saving) >= 0;
			mpz_add(sum, sum, w->payment);
			ok_energy &= w->from_community + w->from_grid - w->to_community - w->to_grid == e[i];
			ok_energy &= w->from_community >= 0 && w->from_grid >= 0 && w->to_community >= 0 && w->to_grid >= 0;
			fc += w->from_community;
			tc += w->to_community;
			ok_same &= mpz_cmp(w->payment, again.w[i].payment) == 0;
		}
		mpz_sub(sum, sum, r.hive_cost);
		mpz_sub(sum, sum, r.platform_fee);
		mpz_sub(sum, sum, r.owner_fee);
		ok_sum &= mpz_sgn(sum) == 0;
		ok_energy &= fc == r.shared && tc == r.shared;
		if (r.shared > 0) {
			mpq_t lo, hi;
			mpq_inits(lo, hi, NULL);
			mpq_set_z(lo, ps);
			mpq_set_z(hi, pb);
			ok_price &= mpq_cmp(r.price, lo) >= 0 && mpq_cmp(r.price, hi) <= 0;
			mpq_clears(lo, hi, NULL);
		}
		market_result_free(&r);
		market_result_free(&again);
		mpz_clears(pb, ps, sum, NULL);
	}
	CHECK(ok_s);
	CHECK(ok_ir);
	CHECK(ok_sum);
	CHECK(ok_energy);
	CHECK(ok_price);
	CHECK(ok_same);
}

static void test_apportion(void)
{
	int64_t parts[4];
	const int64_t w[] = { 1, 1, 1, 0 };
	market_apportion(parts, w, 4, 2);
	CHECK(parts[0] == 1 && parts[1] == 1 && parts[2] == 0 && parts[3] == 0);   /* ties to the lower index */
	const int64_t big[] = { INT64_MAX / 4, INT64_MAX / 4, 1 };
	int64_t p3[3];
	market_apportion(p3, big, 3, INT64_MAX / 4);
	CHECK(p3[0] + p3[1] + p3[2] == INT64_MAX / 4 && p3[2] <= 1 && p3[0] >= p3[1]);
}

int main(void)
{
	test_known_answers();
	test_properties();
	test_apportion();
	return check_done("test_market");
}
