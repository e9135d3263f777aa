-- Version 16: an idempotency key is bound to its request. The hash of the request that first
-- used a key (survey, recipient, context, delay, person id) is kept, so the same key with a
-- different request is refused (409, naming the first invitation) instead of answering
-- "duplicate" for a person who was never invited. NULL for invitations made before.
ALTER TABLE invitations ADD COLUMN request_hash TEXT;
