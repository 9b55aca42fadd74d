/*
 * pidfile: the file that names the pid of a daemonised tlsrptd, and
 * keeps a second one from starting on it (tlsrptd.conf(5), pidfile).
 *
 * The daemon holds an flock() on the file for as long as it runs: the
 * lock, not the file's presence, says whether a daemon runs. A file left
 * by a daemon that was killed is held by nobody, and the next start takes
 * it over; a file held by a running daemon makes pidfile_take() fail with
 * that daemon's pid. The file is opened without following a link, and
 * must be a regular file of one link: a daemon started as root writes it,
 * maybe in a folder of the user it becomes.
 */
#ifndef TLSRPT_PIDFILE_H
#define TLSRPT_PIDFILE_H

#include "error.h"

struct pidfile {
	int fd;			/* -1: none held */
	char *path;		/* owned */
};

/* An empty pidfile, holding none. */
void pidfile_init(struct pidfile *pf);

/*
 * Make or open path, lock it and write this process's pid in it. -1 with
 * ERR_BUSY naming the pid when another process holds it, ERR_IO when it
 * cannot be made, opened or written (a link, a folder that is missing),
 * ERR_NOMEM.
 */
int pidfile_take(struct pidfile *pf, const char *path, struct error *err);

/*
 * At a clean exit: remove the file, or, when this process may no longer
 * remove it from its folder (it gave up root), empty it, then let it go.
 * Returns 0 when removed, 1 when only emptied; a no-op when none is held.
 */
int pidfile_release(struct pidfile *pf);

#endif
