/*
 * count: session counts, summed without overflow. One count of a report is
 * at most BOUND_COUNT_MAX (2^53, report.c); a sum over many reports is held
 * at INT64_MAX instead of wrapping. A sender who claims absurd counts then
 * skews the figures it is part of, but never makes them negative, and the
 * arithmetic stays defined. The stores' SQL does the same (COUNT_MAX_SQL).
 */
#ifndef TLSRPT_COUNT_H
#define TLSRPT_COUNT_H

#include <stdint.h>

/* The same in SQL, for both stores: a + b held at the largest bigint. */
#define COUNT_MAX_SQL	"9223372036854775807"
#define COUNT_ADD_SQL(a, b) \
	"CASE WHEN " a " > " COUNT_MAX_SQL " - " b " THEN " COUNT_MAX_SQL \
	" ELSE " a " + " b " END"
/* SUM() of counts held at the largest bigint (exact below 2^53). */
#define COUNT_SUM_SQLITE(x) \
	"CAST(min(total(" x "), " COUNT_MAX_SQL ") AS INTEGER)"
#define COUNT_SUM_PG(x) \
	"LEAST(SUM(" x "), " COUNT_MAX_SQL ")::bigint"

/* a + b for counts (both >= 0), held at INT64_MAX. */
static inline int64_t
count_add(int64_t a, int64_t b)
{
	int64_t sum;

	return __builtin_add_overflow(a, b, &sum) ? INT64_MAX : sum;
}

#endif
