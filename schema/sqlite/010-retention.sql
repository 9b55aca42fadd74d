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

-- retention-days removes a report with the payloads that name it, found
-- through this index rather than by reading every payload (their data
-- with them). A rejected payload names no report, and is not in it. The
-- reports themselves are found by reading their rows, which are small,
-- once a pass: an index of their ends would cost each put as much as
-- this one, whether retention-days is set or not.
CREATE INDEX payload_report ON payload (report) WHERE report IS NOT NULL;
