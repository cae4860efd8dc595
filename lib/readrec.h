/*
 * readrec.h — the records hive-read writes: "reading" from a decoded meter
 * frame, "interval" from an apportioned slot, "event" for gaps, resets,
 * reconnects and dropped frames, and "frame" for --raw audits. Each is
 * appended to a buffer in RFC 8785 canonical form, one line without its
 * newline, so a signer downstream changes nothing but adds "sig".
 *
 * Ownership: callers own the buffers and structs; nothing is kept.
 */
#ifndef HIVE_READREC_H
#define HIVE_READREC_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "interval.h"
#include "reading.h"

/* What every record of one run shares. */
struct readrec_context {
	const char *meter;          /* the Worker's address (EIP-55), or NULL */
	const char *source;         /* device or file name, for events; may be NULL */
	bool simulated;             /* mark intervals and events "simulated": true (hive-read sim) */
};

/* Appends a "reading"; host_ms is the host clock at reception (always written). */
void readrec_reading(struct buf *out, const struct readrec_context *ctx, const struct reading *r, int64_t host_ms);
/*
 * Appends an "interval" for one slot: with its "nonce" (interval_nonce), and
 * "register_import_wh" / "register_export_wh", the meter's registers at the
 * slot's end, for the registers the meter has, when the slot knows them.
 */
void readrec_interval(struct buf *out, const struct readrec_context *ctx, const struct interval_slot *slot);
/* Appends an "event" for an interval event (gap, reset, jump, out of order). */
void readrec_interval_event(struct buf *out, const struct readrec_context *ctx, const struct interval_event *ev);
/*
 * Appends an "event" of the given kind ("reconnect", "bad_frame", "stall", …)
 * at time_ms with a human-readable detail and an optional count.
 */
void readrec_event(struct buf *out, const struct readrec_context *ctx, const char *kind, int64_t time_ms,
                   const char *detail, int64_t count);
/* Appends a "frame": the raw bytes of a frame (text when printable ASCII, else hex) and its stream offset. */
void readrec_frame(struct buf *out, const struct readrec_context *ctx, const char *protocol,
                   const uint8_t *bytes, size_t len, uint64_t offset, bool accepted);

#endif
