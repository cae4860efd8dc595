/*
 * meterstream.h — a meter's byte stream to records: detects the protocol
 * (DSMR P1, encrypted P1, SML), frames and checks each telegram, decodes it
 * and hands the reading to a readloop. Bad frames are reported (rate-limited,
 * with their stream offset and reason) and counted; no field of a bad frame
 * is ever emitted.
 *
 * Ownership: a struct meterstream owns its framers and copies the keys it is
 * given (wiped by meterstream_free); the readloop is borrowed.
 */
#ifndef HIVE_METERSTREAM_H
#define HIVE_METERSTREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "dsmr.h"
#include "p1crypt.h"
#include "ratelimit.h"
#include "readloop.h"
#include "sml.h"

enum meter_protocol { METER_AUTO, METER_DSMR, METER_P1CRYPT, METER_SML };

struct meterstream_config {
	enum meter_protocol protocol;
	bool no_crc;            /* accept frames whose checksum fails, marked unchecked */
	bool raw;               /* also write each frame as a "frame" record */
	bool has_key;           /* encrypted P1: the AES-128-GCM key */
	uint8_t key[P1CRYPT_KEY_SIZE];
};

struct meterstream {
	struct meterstream_config cfg;
	enum meter_protocol protocol;   /* the one in use, once detected */
	struct readloop *loop;
	struct ratelimit rl;
	uint64_t base;                  /* stream offset where the framer started */
	uint64_t fed;                   /* bytes fed to the framer since then */
	uint64_t skipped;               /* bytes skipped while detecting */
	int64_t host_ms;                /* host time of the bytes being fed */
	uint64_t frames, bad_frames;
	struct dsmr_framer *dsmr;
	struct p1crypt_framer *p1;
	struct sml_framer sml;
	bool sml_ready;
	uint8_t sml_window[8];          /* the last bytes seen while detecting */
};

/* Returns 0, or -1 when the configuration cannot work (encrypted P1 without a key). */
int meterstream_init(struct meterstream *m, const struct meterstream_config *cfg, struct readloop *loop);
/* Feeds bytes received at host_ms. */
void meterstream_feed(struct meterstream *m, const uint8_t *data, size_t len, int64_t host_ms);
/* A break in the stream (the device was reopened): a frame cut by it is dropped, never joined to the next. */
void meterstream_cut(struct meterstream *m);
/* End of stream: reports a frame cut off by it, and the diagnostics held back. */
void meterstream_finish(struct meterstream *m);
void meterstream_free(struct meterstream *m);
const char *meter_protocol_name(enum meter_protocol p);
/* Parses "auto", "dsmr", "p1crypt", "sml". Returns 0, or -1. */
int meter_protocol_parse(enum meter_protocol *p, const char *name);

#endif
