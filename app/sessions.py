"""The web app's sign-in: e-mail and password, a signed session cookie, and CSRF protection.

- `POST /auth/login` with JSON `{"email", "password"}` checks the password (argon2,
  app.services.actors.check_password) and sets the `allot_session` cookie: HttpOnly,
  SameSite=Lax, `Secure` when ALLOT_SESSION_COOKIE_SECURE is set, signed and timestamped
  (itsdangerous) with ALLOT_SESSION_SECRET or a key every worker shares (`session_key`). It
  holds the user's id, a CSRF token and a fingerprint of their password hash (a new password
  ends old sessions); nothing else. The login takes JSON only, so another site cannot post a
  form that signs a visitor in as someone else.
- `GET /auth/session` says who is signed in and gives the page its CSRF token; signed out
  (401), it also names the OpenID Connect provider when one is configured (app/oidc.py), so
  the login page can offer "Sign in with <name>".
- `POST /auth/logout` (with the CSRF header) clears the cookie.
- Every POST to /graphql authenticated by the cookie must carry the session's CSRF token in
  the `X-CSRF-Token` header (`csrf_refusal`); without it, 403 before anything runs. A cookie
  alone never writes. Requests with `Authorization: Bearer` are not cookie-authenticated and
  are unaffected. GET /graphql runs queries only (reads), so it needs no token, and the
  cookie never authenticates a WebSocket (a browser sends cookies to cross-site WebSockets).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.models import User
from app.services import actors
from app.settings import Settings, get_settings

COOKIE = "allot_session"
CSRF_HEADER = "x-csrf-token"
_SALT = "allot.session.v1"
_RANDOM_SECRET = secrets.token_urlsafe(32)  # the last resort (an in-memory database)
_KEYS: dict[str, str] = {}
#: How a session was started (kept in the cookie as "m" unless it is a password sign-in).
PASSWORD = "password"
OIDC = "oidc"


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str


def session_key(settings: Settings) -> str:
    """The key that signs session cookies: ALLOT_SESSION_SECRET; without it, one that every
    worker process of the same database shares and that only who can already change the
    database can know. For PostgreSQL, derived from the database URL with its password; for
    a SQLite file, a random key kept next to it (`<file>.session-key`, mode 0600, made once);
    for an in-memory database, a random key of this process."""
    if settings.session_secret:
        return settings.session_secret
    url = settings.database_url
    if url in _KEYS:
        return _KEYS[url]
    parsed = urlsplit(url)
    key = _RANDOM_SECRET
    if parsed.scheme.startswith("postgres") and parsed.password:
        key = hmac.new(url.encode(), b"allot session cookies", hashlib.sha256).hexdigest()
    elif parsed.scheme == "sqlite":
        path = url.removeprefix("sqlite://").split("?", 1)[0]
        if path not in ("", ":memory:"):
            key = _key_file(Path(f"{path}.session-key"))
    _KEYS[url] = key
    return key


def _key_file(path: Path) -> str:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as out:
        key = secrets.token_urlsafe(32)
        out.write(key)
    return key


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(session_key(settings), salt=_SALT)


def _max_age(settings: Settings) -> int:
    return int(settings.session_max_age_hours * 3600)


def _settings_of(conn: HTTPConnection) -> Settings:
    """The settings the app was built with (app.server.create_app keeps them in its state)."""
    app = conn.scope.get("app")
    found = getattr(getattr(app, "state", None), "settings", None)
    return found if isinstance(found, Settings) else get_settings()


def has_cookie(conn: HTTPConnection) -> bool:
    return COOKIE in conn.cookies


async def load_session(conn: HTTPConnection, settings: Settings | None = None) -> Session | None:
    """The session of the request's cookie, or None (no cookie, a bad signature, expired, the
    user gone, or their password changed since)."""
    raw = conn.cookies.get(COOKIE)
    if not raw:
        return None
    settings = settings or _settings_of(conn)
    try:
        data = _serializer(settings).loads(raw, max_age=_max_age(settings))
    except BadSignature:  # SignatureExpired is one
        return None
    if not isinstance(data, dict):
        return None
    uid, csrf, version = data.get("u"), data.get("c"), data.get("v")
    if not isinstance(uid, int) or not isinstance(csrf, str) or not isinstance(version, str):
        return None
    user = await User.get_or_none(id=uid)
    # A password session needs the password still set; an OpenID Connect one (app/oidc.py,
    # "m": "oidc") does not, and setting or changing a password ends it too (the version).
    if user is None or (not user.password_hash and data.get("m") != OIDC):
        return None
    if not hmac.compare_digest(version, actors.password_version(user)):
        return None
    return Session(user=user, csrf=csrf)


def csrf_ok(request: Request, session: Session) -> bool:
    given = request.headers.get(CSRF_HEADER) or ""
    return hmac.compare_digest(given.encode(), session.csrf.encode())


def _json(status: int, body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def _error(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    error: dict[str, Any] = {"code": code, "message": message}
    if field:
        error["field"] = field
    return _json(status, {"error": error})


def _who(user: User) -> dict[str, Any]:
    from schema import ids

    return {
        "id": ids.encode("User", user.id),
        "name": user.name,
        "email": user.email,
        "isAdmin": user.is_admin,
        "isBudgetCreator": user.is_budget_creator,
    }


def start_session(
    response: Response,
    user: User,
    settings: Settings,
    *,
    csrf: str | None = None,
    method: str = PASSWORD,
) -> str:
    """Set the session cookie for `user` on `response` (password sign-in, and OpenID Connect
    sign-in in app/oidc.py with `method=OIDC`); returns the session's CSRF token."""
    csrf = csrf or secrets.token_urlsafe(32)
    data: dict[str, Any] = {"u": user.id, "c": csrf, "v": actors.password_version(user)}
    if method != PASSWORD:
        data["m"] = method
    response.set_cookie(
        COOKIE,
        _serializer(settings).dumps(data),
        max_age=_max_age(settings),
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.session_cookie_secure,
    )
    return csrf


