-- Version 20: the per-day counts of version 17 again per week, so a weekly digest reads one row
-- per (key, value, score) instead of seven, and its GROUP BY sorts a seventh of the rows (issue
-- 18's speed target: the segment reads of a week at 1M responses 8 -> 2 ms per survey). A week
-- is the seven UTC days 7w-3 <= day < 7w+4 (Monday to Sunday; day 0, 1 January 1970, was a
-- Thursday), week = (day + 3) / 7. A window reads its whole weeks here, the whole days around
-- them from the day counts and its partial edge days from the rows (storage/reports.py).
-- Integer division truncates towards zero, so week 0 also holds the days before 1970: the
-- readers never use week 0 or below.
--
-- Triggers on the day counts keep the week counts equal to their sums, whatever changed the
-- day counts (answers, changes of score or status, erasure, retention, imports). The day
-- counts are written by their own triggers only, which change nothing but n. A count that
-- reaches zero is deleted, as in the day counts (a context value may be personal).

CREATE TABLE segment_weeks (
    survey_id TEXT NOT NULL,
    key       TEXT NOT NULL,
    week      INTEGER NOT NULL,
    value     TEXT NOT NULL,
    score     INTEGER NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (survey_id, key, week, value, score)
) WITHOUT ROWID;

CREATE TRIGGER segment_weeks_insert AFTER INSERT ON segment_days
BEGIN
    INSERT INTO segment_weeks (survey_id, key, week, value, score, n)
    VALUES (NEW.survey_id, NEW.key, (NEW.day + 3) / 7, NEW.value, NEW.score, NEW.n)
    ON CONFLICT (survey_id, key, week, value, score) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER segment_weeks_more AFTER UPDATE OF n ON segment_days WHEN NEW.n > OLD.n
BEGIN
    UPDATE segment_weeks SET n = n + NEW.n - OLD.n
    WHERE survey_id = NEW.survey_id AND key = NEW.key AND week = (NEW.day + 3) / 7 AND value = NEW.value
      AND score = NEW.score;
END;

CREATE TRIGGER segment_weeks_fewer AFTER UPDATE OF n ON segment_days WHEN NEW.n < OLD.n
BEGIN
    DELETE FROM segment_weeks
    WHERE survey_id = NEW.survey_id AND key = NEW.key AND week = (NEW.day + 3) / 7 AND value = NEW.value
      AND score = NEW.score AND n <= OLD.n - NEW.n;
    UPDATE segment_weeks SET n = n - (OLD.n - NEW.n)
    WHERE survey_id = NEW.survey_id AND key = NEW.key AND week = (NEW.day + 3) / 7 AND value = NEW.value
      AND score = NEW.score;
END;

CREATE TRIGGER segment_weeks_delete AFTER DELETE ON segment_days
BEGIN
    DELETE FROM segment_weeks
    WHERE survey_id = OLD.survey_id AND key = OLD.key AND week = (OLD.day + 3) / 7 AND value = OLD.value
      AND score = OLD.score AND n <= OLD.n;
    UPDATE segment_weeks SET n = n - OLD.n
    WHERE survey_id = OLD.survey_id AND key = OLD.key AND week = (OLD.day + 3) / 7 AND value = OLD.value
      AND score = OLD.score;
END;

CREATE TABLE response_weeks (
    survey_id TEXT NOT NULL,
    week      INTEGER NOT NULL,
    score     INTEGER NOT NULL,
    channel   TEXT NOT NULL,
    language  TEXT NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (survey_id, week, score, channel, language)
) WITHOUT ROWID;

CREATE TRIGGER response_weeks_insert AFTER INSERT ON response_days
BEGIN
    INSERT INTO response_weeks (survey_id, week, score, channel, language, n)
    VALUES (NEW.survey_id, (NEW.day + 3) / 7, NEW.score, NEW.channel, NEW.language, NEW.n)
    ON CONFLICT (survey_id, week, score, channel, language) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER response_weeks_more AFTER UPDATE OF n ON response_days WHEN NEW.n > OLD.n
BEGIN
    UPDATE response_weeks SET n = n + NEW.n - OLD.n
    WHERE survey_id = NEW.survey_id AND week = (NEW.day + 3) / 7 AND score = NEW.score
      AND channel = NEW.channel AND language = NEW.language;
END;

CREATE TRIGGER response_weeks_fewer AFTER UPDATE OF n ON response_days WHEN NEW.n < OLD.n
BEGIN
    DELETE FROM response_weeks
    WHERE survey_id = NEW.survey_id AND week = (NEW.day + 3) / 7 AND score = NEW.score
      AND channel = NEW.channel AND language = NEW.language AND n <= OLD.n - NEW.n;
    UPDATE response_weeks SET n = n - (OLD.n - NEW.n)
    WHERE survey_id = NEW.survey_id AND week = (NEW.day + 3) / 7 AND score = NEW.score
      AND channel = NEW.channel AND language = NEW.language;
END;

CREATE TRIGGER response_weeks_delete AFTER DELETE ON response_days
BEGIN
    DELETE FROM response_weeks
    WHERE survey_id = OLD.survey_id AND week = (OLD.day + 3) / 7 AND score = OLD.score
      AND channel = OLD.channel AND language = OLD.language AND n <= OLD.n;
    UPDATE response_weeks SET n = n - OLD.n
    WHERE survey_id = OLD.survey_id AND week = (OLD.day + 3) / 7 AND score = OLD.score
      AND channel = OLD.channel AND language = OLD.language;
END;

-- Backfill from the day counts.
INSERT INTO segment_weeks (survey_id, key, week, value, score, n)
SELECT survey_id, key, (day + 3) / 7, value, score, SUM(n) FROM segment_days GROUP BY 1, 2, 3, 4, 5;
INSERT INTO response_weeks (survey_id, week, score, channel, language, n)
SELECT survey_id, (day + 3) / 7, score, channel, language, SUM(n) FROM response_days GROUP BY 1, 2, 3, 4, 5;
