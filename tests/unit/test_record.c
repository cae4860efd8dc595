/* The NDJSON record loop: pass-through, bad lines, strict mode, long lines, UTF-8. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "diag.h"
#include "jsonscan.h"
#include "record.h"
#include "utf8.h"

struct result {
	char *out;
	size_t outlen;
	unsigned long read, bad, written;
	int rc;
};

static int pass_unless_reject(struct rec_loop *loop, const struct rec *r, void *arg)
{
	const char *type = rec_type(r);

	(void)arg;
	if (type != NULL && strcmp(type, "reject") == 0) {
		rec_reject(loop, r, "rejected by the test handler");
		return -1;
	}
	return rec_pass(loop, r);
}

/* Runs the loop over text (in view mode with view) and collects what it wrote. */
static struct result run_mode(const char *text, size_t len, int strict, bool view)
{
	struct result res = { 0 };
	struct rec_loop loop;
	char path[] = "/tmp/test_record.XXXXXX";
	int fd = mkstemp(path);
	FILE *in = fmemopen((void *)text, len, "r");

	unlink(path);
	rec_loop_init(&loop, fd, strict);
	loop.view_mode = view;
	rec_loop_stream(&loop, in, NULL, pass_unless_reject, NULL);
	res.read = loop.read;
	res.bad = loop.bad;
	res.written = loop.written;
	rec_loop_free(&loop);
	fclose(in);
	off_t end = lseek(fd, 0, SEEK_END);
	res.out = malloc((size_t)end + 1);
	res.outlen = (size_t)pread(fd, res.out, (size_t)end, 0);
	res.out[res.outlen] = '\0';
	close(fd);
	return res;
}

static struct result run(const char *text, size_t len, int strict)
{
	return run_mode(text, len, strict, false);
}

/* A type's escapes are decoded in both modes: an escaped "reject" is rejected; one with a NUL is no type. */
static void test_escaped_type(void)
{
	const char *in = "{\"type\":\"rej\\u0065ct\"}\n{\"type\":\"re\\u006aect\",\"n\":[1]}\n"
	                 "{\"type\":\"reject\\u0000\"}\n{\"type\":\"\\u0072eject2\"}\n";
	const char *out = "{\"type\":\"reject\\u0000\"}\n{\"type\":\"\\u0072eject2\"}\n";
	for (int view = 0; view <= 1; view++) {
		struct result r = run_mode(in, strlen(in), 0, view);
		CHECK_STREQ(r.out, out);
		CHECK_INTEQ(r.bad, 2);
		free(r.out);
	}
}

static void test_pass_through_exact(void)
{
	/* Whitespace, key order and number spelling survive untouched. */
	const char *in = "{ \"b\" : 1.50, \"a\":1e2 }\n{\"type\":\"x\"}\n";
	struct result r = run(in, strlen(in), 0);

	CHECK_STREQ(r.out, in);
	CHECK_INTEQ(r.read, 2);
	CHECK_INTEQ(r.bad, 0);
	free(r.out);
}

static void test_bad_lines_do_not_stop(void)
{
	const char *in =
		"{\"n\":1}\n"
		"not json\n"
		"[1,2]\n"
		"\n"
		"   \n"
		"{\"type\":\"reject\"}\n"
		"{\"n\":2}\r\r \t\r\n"
		"{\"n\":3}";          /* last line without a newline */
	struct result r = run(in, strlen(in), 0);

	CHECK_STREQ(r.out, "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n");
	CHECK_INTEQ(r.bad, 3);
	CHECK_INTEQ(r.read, 4);
	free(r.out);
}

static void test_strict_stops(void)
{
	const char *in = "{\"n\":1}\nnot json\n{\"n\":2}\n";
	struct result r = run(in, strlen(in), 1);

	CHECK_STREQ(r.out, "{\"n\":1}\n");
	CHECK_INTEQ(r.bad, 1);
	free(r.out);
}

static void test_long_line(void)
{
	size_t n = 3u << 20;
	char *in = malloc(n + 32);
	size_t len;

	strcpy(in, "{\"blob\":\"");
	len = strlen(in);
	memset(in + len, 'x', n);
	len += n;
	memcpy(in + len, "\"}\n", 4);
	len += 3;
	struct result r = run(in, len, 0);
	CHECK_INTEQ(r.outlen, len);
	CHECK(memcmp(r.out, in, len) == 0);
	free(r.out);
	free(in);
}

