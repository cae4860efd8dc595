/*
 * ledger.c — whole lines in and out of an append-only, locked, fsync'ed file
 * (see ledger.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "ledger.h"
#include "xio.h"

#define SCAN_BLOCK (1u << 20)

int ledger_open(struct ledger *lg, const char *path, enum ledger_mode mode)
{
	memset(lg, 0, sizeof *lg);
	lg->fd = -1;
	int flags = O_CLOEXEC | O_NOFOLLOW;
	if (mode == LEDGER_READ)
		flags |= O_RDONLY;
	else
		flags |= O_RDWR | O_APPEND;
	if (mode == LEDGER_CREATE)
		flags |= O_CREAT | O_EXCL;
	int fd = open(path, flags, 0644);
	if (fd < 0) {
		int e = errno;
		if (mode == LEDGER_CREATE && e == EEXIST) {
			diag_warn("ledger '%s' already exists", path);
			return HIVE_EOUTPUT;
		}
		errno = e;
		if (e == ENOENT && mode != LEDGER_CREATE)
			diag_warn("ledger '%s' does not exist (create it with 'hive-beekeeper init')", path);
		else
			diag_warn_errno("cannot open ledger '%s'", path);
		return mode == LEDGER_CREATE ? HIVE_EOUTPUT : HIVE_EINPUT;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		diag_warn("ledger '%s' is not a regular file", path);
		close(fd);
		return HIVE_EINPUT;
	}
	/* flock waits for the writer in front of us; EINTR only on a signal. */
	while (flock(fd, mode == LEDGER_READ ? LOCK_SH : LOCK_EX) != 0) {
		if (errno != EINTR) {
			diag_warn_errno("cannot lock ledger '%s'", path);
			close(fd);
			return HIVE_EINPUT;
		}
	}
	if (mode == LEDGER_CREATE && fsync_parent_dir(path) != 0) {
		diag_warn_errno("cannot make the new ledger '%s' durable", path);
		close(fd);
		unlink(path);
		return HIVE_EOUTPUT;
	}
	lg->fd = fd;
	lg->path = xstrdup(path);
	return HIVE_OK;
}

void ledger_close(struct ledger *lg)
{
	if (lg->fd >= 0)
		close(lg->fd);   /* releases the lock */
	free(lg->path);
	lg->fd = -1;
	lg->path = NULL;
}

int ledger_scan(struct ledger *lg, ledger_line_fn fn, void *arg)
{
	struct buf pending = BUF_INIT;   /* a line that spans two blocks */
	size_t pending_len = 0;          /* its length, even past LEDGER_LINE_MAX (not kept then) */
	char *block = xmalloc(SCAN_BLOCK);
	off_t offset = 0;                /* file offset of the first byte of block */
	off_t line_start = 0;
	uint64_t lineno = 0;
	int rc = 0;

	lg->size = 0;
	lg->lines = 0;
	lg->torn = 0;
	for (;;) {
		ssize_t n = pread(lg->fd, block, SCAN_BLOCK, offset);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			diag_warn_errno("cannot read ledger '%s'", lg->path);
			rc = HIVE_EINPUT;
			break;
		}
		if (n == 0)
			break;
		const char *p = block, *end = block + n;
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t chunk = (size_t)((nl ? nl : end) - p);
			if (nl == NULL || pending_len > 0) {
				if (pending_len + chunk <= LEDGER_LINE_MAX)
					buf_append(&pending, p, chunk);
				pending_len += chunk;
				if (nl == NULL)
					break;
			}
			const char *line = pending_len > 0 ? pending.data : p;
			size_t len = pending_len > 0 ? pending_len : chunk;
			lineno++;
			rc = fn(arg, len > LEDGER_LINE_MAX ? NULL : line, len, lineno, line_start);
			buf_reset(&pending);
			pending_len = 0;
			line_start = offset + (nl - block) + 1;
			lg->size = line_start;
			lg->lines = lineno;
			if (rc != 0)
				goto out;
			p = nl + 1;
		}
		offset += n;
	}
	lg->torn = offset - line_start;
out:
	lg->synced = lg->size;
	buf_free(&pending);
	free(block);
	return rc;
}

int ledger_read_tail(struct ledger *lg, struct buf *out)
{
	buf_reset(out);
	if (lg->torn > (off_t)LEDGER_LINE_MAX) {
		diag_warn("ledger '%s': the torn last line is longer than any record", lg->path);
		return HIVE_EINPUT;
	}
	buf_reserve(out, (size_t)lg->torn);
	ssize_t n = pread(lg->fd, out->data, (size_t)lg->torn, lg->size);
	if (n != (ssize_t)lg->torn) {
		diag_warn_errno("cannot read the last line of ledger '%s'", lg->path);
		return HIVE_EINPUT;
	}
	out->len = (size_t)n;
	out->data[n] = '\0';
	return HIVE_OK;
}

void ledger_torn_message(const struct ledger *lg)
{
	diag_warn("ledger '%s': line %llu is torn (%lld bytes without a newline at offset %lld: an append "
	          "was interrupted); nothing is appended until 'hive-beekeeper --ledger %s repair' mends it",
	          lg->path, (unsigned long long)lg->lines + 1, (long long)lg->torn, (long long)lg->size, lg->path);
}

/* Cuts the file back to its last durable size after a failed write or sync. */
static void roll_back(struct ledger *lg)
{
	int e = errno;
	if (ftruncate(lg->fd, lg->synced) != 0)
		diag_warn_errno("ledger '%s': cannot cut back the unacknowledged appends; they may stay in the "
		                "ledger (see 'hive-beekeeper verify')",
		                lg->path);
	else if (fdatasync(lg->fd) != 0)
		diag_warn_errno("ledger '%s': cut back the unacknowledged appends, but cannot make the cut durable",
		                lg->path);
	lg->size = lg->synced;
	errno = e;
}

int ledger_write(struct ledger *lg, const char *data, size_t len)
{
	HIVE_ASSERT(len > 0 && data[len - 1] == '\n');
	if (write_full(lg->fd, data, len) != 0) {
		int e = errno;
		roll_back(lg);
		errno = e;
		diag_warn_errno("cannot append to ledger '%s'", lg->path);
		return HIVE_EOUTPUT;
	}
	lg->size += (off_t)len;
	return HIVE_OK;
}

int ledger_commit(struct ledger *lg)
{
	if (lg->synced == lg->size)
		return HIVE_OK;
	while (fdatasync(lg->fd) != 0) {
		if (errno == EINTR)
			continue;
		int e = errno;
		roll_back(lg);
		errno = e;
		diag_warn_errno("cannot make the appends to ledger '%s' durable; they are not acknowledged", lg->path);
		return HIVE_EOUTPUT;
	}
	lg->synced = lg->size;
	return HIVE_OK;
}

int ledger_repair_tail(struct ledger *lg, int keep_tail)
{
	HIVE_ASSERT(lg->torn > 0);
	int bad;
	if (keep_tail)
		bad = write_full(lg->fd, "\n", 1) != 0;
	else
		bad = ftruncate(lg->fd, lg->size) != 0;
	if (bad || fdatasync(lg->fd) != 0) {
		diag_warn_errno("cannot repair ledger '%s'", lg->path);
		return HIVE_EOUTPUT;
	}
	if (keep_tail) {
		lg->size += lg->torn + 1;
		lg->lines++;
	}
	lg->torn = 0;
	lg->synced = lg->size;
	return HIVE_OK;
}
