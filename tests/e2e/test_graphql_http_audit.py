"""graphql-http's GraphQL-over-HTTP audit suite (its `serverAudits`, tests/audit/audit.mjs)
against a real server: every MUST and SHOULD passes, and every MAY too, anonymously and with a
valid token. With a token that authenticates nobody every request is refused with 401 before
anything runs (RFC 6750, app.server): the audits that expect an answer fail then, by design,
and the test checks that a deliberate 401 is the only reason any of them does.

Needs Node.js and npm (`npm ci` in tests/audit, run here when node_modules is missing). Skips
without them unless ALLOT_REQUIRE_NODE=1 (CI), which turns the skip into a failure.

Before this change (Strawberry's defaults): 0 MUST errors, 8 SHOULD warnings (no
application/graphql-response+json; 200 and a `data` entry for documents that do not parse or
validate and for variables that do not coerce) and 3 MAY notices (no queries over GET).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from live import ROOT, LiveServer

AUDIT_DIR = ROOT / "tests" / "audit"
#: Audits that must be there and pass: a suite that ran nothing must not pass.
KEY_AUDITS = {
    "22EB": "accepts application/graphql-response+json and answers in it",
    "4655": "accepts application/json and answers in it",
    "556A": "400 for a document that does not parse (graphql-response+json)",
    "74FF": "400 for a document that does not validate (graphql-response+json)",
    "86EE": "400 for variables that do not coerce (graphql-response+json)",
    "572B": "200 for a document that does not parse (application/json)",
    "7B9B": "200 for variables that do not coerce (application/json)",
    "5A70": "queries over GET",
    "9C48": "no mutations over GET",
}


def _required() -> bool:
    return os.environ.get("ALLOT_REQUIRE_NODE") == "1"


def _give_up(reason: str) -> None:
    if _required():
        pytest.fail(f"ALLOT_REQUIRE_NODE=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def node() -> str:
    found = shutil.which("node")
    if found is None or shutil.which("npm") is None:
        _give_up("the GraphQL-over-HTTP audit needs Node.js and npm (apt-get install nodejs npm)")
    if not (AUDIT_DIR / "node_modules" / "graphql-http").is_dir():
        installed = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=AUDIT_DIR,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if installed.returncode != 0:
            _give_up(f"`npm ci` in tests/audit failed: {installed.stderr[-2000:]}")
    return str(found)


def audit(node: str, url: str, *headers: str) -> list[dict[str, Any]]:
    ran = subprocess.run(
        [node, str(AUDIT_DIR / "audit.mjs"), url, *headers],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    results = [json.loads(line) for line in ran.stdout.splitlines() if line.strip()]
    assert len(results) >= 50, ran.stdout  # the suite has 61 audits in graphql-http 1.23
    return results


def failures(results: list[dict[str, Any]]) -> list[str]:
    return [
        f"{r['status']} {r['id']} {r['name']}: {r.get('reason')} (HTTP {r.get('httpStatus')},"
        f" {r.get('contentType')}) {r.get('body', '')}"
        for r in results
        if r["status"] != "ok"
    ]


@pytest.mark.parametrize("authenticated", [False, True], ids=["anonymous", "with-token"])
def test_every_audit_passes(node: str, live_server: LiveServer, authenticated: bool) -> None:
    headers = [f"Authorization: Bearer {live_server.token}"] if authenticated else []
    results = audit(node, f"{live_server.url}/graphql", *headers)
    by_id = {r["id"]: r for r in results}
    assert set(KEY_AUDITS) <= set(by_id), sorted(set(KEY_AUDITS) - set(by_id))
    counts = Counter(r["status"] for r in results)
    # MUST errors, SHOULD warnings and MAY notices: none of any.
    assert failures(results) == [], "\n".join(failures(results))
    assert counts == {"ok": len(results)}


def test_a_token_that_authenticates_nobody_is_refused_before_any_audit_runs(
    node: str, live_server: LiveServer
) -> None:
    results = audit(node, f"{live_server.url}/graphql", "Authorization: Bearer allot_not-a-token")
    failed = [r for r in results if r["status"] != "ok"]
    assert failed, "an unknown token must be refused"
    # The only deviation is the deliberate 401 (with its JSON body): nothing else failed.
    assert {r["httpStatus"] for r in failed} == {401}, failures(results)
    assert all("invalid token" in r.get("body", "") for r in failed), failures(results)
    # What passes anyway are the audits that expect a 4xx.
    passed = {r["id"] for r in results if r["status"] == "ok"}
    assert "9C48" in passed and "22EB" not in passed


def test_the_lock_file_pins_what_package_json_asks_for() -> None:
    package = json.loads((AUDIT_DIR / "package.json").read_text())
    lock = json.loads((AUDIT_DIR / "package-lock.json").read_text())
    for name, version in package["dependencies"].items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version, name
    assert Path(AUDIT_DIR / ".gitignore").read_text().strip() == "node_modules/"
