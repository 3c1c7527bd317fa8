"""The `/allot` slash command: text in, one typed command out (or a `CommandError` that says why).

Parsing is syntax only. Whether a project exists, or the user may act on it, is the API's call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from bot.amounts import Money, parse_amount, parse_money
from bot.errors import CommandError
from bot.tokens import Token, normalize, scan, tokenize
from bot.usage import USAGE, Usage

#: The name `transfer … from pool` / `to pool` uses for a budget's unallocated money.
POOL = "pool"


@dataclass(frozen=True)
class Help:
    #: `help spend`: that subcommand only.
    topic: str | None = None


@dataclass(frozen=True)
class Status:
    target: str | None = None


@dataclass(frozen=True)
class Budgets:
    pass


@dataclass(frozen=True)
class Spend:
    amount: Decimal
    service: str
    description: str | None = None
    project: str | None = None
    currency_symbol: str | None = None
    budget: str | None = None


@dataclass(frozen=True)
class Allocate:
    budget: str
    project: str
    amount: Decimal
    currency_symbol: str | None = None


@dataclass(frozen=True)
class Transfer:
    amount: Decimal
    source: str
    target: str
    reason: str
    currency_symbol: str | None = None


@dataclass(frozen=True)
class TransferModal:
    pass


@dataclass(frozen=True)
class Approve:
    transfer_id: str


@dataclass(frozen=True)
class Reject:
    transfer_id: str
    note: str | None = None


@dataclass(frozen=True)
class Cancel:
    transfer_id: str


@dataclass(frozen=True)
class Channel:
    """`channel #lab-budget [budget]`: `channel` is a Slack channel id (C…/G…), or a `#name`
    the listener matches against the channel the command was typed in; None: this channel."""

    channel: str | None
    channel_name: str | None = None
    budget: str | None = None


@dataclass(frozen=True)
class Link:
    code: str | None = None


Command = (
    Help
    | Status
    | Budgets
    | Spend
    | Allocate
    | Transfer
    | TransferModal
    | Approve
    | Reject
    | Cancel
    | Channel
    | Link
)

#: `<#C0123|lab-budget>` (Slack escapes a channel mention so) or a bare id.
_CHANNEL_MENTION = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|([^>]*))?>$")
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")
#: Transfer ids as people type them: `trf_42`, `42`, `T42`, `#42`.
_TRANSFER_ID = re.compile(r"^(?:trf_|[Tt]|#)?(\d+)$")


def transfer_id(text: str) -> str:
    """The API's id (`trf_42`) for what was typed; anything else is passed on as typed."""
    match = _TRANSFER_ID.match(text.strip())
    return f"trf_{match[1]}" if match else text.strip()


