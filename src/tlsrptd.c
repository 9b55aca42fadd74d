/*
 * tlsrptd: the daemon (doc/commands.md). Takes reports over HTTPS and
 * from a maildir, serves the read API, reloads on SIGHUP, drains on
 * SIGTERM. This file only parses options, puts the modules together and
 * waits for signals; the work is in http.c, maildir.c, ingest.c, tls.c.
 *
 * Exit: 0 after SIGTERM or a good -n; 64 usage; 78 a bad config; 66 the
 * store cannot be opened; 75 the store is locked, or another daemon holds
 * the pidfile; 71 a listener, the certificate or the pidfile cannot be
 * set up.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "budget.h"
#include "cli.h"
#include "config.h"
#include "first_run.h"
#include "fmt.h"
#include "http.h"
#include "http_ingest.h"
#include "ingest.h"
#include "log.h"
#include "mail.h"
#include "notify.h"
#include "maildir.h"
#include "metrics.h"
#include "pidfile.h"
#include "spool.h"
#include "priv.h"
#include "retention.h"
#include "rfc3339.h"
#include "store.h"
#include "store_reader.h"
#include "tls.h"
#include "version.h"
#include "watch.h"
#include "banned.h"

#define OVERRIDES_MAX	16

/*
 * Group commit, as PostgreSQL's commit_delay and commit_siblings: while
 * at least COMMIT_SIBLINGS other connections are busy (new, or with a
 * request not yet answered) and have not handed the store a report yet,
 * a report waits up to COMMIT_DELAY_US for them (store_start_writer()).
 * Each commit and disk flush costs the same CPU whether it serves one
 * report or fifty: in a burst of senders, where the CPU is what limits
 * the rate, a longer wait costs no throughput and saves CPU. With fewer
 * connections busy than that, latency is what limits them, and a report
 * does not wait (BENCHMARKS.md).
 */
#define COMMIT_DELAY_US	10000
#define COMMIT_SIBLINGS	16

/* A setting given on the command line: it wins over the file, always. */
struct override {
	const char *key;
	const char *value;
};

struct daemon_state {
	const char *argv0;
	const char *config_path;	/* NULL: embedded defaults */
	struct override ov[OVERRIDES_MAX];
	size_t nov;
	int foreground;
	int check_only;
	int self_signed;	/* make a certificate when there is none */
	int ready_fd;		/* to the waiting parent, or -1 */
	struct config cfg;
	struct priv priv;	/* the user to become, from cfg */
	struct pidfile pidfile;	/* held while daemonised */
	struct tls *tls;
	struct store *store;
	struct store_readers *readers;	/* the API's; NULL: no API */
	struct ingest in;
	int ingest_ready;
	struct budget budget;	/* of decoding, daemon-wide */
	struct spool *spool;	/* NULL: none (no spool-dir) */
	struct http_server *http;
	struct maildir_watch *watch;
	struct retention *retention;	/* retention-days */
	struct notify *notify;	/* delivers the outbox's events */
	struct watch *judge;	/* keeps every verdict current */
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tlsrptd [--config FILE] [--db PATH|URI] "
	    "[--listen ADDR:PORT]\n"
	    "               [--tls-cert FILE --tls-key FILE] "
	    "[--api-listen ADDR:PORT]\n"
	    "               [--maildir DIR] [--user USER] [--foreground] [-n]\n"
	    "\n"
	    "Take SMTP TLS reports (RFC 8460) over HTTPS and from a maildir.\n"
	    "\n"
	    "  --config FILE        settings (tlsrptd.conf(5)); without it the\n"
	    "                       embedded defaults: " RUN_DATABASE ", HTTPS\n"
	    "                       on 127.0.0.1:8443 with a self-signed\n"
	    "                       certificate made in var/tls/, the API on\n"
	    "                       127.0.0.1:8080, the maildir " RUN_MAILDIR
	    "\n"
	    "  --db PATH|URI        the store: a SQLite file, or a\n"
	    "                       postgresql:// URI (several nodes)\n"
	    "  --listen ADDR:PORT   where senders post (\"\" for none)\n"
	    "  --tls-cert FILE      PEM certificate chain (with --tls-key);\n"
	    "  --tls-key FILE       without them plain HTTP\n"
	    "  --api-listen ADDR:PORT  the read API and metrics\n"
	    "  --maildir DIR        a maildir to watch for report emails\n"
	    "  --user USER          started as root: run as USER once the\n"
	    "                       ports are bound (the user setting)\n"
	    "  --foreground, -f     stay in the foreground, log to stderr\n"
	    "  -n                   check the configuration and exit\n"
	    "  --help               this text\n"
	    "  --version            the version\n"
	    "\n"
	    "Without --foreground the daemon writes its pid to the pidfile\n"
	    "setting (/run/tlsrptd.pid; " RUN_PIDFILE " with the embedded\n"
	    "defaults). SIGHUP reloads the certificate and the settings that\n"
	    "allow it; SIGTERM stops taking connections, finishes what is in\n"
	    "flight and exits 0. Exit: 64 usage, 78 bad configuration, 66 the\n"
	    "store cannot be opened, 75 it is locked or another daemon holds\n"
	    "the pidfile, 71 a listener, certificate or pidfile cannot be set\n"
	    "up.\n");
}

