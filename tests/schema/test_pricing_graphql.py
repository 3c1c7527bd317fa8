from __future__ import annotations

from datetime import date

from helpers import make_user

from app.services import allocations, budgets

ERR = "... on Error { __typename code message }"


async def setup(actor, amount: str = "1000"):
    b = await budgets.create_budget(
        actor,
        name="Grant",
        amount="50000",
        period_kind="GRANT",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )
    p = await budgets.create_project(actor, name="Algo")
    await allocations.allocate(actor, budget_id=b.id, project_id=p.id, amount=amount)
    return f"bud_{b.id}", f"prj_{p.id}"


SET_RATE = (
    """mutation($card: String!, $service: String!, $unit: String!, $price: Decimal!,
  $from: Date) { setRate(input: {card: $card, service: $service, unit: $unit, price: $price,
  effectiveFrom: $from}) { __typename ... on RateSet { changed rate { id service unit price
  effectiveFrom card } } """
    + ERR
    + " } }"
)


async def test_rates_are_set_listed_and_used_to_price_usage_through_graphql(admin, gql) -> None:
    user, _, _ = admin
    data = await gql(
        user,
        SET_RATE,
        card="llm",
        service="gpt-x",
        unit="input_token",
        price="0.000000075",
        **{"from": "2026-01-01"},
    )
    assert data["setRate"]["changed"] is True
    assert data["setRate"]["rate"]["price"] == "0.000000075"
    await gql(
        user,
        SET_RATE,
        card="llm",
        service="gpt-x",
        unit="output_token",
        price="0.0000003",
        **{"from": "2026-01-01"},
    )
    await gql(
        user,
        SET_RATE,
        card="llm",
        service="gpt-x",
        unit="output_token",
        price="0.0000004",
        **{"from": "2026-04-01"},
    )
    data = await gql(
        user,
        """{ rateCards { totalCount nodes { name currency global
        rates(first: 2) { totalCount pageInfo { hasNextPage } nodes { unit price effectiveFrom } }
        current: rates(inForceAt: "2026-05-01", unit: "output_token") { nodes { price } } } } }""",
    )
    card = data["rateCards"]["nodes"][0]
    assert (card["name"], card["currency"], card["global"]) == ("llm", "USD", True)
    assert card["rates"]["totalCount"] == 3 and card["rates"]["pageInfo"]["hasNextPage"]
    assert card["current"]["nodes"] == [{"price": "0.0000004"}]
    data = await gql(
        user,
        """{ priceUsage(service: "gpt-x", unit: "input_token",
        quantity: "1000001", at: "2026-03-01T00:00:00Z") { amount exactAmount currency
        parts { price amount card effectiveFrom } } }""",
    )
    priced = data["priceUsage"]
    assert priced["exactAmount"] == "0.075000075" and priced["amount"] == "0.075"
    assert priced["parts"][0]["card"] == "llm"


async def test_record_spend_takes_usage_instead_of_an_amount(admin, gql) -> None:
    user, _, _ = admin
    _, project = await setup(admin[1])
    await gql(
        user,
        SET_RATE,
        card="llm",
        service="gpt-x",
        unit="input_token",
        price="0.0000025",
        **{"from": "2026-01-01"},
    )
    await gql(
        user,
        SET_RATE,
        card="llm",
        service="gpt-x",
        unit="output_token",
        price="0.00001",
        **{"from": "2026-01-01"},
    )
    record = (
        """mutation($p: ID!, $usage: [UsageInput!], $amount: Decimal) { recordSpend(input: {
        projectId: $p, model: "gpt-x", usage: $usage, amount: $amount}) { __typename
        ... on SpendRecorded { spend { amount service description allocation { spent } } }
        ... on UnpricedUsage { service unit } ... on ValidationError { field } """
        + ERR
        + " } }"
    )
    data = await gql(
        user,
        record,
        p=project,
        usage=[
            {"unit": "input_token", "quantity": "1000"},
            {"unit": "output_token", "quantity": "500"},
        ],
    )
    spend = data["recordSpend"]["spend"]
    assert spend["amount"] == "0.0075" and spend["service"] == "gpt-x"
    assert "0.0000025" in spend["description"] and spend["allocation"]["spent"] == "0.0075"
    data = await gql(user, record, p=project, usage=[{"unit": "image", "quantity": "1"}])
    assert data["recordSpend"]["__typename"] == "UnpricedUsage"
    assert data["recordSpend"]["code"] == "UNPRICED"
    assert (data["recordSpend"]["service"], data["recordSpend"]["unit"]) == ("gpt-x", "image")
    data = await gql(
        user, record, p=project, amount="1", usage=[{"unit": "input_token", "quantity": "1"}]
    )
    assert data["recordSpend"]["field"] == "usage"
    data = await gql(user, record, p=project)
    assert data["recordSpend"]["field"] == "amount"
    plain = """mutation($p: ID!) { recordSpend(input: {projectId: $p, service: "gpt-x",
        quantity: "2000", unit: "input_token"}) { __typename
        ... on SpendRecorded { spend { amount quantity unit } } } }"""
    data = await gql(user, plain, p=project)
    assert data["recordSpend"]["spend"] == {
        "amount": "0.005",
        "quantity": "2000",
        "unit": "input_token",
    }


