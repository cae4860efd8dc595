/*
 * secret.h — handling of key material and passwords.
 *
 * Ownership: functions only touch the memory they are given.
 */
#ifndef HIVE_SECRET_H
#define HIVE_SECRET_H

#include <stddef.h>

/* Overwrites n bytes with zeros in a way the compiler cannot elide. */
void secret_wipe(void *p, size_t n);
/* Compares n bytes in time independent of their contents; 1 when equal. */
int secret_equal(const void *a, const void *b, size_t n);

#endif
