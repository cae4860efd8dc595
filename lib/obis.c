#include "obis.h"

#include <string.h>

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* IEC 62056-61 letters for the C and D groups. */
static int letter_value(char c)
{
	switch (c) {
	case 'C': return 96;
	case 'F': return 97;
	case 'L': return 98;
	case 'P': return 99;
	default: return -1;
	}
}

/* One group: digits up to 255, or a letter where letters are allowed. */
static int scan_group(const char *p, size_t len, size_t *pos, bool letters)
{
	size_t i = *pos;
	unsigned v, d;

	if (i < len && (d = (unsigned char)p[i] - '0') <= 9) {
		for (v = d, i++; i < len && (d = (unsigned char)p[i] - '0') <= 9; i++) {
			v = v * 10 + d;
			if (v > 255)
				return -1;
		}
		*pos = i;
		return (int)v;
	}
	if (letters && i < len && letter_value(p[i]) >= 0 && !(i + 1 < len && is_digit(p[i + 1]))) {
		*pos = i + 1;
		return letter_value(p[i]);
	}
	return -1;
}

static bool is_separator(char c)
{
	return c == '-' || c == ':' || c == '.' || c == '*' || c == '&';
}

/* Places groups by the separators after them: [A-B:|B:]C[.D[.E]][*F|&F]; letters only in C and D. */
static int place_groups(struct obis_code *out, const short *group, const char *sep, const bool *letter)
{
	short *slot[6] = { NULL };
	int k = 0, cd = 0;

	out->a = out->b = out->c = out->d = out->e = out->f = -1;
	if (sep[0] == '-') {
		if (sep[1] != ':')
			return -1;
		slot[0] = &out->a;
		slot[1] = &out->b;
		k = 2;
	} else if (sep[0] == ':') {
		slot[0] = &out->b;
		k = 1;
	}
	cd = k;
	slot[k] = &out->c;
	if (sep[k] == '.') {
		slot[++k] = &out->d;
		if (sep[k] == '.')
			slot[++k] = &out->e;
	}
	if (sep[k] == '*' || sep[k] == '&')
		slot[++k] = &out->f;
	if (sep[k] != '\0')
		return -1;
	for (int g = 0; g <= k; g++) {
		if (letter[g] && g != cd && g != cd + 1)
			return -1;
		*slot[g] = group[g];
	}
	return 0;
}

/* Up to three digits (a value up to 255) at p[*i]; -1 if none. */
static int three_digits(const char *p, size_t len, size_t *i)
{
	size_t start = *i;
	unsigned v = 0, d;

	while (*i < len && *i - start < 3 && (d = (unsigned char)p[*i] - '0') <= 9) {
		v = v * 10 + d;
		(*i)++;
	}
	return *i == start || v > 255 ? -1 : (int)v;
}

/* The form of every DSMR line, A-B:C.D.E in digits, read without the general machinery. */
static bool scan_dsmr_code(struct obis_code *out, const char *p, size_t len, size_t *pos)
{
	static const char seps[4] = { '-', ':', '.', '.' };
	short group[5];
	size_t i = *pos;

	for (int k = 0; k < 5; k++) {
		int v = three_digits(p, len, &i);
		if (v < 0)
			return false;
		group[k] = (short)v;
		if (k < 4 && (i >= len || p[i++] != seps[k]))
			return false;
	}
	/* Anything more (an F group, a fourth digit) is the general scanner's. */
	if (i < len && (is_separator(p[i]) || is_digit(p[i])))
		return false;
	out->a = group[0];
	out->b = group[1];
	out->c = group[2];
	out->d = group[3];
	out->e = group[4];
	out->f = -1;
	*pos = i;
	return true;
}

