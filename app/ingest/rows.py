"""What an import produces: one `CostRow` per charge, or a `RejectedRow` saying why not.

Both parsers (FOCUS and mapped CSV) yield these, so the service that records spend never needs
to know which export format a row came from. A charge that carries credits inside its row (GCP)
brings them along in `CostRow.credits`, one row per credit, so a file line stays one item.
Rejections are values, not exceptions: one bad row in a million must not stop the other
999,999, and the user needs the line and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(slots=True, frozen=True)
class CostRow:
    """One charge from a bill, amount already in integer micros (rounded half-even per row)."""

    external_id: str
    occurred_at: datetime
    amount: int
    amount_text: str
    currency: str
    service: str | None
    sub_account_id: str | None
    sub_account_name: str | None
    tags: dict[str, str]
    charge_category: str | None
    description: str | None
    quantity: Decimal | None
    unit: str | None
    provider: str | None
    line: int
    #: Credits the export wrote inside this charge's row (GCP's `credits` list), each its own
    #: row: a negative amount, charge category "Credit", the same day, service, sub-account
    #: and tags (so routing sends it where the charge goes), and an id derived from the
    #: charge's. Exports that write credits as rows of their own (FOCUS, AWS CUR, Azure) leave
    #: this empty.
    credits: tuple[CostRow, ...] = ()


@dataclass(slots=True)
class RejectedRow:
    """A data row that could not be read; `line` is its 1-based number after the header."""

    line: int
    reason: str
