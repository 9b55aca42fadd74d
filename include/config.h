/*
 * config: the settings of tlsrptd and its tools, with their defaults in
 * one place, read from a file of simple `key = value` lines (tlsrptd.conf,
 * man page tlsrptd.conf(5)). '#' starts a comment; blank lines are
 * ignored; every key is known (an unknown key is an error naming the file
 * and line, so that a typo never silently keeps a default).
 */
#ifndef TLSRPT_CONFIG_H
#define TLSRPT_CONFIG_H

#include <stddef.h>

#include "bounds.h"
#include "error.h"
#include "pipeline.h"

/* A setting that may be given several times: each adds a value. */
struct config_list {
	char **v;
	size_t n;
};

struct config {
	char *database;		/* SQLite path or postgresql:// URI */
	char *listen;		/* public listener, ADDR:PORT ("" = none) */
	char *tls_cert;		/* PEM; none means plain HTTP */
	char *tls_key;
	char *tls_priority;	/* GnuTLS priority string of the listener */
	char *api_listen;	/* read API listener ("" = none) */
	char *api_token;	/* bearer token for the API, or NULL */
	char *maildir;		/* maildir to watch, or NULL */
	char *ingest_path;	/* the POST path, default /v1/tlsrpt */
	char *trusted_proxies;	/* addresses whose X-Forwarded-For counts */
	char *log_level;	/* error, warning, info, debug */
	char *user;		/* started as root: the user to run as */
	char *group;		/* and its group (NULL: the user's own) */
	char *pidfile;		/* daemonised: the pid's file ("" = none) */
	unsigned max_connections;	/* public listener, in total */
	unsigned max_connections_per_client;
	unsigned connection_timeout;	/* seconds a connection may idle */
	unsigned request_deadline;	/* seconds a whole request may take */
	unsigned maildir_rescan;	/* seconds between full rescans */
	size_t decode_budget;	/* bytes being decoded at once, daemon-wide */
	char *spool_dir;	/* "" or NULL: beside a SQLite store */
	size_t spool_max;	/* bytes the spool may hold */
	unsigned spool_stall;	/* seconds before /healthz fails */
	unsigned retention_days;	/* 0: keep everything (doc/retention.md) */
	struct pipeline_config pipeline;	/* limits, DKIM rule */
	char *dkim_authserv_id;	/* storage for pipeline.dkim_authserv_id */
	char *public_url;	/* the API as people reach it, or NULL */
	struct config_list notify_webhook;	/* http:// or https:// URLs */
	struct config_list notify_mail;		/* addresses */
	char *sendmail;		/* the program notify-mail runs with -t */
};

/* Whether a setting is given: NULL or "" is none, and turns off what
 * the setting would start. */
int config_given(const char *value);

/* Fill cfg with the built-in defaults. */
void config_init(struct config *cfg);

/* Free what the config holds. */
void config_release(struct config *cfg);

/*
 * Read path into cfg (over what it holds). ERR_IO when the file cannot be
 * read, ERR_INPUT with "path:line: what is wrong" otherwise.
 */
int config_load(struct config *cfg, const char *path, struct error *err);

/* Parse the text of a config (name is used in messages). */
int config_parse(struct config *cfg, const char *text, size_t len,
		 const char *name, struct error *err);

/* Set one key (as from a file line); the same errors. */
int config_set(struct config *cfg, const char *key, const char *value,
	       struct error *err);

/*
 * The settings that take effect only at start (a listener, the store,
 * the receivers of events: config.c's table says which) whose values
 * differ between a and b. Their names, ", " between them, go to names
 * (cut with "..." when len is short; "" when none). Returns how many.
 */
size_t config_restart_changes(const struct config *a,
			      const struct config *b, char *names,
			      size_t len);

#endif