/* Scans an identifier at p[*pos..len): its groups and what separates them; leaves *pos after it. */
static int scan_code(struct obis_code *out, const char *p, size_t len, size_t *pos)
{
	short group[6];
	char sep[6];
	bool letter[6];
	size_t i = *pos;

	if (scan_dsmr_code(out, p, len, pos))
		return 0;

	for (int n = 0;; n++) {
		letter[n] = i < len && !is_digit(p[i]);
		int v = scan_group(p, len, &i, true);
		if (v < 0) {
			*pos = i;
			return -1;
		}
		group[n] = (short)v;
		sep[n] = n < 5 && i < len && is_separator(p[i]) ? p[i++] : '\0';
		if (sep[n] == '\0')
			break;
	}
	*pos = i;
	return place_groups(out, group, sep, letter);
}

int obis_parse_code(struct obis_code *out, const char *text, size_t len)
{
	size_t i = 0;

	if (scan_code(out, text, len, &i) < 0 || i != len)
		return -1;
	return 0;
}

/* Scans one "(…)" at p[*pos] (which is '('), nesting allowed; fills v. */
static int scan_value(struct obis_text *v, const char *p, size_t len, size_t *pos, int flags, const char **why)
{
	size_t start = *pos + 1, i = start;
	int depth = 1;

	for (; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		/* Most of a value is digits, letters, '.' and '*': all between ')' and DEL. */
		if (c > ')' && c < 0x7f)
			continue;
		if (c == ')' && --depth == 0) {
			v->p = p + start;
			v->len = i - start;
			*pos = i + 1;
			return 0;
		}
		if (c == '(') {
			depth++;
		} else if ((c == '\r' || c == '\n') && !(flags & OBIS_SPAN_LINES)) {
			*why = "value not closed before the end of the line";
			return -1;
		} else if ((c < 0x20 && c != '\r' && c != '\n') || c >= 0x7f) {
			*why = "control or non-ASCII character in a value";
			return -1;
		}
	}
	*why = "value not closed";
	return -1;
}

/* With OBIS_SPAN_LINES, a value may stand on the next line: "…(m3)\r\n(00001.001)". */
static size_t next_value_start(const char *p, size_t len, size_t i, int flags)
{
	if (i < len && p[i] == '(')
		return i;
	if (!(flags & OBIS_SPAN_LINES))
		return len;
	if (i < len && p[i] == '\r')
		i++;
	if (i < len && p[i] == '\n')
		i++;
	return i < len && p[i] == '(' ? i : len;
}

int obis_parse(struct obis_set *out, const char *text, size_t len, int flags,
               size_t *used, size_t *bad_offset, const char **why)
{
	size_t i = 0;

	out->nvalues = 0;
	out->more = false;
	if (scan_code(&out->code, text, len, &i) < 0) {
		*bad_offset = i;
		*why = "malformed OBIS identifier";
		return -1;
	}
	if (i < len && text[i] != '(' && text[i] != '\r' && text[i] != '\n') {
		*bad_offset = i;
		*why = "malformed OBIS identifier";
		return -1;
	}
	for (size_t at; (at = next_value_start(text, len, i, flags)) < len;) {
		struct obis_text v;
		i = at;
		if (scan_value(&v, text, len, &i, flags, why) < 0) {
			*bad_offset = at;
			return -1;
		}
		if (out->nvalues < OBIS_MAX_VALUES)
			out->value[out->nvalues++] = v;
		else
			out->more = true;
	}
	*used = i;
	return 0;
}

