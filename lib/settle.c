/*
 * settle.c — a period of clearing records into settlement records (see settle.h).
 */
#include <csv.h>
#include <stdlib.h>
#include <string.h>

#include <gmp.h>

#include "amount.h"
#include "clearing.h"
#include "diag.h"
#include "eth.h"
#include "hex.h"
#include "jcs.h"
#include "jvbuild.h"
#include "keccak.h"
#include "keymap.h"
#include "recsig.h"
#include "settle.h"
#include "timeutil.h"

#define PARAM_TEXT 80

/* The clearing parameters every slot of a period must share. */
enum param {
	P_RULE, P_PLATFORM_BPS, P_PLATFORM_BASIS, P_OWNER_BPS, P_OWNER_BASIS, P_MISSING, P_TARIFF, P_SECONDS, NPARAMS
};
static const char *const param_keys[NPARAMS] = { "rule", "platform_fee_bps", "platform_fee_basis", "owner_fee_bps",
	                                         "owner_fee_basis", "missing_policy", "tariff", "seconds" };
static const bool param_is_number[NPARAMS] = { [P_PLATFORM_BPS] = true, [P_OWNER_BPS] = true, [P_SECONDS] = true };

/* A Worker's chain of registers over the period, checked (see settle.h). */
struct channel {
	int64_t slots, gaps;
	int64_t first_ms, last_ms;
	int64_t open_import, open_export, close_import, close_export;
	bool broken;
};

struct slot {
	int64_t ms;
	bool have_record, cleared, complete;
	int64_t workers, seen;
	int64_t demand, generation, shared;
	mpz_t hive_cost, surplus, platform_fee, owner_fee;   /* from its clearing_slot record, mbu */
	mpz_t paid, standalone;                              /* sums of its clearing records, mbu */
	mpz_t buy, sell;                                     /* its prices, base units per kWh */
	int64_t pos_wh, neg_wh;                              /* sums of its records' imports and exports */
	bool conflict;                                       /* two records for one Worker, or two slot records */
	uint8_t *taken;                                      /* bit per Worker index */
	size_t taken_len;
	int64_t *energy;                                     /* per Worker index, Wh where taken; INT64_MIN: not metered */
	size_t energy_len;
	struct clearing_channel *chan;                                   /* per Worker index, once a record of the slot has registers */
	size_t chan_len;
};

struct worker {
	uint8_t addr[20];
	int64_t slots, unmetered;
	int64_t import_wh, export_wh, from_community, from_grid, to_community, to_grid;
	mpz_t standalone_mbu, payment_mbu;
	bool member;                         /* in the hive's export */
	/* reputation */
	bool scored_before, declared;
	int64_t rep_prev;
	int64_t dev_wh, scale_wh;            /* Σ|d − m|, Σ(|d| + |m|) over declared slots */
	/* results */
	mpz_t standalone, market, charge, reward, amount, rem;
	int64_t rep_new, accuracy;
	struct channel ch;
	uint8_t settlement_hash[32];         /* keccak256 of its settlement record without "prev" and "sig" */
};

/* A declaration: the first planned slot of a bid. */
struct declared {
	uint32_t worker;
	int64_t ms, wh;
	double seconds;          /* the bid's slot length, as it says */
};

struct settle {
	struct settle_config cfg;
	mpz_t dev_price;
	struct slot *slots;
	size_t nslots, slots_cap;
	struct keymap slot_index;            /* int64 ms → slot */
	char last_slot_text[40];
	size_t last_slot_len;
	int64_t last_slot_ms;
	struct worker *workers;
	size_t nworkers, workers_cap;
	struct keymap worker_text, worker_bytes;   /* address text / bytes → worker */
	struct keymap members;               /* the export's members */
	struct keymap bids;                  /* (Worker, first slot) → its declaration */
	struct declared *decl;
	size_t ndecl, decl_cap;
	char params[NPARAMS][PARAM_TEXT];
	bool have_params;
	/* the archive */
	uint8_t head[32];
	bool have_head;
	struct keymap prev_score;            /* address bytes → score, from the archive */
	int64_t *settled_from, *settled_to;  /* periods in the archive */
	size_t nsettled;
	/* totals of the period, for the hive record and the table */
	mpz_t w_total, dso, platform, owner_keeps, owner_fee_floor, pot;
	mpz_t hive_cost, surplus, platform_fee, owner_fee, standalone_mbu, payment_mbu;
	int64_t import_wh, export_wh, demand, generation, shared;
	int64_t slots_cleared, slots_incomplete, slots_uncleared;
	bool finished;
	struct buf problems;                 /* broken channels, one line each */
	int64_t channels_closed, channels_broken;
	int64_t bad_slot;                    /* the slot an inconsistency was found in */
	uint32_t *settled_order;             /* the Workers settled, by address */
	size_t nsettled_workers;
	size_t declared_slots;
	struct buf s;
	struct recsig rs;
	mpz_t c, x, y, z, buy, sell;         /* scratch for one record */
};

/* ------------------------------------------------------------ small parsers */

static const struct jsonview_member *get_kind(const struct jsonview *v, const char *key, enum jsonview_kind kind)
{
	const struct jsonview_member *m = jsonview_get(v, key);
	return m && m->kind == kind ? m : NULL;
}

/* A JSON integer in int64 range (no fraction, no exponent). */
static int view_int(const struct jsonview *v, const char *key, int64_t *out)
{
	const struct jsonview_member *m = get_kind(v, key, JV_NUMBER_SPAN);
	size_t i = m && m->vlen > 0 && m->val[0] == '-';
	/* At most 18 digits: below 10^18, so no int64 overflow here nor in a sum of a few. */
	if (!m || m->vlen == i || m->vlen - i > 18)
		return -1;
	int64_t x = 0;
	for (; i < m->vlen; i++) {
		if (m->val[i] < '0' || m->val[i] > '9')
			return -1;
		x = x * 10 + (m->val[i] - '0');
	}
	*out = m->val[0] == '-' ? -x : x;
	return 0;
}

/* A decimal string: an optional minus and digits without leading zeros ("0" alone). */
static int view_mpz(const struct jsonview *v, const char *key, mpz_t out)
{
	const struct jsonview_member *m = get_kind(v, key, JV_STRING_SPAN);
	char text[100];
	if (!m || m->escaped || m->vlen == 0 || m->vlen >= sizeof text)
		return -1;
	size_t i = m->val[0] == '-';
	if (i == m->vlen || (m->val[i] == '0' && m->vlen > i + 1) || (i && m->val[1] == '0'))
		return -1;
	for (size_t k = i; k < m->vlen; k++)
		if (m->val[k] < '0' || m->val[k] > '9')
			return -1;
	memcpy(text, m->val, m->vlen);
	text[m->vlen] = '\0';
	return mpz_set_str(out, text, 10);
}

static int view_bool(const struct jsonview *v, const char *key, bool *out)
{
	const struct jsonview_member *m = jsonview_get(v, key);
	if (!m || (m->kind != JV_TRUE_SPAN && m->kind != JV_FALSE_SPAN))
		return -1;
	*out = m->kind == JV_TRUE_SPAN;
	return 0;
}

static int view_time(const struct jsonview *v, const char *key, int64_t *ms)
{
	const struct jsonview_member *m = get_kind(v, key, JV_STRING_SPAN);
	const char *why;
	return m && !m->escaped && rfc3339_parse(ms, m->val, m->vlen, &why) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------ setup */

struct settle *settle_new(const struct settle_config *cfg, const char **why)
{
	struct settle *s = xcalloc(1, sizeof *s);
	s->cfg = *cfg;
	mpz_init(s->dev_price);
	if (cfg->deviation_price && amount_parse(s->dev_price, cfg->deviation_price, strlen(cfg->deviation_price), why) != 0) {
		settle_free(s);
		return NULL;
	}
	mpz_inits(s->w_total, s->dso, s->platform, s->owner_keeps, s->owner_fee_floor, s->pot, s->hive_cost, s->surplus,
	          s->platform_fee, s->owner_fee, s->standalone_mbu, s->payment_mbu, s->c, s->x, s->y, s->z, s->buy, s->sell,
	          NULL);
	recsig_init(&s->rs);
	for (size_t i = 0; i < cfg->hx->nmembers; i++)
		keymap_put(&s->members, cfg->hx->members[i], 20, 0);
	return s;
}

void settle_free(struct settle *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nslots; i++) {
		struct slot *t = &s->slots[i];
		mpz_clears(t->hive_cost, t->surplus, t->platform_fee, t->owner_fee, t->paid, t->standalone, t->buy, t->sell, NULL);
		free(t->taken);
		free(t->energy);
		free(t->chan);
	}
	for (size_t i = 0; i < s->nworkers; i++) {
		struct worker *w = &s->workers[i];
		mpz_clears(w->standalone_mbu, w->payment_mbu, w->standalone, w->market, w->charge, w->reward, w->amount,
		           w->rem, NULL);
	}
	if (s->w_total[0]._mp_d)
		mpz_clears(s->w_total, s->dso, s->platform, s->owner_keeps, s->owner_fee_floor, s->pot, s->hive_cost,
		           s->surplus, s->platform_fee, s->owner_fee, s->standalone_mbu, s->payment_mbu, s->c, s->x, s->y,
		           s->z, s->buy, s->sell, NULL);
	mpz_clear(s->dev_price);
	free(s->slots);
	free(s->workers);
	free(s->decl);
	free(s->settled_order);
	free(s->settled_from);
	free(s->settled_to);
	keymap_free(&s->slot_index);
	keymap_free(&s->worker_text);
	keymap_free(&s->worker_bytes);
	keymap_free(&s->members);
	keymap_free(&s->bids);
	keymap_free(&s->prev_score);
	buf_free(&s->s);
	buf_free(&s->problems);
	recsig_free(&s->rs);
	free(s);
}

