"""Text pieces shared by the block builders: money, progress bars, status badges, mentions."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from app.domain.errors import ValidationError
from app.domain.money import format_money, parse_decimal, to_micros

#: Slack's Block Kit limits (characters) that the builders' texts are clipped to.
SECTION_TEXT_LIMIT = 3000
FIELD_TEXT_LIMIT = 2000
CONTEXT_TEXT_LIMIT = 2000
HEADER_TEXT_LIMIT = 150
BUTTON_TEXT_LIMIT = 75
OPTION_TEXT_LIMIT = 75
MESSAGE_TEXT_LIMIT = 4000  # the `text` fallback next to blocks (Slack truncates at 40,000)

#: What must not be cut in half at the end of a clipped text: an HTML entity (`&amp;`), a
#: link or mention (`<@U1>`, `<!date^…>`), or an unclosed `code` span.
_CUT_ENTITY = re.compile(r"&[a-zA-Z#0-9]*$")
_CUT_ANGLE = re.compile(r"<[^>]*$")

FILLED = "▓"
EMPTY = "░"

_STATUS_BADGES = {
    "HEALTHY": ":large_green_circle: Healthy",
    "WARNING": ":large_yellow_circle: Warning",
    "CRITICAL": ":large_orange_circle: Critical",
    "EXHAUSTED": ":red_circle: Exhausted",
}


def escape(text: object) -> str:
    """Escape user text for mrkdwn, so a reason like "<!channel>" cannot ping anyone."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """`text` within `limit` characters, cut after escaping without breaking an entity or a
    mention, ending with "…" when it was cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    cut = _CUT_ENTITY.sub("", cut)
    cut = _CUT_ANGLE.sub("", cut)
    if cut.count("`") % 2:
        cut = cut[: cut.rfind("`")]
    return cut + "…"


def money(value: object, currency: str | None) -> str:
    """A GraphQL Decimal string as display text, rounded to cents (display only)."""
    if value is None or value == "":
        return "—"
    try:
        micros = to_micros(parse_decimal(value), round_half_even=True)
    except ValidationError:
        return escape(value)
    if currency:
        return format_money(micros, currency)
    cents = Decimal(micros).scaleb(-6).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    return f"{cents:,}"


#: An amount the API wrote into an error's text: "2700.5 USD", or a bare "1250.5" / "5000".
_AMOUNT_WITH_CODE = re.compile(r"(?<![\w.\-:/#])(-?\d+(?:\.\d+)?) ([A-Z]{3})\b")
_BARE_AMOUNT = re.compile(r"(?<![\w.\-:/#$€£,])(-?\d+\.\d+|-?\d{4,})(?![\w.\-:/%,])")
#: A short whole number is an amount only where the words around it say so ("drip of 600",
#: "600 left"); elsewhere it may be a count or a limit ("at most 500 characters").
_SMALL_AMOUNT = re.compile(
    r"(?:(?<=drip of )|(?<=cap of )|(?<=remaining )|(?<=spend \()|(?<=after ))"
    r"(-?\d{1,3})(?![\w.\-:/%,])"
    r"|(?<![\w.\-:/#$€£,])(-?\d{1,3})(?= (?:available|requested|left|already spent|held)\b)"
)


def _is_year(number: str) -> bool:
    return number.isdigit() and len(number) == 4 and 1900 <= int(number) <= 2100


def humanize_amounts(text: str, currency: str | None = None) -> str:
    """An API message with its amounts written as `money` writes them ("has 2700.5 USD
    available" → "has $2,700.50 available"): "<number> <currency code>" everywhere, and a bare
    number with decimals or of 4 digits or more (not a year, an id, a date or a percentage)
    with `currency` when the caller knows it, else with separators and cents."""

    def with_code(match: re.Match[str]) -> str:
        formatted = money(match.group(1), match.group(2))
        return formatted if formatted != escape(match.group(1)) else match.group(0)

    def bare(match: re.Match[str]) -> str:
        number = match.group(1)
        if _is_year(number):
            return number
        return money(number, currency)

    def small(match: re.Match[str]) -> str:
        return money(match.group(1) or match.group(2), currency)

    text = _AMOUNT_WITH_CODE.sub(with_code, text)
    return _SMALL_AMOUNT.sub(small, _BARE_AMOUNT.sub(bare, text))


