/*
 * fuzz_forecast — what hive-forecast reads. Lines starting with "H" are a
 * holiday file, lines starting with "X" an exogenous CSV file, the rest
 * records. Each record that passes the strict check is given to the history
 * twice, once as a flat view and once as a jq value, and both histories
 * must agree; then every meter's series is forecast on a short grid.
 * Each record is also read as a planner's forecast (planrec.h), from the
 * view and from the jq value: what the view reader reads, the jq reader
 * must read the same, to the bit.
 * Checks: nothing crashes or leaks; the two parsers take the same spans;
 * forecasts of a history of sane magnitudes (under 10^9 Wh) are finite.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "fccalendar.h"
#include "fchistory.h"
#include "forecast.h"
#include "jsonscan.h"
#include "jsonview.h"
#include "planrec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok)
{
	if (!ok)
		abort();
}

static void record(struct fch *a, struct fch *b, const char *line, size_t len)
{
	struct jsonview v;
	const char *why, *why2;
	size_t off;
	if (jsonscan_check(line, len, &off, &why) < 0 || jsonview_parse(&v, line, len, &why) != 0)
		return;
	jv value = jv_parse_sized(line, (int)len);
	require(jv_is_valid(value));
	int ra = fch_add_view(a, &v, &why), rb = fch_add(b, value, &why2);
	require(ra == rb);
	/* a planner's forecast reader from the view: what it reads, the jq reader reads the same */
	struct plan_forecast fv, fj;
	int rj = planrec_forecast(value, &fj, &why2);
	jv_free(value);
	if (planrec_forecast_view(&v, &fv) == 0) {
		require(rj == 0 && strcmp(fv.meter, fj.meter) == 0 && fv.start_ms == fj.start_ms && fv.step_s == fj.step_s &&
		        fv.slots == fj.slots && memcmp(fv.net, fj.net, fv.slots * sizeof *fv.net) == 0 &&
		        (fv.export_wh == NULL) == (fj.export_wh == NULL) &&
		        (!fv.export_wh || memcmp(fv.export_wh, fj.export_wh, fv.slots * sizeof *fv.export_wh) == 0));
		planrec_forecast_free(&fv);
	}
	if (rj == 0)
		planrec_forecast_free(&fj);
}

static void forecast_meter(const struct fch_meter *m, const struct fc_calendar *cal)
{
	enum { STEP = 900000, MAXN = 8 * 96 };
	if (m->nspans[0] == 0)
		return;
	double y[MAXN];
	int64_t t0 = m->first_ms - m->first_ms % STEP;
	int64_t span = (m->last_ms - t0) / STEP;
	size_t n = span > MAXN ? MAXN : span < 1 ? 1 : (size_t)span;
	fch_series(m, FCH_IMPORT, t0, STEP, n, y);
	struct fc_config c = { .step_ms = STEP, .horizon = 96, .nq = 2, .q = { 0.1, 0.9 }, .inner_origins = 3,
	                       .window_days = 14, .nonneg = true, .tz = cal->tz, .holidays = cal->days,
	                       .nholidays = cal->ndays };
	bool sane = true;
	for (size_t i = 0; i < n; i++)
		sane &= isnan(y[i]) || fabs(y[i]) < 1e9;
	struct fc_series s = { y, n, t0 };
	struct fc_result r;
	require(fc_forecast(&c, &s, FC_AUTO, &r) == 0);
	for (size_t k = 0; sane && k < c.horizon; k++)
		require(isfinite(r.point[k]) && isfinite(r.q[k]) && isfinite(r.q[c.horizon + k]) && r.q[k] <= r.q[c.horizon + k]);
	fc_result_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;
	if (!quiet) {
		diag_init("fuzz_forecast");
		diag_redirect(fopen("/dev/null", "w"));
		quiet = true;
	}
	struct fch a, b;
	struct buf holidays = { 0 }, exog = { 0 };
	fch_init(&a, 3600000);
	fch_init(&b, 3600000);
	const char *p = (const char *)data, *end = p + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (len > 0 && (p[0] == 'H' || p[0] == 'X')) {
			struct buf *to = p[0] == 'H' ? &holidays : &exog;
			buf_append(to, p + 1, len - 1);
			buf_putc(to, '\n');
		} else {
			record(&a, &b, p, len);
		}
		p += len + 1;
	}
	fch_finish(&a);
	fch_finish(&b);
	require(a.nmeters == b.nmeters);
	for (size_t i = 0; i < a.nmeters; i++)
		for (int r = 0; r < 2; r++) {
			require(a.meters[i].nspans[r] == b.meters[i].nspans[r]);
			require(a.meters[i].nspans[r] == 0 ||
			        memcmp(a.meters[i].spans[r], b.meters[i].spans[r], a.meters[i].nspans[r] * sizeof(struct fch_span)) == 0);
		}
	struct fc_calendar cal = { 0 };
	if (holidays.len) {
		FILE *f = fmemopen(holidays.data, holidays.len, "r");
		require(f != NULL);
		(void)fc_holidays_read(&cal, f, "fuzz");
		fclose(f);
	}
	if (exog.len) {
		struct fc_exog e;
		FILE *f = fmemopen(exog.data, exog.len, "r");
		require(f != NULL);
		if (fc_exog_read(&e, f, "fuzz") == 0) {
			for (size_t i = 1; i < e.nrows; i++)
				require(e.t_ms[i] > e.t_ms[i - 1]);
			fc_exog_free(&e);
		}
		fclose(f);
	}
	for (size_t i = 0; i < a.nmeters && i < 4; i++)
		forecast_meter(&a.meters[i], &cal);
	fc_calendar_free(&cal);
	fch_free(&a);
	fch_free(&b);
	buf_free(&holidays);
	buf_free(&exog);
	return 0;
}
