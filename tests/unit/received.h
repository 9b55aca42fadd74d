/*
 * received: when the unit tests' reports count as received (report_parse
 * rejects a range that ends more than 2 days later): 2026-03-10T00:00:00Z,
 * after every report of the tests and of fixtures/reports, which are of
 * early March 2026, as tests/fixtures.sh passes it with --received.
 */
#ifndef TLSRPT_TEST_RECEIVED_H
#define TLSRPT_TEST_RECEIVED_H

#include <stdint.h>

#define TEST_RECEIVED	((int64_t)1773100800)

#endif
