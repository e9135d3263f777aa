"""Each chat platform wired to the event loop: its SDK application, its inbox, its routes, started and
stopped by ``run``. The adapters (payload to ``Inbound``, rendering, errors) live in ``handlers/``;
this is where they meet the services."""
