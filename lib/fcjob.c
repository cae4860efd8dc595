/* fcjob.c — forecast records per Worker, and the backtest's records and table. */
#include "fcjob.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag.h"
#include "jcs.h"
#include "jvbuild.h"
#include "timeutil.h"

enum { S_IMPORT, S_EXPORT, S_NET, S_N };

#define TIME_MAX_MS 253402300800000LL   /* 10000-01-01T00:00:00Z: RFC 3339 has four digits of year */
static const char *const series_names[S_N] = { "import_wh", "export_wh", "net_wh" };

struct grid {
	int64_t t0_ms, step_ms;
	size_t n;                  /* history slots before the origin (or the end) */
};

/*
 * Which series a meter has: import and export as its records carry them
 * (an export that is always 0 beside an import is left out), and net.
 * *net_of is S_IMPORT when net is the import, S_EXPORT when it is minus the
 * export (no import register), S_NET when it is a series of its own.
 */
static void meter_series(const struct fch_meter *m, bool has[S_N], int *net_of)
{
	has[S_IMPORT] = m->has[FCH_IMPORT];
	has[S_EXPORT] = m->has[FCH_EXPORT] && (m->any_export || !m->has[FCH_IMPORT]);
	has[S_NET] = has[S_IMPORT] || has[S_EXPORT];
	*net_of = !has[S_EXPORT] ? S_IMPORT : !has[S_IMPORT] ? S_EXPORT : S_NET;
}

/* Levels that pair up around 50 % (10/50/90): minus a quantile at τ is one at 1 − τ. */
static bool symmetric_levels(const struct fc_config *cfg)
{
	for (size_t i = 0; i < cfg->nq; i++)
		if (fabs(cfg->q[i] + cfg->q[cfg->nq - 1 - i] - 1) > 1e-9)
			return false;
	return true;
}

/* Net of a meter without import: minus its export's forecast, the quantiles mirrored. */
static void negate_result(const struct fc_config *cfg, const struct fc_result *in, struct fc_result *out)
{
	size_t H = cfg->horizon;
	*out = *in;
	out->point = xmalloc(H * sizeof *out->point);
	out->q = xmalloc((cfg->nq ? cfg->nq : 1) * H * sizeof *out->q);
	for (size_t t = 0; t < H; t++) {
		out->point[t] = -in->point[t];
		for (size_t i = 0; i < cfg->nq; i++)
			out->q[i * H + t] = -in->q[(cfg->nq - 1 - i) * H + t];
	}
}

/* Fills out[0..n) with the series on the grid. */
static void build_series(const struct fch_meter *m, int which, const struct grid *g, double *out, double *tmp)
{
	if (which == S_IMPORT || which == S_EXPORT) {
		fch_series(m, which == S_IMPORT ? FCH_IMPORT : FCH_EXPORT, g->t0_ms, g->step_ms, g->n, out);
		return;
	}
	bool imp = m->has[FCH_IMPORT], exp = m->has[FCH_EXPORT] && m->any_export;
	if (imp)
		fch_series(m, FCH_IMPORT, g->t0_ms, g->step_ms, g->n, out);
	else
		for (size_t i = 0; i < g->n; i++)
			out[i] = 0;
	if (exp) {
		fch_series(m, FCH_EXPORT, g->t0_ms, g->step_ms, g->n, tmp);
		for (size_t i = 0; i < g->n; i++)
			out[i] -= tmp[i];
	}
}

/*
 * The exogenous series on the grid: the mean of the values whose time falls
 * in each slot; a slot without one holds the last value for up to an hour.
 */
