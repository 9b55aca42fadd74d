/*
 * clock: milliseconds of the monotonic clock, which no change of the
 * wall clock moves: for deadlines and timeouts (the live checks, the
 * public listener's guard).
 */
#ifndef TLSRPT_CLOCK_H
#define TLSRPT_CLOCK_H

#include <stdint.h>

int64_t clock_ms(void);

#endif
