-- The reporter's verified identity: for a mailed report taken under the
-- DKIM rule (dkim-authserv-id), the domain whose dkim=pass, in the
-- topmost Authentication-Results header of the border MTA, vouched for
-- the message: its From: domain or a parent of it. NULL otherwise.
ALTER TABLE payload ADD COLUMN dkim_domain text;
