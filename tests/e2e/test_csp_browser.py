"""The Content-Security-Policy of the two HTML pages, in a real browser: headless Chromium
records every violation (a `securitypolicyviolation` listener installed before the page's own
scripts run) while the dashboard shows a budget, and while the GraphiQL page loads.

The GraphiQL page's React and GraphiQL are Allot's own files (app/graphiql), so it renders
offline; tests/e2e/test_graphiql_browser.py also runs a query in it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from live import LiveServer
from test_dashboard_browser import (  # the same headless Chromium, skipped the same way
    _lab_with_a_pending_request,
    _signed_in_ada,
    _wait,
    browser,
)

__all__ = ["browser"]

RECORDER = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample || ""}`.trim());
});
"""

#: Adds an inline script to the page; true when the policy kept it from running.
INJECT_SCRIPT = (
    "const s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
    " document.body.append(s); return window.__ran === undefined;"
)


@pytest.fixture
def violations(browser: Any) -> Iterator[Any]:
    """Record CSP violations on every page the browser opens during the test."""
    script = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORDER})
    yield lambda: list(browser.execute_script("return window.__csp || []"))
    browser.execute_cdp_cmd(
        "Page.removeScriptToEvaluateOnNewDocument", {"identifier": script["identifier"]}
    )


def test_the_dashboard_works_under_its_policy(
    live_server: LiveServer, browser: Any, violations: Any
) -> None:
    from selenium.webdriver.common.by import By

    made = _lab_with_a_pending_request(live_server)
    _signed_in_ada(live_server, browser, f"/budgets/{made['budget']}")
    row = f'tr[data-allocation-id="{made["allocation"]}"]'
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, row))
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#pending button.approve"))
    # uPlot's charts (vendor/uplot.mjs and uplot.css) draw under the policy too.
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#timeline-chart canvas"))
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#services-chart canvas"))
    assert violations() == []
    # The usage bar's width (set through the CSSOM by the page's own module) is applied.
    width = browser.execute_script(
        f"return document.querySelector('{row} .bar span').getBoundingClientRect().width"
    )
    assert width > 0
    # The recorder does see a violation: an inline script is refused.
    assert browser.execute_script(INJECT_SCRIPT) is True
    _wait(browser, lambda d: any(v.startswith("script-src") for v in violations()))


def test_the_graphiql_page_renders_under_its_policy(
    live_server: LiveServer, browser: Any, violations: Any
) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{live_server.url}/graphql")
    # GraphiQL renders: its files are Allot's own (app/graphiql), not a CDN's.
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".graphiql-execute-button"))
    assert browser.title == "Allot GraphiQL"
    # Its style applies (allot-graphiql.css, no inline <style>).
    display = browser.execute_script(
        "return getComputedStyle(document.getElementById('graphiql')).display"
    )
    assert display == "flex"
    assert violations() == []
    assert browser.execute_script(INJECT_SCRIPT) is True  # any other inline script is refused
    _wait(browser, lambda d: any(v.startswith("script-src") for v in violations()))
