/*
 * clearing.c — a period of signed intervals into clearing records (see clearing.h).
 */
#include <stdlib.h>
#include <string.h>

#include "clearing.h"
#include "diag.h"
#include "eth.h"
#include "jvbuild.h"
#include "timeutil.h"


struct clearing_slot {
	int64_t start_ms;
	int64_t *energy;         /* per member, Wh */
	struct clearing_channel *channel; /* per member */
	bool *present;
};

const char *clearing_missing_name(enum clearing_missing m)
{
	return m == MISSING_SKIP ? "skip" : "zero";
}

int clearing_missing_parse(const char *name, enum clearing_missing *m)
{
	if (strcmp(name, "zero") == 0)
		*m = MISSING_AS_ZERO;
	else if (strcmp(name, "skip") == 0)
		*m = MISSING_SKIP;
	else
		return -1;
	return 0;
}

static int by_address(const void *a, const void *b)
{
	return memcmp(a, b, 20);
}

void clearing_init(struct clearing *c, const struct clearing_config *cfg, const uint8_t (*members)[20], size_t n)
{
	memset(c, 0, sizeof *c);
	c->cfg = *cfg;
	c->nmembers = n;
	c->members = xcalloc(n ? n : 1, 20);
	memcpy(c->members, members, n * 20);
	qsort(c->members, n, 20, by_address);
	for (size_t i = 0; i < n; i++)
		keymap_put(&c->member_index, c->members[i], 20, (uint32_t)i);
	c->last_start = xcalloc(n ? n : 1, sizeof *c->last_start);
	for (size_t i = 0; i < n; i++)
		c->last_start[i] = INT64_MIN;
	recsig_init(&c->rs);
}

void clearing_free(struct clearing *c)
{
	for (size_t i = 0; i < c->nslots; i++) {
		free(c->slots[i].energy);
		free(c->slots[i].channel);
		free(c->slots[i].present);
	}
	free(c->slots);
	free(c->members);
	free(c->last_start);
	keymap_free(&c->member_index);
	recsig_free(&c->rs);
}

/* The slot starting at start_ms, made when missing. */
static struct clearing_slot *slot_at(struct clearing *c, int64_t start_ms)
{
	size_t lo = 0, hi = c->nslots;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->slots[mid].start_ms < start_ms)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->nslots && c->slots[lo].start_ms == start_ms)
		return &c->slots[lo];
	if (c->nslots == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 128;
		c->slots = xrealloc(c->slots, c->cap * sizeof *c->slots);
	}
	memmove(&c->slots[lo + 1], &c->slots[lo], (c->nslots - lo) * sizeof *c->slots);
	c->nslots++;
	struct clearing_slot *s = &c->slots[lo];
	s->start_ms = start_ms;
	s->energy = xcalloc(c->nmembers ? c->nmembers : 1, sizeof *s->energy);
	s->channel = xcalloc(c->nmembers ? c->nmembers : 1, sizeof *s->channel);
	s->present = xcalloc(c->nmembers ? c->nmembers : 1, sizeof *s->present);
	return s;
}

static jv member(jv rec, const char *key)
{
	return jv_object_get(jv_copy(rec), jv_string(key));
}

/* An integer JSON number that a double keeps exactly. */
static int get_int(jv rec, const char *key, int64_t *out)
{
	jv v = member(rec, key);
	int ok = jv_get_kind(v) == JV_KIND_NUMBER;
	double d = ok ? jv_number_value(v) : 0;
	jv_free(v);
	/* The range first: converting a double beyond int64 is undefined behaviour. */
	if (!ok || d > 9007199254740992.0 || d < -9007199254740992.0 || d != (double)(int64_t)d)
		return -1;
	*out = (int64_t)d;
	return 0;
}

/* An optional non-negative integer: 0 and *out (−1 when absent), or -1 when malformed. */
static int get_optional(jv rec, const char *key, int64_t *out)
{
	jv v = member(rec, key);
	int absent = jv_get_kind(v) == JV_KIND_NULL || !jv_is_valid(v);
	jv_free(v);
	*out = -1;
	if (absent)
		return 0;
	return get_int(rec, key, out) == 0 && *out >= 0 ? 0 : -1;
}

/* The channel fields: present ones well formed, the nonce the slot's index, the energies the net's parts. */
static int get_channel(const struct clearing *c, jv rec, int64_t start, int64_t energy, struct clearing_channel *ch,
                       const char **why)
{
	int64_t nonce;
	jv n = member(rec, "nonce");
	bool has_nonce = jv_is_valid(n) && jv_get_kind(n) != JV_KIND_NULL;
	jv_free(n);
	if ((has_nonce && get_int(rec, "nonce", &nonce) != 0) || get_optional(rec, "import_wh", &ch->import_wh) != 0 ||
	    get_optional(rec, "export_wh", &ch->export_wh) != 0 ||
	    get_optional(rec, "register_import_wh", &ch->register_import) != 0 ||
	    get_optional(rec, "register_export_wh", &ch->register_export) != 0)
		return *why = "a malformed 'nonce', 'import_wh', 'export_wh' or register field", -1;
	if (has_nonce && nonce != start / c->cfg.step_ms)
		return *why = "its 'nonce' is not the slot's index since the epoch (start / slot length)", -1;
	if (ch->import_wh >= 0 && ch->export_wh >= 0 && ch->import_wh - ch->export_wh != energy)
		return *why = "'import_wh' − 'export_wh' is not 'energy_wh'", -1;
	return 0;
}

