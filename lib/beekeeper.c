/*
 * beekeeper.c — a ledger file replayed into a registry (see beekeeper.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "beekeeper.h"
#include "diag.h"

const char *beekeeper_default_path(struct buf *b)
{
	const char *env = getenv("HIVE_LEDGER");
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	buf_reset(b);
	if (env != NULL && *env != '\0')
		buf_puts(b, env);
	else if (xdg != NULL && xdg[0] == '/')
		buf_printf(b, "%s/hive/ledger.ndjson", xdg);
	else
		buf_printf(b, "%s/.local/share/hive/ledger.ndjson", home != NULL && *home ? home : ".");
	return b->data;
}

int beekeeper_make_dir(const char *path)
{
	char *dir = xstrdup(path);
	int rc = HIVE_OK;
	/* Each missing ancestor in turn, like mkdir -p. */
	for (char *p = dir + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			diag_warn_errno("cannot create directory '%s'", dir);
			rc = HIVE_EOUTPUT;
			break;
		}
		*p = '/';
	}
	free(dir);
	return rc;
}

struct replay {
	struct beekeeper *bk;
	unsigned flags;
	int64_t stop_ms;
	bool stopped;
};

static int replay_line(void *arg, const char *line, size_t len, uint64_t lineno, off_t offset,
                       const uint8_t hash[32])
{
	struct replay *rp = arg;
	struct reg_error e;
	if (rp->stopped)
		return 0;
	int rc = registry_apply_hashed(&rp->bk->reg, line, len, hash, rp->flags, rp->stop_ms, &e);
	if (rc == REG_STOPPED) {
		rp->stopped = true;   /* later lines are read (the torn check needs the end) but not applied */
		return 0;
	}
	if (rc != HIVE_OK)
		diag_warn("ledger '%s' line %llu (byte %lld): %s", rp->bk->lg.path, (unsigned long long)lineno,
		          (long long)offset, e.msg);
	return rc;
}

int beekeeper_open(struct beekeeper *bk, const char *path, enum ledger_mode mode, unsigned flags, int64_t stop_ms)
{
	memset(bk, 0, sizeof *bk);
	int rc = ledger_open(&bk->lg, path, mode);
	if (rc != HIVE_OK)
		return rc;
	registry_init(&bk->reg);
	bk->open = true;
	struct replay rp = { bk, flags, stop_ms, false };
	rc = ledger_scan_hashed(&bk->lg, replay_line, &rp);
	if (rc != HIVE_OK)
		return rc;
	if (bk->lg.torn > 0 && mode != LEDGER_READ) {
		ledger_torn_message(&bk->lg);
		return HIVE_EINPUT;
	}
	if (mode != LEDGER_CREATE && bk->lg.lines == 0) {
		diag_warn("ledger '%s' is empty: it has no init event", path);
		return HIVE_EINPUT;
	}
	return HIVE_OK;
}

void beekeeper_warn_torn(const struct beekeeper *bk)
{
	if (bk->lg.torn > 0)
		diag_warn("ledger '%s': ignoring a torn last line of %lld bytes (an interrupted append; "
		          "'hive-beekeeper repair' mends it)",
		          bk->lg.path, (long long)bk->lg.torn);
}

int beekeeper_prepare(struct beekeeper *bk, jv op, const uint8_t seckey[32], int64_t time_ms, struct reg_error *e)
{
	HIVE_ASSERT(bk->prepared == 0);
	if (bk->unacked.len == 0)
		bk->unacked_from = bk->lg.size;
	size_t start = bk->unacked.len;
	e->msg[0] = '\0';
	int rc = registry_append(&bk->reg, op, seckey, time_ms, &bk->unacked, e);
	if (rc == HIVE_OK)
		bk->prepared = bk->unacked.len - start;
	return rc;
}

