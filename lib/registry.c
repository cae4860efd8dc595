/*
 * registry.c — the Beekeeper's lists, HVT accounts and rules, rebuilt by
 * replaying signed, hash-chained events (see registry.h).
 *
 * Every operation has one handler that reads its input fields, checks the
 * rules against the current state, derives what the rules decide (ids,
 * burned, staked and returned HVT) and, when asked to commit, changes the
 * state. Making an event and replaying one go through the same handler, so
 * what is written is exactly what replay accepts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amount.h"
#include "diag.h"
#include "eth.h"
#include "hex.h"
#include "jcs.h"
#include "jsonview.h"
#include "jvbuild.h"
#include "keccak.h"
#include "registry.h"
#include "timeutil.h"

#define TEXT_MAX 64          /* serial numbers, manufacturers */
#define CODE_MAX 16          /* stablecoin codes */
#define LIST_MAX 100000      /* meters in one operation */

static const uint8_t zero_addr[20];

/* ---------------------------------------------------------------- errors */

static int fail(struct reg_error *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct reg_error *e, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	e->code = code;
	return code;
}

static const char *addr_str(char out[ETH_ADDR_STRLEN + 1], const uint8_t addr[20])
{
	eth_address_format(out, addr);
	return out;
}

/* ------------------------------------------------------------ life cycle */

void registry_init(struct registry *r)
{
	memset(r, 0, sizeof *r);
	mpz_inits(r->supply, r->burned, r->staked, r->hive_cost, r->meter_cost, NULL);
	recsig_init(&r->rs);
	r->last_ms = INT64_MIN;
}

void registry_free(struct registry *r)
{
	for (size_t i = 0; i < r->nmeters; i++) {
		free(r->meters[i].serial);
		free(r->meters[i].manufacturer);
		mpz_clear(r->meters[i].stake);
	}
	for (size_t i = 0; i < r->ncoins; i++)
		free(r->coins[i].code);
	for (size_t i = 0; i < r->nhives; i++) {
		free(r->hives[i].meters);
		free(r->hives[i].from);
		free(r->hives[i].into);
		mpz_clear(r->hives[i].stake);
	}
	for (size_t i = 0; i < r->naccounts; i++)
		mpz_clear(r->accounts[i].balance);
	free(r->meters);
	free(r->coins);
	free(r->hives);
	free(r->accounts);
	keymap_free(&r->meter_by_addr);
	keymap_free(&r->meter_by_serial);
	keymap_free(&r->coin_by_addr);
	keymap_free(&r->account_by_addr);
	mpz_clears(r->supply, r->burned, r->staked, r->hive_cost, r->meter_cost, NULL);
	recsig_free(&r->rs);
}

/* Room for one more element of an array of size elements. */
static void *grow(void *p, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 16;
	return xrealloc(p, *cap * size);
}

static void push_u32(uint32_t **v, size_t *n, size_t *cap, uint32_t x)
{
	*v = grow(*v, *n, cap, sizeof **v);
	(*v)[(*n)++] = x;
}

/* --------------------------------------------------------------- lookups */

static long lookup(const struct keymap *m, const void *key, size_t len)
{
	uint32_t v;
	return keymap_get(m, key, len, &v) ? (long)v : -1;
}

long registry_meter(const struct registry *r, const uint8_t addr[20])
{
	return lookup(&r->meter_by_addr, addr, 20);
}

long registry_coin(const struct registry *r, const uint8_t addr[20])
{
	return lookup(&r->coin_by_addr, addr, 20);
}

long registry_account(const struct registry *r, const uint8_t addr[20])
{
	return lookup(&r->account_by_addr, addr, 20);
}

/* Manufacturer NUL serial: one physical meter is registered once. */
static void serial_key(struct buf *b, const char *manufacturer, const char *serial)
{
	buf_reset(b);
	buf_puts(b, manufacturer);
	buf_putc(b, '\0');
	buf_puts(b, serial);
}

static struct account *account(struct registry *r, const uint8_t addr[20])
{
	long i = registry_account(r, addr);
	if (i >= 0)
		return &r->accounts[i];
	r->accounts = grow(r->accounts, r->naccounts, &r->cap_accounts, sizeof *r->accounts);
	struct account *a = &r->accounts[r->naccounts];
	memcpy(a->addr, addr, 20);
	mpz_init(a->balance);
	keymap_put(&r->account_by_addr, addr, 20, (uint32_t)r->naccounts++);
	return a;
}

/* Balance of addr (0 for an unknown account), into out. */
static void balance_of(const struct registry *r, const uint8_t addr[20], mpz_t out)
{
	long i = registry_account(r, addr);
	if (i >= 0)
		mpz_set(out, r->accounts[i].balance);
	else
		mpz_set_ui(out, 0);
}

static struct hive *hive_by_id(const struct registry *r, uint64_t id)
{
	return id >= 1 && id <= r->nhives ? &r->hives[id - 1] : NULL;
}

const char *meter_status_name(enum meter_status s)
{
	static const char *const names[] = { "registered", "certified", "online", "offline", "revoked" };
	return names[s];
}

const char *hive_status_name(enum hive_status s)
{
	static const char *const names[] = { "active", "frozen", "split", "merged" };
	return names[s];
}

static int meter_status_parse(const char *s, enum meter_status *out)
{
	for (int i = METER_REGISTERED; i <= METER_REVOKED; i++)
		if (strcmp(s, meter_status_name((enum meter_status)i)) == 0) {
			*out = (enum meter_status)i;
			return 0;
		}
	return -1;
}

/* A meter may join a hive: certified, and not revoked since. */
static bool joinable(enum meter_status s)
{
	return s == METER_CERTIFIED || s == METER_ONLINE || s == METER_OFFLINE;
}

/* ---------------------------------------------------------- field access */

/*
 * Events are read through a flat view of their members (jsonview.h): a
 * replay looks each member up once or twice, and building jq values for
 * every line would cost more than the rules. Addresses' EIP-55 checksums
 * are checked in what is made or verified, not again in lines replayed
 * from the ledger that held them.
 */
typedef struct {
	struct jsonview v;
	bool checksums;
} event_view;

static const struct jsonview_member *member(const event_view *ev, const char *key)
{
	return jsonview_get(&ev->v, key);
}

static bool has(const event_view *ev, const char *key)
{
	return member(ev, key) != NULL;
}

static int missing(struct reg_error *e, const char *key)
{
	return fail(e, HIVE_EINPUT, "field '%s' is missing", key);
}

static int addr_from(uint8_t out[20], const char *s, size_t len, bool checksums, const char **why)
{
	if (!checksums) {
		if (len == 42 && s[0] == '0' && s[1] == 'x' && hex_decode(s, len, out, 20) == 0)
			return 0;
		*why = eth_addr_status_str(ETH_ADDR_SYNTAX);
		return -1;
	}
	enum eth_addr_status st = eth_address_parse(out, s, len);
	*why = eth_addr_status_str(st);
	return st == ETH_ADDR_OK ? 0 : -1;
}

/* A string member without escapes (addresses, amounts, times never have any). */
static int plain_string(const event_view *ev, const char *key, const char *what,
                        const struct jsonview_member **out, struct reg_error *e)
{
	const struct jsonview_member *m = member(ev, key);
	if (m == NULL)
		return missing(e, key);
	if (m->kind != JV_STRING_SPAN || m->escaped)
		return fail(e, HIVE_EINPUT, "field '%s' is not %s", key, what);
	*out = m;
	return HIVE_OK;
}

static int get_addr(const event_view *ev, const char *key, uint8_t out[20], struct reg_error *e)
{
	const struct jsonview_member *m = NULL;
	const char *why;
	int rc = plain_string(ev, key, "an address", &m, e);
	if (rc == HIVE_OK && addr_from(out, m->val, m->vlen, ev->checksums, &why) != 0)
		rc = fail(e, HIVE_EINPUT, "field '%s': %s", key, why);
	return rc;
}

/* A short printable name: no control characters, at most max bytes. */
static int get_text(const event_view *ev, const char *key, size_t max, char **out, struct reg_error *e)
{
	const struct jsonview_member *m = member(ev, key);
	struct buf b = BUF_INIT;
	int rc = HIVE_OK;
	if (m == NULL)
		return missing(e, key);
	if (jsonview_string(m, &b) != 0)
		rc = fail(e, HIVE_EINPUT, "field '%s' is not a string", key);
	else if (b.len == 0 || b.len > max)
		rc = fail(e, HIVE_EINPUT, "field '%s' must have 1 to %zu bytes", key, max);
	for (size_t i = 0; rc == HIVE_OK && i < b.len; i++)
		if ((unsigned char)b.data[i] < 0x20 || b.data[i] == 0x7f)
			rc = fail(e, HIVE_EINPUT, "field '%s' holds a control character", key);
	if (rc == HIVE_OK)
		*out = xstrdup(b.data);   /* exact size: a million meters keep two of these each */
	buf_free(&b);
	return rc;
}

/* An integer written as plain digits, as RFC 8785 writes integers. */
static int get_uint(const event_view *ev, const char *key, uint64_t max, uint64_t *out, struct reg_error *e)
{
	const struct jsonview_member *m = member(ev, key);
	if (m == NULL)
		return missing(e, key);
	if (m->kind != JV_NUMBER_SPAN)
		return fail(e, HIVE_EINPUT, "field '%s' is not a number", key);
	uint64_t v = 0;
	bool ok = m->vlen > 0 && m->vlen <= 20 && !(m->vlen > 1 && m->val[0] == '0');
	for (size_t i = 0; ok && i < m->vlen; i++) {
		unsigned d = (unsigned)(m->val[i] - '0');
		ok = d <= 9 && v <= (max - d) / 10;
		v = v * 10 + d;
	}
	if (!ok)
		return fail(e, HIVE_EINPUT, "field '%s' is not an integer from 0 to %llu", key, (unsigned long long)max);
	*out = v;
	return HIVE_OK;
}

