"""The lab persona in a real browser (headless Chromium, as tests/e2e/test_dashboard_browser.py):
a lab manager owns the quarter's compute budget, four PIs lead a project each, $10k stays
unallocated; she splits $40k by percent, notes an envelope, and at quarter end moves unused
money (a row dragged onto another, and "Move money…" from the keyboard), releases an unused
envelope (the API's refusal shown first), with the charts drawn by uPlot. Then a PI sees their
own envelope. Screenshots go where the other browser tests write theirs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from live import LiveServer
from test_dashboard_browser import (  # the same headless Chromium, skipped the same way
    GQL_ALLOCATE,
    GQL_BUDGET,
    GQL_PASSWORD,
    GQL_PROJECT,
    GQL_USER,
    _cells,
    _confirm,
    _field,
    _ok,
    _row,
    _set,
    _shots,
    _sign_in,
    _text_of,
    _wait,
    browser,
)

__all__ = ["browser"]

LENA_PASSWORD = "lena's long password"
PI_PASSWORD = "a PI's long password"
PIS = (
    ("Priya Patel", "Vision"),
    ("Quinn Ortiz", "Genomics"),
    ("Rui Costa", "Robotics"),
    ("Sana Idris", "Climate"),
)

GQL_LEAD = """mutation($p: ID!, $u: ID!) { addProjectMember(input: {projectId: $p, userId: $u,
  role: LEAD}) { __typename ... on Error { code message } } }"""
GQL_PI_SPEND = """mutation($b: ID!, $p: ID!, $amount: Decimal!, $service: String!) {
  recordSpend(input: {budgetId: $b, projectId: $p, amount: $amount, service: $service}) {
  __typename ... on SpendRecorded { spend { id } } ... on Error { code message } } }"""
GQL_ARCHIVE = """mutation($p: ID!) { archiveProject(input: {projectId: $p}) { __typename
  ... on Error { code message } } }"""
GQL_RESTORE = """mutation($p: ID!) { restoreProject(input: {projectId: $p}) { __typename
  ... on Error { code message } } }"""
GQL_FIGURES = """query($id: ID!) { budget(id: $id) { unallocated allocated
  allocations(first: 50) { nodes { amount notes project { name } } }
  transfers(first: 20) { nodes { amount status reason fromPool toPool
    from { project { name } } to { project { name } } } } } }"""


def _lab(s: LiveServer) -> dict[str, Any]:
    """The quarter's budget ($50,000) owned by Lena, the lab manager; four projects, each led
    by its PI and funded with $1 (the split sets them); PIs' tokens for their spend."""
    lena = _ok(s.graphql(GQL_USER, name="Lena Manager", email="lena@example.org"), "createUser")
    _ok(s.graphql(GQL_PASSWORD, u=lena["user"]["id"], p=LENA_PASSWORD), "setPassword")
    today = datetime.now(UTC).date()
    start = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1).isoformat()
    budget = _ok(
        s.graphql(
            GQL_BUDGET,
            input={
                "name": "Lab compute",
                "amount": "50000",
                "periodKind": "QUARTERLY",
                "startDate": start,
                "ownerIds": [lena["user"]["id"]],
                "rolloverPolicy": "CARRY_UNSPENT",
            },
        ),
        "createBudget",
    )["budget"]["id"]
    made: dict[str, Any] = {"budget": budget, "projects": {}, "tokens": {}, "emails": {}}
    for pi, name in PIS:
        email = pi.split()[0].lower() + "@example.org"
        user = _ok(s.graphql(GQL_USER, name=pi, email=email), "createUser")
        project = _ok(s.graphql(GQL_PROJECT, name=name), "createProject")["project"]["id"]
        _ok(s.graphql(GQL_LEAD, p=project, u=user["user"]["id"]), "addProjectMember")
        _ok(s.graphql(GQL_ALLOCATE, b=budget, p=project, amount="1"), "allocate")
        made["projects"][name] = project
        made["tokens"][name] = user["token"]
        made["emails"][name] = (email, user["user"]["id"])
    return made


def _figure(driver: Any, field: str) -> str:
    return _text_of(driver, f'.figures [data-field="{field}"]')


def _notice(driver: Any) -> str:
    from selenium.webdriver.common.by import By

    found = driver.find_elements(By.ID, "message")
    return str(found[0].text) if found else ""


def _drag_row_onto(driver: Any, source: Any, target: Any) -> None:
    """An HTML5 drag and drop, dispatched as the browser would (chromedriver's pointer actions
    do not start a native drag in headless Chromium)."""
    driver.execute_script(
        """const [src, dst] = arguments; const dt = new DataTransfer();
        const fire = (el, type) => el.dispatchEvent(new DragEvent(type,
          {bubbles: true, cancelable: true, dataTransfer: dt}));
        fire(src, 'dragstart'); fire(dst, 'dragenter'); fire(dst, 'dragover');
        fire(dst, 'drop'); fire(src, 'dragend');""",
        source,
        target,
    )


