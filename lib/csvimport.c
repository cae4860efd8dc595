#include "csvimport.h"

#include <csv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diag.h"
#include "timeutil.h"

__extension__ typedef unsigned __int128 u128;

#define MS_PER_HOUR 3600000LL
#define DAY_MS 86400000LL
/* The integrator counts 1/(3600 × 10^9) Wh: W × ms and 9 decimals of Wh are exact in it. */
#define FRACTION_DIGITS 9
#define UNITS_PER_WH (MS_PER_HOUR * 1000000000LL)
/* One slot's energy stays below this, so import − export never overflows. */
#define SLOT_WH_LIMIT (INT64_C(1) << 62)

static const char *const role_names[CSVIMPORT_ROLES] = { "time", "import", "export", "net" };
static const unsigned char utf8_bom[3] = { 0xEF, 0xBB, 0xBF };

/* Option names. */

static int name_index(const char *const *names, size_t n, const char *text)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(names[i], text) == 0)
			return (int)i;
	return -1;
}

int csvimport_kind_parse(enum csvimport_kind *kind, const char *text)
{
	static const char *const names[] = { "register", "energy", "power" };
	int i = name_index(names, 3, text);

	if (i < 0)
		return -1;
	*kind = (enum csvimport_kind)i;
	return 0;
}

int csvimport_unit_parse(enum csvimport_unit *unit, const char *text)
{
	static const char *const names[] = { "Wh", "kWh", "W", "kW" };
	static const enum csvimport_unit units[] = { CSVIMPORT_WH, CSVIMPORT_KWH, CSVIMPORT_W, CSVIMPORT_KW };
	int i = name_index(names, 4, text);

	if (i < 0)
		return -1;
	*unit = units[i];
	return 0;
}

int csvimport_time_format_parse(enum csvimport_time_format *f, const char *text)
{
	static const char *const names[] = { "rfc3339", "local", "unix", "unix-ms" };
	int i = name_index(names, 4, text);

	if (i < 0)
		return -1;
	*f = (enum csvimport_time_format)i;
	return 0;
}

int csvimport_column_parse(struct csvimport_column *col, const char *text)
{
	unsigned long n = 0;
	size_t i;

	col->name = NULL;
	col->number = 0;
	for (i = 0; text[i] >= '0' && text[i] <= '9'; i++) {
		n = n * 10 + (unsigned long)(text[i] - '0');
		if (n > 1000000)
			return -1;      /* no export is that wide */
	}
	if (text[0] == '\0' || (text[i] == '\0' && n == 0))
		return -1;
	if (text[i] != '\0')
		col->name = text;
	else
		col->number = (unsigned)n;
	return 0;
}

/* Config checks. */

void csvimport_config_default(struct csvimport_config *c)
{
	memset(c, 0, sizeof *c);
	c->delimiter = ',';
	c->header = true;
	c->kind = CSVIMPORT_REGISTER;
	c->unit = CSVIMPORT_UNIT_DEFAULT;
	c->time_format = CSVIMPORT_TIME_RFC3339;
}

static void columns_of(const struct csvimport_config *c, const struct csvimport_column *col[CSVIMPORT_ROLES])
{
	col[CSVIMPORT_ROLE_TIME] = &c->time;
	col[CSVIMPORT_ROLE_IMPORT] = &c->import;
	col[CSVIMPORT_ROLE_EXPORT] = &c->export;
	col[CSVIMPORT_ROLE_NET] = &c->net;
}

static bool column_used(const struct csvimport_column *col)
{
	return col->name != NULL || col->number != 0;
}

static bool same_column(const struct csvimport_column *a, const struct csvimport_column *b)
{
	if (a->name != NULL && b->name != NULL)
		return strcasecmp(a->name, b->name) == 0;
	return a->number != 0 && a->number == b->number;
}

