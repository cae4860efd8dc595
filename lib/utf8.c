#include "utf8.h"

#include <stdint.h>

/* Length of the sequence starting at p[i], or 0 if it is not well formed. */
static size_t sequence_length(const uint8_t *p, size_t i, size_t len)
{
	uint8_t c = p[i];
	size_t n;
	uint8_t lo = 0x80, hi = 0xbf; /* allowed range of the second byte */

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;      /* overlong */
		else if (c == 0xed)
			hi = 0x9f;      /* UTF-16 surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;      /* overlong */
		else if (c == 0xf4)
			hi = 0x8f;      /* above U+10FFFF */
	} else
		return 0;
	if (len - i < n || p[i + 1] < lo || p[i + 1] > hi)
		return 0;
	for (size_t k = 2; k < n; k++)
		if ((p[i + k] & 0xc0) != 0x80)
			return 0;
	return n;
}

size_t utf8_check(const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		size_t n = sequence_length(p, i, len);
		if (n == 0)
			return i;
		i += n;
	}
	return len;
}
