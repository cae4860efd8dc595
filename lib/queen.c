/* queen.c — the Queen's side of coordination over a stream (see queen.h). */
#include "queen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "coord.h"
#include "diag.h"
#include "eth.h"
#include "planrec.h"

void queen_init(struct queen *q, const struct queen_config *cfg)
{
	memset(q, 0, sizeof *q);
	q->cfg = cfg;
	q->last_start_ms = INT64_MIN;
	q->priced_iteration = -1;
	q->lower_bound = -INFINITY;
	recsig_init(&q->rs);
	for (size_t i = 0; cfg->members && i < cfg->nmembers; i++)
		keymap_put(&q->members, cfg->members[i], ETH_ADDR_SIZE, (uint32_t)i);
}

static void round_free(struct queen *q)
{
	sharing_free(&q->st);
	free(q->buy);
	free(q->sell);
	free(q->last_signal);
	free(q->price);
	q->buy = q->sell = q->last_signal = q->price = NULL;
	q->open = false;
	q->priced_iteration = -1;
	q->bounded = false;
	q->lower_bound = -INFINITY;
}

void queen_free(struct queen *q)
{
	round_free(q);
	for (size_t i = 0; i < q->n; i++) {
		free(q->w[i].plan);
		buf_free(&q->w[i].line);
	}
	free(q->w);
	keymap_free(&q->by_addr);
	keymap_free(&q->members);
	recsig_free(&q->rs);
}

void queen_out_free(struct queen_out *o)
{
	for (size_t i = 0; i < o->nsignals; i++)
		jv_free(o->signals[i]);
	buf_free(&o->final);
	memset(o, 0, sizeof *o);
}

static void out_init(struct queen_out *o)
{
	memset(o, 0, sizeof *o);
}

static void out_signal(struct queen_out *o, jv signal)
{
	HIVE_ASSERT(o->nsignals < 2);
	o->signals[o->nsignals++] = signal;
}

static bool is_member(const struct queen *q, const char *addr)
{
	uint8_t a[ETH_ADDR_SIZE];
	uint32_t i;
	return eth_address_parse(a, addr, strlen(addr)) == ETH_ADDR_OK && keymap_get(&q->members, a, sizeof a, &i);
}

static struct queen_worker *find_worker(struct queen *q, const char *addr)
{
	uint32_t i;
	return keymap_get(&q->by_addr, addr, strlen(addr), &i) ? &q->w[i] : NULL;
}

/* Whether a Worker not seen yet may bid: a member, or one of the first `workers`. */
static bool may_join(const struct queen *q, const char *addr)
{
	return q->cfg->members ? is_member(q, addr) : q->n < q->cfg->workers;
}

/* A new Worker's entry (after its bid was found good); by_addr finds it once its bid is taken. */
static struct queen_worker *add_worker(struct queen *q, const char *addr)
{
	if (q->n == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 16;
		q->w = xrealloc(q->w, q->cap * sizeof *q->w);
	}
	struct queen_worker *w = &q->w[q->n++];
	memset(w, 0, sizeof *w);
	strcpy(w->addr, addr);
	w->expected = true;
	w->waited = true;
	w->iteration = -1;
	return w;
}

static size_t expected_count(const struct queen *q)
{
	return q->cfg->members ? q->cfg->nmembers : q->cfg->workers;
}

/* The tariff's prices per Wh over a bid's horizon (allocated), or -1 when a slot has none. */
static int horizon_prices(const struct queen *q, const struct plan_bid *b, double **buy, double **sell)
{
	int64_t missing;
	*buy = xmalloc(b->slots * sizeof **buy);
	*sell = xmalloc(b->slots * sizeof **sell);
	if (tariff_prices_per_wh(q->cfg->tariff, b->start_ms, b->step_s, b->slots, *buy, *sell, &missing) == 0)
		return 0;
	free(*buy);
	free(*sell);
	return -1;
}

/* The bid's plan (taken) and line become the Worker's last. */
static void keep_plan(struct queen_worker *w, struct plan_bid *b, const char *line, size_t len)
{
	free(w->plan);
	w->plan = b->plan;
	b->plan = NULL;
	w->iteration = b->iteration;
	w->own_cost = b->own_cost;
	w->has_own_cost = b->has_own_cost;
	w->bound = b->bound;
	w->has_bound = b->has_bound;
	buf_reset(&w->line);
	buf_append(&w->line, line, len);
}

