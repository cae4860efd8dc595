/*
 * jsonscan.h — a strict RFC 8259 check of one JSON text, run before jq's
 * parser sees it. jq 1.6 accepts more than JSON (nan, 01, +1, .5, raw NUL
 * and control bytes, a BOM), keeps only the last of repeated member names,
 * rounds integers silently, and leaks memory on some malformed input; a
 * signed record must mean the same thing to every reader, so hive refuses
 * all of that here, naming the byte offset:
 *   - anything that is not RFC 8259 JSON;
 *   - repeated member names in one object (RFC 8785 and I-JSON forbid them);
 *   - \u escapes that leave a surrogate unpaired (I-JSON);
 *   - numbers that overflow a double, and integer literals that do not read
 *     back as the same digits from the double they become (9007199254740993
 *     would be signed as 9007199254740992): write those as strings;
 *   - nesting deeper than JSONSCAN_MAX_DEPTH (jq's own limit).
 *
 * Ownership: reads only the caller's bytes; allocates nothing that outlives a call.
 */
#ifndef HIVE_JSONSCAN_H
#define HIVE_JSONSCAN_H

#include <stddef.h>

#define JSONSCAN_MAX_DEPTH 256

/*
 * Returns 0 when text[0..len) passes, else -1 with *offset at the offending
 * byte and *why a static reason.
 */
int jsonscan_check(const char *text, size_t len, size_t *offset, const char **why);

#endif
