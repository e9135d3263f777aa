"""The one HTTP server (Slack HTTP mode, the Telegram webhook, ``/healthz``) and the send API on it."""
