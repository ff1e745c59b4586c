/*
 * idset.c: a set of Notion page ids as 16-byte keys in an open-addressing
 * table. The dry run cannot record scan marks in the store (it writes
 * nothing), so it remembers the ids a scan saw here: 100,000 rows take
 * about 3.5 MB.
 */
#include "sync/sync_internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

void idset_init(struct idset *set)
{
	memset(set, 0, sizeof(*set));
}

void idset_release(struct idset *set)
{
	free(set->keys);
	free(set->used);
	idset_init(set);
}

static int hexval(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

/* 16-byte key of a Notion id; -1 when it is not one. */
static int id_key(const char *page_id, unsigned char key[16])
{
	char hex[33];

	if (id_compact(page_id, hex))
		return -1;
	for (int i = 0; i < 16; i++)
		key[i] = (unsigned char)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
	return 0;
}

static size_t slot_of(const struct idset *set, const unsigned char key[16])
{
	uint64_t h;

	memcpy(&h, key, sizeof(h)); /* UUIDs are random enough */
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return (size_t)(h ^ (h >> 32)) & (set->cap - 1);
}

static void insert_key(struct idset *set, const unsigned char key[16])
{
	size_t i = slot_of(set, key);

	while (set->used[i]) {
		if (!memcmp(set->keys[i], key, 16))
			return;
		i = (i + 1) & (set->cap - 1);
	}
	set->used[i] = 1;
	memcpy(set->keys[i], key, 16);
	set->n++;
}

static void grow(struct idset *set)
{
	struct idset bigger;

	idset_init(&bigger);
	bigger.cap = set->cap ? set->cap * 2 : 1024;
	bigger.keys = xcalloc(bigger.cap, 16);
	bigger.used = xcalloc(bigger.cap, 1);
	for (size_t i = 0; i < set->cap; i++)
		if (set->used[i])
			insert_key(&bigger, set->keys[i]);
	idset_release(set);
	*set = bigger;
}

void idset_add(struct idset *set, const char *page_id)
{
	unsigned char key[16];

	if (id_key(page_id, key))
		return;
	if ((set->n + 1) * 2 > set->cap)
		grow(set);
	insert_key(set, key);
}

int idset_has(const struct idset *set, const char *page_id)
{
	unsigned char key[16];
	size_t i;

	if (!set->cap || id_key(page_id, key))
		return 0;
	for (i = slot_of(set, key); set->used[i]; i = (i + 1) & (set->cap - 1))
		if (!memcmp(set->keys[i], key, 16))
			return 1;
	return 0;
}