async def test_log_time_records_hours_at_the_roles_rate(admin, gql) -> None:
    user, _, _ = admin
    _, project = await setup(admin[1])
    await gql(
        user,
        SET_RATE,
        card="people",
        service="postdoc",
        unit="hour",
        price="62.5",
        **{"from": "2026-01-01"},
    )
    data = await gql(
        user,
        """mutation($p: ID!) { logTime(input: {projectId: $p, hours: "3.5",
        role: "postdoc", occurredAt: "2026-03-14T17:00:00Z", description: "assays"}) {
        __typename ... on SpendRecorded { spend { amount quantity unit source } } """
        + ERR
        + " } }",
        p=project,
    )
    assert data["logTime"]["spend"] == {
        "amount": "218.75",
        "quantity": "3.5",
        "unit": "hour",
        "source": "time",
    }


async def test_a_member_cannot_set_a_global_rate(admin, gql) -> None:
    member, _ = await make_user("Mia Member")
    data = await gql(member, SET_RATE, card="llm", service="gpt-x", unit="input_token", price="1")
    assert data["setRate"]["__typename"] == "PermissionDenied"


async def test_holds_are_reserved_settled_and_released_through_graphql(admin, gql) -> None:
    user, _, _ = admin
    _, project = await setup(admin[1], amount="100")
    reserve = (
        """mutation($p: ID!, $amount: Decimal!) { reserveSpend(input: {projectId: $p,
        amount: $amount, ttlSeconds: 120}) { __typename ... on SpendReserved { duplicate
        reservation { id amount status expiresAt allocation { remaining held available } } }
        ... on InsufficientFunds { available } """
        + ERR
        + " } }"
    )
    data = await gql(user, reserve, p=project, amount="70")
    r = data["reserveSpend"]["reservation"]
    assert r["status"] == "OPEN" and r["expiresAt"].startswith("2026-03-15T12:02:00")
    assert r["allocation"] == {"remaining": "100", "held": "70", "available": "30"}
    data = await gql(user, reserve, p=project, amount="31")
    assert data["reserveSpend"]["__typename"] == "InsufficientFunds"
    assert data["reserveSpend"]["available"] == "30"
    data = await gql(
        user,
        """query($p: ID!) { authorizeSpend(projectId: $p, amount: "31") {
        allowed remaining } }""",
        p=project,
    )
    assert data["authorizeSpend"] == {"allowed": False, "remaining": "30"}
    data = await gql(
        user,
        """mutation($r: ID!) { settleReservation(input: {reservationId: $r,
        amount: "72.5", service: "batch"}) { __typename ... on ReservationSettled {
        reservation { status settledAmount } spend { amount service allocation { spent held } } } }
        }""",
        r=r["id"],
    )
    settled = data["settleReservation"]
    assert settled["reservation"] == {"status": "SETTLED", "settledAmount": "72.5"}
    assert settled["spend"]["allocation"] == {"spent": "72.5", "held": "0"}
    data = await gql(user, reserve, p=project, amount="20")
    second = data["reserveSpend"]["reservation"]["id"]
    data = await gql(
        user,
        """mutation($r: ID!) { releaseReservation(input: {reservationId: $r})
        { __typename ... on ReservationReleased { reservation { status allocation { held } } } }
        }""",
        r=second,
    )
    assert data["releaseReservation"]["reservation"] == {
        "status": "RELEASED",
        "allocation": {"held": "0"},
    }
