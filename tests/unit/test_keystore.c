/*
 * Keystores (Web3 Secret Storage v3), raw key files, passwords and the
 * keys_load/keys_create pair: known-answer vectors from upstream test suites
 * (tests/fixtures/SOURCES.md), round trips, and every malformed file we
 * could think of. Run from the top of the source tree.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jv.h>
#include <openssl/evp.h>

#include "check.h"
#include "diag.h"
#include "eth.h"
#include "hex.h"
#include "keccak.h"
#include "keys.h"
#include "keystore.h"
#include "password.h"
#include "secret.h"
#include "xio.h"

static const uint8_t zero32[32];

/* The parts of a fixture: the keystore JSON itself, its password and key. */
struct vector {
	struct buf keystore;
	struct buf password;
	uint8_t key[32];
};

static jv field(jv obj, const char *key)
{
	return jv_object_get(jv_copy(obj), jv_string(key));
}

static int load_vector(struct vector *v, const char *name)
{
	struct buf text = BUF_INIT;
	char path[256];

	memset(v, 0, sizeof *v);
	snprintf(path, sizeof path, "tests/fixtures/%s", name);
	if (read_file(path, &text, 1 << 20) < 0) {
		printf("cannot read fixture '%s': %s\n", path, strerror(errno));
		buf_free(&text);
		return -1;
	}
	jv root = jv_parse_sized(buf_str(&text), (int)text.len);
	buf_free(&text);
	if (jv_get_kind(root) != JV_KIND_OBJECT) {
		jv_free(root);
		return -1;
	}
	jv ks = jv_dump_string(field(root, "keystore"), 0);
	jv pw = field(root, "password");
	jv key = field(root, "expected_private_key");
	buf_puts(&v->keystore, jv_string_value(ks));
	buf_puts(&v->password, jv_string_value(pw));
	int r = hex_decode(jv_string_value(key), strlen(jv_string_value(key)), v->key, 32);
	jv_free(ks);
	jv_free(pw);
	jv_free(key);
	jv_free(root);
	return r;
}

static void free_vector(struct vector *v)
{
	buf_free(&v->keystore);
	buf_free_wipe(&v->password);
}

/* Decrypts text with password, expecting st (and why, unless NULL); a failure must leave a zero key. */
static void expect_decrypt(const char *text, size_t len, const char *password, size_t password_len,
                           enum keystore_status st, const char *why_want)
{
	uint8_t key[32];
	const char *why = "unset";

	memset(key, 0xaa, sizeof key);
	CHECK_INTEQ(keystore_decrypt(key, text, len, password, password_len, &why), st);
	if (st != KEYSTORE_OK)
		CHECK_MEMEQ(key, zero32, 32);
	if (why_want != NULL)
		CHECK_STREQ(why != NULL ? why : "(null)", why_want);
}

static void test_pbkdf2_vector(void)
{
	struct vector v;
	uint8_t key[32], addr[20];
	const char *why = "unset";

	CHECK_INTEQ(load_vector(&v, "keystore_v3_pbkdf2_testpassword.json"), 0);
	CHECK_INTEQ(keystore_decrypt(key, v.keystore.data, v.keystore.len, v.password.data, v.password.len, &why),
	            KEYSTORE_OK);
	CHECK(why == NULL);
	CHECK_MEMEQ(key, v.key, 32);
	/* The address the Web3 Secret Storage page gives for this key. */
	uint8_t want[20];
	hex_decode("008aeeda4d805471df9b2a5b0f38a0c3bcba786b", 40, want, 20);
	CHECK_INTEQ(eth_seckey_address(addr, key), 0);
	CHECK_MEMEQ(addr, want, 20);
	CHECK_INTEQ(keystore_check(v.keystore.data, v.keystore.len, &why), KEYSTORE_OK);
	expect_decrypt(v.keystore.data, v.keystore.len, "testpassworD", 12, KEYSTORE_WRONG_PASSWORD,
	               "wrong password (MAC mismatch)");
	free_vector(&v);
}

static void test_scrypt_vectors(void)
{
	struct vector v;
	uint8_t key[32];
	const char *why;

	/* eth-keystore-rs's scrypt file (n 8192, r 8, p 1). */
	CHECK_INTEQ(load_vector(&v, "keystore_v3_scrypt_n8192_eth_keystore_rs.json"), 0);
	CHECK_INTEQ(keystore_decrypt(key, v.keystore.data, v.keystore.len, v.password.data, v.password.len, &why),
	            KEYSTORE_OK);
	CHECK_MEMEQ(key, v.key, 32);
	expect_decrypt(v.keystore.data, v.keystore.len, "thisisnotrandom", 15, KEYSTORE_WRONG_PASSWORD, NULL);
	free_vector(&v);

	/* The spec's own scrypt vector has r 1, p 8 with N 2^18 ≥ 2^(16·r): outside RFC 7914, refused. */
	CHECK_INTEQ(load_vector(&v, "keystore_v3_scrypt_wiki_r1p8.json"), 0);
	CHECK_INTEQ(keystore_check(v.keystore.data, v.keystore.len, &why), KEYSTORE_UNSUPPORTED);
	CHECK_STREQ(why, "crypto.kdfparams.n is not below 2^(16·r) as scrypt requires");
	expect_decrypt(v.keystore.data, v.keystore.len, v.password.data, v.password.len, KEYSTORE_UNSUPPORTED,
	               "crypto.kdfparams.n is not below 2^(16·r) as scrypt requires");
	free_vector(&v);
}

static int is_lower_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int string_at(jv root, const char *path_json, char *out, size_t size)
{
	jv s = jv_getpath(jv_copy(root), jv_parse(path_json));
	int ok = jv_get_kind(s) == JV_KIND_STRING;

	snprintf(out, size, "%s", ok ? jv_string_value(s) : "");
	jv_free(s);
	return ok;
}

static double number_at(jv root, const char *path_json)
{
	jv n = jv_getpath(jv_copy(root), jv_parse(path_json));
	double d = jv_get_kind(n) == JV_KIND_NUMBER ? jv_number_value(n) : -1;

	jv_free(n);
	return d;
}

