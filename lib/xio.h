/*
 * xio.h — robust file I/O: retries on EINTR, whole writes, durable creation.
 *
 * Ownership: callers own every buffer; read_file() fills a caller's struct buf.
 * Functions return 0 on success and -1 with errno set on failure, so the
 * caller names the file in its diagnostic.
 */
#ifndef HIVE_XIO_H
#define HIVE_XIO_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"

/* read(2) retried on EINTR. */
ssize_t xread(int fd, void *p, size_t n);
/* Writes all n bytes; a write that makes no progress fails with ENOSPC. */
int write_full(int fd, const void *p, size_t n);
/* Appends everything readable from fd to out; EFBIG past max bytes. */
int read_fd(int fd, struct buf *out, size_t max);
/*
 * Appends the whole file at path to out, refusing symbolic links (O_NOFOLLOW)
 * and files over max bytes (EFBIG).
 */
int read_file(const char *path, struct buf *out, size_t max);
/* read_file, following symbolic links (zoneinfo trees and /etc are full of them). */
int read_file_following(const char *path, struct buf *out, size_t max);
/* fsync(2) of the directory holding path, so a rename or creation there is durable. */
int fsync_parent_dir(const char *path);

/*
 * Creates path holding data with the given mode, the way geth writes keystores:
 * into a temporary file in the same directory (O_EXCL, mode set at creation),
 * fsync'ed, closed, then check(tmp_path, arg) re-opens and checks it, then it is
 * renamed into place without ever replacing an existing file (EEXIST), and the
 * directory is fsync'ed. On any failure the temporary file is removed.
 * check may be NULL; it returns 0 to accept, or -1 with errno set.
 */
int create_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                       int (*check)(const char *tmp_path, void *arg), void *arg);

#endif
