/*
 * log: one line per event, to stderr (foreground, tools) or syslog.
 *
 * Messages are single lines; the controls of outside input are shown as
 * escapes (escape.h) so that a hostile subject or report-id cannot forge
 * log lines or act on the terminal that reads them. Events that carry
 * outside fields use log_event(): key="value" pairs with \ and " escaped,
 * the fields that matter first, each value cut to a bound, so that a long
 * value cannot push the outcome off the line (doc/output.md).
 */
#ifndef TLSRPT_LOG_H
#define TLSRPT_LOG_H

#include <stddef.h>

#include "bounds.h"

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Send lines to syslog (ident, facility mail) instead of stderr. */
void log_to_syslog(const char *ident);

/* Lines above this level are dropped (default LOG_LVL_INFO). */
void log_set_level(enum log_level level);

/* Silence everything (the tools when they print their own results). */
void log_set_quiet(int quiet);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

struct log_field {
	const char *key;
	const char *value;	/* NULL: the field is left out */
};

/* One line: event, then key="value" for each of the n fields in order. */
void log_event(enum log_level level, const char *event,
	       const struct log_field *fields, size_t n);

#define log_err(...)	log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
