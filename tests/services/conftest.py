"""Fixtures shared by the delivery tests (a recording fake of the Slack Web API)."""

from delivery_harness import _slack_server, slack_fake  # noqa: F401  (pytest fixtures)
