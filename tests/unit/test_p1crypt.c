/*
 * Encrypted P1: frames built here with OpenSSL from the DSMR fixtures round
 * trip; a flipped ciphertext or tag byte, a wrong key, a wrong
 * authentication key, a cut frame give no plaintext; the published NEXXTLAB
 * Smarty frame decrypts with its key (tests/fixtures/SOURCES.md); the framer
 * finds frames in garbage, after cut and damaged frames, in 1-byte chunks.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "dsmr.h"
#include "hex.h"
#include "p1crypt.h"
#include "reading.h"
#include "xio.h"

static const uint8_t key[16] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	                             0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };
static const uint8_t title[8] = { 'S', 'A', 'G', 'g', 'p', 0x00, 0x67, 0xc8 };

static int load(struct buf *out, const char *name)
{
	char path[256];

	buf_reset(out);
	snprintf(path, sizeof path, "tests/fixtures/dsmr/%s", name);
	if (read_file(path, out, 1 << 20) < 0) {
		printf("cannot read fixture '%s': %s\n", path, strerror(errno));
		check_failed++;
		return -1;
	}
	return 0;
}

static const char *dec(const struct decimal *d)
{
	static struct buf b;

	buf_reset(&b);
	if (!d->set)
		buf_puts(&b, "unset");
	else
		decimal_format(&b, d);
	return buf_str(&b);
}

static void test_round_trip(void)
{
	static const char *const names[] = { "dsmr22_iskra_mt382.p1", "dsmr40_kaifa_arduino_dsmr_example.p1",
		                                 "dsmr42_kaifa.p1", "dsmr50_iskra_mt382.p1" };
	struct buf plain = BUF_INIT, frame = BUF_INIT, out = BUF_INIT;
	struct reading r;
	size_t off;
	const char *why;

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (load(&plain, names[i]) < 0)
			continue;
		buf_reset(&frame);
		CHECK(p1crypt_encrypt(&frame, plain.data, plain.len, key, NULL, title, 0x69f1 + (uint32_t)i) == 0);
		CHECK_INTEQ(frame.len, 13 + 5 + plain.len + 12);
		CHECK_INTEQ((uint8_t)frame.data[0], 0xdb);
		CHECK_INTEQ((uint8_t)frame.data[10], 0x82);
		struct p1crypt_header h;
		CHECK(p1crypt_header(&h, (uint8_t *)frame.data, frame.len, &why) == 1);
		CHECK_INTEQ(h.frame_counter, 0x69f1 + i);
		CHECK_INTEQ(h.frame_len, frame.len);
		CHECK(memcmp(h.system_title, title, 8) == 0);
		CHECK(p1crypt_decrypt(&out, (uint8_t *)frame.data, frame.len, key, NULL, &why) == 0);
		CHECK(out.len == plain.len && memcmp(out.data, plain.data, plain.len) == 0);
		CHECK(dsmr_parse(&r, out.data, out.len, false, &off, &why) == 0);
	}
	/* Short length forms: one byte below 0x80, 0x81 and one byte. */
	const char *small[] = { "/ABC5 x\r\n\r\n1-0:1.8.0(1*kWh)\r\n!",
		                    "/ABC5 x\r\n\r\n0-0:96.13.0(303132333435363738393A3B3C3D3E3F303132333435363738393A3B"
		                    "3C3D3E3F303132333435363738393A3B3C3D3E3F)\r\n1-0:1.8.0(1*kWh)\r\n!" };
	for (int i = 0; i < 2; i++) {
		buf_reset(&plain);
		buf_puts(&plain, small[i]);
		buf_printf(&plain, "%04X\r\n", dsmr_crc16(0, plain.data, plain.len));
		buf_reset(&frame);
		CHECK(p1crypt_encrypt(&frame, plain.data, plain.len, key, NULL, title, 7) == 0);
		CHECK(i == 0 ? (uint8_t)frame.data[10] < 0x80 : (uint8_t)frame.data[10] == 0x81);
		CHECK(p1crypt_decrypt(&out, (uint8_t *)frame.data, frame.len, key, NULL, &why) == 0);
		CHECK(out.len == plain.len && memcmp(out.data, plain.data, plain.len) == 0);
		CHECK(dsmr_parse(&r, out.data, out.len, false, &off, &why) == 0);
		CHECK_STREQ(dec(&r.import_wh), "1000");
	}
	buf_free(&plain);
	buf_free(&frame);
	buf_free(&out);
}

