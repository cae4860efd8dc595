/* planrec.c — forecast, bid and signal records of coordination (see planrec.h). */
#include "planrec.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "eth.h"
#include "jcs.h"
#include "jsonview.h"
#include "jvbuild.h"
#include "timeutil.h"

static jv member(jv rec, const char *key)
{
	return jv_object_get(jv_copy(rec), jv_string(key));
}

/* An address in EIP-55 case, or the text as it is for a meter_id; "" when absent. */
static int name_of(jv v, char out[64], const char **why)
{
	out[0] = '\0';
	if (jv_get_kind(v) == JV_KIND_INVALID || jv_get_kind(v) == JV_KIND_NULL) {
		jv_free(v);
		return 0;
	}
	if (jv_get_kind(v) != JV_KIND_STRING || (size_t)jv_string_length_bytes(jv_copy(v)) >= 64 ||
	    strlen(jv_string_value(v)) != (size_t)jv_string_length_bytes(jv_copy(v))) {
		jv_free(v);
		return *why = "the meter or worker is not a string of under 64 bytes without NUL", -1;
	}
	const char *s = jv_string_value(v);
	uint8_t addr[ETH_ADDR_SIZE];
	if (eth_address_parse(addr, s, strlen(s)) == ETH_ADDR_OK)
		eth_address_format(out, addr);
	else
		strcpy(out, s);
	jv_free(v);
	return 0;
}

static int time_of(jv rec, const char *key, int64_t *ms, const char **why)
{
	jv v = member(rec, key);
	int rc = -1;
	if (jv_get_kind(v) == JV_KIND_STRING) {
		const char *s = jv_string_value(v);
		rc = rfc3339_parse(ms, s, strlen(s), why);
	} else {
		*why = "a time is missing or not a string";
	}
	jv_free(v);
	return rc;
}

/* A whole number of seconds in [1, 86400]. */
static int seconds_of(jv rec, const char *key, int *out, const char **why)
{
	jv v = member(rec, key);
	double d = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : -1;
	jv_free(v);
	if (!(d >= 1 && d <= 86400 && d == floor(d)))
		return *why = "the slot length is not a whole number of seconds up to a day", -1;
	*out = (int)d;
	return 0;
}

/* An array of finite numbers, at most LQP_MAX_SLOTS; *out allocated. */
static int numbers_of(jv arr, double **out, size_t *n, const char **why)
{
	*out = NULL;
	if (jv_get_kind(arr) != JV_KIND_ARRAY) {
		jv_free(arr);
		return *why = "a plan or series is not an array", -1;
	}
	int len = jv_array_length(jv_copy(arr));
	if (len < 1 || len > LQP_MAX_SLOTS) {
		jv_free(arr);
		return *why = "a plan or series must have 1 to 2016 values", -1;
	}
	double *v = xmalloc((size_t)len * sizeof *v);
	for (int i = 0; i < len; i++) {
		jv e = jv_array_get(jv_copy(arr), i);
		v[i] = jv_get_kind(e) == JV_KIND_NUMBER ? jv_number_value(e) : NAN;
		jv_free(e);
		if (!isfinite(v[i]) || fabs(v[i]) > 1e12) {
			free(v);
			jv_free(arr);
			return *why = "a plan or series has a value missing, not a number or beyond 10^12 Wh", -1;
		}
	}
	jv_free(arr);
	*out = v;
	*n = (size_t)len;
	return 0;
}

static jv point_of(jv rec, const char *series)
{
	jv s = member(rec, "series");
	jv one = jv_get_kind(s) == JV_KIND_OBJECT ? jv_object_get(s, jv_string(series)) : (jv_free(s), jv_invalid());
	if (jv_get_kind(one) != JV_KIND_OBJECT) {
		jv_free(one);
		return jv_invalid();
	}
	return jv_object_get(one, jv_string("point"));
}

