/*
 * lesser.h — the lesser and greater of two doubles, inline: what fmin and
 * fmax give for the finite values of the battery solvers (battlp, battqp,
 * battdp), where libm's are calls in their inner loops. With a NaN they
 * return the second argument.
 */
#ifndef HIVE_LESSER_H
#define HIVE_LESSER_H

static inline double lesser(double a, double b)
{
	return a < b ? a : b;
}

static inline double greater(double a, double b)
{
	return a > b ? a : b;
}

#endif
