"""The ``feedbackbot`` command line, the outermost layer: each subcommand parses its arguments and calls the services
through the bootstrap. ``main`` is the console script's entry point (``bot.cli:main``) and ``python -m bot``'s."""

from bot.cli.main import main

__all__ = ["main"]
