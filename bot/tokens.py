"""Words of a chat command: quoted phrases stay together, Slack's escaping is undone."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Token:
    value: str
    start: int
    quoted: bool


_SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "‘": "'", "’": "'"})


def normalize(text: str) -> str:
    # Slack escapes these three in slash command text; smart quotes come from phone keyboards.
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text.translate(_SMART_QUOTES).strip()


def scan(text: str) -> list[Token]:
    """Whitespace-separated words; a quote at the start of a word groups words up to its mate.

    A quote inside a word ("don't") or without a closing mate is an ordinary character, so
    free text such as a transfer reason never fails to tokenize.
    """
    found: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        if text[i] in "\"'":
            close = text.find(text[i], i + 1)
            if close != -1:
                found.append(Token(text[i + 1 : close], i, quoted=True))
                i = close + 1
                continue
        j = i
        while j < n and not text[j].isspace():
            j += 1
        found.append(Token(text[i:j], i, quoted=False))
        i = j
    return found


def tokenize(text: str) -> list[str]:
    """The words of a command, with quoted phrases ("GPU run", “smart quotes”) as one word."""
    return [token.value for token in scan(normalize(text))]
