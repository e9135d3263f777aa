"""The Telegram adapter (python-telegram-bot): updates in, messages out, nothing else.

One module per role: ``inbound`` (update -> ``Inbound``), ``commands`` (menus, group commands),
``directory`` (staff membership, chat moves, chat ids), ``render`` (HTML within Telegram's limits),
``errors`` (PTB errors -> ``handlers.base`` errors), ``channel`` (sending and editing), ``request``
(PTB's transport on aiohttp, the polling inbox hook) and ``persistence`` (PTB's persistence, kept
empty)."""

PLATFORM = "telegram"
