/*
 * amount.c — exact token amounts in base units (see amount.h).
 */
#include <string.h>

#include "amount.h"
#include "diag.h"

int amount_fits(const mpz_t v)
{
	return mpz_sgn(v) >= 0 && mpz_sizeinbase(v, 2) <= 256;
}

/* Digits in s[0..len) into out; the caller has checked they are digits. */
static void set_digits(mpz_t out, const char *s, size_t len)
{
	char tmp[AMOUNT_MAX_DIGITS + 2];
	HIVE_ASSERT(len <= AMOUNT_MAX_DIGITS + 1);
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	HIVE_ASSERT(mpz_set_str(out, tmp, 10) == 0);
}

static int all_digits(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int amount_parse(mpz_t out, const char *s, size_t len, const char **why)
{
	if (len == 0) {
		*why = "amount is empty";
		return -1;
	}
	if (!all_digits(s, len)) {
		*why = "amount is not a decimal string of base units (digits only)";
		return -1;
	}
	if (len > 1 && s[0] == '0') {
		*why = "amount has a leading zero";
		return -1;
	}
	if (len > AMOUNT_MAX_DIGITS) {
		*why = "amount is 2^256 or more";
		return -1;
	}
	set_digits(out, s, len);
	if (!amount_fits(out)) {
		*why = "amount is 2^256 or more";
		return -1;
	}
	return 0;
}

int amount_parse_units(mpz_t out, const char *s, const char *unit, unsigned decimals, const char **why)
{
	size_t len = strlen(s), ulen = strlen(unit);
	if (len <= ulen || strcmp(s + len - ulen, unit) != 0)
		return amount_parse(out, s, len, why);

	/* Whole tokens: "INT[.FRAC]UNIT". */
	len -= ulen;
	const char *dot = memchr(s, '.', len);
	size_t int_len = dot ? (size_t)(dot - s) : len;
	size_t frac_len = dot ? len - int_len - 1 : 0;
	if (int_len == 0 || !all_digits(s, int_len) || (dot && (frac_len == 0 || !all_digits(dot + 1, frac_len)))) {
		*why = "amount is not a number of tokens such as 1000 or 0.25 before the unit";
		return -1;
	}
	if (frac_len > decimals) {
		*why = "amount has more digits after the point than the token has decimals";
		return -1;
	}
	if (int_len > AMOUNT_MAX_DIGITS) {
		*why = "amount is 2^256 or more";
		return -1;
	}
	mpz_t frac;
	mpz_init(frac);
	set_digits(out, s, int_len);
	mpz_t scale;
	mpz_init(scale);
	mpz_ui_pow_ui(scale, 10, decimals);
	mpz_mul(out, out, scale);
	if (frac_len > 0) {
		set_digits(frac, dot + 1, frac_len);
		mpz_ui_pow_ui(scale, 10, decimals - frac_len);
		mpz_addmul(out, frac, scale);
	}
	mpz_clear(scale);
	mpz_clear(frac);
	if (!amount_fits(out)) {
		*why = "amount is 2^256 or more";
		return -1;
	}
	return 0;
}

void amount_append(struct buf *b, const mpz_t v)
{
	HIVE_ASSERT(mpz_sgn(v) >= 0);
	size_t n = mpz_sizeinbase(v, 10) + 2;
	buf_reserve(b, n);
	mpz_get_str(b->data + b->len, 10, v);
	b->len += strlen(b->data + b->len);
}

jv amount_jv(const mpz_t v)
{
	struct buf b = BUF_INIT;
	amount_append(&b, v);
	jv s = jv_string_sized(b.data, (int)b.len);
	buf_free(&b);
	return s;
}

void amount_burn_and_stake(const mpz_t paid, mpz_t burn, mpz_t stake)
{
	mpz_fdiv_q_2exp(stake, paid, 1);
	mpz_sub(burn, paid, stake);
}

void amount_set_i64(mpz_t v, int64_t x)
{
	uint64_t m = x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;
	mpz_import(v, 1, 1, sizeof m, 0, 0, &m);
	if (x < 0)
		mpz_neg(v, v);
}