static double *lay_exog(const struct fcjob *job, const struct grid *g, size_t len)
{
	if (job->nexog == 0)
		return NULL;
	double *v = xmalloc(job->nexog * len * sizeof *v);
	size_t *cnt = xcalloc(len, sizeof *cnt);
	for (size_t i = 0; i < job->nexog * len; i++)
		v[i] = 0;
	for (size_t r = 0; r < job->nexog_rows; r++) {
		int64_t d = job->exog_t[r] - g->t0_ms;
		if (d < 0 || d / g->step_ms >= (int64_t)len)
			continue;
		size_t i = (size_t)(d / g->step_ms);
		cnt[i]++;
		for (size_t j = 0; j < job->nexog; j++)
			v[j * len + i] += job->exog_v[r * job->nexog + j];
	}
	size_t hold = (size_t)((3600000 + g->step_ms - 1) / g->step_ms);
	for (size_t j = 0; j < job->nexog; j++) {
		size_t since = SIZE_MAX;   /* slots since the last one with a value */
		double last = NAN;
		for (size_t i = 0; i < len; i++) {
			double *x = &v[j * len + i];
			if (cnt[i]) {
				*x /= (double)cnt[i];
				last = *x;
				since = 0;
			} else {
				since = since == SIZE_MAX ? since : since + 1;
				*x = since < hold ? last : NAN;
			}
		}
	}
	free(cnt);
	return v;
}

static void set_exog(struct fc_config *cfg, const struct fcjob *job, const double *laid, size_t len)
{
	cfg->nexog = job->nexog;
	cfg->nexog_len = len;
	for (size_t j = 0; j < job->nexog; j++)
		cfg->exog[j] = laid + j * len;
}

static double tenth(double x)
{
	return round(x * 10) / 10 + 0.0;   /* + 0.0: no "-0" */
}

static jv number_array(const double *v, size_t n)
{
	jv a = jv_array_sized((int)n);
	for (size_t i = 0; i < n; i++)   /* JSON has no NaN: an unknown value is null */
		a = jv_array_append(a, isfinite(v[i]) ? jv_number(tenth(v[i])) : jv_null());
	return a;
}

/* "q10" for 0.1, "q2.5" for 0.025. */
static void quantile_key(char *out, size_t size, double q)
{
	snprintf(out, size, "q%.6g", q * 100);
}

static jv quantile_levels(const struct fc_config *cfg)
{
	jv a = jv_array();
	for (size_t i = 0; i < cfg->nq; i++)
		a = jv_array_append(a, jv_number(cfg->q[i]));
	return a;
}

static jv warning_list(unsigned w)
{
	jv a = jv_array();
	if (w & FC_WARN_EMPTY)
		a = jv_array_append(a, jv_string("under a day of history: its mean"));
	if (w & FC_WARN_SHORT)
		a = jv_array_append(a, jv_string("history too short for the model: fell back"));
	if (w & FC_WARN_NOQUANT)
		a = jv_array_append(a, jv_string("no backtest possible: quantiles from day-to-day changes"));
	if (w & FC_WARN_OUTLIERS)
		a = jv_array_append(a, jv_string("outliers taken for gaps"));
	if (w & FC_WARN_EXOG)
		a = jv_array_append(a, jv_string("exogenous series do not cover the history: linear fell back"));
	return a;
}

static int emit(jv rec, int (*write_line)(void *, const char *, size_t), void *arg)
{
	struct buf b = { 0 };
	const char *why;
	HIVE_ASSERT(jcs_append(&b, rec, NULL, &why) == 0);
	jv_free(rec);
	int rc = write_line(arg, b.data, b.len);
	buf_free(&b);
	return rc;
}

/* An RFC 3339 text of t for diagnostics (one static buffer). */
static const char *time_text(int64_t t)
{
	static char buf[RFC3339_SIZE];
	rfc3339_format(buf, t);
	return buf;
}

static void warn_series(const struct fch_meter *m, const char *series, const struct fc_result *r)
{
	if (r->warnings & FC_WARN_EMPTY)
		diag_warn("meter %s: %s: under a day of history: forecast is its mean", fch_label(m->name), series);
	if (r->warnings & FC_WARN_SHORT)
		diag_warn("meter %s: %s: history too short for the model asked: used %s", fch_label(m->name), series,
		          fc_model_name(r->model));
	if (r->warnings & FC_WARN_EXOG)
		diag_warn("meter %s: %s: the exogenous series do not cover enough of the history: linear used snaive-day",
		          fch_label(m->name), series);
	if (r->warnings & FC_WARN_OUTLIERS)
		diag_warn("meter %s: %s: %zu values beyond ten times the 99th percentile taken for gaps",
		          fch_label(m->name), series, r->outliers);
}

static size_t known(const double *y, size_t n, size_t last)
{
	size_t k = 0;
	for (size_t i = n > last ? n - last : 0; i < n; i++)
		k += !isnan(y[i]);
	return k;
}

