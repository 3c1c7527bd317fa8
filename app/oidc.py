"""Optional OpenID Connect sign-in for institutions (authlib), next to the password sign-in of
app/sessions.py. On when ALLOT_OIDC_ISSUER, ALLOT_OIDC_CLIENT_ID and ALLOT_OIDC_CLIENT_SECRET
are set; otherwise both routes answer 404.

- `GET /auth/oidc/login` reads the provider's discovery document
  (`<issuer>/.well-known/openid-configuration`, cached for an hour), makes a fresh `state`,
  `nonce` and PKCE code verifier (S256), keeps them in a short-lived signed cookie
  (`allot_oidc`, HttpOnly, SameSite=Lax, path /auth/oidc, 10 minutes) and redirects to the
  provider's authorization endpoint (the authorization-code flow).
- `GET /auth/oidc/callback` checks `state` against that cookie, exchanges the code (with the
  verifier and the client secret) at the token endpoint, and verifies the ID token: its
  signature with the provider's JWKS (fetched again once for an unknown key id), issuer,
  audience (and `azp` when there are several), expiry, issued-at and the `nonce`. The person
  is the Allot user whose e-mail equals the token's `email` claim, and only if the provider
  says `email_verified`: nobody is created by signing in (an administrator adds people
  first). Then the same session cookie as a password sign-in (app.sessions.start_session),
  and a redirect to `/`.
- Every refusal redirects to `/login?oidc_error=<code>` (one of REFUSALS; the login page
  says what went wrong) without a session; it is logged with the reason.

The callback URL is `<ALLOT_PUBLIC_URL>/auth/oidc/callback` when a public URL is set (behind
a proxy), otherwise the one the request came in on; register it at the provider.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from itsdangerous import BadSignature, URLSafeTimedSerializer
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from app import sessions
from app.models import User
from app.settings import Settings, get_settings

logger = logging.getLogger("allot.oidc")

FLOW_COOKIE = "allot_oidc"
FLOW_PATH = "/auth/oidc"
FLOW_SECONDS = 600
_SALT = "allot.oidc.v1"
METADATA_SECONDS = 3600
TIMEOUT = httpx.Timeout(10.0)
#: Signature algorithms accepted for ID tokens (never "none", never HMAC with the secret).
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
#: The codes of `/login?oidc_error=` (the login page words them for people).
REFUSALS = {
    "state": "the sign-in expired or did not start here",
    "provider": "the provider refused or could not be reached",
    "token": "the provider's ID token did not verify",
    "nonce": "the ID token was not issued for this sign-in",
    "email_unverified": "the provider has not verified the e-mail address",
    "unknown_user": "no Allot user has that e-mail address",
}


class Refused(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code


@dataclass
class _Provider:
    """The provider's discovery document and keys, cached per process."""

    settings: Settings
    metadata: dict[str, Any] | None = None
    fetched: float = 0.0
    keys: KeySet | None = None

    @property
    def issuer(self) -> str:
        return (self.settings.oidc_issuer or "").rstrip("/")

    async def discover(self) -> dict[str, Any]:
        if self.metadata is not None and time.monotonic() - self.fetched < METADATA_SECONDS:
            return self.metadata
        url = f"{self.issuer}/.well-known/openid-configuration"
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT) as client:
                response = await client.get(url)
                response.raise_for_status()
                document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise Refused("provider", f"discovery at {url} failed: {exc}") from exc
        needed = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
        if not isinstance(document, dict) or not all(
            isinstance(document.get(k), str) for k in needed
        ):
            raise Refused("provider", f"the discovery document at {url} lacks {needed}")
        if document["issuer"].rstrip("/") != self.issuer:
            raise Refused("provider", f"the discovery document names issuer {document['issuer']}")
        self.metadata, self.fetched, self.keys = document, time.monotonic(), None
        return document

    async def key_set(self, refresh: bool = False) -> KeySet:
        if self.keys is not None and not refresh:
            return self.keys
        metadata = await self.discover()
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT) as client:
                response = await client.get(metadata["jwks_uri"])
                response.raise_for_status()
                self.keys = KeySet.import_key_set(response.json())
        except (httpx.HTTPError, ValueError, JoseError) as exc:
            raise Refused("provider", f"the JWKS could not be read: {exc}") from exc
        return self.keys


def _flow_serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(sessions.session_key(settings), salt=_SALT)


def _callback_url(request: Request, settings: Settings) -> str:
    if settings.public_url:
        return f"{settings.public_url.rstrip('/')}{FLOW_PATH}/callback"
    return str(request.url_for("oidc_callback"))


def _client(settings: Settings, redirect_uri: str) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        scope=settings.oidc_scopes,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=10.0,  # a float: authlib adds it to other timeouts
    )


def _refusal(settings: Settings, code: str) -> Response:
    response = RedirectResponse(f"/login?{urlencode({'oidc_error': code})}", status_code=303)
    _clear_flow(response, settings)
    return response


def _clear_flow(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        FLOW_COOKIE,
        path=FLOW_PATH,
        httponly=True,
        samesite="lax",
        secure=settings.session_cookie_secure,
    )


def _not_found() -> Response:
    return Response("Not Found", status_code=404, media_type="text/plain")


