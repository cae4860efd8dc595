#include "assets.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmp.h>
#include <jv.h>

#include "amount.h"
#include "buf.h"
#include "cfgfile.h"
#include "diag.h"
#include "eth.h"
#include "timeutil.h"
#include "tz.h"

#define MINUTES_PER_DAY 1440
/* Powers and energies above this (W, Wh) are typing errors, not a household's assets. */
#define ASSETS_QUANTITY_MAX 1e12
/* Prices above 10^this base units per kWh are refused: a million whole tokens per kWh even at 18 decimals. */
#define ASSETS_PRICE_MAX_DIGITS 24
/* The days assets_windows and assets_goal_times walk are clamped to about ±270000 years: no overflow in ms. */
#define DAY_LIMIT INT64_C(100000000)

static const char *const kind_names[] = { "battery", "deferrable", "ev", "pv" };

/* ---- parsing an assets file ---- */

struct parser {
	struct cfgfile f;                       /* f.ctx: "goal 2: " while a goal is read, else "" */
	char ctxbuf[32];
	unsigned long lines[ASSETS_MAX];        /* the line of each asset, for duplicate names */
	struct assets *a;
};

/* v for a message: whole numbers in digits ("11000"), others the shortest text that reads back as v ("0.95"). */
static const char *num(char out[32], double v)
{
	if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(out, 32, "%.0f", v);
		return out;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(out, 32, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			break;
	}
	return out;
}

static bool has(jv obj, const char *key)
{
	return jv_object_has(jv_copy(obj), jv_string(key));
}

/*
 * A power (W) or energy (Wh) member: a JSON number from 0 to ASSETS_QUANTITY_MAX.
 * Absent: an error when required, else *out = def.
 */
static int get_quantity(struct parser *p, jv obj, const char *key, bool required, double def, double *out)
{
	jv v = jv_object_get(jv_copy(obj), jv_string(key));
	jv_kind kind = jv_get_kind(v);
	double x = kind == JV_KIND_NUMBER ? jv_number_value(v) : 0;
	char buf[32];

	jv_free(v);
	if (kind == JV_KIND_INVALID) {
		*out = def;
		return required ? cfgfile_fail(&p->f, "field '%s' is missing", key) : 0;
	}
	if (kind != JV_KIND_NUMBER)
		return cfgfile_fail(&p->f, "field '%s' must be a JSON number of %s", key,
		                    strcmp(key + strlen(key) - 2, "wh") == 0 ? "Wh" : "W");
	if (!isfinite(x))
		return cfgfile_fail(&p->f, "field '%s' is not a finite number", key);
	if (x < 0)
		return cfgfile_fail(&p->f, "field '%s': %s is negative", key, num(buf, x));
	if (x > ASSETS_QUANTITY_MAX)
		return cfgfile_fail(&p->f, "field '%s': %s is absurd (at most 1e12)", key, num(buf, x));
	*out = x + 0.0;         /* -0 becomes 0 */
	return 0;
}

/* An efficiency: a JSON number in (0, 1], default 1. */
static int get_efficiency(struct parser *p, jv obj, const char *key, double *out)
{
	jv v = jv_object_get(jv_copy(obj), jv_string(key));
	jv_kind kind = jv_get_kind(v);
	double x = kind == JV_KIND_NUMBER ? jv_number_value(v) : 0;
	char buf[32];

	jv_free(v);
	*out = 1;
	if (kind == JV_KIND_INVALID)
		return 0;
	if (kind != JV_KIND_NUMBER)
		return cfgfile_fail(&p->f, "field '%s' must be a JSON number in (0, 1]", key);
	if (!(x > 0 && x <= 1))
		return cfgfile_fail(&p->f, "field '%s': %s is not in (0, 1] (0.95 is 95 %%)", key, num(buf, x));
	*out = x;
	return 0;
}

