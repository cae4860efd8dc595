/*
 * ledger.h — an append-only NDJSON file shared by several processes: one
 * record per line, appends serialised by a lock and made durable by
 * fdatasync before they are acknowledged, a torn last line (a crash in the
 * middle of an append) detected and repaired without losing a complete line.
 *
 * What the lines mean (the Beekeeper's hash-chained events) is registry.h's
 * business; this module only moves whole lines to and from the file.
 *
 * Ownership: struct ledger owns its descriptor and a copy of the path;
 * ledger_close releases both. Line pointers handed to a ledger_line_fn are
 * valid only during the call.
 */
#ifndef HIVE_LEDGER_H
#define HIVE_LEDGER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Longest line accepted; longer ones are malformed. */
#define LEDGER_LINE_MAX (1u << 20)

enum ledger_mode {
	LEDGER_READ,    /* shared lock: no append can be half-way while we read */
	LEDGER_WRITE,   /* exclusive lock, held until ledger_close */
	LEDGER_CREATE   /* a new file (never an existing one), exclusive lock */
};

struct ledger_syncer;

struct ledger {
	int fd;
	char *path;
	off_t size;          /* bytes of complete lines known (read or written) */
	off_t synced;        /* bytes known durable: ledger_commit moves it up */
	uint64_t lines;      /* complete lines known */
	off_t torn;          /* bytes after the last newline found by ledger_scan */
	struct ledger_syncer *syncer;   /* the background sync thread, once started */
	const char *noun;    /* what diagnostics call the file: "ledger", "archive" */
	unsigned reopened;   /* times the path was opened again after the file was removed or replaced */
};

/*
 * Opens (or creates, mode 0644, its directory fsync'ed) and locks the
 * ledger. Returns an exit code from diag.h with a diagnostic on failure:
 * HIVE_EINPUT when it is missing or unreadable, HIVE_EOUTPUT when a new one
 * cannot be created or already exists.
 */
int ledger_open(struct ledger *lg, const char *path, enum ledger_mode mode);
/* The same for another kind of append-only file, which diagnostics call noun (a string constant). */
int ledger_open_as(struct ledger *lg, const char *path, enum ledger_mode mode, const char *noun);
void ledger_close(struct ledger *lg);

/*
 * Calls fn for every complete line from the start of the file (without its
 * newline; lineno counts from 1), reading in blocks so memory stays flat. A
 * non-zero return from fn stops the scan and is returned. After the scan,
 * lg->size ends the last complete line and lg->torn counts the bytes of an
 * unterminated last line, if any (reported by the caller: see ledger_torn_message).
 * Returns 0, fn's non-zero value, or an exit code after a read error.
 */
typedef int (*ledger_line_fn)(void *arg, const char *line, size_t len, uint64_t lineno, off_t offset);
int ledger_scan(struct ledger *lg, ledger_line_fn fn, void *arg);

/*
 * ledger_scan, with the keccak256 of each complete line's bytes computed on
 * a second thread while fn works on the lines before it: replaying a hash
 * chain spends a fifth of its time hashing, and a Raspberry Pi has cores
 * to spare.
 */
typedef int (*ledger_hashed_fn)(void *arg, const char *line, size_t len, uint64_t lineno, off_t offset,
                                const uint8_t hash[32]);
int ledger_scan_hashed(struct ledger *lg, ledger_hashed_fn fn, void *arg);

/* Reads the torn tail found by ledger_scan into out (replacing its content). Returns an exit code. */
struct buf;
int ledger_read_tail(struct ledger *lg, struct buf *out);

/* Prints the diagnostic for a torn last line, naming the repair command. */
void ledger_torn_message(const struct ledger *lg);

/*
 * Appends whole lines (data ends with a newline) at the end of the file,
 * not yet durable. On a write error (a full disk too) the file is cut back
 * to what ledger_commit last made durable and HIVE_EOUTPUT is returned.
 */
int ledger_write(struct ledger *lg, const char *data, size_t len);

/*
 * Makes every write so far durable (fdatasync). On failure the file is cut
 * back to its last durable size, the failure reported, and HIVE_EOUTPUT
 * returned: nothing written since the last commit may be acknowledged.
 */
int ledger_commit(struct ledger *lg);

/*
 * Starts making every write so far durable on a second thread and returns
 * at once, so the next event can be prepared while the disk works; each
 * event is still acknowledged only after a sync that covers it.
 * ledger_commit_wait (wait non-zero) or ledger_commit_poll learns how far
 * the syncs got: lg->synced. A failed sync is handled as in ledger_commit
 * (cut back, reported, HIVE_EOUTPUT) by the call that learns of it.
 */
void ledger_commit_start(struct ledger *lg);
int ledger_commit_poll(struct ledger *lg, int wait);

/*
 * Repairs a torn last line: keep_tail non-zero appends the missing newline
 * (the tail is a complete record: the caller has checked it), zero cuts the
 * tail off. Durable before it returns. Returns an exit code.
 */
int ledger_repair_tail(struct ledger *lg, int keep_tail);

#endif
