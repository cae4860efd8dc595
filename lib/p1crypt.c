#include "p1crypt.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

const uint8_t p1crypt_smarty_aad_key[P1CRYPT_KEY_SIZE] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff
};

static const char too_long[] = "frame longer than the 16 KiB a telegram may have";

#define GGC_TAG 0xdb        /* DLMS general-glo-ciphering */
#define FIXED_PART (1 + 4 + P1CRYPT_TAG_SIZE)   /* security byte, frame counter, tag */

/* The A-XDR length after the system title: returns its size in bytes, 0 if more is needed, -1 if unsupported. */
static int read_length(const uint8_t *p, size_t avail, size_t *length)
{
	if (avail < 1)
		return 0;
	if (p[0] < 0x80) {
		*length = p[0];
		return 1;
	}
	if (p[0] == 0x81) {
		if (avail < 2)
			return 0;
		*length = p[1];
		return 2;
	}
	if (p[0] == 0x82) {
		if (avail < 3)
			return 0;
		*length = (size_t)p[1] << 8 | p[2];
		return 3;
	}
	return -1;
}

int p1crypt_header(struct p1crypt_header *h, const uint8_t *p, size_t len, const char **why)
{
	size_t length;
	int n;

	if (len >= 1 && p[0] != GGC_TAG) {
		*why = "not a general-glo-ciphering frame (0xDB)";
		return -1;
	}
	if (len >= 2 && p[1] != P1CRYPT_TITLE_SIZE) {
		*why = "system title length is not 8";
		return -1;
	}
	if (len < 2 + P1CRYPT_TITLE_SIZE)
		return 0;
	if ((n = read_length(p + 2 + P1CRYPT_TITLE_SIZE, len - 2 - P1CRYPT_TITLE_SIZE, &length)) <= 0) {
		*why = "unsupported length form";
		return n;
	}
	size_t head = 2 + P1CRYPT_TITLE_SIZE + (size_t)n;
	if (length < FIXED_PART) {
		*why = "frame shorter than its security header and tag";
		return -1;
	}
	if (head + length > P1CRYPT_MAX_FRAME) {
		*why = too_long;
		return -1;
	}
	if (len < head + 1)
		return 0;
	if (p[head] != P1CRYPT_SECURITY) {
		*why = "unsupported security control byte (only 0x30: authenticated and encrypted)";
		return -1;
	}
	if (len < head + 5)
		return 0;
	memcpy(h->system_title, p + 2, P1CRYPT_TITLE_SIZE);
	h->security = p[head];
	h->frame_counter = (uint32_t)p[head + 1] << 24 | (uint32_t)p[head + 2] << 16 | (uint32_t)p[head + 3] << 8 |
	                   p[head + 4];
	h->frame_len = head + length;
	h->cipher_offset = head + 5;
	h->cipher_len = length - FIXED_PART;
	return 1;
}

static void make_iv(uint8_t iv[12], const uint8_t title[P1CRYPT_TITLE_SIZE], uint32_t counter)
{
	memcpy(iv, title, P1CRYPT_TITLE_SIZE);
	iv[8] = (uint8_t)(counter >> 24);
	iv[9] = (uint8_t)(counter >> 16);
	iv[10] = (uint8_t)(counter >> 8);
	iv[11] = (uint8_t)counter;
}

static void make_aad(uint8_t aad[1 + P1CRYPT_KEY_SIZE], const uint8_t aad_key[P1CRYPT_KEY_SIZE])
{
	aad[0] = P1CRYPT_SECURITY;
	memcpy(aad + 1, aad_key != NULL ? aad_key : p1crypt_smarty_aad_key, P1CRYPT_KEY_SIZE);
}

/* AES-128-GCM decryption with a 12-byte tag into plain (room for cipher_len bytes). */
static int gcm_open(uint8_t *plain, const uint8_t *frame, const struct p1crypt_header *h,
                    const uint8_t key[P1CRYPT_KEY_SIZE], const uint8_t aad_key[P1CRYPT_KEY_SIZE])
{
	uint8_t iv[12], aad[1 + P1CRYPT_KEY_SIZE];
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, last = 0, ok;

	if (ctx == NULL)
		return -1;
	make_iv(iv, h->system_title, h->frame_counter);
	make_aad(aad, aad_key);
	ok = EVP_DecryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, NULL, NULL) == 1 &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, sizeof iv, NULL) == 1 &&
	     EVP_DecryptInit_ex(ctx, NULL, NULL, key, iv) == 1 &&
	     EVP_DecryptUpdate(ctx, NULL, &n, aad, sizeof aad) == 1 &&
	     EVP_DecryptUpdate(ctx, plain, &n, frame + h->cipher_offset, (int)h->cipher_len) == 1 &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, P1CRYPT_TAG_SIZE,
	                         (void *)(frame + h->frame_len - P1CRYPT_TAG_SIZE)) == 1 &&
	     EVP_DecryptFinal_ex(ctx, plain + n, &last) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		/* Never leave unauthenticated plaintext behind. */
		OPENSSL_cleanse(plain, h->cipher_len);
		return -1;
	}
	return 0;
}

