/*
 * keymap.h — a hash map from byte strings (addresses, serial numbers) to
 * 32-bit indices, with open addressing. Lookups stay O(1) so replaying a
 * ledger of a million events stays linear.
 *
 * Ownership: the map copies every key it stores; keymap_free releases them.
 */
#ifndef HIVE_KEYMAP_H
#define HIVE_KEYMAP_H

#include <stddef.h>
#include <stdint.h>

struct keymap_slot {
	char *key;        /* NULL when the slot is empty */
	size_t len;
	uint64_t hash;
	uint32_t value;
};

struct keymap {
	struct keymap_slot *slots;
	size_t cap;       /* a power of two, or 0 */
	size_t count;
};

#define KEYMAP_INIT { NULL, 0, 0 }

/* Returns 1 and sets *value when key is present, else 0. */
int keymap_get(const struct keymap *m, const void *key, size_t len, uint32_t *value);
/* Inserts key, or replaces its value. */
void keymap_put(struct keymap *m, const void *key, size_t len, uint32_t value);
void keymap_free(struct keymap *m);

#endif
