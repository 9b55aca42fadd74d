/*
 * store_retention: see include/store_retention.h. The pass's loop, the
 * same for both backends: each backend's prune op is one transaction.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bounds.h"
#include "fmt.h"
#include "rfc3339.h"
#include "store.h"
#include "store_backend.h"
#include "store_retention.h"
#include "banned.h"

void
store_prune_begin(struct store_prune_pass *pass)
{
	pass->left = BOUND_PRUNE_ROWS;
}

int
store_prune_spent(struct store_prune_pass *pass, int64_t n)
{
	pass->left -= n;
	pass->counts.rows += (size_t)n;
	return pass->left <= 0;
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

int
store_prune_days(struct store *st, unsigned days, int (*stop)(void *arg),
		 void *arg, char *what, size_t len, struct error *err)
{
	int64_t before = (int64_t)time(NULL) - (int64_t)days * 86400;
	struct store_prune_counts c;
	char cut[RFC3339_LEN];
	int rc;

	rc = store_prune(st, before, stop, arg, &c, err);
	rfc3339_format(before, cut);
	fmt_cut(what, len, "%zu reports and %zu payloads (%zu from the "
	    "quarantine) older than %u days (before %s), in %zu "
	    "transactions", c.reports, c.payloads, c.rejected, days, cut,
	    c.transactions);
	return rc;
}