/* A price member: a string of base units per kWh (default "0"), as a double per Wh. */
static int get_price(struct parser *p, jv obj, const char *key, double *per_wh)
{
	jv v = jv_object_get(jv_copy(obj), jv_string(key));
	jv_kind kind = jv_get_kind(v);
	const char *text, *why;
	size_t len;
	char buf[64];
	mpz_t x, cap;
	int rc = 0;

	jv_free(v);
	*per_wh = 0;
	if (kind == JV_KIND_INVALID)
		return 0;
	if (kind == JV_KIND_NUMBER)
		return cfgfile_fail(&p->f, "field '%s' must be a string of base units per kWh such as \"250000\", "
		                    "not a JSON number", key);
	if (cfgfile_get_string(&p->f, obj, key, &text, &len) < 0)
		return -1;
	mpz_inits(x, cap, NULL);
	mpz_ui_pow_ui(cap, 10, ASSETS_PRICE_MAX_DIGITS);
	if (amount_parse(x, text, len, &why) < 0)
		rc = cfgfile_fail(&p->f, "field '%s': '%s': %s", key, cfgfile_shown(&p->f, buf, text, len), why);
	else if (mpz_cmp(x, cap) > 0)
		rc = cfgfile_fail(&p->f, "field '%s': '%s' base units per kWh is absurd (at most 1e%d)", key,
		                  cfgfile_shown(&p->f, buf, text, len), ASSETS_PRICE_MAX_DIGITS);
	else
		*per_wh = mpz_get_d(x) / 1000;
	mpz_clears(x, cap, NULL);
	return rc;
}

/* An RFC 3339 time in UTC (ending in Z) as ms, or -1 with *why. */
static int parse_utc(const char *s, size_t len, int64_t *ms, const char **why)
{
	if (rfc3339_parse(ms, s, len, why) < 0)
		return -1;
	if (s[len - 1] != 'Z') {
		*why = "must be in UTC, ending in Z";
		return -1;
	}
	return 0;
}

/* A daily time member "HH:MM", up to max minutes (1439, or 1440 for a "to"). */
static int get_daily(struct parser *p, jv obj, const char *key, int max, struct asset_time *out)
{
	const char *s;
	size_t len;
	char buf[64];

	if (cfgfile_need_string(&p->f, obj, key, &s, &len) < 0)
		return -1;
	int m = cfgfile_hhmm(s, len);
	if (m < 0 || m > max)
		return cfgfile_fail(&p->f, "field '%s': '%s' is not a time of day \"HH:MM\" from 00:00 to %s", key,
		                    cfgfile_shown(&p->f, buf, s, len), max == MINUTES_PER_DAY ? "24:00" : "23:59");
	*out = (struct asset_time){ .daily = true, .minute_of_day = m };
	return 0;
}

/* An absolute time member, RFC 3339 in UTC. */
static int get_absolute(struct parser *p, jv obj, const char *key, struct asset_time *out)
{
	const char *s, *why;
	size_t len;
	char buf[64];
	int64_t ms;

	if (cfgfile_need_string(&p->f, obj, key, &s, &len) < 0)
		return -1;
	if (parse_utc(s, len, &ms, &why) < 0)
		return cfgfile_fail(&p->f, "field '%s': '%s': %s", key, cfgfile_shown(&p->f, buf, s, len), why);
	*out = (struct asset_time){ .daily = false, .at_ms = ms };
	return 0;
}

