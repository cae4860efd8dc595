#include "xio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

ssize_t xread(int fd, void *p, size_t n)
{
	ssize_t r;

	do
		r = read(fd, p, n);
	while (r < 0 && errno == EINTR);
	return r;
}

int write_full(int fd, const void *p, size_t n)
{
	const char *s = p;

	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0) {
			errno = ENOSPC;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int close_keep_errno(int fd)
{
	int saved = errno;
	int r = close(fd);
	errno = saved;
	return r;
}

int read_fd(int fd, struct buf *out, size_t max)
{
	size_t start = out->len;

	for (;;) {
		buf_reserve(out, 4096);
		ssize_t r = xread(fd, out->data + out->len, 4096);
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		out->len += (size_t)r;
		out->data[out->len] = '\0';
		if (out->len - start > max) {
			errno = EFBIG;
			return -1;
		}
	}
}

/* A whole file opened with the given extra flags. */
static int read_whole(const char *path, int flags, struct buf *out, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | flags);

	if (fd < 0)
		return -1;
	if (read_fd(fd, out, max) < 0) {
		close_keep_errno(fd);
		return -1;
	}
	return close(fd);
}

int read_file(const char *path, struct buf *out, size_t max)
{
	return read_whole(path, O_NOFOLLOW, out, max);
}

int read_file_following(const char *path, struct buf *out, size_t max)
{
	return read_whole(path, 0, out, max);
}

static void dir_of(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(dir, size, ".");
	else if (slash == path)
		snprintf(dir, size, "/");
	else
		snprintf(dir, size, "%.*s", (int)(slash - path), path);
}

int fsync_parent_dir(const char *path)
{
	char dir[PATH_MAX];
	int fd, r;

	dir_of(path, dir, sizeof dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = fsync(fd);
	if (r < 0)
		close_keep_errno(fd);
	else
		r = close(fd);
	return r;
}

/* Moves tmp to path unless path exists; atomic where renameat2 is supported. */
static int rename_noreplace(const char *tmp, const char *path)
{
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* Filesystems without RENAME_NOREPLACE: link(2) also refuses to replace. */
	if (link(tmp, path) < 0)
		return -1;
	return unlink(tmp);
}

int create_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                       int (*check)(const char *tmp_path, void *arg), void *arg)
{
	char tmp[PATH_MAX];
	struct stat st;
	int fd, saved;

	if (lstat(path, &st) == 0) {
		errno = EEXIST;
		return -1;
	}
	/* mkostemp's template ends in six X's, replaced by a unique suffix. */
	int n = snprintf(tmp, sizeof tmp, "%s.tmp-", path);
	if (n < 0 || (size_t)n + 7 > sizeof tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memset(tmp + n, 'X', 6);
	tmp[n + 6] = '\0';
	/* mkstemp creates 0600 with O_EXCL; fchmod sets the wanted mode before any data lands. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fchmod(fd, mode) < 0 || write_full(fd, data, len) < 0 || fsync(fd) < 0) {
		close_keep_errno(fd);
		goto fail;
	}
	if (close(fd) < 0)
		goto fail;
	if (check != NULL && check(tmp, arg) < 0)
		goto fail;
	if (rename_noreplace(tmp, path) < 0)
		goto fail;
	return fsync_parent_dir(path);
fail:
	saved = errno;
	unlink(tmp);
	errno = saved;
	return -1;
}
