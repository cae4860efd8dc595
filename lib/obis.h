/*
 * obis.h — OBIS data sets as DSMR P1 and IEC 62056-21 (D0) meters write
 * them: an identifier such as 1-0:1.8.1, 0-1:24.2.1, 1.8.0 or C.1, followed
 * by values in parentheses: 1-0:1.8.1(001581.123*kWh), 0-1:24.2.1(…W)(…*m3).
 *
 * Ownership: nothing here allocates; a parsed data set points into the
 * caller's text and is valid only as long as that text is.
 *
 * Values are kept as the meter sent them (every digit, via decimal_parse);
 * obis_measure() normalises units: kWh → Wh, kW → W, kV → V, MWh → Wh.
 */
#ifndef HIVE_OBIS_H
#define HIVE_OBIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reading.h"

/*
 * An OBIS code A-B:C.D.E*F. A group the text leaves out is -1 (D0 writes
 * "1.8.0", "C.1", "F.F"). IEC 62056-61's letters stand for numbers in the C
 * and D groups: C = 96, F = 97, L = 98, P = 99, so "C.1" equals "96.1".
 */
struct obis_code {
	short a, b, c, d, e, f;
};

/* A value between parentheses, without them: "001581.123*kWh". */
struct obis_text {
	const char *p;
	size_t len;
};

#define OBIS_MAX_VALUES 32   /* the DSMR power-failure log holds 2 + 2 × 10 */

struct obis_set {
	struct obis_code code;
	struct obis_text value[OBIS_MAX_VALUES];
	int nvalues;            /* values stored in value[] */
	bool more;              /* the data set had more values than OBIS_MAX_VALUES */
};

/* Flags for obis_parse(). */
enum {
	/*
	 * DSMR: a value may run over several lines (long text messages), and
	 * DSMR 2.2/3.0 put the gas reading's last value on a line of its own,
	 * so CR and LF are allowed inside values and between them.
	 */
	OBIS_SPAN_LINES = 1
};

/*
 * Parses the data set at text[0..len): its identifier, then its values,
 * "(…)" each, parentheses nested inside a value kept in it. Stops after the
 * last value (or at the end of the identifier when none follows: the caller
 * decides whether a data set may have no value) and sets *used to the bytes
 * taken. Returns 0, or -1 with the
 * offset into text and a reason.
 */
int obis_parse(struct obis_set *out, const char *text, size_t len, int flags,
               size_t *used, size_t *bad_offset, const char **why);

/* Parses an identifier alone (all of text). Returns 0, or -1. */
int obis_parse_code(struct obis_code *out, const char *text, size_t len);

/* True when code is A-B:C.D.E (the groups given; -1 matches an absent one, and F must be absent or 255). */
static inline bool obis_is(const struct obis_code *code, int a, int b, int c, int d, int e)
{
	return code->a == a && code->b == b && code->c == c && code->d == d && code->e == e &&
	       (code->f == -1 || code->f == 255);
}

/* What a register measures, from its unit. */
enum obis_kind {
	OBIS_NONE,      /* no unit */
	OBIS_ENERGY,    /* normalised to Wh */
	OBIS_POWER,     /* normalised to W */
	OBIS_VOLTAGE,   /* normalised to V */
	OBIS_CURRENT,   /* normalised to A */
	OBIS_OTHER      /* any other unit (m3, GJ, kvarh, s…): kept as sent */
};

/*
 * Splits "value*unit" at the '*': the number into *number, the unit into
 * *unit (empty when there is none).
 */
void obis_split_unit(const struct obis_text *v, struct obis_text *number, struct obis_text *unit);

/*
 * Parses "value*unit" into out with the unit normalised, and checks that the
 * unit is one of kind want. Returns 0, or -1 with a reason: not a number, no
 * unit, or a unit of another kind.
 */
int obis_measure(struct decimal *out, const struct obis_text *v, enum obis_kind want, const char **why);

/* The kind of a unit ("kWh" → OBIS_ENERGY) and the power of ten to normalise it (3). */
enum obis_kind obis_unit_kind(const char *unit, size_t len, int *scale);

/*
 * The electricity registers DSMR and D0 share, stored into a struct reading
 * (A = 1 or absent, B = 0, 1 or absent, F absent or 255 — a billing-period F
 * is history, not the current value): 1.8.0 and 2.8.0 totals, 1.8.t and
 * 2.8.t tariffs 1..8, 1.7.0 and 2.7.0 power, 16.7.0 signed power, and per
 * phase 32/52/72.7.0 V, 31/51/71.7.0 A, 21/41/61.7.0 and 22/42/62.7.0 W,
 * 36/56/76.7.0 signed W.
 */
struct obis_store {
	struct reading *r;
	uint64_t seen;                          /* registers already stored: one sent twice is an error */
	struct decimal import_total, export_total;  /* 1.8.0 and 2.8.0 where sent */
	struct decimal net_power;               /* 16.7.0 */
	struct decimal phase_net[READING_PHASES];   /* 36/56/76.7.0 */
};

void obis_store_init(struct obis_store *st, struct reading *r);
/*
 * Stores s when it is one of those registers. Returns 1 when stored, 0 when
 * s is not one of them, or -1 with a reason and *where pointing at the
 * offending text: a malformed value, a unit of the wrong kind, a register
 * sent twice, other than one value.
 */
int obis_store_register(struct obis_store *st, const struct obis_set *s, const char **where, const char **why);
/*
 * After the last data set: import_wh and export_wh (1.8.0 and 2.8.0 where
 * sent, else the sum of the tariffs), and power from the signed registers
 * where 1.7.0/2.7.0 (or the per-phase ones) were not sent. Returns 0, or -1
 * when a sum overflows.
 */
int obis_store_finish(struct obis_store *st, const char **why);

#endif
