/*
 * serial.h — meter serial ports that never wedge: termios set-up, reads and
 * writes with timeouts, hang-up detection, and reopening with backoff.
 *
 * Ownership: a struct serial_port owns its descriptor and its copy of the
 * device path from serial_open() — whether that succeeds or not — until
 * serial_close(); a struct serial_config only borrows its path.
 *
 * The descriptor stays O_NONBLOCK for its whole life and every wait is a
 * poll(2) with a deadline, so no call blocks past its timeout and none spins.
 * A character device that is a tty gets raw termios (cfmakeraw, the line
 * settings, CLOCAL|CREAD, no flow control, VMIN 0 / VTIME 0); a regular file
 * or FIFO (replay of a capture) is read as it is, without termios. Functions
 * return 0 (or a byte count) on success and -1 with errno set on failure, so
 * the caller names the device in its diagnostic.
 *
 * The reader's loop: serial_read(); on 0 check serial_idle_ms(); on -1 warn
 * (rate-limited, ratelimit.h) and serial_reconnect(), whose callback is where
 * the caller emits its gap and reconnect events.
 */
#ifndef HIVE_SERIAL_H
#define HIVE_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <termios.h>

/*
 * Line settings; protocol defaults are the caller's (DSMR 115200 8N1,
 * DSMR 2.2 9600 7E1, SML 9600 8N1, D0 300 7E1).
 */
struct serial_config {
	const char *path;
	unsigned baud;
	int data_bits;      /* 5..8 */
	char parity;        /* 'N', 'E' or 'O' */
	int stop_bits;      /* 1 or 2 */
};

/* What serial_reconnect() reports to its callback. */
enum serial_event_kind {
	SERIAL_EVENT_RETRY,         /* an attempt failed (err); the next comes after delay_ms */
	SERIAL_EVENT_RECONNECTED    /* the device is open again */
};

struct serial_event {
	enum serial_event_kind kind;
	int err;                    /* RETRY: errno of the failed attempt */
	unsigned delay_ms;          /* RETRY: wait before the next attempt */
	unsigned long attempts;     /* attempts in this reconnection so far */
	unsigned long reconnects;   /* successful reconnections since serial_open() */
	uint64_t gap_ms;            /* RECONNECTED: time since the last byte read (or the first open) */
};

struct serial_port;
/* Returns 0 to go on, non-zero to abandon the reconnection (serial_reconnect fails with ECANCELED). */
typedef int serial_event_fn(const struct serial_port *port, const struct serial_event *ev, void *arg);
/* Sleeps ms milliseconds; 0, or -1 with errno (EINTR) to make serial_reconnect return. */
typedef int serial_sleep_fn(unsigned ms, void *arg);

enum serial_kind { SERIAL_NONE, SERIAL_TTY, SERIAL_STREAM };   /* STREAM: regular file, FIFO, other */

struct serial_port {
	struct serial_config cfg;   /* as opened; cfg.path is the port's own copy */
	int fd;                     /* -1 while closed */
	enum serial_kind kind;
	unsigned baud_now;          /* differs from cfg.baud after serial_set_baud() */
	unsigned long reconnects;
	/* Backoff: the wait before each reopening doubles from min to max; a successful read resets it. */
	unsigned backoff_min_ms, backoff_max_ms, backoff_ms;
	serial_event_fn *on_event;  /* may be NULL */
	void *event_arg;
	serial_sleep_fn *sleep;     /* NULL: nanosleep(2); tests inject their own */
	void *sleep_arg;
	uint64_t last_data_ms;      /* monotonic clock of the last byte read */
};

#define SERIAL_BACKOFF_MIN_MS 500
#define SERIAL_BACKOFF_MAX_MS 30000
#define SERIAL_CONFIG_TEXT 24      /* room for "4000000 8N1" and a NUL */

/*
 * Parses line settings into cfg, leaving cfg->path alone: "115200 8N1",
 * "9600 7E1" (parity letter in either case), a baud rate alone ("9600") or a
 * frame alone ("7E1"), which keep the other half of cfg. On error (EINVAL)
 * cfg is untouched.
 */
int serial_parse_config(const char *text, struct serial_config *cfg);
/* Writes "9600 7E1" into out (at least SERIAL_CONFIG_TEXT bytes). */
void serial_format_config(const struct serial_config *cfg, char *out, size_t size);
/* True when this system has a termios speed for baud (a standard rate; 0 is not one). */
bool serial_baud_supported(unsigned baud);
/* Checks the line settings (EINVAL when out of range or baud is unsupported). */
int serial_check_config(const struct serial_config *cfg);
/* Applies cfg's raw-mode line settings to tio (as serial_open does); EINVAL on a bad cfg. */
int serial_make_termios(const struct serial_config *cfg, struct termios *tio);

/*
 * Takes cfg into port (with the default backoff and no callback) and opens
 * the device. On failure the port keeps its config with fd -1, so the caller
 * may go on with serial_reconnect(); EINVAL means the config can never work.
 */
int serial_open(struct serial_port *port, const struct serial_config *cfg);
/* Closes the device and frees the path; safe to call twice. */
void serial_close(struct serial_port *port);

/*
 * Changes the speed of an open tty after pending output has been sent
 * (TCSADRAIN), e.g. D0 mode C after the acknowledgement. A reconnection
 * reopens at cfg.baud, so the protocol signs on again.
 */
int serial_set_baud(struct serial_port *port, unsigned baud);

/*
 * Reads up to n bytes, waiting at most timeout_ms (< 0: no limit). Returns
 * the byte count, 0 on timeout, or -1: EIO when a tty hung up (POLLHUP, EIO,
 * or a 0-byte read), ENODATA at the end of a file or FIFO, EBADF when
 * closed. After -1 the port does not recover by itself: call
 * serial_reconnect(), never serial_read() again in a loop.
 */
ssize_t serial_read(struct serial_port *port, void *buf, size_t n, int timeout_ms);
/* Writes all n bytes within timeout_ms (< 0: no limit); ETIMEDOUT when the time ran out. */
int serial_write_all(struct serial_port *port, const void *buf, size_t n, int timeout_ms);
/* Milliseconds since the last byte read (or the first open); long silence calls for serial_reconnect(). */
uint64_t serial_idle_ms(const struct serial_port *port);

/*
 * Closes the device and reopens it with the same config. Each attempt is
 * preceded by a wait of backoff_ms, which then doubles up to backoff_max_ms
 * (so a device that opens but hangs up at once cannot make a busy loop);
 * on_event hears of every failed attempt and of the success. Returns 0 when
 * open; -1 with EINVAL (the config can never work), ECANCELED (on_event said
 * stop) or the sleep's errno (EINTR: a signal came; calling again resumes
 * the same backoff).
 */
int serial_reconnect(struct serial_port *port);

#endif