static int load_zone(struct parser *p, jv obj)
{
	const char *tz = NULL, *posix = NULL, *why;
	size_t tzlen = 0, plen = 0;
	char buf[64];
	int a = cfgfile_get_string(&p->f, obj, "tz", &tz, &tzlen),
	    b = a < 0 ? -1 : cfgfile_get_string(&p->f, obj, "tz_posix", &posix, &plen);

	if (a < 0 || b < 0)
		return -1;
	if (a && b)
		return cfgfile_fail(&p->f, "give the zone with one of 'tz' (an IANA name such as \"Europe/Zurich\") "
		                    "and 'tz_posix' (a POSIX TZ rule), not both");
	if (tz != NULL) {
		/* Refused here, not by tz_load_name, to quote the name as every other field is. */
		if (!tz_name_ok(tz))
			return cfgfile_fail(&p->f, "field 'tz': '%s' is not an IANA time zone name "
			                    "such as \"Europe/Zurich\"", cfgfile_shown(&p->f, buf, tz, tzlen));
		return tz_load_name(&p->a->zone, tz, &why) < 0 ? cfgfile_fail(&p->f, "%s", why) : 0;
	}
	if (posix != NULL && tz_load_posix(&p->a->zone, posix, &why) < 0)
		return cfgfile_fail(&p->f, "field 'tz_posix': '%s': %s", cfgfile_shown(&p->f, buf, posix, plen), why);
	return 0;
}

static int header(struct parser *p, jv obj)
{
	static const char *const fields[] = { "type", "worker", "import_max_w", "export_max_w", "tz", "tz_posix", NULL };
	struct assets *a = p->a;
	const char *w;
	size_t len;
	char buf[64];
	int r;

	if (cfgfile_check_members(&p->f, obj, fields, "the assets header") < 0 ||
	    (r = cfgfile_get_string(&p->f, obj, "worker", &w, &len)) < 0)
		return -1;
	if (r == 1) {
		uint8_t addr[ETH_ADDR_SIZE];
		enum eth_addr_status st = eth_address_parse(addr, w, len);
		if (st != ETH_ADDR_OK)
			return cfgfile_fail(&p->f, "field 'worker': '%s': %s", cfgfile_shown(&p->f, buf, w, len),
			                    eth_addr_status_str(st));
		eth_address_format(a->worker, addr);
	}
	a->has_import_max = has(obj, "import_max_w");
	a->has_export_max = has(obj, "export_max_w");
	if (get_quantity(p, obj, "import_max_w", false, 0, &a->import_max_w) < 0 ||
	    get_quantity(p, obj, "export_max_w", false, 0, &a->export_max_w) < 0)
		return -1;
	return load_zone(p, obj);
}

/* "any" (the default) or "solar". */
static int get_source(struct parser *p, jv obj, enum asset_source *out)
{
	const char *s;
	size_t len;
	char buf[64];
	int r = cfgfile_get_string(&p->f, obj, "source", &s, &len);

	*out = SOURCE_ANY;
	if (r <= 0)
		return r;
	if (cfgfile_equals(s, len, "solar"))
		*out = SOURCE_SOLAR;
	else if (!cfgfile_equals(s, len, "any"))
		return cfgfile_fail(&p->f, "field 'source': '%s' is neither \"any\" nor \"solar\"",
		                    cfgfile_shown(&p->f, buf, s, len));
	return 0;
}

static int asset_name(struct parser *p, jv obj, struct asset *x)
{
	const char *s;
	size_t len;
	char buf[64];
	bool ok;

	if (cfgfile_need_string(&p->f, obj, "name", &s, &len) < 0)
		return -1;
	ok = len >= 1 && len <= ASSET_NAME_MAX;
	for (size_t i = 0; ok && i < len; i++)
		ok = cfgfile_is_digit(s[i]) || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		     s[i] == '-' || s[i] == '_' || s[i] == '.';
	if (!ok)
		return cfgfile_fail(&p->f, "field 'name': '%s' is not a name of 1 to %d letters, digits, "
		                    "'-', '_' and '.'", cfgfile_shown(&p->f, buf, s, len), ASSET_NAME_MAX);
	for (size_t i = 0; i < p->a->n; i++)
		if (cfgfile_equals(s, len, p->a->a[i].name))
			return cfgfile_fail(&p->f, "name '%s' is used twice (also on line %lu)", s, p->lines[i]);
	memcpy(x->name, s, len);
	x->name[len] = '\0';
	return 0;
}

