/*
 * fccalendar.h — what hive-forecast reads besides the histories: the
 * calendar (a time zone and a holiday file) and exogenous series (a CSV
 * file of temperatures, irradiances, prices… keyed by time).
 *
 * Holiday file: one date YYYY-MM-DD per line, optionally followed by white
 * space and a name; blank lines and lines starting with '#' are skipped.
 * Each date is a local day in the zone.
 *
 * Exogenous CSV (Debian's libcsv): a header "time,NAME,…" (at most
 * FC_MAXEXOG series), then rows of an RFC 3339 time and decimal numbers; an
 * empty field is unknown. Times must ascend. A value belongs to the slot its
 * time falls in (several in one slot are averaged), so it must cover the
 * horizon too for the linear model to use it there. A slot without a row
 * holds the last value for up to an hour, so hourly weather serves
 * 15-minute slots.
 *
 * Both loaders report what is wrong with the file and its line on stderr
 * and return HIVE_EINPUT (HIVE_EUSAGE for a zone that is not one); HIVE_OK
 * otherwise.
 *
 * Ownership: the structs own their memory (the _free functions release it).
 */
#ifndef HIVE_FCCALENDAR_H
#define HIVE_FCCALENDAR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "forecast.h"
#include "tz.h"

struct fc_calendar {
	struct tz *tz;      /* NULL for UTC */
	int64_t *days;      /* holidays: local days since 1970-01-01, ascending, no repeats */
	size_t ndays;
};

/* zone may be NULL (UTC), holidays NULL (none). */
int fc_calendar_load(struct fc_calendar *c, const char *zone, const char *holidays);
/* Adds the holidays of an open file (name names it in diagnostics). */
int fc_holidays_read(struct fc_calendar *c, FILE *f, const char *name);
void fc_calendar_free(struct fc_calendar *c);

struct fc_exog {
	size_t ncols, nrows;
	char *names[FC_MAXEXOG];
	int64_t *t_ms;      /* nrows */
	double *values;     /* nrows × ncols, NaN unknown */
};

int fc_exog_load(struct fc_exog *e, const char *path);
/* The same from an open file (name names it in diagnostics). */
int fc_exog_read(struct fc_exog *e, FILE *f, const char *name);
void fc_exog_free(struct fc_exog *e);

#endif