static bool same_channel(const struct clearing_channel *a, const struct clearing_channel *b)
{
	return a->import_wh == b->import_wh && a->export_wh == b->export_wh &&
	       a->register_import == b->register_import && a->register_export == b->register_export;
}

int clearing_add(struct clearing *c, jv rec, const char **why)
{
	struct clearing_channel ch;
	uint8_t meter[20], signer[20];
	int64_t start, seconds, energy;
	jv v = member(rec, "meter");
	int ok = jv_get_kind(v) == JV_KIND_STRING &&
	         eth_address_parse(meter, jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v))) == ETH_ADDR_OK;
	jv_free(v);
	if (!ok)
		return *why = "no valid 'meter' address", -1;
	uint32_t mi;
	if (!keymap_get(&c->member_index, meter, 20, &mi))
		return *why = "the meter is not a member of the hive", -1;
	enum recsig_status st = recsig_recover(&c->rs, signer, rec, why);
	if (st == RECSIG_UNSIGNED)
		return *why = "unsigned", -1;
	if (st != RECSIG_OK)
		return -1;
	if (memcmp(signer, meter, 20) != 0)
		return *why = "signed by another key than its meter's", -1;
	v = member(rec, "start");
	ok = jv_get_kind(v) == JV_KIND_STRING &&
	     rfc3339_parse(&start, jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)), why) == 0;
	jv_free(v);
	if (!ok)
		return *why = "no valid 'start' time", -1;
	if (get_int(rec, "seconds", &seconds) != 0 || seconds * 1000 != c->cfg.step_ms || start % c->cfg.step_ms != 0)
		return *why = "not one whole slot (its start and length do not match the step)", -1;
	if (start < c->cfg.from_ms || start >= c->cfg.to_ms)
		return *why = "outside the period cleared", 1;
	if (get_int(rec, "energy_wh", &energy) != 0)
		return *why = "no integer 'energy_wh'", -1;
	if (energy > CLEARING_MAX_WH || energy < -CLEARING_MAX_WH)
		return *why = "an 'energy_wh' beyond what any meter measures in a slot (2^38 Wh)", -1;
	if (get_channel(c, rec, start, energy, &ch, why) != 0)
		return -1;
	v = member(rec, "complete");
	ok = jv_get_kind(v) == JV_KIND_TRUE;
	jv_free(v);
	struct clearing_slot *s = slot_at(c, start);
	if (s->present[mi])
		return *why = s->energy[mi] == energy && same_channel(&s->channel[mi], &ch)
		                      ? "a replay: the same interval again (the first is kept)"
		                      : "a fork: a second, different interval for the same meter and slot (the first is kept)",
		       -1;
	if (start < c->last_start[mi])
		return *why = "out of order: before an interval already taken from this meter", -1;
	if (!ok)
		return *why = "incomplete: the meter's data has a gap in this slot", -1;
	s->energy[mi] = energy;
	s->channel[mi] = ch;
	s->present[mi] = true;
	c->last_start[mi] = start;
	return 0;
}

jv clearing_slot_record(const struct clearing_config *cfg, int64_t start_ms, size_t nworkers, const struct slot_result *r,
                        const mpz_t buy, const mpz_t sell, jv missing, bool complete)
{
	jv o = jv_object();
	o = jvb_set(o, "type", jv_string("clearing_slot"));
	o = jvb_set(o, "hive", jv_number(cfg->hive));
	o = jvb_set(o, "slot", jvb_time(start_ms));
	o = jvb_set(o, "seconds", jv_number((double)(cfg->step_ms / 1000)));
	o = jvb_set(o, "rule", jv_string(market_rule_name(cfg->params.rule)));
	o = jvb_set(o, "platform_fee_bps", jv_number(cfg->params.platform.bps));
	o = jvb_set(o, "platform_fee_basis", jv_string(market_fee_basis_name(cfg->params.platform.basis)));
	o = jvb_set(o, "owner_fee_bps", jv_number(cfg->params.owner.bps));
	o = jvb_set(o, "owner_fee_basis", jv_string(market_fee_basis_name(cfg->params.owner.basis)));
	o = jvb_set(o, "missing_policy", jv_string(clearing_missing_name(cfg->missing)));
	if (cfg->tariff_id)
		o = jvb_set(o, "tariff", jv_string(cfg->tariff_id));
	o = jvb_set(o, "workers", jv_number((double)nworkers));
	o = jvb_set(o, "missing", missing);
	o = jvb_set(o, "complete", jv_bool(complete));
	o = jvb_set(o, "cleared", jv_bool(r != NULL));
	o = jvb_set(o, "price_buy", jvb_integer(buy));
	o = jvb_set(o, "price_sell", jvb_integer(sell));
	if (r) {
		o = jvb_set(o, "demand_wh", jv_number((double)r->demand));
		o = jvb_set(o, "generation_wh", jv_number((double)r->generation));
		o = jvb_set(o, "shared_wh", jv_number((double)r->shared));
		o = jvb_set(o, "price_shared", jvb_fraction(r->price));
		o = jvb_set(o, "hive_cost_mbu", jvb_integer(r->hive_cost));
		o = jvb_set(o, "surplus_mbu", jvb_integer(r->surplus));
		o = jvb_set(o, "platform_fee_mbu", jvb_integer(r->platform_fee));
		o = jvb_set(o, "owner_fee_mbu", jvb_integer(r->owner_fee));
		o = jvb_set(o, "fee_capped", jv_bool(r->fee_capped));
	}
	return o;
}

