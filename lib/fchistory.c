/* fchistory.c — readings and intervals turned into regular energy series. */
#include "fchistory.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

static jv member(jv rec, const char *key)
{
	return jv_object_get(jv_copy(rec), jv_string(key));
}

static int get_time(jv rec, const char *key, int64_t *ms)
{
	jv v = member(rec, key);
	const char *why;
	int rc = jv_get_kind(v) == JV_KIND_STRING &&
	                 rfc3339_parse(ms, jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)), &why) == 0
	             ? 0
	             : -1;
	jv_free(v);
	return rc;
}

/* 1 when absent, 0 with a finite number, -1 when present but not one. */
static int get_number(jv rec, const char *key, double *out)
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

static struct fch_meter *meter_for(struct fch *h, jv rec)
{
	char name[sizeof h->meters[0].name] = "";
	bool by_address = false;
	jv v = member(rec, "meter");
	if (jv_get_kind(v) != JV_KIND_STRING) {
		jv_free(v);
		v = member(rec, "meter_id");
	} else {
		by_address = true;
	}
	if (jv_get_kind(v) == JV_KIND_STRING) {
		size_t len = (size_t)jv_string_length_bytes(jv_copy(v));
		if (len >= sizeof name)
			len = sizeof name - 1;   /* long ids are cut, not refused: they only name a group */
		memcpy(name, jv_string_value(v), len);
		name[len] = '\0';
	}
	jv_free(v);
	for (size_t i = 0; i < h->nmeters; i++)
		if (strcmp(h->meters[i].name, name) == 0)
			return &h->meters[i];
	if (h->nmeters == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 8;
		h->meters = xrealloc(h->meters, h->cap * sizeof *h->meters);
	}
	struct fch_meter *m = &h->meters[h->nmeters++];
	memset(m, 0, sizeof *m);
	strcpy(m->name, name);
	m->named_by_address = by_address;
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

static int add_interval(struct fch *h, jv rec, const char **why)
{
	int64_t start;
	double seconds, wh[2];
	int has[2];
	if (get_time(rec, "start", &start) != 0)
		return *why = "no valid 'start' time", -1;
	if (get_number(rec, "seconds", &seconds) != 0 || seconds < 1 || seconds > 31 * 86400.0 ||
	    seconds != floor(seconds))
		return *why = "no whole number of 'seconds' (1 s to 31 days)", -1;
	for (int r = 0; r < 2; r++) {
		has[r] = get_number(rec, reg_key[r], &wh[r]);
		if (has[r] < 0 || (has[r] == 0 && wh[r] < 0))
			return *why = r == 0 ? "'import_wh' is not a number of Wh, 0 or more"
			                     : "'export_wh' is not a number of Wh, 0 or more",
			       -1;
	}
	if (has[0] && has[1])
		return *why = "neither 'import_wh' nor 'export_wh'", -1;
	jv c = member(rec, "complete");
	bool incomplete = jv_get_kind(c) == JV_KIND_FALSE;
	jv_free(c);
	struct fch_meter *m = meter_for(h, rec);
	for (int r = 0; r < 2; r++)
		if (has[r] == 0)
			m->has[r] = true;
	if (incomplete)
		return 0;   /* part of the slot is unknown: a gap, not a low value */
	for (int r = 0; r < 2; r++)
		if (has[r] == 0)
			add_span(m, r, start, start + (int64_t)seconds * 1000, wh[r]);
	return 0;
}

static int add_reading(struct fch *h, jv rec, const char **why)
{
	int64_t t;
	double wh[2];
	int has[2];
	if (get_time(rec, "time", &t) != 0)
		return *why = "no valid 'time'", -1;
	for (int r = 0; r < 2; r++) {
		has[r] = get_number(rec, reg_key[r], &wh[r]);
		if (has[r] < 0 || (has[r] == 0 && wh[r] < 0))
			return *why = r == 0 ? "'import_wh' is not a register in Wh, 0 or more"
			                     : "'export_wh' is not a register in Wh, 0 or more",
			       -1;
	}
	if (has[0] && has[1])
		return *why = "neither 'import_wh' nor 'export_wh'", -1;
	struct fch_meter *m = meter_for(h, rec);
	if (m->have_reading && t <= m->reading_ms)
		return *why = "not after the meter's previous reading", -1;
	for (int r = 0; r < 2; r++) {
		if (has[r] != 0)
			continue;
		m->has[r] = true;
		if (!m->have_reading || !m->reading_has[r])
			continue;
		double d = wh[r] - m->reading_wh[r];
		if (d < 0)
			m->resets++;   /* a reset or a new meter: the span's energy is unknown */
		else if (t - m->reading_ms > h->max_gap_ms)
			m->long_gaps++;
		else
			add_span(m, r, m->reading_ms, t, d);
	}
	m->have_reading = true;
	m->reading_ms = t;
	for (int r = 0; r < 2; r++) {
		m->reading_has[r] = has[r] == 0;
		if (has[r] == 0)
			m->reading_wh[r] = wh[r];
	}
	return 0;
}

int fch_add(struct fch *h, jv rec, const char **why)
{
	jv type = member(rec, "type");
	int kind = 0;
	if (jv_get_kind(type) == JV_KIND_STRING) {
		if (strcmp(jv_string_value(type), "interval") == 0)
			kind = 1;
		else if (strcmp(jv_string_value(type), "reading") == 0)
			kind = 2;
	}
	jv_free(type);
	if (kind == 1)
		return add_interval(h, rec, why);
	if (kind == 2)
		return add_reading(h, rec, why);
	return 1;
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
