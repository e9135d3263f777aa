"""The one place that builds the bot: opens the store from the configuration, wires services, delivery
and channels (``runtime``), and runs them on one event loop until a signal (``run``)."""
