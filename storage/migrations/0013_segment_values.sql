-- Version 13: faster segments at volume. Grouping a busy week's response_context rows by
-- value and score sorts them (a temporary B-tree per key and period); with each key's distinct
-- values kept in segment_values and an index ordered by value and score, a segment is instead
-- counted by one index seek per (value, score, period), which stays cheap however many
-- responses the week holds. Keys with many distinct values (an order id) still use the range
-- scan over response_context_segment (see storage/reports.py).
CREATE TABLE segment_values (
    survey_id TEXT NOT NULL,
    key       TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (survey_id, key, value)
) WITHOUT ROWID;
CREATE INDEX response_context_value ON response_context (survey_id, key, value, score, created_at);
INSERT OR IGNORE INTO segment_values (survey_id, key, value) SELECT DISTINCT survey_id, key, value FROM response_context;

CREATE TRIGGER segment_values_insert AFTER INSERT ON response_context
BEGIN
    INSERT OR IGNORE INTO segment_values (survey_id, key, value) VALUES (NEW.survey_id, NEW.key, NEW.value);
END;

-- Erasure and retention: a value nobody's response carries any more is forgotten too (it may
-- be personal, e.g. an email given as context).
CREATE TRIGGER segment_values_delete AFTER DELETE ON response_context
WHEN NOT EXISTS (
    SELECT 1 FROM response_context WHERE survey_id = OLD.survey_id AND key = OLD.key AND value = OLD.value
)
BEGIN
    DELETE FROM segment_values WHERE survey_id = OLD.survey_id AND key = OLD.key AND value = OLD.value;
END;
