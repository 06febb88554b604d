"""Fixtures of the dashboard's integration tests: the app as ``create_app`` builds it over
the in-memory adapters, a SQLite file or PostgreSQL (``backend``), with a ``FixedClock``
every test moves by hand. ``paygate`` is the same facade the app uses, for setup through
the core's use cases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from litestar.testing import TestClient
from web_harness import ADMIN_EMAIL, PASSWORD, SECRET, Browser, BrowserFactory

from paygate_core.gateway import Paygate
from paygate_core.testing import FixedClock, InMemoryStore, PlainPasswordHasher
from paygate_core.use_cases.auth import RegisterAdmin
from paygate_http import Settings, create_app
from paygate_http.process.wiring import build_paygate, open_database

WEB_ENVIRONMENT = {
    "PAYGATE_SECRET_KEY": SECRET,
    "PAYGATE_BCRYPT_ROUNDS": "4",
    "PAYGATE_COOKIE_SECURE": "false",
    "PAYGATE_AUTH_RATE_LIMIT": "0",
    "PAYGATE_API_RATE_LIMIT": "0",
}


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(backend: str, request: pytest.FixtureRequest) -> Settings:
    environment = dict(WEB_ENVIRONMENT)
    if backend != "memory":
        environment["PAYGATE_DATABASE_URL"] = request.getfixturevalue(f"{backend}_url")
    return Settings.from_env(environment)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 10, 6, 10, 30, tzinfo=UTC))


@pytest.fixture
def paygate(backend: str, settings: Settings, clock: FixedClock) -> Iterator[Paygate]:
    if backend == "memory":
        yield build_paygate(
            settings, InMemoryStore().unit_of_work, clock=clock, hasher=PlainPasswordHasher()
        )
        return
    database = open_database(settings)
    try:
        yield build_paygate(settings, database.uow, clock=clock)
    finally:
        database.close()


@pytest.fixture
def make_browser(settings: Settings, paygate: Paygate) -> Iterator[BrowserFactory]:
    """Another browser (its own cookies) on another app over the same data, as another
    worker process would serve it; ``changes`` alter the settings (``cookie_secure``
    cookies come back only over ``https``: ``base_url``)."""
    clients: list[TestClient[Any]] = []

    def make(*, base_url: str = "http://testserver.local", **changes: Any) -> Browser:
        app = create_app(attrs.evolve(settings, **changes), paygate=paygate)
        client = TestClient(app, base_url=base_url, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return Browser(client)

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def browser(make_browser: BrowserFactory) -> Browser:
    return make_browser()


@pytest.fixture
def admin(paygate: Paygate) -> str:
    """An admin's email (password ``PASSWORD``)."""
    paygate.register_admin(RegisterAdmin(email=ADMIN_EMAIL, name="Root", password=PASSWORD))
    return ADMIN_EMAIL
