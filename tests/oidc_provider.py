"""A fake OpenID Connect provider on 127.0.0.1 for the sign-in tests (tests/test_oidc.py and the
browser test): discovery, JWKS, an authorization endpoint that approves at once (a redirect
back with a code) and a token endpoint that checks the client secret and the PKCE verifier
and signs an ID token with an RSA key made for the run. `behaviour` bends one thing at a time
(the e-mail, its verification, the nonce, the state, the signing key, the audience, expiry)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID = "allot-test"
CLIENT_SECRET = "fake-provider-secret"


@dataclass
class Behaviour:
    email: str = "ada.admin@example.org"
    email_verified: Any = True
    nonce: str | None = None  # another nonce than the one asked for
    state: str | None = None  # another state than the one asked for
    foreign_key: bool = False  # sign with a key the JWKS does not have
    audience: str = CLIENT_ID
    expires_in: int = 300


@dataclass
class FakeProvider:
    url: str = ""
    behaviour: Behaviour = field(default_factory=Behaviour)
    key: RSAKey = field(
        default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig"})
    )
    other_key: RSAKey = field(
        default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig"})
    )
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    authorize_requests: list[dict[str, str]] = field(default_factory=list)

    def app(self) -> Starlette:
        async def discovery(_: Request) -> Response:
            return JSONResponse(
                {
                    "issuer": self.url,
                    "authorization_endpoint": f"{self.url}/authorize",
                    "token_endpoint": f"{self.url}/token",
                    "jwks_uri": f"{self.url}/jwks",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "code_challenge_methods_supported": ["S256"],
                }
            )

        async def jwks(_: Request) -> Response:
            return JSONResponse({"keys": [self.key.as_dict(private=False)]})

        async def authorize(request: Request) -> Response:
            q = dict(request.query_params)
            self.authorize_requests.append(q)
            ok = (
                q.get("client_id") == CLIENT_ID
                and q.get("response_type") == "code"
                and q.get("code_challenge_method") == "S256"
                and "openid" in q.get("scope", "").split()
                and q.get("nonce")
                and q.get("state")
            )
            if not ok:
                return JSONResponse({"error": "invalid_request"}, status_code=400)
            code = secrets.token_urlsafe(16)
            self.codes[code] = q
            state = self.behaviour.state or q["state"]
            return RedirectResponse(
                f"{q['redirect_uri']}?{urlencode({'code': code, 'state': state})}", 302
            )

        async def token(request: Request) -> Response:
            form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
            basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if request.headers.get("authorization") != f"Basic {basic}":
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            asked = self.codes.pop(str(form.get("code")), None)
            verifier = str(form.get("code_verifier") or "")
            challenge = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                .rstrip(b"=")
                .decode()
            )
            if (
                asked is None
                or form.get("grant_type") != "authorization_code"
                or form.get("redirect_uri") != asked["redirect_uri"]
                or challenge != asked["code_challenge"]
            ):
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            b = self.behaviour
            now = int(time.time())
            claims = {
                "iss": self.url,
                "sub": "user-1234",
                "aud": b.audience,
                "iat": now,
                "exp": now + b.expires_in,
                "nonce": b.nonce or asked["nonce"],
                "email": b.email,
                "email_verified": b.email_verified,
                "name": "Ada at the Institute",
            }
            key = self.other_key if b.foreign_key else self.key
            id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)
            return JSONResponse(
                {
                    "access_token": secrets.token_urlsafe(16),
                    "token_type": "Bearer",
                    "expires_in": 3600,
                    "id_token": id_token,
                }
            )

        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", discovery),
                Route("/jwks", jwks),
                Route("/authorize", authorize),
                Route("/token", token, methods=["POST"]),
            ]
        )


@contextmanager
def running_provider() -> Iterator[FakeProvider]:
    """The fake provider served by uvicorn in a thread, on a free port of 127.0.0.1."""
    provider = FakeProvider()
    config = uvicorn.Config(
        provider.app(), host="127.0.0.1", port=0, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the fake OpenID Connect provider did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    provider.url = f"http://127.0.0.1:{port}"
    try:
        yield provider
    finally:
        server.should_exit = True
        thread.join(timeout=10)