static const char *check_column(const struct csvimport_config *c, const struct csvimport_column *col)
{
	if (col->name != NULL && col->number != 0)
		return "a column is named or numbered, not both";
	if (col->name != NULL && col->name[0] == '\0')
		return "a column name is empty";
	if (col->name != NULL && !c->header)
		return "a column named by header text needs a header row";
	return NULL;
}

static const char *check_columns(const struct csvimport_config *c)
{
	const struct csvimport_column *col[CSVIMPORT_ROLES];
	const char *why;

	columns_of(c, col);
	for (int r = 0; r < CSVIMPORT_ROLES; r++) {
		if ((why = check_column(c, col[r])) != NULL)
			return why;
		for (int s = 0; s < r; s++)
			if (same_column(col[r], col[s]))
				return "the same column is given for two roles";
	}
	bool separate = column_used(&c->import) || column_used(&c->export);
	if (!column_used(&c->time))
		return "no time column";
	if (column_used(&c->net) && separate)
		return "a net column excludes import and export columns";
	if (!column_used(&c->net) && !separate)
		return "no value column (give import, export or net)";
	if (column_used(&c->net) && c->kind == CSVIMPORT_REGISTER)
		return "a net column needs kind energy or power (registers are import and export)";
	return NULL;
}

static const char *check_kind(const struct csvimport_config *c)
{
	bool power = c->kind == CSVIMPORT_POWER;

	if ((unsigned)c->kind > CSVIMPORT_POWER)
		return "unknown kind";
	if ((unsigned)c->unit > CSVIMPORT_KW)
		return "unknown unit";
	if ((c->unit == CSVIMPORT_W || c->unit == CSVIMPORT_KW) && !power)
		return "W and kW are units of power (kind power)";
	if ((c->unit == CSVIMPORT_WH || c->unit == CSVIMPORT_KWH) && power)
		return "Wh and kWh are units of energy (kind register or energy)";
	if (c->kind == CSVIMPORT_REGISTER)
		return c->step_ms != 0 ? "a step applies to kinds energy and power only" : NULL;
	if (c->step_ms <= 0)
		return "kinds energy and power need a step";
	if (c->step_ms % 1000 != 0 || DAY_MS % c->step_ms != 0)
		return "the step must be whole seconds dividing a day";
	return NULL;
}

static const char *check_format(const struct csvimport_config *c)
{
	if (c->delimiter == '\0' || strchr(",;\t|", c->delimiter) == NULL)
		return "the delimiter must be ',', ';', tab or '|'";
	if (c->decimal_comma && c->delimiter == ',')
		return "a decimal comma needs another delimiter than ','";
	if ((unsigned)c->time_format > CSVIMPORT_TIME_UNIX_MS)
		return "unknown time format";
	if (c->tz_offset_min != 0 && c->time_format != CSVIMPORT_TIME_LOCAL)
		return "a time-zone offset applies to local times only";
	if (c->tz_offset_min < -CSVIMPORT_TZ_OFFSET_LIMIT || c->tz_offset_min > CSVIMPORT_TZ_OFFSET_LIMIT)
		return "the time-zone offset is out of range";
	return NULL;
}

/* Life cycle. */

static bool kilo(const struct csvimport *st)
{
	return st->config.unit == CSVIMPORT_KWH || st->config.unit == CSVIMPORT_KW;
}

