/*
 * fcmetrics.c — forecast accuracy measures (see fcmetrics.h).
 */
#include <math.h>

#include "fcmetrics.h"

double fc_naive_scale(const double *history, size_t n, size_t season)
{
	double sum = 0;
	size_t count = 0;
	for (size_t t = season; season > 0 && t < n; t++) {
		if (isnan(history[t]) || isnan(history[t - season]))
			continue;
		sum += fabs(history[t] - history[t - season]);
		count++;
	}
	return count ? sum / (double)count : NAN;
}

struct fc_accuracy fc_accuracy(const double *actual, const double *forecast, size_t n, double scale)
{
	struct fc_accuracy r = { 0, NAN, NAN, NAN };
	double abs_sum = 0, sq_sum = 0;
	for (size_t t = 0; t < n; t++) {
		if (isnan(actual[t]) || isnan(forecast[t]))
			continue;
		double e = actual[t] - forecast[t];
		abs_sum += fabs(e);
		sq_sum += e * e;
		r.n++;
	}
	if (r.n == 0)
		return r;
	r.mae = abs_sum / (double)r.n;
	r.rmse = sqrt(sq_sum / (double)r.n);
	r.mase = isnan(scale) || scale == 0 ? NAN : r.mae / scale;
	return r;
}

double fc_pinball(const double *actual, const double *q, size_t n, double tau)
{
	double sum = 0;
	size_t count = 0;
	if (!(tau > 0 && tau < 1))
		return NAN;
	for (size_t t = 0; t < n; t++) {
		if (isnan(actual[t]) || isnan(q[t]))
			continue;
		double d = actual[t] - q[t];
		sum += d >= 0 ? tau * d : (tau - 1) * d;
		count++;
	}
	return count ? sum / (double)count : NAN;
}

double fc_coverage(const double *actual, const double *lo, const double *hi, size_t n)
{
	size_t inside = 0, count = 0;
	for (size_t t = 0; t < n; t++) {
		if (isnan(actual[t]) || isnan(lo[t]) || isnan(hi[t]))
			continue;
		inside += actual[t] >= lo[t] && actual[t] <= hi[t];
		count++;
	}
	return count ? (double)inside / (double)count : NAN;
}
