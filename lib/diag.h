/*
 * diag.h — diagnostics and exit codes shared by every hive tool.
 *
 * Ownership: nothing here allocates for the caller; strings passed in are
 * only read.
 *
 * Every message is prefixed with the program name set by diag_init(), is
 * lower case, names the object in single quotes and has no full stop.
 */
#ifndef HIVE_DIAG_H
#define HIVE_DIAG_H

#include <stddef.h>
#include <stdio.h>

/* Exit codes: one table, the same meaning in every tool (see hive(7)). */
enum hive_exit {
	HIVE_OK = 0,        /* success */
	HIVE_EBAD = 1,      /* some input records were rejected; the rest was processed */
	HIVE_EUSAGE = 2,    /* invalid command line */
	HIVE_EINPUT = 3,    /* an input or key file is missing, unreadable or malformed */
	HIVE_EAUTH = 4,     /* wrong password, or a key file fails its integrity check */
	HIVE_EOUTPUT = 5,   /* cannot write output, or an output file already exists */
	HIVE_ERULE = 6,     /* refused by a market or registry rule */
	HIVE_EINTERNAL = 70,/* internal error or out of memory (a bug: please report) */
	HIVE_ETEMP = 75     /* temporary failure (device or peer unavailable): retry later */
};

/* Sets the program name used as the prefix of every diagnostic. */
void diag_init(const char *argv0);
const char *diag_progname(void);
/* Sends diagnostics to stream instead of stderr (tests and fuzzers; NULL restores stderr). */
void diag_redirect(FILE *stream);

/* "prog: message" on stderr. */
void diag_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "prog: message: strerror(errno)" on stderr. */
void diag_warn_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* diag_warn, then exit(code). */
_Noreturn void diag_die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
_Noreturn void diag_die_errno(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Allocation that never returns NULL: out of memory exits with HIVE_EINTERNAL. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* Always-on precondition: a violated one is a bug and exits HIVE_EINTERNAL. */
#define HIVE_ASSERT(cond) \
	((cond) ? (void)0 : diag_die(HIVE_EINTERNAL, "internal error: %s:%d: %s", __FILE__, __LINE__, #cond))

#endif