static int get_amount(const event_view *ev, const char *key, mpz_t out, struct reg_error *e)
{
	const struct jsonview_member *m = NULL;
	const char *why;
	int rc = plain_string(ev, key, "a decimal string of HVT base units", &m, e);
	if (rc == HIVE_OK && amount_parse(out, m->val, m->vlen, &why) != 0)
		rc = fail(e, HIVE_EINPUT, "field '%s': %s", key, why);
	return rc;
}

static int get_time(const event_view *ev, const char *key, int64_t *ms, struct reg_error *e)
{
	const struct jsonview_member *m = NULL;
	const char *why;
	int rc = plain_string(ev, key, "an RFC 3339 time", &m, e);
	if (rc == HIVE_OK && rfc3339_parse(ms, m->val, m->vlen, &why) != 0)
		rc = fail(e, HIVE_EINPUT, "field '%s': %s", key, why);
	if (rc == HIVE_OK) {
		/* One spelling per instant, so the chain and the queries agree on it. */
		char canon[RFC3339_SIZE];
		rfc3339_format(canon, *ms);
		if (strlen(canon) != m->vlen || memcmp(canon, m->val, m->vlen) != 0)
			rc = fail(e, HIVE_EINPUT, "field '%s': write the time in UTC as %s", key, canon);
	}
	return rc;
}

/* A list member parsed into a jq value (jv_invalid when absent). */
static jv list_field(const event_view *ev, const char *key)
{
	return jsonview_value(member(ev, key));
}

