/*
 * fcjob.h — hive-forecast's two jobs over a set of Workers' histories:
 * one forecast record per Worker, or a rolling-origin backtest with one
 * record (or table row) per Worker, series and model, and the hive's
 * aggregate. The histories come from fchistory.h; the models from
 * forecast.h.
 *
 * Series per Worker: "import_wh" and "export_wh" for the registers its
 * records carry (export only when some of it is non-zero), and "net_wh",
 * import minus export (the import's forecast when there is no export).
 *
 * Records (RFC 8785 order, values rounded to 0.1 Wh):
 *   {"type":"forecast","meter":…,"model":ASKED,"start":T,"step":S,"horizon":H,
 *    "quantiles":[…],"series":{NAME:{"model":USED,"point":[…],"q10":[…],…,
 *    "known_slots":N,["outliers":N,]"warnings":[…]}}}
 *   {"type":"backtest","scope":"meter"|"hive","meter":…,"series":NAME,"model":M,
 *    "origins":N,"first_origin":T,"last_origin":T,"step":S,"horizon":H,"slots":N,
 *    "mae":…,"rmse":…,"mase":…,"pinball":…,"coverage":…,"interval":[lo,hi],"picked":{…},
 *    "warnings":[…]}   (a measure that cannot be computed is null)
 *
 * Ownership: the caller keeps the histories and the configuration.
 */
#ifndef HIVE_FCJOB_H
#define HIVE_FCJOB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "fchistory.h"
#include "forecast.h"

struct fcjob {
	struct fc_config fc;        /* horizon in slots, step, quantiles, calendar, site, window */
	enum fc_model model;        /* forecast: the model asked */
	int64_t start_ms;           /* forecast: the origin; INT64_MIN for the end of the histories */
	enum fc_model models[FC_NMODELS];   /* backtest: the models compared */
	size_t nmodels;
	size_t days;                /* backtest: origins, one per day */
	bool table;                 /* backtest: a human table instead of records */
	bool progress;              /* show progress on stderr */
	/* exogenous series as read (times and values), laid on each grid as needed */
	size_t nexog;
	const char *exog_names[FC_MAXEXOG];
	const int64_t *exog_t;      /* nexog_rows times (ms), ascending */
	const double *exog_v;       /* nexog_rows × nexog values, row-major */
	size_t nexog_rows;
};

/*
 * Writes one forecast record per Worker through write_line (which returns
 * 0, or -1 to stop). Workers with no history before the origin get no
 * record and a warning. Returns HIVE_OK, HIVE_EBAD when a Worker had no
 * forecast, or HIVE_EOUTPUT when writing stopped.
 */
int fcjob_forecast(const struct fcjob *job, const struct fch *h, int (*write_line)(void *, const char *, size_t),
                   void *arg);

/*
 * The backtest: the last job->days local midnights (in fc.tz) whose horizon
 * lies within the histories are the origins. Returns HIVE_OK, HIVE_EBAD
 * when there is no room for a single origin, or HIVE_EOUTPUT.
 */
int fcjob_backtest(const struct fcjob *job, const struct fch *h, int (*write_line)(void *, const char *, size_t),
                   void *arg);

#endif
