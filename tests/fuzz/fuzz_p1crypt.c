/*
 * libFuzzer target for encrypted P1. The first byte chooses:
 *   even: the rest is a byte stream for the framer and for p1crypt_decrypt()
 *         (no crash, no leak; nothing random ever verifies);
 *   odd:  the rest, split in two, is garbage and a plaintext: the plaintext
 *         is encrypted, put between the garbage and more garbage, and the
 *         framer must find it and give back exactly that plaintext, whatever
 *         the garbage; with one byte of the frame flipped, never.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "p1crypt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t key[16] = { 0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
	                             0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c };
static const uint8_t title[8] = { 'S', 'A', 'G', 'g', 'p', 1, 2, 3 };

struct found {
	const uint8_t *want;
	size_t want_len;
	int matches, plains;
	uint64_t last_offset;
};

static void on_event(const struct p1crypt_event *ev, void *arg)
{
	struct found *fd = arg;

	if (ev->offset < fd->last_offset)
		abort();
	fd->last_offset = ev->offset;
	if (ev->kind != P1CRYPT_PLAIN)
		return;
	fd->plains++;
	if (fd->want != NULL && ev->len == fd->want_len && memcmp(ev->data, fd->want, ev->len) == 0)
		fd->matches++;
}

static void frame_stream(struct found *fd, const uint8_t *p, size_t len, size_t chunk)
{
	static struct p1crypt_framer f;

	p1crypt_framer_init(&f, key, NULL, on_event, fd);
	for (size_t i = 0; i < len; i += chunk)
		p1crypt_framer_feed(&f, p + i, len - i < chunk ? len - i : chunk);
	p1crypt_framer_finish(&f);
}

static void raw_stream(const uint8_t *p, size_t len)
{
	struct found fd = { NULL, 0, 0, 0, 0 };
	struct buf plain = BUF_INIT;
	const char *why;

	frame_stream(&fd, p, len, 1 + len % 61);
	if (fd.plains != 0)
		abort();
	if (p1crypt_decrypt(&plain, p, len, key, NULL, &why) == 0)
		abort();
	buf_free(&plain);
}

static void hidden_frame(const uint8_t *p, size_t len)
{
	size_t cut = len / 2;
	struct buf frame = BUF_INIT, s = BUF_INIT;
	struct found fd = { p + cut, len - cut, 0, 0, 0 };

	if (len == 0)
		return;
	if (p1crypt_encrypt(&frame, p + cut, len - cut, key, NULL, title, (uint32_t)len) < 0)
		abort();
	buf_append(&s, p, cut);
	buf_append(&s, frame.data, frame.len);
	buf_append(&s, p, cut);
	frame_stream(&fd, (const uint8_t *)s.data, s.len, 1 + cut % 97);
	if (fd.matches < 1)
		abort();
	/* Flip one byte of the frame: its plaintext must never come out. */
	size_t at = cut + (len % frame.len);
	s.data[at] ^= (char)(1 + p[0] % 255);
	fd.matches = 0;
	fd.last_offset = 0;
	frame_stream(&fd, (const uint8_t *)s.data, s.len, 4096);
	if (fd.matches != 0)
		abort();
	buf_free(&frame);
	buf_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0 || size > P1CRYPT_MAX_PLAIN)
		return 0;
	if (data[0] % 2 == 0)
		raw_stream(data + 1, size - 1);
	else
		hidden_frame(data + 1, size - 1);
	return 0;
}
