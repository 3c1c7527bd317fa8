"""FOCUS exports, read end to end from the real sample files in tests/data."""

from __future__ import annotations

import csv
import gzip
import io
from collections import Counter
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest
from data_files import DATA as DATA_DIR

from app.domain.errors import ValidationError
from app.ingest import CostRow, RejectedRow, detect_focus_version, read_focus

REALDATA = DATA_DIR
SAMPLE_1_0 = REALDATA / "focus1.0_sample_1000rows.csv"
SAAS_1_1 = REALDATA / "focus1.2_spec_saas_spend_agreements_b2.csv"
VIRTUAL_1_2 = REALDATA / "focus1.2_spec_virtual_currency_pricing_model_a2.csv"


def micros(text: str) -> int:
    """The expected amount, computed without the code under test."""
    return int(Decimal(text).quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN) * 10**6)


def raw_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        return next(reader), list(reader)


def to_csv(header: list[str], rows: list[list[str]]) -> io.StringIO:
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    out.seek(0)
    return out


def cost_rows(source: object) -> list[CostRow]:
    rows = list(read_focus(source))  # type: ignore[arg-type]
    assert all(isinstance(row, CostRow) for row in rows), [
        row for row in rows if isinstance(row, RejectedRow)
    ]
    return rows  # type: ignore[return-value]


@pytest.mark.parametrize("path", [SAMPLE_1_0, SAAS_1_1, VIRTUAL_1_2], ids=lambda p: p.name)
def test_every_row_is_read_and_the_total_matches_an_independent_per_row_rounded_sum(path):
    header, rows = raw_rows(path)
    cost = header.index("BilledCost")
    parsed = cost_rows(path)
    assert len(parsed) == len(rows)
    assert sum(row.amount for row in parsed) == sum(micros(r[cost]) for r in rows)
    assert [row.amount_text for row in parsed] == [r[cost] for r in rows]
    assert [row.line for row in parsed] == list(range(1, len(rows) + 1))


def test_the_1_0_sample_totals_20_520216_dollars_in_usd():
    parsed = cost_rows(SAMPLE_1_0)
    assert sum(row.amount for row in parsed) == 20_520_216
    assert {row.currency for row in parsed} == {"USD"}


def test_credits_stay_negative_and_adjustments_are_kept():
    header, rows = raw_rows(SAMPLE_1_0)
    cost = header.index("BilledCost")
    parsed = cost_rows(SAMPLE_1_0)
    assert Counter(row.charge_category for row in parsed) == {
        "Usage": 997,
        "Adjustment": 2,
        "Credit": 1,
    }
    negative_texts = sum(1 for r in rows if Decimal(r[cost]) < 0)
    negative_micros = sum(1 for r in rows if micros(r[cost]) < 0)
    assert (negative_texts, negative_micros) == (13, 9)  # 4 credits round to 0 micros
    assert sum(1 for row in parsed if Decimal(row.amount_text) < 0) == negative_texts
    assert sum(1 for row in parsed if row.amount < 0) == negative_micros
    (credit,) = [row for row in parsed if row.charge_category == "Credit"]
    assert credit.amount == -2_613_700
    assert credit.amount_text == "-2.61370000000"


def test_eleven_decimal_costs_round_half_even_to_micros_and_keep_the_source_text():
    by_text = {row.amount_text: row.amount for row in cost_rows(SAMPLE_1_0)}
    assert by_text["0.00000080000"] == 1  # 0.8 micro
    assert by_text["0.00001605990"] == 16  # 16.0599 micros
    assert by_text["0.00004550000"] == 46  # a tie: 45.5 goes to the even 46
    assert by_text["0.00000150000"] == 2  # a tie: 1.5 goes to the even 2


def test_tags_written_as_json_with_doubled_quotes_become_a_dict():
    rows = {row.external_id: row for row in cost_rows(SAMPLE_1_0)}
    assert rows["19384"].tags == {
        "application": "BrightLensMatrix",
        "environment": "dev",
        "business_unit": "ViennaAI",
    }
    assert rows["5488176"].tags["Project"] == "Foo"
    assert rows["11472"].tags == {}  # Tags is the literal NULL


def test_null_cells_become_none_and_other_fields_are_filled():
    first = cost_rows(SAMPLE_1_0)[0]
    assert first.occurred_at == datetime(2024, 9, 18, 22, tzinfo=UTC)
    assert first.service == "Amazon Simple Queue Service"
    assert first.sub_account_id == "51738928782"
    assert first.sub_account_name == "Atlas Nimbus"
    assert first.provider == "AWS"
    assert first.quantity == Decimal("2.000000000000000")
    assert first.unit == "Requests"


def test_the_exports_own_id_column_is_the_external_id():
    header, rows = raw_rows(SAMPLE_1_0)
    ids = [row.external_id for row in cost_rows(SAMPLE_1_0)]
    assert ids == [r[header.index("Id")] for r in rows]


def test_content_ids_are_identical_across_two_reads_and_distinct_across_1000_rows():
    header, rows = raw_rows(SAMPLE_1_0)
    keep = [i for i, name in enumerate(header) if name != "Id"]
    without_id = ([header[i] for i in keep], [[r[i] for i in keep] for r in rows])
    first = [row.external_id for row in cost_rows(to_csv(*without_id))]
    second = [row.external_id for row in cost_rows(to_csv(*without_id))]
    assert first == second
    assert len(set(first)) == 1000
    assert all(len(ident) == 64 for ident in first)


