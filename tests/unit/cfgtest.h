/*
 * cfgtest.h — what the unit tests of the configuration files (test_assets,
 * test_tariff) share: at() reads a test's RFC 3339 time, and
 * capture_begin()/capture_end() catch the diagnostics (diag.h) written in
 * between, such as a load's refusal.
 */
#ifndef HIVE_CFGTEST_H
#define HIVE_CFGTEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "timeutil.h"

/* The time in ms since the epoch; a time the test wrote wrong ends the run. */
static inline int64_t at(const char *rfc3339)
{
	int64_t ms = 0;
	const char *why;
	if (rfc3339_parse(&ms, rfc3339, strlen(rfc3339), &why) < 0) {
		printf("bad time in test: %s\n", rfc3339);
		exit(1);
	}
	return ms;
}

/* Diagnostics caught in memory from capture_begin to capture_end. */
struct capture {
	char *out;
	size_t len;
	FILE *stream;
};

static inline void capture_begin(struct capture *c)
{
	c->out = NULL;
	c->len = 0;
	c->stream = open_memstream(&c->out, &c->len);
	if (c->stream == NULL) {
		perror("open_memstream");
		exit(1);
	}
	diag_redirect(c->stream);
}

/* Ends the capture: msg is reset to what was written; returns its length. */
static inline size_t capture_end(struct capture *c, struct buf *msg)
{
	diag_redirect(NULL);
	fclose(c->stream);
	size_t len = c->len;
	buf_reset(msg);
	buf_append(msg, c->out, len);
	free(c->out);
	c->out = NULL;
	c->stream = NULL;
	return len;
}

#endif
