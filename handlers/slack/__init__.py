"""The Slack adapter (slack_sdk, Block Kit): payloads in, messages out, nothing else.

One module per role: ``inbound`` (payloads -> ``Inbound``), ``commands`` (action ids, ``/feedback``
sub-commands), ``directory`` (Web API facts, cached), ``render`` (Block Kit), ``errors`` (SDK errors ->
``handlers.base`` errors), ``channel`` (sending and editing) and ``home`` (the App Home tab)."""

PLATFORM = "slack"
