/* fchistory.c — readings and intervals turned into regular energy series. */
#include "fchistory.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "diag.h"
#include "timeutil.h"

static const char *const reg_key[2] = { "import_wh", "export_wh" };

void fch_init(struct fch *h, int64_t max_gap_ms)
{
	memset(h, 0, sizeof *h);
	h->max_gap_ms = max_gap_ms;
}

void fch_free(struct fch *h)
{
	for (size_t i = 0; i < h->nmeters; i++) {
		free(h->meters[i].spans[0]);
		free(h->meters[i].spans[1]);
	}
	free(h->meters);
	memset(h, 0, sizeof *h);
}

/* What a record says, whichever way it was parsed. */
struct fields {
	int kind;                   /* 0 another record, 1 interval, 2 reading */
	char name[64];              /* the meter's "meter", else its "meter_id", else "" */
	bool by_address;
	bool time_ok;               /* "start" (interval) or "time" (reading) is an RFC 3339 time */
	int64_t t_ms;
	int has_seconds;            /* 0 a finite number, 1 absent, -1 not a number */
	double seconds;
	int has[2];                 /* the same for import_wh and export_wh */
	double wh[2];
	bool incomplete;            /* "complete": false */
};

static void set_name(struct fields *f, const char *s, size_t len, bool by_address)
{
	if (len >= sizeof f->name)
		len = sizeof f->name - 1;   /* long ids are cut, not refused: they only name a group */
	memcpy(f->name, s, len);
	f->name[len] = '\0';
	f->by_address = by_address;
}

static jv member(jv rec, const char *key)
{
	return jv_object_get(jv_copy(rec), jv_string(key));
}

/* 1 when absent, 0 with a finite number, -1 when present but not one. */
static int jv_number_of(jv rec, const char *key, double *out)
{
	jv v = member(rec, key);
	int rc = 1;
	if (jv_get_kind(v) == JV_KIND_NUMBER) {
		*out = jv_number_value(v);
		rc = isfinite(*out) ? 0 : -1;
	} else if (jv_get_kind(v) != JV_KIND_INVALID && jv_get_kind(v) != JV_KIND_NULL) {
		rc = -1;
	}
	jv_free(v);
	return rc;
}

static void fields_from_jv(jv rec, struct fields *f)
{
	memset(f, 0, sizeof *f);
	jv v = member(rec, "type");
	if (jv_get_kind(v) == JV_KIND_STRING)
		f->kind = strcmp(jv_string_value(v), "interval") == 0 ? 1 : strcmp(jv_string_value(v), "reading") == 0 ? 2 : 0;
	jv_free(v);
	if (f->kind == 0)
		return;
	v = member(rec, "meter");
	bool by_address = jv_get_kind(v) == JV_KIND_STRING;
	if (!by_address) {
		jv_free(v);
		v = member(rec, "meter_id");
	}
	if (jv_get_kind(v) == JV_KIND_STRING)
		set_name(f, jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)), by_address);
	jv_free(v);
	v = member(rec, f->kind == 1 ? "start" : "time");
	const char *why;
	f->time_ok = jv_get_kind(v) == JV_KIND_STRING &&
	             rfc3339_parse(&f->t_ms, jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)), &why) == 0;
	jv_free(v);
	f->has_seconds = jv_number_of(rec, "seconds", &f->seconds);
	f->has[0] = jv_number_of(rec, reg_key[0], &f->wh[0]);
	f->has[1] = jv_number_of(rec, reg_key[1], &f->wh[1]);
	v = member(rec, "complete");
	f->incomplete = jv_get_kind(v) == JV_KIND_FALSE;
	jv_free(v);
}

static int view_number_of(const struct jsonview *view, const char *key, double *out)
{
	const struct jsonview_member *m = jsonview_get(view, key);
	if (!m || m->kind == JV_NULL_SPAN)
		return 1;
	char buf[64], *end;
	if (m->kind != JV_NUMBER_SPAN || m->vlen >= sizeof buf)
		return -1;
	memcpy(buf, m->val, m->vlen);
	buf[m->vlen] = '\0';
	*out = strtod(buf, &end);   /* the view checked the JSON number grammar */
	return isfinite(*out) ? 0 : -1;
}

static bool view_is(const struct jsonview_member *m, const char *s)
{
	return m && m->kind == JV_STRING_SPAN && !m->escaped && m->vlen == strlen(s) && memcmp(m->val, s, m->vlen) == 0;
}

