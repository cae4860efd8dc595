/*
 * market.c — one slot of the non-flexible market, in exact integers (see market.h).
 */
#include <stdlib.h>
#include <string.h>

#include "amount.h"
#include "diag.h"
#include "market.h"

static const char *const rule_names[] = { "discount", "mid-market", "sdr", "bill-sharing" };

int market_rule_parse(const char *name, enum market_rule *rule)
{
	for (int i = RULE_DISCOUNT; i <= RULE_BILL_SHARING; i++)
		if (strcmp(name, rule_names[i]) == 0) {
			*rule = (enum market_rule)i;
			return 0;
		}
	return -1;
}

const char *market_rule_name(enum market_rule rule)
{
	return rule_names[rule];
}

const char *market_fee_basis_name(enum fee_basis basis)
{
	return basis == FEE_ON_TRADED ? "traded" : "surplus";
}

int market_fee_basis_parse(const char *name, enum fee_basis *basis)
{
	if (strcmp(name, "surplus") == 0)
		*basis = FEE_ON_SURPLUS;
	else if (strcmp(name, "traded") == 0)
		*basis = FEE_ON_TRADED;
	else
		return -1;
	return 0;
}

/* ------------------------------------------------------------ apportion */

/* out = a·x for a 64-bit x. */
static void mul_i64(mpz_t out, const mpz_t a, int64_t x)
{
	mpz_t t;
	mpz_init(t);
	amount_set_i64(t, x);
	mpz_mul(out, a, t);
	mpz_clear(t);
}

static void q_set_i64(mpq_t q, int64_t x)
{
	amount_set_i64(mpq_numref(q), x);
	mpz_set_ui(mpq_denref(q), 1);
}


struct remainder {
	size_t index;
	mpq_t frac;              /* in [0, 1) */
};

