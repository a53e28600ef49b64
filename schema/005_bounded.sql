-- eximwatch schema, version 5: bounded under attack.
--
-- A distinct threshold keeps per group either the values it saw exactly
-- (up to 64, as hashes with the time each was last seen) or a sliding
-- HyperLogLog (src/threshold.h).  Its state is saved per (threshold, group,
-- slice of the window): one row of at most ~1 KiB per slice, 8 slices per
-- group at most, rewritten when the slice changes, instead of one
-- alert_window row per value and second.  alert_window keeps the counts of
-- the other thresholds (and the rows older versions wrote, which are read
-- once more and then age out).
CREATE TABLE alert_distinct (
    threshold TEXT NOT NULL,
    grp       TEXT NOT NULL,
    ts        INTEGER NOT NULL,    -- start of the slice (Unix time)
    data      BLOB NOT NULL,       -- the slice's values or registers
    PRIMARY KEY (threshold, grp, ts)
) WITHOUT ROWID;

-- The counts of a (minute, class) in parts: new entries are merged into the
-- last part while it holds fewer than 4096, else they start the next part
-- (src/countsvt.h).  One part per (minute, class) in ordinary traffic; an
-- attack with a new account in every line no longer makes every batch
-- rewrite the whole minute (megabytes each time, and as much memory).
CREATE TABLE count_chunks_parts (
    bucket   INTEGER NOT NULL,
    class_id INTEGER NOT NULL REFERENCES classes (id),
    part     INTEGER NOT NULL,
    data     BLOB NOT NULL,
    PRIMARY KEY (bucket, class_id, part)
) WITHOUT ROWID;
INSERT INTO count_chunks_parts (bucket, class_id, part, data)
    SELECT bucket, class_id, 0, data FROM count_chunks;
DROP TABLE count_chunks;
ALTER TABLE count_chunks_parts RENAME TO count_chunks;

-- The interned addresses and accounts age out with the counts: last_used is
-- the newest minute a count used the id (kept within a week of it by the
-- writer), and pruning deletes the ids no count within the retention uses.
-- Filled here from the counts there are (eximwatch's own `counts` table:
-- this migration runs only inside eximwatch).
ALTER TABLE ips ADD COLUMN last_used INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN last_used INTEGER NOT NULL DEFAULT 0;
-- (a table of the database itself, dropped again: a TEMP one would leave
-- the connection with a temp database that every later statement pays for)
CREATE TABLE ew_used (kind INTEGER, id INTEGER, bucket INTEGER,
    PRIMARY KEY (kind, id)) WITHOUT ROWID;
INSERT INTO ew_used SELECT 0, ip_id, max(bucket) FROM counts GROUP BY ip_id;
INSERT INTO ew_used SELECT 1, account_id, max(bucket) FROM counts
    GROUP BY account_id;
UPDATE ips SET last_used = coalesce((SELECT bucket FROM ew_used
    WHERE kind = 0 AND id = ips.id), 0);
UPDATE accounts SET last_used = coalesce((SELECT bucket FROM ew_used
    WHERE kind = 1 AND id = accounts.id), 0);
DROP TABLE ew_used;

-- pruning notifications deletes their links by notification
CREATE INDEX outbox_alerts_outbox ON outbox_alerts (outbox_id);
