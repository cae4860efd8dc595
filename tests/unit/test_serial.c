/* Serial ports on real pseudo-terminals: line settings, timeouts, hang-ups, backoff, baud switch. */
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "serial.h"

struct pty {
	int master;
	char name[256];
};

static struct pty pty_new(void)
{
	struct pty p = { -1, "" };
	int slave;

	if (openpty(&p.master, &slave, p.name, NULL, NULL) < 0) {
		perror("openpty");
		exit(1);
	}
	/* The port opens the slave by name; the master alone keeps the pair alive. */
	close(slave);
	return p;
}

static uint64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t now_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

static struct serial_config config(const char *path, const char *line)
{
	struct serial_config c = { path, 9600, 8, 'N', 1 };

	if (serial_parse_config(line, &c) < 0) {
		fprintf(stderr, "bad test config '%s'\n", line);
		exit(1);
	}
	return c;
}

/* Reads from the port until want bytes came or 1 s passed. */
static size_t read_exactly(struct serial_port *port, char *buf, size_t want)
{
	size_t got = 0;
	uint64_t end = now_ms() + 1000;

	while (got < want && now_ms() < end) {
		ssize_t r = serial_read(port, buf + got, want - got, 200);
		if (r < 0)
			break;
		got += (size_t)r;
	}
	return got;
}

static void test_parse(void)
{
	struct serial_config c = { "/dev/x", 115200, 8, 'N', 1 };
	char text[SERIAL_CONFIG_TEXT];

	CHECK_INTEQ(serial_parse_config("9600 7E1", &c), 0);
	CHECK_INTEQ(c.baud, 9600);
	CHECK_INTEQ(c.data_bits, 7);
	CHECK_INTEQ(c.parity, 'E');
	CHECK_INTEQ(c.stop_bits, 1);
	CHECK_STREQ(c.path, "/dev/x");
	serial_format_config(&c, text, sizeof text);
	CHECK_STREQ(text, "9600 7E1");
	CHECK_INTEQ(serial_parse_config("  115200\t8n1 ", &c), 0);
	serial_format_config(&c, text, sizeof text);
	CHECK_STREQ(text, "115200 8N1");
	CHECK_INTEQ(serial_parse_config("300", &c), 0);        /* the frame stays */
	serial_format_config(&c, text, sizeof text);
	CHECK_STREQ(text, "300 8N1");
	CHECK_INTEQ(serial_parse_config("7o2", &c), 0);        /* the baud rate stays */
	serial_format_config(&c, text, sizeof text);
	CHECK_STREQ(text, "300 7O2");
	CHECK_INTEQ(serial_parse_config("4000000 5N1", &c), 0);
	CHECK_INTEQ(c.baud, 4000000);

	const char *bad[] = {
		"9600 9X1", "9600 8X1", "9600 8N3", "9600 4N1", "12345 8N1", "", "   ",
		"9600 8N1 x", "8N1 9600", "96OO 8N1", "99999999 8N1", "0 8N1", "-9600 8N1",
		"9600 8N", "9600 8N11", "9600,8N1", "8N1 8N1",
	};
	serial_parse_config("9600 7E1", &c);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		errno = 0;
		CHECK_INTEQ(serial_parse_config(bad[i], &c), -1);
		CHECK_INTEQ(errno, EINVAL);
	}
	serial_format_config(&c, text, sizeof text);
	CHECK_STREQ(text, "9600 7E1");                         /* untouched by the failures */

	CHECK(serial_baud_supported(300));
	CHECK(serial_baud_supported(115200));
	CHECK(!serial_baud_supported(12345));
	CHECK(!serial_baud_supported(0));
}