/* libcsv drops these around unquoted fields; a tab is data when it delimits. */
static int is_space_or_tab(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static int is_space(unsigned char c)
{
	return c == ' ';
}

static void copy_columns(struct csvimport *st)
{
	struct csvimport_column *col[CSVIMPORT_ROLES] = {
		&st->config.time, &st->config.import, &st->config.export, &st->config.net
	};

	for (int r = 0; r < CSVIMPORT_ROLES; r++) {
		st->index[r] = col[r]->number != 0 ? (long)col[r]->number - 1 : -1;
		if (col[r]->name != NULL)
			col[r]->name = st->names[r] = xstrdup(col[r]->name);
	}
}

static void start_parser(struct csvimport *st)
{
	st->parser = xmalloc(sizeof *st->parser);
	HIVE_ASSERT(csv_init(st->parser, 0) == 0);
	csv_set_delim(st->parser, (unsigned char)st->config.delimiter);
	csv_set_space_func(st->parser, st->config.delimiter == '\t' ? is_space : is_space_or_tab);
	/* Out of memory exits like everywhere in hive, so the parser never fails half-way. */
	csv_set_realloc_func(st->parser, xrealloc);
	csv_set_free_func(st->parser, free);
}

int csvimport_init(struct csvimport *st, const struct csvimport_config *c, const struct csvimport_sink *sink,
                   const char **why)
{
	memset(st, 0, sizeof *st);
	if ((*why = check_format(c)) != NULL || (*why = check_kind(c)) != NULL || (*why = check_columns(c)) != NULL)
		return -1;
	st->config = *c;
	if (st->config.unit == CSVIMPORT_UNIT_DEFAULT)
		st->config.unit = c->kind == CSVIMPORT_POWER ? CSVIMPORT_W : CSVIMPORT_WH;
	if (sink != NULL)
		st->sink = *sink;
	copy_columns(st);
	start_parser(st);
	st->line = 1;
	st->header_pending = c->header;
	return 0;
}

void csvimport_free(struct csvimport *st)
{
	if (st->parser != NULL) {
		csv_free(st->parser);
		free(st->parser);
	}
	for (int r = 0; r < CSVIMPORT_ROLES; r++)
		free(st->names[r]);
	memset(st, 0, sizeof *st);
}

const char *csvimport_error(const struct csvimport *st)
{
	return st->stopped ? st->error : NULL;
}

__attribute__((format(printf, 2, 3)))
static void stop(struct csvimport *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->error, sizeof st->error, fmt, ap);
	va_end(ap);
	st->stopped = true;
}

static void report_bad_row(struct csvimport *st, unsigned long line, const char *why)
{
	if (st->sink.bad_row != NULL)
		st->sink.bad_row(st->sink.arg, line, why);
}

/* Field text. */

static void keep_field(struct csvimport_field *f, const void *text, size_t len)
{
	f->too_long = len > CSVIMPORT_FIELD_MAX;
	f->len = f->too_long ? 0 : len;
	if (f->len > 0)
		memcpy(f->text, text, f->len);
	f->text[f->len] = '\0';
}

/* The field without spaces around it: libcsv keeps those of a quoted field. */
static void trimmed(const struct csvimport_field *f, const char **s, size_t *n)
{
	const char *p = f->text, *end = f->text + f->len;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*s = p;
	*n = (size_t)(end - p);
}

/* A copy fit for a diagnostic: control and non-ASCII bytes become '?'. */
static const char *printable(char out[CSVIMPORT_FIELD_MAX + 1], const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	out[n] = '\0';
	return out;
}

/* Times. */

/* A zone after the date's own hyphens: "Z", "+hh:mm" or "-hh:mm". */
static bool has_zone(const char *s, size_t n)
{
	if (n > 0 && (s[n - 1] == 'Z' || s[n - 1] == 'z'))
		return true;
	return memchr(s, '+', n) != NULL || (n > 10 && memchr(s + 10, '-', n - 10) != NULL);
}

static int parse_local(int64_t *t_ms, const char *s, size_t n, int offset_min, const char **why)
{
	char text[40];
	size_t m = n;

	*why = "not a local time (want 2024-10-01 02:00:00)";
	if (n > 29)
		return -1;
	if (has_zone(s, n)) {
		*why = "a local time has no zone (use the rfc3339 time format)";
		return -1;
	}
	memcpy(text, s, n);
	if (n == 16) {          /* "2024-10-01 02:00": seconds left out */
		memcpy(text + m, ":00", 3);
		m += 3;
	}
	text[m++] = 'Z';
	if (rfc3339_parse(t_ms, text, m, why) < 0)
		return -1;
	*t_ms -= (int64_t)offset_min * 60000;
	return 0;
}

