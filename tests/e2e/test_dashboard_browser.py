"""The dashboard in a real browser: headless Chromium (driven by selenium and chromedriver)
against a real server. Data is made through GraphQL; the page is read and clicked like a user.

Skips when Chromium, chromedriver or selenium are missing, unless ALLOT_REQUIRE_BROWSER=1
(CI), which turns the skip into a failure.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from live import LiveServer

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1600",
)
WAIT_SECONDS = 20  # an upper bound for the page to catch up, not a timing assertion

GQL_BUDGET = """mutation($input: CreateBudgetInput!) { createBudget(input: $input) {
  __typename ... on BudgetCreated { budget { id } } ... on Error { code message } } }"""
GQL_PROJECT = """mutation($name: String!) { createProject(input: {name: $name}) {
  __typename ... on ProjectCreated { project { id } } ... on Error { code message } } }"""
GQL_ALLOCATE = """mutation($b: ID!, $p: ID!, $amount: Decimal!) { allocate(input: {budgetId: $b,
  projectId: $p, amount: $amount}) { __typename ... on AllocationSet { allocation { id } }
  ... on Error { code message } } }"""
GQL_SPEND = """mutation($b: ID!, $p: ID!, $amount: Decimal!) { recordSpend(input: {budgetId: $b,
  projectId: $p, amount: $amount, service: "aws-ec2"}) { __typename
  ... on SpendRecorded { spend { id } } ... on Error { code message } } }"""
GQL_USER = """mutation($name: String!, $email: String!) { createUser(input: {name: $name,
  email: $email}) { __typename ... on UserCreated { user { id } token }
  ... on Error { code message } } }"""
GQL_MEMBER = """mutation($p: ID!, $u: ID!) { addProjectMember(input: {projectId: $p, userId: $u}) {
  __typename ... on Error { code message } } }"""
GQL_REQUEST = """mutation($to: ID!) { requestTransfer(input: {fromPool: true, toAllocationId: $to,
  amount: "5000", reason: "GPU time for the camera-ready runs"}) { __typename
  ... on TransferRequested { transfer { id status } } ... on Error { code message } } }"""
GQL_CANCEL = """mutation($id: ID!) { cancelTransfer(input: {transferId: $id}) { __typename
  ... on Error { code message } } }"""
GQL_TRANSFER = (
    """query($id: ID!) { node(id: $id) { ... on Transfer { status decidedBy { name } } } }"""
)


def _chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        if found := shutil.which(name):
            return found
    return None


def _missing_browser_parts() -> list[str]:
    missing = []
    if _chromium() is None:
        missing.append("chromium (apt-get install chromium)")
    if shutil.which("chromedriver") is None:
        missing.append("chromedriver (apt-get install chromium-driver)")
    if importlib.util.find_spec("selenium") is None:
        missing.append("selenium (pip install selenium)")
    return missing


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if missing := _missing_browser_parts():
        reason = "real-browser test needs " + ", ".join(missing)
        if os.environ.get("ALLOT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"ALLOT_REQUIRE_BROWSER=1 but the {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _chromium()  # type: ignore[assignment]
    with tempfile.TemporaryDirectory(prefix="allot-chromium-") as profile:
        for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
            options.add_argument(flag)
        # Both paths given: selenium never looks for (or downloads) a driver itself.
        driver = webdriver.Chrome(
            options=options, service=Service(executable_path=shutil.which("chromedriver"))
        )
        try:
            yield driver
        finally:
            driver.quit()


def _ok(data: dict[str, Any], field: str) -> dict[str, Any]:
    result = data[field]
    assert "code" not in result, result
    return result


def _lab_with_a_pending_request(s: LiveServer) -> dict[str, str]:
    """Budget 100,000 USD this month; Genomics gets 70,000 and spends 1,234.56; Bob, a member
    of Genomics, asks for 5,000 from the pool, which waits for an owner."""
    start = datetime.now(UTC).date().replace(day=1).isoformat()
    budget = _ok(
        s.graphql(
            GQL_BUDGET,
            input={
                "name": "Dashboard Lab",
                "amount": "100000",
                "periodKind": "MONTHLY",
                "startDate": start,
            },
        ),
        "createBudget",
    )["budget"]["id"]
    project = _ok(s.graphql(GQL_PROJECT, name="Genomics"), "createProject")["project"]["id"]
    allocation = _ok(s.graphql(GQL_ALLOCATE, b=budget, p=project, amount="70000"), "allocate")[
        "allocation"
    ]["id"]
    _ok(s.graphql(GQL_SPEND, b=budget, p=project, amount="1234.56"), "recordSpend")
    bob = _ok(s.graphql(GQL_USER, name="Bob Member", email="bob@example.org"), "createUser")
    _ok(s.graphql(GQL_MEMBER, p=project, u=bob["user"]["id"]), "addProjectMember")
    transfer = _ok(s.graphql(GQL_REQUEST, token=bob["token"], to=allocation), "requestTransfer")[
        "transfer"
    ]
    assert transfer["status"] == "PENDING"
    return {
        "budget": budget,
        "allocation": allocation,
        "transfer": transfer["id"],
        "bob": bob["token"],
    }


def _wait(driver: Any, condition: Callable[[Any], Any]) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_SECONDS).until(condition)


def _text_of(driver: Any, css: str) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.CSS_SELECTOR, css).text)


def _enter_token(driver: Any, url: str, token: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(url)
    field = driver.find_element(By.ID, "token")
    field.clear()
    field.send_keys(token)
    driver.find_element(By.ID, "token-save").click()


def test_the_dashboard_shows_a_budget_and_approves_its_pending_transfer(
    live_server: LiveServer, browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    s = live_server
    made = _lab_with_a_pending_request(s)
    _enter_token(browser, f"{s.url}/", s.token)
    _wait(
        browser, lambda d: d.find_elements(By.CSS_SELECTOR, f'[data-budget-id="{made["budget"]}"]')
    )
    browser.find_element(By.CSS_SELECTOR, f'[data-budget-id="{made["budget"]}"]').click()
    _wait(browser, lambda d: _text_of(d, '[data-field="unallocated"]') == "30,000.00")

    assert _text_of(browser, "#budget-name") == "Dashboard Lab"
    assert _text_of(browser, '[data-field="amount"]') == "100,000.00"
    assert _text_of(browser, '[data-field="allocated"]') == "70,000.00"
    assert _text_of(browser, '[data-field="spent"]') == "1,234.56"
    assert _text_of(browser, '[data-field="remaining"]') == "98,765.44"
    assert _text_of(browser, "#budget-status") == "Healthy"
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-allocation-id="{made["allocation"]}"]')
    cells = [c.text for c in row.find_elements(By.CSS_SELECTOR, "th, td")]
    assert cells[:4] == ["Genomics", "70,000.00", "1,234.56", "68,765.44"]
    assert cells[4] == "1.8%" and cells[5] == "Healthy"
    assert browser.find_elements(By.CSS_SELECTOR, "#timeline svg polyline.spent")
    assert browser.find_elements(By.CSS_SELECTOR, "#timeline svg line.ideal")
    assert "aws-ec2" in _text_of(browser, "#services")
    pending = browser.find_element(By.CSS_SELECTOR, f'tr[data-transfer-id="{made["transfer"]}"]')
    assert "5,000.00" in pending.text and "Bob Member" in pending.text
    browser.save_screenshot(str(tmp_path / "dashboard.png"))
    if shot_dir := os.environ.get("ALLOT_SCREENSHOT_DIR"):  # to look at the page by hand
        browser.save_screenshot(str(Path(shot_dir) / "dashboard.png"))

    pending.find_element(By.CSS_SELECTOR, "button.approve").click()
    _wait(browser, lambda d: "APPLIED" in _text_of(d, "#message"))
    _wait(browser, lambda d: _text_of(d, '[data-field="unallocated"]') == "25,000.00")
    assert s.graphql(GQL_TRANSFER, id=made["transfer"])["node"] == {
        "status": "APPLIED",
        "decidedBy": {"name": "Ada Admin"},
    }
    assert not browser.find_elements(By.CSS_SELECTOR, f'tr[data-transfer-id="{made["transfer"]}"]')


def test_the_dashboard_says_so_when_the_token_is_refused(
    live_server: LiveServer, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    _enter_token(browser, f"{live_server.url}/dashboard", "not-a-real-token")
    _wait(browser, lambda d: "token was not accepted" in _text_of(d, "#message"))
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-budget-id]")
    assert not browser.find_element(By.ID, "budget").is_displayed()


def test_the_dashboard_shows_the_typed_error_when_a_transfer_was_decided_elsewhere(
    live_server: LiveServer, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    s = live_server
    made = _lab_with_a_pending_request(s)
    _enter_token(browser, f"{s.url}/#{made['budget']}", s.token)
    row = f'tr[data-transfer-id="{made["transfer"]}"]'
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, row))
    assert _ok(s.graphql(GQL_CANCEL, token=made["bob"], id=made["transfer"]), "cancelTransfer")

    browser.find_element(By.CSS_SELECTOR, f"{row} button.approve").click()
    _wait(browser, lambda d: "INVALID_STATE" in _text_of(d, "#message"))
    assert "Could not approve" in _text_of(browser, "#message")
    _wait(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, row))
    assert s.graphql(GQL_TRANSFER, id=made["transfer"])["node"]["status"] == "CANCELLED"