/* Opens the round of a first bid with its horizon's prices (taken). */
static void open_round(struct queen *q, const struct plan_bid *b, int64_t now_ms, int64_t wall_ms, double *buy,
                       double *sell)
{
	round_free(q);
	size_t T = b->slots;
	q->buy = buy;
	q->sell = sell;
	q->last_signal = xcalloc(T, sizeof *q->last_signal);
	q->open = true;
	q->start_ms = b->start_ms;
	q->step_s = b->step_s;
	q->slots = T;
	q->iteration = 0;
	q->opened_ms = now_ms;
	q->round_wall_ms = wall_ms;
	q->nparticipants = 0;
	for (size_t i = 0; i < q->n; i++) {
		struct queen_worker *w = &q->w[i];
		w->participant = false;
		w->waited = w->expected;
		w->iteration = -1;
		free(w->plan);
		w->plan = NULL;
		buf_reset(&w->line);
	}
}

static struct sharing_cost hive_cost(const struct queen *q)
{
	return sharing_cost_at(&q->cfg->coupling, q->slots, q->step_s, q->buy, q->sell);
}

/* The open round's signal of its current iteration, of values signal (status iterate, ρ the Queen's). */
static struct plan_signal round_signal(const struct queen *q, double *signal)
{
	return (struct plan_signal){ .hive = q->cfg->hive, .has_round = true, .round_ms = q->round_wall_ms,
		                     .start_ms = q->start_ms, .step_s = q->step_s, .iteration = q->iteration,
		                     .slots = q->slots, .signal = signal, .rho = q->st.rho };
}

/* ρ from the tariff and the participants' first plans (sharing_initial_rho). */
static double first_rho(const struct queen *q, const struct sharing_cost *g)
{
	const double **plans = xmalloc((q->n ? q->n : 1) * sizeof *plans);
	size_t k = 0;
	for (size_t i = 0; i < q->n; i++)
		if (q->w[i].participant)
			plans[k++] = q->w[i].plan;
	double rho = sharing_initial_rho(g, plans, k);
	free(plans);
	return rho;
}

/* Every Worker still waited for has bid for the iteration (at 0: every expected one). */
static bool all_in(const struct queen *q)
{
	size_t in = 0;
	for (size_t i = 0; i < q->n; i++) {
		const struct queen_worker *w = &q->w[i];
		if (q->iteration == 0)
			in += w->iteration == 0;
		else if (w->participant && w->waited && w->iteration != q->iteration)
			return false;
	}
	return q->iteration > 0 || in == expected_count(q);
}

static void end_round(struct queen *q, struct queen_out *out)
{
	out->ended = true;
	for (size_t i = 0; i < q->n; i++)
		if (q->w[i].participant) {
			buf_append(&out->final, q->w[i].line.data, q->w[i].line.len);
			buf_putc(&out->final, '\n');
		}
	q->last_start_ms = q->start_ms;
	q->rounds++;
	round_free(q);
}

/* The open round ends before its convergence: a "stopped" signal of its last state, and its final bids. */
static void stop_round(struct queen *q, struct queen_out *out)
{
	size_t T = q->slots;
	if (q->nparticipants == 0) { /* iteration 0 never closed: its bidders' plans alone are final */
		for (size_t i = 0; i < q->n; i++)
			q->w[i].participant = q->w[i].iteration == 0;
	} else {
		double *signal = xcalloc(T, sizeof *signal);
		struct plan_signal s = round_signal(q, signal);
		s.status = SIGNAL_STOPPED;
		memcpy(signal, q->last_signal, T * sizeof *signal);
		out_signal(out, planrec_signal(&s, q->st.r, q->st.s));
		free(signal);
	}
	end_round(q, out);
}

/*
 * The lower bound from the bids of this iteration, when they answer the
 * last priced signal: every participant's, each with its bound.
 */
static void take_bounds(struct queen *q, const struct sharing_cost *g)
{
	if (q->priced_iteration < 0 || q->iteration != q->priced_iteration + 1)
		return;
	double bound = sharing_dual_term(g, q->price);
	for (size_t i = 0; i < q->n; i++) {
		const struct queen_worker *w = &q->w[i];
		if (!w->participant)
			continue;
		if (w->iteration != q->iteration || !w->has_bound)
			return;
		bound += w->bound;
	}
	if (bound > q->lower_bound) {
		q->lower_bound = bound;
		q->bounded = true;
	}
}

