/*
 * outbox: what the daemon's watcher remembers about each domain and what
 * it still has to tell, kept in the store (both backends, the tables of
 * migration notify: doc/notify.md), so that a crash or a receiver that is
 * down delays an event but never loses it.
 *
 * Invariants:
 * - An event exists only as rows of the outbox (one per receiver), written
 *   in the same transaction as the domain's new state: either both are
 *   there or neither. The state is changed only from the state the caller
 *   read (compare and set), so that of two daemons sharing a PostgreSQL
 *   store only one writes the event.
 * - A row is handed out for sending only after it has been claimed (its
 *   next attempt moved on, compare and set): two senders never send one
 *   row at once. Once marked delivered, it is never handed out again.
 *
 * Every call takes the store alone (store_lock()) for its few statements;
 * the caller must not hold it. Errors as the store's (ERR_BUSY may pass).
 */
#ifndef TLSRPT_OUTBOX_H
#define TLSRPT_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "error.h"
#include "store.h"

/* What was last told of a domain. */
struct outbox_state {
	int known;			/* 0: never judged (no row) */
	char verdict[OUTBOX_VERDICT_MAX];
	int stopped;			/* reports-stopped was told */
};

/* A (receiving MX, result type) pair seen failing. */
struct outbox_pair {
	const char *mx;
	const char *type;
};

/* An event, as the body sent (JSON text, or the mail) per receiver. */
struct outbox_event {
	const char *id;			/* unique */
	const char *webhook_body;	/* application/json */
	const char *mail_body;		/* a whole message, headers first */
};

/* A receiver: "webhook" with a URL, or "mail" with an address. */
struct outbox_target {
	const char *kind;
	const char *to;
};

/* The domain's state; s->known 0 when there is none. */
int outbox_state_get(struct store *st, const char *domain,
		     struct outbox_state *s, struct error *err);

/*
 * *seen 1 when the pair failed for the domain at or after since (as
 * remembered by an outbox_commit()), else 0.
 */
int outbox_pair_seen(struct store *st, const char *domain,
		     const struct outbox_pair *p, int64_t since, int *seen,
		     struct error *err);

/*
 * In one transaction: set the domain's state from old (as read) to next;
 * remember the pairs as seen at now; add a row per event and target, due
 * at once. *done 0 (and nothing written) when the state was no longer
 * old: someone else judged the domain meanwhile.
 */
int outbox_commit(struct store *st, const char *domain,
		  const struct outbox_state *old,
		  const struct outbox_state *next,
		  const struct outbox_pair *pairs, size_t npairs, int64_t now,
		  const struct outbox_event *events, size_t nevents,
		  const struct outbox_target *targets, size_t ntargets,
		  int *done, struct error *err);

/* A row to send, owned by the caller (outbox_items_free()). */
struct outbox_item {
	int64_t id;
	char *event_id;
	char *kind;		/* "webhook" or "mail" */
	char *to;
	char *body;
	int64_t created_at;
	int64_t attempts;	/* before this one */
};

/*
 * Claim up to max rows due at now (or all undelivered ones when all is
 * set: at start, at once), moving each one's next attempt to lease, so
 * that no other sender takes it meanwhile. *items is NULL when *n is 0.
 */
int outbox_claim(struct store *st, int64_t now, int64_t lease, int all,
		 size_t max, struct outbox_item **items, size_t *n,
		 struct error *err);
void outbox_items_free(struct outbox_item *items, size_t n);

/* The receiver took it: never handed out again. */
int outbox_delivered(struct store *st, int64_t id, int64_t now,
		     struct error *err);
/* Try again at next_at (attempts counts this one). */
int outbox_retry(struct store *st, int64_t id, int64_t next_at,
		 struct error *err);
/* No more tries (24 hours went by): kept, marked given up. */
int outbox_give_up(struct store *st, int64_t id, int64_t now,
		   struct error *err);

/* Rows neither delivered nor given up. */
int outbox_pending(struct store *st, int64_t *n, struct error *err);

#endif
