-- Junk cannot fill the disk (doc/retention.md).
--
-- A rejected payload over 1 MiB is kept as its first 1 MiB: kept is how
-- many bytes of it data holds (NULL: all of size), and sha256 the SHA-256
-- of the whole payload as received, hex, kept for every rejected payload.
-- The indexes retention-days reads, the reports' report_end and the
-- payloads' payload_report, are there from migration 001.
ALTER TABLE payload
	ADD COLUMN kept bigint,
	ADD COLUMN sha256 text;

CREATE OR REPLACE VIEW quarantine AS
	SELECT id AS payload_id, received_at, source, peer, user_agent,
	       message_id, path, part, size, reason, kept, sha256
	FROM payload WHERE outcome = 'rejected';