static void test_make_termios(void)
{
	struct serial_config c = config("/dev/x", "9600 7E1");
	struct termios t;

	memset(&t, 0xff, sizeof t);    /* every flag set: what must be cleared is cleared */
	CHECK_INTEQ(serial_make_termios(&c, &t), 0);
	CHECK_INTEQ(t.c_cflag & CSIZE, CS7);
	CHECK(t.c_cflag & PARENB);
	CHECK(!(t.c_cflag & PARODD));
	CHECK(!(t.c_cflag & CSTOPB));
	CHECK(!(t.c_cflag & CRTSCTS));
	CHECK((t.c_cflag & (CLOCAL | CREAD)) == (CLOCAL | CREAD));
	CHECK((t.c_iflag & (INPCK | ISTRIP)) == (INPCK | ISTRIP));
	CHECK(!(t.c_iflag & (IXON | IXOFF | IXANY | ICRNL | IGNPAR | PARMRK)));
	CHECK(!(t.c_lflag & (ICANON | ECHO | ISIG | IEXTEN)));
	CHECK(!(t.c_oflag & OPOST));
	CHECK_INTEQ(t.c_cc[VMIN], 0);
	CHECK_INTEQ(t.c_cc[VTIME], 0);
	CHECK_INTEQ(cfgetispeed(&t), B9600);
	CHECK_INTEQ(cfgetospeed(&t), B9600);

	c = config("/dev/x", "115200 8O2");
	CHECK_INTEQ(serial_make_termios(&c, &t), 0);
	CHECK_INTEQ(t.c_cflag & CSIZE, CS8);
	CHECK((t.c_cflag & (PARENB | PARODD | CSTOPB)) == (PARENB | PARODD | CSTOPB));
	CHECK(!(t.c_iflag & ISTRIP));
	CHECK_INTEQ(cfgetospeed(&t), B115200);

	c = config("/dev/x", "9600 8N1");
	CHECK_INTEQ(serial_make_termios(&c, &t), 0);
	CHECK(!(t.c_cflag & PARENB));
	CHECK(!(t.c_iflag & (INPCK | ISTRIP)));

	struct serial_config bad[] = {
		{ "/dev/x", 12345, 8, 'N', 1 }, { "/dev/x", 9600, 9, 'N', 1 },
		{ "/dev/x", 9600, 8, 'X', 1 }, { "/dev/x", 9600, 8, 'N', 3 },
		{ "/dev/x", 9600, 4, 'N', 1 }, { "/dev/x", 0, 8, 'N', 1 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		errno = 0;
		CHECK_INTEQ(serial_make_termios(&bad[i], &t), -1);
		CHECK_INTEQ(errno, EINVAL);
	}
}

/* The flags every port gets, read back from the kernel. */
static void check_raw_port(const struct serial_port *port, speed_t speed)
{
	struct termios t;

	CHECK_INTEQ(tcgetattr(port->fd, &t), 0);
	CHECK_INTEQ(cfgetispeed(&t), speed);
	CHECK_INTEQ(cfgetospeed(&t), speed);
	CHECK((t.c_cflag & (CLOCAL | CREAD)) == (CLOCAL | CREAD));
	CHECK(!(t.c_cflag & CRTSCTS));
	CHECK(!(t.c_iflag & (IXON | IXOFF | ICRNL | INLCR | IGNCR)));
	CHECK(!(t.c_lflag & (ICANON | ECHO | ISIG | IEXTEN)));
	CHECK(!(t.c_oflag & OPOST));
	CHECK_INTEQ(t.c_cc[VMIN], 0);
	CHECK_INTEQ(t.c_cc[VTIME], 0);
	CHECK(fcntl(port->fd, F_GETFL) & O_NONBLOCK);
	CHECK(fcntl(port->fd, F_GETFD) & FD_CLOEXEC);
	CHECK_INTEQ(port->kind, SERIAL_TTY);
}

static void test_open_8n1(void)
{
	struct pty p = pty_new();
	struct serial_config c = config(p.name, "115200 8N1");
	struct serial_port port;
	struct termios t;
	char buf[64];

	CHECK_INTEQ(serial_open(&port, &c), 0);
	check_raw_port(&port, B115200);
	tcgetattr(port.fd, &t);
	CHECK_INTEQ(t.c_cflag & CSIZE, CS8);
	CHECK(!(t.c_cflag & (PARENB | CSTOPB)));
	CHECK(!(t.c_iflag & ISTRIP));
	CHECK_INTEQ(port.baud_now, 115200);
	CHECK(port.cfg.path != p.name);                       /* its own copy */
	CHECK_STREQ(port.cfg.path, p.name);

	/* Bytes in both directions, untouched: CR, LF, NUL and 8-bit values. */
	const char telegram[] = "/ISK5\\2M550T-1012\r\n\r\n1-0:1.8.1(001581.123*kWh)\r\n\0\xff!";
	CHECK_INTEQ(write(p.master, telegram, sizeof telegram), sizeof telegram);
	CHECK_INTEQ(read_exactly(&port, buf, sizeof telegram), sizeof telegram);
	CHECK_MEMEQ(buf, telegram, sizeof telegram);
	CHECK_INTEQ(serial_write_all(&port, "/?!\r\n", 5, 500), 0);
	CHECK_INTEQ(read(p.master, buf, sizeof buf), 5);
	CHECK_MEMEQ(buf, "/?!\r\n", 5);
	serial_close(&port);
	serial_close(&port);                                    /* twice is harmless */
	CHECK_INTEQ(port.fd, -1);
	errno = 0;
	CHECK_INTEQ(serial_read(&port, buf, sizeof buf, 10), -1);
	CHECK_INTEQ(errno, EBADF);
	close(p.master);
}

static void test_open_7e1(void)
{
	struct pty p = pty_new();
	struct serial_config c = config(p.name, "9600 7E1");
	struct serial_port port;
	struct termios t;
	char buf[8];

	CHECK_INTEQ(serial_open(&port, &c), 0);
	check_raw_port(&port, B9600);
	tcgetattr(port.fd, &t);
	CHECK((t.c_iflag & (INPCK | ISTRIP)) == (INPCK | ISTRIP));
	/* A pty forces CS8 and clears PARENB whatever it is told; a UART keeps them (see serial_make_termios). */
	CHECK(!(t.c_cflag & CSTOPB));
	/* ISTRIP is the line discipline's, so it works on a pty too: the high bit goes. */
	CHECK_INTEQ(write(p.master, "\xc1\x42", 2), 2);
	CHECK_INTEQ(read_exactly(&port, buf, 2), 2);
	CHECK_MEMEQ(buf, "\x41\x42", 2);
	serial_close(&port);
	close(p.master);
}

static void test_timeout(void)
{
	struct pty p = pty_new();
	struct serial_config c = config(p.name, "9600 8N1");
	struct serial_port port;
	char buf[8];

	CHECK_INTEQ(serial_open(&port, &c), 0);
	uint64_t t0 = now_ms();
	CHECK_INTEQ(serial_read(&port, buf, sizeof buf, 300), 0);
	uint64_t took = now_ms() - t0;
	CHECK(took >= 300);
	CHECK(took < 500);
	t0 = now_ms();
	CHECK_INTEQ(serial_read(&port, buf, sizeof buf, 0), 0);   /* a poll, no wait */
	CHECK(now_ms() - t0 < 50);
	CHECK(serial_idle_ms(&port) >= 300);

	/* Nobody reads the master: the write runs out of time instead of blocking. */
	size_t big = 1u << 20;
	char *junk = calloc(1, big);
	t0 = now_ms();
	errno = 0;
	CHECK_INTEQ(serial_write_all(&port, junk, big, 200), -1);
	CHECK_INTEQ(errno, ETIMEDOUT);
	took = now_ms() - t0;
	CHECK(took >= 200);
	CHECK(took < 400);
	free(junk);
	serial_close(&port);
	close(p.master);
}

struct counter {
	unsigned long retries, reconnected, last_reconnects;
	int last_err;
	uint64_t gap_ms, give_up_at;     /* give_up_at: monotonic ms, 0 never */
	unsigned delays[64];
	size_t ndelays;
};

static int count_event(const struct serial_port *port, const struct serial_event *ev, void *arg)
{
	struct counter *k = arg;

	(void)port;
	k->last_reconnects = ev->reconnects;
	if (ev->kind == SERIAL_EVENT_RECONNECTED) {
		k->reconnected++;
		k->gap_ms = ev->gap_ms;
		return 0;
	}
	k->retries++;
	k->last_err = ev->err;
	return k->give_up_at != 0 && now_ms() >= k->give_up_at;
}

static void test_hangup_does_not_spin(void)
{
	struct pty p = pty_new();
	struct serial_config c = config(p.name, "115200 8N1");
	struct serial_port port;
	struct counter k = { 0 };
	char buf[8];

	CHECK_INTEQ(serial_open(&port, &c), 0);
	close(p.master);                /* the meter's cable is pulled */
	uint64_t t0 = now_ms();
	errno = 0;
	CHECK_INTEQ(serial_read(&port, buf, sizeof buf, 2000), -1);
	CHECK_INTEQ(errno, EIO);
	CHECK(now_ms() - t0 < 100);     /* at once, not after the timeout */

	/* The whole reader loop for 1 s: read fails, reconnect waits, and so on. */
	port.backoff_min_ms = port.backoff_ms = 100;
	port.backoff_max_ms = 400;
	port.on_event = count_event;
	port.event_arg = &k;
	k.give_up_at = now_ms() + 1000;
	uint64_t cpu0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
	unsigned long reads = 0;
	int rc;
	for (;;) {
		if (serial_read(&port, buf, sizeof buf, 1000) < 0)
			reads++;
		rc = serial_reconnect(&port);
		if (rc < 0)
			break;
	}
	CHECK_INTEQ(errno, ECANCELED);
	CHECK_INTEQ(rc, -1);
	uint64_t cpu = clock_ms(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	CHECK(cpu < 100);
	CHECK(k.retries >= 2 && k.retries <= 5);   /* 100 + 200 + 400 + 400 ms */
	CHECK_INTEQ(reads, 1);
	CHECK_INTEQ(k.reconnected, 0);
	CHECK_INTEQ(k.last_err, ENOENT);           /* the pty's slave node went with its master */
	CHECK_INTEQ(port.fd, -1);
	serial_close(&port);
}

/* Makes link point at target after delay_ms, from a child process. */
static pid_t symlink_later(const char *target, const char *link, unsigned delay_ms)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct timespec ts = { 0, (long)delay_ms * 1000000L };
		nanosleep(&ts, NULL);
		_exit(symlink(target, link) == 0 ? 0 : 1);
	}
	return pid;
}

