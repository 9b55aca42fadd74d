/*
 * hashidx: an index of the elements of a caller's array by a hash of
 * their key, so that finding an element costs the same however many
 * there are. The caller keeps the elements and their keys; the index
 * keeps, per element, its position and its key's hash, and asks the
 * caller (eq) whether a candidate is the one looked for.
 *
 * Used where outside input decides how many distinct things are counted
 * (reporters, MX names, failure rows of a report), so that a summary's
 * time grows with them, not with their square. Where a key lands is
 * mixed with a random secret of the process, so that keys chosen to
 * collide cannot bring the square back.
 */
#ifndef TLSRPT_HASHIDX_H
#define TLSRPT_HASHIDX_H

#include <stddef.h>
#include <stdint.h>

#define HASHIDX_SEED	UINT64_C(14695981039346656037)	/* FNV-1a */
#define HASHIDX_NONE	SIZE_MAX

struct hashidx {
	size_t *pos;		/* position + 1 per slot, 0 when empty */
	uint64_t *hash;		/* the hash of each slot's key */
	size_t cap, n;		/* slots (a power of two), used */
};

/* h continued over the string s (NULL counts as a value of its own). */
uint64_t hashidx_str(uint64_t h, const char *s);

/*
 * The position of the element of hash h that eq(arg, position) accepts,
 * or HASHIDX_NONE.
 */
size_t hashidx_find(const struct hashidx *x, uint64_t h,
		    int (*eq)(const void *arg, size_t pos), const void *arg);

/* Index position pos under hash h; -1 when memory runs out. */
int hashidx_add(struct hashidx *x, uint64_t h, size_t pos);

/* Free the index (the caller's elements are untouched). */
void hashidx_free(struct hashidx *x);

#endif