int planrec_forecast(jv rec, struct plan_forecast *f, const char **why)
{
	memset(f, 0, sizeof *f);
	jv m = member(rec, "meter");
	if (jv_get_kind(m) == JV_KIND_INVALID || jv_get_kind(m) == JV_KIND_NULL) {
		jv_free(m);
		m = member(rec, "meter_id");
	}
	if (name_of(m, f->meter, why) != 0 || time_of(rec, "start", &f->start_ms, why) != 0 ||
	    seconds_of(rec, "step", &f->step_s, why) != 0)
		return -1;
	jv net = point_of(rec, "net_wh");
	if (jv_get_kind(net) == JV_KIND_INVALID) {
		jv_free(net);
		return *why = "the forecast has no net_wh series", -1;
	}
	if (numbers_of(net, &f->net, &f->slots, why) != 0)
		return -1;
	jv ex = point_of(rec, "export_wh");
	if (jv_get_kind(ex) != JV_KIND_INVALID) {
		size_t n;
		if (numbers_of(ex, &f->export_wh, &n, why) != 0 || n != f->slots) {
			if (f->export_wh)
				*why = "the forecast's export_wh and net_wh differ in length";
			planrec_forecast_free(f);
			return -1;
		}
		for (size_t t = 0; t < n; t++)
			if (f->export_wh[t] < 0) {
				planrec_forecast_free(f);
				return *why = "the forecast's export_wh has a value below 0", -1;
			}
	} else {
		jv_free(ex);
	}
	return 0;
}

/*
 * The view reader's parts. Each returns false for anything but the plain
 * shape (an escaped string, a value of another kind, a nested object a
 * view cannot hold, a value out of range): planrec_forecast then says why.
 */

/* Member m's nested object, viewed in sub. */
static bool view_object(const struct jsonview_member *m, struct jsonview *sub)
{
	const char *why;
	return m && m->kind == JV_OBJECT_SPAN && jsonview_parse(sub, m->val, m->vlen, &why) == 0;
}

/* p past JSON white space, up to end. */
static const char *past_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* An unescaped string member of under cap bytes, copied into out. */
static bool view_string(const struct jsonview_member *m, char *out, size_t cap)
{
	if (!m || m->kind != JV_STRING_SPAN || m->escaped || m->vlen >= cap)
		return false;
	memcpy(out, m->val, m->vlen);
	out[m->vlen] = '\0';
	return true;
}

/*
 * The numbers of an array's text [ … ], 1 to LQP_MAX_SLOTS of them, each
 * within ±10^12; *out allocated. The text is strict JSON (rec_strict), so
 * each element that starts with '-' or a digit is a JSON number, which
 * strtod reads as jq does: to the nearest double.
 */
static bool view_numbers(const struct jsonview_member *m, double **out, size_t *n)
{
	if (!m || m->kind != JV_ARRAY_SPAN)
		return false;
	const char *p = m->val + 1, *end = m->val + m->vlen - 1; /* within the brackets */
	double *v = xmalloc(LQP_MAX_SLOTS * sizeof *v);
	size_t k = 0;
	for (;;) {
		p = past_space(p, end);
		if (p == end || k == LQP_MAX_SLOTS || !(*p == '-' || (*p >= '0' && *p <= '9')))
			break;
		char *after;
		v[k] = strtod(p, &after);
		if (!(fabs(v[k]) <= 1e12))
			break;
		k++;
		p = past_space(after, end);
		if (p < end && *p == ',')
			p++;
		else
			break;
	}
	if (p != end || k == 0) {
		free(v);
		return false;
	}
	*out = xrealloc(v, k * sizeof *v);
	*n = k;
	return true;
}

/* Series name's "point" array of v's "series" (absent: *out NULL). */
static bool view_point(const struct jsonview *series, const char *name, double **out, size_t *n)
{
	struct jsonview one;
	*out = NULL;
	*n = 0;
	const struct jsonview_member *m = jsonview_get(series, name);
	if (!m || m->kind != JV_OBJECT_SPAN) /* not an object: as absent (point_of) */
		return true;
	if (!view_object(m, &one))
		return false;
	const struct jsonview_member *point = jsonview_get(&one, "point");
	return !point || view_numbers(point, out, n);
}

int planrec_forecast_view(const struct jsonview *v, struct plan_forecast *f)
{
	memset(f, 0, sizeof *f);
	const struct jsonview_member *m = jsonview_get(v, "meter"), *step = jsonview_get(v, "step");
	if (!m || m->kind == JV_NULL_SPAN)
		m = jsonview_get(v, "meter_id");
	char name[64], start[64];
	uint8_t addr[ETH_ADDR_SIZE];
	const char *why;
	if (m && m->kind != JV_NULL_SPAN) {
		if (!view_string(m, name, sizeof name))
			return -1;
		if (eth_address_parse(addr, name, strlen(name)) == ETH_ADDR_OK)
			eth_address_format(f->meter, addr);
		else
			strcpy(f->meter, name);
	}
	if (!view_string(jsonview_get(v, "start"), start, sizeof start) ||
	    rfc3339_parse(&f->start_ms, start, strlen(start), &why) != 0 || !step || step->kind != JV_NUMBER_SPAN)
		return -1;
	double d = strtod(step->val, NULL);
	if (!(d >= 1 && d <= 86400 && d == floor(d)))
		return -1;
	f->step_s = (int)d;
	struct jsonview series;
	size_t n;
	if (!view_object(jsonview_get(v, "series"), &series) || !view_point(&series, "net_wh", &f->net, &f->slots) || !f->net ||
	    !view_point(&series, "export_wh", &f->export_wh, &n) || (f->export_wh && n != f->slots)) {
		planrec_forecast_free(f);
		return -1;
	}
	for (size_t t = 0; f->export_wh && t < n; t++)
		if (!(f->export_wh[t] >= 0)) {
			planrec_forecast_free(f);
			return -1;
		}
	return 0;
}

