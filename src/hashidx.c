/* hashidx: see include/hashidx.h. */
#include <sys/random.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hashidx.h"
#include "banned.h"

uint64_t
hashidx_str(uint64_t h, const char *s)
{
	/* A NULL and "" differ: the one adds a byte the other does not. */
	h = (h ^ (s == NULL ? 1u : 2u)) * UINT64_C(1099511628211);
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
	return h;
}

/*
 * The keys come from outside (reporters, MX names), and FNV-1a's low bits
 * depend only on the low bits of each byte: a sender could choose names
 * that all land in one slot and make each probe walk them all. So the
 * slot is taken from the hash mixed with a secret of the process
 * (splitmix64's finaliser), which no sender knows.
 */
static uint64_t secret;
static pthread_once_t secret_once = PTHREAD_ONCE_INIT;

static void
make_secret(void)
{
	if (getrandom(&secret, sizeof(secret), 0) != (ssize_t)sizeof(secret))
		secret = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&secret;
}

static size_t
first_slot(uint64_t h, size_t cap)
{
	pthread_once(&secret_once, make_secret);
	h ^= secret;
	h = (h ^ (h >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	h = (h ^ (h >> 27)) * UINT64_C(0x94d049bb133111eb);
	h ^= h >> 31;
	return (size_t)h & (cap - 1);
}

size_t
hashidx_find(const struct hashidx *x, uint64_t h,
	     int (*eq)(const void *arg, size_t pos), const void *arg)
{
	size_t i;

	if (x->cap == 0)
		return HASHIDX_NONE;
	for (i = first_slot(h, x->cap); x->pos[i] != 0;
	    i = (i + 1) & (x->cap - 1))
		if (x->hash[i] == h && eq(arg, x->pos[i] - 1))
			return x->pos[i] - 1;
	return HASHIDX_NONE;
}

static void
place(size_t *pos, uint64_t *hash, size_t cap, uint64_t h, size_t p)
{
	size_t i;

	for (i = first_slot(h, cap); pos[i] != 0; i = (i + 1) & (cap - 1))
		;
	pos[i] = p + 1;
	hash[i] = h;
}

int
hashidx_add(struct hashidx *x, uint64_t h, size_t pos)
{
	/* At most half full, so that a probe ends soon. */
	if ((x->n + 1) * 2 > x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 16, i;
		size_t *np = calloc(cap, sizeof(*np));
		uint64_t *nh = calloc(cap, sizeof(*nh));

		if (np == NULL || nh == NULL) {
			free(np);
			free(nh);
			return -1;
		}
		for (i = 0; i < x->cap; i++)
			if (x->pos[i] != 0)
				place(np, nh, cap, x->hash[i], x->pos[i] - 1);
		free(x->pos);
		free(x->hash);
		x->pos = np;
		x->hash = nh;
		x->cap = cap;
	}
	place(x->pos, x->hash, x->cap, h, pos);
	x->n++;
	return 0;
}

void
hashidx_free(struct hashidx *x)
{
	free(x->pos);
	free(x->hash);
	memset(x, 0, sizeof(*x));
}
