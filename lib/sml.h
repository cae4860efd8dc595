/*
 * sml.h — SML 1.04 (Smart Message Language), as German smart meters send it
 * through their optical interface (IR read head, 9600 8N1): a transport framer
 * fed arbitrary chunks of bytes, and a decoder that turns a verified frame
 * into a struct reading with Debian's libsml.
 *
 * Ownership: a struct sml_framer owns its two buffers (sml_framer_free()
 * releases them); a struct sml_span handed to the callback is borrowed and
 * valid only during the call. sml_decode() frees every libsml structure it
 * creates before it returns.
 *
 * Transport (SML 1.04 §8, version 1): a frame is
 *   1b1b1b1b 01010101  data  00×(0..3)  1b1b1b1b 1a NN CL CH
 * where NN counts the zero padding bytes that align the end escape to four
 * bytes, and CL CH is the CRC-16/X-25 of every byte from the start escape to
 * NN, low byte first (what libsml's sml_crc16_calculate() computes, byte
 * swapped, and what its writer sends). Escapes sit on four-byte boundaries
 * counted from the frame start; a data block equal to 1b1b1b1b is sent twice.
 *
 * Resynchronisation: the start sequence 1b1b1b1b 01010101 wherever it
 * appears, aligned or not, inside a frame or not, begins a new frame; a frame
 * cut short by it is rejected, never merged with what follows. Data that
 * itself contains those eight bytes would therefore be rejected too (real
 * SML files never carry it: it would be an octet string holding an escape).
 */
#ifndef HIVE_SML_H
#define HIVE_SML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reading.h"

/* Frames are a few hundred bytes; libsml's own reader stops at 8096. */
#define SML_FRAME_MAX_DEFAULT 8192
#define SML_FRAME_MIN 16      /* start escape + end escape */

enum sml_span_kind {
	SML_SPAN_FRAME,       /* a complete frame whose CRC matched (or --no-crc) */
	SML_SPAN_REJECT,      /* a frame begun but not accepted; why says why */
	SML_SPAN_JUNK         /* bytes outside any frame, e.g. a frame joined late */
};

/* One stretch of the stream, reported in stream order. */
struct sml_span {
	enum sml_span_kind kind;
	uint64_t offset;          /* stream offset of the span's first byte */
	size_t size;              /* bytes on the wire */
	const uint8_t *raw;       /* those bytes (NULL for junk, which is not kept) */
	const uint8_t *body;      /* FRAME: the SML file, escapes and padding removed */
	size_t body_len;
	bool checked;             /* FRAME: its CRC matched (false only with no_crc) */
	const char *why;          /* REJECT and JUNK: the reason, lower case */
};

typedef void sml_span_fn(const struct sml_span *span, void *arg);

struct sml_framer {
	uint8_t *raw;             /* the frame being received, as sent */
	uint8_t *body;            /* its data, unescaped */
	size_t raw_len, body_len, max;
	uint64_t offset;          /* stream offset of the next byte fed */
	uint64_t frame_offset;    /* of raw[0] */
	uint64_t junk_offset;     /* first byte outside a frame not yet reported */
	uint64_t window;          /* the last eight bytes, the newest lowest */
	unsigned seen;            /* bytes in window (at most 8) */
	bool in_frame;
	bool escape;              /* the last aligned block was 1b1b1b1b */
	bool no_crc;              /* pass frames whose CRC fails, marked unchecked */
};

/* max_frame: the longest frame accepted, in bytes (0: SML_FRAME_MAX_DEFAULT). */
void sml_framer_init(struct sml_framer *f, size_t max_frame);
void sml_framer_free(struct sml_framer *f);
/* Feeds len bytes; fn is called for every frame, reject and junk completed. */
void sml_framer_feed(struct sml_framer *f, const uint8_t *data, size_t len, sml_span_fn *fn, void *arg);
/* End of input: reports a frame in progress as rejected and trailing junk. */
void sml_framer_finish(struct sml_framer *f, sml_span_fn *fn, void *arg);

/* CRC-16/X-25 (reflected 0x1021, init and final xor 0xffff), as SML sends it. */
uint16_t sml_crc16_x25(const uint8_t *p, size_t n);

/*
 * Decodes an SML file (a frame's body) into out, cleared first: protocol
 * "sml"; OBIS 1.8.0, 1.8.1…1.8.8, 2.8.0, 2.8.1…2.8.8 in Wh; 16.7.0 and the
 * phases' 36/56/76.7.0 in W (a negative value is export); 32/52/72.7.0 in V;
 * 31/51/71.7.0 in A; the meter id (96.1.0, else 0.0.9, else the list's server
 * id) as lower-case hex; the manufacturer (129-129:199.130.3) in model; the
 * list's sensor time when it is a timestamp. Each value is raw × 10^scaler,
 * exact, and is kept only when its unit is the one its OBIS code needs (30 Wh,
 * 27 W, 35 V, 33 A). out->checked is left false.
 * Before libsml sees the file, every element's length is checked against the
 * file, every message's own CRC (X-25; Kermit as Holley DTZ541 sends it) is
 * verified, and only list responses, element by element of the types libsml
 * expects, are passed on (see sml.c for the libsml faults this avoids).
 * Returns 0, or -1 with a reason: a message runs past the end or fails its
 * CRC, a list response holds an unexpected element, there is no list
 * response, or libsml cannot read the rest.
 */
int sml_decode(const uint8_t *body, size_t len, struct reading *out, const char **why);
/* sml_decode() of a FRAME span, with out->checked taken from it. */
int sml_decode_frame(const struct sml_span *frame, struct reading *out, const char **why);

#endif
