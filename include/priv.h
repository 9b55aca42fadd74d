/*
 * priv: giving up root (doc/privileges.md).
 *
 * A daemon started as root does as root only what needs it (binding a
 * port under 1024, reading a key only root may read), then becomes the
 * configured user for good with priv_drop(): that user's group, no
 * supplementary groups, no capabilities (effective, permitted,
 * inheritable, ambient, and the bounding set where allowed), no new
 * privileges through exec, and it checks that root cannot be taken back.
 *
 * Before that, priv_assume() makes the effective ids the user's for a
 * while (root stays the saved id) and priv_restore() comes back: the
 * files made in between (the store and its write-ahead log, a maildir's
 * folders, a self-signed certificate) belong to the user, and a store or
 * maildir the user could not write makes the start fail then, with the
 * reason, rather than every report later.
 *
 * Nothing here may run while other threads exist: capability sets and
 * no_new_privs are per thread in Linux.
 */
#ifndef TLSRPT_PRIV_H
#define TLSRPT_PRIV_H

#include <sys/types.h>

#include "bounds.h"
#include "error.h"

struct priv {
	int drop;		/* started as root with a user to become */
	uid_t uid;
	gid_t gid;
	char user[PRIV_NAME_MAX];
	char group[PRIV_NAME_MAX];
};

/*
 * Look up user (a name or a number; NULL or "" for none) and group (a
 * name or a number; NULL or "" for the user's login group) into p. A
 * group without a user, an unknown name, or user root is ERR_INPUT naming
 * the setting. p->drop is 1 when the user is set and the process runs as
 * root, else 0.
 */
int priv_init(struct priv *p, const char *user, const char *group,
	      struct error *err);

/* Root for now: become p's user in the effective ids only. */
int priv_assume(const struct priv *p, struct error *err);

/* Back to root after priv_assume(). */
int priv_restore(const struct priv *p, struct error *err);

/*
 * Become p's user for good, from root (after priv_restore() if
 * priv_assume() ran). -1 when a step fails or root could be taken back:
 * the daemon must not go on.
 */
int priv_drop(const struct priv *p, struct error *err);

#endif