def test_content_ids_do_not_change_when_null_is_written_as_an_empty_cell():
    header, rows = raw_rows(SAAS_1_1)
    with_nulls = [[cell or "NULL" for cell in r] for r in rows]
    assert [row.external_id for row in cost_rows(to_csv(header, rows))] == [
        row.external_id for row in cost_rows(to_csv(header, with_nulls))
    ]


def test_two_identical_rows_are_two_charges_with_distinct_repeatable_ids():
    header, rows = raw_rows(SAAS_1_1)
    doubled = [rows[2], rows[1], rows[2]]
    first = [row.external_id for row in cost_rows(to_csv(header, doubled))]
    assert first[2] == first[0] + "#2"
    assert len(set(first)) == 3
    assert first == [row.external_id for row in cost_rows(to_csv(header, doubled))]


def test_us_dates_with_two_digit_years_are_read_as_utc():
    header, rows = raw_rows(SAAS_1_1)
    start = header.index("ChargePeriodStart")
    expected = [datetime.strptime(r[start], "%m/%d/%y").replace(tzinfo=UTC) for r in rows]
    parsed = cost_rows(SAAS_1_1)
    assert [row.occurred_at for row in parsed] == expected
    assert parsed[0].amount == 1_200_000_000
    assert parsed[0].charge_category == "Purchase"


def test_a_file_starting_with_a_bom_is_read_by_path_and_by_plain_utf8_stream():
    assert SAMPLE_1_0.read_bytes()[:3] != b"\xef\xbb\xbf"
    assert VIRTUAL_1_2.read_bytes()[:3] == b"\xef\xbb\xbf"
    by_path = cost_rows(VIRTUAL_1_2)
    with VIRTUAL_1_2.open(encoding="utf-8", newline="") as handle:  # BOM left in the text
        by_stream = cost_rows(handle)
    assert by_path == by_stream
    assert [row.quantity for row in by_path] == [Decimal(245), Decimal(5), Decimal(120)]


def test_a_gzipped_export_is_read_from_its_path(tmp_path):
    packed = tmp_path / "focus.csv.gz"
    packed.write_bytes(gzip.compress(SAMPLE_1_0.read_bytes()))
    assert cost_rows(packed) == cost_rows(SAMPLE_1_0)


@pytest.mark.parametrize(
    ("path", "version"), [(SAMPLE_1_0, "1.0"), (SAAS_1_1, "1.1"), (VIRTUAL_1_2, "1.2")]
)
def test_the_focus_version_is_detected_from_the_columns_it_introduced(path, version):
    header, _ = raw_rows(path)
    assert detect_focus_version(header) == version


def test_a_header_that_is_not_focus_is_an_unknown_version():
    assert detect_focus_version(["lineItem/UnblendedCost", "lineItem/UsageStartDate"]) == "unknown"


@pytest.mark.parametrize("missing", ["BilledCost", "ChargePeriodStart", "BillingCurrency"])
def test_a_missing_required_column_fails_the_whole_file_naming_the_column(missing):
    header, rows = raw_rows(SAMPLE_1_0)
    keep = [i for i, name in enumerate(header) if name != missing]
    stream = to_csv([header[i] for i in keep], [[r[i] for i in keep] for r in rows[:3]])
    with pytest.raises(ValidationError) as raised:
        read_focus(stream)
    assert raised.value.field == missing
    assert missing in str(raised.value)


def test_missing_optional_columns_leave_their_fields_empty():
    header, _ = raw_rows(VIRTUAL_1_2)
    assert "Tags" not in header and "SubAccountId" not in header
    row = cost_rows(VIRTUAL_1_2)[0]
    assert row.tags == {}
    assert row.sub_account_id is None


def test_a_corrupted_amount_rejects_only_that_row_naming_the_column_and_value():
    header, rows = raw_rows(SAMPLE_1_0)
    sample = [list(r) for r in rows[:3]]
    sample[1][header.index("BilledCost")] = "0.0000x605990"
    parsed = list(read_focus(to_csv(header, sample)))
    assert isinstance(parsed[0], CostRow) and isinstance(parsed[2], CostRow)
    assert parsed[1] == RejectedRow(2, "BilledCost is not a number: '0.0000x605990'")


def test_an_unreadable_date_or_tags_cell_rejects_the_row_with_a_reason():
    header, rows = raw_rows(SAMPLE_1_0)
    sample = [list(r) for r in rows[1:3]]
    sample[0][header.index("ChargePeriodStart")] = "yesterday"
    sample[1][header.index("Tags")] = '{"application": "Bright'
    bad_date, bad_tags = read_focus(to_csv(header, sample))
    assert isinstance(bad_date, RejectedRow) and isinstance(bad_tags, RejectedRow)
    assert "ChargePeriodStart" in bad_date.reason and "'yesterday'" in bad_date.reason
    assert bad_tags.reason.startswith("Tags is not a JSON object")


def test_a_row_with_more_cells_than_the_header_is_rejected():
    header, rows = raw_rows(SAAS_1_1)
    parsed = list(read_focus(to_csv(header, [rows[0], [*rows[1], "extra"]])))
    assert isinstance(parsed[0], CostRow)
    assert parsed[1] == RejectedRow(2, f"has {len(header) + 1} fields but the header has 50")


class LineCountingStream(io.StringIO):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.lines_read = 0

    def __next__(self) -> str:
        self.lines_read += 1
        return super().__next__()


def test_rows_are_streamed_not_read_all_at_once():
    stream = LineCountingStream(SAMPLE_1_0.read_text(encoding="utf-8"))
    rows = read_focus(stream)
    for _ in range(5):
        next(rows)
    assert stream.lines_read <= 7  # header + 5 rows (+ read-ahead), not 1001
