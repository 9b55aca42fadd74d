/*
 * arena: memory handed out from large blocks and freed all at once, for
 * many small pieces that live and die together (a report's strings, the
 * parse tree of one report, a fold's keys). Not thread-safe: an arena
 * belongs to one thread at a time.
 */
#ifndef TLSRPT_ARENA_H
#define TLSRPT_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head;
	size_t block;		/* a new block's size; 0: ARENA_BLOCK */
};

#define ARENA_BLOCK (16 * 1024)

/* n bytes, aligned for any type; NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t n);

/* A NUL-terminated copy of the n bytes at s; NULL when out of memory. */
char *arena_strndup(struct arena *a, const char *s, size_t n);

/* Free every block; the arena is empty again and may be reused. */
void arena_release(struct arena *a);

/* arena_release(), then free the arena itself (from malloc); NULL is ok. */
void arena_free(struct arena *a);

/* Whether p points into one of a's blocks. */
int arena_owns(const struct arena *a, const void *p);

#endif
