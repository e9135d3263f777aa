-- Version 8: whose event each handled event id was ("platform:user_id"), so erasing a
-- person removes exactly their event ids. Matching a pattern in the id instead also
-- caught other people's (forgetting user 7 forgot the events of 70 and 7001, which were
-- then handled a second time when redelivered). Erasure is rare and the table holds days
-- of events: it scans rather than slow every claim with a second index.
ALTER TABLE processed_events ADD COLUMN subject TEXT;