/* Whether lo ≤ v ≤ hi, else a diagnostic naming all three. */
static int within(struct parser *p, const char *what, double v, const char *lo_name, double lo, const char *hi_name,
                  double hi)
{
	char b1[32], b2[32], b3[32];

	if (v >= lo && v <= hi)
		return 0;
	return cfgfile_fail(&p->f, "%s %s is outside [%s %s, %s %s]", what, num(b1, v), lo_name, num(b2, lo), hi_name,
	                    num(b3, hi));
}

static int goal(struct parser *p, jv g, struct asset *x, struct battery_goal *out)
{
	static const char *const fields[] = { "by", "soc_wh", NULL };
	const char *s, *why;
	size_t len;
	char buf[64];

	if (jv_get_kind(g) != JV_KIND_OBJECT)
		return cfgfile_fail(&p->f, "must be an object {\"by\":\"07:00\",\"soc_wh\":8000}");
	if (cfgfile_check_members(&p->f, g, fields, "a goal") < 0 ||
	    cfgfile_need_string(&p->f, g, "by", &s, &len) < 0 ||
	    get_quantity(p, g, "soc_wh", true, 0, &out->soc_wh) < 0)
		return -1;
	int m = cfgfile_hhmm(s, len);
	if (m >= 0 && m < MINUTES_PER_DAY)
		out->by = (struct asset_time){ .daily = true, .minute_of_day = m };
	else if (len != 5 && parse_utc(s, len, &out->by.at_ms, &why) == 0)
		out->by.daily = false;
	else
		return cfgfile_fail(&p->f, "field 'by': '%s' is neither a time of day \"HH:MM\" from 00:00 to 23:59 "
		                    "nor an RFC 3339 time in UTC such as \"2026-06-22T05:00:00Z\"",
		                    cfgfile_shown(&p->f, buf, s, len));
	return within(p, "soc_wh", out->soc_wh, "soc_min_wh", x->soc_min_wh, "soc_max_wh", x->soc_max_wh);
}

static int goals(struct parser *p, jv obj, struct asset *x)
{
	jv v = jv_object_get(jv_copy(obj), jv_string("goals"));
	int rc = 0;

	if (jv_get_kind(v) == JV_KIND_INVALID) {
		jv_free(v);
		return 0;
	}
	if (jv_get_kind(v) != JV_KIND_ARRAY)
		rc = cfgfile_fail(&p->f, "field 'goals' must be an array of goals "
		                  "such as {\"by\":\"07:00\",\"soc_wh\":8000}");
	else if (jv_array_length(jv_copy(v)) > ASSETS_MAX_GOALS)
		rc = cfgfile_fail(&p->f, "field 'goals' holds %d goals (at most %d)", jv_array_length(jv_copy(v)),
		                  ASSETS_MAX_GOALS);
	for (int i = 0; rc == 0 && i < jv_array_length(jv_copy(v)); i++) {
		jv g = jv_array_get(jv_copy(v), i);
		snprintf(p->ctxbuf, sizeof p->ctxbuf, "goal %d: ", i + 1);
		p->f.ctx = p->ctxbuf;
		rc = goal(p, g, x, &x->goals[i]);
		p->f.ctx = "";
		jv_free(g);
		if (rc == 0)
			x->ngoals++;
	}
	jv_free(v);
	return rc;
}

