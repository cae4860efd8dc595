/*
 * keymap.c — open-addressing hash map from byte strings to indices (see keymap.h).
 */
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "keymap.h"

/* FNV-1a: keys are short (20-byte addresses, serial numbers). */
static uint64_t hash_bytes(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static struct keymap_slot *find(const struct keymap *m, const void *key, size_t len, uint64_t h)
{
	size_t mask = m->cap - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		struct keymap_slot *s = &m->slots[i];
		if (s->key == NULL || (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0))
			return s;
	}
}

int keymap_get(const struct keymap *m, const void *key, size_t len, uint32_t *value)
{
	if (m->cap == 0)
		return 0;
	const struct keymap_slot *s = find(m, key, len, hash_bytes(key, len));
	if (s->key == NULL)
		return 0;
	*value = s->value;
	return 1;
}

static void grow(struct keymap *m)
{
	struct keymap old = *m;
	m->cap = old.cap ? old.cap * 2 : 64;
	m->slots = xcalloc(m->cap, sizeof *m->slots);
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].key != NULL)
			*find(m, old.slots[i].key, old.slots[i].len, old.slots[i].hash) = old.slots[i];
	free(old.slots);
}

void keymap_put(struct keymap *m, const void *key, size_t len, uint32_t value)
{
	if ((m->count + 1) * 4 > m->cap * 3)   /* keep the load below 3/4 */
		grow(m);
	uint64_t h = hash_bytes(key, len);
	struct keymap_slot *s = find(m, key, len, h);
	if (s->key == NULL) {
		s->key = xmalloc(len ? len : 1);
		memcpy(s->key, key, len);
		s->len = len;
		s->hash = h;
		m->count++;
	}
	s->value = value;
}

void keymap_free(struct keymap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	m->slots = NULL;
	m->cap = m->count = 0;
}
