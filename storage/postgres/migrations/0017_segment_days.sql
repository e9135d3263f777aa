-- Version 17 (SQLite 0017_segment_days.sql): digests read counts, not responses. Per-UTC-day counts
-- of answered responses, kept by triggers: segment_days from response_context, response_days from
-- responses. A window reads its whole UTC days here and its partial edge days from the rows
-- (storage/reports.py), so it stays exact in any time zone. day = floor(created_at / 86400).
-- A count that reaches zero is deleted (a context value may be personal: erasure forgets it).
-- The UTC day of a moment, corrected by one should the division round up across midnight, so
-- that day d holds exactly d * 86400 <= created_at < (d + 1) * 86400 (the readers' edges).
CREATE FUNCTION feedbackbot_day(at double precision) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT (floor(at / 86400) - CASE WHEN floor(at / 86400) * 86400 > at THEN 1 ELSE 0 END)::bigint
$$;

CREATE TABLE segment_days (
    survey_id text NOT NULL,
    key       text NOT NULL,
    day       bigint NOT NULL,
    value     text NOT NULL,
    score     integer NOT NULL,
    n         bigint NOT NULL,
    PRIMARY KEY (survey_id, key, day, value, score)
);

CREATE FUNCTION feedbackbot_segment_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE segment_days SET n = n - 1
        WHERE survey_id = OLD.survey_id AND key = OLD.key AND day = feedbackbot_day(OLD.created_at)
          AND value = OLD.value AND score = OLD.score;
        DELETE FROM segment_days
        WHERE survey_id = OLD.survey_id AND key = OLD.key AND day = feedbackbot_day(OLD.created_at)
          AND value = OLD.value AND score = OLD.score AND n <= 0;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO segment_days (survey_id, key, day, value, score, n)
        VALUES (NEW.survey_id, NEW.key, feedbackbot_day(NEW.created_at), NEW.value, NEW.score, 1)
        ON CONFLICT (survey_id, key, day, value, score) DO UPDATE SET n = segment_days.n + 1;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER segment_days_change AFTER INSERT OR UPDATE OR DELETE ON response_context
FOR EACH ROW EXECUTE FUNCTION feedbackbot_segment_days();

CREATE TABLE response_days (
    survey_id text NOT NULL,
    day       bigint NOT NULL,
    score     integer NOT NULL,
    channel   text NOT NULL,
    language  text NOT NULL,
    n         bigint NOT NULL,
    PRIMARY KEY (survey_id, day, score, channel, language)
);

CREATE FUNCTION feedbackbot_response_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') AND OLD.status = 'answered' AND OLD.score IS NOT NULL THEN
        UPDATE response_days SET n = n - 1
        WHERE survey_id = OLD.survey_id AND day = feedbackbot_day(OLD.created_at) AND score = OLD.score
          AND channel = COALESCE(OLD.channel, 'unknown') AND language = COALESCE(OLD.language, 'unknown');
        DELETE FROM response_days
        WHERE survey_id = OLD.survey_id AND day = feedbackbot_day(OLD.created_at) AND score = OLD.score
          AND channel = COALESCE(OLD.channel, 'unknown') AND language = COALESCE(OLD.language, 'unknown')
          AND n <= 0;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'answered' AND NEW.score IS NOT NULL THEN
        INSERT INTO response_days (survey_id, day, score, channel, language, n)
        VALUES (NEW.survey_id, feedbackbot_day(NEW.created_at), NEW.score,
                COALESCE(NEW.channel, 'unknown'), COALESCE(NEW.language, 'unknown'), 1)
        ON CONFLICT (survey_id, day, score, channel, language) DO UPDATE SET n = response_days.n + 1;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER response_days_insert AFTER INSERT ON responses
FOR EACH ROW EXECUTE FUNCTION feedbackbot_response_days();
CREATE TRIGGER response_days_update AFTER UPDATE OF status, score, survey_id, created_at, channel, language
ON responses FOR EACH ROW
WHEN (NEW.status IS DISTINCT FROM OLD.status OR NEW.score IS DISTINCT FROM OLD.score
      OR NEW.survey_id IS DISTINCT FROM OLD.survey_id OR NEW.created_at IS DISTINCT FROM OLD.created_at
      OR NEW.channel IS DISTINCT FROM OLD.channel OR NEW.language IS DISTINCT FROM OLD.language)
EXECUTE FUNCTION feedbackbot_response_days();
CREATE TRIGGER response_days_delete AFTER DELETE ON responses
FOR EACH ROW EXECUTE FUNCTION feedbackbot_response_days();

INSERT INTO segment_days (survey_id, key, day, value, score, n)
SELECT survey_id, key, feedbackbot_day(created_at), value, score, COUNT(*)
FROM response_context GROUP BY 1, 2, 3, 4, 5;

INSERT INTO response_days (survey_id, day, score, channel, language, n)
SELECT survey_id, feedbackbot_day(created_at), score, COALESCE(channel, 'unknown'),
       COALESCE(language, 'unknown'), COUNT(*)
FROM responses WHERE status = 'answered' AND score IS NOT NULL GROUP BY 1, 2, 3, 4, 5;

-- The per-value seeks of version 13 are gone (the day counts replace them).
DROP TRIGGER segment_values_insert ON response_context;
DROP TRIGGER segment_values_delete ON response_context;
DROP FUNCTION feedbackbot_segment_value_added();
DROP FUNCTION feedbackbot_segment_value_removed();
DROP TABLE segment_values;
DROP INDEX response_context_value;

-- Covering reads for the rest of a digest (comment facts, escalation facts, resolved causes).
CREATE INDEX responses_comments ON responses (survey_id, created_at) INCLUDE (sentiment_label, sentiment, score, status, comment_status)
WHERE status = 'answered' AND comment_status = 'given';
CREATE INDEX escalations_opened_facts ON escalations (survey_id, opened_at) INCLUDE (claimed_at, resolved_at, recovered);
DROP INDEX escalations_opened;
CREATE INDEX escalations_resolved_causes ON escalations (survey_id, resolved_at) INCLUDE (cause, opened_at, recovered)
WHERE resolved_at IS NOT NULL;
DROP INDEX escalations_resolved;