/* Decrypts exactly one frame into plain[0..cipher_len). */
static int open_frame(uint8_t *plain, struct p1crypt_header *h, const uint8_t *frame, size_t len,
                      const uint8_t key[P1CRYPT_KEY_SIZE], const uint8_t aad_key[P1CRYPT_KEY_SIZE], const char **why)
{
	int r = p1crypt_header(h, frame, len, why);

	if (r == 0) {
		*why = "frame cut short in its header";
		return -1;
	}
	if (r < 0)
		return -1;
	if (h->frame_len != len) {
		*why = h->frame_len > len ? "frame shorter than its length field says" :
		                            "frame longer than its length field says";
		return -1;
	}
	if (gcm_open(plain, frame, h, key, aad_key) < 0) {
		*why = "GCM tag does not verify (wrong key or damaged frame)";
		return -1;
	}
	return 0;
}

int p1crypt_decrypt(struct buf *plain, const uint8_t *frame, size_t len, const uint8_t key[P1CRYPT_KEY_SIZE],
                    const uint8_t aad_key[P1CRYPT_KEY_SIZE], const char **why)
{
	struct p1crypt_header h;

	buf_reset(plain);
	buf_reserve(plain, len);
	if (open_frame((uint8_t *)plain->data, &h, frame, len, key, aad_key, why) < 0) {
		plain->data[0] = '\0';
		return -1;
	}
	plain->len = h.cipher_len;
	plain->data[plain->len] = '\0';
	return 0;
}

static void put_length(struct buf *frame, size_t length)
{
	if (length < 0x80) {
		buf_putc(frame, (char)length);
	} else if (length <= 0xff) {
		buf_putc(frame, (char)0x81);
		buf_putc(frame, (char)length);
	} else {
		buf_putc(frame, (char)0x82);
		buf_putc(frame, (char)(length >> 8));
		buf_putc(frame, (char)(length & 0xff));
	}
}

static int gcm_seal(uint8_t *out, uint8_t tag[P1CRYPT_TAG_SIZE], const void *plain, size_t len,
                    const uint8_t key[P1CRYPT_KEY_SIZE], const uint8_t aad_key[P1CRYPT_KEY_SIZE],
                    const uint8_t title[P1CRYPT_TITLE_SIZE], uint32_t counter)
{
	uint8_t iv[12], aad[1 + P1CRYPT_KEY_SIZE];
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, last = 0, ok;

	if (ctx == NULL)
		return -1;
	make_iv(iv, title, counter);
	make_aad(aad, aad_key);
	ok = EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, NULL, NULL) == 1 &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, sizeof iv, NULL) == 1 &&
	     EVP_EncryptInit_ex(ctx, NULL, NULL, key, iv) == 1 &&
	     EVP_EncryptUpdate(ctx, NULL, &n, aad, sizeof aad) == 1 &&
	     EVP_EncryptUpdate(ctx, out, &n, plain, (int)len) == 1 &&
	     EVP_EncryptFinal_ex(ctx, out + n, &last) == 1 &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, P1CRYPT_TAG_SIZE, tag) == 1;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

int p1crypt_encrypt(struct buf *frame, const void *plain, size_t len, const uint8_t key[P1CRYPT_KEY_SIZE],
                    const uint8_t aad_key[P1CRYPT_KEY_SIZE], const uint8_t title[P1CRYPT_TITLE_SIZE],
                    uint32_t counter)
{
	uint8_t tag[P1CRYPT_TAG_SIZE];
	size_t length = FIXED_PART + len;

	if (len > P1CRYPT_MAX_PLAIN)
		return -1;
	buf_putc(frame, (char)GGC_TAG);
	buf_putc(frame, P1CRYPT_TITLE_SIZE);
	buf_append(frame, title, P1CRYPT_TITLE_SIZE);
	put_length(frame, length);
	buf_putc(frame, P1CRYPT_SECURITY);
	for (int shift = 24; shift >= 0; shift -= 8)
		buf_putc(frame, (char)(counter >> shift & 0xff));
	buf_reserve(frame, len + P1CRYPT_TAG_SIZE);
	if (gcm_seal((uint8_t *)frame->data + frame->len, tag, plain, len, key, aad_key, title, counter) < 0)
		return -1;
	frame->len += len;
	buf_append(frame, tag, sizeof tag);
	return 0;
}

/* ---- the framer ---------------------------------------------------------- */

