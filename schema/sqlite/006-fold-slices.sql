-- The daemon folds the reports above daily_upto a slice of policy
-- domains at a time, each slice a transaction of its own, so that the
-- reports it stores meanwhile wait for one slice and not for the whole
-- fold. While a fold is under way, the reports up to partial_to are
-- folded for the policy domains before partial_domain, and not yet for
-- the others; both are NULL between two folds.
ALTER TABLE daily_upto ADD COLUMN partial_to INTEGER;
ALTER TABLE daily_upto ADD COLUMN partial_domain TEXT;

DROP VIEW domain_policies;
CREATE VIEW domain_policies AS
	SELECT policy_domain, end_time, policy FROM policy_by_domain
	UNION ALL
	SELECT policy_domain, end_time, id FROM policy
	WHERE report > (SELECT report FROM daily_upto)
	AND (report > (SELECT COALESCE(partial_to, 0) FROM daily_upto)
	     OR policy_domain >= (SELECT partial_domain FROM daily_upto));
