#include "keystore.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <jv.h>
#include <openssl/evp.h>

#include "diag.h"
#include "eth.h"
#include "hex.h"
#include "keccak.h"
#include "secret.h"

#define DK_LEN 32                   /* derived key: AES key ‖ MAC key */
#define SALT_LEN 32
#define IV_LEN 16
#define UUID_LEN 16
#define SCRYPT_R 8
#define SCRYPT_P 1
#define SALT_MAX 1024               /* longest salt we take from a file */
#define TEXT_MAX (1u << 20)         /* a keystore is under 1 KiB; anything near 1 MiB is not one */
#define SCRYPT_WORK_MAX (1ull << 30) /* bound on 128·N·r·p: memory is 128·N·r bytes, time grows with N·r·p */
#define PBKDF2_C_MAX 10000000ull    /* about 15 s on a PC; writers use 262144 */
#define UINT_EXACT_MAX 9007199254740992.0 /* 2^53: JSON numbers are doubles */

enum kdf { KDF_SCRYPT, KDF_PBKDF2 };

/* Everything a keystore says, checked and decoded; nothing here is secret. */
struct fields {
	enum kdf kdf;
	uint64_t n, r, p, c;
	uint8_t salt[SALT_MAX];
	size_t salt_len;
	uint8_t iv[IV_LEN];
	uint8_t ciphertext[ETH_SECKEY_SIZE];
	uint8_t mac[KECCAK256_SIZE];
	int has_address;
	uint8_t address[ETH_ADDR_SIZE];
};

/* Reasons that quote the file need formatting; tools are single-threaded, but be safe. */
static _Thread_local char why_buf[160];

struct parse {
	enum keystore_status status;
	const char *why;
};

__attribute__((format(printf, 3, 4)))
static int fail(struct parse *ps, enum keystore_status st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why_buf, sizeof why_buf, fmt, ap);
	va_end(ap);
	ps->status = st;
	ps->why = why_buf;
	return -1;
}

/* A name from a hostile file, made safe to print: printable ASCII, at most 32 bytes. */
static void printable(char *out, size_t size, const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n + 4 < size && i < 32; i++)
		out[n++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (len > 32 && n + 4 < size) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

static jv member(jv obj, const char *key)
{
	return jv_object_get(jv_copy(obj), jv_string(key));
}

/* obj[key] of the given kind into *out (the caller frees it); path names it in reasons. */
static int get_kind(jv obj, const char *key, const char *path, jv_kind kind, jv *out, struct parse *ps)
{
	jv v = member(obj, key);
	jv_kind got = jv_get_kind(v);

	if (got == kind) {
		*out = v;
		return 0;
	}
	jv_free(v);
	if (got == JV_KIND_INVALID)
		return fail(ps, KEYSTORE_MALFORMED, "%s is missing", path);
	return fail(ps, KEYSTORE_MALFORMED, "%s is not %s", path,
	            kind == JV_KIND_OBJECT ? "an object" : kind == JV_KIND_STRING ? "a string" : "a number");
}

/* Hex of min..max bytes, with or without 0x. */
static int decode_hex(const char *s, size_t len, uint8_t *out, size_t min, size_t max, size_t *out_len)
{
	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		len -= 2;
	}
	if (len % 2 != 0 || len / 2 < min || len / 2 > max)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (hex_digit((unsigned char)s[i]) < 0)
			return -1;
	*out_len = len / 2;
	return hex_decode(s, len, out, len / 2);
}

static int get_hex(jv obj, const char *key, const char *path, uint8_t *out,
                   size_t min, size_t max, size_t *out_len, struct parse *ps)
{
	jv s;
	size_t got;
	int r;

	if (get_kind(obj, key, path, JV_KIND_STRING, &s, ps) < 0)
		return -1;
	r = decode_hex(jv_string_value(s), (size_t)jv_string_length_bytes(jv_copy(s)), out, min, max, &got);
	jv_free(s);
	if (r < 0 && min == max)
		return fail(ps, KEYSTORE_MALFORMED, "%s is not %zu bytes of hex", path, min);
	if (r < 0)
		return fail(ps, KEYSTORE_MALFORMED, "%s is not %zu to %zu bytes of hex", path, min, max);
	if (out_len != NULL)
		*out_len = got;
	return 0;
}