static void test_utf8(void)
{
	/* jq would turn the bad byte into U+FFFD; the loop refuses the line instead. */
	const char in[] = "{\"s\":\"\xc3\xa9\"}\n{\"s\":\"\xff\"}\n{\"s\":\"\xed\xa0\x80\"}\n{\"s\":\"a\0b\"}\n";
	struct result r = run(in, sizeof in - 1, 0);

	CHECK_STREQ(r.out, "{\"s\":\"\xc3\xa9\"}\n");
	CHECK_INTEQ(r.bad, 3);
	free(r.out);

	CHECK_INTEQ(utf8_check("abc", 3), 3);
	CHECK_INTEQ(utf8_check("\xf0\x9f\x98\x80", 4), 4);
	CHECK_INTEQ(utf8_check("a\xc0\xaf", 3), 1);        /* overlong '/' */
	CHECK_INTEQ(utf8_check("ab\xe0\x80\x80", 5), 2);   /* overlong NUL */
	CHECK_INTEQ(utf8_check("\xf4\x90\x80\x80", 4), 0); /* above U+10FFFF */
	CHECK_INTEQ(utf8_check("\xe2\x82", 2), 0);         /* truncated */
}

static int scan(const char *text, size_t *off, const char **why)
{
	return jsonscan_check(text, strlen(text), off, why);
}

/* Strict RFC 8259: what jq 1.6 would accept but JSON does not. */
static void test_strict_json(void)
{
	static const struct { const char *text; size_t offset; } bad[] = {
		{ "{\"n\":nan}", 5 }, { "{\"n\":01}", 6 }, { "{\"n\":+1}", 5 }, { "{\"n\":.5}", 5 },
		{ "{\"n\":1.}", 5 }, { "{\"n\":-}", 5 }, { "{\"n\":1e}", 5 }, { "\xef\xbb\xbf{}", 0 },
		{ "[1\"a\"]", 2 }, { "{\"a\":1,}", 7 }, { "{a:1}", 1 }, { "{\"a\" 1}", 5 },
		{ "{\"s\":\"\t\"}", 6 }, { "{\"s\":\"\\q\"}", 6 }, { "{\"s\":\"\\u12\"}", 6 },
		{ "{\"s\":\"\\udc00\"}", 6 }, { "{\"s\":\"\\ud800x\"}", 6 }, { "{\"s\":\"abc}", 5 },
		{ "{} {}", 3 }, { "", 0 }, { "  ", 2 }, { "{\"n\":1e400}", 5 }, { "{\"n\":-1e-400}", 5 },
		{ "{\"n\":truex}", 9 }, { "{\"n\":tru}", 5 }, { "[1,]", 3 },
	};
	size_t off;
	const char *why;

	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		off = 999;
		CHECK_INTEQ(scan(bad[k].text, &off, &why), -1);
		if (off != bad[k].offset)
			printf("  case '%s': offset %zu, want %zu (%s)\n", bad[k].text, off, bad[k].offset, why);
		CHECK_INTEQ(off, bad[k].offset);
	}
	static const char *const good[] = {
		"{}", "[]", " {\"a\" : [ 1 , -0 , 0.5e-3 , 1E+2 , true , false , null ] } ", "{\"s\":\"\\ud83d\\ude00\\u0000\\/\"}",
		"{\"n\":5e-324}", "{\"n\":1e308}", "{\"n\":0e400}", "\"x\"", "123",
	};
	for (size_t k = 0; k < sizeof good / sizeof good[0]; k++)
		CHECK_INTEQ(scan(good[k], &off, &why), 0);

	/* Decimals without an exponent: beyond a double's range only from hundreds of digits. */
	char num[520];
	memset(num, 0, sizeof num);
	strcpy(num, "{\"n\":0.");
	memset(num + 7, '0', 400);
	strcpy(num + 407, "1}");
	CHECK_INTEQ(scan(num, &off, &why), -1); /* 10^-401 becomes 0 */
	CHECK_INTEQ(off, 5);
	strcpy(num + 7 + 289, "1}"); /* 10^-290: 292 characters */
	CHECK_INTEQ(scan(num, &off, &why), 0);
	memset(num, 0, sizeof num);
	strcpy(num, "{\"n\":-1");
	memset(num + 7, '0', 310);
	strcpy(num + 317, ".5}");
	CHECK_INTEQ(scan(num, &off, &why), -1); /* −10^310 */
	CHECK_INTEQ(off, 5);
	strcpy(num + 7 + 290, ".5}"); /* −10^290: 294 characters */
	CHECK_INTEQ(scan(num, &off, &why), 0);

	/* Nesting: jq's limit of 256 levels. */
	char deep[600];
	memset(deep, '[', 256);
	memset(deep + 256, ']', 256);
	CHECK_INTEQ(jsonscan_check(deep, 512, &off, &why), 0);
	memset(deep, '[', 257);
	memset(deep + 257, ']', 257);
	CHECK_INTEQ(jsonscan_check(deep, 514, &off, &why), -1);
	CHECK_INTEQ(off, 256);
}

