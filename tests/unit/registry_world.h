/*
 * registry_world.h — a small Beekeeper registry for the unit tests and the
 * fuzz target: an admin, two owners with HVT, two stablecoins and eight
 * certified meters, built through registry_append like any ledger.
 */
#ifndef HIVE_REGISTRY_WORLD_H
#define HIVE_REGISTRY_WORLD_H

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "eth.h"
#include "registry.h"

#define WORLD_KEYS 3       /* 0 admin, 1 owner, 2 other */
#define WORLD_METERS 8
#define WORLD_T0 1793491200000LL   /* 2026-11-01T00:00:00Z */

struct world {
	uint8_t key[WORLD_KEYS][32];
	char addr[WORLD_KEYS][ETH_ADDR_STRLEN + 1];
	char meter[WORLD_METERS][ETH_ADDR_STRLEN + 1];
	char coin[2][ETH_ADDR_STRLEN + 1];
	struct buf log;            /* every line appended, in order */
};

/* Appends op (consumed) as key k; returns the exit code. */
static inline int world_do(struct world *w, struct registry *r, int k, jv op)
{
	struct reg_error e;
	return registry_append(r, op, w->key[k], WORLD_T0, &w->log, &e);
}

static inline jv world_op(const char *name)
{
	return jv_object_set(jv_object(), jv_string("op"), jv_string(name));
}

static inline jv with(jv o, const char *k, jv v)
{
	return jv_object_set(o, jv_string(k), v);
}

/* Builds the world into r (registry_init'ed); returns the number of failed steps (0). */
static inline int world_build(struct world *w, struct registry *r)
{
	int bad = 0;
	memset(w, 0, sizeof *w);
	for (int k = 0; k < WORLD_KEYS; k++) {
		uint8_t a[20];
		memset(w->key[k], 0, 32);
		w->key[k][31] = (uint8_t)(k + 1);
		w->key[k][0] = 0x11;
		eth_seckey_address(a, w->key[k]);
		eth_address_format(w->addr[k], a);
	}
	for (int i = 0; i < WORLD_METERS; i++) {
		uint8_t a[20];
		memset(a, 0xa0 + i, 20);
		eth_address_format(w->meter[i], a);
	}
	for (int i = 0; i < 2; i++) {
		uint8_t a[20];
		memset(a, 0xc0 + i, 20);
		eth_address_format(w->coin[i], a);
	}
	bad += world_do(w, r, 0, world_op("init")) != 0;
	for (int k = 1; k < WORLD_KEYS; k++)
		bad += world_do(w, r, 0, with(with(world_op("hvt_transfer"), "to", jv_string(w->addr[k])), "amount",
		                              jv_string(k == 1 ? "10000000000000000000000" : "2000000000000000000000"))) != 0;
	for (int i = 0; i < 2; i++)
		bad += world_do(w, r, 0, with(with(with(world_op("coin_add"), "coin", jv_string(w->coin[i])), "code",
		                                   jv_string(i ? "EURS" : "USDC")), "decimals", jv_number(i ? 2 : 6))) != 0;
	for (int i = 0; i < WORLD_METERS; i++) {
		char serial[16];
		snprintf(serial, sizeof serial, "SN-%d", i);
		bad += world_do(w, r, 1, with(with(with(with(world_op("meter_add"), "meter", jv_string(w->meter[i])), "owner",
		                                        jv_string(w->addr[1])), "serial", jv_string(serial)),
		                              "manufacturer", jv_string("Eastron"))) != 0;
		bad += world_do(w, r, 0, with(with(world_op("meter_status"), "meter", jv_string(w->meter[i])), "status",
		                              jv_string("certified"))) != 0;
	}
	return bad;
}

#endif