void planrec_forecast_free(struct plan_forecast *f)
{
	free(f->net);
	free(f->export_wh);
	f->net = f->export_wh = NULL;
}

/* Rounded to 0.001 Wh (+ 0.0: no "-0"). */
static double milli(double v)
{
	return round(v * 1000) / 1000 + 0.0;
}

double planrec_declared(const double *plan, size_t t)
{
	return milli(plan[t]);
}

/* An empty array with room for n values: jq's arrays otherwise grow by copying every value so far. */
static jv array_for(size_t n)
{
	return jv_array_sized(n < INT_MAX ? (int)n : INT_MAX);
}

/* A member's name and colon, after a comma unless it is the object's first. */
static void put_name(struct buf *out, const char *name, bool first)
{
	if (!first)
		buf_putc(out, ',');
	jcs_string(out, name, strlen(name));
	buf_putc(out, ':');
}

static void put_number(struct buf *out, double d)
{
	HIVE_ASSERT(jcs_number(out, d) == 0); /* as jcs_append of a plan: its values are finite */
}

/*
 * v rounded to 0.001 Wh (milli) in its canonical form, as put_number
 * writes it. Below 10^12 in magnitude the thousandths k = round(1000·v)
 * have at most 15 significant digits, and a decimal of 15 or fewer reads
 * back from its nearest double as itself: the shortest form that reads
 * back to k/1000 is k/1000's own digits, written here without formatting
 * a double (a hive's bids are millions of numbers).
 */
static void put_milli(struct buf *out, double v)
{
	double k = round(v * 1000);
	if (!(fabs(k) < 1e15)) {
		put_number(out, milli(v));
		return;
	}
	long long whole = llround(k);
	unsigned long long u = whole < 0 ? 0ull - (unsigned long long)whole : (unsigned long long)whole;
	char text[24], *end = text + sizeof text, *p = end;
	unsigned frac = (unsigned)(u % 1000);
	if (frac != 0) {
		int digits = 3;
		for (; frac % 10 == 0; frac /= 10)
			digits--;
		for (int i = 0; i < digits; i++, frac /= 10)
			*--p = (char)('0' + frac % 10);
		*--p = '.';
	}
	u /= 1000;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (whole < 0)
		*--p = '-';
	buf_append(out, p, (size_t)(end - p));
}

static void put_values(struct buf *out, const char *name, const double *v, size_t n, bool first)
{
	put_name(out, name, first);
	buf_putc(out, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(out, ',');
		put_milli(out, v[i]);
	}
	buf_putc(out, ']');
}

/* The schedules in the order of their assets' names (an asset file's names are unique). */
static void put_schedules(struct buf *out, const struct lqp_plan *p)
{
	size_t order[ASSETS_MAX], n = p->nschedules;
	HIVE_ASSERT(n <= ASSETS_MAX);
	for (size_t i = 0; i < n; i++) {
		const char *name = p->schedules[i].asset->name;
		size_t j = i;
		for (; j > 0; j--) {
			const char *before = p->schedules[order[j - 1]].asset->name;
			if (jcs_compare_names(before, strlen(before), name, strlen(name)) <= 0)
				break;
			order[j] = order[j - 1];
		}
		order[j] = i;
	}
	put_name(out, "schedules", false);
	buf_putc(out, '{');
	for (size_t i = 0; i < n; i++) {
		const struct lqp_schedule *s = &p->schedules[order[i]];
		put_name(out, s->asset->name, i == 0);
		buf_putc(out, '{');
		if (s->asset->kind == ASSET_BATTERY) {
			put_values(out, "charge_wh", s->charge_wh, p->slots, true);
			put_values(out, "discharge_wh", s->discharge_wh, p->slots, false);
			put_values(out, "soc_wh", s->soc_wh, p->slots, false);
		} else {
			put_values(out, s->asset->kind == ASSET_PV ? "curtailed_wh" : "energy_wh", s->energy_wh, p->slots,
			           true);
		}
		buf_putc(out, '}');
	}
	buf_putc(out, '}');
}

