/*
 * notify: the sender of the events in the store's outbox (outbox.h,
 * doc/notify.md). A thread of its own claims the rows due and delivers
 * each: to a webhook as a POST of application/json (the event's JSON),
 * to a mail address through `sendmail -t` (the sendmail setting). A
 * receiver that answers 2xx (or a sendmail that exits 0) has it: the row
 * is marked delivered and never sent again. Otherwise it is tried again
 * after 5 s, doubling up to NOTIFY_BACKOFF_MAX apart, until
 * NOTIFY_GIVE_UP after the event; at start every row waiting is tried at
 * once.
 */
#ifndef TLSRPT_NOTIFY_H
#define TLSRPT_NOTIFY_H

#include "buf.h"
#include "config.h"
#include "error.h"
#include "store.h"

#define NOTIFY_BACKOFF_FIRST	5		/* seconds */
#define NOTIFY_BACKOFF_MAX	600		/* at most 10 minutes apart */
#define NOTIFY_GIVE_UP		(24 * 3600)	/* tried for 24 hours */
#define NOTIFY_LEASE		300	/* a claimed row waits for its try */
#define NOTIFY_BATCH		16	/* rows claimed at once */
#define NOTIFY_TIMEOUT		15	/* seconds for one delivery */
#define NOTIFY_POLL		5	/* seconds between looks at the
					 * outbox when not woken */

struct notify;

/* Start the sender on st (kept, not owned); sendmail is copied. */
struct notify *notify_start(struct store *st, const struct config *cfg,
			    struct error *err);

/* New rows are in the outbox: look now. NULL is allowed. */
void notify_wake(struct notify *n);

/* Stop the thread after the delivery in progress; NULL is allowed. */
void notify_stop(struct notify *n);

/* tlsrpt_notify_pending: rows neither delivered nor given up, as last
 * counted. */
int notify_render_metrics(struct buf *out, struct error *err);

#endif
