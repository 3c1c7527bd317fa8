"""The web app's files are served from the package, without a build step or a CDN: the page at
every route the app knows (deep links included), its ES modules, and the vendored Preact + htm."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from starlette.applications import Starlette

from app import dashboard

ROOT = Path(dashboard.__file__).parent


def _client() -> httpx.AsyncClient:
    app = Starlette(routes=dashboard.routes())
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://allot.test")


async def test_the_page_is_served_at_the_root_and_at_every_deep_link() -> None:
    async with _client() as client:
        for path in (
            "/",
            "/dashboard",
            "/dashboard/",
            "/login",
            "/settings",
            "/budgets/bud_1",
            "/budgets/bud_1/periods",
            "/alerts",
            "/budgets/new",
            "/budgets/bud_1/edit",
            "/budgets/bud_1/spend",
            "/unassigned",
            "/projects/prj_3",
            "/transfers/trf_12",
        ):
            response = await client.get(path)
            assert response.status_code == 200, path
            assert response.headers["content-type"].startswith("text/html")
            assert '<script type="module" src="/dashboard/app.js"' in response.text
            assert "script-src 'self'" in response.headers["content-security-policy"]


def _imports(source: str) -> list[str]:
    """The module specifiers of `import … from "x"`, `import "x"` and `import("x")`."""
    return re.findall(r'(?:^|[;\s}])(?:from|import)\s*\(?\s*"([^"]+)"', source, re.M)


async def test_the_page_loads_only_its_own_files_and_every_import_resolves() -> None:
    async with _client() as client:
        page = (await client.get("/")).text
        urls = re.findall(r'(?:src|href)="([^"#]+)"', page)
        seen: set[str] = set()
        while urls:
            url = urls.pop()
            if url in seen:
                continue
            seen.add(url)
            assert url.startswith("/dashboard/"), url  # nothing from another host
            response = await client.get(url)
            assert response.status_code == 200, url
            if url.endswith((".js", ".mjs")):
                assert response.headers["content-type"].startswith("text/javascript"), url
                base = url.rsplit("/", 1)[0]
                for spec in _imports(response.text):
                    assert spec.startswith("./"), (url, spec)  # no bare specifier, no CDN
                    urls.append(f"{base}/{spec[2:]}")
        assert {"/dashboard/vendor/preact.mjs", "/dashboard/vendor/htm.mjs"} <= seen
        assert "/dashboard/vendor/hooks.mjs" in seen
        css = await client.get("/dashboard/dashboard.css")
        assert css.headers["content-type"].startswith("text/css")


def test_the_vendored_libraries_carry_their_licences_and_sources() -> None:
    vendor = ROOT / "vendor"
    notes = (vendor / "VENDOR.md").read_text(encoding="utf-8")
    for name in ("preact.mjs", "hooks.mjs", "htm.mjs", "LICENSE-preact.txt", "LICENSE-htm.txt"):
        assert (vendor / name).is_file(), name
        assert name in notes, name
    assert re.search(r"preact.*11\.\d+\.\d+", notes) and "htm" in notes


async def test_other_files_of_the_package_are_not_served() -> None:
    async with _client() as client:
        for path in (
            "/dashboard/__init__.py",
            "/dashboard/..%2Fserver.py",
            "/dashboard/nope.js",
            "/dashboard/vendor/VENDOR.md",
            "/dashboard/vendor/..%2F__init__.py",
        ):
            assert (await client.get(path)).status_code == 404, path


def test_every_document_of_the_web_app_is_valid_against_the_schema() -> None:
    from graphql import parse, validate

    from schema import schema

    api = (ROOT / "api.js").read_text(encoding="utf-8")
    fragment = re.search(r"export const ERROR_FIELDS = `(.*?)`;", api, re.S)
    assert fragment
    queries = (ROOT / "queries.js").read_text(encoding="utf-8")
    documents = dict(re.findall(r"export const ([A-Z_]+) = `(.*?)`;", queries, re.S))
    assert len(documents) >= 12
    for name, text in documents.items():
        errors = validate(schema._schema, parse(text.replace("${ERROR_FIELDS}", fragment.group(1))))
        assert not errors, (name, [e.message for e in errors])
