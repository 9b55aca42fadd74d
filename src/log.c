/* log: see include/log.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "escape.h"
#include "fmt.h"
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

/* Write one message, its controls shown as escapes, as one line. */
static void
emit(enum log_level level, const char *msg)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO,
	    LOG_DEBUG };
	static const char *name[] = { "error", "warning", "info", "debug" };
	char line[LOG_LINE_MAX + 2];
	size_t head = 0, len;

	/* On standard error, "time level: " first; syslog stamps its own. */
	if (!use_syslog) {
		rfc3339_format((int64_t)time(NULL), line);
		head = strlen(line);
		fmt_cut(line + head, sizeof(line) - head, " %s: ",
		    name[level]);
		head += strlen(line + head);
	}
	escape_string(line + head, LOG_LINE_MAX - head, msg, 0);
	if (use_syslog) {
		syslog(prio[level], "%s", line);
		return;
	}
	/* One write per line: lines from several threads never interleave. */
	len = strlen(line);
	line[len] = '\n';
	(void)!write(STDERR_FILENO, line, len + 1);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char msg[LOG_LINE_MAX];
	va_list ap;

	if (quiet || level > max_level)
		return;
	va_start(ap, fmt);
	vfmt_cut(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	emit(level, msg);
}

void
log_event(enum log_level level, const char *event,
	  const struct log_field *f, size_t n)
{
	char msg[LOG_LINE_MAX], val[LOG_VALUE_MAX + 1];
	size_t len, i, need;

	if (quiet || level > max_level)
		return;
	fmt_cut(msg, sizeof(msg), "%s", event);
	len = strlen(msg);
	for (i = 0; i < n && len < sizeof(msg) - 1; i++) {
		if (f[i].value == NULL)
			continue;
		/* Cut at a whole escape or character, marked. */
		need = escape_string(val, sizeof(val) - 3, f[i].value,
		    ESCAPE_QUOTED);
		if (need >= sizeof(val) - 3)
			memcpy(val + strlen(val), "...", 4);
		fmt_cut(msg + len, sizeof(msg) - len, " %s=\"%s\"",
		    f[i].key, val);
		len += strlen(msg + len);
	}
	emit(level, msg);
}
