/* The NDJSON record loop: pass-through, bad lines, strict mode, long lines, UTF-8. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "diag.h"
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

/* Runs the loop over text and collects what it wrote. */
static struct result run(const char *text, size_t len, int strict)
{
	struct result res = { 0 };
	struct rec_loop loop;
	char path[] = "/tmp/test_record.XXXXXX";
	int fd = mkstemp(path);
	FILE *in = fmemopen((void *)text, len, "r");

	unlink(path);
	rec_loop_init(&loop, fd, strict);
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
		"{\"n\":2}\r\n"
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
	if (freopen("/dev/null", "w", stderr) == NULL)
		return 2;
	diag_init("test_record");
	test_pass_through_exact();
	test_bad_lines_do_not_stop();
	test_strict_stops();
	test_long_line();
	test_utf8();
	test_rec_string();
	return check_done("test_record");
}
