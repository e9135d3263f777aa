-- Version 6: outbox ids never go back. The delivery loop learns of new rows as "ids above
-- the last one seen"; without AUTOINCREMENT SQLite reuses the highest ids after a delete
-- (an erasure, a retention run), and such a row would never be noticed.
CREATE TABLE outbox_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    platform        TEXT NOT NULL,
    chat_id         TEXT NOT NULL,
    lane            TEXT NOT NULL DEFAULT 'interactive',
    payload         TEXT NOT NULL,
    ref_key         TEXT,
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    created_at      REAL NOT NULL,
    sent_at         REAL,
    message_id      TEXT,
    error           TEXT
);
INSERT INTO outbox_new SELECT id, platform, chat_id, lane, payload, ref_key, status, attempts, next_attempt_at,
    created_at, sent_at, message_id, error FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_pending ON outbox (platform, chat_id, id) WHERE status = 'pending';
CREATE INDEX outbox_ref ON outbox (ref_key) WHERE ref_key IS NOT NULL;
CREATE INDEX outbox_sent_message ON outbox (platform, chat_id, message_id) WHERE message_id IS NOT NULL;
