"""OpenID Connect sign-in in a real browser: the login page offers "Sign in with <name>" when
the server is configured for a provider (here the fake one of tests/oidc_provider.py on
127.0.0.1), the round trip signs the person in, and a refusal is explained on the login page.
The flow's checks themselves (state, nonce, PKCE, the ID token) are tests/test_oidc.py's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from live import LiveServer
from oidc_provider import CLIENT_ID, CLIENT_SECRET, FakeProvider, running_provider
from test_dashboard_browser import _shots, _text_of, _wait, browser

__all__ = ["browser"]


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    with running_provider() as running:
        yield running


@pytest.fixture
def sso_server(
    provider: FakeProvider, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> LiveServer:
    """The live server (tests/e2e/live.py) started with the provider in its environment."""
    monkeypatch.setenv("ALLOT_OIDC_ISSUER", provider.url)
    monkeypatch.setenv("ALLOT_OIDC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("ALLOT_OIDC_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("ALLOT_OIDC_NAME", "Example University")
    server: LiveServer = request.getfixturevalue("live_server")
    return server


def test_sign_in_with_the_institutions_provider_and_a_refusal_explained(
    sso_server: LiveServer, provider: FakeProvider, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    s = sso_server
    provider.behaviour.email = "ada@example.org"  # the live server's admin
    browser.get(f"{s.url}/login")
    browser.delete_all_cookies()
    browser.get(f"{s.url}/login")
    _wait(browser, lambda d: d.find_elements(By.ID, "oidc-sign-in"))
    button = browser.find_element(By.ID, "oidc-sign-in")
    assert button.text == "Sign in with Example University"
    _shots(browser, "login-sso")
    button.click()
    _wait(browser, lambda d: d.find_elements(By.ID, "viewer"))
    assert _text_of(browser, "#viewer").startswith("Ada Admin")
    assert browser.current_url == f"{s.url}/"
    assert provider.authorize_requests[-1]["code_challenge_method"] == "S256"

    # Signed out, someone the provider knows but Allot does not is told why.
    browser.find_element(By.ID, "sign-out").click()
    _wait(browser, lambda d: d.find_elements(By.ID, "oidc-sign-in"))
    provider.behaviour.email = "visitor@example.org"
    browser.find_element(By.ID, "oidc-sign-in").click()
    _wait(browser, lambda d: d.find_elements(By.ID, "login-error"))
    assert "No Allot user has the e-mail address your provider gave" in _text_of(
        browser, "#login-error"
    )
    assert "oidc_error=unknown_user" in browser.current_url
    assert not browser.find_elements(By.ID, "viewer")
    _shots(browser, "login-sso-refused")
