/*
 * store_retention: see include/store_retention.h. The pass's loop, the
 * same for both backends: each backend's prune op is one transaction.
 */
#include <string.h>

#include "store.h"
#include "store_backend.h"
#include "store_retention.h"
#include "banned.h"

int64_t
store_retention_cut(int64_t now, unsigned days)
{
	return now - (int64_t)days * 86400;
}

int
store_prune(struct store *st, int64_t before, int (*stop)(void *arg),
	    void *arg, struct store_prune_counts *counts, struct error *err)
{
	const struct store_ops *ops = store_backend_ops(st);
	struct store_prune_pass pass;
	int rc;

	memset(&pass, 0, sizeof(pass));
	pass.before = before;
	pass.phase = STORE_PRUNE_REPORTS;
	pass.end = INT64_MIN;
	if (ops->prune == NULL) {
		memset(counts, 0, sizeof(*counts));
		return error_set(err, ERR_INTERNAL, "the %s store cannot "
		    "remove old rows", ops->name);
	}
	do {
		if (stop != NULL && stop(arg)) {
			rc = 0;
			break;
		}
		store_lock(st);
		rc = ops->prune(store_backend_handle(st), &pass, err);
		store_unlock_for_puts(st);
		if (rc >= 0)
			pass.counts.transactions++;
	} while (rc > 0);
	*counts = pass.counts;
	return rc < 0 ? -1 : 0;
}
