#include "meterstream.h"

#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "secret.h"

static const char *const protocol_names[] = { "auto", "dsmr", "p1crypt", "sml" };

const char *meter_protocol_name(enum meter_protocol p)
{
	return protocol_names[p];
}

int meter_protocol_parse(enum meter_protocol *p, const char *name)
{
	for (size_t i = 0; i < sizeof protocol_names / sizeof protocol_names[0]; i++)
		if (strcmp(name, protocol_names[i]) == 0) {
			*p = (enum meter_protocol)i;
			return 0;
		}
	return -1;
}

static void bad_frame(struct meterstream *m, uint64_t offset, const char *why)
{
	char detail[160];

	m->bad_frames++;
	/* An event record too, as often as the diagnostic: audits see the drops, a noisy line floods nothing. */
	if (ratelimit_warn(&m->rl, why, "%s frame dropped at byte offset %llu: %s",
	                   meter_protocol_name(m->protocol), (unsigned long long)offset, why)) {
		snprintf(detail, sizeof detail, "byte offset %llu: %s", (unsigned long long)offset, why);
		readloop_event(m->loop, "bad_frame", m->host_ms, detail, (int64_t)m->bad_frames);
	}
}

static void accept_reading(struct meterstream *m, struct reading *r)
{
	m->frames++;
	readloop_reading(m->loop, r, m->host_ms);
}

static void garbage(struct meterstream *m, size_t len, uint64_t at)
{
	ratelimit_warn(&m->rl, "garbage", "skipped %zu bytes of garbage at byte offset %llu", len, (unsigned long long)at);
}

/*
 * A DSMR telegram, sent plain or decrypted from an encrypted frame (whose
 * GCM tag was verified; the telegram keeps its own CRC). A fault inside a
 * plain telegram is reported at its stream offset; inside a decrypted one,
 * at the encrypted frame's, since the plaintext is not on the wire.
 */
static void telegram(struct meterstream *m, const char *data, size_t len, uint64_t at, bool decrypted)
{
	struct reading r;
	size_t bad;
	const char *why;
	int ok = dsmr_parse(&r, data, len, m->cfg.no_crc, &bad, &why) == 0;

	if (m->cfg.raw)
		readloop_frame(m->loop, decrypted ? "p1crypt" : "dsmr", (const uint8_t *)data, len, at, ok);
	if (!ok) {
		bad_frame(m, decrypted ? at : at + bad, why);
		return;
	}
	if (decrypted) {
		r.protocol = "p1crypt";
		r.checked = true;
	}
	accept_reading(m, &r);
}

static void on_dsmr(const struct dsmr_event *ev, void *arg)
{
	struct meterstream *m = arg;
	uint64_t at = m->base + ev->offset;

	if (m->loop->done)
		return;
	if (ev->kind == DSMR_GARBAGE)
		garbage(m, ev->len, at);
	else if (ev->kind == DSMR_DROPPED)
		bad_frame(m, m->base + ev->bad_offset, ev->why);
	else
		telegram(m, ev->data, ev->len, at, false);
}

static void on_p1crypt(const struct p1crypt_event *ev, void *arg)
{
	struct meterstream *m = arg;
	uint64_t at = m->base + ev->offset;

	if (m->loop->done)
		return;
	if (ev->kind == P1CRYPT_GARBAGE)
		garbage(m, ev->len, at);
	else if (ev->kind == P1CRYPT_DROPPED)
		bad_frame(m, at, ev->why);
	else
		telegram(m, ev->data, ev->len, at, true);
}

static void on_sml(const struct sml_span *span, void *arg)
{
	struct meterstream *m = arg;
	struct reading r;
	const char *why;
	uint64_t at = m->base + span->offset;

	if (m->loop->done)
		return;
	if (span->kind == SML_SPAN_JUNK) {
		ratelimit_warn(&m->rl, "garbage", "skipped %zu bytes outside SML frames at byte offset %llu",
		               span->size, (unsigned long long)at);
		return;
	}
	if (span->kind == SML_SPAN_REJECT) {
		if (m->cfg.raw && span->raw)
			readloop_frame(m->loop, "sml", span->raw, span->size, at, false);
		bad_frame(m, at, span->why);
		return;
	}
	int ok = sml_decode_frame(span, &r, &why) == 0;
	if (m->cfg.raw)
		readloop_frame(m->loop, "sml", span->raw, span->size, at, ok);
	if (!ok) {
		bad_frame(m, at, why);
		return;
	}
	accept_reading(m, &r);
}