/* The layout keystore_encrypt promises: geth's fields, lower-case hex, a UUID v4. */
static void check_layout(const struct buf *text, const uint8_t key[32], uint64_t n)
{
	char s[128], want[41];
	uint8_t addr[20];

	CHECK(text->len > 0 && text->data[text->len - 1] == '\n');
	CHECK(memchr(text->data, '\n', text->len - 1) == NULL);
	CHECK(strncmp(text->data, "{\"address\":\"", 12) == 0);
	jv root = jv_parse_sized(text->data, (int)text->len);
	CHECK(jv_get_kind(root) == JV_KIND_OBJECT);
	CHECK(number_at(root, "[\"version\"]") == 3);
	eth_seckey_address(addr, key);
	hex_encode(addr, 20, want);
	CHECK(string_at(root, "[\"address\"]", s, sizeof s));
	CHECK_STREQ(s, want);
	CHECK(string_at(root, "[\"id\"]", s, sizeof s));
	CHECK(strlen(s) == 36 && s[8] == '-' && s[13] == '-' && s[14] == '4' && s[18] == '-' && s[23] == '-');
	CHECK(strchr("89ab", s[19]) != NULL);
	CHECK(string_at(root, "[\"crypto\",\"cipher\"]", s, sizeof s));
	CHECK_STREQ(s, "aes-128-ctr");
	CHECK(string_at(root, "[\"crypto\",\"kdf\"]", s, sizeof s));
	CHECK_STREQ(s, "scrypt");
	CHECK(string_at(root, "[\"crypto\",\"cipherparams\",\"iv\"]", s, sizeof s) && is_lower_hex(s, 32));
	CHECK(string_at(root, "[\"crypto\",\"ciphertext\"]", s, sizeof s) && is_lower_hex(s, 64));
	CHECK(string_at(root, "[\"crypto\",\"mac\"]", s, sizeof s) && is_lower_hex(s, 64));
	CHECK(string_at(root, "[\"crypto\",\"kdfparams\",\"salt\"]", s, sizeof s) && is_lower_hex(s, 64));
	CHECK(number_at(root, "[\"crypto\",\"kdfparams\",\"n\"]") == (double)n);
	CHECK(number_at(root, "[\"crypto\",\"kdfparams\",\"r\"]") == 8);
	CHECK(number_at(root, "[\"crypto\",\"kdfparams\",\"p\"]") == 1);
	CHECK(number_at(root, "[\"crypto\",\"kdfparams\",\"dklen\"]") == 32);
	jv_free(root);
}

static void round_trip(uint64_t n)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	uint8_t key[32], back[32];
	const char *why;

	CHECK_INTEQ(eth_seckey_generate(key), 0);
	CHECK_INTEQ(keystore_encrypt(&a, key, "correct horse", 13, n), KEYSTORE_OK);
	check_layout(&a, key, n);
	CHECK_INTEQ(keystore_decrypt(back, a.data, a.len, "correct horse", 13, &why), KEYSTORE_OK);
	CHECK_MEMEQ(back, key, 32);
	expect_decrypt(a.data, a.len, "correct horsf", 13, KEYSTORE_WRONG_PASSWORD, "wrong password (MAC mismatch)");
	/* Fresh salt, iv and id every time. */
	if (n == KEYSTORE_SCRYPT_N_MIN) {
		CHECK_INTEQ(keystore_encrypt(&b, key, "correct horse", 13, n), KEYSTORE_OK);
		CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) != 0);
	}
	secret_wipe(key, 32);
	secret_wipe(back, 32);
	buf_free(&a);
	buf_free(&b);
}

static void test_round_trips(void)
{
	struct buf out = BUF_INIT;
	uint8_t key[32], back[32], bad[32];
	const char *why;

	round_trip(KEYSTORE_SCRYPT_N_MIN);
	round_trip(KEYSTORE_SCRYPT_N_DEFAULT);

	/* The password is bytes of a length: an embedded NUL counts, a prefix is wrong. */
	eth_seckey_generate(key);
	CHECK_INTEQ(keystore_encrypt(&out, key, "ab\0cd", 5, 1024), KEYSTORE_OK);
	CHECK_INTEQ(keystore_decrypt(back, out.data, out.len, "ab\0cd", 5, &why), KEYSTORE_OK);
	CHECK_MEMEQ(back, key, 32);
	expect_decrypt(out.data, out.len, "ab", 2, KEYSTORE_WRONG_PASSWORD, NULL);
	buf_reset(&out);
	/* The empty password works (geth allows it; only keys_create refuses it). */
	CHECK_INTEQ(keystore_encrypt(&out, key, NULL, 0, 1024), KEYSTORE_OK);
	CHECK_INTEQ(keystore_decrypt(back, out.data, out.len, "", 0, &why), KEYSTORE_OK);
	CHECK_MEMEQ(back, key, 32);
	buf_reset(&out);

	/* Bad N and bad keys are refused and write nothing. */
	static const uint64_t bad_n[] = { 0, 1, 512, 1000, 1025, 3u << 10, 1u << 21, 1ull << 40 };
	for (size_t i = 0; i < sizeof bad_n / sizeof bad_n[0]; i++)
		CHECK_INTEQ(keystore_encrypt(&out, key, "x", 1, bad_n[i]), KEYSTORE_UNSUPPORTED);
	CHECK_INTEQ(keystore_encrypt(&out, zero32, "x", 1, 1024), KEYSTORE_MALFORMED);
	memset(bad, 0xff, 32);
	CHECK_INTEQ(keystore_encrypt(&out, bad, "x", 1, 1024), KEYSTORE_MALFORMED);
	CHECK_INTEQ(out.len, 0);
	buf_free(&out);
}

/* base with the value at path (a JSON array) replaced by value (JSON), or deleted when value is NULL. */
static void mutate(struct buf *out, const char *base, const char *path, const char *value)
{
	jv root = jv_parse(base);
	jv p = jv_parse(path);

	HIVE_ASSERT(jv_get_kind(root) == JV_KIND_OBJECT && jv_get_kind(p) == JV_KIND_ARRAY);
	if (value != NULL) {
		jv v = jv_parse(value);
		HIVE_ASSERT(jv_get_kind(v) != JV_KIND_INVALID);
		root = jv_setpath(root, p, v);
	} else {
		root = jv_delpaths(root, jv_array_append(jv_array(), p));
	}
	jv text = jv_dump_string(root, 0);
	buf_reset(out);
	buf_puts(out, jv_string_value(text));
	jv_free(text);
}

