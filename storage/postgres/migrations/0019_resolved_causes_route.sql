-- The PostgreSQL side of storage/migrations/0019_resolved_causes_route.sql: the route joins
-- the covering index of the alerts resolved in a period, so the cause report grouped in SQL
-- reads the index alone.
DROP INDEX escalations_resolved_causes;
CREATE INDEX escalations_resolved_causes ON escalations (survey_id, resolved_at) INCLUDE (cause, opened_at, recovered, route)
WHERE resolved_at IS NOT NULL;
