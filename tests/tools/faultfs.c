/*
 * faultfs.c — an LD_PRELOAD shim that makes chosen writes and syncs of one
 * file fail, for I/O fault tests in the manner of SQLite's: run a command
 * once per N with "the Nth write fails", "the Nth fsync fails", "the disk
 * is full from the Nth write on", "the process dies in the middle of the
 * Nth write", and check what it acknowledged against what the file holds.
 *
 *   LD_PRELOAD=build/tools/faultfs.so FAULT_PATH=ledger.ndjson FAULT_WRITE=2 cmd…
 *
 * Only descriptors opened (open, openat) on FAULT_PATH are touched: the
 * path as the program passes it, compared whole when FAULT_PATH holds a
 * '/', else by its last component. A directory qualifies too, which is how
 * an fsync of a ledger's directory is made to fail. Calls are counted per
 * process, from 1, over every such descriptor:
 *
 *   FAULT_WRITE=N       the Nth write (write, pwrite) fails with EIO
 *   FAULT_ENOSPC=N      the Nth write and every later one fail with ENOSPC
 *   FAULT_SYNC=N        the Nth fsync or fdatasync fails with EIO
 *   FAULT_TRUNC=N       the Nth ftruncate fails with EIO
 *   FAULT_STICKY=1      FAULT_WRITE, FAULT_SYNC and FAULT_TRUNC fail every
 *                       call from the Nth on, not only the Nth (a dead disk)
 *   FAULT_SHORT=K       the Nth write of FAULT_WRITE or FAULT_ENOSPC writes
 *                       K bytes (K < 0: all but -K of them; always fewer
 *                       than asked) and returns that short count, as a
 *                       filling disk does; the error comes with the next
 *                       write
 *   FAULT_CRASH_WRITE=N the Nth write writes FAULT_SHORT bytes (default 0)
 *                       and the process kills itself with SIGKILL (a crash
 *                       in the middle of an append)
 *   FAULT_CRASH_SYNC=N  the process kills itself just before the Nth sync
 *                       (written, never made durable)
 *   FAULT_LOG=FILE      one line per counted call is appended to FILE:
 *                       "write N BYTES", "sync N", "ftruncate N LENGTH",
 *                       followed by " FAIL" when the call was made to fail
 *
 * Not covered (hive does not use them on a ledger): writev, pwritev,
 * sync_file_range, msync, descriptors made by dup, fcntl(F_DUPFD) or fopen.
 */

/* One set of names whatever the platform's defaults (Debian's 32-bit ARM
 * builds default to 64-bit off_t, which would rename open to open64 and
 * make the two definitions below clash): both are defined explicitly. */
#undef _FILE_OFFSET_BITS
#undef _TIME_BITS

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* glibc's fortified entry points: called when _FORTIFY_SOURCE is on. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);

#define MAX_FD 4096

static const char *fault_path;
static long at_write, at_enospc, at_sync, at_trunc, crash_write, crash_sync, short_len;
static int sticky;
static const char *log_path;

static unsigned char tracked[MAX_FD];      /* 1 for descriptors on FAULT_PATH */
static long n_write, n_sync, n_trunc;      /* calls so far */
static int failing;                        /* a short write was returned: the next write fails */
static int failing_errno;

static long env_long(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? strtol(v, NULL, 10) : 0;
}

__attribute__((constructor)) static void faultfs_init(void)
{
	fault_path = getenv("FAULT_PATH");
	at_write = env_long("FAULT_WRITE");
	at_enospc = env_long("FAULT_ENOSPC");
	at_sync = env_long("FAULT_SYNC");
	at_trunc = env_long("FAULT_TRUNC");
	crash_write = env_long("FAULT_CRASH_WRITE");
	crash_sync = env_long("FAULT_CRASH_SYNC");
	short_len = env_long("FAULT_SHORT");
	sticky = env_long("FAULT_STICKY") != 0;
	log_path = getenv("FAULT_LOG");
	if (log_path && !*log_path)
		log_path = NULL;
}

