/*
 * utf8.h — validation of UTF-8 text as RFC 3629 defines it.
 *
 * Ownership: reads only the caller's bytes.
 */
#ifndef HIVE_UTF8_H
#define HIVE_UTF8_H

#include <stddef.h>

/*
 * Returns len when p[0..len) is well-formed UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF), else the offset of the first bad byte.
 */
size_t utf8_check(const char *p, size_t len);

#endif
