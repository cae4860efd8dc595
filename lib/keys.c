#include "keys.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "buf.h"
#include "diag.h"
#include "eth.h"
#include "keystore.h"
#include "password.h"
#include "secret.h"
#include "xio.h"

static int exactly_one(const struct key_source *src)
{
	if (src->key_file != NULL && src->keystore_file != NULL) {
		diag_warn("give a key file or a keystore, not both");
		return HIVE_EUSAGE;
	}
	if (src->key_file == NULL && src->keystore_file == NULL) {
		diag_warn("no key: give a key file or a keystore");
		return HIVE_EUSAGE;
	}
	return HIVE_OK;
}

/* Reports why password_get failed and returns the exit code for it. */
static int password_failed(const char *password_file, const char *why)
{
	if (why == password_why_unreadable) {
		diag_warn_errno("cannot read password file '%s'", password_file);
		return HIVE_EINPUT;
	}
	if (password_file != NULL)
		diag_warn("password file '%s': %s", password_file, why);
	else
		diag_warn("%s", why);
	/* No source at all is a usage error; a mismatch or an empty new password is the user's answer. */
	return why == password_why_none ? HIVE_EUSAGE : HIVE_EAUTH;
}

static int keystore_exit(enum keystore_status st)
{
	switch (st) {
	case KEYSTORE_OK:
		return HIVE_OK;
	case KEYSTORE_WRONG_PASSWORD:
	case KEYSTORE_ADDRESS_MISMATCH:
		return HIVE_EAUTH;
	case KEYSTORE_SYSTEM:
		return HIVE_EINTERNAL;
	case KEYSTORE_MALFORMED:
	case KEYSTORE_UNSUPPORTED:
		break;
	}
	return HIVE_EINPUT;
}

static int load_key_file(uint8_t seckey[32], const char *path)
{
	struct buf text = BUF_INIT;
	const char *why;
	int rc = HIVE_OK;

	if (read_file(path, &text, KEYS_FILE_MAX) < 0) {
		diag_warn_errno("cannot read key file '%s'", path);
		rc = HIVE_EINPUT;
	} else if (keyfile_parse(seckey, buf_str(&text), text.len, &why) < 0) {
		diag_warn("key file '%s': %s", path, why);
		rc = HIVE_EINPUT;
	}
	buf_free_wipe(&text);
	return rc;
}

/* Asks for the password (the file is checked first, so a broken one fails before the prompt) and decrypts. */
static int unlock_keystore(uint8_t seckey[32], const struct buf *text, const struct key_source *src)
{
	struct buf password = BUF_INIT;
	const char *path = src->keystore_file, *why = NULL;
	char prompt[512];
	enum keystore_status st = keystore_check(buf_str(text), text->len, &why);
	int rc;

	if (st != KEYSTORE_OK) {
		diag_warn("keystore '%s': %s", path, why);
		return keystore_exit(st);
	}
	snprintf(prompt, sizeof prompt, "Password for keystore '%s': ", path);
	if (password_get(&password, src->password_file, prompt, 0, &why) < 0) {
		rc = password_failed(src->password_file, why);
	} else {
		st = keystore_decrypt(seckey, buf_str(text), text->len, buf_str(&password), password.len, &why);
		if (st != KEYSTORE_OK)
			diag_warn("keystore '%s': %s", path, why);
		rc = keystore_exit(st);
	}
	buf_free_wipe(&password);
	return rc;
}

static int load_keystore(uint8_t seckey[32], const struct key_source *src)
{
	struct buf text = BUF_INIT;
	int rc;

	if (read_file(src->keystore_file, &text, KEYS_FILE_MAX) < 0) {
		diag_warn_errno("cannot read keystore '%s'", src->keystore_file);
		rc = HIVE_EINPUT;
	} else {
		rc = unlock_keystore(seckey, &text, src);
	}
	buf_free(&text);
	return rc;
}

int keys_load(uint8_t seckey[32], const struct key_source *src)
{
	int rc;

	secret_wipe(seckey, ETH_SECKEY_SIZE);
	rc = exactly_one(src);
	if (rc == HIVE_OK)
		rc = src->key_file != NULL ? load_key_file(seckey, src->key_file) : load_keystore(seckey, src);
	if (rc != HIVE_OK)
		secret_wipe(seckey, ETH_SECKEY_SIZE);
	return rc;
}

/* What create_file_atomic's check reads back: the temporary file must give this key again. */
struct readback {
	const uint8_t *seckey;
	const struct buf *password; /* NULL for a raw key file */
	const char *why;
};

