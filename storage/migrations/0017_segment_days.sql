-- Version 17: digests read counts, not responses. A week's segments used to count every
-- answered response of the week once per context key and period (ten keys, two periods: some
-- two hundred thousand index entries for a busy week); these tables keep the counts per UTC
-- day instead, so a week reads about seven rows per (key, value, score). A window is counted
-- from the whole UTC days inside it plus the raw rows of its partial edge days (at most about
-- a day's worth whatever the digest's time zone, DST or half-hour offset), so every window
-- stays exact (see storage/reports.py). Triggers keep both tables in step on every write path
-- (answers, imports, changes of score or status, erasure, retention), like response_context.
--
-- A day is floor(created_at / 86400), corrected by one when the division rounds up across
-- midnight, so that day d holds exactly the rows with d * 86400 <= created_at < (d + 1) * 86400.
-- A count that reaches zero is deleted: a context value may be personal (an email given as
-- context) and erasure must forget it here too.

-- Context keys: one row per (survey, key, UTC day, value, score), kept from response_context.
CREATE TABLE segment_days (
    survey_id TEXT NOT NULL,
    key       TEXT NOT NULL,
    day       INTEGER NOT NULL,
    value     TEXT NOT NULL,
    score     INTEGER NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (survey_id, key, day, value, score)
) WITHOUT ROWID;

CREATE TRIGGER segment_days_insert AFTER INSERT ON response_context
BEGIN
    INSERT INTO segment_days (survey_id, key, day, value, score, n)
    VALUES (
        NEW.survey_id, NEW.key,
        CAST(NEW.created_at / 86400 AS INTEGER) - (CAST(NEW.created_at / 86400 AS INTEGER) * 86400 > NEW.created_at),
        NEW.value, NEW.score, 1
    )
    ON CONFLICT (survey_id, key, day, value, score) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER segment_days_delete AFTER DELETE ON response_context
BEGIN
    DELETE FROM segment_days
    WHERE survey_id = OLD.survey_id AND key = OLD.key
      AND day = CAST(OLD.created_at / 86400 AS INTEGER) - (CAST(OLD.created_at / 86400 AS INTEGER) * 86400 > OLD.created_at)
      AND value = OLD.value AND score = OLD.score AND n <= 1;
    UPDATE segment_days SET n = n - 1
    WHERE survey_id = OLD.survey_id AND key = OLD.key
      AND day = CAST(OLD.created_at / 86400 AS INTEGER) - (CAST(OLD.created_at / 86400 AS INTEGER) * 86400 > OLD.created_at)
      AND value = OLD.value AND score = OLD.score;
END;

