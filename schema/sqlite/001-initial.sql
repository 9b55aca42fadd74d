-- The store: every payload as received, the reports parsed from them, and
-- their policies and failure details. Applied by the programs; the
-- database's PRAGMA user_version is the number of the last migration.

-- Every payload received, kept raw (compressed) with where it came from,
-- whatever became of it: so a rejected report can be parsed again later.
CREATE TABLE payload (
	id		INTEGER PRIMARY KEY,
	received_at	INTEGER NOT NULL,	-- Unix seconds
	source		TEXT NOT NULL,		-- https, mail, file, stdin
	peer		TEXT,			-- https: client address
	user_agent	TEXT,			-- https: User-Agent
	message_id	TEXT,			-- mail: Message-ID
	path		TEXT,			-- file or message path
	part		TEXT,			-- mail: the attachment name
	encoding	TEXT NOT NULL,		-- gzip (as sent), zlib, identity
	size		INTEGER NOT NULL,	-- bytes as received
	data		BLOB NOT NULL,
	outcome		TEXT NOT NULL CHECK (outcome IN
			    ('accepted', 'duplicate', 'rejected')),
	reason		TEXT,			-- why it was rejected
	report		INTEGER REFERENCES report(id)
);

-- The rejected payloads, with the reason, ready to be parsed again.
CREATE VIEW quarantine AS
	SELECT id AS payload_id, received_at, source, peer, user_agent,
	       message_id, path, part, size, reason
	FROM payload WHERE outcome = 'rejected';

-- One row per distinct report: its identity is never the report-id alone,
-- since several senders use date-based ids (DESIGN section 4).
CREATE TABLE report (
	id			INTEGER PRIMARY KEY,
	organization_name	TEXT NOT NULL,
	report_id		TEXT NOT NULL,
	start_time		INTEGER NOT NULL,
	end_time		INTEGER NOT NULL,
	contact_info		TEXT,
	received_at		INTEGER NOT NULL,
	UNIQUE (organization_name, report_id, start_time, end_time)
);
CREATE INDEX report_end ON report (end_time);

-- A policy row repeats its report's reporter and range, so that one
-- domain's window is read through one index, however large the store.
CREATE TABLE policy (
	id		INTEGER PRIMARY KEY,
	report		INTEGER NOT NULL REFERENCES report(id),
	idx		INTEGER NOT NULL,	-- position in the report
	organization_name TEXT NOT NULL,	-- the report's
	start_time	INTEGER NOT NULL,	-- the report's
	end_time	INTEGER NOT NULL,	-- the report's
	policy_type	TEXT NOT NULL,
	policy_domain	TEXT NOT NULL,		-- '' when the report had none
	policy_string	TEXT NOT NULL,		-- JSON array of the lines
	policy_set	TEXT NOT NULL,		-- lines sorted, one per line
	mode		TEXT,			-- sts: testing, enforce, none
	mx_patterns	TEXT NOT NULL,		-- sts: JSON array
	max_age		INTEGER,
	mx_host		TEXT NOT NULL,		-- JSON array
	successful	INTEGER NOT NULL,
	failed		INTEGER NOT NULL
);
CREATE INDEX policy_report ON policy (report);
CREATE INDEX policy_domain ON policy (policy_domain, end_time);

CREATE TABLE failure (
	id			INTEGER PRIMARY KEY,
	policy			INTEGER NOT NULL REFERENCES policy(id),
	result_type		TEXT NOT NULL,
	sending_mta_ip		TEXT,
	receiving_ip		TEXT,
	receiving_mx_hostname	TEXT,
	receiving_mx_helo	TEXT,
	additional_info		TEXT,
	failure_reason_code	TEXT,
	failed_sessions		INTEGER NOT NULL
);
CREATE INDEX failure_policy ON failure (policy);
