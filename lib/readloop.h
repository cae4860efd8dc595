/*
 * readloop.h — what every hive-read source does with a decoded reading:
 * write it as a "reading" record, feed its registers to the interval
 * apportioner, write "interval" and "event" records, and stop after --count.
 *
 * Ownership: a struct readloop owns its buffers and interval state; the
 * strings in its context are borrowed and must outlive it.
 */
#ifndef HIVE_READLOOP_H
#define HIVE_READLOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "interval.h"
#include "reading.h"
#include "readrec.h"
#include "record.h"

enum readloop_clock { READLOOP_CLOCK_METER, READLOOP_CLOCK_HOST };

struct readloop_config {
	struct readrec_context ctx;
	bool readings;              /* write "reading" records */
	bool intervals;             /* write "interval" records (and their events) */
	struct interval_config interval;
	enum readloop_clock clock;  /* which clock times the interval samples */
	uint64_t count;             /* stop after this many readings (0: no limit) */
};

struct readloop {
	struct readloop_config cfg;
	struct rec_loop out;        /* the writer: one whole line per write(2) */
	struct interval_state iv;
	struct buf line;
	uint64_t readings;          /* readings handled */
	uint64_t refused;           /* readings refused (a negative cumulative register) */
	bool done;                  /* the count is reached, or output failed */
};

/* Returns 0, or -1 when the interval configuration is invalid. */
int readloop_init(struct readloop *l, const struct readloop_config *cfg, int out_fd);
/* Handles one reading received at host_ms. Returns 0, or -1 when output failed (exit HIVE_EOUTPUT). */
int readloop_reading(struct readloop *l, const struct reading *r, int64_t host_ms);
/* Writes an "event" record. Returns 0 or -1 as above. */
int readloop_event(struct readloop *l, const char *kind, int64_t time_ms, const char *detail, int64_t count);
/* Writes a "frame" record (for --raw). */
int readloop_frame(struct readloop *l, const char *protocol, const uint8_t *bytes, size_t len,
                   uint64_t offset, bool accepted);
/* Flushes the last partial interval. Returns 0 or -1. */
int readloop_finish(struct readloop *l);
void readloop_free(struct readloop *l);

#endif
