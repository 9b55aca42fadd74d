-- Identity alone no longer makes a duplicate (doc/identity.md): a copy
-- of a report with the same identity and other content is stored as a
-- report of its own, since a forged copy that came first must not
-- silence the real one. The unique constraint is the identity and the
-- digest of the content, so that nodes taking the same copy at once
-- store it once; a report row names the first copy of its identity and
-- says whether copies disagree.
--
-- The reports stored until now have no digest (NULL, which the
-- constraint lets be): there was one of each identity, and when a copy
-- of one comes, the store takes its digest from its rows then and keeps
-- it.
ALTER TABLE report
	ADD COLUMN digest text COLLATE "C",		-- SHA-256, hex
	ADD COLUMN first_copy bigint REFERENCES report(id), -- NULL: this
	ADD COLUMN conflicting integer NOT NULL DEFAULT 0; -- 1: copies differ
ALTER TABLE report DROP CONSTRAINT report_identity;
ALTER TABLE report ADD CONSTRAINT report_copy UNIQUE (organization_name,
    report_id, start_time, end_time, digest);