/* A list of distinct addresses (1 to LIST_MAX). *out is malloc'ed (free it). */
static int get_addr_list(jv list, const char *key, bool checksums, uint8_t (**out)[20], size_t *n,
                         struct reg_error *e)
{
	*out = NULL;
	*n = 0;
	if (jv_get_kind(list) != JV_KIND_ARRAY)
		return fail(e, HIVE_EINPUT, "field '%s' is not a list of addresses", key);
	int len = jv_array_length(jv_copy(list));
	if (len < 1 || len > LIST_MAX)
		return fail(e, HIVE_EINPUT, "field '%s' must list 1 to %d meters", key, LIST_MAX);
	*out = xcalloc((size_t)len, 20);
	struct keymap seen = KEYMAP_INIT;
	int rc = HIVE_OK;
	for (int i = 0; rc == HIVE_OK && i < len; i++) {
		jv a = jv_array_get(jv_copy(list), i);
		if (jv_get_kind(a) != JV_KIND_STRING)
			rc = fail(e, HIVE_EINPUT, "field '%s': item %d is not an address", key, i + 1);
		else {
			const char *why;
			uint32_t dummy;
			if (addr_from((*out)[i], jv_string_value(a), (size_t)jv_string_length_bytes(jv_copy(a)), checksums, &why) != 0)
				rc = fail(e, HIVE_EINPUT, "field '%s': item %d: %s", key, i + 1, why);
			else if (keymap_get(&seen, (*out)[i], 20, &dummy))
				rc = fail(e, HIVE_EINPUT, "field '%s': meter %s is listed twice", key, jv_string_value(a));
			else
				keymap_put(&seen, (*out)[i], 20, 0);
		}
		jv_free(a);
	}
	keymap_free(&seen);
	*n = (size_t)len;
	if (rc != HIVE_OK) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

/* ------------------------------------------------------------ operations */

struct evctx {
	uint64_t seq;
	int64_t time_ms;
	uint8_t actor[20];
	char actor_s[ETH_ADDR_STRLEN + 1];   /* made when a message needs it: see actor_name */
};

/* The actor's EIP-55 address, for messages (formatted on first use: it costs a keccak). */
static const char *actor_name(const struct evctx *c)
{
	struct evctx *m = (struct evctx *)c;
	if (m->actor_s[0] == '\0')
		addr_str(m->actor_s, m->actor);
	return m->actor_s;
}

typedef int (*op_fn)(struct registry *r, const event_view *ev, const struct evctx *c, bool commit, jv *derived,
                     struct reg_error *e);

static int need_admin(const struct registry *r, const struct evctx *c, const char *what, struct reg_error *e)
{
	if (memcmp(c->actor, r->admin, 20) != 0)
		return fail(e, HIVE_ERULE, "%s: %s is not the ledger's admin", what, actor_name(c));
	return HIVE_OK;
}

/* An optional amount: the input's, or def (then written into derived as key). */
static int amount_or_default(const event_view *ev, const char *key, const mpz_t def, mpz_t out, jv *derived,
                             struct reg_error *e)
{
	if (has(ev, key))
		return get_amount(ev, key, out, e);
	mpz_set(out, def);
	*derived = jv_object_set(*derived, jv_string(key), amount_jv(out));
	return HIVE_OK;
}

static int op_init(struct registry *r, const event_view *ev, const struct evctx *c, bool commit, jv *derived, struct reg_error *e)
{
	mpz_t hive_cost, meter_cost, def;
	mpz_inits(hive_cost, meter_cost, def, NULL);
	int rc = HIVE_OK;
	if (c->seq != 0 || r->ready)
		rc = fail(e, HIVE_ERULE, "init: only the first event of a ledger is init");
	mpz_set_str(def, REGISTRY_DEFAULT_HIVE_COST, 10);
	if (rc == HIVE_OK)
		rc = amount_or_default(ev, "hive_cost", def, hive_cost, derived, e);
	mpz_set_str(def, REGISTRY_DEFAULT_METER_COST, 10);
	if (rc == HIVE_OK)
		rc = amount_or_default(ev, "meter_cost", def, meter_cost, derived, e);
	*derived = jv_object_set(*derived, jv_string("supply"), jv_string(REGISTRY_HVT_SUPPLY));
	if (rc == HIVE_OK && commit) {
		r->ready = true;
		memcpy(r->admin, c->actor, 20);
		mpz_set_str(r->supply, REGISTRY_HVT_SUPPLY, 10);
		mpz_set(r->hive_cost, hive_cost);
		mpz_set(r->meter_cost, meter_cost);
		mpz_set(account(r, c->actor)->balance, r->supply);
	}
	mpz_clears(hive_cost, meter_cost, def, NULL);
	return rc;
}

static int op_params(struct registry *r, const event_view *ev, const struct evctx *c, bool commit, jv *derived,
                     struct reg_error *e)
{
	mpz_t hive_cost, meter_cost;
	mpz_inits(hive_cost, meter_cost, NULL);
	int rc = need_admin(r, c, "params", e);
	if (rc == HIVE_OK && !has(ev, "hive_cost") && !has(ev, "meter_cost"))
		rc = fail(e, HIVE_EINPUT, "params: neither 'hive_cost' nor 'meter_cost' is given");
	if (rc == HIVE_OK)
		rc = amount_or_default(ev, "hive_cost", r->hive_cost, hive_cost, derived, e);
	if (rc == HIVE_OK)
		rc = amount_or_default(ev, "meter_cost", r->meter_cost, meter_cost, derived, e);
	if (rc == HIVE_OK && commit) {
		mpz_set(r->hive_cost, hive_cost);
		mpz_set(r->meter_cost, meter_cost);
	}
	mpz_clears(hive_cost, meter_cost, NULL);
	return rc;
}

/* The actor pays `paid` from its balance, or the rule refuses. */
static int can_pay(const struct registry *r, const struct evctx *c, const mpz_t paid, const char *what,
                   struct reg_error *e)
{
	mpz_t bal;
	mpz_init(bal);
	balance_of(r, c->actor, bal);
	int rc = HIVE_OK;
	if (mpz_cmp(bal, paid) < 0) {
		struct buf b = BUF_INIT, p = BUF_INIT;
		amount_append(&b, bal);
		amount_append(&p, paid);
		rc = fail(e, HIVE_ERULE, "%s: insufficient HVT: %s holds %s base units, %s are needed", what, actor_name(c),
		          b.data, p.data);
		buf_free(&b);
		buf_free(&p);
	}
	mpz_clear(bal);
	return rc;
}

static int op_hvt_transfer(struct registry *r, const event_view *ev, const struct evctx *c, bool commit, jv *derived,
                           struct reg_error *e)
{
	uint8_t to[20];
	mpz_t amount;
	mpz_init(amount);
	int rc = get_addr(ev, "to", to, e);
	if (rc == HIVE_OK)
		rc = get_amount(ev, "amount", amount, e);
	if (rc == HIVE_OK && mpz_sgn(amount) == 0)
		rc = fail(e, HIVE_EINPUT, "hvt transfer: the amount is zero");
	if (rc == HIVE_OK && memcmp(to, c->actor, 20) == 0)
		rc = fail(e, HIVE_ERULE, "hvt transfer: %s sends to itself", actor_name(c));
	if (rc == HIVE_OK)
		rc = can_pay(r, c, amount, "hvt transfer", e);
	if (rc == HIVE_OK && commit) {
		mpz_sub(account(r, c->actor)->balance, account(r, c->actor)->balance, amount);
		mpz_add(account(r, to)->balance, account(r, to)->balance, amount);
	}
	mpz_clear(amount);
	return rc;
}

static int op_meter_add(struct registry *r, const event_view *ev, const struct evctx *c, bool commit, jv *derived,
                        struct reg_error *e)
{
	uint8_t meter[20], owner[20];
	char *serial = NULL, *manufacturer = NULL;
	char s[ETH_ADDR_STRLEN + 1];
	struct buf key = BUF_INIT;
	int rc = get_addr(ev, "meter", meter, e);
	if (rc == HIVE_OK)
		rc = get_addr(ev, "owner", owner, e);
	if (rc == HIVE_OK)
		rc = get_text(ev, "serial", TEXT_MAX, &serial, e);
	if (rc == HIVE_OK)
		rc = get_text(ev, "manufacturer", TEXT_MAX, &manufacturer, e);
	if (rc == HIVE_OK && memcmp(c->actor, owner, 20) != 0 && memcmp(c->actor, r->admin, 20) != 0)
		rc = fail(e, HIVE_ERULE, "meter add: %s is neither the meter's owner nor the admin", actor_name(c));
	if (rc == HIVE_OK && memcmp(meter, zero_addr, 20) == 0)
		rc = fail(e, HIVE_EINPUT, "meter add: the zero address is not a meter");
	if (rc == HIVE_OK && registry_meter(r, meter) >= 0)
		rc = fail(e, HIVE_ERULE, "meter add: meter %s is already listed", addr_str(s, meter));
	if (rc == HIVE_OK) {
		serial_key(&key, manufacturer, serial);
		uint32_t other;
		if (keymap_get(&r->meter_by_serial, key.data, key.len, &other))
			rc = fail(e, HIVE_ERULE, "meter add: %s serial '%s' is already listed as meter %s", manufacturer,
			          serial, addr_str(s, r->meters[other].addr));
	}
	*derived = jv_object_set(*derived, jv_string("status"), jv_string("registered"));
	if (rc == HIVE_OK && commit) {
		r->meters = grow(r->meters, r->nmeters, &r->cap_meters, sizeof *r->meters);
		struct meter *m = &r->meters[r->nmeters];
		memset(m, 0, sizeof *m);
		memcpy(m->addr, meter, 20);
		memcpy(m->owner, owner, 20);
		m->serial = serial;
		m->manufacturer = manufacturer;
		serial = manufacturer = NULL;
		m->status = METER_REGISTERED;
		mpz_init(m->stake);
		m->added_seq = m->changed_seq = c->seq;
		keymap_put(&r->meter_by_addr, meter, 20, (uint32_t)r->nmeters);
		keymap_put(&r->meter_by_serial, key.data, key.len, (uint32_t)r->nmeters);
		r->nmeters++;
	}
	free(serial);
	free(manufacturer);
	buf_free(&key);
	return rc;
}

static void remove_member(struct hive *h, uint32_t mi)
{
	for (size_t k = 0; k < h->nmeters; k++)
		if (h->meters[k] == mi) {
			memmove(&h->meters[k], &h->meters[k + 1], (h->nmeters - k - 1) * sizeof *h->meters);
			h->nmeters--;
			return;
		}
	HIVE_ASSERT(!"member not found");
}

/* Returns a meter's stake to its hive's owner and takes it out of the hive. */
static void release_meter(struct registry *r, struct meter *m, bool keep_in_list)
{
	struct hive *h = hive_by_id(r, m->hive);
	struct account *a = account(r, h->owner);
	mpz_add(a->balance, a->balance, m->stake);
	mpz_sub(r->staked, r->staked, m->stake);
	mpz_set_ui(m->stake, 0);
	if (!keep_in_list)
		remove_member(h, (uint32_t)(m - r->meters));
	m->hive = 0;
}

static int find_meter(const struct registry *r, const uint8_t addr[20], const char *what, long *mi,
                      struct reg_error *e)
{
	char s[ETH_ADDR_STRLEN + 1];
	*mi = registry_meter(r, addr);
	if (*mi < 0)
		return fail(e, HIVE_ERULE, "%s: meter %s is not listed", what, addr_str(s, addr));
	return HIVE_OK;
}

static int op_meter_status(struct registry *r, const event_view *ev, const struct evctx *c, bool commit, jv *derived,
                           struct reg_error *e)
{
	uint8_t addr[20];
	char *status = NULL;
	char s[ETH_ADDR_STRLEN + 1];
	enum meter_status to = METER_REGISTERED;
	long mi = -1;
	int rc = get_addr(ev, "meter", addr, e);
	if (rc == HIVE_OK)
		rc = get_text(ev, "status", TEXT_MAX, &status, e);
	if (rc == HIVE_OK && meter_status_parse(status, &to) != 0)
		rc = fail(e, HIVE_EINPUT, "meter status: '%s' is not one of registered, certified, online, offline, revoked",
		          status);
	if (rc == HIVE_OK)
		rc = find_meter(r, addr, "meter status", &mi, e);
	struct meter *m = rc == HIVE_OK ? &r->meters[mi] : NULL;
	bool admin = memcmp(c->actor, r->admin, 20) == 0;
	bool owner = m && memcmp(c->actor, m->owner, 20) == 0;
	if (rc == HIVE_OK && m->status == METER_REVOKED)
		rc = fail(e, HIVE_ERULE, "meter status: meter %s is revoked, for good", addr_str(s, addr));
	else if (rc == HIVE_OK && m->status == to)
		rc = fail(e, HIVE_ERULE, "meter status: meter %s is already %s", addr_str(s, addr), status);
	else if (rc == HIVE_OK && !admin) {
		if (!owner)
			rc = fail(e, HIVE_ERULE, "meter status: %s is neither the meter's owner nor the admin", actor_name(c));
		else if (!(to == METER_ONLINE || to == METER_OFFLINE) || !joinable(m->status))
			rc = fail(e, HIVE_ERULE,
			          "meter status: a meter's owner only switches a certified meter online or offline; "
			          "the admin certifies, revokes and resets");
	}
	if (rc == HIVE_OK && to == METER_REGISTERED && m->hive != 0)
		rc = fail(e, HIVE_ERULE, "meter status: meter %s is in hive %u: drop it or revoke it", addr_str(s, addr),
		          m->hive);
	if (rc == HIVE_OK && to == METER_REVOKED && m->hive != 0) {
		/* A revoked meter leaves its hive; its stake goes back to the hive's owner. */
		*derived = jv_object_set(*derived, jv_string("hive"), jv_number(m->hive));
		*derived = jv_object_set(*derived, jv_string("returned"), amount_jv(m->stake));
	}
	if (rc == HIVE_OK && commit) {
		if (to == METER_REVOKED && m->hive != 0) {
			hive_by_id(r, m->hive)->changed_seq = c->seq;
			release_meter(r, m, false);
		}
		m->status = to;
		m->changed_seq = c->seq;
	}
	free(status);
	return rc;
}

static int op_coin_add(struct registry *r, const event_view *ev, const struct evctx *c, bool commit, jv *derived,
                       struct reg_error *e)
{
	uint8_t addr[20];
	char *code = NULL;
	uint64_t decimals = 0;
	char s[ETH_ADDR_STRLEN + 1];
	int rc = need_admin(r, c, "coin add", e);
	if (rc == HIVE_OK)
		rc = get_addr(ev, "coin", addr, e);
	if (rc == HIVE_OK)
		rc = get_text(ev, "code", CODE_MAX, &code, e);
	if (rc == HIVE_OK)
		rc = get_uint(ev, "decimals", AMOUNT_MAX_DECIMALS, &decimals, e);
	for (const char *p = code; rc == HIVE_OK && *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		      *p == '-' || *p == '_'))
			rc = fail(e, HIVE_EINPUT, "coin add: code '%s' has a character other than letters, digits, '.', '-', '_'",
			          code);
	if (rc == HIVE_OK && registry_coin(r, addr) >= 0)
		rc = fail(e, HIVE_ERULE, "coin add: stablecoin %s is already listed", addr_str(s, addr));
	if (rc == HIVE_OK && commit) {
		r->coins = grow(r->coins, r->ncoins, &r->cap_coins, sizeof *r->coins);
		struct coin *k = &r->coins[r->ncoins];
		memcpy(k->addr, addr, 20);
		k->code = code;
		code = NULL;
		k->decimals = (unsigned)decimals;
		k->frozen = false;
		k->added_seq = k->changed_seq = c->seq;
		keymap_put(&r->coin_by_addr, addr, 20, (uint32_t)r->ncoins++);
	}
	free(code);
	return rc;
}

static int op_coin_freeze(struct registry *r, const event_view *ev, const struct evctx *c, bool commit, jv *derived,
                          struct reg_error *e)
{
	uint8_t addr[20];
	char s[ETH_ADDR_STRLEN + 1];
	long ci = -1;
	int rc = need_admin(r, c, "coin freeze", e);
	if (rc == HIVE_OK)
		rc = get_addr(ev, "coin", addr, e);
	if (rc == HIVE_OK && (ci = registry_coin(r, addr)) < 0)
		rc = fail(e, HIVE_ERULE, "coin freeze: stablecoin %s is not listed", addr_str(s, addr));
	if (rc == HIVE_OK && r->coins[ci].frozen)
		rc = fail(e, HIVE_ERULE, "coin freeze: stablecoin %s is already frozen", addr_str(s, addr));
	if (rc == HIVE_OK && commit) {
		r->coins[ci].frozen = true;
		r->coins[ci].changed_seq = c->seq;
	}
	return rc;
}

