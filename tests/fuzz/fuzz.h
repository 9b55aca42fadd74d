/*
 * fuzz: what the fuzz targets share. Each tests/fuzz/fuzz-*.c defines
 * LLVMFuzzerTestOneInput, the entry point of libFuzzer (make fuzz links it
 * with -fsanitize=fuzzer) and of standalone.c, the plain driver that the
 * normal build links instead, to replay the seed corpus and the crash
 * regressions in make check.
 *
 * A target must not keep anything between inputs but what it set up once
 * (a store, GMime), and must free all it allocates: a leak fails make fuzz.
 */
#ifndef TLSRPT_FUZZ_H
#define TLSRPT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * When an input counts as received, fixed so that an input gives the same
 * answer on every run: 2026-03-10T00:00:00Z, after the seeds' reports.
 */
#define FUZZ_RECEIVED	((int64_t)1773100800)

#endif