static void expect_fail(struct buf *frame, const uint8_t *k, const uint8_t *aad, const char *want_why)
{
	struct buf out = BUF_INIT;
	const char *why = NULL;

	CHECK(p1crypt_decrypt(&out, (uint8_t *)frame->data, frame->len, k, aad, &why) == -1);
	CHECK_INTEQ(out.len, 0);
	if (why == NULL || strstr(why, want_why) == NULL)
		printf("  why: '%s', want '%s'\n", why ? why : "(null)", want_why);
	CHECK(why != NULL && strstr(why, want_why) != NULL);
	buf_free(&out);
}

static void test_damage(void)
{
	struct buf plain = BUF_INIT, frame = BUF_INIT;
	uint8_t other[16];

	if (load(&plain, "dsmr50_iskra_mt382.p1") < 0)
		return;
	CHECK(p1crypt_encrypt(&frame, plain.data, plain.len, key, NULL, title, 1) == 0);
	size_t tag = frame.len - 12;
	frame.data[100] ^= 0x01;               /* ciphertext */
	expect_fail(&frame, key, NULL, "GCM tag");
	frame.data[100] ^= 0x01;
	frame.data[tag + 5] ^= (char)0x80;     /* tag */
	expect_fail(&frame, key, NULL, "GCM tag");
	frame.data[tag + 5] ^= (char)0x80;
	frame.data[5] ^= 0x10;                 /* system title: a different IV */
	expect_fail(&frame, key, NULL, "GCM tag");
	frame.data[5] ^= 0x10;
	frame.data[16] ^= 0x01;                /* frame counter */
	expect_fail(&frame, key, NULL, "GCM tag");
	frame.data[16] ^= 0x01;
	memcpy(other, key, 16);
	other[15] ^= 1;
	expect_fail(&frame, other, NULL, "GCM tag");            /* wrong key */
	expect_fail(&frame, key, other, "GCM tag");             /* wrong authentication key */
	frame.data[13] = 0x20;                                  /* security byte: encryption only */
	expect_fail(&frame, key, NULL, "security control byte");
	frame.data[13] = 0x30;
	frame.data[1] = 7;
	expect_fail(&frame, key, NULL, "system title length");
	frame.data[1] = 8;
	frame.data[0] = 0x7e;
	expect_fail(&frame, key, NULL, "0xDB");
	frame.data[0] = (char)0xdb;
	frame.len--;                                            /* cut */
	expect_fail(&frame, key, NULL, "shorter than its length field");
	frame.len = 12;
	expect_fail(&frame, key, NULL, "cut short");
	frame.len = tag + 12;
	buf_putc(&frame, 0);
	expect_fail(&frame, key, NULL, "longer than its length field");
	frame.len--;
	struct buf out = BUF_INIT;
	const char *why;
	CHECK(p1crypt_decrypt(&out, (uint8_t *)frame.data, frame.len, key, NULL, &why) == 0);
	CHECK(p1crypt_encrypt(&frame, plain.data, P1CRYPT_MAX_PLAIN + 1, key, NULL, title, 1) == -1);
	buf_free(&out);
	buf_free(&plain);
	buf_free(&frame);
}

