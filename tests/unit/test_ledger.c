/*
 * test_ledger — whole lines in and out of the ledger file: lines that span
 * read blocks, an over-long line, a torn tail, appends, commit and repair.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "diag.h"
#include "ledger.h"
#include "buf.h"
#include "keccak.h"

struct seen {
	uint64_t lines, oversize;
	size_t bytes;
	int in_order;
};

static int count_line(void *arg, const char *line, size_t len, uint64_t lineno, off_t offset)
{
	struct seen *s = arg;
	s->in_order &= lineno == s->lines + 1 && (size_t)offset == s->bytes;
	s->lines++;
	s->bytes += len + 1;
	if (line == NULL)
		s->oversize++;
	else
		/* Each test line is made of one repeated letter: check it arrived whole. */
		for (size_t i = 1; i < len; i++)
			s->in_order &= line[i] == line[0];
	return 0;
}

/* Each line's hash from the second thread must be the keccak256 of its bytes. */
struct hashes {
	uint64_t lines, right;
};

static int check_hash(void *arg, const char *line, size_t len, uint64_t lineno, off_t offset, const uint8_t hash[32])
{
	struct hashes *h = arg;
	uint8_t want[32];
	h->lines++;
	if (line != NULL) {
		keccak256(line, len, want);
		h->right += memcmp(want, hash, 32) == 0;
	}
	return 0;
}

static void write_file(const char *path, const struct buf *b)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	HIVE_ASSERT(fd >= 0 && write(fd, b->data, b->len) == (ssize_t)b->len);
	close(fd);
}

int main(void)
{
	char dir[] = "/tmp/test_ledger.XXXXXX";
	HIVE_ASSERT(mkdtemp(dir) != NULL);
	char path[64];
	snprintf(path, sizeof path, "%s/l.ndjson", dir);
	diag_redirect(fopen("/dev/null", "w"));

	/* 3,000 lines of 1,000 bytes: several cross the 1 MiB read blocks. */
	struct buf b = BUF_INIT;
	for (int i = 0; i < 3000; i++) {
		for (int k = 0; k < 1000; k++)
			buf_putc(&b, (char)('a' + i % 26));
		buf_putc(&b, '\n');
	}
	size_t complete = b.len;
	buf_puts(&b, "zzzz");   /* a torn tail */
	write_file(path, &b);

	struct ledger lg;
	struct seen s = { 0, 0, 0, 1 };
	CHECK_INTEQ(ledger_open(&lg, path, LEDGER_READ), HIVE_OK);
	CHECK_INTEQ(ledger_scan(&lg, count_line, &s), 0);
	CHECK_INTEQ(s.lines, 3000);
	CHECK(s.in_order);
	CHECK_INTEQ(lg.size, complete);
	CHECK_INTEQ(lg.torn, 4);
	struct buf tail = BUF_INIT;
	CHECK_INTEQ(ledger_read_tail(&lg, &tail), HIVE_OK);
	/* The same lines with their hashes from the hashing thread (its ring wraps several times). */
	struct hashes h = { 0, 0 };
	CHECK_INTEQ(ledger_scan_hashed(&lg, check_hash, &h), 0);
	CHECK_INTEQ(h.lines, 3000);
	CHECK_INTEQ(h.right, 3000);
	CHECK_STREQ(tail.data, "zzzz");
	ledger_close(&lg);

	/* Repair cuts the tail; an append then lands after the last complete line. */
	CHECK_INTEQ(ledger_open(&lg, path, LEDGER_WRITE), HIVE_OK);
	s = (struct seen){ 0, 0, 0, 1 };
	ledger_scan(&lg, count_line, &s);
	CHECK_INTEQ(ledger_repair_tail(&lg, 0), HIVE_OK);
	CHECK_INTEQ(ledger_write(&lg, "yy\n", 3), HIVE_OK);
	CHECK_INTEQ(ledger_commit(&lg), HIVE_OK);
	CHECK_INTEQ(lg.synced, complete + 3);
	/* Syncs on the second thread: each poll with wait reaches what was written. */
	for (int i = 0; i < 50; i++) {
		CHECK_INTEQ(ledger_write(&lg, "ww\n", 3), HIVE_OK);
		ledger_commit_start(&lg);
		CHECK_INTEQ(ledger_commit_poll(&lg, i % 2), HIVE_OK);
	}
	CHECK_INTEQ(ledger_commit_poll(&lg, 1), HIVE_OK);
	CHECK_INTEQ(lg.synced, complete + 3 + 150);
	ledger_close(&lg);
	CHECK_INTEQ(ledger_open(&lg, path, LEDGER_READ), HIVE_OK);
	s = (struct seen){ 0, 0, 0, 1 };
	ledger_scan(&lg, count_line, &s);
	CHECK_INTEQ(s.lines, 3051);
	CHECK_INTEQ(lg.torn, 0);
	ledger_close(&lg);

	/* A tail that is whole but for its newline is kept by repair. */
	buf_reset(&b);
	buf_puts(&b, "aaa\nbbb");
	write_file(path, &b);
	CHECK_INTEQ(ledger_open(&lg, path, LEDGER_WRITE), HIVE_OK);
	s = (struct seen){ 0, 0, 0, 1 };
	ledger_scan(&lg, count_line, &s);
	CHECK_INTEQ(ledger_repair_tail(&lg, 1), HIVE_OK);
	CHECK_INTEQ(lg.lines, 2);
	ledger_close(&lg);
	CHECK_INTEQ(ledger_open(&lg, path, LEDGER_READ), HIVE_OK);
	s = (struct seen){ 0, 0, 0, 1 };
	ledger_scan(&lg, count_line, &s);
	CHECK_INTEQ(s.lines, 2);
	CHECK_INTEQ(lg.torn, 0);
	ledger_close(&lg);

	/* A line longer than LEDGER_LINE_MAX is passed as NULL, and the next one is still read. */
	buf_reset(&b);
	for (size_t k = 0; k < LEDGER_LINE_MAX + 10; k++)
		buf_putc(&b, 'q');
	buf_puts(&b, "\nrr\n");
	write_file(path, &b);
	CHECK_INTEQ(ledger_open(&lg, path, LEDGER_READ), HIVE_OK);
	s = (struct seen){ 0, 0, 0, 1 };
	ledger_scan(&lg, count_line, &s);
	CHECK_INTEQ(s.lines, 2);
	CHECK_INTEQ(s.oversize, 1);
	CHECK(s.in_order);
	h = (struct hashes){ 0, 0 };
	CHECK_INTEQ(ledger_scan_hashed(&lg, check_hash, &h), 0);
	CHECK_INTEQ(h.lines, 2);
	CHECK_INTEQ(h.right, 1);   /* the over-long line comes as NULL, its neighbour with its hash */
	ledger_close(&lg);

	/* CREATE never takes an existing file; READ never makes one. */
	CHECK_INTEQ(ledger_open(&lg, path, LEDGER_CREATE), HIVE_EOUTPUT);
	char missing[80];
	snprintf(missing, sizeof missing, "%s/none", dir);
	CHECK_INTEQ(ledger_open(&lg, missing, LEDGER_READ), HIVE_EINPUT);
	CHECK(access(missing, F_OK) != 0);

	unlink(path);
	rmdir(dir);
	buf_free(&b);
	buf_free(&tail);
	return check_done("test_ledger");
}