struct bad_case {
	const char *path;
	const char *value; /* NULL: delete */
	enum keystore_status status;
	const char *why;
};

static void run_cases(const char *base, const char *password, const struct bad_case *c, size_t n)
{
	struct buf text = BUF_INIT;
	const char *why;

	for (size_t i = 0; i < n; i++) {
		int failed_before = check_failed;
		mutate(&text, base, c[i].path, c[i].value);
		if (c[i].status == KEYSTORE_MALFORMED || c[i].status == KEYSTORE_UNSUPPORTED) {
			CHECK_INTEQ(keystore_check(text.data, text.len, &why), c[i].status);
		}
		expect_decrypt(text.data, text.len, password, strlen(password), c[i].status, c[i].why);
		if (check_failed != failed_before)
			printf("  case %zu: %s = %s\n", i, c[i].path, c[i].value ? c[i].value : "(deleted)");
	}
	buf_free(&text);
}

static const struct bad_case scrypt_cases[] = {
	{ "[\"version\"]", NULL, KEYSTORE_MALFORMED, "version is missing" },
	{ "[\"version\"]", "\"3\"", KEYSTORE_MALFORMED, "version is not a number" },
	{ "[\"version\"]", "1", KEYSTORE_UNSUPPORTED, "unsupported version: want 3" },
	{ "[\"version\"]", "4", KEYSTORE_UNSUPPORTED, "unsupported version: want 3" },
	{ "[\"crypto\"]", NULL, KEYSTORE_MALFORMED, "crypto is missing" },
	{ "[\"crypto\"]", "[]", KEYSTORE_MALFORMED, "crypto is not an object" },
	{ "[\"crypto\"]", "{}", KEYSTORE_MALFORMED, "crypto.cipher is missing" },
	{ "[\"crypto\",\"cipher\"]", "\"aes-256-cbc\"", KEYSTORE_UNSUPPORTED, "unsupported cipher 'aes-256-cbc'" },
	{ "[\"crypto\",\"cipher\"]", "\"AES-128-CTR\"", KEYSTORE_UNSUPPORTED, "unsupported cipher 'AES-128-CTR'" },
	{ "[\"crypto\",\"cipher\"]", "\"aes-128-ctr\\u0000x\"", KEYSTORE_UNSUPPORTED, "unsupported cipher 'aes-128-ctr?x'" },
	{ "[\"crypto\",\"cipher\"]", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", KEYSTORE_UNSUPPORTED,
	  "unsupported cipher 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'" },
	{ "[\"crypto\",\"cipher\"]", "5", KEYSTORE_MALFORMED, "crypto.cipher is not a string" },
	{ "[\"crypto\",\"cipher\"]", NULL, KEYSTORE_MALFORMED, "crypto.cipher is missing" },
	{ "[\"crypto\",\"cipherparams\"]", NULL, KEYSTORE_MALFORMED, "crypto.cipherparams is missing" },
	{ "[\"crypto\",\"cipherparams\"]", "\"x\"", KEYSTORE_MALFORMED, "crypto.cipherparams is not an object" },
	{ "[\"crypto\",\"cipherparams\",\"iv\"]", NULL, KEYSTORE_MALFORMED, "crypto.cipherparams.iv is missing" },
	{ "[\"crypto\",\"cipherparams\",\"iv\"]", "\"00112233445566778899aabbccddee\"", KEYSTORE_MALFORMED,
	  "crypto.cipherparams.iv is not 16 bytes of hex" },
	{ "[\"crypto\",\"cipherparams\",\"iv\"]", "\"00112233445566778899aabbccddeeffg\"", KEYSTORE_MALFORMED,
	  "crypto.cipherparams.iv is not 16 bytes of hex" },
	{ "[\"crypto\",\"cipherparams\",\"iv\"]", "\"00112233445566778899aabbccddeefz\"", KEYSTORE_MALFORMED,
	  "crypto.cipherparams.iv is not 16 bytes of hex" },
	{ "[\"crypto\",\"cipherparams\",\"iv\"]", "null", KEYSTORE_MALFORMED, "crypto.cipherparams.iv is not a string" },
	{ "[\"crypto\",\"ciphertext\"]", NULL, KEYSTORE_MALFORMED, "crypto.ciphertext is missing" },
	{ "[\"crypto\",\"ciphertext\"]", "\"00\"", KEYSTORE_MALFORMED, "crypto.ciphertext is not 32 bytes of hex" },
	{ "[\"crypto\",\"ciphertext\"]", "\"0x\"", KEYSTORE_MALFORMED, "crypto.ciphertext is not 32 bytes of hex" },
	{ "[\"crypto\",\"mac\"]", NULL, KEYSTORE_MALFORMED, "crypto.mac is missing" },
	{ "[\"crypto\",\"mac\"]", "\"\"", KEYSTORE_MALFORMED, "crypto.mac is not 32 bytes of hex" },
	{ "[\"crypto\",\"mac\"]", "\"0000000000000000000000000000000000000000000000000000000000000000\"",
	  KEYSTORE_WRONG_PASSWORD, "wrong password (MAC mismatch)" },
	{ "[\"crypto\",\"kdf\"]", NULL, KEYSTORE_MALFORMED, "crypto.kdf is missing" },
	{ "[\"crypto\",\"kdf\"]", "\"argon2id\"", KEYSTORE_UNSUPPORTED, "unsupported kdf 'argon2id'" },
	{ "[\"crypto\",\"kdf\"]", "\"Scrypt\"", KEYSTORE_UNSUPPORTED, "unsupported kdf 'Scrypt'" },
	{ "[\"crypto\",\"kdf\"]", "\"pbkdf2\"", KEYSTORE_MALFORMED, "crypto.kdfparams.prf is missing" },
	{ "[\"crypto\",\"kdfparams\"]", NULL, KEYSTORE_MALFORMED, "crypto.kdfparams is missing" },
	{ "[\"crypto\",\"kdfparams\"]", "[1]", KEYSTORE_MALFORMED, "crypto.kdfparams is not an object" },
	{ "[\"crypto\",\"kdfparams\",\"n\"]", NULL, KEYSTORE_MALFORMED, "crypto.kdfparams.n is missing" },
	{ "[\"crypto\",\"kdfparams\",\"n\"]", "\"1024\"", KEYSTORE_MALFORMED, "crypto.kdfparams.n is not a number" },
	{ "[\"crypto\",\"kdfparams\",\"n\"]", "1000", KEYSTORE_MALFORMED, "crypto.kdfparams.n is not a power of two" },
	{ "[\"crypto\",\"kdfparams\",\"n\"]", "1", KEYSTORE_MALFORMED, "crypto.kdfparams.n is less than 2" },
	{ "[\"crypto\",\"kdfparams\",\"n\"]", "0", KEYSTORE_MALFORMED, "crypto.kdfparams.n is not a positive integer" },
	{ "[\"crypto\",\"kdfparams\",\"n\"]", "-1024", KEYSTORE_MALFORMED, "crypto.kdfparams.n is not a positive integer" },
	{ "[\"crypto\",\"kdfparams\",\"n\"]", "1024.5", KEYSTORE_MALFORMED, "crypto.kdfparams.n is not a positive integer" },
	{ "[\"crypto\",\"kdfparams\",\"n\"]", "1e300", KEYSTORE_MALFORMED, "crypto.kdfparams.n is not a positive integer" },
	{ "[\"crypto\",\"kdfparams\",\"n\"]", "1099511627776", KEYSTORE_UNSUPPORTED,
	  "scrypt parameters need more than 1 GiB of memory" },
	{ "[\"crypto\",\"kdfparams\",\"n\"]", "2097152", KEYSTORE_UNSUPPORTED,
	  "scrypt parameters need more than 1 GiB of memory" },
	{ "[\"crypto\",\"kdfparams\",\"n\"]", "4503599627370496", KEYSTORE_UNSUPPORTED,
	  "scrypt parameters need more than 1 GiB of memory" },
	{ "[\"crypto\",\"kdfparams\",\"p\"]", "1048576", KEYSTORE_UNSUPPORTED,
	  "scrypt parameters need more than 1 GiB of memory" },
	{ "[\"crypto\",\"kdfparams\",\"r\"]", "9007199254740992", KEYSTORE_UNSUPPORTED,
	  "scrypt parameters need more than 1 GiB of memory" },
	{ "[\"crypto\",\"kdfparams\",\"r\"]", "0", KEYSTORE_MALFORMED, "crypto.kdfparams.r is not a positive integer" },
	{ "[\"crypto\",\"kdfparams\",\"p\"]", NULL, KEYSTORE_MALFORMED, "crypto.kdfparams.p is missing" },
	{ "[\"crypto\",\"kdfparams\",\"dklen\"]", NULL, KEYSTORE_MALFORMED, "crypto.kdfparams.dklen is missing" },
	{ "[\"crypto\",\"kdfparams\",\"dklen\"]", "16", KEYSTORE_UNSUPPORTED, "crypto.kdfparams.dklen is less than 32" },
	{ "[\"crypto\",\"kdfparams\",\"salt\"]", NULL, KEYSTORE_MALFORMED, "crypto.kdfparams.salt is missing" },
	{ "[\"crypto\",\"kdfparams\",\"salt\"]", "\"\"", KEYSTORE_MALFORMED,
	  "crypto.kdfparams.salt is not 1 to 1024 bytes of hex" },
	{ "[\"crypto\",\"kdfparams\",\"salt\"]", "\"abc\"", KEYSTORE_MALFORMED,
	  "crypto.kdfparams.salt is not 1 to 1024 bytes of hex" },
	{ "[\"address\"]", "\"xyz\"", KEYSTORE_MALFORMED, "address is not 20 bytes of hex" },
	{ "[\"address\"]", "7", KEYSTORE_MALFORMED, "address is not a string" },
	{ "[\"address\"]", "\"0000000000000000000000000000000000000001\"", KEYSTORE_ADDRESS_MISMATCH,
	  "address does not match the decrypted key" },
	/* Accepted variations. */
	{ "[\"address\"]", NULL, KEYSTORE_OK, NULL },
	{ "[\"id\"]", NULL, KEYSTORE_OK, NULL },
	{ "[\"id\"]", "42", KEYSTORE_OK, NULL },
	{ "[\"x-ethers\"]", "{\"gethFilename\":\"x\"}", KEYSTORE_OK, NULL },
	{ "[\"crypto\",\"kdfparams\",\"dklen\"]", "64", KEYSTORE_OK, NULL },
};

