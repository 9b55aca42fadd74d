-- The per-day aggregates are folded in from the policy rows, in batches,
-- instead of in each report's own transaction: the daemon answers a
-- sender once the report is durable, and folds while it waits for more.
-- daily_upto holds the highest report row folded so far; every report
-- above it is still to be added to daily. Until now every report was
-- added as it was stored, so all are folded.
CREATE TABLE daily_upto (report INTEGER NOT NULL);
INSERT INTO daily_upto (report) SELECT COALESCE(MAX(id), 0) FROM report;
