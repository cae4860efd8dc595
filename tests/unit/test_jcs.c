/* RFC 8785 canonical JSON: the RFC's own examples and Appendix B, then the edges around them. */
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jv.h>

#include "buf.h"
#include "check.h"
#include "jcs.h"

static double from_bits(uint64_t bits)
{
	double d;

	memcpy(&d, &bits, sizeof d);
	return d;
}

/* jcs_number into a fresh buffer; "ERR" when refused. */
static const char *number_text(struct buf *b, double d)
{
	buf_reset(b);
	if (jcs_number(b, d) < 0)
		return "ERR";
	return buf_str(b);
}

/* Canonicalises a borrowed value; "ERR: why" when refused. */
static const char *canon_value(struct buf *b, jv value, const char *skip_key)
{
	const char *why = NULL;

	buf_reset(b);
	if (jcs_append(b, value, skip_key, &why) < 0) {
		buf_puts(b, "ERR: ");
		buf_puts(b, why ? why : "(no reason)");
	}
	return buf_str(b);
}

/* Parses json with jq and canonicalises it; "PARSE" when jq refuses the text. */
static const char *canon(struct buf *b, const char *json, const char *skip_key)
{
	jv value = jv_parse(json);

	if (!jv_is_valid(value)) {
		jv_free(value);
		buf_reset(b);
		buf_puts(b, "PARSE");
		return buf_str(b);
	}
	canon_value(b, value, skip_key);
	jv_free(value);
	return buf_str(b);
}

/* RFC 8785 Appendix B, Table 1, row by row (NaN and Infinity must be refused). */
static const struct { uint64_t bits; const char *want; } appendix_b[] = {
	{ 0x0000000000000000ull, "0" },                          /* zero */
	{ 0x8000000000000000ull, "0" },                          /* minus zero */
	{ 0x0000000000000001ull, "5e-324" },                     /* min pos number */
	{ 0x8000000000000001ull, "-5e-324" },                    /* min neg number */
	{ 0x7fefffffffffffffull, "1.7976931348623157e+308" },    /* max pos number */
	{ 0xffefffffffffffffull, "-1.7976931348623157e+308" },   /* max neg number */
	{ 0x4340000000000000ull, "9007199254740992" },           /* max pos int */
	{ 0xc340000000000000ull, "-9007199254740992" },          /* max neg int */
	{ 0x4430000000000000ull, "295147905179352830000" },      /* ~2**68 */
	{ 0x7fffffffffffffffull, NULL },                         /* NaN */
	{ 0x7ff0000000000000ull, NULL },                         /* Infinity */
	{ 0x44b52d02c7e14af5ull, "9.999999999999997e+22" },
	{ 0x44b52d02c7e14af6ull, "1e+23" },
	{ 0x44b52d02c7e14af7ull, "1.0000000000000001e+23" },
	{ 0x444b1ae4d6e2ef4eull, "999999999999999700000" },
	{ 0x444b1ae4d6e2ef4full, "999999999999999900000" },
	{ 0x444b1ae4d6e2ef50ull, "1e+21" },
	{ 0x3eb0c6f7a0b5ed8cull, "9.999999999999997e-7" },
	{ 0x3eb0c6f7a0b5ed8dull, "0.000001" },
	{ 0x41b3de4355555553ull, "333333333.3333332" },
	{ 0x41b3de4355555554ull, "333333333.33333325" },
	{ 0x41b3de4355555555ull, "333333333.3333333" },
	{ 0x41b3de4355555556ull, "333333333.3333334" },
	{ 0x41b3de4355555557ull, "333333333.33333343" },
	{ 0xbecbf647612f3696ull, "-0.0000033333333333333333" },
	{ 0x43143ff3c1cb0959ull, "1424953923781206.2" },         /* round to even */
};

