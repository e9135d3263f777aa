"""Slack: the slack-bolt app, ack-first listeners, Socket Mode or HTTP."""
