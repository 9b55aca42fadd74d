/*
 * fuzz-pipeline: any bytes through pipeline_submit() as the import tool
 * gives them (INPUT_SNIFF: a report or a message), into an in-memory
 * SQLite store. Every result must be one the header allows: a report with
 * accepted and duplicate, a reason with the others, and never a deferral
 * for a reason other than memory, since nothing else can fail here.
 *
 * The store is opened once and opened afresh every FUZZ_STORE_INPUTS
 * inputs, so that what the inputs store does not grow for the whole run.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "log.h"
#include "mail.h"
#include "pipeline.h"
#include "store.h"
#include "banned.h"

#define FUZZ_STORE_INPUTS	20000
#define FUZZ_LIMIT		(256 * 1024)

static struct store *store;
static struct pipeline pl;
static unsigned long inputs;

static void
check_result(const struct result *res, void *arg)
{
	int *calls = arg;

	(*calls)++;
	switch (res->outcome) {
	case OUTCOME_ACCEPTED:
	case OUTCOME_DUPLICATE:
		if (res->report == NULL)
			__builtin_trap();
		break;
	case OUTCOME_REJECTED:
	case OUTCOME_NOT_A_REPORT:
		if (res->reason == NULL)
			__builtin_trap();
		break;
	case OUTCOME_DEFERRED:
		if (res->reason == NULL || res->error != ERR_NOMEM)
			__builtin_trap();
		break;
	default:
		__builtin_trap();
	}
}

static void
open_store(void)
{
	struct pipeline_config cfg;
	struct error err;

	store_close(store);
	error_clear(&err);
	if ((store = store_open(":memory:", &err)) == NULL) {
		fprintf(stderr, "fuzz-pipeline: %s\n", err.msg);
		abort();
	}
	pipeline_config_default(&cfg);
	cfg.payload_max = FUZZ_LIMIT;
	cfg.message_max = 4 * FUZZ_LIMIT;
	cfg.limits.inflated_max = FUZZ_LIMIT;
	cfg.limits.ratio = 100;
	pipeline_init(&pl, store, &cfg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct origin o = { .source = "file", .path = "fuzz-input" };
	int calls = 0, n;

	if (store == NULL) {
		/* The pipeline logs each mismatch it notices: not wanted. */
		log_set_quiet(1);
		mail_init();
	}
	if (store == NULL || ++inputs % FUZZ_STORE_INPUTS == 0)
		open_store();
	n = pipeline_submit(&pl, data, size, INPUT_SNIFF, &o, FUZZ_RECEIVED,
	    check_result, &calls);
	if (n != calls && !(n == -1 && calls == 0))
		__builtin_trap();
	return 0;
}