static void test_appendix_b(void)
{
	struct buf b = BUF_INIT;

	CHECK_INTEQ(sizeof appendix_b / sizeof appendix_b[0], 26);
	for (size_t i = 0; i < sizeof appendix_b / sizeof appendix_b[0]; i++) {
		double d = from_bits(appendix_b[i].bits);
		const char *want = appendix_b[i].want ? appendix_b[i].want : "ERR";
		CHECK_STREQ(number_text(&b, d), want);
		/* The same double inside a jv. */
		const char *via_jv = canon_value(&b, jv_number(d), NULL);
		CHECK_STREQ(via_jv, appendix_b[i].want ? appendix_b[i].want : "ERR: number is not finite");
	}
	/* The other non-finite patterns: -Infinity, the default quiet NaN, a negative NaN. */
	CHECK_STREQ(number_text(&b, from_bits(0xfff0000000000000ull)), "ERR");
	CHECK_STREQ(number_text(&b, from_bits(0x7ff8000000000000ull)), "ERR");
	CHECK_STREQ(number_text(&b, from_bits(0xfff8000000000001ull)), "ERR");
	buf_free(&b);
}

/* Numbers as JSON text, through jq's parser (which keeps only the double). */
static void test_parsed_numbers(void)
{
	static const struct { const char *json, *want; } v[] = {
		{ "333333333.33333329", "333333333.3333333" },
		{ "1E30", "1e+30" },
		{ "4.50", "4.5" },
		{ "2e-3", "0.002" },
		{ "0.000000000000000000000000001", "1e-27" },
		{ "-0", "0" },
		{ "-0.0", "0" },
		{ "9007199254740992", "9007199254740992" },
		{ "295147905179352825856", "295147905179352830000" },
		{ "1e21", "1e+21" },
		{ "1e20", "100000000000000000000" },
		{ "0.000001", "0.000001" },
		{ "0.0000001", "1e-7" },
		{ "5e-324", "5e-324" },
		{ "1.7976931348623157e308", "1.7976931348623157e+308" },
		{ "-1424953923781206.25", "-1424953923781206.2" },
		{ "100", "100" },
		{ "1.0", "1" },
	};
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		CHECK_STREQ(canon(&b, v[i].json, NULL), v[i].want);
	buf_free(&b);
}

/* More layouts and boundaries, with the strings V8 (node 20) prints for the same bits. */
static void test_number_layouts(void)
{
	static const struct { uint64_t bits; const char *want; } v[] = {
		{ 0x0010000000000000ull, "2.2250738585072014e-308" },   /* smallest normal */
		{ 0x0008000000000000ull, "1.1125369292536007e-308" },   /* a subnormal power of two */
		{ 0x0000000000000007ull, "3.5e-323" },
		{ 0x8000000000000003ull, "-1.5e-323" },
		{ 0x7fe0000000000000ull, "8.98846567431158e+307" },     /* 2^1023 */
		{ 0x3d30000000000000ull, "5.684341886080802e-14" },     /* 2^-44 */
		{ 0x43e0000000000000ull, "9223372036854776000" },       /* 2^63: digits then zeros */
		{ 0x43f0000000000000ull, "18446744073709552000" },      /* 2^64 */
		{ 0x4340000000000001ull, "9007199254740994" },          /* 2^53 + 2 */
		{ 0x4341c37937e08000ull, "10000000000000000" },
		{ 0x4415af1d78b58c40ull, "100000000000000000000" },     /* 1e20, the last without exponent */
		{ 0x441ac53a7e04bcdaull, "123456789012345680000" },
		{ 0x54b249ad2594c37dull, "1e+100" },
		{ 0x3fd3333333333334ull, "0.30000000000000004" },
		{ 0x3fd5555555555555ull, "0.3333333333333333" },
		{ 0x4058ffffffffffffull, "99.99999999999999" },
		{ 0x4028ae147ae147aeull, "12.34" },
		{ 0x4011666666666666ull, "4.35" },
		{ 0x3fe0000000000000ull, "0.5" },
		{ 0x3eb4b3fd5942cd96ull, "0.000001234" },
		{ 0x3eb09c0482f18c75ull, "9.9e-7" },
		{ 0x3ea0c6f7a0b5ed8dull, "5e-7" },
		{ 0x3e8421f5f40d8376ull, "1.5e-7" },
		{ 0xbe7ad7f29abcaf48ull, "-1e-7" },
		{ 0x3c36b082c2148b8eull, "1.23e-18" },
	};
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		CHECK_STREQ(number_text(&b, from_bits(v[i].bits)), v[i].want);
	/* Small integers take the exact path; check both sides of it. */
	CHECK_STREQ(number_text(&b, 1.0), "1");
	CHECK_STREQ(number_text(&b, -42.0), "-42");
	CHECK_STREQ(number_text(&b, 1000.0), "1000");
	CHECK_STREQ(number_text(&b, 9007199254740991.0), "9007199254740991");
	CHECK_STREQ(number_text(&b, -9007199254740991.0), "-9007199254740991");
	/* Appends, never replaces. */
	buf_reset(&b);
	buf_puts(&b, "x=");
	CHECK_INTEQ(jcs_number(&b, 2.5), 0);
	CHECK_STREQ(buf_str(&b), "x=2.5");
	buf_free(&b);
}

