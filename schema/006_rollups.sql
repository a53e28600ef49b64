-- eximwatch schema, version 6: hourly and daily rollups.
-- The counts of each hour and each day (UTC), as chunks in parts like
-- count_chunks (src/chunk.h, src/countsvt.h): a report over a long window
-- reads one row per day and class (and part) instead of 1,440.  eximwatch
-- writes the hours in the same transaction as the minute chunks, rolls a
-- day up once it is over and marks it in count_days_done (src/rollup.h),
-- and prunes them with the minutes.  Built here from the minute chunks of an existing database
-- (the days that are over); eximwatch_pack() and the counts table are
-- eximwatch's own: this migration runs only inside eximwatch.  (IF NOT
-- EXISTS and the DELETEs make it safe to run again.)

CREATE TABLE IF NOT EXISTS count_hours (
    bucket   INTEGER NOT NULL,     -- start of the hour (UTC)
    class_id INTEGER NOT NULL REFERENCES classes (id),
    part     INTEGER NOT NULL,
    data     BLOB NOT NULL,
    PRIMARY KEY (bucket, class_id, part)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS count_days (
    bucket   INTEGER NOT NULL,     -- start of the day (UTC)
    class_id INTEGER NOT NULL REFERENCES classes (id),
    part     INTEGER NOT NULL,
    data     BLOB NOT NULL,
    PRIMARY KEY (bucket, class_id, part)
) WITHOUT ROWID;

-- the days whose day chunks are complete: only those are read
CREATE TABLE IF NOT EXISTS count_days_done (
    day INTEGER PRIMARY KEY        -- start of the day (UTC)
);

DELETE FROM count_hours;
DELETE FROM count_days;
DELETE FROM count_days_done;

INSERT INTO count_hours (bucket, class_id, part, data)
    SELECT bucket - bucket % 3600, class_id, 0,
           eximwatch_pack(ip_id, account_id, n)
    FROM counts GROUP BY 1, 2;

INSERT INTO count_days (bucket, class_id, part, data)
    SELECT bucket - bucket % 86400, class_id, 0,
           eximwatch_pack(ip_id, account_id, n)
    FROM counts
    WHERE bucket < CAST(strftime('%s', 'now') AS INTEGER) / 86400 * 86400
    GROUP BY 1, 2;

INSERT INTO count_days_done (day)
    SELECT DISTINCT bucket FROM count_days;
