#include "diag.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *progname = "hive";
static FILE *diag_stream;

void diag_init(const char *argv0)
{
	const char *slash;

	if (argv0 == NULL || *argv0 == '\0')
		return;
	slash = strrchr(argv0, '/');
	progname = slash ? slash + 1 : argv0;
}

void diag_redirect(FILE *stream)
{
	diag_stream = stream;
}

const char *diag_progname(void)
{
	return progname;
}

__attribute__((format(printf, 1, 0)))
static void vwarn(const char *fmt, va_list ap, const char *suffix)
{
	/* One buffer, one fputs: concurrent tools in a pipeline do not interleave mid-line. */
	char msg[2048];
	int n = snprintf(msg, sizeof msg, "%s: ", progname);

	if (n < 0 || (size_t)n >= sizeof msg)
		n = 0;
	vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
	if (suffix != NULL) {
		size_t len = strlen(msg);
		snprintf(msg + len, sizeof msg - len, ": %s", suffix);
	}
	size_t len = strlen(msg);
	if (len + 1 >= sizeof msg)
		len = sizeof msg - 2;
	msg[len] = '\n';
	msg[len + 1] = '\0';
	fputs(msg, diag_stream ? diag_stream : stderr);
}

void diag_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap, NULL);
	va_end(ap);
}

void diag_warn_errno(const char *fmt, ...)
{
	const char *err = strerror(errno);
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap, err);
	va_end(ap);
}

void diag_die(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap, NULL);
	va_end(ap);
	exit(code);
}

void diag_die_errno(int code, const char *fmt, ...)
{
	const char *err = strerror(errno);
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap, err);
	va_end(ap);
	exit(code);
}

static void *check_alloc(void *p)
{
	if (p == NULL)
		diag_die(HIVE_EINTERNAL, "out of memory");
	return p;
}

void *xmalloc(size_t n)
{
	return check_alloc(malloc(n ? n : 1));
}

void *xcalloc(size_t n, size_t size)
{
	return check_alloc(calloc(n ? n : 1, size ? size : 1));
}

void *xrealloc(void *p, size_t n)
{
	return check_alloc(realloc(p, n ? n : 1));
}

char *xstrdup(const char *s)
{
	return check_alloc(strdup(s));
}