def test_the_lab_persona_splits_by_percent_and_moves_unused_money_at_quarter_end(
    live_server: LiveServer, browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    s = live_server
    lab = _lab(s)
    budget = lab["budget"]
    _sign_in(browser, s.url, "lena@example.org", LENA_PASSWORD)
    browser.get(f"{s.url}/budgets/{budget}")
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#allocations tbody tr")) == 4)

    # A PERCENT split of $40,000 over the four projects: $10,000 stays in the pool.
    browser.find_element(By.ID, "select-all").click()
    _wait(browser, lambda d: d.find_elements(By.ID, "split-form"))
    browser.find_element(By.CSS_SELECTOR, '#split-form input[value="PERCENT"]').click()
    _set(browser, _field("#split-form", "total"), "$40k")
    rows = {name: _row(browser, name).get_attribute("data-allocation-id") for _, name in PIS}
    for name, percent in (
        ("Vision", "40"),
        ("Genomics", "30"),
        ("Robotics", "20"),
        ("Climate", "10"),
    ):
        _set(browser, _field("#split-form", f"pct-{rows[name]}"), percent)
    browser.find_element(By.ID, "split-submit").click()
    _wait(browser, lambda d: _cells(d, "Vision")[0] == "16,000.00")
    assert [_cells(browser, name)[0] for _, name in PIS] == [
        "16,000.00",
        "12,000.00",
        "8,000.00",
        "4,000.00",
    ]
    _wait(browser, lambda d: _figure(d, "unallocated") == "$10,000.00")
    assert _figure(browser, "allocated") == "$40,000.00"

    # A note on an envelope, saved with the table.
    _set(browser, f"#note-{rows['Vision']}", "Renewal due in March")
    browser.find_element(By.ID, "save-allocations").click()
    _wait(browser, lambda d: "Saved 1 allocation" in _notice(d))
    notes = {
        a["project"]["name"]: a["notes"]
        for a in s.graphql(GQL_FIGURES, id=budget)["budget"]["allocations"]["nodes"]
    }
    assert notes["Vision"] == "Renewal due in March"

    # The PIs spend during the quarter (through the API, as their integrations would).
    for name, amount, service in (
        ("Vision", "15500", "aws-ec2"),
        ("Genomics", "9000", "gcp-batch"),
        ("Climate", "500", "aws-s3"),
        ("Vision", "250", "aws-s3"),
    ):
        _ok(
            s.graphql(
                GQL_PI_SPEND,
                token=lab["tokens"][name],
                b=budget,
                p=lab["projects"][name],
                amount=amount,
                service=service,
            ),
            "recordSpend",
        )
    browser.refresh()
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#allocations tbody tr")) == 4)
    _wait(browser, lambda d: _cells(d, "Vision")[1] == "$15,750.00")
    note = browser.find_element(By.ID, f"note-{rows['Vision']}")
    assert note.get_attribute("value") == "Renewal due in March"
    # The charts are uPlot's canvases, with text alternatives.
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#timeline-chart canvas"))
    assert browser.find_elements(By.CSS_SELECTOR, "#services-chart canvas")
    label = browser.find_element(By.ID, "services-chart").get_attribute("aria-label")
    assert label.startswith("Spend by service: aws-ec2 $15,500.00, gcp-batch $9,000.00")
    assert "$25,250.00" in browser.find_element(By.ID, "timeline-chart").get_attribute("aria-label")
    _shots(browser, "lab-budget")

    # Quarter end: Climate's unused money goes to Vision, by dragging Climate onto Vision.
    _drag_row_onto(browser, _row(browser, "Climate"), _row(browser, "Vision"))
    _wait(
        browser,
        lambda d: (
            d.find_element(
                By.CSS_SELECTOR, '#transfer-form [data-field-name="from"] select'
            ).get_attribute("value")
            == rows["Climate"]
        ),
    )
    form = "#transfer-form"
    assert (
        browser.find_element(
            By.CSS_SELECTOR, f'{form} [data-field-name="to"] select'
        ).get_attribute("value")
        == rows["Vision"]
    )
    assert browser.switch_to.active_element.get_attribute("id") == browser.find_element(
        By.CSS_SELECTOR, _field(form, "amount")
    ).get_attribute("id")
    _set(browser, _field(form, "amount"), "3,000")
    _set(browser, _field(form, "reason"), "Unused at quarter end")
    assert "$4,000.00 → $1,000.00" in _text_of(browser, f'{form} [data-field-name="from"]')
    assert "$16,000.00 → $19,000.00" in _text_of(browser, f'{form} [data-field-name="to"]')
    browser.find_element(By.ID, "transfer-submit").click()
    _wait(browser, lambda d: "APPLIED" in _notice(d))
    _wait(browser, lambda d: _cells(d, "Vision")[0] == "19,000.00")
    assert _cells(browser, "Climate")[0] == "1,000.00"
    assert _figure(browser, "unallocated") == "$10,000.00"

    # The keyboard way: "Move money…" on Genomics, Enter, then $2,000 back to the pool.
    move = _row(browser, "Genomics").find_element(By.CSS_SELECTOR, "button.move")
    move.send_keys(Keys.ENTER)
    _wait(
        browser,
        lambda d: (
            d.find_element(
                By.CSS_SELECTOR, f'{form} [data-field-name="from"] select'
            ).get_attribute("value")
            == rows["Genomics"]
        ),
    )
    to = browser.find_element(By.CSS_SELECTOR, f'{form} [data-field-name="to"] select')
    assert to.get_attribute("value") == "pool"
    assert browser.switch_to.active_element == to
    _set(browser, _field(form, "amount"), "2000")
    _set(browser, _field(form, "reason"), "Genomics is done for the quarter")
    browser.find_element(By.ID, "transfer-submit").click()
    _wait(browser, lambda d: _figure(d, "unallocated") == "$12,000.00")
    assert _cells(browser, "Genomics")[0] == "10,000.00"

    # Robotics spent nothing: release it. First the API refuses (its PI archived the project
    # after the page loaded), and the page says why; restored, the release goes through.
    _ok(
        s.graphql(GQL_ARCHIVE, token=lab["tokens"]["Robotics"], p=lab["projects"]["Robotics"]),
        "archiveProject",
    )
    _row(browser, "Robotics").find_element(By.CSS_SELECTOR, "button.release").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "dialog[open]"))
    assert "$8,000.00 goes back to the pool" in _text_of(browser, "dialog[open]")
    _confirm(browser)
    _wait(browser, lambda d: "Could not release Robotics" in _notice(d))
    assert "archived" in _notice(browser)
    assert _figure(browser, "unallocated") == "$12,000.00"
    _ok(
        s.graphql(GQL_RESTORE, token=lab["tokens"]["Robotics"], p=lab["projects"]["Robotics"]),
        "restoreProject",
    )
    _row(browser, "Robotics").find_element(By.CSS_SELECTOR, "button.release").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "dialog[open]"))
    _confirm(browser)
    _wait(browser, lambda d: _figure(d, "unallocated") == "$20,000.00")
    assert "Released $8,000.00 from Robotics" in _notice(browser)
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#allocations tbody tr")) == 3)

    # What the API now holds is what the page showed.
    figures = s.graphql(GQL_FIGURES, id=budget)["budget"]
    assert (figures["unallocated"], figures["allocated"]) == ("20000", "30000")
    applied = [
        (
            t["amount"],
            t["from"] and t["from"]["project"]["name"],
            t["to"] and t["to"]["project"]["name"],
            t["toPool"],
            t["status"],
        )
        for t in figures["transfers"]["nodes"]
    ]
    assert applied == [
        ("3000", "Climate", "Vision", False, "APPLIED"),
        ("2000", "Genomics", None, True, "APPLIED"),
    ]
    _shots(browser, "lab-quarter-end")

    # A PI sees their own envelope and the pool, and cannot drag or release anything.
    email, user_id = lab["emails"]["Vision"]
    _ok(s.graphql(GQL_PASSWORD, u=user_id, p=PI_PASSWORD), "setPassword")
    _sign_in(browser, s.url, email, PI_PASSWORD)
    browser.get(f"{s.url}/budgets/{budget}")
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#allocations tbody tr"))
    assert _figure(browser, "allocated") == "$19,000.00"
    assert _figure(browser, "unallocated") == "$20,000.00"
    assert "Renewal due in March" in _text_of(browser, "#allocations")
    assert not browser.find_elements(
        By.CSS_SELECTOR, "#allocations button.release, #allocations tr[draggable=true]"
    )

    # Lena closes the quarter on the periods page: what is unspent rolls over, as previewed.
    _sign_in(browser, s.url, "lena@example.org", LENA_PASSWORD)
    browser.get(f"{s.url}/budgets/{budget}/periods")
    _wait(browser, lambda d: d.find_elements(By.ID, "close-period"))
    browser.find_element(By.ID, "close-period").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#rollover tbody tr[data-pool]"))
    carried = {
        row.find_element(By.CSS_SELECTOR, "th").text.split(" ")[0]: row.find_element(
            By.CSS_SELECTOR, '[data-field="carried"]'
        ).text
        for row in browser.find_elements(By.CSS_SELECTOR, "#rollover tbody tr")
    }
    assert carried == {
        "Vision": "$3,250.00",
        "Genomics": "$1,000.00",
        "Robotics": "$0.00",
        "Climate": "$500.00",
        "The": "$20,000.00",
    }, carried
    _shots(browser, "lab-close-preview")
    browser.find_element(By.ID, "confirm-close").click()
    _wait(browser, lambda d: "closed" in _notice(d) and "Period 2 is open" in _notice(d))
    after = s.graphql(GQL_FIGURES, id=budget)["budget"]
    amounts = {a["project"]["name"]: a["amount"] for a in after["allocations"]["nodes"]}
    # The next quarter: each envelope renews with what it carried on top, the pool with its own.
    assert amounts == {"Vision": "22250", "Genomics": "11000", "Robotics": "0", "Climate": "1500"}
    assert after["unallocated"] == "40000"
