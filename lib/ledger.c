/*
 * ledger.c — whole lines in and out of an append-only, locked, fsync'ed file
 * (see ledger.h).
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "keccak.h"
#include "ledger.h"
#include "xio.h"

#define SCAN_BLOCK (1u << 20)

int ledger_open(struct ledger *lg, const char *path, enum ledger_mode mode)
{
	return ledger_open_as(lg, path, mode, "ledger");
}

static int open_locked(struct ledger *lg, const char *path, enum ledger_mode mode, const char *noun);

int ledger_open_as(struct ledger *lg, const char *path, enum ledger_mode mode, const char *noun)
{
	memset(lg, 0, sizeof *lg);
	return open_locked(lg, path, mode, noun);
}

/* After the file was removed or replaced under our lock: open the path again (counted in lg->reopened). */
static int ledger_open_again(struct ledger *lg, const char *path, enum ledger_mode mode, const char *noun)
{
	/* A removed archive is created anew by whoever writes next. */
	struct stat st;
	if (mode == LEDGER_WRITE && stat(path, &st) != 0 && errno == ENOENT && strcmp(noun, "ledger") != 0)
		mode = LEDGER_CREATE;
	return open_locked(lg, path, mode, noun);
}

static int open_locked(struct ledger *lg, const char *path, enum ledger_mode mode, const char *noun)
{
	lg->fd = -1;
	lg->noun = noun;
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
			diag_warn("%s '%s' already exists", noun, path);
			return HIVE_EOUTPUT;
		}
		errno = e;
		if (e == ENOENT && mode != LEDGER_CREATE)
			diag_warn("%s '%s' does not exist%s", noun, path,
			          strcmp(noun, "ledger") == 0 ? " (create it with 'hive-beekeeper init')" : "");
		else
			diag_warn_errno("cannot open %s '%s'", noun, path);
		return mode == LEDGER_CREATE ? HIVE_EOUTPUT : HIVE_EINPUT;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		diag_warn("%s '%s' is not a regular file", noun, path);
		close(fd);
		return HIVE_EINPUT;
	}
	/* flock waits for the writer in front of us; EINTR only on a signal. */
	while (flock(fd, mode == LEDGER_READ ? LOCK_SH : LOCK_EX) != 0) {
		if (errno != EINTR) {
			diag_warn_errno("cannot lock %s '%s'", noun, path);
			close(fd);
			return HIVE_EINPUT;
		}
	}
	/*
	 * The file we waited for may have been removed meanwhile (hive-settle
	 * removes an archive it created when its run fails) or replaced: then
	 * open the path again, or the appends would go to a file nobody sees.
	 */
	struct stat now;
	if (mode != LEDGER_CREATE && (fstat(fd, &st) != 0 || st.st_nlink == 0 || stat(path, &now) != 0 ||
	                              now.st_dev != st.st_dev || now.st_ino != st.st_ino)) {
		close(fd);
		if (++lg->reopened > 100) {
			diag_warn("%s '%s' keeps being replaced while it is opened", noun, path);
			return HIVE_EINPUT;
		}
		return ledger_open_again(lg, path, mode, noun);
	}
	if (mode == LEDGER_CREATE && fsync_parent_dir(path) != 0) {
		diag_warn_errno("cannot make the new %s '%s' durable", noun, path);
		close(fd);
		unlink(path);
		return HIVE_EOUTPUT;
	}
	lg->fd = fd;
	lg->path = xstrdup(path);
	return HIVE_OK;
}

static void syncer_stop(struct ledger *lg);

