/*
 * queen.h — the Queen's side of coordination over a stream (hive-clear
 * coordinate): she collects the Workers' bids of each iteration, runs one
 * round of sharing ADMM (sharing.h) and answers with one broadcast signal,
 * until the residuals meet the tolerances or the iteration cap.
 *
 * A round is a horizon (start, seconds, slots), opened by the first bid of
 * iteration 0 for a start later than every round before. The Workers
 * expected are the hive's members (when given) or the first `workers`
 * distinct bidders. Iteration k closes when every expected Worker still
 * waited for has bid for k, or when the timeout passes after it opened:
 *   - at iteration 0, the Workers that bid are the round's participants;
 *     at least one must have;
 *   - later, a participant that has not bid keeps its last plan, and is not
 *     waited for again in this round (a Worker that dropped out does not
 *     stall every iteration); a bid of it for a later iteration brings it
 *     back.
 * When no participant is waited for any more, the round stops: nobody is
 * left to answer. A first bid (iteration 0) for a later start than the open
 * round's supersedes it: the open round stops, then the new one opens.
 * A stopped round's signal has status "stopped"; it still ends with its
 * final bids, the last each participant made.
 *
 * A participant no longer waited for whose bid for the iteration just
 * closed comes in late: that plan is its last from the next round on.
 *
 * With a gap (queen_config.gap) and no peak charge, the signals of the
 * iterations coord_bound_due names carry the prices y = ρ·u
 * (sharing_bound_prices); when every
 * participant answers it with a bid of the next iteration carrying its
 * "bound" (its plan alone at y), their sum and the hive's dual term are a
 * lower bound on the optimum (sharing.h), the best of the round kept. An
 * iteration whose plans' cost, their "own_cost" and the hive's cost of
 * their aggregate within the limits, is proven within the gap of the bound
 * closes the round converged, as the residuals do; the signals from the
 * first bound on say "lower_bound" and "proven_gap". The proof is as good
 * as the Workers' bounds, which the Queen cannot check (as their plans'
 * own costs): a Worker that lies about its bound can end the round early.
 *
 * Refused, by the caller's diagnostic (a refused or stale bid of a Worker
 * not seen before takes no place among those expected): a bid whose worker
 * is not an address; of a Worker that is not a member, or beyond the first
 * `workers`; without a valid signature of its worker when signatures are
 * required; for a round that is not open at an iteration above 0, that
 * starts more than QUEEN_MAX_AHEAD_MS after wall_ms, or whose slots the
 * tariff does not price; for the round's start with other slots; for an
 * iteration ahead of the round's; a second, different bid for the open
 * iteration. A bid for an earlier iteration or an ended round is stale:
 * ignored with a warning. A Worker's last bid again is ignored silently.
 */
#ifndef HIVE_QUEEN_H
#define HIVE_QUEEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jv.h>

#include "buf.h"
#include "keymap.h"
#include "recsig.h"
#include "sharing.h"
#include "tariff.h"

/* How far ahead of the Queen's clock a round may start (a bid far in the future would block every later round). */
#define QUEEN_MAX_AHEAD_MS (2 * 86400 * 1000LL)

struct queen_config {
	const struct tariff *tariff;
	long hive;                      /* -1: none */
	const uint8_t (*members)[20];   /* NULL: any Worker, the first `workers` */
	size_t nmembers;
	size_t workers;                 /* without members: how many to wait for */
	bool require_signatures;
	struct coupling coupling;       /* the hive's connection: limits, peak charge */
	double rho;                     /* 0: from the tariff and the first plans */
	double eps_abs, eps_rel;
	size_t max_iter;
	long timeout_ms;                /* how long an iteration waits for late Workers */
	double gap;                     /* 0, or also stop when the plans are proven within it (below) */
};

struct queen_worker {
	char addr[43];
	bool expected, participant, waited; /* waited: still waited for in this round */
	long iteration;                     /* of its last bid in the round, -1: none */
	double *plan;                       /* its last plan (T) */
	double own_cost;                    /* its last bid's "own_cost" (has_own_cost) and "bound" (has_bound) */
	bool has_own_cost, has_bound;
	double bound;
	struct buf line;                    /* its last bid as received */
};

struct queen {
	const struct queen_config *cfg;
	struct recsig rs;
	size_t n, cap;
	struct queen_worker *w;
	struct keymap by_addr;              /* a Worker's address as it bids: its index in w */
	struct keymap members;              /* the members' addresses (20 bytes), when given */
	/* the round */
	bool open;
	int64_t start_ms, last_start_ms;
	int step_s;
	size_t slots;
	long iteration;
	int64_t opened_ms;                  /* when the iteration opened */
	int64_t round_wall_ms;              /* when the round opened, by the date: its signals' "round" */
	double *buy, *sell;
	double *last_signal;                /* the last signal sent in the round (zeros before one) */
	struct sharing_state st;
	size_t nparticipants;
	size_t rounds;                      /* ended */
	/* the lower bound of a gap asked for */
	double *price;                      /* the prices of the last signal that asked the Workers' bounds */
	long priced_iteration;              /* that signal's iteration, -1: none yet */
	bool bounded;
	double lower_bound;                 /* the round's best */
};

/* What the caller writes, after a bid or a timeout: signals in order (a superseded round's last, then the new one's). */
struct queen_out {
	jv signals[2];
	size_t nsignals;
	bool ended;            /* the round ended: the final bids follow */
	struct buf final;      /* the ended round's last bids as received, one per line */
	const char *warning;   /* a stale bid, or a timeout's note; NULL: none */
};

void queen_init(struct queen *q, const struct queen_config *cfg);
void queen_free(struct queen *q);
void queen_out_free(struct queen_out *o);

/*
 * One bid (its record and its line as read) at now_ms, a clock that never
 * jumps (timeouts), and wall_ms, the date (how far ahead a round may start).
 * Returns 0 (out filled), or -1 with *why: the bid is refused.
 */
int queen_take(struct queen *q, jv rec, const char *line, size_t len, int64_t now_ms, int64_t wall_ms,
               struct queen_out *out, const char **why);

/* How long until the open iteration's timeout, in ms (-1: nothing waits). */
long queen_wait_ms(const struct queen *q, int64_t now_ms);

/* The timeout passed: closes the iteration with what came in. */
void queen_timeout(struct queen *q, int64_t now_ms, struct queen_out *out);

#endif