/* Unix time with 10^-ms_digits s resolution: exact, or refused. */
static int parse_unix(int64_t *t_ms, const char *s, size_t n, int ms_digits, const char **why)
{
	struct decimal d;

	if (decimal_parse(&d, s, n) < 0) {
		*why = ms_digits == 3 ? "not Unix seconds" : "not Unix milliseconds";
		return -1;
	}
	if (decimal_scale(&d, ms_digits) < 0 || decimal_to_int(t_ms, &d) < 0) {
		*why = "time is finer than a millisecond or out of range";
		return -1;
	}
	return 0;
}

static int parse_time(const struct csvimport *st, int64_t *t_ms, const char *s, size_t n, const char **why)
{
	switch (st->config.time_format) {
	case CSVIMPORT_TIME_RFC3339:
		return rfc3339_parse(t_ms, s, n, why);
	case CSVIMPORT_TIME_LOCAL:
		return parse_local(t_ms, s, n, st->config.tz_offset_min, why);
	case CSVIMPORT_TIME_UNIX:
		return parse_unix(t_ms, s, n, 3, why);
	case CSVIMPORT_TIME_UNIX_MS:
		return parse_unix(t_ms, s, n, 0, why);
	}
	*why = "unknown time format";
	return -1;
}

static const char *row_time(struct csvimport *st, int64_t *t_ms)
{
	char shown[CSVIMPORT_FIELD_MAX + 1];
	const char *s, *why;
	size_t n;

	trimmed(&st->field[CSVIMPORT_ROLE_TIME], &s, &n);
	if (n == 0)
		return "time: empty";
	if (parse_time(st, t_ms, s, n, &why) < 0) {
		snprintf(st->why, sizeof st->why, "time: %s: '%s'", why, printable(shown, s, n));
		return st->why;
	}
	if (*t_ms < -INTERVAL_TIME_LIMIT_MS || *t_ms > INTERVAL_TIME_LIMIT_MS)
		return "time: out of range";
	return NULL;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
	int64_t r = a % b;

	return r < 0 ? r + b : r;
}

/* Duplicates, rows out of order and, for slots, times off the step's grid. */
static const char *row_order(struct csvimport *st, int64_t t_ms)
{
	char when[RFC3339_SIZE];

	if (st->started && t_ms <= st->last_ms) {
		rfc3339_format(when, t_ms);
		snprintf(st->why, sizeof st->why, "time %s %s", when,
		         t_ms == st->last_ms ? "duplicates the previous row's" : "is before the previous row's (out of order)");
		return st->why;
	}
	if (st->config.kind != CSVIMPORT_REGISTER && floor_mod(t_ms, st->config.step_ms) != 0) {
		rfc3339_format(when, t_ms);
		snprintf(st->why, sizeof st->why, "time %s is not aligned to the %lld s step", when,
		         (long long)(st->config.step_ms / 1000));
		return st->why;
	}
	return NULL;
}

/* Values. */

/* The role's value as an exact decimal in the file's unit, or why not. */
static const char *parse_value(struct csvimport *st, int role, struct decimal *d)
{
	char text[CSVIMPORT_FIELD_MAX + 1], shown[CSVIMPORT_FIELD_MAX + 1];
	const char *s;
	size_t n;

	trimmed(&st->field[role], &s, &n);
	memcpy(text, s, n);
	text[n] = '\0';
	if (n == 0) {
		snprintf(st->why, sizeof st->why, "%s: empty", role_names[role]);
		return st->why;
	}
	if (st->config.decimal_comma && memchr(text, '.', n) != NULL) {
		snprintf(st->why, sizeof st->why, "%s: '.' in a number with decimal comma: '%s'", role_names[role],
		         printable(shown, s, n));
		return st->why;
	}
	for (size_t i = 0; st->config.decimal_comma && i < n; i++)
		if (text[i] == ',')
			text[i] = '.';
	const char *what = NULL;
	if (decimal_parse(d, text, n) < 0)
		what = "not a decimal number";
	else if (role != CSVIMPORT_ROLE_NET && d->digits < 0)
		what = "negative";
	if (what == NULL)
		return NULL;
	snprintf(st->why, sizeof st->why, "%s: %s: '%s'", role_names[role], what, printable(shown, s, n));
	return st->why;
}

