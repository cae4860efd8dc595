/*
 * csvimport.h — CSV exports of utility portals and loggers turned into
 * meter readings or slot energies, on Debian's libcsv. Pure: it is fed bytes
 * in chunks of any size and calls a sink; no I/O, no printing.
 *
 * Ownership: a struct csvimport owns its memory (csvimport_free releases
 * it) and copies what it needs from the config at csvimport_init, so the
 * caller's config and strings may go right after; the sink's callbacks get
 * structs and strings that live only for the duration of the call.
 *
 * Input. Rows are separated by LF, CRLF or CR; blank lines (spaces only)
 * are skipped; fields may be quoted ("a;b", "say ""hi"""); a UTF-8 BOM at
 * the very start is dropped; spaces around unquoted fields are dropped.
 * Line numbers are 1-based physical lines (a quoted field with a line break
 * spans two), and a row is named by the line where it starts. A quote that
 * is never closed swallows the rest of the input into one field, as libcsv
 * does, so those lines end up as one bad row.
 *
 * Columns. A column is named by its header text (ASCII case-insensitive,
 * needs a header row) or by its 1-based number. The time column and either
 * an import column, an export column, both, or one signed net column
 * (positive import, negative export) are given. Every data row must have as
 * many fields as the header, or without a header as the first data row.
 * A header that lacks a named column, names it twice, or is narrower than a
 * numbered column, and the same column given for two roles, are
 * configuration errors: the import stops and csvimport_error() says why.
 *
 * Kinds.
 *   register  cumulative meter registers: one struct reading per row,
 *             protocol "csv", meter_time from the row (whole seconds),
 *             import_wh/export_wh as exact decimals in Wh, checked false
 *             (a CSV file has no checksum). No net column, no step.
 *   energy    the energy of [t, t + step) on each row.
 *   power     the average power over [t, t + step) on each row.
 * Energy and power rows make one struct interval_slot each: start t,
 * length step, covered step, flagged complete, registers the columns that
 * the file gives (a net column gives both), net_wh = import_wh − export_wh.
 *
 * Rounding (energy and power). Each register has its own integrator. A row
 * adds its exact energy E (W × step / 3600 s, or the Wh value; a net row
 * adds |value| to import when positive, to export when negative) to the
 * integrator's carry c, 0 ≤ c < 1 Wh; the slot gets ⌊c + E⌋ Wh and the new
 * carry is the fraction left. So, over any prefix of the accepted rows, the
 * emitted Wh sum to ⌊Σ E⌋ exactly, and no slot is off by a whole Wh. The
 * carry runs on across gaps and is dropped at the end (under 1 Wh). Values
 * may have at most 9 decimals (12 in kW or kWh): the integrator counts
 * 1/(3600 × 10^9) Wh. Example: 224.4 W, 223.5 W, 221.4 W over 30 min are
 * 112.2, 111.75, 110.7 Wh and become 112, 111, 111 Wh (carry 0.65).
 *
 * Bad rows go to the sink's bad_row with their line and a reason, and leave
 * the state unchanged; the rest of the input is processed. A row is bad
 * when it has the wrong number of fields; a value that is empty, not a plain
 * decimal number (no exponent, no thousands separator), negative in an
 * import or export column, or too large; a time that does not parse; a time
 * not after the previous accepted row's (duplicate or out of order); or, for
 * energy and power, a time that is not a multiple of the step since the
 * epoch. When an accepted energy or power row starts more than one step
 * after the previous one, the missing slots are not invented: the sink's gap
 * gets [previous end, this start) before this row's slot.
 *
 * Times: RFC 3339 with a zone (default); local time "YYYY-MM-DD hh:mm[:ss]"
 * ('T' or ' ', no zone) at a fixed offset (no DST: export such files in UTC);
 * Unix seconds (a fraction down to milliseconds allowed); Unix milliseconds.
 */
#ifndef HIVE_CSVIMPORT_H
#define HIVE_CSVIMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "interval.h"
#include "reading.h"

/* A value longer than this is a bad row (no meter value needs more). */
#define CSVIMPORT_FIELD_MAX 63
/* The local-time offset lies in [-limit, +limit] minutes. */
#define CSVIMPORT_TZ_OFFSET_LIMIT 1439

enum csvimport_kind {
	CSVIMPORT_REGISTER,
	CSVIMPORT_ENERGY,
	CSVIMPORT_POWER
};

enum csvimport_unit {
	CSVIMPORT_UNIT_DEFAULT,         /* Wh for register and energy, W for power */
	CSVIMPORT_WH,
	CSVIMPORT_KWH,
	CSVIMPORT_W,
	CSVIMPORT_KW
};

