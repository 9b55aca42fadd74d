/* Unit tests: config. */
#include <string.h>

#include "bounds.h"
#include "config.h"
#include "tap.h"

int
main(void)
{
	static const char good[] =
	    "# tlsrptd\n"
	    "database = /var/lib/tlsrptd/tlsrpt.db\n"
	    "  listen=[::]:443  \n"
	    "\n"
	    "max-body = 2M\n"
	    "max-inflated = 64 MiB\n"
	    "connection-timeout = 2m\n"
	    "request-deadline = 90s\n"
	    "api-token = \"two words # not a comment\"\n"
	    "dkim-authserv-id = mx.example.com\n"
	    "user = tlsrpt\n"
	    "group = mail\n"
	    "retention-days = 400\n";
	struct config cfg;
	struct error err;

	config_init(&cfg);
	is_str(cfg.database, "tlsrpt.db", "default database");
	is_int(cfg.pipeline.payload_max, 10 * 1024 * 1024, "default body");
	ok(cfg.user == NULL && cfg.group == NULL, "no user by default");
	is_int(cfg.retention_days, 0, "retention-days: everything kept by "
	    "default");
	ok(cfg.max_connections == BOUND_CONNECTIONS &&
	    cfg.max_connections_per_client == BOUND_CONNECTIONS_PER_CLIENT &&
	    cfg.connection_timeout == BOUND_CONNECTION_TIMEOUT &&
	    cfg.request_deadline == BOUND_REQUEST_DEADLINE,
	    "connection limits and the request deadline from bounds.h");
	ok(cfg.spool_max == BOUND_SPOOL_MAX && cfg.maildir_rescan == 60,
	    "the other defaults of the table");
	ok(strstr(cfg.tls_priority, "+VERS-TLS1.2") != NULL &&
	    strstr(cfg.tls_priority, "-VERS-ALL") != NULL &&
	    strstr(cfg.tls_priority, "+AEAD") != NULL &&
	    strstr(cfg.tls_priority, "%SERVER_PRECEDENCE") != NULL,
	    "default tls-priority: TLS 1.2 and 1.3, AEAD, server's order");
	ok(config_parse(&cfg, good, sizeof(good) - 1, "t.conf", &err) == 0,
	    "a good config parses");
	is_str(cfg.database, "/var/lib/tlsrptd/tlsrpt.db", "database");
	is_str(cfg.listen, "[::]:443", "trimmed value");
	is_int(cfg.pipeline.payload_max, 2 * 1024 * 1024, "size suffix");
	is_int(cfg.pipeline.limits.inflated_max, 64 * 1024 * 1024, "MiB");
	is_int(cfg.connection_timeout, 120, "minutes");
	is_int(cfg.request_deadline, 90, "request-deadline");
	is_str(cfg.api_token, "two words # not a comment", "quoted value");
	is_str(cfg.pipeline.dkim_authserv_id, "mx.example.com", "dkim id");
	is_str(cfg.user, "tlsrpt", "user");
	is_str(cfg.group, "mail", "group");
	is_int(cfg.retention_days, 400, "retention-days");

	ok(config_parse(&cfg, "x\n", 2, "t.conf", &err) < 0, "no '='");
	is_str(err.msg, "t.conf:1: expected \"key = value\"", "says where");
	ok(config_parse(&cfg, "\nlisten = a\nmax-bdy = 1\n", 26, "t.conf",
	    &err) < 0, "unknown key");
	is_str(err.msg, "t.conf:3: unknown setting \"max-bdy\"", "names it");
	ok(config_parse(&cfg, "max-body = lots\n", 16, "t.conf", &err) < 0,
	    "bad size: %s", err.msg);
	ok(config_parse(&cfg, "max-body = 2G\n", 14, "t.conf", &err) < 0,
	    "size over its maximum: %s", err.msg);
	ok(config_parse(&cfg, "max-connections = -1\n", 21, "t.conf", &err) <
	    0, "negative: %s", err.msg);
	ok(config_parse(&cfg, "retention-days = 36501\n", 23, "t.conf",
	    &err) < 0 && strstr(err.msg, "at most 36500") != NULL,
	    "retention-days over a century: %s", err.msg);
	ok(config_parse(&cfg, "retention-days = 30d\n", 21, "t.conf",
	    &err) < 0, "retention-days is a number of days: %s", err.msg);

	/* Repeatable receivers of events (notify.h). */
	static const char hooks[] = "notify-webhook = https://a.example/h\n"
	    "notify-webhook = http://127.0.0.1:9/x\nnotify-mail = a@b.example\n";
	ok(config_parse(&cfg, hooks, sizeof(hooks) - 1, "t.conf", &err) == 0,
	    "webhooks and mail");
	is_int(cfg.notify_webhook.n, 2, "two webhooks kept");
	is_str(cfg.notify_webhook.v[1], "http://127.0.0.1:9/x", "in order");
	is_str(cfg.sendmail, "/usr/sbin/sendmail", "sendmail by default");
	ok(config_parse(&cfg, "notify-webhook = ftp://x/\n", 25, "t.conf",
	    &err) < 0, "a webhook that is not http(s): %s", err.msg);
	ok(config_parse(&cfg, "notify-mail = a@b\tBcc: c@d\n", 28, "t.conf",
	    &err) < 0, "an address that would add a header: %s", err.msg);
	ok(config_parse(&cfg, "notify-webhook =\n", 17, "t.conf", &err) ==
	    0 && cfg.notify_webhook.n == 0, "empty: forgets the list");
	config_release(&cfg);

	/* What a reload cannot change: named, and nothing else. */
	{
		static const char changed[] = "listen = *:443\n"
		    "max-body = 1M\nlog-level = debug\n"
		    "maildir-rescan = 5s\n"
		    "notify-webhook = https://a.example/h\n";
		struct config next;
		char names[512], tiny[12];

		config_init(&cfg);
		config_init(&next);
		is_int(config_restart_changes(&cfg, &next, names,
		    sizeof(names)), 0, "the same config: nothing to restart");
		is_str(names, "", "... no names");
		ok(config_parse(&next, changed, sizeof(changed) - 1, "t.conf",
		    &err) == 0, "a config changed in five settings");
		is_int(config_restart_changes(&cfg, &next, names,
		    sizeof(names)), 3, "three of them need a restart");
		is_str(names, "listen, maildir-rescan, notify-webhook",
		    "... named in the table's order");
		ok(config_set(&next, "listen", "127.0.0.1:8443", &err) == 0 &&
		    config_set(&next, "notify-webhook", "", &err) == 0 &&
		    config_set(&next, "maildir-rescan", "60", &err) == 0 &&
		    config_set(&next, "api-token", "", &err) == 0 &&
		    config_restart_changes(&cfg, &next, names,
		    sizeof(names)) == 0, "back to the start's values, and "
		    "\"\" for no token as none: nothing");
		ok(config_set(&next, "database", "other.db", &err) == 0 &&
		    config_set(&next, "sendmail", "/bin/true", &err) == 0 &&
		    config_restart_changes(&cfg, &next, tiny,
		    sizeof(tiny)) == 2, "a short buffer: both counted");
		is_str(tiny, "database...", "... the names cut, and seen so");
		config_release(&next);
		config_release(&cfg);
	}
	return tap_done();
}
