#include "d0read.h"

#include <string.h>
#include <time.h>

#include "d0.h"
#include "timeutil.h"

static int timeout_of(const struct d0read_config *cfg)
{
	return cfg->timeout_ms > 0 ? cfg->timeout_ms : 2000;
}

/* Reads until raw ends with "\r\n" after start, or the timeout passes with no byte. */
static int read_line(struct serial_port *port, struct buf *raw, size_t start, int timeout_ms)
{
	char c;

	while (raw->len < start + 2 || memcmp(raw->data + raw->len - 2, "\r\n", 2) != 0) {
		ssize_t n = serial_read(port, &c, 1, timeout_ms);
		if (n <= 0)
			return -1;
		buf_putc(raw, c);
		if (raw->len - start > 256)
			return -1;
	}
	return 0;
}

/* Reads the readout into raw after start until it is complete (or, with no_bcc, until "!\r\n" and silence). */
static int read_readout(struct serial_port *port, struct buf *raw, size_t start, const struct d0read_config *cfg)
{
	uint8_t chunk[512];

	for (;;) {
		size_t have = raw->len - start;
		if (d0_readout_end(raw->data + start, have) > 0)
			return 0;
		if (have > 65536)
			return -1;
		ssize_t n = serial_read(port, chunk, sizeof chunk, timeout_of(cfg));
		if (n > 0) {
			buf_append(raw, chunk, (size_t)n);
			continue;
		}
		/* Meters without ETX/BCC end with "!\r\n" and fall silent. */
		return cfg->no_bcc && have >= 3 && memcmp(raw->data + raw->len - 3, "!\r\n", 3) == 0 ? 0 : -1;
	}
}

static void pause_ms(int ms)
{
	struct timespec ts = { 0, (long)ms * 1000000L };
	nanosleep(&ts, NULL);
}

int d0read_session(struct serial_port *port, const struct d0read_config *cfg, struct buf *raw,
                   struct reading *out, const char **why)
{
	struct buf msg = BUF_INIT;
	struct d0_ident ident;
	size_t bad;
	int rc = -1;

	buf_reset(raw);
	if (d0_sign_on(&msg, cfg->address) < 0) {
		*why = "invalid device address";
		goto done;
	}
	if (serial_write_all(port, msg.data, msg.len, timeout_of(cfg)) < 0) {
		*why = "cannot send the sign-on";
		goto done;
	}
	if (read_line(port, raw, 0, timeout_of(cfg)) < 0) {
		*why = "no identification message from the meter";
		goto done;
	}
	if (d0_parse_ident(&ident, raw->data, raw->len, why) < 0)
		goto done;
	if (ident.mode == 'C') {
		int baud = cfg->max_baud > 0 && ident.baud > cfg->max_baud ? cfg->max_baud : ident.baud;
		buf_reset(&msg);
		/* The meter needs its reaction time before it listens for the option select. */
		pause_ms(ident.fast_reaction ? 20 : 200);
		if (d0_ack(&msg, baud) < 0 || serial_write_all(port, msg.data, msg.len, timeout_of(cfg)) < 0) {
			*why = "cannot send the option select";
			goto done;
		}
		if (baud != 300 && serial_set_baud(port, (unsigned)baud) < 0) {
			*why = "cannot switch the baud rate";
			goto done;
		}
	} else if (ident.mode == 'B' && ident.baud != 300 && serial_set_baud(port, (unsigned)ident.baud) < 0) {
		*why = "cannot switch the baud rate";
		goto done;
	}
	if (read_readout(port, raw, 0, cfg) < 0) {
		*why = "readout incomplete (no ETX and BCC before the meter fell silent)";
		goto done;
	}
	rc = d0_parse(out, raw->data, raw->len, cfg->no_bcc, &bad, why);
done:
	if (port->baud_now != port->cfg.baud && port->fd >= 0)
		serial_set_baud(port, port->cfg.baud);
	buf_free(&msg);
	return rc;
}