static int battery(struct parser *p, jv obj, struct asset *x)
{
	static const char *const fields[] = { "type", "name", "capacity_wh", "charge_w", "discharge_w",
		                              "charge_efficiency", "discharge_efficiency", "soc_min_wh",
		                              "soc_max_wh", "soc_wh", "soc_final_wh", "cycle_cost", "source",
		                              "goals", NULL };
	char b1[32], b2[32];

	if (cfgfile_check_members(&p->f, obj, fields, "a battery") < 0 || asset_name(p, obj, x) < 0 ||
	    get_quantity(p, obj, "capacity_wh", true, 0, &x->capacity_wh) < 0)
		return -1;
	if (x->capacity_wh <= 0)
		return cfgfile_fail(&p->f, "field 'capacity_wh' must be above 0");
	if (get_quantity(p, obj, "charge_w", true, 0, &x->charge_w) < 0 ||
	    get_quantity(p, obj, "discharge_w", true, 0, &x->discharge_w) < 0 ||
	    get_efficiency(p, obj, "charge_efficiency", &x->charge_eff) < 0 ||
	    get_efficiency(p, obj, "discharge_efficiency", &x->discharge_eff) < 0 ||
	    get_quantity(p, obj, "soc_min_wh", false, 0, &x->soc_min_wh) < 0 ||
	    get_quantity(p, obj, "soc_max_wh", false, x->capacity_wh, &x->soc_max_wh) < 0 ||
	    get_quantity(p, obj, "soc_wh", true, 0, &x->soc_wh) < 0 ||
	    get_quantity(p, obj, "soc_final_wh", false, x->soc_wh, &x->soc_final_wh) < 0 ||
	    get_price(p, obj, "cycle_cost", &x->cost_per_wh) < 0 || get_source(p, obj, &x->source) < 0)
		return -1;
	if (x->soc_max_wh > x->capacity_wh)
		return cfgfile_fail(&p->f, "soc_max_wh %s is above capacity_wh %s", num(b1, x->soc_max_wh),
		                    num(b2, x->capacity_wh));
	if (x->soc_min_wh > x->soc_max_wh)
		return cfgfile_fail(&p->f, "soc_min_wh %s is above soc_max_wh %s", num(b1, x->soc_min_wh),
		                    num(b2, x->soc_max_wh));
	if (within(p, "soc_wh", x->soc_wh, "soc_min_wh", x->soc_min_wh, "soc_max_wh", x->soc_max_wh) < 0 ||
	    within(p, "soc_final_wh", x->soc_final_wh, "soc_min_wh", x->soc_min_wh, "soc_max_wh", x->soc_max_wh) < 0)
		return -1;
	return goals(p, obj, x);
}

static int deferrable(struct parser *p, jv obj, struct asset *x, const char *what)
{
	static const char *const fields[] = { "type", "name", "power_w", "energy_wh", "from", "to", "release",
		                              "deadline", "energy_min_wh", "value", "source", "delivered_wh", NULL };
	char b1[32], b2[32], t1[RFC3339_SIZE], t2[RFC3339_SIZE];

	if (cfgfile_check_members(&p->f, obj, fields, what) < 0 || asset_name(p, obj, x) < 0 ||
	    get_quantity(p, obj, "power_w", true, 0, &x->power_w) < 0 ||
	    get_quantity(p, obj, "energy_wh", true, 0, &x->energy_wh) < 0 ||
	    get_quantity(p, obj, "energy_min_wh", false, x->energy_wh, &x->energy_min_wh) < 0 ||
	    get_quantity(p, obj, "delivered_wh", false, 0, &x->delivered_wh) < 0 ||
	    get_price(p, obj, "value", &x->value_per_wh) < 0 || get_source(p, obj, &x->source) < 0)
		return -1;
	if (x->energy_min_wh > x->energy_wh)
		return cfgfile_fail(&p->f, "energy_min_wh %s is above energy_wh %s", num(b1, x->energy_min_wh),
		                    num(b2, x->energy_wh));
	if (x->delivered_wh > x->energy_wh)
		return cfgfile_fail(&p->f, "delivered_wh %s is above energy_wh %s", num(b1, x->delivered_wh),
		                    num(b2, x->energy_wh));

	bool daily = has(obj, "from") || has(obj, "to"), once = has(obj, "release") || has(obj, "deadline");
	if (daily && once)
		return cfgfile_fail(&p->f, "a window is 'from' and 'to' (daily \"HH:MM\") or 'release' and 'deadline' "
		                    "(RFC 3339), not both");
	if (!daily && !once)
		return cfgfile_fail(&p->f, "no window: give 'from' and 'to' (daily \"HH:MM\") or 'release' and "
		                    "'deadline' (RFC 3339 in UTC)");
	if (daily)
		return get_daily(p, obj, "from", MINUTES_PER_DAY - 1, &x->release) < 0 ||
		       get_daily(p, obj, "to", MINUTES_PER_DAY, &x->deadline) < 0 ? -1 : 0;
	if (get_absolute(p, obj, "release", &x->release) < 0 || get_absolute(p, obj, "deadline", &x->deadline) < 0)
		return -1;
	if (x->release.at_ms >= x->deadline.at_ms) {
		rfc3339_format(t1, x->release.at_ms);
		rfc3339_format(t2, x->deadline.at_ms);
		return cfgfile_fail(&p->f, "release %s is not before deadline %s", t1, t2);
	}
	return 0;
}

