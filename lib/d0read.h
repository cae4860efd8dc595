/*
 * d0read.h — one IEC 62056-21 readout over a serial port: sign-on at 300
 * baud 7E1, the meter's identification, the mode C option select and baud
 * switch (or mode B's switch), then the readout up to its BCC. And the
 * passive case: readouts a meter pushes or a capture holds.
 *
 * Ownership: the port and buffers are the caller's; nothing is kept.
 */
#ifndef HIVE_D0READ_H
#define HIVE_D0READ_H

#include <stdbool.h>

#include "buf.h"
#include "reading.h"
#include "serial.h"

struct d0read_config {
	const char *address;    /* device address for the sign-on, NULL for "/?!" */
	bool no_bcc;            /* accept a readout without (or with a wrong) BCC, marked unchecked */
	int max_baud;           /* never ask for more than this in mode C (0: what the meter offers) */
	int timeout_ms;         /* for the identification and between readout bytes (0: 2000) */
};

/*
 * Runs one sign-on and readout on an open port (opened at 300 7E1). The
 * readout's bytes, identification line first, are left in raw (for --raw);
 * on success out holds the reading. Returns 0, or -1 with *why set (and
 * errno-like detail in it); the port is back at its configured baud after.
 */
int d0read_session(struct serial_port *port, const struct d0read_config *cfg, struct buf *raw,
                   struct reading *out, const char **why);

#endif
