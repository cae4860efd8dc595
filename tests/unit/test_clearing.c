/*
 * test_clearing — signed intervals of a hive's meters into clearing records:
 * what is refused and why, slots in time order, MARKET.md's deficit slot
 * through the whole path, missing Workers as zero or the slot skipped.
 */
#include <stdlib.h>

#include "check.h"
#include "clearing.h"
#include "eth.h"
#include "timeutil.h"


static uint8_t key[4][32];
static uint8_t addr[4][20];
static char addr_s[4][ETH_ADDR_STRLEN + 1];
static int64_t day0;

static int constant_prices(void *arg, int64_t slot_ms, mpz_t buy, mpz_t sell)
{
	(void)arg;
	if (slot_ms >= day0 + 86400000)
		return -1;   /* this tariff ends with the day */
	mpz_set_ui(buy, 250000);
	mpz_set_ui(sell, 80000);
	return 0;
}

/* An interval of meter k, signed by signer (or unsigned when signer < 0). */
static jv interval(int k, int signer, int64_t start, int64_t seconds, int64_t wh, int complete)
{
	char t[RFC3339_SIZE];
	rfc3339_format(t, start);
	jv o = jv_object();
	o = jv_object_set(o, jv_string("type"), jv_string("interval"));
	o = jv_object_set(o, jv_string("meter"), jv_string(addr_s[k]));
	o = jv_object_set(o, jv_string("start"), jv_string(t));
	o = jv_object_set(o, jv_string("seconds"), jv_number((double)seconds));
	o = jv_object_set(o, jv_string("energy_wh"), jv_number((double)wh));
	o = jv_object_set(o, jv_string("complete"), jv_bool(complete));
	if (signer < 0)
		return o;
	struct recsig rs;
	struct buf b = BUF_INIT;
	const char *why;
	recsig_init(&rs);
	recsig_sign(&rs, &b, o, key[signer], &why);
	jv_free(o);
	jv s = jv_parse_sized(b.data, (int)b.len);
	buf_free(&b);
	recsig_free(&rs);
	return s;
}

struct sink {
	jv all;
};

static void collect(void *arg, jv rec)
{
	struct sink *s = arg;
	s->all = jv_array_append(s->all, rec);
}

static const char *add(struct clearing *c, jv rec)
{
	const char *why = NULL;
	int rc = clearing_add(c, rec, &why);
	jv_free(rec);
	return rc == 0 ? "kept" : why;
}

/* CHECK_STREQ evaluates its arguments twice: take the record once. */
#define EXPECT_ADD(rec, want) \
	do { \
		const char *got_ = add(&c, rec); \
		CHECK_STREQ(got_, want); \
	} while (0)

static const char *field_str(jv rec, const char *k)
{
	static char out[128];
	jv v = jv_object_get(jv_copy(rec), jv_string(k));
	snprintf(out, sizeof out, "%s", jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : "?");
	jv_free(v);
	return out;
}

