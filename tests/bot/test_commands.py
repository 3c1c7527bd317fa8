from __future__ import annotations

from decimal import Decimal

import pytest

from bot.commands import (
    POOL,
    USAGE,
    Allocate,
    Approve,
    Budgets,
    CommandError,
    Help,
    Link,
    Reject,
    Spend,
    Status,
    Transfer,
    TransferModal,
    parse_amount,
    parse_command,
    parse_money,
    tokenize,
)

# -- amounts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,250.50", Decimal("1250.50")),
        ("$5k", Decimal("5000")),
        ("5K", Decimal("5000")),
        ("$1.2m", Decimal("1200000")),
        ("2.5M", Decimal("2500000")),
        ("5000", Decimal("5000")),
        ("12.50", Decimal("12.50")),
        ("€30", Decimal("30")),
        ("£0.99", Decimal("0.99")),
        ("1,000,000", Decimal("1000000")),
        (".5", Decimal("0.5")),
        ("0.000001", Decimal("0.000001")),
        ("1.2345678k", Decimal("1234.5678")),
        ("  42  ", Decimal("42")),
    ],
)
def test_amounts_people_type_are_understood_exactly(text: str, expected: Decimal) -> None:
    amount = parse_amount(text)
    assert isinstance(amount, Decimal)
    assert amount == expected


def test_an_amount_keeps_every_micro_unit_a_float_would_lose() -> None:
    assert parse_amount("0.1") + parse_amount("0.2") == Decimal("0.3")
    assert parse_amount("9007199254740.993") == Decimal("9007199254740.993")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("abc", "not a number"),
        ("-5", "greater than zero"),
        ("−5", "greater than zero"),
        ("$-5", "greater than zero"),
        ("0", "greater than zero"),
        ("0.00", "greater than zero"),
        ("0k", "greater than zero"),
        ("1.2.3", "not a number"),
        ("5kk", "not a number"),
        ("k", "not a number"),
        ("$", "not a number"),
        ("NaN", "finite"),
        ("inf", "finite"),
        ("Infinity", "finite"),
        ("-inf", "finite"),
        ("1.1234567", "more than 6 decimal places"),
        ("0.0000000001k", "more than 6 decimal places"),
        ("1,25", "commas separate thousands"),
        ("12,50", "commas separate thousands"),
        ("1e3", "not a number"),
        ("5 000", "not a number"),
        ("99999999999999k", "too large"),
        ("", "required"),
    ],
)
def test_bad_amounts_are_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse_amount(text)
    assert reason in caught.value.message
    assert "12.50" in caught.value.message  # and says how to write one


def test_the_currency_symbol_typed_is_kept_beside_the_amount() -> None:
    assert parse_money("€30").currency_symbol == "€"
    assert parse_money("$5k").currency_symbol == "$"
    assert parse_money("30").currency_symbol is None


# -- tokenizing ---------------------------------------------------------------------------


def test_quoted_phrases_are_one_word_with_straight_or_smart_quotes() -> None:
    assert tokenize('spend 5 aws "GPU run" lab') == ["spend", "5", "aws", "GPU run", "lab"]
    assert tokenize("spend 5 aws “GPU run” lab") == ["spend", "5", "aws", "GPU run", "lab"]
    assert tokenize("spend 5 aws ‘GPU run’ lab") == ["spend", "5", "aws", "GPU run", "lab"]


def test_an_apostrophe_or_an_unclosed_quote_is_an_ordinary_character() -> None:
    assert tokenize("don't stop") == ["don't", "stop"]
    assert tokenize('"oops never closed') == ['"oops', "never", "closed"]


# -- subcommands --------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "help", "HELP", "?"])
def test_empty_text_and_help_ask_for_help(text: str) -> None:
    assert parse_command(text) == Help()


def test_help_with_a_command_asks_for_that_commands_help() -> None:
    assert parse_command("help transfer") == Help("transfer")
    assert parse_command("help SPEND") == Help("spend")
    with pytest.raises(CommandError, match='no command "bogus"'):
        parse_command("help bogus")


def test_status_without_a_name_means_my_projects() -> None:
    assert parse_command("status") == Status(None)


def test_status_takes_a_slug_or_a_name_with_spaces() -> None:
    assert parse_command("status gpu-lab") == Status("gpu-lab")
    assert parse_command("Status Deep  Learning") == Status("Deep Learning")
    assert parse_command('status "Cloud Q3"') == Status("Cloud Q3")


def test_budgets_takes_no_arguments() -> None:
    assert parse_command("budgets") == Budgets()
    with pytest.raises(CommandError, match="takes no arguments"):
        parse_command("budgets all")


def test_spend_reads_amount_service_description_and_project() -> None:
    assert parse_command('spend 12.50 aws-ec2 "GPU run" gpu-lab') == Spend(
        Decimal("12.50"), "aws-ec2", "GPU run", "gpu-lab"
    )


def test_spend_description_and_project_are_optional() -> None:
    assert parse_command("spend $5k openai") == Spend(Decimal("5000"), "openai", None, None, "$")
    assert parse_command("spend 3 openai “batch eval”") == Spend(
        Decimal("3"), "openai", "batch eval", None
    )


