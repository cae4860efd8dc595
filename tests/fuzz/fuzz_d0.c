/*
 * libFuzzer target for IEC 62056-21 (D0): any bytes as a readout, an
 * identification message and a device address. Properties: no crash or
 * leak; a readout that parses with its BCC checked also parses without the
 * check, to the same values; its length is what d0_readout_end() finds; a
 * sign-on built from an address has the address between "/?" and "!\r\n".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "d0.h"
#include "reading.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_readout(const char *p, size_t len)
{
	struct reading a, b;
	struct d0_readout ro;
	size_t off;
	const char *why;

	int checked = d0_parse(&a, p, len, false, &off, &why);
	int unchecked = d0_parse(&b, p, len, true, &off, &why);
	if (checked == 0) {
		if (!a.checked || unchecked != 0 || !b.checked)
			abort();
		if (memcmp(&a, &b, sizeof a) != 0)
			abort();
		if (d0_frame(&ro, p, len, false, &off, &why) != 0 || d0_readout_end(p, len) != ro.len || ro.len > len)
			abort();
	}
	if (d0_frame(&ro, p, len, true, &off, &why) == 0 && (ro.len > len || ro.data + ro.data_len > p + len))
		abort();
}

static void check_ident(const char *p, size_t len)
{
	struct d0_ident id;
	const char *why;
	const char *lf = memchr(p, '\n', len);

	if (d0_parse_ident(&id, p, lf != NULL ? (size_t)(lf - p) + 1 : len, &why) == 0) {
		if (id.mode != 'A' && id.mode != 'B' && id.mode != 'C')
			abort();
		if (id.mode == 'C' && d0_baud_char(id.baud) != id.baud_char)
			abort();
	}
}

static void check_sign_on(const char *p, size_t len)
{
	char address[48];
	struct buf out = BUF_INIT;
	size_t n = len < sizeof address - 1 ? len : sizeof address - 1;

	memcpy(address, p, n);
	address[n] = '\0';
	if (d0_sign_on(&out, address) == 0) {
		size_t alen = strlen(address);
		if (out.len != alen + 5 || memcmp(out.data, "/?", 2) != 0 || memcmp(out.data + 2, address, alen) != 0 ||
		    memcmp(out.data + 2 + alen, "!\r\n", 3) != 0)
			abort();
	}
	buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_readout((const char *)data, size);
	check_ident((const char *)data, size);
	check_sign_on((const char *)data, size);
	return 0;
}
