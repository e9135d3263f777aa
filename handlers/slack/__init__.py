"""The Slack adapter (slack_sdk, Block Kit): payloads in, messages out, nothing else."""
