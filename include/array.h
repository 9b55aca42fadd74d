/*
 * array: the heap arrays that grow one element at a time (lists of names,
 * rows, tasks, aggregates). Each doubles when full, so that n appends
 * copy about 2n elements in all, and a failed growth leaves the array as
 * it was, still the caller's to free.
 */
#ifndef TLSRPT_ARRAY_H
#define TLSRPT_ARRAY_H

#include <stddef.h>

/*
 * Room for one more element of size each in the array whose pointer is
 * at v (a T ** passed as void *), n of its *alloc elements used: nothing
 * to do while n < *alloc, else *alloc doubled, or first when it is 0.
 * 0, or -1 out of memory (or a size past SIZE_MAX), *v and *alloc then
 * as they were.
 */
int array_grow(void *v, size_t n, size_t *alloc, size_t each, size_t first);

#endif
