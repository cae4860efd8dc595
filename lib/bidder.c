/* bidder.c — a Worker's side of coordination (see bidder.h). */
#include "bidder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

void bidder_init(struct bidder *b, const struct assets *a, const struct tariff *t)
{
	memset(b, 0, sizeof *b);
	b->assets = a;
	b->worker = a->worker;
	b->tariff = t;
	b->iteration = -1;
	b->hive_id = -1;
	recsig_init(&b->rs);
}

void bidder_init_hive(struct bidder *b, const struct bidder_hive *h, const struct tariff *t, const char *worker)
{
	memset(b, 0, sizeof *b);
	b->hive = h;
	b->worker = worker;
	b->tariff = t;
	b->iteration = -1;
	b->member_fc = xcalloc(h->n ? h->n : 1, sizeof *b->member_fc);
	b->hive_id = -1;
	recsig_init(&b->rs);
}

/* The child hive's Workers' problems and plans, and the Queen's dual within it. */
static void end_hive_round(struct bidder *b)
{
	for (size_t i = 0; b->w && i < b->hive->n; i++) {
		lqp_plan_free(&b->w[i].alone);
		lqp_plan_free(&b->w[i].plan);
		lqp_free(b->w[i].lqp);
	}
	free(b->w);
	b->w = NULL;
	free(b->dual);
	b->dual = NULL;
	free(b->zero);
	b->zero = NULL;
	for (size_t i = 0; b->round_fc && i < b->hive->n; i++)
		planrec_forecast_free(&b->round_fc[i]);
	free(b->round_fc);
	b->round_fc = NULL;
}

static void end_round(struct bidder *b)
{
	lqp_plan_free(&b->plan);
	lqp_free(b->lqp);
	b->lqp = NULL;
	if (b->hive)
		end_hive_round(b);
	free(b->fc.net);
	free(b->fc.export_wh);
	memset(&b->fc, 0, sizeof b->fc);
	b->active = false;
	b->iteration = -1;
	b->done = false;
	b->has_round = false;
}

void bidder_free(struct bidder *b)
{
	end_round(b);
	for (size_t i = 0; b->hive && i < b->hive->n; i++)
		planrec_forecast_free(&b->member_fc[i]);
	free(b->member_fc);
	b->member_fc = NULL;
	recsig_free(&b->rs);
}

size_t bidder_waiting(const struct bidder *b)
{
	size_t n = 0;
	for (size_t i = 0; b->hive && i < b->hive->n; i++)
		n += b->member_fc[i].net != NULL;
	return n;
}

void bidder_require_hive(struct bidder *b, long hive)
{
	b->hive_id = hive;
}

void bidder_require_queen(struct bidder *b, const uint8_t queen[ETH_ADDR_SIZE])
{
	b->queen_required = true;
	memcpy(b->queen, queen, ETH_ADDR_SIZE);
}

/* 0 when the signal is the Queen's own; -1 with *why (in why_buf) when not. */
static int check_queen(struct bidder *b, jv rec, char *why_buf, size_t why_size, const char **why)
{
	uint8_t addr[ETH_ADDR_SIZE];
	enum recsig_status st = recsig_recover(&b->rs, addr, rec, why);
	if (st == RECSIG_UNSIGNED) {
		*why = "the signal is not signed, and --queen requires the Queen's signature";
		return -1;
	}
	if (st != RECSIG_OK)
		return -1;
	if (memcmp(addr, b->queen, ETH_ADDR_SIZE) != 0) {
		char who[ETH_ADDR_STRLEN + 1];
		eth_address_format(who, addr);
		snprintf(why_buf, why_size, "the signal is signed by %s, not by the Queen", who);
		*why = why_buf;
		return -1;
	}
	return 0;
}

/* The tariff's prices per Wh over the round's slots. */
static int round_prices(const struct bidder *b, double *buy, double *sell, const char **why)
{
	int64_t missing;
	if (tariff_prices_per_wh(b->tariff, b->fc.start_ms, b->fc.step_s, b->fc.slots, buy, sell, &missing) == 0)
		return 0;
	*why = "the tariff has no price for a slot of the forecast";
	return -1;
}

