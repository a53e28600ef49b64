-- eximwatch schema, version 1.
-- Counts of classified Exim log events per (minute bucket, class, client IP,
-- account).  Dimensions are interned so that the large table holds only
-- integers (smaller file, about twice the insert rate of text keys).
-- Id 0 in ips/accounts means "none" and is always present.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE classes (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE ips (
    id   INTEGER PRIMARY KEY,
    addr TEXT NOT NULL UNIQUE
);
INSERT INTO ips (id, addr) VALUES (0, '');

CREATE TABLE accounts (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
INSERT INTO accounts (id, name) VALUES (0, '');

-- bucket: Unix time of the start of the minute the events fall in (UTC).
CREATE TABLE counts (
    bucket     INTEGER NOT NULL,
    class_id   INTEGER NOT NULL REFERENCES classes (id),
    ip_id      INTEGER NOT NULL REFERENCES ips (id),
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    n          INTEGER NOT NULL,
    PRIMARY KEY (bucket, class_id, ip_id, account_id)
) WITHOUT ROWID;

-- Files read by `scan` and by the daemon.  A file is known by the hash of its
-- first fp_len bytes (content, after decompression), so a renamed, rotated or
-- compressed copy is recognised; dev/ino are kept to find it again quickly.
-- offset: bytes (of decompressed content) whose lines are already counted.
CREATE TABLE files (
    id         INTEGER PRIMARY KEY,
    fp_hash    INTEGER NOT NULL,
    fp_len     INTEGER NOT NULL,
    dev        INTEGER NOT NULL DEFAULT 0,
    ino        INTEGER NOT NULL DEFAULT 0,
    path       TEXT NOT NULL,
    offset     INTEGER NOT NULL DEFAULT 0,
    lines      INTEGER NOT NULL DEFAULT 0,
    first_seen INTEGER NOT NULL,
    updated    INTEGER NOT NULL
);
CREATE INDEX files_fp ON files (fp_hash);

-- Running totals that are not per class (lines read, oversized lines...).
CREATE TABLE stats (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
