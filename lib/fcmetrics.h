/*
 * fcmetrics.h — how good a forecast was, once the actual values are known:
 * the point errors MAE and RMSE, MASE (the MAE scaled by the in-sample MAE
 * of the seasonal naive forecast, Hyndman & Koehler 2006, so that 1 means
 * "as good as repeating the last season"), the pinball loss of a quantile
 * forecast, and the coverage of a prediction interval. hive-forecast's
 * backtests report these per Worker and for the hive.
 *
 * Forecasts are energies and powers, not money: doubles are right here. A
 * NaN in the actual values or in a forecast marks a gap; such a slot is
 * left out of every measure (and counted in n only when it is not).
 *
 * Ownership: the functions only read the caller's arrays.
 */
#ifndef HIVE_FCMETRICS_H
#define HIVE_FCMETRICS_H

#include <stddef.h>

/*
 * The in-sample MAE of the seasonal naive forecast over a history:
 * mean |y[t] − y[t − season]| for the t ≥ season where both are known.
 * NaN when no such pair exists (a history not longer than one season) or
 * season is 0.
 */
double fc_naive_scale(const double *history, size_t n, size_t season);

struct fc_accuracy {
	size_t n;        /* slots compared (gaps left out) */
	double mae;      /* mean |a − f| */
	double rmse;     /* sqrt(mean (a − f)²) */
	double mase;     /* mae / scale; NaN when scale is NaN or 0 */
};

/* Point accuracy of forecast against actual over n slots; all NaN (n = 0) when nothing is comparable. */
struct fc_accuracy fc_accuracy(const double *actual, const double *forecast, size_t n, double scale);

/*
 * Mean pinball loss of the tau-quantile forecast q (0 < tau < 1):
 * mean of tau·(a − q) when a ≥ q, (1 − tau)·(q − a) otherwise. NaN when
 * nothing is comparable or tau is outside (0, 1).
 */
double fc_pinball(const double *actual, const double *q, size_t n, double tau);

/* The share of slots whose actual value lies in [lo, hi]; NaN when nothing is comparable. */
double fc_coverage(const double *actual, const double *lo, const double *hi, size_t n);

#endif