static int get_uint(jv obj, const char *key, const char *path, uint64_t *out, struct parse *ps)
{
	jv v;
	double d;

	if (get_kind(obj, key, path, JV_KIND_NUMBER, &v, ps) < 0)
		return -1;
	d = jv_number_value(v);
	jv_free(v);
	/* The negated test also refuses NaN. */
	if (!(d >= 1 && d <= UINT_EXACT_MAX) || (double)(uint64_t)d != d)
		return fail(ps, KEYSTORE_MALFORMED, "%s is not a positive integer", path);
	*out = (uint64_t)d;
	return 0;
}

/* 1 when the string s is exactly want (a JSON string may hold NUL bytes). */
static int string_is(jv s, const char *want)
{
	size_t len = (size_t)jv_string_length_bytes(jv_copy(s));

	return len == strlen(want) && memcmp(jv_string_value(s), want, len) == 0;
}

/* "unsupported WHAT 'NAME'", quoting the file's string s (not consumed). */
static int unsupported(struct parse *ps, const char *what, jv s)
{
	char name[40];

	printable(name, sizeof name, jv_string_value(s), (size_t)jv_string_length_bytes(jv_copy(s)));
	return fail(ps, KEYSTORE_UNSUPPORTED, "unsupported %s '%s'", what, name);
}

static int expect_name(jv obj, const char *key, const char *path, const char *want,
                       const char *what, struct parse *ps)
{
	jv s;
	int r = 0;

	if (get_kind(obj, key, path, JV_KIND_STRING, &s, ps) < 0)
		return -1;
	if (!string_is(s, want))
		r = unsupported(ps, what, s);
	jv_free(s);
	return r;
}

static int check_dklen(jv params, struct parse *ps)
{
	uint64_t dklen;

	if (get_uint(params, "dklen", "crypto.kdfparams.dklen", &dklen, ps) < 0)
		return -1;
	/* Longer derived keys start with the same 32 bytes (PBKDF2 blocks are independent). */
	if (dklen < DK_LEN)
		return fail(ps, KEYSTORE_UNSUPPORTED, "crypto.kdfparams.dklen is less than 32");
	return 0;
}

/* 128·N·r·p ≤ 1 GiB bounds scrypt's memory (128·N·r) and its time (N·r·p) at once. */
static int scrypt_too_costly(uint64_t n, uint64_t r, uint64_t p)
{
	uint64_t work = 128;

	if (n > SCRYPT_WORK_MAX / work)
		return 1;
	work *= n;
	if (r > SCRYPT_WORK_MAX / work)
		return 1;
	work *= r;
	return p > SCRYPT_WORK_MAX / work;
}

static int parse_scrypt(struct fields *f, jv params, struct parse *ps)
{
	f->kdf = KDF_SCRYPT;
	if (get_uint(params, "n", "crypto.kdfparams.n", &f->n, ps) < 0 ||
	    get_uint(params, "r", "crypto.kdfparams.r", &f->r, ps) < 0 ||
	    get_uint(params, "p", "crypto.kdfparams.p", &f->p, ps) < 0)
		return -1;
	if (f->n < 2)
		return fail(ps, KEYSTORE_MALFORMED, "crypto.kdfparams.n is less than 2");
	if ((f->n & (f->n - 1)) != 0)
		return fail(ps, KEYSTORE_MALFORMED, "crypto.kdfparams.n is not a power of two");
	if (scrypt_too_costly(f->n, f->r, f->p))
		return fail(ps, KEYSTORE_UNSUPPORTED, "scrypt parameters need more than 1 GiB of memory");
	/* RFC 7914 requires N < 2^(16·r); OpenSSL (like cast and ethers) enforces it, geth does not. */
	if (f->r < 4 && f->n >= (1ull << (16 * f->r)))
		return fail(ps, KEYSTORE_UNSUPPORTED, "crypto.kdfparams.n is not below 2^(16·r) as scrypt requires");
	return 0;
}

