#include "modbus_meter.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "xio.h"

/* ---- the map file ---- */

enum dimension { DIM_ENERGY, DIM_POWER, DIM_VOLTAGE, DIM_CURRENT, DIM_ID };

/* A field name: prefix, then (when count > 0) a digit 1..count, then suffix. */
struct field_name {
	const char *prefix, *suffix;
	enum modbus_field field;
	int count;
	enum dimension dim;
};

static const struct field_name field_names[] = {
	{ "import_wh", "", MODBUS_FIELD_IMPORT_WH, 0, DIM_ENERGY },
	{ "export_wh", "", MODBUS_FIELD_EXPORT_WH, 0, DIM_ENERGY },
	{ "import_tariff", "_wh", MODBUS_FIELD_IMPORT_TARIFF_WH, READING_TARIFFS, DIM_ENERGY },
	{ "export_tariff", "_wh", MODBUS_FIELD_EXPORT_TARIFF_WH, READING_TARIFFS, DIM_ENERGY },
	{ "power_w", "", MODBUS_FIELD_POWER_W, 0, DIM_POWER },
	{ "power_import_w", "", MODBUS_FIELD_POWER_IMPORT_W, 0, DIM_POWER },
	{ "power_export_w", "", MODBUS_FIELD_POWER_EXPORT_W, 0, DIM_POWER },
	{ "l", "_voltage_v", MODBUS_FIELD_VOLTAGE_V, READING_PHASES, DIM_VOLTAGE },
	{ "l", "_current_a", MODBUS_FIELD_CURRENT_A, READING_PHASES, DIM_CURRENT },
	{ "l", "_power_w", MODBUS_FIELD_PHASE_POWER_W, READING_PHASES, DIM_POWER },
	{ "l", "_power_import_w", MODBUS_FIELD_PHASE_POWER_IMPORT_W, READING_PHASES, DIM_POWER },
	{ "l", "_power_export_w", MODBUS_FIELD_PHASE_POWER_EXPORT_W, READING_PHASES, DIM_POWER },
	{ "meter_id", "", MODBUS_FIELD_METER_ID, 0, DIM_ID },
};

struct unit_name {
	const char *name;
	enum dimension dim;
	int exp;
};

static const struct unit_name unit_names[] = {
	{ "Wh", DIM_ENERGY, 0 }, { "kWh", DIM_ENERGY, 3 }, { "MWh", DIM_ENERGY, 6 },
	{ "W", DIM_POWER, 0 }, { "kW", DIM_POWER, 3 }, { "MW", DIM_POWER, 6 },
	{ "V", DIM_VOLTAGE, 0 }, { "kV", DIM_VOLTAGE, 3 },
	{ "A", DIM_CURRENT, 0 }, { "mA", DIM_CURRENT, -3 },
	{ "", DIM_ID, 0 },
};

static const char *const dimension_units[] = {
	[DIM_ENERGY] = "Wh, kWh or MWh", [DIM_POWER] = "W, kW or MW",
	[DIM_VOLTAGE] = "V or kV", [DIM_CURRENT] = "A or mA", [DIM_ID] = "empty",
};

static const char *const type_names[] = {
	[MODBUS_REG_FLOAT32] = "float32", [MODBUS_REG_INT16] = "int16", [MODBUS_REG_UINT16] = "uint16",
	[MODBUS_REG_INT32] = "int32", [MODBUS_REG_UINT32] = "uint32",
};

#define HEADER "field,register,function,type,scale,unit"
#define COLUMNS 6

static int words(enum modbus_reg_type type)
{
	return type == MODBUS_REG_INT16 || type == MODBUS_REG_UINT16 ? 1 : 2;
}

/* Parsing state: the map being built, where we are, and the error text. */
struct parser {
	struct modbus_map *map;
	const char *name;
	int line;
	bool header_seen;
	char *err;
	size_t errlen;
};

static int fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(p->err, p->errlen, "%s:%d: ", p->name, p->line);

	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static char *trim(char *s)
{
	char *end = s + strlen(s);

	while (*s == ' ' || *s == '\t')
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	*end = '\0';
	return s;
}

/* Splits a line at commas into at most max columns; returns how many there were. */
static int split(char *line, char **col, int max)
{
	int n = 0;

	for (char *s = line;; s++) {
		char *comma = strchr(s, ',');
		if (comma != NULL)
			*comma = '\0';
		if (n < max)
			col[n] = trim(s);
		n++;
		if (comma == NULL)
			return n;
		s = comma;
	}
}

