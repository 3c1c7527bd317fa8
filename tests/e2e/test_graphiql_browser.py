"""GraphiQL without a CDN, in headless Chromium against a real server: the page loads only
files of its own origin (vendored in app/graphiql), renders under a Content-Security-Policy of
'self' with no violation, explains the Authorization header, and runs the example dashboard
query, anonymously first ("authentication required") and then with a pasted token.

Before: the page loaded React and GraphiQL from unpkg.com and stayed on "Loading…" offline.
Skips without Chromium the way test_dashboard_browser.py does (ALLOT_REQUIRE_BROWSER=1 fails).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from live import LiveServer
from test_csp_browser import RECORDER
from test_dashboard_browser import _wait, browser

from app import graphiql

__all__ = ["browser"]

#: The CodeMirror editors of the page, by what GraphiQL puts them in.
EDITOR = "return document.querySelectorAll('.graphiql-editor .CodeMirror')[{}].CodeMirror"
QUERY, HEADERS = 0, 2
RESULT = "return document.querySelector('.result-window .CodeMirror').CodeMirror.getValue()"


@pytest.fixture
def violations(browser: Any) -> Iterator[Any]:
    script = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORDER})
    yield lambda: list(browser.execute_script("return window.__csp || []"))
    browser.execute_cdp_cmd(
        "Page.removeScriptToEvaluateOnNewDocument", {"identifier": script["identifier"]}
    )


def editor_value(driver: Any, index: int) -> str:
    return str(driver.execute_script(EDITOR.format(index) + ".getValue()"))


def run_operation(driver: Any, name: str) -> str:
    """Press ▶, pick the operation from the menu GraphiQL shows for a document of several."""
    from selenium.webdriver.common.by import By

    before = driver.execute_script(RESULT)
    driver.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
    item = _wait(
        driver,
        lambda d: next(
            (e for e in d.find_elements(By.CSS_SELECTOR, "[role=menuitem]") if e.text == name),
            None,
        ),
    )
    item.click()
    return str(_wait(driver, lambda d: (r := d.execute_script(RESULT)) != before and r))


def test_graphiql_renders_from_its_own_files_and_runs_the_dashboard_query(
    live_server: LiveServer, browser: Any, violations: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{live_server.url}/graphql")
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".graphiql-execute-button"))
    assert browser.title == "Allot GraphiQL"

    # Everything it loaded came from the server itself: no CDN.
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert loaded and all(url.startswith(live_server.url + "/") for url in loaded), loaded
    assert any("/graphiql/graphiql.min.js?v=" in url for url in loaded)

    # It opens on the examples, with the Authorization header to fill in and explained.
    document = editor_value(browser, QUERY)
    for operation in ("query Dashboard", "mutation RecordSpend", "mutation RequestTransfer"):
        assert operation in document
    assert "Authorization" in document and "<paste your token>" in document
    assert json.loads(editor_value(browser, HEADERS)) == {
        "Authorization": "Bearer <paste your token>"
    }

    # Until the placeholder is replaced the request goes out without it (not a 401)...
    anonymous = json.loads(run_operation(browser, "Dashboard"))
    assert "authentication required" in anonymous["errors"][0]["message"]
    # ...and with a token pasted, the dashboard query answers.
    header = json.dumps({"Authorization": f"Bearer {live_server.token}"})
    browser.execute_script(EDITOR.format(HEADERS) + ".setValue(arguments[0])", header)
    live_server.graphql(
        'mutation { createBudget(input: {name: "Browser Grant", amount: "5000",'
        ' periodKind: GRANT, startDate: "2026-01-01", endDate: "2026-12-31"}) { __typename } }'
    )
    answer = json.loads(run_operation(browser, "Dashboard"))
    assert "errors" not in answer, answer
    names = [b["name"] for b in answer["data"]["budgets"]["nodes"]]
    assert names == ["Browser Grant"]

    assert violations() == []
    # The recorder does see violations: an inline script is refused by the policy.
    injected = (
        "const s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
        " document.body.append(s); return window.__ran === undefined;"
    )
    assert browser.execute_script(injected) is True
    _wait(browser, lambda d: any(v.startswith("script-src") for v in violations()))
    browser.save_screenshot(str(tmp_path / "graphiql.png"))
    if shot_dir := os.environ.get("ALLOT_SCREENSHOT_DIR"):  # to look at the page by hand
        browser.save_screenshot(str(Path(shot_dir) / "graphiql.png"))


def test_the_page_and_its_files_carry_their_headers(live_server: LiveServer) -> None:
    page = httpx.get(f"{live_server.url}/graphql", headers={"accept": "text/html"})
    policy = dict(
        d.strip().split(" ", 1)
        for d in page.headers["content-security-policy"].split(";")
        if " " in d.strip()
    )
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    # Styles: its own files, and the one element GraphiQL makes at run time, by the nonce the
    # page hands it -- a new one each time.
    (nonce,) = re.findall(r'name="allot-style-nonce" content="([^"]+)"', page.text)
    assert policy["style-src"] == f"'self' 'nonce-{nonce}'"
    again = httpx.get(f"{live_server.url}/graphql", headers={"accept": "text/html"})
    assert nonce not in again.text and nonce not in again.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert policy["connect-src"] == "'self'" and policy["font-src"] == "data:"
    assert "unpkg" not in page.text and "<script>" not in page.text and "<style" not in page.text
    sources = re.findall(r'(?:src|href)="(graphiql/[^"]+)"', page.text)
    assert len(sources) == 6, sources
    for source in sources:
        asset = httpx.get(f"{live_server.url}/{source}")
        assert asset.status_code == 200, source
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert asset.headers["content-type"].startswith(("text/javascript", "text/css"))
    unversioned = httpx.get(f"{live_server.url}/graphiql/graphiql.min.js")
    assert unversioned.headers["cache-control"] == "no-cache"
    for name in ("__init__.py", "SOURCES.json", "..%2F__init__.py", "update-vendor.sh"):
        assert httpx.get(f"{live_server.url}/graphiql/{name}").status_code == 404, name


def test_the_vendored_files_are_the_published_ones_with_their_licences() -> None:
    vendor = graphiql.VENDOR
    sources = json.loads((vendor / "SOURCES.json").read_text())
    assert set(sources) == {p.name for p in vendor.glob("*.js")} | {
        p.name for p in vendor.glob("*.css")
    }
    for name, source in sources.items():
        digest = hashlib.sha256((vendor / name).read_bytes()).hexdigest()
        assert digest == source["sha256"], f"{name} differs from {source['package']}@"
        assert (vendor / f"LICENSE.{source['package']}").read_text().startswith("MIT License")
    third_party = (vendor / "THIRD_PARTY_LICENSES.txt").read_text()
    for bundled in ("graphql@16", "codemirror@5", "graphql-ws@", "react-aria@"):
        assert f"\n{bundled}" in third_party, bundled
