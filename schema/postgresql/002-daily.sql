-- Per-day aggregates: one row per policy domain, UTC day of the report's
-- start (days since 1970-01-01), reporter and policy type, kept with an
-- upsert (INSERT ... ON CONFLICT DO UPDATE) in the transaction that
-- stores accepted reports, a duplicate adding nothing. The upsert runs
-- once per transaction, just before its COMMIT, in key order, so that
-- nodes adding to the same rows wait for each other without deadlock.
-- Filled here from the reports already stored.
CREATE TABLE daily (
	policy_domain		text COLLATE "C" NOT NULL,
	day			bigint NOT NULL,
	organization_name	text COLLATE "C" NOT NULL,
	policy_type		text COLLATE "C" NOT NULL,
	reports			bigint NOT NULL,	-- distinct reports
	successful		bigint NOT NULL,
	failed			bigint NOT NULL,
	PRIMARY KEY (policy_domain, day, organization_name, policy_type)
);

INSERT INTO daily (policy_domain, day, organization_name, policy_type,
    reports, successful, failed)
	SELECT policy_domain, start_time / 86400, organization_name,
	       policy_type, COUNT(DISTINCT report), SUM(successful),
	       SUM(failed)
	FROM policy GROUP BY 1, 2, 3, 4;
