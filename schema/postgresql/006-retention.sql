-- Junk cannot fill the disk (doc/retention.md).
--
-- A rejected payload over 1 MiB is kept as its first 1 MiB: kept is how
-- many bytes of it data holds (NULL: all of size), and sha256 the SHA-256
-- of the whole payload as received, hex, kept for every rejected payload.
-- retention-days walks the reports by (end_time, id): the index of
-- their ends takes the id too, so that each step of the walk is one
-- step through it instead of a sort of every report after it. The
-- payloads' index payload_report is there from migration 001. Removing
-- a report has the server check that no copy names it (first_copy):
-- without an index, a read of every report for each one removed. Only
-- the conflicting copies name one, and are in it.
DROP INDEX report_end;
CREATE INDEX report_end ON report (end_time, id);
CREATE INDEX report_first_copy ON report (first_copy)
	WHERE first_copy IS NOT NULL;
ALTER TABLE payload
	ADD COLUMN kept bigint,
	ADD COLUMN sha256 text;

CREATE OR REPLACE VIEW quarantine AS
	SELECT id AS payload_id, received_at, source, peer, user_agent,
	       message_id, path, part, size, reason, kept, sha256
	FROM payload WHERE outcome = 'rejected';
