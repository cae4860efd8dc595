/*
 * tz.h — local time in a time zone, read by hand: an IANA zone from the
 * system's TZif files (RFC 9636), or a POSIX TZ rule. Not through TZ and
 * localtime_r: those change the process's environment and libc's global
 * zone state under the caller, and cannot take a rule given in a file.
 *
 * Ownership: struct tz owns what it holds (tz_free); strings passed in are
 * only read, and nothing keeps a pointer to them.
 *
 * Time is Unix time in UTC; an offset is seconds east of UTC (+3600 for CET,
 * the opposite sign of a POSIX rule's). An IANA zone answers from its TZif
 * transitions: time type 0 before the first, the POSIX rule of its footer
 * from the last on (the last transition's type when there is no footer).
 *
 * POSIX TZ rules, as POSIX and RFC 9636 §3.3 define them: "STDoff" or
 * "STDoffDST[off],start[/time],end[/time]", e.g. "CET-1CEST,M3.5.0,M10.5.0/3".
 * Names are 3+ letters or <…> of letters, digits, + and -; offsets are
 * [+-]hh[:mm[:ss]] west of UTC up to 24 h (DST defaults to one hour ahead of
 * standard time); dates are Mm.w.d, Jn (1–365, no Feb 29) or n (0–365), at a
 * local time from -167 to 167 h (default 02:00). DST without its dates is
 * refused rather than guessed.
 *
 * Failures set *why: a string constant, or a message quoting the name and
 * the file in a static thread-local buffer that the next tz_load_* call in
 * the same thread overwrites.
 */
#ifndef HIVE_TZ_H
#define HIVE_TZ_H

#include <stdbool.h>
#include <stdint.h>

struct tz;

/*
 * Whether name can be an IANA zone name: components of letters, digits and
 * . _ + - separated by single slashes, none of them . or .., at most 255
 * bytes, so it stays inside the zoneinfo tree. Says nothing of whether the
 * zone exists.
 */
bool tz_name_ok(const char *name);

/*
 * Reads the IANA zone name ("Europe/Zurich") from $TZDIR, else
 * /usr/share/zoneinfo, following symbolic links. Refuses a name that fails
 * tz_name_ok, a file that is not TZif version 1–4 or is malformed, and zones
 * that count leap seconds (right/…): hive's Unix times do not. Returns 0 and
 * *out (free it with tz_free), or -1 with *out NULL and *why, e.g.
 * "unknown time zone 'Mars/Base' (no file '/usr/share/zoneinfo/Mars/Base')".
 */
int tz_load_name(struct tz **out, const char *name, const char **why);

/* The same for a POSIX TZ rule ("CET-1CEST,M3.5.0,M10.5.0/3"). */
int tz_load_posix(struct tz **out, const char *rule, const char **why);

/*
 * spec as an IANA name when there is a zone file by that name, else as a
 * POSIX rule. The file goes first: "EST5EDT" and "CET" are both, and the
 * file knows the zone's history. A zone file that exists but is refused is
 * an error, not a reason to read spec as a rule.
 */
int tz_load_any(struct tz **out, const char *spec, const char **why);

/* The offset at that instant, in seconds east of UTC; any t is fine. */
int32_t tz_offset(const struct tz *z, int64_t unix_seconds);

/*
 * The start of the local calendar day year-month-day, in Unix milliseconds:
 * the first instant whose local time is at or after its 00:00. When a change
 * skips local midnight, the day starts at the end of the gap (01:00, say);
 * when local midnight happens twice, at the earlier one. So a day is 24 h
 * long, or 23 h or 25 h on DST change days: next day's start minus this.
 * year is from -1000000 to 1000000, month 1–12 and day a real day of that
 * month; anything else returns INT64_MIN.
 */
int64_t tz_day_start_ms(const struct tz *z, int64_t year, int month, int day);

/* The local day of t_ms in zone z (NULL: UTC), as days since 1970-01-01, rounded down before it. */
int64_t tz_local_day(const struct tz *z, int64_t t_ms);

/*
 * Parses exactly "YYYY-MM-DD" (four-digit year, a real date of the proleptic
 * Gregorian calendar: no 2026-02-29). Returns 0, or -1 leaving the outputs
 * unchanged.
 */
int tz_parse_date(const char *s, int64_t *year, int *month, int *day);

/*
 * The period of a local day in UTC: day is "YYYY-MM-DD", "yesterday" or
 * "today" (the zone's calendar date at now_ms, less a day for yesterday).
 * Sets [*from_ms, *to_ms): this day's start to the next one's. Returns 0,
 * or -1 when day is none of these.
 */
int tz_day_range(const struct tz *z, const char *day, int64_t now_ms, int64_t *from_ms, int64_t *to_ms);

void tz_free(struct tz *z);

#endif