void obis_split_unit(const struct obis_text *v, struct obis_text *number, struct obis_text *unit)
{
	const char *star = memchr(v->p, '*', v->len);

	number->p = v->p;
	number->len = star != NULL ? (size_t)(star - v->p) : v->len;
	unit->p = star != NULL ? star + 1 : v->p + v->len;
	unit->len = star != NULL ? v->len - number->len - 1 : 0;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool same_nocase(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);

	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

enum obis_kind obis_unit_kind(const char *unit, size_t len, int *scale)
{
	static const struct {
		const char *base;
		enum obis_kind kind;
	} bases[] = { { "wh", OBIS_ENERGY }, { "w", OBIS_POWER }, { "v", OBIS_VOLTAGE }, { "a", OBIS_CURRENT } };
	int k = 0;

	*scale = 0;
	if (len == 0)
		return OBIS_NONE;
	/* What meters send nearly always, spelt as DSMR spells it. */
	if (len == 3 && memcmp(unit, "kWh", 3) == 0) {
		*scale = 3;
		return OBIS_ENERGY;
	}
	if (len == 2 && memcmp(unit, "kW", 2) == 0) {
		*scale = 3;
		return OBIS_POWER;
	}
	/* Meters write "kWh", "KWH", "kwh"; mega must be an upper-case M ("mW" is milli). */
	if (len > 1 && (unit[0] == 'k' || unit[0] == 'K'))
		k = 3;
	else if (len > 1 && unit[0] == 'M')
		k = 6;
	for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
		if (same_nocase(unit + (k ? 1 : 0), len - (k ? 1 : 0), bases[i].base)) {
			*scale = k;
			return bases[i].kind;
		}
	}
	return OBIS_OTHER;
}

int obis_measure(struct decimal *out, const struct obis_text *v, enum obis_kind want, const char **why)
{
	struct obis_text number, unit;
	int scale;

	obis_split_unit(v, &number, &unit);
	if (decimal_parse(out, number.p, number.len) < 0) {
		*why = "malformed register value";
		return -1;
	}
	enum obis_kind kind = obis_unit_kind(unit.p, unit.len, &scale);
	if (kind == OBIS_NONE) {
		*why = "register value without a unit";
		return -1;
	}
	if (kind != want) {
		*why = "register value in an unexpected unit";
		return -1;
	}
	if (decimal_scale(out, scale) < 0) {
		*why = "register value out of range";
		return -1;
	}
	return 0;
}

/* ---- electricity registers into a struct reading -------------------------- */

enum store_bit {
	BIT_IMPORT, BIT_EXPORT, BIT_POWER_IMPORT, BIT_POWER_EXPORT, BIT_NET_POWER,
	BIT_IMPORT_TARIFF = 8,          /* 8 bits */
	BIT_EXPORT_TARIFF = 16,         /* 8 bits */
	BIT_PHASE = 24                  /* 5 bits per phase: V, A, +P, −P, net P */
};

void obis_store_init(struct obis_store *st, struct reading *r)
{
	memset(st, 0, sizeof *st);
	st->r = r;
}

static int store(struct obis_store *st, const struct obis_set *s, struct decimal *dst, enum obis_kind kind, int bit,
                 const char **where, const char **why)
{
	if (s->nvalues != 1 || s->more) {
		*where = s->nvalues > 0 ? s->value[0].p : NULL;
		*why = "wrong number of values for this register";
		return -1;
	}
	*where = s->value[0].p;
	if (st->seen & (UINT64_C(1) << bit)) {
		*why = "register sent twice";
		return -1;
	}
	st->seen |= UINT64_C(1) << bit;
	return obis_measure(dst, &s->value[0], kind, why) < 0 ? -1 : 1;
}

/* 1.8.t and 2.8.t: t = 0 is the total, 1..8 the tariffs. */
static int store_energy(struct obis_store *st, const struct obis_set *s, bool import, const char **where,
                        const char **why)
{
	struct reading *r = st->r;
	int t = s->code.e;

	if (t == 0)
		return store(st, s, import ? &st->import_total : &st->export_total, OBIS_ENERGY,
		             import ? BIT_IMPORT : BIT_EXPORT, where, why);
	if (t > READING_TARIFFS) {
		/* Dropping it would make a total summed from the tariffs wrong: refuse the frame. */
		*where = s->nvalues > 0 ? s->value[0].p : NULL;
		*why = "more tariff registers than hive-read keeps (8)";
		return -1;
	}
	struct decimal *dst = import ? &r->import_tariff_wh[t - 1] : &r->export_tariff_wh[t - 1];
	int rc = store(st, s, dst, OBIS_ENERGY, (import ? BIT_IMPORT_TARIFF : BIT_EXPORT_TARIFF) + t - 1, where, why);
	if (rc > 0 && t > r->tariffs)
		r->tariffs = t;
	return rc;
}