static const struct bad_case pbkdf2_cases[] = {
	{ "[\"crypto\",\"kdfparams\",\"prf\"]", "\"hmac-sha512\"", KEYSTORE_UNSUPPORTED, "unsupported prf 'hmac-sha512'" },
	{ "[\"crypto\",\"kdfparams\",\"prf\"]", NULL, KEYSTORE_MALFORMED, "crypto.kdfparams.prf is missing" },
	{ "[\"crypto\",\"kdfparams\",\"c\"]", NULL, KEYSTORE_MALFORMED, "crypto.kdfparams.c is missing" },
	{ "[\"crypto\",\"kdfparams\",\"c\"]", "10000001", KEYSTORE_UNSUPPORTED, "crypto.kdfparams.c is over 10000000" },
	{ "[\"crypto\",\"kdfparams\",\"c\"]", "1e15", KEYSTORE_UNSUPPORTED, "crypto.kdfparams.c is over 10000000" },
	{ "[\"crypto\",\"kdfparams\",\"c\"]", "0", KEYSTORE_MALFORMED, "crypto.kdfparams.c is not a positive integer" },
	{ "[\"crypto\",\"kdfparams\",\"dklen\"]", "31", KEYSTORE_UNSUPPORTED, "crypto.kdfparams.dklen is less than 32" },
	{ "[\"crypto\",\"kdfparams\",\"salt\"]", "\"0x\"", KEYSTORE_MALFORMED,
	  "crypto.kdfparams.salt is not 1 to 1024 bytes of hex" },
	{ "[\"crypto\",\"kdf\"]", "\"scrypt\"", KEYSTORE_MALFORMED, "crypto.kdfparams.n is missing" },
	{ "[\"address\"]", "\"0x0000000000000000000000000000000000000001\"", KEYSTORE_ADDRESS_MISMATCH,
	  "address does not match the decrypted key" },
	{ "[\"address\"]", NULL, KEYSTORE_OK, NULL },
};

