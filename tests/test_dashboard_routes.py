"""The dashboard's files are served from the package, without a build step or a CDN."""

from __future__ import annotations

import re

import httpx
from starlette.applications import Starlette

from app import dashboard


def _client() -> httpx.AsyncClient:
    app = Starlette(routes=dashboard.routes())
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://allot.test")


async def test_the_page_is_served_at_the_root_and_at_dashboard() -> None:
    async with _client() as client:
        for path in ("/", "/dashboard", "/dashboard/"):
            response = await client.get(path)
            assert response.status_code == 200, path
            assert response.headers["content-type"].startswith("text/html")
            assert '<script src="/dashboard/dashboard.js"' in response.text


async def test_the_page_loads_only_its_own_files() -> None:
    async with _client() as client:
        page = (await client.get("/")).text
        for url in re.findall(r'(?:src|href)="([^"#]+)"', page):
            assert url.startswith("/dashboard/"), url  # nothing from another host
            assert (await client.get(url)).status_code == 200, url
        script = await client.get("/dashboard/dashboard.js")
        assert script.headers["content-type"].startswith("text/javascript")
        assert (
            (await client.get("/dashboard/dashboard.css"))
            .headers["content-type"]
            .startswith("text/css")
        )


async def test_other_files_of_the_package_are_not_served() -> None:
    async with _client() as client:
        for path in ("/dashboard/__init__.py", "/dashboard/..%2Fserver.py", "/dashboard/nope.js"):
            assert (await client.get(path)).status_code == 404, path