/* The hive named by field "hive", active and owned by the actor. */
/* Hive id, active and owned by the actor. */
static int owned_hive_id(struct registry *r, uint64_t id, const struct evctx *c, const char *what, struct hive **out,
                         struct reg_error *e)
{
	struct hive *h = hive_by_id(r, id);
	char s[ETH_ADDR_STRLEN + 1];
	if (h == NULL)
		return fail(e, HIVE_ERULE, "%s: there is no hive %llu", what, (unsigned long long)id);
	if (memcmp(h->owner, c->actor, 20) != 0)
		return fail(e, HIVE_ERULE, "%s: hive %u belongs to %s, not to %s", what, h->id, addr_str(s, h->owner),
		            actor_name(c));
	if (h->status != HIVE_ACTIVE)
		return fail(e, HIVE_ERULE, "%s: hive %u is %s", what, h->id, hive_status_name(h->status));
	*out = h;
	return HIVE_OK;
}

/* The hive named by field key, active and owned by the actor. */
static int owned_hive(struct registry *r, const event_view *ev, const char *key, const struct evctx *c,
                      const char *what, struct hive **out, struct reg_error *e)
{
	uint64_t id;
	int rc = get_uint(ev, key, UINT32_MAX, &id, e);
	return rc == HIVE_OK ? owned_hive_id(r, id, c, what, out, e) : rc;
}

/* A meter that may join a hive now. */
static int free_certified(const struct registry *r, const uint8_t addr[20], const char *what, long *mi,
                          struct reg_error *e)
{
	char s[ETH_ADDR_STRLEN + 1];
	int rc = find_meter(r, addr, what, mi, e);
	if (rc != HIVE_OK)
		return rc;
	const struct meter *m = &r->meters[*mi];
	if (!joinable(m->status))
		return fail(e, HIVE_ERULE, "%s: meter %s is %s, not certified", what, addr_str(s, addr),
		            meter_status_name(m->status));
	if (m->hive != 0)
		return fail(e, HIVE_ERULE, "%s: meter %s already belongs to hive %u", what, addr_str(s, addr), m->hive);
	return HIVE_OK;
}

/* A usable stablecoin for a new hive. */
static int usable_coin(const struct registry *r, long ci, const char *what, struct reg_error *e)
{
	char s[ETH_ADDR_STRLEN + 1];
	if (r->coins[ci].frozen)
		return fail(e, HIVE_ERULE, "%s: stablecoin %s (%s) is frozen: no new hive may use it", what,
		            addr_str(s, r->coins[ci].addr), r->coins[ci].code);
	return HIVE_OK;
}

static struct hive *new_hive(struct registry *r, const uint8_t owner[20], uint32_t coin, int64_t start_ms,
                             const struct evctx *c)
{
	r->hives = grow(r->hives, r->nhives, &r->cap_hives, sizeof *r->hives);
	struct hive *h = &r->hives[r->nhives];
	memset(h, 0, sizeof *h);
	h->id = (uint32_t)++r->nhives;
	memcpy(h->owner, owner, 20);
	h->coin = coin;
	h->status = HIVE_ACTIVE;
	h->start_ms = start_ms;
	mpz_init(h->stake);
	h->created_seq = h->changed_seq = c->seq;
	return h;
}

static void join(struct registry *r, struct hive *h, uint32_t mi, const mpz_t stake)
{
	struct meter *m = &r->meters[mi];
	m->hive = h->id;
	mpz_set(m->stake, stake);
	m->changed_seq = h->changed_seq;
	push_u32(&h->meters, &h->nmeters, &h->cap, mi);
}

/* Ends a hive at time t (the end it had stays if earlier). */
static void end_hive(struct hive *h, enum hive_status st, const struct evctx *c)
{
	h->status = st;
	if (!h->has_end || h->end_ms > c->time_ms)
		h->end_ms = c->time_ms;
	if (h->end_ms < h->start_ms)   /* ended before it began: a life of length zero */
		h->end_ms = h->start_ms;
	h->has_end = true;
	h->changed_seq = c->seq;
}

static void burn_and_stake(struct registry *r, const struct evctx *c, const mpz_t paid, const mpz_t stake)
{
	struct account *a = account(r, c->actor);
	mpz_sub(a->balance, a->balance, paid);
	mpz_add(r->staked, r->staked, stake);
	mpz_add(r->burned, r->burned, paid);
	mpz_sub(r->burned, r->burned, stake);
}

static int op_hive_create(struct registry *r, const event_view *ev, const struct evctx *c, bool commit, jv *derived,
                          struct reg_error *e)
{
	uint8_t coin[20];
	uint8_t(*meters)[20] = NULL;
	size_t n = 0;
	long ci = -1;
	long *mis = NULL;
	int64_t start = c->time_ms, end = 0;
	mpz_t need, paid, meter_stake, hive_stake, stake, burn;
	mpz_inits(need, paid, meter_stake, hive_stake, stake, burn, NULL);
	char s[ETH_ADDR_STRLEN + 1];

	int rc = get_addr(ev, "coin", coin, e);
	if (rc == HIVE_OK && (ci = registry_coin(r, coin)) < 0)
		rc = fail(e, HIVE_ERULE, "hive create: stablecoin %s is not listed", addr_str(s, coin));
	if (rc == HIVE_OK)
		rc = usable_coin(r, ci, "hive create", e);
	if (rc == HIVE_OK) {
		jv list = list_field(ev, "meters");
		rc = jv_is_valid(list) ? get_addr_list(list, "meters", ev->checksums, &meters, &n, e) : missing(e, "meters");
		jv_free(list);
	}
	if (rc == HIVE_OK) {
		mis = xcalloc(n, sizeof *mis);
		for (size_t i = 0; rc == HIVE_OK && i < n; i++)
			rc = free_certified(r, meters[i], "hive create", &mis[i], e);
	}
	if (rc == HIVE_OK && has(ev, "start"))
		rc = get_time(ev, "start", &start, e);
	else if (rc == HIVE_OK)
		*derived = jv_object_set(*derived, jv_string("start"), jvb_time(start));
	if (rc == HIVE_OK && has(ev, "end")) {
		rc = get_time(ev, "end", &end, e);
		if (rc == HIVE_OK && end <= start)
			rc = fail(e, HIVE_EINPUT, "hive create: the end is not after the start");
	}
	if (rc == HIVE_OK) {
		mpz_mul_ui(need, r->meter_cost, n);
		mpz_add(need, need, r->hive_cost);
		rc = amount_or_default(ev, "hvt", need, paid, derived, e);
	}
	if (rc == HIVE_OK && mpz_cmp(paid, need) < 0) {
		struct buf b = BUF_INIT;
		amount_append(&b, need);
		rc = fail(e, HIVE_ERULE, "hive create: insufficient HVT: a hive of %zu meters needs %s base units", n,
		          b.data);
		buf_free(&b);
	}
	if (rc == HIVE_OK)
		rc = can_pay(r, c, paid, "hive create", e);
	if (rc == HIVE_OK) {
		/* Each meter's part is meter_cost; the hive's own part is the rest of the payment. */
		mpz_fdiv_q_2exp(meter_stake, r->meter_cost, 1);
		mpz_submul_ui(paid, r->meter_cost, n);
		mpz_fdiv_q_2exp(hive_stake, paid, 1);
		mpz_addmul_ui(paid, r->meter_cost, n);
		mpz_mul_ui(stake, meter_stake, n);
		mpz_add(stake, stake, hive_stake);
		mpz_sub(burn, paid, stake);
		*derived = jv_object_set(*derived, jv_string("hive"), jv_number((double)(r->nhives + 1)));
		*derived = jv_object_set(*derived, jv_string("burn"), amount_jv(burn));
		*derived = jv_object_set(*derived, jv_string("stake"), amount_jv(stake));
	}
	if (rc == HIVE_OK && commit) {
		struct hive *h = new_hive(r, c->actor, (uint32_t)ci, start, c);
		h->has_end = has(ev, "end");
		h->end_ms = end;
		mpz_set(h->stake, hive_stake);
		for (size_t i = 0; i < n; i++)
			join(r, h, (uint32_t)mis[i], meter_stake);
		burn_and_stake(r, c, paid, stake);
	}
	free(meters);
	free(mis);
	mpz_clears(need, paid, meter_stake, hive_stake, stake, burn, NULL);
	return rc;
}

/* Sum of a hive's own stake and its members' stakes. */
static void hive_total_stake(const struct registry *r, const struct hive *h, mpz_t out)
{
	mpz_set(out, h->stake);
	for (size_t k = 0; k < h->nmeters; k++)
		mpz_add(out, out, r->meters[h->meters[k]].stake);
}

static int op_hive_freeze(struct registry *r, const event_view *ev, const struct evctx *c, bool commit, jv *derived,
                          struct reg_error *e)
{
	struct hive *h = NULL;
	int rc = owned_hive(r, ev, "hive", c, "hive freeze", &h, e);
	if (rc == HIVE_OK) {
		mpz_t total;
		mpz_init(total);
		hive_total_stake(r, h, total);
		*derived = jv_object_set(*derived, jv_string("returned"), amount_jv(total));
		mpz_clear(total);
	}
	if (rc == HIVE_OK && commit) {
		for (size_t k = 0; k < h->nmeters; k++) {
			release_meter(r, &r->meters[h->meters[k]], true);   /* the list stays as it was */
			r->meters[h->meters[k]].changed_seq = c->seq;
		}
		struct account *a = account(r, h->owner);
		mpz_add(a->balance, a->balance, h->stake);
		mpz_sub(r->staked, r->staked, h->stake);
		mpz_set_ui(h->stake, 0);
		end_hive(h, HIVE_FROZEN, c);
	}
	return rc;
}

