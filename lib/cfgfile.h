/*
 * cfgfile.h — what tariff files (tariff.h) and assets files (assets.h) share:
 * an NDJSON file read whole, split into lines and checked line by line, and
 * the helpers their records are read with.
 *
 * A line: LF ends it, a CR before the LF and blanks (space, tab) at either
 * end carry no meaning, and a blank line is skipped. Any other line must be
 * valid UTF-8 without a NUL byte, strict JSON (jsonscan.h) and a JSON
 * object: one record, handed to the caller's callback.
 *
 * Ownership: struct cfgfile and the strings it points to are the caller's
 * (cfgfile_parse and cfgfile_type advance its line numbers); a jv passed in
 * is borrowed, never freed; strings returned by cfgfile_get_string and
 * cfgfile_need_string point into their object and live as long as it.
 *
 * Errors: every refusal is one diagnostic (diag.h), "'NAME' line N: CTX…"
 * with the name, line and context of the struct cfgfile, then -1; a
 * function that returns -1 has printed it.
 */
#ifndef HIVE_CFGFILE_H
#define HIVE_CFGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <jv.h>

struct buf;

/* The longest value cfgfile_shown quotes: its out[64] holds it, "..." and a NUL. */
#define CFGFILE_SHOWN_MAX 60

struct cfgfile {
	const char *name;               /* the file as diagnostics name it */
	unsigned long line;             /* the line being read, from 1; 0 before the first */
	unsigned long header_line;      /* the header's line; 0 until cfgfile_type has read it */
	const char *ctx;                /* put before each message ("goal 2: "), or NULL */
	size_t shown_max;               /* the most bytes of a value diagnostics quote, up to CFGFILE_SHOWN_MAX */
};

/*
 * Reads the file at path (following symbolic links), at most max bytes,
 * into text (initialised, appended to). Returns 0, or -1 after "cannot read
 * WHAT 'PATH': reason" with text freed.
 */
int cfgfile_read(const char *path, const char *what, size_t max, struct buf *text);

/*
 * Reads text[0..len) line by line, f->line counting lines from 1, and calls
 * record(arg, obj) for each record until one returns -1 (after its
 * diagnostic). Returns 0, or -1 after one diagnostic; f->line is then the
 * line refused, else the number of lines (0 for an empty text).
 */
int cfgfile_parse(struct cfgfile *f, const char *text, size_t len, int (*record)(void *arg, jv obj), void *arg);

/* "'NAME' line N: CTX" and the message; returns -1. */
int cfgfile_fail(const struct cfgfile *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * s[0..len) fit for a diagnostic, in out: at most f->shown_max bytes, whole
 * UTF-8 characters, and "..." when cut; control bytes as '?'. Returns out.
 */
const char *cfgfile_shown(const struct cfgfile *f, char out[64], const char *s, size_t len);

/* Whether s[0..len) is word. */
bool cfgfile_equals(const char *s, size_t len, const char *word);

bool cfgfile_is_digit(char c);

/*
 * The string member key of obj: 1 with its bytes (kept alive by obj) and
 * length, 0 when absent, -1 when it is not a string or holds a NUL.
 */
int cfgfile_get_string(const struct cfgfile *f, jv obj, const char *key, const char **s, size_t *len);

/* cfgfile_get_string, and absent is an error: 0 or -1. */
int cfgfile_need_string(const struct cfgfile *f, jv obj, const char *key, const char **s, size_t *len);

/*
 * Every member of obj is one of allowed (NULL-terminated) or "note", and a
 * note is a string; what names the record in the diagnostic ("a tou rule").
 * Returns 0 or -1.
 */
int cfgfile_check_members(const struct cfgfile *f, jv obj, const char *const *allowed, const char *what);

/*
 * The "type" member of record obj, in *type and *len (kept alive by obj), in
 * a file whose first record, and no other, is its header, of type header
 * (example shows the header in diagnostics: "{\"type\":\"assets\",...}").
 * Returns 1 for the header (f->header_line set), 0 for a record after it,
 * or -1: no "type", a first record that is not the header, a second header.
 */
int cfgfile_type(struct cfgfile *f, jv obj, const char *header, const char *example, const char **type, size_t *len);

/* "HH:MM" from 00:00 to 24:00 as minutes, or -1. */
int cfgfile_hhmm(const char *s, size_t len);

#endif