static void fields_from_view(const struct jsonview *view, struct fields *f, struct buf *tmp)
{
	memset(f, 0, sizeof *f);
	const struct jsonview_member *m = jsonview_get(view, "type");
	f->kind = view_is(m, "interval") ? 1 : view_is(m, "reading") ? 2 : 0;
	if (f->kind == 0)
		return;
	bool by_address = true;
	m = jsonview_get(view, "meter");
	if (!m || m->kind != JV_STRING_SPAN) {
		m = jsonview_get(view, "meter_id");
		by_address = false;
	}
	if (m && jsonview_string(m, tmp) == 0)
		set_name(f, tmp->data ? tmp->data : "", tmp->len, by_address);
	m = jsonview_get(view, f->kind == 1 ? "start" : "time");
	const char *why;
	f->time_ok = m && m->kind == JV_STRING_SPAN && !m->escaped && rfc3339_parse(&f->t_ms, m->val, m->vlen, &why) == 0;
	f->has_seconds = view_number_of(view, "seconds", &f->seconds);
	f->has[0] = view_number_of(view, reg_key[0], &f->wh[0]);
	f->has[1] = view_number_of(view, reg_key[1], &f->wh[1]);
	m = jsonview_get(view, "complete");
	f->incomplete = m && m->kind == JV_FALSE_SPAN;
}

static struct fch_meter *meter_for(struct fch *h, const struct fields *f)
{
	/* An address names one meter however its letters are cased (EIP-55 or not). */
	for (size_t i = 0; i < h->nmeters; i++)
		if (h->meters[i].named_by_address == f->by_address &&
		    (f->by_address ? strcasecmp(h->meters[i].name, f->name) : strcmp(h->meters[i].name, f->name)) == 0)
			return &h->meters[i];
	if (h->nmeters == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 8;
		h->meters = xrealloc(h->meters, h->cap * sizeof *h->meters);
	}
	struct fch_meter *m = &h->meters[h->nmeters++];
	memset(m, 0, sizeof *m);
	strcpy(m->name, f->name);
	m->named_by_address = f->by_address;
	return m;
}

static void add_span(struct fch_meter *m, int reg, int64_t t0, int64_t t1, double wh)
{
	if (m->nspans[reg] == m->capspans[reg]) {
		m->capspans[reg] = m->capspans[reg] ? 2 * m->capspans[reg] : 256;
		m->spans[reg] = xrealloc(m->spans[reg], m->capspans[reg] * sizeof *m->spans[reg]);
	}
	m->spans[reg][m->nspans[reg]++] = (struct fch_span){ t0, t1, wh };
	if (m->first_ms == 0 && m->last_ms == 0) {
		m->first_ms = t0;
		m->last_ms = t1;
	}
	if (t0 < m->first_ms)
		m->first_ms = t0;
	if (t1 > m->last_ms)
		m->last_ms = t1;
	if (reg == FCH_EXPORT && wh != 0)
		m->any_export = true;
}

/* The registers' checks both kinds share; 0 or -1 with *why. */
static int check_registers(const struct fields *f, const char **why, const char *what)
{
	for (int r = 0; r < 2; r++)
		if (f->has[r] < 0 || (f->has[r] == 0 && (f->wh[r] < 0 || f->wh[r] > FCH_MAX_WH))) {
			static char msg[2][2][64];
			snprintf(msg[f->kind - 1][r], sizeof msg[0][0], "'%s' is not %s, 0 to 2^40", reg_key[r], what);
			return *why = msg[f->kind - 1][r], -1;
		}
	if (f->has[0] && f->has[1])
		return *why = "neither 'import_wh' nor 'export_wh'", -1;
	return 0;
}

static int add_interval(struct fch *h, const struct fields *f, const char **why)
{
	if (!f->time_ok)
		return *why = "no valid 'start' time", -1;
	if (f->has_seconds != 0 || f->seconds < 1 || f->seconds > 31 * 86400.0 || f->seconds != floor(f->seconds))
		return *why = "no whole number of 'seconds' (1 s to 31 days)", -1;
	if (check_registers(f, why, "a number of Wh") != 0)
		return -1;
	struct fch_meter *m = meter_for(h, f);
	for (int r = 0; r < 2; r++)
		if (f->has[r] == 0)
			m->has[r] = true;
	if (f->incomplete)
		return 0;   /* part of the slot is unknown: a gap, not a low value */
	for (int r = 0; r < 2; r++)
		if (f->has[r] == 0)
			add_span(m, r, f->t_ms, f->t_ms + (int64_t)f->seconds * 1000, f->wh[r]);
	return 0;
}