def test_spend_with_an_unquoted_description_asks_for_quotes() -> None:
    with pytest.raises(CommandError, match="put the description in quotes"):
        parse_command("spend 12.50 aws-ec2 GPU run for lab")


def test_spend_without_a_service_says_what_is_expected() -> None:
    with pytest.raises(CommandError) as caught:
        parse_command("spend 12.50")
    assert "needs an amount and a service" in caught.value.message
    assert "`/allot spend 12.50 aws-ec2`" in caught.value.message


def test_spend_with_a_bad_amount_names_the_amount_and_the_usage() -> None:
    with pytest.raises(CommandError) as caught:
        parse_command("spend aws-ec2 12.50")
    assert '"aws-ec2" is not a valid amount' in caught.value.message
    assert "Usage: `/allot spend" in caught.value.message


def test_allocate_reads_budget_project_and_amount() -> None:
    assert parse_command('allocate "Cloud Q3" gpu-lab 2,000') == Allocate(
        "Cloud Q3", "gpu-lab", Decimal("2000")
    )


def test_allocate_with_a_missing_part_is_refused() -> None:
    with pytest.raises(CommandError, match="needs a budget, a project and an amount"):
        parse_command("allocate gpu-lab 2000")


def test_transfer_reads_amount_source_target_and_reason() -> None:
    command = parse_command("transfer 5000 from gpu-lab to nlp-lab because the run moved")
    assert command == Transfer(Decimal("5000"), "gpu-lab", "nlp-lab", "the run moved")


def test_transfer_reason_keeps_its_own_words_spacing_and_punctuation() -> None:
    command = parse_command(
        "transfer $5k from a to b because we don't have  funds &amp; need 5 to go"
    )
    assert isinstance(command, Transfer)
    assert command.reason == "we don't have  funds & need 5 to go"
    assert command.currency_symbol == "$"


def test_transfer_names_may_be_quoted_or_several_words() -> None:
    command = parse_command('transfer 10 from "Deep Learning" to Vision Lab because "GPU time"')
    assert command == Transfer(Decimal("10"), "Deep Learning", "Vision Lab", "GPU time")


def test_transfer_from_or_to_the_pool_is_spelled_pool() -> None:
    assert parse_command("transfer 1 from Pool to lab because top-up").source == POOL  # type: ignore[union-attr]
    assert parse_command("transfer 1 from lab to POOL because done").target == POOL  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("transfer from a to b because x", "Start with the amount"),
        ("transfer 5 to b because x", 'Missing "from"'),
        ("transfer 5 from a b because x", 'Missing "to"'),
        ("transfer 5 from a to b", 'Missing "because"'),
        ("transfer 5 from a to b because", "Give a reason"),
        ("transfer 5 from to b because x", "Name both the source and the target"),
        ("transfer -5 from a to b because x", "greater than zero"),
    ],
)
def test_a_malformed_transfer_says_what_is_missing_with_an_example(text: str, problem: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse_command(text)
    assert problem in caught.value.message
    assert "`/allot transfer 5000 from gpu-lab to nlp-lab because" in caught.value.message


def test_a_bare_transfer_opens_the_modal() -> None:
    assert parse_command("transfer") == TransferModal()


def test_approve_takes_one_transfer_id() -> None:
    assert parse_command("approve VHJhbnNmZXI6NDI=") == Approve("VHJhbnNmZXI6NDI=")
    with pytest.raises(CommandError, match="exactly one transfer id"):
        parse_command("approve")


def test_reject_takes_an_id_and_an_optional_note() -> None:
    # T42, 42 and #42 are the API's trf_42 (help's own examples must work)
    assert parse_command("reject T42") == Reject("trf_42", None)
    assert parse_command("reject 42 not this quarter") == Reject("trf_42", "not this quarter")
    assert parse_command('reject trf_42 "not now"') == Reject("trf_42", "not now")
    with pytest.raises(CommandError, match="needs a transfer id"):
        parse_command("reject")


def test_link_takes_an_optional_code() -> None:
    assert parse_command("link") == Link(None)
    assert parse_command("link 7GQ2-K9PX") == Link("7GQ2-K9PX")
    with pytest.raises(CommandError, match="at most one code"):
        parse_command("link a b")


def test_an_unknown_subcommand_lists_the_known_ones_with_an_example() -> None:
    with pytest.raises(CommandError) as caught:
        parse_command("spned 5 aws")
    assert 'Unknown command "spned"' in caught.value.message
    assert all(name in caught.value.message for name in USAGE)
    assert "`/allot status`" in caught.value.message


def test_errors_quote_the_configured_command_name() -> None:
    with pytest.raises(CommandError, match="`/budget status`"):
        parse_command("nope", command_name="/budget")


@pytest.mark.parametrize(
    ("example", "kind"),
    [
        (example, kind)
        for name, kind in [
            ("status", Status),
            ("budgets", Budgets),
            ("spend", Spend),
            ("allocate", Allocate),
            ("transfer", (Transfer, TransferModal)),
            ("approve", Approve),
            ("reject", Reject),
            ("link", Link),
            ("help", Help),
        ]
        for example in USAGE[name].examples
    ],
)
def test_every_documented_example_parses_to_its_command(example: str, kind: type) -> None:
    assert isinstance(parse_command(example), kind)