/* The next definition of a libc function (the real one). */
static void *real(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);
	if (f == NULL) {
		fprintf(stderr, "faultfs: no %s in libc\n", name);
		abort();
	}
	return f;
}
#define REAL(type, name) static type real_##name; if (!real_##name) real_##name = (type)real(#name)

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*open2_fn)(const char *, int);
typedef int (*close_fn)(int);
typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*pwrite64_fn)(int, const void *, size_t, off64_t);
typedef int (*sync_fn)(int);
typedef int (*trunc_fn)(int, off_t);
typedef int (*trunc64_fn)(int, off64_t);

static int is_fault_path(const char *path)
{
	if (fault_path == NULL || *fault_path == '\0' || path == NULL)
		return 0;
	if (strchr(fault_path, '/'))
		return strcmp(path, fault_path) == 0;
	const char *base = strrchr(path, '/');
	return strcmp(base ? base + 1 : path, fault_path) == 0;
}

static int is_tracked(int fd)
{
	return fd >= 0 && fd < MAX_FD && tracked[fd];
}

/* Remembers (or forgets) fd after an open of path; returns fd. */
static int note_open(int fd, const char *path)
{
	if (fd >= 0 && fd < MAX_FD)
		tracked[fd] = (unsigned char)is_fault_path(path);
	return fd;
}

/* Appends one line to FAULT_LOG with the real open and write. */
static void log_call(const char *what, long n, long long arg, int fail)
{
	REAL(open_fn, open);
	REAL(write_fn, write);
	REAL(close_fn, close);
	char line[96];
	int len;
	if (log_path == NULL)
		return;
	if (arg >= 0)
		len = snprintf(line, sizeof line, "%s %ld %lld%s\n", what, n, arg, fail ? " FAIL" : "");
	else
		len = snprintf(line, sizeof line, "%s %ld%s\n", what, n, fail ? " FAIL" : "");
	int fd = real_open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (real_write(fd, line, (size_t)len) < 0) {
			/* the log is best effort */
		}
		real_close(fd);
	}
}

/* Does the nth call of a kind fail, given the N it was asked to fail at? */
static int hits(long n, long at, int from_then_on)
{
	return at > 0 && (n == at || (from_then_on && n > at));
}

enum action { PASS, FAIL, SHORT, CRASH };

/*
 * The fate of the next write of len bytes to a tracked descriptor: PASS;
 * FAIL with errno set; SHORT, writing only *keep bytes and returning their
 * count (the caller's next write then fails); CRASH, writing *keep bytes and
 * dying.
 */
static enum action write_fault(size_t len, size_t *keep)
{
	long n = ++n_write;
	int e = at_enospc > 0 && n >= at_enospc ? ENOSPC : EIO;
	enum action a = PASS;
	if (failing) {
		a = FAIL;             /* the write after a short one */
		e = failing_errno;
		failing = 0;
	} else if (n == crash_write)
		a = CRASH;
	else if (n == at_enospc || n == at_write)
		a = short_len != 0 ? SHORT : FAIL;
	else if (hits(n, at_enospc, 1) || hits(n, at_write, sticky))
		a = FAIL;             /* the short write is the first fault's only */
	/* FAULT_SHORT's byte count, kept below len (and at 0 or more). */
	long k = short_len >= 0 ? short_len : (long)len + short_len;
	k = k < 0 ? 0 : k;
	*keep = (size_t)k < len ? (size_t)k : (len > 0 ? len - 1 : 0);
	if (a == SHORT && *keep == 0)
		a = FAIL;
	if (a == SHORT) {
		failing = 1;
		failing_errno = e;
	}
	log_call("write", n, (long long)len, a != PASS);
	if (a == FAIL)
		errno = e;
	return a;
}