static int op_hive_add_meter(struct registry *r, const event_view *ev, const struct evctx *c, bool commit, jv *derived,
                             struct reg_error *e)
{
	struct hive *h = NULL;
	uint8_t addr[20];
	long mi = -1;
	mpz_t paid, stake, burn;
	mpz_inits(paid, stake, burn, NULL);
	int rc = owned_hive(r, ev, "hive", c, "hive add-meter", &h, e);
	if (rc == HIVE_OK)
		rc = get_addr(ev, "meter", addr, e);
	if (rc == HIVE_OK)
		rc = free_certified(r, addr, "hive add-meter", &mi, e);
	if (rc == HIVE_OK)
		rc = amount_or_default(ev, "hvt", r->meter_cost, paid, derived, e);
	if (rc == HIVE_OK && mpz_cmp(paid, r->meter_cost) < 0) {
		struct buf b = BUF_INIT;
		amount_append(&b, r->meter_cost);
		rc = fail(e, HIVE_ERULE, "hive add-meter: insufficient HVT: a meter needs %s base units", b.data);
		buf_free(&b);
	}
	if (rc == HIVE_OK)
		rc = can_pay(r, c, paid, "hive add-meter", e);
	if (rc == HIVE_OK) {
		amount_burn_and_stake(paid, burn, stake);
		*derived = jv_object_set(*derived, jv_string("burn"), amount_jv(burn));
		*derived = jv_object_set(*derived, jv_string("stake"), amount_jv(stake));
	}
	if (rc == HIVE_OK && commit) {
		h->changed_seq = c->seq;
		join(r, h, (uint32_t)mi, stake);
		burn_and_stake(r, c, paid, stake);
	}
	mpz_clears(paid, stake, burn, NULL);
	return rc;
}

static int op_hive_drop_meter(struct registry *r, const event_view *ev, const struct evctx *c, bool commit, jv *derived,
                              struct reg_error *e)
{
	struct hive *h = NULL;
	uint8_t addr[20];
	long mi = -1;
	char s[ETH_ADDR_STRLEN + 1];
	int rc = owned_hive(r, ev, "hive", c, "hive drop-meter", &h, e);
	if (rc == HIVE_OK)
		rc = get_addr(ev, "meter", addr, e);
	if (rc == HIVE_OK)
		rc = find_meter(r, addr, "hive drop-meter", &mi, e);
	if (rc == HIVE_OK && r->meters[mi].hive != h->id)
		rc = fail(e, HIVE_ERULE, "hive drop-meter: meter %s is not in hive %u", addr_str(s, addr), h->id);
	if (rc == HIVE_OK)
		*derived = jv_object_set(*derived, jv_string("returned"), amount_jv(r->meters[mi].stake));
	if (rc == HIVE_OK && commit) {
		h->changed_seq = c->seq;
		r->meters[mi].changed_seq = c->seq;
		release_meter(r, &r->meters[mi], false);
	}
	return rc;
}

/* A list of hive ids (at least 2, distinct), for split's new hives and merge's sources. */
static int get_parts(struct registry *r, const event_view *ev, const struct hive *h, uint8_t (***parts)[20], size_t **sizes,
                     size_t *nparts, struct reg_error *e)
{
	jv list = list_field(ev, "parts");
	int rc = HIVE_OK;
	*parts = NULL;
	*sizes = NULL;
	*nparts = 0;
	if (!jv_is_valid(list))
		rc = missing(e, "parts");
	else if (jv_get_kind(list) != JV_KIND_ARRAY || jv_array_length(jv_copy(list)) < 2 ||
	         jv_array_length(jv_copy(list)) > LIST_MAX)
		rc = fail(e, HIVE_EINPUT, "hive split: field 'parts' must list at least two lists of meters");
	if (rc != HIVE_OK) {
		jv_free(list);
		return rc;
	}
	size_t k = (size_t)jv_array_length(jv_copy(list)), total = 0;
	*parts = xcalloc(k, sizeof **parts);
	*sizes = xcalloc(k, sizeof **sizes);
	*nparts = k;
	struct keymap seen = KEYMAP_INIT;
	char s[ETH_ADDR_STRLEN + 1];
	for (size_t i = 0; rc == HIVE_OK && i < k; i++) {
		jv part = jv_array_get(jv_copy(list), (int)i);
		rc = get_addr_list(part, "parts", ev->checksums, &(*parts)[i], &(*sizes)[i], e);
		jv_free(part);
		for (size_t j = 0; rc == HIVE_OK && j < (*sizes)[i]; j++) {
			const uint8_t *a = (*parts)[i][j];
			uint32_t dummy;
			long mi = registry_meter(r, a);
			if (keymap_get(&seen, a, 20, &dummy))
				rc = fail(e, HIVE_EINPUT, "hive split: meter %s is in two parts", addr_str(s, a));
			else if (mi < 0 || r->meters[mi].hive != h->id)
				rc = fail(e, HIVE_ERULE, "hive split: meter %s is not in hive %u", addr_str(s, a), h->id);
			keymap_put(&seen, a, 20, 0);
			total++;
		}
	}
	if (rc == HIVE_OK && total != h->nmeters)
		rc = fail(e, HIVE_ERULE, "hive split: the parts hold %zu of hive %u's %zu meters: a split is a partition",
		          total, h->id, h->nmeters);
	keymap_free(&seen);
	jv_free(list);
	return rc;
}

static int op_hive_split(struct registry *r, const event_view *ev, const struct evctx *c, bool commit, jv *derived,
                         struct reg_error *e)
{
	struct hive *h = NULL;
	uint8_t(**parts)[20] = NULL;
	size_t *sizes = NULL, k = 0;
	mpz_t paid, one_stake, stake, burn;
	mpz_inits(paid, one_stake, stake, burn, NULL);
	int rc = owned_hive(r, ev, "hive", c, "hive split", &h, e);
	if (rc == HIVE_OK)
		rc = usable_coin(r, h->coin, "hive split", e);
	if (rc == HIVE_OK)
		rc = get_parts(r, ev, h, &parts, &sizes, &k, e);
	if (rc == HIVE_OK) {
		/* The first part keeps the hive's stake; each further one is a new hive and costs hive_cost. */
		mpz_mul_ui(paid, r->hive_cost, k - 1);
		mpz_fdiv_q_2exp(one_stake, r->hive_cost, 1);
		mpz_mul_ui(stake, one_stake, k - 1);
		mpz_sub(burn, paid, stake);
		rc = can_pay(r, c, paid, "hive split", e);
	}
	if (rc == HIVE_OK) {
		jv ids = jv_array();
		for (size_t i = 0; i < k; i++)
			ids = jv_array_append(ids, jv_number((double)(r->nhives + 1 + i)));
		*derived = jv_object_set(*derived, jv_string("hives"), ids);
		*derived = jv_object_set(*derived, jv_string("hvt"), amount_jv(paid));
		*derived = jv_object_set(*derived, jv_string("burn"), amount_jv(burn));
		*derived = jv_object_set(*derived, jv_string("stake"), amount_jv(stake));
	}
	if (rc == HIVE_OK && commit) {
		size_t parent = (size_t)(h - r->hives);
		for (size_t i = 0; i < k; i++) {
			struct hive *nh = new_hive(r, c->actor, r->hives[parent].coin, c->time_ms, c);
			h = &r->hives[parent];   /* new_hive may move the array */
			nh->has_end = h->has_end && h->end_ms > c->time_ms;
			nh->end_ms = nh->has_end ? h->end_ms : 0;
			mpz_set(nh->stake, i == 0 ? h->stake : one_stake);
			push_u32(&nh->from, &nh->nfrom, &nh->cap_from, h->id);
			push_u32(&h->into, &h->ninto, &h->cap_into, nh->id);
			for (size_t j = 0; j < sizes[i]; j++) {
				long mi = registry_meter(r, parts[i][j]);
				struct meter *m = &r->meters[mi];
				m->hive = nh->id;
				m->changed_seq = c->seq;
				push_u32(&nh->meters, &nh->nmeters, &nh->cap, (uint32_t)mi);
			}
		}
		h = &r->hives[parent];
		mpz_set_ui(h->stake, 0);
		end_hive(h, HIVE_SPLIT, c);
		burn_and_stake(r, c, paid, stake);
	}
	for (size_t i = 0; i < k; i++)
		free(parts[i]);
	free(parts);
	free(sizes);
	mpz_clears(paid, one_stake, stake, burn, NULL);
	return rc;
}

