"""Errors of the bot's own: text it cannot turn into a command."""

from __future__ import annotations


class CommandError(ValueError):
    """The command text is not understood; `message` says what was expected, with an example."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
