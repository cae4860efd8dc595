/*
 * jcs.h — RFC 8785 JSON Canonicalization Scheme over libjq's jv values.
 *
 * Ownership: jv arguments are borrowed: the caller keeps its reference.
 *
 * The output is the exact byte sequence a record is hashed and signed over:
 * no whitespace, members sorted by UTF-16 code units, strings with the
 * minimal escapes and numbers as ECMAScript writes them.
 */
#ifndef HIVE_JCS_H
#define HIVE_JCS_H

#include <jv.h>

#include "buf.h"

/* Arrays and objects nested deeper than this are refused ("nesting too deep"). */
#define JCS_MAX_DEPTH 512

/* Appends the canonical form of value to out. When skip_key is not NULL and value is an object,
   that top-level member is left out (used to canonicalise a record without its "sig").
   Returns 0, or -1 with *why set to a static reason (e.g. "number is not finite") and out restored to its previous length. */
int jcs_append(struct buf *out, jv value, const char *skip_key, const char **why);

/* Appends the ECMAScript (ES2015 Number.prototype.toString) form of a finite double, as RFC 8785 §3.2.2.3 requires. Returns 0 or -1 for NaN/Infinity. */
int jcs_number(struct buf *out, double d);
/* The order of two member names in a canonical object: < 0, 0 or > 0, as strcmp. */
int jcs_compare_names(const char *a, size_t alen, const char *b, size_t blen);
/* Appends s (len bytes of UTF-8) as an RFC 8785 JSON string, quotes included. */
void jcs_string(struct buf *out, const char *s, size_t len);

#endif
