"""Logs are safe to ship: secrets scrubbed wherever they appear, JSON lines on request."""

from __future__ import annotations

import io
import json
import logging

from bot.cli import logs


def test_secrets_are_scrubbed_and_json_lines_parse() -> None:
    stream = io.StringIO()
    logs.setup("INFO", stream=stream, extra_secrets=["123456:SECRET-token"], fmt="json")
    logging.getLogger("httpx").warning("POST https://api.telegram.org/bot123456:SECRET-token/sendMessage")
    logging.getLogger("feedbackbot.test").info("plain %s", "message")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert "SECRET" not in stream.getvalue()
    assert lines[0]["message"].endswith("/bot[REDACTED]/sendMessage") and lines[0]["level"] == "WARNING"
    assert lines[1]["message"] == "plain message"
    logs.setup("WARNING", stream=io.StringIO())  # leave the root logger quiet for other tests