enum csvimport_time_format {
	CSVIMPORT_TIME_RFC3339,         /* "2024-10-01T00:00:00Z", "…+02:00" */
	CSVIMPORT_TIME_LOCAL,           /* "2024-10-01 02:00[:00]" at tz_offset_min */
	CSVIMPORT_TIME_UNIX,            /* seconds: "1727740800", "1727740800.5" */
	CSVIMPORT_TIME_UNIX_MS          /* milliseconds: "1727740800000" */
};

/* Unused when name is NULL and number is 0; otherwise exactly one is set. */
struct csvimport_column {
	const char *name;               /* header text */
	unsigned number;                /* 1-based */
};

struct csvimport_config {
	char delimiter;                 /* ',' (default), ';', '\t' or '|' */
	bool header;                    /* the first row (after skip_rows) names the columns; default true */
	unsigned skip_rows;             /* rows of preamble before the header or data; default 0 */
	bool decimal_comma;             /* "1,5" is 1.5 (and "1.5" is refused); needs delimiter ≠ ',' */
	enum csvimport_kind kind;       /* default register */
	enum csvimport_unit unit;       /* default CSVIMPORT_UNIT_DEFAULT */
	int64_t step_ms;                /* energy and power: required, whole seconds dividing a day */
	enum csvimport_time_format time_format;
	int tz_offset_min;              /* local time only: local = UTC + offset (+120 for CEST) */
	struct csvimport_column time, import, export, net;
};

struct csvimport_sink {
	void (*reading)(void *arg, const struct reading *r);              /* register */
	void (*slot)(void *arg, const struct interval_slot *slot);        /* energy, power */
	void (*gap)(void *arg, int64_t from_ms, int64_t to_ms);           /* energy, power */
	void (*bad_row)(void *arg, unsigned long line, const char *why);
	void *arg;
};                                      /* any callback may be NULL */

enum csvimport_role { CSVIMPORT_ROLE_TIME, CSVIMPORT_ROLE_IMPORT, CSVIMPORT_ROLE_EXPORT,
	CSVIMPORT_ROLE_NET, CSVIMPORT_ROLES };

/* Private: read it only through the functions below. */
struct csvimport_field {
	char text[CSVIMPORT_FIELD_MAX + 1];
	size_t len;
	bool too_long;
};

struct csv_parser;
struct csvimport {
	struct csv_parser *parser;
	struct csvimport_sink sink;
	struct csvimport_config config;         /* its column names point into names[] */
	char *names[CSVIMPORT_ROLES];           /* owned copies; NULL for numbered or unused */
	long index[CSVIMPORT_ROLES];            /* 0-based field index, -1 unused or unresolved */
	unsigned bom_matched;                   /* BOM bytes held back so far */
	bool bom_done;
	unsigned long line;                     /* the physical line being fed */
	bool after_cr;                          /* the last byte was a CR (of a CRLF, maybe) */
	bool row_open;                          /* libcsv is inside a row */
	unsigned long row_line;                 /* where that row started */
	unsigned rows_skipped;
	bool header_pending;
	size_t nfields, expected_fields;        /* expected 0: not known yet */
	struct csvimport_field field[CSVIMPORT_ROLES];
	bool started;                           /* last_ms is an accepted row's time */
	int64_t last_ms;
	int64_t carry[2];                       /* import, export: integrator fraction */
	bool stopped;
	char error[160];
	char why[160];
};

/* Fills c with the defaults: ',', a header, register kind in Wh, RFC 3339 times, no columns. */
void csvimport_config_default(struct csvimport_config *c);
/*
 * Starts an import. Returns 0, or -1 with *why set when the config is
 * invalid (then nothing is held and csvimport_free is optional).
 */
int csvimport_init(struct csvimport *st, const struct csvimport_config *c, const struct csvimport_sink *sink,
                   const char **why);
/* Feeds the next bytes. Returns 0, or -1 once a configuration error has stopped the import. */
int csvimport_feed(struct csvimport *st, const char *data, size_t len);
/* Ends the input: a last row without a line break is processed. Returns as csvimport_feed. */
int csvimport_finish(struct csvimport *st);
/* The configuration error that stopped the import, or NULL. */
const char *csvimport_error(const struct csvimport *st);
void csvimport_free(struct csvimport *st);

/* Names for options. Each returns 0, or -1 for an unknown name. */
int csvimport_kind_parse(enum csvimport_kind *kind, const char *text);          /* register, energy, power */
int csvimport_unit_parse(enum csvimport_unit *unit, const char *text);          /* Wh, kWh, W, kW (any case) */
int csvimport_time_format_parse(enum csvimport_time_format *f, const char *text); /* rfc3339, local, unix, unix-ms */
/* All digits: a 1-based number; else a header name (pointing into text). Returns -1 for "" or "0". */
int csvimport_column_parse(struct csvimport_column *col, const char *text);

#endif
