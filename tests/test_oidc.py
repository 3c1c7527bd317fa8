"""OpenID Connect sign-in (app/oidc.py) against a fake provider on 127.0.0.1
(tests/oidc_provider.py): the authorization-code flow with state, nonce and PKCE, the ID token
verified, the user matched by verified e-mail, then the same session cookie as a password
sign-in; and every refusal, which leaves nobody signed in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from helpers import make_user
from oidc_provider import CLIENT_ID, CLIENT_SECRET, FakeProvider, running_provider

from app import oidc
from app.models import User
from app.server import create_app
from app.services import actors
from app.settings import Settings

BASE = "http://allot.test"


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeProvider]:
    with running_provider() as running:
        yield running


@pytest.fixture
async def client(database: str, provider: FakeProvider) -> AsyncIterator[httpx.AsyncClient]:
    provider.behaviour = type(provider.behaviour)()  # each test starts from a well-behaved one
    settings = Settings(
        session_secret="test-secret",
        oidc_issuer=provider.url,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        oidc_name="Example University",
    )
    app = create_app(settings, init_database=False)
    mounts = {BASE: httpx.ASGITransport(app=app)}
    async with httpx.AsyncClient(mounts=mounts, base_url=BASE, follow_redirects=True) as c:
        yield c


@pytest.fixture
async def ada(database: str) -> User:
    user, _ = await make_user("Ada Admin", admin=True)  # ada.admin@example.org, no password
    assert user.password_hash is None
    return user


def _refused_with(response: httpx.Response) -> str | None:
    url = urlsplit(str(response.url))
    return parse_qs(url.query).get("oidc_error", [None])[0] if url.path == "/login" else None


async def _signed_in_as(client: httpx.AsyncClient) -> str | None:
    response = await client.get("/auth/session")
    return response.json()["user"]["email"] if response.status_code == 200 else None


async def test_sign_in_with_the_provider_starts_a_session(
    client: httpx.AsyncClient, ada: User, provider: FakeProvider
) -> None:
    # Signed out, the session endpoint names the provider for the login page's button.
    offered = await client.get("/auth/session")
    assert offered.status_code == 401
    assert offered.json()["signIn"]["oidc"] == {
        "name": "Example University",
        "url": "/auth/oidc/login",
    }

    response = await client.get("/auth/oidc/login")
    assert response.status_code == 200 and urlsplit(str(response.url)).path == "/"
    hops = [urlsplit(str(r.url)) for r in response.history]
    assert [h.path for h in hops] == ["/auth/oidc/login", "/authorize", "/auth/oidc/callback"]
    asked = provider.authorize_requests[-1]
    assert asked["redirect_uri"] == f"{BASE}/auth/oidc/callback"
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
    assert len(asked["state"]) >= 32 and len(asked["nonce"]) >= 32
    assert "allot_oidc" not in client.cookies  # the flow cookie is spent

    assert await _signed_in_as(client) == "ada.admin@example.org"
    viewer = await client.get("/graphql", params={"query": "{ viewer { name } }"})
    assert viewer.json()["data"]["viewer"]["name"] == "Ada Admin"
    # The same cookie as a password sign-in: writes need the CSRF token, then succeed.
    mutation = {"query": 'mutation { createProject(input: {name: "SSO"}) { __typename } }'}
    assert (await client.post("/graphql", json=mutation)).status_code == 403
    csrf = (await client.get("/auth/session")).json()["csrfToken"]
    made = await client.post("/graphql", json=mutation, headers={"X-CSRF-Token": csrf})
    assert made.json()["data"]["createProject"]["__typename"] == "ProjectCreated"

    # Setting a password later ends the single sign-on session (the cookie's version).
    await actors.set_password(None, user_id=ada.id, password="correct horse battery")
    assert await _signed_in_as(client) is None


async def test_a_wrong_state_is_refused(
    client: httpx.AsyncClient, ada: User, provider: FakeProvider
) -> None:
    provider.behaviour.state = "forged-state"
    response = await client.get("/auth/oidc/login")
    assert _refused_with(response) == "state"
    assert await _signed_in_as(client) is None


async def test_a_callback_without_a_sign_in_started_here_is_refused(
    client: httpx.AsyncClient, ada: User
) -> None:
    response = await client.get("/auth/oidc/callback", params={"code": "x", "state": "y"})
    assert _refused_with(response) == "state"
    assert await _signed_in_as(client) is None


async def test_a_bad_nonce_is_refused(
    client: httpx.AsyncClient, ada: User, provider: FakeProvider
) -> None:
    provider.behaviour.nonce = "a-nonce-from-another-sign-in"
    assert _refused_with(await client.get("/auth/oidc/login")) == "nonce"
    assert await _signed_in_as(client) is None


async def test_an_unknown_email_is_refused_and_nobody_is_created(
    client: httpx.AsyncClient, ada: User, provider: FakeProvider
) -> None:
    provider.behaviour.email = "stranger@example.org"
    assert _refused_with(await client.get("/auth/oidc/login")) == "unknown_user"
    assert await _signed_in_as(client) is None
    assert not await User.filter(email="stranger@example.org").exists()
    assert "no Allot user" in oidc.REFUSALS["unknown_user"]


@pytest.mark.parametrize("verified", [False, None, "false"])
async def test_an_unverified_email_is_refused(
    client: httpx.AsyncClient, ada: User, provider: FakeProvider, verified: object
) -> None:
    provider.behaviour.email_verified = verified
    assert _refused_with(await client.get("/auth/oidc/login")) == "email_unverified"
    assert await _signed_in_as(client) is None


@pytest.mark.parametrize(
    "bend",
    [
        {"foreign_key": True},  # a signature the provider's JWKS does not verify
        {"audience": "another-client"},
        {"expires_in": -600},  # expired (beyond the minute of leeway)
    ],
)
async def test_an_id_token_that_does_not_verify_is_refused(
    client: httpx.AsyncClient, ada: User, provider: FakeProvider, bend: dict[str, object]
) -> None:
    for name, value in bend.items():
        setattr(provider.behaviour, name, value)
    assert _refused_with(await client.get("/auth/oidc/login")) == "token"
    assert await _signed_in_as(client) is None


async def test_without_configuration_the_routes_are_not_there(database: str) -> None:
    app = create_app(Settings(session_secret="test-secret"), init_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as plain:
        assert (await plain.get("/auth/oidc/login")).status_code == 404
        assert (await plain.get("/auth/oidc/callback")).status_code == 404
        assert "signIn" not in (await plain.get("/auth/session")).json()
