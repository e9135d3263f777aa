-- Version 7: segments. Digests break a score down by a context key (agent, team, plan, ...)
-- and by platform and language; reading those from every response's context JSON would scan
-- the whole history, so each answered response's context is copied at write time into
-- response_context, one row per key, and a covering index serves one survey's key over a time
-- window. Triggers keep it in step with responses on every write path (chat answers, imports,
-- erasure, retention), so no code that writes a response needs to know about it.
CREATE TABLE response_context (
    response_id INTEGER NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    survey_id   TEXT NOT NULL,
    value       TEXT NOT NULL,
    score       INTEGER NOT NULL,
    created_at  REAL NOT NULL,
    PRIMARY KEY (response_id, key)
) WITHOUT ROWID;
CREATE INDEX response_context_segment ON response_context (survey_id, key, created_at, value, score);

CREATE TRIGGER response_context_insert AFTER INSERT ON responses
WHEN NEW.status = 'answered' AND NEW.score IS NOT NULL AND NEW.context NOT IN ('{}', '') AND json_valid(NEW.context)
BEGIN
    INSERT OR REPLACE INTO response_context (response_id, key, survey_id, value, score, created_at)
    SELECT NEW.id, j.key, NEW.survey_id, CAST(j.value AS TEXT), NEW.score, NEW.created_at
    FROM json_each(NEW.context) AS j
    WHERE j.type IN ('text', 'integer', 'real') AND j.key <> '';
END;

CREATE TRIGGER response_context_update AFTER UPDATE OF status, score, context, survey_id, created_at ON responses
WHEN NEW.status IS NOT OLD.status OR NEW.score IS NOT OLD.score OR NEW.context IS NOT OLD.context
     OR NEW.survey_id IS NOT OLD.survey_id OR NEW.created_at IS NOT OLD.created_at
BEGIN
    DELETE FROM response_context WHERE response_id = OLD.id;
    INSERT OR REPLACE INTO response_context (response_id, key, survey_id, value, score, created_at)
    SELECT NEW.id, j.key, NEW.survey_id, CAST(j.value AS TEXT), NEW.score, NEW.created_at
    FROM json_each(CASE WHEN json_valid(NEW.context) THEN NEW.context ELSE '{}' END) AS j
    WHERE NEW.status = 'answered' AND NEW.score IS NOT NULL AND j.type IN ('text', 'integer', 'real') AND j.key <> '';
END;

CREATE TRIGGER response_context_delete AFTER DELETE ON responses
BEGIN
    DELETE FROM response_context WHERE response_id = OLD.id;
END;

-- Backfill: the context of every answered response already stored.
INSERT OR REPLACE INTO response_context (response_id, key, survey_id, value, score, created_at)
SELECT r.id, j.key, r.survey_id, CAST(j.value AS TEXT), r.score, r.created_at
FROM responses AS r, json_each(r.context) AS j
WHERE r.status = 'answered' AND r.score IS NOT NULL AND r.context NOT IN ('{}', '') AND json_valid(r.context)
  AND j.type IN ('text', 'integer', 'real') AND j.key <> '';

-- Platform and language segments read the responses themselves: this index covers one
-- survey's window with its score, channel and language (it replaces responses_survey_time,
-- its prefix, so a response still updates as many indexes as before).
CREATE INDEX responses_survey_time_segment ON responses (survey_id, created_at, status, score, channel, language);
DROP INDEX responses_survey_time;