static int op_hive_merge(struct registry *r, const event_view *ev, const struct evctx *c, bool commit, jv *derived,
                         struct reg_error *e)
{
	jv list = list_field(ev, "hives");
	int rc = HIVE_OK;
	size_t k = 0;
	uint32_t *ids = NULL;
	mpz_t returned;
	mpz_init(returned);
	if (!jv_is_valid(list))
		rc = missing(e, "hives");
	else if (jv_get_kind(list) != JV_KIND_ARRAY || jv_array_length(jv_copy(list)) < 2 ||
	         jv_array_length(jv_copy(list)) > LIST_MAX)
		rc = fail(e, HIVE_EINPUT, "hive merge: field 'hives' must list at least two hives");
	if (rc == HIVE_OK) {
		k = (size_t)jv_array_length(jv_copy(list));
		ids = xcalloc(k, sizeof *ids);
	}
	for (size_t i = 0; rc == HIVE_OK && i < k; i++) {
		struct hive *h = NULL;
		jv id = jv_array_get(jv_copy(list), (int)i);
		double d = jv_get_kind(id) == JV_KIND_NUMBER ? jv_number_value(id) : -1;
		jv_free(id);
		if (!(d >= 1 && d <= UINT32_MAX && d == (double)(uint32_t)d))
			rc = fail(e, HIVE_EINPUT, "hive merge: field 'hives': item %zu is not a hive number", i + 1);
		else
			rc = owned_hive_id(r, (uint64_t)d, c, "hive merge", &h, e);
		for (size_t j = 0; rc == HIVE_OK && j < i; j++)
			if (ids[j] == h->id)
				rc = fail(e, HIVE_EINPUT, "hive merge: hive %u is listed twice", h->id);
		if (rc == HIVE_OK && i > 0 && h->coin != r->hives[ids[0] - 1].coin)
			rc = fail(e, HIVE_ERULE, "hive merge: hive %u pays in %s, hive %u in %s: merged hives share a stablecoin",
			          h->id, r->coins[h->coin].code, ids[0], r->coins[r->hives[ids[0] - 1].coin].code);
		if (rc == HIVE_OK) {
			ids[i] = h->id;
			if (i > 0)
				mpz_add(returned, returned, h->stake);
		}
	}
	jv_free(list);
	if (rc == HIVE_OK)
		rc = usable_coin(r, r->hives[ids[0] - 1].coin, "hive merge", e);
	if (rc == HIVE_OK) {
		*derived = jv_object_set(*derived, jv_string("hive"), jv_number((double)(r->nhives + 1)));
		*derived = jv_object_set(*derived, jv_string("returned"), amount_jv(returned));
	}
	if (rc == HIVE_OK && commit) {
		struct hive *nh = new_hive(r, c->actor, r->hives[ids[0] - 1].coin, c->time_ms, c);
		for (size_t i = 0; i < k; i++) {
			struct hive *h = &r->hives[ids[i] - 1];
			if (h->has_end && h->end_ms > c->time_ms && (!nh->has_end || h->end_ms < nh->end_ms)) {
				nh->has_end = true;
				nh->end_ms = h->end_ms;
			}
			for (size_t j = 0; j < h->nmeters; j++) {
				struct meter *m = &r->meters[h->meters[j]];
				m->hive = nh->id;
				m->changed_seq = c->seq;
				push_u32(&nh->meters, &nh->nmeters, &nh->cap, h->meters[j]);
			}
			if (i == 0)
				mpz_set(nh->stake, h->stake);
			mpz_set_ui(h->stake, 0);
			push_u32(&nh->from, &nh->nfrom, &nh->cap_from, h->id);
			push_u32(&h->into, &h->ninto, &h->cap_into, nh->id);
			end_hive(h, HIVE_MERGED, c);
		}
		struct account *a = account(r, c->actor);
		mpz_add(a->balance, a->balance, returned);
		mpz_sub(r->staked, r->staked, returned);
	}
	free(ids);
	mpz_clear(returned);
	return rc;
}

/* ------------------------------------------------------- the event table */

struct op {
	const char *name;
	op_fn fn;
	const char *inputs[6];   /* the fields a user gives (NULL-terminated) */
};

static const struct op ops[] = {
	{ "init", op_init, { "hive_cost", "meter_cost" } },
	{ "params", op_params, { "hive_cost", "meter_cost" } },
	{ "hvt_transfer", op_hvt_transfer, { "to", "amount" } },
	{ "meter_add", op_meter_add, { "meter", "owner", "serial", "manufacturer" } },
	{ "meter_status", op_meter_status, { "meter", "status" } },
	{ "coin_add", op_coin_add, { "coin", "code", "decimals" } },
	{ "coin_freeze", op_coin_freeze, { "coin" } },
	{ "hive_create", op_hive_create, { "coin", "meters", "hvt", "start", "end" } },
	{ "hive_freeze", op_hive_freeze, { "hive" } },
	{ "hive_add_meter", op_hive_add_meter, { "hive", "meter", "hvt" } },
	{ "hive_drop_meter", op_hive_drop_meter, { "hive", "meter" } },
	{ "hive_split", op_hive_split, { "hive", "parts" } },
	{ "hive_merge", op_hive_merge, { "hives" } },
};

static const char *const common_fields[] = { "type", "seq", "prev", "time", "actor", "op", "sig" };

static const struct op *find_op(const char *name)
{
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (strcmp(ops[i].name, name) == 0)
			return &ops[i];
	return NULL;
}

int registry_op_known(const char *name)
{
	return find_op(name) != NULL;
}

static bool jv_has_key(jv object, const char *key)
{
	jv v = jv_object_get(jv_copy(object), jv_string(key));
	bool ok = jv_is_valid(v);
	jv_free(v);
	return ok;
}

static bool listed(const char *const *names, size_t n, const char *key)
{
	for (size_t i = 0; i < n && names[i]; i++)
		if (strcmp(names[i], key) == 0)
			return true;
	return false;
}

/* Every member of ev is a common field, an input of op, or a derived field. */
static int only_known_fields(const event_view *ev, const struct op *op, jv derived, struct reg_error *e)
{
	/* The view has no repeated names: every member is known when as many known names are present. */
	size_t known = 0;
	for (size_t i = 0; i < sizeof common_fields / sizeof common_fields[0]; i++)
		known += member(ev, common_fields[i]) != NULL;
	for (size_t i = 0; i < sizeof op->inputs / sizeof op->inputs[0] && op->inputs[i]; i++)
		known += member(ev, op->inputs[i]) != NULL;
	jv_object_foreach(derived, key, value)
	{
		if (!listed(op->inputs, sizeof op->inputs / sizeof op->inputs[0], jv_string_value(key)))
			known += member(ev, jv_string_value(key)) != NULL;
		jv_free(key);
		jv_free(value);
	}
	if (known == ev->v.n)
		return HIVE_OK;
	char key[64];
	for (size_t i = 0; i < ev->v.n; i++) {
		const struct jsonview_member *m = &ev->v.m[i];
		size_t n = m->klen < sizeof key - 1 ? m->klen : sizeof key - 1;
		memcpy(key, m->key, n);
		key[n] = '\0';
		if (m->klen >= sizeof key || (!listed(common_fields, sizeof common_fields / sizeof common_fields[0], key) &&
		                              !listed(op->inputs, sizeof op->inputs / sizeof op->inputs[0], key) &&
		                              !jv_has_key(derived, key)))
			return fail(e, HIVE_EINPUT, "%s: unknown field '%s'", op->name, key);
	}
	HIVE_ASSERT(!"a member neither known nor unknown");
}

/* Each derived field is in ev with exactly the value the rules give, as RFC 8785 writes it. */
static int derived_match(const event_view *ev, const struct op *op, jv derived, struct reg_error *e)
{
	int rc = HIVE_OK;
	struct buf want = BUF_INIT;
	const char *why;
	jv_object_foreach(derived, key, value)
	{
		const struct jsonview_member *m = rc == HIVE_OK ? member(ev, jv_string_value(key)) : NULL;
		if (rc == HIVE_OK && m == NULL)
			rc = fail(e, HIVE_EINPUT, "%s: field '%s' is missing", op->name, jv_string_value(key));
		else if (rc == HIVE_OK) {
			buf_reset(&want);
			HIVE_ASSERT(jcs_append(&want, value, NULL, &why) == 0);
			/* The view's string spans leave the quotes out. */
			const char *got = m->kind == JV_STRING_SPAN ? m->val - 1 : m->val;
			size_t got_len = m->kind == JV_STRING_SPAN ? m->vlen + 2 : m->vlen;
			if (got_len != want.len || memcmp(got, want.data, got_len) != 0)
				rc = fail(e, HIVE_ERULE, "%s: field '%s' should be %s by the rules", op->name,
				          jv_string_value(key), want.data);
		}
		jv_free(key);
		jv_free(value);
	}
	buf_free(&want);
	return rc;
}

/* What the rules derive is theirs to write: an operation may not give it. */
static int not_given(jv fields, const struct op *op, jv derived, struct reg_error *e)
{
	int rc = HIVE_OK;
	jv_object_foreach(derived, key, value)
	{
		if (rc == HIVE_OK && jv_has_key(fields, jv_string_value(key)))
			rc = fail(e, HIVE_EINPUT, "%s: field '%s' is derived by the rules, not given", op->name,
			          jv_string_value(key));
		jv_free(key);
		jv_free(value);
	}
	return rc;
}

static bool string_is(const struct jsonview_member *m, const char *s)
{
	return m != NULL && m->kind == JV_STRING_SPAN && !m->escaped && m->vlen == strlen(s) &&
	       memcmp(m->val, s, m->vlen) == 0;
}

