/*
 * jvbuild.c — builders of record values (see jvbuild.h).
 */
#include <string.h>

#include "eth.h"
#include "jvbuild.h"
#include "timeutil.h"

jv jvb_address(const uint8_t a[20])
{
	char s[ETH_ADDR_STRLEN + 1];
	eth_address_format(s, a);
	return jv_string(s);
}

jv jvb_time(int64_t unix_ms)
{
	char t[RFC3339_SIZE];
	rfc3339_format(t, unix_ms);
	return jv_string(t);
}

/* A string GMP allocated, as a jv, freed the way GMP wants. */
static jv gmp_string(char *s)
{
	jv out = jv_string(s);
	void (*freefunc)(void *, size_t);
	mp_get_memory_functions(NULL, NULL, &freefunc);
	freefunc(s, strlen(s) + 1);
	return out;
}

jv jvb_integer(const mpz_t v)
{
	return gmp_string(mpz_get_str(NULL, 10, v));
}

jv jvb_fraction(const mpq_t q)
{
	return gmp_string(mpq_get_str(NULL, 10, q));
}

jv jvb_set(jv o, const char *key, jv v)
{
	return jv_object_set(o, jv_string(key), v);
}
