/*
 * record.h — the NDJSON record loop every hive filter shares.
 *
 * Ownership: the loop owns each record's jv and raw line; a handler borrows
 * them for the duration of its call (jv_copy what it keeps). Functions that
 * take a jv to write borrow it too.
 *
 * Policy (documented in hive-records(5)): one JSON object per line. A line
 * that is not a JSON object, is not UTF-8, repeats a member name, holds an
 * integer a double cannot keep exactly (see jsonscan.h), or that a handler rejects, is
 * reported on stderr with its line number and left out of the output; the
 * rest of the stream is still processed and the run ends with HIVE_EBAD.
 * With strict set the loop stops at the first bad line. Blank lines are
 * skipped; line ends (LF or CRLF) and trailing white space are dropped. Output is written one whole line per write(2); a write error
 * ends the run with HIVE_EOUTPUT.
 */
#ifndef HIVE_RECORD_H
#define HIVE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jv.h>

#include "buf.h"
#include "jsonview.h"

struct rec {
	jv value;               /* the parsed object (jv_invalid in view mode) */
	const struct jsonview *view;   /* view mode: its top-level members; NULL (and value set) for a
	                                  strict object a view cannot hold: more than JSONVIEW_MAX members */
	bool strict;            /* view mode: the line had the strict pass (jsonscan.h); see handle_view */
	const char *line;       /* its bytes as read, without the line terminator */
	size_t len;
	const char *source;     /* file name as given, or NULL for standard input */
	unsigned long lineno;   /* 1-based, counted per source */
};

struct rec_loop {
	bool strict;            /* stop at the first bad line */
	int out_fd;             /* where records go (normally 1) */
	unsigned long read;     /* records read */
	unsigned long bad;      /* lines rejected */
	unsigned long written;  /* lines written */
	bool stop;              /* set by a handler or by strict mode to end the loop */
	int fatal;              /* non-zero exit code of a fatal error */
	struct buf scratch;     /* output assembly, reused between records */
	int rejects_fd;         /* -1, or where every rejected line goes as a "reject" record */
	bool view_mode;         /* hand records over as a jsonview, not parsed into jq values (much faster);
	                           flat objects whose view parses skip the strict pass until rec_pass */
};

/*
 * A handler returns 0 when it dealt with the record (written it, or decided
 * to drop it), or -1 after rec_reject(). It may set loop->fatal to end the run.
 */
typedef int (*rec_handler)(struct rec_loop *loop, const struct rec *r, void *arg);

void rec_loop_init(struct rec_loop *loop, int out_fd, bool strict);
void rec_loop_free(struct rec_loop *loop);

/*
 * Runs handler over every record of the files (none, or "-", means standard
 * input). An unreadable file is reported and skipped (HIVE_EINPUT at the end).
 * Returns the run's exit code: HIVE_OK, HIVE_EBAD, HIVE_EINPUT, HIVE_EOUTPUT
 * or the handler's fatal code.
 */
int rec_loop_run(struct rec_loop *loop, char *const files[], int nfiles, rec_handler handler, void *arg);

/*
 * Runs handler over the records of one open stream (source names it in
 * diagnostics; NULL means standard input). rec_loop_run() is built on it.
 */
void rec_loop_stream(struct rec_loop *loop, FILE *in, const char *source, rec_handler handler, void *arg);

/*
 * rec_loop_stream for a process that must also act on time (a Queen
 * waiting for late Workers): reads the file descriptor fd as it comes, and
 * before each wait asks wait_ms(arg) how long it may wait at most (-1: as
 * long as it takes); when that passes with no new line, calls
 * on_timeout(loop, arg). Lines are handled as soon as they are complete; a
 * last line without a newline at the end of input is handled too. A line
 * longer than REC_POLL_LINE_MAX is reported and skipped as it comes.
 */
#define REC_POLL_LINE_MAX (16u << 20)
void rec_loop_poll(struct rec_loop *loop, int fd, const char *source, rec_handler handler,
                   long (*wait_ms)(void *arg), void (*on_timeout)(struct rec_loop *loop, void *arg), void *arg);

/*
 * Reports a bad record as "prog: line N: message" (or "prog: 'file' line N: …") and counts it.
 * With rejects_fd set, the line also goes there, in one write, as
 *   {"line":N,"program":P,"reason":MESSAGE,"source":FILE|null,"text":LINE,"type":"reject"}
 * (RFC 8785 order; "hex" instead of "text" when the line is not UTF-8); a failed write there is fatal.
 */
void rec_reject(struct rec_loop *loop, const struct rec *r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * The checks every line gets before it is read as a record: UTF-8, no NUL,
 * strict JSON (jsonscan.h). Returns 0, or -1 with *offset at the bad byte
 * and *why a static reason.
 */
int rec_strict(const char *line, size_t len, size_t *offset, const char **why);

/*
 * A view-mode line that skipped the strict pass (a flat object) gets it
 * now, rejected as any line is when it fails: false then. True for every
 * other line. For a handler that reads a record some other way than its view.
 */
bool rec_checked(struct rec_loop *loop, const struct rec *r);

/* Writes the record's bytes exactly as read, and a newline. Returns 0 or -1 (fatal set). */
int rec_pass(struct rec_loop *loop, const struct rec *r);
/* Writes len bytes and a newline in one write. Returns 0 or -1 (fatal set). */
int rec_write(struct rec_loop *loop, const char *data, size_t len);

/* The record's "type" string (escapes decoded), or NULL when it has none, it is not a string or holds a NUL. */
const char *rec_type(const struct rec *r);

/*
 * Looks up a top-level string member; returns its bytes or NULL when absent,
 * not a string or holding a NUL. The pointer stays valid while the record is.
 */
const char *rec_string(const struct rec *r, const char *key);

#endif