int main(void)
{
	const char *why;
	rfc3339_parse(&day0, "2026-06-21T00:00:00Z", 20, &why);
	for (int k = 0; k < 4; k++) {
		memset(key[k], 0x21 + k, 32);
		eth_seckey_address(addr[k], key[k]);
		eth_address_format(addr_s[k], addr[k]);
	}
	struct clearing_config cfg = { 7, 900000, INT64_MIN, INT64_MAX, { RULE_DISCOUNT, { 0, FEE_ON_SURPLUS }, { 0, FEE_ON_SURPLUS } },
		                       MISSING_AS_ZERO, constant_prices, NULL, NULL };
	struct clearing c;
	clearing_init(&c, &cfg, (const uint8_t(*)[20])addr, 3);   /* meter 3 is not a member */

	/* Slot 1 (00:15) first, then slot 0: slots come out in time order anyway. */
	int64_t s0 = day0, s1 = day0 + 900000;
	const int64_t e[3] = { 2000, 1000, -1500 };
	for (int k = 0; k < 3; k++)
		EXPECT_ADD(interval(k, k, s1, 900, e[k], 1), "kept");
	EXPECT_ADD(interval(0, 0, s0, 900, 100, 1), "out of order: before an interval already taken from this meter");
	EXPECT_ADD(interval(1, 1, s0, 900, 100, 1), "out of order: before an interval already taken from this meter");
	EXPECT_ADD(interval(3, 3, s1, 900, 5, 1), "the meter is not a member of the hive");
	EXPECT_ADD(interval(0, -1, s1 + 900000, 900, 5, 1), "unsigned");
	EXPECT_ADD(interval(0, 1, s1 + 900000, 900, 5, 1), "signed by another key than its meter's");
	EXPECT_ADD(interval(0, 0, s1, 900, 7, 1), "a fork: a second, different interval for the same meter and slot (the first is kept)");
	EXPECT_ADD(interval(0, 0, s1 + 60000, 900, 7, 1), "not one whole slot (its start and length do not match the step)");
	EXPECT_ADD(interval(0, 0, s1 + 900000, 600, 7, 1), "not one whole slot (its start and length do not match the step)");
	EXPECT_ADD(interval(2, 2, s1 + 900000, 900, 7, 0), "incomplete: the meter's data has a gap in this slot");
	/* A tampered value breaks the signature: it recovers some other key. */
	jv t = interval(1, 1, s1 + 900000, 900, 7, 1);
	t = jv_object_set(t, jv_string("energy_wh"), jv_number(8));
	EXPECT_ADD(t, "signed by another key than its meter's");

	struct sink sink = { jv_array() };
	int64_t bad_slot;
	CHECK_INTEQ(clearing_finish(&c, collect, &sink, &bad_slot, &why), 0);
	/* Slot 0 (refused records: incomplete, all missing), slot 1 (cleared), slot 2 (made by refused records). */
	jv first = jv_array_get(jv_copy(sink.all), 0);
	CHECK_STREQ(field_str(first, "type"), "clearing_slot");
	CHECK_STREQ(field_str(first, "slot"), "2026-06-21T00:00:00Z");
	jv complete = jv_object_get(jv_copy(first), jv_string("complete"));
	CHECK(jv_get_kind(complete) == JV_KIND_FALSE);
	jv_free(complete);
	jv_free(first);
	/* Slot 1: its clearing_slot record and three clearing records with MARKET.md's deficit-slot answers. */
	int found = 0;
	jv_array_foreach(sink.all, i, rec)
	{
		if (strcmp(field_str(rec, "slot"), "2026-06-21T00:15:00Z") == 0) {
			if (strcmp(field_str(rec, "type"), "clearing_slot") == 0) {
				CHECK_STREQ(field_str(rec, "surplus_mbu"), "255000000");
				CHECK_STREQ(field_str(rec, "hive_cost_mbu"), "375000000");
				CHECK_STREQ(field_str(rec, "price_shared"), "410000/3");
				found++;
			} else {
				char worker[ETH_ADDR_STRLEN + 1];
				snprintf(worker, sizeof worker, "%s", field_str(rec, "worker"));
				const char *pay = field_str(rec, "payment_mbu");
				if (strcmp(worker, addr_s[2]) == 0)
					CHECK_STREQ(pay, "-205000000");
				else
					CHECK(strcmp(pay, "386666667") == 0 || strcmp(pay, "386666666") == 0 ||
					      strcmp(pay, "193333333") == 0 || strcmp(pay, "193333334") == 0);
				found++;
			}
		}
		(void)i;
		jv_free(rec);
	}
	CHECK_INTEQ(found, 4);
	CHECK_INTEQ(jv_array_length(jv_copy(sink.all)), 12);   /* three slots of one slot record and three Workers */
	jv_free(sink.all);
	clearing_free(&c);

	/* MISSING_SKIP: an incomplete slot gets its slot record only; a slot without prices stops everything. */
	cfg.missing = MISSING_SKIP;
	clearing_init(&c, &cfg, (const uint8_t(*)[20])addr, 3);
	EXPECT_ADD(interval(0, 0, s0, 900, 10, 1), "kept");
	sink.all = jv_array();
	CHECK_INTEQ(clearing_finish(&c, collect, &sink, &bad_slot, &why), 0);
	CHECK_INTEQ(jv_array_length(jv_copy(sink.all)), 1);
	jv_free(sink.all);
	EXPECT_ADD(interval(1, 1, day0 + 86400000, 900, 10, 1), "kept");
	sink.all = jv_array();
	CHECK_INTEQ(clearing_finish(&c, collect, &sink, &bad_slot, &why), -1);
	CHECK(bad_slot == day0 + 86400000);
	CHECK_INTEQ(jv_array_length(jv_copy(sink.all)), 0);
	jv_free(sink.all);
	clearing_free(&c);
	return check_done("test_clearing");
}