void p1crypt_framer_init(struct p1crypt_framer *f, const uint8_t key[P1CRYPT_KEY_SIZE],
                         const uint8_t aad_key[P1CRYPT_KEY_SIZE], p1crypt_framer_cb *cb, void *arg)
{
	f->cb = cb;
	f->arg = arg;
	memcpy(f->key, key, P1CRYPT_KEY_SIZE);
	memcpy(f->aad_key, aad_key != NULL ? aad_key : p1crypt_smarty_aad_key, P1CRYPT_KEY_SIZE);
	f->start = 0;
	f->len = 0;
	f->quiet_until = 0;
	f->garbage_start = 0;
	f->garbage_len = 0;
}

static void emit(struct p1crypt_framer *f, enum p1crypt_event_kind kind, uint64_t offset, size_t len,
                 const struct p1crypt_header *h, const char *why)
{
	struct p1crypt_event ev = { kind, offset, len, kind == P1CRYPT_PLAIN ? (const char *)f->plain : NULL, h, why };

	f->cb(&ev, f->arg);
}

static void flush_garbage(struct p1crypt_framer *f)
{
	if (f->garbage_len > 0)
		emit(f, P1CRYPT_GARBAGE, f->garbage_start, f->garbage_len, NULL, NULL);
	f->garbage_len = 0;
}

/* Drops the first n bytes of buf; those not already reported as part of a frame are garbage. */
static void skip(struct p1crypt_framer *f, size_t n)
{
	uint64_t from = f->start, to = f->start + n;

	if (from < f->quiet_until)
		from = f->quiet_until < to ? f->quiet_until : to;
	if (to > from) {
		if (f->garbage_len == 0)
			f->garbage_start = from;
		f->garbage_len += (size_t)(to - from);
	}
	memmove(f->buf, f->buf + n, f->len - n);
	f->len -= n;
	f->start += n;
}

static void consume_frame(struct p1crypt_framer *f, size_t n)
{
	memmove(f->buf, f->buf + n, f->len - n);
	f->len -= n;
	f->start += n;
}

/* A frame that failed: one report per damaged stretch, then look again from its second byte. */
static void drop_frame(struct p1crypt_framer *f, const struct p1crypt_header *h, size_t claimed, const char *why)
{
	if (f->start >= f->quiet_until) {
		flush_garbage(f);
		emit(f, P1CRYPT_DROPPED, f->start, claimed, h, why);
	}
	if (f->start + claimed > f->quiet_until)
		f->quiet_until = f->start + claimed;
	skip(f, 1);
}

/* Handles what buf holds from its start; returns false when more bytes are needed. */
static bool process_one(struct p1crypt_framer *f)
{
	struct p1crypt_header h;
	const char *why;
	const uint8_t *db = memchr(f->buf, GGC_TAG, f->len);

	skip(f, db != NULL ? (size_t)(db - f->buf) : f->len);
	if (f->len == 0)
		return false;
	int r = p1crypt_header(&h, f->buf, f->len, &why);
	if (r == 0)
		return false;
	if (r < 0) {
		if (why == too_long)
			drop_frame(f, NULL, 1, why);
		else
			skip(f, 1);
		return true;
	}
	if (h.frame_len > f->len)
		return false;
	if (gcm_open(f->plain, f->buf, &h, f->key, f->aad_key) < 0) {
		drop_frame(f, &h, h.frame_len, "GCM tag does not verify (wrong key or damaged frame)");
		return true;
	}
	flush_garbage(f);
	f->plain[h.cipher_len] = '\0';
	emit(f, P1CRYPT_PLAIN, f->start, h.cipher_len, &h, NULL);
	if (f->start + h.frame_len > f->quiet_until)
		f->quiet_until = f->start + h.frame_len;
	consume_frame(f, h.frame_len);
	return true;
}

void p1crypt_framer_feed(struct p1crypt_framer *f, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 0) {
		/* A frame never exceeds the buffer, so a full buffer always lets process_one() advance. */
		size_t n = sizeof f->buf - f->len < len ? sizeof f->buf - f->len : len;
		memcpy(f->buf + f->len, p, n);
		f->len += n;
		p += n;
		len -= n;
		while (f->len > 0 && process_one(f))
			;
	}
}

void p1crypt_framer_finish(struct p1crypt_framer *f)
{
	/* Whatever waits for more bytes now never gets them: drop it and look again behind its start. */
	while (f->len > 0) {
		while (f->len > 0 && process_one(f))
			;
		if (f->len > 0)
			drop_frame(f, NULL, f->len, "frame cut short by the end of the stream");
	}
	flush_garbage(f);
	OPENSSL_cleanse(f->key, sizeof f->key);
	OPENSSL_cleanse(f->aad_key, sizeof f->aad_key);
}
