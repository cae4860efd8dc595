/*
 * hex.h — hexadecimal encoding of byte strings.
 *
 * Ownership: callers provide all buffers.
 */
#ifndef HIVE_HEX_H
#define HIVE_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Writes 2*n lower-case hex digits and a NUL to out (size 2*n+1). */
void hex_encode(const uint8_t *p, size_t n, char *out);
/*
 * Decodes exactly n bytes from s (an optional 0x/0X prefix is skipped; s must
 * hold exactly 2*n hex digits after it). Returns 0, or -1 when s is not that.
 */
int hex_decode(const char *s, size_t slen, uint8_t *out, size_t n);
/* Value of one hex digit, or -1. */
/* "0x" and 2*n lower-case hex digits and a NUL (out size 2*n+3): how hashes appear in records. */
void hex_encode_0x(const uint8_t *p, size_t n, char *out);
int hex_digit(int c);

#endif