static jv series_object(const struct fc_config *cfg, const struct fc_result *r, size_t known_slots)
{
	jv o = jv_object();
	o = jvb_set(o, "model", jv_string(fc_model_name(r->model)));
	o = jvb_set(o, "point", number_array(r->point, cfg->horizon));
	for (size_t i = 0; i < cfg->nq; i++) {
		char key[32];
		quantile_key(key, sizeof key, cfg->q[i]);
		o = jvb_set(o, key, number_array(r->q + i * cfg->horizon, cfg->horizon));
	}
	o = jvb_set(o, "known_slots", jv_number((double)known_slots));
	if (r->outliers)
		o = jvb_set(o, "outliers", jv_number((double)r->outliers));
	return jvb_set(o, "warnings", warning_list(r->warnings));
}

static void span_of(const struct fch *h, int64_t *first, int64_t *last)
{
	*first = INT64_MAX;
	*last = INT64_MIN;
	for (size_t i = 0; i < h->nmeters; i++) {
		const struct fch_meter *m = &h->meters[i];
		if (m->nspans[0] + m->nspans[1] == 0)
			continue;
		if (m->first_ms < *first)
			*first = m->first_ms;
		if (m->last_ms > *last)
			*last = m->last_ms;
	}
}

static int64_t floor_to(int64_t t, int64_t step)
{
	int64_t r = t % step;
	return r < 0 ? t - r - step : t - r;
}

static void progress(const struct fcjob *job, const char *what, size_t i, size_t n)
{
	if (job->progress)
		fprintf(stderr, "\r%s: %s %zu/%zu%s", diag_progname(), what, i, n, i == n ? "\n" : "");
}

