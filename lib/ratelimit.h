/*
 * ratelimit.h — diagnostics that never flood: the same kind of message is
 * printed the first time, then at most once per interval with a count of
 * the ones held back, and a summary of what is still pending at the end.
 *
 * Ownership: a struct ratelimit is plain data in caller memory (a fixed table,
 * no allocation); it keeps copies of the texts it holds back and borrows
 * nothing.
 *
 * Messages of one kind share a key — by default their format string, so
 * "bad crc at byte %zu" is one kind whatever the offset. Within an interval
 * of the kind's last printed message the others are counted, not printed;
 * the next one after the interval is printed as "text (N more since
 * HH:MM:SSZ)", N counting those held back since that UTC time.
 * ratelimit_flush() prints, for each kind with a count, its last held-back
 * message as "text (last of N more since HH:MM:SSZ)". The table holds
 * RATELIMIT_KINDS kinds; a new kind evicts the least recently seen one,
 * flushing its count first, so no count is ever lost. Everything goes
 * through diag_warn (diag.h). Not thread-safe: one per thread.
 */
#ifndef HIVE_RATELIMIT_H
#define HIVE_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define RATELIMIT_KINDS 16
#define RATELIMIT_TEXT 512          /* a longer held-back text is truncated */
#define RATELIMIT_INTERVAL_S 60

struct ratelimit_kind {
	uint64_t hash;              /* of the key; 0: free slot */
	time_t last_printed;        /* when this kind was last printed */
	time_t last_seen;           /* for eviction */
	unsigned long held;         /* held back since last_printed */
	char text[RATELIMIT_TEXT];  /* the last held-back message */
};

typedef time_t ratelimit_clock_fn(void *arg);

struct ratelimit {
	unsigned interval_s;
	ratelimit_clock_fn *now;    /* NULL: time(NULL); tests inject their own */
	void *now_arg;
	struct ratelimit_kind kinds[RATELIMIT_KINDS];
};

/* An empty table with the given interval in seconds (0: RATELIMIT_INTERVAL_S). */
void ratelimit_init(struct ratelimit *rl, unsigned interval_s);
/*
 * Warns "prog: message" unless a message with the same key (NULL: fmt
 * itself) was printed less than the interval ago; then counts it. Returns
 * true when it printed.
 */
bool ratelimit_warn(struct ratelimit *rl, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prints the pending count of every kind and forgets it (at shutdown, or now and then). */
void ratelimit_flush(struct ratelimit *rl);

#endif
