-- Version 12: a comment's sentiment says which language it was read in (detected from the
-- comment itself, not the person's locale) and which scorer produced it, so `rescore`
-- knows what an upgrade replaces. Comments are scored after the commit, off the survey
-- turn: 'pending' marks those still waiting, and the partial index finds them after a restart.
ALTER TABLE responses ADD COLUMN comment_language TEXT;
ALTER TABLE responses ADD COLUMN sentiment_scorer TEXT;
UPDATE responses SET sentiment_scorer = 'vader', comment_language = 'en' WHERE sentiment IS NOT NULL;
UPDATE responses SET sentiment_scorer = 'none' WHERE sentiment IS NULL AND sentiment_label = 'unscored';
CREATE INDEX responses_sentiment_pending ON responses (id) WHERE sentiment_label = 'pending';
