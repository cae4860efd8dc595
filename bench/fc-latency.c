/*
 * fc-latency — how long one Worker's day-ahead forecast takes, model by
 * model, without the reading of records: the history of FILE (interval
 * records) on a 15-minute grid, its last DAYS days (default 60), forecast
 * RUNS times (default 21) per model; prints the median and the fastest in ms.
 * Usage: fc-latency FILE [DAYS [RUNS]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag.h"
#include "fchistory.h"
#include "forecast.h"

static double now_ms_f(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	diag_init(argv[0]);
	if (argc < 2) {
		fprintf(stderr, "usage: fc-latency FILE [DAYS [RUNS]]\n");
		return 2;
	}
	size_t days = argc > 2 ? (size_t)atoi(argv[2]) : 60, runs = argc > 3 ? (size_t)atoi(argv[3]) : 21;
	FILE *f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		return 3;
	}
	struct fch h;
	fch_init(&h, 3600000);
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	const char *why;
	while ((len = getline(&line, &cap, f)) > 0) {
		jv v = jv_parse_sized(line, (int)len);
		if (jv_is_valid(v))
			(void)fch_add(&h, v, &why);
		jv_free(v);
	}
	free(line);
	fclose(f);
	fch_finish(&h);
	if (h.nmeters == 0) {
		fprintf(stderr, "fc-latency: no history in %s\n", argv[1]);
		return 3;
	}
	const int64_t step = 900000;
	size_t n = days * 96;
	int64_t end = h.meters[0].last_ms - h.meters[0].last_ms % step, t0 = end - (int64_t)n * step;
	double *y = malloc(n * sizeof *y);
	fch_series(&h.meters[0], FCH_IMPORT, t0, step, n, y);
	struct fc_config c = { .step_ms = step, .horizon = 96, .nq = 3, .q = { 0.1, 0.5, 0.9 }, .inner_origins = 21,
	                       .window_days = days, .nonneg = true, .have_site = true,
	                       .site = { 47.4, 8.5, 0, 180 } };
	struct fc_series s = { y, n, t0 };
	double *t = malloc(runs * sizeof *t);
	printf("%-12s %10s %10s   (%zu days of 15-minute history, %zu runs, 21 inner origins)\n", "model", "median ms",
	       "min ms", days, runs);
	for (int m = 0; m < FC_NMODELS; m++) {
		for (size_t r = 0; r < runs; r++) {
			struct fc_result res;
			double a = now_ms_f();
			if (fc_forecast(&c, &s, (enum fc_model)m, &res) != 0)
				return 70;
			t[r] = now_ms_f() - a;
			fc_result_free(&res);
		}
		qsort(t, runs, sizeof *t, cmp);
		printf("%-12s %10.2f %10.2f\n", fc_model_name((enum fc_model)m), t[runs / 2], t[0]);
	}
	free(t);
	free(y);
	fch_free(&h);
	return 0;
}