static void test_scan_refusals(void)
{
	/* Repeated names and inexact integers would let two readers of one signed line disagree. */
	const char *in =
		"{\"a\":1,\"a\":2}\n"                              /* duplicate */
		"{\"a\":{\"b\":1},\"c\":{\"b\":2},\"d\":[{\"b\":3},{\"b\":4}]}\n"  /* fine: different objects */
		"{\"a\":\"x\",\"\\u0061\":\"y\"}\n"                /* duplicate through an escape */
		"{\"n\":9007199254740992,\"m\":-9007199254740992}\n"  /* 2^53: exact */
		"{\"n\":9007199254740993}\n"                         /* beyond 2^53 */
		"{\"n\":-18446744073709551617}\n"                    /* far beyond, inexact */
		"{\"n\":12345678901234567000,\"m\":-100000000000000000000}\n"  /* long, but what JS writes back */
		"{\"n\":1e300,\"f\":12345678901234567890.5,\"s\":\"123456789012345678901\"}\n"
		"{\"o\":{\"k\":1,\"k2\":{\"k\":2},\"k\":3}}\n";       /* duplicate after a nested object */
	struct result r = run(in, strlen(in), 0);

	CHECK_STREQ(r.out,
		"{\"a\":{\"b\":1},\"c\":{\"b\":2},\"d\":[{\"b\":3},{\"b\":4}]}\n"
		"{\"n\":9007199254740992,\"m\":-9007199254740992}\n"
		"{\"n\":12345678901234567000,\"m\":-100000000000000000000}\n"
		"{\"n\":1e300,\"f\":12345678901234567890.5,\"s\":\"123456789012345678901\"}\n");
	CHECK_INTEQ(r.bad, 5);
	free(r.out);

	size_t off;
	const char *why;
	CHECK_INTEQ(scan("{\"a\":1,\"a\":2}", &off, &why), -1);
	CHECK_INTEQ(off, 7);
	CHECK_STREQ(why, "duplicate member name");
	CHECK_INTEQ(scan("{\"n\":[1,9007199254740993]}", &off, &why), -1);
	CHECK_INTEQ(off, 8);
	CHECK_INTEQ(scan("{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}", &off, &why), -1);
	CHECK_INTEQ(scan("{\"a\":1,\"A\":2,\"a \":3}", &off, &why), 0);
}

static void test_rec_string(void)
{
	const char *in = "{\"type\":\"reject\",\"meter\":5}\n";
	struct result r = run(in, strlen(in), 0);

	CHECK_INTEQ(r.bad, 1);
	CHECK_STREQ(r.out, "");
	free(r.out);
}

int main(void)
{
	/* Diagnostics are expected here; keep the test log readable. */
	FILE *null = fopen("/dev/null", "w");
	if (null == NULL)
		return 2;
	diag_redirect(null);
	diag_init("test_record");
	test_pass_through_exact();
	test_bad_lines_do_not_stop();
	test_strict_stops();
	test_long_line();
	test_utf8();
	test_strict_json();
	test_scan_refusals();
	test_rec_string();
	test_escaped_type();
	diag_redirect(NULL);
	fclose(null);
	return check_done("test_record");
}