/* ------------------------------------------------------------ lookups */

static uint32_t worker_new(struct settle *s, const uint8_t addr[20])
{
	if (s->nworkers == s->workers_cap) {
		s->workers_cap = s->workers_cap ? s->workers_cap * 2 : 64;
		s->workers = xrealloc(s->workers, s->workers_cap * sizeof *s->workers);
	}
	struct worker *w = &s->workers[s->nworkers];
	memset(w, 0, sizeof *w);
	memcpy(w->addr, addr, 20);
	mpz_inits(w->standalone_mbu, w->payment_mbu, w->standalone, w->market, w->charge, w->reward, w->amount, w->rem,
	          NULL);
	uint32_t score;
	w->scored_before = keymap_get(&s->prev_score, addr, 20, &score);
	w->rep_prev = w->scored_before ? score : SETTLE_REPUTATION_START;
	w->member = keymap_get(&s->members, addr, 20, &score);
	keymap_put(&s->worker_bytes, addr, 20, (uint32_t)s->nworkers);
	return (uint32_t)s->nworkers++;
}

/* The Worker an address names; its EIP-55 checksum is checked once per spelling. */
static int worker_find(struct settle *s, const char *text, size_t len, uint32_t *out)
{
	uint8_t addr[20];
	if (keymap_get(&s->worker_text, text, len, out))
		return 0;
	if (eth_address_parse(addr, text, len) != ETH_ADDR_OK)
		return -1;
	if (!keymap_get(&s->worker_bytes, addr, 20, out))
		*out = worker_new(s, addr);
	keymap_put(&s->worker_text, text, len, *out);
	return 0;
}

static uint32_t slot_find(struct settle *s, int64_t ms)
{
	uint32_t i;
	if (keymap_get(&s->slot_index, &ms, sizeof ms, &i))
		return i;
	if (s->nslots == s->slots_cap) {
		s->slots_cap = s->slots_cap ? s->slots_cap * 2 : 128;
		s->slots = xrealloc(s->slots, s->slots_cap * sizeof *s->slots);
	}
	struct slot *t = &s->slots[s->nslots];
	memset(t, 0, sizeof *t);
	t->ms = ms;
	mpz_inits(t->hive_cost, t->surplus, t->platform_fee, t->owner_fee, t->paid, t->standalone, t->buy, t->sell, NULL);
	keymap_put(&s->slot_index, &ms, sizeof ms, (uint32_t)s->nslots);
	return (uint32_t)s->nslots++;
}

/* The slot a record names; consecutive records of one slot parse its time once. */
/*
 * The time of the slot a record names: 0, 1 when it is outside the period,
 * -1 when malformed. Consecutive records of one slot parse its time once.
 * Nothing is created: a slot exists once a record of it is accepted.
 */
static int slot_of(struct settle *s, const struct jsonview *v, int64_t *ms)
{
	const struct jsonview_member *m = get_kind(v, "slot", JV_STRING_SPAN);
	if (!m)
		return -1;
	if (s->last_slot_len && m->vlen == s->last_slot_len && memcmp(m->val, s->last_slot_text, m->vlen) == 0) {
		*ms = s->last_slot_ms;
		return 0;
	}
	if (view_time(v, "slot", ms) != 0)
		return -1;
	if (*ms < s->cfg.from_ms || *ms >= s->cfg.to_ms)
		return 1;
	if (m->vlen < sizeof s->last_slot_text) {
		memcpy(s->last_slot_text, m->val, m->vlen);
		s->last_slot_len = m->vlen;
		s->last_slot_ms = *ms;
	}
	return 0;
}

/* The slot at ms if a record of it was accepted: its index, or -1. */
static int64_t slot_known(const struct settle *s, int64_t ms)
{
	uint32_t i;
	return keymap_get(&s->slot_index, &ms, sizeof ms, &i) ? (int64_t)i : -1;
}

static int hive_of(const struct settle *s, const struct jsonview *v)
{
	int64_t hive;
	return view_int(v, "hive", &hive) == 0 && hive == s->cfg.hx->hive ? 0 : -1;
}

/* ------------------------------------------------------------ input */

static enum settle_use refuse(const char **why, const char *reason)
{
	*why = reason;
	return SETTLE_REFUSED;
}

/*
 * How far a slot's per-Worker array grows to hold index w: to the slot's
 * Worker count when its clearing_slot record came first (hive-clear's
 * order), so a day of 10,000 Workers takes 10,000 entries a slot, not 16,384.
 */
static size_t grow_to(const struct slot *t, size_t w)
{
	size_t hint = t->workers > 0 ? (size_t)t->workers : 0;
	return w < hint ? hint : w * 2 + 16;
}

static void take_bit(struct slot *t, uint32_t w)
{
	size_t need = w / 8 + 1;
	if (need > t->taken_len) {
		size_t len = (grow_to(t, w) + 7) / 8;
		t->taken = xrealloc(t->taken, len);
		memset(t->taken + t->taken_len, 0, len - t->taken_len);
		t->taken_len = len;
	}
	t->taken[w / 8] |= (uint8_t)(1u << (w % 8));
}

static void keep_energy(struct slot *t, uint32_t w, int64_t e)
{
	if (w >= t->energy_len) {
		size_t len = grow_to(t, w);
		t->energy = xrealloc(t->energy, len * sizeof *t->energy);
		t->energy_len = len;
	}
	t->energy[w] = e;
}

/* An optional non-negative integer member: 0 with −1 when absent, or -1 when malformed. */
static int view_optional(const struct jsonview *v, const char *key, int64_t *out)
{
	*out = -1;
	if (!jsonview_get(v, key))
		return 0;
	return view_int(v, key, out) == 0 && *out >= 0 ? 0 : -1;
}

static int read_chan(const struct jsonview *v, struct clearing_channel *c)
{
	return view_optional(v, "import_wh", &c->import_wh) || view_optional(v, "export_wh", &c->export_wh) ||
	               view_optional(v, "register_import_wh", &c->register_import) ||
	               view_optional(v, "register_export_wh", &c->register_export)
	       ? -1
	       : 0;
}

static void keep_chan(struct slot *t, uint32_t w, const struct clearing_channel *c)
{
	if (c->register_import < 0 && c->register_export < 0)
		return;
	if (w >= t->chan_len) {
		size_t len = grow_to(t, w);
		t->chan = xrealloc(t->chan, len * sizeof *t->chan);
		for (size_t i = t->chan_len; i < len; i++)
			t->chan[i] = (struct clearing_channel){ -1, -1, -1, -1 };
		t->chan_len = len;
	}
	t->chan[w] = *c;
}

static bool bit_taken(const struct slot *t, uint32_t w)
{
	return w / 8 < t->taken_len && (t->taken[w / 8] >> (w % 8)) & 1;
}

static bool add_overflows(int64_t *acc, int64_t x)
{
	return __builtin_add_overflow(*acc, x, acc);
}

