-- Version 4: digests read windows, never the whole history.
-- Score counts per survey, score and period: one covering range per (score, period), so the
-- twelve periods of a digest chart are counted without sorting (see storage/reports.py).
CREATE INDEX responses_survey_score_time ON responses (survey_id, status, score, created_at);
-- Response rate: survey sessions started in the period (invitations) and whether each got a
-- score; covering, so counting one week's sessions reads neither the table nor the history.
CREATE INDEX sessions_survey_started ON sessions (survey_id, started_at, score, respondent_id);
