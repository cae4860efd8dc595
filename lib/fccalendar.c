/* fccalendar.c — holiday files and exogenous CSV series for hive-forecast. */
#include "fccalendar.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "timeutil.h"

static int cmp_day(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int load_holidays(struct fc_calendar *c, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		diag_warn_errno("holidays '%s'", path);
		return HIVE_EINPUT;
	}
	int rc = fc_holidays_read(c, f, path);
	fclose(f);
	return rc;
}

int fc_holidays_read(struct fc_calendar *c, FILE *f, const char *path)
{
	char *line = NULL;
	size_t cap = 0, size = 0;
	unsigned long lineno = 0;
	int rc = HIVE_OK;
	while (getline(&line, &size, f) > 0) {
		lineno++;
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#' || *p == '\n' || *p == '\r' || *p == '\0')
			continue;
		char date[11];
		size_t n = strcspn(p, " \t\r\n");
		int64_t y;
		int mo, d;
		if (n != 10 || (memcpy(date, p, 10), date[10] = '\0', tz_parse_date(date, &y, &mo, &d) != 0)) {
			diag_warn("holidays '%s' line %lu: not a date YYYY-MM-DD", path, lineno);
			rc = HIVE_EINPUT;
			break;
		}
		if (c->ndays == cap) {
			cap = cap ? 2 * cap : 32;
			c->days = xrealloc(c->days, cap * sizeof *c->days);
		}
		c->days[c->ndays++] = days_from_civil(y, (unsigned)mo, (unsigned)d);
	}
	free(line);
	if (rc == HIVE_OK && ferror(f)) {
		diag_warn_errno("holidays '%s'", path);
		rc = HIVE_EINPUT;
	}
	if (rc == HIVE_OK && c->ndays) {
		qsort(c->days, c->ndays, sizeof *c->days, cmp_day);
		size_t k = 1;
		for (size_t i = 1; i < c->ndays; i++)
			if (c->days[i] != c->days[k - 1])
				c->days[k++] = c->days[i];
		c->ndays = k;
	}
	return rc;
}

int fc_calendar_load(struct fc_calendar *c, const char *zone, const char *holidays)
{
	memset(c, 0, sizeof *c);
	if (zone) {
		const char *why;
		if (tz_load_any(&c->tz, zone, &why) != 0) {
			diag_warn("--tz '%s': %s", zone, why);
			return HIVE_EUSAGE;
		}
	}
	return holidays ? load_holidays(c, holidays) : HIVE_OK;
}

void fc_calendar_free(struct fc_calendar *c)
{
	tz_free(c->tz);
	free(c->days);
	memset(c, 0, sizeof *c);
}

/* --- exogenous CSV ------------------------------------------------------ */

struct exog_parse {
	struct fc_exog *e;
	const char *path;
	unsigned long row;          /* 1-based rows as libcsv ends them */
	size_t field;
	size_t cap;
	double vals[FC_MAXEXOG];
	int64_t t;
	const char *error;
	unsigned long error_row;    /* 1-based row the error is in */
	bool failed;
};

static void fail(struct exog_parse *p, const char *why)
{
	if (!p->failed) {
		p->failed = true;
		p->error = why;
		p->error_row = p->row + 1;
	}
}

static void on_field(void *data, size_t len, void *arg)
{
	struct exog_parse *p = arg;
	const char *s = data;
	size_t f = p->field++;
	if (p->failed)
		return;
	if (p->row == 0) {   /* the header */
		if (f == 0)
			return;
		if (f > FC_MAXEXOG)
			return fail(p, "more exogenous columns than hive-forecast takes (8)");
		p->e->names[f - 1] = xmalloc(len + 1);
		memcpy(p->e->names[f - 1], s, len);
		p->e->names[f - 1][len] = '\0';
		p->e->ncols = f;
		return;
	}
	if (f == 0) {
		const char *why;
		if (rfc3339_parse(&p->t, s, len, &why) != 0)
			return fail(p, "the time is not an RFC 3339 time");
		return;
	}
	if (f > p->e->ncols)
		return fail(p, "more fields than the header");
	if (len == 0) {
		p->vals[f - 1] = NAN;
		return;
	}
	char buf[64], *end;
	if (len >= sizeof buf)
		return fail(p, "a value is not a number");
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	double v = strtod(buf, &end);
	if (*end != '\0' || errno != 0 || !isfinite(v))
		return fail(p, "a value is not a number");
	p->vals[f - 1] = v;
}

static void on_row(int c, void *arg)
{
	struct exog_parse *p = arg;
	struct fc_exog *e = p->e;
	size_t fields = p->field;
	p->field = 0;
	if (p->failed)
		return;
	if (p->row == 0) {
		if (e->ncols == 0)
			fail(p, "the header names no series after the time column");
		p->row++;
		return;
	}
	if (fields != e->ncols + 1)
		return fail(p, "not as many fields as the header");
	if (e->nrows > 0 && p->t <= e->t_ms[e->nrows - 1])
		return fail(p, "the time is not after the previous row's");
	if (e->nrows == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 256;
		e->t_ms = xrealloc(e->t_ms, p->cap * sizeof *e->t_ms);
		e->values = xrealloc(e->values, p->cap * e->ncols * sizeof *e->values);
	}
	e->t_ms[e->nrows] = p->t;
	memcpy(e->values + e->nrows * e->ncols, p->vals, e->ncols * sizeof *e->values);
	e->nrows++;
	p->row++;
}

int fc_exog_load(struct fc_exog *e, const char *path)
{
	memset(e, 0, sizeof *e);
	FILE *f = fopen(path, "rb");
	if (!f) {
		diag_warn_errno("exogenous series '%s'", path);
		return HIVE_EINPUT;
	}
	int rc = fc_exog_read(e, f, path);
	fclose(f);
	return rc;
}

int fc_exog_read(struct fc_exog *e, FILE *f, const char *path)
{
	memset(e, 0, sizeof *e);
	struct csv_parser parser;
	struct exog_parse p = { .e = e, .path = path };
	HIVE_ASSERT(csv_init(&parser, 0) == 0);
	char chunk[8192];
	size_t n;
	while (!p.failed && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (csv_parse(&parser, chunk, n, on_field, on_row, &p) != n)
			fail(&p, csv_strerror(csv_error(&parser)));
	int rc = HIVE_OK;
	if (ferror(f)) {
		diag_warn_errno("exogenous series '%s'", path);
		rc = HIVE_EINPUT;
	} else {
		if (!p.failed)
			csv_fini(&parser, on_field, on_row, &p);
		if (p.failed) {
			diag_warn("exogenous series '%s' row %lu: %s", path, p.error_row, p.error);
			rc = HIVE_EINPUT;
		} else if (e->nrows == 0) {
			diag_warn("exogenous series '%s': no rows", path);
			rc = HIVE_EINPUT;
		}
	}
	csv_free(&parser);
	if (rc != HIVE_OK)
		fc_exog_free(e);
	return rc;
}

void fc_exog_free(struct fc_exog *e)
{
	for (size_t i = 0; i < FC_MAXEXOG; i++)
		free(e->names[i]);
	free(e->t_ms);
	free(e->values);
	memset(e, 0, sizeof *e);
}