/*
 * A keystore built here from the definition with OpenSSL directly (PBKDF2,
 * c 2): checks keystore_decrypt against a second construction, is cheap to
 * open, and lets us seal keys no writer would, like 0 or ≥ the group order.
 * Written the way others may: "Crypto" when upper_crypto, 0x prefixes, an
 * upper-case MAC and an EIP-55 address.
 */
static void craft_pbkdf2(struct buf *out, const uint8_t key[32], const char *password, int upper_crypto)
{
	static const uint8_t salt[4] = { 1, 2, 3, 4 }, iv[16] = { 0x11, 0x22 };
	uint8_t dk[32], ct[32], mac[32], addr[20], body[48];
	int n = 0, fin = 0;
	char hct[65], hiv[33], hmac[65], haddr[43] = "0x0000000000000000000000000000000000000000";

	HIVE_ASSERT(PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, 4, 2, EVP_sha256(), 32, dk) == 1);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	HIVE_ASSERT(EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), NULL, dk, iv) == 1);
	HIVE_ASSERT(EVP_EncryptUpdate(ctx, ct, &n, key, 32) == 1 && EVP_EncryptFinal_ex(ctx, ct + n, &fin) == 1);
	EVP_CIPHER_CTX_free(ctx);
	memcpy(body, dk + 16, 16);
	memcpy(body + 16, ct, 32);
	keccak256(body, sizeof body, mac);
	hex_encode(ct, 32, hct);
	hex_encode(iv, 16, hiv);
	hex_encode(mac, 32, hmac);
	for (char *c = hmac; *c; c++)
		if (*c >= 'a' && *c <= 'f')
			*c = (char)(*c - 'a' + 'A');
	if (eth_seckey_address(addr, key) == 0)
		eth_address_format(haddr, addr);
	buf_reset(out);
	buf_printf(out, "{\"version\":3,\"address\":\"%s\",\"%s\":{\"cipher\":\"aes-128-ctr\","
	           "\"cipherparams\":{\"iv\":\"0x%s\"},\"ciphertext\":\"0x%s\",\"kdf\":\"pbkdf2\","
	           "\"kdfparams\":{\"prf\":\"hmac-sha256\",\"c\":2,\"dklen\":32,\"salt\":\"0x01020304\"},"
	           "\"mac\":\"0X%s\"}}",
	           haddr, upper_crypto ? "Crypto" : "crypto", hiv, hct, hmac);
	secret_wipe(dk, sizeof dk);
}

/* Damage below the level of JSON fields. */
static void test_broken_text(const struct buf *good)
{
	static const char *const texts[] = {
		"", " ", "{", "[]", "3", "\"crypto\"", "null", "{}{}", "{\"version\":3,}", "\xff\xfe{}",
	};
	static const char *const whys[] = {
		"not valid JSON", "not valid JSON", "not valid JSON", "not a JSON object", "not a JSON object",
		"not a JSON object", "not a JSON object", "not valid JSON", "not valid JSON", "not valid JSON",
	};
	struct buf big = BUF_INIT;

	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		expect_decrypt(texts[i], strlen(texts[i]), "pw", 2, KEYSTORE_MALFORMED, whys[i]);
	expect_decrypt("{}", 2, "pw", 2, KEYSTORE_MALFORMED, "version is missing");
	/* Truncated anywhere; and the length is honoured even when the text goes on. */
	for (size_t cut = 0; cut < good->len - 1; cut += 7)
		expect_decrypt(good->data, cut, "pw", 2, KEYSTORE_MALFORMED, NULL);
	/* A NUL inside the text, trailing garbage, nesting beyond the parser's depth, 1 MiB of blanks. */
	buf_append(&big, good->data, good->len);
	big.data[10] = '\0';
	expect_decrypt(big.data, big.len, "pw", 2, KEYSTORE_MALFORMED, "not valid JSON");
	buf_reset(&big);
	buf_append(&big, good->data, good->len);
	buf_puts(&big, "x");
	expect_decrypt(big.data, big.len, "pw", 2, KEYSTORE_MALFORMED, "not valid JSON");
	buf_reset(&big);
	for (int i = 0; i < 10000; i++)
		buf_putc(&big, '[');
	expect_decrypt(big.data, big.len, "pw", 2, KEYSTORE_MALFORMED, "not valid JSON");
	buf_reset(&big);
	buf_append(&big, good->data, good->len);
	for (int i = 0; i < (1 << 20); i++)
		buf_putc(&big, ' ');
	expect_decrypt(big.data, big.len, "pw", 2, KEYSTORE_MALFORMED, "keystore is larger than 1 MiB");
	buf_free(&big);
}

static void test_malformed(void)
{
	struct buf good = BUF_INIT, text = BUF_INIT;
	uint8_t key[32], back[32];
	const char *why;

	eth_seckey_generate(key);
	CHECK_INTEQ(keystore_encrypt(&good, key, "pw", 2, 1024), KEYSTORE_OK);
	run_cases(good.data, "pw", scrypt_cases, sizeof scrypt_cases / sizeof scrypt_cases[0]);
	test_broken_text(&good);

	/* "Crypto" as geth once wrote it and ethers still does; "crypto" wins when both are there. */
	jv root = jv_parse(good.data);
	jv crypto = jv_object_get(jv_copy(root), jv_string("crypto"));
	jv moved = jv_object_set(jv_object_delete(jv_copy(root), jv_string("crypto")), jv_string("Crypto"),
	                         jv_copy(crypto));
	jv text1 = jv_dump_string(moved, 0);
	CHECK_INTEQ(keystore_decrypt(back, jv_string_value(text1), strlen(jv_string_value(text1)), "pw", 2, &why),
	            KEYSTORE_OK);
	CHECK_MEMEQ(back, key, 32);
	jv both = jv_object_set(jv_copy(root), jv_string("Crypto"), jv_string("junk"));
	jv text2 = jv_dump_string(both, 0);
	CHECK_INTEQ(keystore_decrypt(back, jv_string_value(text2), strlen(jv_string_value(text2)), "pw", 2, &why),
	            KEYSTORE_OK);
	jv_free(text1);
	jv_free(text2);
	jv_free(crypto);
	jv_free(root);

	/* Every bound is checked before any work: keystore_check accepts 2^20·8 exactly, not one step more. */
	mutate(&text, good.data, "[\"crypto\",\"kdfparams\",\"n\"]", "1048576");
	CHECK_INTEQ(keystore_check(text.data, text.len, &why), KEYSTORE_OK);
	mutate(&text, good.data, "[\"crypto\",\"kdfparams\",\"p\"]", "2");
	mutate(&text, text.data, "[\"crypto\",\"kdfparams\",\"n\"]", "1048576");
	CHECK_INTEQ(keystore_check(text.data, text.len, &why), KEYSTORE_UNSUPPORTED);

	craft_pbkdf2(&text, key, "pw", 0);
	run_cases(text.data, "pw", pbkdf2_cases, sizeof pbkdf2_cases / sizeof pbkdf2_cases[0]);
	secret_wipe(key, 32);
	buf_free(&good);
	buf_free(&text);
}