int fcjob_forecast(const struct fcjob *job, const struct fch *h, int (*write_line)(void *, const char *, size_t),
                   void *arg)
{
	int64_t first, last, step = job->fc.step_ms;
	span_of(h, &first, &last);
	int rc = HIVE_OK;
	if (first == INT64_MAX) {
		diag_warn("no history: no reading or interval records");
		return HIVE_EBAD;
	}
	int64_t origin = job->start_ms != INT64_MIN ? job->start_ms : floor_to(last + step - 1, step);
	if (origin + (int64_t)job->fc.horizon * step > TIME_MAX_MS) {
		diag_warn("the forecast would end after 9999-12-31: no forecast");
		return HIVE_EBAD;
	}
	struct grid g = { floor_to(first, step), step, 0 };
	/* Only the window is read: a record from long ago must not make the grid huge. */
	int64_t keep = (int64_t)job->fc.window_days * 86400000;
	if (origin - keep > g.t0_ms)
		g.t0_ms = floor_to(origin - keep, step);
	if (origin <= g.t0_ms) {
		diag_warn("no history before the start");
		return HIVE_EBAD;
	}
	g.n = (size_t)((origin - g.t0_ms) / step);
	size_t H = job->fc.horizon, len = g.n + H;
	double *laid = lay_exog(job, &g, len);
	double *y = xmalloc(g.n * sizeof *y), *tmp = xmalloc(g.n * sizeof *tmp);
	for (size_t mi = 0; mi < h->nmeters && rc != HIVE_EOUTPUT; mi++) {
		const struct fch_meter *m = &h->meters[mi];
		bool has[S_N];
		int net_of;
		meter_series(m, has, &net_of);
		progress(job, "meter", mi + 1, h->nmeters);
		if (m->nspans[0] + m->nspans[1] == 0 || m->first_ms >= origin) {
			diag_warn("meter %s: no usable history (a complete interval, or two readings in a row) before the "
			          "start: no forecast", fch_label(m->name));
			rc = HIVE_EBAD;
			continue;
		}
		jv rec = jv_object(), series = jv_object();
		rec = jvb_set(rec, "type", jv_string("forecast"));
		if (m->name[0])
			rec = jvb_set(rec, "meter", jv_string(m->name));
		rec = jvb_set(rec, "model", jv_string(fc_model_name(job->model)));
		rec = jvb_set(rec, "start", jvb_time(origin));
		rec = jvb_set(rec, "step", jv_number((double)(step / 1000)));
		rec = jvb_set(rec, "horizon", jv_number((double)(H * (size_t)(step / 1000))));
		rec = jvb_set(rec, "quantiles", quantile_levels(&job->fc));
		jv import_obj = jv_null();
		struct fc_result export_r = { 0 };
		size_t window_slots = job->fc.window_days * (size_t)(86400000 / step), export_known = 0;
		for (int s = 0; s < S_N; s++) {
			if (!has[s])
				continue;
			if (s == S_NET && net_of == S_IMPORT) {
				if (jv_get_kind(import_obj) == JV_KIND_OBJECT)
					series = jvb_set(series, series_names[s], jv_copy(import_obj));
				continue;
			}
			struct fc_config cfg = job->fc;
			cfg.nonneg = s != S_NET;
			if (s == S_NET && net_of == S_EXPORT && symmetric_levels(&cfg)) {
				if (export_r.point) {
					struct fc_result neg;
					negate_result(&cfg, &export_r, &neg);
					series = jvb_set(series, series_names[s], series_object(&cfg, &neg, export_known));
					fc_result_free(&neg);
				}
				continue;
			}
			build_series(m, s, &g, y, tmp);
			size_t k = known(y, g.n, window_slots);
			if (k == 0) {
				/* Nothing to go on: a forecast would be invented. */
				diag_warn("meter %s: %s: no known slot in the %zu days before the start (%s): no forecast",
				          fch_label(m->name), series_names[s], job->fc.window_days, time_text(origin));
				rc = HIVE_EBAD;
				continue;
			}
			set_exog(&cfg, job, laid, len);
			struct fc_series fs = { y, g.n, g.t0_ms };
			struct fc_result r;
			HIVE_ASSERT(fc_forecast(&cfg, &fs, job->model, &r) == 0);
			warn_series(m, series_names[s], &r);
			jv obj = series_object(&cfg, &r, k);
			if (s == S_EXPORT) {
				export_r = r;   /* kept for net */
				export_known = k;
			} else {
				fc_result_free(&r);
			}
			if (s == S_IMPORT) {
				jv_free(import_obj);
				import_obj = jv_copy(obj);
			}
			series = jvb_set(series, series_names[s], obj);
		}
		fc_result_free(&export_r);
		jv_free(import_obj);
		if (jv_object_length(jv_copy(series)) == 0) {
			jv_free(series);
			jv_free(rec);
			rc = HIVE_EBAD;   /* each series said why */
			continue;
		}
		rec = jvb_set(rec, "series", series);
		if (emit(rec, write_line, arg) != 0)
			rc = HIVE_EOUTPUT;
	}
	free(y);
	free(tmp);
	free(laid);
	return rc;
}

/* --- backtest ----------------------------------------------------------- */

static int64_t local_midnight(const struct fc_config *cfg, int64_t day)
{
	if (!cfg->tz)
		return day * 86400000;
	int64_t y;
	unsigned mo, d;
	civil_from_days(day, &y, &mo, &d);
	return tz_day_start_ms(cfg->tz, y, (int)mo, (int)d);
}

/* The origins (slot indexes, ascending): the last `days` local midnights whose horizon fits before end. */
static size_t find_origins(const struct fcjob *job, const struct grid *g, int64_t end_ms, size_t *origins)
{
	int64_t step = job->fc.step_ms, horizon_ms = (int64_t)job->fc.horizon * step, day_slots = 86400000 / step;
	size_t n = 0;
	int64_t day = tz_local_day(job->fc.tz, end_ms - horizon_ms) + 1;
	while (n < job->days) {
		int64_t t = local_midnight(&job->fc, --day);
		t = floor_to(t + step - 1, step);   /* a zone whose midnight is off the grid: the next slot */
		if (t - g->t0_ms < day_slots * step)
			break;                          /* no day of history before it */
		if (t + horizon_ms > end_ms)
			continue;
		origins[n++] = (size_t)((t - g->t0_ms) / step);
	}
	for (size_t i = 0; i < n / 2; i++) {
		size_t t = origins[i];
		origins[i] = origins[n - 1 - i];
		origins[n - 1 - i] = t;
	}
	return n;
}

struct row {
	char who[48], series[16], model[16];
	struct fc_score sc;
	double ms_per_forecast;
};