void planrec_bid_canonical(struct buf *out, const char *worker, int64_t start_ms, int step_s,
                           const struct lqp_plan *p, long iteration)
{
	char start[RFC3339_SIZE];
	rfc3339_format(start, start_ms);
	/* the members in canonical order: first_wh, iteration, own_cost, plan_wh, schedules, seconds, start, type, worker */
	buf_putc(out, '{');
	put_name(out, "first_wh", true);
	put_milli(out, p->net_wh[0]);
	put_name(out, "iteration", false);
	put_number(out, (double)iteration);
	put_name(out, "own_cost", false);
	put_milli(out, p->own_cost);
	put_name(out, "plan_wh", false);
	buf_putc(out, '[');
	for (size_t t = 0; t < p->slots; t++) {
		if (t)
			buf_putc(out, ',');
		if (t == 0)
			put_number(out, round(p->net_wh[0]) + 0.0);
		else
			put_milli(out, p->net_wh[t]);
	}
	buf_putc(out, ']');
	put_schedules(out, p);
	put_name(out, "seconds", false);
	put_number(out, step_s);
	put_name(out, "start", false);
	jcs_string(out, start, strlen(start));
	put_name(out, "type", false);
	jcs_string(out, "bid", 3);
	if (worker && *worker) {
		put_name(out, "worker", false);
		jcs_string(out, worker, strlen(worker));
	}
	buf_putc(out, '}');
}

jv planrec_bid(const char *worker, int64_t start_ms, int step_s, const struct lqp_plan *p, long iteration)
{
	struct buf text = { 0 };
	planrec_bid_canonical(&text, worker, start_ms, step_s, p, iteration);
	HIVE_ASSERT(text.len < INT_MAX);
	jv bid = jv_parse_sized(text.data, (int)text.len);
	buf_free(&text);
	HIVE_ASSERT(jv_is_valid(bid));
	return bid;
}

jv planrec_bid_bound(jv bid, double bound)
{
	return jvb_set(bid, "bound", jv_number(floor(bound * 1000) / 1000 + 0.0));
}

static const char *const status_names[] = { "iterate", "converged", "stopped" };

jv planrec_signal(const struct plan_signal *s, double r, double sres)
{
	jv o = jv_object();
	o = jvb_set(o, "type", jv_string("signal"));
	if (s->hive >= 0)
		o = jvb_set(o, "hive", jv_number((double)s->hive));
	if (s->has_round)
		o = jvb_set(o, "round", jvb_time(s->round_ms));
	o = jvb_set(o, "start", jvb_time(s->start_ms));
	o = jvb_set(o, "seconds", jv_number(s->step_s));
	o = jvb_set(o, "iteration", jv_number((double)s->iteration));
	o = jvb_set(o, "rho", jv_number(s->rho));
	jv a = array_for(s->slots);
	for (size_t t = 0; t < s->slots; t++)
		a = jv_array_append(a, jv_number(s->signal[t] + 0.0));
	o = jvb_set(o, "signal_wh", a);
	if (s->price) {
		jv p = array_for(s->slots);
		for (size_t t = 0; t < s->slots; t++)
			p = jv_array_append(p, jv_number(s->price[t] + 0.0));
		o = jvb_set(o, "price", p);
	}
	if (s->has_proof) {
		o = jvb_set(o, "lower_bound", jv_number(floor(s->lower_bound) + 0.0));
		o = jvb_set(o, "proven_gap", isfinite(s->proven_gap) ? jv_number(s->proven_gap) : jv_null());
	}
	o = jvb_set(o, "status", jv_string(status_names[s->status]));
	o = jvb_set(o, "r", jv_number(r));
	return jvb_set(o, "s", jv_number(sres));
}

/* A whole number member in [0, 2^53), or -1 when absent. */
static int count_of(jv rec, const char *key, long *out, bool required, const char **why)
{
	jv v = member(rec, key);
	if (jv_get_kind(v) == JV_KIND_INVALID || jv_get_kind(v) == JV_KIND_NULL) {
		jv_free(v);
		*out = -1;
		return required ? (*why = "a required count is missing", -1) : 0;
	}
	double d = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : -1;
	jv_free(v);
	if (!(d >= 0 && d < 9007199254740992.0 && d == floor(d)))
		return *why = "a count is not a whole number ≥ 0", -1;
	*out = (long)d;
	return 0;
}