static void test_crafted(void)
{
	struct buf text = BUF_INIT;
	uint8_t key[32], back[32];
	const char *why;

	eth_seckey_generate(key);
	craft_pbkdf2(&text, key, "pw", 1);
	CHECK_INTEQ(keystore_decrypt(back, text.data, text.len, "pw", 2, &why), KEYSTORE_OK);
	CHECK_MEMEQ(back, key, 32);
	craft_pbkdf2(&text, zero32, "pw", 0);
	expect_decrypt(text.data, text.len, "pw", 2, KEYSTORE_MALFORMED, "the decrypted key is not a valid secp256k1 key");
	memset(key, 0xff, 32);
	craft_pbkdf2(&text, key, "pw", 0);
	expect_decrypt(text.data, text.len, "pw", 2, KEYSTORE_MALFORMED, "the decrypted key is not a valid secp256k1 key");
	secret_wipe(back, 32);
	buf_free(&text);
}

static void expect_keyfile(const char *text, size_t len, const char *why_want)
{
	uint8_t key[32];
	const char *why = "unset";

	memset(key, 0xaa, 32);
	CHECK_INTEQ(keyfile_parse(key, text, len, &why), why_want == NULL ? 0 : -1);
	if (why_want != NULL) {
		CHECK_STREQ(why, why_want);
		CHECK_MEMEQ(key, zero32, 32);
	} else {
		CHECK(why == NULL);
	}
}

static void test_keyfile(void)
{
	/* EIP-155's example key 0x4646…46. */
	static const char k64[] = "4646464646464646464646464646464646464646464646464646464646464646";
	/* The secp256k1 group order n, and n - 1 (the largest valid key). */
	static const char order[] = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
	static const char order_1[] = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364140";
	char s[160];
	uint8_t key[32], want[32];
	struct buf out = BUF_INIT;

	memset(want, 0x46, 32);
	CHECK_INTEQ(keyfile_parse(key, k64, 64, NULL), 0);
	CHECK_MEMEQ(key, want, 32);
	snprintf(s, sizeof s, "0x%s\n", k64);
	expect_keyfile(s, strlen(s), NULL);
	snprintf(s, sizeof s, "0X%s", k64);
	expect_keyfile(s, strlen(s), NULL);
	expect_keyfile(order_1, 64, NULL);

	expect_keyfile(k64, 63, "truncated: want 64 hex digits");
	snprintf(s, sizeof s, "0x%.63s\n", k64);
	expect_keyfile(s, strlen(s), "truncated: want 64 hex digits");
	snprintf(s, sizeof s, "%s4", k64);
	expect_keyfile(s, strlen(s), "too long: want 64 hex digits");
	snprintf(s, sizeof s, "%s\n\n", k64);
	expect_keyfile(s, strlen(s), "trailing garbage after the 64 hex digits");
	snprintf(s, sizeof s, "%s\r\n", k64);
	expect_keyfile(s, strlen(s), "trailing garbage after the 64 hex digits");
	snprintf(s, sizeof s, "%s \n", k64);
	expect_keyfile(s, strlen(s), "trailing garbage after the 64 hex digits");
	expect_keyfile(k64, 65, "trailing garbage after the 64 hex digits"); /* the NUL after it */
	snprintf(s, sizeof s, " %s", k64);
	expect_keyfile(s, strlen(s), "not hex: want 64 hex digits");
	snprintf(s, sizeof s, "%.10sg%s", k64, k64 + 11);
	expect_keyfile(s, strlen(s), "not hex: want 64 hex digits");
	snprintf(s, sizeof s, "0x0x%.62s", k64);
	expect_keyfile(s, strlen(s), "not hex: want 64 hex digits");
	expect_keyfile("", 0, "empty: want 64 hex digits");
	expect_keyfile("\n", 1, "empty: want 64 hex digits");
	expect_keyfile("0x", 2, "empty: want 64 hex digits");
	snprintf(s, sizeof s, "%064d", 0);
	expect_keyfile(s, 64, "not a valid secp256k1 key (zero or not below the group order)");
	expect_keyfile(order, 64, "not a valid secp256k1 key (zero or not below the group order)");
	memset(s, 'f', 64);
	expect_keyfile(s, 64, "not a valid secp256k1 key (zero or not below the group order)");

	keyfile_format(&out, want);
	CHECK_INTEQ(out.len, 65);
	snprintf(s, sizeof s, "%s\n", k64);
	CHECK_STREQ(buf_str(&out), s);
	CHECK_INTEQ(keyfile_parse(key, out.data, out.len, NULL), 0);
	CHECK_MEMEQ(key, want, 32);
	buf_free_wipe(&out);
}

/* Captures what the code under test prints on stderr. */
static int stderr_saved = -1;
static char stderr_path[PATH_MAX];

static void stderr_begin(void)
{
	fflush(stderr);
	stderr_saved = dup(2);
	int fd = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	HIVE_ASSERT(fd >= 0 && stderr_saved >= 0);
	dup2(fd, 2);
	close(fd);
}