/* Per phase: C = 20·phase + 12 (V), 11 (A), 1 (+P), 2 (−P), 16 (signed P), phase 1..3. */
static int store_phase(struct obis_store *st, const struct obis_set *s, const char **where, const char **why)
{
	int phase = s->code.c / 20 - 1, what = s->code.c % 20;
	struct reading_phase *ph;
	int rc, bit = BIT_PHASE + 5 * phase;

	if (phase < 0 || phase >= READING_PHASES)
		return 0;
	ph = &st->r->phase[phase];
	switch (what) {
	case 12: rc = store(st, s, &ph->voltage_v, OBIS_VOLTAGE, bit, where, why); break;
	case 11: rc = store(st, s, &ph->current_a, OBIS_CURRENT, bit + 1, where, why); break;
	case 1: rc = store(st, s, &ph->power_import_w, OBIS_POWER, bit + 2, where, why); break;
	case 2: rc = store(st, s, &ph->power_export_w, OBIS_POWER, bit + 3, where, why); break;
	case 16: rc = store(st, s, &st->phase_net[phase], OBIS_POWER, bit + 4, where, why); break;
	default: return 0;
	}
	if (rc > 0 && phase + 1 > st->r->phases)
		st->r->phases = phase + 1;
	return rc;
}

int obis_store_register(struct obis_store *st, const struct obis_set *s, const char **where, const char **why)
{
	const struct obis_code *c = &s->code;

	if ((c->a != 1 && c->a != -1) || c->b < -1 || c->b > 1 || (c->f != -1 && c->f != 255))
		return 0;
	if (c->d == 8 && c->e >= 0 && (c->c == 1 || c->c == 2))
		return store_energy(st, s, c->c == 1, where, why);
	if (c->d != 7 || c->e != 0)
		return 0;
	switch (c->c) {
	case 1: return store(st, s, &st->r->power_import_w, OBIS_POWER, BIT_POWER_IMPORT, where, why);
	case 2: return store(st, s, &st->r->power_export_w, OBIS_POWER, BIT_POWER_EXPORT, where, why);
	case 16: return store(st, s, &st->net_power, OBIS_POWER, BIT_NET_POWER, where, why);
	default: return c->c > 20 && c->c < 80 ? store_phase(st, s, where, why) : 0;
	}
}

/* Total energy: the meter's own total where sent, else the sum of its tariffs. */
static int total(struct decimal *out, const struct decimal *given, const struct decimal *tariff)
{
	if (given->set) {
		*out = *given;
		return 0;
	}
	for (int t = 0; t < READING_TARIFFS; t++) {
		if (!tariff[t].set)
			continue;
		if (!out->set)
			*out = tariff[t];
		else if (decimal_add(out, out, &tariff[t]) < 0)
			return -1;
	}
	return 0;
}

/* A signed net power (+ import, − export) split into the two registers when they were not sent. */
static void split_net(struct decimal *import, struct decimal *export, const struct decimal *net)
{
	if (!net->set || import->set || export->set)
		return;
	bool exporting = net->digits < 0;
	decimal_set(import, exporting ? 0 : net->digits, net->exp);
	decimal_set(export, exporting ? -net->digits : 0, net->exp);
}

int obis_store_finish(struct obis_store *st, const char **why)
{
	struct reading *r = st->r;

	if (total(&r->import_wh, &st->import_total, r->import_tariff_wh) < 0 ||
	    total(&r->export_wh, &st->export_total, r->export_tariff_wh) < 0) {
		*why = "energy total out of range";
		return -1;
	}
	split_net(&r->power_import_w, &r->power_export_w, &st->net_power);
	for (int p = 0; p < READING_PHASES; p++)
		split_net(&r->phase[p].power_import_w, &r->phase[p].power_export_w, &st->phase_net[p]);
	return 0;
}
