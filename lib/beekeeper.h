/*
 * beekeeper.h — the Beekeeper's ledger file and its registry together:
 * open a ledger, replay it into a registry, append signed events durably,
 * verify it, repair a torn last line. hive-beekeeper(1) is a thin shell
 * around this module.
 *
 * Ownership: struct beekeeper owns its ledger and registry
 * (beekeeper_close). Diagnostics go through diag.h.
 */
#ifndef HIVE_BEEKEEPER_H
#define HIVE_BEEKEEPER_H

#include <stdbool.h>
#include <stdint.h>
#include <jv.h>

#include "buf.h"
#include "ledger.h"
#include "registry.h"

struct beekeeper {
	struct ledger lg;
	struct registry reg;
	bool open;
	struct buf unacked;      /* lines written and not yet known durable, then the one prepared */
	size_t prepared;         /* length of the line prepared and not yet written (at the end of unacked) */
	off_t unacked_from;      /* the ledger offset of the first of them */
};

/*
 * The ledger path when --ledger is not given: $HIVE_LEDGER, else
 * $XDG_DATA_HOME/hive/ledger.ndjson, else ~/.local/share/hive/ledger.ndjson.
 * Written into b; returns b's text.
 */
const char *beekeeper_default_path(struct buf *b);

/* Creates the parent directory of a ledger path (mode 0700) when missing. Returns an exit code. */
int beekeeper_make_dir(const char *path);

/*
 * Opens the ledger and replays it (flags: REG_CHECK_SIG to check every
 * signature too) up to the last event at or before stop_ms (INT64_MAX for
 * all). LEDGER_WRITE refuses a torn last line; LEDGER_READ uses the
 * complete lines (bk->lg.torn tells; see beekeeper_warn_torn). A bad event is reported as "ledger 'F' line N (byte B):
 * why" and its exit code returned.
 */
int beekeeper_open(struct beekeeper *bk, const char *path, enum ledger_mode mode, unsigned flags, int64_t stop_ms);

/* Warns that a torn last line was left out of a read, when there is one. */
void beekeeper_warn_torn(const struct beekeeper *bk);

/*
 * Makes, checks, signs and writes one event (op is consumed; see
 * registry_append). It is not yet durable: its line waits in bk->unacked
 * until a commit covers it. A refused operation changes nothing and
 * explains itself in e->msg for the caller to report; an I/O failure is
 * reported here (e->msg empty). Returns an exit code.
 */
int beekeeper_append(struct beekeeper *bk, jv op, const uint8_t seckey[32], int64_t time_ms, struct reg_error *e);

/*
 * beekeeper_append in two steps, so that an event is made and signed while
 * the disk syncs the one before: beekeeper_prepare makes it (applied to the
 * registry, not yet written), beekeeper_write writes it — after the sync
 * under way (beekeeper_commit_start) has finished, so that each event gets
 * a sync of its own.
 */
int beekeeper_prepare(struct beekeeper *bk, jv op, const uint8_t seckey[32], int64_t time_ms, struct reg_error *e);
int beekeeper_write(struct beekeeper *bk);

/*
 * Acknowledges events: moves the lines of the events made durable so far
 * from bk->unacked to out. With wait, first makes every event written
 * durable (fdatasync) and waits for it; without, it only collects what the
 * background sync (beekeeper_commit_start) has finished. Returns an exit
 * code; after a failed sync nothing more is acknowledged.
 */
int beekeeper_ack(struct beekeeper *bk, bool wait, struct buf *out);

/* Starts a background sync of every event written so far (see ledger_commit_start). */
void beekeeper_commit_start(struct beekeeper *bk);

void beekeeper_close(struct beekeeper *bk);

/*
 * Mends a torn last line: one that is a complete, valid next event gets its
 * newline back (it is never dropped); anything else is cut off. Reports what
 * it did on stderr. Returns an exit code.
 */
int beekeeper_repair(const char *path);

#endif