/* The plan alone: one Worker's against the tariff. */
static enum bidder_use plan_alone(struct bidder *b, char *why_buf, size_t why_size, const char **why)
{
	size_t T = b->fc.slots;
	double *buy = xmalloc(T * sizeof *buy), *sell = xmalloc(T * sizeof *sell);
	enum bidder_use use = BIDDER_BID;
	if (round_prices(b, buy, sell, why) != 0 ||
	    lqp_new(&b->lqp, b->assets, b->fc.start_ms, b->fc.step_s, T, b->fc.net, b->fc.export_wh, why_buf,
	            why_size, why) != HIVE_OK ||
	    lqp_solve_alone(b->lqp, buy, sell, &b->plan, why) != HIVE_OK)
		use = BIDDER_FAILED;
	free(buy);
	free(sell);
	return use;
}

/* The child hive's coupling cost: its connection's limits, and prices (the tariff's alone; none in the parent). */
static struct sharing_cost hive_cost(const struct bidder *b, const double *buy, const double *sell)
{
	return sharing_cost_at(&b->hive->coupling, b->fc.slots, b->fc.step_s, buy, sell);
}

/* The aggregate of the child hive's plans, as its one Worker's plan, and their own costs. */
static void hive_aggregate(struct bidder *b)
{
	size_t T = b->fc.slots;
	lqp_plan_free(&b->plan);
	b->plan.slots = T;
	b->plan.net_wh = xcalloc(T, sizeof *b->plan.net_wh);
	for (size_t i = 0; i < b->hive->n; i++) {
		const struct lqp_plan *p = coord_plan(&b->w[i]);
		const double *x = p ? p->net_wh : b->w[i].net;
		for (size_t t = 0; t < T; t++)
			b->plan.net_wh[t] += x[t];
		b->plan.own_cost += p ? p->own_cost : 0;
	}
}

/* Coordinates the child hive against g: cold for its plan alone, then warm from the last plans, ρ and dual. */
/* *why, which may lie in why_buf, prefixed with the member it is about. */
static const char *about_member(const struct bidder *b, size_t i, char *why_buf, size_t why_size, const char *why)
{
	char what[160];
	snprintf(what, sizeof what, "%s", why);
	snprintf(why_buf, why_size, "member %s: %s", b->hive->members[i].worker, what);
	return why_buf;
}

static enum bidder_use coordinate_hive(struct bidder *b, const struct sharing_cost *g, bool warm, char *why_buf,
                                       size_t why_size, const char **why)
{
	struct coord_options o = b->hive->coord;
	if (warm)
		o.rho = b->inner_rho;
	o.dual = b->dual;
	o.warm = warm;
	struct coord_result res;
	size_t failed = 0;
	if (coord_run(b->w, b->hive->n, g, &o, &res, &failed, why) != HIVE_OK) {
		*why = about_member(b, failed, why_buf, why_size, *why);
		return BIDDER_FAILED;
	}
	b->inner_rho = res.rho;
	if (!res.converged)
		diag_warn("the child hive did not converge within %zu iterations: its plan is the last iteration's",
		          res.iterations);
	hive_aggregate(b);
	return BIDDER_BID;
}

/* The child hive's plan alone: its Workers coordinated against the tariff at its own connection. */
static enum bidder_use hive_alone(struct bidder *b, char *why_buf, size_t why_size, const char **why)
{
	const struct bidder_hive *h = b->hive;
	size_t T = b->fc.slots;
	b->w = xcalloc(h->n, sizeof *b->w);
	b->dual = xcalloc(T, sizeof *b->dual);
	b->zero = xcalloc(T, sizeof *b->zero);
	for (size_t i = 0; i < h->n; i++) {
		b->w[i].net = b->round_fc[i].net;
		if (h->members[i].n > 0 &&
		    lqp_new(&b->w[i].lqp, &h->members[i], b->fc.start_ms, b->fc.step_s, T, b->round_fc[i].net,
		            b->round_fc[i].export_wh, why_buf, why_size, why) != HIVE_OK) {
			*why = about_member(b, i, why_buf, why_size, *why);
			return BIDDER_FAILED;
		}
	}
	double *buy = xmalloc(T * sizeof *buy), *sell = xmalloc(T * sizeof *sell);
	enum bidder_use use = BIDDER_FAILED;
	if (round_prices(b, buy, sell, why) == 0) {
		struct sharing_cost g = hive_cost(b, buy, sell);
		use = coordinate_hive(b, &g, false, why_buf, why_size, why);
	}
	free(buy);
	free(sell);
	return use;
}