static void stderr_end(struct buf *out)
{
	fflush(stderr);
	dup2(stderr_saved, 2);
	close(stderr_saved);
	buf_reset(out);
	read_file(stderr_path, out, 1 << 16);
}

static void expect_stderr(const struct buf *got, const char *want)
{
	check_one(strstr(buf_str(got), want) != NULL, __FILE__, __LINE__, "stderr has the message",
	          buf_str(got), want);
}

static void write_text(const char *path, const char *text, mode_t mode)
{
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	HIVE_ASSERT(fd >= 0 && write_full(fd, text, strlen(text)) == 0);
	close(fd);
}

static void test_password(const char *dir)
{
	struct buf pw = BUF_INIT;
	char path[PATH_MAX];
	const char *why;

	snprintf(path, sizeof path, "%s/pw", dir);
	write_text(path, "first line\nsecond\n", 0600);
	setenv(PASSWORD_ENV, "from env", 1);
	CHECK_INTEQ(password_get(&pw, path, "Password: ", 0, &why), 0);
	CHECK_STREQ(buf_str(&pw), "first line");
	buf_free_wipe(&pw);
	write_text(path, "dos\r\n", 0600);
	CHECK_INTEQ(password_get(&pw, path, "Password: ", 1, &why), 0);
	CHECK_STREQ(buf_str(&pw), "dos");
	buf_free_wipe(&pw);
	write_text(path, "no newline", 0600);
	CHECK_INTEQ(password_get(&pw, path, "Password: ", 0, &why), 0);
	CHECK_STREQ(buf_str(&pw), "no newline");
	buf_free_wipe(&pw);
	/* An empty first line is a password for opening, not for a new key. */
	write_text(path, "\nsecond\n", 0600);
	CHECK_INTEQ(password_get(&pw, path, "Password: ", 0, &why), 0);
	CHECK_INTEQ(pw.len, 0);
	CHECK_INTEQ(password_get(&pw, path, "Password: ", 1, &why), -1);
	CHECK_STREQ(why, "empty password refused for a new key");
	buf_free_wipe(&pw);

	struct buf err = BUF_INIT;
	write_text(path, "shared\n", 0644);
	stderr_begin();
	CHECK_INTEQ(password_get(&pw, path, "Password: ", 0, &why), 0);
	stderr_end(&err);
	expect_stderr(&err, "is readable by group or others");
	CHECK_STREQ(buf_str(&pw), "shared");
	buf_free_wipe(&pw);
	buf_free(&err);

	snprintf(path, sizeof path, "%s/no-such-file", dir);
	errno = 0;
	CHECK_INTEQ(password_get(&pw, path, "Password: ", 0, &why), -1);
	CHECK(why == password_why_unreadable);
	CHECK_INTEQ(errno, ENOENT);

	CHECK_INTEQ(password_get(&pw, NULL, "Password: ", 0, &why), 0);
	CHECK_STREQ(buf_str(&pw), "from env");
	buf_free_wipe(&pw);
	setenv(PASSWORD_ENV, "", 1);
	CHECK_INTEQ(password_get(&pw, NULL, "Password: ", 1, &why), -1);
	CHECK_STREQ(why, "empty password refused for a new key");
	unsetenv(PASSWORD_ENV);
	/* Without a terminal there is no source left (with one, this would prompt: skipped). */
	int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (tty < 0) {
		CHECK_INTEQ(password_get(&pw, NULL, "Password: ", 0, &why), -1);
		CHECK(why == password_why_none);
	} else {
		close(tty);
	}
	buf_free_wipe(&pw);
	snprintf(path, sizeof path, "%s/pw", dir);
	unlink(path);
}

static int file_mode(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISREG(st.st_mode) ? (int)(st.st_mode & 07777) : -1;
}

/* Runs keys_load expecting rc and, unless NULL, a diagnostic containing msg. */
static void expect_load(const struct key_source *src, int rc, const char *msg, uint8_t key[32])
{
	struct buf err = BUF_INIT;

	memset(key, 0xaa, 32);
	stderr_begin();
	CHECK_INTEQ(keys_load(key, src), rc);
	stderr_end(&err);
	if (msg != NULL)
		expect_stderr(&err, msg);
	else
		CHECK_INTEQ(err.len, 0);
	if (rc != HIVE_OK)
		CHECK_MEMEQ(key, zero32, 32);
	buf_free(&err);
}

static void expect_create(const struct key_source *dst, uint64_t n, int rc, const char *msg, uint8_t addr[20])
{
	struct buf err = BUF_INIT;

	stderr_begin();
	CHECK_INTEQ(keys_create(addr, dst, n), rc);
	stderr_end(&err);
	if (msg != NULL)
		expect_stderr(&err, msg);
	else
		CHECK_INTEQ(err.len, 0);
	buf_free(&err);
}