static void test_reconnect_to_late_device(void)
{
	char dir[] = "/tmp/test_serial.XXXXXX";
	char link[64];
	struct pty old = pty_new();
	struct serial_port port;
	struct counter k = { 0 };
	char buf[8];
	int status = -1;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(link, sizeof link, "%s/meter", dir);
	CHECK_INTEQ(symlink(old.name, link), 0);
	struct serial_config c = config(link, "115200 8N1");
	CHECK_INTEQ(serial_open(&port, &c), 0);
	close(old.master);
	unlink(link);
	CHECK_INTEQ(serial_read(&port, buf, sizeof buf, 1000), -1);

	/* The meter comes back as another device 0.3 s later. */
	struct pty fresh = pty_new();
	pid_t pid = symlink_later(fresh.name, link, 300);
	port.backoff_min_ms = port.backoff_ms = 50;
	port.backoff_max_ms = 200;
	port.on_event = count_event;
	port.event_arg = &k;
	uint64_t t0 = now_ms();
	CHECK_INTEQ(serial_reconnect(&port), 0);
	uint64_t took = now_ms() - t0;
	CHECK(took >= 300);
	CHECK(took < 800);
	CHECK_INTEQ(port.reconnects, 1);
	CHECK_INTEQ(k.reconnected, 1);
	CHECK_INTEQ(k.last_reconnects, 1);
	CHECK(k.retries >= 1);
	CHECK_INTEQ(k.last_err, ENOENT);
	CHECK(k.gap_ms >= 300);
	CHECK(port.backoff_ms > 50);
	check_raw_port(&port, B115200);
	CHECK_INTEQ(write(fresh.master, "ok", 2), 2);
	CHECK_INTEQ(read_exactly(&port, buf, 2), 2);
	CHECK_MEMEQ(buf, "ok", 2);
	CHECK_INTEQ(port.backoff_ms, 50);          /* data resets the backoff */
	CHECK(serial_idle_ms(&port) < 100);
	waitpid(pid, &status, 0);
	CHECK_INTEQ(status, 0);
	serial_close(&port);
	close(fresh.master);
	unlink(link);
	rmdir(dir);
}

