-- Version 4: digests read windows, never the whole history.
-- Response rate = survey sessions started in the period (invitations) and how many were
-- answered; without this index counting one week's sessions scans every session ever.
CREATE INDEX sessions_survey_started ON sessions (survey_id, started_at);
