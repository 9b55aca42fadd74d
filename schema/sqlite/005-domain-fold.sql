-- A domain's policies are found through policy_by_domain, which the fold
-- fills for the reports up to daily_upto (migration 004) in key order,
-- instead of through an index of the policy table that every report's
-- own transaction had to update. The reports above daily_upto, not
-- folded yet, are found through the policy rows themselves: the view
-- domain_policies is both, and the readers read it.
CREATE TABLE policy_by_domain (
	policy_domain	TEXT NOT NULL,
	end_time	INTEGER NOT NULL,	-- the report's
	policy		INTEGER NOT NULL REFERENCES policy(id),
	PRIMARY KEY (policy_domain, end_time, policy)
) WITHOUT ROWID;
INSERT INTO policy_by_domain (policy_domain, end_time, policy)
	SELECT policy_domain, end_time, id FROM policy
	WHERE report <= (SELECT report FROM daily_upto)
	ORDER BY 1, 2, 3;
DROP INDEX policy_domain;

CREATE VIEW domain_policies AS
	SELECT policy_domain, end_time, policy FROM policy_by_domain
	UNION ALL
	SELECT policy_domain, end_time, id FROM policy
	WHERE report > (SELECT report FROM daily_upto);
