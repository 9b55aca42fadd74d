/* priv: see include/priv.h. */
#define _GNU_SOURCE	/* setresuid, getresuid and their gid twins */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bounds.h"
#include "fmt.h"
#include "priv.h"
#include "banned.h"

static int
is_number(const char *s, unsigned long *out)
{
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return 0;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno == 0 && *end == '\0' && *out < (unsigned long)-1 / 2;
}

static void
keep_name(char *dst, const char *src)
{
	fmt_cut(dst, PRIV_NAME_MAX, "%s", src);	/* only for messages */
}

static int
find_user(struct priv *p, const char *user, int *has_gid,
	  struct error *err)
{
	struct passwd pw, *found = NULL;
	unsigned long n;
	char *buf;
	int rc;

	if ((buf = malloc(PRIV_ENTRY_MAX)) == NULL)
		return error_set(err, ERR_NOMEM, "out of memory");
	if (is_number(user, &n))
		rc = getpwuid_r((uid_t)n, &pw, buf, PRIV_ENTRY_MAX, &found);
	else
		rc = getpwnam_r(user, &pw, buf, PRIV_ENTRY_MAX, &found);
	if (found != NULL) {
		p->uid = pw.pw_uid;
		p->gid = pw.pw_gid;
		*has_gid = 1;
		keep_name(p->user, pw.pw_name);
	} else if (is_number(user, &n)) {
		p->uid = (uid_t)n;	/* a number is enough, with a group */
		keep_name(p->user, user);
	}
	free(buf);
	if (found == NULL && !is_number(user, &n))
		return error_set(err, ERR_INPUT, "user \"%s\": %s", user,
		    rc != 0 ? strerror(rc) : "no such user");
	return 0;
}

/* p->group: the name of p->gid, or its number when it has none. */
static void
name_group(struct priv *p)
{
	struct group gr, *found = NULL;
	char *buf;

	if ((buf = malloc(PRIV_ENTRY_MAX)) != NULL &&
	    getgrgid_r(p->gid, &gr, buf, PRIV_ENTRY_MAX, &found) == 0 &&
	    found != NULL)
		keep_name(p->group, gr.gr_name);
	else
		fmt_cut(p->group, PRIV_NAME_MAX, "%lu", (unsigned long)p->gid);
	free(buf);
}

static int
find_group(struct priv *p, const char *group, struct error *err)
{
	struct group gr, *found = NULL;
	unsigned long n;
	char *buf;
	int rc;

	if (is_number(group, &n)) {
		p->gid = (gid_t)n;	/* a number is enough */
		return 0;
	}
	if ((buf = malloc(PRIV_ENTRY_MAX)) == NULL)
		return error_set(err, ERR_NOMEM, "out of memory");
	rc = getgrnam_r(group, &gr, buf, PRIV_ENTRY_MAX, &found);
	if (found != NULL)
		p->gid = gr.gr_gid;
	free(buf);
	if (found == NULL)
		return error_set(err, ERR_INPUT, "group \"%s\": %s", group,
		    rc != 0 ? strerror(rc) : "no such group");
	return 0;
}

int
priv_init(struct priv *p, const char *user, const char *group,
	  struct error *err)
{
	int has_gid = 0;

	memset(p, 0, sizeof(*p));
	if (user == NULL || user[0] == '\0') {
		if (group != NULL && group[0] != '\0')
			return error_set(err, ERR_INPUT, "group \"%s\" without "
			    "a user: set user too", group);
		return 0;
	}
	if (find_user(p, user, &has_gid, err) < 0)
		return -1;
	if (p->uid == 0)
		return error_set(err, ERR_INPUT, "user \"%s\" is root: name "
		    "the user to run as after the ports are bound", user);
	if (group != NULL && group[0] != '\0') {
		if (find_group(p, group, err) < 0)
			return -1;
	} else if (!has_gid) {
		return error_set(err, ERR_INPUT, "user \"%s\" has no entry in "
		    "the user database: set group too", user);
	}
	if (p->gid == 0)
		return error_set(err, ERR_INPUT, "group of user \"%s\" is "
		    "root's (0): name another group", user);
	name_group(p);
	p->drop = geteuid() == 0;
	return 0;
}

