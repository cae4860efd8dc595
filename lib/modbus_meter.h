/*
 * modbus_meter.h — electricity meters read over Modbus RTU (serial) or
 * Modbus TCP with libmodbus, as a register map file describes them
 * (share/meters/NAME.csv, format in share/meters/README.md), so that a user adds
 * a meter without code.
 *
 * Ownership: a struct modbus_map owns its entries (modbus_map_free() releases
 * them); the modbus_t context stays the caller's: it opens, connects, sets
 * the unit id (modbus_set_slave) and error recovery, and frees it.
 *
 * Map file: CSV with the header field,register,function,type,scale,unit; one
 * line per register read; # starts a comment; @max_registers,N @timeout_ms,N
 * and @retries,N lines set the reading options. register is the 0-based PDU
 * address (decimal or 0x hex); function 3 (holding) or 4 (input); type
 * float32, int16, uint16, int32 or uint32 (32-bit values: high word first,
 * each word big-endian); scale a decimal factor, optionally with an exponent
 * (1, 0.01, 1e-3; empty is 1); unit the manufacturer's (Wh kWh MWh, W kW MW,
 * V kV, A mA), converted to the reading's Wh, W, V, A exactly.
 *
 * Float registers: the value is the float's shortest decimal that reads back
 * as the same float (1234.567 kWh stays 1234.567, never 1234.5670166015625),
 * then scaled exactly: 1234.567 kWh is 1234567 Wh.
 */
#ifndef HIVE_MODBUS_METER_H
#define HIVE_MODBUS_METER_H

#include <stddef.h>
#include <stdint.h>

#include <modbus/modbus.h>

#include "reading.h"

/* Where a register's value goes in a struct reading. */
enum modbus_field {
	MODBUS_FIELD_IMPORT_WH,
	MODBUS_FIELD_EXPORT_WH,
	MODBUS_FIELD_IMPORT_TARIFF_WH,    /* index: tariff - 1 */
	MODBUS_FIELD_EXPORT_TARIFF_WH,
	MODBUS_FIELD_POWER_W,             /* signed: negative is export */
	MODBUS_FIELD_POWER_IMPORT_W,
	MODBUS_FIELD_POWER_EXPORT_W,
	MODBUS_FIELD_VOLTAGE_V,           /* index: phase - 1 */
	MODBUS_FIELD_CURRENT_A,
	MODBUS_FIELD_PHASE_POWER_W,       /* signed */
	MODBUS_FIELD_PHASE_POWER_IMPORT_W,
	MODBUS_FIELD_PHASE_POWER_EXPORT_W,
	MODBUS_FIELD_METER_ID             /* an integer register, as decimal text */
};

enum modbus_reg_type {
	MODBUS_REG_FLOAT32,
	MODBUS_REG_INT16,
	MODBUS_REG_UINT16,
	MODBUS_REG_INT32,
	MODBUS_REG_UINT32
};

struct modbus_entry {
	enum modbus_field field;
	int index;                  /* tariff or phase, 0-based */
	uint16_t reg;               /* 0-based PDU address of the first word */
	uint8_t function;           /* 3 (read holding registers) or 4 (read input registers) */
	enum modbus_reg_type type;
	int64_t scale_digits;       /* the scale is scale_digits × 10^scale_exp */
	int scale_exp;
	int unit_exp;               /* the manufacturer's unit to the reading's: kWh → Wh is 3 */
	int line;                   /* in the map file */
};

#define MODBUS_METER_TIMEOUT_MS 1000   /* 300 ms failed 707 of 1000 reads on a real meter; 600 ms none */
#define MODBUS_METER_RETRIES 3

struct modbus_map {
	struct modbus_entry *entry; /* sorted by function, then register */
	size_t nentries;
	int max_registers;          /* per request, 1..125 (default 125) */
	int timeout_ms;             /* response timeout of each attempt (default 1000) */
	int retries;                /* attempts after the first (default 3) */
};

/*
 * Parses a map file's text; name is used in messages. Returns 0, or -1 with
 * "NAME:LINE: reason" in err (errlen bytes) and map left empty. The caller
 * may change max_registers, timeout_ms and retries afterwards.
 */
int modbus_map_parse(struct modbus_map *map, const char *name, const char *text, size_t len,
                     char *err, size_t errlen);
/* modbus_map_parse() of a file. */
int modbus_map_load(struct modbus_map *map, const char *path, char *err, size_t errlen);
void modbus_map_free(struct modbus_map *map);
/* How many requests a read takes: contiguous registers of one function, at most max_registers each. */
size_t modbus_map_requests(const struct modbus_map *map);

/*
 * Sets ctx's response timeout to map->timeout_ms and flushes what it has
 * received, then reads every register of map in as few requests as possible
 * and decodes them into out (cleared first; protocol "modbus"; checked: RTU
 * frames carry a CRC that libmodbus verifies, TCP relies on TCP's). Each request
 * waits map->timeout_ms and is tried 1 + map->retries times; an exception
 * answer is final, except "busy", "acknowledge" and a gateway's "target
 * failed to respond", which are retried. A value that is not a finite number
 * or does not fit a struct decimal leaves its field unset. Returns 0, or -1
 * with errno set and *why pointing to a message (valid until the next call
 * in the same thread).
 */
int modbus_meter_read(modbus_t *ctx, const struct modbus_map *map, struct reading *out, const char **why);

/*
 * The shortest decimal that reads back as f (0.1f is 0.1, 1234.567f is
 * 1234.567), with exp ≤ 0. Returns 0, or -1 for NaN, infinity, or a value
 * struct decimal cannot hold.
 */
int modbus_float_to_decimal(struct decimal *d, float f);

#endif
