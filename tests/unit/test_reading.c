/* Exact decimals of meter registers: parse, scale, add, format. */
#include <string.h>

#include "buf.h"
#include "check.h"
#include "reading.h"

static const char *fmt(struct buf *b, const char *text, int scale)
{
	struct decimal d;

	buf_reset(b);
	if (decimal_parse(&d, text, strlen(text)) < 0 || decimal_scale(&d, scale) < 0)
		return "error";
	decimal_format(b, &d);
	return buf_str(b);
}

int main(void)
{
	struct buf b = BUF_INIT;
	struct decimal x, y, z;
	int64_t v;

	CHECK_STREQ(fmt(&b, "001581.123", 3), "1581123");   /* kWh → Wh */
	CHECK_STREQ(fmt(&b, "0230.0", 0), "230");
	CHECK_STREQ(fmt(&b, "0.48", 0), "0.48");
	CHECK_STREQ(fmt(&b, "0.0", 0), "0");
	CHECK_STREQ(fmt(&b, "-0.000", 0), "0");
	CHECK_STREQ(fmt(&b, "-1.50", 0), "-1.5");
	CHECK_STREQ(fmt(&b, "00.244", 3), "244");            /* kW → W */
	CHECK_STREQ(fmt(&b, "0.001", 0), "0.001");
	CHECK_STREQ(fmt(&b, "15338.5557", 3), "15338555.7");
	CHECK_STREQ(fmt(&b, "12", 2), "1200");
	CHECK_STREQ(fmt(&b, "", 0), "error");
	CHECK_STREQ(fmt(&b, "1.2.3", 0), "error");
	CHECK_STREQ(fmt(&b, "12a", 0), "error");
	CHECK_STREQ(fmt(&b, "99999999999999999999", 0), "error");   /* beyond int64 */
	CHECK_STREQ(fmt(&b, "9223372036854775807", 1), "error");    /* overflow on scaling */

	decimal_parse(&x, "4.426", 5);
	decimal_parse(&y, "2.399", 5);
	CHECK_INTEQ(decimal_add(&z, &x, &y), 0);
	decimal_scale(&z, 3);
	CHECK(decimal_to_int(&v, &z) == 0 && v == 6825);
	decimal_parse(&x, "1.5", 3);
	CHECK_INTEQ(decimal_to_int(&v, &x), -1);
	decimal_set(&x, INT64_MAX, 0);
	decimal_set(&y, 1, 0);
	CHECK_INTEQ(decimal_add(&z, &x, &y), -1);
	/* A signed power: negative is export, the other half zero. */
	struct decimal imp, exp;
	decimal_set(&x, -19197, -1);
	decimal_split_signed(&imp, &exp, x);
	CHECK(imp.set && imp.digits == 0 && exp.set && exp.digits == 19197 && exp.exp == -1);
	decimal_set(&x, 5635, -1);
	decimal_split_signed(&imp, &exp, x);
	CHECK(imp.digits == 5635 && imp.exp == -1 && exp.set && exp.digits == 0);
	buf_free(&b);
	return check_done("test_reading");
}
