-- Watching and telling (doc/notify.md). notify_domain: the verdict last
-- announced for each domain, and whether its reports-stopped was told;
-- notify_failure: the (receiving MX, result type) pairs seen, so that a
-- new-failure is told once in 30 days; notify_outbox: one row per event
-- and receiver, written in the transaction that decided the event, kept
-- until the receiver took it (delivered_at) or 24 hours went by
-- (given_up_at).
CREATE TABLE notify_domain (
	domain TEXT PRIMARY KEY,
	verdict TEXT NOT NULL,
	stopped INTEGER NOT NULL DEFAULT 0,
	judged_at INTEGER NOT NULL
);
CREATE TABLE notify_failure (
	domain TEXT NOT NULL,
	receiving_mx_hostname TEXT NOT NULL,
	result_type TEXT NOT NULL,
	last_seen INTEGER NOT NULL,
	PRIMARY KEY (domain, receiving_mx_hostname, result_type)
);
CREATE TABLE notify_outbox (
	id INTEGER PRIMARY KEY,
	event_id TEXT NOT NULL,
	target TEXT NOT NULL,
	body TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	next_at INTEGER NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	delivered_at INTEGER,
	given_up_at INTEGER,
	UNIQUE (event_id, target)
);
CREATE INDEX notify_outbox_due ON notify_outbox (next_at)
	WHERE delivered_at IS NULL AND given_up_at IS NULL;
