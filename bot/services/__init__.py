"""The application services: what the bot does with an event or a scheduled moment (survey turns,
alerts and staff actions, invitations, campaigns, privacy, digests, trends, imports, exports). They
know the domain (``surveys``), the store and the outbound port (``handlers.base``), never a platform
SDK, the web server or the command line."""
