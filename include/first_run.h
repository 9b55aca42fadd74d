/*
 * first_run: the embedded defaults tlsrptd starts on when no --config is
 * given (what `make run` gives a new user): everything under ./var, a
 * self-signed certificate made there on first start, and, once the
 * daemon listens, a demo report of yesterday and the next steps printed
 * on standard output (doc/commands.md). A real configuration has none of
 * this.
 */
#ifndef TLSRPT_FIRST_RUN_H
#define TLSRPT_FIRST_RUN_H

#include "config.h"
#include "error.h"

#define RUN_DIR		"var"
#define RUN_DATABASE	RUN_DIR "/tlsrpt.db"
#define RUN_TLS_CERT	RUN_DIR "/tls/cert.pem"
#define RUN_TLS_KEY	RUN_DIR "/tls/key.pem"
#define RUN_MAILDIR	RUN_DIR "/maildir"
#define RUN_PIDFILE	RUN_DIR "/tlsrptd.pid"
#define RUN_SAMPLE	RUN_DIR "/demo-report.json"
#define RUN_SAMPLE_DOMAIN "demo.example"

/* The embedded defaults into cfg: the database, maildir and pidfile. */
int first_run_config(struct config *cfg, struct error *err);

/* The self-signed certificate's paths into cfg, for HTTPS without one. */
int first_run_certificate(struct config *cfg, struct error *err);

/*
 * The demo report written to RUN_SAMPLE, then the next steps: how to post
 * it to url (cfg's ingest path appended; with tls, curl told of cfg's
 * certificate), the summary to run (the program beside argv0), the page
 * and API of cfg's api-listen, and where real reports go.
 */
void first_run_steps(const struct config *cfg, int tls, const char *argv0,
		     const char *url);

#endif