void ledger_close(struct ledger *lg)
{
	syncer_stop(lg);
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
			diag_warn_errno("cannot read %s '%s'", lg->noun, lg->path);
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

/* ------------------------------------------------ lines and their hashes */

#define RING 16384            /* hashes computed ahead of the reader, at most */
#define PUBLISH 256           /* lines between two hand-overs */

struct hasher {
	int fd;
	pthread_mutex_t lock;
	pthread_cond_t more, room;
	uint8_t (*ring)[32];
	uint64_t produced;       /* lines hashed and handed over */
	uint64_t consumed;       /* lines the reader has taken (updated when it waits) */
	bool done, stop;
	/* the reader's side */
	uint64_t seen;           /* produced, as last read under the lock */
	ledger_hashed_fn fn;
	void *arg;
};

/* Hands over the lines hashed so far; waits while the ring is full. Returns false to stop. */
static bool hand_over(struct hasher *h, uint64_t produced)
{
	pthread_mutex_lock(&h->lock);
	h->produced = produced;
	pthread_cond_broadcast(&h->more);
	while (!h->stop && h->produced - h->consumed > RING - PUBLISH)
		pthread_cond_wait(&h->room, &h->lock);
	bool go = !h->stop;
	pthread_mutex_unlock(&h->lock);
	return go;
}

static void *hash_lines(void *arg)
{
	struct hasher *h = arg;
	char *block = xmalloc(SCAN_BLOCK);
	struct keccak256_ctx ctx;
	uint64_t n = 0;
	off_t offset = 0;
	bool go = true;
	keccak256_init(&ctx);
	while (go) {
		ssize_t got = pread(h->fd, block, SCAN_BLOCK, offset);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;   /* the reader reports read errors; it hashes what is missing itself */
		const char *p = block, *end = block + got;
		while (go && p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			keccak256_update(&ctx, p, (size_t)((nl ? nl : end) - p));
			if (nl == NULL)
				break;
			keccak256_final(&ctx, h->ring[n % RING]);
			keccak256_init(&ctx);
			if (++n % PUBLISH == 0)
				go = hand_over(h, n);
			p = nl + 1;
		}
		offset += got;
	}
	free(block);
	pthread_mutex_lock(&h->lock);
	h->produced = n;
	h->done = true;
	pthread_cond_broadcast(&h->more);
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

static int hashed_line(void *arg, const char *line, size_t len, uint64_t lineno, off_t offset)
{
	struct hasher *h = arg;
	uint8_t own[32];
	const uint8_t *hash;
	if (lineno > h->seen) {
		pthread_mutex_lock(&h->lock);
		h->consumed = lineno - 1;
		pthread_cond_broadcast(&h->room);
		while (h->produced < lineno && !h->done)
			pthread_cond_wait(&h->more, &h->lock);
		h->seen = h->produced;
		pthread_mutex_unlock(&h->lock);
	}
	if (lineno <= h->seen)
		hash = h->ring[(lineno - 1) % RING];
	else {
		/* The hasher stopped short (a read error, or the file grew): hash here. */
		if (line != NULL)
			keccak256(line, len, own);
		else
			memset(own, 0, sizeof own);
		hash = own;
	}
	return h->fn(h->arg, line, len, lineno, offset, hash);
}

int ledger_scan_hashed(struct ledger *lg, ledger_hashed_fn fn, void *arg)
{
	struct hasher h = { .fd = lg->fd, .fn = fn, .arg = arg };
	pthread_t thread;
	h.ring = xcalloc(RING, sizeof *h.ring);
	pthread_mutex_init(&h.lock, NULL);
	pthread_cond_init(&h.more, NULL);
	pthread_cond_init(&h.room, NULL);
	bool threaded = pthread_create(&thread, NULL, hash_lines, &h) == 0;
	if (!threaded)
		h.done = true;   /* no second thread: every line is hashed by the reader */
	int rc = ledger_scan(lg, hashed_line, &h);
	if (threaded) {
		pthread_mutex_lock(&h.lock);
		h.stop = true;
		pthread_cond_broadcast(&h.room);
		pthread_mutex_unlock(&h.lock);
		pthread_join(thread, NULL);
	}
	pthread_cond_destroy(&h.room);
	pthread_cond_destroy(&h.more);
	pthread_mutex_destroy(&h.lock);
	free(h.ring);
	return rc;
}

int ledger_read_tail(struct ledger *lg, struct buf *out)
{
	buf_reset(out);
	if (lg->torn > (off_t)LEDGER_LINE_MAX) {
		diag_warn("%s '%s': the torn last line is longer than any record", lg->noun, lg->path);
		return HIVE_EINPUT;
	}
	buf_reserve(out, (size_t)lg->torn);
	ssize_t n = pread(lg->fd, out->data, (size_t)lg->torn, lg->size);
	if (n != (ssize_t)lg->torn) {
		diag_warn_errno("cannot read the last line of %s '%s'", lg->noun, lg->path);
		return HIVE_EINPUT;
	}
	out->len = (size_t)n;
	out->data[n] = '\0';
	return HIVE_OK;
}

void ledger_torn_message(const struct ledger *lg)
{
	char at[512];
	snprintf(at, sizeof at, "%s '%s': line %llu is torn (%lld bytes without a newline at offset %lld: an append "
	         "was interrupted); nothing is appended until ", lg->noun, lg->path, (unsigned long long)lg->lines + 1, (long long)lg->torn,
	         (long long)lg->size);
	if (strcmp(lg->noun, "ledger") == 0)
		diag_warn("%s'hive-beekeeper --ledger %s repair' mends it", at, lg->path);
	else
		diag_warn("%sthe torn tail is cut off ('truncate -s %lld %s')", at, (long long)lg->size, lg->path);
}

/* Cuts the file back to its last durable size after a failed write or sync. */
static void roll_back(struct ledger *lg)
{
	int e = errno;
	if (ftruncate(lg->fd, lg->synced) != 0)
		diag_warn_errno("%s '%s': cannot cut back the unacknowledged appends; they may stay in the file",
		                lg->noun, lg->path);
	else if (fdatasync(lg->fd) != 0)
		diag_warn_errno("%s '%s': cut back the unacknowledged appends, but cannot make the cut durable",
		                lg->noun, lg->path);
	lg->size = lg->synced;
	errno = e;
}

int ledger_write(struct ledger *lg, const char *data, size_t len)
{
	HIVE_ASSERT(len > 0 && data[len - 1] == '\n');
	if (write_full(lg->fd, data, len) != 0) {
		int e = errno;
		syncer_stop(lg);   /* a sync under way ends first; what it made durable is kept */
		roll_back(lg);
		errno = e;
		diag_warn_errno("cannot append to %s '%s'", lg->noun, lg->path);
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
		diag_warn_errno("cannot make the appends to %s '%s' durable; they are not acknowledged", lg->noun, lg->path);
		return HIVE_EOUTPUT;
	}
	lg->synced = lg->size;
	return HIVE_OK;
}

/* ------------------------------------------------------ background syncs */

struct ledger_syncer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake, done;
	int fd;
	off_t wanted;      /* durable size asked for */
	off_t reached;     /* durable size reached */
	int error;         /* errno of a failed sync: the thread then stops */
	bool quit;
};

/*
 * Hand-overs between the writer and the sync thread are on the critical
 * path of every durable append: a condition variable's wake-up costs tens
 * of microseconds on a small machine, a third of a sync. Each side first
 * spins this many rounds (well under a sync's time) before it sleeps.
 */
#define SPIN_ROUNDS 200000

static bool spin_until_work(struct ledger_syncer *s)
{
	for (int i = 0; i < SPIN_ROUNDS; i++)
		if (__atomic_load_n(&s->quit, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&s->wanted, __ATOMIC_ACQUIRE) != __atomic_load_n(&s->reached, __ATOMIC_ACQUIRE))
			return true;
	return false;
}

static void *sync_loop(void *arg)
{
	struct ledger_syncer *s = arg;
	pthread_mutex_lock(&s->lock);
	for (;;) {
		if (!s->quit && s->wanted == s->reached) {
			pthread_mutex_unlock(&s->lock);
			spin_until_work(s);
			pthread_mutex_lock(&s->lock);
		}
		while (!s->quit && s->wanted == s->reached)
			pthread_cond_wait(&s->wake, &s->lock);
		if (s->quit)
			break;
		off_t target = s->wanted;
		pthread_mutex_unlock(&s->lock);
		int rc;
		while ((rc = fdatasync(s->fd)) != 0 && errno == EINTR)
			;
		int e = rc ? errno : 0;
		pthread_mutex_lock(&s->lock);
		if (e) {
			__atomic_store_n(&s->error, e, __ATOMIC_RELEASE);
			pthread_cond_broadcast(&s->done);
			break;
		}
		__atomic_store_n(&s->reached, target, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&s->done);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void syncer_stop(struct ledger *lg)
{
	struct ledger_syncer *s = lg->syncer;
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	__atomic_store_n(&s->quit, true, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	if (s->error == 0)
		lg->synced = s->reached;   /* what the thread made durable stays acknowledged-worthy */
	pthread_cond_destroy(&s->wake);
	pthread_cond_destroy(&s->done);
	pthread_mutex_destroy(&s->lock);
	free(s);
	lg->syncer = NULL;
}

void ledger_commit_start(struct ledger *lg)
{
	struct ledger_syncer *s = lg->syncer;
	if (s == NULL) {
		s = xcalloc(1, sizeof *s);
		s->fd = lg->fd;
		s->wanted = s->reached = lg->synced;
		pthread_mutex_init(&s->lock, NULL);
		pthread_cond_init(&s->wake, NULL);
		pthread_cond_init(&s->done, NULL);
		if (pthread_create(&s->thread, NULL, sync_loop, s) != 0) {
			free(s);
			return;   /* no thread: ledger_commit_poll syncs in the caller */
		}
		lg->syncer = s;
	}
	pthread_mutex_lock(&s->lock);
	__atomic_store_n(&s->wanted, lg->size, __ATOMIC_RELEASE);
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

int ledger_commit_poll(struct ledger *lg, int wait)
{
	struct ledger_syncer *s = lg->syncer;
	if (s == NULL)
		return wait ? ledger_commit(lg) : HIVE_OK;
	for (int i = 0; wait && i < SPIN_ROUNDS; i++)
		if (__atomic_load_n(&s->error, __ATOMIC_ACQUIRE) != 0 ||
		    __atomic_load_n(&s->reached, __ATOMIC_ACQUIRE) >= __atomic_load_n(&s->wanted, __ATOMIC_ACQUIRE))
			break;
	pthread_mutex_lock(&s->lock);
	while (wait && s->error == 0 && s->reached < s->wanted)
		pthread_cond_wait(&s->done, &s->lock);
	int e = s->error;
	off_t reached = s->reached;
	pthread_mutex_unlock(&s->lock);
	if (e == 0) {
		lg->synced = reached;
		return HIVE_OK;
	}
	/* The thread has stopped: cut back in this one, which alone writes. */
	syncer_stop(lg);
	errno = e;
	roll_back(lg);
	errno = e;
	diag_warn_errno("cannot make the appends to %s '%s' durable; they are not acknowledged", lg->noun, lg->path);
	return HIVE_EOUTPUT;
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
		diag_warn_errno("cannot repair %s '%s'", lg->noun, lg->path);
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
