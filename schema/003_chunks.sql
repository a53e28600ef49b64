-- eximwatch schema, version 3: counts kept as chunks.
-- One row per (minute bucket, class) instead of one per (bucket, class, ip,
-- account): the row holds the (ip, account, n) entries of that minute and
-- class, varint-encoded and sorted (src/chunk.h).  A scan of a busy log
-- writes ~75 times fewer rows.  eximwatch reads them as the table
--     counts (bucket, class_id, ip_id, account_id, n)
-- (a virtual table it registers on its connections, src/countsvt.h).
-- eximwatch_pack() is eximwatch's own aggregate: this migration runs only
-- inside eximwatch.

CREATE TABLE count_chunks (
    bucket   INTEGER NOT NULL,
    class_id INTEGER NOT NULL REFERENCES classes (id),
    data     BLOB NOT NULL,
    PRIMARY KEY (bucket, class_id)
) WITHOUT ROWID;

INSERT INTO count_chunks (bucket, class_id, data)
    SELECT bucket, class_id, eximwatch_pack(ip_id, account_id, n)
    FROM counts WHERE n > 0
    GROUP BY bucket, class_id;

DROP TABLE counts;