static int parse_pbkdf2(struct fields *f, jv params, struct parse *ps)
{
	f->kdf = KDF_PBKDF2;
	if (expect_name(params, "prf", "crypto.kdfparams.prf", "hmac-sha256", "prf", ps) < 0 ||
	    get_uint(params, "c", "crypto.kdfparams.c", &f->c, ps) < 0)
		return -1;
	if (f->c > PBKDF2_C_MAX)
		return fail(ps, KEYSTORE_UNSUPPORTED, "crypto.kdfparams.c is over 10000000");
	return 0;
}

static int parse_kdf(struct fields *f, jv crypto, struct parse *ps)
{
	jv kdf, params;
	int r;

	if (get_kind(crypto, "kdf", "crypto.kdf", JV_KIND_STRING, &kdf, ps) < 0)
		return -1;
	if (get_kind(crypto, "kdfparams", "crypto.kdfparams", JV_KIND_OBJECT, &params, ps) < 0) {
		jv_free(kdf);
		return -1;
	}
	if (string_is(kdf, "scrypt"))
		r = parse_scrypt(f, params, ps);
	else if (string_is(kdf, "pbkdf2"))
		r = parse_pbkdf2(f, params, ps);
	else
		r = unsupported(ps, "kdf", kdf);
	if (r == 0)
		r = check_dklen(params, ps);
	if (r == 0)
		r = get_hex(params, "salt", "crypto.kdfparams.salt", f->salt, 1, SALT_MAX, &f->salt_len, ps);
	jv_free(kdf);
	jv_free(params);
	return r;
}

static int parse_cipher(struct fields *f, jv crypto, struct parse *ps)
{
	jv cp;
	int r;

	if (expect_name(crypto, "cipher", "crypto.cipher", "aes-128-ctr", "cipher", ps) < 0 ||
	    get_kind(crypto, "cipherparams", "crypto.cipherparams", JV_KIND_OBJECT, &cp, ps) < 0)
		return -1;
	r = get_hex(cp, "iv", "crypto.cipherparams.iv", f->iv, IV_LEN, IV_LEN, NULL, ps);
	jv_free(cp);
	if (r < 0)
		return -1;
	/* Only 32-byte secp256k1 keys: geth refuses the rest when it converts the key. */
	return get_hex(crypto, "ciphertext", "crypto.ciphertext", f->ciphertext,
	               sizeof f->ciphertext, sizeof f->ciphertext, NULL, ps);
}

static int parse_version(jv root, struct parse *ps)
{
	jv v;

	if (get_kind(root, "version", "version", JV_KIND_NUMBER, &v, ps) < 0)
		return -1;
	double version = jv_number_value(v);
	jv_free(v);
	if (version != 3)
		return fail(ps, KEYSTORE_UNSUPPORTED, "unsupported version: want 3");
	return 0;
}

/* geth and most writers say "crypto"; early geth wrote "Crypto", which geth still reads. */
static int get_crypto(jv root, jv *crypto, struct parse *ps)
{
	jv v = member(root, "crypto");

	if (jv_get_kind(v) == JV_KIND_INVALID) {
		jv_free(v);
		v = member(root, "Crypto");
	}
	if (jv_get_kind(v) == JV_KIND_OBJECT) {
		*crypto = v;
		return 0;
	}
	int missing = jv_get_kind(v) == JV_KIND_INVALID;
	jv_free(v);
	return fail(ps, KEYSTORE_MALFORMED, missing ? "crypto is missing" : "crypto is not an object");
}

static int parse_address(struct fields *f, jv root, struct parse *ps)
{
	jv v = member(root, "address");
	int absent = jv_get_kind(v) == JV_KIND_INVALID;

	jv_free(v);
	if (absent)
		return 0;
	f->has_address = 1;
	return get_hex(root, "address", "address", f->address, ETH_ADDR_SIZE, ETH_ADDR_SIZE, NULL, ps);
}

static int parse_root(struct fields *f, jv root, struct parse *ps)
{
	jv crypto;
	int r;

	if (parse_version(root, ps) < 0 || get_crypto(root, &crypto, ps) < 0)
		return -1;
	r = parse_cipher(f, crypto, ps);
	if (r == 0)
		r = parse_kdf(f, crypto, ps);
	if (r == 0)
		r = get_hex(crypto, "mac", "crypto.mac", f->mac, sizeof f->mac, sizeof f->mac, NULL, ps);
	jv_free(crypto);
	if (r == 0)
		r = parse_address(f, root, ps);
	return r;
}

