/*
 * maildir: the daemon's watcher of a report mailbox (doc/mail.md,
 * doc/maildir.md).
 *
 * A thread watches DIR/new with inotify, and rescans it every `rescan`
 * seconds in case an event was missed (NFS, a full inotify queue). Each
 * message is read (capped at the pipeline's message_max) and put through
 * the pipeline; then it is moved, never deleted:
 *   accepted or duplicate      DIR/cur/NAME:2,S  (seen; maildir info)
 *   rejected or not a report   DIR/.Failed/new/NAME  (Maildir++ folder)
 *   deferred (store busy)      left in DIR/new for the next scan
 *   not a regular file         DIR/.Failed/new/NAME, unread: a symbolic
 *                              link (never followed), a FIFO, a device
 *   in hand when the daemon    DIR/.Failed/new/NAME, unread, at the next
 *   died                       scan (DIR/tlsrptd-attempt names it)
 * The move comes after the store has committed: after a crash between the
 * two the message is simply processed again, and the store answers
 * duplicate. Every folder of the maildir (new, cur, tmp, .Failed and its
 * new, cur, tmp) must be a real folder: every step goes through
 * descriptors opened without following links, and a scan that finds one
 * of them a link takes no mail at all and says so.
 */
#ifndef TLSRPT_MAILDIR_H
#define TLSRPT_MAILDIR_H

#include "error.h"
#include "ingest.h"

struct maildir_watch;

/*
 * Make DIR a maildir when it is not (DIR, new/, cur/, tmp/, mode 0700),
 * its .Failed subfolder and its attempt record. -1 (ERR_IO, naming it)
 * when one of its folders is a symbolic link or no folder, or the record
 * cannot be written: the daemon does not start.
 */
int maildir_prepare(const char *dir, struct error *err);

/*
 * Process every message now in DIR/new once. Returns the number of
 * messages left in new/ (deferred; 0 when another daemon is scanning the
 * maildir), or -1 when new/ cannot be read, a folder of the maildir is
 * not a real one, or the attempt record cannot be written (nothing more
 * is taken).
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
