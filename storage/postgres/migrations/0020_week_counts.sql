-- Version 20 (SQLite 0020_week_counts.sql): the per-day counts again per week (Monday to Sunday
-- in UTC days, week = (day + 3) / 7; week 0 also holds the days before 1970 and is never read),
-- kept equal to the sums of the day counts by triggers on the day counts, so a weekly digest
-- reads one row per (key, value, score) instead of seven. A count that reaches zero is deleted.
CREATE TABLE segment_weeks (
    survey_id text NOT NULL,
    key       text NOT NULL,
    week      bigint NOT NULL,
    value     text NOT NULL,
    score     integer NOT NULL,
    n         bigint NOT NULL,
    PRIMARY KEY (survey_id, key, week, value, score)
);

CREATE FUNCTION feedbackbot_segment_weeks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE segment_weeks SET n = n - OLD.n
        WHERE survey_id = OLD.survey_id AND key = OLD.key AND week = (OLD.day + 3) / 7
          AND value = OLD.value AND score = OLD.score;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO segment_weeks (survey_id, key, week, value, score, n)
        VALUES (NEW.survey_id, NEW.key, (NEW.day + 3) / 7, NEW.value, NEW.score, NEW.n)
        ON CONFLICT (survey_id, key, week, value, score) DO UPDATE SET n = segment_weeks.n + excluded.n;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        DELETE FROM segment_weeks
        WHERE survey_id = OLD.survey_id AND key = OLD.key AND week = (OLD.day + 3) / 7
          AND value = OLD.value AND score = OLD.score AND n <= 0;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER segment_weeks_change AFTER INSERT OR UPDATE OR DELETE ON segment_days
FOR EACH ROW EXECUTE FUNCTION feedbackbot_segment_weeks();

CREATE TABLE response_weeks (
    survey_id text NOT NULL,
    week      bigint NOT NULL,
    score     integer NOT NULL,
    channel   text NOT NULL,
    language  text NOT NULL,
    n         bigint NOT NULL,
    PRIMARY KEY (survey_id, week, score, channel, language)
);

CREATE FUNCTION feedbackbot_response_weeks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE response_weeks SET n = n - OLD.n
        WHERE survey_id = OLD.survey_id AND week = (OLD.day + 3) / 7 AND score = OLD.score
          AND channel = OLD.channel AND language = OLD.language;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO response_weeks (survey_id, week, score, channel, language, n)
        VALUES (NEW.survey_id, (NEW.day + 3) / 7, NEW.score, NEW.channel, NEW.language, NEW.n)
        ON CONFLICT (survey_id, week, score, channel, language) DO UPDATE SET n = response_weeks.n + excluded.n;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        DELETE FROM response_weeks
        WHERE survey_id = OLD.survey_id AND week = (OLD.day + 3) / 7 AND score = OLD.score
          AND channel = OLD.channel AND language = OLD.language AND n <= 0;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER response_weeks_change AFTER INSERT OR UPDATE OR DELETE ON response_days
FOR EACH ROW EXECUTE FUNCTION feedbackbot_response_weeks();

INSERT INTO segment_weeks (survey_id, key, week, value, score, n)
SELECT survey_id, key, (day + 3) / 7, value, score, SUM(n) FROM segment_days GROUP BY 1, 2, 3, 4, 5;
INSERT INTO response_weeks (survey_id, week, score, channel, language, n)
SELECT survey_id, (day + 3) / 7, score, channel, language, SUM(n) FROM response_days GROUP BY 1, 2, 3, 4, 5;
