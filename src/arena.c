/* arena: see include/arena.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "banned.h"

struct arena_block {
	struct arena_block *next;
	size_t used, size;
	max_align_t data[];
};

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_block *b = a->head;
	size_t size;
	void *p;

	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (b == NULL || b->size - b->used < n) {
		size = a->block ? a->block : ARENA_BLOCK;
		if (n > size)
			size = n;
		b = malloc(sizeof(*b) + size);
		if (b == NULL)
			return NULL;
		b->size = size;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	p = (char *)b->data + b->used;
	b->used += n;
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

void
arena_release(struct arena *a)
{
	struct arena_block *b, *next;

	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
}

void
arena_free(struct arena *a)
{
	if (a != NULL)
		arena_release(a);
	free(a);
}

/* Is p inside one of a's blocks? */
int
arena_owns(const struct arena *a, const void *p)
{
	const struct arena_block *b;
	uintptr_t u = (uintptr_t)p, lo;

	for (b = a->head; b != NULL; b = b->next) {
		lo = (uintptr_t)b->data;
		if (u >= lo && u < lo + b->size)
			return 1;
	}
	return 0;
}