struct fake_sleep {
	unsigned delays[64];
	size_t n;
	size_t interrupt_at;             /* the call that fails with EINTR (1-based), 0 none */
	const char *target, *link;       /* made at call number appear_at */
	size_t appear_at;
};

static int fake_sleep(unsigned ms, void *arg)
{
	struct fake_sleep *s = arg;

	if (s->n < sizeof s->delays / sizeof s->delays[0])
		s->delays[s->n] = ms;
	s->n++;
	if (s->n == s->interrupt_at) {
		errno = EINTR;
		return -1;
	}
	if (s->n == s->appear_at && symlink(s->target, s->link) < 0)
		perror("symlink");
	return 0;
}

static int cancel_after_ten(const struct serial_port *port, const struct serial_event *ev, void *arg)
{
	(void)port;
	(void)arg;
	return ev->kind == SERIAL_EVENT_RETRY && ev->attempts >= 10;
}

static void test_backoff_schedule(void)
{
	char dir[] = "/tmp/test_serial.XXXXXX";
	char link[64];
	struct pty p = pty_new();
	struct fake_sleep s = { .interrupt_at = 4 };
	struct serial_port port;
	char buf[4];

	CHECK(mkdtemp(dir) != NULL);
	snprintf(link, sizeof link, "%s/meter", dir);
	struct serial_config c = config(link, "9600 8N1");
	errno = 0;
	CHECK_INTEQ(serial_open(&port, &c), -1);
	CHECK_INTEQ(errno, ENOENT);
	CHECK_INTEQ(port.fd, -1);
	port.sleep = fake_sleep;
	port.sleep_arg = &s;
	port.on_event = cancel_after_ten;

	/* The default schedule: 0.5 s doubling to 30 s; a signal interrupts, the next call resumes. */
	errno = 0;
	CHECK_INTEQ(serial_reconnect(&port), -1);
	CHECK_INTEQ(errno, EINTR);
	CHECK_INTEQ(s.n, 4);
	errno = 0;
	CHECK_INTEQ(serial_reconnect(&port), -1);
	CHECK_INTEQ(errno, ECANCELED);
	const unsigned want[] = { 500, 1000, 2000, 4000, 4000, 8000, 16000, 30000, 30000, 30000,
	                          30000, 30000, 30000, 30000 };
	CHECK_INTEQ(s.n, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		CHECK_INTEQ(s.delays[i], want[i]);
	CHECK_INTEQ(port.reconnects, 0);

	/* The device appears during the third wait. */
	s = (struct fake_sleep){ .target = p.name, .link = link, .appear_at = 3 };
	port.backoff_ms = port.backoff_min_ms;
	CHECK_INTEQ(serial_reconnect(&port), 0);
	CHECK_INTEQ(s.n, 3);
	CHECK_INTEQ(port.reconnects, 1);
	CHECK_INTEQ(port.backoff_ms, 4000);
	/* It opens but says nothing: the next reconnection keeps backing off. */
	CHECK_INTEQ(serial_read(&port, buf, sizeof buf, 10), 0);
	s = (struct fake_sleep){ 0 };
	CHECK_INTEQ(serial_reconnect(&port), 0);
	CHECK_INTEQ(s.delays[0], 4000);
	CHECK_INTEQ(port.reconnects, 2);
	CHECK_INTEQ(write(p.master, "x", 1), 1);
	CHECK_INTEQ(serial_read(&port, buf, sizeof buf, 500), 1);
	CHECK_INTEQ(port.backoff_ms, 500);
	serial_close(&port);
	close(p.master);
	unlink(link);
	rmdir(dir);
}

static void test_baud_switch(void)
{
	struct pty p = pty_new();
	struct serial_config c = config(p.name, "300 7E1");
	struct serial_port port;
	struct termios t;
	char buf[4];

	CHECK_INTEQ(serial_open(&port, &c), 0);
	check_raw_port(&port, B300);
	/* D0 mode C: the acknowledgement goes out at 300 Bd, then the line switches. */
	CHECK_INTEQ(serial_write_all(&port, "\x06" "050\r\n", 6, 1000), 0);
	CHECK_INTEQ(serial_set_baud(&port, 9600), 0);
	CHECK_INTEQ(port.baud_now, 9600);
	CHECK_INTEQ(port.cfg.baud, 300);
	tcgetattr(port.fd, &t);
	CHECK_INTEQ(cfgetispeed(&t), B9600);
	CHECK_INTEQ(cfgetospeed(&t), B9600);
	CHECK(t.c_iflag & ISTRIP);                    /* the rest of the line stays */
	errno = 0;
	CHECK_INTEQ(serial_set_baud(&port, 12345), -1);
	CHECK_INTEQ(errno, EINVAL);
	tcgetattr(port.fd, &t);
	CHECK_INTEQ(cfgetospeed(&t), B9600);
	CHECK_INTEQ(read(p.master, buf, sizeof buf), 4);

	/* A reconnection starts over at the configured rate, for a new sign-on. */
	port.backoff_min_ms = port.backoff_ms = 1;
	CHECK_INTEQ(serial_reconnect(&port), 0);
	check_raw_port(&port, B300);
	CHECK_INTEQ(port.baud_now, 300);
	serial_close(&port);
	errno = 0;
	CHECK_INTEQ(serial_set_baud(&port, 9600), -1);
	CHECK_INTEQ(errno, EBADF);
	close(p.master);
}

static void test_bad_configs(void)
{
	struct pty p = pty_new();
	struct serial_config bad[] = {
		{ p.name, 12345, 8, 'N', 1 }, { p.name, 9600, 9, 'N', 1 },
		{ p.name, 9600, 8, 'X', 1 }, { p.name, 9600, 8, 'N', 0 }, { NULL, 9600, 8, 'N', 1 },
	};
	struct serial_port port;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		errno = 0;
		CHECK_INTEQ(serial_open(&port, &bad[i]), -1);
		CHECK_INTEQ(errno, EINVAL);
		CHECK_INTEQ(port.fd, -1);
		errno = 0;
		CHECK_INTEQ(serial_reconnect(&port), -1);   /* never retried: it cannot work */
		CHECK_INTEQ(errno, EINVAL);
		serial_close(&port);
	}
	close(p.master);
}