static int chain_fields(struct registry *r, const event_view *ev, struct evctx *c, const struct op **op,
                        struct reg_error *e)
{
	if (!string_is(member(ev, "type"), "beekeeper_event"))
		return fail(e, HIVE_EINPUT, "not a beekeeper_event");
	int rc = get_uint(ev, "seq", UINT64_C(1) << 53, &c->seq, e);
	if (rc != HIVE_OK)
		return rc;
	if (c->seq != r->seq)
		return fail(e, HIVE_EAUTH, "seq is %llu where %llu comes next: an event is missing, repeated or moved",
		            (unsigned long long)c->seq, (unsigned long long)r->seq);
	const struct jsonview_member *prev = member(ev, "prev");
	uint8_t h[32];
	if (prev == NULL || prev->kind != JV_STRING_SPAN || prev->vlen != 66 || memcmp(prev->val, "0x", 2) != 0 ||
	    hex_decode(prev->val, prev->vlen, h, 32) != 0)
		return fail(e, HIVE_EINPUT, "field 'prev' is not 0x and 64 hex digits");
	if (memcmp(h, r->head, 32) != 0)
		return fail(e, HIVE_EAUTH, "prev does not match the keccak256 of the line before: the chain is broken");
	if ((rc = get_time(ev, "time", &c->time_ms, e)) != HIVE_OK)
		return rc;
	if (c->seq > 0 && c->time_ms < r->last_ms)
		return fail(e, HIVE_EAUTH, "time goes back before the previous event's");
	if ((rc = get_addr(ev, "actor", c->actor, e)) != HIVE_OK)
		return rc;
	const struct jsonview_member *name = member(ev, "op");
	char opname[32];
	*op = NULL;
	if (name != NULL && name->kind == JV_STRING_SPAN && !name->escaped && name->vlen < sizeof opname) {
		memcpy(opname, name->val, name->vlen);
		opname[name->vlen] = '\0';
		*op = find_op(opname);
	}
	if (*op == NULL)
		return name != NULL && name->kind == JV_STRING_SPAN
		           ? fail(e, HIVE_EINPUT, "unknown operation '%.*s'", (int)(name->vlen > 40 ? 40 : name->vlen),
		                  name->val)
		           : fail(e, HIVE_EINPUT, "field 'op' is missing or not a string");
	if (c->seq == 0 && strcmp((*op)->name, "init") != 0)
		return fail(e, HIVE_ERULE, "the first event of a ledger must be init");
	return HIVE_OK;
}

/* The line is the canonical form of its object and is signed by its actor. */
static int check_signature(struct registry *r, const char *line, size_t len, const struct evctx *c,
                           struct reg_error *e)
{
	struct buf canon = BUF_INIT;
	const char *why = NULL;
	int rc = HIVE_OK;
	jv ev = jv_parse_sized(line, (int)len);
	if (!jv_is_valid(ev) || jcs_append(&canon, ev, NULL, &why) != 0)
		rc = fail(e, HIVE_EINPUT, "cannot canonicalise the line");
	else if (canon.len != len || memcmp(canon.data, line, len) != 0)
		rc = fail(e, HIVE_EAUTH, "the line is not in RFC 8785 canonical form (edited?)");
	buf_free(&canon);
	uint8_t signer[20];
	enum recsig_status st = rc == HIVE_OK ? recsig_recover(&r->rs, signer, ev, &why) : RECSIG_OK;
	jv_free(ev);
	if (rc != HIVE_OK)
		return rc;
	if (st != RECSIG_OK)
		return fail(e, HIVE_EAUTH, "signature: %s", why);
	if (memcmp(signer, c->actor, 20) != 0) {
		char s[ETH_ADDR_STRLEN + 1];
		return fail(e, HIVE_EAUTH, "signed by %s, not by its actor %s", addr_str(s, signer), actor_name(c));
	}
	return HIVE_OK;
}

int registry_apply_line(struct registry *r, const char *line, size_t len, unsigned flags, int64_t stop_ms,
                        struct reg_error *e)
{
	return registry_apply_hashed(r, line, len, NULL, flags, stop_ms, e);
}

int registry_apply_hashed(struct registry *r, const char *line, size_t len, const uint8_t hash[32], unsigned flags,
                          int64_t stop_ms, struct reg_error *e)
{
	event_view ev;
	const char *why;
	if (line == NULL)
		return fail(e, HIVE_EINPUT, "the line is longer than any event");
	if (jsonview_parse(&ev.v, line, len, &why) != 0)
		return fail(e, HIVE_EINPUT, "not a JSON event: %s", why);
	ev.checksums = (flags & REG_CHECK_SIG) != 0;   /* made events are checked in registry_append */
	struct evctx c;
	memset(&c, 0, sizeof c);
	const struct op *op = NULL;
	jv derived = jv_object();
	int rc = chain_fields(r, &ev, &c, &op, e);
	if (rc == HIVE_OK && c.time_ms > stop_ms)
		rc = REG_STOPPED;
	if (rc == HIVE_OK && (flags & REG_CHECK_SIG))
		rc = check_signature(r, line, len, &c, e);
	if (rc == HIVE_OK)
		rc = op->fn(r, &ev, &c, false, &derived, e);
	if (rc == HIVE_OK)
		rc = only_known_fields(&ev, op, derived, e);
	if (rc == HIVE_OK)
		rc = derived_match(&ev, op, derived, e);
	if (rc == HIVE_OK) {
		jv_free(derived);
		derived = jv_object();
		rc = op->fn(r, &ev, &c, true, &derived, e);
		HIVE_ASSERT(rc == HIVE_OK);   /* the same checks passed a moment ago */
		r->seq++;
		if (hash != NULL)
			memcpy(r->head, hash, 32);
		else
			keccak256(line, len, r->head);
		r->last_ms = c.time_ms;
	}
	jv_free(derived);
	return rc;
}

/* The signer's address; the last one is remembered by a digest of its key, as deriving it costs a point multiplication. */
static int signer_address(struct registry *r, const uint8_t seckey[32], uint8_t addr[20])
{
	uint8_t digest[32];
	keccak256(seckey, 32, digest);
	if (r->signer_known && memcmp(digest, r->signer_digest, 32) == 0) {
		memcpy(addr, r->signer, 20);
		return 0;
	}
	if (eth_seckey_address(addr, seckey) != 0)
		return -1;
	memcpy(r->signer_digest, digest, 32);
	memcpy(r->signer, addr, 20);
	r->signer_known = true;
	return 0;
}

int registry_append(struct registry *r, jv op_fields, const uint8_t seckey[32], int64_t time_ms, struct buf *out,
                    struct reg_error *e)
{
	struct evctx c;
	memset(&c, 0, sizeof c);
	c.seq = r->seq;
	c.time_ms = r->seq > 0 && time_ms < r->last_ms ? r->last_ms : time_ms;
	if (signer_address(r, seckey, c.actor) != 0) {
		jv_free(op_fields);
		return fail(e, HIVE_EINPUT, "invalid secret key");
	}
	addr_str(c.actor_s, c.actor);

	jv name = jv_object_get(jv_copy(op_fields), jv_string("op"));
	const struct op *op = jv_get_kind(name) == JV_KIND_STRING ? find_op(jv_string_value(name)) : NULL;
	jv_free(name);
	HIVE_ASSERT(op != NULL);
	if (c.seq == 0 && op->fn != op_init) {
		jv_free(op_fields);
		return fail(e, HIVE_ERULE, "the ledger has no init event");
	}
	char prev[2 + 64 + 1] = "0x";
	hex_encode(r->head, 32, prev + 2);
	jv op_fields_copy = jv_copy(op_fields);
	jv ev = op_fields;
	ev = jv_object_set(ev, jv_string("type"), jv_string("beekeeper_event"));
	ev = jv_object_set(ev, jv_string("seq"), jv_number((double)c.seq));
	ev = jv_object_set(ev, jv_string("prev"), jv_string(prev));
	ev = jv_object_set(ev, jv_string("time"), jvb_time(c.time_ms));
	ev = jv_object_set(ev, jv_string("actor"), jv_string(c.actor_s));

	/* The rules read the event as replay will: through a view of its canonical text. */
	struct buf text = BUF_INIT;
	event_view view;
	const char *why = NULL;
	jv derived = jv_object();
	int rc = HIVE_OK;
	view.checksums = true;
	if (jcs_append(&text, ev, NULL, &why) != 0 || jsonview_parse(&view.v, text.data, text.len, &why) != 0)
		rc = fail(e, HIVE_EINPUT, "%s: the operation is not a valid event: %s", op->name, why);
	if (rc == HIVE_OK)
		rc = op->fn(r, &view, &c, false, &derived, e);
	if (rc == HIVE_OK)
		rc = only_known_fields(&view, op, derived, e);
	if (rc == HIVE_OK)
		rc = not_given(op_fields_copy, op, derived, e);
	if (rc == HIVE_OK) {
		ev = jv_object_merge(ev, derived);
		derived = jv_invalid();
		size_t start = out->len;
		if (recsig_sign(&r->rs, out, ev, seckey, &why) != 0)
			rc = fail(e, HIVE_EINPUT, "cannot sign the event: %s", why);
		else {
			rc = registry_apply_line(r, out->data + start, out->len - start, 0, INT64_MAX, e);
			if (rc == HIVE_OK)
				buf_putc(out, '\n');
			else
				out->len = start;
		}
	}
	buf_free(&text);
	jv_free(derived);
	jv_free(ev);
	jv_free(op_fields_copy);
	return rc;
}

/* --------------------------------------------------------------- queries */

static jv ids_jv(const uint32_t *ids, size_t n)
{
	jv a = jv_array();
	for (size_t i = 0; i < n; i++)
		a = jv_array_append(a, jv_number(ids[i]));
	return a;
}

static jv hive_or_null(uint32_t id)
{
	return id ? jv_number(id) : jv_null();
}

