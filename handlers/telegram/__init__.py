"""The Telegram adapter (python-telegram-bot): updates in, messages out, nothing else."""
