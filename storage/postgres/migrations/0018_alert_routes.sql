-- Issue 19: routing rules (the PostgreSQL side of storage/migrations/0018_alert_routes.sql).
-- Each alert records the routes that sent it, why each matched (JSON), the destinations it went
-- to, and when it was routed (NULL while it waits for the comment a route matches on); an
-- action's owner keeps their platform member id (Slack) for the reminder's mention.
ALTER TABLE escalations ADD COLUMN route text;
ALTER TABLE escalations ADD COLUMN route_why text;
ALTER TABLE escalations ADD COLUMN route_destinations text;
ALTER TABLE escalations ADD COLUMN routed_at double precision;
UPDATE escalations SET route = 'default', routed_at = opened_at;
CREATE INDEX escalations_held ON escalations (opened_at) WHERE routed_at IS NULL;
ALTER TABLE actions ADD COLUMN owner_id text NOT NULL DEFAULT '';
