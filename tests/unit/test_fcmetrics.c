/*
 * test_fcmetrics.c — forecast accuracy measures on hand-computed series.
 */
#include <math.h>

#include "check.h"
#include "fcmetrics.h"

static int near(double got, double want)
{
	return fabs(got - want) <= 1e-12 * (fabs(want) > 1 ? fabs(want) : 1);
}

int main(void)
{
	/* A season of 3: |4−1|, |5−2|, |9−3|, |4−4| → (3 + 3 + 6 + 0) / 4 = 3. */
	const double hist[] = { 1, 2, 3, 4, 5, 9, 4 };
	CHECK(near(fc_naive_scale(hist, 7, 3), 3.0));
	CHECK(isnan(fc_naive_scale(hist, 3, 3)));       /* not longer than one season */
	CHECK(isnan(fc_naive_scale(hist, 7, 0)));
	const double gappy[] = { 1, NAN, 3, 4, 5, 9 };  /* pairs (0,3) and (2,5): |3|, |6| */
	CHECK(near(fc_naive_scale(gappy, 6, 3), 4.5));

	/* Errors 1, −2, 3 and a gap: MAE 2, RMSE sqrt(14/3), MASE 2/4. */
	const double a[] = { 10, 20, 30, NAN }, f[] = { 9, 22, 27, 5 };
	struct fc_accuracy r = fc_accuracy(a, f, 4, 4.0);
	CHECK_INTEQ(r.n, 3);
	CHECK(near(r.mae, 2.0));
	CHECK(near(r.rmse, sqrt(14.0 / 3.0)));
	CHECK(near(r.mase, 0.5));
	CHECK(isnan(fc_accuracy(a, f, 4, NAN).mase));
	CHECK(isnan(fc_accuracy(a, f, 4, 0).mase));
	r = fc_accuracy(a + 3, f + 3, 1, 1.0);
	CHECK(r.n == 0 && isnan(r.mae) && isnan(r.rmse));

	/* Pinball at 0.9: a − q = 1, −2, 3 → 0.9, 0.2, 2.7 → mean 1.2666…; at 0.5 it is MAE/2. */
	CHECK(near(fc_pinball(a, f, 4, 0.9), (0.9 + 0.2 + 2.7) / 3));
	CHECK(near(fc_pinball(a, f, 4, 0.5), 1.0));
	CHECK(isnan(fc_pinball(a, f, 4, 0)));
	CHECK(isnan(fc_pinball(a, f, 4, 1)));

	/* Coverage: 10 in [9, 11], 20 not in [21, 25], 30 on the upper bound 30, the gap left out. */
	const double lo[] = { 9, 21, 25, 0 }, hi[] = { 11, 25, 30, 1 };
	CHECK(near(fc_coverage(a, lo, hi, 4), 2.0 / 3.0));
	CHECK(isnan(fc_coverage(a + 3, lo + 3, hi + 3, 1)));
	return check_done("test_fcmetrics");
}