static int count_entries(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *e;
	int n = 0;

	if (dir == NULL)
		return -1;
	while ((e = readdir(dir)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(dir);
	return n;
}

static void test_keys_raw(const char *dir)
{
	char kf[PATH_MAX], sym[PATH_MAX];
	uint8_t addr[20], key[32], got[20];
	struct buf before = BUF_INIT, after = BUF_INIT;

	snprintf(kf, sizeof kf, "%s/k.hex", dir);
	struct key_source raw = { kf, NULL, NULL }; /* later cases rewrite kf in place */
	expect_create(&raw, 0, HIVE_OK, NULL, addr);
	CHECK_INTEQ(file_mode(kf), 0600);
	expect_load(&raw, HIVE_OK, NULL, key);
	CHECK_INTEQ(eth_seckey_address(got, key), 0);
	CHECK_MEMEQ(got, addr, 20);
	/* Never overwritten. */
	read_file(kf, &before, 4096);
	expect_create(&raw, 0, HIVE_EOUTPUT, "hive-sign: key file '", addr);
	expect_create(&raw, 0, HIVE_EOUTPUT, "k.hex' already exists", addr);
	read_file(kf, &after, 4096);
	CHECK(before.len == after.len && memcmp(before.data, after.data, before.len) == 0);
	/* Symbolic links are not followed. */
	snprintf(sym, sizeof sym, "%s/link.hex", dir);
	CHECK_INTEQ(symlink(kf, sym), 0);
	struct key_source via_link = { sym, NULL, NULL };
	expect_load(&via_link, HIVE_EINPUT, "cannot read key file '", key);
	unlink(sym);
	/* A missing and a broken key file. */
	snprintf(kf, sizeof kf, "%s/missing.hex", dir);
	expect_load(&raw, HIVE_EINPUT, "cannot read key file '", key);
	expect_load(&raw, HIVE_EINPUT, "missing.hex': No such file or directory", key);
	snprintf(kf, sizeof kf, "%s/short.hex", dir);
	write_text(kf, "0x1234\n", 0600);
	expect_load(&raw, HIVE_EINPUT, "key file '", key);
	expect_load(&raw, HIVE_EINPUT, "short.hex': truncated: want 64 hex digits", key);
	unlink(kf);
	secret_wipe(key, 32);
	buf_free_wipe(&before);
	buf_free_wipe(&after);
}

static void test_keys_keystore(const char *dir)
{
	char ks[PATH_MAX], pwf[PATH_MAX], other[PATH_MAX];
	uint8_t addr[20], key[32], got[20];

	snprintf(ks, sizeof ks, "%s/a.json", dir);
	snprintf(pwf, sizeof pwf, "%s/wrong.pw", dir);
	struct key_source store = { NULL, ks, NULL };
	setenv(PASSWORD_ENV, "hunter2", 1);
	expect_create(&store, KEYSTORE_SCRYPT_N_MIN, HIVE_OK, NULL, addr);
	CHECK_INTEQ(file_mode(ks), 0600);
	expect_load(&store, HIVE_OK, NULL, key);
	CHECK_INTEQ(eth_seckey_address(got, key), 0);
	CHECK_MEMEQ(got, addr, 20);
	expect_create(&store, KEYSTORE_SCRYPT_N_MIN, HIVE_EOUTPUT, "keystore '", addr);
	expect_create(&store, KEYSTORE_SCRYPT_N_MIN, HIVE_EOUTPUT, "a.json' already exists", addr);
	/* The password file wins over the environment; a wrong one is an authentication failure. */
	write_text(pwf, "hunter3\n", 0600);
	struct key_source wrong = { NULL, ks, pwf };
	expect_load(&wrong, HIVE_EAUTH, "a.json': wrong password (MAC mismatch)", key);
	snprintf(other, sizeof other, "%s/none.pw", dir);
	struct key_source nopw = { NULL, ks, other };
	expect_load(&nopw, HIVE_EINPUT, "cannot read password file '", key);
	/* An address that is not the key's. */
	struct buf text = BUF_INIT;
	read_file(ks, &text, 1 << 16);
	memcpy(text.data + 12, "00000000", 8);
	snprintf(other, sizeof other, "%s/mismatch.json", dir);
	write_text(other, text.data, 0600);
	struct key_source mismatch = { NULL, other, NULL };
	expect_load(&mismatch, HIVE_EAUTH, "mismatch.json': address does not match the decrypted key", key);
	/* Malformed and unsupported files are input errors, found before any password is asked. */
	write_text(other, "{\"version\":3}", 0600);
	unsetenv(PASSWORD_ENV);
	expect_load(&mismatch, HIVE_EINPUT, "mismatch.json': crypto is missing", key);
	/* A fixture is the keystore wrapped in our own fields: not a keystore itself. */
	struct key_source wrapped = { NULL, "tests/fixtures/keystore_v3_pbkdf2_testpassword.json", NULL };
	expect_load(&wrapped, HIVE_EINPUT, "': version is missing", key);
	unlink(other);
	buf_free(&text);

	/* Refusals that leave nothing behind. */
	snprintf(other, sizeof other, "%s/b.json", dir);
	struct key_source b = { NULL, other, NULL };
	setenv(PASSWORD_ENV, "", 1);
	expect_create(&b, KEYSTORE_SCRYPT_N_MIN, HIVE_EAUTH, "empty password refused for a new key", addr);
	setenv(PASSWORD_ENV, "pw", 1);
	expect_create(&b, 1000, HIVE_EUSAGE, "scrypt N must be a power of two", addr);
	expect_create(&b, 1u << 21, HIVE_EUSAGE, "scrypt N must be a power of two", addr);
	CHECK_INTEQ(file_mode(other), -1);
	snprintf(other, sizeof other, "%s/no-such-dir/c.json", dir);
	expect_create(&b, KEYSTORE_SCRYPT_N_MIN, HIVE_EOUTPUT, "cannot write keystore '", addr);
	unlink(pwf);
	unsetenv(PASSWORD_ENV);
	secret_wipe(key, 32);
}

static void test_keys_usage(void)
{
	uint8_t key[32], addr[20];
	struct key_source none = { NULL, NULL, NULL }, both = { "k.hex", "a.json", NULL };

	expect_load(&none, HIVE_EUSAGE, "hive-sign: no key: give a key file or a keystore", key);
	expect_load(&both, HIVE_EUSAGE, "hive-sign: give a key file or a keystore, not both", key);
	expect_create(&none, 0, HIVE_EUSAGE, "no key", addr);
	expect_create(&both, 0, HIVE_EUSAGE, "not both", addr);
}

static void test_keys(void)
{
	char dir[] = "/tmp/hive-test-keystore-XXXXXX";
	char kf[PATH_MAX], ks[PATH_MAX];

	if (mkdtemp(dir) == NULL) {
		CHECK(!"mkdtemp");
		return;
	}
	snprintf(stderr_path, sizeof stderr_path, "%s/stderr", dir);
	diag_init("hive-sign");
	test_password(dir);
	test_keys_usage();
	test_keys_raw(dir);
	test_keys_keystore(dir);
	/* Only what we meant to leave: the new key file, the keystore and the captured stderr. */
	CHECK_INTEQ(count_entries(dir), 3);
	snprintf(kf, sizeof kf, "%s/k.hex", dir);
	snprintf(ks, sizeof ks, "%s/a.json", dir);
	unlink(kf);
	unlink(ks);
	unlink(stderr_path);
	CHECK_INTEQ(rmdir(dir), 0);
}

int main(void)
{
	test_pbkdf2_vector();
	test_scrypt_vectors();
	test_round_trips();
	test_malformed();
	test_crafted();
	test_keyfile();
	test_keys();
	return check_done("test_keystore");
}
