/*
 * reading.h — one meter reading as decoded from one frame, whatever the
 * protocol, before it becomes a "reading" record (readrec.h).
 *
 * Ownership: a struct reading is plain data in caller memory; it holds no
 * pointers except the static protocol name.
 *
 * Every value is exact: a struct decimal holds digits × 10^exp as the meter
 * sent them (001581.123 kWh is 1581123 × 10^0 Wh; 0230.0 V is 2300 × 10^-1 V),
 * so no floating point touches a register. Units are normalised when decoded:
 * energy in Wh, power in W, voltage in V, current in A.
 */
#ifndef HIVE_READING_H
#define HIVE_READING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct decimal {
	int64_t digits;     /* value = digits × 10^exp */
	int8_t exp;
	bool set;           /* false: the meter did not send this value */
};

#define READING_TARIFFS 8
#define READING_PHASES 3
#define READING_MBUS 4
#define READING_ID_SIZE 97    /* 96 characters and a NUL */

/* A gas, water, heat or sub-meter channel on the meter's M-Bus (DSMR 0-n:24.x). */
struct reading_mbus {
	int channel;                    /* 1..4 */
	int device_type;                /* M-Bus device type (3 gas, 7 water, …), -1 if unknown */
	char id[READING_ID_SIZE];       /* equipment identifier, decoded to text */
	int64_t time;                   /* capture time, Unix seconds UTC; valid if has_time */
	bool has_time;
	struct decimal value;
	char unit[8];                   /* as sent: "m3", "GJ", "kWh" */
};

struct reading_phase {
	struct decimal voltage_v;
	struct decimal current_a;
	struct decimal power_import_w;
	struct decimal power_export_w;
};

struct reading {
	const char *protocol;           /* "dsmr", "sml", "d0", "modbus", "csv", "sim" */
	char version[16];               /* protocol version where sent ("50" for DSMR 5.0) */
	char meter_id[READING_ID_SIZE]; /* the meter's own identifier or serial, as text */
	char model[READING_ID_SIZE];    /* identification line or manufacturer/model */
	int64_t meter_time;             /* meter clock, Unix seconds UTC; valid if has_meter_time */
	bool has_meter_time;
	bool checked;                   /* the frame's checksum (CRC, BCC, GCM tag) was verified */
	bool simulated;                 /* made by hive-read sim, not by a meter */

	struct decimal import_wh;       /* cumulative, total over tariffs */
	struct decimal export_wh;
	struct decimal import_tariff_wh[READING_TARIFFS];  /* index 0 is tariff 1 */
	struct decimal export_tariff_wh[READING_TARIFFS];
	int tariffs;                    /* how many tariff registers were sent */
	int tariff;                     /* the tariff in force (1-based), 0 if not sent */

	struct decimal power_import_w;  /* instantaneous, all phases */
	struct decimal power_export_w;
	struct reading_phase phase[READING_PHASES];
	int phases;                     /* highest phase with any value (0: none) */

	struct reading_mbus mbus[READING_MBUS];
	int nmbus;
};

/* Empties r: no value set, protocol NULL. */
void reading_clear(struct reading *r);

/* Sets d to digits × 10^exp. */
void decimal_set(struct decimal *d, int64_t digits, int exp);
/*
 * Parses a plain decimal ("001581.123", "-0.5", "230") into d, keeping every
 * digit. Returns 0, or -1 when text is not such a number or has more digits
 * than an int64 holds.
 */
int decimal_parse(struct decimal *d, const char *text, size_t len);
/* Multiplies by 10^k exactly (kWh → Wh is k = 3). Returns 0, or -1 on overflow. */
int decimal_scale(struct decimal *d, int k);
/* a + b into out (exponents aligned). Returns 0, or -1 on overflow. */
int decimal_add(struct decimal *out, const struct decimal *a, const struct decimal *b);
/*
 * Splits a signed power (negative: export) into its import and export
 * halves, the other one set to zero. A value that cannot be negated is left out.
 */
void decimal_split_signed(struct decimal *import, struct decimal *export, struct decimal v);
/* The value in whole units when it is an integer (exp ≥ 0 or zero fraction). Returns 0, or -1. */
int decimal_to_int(int64_t *out, const struct decimal *d);
/* Writes the value as a JSON number without exponent ("1581123", "230", "0.48"). */
struct buf;
void decimal_format(struct buf *out, const struct decimal *d);

#endif
