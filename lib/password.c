#include "password.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "diag.h"
#include "secret.h"
#include "xio.h"

#define PASSWORD_FILE_MAX (64 * 1024)
#define PASSWORD_MAX 4096 /* longest line taken from the terminal */

const char password_why_unreadable[] = "cannot read password file";
const char password_why_none[] = "no password: give --password-file, set HIVE_PASSWORD or run on a terminal";
static const char why_tty[] = "cannot read the password from the terminal";

/* Undoes a failed attempt: wipes what was appended after start. */
static int give_up(struct buf *out, size_t start, const char **why, const char *reason)
{
	if (out->len > start) {
		secret_wipe(out->data + start, out->len - start);
		out->len = start;
		out->data[start] = '\0';
	}
	*why = reason;
	return -1;
}

static int from_file(struct buf *out, const char *path, const char **why)
{
	struct buf text = BUF_INIT;
	struct stat st;

	if (read_file(path, &text, PASSWORD_FILE_MAX) < 0) {
		int saved = errno;
		buf_free_wipe(&text);
		errno = saved;
		*why = password_why_unreadable;
		return -1;
	}
	if (stat(path, &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)) != 0)
		diag_warn("warning: password file '%s' is readable by group or others", path);
	/* The first line, without "\n" or "\r\n" (as geth reads --password files). */
	const char *s = buf_str(&text);
	const char *nl = memchr(s, '\n', text.len);
	size_t len = nl != NULL ? (size_t)(nl - s) : text.len;
	if (len > 0 && s[len - 1] == '\r')
		len--;
	buf_append(out, s, len);
	buf_free_wipe(&text);
	return 0;
}

/* The terminal state to restore, also from a signal handler if the user interrupts. */
static struct termios tty_saved;
static volatile sig_atomic_t tty_restore_fd = -1;
static volatile sig_atomic_t tty_interrupted;
static const int tty_signals[] = { SIGINT, SIGTERM, SIGQUIT, SIGHUP };
static struct sigaction tty_old_actions[sizeof tty_signals / sizeof tty_signals[0]];

static void tty_restore_and_reraise(int sig)
{
	tty_interrupted = 1;
	if (tty_restore_fd >= 0)
		tcsetattr(tty_restore_fd, TCSAFLUSH, &tty_saved);
	for (size_t i = 0; i < sizeof tty_signals / sizeof tty_signals[0]; i++)
		if (tty_signals[i] == sig)
			sigaction(sig, &tty_old_actions[i], NULL);
	raise(sig);
}

static void tty_catch_signals(int on)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = tty_restore_and_reraise;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof tty_signals / sizeof tty_signals[0]; i++) {
		if (on)
			sigaction(tty_signals[i], &sa, &tty_old_actions[i]);
		else
			sigaction(tty_signals[i], &tty_old_actions[i], NULL);
	}
}

/*
 * Reads one line (without its newline) from fd, one byte at a time so nothing
 * is read past it. Stops when a signal came: if a tool's own handler lets us
 * live on, echo is back on and we must not go on reading.
 */
static int read_line(int fd, struct buf *out)
{
	size_t start = out->len;
	char c;

	for (;;) {
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR && !tty_interrupted)
			continue;
		if (r < 0)
			return -1;
		if (r == 0 || c == '\n')
			return 0;
		if (out->len - start >= PASSWORD_MAX) {
			errno = EMSGSIZE;
			return -1;
		}
		buf_putc(out, c);
	}
}

/* Shows prompt on the terminal fd, reads a line with echo off, restores the terminal. */
static int ask(int fd, const char *prompt, struct buf *out)
{
	struct termios quiet;
	int r;

	if (tcgetattr(fd, &tty_saved) < 0)
		return -1;
	quiet = tty_saved;
	quiet.c_lflag &= (tcflag_t)~ECHO;
	tty_restore_fd = fd;
	tty_interrupted = 0;
	tty_catch_signals(1);
	r = tcsetattr(fd, TCSAFLUSH, &quiet);
	if (r == 0)
		r = write_full(fd, prompt, strlen(prompt));
	if (r == 0)
		r = read_line(fd, out);
	tcsetattr(fd, TCSAFLUSH, &tty_saved);
	tty_restore_fd = -1;
	tty_catch_signals(0);
	write_full(fd, "\n", 1); /* the user's newline was not echoed */
	return r;
}

static int ask_twice(int fd, const char *prompt, struct buf *out, const char **why)
{
	struct buf again = BUF_INIT;
	size_t start = out->len;
	int r = 0;

	if (ask(fd, prompt, out) < 0 || ask(fd, "Repeat the password: ", &again) < 0)
		r = give_up(out, start, why, why_tty);
	else if (again.len != out->len - start || !secret_equal(again.data, out->data + start, again.len))
		r = give_up(out, start, why, "passwords do not match");
	buf_free_wipe(&again);
	return r;
}

static int from_tty(struct buf *out, const char *prompt, int confirm, const char **why)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	int r;

	if (fd < 0) {
		*why = password_why_none;
		return -1;
	}
	if (confirm) {
		r = ask_twice(fd, prompt, out, why);
	} else {
		size_t start = out->len;
		r = ask(fd, prompt, out);
		if (r < 0)
			give_up(out, start, why, why_tty);
	}
	close(fd);
	return r;
}

int password_get(struct buf *out, const char *password_file, const char *prompt, int confirm,
                 const char **why)
{
	size_t start = out->len;
	const char *env = getenv(PASSWORD_ENV);
	int r = 0;

	if (password_file != NULL)
		r = from_file(out, password_file, why);
	else if (env != NULL)
		buf_puts(out, env);
	else
		r = from_tty(out, prompt, confirm, why);
	if (r == 0 && confirm && out->len == start)
		return give_up(out, start, why, "empty password refused for a new key");
	return r;
}
