-- eximwatch schema, version 2: alerts.
-- Threshold windows, alert lifecycle and the durable notification outbox.
-- The daemon writes all three in the same transaction as the counts and file
-- positions they follow from, so a crash neither loses nor repeats a state
-- change or a notification.

-- Events per (threshold, group, distinct value, second) inside the longest
-- window: the sliding windows are rebuilt from here after a restart.
-- val is the distinct field's value ('' when the threshold counts events).
CREATE TABLE alert_window (
    threshold TEXT NOT NULL,
    grp       TEXT NOT NULL,
    val       TEXT NOT NULL,
    ts        INTEGER NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (threshold, grp, val, ts)
) WITHOUT ROWID;

-- One row per alert: (threshold, group) from the crossing to its resolve.
-- A later crossing of the same pair is a new row.
CREATE TABLE alerts (
    id            INTEGER PRIMARY KEY,
    threshold     TEXT NOT NULL,
    grp           TEXT NOT NULL,       -- '' for a global threshold
    grp_kind      TEXT NOT NULL,       -- ip, account, owner or global
    severity      TEXT NOT NULL,
    state         TEXT NOT NULL,       -- firing or resolved
    started_at    INTEGER NOT NULL,
    resolved_at   INTEGER,
    last_notified INTEGER NOT NULL DEFAULT 0,
    below_since   INTEGER NOT NULL DEFAULT 0,
    value         INTEGER NOT NULL,    -- count (or distinct count) last seen
    peak          INTEGER NOT NULL,
    sample        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alerts_state ON alerts (state, threshold);

-- Notifications, written before they are sent.  The id is the Standard
-- Webhooks webhook-id: it stays the same across retries and restarts.
-- body: the rendered request body (secrets are added when sending).
CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY,
    sink         TEXT NOT NULL,
    threshold    TEXT NOT NULL,
    kind         TEXT NOT NULL,        -- firing, resolved, test
    body         TEXT NOT NULL,
    created      INTEGER NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending',  -- pending, delivered, failed
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      INTEGER NOT NULL DEFAULT 0,       -- unix ms of the next try
    http_status  INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT '',
    done_at      INTEGER
);
CREATE INDEX outbox_pending ON outbox (status, next_at);

-- Which alerts a notification was about (for `eximwatch alerts`).
CREATE TABLE outbox_alerts (
    outbox_id INTEGER NOT NULL REFERENCES outbox (id),
    alert_id  INTEGER NOT NULL REFERENCES alerts (id),
    PRIMARY KEY (alert_id, outbox_id)
) WITHOUT ROWID;
