/*
 * maildir: the daemon's watcher of a report mailbox (doc/mail.md).
 *
 * A thread watches DIR/new with inotify, and rescans it every `rescan`
 * seconds in case an event was missed (NFS, a full inotify queue). Each
 * message is read (capped at the pipeline's message_max) and put through
 * the pipeline; then it is moved, never deleted:
 *   accepted or duplicate      DIR/cur/NAME:2,S  (seen; maildir info)
 *   rejected or not a report   DIR/.Failed/new/NAME  (Maildir++ folder)
 *   deferred (store busy)      left in DIR/new for the next scan
 * The move comes after the store has committed: after a crash the message
 * is simply processed again, and the store answers duplicate.
 */
#ifndef TLSRPT_MAILDIR_H
#define TLSRPT_MAILDIR_H

#include "error.h"
#include "ingest.h"

struct maildir_watch;

/*
 * Make DIR a maildir when it is not (DIR, new/, cur/, tmp/, mode 0700),
 * and its .Failed subfolder.
 */
int maildir_prepare(const char *dir, struct error *err);

/*
 * Process every message now in DIR/new once. Returns the number of
 * messages left in new/ (deferred), or -1 when new/ cannot be read.
 */
int maildir_scan(const char *dir, struct ingest *in, struct error *err);

/*
 * Start the watcher thread on DIR (kept, not copied), scanning at once.
 * The ingest is kept, not owned.
 */
struct maildir_watch *maildir_start(const char *dir, unsigned rescan,
				    struct ingest *in, struct error *err);

/* Stop the thread after the message in hand, and free the watcher. */
void maildir_stop(struct maildir_watch *w);

#endif
