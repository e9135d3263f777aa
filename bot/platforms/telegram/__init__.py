"""Telegram: the python-telegram-bot Application driven by hand, and ``feedbackbot telegram-chats``."""
