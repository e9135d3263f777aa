-- Version 2: closing the loop from chat.
-- Who pressed Reply and is about to write to the customer, and whether the customer's
-- messages are relayed back into the alert's thread.
ALTER TABLE escalations ADD COLUMN reply_pending_by TEXT;
ALTER TABLE escalations ADD COLUMN relay_open INTEGER NOT NULL DEFAULT 0;
ALTER TABLE escalations ADD COLUMN recovery_asked_at REAL;
-- Which alert a staff reply (a Telegram reply or a Slack thread message) belongs to.
CREATE INDEX outbox_sent_message ON outbox (platform, chat_id, message_id) WHERE message_id IS NOT NULL;
CREATE INDEX escalations_respondent ON escalations (respondent_id, state);
