"""The web app's sign-in (app/sessions.py): argon2 passwords, the signed session cookie, CSRF
on every cookie-authenticated write, sign-out, and report downloads with the session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from helpers import make_user

from app.domain.errors import PermissionDenied, ValidationError
from app.models import User
from app.server import create_app
from app.services import actors, budgets
from app.settings import Settings

PASSWORD = "correct horse battery"
VIEWER = {"query": "{ viewer { name } }"}
CREATE_PROJECT = {
    "query": 'mutation { createProject(input: {name: "Cookie Project"}) { __typename } }'
}


@pytest.fixture
async def client(database: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(session_secret="test-secret"), init_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://allot.test") as c:
        yield c


@pytest.fixture
async def ada(database: str) -> tuple[User, str]:
    user, token = await make_user("Ada Admin", admin=True)
    await actors.set_password(None, user_id=user.id, password=PASSWORD)
    return user, token


async def _login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/auth/login", json={"email": email, "password": password})


async def test_a_password_is_stored_as_an_argon2_hash_and_checked(ada: tuple[User, str]) -> None:
    user = await User.get(id=ada[0].id)
    assert user.password_hash and user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert (await actors.check_password("ADA.ADMIN@example.org ", PASSWORD)) is not None
    assert await actors.check_password("ada.admin@example.org", "wrong password!") is None
    assert await actors.check_password("nobody@example.org", PASSWORD) is None
    with pytest.raises(ValidationError) as refused:
        actors.hash_password("short")
    assert refused.value.field == "password"


async def test_only_admins_set_other_peoples_passwords(ada: tuple[User, str]) -> None:
    bob, _ = await make_user("Bob Member")
    bob_actor = await actors.load_actor(bob)
    with pytest.raises(PermissionDenied):
        await actors.set_password(bob_actor, user_id=ada[0].id, password="a takeover attempt")
    await actors.set_password(bob_actor, user_id=bob.id, password="bob's own password")
    ada_actor = await actors.load_actor(ada[0])
    await actors.set_password(ada_actor, user_id=bob.id, password="reset by the admin")
    assert await actors.check_password(bob.email, "reset by the admin") is not None


async def test_sign_in_sets_a_safe_cookie_and_the_session_reads_graphql(
    client: httpx.AsyncClient, ada: tuple[User, str]
) -> None:
    assert (await client.get("/auth/session")).status_code == 401
    response = await _login(client, "ada.admin@example.org", PASSWORD)
    assert response.status_code == 200, response.text
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("allot_session=")
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=lax" in lowered and "path=/" in lowered
    csrf = response.json()["csrfToken"]
    assert response.json()["user"]["name"] == "Ada Admin"

    session = await client.get("/auth/session")
    assert session.json()["csrfToken"] == csrf
    # Queries by GET need no CSRF token (they only read).
    viewer = await client.get("/graphql", params=VIEWER)
    assert viewer.json()["data"] == {"viewer": {"name": "Ada Admin"}}
    with_header = await client.post("/graphql", json=VIEWER, headers={"X-CSRF-Token": csrf})
    assert with_header.json()["data"] == {"viewer": {"name": "Ada Admin"}}


async def test_a_cookie_authenticated_post_without_the_csrf_header_is_refused(
    client: httpx.AsyncClient, ada: tuple[User, str]
) -> None:
    csrf = (await _login(client, "ada.admin@example.org", PASSWORD)).json()["csrfToken"]
    for headers in ({}, {"X-CSRF-Token": "forged"}, {"X-CSRF-Token": ""}):
        refused = await client.post("/graphql", json=CREATE_PROJECT, headers=headers)
        assert refused.status_code == 403, (headers, refused.text)
        assert refused.json()["errors"][0]["extensions"]["code"] == "CSRF"
    from app.models import Project

    assert not await Project.filter(name="Cookie Project").exists()  # nothing ran
    done = await client.post("/graphql", json=CREATE_PROJECT, headers={"X-CSRF-Token": csrf})
    assert done.json()["data"]["createProject"]["__typename"] == "ProjectCreated"


async def test_bearer_requests_are_unaffected_by_csrf(
    client: httpx.AsyncClient, ada: tuple[User, str]
) -> None:
    response = await client.post(
        "/graphql", json=CREATE_PROJECT, headers={"Authorization": f"Bearer {ada[1]}"}
    )
    assert response.status_code == 200
    assert response.json()["data"]["createProject"]["__typename"] == "ProjectCreated"


async def test_a_wrong_password_a_forged_cookie_and_a_form_post_sign_nobody_in(
    client: httpx.AsyncClient, ada: tuple[User, str]
) -> None:
    wrong = await _login(client, "ada.admin@example.org", "not the password")
    assert wrong.status_code == 401 and "set-cookie" not in wrong.headers
    unknown = await _login(client, "who@example.org", PASSWORD)
    assert unknown.status_code == 401 and unknown.json() == wrong.json()  # says nothing more
    form = await client.post(
        "/auth/login", data={"email": "ada.admin@example.org", "password": PASSWORD}
    )
    assert form.status_code == 415 and "set-cookie" not in form.headers
    client.cookies.set("allot_session", "eyJ1IjoxfQ.forged.signature")
    assert (await client.get("/auth/session")).status_code == 401
    anonymous = await client.get("/graphql", params=VIEWER)
    assert "authentication required" in anonymous.json()["errors"][0]["message"]


async def test_sign_out_needs_the_csrf_header_and_ends_the_session(
    client: httpx.AsyncClient, ada: tuple[User, str]
) -> None:
    csrf = (await _login(client, "ada.admin@example.org", PASSWORD)).json()["csrfToken"]
    assert (await client.post("/auth/logout")).status_code == 403
    out = await client.post("/auth/logout", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 200
    assert "allot_session" not in client.cookies
    assert (await client.get("/auth/session")).status_code == 401


async def test_a_new_password_ends_older_sessions(
    client: httpx.AsyncClient, ada: tuple[User, str]
) -> None:
    await _login(client, "ada.admin@example.org", PASSWORD)
    assert (await client.get("/auth/session")).status_code == 200
    await actors.set_password(None, user_id=ada[0].id, password="another good password")
    assert (await client.get("/auth/session")).status_code == 401


async def test_a_user_without_a_password_cannot_sign_in(
    client: httpx.AsyncClient, database: str
) -> None:
    user, _ = await make_user("No Password")
    assert (await _login(client, user.email, "")).status_code == 400
    assert (await _login(client, user.email, "anything at all")).status_code == 401


async def test_report_downloads_work_with_the_session(
    client: httpx.AsyncClient, ada: tuple[User, str]
) -> None:
    budget = await budgets.create_budget(
        await actors.load_actor(ada[0]),
        name="Grant",
        amount="1000",
        period_kind="ANNUAL",
        start_date=date(2026, 1, 1),
    )
    url = f"/reports/bud_{budget.id}/allocations.csv"
    assert (await client.get(url)).status_code == 401
    await _login(client, "ada.admin@example.org", PASSWORD)
    response = await client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")


async def test_set_password_and_create_user_with_a_password_through_graphql(
    client: httpx.AsyncClient, ada: tuple[User, str]
) -> None:
    bearer = {"Authorization": f"Bearer {ada[1]}"}
    created = await client.post(
        "/graphql",
        headers=bearer,
        json={
            "query": """mutation { createUser(input: {name: "Cy", email: "cy@example.org",
              password: "cy's first password"}) {
                __typename ... on UserCreated { user { id } } } }"""
        },
    )
    user_id = created.json()["data"]["createUser"]["user"]["id"]
    assert (await _login(client, "cy@example.org", "cy's first password")).status_code == 200
    short = await client.post(
        "/graphql",
        headers=bearer,
        json={
            "query": 'mutation($u: ID!) { setPassword(input: {userId: $u, password: "short"})'
            " { __typename ... on ValidationError { field } } }",
            "variables": {"u": user_id},
        },
    )
    assert short.json()["data"]["setPassword"] == {
        "__typename": "ValidationError",
        "field": "password",
    }
    reset = await client.post(
        "/graphql",
        headers=bearer,
        json={
            "query": "mutation($u: ID!) { setPassword(input: {userId: $u,"
            ' password: "a reset password"}) { __typename } }',
            "variables": {"u": user_id},
        },
    )
    assert reset.json()["data"]["setPassword"]["__typename"] == "PasswordSet"
    assert (await client.get("/auth/session")).status_code == 401  # Cy's session ended
    assert (await _login(client, "cy@example.org", "a reset password")).status_code == 200


def test_every_worker_of_a_database_signs_with_the_same_key(tmp_path: Path) -> None:
    from app import sessions

    sessions._KEYS.clear()
    assert sessions.session_key(Settings(session_secret="given")) == "given"
    pg = "postgres://allot:s3cret@db:5432/allot"
    key = sessions.session_key(Settings(database_url=pg))
    sessions._KEYS.clear()
    assert sessions.session_key(Settings(database_url=pg)) == key  # another process: the same
    assert key != sessions.session_key(Settings(database_url=pg.replace("s3cret", "other")))
    database = tmp_path / "allot.db"
    url = f"sqlite://{database}"
    first = sessions.session_key(Settings(database_url=url))
    sessions._KEYS.clear()
    assert sessions.session_key(Settings(database_url=url)) == first
    kept = Path(f"{database}.session-key")
    assert kept.read_text() == first and kept.stat().st_mode & 0o777 == 0o600
    sessions._KEYS.clear()
