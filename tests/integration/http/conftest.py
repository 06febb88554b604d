"""Fixtures of the HTTP tests: the app as ``paygate serve`` builds it.

``settings`` come from ``Settings.from_env`` (bcrypt at 4 rounds, rate limits off unless a
test turns them on) over a fresh SQLite file, or a PostgreSQL database (``backend``); each
``make_api`` app is ``create_app(settings)`` with only the clock (a ``FixedClock``) replaced.
``paygate`` is the same wiring opened beside the apps, for setup through the core's ports
(as another worker process would be); ``api`` is a ``TestClient`` with helpers for the base
path and credentials.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from http_harness import ADMIN_EMAIL, PASSWORD, SECRET, Api, AppFactory, with_peer
from litestar.testing import TestClient

from paygate_core.gateway import Paygate
from paygate_core.testing import FixedClock
from paygate_core.use_cases.auth import RegisterAdmin
from paygate_http import Settings, create_app
from paygate_http.pipeline.rate_limits import RateLimitStore
from paygate_http.process.wiring import build_paygate, open_database

HTTP_ENVIRONMENT = {
    "PAYGATE_SECRET_KEY": SECRET,
    "PAYGATE_BCRYPT_ROUNDS": "4",
    "PAYGATE_COOKIE_SECURE": "false",
    "PAYGATE_AUTH_RATE_LIMIT": "0",
    "PAYGATE_API_RATE_LIMIT": "0",
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings.from_env({**HTTP_ENVIRONMENT, "PAYGATE_DATABASE_URL": database_url})


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 10, 6, 10, 30, tzinfo=UTC))


@pytest.fixture
def paygate(settings: Settings, clock: FixedClock) -> Iterator[Paygate]:
    database = open_database(settings)
    try:
        yield build_paygate(settings, database.uow, clock=clock)
    finally:
        database.close()


@pytest.fixture
def make_api(
    settings: Settings,
    clock: FixedClock,
    paygate: Paygate,
) -> Iterator[AppFactory]:
    """Build another app (other settings, readiness probe, rate-limit store, peer address)
    on the same database (``paygate`` first: it migrates the schema)."""
    clients: list[TestClient[Any]] = []

    def make(
        *,
        peer: str | None = None,
        base_url: str = "http://testserver.local",
        ready_check: Callable[[], bool] | None = None,
        rate_limit_store: RateLimitStore | None = None,
        paygate_override: Paygate | None = None,
        **changes: Any,
    ) -> Api:
        app = create_app(
            attrs.evolve(settings, **changes),
            clock=clock,
            paygate=paygate_override,
            ready_check=ready_check,
            rate_limit_store=rate_limit_store,
        )
        asgi: Any = app if peer is None else with_peer(app, peer)
        client = TestClient(asgi, base_url=base_url, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return Api(client)

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def api(make_api: AppFactory) -> Api:
    return make_api()


@pytest.fixture
def admin_token(paygate: Paygate, api: Api) -> str:
    paygate.register_admin(RegisterAdmin(email=ADMIN_EMAIL, name="Root", password=PASSWORD))
    token: str = api.login(ADMIN_EMAIL)["access"]
    return token


@pytest.fixture
def merchant(api: Api) -> dict[str, Any]:
    """A registered merchant's registration data (access, api_key, user_id, ...)."""
    return api.register()
