/* hive-forecast — day-ahead forecasts of every Worker's energy, and backtests of them (whitepaper §2.1, §6.2). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "diag.h"
#include "fccalendar.h"
#include "fcjob.h"
#include "record.h"
#include "timeutil.h"

static const char usage[] =
	"usage: hive-forecast [forecast] [--model MODEL] [--start TIME] OPTIONS [FILE...]\n"
	"       hive-forecast backtest [--model MODEL[,MODEL...]] [--days N] [--table] OPTIONS [FILE...]\n"
	"       hive-forecast -h | --help | --version\n"
	"OPTIONS: [--step DURATION] [--horizon DURATION] [--quantiles P,P,...] [--tz ZONE]\n"
	"         [--holidays FILE] [--exog FILE] [--lat DEG --lon DEG [--tilt DEG] [--azimuth DEG]]\n"
	"         [--window DAYS] [--origins N] [--max-gap DURATION] [--strict]\n"
	"MODEL: auto (default), snaive-day, snaive-week, dshw, dshw-log, linear, combo,\n"
	"       clearsky (needs --lat, --lon)\n";

enum opt {
	OPT_MODEL = 256, OPT_START, OPT_STEP, OPT_HORIZON, OPT_QUANTILES, OPT_TZ, OPT_HOLIDAYS, OPT_EXOG, OPT_LAT,
	OPT_LON, OPT_TILT, OPT_AZIMUTH, OPT_WINDOW, OPT_ORIGINS, OPT_MAX_GAP, OPT_STRICT, OPT_DAYS, OPT_TABLE,
	OPT_VERSION
};

static const struct option options[] = {
	{ "model", required_argument, NULL, OPT_MODEL },
	{ "start", required_argument, NULL, OPT_START },
	{ "step", required_argument, NULL, OPT_STEP },
	{ "horizon", required_argument, NULL, OPT_HORIZON },
	{ "quantiles", required_argument, NULL, OPT_QUANTILES },
	{ "tz", required_argument, NULL, OPT_TZ },
	{ "holidays", required_argument, NULL, OPT_HOLIDAYS },
	{ "exog", required_argument, NULL, OPT_EXOG },
	{ "lat", required_argument, NULL, OPT_LAT },
	{ "lon", required_argument, NULL, OPT_LON },
	{ "tilt", required_argument, NULL, OPT_TILT },
	{ "azimuth", required_argument, NULL, OPT_AZIMUTH },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "origins", required_argument, NULL, OPT_ORIGINS },
	{ "max-gap", required_argument, NULL, OPT_MAX_GAP },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "days", required_argument, NULL, OPT_DAYS },
	{ "table", no_argument, NULL, OPT_TABLE },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static const int backtest_only[] = { OPT_DAYS, OPT_TABLE, 0 };
static const int forecast_only[] = { OPT_START, 0 };

struct args {
	struct fcjob job;
	bool backtest, strict, have_lat, have_lon, have_tilt, have_azimuth;
	const char *tz, *holidays, *exog, *models;
	int64_t max_gap_ms;
	char **files;
	int nfiles;
};

static double parse_degrees(const char *opt, const char *value, double lo, double hi)
{
	char *end;
	double v = strtod(value, &end);
	if (end == value || *end != '\0' || !isfinite(v) || v < lo || v > hi)
		cli_usage_error(usage, "--%s: '%s' is not a number of degrees in [%g, %g]", opt, value, lo, hi);
	return v;
}

/* A duration above 0. */
static int64_t positive_duration(const char *opt, const char *value)
{
	int64_t ms = cli_duration(opt, value, usage);
	if (ms <= 0)
		cli_usage_error(usage, "%s '%s': want a duration above 0", opt, value);
	return ms;
}

/* "10,50,90": plain decimal percentages, ascending, each in (0, 100), each its own "qP" key. */
static void parse_quantiles(struct fc_config *cfg, const char *value)
{
	const char *p = value;
	char prev_key[32] = "";
	cfg->nq = 0;
	for (;;) {
		size_t len = strspn(p, "0123456789.");
		char num[32], *end, key[32];
		if (len == 0 || len >= sizeof num || (p[len] != ',' && p[len] != '\0'))
			cli_usage_error(usage, "--quantiles: '%s' is not ascending percentages such as 10,50,90", value);
		memcpy(num, p, len);
		num[len] = '\0';
		double v = strtod(num, &end);
		snprintf(key, sizeof key, "%.6g", v);
		if (*end != '\0' || !(v > 0 && v < 100) || cfg->nq == FC_MAXQ ||
		    (cfg->nq > 0 && (v / 100 <= cfg->q[cfg->nq - 1] || strcmp(key, prev_key) == 0)))
			cli_usage_error(usage, "--quantiles: '%s' is not ascending percentages in (0, 100), at most %d, "
			                "distinct in 6 digits", value, FC_MAXQ);
		strcpy(prev_key, key);
		cfg->q[cfg->nq++] = v / 100;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
}

static void parse_models(struct fcjob *job, const char *value)
{
	char *copy = xstrdup(value), *save = NULL;
	job->nmodels = 0;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		enum fc_model m;
		if (fc_model_parse(t, &m) != 0)
			cli_usage_error(usage, "--model: unknown model '%s'", t);
		if (job->nmodels == FC_NMODELS)
			cli_usage_error(usage, "--model: a model is named twice");
		for (size_t i = 0; i < job->nmodels; i++)
			if (job->models[i] == m)
				cli_usage_error(usage, "--model: '%s' is named twice", t);
		job->models[job->nmodels++] = m;
	}
	free(copy);
	if (job->nmodels == 0)
		cli_usage_error(usage, "--model: give a model");
}