static enum settle_use add_clearing(struct settle *s, const struct jsonview *v, const char **why)
{
	uint32_t wi;
	int64_t ms, e, fc, fg, tc, tg;
	bool metered;
	int r = slot_of(s, v, &ms);
	if (r < 0)
		return refuse(why, "no valid 'slot' time");
	if (r > 0)
		return SETTLE_OUTSIDE;
	const struct jsonview_member *m = get_kind(v, "worker", JV_STRING_SPAN);
	if (!m || m->escaped || worker_find(s, m->val, m->vlen, &wi) != 0)
		return refuse(why, "no valid 'worker' address");
	if (!s->workers[wi].member)
		return refuse(why, "the Worker is not a member of the hive's export");
	struct clearing_channel chan;
	if (view_int(v, "energy_wh", &e) || view_int(v, "from_community_wh", &fc) || view_int(v, "from_grid_wh", &fg) ||
	    view_int(v, "to_community_wh", &tc) || view_int(v, "to_grid_wh", &tg) || view_bool(v, "metered", &metered) ||
	    read_chan(v, &chan))
		return refuse(why, "a missing or malformed energy field");
	if (fc < 0 || fg < 0 || tc < 0 || tg < 0 || (e >= 0 ? fc + fg != e || tc + tg != 0 : fc + fg != 0 || tc + tg != -e))
		return refuse(why, "the energy split does not add up to 'energy_wh'");
	mpz_set_ui(s->c, 0);
	if (view_mpz(v, "standalone_mbu", s->c) != 0 || view_mpz(v, "payment_mbu", s->x) != 0 || mpz_cmp(s->x, s->c) > 0)
		return refuse(why, "malformed amounts, or a payment above the stand-alone cost");
	struct worker *w = &s->workers[wi];
	struct worker sum = *w;
	if (add_overflows(&sum.import_wh, e > 0 ? e : 0) || add_overflows(&sum.export_wh, e < 0 ? -e : 0) ||
	    add_overflows(&sum.from_community, fc) || add_overflows(&sum.from_grid, fg) ||
	    add_overflows(&sum.to_community, tc) || add_overflows(&sum.to_grid, tg))
		return refuse(why, "the Worker's energy over the period exceeds 64-bit integers");
	int64_t known = slot_known(s, ms), pos = known >= 0 ? s->slots[known].pos_wh : 0,
	        neg = known >= 0 ? s->slots[known].neg_wh : 0;
	if (add_overflows(&pos, e > 0 ? e : 0) || add_overflows(&neg, e < 0 ? -e : 0))
		return refuse(why, "the slot's energy exceeds 64-bit integers");
	/* One lookup: the slot known above, else a new one (which may move s->slots). */
	uint32_t si = known >= 0 ? (uint32_t)known : slot_find(s, ms);
	struct slot *t = &s->slots[si];
	if (bit_taken(t, wi)) {
		/* Two records for one Worker and slot: which is right is not for the order of the input to decide. */
		t->conflict = true;
		return refuse(why, "a second clearing record for the same Worker and slot");
	}
	w->import_wh = sum.import_wh;
	w->export_wh = sum.export_wh;
	w->from_community = sum.from_community;
	w->from_grid = sum.from_grid;
	w->to_community = sum.to_community;
	w->to_grid = sum.to_grid;
	take_bit(t, wi);
	keep_energy(t, wi, metered ? e : INT64_MIN);
	if (metered)
		keep_chan(t, wi, &chan);
	t->seen++;
	t->pos_wh = pos;
	t->neg_wh = neg;
	mpz_add(t->paid, t->paid, s->x);
	mpz_add(t->standalone, t->standalone, s->c);
	mpz_add(w->payment_mbu, w->payment_mbu, s->x);
	mpz_add(w->standalone_mbu, w->standalone_mbu, s->c);
	w->slots++;
	w->unmetered += !metered;
	return SETTLE_USED;
}

static bool param_text(const struct jsonview *v, const char *key, char out[PARAM_TEXT])
{
	const struct jsonview_member *m = jsonview_get(v, key);
	if (!m || m->vlen >= PARAM_TEXT || (m->kind != JV_STRING_SPAN && m->kind != JV_NUMBER_SPAN) || m->escaped)
		return false;
	memcpy(out, m->val, m->vlen);
	out[m->vlen] = '\0';
	return true;
}

/* The clearing parameters of a slot record; the period's are set by the first accepted one. */
static enum settle_use slot_params(const struct settle *s, const struct jsonview *v, char p[NPARAMS][PARAM_TEXT],
                                   const char **why)
{
	memset(p, 0, NPARAMS * PARAM_TEXT);
	for (int k = 0; k < NPARAMS; k++)
		if (!param_text(v, param_keys[k], p[k]))
			return refuse(why, "a missing or malformed clearing parameter (rule, fees, missing_policy, tariff)");
	long long seconds = strtoll(p[P_SECONDS], NULL, 10);
	if (seconds <= 0 || 86400 % seconds != 0)
		return refuse(why, "a slot length ('seconds') that does not divide a day");
	if (s->have_params && memcmp(s->params, p, NPARAMS * PARAM_TEXT) != 0)
		return refuse(why, "cleared under other parameters (rule, fees, missing policy or tariff) than the "
		                   "period's other slots");
	return SETTLE_USED;
}

static enum settle_use add_slot(struct settle *s, const struct jsonview *v, const char **why)
{
	int64_t ms, workers, demand = 0, generation = 0, shared = 0;
	bool cleared, complete;
	char p[NPARAMS][PARAM_TEXT];
	int r = slot_of(s, v, &ms);
	if (r < 0)
		return refuse(why, "no valid 'slot' time");
	if (r > 0)
		return SETTLE_OUTSIDE;
	if (slot_params(s, v, p, why) != SETTLE_USED)
		return SETTLE_REFUSED;
	if (view_bool(v, "cleared", &cleared) || view_bool(v, "complete", &complete) ||
	    view_int(v, "workers", &workers) || workers < 0 || workers > (int64_t)CLEARING_MAX_MEMBERS)
		return refuse(why, "missing or malformed 'cleared', 'complete' or 'workers'");
	mpz_set_ui(s->c, 0);
	mpz_set_ui(s->x, 0);
	mpz_set_ui(s->y, 0);
	mpz_set_ui(s->z, 0);
	if (cleared &&
	    (view_int(v, "demand_wh", &demand) || view_int(v, "generation_wh", &generation) ||
	     view_int(v, "shared_wh", &shared) || demand < 0 || generation < 0 ||
	     shared != (demand < generation ? demand : generation) || view_mpz(v, "hive_cost_mbu", s->c) ||
	     view_mpz(v, "surplus_mbu", s->x) || view_mpz(v, "platform_fee_mbu", s->y) ||
	     view_mpz(v, "owner_fee_mbu", s->z) || view_mpz(v, "price_buy", s->buy) || view_mpz(v, "price_sell", s->sell) ||
	     mpz_sgn(s->sell) < 0 || mpz_cmp(s->buy, s->sell) < 0))
		return refuse(why, "a cleared slot without its energies, prices and amounts");
	int64_t known = slot_known(s, ms);
	if (known >= 0 && s->slots[known].have_record) {
		s->slots[known].conflict = true;
		return refuse(why, "a second clearing_slot record for the same slot");
	}
	if (!s->have_params) {
		memcpy(s->params, p, sizeof s->params);
		s->have_params = true;
	}
	uint32_t si = slot_find(s, ms);   /* may move s->slots */
	struct slot *t = &s->slots[si];
	t->cleared = cleared;
	t->complete = complete;
	t->workers = workers;
	t->demand = demand;
	t->generation = generation;
	t->shared = shared;
	mpz_set(t->hive_cost, s->c);
	mpz_set(t->surplus, s->x);
	mpz_set(t->platform_fee, s->y);
	mpz_set(t->owner_fee, s->z);
	mpz_set(t->buy, s->buy);
	mpz_set(t->sell, s->sell);
	t->have_record = true;
	return SETTLE_USED;
}

enum settle_use settle_add(struct settle *s, const struct jsonview *v, const char **why)
{
	const struct jsonview_member *t = get_kind(v, "type", JV_STRING_SPAN);
	if (s->finished)
		return refuse(why, "the period is already settled");
	if (hive_of(s, v) != 0)
		return refuse(why, "not a record of the hive settled (its 'hive' differs from the export's)");
	if (t && t->vlen == 8 && memcmp(t->val, "clearing", 8) == 0)
		return add_clearing(s, v, why);
	if (t && t->vlen == 13 && memcmp(t->val, "clearing_slot", 13) == 0)
		return add_slot(s, v, why);
	return refuse(why, "neither a 'clearing' nor a 'clearing_slot' record");
}

/* ------------------------------------------------------------ bids */