/* The NEXXTLAB go-smarty-reader test frame and its published key. */
static void test_known_answer(void)
{
	struct buf frame = BUF_INIT, out = BUF_INIT;
	uint8_t k[16];
	struct reading r;
	struct p1crypt_header h;
	size_t off;
	const char *why;

	if (load(&frame, "smarty_nexxtlab_encrypted.bin") < 0)
		return;
	CHECK(hex_decode("D491470F47126332B07D1923B3504188", 32, k, 16) == 0);
	CHECK_INTEQ(frame.len, 647);
	CHECK(p1crypt_header(&h, (uint8_t *)frame.data, frame.len, &why) == 1);
	CHECK(memcmp(h.system_title, "SAGgp\x01\xbd\x54", 8) == 0);
	CHECK_INTEQ(h.frame_counter, 0x0005a8e3);
	CHECK_INTEQ(h.cipher_len, 617);
	CHECK(p1crypt_decrypt(&out, (uint8_t *)frame.data, frame.len, k, p1crypt_smarty_aad_key, &why) == 0);
	CHECK_INTEQ(out.len, 617);
	CHECK(out.len > 20 && memcmp(out.data, "/Lux5\\253663629_D\r\n", 19) == 0);
	CHECK(dsmr_parse(&r, out.data, out.len, false, &off, &why) == 0);
	CHECK(r.checked);
	CHECK_STREQ(r.model, "Lux5\\253663629_D");
	CHECK_STREQ(r.version, "42");
	CHECK_STREQ(r.meter_id, "SAG1030700114004");     /* 0-0:42.0.0, hex-decoded */
	CHECK_INTEQ(r.meter_time, 1517304082);            /* 2018-01-30T09:21:22Z */
	CHECK_STREQ(dec(&r.import_wh), "6695");
	CHECK_STREQ(dec(&r.export_wh), "25");
	CHECK_STREQ(dec(&r.power_import_w), "0");
	CHECK_STREQ(dec(&r.phase[2].current_a), "0");
	CHECK_INTEQ(r.tariffs, 0);
	/* Its tag really is checked: one wrong key bit, one flipped byte. */
	k[0] ^= 0x80;
	CHECK(p1crypt_decrypt(&out, (uint8_t *)frame.data, frame.len, k, NULL, &why) == -1);
	k[0] ^= 0x80;
	frame.data[300] ^= 0x04;
	CHECK(p1crypt_decrypt(&out, (uint8_t *)frame.data, frame.len, k, NULL, &why) == -1);
	buf_free(&frame);
	buf_free(&out);
}

/* ---- framer ------------------------------------------------------------- */

struct event {
	enum p1crypt_event_kind kind;
	uint64_t offset;
	size_t len;
	uint32_t counter;
};

struct events {
	struct event ev[64];
	int n;
	struct buf plain;       /* the last plaintext */
};

static void collect(const struct p1crypt_event *ev, void *arg)
{
	struct events *es = arg;

	if (es->n == 64)
		return;
	es->ev[es->n].kind = ev->kind;
	es->ev[es->n].offset = ev->offset;
	es->ev[es->n].len = ev->len;
	es->ev[es->n].counter = ev->header != NULL ? ev->header->frame_counter : 0;
	es->n++;
	if (ev->kind == P1CRYPT_PLAIN) {
		buf_reset(&es->plain);
		buf_append(&es->plain, ev->data, ev->len);
	}
}

static void run(struct events *es, const struct buf *s, size_t chunk)
{
	static struct p1crypt_framer f;

	es->n = 0;
	p1crypt_framer_init(&f, key, NULL, collect, es);
	for (size_t i = 0; i < s->len; i += chunk)
		p1crypt_framer_feed(&f, s->data + i, i + chunk <= s->len ? chunk : s->len - i);
	p1crypt_framer_finish(&f);
	/* The keys are wiped at the end. */
	static const uint8_t zero[16];
	CHECK(memcmp(f.key, zero, 16) == 0);
}

static int count(const struct events *es, enum p1crypt_event_kind kind)
{
	int n = 0;

	for (int i = 0; i < es->n; i++)
		n += es->ev[i].kind == kind;
	return n;
}

