/* fchistory.c — readings and intervals turned into regular energy series. */
#include "fchistory.h"

#include <ctype.h>
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
		free(h->meters[i].readings);
	}
	free(h->meters);
	keymap_free(&h->index);
	memset(h, 0, sizeof *h);
}

/* What a record says, whichever way it was parsed. */
struct fields {
	int kind;                   /* 0 another record, 1 interval, 2 reading */
	char name[64];              /* the meter's "meter", else its "meter_id", else "" */
	bool name_too_long;
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
	if (len >= sizeof f->name) {
		f->name_too_long = true;   /* refused: cut, two meters could become one */
		return;
	}
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
	if (m->kind != JV_NUMBER_SPAN)
		return -1;
	/* The view checked the JSON number grammar; a ',' or '}' follows it in the line. */
	char *end;
	*out = strtod(m->val, &end);
	return end == m->val + m->vlen && isfinite(*out) ? 0 : -1;
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

/* 0x and 40 hex digits: an address, the same meter in any letter case. */
static bool is_address(const char *s)
{
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || strlen(s) != 42)
		return false;
	for (size_t i = 2; i < 42; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static struct fch_meter *meter_for(struct fch *h, const struct fields *f)
{
	char key[sizeof f->name + 1];
	size_t len = strlen(f->name);
	key[0] = f->by_address ? 'a' : 'i';   /* an id and an address of the same text are two meters */
	for (size_t i = 0; i <= len; i++)
		key[1 + i] = f->by_address && is_address(f->name) ? (char)tolower((unsigned char)f->name[i]) : f->name[i];
	uint32_t at;
	if (keymap_get(&h->index, key, len + 1, &at))
		return &h->meters[at];
	if (h->nmeters == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 8;
		h->meters = xrealloc(h->meters, h->cap * sizeof *h->meters);
	}
	keymap_put(&h->index, key, len + 1, (uint32_t)h->nmeters);
	struct fch_meter *m = &h->meters[h->nmeters++];
	memset(m, 0, sizeof *m);
	strcpy(m->name, f->name);
	m->named_by_address = f->by_address;
	return m;
}

static void add_span(struct fch_meter *m, int reg, int64_t t0, int64_t t1, double wh)
{
	if (m->nspans[reg] == m->capspans[reg]) {
		m->capspans[reg] = m->capspans[reg] ? 2 * m->capspans[reg] : 16;
		m->spans[reg] = xrealloc(m->spans[reg], m->capspans[reg] * sizeof *m->spans[reg]);
	}
	m->spans[reg][m->nspans[reg]++] = (struct fch_span){ t0, t1, wh };
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
	if (f->name_too_long)
		return *why = "a meter name of more than 63 bytes", -1;
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
	if (f->name_too_long)
		return *why = "a meter name of more than 63 bytes", -1;
	if (!f->time_ok)
		return *why = "no valid 'time'", -1;
	if (check_registers(f, why, "a register in Wh") != 0)
		return -1;
	struct fch_meter *m = meter_for(h, f);
	if (m->nreadings == m->capreadings) {
		m->capreadings = m->capreadings ? 2 * m->capreadings : 16;
		m->readings = xrealloc(m->readings, m->capreadings * sizeof *m->readings);
	}
	struct fch_reading *r = &m->readings[m->nreadings++];
	*r = (struct fch_reading){ .t_ms = f->t_ms };
	for (int k = 0; k < 2; k++) {
		r->has[k] = f->has[k] == 0;
		r->wh[k] = r->has[k] ? f->wh[k] : 0;
		if (r->has[k])
			m->has[k] = true;
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
	if (x->t1_ms != y->t1_ms)
		return x->t1_ms < y->t1_ms ? -1 : 1;
	return (x->wh > y->wh) - (x->wh < y->wh);
}

/* Finer first; then by time and energy, so the order is total and the input's never matters. */
static int finer_cmp(const void *a, const void *b)
{
	const struct fch_span *x = a, *y = b;
	int64_t dx = x->t1_ms - x->t0_ms, dy = y->t1_ms - y->t0_ms;
	if (dx != dy)
		return dx < dy ? -1 : 1;
	return span_cmp(a, b);
}

static int reading_cmp(const void *a, const void *b)
{
	const struct fch_reading *x = a, *y = b;
	if (x->t_ms != y->t_ms)
		return x->t_ms < y->t_ms ? -1 : 1;
	for (int k = 0; k < 2; k++) {
		if (x->has[k] != y->has[k])
			return x->has[k] ? 1 : -1;
		if (x->wh[k] != y->wh[k])
			return x->wh[k] < y->wh[k] ? -1 : 1;
	}
	return 0;
}

/* Readings in time order, repeats counted once, two different ones of one time both dropped; then spans. */
static void readings_to_spans(struct fch_meter *m, int64_t max_gap_ms)
{
	struct fch_reading *r = m->readings;
	size_t n = m->nreadings, kept = 0;
	if (n > 1)   /* qsort must not get NULL, even for nothing */
		qsort(r, n, sizeof *r, reading_cmp);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		bool differ = false;
		while (j < n && r[j].t_ms == r[i].t_ms) {
			differ |= reading_cmp(&r[j], &r[i]) != 0;
			j++;
		}
		if (differ)
			m->conflicts += j - i;
		else {
			m->repeats += j - i - 1;
			r[kept++] = r[i];
		}
		i = j;
	}
	for (size_t i = 1; i < kept; i++)
		for (int k = 0; k < 2; k++) {
			if (!r[i].has[k] || !r[i - 1].has[k])
				continue;
			double d = r[i].wh[k] - r[i - 1].wh[k];
			if (d < 0)
				m->resets++;   /* a reset or a new meter: the span's energy is unknown */
			else if (r[i].t_ms - r[i - 1].t_ms > max_gap_ms)
				m->long_gaps++;
			else
				add_span(m, k, r[i - 1].t_ms, r[i].t_ms, d);
		}
	free(m->readings);
	m->readings = NULL;
	m->nreadings = m->capreadings = 0;
}

/* The index of the first of sorted spans a[0..n) that ends after t. */
static size_t first_ending_after(const struct fch_span *s, size_t n, int64_t t);

/* Keeps the finest of a cluster of overlapping spans, c[0..n), into out (in time order); returns how many. */
static size_t resolve_cluster(struct fch_span *c, size_t n, struct fch_span *out)
{
	size_t k = 0;
	qsort(c, n, sizeof *c, finer_cmp);
	for (size_t i = 0; i < n; i++) {
		size_t at = first_ending_after(out, k, c[i].t0_ms);
		if (at < k && out[at].t0_ms < c[i].t1_ms)
			continue;   /* overlaps a finer span kept */
		memmove(out + at + 1, out + at, (k - at) * sizeof *out);
		out[at] = c[i];
		k++;
	}
	return k;
}

static void resolve_spans(struct fch_meter *m, int reg)
{
	struct fch_span *s = m->spans[reg];
	size_t n = m->nspans[reg], kept = 0;
	if (n > 1)
		qsort(s, n, sizeof *s, span_cmp);
	/* Exact repeats count once; different energies for one span contradict each other. */
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		bool differ = false;
		while (j < n && s[j].t0_ms == s[i].t0_ms && s[j].t1_ms == s[i].t1_ms) {
			differ |= s[j].wh != s[i].wh;
			j++;
		}
		if (differ)
			m->conflicts += j - i;
		else {
			m->repeats += j - i - 1;
			s[kept++] = s[i];
		}
		i = j;
	}
	/* Clusters of spans that overlap: the finer are kept. */
	struct fch_span *out = xmalloc((kept ? kept : 1) * sizeof *out);
	size_t nout = 0;
	for (size_t i = 0; i < kept;) {
		size_t j = i + 1;
		int64_t end = s[i].t1_ms;
		while (j < kept && s[j].t0_ms < end) {
			if (s[j].t1_ms > end)
				end = s[j].t1_ms;
			j++;
		}
		size_t got = j - i == 1 ? (out[nout] = s[i], 1) : resolve_cluster(s + i, j - i, out + nout);
		m->coarse += j - i - got;
		nout += got;
		i = j;
	}
	free(s);
	m->spans[reg] = out;
	m->nspans[reg] = m->capspans[reg] = nout;
	if (nout == 0) {
		free(out);
		m->spans[reg] = NULL;
		m->capspans[reg] = 0;
	}
}

void fch_finish(struct fch *h)
{
	for (size_t i = 0; i < h->nmeters; i++) {
		struct fch_meter *m = &h->meters[i];
		readings_to_spans(m, h->max_gap_ms);
		bool any = false;
		for (int r = 0; r < 2; r++) {
			resolve_spans(m, r);
			for (size_t j = 0; j < m->nspans[r]; j++) {
				const struct fch_span *sp = &m->spans[r][j];
				if (!any || sp->t0_ms < m->first_ms)
					m->first_ms = sp->t0_ms;
				if (!any || sp->t1_ms > m->last_ms)
					m->last_ms = sp->t1_ms;
				any = true;
				if (r == FCH_EXPORT && sp->wh != 0)
					m->any_export = true;
			}
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
	int64_t grid_end = begin_ms + (int64_t)n * step_ms;
	for (size_t i = 0; i < n; i++) {
		int64_t a = begin_ms + (int64_t)i * step_ms, b = a + step_ms, covered = 0;
		double wh = 0;
		while (j < ns && s[j].t1_ms <= a)
			j++;
		for (size_t k = j; k < ns && s[k].t0_ms < b; k++) {
			if (s[k].t1_ms > grid_end)
				continue;   /* known only after the grid's end: not yet at its end */
			int64_t lo = s[k].t0_ms > a ? s[k].t0_ms : a, hi = s[k].t1_ms < b ? s[k].t1_ms : b;
			covered += hi - lo;
			wh += s[k].wh * (double)(hi - lo) / (double)(s[k].t1_ms - s[k].t0_ms);
		}
		out[i] = covered == step_ms ? wh : NAN;
	}
}

const char *fch_label(const char *name)
{
	return name[0] ? name : "(unnamed)";
}
