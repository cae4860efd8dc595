/*
 * buf.h — a growable byte buffer, always NUL-terminated.
 *
 * Ownership: a struct buf owns its data; buf_free() releases it and
 * buf_detach() hands it to the caller. Growth never fails (out of memory
 * exits, see xmalloc in diag.h).
 */
#ifndef HIVE_BUF_H
#define HIVE_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	char *data;   /* NUL-terminated; NULL until the first append */
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends n bytes as lower-case hex, without a 0x prefix. */
void buf_hex(struct buf *b, const uint8_t *p, size_t n);
/* Empties the buffer and keeps its memory. */
void buf_reset(struct buf *b);
/* Releases the memory (wiping it first when wipe is non-zero). */
void buf_free(struct buf *b);
void buf_free_wipe(struct buf *b);
/* Returns the data (never NULL) and leaves the buffer empty. */
char *buf_detach(struct buf *b, size_t *len);
/* Returns the data, "" for an empty buffer. */
const char *buf_str(const struct buf *b);

#endif
