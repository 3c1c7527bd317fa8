"""PostgreSQL fixtures; tests/conftest.py imports them:

    from conftest_pg import pg_database_url, pg_server  # noqa: F401

``pg_server``: session-scoped ``PgServer`` (a private cluster, or the server
named by ``ALLOT_TEST_PG_URL``).  ``pg_database_url``: a fresh, empty database
for one test, as a ``postgres://`` URL.  Without PostgreSQL binaries the tests
that use them are skipped, unless ``ALLOT_REQUIRE_PG=1`` (as in CI): then they fail.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pgserver import PgServer, PgUnavailable, pg_required


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    server = PgServer()
    try:
        server.start()
    except PgUnavailable as exc:
        if pg_required():
            pytest.fail(f"ALLOT_REQUIRE_PG is set but {exc}", pytrace=False)
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_database_url(pg_server: PgServer) -> str:
    return pg_server.create_database()
