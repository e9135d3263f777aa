-- Version 10: bounded disk. Sent messages are pruned (or, when something may still edit or
-- reply to them, slimmed to their platform id) a while after they were sent, and dead ones a
-- while after they failed; each prune batch walks one of these ranges from its oldest end,
-- never the whole table. A slimmed row's payload is '{}', which takes it out of the first
-- index, so the prune never walks the (ever-growing) slimmed rows again.
CREATE INDEX outbox_sent_full ON outbox (sent_at) WHERE status = 'sent' AND payload != '{}';
CREATE INDEX outbox_dead ON outbox (created_at) WHERE status = 'dead';