static double seconds_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static jv number_or_null(double v)
{
	return isnan(v) ? jv_null() : jv_number(round(v * 1e6) / 1e6 + 0.0);
}

static jv score_record(const struct fcjob *job, const char *meter, const char *series, enum fc_model model,
                       const struct fc_score *sc, const struct grid *g, const size_t *origins)
{
	int64_t step = job->fc.step_ms;
	jv o = jv_object();
	o = jvb_set(o, "type", jv_string("backtest"));
	o = jvb_set(o, "scope", jv_string(meter ? "meter" : "hive"));
	if (meter && meter[0])
		o = jvb_set(o, "meter", jv_string(meter));
	o = jvb_set(o, "series", jv_string(series));
	o = jvb_set(o, "model", jv_string(fc_model_name(model)));
	o = jvb_set(o, "origins", jv_number((double)sc->origins));
	o = jvb_set(o, "first_origin", jvb_time(g->t0_ms + (int64_t)origins[0] * step));
	o = jvb_set(o, "last_origin", jvb_time(g->t0_ms + (int64_t)origins[sc->origins - 1] * step));
	o = jvb_set(o, "step", jv_number((double)(step / 1000)));
	o = jvb_set(o, "horizon", jv_number((double)(job->fc.horizon * (size_t)(step / 1000))));
	o = jvb_set(o, "slots", jv_number((double)sc->n));
	o = jvb_set(o, "mae", number_or_null(sc->mae));
	o = jvb_set(o, "rmse", number_or_null(sc->rmse));
	o = jvb_set(o, "mase", number_or_null(sc->mase));
	o = jvb_set(o, "pinball", number_or_null(sc->pinball));
	o = jvb_set(o, "coverage", number_or_null(sc->coverage));
	jv iv = jv_array();
	if (job->fc.nq >= 2) {
		iv = jv_array_append(iv, jv_number(job->fc.q[0]));
		iv = jv_array_append(iv, jv_number(job->fc.q[job->fc.nq - 1]));
	}
	o = jvb_set(o, "interval", iv);
	jv picked = jv_object();
	for (int m = 1; m < FC_NMODELS; m++)
		if (sc->picks[m])
			picked = jvb_set(picked, fc_model_name((enum fc_model)m), jv_number((double)sc->picks[m]));
	o = jvb_set(o, "picked", picked);
	return jvb_set(o, "warnings", warning_list(sc->warnings));
}

static void table_row(struct buf *b, const struct row *r)
{
	char line[256];
	int n = snprintf(line, sizeof line, "%-44s %-9s %-11s %10.1f %10.1f %7.3f %10.2f %8.3f %9.1f\n", r->who,
	                 r->series, r->model, r->sc.mae, r->sc.rmse, r->sc.mase, r->sc.pinball, r->sc.coverage,
	                 r->ms_per_forecast);
	buf_append(b, line, (size_t)n);
}

/* Backtests one series with every model asked; a record or a table row each. */
static int backtest_series(const struct fcjob *job, const char *meter, const char *series, const struct fc_config *cfg,
                           const struct fc_series *fs, const struct grid *g, const size_t *origins, size_t norigins,
                           struct buf *table, bool *nothing, int (*write_line)(void *, const char *, size_t),
                           void *arg)
{
	for (size_t k = 0; k < job->nmodels; k++) {
		struct row r = { 0 };
		double t = seconds_now();
		if (fc_backtest(cfg, fs, job->models[k], origins, norigins, &r.sc) != 0)
			continue;   /* clearsky without a site: not asked for by the caller */
		r.ms_per_forecast = (seconds_now() - t) * 1000 / (double)norigins;
		if (r.sc.n == 0) {
			diag_warn("%s %s %s: no slot of the horizons was known: nothing compared", meter ? fch_label(meter) : "hive",
			          series, fc_model_name(job->models[k]));
			*nothing = true;
		}
		if (job->table) {
			snprintf(r.who, sizeof r.who, "%s", meter ? fch_label(meter) : "hive");
			snprintf(r.series, sizeof r.series, "%s", series);
			snprintf(r.model, sizeof r.model, "%s", fc_model_name(job->models[k]));
			table_row(table, &r);
		} else if (emit(score_record(job, meter, series, job->models[k], &r.sc, g, origins), write_line, arg) != 0) {
			return -1;
		}
	}
	return 0;
}