/* Tell a waiting parent how the start went, once. */
static void
report_ready(struct daemon_state *ds, int code)
{
	unsigned char c = (unsigned char)code;

	if (ds->ready_fd < 0)
		return;
	while (write(ds->ready_fd, &c, 1) < 0 && errno == EINTR)
		;
	close(ds->ready_fd);
	ds->ready_fd = -1;
}

/* A start-up failure: said on stderr (and in the log), then exit. */
static void __attribute__((noreturn, format(printf, 3, 4)))
die(struct daemon_state *ds, int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vfmt_cut(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "tlsrptd: %s\n", msg);
	if (!ds->foreground)
		log_err("%s", msg);
	pidfile_release(&ds->pidfile);
	report_ready(ds, code);
	exit(code);
}

static int
level_of(const char *name, enum log_level *out)
{
	static const char *const names[] = {
		"error", "warning", "info", "debug",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (name != NULL && strcmp(name, names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	return -1;
}

/*
 * Build a config: the built-in defaults, the embedded ones of `make run`
 * when there is no file, the file, then the command line; and who its
 * user and group are.
 */
static int
load_config(struct daemon_state *ds, struct config *cfg, struct priv *who,
	    struct error *err)
{
	const char *from = ds->config_path ? ds->config_path :
	    "command line";
	enum log_level lvl;
	size_t i;

	config_init(cfg);
	if (ds->config_path == NULL) {
		if (first_run_config(cfg, err) < 0)
			return -1;
	} else if (config_load(cfg, ds->config_path, err) < 0) {
		return -1;
	}
	for (i = 0; i < ds->nov; i++)
		if (config_set(cfg, ds->ov[i].key, ds->ov[i].value, err) < 0)
			return error_prefix(err, "--%s", ds->ov[i].key);
	if (ds->self_signed && !config_given(cfg->tls_cert) &&
	    first_run_certificate(cfg, err) < 0)
		return -1;
	if (config_given(cfg->tls_cert) != config_given(cfg->tls_key))
		return error_set(err, ERR_INPUT, "%s: tls-cert and tls-key go "
		    "together", from);
	if (level_of(cfg->log_level, &lvl) < 0)
		return error_set(err, ERR_INPUT, "%s: log-level \"%s\": use "
		    "error, warning, info or debug", from, cfg->log_level);
	if (!config_given(cfg->database))
		return error_set(err, ERR_INPUT, "no database given");
	if (http_check_config(cfg, err) < 0 ||
	    tls_check_priority(cfg->tls_priority, err) < 0 ||
	    priv_init(who, cfg->user, cfg->group, err) < 0)
		return error_prefix(err, "%s", from);
	return 0;
}

/* SIGHUP: the certificate, and the settings that can change in flight. */
static void
reload(struct daemon_state *ds)
{
	struct config next;
	struct priv who;	/* user and group change only at start */
	struct error err;
	enum log_level lvl;
	char restart[512];
	int ok = 1, tls_flip;

	error_clear(&err);
	if (load_config(ds, &next, &who, &err) < 0) {
		/* After the drop the file is read as the user. */
		log_err("reload: %s%s%s; keeping the running configuration",
		    err.msg, ds->priv.drop && err.kind == ERR_IO ?
		    ": it must be readable by user " : "",
		    ds->priv.drop && err.kind == ERR_IO ? ds->priv.user : "");
		config_release(&next);
		metrics_count_reload(0);
		return;
	}
	/* HTTPS turned on or off is a listener of another kind. */
	tls_flip = config_given(next.tls_cert) != (ds->tls != NULL);
	if (config_restart_changes(&ds->cfg, &next, restart,
	    sizeof(restart)) > 0 || tls_flip)
		log_warn("reload: %s%s%s: changed, but these take effect "
		    "only with a restart", restart, restart[0] && tls_flip ?
		    ", " : "", tls_flip ? "tls-cert given or removed" : "");
	if (ds->tls != NULL && config_given(next.tls_cert)) {
		if (tls_reload(ds->tls, next.tls_cert, next.tls_key,
		    &err) < 0) {
			/* After the drop the files are read as the user. */
			log_err("reload: %s%s%s; keeping the certificate in "
			    "use", err.msg, ds->priv.drop ? ": the certificate "
			    "and key must be readable by user " : "",
			    ds->priv.drop ? ds->priv.user : "");
			ok = 0;
		} else {
			log_info("reload: certificate %s loaded",
			    next.tls_cert);
		}
	}
	if (http_reconfigure(ds->http, &next, &err) < 0) {
		log_err("reload: %s", err.msg);
		ok = 0;
	}
	/* After this no pipeline call uses the old config's strings. */
	ingest_set_config(&ds->in, &next.pipeline);
	budget_set_max(&ds->budget, next.decode_budget);
	if (ds->spool != NULL)
		spool_set_limits(ds->spool, next.spool_max, next.spool_stall);
	retention_reload(ds->retention, next.retention_days);
	if (level_of(next.log_level, &lvl) == 0)
		log_set_level(lvl);
	config_release(&ds->cfg);
	ds->cfg = next;
	metrics_count_reload(ok);
	log_info("reloaded%s", ok ? "" : " with errors");
}

/*
 * Fork into the background; the parent waits until the child says how
 * its start went, so that `tlsrptd` still fails visibly on a taken port.
 */
static void
daemonise(struct daemon_state *ds)
{
	unsigned char code = EX_OSERR;
	int fds[2], null;
	pid_t pid;

	if (pipe(fds) < 0)
		die(ds, EX_OSERR, "pipe: %s", strerror(errno));
	if ((pid = fork()) < 0)
		die(ds, EX_OSERR, "fork: %s", strerror(errno));
	if (pid > 0) {
		close(fds[1]);
		while (read(fds[0], &code, 1) < 0 && errno == EINTR)
			;
		_exit(code);
	}
	close(fds[0]);
	ds->ready_fd = fds[1];
	setsid();
	if ((null = open("/dev/null", O_RDWR)) >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
}

static void
print_start(struct daemon_state *ds, int made_cert)
{
	const struct config *c = &ds->cfg;
	const char *scheme = ds->tls ? "https" : "http";
	char url[512];

	if (config_given(c->listen)) {
		if (fmt_whole(url, sizeof(url), "%s://%s%s", scheme,
		    strncmp(c->listen, "*:", 2) == 0 ? "localhost" : c->listen,
		    strncmp(c->listen, "*:", 2) == 0 ? c->listen + 1 : "") < 0)
			url[0] = '\0';
		log_info("taking reports at %s%s", url, c->ingest_path);
		if (ds->tls)
			log_info("certificate %s%s", c->tls_cert,
			    made_cert ? " (self-signed, made now)" : "");
	}
	if (config_given(c->api_listen))
		log_info("API and metrics at http://%s (/healthz, /metrics, "
		    "/api/v1/domains)", c->api_listen);
	log_info("database %s", c->database);
	if (config_given(c->maildir))
		log_info("watching the maildir %s", c->maildir);
	/* The first steps, for `make run` only: a real config has its own. */
	if (!ds->foreground || !config_given(c->listen) ||
	    ds->config_path != NULL)
		return;
	first_run_steps(&ds->cfg, ds->tls != NULL, ds->argv0, url);
}

/*
 * The first line logged: who the daemon runs as, and a warning when that
 * is root for good.
 */
static void
say_who(struct daemon_state *ds)
{
	if (ds->priv.drop)
		return;
	if (geteuid() == 0)
		log_warn("running as root: set user (and group) in the "
		    "configuration, or --user, so that tlsrptd gives up root "
		    "once its ports are bound (tlsrptd.conf(5))");
	else if (config_given(ds->cfg.user) && geteuid() != ds->priv.uid)
		log_warn("user %s: not started as root, so running on as uid "
		    "%lu", ds->priv.user, (unsigned long)geteuid());
}

/* As the user to become (on) or as root again (off); no-op without. */
static void
as_user(struct daemon_state *ds, int on)
{
	struct error err;

	error_clear(&err);
	if ((on ? priv_assume(&ds->priv, &err) :
	    priv_restore(&ds->priv, &err)) < 0)
		die(ds, EX_OSERR, "%s", err.msg);
}

/* A file made or opened as the user that it could not: say who. */
static const char *
as_whom(struct daemon_state *ds, char *buf, size_t len)
{
	if (!ds->priv.drop)
		return "";
	return fmt_whole(buf, len, " (as user %s, who runs the daemon: it "
	    "must be able to write there)", ds->priv.user) == 0 ? buf : "";
}

/*
 * -n: can the folders the daemon writes be written, as the user it will
 * run as? Each problem on stderr; the exit status the start would have
 * given for the first one, or EX_OK. A folder that the start makes (the
 * maildir, var/ of the embedded defaults) needs a writable parent.
 */
static void
check_one(struct daemon_state *ds, const char *what, const char *path,
	  int is_dir, int exit_code, int *rc)
{
	char dir[4096], who[160];
	const char *probe = path;
	struct stat sb;
	char *slash;

	if (!config_given(path) || store_is_postgresql(path) ||
	    fmt_whole(dir, sizeof(dir), "%s", path) < 0)
		return;
	/* A file is written in its folder (SQLite's log beside it). */
	if (!is_dir || stat(path, &sb) < 0) {
		if ((slash = strrchr(dir, '/')) == NULL)
			memcpy(dir, ".", 2);
		else if (slash == dir)
			dir[1] = '\0';
		else
			*slash = '\0';
		probe = dir;
		if (ds->config_path == NULL && strcmp(dir, RUN_DIR) == 0 &&
		    stat(dir, &sb) < 0)
			return;	/* ./var, made at start */
	}
	/* As the effective user (priv_assume), not the real one. */
	if (faccessat(AT_FDCWD, probe, W_OK | X_OK, AT_EACCESS) == 0 &&
	    (is_dir || faccessat(AT_FDCWD, path, F_OK, AT_EACCESS) < 0 ||
	    faccessat(AT_FDCWD, path, R_OK | W_OK, AT_EACCESS) == 0))
		return;
	fprintf(stderr, "tlsrptd: %s %s: %s%s%s%s\n", what, path,
	    probe == path ? "" : probe, probe == path ? "" : ": ",
	    strerror(errno), as_whom(ds, who, sizeof(who)));
	if (*rc == EX_OK)
		*rc = exit_code;
}

static int
check_paths(struct daemon_state *ds)
{
	struct error err;
	int rc = EX_OK;

	error_clear(&err);
	if (ds->priv.drop && priv_assume(&ds->priv, &err) < 0) {
		fprintf(stderr, "tlsrptd: %s\n", err.msg);
		return EX_OSERR;
	}
	check_one(ds, "database", ds->cfg.database, 0, EX_NOINPUT, &rc);
	check_one(ds, "maildir", ds->cfg.maildir, 1, EX_OSERR, &rc);
	check_one(ds, "spool-dir", ds->cfg.spool_dir, 1, EX_OSERR, &rc);
	if (ds->priv.drop && priv_restore(&ds->priv, &err) < 0) {
		fprintf(stderr, "tlsrptd: %s\n", err.msg);
		return EX_OSERR;
	}
	return rc;
}

/*
 * The spool of bodies the daemon cannot decode or store at once: spool-dir,
 * or beside a SQLite store; none for a PostgreSQL store without one.
 */
static void
open_spool(struct daemon_state *ds)
{
	char dir[4096], who[160];
	struct error err;

	error_clear(&err);
	if (config_given(ds->cfg.spool_dir)) {
		if (fmt_whole(dir, sizeof(dir), "%s", ds->cfg.spool_dir) < 0)
			die(ds, EX_CONFIG, "spool-dir: longer than %zu bytes",
			    sizeof(dir) - 1);
	} else
		spool_default_dir(ds->cfg.database,
		    strcmp(store_backend(ds->store), "sqlite") == 0, dir,
		    sizeof(dir));
	if (dir[0] == '\0') {
		log_warn("no spool-dir: a post the daemon cannot store at once "
		    "is answered 503, and senders do not retry");
		return;
	}
	if ((ds->spool = spool_open(dir, ds->cfg.spool_max,
	    ds->cfg.spool_stall, &err)) == NULL)
		die(ds, EX_OSERR, "%s%s", err.msg, as_whom(ds, who,
		    sizeof(who)));
	log_info("spool %s (spool-max-bytes %zu)", dir, ds->cfg.spool_max);
}

/*
 * The pidfile of a daemonised tlsrptd, written by the forked daemon as
 * whoever started it (root, for /run): another daemon holding it stops
 * this start, naming its pid.
 */
static void
take_pidfile(struct daemon_state *ds)
{
	struct error err;

	if (ds->foreground || !config_given(ds->cfg.pidfile))
		return;
	error_clear(&err);
	if (pidfile_take(&ds->pidfile, ds->cfg.pidfile, &err) < 0)
		die(ds, err.kind == ERR_BUSY ? EX_TEMPFAIL : EX_OSERR, "%s%s",
		    err.msg, err.kind == ERR_IO ? "; set pidfile in the "
		    "configuration to a file this user may write, or to \"\" "
		    "for none (tlsrptd.conf(5))" : "");
}

/*
 * Root is needed to read a key only root may read and to bind a port
 * under 1024; the store, the maildir and a certificate of our own are
 * made and opened as the user (priv.h). Root is given up for good before
 * the first thread starts (doc/privileges.md).
 */
static void
start(struct daemon_state *ds)
{
	struct http_sockets socks;
	struct error err;
	char who[160];
	int made = 0;

	error_clear(&err);
	if (!ds->foreground)
		log_to_syslog("tlsrptd");
	say_who(ds);
	if (ds->self_signed && config_given(ds->cfg.tls_cert)) {
		as_user(ds, 1);
		if (tls_make_self_signed(ds->cfg.tls_cert, ds->cfg.tls_key,
		    &made, &err) < 0)
			die(ds, EX_OSERR, "%s%s", err.msg,
			    as_whom(ds, who, sizeof(who)));
		as_user(ds, 0);
	}
	if (config_given(ds->cfg.tls_cert) &&
	    (ds->tls = tls_load(ds->cfg.tls_cert, ds->cfg.tls_key,
	    &err)) == NULL)
		die(ds, err.kind == ERR_IO ? EX_OSERR : EX_CONFIG, "%s",
		    err.msg);
	if (!ds->foreground)
		daemonise(ds);
	report_init();
	mail_init();
	metrics_init();
	as_user(ds, 1);
	/* The embedded defaults keep everything in ./var: made on first
	 * start, as a fresh clone has none. */
	if (ds->config_path == NULL && mkdir(RUN_DIR, 0755) < 0 &&
	    errno != EEXIST)
		die(ds, EX_OSERR, "%s: %s%s", RUN_DIR, strerror(errno),
		    as_whom(ds, who, sizeof(who)));
	as_user(ds, 0);
	take_pidfile(ds);
	as_user(ds, 1);
	if ((ds->store = store_open(ds->cfg.database, &err)) == NULL)
		die(ds, err.kind == ERR_BUSY ? EX_TEMPFAIL : EX_NOINPUT, "%s%s",
		    err.msg, as_whom(ds, who, sizeof(who)));
	/* The API reads through connections of its own: never after a
	 * report being stored. */
	if (config_given(ds->cfg.api_listen) &&
	    (ds->readers = store_readers_open(ds->cfg.database, API_READERS,
	    &err)) == NULL)
		die(ds, err.kind == ERR_BUSY ? EX_TEMPFAIL : EX_NOINPUT, "%s%s",
		    err.msg, as_whom(ds, who, sizeof(who)));
	if (config_given(ds->cfg.maildir) &&
	    maildir_prepare(ds->cfg.maildir, &err) < 0)
		die(ds, EX_OSERR, "maildir: %s%s", err.msg,
		    as_whom(ds, who, sizeof(who)));
	open_spool(ds);
	as_user(ds, 0);
	if (http_bind(&ds->cfg, &socks, &err) < 0)
		die(ds, err.kind == ERR_INPUT ? EX_CONFIG : EX_OSERR, "%s",
		    err.msg);
	if (priv_drop(&ds->priv, &err) < 0)
		die(ds, EX_OSERR, "giving up root: %s", err.msg);
	if (ds->priv.drop)
		log_info("running as user %s, group %s (uid %lu, gid %lu), "
		    "without capabilities", ds->priv.user, ds->priv.group,
		    (unsigned long)ds->priv.uid, (unsigned long)ds->priv.gid);
	ingest_init(&ds->in, ds->store, &ds->cfg.pipeline);
	ingest_set_readers(&ds->in, ds->readers);
	ds->ingest_ready = 1;
	budget_init(&ds->budget, ds->cfg.decode_budget);
	ingest_set_spool(&ds->in, &ds->budget, ds->spool);
	if (config_given(ds->cfg.maildir)) {
		ds->watch = maildir_start(ds->cfg.maildir,
		    ds->cfg.maildir_rescan, &ds->in, &err);
		if (ds->watch == NULL)
			die(ds, EX_OSERR, "maildir: %s", err.msg);
	}
	if ((ds->http = http_start(&ds->cfg, &socks, ds->tls, &ds->in,
	    &err)) == NULL)
		die(ds, err.kind == ERR_INPUT ? EX_CONFIG : EX_OSERR, "%s",
		    err.msg);
	if (store_start_writer(ds->store, COMMIT_DELAY_US, COMMIT_SIBLINGS,
	    http_busy_connections, ds->http, &err) < 0)
		die(ds, EX_OSERR, "%s", err.msg);
	if (ds->spool != NULL && spool_start(ds->spool, http_ingest_spooled,
	    &ds->in, &err) < 0)
		die(ds, EX_OSERR, "%s", err.msg);
	if ((ds->notify = notify_start(ds->store, &ds->cfg, &err)) == NULL ||
	    (ds->judge = watch_start(ds->store, &ds->cfg, ds->notify,
	    &err)) == NULL ||
	    (ds->retention = retention_start(ds->store,
	    ds->cfg.retention_days, &err)) == NULL)
		die(ds, EX_OSERR, "%s", err.msg);
	print_start(ds, made);
	report_ready(ds, EX_OK);
}

static void
stop(struct daemon_state *ds)
{
	unsigned wait = ds->cfg.connection_timeout;
	char held[1024];

	log_info("stopping: finishing the requests in flight");
	http_drain(ds->http, wait < 5 ? 5 : wait);
	watch_stop(ds->judge);
	notify_stop(ds->notify);
	spool_stop(ds->spool);
	maildir_stop(ds->watch);
	retention_stop(ds->retention);
	if (ds->store != NULL)
		store_stop_writer(ds->store);
	http_stop(ds->http);
	store_readers_close(ds->readers);
	spool_close(ds->spool);
	if (ds->ingest_ready) {
		ingest_release(&ds->in);
		budget_release(&ds->budget);
	}
	store_close(ds->store);
	tls_free(ds->tls);
	/* After giving up root, /run cannot be written: the file stays,
	 * empty and held by nobody, and the next start takes it over. The
	 * file held, not the setting: a reload may have changed that. */
	fmt_cut(held, sizeof(held), "%s", ds->pidfile.path ?
	    ds->pidfile.path : "");
	if (pidfile_release(&ds->pidfile) == 1)
		log_info("pidfile %s: emptied, not removed%s%s%s",
		    held, ds->priv.drop ? ": user " : "",
		    ds->priv.drop ? ds->priv.user : "", ds->priv.drop ?
		    " may not remove it from its folder" : "");
	log_info("stopped");
	config_release(&ds->cfg);
}

/* A setting given on the command line: --NAME VALUE, NAME the setting's
 * but for --db (database). Returns whether it names the certificate. */
static int
add_override(struct daemon_state *ds, const char *name, const char *value)
{
	const char *key = strcmp(name, "db") == 0 ? "database" : name;

	if (ds->nov < OVERRIDES_MAX) {
		ds->ov[ds->nov].key = key;
		ds->ov[ds->nov].value = value;
		ds->nov++;
	}
	return strncmp(key, "tls-", 4) == 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'o' },
		{ "listen", required_argument, NULL, 'o' },
		{ "tls-cert", required_argument, NULL, 'o' },
		{ "tls-key", required_argument, NULL, 'o' },
		{ "api-listen", required_argument, NULL, 'o' },
		{ "maildir", required_argument, NULL, 'o' },
		{ "user", required_argument, NULL, 'o' },
		{ "foreground", no_argument, NULL, 'f' },
		CLI_OPTIONS_END,
	};
	struct daemon_state ds;
	struct error err;
	enum log_level lvl;
	sigset_t set;
	int ch, sig, rc, idx = 0, tls_given = 0;

	memset(&ds, 0, sizeof(ds));
	ds.ready_fd = -1;
	pidfile_init(&ds.pidfile);
	ds.argv0 = argv[0];
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:fn", opts, &idx)) != -1) {
		switch (ch) {
		case 'c':
			ds.config_path = optarg;
			break;
		case 'o':
			tls_given |= add_override(&ds, opts[idx].name, optarg);
			break;
		case 'f':
			ds.foreground = 1;
			break;
		case 'n':
			ds.check_only = 1;
			break;
		default:
			return cli_other_option("tlsrptd", ch, argv, usage);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tlsrptd: unexpected argument %s; see tlsrptd "
		    "--help\n", argv[optind]);
		return EX_USAGE;
	}
	ds.foreground = ds.foreground || ds.check_only;
	/* Without a config file, HTTPS with a certificate of our own. */
	ds.self_signed = ds.config_path == NULL && !tls_given;

	error_clear(&err);
	if (load_config(&ds, &ds.cfg, &ds.priv, &err) < 0) {
		config_release(&ds.cfg);
		fprintf(stderr, "tlsrptd: %s%s\n", err.msg,
		    cli_config_hint(ds.config_path, &err));
		return EX_CONFIG;
	}
	if (ds.check_only) {
		if (config_given(ds.cfg.tls_cert) && !ds.self_signed) {
			struct tls *t = tls_load(ds.cfg.tls_cert,
			    ds.cfg.tls_key, &err);

			if (t == NULL) {
				fprintf(stderr, "tlsrptd: %s\n", err.msg);
				config_release(&ds.cfg);
				return EX_CONFIG;
			}
			tls_free(t);
		}
		if ((rc = check_paths(&ds)) != EX_OK) {
			config_release(&ds.cfg);
			return rc;
		}
		printf("tlsrptd: configuration %s ok\n", ds.config_path ?
		    ds.config_path : "(embedded defaults)");
		config_release(&ds.cfg);
		return EX_OK;
	}
	if (level_of(ds.cfg.log_level, &lvl) == 0)
		log_set_level(lvl);

	/* Every thread started from here on leaves these to sigwait. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	start(&ds);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			log_info("SIGHUP: reloading");
			reload(&ds);
			continue;
		}
		log_info("%s: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
		break;
	}
	stop(&ds);
	return EX_OK;
}
