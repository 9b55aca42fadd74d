-- Junk cannot fill the disk (doc/retention.md).
--
-- A rejected payload over 1 MiB is kept as its first 1 MiB: kept is how
-- many bytes of it data holds (NULL: all of size), and sha256 the SHA-256
-- of the whole payload as received, hex, kept for every rejected payload.
ALTER TABLE payload ADD COLUMN kept INTEGER;
ALTER TABLE payload ADD COLUMN sha256 TEXT;

DROP VIEW quarantine;
CREATE VIEW quarantine AS
	SELECT id AS payload_id, received_at, source, peer, user_agent,
	       message_id, path, part, size, reason, kept, sha256
	FROM payload WHERE outcome = 'rejected';

-- retention-days removes the reports whose range ended before its cut,
-- each with the payloads that name it: found through these two indexes,
-- so that a pass reads what it removes and not the whole store. A
-- rejected payload names no report, and is not in the second.
CREATE INDEX report_end ON report (end_time);
CREATE INDEX payload_report ON payload (report) WHERE report IS NOT NULL;
