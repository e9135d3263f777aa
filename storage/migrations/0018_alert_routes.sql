-- Issue 19: routing rules. Each alert records the routes that sent it (names joined with ", "),
-- why each matched (JSON: [[route, [[what, value], ...]], ...]) and the destinations it went to.
-- routed_at is NULL while an alert waits for the comment a route matches on (held); alerts
-- from before routes existed took the one route there was: the default.
ALTER TABLE escalations ADD COLUMN route TEXT;
ALTER TABLE escalations ADD COLUMN route_why TEXT;
ALTER TABLE escalations ADD COLUMN route_destinations TEXT;
ALTER TABLE escalations ADD COLUMN routed_at REAL;
UPDATE escalations SET route = 'default', routed_at = opened_at;
CREATE INDEX escalations_held ON escalations (opened_at) WHERE routed_at IS NULL;

-- An action's owner as a platform member id where the platform has one (Slack: U0123ABCD), so
-- the reminder mentions them; the shown name stays in actions.owner.
ALTER TABLE actions ADD COLUMN owner_id TEXT NOT NULL DEFAULT '';
