#include "reading.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"

void reading_clear(struct reading *r)
{
	memset(r, 0, sizeof *r);
}

void decimal_set(struct decimal *d, int64_t digits, int exp)
{
	d->digits = digits;
	d->exp = (int8_t)exp;
	d->set = true;
}

int decimal_parse(struct decimal *d, const char *text, size_t len)
{
	size_t i = 0;
	bool negative = false, point = false, any = false;
	int64_t v = 0;
	int exp = 0;

	if (i < len && (text[i] == '-' || text[i] == '+'))
		negative = text[i++] == '-';
	for (; i < len; i++) {
		char c = text[i];
		if (c == '.' && !point) {
			point = true;
			continue;
		}
		if (c < '0' || c > '9')
			return -1;
		if (v > (INT64_MAX - (c - '0')) / 10)
			return -1;
		v = v * 10 + (c - '0');
		any = true;
		if (point)
			exp--;
	}
	if (!any)
		return -1;
	decimal_set(d, negative ? -v : v, exp);
	return 0;
}

int decimal_scale(struct decimal *d, int k)
{
	int exp = d->exp + k;

	/* Keep the exponent at or below zero by folding it into the digits. */
	while (exp > 0) {
		if (d->digits > INT64_MAX / 10 || d->digits < INT64_MIN / 10)
			return -1;
		d->digits *= 10;
		exp--;
	}
	if (exp < -18)
		return -1;
	d->exp = (int8_t)exp;
	return 0;
}

static int align(struct decimal *d, int exp)
{
	while (d->exp > exp) {
		if (d->digits > INT64_MAX / 10 || d->digits < INT64_MIN / 10)
			return -1;
		d->digits *= 10;
		d->exp--;
	}
	return 0;
}

int decimal_add(struct decimal *out, const struct decimal *a, const struct decimal *b)
{
	struct decimal x = *a, y = *b;
	int exp = x.exp < y.exp ? x.exp : y.exp;

	if (align(&x, exp) < 0 || align(&y, exp) < 0)
		return -1;
	if ((y.digits > 0 && x.digits > INT64_MAX - y.digits) || (y.digits < 0 && x.digits < INT64_MIN - y.digits))
		return -1;
	decimal_set(out, x.digits + y.digits, exp);
	return 0;
}

int decimal_to_int(int64_t *out, const struct decimal *d)
{
	int64_t v = d->digits;

	for (int e = d->exp; e < 0; e++) {
		if (v % 10 != 0)
			return -1;
		v /= 10;
	}
	for (int e = d->exp; e > 0; e--) {
		if (v > INT64_MAX / 10 || v < INT64_MIN / 10)
			return -1;
		v *= 10;
	}
	*out = v;
	return 0;
}

void decimal_format(struct buf *out, const struct decimal *d)
{
	char digits[32];
	uint64_t mag = d->digits < 0 ? (uint64_t)0 - (uint64_t)d->digits : (uint64_t)d->digits;
	int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)mag);
	int frac = d->exp < 0 ? -d->exp : 0;

	if (mag == 0) {
		buf_putc(out, '0');
		return;
	}
	if (d->digits < 0)
		buf_putc(out, '-');
	if (d->exp > 0) {
		buf_append(out, digits, (size_t)n);
		for (int e = 0; e < d->exp; e++)
			buf_putc(out, '0');
		return;
	}
	/* Drop trailing zeros of the fraction: 0230.0 V is written 230. */
	while (frac > 0 && n > 1 && digits[n - 1] == '0') {
		n--;
		frac--;
	}
	if (frac == 0) {
		buf_append(out, digits, (size_t)n);
		return;
	}
	if (n <= frac) {
		buf_puts(out, "0.");
		for (int k = n; k < frac; k++)
			buf_putc(out, '0');
		buf_append(out, digits, (size_t)n);
		return;
	}
	buf_append(out, digits, (size_t)(n - frac));
	buf_putc(out, '.');
	buf_append(out, digits + n - frac, (size_t)frac);
}

void decimal_split_signed(struct decimal *import, struct decimal *export, struct decimal v)
{
	if (v.digits == INT64_MIN)
		return;
	if (v.digits < 0) {
		decimal_set(export, -v.digits, v.exp);
		decimal_set(import, 0, 0);
	} else {
		*import = v;
		decimal_set(export, 0, 0);
	}
}