/* |d| in the file's unit as integrator units (1/UNITS_PER_WH Wh), or why not. */
static const char *to_units(const struct csvimport *st, const struct decimal *d, u128 *units)
{
	uint64_t mag = d->digits < 0 ? (uint64_t)0 - (uint64_t)d->digits : (uint64_t)d->digits;
	int exp = d->exp;
	u128 v;

	*units = 0;
	if (mag == 0)
		return NULL;
	while (exp < 0 && mag % 10 == 0) {     /* "1.50" has no more precision than "1.5" */
		mag /= 10;
		exp++;
	}
	int shift = exp + FRACTION_DIGITS + (kilo(st) ? 3 : 0);
	if (shift < 0)
		return kilo(st) ? "more than 12 decimals" : "more than 9 decimals";
	v = mag;
	for (; shift > 0; shift--)
		if (__builtin_mul_overflow(v, (u128)10, &v))
			return "too large";
	/* Power: W × ms / 3600000 = Wh; energy: Wh × 3600000 / 3600000. */
	int64_t per = st->config.kind == CSVIMPORT_POWER ? st->config.step_ms : MS_PER_HOUR;
	if (__builtin_mul_overflow(v, (u128)per, units))
		return "too large";
	return NULL;
}

/* Adds units to a register's carry: ⌊carry + units⌋ Wh for the slot, the fraction carried on. */
static int integrate(int64_t carry, u128 units, int64_t *wh, int64_t *carry_after)
{
	u128 total;

	if (__builtin_add_overflow(units, (u128)carry, &total) || total / UNITS_PER_WH > SLOT_WH_LIMIT)
		return -1;
	*wh = (int64_t)(total / UNITS_PER_WH);
	*carry_after = (int64_t)(total % UNITS_PER_WH);
	return 0;
}

static const char *register_row(struct csvimport *st, int64_t t_ms)
{
	static const int roles[2] = { CSVIMPORT_ROLE_IMPORT, CSVIMPORT_ROLE_EXPORT };
	struct decimal d[2] = { { 0 } };
	struct reading r;
	const char *why;

	if (t_ms % 1000 != 0)
		return "time has a fraction of a second (a reading's time is whole seconds)";
	for (int i = 0; i < 2; i++) {
		if (st->index[roles[i]] < 0)
			continue;
		if ((why = parse_value(st, roles[i], &d[i])) != NULL)
			return why;
		if (kilo(st) && decimal_scale(&d[i], 3) < 0)
			return roles[i] == CSVIMPORT_ROLE_IMPORT ? "import: too large" : "export: too large";
	}
	reading_clear(&r);
	r.protocol = "csv";
	r.meter_time = t_ms / 1000;
	r.has_meter_time = true;
	r.import_wh = d[0];
	r.export_wh = d[1];
	st->started = true;
	st->last_ms = t_ms;
	if (st->sink.reading != NULL)
		st->sink.reading(st->sink.arg, &r);
	return NULL;
}

/* The row's energy per register in integrator units, and which registers the file gives. */
static const char *slot_units(struct csvimport *st, u128 units[2], unsigned *registers)
{
	struct decimal d;
	const char *why;

	units[0] = units[1] = 0;
	*registers = 0;
	for (int role = CSVIMPORT_ROLE_IMPORT; role <= CSVIMPORT_ROLE_NET; role++) {
		if (st->index[role] < 0)
			continue;
		if ((why = parse_value(st, role, &d)) != NULL)
			return why;
		/* A net value goes to import when positive, to export when negative. */
		int reg = role == CSVIMPORT_ROLE_EXPORT || (role == CSVIMPORT_ROLE_NET && d.digits < 0);
		*registers |= role == CSVIMPORT_ROLE_NET ? INTERVAL_IMPORT | INTERVAL_EXPORT
		                                         : (reg ? INTERVAL_EXPORT : INTERVAL_IMPORT);
		if ((why = to_units(st, &d, &units[reg])) != NULL) {
			snprintf(st->why, sizeof st->why, "%s: %s", role_names[role], why);
			return st->why;
		}
	}
	return NULL;
}