static void take_option(struct args *a, int c)
{
	struct fc_config *cfg = &a->job.fc;
	switch (c) {
	case OPT_MODEL: a->models = optarg; break;
	case OPT_START: a->job.start_ms = cli_time("--start", optarg, usage); break;
	case OPT_STEP: cfg->step_ms = positive_duration("--step", optarg); break;
	case OPT_HORIZON: cfg->horizon = (size_t)positive_duration("--horizon", optarg); break;   /* ms until checked */
	case OPT_QUANTILES: parse_quantiles(cfg, optarg); break;
	case OPT_TZ: a->tz = optarg; break;
	case OPT_HOLIDAYS: a->holidays = optarg; break;
	case OPT_EXOG: a->exog = optarg; break;
	case OPT_LAT: cfg->site.lat_deg = parse_degrees("lat", optarg, -90, 90), a->have_lat = true; break;
	case OPT_LON: cfg->site.lon_deg = parse_degrees("lon", optarg, -180, 180), a->have_lon = true; break;
	case OPT_TILT: cfg->site.tilt_deg = parse_degrees("tilt", optarg, 0, 90), a->have_tilt = true; break;
	case OPT_AZIMUTH: cfg->site.azimuth_deg = parse_degrees("azimuth", optarg, 0, 360), a->have_azimuth = true; break;
	case OPT_WINDOW: cfg->window_days = (size_t)cli_uint("--window", optarg, 1, 3660, usage); break;
	case OPT_ORIGINS: cfg->inner_origins = (size_t)cli_uint("--origins", optarg, 0, 365, usage); break;
	case OPT_MAX_GAP: a->max_gap_ms = positive_duration("--max-gap", optarg); break;
	case OPT_STRICT: a->strict = true; break;
	case OPT_DAYS: a->job.days = (size_t)cli_uint("--days", optarg, 1, 366, usage); break;
	case OPT_TABLE: a->job.table = true; break;
	default: cli_usage_error(usage, "unexpected option");
	}
}

static void check_grid(struct args *a)
{
	struct fc_config *cfg = &a->job.fc;
	if (cfg->step_ms % 1000 != 0 || 86400000 % cfg->step_ms != 0)
		cli_usage_error(usage, "--step: a whole number of seconds that divides a day");
	int64_t horizon_ms = (int64_t)cfg->horizon;
	if (horizon_ms % cfg->step_ms != 0 || horizon_ms > 14 * 86400000LL)
		cli_usage_error(usage, "--horizon: a whole number of steps, at most 14 days");
	cfg->horizon = (size_t)(horizon_ms / cfg->step_ms);
	/* A grid of at most 2^21 slots (56 days of 1-minute slots; 3660 days need 30 minutes or more). */
	if ((86400000 / cfg->step_ms) * (int64_t)cfg->window_days > 2097152)
		cli_usage_error(usage, "--window %zu days of --step slots exceed 2097152 slots: a coarser step or fewer days",
		                cfg->window_days);
	if (a->job.start_ms != INT64_MIN && a->job.start_ms % cfg->step_ms != 0)
		cli_usage_error(usage, "--start: not on the grid of --step (a slot's start)");
	if (a->have_lat != a->have_lon)
		cli_usage_error(usage, "--lat and --lon go together");
	if ((a->have_tilt || a->have_azimuth) && !a->have_lat)
		cli_usage_error(usage, "--tilt and --azimuth need --lat and --lon");
	cfg->have_site = a->have_lat;
	if (!a->have_azimuth)
		cfg->site.azimuth_deg = cfg->site.lat_deg >= 0 ? 180 : 0;   /* facing the equator */
}

