"""Credits inside a charge's row (GCP billing export `credits`), on the real koku sample.

Issue #9: the `credits` column was ignored, so the sample's FreeTrial PROMOTION credits
(-0.000032 on 0.000032 of cost) were not netted and spend was overstated by the whole credit.
"""

from __future__ import annotations

import ast
import csv
import io
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from data_files import DATA

from app.ingest import PRESETS, ColumnMap, CostRow, RejectedRow, read_mapped

GCP = DATA / "gcp_billing_export_koku_202011.csv"


def micros(text: str) -> int:
    return int(Decimal(text).quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN) * 10**6)


def file_rows() -> list[dict[str, str]]:
    with GCP.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def charges(source: object = GCP, colmap: ColumnMap = PRESETS["gcp-billing"]) -> list[CostRow]:
    rows = list(read_mapped(source, colmap))  # type: ignore[arg-type]
    assert all(isinstance(r, CostRow) for r in rows), rows
    return rows  # type: ignore[return-value]


def test_every_credit_of_the_gcp_sample_becomes_a_credit_row_netting_the_cost() -> None:
    rows = charges()
    expected = [[repr(c["amount"]) for c in ast.literal_eval(r["credits"])] for r in file_rows()]
    assert [[c.amount_text for c in row.credits] for row in rows] == expected
    gross = sum(row.amount for row in rows)
    credited = sum(c.amount for row in rows for c in row.credits)
    assert (gross, credited) == (32, -32)  # 0.000032 of cost, all of it a FreeTrial credit
    assert sum(len(row.credits) for row in rows) == 8


def test_a_credit_row_is_a_credit_of_its_charge() -> None:
    charge = charges()[0]
    (credit,) = charge.credits
    assert credit.external_id == f"{charge.external_id}/credit/1"
    assert (credit.amount, credit.amount_text, credit.charge_category) == (-5, "-5e-06", "Credit")
    assert credit.description == (
        "PROMOTION credit (FreeTrial:Credit-000000-B0BBA4-940A77) on "
        "Event Threat Detection Log Ingest Bytes"
    )
    # Routed with its charge: same day, service, sub-account and tags.
    same = ("occurred_at", "service", "sub_account_id", "sub_account_name", "tags", "line")
    assert all(getattr(credit, name) == getattr(charge, name) for name in same)
    assert credit.tags is not charge.tags
    assert (credit.quantity, credit.unit, credit.credits) == (None, None, ())


def test_credit_ids_are_stable_across_reads() -> None:
    first = [c.external_id for row in charges() for c in row.credits]
    again = [c.external_id for row in charges() for c in row.credits]
    assert first == again and len(set(first)) == 8


def test_credits_written_as_json_keep_their_exact_text_and_round_half_even() -> None:
    text = (
        "cost,usage_start_time,credits\n"
        '10.5,2024-05-01 00:00:00+00:00,"[{""name"": ""CUD"", ""amount"": -0.0000025,'
        ' ""type"": ""COMMITTED_USAGE_DISCOUNT""}, {""name"": ""FT"", ""amount"": -1.0000035}]"\n'
    )
    colmap = ColumnMap(amount="cost", date="usage_start_time", credits="credits")
    (row,) = charges(io.StringIO(text), colmap)
    assert [(c.amount_text, c.amount) for c in row.credits] == [
        ("-0.0000025", micros("-0.0000025")),
        ("-1.0000035", micros("-1.0000035")),
    ]
    assert [c.amount for c in row.credits] == [-2, -1_000_004]  # half-even, per credit
    assert row.credits[0].description == "COMMITTED_USAGE_DISCOUNT credit (CUD)"


def test_credits_are_parsed_as_literals_only() -> None:
    from app.ingest.credits import parse_credits

    hostile = "[{'amount': __import__('os').getcwd()}]"
    with pytest.raises(Exception, match="not a list of credits"):
        parse_credits(hostile)


@pytest.mark.parametrize(
    "cell",
    [
        "[{'name': 'x'}]",  # no amount
        "[{'amount': 'minus one'}]",  # not a number
        "{'amount': -1}",  # not a list
        "[{'amount': -1e-06]",  # broken
    ],
)
def test_a_credits_cell_that_cannot_be_read_rejects_its_line(cell: str) -> None:
    text = "cost,usage_start_time,credits\n" + f'1,2024-05-01T00:00:00Z,"{cell}"\n'
    colmap = ColumnMap(amount="cost", date="usage_start_time", credits="credits")
    (row,) = list(read_mapped(io.StringIO(text), colmap))
    assert isinstance(row, RejectedRow) and "credits" in row.reason


def test_the_credits_column_can_be_unset_from_the_preset() -> None:
    colmap = ColumnMap.parse("preset=gcp-billing,credits=")
    assert all(row.credits == () for row in charges(GCP, colmap))


def test_a_missing_credits_column_fails_the_file_naming_it() -> None:
    from app.domain.errors import ValidationError

    text = "cost,usage_start_time\n1,2024-05-01T00:00:00Z\n"
    with pytest.raises(ValidationError) as info:
        list(
            read_mapped(
                io.StringIO(text),
                ColumnMap(amount="cost", date="usage_start_time", credits="credits"),
            )
        )
    assert info.value.field == "credits"