async def verify_id_token(
    provider: _Provider, settings: Settings, token: str, nonce: str
) -> dict[str, Any]:
    """The ID token's claims once its signature, issuer, audience, expiry and nonce check."""
    metadata = await provider.discover()
    offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [a for a in offered if a in ALGORITHMS] or ["RS256"]
    keys = await provider.key_set()
    try:
        try:
            decoded = jwt.decode(token, keys, algorithms=algorithms)
        except JoseError:  # perhaps a key rotated at the provider: read the JWKS once more
            decoded = jwt.decode(token, await provider.key_set(refresh=True), algorithms=algorithms)
        claims = dict(decoded.claims)
        jwt.JWTClaimsRegistry(
            leeway=60,
            iss={"essential": True, "value": metadata["issuer"]},
            aud={"essential": True, "value": settings.oidc_client_id or ""},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
        ).validate(claims)
    except (JoseError, ValueError) as exc:
        raise Refused("token", f"the ID token did not verify: {exc}") from exc
    audience = claims.get("aud")
    if (
        isinstance(audience, list)
        and len(audience) > 1
        and claims.get("azp") != (settings.oidc_client_id)
    ):
        raise Refused("token", "the ID token has several audiences and another azp")
    given = claims.get("nonce")
    if not isinstance(given, str) or not hmac.compare_digest(given.encode(), nonce.encode()):
        raise Refused("nonce", "the ID token's nonce is not this sign-in's")
    return claims


async def user_for(claims: dict[str, Any]) -> User:
    """The existing Allot user the verified e-mail of the ID token names."""
    email = claims.get("email")
    if not isinstance(email, str) or not email.strip():
        raise Refused("unknown_user", "the ID token has no e-mail (ask for the email scope)")
    verified = claims.get("email_verified")
    if verified is not True and verified != "true":
        raise Refused("email_unverified", f"the provider has not verified {email}")
    user = await User.filter(email=email.strip().lower()).first()
    if user is None:
        raise Refused("unknown_user", f"no Allot user has the e-mail {email}")
    return user


def routes(settings: Settings | None = None) -> list[Route]:
    settings = settings or get_settings()
    provider = _Provider(settings)

    async def login(request: Request) -> Response:
        if not settings.oidc_configured:
            return _not_found()
        try:
            metadata = await provider.discover()
        except Refused as exc:
            logger.warning("OpenID Connect sign-in refused (%s): %s", exc.code, exc)
            return _refusal(settings, exc.code)
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)  # 86 characters (RFC 7636: 43-128)
        async with _client(settings, _callback_url(request, settings)) as client:
            url, _ = client.create_authorization_url(
                metadata["authorization_endpoint"],
                state=state,
                nonce=nonce,
                code_verifier=verifier,
            )
        response = RedirectResponse(url, status_code=302)
        response.headers["Cache-Control"] = "no-store"
        response.set_cookie(
            FLOW_COOKIE,
            _flow_serializer(settings).dumps({"s": state, "n": nonce, "v": verifier}),
            max_age=FLOW_SECONDS,
            path=FLOW_PATH,
            httponly=True,
            samesite="lax",
            secure=settings.session_cookie_secure,
        )
        return response

    async def callback(request: Request) -> Response:
        if not settings.oidc_configured:
            return _not_found()
        try:
            user = await _finish(request)
        except Refused as exc:
            logger.warning("OpenID Connect sign-in refused (%s): %s", exc.code, exc)
            return _refusal(settings, exc.code)
        response = RedirectResponse("/", status_code=303)
        response.headers["Cache-Control"] = "no-store"
        _clear_flow(response, settings)
        sessions.start_session(response, user, settings, method=sessions.OIDC)
        logger.info("user %s signed in with OpenID Connect", user.id)
        return response

    async def _finish(request: Request) -> User:
        raw = request.cookies.get(FLOW_COOKIE)
        try:
            flow = _flow_serializer(settings).loads(raw or "", max_age=FLOW_SECONDS)
        except BadSignature as exc:
            raise Refused("state", "no sign-in in progress (cookie missing or expired)") from exc
        state = request.query_params.get("state") or ""
        if not isinstance(flow, dict) or not hmac.compare_digest(
            state.encode(), str(flow.get("s", "")).encode()
        ):
            raise Refused("state", "the state does not match this browser's sign-in")
        if request.query_params.get("error"):
            raise Refused("provider", f"the provider said {request.query_params['error']}")
        code = request.query_params.get("code")
        if not code:
            raise Refused("provider", "the provider sent no code")
        metadata = await provider.discover()
        try:
            async with _client(settings, _callback_url(request, settings)) as client:
                token = await client.fetch_token(
                    metadata["token_endpoint"],
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=flow["v"],
                )
        except Exception as exc:  # authlib's OAuthError, httpx errors, a non-JSON answer
            raise Refused("provider", f"the token request failed: {exc}") from exc
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise Refused("token", "the token response has no id_token")
        claims = await verify_id_token(provider, settings, id_token, str(flow["n"]))
        return await user_for(claims)

    return [
        Route(f"{FLOW_PATH}/login", login, methods=["GET"], name="oidc_login"),
        Route(f"{FLOW_PATH}/callback", callback, methods=["GET"], name="oidc_callback"),
    ]