/* What the participants' last plans cost the hive (x: their plans, in rows): INFINITY without every own cost. */
static double plans_cost(const struct queen *q, const struct sharing_cost *g, const double *x)
{
	size_t T = q->slots;
	double own = 0, *E = xcalloc(T, sizeof *E);
	size_t row = 0;
	for (size_t i = 0; i < q->n; i++) {
		const struct queen_worker *w = &q->w[i];
		if (!w->participant)
			continue;
		own = w->has_own_cost ? own + w->own_cost : INFINITY;
		for (size_t t = 0; t < T; t++)
			E[t] += x[row * T + t];
		row++;
	}
	/* the limits as the residuals meet them */
	struct sharing_cost wide = sharing_widened(g, sharing_aggregate_tolerance(&q->st));
	double cost = own + sharing_cost_of(&wide, E);
	free(E);
	return cost;
}

/* Closes the open iteration with the plans in: one round of the Queen, one signal. */
static void close_iteration(struct queen *q, int64_t now_ms, struct queen_out *out)
{
	size_t T = q->slots;
	if (q->iteration == 0) {
		for (size_t i = 0; i < q->n; i++) {
			q->w[i].participant = q->w[i].iteration == 0;
			q->nparticipants += q->w[i].participant;
		}
		if (q->nparticipants == 0)
			return;
		struct sharing_cost g0 = hive_cost(q);
		double rho = q->cfg->rho > 0 ? q->cfg->rho : first_rho(q, &g0);
		sharing_init(&q->st, q->nparticipants, T, rho);
	}
	double *x = xmalloc(q->nparticipants * T * sizeof *x), *signal = xmalloc(T * sizeof *signal);
	size_t row = 0, late = 0, waited = 0;
	for (size_t i = 0; i < q->n; i++) {
		struct queen_worker *w = &q->w[i];
		if (!w->participant)
			continue;
		memcpy(&x[row++ * T], w->plan, T * sizeof *x);
		if (w->iteration != q->iteration) {
			late += w->waited;
			w->waited = false; /* not waited for again this round */
		}
		waited += w->waited;
	}
	struct sharing_cost g = hive_cost(q);
	int done = sharing_round(&q->st, &g, x, q->cfg->eps_abs, q->cfg->eps_rel, signal);
	struct plan_signal s = round_signal(q, signal);
	bool bounding = q->cfg->gap > 0 && sharing_bounded(&g), proven = false;
	if (bounding) {
		take_bounds(q, &g);
		if (q->bounded) {
			s.has_proof = true;
			s.lower_bound = q->lower_bound;
			s.proven_gap = sharing_proven_gap(plans_cost(q, &g, x), q->lower_bound);
			proven = s.proven_gap <= q->cfg->gap;
		}
	}
	if (done == 1 || proven)
		s.status = SIGNAL_CONVERGED;
	else if ((size_t)q->iteration + 1 >= q->cfg->max_iter || done < 0 || waited == 0)
		s.status = SIGNAL_STOPPED;
	bool near = s.has_proof && s.proven_gap <= COORD_BOUND_NEAR * q->cfg->gap;
	if (bounding && s.status == SIGNAL_ITERATE && coord_bound_due((size_t)q->iteration, near)) {
		if (!q->price)
			q->price = xmalloc(T * sizeof *q->price);
		sharing_bound_prices(&g, q->st.rho, q->st.u, q->price);
		s.price = q->price;
		q->priced_iteration = q->iteration;
	}
	memcpy(q->last_signal, signal, T * sizeof *signal);
	out_signal(out, planrec_signal(&s, q->st.r, q->st.s));
	if (waited == 0)
		out->warning = "no Worker answered in time: the round stopped";
	else if (late)
		out->warning = "an iteration closed at its timeout: late Workers keep their last plans";
	free(x);
	free(signal);
	if (s.status != SIGNAL_ITERATE) {
		end_round(q, out);
		return;
	}
	q->iteration++;
	q->opened_ms = now_ms;
}

static int verify(struct queen *q, jv rec, const char *worker, const char **why)
{
	uint8_t addr[ETH_ADDR_SIZE], want[ETH_ADDR_SIZE];
	enum recsig_status st = recsig_recover(&q->rs, addr, rec, why);
	if (st == RECSIG_UNSIGNED)
		return *why = "the bid is not signed", -1;
	if (st != RECSIG_OK)
		return -1;
	if (eth_address_parse(want, worker, strlen(worker)) != ETH_ADDR_OK || memcmp(addr, want, sizeof addr) != 0)
		return *why = "the bid is not signed by its worker", -1;
	return 0;
}

static bool same_plan(const struct queen_worker *w, const struct plan_bid *b, size_t T)
{
	return memcmp(w->plan, b->plan, T * sizeof *b->plan) == 0;
}