def routes(settings: Settings | None = None) -> list[Route]:
    settings = settings or get_settings()

    async def login(request: Request) -> Response:
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return _error(415, "UNSUPPORTED_MEDIA_TYPE", "send the e-mail and password as JSON")
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "BAD_REQUEST", "the body is not JSON")
        email = body.get("email") if isinstance(body, dict) else None
        password = body.get("password") if isinstance(body, dict) else None
        if not isinstance(email, str) or not email.strip():
            return _error(400, "VALIDATION", "enter your e-mail address", "email")
        if not isinstance(password, str) or not password:
            return _error(400, "VALIDATION", "enter your password", "password")
        user = await actors.check_password(email, password)
        if user is None:
            return _error(401, "UNAUTHENTICATED", "that e-mail and password do not match")
        csrf = secrets.token_urlsafe(32)
        response = _json(200, {"user": _who(user), "csrfToken": csrf})
        start_session(response, user, settings, csrf=csrf)
        return response

    async def session(request: Request) -> Response:
        current = await load_session(request, settings)
        if current is None:
            response = _error(401, "UNAUTHENTICATED", "not signed in")
            if settings.oidc_configured:  # the login page offers "Sign in with <name>"
                body: dict[str, Any] = {
                    "error": {"code": "UNAUTHENTICATED", "message": "not signed in"},
                    "signIn": {"oidc": {"name": settings.oidc_name, "url": "/auth/oidc/login"}},
                }
                response = _json(401, body)
            return response
        return _json(200, {"user": _who(current.user), "csrfToken": current.csrf})

    async def logout(request: Request) -> Response:
        current = await load_session(request, settings)
        if current is not None and not csrf_ok(request, current):
            return _error(403, "CSRF", "sign-out needs the X-CSRF-Token header")
        response = _json(200, {"signedOut": True})
        response.delete_cookie(
            COOKIE, path="/", httponly=True, samesite="lax", secure=settings.session_cookie_secure
        )
        return response

    return [
        Route("/auth/login", login, methods=["POST"]),
        Route("/auth/session", session, methods=["GET"]),
        Route("/auth/logout", logout, methods=["POST"]),
    ]