/* The radix character of the locale must not leak in; only runs where such a locale exists. */
static void test_locale(void)
{
	static const char *const comma_locales[] = { "de_DE.UTF-8", "fr_FR.UTF-8", "de_DE", "fr_FR" };
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < sizeof comma_locales / sizeof comma_locales[0]; i++) {
		if (setlocale(LC_ALL, comma_locales[i]) == NULL)
			continue;
		CHECK_STREQ(number_text(&b, from_bits(0x41b3de4355555555ull)), "333333333.3333333");
		CHECK_STREQ(number_text(&b, 4.5), "4.5");
		CHECK_STREQ(number_text(&b, 1e-7), "1e-7");
		break;
	}
	setlocale(LC_ALL, "C");
	buf_free(&b);
}

/* RFC 8785 §3.2.2 (input) and §3.2.3 (output). */
static void test_rfc_example(void)
{
	static const char input[] =
		"{\n"
		"  \"numbers\": [333333333.33333329, 1E30, 4.50,\n"
		"              2e-3, 0.000000000000000000000000001],\n"
		"  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n"
		"  \"literals\": [null, true, false]\n"
		"}";
	static const char want[] =
		"{\"literals\":[null,true,false],"
		"\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
		"\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
	struct buf b = BUF_INIT;

	CHECK_STREQ(canon(&b, input, NULL), want);
	/* §3.2.4 lists the result as UTF-8 bytes; compare byte for byte. */
	static const uint8_t bytes[] = {
		0x7b, 0x22, 0x6c, 0x69, 0x74, 0x65, 0x72, 0x61, 0x6c, 0x73, 0x22, 0x3a, 0x5b, 0x6e, 0x75, 0x6c,
		0x6c, 0x2c, 0x74, 0x72, 0x75, 0x65, 0x2c, 0x66, 0x61, 0x6c, 0x73, 0x65, 0x5d, 0x2c, 0x22, 0x6e,
		0x75, 0x6d, 0x62, 0x65, 0x72, 0x73, 0x22, 0x3a, 0x5b, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33,
		0x33, 0x33, 0x2e, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x2c, 0x31, 0x65, 0x2b, 0x33, 0x30,
		0x2c, 0x34, 0x2e, 0x35, 0x2c, 0x30, 0x2e, 0x30, 0x30, 0x32, 0x2c, 0x31, 0x65, 0x2d, 0x32, 0x37,
		0x5d, 0x2c, 0x22, 0x73, 0x74, 0x72, 0x69, 0x6e, 0x67, 0x22, 0x3a, 0x22, 0xe2, 0x82, 0xac, 0x24,
		0x5c, 0x75, 0x30, 0x30, 0x30, 0x66, 0x5c, 0x6e, 0x41, 0x27, 0x42, 0x5c, 0x22, 0x5c, 0x5c, 0x5c,
		0x5c, 0x5c, 0x22, 0x2f, 0x22, 0x7d,
	};
	CHECK_INTEQ(b.len, sizeof bytes);
	CHECK(b.len == sizeof bytes && memcmp(b.data, bytes, sizeof bytes) == 0);
	buf_free(&b);
}

