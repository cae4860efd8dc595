/* bidder.c — a Worker's side of coordination (see bidder.h). */
#include "bidder.h"

#include <gmp.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

void bidder_init(struct bidder *b, const struct assets *a, const struct tariff *t)
{
	memset(b, 0, sizeof *b);
	b->assets = a;
	b->tariff = t;
	b->iteration = -1;
}

static void end_round(struct bidder *b)
{
	lqp_plan_free(&b->plan);
	lqp_free(b->lqp);
	b->lqp = NULL;
	planrec_forecast_free(&b->fc);
	b->iteration = -1;
	b->done = false;
}

void bidder_free(struct bidder *b)
{
	end_round(b);
}

/* The plan alone: the tariff's prices per Wh over the forecast's slots. */
static enum bidder_use plan_alone(struct bidder *b, char *why_buf, size_t why_size, const char **why)
{
	size_t T = b->fc.slots;
	double *buy = xmalloc(T * sizeof *buy), *sell = xmalloc(T * sizeof *sell);
	mpz_t pb, ps;
	mpz_inits(pb, ps, NULL);
	enum bidder_use use = BIDDER_BID;
	for (size_t t = 0; t < T && use == BIDDER_BID; t++) {
		if (tariff_prices(b->tariff, b->fc.start_ms + (int64_t)t * b->fc.step_s * 1000, pb, ps) != 0) {
			*why = "the tariff has no price for a slot of the forecast";
			use = BIDDER_FAILED;
		}
		buy[t] = mpz_get_d(pb) / 1000;
		sell[t] = mpz_get_d(ps) / 1000;
	}
	mpz_clears(pb, ps, NULL);
	if (use == BIDDER_BID &&
	    (lqp_new(&b->lqp, b->assets, b->fc.start_ms, b->fc.step_s, T, b->fc.net, b->fc.export_wh, why_buf,
	             why_size, why) != HIVE_OK ||
	     lqp_solve_alone(b->lqp, buy, sell, &b->plan, why) != HIVE_OK))
		use = BIDDER_FAILED;
	free(buy);
	free(sell);
	return use;
}

static enum bidder_use take_forecast(struct bidder *b, jv rec, jv *bid, char *why_buf, size_t why_size,
                                     const char **why)
{
	struct plan_forecast f;
	if (planrec_forecast(rec, &f, why) != 0)
		return BIDDER_BAD;
	if (b->assets->worker[0] && strcmp(f.meter, b->assets->worker) != 0) {
		planrec_forecast_free(&f);
		return BIDDER_NOT_MINE;
	}
	end_round(b);
	b->fc = f;
	enum bidder_use use = plan_alone(b, why_buf, why_size, why);
	if (use != BIDDER_BID) {
		end_round(b);
		return use;
	}
	b->iteration = 0;
	*bid = planrec_bid(b->assets->worker, b->fc.start_ms, b->fc.step_s, &b->plan, 0);
	return BIDDER_BID;
}

static enum bidder_use take_signal(struct bidder *b, jv rec, jv *bid, const char **why)
{
	struct plan_signal s;
	if (planrec_signal_parse(rec, &s, why) != 0)
		return BIDDER_BAD;
	enum bidder_use use = BIDDER_IGNORED;
	if (!b->lqp || s.start_ms != b->fc.start_ms || s.step_s != b->fc.step_s || s.slots != b->fc.slots)
		*why = "a signal for another horizon than this Worker's forecast";
	else if (b->done)
		*why = "a signal after the round ended";
	else if (s.iteration < b->iteration)
		*why = "a signal for an earlier iteration than this Worker's last bid";
	else if (s.status != SIGNAL_ITERATE) {
		b->done = true;
		*why = NULL;
	} else {
		size_t T = b->fc.slots;
		double *v = xmalloc(T * sizeof *v);
		for (size_t t = 0; t < T; t++)
			v[t] = planrec_declared(b->plan.net_wh, t) - s.signal[t]; /* as the Queen read it */
		struct lqp_plan next;
		if (lqp_solve_step(b->lqp, s.rho, v, &next, why) != HIVE_OK) {
			use = BIDDER_FAILED;
		} else {
			lqp_plan_free(&b->plan);
			b->plan = next;
			b->iteration = s.iteration + 1;
					*bid = planrec_bid(b->assets->worker, b->fc.start_ms, b->fc.step_s, &b->plan, b->iteration);
			use = BIDDER_BID;
		}
		free(v);
	}
	planrec_signal_free(&s);
	return use;
}

enum bidder_use bidder_take(struct bidder *b, jv rec, bool is_signal, jv *bid, char *why_buf, size_t why_size,
                            const char **why)
{
	*bid = jv_invalid();
	return is_signal ? take_signal(b, rec, bid, why) : take_forecast(b, rec, bid, why_buf, why_size, why);
}
