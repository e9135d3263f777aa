-- Version 5: updates received by polling, kept until handled. Telegram's getUpdates
-- confirms a batch with the next poll, possibly before the bot has handled it; a crash in
-- between would lose those updates. They are written here first and replayed at start-up
-- (handling is idempotent: the service claims each event id once). Rows live minutes, not
-- days: they hold message text.
CREATE TABLE inbox (
    platform    TEXT NOT NULL,
    update_key  TEXT NOT NULL,
    chat_id     TEXT,  -- so erasing a person also erases what they sent that is still here
    payload     TEXT NOT NULL,
    received_at REAL NOT NULL,
    PRIMARY KEY (platform, update_key)
) WITHOUT ROWID;
CREATE INDEX inbox_received ON inbox (received_at);
