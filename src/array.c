/* array: see include/array.h. */
#include <stdint.h>
#include <stdlib.h>

#include "array.h"
#include "banned.h"

int
array_grow(void *v, size_t n, size_t *alloc, size_t each, size_t first)
{
	void *g;
	size_t na;

	if (n < *alloc)
		return 0;
	na = *alloc ? *alloc * 2 : first;
	if (na < *alloc || na > SIZE_MAX / each)
		return -1;
	if ((g = realloc(*(void **)v, na * each)) == NULL)
		return -1;
	*(void **)v = g;
	*alloc = na;
	return 0;
}