static int by_remainder(const void *a, const void *b)
{
	const struct remainder *x = a, *y = b;
	int c = mpq_cmp(y->frac, x->frac);   /* largest first */
	if (c != 0)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * Floors each exact[i] into out[i] and gives one more unit to the
 * `exact sum − floor sum` entries with the largest fractional parts (ties to
 * the lower index), only ever to entries with a fractional part.
 */
static void round_by_largest_remainder(mpz_t *out, mpq_t *exact, size_t n)
{
	struct remainder *rem = xcalloc(n ? n : 1, sizeof *rem);
	mpz_t left, fl;
	mpz_inits(left, fl, NULL);
	size_t nfrac = 0;
	mpq_t sum;
	mpq_init(sum);
	for (size_t i = 0; i < n; i++) {
		mpz_fdiv_q(out[i], mpq_numref(exact[i]), mpq_denref(exact[i]));
		mpq_add(sum, sum, exact[i]);
		mpz_add(fl, fl, out[i]);
		mpq_t f;
		mpq_init(f);
		mpq_set_z(f, out[i]);
		mpq_sub(f, exact[i], f);
		if (mpq_sgn(f) > 0) {
			rem[nfrac].index = i;
			mpq_init(rem[nfrac].frac);
			mpq_swap(rem[nfrac].frac, f);
			nfrac++;
		}
		mpq_clear(f);
	}
	/* The exact parts sum to an integer here, so the units left are fewer than the fractional parts. */
	HIVE_ASSERT(mpz_cmp_ui(mpq_denref(sum), 1) == 0);
	mpz_sub(left, mpq_numref(sum), fl);
	HIVE_ASSERT(mpz_sgn(left) >= 0 && mpz_cmp_ui(left, nfrac) <= 0);
	qsort(rem, nfrac, sizeof *rem, by_remainder);
	for (size_t k = 0; k < mpz_get_ui(left); k++)
		mpz_add_ui(out[rem[k].index], out[rem[k].index], 1);
	for (size_t k = 0; k < nfrac; k++)
		mpq_clear(rem[k].frac);
	free(rem);
	mpq_clear(sum);
	mpz_clears(left, fl, NULL);
}

void market_apportion(int64_t *parts, const int64_t *weights, size_t n, int64_t total)
{
	mpz_t *out = xcalloc(n ? n : 1, sizeof *out);
	mpq_t *exact = xcalloc(n ? n : 1, sizeof *exact);
	mpz_t w;
	mpz_init(w);
	mpz_t x;
	mpz_init(x);
	for (size_t i = 0; i < n; i++) {
		HIVE_ASSERT(weights[i] >= 0);
		amount_set_i64(x, weights[i]);
		mpz_add(w, w, x);
	}
	mpz_clear(x);
	HIVE_ASSERT(n == 0 || total == 0 || mpz_sgn(w) > 0);
	for (size_t i = 0; i < n; i++) {
		mpz_init(out[i]);
		mpq_init(exact[i]);
		if (mpz_sgn(w) > 0) {
			amount_set_i64(mpq_numref(exact[i]), weights[i]);
			mul_i64(mpq_numref(exact[i]), mpq_numref(exact[i]), total);
			mpz_set(mpq_denref(exact[i]), w);
			mpq_canonicalize(exact[i]);
		}
	}
	round_by_largest_remainder(out, exact, n);
	for (size_t i = 0; i < n; i++) {
		HIVE_ASSERT(mpz_cmp_si(out[i], 0) >= 0 && mpz_sizeinbase(out[i], 2) <= 63);
		int64_t v = 0;
		mpz_export(&v, NULL, 1, sizeof v, 0, 0, out[i]);
		parts[i] = v;
		mpz_clear(out[i]);
		mpq_clear(exact[i]);
	}
	mpz_clear(w);
	free(out);
	free(exact);
}

/* ---------------------------------------------------------------- rules */

/* π for the rule, given D, G > 0 (base units per kWh). */
static void rule_price(mpq_t pi, enum market_rule rule, const mpz_t pb, const mpz_t ps, int64_t d, int64_t g)
{
	mpq_t a, b;
	mpq_inits(a, b, NULL);
	switch (rule) {
	case RULE_DISCOUNT:
		/* (p_s·D + p_b·G) / (D + G) */
		mul_i64(mpq_numref(pi), ps, d);
		mul_i64(mpq_numref(a), pb, g);
		mpz_add(mpq_numref(pi), mpq_numref(pi), mpq_numref(a));
		amount_set_i64(mpq_denref(pi), d + g);
		mpq_canonicalize(pi);
		break;
	case RULE_MIDMARKET:
		mpz_add(mpq_numref(pi), pb, ps);
		mpz_set_ui(mpq_denref(pi), 2);
		mpq_canonicalize(pi);
		break;
	case RULE_SDR:
		if (g >= d) {
			mpq_set_z(pi, ps);
			break;
		}
		/* p_b·p_s / ((p_b − p_s)·G/D + p_s) = p_b·p_s·D / ((p_b − p_s)·G + p_s·D) */
		mpz_mul(mpq_numref(a), pb, ps);
		mul_i64(mpq_numref(a), mpq_numref(a), d);
		mpz_sub(mpq_numref(b), pb, ps);
		mul_i64(mpq_numref(b), mpq_numref(b), g);
		mul_i64(mpq_denref(b), ps, d);   /* a scratch integer here */
		mpz_add(mpq_numref(b), mpq_numref(b), mpq_denref(b));
		mpz_set_ui(mpq_denref(b), 1);
		if (mpz_sgn(mpq_numref(b)) == 0)
			mpq_set_ui(pi, 0, 1);   /* p_b = p_s = 0 */
		else {
			mpz_set(mpq_numref(pi), mpq_numref(a));
			mpz_set(mpq_denref(pi), mpq_numref(b));
			mpq_canonicalize(pi);
		}
		break;
	case RULE_BILL_SHARING:
		mpq_set_z(pi, ps);
		break;
	}
	mpq_clears(a, b, NULL);
}

/* floor(bps/10000 · base) for a fee, base in mbu. */
static void fee_amount(mpz_t out, const struct market_fee *fee, const mpz_t surplus, const mpq_t traded)
{
	mpq_t v;
	mpq_init(v);
	if (fee->basis == FEE_ON_SURPLUS)
		mpq_set_z(v, surplus);
	else
		mpq_set(v, traded);
	mpz_mul_ui(mpq_numref(v), mpq_numref(v), fee->bps);
	mpz_mul_ui(mpq_denref(v), mpq_denref(v), 10000);
	mpq_canonicalize(v);
	mpz_fdiv_q(out, mpq_numref(v), mpq_denref(v));
	mpq_clear(v);
}

static void result_init(struct slot_result *r, size_t n)
{
	memset(r, 0, sizeof *r);
	r->n = n;
	r->w = xcalloc(n ? n : 1, sizeof *r->w);
	for (size_t i = 0; i < n; i++)
		mpz_inits(r->w[i].standalone, r->w[i].payment, r->w[i].saving, NULL);
	mpz_inits(r->hive_cost, r->surplus, r->platform_fee, r->owner_fee, NULL);
	mpq_init(r->price);
}

void market_result_free(struct slot_result *r)
{
	for (size_t i = 0; i < r->n; i++)
		mpz_clears(r->w[i].standalone, r->w[i].payment, r->w[i].saving, NULL);
	free(r->w);
	mpz_clears(r->hive_cost, r->surplus, r->platform_fee, r->owner_fee, NULL);
	mpq_clear(r->price);
	r->w = NULL;
	r->n = 0;
}

/* D, G and the energy split: the shared M apportioned over consumers and over producers. */
static int energy_totals(struct slot_result *r, const int64_t *e, size_t n)
{
	int64_t d = 0, g = 0;
	for (size_t i = 0; i < n; i++) {
		if (e[i] == INT64_MIN)
			return -1;
		if (e[i] > 0 ? __builtin_add_overflow(d, e[i], &d) : __builtin_add_overflow(g, -e[i], &g))
			return -1;
	}
	r->demand = d;
	r->generation = g;
	r->shared = d < g ? d : g;
	int64_t *wc = xcalloc(n ? n : 1, sizeof *wc), *wp = xcalloc(n ? n : 1, sizeof *wp);
	int64_t *pc = xcalloc(n ? n : 1, sizeof *pc), *pp = xcalloc(n ? n : 1, sizeof *pp);
	for (size_t i = 0; i < n; i++) {
		wc[i] = e[i] > 0 ? e[i] : 0;
		wp[i] = e[i] < 0 ? -e[i] : 0;
	}
	market_apportion(pc, wc, n, d > 0 ? r->shared : 0);
	market_apportion(pp, wp, n, g > 0 ? r->shared : 0);
	for (size_t i = 0; i < n; i++) {
		r->w[i].from_community = pc[i];
		r->w[i].from_grid = wc[i] - pc[i];
		r->w[i].to_community = pp[i];
		r->w[i].to_grid = wp[i] - pp[i];
	}
	free(wc);
	free(wp);
	free(pc);
	free(pp);
	return 0;
}

int market_clear_slot(struct slot_result *r, const int64_t *e, size_t n, const mpz_t buy, const mpz_t sell,
                      const struct market_params *params)
{
	result_init(r, n);
	if (mpz_sgn(sell) < 0 || mpz_cmp(buy, sell) < 0 || energy_totals(r, e, n) != 0) {
		market_result_free(r);
		return -1;
	}
	int64_t d = r->demand, g = r->generation;
	/* Stand-alone costs and the hive's cost at the point of common coupling. */
	mpz_t sum;
	mpz_init(sum);
	for (size_t i = 0; i < n; i++) {
		mul_i64(r->w[i].standalone, e[i] >= 0 ? buy : sell, e[i]);
		mpz_add(sum, sum, r->w[i].standalone);
	}
	mul_i64(r->hive_cost, d >= g ? buy : sell, d - g);
	mpz_sub(r->surplus, sum, r->hive_cost);
	mpz_clear(sum);
	HIVE_ASSERT(mpz_sgn(r->surplus) >= 0);

	if (r->shared == 0 || mpz_sgn(r->surplus) == 0) {
		/* Nothing shared, or nothing to gain (p_b = p_s): everyone pays stand-alone. */
		if (r->shared > 0)
			rule_price(r->price, params->rule, buy, sell, d, g);
		for (size_t i = 0; i < n; i++)
			mpz_set(r->w[i].payment, r->w[i].standalone);
		return 0;
	}

	rule_price(r->price, params->rule, buy, sell, d, g);
	/* The consumers' and producers' rates in base units per kWh. */
	mpq_t rate_buy, rate_sell, t;
	mpq_inits(rate_buy, rate_sell, t, NULL);
	if (d >= g) {
		mpq_set(rate_sell, r->price);
		/* (π·G + p_b·(D − G)) / D */
		q_set_i64(t, g);
		mpq_mul(rate_buy, r->price, t);
		mpq_set_z(t, buy);
		mul_i64(mpq_numref(t), mpq_numref(t), d - g);
		mpq_add(rate_buy, rate_buy, t);
		q_set_i64(t, d);
		mpq_div(rate_buy, rate_buy, t);
	} else {
		mpq_set(rate_buy, r->price);
		q_set_i64(t, d);
		mpq_mul(rate_sell, r->price, t);
		mpq_set_z(t, sell);
		mul_i64(mpq_numref(t), mpq_numref(t), g - d);
		mpq_add(rate_sell, rate_sell, t);
		q_set_i64(t, g);
		mpq_div(rate_sell, rate_sell, t);
	}

	/* Fees out of the surplus, capped at it (the platform's first). */
	mpq_t traded;
	mpq_init(traded);
	q_set_i64(t, r->shared);
	mpq_mul(traded, r->price, t);
	fee_amount(r->platform_fee, &params->platform, r->surplus, traded);
	fee_amount(r->owner_fee, &params->owner, r->surplus, traded);
	mpq_clear(traded);
	if (mpz_cmp(r->platform_fee, r->surplus) > 0) {
		mpz_set(r->platform_fee, r->surplus);
		r->fee_capped = 1;
	}
	mpz_t room;
	mpz_init(room);
	mpz_sub(room, r->surplus, r->platform_fee);
	if (mpz_cmp(r->owner_fee, room) > 0) {
		mpz_set(r->owner_fee, room);
		r->fee_capped = 1;
	}
	mpz_sub(room, room, r->owner_fee);   /* what the Workers share: S − F */

	/* Each saving under the rule, scaled by (S − F)/S, then rounded to whole mbu. */
	mpq_t *exact = xcalloc(n ? n : 1, sizeof *exact);
	mpz_t *saving = xcalloc(n ? n : 1, sizeof *saving);
	mpq_t scale;
	mpq_init(scale);
	mpz_set(mpq_numref(scale), room);
	mpz_set(mpq_denref(scale), r->surplus);
	mpq_canonicalize(scale);
	for (size_t i = 0; i < n; i++) {
		mpq_init(exact[i]);
		mpz_init(saving[i]);
		q_set_i64(t, e[i]);
		mpq_mul(t, e[i] >= 0 ? rate_buy : rate_sell, t);   /* x_i under the rule */
		mpq_set_z(exact[i], r->w[i].standalone);
		mpq_sub(exact[i], exact[i], t);
		HIVE_ASSERT(mpq_sgn(exact[i]) >= 0);   /* p_s ≤ π ≤ p_b */
		mpq_mul(exact[i], exact[i], scale);
	}
	round_by_largest_remainder(saving, exact, n);
	for (size_t i = 0; i < n; i++) {
		mpz_set(r->w[i].saving, saving[i]);
		mpz_sub(r->w[i].payment, r->w[i].standalone, saving[i]);
		mpq_clear(exact[i]);
		mpz_clear(saving[i]);
	}
	free(exact);
	free(saving);
	mpz_clear(room);
	mpq_clears(rate_buy, rate_sell, t, scale, NULL);
	return 0;
}
