-- Identity alone no longer makes a duplicate (doc/identity.md): a copy
-- of a report with the same identity and other content is stored as a
-- report of its own, since a forged copy that came first must not
-- silence the real one. The unique key is the identity and the digest
-- of the content; a report row names the first copy of its identity and
-- says whether copies disagree. SQLite cannot drop the old UNIQUE of a
-- table, so the table is made again, every row keeping its id.
--
-- The reports stored until now have no digest (NULL, which the unique
-- index lets be): there was one of each identity, and when a copy of
-- one comes, the store takes its digest from its rows then and keeps it.
CREATE TABLE report_new (
	id			INTEGER PRIMARY KEY,
	organization_name	TEXT NOT NULL,
	report_id		TEXT NOT NULL,
	start_time		INTEGER NOT NULL,
	end_time		INTEGER NOT NULL,
	contact_info		TEXT,
	received_at		INTEGER NOT NULL,
	digest			TEXT,	-- SHA-256 of the content, hex
	first_copy		INTEGER REFERENCES report(id),	-- NULL: this
	conflicting		INTEGER NOT NULL DEFAULT 0	-- 1: copies differ
);
INSERT INTO report_new (id, organization_name, report_id, start_time,
    end_time, contact_info, received_at)
	SELECT id, organization_name, report_id, start_time, end_time,
	       contact_info, received_at FROM report ORDER BY id;
DROP TABLE report;
ALTER TABLE report_new RENAME TO report;
CREATE UNIQUE INDEX report_copy ON report (organization_name, report_id,
    start_time, end_time, digest);
