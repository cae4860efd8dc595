/*
 * cli.h — command-line conventions shared by every hive tool: help, version,
 * usage errors, option values, and a checked end of output.
 *
 * Ownership: strings passed in are only read.
 */
#ifndef HIVE_CLI_H
#define HIVE_CLI_H

#include <getopt.h>
#include <stdint.h>

/* Prints usage on standard output and exits 0 (-h, --help). */
_Noreturn void cli_help(const char *usage);
/* Prints "prog VERSION" and exits 0 (--version). */
_Noreturn void cli_version(void);
/* Prints "prog: message" and the usage on stderr, exits HIVE_EUSAGE. */
_Noreturn void cli_usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parses an address given to option opt, or exits HIVE_EUSAGE naming the problem (EIP-55 checked). */
void cli_address(uint8_t addr[20], const char *opt, const char *value, const char *usage);
/*
 * The UTC period [*from_ms, *to_ms) of --day DAY (YYYY-MM-DD, yesterday or
 * today) in the zone --tz (NULL: UTC), or exits HIVE_EUSAGE naming the bad
 * value (tz.h has the rules).
 */
void cli_day_period(const char *day, const char *zone, int64_t *from_ms, int64_t *to_ms, const char *usage);

/* Parses an RFC 3339 time given to option opt (in ms since 1970), or exits HIVE_EUSAGE saying why. */
int64_t cli_time(const char *opt, const char *value, const char *usage);
/* Parses a duration (900, 15m, 1h, 1d) given to option opt, in ms, or exits HIVE_EUSAGE. */
int64_t cli_duration(const char *opt, const char *value, const char *usage);

/* Parses an unsigned decimal integer in [min, max] given to option opt, or exits HIVE_EUSAGE. */
uint64_t cli_uint(const char *opt, const char *value, uint64_t min, uint64_t max, const char *usage);
/* Parses a decimal number in [lo, hi] given to option opt, or exits HIVE_EUSAGE. */
double cli_number(const char *opt, const char *value, double lo, double hi, const char *usage);
/*
 * getopt_long with the conventions every tool shares: -h/--help prints the
 * usage, the option whose value is version_opt prints the version, and an
 * unknown option or a missing value is a usage error naming the command.
 * Returns the next option, or -1 (the caller sets optind = 1 first).
 */
int cli_getopt(int argc, char **argv, const struct option *options, int version_opt, const char *cmd,
               const char *usage);

/* Non-zero when opt is in the 0-terminated list accepted. */
int cli_accepts(const int *accepted, int opt);

/* The long name of the option whose value is opt, or "?". */
const char *cli_option_name(const struct option *options, int opt);

/*
 * Flushes and closes standard output; a write error there turns code into
 * HIVE_EOUTPUT (with a diagnostic). Returns the final exit code.
 */
int cli_finish(int code);

#endif
