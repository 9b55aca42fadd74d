/* log: see include/log.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

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
	char line[2048], *msg, *c;
	size_t head = 0, len;
	va_list ap;
	int n;

	if (quiet || level > max_level)
		return;
	/* On standard error, "time level: " first, then the message after
	 * it, in one buffer; syslog stamps its own. */
	if (!use_syslog) {
		rfc3339_format((int64_t)time(NULL), line);
		head = strlen(line);
		n = snprintf(line + head, sizeof(line) - head, " %s: ",
		    name[level]);
		head += (size_t)n;
	}
	msg = line + head;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(line) - head - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	len = (size_t)n < sizeof(line) - head - 1 ? (size_t)n :
	    sizeof(line) - head - 2;
	for (c = msg; c < msg + len; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	if (use_syslog) {
		syslog(prio[level], "%s", msg);
		return;
	}
	/* One write per line: lines from several threads never interleave. */
	msg[len] = '\n';
	(void)!write(STDERR_FILENO, line, head + len + 1);
}
