"""Fixtures of the payments API tests: an ``Api`` per test, the app as ``paygate serve``
builds it on a SQLite file (``api``), or parametrised over SQLite, PostgreSQL and the
in-memory adapters (``backend_api``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_harness import Api, Merchant, running_api


@pytest.fixture
def api(sqlite_url: str) -> Iterator[Api]:
    with running_api("sqlite", database_url=sqlite_url) as running:
        yield running


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres), "memory"])
def backend_api(request: pytest.FixtureRequest) -> Iterator[Api]:
    """The same tests on every backend: what is served in production (SQLite, PostgreSQL)
    and the in-memory reference adapters must behave alike."""
    url = None
    if request.param == "sqlite":
        url = request.getfixturevalue("sqlite_url")
    elif request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
    with running_api(request.param, database_url=url) as running:
        yield running


@pytest.fixture
def merchant(api: Api) -> Merchant:
    return api.merchant("Shop")


@pytest.fixture
def other_merchant(api: Api) -> Merchant:
    return api.merchant("Other Shop")
