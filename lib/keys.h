/*
 * keys.h — the secret key a tool signs with: loaded from, or created as, a
 * raw key file or a keystore (see keystore.h), with the password from
 * password_get (see password.h).
 *
 * Ownership: callers provide the key and address buffers and wipe the key
 * (secret_wipe) when done; the paths in struct key_source are only read.
 */
#ifndef HIVE_KEYS_H
#define HIVE_KEYS_H

#include <stdint.h>

/* Exactly one of key_file and keystore_file; password_file only for a keystore (may be NULL). */
struct key_source {
	const char *key_file;
	const char *keystore_file;
	const char *password_file;
};

/* Largest key or keystore file read. */
#define KEYS_FILE_MAX (64 * 1024)

/*
 * Loads the secret key from a raw key file or a keystore (asking for the
 * password). On failure prints a diagnostic naming the file, e.g.
 * "hive-sign: keystore 'a.json': wrong password (MAC mismatch)", zeroes seckey
 * and returns an exit code from diag.h: HIVE_EINPUT for a missing, unreadable,
 * malformed or unsupported file, HIVE_EAUTH for a wrong password or address
 * mismatch, HIVE_EUSAGE when neither or both files are given. HIVE_OK on success.
 */
int keys_load(uint8_t seckey[32], const struct key_source *src);

/*
 * Creates a new random key and writes it as a keystore (scrypt N = scrypt_n)
 * to keystore_file, or as a raw key file to key_file: mode 0600, through a
 * temporary file that is read back and checked before it is renamed into
 * place (see create_file_atomic). An existing file is never replaced
 * ("... already exists", HIVE_EOUTPUT). Prints nothing but diagnostics;
 * returns an exit code and, on success, the new key's address in addr.
 */
int keys_create(uint8_t addr[20], const struct key_source *dst, uint64_t scrypt_n);

#endif
