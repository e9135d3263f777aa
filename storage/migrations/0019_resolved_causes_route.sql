-- The cause report groups the alerts resolved in a period by cause and route in SQL (counts,
-- customers' answers, median time to resolve by window functions): the route joins the
-- covering index so that no row of the table is read (issue 18's digest speed target).
DROP INDEX escalations_resolved_causes;
CREATE INDEX escalations_resolved_causes ON escalations (survey_id, resolved_at, cause, opened_at, recovered, route)
WHERE resolved_at IS NOT NULL;