static enum settle_use bid_fields(struct settle *s, jv bid, const char **why)
{
	uint8_t signer[20];
	uint32_t wi;
	int64_t ms;
	enum recsig_status st = recsig_recover(&s->rs, signer, bid, why);
	if (st == RECSIG_UNSIGNED)
		return refuse(why, "an unsigned bid");
	if (st != RECSIG_OK)
		return SETTLE_REFUSED;
	jv worker = jv_object_get(jv_copy(bid), jv_string("worker"));
	jv start = jv_object_get(jv_copy(bid), jv_string("start"));
	jv seconds = jv_object_get(jv_copy(bid), jv_string("seconds"));
	jv plan = jv_object_get(jv_copy(bid), jv_string("plan_wh"));
	jv first = jv_get_kind(plan) == JV_KIND_ARRAY ? jv_array_get(jv_copy(plan), 0) : jv_invalid();
	enum settle_use use = SETTLE_USED;
	const char *no_why;
	uint8_t addr[20];
	if (jv_get_kind(worker) != JV_KIND_STRING ||
	    eth_address_parse(addr, jv_string_value(worker), (size_t)jv_string_length_bytes(jv_copy(worker))) != ETH_ADDR_OK)
		use = refuse(why, "a bid without a valid 'worker' address");
	else if (memcmp(addr, signer, 20) != 0)
		use = refuse(why, "a bid signed by another key than its Worker's");
	else if (jv_get_kind(start) != JV_KIND_STRING ||
	         rfc3339_parse(&ms, jv_string_value(start), (size_t)jv_string_length_bytes(jv_copy(start)), &no_why) != 0)
		use = refuse(why, "a bid without a valid 'start' time");
	else if (jv_get_kind(seconds) != JV_KIND_NUMBER || jv_get_kind(first) != JV_KIND_NUMBER ||
	         jv_number_value(first) > 9007199254740992.0 || jv_number_value(first) < -9007199254740992.0 ||
	         jv_number_value(first) != (double)(int64_t)jv_number_value(first))
		use = refuse(why, "a bid without 'seconds' and an integer first 'plan_wh' value");
	else if (ms < s->cfg.from_ms || ms >= s->cfg.to_ms)
		use = SETTLE_OUTSIDE;
	if (use == SETTLE_USED) {
		if (!keymap_get(&s->worker_bytes, addr, 20, &wi))
			wi = worker_new(s, addr);
		uint8_t key[sizeof wi + sizeof ms];
		uint32_t at;
		memcpy(key, &wi, sizeof wi);
		memcpy(key + sizeof wi, &ms, sizeof ms);
		if (keymap_get(&s->bids, &key, sizeof key, &at)) {
			const struct declared *d = &s->decl[at];
			/* The same plan again (from two files, say) is harmless; another one is not. */
			if (d->wh != (int64_t)jv_number_value(first) || d->seconds != jv_number_value(seconds))
				use = refuse(why, "a second, different bid of the same Worker for the same first slot");
			else
				use = SETTLE_OUTSIDE;
		} else {
			keymap_put(&s->bids, &key, sizeof key, (uint32_t)s->ndecl);
		}
	}
	if (use == SETTLE_USED) {
		if (s->ndecl == s->decl_cap) {
			s->decl_cap = s->decl_cap ? s->decl_cap * 2 : 64;
			s->decl = xrealloc(s->decl, s->decl_cap * sizeof *s->decl);
		}
		s->decl[s->ndecl++] = (struct declared){ wi, ms, (int64_t)jv_number_value(first), jv_number_value(seconds) };
	}
	jv_free(worker);
	jv_free(start);
	jv_free(seconds);
	jv_free(plan);
	jv_free(first);
	return use;
}

enum settle_use settle_add_bid(struct settle *s, const char *line, size_t len, const char **why)
{
	if (s->finished)
		return refuse(why, "the period is already settled");
	if (len > (size_t)INT32_MAX)
		return refuse(why, "a bid longer than 2 GiB");
	jv bid = jv_parse_sized(line, (int)len);
	if (jv_get_kind(bid) != JV_KIND_OBJECT) {
		jv_free(bid);
		return refuse(why, "a bid that is not a JSON object");
	}
	enum settle_use use = bid_fields(s, bid, why);
	jv_free(bid);
	return use;
}

/* ------------------------------------------------------------ the archive so far */

int settle_previous(struct settle *s, const char *line, size_t len, const uint8_t hash[32], const char **why)
{
	struct jsonview v;
	char want[67];
	static const uint8_t genesis[32];
	if (jsonview_parse(&v, line, len, why) != 0)
		return -1;
	const struct jsonview_member *t = get_kind(&v, "type", JV_STRING_SPAN);
	const struct jsonview_member *prev = get_kind(&v, "prev", JV_STRING_SPAN);
	const struct jsonview_member *scope = get_kind(&v, "scope", JV_STRING_SPAN);
	bool balance = t && t->vlen == 7 && memcmp(t->val, "balance", 7) == 0;
	if (!t || (!balance && (t->vlen != 10 || memcmp(t->val, "settlement", 10) != 0 || !scope)))
		return *why = "neither a settlement nor a balance record", -1;
	if (hive_of(s, &v) != 0)
		return *why = "a settlement of another hive: one archive per hive", -1;
	hex_encode_0x(s->have_head ? s->head : genesis, 32, want);
	if (!prev || prev->vlen != 66 || memcmp(prev->val, want, 66) != 0)
		return *why = "its 'prev' does not name the line before it (the chain is broken)", -2;
	if (balance) {
		/* A closed channel: nothing to carry over but the chain. */
	} else if (scope->vlen == 6 && memcmp(scope->val, "worker", 6) == 0) {
		const struct jsonview_member *m = get_kind(&v, "worker", JV_STRING_SPAN);
		uint8_t addr[20];
		int64_t score;
		if (!m || eth_address_parse(addr, m->val, m->vlen) != ETH_ADDR_OK)
			return *why = "no valid 'worker' address", -1;
		if (view_int(&v, "reputation_bps", &score) == 0 && score >= 0 && score <= 10000)
			keymap_put(&s->prev_score, addr, 20, (uint32_t)score);
	} else if (scope->vlen == 4 && memcmp(scope->val, "hive", 4) == 0) {
		int64_t from, to;
		if (view_time(&v, "period_start", &from) != 0 || view_time(&v, "period_end", &to) != 0)
			return *why = "no valid 'period_start' and 'period_end'", -1;
		s->settled_from = xrealloc(s->settled_from, (s->nsettled + 1) * sizeof *s->settled_from);
		s->settled_to = xrealloc(s->settled_to, (s->nsettled + 1) * sizeof *s->settled_to);
		s->settled_from[s->nsettled] = from;
		s->settled_to[s->nsettled++] = to;
	} else {
		return *why = "a 'scope' other than 'worker' or 'hive'", -1;
	}
	memcpy(s->head, hash, 32);
	s->have_head = true;
	return 0;
}

int settle_check_period(const struct settle *s, int64_t *from, int64_t *to)
{
	for (size_t i = 0; i < s->nsettled; i++)
		if (s->settled_from[i] < s->cfg.to_ms && s->cfg.from_ms < s->settled_to[i]) {
			*from = s->settled_from[i];
			*to = s->settled_to[i];
			return -1;
		}
	return 0;
}

/* ------------------------------------------------------------ settling */

static int check_slots(struct settle *s, const char **why)
{
	mpz_t want;
	mpz_init(want);
	int rc = 0;
	if (s->nslots == 0)
		rc = (*why = "no clearing records in the period", -1);
	for (size_t i = 0; i < s->nslots && rc == 0; i++) {
		struct slot *t = &s->slots[i];
		s->bad_slot = t->ms;
		if (t->conflict)
			rc = (*why = "two records for one Worker and slot, or two clearing_slot records: which one holds is "
			             "not for the order of the input to decide", -1);
		else if (!t->have_record)
			rc = (*why = "clearing records without their slot's clearing_slot record", -1);
		else if (t->ms % (strtoll(s->params[P_SECONDS], NULL, 10) * 1000) != 0)
			rc = (*why = "a slot that does not start at a multiple of the slot length", -1);
		else if (!t->cleared && t->seen > 0)
			rc = (*why = "clearing records for a slot its clearing_slot record says was not cleared", -1);
		else if (t->cleared && t->seen != t->workers)
			rc = (*why = "the slot's clearing records are not one for each of its Workers", -1);
		if (rc || !t->cleared)
			continue;
		mpz_add(want, t->hive_cost, t->platform_fee);
		mpz_add(want, want, t->owner_fee);
		if (mpz_cmp(want, t->paid) != 0)
			rc = (*why = "the Workers' payments do not add up to the hive's cost plus the fees", -1);
		mpz_sub(want, t->standalone, t->hive_cost);
		if (rc == 0 && mpz_cmp(want, t->surplus) != 0)
			rc = (*why = "the stand-alone costs minus the hive's cost are not the slot's surplus", -1);
		if (rc == 0 && (t->pos_wh != t->demand || t->neg_wh != t->generation))
			rc = (*why = "the Workers' energies do not add up to the slot's demand and generation", -1);
		/* Σ C_i = p_b·D − p_s·G and C_h = f_c(D − G), from the slot's own prices. */
		mpz_t cost;
		mpz_init(cost);
		amount_set_i64(want, t->demand);
		mpz_mul(want, want, t->buy);
		amount_set_i64(cost, t->generation);
		mpz_submul(want, cost, t->sell);
		if (rc == 0 && mpz_cmp(want, t->standalone) != 0)
			rc = (*why = "the stand-alone costs are not the slot's prices times its energies", -1);
		amount_set_i64(cost, t->demand - t->generation);
		mpz_mul(cost, cost, t->demand >= t->generation ? t->buy : t->sell);
		if (rc == 0 && mpz_cmp(cost, t->hive_cost) != 0)
			rc = (*why = "the hive's cost is not its net energy at the slot's prices", -1);
		mpz_clear(cost);
	}
	mpz_clear(want);
	return rc;
}