int planrec_signal_parse(jv rec, struct plan_signal *s, const char **why)
{
	memset(s, 0, sizeof *s);
	jv round = member(rec, "round");
	s->has_round = jv_get_kind(round) != JV_KIND_INVALID && jv_get_kind(round) != JV_KIND_NULL;
	jv_free(round);
	if (s->has_round && time_of(rec, "round", &s->round_ms, why) != 0)
		return -1;
	if (count_of(rec, "hive", &s->hive, false, why) != 0 || time_of(rec, "start", &s->start_ms, why) != 0 ||
	    seconds_of(rec, "seconds", &s->step_s, why) != 0 ||
	    count_of(rec, "iteration", &s->iteration, true, why) != 0)
		return -1;
	jv r = member(rec, "rho");
	s->rho = jv_get_kind(r) == JV_KIND_NUMBER ? jv_number_value(r) : -1;
	jv_free(r);
	if (!(s->rho > 0) || !isfinite(s->rho))
		return *why = "the signal's rho is not a number above 0", -1;
	jv st = member(rec, "status");
	const char *name = jv_get_kind(st) == JV_KIND_STRING ? jv_string_value(st) : "";
	size_t k = 0;
	while (k < 3 && strcmp(name, status_names[k]) != 0)
		k++;
	jv_free(st);
	if (k == 3)
		return *why = "the signal's status is not iterate, converged or stopped", -1;
	s->status = (int)k;
	if (numbers_of(member(rec, "signal_wh"), &s->signal, &s->slots, why) != 0)
		return -1;
	jv price = member(rec, "price");
	if (jv_get_kind(price) == JV_KIND_INVALID || jv_get_kind(price) == JV_KIND_NULL) {
		jv_free(price);
		return 0;
	}
	size_t n;
	if (numbers_of(price, &s->price, &n, why) != 0 || n != s->slots) {
		if (s->price)
			*why = "the signal's price and signal_wh differ in length";
		planrec_signal_free(s);
		return -1;
	}
	return 0;
}

void planrec_signal_free(struct plan_signal *s)
{
	free(s->signal);
	free(s->price);
	s->signal = s->price = NULL;
}

/* An optional finite number member: 0 (absent: *present false), or -1. */
static int optional_number(jv rec, const char *key, double *out, bool *present)
{
	jv v = member(rec, key);
	*present = jv_get_kind(v) != JV_KIND_INVALID && jv_get_kind(v) != JV_KIND_NULL;
	*out = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : *present ? NAN : 0;
	jv_free(v);
	return *present && !isfinite(*out) ? -1 : 0;
}

int planrec_bid_parse(jv rec, struct plan_bid *b, const char **why)
{
	memset(b, 0, sizeof *b);
	if (name_of(member(rec, "worker"), b->worker, why) != 0)
		return -1;
	uint8_t addr[ETH_ADDR_SIZE];
	if (!b->worker[0])
		return *why = "the bid names no worker", -1;
	if (eth_address_parse(addr, b->worker, strlen(b->worker)) != ETH_ADDR_OK)
		return *why = "the bid's worker is not an address (0x and 40 hex digits)", -1;
	if (time_of(rec, "start", &b->start_ms, why) != 0 || seconds_of(rec, "seconds", &b->step_s, why) != 0 ||
	    count_of(rec, "iteration", &b->iteration, true, why) != 0 ||
	    numbers_of(member(rec, "plan_wh"), &b->plan, &b->slots, why) != 0)
		return -1;
	if (optional_number(rec, "own_cost", &b->own_cost, &b->has_own_cost) != 0 ||
	    optional_number(rec, "bound", &b->bound, &b->has_bound) != 0) {
		planrec_bid_free(b);
		return *why = "the bid's own_cost or bound is not a number", -1;
	}
	jv first = member(rec, "first_wh");
	if (jv_get_kind(first) == JV_KIND_INVALID || jv_get_kind(first) == JV_KIND_NULL) {
		jv_free(first);
		return 0;
	}
	double f = jv_get_kind(first) == JV_KIND_NUMBER ? jv_number_value(first) : NAN;
	jv_free(first);
	if (!(fabs(f - b->plan[0]) <= 0.5)) {
		planrec_bid_free(b);
		return *why = "the bid's first_wh is not a number within 0.5 Wh of its plan's first slot", -1;
	}
	b->plan[0] = f;
	return 0;
}

void planrec_bid_free(struct plan_bid *b)
{
	free(b->plan);
	b->plan = NULL;
}
