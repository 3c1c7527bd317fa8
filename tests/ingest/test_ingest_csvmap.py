"""Non-FOCUS exports (AWS CUR, Azure EA, GCP billing) through column maps, on real files."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest
from data_files import DATA as DATA_DIR

from app.domain.errors import ValidationError
from app.ingest import PRESETS, ColumnMap, CostRow, RejectedRow, read_mapped

REALDATA = DATA_DIR
CUR_LEGACY = REALDATA / "aws_cur_legacy_koku_test_cur.csv"
CUR_SAVINGS_PLAN = REALDATA / "aws_cur_koku_2023-06-01_savingsplan.csv"
GCP = REALDATA / "gcp_billing_export_koku_202011.csv"
AZURE_EA = REALDATA / "azure_ea_actualcost_small_finops_toolkit.csv"

CASES = [
    (CUR_LEGACY, "aws-cur", "lineItem/UnblendedCost", 19),
    (CUR_SAVINGS_PLAN, "aws-cur", "lineItem/UnblendedCost", 3),
    (GCP, "gcp-billing", "cost", 25),
    (AZURE_EA, "azure-ea", "Cost", 11),
]


def micros(text: str) -> int:
    """The expected amount, computed without the code under test."""
    return int(Decimal(text).quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN) * 10**6)


def dict_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def cost_rows(source: object, colmap: ColumnMap) -> list[CostRow]:
    rows = list(read_mapped(source, colmap))  # type: ignore[arg-type]
    assert all(isinstance(row, CostRow) for row in rows), [
        row for row in rows if isinstance(row, RejectedRow)
    ]
    return rows  # type: ignore[return-value]


@pytest.mark.parametrize(("path", "preset", "column", "count"), CASES, ids=lambda c: str(c))
def test_each_preset_reads_its_real_export_with_an_independently_summed_total(
    path, preset, column, count
):
    expected = dict_rows(path)
    parsed = cost_rows(path, PRESETS[preset])
    assert len(parsed) == len(expected) == count
    assert sum(row.amount for row in parsed) == sum(micros(r[column]) for r in expected)
    assert [row.amount_text for row in parsed] == [r[column] for r in expected]


@pytest.mark.parametrize(("path", "preset", "column", "count"), CASES, ids=lambda c: str(c))
def test_ids_are_unique_within_a_file_and_identical_on_a_second_read(path, preset, column, count):
    first = [row.external_id for row in cost_rows(path, PRESETS[preset])]
    second = [row.external_id for row in cost_rows(path, PRESETS[preset])]
    assert first == second
    assert len(set(first)) == count


def test_aws_ids_join_the_line_item_id_and_its_time_interval():
    expected = [
        f"{r['identity/LineItemId']}|{r['identity/TimeInterval']}" for r in dict_rows(CUR_LEGACY)
    ]
    assert [row.external_id for row in cost_rows(CUR_LEGACY, PRESETS["aws-cur"])] == expected


def test_aws_cur_rows_one_cell_short_of_their_header_are_still_read():
    with CUR_LEGACY.open(newline="") as handle:
        reader = csv.reader(handle)
        assert {len(r) for r in reader} == {131, 130}  # header 131, every data row 130
    row = cost_rows(CUR_LEGACY, PRESETS["aws-cur"])[0]
    assert row.amount == 1653  # 0.00165303109242778
    assert row.quantity == Decimal("0.01001837025713806")
    assert (row.service, row.sub_account_id, row.unit) == ("AmazonEC2", "6838635603105", "GB")


def test_aws_tag_columns_are_gathered_by_prefix_without_the_user_prefix():
    colmap = ColumnMap.parse("preset=aws-cur,tags=noTags/*")
    row = cost_rows(CUR_SAVINGS_PLAN, colmap)[0]
    assert row.tags == {
        "app": "slatt",
        "environment": "smoke_test_run_sample_long_tag",
        "version": "zeta",
    }
    assert row.currency == "NOK"
    assert row.charge_category == "SavingsPlanCoveredUsage"


def test_azure_tags_without_outer_braces_are_parsed():
    rows = cost_rows(AZURE_EA, PRESETS["azure-ea"])
    assert rows[0].tags == {}
    assert rows[1].tags == {
        "CostCenter": "1234",
        "env": "prod",
        "org": "trey",
        "application": "databricks",
        "databricks-environment": "true",
    }
    assert rows[7].tags == {"CostCenter": "SubACM", "org": ""}


def test_azure_us_dates_and_sixteen_decimal_costs():
    rows = cost_rows(AZURE_EA, PRESETS["azure-ea"])
    assert rows[0].occurred_at == datetime(2023, 9, 21, tzinfo=UTC)
    assert rows[0].charge_category == "Purchase"
    assert rows[10].amount_text == "0.4838709677419368"
    assert rows[10].amount == 483871


def test_gcp_python_repr_labels_and_exponent_costs_are_read():
    rows = cost_rows(GCP, PRESETS["gcp-billing"])
    assert rows[0].amount_text == "5e-06"
    assert rows[0].amount == 5
    assert rows[0].occurred_at == datetime(2020, 11, 9, 23, tzinfo=UTC)
    assert rows[3].tags == {"goog-resource-type": "bigquery_resource"}
    assert rows[0].tags == {}
    assert (rows[0].sub_account_id, rows[0].sub_account_name) == (
        "billing-example-00000",
        "cloud-billing",
    )


def test_a_mapped_project_column_goes_into_tags_under_project():
    colmap = ColumnMap.parse("preset=gcp-billing,project=project.id")
    rows = cost_rows(GCP, colmap)
    assert rows[3].tags == {
        "goog-resource-type": "bigquery_resource",
        "project": "billing-example-00000",
    }


def test_a_column_map_is_parsed_from_text():
    colmap = ColumnMap.parse(
        "amount=lineItem/UnblendedCost, date=lineItem/UsageStartDate,"
        " currency=lineItem/CurrencyCode"
    )
    assert colmap == ColumnMap(
        amount="lineItem/UnblendedCost",
        date="lineItem/UsageStartDate",
        currency="lineItem/CurrencyCode",
    )
    rows = cost_rows(CUR_SAVINGS_PLAN, colmap)
    assert [row.amount for row in rows] == [10_000_000] * 3
    assert len({row.external_id for row in rows}) == 3  # no id column: content hashes


def test_a_preset_key_can_be_unset_with_an_empty_value():
    assert ColumnMap.parse("preset=azure-ea,tags=").tags is None
    assert ColumnMap.parse("preset=azure-ea").tags == "Tags"


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ("amount=Cost,date=Date,colour=blue", "colour"),
        ("amount=Cost", "date"),
        ("amount=Cost,date=Date,service", "service"),
        ("amount=Cost,date=Date,amount=Other", "amount"),
        ("preset=oracle", "preset"),
        ("amount=Cost,date=Date,default_currency=dollars", "default_currency"),
    ],
)
def test_a_bad_column_map_is_refused_naming_the_key(spec, field):
    with pytest.raises(ValidationError) as raised:
        ColumnMap.parse(spec)
    assert raised.value.field == field


def test_a_mapped_column_missing_from_the_file_fails_the_whole_file_naming_it():
    colmap = ColumnMap.parse("preset=azure-ea,amount=CostInBillingCurrency")
    with pytest.raises(ValidationError) as raised:
        read_mapped(AZURE_EA, colmap)
    assert raised.value.field == "CostInBillingCurrency"
    assert "mapped as amount" in str(raised.value)


def test_a_corrupted_cost_rejects_only_that_row():
    with GCP.open(newline="") as handle:
        lines = handle.read().splitlines()
    lines[2] = lines[2].replace(",5e-06,", ",5e-0x6,", 1)
    rows = list(read_mapped(io.StringIO("\n".join(lines[:4])), PRESETS["gcp-billing"]))
    assert isinstance(rows[0], CostRow) and isinstance(rows[2], CostRow)
    assert rows[1] == RejectedRow(2, "cost is not a number: '5e-0x6'")


def test_a_date_not_in_the_mapped_format_rejects_the_row():
    colmap = ColumnMap.parse("preset=azure-ea,date_format=%Y-%m-%d")
    rows = list(read_mapped(AZURE_EA, colmap))
    assert all(isinstance(row, RejectedRow) for row in rows)
    assert rows[0] == RejectedRow(1, "Date is not the format '%Y-%m-%d': '09/21/2023'")
