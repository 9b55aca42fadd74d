/* Unit tests: budget (the decode budget). */
#include <pthread.h>
#include <time.h>

#include "budget.h"
#include "metrics.h"
#include "tap.h"

struct waiter {
	struct budget *b;
	size_t n;
	int done;
};

static void *
wait_charge(void *arg)
{
	struct waiter *w = arg;
	struct budget_hold h;

	budget_hold_init(&h, w->b, 1);
	budget_hold_charge(&h, w->n, NULL);
	__atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
	budget_hold_end(&h);
	return NULL;
}

static void
pause_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000L };

	nanosleep(&ts, NULL);
}

static int
waiting(struct budget *b)
{
	int w;

	pthread_mutex_lock(&b->lock);
	w = b->waiting;
	pthread_mutex_unlock(&b->lock);
	return w;
}

/* Does the metrics' text hold line? */
static int
metrics_has(const char *line)
{
	struct buf out;
	int has;

	buf_init(&out, 1 << 20);
	has = metrics_render(&out, NULL) == 0 && out.data != NULL &&
	    strstr(out.data, line) != NULL;
	buf_release(&out);
	return has;
}

int
main(void)
{
	struct budget b;
	struct budget_hold h1, h2, h3;
	struct waiter w = { &b, 60, 0 };
	struct error err;
	pthread_t t;

	budget_init(&b, 100);
	budget_hold_init(&h1, &b, 0);
	budget_hold_init(&h2, &b, 0);
	is_int(budget_hold_charge(&h1, 60, &err), 0, "60 of 100: granted");
	is_int(budget_hold_charge(&h2, 50, &err), -1, "50 more: refused");
	ok(err.kind == ERR_NOMEM && strstr(err.msg, "decode budget") &&
	    strstr(err.msg, "60 of 100"), "refused as ERR_NOMEM, naming it: %s",
	    err.msg);
	is_int(budget_hold_charge(&h2, 40, &err), 0, "40 more: granted");
	is_int(b.used, 100, "100 in use");
	budget_hold_end(&h1);
	is_int(b.used, 40, "a hold gives back all it held");
	budget_hold_end(&h2);
	is_int(b.used, 0, "... and the other");

	is_int(budget_hold_charge(&h1, 500, &err), 0,
	    "alone, more than the budget is granted");
	is_int(budget_hold_charge(&h2, 1, &err), -1,
	    "... and nothing else meanwhile");
	budget_hold_end(&h1);
	is_int(budget_hold_charge(NULL, 5, &err), 0, "no hold: nothing metered");
	budget_hold_init(&h3, NULL, 0);
	is_int(budget_hold_charge(&h3, 1000, &err), 0,
	    "a hold of no budget: nothing metered");

	/* A waiting hold blocks until it fits, and refuses the others. */
	is_int(budget_hold_charge(&h1, 70, &err), 0, "70 held");
	pthread_create(&t, NULL, wait_charge, &w);
	while (!waiting(&b))
		pause_ms(10);
	is_int(__atomic_load_n(&w.done, __ATOMIC_SEQ_CST), 0,
	    "a waiting hold of 60 waits");
	is_int(budget_hold_charge(&h2, 10, &err), -1,
	    "while it waits, a hold that may not wait is refused");
	budget_hold_end(&h1);
	pthread_join(t, NULL);
	is_int(w.done, 1, "once given back, the waiting hold goes on");
	is_int(b.used, 0, "and gives back in turn");
	budget_set_max(&b, 10);
	is_int(budget_hold_charge(&h1, 8, &err), 0, "a new size: 8 of 10");
	is_int(budget_hold_charge(&h2, 8, &err), -1, "... 8 more refused");
	ok(metrics_has("\ntlsrpt_decode_budget_bytes 8\n") &&
	    metrics_has("\ntlsrpt_decode_budget_limit_bytes 10\n"),
	    "the metrics show the budget in use and its size");
	budget_hold_end(&h1);

	budget_release(&b);

	return tap_done();
}
