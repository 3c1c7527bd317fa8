"""The project page in a real browser (issue 13, headless Chromium as
tests/e2e/test_dashboard_browser.py): a member opens their project, sees their envelope's timeline
drawn by uPlot and their own pending request (not another member's for the same project),
cancels it after a confirmation, and sees it Cancelled. Screenshots go where the other browser
tests write theirs; the page runs under the Content-Security-Policy without a violation."""

from __future__ import annotations

from typing import Any

from live import LiveServer
from test_csp_browser import violations
from test_dashboard_browser import (  # the same headless Chromium, skipped the same way
    BOB_PASSWORD,
    GQL_MEMBER,
    GQL_PASSWORD,
    GQL_TRANSFER,
    GQL_USER,
    _lab_with_a_pending_request,
    _ok,
    _shots,
    _sign_in,
    _text_of,
    _wait,
    browser,
)

__all__ = ["browser", "violations"]

GQL_PROJECT_OF = """query($id: ID!) { node(id: $id) { ... on Allocation { project { id } } } }"""
GQL_OTHER_REQUEST = """mutation($to: ID!) { requestTransfer(input: {fromPool: true,
  toAllocationId: $to, amount: "250", reason: "Cy's top-up"}) { __typename
  ... on TransferRequested { transfer { id status } } ... on Error { code message } } }"""


def test_a_member_sees_the_timeline_and_cancels_their_own_request(
    live_server: LiveServer, browser: Any, violations: Any
) -> None:
    from selenium.webdriver.common.by import By

    s = live_server
    made = _lab_with_a_pending_request(s)  # Bob's 5,000 from the pool to Genomics, pending
    project = s.graphql(GQL_PROJECT_OF, id=made["allocation"])["node"]["project"]["id"]
    # A request for the same project by another member: Bob sees it, but it is not his.
    cy = _ok(s.graphql(GQL_USER, name="Cy Member", email="cy@example.org"), "createUser")
    _ok(s.graphql(GQL_MEMBER, p=project, u=cy["user"]["id"]), "addProjectMember")
    theirs = _ok(
        s.graphql(GQL_OTHER_REQUEST, token=cy["token"], to=made["allocation"]), "requestTransfer"
    )
    assert theirs["transfer"]["status"] == "PENDING"
    bob_id = s.graphql("{ viewer { id } }", token=made["bob"])["viewer"]["id"]
    _ok(s.graphql(GQL_PASSWORD, u=bob_id, p=BOB_PASSWORD), "setPassword")
    _sign_in(browser, s.url, "bob@example.org", BOB_PASSWORD)

    browser.get(f"{s.url}/projects/{project}")
    card = f'li.card[data-allocation-id="{made["allocation"]}"]'
    chart = f"{card} figure.timeline-chart"
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, f"{chart} canvas"))
    label = browser.find_element(By.CSS_SELECTOR, chart).get_attribute("aria-label")
    assert label.startswith("Cumulative spend $1,234.56 against "), label
    assert browser.find_element(By.CSS_SELECTOR, f"{chart} canvas").size["width"] > 200

    requests = f"{card} .your-requests"
    item = f'{requests} li[data-transfer-id="{made["transfer"]}"]'
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, item))
    assert len(browser.find_elements(By.CSS_SELECTOR, f"{requests} li")) == 1  # not Cy's
    text = _text_of(browser, item)
    assert "$5,000.00 the pool → Genomics" in text, text
    assert "Pending" in text and "GPU time for the camera-ready runs" in text
    link = browser.find_element(By.CSS_SELECTOR, f"{item} a")
    assert link.get_attribute("href") == f"{s.url}/transfers/{made['transfer']}"
    _shots(browser, "member-project-requests")

    # Cancel: a confirmation first; dismissing it changes nothing.
    browser.find_element(By.CSS_SELECTOR, f"{item} button.cancel").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "dialog[open] [data-confirm]"))
    assert "$5,000.00 from the pool to Genomics" in _text_of(browser, "dialog[open]")
    browser.find_element(By.CSS_SELECTOR, "dialog[open] button.secondary").click()
    _wait(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, "dialog[open]"))
    status = s.graphql(GQL_TRANSFER, id=made["transfer"])["node"]["status"]
    assert status == "PENDING"

    browser.find_element(By.CSS_SELECTOR, f"{item} button.cancel").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "dialog[open] [data-confirm]"))
    browser.find_element(By.CSS_SELECTOR, "dialog[open] [data-confirm]").click()
    _wait(browser, lambda d: "Cancelled" in _text_of(d, f'{item} [data-field="status"]'))
    assert not browser.find_elements(By.CSS_SELECTOR, f"{item} button.cancel")
    assert "cancelled" in _text_of(browser, "#message")
    done = s.graphql(GQL_TRANSFER, id=made["transfer"])["node"]
    assert done == {"status": "CANCELLED", "decidedBy": {"name": "Bob Member"}}
    _shots(browser, "member-project-cancelled")
    assert violations() == []

    # The link opens the transfer's own page.
    browser.find_element(By.CSS_SELECTOR, f"{item} a").click()
    _wait(browser, lambda d: d.find_elements(By.ID, "transfer-title"))
    assert _text_of(browser, '[data-field="status"]') == "CANCELLED"