/*
 * A change of ids that failed (errno), said with what to do: EPERM as
 * root means the capabilities to change ids were taken before the start
 * (a container, a unit's CapabilityBoundingSet=).
 */
static int
ids_failed(const struct priv *p, struct error *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
ids_failed(const struct priv *p, struct error *err, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	int e = errno;

	va_start(ap, fmt);
	vfmt_cut(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (e == EPERM)
		return error_set(err, ERR_IO, "%s: %s: root without "
		    "CAP_SETUID and CAP_SETGID (a container or a unit's "
		    "CapabilityBoundingSet= took them): give them back, or "
		    "start tlsrptd as user %s with user unset", what,
		    strerror(e), p->user);
	return error_set(err, ERR_IO, "%s: %s", what, strerror(e));
}

int
priv_assume(const struct priv *p, struct error *err)
{
	if (!p->drop)
		return 0;
	/* The groups go now: what the user reaches through root's
	 * supplementary groups would be out of reach after the drop. */
	if (setgroups(0, NULL) < 0 || setresgid(-1, p->gid, -1) < 0 ||
	    setresuid(-1, p->uid, -1) < 0)
		return ids_failed(p, err, "becoming user %s for a while",
		    p->user);
	return 0;
}

int
priv_restore(const struct priv *p, struct error *err)
{
	if (!p->drop)
		return 0;
	if (setresuid(-1, 0, -1) < 0 || setresgid(-1, 0, -1) < 0)
		return ids_failed(p, err, "back to root");
	return 0;
}

/* Are all of this thread's capability sets but the bounding set empty? */
static int
caps_empty(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	int i;

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) < 0)
		return 0;
	for (i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (d[i].effective || d[i].permitted || d[i].inheritable)
			return 0;
	for (i = 0; prctl(PR_CAPBSET_READ, i, 0, 0, 0) >= 0; i++)
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, i, 0,
		    0) == 1)
			return 0;
	return 1;
}

int
priv_drop(const struct priv *p, struct error *err)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	int cap;

	if (!p->drop)
		return 0;
	/*
	 * The bounding set limits what an exec could give back. Emptying it
	 * needs CAP_SETPCAP, which a container may have taken: then only
	 * no_new_privs below guards exec, and the daemon execs nothing.
	 */
	for (cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 &&
		    errno != EPERM)
			return error_set(err, ERR_IO, "dropping capability %d "
			    "from the bounding set: %s", cap, strerror(errno));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL)
		return error_set(err, ERR_IO, "clearing ambient capabilities: "
		    "%s", strerror(errno));
	if (setgroups(0, NULL) < 0)
		return ids_failed(p, err, "setgroups");
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		return ids_failed(p, err, "setgid %s", p->group);
	/* All three uids leave 0: the kernel then clears the permitted and
	 * effective capabilities too. */
	if (setresuid(p->uid, p->uid, p->uid) < 0)
		return ids_failed(p, err, "setuid %s", p->user);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return error_set(err, ERR_IO, "no_new_privs: %s: it needs "
		    "Linux 3.5 or later", strerror(errno));

	/* Trust nothing above: root must be out of reach now. */
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
	    ru != p->uid || eu != p->uid || su != p->uid ||
	    rg != p->gid || eg != p->gid || sg != p->gid)
		return error_set(err, ERR_INTERNAL, "after the drop the ids "
		    "are not those of %s:%s", p->user, p->group);
	if (getgroups(0, NULL) != 0)
		return error_set(err, ERR_INTERNAL, "supplementary groups "
		    "left after the drop");
	if (setresuid(-1, 0, -1) == 0 || setresgid(-1, 0, -1) == 0 ||
	    setgroups(0, NULL) == 0)
		return error_set(err, ERR_INTERNAL, "root could be taken back "
		    "after the drop");
	if (!caps_empty())
		return error_set(err, ERR_INTERNAL, "capabilities left after "
		    "the drop");
	return 0;
}
