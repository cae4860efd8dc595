/*
 * bidder.h — a Worker's side of coordination (whitepaper §4.3), as hive-bid
 * runs it over a stream: its forecast starts a round of planning with its
 * plan alone against the tariff (iteration 0); each of the Queen's signals
 * for that round gives its next plan, for the signal's iteration + 1.
 *
 * A Worker that missed signals (it joined late, or the broker lost a
 * message) answers the next one it gets: the Queen held its last plan for
 * the iterations it missed, which is the plan its answer starts from. A
 * signal for another horizon than the current forecast's, or for an
 * iteration before the Worker's last bid's, is stale: ignored, with a
 * warning, and no bid. A "converged" or "stopped" signal ends the round:
 * the last bid stands. A forecast for another meter than the assets'
 * "worker" is not this Worker's and passes through.
 */
#ifndef HIVE_BIDDER_H
#define HIVE_BIDDER_H

#include <stdbool.h>
#include <stdint.h>

#include <jv.h>

#include "assets.h"
#include "coord.h"
#include "localqp.h"
#include "planrec.h"
#include "recsig.h"
#include "tariff.h"

/*
 * A child hive (whitepaper §2.1) whose Queen bids its aggregate as one
 * Worker in a parent hive: its members' assets (each naming its worker; one
 * without assets is inflexible), the limits at its own connection, and the
 * settings of its own coordination. Its round starts when every member has
 * a forecast of the same horizon: the plan alone is the child hive
 * coordinated against the tariff within its limits (as hive-clear simulate
 * does); each parent signal then gives the plans minimising the members'
 * own costs plus the parent's ρ/2‖E − v‖² on their aggregate E, within the
 * limits, coordinated here from the last plans. The bid is E; the members'
 * plans stay with the child.
 */
struct bidder_hive {
	const struct assets *members;
	size_t n;
	struct coupling coupling;      /* its connection's limits (no peak charge) */
	struct coord_options coord;
};

struct bidder {
	const struct assets *assets;   /* one Worker's, or NULL for a child hive */
	const struct bidder_hive *hive;
	const char *worker;            /* whose bids: the assets' worker, or the child hive's address */
	const struct tariff *tariff;
	struct plan_forecast fc;       /* the current round's forecast (a child hive: its horizon only) */
	bool active;                   /* a round is planned */
	struct lqp *lqp;
	struct lqp_plan plan;          /* the last bid's plan */
	long iteration;                /* the last bid's, -1: none */
	bool done;                     /* the round ended */
	int64_t now_ms;                /* the date of the record being taken */
	int64_t bid0_ms;               /* the date of the round's bid of iteration 0 */
	bool has_round;                /* the Queen's round answered (a signal's "round"), once one is */
	int64_t round_ms;
	long hive_id;                  /* ≥ 0: signals must name this hive */
	bool queen_required;           /* signals must be signed by queen */
	uint8_t queen[ETH_ADDR_SIZE];
	struct recsig rs;
	/* a child hive's round */
	struct plan_forecast *member_fc;  /* per member: its forecast waiting for the round (net NULL: none) */
	struct plan_forecast *round_fc;   /* per member: the forecast of the round planned */
	struct coord_worker *w;
	double *dual, *zero;
	double inner_rho;
};

enum bidder_use { BIDDER_BID, BIDDER_NOT_MINE, BIDDER_IGNORED, BIDDER_BAD, BIDDER_FAILED };

void bidder_init(struct bidder *b, const struct assets *a, const struct tariff *t);
/* A child hive's Queen bidding as worker (an address) in its parent hive; h and t outlive b. */
void bidder_init_hive(struct bidder *b, const struct bidder_hive *h, const struct tariff *t, const char *worker);
void bidder_free(struct bidder *b);
/* Takes only signals signed by the Queen's address: others are refused (BIDDER_BAD), so a broker cannot forge one. */
void bidder_require_queen(struct bidder *b, const uint8_t queen[ETH_ADDR_SIZE]);
/* Takes only signals of this hive (their "hive"); others are refused (BIDDER_BAD). */
void bidder_require_hive(struct bidder *b, long hive);
/* A child hive: how many members' forecasts wait for the others' (no round planned with them yet). */
size_t bidder_waiting(const struct bidder *b);

/*
 * A signal names its round by when the Queen opened it. A Worker's round
 * takes only the signals of the first round it answers (another's are
 * ignored). With bidder_require_queen a signal must name its round, and the
 * first one taken must have opened no more than BIDDER_ROUND_BEFORE_MS, or
 * a slot when longer, before the Worker's bid of iteration 0: an older one
 * is ignored, as a replay of a restarted Queen's earlier round (or her
 * clock is behind, or this Worker joined that late).
 */
#define BIDDER_ROUND_BEFORE_MS (60 * 60 * 1000)

/*
 * Takes one "forecast" or "signal" record at wall_ms (the date). Returns BIDDER_BID with *bid set
 * (the caller owns it: the next bid to sign and write), BIDDER_NOT_MINE for
 * another meter's forecast, BIDDER_IGNORED for a stale or closing signal
 * (*why says why, or NULL for a closing one, or a child hive's member
 * forecast that waits for the others), BIDDER_BAD for a malformed
 * record and BIDDER_FAILED when the plan cannot be made (*why).
 */
enum bidder_use bidder_take(struct bidder *b, jv rec, bool is_signal, int64_t wall_ms, jv *bid, char *why_buf,
                            size_t why_size, const char **why);

#endif