jv clearing_worker_record(const struct clearing_config *cfg, int64_t start_ms, const uint8_t worker[20], int64_t energy_wh,
                          const struct clearing_channel *ch, const struct worker_result *w)
{
	jv o = jv_object();
	o = jvb_set(o, "type", jv_string("clearing"));
	o = jvb_set(o, "hive", jv_number(cfg->hive));
	o = jvb_set(o, "slot", jvb_time(start_ms));
	o = jvb_set(o, "worker", jvb_address(worker));
	o = jvb_set(o, "metered", jv_bool(ch != NULL));
	o = jvb_set(o, "energy_wh", jv_number((double)energy_wh));
	o = jvb_set(o, "from_community_wh", jv_number((double)w->from_community));
	o = jvb_set(o, "from_grid_wh", jv_number((double)w->from_grid));
	o = jvb_set(o, "to_community_wh", jv_number((double)w->to_community));
	o = jvb_set(o, "to_grid_wh", jv_number((double)w->to_grid));
	/* The channel fields travel on, so hive-settle can check the meter's chain of registers. */
	if (ch) {
		o = jvb_set(o, "nonce", jv_number((double)(start_ms / cfg->step_ms)));
		if (ch->import_wh >= 0)
			o = jvb_set(o, "import_wh", jv_number((double)ch->import_wh));
		if (ch->export_wh >= 0)
			o = jvb_set(o, "export_wh", jv_number((double)ch->export_wh));
		if (ch->register_import >= 0)
			o = jvb_set(o, "register_import_wh", jv_number((double)ch->register_import));
		if (ch->register_export >= 0)
			o = jvb_set(o, "register_export_wh", jv_number((double)ch->register_export));
	}
	o = jvb_set(o, "standalone_mbu", jvb_integer(w->standalone));
	o = jvb_set(o, "payment_mbu", jvb_integer(w->payment));
	o = jvb_set(o, "saving_mbu", jvb_integer(w->saving));
	return o;
}

int clearing_finish(struct clearing *c, void (*emit)(void *arg, jv record), void *arg, int64_t *slot_ms,
                    const char **why)
{
	mpz_t buy, sell;
	mpz_inits(buy, sell, NULL);
	/* Every slot's prices first, so that a missing one emits nothing at all. */
	for (size_t k = 0; k < c->nslots; k++)
		if (c->cfg.prices(c->cfg.prices_arg, c->slots[k].start_ms, buy, sell) != 0 || mpz_cmp(buy, sell) < 0 ||
		    mpz_sgn(sell) < 0) {
			*slot_ms = c->slots[k].start_ms;
			*why = "the tariff has no valid prices for this slot";
			mpz_clears(buy, sell, NULL);
			return -1;
		}
	for (size_t k = 0; k < c->nslots; k++) {
		const struct clearing_slot *s = &c->slots[k];
		struct slot_result r;
		c->cfg.prices(c->cfg.prices_arg, s->start_ms, buy, sell);
		jv missing = jv_array();
		for (size_t i = 0; i < c->nmembers; i++)
			if (!s->present[i])
				missing = jv_array_append(missing, jvb_address(c->members[i]));
		/* Complete when every member has an interval kept: refusals decide nothing by their order. */
		bool incomplete = jv_array_length(jv_copy(missing)) > 0;
		if (incomplete && c->cfg.missing == MISSING_SKIP) {
			emit(arg, clearing_slot_record(&c->cfg, s->start_ms, c->nmembers, NULL, buy, sell, missing, false));
			continue;
		}
		HIVE_ASSERT(market_clear_slot(&r, s->energy, c->nmembers, buy, sell, &c->cfg.params) == 0);
		emit(arg, clearing_slot_record(&c->cfg, s->start_ms, c->nmembers, &r, buy, sell, missing, !incomplete));
		for (size_t i = 0; i < c->nmembers; i++)
			emit(arg, clearing_worker_record(&c->cfg, s->start_ms, c->members[i], s->energy[i],
			                                 s->present[i] ? &s->channel[i] : NULL, &r.w[i]));
		market_result_free(&r);
	}
	mpz_clears(buy, sell, NULL);
	return 0;
}