static void test_file_and_fifo(void)
{
	char dir[] = "/tmp/test_serial.XXXXXX";
	char path[64];
	struct serial_port port;
	char buf[16];

	CHECK(mkdtemp(dir) != NULL);
	/* A recorded capture: read as it is, to its end. */
	snprintf(path, sizeof path, "%s/capture", dir);
	FILE *f = fopen(path, "w");
	fputs("/ISK5\r\n", f);
	fclose(f);
	chmod(path, 0400);
	struct serial_config c = config(path, "115200 8N1");
	CHECK_INTEQ(serial_open(&port, &c), 0);
	CHECK_INTEQ(port.kind, SERIAL_STREAM);
	CHECK_INTEQ(serial_read(&port, buf, sizeof buf, 100), 7);
	errno = 0;
	CHECK_INTEQ(serial_read(&port, buf, sizeof buf, 100), -1);
	CHECK_INTEQ(errno, ENODATA);
	errno = 0;
	CHECK_INTEQ(serial_set_baud(&port, 9600), -1);
	CHECK_INTEQ(errno, ENOTTY);
	CHECK_INTEQ(serial_write_all(&port, "x", 1, 100), -1);
	serial_close(&port);
	unlink(path);

	/* A FIFO: waiting for a writer is a timeout, its leaving the end of data. */
	snprintf(path, sizeof path, "%s/fifo", dir);
	CHECK_INTEQ(mkfifo(path, 0600), 0);
	c.path = path;
	CHECK_INTEQ(serial_open(&port, &c), 0);
	CHECK_INTEQ(port.kind, SERIAL_STREAM);
	CHECK_INTEQ(serial_read(&port, buf, sizeof buf, 100), 0);
	int w = open(path, O_WRONLY);
	CHECK_INTEQ(write(w, "abc", 3), 3);
	close(w);
	CHECK_INTEQ(serial_read(&port, buf, sizeof buf, 100), 3);
	CHECK_MEMEQ(buf, "abc", 3);
	uint64_t t0 = now_ms();
	errno = 0;
	CHECK_INTEQ(serial_read(&port, buf, sizeof buf, 1000), -1);
	CHECK_INTEQ(errno, ENODATA);
	CHECK(now_ms() - t0 < 100);
	serial_close(&port);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_parse();
	test_make_termios();
	test_open_8n1();
	test_open_7e1();
	test_timeout();
	test_hangup_does_not_spin();
	test_reconnect_to_late_device();
	test_backoff_schedule();
	test_baud_switch();
	test_bad_configs();
	test_file_and_fifo();
	return check_done("test_serial");
}
