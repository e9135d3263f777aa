-- Version 11: trend alerts go out at most once per survey and period. The row is written in
-- the transaction that queues the alert, so a restart or a second check never sends another.
CREATE TABLE trend_alerts (
    survey_id    TEXT NOT NULL,
    period_start TEXT NOT NULL,
    against      TEXT NOT NULL,
    p_value      REAL NOT NULL,
    delta        REAL NOT NULL,
    created_at   REAL NOT NULL,
    PRIMARY KEY (survey_id, period_start)
) WITHOUT ROWID;