static const char *slot_row(struct csvimport *st, int64_t t_ms)
{
	int64_t step = st->config.step_ms, wh[2], carry[2];
	unsigned registers;
	u128 units[2];
	const char *why;

	if ((why = slot_units(st, units, &registers)) != NULL)
		return why;
	for (int i = 0; i < 2; i++)
		if (integrate(st->carry[i], units[i], &wh[i], &carry[i]) < 0)
			return i == 0 ? "import: too large" : "export: too large";
	if (st->started && t_ms > st->last_ms + step && st->sink.gap != NULL)
		st->sink.gap(st->sink.arg, st->last_ms + step, t_ms);
	st->carry[0] = carry[0];
	st->carry[1] = carry[1];
	st->started = true;
	st->last_ms = t_ms;
	struct interval_slot slot = {
		.start_ms = t_ms, .length_ms = step, .import_wh = wh[0], .export_wh = wh[1],
		.net_wh = wh[0] - wh[1], .covered_ms = step, .flags = INTERVAL_FLAG_COMPLETE, .registers = registers,
	};
	if (st->sink.slot != NULL)
		st->sink.slot(st->sink.arg, &slot);
	return NULL;
}

/* Rows. */

static const char *row_shape(struct csvimport *st)
{
	if (st->nfields != st->expected_fields) {
		snprintf(st->why, sizeof st->why, "%zu columns, want %zu as in the %s", st->nfields,
		         st->expected_fields, st->config.header ? "header" : "first row");
		return st->why;
	}
	for (int r = 0; r < CSVIMPORT_ROLES; r++) {
		if (st->index[r] >= 0 && st->field[r].too_long) {
			snprintf(st->why, sizeof st->why, "%s: longer than %d bytes", role_names[r], CSVIMPORT_FIELD_MAX);
			return st->why;
		}
	}
	return NULL;
}

static void data_row(struct csvimport *st, unsigned long line)
{
	int64_t t_ms = 0;
	const char *why = row_shape(st);

	if (why == NULL)
		why = row_time(st, &t_ms);
	if (why == NULL)
		why = row_order(st, t_ms);
	if (why == NULL)
		why = st->config.kind == CSVIMPORT_REGISTER ? register_row(st, t_ms) : slot_row(st, t_ms);
	if (why != NULL)
		report_bad_row(st, line, why);
}

static void header_field(struct csvimport *st, const void *text, size_t len, size_t index)
{
	for (int r = 0; r < CSVIMPORT_ROLES; r++) {
		const char *name = st->names[r];
		if (name == NULL || strlen(name) != len || strncasecmp(name, text, len) != 0)
			continue;
		if (st->index[r] >= 0) {
			stop(st, "the header names column '%.60s' twice", name);
			return;
		}
		st->index[r] = (long)index;
	}
}

/* The header, or without one the first data row, fixes the width and resolves the columns. */
static void set_width(struct csvimport *st)
{
	const char *what = st->config.header ? "header" : "first row";

	st->expected_fields = st->nfields;
	st->header_pending = false;
	for (int r = 0; r < CSVIMPORT_ROLES && !st->stopped; r++) {
		if (st->names[r] != NULL && st->index[r] < 0)
			stop(st, "the header has no column '%.60s'", st->names[r]);
		else if (st->index[r] >= 0 && (size_t)st->index[r] >= st->nfields)
			stop(st, "column %ld of %s is asked for, but the %s has %zu columns", st->index[r] + 1,
			     role_names[r], what, st->nfields);
		for (int s = 0; s < r && !st->stopped; s++)
			if (st->index[r] >= 0 && st->index[r] == st->index[s])
				stop(st, "column %ld is given for both %s and %s", st->index[r] + 1, role_names[s],
				     role_names[r]);
	}
}