/* RFC 8785 §3.2.3: members sorted by UTF-16 code units. */
static void test_rfc_sorting(void)
{
	static const char input[] =
		"{\n"
		"  \"\\u20ac\": \"Euro Sign\",\n"
		"  \"\\r\": \"Carriage Return\",\n"
		"  \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\",\n"
		"  \"1\": \"One\",\n"
		"  \"\\ud83d\\ude00\": \"Emoji: Grinning Face\",\n"
		"  \"\\u0080\": \"Control\",\n"
		"  \"\\u00f6\": \"Latin Small Letter O With Diaeresis\"\n"
		"}";
	static const char want[] =
		"{\"\\r\":\"Carriage Return\","
		"\"1\":\"One\","
		"\"\xc2\x80\":\"Control\","
		"\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\","
		"\"\xe2\x82\xac\":\"Euro Sign\","
		"\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
		"\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}";
	struct buf b = BUF_INIT;

	CHECK_STREQ(canon(&b, input, NULL), want);
	/* Where UTF-8 byte order and UTF-16 order part: U+10000 (D800 DC00) before U+E000 and U+FFFD. */
	CHECK_STREQ(canon(&b, "{\"\\ufffd\":1,\"\\ue000\":2,\"\\ud800\\udc00\":3,\"\\ud7ff\":4}", NULL),
	            "{\"\xed\x9f\xbf\":4,\"\xf0\x90\x80\x80\":3,\"\xee\x80\x80\":2,\"\xef\xbf\xbd\":1}");
	/* Prefixes first, upper case before lower, U+0000 lowest of all. */
	CHECK_STREQ(canon(&b, "{\"ab\":1,\"a\":2,\"B\":3,\"a\\u0000\":4,\"\":5}", NULL),
	            "{\"\":5,\"B\":3,\"a\":2,\"a\\u0000\":4,\"ab\":1}");
	buf_free(&b);
}

/* Appends one code point as UTF-8 and as UTF-16 code units. */
static void put_code_point(struct buf *utf8, uint16_t *utf16, size_t *n16, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	buf_append(utf8, u, n);
	if (cp < 0x10000) {
		utf16[(*n16)++] = (uint16_t)cp;
	} else {
		utf16[(*n16)++] = (uint16_t)(0xd800 + ((cp - 0x10000) >> 10));
		utf16[(*n16)++] = (uint16_t)(0xdc00 + ((cp - 0x10000) & 0x3ff));
	}
}

