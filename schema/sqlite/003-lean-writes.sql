-- Fewer trees to update for each report stored.
--
-- report_end is never read: a domain's window is read through the policy
-- table's own end_time (policy_domain index).
DROP INDEX IF EXISTS report_end;

-- The per-day aggregates as a WITHOUT ROWID table: the primary key is the
-- table, so an upsert updates one tree instead of a table and its index.
CREATE TABLE daily_new (
	policy_domain		TEXT NOT NULL,
	day			INTEGER NOT NULL,
	organization_name	TEXT NOT NULL,
	policy_type		TEXT NOT NULL,
	reports			INTEGER NOT NULL,	-- distinct reports
	successful		INTEGER NOT NULL,
	failed			INTEGER NOT NULL,
	PRIMARY KEY (policy_domain, day, organization_name, policy_type)
) WITHOUT ROWID;
INSERT INTO daily_new SELECT policy_domain, day, organization_name,
    policy_type, reports, successful, failed FROM daily;
DROP TABLE daily;
ALTER TABLE daily_new RENAME TO daily;