/* Opens the round of a first bid for a later start, after stopping a round still open. */
static int next_round(struct queen *q, const struct plan_bid *b, int64_t now_ms, int64_t wall_ms,
                      struct queen_out *out, const char **why)
{
	double *buy, *sell;
	if (b->iteration != 0)
		return *why = "a bid for a round that is not open (a round opens with iteration 0)", -1;
	if (b->start_ms > wall_ms + QUEEN_MAX_AHEAD_MS)
		return *why = "a bid for a round more than two days ahead of the Queen's clock", -1;
	if (horizon_prices(q, b, &buy, &sell) != 0)
		return *why = "the tariff has no price for a slot of the bid's horizon", -1;
	if (q->open) {
		stop_round(q, out);
		out->warning = "a later round superseded the open one before it converged";
	}
	open_round(q, b, now_ms, wall_ms, buy, sell);
	return 0;
}

/* Takes a good bid of an expected Worker; returns 0 or -1 with *why. */
static int take(struct queen *q, struct queen_worker *w, struct plan_bid *b, const char *line, size_t len,
                int64_t now_ms, int64_t wall_ms, struct queen_out *out, const char **why)
{
	if (!q->open || b->start_ms > q->start_ms) {
		if (b->start_ms <= q->last_start_ms) {
			out->warning = "a stale bid, for a round that has ended";
			return 0;
		}
		if (next_round(q, b, now_ms, wall_ms, out, why) != 0)
			return -1;
	} else if (b->start_ms < q->start_ms) {
		out->warning = "a stale bid, for an earlier round";
		return 0;
	}
	if (b->step_s != q->step_s || b->slots != q->slots)
		return *why = "the bid's slots differ from its round's", -1;
	if (b->iteration > q->iteration)
		return *why = "a bid for an iteration ahead of the round's", -1;
	if (w->iteration == b->iteration && w->plan) {
		if (same_plan(w, b, q->slots))
			return 0;
		if (b->iteration == q->iteration)
			return *why = "a second, different bid for the iteration", -1;
	}
	if (w->participant && !w->waited && b->iteration == q->iteration - 1 && b->iteration > w->iteration) {
		/* A Worker that missed the timeout of the iteration just closed: its plan counts from the next
		 * round on (it is not waited for, so a Worker always a little late does not stall every round). */
		keep_plan(w, b, line, len);
		return 0;
	}
	if (b->iteration < q->iteration || (q->iteration > 0 && !w->participant)) {
		out->warning = "a stale bid, for an earlier iteration or from a Worker not in this round";
		return 0;
	}
	keep_plan(w, b, line, len);
	w->waited = w->expected;
	if (all_in(q))
		close_iteration(q, now_ms, out);
	return 0;
}

int queen_take(struct queen *q, jv rec, const char *line, size_t len, int64_t now_ms, int64_t wall_ms,
               struct queen_out *out, const char **why)
{
	out_init(out);
	struct plan_bid b;
	if (planrec_bid_parse(rec, &b, why) != 0)
		return -1;
	struct queen_worker *w = find_worker(q, b.worker);
	int rc = -1;
	if (!w && !may_join(q, b.worker))
		*why = q->cfg->members ? "the bid's worker is not a member of the hive"
		                       : "more Workers than the Queen waits for";
	else if (q->cfg->require_signatures && verify(q, rec, b.worker, why) != 0)
		rc = -1;
	else {
		bool fresh = !w;
		if (fresh)
			w = add_worker(q, b.worker);
		rc = take(q, w, &b, line, len, now_ms, wall_ms, out, why);
		if (fresh && !w->plan) { /* refused, or stale: it takes no place among those expected */
			buf_free(&w->line);
			q->n--;
		} else if (fresh) {
			HIVE_ASSERT(q->n <= UINT32_MAX);
			keymap_put(&q->by_addr, w->addr, strlen(w->addr), (uint32_t)(q->n - 1));
		}
	}
	planrec_bid_free(&b);
	return rc;
}

long queen_wait_ms(const struct queen *q, int64_t now_ms)
{
	if (!q->open || q->cfg->timeout_ms < 0)
		return -1;
	int64_t left = q->opened_ms + q->cfg->timeout_ms - now_ms;
	return left > 0 ? (long)left : 0;
}

void queen_timeout(struct queen *q, int64_t now_ms, struct queen_out *out)
{
	out_init(out);
	if (!q->open || queen_wait_ms(q, now_ms) > 0)
		return;
	close_iteration(q, now_ms, out);
	if (q->open && q->iteration == 0 && q->nparticipants == 0)
		q->opened_ms = now_ms; /* nobody yet: wait on */
}
