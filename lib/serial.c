#include "serial.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"

struct baud_speed {
	unsigned baud;
	speed_t speed;
};

/* The rates termios can name; glibc 2.36 accepts only these constants in cfsetspeed. */
static const struct baud_speed baud_table[] = {
	{ 50, B50 }, { 75, B75 }, { 110, B110 }, { 134, B134 }, { 150, B150 },
	{ 200, B200 }, { 300, B300 }, { 600, B600 }, { 1200, B1200 }, { 1800, B1800 },
	{ 2400, B2400 }, { 4800, B4800 }, { 9600, B9600 }, { 19200, B19200 },
	{ 38400, B38400 }, { 57600, B57600 }, { 115200, B115200 }, { 230400, B230400 },
#ifdef B460800
	{ 460800, B460800 },
#endif
#ifdef B500000
	{ 500000, B500000 }, { 576000, B576000 }, { 921600, B921600 },
	{ 1000000, B1000000 }, { 1152000, B1152000 }, { 1500000, B1500000 },
	{ 2000000, B2000000 }, { 2500000, B2500000 }, { 3000000, B3000000 },
	{ 3500000, B3500000 }, { 4000000, B4000000 },
#endif
};

static const struct baud_speed *find_baud(unsigned baud)
{
	for (size_t i = 0; i < sizeof baud_table / sizeof baud_table[0]; i++)
		if (baud_table[i].baud == baud)
			return &baud_table[i];
	return NULL;
}

bool serial_baud_supported(unsigned baud)
{
	return find_baud(baud) != NULL;
}

