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
#include "localqp.h"
#include "planrec.h"
#include "tariff.h"

struct bidder {
	const struct assets *assets;
	const struct tariff *tariff;
	struct plan_forecast fc;   /* the current round's forecast (fc.net NULL: none) */
	struct lqp *lqp;
	struct lqp_plan plan;      /* the last bid's plan */
	long iteration;            /* the last bid's, -1: none */
	bool done;                 /* the round ended */
};

enum bidder_use { BIDDER_BID, BIDDER_NOT_MINE, BIDDER_IGNORED, BIDDER_BAD, BIDDER_FAILED };

void bidder_init(struct bidder *b, const struct assets *a, const struct tariff *t);
void bidder_free(struct bidder *b);

/*
 * Takes one "forecast" or "signal" record. Returns BIDDER_BID with *bid set
 * (the caller owns it: the next bid to sign and write), BIDDER_NOT_MINE for
 * another meter's forecast, BIDDER_IGNORED for a stale or closing signal
 * (*why says why, or NULL for a closing one), BIDDER_BAD for a malformed
 * record and BIDDER_FAILED when the plan cannot be made (*why).
 */
enum bidder_use bidder_take(struct bidder *b, jv rec, bool is_signal, jv *bid, char *why_buf, size_t why_size,
                            const char **why);

#endif