static const struct field_name *find_field(const char *name, int *index)
{
	for (size_t k = 0; k < sizeof field_names / sizeof field_names[0]; k++) {
		const struct field_name *f = &field_names[k];
		size_t plen = strlen(f->prefix);
		if (f->count == 0) {
			if (strcmp(name, f->prefix) == 0) {
				*index = 0;
				return f;
			}
			continue;
		}
		if (strncmp(name, f->prefix, plen) != 0 || name[plen] < '1' || name[plen] > '0' + f->count ||
		    strcmp(name + plen + 1, f->suffix) != 0)
			continue;
		*index = name[plen] - '1';
		return f;
	}
	return NULL;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	int base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!isxdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	*out = strtoul(s, &end, base);
	return errno == 0 && *end == '\0' && *out <= max ? 0 : -1;
}

/* A decimal factor with an optional exponent: 1, 0.01, 1e-3, -2.5E2. Empty is 1. */
static int parse_scale(const char *s, int64_t *digits, int *exp)
{
	struct decimal d;
	const char *e = strpbrk(s, "eE");
	long power = 0;

	if (*s == '\0') {
		*digits = 1;
		*exp = 0;
		return 0;
	}
	if (decimal_parse(&d, s, e ? (size_t)(e - s) : strlen(s)) < 0 || d.digits == 0)
		return -1;
	if (e != NULL) {
		char *end;
		errno = 0;
		power = strtol(e + 1, &end, 10);
		if (errno != 0 || *end != '\0' || end == e + 1 || power < -18 || power > 18)
			return -1;
	}
	*digits = d.digits;
	*exp = d.exp + (int)power;
	return 0;
}

static int parse_type(const char *s, enum modbus_reg_type *type)
{
	for (size_t k = 0; k < sizeof type_names / sizeof type_names[0]; k++) {
		if (strcmp(s, type_names[k]) == 0) {
			*type = (enum modbus_reg_type)k;
			return 0;
		}
	}
	return -1;
}

static int parse_unit(const char *s, enum dimension dim, int *exp)
{
	for (size_t k = 0; k < sizeof unit_names / sizeof unit_names[0]; k++) {
		if (unit_names[k].dim == dim && strcmp(s, unit_names[k].name) == 0) {
			*exp = unit_names[k].exp;
			return 0;
		}
	}
	return -1;
}

/* @max_registers,N  @timeout_ms,N  @retries,N */
static int parse_option(struct parser *p, char **col, int n)
{
	const struct { const char *name; unsigned long min, max; int *target; } options[] = {
		{ "@max_registers", 2, MODBUS_MAX_READ_REGISTERS, &p->map->max_registers },
		{ "@timeout_ms", 1, 60000, &p->map->timeout_ms },
		{ "@retries", 0, 10, &p->map->retries },
	};
	unsigned long v;

	for (size_t k = 0; k < sizeof options / sizeof options[0]; k++) {
		if (strcmp(col[0], options[k].name) != 0)
			continue;
		if (n != 2 || parse_uint(col[1], options[k].max, &v) < 0 || v < options[k].min)
			return fail(p, "%s takes one number from %lu to %lu", options[k].name, options[k].min, options[k].max);
		*options[k].target = (int)v;
		return 0;
	}
	return fail(p, "unknown option '%s' (@max_registers, @timeout_ms, @retries)", col[0]);
}

static int check_duplicate(struct parser *p, const struct modbus_entry *e, const char *name)
{
	for (size_t k = 0; k < p->map->nentries; k++) {
		const struct modbus_entry *o = &p->map->entry[k];
		if (o->field == e->field && o->index == e->index)
			return fail(p, "duplicate field '%s' (first on line %d)", name, o->line);
	}
	return 0;
}