def progress_bar(percent: float, width: int = 20) -> str:
    """`▓▓▓▓▓░░░░░ 48%`. Past 100% the bar stays full and the text says by how much."""
    if not math.isfinite(percent):
        percent = 0.0
    shown = min(max(percent, 0.0), 100.0)
    filled = min(width, int(shown * width / 100 + 0.5))
    if shown < 100 and filled == width:
        filled = width - 1  # a full bar means fully used; 99.6% is not
    bar = FILLED * filled + EMPTY * (width - filled)
    if percent > 100:
        over = max(1, math.floor(percent - 100))  # never "0% over" for an overrun
        return f"{bar} {100 + over}% ({over}% over)"
    return f"{bar} {math.floor(shown)}%"


def status_badge(status: str | None) -> str:
    if not status:
        return ":white_circle: Unknown"
    return _STATUS_BADGES.get(status, f":white_circle: {escape(status.title())}")


def runway(days: float | None) -> str:
    if days is None or not math.isfinite(days):
        return "no burn yet"
    if days < 1:
        return "less than a day"
    whole = math.floor(days)
    return f"{whole} day" if whole == 1 else f"{whole} days"


def currency_of(allocation: dict[str, Any] | None) -> str | None:
    if not allocation:
        return None
    budget = allocation.get("budget") or {}
    return budget.get("currency")


#: A side of a transfer the reader may not see (the API gives null with fromPool/toPool false).
HIDDEN_SIDE = "another project"


def project_name(allocation: dict[str, Any] | None, *, pool: bool | None = True) -> str:
    """One side of a transfer: the project's name; without an allocation the pool when `pool`
    (the transfer's fromPool/toPool), else a project the reader may not see."""
    if not allocation:
        return "Pool" if pool or pool is None else HIDDEN_SIDE
    project = allocation.get("project") or {}
    return escape(project.get("name") or project.get("slug") or allocation.get("id", "?"))


def user_ref(user: dict[str, Any] | None) -> str:
    """A mention when the user is linked to Slack, else their name or e-mail."""
    if not user:
        return "someone"
    slack_id = user.get("slackUserId") or user.get("slackId")
    if slack_id:
        return f"<@{slack_id}>"
    return escape(user.get("name") or user.get("email") or user.get("id") or "someone")


def slack_date(iso: str | None) -> str:
    """A date Slack renders in the reader's own time zone, with the ISO text as the fallback."""
    if not iso:
        return "an unknown time"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return escape(iso)
    if moment.tzinfo is None:
        return escape(iso)
    fallback = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def side_name(transfer: dict[str, Any], side: str) -> str:
    """`side` ("from" or "to") of a GraphQL Transfer dict, as its reader may see it."""
    return project_name(transfer.get(side), pool=transfer.get(f"{side}Pool"))


def mrkdwn(text: str, limit: int = SECTION_TEXT_LIMIT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, limit)}


def plain(text: str, limit: int = SECTION_TEXT_LIMIT) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn(text), **extra}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [mrkdwn(text, CONTEXT_TEXT_LIMIT)]}


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": plain(text, HEADER_TEXT_LIMIT)}


def button(
    text: str, action_id: str, value: str, *, style: str | None = None, **extra: Any
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": plain(text, BUTTON_TEXT_LIMIT),
        "value": value[:2000],
        **extra,
    }
    if style:
        element["style"] = style
    return element


def divider() -> dict[str, Any]:
    return {"type": "divider"}
