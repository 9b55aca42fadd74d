-- Per-day aggregates: one row per policy domain, UTC day of the report's
-- start (days since 1970-01-01), reporter and policy type, kept with an
-- upsert in the transaction that stores each accepted report (a
-- duplicate adds nothing). Filled here from the reports already stored.
CREATE TABLE daily (
	policy_domain		TEXT NOT NULL,
	day			INTEGER NOT NULL,
	organization_name	TEXT NOT NULL,
	policy_type		TEXT NOT NULL,
	reports			INTEGER NOT NULL,	-- distinct reports
	successful		INTEGER NOT NULL,
	failed			INTEGER NOT NULL,
	PRIMARY KEY (policy_domain, day, organization_name, policy_type)
);

INSERT INTO daily (policy_domain, day, organization_name, policy_type,
    reports, successful, failed)
	SELECT policy_domain, start_time / 86400, organization_name,
	       policy_type, COUNT(DISTINCT report), SUM(successful),
	       SUM(failed)
	FROM policy WHERE 1 GROUP BY 1, 2, 3, 4;
