/*
 * p1crypt.h — encrypted DSMR P1 (Luxembourg Smarty, Austrian Sagemcom
 * meters): DLMS general-glo-ciphering frames decrypted with AES-128-GCM and
 * their tag verified, and a framer that cuts an encrypted byte stream into
 * plaintext telegrams for dsmr_parse().
 *
 * Ownership: the framer owns fixed buffers inside its struct (no
 * allocation) and a copy of the keys, wiped by p1crypt_framer_finish();
 * p1crypt_decrypt() and p1crypt_encrypt() write only the caller's struct buf.
 *
 * A frame is 0xDB, the system title's length (8) and the system title, the
 * length of what follows (one byte below 0x80, or 0x81 and one byte, or 0x82
 * and two bytes, big-endian), the security control byte 0x30 (authenticated
 * and encrypted, suite 0), a 4-byte frame counter, the ciphertext and a
 * 12-byte GCM tag. The IV is system title ‖ frame counter; the additional
 * authenticated data is the security control byte ‖ the 16-byte
 * authentication key (on Smarty meters the fixed p1crypt_smarty_aad_key).
 * A frame whose tag does not verify gives no plaintext at all.
 *
 * Domain code: nothing here prints; failures come back as a reason.
 */
#ifndef HIVE_P1CRYPT_H
#define HIVE_P1CRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define P1CRYPT_KEY_SIZE 16
#define P1CRYPT_TITLE_SIZE 8
#define P1CRYPT_TAG_SIZE 12
#define P1CRYPT_SECURITY 0x30
#define P1CRYPT_MAX_PLAIN 16384                  /* as DSMR_MAX_TELEGRAM */
#define P1CRYPT_MAX_FRAME (P1CRYPT_MAX_PLAIN + 32)

/* 00112233445566778899AABBCCDDEEFF, the authentication key of every Smarty meter. */
extern const uint8_t p1crypt_smarty_aad_key[P1CRYPT_KEY_SIZE];

struct p1crypt_header {
	uint8_t system_title[P1CRYPT_TITLE_SIZE];
	uint32_t frame_counter;
	uint8_t security;
	size_t frame_len;       /* the whole frame, from 0xDB to the end of the tag */
	size_t cipher_offset;   /* where the ciphertext starts in the frame */
	size_t cipher_len;
};

/*
 * Reads the header of the frame at p[0..len). Returns 1 with h filled (the
 * frame itself may be longer than len), 0 when more bytes are needed to
 * tell, or -1 with a reason when p does not start a frame this module reads
 * (not 0xDB, a title length other than 8, a length form other than the three
 * above, a security byte other than 0x30, shorter than a tag, or longer than
 * P1CRYPT_MAX_FRAME).
 */
int p1crypt_header(struct p1crypt_header *h, const uint8_t *p, size_t len, const char **why);

/*
 * Decrypts the frame frame[0..len) (exactly one frame) into plain, replacing
 * its contents. aad_key NULL means p1crypt_smarty_aad_key. Returns 0, or -1
 * with a reason and plain empty: a malformed frame, a length that does not
 * match, or a GCM tag that does not verify (wrong key, damaged frame).
 */
int p1crypt_decrypt(struct buf *plain, const uint8_t *frame, size_t len, const uint8_t key[P1CRYPT_KEY_SIZE],
                    const uint8_t aad_key[P1CRYPT_KEY_SIZE], const char **why);

/*
 * Appends to frame the encrypted frame of plain[0..len) under key, aad_key
 * (NULL: Smarty's), title and counter, as a meter would send it (for tests,
 * simulation and replay). Returns 0, or -1 when len exceeds P1CRYPT_MAX_PLAIN.
 */
int p1crypt_encrypt(struct buf *frame, const void *plain, size_t len, const uint8_t key[P1CRYPT_KEY_SIZE],
                    const uint8_t aad_key[P1CRYPT_KEY_SIZE], const uint8_t title[P1CRYPT_TITLE_SIZE],
                    uint32_t counter);

enum p1crypt_event_kind {
	P1CRYPT_PLAIN,      /* a frame decrypted and verified: the plaintext in data[0..len) */
	P1CRYPT_DROPPED,    /* a frame that failed (tag, length, cut short): len bytes from offset, why */
	P1CRYPT_GARBAGE     /* len bytes between frames that no frame explains */
};

struct p1crypt_event {
	enum p1crypt_event_kind kind;
	uint64_t offset;                        /* stream offset of the frame's 0xDB or of the garbage */
	size_t len;                             /* plaintext length, or bytes dropped or skipped */
	const char *data;                       /* P1CRYPT_PLAIN only; valid during the callback */
	const struct p1crypt_header *header;    /* P1CRYPT_PLAIN, and P1CRYPT_DROPPED when the header was read */
	const char *why;                        /* P1CRYPT_DROPPED */
};

typedef void p1crypt_framer_cb(const struct p1crypt_event *ev, void *arg);

struct p1crypt_framer {
	p1crypt_framer_cb *cb;
	void *arg;
	uint8_t key[P1CRYPT_KEY_SIZE];
	uint8_t aad_key[P1CRYPT_KEY_SIZE];
	uint64_t start;         /* stream offset of buf[0] */
	size_t len;
	uint64_t quiet_until;   /* bytes of a frame already reported are not reported again */
	uint64_t garbage_start;
	size_t garbage_len;
	uint8_t buf[P1CRYPT_MAX_FRAME];
	uint8_t plain[P1CRYPT_MAX_FRAME + 1];
};

/*
 * Starts a framer at stream offset 0 with the decryption key and the
 * authentication key (NULL: Smarty's). A frame starts at a 0xDB whose header
 * reads; its length field says where it ends. When its tag fails (a damaged
 * frame, or a cut one whose length swallowed the next), it is reported once
 * and the framer looks again from the byte after its 0xDB, so the next good
 * frame is still found.
 */
void p1crypt_framer_init(struct p1crypt_framer *f, const uint8_t key[P1CRYPT_KEY_SIZE],
                         const uint8_t aad_key[P1CRYPT_KEY_SIZE], p1crypt_framer_cb *cb, void *arg);
/* Feeds the next len bytes of the stream, in chunks of any size. */
void p1crypt_framer_feed(struct p1crypt_framer *f, const void *data, size_t len);
/* End of stream: reports what is left (frames cut off, garbage) and wipes the keys. */
void p1crypt_framer_finish(struct p1crypt_framer *f);

#endif
