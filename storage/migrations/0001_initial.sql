-- feedbackbot schema, version 1.
CREATE TABLE respondents (
    id            INTEGER PRIMARY KEY,
    platform      TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    chat_id       TEXT,
    display_name  TEXT NOT NULL DEFAULT '',
    handle        TEXT NOT NULL DEFAULT '',
    language      TEXT,
    timezone      TEXT,
    person_key    TEXT,
    opted_out     INTEGER NOT NULL DEFAULT 0,
    unreachable   INTEGER NOT NULL DEFAULT 0,
    created_at    REAL NOT NULL,
    updated_at    REAL NOT NULL,
    UNIQUE (platform, user_id)
);
CREATE INDEX respondents_person ON respondents (person_key) WHERE person_key IS NOT NULL;
CREATE INDEX respondents_chat ON respondents (platform, chat_id);

CREATE TABLE sessions (
    id            INTEGER PRIMARY KEY,
    respondent_id INTEGER NOT NULL REFERENCES respondents (id) ON DELETE CASCADE,
    survey_id     TEXT NOT NULL,
    stage         TEXT NOT NULL,
    language      TEXT NOT NULL,
    nonce         TEXT NOT NULL UNIQUE,
    score         INTEGER,
    attempts      INTEGER NOT NULL DEFAULT 0,
    context       TEXT NOT NULL DEFAULT '{}',
    escalated     INTEGER NOT NULL DEFAULT 0,
    invitation_id INTEGER,
    started_at    REAL NOT NULL,
    updated_at    REAL NOT NULL,
    expires_at    REAL NOT NULL
);
CREATE INDEX sessions_open ON sessions (respondent_id) WHERE stage IN ('score', 'comment');
CREATE INDEX sessions_expiry ON sessions (expires_at) WHERE stage IN ('score', 'comment');

CREATE TABLE responses (
    id                INTEGER PRIMARY KEY,
    session_id        INTEGER UNIQUE REFERENCES sessions (id) ON DELETE SET NULL,
    respondent_id     INTEGER REFERENCES respondents (id) ON DELETE SET NULL,
    survey_id         TEXT NOT NULL,
    kind              TEXT NOT NULL,
    status            TEXT NOT NULL,
    score             INTEGER,
    category          TEXT,
    comment           TEXT,
    comment_truncated INTEGER NOT NULL DEFAULT 0,
    comment_status    TEXT NOT NULL DEFAULT 'pending',
    sentiment         REAL,
    sentiment_label   TEXT NOT NULL DEFAULT 'none',
    flags             TEXT NOT NULL DEFAULT '',
    language          TEXT,
    channel           TEXT,
    context           TEXT NOT NULL DEFAULT '{}',
    source            TEXT NOT NULL DEFAULT 'chat',
    import_key        TEXT UNIQUE,
    created_at        REAL NOT NULL,
    updated_at        REAL NOT NULL
);
-- Digests and exports read time windows per survey; never scan the whole history.
CREATE INDEX responses_survey_time ON responses (survey_id, created_at, status, score);
CREATE INDEX responses_time ON responses (created_at);
CREATE INDEX responses_respondent ON responses (respondent_id, created_at);

CREATE TABLE processed_events (
    event_id     TEXT PRIMARY KEY,
    processed_at REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX processed_events_time ON processed_events (processed_at);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
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
CREATE INDEX outbox_pending ON outbox (platform, chat_id, id) WHERE status = 'pending';
CREATE INDEX outbox_ref ON outbox (ref_key) WHERE ref_key IS NOT NULL;

CREATE TABLE escalations (
    id              INTEGER PRIMARY KEY,
    response_id     INTEGER NOT NULL UNIQUE REFERENCES responses (id) ON DELETE CASCADE,
    respondent_id   INTEGER REFERENCES respondents (id) ON DELETE SET NULL,
    survey_id       TEXT NOT NULL,
    rules           TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'open',
    claimed_by      TEXT,
    claimed_by_name TEXT,
    resolved_by     TEXT,
    resolved_by_name TEXT,
    resolution_note TEXT,
    recovered       INTEGER,
    opened_at       REAL NOT NULL,
    claimed_at      REAL,
    first_reply_at  REAL,
    resolved_at     REAL,
    reminded_at     REAL,
    reminders       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX escalations_opened ON escalations (survey_id, opened_at);
CREATE INDEX escalations_state ON escalations (state);

CREATE TABLE digest_runs (
    digest_id    TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end   TEXT NOT NULL,
    status       TEXT NOT NULL,
    created_at   REAL NOT NULL,
    PRIMARY KEY (digest_id, period_start)
);
