"""Sending what the services committed: the outbox loop, its per-chat queues, retries and pacing."""
