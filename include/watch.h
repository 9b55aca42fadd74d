/*
 * watch: the daemon keeps every domain's verdict current
 * (doc/notify.md). A thread of its own looks at the store every
 * WATCH_POLL_SECONDS for domains whose reports changed (whoever stored
 * them: this daemon, another node, tlsrpt-import) and judges them again
 * (it reads the domains only when the store's token of changes moved
 * since its last read, store_backend.h: an idle daemon reads next to
 * nothing),
 * and judges every domain each WATCH_ALL_SECONDS, as staleness comes with
 * the clock. What changed becomes events in the store's outbox
 * (outbox.h), which the sender (notify.h) delivers:
 *   verdict-changed   the verdict is not the one last told (the first
 *                     verdict of a domain too);
 *   new-failure       a (receiving MX, result type) pair failing in the
 *                     last 7 days that had not failed in the 30 before;
 *   reports-stopped   a domain that had reports has had none ending in
 *                     the last 3 days (told once, until reports return).
 *
 * The current verdicts are a registry of the process, for /metrics and
 * the overview at / (overview.h). It holds at most WATCH_DOMAINS_MAX
 * domains, the first in name order: report fields name domains, and
 * anyone can post.
 */
#ifndef TLSRPT_WATCH_H
#define TLSRPT_WATCH_H

#include <stddef.h>

#include "bounds.h"
#include "buf.h"
#include "config.h"
#include "error.h"
#include "notify.h"
#include "overview.h"
#include "store.h"

#define WATCH_POLL_SECONDS	2	/* a report judged within 10 s */
#define WATCH_ALL_SECONDS	3600	/* every domain hourly */
#define WATCH_STOPPED_DAYS	3	/* reports-stopped */
#define WATCH_NEW_FAILURE_DAYS	30	/* new-failure */

struct watch;

/*
 * Start watching st (kept, not owned; it must outlive the watch): events
 * go to the receivers of cfg (copied) through sender (kept, may be NULL:
 * the verdicts are kept current all the same, and nothing is told). The
 * store is read through a reader of the watch's own on cfg's database
 * (store_open_reader()), so that judging never holds up a report's put;
 * the outbox is written through st.
 */
struct watch *watch_start(struct store *st, const struct config *cfg,
			  struct notify *sender, struct error *err);

/* Stop the thread (it finishes the domain it judges); NULL is allowed. */
void watch_stop(struct watch *w);

/*
 * The per-domain series (tlsrpt_domain_verdict, _sessions,
 * _refused_sessions, _last_report_timestamp_seconds) in Prometheus text;
 * nothing before the first judgement.
 */
int watch_render_metrics(struct buf *out, struct error *err);

/* Append the overview page (overview.h) of the registry, by domain. */
int watch_overview_page(struct buf *out, struct error *err);

/*
 * The current verdict of domain ("ready", "not-ready",
 * "insufficient-data") into out (len at least 32): 1; 0 when it has not
 * been judged yet, or is not in the registry.
 */
int watch_verdict(const char *domain, char *out, size_t len);

#endif