static jv parse_json(const char *text, size_t len, struct parse *ps)
{
	if (len > TEXT_MAX) {
		fail(ps, KEYSTORE_MALFORMED, "keystore is larger than 1 MiB");
		return jv_invalid();
	}
	/* jq 1.6 quotes the whole input with %s in its error messages: give it a terminated copy. */
	char *copy = malloc(len + 1);
	if (copy == NULL) {
		fail(ps, KEYSTORE_SYSTEM, "out of memory");
		return jv_invalid();
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	jv root = jv_parse_sized(copy, (int)len);
	free(copy);
	if (jv_get_kind(root) == JV_KIND_OBJECT)
		return root;
	if (jv_get_kind(root) == JV_KIND_INVALID)
		fail(ps, KEYSTORE_MALFORMED, "not valid JSON");
	else
		fail(ps, KEYSTORE_MALFORMED, "not a JSON object");
	jv_free(root);
	return jv_invalid();
}

static enum keystore_status parse_keystore(struct fields *f, const char *text, size_t len, const char **why)
{
	struct parse ps = { KEYSTORE_OK, NULL };

	memset(f, 0, sizeof *f);
	jv root = parse_json(text, len, &ps);
	if (jv_get_kind(root) == JV_KIND_OBJECT)
		parse_root(f, root, &ps);
	jv_free(root);
	if (why != NULL)
		*why = ps.why;
	return ps.status;
}

enum keystore_status keystore_check(const char *text, size_t len, const char **why)
{
	struct fields f;

	return parse_keystore(&f, text, len, why);
}

/* scrypt's own need (128·r·(N+2) for V, 128·r·p for B, as OpenSSL counts) and 1 MiB to spare. */
static uint64_t scrypt_maxmem(uint64_t n, uint64_t r, uint64_t p)
{
	return 128 * r * (n + 2) + 128 * r * p + (1u << 20);
}

static int derive_key(uint8_t dk[DK_LEN], const struct fields *f, const char *password, size_t password_len)
{
	int ok;

	HIVE_ASSERT(password != NULL || password_len == 0);
	if (password == NULL)
		password = "";
	if (f->kdf == KDF_SCRYPT)
		ok = EVP_PBE_scrypt(password, password_len, f->salt, f->salt_len, f->n, f->r, f->p,
		                    scrypt_maxmem(f->n, f->r, f->p), dk, DK_LEN);
	else
		ok = password_len <= INT_MAX &&
		     PKCS5_PBKDF2_HMAC(password, (int)password_len, f->salt, (int)f->salt_len,
		                       (int)f->c, EVP_sha256(), DK_LEN, dk);
	return ok == 1 ? 0 : -1;
}

/* AES-128-CTR is its own inverse: one function encrypts and decrypts. */
static int aes128_ctr(uint8_t *out, const uint8_t *in, size_t len, const uint8_t key[16], const uint8_t iv[IV_LEN])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, fin = 0;
	int ok = ctx != NULL &&
	         EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), NULL, key, iv) == 1 &&
	         EVP_EncryptUpdate(ctx, out, &n, in, (int)len) == 1 &&
	         EVP_EncryptFinal_ex(ctx, out + n, &fin) == 1 &&
	         (size_t)(n + fin) == len;

	EVP_CIPHER_CTX_free(ctx); /* also clears the key schedule */
	return ok ? 0 : -1;
}

static void keystore_mac(uint8_t mac[KECCAK256_SIZE], const uint8_t dk[DK_LEN], const uint8_t *ct, size_t len)
{
	struct keccak256_ctx k;

	keccak256_init(&k);
	keccak256_update(&k, dk + 16, 16);
	keccak256_update(&k, ct, len);
	keccak256_final(&k, mac);
	secret_wipe(&k, sizeof k);
}