static int parse_entry(struct parser *p, char **col, int n)
{
	struct modbus_entry e = { .line = p->line };
	const struct field_name *fname;
	enum dimension dim;
	unsigned long reg, function;

	if (n != COLUMNS)
		return fail(p, "expected %d columns (" HEADER "), found %d", COLUMNS, n);
	fname = find_field(col[0], &e.index);
	if (fname == NULL)
		return fail(p, "unknown field '%s'", col[0]);
	e.field = fname->field;
	dim = fname->dim;
	if (parse_uint(col[1], 65535, &reg) < 0)
		return fail(p, "bad register '%s' (0 to 65535, decimal or 0x hex)", col[1]);
	if (parse_uint(col[2], 255, &function) < 0 || (function != 3 && function != 4))
		return fail(p, "bad function '%s' (3 for holding registers, 4 for input registers)", col[2]);
	if (parse_type(col[3], &e.type) < 0)
		return fail(p, "unknown type '%s' (float32, int16, uint16, int32, uint32)", col[3]);
	if (reg + (unsigned long)words(e.type) - 1 > 65535)
		return fail(p, "register '%s' runs past 65535 for %s", col[1], col[3]);
	if (parse_scale(col[4], &e.scale_digits, &e.scale_exp) < 0)
		return fail(p, "bad scale '%s' (a non-zero decimal, e.g. 1, 0.01, 1e-3)", col[4]);
	if (parse_unit(col[5], dim, &e.unit_exp) < 0)
		return fail(p, "unit '%s' does not fit field '%s' (%s)", col[5], col[0], dimension_units[dim]);
	if (dim == DIM_ID && (e.type == MODBUS_REG_FLOAT32 || e.scale_digits != 1 || e.scale_exp != 0))
		return fail(p, "meter_id takes an integer type and no scale");
	if (check_duplicate(p, &e, col[0]) < 0)
		return -1;
	e.reg = (uint16_t)reg;
	e.function = (uint8_t)function;
	p->map->entry = xrealloc(p->map->entry, (p->map->nentries + 1) * sizeof e);
	p->map->entry[p->map->nentries++] = e;
	return 0;
}

static int parse_line(struct parser *p, char *line)
{
	char *col[COLUMNS + 1];
	char *hash = strchr(line, '#');
	int n;

	if (hash != NULL)
		*hash = '\0';
	line = trim(line);
	if (*line == '\0')
		return 0;
	n = split(line, col, COLUMNS + 1);
	if (!p->header_seen) {
		static const char *const header[COLUMNS] = { "field", "register", "function", "type", "scale", "unit" };
		for (int k = 0; k < COLUMNS; k++)
			if (n != COLUMNS || strcmp(col[k], header[k]) != 0)
				return fail(p, "expected the header '" HEADER "'");
		p->header_seen = true;
		return 0;
	}
	if (col[0][0] == '@')
		return parse_option(p, col, n);
	return parse_entry(p, col, n);
}

static int by_request_order(const void *a, const void *b)
{
	const struct modbus_entry *x = a, *y = b;

	if (x->function != y->function)
		return x->function - y->function;
	if (x->reg != y->reg)
		return x->reg < y->reg ? -1 : 1;
	return x->line - y->line;
}

int modbus_map_parse(struct modbus_map *map, const char *name, const char *text, size_t len,
                     char *err, size_t errlen)
{
	struct parser p = { .map = map, .name = name, .err = err, .errlen = errlen };
	struct buf line = BUF_INIT;
	size_t start = 0;
	int rc = 0;

	memset(map, 0, sizeof *map);
	map->max_registers = MODBUS_MAX_READ_REGISTERS;
	map->timeout_ms = MODBUS_METER_TIMEOUT_MS;
	map->retries = MODBUS_METER_RETRIES;
	while (rc == 0 && start < len) {
		const char *nl = memchr(text + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - text) : len;
		p.line++;
		buf_reset(&line);
		buf_append(&line, text + start, end - start);
		if (memchr(text + start, '\0', end - start) != NULL)
			rc = fail(&p, "NUL byte in the line");
		else
			rc = parse_line(&p, line.data ? line.data : (char[]){ "" });
		start = end + 1;
	}
	buf_free(&line);
	if (rc == 0 && !p.header_seen) {
		p.line = p.line ? p.line : 1;
		rc = fail(&p, "expected the header '" HEADER "'");
	} else if (rc == 0 && map->nentries == 0) {
		rc = fail(&p, "no register in the map");
	}
	if (rc < 0) {
		modbus_map_free(map);
		return -1;
	}
	qsort(map->entry, map->nentries, sizeof map->entry[0], by_request_order);
	return 0;
}

int modbus_map_load(struct modbus_map *map, const char *path, char *err, size_t errlen)
{
	struct buf text = BUF_INIT;
	int rc;

	memset(map, 0, sizeof *map);
	if (read_file(path, &text, 1 << 20) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		buf_free(&text);
		return -1;
	}
	rc = modbus_map_parse(map, path, buf_str(&text), text.len, err, errlen);
	buf_free(&text);
	return rc;
}

void modbus_map_free(struct modbus_map *map)
{
	free(map->entry);
	map->entry = NULL;
	map->nentries = 0;
}

/* ---- requests ---- */