static int add_reading(struct fch *h, const struct fields *f, const char **why)
{
	if (!f->time_ok)
		return *why = "no valid 'time'", -1;
	if (check_registers(f, why, "a register in Wh") != 0)
		return -1;
	struct fch_meter *m = meter_for(h, f);
	int64_t t = f->t_ms;
	if (m->have_reading && t <= m->reading_ms)
		return *why = "not after the meter's previous reading", -1;
	for (int r = 0; r < 2; r++) {
		if (f->has[r] != 0)
			continue;
		m->has[r] = true;
		if (!m->have_reading || !m->reading_has[r])
			continue;
		double d = f->wh[r] - m->reading_wh[r];
		if (d < 0)
			m->resets++;   /* a reset or a new meter: the span's energy is unknown */
		else if (t - m->reading_ms > h->max_gap_ms)
			m->long_gaps++;
		else
			add_span(m, r, m->reading_ms, t, d);
	}
	m->have_reading = true;
	m->reading_ms = t;
	if (t > m->seen_ms)
		m->seen_ms = t;
	for (int r = 0; r < 2; r++) {
		m->reading_has[r] = f->has[r] == 0;
		if (f->has[r] == 0)
			m->reading_wh[r] = f->wh[r];
	}
	return 0;
}

static int add_fields(struct fch *h, const struct fields *f, const char **why)
{
	if (f->kind == 1)
		return add_interval(h, f, why);
	if (f->kind == 2)
		return add_reading(h, f, why);
	return 1;
}

int fch_add(struct fch *h, jv rec, const char **why)
{
	struct fields f;
	fields_from_jv(rec, &f);
	return add_fields(h, &f, why);
}

int fch_add_view(struct fch *h, const struct jsonview *view, const char **why)
{
	struct fields f;
	struct buf tmp = { 0 };
	fields_from_view(view, &f, &tmp);
	buf_free(&tmp);
	return add_fields(h, &f, why);
}

static int span_cmp(const void *a, const void *b)
{
	const struct fch_span *x = a, *y = b;
	if (x->t0_ms != y->t0_ms)
		return x->t0_ms < y->t0_ms ? -1 : 1;
	return (x->t1_ms > y->t1_ms) - (x->t1_ms < y->t1_ms);
}

void fch_finish(struct fch *h)
{
	for (size_t i = 0; i < h->nmeters; i++) {
		struct fch_meter *m = &h->meters[i];
		for (int r = 0; r < 2; r++) {
			struct fch_span *s = m->spans[r];
			size_t kept = 0;
			/* A stable order for equal starts: the input order must not decide what is kept. */
			qsort(s, m->nspans[r], sizeof *s, span_cmp);
			for (size_t j = 0; j < m->nspans[r]; j++) {
				if (kept > 0 && s[j].t0_ms < s[kept - 1].t1_ms) {
					m->overlaps++;
					continue;
				}
				s[kept++] = s[j];
			}
			m->nspans[r] = kept;
		}
	}
}

/* The first span that ends after t (spans are in order and disjoint). */
static size_t first_ending_after(const struct fch_span *s, size_t n, int64_t t)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s[mid].t1_ms <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void fch_series(const struct fch_meter *m, enum fch_register reg, int64_t begin_ms, int64_t step_ms, size_t n,
                double *out)
{
	const struct fch_span *s = m->spans[reg];
	size_t ns = m->nspans[reg];
	size_t j = first_ending_after(s, ns, begin_ms);
	for (size_t i = 0; i < n; i++) {
		int64_t a = begin_ms + (int64_t)i * step_ms, b = a + step_ms, covered = 0;
		double wh = 0;
		while (j < ns && s[j].t1_ms <= a)
			j++;
		for (size_t k = j; k < ns && s[k].t0_ms < b; k++) {
			int64_t lo = s[k].t0_ms > a ? s[k].t0_ms : a, hi = s[k].t1_ms < b ? s[k].t1_ms : b;
			covered += hi - lo;
			wh += s[k].wh * (double)(hi - lo) / (double)(s[k].t1_ms - s[k].t0_ms);
		}
		out[i] = covered == step_ms ? wh : NAN;
	}
}