int beekeeper_write(struct beekeeper *bk)
{
	size_t start = bk->unacked.len - bk->prepared;
	int rc = HIVE_OK;
	/* One sync per event: the one under way ends before this event is written. */
	if (bk->lg.syncer != NULL)
		rc = ledger_commit_poll(&bk->lg, 1);
	if (rc == HIVE_OK)
		rc = ledger_write(&bk->lg, bk->unacked.data + start, bk->prepared);
	if (rc != HIVE_OK)
		bk->unacked.len = start;
	bk->prepared = 0;
	return rc;
}

int beekeeper_append(struct beekeeper *bk, jv op, const uint8_t seckey[32], int64_t time_ms, struct reg_error *e)
{
	int rc = beekeeper_prepare(bk, op, seckey, time_ms, e);
	return rc == HIVE_OK ? beekeeper_write(bk) : rc;
}

void beekeeper_commit_start(struct beekeeper *bk)
{
	ledger_commit_start(&bk->lg);
}

int beekeeper_ack(struct beekeeper *bk, bool wait, struct buf *out)
{
	if (wait && bk->lg.syncer != NULL)
		ledger_commit_start(&bk->lg);   /* ask for everything written so far */
	int rc = ledger_commit_poll(&bk->lg, wait);
	/* Syncs end at line boundaries: the durable part of the written lines is a prefix of them. */
	off_t durable = bk->lg.synced - bk->unacked_from;
	if (durable > (off_t)(bk->unacked.len - bk->prepared))
		durable = (off_t)(bk->unacked.len - bk->prepared);
	if (durable > 0) {
		buf_append(out, bk->unacked.data, (size_t)durable);
		memmove(bk->unacked.data, bk->unacked.data + durable, bk->unacked.len - (size_t)durable);
		bk->unacked.len -= (size_t)durable;
		bk->unacked_from += durable;
	}
	if (rc != HIVE_OK) {
		bk->unacked.len = 0;   /* cut back: never acknowledged */
		bk->prepared = 0;
	}
	return rc;
}

void beekeeper_close(struct beekeeper *bk)
{
	if (!bk->open)
		return;
	buf_free(&bk->unacked);
	registry_free(&bk->reg);
	ledger_close(&bk->lg);
	bk->open = false;
}

int beekeeper_repair(const char *path)
{
	struct beekeeper bk;
	memset(&bk, 0, sizeof bk);
	int rc = ledger_open(&bk.lg, path, LEDGER_WRITE);
	if (rc != HIVE_OK)
		return rc;
	registry_init(&bk.reg);
	bk.open = true;
	struct replay rp = { &bk, REG_CHECK_SIG, INT64_MAX, false };
	rc = ledger_scan_hashed(&bk.lg, replay_line, &rp);
	if (rc != HIVE_OK) {
		diag_warn("ledger '%s': a complete event is bad, which repair does not mend: restore the ledger from a copy",
		          path);
		beekeeper_close(&bk);
		return rc;
	}
	if (bk.lg.torn == 0) {
		diag_warn("ledger '%s': nothing to repair (%llu events, every line complete)", path,
		          (unsigned long long)bk.lg.lines);
		beekeeper_close(&bk);
		return HIVE_OK;
	}
	struct buf tail = BUF_INIT;
	rc = ledger_read_tail(&bk.lg, &tail);
	if (rc == HIVE_OK) {
		struct reg_error e;
		/* The tail is kept only when it is a whole event that extends the chain. */
		int keep = registry_apply_line(&bk.reg, tail.data, tail.len, REG_CHECK_SIG, INT64_MAX, &e) == HIVE_OK;
		long long torn = (long long)bk.lg.torn;
		rc = ledger_repair_tail(&bk.lg, keep);
		if (rc == HIVE_OK && keep)
			diag_warn("ledger '%s': the last line was a complete event without its newline: newline added, "
			          "%llu events", path, (unsigned long long)bk.lg.lines);
		else if (rc == HIVE_OK)
			diag_warn("ledger '%s': cut off %lld bytes of an unfinished append; %llu complete events kept", path,
			          torn, (unsigned long long)bk.lg.lines);
	}
	buf_free(&tail);
	beekeeper_close(&bk);
	return rc;
}
