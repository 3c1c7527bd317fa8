"""The web app in a real browser: headless Chromium (driven by selenium and chromedriver)
against a real server. People sign in with their password; some data is made through GraphQL,
the rest is typed and clicked like a person would. Each test writes screenshots at 1400 and
390 px wide to $ALLOT_SCREENSHOTS (default: <tmp>/allot-screenshots, never committed).

Skips when Chromium, chromedriver or selenium are missing, unless ALLOT_REQUIRE_BROWSER=1
(CI), which turns the skip into a failure.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from live import LiveServer, allot

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
GQL_PASSWORD = """mutation($u: ID!, $p: String!) { setPassword(input: {userId: $u, password: $p}) {
  __typename ... on Error { code message } } }"""
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


def _confirm(driver: Any) -> None:
    """Click the open confirmation dialog's confirm button once the dialog is open (it opens
    on the click that asked for it, a moment later)."""
    from selenium.webdriver.common.by import By

    selector = "dialog[open] [data-confirm]"
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, selector))
    driver.find_element(By.CSS_SELECTOR, selector).click()


def _wait(driver: Any, condition: Callable[[Any], Any]) -> Any:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, WAIT_SECONDS).until(condition)
    except TimeoutException as exc:  # say what the page said
        notices = driver.execute_script(
            "return [...document.querySelectorAll('.notice, .field-error')].map(e => e.textContent)"
        )
        raise AssertionError(f"timed out at {driver.current_url}; the page says {notices}") from exc


ADA_PASSWORD = "ada's long password"
BOB_PASSWORD = "bob's long password"
WIDE, NARROW = 1400, 390


def _text_of(driver: Any, css: str) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.CSS_SELECTOR, css).text)


def _texts(driver: Any, css: str) -> list[str]:
    from selenium.webdriver.common.by import By

    return [str(e.text) for e in driver.find_elements(By.CSS_SELECTOR, css)]


def screenshot_dir() -> Path:
    folder = Path(
        os.environ.get("ALLOT_SCREENSHOTS")
        or os.environ.get("ALLOT_SCREENSHOT_DIR")
        or Path(tempfile.gettempdir()) / "allot-screenshots"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _viewport(driver: Any, width: int) -> None:
    driver.set_window_size(width, 1000)
    # The window's outer size includes nothing in headless mode, but check what the page sees.
    _wait(driver, lambda d: abs(d.execute_script("return window.innerWidth") - width) <= 20)


def _no_horizontal_overflow(driver: Any) -> None:
    """Nothing sticks out to the right: the page never scrolls sideways."""
    wide = driver.execute_script(
        "const w = document.documentElement.clientWidth;"
        " return [...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > w + 1 && !e.closest('.table-wrap'))"
        ".map(e => e.tagName + '.' + e.className + '#' + e.id).slice(0, 5);"
    )
    assert driver.execute_script(
        "return document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    ), wide
    assert wide == [], wide


def _shots(driver: Any, name: str) -> None:
    """Screenshots at 1400 and 390 px; at 390 the page must not overflow sideways."""
    for width in (WIDE, NARROW):
        _viewport(driver, width)
        height = driver.execute_script("return document.documentElement.scrollHeight")
        # The window's size includes the browser's own bars: add them, or the bottom is cut.
        bars = driver.execute_script("return Math.max(0, window.outerHeight - window.innerHeight)")
        driver.set_window_size(width, min(max(int(height) + int(bars) + 20, 800), 6000))
        driver.execute_script("window.scrollTo(0, 0)")
        driver.save_screenshot(str(screenshot_dir() / f"{name}-{width}.png"))
        if width == NARROW:
            _no_horizontal_overflow(driver)
    _viewport(driver, WIDE)


def _set(driver: Any, css: str, value: str) -> None:
    """Type into a field (date inputs get their value set, as their typing is locale-bound)."""
    from selenium.webdriver.common.by import By

    field = driver.find_element(By.CSS_SELECTOR, css)
    if field.get_attribute("type") == "date" or field.tag_name == "select":
        driver.execute_script(
            "const [el, v] = arguments; el.value = v;"
            " el.dispatchEvent(new Event(el.tagName === 'SELECT' ? 'change' : 'input',"
            " {bubbles: true}));",
            field,
            value,
        )
        return
    field.clear()
    driver.execute_script(
        "arguments[0].value = ''; arguments[0].dispatchEvent(new Event('input', {bubbles: true}))",
        field,
    )
    field.send_keys(value)


def _field(form: str, name: str, tag: str = "input") -> str:
    return f'{form} [data-field-name="{name}"] {tag}'


def _sign_in(driver: Any, url: str, email: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{url}/login")
    driver.delete_all_cookies()
    driver.get(f"{url}/login")
    _wait(driver, lambda d: d.find_elements(By.ID, "login-form"))
    _set(driver, _field("#login-form", "email"), email)
    _set(driver, _field("#login-form", "password"), password)
    driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    _wait(driver, lambda d: d.find_elements(By.ID, "viewer"))


def _ada_password(s: LiveServer) -> None:
    done = allot(
        {**s.env, "ALLOT_NEW_PASSWORD": ADA_PASSWORD}, "users", "set-password", "ada@example.org"
    )
    assert done.returncode == 0, done.stderr
    assert "may now sign in" in done.stdout


def _signed_in_ada(s: LiveServer, driver: Any, path: str = "/") -> None:
    _ada_password(s)
    _sign_in(driver, s.url, "ada@example.org", ADA_PASSWORD)
    if path != "/":
        driver.get(f"{s.url}{path}")


def _row(driver: Any, project: str) -> Any:
    from selenium.webdriver.common.by import By

    for row in driver.find_elements(By.CSS_SELECTOR, "#allocations tbody tr"):
        if row.find_element(By.CSS_SELECTOR, "th").text.startswith(project):
            return row
    raise AssertionError(f"no row for {project}")


def _cells(driver: Any, project: str) -> list[str]:
    from selenium.webdriver.common.by import By

    row = _row(driver, project)
    amount = row.find_elements(By.CSS_SELECTOR, "input.amount")
    cells = [c.text for c in row.find_elements(By.CSS_SELECTOR, "td.num")]
    if amount:
        cells[0] = amount[0].get_attribute("value")
    return cells


def test_sign_in_sign_out_and_a_wrong_password(live_server: LiveServer, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    s = live_server
    _ada_password(s)
    browser.delete_all_cookies()
    browser.get(f"{s.url}/budgets/bud_1")  # a deep link, signed out: the login page
    _wait(browser, lambda d: d.find_elements(By.ID, "login-form"))
    assert browser.current_url.endswith("/login")
    assert not browser.find_elements(By.ID, "token")  # the bare token paste is gone
    _shots(browser, "login")

    _set(browser, _field("#login-form", "email"), "ada@example.org")
    _set(browser, _field("#login-form", "password"), "not the password")
    browser.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    _wait(browser, lambda d: "do not match" in _text_of(d, "#login-error"))
    cookie = browser.get_cookie("allot_session")
    assert cookie is None

    _sign_in(browser, s.url, "ada@example.org", ADA_PASSWORD)
    assert _text_of(browser, "#viewer") == "Ada Admin (admin)"
    cookie = browser.get_cookie("allot_session")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax"
    assert browser.execute_script("return document.cookie") == ""  # not readable by scripts
    browser.refresh()  # the session survives a reload
    _wait(browser, lambda d: d.find_elements(By.ID, "viewer"))

    browser.find_element(By.ID, "sign-out").click()
    _wait(browser, lambda d: d.find_elements(By.ID, "login-form"))
    assert browser.get_cookie("allot_session") is None
    browser.get(f"{s.url}/")
    _wait(browser, lambda d: d.find_elements(By.ID, "login-form"))


def test_the_grant_persona_creates_funds_spends_and_reallocates(
    live_server: LiveServer, browser: Any
) -> None:
    """$50k grant → three projects funded → spend → $5k moved with a reason → the PDF."""
    from selenium.webdriver.common.by import By

    s = live_server
    _signed_in_ada(s, browser)
    _wait(browser, lambda d: d.find_elements(By.ID, "new-budget"))
    browser.find_element(By.ID, "new-budget").click()
    form = "#budget-form"
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, form))
    start = datetime.now(UTC).date().replace(day=1)
    _set(browser, _field(form, "name"), "NSF Grant")
    _set(browser, _field(form, "amount"), "$50k")
    assert "$50,000.00" in _text_of(browser, f'{form} [data-field-name="amount"] .understood')
    _set(browser, _field(form, "periodKind", "select"), "GRANT")
    _set(browser, _field(form, "startDate"), start.isoformat())
    browser.find_element(By.ID, "create-budget").click()  # no end date: said where it belongs
    _wait(browser, lambda d: "last day" in _text_of(d, f'{form} [data-field-name="endDate"]'))
    _set(browser, _field(form, "endDate"), start.replace(year=start.year + 1).isoformat())
    _set(browser, _field(form, "timezone"), "Mars/Olympus_Mons")
    browser.find_element(By.ID, "create-budget").click()  # the API's field error, in place
    _wait(
        browser,
        lambda d: d.find_elements(
            By.CSS_SELECTOR, f'{form} [data-field-name="timezone"] .field-error'
        ),
    )
    _shots(browser, "budget-form-errors")
    _set(browser, _field(form, "timezone"), "America/New_York")
    browser.find_element(By.ID, "create-budget").click()
    _wait(browser, lambda d: "/budgets/bud_" in d.current_url)
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, '[data-field="unallocated"]'))
    assert _text_of(browser, "#budget-name") == "NSF Grant"
    assert _text_of(browser, '[data-field="amount"]') == "$50,000.00"

    for name, amount in (("Imaging", "20,000"), ("Modeling", "15k"), ("Outreach", "$10,000.00")):
        if not browser.find_elements(By.ID, "add-project-form"):
            browser.find_element(By.ID, "add-project").click()
        _wait(browser, lambda d: d.find_elements(By.ID, "add-project-form"))
        _set(browser, _field("#add-project-form", "project", "select"), "new")
        _set(browser, _field("#add-project-form", "name"), name)
        _set(browser, _field("#add-project-form", "amount"), amount)
        browser.find_element(By.ID, "add-project-submit").click()
        _wait(browser, lambda d, n=name: n in " ".join(_texts(d, "#allocations tbody th")))
    _wait(browser, lambda d: _text_of(d, '[data-field="unallocated"]') == "$5,000.00")
    assert _text_of(browser, '[data-field="allocated"]') == "$45,000.00"

    # Over the pool: the table says so before anything is sent, and Save is disabled.
    amount_input = _row(browser, "Imaging").find_element(By.CSS_SELECTOR, "input.amount")
    _set(browser, f"#{amount_input.get_attribute('id')}", "26k")
    _wait(browser, lambda d: "more than the pool holds" in _text_of(d, "#pool-after"))
    assert not browser.find_element(By.ID, "save-allocations").is_enabled()
    _set(browser, f"#{amount_input.get_attribute('id')}", "$21,000")
    _wait(browser, lambda d: "$4,000.00" in _text_of(d, "#pool-after"))
    browser.find_element(By.ID, "save-allocations").click()
    _wait(browser, lambda d: _text_of(d, '[data-field="unallocated"]') == "$4,000.00")

    # Spend on Imaging, typed as people type it.
    _set(
        browser,
        _field("#spend-form", "projectId", "select"),
        _row(browser, "Imaging")
        .find_element(By.CSS_SELECTOR, "th a")
        .get_attribute("href")
        .rsplit("/", 1)[1],
    )
    _set(browser, _field("#spend-form", "amount"), "$1,250.50")
    _set(browser, _field("#spend-form", "service"), "microscope")
    browser.find_element(By.ID, "spend-submit").click()
    _wait(browser, lambda d: _text_of(d, '[data-field="spent"]') == "$1,250.50")

    # Reallocate $5k from Imaging to Modeling, with a reason (an owner's move applies at once).
    ids = {
        name: _row(browser, name).get_attribute("data-allocation-id")
        for name in ("Imaging", "Modeling")
    }
    _set(browser, _field("#transfer-form", "from", "select"), ids["Imaging"])
    _set(browser, _field("#transfer-form", "to", "select"), ids["Modeling"])
    _set(browser, _field("#transfer-form", "amount"), "5k")
    _wait(
        browser,
        lambda d: (
            "$21,000.00 → $16,000.00" in _text_of(d, '#transfer-form [data-field-name="from"]')
        ),
    )
    _set(browser, _field("#transfer-form", "reason"), "Modeling needs the GPU time")
    browser.find_element(By.ID, "transfer-submit").click()
    _wait(browser, lambda d: "APPLIED" in _text_of(d, "#message"))
    _wait(browser, lambda d: _cells(d, "Imaging")[0] == "16,000.00")
    assert _cells(browser, "Modeling")[0] == "20,000.00"
    assert _cells(browser, "Imaging")[1:3] == ["$1,250.50", "$14,749.50"]
    _shots(browser, "grant-budget")

    # The grant report downloads with the session (no token anywhere in the page).
    pdf = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        " const a = [...document.querySelectorAll('.downloads a')]"
        ".find(a => a.href.endsWith('summary.pdf'));"
        " fetch(a.href).then(async r => done([r.status, r.headers.get('content-type'),"
        " (await r.text()).slice(0, 5)]));"
    )
    assert pdf == [200, "application/pdf", "%PDF-"]

    browser.get(f"{s.url}/")
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".budget-card"))
    card = _text_of(browser, ".budget-card")
    assert "NSF Grant" in card and "$50,000.00" in card and "Projects\n3" in card
    _shots(browser, "budgets")


def test_an_owner_splits_equally_and_approves_with_a_confirmation(
    live_server: LiveServer, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    s = live_server
    made = _lab_with_a_pending_request(s)
    for name in ("Student A", "Student B", "Student C"):
        project = _ok(s.graphql(GQL_PROJECT, name=name), "createProject")["project"]["id"]
        _ok(s.graphql(GQL_ALLOCATE, b=made["budget"], p=project, amount="1"), "allocate")
    _signed_in_ada(s, browser, f"/budgets/{made['budget']}")
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#allocations tbody tr"))
    for name in ("Student A", "Student B", "Student C"):
        _row(browser, name).find_element(By.CSS_SELECTOR, "input[type=checkbox]").click()
    _wait(browser, lambda d: d.find_elements(By.ID, "split-form"))
    _set(browser, _field("#split-form", "total"), "$450")
    browser.find_element(By.ID, "split-submit").click()
    _wait(browser, lambda d: _cells(d, "Student A")[0] == "150.00")
    assert _cells(browser, "Student B")[0] == _cells(browser, "Student C")[0] == "150.00"

    pending = f'li[data-transfer-id="{made["transfer"]}"]'
    assert "$5,000.00" in _text_of(browser, pending) and "Bob Member" in _text_of(browser, pending)
    browser.find_element(By.CSS_SELECTOR, f"{pending} button.approve").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "dialog[open]"))
    _shots(browser, "approve-dialog")
    browser.find_element(By.CSS_SELECTOR, "dialog[open] textarea").send_keys("ok for the deadline")
    _confirm(browser)
    _wait(browser, lambda d: "APPLIED" in _text_of(d, "#message"))
    assert s.graphql(GQL_TRANSFER, id=made["transfer"])["node"] == {
        "status": "APPLIED",
        "decidedBy": {"name": "Ada Admin"},
    }
    _wait(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, f"#pending {pending}"))


def test_the_class_persona_splits_3750_over_25_students_who_each_see_only_their_own(
    live_server: LiveServer, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    s = live_server
    start = datetime.now(UTC).date().replace(day=1)
    budget = _ok(
        s.graphql(
            GQL_BUDGET,
            input={
                "name": "CS 101 credits",
                "amount": "3750",
                "periodKind": "CUSTOM",
                "startDate": start.isoformat(),
                "endDate": start.replace(year=start.year + 1).isoformat(),
            },
        ),
        "createBudget",
    )["budget"]["id"]
    projects = []
    for n in range(1, 26):
        project = _ok(s.graphql(GQL_PROJECT, name=f"Student {n:02d}"), "createProject")
        projects.append(project["project"]["id"])
        _ok(s.graphql(GQL_ALLOCATE, b=budget, p=projects[-1], amount="0"), "allocate")
    student = _ok(s.graphql(GQL_USER, name="Sam Student", email="sam@example.org"), "createUser")
    _ok(s.graphql(GQL_MEMBER, p=projects[6], u=student["user"]["id"]), "addProjectMember")
    _ok(s.graphql(GQL_PASSWORD, u=student["user"]["id"], p="sam's long password"), "setPassword")

    _signed_in_ada(s, browser, f"/budgets/{budget}")
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#allocations tbody tr")) == 25)
    browser.find_element(By.ID, "select-all").click()
    _wait(browser, lambda d: "25 selected" in _text_of(d, "#split-form h3"))
    _set(browser, _field("#split-form", "total"), "$3,751")  # more than the pool
    browser.find_element(By.ID, "split-submit").click()
    _wait(browser, lambda d: "At most $3,750.00" in _text_of(d, "#split-form"))
    _set(browser, _field("#split-form", "total"), "3,750")
    browser.find_element(By.ID, "split-submit").click()
    _wait(browser, lambda d: _text_of(d, '[data-field="unallocated"]') == "$0.00")
    amounts = {_cells(browser, f"Student {n:02d}")[0] for n in range(1, 26)}
    assert amounts == {"150.00"}
    _shots(browser, "class-budget")

    browser.find_element(By.ID, "sign-out").click()
    _sign_in(browser, s.url, "sam@example.org", "sam's long password")
    browser.get(f"{s.url}/budgets/{budget}")
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#allocations tbody tr"))
    assert _texts(browser, "#allocations tbody th") == ["Student 07 your allocation"]
    assert _text_of(browser, '[data-field="allocated"]') == "$150.00"
    _shots(browser, "class-student")


def test_a_transfer_decided_elsewhere_shows_the_typed_error(
    live_server: LiveServer, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    s = live_server
    made = _lab_with_a_pending_request(s)
    _signed_in_ada(s, browser, f"/transfers/{made['transfer']}")  # the deep link Slack sends
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "button.approve"))
    assert _text_of(browser, '[data-field="status"]') == "PENDING"
    assert _ok(s.graphql(GQL_CANCEL, token=made["bob"], id=made["transfer"]), "cancelTransfer")
    browser.find_element(By.CSS_SELECTOR, "button.approve").click()
    _confirm(browser)
    _wait(browser, lambda d: "Could not approve" in _text_of(d, "#message"))
    _wait(browser, lambda d: _text_of(d, '[data-field="status"]') == "CANCELLED")
    _shots(browser, "transfer")


def test_a_member_sees_their_envelope_and_the_pool_and_is_denied_the_rest(
    live_server: LiveServer, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    s = live_server
    made = _lab_with_a_pending_request(s)
    other = _ok(
        s.graphql(
            GQL_BUDGET,
            input={
                "name": "Secret",
                "amount": "10",
                "periodKind": "MONTHLY",
                "startDate": datetime.now(UTC).date().replace(day=1).isoformat(),
            },
        ),
        "createBudget",
    )["budget"]["id"]
    bob_id = s.graphql("{ viewer { id } }", token=made["bob"])["viewer"]["id"]
    _ok(s.graphql(GQL_PASSWORD, u=bob_id, p=BOB_PASSWORD), "setPassword")
    _sign_in(browser, s.url, "bob@example.org", BOB_PASSWORD)
    assert not browser.find_elements(By.ID, "new-budget")  # not a budget creator
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".budget-card"))
    assert _texts(browser, ".budget-card h2") == ["Dashboard Lab"]  # not "Secret"
    card = _text_of(browser, ".budget-card")
    assert "The pool\n$30,000.00" in card and "Your allocation\n$70,000.00" in card
    _shots(browser, "member-budgets")

    browser.find_element(By.CSS_SELECTOR, ".budget-card h2 a").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, '[data-field="unallocated"]'))
    labels = _texts(browser, ".figures.big dt")
    assert labels == ["Your allocation", "Your spend", "The pool"]
    assert "your allocation" in _text_of(browser, "#allocations tbody")
    assert not browser.find_elements(By.CSS_SELECTOR, "input.amount")  # no editing
    assert not browser.find_elements(By.ID, "add-project")
    assert not browser.find_elements(By.CSS_SELECTOR, "button.approve")
    assert "Waiting for an owner" in _text_of(browser, "#pending")
    _shots(browser, "member-budget")
    browser.find_element(By.CSS_SELECTOR, "#pending button.cancel").click()  # their own request
    _confirm(browser)
    _wait(browser, lambda d: "CANCELLED" in _text_of(d, "#message"))

    # Their project's page: their envelope across budgets, labelled as theirs, and the pool.
    _row(browser, "Genomics").find_element(By.CSS_SELECTOR, "th a").click()
    _wait(browser, lambda d: d.find_elements(By.ID, "project-name"))
    project = _text_of(browser, "li.card")
    assert "Your allocation\n$70,000.00" in project and "The pool\n$30,000.00" in project
    assert "Your role: member" in _text_of(browser, "article")
    _shots(browser, "member-project")

    # What the page does not offer, the API refuses: the refusal is shown, nothing is made.
    browser.get(f"{s.url}/budgets/new")
    _wait(browser, lambda d: d.find_elements(By.ID, "budget-form"))
    _set(browser, _field("#budget-form", "name"), "Bob's own")
    _set(browser, _field("#budget-form", "amount"), "1m")
    _set(browser, _field("#budget-form", "periodKind", "select"), "MONTHLY")
    browser.find_element(By.ID, "create-budget").click()
    _wait(browser, lambda d: "Could not create the budget" in _text_of(d, "#message"))
    assert "create budgets" in _text_of(browser, "#message")
    browser.get(f"{s.url}/budgets/{other}")
    _wait(browser, lambda d: "may not see it" in _text_of(d, "#message"))
    names = [b["name"] for b in s.graphql("{ budgets { nodes { name } } }")["budgets"]["nodes"]]
    assert "Bob's own" not in names


def test_an_admin_adds_a_person_who_signs_in_and_changes_their_password(
    live_server: LiveServer, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    s = live_server
    _signed_in_ada(s, browser)
    browser.find_element(By.ID, "settings-link").click()
    _wait(browser, lambda d: d.find_elements(By.ID, "person-form"))
    form = "#person-form"
    _set(browser, _field(form, "name"), "Cy Student")
    _set(browser, _field(form, "email"), "cy@example.org")
    _set(browser, _field(form, "password"), "short")
    browser.find_element(By.CSS_SELECTOR, f"{form} button[type=submit]").click()
    # The API's rule, shown at the field it names.
    _wait(browser, lambda d: "10 to 1000" in _text_of(d, f'{form} [data-field-name="password"]'))
    _set(browser, _field(form, "password"), "cy's first password")
    browser.find_element(By.CSS_SELECTOR, f"{form} button[type=submit]").click()
    _wait(browser, lambda d: "they can sign in now" in _text_of(d, f"{form} .notice"))
    _shots(browser, "settings")

    browser.find_element(By.ID, "sign-out").click()
    _wait(browser, lambda d: d.find_elements(By.ID, "login-form"))
    _sign_in(browser, s.url, "cy@example.org", "cy's first password")
    assert _text_of(browser, "#viewer") == "Cy Student"
    browser.get(f"{s.url}/settings")
    _wait(browser, lambda d: d.find_elements(By.ID, "password-form"))
    assert not browser.find_elements(By.ID, "person-form")  # admins only
    _set(browser, _field("#password-form", "password"), "cy's own password")
    _set(browser, _field("#password-form", "again"), "cy's own password")
    browser.find_element(By.CSS_SELECTOR, "#password-form button[type=submit]").click()
    _wait(browser, lambda d: "Password changed" in _text_of(d, "#password-form .notice"))
    # A new password ends the sessions of the old one, this one included: sign in again.
    browser.get(f"{s.url}/")
    _wait(browser, lambda d: d.find_elements(By.ID, "login-form"))
    _sign_in(browser, s.url, "cy@example.org", "cy's own password")


# -- budget settings, spend list, import queue (pages-budget-edit.js, pages-spend.js,
# pages-unassigned.js) ----------------------------------------------------------------------

GQL_SETTINGS = """query($id: ID!) { budget(id: $id) { name alertThresholds archivedAt
  owners { email } } }"""
GQL_SPEND_OF = """mutation($b: ID!, $p: ID!, $amount: Decimal!, $service: String!, $d: String!) {
  recordSpend(input: {budgetId: $b, projectId: $p, amount: $amount, service: $service,
  description: $d}) { __typename ... on SpendRecorded { spend { id } }
  ... on Error { code message } } }"""
GQL_ALLOCATION_SPENT = """query($id: ID!) { node(id: $id) { ... on Allocation { spent
  spends(first: 100) { nodes { id voided voidReason } } } } }"""


def _click(driver: Any, css: str) -> None:
    from selenium.webdriver.common.by import By

    element = driver.find_element(By.CSS_SELECTOR, css)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def test_an_owner_edits_the_budget_sees_a_field_error_archives_and_restores(
    live_server: LiveServer, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    s = live_server
    made = _lab_with_a_pending_request(s)
    _signed_in_ada(s, browser, f"/budgets/{made['budget']}")
    _wait(browser, lambda d: d.find_elements(By.ID, "edit-budget-link"))
    assert browser.find_elements(By.ID, "spend-link")
    _shots(browser, "budget-owner-links")
    _click(browser, "#edit-budget-link")
    _wait(browser, lambda d: d.find_elements(By.ID, "budget-edit-form"))
    form = "#budget-edit-form"
    # Prefilled from the budget, calendar included (fixed: the budget has started).
    assert browser.find_element(By.CSS_SELECTOR, _field(form, "name")).get_attribute("value") == (
        "Dashboard Lab"
    )
    thresholds = _field(form, "alertThresholds")
    assert browser.find_element(By.CSS_SELECTOR, thresholds).get_attribute("value") == "50, 80, 100"
    assert not browser.find_element(By.CSS_SELECTOR, _field(form, "resetDay")).is_enabled()
    assert (
        browser.find_element(By.CSS_SELECTOR, _field(form, "slackPrivacy", "select")).get_attribute(
            "value"
        )
        == "AMOUNTS"
    )
    _shots(browser, "budget-edit")

    # A threshold out of the API's range: its message, next to the field it names.
    _set(browser, thresholds, "50, 80, 2000")
    _click(browser, "#save-budget")
    _wait(
        browser,
        lambda d: d.find_elements(
            By.CSS_SELECTOR, f'{form} [data-field-name="alertThresholds"] .field-error'
        ),
    )
    message = _text_of(browser, f'{form} [data-field-name="alertThresholds"] .field-error')
    assert "1000" in message, message
    assert browser.find_element(By.CSS_SELECTOR, thresholds).get_attribute("aria-invalid") == "true"
    assert "Could not save" in _text_of(browser, "#message")
    _shots(browser, "budget-edit-error")
    assert s.graphql(GQL_SETTINGS, id=made["budget"])["budget"]["alertThresholds"] == [50, 80, 100]

    _set(browser, _field(form, "name"), "Dashboard Lab FY27")
    _set(browser, thresholds, "40, 90")
    _click(browser, "#save-budget")
    _wait(browser, lambda d: "Saved the name, alert thresholds" in _text_of(d, "#message"))
    assert not browser.find_elements(By.CSS_SELECTOR, f"{form} .field-error")
    settings = s.graphql(GQL_SETTINGS, id=made["budget"])["budget"]
    assert settings["name"] == "Dashboard Lab FY27" and settings["alertThresholds"] == [40, 90]

    # Owners by e-mail: an unknown address is refused at the field; a known one is added.
    _set(browser, _field("#add-owner-form", "email"), "nobody@example.org")
    _click(browser, "#add-owner")
    _wait(
        browser,
        lambda d: "nobody@example.org" in _text_of(d, '#add-owner-form [data-field-name="email"]'),
    )
    _set(browser, _field("#add-owner-form", "email"), "bob@example.org")
    _click(browser, "#add-owner")
    _wait(browser, lambda d: "Bob Member" in _text_of(d, "#owners"))
    owners = s.graphql(GQL_SETTINGS, id=made["budget"])["budget"]["owners"]
    assert {o["email"] for o in owners} == {"ada@example.org", "bob@example.org"}
    bob_row = "#owners li:nth-child(2) button.remove-owner"
    _click(browser, bob_row)
    _confirm(browser)
    _wait(browser, lambda d: "Bob Member" not in _text_of(d, "#owners"))

    # Archive with a confirmation: read-only, out of the list; then restore.
    _click(browser, "#archive-budget")
    _confirm(browser)
    _wait(browser, lambda d: d.find_elements(By.ID, "archived-badge"))
    assert s.graphql(GQL_SETTINGS, id=made["budget"])["budget"]["archivedAt"]
    assert not browser.find_element(By.ID, "save-budget").is_enabled()
    names = [b["name"] for b in s.graphql("{ budgets { nodes { name } } }")["budgets"]["nodes"]]
    assert "Dashboard Lab FY27" not in names
    _shots(browser, "budget-archived")
    browser.get(f"{s.url}/budgets/{made['budget']}")  # the budget page says so too
    _wait(browser, lambda d: d.find_elements(By.ID, "budget-archived"))
    _click(browser, "#edit-budget-link")
    _wait(browser, lambda d: d.find_elements(By.ID, "restore-budget"))
    _click(browser, "#restore-budget")
    _confirm(browser)
    _wait(browser, lambda d: not d.find_elements(By.ID, "archived-badge"))
    assert s.graphql(GQL_SETTINGS, id=made["budget"])["budget"]["archivedAt"] is None
    assert browser.find_element(By.ID, "save-budget").is_enabled()

    # Delete: this budget moved money, so the API refuses and says why; nothing is deleted.
    _click(browser, "#delete-budget")
    _confirm(browser)
    _wait(browser, lambda d: "Could not delete" in _text_of(d, "#lifecycle-message"))
    assert "archive" in _text_of(browser, "#lifecycle-message").lower()
    assert s.graphql(GQL_SETTINGS, id=made["budget"])["budget"]["name"] == "Dashboard Lab FY27"


def test_a_member_gets_no_budget_settings_form(live_server: LiveServer, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    s = live_server
    made = _lab_with_a_pending_request(s)
    bob_id = s.graphql("{ viewer { id } }", token=made["bob"])["viewer"]["id"]
    _ok(s.graphql(GQL_PASSWORD, u=bob_id, p=BOB_PASSWORD), "setPassword")
    _sign_in(browser, s.url, "bob@example.org", BOB_PASSWORD)
    browser.get(f"{s.url}/budgets/{made['budget']}")
    _wait(browser, lambda d: d.find_elements(By.ID, "spend-link"))
    assert not browser.find_elements(By.ID, "edit-budget-link")
    assert not browser.find_elements(By.ID, "unassigned-link")  # owns no budget
    browser.get(f"{s.url}/budgets/{made['budget']}/edit")
    _wait(browser, lambda d: "Only the budget's owners and admins" in _text_of(d, "#message"))
    assert not browser.find_elements(By.ID, "budget-edit-form")
    assert not browser.find_elements(By.ID, "archive-budget")
    _shots(browser, "member-budget-edit")


def test_the_spend_list_pages_filters_by_service_adds_and_voids(
    live_server: LiveServer, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    s = live_server
    made = _lab_with_a_pending_request(s)
    project = s.graphql("{ projects { nodes { id } } }")["projects"]["nodes"][0]["id"]
    for i in range(20):  # with the lab's one aws-ec2 spend: 21 aws-ec2, 10 gpt-4o
        service = "gpt-4o" if i % 2 else "aws-ec2"
        _ok(
            s.graphql(
                GQL_SPEND_OF,
                b=made["budget"],
                p=project,
                amount=f"{i + 1}.25",
                service=service,
                d=f"run {i + 1}",
            ),
            "recordSpend",
        )
    for i in range(10):
        _ok(
            s.graphql(
                GQL_SPEND_OF,
                b=made["budget"],
                p=project,
                amount="3",
                service="aws-ec2",
                d=f"disk {i + 1}",
            ),
            "recordSpend",
        )
    _signed_in_ada(s, browser, f"/budgets/{made['budget']}")
    _wait(browser, lambda d: d.find_elements(By.ID, "spend-link"))
    _click(browser, "#spend-link")
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#spends tbody tr")) == 25)
    assert _text_of(browser, "#spend-count") == "Showing 25 of 31."
    first = _texts(browser, "#spends tbody tr:first-child td")
    assert first[1] == "$1,234.56" and first[2] == "aws-ec2" and first[4] == "api"
    _shots(browser, "spend-list")
    _click(browser, "#load-more")
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#spends tbody tr")) == 31)
    assert not browser.find_elements(By.ID, "load-more")

    _set(browser, _field("#spend-filters", "service", "select"), "gpt-4o")
    _wait(browser, lambda d: _text_of(d, "#spend-count") == "Showing 10 of 10.")
    assert set(_texts(browser, '#spends tbody td[data-label="Service"]')) == {"gpt-4o"}
    _shots(browser, "spend-list-filtered")
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    _set(browser, _field("#spend-filters", "fromDate"), tomorrow)
    _wait(browser, lambda d: _text_of(d, "#spend-count") == "No spend matches.")
    _click(browser, "#clear-filters")
    _wait(browser, lambda d: _text_of(d, "#spend-count") == "Showing 25 of 31.")

    # Void the first spend: the reason is required; the row stays, marked voided.
    _click(browser, "#spends tbody tr:first-child button.void")
    _wait(browser, lambda d: d.find_elements(By.ID, "void-form"))
    _click(browser, "#void-form [data-confirm]")
    _wait(browser, lambda d: "Say why" in _text_of(d, "#void-form"))
    _set(browser, _field("#void-form", "reason", "textarea"), "billed twice")
    _click(browser, "#void-form [data-confirm]")
    _wait(browser, lambda d: "Voided" in _text_of(d, "#message"))
    _wait(browser, lambda d: "voided" in _text_of(d, "#spends tbody tr:first-child"))
    assert "billed twice" in _text_of(browser, "#spends tbody tr:first-child")
    assert not browser.find_elements(By.CSS_SELECTOR, "#spends tbody tr:first-child button.void")
    assert _text_of(browser, "#spend-count") == "Showing 25 of 32."  # + the reversing record

    # Add a spend with the budget page's form.
    _set(browser, _field("#spend-form", "amount"), "$1,000")
    _set(browser, _field("#spend-form", "service"), "lab-supplies")
    _click(browser, "#spend-submit")
    _wait(browser, lambda d: "Recorded $1,000.00" in _text_of(d, "#message"))
    _wait(browser, lambda d: _text_of(d, "#spend-count") == "Showing 25 of 33.")
    _wait(
        browser,
        lambda d: "lab-supplies" in _text_of(d, '#spend-filters [data-field-name="service"]'),
    )
    spends = s.graphql(GQL_ALLOCATION_SPENT, id=made["allocation"])["node"]["spends"]["nodes"]
    assert spends[0]["voided"] is True and spends[0]["voidReason"] == "billed twice"
    _shots(browser, "spend-list-voided")


def test_an_unassigned_row_is_assigned_and_another_becomes_a_rule_that_routes_the_rest(
    live_server: LiveServer, browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    s = live_server
    made = _lab_with_a_pending_request(s)
    proteomics = _ok(s.graphql(GQL_PROJECT, name="Proteomics"), "createProject")["project"]["id"]
    p_alloc = _ok(
        s.graphql(GQL_ALLOCATE, b=made["budget"], p=proteomics, amount="1000"), "allocate"
    )["allocation"]["id"]
    day = datetime.now(UTC).date().isoformat()
    rows = [("r1", "10.50", "Amazon S3", "alpha"), ("r2", "20", "Amazon EC2", "beta"),
            ("r3", "30", "Amazon EC2", "beta"), ("r4", "40", "AWS Lambda", "beta")]  # fmt: skip
    lines = ["Id,BilledCost,ChargePeriodStart,BillingCurrency,ServiceName,Tags"]
    lines += [f'{i},{c},{day}T00:00:00Z,USD,{svc},"{{""team"": ""{t}""}}"' for i, c, svc, t in rows]
    export = tmp_path / "focus.csv"
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = allot(s.env, "import", "focus", str(export), "--budget", made["budget"])
    assert done.returncode == 0, done.stderr + done.stdout
    held = s.graphql("{ unassignedSpends { totalCount } }")["unassignedSpends"]["totalCount"]
    assert held == 4

    _signed_in_ada(s, browser)
    _wait(browser, lambda d: d.find_elements(By.ID, "unassigned-link"))
    _click(browser, "#unassigned-link")
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#queue tbody tr")) == 4)
    assert _text_of(browser, "#queue-title") == "4 rows held"
    first = _texts(browser, "#queue tbody tr:first-child td")
    assert first[1] == "$10.50" and "Amazon S3" in first[2] and first[3] == "team=alpha"
    assert "no routing rule" in first[4]
    _shots(browser, "unassigned")

    # Assign the first row to Genomics.
    _click(browser, "#queue tbody tr:first-child button.assign")
    _wait(browser, lambda d: d.find_elements(By.ID, "assign-form"))
    _click(browser, "#assign-submit")  # no project yet: said at the field
    _wait(browser, lambda d: "Choose the project" in _text_of(d, "#assign-form"))
    _set(
        browser,
        _field("#assign-form", "projectId", "select"),
        s.graphql("{ projects { nodes { id name } } }")["projects"]["nodes"][0]["id"],
    )
    _shots(browser, "unassigned-assign")
    _click(browser, "#assign-submit")
    _wait(browser, lambda d: "Recorded $10.50 as spend of Genomics" in _text_of(d, "#message"))
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#queue tbody tr")) == 3)

    # Make a rule from the next row (prefilled with its tag), then route the rest with it.
    _click(browser, "#queue tbody tr:first-child button.make-rule")
    _wait(browser, lambda d: d.find_elements(By.ID, "rule-form"))
    match = browser.find_element(By.CSS_SELECTOR, _field("#rule-form", "match", "select"))
    assert match.find_element(By.CSS_SELECTOR, "option:checked").text == "Tag team = beta"
    assert (
        browser.find_element(By.CSS_SELECTOR, _field("#rule-form", "value")).get_attribute("value")
        == "beta"
    )
    _set(browser, _field("#rule-form", "projectId", "select"), proteomics)
    _shots(browser, "unassigned-rule")
    _click(browser, "#rule-submit")
    _wait(browser, lambda d: d.find_elements(By.ID, "apply-rules"))
    assert "team = beta → Proteomics" in _text_of(browser, "#message")
    _click(browser, "#apply-rules")
    _wait(browser, lambda d: "3 rows recorded as spend" in _text_of(d, "#message"))
    assert "0 still unassigned" in _text_of(browser, "#message")
    _wait(browser, lambda d: d.find_elements(By.ID, "queue-empty"))
    _shots(browser, "unassigned-empty")
    assert s.graphql(GQL_ALLOCATION_SPENT, id=p_alloc)["node"]["spent"] == "90"
    assert s.graphql(GQL_ALLOCATION_SPENT, id=made["allocation"])["node"]["spent"] == "1245.06"


# ---------------------------------------------------------------------------------------------
# API tokens on the settings page, the alerts panel, periods (pages-tokens.js, pages-alerts.js,
# pages-periods.js)

GQL_OWNED_BUDGET = """mutation($input: CreateBudgetInput!) { createBudget(input: $input) {
  __typename ... on BudgetCreated { budget { id } } ... on Error { code message } } }"""
GQL_ALERTS = """query($b: ID!) { alerts(budgetId: $b) { nodes { id scope state threshold
  acknowledgedBy { name } } } }"""
GQL_NEXT_PERIOD = """query($id: ID!) { budget(id: $id) { rolloverPreview { nextPeriodStart } } }"""
GQL_PERIODS = """query($id: ID!) { budget(id: $id) { periods { seq status spent } } }"""


def _authenticates(s: LiveServer, token: str) -> bool:
    import httpx

    response = httpx.post(
        f"{s.url}/graphql",
        json={"query": "{ viewer { id } }"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    body = response.json()
    return response.status_code == 200 and bool((body.get("data") or {}).get("viewer"))


def _token_row(driver: Any, table: str, label: str) -> Any:
    from selenium.webdriver.common.by import By

    for row in driver.find_elements(By.CSS_SELECTOR, f"{table} tbody tr"):
        if row.find_element(By.CSS_SELECTOR, "th").text == label:
            return row
    raise AssertionError(f"no token row {label!r} in {table}")


def _revoke_in(driver: Any, table: str, label: str) -> None:
    from selenium.webdriver.common.by import By

    _token_row(driver, table, label).find_element(By.CSS_SELECTOR, "button.revoke").click()
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "dialog[open]"))
    assert "stops working at once" in _text_of(driver, "dialog[open]")
    _confirm(driver)
    _wait(
        driver,
        lambda d: _token_row(d, table, label).get_attribute("data-revoked") == "true",
    )


def test_tokens_are_created_listed_with_their_last_use_and_revoked_in_settings(
    live_server: LiveServer, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    s = live_server
    bob = _ok(s.graphql(GQL_USER, name="Bob Member", email="bob@example.org"), "createUser")
    _signed_in_ada(s, browser, "/settings")
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#api-tokens table.tokens"))
    _set(browser, _field("#token-form", "name"), "cost export")
    browser.find_element(By.CSS_SELECTOR, "#token-form button[type=submit]").click()
    _wait(browser, lambda d: d.find_elements(By.ID, "new-token"))
    token = _text_of(browser, "#new-token")
    mine = "#api-tokens table.tokens"
    _wait(browser, lambda d: "cost export" in _texts(d, f"{mine} tbody th"))
    row = _token_row(browser, mine, "cost export")
    assert row.find_element(By.CSS_SELECTOR, "code").text == f"{token[:12]}…"
    assert "never" in row.text and "Active" in row.text
    assert token not in browser.find_element(By.CSS_SELECTOR, mine).text  # only its prefix

    assert _authenticates(s, token)  # used once: the list shows when
    browser.refresh()
    _wait(browser, lambda d: "cost export" in _texts(d, f"{mine} tbody th"))
    assert "never" not in _token_row(browser, mine, "cost export").text
    _shots(browser, "settings-tokens")

    _revoke_in(browser, mine, "cost export")
    assert "no longer works" in _text_of(browser, "#api-tokens .notice-success")
    assert "Revoked" in _token_row(browser, mine, "cost export").text
    assert not _authenticates(s, token)  # at once, though the server had it cached
    assert _authenticates(s, s.token)  # Ada's other token still works

    # An admin looks up another person's tokens and revokes one.
    _set(browser, "#others-tokens-form input", bob["user"]["id"])
    browser.find_element(By.CSS_SELECTOR, "#others-tokens-form button[type=submit]").click()
    theirs = ".others-tokens table.tokens"
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, theirs))
    assert "Bob Member" in _text_of(browser, ".others-tokens")
    assert _authenticates(s, bob["token"])
    _revoke_in(browser, theirs, "default")
    assert not _authenticates(s, bob["token"])
    _shots(browser, "settings-tokens-revoked")


def test_an_owner_acknowledges_an_alert_raised_by_spend_crossing_a_threshold(
    live_server: LiveServer, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    s = live_server
    olu = _ok(s.graphql(GQL_USER, name="Olu Owner", email="olu@example.org"), "createUser")
    _ok(s.graphql(GQL_PASSWORD, u=olu["user"]["id"], p="olu's long password"), "setPassword")
    start = datetime.now(UTC).date().replace(day=1).isoformat()
    budget = _ok(
        s.graphql(
            GQL_OWNED_BUDGET,
            input={
                "name": "Alerting Lab",
                "amount": "10000",
                "periodKind": "MONTHLY",
                "startDate": start,
                "ownerIds": [olu["user"]["id"]],
            },
        ),
        "createBudget",
    )["budget"]["id"]
    project = _ok(s.graphql(GQL_PROJECT, name="Genomics"), "createProject")["project"]["id"]
    _ok(s.graphql(GQL_ALLOCATE, b=budget, p=project, amount="1000"), "allocate")
    _ok(s.graphql(GQL_SPEND, b=budget, p=project, amount="850"), "recordSpend")  # 50% and 80%
    alerts = s.graphql(GQL_ALERTS, b=budget)["alerts"]["nodes"]
    alert = next(a for a in alerts if a["scope"] == "ALLOCATION")
    assert alert["state"] == "OPEN" and alert["threshold"] == 80

    _sign_in(browser, s.url, "olu@example.org", "olu's long password")
    browser.get(f"{s.url}/budgets/{budget}")
    _wait(browser, lambda d: "1 open alert" in _text_of(d, "#budget-alerts"))
    _shots(browser, "budget-alert-count")
    browser.find_element(By.ID, "budget-alerts").click()
    card = f'li[data-alert-id="{alert["id"]}"]'
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, card))
    assert "/alerts?budget=" in browser.current_url
    text = _text_of(browser, card)
    for shown in ("Threshold crossed", "Alerting Lab", "Genomics", "80% used", "$850.00", "85.0%"):
        assert shown in text, (shown, text)
    assert browser.find_element(By.CSS_SELECTOR, 'input[value="OPEN"]').is_selected()
    _shots(browser, "alerts")

    browser.find_element(By.CSS_SELECTOR, f"{card} button.acknowledge").click()
    _wait(browser, lambda d: "listed under Acknowledged" in _text_of(d, "#message"))
    _wait(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, card))
    browser.find_element(By.CSS_SELECTOR, 'input[value="ACKNOWLEDGED"]').click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, card))
    assert browser.find_element(By.CSS_SELECTOR, card).get_attribute("data-state") == "ACKNOWLEDGED"
    assert "Acknowledged by Olu Owner" in _text_of(browser, card)
    assert not browser.find_elements(By.CSS_SELECTOR, f"{card} button.acknowledge")
    assert "state=acknowledged" in browser.current_url
    now = next(
        a for a in s.graphql(GQL_ALERTS, b=budget)["alerts"]["nodes"] if a["id"] == alert["id"]
    )
    assert now["state"] == "ACKNOWLEDGED" and now["acknowledgedBy"] == {"name": "Olu Owner"}
    _shots(browser, "alerts-acknowledged")


def test_an_owner_previews_and_closes_a_period_and_a_member_cannot(
    live_server: LiveServer, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    s = live_server
    start = datetime.now(UTC).date().replace(day=1).isoformat()
    budget = _ok(
        s.graphql(
            GQL_OWNED_BUDGET,
            input={
                "name": "Quarterly Lab",
                "amount": "10000",
                "periodKind": "MONTHLY",
                "startDate": start,
                "rolloverPolicy": "CARRY_UNSPENT",
            },
        ),
        "createBudget",
    )["budget"]["id"]
    project = _ok(s.graphql(GQL_PROJECT, name="Genomics"), "createProject")["project"]["id"]
    _ok(s.graphql(GQL_ALLOCATE, b=budget, p=project, amount="6000"), "allocate")
    _ok(s.graphql(GQL_SPEND, b=budget, p=project, amount="1000"), "recordSpend")
    bob = _ok(s.graphql(GQL_USER, name="Bob Member", email="bob@example.org"), "createUser")
    _ok(s.graphql(GQL_MEMBER, p=project, u=bob["user"]["id"]), "addProjectMember")
    _ok(s.graphql(GQL_PASSWORD, u=bob["user"]["id"], p=BOB_PASSWORD), "setPassword")
    next_start = s.graphql(GQL_NEXT_PERIOD, id=budget)["budget"]["rolloverPreview"][
        "nextPeriodStart"
    ]

    _signed_in_ada(s, browser, f"/budgets/{budget}")
    _wait(browser, lambda d: d.find_elements(By.ID, "periods-link"))
    browser.find_element(By.ID, "periods-link").click()
    _wait(browser, lambda d: d.find_elements(By.ID, "close-period"))
    assert browser.current_url.endswith(f"/budgets/{budget}/periods")

    # A planned amount for the next period; a day that starts no period is refused in place.
    wrong = (datetime.fromisoformat(next_start) + timedelta(days=3)).date().isoformat()
    _set(browser, _field("#plan-form", "periodStart"), wrong)
    _set(browser, _field("#plan-form", "amount"), "12k")
    browser.find_element(By.ID, "plan-submit").click()
    _wait(
        browser,
        lambda d: d.find_elements(
            By.CSS_SELECTOR, '#plan-form [data-field-name="periodStart"] .field-error'
        ),
    )
    _set(browser, _field("#plan-form", "periodStart"), next_start)
    _set(browser, _field("#plan-form", "amount"), "12k")
    browser.find_element(By.ID, "plan-submit").click()
    _wait(browser, lambda d: "$12,000.00" in _text_of(d, "#plans ul.plans"))

    browser.find_element(By.ID, "close-period").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#rollover tbody tr"))
    envelope = _text_of(browser, "#rollover tbody tr:first-child")
    assert "Genomics" in envelope and "$5,000.00" in envelope  # 6,000 − 1,000 carries
    pool = _text_of(browser, "#rollover tr.pool-row")
    assert "$4,000.00" in pool  # the unallocated pool carries too
    assert s.graphql(GQL_PERIODS, id=budget)["budget"]["periods"] == [
        {"seq": 1, "status": "OPEN", "spent": "1000"}
    ]  # the preview changed nothing
    _shots(browser, "close-preview")

    browser.find_element(By.ID, "confirm-close").click()
    _wait(browser, lambda d: "Period 1 closed" in _text_of(d, "#message"))
    assert "$12,000.00" in _text_of(browser, "#message")  # the next period opened as planned
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, '#periods tr[data-status="CLOSED"]'))
    closed = '#periods tr[data-status="CLOSED"]'
    assert _text_of(browser, f'{closed} [data-field="spent"]') == "$1,000.00"
    # What carried over left the closed period: it keeps what was spent, nothing lapsed.
    assert _text_of(browser, f'{closed} [data-field="allocated"]') == "$1,000.00"
    assert _text_of(browser, f'{closed} [data-field="remaining"]') == "$0.00"
    assert _text_of(browser, "#current-period").startswith("Period 2")
    assert [p["status"] for p in s.graphql(GQL_PERIODS, id=budget)["budget"]["periods"]] == [
        "CLOSED",
        "OPEN",
    ]
    _shots(browser, "periods")

    browser.find_element(By.ID, "sign-out").click()
    _sign_in(browser, s.url, "bob@example.org", BOB_PASSWORD)
    browser.get(f"{s.url}/budgets/{budget}/periods")
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, '#periods tr[data-status="CLOSED"]'))
    assert not browser.find_elements(By.ID, "close-period")
    assert not browser.find_elements(By.ID, "plan-form")
    assert "owners close its periods" in _text_of(browser, ".current-period")
    closed_row = '#periods tr[data-status="CLOSED"]'
    assert _text_of(browser, f'{closed_row} [data-field="spent"]') == "$1,000.00"  # their own
    _shots(browser, "member-periods")


def test_the_budget_forms_share_the_calendar_fields_until_the_budget_starts(
    live_server: LiveServer, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    s = live_server
    _signed_in_ada(s, browser, "/budgets/new")
    form = "#budget-form"
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, form))
    assert not browser.find_elements(By.CSS_SELECTOR, f"{form} fieldset.calendar")  # a GRANT
    today = datetime.now(UTC).date()
    start = (today.replace(day=1) + timedelta(days=40)).replace(day=1)  # next month's 1st
    _set(browser, _field(form, "name"), "Lab FY")
    _set(browser, _field(form, "amount"), "12k")
    _set(browser, _field(form, "periodKind", "select"), "QUARTERLY")
    _set(browser, _field(form, "startDate"), start.isoformat())
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, f"{form} fieldset.calendar"))
    _set(browser, _field(form, "fiscalYearStartMonth", "select"), "7")
    _set(browser, _field(form, "resetDay"), "5")
    _set(browser, _field(form, "slackPrivacy", "select"), "NONE")
    _shots(browser, "budget-form-calendar")
    browser.find_element(By.ID, "create-budget").click()
    _wait(browser, lambda d: d.find_elements(By.ID, "edit-budget-link"))
    budget = browser.current_url.rsplit("/", 1)[1]
    query = """query($id: ID!) { budget(id: $id) { fiscalYearStartMonth resetDay
      slackPrivacy prorateFirstPeriod } }"""
    assert s.graphql(query, id=budget)["budget"] == {
        "fiscalYearStartMonth": 7,
        "resetDay": 5,
        "slackPrivacy": "NONE",
        "prorateFirstPeriod": False,
    }

    # Not started yet: the settings form may still change the calendar.
    _click(browser, "#edit-budget-link")
    edit = "#budget-edit-form"
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, edit))
    month = browser.find_element(By.CSS_SELECTOR, _field(edit, "fiscalYearStartMonth", "select"))
    assert month.is_enabled() and month.get_attribute("value") == "7"
    _set(browser, _field(edit, "fiscalYearStartMonth", "select"), "4")
    _click(browser, f'{edit} [data-field-name="prorateFirstPeriod"] input')
    _click(browser, "#save-budget")
    _wait(browser, lambda d: "Saved the fiscal year start, proration" in _text_of(d, "#message"))
    got = s.graphql(query, id=budget)["budget"]
    assert (got["fiscalYearStartMonth"], got["prorateFirstPeriod"], got["resetDay"]) == (4, True, 5)