static void parse_args(struct args *a, int argc, char **argv)
{
	int c;
	struct fc_config *cfg = &a->job.fc;
	cfg->step_ms = 900000;
	cfg->horizon = 86400000;
	cfg->nq = 3;
	cfg->q[0] = 0.1, cfg->q[1] = 0.5, cfg->q[2] = 0.9;
	cfg->inner_origins = 21;
	cfg->window_days = 56;
	a->job.start_ms = INT64_MIN;
	a->job.days = 7;
	a->max_gap_ms = 3600000;
	if (argc > 1 && (strcmp(argv[1], "backtest") == 0 || strcmp(argv[1], "forecast") == 0)) {
		a->backtest = argv[1][0] == 'b';
		argc--;
		argv++;
	}
	const char *cmd = a->backtest ? "backtest" : "hive-forecast";
	optind = 1;
	while ((c = cli_getopt(argc, argv, options, OPT_VERSION, cmd, usage)) != -1) {
		if (cli_accepts(a->backtest ? forecast_only : backtest_only, c))
			cli_usage_error(usage, "'%s' does not take --%s", cmd, cli_option_name(options, c));
		take_option(a, c);
	}
	check_grid(a);
	if (a->backtest) {
		if (a->models)
			parse_models(&a->job, a->models);
		else {
			static const enum fc_model all[] = { FC_SNAIVE_DAY, FC_SNAIVE_WEEK, FC_DSHW, FC_DSHW_LOG,
			                                          FC_LINEAR, FC_CLEARSKY, FC_COMBO, FC_AUTO };
			for (size_t i = 0; i < sizeof all / sizeof *all; i++)
				if (all[i] != FC_CLEARSKY || cfg->have_site)
					a->job.models[a->job.nmodels++] = all[i];
		}
	} else {
		a->job.model = FC_AUTO;
		if (a->models && fc_model_parse(a->models, &a->job.model) != 0)
			cli_usage_error(usage, "--model: unknown model '%s'", a->models);
	}
	for (size_t i = 0; i < a->job.nmodels; i++)
		if (a->job.models[i] == FC_CLEARSKY && !cfg->have_site)
			cli_usage_error(usage, "--model clearsky needs --lat and --lon");
	if (!a->backtest && a->job.model == FC_CLEARSKY && !cfg->have_site)
		cli_usage_error(usage, "--model clearsky needs --lat and --lon");
	a->files = argv + optind;
	a->nfiles = argc - optind;
}

struct run {
	struct fch h;
	struct rec_loop loop;
};

/* Readings and intervals are the history; every other record passes through. */
static int handle(struct rec_loop *loop, const struct rec *r, void *arg)
{
	struct run *run = arg;
	const char *why;
	int rc = r->view ? fch_add_view(&run->h, r->view, &why) : fch_add(&run->h, r->value, &why);
	if (rc == 1)
		return rec_pass(loop, r);
	if (rc < 0) {
		rec_reject(loop, r, "%s", why);
		return -1;
	}
	return 0;
}

/* What fch_finish left out of a meter's history, and why. */
static void report_meter(const struct fch_meter *m)
{
	const char *name = fch_label(m->name);
	if (m->resets || m->long_gaps)
		diag_warn("meter %s: %lu register resets and %lu readings further apart than --max-gap: left as gaps",
		          name, m->resets, m->long_gaps);
	if (m->conflicts)
		diag_warn("meter %s: %lu records contradict another of the same span or time: all dropped", name,
		          m->conflicts);
	if (m->coarse)
		diag_warn("meter %s: %lu spans overlap finer ones: the finer kept, those dropped", name, m->coarse);
	if (m->repeats)
		diag_warn("meter %s: %lu records repeat another exactly: counted once", name, m->repeats);
}

static int write_line(void *arg, const char *data, size_t len)
{
	return rec_write(arg, data, len);
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	struct run run = { 0 };
	struct fc_calendar cal = { 0 };
	struct fc_exog ex = { 0 };

	diag_init(argv[0]);
	parse_args(&a, argc, argv);
	int lrc = fc_calendar_load(&cal, a.tz, a.holidays);
	if (lrc == HIVE_OK && a.exog)
		lrc = fc_exog_load(&ex, a.exog);
	if (lrc != HIVE_OK) {
		fc_calendar_free(&cal);
		fc_exog_free(&ex);
		return lrc;
	}
	a.job.fc.tz = cal.tz;
	a.job.fc.holidays = cal.days;
	a.job.fc.nholidays = cal.ndays;
	a.job.nexog = ex.ncols;
	for (size_t j = 0; j < ex.ncols; j++)
		a.job.exog_names[j] = ex.names[j];
	a.job.exog_t = ex.t_ms;
	a.job.exog_v = ex.values;
	a.job.nexog_rows = ex.nrows;
	a.job.progress = isatty(STDERR_FILENO);

	fch_init(&run.h, a.max_gap_ms);
	rec_loop_init(&run.loop, STDOUT_FILENO, a.strict);
	run.loop.view_mode = true;   /* flat records seen in place: a history is thousands of them */
	int rc = rec_loop_run(&run.loop, a.files, a.nfiles, handle, &run);
	if (rc == HIVE_EINPUT) {
		diag_warn("no forecast: an input file could not be read");
	} else if (run.loop.fatal == 0 && !(a.strict && run.loop.bad > 0)) {
		fch_finish(&run.h);
		for (size_t i = 0; i < run.h.nmeters; i++)
			report_meter(&run.h.meters[i]);
		int jrc = a.backtest ? fcjob_backtest(&a.job, &run.h, write_line, &run.loop)
		                     : fcjob_forecast(&a.job, &run.h, write_line, &run.loop);
		if (jrc != HIVE_OK && (rc == HIVE_OK || jrc == HIVE_EOUTPUT))
			rc = jrc;
	}
	if (run.loop.fatal)
		rc = run.loop.fatal;
	fch_free(&run.h);
	rec_loop_free(&run.loop);
	fc_calendar_free(&cal);
	fc_exog_free(&ex);
	return cli_finish(rc);
}
