/*
 * dsmr.h — DSMR P1 telegrams (DSMR 2.2, 3.0, 4.x, 5.x, Belgian e-MUCS,
 * Luxembourg Smarty after decryption): a framer that cuts a byte stream into
 * telegram candidates, and a parser from one telegram to a struct reading.
 *
 * Ownership: the framer owns a fixed buffer inside its struct (no
 * allocation); a frame handed to the callback lives only during the call.
 * dsmr_parse() reads the caller's bytes and writes only the caller's reading.
 *
 * A telegram is "/ident CR LF … ! CCCC CR LF" where CCCC is the CRC-16/ARC
 * (polynomial 0xA001 reflected, initial value 0) of every byte from '/' to
 * '!' inclusive, in hexadecimal. DSMR 2.2 and 3.0 telegrams end "! CR LF"
 * with no CRC at all: they parse with reading.checked = false, as every
 * telegram does when the caller passes no_crc. Without a CRC, only the
 * telegram's syntax guards it: every line must be a well-formed data set and
 * no register may appear twice, so most damaged or glued telegrams are still
 * rejected, but not all; a DSMR 4 or later telegram (version line 40 or more)
 * without a CRC is rejected unless the caller passes no_crc.
 *
 * Domain code: nothing here prints; failures come back as a reason and a byte
 * offset.
 */
#ifndef HIVE_DSMR_H
#define HIVE_DSMR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reading.h"

#define DSMR_MAX_TELEGRAM 16384

enum dsmr_event_kind {
	DSMR_FRAME,     /* a complete telegram candidate in data[0..len) */
	DSMR_DROPPED,   /* a frame cut short or broken: len bytes from offset, why */
	DSMR_GARBAGE    /* a run of len bytes between frames that no frame explains */
};

struct dsmr_event {
	enum dsmr_event_kind kind;
	uint64_t offset;        /* stream offset of the frame's '/' or of the garbage */
	size_t len;
	const char *data;       /* DSMR_FRAME only; valid during the callback */
	uint64_t bad_offset;    /* DSMR_DROPPED: stream offset of the byte that broke it */
	const char *why;        /* DSMR_DROPPED: the reason, a static string */
};

typedef void dsmr_framer_cb(const struct dsmr_event *ev, void *arg);

struct dsmr_framer {
	dsmr_framer_cb *cb;
	void *arg;
	int state;
	uint64_t pos;           /* stream offset of the next byte fed */
	uint64_t start;         /* stream offset of buf[0] */
	size_t len;             /* bytes of the current frame in buf */
	int crc_digits;         /* hex digits seen after '!' */
	size_t slash;           /* where a '/' inside the frame is, while its next 4 bytes are checked */
	bool slash_pending;
	uint64_t garbage_start; /* the current run of garbage */
	size_t garbage_len;
	bool garbage_seen;      /* the run holds more than line ends */
	char buf[DSMR_MAX_TELEGRAM];
};

/*
 * Starts a framer at stream offset 0. cb receives every frame, dropped frame
 * and garbage run, in stream order.
 *
 * Resynchronisation: a frame starts at any '/' between frames. Inside a
 * frame, a '/' at the start of a line, or a '/' followed by the three letters
 * and the digit of an identification line ("/ISk5"), starts a new frame and
 * the current one is dropped as truncated, so the head of one telegram and
 * the tail of the next are never joined into one frame. A NUL or a byte above
 * 0x7f (DSMR is ASCII), or a frame longer than DSMR_MAX_TELEGRAM, drops the
 * frame; the bytes up to the next '/' are then skipped without a report.
 */
void dsmr_framer_init(struct dsmr_framer *f, dsmr_framer_cb *cb, void *arg);
/* Feeds the next len bytes of the stream, in chunks of any size. */
void dsmr_framer_feed(struct dsmr_framer *f, const void *data, size_t len);
/* End of stream: reports a frame cut off by it and the garbage before it; the framer starts afresh. */
void dsmr_framer_finish(struct dsmr_framer *f);

/* CRC-16/ARC of p[0..len), initial value crc (0 to start). */
uint16_t dsmr_crc16(uint16_t crc, const void *p, size_t len);

/*
 * Parses one telegram (as the framer yields it; the final CR LF may be
 * missing) into out: protocol "dsmr", model (the identification line after
 * '/'), version (1-3:0.2.8, or the Belgian 0-0:96.1.4), meter_time
 * (0-0:1.0.0, W = UTC+1, S = UTC+2, converted to UTC), meter_id (0-0:96.1.1,
 * else Smarty's 0-0:42.0.0, decoded from hex when that gives printable
 * text), import and export per tariff (1.8.t, 2.8.t) and in total (1.8.0
 * where sent, else the sum of the tariffs), tariff (0-0:96.14.0), power
 * (1.7.0, 2.7.0), per phase voltage, current, power (32/52/72.7.0,
 * 31/51/71.7.0, 21/41/61.7.0, 22/42/62.7.0), and M-Bus channels (24.1.0 type,
 * 96.1.0 id, 24.2.1 or Belgian 24.2.3 time and value, DSMR 2.2/3.0 24.3.0
 * with its value on the next line: time not kept there, it has no DST flag).
 * Unknown lines are ignored.
 *
 * With no_crc the CRC is not checked and checked is false. Returns 0, or -1
 * with *bad_offset (into telegram) and *why set and out cleared: no '/' or
 * '!', a CRC that does not match, a malformed line or register value, a unit
 * of the wrong kind, an impossible timestamp, a register sent twice.
 */
int dsmr_parse(struct reading *out, const char *telegram, size_t len, bool no_crc, size_t *bad_offset,
               const char **why);

#endif