/* Entries [i, return) form one request: same function, contiguous registers, at most max_registers. */
static size_t request_span(const struct modbus_map *map, size_t i, int *start, int *count)
{
	const struct modbus_entry *first = &map->entry[i];
	int end = first->reg + words(first->type);
	int limit = map->max_registers < 2 ? 2 : map->max_registers > MODBUS_MAX_READ_REGISTERS ?
		MODBUS_MAX_READ_REGISTERS : map->max_registers;
	size_t j = i + 1;

	for (; j < map->nentries; j++) {
		const struct modbus_entry *e = &map->entry[j];
		int e_end = e->reg + words(e->type);
		int new_end = e_end > end ? e_end : end;
		if (e->function != first->function || e->reg > end || new_end - first->reg > limit)
			break;
		end = new_end;
	}
	*start = first->reg;
	*count = end - first->reg;
	return j;
}

size_t modbus_map_requests(const struct modbus_map *map)
{
	size_t n = 0;
	int start, count;

	for (size_t i = 0; i < map->nentries; n++)
		i = request_span(map, i, &start, &count);
	return n;
}

static _Thread_local char message[200];

/* Exceptions that another attempt cannot change. */
static bool worth_retrying(int err)
{
	switch (err) {
	case EMBXILFUN: case EMBXILADD: case EMBXILVAL: case EMBXSFAIL:
	case EMBXNACK: case EMBXMEMPAR: case EMBXGPATH: case EBADF: case EINVAL:
		return false;
	default:
		return true;   /* timeouts, CRC errors, busy, a gateway's silent target, a reset link */
	}
}

static int read_block(modbus_t *ctx, const struct modbus_map *map, int function, int start, int count,
                      uint16_t *regs, const char **why)
{
	int err = 0, attempts = 0;

	while (attempts <= map->retries) {
		int n = function == 4 ? modbus_read_input_registers(ctx, start, count, regs)
		                      : modbus_read_registers(ctx, start, count, regs);
		attempts++;
		if (n == count)
			return 0;
		err = n < 0 ? errno : EMBBADDATA;
		if (!worth_retrying(err))
			break;
		/* A late answer to this attempt must not be taken for the answer to the next. */
		modbus_flush(ctx);
	}
	if (err == ETIMEDOUT)
		snprintf(message, sizeof message, "no answer from the meter within %d ms, %d attempt%s "
		         "(function %d, registers %d to %d)", map->timeout_ms, attempts, attempts > 1 ? "s" : "",
		         function, start, start + count - 1);
	else
		snprintf(message, sizeof message, "%s%s after %d attempt%s (function %d, registers %d to %d)",
		         err >= EMBXILFUN && err <= EMBXGTAR ? "the meter answered with an exception: " : "",
		         modbus_strerror(err), attempts, attempts > 1 ? "s" : "", function, start, start + count - 1);
	*why = message;
	errno = err;
	return -1;
}

/* ---- values ---- */

/* f as digits × 10^exp with the fewest digits that read back as f. */
static int float_parts(float f, int64_t *digits, int *exp)
{
	char text[32];
	int precision = 1;
	bool negative = false;
	int64_t v = 0;
	const char *s;

	if (!isfinite(f))
		return -1;
	for (; precision <= 9; precision++) {
		snprintf(text, sizeof text, "%.*e", precision - 1, (double)f);
		if (strtof(text, NULL) == f)
			break;
	}
	/* text is [-]d[.ddd]e±xx; any non-digit before the 'e' is the decimal point of the locale. */
	s = text;
	if (*s == '-') {
		negative = true;
		s++;
	}
	for (; *s != 'e' && *s != '\0'; s++)
		if (isdigit((unsigned char)*s))
			v = v * 10 + (*s - '0');
	if (*s != 'e')
		return -1;
	*digits = negative ? -v : v;
	*exp = atoi(s + 1) - (precision - 1);
	return 0;
}

int modbus_float_to_decimal(struct decimal *d, float f)
{
	int64_t digits;
	int exp;

	if (float_parts(f, &digits, &exp) < 0)
		return -1;
	decimal_set(d, digits, 0);
	return decimal_scale(d, exp);
}