static int hive_totals(struct settle *s, const char **why)
{
	for (size_t i = 0; i < s->nslots; i++) {
		const struct slot *t = &s->slots[i];
		if (!t->cleared) {
			s->slots_uncleared++;
			continue;
		}
		s->slots_cleared++;
		s->slots_incomplete += !t->complete;
		mpz_add(s->hive_cost, s->hive_cost, t->hive_cost);
		mpz_add(s->surplus, s->surplus, t->surplus);
		mpz_add(s->platform_fee, s->platform_fee, t->platform_fee);
		mpz_add(s->owner_fee, s->owner_fee, t->owner_fee);
		mpz_add(s->standalone_mbu, s->standalone_mbu, t->standalone);
		mpz_add(s->payment_mbu, s->payment_mbu, t->paid);
		int64_t net = t->demand - t->generation;
		if (add_overflows(&s->demand, t->demand) || add_overflows(&s->generation, t->generation) ||
		    add_overflows(&s->shared, t->shared) || add_overflows(&s->import_wh, net > 0 ? net : 0) ||
		    add_overflows(&s->export_wh, net < 0 ? -net : 0))
			return *why = "the hive's energy over the period exceeds 64-bit integers", -1;
	}
	return 0;
}

/* Larger remainder first, then the lower address: who gets the units left over. */
struct rank_ctx {
	const struct worker *workers;
	const uint32_t *idx;
};

static int by_remainder(const void *a, const void *b, void *arg)
{
	const struct rank_ctx *c = arg;
	const struct worker *x = &c->workers[c->idx[*(const uint32_t *)a]];
	const struct worker *y = &c->workers[c->idx[*(const uint32_t *)b]];
	int d = mpz_cmp(y->rem, x->rem);
	return d ? d : memcmp(x->addr, y->addr, 20);
}

static int by_address(const void *a, const void *b, void *arg)
{
	const struct rank_ctx *c = arg;
	return memcmp(c->workers[*(const uint32_t *)a].addr, c->workers[*(const uint32_t *)b].addr, 20);
}

/* One more unit to parts[k] for the `extra` Workers idx[k] of largest remainder (w->rem). */
static void hand_out(struct settle *s, const uint32_t *idx, size_t n, mpz_t *parts, const mpz_t extra)
{
	struct rank_ctx ctx = { s->workers, idx };
	uint32_t *order = xcalloc(n ? n : 1, sizeof *order);
	for (size_t k = 0; k < n; k++)
		order[k] = (uint32_t)k;
	qsort_r(order, n, sizeof *order, by_remainder, &ctx);
	HIVE_ASSERT(mpz_sgn(extra) >= 0 && mpz_cmp_ui(extra, n) <= 0);
	unsigned long left = mpz_get_ui(extra);
	for (size_t k = 0; k < left; k++)
		mpz_add_ui(parts[order[k]], parts[order[k]], 1);
	free(order);
}

/*
 * Splits total (≥ 0) into parts[k] ∝ weight[k] (not all zero) for the
 * Workers idx[k]: floors, then one unit each to the largest remainders.
 */
static void apportion(struct settle *s, const uint32_t *idx, size_t n, const mpz_t total, const int64_t *weight,
                      mpz_t *parts)
{
	mpz_t sum, left;
	mpz_inits(sum, left, NULL);
	for (size_t k = 0; k < n; k++)
		mpz_add_ui(sum, sum, (unsigned long)weight[k]);
	mpz_set(left, total);
	for (size_t k = 0; k < n; k++) {
		struct worker *w = &s->workers[idx[k]];
		mpz_mul_ui(w->rem, total, (unsigned long)weight[k]);
		mpz_fdiv_qr(parts[k], w->rem, w->rem, sum);
		mpz_sub(left, left, parts[k]);
	}
	hand_out(s, idx, n, parts, left);
	mpz_clears(sum, left, NULL);
}

/* The Workers that have clearing records, by address. */
static uint32_t *settled_workers(struct settle *s, size_t *n)
{
	uint32_t *idx = xcalloc(s->nworkers ? s->nworkers : 1, sizeof *idx);
	*n = 0;
	for (size_t i = 0; i < s->nworkers; i++)
		if (s->workers[i].slots > 0)
			idx[(*n)++] = (uint32_t)i;
	struct rank_ctx ctx = { s->workers, NULL };
	qsort_r(idx, *n, sizeof *idx, by_address, &ctx);
	return idx;
}

/* Each Worker's stand-alone cost and share of W in whole units (see settle.h). */
static void round_market(struct settle *s, const uint32_t *idx, size_t n)
{
	mpz_t left, *parts = xcalloc(n ? n : 1, sizeof *parts);
	mpz_init(left);
	mpz_cdiv_q_ui(s->w_total, s->payment_mbu, 1000);
	mpz_set(left, s->w_total);
	for (size_t k = 0; k < n; k++) {
		struct worker *w = &s->workers[idx[k]];
		mpz_init(parts[k]);
		mpz_fdiv_qr_ui(parts[k], w->rem, w->payment_mbu, 1000);
		mpz_sub(left, left, parts[k]);
		mpz_cdiv_q_ui(w->standalone, w->standalone_mbu, 1000);
	}
	hand_out(s, idx, n, parts, left);
	for (size_t k = 0; k < n; k++) {
		mpz_set(s->workers[idx[k]].market, parts[k]);
		mpz_clear(parts[k]);
	}
	free(parts);
	mpz_clear(left);
	mpz_cdiv_q_ui(s->dso, s->hive_cost, 1000);
	mpz_fdiv_q_ui(s->platform, s->platform_fee, 1000);
	mpz_fdiv_q_ui(s->owner_fee_floor, s->owner_fee, 1000);
	mpz_sub(s->owner_keeps, s->w_total, s->dso);
	mpz_sub(s->owner_keeps, s->owner_keeps, s->platform);
	HIVE_ASSERT(mpz_cmp(s->owner_keeps, s->owner_fee_floor) >= 0);
}

static int64_t abs64(int64_t x)
{
	return x < 0 ? -x : x;
}

/* Σ|d − m| and Σ(|d| + |m|) per Worker over the declared, metered slots. */
static int deviations(struct settle *s, const char **why)
{
	int64_t step = strtoll(s->params[P_SECONDS], NULL, 10) * 1000;
	for (size_t i = 0; i < s->ndecl; i++) {
		const struct declared *d = &s->decl[i];
		uint32_t si;
		if (step <= 0 || d->seconds * 1000 != (double)step || d->ms % step != 0) {
			/* A plan for other slots than those cleared cannot be compared: said, and left out. */
			char who[ETH_ADDR_STRLEN + 1], at[RFC3339_SIZE];
			eth_address_format(who, s->workers[d->worker].addr);
			rfc3339_format(at, d->ms);
			buf_printf(&s->problems, "the bid of Worker %s starting %s is not for one cleared slot (its start or "
			           "'seconds' do not match the slots); it is left out\n", who, at);
			continue;
		}
		if (!keymap_get(&s->slot_index, &d->ms, sizeof d->ms, &si))
			continue;
		const struct slot *t = &s->slots[si];
		if (!bit_taken(t, d->worker) || t->energy[d->worker] == INT64_MIN)
			continue;
		struct worker *w = &s->workers[d->worker];
		int64_t m = t->energy[d->worker], diff;
		if (__builtin_sub_overflow(d->wh, m, &diff) || diff == INT64_MIN ||
		    __builtin_add_overflow(w->dev_wh, abs64(diff), &w->dev_wh) ||
		    __builtin_add_overflow(w->scale_wh, abs64(d->wh), &w->scale_wh) ||
		    __builtin_add_overflow(w->scale_wh, abs64(m), &w->scale_wh))
			return *why = "a Worker's deviation from its bids exceeds 64-bit integers", -1;
		w->declared = true;
		s->declared_slots++;
	}
	return 0;
}

