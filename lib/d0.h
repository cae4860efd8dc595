/*
 * d0.h — IEC 62056-21 ("D0", formerly IEC 61107) meter readout over an
 * optical head or a serial line: the messages a reader sends (sign-on,
 * option select), the meter's identification message, and its data readout
 * parsed into a struct reading.
 *
 * Ownership: pure functions over caller buffers; results point into the
 * caller's bytes or are written to the caller's struct buf or struct.
 *
 * The exchange (modes A, B, C; all start at 300 baud, 7E1):
 *   reader  "/?!\r\n"  or "/?ADDRESS!\r\n"                        sign-on
 *   meter   "/MMMZ<ident>\r\n"                                  identification
 *   reader  ACK '0' Z '0' "\r\n" (mode C only)                  option select: data readout at Z's baud
 *   meter   STX <data lines> "!\r\n" ETX BCC                     readout
 * MMM is the manufacturer (a lower-case third letter: 20 ms reaction time);
 * Z gives the baud rate: in mode C '0'..'6' = 300, 600, 1200, 2400, 4800,
 * 9600, 19200, switched to after the option select; in mode B 'A'..'F' =
 * 600..19200, switched to by the meter itself after its identification; any
 * other character is mode A (300 baud throughout). A "\W" in the ident is an
 * enhanced capability ("\2": mode E, HDLC). BCC is the XOR of every byte after
 * STX up to and including ETX.
 *
 * Domain code: nothing here prints; failures come back as a reason and a byte
 * offset.
 */
#ifndef HIVE_D0_H
#define HIVE_D0_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "reading.h"

#define D0_STX 0x02
#define D0_ETX 0x03
#define D0_ACK 0x06
#define D0_MAX_ADDRESS 32

struct d0_ident {
	char manufacturer[4];           /* "ACE" */
	char baud_char;                 /* Z as sent */
	char mode;                      /* 'A', 'B' or 'C' */
	int baud;                       /* A: 300; B: the baud the meter switches to; C: the baud to ask for */
	bool fast_reaction;             /* third manufacturer letter in lower case: 20 ms instead of 200 ms */
	char enhanced;                  /* the character after a '\' in the ident ('2': mode E), '\0' if none */
	char ident[READING_ID_SIZE];    /* everything after Z: "\3k260V01.18" */
};

/*
 * Parses the identification message "/MMMZ<ident>" (with or without its CR
 * LF). Returns 0, or -1 with a reason: no '/', a manufacturer that is not
 * three letters, a reserved baud character ('7'..'9', 'G'..'I'), a control
 * character, or an ident longer than READING_ID_SIZE - 1.
 */
int d0_parse_ident(struct d0_ident *out, const char *line, size_t len, const char **why);

/* The mode C baud character for baud (300 → '0' … 19200 → '6'), or '\0' for another rate. */
char d0_baud_char(int baud);

/*
 * Appends the sign-on request "/?!\r\n", or "/?ADDRESS!\r\n" when address is
 * neither NULL nor empty (up to 32 letters, digits and spaces). Returns 0, or
 * -1 when the address is not such.
 */
int d0_sign_on(struct buf *out, const char *address);

/*
 * Appends the mode C option select for a data readout at baud: ACK '0' Z '0'
 * CR LF. Returns 0, or -1 when baud is not in the mode C table.
 */
int d0_ack(struct buf *out, int baud);

/* A readout's parts, pointing into the caller's bytes. */
struct d0_readout {
	const char *ident;      /* the identification line after '/', without CR LF, when the bytes start with it */
	size_t ident_len;
	const char *data;       /* the data lines between STX and '!' */
	size_t data_len;
	size_t len;             /* bytes of the whole readout: through the BCC, or "!\r\n" when it has none */
	bool checked;           /* ETX and BCC present and the BCC verified */
};

/*
 * Length of the first complete readout in p[0..len) — STX … ETX BCC — or 0
 * when it is not complete yet (a reader waits for more bytes, or a timeout
 * for a meter that sends no ETX/BCC).
 */
size_t d0_readout_end(const char *p, size_t len);

/*
 * Frames and checks one readout at p[0..len): an optional identification
 * line, STX, data lines, "!" CR LF, ETX and BCC. With no_bcc, a readout that
 * ends after "!\r\n" without ETX/BCC, or whose BCC does not match, is
 * accepted with checked false. Returns 0, or -1 with the offset and a reason.
 */
int d0_frame(struct d0_readout *out, const char *p, size_t len, bool no_bcc, size_t *bad_offset, const char **why);

/*
 * Parses one readout (as d0_frame() takes it) into out: protocol "d0",
 * model (the identification line after '/'), meter_id (C.1 / C.1.0 /
 * 96.1.0, the serial number, else 0.0.0, the device address), the
 * electricity registers of obis_store_register() (1.8.0, 2.8.0, 1.8.t,
 * 2.8.t, 1.7.0, 2.7.0, 16.7.0, per phase 31/32/21/22/36.7.0 …). Values with
 * a billing-period F ("1.8.0*12") are history and ignored, as are unknown
 * data sets. Returns 0, or -1 with the offset and a reason and out cleared:
 * framing or BCC, a malformed data set or register, a register sent twice.
 */
int d0_parse(struct reading *out, const char *readout, size_t len, bool no_bcc, size_t *bad_offset, const char **why);

#endif