int fcjob_backtest(const struct fcjob *job, const struct fch *h, int (*write_line)(void *, const char *, size_t),
                   void *arg)
{
	int64_t first, last, step = job->fc.step_ms;
	span_of(h, &first, &last);
	if (first == INT64_MAX) {
		diag_warn("no history: no reading or interval records");
		return HIVE_EBAD;
	}
	struct grid g = { floor_to(first, step), step, 0 };
	int64_t end = floor_to(last, step);
	/* The window before the first origin, the origins and the horizon: no more is read. */
	int64_t keep = ((int64_t)(job->fc.window_days + job->days) + 2) * 86400000 + (int64_t)job->fc.horizon * step;
	if (end - keep > g.t0_ms)
		g.t0_ms = floor_to(end - keep, step);
	g.n = end > g.t0_ms ? (size_t)((end - g.t0_ms) / step) : 0;
	size_t *origins = xmalloc((job->days ? job->days : 1) * sizeof *origins);
	size_t norigins = find_origins(job, &g, end, origins);
	if (norigins == 0) {
		diag_warn("no room for a backtest: a day of history and the horizon after it are needed");
		free(origins);
		return HIVE_EBAD;
	}
	if (norigins < job->days)
		diag_warn("only %zu origins fit in the history (of %zu asked)", norigins, job->days);
	double *laid = lay_exog(job, &g, g.n);
	double *y = xmalloc(g.n * sizeof *y), *tmp = xmalloc(g.n * sizeof *tmp);
	double *hive = xcalloc(g.n, sizeof *hive);
	struct buf table = { 0 };
	int rc = HIVE_OK;
	bool nothing = false;   /* some backtest compared no slot */
	if (job->table) {
		const char *head = "meter                                        series    model              MAE       RMSE    MASE    pinball coverage  ms/fcast\n";
		buf_append(&table, head, strlen(head));
	}
	for (size_t mi = 0; mi < h->nmeters && rc == HIVE_OK; mi++) {
		const struct fch_meter *m = &h->meters[mi];
		bool has[S_N];
		int net_of;
		meter_series(m, has, &net_of);
		progress(job, "meter", mi + 1, h->nmeters);
		for (int s = 0; s < S_N && rc == HIVE_OK; s++) {
			if (!has[s] || (s == S_NET && net_of != S_NET))
				continue;   /* net is the import, or minus the export: scored there */
			build_series(m, s, &g, y, tmp);
			if (s == net_of)   /* NaN anywhere leaves the hive's slot unknown */
				for (size_t i = 0; i < g.n; i++)
					hive[i] += s == S_EXPORT ? -y[i] : y[i];
			struct fc_config cfg = job->fc;
			cfg.nonneg = s != S_NET;
			set_exog(&cfg, job, laid, g.n);
			struct fc_series fs = { y, g.n, g.t0_ms };
			if (backtest_series(job, m->name, series_names[s], &cfg, &fs, &g, origins, norigins, &table,
			                    &nothing, write_line, arg) != 0)
				rc = HIVE_EOUTPUT;
		}
	}
	if (rc == HIVE_OK && h->nmeters > 1) {
		size_t known_hive = 0;
		for (size_t i = 0; i < g.n; i++)
			known_hive += !isnan(hive[i]);
		if (known_hive < g.n / 2)
			diag_warn("the hive's aggregate is known in %zu of %zu slots only: every meter must be known in a slot",
			          known_hive, g.n);
		struct fc_config cfg = job->fc;
		cfg.nonneg = false;
		set_exog(&cfg, job, laid, g.n);
		struct fc_series fs = { hive, g.n, g.t0_ms };
		if (backtest_series(job, NULL, "net_wh", &cfg, &fs, &g, origins, norigins, &table, &nothing, write_line,
		                    arg) != 0)
			rc = HIVE_EOUTPUT;
	}
	if (rc == HIVE_OK && job->table && write_line(arg, table.data, table.len - 1) != 0)
		rc = HIVE_EOUTPUT;
	if (rc == HIVE_OK && nothing)
		rc = HIVE_EBAD;
	buf_free(&table);
	free(y);
	free(tmp);
	free(hive);
	free(laid);
	free(origins);
	return rc;
}