int serial_check_config(const struct serial_config *cfg)
{
	bool ok = serial_baud_supported(cfg->baud) &&
		cfg->data_bits >= 5 && cfg->data_bits <= 8 &&
		(cfg->parity == 'N' || cfg->parity == 'E' || cfg->parity == 'O') &&
		(cfg->stop_bits == 1 || cfg->stop_bits == 2);

	if (!ok) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* "8N1": exactly three characters. */
static int parse_frame(const char *s, size_t len, struct serial_config *cfg)
{
	if (len != 3 || s[0] < '5' || s[0] > '8' || (s[2] != '1' && s[2] != '2'))
		return -1;
	char parity = (char)toupper((unsigned char)s[1]);
	if (parity != 'N' && parity != 'E' && parity != 'O')
		return -1;
	cfg->data_bits = s[0] - '0';
	cfg->parity = parity;
	cfg->stop_bits = s[2] - '0';
	return 0;
}

static int parse_baud(const char *s, size_t len, struct serial_config *cfg)
{
	unsigned long v = 0;

	if (len == 0 || len > 7)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (!serial_baud_supported((unsigned)v))
		return -1;
	cfg->baud = (unsigned)v;
	return 0;
}

/* The next word of s after *pos, as start and length. */
static size_t next_word(const char *s, size_t *pos, const char **word)
{
	size_t i = *pos, start;

	while (isspace((unsigned char)s[i]))
		i++;
	start = i;
	while (s[i] != '\0' && !isspace((unsigned char)s[i]))
		i++;
	*word = s + start;
	*pos = i;
	return i - start;
}

int serial_parse_config(const char *text, struct serial_config *cfg)
{
	struct serial_config out = *cfg;
	const char *w1, *w2, *w3;
	size_t pos = 0;
	size_t n1 = next_word(text, &pos, &w1);
	size_t n2 = next_word(text, &pos, &w2);
	size_t n3 = next_word(text, &pos, &w3);
	int rc;

	if (n1 == 0 || n3 != 0)
		rc = -1;
	else if (n2 != 0)
		rc = parse_baud(w1, n1, &out) == 0 ? parse_frame(w2, n2, &out) : -1;
	else if (isdigit((unsigned char)w1[0]) && n1 != 3)
		rc = parse_baud(w1, n1, &out);
	else    /* three characters: a frame ("7E1") or a three-digit rate ("300") */
		rc = parse_frame(w1, n1, &out) == 0 ? 0 : parse_baud(w1, n1, &out);
	if (rc < 0) {
		errno = EINVAL;
		return -1;
	}
	*cfg = out;
	return 0;
}

void serial_format_config(const struct serial_config *cfg, char *out, size_t size)
{
	snprintf(out, size, "%u %d%c%d", cfg->baud, cfg->data_bits, cfg->parity, cfg->stop_bits);
}

static tcflag_t char_size(int data_bits)
{
	switch (data_bits) {
	case 5: return CS5;
	case 6: return CS6;
	case 7: return CS7;
	default: return CS8;
	}
}

int serial_make_termios(const struct serial_config *cfg, struct termios *tio)
{
	if (serial_check_config(cfg) < 0)
		return -1;
	cfmakeraw(tio);
	tio->c_cflag &= ~(tcflag_t)(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
	tio->c_cflag |= char_size(cfg->data_bits) | CLOCAL | CREAD;
	if (cfg->parity != 'N')
		tio->c_cflag |= PARENB | (cfg->parity == 'O' ? PARODD : 0);
	if (cfg->stop_bits == 2)
		tio->c_cflag |= CSTOPB;
	tio->c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY | IGNPAR | PARMRK | INPCK);
	/* A byte with a parity error reads as NUL, so the frame's checksum rejects it. */
	if (cfg->parity != 'N')
		tio->c_iflag |= INPCK;
	/* Some UARTs hand 7-bit characters up with the parity bit still set. */
	if (cfg->data_bits < 8)
		tio->c_iflag |= ISTRIP;
	tio->c_cc[VMIN] = 0;
	tio->c_cc[VTIME] = 0;
	speed_t speed = find_baud(cfg->baud)->speed;
	if (cfsetispeed(tio, speed) < 0 || cfsetospeed(tio, speed) < 0)
		return -1;
	return 0;
}

static uint64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* tcsetattr succeeds if any change took, so read the speed back to catch a refused rate. */
static int apply_termios(int fd, const struct serial_config *cfg)
{
	struct termios tio, back;

	if (tcgetattr(fd, &tio) < 0 || serial_make_termios(cfg, &tio) < 0)
		return -1;
	if (tcsetattr(fd, TCSANOW, &tio) < 0 || tcgetattr(fd, &back) < 0)
		return -1;
	if (cfgetospeed(&back) != cfgetospeed(&tio)) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* Captures are often read-only and a FIFO opened O_RDWR would be its own writer. */
static int open_flags(const char *path)
{
	struct stat st;
	int base = O_NOCTTY | O_NONBLOCK | O_CLOEXEC;

	if (stat(path, &st) == 0 && (S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode)))
		return base | O_RDONLY;
	return base | O_RDWR;
}

static int open_device(struct serial_port *port)
{
	int fd = open(port->cfg.path, open_flags(port->cfg.path));

	if (fd < 0)
		return -1;
	if (isatty(fd)) {
		if (apply_termios(fd, &port->cfg) < 0) {
			int err = errno;
			close(fd);
			errno = err;
			return -1;
		}
		port->kind = SERIAL_TTY;
	} else {
		port->kind = SERIAL_STREAM;
	}
	port->fd = fd;
	port->baud_now = port->cfg.baud;
	return 0;
}

int serial_open(struct serial_port *port, const struct serial_config *cfg)
{
	memset(port, 0, sizeof *port);
	port->fd = -1;
	port->cfg = *cfg;
	port->cfg.path = cfg->path ? xstrdup(cfg->path) : NULL;
	port->backoff_min_ms = SERIAL_BACKOFF_MIN_MS;
	port->backoff_max_ms = SERIAL_BACKOFF_MAX_MS;
	port->backoff_ms = SERIAL_BACKOFF_MIN_MS;
	port->last_data_ms = monotonic_ms();
	if (port->cfg.path == NULL || serial_check_config(&port->cfg) < 0) {
		errno = EINVAL;
		return -1;
	}
	return open_device(port);
}

static void close_fd(struct serial_port *port)
{
	if (port->fd >= 0)
		close(port->fd);
	port->fd = -1;
	port->kind = SERIAL_NONE;
}

void serial_close(struct serial_port *port)
{
	close_fd(port);
	free((char *)port->cfg.path);
	port->cfg.path = NULL;
}

int serial_set_baud(struct serial_port *port, unsigned baud)
{
	const struct baud_speed *b = find_baud(baud);
	struct termios tio;

	if (port->fd < 0 || port->kind != SERIAL_TTY) {
		errno = port->fd < 0 ? EBADF : ENOTTY;
		return -1;
	}
	if (b == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (tcgetattr(port->fd, &tio) < 0 || cfsetispeed(&tio, b->speed) < 0 ||
	    cfsetospeed(&tio, b->speed) < 0 || tcsetattr(port->fd, TCSADRAIN, &tio) < 0)
		return -1;
	port->baud_now = baud;
	return 0;
}

/* Milliseconds left before deadline, for poll: -1 (no limit) when deadline is 0. */
static int remaining_ms(uint64_t deadline)
{
	if (deadline == 0)
		return -1;
	uint64_t now = monotonic_ms();
	return now >= deadline ? 0 : (int)(deadline - now);
}

static uint64_t deadline_after(int timeout_ms)
{
	return timeout_ms < 0 ? 0 : monotonic_ms() + (uint64_t)timeout_ms;
}

/* Waits for events on the port: 1 ready (revents set), 0 timed out, -1 error. */
static int wait_for(struct serial_port *port, short events, uint64_t deadline, short *revents)
{
	for (;;) {
		struct pollfd p = { .fd = port->fd, .events = events };
		int r = poll(&p, 1, remaining_ms(deadline));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r;
		*revents = p.revents;
		return 1;
	}
}

/* The end of the data: a hang-up on a tty, the end of a capture otherwise. */
static ssize_t source_ended(const struct serial_port *port)
{
	errno = port->kind == SERIAL_TTY ? EIO : ENODATA;
	return -1;
}

ssize_t serial_read(struct serial_port *port, void *buf, size_t n, int timeout_ms)
{
	uint64_t deadline = deadline_after(timeout_ms);

	if (port->fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (n == 0)     /* a 0-byte read would look like a hang-up */
		return 0;
	for (;;) {
		short revents = 0;
		int w = wait_for(port, POLLIN, deadline, &revents);
		if (w <= 0)
			return w;
		if (revents & POLLNVAL) {
			errno = EBADF;
			return -1;
		}
		if (!(revents & POLLIN))    /* POLLHUP or POLLERR with nothing left to read */
			return source_ended(port);
		ssize_t r = read(port->fd, buf, n);
		if (r > 0) {
			port->last_data_ms = monotonic_ms();
			port->backoff_ms = port->backoff_min_ms;
			return r;
		}
		/*
		 * Readable but 0 bytes: a hung-up tty (Linux then reports POLLIN|POLLHUP
		 * on every poll), or the end of a file. Returning it stops the spin.
		 */
		if (r == 0)
			return source_ended(port);
		if (errno != EINTR && errno != EAGAIN)
			return -1;
	}
}

int serial_write_all(struct serial_port *port, const void *buf, size_t n, int timeout_ms)
{
	uint64_t deadline = deadline_after(timeout_ms);
	const char *p = buf;

	if (port->fd < 0) {
		errno = EBADF;
		return -1;
	}
	while (n > 0) {
		short revents = 0;
		int w = wait_for(port, POLLOUT, deadline, &revents);
		if (w == 0)
			errno = ETIMEDOUT;
		if (w <= 0)
			return -1;
		if (revents & (POLLHUP | POLLERR | POLLNVAL)) {
			errno = revents & POLLNVAL ? EBADF : EIO;
			return -1;
		}
		ssize_t r = write(port->fd, p, n);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

uint64_t serial_idle_ms(const struct serial_port *port)
{
	return monotonic_ms() - port->last_data_ms;
}

static int sleep_ms(struct serial_port *port, unsigned ms)
{
	if (port->sleep != NULL)
		return port->sleep(ms, port->sleep_arg);
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	return nanosleep(&ts, NULL);
}

static unsigned next_backoff(const struct serial_port *port)
{
	unsigned max = port->backoff_max_ms;
	unsigned doubled = port->backoff_ms > max / 2 ? max : port->backoff_ms * 2;
	if (doubled < port->backoff_min_ms)
		doubled = port->backoff_min_ms;
	return doubled > 0 ? doubled : 1;    /* even a zero setting must not spin */
}

static int notify(struct serial_port *port, struct serial_event *ev)
{
	ev->reconnects = port->reconnects;
	if (port->on_event == NULL || port->on_event(port, ev, port->event_arg) == 0)
		return 0;
	errno = ECANCELED;
	return -1;
}

int serial_reconnect(struct serial_port *port)
{
	struct serial_event ev = { .kind = SERIAL_EVENT_RETRY };

	close_fd(port);
	if (port->cfg.path == NULL || serial_check_config(&port->cfg) < 0) {
		errno = EINVAL;
		return -1;
	}
	for (;;) {
		if (sleep_ms(port, port->backoff_ms) < 0)
			return -1;
		ev.attempts++;
		int rc = open_device(port);
		int err = errno;
		port->backoff_ms = next_backoff(port);
		if (rc == 0) {
			port->reconnects++;
			ev.kind = SERIAL_EVENT_RECONNECTED;
			ev.gap_ms = serial_idle_ms(port);
			notify(port, &ev);    /* open already: a stop request is the caller's to act on */
			return 0;
		}
		if (err == EINVAL) {
			errno = EINVAL;
			return -1;
		}
		ev.err = err;
		ev.delay_ms = port->backoff_ms;
		if (notify(port, &ev) < 0)
			return -1;
	}
}
