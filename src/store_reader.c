/* store_reader: see include/store_reader.h. */
#include <pthread.h>
#include <stdlib.h>

#include "store_reader.h"
#include "banned.h"

struct store_readers {
	pthread_mutex_t lock;
	pthread_cond_t given;	/* a reader came back */
	struct store **free;	/* the readers not lent */
	unsigned nfree, n;
	struct store **all;
};

struct store_readers *
store_readers_open(const char *spec, unsigned n, struct error *err)
{
	struct store_readers *rs;

	if (n == 0)
		n = 1;
	if ((rs = calloc(1, sizeof(*rs))) == NULL ||
	    (rs->all = calloc(n, sizeof(*rs->all))) == NULL ||
	    (rs->free = calloc(n, sizeof(*rs->free))) == NULL) {
		if (rs != NULL)
			free(rs->all);
		free(rs);
		error_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&rs->lock, NULL);
	pthread_cond_init(&rs->given, NULL);
	for (rs->n = 0; rs->n < n; rs->n++) {
		if ((rs->all[rs->n] = store_open_reader(spec, err)) == NULL) {
			store_readers_close(rs);
			return NULL;
		}
		rs->free[rs->nfree++] = rs->all[rs->n];
	}
	return rs;
}

void
store_readers_close(struct store_readers *rs)
{
	unsigned i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->n; i++)
		store_close(rs->all[i]);
	pthread_cond_destroy(&rs->given);
	pthread_mutex_destroy(&rs->lock);
	free(rs->free);
	free(rs->all);
	free(rs);
}

struct store *
store_readers_take(struct store_readers *rs)
{
	struct store *st;

	pthread_mutex_lock(&rs->lock);
	while (rs->nfree == 0)
		pthread_cond_wait(&rs->given, &rs->lock);
	st = rs->free[--rs->nfree];
	pthread_mutex_unlock(&rs->lock);
	return st;
}

void
store_readers_give(struct store_readers *rs, struct store *st)
{
	pthread_mutex_lock(&rs->lock);
	rs->free[rs->nfree++] = st;
	pthread_cond_signal(&rs->given);
	pthread_mutex_unlock(&rs->lock);
}