int meterstream_init(struct meterstream *m, const struct meterstream_config *cfg, struct readloop *loop)
{
	memset(m, 0, sizeof *m);
	m->cfg = *cfg;
	m->loop = loop;
	m->protocol = cfg->protocol;
	ratelimit_init(&m->rl, 60);
	if (cfg->protocol == METER_P1CRYPT && !cfg->has_key)
		return -1;
	return 0;
}

static void start_framer(struct meterstream *m, enum meter_protocol p, uint64_t at)
{
	m->protocol = p;
	m->base = at;
	switch (p) {
	case METER_DSMR:
		m->dsmr = xmalloc(sizeof *m->dsmr);
		dsmr_framer_init(m->dsmr, on_dsmr, m);
		break;
	case METER_P1CRYPT:
		m->p1 = xmalloc(sizeof *m->p1);
		p1crypt_framer_init(m->p1, m->cfg.key, NULL, on_p1crypt, m);
		break;
	case METER_SML:
		sml_framer_init(&m->sml, 0);
		m->sml.no_crc = m->cfg.no_crc;
		m->sml_ready = true;
		break;
	case METER_AUTO:
		break;
	}
}

static void feed_framer(struct meterstream *m, const uint8_t *data, size_t len)
{
	m->fed += len;
	if (m->dsmr)
		dsmr_framer_feed(m->dsmr, data, len);
	else if (m->p1)
		p1crypt_framer_feed(m->p1, data, len);
	else if (m->sml_ready)
		sml_framer_feed(&m->sml, data, len, on_sml, m);
}

/*
 * Auto-detection: the first frame start decides. '/' begins a DSMR
 * telegram, 0xDB 0x08 an encrypted one (a system title of 8 bytes), and
 * 1b1b1b1b 01010101 an SML frame. Bytes before it are skipped and counted.
 */
static size_t detect(struct meterstream *m, const uint8_t *data, size_t len)
{
	static const uint8_t sml_start[8] = { 0x1b, 0x1b, 0x1b, 0x1b, 1, 1, 1, 1 };

	for (size_t i = 0; i < len; i++) {
		uint64_t at = m->skipped;
		memmove(m->sml_window, m->sml_window + 1, 7);
		m->sml_window[7] = data[i];
		m->skipped++;
		if (data[i] == '/') {
			start_framer(m, METER_DSMR, at);
			return i;
		}
		if (data[i] == 0xdb && i + 1 < len && data[i + 1] == 0x08) {
			if (m->cfg.has_key) {
				start_framer(m, METER_P1CRYPT, at);
				return i;
			}
			ratelimit_warn(&m->rl, "p1crypt-nokey", "byte offset %llu looks like encrypted P1: give "
			               "--key-file FILE or HIVE_P1_KEY", (unsigned long long)at);
		}
		if (memcmp(m->sml_window, sml_start, 8) == 0) {
			start_framer(m, METER_SML, at - 7);
			sml_framer_feed(&m->sml, sml_start, 8, on_sml, m);
			return i + 1;
		}
	}
	return len;
}

void meterstream_feed(struct meterstream *m, const uint8_t *data, size_t len, int64_t host_ms)
{
	m->host_ms = host_ms;
	if (m->protocol == METER_AUTO) {
		size_t used = detect(m, data, len);
		data += used;
		len -= used;
		if (m->protocol == METER_AUTO)
			return;
		if (m->skipped > 1 && m->protocol != METER_SML)
			diag_warn("%s detected after skipping %llu bytes", meter_protocol_name(m->protocol),
			          (unsigned long long)(m->skipped - 1));
	} else if (m->dsmr == NULL && m->p1 == NULL && !m->sml_ready) {
		start_framer(m, m->protocol, 0);
	}
	feed_framer(m, data, len);
}

static void finish_framer(struct meterstream *m)
{
	if (m->dsmr)
		dsmr_framer_finish(m->dsmr);
	else if (m->p1)
		p1crypt_framer_finish(m->p1);
	else if (m->sml_ready)
		sml_framer_finish(&m->sml, on_sml, m);
}

void meterstream_cut(struct meterstream *m)
{
	uint64_t at;

	finish_framer(m);
	/* The P1 framer wipes its key when finished: start it again from our copy. */
	if (m->p1) {
		at = m->base + m->fed;
		p1crypt_framer_init(m->p1, m->cfg.key, NULL, on_p1crypt, m);
		m->base = at;
		m->fed = 0;
	}
}

void meterstream_finish(struct meterstream *m)
{
	finish_framer(m);
	ratelimit_flush(&m->rl);
}

void meterstream_free(struct meterstream *m)
{
	free(m->dsmr);
	if (m->p1) {
		secret_wipe(m->p1, sizeof *m->p1);
		free(m->p1);
	}
	if (m->sml_ready)
		sml_framer_free(&m->sml);
	secret_wipe(m->cfg.key, sizeof m->cfg.key);
}
