-- eximwatch schema, version 5: bounded under attack.
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
