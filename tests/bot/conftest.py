from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_slack import FakeSlack


@pytest.fixture(scope="session")
def _fake_slack_server() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


@pytest.fixture
def fake_slack(_fake_slack_server: FakeSlack) -> Iterator[FakeSlack]:
    """The fake Slack Web API, started once per session and emptied for each test."""
    _fake_slack_server.reset()
    yield _fake_slack_server
    found = list(_fake_slack_server.violations)
    _fake_slack_server.reset()
    assert not found, "Block Kit violations in what the bot sent to Slack:\n" + "\n".join(
        f"{method}: {problem}" for method, problems in found for problem in problems
    )
