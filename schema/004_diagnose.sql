-- eximwatch schema, version 4: what diagnosis needs beyond the counts.
-- Written by the writer (scan) and the daemon in the same transactions as
-- the counts; pruned with the same retention.

-- Known clients: per account, every client address that authenticated
-- successfully (an arrival with A=).  addr is the address as a blob: one
-- family byte (4 or 6) and the 4 or 16 address bytes in network order, so
-- a network (/24, /64, any CIDR) is a range of the primary key and no
-- other index is needed: by address, by network, by (address, account).
-- first_seen/last_seen: Unix time of the minute of the first and the last
-- login seen; n: the logins.  last_seen and n of a known pair may lag up
-- to a week of log time until the writer's next full write
-- (src/knownclients.h).
CREATE TABLE known_clients (
    addr       BLOB NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (addr, account_id)
) WITHOUT ROWID;

-- Evidence: bounded details (src/evidence.h).  kind: 1 subject and 2
-- recipient domain of an account's messages, 3 script directory (cwd) and
-- 4 sender address of a local user's submissions (these four per hour,
-- for groups of 20 or more messages), 5 recipient domain of relay
-- refusals, 6 recipient domain of our mail refused as relay by the next
-- server (these two per minute).  subject: the account or local user (''
-- for kinds 5 and 6); period: Unix time of the hour or minute; value ''
-- is the group's total, the other rows its top values (a few per group
-- and period).  All of it is log text.
CREATE TABLE evidence (
    kind    INTEGER NOT NULL,
    subject TEXT NOT NULL,
    period  INTEGER NOT NULL,
    value   TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (kind, subject, period, value)
) WITHOUT ROWID;

-- Findings the daemon raised (src/diagnotify.h): one row per (kind,
-- subject) from the first diagnosis that found it to its resolve; a later
-- occurrence is a new row.  subject: "ip|account|owner|domain"; the
-- finding as last seen in the other columns (evidence: a JSON object;
-- all of it log text).  The notifications go through the outbox (its
-- threshold column says "diagnose/KIND").
CREATE TABLE findings (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    subject       TEXT NOT NULL,
    verdict       TEXT NOT NULL,
    state         TEXT NOT NULL,       -- firing or resolved
    started_at    INTEGER NOT NULL,
    last_seen     INTEGER NOT NULL,    -- the last diagnosis that found it
    resolved_at   INTEGER,
    last_notified INTEGER NOT NULL DEFAULT 0,
    events        INTEGER NOT NULL,
    first         INTEGER NOT NULL DEFAULT 0,
    last          INTEGER NOT NULL DEFAULT 0,
    ip            TEXT,
    account       TEXT,
    owner         TEXT,
    domain        TEXT,
    summary       TEXT NOT NULL DEFAULT '',
    evidence      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX findings_state ON findings (state, kind);

-- Account names as diagnosis compares them (a mailbox logs in and is
-- refused under any spelling of its case): a known client of an account
-- is looked up by the ids of its names, found here.
CREATE INDEX accounts_name_nocase ON accounts (name COLLATE NOCASE);