-- response_context is written with INSERT OR REPLACE; a replaced row (a key given twice in
-- one context's JSON) is deleted without firing delete triggers, so its count is taken back
-- here, before the insert counts the new row.
CREATE TRIGGER segment_days_replace BEFORE INSERT ON response_context
WHEN EXISTS (SELECT 1 FROM response_context WHERE response_id = NEW.response_id AND key = NEW.key)
BEGIN
    DELETE FROM segment_days
    WHERE (survey_id, key, day, value, score) = (
        SELECT survey_id, key,
               CAST(created_at / 86400 AS INTEGER) - (CAST(created_at / 86400 AS INTEGER) * 86400 > created_at),
               value, score
        FROM response_context WHERE response_id = NEW.response_id AND key = NEW.key
    ) AND n <= 1;
    UPDATE segment_days SET n = n - 1
    WHERE (survey_id, key, day, value, score) = (
        SELECT survey_id, key,
               CAST(created_at / 86400 AS INTEGER) - (CAST(created_at / 86400 AS INTEGER) * 86400 > created_at),
               value, score
        FROM response_context WHERE response_id = NEW.response_id AND key = NEW.key
    );
END;

-- Answered responses with a score: one row per (survey, UTC day, score, platform, language).
-- Serves the score counts of every period and the platform and language segments. A missing
-- channel or language is 'unknown', as the digest names it.
CREATE TABLE response_days (
    survey_id TEXT NOT NULL,
    day       INTEGER NOT NULL,
    score     INTEGER NOT NULL,
    channel   TEXT NOT NULL,
    language  TEXT NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (survey_id, day, score, channel, language)
) WITHOUT ROWID;

CREATE TRIGGER response_days_insert AFTER INSERT ON responses
WHEN NEW.status = 'answered' AND NEW.score IS NOT NULL
BEGIN
    INSERT INTO response_days (survey_id, day, score, channel, language, n)
    VALUES (
        NEW.survey_id,
        CAST(NEW.created_at / 86400 AS INTEGER) - (CAST(NEW.created_at / 86400 AS INTEGER) * 86400 > NEW.created_at),
        NEW.score, COALESCE(NEW.channel, 'unknown'), COALESCE(NEW.language, 'unknown'), 1
    )
    ON CONFLICT (survey_id, day, score, channel, language) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER response_days_update AFTER UPDATE OF status, score, survey_id, created_at, channel, language ON responses
WHEN (OLD.status = 'answered' AND OLD.score IS NOT NULL OR NEW.status = 'answered' AND NEW.score IS NOT NULL)
     AND (NEW.status IS NOT OLD.status OR NEW.score IS NOT OLD.score OR NEW.survey_id IS NOT OLD.survey_id
          OR NEW.created_at IS NOT OLD.created_at OR NEW.channel IS NOT OLD.channel
          OR NEW.language IS NOT OLD.language)
BEGIN
    DELETE FROM response_days
    WHERE OLD.status = 'answered' AND OLD.score IS NOT NULL AND survey_id = OLD.survey_id
      AND day = CAST(OLD.created_at / 86400 AS INTEGER) - (CAST(OLD.created_at / 86400 AS INTEGER) * 86400 > OLD.created_at)
      AND score = OLD.score AND channel = COALESCE(OLD.channel, 'unknown')
      AND language = COALESCE(OLD.language, 'unknown') AND n <= 1;
    UPDATE response_days SET n = n - 1
    WHERE OLD.status = 'answered' AND OLD.score IS NOT NULL AND survey_id = OLD.survey_id
      AND day = CAST(OLD.created_at / 86400 AS INTEGER) - (CAST(OLD.created_at / 86400 AS INTEGER) * 86400 > OLD.created_at)
      AND score = OLD.score AND channel = COALESCE(OLD.channel, 'unknown')
      AND language = COALESCE(OLD.language, 'unknown');
    INSERT INTO response_days (survey_id, day, score, channel, language, n)
    SELECT NEW.survey_id,
           CAST(NEW.created_at / 86400 AS INTEGER) - (CAST(NEW.created_at / 86400 AS INTEGER) * 86400 > NEW.created_at),
           NEW.score, COALESCE(NEW.channel, 'unknown'), COALESCE(NEW.language, 'unknown'), 1
    WHERE NEW.status = 'answered' AND NEW.score IS NOT NULL
    ON CONFLICT (survey_id, day, score, channel, language) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER response_days_delete AFTER DELETE ON responses
WHEN OLD.status = 'answered' AND OLD.score IS NOT NULL
BEGIN
    DELETE FROM response_days
    WHERE survey_id = OLD.survey_id
      AND day = CAST(OLD.created_at / 86400 AS INTEGER) - (CAST(OLD.created_at / 86400 AS INTEGER) * 86400 > OLD.created_at)
      AND score = OLD.score AND channel = COALESCE(OLD.channel, 'unknown')
      AND language = COALESCE(OLD.language, 'unknown') AND n <= 1;
    UPDATE response_days SET n = n - 1
    WHERE survey_id = OLD.survey_id
      AND day = CAST(OLD.created_at / 86400 AS INTEGER) - (CAST(OLD.created_at / 86400 AS INTEGER) * 86400 > OLD.created_at)
      AND score = OLD.score AND channel = COALESCE(OLD.channel, 'unknown')
      AND language = COALESCE(OLD.language, 'unknown');
END;

-- Backfill from what is stored.
INSERT INTO segment_days (survey_id, key, day, value, score, n)
SELECT survey_id, key,
       CAST(created_at / 86400 AS INTEGER) - (CAST(created_at / 86400 AS INTEGER) * 86400 > created_at),
       value, score, COUNT(*)
FROM response_context GROUP BY 1, 2, 3, 4, 5;

INSERT INTO response_days (survey_id, day, score, channel, language, n)
SELECT survey_id,
       CAST(created_at / 86400 AS INTEGER) - (CAST(created_at / 86400 AS INTEGER) * 86400 > created_at),
       score, COALESCE(channel, 'unknown'), COALESCE(language, 'unknown'), COUNT(*)
FROM responses WHERE status = 'answered' AND score IS NOT NULL GROUP BY 1, 2, 3, 4, 5;

-- The per-value seeks of version 13 are gone (the day counts replace them): their index and
-- the list of each key's values only cost writes now. Erasure still forgets a value: its
-- count rows above go with its last response.
DROP TRIGGER segment_values_insert;
DROP TRIGGER segment_values_delete;
DROP TABLE segment_values;
DROP INDEX response_context_value;

-- The rest of a digest reads its window through covering indexes, so no row of the table is
-- visited: the sentiment mix, quotes and theme sample of the window's comments (only rows with
-- a comment are in it; status and comment_status are repeated as columns because SQLite counts
-- an index as covering only when it holds every column the query names), and how far the
-- window's escalations got (it replaces escalations_opened, its prefix). Measured on a week of
-- 9,600 responses (bench.digest_speed data): 65-85 ms down to 3 ms, and 15 ms down to 2 ms.
CREATE INDEX responses_comments ON responses (survey_id, created_at, sentiment_label, sentiment, score, status, comment_status)
WHERE status = 'answered' AND comment_status = 'given';
CREATE INDEX escalations_opened_facts ON escalations (survey_id, opened_at, claimed_at, resolved_at, recovered);
DROP INDEX escalations_opened;
-- The causes of the alerts resolved in the window and the period before (root causes): the
-- same, replacing escalations_resolved.
CREATE INDEX escalations_resolved_causes ON escalations (survey_id, resolved_at, cause, opened_at, recovered)
WHERE resolved_at IS NOT NULL;
DROP INDEX escalations_resolved;