static void test_framer(void)
{
	struct buf plain = BUF_INIT, f1 = BUF_INIT, f2 = BUF_INIT, f3 = BUF_INIT, s = BUF_INIT;
	struct events es = { .n = 0, .plain = BUF_INIT };
	struct reading r;
	size_t off;
	const char *why;

	if (load(&plain, "dsmr50_iskra_mt382.p1") < 0)
		return;
	p1crypt_encrypt(&f1, plain.data, plain.len, key, NULL, title, 1);
	p1crypt_encrypt(&f2, plain.data, plain.len, key, NULL, title, 2);
	p1crypt_encrypt(&f3, plain.data, plain.len, key, NULL, title, 3);
	/* Garbage (with a stray 0xDB), three frames, garbage. */
	buf_puts(&s, "ab\xdb\x08xyz");
	buf_append(&s, f1.data, f1.len);
	buf_append(&s, f2.data, f2.len);
	buf_append(&s, "\x00\x01", 2);
	buf_append(&s, f3.data, f3.len);
	for (size_t chunk = 1; chunk <= 4096; chunk *= 8) {
		run(&es, &s, chunk);
		CHECK_INTEQ(es.n, 5);
		CHECK(es.ev[0].kind == P1CRYPT_GARBAGE && es.ev[0].offset == 0 && es.ev[0].len == 7);
		CHECK(es.ev[1].kind == P1CRYPT_PLAIN && es.ev[1].offset == 7 && es.ev[1].counter == 1);
		CHECK(es.ev[2].kind == P1CRYPT_PLAIN && es.ev[2].offset == 7 + f1.len && es.ev[2].counter == 2);
		CHECK(es.ev[3].kind == P1CRYPT_GARBAGE && es.ev[3].len == 2);
		CHECK(es.ev[4].kind == P1CRYPT_PLAIN && es.ev[4].counter == 3);
		CHECK(es.plain.len == plain.len && memcmp(es.plain.data, plain.data, plain.len) == 0);
		CHECK(dsmr_parse(&r, es.plain.data, es.plain.len, false, &off, &why) == 0);
	}
	/* A cut frame: its length swallows the next one's head; that one is still found. */
	buf_reset(&s);
	buf_append(&s, f1.data, 300);
	buf_append(&s, f2.data, f2.len);
	buf_append(&s, f3.data, f3.len);
	run(&es, &s, 1);
	CHECK_INTEQ(count(&es, P1CRYPT_DROPPED), 1);
	CHECK_INTEQ(count(&es, P1CRYPT_PLAIN), 2);
	CHECK_INTEQ(count(&es, P1CRYPT_GARBAGE), 0);
	CHECK(es.ev[0].kind == P1CRYPT_DROPPED && es.ev[0].offset == 0 && es.ev[0].counter == 1);
	CHECK(es.n >= 2 && es.ev[1].kind == P1CRYPT_PLAIN && es.ev[1].offset == 300 && es.ev[1].counter == 2);
	/* A damaged frame between two good ones. */
	buf_reset(&s);
	buf_append(&s, f1.data, f1.len);
	f2.data[200] ^= 0x40;
	buf_append(&s, f2.data, f2.len);
	f2.data[200] ^= 0x40;
	buf_append(&s, f3.data, f3.len);
	run(&es, &s, 7);
	CHECK_INTEQ(es.n, 3);
	CHECK(es.ev[1].kind == P1CRYPT_DROPPED && es.ev[1].offset == f1.len && es.ev[1].len == f2.len);
	CHECK(es.ev[2].kind == P1CRYPT_PLAIN && es.ev[2].counter == 3);
	/* The stream ends inside a frame, after a good one. */
	buf_reset(&s);
	buf_append(&s, f1.data, f1.len);
	buf_append(&s, f2.data, 100);
	run(&es, &s, 4096);
	CHECK_INTEQ(es.n, 2);
	CHECK(es.ev[1].kind == P1CRYPT_DROPPED && es.ev[1].offset == f1.len);
	/* Wrong key: every frame dropped, once each. */
	static struct p1crypt_framer fw;
	uint8_t wrong[16] = { 0 };
	es.n = 0;
	p1crypt_framer_init(&fw, wrong, NULL, collect, &es);
	p1crypt_framer_feed(&fw, f1.data, f1.len);
	p1crypt_framer_feed(&fw, f2.data, f2.len);
	p1crypt_framer_finish(&fw);
	CHECK_INTEQ(count(&es, P1CRYPT_DROPPED), 2);
	CHECK_INTEQ(count(&es, P1CRYPT_PLAIN), 0);
	buf_free(&es.plain);
	buf_free(&plain);
	buf_free(&f1);
	buf_free(&f2);
	buf_free(&f3);
	buf_free(&s);
}

int main(void)
{
	test_round_trip();
	test_damage();
	test_known_answer();
	test_framer();
	return check_done("test_p1crypt");
}
