/*
 * gen-p1crypt — encrypts a DSMR capture telegram by telegram into encrypted P1
 * frames (AES-128-GCM, as Luxembourg's Smarty sends them), for the hive-read
 * benchmark (bench/hive-read).
 *
 *   gen-p1crypt KEYHEX < capture.p1 > capture.bin
 *
 * Each telegram, from its '/' to the CR LF after its CRC, becomes one frame
 * made by hive's own p1crypt_encrypt() under KEY (32 hex digits), Smarty's
 * authentication key, a fixed system title and frame counters 1, 2, 3, …
 *
 * cc -O2 -D_GNU_SOURCE -Ilib -o gen-p1crypt bench/gen-p1crypt.c build/libhive.a $(LIBS)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hex.h"
#include "p1crypt.h"

int main(int argc, char **argv)
{
	static const uint8_t title[P1CRYPT_TITLE_SIZE] = { 'S', 'A', 'G', 'g', 'p', 0x01, 0xbd, 0x54 };
	uint8_t key[P1CRYPT_KEY_SIZE];
	struct buf in = BUF_INIT, frame = BUF_INIT;
	char chunk[1 << 16];
	size_t n, start = 0;
	uint32_t counter = 0;

	if (argc != 2 || strlen(argv[1]) != 32 || hex_decode(argv[1], 32, key, sizeof key) < 0) {
		fprintf(stderr, "usage: gen-p1crypt KEYHEX < capture.p1 > capture.bin\n");
		return 2;
	}
	while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
		buf_append(&in, chunk, n);
		/* Every complete telegram in the buffer: '/' … '!' CRC CR LF. */
		for (;;) {
			char *slash = memchr(in.data + start, '/', in.len - start);
			if (slash == NULL) {
				start = in.len;
				break;
			}
			char *bang = memchr(slash, '!', in.len - (size_t)(slash - in.data));
			char *end = bang ? memchr(bang, '\n', in.len - (size_t)(bang - in.data)) : NULL;
			if (end == NULL) {
				start = (size_t)(slash - in.data);
				break;
			}
			size_t len = (size_t)(end + 1 - slash);
			buf_reset(&frame);
			if (p1crypt_encrypt(&frame, slash, len, key, NULL, title, ++counter) < 0) {
				fprintf(stderr, "gen-p1crypt: telegram %u is too long\n", counter);
				return 1;
			}
			if (fwrite(frame.data, 1, frame.len, stdout) != frame.len) {
				perror("gen-p1crypt: write");
				return 1;
			}
			start = (size_t)(end + 1 - in.data);
		}
		/* Keep only the unfinished telegram. */
		memmove(in.data, in.data + start, in.len - start);
		in.len -= start;
		start = 0;
	}
	buf_free(&frame);
	buf_free(&in);
	return fflush(stdout) == 0 ? 0 : 1;
}
