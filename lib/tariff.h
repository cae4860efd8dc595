/*
 * tariff.h — the prices a hive pays and gets at its point of common
 * coupling with the DSO, slot by slot: the buy price p_b and the sell price
 * p_s of whitepaper §4.1, read from a tariff file.
 *
 * Ownership: struct tariff owns everything it holds (tariff_free); mpz_t
 * arguments are the caller's, initialised; strings passed in are only read.
 *
 * A tariff file is NDJSON: one JSON object per line (LF or CRLF, blank
 * lines skipped, strict JSON as jsonscan.h checks it). The first record is
 * the header {"type":"tariff","kind":KIND,...}; the records after it depend
 * on KIND. Every record may carry "note", a free-text string that is
 * ignored; any other member not listed here is an error.
 *
 * Prices. "buy" (p_b) and "sell" (p_s) are strings of decimal digits: token
 * base units of the hive's stablecoin per kWh, non-negative integers below
 * 2^256 without sign or leading zero (amount.h). For a token of 6 decimals
 * "250000" is 0.25 per kWh. buy ≥ sell: the whitepaper asks p_b > p_s; equal
 * prices are accepted as the edge case where the hive has no surplus to share.
 *
 * kind "constant": the header carries "buy" and "sell", which hold for every
 * slot; no other record follows.
 *   {"type":"tariff","kind":"constant","buy":"250000","sell":"80000"}
 *
 * kind "tou" (time of use): the header names the zone whose clock the rules
 * read, with exactly one of
 *   "tz":       an IANA name ("Europe/Zurich"), read from the system's
 *               zoneinfo ($TZDIR, else /usr/share/zoneinfo) when the file is
 *               loaded: its TZif transitions, then the POSIX rule of its
 *               footer for times after the last transition (zones that
 *               count leap seconds, right/…, are refused);
 *   "tz_posix": a POSIX TZ rule ("CET-1CEST,M3.5.0,M10.5.0/3"), so the file
 *               alone decides every price, whatever tzdata a machine has.
 * Then, in any order:
 *   {"type":"tou","days":DAYS,"from":"07:00","to":"20:00","buy":"…","sell":"…"}
 *   {"type":"holiday","date":"2026-12-25"}
 * DAYS is "all", or a comma-separated list of mon tue wed thu fri sat sun
 * and ranges such as "mon-fri" (forward in the week: "sat-sun", not
 * "fri-mon"); no day may be named twice. A rule covers local times of day
 * in [from, to) on its days, minutes "HH:MM" with from in 00:00–23:59, to in
 * 00:01–24:00 and from < to (a night rule over midnight is two rules).
 * A holiday's local date counts as a Sunday.
 * The price of a slot: the slot is named by its UTC start; that instant's
 * local time in the zone (so DST is whatever the zone says that day) gives
 * a weekday, sun on a holiday, and a time of day; the first rule in file
 * order whose days and [from, to) hold them wins. Loading refuses rules
 * that leave any minute of any weekday without a price, and a rule that
 * can never win because the rules before it cover all its times.
 *
 * kind "dynamic": the header carries "step", a duration ("15m", "1h",
 * "900" seconds) that divides a day; one record per priced step follows:
 *   {"type":"price","start":"2026-06-21T00:00:00Z","buy":"…","sell":"…"}
 * start is RFC 3339 in UTC ending in Z, a multiple of step since the Unix
 * epoch, and later than the previous record's start; the price holds for
 * [start, start + step). Gaps are allowed and have no price: tariff_prices
 * says so and the caller reports the slot, nothing is filled in.
 *
 * Every refusal is one diagnostic "'FILE' line N: what is wrong" (diag.h);
 * properties of the whole file name the line of the record concerned, or the
 * header's.
 */
#ifndef HIVE_TARIFF_H
#define HIVE_TARIFF_H

#include <stddef.h>
#include <stdint.h>
#include <gmp.h>

/* Limits: a tariff file's size, tou rules in one file. */
#define TARIFF_FILE_MAX (64u << 20)
#define TARIFF_MAX_RULES 1000

struct tariff;

/* "0x" and the keccak256 of a tariff file's bytes: how clearing records name the tariff they used. */
#define TARIFF_ID_SIZE 67

/*
 * Reads and checks the tariff file at path (following symbolic links).
 * Returns HIVE_OK and *out (free it with tariff_free), and its id when id
 * is not NULL, or HIVE_EINPUT with *out NULL after one diagnostic.
 */
int tariff_load(struct tariff **out, const char *path, char id[TARIFF_ID_SIZE]);

/* The same over text[0..len), which name stands for in diagnostics. */
int tariff_load_text(struct tariff **out, const char *name, const char *text, size_t len);

/*
 * Sets buy and sell to the prices of the slot that starts at slot_start_ms
 * (Unix milliseconds, UTC). Returns 0, or -1 (buy and sell unchanged) when a
 * dynamic tariff has no price for it.
 */
int tariff_prices(const struct tariff *t, int64_t slot_start_ms, mpz_t buy, mpz_t sell);

/*
 * The prices of n slots of step_s seconds from start_ms per Wh, as doubles
 * (base units per kWh over 1000), for planning, where prices weigh energies
 * and no money changes hands. Returns 0, or -1 with *missing_ms the start
 * of the first slot without a price.
 */
int tariff_prices_per_wh(const struct tariff *t, int64_t start_ms, int step_s, size_t n, double *buy, double *sell,
                         int64_t *missing_ms);

void tariff_free(struct tariff *t);

#endif