/* Scores, charges for deviation and the rewards they pay for (see settle.h). */
static int reputation(struct settle *s, const uint32_t *idx, size_t n, const char **why)
{
	if (deviations(s, why) != 0)
		return -1;
	uint32_t *decl = xcalloc(n ? n : 1, sizeof *decl);
	int64_t *weight = xcalloc(n ? n : 1, sizeof *weight);
	size_t nd = 0;
	int64_t wsum = 0;
	mpz_t saving;
	mpz_init(saving);
	for (size_t k = 0; k < n; k++) {
		struct worker *w = &s->workers[idx[k]];
		w->rep_new = w->rep_prev;
		if (!w->declared)
			continue;
		w->accuracy = w->scale_wh == 0 ? 10000
		                               : 10000 - (int64_t)((__int128)10000 * w->dev_wh / w->scale_wh);
		uint32_t g = s->cfg.rep_weight_bps;
		w->rep_new = (w->rep_prev * (10000 - g) + w->accuracy * g) / 10000;
		mpz_mul_ui(w->charge, s->dev_price, (unsigned long)w->dev_wh);
		mpz_cdiv_q_ui(w->charge, w->charge, 1000);
		mpz_sub(saving, w->standalone, w->market);
		if (mpz_cmp(w->charge, saving) > 0)
			mpz_set(w->charge, saving);
		mpz_add(s->pot, s->pot, w->charge);
		decl[nd] = idx[k];
		weight[nd++] = w->rep_new;
		wsum += w->rep_new;
	}
	if (wsum == 0) {
		for (size_t k = 0; k < nd; k++)
			mpz_set_ui(s->workers[decl[k]].charge, 0);
		mpz_set_ui(s->pot, 0);
	} else if (mpz_sgn(s->pot) > 0) {
		mpz_t *parts = xcalloc(nd, sizeof *parts);
		for (size_t k = 0; k < nd; k++)
			mpz_init(parts[k]);
		apportion(s, decl, nd, s->pot, weight, parts);
		for (size_t k = 0; k < nd; k++) {
			mpz_set(s->workers[decl[k]].reward, parts[k]);
			mpz_clear(parts[k]);
		}
		free(parts);
	}
	for (size_t k = 0; k < n; k++) {
		struct worker *w = &s->workers[idx[k]];
		mpz_add(w->amount, w->market, w->charge);
		mpz_sub(w->amount, w->amount, w->reward);
	}
	mpz_clear(saving);
	free(decl);
	free(weight);
	return 0;
}

/* ------------------------------------------------------------ state channels (whitepaper §2.5) */

static int by_time(const void *a, const void *b, void *arg)
{
	const struct slot *slots = arg;
	int64_t x = slots[*(const uint32_t *)a].ms, y = slots[*(const uint32_t *)b].ms;
	return (x > y) - (x < y);
}

/* One register from one chained slot to the next; NULL when it holds. */
static const char *register_step(int64_t prev, int64_t reg, int64_t part, bool consecutive)
{
	if (prev < 0 && reg < 0)
		return NULL;
	if (prev < 0 || reg < 0)
		return "a register appears or disappears";
	if (reg < prev)
		return "a register decreased";
	if (part < 0)
		return "a slot gives a register without its energy";
	if (consecutive && reg != prev + part)
		return "a register does not advance by the slot's energy";
	if (!consecutive && reg - part < prev)
		return "a register went back across a gap";
	return NULL;
}

static void chain_worker(struct settle *s, const uint32_t *order, uint32_t wi, int64_t step)
{
	struct channel *c = &s->workers[wi].ch;
	struct clearing_channel prev = { -1, -1, -1, -1 };
	for (size_t j = 0; j < s->nslots && !c->broken; j++) {
		const struct slot *t = &s->slots[order[j]];
		if (!bit_taken(t, wi) || t->energy[wi] == INT64_MIN || wi >= t->chan_len ||
		    (t->chan[wi].register_import < 0 && t->chan[wi].register_export < 0))
			continue;
		const struct clearing_channel *x = &t->chan[wi];
		if (c->slots == 0) {
			c->first_ms = t->ms;
			c->open_import = x->register_import >= 0 && x->import_wh >= 0 ? x->register_import - x->import_wh : -1;
			c->open_export = x->register_export >= 0 && x->export_wh >= 0 ? x->register_export - x->export_wh : -1;
		} else {
			bool next = t->ms - c->last_ms == step;
			const char *why = register_step(prev.register_import, x->register_import, x->import_wh, next);
			why = why ? why : register_step(prev.register_export, x->register_export, x->export_wh, next);
			c->gaps += (t->ms - c->last_ms) / step - 1;
			if (why) {
				char who[ETH_ADDR_STRLEN + 1], at[RFC3339_SIZE];
				eth_address_format(who, s->workers[wi].addr);
				rfc3339_format(at, t->ms);
				buf_printf(&s->problems, "the channel of Worker %s breaks at slot %s: %s\n", who, at, why);
				c->broken = true;
				break;
			}
		}
		prev = *x;
		c->last_ms = t->ms;
		c->slots++;
	}
	c->close_import = prev.register_import;
	c->close_export = prev.register_export;
}

/* Every Worker's chain of registers, in time order. */
static void check_channels(struct settle *s, const uint32_t *idx, size_t n)
{
	int64_t step = strtoll(s->params[P_SECONDS], NULL, 10) * 1000;
	uint32_t *order = xcalloc(s->nslots ? s->nslots : 1, sizeof *order);
	for (size_t j = 0; j < s->nslots; j++)
		order[j] = (uint32_t)j;
	qsort_r(order, s->nslots, sizeof *order, by_time, s->slots);
	for (size_t k = 0; k < n && step > 0; k++) {
		chain_worker(s, order, idx[k], step);
		const struct channel *c = &s->workers[idx[k]].ch;
		s->channels_broken += c->broken;
		s->channels_closed += !c->broken && c->slots > 0;
	}
	free(order);
}

int64_t settle_slots_expected(const struct settle *s)
{
	int64_t step = s->have_params ? strtoll(s->params[P_SECONDS], NULL, 10) * 1000 : 0;
	return step > 0 ? (s->cfg.to_ms - s->cfg.from_ms) / step : 0;
}

int64_t settle_slots_seen(const struct settle *s)
{
	return (int64_t)s->nslots;
}

const char *settle_problems(const struct settle *s)
{
	return s->problems.len ? s->problems.data : NULL;
}

/* ------------------------------------------------------------ records */

static jv n_jv(int64_t x)
{
	return jv_number((double)x);
}

/* What every settlement record of the period starts with. */
static jv common(const struct settle *s, const char *scope)
{
	const struct hive_export *hx = s->cfg.hx;
	jv o = jv_object();
	o = jvb_set(o, "type", jv_string("settlement"));
	o = jvb_set(o, "scope", jv_string(scope));
	o = jvb_set(o, "hive", n_jv(hx->hive));
	o = jvb_set(o, "period_start", jvb_time(s->cfg.from_ms));
	o = jvb_set(o, "period_end", jvb_time(s->cfg.to_ms));
	o = jvb_set(o, "coin", jvb_address(hx->coin));
	o = jvb_set(o, "coin_code", jv_string(hx->coin_code));
	o = jvb_set(o, "coin_decimals", n_jv(hx->decimals));
	return o;
}

static jv worker_record(const struct settle *s, const struct worker *w)
{
	mpz_t saving;
	mpz_init(saving);
	mpz_sub(saving, w->standalone, w->amount);
	jv o = common(s, "worker");
	o = jvb_set(o, "worker", jvb_address(w->addr));
	o = jvb_set(o, "slots", n_jv(w->slots));
	o = jvb_set(o, "slots_unmetered", n_jv(w->unmetered));
	o = jvb_set(o, "import_wh", n_jv(w->import_wh));
	o = jvb_set(o, "export_wh", n_jv(w->export_wh));
	o = jvb_set(o, "from_community_wh", n_jv(w->from_community));
	o = jvb_set(o, "from_grid_wh", n_jv(w->from_grid));
	o = jvb_set(o, "to_community_wh", n_jv(w->to_community));
	o = jvb_set(o, "to_grid_wh", n_jv(w->to_grid));
	o = jvb_set(o, "standalone_mbu", jvb_integer(w->standalone_mbu));
	o = jvb_set(o, "payment_mbu", jvb_integer(w->payment_mbu));
	o = jvb_set(o, "standalone", jvb_integer(w->standalone));
	o = jvb_set(o, "market_amount", jvb_integer(w->market));
	o = jvb_set(o, "reputation_charge", jvb_integer(w->charge));
	o = jvb_set(o, "reputation_reward", jvb_integer(w->reward));
	o = jvb_set(o, "amount", jvb_integer(w->amount));
	o = jvb_set(o, "saving", jvb_integer(saving));
	o = jvb_set(o, "deviation_wh", w->declared ? n_jv(w->dev_wh) : jv_null());
	o = jvb_set(o, "accuracy_bps", w->declared ? n_jv(w->accuracy) : jv_null());
	o = jvb_set(o, "reputation_bps", w->declared || w->scored_before ? n_jv(w->rep_new) : jv_null());
	mpz_clear(saving);
	return o;
}

