/* Unit tests: budget (the decode budget) and the decoding it meters. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <zlib.h>

#include "budget.h"
#include "decode.h"
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

/* gzip of n zero bytes. */
static unsigned char *
gzip_zeros(size_t n, size_t *outlen)
{
	unsigned char *in = calloc(1, n), *out;
	size_t cap = n / 100 + 1024;
	z_stream zs = { 0 };

	out = malloc(cap);
	deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9,
	    Z_DEFAULT_STRATEGY);
	zs.next_in = in;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	deflate(&zs, Z_FINISH);
	*outlen = cap - zs.avail_out;
	deflateEnd(&zs);
	free(in);
	return out;
}

int
main(void)
{
	struct budget b;
	struct budget_hold h1, h2, h3;
	struct decode_limits lim;
	struct waiter w = { &b, 60, 0 };
	struct error err;
	struct buf out;
	const char *json;
	unsigned char *g;
	size_t glen, jlen;
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
	budget_hold_end(&h1);

	/* Decoding charges each buffer it grows before it grows. */
	g = gzip_zeros(1 << 20, &glen);
	decode_limits_default(&lim);
	lim.hold = &h1;
	budget_set_max(&b, 1 << 20);
	budget_hold_charge(&h2, 1, &err);	/* h1 is not alone */
	buf_init(&out, lim.inflated_max);
	error_clear(&err);
	is_int(decode_payload(g, glen, &lim, &out, &json, &jlen, &err), -1,
	    "1 MiB inflated in a budget of 1 MiB, another hold in it: refused");
	ok(err.kind == ERR_NOMEM && strstr(err.msg, "decode budget"),
	    "... ERR_NOMEM: %s", err.msg);
	is_int(out.alloc, 0, "... before allocating");
	budget_hold_end(&h1);
	budget_hold_end(&h2);
	budget_set_max(&b, 4 << 20);
	is_int(decode_payload(g, glen, &lim, &out, &json, &jlen, &err), 0,
	    "in a budget of 4 MiB: inflated");
	ok(h1.held >= out.alloc && h1.held <= 2 * out.alloc,
	    "the hold holds the buffer's allocation (%zu for %zu)", h1.held,
	    out.alloc);
	budget_hold_end(&h1);
	buf_release(&out);
	free(g);
	budget_release(&b);

	/* What parsing would take. */
	ok(decode_parse_cost("{\"a\":1}", 7) < 1024, "a small text costs little");
	ok(decode_parse_cost("[{\"a\":0},{\"a\":0}]", 17) >
	    decode_parse_cost("[0,        0    ]", 17),
	    "objects cost more than numbers");
	{
		size_t n = 1 << 20;
		char *pad = malloc(n);

		memset(pad, ' ', n);
		memcpy(pad, "{\"a\":1}", 7);
		ok(decode_parse_cost(pad, n) < 1024,
		    "blanks around the text cost nothing");
		memset(pad + 7, '\0', n - 7);
		ok(decode_parse_cost(pad, n) < 1024,
		    "nor what follows a NUL byte (the parser stops there)");
		memset(pad, ',', n);
		ok(decode_parse_cost(pad, n) > 64 * n,
		    "a text of a million values costs tens of MB");
		free(pad);
	}
	return tap_done();
}