/* With the derived key: checks the MAC, decrypts, checks the key and the address. */
static enum keystore_status open_sealed(uint8_t seckey[32], const struct fields *f, const uint8_t dk[DK_LEN],
                                        const char **why)
{
	uint8_t mac[KECCAK256_SIZE], addr[ETH_ADDR_SIZE];

	keystore_mac(mac, dk, f->ciphertext, sizeof f->ciphertext);
	if (!secret_equal(mac, f->mac, sizeof mac)) {
		*why = "wrong password (MAC mismatch)";
		return KEYSTORE_WRONG_PASSWORD;
	}
	if (aes128_ctr(seckey, f->ciphertext, sizeof f->ciphertext, dk, f->iv) < 0) {
		*why = "decryption failed";
		return KEYSTORE_SYSTEM;
	}
	if (eth_seckey_address(addr, seckey) < 0) {
		*why = "the decrypted key is not a valid secp256k1 key";
		return KEYSTORE_MALFORMED;
	}
	if (f->has_address && memcmp(addr, f->address, sizeof addr) != 0) {
		*why = "address does not match the decrypted key";
		return KEYSTORE_ADDRESS_MISMATCH;
	}
	return KEYSTORE_OK;
}

static enum keystore_status unlock(uint8_t seckey[32], const struct fields *f, const char *password,
                                   size_t password_len, const char **why)
{
	uint8_t dk[DK_LEN];
	enum keystore_status st;

	if (derive_key(dk, f, password, password_len) < 0) {
		*why = "key derivation failed";
		st = KEYSTORE_SYSTEM;
	} else {
		st = open_sealed(seckey, f, dk, why);
	}
	secret_wipe(dk, sizeof dk);
	return st;
}

enum keystore_status keystore_decrypt(uint8_t seckey[32], const char *text, size_t len,
                                      const char *password, size_t password_len, const char **why)
{
	struct fields f;
	const char *reason = NULL;
	enum keystore_status st;

	secret_wipe(seckey, ETH_SECKEY_SIZE);
	st = parse_keystore(&f, text, len, &reason);
	if (st == KEYSTORE_OK)
		st = unlock(seckey, &f, password, password_len, &reason);
	if (st != KEYSTORE_OK)
		secret_wipe(seckey, ETH_SECKEY_SIZE);
	if (why != NULL)
		*why = reason;
	return st;
}

