/*
 * hiveplan.h — hive-clear simulate: a whole hive's day-ahead plan in one
 * process (coord.h), from its Workers' forecasts, their assets files and the
 * tariff; what hive-clear coordinate and hive-bid compute apart.
 *
 * Every forecast record is a Worker (by its meter); an assets file names its
 * Worker in its header's "worker". A Worker with a forecast and no assets is
 * inflexible: its plan is its forecast. An assets file without a forecast,
 * two forecasts for a Worker, or forecasts of other starts, steps or lengths
 * than the first's are errors. Other records pass through.
 *
 * With days, a receding horizon (whitepaper §4.3): a Worker may have many
 * forecasts, of starts on the first's grid. From the earliest start, every
 * slot of the days is planned afresh over the horizon, each Worker from its
 * latest forecast that covers the slot, and the first slot is committed: a
 * one-slot bid per Worker, and its batteries' states and its loads'
 * delivered energy carried into the next plan (lqp_advance). Beside it, every
 * Worker also plans alone with its own states. The "coordination" record at
 * the end sums the committed slots: with coordination, alone, pooled.
 */
#ifndef HIVE_HIVEPLAN_H
#define HIVE_HIVEPLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "coord.h"
#include "record.h"
#include "tariff.h"

struct hiveplan_config {
	const struct tariff *tariff;
	const char *const *assets_files;
	size_t nassets;
	struct coupling coupling;           /* the hive's connection: limits, peak charge (base units per kW) */
	struct coord_options coord;
	unsigned days;                      /* 0: one plan of the forecasts' horizon; else a receding horizon */
	size_t horizon;                     /* with days: slots planned at most (0: a day's) */
};

/*
 * Reads the forecasts from files (none: standard input) through loop,
 * coordinates, and writes one bid per Worker with a plan (in the order of
 * the forecasts) and a "coordination" record. Returns the exit code.
 */
int hiveplan_simulate(const struct hiveplan_config *cfg, struct rec_loop *loop, char *const files[], int nfiles);

#endif
