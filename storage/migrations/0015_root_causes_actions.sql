-- Issue 19: root causes recorded at resolution, and corrective actions linked to alerts.
-- The cause is a configured id ([escalation] causes); names live in the configuration and catalogs.
ALTER TABLE escalations ADD COLUMN cause TEXT;
CREATE INDEX escalations_resolved ON escalations (resolved_at) WHERE resolved_at IS NOT NULL;

-- A corrective action: what will be changed so the same complaint stops coming back.
-- Reminders go to the chat it was created in (platform, chat_id), naming the owner.
CREATE TABLE actions (
    id              INTEGER PRIMARY KEY,
    title           TEXT NOT NULL,
    owner           TEXT NOT NULL DEFAULT '',
    due             TEXT,            -- YYYY-MM-DD in the bot's timezone, or NULL
    platform        TEXT NOT NULL,
    chat_id         TEXT NOT NULL,
    created_by_name TEXT NOT NULL,
    created_at      REAL NOT NULL,
    done_at         REAL,
    done_by_name    TEXT,
    reminded_on     TEXT             -- the last day a reminder was sent (YYYY-MM-DD)
);
CREATE INDEX actions_open ON actions (due) WHERE done_at IS NULL;

CREATE TABLE action_alerts (
    action_id     INTEGER NOT NULL REFERENCES actions (id) ON DELETE CASCADE,
    escalation_id INTEGER NOT NULL REFERENCES escalations (id) ON DELETE CASCADE,
    PRIMARY KEY (action_id, escalation_id)
);
CREATE INDEX action_alerts_escalation ON action_alerts (escalation_id);
