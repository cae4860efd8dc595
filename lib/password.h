/*
 * password.h — where passwords come from: a file, the environment or the
 * terminal, never the command line (argv is visible to every user in ps).
 *
 * Ownership: the password lands in the caller's struct buf, which the caller
 * releases with buf_free_wipe().
 */
#ifndef HIVE_PASSWORD_H
#define HIVE_PASSWORD_H

#include "buf.h"

/* Environment variable read when no password file is given. */
#define PASSWORD_ENV "HIVE_PASSWORD"

/* Reasons password_get gives that callers tell apart (by address): the password
 * file cannot be read (errno is set), or there is no source at all. */
extern const char password_why_unreadable[];
extern const char password_why_none[];

/*
 * Gets a password into out:
 *  - from password_file if not NULL: its first line without the line end
 *    (a warning is printed when the file is readable by group or others);
 *  - else from the environment variable HIVE_PASSWORD;
 *  - else by prompting on /dev/tty with echo off; when confirm is non-zero
 *    it asks twice and fails on a mismatch.
 * When confirm is set (a new key) an empty password is refused, whatever the
 * source. Returns 0, or -1 with *why a constant reason: password_why_unreadable
 * (errno set; the caller names the file), password_why_none ("no password:
 * give --password-file, set HIVE_PASSWORD or run on a terminal"), "passwords
 * do not match", ...
 */
int password_get(struct buf *out, const char *password_file, const char *prompt, int confirm,
                 const char **why);

#endif
