"""Everything timed: the one APScheduler and the cron expressions of digests, campaigns and agent
reports."""