static jv param_jv(const struct settle *s, int k)
{
	if (!param_is_number[k])
		return jv_string(s->params[k]);
	return n_jv(strtoll(s->params[k], NULL, 10));
}

static jv hive_record(const struct settle *s, size_t nworkers)
{
	const struct hive_export *hx = s->cfg.hx;
	mpz_t rounding;
	mpz_init(rounding);
	mpz_sub(rounding, s->owner_keeps, s->owner_fee_floor);
	jv o = common(s, "hive");
	o = jvb_set(o, "owner", jvb_address(hx->owner));
	o = jvb_set(o, "ledger_head", jv_string(hx->ledger_head));
	for (int k = 0; k < NPARAMS; k++)
		o = jvb_set(o, param_keys[k], param_jv(s, k));
	o = jvb_set(o, "workers", n_jv((int64_t)nworkers));
	o = jvb_set(o, "slots", n_jv((int64_t)s->nslots));
	o = jvb_set(o, "slots_expected", n_jv(settle_slots_expected(s)));
	o = jvb_set(o, "slots_cleared", n_jv(s->slots_cleared));
	o = jvb_set(o, "slots_incomplete", n_jv(s->slots_incomplete));
	o = jvb_set(o, "slots_uncleared", n_jv(s->slots_uncleared));
	o = jvb_set(o, "import_wh", n_jv(s->import_wh));
	o = jvb_set(o, "export_wh", n_jv(s->export_wh));
	o = jvb_set(o, "demand_wh", n_jv(s->demand));
	o = jvb_set(o, "generation_wh", n_jv(s->generation));
	o = jvb_set(o, "shared_wh", n_jv(s->shared));
	o = jvb_set(o, "standalone_mbu", jvb_integer(s->standalone_mbu));
	o = jvb_set(o, "hive_cost_mbu", jvb_integer(s->hive_cost));
	o = jvb_set(o, "surplus_mbu", jvb_integer(s->surplus));
	o = jvb_set(o, "platform_fee_mbu", jvb_integer(s->platform_fee));
	o = jvb_set(o, "owner_fee_mbu", jvb_integer(s->owner_fee));
	o = jvb_set(o, "workers_pay", jvb_integer(s->w_total));
	o = jvb_set(o, "dso", jvb_integer(s->dso));
	o = jvb_set(o, "platform_fee", jvb_integer(s->platform));
	o = jvb_set(o, "owner_keeps", jvb_integer(s->owner_keeps));
	o = jvb_set(o, "owner_rounding", jvb_integer(rounding));
	o = jvb_set(o, "declared_slots", n_jv((int64_t)s->declared_slots));
	o = jvb_set(o, "reputation_weight_bps", n_jv(s->cfg.rep_weight_bps));
	o = jvb_set(o, "deviation_price", jvb_integer(s->dev_price));
	o = jvb_set(o, "reputation_pot", jvb_integer(s->pot));
	o = jvb_set(o, "channels_closed", n_jv(s->channels_closed));
	o = jvb_set(o, "channels_broken", n_jv(s->channels_broken));
	mpz_clear(rounding);
	return o;
}

static jv hex_jv(const uint8_t *p, size_t n)
{
	char t[2 + 2 * 65 + 1];
	hex_encode_0x(p, n, t);
	return jv_string(t);
}

/* ABI words of EIP-712's encodeData: big-endian, 32 bytes each. */
static void word_u64(uint8_t w[32], uint64_t x)
{
	memset(w, 0, 32);
	for (int i = 0; i < 8; i++)
		w[31 - i] = (uint8_t)(x >> (8 * i));
}

static void word_address(uint8_t w[32], const uint8_t a[20])
{
	memset(w, 0, 12);
	memcpy(w + 12, a, 20);
}

/* An int256 in two's complement (the caller has checked it fits). */
static void word_int256(uint8_t w[32], const mpz_t v)
{
	mpz_t t;
	size_t n;
	mpz_init(t);
	if (mpz_sgn(v) < 0) {
		mpz_setbit(t, 256);
		mpz_add(t, t, v);
	} else {
		mpz_set(t, v);
	}
	memset(w, 0, 32);
	n = mpz_sgn(t) ? mpz_sizeinbase(t, 256) : 0;
	HIVE_ASSERT(n <= 32);
	mpz_export(w + 32 - n, NULL, 1, 1, 1, 0, t);
	mpz_clear(t);
}

#define BALANCE_TYPE                                                                                           \
	"Balance(uint32 hive,address worker,address coin,uint64 periodStart,uint64 periodEnd,uint64 firstNonce,"   \
	"uint64 lastNonce,uint64 closingImportWh,uint64 closingExportWh,int256 amount,bytes32 settlement)"

/*
 * The EIP-712 digest of a Worker's Balance (see settle.h), encoded directly
 * from its fixed layout: ten thousand Workers would otherwise rebuild and
 * re-hash the same types ten thousand times. tests/unit/test_settle.c
 * checks it against eip712_hash over the eth_signTypedData_v4 form, and
 * the cross-check against ethers' TypedDataEncoder.
 */
static void balance_digest(uint8_t digest[32], const struct settle *s, const struct worker *w, int64_t step)
{
	uint8_t buf[2 + 32 + 32], fields[12][32], h[3][32];
	keccak256("EIP712Domain(string name,string version)", 40, h[0]);
	keccak256("hive", 4, h[1]);
	keccak256("1", 1, h[2]);
	keccak256(h, sizeof h, buf + 2);                       /* the domain separator */
	keccak256(BALANCE_TYPE, sizeof BALANCE_TYPE - 1, fields[0]);
	word_u64(fields[1], s->cfg.hx->hive);
	word_address(fields[2], w->addr);
	word_address(fields[3], s->cfg.hx->coin);
	word_u64(fields[4], (uint64_t)(s->cfg.from_ms / 1000));
	word_u64(fields[5], (uint64_t)(s->cfg.to_ms / 1000));
	word_u64(fields[6], (uint64_t)(w->ch.first_ms / step));
	word_u64(fields[7], (uint64_t)(w->ch.last_ms / step));
	word_u64(fields[8], (uint64_t)(w->ch.close_import > 0 ? w->ch.close_import : 0));
	word_u64(fields[9], (uint64_t)(w->ch.close_export > 0 ? w->ch.close_export : 0));
	word_int256(fields[10], w->amount);
	memcpy(fields[11], w->settlement_hash, 32);
	buf[0] = 0x19;
	buf[1] = 0x01;
	keccak256(fields, sizeof fields, buf + 34);            /* hashStruct(Balance) */
	keccak256(buf, sizeof buf, digest);
}

static jv reg_jv(int64_t v)
{
	return v >= 0 ? n_jv(v) : jv_null();
}

/* The record that closes a Worker's channel for the period. */
static jv balance_record(const struct settle *s, const struct worker *w, const uint8_t *seckey)
{
	int64_t step = strtoll(s->params[P_SECONDS], NULL, 10) * 1000;
	struct { uint8_t digest[32]; } d;
	balance_digest(d.digest, s, w, step);
	jv o = jv_object();
	o = jvb_set(o, "type", jv_string("balance"));
	o = jvb_set(o, "hive", n_jv(s->cfg.hx->hive));
	o = jvb_set(o, "period_start", jvb_time(s->cfg.from_ms));
	o = jvb_set(o, "period_end", jvb_time(s->cfg.to_ms));
	o = jvb_set(o, "worker", jvb_address(w->addr));
	o = jvb_set(o, "coin", jvb_address(s->cfg.hx->coin));
	o = jvb_set(o, "first_nonce", n_jv(w->ch.first_ms / step));
	o = jvb_set(o, "last_nonce", n_jv(w->ch.last_ms / step));
	o = jvb_set(o, "chained_slots", n_jv(w->ch.slots));
	o = jvb_set(o, "gaps", n_jv(w->ch.gaps));
	o = jvb_set(o, "opening_import_wh", reg_jv(w->ch.open_import));
	o = jvb_set(o, "closing_import_wh", reg_jv(w->ch.close_import));
	o = jvb_set(o, "opening_export_wh", reg_jv(w->ch.open_export));
	o = jvb_set(o, "closing_export_wh", reg_jv(w->ch.close_export));
	o = jvb_set(o, "amount", jvb_integer(w->amount));
	o = jvb_set(o, "settlement", hex_jv(w->settlement_hash, 32));
	o = jvb_set(o, "eip712_digest", hex_jv(d.digest, 32));
	if (seckey) {
		uint8_t sig[ETH_SIG_SIZE];
		HIVE_ASSERT(eth_sign_hash(sig, d.digest, seckey) == 0);
		o = jvb_set(o, "eip712_sig", hex_jv(sig, ETH_SIG_SIZE));
	}
	return o;
}

