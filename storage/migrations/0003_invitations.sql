-- Version 3: surveys sent to people (API, CLI, campaigns), with the facts the fatigue
-- rules need. One row per invitation; the idempotency key makes every send path
-- (an API retry, a campaign resumed after a crash) create it at most once.
CREATE TABLE invitations (
    id              INTEGER PRIMARY KEY,
    respondent_id   INTEGER NOT NULL REFERENCES respondents (id) ON DELETE CASCADE,
    survey_id       TEXT NOT NULL,
    status          TEXT NOT NULL,  -- scheduled | sent | throttled | opted_out | unreachable | busy | failed
    reason          TEXT,
    idempotency_key TEXT UNIQUE,
    campaign_id     TEXT,
    context         TEXT NOT NULL DEFAULT '{}',
    lane            TEXT NOT NULL DEFAULT 'interactive',
    not_before      REAL NOT NULL,
    created_at      REAL NOT NULL,
    sent_at         REAL,
    session_id      INTEGER REFERENCES sessions (id) ON DELETE SET NULL,
    reminded_at     REAL
);
CREATE INDEX invitations_due ON invitations (not_before) WHERE status = 'scheduled';
CREATE INDEX invitations_respondent ON invitations (respondent_id, sent_at);
CREATE INDEX invitations_reminder ON invitations (sent_at) WHERE status = 'sent' AND reminded_at IS NULL;
CREATE INDEX invitations_survey_time ON invitations (survey_id, sent_at);
ALTER TABLE respondents ADD COLUMN last_invited_at REAL;