/* One Worker's next plan: its own cost plus ρ/2‖x − v‖². */
static enum bidder_use step_one(struct bidder *b, double rho, const double *v, const char **why)
{
	struct lqp_plan next;
	if (lqp_solve_step(b->lqp, rho, v, &next, why) != HIVE_OK)
		return BIDDER_FAILED;
	lqp_plan_free(&b->plan);
	b->plan = next;
	return BIDDER_BID;
}

/*
 * The child hive's next plan: its Workers' own costs plus the parent's ρ/2‖E − v‖² on their aggregate E,
 * within the child's limits — a sharing problem whose hive cost is that quadratic (sharing.h's target),
 * coordinated here from the last plans and dual.
 */
static enum bidder_use step_hive(struct bidder *b, double rho, const double *v, char *why_buf, size_t why_size,
                                 const char **why)
{
	struct sharing_cost g = hive_cost(b, b->zero, b->zero);
	g.target = v;
	g.target_weight = rho;
	return coordinate_hive(b, &g, true, why_buf, why_size, why);
}

/*
 * A Worker's share of the Queen's lower bound: its plan alone at the
 * signal's prices, buying and selling at each. A child hive gives none (its
 * own optimum at those prices would take a coordination of its own); nor
 * does a Worker whose plan alone fails there: the Queen then proves nothing
 * this iteration.
 */
static int bound_at(struct bidder *b, const double *price, double *bound)
{
	struct lqp_plan at;
	const char *why;
	if (lqp_solve_alone(b->lqp, price, price, &at, &why) != HIVE_OK)
		return -1;
	*bound = at.objective;
	lqp_plan_free(&at);
	return 0;
}

/* A round planned alone opens with its bid of iteration 0; one that could not be planned ends. */
static enum bidder_use first_bid(struct bidder *b, enum bidder_use use, jv *bid)
{
	if (use != BIDDER_BID) {
		end_round(b);
		return use;
	}
	b->active = true;
	b->iteration = 0;
	b->bid0_ms = b->now_ms;
	*bid = planrec_bid(b->worker, b->fc.start_ms, b->fc.step_s, &b->plan, 0);
	return BIDDER_BID;
}

/* A forecast for one member of the child hive; the round starts when every member has one of the same horizon. */
static enum bidder_use take_member_forecast(struct bidder *b, struct plan_forecast *f, jv *bid, char *why_buf,
                                            size_t why_size, const char **why)
{
	const struct bidder_hive *h = b->hive;
	size_t m = 0;
	while (m < h->n && strcmp(h->members[m].worker, f->meter) != 0)
		m++;
	if (m == h->n) {
		planrec_forecast_free(f);
		return BIDDER_NOT_MINE;
	}
	const struct plan_forecast *waiting = &b->member_fc[m];
	if ((b->active && f->start_ms < b->fc.start_ms) || (waiting->net && f->start_ms < waiting->start_ms)) {
		planrec_forecast_free(f);
		*why = "a forecast older than the round planned or the member's forecast waiting";
		return BIDDER_IGNORED;
	}
	for (size_t i = 0; i < h->n; i++) {
		const struct plan_forecast *g = &b->member_fc[i];
		if (i != m && g->net && g->start_ms == f->start_ms && (g->step_s != f->step_s || g->slots != f->slots)) {
			planrec_forecast_free(f);
			snprintf(why_buf, why_size, "its step or length differs from member %s's forecast of the same start",
			         h->members[i].worker);
			*why = why_buf;
			return BIDDER_BAD;
		}
	}
	planrec_forecast_free(&b->member_fc[m]);
	b->member_fc[m] = *f;
	for (size_t i = 0; i < h->n; i++) {
		const struct plan_forecast *g = &b->member_fc[i];
		if (!g->net || g->start_ms != f->start_ms || g->step_s != f->step_s || g->slots != f->slots) {
			*why = NULL;
			return BIDDER_IGNORED;   /* waiting for the others */
		}
	}
	end_round(b);
	b->fc = (struct plan_forecast){ .start_ms = f->start_ms, .step_s = f->step_s, .slots = f->slots };
	/* the round keeps these forecasts (inflexible members' plans are theirs); the next round needs new ones */
	b->round_fc = b->member_fc;
	b->member_fc = xcalloc(h->n, sizeof *b->member_fc);
	return first_bid(b, hive_alone(b, why_buf, why_size, why), bid);
}