ssize_t write(int fd, const void *buf, size_t len)
{
	REAL(write_fn, write);
	size_t keep = 0;
	enum action a = is_tracked(fd) ? write_fault(len, &keep) : PASS;
	if (a == FAIL)
		return -1;
	ssize_t r = real_write(fd, buf, a == PASS ? len : keep);
	if (a == CRASH)
		raise(SIGKILL);
	return r;
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	REAL(pwrite_fn, pwrite);
	size_t keep = 0;
	enum action a = is_tracked(fd) ? write_fault(len, &keep) : PASS;
	if (a == FAIL)
		return -1;
	ssize_t r = real_pwrite(fd, buf, a == PASS ? len : keep, off);
	if (a == CRASH)
		raise(SIGKILL);
	return r;
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off64_t off)
{
	REAL(pwrite64_fn, pwrite64);
	size_t keep = 0;
	enum action a = is_tracked(fd) ? write_fault(len, &keep) : PASS;
	if (a == FAIL)
		return -1;
	ssize_t r = real_pwrite64(fd, buf, a == PASS ? len : keep, off);
	if (a == CRASH)
		raise(SIGKILL);
	return r;
}

/* fsync and fdatasync share one count: either makes the file durable. */
static int sync_fault(int fd)
{
	if (!is_tracked(fd))
		return 0;
	long n = ++n_sync;
	if (n == crash_sync) {
		log_call("sync", n, -1, 1);
		raise(SIGKILL);
	}
	int fail = hits(n, at_sync, sticky);
	log_call("sync", n, -1, fail);
	if (fail)
		errno = EIO;
	return fail;
}

int fsync(int fd)
{
	REAL(sync_fn, fsync);
	return sync_fault(fd) ? -1 : real_fsync(fd);
}

int fdatasync(int fd)
{
	REAL(sync_fn, fdatasync);
	return sync_fault(fd) ? -1 : real_fdatasync(fd);
}

static int trunc_fault(int fd, long long length)
{
	if (!is_tracked(fd))
		return 0;
	long n = ++n_trunc;
	int fail = hits(n, at_trunc, sticky);
	log_call("ftruncate", n, length, fail);
	if (fail)
		errno = EIO;
	return fail;
}

int ftruncate(int fd, off_t length)
{
	REAL(trunc_fn, ftruncate);
	return trunc_fault(fd, (long long)length) ? -1 : real_ftruncate(fd, length);
}

int ftruncate64(int fd, off64_t length)
{
	REAL(trunc64_fn, ftruncate64);
	return trunc_fault(fd, (long long)length) ? -1 : real_ftruncate64(fd, length);
}

/* The mode argument is there only when the flags create a file. */
#define MODE_ARG(flags, mode)                                                  \
	do {                                                                   \
		if ((flags) & (O_CREAT | O_TMPFILE)) {                         \
			va_list ap;                                            \
			va_start(ap, flags);                                   \
			mode = va_arg(ap, mode_t);                             \
			va_end(ap);                                            \
		}                                                              \
	} while (0)

int open(const char *path, int flags, ...)
{
	REAL(open_fn, open);
	mode_t mode = 0;
	MODE_ARG(flags, mode);
	return note_open(real_open(path, flags, mode), path);
}

int open64(const char *path, int flags, ...)
{
	REAL(open_fn, open64);
	mode_t mode = 0;
	MODE_ARG(flags, mode);
	return note_open(real_open64(path, flags, mode), path);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	REAL(openat_fn, openat);
	mode_t mode = 0;
	MODE_ARG(flags, mode);
	return note_open(real_openat(dirfd, path, flags, mode), path);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	REAL(openat_fn, openat64);
	mode_t mode = 0;
	MODE_ARG(flags, mode);
	return note_open(real_openat64(dirfd, path, flags, mode), path);
}

int __open_2(const char *path, int flags)
{
	REAL(open2_fn, __open_2);
	return note_open(real___open_2(path, flags), path);
}

int __open64_2(const char *path, int flags)
{
	REAL(open2_fn, __open64_2);
	return note_open(real___open64_2(path, flags), path);
}

int close(int fd)
{
	REAL(close_fn, close);
	if (fd >= 0 && fd < MAX_FD)
		tracked[fd] = 0;
	return real_close(fd);
}
