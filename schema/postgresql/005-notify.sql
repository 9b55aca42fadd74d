-- Watching and telling (doc/notify.md). notify_domain: the verdict last
-- announced for each domain, and whether its reports-stopped was told;
-- notify_failure: the (receiving MX, result type) pairs seen, so that a
-- new-failure is told once in 30 days; notify_outbox: one row per event
-- and receiver, written in the transaction that decided the event, kept
-- until the receiver took it (delivered_at) or 24 hours went by
-- (given_up_at).
CREATE TABLE notify_domain (
	domain text PRIMARY KEY,
	verdict text NOT NULL,
	stopped bigint NOT NULL DEFAULT 0,
	judged_at bigint NOT NULL
);
CREATE TABLE notify_failure (
	domain text NOT NULL,
	receiving_mx_hostname text NOT NULL,
	result_type text NOT NULL,
	last_seen bigint NOT NULL,
	PRIMARY KEY (domain, receiving_mx_hostname, result_type)
);
CREATE TABLE notify_outbox (
	id bigserial PRIMARY KEY,
	event_id text NOT NULL,
	target text NOT NULL,
	body text NOT NULL,
	created_at bigint NOT NULL,
	next_at bigint NOT NULL,
	attempts bigint NOT NULL DEFAULT 0,
	delivered_at bigint,
	given_up_at bigint,
	UNIQUE (event_id, target)
);
CREATE INDEX notify_outbox_due ON notify_outbox (next_at)
	WHERE delivered_at IS NULL AND given_up_at IS NULL;
