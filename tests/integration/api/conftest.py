"""Fixtures of the payments API tests: an ``Api`` per test, on the in-memory adapters by
default (fast) or parametrised over memory, SQLite and PostgreSQL (``backend_api``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_harness import Api, Merchant, running_api


@pytest.fixture
def api() -> Iterator[Api]:
    with running_api("memory") as running:
        yield running


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend_api(request: pytest.FixtureRequest) -> Iterator[Api]:
    """The same tests on every backend: the SQL adapters must behave like the reference."""
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
