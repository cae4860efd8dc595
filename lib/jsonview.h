/*
 * jsonview.h — a flat view of one JSON object: its top-level members as
 * spans of the text, found without building values. Replaying a ledger
 * reads a million small objects whose members are looked up a few times
 * each; parsing them into jq values costs more than all the rules together.
 *
 * A member's value is checked as far as its kind needs (strings: escapes,
 * control characters and UTF-8; numbers: the RFC 8259 grammar; literals), while arrays
 * and objects are only delimited — jsonview_value() parses one in full when
 * a caller needs it.
 *
 * Ownership: a view points into the text it was made from, which must
 * outlive it. Nothing is allocated.
 */
#ifndef HIVE_JSONVIEW_H
#define HIVE_JSONVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <jv.h>

#include "buf.h"

#define JSONVIEW_MAX 48   /* members of one object */

enum jsonview_kind { JV_STRING_SPAN, JV_NUMBER_SPAN, JV_ARRAY_SPAN, JV_OBJECT_SPAN, JV_TRUE_SPAN, JV_FALSE_SPAN,
	                 JV_NULL_SPAN };

struct jsonview_member {
	const char *key;        /* the name, without quotes (never escaped) */
	size_t klen;
	const char *val;        /* the value's text; for a string, without the quotes */
	size_t vlen;
	enum jsonview_kind kind;
	bool escaped;           /* a string with backslash escapes */
};

struct jsonview {
	struct jsonview_member m[JSONVIEW_MAX];
	size_t n;
};

/*
 * Views text[0..len) as one object. Returns 0, or -1 with *why set (not an
 * object, a malformed member, an escaped or repeated name, more than
 * JSONVIEW_MAX members, text after the object).
 */
int jsonview_parse(struct jsonview *v, const char *text, size_t len, const char **why);

/* The member named key, or NULL. */
const struct jsonview_member *jsonview_get(const struct jsonview *v, const char *key);

/* A string member's content, unescaped into out (replacing its content). Returns 0, or -1 when it is not a string. */
int jsonview_string(const struct jsonview_member *m, struct buf *out);

/* The member's value parsed into a jq value (jv_invalid for NULL). */
jv jsonview_value(const struct jsonview_member *m);

#endif
