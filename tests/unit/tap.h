/*
 * tap: the unit tests' few helpers. Each check prints "ok N - name" or
 * "not ok N - name"; tap_done() prints the plan "1..N" last and gives
 * main's exit status. tests/run.sh fails a test that ends without its
 * plan (a crash, an exit before tap_done) or with a status other than 0,
 * and counts its checks into the suite's total.
 */
#ifndef TLSRPT_TAP_H
#define TLSRPT_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...) do { \
	int c_ = (cond) ? 1 : 0; \
	tap_n++; \
	if (c_) { \
		printf("ok %d - ", tap_n); \
	} else { \
		tap_failed++; \
		printf("not ok %d - ", tap_n); \
	} \
	printf(__VA_ARGS__); \
	printf("\n"); \
	if (!c_) \
		printf("#   at %s:%d\n", __FILE__, __LINE__); \
} while (0)

#define is_str(got, want, ...) do { \
	const char *g_ = (got), *w_ = (want); \
	int same_ = (g_ == NULL && w_ == NULL) || \
	    (g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0); \
	ok(same_, __VA_ARGS__); \
	if (!same_) \
		printf("#   got  \"%s\"\n#   want \"%s\"\n", \
		    g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
} while (0)

#define is_int(got, want, ...) do { \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	ok(g_ == w_, __VA_ARGS__); \
	if (g_ != w_) \
		printf("#   got  %lld\n#   want %lld\n", g_, w_); \
} while (0)

static inline int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

/*
 * A suite that a unit test runs on SQLite and, when TLSRPT_TEST_PG names a
 * database, on PostgreSQL, for tests/e2e/pg-store.sh. That script plans on
 * the suite's number of checks before it has a cluster: main answers
 * "--plan-postgresql" with it (tap_plan_postgresql, first thing in main),
 * and tap_suite_end, given tap_n from before a run of the suite and the
 * checks that run makes, fails when a check added left the number behind.
 */
static inline void
tap_plan_postgresql(int argc, char **argv, int checks)
{
	if (argc == 2 && strcmp(argv[1], "--plan-postgresql") == 0) {
		printf("%d\n", checks);
		exit(0);
	}
}

static inline void
tap_suite_end(const char *backend, int first, int checks)
{
	if (tap_n - first != checks)
		ok(0, "%s: the suite ran %d checks, its count in the test "
		    "says %d", backend, tap_n - first, checks);
}

/*
 * tap_skip: one check that cannot run here, counted as skipped (never as
 * passed); why starts with the feature missing, one word and a colon
 * ("samples: ...").
 */
#define tap_skip(why) do { \
	tap_n++; \
	printf("ok %d # skip %s\n", tap_n, (why)); \
} while (0)

/*
 * tap_skip_all: none of the test's checks can run in this build; why
 * starts with the feature missing, one word and a colon ("asan: ...").
 * Counted as skipped, never as passed.
 */
static inline int
tap_skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	return 0;
}

#endif