/* The register's value, scaled and in the reading's unit; -1 when it cannot be held exactly. */
static int entry_value(const struct modbus_entry *e, const uint16_t *w, struct decimal *d)
{
	uint32_t both = (uint32_t)w[0] << 16 | (e->type == MODBUS_REG_INT16 || e->type == MODBUS_REG_UINT16 ? 0 : w[1]);
	int64_t digits = 0, scaled;
	int exp = 0;

	switch (e->type) {
	case MODBUS_REG_FLOAT32: {
		float f;
		memcpy(&f, &both, sizeof f);
		if (float_parts(f, &digits, &exp) < 0)
			return -1;
		break;
	}
	case MODBUS_REG_INT16: digits = (int16_t)w[0]; break;
	case MODBUS_REG_UINT16: digits = w[0]; break;
	case MODBUS_REG_INT32: digits = (int32_t)both; break;
	case MODBUS_REG_UINT32: digits = both; break;
	}
	if (__builtin_mul_overflow(digits, e->scale_digits, &scaled))
		return -1;
	decimal_set(d, scaled, 0);
	return decimal_scale(d, exp + e->scale_exp + e->unit_exp);
}

/* A signed power: positive is import, negative export; the other side is 0. */
static void apply(struct reading *r, const struct modbus_entry *e, const uint16_t *w)
{
	/* index is a phase only for phase fields (a tariff can be 7): point there only then. */
	bool phase_field = e->field >= MODBUS_FIELD_VOLTAGE_V && e->field <= MODBUS_FIELD_PHASE_POWER_EXPORT_W;
	struct reading_phase *ph = phase_field ? &r->phase[e->index] : NULL;
	struct decimal v;

	if (e->field == MODBUS_FIELD_METER_ID) {
		int64_t id = e->type == MODBUS_REG_INT16 ? (int16_t)w[0] : e->type == MODBUS_REG_UINT16 ? w[0] :
			e->type == MODBUS_REG_INT32 ? (int32_t)((uint32_t)w[0] << 16 | w[1]) : (int64_t)((uint32_t)w[0] << 16 | w[1]);
		snprintf(r->meter_id, sizeof r->meter_id, "%lld", (long long)id);
		return;
	}
	if (entry_value(e, w, &v) < 0)
		return;
	switch (e->field) {
	case MODBUS_FIELD_IMPORT_WH: r->import_wh = v; break;
	case MODBUS_FIELD_EXPORT_WH: r->export_wh = v; break;
	case MODBUS_FIELD_IMPORT_TARIFF_WH: r->import_tariff_wh[e->index] = v; break;
	case MODBUS_FIELD_EXPORT_TARIFF_WH: r->export_tariff_wh[e->index] = v; break;
	case MODBUS_FIELD_POWER_W: decimal_split_signed(&r->power_import_w, &r->power_export_w, v); break;
	case MODBUS_FIELD_POWER_IMPORT_W: r->power_import_w = v; break;
	case MODBUS_FIELD_POWER_EXPORT_W: r->power_export_w = v; break;
	case MODBUS_FIELD_VOLTAGE_V: ph->voltage_v = v; break;
	case MODBUS_FIELD_CURRENT_A: ph->current_a = v; break;
	case MODBUS_FIELD_PHASE_POWER_W: decimal_split_signed(&ph->power_import_w, &ph->power_export_w, v); break;
	case MODBUS_FIELD_PHASE_POWER_IMPORT_W: ph->power_import_w = v; break;
	case MODBUS_FIELD_PHASE_POWER_EXPORT_W: ph->power_export_w = v; break;
	case MODBUS_FIELD_METER_ID: break;
	}
	if (e->field == MODBUS_FIELD_IMPORT_TARIFF_WH || e->field == MODBUS_FIELD_EXPORT_TARIFF_WH)
		r->tariffs = r->tariffs > e->index + 1 ? r->tariffs : e->index + 1;
	if (phase_field)
		r->phases = r->phases > e->index + 1 ? r->phases : e->index + 1;
}

int modbus_meter_read(modbus_t *ctx, const struct modbus_map *map, struct reading *out, const char **why)
{
	uint16_t regs[MODBUS_MAX_READ_REGISTERS + 1];
	int start, count;

	reading_clear(out);
	out->protocol = "modbus";
	if (map->timeout_ms < 1 ||
	    modbus_set_response_timeout(ctx, (uint32_t)(map->timeout_ms / 1000), (uint32_t)(map->timeout_ms % 1000) * 1000) < 0) {
		*why = "bad response timeout";
		return -1;
	}
	/* An answer that arrived after an earlier read gave up would be taken for this one's. */
	modbus_flush(ctx);
	for (size_t i = 0; i < map->nentries;) {
		size_t next = request_span(map, i, &start, &count);
		if (read_block(ctx, map, map->entry[i].function, start, count, regs, why) < 0) {
			reading_clear(out);
			out->protocol = "modbus";
			return -1;
		}
		for (; i < next; i++)
			apply(out, &map->entry[i], regs + (map->entry[i].reg - start));
	}
	out->checked = true;
	return 0;
}
