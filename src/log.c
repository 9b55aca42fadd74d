/* log: see include/log.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"
#include "rfc3339.h"
#include "banned.h"

static int use_syslog;
static int quiet;
static enum log_level max_level = LOG_LVL_INFO;

void
log_to_syslog(const char *ident)
{
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
	use_syslog = 1;
}

void
log_set_level(enum log_level level)
{
	max_level = level;
}

void
log_set_quiet(int q)
{
	quiet = q;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO,
	    LOG_DEBUG };
	static const char *name[] = { "error", "warning", "info", "debug" };
	char line[2048], ts[RFC3339_LEN];
	va_list ap;
	char *c;

	if (quiet || level > max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (c = line; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	if (use_syslog) {
		syslog(prio[level], "%s", line);
		return;
	}
	rfc3339_format((int64_t)time(NULL), ts);
	fprintf(stderr, "%s %s: %s\n", ts, name[level], line);
}
