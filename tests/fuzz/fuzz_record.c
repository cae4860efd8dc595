/*
 * libFuzzer target for the record reader: any bytes as an NDJSON stream.
 * Properties: no crash or leak; every line is either read or rejected;
 * a pass-through copy of the stream read again gives the same records;
 * whatever the strict scanner accepts, jq's parser accepts too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "diag.h"
#include "jsonscan.h"
#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int pass_all(struct rec_loop *loop, const struct rec *r, void *arg)
{
	(void)arg;
	if (rec_type(r) != NULL && strcmp(rec_type(r), "drop") == 0)
		return 0;
	return rec_pass(loop, r);
}

static size_t run(const uint8_t *data, size_t size, char **out, size_t *outlen, unsigned long *read)
{
	struct rec_loop loop;
	FILE *in = fmemopen((void *)data, size, "r");
	int fd;

	if (in == NULL)
		abort();
	/* The loop writes to a descriptor: give it a pipe-free temporary file. */
	char path[] = "/tmp/fuzz_record.XXXXXX";
	fd = mkstemp(path);
	if (fd < 0)
		abort();
	unlink(path);
	rec_loop_init(&loop, fd, false);
	rec_loop_stream(&loop, in, "fuzz", pass_all, NULL);
	*read = loop.read;
	size_t bad = loop.bad;
	rec_loop_free(&loop);
	fclose(in);
	off_t end = lseek(fd, 0, SEEK_END);
	*out = malloc((size_t)end + 1);
	*outlen = (size_t)end;
	if (pread(fd, *out, (size_t)end, 0) != end)
		abort();
	close(fd);
	return bad;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	char *out1, *out2;
	size_t len1, len2;
	unsigned long read1, read2;

	if (!quiet) {
		/* Diagnostics are part of the behaviour but would flood the fuzzer's log. */
		FILE *null = fopen("/dev/null", "w");
		if (null == NULL)
			abort();
		diag_redirect(null);
		quiet = 1;
	}
	diag_init("fuzz_record");
	size_t offset;
	const char *why;
	if (size < (1u << 20) && jsonscan_check((const char *)data, size, &offset, &why) == 0) {
		jv v = jv_parse_sized((const char *)data, (int)size);
		if (!jv_is_valid(v))
			abort();
		jv_free(v);
	}
	run(data, size, &out1, &len1, &read1);
	/* What passed through is good input: reading it again rejects nothing and changes nothing. */
	size_t bad2 = run((const uint8_t *)out1, len1, &out2, &len2, &read2);
	if (bad2 != 0 || len1 != len2 || memcmp(out1, out2, len1) != 0)
		abort();
	free(out1);
	free(out2);
	return 0;
}