class _Parser:
    def __init__(self, text: str, command_name: str) -> None:
        self.text = normalize(text)
        self.tokens = scan(self.text)
        self.command_name = command_name

    def error(self, name: str, problem: str) -> CommandError:
        usage = USAGE[name]
        return CommandError(
            f"{problem}. Usage: `{self.command_name} {usage.syntax}`, "
            f"for example `{self.command_name} {usage.examples[0]}`."
        )

    def rest(self, index: int) -> str | None:
        """The raw text from token `index` on, so free text keeps its spacing and punctuation."""
        if index >= len(self.tokens):
            return None
        if index == len(self.tokens) - 1 and self.tokens[index].quoted:
            return self.tokens[index].value.strip() or None
        return self.text[self.tokens[index].start :].strip() or None

    def amount(self, name: str, token: Token) -> Money:
        try:
            return parse_money(token.value)
        except CommandError as exc:
            raise self.error(name, exc.message.rstrip(".")) from None

    def keyword(self, word: str, start: int) -> int | None:
        for index in range(start, len(self.tokens)):
            token = self.tokens[index]
            if not token.quoted and token.value.lower() == word:
                return index
        return None

    def words(self, start: int, stop: int) -> str:
        return " ".join(t.value for t in self.tokens[start:stop] if t.value.strip()).strip()

    def parse(self) -> Command:
        if not self.tokens:
            return Help()
        name = self.tokens[0].value.lower()
        args = self.tokens[1:]
        if name in ("help", "?"):
            if len(args) > 1:
                raise self.error("help", "`help` takes at most one command")
            topic = args[0].value.lower() if args else None
            if topic is not None and topic not in USAGE:
                known = ", ".join(USAGE)
                raise CommandError(f'There is no command "{args[0].value}". Try one of: {known}.')
            return Help(topic)
        if name == "status":
            return Status(self.words(1, len(self.tokens)) or None)
        if name == "budgets":
            if args:
                raise self.error("budgets", "`budgets` takes no arguments")
            return Budgets()
        if name == "spend":
            return self.spend(args)
        if name == "allocate":
            if len(args) != 3:
                raise self.error("allocate", "`allocate` needs a budget, a project and an amount")
            money = self.amount("allocate", args[2])
            return Allocate(args[0].value, args[1].value, money.amount, money.currency_symbol)
        if name == "transfer":
            return self.transfer() if args else TransferModal()
        if name == "approve":
            if len(args) != 1:
                raise self.error("approve", "`approve` needs exactly one transfer id")
            return Approve(transfer_id(args[0].value))
        if name == "reject":
            if not args:
                raise self.error("reject", "`reject` needs a transfer id")
            return Reject(transfer_id(args[0].value), self.rest(2))
        if name == "cancel":
            if len(args) != 1:
                raise self.error("cancel", "`cancel` needs exactly one transfer id")
            return Cancel(transfer_id(args[0].value))
        if name == "channel":
            return self.channel(args)
        if name == "link":
            if len(args) > 1:
                raise self.error("link", "`link` takes at most one code")
            return Link(args[0].value if args else None)
        known = ", ".join(USAGE)
        raise CommandError(
            f'Unknown command "{self.tokens[0].value}". Try one of: {known}; '
            f"for example `{self.command_name} status` or `{self.command_name} help`."
        )

    def spend(self, args: list[Token]) -> Spend:
        if len(args) < 2:
            raise self.error("spend", "`spend` needs an amount and a service")
        if len(args) > 5:
            raise self.error("spend", "Too many words: put the description in quotes")
        money = self.amount("spend", args[0])
        description = (args[2].value.strip() or None) if len(args) > 2 else None
        project = args[3].value if len(args) > 3 else None
        budget = args[4].value if len(args) > 4 else None
        return Spend(
            money.amount, args[1].value, description, project, money.currency_symbol, budget
        )

    def channel(self, args: list[Token]) -> Channel:
        if len(args) > 2:
            raise self.error("channel", "`channel` takes a channel and, optionally, a budget")
        budget = args[1].value if len(args) > 1 else None
        if not args:
            return Channel(None)
        raw = args[0].value.strip()
        mention = _CHANNEL_MENTION.match(raw)
        if mention:
            return Channel(mention[1], mention[2] or None, budget)
        if _CHANNEL_ID.match(raw):
            return Channel(raw, None, budget)
        if raw.startswith("#") and len(raw) > 1:
            return Channel(None, raw[1:], budget)
        raise self.error("channel", f'"{raw}" is not a channel; write it as #channel-name')

    def transfer(self) -> Transfer:
        if len(self.tokens) < 2 or self.tokens[1].value.lower() == "from":
            raise self.error("transfer", "Start with the amount")
        money = self.amount("transfer", self.tokens[1])
        from_at = 2 if self.keyword("from", 2) == 2 else None
        to_at = self.keyword("to", 3) if from_at is not None else None
        because_at = self.keyword("because", to_at + 1) if to_at is not None else None
        if from_at is None or to_at is None or because_at is None:
            missing = "from" if from_at is None else "to" if to_at is None else "because"
            raise self.error("transfer", f'Missing "{missing}" in the transfer request')
        source = self.words(from_at + 1, to_at)
        target = self.words(to_at + 1, because_at)
        reason = self.rest(because_at + 1)
        if not source or not target:
            raise self.error("transfer", "Name both the source and the target (a project or pool)")
        if reason is None:
            raise self.error("transfer", "Give a reason after `because`")
        return Transfer(money.amount, _pool(source), _pool(target), reason, money.currency_symbol)


def _pool(name: str) -> str:
    return POOL if name.lower() == POOL else name


def parse_command(text: str, *, command_name: str = "/allot") -> Command:
    """Parse the text after the slash command. Empty text asks for help."""
    return _Parser(text, command_name).parse()


__all__ = [
    "POOL",
    "USAGE",
    "Allocate",
    "Approve",
    "Budgets",
    "Cancel",
    "Channel",
    "Command",
    "CommandError",
    "Help",
    "Link",
    "Money",
    "Reject",
    "Spend",
    "Status",
    "Transfer",
    "TransferModal",
    "Usage",
    "parse_amount",
    "parse_command",
    "parse_money",
    "tokenize",
]
