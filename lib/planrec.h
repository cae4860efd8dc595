/*
 * planrec.h — the records of coordination (hive-records(5)): a Worker's
 * "forecast" as the planners read it, its "bid" (the plan it declares), and
 * the Queen's "signal". Plans are estimates in Wh, doubles rounded to
 * 0.001 Wh, except a bid's first slot in "plan_wh": the energy the Worker
 * declares for the slot acted on, in whole Wh as metered, which is what
 * hive-settle compares with its meter. "first_wh" is that slot's plan to
 * 0.001 Wh, which the Queen coordinates with: rounding it to whole Wh at
 * every iteration would leave a noise that keeps the residuals from
 * falling below it.
 *
 *   {"type":"bid","worker":ADDR,"start":T0,"seconds":900,"iteration":K,
 *    "plan_wh":[62,1.5,…],"first_wh":61.734,"own_cost":123.4,
 *    "schedules":{"garage":{"charge_wh":[…],"discharge_wh":[…],"soc_wh":[…]},
 *                 "dishwasher":{"energy_wh":[…]},"roof":{"curtailed_wh":[…]}}}
 *   {"type":"signal","hive":H,"round":T1,"start":T0,"seconds":900,"iteration":K,
 *    "rho":0.25,"signal_wh":[…],"status":"iterate"|"converged"|"stopped",
 *    "r":…,"s":…}
 *
 * With a gap asked for (sharing.h's lower bound), some signals carry
 * "price":[…], prices per Wh; the bid answering one carries "bound": the
 * Worker's plan alone at them (own cost + Σ price·x), rounded down to
 * 0.001. A signal may say what was proven: "lower_bound" and "proven_gap".
 */
#ifndef HIVE_PLANREC_H
#define HIVE_PLANREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jv.h>

#include "buf.h"
#include "localqp.h"

struct plan_forecast {
	char meter[64];          /* the meter's address, or "" */
	int64_t start_ms;
	int step_s;
	size_t slots;
	double *net, *export_wh; /* export_wh NULL when the forecast has none */
};

/*
 * A "forecast" record's planning inputs: its meter, start, step, and the
 * point forecasts of net_wh (required, every value known) and export_wh.
 * Borrows rec. Returns 0, or -1 with *why.
 */
int planrec_forecast(jv rec, struct plan_forecast *f, const char **why);

/*
 * The same from a strict record's flat view (record.h's view mode),
 * without building jq values: a hive's simulation reads thousands of
 * forecasts of hundreds of numbers, and jq's parser took most of the time
 * its reading did. Returns 0 with what planrec_forecast would give, or −1
 * for a record that is refused or not of the plain shape (escaped strings,
 * nested objects a view cannot hold): planrec_forecast then decides.
 */
struct jsonview;
int planrec_forecast_view(const struct jsonview *v, struct plan_forecast *f);
void planrec_forecast_free(struct plan_forecast *f);

/* Slot t of a plan as the Queen reads it from a bid: to 0.001 Wh (slot 0 from "first_wh"). */
double planrec_declared(const double *plan, size_t t);

/*
 * A bid of a plan in its canonical form (jcs.h), appended to out without
 * building jq values (a hive's simulation writes a thousand bids of
 * hundreds of numbers each); worker may be "" (left out).
 */
void planrec_bid_canonical(struct buf *out, const char *worker, int64_t start_ms, int step_s,
                           const struct lqp_plan *p, long iteration);
/* The same bid as a jq value (to be bounded or signed). */
jv planrec_bid(const char *worker, int64_t start_ms, int step_s, const struct lqp_plan *p, long iteration);
/* The bid with its "bound", rounded down to 0.001 (so that it stays one). */
jv planrec_bid_bound(jv bid, double bound);

struct plan_signal {
	long hive;               /* -1 when absent */
	bool has_round;          /* "round": when the Queen opened the round (her clock) */
	int64_t round_ms;
	int64_t start_ms;
	int step_s;
	long iteration;
	double rho;
	size_t slots;
	double *signal;
	double *price;           /* NULL, or slots prices per Wh at which the Queen asks each Worker's bound */
	bool has_proof;          /* lower_bound and proven_gap (INFINITY: none proven) are written */
	double lower_bound, proven_gap;
	enum { SIGNAL_ITERATE, SIGNAL_CONVERGED, SIGNAL_STOPPED } status;
};

jv planrec_signal(const struct plan_signal *s, double r, double sres);
/* Borrows rec. Returns 0, or -1 with *why. */
int planrec_signal_parse(jv rec, struct plan_signal *s, const char **why);
void planrec_signal_free(struct plan_signal *s);

/*
 * A bid's plan as the Queen reads it: worker, start, seconds, iteration,
 * plan_wh with its first slot from "first_wh" when the bid has it (within
 * 0.5 Wh of plan_wh's first), and "own_cost" and "bound" when it has them
 * (finite numbers). Borrows rec.
 */
struct plan_bid {
	char worker[64];
	int64_t start_ms;
	int step_s;
	long iteration;
	size_t slots;
	double *plan;
	double own_cost;         /* 0 when absent */
	bool has_own_cost, has_bound;
	double bound;
};
int planrec_bid_parse(jv rec, struct plan_bid *b, const char **why);
void planrec_bid_free(struct plan_bid *b);

#endif