static int pv(struct parser *p, jv obj, struct asset *x)
{
	static const char *const fields[] = { "type", "name", "curtail_cost", NULL };

	if (cfgfile_check_members(&p->f, obj, fields, "a pv record") < 0 || asset_name(p, obj, x) < 0)
		return -1;
	return get_price(p, obj, "curtail_cost", &x->cost_per_wh);
}

static int record(void *arg, jv obj)
{
	struct parser *p = arg;
	struct assets *a = p->a;
	const char *type;
	size_t len;
	char buf[64];
	int r = cfgfile_type(&p->f, obj, "assets", "{\"type\":\"assets\",...}", &type, &len);

	if (r != 0)
		return r < 0 ? -1 : header(p, obj);
	int kind = -1;
	for (int k = 0; k < 4; k++)
		if (cfgfile_equals(type, len, kind_names[k]))
			kind = k;
	if (kind < 0)
		return cfgfile_fail(&p->f, "unknown record type '%s' (want battery, deferrable, ev or pv)",
		                    cfgfile_shown(&p->f, buf, type, len));
	if (a->n == ASSETS_MAX)
		return cfgfile_fail(&p->f, "more than %d assets", ASSETS_MAX);
	struct asset *x = &a->a[a->n];
	memset(x, 0, sizeof *x);
	x->kind = (enum asset_kind)kind;
	switch (x->kind) {
	case ASSET_BATTERY:
		r = battery(p, obj, x);
		break;
	case ASSET_DEFERRABLE:
		r = deferrable(p, obj, x, "a deferrable load");
		break;
	case ASSET_EV:
		r = deferrable(p, obj, x, "an ev");
		break;
	case ASSET_PV:
		r = pv(p, obj, x);
		break;
	}
	if (r < 0)
		return -1;
	p->lines[a->n++] = p->f.line;
	return 0;
}

/*
 * No assets: the header zeroed, the entries left as they are (each is
 * zeroed as it is read). The entries are 39 KB, of which a file mostly
 * uses one: a hive of 10,000 Workers kept 390 MB of zeros resident.
 */
static void clear(struct assets *a)
{
	memset(a, 0, offsetof(struct assets, a));
}

int assets_load_text(struct assets *out, const char *name, const char *text, size_t len)
{
	/* Values are quoted up to 48 bytes: an address fits. */
	struct parser p = { .f = { .name = name, .ctx = "", .shown_max = 48 }, .a = out };
	int rc;

	clear(out);
	rc = cfgfile_parse(&p.f, text, len, record, &p);
	if (rc == 0 && p.f.header_line == 0) {
		p.f.line = p.f.line ? p.f.line : 1;
		rc = cfgfile_fail(&p.f, "no assets header: the file holds no record");
	}
	if (rc < 0) {
		assets_free(out);
		clear(out);
		return HIVE_EINPUT;
	}
	return HIVE_OK;
}

int assets_load(struct assets *out, const char *path)
{
	struct buf text = BUF_INIT;
	int rc;

	if (cfgfile_read(path, "assets", ASSETS_FILE_MAX, &text) < 0) {
		clear(out);
		return HIVE_EINPUT;
	}
	rc = assets_load_text(out, path, buf_str(&text), text.len);
	buf_free(&text);
	return rc;
}

void assets_free(struct assets *a)
{
	if (a == NULL)
		return;
	tz_free(a->zone);
	a->zone = NULL;
}