static int check_readback(const char *tmp_path, void *arg)
{
	struct readback *rb = arg;
	struct buf text = BUF_INIT;
	uint8_t back[ETH_SECKEY_SIZE];
	int ok;

	if (read_file(tmp_path, &text, KEYS_FILE_MAX) < 0) {
		int saved = errno;
		buf_free_wipe(&text);
		errno = saved;
		return -1;
	}
	if (rb->password != NULL)
		ok = keystore_decrypt(back, buf_str(&text), text.len, buf_str(rb->password), rb->password->len,
		                      NULL) == KEYSTORE_OK;
	else
		ok = keyfile_parse(back, buf_str(&text), text.len, NULL) == 0;
	ok = ok && secret_equal(back, rb->seckey, ETH_SECKEY_SIZE);
	secret_wipe(back, sizeof back);
	buf_free_wipe(&text);
	if (ok)
		return 0;
	rb->why = "the file written does not read back as the new key";
	errno = EIO;
	return -1;
}

static int write_key(const char *what, const char *path, const struct buf *text, struct readback *rb)
{
	if (create_file_atomic(path, buf_str(text), text->len, 0600, check_readback, rb) == 0)
		return HIVE_OK;
	if (errno == EEXIST)
		diag_warn("%s '%s' already exists", what, path);
	else if (rb->why != NULL)
		diag_warn("cannot write %s '%s': %s", what, path, rb->why);
	else
		diag_warn_errno("cannot write %s '%s'", what, path);
	return HIVE_EOUTPUT;
}

/* Encrypts seckey for a new keystore into text, asking for the new password into password. */
static int seal_keystore(struct buf *text, struct buf *password, const uint8_t seckey[32],
                         const struct key_source *dst, uint64_t scrypt_n)
{
	const char *why = NULL;
	char prompt[512];

	snprintf(prompt, sizeof prompt, "New password for keystore '%s': ", dst->keystore_file);
	if (password_get(password, dst->password_file, prompt, 1, &why) < 0)
		return password_failed(dst->password_file, why);
	enum keystore_status st = keystore_encrypt(text, seckey, buf_str(password), password->len, scrypt_n);
	if (st != KEYSTORE_OK)
		diag_warn("cannot encrypt keystore '%s': %s", dst->keystore_file,
		          st == KEYSTORE_SYSTEM ? "the crypto library failed" : "invalid key or scrypt N");
	return keystore_exit(st) == HIVE_OK ? HIVE_OK : HIVE_EINTERNAL;
}

static int valid_scrypt_n(uint64_t n)
{
	return n >= KEYSTORE_SCRYPT_N_MIN && n <= KEYSTORE_SCRYPT_N_MAX && (n & (n - 1)) == 0;
}

/* Refusals that need neither a key nor a password. */
static int precheck_create(const char *what, const char *path, int keystore, uint64_t scrypt_n)
{
	struct stat st;

	if (lstat(path, &st) == 0) {
		diag_warn("%s '%s' already exists", what, path);
		return HIVE_EOUTPUT;
	}
	if (keystore && !valid_scrypt_n(scrypt_n)) {
		diag_warn("scrypt N must be a power of two from 1024 to 1048576");
		return HIVE_EUSAGE;
	}
	return HIVE_OK;
}

int keys_create(uint8_t addr[20], const struct key_source *dst, uint64_t scrypt_n)
{
	int keystore = dst->keystore_file != NULL;
	const char *what = keystore ? "keystore" : "key file";
	const char *path = keystore ? dst->keystore_file : dst->key_file;
	struct buf text = BUF_INIT, password = BUF_INIT;
	uint8_t seckey[ETH_SECKEY_SIZE];
	int rc = exactly_one(dst);

	if (rc == HIVE_OK)
		rc = precheck_create(what, path, keystore, scrypt_n);
	if (rc != HIVE_OK)
		return rc;
	if (eth_seckey_generate(seckey) < 0) {
		diag_warn_errno("cannot generate a key");
		return HIVE_ETEMP;
	}
	if (keystore)
		rc = seal_keystore(&text, &password, seckey, dst, scrypt_n);
	else
		keyfile_format(&text, seckey);
	struct readback rb = { seckey, keystore ? &password : NULL, NULL };
	if (rc == HIVE_OK)
		rc = write_key(what, path, &text, &rb);
	if (rc == HIVE_OK)
		eth_seckey_address(addr, seckey);
	secret_wipe(seckey, sizeof seckey);
	buf_free_wipe(&text);
	buf_free_wipe(&password);
	return rc;
}