/* Below 2^256 in magnitude: what a token contract can hold. */
static bool fits(const mpz_t v)
{
	return mpz_sizeinbase(v, 2) <= 256;
}

/* Chains, signs (when seckey is set) and appends one record; takes rec. */
static int append(struct settle *s, struct buf *out, jv rec, const uint8_t *seckey, const char **why)
{
	char prev[67];
	static const uint8_t genesis[32];
	hex_encode_0x(s->have_head ? s->head : genesis, 32, prev);
	rec = jvb_set(rec, "prev", jv_string(prev));
	buf_reset(&s->s);
	int rc = seckey ? recsig_sign(&s->rs, &s->s, rec, seckey, why) : jcs_append(&s->s, rec, NULL, why);
	jv_free(rec);
	if (rc != 0)
		return -1;
	keccak256(s->s.data, s->s.len, s->head);
	s->have_head = true;
	buf_append(out, s->s.data, s->s.len);
	buf_putc(out, '\n');
	return 0;
}

int settle_finish(struct settle *s, struct buf *out, const uint8_t *seckey, int64_t *slot_ms, const char **why)
{
	size_t n, start = out->len;
	*slot_ms = INT64_MIN;
	if (s->finished)
		return *why = "the period is already settled", -1;
	if (check_slots(s, why) != 0) {
		*slot_ms = s->nslots ? s->bad_slot : INT64_MIN;
		return -1;
	}
	s->finished = true;
	if (hive_totals(s, why) != 0)
		return -1;
	uint32_t *idx = settled_workers(s, &n);
	round_market(s, idx, n);
	int rc = reputation(s, idx, n, why);
	for (size_t k = 0; k < n && rc == 0; k++) {
		const struct worker *w = &s->workers[idx[k]];
		if (!fits(w->amount) || !fits(w->standalone) || !fits(w->standalone_mbu) || !fits(w->payment_mbu))
			rc = (*why = "an amount does not fit in 256 bits", -1);
	}
	if (rc == 0 && (!fits(s->standalone_mbu) || !fits(s->payment_mbu)))
		rc = (*why = "an amount does not fit in 256 bits", -1);
	uint8_t head[32];
	bool had_head = s->have_head;
	memcpy(head, s->head, 32);
	if (rc == 0)
		check_channels(s, idx, n);
	for (size_t k = 0; k < n && rc == 0; k++) {
		struct worker *w = &s->workers[idx[k]];
		jv rec = worker_record(s, w);
		buf_reset(&s->s);
		HIVE_ASSERT(jcs_append(&s->s, rec, NULL, why) == 0);
		keccak256(s->s.data, s->s.len, w->settlement_hash);
		rc = append(s, out, rec, seckey, why);
	}
	for (size_t k = 0; k < n && rc == 0; k++) {
		const struct worker *w = &s->workers[idx[k]];
		if (w->ch.broken || w->ch.slots == 0)
			continue;
		rc = append(s, out, balance_record(s, w, seckey), seckey, why);
	}
	if (rc == 0)
		rc = append(s, out, hive_record(s, n), seckey, why);
	if (rc != 0) {
		out->len = start;
		memcpy(s->head, head, 32);
		s->have_head = had_head;
	}
	s->settled_order = idx;
	s->nsettled_workers = n;
	return rc;
}

/* ------------------------------------------------------------ the accountant's table */

static int csv_field(FILE *f, const char *text, bool last)
{
	if (csv_fwrite(f, text, strlen(text)) != 0)
		return -1;
	return fputs(last ? "\r\n" : ",", f) == EOF ? -1 : 0;   /* RFC 4180 lines end in CRLF */
}

/* v base units as a token amount with the coin's decimals, exactly ("-1.250000"). */
static void token_text(struct buf *b, const mpz_t v, unsigned decimals)
{
	mpz_t a;
	mpz_init(a);
	mpz_abs(a, v);
	char *digits = mpz_get_str(NULL, 10, a);
	size_t len = strlen(digits);
	buf_reset(b);
	if (mpz_sgn(v) < 0)
		buf_putc(b, '-');
	if (len <= decimals) {
		buf_puts(b, "0");
		if (decimals) {
			buf_putc(b, '.');
			for (size_t i = len; i < decimals; i++)
				buf_putc(b, '0');
			buf_puts(b, digits);
		}
	} else {
		buf_append(b, digits, len - decimals);
		if (decimals) {
			buf_putc(b, '.');
			buf_puts(b, digits + len - decimals);
		}
	}
	void (*freefunc)(void *, size_t);
	mp_get_memory_functions(NULL, NULL, &freefunc);
	freefunc(digits, len + 1);
	mpz_clear(a);
}

static int csv_row(const struct settle *s, FILE *f, const char *kind, const char *party, int64_t import_wh,
                   int64_t export_wh, const mpz_t standalone, const mpz_t amount, const char *reputation)
{
	char from[RFC3339_SIZE], to[RFC3339_SIZE], num[2][24];
	struct buf b = BUF_INIT;
	char *st = standalone ? mpz_get_str(NULL, 10, standalone) : NULL, *am = mpz_get_str(NULL, 10, amount);
	rfc3339_format(from, s->cfg.from_ms);
	rfc3339_format(to, s->cfg.to_ms);
	snprintf(num[0], sizeof num[0], "%lld", (long long)import_wh);
	snprintf(num[1], sizeof num[1], "%lld", (long long)export_wh);
	int rc = csv_field(f, kind, false) | csv_field(f, party, false) | csv_field(f, from, false) |
	         csv_field(f, to, false) | csv_field(f, num[0], false) | csv_field(f, num[1], false) |
	         csv_field(f, st ? st : "", false) | csv_field(f, am, false);
	if (standalone)
		token_text(&b, standalone, s->cfg.hx->decimals);
	rc |= csv_field(f, standalone ? b.data : "", false);
	token_text(&b, amount, s->cfg.hx->decimals);
	rc |= csv_field(f, b.data, false) | csv_field(f, reputation, true);
	void (*freefunc)(void *, size_t);
	mp_get_memory_functions(NULL, NULL, &freefunc);
	if (st)
		freefunc(st, strlen(st) + 1);
	freefunc(am, strlen(am) + 1);
	buf_free(&b);
	return rc ? -1 : 0;
}

int settle_csv(const struct settle *s, FILE *f)
{
	static const char *const columns[] = { "row", "party", "period_start", "period_end", "import_wh", "export_wh",
		                               "standalone", "amount" };
	char party[ETH_ADDR_STRLEN + 1], rep[16], token[2][32];
	if (!s->finished)
		return -1;
	snprintf(token[0], sizeof token[0], "standalone_%s", s->cfg.hx->coin_code);
	snprintf(token[1], sizeof token[1], "amount_%s", s->cfg.hx->coin_code);
	for (size_t k = 0; k < sizeof columns / sizeof columns[0]; k++)
		if (csv_field(f, columns[k], false) != 0)
			return -1;
	if (csv_field(f, token[0], false) != 0 || csv_field(f, token[1], false) != 0 ||
	    csv_field(f, "reputation_bps", true) != 0)
		return -1;
	for (size_t k = 0; k < s->nsettled_workers; k++) {
		const struct worker *w = &s->workers[s->settled_order[k]];
		eth_address_format(party, w->addr);
		if (w->declared || w->scored_before)
			snprintf(rep, sizeof rep, "%lld", (long long)w->rep_new);
		else
			rep[0] = '\0';
		if (csv_row(s, f, "worker", party, w->import_wh, w->export_wh, w->standalone, w->amount, rep) != 0)
			return -1;
	}
	mpz_t neg;
	mpz_init(neg);
	int rc = 0;
	mpz_neg(neg, s->dso);
	rc |= csv_row(s, f, "dso", "DSO", s->import_wh, s->export_wh, NULL, neg, "");
	mpz_neg(neg, s->platform);
	rc |= csv_row(s, f, "platform", "platform", 0, 0, NULL, neg, "");
	eth_address_format(party, s->cfg.hx->owner);
	mpz_neg(neg, s->owner_keeps);
	rc |= csv_row(s, f, "owner", party, 0, 0, NULL, neg, "");
	mpz_clear(neg);
	return rc ? -1 : 0;
}
