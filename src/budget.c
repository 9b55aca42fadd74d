/* budget: see include/budget.h. */
#include "budget.h"
#include "metrics.h"
#include "banned.h"

void
budget_init(struct budget *b, size_t max)
{
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->freed, NULL);
	b->max = max;
	b->used = 0;
	b->waiting = 0;
	metrics_set_decode(0, max);
}

void
budget_release(struct budget *b)
{
	pthread_cond_destroy(&b->freed);
	pthread_mutex_destroy(&b->lock);
}

void
budget_set_max(struct budget *b, size_t max)
{
	pthread_mutex_lock(&b->lock);
	b->max = max;
	metrics_set_decode(b->used, b->max);
	pthread_cond_broadcast(&b->freed);
	pthread_mutex_unlock(&b->lock);
}

void
budget_hold_init(struct budget_hold *h, struct budget *b, int wait)
{
	h->b = b;
	h->held = 0;
	h->wait = wait;
}

/* Does n more for h fit (lock held)? Alone, anything fits. */
static int
fits(const struct budget *b, const struct budget_hold *h, size_t n)
{
	if (b->used == h->held)
		return 1;
	return n <= b->max && b->used <= b->max - n;
}

int
budget_hold_charge(struct budget_hold *h, size_t n, struct error *err)
{
	struct budget *b;

	if (h == NULL || (b = h->b) == NULL || n == 0)
		return 0;
	pthread_mutex_lock(&b->lock);
	if (!h->wait && (b->waiting || !fits(b, h, n))) {
		error_set(err, ERR_NOMEM, "the decode budget is spent (%zu "
		    "of %zu bytes in use, %zu more needed)", b->used, b->max,
		    n);
		pthread_mutex_unlock(&b->lock);
		return -1;
	}
	while (!fits(b, h, n)) {
		b->waiting = 1;
		pthread_cond_wait(&b->freed, &b->lock);
	}
	if (h->wait)
		b->waiting = 0;
	b->used += n;
	h->held += n;
	metrics_set_decode(b->used, b->max);
	pthread_mutex_unlock(&b->lock);
	return 0;
}

void
budget_hold_end(struct budget_hold *h)
{
	struct budget *b;

	if (h == NULL || (b = h->b) == NULL || h->held == 0)
		return;
	pthread_mutex_lock(&b->lock);
	b->used -= h->held;
	h->held = 0;
	metrics_set_decode(b->used, b->max);
	pthread_cond_broadcast(&b->freed);
	pthread_mutex_unlock(&b->lock);
}
