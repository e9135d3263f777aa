-- Version 14: the outbox is claimed by status. The delivery loop takes pending rows by turning
-- them into 'sending' (whatever order their ids committed in; on PostgreSQL a lower id can
-- commit after a higher one), and a run's start gives back what a previous run had claimed but
-- not finished. This index serves both, in id order, without walking sent rows.
CREATE INDEX outbox_claim ON outbox (status, id) WHERE status IN ('pending', 'sending');