static void on_field(void *text, size_t len, void *arg)
{
	struct csvimport *st = arg;
	size_t index = st->nfields++;

	if (st->stopped || st->rows_skipped < st->config.skip_rows)
		return;
	if (st->header_pending) {
		header_field(st, text, len, index);
		return;
	}
	for (int r = 0; r < CSVIMPORT_ROLES; r++)
		if (st->index[r] == (long)index)
			keep_field(&st->field[r], text, len);
}

static void end_row(struct csvimport *st, unsigned long line)
{
	if (st->rows_skipped < st->config.skip_rows) {
		st->rows_skipped++;
		return;
	}
	if (st->header_pending) {
		set_width(st);
		return;
	}
	if (st->expected_fields == 0)
		set_width(st);
	if (!st->stopped)
		data_row(st, line);
}

static void on_row(int terminator, void *arg)
{
	struct csvimport *st = arg;
	unsigned long line = st->row_open ? st->row_line : st->line;

	(void)terminator;
	st->row_open = false;
	if (!st->stopped)
		end_row(st, line);
	st->nfields = 0;
	for (int r = 0; r < CSVIMPORT_ROLES; r++)
		keep_field(&st->field[r], "", 0);
}

/* Bytes. */

static bool is_blank(const struct csvimport *st, unsigned char c)
{
	return c == ' ' || c == '\r' || c == '\n' || (c == '\t' && st->config.delimiter != '\t');
}

/* A row starts at the first byte libcsv does not skip; remember its line. */
static void note_row_start(struct csvimport *st, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n && !st->row_open; i++) {
		if (!is_blank(st, p[i])) {
			st->row_open = true;
			st->row_line = st->line;
		}
	}
}

/* Counts a line at LF, at CR, but once for CRLF (even split across chunks). */
static void count_line_end(struct csvimport *st, const unsigned char *p, size_t n)
{
	unsigned char last = p[n - 1];

	if (last == '\n') {
		if (!(n == 1 && st->after_cr))
			st->line++;
		st->after_cr = false;
	} else if (last == '\r') {
		st->line++;
		st->after_cr = true;
	} else {
		st->after_cr = false;
	}
}

/* Up to and including the first CR or LF, so every row starts and ends at a known line. */
static size_t segment_length(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] == '\n' || p[i] == '\r')
			return i + 1;
	return len;
}

static void feed_lines(struct csvimport *st, const unsigned char *p, size_t len)
{
	while (len > 0 && !st->stopped) {
		size_t n = segment_length(p, len);

		note_row_start(st, p, n);
		if (csv_parse(st->parser, p, n, on_field, on_row, st) != n) {
			stop(st, "the CSV parser failed: %s", csv_strerror(csv_error(st->parser)));
			return;
		}
		count_line_end(st, p, n);
		p += n;
		len -= n;
	}
}

/* The BOM bytes held back were a false start: they are data. */
static void release_bom(struct csvimport *st)
{
	st->bom_done = true;
	if (st->bom_matched > 0)
		feed_lines(st, utf8_bom, st->bom_matched);
}

int csvimport_feed(struct csvimport *st, const char *data, size_t len)
{
	const unsigned char *p = (const unsigned char *)data;

	while (!st->bom_done && len > 0) {
		if (*p != utf8_bom[st->bom_matched]) {
			release_bom(st);
			break;
		}
		st->bom_matched++;
		st->bom_done = st->bom_matched == sizeof utf8_bom;
		p++;
		len--;
	}
	if (len > 0)
		feed_lines(st, p, len);
	return st->stopped ? -1 : 0;
}

int csvimport_finish(struct csvimport *st)
{
	if (!st->bom_done)
		release_bom(st);
	if (!st->stopped && csv_fini(st->parser, on_field, on_row, st) != 0)
		stop(st, "the CSV parser failed: %s", csv_strerror(csv_error(st->parser)));
	return st->stopped ? -1 : 0;
}