static int compare_utf16(const uint16_t *a, size_t an, const uint16_t *b, size_t bn)
{
	for (size_t i = 0; i < an && i < bn; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return (an > bn) - (an < bn);
}

/* Random pairs of names from the code points where the orders could disagree,
   checked against a plain UTF-16 comparison. */
static void test_sorting_against_utf16(void)
{
	static const uint32_t pool[] = {
		0x41, 0x61, 0x7f, 0xe9, 0x7ff, 0x800, 0x20ac, 0xd7ff, 0xe000, 0xfb33,
		0xfffd, 0xffff, 0x10000, 0x1f600, 0x10ffff,
	};
	const size_t pool_len = sizeof pool / sizeof pool[0];
	uint32_t seed = 12345;
	int wrong = 0;
	struct buf out = BUF_INIT;

	for (int round = 0; round < 3000; round++) {
		struct buf name[2] = { BUF_INIT, BUF_INIT };
		uint16_t u16[2][16];
		size_t n16[2] = { 0, 0 };
		for (int s = 0; s < 2; s++) {
			seed = seed * 1103515245u + 12345u;
			int len = (int)(seed >> 16) % 4 + 1;
			for (int i = 0; i < len; i++) {
				seed = seed * 1103515245u + 12345u;
				put_code_point(&name[s], u16[s], &n16[s], pool[(seed >> 16) % pool_len]);
			}
		}
		int want = compare_utf16(u16[0], n16[0], u16[1], n16[1]);
		jv obj = jv_object_set(jv_object(), jv_string_sized(buf_str(&name[0]), (int)name[0].len), jv_number(0));
		obj = jv_object_set(obj, jv_string_sized(buf_str(&name[1]), (int)name[1].len), jv_number(1));
		canon_value(&out, obj, NULL);
		const char *zero = strstr(buf_str(&out), ":0"), *one = strstr(buf_str(&out), ":1");
		if (want == 0)
			wrong += one == NULL || zero != NULL;   /* the same name: one member, the later value */
		else
			wrong += zero == NULL || one == NULL || (zero < one) != (want < 0);
		jv_free(obj);
		buf_free(&name[0]);
		buf_free(&name[1]);
	}
	CHECK_INTEQ(wrong, 0);
	buf_free(&out);
}

static void test_literals_and_nesting(void)
{
	struct buf b = BUF_INIT;

	CHECK_STREQ(canon(&b, "true", NULL), "true");
	CHECK_STREQ(canon(&b, "false", NULL), "false");
	CHECK_STREQ(canon(&b, " null ", NULL), "null");
	CHECK_STREQ(canon(&b, "\"x\"", NULL), "\"x\"");
	CHECK_STREQ(canon(&b, "[ ]", NULL), "[]");
	CHECK_STREQ(canon(&b, "{ }", NULL), "{}");
	CHECK_STREQ(canon(&b, "[3, 1, 2]", NULL), "[3,1,2]");
	CHECK_STREQ(canon(&b, "{\"z\": [{\"b\": [], \"a\": {}}], \"y\": [[1, [2, [3, {\"d\": 1, \"c\": 2}]]]]}", NULL),
	            "{\"y\":[[1,[2,[3,{\"c\":2,\"d\":1}]]]],\"z\":[{\"a\":{},\"b\":[]}]}");
	CHECK_STREQ(canon(&b, "[{\"b\":{\"y\":1,\"x\":2},\"a\":[{\"q\":1,\"p\":2}]}, {\"a\":null}]", NULL),
	            "[{\"a\":[{\"p\":2,\"q\":1}],\"b\":{\"x\":2,\"y\":1}},{\"a\":null}]");
	/* jq keeps the last of duplicate names. */
	CHECK_STREQ(canon(&b, "{\"a\":1,\"a\":2}", NULL), "{\"a\":2}");
	buf_free(&b);
}

/* Many members: past the inline member stack and onto qsort, with nested
   objects that move the shared stack while their parent is still open. */
static void test_large_objects(void)
{
	struct buf want = BUF_INIT, b = BUF_INIT;
	jv outer = jv_object();
	char key[16];

	for (int i = 99; i >= 0; i--) {
		jv inner = jv_object();
		for (int j = 0; j < 100; j++) {
			int k = (j * 37) % 100;   /* a scrambled insertion order */
			snprintf(key, sizeof key, "k%02d", k);
			inner = jv_object_set(inner, jv_string(key), jv_number(k));
		}
		snprintf(key, sizeof key, "o%02d", i);
		outer = jv_object_set(outer, jv_string(key), inner);
	}
	buf_putc(&want, '{');
	for (int i = 0; i < 100; i++) {
		buf_printf(&want, "%s\"o%02d\":{", i ? "," : "", i);
		for (int k = 0; k < 100; k++)
			buf_printf(&want, "%s\"k%02d\":%d", k ? "," : "", k, k);
		buf_putc(&want, '}');
	}
	buf_putc(&want, '}');
	CHECK_STREQ(canon_value(&b, outer, NULL), buf_str(&want));
	jv_free(outer);
	buf_free(&want);
	buf_free(&b);
}

static void test_skip_key(void)
{
	struct buf b = BUF_INIT;

	CHECK_STREQ(canon(&b, "{\"b\":1,\"sig\":\"0xabc\",\"a\":{\"sig\":2}}", "sig"),
	            "{\"a\":{\"sig\":2},\"b\":1}");
	CHECK_STREQ(canon(&b, "{\"b\":1,\"sig\":\"0xabc\",\"a\":{\"sig\":2}}", NULL),
	            "{\"a\":{\"sig\":2},\"b\":1,\"sig\":\"0xabc\"}");
	CHECK_STREQ(canon(&b, "{\"b\":1,\"a\":2}", "sig"), "{\"a\":2,\"b\":1}");   /* absent */
	CHECK_STREQ(canon(&b, "{\"sig\":1}", "sig"), "{}");
	CHECK_STREQ(canon(&b, "{\"sig\":[1,nan],\"a\":1}", "sig"), "{\"a\":1}");      /* skipped, so not checked */
	CHECK_STREQ(canon(&b, "{\"si\":1,\"sigs\":2,\"Sig\":3}", "sig"), "{\"Sig\":3,\"si\":1,\"sigs\":2}");
	CHECK_STREQ(canon(&b, "[{\"sig\":1}]", "sig"), "[{\"sig\":1}]");              /* not top level */
	CHECK_STREQ(canon(&b, "\"sig\"", "sig"), "\"sig\"");
	CHECK_STREQ(canon(&b, "{\"\":1,\"a\":2}", ""), "{\"a\":2}");
	buf_free(&b);
}

static void test_string_escapes(void)
{
	char raw[0x20 + 7];
	struct buf b = BUF_INIT;

	for (int i = 0; i < 0x20; i++)
		raw[i] = (char)i;
	memcpy(raw + 0x20, "\"\\/\x7f\xc3\xa9 ", 7);   /* quote, backslash, slash, DEL, é, space */
	jv s = jv_string_sized(raw, (int)sizeof raw);
	CHECK_STREQ(canon_value(&b, s, NULL),
	            "\""
	            "\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007"
	            "\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f"
	            "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017"
	            "\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f"
	            "\\\"\\\\/\x7f\xc3\xa9 \"");
	jv_free(s);
	/* From escaped JSON text: upper-case hex comes out lower-case, \/ and \u007f come out raw. */
	CHECK_STREQ(canon(&b, "\"\\u001F\\u001a\\/\\u007f\\u00e9\\ud83d\\ude00\"", NULL),
	            "\"\\u001f\\u001a/\x7f\xc3\xa9\xf0\x9f\x98\x80\"");
	/* Names are escaped the same way; a NUL inside a name survives. */
	CHECK_STREQ(canon(&b, "{\"a\\u0000\\n\":\"\\t\"}", NULL), "{\"a\\u0000\\n\":\"\\t\"}");
	CHECK_STREQ(canon(&b, "\"\"", NULL), "\"\"");
	buf_free(&b);
}

/* A chain of depth arrays (or objects, as {"a":…}) around null. */
static jv nested(int depth, int objects)
{
	jv v = jv_null();

	for (int i = 0; i < depth; i++)
		v = objects ? jv_object_set(jv_object(), jv_string("a"), v) : jv_array_append(jv_array(), v);
	return v;
}

static void test_depth_limit(void)
{
	struct buf b = BUF_INIT, want = BUF_INIT;
	const char *why = NULL;

	jv ok = nested(JCS_MAX_DEPTH, 0);
	for (int i = 0; i < JCS_MAX_DEPTH; i++)
		buf_putc(&want, '[');
	buf_puts(&want, "null");
	for (int i = 0; i < JCS_MAX_DEPTH; i++)
		buf_putc(&want, ']');
	CHECK_STREQ(canon_value(&b, ok, NULL), buf_str(&want));
	jv_free(ok);

	jv deep = nested(JCS_MAX_DEPTH + 1, 0);
	buf_reset(&b);
	CHECK_INTEQ(jcs_append(&b, deep, NULL, &why), -1);
	CHECK(why != NULL && strcmp(why, "nesting too deep") == 0);
	CHECK_INTEQ(b.len, 0);
	jv_free(deep);

	jv ok_obj = nested(JCS_MAX_DEPTH, 1);
	CHECK(strncmp(canon_value(&b, ok_obj, NULL), "{\"a\":{\"a\":", 10) == 0);
	jv_free(ok_obj);
	jv deep_obj = nested(JCS_MAX_DEPTH + 1, 1);
	CHECK_STREQ(canon_value(&b, deep_obj, NULL), "ERR: nesting too deep");
	jv_free(deep_obj);
	buf_free(&b);
	buf_free(&want);
}

static void test_errors_restore_output(void)
{
	struct buf b = BUF_INIT;
	const char *why = NULL;

	/* jq 1.6 reads nan, infinity and overflowing literals as non-finite doubles. */
	CHECK_STREQ(canon(&b, "[1,nan]", NULL), "ERR: number is not finite");
	CHECK_STREQ(canon(&b, "{\"a\":infinity}", NULL), "ERR: number is not finite");
	CHECK_STREQ(canon(&b, "-1e400", NULL), "ERR: number is not finite");
	CHECK_STREQ(canon(&b, "[1e-400]", NULL), "[0]");   /* underflow is merely zero */

	/* A failure deep inside leaves the earlier content exactly as it was. */
	buf_reset(&b);
	buf_puts(&b, "prefix:");
	jv bad = jv_parse("{\"a\":[1,2,{\"b\":\"long enough to have been written\",\"c\":[nan]}]}");
	CHECK_INTEQ(jcs_append(&b, bad, NULL, &why), -1);
	CHECK_STREQ(why, "number is not finite");
	CHECK_STREQ(buf_str(&b), "prefix:");
	CHECK_INTEQ(b.len, 7);
	jv_free(bad);

	/* An invalid jv is refused; why may be NULL. */
	jv invalid = jv_invalid_with_msg(jv_string("broken"));
	CHECK_STREQ(canon_value(&b, invalid, NULL), "ERR: invalid value");
	CHECK_INTEQ(jcs_append(&b, invalid, NULL, NULL), -1);
	jv_free(invalid);

	/* Success appends after what is there. */
	buf_reset(&b);
	buf_puts(&b, "x");
	jv arr = jv_parse("[true]");
	CHECK_INTEQ(jcs_append(&b, arr, NULL, &why), 0);
	CHECK_STREQ(buf_str(&b), "x[true]");
	jv_free(arr);
	buf_free(&b);
}

/* The value is borrowed: it must be intact and usable afterwards. */
static void test_borrowing(void)
{
	struct buf b = BUF_INIT, again = BUF_INIT;
	jv v = jv_parse("{\"k\":[\"s\",{\"n\":1}],\"m\":\"t\"}");

	canon_value(&b, v, NULL);
	canon_value(&again, v, "k");
	CHECK_STREQ(buf_str(&b), "{\"k\":[\"s\",{\"n\":1}],\"m\":\"t\"}");
	CHECK_STREQ(buf_str(&again), "{\"m\":\"t\"}");
	CHECK_INTEQ(jv_get_refcnt(v), 1);
	CHECK_INTEQ(jv_object_length(jv_copy(v)), 2);
	jv_free(v);
	buf_free(&b);
	buf_free(&again);
}

/* The significant digits of a number's text, without sign, point, exponent, leading or trailing zeros. */
static void significant_digits(const char *text, char *out, size_t size)
{
	size_t n = 0;
	for (const char *p = text; *p && *p != 'e' && *p != 'E' && n + 1 < size; p++)
		if (*p >= '0' && *p <= '9' && (n > 0 || *p != '0'))
			out[n++] = *p;
	while (n > 0 && out[n - 1] == '0')
		n--;
	out[n] = '\0';
}

/* The reference: the fewest %.*e digits that read back (printf rounds correctly, so of a length, the nearest). */
static void reference_digits(double d, char *out, size_t size)
{
	char text[40];
	for (int p = 1; p <= 17; p++) {
		snprintf(text, sizeof text, "%.*e", p - 1, d);
		if (strtod(text, NULL) == d)
			break;
	}
	significant_digits(text, out, size);
}

/*
 * Random doubles of every kind hive writes (integers over 10^j for j to 12,
 * energies rounded to 0.001, values an ulp off them, powers of two, any
 * bits): each
 * reads back as itself, with the reference's digits, or fewer at a power
 * of two (where the nearest candidate of a length can miss and the next
 * one up read back).
 */
static void test_shortest_random(void)
{
	struct buf b = BUF_INIT;
	int fewer = 0;
	for (int i = 0; i < 100000; i++) {
		double d;
		switch (i % 5) {
		case 0: d = (double)check_between(1, 2000000000000) / (double)check_between(1, 1000000); break;
		case 1: {
			static const double power[] = { 1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e9, 1e12 };
			d = (double)check_between(-4000000000000, 4000000000000) / power[check_between(0, 8)];
			break;
		}
		case 2: d = nextafter(round(check_uniform(-1e7, 1e7)) / 1000, (i & 8) ? INFINITY : -INFINITY); break;
		case 3: d = ldexp(1, (int)check_between(-1074, 1023)); break;
		default: d = from_bits(check_next()); break;
		}
		if (!isfinite(d) || d == 0)
			continue;
		const char *text = number_text(&b, d);
		char got[32], want[32];
		CHECK(strtod(text, NULL) == d);
		significant_digits(text, got, sizeof got);
		reference_digits(fabs(d), want, sizeof want);
		uint64_t bits;
		memcpy(&bits, &d, sizeof bits);
		if (strlen(got) < strlen(want) && (bits & 0xfffffffffffffull) == 0) {
			fewer++;
			continue;
		}
		if (strcmp(got, want) != 0)
			printf("%.17g: %s, want the digits %s\n", d, text, want);
		CHECK_STREQ(got, want);
	}
	printf("test_jcs: 100000 random numbers, %d powers of two with fewer digits than the reference\n", fewer);
	buf_free(&b);
}

int main(void)
{
	test_appendix_b();
	test_parsed_numbers();
	test_number_layouts();
	test_shortest_random();
	test_locale();
	test_rfc_example();
	test_rfc_sorting();
	test_sorting_against_utf16();
	test_literals_and_nesting();
	test_large_objects();
	test_skip_key();
	test_string_escapes();
	test_depth_limit();
	test_errors_restore_output();
	test_borrowing();
	return check_done("test_jcs");
}