static int fill_random(uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static jv hex_string(const uint8_t *p, size_t n)
{
	char hex[2 * SALT_LEN + 1];

	HIVE_ASSERT(n <= SALT_LEN);
	hex_encode(p, n, hex);
	return jv_string(hex);
}

/* UUID version 4 (random) in the 8-4-4-4-12 form. */
static jv uuid_v4(uint8_t b[UUID_LEN])
{
	char s[37];

	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(s, sizeof s, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
	         b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return jv_string(s);
}

static jv set(jv obj, const char *key, jv value)
{
	return jv_object_set(obj, jv_string(key), value);
}

/* Keys in geth's order, so our files look like geth's. */
static jv build_json(const struct fields *f, const uint8_t addr[ETH_ADDR_SIZE], uint8_t uuid[UUID_LEN])
{
	jv kdfparams = jv_object(), cipherparams = jv_object(), crypto = jv_object(), root = jv_object();

	kdfparams = set(kdfparams, "dklen", jv_number(DK_LEN));
	kdfparams = set(kdfparams, "n", jv_number((double)f->n));
	kdfparams = set(kdfparams, "p", jv_number((double)f->p));
	kdfparams = set(kdfparams, "r", jv_number((double)f->r));
	kdfparams = set(kdfparams, "salt", hex_string(f->salt, f->salt_len));
	cipherparams = set(cipherparams, "iv", hex_string(f->iv, IV_LEN));
	crypto = set(crypto, "cipher", jv_string("aes-128-ctr"));
	crypto = set(crypto, "ciphertext", hex_string(f->ciphertext, sizeof f->ciphertext));
	crypto = set(crypto, "cipherparams", cipherparams);
	crypto = set(crypto, "kdf", jv_string("scrypt"));
	crypto = set(crypto, "kdfparams", kdfparams);
	crypto = set(crypto, "mac", hex_string(f->mac, sizeof f->mac));
	root = set(root, "address", hex_string(addr, ETH_ADDR_SIZE));
	root = set(root, "crypto", crypto);
	root = set(root, "id", uuid_v4(uuid));
	return set(root, "version", jv_number(3));
}

static int valid_scrypt_n(uint64_t n)
{
	return n >= KEYSTORE_SCRYPT_N_MIN && n <= KEYSTORE_SCRYPT_N_MAX && (n & (n - 1)) == 0;
}

/* Derives, encrypts and MACs seckey into f (salt and iv already there). */
static enum keystore_status seal(struct fields *f, const uint8_t seckey[32], const char *password, size_t password_len)
{
	uint8_t dk[DK_LEN];
	int r = derive_key(dk, f, password, password_len);

	if (r == 0)
		r = aes128_ctr(f->ciphertext, seckey, ETH_SECKEY_SIZE, dk, f->iv);
	if (r == 0)
		keystore_mac(f->mac, dk, f->ciphertext, sizeof f->ciphertext);
	secret_wipe(dk, sizeof dk);
	return r == 0 ? KEYSTORE_OK : KEYSTORE_SYSTEM;
}

enum keystore_status keystore_encrypt(struct buf *out, const uint8_t seckey[32],
                                      const char *password, size_t password_len, uint64_t scrypt_n)
{
	struct fields f;
	uint8_t addr[ETH_ADDR_SIZE], uuid[UUID_LEN];
	enum keystore_status st;

	if (!valid_scrypt_n(scrypt_n))
		return KEYSTORE_UNSUPPORTED;
	if (eth_seckey_address(addr, seckey) < 0)
		return KEYSTORE_MALFORMED;
	memset(&f, 0, sizeof f);
	f.kdf = KDF_SCRYPT;
	f.n = scrypt_n;
	f.r = SCRYPT_R;
	f.p = SCRYPT_P;
	f.salt_len = SALT_LEN;
	if (fill_random(f.salt, SALT_LEN) < 0 || fill_random(f.iv, IV_LEN) < 0 || fill_random(uuid, UUID_LEN) < 0)
		return KEYSTORE_SYSTEM;
	st = seal(&f, seckey, password, password_len);
	if (st != KEYSTORE_OK)
		return st;
	jv text = jv_dump_string(build_json(&f, addr, uuid), 0);
	buf_append(out, jv_string_value(text), (size_t)jv_string_length_bytes(jv_copy(text)));
	buf_putc(out, '\n');
	jv_free(text);
	return KEYSTORE_OK;
}

/* NULL when s (without 0x and one trailing newline) is exactly 64 hex digits, else why not. */
static const char *keyfile_syntax(const char *s, size_t len)
{
	size_t digits = 0;

	if (len > 0 && s[len - 1] == '\n')
		len--;
	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		len -= 2;
	}
	while (digits < len && hex_digit((unsigned char)s[digits]) >= 0)
		digits++;
	if (digits > 64)
		return "too long: want 64 hex digits";
	if (digits == 64 && len > 64)
		return "trailing garbage after the 64 hex digits";
	if (digits < len)
		return "not hex: want 64 hex digits";
	if (len == 0)
		return "empty: want 64 hex digits";
	if (len < 64)
		return "truncated: want 64 hex digits";
	return NULL;
}

int keyfile_parse(uint8_t seckey[32], const char *text, size_t len, const char **why)
{
	const char *reason = keyfile_syntax(text, len);

	secret_wipe(seckey, ETH_SECKEY_SIZE);
	if (reason == NULL) {
		size_t skip = len >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X') ? 2 : 0;
		hex_decode(text + skip, 64, seckey, ETH_SECKEY_SIZE);
		if (!eth_seckey_valid(seckey))
			reason = "not a valid secp256k1 key (zero or not below the group order)";
	}
	if (reason != NULL)
		secret_wipe(seckey, ETH_SECKEY_SIZE);
	if (why != NULL)
		*why = reason;
	return reason == NULL ? 0 : -1;
}

void keyfile_format(struct buf *out, const uint8_t seckey[32])
{
	buf_hex(out, seckey, ETH_SECKEY_SIZE);
	buf_putc(out, '\n');
}