jv registry_meter_record(const struct registry *r, size_t i)
{
	const struct meter *m = &r->meters[i];
	jv o = jv_object();
	o = jv_object_set(o, jv_string("type"), jv_string("meter"));
	o = jv_object_set(o, jv_string("meter"), jvb_address(m->addr));
	o = jv_object_set(o, jv_string("owner"), jvb_address(m->owner));
	o = jv_object_set(o, jv_string("serial"), jv_string(m->serial));
	o = jv_object_set(o, jv_string("manufacturer"), jv_string(m->manufacturer));
	o = jv_object_set(o, jv_string("status"), jv_string(meter_status_name(m->status)));
	o = jv_object_set(o, jv_string("hive"), hive_or_null(m->hive));
	o = jv_object_set(o, jv_string("stake"), amount_jv(m->stake));
	o = jv_object_set(o, jv_string("added_seq"), jv_number((double)m->added_seq));
	o = jv_object_set(o, jv_string("changed_seq"), jv_number((double)m->changed_seq));
	return o;
}

jv registry_coin_record(const struct registry *r, size_t i)
{
	const struct coin *k = &r->coins[i];
	jv o = jv_object();
	o = jv_object_set(o, jv_string("type"), jv_string("coin"));
	o = jv_object_set(o, jv_string("coin"), jvb_address(k->addr));
	o = jv_object_set(o, jv_string("code"), jv_string(k->code));
	o = jv_object_set(o, jv_string("decimals"), jv_number(k->decimals));
	o = jv_object_set(o, jv_string("frozen"), jv_bool(k->frozen));
	o = jv_object_set(o, jv_string("added_seq"), jv_number((double)k->added_seq));
	o = jv_object_set(o, jv_string("changed_seq"), jv_number((double)k->changed_seq));
	return o;
}

static int cmp_addr(const void *a, const void *b, void *arg)
{
	const struct registry *r = arg;
	return memcmp(r->meters[*(const uint32_t *)a].addr, r->meters[*(const uint32_t *)b].addr, 20);
}

/* A hive's members sorted by address (a new array: free it). */
static uint32_t *sorted_members(const struct registry *r, const struct hive *h)
{
	uint32_t *v = xcalloc(h->nmeters ? h->nmeters : 1, sizeof *v);
	memcpy(v, h->meters, h->nmeters * sizeof *v);
	qsort_r(v, h->nmeters, sizeof *v, cmp_addr, (void *)r);
	return v;
}

jv registry_hive_record(const struct registry *r, size_t i)
{
	const struct hive *h = &r->hives[i];
	mpz_t meter_stake;
	mpz_init(meter_stake);
	jv meters = jv_array();
	uint32_t *sorted = sorted_members(r, h);
	for (size_t k = 0; k < h->nmeters; k++) {
		meters = jv_array_append(meters, jvb_address(r->meters[sorted[k]].addr));
		if (r->meters[sorted[k]].hive == h->id)
			mpz_add(meter_stake, meter_stake, r->meters[sorted[k]].stake);
	}
	free(sorted);
	jv o = jv_object();
	o = jv_object_set(o, jv_string("type"), jv_string("hive"));
	o = jv_object_set(o, jv_string("hive"), jv_number(h->id));
	o = jv_object_set(o, jv_string("owner"), jvb_address(h->owner));
	o = jv_object_set(o, jv_string("coin"), jvb_address(r->coins[h->coin].addr));
	o = jv_object_set(o, jv_string("status"), jv_string(hive_status_name(h->status)));
	o = jv_object_set(o, jv_string("start"), jvb_time(h->start_ms));
	o = jv_object_set(o, jv_string("end"), h->has_end ? jvb_time(h->end_ms) : jv_null());
	o = jv_object_set(o, jv_string("meters"), meters);
	o = jv_object_set(o, jv_string("stake"), amount_jv(h->stake));
	o = jv_object_set(o, jv_string("meter_stake"), amount_jv(meter_stake));
	o = jv_object_set(o, jv_string("from"), ids_jv(h->from, h->nfrom));
	o = jv_object_set(o, jv_string("into"), ids_jv(h->into, h->ninto));
	o = jv_object_set(o, jv_string("created_seq"), jv_number((double)h->created_seq));
	o = jv_object_set(o, jv_string("changed_seq"), jv_number((double)h->changed_seq));
	mpz_clear(meter_stake);
	return o;
}

jv registry_account_record(const struct registry *r, const uint8_t addr[20])
{
	mpz_t b;
	mpz_init(b);
	balance_of(r, addr, b);
	jv o = jv_object();
	o = jv_object_set(o, jv_string("type"), jv_string("hvt_balance"));
	o = jv_object_set(o, jv_string("address"), jvb_address(addr));
	o = jv_object_set(o, jv_string("balance"), amount_jv(b));
	mpz_clear(b);
	return o;
}

static void circulating(const struct registry *r, mpz_t out)
{
	mpz_set_ui(out, 0);
	for (size_t i = 0; i < r->naccounts; i++)
		mpz_add(out, out, r->accounts[i].balance);
}

jv registry_supply_record(const struct registry *r)
{
	mpz_t c;
	mpz_init(c);
	circulating(r, c);
	jv o = jv_object();
	o = jv_object_set(o, jv_string("type"), jv_string("hvt_supply"));
	o = jv_object_set(o, jv_string("supply"), amount_jv(r->supply));
	o = jv_object_set(o, jv_string("circulating"), amount_jv(c));
	o = jv_object_set(o, jv_string("staked"), amount_jv(r->staked));
	o = jv_object_set(o, jv_string("burned"), amount_jv(r->burned));
	o = jv_object_set(o, jv_string("conserved"), jv_bool(registry_conserved(r)));
	mpz_clear(c);
	return o;
}

static jv head_jv(const struct registry *r)
{
	char h[2 + 64 + 1] = "0x";
	hex_encode(r->head, 32, h + 2);
	return jv_string(h);
}

jv registry_params_record(const struct registry *r)
{
	jv o = jv_object();
	o = jv_object_set(o, jv_string("type"), jv_string("beekeeper_params"));
	o = jv_object_set(o, jv_string("admin"), jvb_address(r->admin));
	o = jv_object_set(o, jv_string("hive_cost"), amount_jv(r->hive_cost));
	o = jv_object_set(o, jv_string("meter_cost"), amount_jv(r->meter_cost));
	o = jv_object_set(o, jv_string("events"), jv_number((double)r->seq));
	o = jv_object_set(o, jv_string("head"), head_jv(r));
	o = jv_object_set(o, jv_string("time"), r->seq ? jvb_time(r->last_ms) : jv_null());
	return o;
}

jv registry_export(const struct registry *r, size_t i)
{
	const struct hive *h = &r->hives[i];
	const struct coin *k = &r->coins[h->coin];
	jv out = jv_array();
	jv o = jv_object();
	o = jv_object_set(o, jv_string("type"), jv_string("hive_export"));
	o = jv_object_set(o, jv_string("hive"), jv_number(h->id));
	o = jv_object_set(o, jv_string("owner"), jvb_address(h->owner));
	o = jv_object_set(o, jv_string("status"), jv_string(hive_status_name(h->status)));
	o = jv_object_set(o, jv_string("start"), jvb_time(h->start_ms));
	o = jv_object_set(o, jv_string("end"), h->has_end ? jvb_time(h->end_ms) : jv_null());
	o = jv_object_set(o, jv_string("coin"), jvb_address(k->addr));
	o = jv_object_set(o, jv_string("coin_code"), jv_string(k->code));
	o = jv_object_set(o, jv_string("coin_decimals"), jv_number(k->decimals));
	o = jv_object_set(o, jv_string("coin_frozen"), jv_bool(k->frozen));
	o = jv_object_set(o, jv_string("members"), jv_number((double)h->nmeters));
	o = jv_object_set(o, jv_string("ledger_events"), jv_number((double)r->seq));
	o = jv_object_set(o, jv_string("ledger_head"), head_jv(r));
	out = jv_array_append(out, o);
	uint32_t *sorted = sorted_members(r, h);
	for (size_t j = 0; j < h->nmeters; j++) {
		const struct meter *m = &r->meters[sorted[j]];
		jv mr = jv_object();
		mr = jv_object_set(mr, jv_string("type"), jv_string("member"));
		mr = jv_object_set(mr, jv_string("hive"), jv_number(h->id));
		mr = jv_object_set(mr, jv_string("meter"), jvb_address(m->addr));
		mr = jv_object_set(mr, jv_string("owner"), jvb_address(m->owner));
		mr = jv_object_set(mr, jv_string("serial"), jv_string(m->serial));
		mr = jv_object_set(mr, jv_string("manufacturer"), jv_string(m->manufacturer));
		mr = jv_object_set(mr, jv_string("status"), jv_string(meter_status_name(m->status)));
		out = jv_array_append(out, mr);
	}
	free(sorted);
	return out;
}

int registry_conserved(const struct registry *r)
{
	mpz_t sum, held;
	mpz_inits(sum, held, NULL);
	circulating(r, sum);
	mpz_add(sum, sum, r->staked);
	mpz_add(sum, sum, r->burned);
	for (size_t i = 0; i < r->nhives; i++)
		mpz_add(held, held, r->hives[i].stake);
	for (size_t i = 0; i < r->nmeters; i++)
		mpz_add(held, held, r->meters[i].stake);
	int ok = mpz_cmp(sum, r->supply) == 0 && mpz_cmp(held, r->staked) == 0;
	mpz_clears(sum, held, NULL);
	return ok;
}