static enum bidder_use take_forecast(struct bidder *b, jv rec, jv *bid, char *why_buf, size_t why_size,
                                     const char **why)
{
	struct plan_forecast f;
	if (planrec_forecast(rec, &f, why) != 0)
		return BIDDER_BAD;
	if (b->hive)
		return take_member_forecast(b, &f, bid, why_buf, why_size, why);
	if (b->assets->worker[0] && strcmp(f.meter, b->assets->worker) != 0) {
		planrec_forecast_free(&f);
		return BIDDER_NOT_MINE;
	}
	end_round(b);
	b->fc = f;
	return first_bid(b, plan_alone(b, why_buf, why_size, why), bid);
}

/* BIDDER_BID when the signal is of the round this Worker answers (the first one fixes it), else why not. */
static enum bidder_use check_round(struct bidder *b, const struct plan_signal *s, const char **why)
{
	if (!s->has_round) {
		if (!b->queen_required)
			return BIDDER_BID;
		*why = "the signal names no round, and --queen requires the Queen's";
		return BIDDER_BAD;
	}
	if (b->has_round) {
		if (s->round_ms == b->round_ms)
			return BIDDER_BID;
		*why = "a signal of another round than the one this Worker answers";
		return BIDDER_IGNORED;
	}
	int64_t before = (int64_t)b->fc.step_s * 1000 > BIDDER_ROUND_BEFORE_MS ? (int64_t)b->fc.step_s * 1000
	                                                                        : BIDDER_ROUND_BEFORE_MS;
	if (b->queen_required && s->round_ms < b->bid0_ms - before) {
		*why = "the signal's round opened more than an hour (or a slot, if longer) before this Worker's bid of "
		       "iteration 0: a replay of an earlier round, the Queen's clock behind, or this Worker late";
		return BIDDER_IGNORED;
	}
	b->has_round = true;
	b->round_ms = s->round_ms;
	return BIDDER_BID;
}

static enum bidder_use take_signal(struct bidder *b, jv rec, jv *bid, char *why_buf, size_t why_size,
                                   const char **why)
{
	struct plan_signal s;
	if (planrec_signal_parse(rec, &s, why) != 0)
		return BIDDER_BAD;
	enum bidder_use use = BIDDER_IGNORED;
	if (b->hive_id >= 0 && s.hive != b->hive_id) {
		planrec_signal_free(&s);
		*why = "the signal is not of this Worker's hive (--hive)";
		return BIDDER_BAD;
	}
	enum bidder_use round = BIDDER_BID;
	if (!b->active || s.start_ms != b->fc.start_ms || s.step_s != b->fc.step_s || s.slots != b->fc.slots)
		*why = "a signal for another horizon than this Worker's forecast";
	else if (b->done)
		*why = "a signal after the round ended";
	else if ((round = check_round(b, &s, why)) != BIDDER_BID)
		use = round;
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
		use = b->hive ? step_hive(b, s.rho, v, why_buf, why_size, why) : step_one(b, s.rho, v, why);
		if (use == BIDDER_BID) {
			b->iteration = s.iteration + 1;
			*bid = planrec_bid(b->worker, b->fc.start_ms, b->fc.step_s, &b->plan, b->iteration);
			double bound;
			if (s.price && !b->hive && bound_at(b, s.price, &bound) == 0)
				*bid = planrec_bid_bound(*bid, bound);
		}
		free(v);
	}
	planrec_signal_free(&s);
	return use;
}

enum bidder_use bidder_take(struct bidder *b, jv rec, bool is_signal, int64_t wall_ms, jv *bid, char *why_buf,
                            size_t why_size, const char **why)
{
	*bid = jv_invalid();
	b->now_ms = wall_ms;
	if (is_signal && b->queen_required && check_queen(b, rec, why_buf, why_size, why) != 0)
		return BIDDER_BAD;
	return is_signal ? take_signal(b, rec, bid, why_buf, why_size, why) : take_forecast(b, rec, bid, why_buf, why_size, why);
}
