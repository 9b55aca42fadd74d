/*
 * t-array: a heap array grows only when full, doubles from its first
 * size, keeps what it held, and a size past SIZE_MAX fails with the
 * array as it was.
 */
#include <stdint.h>
#include <stdlib.h>

#include "array.h"
#include "tap.h"

int
main(void)
{
	int *v = NULL, *was;
	size_t n, alloc = 0, big;
	int kept = 1;

	for (n = 0; n < 100; n++) {
		if (array_grow(&v, n, &alloc, sizeof(*v), 8) < 0)
			break;
		v[n] = (int)n;
	}
	is_int((int)n, 100, "a hundred appends");
	is_int((int)alloc, 128, "doubled from 8: 128 elements");
	for (n = 0; n < 100; n++)
		if (v[n] != (int)n)
			kept = 0;
	ok(kept, "what was appended is kept across growth");
	is_int(array_grow(&v, 50, &alloc, sizeof(*v), 8), 0,
	    "not full: nothing to do");
	is_int((int)alloc, 128, "not full: the size is unchanged");
	was = v;
	big = SIZE_MAX / 4;
	is_int(array_grow(&v, big, &big, 4, 8), -1,
	    "a size past SIZE_MAX fails");
	ok(v == was && big == SIZE_MAX / 4, "and leaves the array as it was");
	free(v);
	return tap_done();
}