/* ---- local times ---- */

/*
 * The instant (Unix seconds) of the local wall-clock time `wall` (seconds
 * since 1970-01-01 00:00 on the local clock). The zone's offsets around it
 * are the ones two days before and after (a zone changes its offset at most
 * once in such a span); an offset o is a real reading when the zone has o at
 * wall − o. Both real (the clock went back): the earlier instant. Neither
 * (the clock went forward over wall): wall read with the offset from before
 * the change, which is the instant the gap's length after it on the new
 * clock (02:30 on a night that skips 02:00–03:00 is 03:30).
 */
static int64_t wall_to_utc(const struct tz *z, int64_t wall)
{
	if (z == NULL)
		return wall;
	int64_t before = tz_offset(z, wall - 2 * 86400), after = tz_offset(z, wall + 2 * 86400);
	bool b = tz_offset(z, wall - before) == before, f = tz_offset(z, wall - after) == after;

	if (b && f)
		return wall - (before > after ? before : after);
	if (f)
		return wall - after;
	return wall - before;
}

/* The instant in ms of minute m (0–1440) of local day d (days since 1970-01-01 on the local clock). */
static int64_t local_ms(const struct tz *z, int64_t day, int minute)
{
	return wall_to_utc(z, day * 86400 + (int64_t)minute * 60) * 1000;
}

static int64_t clamp_day(int64_t d)
{
	return d < -DAY_LIMIT ? -DAY_LIMIT : d > DAY_LIMIT ? DAY_LIMIT : d;
}

size_t assets_windows(const struct assets *a, const struct asset *x, int64_t from_ms, int64_t to_ms,
                      int64_t (*win)[2], size_t max)
{
	size_t n = 0;

	if ((x->kind != ASSET_DEFERRABLE && x->kind != ASSET_EV) || from_ms >= to_ms)
		return 0;
	if (!x->release.daily) {
		if (x->release.at_ms >= to_ms || x->deadline.at_ms <= from_ms)
			return 0;
		if (max > 0) {
			win[0][0] = x->release.at_ms;
			win[0][1] = x->deadline.at_ms;
		}
		return 1;
	}
	int f = x->release.minute_of_day, t = x->deadline.minute_of_day;
	int64_t last = clamp_day(tz_local_day(a->zone, to_ms)), prev_end = INT64_MIN;
	for (int64_t d = clamp_day(tz_local_day(a->zone, from_ms) - 1); d <= last; d++) {
		int64_t r = local_ms(a->zone, d, f), e = local_ms(a->zone, t <= f ? d + 1 : d, t);
		/* Around a skipped hour the local times are not monotonic in UTC: a window never starts
		 * before the one before it ended, so a load is never offered twice its power. */
		if (r < prev_end)
			r = prev_end;
		if (e <= r)
			continue;       /* a window inside a skipped hour does not happen that day */
		prev_end = e;
		if (r >= to_ms || e <= from_ms)
			continue;
		if (n < max) {
			win[n][0] = r;
			win[n][1] = e;
		}
		n++;
	}
	return n;
}

size_t assets_goal_times(const struct assets *a, const struct battery_goal *g, int64_t from_ms, int64_t to_ms,
                         int64_t *out, size_t max)
{
	size_t n = 0;

	if (from_ms >= to_ms)
		return 0;
	if (!g->by.daily) {
		if (g->by.at_ms < from_ms || g->by.at_ms >= to_ms)
			return 0;
		if (max > 0)
			out[0] = g->by.at_ms;
		return 1;
	}
	int64_t last = clamp_day(tz_local_day(a->zone, to_ms));
	for (int64_t d = clamp_day(tz_local_day(a->zone, from_ms) - 1); d <= last; d++) {
		int64_t t = local_ms(a->zone, d, g->by.minute_of_day);
		if (t < from_ms || t >= to_ms)
			continue;
		if (n < max)
			out[n] = t;
		n++;
	}
	return n;
}
